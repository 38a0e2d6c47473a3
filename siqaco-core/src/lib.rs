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
//! ## Operations
//!
//! Every operation is one request type in [`ops`]: build it with `new`/`Default` (the one
//! set of defaults), set the fields you need, `run` it with an [`ops::Control`]
//! (cancellation, progress). `validate()` names the field of a bad value
//! ([`Error::InvalidField`]); the results serialise (serde) as the JSON documents of the
//! `siqaco` command. The `siqaco` command, the Python package and the C library are thin
//! maps onto these requests (`docs/architecture.md`).
//!
//! | operation | request | result | example |
//! |---|---|---|---|
//! | scan | [`ops::ScanRequest`] | [`scan::ScanReport`] | [`ops`] |
//! | streams | [`ops::StreamsRequest`] | `Vec<`[`Nslc`]`>` | [`ops::StreamsRequest`] |
//! | read | [`ops::ReadRequest`] | segments of samples | [`ops::ReadRequest`] |
//! | index, stats, db | `ops::IndexRequest`, `ops::StatsRequest`, `ops::CheckRequest`... (`sqlite`) | `IndexReport`, `ScanReport`... | below |
//! | report | `ops::ReportRequest` (`plot`, `sqlite`) | the files written and the figures' data | `ops::ReportRequest` |
//! | qc | `ops::QcRequest` (`fdsn`) | [`qc::QcReport`] | `ops::QcRequest` |
//! | merge | [`ops::MergeRequest`] | [`merge::apply::MergeReport`] | [`ops::MergeRequest`] |
//! | fetch | `ops::FetchRequest` (`fdsn`) | `ops::ArchiveFetch` | `ops::FetchRequest` |
//! | update, the request stack | `ops::UpdateRequest`, `ops::StackRunRequest`... (`update`) | `UpdateSummary`... | `ops::UpdateRequest` |
//! | watch | `ops::WatchRequest` (`watch`) | `ops::WatchReport` | `ops::WatchRequest` |
//!
//! Scan an archive, index it, and get the same report from the catalogue alone:
//!
//! ```
//! # fn main() -> siqaco::Result<()> {
//! # #[cfg(feature = "sqlite")] {
//! use siqaco::ops::{Control, IndexRequest, ScanRequest, StatsRequest};
//! # let Some(data) = siqaco::testing::test_data_dir() else { return Ok(()) };
//! let archive = data.join("sds-small"); // an SDS archive
//! # let tmp = tempfile::tempdir().unwrap();
//! let catalogue = tmp.path().join("catalogue.sqlite");
//!
//! let mut scan = ScanRequest::new([&archive]);
//! scan.analysis.select = vec!["IU.*".parse()?];
//! let scanned = scan.run(&Control::new())?;
//!
//! let indexed = IndexRequest::new(&archive, &catalogue).run(&Control::new())?;
//! assert_eq!(indexed.files_with_errors, 0);
//!
//! let mut stats = StatsRequest::new(&catalogue);
//! stats.analysis.select = scan.analysis.select.clone();
//! let from_catalogue = stats.run(&Control::new())?;
//! assert_eq!(
//!     serde_json::to_string(&from_catalogue).unwrap(),
//!     serde_json::to_string(&scanned).unwrap()
//! );
//!
//! stats.analysis.end_ns = Some(0);
//! stats.analysis.start_ns = Some(10);
//! assert_eq!(stats.validate().unwrap_err().field_name(), Some("end_ns"));
//! # }
//! # Ok(())
//! # }
//! ```
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
//! | `plot`     | figures and the HTML report (`plot`; PNG through resvg, DejaVu Sans embedded) | resvg (usvg, tiny-skia, fontdb, png), skrifa |
//! | `update`   | the update run, its TOML configuration and the request stack (`update`); Morumotto and SeisComP set-ups as its configuration (`import`); implies `fdsn`, `sqlite` | toml, serde_path_to_error |
//! | `watch`    | following an archive as it is written (`ops::WatchRequest`: file-system events, rescans); implies `sqlite` | notify |
//! | `objectstore` | `s3://bucket/prefix` archive roots in S3-compatible object storage (`archive::store`; `docs/object-storage.md`) | object_store (rustls), tokio, futures |
//! | `testing`  | helpers for tests, examples and benchmarks (`testing`); never for a program's own build | — |
//!
//! `default` = `fdsn`, `sqlite`, `plot`, `update`: everything the `siqaco` command, the Python
//! package and the C library use. `postgres`, `watch` (the `siqaco` command enables it) and
//! `testing` are off by default. The list is
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
#[cfg(feature = "update")]
#[cfg_attr(docsrs, doc(cfg(feature = "update")))]
pub mod import;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub mod index;
pub(crate) mod interval;
pub mod mapping;
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
