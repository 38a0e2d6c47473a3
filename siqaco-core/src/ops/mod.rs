//! The operations API: one typed request per operation, the one set of defaults, validation
//! in the request's field terms, cancellation and progress through [`Control`], and typed
//! results that serialise to the stable JSON documents.
//!
//! Every front end — the `siqaco` command, the Python package, the C ABI, the HTTP server
//! and distributed workers — builds a request, sets the fields its user gave, and calls
//! `run`; it maps arguments and errors, nothing else. The rules live here:
//!
//! - **Defaults**: `Default` (or `new` with the one required field) of each request holds
//!   the only defaults; a front end that leaves a field alone gets them.
//! - **Validation**: `validate()` (also called by `run`) refuses bad values with
//!   [`Error::InvalidField`], whose `field` is the request's
//!   field name (`start_ns`, `in_flight`...), never a command-line flag. The command-line
//!   tool re-words field names as its flags with one table; Python keyword arguments and C
//!   setters use the field names themselves.
//! - **Text values**: what a user types (a layout, a selection, a time, an encoding...) is
//!   parsed with the type's `FromStr` through [`parse_field`], so every front end gives the
//!   same error for the same text.
//! - **Windows**: [`Window`] names the three window rules (open-ended, up to now, both or
//!   neither); times are `i64` ns since 1970-01-01 UTC, end exclusive.
//! - **Control**: [`Control`] carries a cancellation flag and a progress callback; there is
//!   one `run(&self, &Control)` per request.
//! - **Results**: typed structs (`ScanReport`...) that implement `serde::Serialize` as the
//!   JSON documents of `docs/scan-json.md` and the other `docs/*.md`.
//! - **Catalogues**: [`IndexRequest`] creates its catalogue when missing; every other
//!   operation on a catalogue ([`StatsRequest`], [`ReportRequest`], [`ReportDataRequest`],
//!   [`MigrateRequest`], [`BackupRequest`], [`CheckRequest`]) needs an existing one
//!   ([`crate::index::Catalogue::exists`], the one rule) and creates nothing.
//!
//! ```
//! # fn main() -> siqaco::Result<()> {
//! # let dir = tempfile::tempdir().unwrap();
//! # let root = dir.path();
//! use siqaco::ops::{Control, ScanRequest};
//! let mut request = ScanRequest::new([root]);
//! request.analysis.select = vec!["IU.ANMO.*.BH?".parse()?];
//! request.analysis.min_gap_s = Some(1.0);
//! let report = request.run(&Control::new())?;
//! assert_eq!(report.files, 0);
//! let json = serde_json::to_string(&report).unwrap();
//! assert!(json.starts_with('{'));
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "sqlite")]
mod catalogue;
mod control;
mod distributed;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub mod fdsnws;
#[cfg(feature = "fdsn")]
mod fetch;
#[cfg(feature = "update")]
mod import;
mod merge;
mod names;
#[cfg(feature = "fdsn")]
mod qc;
mod repair;
#[cfg(all(feature = "plot", feature = "sqlite"))]
mod report;
mod scan;
#[cfg(feature = "sqlite")]
mod serve;
#[cfg(feature = "update")]
mod update;
#[cfg(feature = "watch")]
mod watch;
mod window;

#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use catalogue::{
    BackupReport, BackupRequest, CheckRequest, IndexRequest, MigrateReport, MigrateRequest,
    StatsRequest,
};
pub use control::{Control, Progress};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use distributed::IndexWriter;
pub use distributed::{decode, encode, partition};
#[cfg(feature = "fdsn")]
#[cfg_attr(docsrs, doc(cfg(feature = "fdsn")))]
pub use fetch::{ArchiveFetch, FetchRequest};
#[cfg(feature = "update")]
#[cfg_attr(docsrs, doc(cfg(feature = "update")))]
pub use import::{ImportMorumottoRequest, ImportSeiscompRequest, DEFAULT_CATALOGUE};
pub use merge::MergeRequest;
#[cfg(feature = "fdsn")]
#[cfg_attr(docsrs, doc(cfg(feature = "fdsn")))]
pub use qc::QcRequest;
pub use repair::RepairRequest;
#[cfg(all(feature = "plot", feature = "sqlite"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "plot", feature = "sqlite"))))]
pub use report::{ReportDataRequest, ReportOutput, ReportRequest};
pub use scan::{AnalysisRequest, ReadRequest, ScanRequest, StreamsRequest};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use serve::ServeSettings;
#[cfg(feature = "update")]
#[cfg_attr(docsrs, doc(cfg(feature = "update")))]
pub use update::{
    ListedRequest, RequestCreateRequest, StackCancelRequest, StackListRequest, StackRetryRequest,
    StackRunRequest, UpdateConfig, UpdateRequest,
};
#[cfg(feature = "watch")]
#[cfg_attr(docsrs, doc(cfg(feature = "watch")))]
pub use watch::{WatchReport, WatchRequest};
pub use window::Window;

pub(crate) use names::one_of;

use crate::error::{Error, Result};

/// Parses the text a user gave for the request field `field` with `T`'s `FromStr`, tagging
/// a refusal with the field: an [`Error::InvalidArgument`] becomes
/// [`Error::InvalidField`] naming `field` (other kinds, such as
/// [`Error::InvalidCode`], keep their kind).
///
/// # Errors
/// As `T::from_str`, in the field's terms.
///
/// ```
/// use siqaco::archive::Layout;
/// let e = siqaco::ops::parse_field::<Layout>("layout", "nonsense").unwrap_err();
/// assert_eq!(e.field_name(), Some("layout"));
/// ```
pub fn parse_field<T>(field: &str, text: &str) -> Result<T>
where
    T: std::str::FromStr<Err = Error>,
{
    text.parse::<T>().map_err(|e| e.in_field(field))
}

/// [`parse_field`] for each text of a repeated field (a selection, a list of files...).
///
/// # Errors
/// As [`parse_field`], for the first text refused.
pub fn parse_fields<T, S>(field: &str, texts: &[S]) -> Result<Vec<T>>
where
    T: std::str::FromStr<Err = Error>,
    S: AsRef<str>,
{
    texts
        .iter()
        .map(|t| parse_field(field, t.as_ref()))
        .collect()
}

/// A time given as text for the field `field` ([`crate::time::parse_time`]), in ns.
///
/// # Errors
/// [`Error::InvalidField`] naming `field` when the text is not a time.
pub fn parse_time_field(field: &str, text: &str) -> Result<i64> {
    crate::time::parse_time(text).map_err(|e| e.in_field(field))
}

/// `Err(`[`Error::InvalidField`]`)` for `field` unless `ok`.
pub(crate) fn require(ok: bool, field: &str, message: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::field(field, message()))
    }
}

/// Checks an optional worker-thread count: at least 1 when given.
pub(crate) fn check_threads(field: &str, threads: Option<usize>) -> Result<()> {
    require(threads != Some(0), field, || "must be at least 1".into())
}

/// Checks an optional number of seconds: finite and not negative when given.
pub(crate) fn check_seconds(field: &str, seconds: Option<f64>) -> Result<()> {
    require(
        seconds.is_none_or(|s| s.is_finite() && s >= 0.0),
        field,
        || "must be a number of seconds >= 0".into(),
    )
}
