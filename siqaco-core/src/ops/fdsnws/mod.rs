//! The FDSN web services siqaco serves from its catalogue (`siqaco serve`): one typed
//! request per service, built from the HTTP request's parameters ([`FdsnQuery`]) by the
//! server and run here, so the rules (which records, which time spans, which channels) live
//! in the core and the server only maps HTTP onto them.
//!
//! - [`params`]: the parameters of a GET or POST request, parsed once for every service
//!   (FDSN Web Service Specifications 1.2).
//!
//! Times are ns since 1970-01-01 UTC; windows are `[start, end)`.

pub mod params;

pub use params::{FdsnQuery, ParamSpec, SelectionLine, MAX_SELECTION_STREAMS, SELECTION_PARAMS};
