//! Quality control: data against StationXML metadata, and data against the archive's rules.
//!
//! [`qc_archive`] (or [`qc_files`]) reads the record headers of an archive once, in
//! parallel, and returns a [`QcReport`]: a list of [`Finding`]s, each with a stable
//! [`Check`] code, a [`Severity`], the stream and times concerned and a message, plus
//! per-stream, per-UTC-day summaries ([`DayQc`]): availability (plain and bounded by the
//! metadata epochs, MUSTANG `ts_percent_availability`), timing quality and miniSEED header
//! flag counts with the names of ObsPy's `MSEEDMetadata`. The full list of checks, with
//! severities and rule sources, is in `docs/qc.md`; in short:
//!
//! | code | severity | rule (source) |
//! |---|---|---|
//! | `duplicated_data` | warning (identical payload) / error (different payload) | two records of a stream with the same start, sample count and rate (Squirrel p1) |
//! | `overlapping_epochs` | error | two epochs of one channel overlap in time (Squirrel p2, EIDA #64/#191) |
//! | `invalid_epoch` | error | an epoch ending before it starts, or a `SampleRate` that is not a finite number >= 0 (schema-valid, read by ObsPy) |
//! | `metadata_without_data` | warning | an epoch (cut to the window) with no data (Squirrel p3) |
//! | `data_without_metadata` | error | a stream with data and no epoch at all (Squirrel p4) |
//! | `multiple_epochs` | error | data inside two or more epochs at once (Squirrel p5) |
//! | `sample_rate_mismatch` | error | data rate differs from the epoch's rate by more than 1 % (MUSTANG `sample_rate_channel`, Squirrel p6) |
//! | `data_outside_epochs` | error | data before the first epoch, after the last, or between epochs (Squirrel p7) |
//! | `header_path_mismatch` | error | record codes differ from the codes in the file name (SDS/BUD) |
//! | `record_format` | warning | record length, encoding or header byte order differs from [`QcRules`] |
//! | `band_code_rate` | warning | the channel's band code does not allow its sample rate (SEED manual, appendix A) |
//! | `timing_quality` | warning | a day's lowest blockette 1001 timing quality is below [`QcRules::min_timing_quality`] |
//!
//! Coverage, segments and per-day availability come from [`crate::gaps::analyze`] and
//! [`crate::gaps::covered_ns`]: the coverage rule is not written twice.
//!
//! **Aggregation and cost**: one finding per stream and check (per file and value for the
//! file-level checks), with a [`Finding::count`] and the first [`MAX_EXAMPLES`]
//! [`Finding::examples`], never one per pair compared. Every comparison of epochs with
//! epochs, segments or traces is a sorted sweep or a binary search, O(n log n) per stream
//! however many pairs overlap (2 000 copies of one epoch: one finding, count 1 999 000).
//! Header values are not trusted: a record whose times fall outside [`QC_TIME_RANGE_NS`]
//! is listed among the errors, and no index or loop depends on a rate or count without
//! that bound.
//!
//! **Duplicates** are decided on headers: a record whose start time, sample count and
//! sample rate equal those of another record of the same stream holds the same samples a
//! second time. When the data payloads (bytes after the header) are byte-identical too the
//! finding is a warning (a harmless copy, removed by a merge); when they differ it is an
//! error (two versions of the same samples). Overlaps that are not record-identical (for
//! example data repacked with other record boundaries) are not duplicates here: `siqaco
//! scan` reports them as overlaps. Memory: 48 bytes per data record read.

use crate::archive::{Archive, ArchiveFile};
use crate::error::{Error, Result};
use crate::gaps::{analyze, covered_ns, AnalysisOptions, Segment};
use crate::interval::{intersect, union};
use crate::record::{ByteOrder, HeaderFlags, RecordHeader, RecordScanner, ScanItem};
use crate::scan::FileError;
use crate::segment::{Piece, Tolerance, TraceBuilder};
use crate::sid::{selected, Nslc, NslcGlob};
use crate::stationxml::{Channel, Inventory};
use crate::time::{
    day_floor, format_time, half_period_ns, ns_to_s, period_ns, NS_PER_DAY, NS_PER_S,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// Probably a problem; data can still be used.
    Warning,
    /// Data or metadata is wrong or cannot be used as it is.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The checks, each with a stable lower-case code (see `docs/qc.md`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum Check {
    /// The same samples twice: records with equal start, sample count and rate.
    DuplicatedData,
    /// Two epochs of one channel overlap in time.
    OverlappingEpochs,
    /// An epoch that cannot be used as it is: it ends before it starts, or its sample rate
    /// is not a finite number >= 0.
    InvalidEpoch,
    /// A metadata epoch (cut to the window) with no data.
    MetadataWithoutData,
    /// Data of a stream that has no metadata epoch at all.
    DataWithoutMetadata,
    /// Data matched by more than one epoch.
    MultipleEpochs,
    /// Data sample rate differs from the metadata rate by more than 1 %.
    SampleRateMismatch,
    /// Data not covered by the stream's epochs (before, after or between them).
    DataOutsideEpochs,
    /// Record codes that differ from the codes in the file's name.
    HeaderPathMismatch,
    /// Record length, encoding or byte order that differs from the archive's rules.
    RecordFormat,
    /// A band code that does not allow the stream's sample rate.
    BandCodeRate,
    /// Timing quality below the archive's threshold.
    TimingQuality,
}

impl Check {
    /// Every check, in documentation order.
    pub const ALL: [Check; 12] = [
        Check::DuplicatedData,
        Check::OverlappingEpochs,
        Check::InvalidEpoch,
        Check::MetadataWithoutData,
        Check::DataWithoutMetadata,
        Check::MultipleEpochs,
        Check::SampleRateMismatch,
        Check::DataOutsideEpochs,
        Check::HeaderPathMismatch,
        Check::RecordFormat,
        Check::BandCodeRate,
        Check::TimingQuality,
    ];

    /// The stable code, e.g. `data_outside_epochs`.
    pub fn code(self) -> &'static str {
        match self {
            Check::DuplicatedData => "duplicated_data",
            Check::OverlappingEpochs => "overlapping_epochs",
            Check::InvalidEpoch => "invalid_epoch",
            Check::MetadataWithoutData => "metadata_without_data",
            Check::DataWithoutMetadata => "data_without_metadata",
            Check::MultipleEpochs => "multiple_epochs",
            Check::SampleRateMismatch => "sample_rate_mismatch",
            Check::DataOutsideEpochs => "data_outside_epochs",
            Check::HeaderPathMismatch => "header_path_mismatch",
            Check::RecordFormat => "record_format",
            Check::BandCodeRate => "band_code_rate",
            Check::TimingQuality => "timing_quality",
        }
    }
}

/// One problem found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Which check.
    pub check: Check,
    /// How serious.
    pub severity: Severity,
    /// The stream concerned (for file-level checks: the codes in the records).
    pub nslc: Nslc,
    /// Start of the time concerned, ns since 1970 UTC (`None`: not time-bound, or an
    /// epoch without start).
    pub start_ns: Option<i64>,
    /// End of the time concerned, ns, exclusive (`None`: open or not time-bound).
    pub end_ns: Option<i64>,
    /// The file concerned (relative to the archive root), for file-level checks.
    pub path: Option<String>,
    /// How many instances the finding stands for: records, segments, traces, epochs or
    /// pairs of epochs, as `docs/qc.md` says for each check. Findings are aggregated (one
    /// per stream and check, or per file and value for file-level checks), never one per
    /// pair compared.
    pub count: u64,
    /// A readable explanation with the values compared.
    pub message: String,
    /// The first instances (at most [`MAX_EXAMPLES`]), one readable line each, for example
    /// the first overlapping pairs of epochs; empty when the message says it all.
    pub examples: Vec<String>,
}

/// The most examples a [`Finding`] keeps.
pub const MAX_EXAMPLES: usize = 5;

/// The archive's own rules. `None` fields are not checked.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct QcRules {
    /// Expected record length in bytes (miniSEED 2; miniSEED 3 records have variable
    /// length and are not checked).
    pub record_length: Option<usize>,
    /// Expected FDSN encoding code (10 Steim1, 11 Steim2, 3 int32...).
    pub encoding: Option<u8>,
    /// Expected header byte order (miniSEED 2; v3 headers are always little-endian).
    pub byte_order: Option<ByteOrder>,
    /// Lowest acceptable blockette 1001 timing quality, percent.
    pub min_timing_quality: Option<u8>,
    /// Relative sample-rate tolerance against metadata; default 0.01 (MUSTANG
    /// `sample_rate_channel`: rates agree within 1 %).
    pub rate_tolerance: f64,
}

impl Default for QcRules {
    fn default() -> Self {
        QcRules {
            record_length: None,
            encoding: None,
            byte_order: None,
            min_timing_quality: None,
            rate_tolerance: 0.01,
        }
    }
}

impl QcRules {
    /// Checks the values.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for the field `rate_tolerance` when it is negative or NaN.
    pub fn validate(&self) -> Result<()> {
        if self.rate_tolerance.is_nan() || self.rate_tolerance < 0.0 {
            return Err(Error::field("rate_tolerance", "must be >= 0"));
        }
        Ok(())
    }
}

