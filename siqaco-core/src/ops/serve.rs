//! The settings of `siqaco serve`: what the HTTP server serves and its limits, with the one
//! set of defaults. The server itself (axum on tokio) is the `siqaco-serve` crate; it reads
//! these settings and maps HTTP onto the services of [`super::fdsnws`].

use crate::error::Result;
use crate::ops::require;
use crate::sid::NslcGlob;
use std::net::SocketAddr;
use std::path::PathBuf;

/// What `siqaco serve` serves and how much it accepts. `Default` holds the defaults
/// (`docs/serve.md`); [`ServeSettings::validate`] refuses values in the fields' terms.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ServeSettings {
    /// Address and port to listen on (default `127.0.0.1:8080`).
    pub bind: SocketAddr,
    /// The catalogue served: a SQLite file or a `postgresql://` URL (required).
    pub catalogue: String,
    /// Directory that relative file names of the catalogue are resolved against (default:
    /// the SQLite file's directory; for PostgreSQL, the working directory).
    pub archive: Option<PathBuf>,
    /// StationXML files or directories of them, for fdsnws-station.
    pub stationxml: Vec<PathBuf>,
    /// Streams served only to authenticated users (`queryauth`; hidden from the other
    /// services and the status page unless authenticated).
    pub restricted: Vec<NslcGlob>,
    /// An htdigest-format credentials file (`user:realm:md5(user:realm:password)` lines),
    /// for `queryauth` and the operator's actions on the status page.
    pub credentials: Option<PathBuf>,
    /// The `siqaco.toml` the server was started with, if any: the operator's actions on the
    /// status page (create, retry, cancel requests; start an update run) run with it.
    pub config: Option<PathBuf>,
    /// A QC JSON document (`siqaco qc --format json`, `docs/qc.md`) whose findings the
    /// status page shows (`/api/qc`); without one the page says no QC report is configured.
    pub qc: Option<PathBuf>,
    /// The HTTP digest realm the credentials are for (default `FDSN`).
    pub realm: String,
    /// Largest dataselect response, bytes of miniSEED records (default 2 GiB); a larger
    /// request gets 413.
    pub max_bytes: u64,
    /// Largest dataselect response, samples (default 500 million); a larger request gets
    /// 413.
    pub max_samples: u64,
    /// Most selection lines of a POST body (default 10 000); more gets 413.
    pub max_post_lines: usize,
    /// Most requests served at once (default 64); more get 503.
    pub max_concurrent: usize,
    /// Time allowed for one request, seconds (default 600): from its headers read to its
    /// response's headers sent (a streaming response's body may take longer); a request over
    /// it gets 503.
    pub timeout_s: f64,
    /// Time allowed for a client to send the headers of a request, seconds (default 30); a
    /// client slower than that (one byte at a time, or an idle keep-alive connection) is
    /// disconnected, so that slow clients cannot hold the server's connections.
    pub header_timeout_s: f64,
    /// Stream mappings over time ([`crate::mapping`]; default none): dataselect serves a
    /// record whose codes map to the requested stream as a copy with the mapped codes
    /// ([`crate::mapping::rewrite_codes`]). Use the mappings the catalogue was indexed with.
    pub mappings: crate::mapping::Mappings,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            catalogue: String::new(),
            archive: None,
            stationxml: Vec::new(),
            restricted: Vec::new(),
            credentials: None,
            config: None,
            qc: None,
            realm: "FDSN".into(),
            max_bytes: 2 << 30,
            max_samples: 500_000_000,
            max_post_lines: 10_000,
            max_concurrent: 64,
            timeout_s: 600.0,
            header_timeout_s: 30.0,
            mappings: Default::default(),
        }
    }
}

impl ServeSettings {
    /// Settings serving `catalogue` with every other field at its default.
    pub fn new(catalogue: impl Into<String>) -> Self {
        ServeSettings {
            catalogue: catalogue.into(),
            ..Default::default()
        }
    }

    /// Largest request body, bytes: 1 KiB per selection line allowed
    /// ([`ServeSettings::max_post_lines`]) and 64 KiB for the `key=value` lines and comments
    /// (10 MiB with the defaults); a larger body gets 413 before it is parsed.
    pub fn max_post_bytes(&self) -> usize {
        self.max_post_lines
            .saturating_mul(1024)
            .saturating_add(64 * 1024)
    }

    /// Checks the fields.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`]: an empty catalogue, a zero limit, a timeout that
    /// is not a positive number of seconds up to a day (the header timeout: up to an
    /// hour), an empty realm or one with a `"` or `:` (it is quoted in the digest
    /// challenge and a field of the htdigest file).
    pub fn validate(&self) -> Result<()> {
        require(!self.catalogue.trim().is_empty(), "catalogue", || {
            "a catalogue is needed (a SQLite file or a postgresql:// URL)".into()
        })?;
        require(self.max_bytes > 0, "max_bytes", || "must be above 0".into())?;
        require(self.max_samples > 0, "max_samples", || {
            "must be above 0".into()
        })?;
        require(self.max_post_lines > 0, "max_post_lines", || {
            "must be above 0".into()
        })?;
        require(
            (1..=100_000).contains(&self.max_concurrent),
            "max_concurrent",
            || format!("{} is not between 1 and 100000", self.max_concurrent),
        )?;
        require(
            self.timeout_s.is_finite() && self.timeout_s > 0.0 && self.timeout_s <= 86_400.0,
            "timeout_s",
            || {
                format!(
                    "{} is not a number of seconds above 0 and up to 86400",
                    self.timeout_s
                )
            },
        )?;
        require(
            self.header_timeout_s.is_finite()
                && self.header_timeout_s > 0.0
                && self.header_timeout_s <= 3_600.0,
            "header_timeout_s",
            || {
                format!(
                    "{} is not a number of seconds above 0 and up to 3600",
                    self.header_timeout_s
                )
            },
        )?;
        require(!self.realm.is_empty(), "realm", || {
            "must not be empty".into()
        })?;
        require(
            !self.realm.contains(['"', ':', '\\', '\n', '\r']),
            "realm",
            || {
                format!(
                    "{:?}: a realm cannot hold '\"', ':', '\\' or a line break",
                    self.realm
                )
            },
        )?;
        Ok(())
    }
}
