//! # siqaco
//!
//! Keep seismic waveform archives complete and correct: scan miniSEED archives for gaps,
//! overlaps and availability, index them, fetch what is missing, merge it in at sample level
//! and check data against StationXML metadata.
//!
//! Times are `i64` nanoseconds since 1970-01-01 UTC ([`time`]); streams are identified by
//! [`sid::Nslc`]; the one definition of gaps, overlaps and availability is in [`gaps`] and
//! `docs/gaps.md`.

pub mod archive;
pub mod codec;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod gaps;
pub mod index;
pub(crate) mod interval;
pub mod merge;
pub mod ops;
pub mod plot;
pub mod qc;
pub mod read;
pub mod record;
pub mod report;
pub mod scan;
pub mod segment;
pub mod sid;
pub mod source;
pub mod stationxml;
pub mod testing;
pub mod time;
pub mod update;

pub use error::{Error, ErrorKind, Result};
pub use sid::{Nslc, NslcGlob};

/// Whether the cancellation flag of a long call (the `cancel` field of [`scan::ScanOptions`],
/// [`read::ReadOptions`], [`index::IndexOptions`], [`qc::QcOptions`],
/// [`update::UpdateOptions`], the `cancel` argument of
/// [`merge::apply::merge_into_cancellable`]...) has been set by another thread.
pub(crate) fn is_cancelled(cancel: Option<&std::sync::atomic::AtomicBool>) -> bool {
    cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
}