impl std::str::FromStr for ByteOrder {
    type Err = Error;

    /// Parses a header byte order a user types: `big` or `little` (any case; the
    /// `byte_order` field of [`crate::ops::QcRequest`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    fn from_str(s: &str) -> Result<Self> {
        crate::ops::one_of(s, &[("big", ByteOrder::Big), ("little", ByteOrder::Little)])
    }
}

/// What to check and how (the lower level of [`crate::ops::QcRequest`]).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct QcOptions {
    /// Streams to check (empty = all), for data and metadata alike.
    pub selection: Vec<NslcGlob>,
    /// Window `[start_ns, end_ns)`: only data and epochs intersecting it are checked, and
    /// per-day summaries cover every day of it.
    pub window: Option<(i64, i64)>,
    /// Time and rate tolerances used to build traces and segments (as `siqaco scan`).
    pub tolerance: Tolerance,
    /// The archive's rules.
    pub rules: QcRules,
    /// Worker threads (`None` = all cores).
    pub threads: Option<usize>,
    /// Cancellation flag: once it is set, the files not yet started and the streams not yet
    /// checked are skipped and the (partial) report is returned; the caller knows it
    /// cancelled.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Names of the v2 activity flags (field 12), bit 0 first, as ObsPy's `MSEEDMetadata`
/// `miniseed_header_counts.activity_flags`.
pub const ACTIVITY_FLAGS: [&str; 7] = [
    "calibration_signal",
    "time_correction_applied",
    "event_begin",
    "event_end",
    "positive_leap",
    "negative_leap",
    "event_in_progress",
];

/// Names of the v2 I/O and clock flags (field 13), bit 0 first (ObsPy
/// `io_and_clock_flags`).
pub const IO_AND_CLOCK_FLAGS: [&str; 6] = [
    "station_volume",
    "long_record_read",
    "short_record_read",
    "start_time_series",
    "end_time_series",
    "clock_locked",
];

/// Names of the v2 data quality flags (field 14), bit 0 first (ObsPy
/// `data_quality_flags`).
pub const DATA_QUALITY_FLAGS: [&str; 8] = [
    "amplifier_saturation",
    "digitizer_clipping",
    "spikes",
    "glitches",
    "missing_padded_data",
    "telemetry_sync_error",
    "digital_filter_charging",
    "suspect_time_tag",
];

/// Numbers of records with each header flag set (ObsPy `miniseed_header_counts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderCounts {
    /// Per [`ACTIVITY_FLAGS`] name.
    pub activity_flags: [u64; 7],
    /// Per [`IO_AND_CLOCK_FLAGS`] name.
    pub io_and_clock_flags: [u64; 6],
    /// Per [`DATA_QUALITY_FLAGS`] name.
    pub data_quality_flags: [u64; 8],
    /// Records with a non-zero time correction field (ObsPy `timing_correction`).
    pub timing_correction: u64,
}

impl HeaderCounts {
    fn add(&mut self, f: &HeaderFlags) {
        for (i, c) in self.activity_flags.iter_mut().enumerate() {
            *c += u64::from(f.activity >> i & 1);
        }
        for (i, c) in self.io_and_clock_flags.iter_mut().enumerate() {
            *c += u64::from(f.io_clock >> i & 1);
        }
        for (i, c) in self.data_quality_flags.iter_mut().enumerate() {
            *c += u64::from(f.data_quality >> i & 1);
        }
        self.timing_correction += u64::from(f.time_correction);
    }
}

/// Percent of a day's time (cut to the window) covered by records with each header flag
/// set (ObsPy `miniseed_header_percentages`, computed as its `get_flags` does: records cut
/// to the day, taken by decreasing end time, a record's time counted once — where records
/// overlap, the one ending later wins).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeaderPercentages {
    /// Per [`ACTIVITY_FLAGS`] name.
    pub activity_flags: [f64; 7],
    /// Per [`IO_AND_CLOCK_FLAGS`] name.
    pub io_and_clock_flags: [f64; 6],
    /// Per [`DATA_QUALITY_FLAGS`] name.
    pub data_quality_flags: [f64; 8],
    /// Time of records with a time correction.
    pub timing_correction: f64,
}

/// Flag counts, percentages and timing quality of one day from the records meeting it.
struct DayFlags {
    counts: HeaderCounts,
    percentages: HeaderPercentages,
    /// Timing qualities of the records whose time counted (sorted).
    tq: Vec<f64>,
}

/// ObsPy's `obspy.io.mseed.util.get_flags(files, starttime=a, endtime=b)` (1.5) on the
/// records of one stream: records whose coverage meets `[a, b)` are counted, cut to it,
/// sorted by decreasing end (ties: the later record in the input first) and taken while
/// they reach before the time already covered (within half a sample period), their end
/// cut to it; the time of each taken record is added to every flag it has.
fn day_flags(recs: &[FlagRec], a: i64, b: i64) -> DayFlags {
    let mut counts = HeaderCounts::default();
    let mut v: Vec<FlagRec> = Vec::new();
    for r in recs {
        if r.end_ns <= a || r.start_ns >= b {
            continue;
        }
        counts.add(&r.flags);
        v.push(FlagRec {
            start_ns: r.start_ns.max(a),
            end_ns: r.end_ns.min(b),
            ..*r
        });
    }
    v.sort_by_key(|r| std::cmp::Reverse((r.end_ns, r.file, r.offset)));
    let mut secs = HeaderPercentages::default();
    let mut tq = Vec::new();
    let mut covered_from: Option<i64> = None;
    for mut r in v {
        match covered_from {
            None => covered_from = Some(r.start_ns),
            Some(c) => {
                if r.start_ns >= c {
                    continue;
                }
                if r.end_ns > c.saturating_sub(r.half_ns) {
                    r.end_ns = c;
                }
                covered_from = Some(c.min(r.start_ns));
            }
        }
        let len = r.end_ns - r.start_ns;
        if len <= 0 {
            continue;
        }
        let t = len as f64;
        let f = &r.flags;
        for (i, x) in secs.activity_flags.iter_mut().enumerate() {
            if f.activity >> i & 1 == 1 {
                *x += t;
            }
        }
        for (i, x) in secs.io_and_clock_flags.iter_mut().enumerate() {
            if f.io_clock >> i & 1 == 1 {
                *x += t;
            }
        }
        for (i, x) in secs.data_quality_flags.iter_mut().enumerate() {
            if f.data_quality >> i & 1 == 1 {
                *x += t;
            }
        }
        if f.time_correction {
            secs.timing_correction += t;
        }
        if let Some(q) = f.timing_quality {
            tq.push(f64::from(q));
        }
    }
    let total = (b - a) as f64 / 100.0;
    let pct = |x: &mut f64| *x /= total;
    secs.activity_flags.iter_mut().for_each(pct);
    secs.io_and_clock_flags.iter_mut().for_each(pct);
    secs.data_quality_flags.iter_mut().for_each(pct);
    pct(&mut secs.timing_correction);
    tq.sort_by(f64::total_cmp);
    DayFlags {
        counts,
        percentages: secs,
        tq,
    }
}

/// The `p`-quantile (0–1) of sorted values with linear interpolation (numpy's default
/// `percentile`).
fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let pos = p * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// Summary of one stream for one UTC day `[00:00, next 00:00)` cut to the window.
#[derive(Clone, Debug, PartialEq)]
pub struct DayQc {
    /// 00:00 of the day, ns.
    pub day_start_ns: i64,
    /// Data records starting in the day.
    pub records: u64,
    /// Plain availability of the day (cut to the window), percent
    /// ([`crate::gaps::DayStats::percent_availability`]); 0 without data.
    pub percent_availability: f64,
    /// Seconds of the day (cut to the window) inside the stream's metadata epochs: the
    /// denominator of `ts_percent_availability`.
    pub epoch_s: f64,
    /// Availability with the denominator cut to the metadata epochs (MUSTANG
    /// `ts_percent_availability`), percent; `None` when no epoch touches the day.
    pub ts_percent_availability: Option<f64>,
    /// Mean timing quality (blockette 1001, v3 `FDSN.Time.Quality`), percent, of the
    /// records whose time counts in [`HeaderPercentages`] (`None` when none has one).
    /// ObsPy gives no statistics unless every such record has one; where they all do,
    /// the values are ObsPy's.
    pub timing_quality_mean: Option<f64>,
    /// Lowest timing quality.
    pub timing_quality_min: Option<u8>,
    /// Highest timing quality.
    pub timing_quality_max: Option<u8>,
    /// Median timing quality (numpy `median`).
    pub timing_quality_median: Option<f64>,
    /// First quartile (numpy `percentile(…, 25)`, linear interpolation).
    pub timing_quality_lower_quartile: Option<f64>,
    /// Third quartile (numpy `percentile(…, 75)`).
    pub timing_quality_upper_quartile: Option<f64>,
    /// Records with a timing quality among them.
    pub timing_quality_records: u64,
    /// Header flag counts of the data records meeting the day (cut to the window), as
    /// ObsPy's `miniseed_header_counts` (a record crossing midnight counts in both days).
    pub header_counts: HeaderCounts,
    /// Percent of the day's time with each flag (ObsPy `miniseed_header_percentages`).
    pub header_percentages: HeaderPercentages,
}

