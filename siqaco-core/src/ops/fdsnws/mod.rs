//! The FDSN web services siqaco serves from its catalogue (`siqaco serve`): one typed
//! request per service, built from the HTTP request's parameters ([`FdsnQuery`]) by the
//! server and run here, so the rules (which records, which time spans, which channels) live
//! in the core and the server only maps HTTP onto them.
//!
//! - [`availability`]: fdsnws-availability 1.0 (`extent`, `query`).
//! - [`dataselect`]: fdsnws-dataselect 1.1, the records of a selection.
//! - [`params`]: the parameters of a GET or POST request, parsed once for every service
//!   (FDSN Web Service Specifications 1.2).
//! - [`station`]: fdsnws-station 1.1 from StationXML files.
//! - [`status`]: the status page at `/` and its JSON under `/api/`.
//!
//! Times are ns since 1970-01-01 UTC; windows are `[start, end)`.

pub mod availability;
pub mod dataselect;
pub mod params;
pub mod station;
#[cfg(all(feature = "plot", feature = "update"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "plot", feature = "update"))))]
pub mod status;

pub use params::{FdsnQuery, ParamSpec, SelectionLine, MAX_SELECTION_STREAMS, SELECTION_PARAMS};

use crate::sid::{selected, Nslc, NslcGlob};

/// Who may see which streams: the restricted streams of the server's settings
/// ([`crate::ops::ServeSettings::restricted`]) and whether the request is authenticated
/// (HTTP digest: `queryauth`, the operator's page). Every service asks this one rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// Streams served only to authenticated users.
    pub restricted: Vec<NslcGlob>,
    /// Whether the request carries valid credentials.
    pub authenticated: bool,
}

impl Access {
    /// Whether `nslc` is a restricted stream (whoever asks).
    pub fn is_restricted(&self, nslc: &Nslc) -> bool {
        !self.restricted.is_empty() && selected(&self.restricted, nslc)
    }

    /// Whether this request may see `nslc`: open streams always, restricted ones only when
    /// authenticated.
    pub fn allows(&self, nslc: &Nslc) -> bool {
        self.authenticated || !self.is_restricted(nslc)
    }
}
