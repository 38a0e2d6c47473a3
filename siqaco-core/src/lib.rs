//! # siqaco
//!
//! Keep seismic waveform archives complete and correct: scan miniSEED archives for gaps,
//! overlaps and availability, index them, fetch what is missing, merge it in at sample level
//! and check data against StationXML metadata.
//!
//! Times are `i64` nanoseconds since 1970-01-01 UTC ([`time`]); streams are identified by
//! [`sid::Nslc`]; the one definition of gaps, overlaps and availability is in [`gaps`] and
//! `docs/gaps.md`.
//!
//! ## Cargo features
//!
//! Without default features (`default-features = false`) the crate is the light core:
//! record parsing and decoding ([`record`], [`codec`], libmseed), scanning ([`scan`]), gaps,
//! overlaps and availability ([`gaps`], [`segment`]), archive layouts ([`archive`]),
//! reading samples ([`read`]), the sample-level merge ([`merge`]), QC against StationXML
//! ([`qc`], [`stationxml`], [`report`]): no HTTP client, no SQLite, no image or TOML
//! libraries in its dependency tree. Each feature adds one part:
//!
//! | feature    | adds                                                                     | pulls in |
//! |------------|--------------------------------------------------------------------------|----------|
//! | `sqlite`   | the catalogue (`index`: tsindex, sections, `stats`)                      | rusqlite (bundled SQLite), md-5 |
//! | `postgres` | the PostgreSQL catalogue backend (`index` with a `postgresql://` URL); implies `sqlite` | postgres |
//! | `fdsn`     | data sources (`source`: FDSN dataselect, availability and station web services, local archives, catalogues, external programs; `qc::load_metadata` from a URL); implies `sqlite` (a catalogue is a source) | reqwest (rustls), digest_auth, httpdate |
//! | `plot`     | figures and the HTML report (`plot`)                                     | png, font8x8 |
//! | `update`   | the update run, its TOML configuration and the request stack (`update`); implies `fdsn`, `sqlite` | toml, serde_path_to_error |
//! | `testing`  | helpers for tests, examples and benchmarks (`testing`); never for a program's own build | — |
//!
//! `default` = `fdsn`, `sqlite`, `plot`, `update`: everything the `siqaco` command, the Python
//! package and the C library use. `postgres` and `testing` are off by default. The list is
//! also in `docs/features.md`; CI builds the light core alone and checks its dependency tree
//! (`.ci/run`, stage "light core").

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod archive;
pub mod codec;
pub mod error;
#[cfg(feature = "fdsn")]
#[doc(hidden)]
pub mod fuzzing;
pub mod gaps;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub mod index;
pub(crate) mod interval;
pub mod merge;
pub mod ops;
#[cfg(feature = "plot")]
#[cfg_attr(docsrs, doc(cfg(feature = "plot")))]
pub mod plot;
pub mod qc;
pub mod read;
pub mod record;
pub mod report;
pub mod scan;
pub mod segment;
pub mod sid;
#[cfg(feature = "fdsn")]
#[cfg_attr(docsrs, doc(cfg(feature = "fdsn")))]
pub mod source;
pub mod stationxml;
#[cfg(any(test, feature = "testing"))]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod time;
#[cfg(feature = "update")]
#[cfg_attr(docsrs, doc(cfg(feature = "update")))]
pub mod update;

pub use error::{Error, ErrorKind, Result};
pub use sid::{Nslc, NslcGlob};

/// Whether the cancellation flag of a long call (the flag of an [`ops::Control`], handed to
/// the lower-level options: the `cancel` field of [`scan::ScanOptions`], [`read::ReadOptions`],
/// [`qc::QcOptions`]...) has been set by another thread.
pub(crate) fn is_cancelled(cancel: Option<&std::sync::atomic::AtomicBool>) -> bool {
    cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
}