/// Summary of one stream (with data or with metadata in the window).
#[derive(Clone, Debug, PartialEq)]
pub struct StreamQc {
    /// The stream.
    pub nslc: Nslc,
    /// Data records used.
    pub records: u64,
    /// Metadata epochs of the stream intersecting the window.
    pub epochs: usize,
    /// Distinct sample rates in the data, Hz.
    pub sample_rates_hz: Vec<f64>,
    /// Per-day summaries: every day of the window (clamped to now for streams without
    /// data), or without a window the days touched by data.
    pub days: Vec<DayQc>,
}

/// The result of a QC run.
#[derive(Clone, Debug, Default)]
pub struct QcReport {
    /// Findings, sorted by stream, check, start time and path.
    pub findings: Vec<Finding>,
    /// Streams, sorted by N.S.L.C.
    pub streams: Vec<StreamQc>,
    /// Files that could not be read completely (as `siqaco scan`).
    pub errors: Vec<FileError>,
    /// Files read.
    pub files: u64,
    /// Records read (data and non-data).
    pub records: u64,
    /// The window, if any.
    pub window: Option<(i64, i64)>,
}

/// A QC report serialises as its JSON document ([`crate::report::qc_json`], `docs/qc.md`;
/// the output of `siqaco qc --format json`).
impl serde::Serialize for QcReport {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        crate::report::qc_json(self).serialize(serializer)
    }
}

impl QcReport {
    /// The worst severity among the findings (`None` without findings): the rule of the
    /// `worst_severity` of the JSON document and of the exit status of `siqaco qc`.
    pub fn worst_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Number of findings of a check.
    pub fn count(&self, check: Check) -> usize {
        self.findings.iter().filter(|f| f.check == check).count()
    }
}

/// Checks the files of `archive` selected by `opts` against `inventory` and the rules.
///
/// # Errors
/// Only when the archive cannot be listed; unreadable files are reported in
/// [`QcReport::errors`].
pub fn qc_archive(archive: &Archive, inventory: &Inventory, opts: &QcOptions) -> Result<QcReport> {
    let files = archive.list_files(&opts.selection, opts.window)?;
    Ok(qc_files(&files, inventory, opts))
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/// One data record, for duplicate detection. Serialised as a tuple (no field names: a
/// [`QcPartial`] holds one per record).
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
#[serde(into = "RecKeyTuple", from = "RecKeyTuple")]
struct RecKey {
    start_ns: i64,
    count: i64,
    rate_bits: u64,
    end_ns: i64,
    payload_hash: u64,
    file: u32,
}

/// [`RecKey`]'s fields in order.
type RecKeyTuple = (i64, i64, u64, i64, u64, u32);

impl From<RecKey> for RecKeyTuple {
    fn from(r: RecKey) -> Self {
        (
            r.start_ns,
            r.count,
            r.rate_bits,
            r.end_ns,
            r.payload_hash,
            r.file,
        )
    }
}

impl From<RecKeyTuple> for RecKey {
    fn from((start_ns, count, rate_bits, end_ns, payload_hash, file): RecKeyTuple) -> Self {
        RecKey {
            start_ns,
            count,
            rate_bits,
            end_ns,
            payload_hash,
            file,
        }
    }
}

/// [`FlagRec`]'s fields in order, its flags' fields in order.
type FlagRecTuple = (i64, i64, i64, u32, u64, (u8, u8, u8, Option<u8>, bool));

impl From<FlagRec> for FlagRecTuple {
    fn from(r: FlagRec) -> Self {
        let f = r.flags;
        let flags = (
            f.activity,
            f.io_clock,
            f.data_quality,
            f.timing_quality,
            f.time_correction,
        );
        (r.start_ns, r.end_ns, r.half_ns, r.file, r.offset, flags)
    }
}

impl From<FlagRecTuple> for FlagRec {
    fn from((start_ns, end_ns, half_ns, file, offset, f): FlagRecTuple) -> Self {
        FlagRec {
            start_ns,
            end_ns,
            half_ns,
            file,
            offset,
            flags: HeaderFlags {
                activity: f.0,
                io_clock: f.1,
                data_quality: f.2,
                timing_quality: f.3,
                time_correction: f.4,
            },
        }
    }
}

/// One data record's span and header flags, kept for the per-day summaries. Serialised as
/// a tuple, as [`RecKey`].
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
#[serde(into = "FlagRecTuple", from = "FlagRecTuple")]
struct FlagRec {
    start_ns: i64,
    /// End of coverage (last sample + one period), as ObsPy's `get_flags` takes it.
    end_ns: i64,
    /// Half a sample period: ObsPy's tolerance when cutting overlaps.
    half_ns: i64,
    /// File index and byte offset: the record's place in the input (ties break on it).
    file: u32,
    offset: u64,
    flags: HeaderFlags,
}

#[derive(Default)]
struct StreamAcc {
    tb: TraceBuilder,
    records: u64,
    recs: Vec<RecKey>,
    /// Data records starting in each day.
    days: BTreeMap<i64, u64>,
    flags: Vec<FlagRec>,
}

/// A file-level finding being counted: (file index, check, detail) → (count, first
/// offset, codes).
type FileKey = (u32, Check, String);

/// A file-level finding's count, first offset, stream and time span.
type FileCount = (u64, u64, Nslc, i64, i64);

#[derive(Default)]
struct Acc {
    streams: HashMap<Nslc, StreamAcc>,
    file_findings: HashMap<FileKey, FileCount>,
    errors: Vec<FileError>,
    files: u64,
    records: u64,
}

impl Acc {
    fn merge(mut self, other: Acc, tol: &Tolerance) -> Acc {
        for (k, s) in other.streams {
            let e = self.streams.entry(k).or_default();
            e.tb.merge(s.tb, tol);
            e.records += s.records;
            e.recs.extend(s.recs);
            e.flags.extend(s.flags);
            for (d, n) in s.days {
                *e.days.entry(d).or_default() += n;
            }
        }
        for (k, v) in other.file_findings {
            match self.file_findings.entry(k) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(v);
                }
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    let w = e.get_mut();
                    w.0 += v.0;
                    w.1 = w.1.min(v.1);
                    w.3 = w.3.min(v.3);
                    w.4 = w.4.max(v.4);
                }
            }
        }
        self.errors.extend(other.errors);
        self.files += other.files;
        self.records += other.records;
        self
    }
}

fn payload_hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// The times QC computes with, ns since 1970: 1678-01-01 to 2262-01-01 UTC, inside the
/// range of `i64` nanoseconds (1677-09-21 to 2262-04-11) with room for a day of arithmetic.
pub const QC_TIME_RANGE_NS: (i64, i64) = (-9_214_560_000_000_000_000, 9_214_646_400_000_000_000);

/// Why QC cannot check a record, if it cannot: its start, or the end of its samples
/// (start + sample count / sample rate; one period for a record with a rate and no
/// samples), lies outside [`QC_TIME_RANGE_NS`]. No real record is there; a header that
/// says so (a rate of 1e-9 Hz, a corrupted year) would otherwise overflow the per-day
/// arithmetic. Such a record is listed among the errors.
fn outside_time_range(h: &RecordHeader<'_>) -> Option<String> {
    let (lo, hi) = QC_TIME_RANGE_NS;
    let rate = h.sample_rate_hz;
    let extent_ns = if rate > 0.0 {
        h.sample_count.max(1) as f64 * NS_PER_S as f64 / rate
    } else {
        0.0
    };
    let end = h.start_ns as f64 + extent_ns;
    if h.start_ns >= lo && end < hi as f64 {
        return None;
    }
    Some(format!(
        "record start {} with {} sample(s) at {} Hz lies outside the times QC can \
         represent (1678-01-01 to 2262-01-01): not checked",
        format_time(h.start_ns),
        h.sample_count,
        fmt_rate(rate)
    ))
}

fn read_one(idx: u32, file: &ArchiveFile, opts: &QcOptions, acc: &mut Acc) {
    let buf = match crate::archive::read_aligned(&file.path) {
        Ok(b) => b,
        Err(e) => {
            acc.errors.push(FileError {
                path: file.rel_path.clone(),
                offset: None,
                message: format!("cannot read file: {e}"),
            });
            return;
        }
    };
    acc.files += 1;
    if buf.is_empty() {
        acc.errors.push(FileError {
            path: file.rel_path.clone(),
            offset: Some(0),
            message: "empty file: no miniSEED record".into(),
        });
        return;
    }
    let tol = opts.tolerance;
    let rules = &opts.rules;
    let mut codes: HashMap<(u8, &[u8]), Option<Nslc>> = HashMap::new();
    for item in RecordScanner::new(&buf) {
        let (offset, h) = match item {
            ScanItem::Invalid {
                offset, message, ..
            } => {
                acc.errors.push(FileError {
                    path: file.rel_path.clone(),
                    offset: Some(offset),
                    message,
                });
                continue;
            }
            ScanItem::Record { offset, header } => (offset, header),
        };
        if let Some(message) = outside_time_range(&h) {
            acc.errors.push(FileError {
                path: file.rel_path.clone(),
                offset: Some(offset),
                message,
            });
            continue;
        }
        acc.records += 1;
        let Some(nslc) = codes
            .entry((h.format_version, h.stream_key()))
            .or_insert_with(|| {
                let n = h.nslc();
                selected(&opts.selection, &n).then_some(n)
            })
            .clone()
        else {
            continue;
        };
        let end = h.coverage_end_ns();
        if let Some((ws, we)) = opts.window {
            if end.max(h.start_ns + 1) <= ws || h.start_ns >= we {
                continue;
            }
        }
        let mut file_finding = |check: Check, detail: String| {
            let e = acc.file_findings.entry((idx, check, detail)).or_insert((
                0,
                offset,
                nslc.clone(),
                h.start_ns,
                end,
            ));
            e.0 += 1;
            e.3 = e.3.min(h.start_ns);
            e.4 = e.4.max(end);
        };
        if let Some(expected) = &file.nslc {
            if *expected != nslc {
                file_finding(
                    Check::HeaderPathMismatch,
                    format!("file name says {expected}, records say {nslc}"),
                );
            }
        }
        // Header flags of every record with a sample rate, data or not, as ObsPy's
        // `get_flags` takes them: a record without samples spans one sample period (its
        // end time is its start time, plus the period ObsPy adds to every record).
        if h.sample_rate_hz > 0.0 {
            acc.streams
                .entry(nslc.clone())
                .or_default()
                .flags
                .push(FlagRec {
                    start_ns: h.start_ns,
                    end_ns: if h.sample_count > 0 {
                        end
                    } else {
                        h.start_ns
                            .saturating_add(period_ns(h.sample_rate_hz).round() as i64)
                    },
                    half_ns: half_period_ns(h.sample_rate_hz),
                    file: idx,
                    offset,
                    flags: h.flags(),
                });
        }
        if !h.is_data() {
            continue;
        }
        if h.format_version == 2 {
            if let Some(len) = rules.record_length {
                if h.record_length != len {
                    file_finding(
                        Check::RecordFormat,
                        format!("record length {} bytes, expected {len}", h.record_length),
                    );
                }
            }
            if let Some(bo) = rules.byte_order {
                if h.header_byte_order != bo {
                    file_finding(
                        Check::RecordFormat,
                        format!(
                            "header byte order {:?}, expected {bo:?}",
                            h.header_byte_order
                        ),
                    );
                }
            }
        }
        if let Some(enc) = rules.encoding {
            if h.encoding != enc {
                file_finding(
                    Check::RecordFormat,
                    format!("encoding {}, expected {enc}", h.encoding),
                );
            }
        }
        let s = acc.streams.entry(nslc).or_default();
        s.records += 1;
        s.tb.push(
            Piece {
                start_ns: h.start_ns,
                last_sample_ns: h.end_ns(),
                end_ns: end,
                sample_rate_hz: h.sample_rate_hz,
                samples: h.sample_count,
            },
            &tol,
        );
        let payload = h.raw.get(h.data_offset..).unwrap_or(&[]);
        s.recs.push(RecKey {
            start_ns: h.start_ns,
            count: h.sample_count,
            rate_bits: h.sample_rate_hz.to_bits(),
            end_ns: end,
            payload_hash: payload_hash(payload),
            file: idx,
        });
        *s.days.entry(day_floor(h.start_ns)).or_default() += 1;
    }
    for nslc in codes.values().flatten() {
        if let Some(s) = acc.streams.get_mut(nslc) {
            s.tb.compact(&tol);
        }
    }
}

/// Reads the metadata to check against, from `spec`:
///
/// * `http://…` or `https://…`: an FDSN station web service (base URL or full service URL,
///   [`crate::source::fdsnws::station::query_inventory`]) asked at `level=response` for the
///   streams of `selection` (one query per glob; empty = everything) over `window`;
/// * a directory: every StationXML file in it, merged
///   ([`crate::stationxml::read_stationxml_dir`]);
/// * a file: one StationXML document ([`crate::stationxml::read_stationxml`]).
///
/// Metadata is read strictly: one unreadable document is an error (checking data against
/// part of the metadata would report the rest as `data_without_metadata`).
///
/// # Errors
/// [`crate::Error::StationXml`] naming the file or URL, line and column for a document that
/// is not StationXML; [`crate::Error::Io`] for a missing file; the HTTP errors of the
/// station client (refused request, retries exhausted) naming the URL.
#[cfg(feature = "fdsn")]
#[cfg_attr(docsrs, doc(cfg(feature = "fdsn")))]
pub fn load_metadata(
    spec: &str,
    selection: &[NslcGlob],
    window: Option<(i64, i64)>,
    fdsn: &crate::source::fdsnws::FdsnOptions,
) -> Result<Inventory> {
    if spec.starts_with("http://") || spec.starts_with("https://") {
        return crate::source::fdsnws::station::query_inventory(
            spec,
            selection,
            window.map(|w| w.0),
            window.map(|w| w.1),
            crate::source::fdsnws::station::StationLevel::Response,
            fdsn,
        );
    }
    crate::stationxml::read_stationxml_path(std::path::Path::new(spec))
}

/// Checks listed archive files (see [`qc_archive`]). The file-name codes of each
/// [`ArchiveFile::nslc`] are compared with its records' codes.
pub fn qc_files(files: &[ArchiveFile], inventory: &Inventory, opts: &QcOptions) -> QcReport {
    finish(accumulate(files, opts), files, inventory, opts)
}

/// The partial result of checking one group of an archive's files (a partition of a
/// distributed check, `siqaco.distributed.qc`): per stream its traces, record keys, record
/// flags and per-day record counts, the file-level findings being counted, the unreadable
/// parts and the counters — what [`qc_files`] gathers before it checks the streams against
/// the metadata. Header values only, never samples. [`combine`] checks the partials of
/// every group into the report of [`qc_files`] over all the files. Serialisable (serde).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct QcPartial {
    /// The group's files (`rel_path`), in order: the file numbers below are places here.
    paths: Vec<String>,
    /// Per stream: traces, data records, record keys, records per day, record flags.
    #[allow(clippy::type_complexity)]
    streams: Vec<(
        Nslc,
        Vec<Piece>,
        u64,
        Vec<RecKey>,
        Vec<(i64, u64)>,
        Vec<FlagRec>,
    )>,
    /// File-level findings being counted.
    file_findings: Vec<(FileKey, FileCount)>,
    errors: Vec<FileError>,
    files: u64,
    records: u64,
}

/// Reads `files` (one group of an archive's listed files) into a [`QcPartial`], with the
/// options of the whole check (no metadata needed: it is used by [`combine`]).
pub fn qc_partial(files: &[ArchiveFile], opts: &QcOptions) -> QcPartial {
    let acc = accumulate(files, opts);
    QcPartial {
        paths: files.iter().map(|f| f.rel_path.clone()).collect(),
        streams: acc
            .streams
            .into_iter()
            .map(|(nslc, s)| {
                let days = s.days.into_iter().collect();
                let traces = s.tb.finish(&opts.tolerance);
                (nslc, traces, s.records, s.recs, days, s.flags)
            })
            .collect(),
        file_findings: acc.file_findings.into_iter().collect(),
        errors: acc.errors,
        files: acc.files,
        records: acc.records,
    }
}

/// The report of a check from the partials of its groups ([`qc_partial`] over groups that
/// together hold each file of `files` once): equal to [`qc_files`] over `files` (the list
/// the groups were made from, in its order: file numbers, which break ties between records,
/// are places in it).
///
/// # Errors
/// [`crate::Error::InvalidField`] `partial` when a partial names a file not in `files`.
pub fn combine(
    files: &[ArchiveFile],
    partials: impl IntoIterator<Item = QcPartial>,
    inventory: &Inventory,
    opts: &QcOptions,
) -> Result<QcReport> {
    let place: HashMap<&str, u32> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.rel_path.as_str(), i as u32))
        .collect();
    let mut acc = Acc::default();
    for p in partials {
        let global = p
            .paths
            .iter()
            .map(|path| {
                place.get(path.as_str()).copied().ok_or_else(|| {
                    crate::Error::field("partial", format!("{path} is not a listed file"))
                })
            })
            .collect::<Result<Vec<u32>>>()?;
        let mut other = Acc {
            errors: p.errors,
            files: p.files,
            records: p.records,
            ..Acc::default()
        };
        for (nslc, traces, records, mut recs, days, mut flags) in p.streams {
            let mut tb = TraceBuilder::new();
            tb.extend(traces, &opts.tolerance);
            recs.iter_mut()
                .for_each(|r| r.file = global[r.file as usize]);
            flags
                .iter_mut()
                .for_each(|r| r.file = global[r.file as usize]);
            let s = StreamAcc {
                tb,
                records,
                recs,
                days: days.into_iter().collect(),
                flags,
            };
            other.streams.insert(nslc, s);
        }
        for ((file, check, detail), v) in p.file_findings {
            other
                .file_findings
                .insert((global[file as usize], check, detail), v);
        }
        acc = acc.merge(other, &opts.tolerance);
    }
    Ok(finish(acc, files, inventory, opts))
}

/// Reads `files` into one accumulator, in parallel; files are numbered by their place.
fn accumulate(files: &[ArchiveFile], opts: &QcOptions) -> Acc {
    let tol = opts.tolerance;
    let run = || {
        files
            .par_iter()
            .enumerate()
            .fold(Acc::default, |mut acc, (i, f)| {
                if !crate::is_cancelled(opts.cancel.as_deref()) {
                    read_one(i as u32, f, opts, &mut acc);
                }
                acc
            })
            .reduce(Acc::default, |a, b| a.merge(b, &tol))
    };
    crate::scan::in_pool(opts.threads, run)
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

/// An epoch as a half-open interval (absent start/end = unbounded).
fn span(c: &Channel) -> (i64, i64) {
    (c.start_ns.unwrap_or(i64::MIN), c.end_ns.unwrap_or(i64::MAX))
}

fn opt_bound(ns: i64) -> Option<i64> {
    (ns != i64::MIN && ns != i64::MAX).then_some(ns)
}

fn fmt_bound(ns: i64) -> String {
    match opt_bound(ns) {
        Some(t) => format_time(t),
        None if ns == i64::MIN => "the beginning".into(),
        None => "open end".into(),
    }
}

/// A sample rate as written by people (`200`, `0.05`), or in scientific notation when very
/// large or small (`1e15`), so that a hostile value gives a short message.
fn fmt_rate(r: f64) -> String {
    if r == 0.0 || (1e-4..1e7).contains(&r.abs()) {
        format!("{r}")
    } else {
        format!("{r:e}")
    }
}

fn intersects(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// SEED manual appendix A: allowed sample rates of a band code, Hz, as `[min, max)`.
/// Bands given as "≈ r" accept `[r/2, 2r]`; `A`, `O` (administrative, opaque) and unknown
/// codes return `None` (not checked).
pub(crate) fn band_code_rate_range(band: char) -> Option<(f64, f64)> {
    Some(match band {
        'F' | 'G' => (1000.0, 5000.0),
        'D' | 'C' => (250.0, 1000.0),
        'E' | 'H' => (80.0, 250.0),
        'S' | 'B' => (10.0, 80.0),
        'M' => (1.0 + f64::EPSILON, 10.0),
        'L' => (0.5, 2.0 + f64::EPSILON),
        'V' => (0.05, 0.2 + f64::EPSILON),
        'U' => (0.005, 0.02 + f64::EPSILON),
        'R' => (0.0001, 0.001),
        'P' => (0.00001, 0.0001),
        'T' => (0.000001, 0.00001),
        'Q' => (0.0, 0.000001),
        _ => return None,
    })
}

struct Ctx<'a> {
    opts: &'a QcOptions,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    /// Adds a finding (without examples; set them on the returned finding).
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        check: Check,
        severity: Severity,
        nslc: &Nslc,
        (s, e): (i64, i64),
        path: Option<String>,
        count: u64,
        message: String,
    ) -> &mut Finding {
        self.findings.push(Finding {
            check,
            severity,
            nslc: nslc.clone(),
            start_ns: opt_bound(s),
            end_ns: opt_bound(e),
            path,
            count,
            message,
            examples: Vec::new(),
        });
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}

/// Collects the first [`MAX_EXAMPLES`] examples of a finding.
#[derive(Default)]
struct Examples(Vec<String>);

impl Examples {
    /// Whether another example would be kept (so the caller formats it only then).
    fn wants(&self) -> bool {
        self.0.len() < MAX_EXAMPLES
    }

    fn add(&mut self, f: impl FnOnce() -> String) {
        if self.wants() {
            self.0.push(f());
        }
    }
}

/// Instances of one finding being counted: how many, the time they span, the first
/// examples.
struct Tally {
    count: u64,
    span: (i64, i64),
    examples: Examples,
}

impl Tally {
    fn new() -> Self {
        Tally {
            count: 0,
            span: NO_HULL,
            examples: Examples::default(),
        }
    }

    fn add(&mut self, span: (i64, i64), example: impl FnOnce() -> String) {
        self.count += 1;
        self.span = hull(self.span, span);
        self.examples.add(example);
    }

    /// Adds one finding standing for every instance (none when there is none);
    /// `message(count, first example)` writes its message.
    fn report(
        self,
        ctx: &mut Ctx<'_>,
        (check, severity): (Check, Severity),
        nslc: &Nslc,
        message: impl FnOnce(u64, &str) -> String,
    ) {
        let Some(first) = self.examples.0.first() else {
            return;
        };
        let message = message(self.count, first);
        ctx.push(check, severity, nslc, self.span, None, self.count, message)
            .examples = self.examples.0;
    }
}

/// The smallest interval holding both (an empty start is `(i64::MAX, i64::MIN)`).
fn hull(a: (i64, i64), b: (i64, i64)) -> (i64, i64) {
    (a.0.min(b.0), a.1.max(b.1))
}

const NO_HULL: (i64, i64) = (i64::MAX, i64::MIN);

fn finish(acc: Acc, files: &[ArchiveFile], inventory: &Inventory, opts: &QcOptions) -> QcReport {
    let mut ctx = Ctx {
        opts,
        findings: Vec::new(),
    };
    // file-level findings
    for ((idx, check, detail), (count, offset, nslc, s, e)) in acc.file_findings {
        let path = files[idx as usize].rel_path.clone();
        let severity = match check {
            Check::HeaderPathMismatch => Severity::Error,
            _ => Severity::Warning,
        };
        ctx.push(
            check,
            severity,
            &nslc,
            (s, e),
            Some(path),
            count,
            format!("{count} record(s) from byte offset {offset}: {detail}"),
        );
    }
    // the epochs of each stream, sorted by start (one pass over the inventory, not one per
    // stream: the streams times the channels would be quadratic)
    let mut by_stream: HashMap<&Nslc, Vec<&Channel>> = HashMap::new();
    for c in inventory.channels() {
        if selected(&opts.selection, &c.nslc) {
            by_stream.entry(&c.nslc).or_default().push(c);
        }
    }
    for v in by_stream.values_mut() {
        v.sort_by_key(|c| c.start_ns.unwrap_or(i64::MIN));
    }
    // streams: with data, and selected metadata channels touching the window
    let mut names: Vec<Nslc> = acc
        .streams
        .iter()
        .filter(|(_, s)| s.records > 0)
        .map(|(n, _)| n.clone())
        .collect();
    for (n, v) in &by_stream {
        if v.iter().any(|c| in_window(c, opts.window)) {
            names.push((*n).clone());
        }
    }
    names.sort();
    names.dedup();
    let mut data = acc.streams;
    let mut streams = Vec::with_capacity(names.len());
    for nslc in names {
        if crate::is_cancelled(opts.cancel.as_deref()) {
            break;
        }
        let s = data.remove(&nslc).unwrap_or_default();
        let epochs = by_stream.get(&nslc).map_or(&[][..], Vec::as_slice);
        streams.push(check_stream(&mut ctx, nslc, s, epochs));
    }
    let mut findings = ctx.findings;
    // The message last: file-level findings of one file, stream and start (several record
    // rules broken from the same record on) come out of a hash map in any order.
    findings.sort_by(|a, b| {
        (&a.nslc, a.check, a.start_ns, &a.path, &a.message)
            .cmp(&(&b.nslc, b.check, b.start_ns, &b.path, &b.message))
    });
    let mut errors = acc.errors;
    errors.sort_by(|a, b| (&a.path, a.offset).cmp(&(&b.path, b.offset)));
    QcReport {
        findings,
        streams,
        errors,
        files: acc.files,
        records: acc.records,
        window: opts.window,
    }
}

/// Whether an epoch meets the window (a reversed epoch by the interval between its dates).
fn in_window(c: &Channel, window: Option<(i64, i64)>) -> bool {
    let (a, b) = span(c);
    window.is_none_or(|w| intersects((a.min(b), a.max(b).max(a.min(b).saturating_add(1))), w))
}

/// Why an epoch cannot be used as it is, if it cannot: an `endDate` before its `startDate`,
/// or a `SampleRate` (or ratio) that is not a finite number >= 0. Both are valid for the
/// FDSN StationXML schema (`xs:dateTime` attributes, `xs:double` rate) and ObsPy 1.5
/// reads them, so the reader keeps them and QC reports them (`invalid_epoch`).
fn epoch_problem(c: &Channel) -> Option<String> {
    let (s, e) = span(c);
    let mut why = Vec::new();
    if e < s {
        why.push(format!(
            "endDate {} is before startDate {}",
            fmt_bound(e),
            fmt_bound(s)
        ));
    }
    if let Some(r) = c.sample_rate_hz.filter(|r| !(r.is_finite() && *r >= 0.0)) {
        why.push(format!("SampleRate {r} is not a finite rate >= 0"));
    }
    (!why.is_empty()).then(|| format!("epoch starting {}: {}", fmt_bound(s), why.join("; ")))
}

/// Overlaps among epoch spans sorted by start (zero-length spans overlap nothing): the
/// number of overlapping pairs, the first [`MAX_EXAMPLES`] pairs (indices), and the union
/// of the overlaps (where data lies in two epochs or more). A sweep: O(n log n) for `n`
/// epochs however many pairs overlap.
struct EpochOverlaps {
    pairs: u64,
    examples: Vec<(usize, usize)>,
    regions: Vec<(i64, i64)>,
}

fn epoch_overlaps(spans: &[(i64, i64)]) -> EpochOverlaps {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    // ends of the earlier epochs still open at the current start (smallest first)
    let mut open: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    let mut max_end: Option<(i64, usize)> = None;
    let mut out = EpochOverlaps {
        pairs: 0,
        examples: Vec::new(),
        regions: Vec::new(),
    };
    for (i, &(s, e)) in spans.iter().enumerate() {
        if e <= s {
            continue;
        }
        while open.peek().is_some_and(|Reverse((end, _))| *end <= s) {
            open.pop();
        }
        out.pairs += open.len() as u64;
        // every open epoch overlaps this one from `s` on; together up to the latest end
        if let Some((m, j)) = max_end.filter(|&(m, _)| m > s) {
            out.regions.push((s, e.min(m)));
            if out.examples.len() < MAX_EXAMPLES {
                out.examples.push((j, i));
            }
        }
        open.push(Reverse((e, i)));
        if max_end.is_none_or(|(m, _)| e > m) {
            max_end = Some((e, i));
        }
    }
    out.regions = union(out.regions);
    out
}

/// Whether a segment (sorted and disjoint) meets `[a, b)`: a binary search.
fn any_data(segs: &[Segment], (a, b): (i64, i64)) -> bool {
    let k = segs.partition_point(|g| g.end_ns <= a);
    segs.get(k)
        .is_some_and(|g| intersects((g.start_ns, g.end_ns), (a, b)))
}

/// The intervals of a sorted, disjoint list that meet `[a, b)` (a binary search, then
/// only those).
fn meeting(v: &[(i64, i64)], (a, b): (i64, i64)) -> impl Iterator<Item = &(i64, i64)> {
    let k = v.partition_point(|x| x.1 <= a);
    v[k..].iter().take_while(move |x| x.0 < b)
}

/// A sample rate and the index of the epoch that has it.
type RateOf = Option<(f64, usize)>;

/// A Fenwick tree over positions `0..n` holding, per prefix, the lowest and the highest
/// `(rate, epoch)` inserted (insert only).
struct RateTree {
    lo: Vec<RateOf>,
    hi: Vec<RateOf>,
}

impl RateTree {
    fn new(n: usize) -> Self {
        RateTree {
            lo: vec![None; n + 1],
            hi: vec![None; n + 1],
        }
    }

    fn insert(&mut self, pos: usize, v: (f64, usize)) {
        let mut i = pos + 1;
        while i < self.lo.len() {
            if self.lo[i].is_none_or(|x| v.0 < x.0) {
                self.lo[i] = Some(v);
            }
            if self.hi[i].is_none_or(|x| v.0 > x.0) {
                self.hi[i] = Some(v);
            }
            i += i & i.wrapping_neg();
        }
    }

    /// The lowest and highest over positions `0..n`.
    fn prefix(&self, n: usize) -> Option<((f64, usize), (f64, usize))> {
        let (mut lo, mut hi): (RateOf, RateOf) = (None, None);
        let mut i = n.min(self.lo.len() - 1);
        while i > 0 {
            if let Some(x) = self.lo[i] {
                if lo.is_none_or(|l| x.0 < l.0) {
                    lo = Some(x);
                }
            }
            if let Some(x) = self.hi[i] {
                if hi.is_none_or(|h| x.0 > h.0) {
                    hi = Some(x);
                }
            }
            i &= i - 1;
        }
        lo.zip(hi)
    }
}

/// For each trace `(start, end)`, the epochs it meets with the lowest and the highest rate
/// (`None`: it meets none). `epochs` are `(start, end, rate)` sorted by start. Offline
/// sweep: traces by decreasing start, epochs inserted by decreasing end into a Fenwick
/// tree over their start order; O((epochs + traces) log epochs).
fn rate_extremes(epochs: &[(i64, i64, f64)], traces: &[(i64, i64)]) -> Vec<Option<(usize, usize)>> {
    let mut by_end: Vec<usize> = (0..epochs.len()).collect();
    by_end.sort_unstable_by_key(|&p| std::cmp::Reverse(epochs[p].1));
    let mut by_start: Vec<usize> = (0..traces.len()).collect();
    by_start.sort_unstable_by_key(|&q| std::cmp::Reverse(traces[q].0));
    let mut tree = RateTree::new(epochs.len());
    let mut out = vec![None; traces.len()];
    let mut k = 0;
    for q in by_start {
        let (ts, te) = traces[q];
        // epochs ending after the trace starts ...
        while k < by_end.len() && epochs[by_end[k]].1 > ts {
            let p = by_end[k];
            tree.insert(p, (epochs[p].2, p));
            k += 1;
        }
        // ... and starting before it ends
        let n = epochs.partition_point(|e| e.0 < te);
        out[q] = tree.prefix(n).map(|(lo, hi)| (lo.1, hi.1));
    }
    out
}

/// Whether a data rate agrees with a metadata rate: within `tolerance` of it (relative),
/// and a metadata rate of 0 (or less) agrees with nothing but 0.
fn rates_agree(data: f64, meta: f64, tolerance: f64) -> bool {
    if meta > 0.0 {
        (data - meta).abs() <= tolerance * meta
    } else {
        data == 0.0
    }
}

fn check_stream(ctx: &mut Ctx<'_>, nslc: Nslc, s: StreamAcc, all_epochs: &[&Channel]) -> StreamQc {
    let opts = ctx.opts;
    let window = opts.window;
    let traces = s.tb.finish(&opts.tolerance);
    let analysis = analyze(
        &traces,
        &AnalysisOptions {
            tolerance: opts.tolerance,
            window,
            per_day: true,
            ..Default::default()
        },
    );
    let segs: &[Segment] = &analysis.segments;
    let has_data = !segs.is_empty();
    let epochs: Vec<&Channel> = all_epochs
        .iter()
        .copied()
        .filter(|c| in_window(c, window))
        .collect();
    let clip = |(a, b): (i64, i64)| match window {
        Some((ws, we)) => (a.max(ws), b.min(we)),
        None => (a, b),
    };
    // epochs with a usable span (end not before start), sorted by start
    let usable = |v: &[&'_ Channel]| -> Vec<(i64, i64, Option<f64>)> {
        v.iter()
            .map(|c| (span(c).0, span(c).1, c.sample_rate_hz))
            .filter(|e| e.1 >= e.0)
            .collect()
    };
    let used = usable(&epochs);

    duplicates(ctx, &nslc, s.recs);

    // epochs that cannot be used as they are
    let mut bad = Tally::new();
    for c in &epochs {
        if let Some(why) = epoch_problem(c) {
            let (a, b) = span(c);
            bad.add((a.min(b), a.max(b)), || why);
        }
    }
    bad.report(
        ctx,
        (Check::InvalidEpoch, Severity::Error),
        &nslc,
        |n, first| format!("{n} epoch(s) cannot be used as they are (first: {first})"),
    );

    // overlapping epochs, and data inside two epochs at once
    let spans: Vec<(i64, i64)> = used.iter().map(|e| (e.0, e.1)).collect();
    let ov = epoch_overlaps(&spans);
    if ov.pairs > 0 {
        let mut ex = Examples::default();
        for &(j, i) in &ov.examples {
            let (a, b) = (spans[j], spans[i]);
            ex.add(|| {
                format!(
                    "epochs {}..{} and {}..{} overlap",
                    fmt_bound(a.0),
                    fmt_bound(a.1),
                    fmt_bound(b.0),
                    fmt_bound(b.1)
                )
            });
        }
        let (f, l) = (ov.regions[0].0, ov.regions[ov.regions.len() - 1].1);
        let first = ex.0[0].clone();
        ctx.push(
            Check::OverlappingEpochs,
            Severity::Error,
            &nslc,
            (f, l),
            None,
            ov.pairs,
            format!(
                "{} pair(s) of the {} epoch(s) overlap, from {} to {} (first: {})",
                ov.pairs,
                spans.len(),
                fmt_bound(f),
                fmt_bound(l),
                first
            ),
        )
        .examples = ex.0;
    }
    let seg_spans: Vec<(i64, i64)> = segs.iter().map(|g| (g.start_ns, g.end_ns)).collect();
    let inside = intersect(&seg_spans, &ov.regions);
    if let (Some(f), Some(l)) = (inside.first(), inside.last()) {
        let mut ex = Examples::default();
        for &(a, b) in &inside {
            ex.add(|| format!("{} to {}", fmt_bound(a), fmt_bound(b)));
        }
        ctx.push(
            Check::MultipleEpochs,
            Severity::Error,
            &nslc,
            (f.0, l.1),
            None,
            inside.len() as u64,
            format!(
                "{} segment(s) of data ({} s) match two epochs or more",
                inside.len(),
                ns_to_s(sum_ns(&inside))
            ),
        )
        .examples = ex.0;
    }

    let data_hull = traces
        .iter()
        .fold(NO_HULL, |h, t| hull(h, (t.start_ns, t.end_ns)));
    if has_data && all_epochs.is_empty() {
        let (f, l) = (segs[0].start_ns, segs[segs.len() - 1].end_ns);
        ctx.push(
            Check::DataWithoutMetadata,
            Severity::Error,
            &nslc,
            (f, l),
            None,
            segs.len() as u64,
            format!(
                "{} record(s) in {} segment(s) and no channel epoch in the metadata",
                s.records,
                segs.len()
            ),
        );
    } else if has_data {
        let cover = union(usable(all_epochs).iter().map(|e| (e.0, e.1)).collect());
        outside_epochs(ctx, &nslc, &seg_spans, &cover);
    }

    // epochs without data (cut to the window)
    let mut empty = Tally::new();
    for &(a, b) in &spans {
        let e = clip((a, b));
        if !any_data(segs, e) {
            empty.add(e, || format!("epoch {}..{}", fmt_bound(a), fmt_bound(b)));
        }
    }
    let within = if window.is_some() {
        " within the window"
    } else {
        ""
    };
    empty.report(
        ctx,
        (Check::MetadataWithoutData, Severity::Warning),
        &nslc,
        |n, first| format!("no data in {n} epoch(s){within} (first: {first})"),
    );

    // sample rate vs metadata (MUSTANG sample_rate_channel: 1 %)
    let rated: Vec<(i64, i64, f64)> = used
        .iter()
        .filter_map(|&(a, b, r)| Some((a, b, r.filter(|r| r.is_finite() && *r >= 0.0)?)))
        .collect();
    let trace_spans: Vec<(i64, i64)> = traces.iter().map(|t| (t.start_ns, t.end_ns)).collect();
    let tol = opts.rules.rate_tolerance;
    let mut mism = Tally::new();
    for (t, ext) in traces.iter().zip(rate_extremes(&rated, &trace_spans)) {
        let Some((lo, hi)) = ext else { continue };
        let r = t.sample_rate_hz;
        // the rates that agree form an interval: if both extremes agree, all do
        let Some(p) = [lo, hi]
            .into_iter()
            .find(|&p| !rates_agree(r, rated[p].2, tol))
        else {
            continue;
        };
        let (es, ee, meta) = rated[p];
        mism.add((t.start_ns.max(es), t.end_ns.min(ee)), || {
            format!(
                "data at {} Hz from {}, metadata epoch starting {} says {} Hz",
                fmt_rate(r),
                fmt_bound(t.start_ns),
                fmt_bound(es),
                fmt_rate(meta)
            )
        });
    }
    mism.report(
        ctx,
        (Check::SampleRateMismatch, Severity::Error),
        &nslc,
        |n, first| {
            format!(
                "{n} trace(s) at a rate that differs from their epoch's by more than {} % \
                 (first: {first})",
                tol * 100.0
            )
        },
    );

    // band code vs sample rate (SEED manual appendix A)
    if let Some((band, (lo, hi))) = nslc
        .channel
        .chars()
        .next()
        .and_then(|b| Some((b, band_code_rate_range(b)?)))
    {
        let off: Vec<f64> = analysis
            .sample_rates_hz
            .iter()
            .copied()
            .filter(|r| !(lo..hi).contains(r))
            .collect();
        if !off.is_empty() {
            let mut ex = Examples::default();
            for r in &off {
                ex.add(|| format!("data at {} Hz", fmt_rate(*r)));
            }
            let more = match off.len() {
                1 => String::new(),
                n => format!(" and {} other rate(s)", n - 1),
            };
            ctx.push(
                Check::BandCodeRate,
                Severity::Warning,
                &nslc,
                data_hull,
                None,
                off.len() as u64,
                format!(
                    "band code {band} means {lo} to {hi} Hz (SEED appendix A), data at {} Hz{more}",
                    fmt_rate(off[0])
                ),
            )
            .examples = ex.0;
        }
    }

    // per-day summaries
    let epoch_spans = union(
        spans
            .iter()
            .map(|&e| clip(e))
            .filter(|e| e.1 > e.0)
            .collect(),
    );
    let mut days: Vec<DayQc> = Vec::new();
    let day_list: Vec<(i64, i64, i64, f64)> = if has_data || window.is_none() {
        analysis
            .days
            .iter()
            .map(|d| {
                (
                    d.day_start_ns,
                    d.window_start_ns,
                    d.window_end_ns,
                    d.percent_availability,
                )
            })
            .collect()
    } else {
        // metadata only: every day of the window touched by an epoch, up to now
        let (ws, we) = window.unwrap_or((0, 0));
        let now = chrono::Utc::now().timestamp().saturating_mul(1_000_000_000);
        let we = we.min(now.max(ws));
        let mut v = Vec::new();
        let mut d = day_floor(ws);
        while d < we {
            let (a, b) = (d.max(ws), d.saturating_add(NS_PER_DAY).min(we));
            if meeting(&epoch_spans, (a, b)).next().is_some() {
                v.push((d, a, b, 0.0));
            }
            d = d.saturating_add(NS_PER_DAY);
        }
        v
    };
    let mut acc_days = s.days;
    // the flag records meeting the current day: records enter in start order and leave
    // once they end before the day (the days come in increasing order)
    let mut flags = s.flags;
    flags.sort_unstable_by_key(|r| (r.start_ns, r.file, r.offset));
    let mut next_flag = 0;
    let mut active: Vec<FlagRec> = Vec::new();
    for (day, a, b, pct) in day_list {
        let mut epoch_ns = 0;
        let mut cov_ns = 0;
        for &(es, ee) in meeting(&epoch_spans, (a, b)) {
            let (x, y) = (es.max(a), ee.min(b));
            if y > x {
                epoch_ns += y - x;
                cov_ns += covered_ns(segs, x, y);
            }
        }
        let records = acc_days.remove(&day).unwrap_or_default();
        active.retain(|r| r.end_ns > a);
        while next_flag < flags.len() && flags[next_flag].start_ns < b {
            if flags[next_flag].end_ns > a {
                active.push(flags[next_flag]);
            }
            next_flag += 1;
        }
        let fl = day_flags(&active, a, b);
        let tq_min = fl.tq.first().map(|&q| q as u8);
        let tq_mean = (!fl.tq.is_empty()).then(|| fl.tq.iter().sum::<f64>() / fl.tq.len() as f64);
        if let (Some(min_tq), Some(low), Some(mean)) =
            (opts.rules.min_timing_quality, tq_min, tq_mean)
        {
            if low < min_tq {
                ctx.push(
                    Check::TimingQuality,
                    Severity::Warning,
                    &nslc,
                    (a, b),
                    None,
                    fl.tq.len() as u64,
                    format!(
                        "timing quality down to {low} % (mean {mean:.1} %), threshold {min_tq} %"
                    ),
                );
            }
        }
        days.push(DayQc {
            day_start_ns: day,
            records,
            percent_availability: pct,
            epoch_s: ns_to_s(epoch_ns),
            ts_percent_availability: (epoch_ns > 0)
                .then(|| cov_ns as f64 / epoch_ns as f64 * 100.0),
            timing_quality_mean: tq_mean,
            timing_quality_min: tq_min,
            timing_quality_max: fl.tq.last().map(|&q| q as u8),
            timing_quality_median: quantile(&fl.tq, 0.5),
            timing_quality_lower_quartile: quantile(&fl.tq, 0.25),
            timing_quality_upper_quartile: quantile(&fl.tq, 0.75),
            timing_quality_records: fl.tq.len() as u64,
            header_counts: fl.counts,
            header_percentages: fl.percentages,
        });
    }
    StreamQc {
        nslc,
        records: s.records,
        epochs: epochs.len(),
        sample_rates_hz: analysis.sample_rates_hz.clone(),
        days,
    }
}

/// Sum of interval lengths, saturating (hostile records may span most of the `i64` range).
fn sum_ns(v: &[(i64, i64)]) -> i64 {
    v.iter()
        .fold(0i64, |acc, (a, b)| acc.saturating_add(b.saturating_sub(*a)))
}

/// Records with equal (start, count, rate): one finding per stream and kind (identical or
/// different payload).
fn duplicates(ctx: &mut Ctx<'_>, nslc: &Nslc, mut recs: Vec<RecKey>) {
    recs.sort_unstable_by_key(|r| (r.start_ns, r.count, r.rate_bits, r.payload_hash, r.file));
    // (count, first start, last end, files) for identical and conflicting copies
    let mut same = (0u64, i64::MAX, i64::MIN);
    let mut diff = (0u64, i64::MAX, i64::MIN);
    for w in recs.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if (a.start_ns, a.count, a.rate_bits) != (b.start_ns, b.count, b.rate_bits) {
            continue;
        }
        let t = if a.payload_hash == b.payload_hash {
            &mut same
        } else {
            &mut diff
        };
        t.0 += 1;
        t.1 = t.1.min(b.start_ns);
        t.2 = t.2.max(b.end_ns);
    }
    if same.0 > 0 {
        ctx.push(
            Check::DuplicatedData,
            Severity::Warning,
            nslc,
            (same.1, same.2),
            None,
            same.0,
            format!(
                "{} record(s) repeat another record byte for byte (same start, sample count, \
                 rate and data)",
                same.0
            ),
        );
    }
    if diff.0 > 0 {
        ctx.push(
            Check::DuplicatedData,
            Severity::Error,
            nslc,
            (diff.1, diff.2),
            None,
            diff.0,
            format!(
                "{} record(s) have the start, sample count and rate of another record but \
                 different data",
                diff.0
            ),
        );
    }
}

/// Data not covered by the union of epochs (`cover`, sorted and disjoint), one finding per
/// kind of hole: before the first epoch, between two epochs, after the last (or outside
/// every epoch when none is usable). `segs` are the data segments (sorted and disjoint).
/// Linear in segments plus holes.
fn outside_epochs(ctx: &mut Ctx<'_>, nslc: &Nslc, segs: &[(i64, i64)], cover: &[(i64, i64)]) {
    // (holes, description of the first hole)
    let mut kinds: Vec<(Vec<(i64, i64)>, &str)> = Vec::new();
    match (cover.first(), cover.last()) {
        (Some(first), Some(last)) => {
            if first.0 > i64::MIN {
                kinds.push((vec![(i64::MIN, first.0)], "before the first epoch"));
            }
            let between: Vec<(i64, i64)> = cover.windows(2).map(|w| (w[0].1, w[1].0)).collect();
            kinds.push((between, "between epochs"));
            if last.1 < i64::MAX {
                kinds.push((vec![(last.1, i64::MAX)], "after the last epoch"));
            }
        }
        _ => kinds.push((
            vec![(i64::MIN, i64::MAX)],
            "outside every epoch (no epoch ends after it starts)",
        )),
    }
    for (holes, what) in kinds {
        let inside = intersect(segs, &holes);
        let (Some(f), Some(l)) = (inside.first(), inside.last()) else {
            continue;
        };
        // the hole of each piece, for the examples
        let mut ex = Examples::default();
        let mut last_hole = usize::MAX;
        for &(a, _) in &inside {
            if !ex.wants() {
                break;
            }
            let h = holes.partition_point(|x| x.1 <= a);
            if h == last_hole {
                continue;
            }
            last_hole = h;
            let (hs, he) = holes[h];
            let secs = sum_ns(&intersect(segs, &[(hs, he)]));
            ex.add(|| {
                let bound = match (opt_bound(hs), opt_bound(he)) {
                    (None, None) => "no epoch is usable".to_string(),
                    (None, _) => format!("epochs start {}", fmt_bound(he)),
                    (_, None) => format!("epochs end {}", fmt_bound(hs)),
                    _ => format!(
                        "an epoch ends {}, the next starts {}",
                        fmt_bound(hs),
                        fmt_bound(he)
                    ),
                };
                format!("{} s of data where {bound}", ns_to_s(secs))
            });
        }
        let first = ex.0[0].clone();
        ctx.push(
            Check::DataOutsideEpochs,
            Severity::Error,
            nslc,
            (f.0, l.1),
            None,
            inside.len() as u64,
            format!(
                "{} s of data in {} segment(s) {what} ({})",
                ns_to_s(sum_ns(&inside)),
                inside.len(),
                first
            ),
        )
        .examples = ex.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_byte_orders() {
        assert!(QcRules::default().validate().is_ok());
        for t in [-0.1, f64::NAN] {
            let r = QcRules {
                rate_tolerance: t,
                ..QcRules::default()
            };
            assert_eq!(
                r.validate().unwrap_err().field_name(),
                Some("rate_tolerance")
            );
        }
        assert_eq!("Big".parse::<ByteOrder>().unwrap(), ByteOrder::Big);
        assert_eq!("little".parse::<ByteOrder>().unwrap(), ByteOrder::Little);
        assert!("middle".parse::<ByteOrder>().is_err());
    }

    #[test]
    fn codes_are_unique_and_lower_case() {
        let mut codes: Vec<&str> = Check::ALL.iter().map(|c| c.code()).collect();
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Check::ALL.len());
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
    }

    #[test]
    fn band_ranges() {
        let ok = |b: char, r: f64| {
            let (lo, hi) = band_code_rate_range(b).unwrap();
            (lo..hi).contains(&r)
        };
        assert!(ok('H', 100.0) && ok('H', 200.0) && !ok('H', 40.0));
        assert!(ok('B', 40.0) && ok('B', 20.0) && !ok('B', 200.0));
        assert!(ok('L', 1.0) && ok('V', 0.1) && ok('U', 0.01) && ok('E', 200.0));
        assert!(!ok('L', 20.0));
        assert!(band_code_rate_range('A').is_none());
        assert!(band_code_rate_range('X').is_none());
    }

    #[test]
    fn flag_counts_follow_bit_order() {
        let mut h = HeaderCounts::default();
        h.add(&HeaderFlags {
            activity: 0b0000_0100,
            io_clock: 0b0010_0000,
            data_quality: 0b1000_0001,
            timing_quality: None,
            time_correction: true,
        });
        assert_eq!(h.activity_flags[2], 1); // event_begin
        assert_eq!(ACTIVITY_FLAGS[2], "event_begin");
        assert_eq!(h.io_and_clock_flags[5], 1); // clock_locked
        assert_eq!(h.data_quality_flags[0], 1);
        assert_eq!(h.data_quality_flags[7], 1);
        assert_eq!(DATA_QUALITY_FLAGS[7], "suspect_time_tag");
        assert_eq!(h.timing_correction, 1);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn spans() -> impl Strategy<Value = Vec<(i64, i64)>> {
        proptest::collection::vec((0i64..40, 0i64..15), 0..25).prop_map(|v| {
            let mut s: Vec<(i64, i64)> = v.into_iter().map(|(a, l)| (a, a + l)).collect();
            s.sort_by_key(|e| e.0);
            s
        })
    }

    proptest! {
        /// The sweep counts the pairs the all-pairs definition counts, and its regions
        /// are the union of the pairwise overlaps.
        #[test]
        fn overlap_sweep_agrees_with_all_pairs(s in spans()) {
            let ov = epoch_overlaps(&s);
            let mut pairs = 0u64;
            let mut regions = Vec::new();
            for i in 0..s.len() {
                for j in i + 1..s.len() {
                    let (a, b) = (s[i], s[j]);
                    if a.1 > a.0 && b.1 > b.0 && intersects(a, b) {
                        pairs += 1;
                        regions.push((a.0.max(b.0), a.1.min(b.1)));
                    }
                }
            }
            prop_assert_eq!(ov.pairs, pairs);
            prop_assert_eq!(ov.regions, union(regions));
            for &(j, i) in &ov.examples {
                prop_assert!(intersects(s[j], s[i]) && i != j);
            }
            prop_assert!(ov.examples.len() <= MAX_EXAMPLES);
            prop_assert_eq!(ov.examples.is_empty(), pairs == 0);
        }

        /// The Fenwick sweep finds, for each trace, the lowest and highest rate among the
        /// epochs it meets, as a scan of every epoch does.
        #[test]
        fn rate_extremes_agree_with_a_scan(
            s in spans(),
            rates in proptest::collection::vec(0u8..5, 25),
            traces in proptest::collection::vec((0i64..50, 0i64..10), 0..10),
        ) {
            let epochs: Vec<(i64, i64, f64)> =
                s.iter().zip(&rates).map(|(&(a, b), &r)| (a, b, f64::from(r))).collect();
            let tr: Vec<(i64, i64)> = traces.iter().map(|&(a, l)| (a, a + l)).collect();
            let got = rate_extremes(&epochs, &tr);
            for (q, t) in tr.iter().enumerate() {
                let meet: Vec<f64> = epochs
                    .iter()
                    .filter(|e| intersects(*t, (e.0, e.1)))
                    .map(|e| e.2)
                    .collect();
                match got[q] {
                    None => prop_assert!(meet.is_empty()),
                    Some((lo, hi)) => {
                        prop_assert!(intersects(*t, (epochs[lo].0, epochs[lo].1)));
                        prop_assert!(intersects(*t, (epochs[hi].0, epochs[hi].1)));
                        let min = meet.iter().copied().fold(f64::INFINITY, f64::min);
                        let max = meet.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        prop_assert_eq!((epochs[lo].2, epochs[hi].2), (min, max));
                    }
                }
            }
        }
    }
}
