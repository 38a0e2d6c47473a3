//! Sample-level merge of patch data into day files, by priority, without losing or
//! duplicating a sample (issue #3; `docs/merge.md`).
//!
//! # The rule
//!
//! Every data record of every input (the archive's current day files and any number of
//! patches) gets a **rank**, a total order; for a time covered by several inputs the
//! best-ranked record's sample is kept and the others are dropped. Records are ranked by:
//!
//! 1. the [`ArchivePolicy`] class (the archive first with [`ArchivePolicy::Wins`], last
//!    with [`ArchivePolicy::Loses`], no class with [`ArchivePolicy::Ranked`];
//!    [`ArchivePolicy::Quality`] ranks by publication version first, a patch before the
//!    archive on a tie, then as below);
//! 2. the input priority: **smaller is better** (1 is Morumotto's best source, stamped `M`);
//! 3. the publication version, higher first (v2 quality M > Q > D > R, dataselect `-Ps`);
//! 4. the duration of the record's trace in its own input, longer first (dataselect: "on a
//!    tie the longest segment wins"), traces built with [`join_pieces_with`];
//! 5. the archive before patches;
//! 6. input order, then record start time, then position in the input.
//!
//! Records are taken in rank order. A sample at time `t` of a record is **superseded** when
//! an already kept sample `u` at a rate equal within the [`Tolerance`] has
//! `−reach ≤ t − u < reach`, `reach = period − tol` (`tol` the time tolerance, half a
//! period by default: the trace rule of [`crate::segment`]; limited here to 1 ns … half a
//! period); kept samples then claim their coverage. With the default tolerance a sample
//! goes when it lies in `[u − period/2, u + period/2)`. Kept samples are at least `reach`
//! apart, so where two inputs meet the spacing is within the tolerance of one period (one
//! trace) or longer (a gap), never an overlap. Rates that
//! differ beyond the rate tolerance never supersede each other: they stay separate
//! segments, and an overlap between them is reported as a warning, never an error.
//!
//! # Record level where it can, sample level where it must
//!
//! A record none of whose samples is superseded, which does not cross a day boundary (in
//! [`DaySplit::Midnight`] mode) and needs no output conversion is copied byte for byte. A
//! record partly superseded or crossing midnight is decoded, cut to the exact samples kept,
//! and re-encoded with its own encoding, record length, format version and publication
//! version ([`OutputOptions`] override them for every record of a rewritten day file).
//! Encodings libmseed cannot write (GEOSCOPE, CDSN, SRO, DWWSSN, v2 records without
//! blockette 1000) are re-encoded as Steim2 (integers) or float32/float64. Re-encoded
//! samples keep their own times to the output format's resolution: runs are packed
//! together only where the packer gives each sample its input time, and every packed
//! record's start is checked (`merge/repack.rs`; `docs/merge.md`, "Re-encoding keeps every
//! sample's time").
//!
//! Day files that end up with exactly their old records are reported unchanged and their
//! old bytes kept, so merging an archive into itself changes no byte.
//!
//! The engine works on bytes in memory ([`merge_stream`]); [`verify`] proves a result
//! sample by sample; [`apply`] reads and replaces archive files with a journal.

pub mod apply;
#[cfg(all(feature = "objectstore", feature = "update"))]
pub(crate) mod bucket;
mod repack;
pub mod repair;
pub mod verify;

#[cfg(test)]
mod tests;

use crate::codec::{decode_record, PackOptions, Samples};
use crate::error::{Error, Result};
use crate::interval::{intersect, subtract, union};
use crate::record::{parse_record, RecordHeader, RecordScanner, ScanItem};
use crate::segment::{join_pieces_with, Piece, Tolerance};
use crate::sid::Nslc;
use crate::time::{day_floor, format_time, NS_PER_DAY, NS_PER_S};
use crate::time::{leap_second_within, sample_time};
use repack::{encode_trace, join_exact, Trace};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Whether the archive's own data wins or loses against patches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArchivePolicy {
    /// The archive is ranked like any input with [`MergeOptions::archive_priority`]; on a
    /// full tie it goes before patches.
    #[default]
    Ranked,
    /// Archive samples are never replaced: patches only fill gaps.
    Wins,
    /// Patch samples always replace archive samples.
    Loses,
    /// The publication version decides first (higher wins; miniSEED 2 quality R 1, D 2,
    /// Q 3, M 4), and on equal versions a patch sample replaces the archive's; then the
    /// input priority and the rest of the rule. The replace mode of revised data with
    /// `[requests] revisions = "quality"` (`docs/merge.md`, "Replacing revised data"),
    /// whose patches are cut to the revised span first ([`cut_to_window`]).
    Quality,
}

impl std::str::FromStr for ArchivePolicy {
    type Err = Error;

    /// Parses the archive-vs-patch ranking a user types: `ranked`, `wins` or `loses` (any
    /// case; the `archive` field of [`crate::ops::MergeRequest`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    fn from_str(s: &str) -> Result<Self> {
        crate::ops::one_of(
            s,
            &[
                ("ranked", ArchivePolicy::Ranked),
                ("wins", ArchivePolicy::Wins),
                ("loses", ArchivePolicy::Loses),
            ],
        )
    }
}

/// Which day file a record goes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DaySplit {
    /// Day files end at 00:00:00 UTC: a record crossing midnight is cut in two at sample
    /// level (dataselect 3's `-Sd`).
    #[default]
    Midnight,
    /// Records are stored whole in the file of the day of their first sample (SeisComP
    /// and dataselect 4 `-SDS`). Samples the merge re-encodes (what is left of a record
    /// that lost samples, or every sample when an output option is given) are new records,
    /// and those are cut at midnight as with [`DaySplit::Midnight`], so that every record
    /// still starts in its file's day.
    StartTime,
}

impl std::str::FromStr for DaySplit {
    type Err = Error;

    /// Parses a day split: `midnight` or `start_time` (any case).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    fn from_str(s: &str) -> Result<Self> {
        crate::ops::one_of(
            s,
            &[
                ("midnight", DaySplit::Midnight),
                ("start_time", DaySplit::StartTime),
            ],
        )
    }
}

/// Output conversions; `None` keeps each record's own value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutputOptions {
    /// Record length in bytes (256–8192, a power of two for miniSEED 2).
    pub record_length: Option<usize>,
    /// Encoding code: 1 int16, 3 int32, 4 float32, 5 float64, 10 Steim1, 11 Steim2.
    pub encoding: Option<u8>,
    /// miniSEED format version, 2 or 3.
    pub format_version: Option<u8>,
    /// Publication version (v2 quality: 1 R, 2 D, 3 Q, 4 M).
    pub pub_version: Option<u8>,
}

impl OutputOptions {
    /// Whether any option is set (then every record of a rewritten day file is repacked).
    pub fn is_set(&self) -> bool {
        *self != OutputOptions::default()
    }

    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad value.
    pub fn validate(&self) -> Result<()> {
        match self.fault() {
            Some((_, message)) => Err(Error::invalid_argument(message)),
            None => Ok(()),
        }
    }

    /// The first value out of range, as the name of its field (`record_length`,
    /// `encoding`, `format_version`, `pub_version`) and what is wrong with it; `None` when
    /// every value is in range. A record length that is not a power of two is the record
    /// length's fault (miniSEED 2 needs one; miniSEED 3 does not).
    pub fn fault(&self) -> Option<(&'static str, String)> {
        if let Some(l) = self.record_length {
            if !(256..=8192).contains(&l) {
                return Some((
                    "record_length",
                    format!("record length {l} bytes is outside 256–8192"),
                ));
            }
            if self.format_version != Some(3) && !l.is_power_of_two() {
                return Some((
                    "record_length",
                    format!("record length {l}: miniSEED 2 needs a power of two"),
                ));
            }
        }
        if let Some(e) = self.encoding {
            if !matches!(e, 1 | 3 | 4 | 5 | 10 | 11) {
                return Some((
                    "encoding",
                    format!("encoding {e}: expected 1, 3, 4, 5, 10 or 11"),
                ));
            }
        }
        if let Some(v) = self.format_version {
            if v != 2 && v != 3 {
                return Some(("format_version", format!("format version {v} (2 or 3)")));
            }
        }
        if self.pub_version == Some(0) {
            return Some(("pub_version", "publication version must be ≥ 1".into()));
        }
        None
    }
}

/// The encoding of the records a merge writes: the record's own (`Keep`) or one that
/// libmseed writes. Codes of the SEED 2.4 manual, blockette 1000, field 3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OutputEncoding {
    /// Each record keeps its own encoding (`keep`).
    #[default]
    Keep,
    /// 16-bit integers (`int16`, code 1).
    Int16,
    /// 32-bit integers (`int32`, code 3).
    Int32,
    /// IEEE 32-bit floats (`float32`, code 4).
    Float32,
    /// IEEE 64-bit floats (`float64`, code 5).
    Float64,
    /// Steim-1 compression (`steim1`, code 10).
    Steim1,
    /// Steim-2 compression (`steim2`, code 11).
    Steim2,
}

impl OutputEncoding {
    /// The names a user types, in the order of the error message.
    const NAMES: [(&'static str, OutputEncoding); 7] = [
        ("steim1", OutputEncoding::Steim1),
        ("steim2", OutputEncoding::Steim2),
        ("int16", OutputEncoding::Int16),
        ("int32", OutputEncoding::Int32),
        ("float32", OutputEncoding::Float32),
        ("float64", OutputEncoding::Float64),
        ("keep", OutputEncoding::Keep),
    ];

    /// The encoding code ([`OutputOptions::encoding`]); `None` for [`OutputEncoding::Keep`].
    pub fn code(self) -> Option<u8> {
        match self {
            OutputEncoding::Keep => None,
            OutputEncoding::Int16 => Some(1),
            OutputEncoding::Int32 => Some(3),
            OutputEncoding::Float32 => Some(4),
            OutputEncoding::Float64 => Some(5),
            OutputEncoding::Steim1 => Some(10),
            OutputEncoding::Steim2 => Some(11),
        }
    }

    /// The encoding of a code ([`OutputOptions::encoding`]; `None` is `Keep`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a code libmseed does not write.
    pub fn from_code(code: Option<u8>) -> Result<Self> {
        Self::NAMES
            .iter()
            .map(|(_, e)| *e)
            .find(|e| e.code() == code)
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "{}: expected 1, 3, 4, 5, 10 or 11",
                    code.unwrap_or(0)
                ))
            })
    }
}

impl std::str::FromStr for OutputEncoding {
    type Err = Error;

    /// Parses an encoding name (any case): `steim1`, `steim2`, `int16`, `int32`, `float32`,
    /// `float64` or `keep` (`siqaco merge --encoding`, `archive.encoding` of the update
    /// configuration, the `encoding` field of [`crate::ops::MergeRequest`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for another name.
    fn from_str(s: &str) -> Result<Self> {
        crate::ops::one_of(s, &Self::NAMES)
    }
}

/// The encoding code of an encoding name ([`OutputEncoding`]'s `FromStr`): `keep` is
/// `Some(None)`; an unknown name `None`.
pub fn encoding_code(name: &str) -> Option<Option<u8>> {
    name.parse::<OutputEncoding>()
        .ok()
        .map(OutputEncoding::code)
}

/// A publication version (miniSEED 3 specification, "publication version"; the miniSEED 2
/// quality indicator): 1–255, higher is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicationVersion(u8);

impl PublicationVersion {
    /// A publication version from its number.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for 0.
    pub fn new(v: u8) -> Result<Self> {
        if v == 0 {
            return Err(Error::invalid_argument("publication version must be ≥ 1"));
        }
        Ok(PublicationVersion(v))
    }

    /// The number, 1–255.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl std::str::FromStr for PublicationVersion {
    type Err = Error;

    /// Parses a quality label `R` 1, `D` 2, `Q` 3, `M` 4 (any case; miniSEED 3
    /// specification, "publication version") or a number 1–255 (`siqaco merge --quality`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    fn from_str(q: &str) -> Result<Self> {
        let v = match q {
            "R" | "r" => Some(1),
            "D" | "d" => Some(2),
            "Q" | "q" => Some(3),
            "M" | "m" => Some(4),
            n => n.parse::<u8>().ok().filter(|&v| v >= 1),
        };
        v.map(PublicationVersion)
            .ok_or_else(|| Error::invalid_argument(format!("{q:?}: expected R, D, Q, M or 1–255")))
    }
}

/// Options of a merge (the lower level of [`crate::ops::MergeRequest`]).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct MergeOptions {
    /// Time and rate tolerances (the scan's, [`Tolerance::default`]).
    pub tolerance: Tolerance,
    /// Archive against patches.
    pub policy: ArchivePolicy,
    /// Priority of the archive's data under [`ArchivePolicy::Ranked`] (smaller is better).
    pub archive_priority: i32,
    /// Day boundary convention.
    pub split: DaySplit,
    /// Output conversions.
    pub output: OutputOptions,
}

impl Default for MergeOptions {
    /// Default tolerance, [`ArchivePolicy::Ranked`] with archive priority 1, midnight
    /// split, records keep their own encoding, length and version.
    fn default() -> Self {
        MergeOptions {
            tolerance: Tolerance::default(),
            policy: ArchivePolicy::Ranked,
            archive_priority: 1,
            split: DaySplit::Midnight,
            output: OutputOptions::default(),
        }
    }
}

/// The records of one stream from one patch input.
#[derive(Clone, Debug)]
pub struct PatchInput<'a> {
    /// Priority (smaller is better).
    pub priority: i32,
    /// Whole miniSEED records (each slice exactly one record).
    pub records: Vec<&'a [u8]>,
}

/// One current day file of the archive.
#[derive(Clone, Copy, Debug)]
pub struct ArchiveDay<'a> {
    /// 00:00 UTC of the day, ns since 1970.
    pub day_start_ns: i64,
    /// The file's bytes (records of this stream only).
    pub bytes: &'a [u8],
}

/// What changed in one day file (sample counts at the sample times of that day).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DayStats {
    /// Patch samples kept where the archive had no sample.
    pub samples_added: u64,
    /// Archive samples replaced by patch samples.
    pub samples_replaced: u64,
    /// Other samples dropped as duplicates (patch samples superseded, overlaps inside the
    /// archive removed).
    pub overlaps_removed: u64,
    /// Records copied byte for byte.
    pub records_copied: u64,
    /// Records written by re-encoding samples.
    pub records_encoded: u64,
}

/// The new content of one day file.
#[derive(Clone, Debug, PartialEq)]
pub struct DayOutput {
    /// 00:00 UTC of the day, ns since 1970.
    pub day_start_ns: i64,
    /// The new bytes (records in time order); the old bytes when not `changed`; empty when
    /// the day holds no record any more.
    pub bytes: Vec<u8>,
    /// Whether the content differs from the current day file.
    pub changed: bool,
    /// Whether a current day file was given for this day.
    pub had_file: bool,
    /// What changed.
    pub stats: DayStats,
}

/// The result of merging one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamMerge {
    /// The stream.
    pub nslc: Nslc,
    /// Every day touched, sorted by day.
    pub days: Vec<DayOutput>,
    /// Problems that did not stop the merge (rates beyond the tolerance overlapping...).
    pub warnings: Vec<String>,
}

/// A record taking part in a merge, with its rank.
#[derive(Clone, Debug)]
pub(crate) struct Rec<'a> {
    pub(crate) raw: &'a [u8],
    pub(crate) start_ns: i64,
    pub(crate) rate_raw: f64,
    pub(crate) rate_hz: f64,
    pub(crate) n: i64,
    pub(crate) is_data: bool,
    pub(crate) pub_version: u8,
    pub(crate) encoding: u8,
    pub(crate) record_length: usize,
    pub(crate) format_version: u8,
    /// Input index: 0 is the archive, patches from 1.
    pub(crate) input: usize,
    pub(crate) is_archive: bool,
    /// Archive day file index (archive records only).
    pub(crate) file_day: Option<i64>,
    pub(crate) priority: i32,
    pub(crate) trace_ns: i64,
    pub(crate) pos: usize,
    /// Whether a leap second lies within the record: its sample times then step back one
    /// second ([`sample_time`]) and searches over them must be linear.
    pub(crate) leap: bool,
}

impl Rec<'_> {
    pub(crate) fn time(&self, i: i64) -> i64 {
        sample_time(self.start_ns, i, self.rate_raw)
    }
    fn cov_end(&self) -> i64 {
        self.time(self.n)
    }
    /// The sample period in ns as [`sample_time`] steps it: `1e9 / rate` for a rate field
    /// in Hz (positive), `−rate × 1e9` for one giving the period in seconds (negative,
    /// SEED 2.4 fixed header); 0 for a rate of 0.
    pub(crate) fn period_ns(&self) -> f64 {
        if self.rate_raw > 0.0 {
            1e9 / self.rate_raw
        } else {
            -self.rate_raw * 1e9
        }
    }
    /// The first sample index `i` in `0..=n` with `time(i) ≥ t` (`n` when there is none).
    /// Sample times increase with the index except across a leap second (then a linear
    /// search); otherwise the index is estimated from the rate and the estimate is
    /// confirmed or corrected by a search that widens from it (`time` is only ever
    /// compared, never inverted, so the answer is exact whatever the estimate's error).
    pub(crate) fn index_at(&self, t: i64) -> i64 {
        if self.leap {
            return (0..self.n).find(|&i| self.time(i) >= t).unwrap_or(self.n);
        }
        let guess = ((t as f64 - self.start_ns as f64) / self.period_ns()).ceil();
        // NaN, infinities and far estimates clamp into 0..=n; `as` saturates
        let g = if guess.is_nan() {
            0
        } else {
            (guess as i64).clamp(0, self.n)
        };
        // widen from `g` to a bracket `lo ≤ answer ≤ hi`
        let (mut lo, mut hi);
        if g < self.n && self.time(g) < t {
            (lo, hi) = (g + 1, g + 1);
            let mut step = 1;
            while hi < self.n && self.time(hi) < t {
                lo = hi + 1;
                hi = hi.saturating_add(step).min(self.n);
                step = step.saturating_mul(2);
            }
        } else {
            (lo, hi) = (g, g);
            let mut step = 1;
            while lo > 0 && self.time(lo - 1) >= t {
                hi = lo - 1;
                lo = lo.saturating_sub(step).max(0);
                step = step.saturating_mul(2);
            }
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.time(mid) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The day files the samples `i0..i1` go to, as `(i0, i1, day)` pieces in time order:
    /// by start time, a record `copied_whole` (kept whole and copied byte for byte) goes
    /// to the day of its first sample; any other samples (all of them with the midnight
    /// split; by start time, samples re-encoded, which make new records) are cut at UTC
    /// midnights ([`Rec::day_pieces`]), so that every record starts in its file's day.
    /// The rule of the merge, which the repair's plan counts by.
    fn placed(
        &self,
        i0: i64,
        i1: i64,
        split: DaySplit,
        copied_whole: bool,
    ) -> impl Iterator<Item = (i64, i64, i64)> + '_ {
        let whole = (split == DaySplit::StartTime && copied_whole)
            .then(|| (i0, i1, day_floor(self.time(i0))));
        // cut nothing when the record goes whole
        let cut_end = if whole.is_some() { i0 } else { i1 };
        whole.into_iter().chain(self.day_pieces(i0, cut_end))
    }

    /// The samples `i0..i1` cut at UTC midnights: `(i0, i1, day)` pieces in time order.
    /// (An iterator: most ranges lie in one day, and building a `Vec` for each was a
    /// measurable part of a merge.)
    fn day_pieces(&self, i0: i64, i1: i64) -> impl Iterator<Item = (i64, i64, i64)> + '_ {
        let mut s = i0;
        std::iter::from_fn(move || {
            if s >= i1 {
                return None;
            }
            let day = day_floor(self.time(s));
            let e = if day_floor(self.time(i1 - 1)) == day {
                i1
            } else {
                self.index_at(day + NS_PER_DAY).clamp(s + 1, i1)
            };
            let piece = (s, e, day);
            s = e;
            Some(piece)
        })
    }
}

/// Merged half-open intervals (overlapping or touching ones are one).
#[derive(Clone, Debug, Default)]
pub(crate) struct Claims {
    map: BTreeMap<i64, i64>,
}

/// When two samples of one rate group are the same sample for the merge: a sample at `t`
/// collides with a sample at `u` when `−reach ≤ t − u < reach`, `reach = period − tol`,
/// `tol` being the time tolerance limited to 1 ns … half a period. Two kept samples are
/// then at least `reach` apart, so a junction between inputs is either within the
/// tolerance of the regular spacing (one trace) or a gap, never an overlap
/// (`docs/merge.md`, "Which sample wins").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Collision {
    /// The time tolerance used, ns (1 ns … half a period).
    pub(crate) tol: i64,
    /// `period − tol`, ns.
    pub(crate) reach: i64,
}

impl Collision {
    /// The collision window of samples at `rate_hz` under `opts`.
    pub(crate) fn new(opts: &MergeOptions, rate_hz: f64) -> Collision {
        let period = crate::time::period_ns(rate_hz).round() as i64;
        let tol = opts.tolerance.time_ns(rate_hz).min(period / 2).max(1);
        Collision {
            tol,
            reach: (period - tol).max(1),
        }
    }

    /// Whether a sample at `t` collides with one at `u` (`−reach ≤ t − u < reach`).
    pub(crate) fn collides(&self, t: i64, u: i64) -> bool {
        let d = t - u;
        -self.reach <= d && d < self.reach
    }
}

impl Claims {
    /// The index ranges (sorted, disjoint) of the samples of `r` that are superseded: a
    /// sample at `t` is when it collides with a kept sample, that is some interval (kept
    /// samples `s … e − period`) has `s − reach ≤ t < e − tol`. Computed per interval with
    /// binary searches over the record's sample times, not sample by sample.
    fn superseded(&self, r: &Rec<'_>, c: Collision) -> Vec<(i64, i64)> {
        if r.n <= 0 {
            return Vec::new();
        }
        if r.leap {
            return self.superseded_by_sample(r, c);
        }
        let (first, last) = (r.start_ns, r.time(r.n - 1));
        let mut out: Vec<(i64, i64)> = Vec::new();
        // intervals are disjoint and sorted, so their ends increase too
        for (&s, &e) in self.map.range(..=last.saturating_add(c.reach)).rev() {
            if e - c.tol <= first {
                break;
            }
            let (a, b) = (r.index_at(s - c.reach), r.index_at(e - c.tol));
            if a < b {
                out.push((a, b));
            }
        }
        union(out)
    }

    /// [`Claims::superseded`] sample by sample, for records whose sample times are not
    /// monotonic (across a leap second).
    fn superseded_by_sample(&self, r: &Rec<'_>, c: Collision) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        for i in 0..r.n {
            let t = r.time(i);
            let hit = matches!(self.map.range(..=t.saturating_add(c.reach)).next_back(),
                Some((_, &e)) if t < e - c.tol);
            if hit {
                match out.last_mut() {
                    Some(m) if m.1 == i => m.1 = i + 1,
                    _ => out.push((i, i + 1)),
                }
            }
        }
        out
    }

    /// Adds `[a, b)`, merging the intervals it overlaps or touches.
    pub(crate) fn insert(&mut self, mut a: i64, mut b: i64) {
        if b <= a {
            return;
        }
        // Records come mostly in time order: extending or following the last interval
        // needs no search and no removal.
        if let Some(mut last) = self.map.last_entry() {
            if *last.key() <= a {
                let e = last.get_mut();
                if a <= *e {
                    *e = (*e).max(b);
                } else {
                    self.map.insert(a, b);
                }
                return;
            }
        }
        while let Some((&s, &e)) = self.map.range(..=b).next_back() {
            if e < a {
                break;
            }
            self.map.remove(&s);
            a = a.min(s);
            b = b.max(e);
        }
        self.map.insert(a, b);
    }

    /// Whether one interval holds all of `[a, b]`.
    pub(crate) fn covers(&self, a: i64, b: i64) -> bool {
        matches!(self.map.range(..=a).next_back(), Some((_, &e)) if b < e)
    }
}

/// A group of records whose rates are equal within the tolerance.
struct RateGroup {
    rate_hz: f64,
    claims: Claims,
    archive: Claims,
}

/// The rank order key of a record (smaller is better).
fn rank_key(r: &Rec<'_>, opts: &MergeOptions) -> (u8, i32, i16, i64, u8, usize, i64, usize) {
    let class = match (opts.policy, r.is_archive) {
        (ArchivePolicy::Wins, true) | (ArchivePolicy::Loses, false) => 0,
        (ArchivePolicy::Ranked, _) => 0,
        (ArchivePolicy::Quality, _) => {
            // Version first, the patch on a tie, then priority, input and time.
            return (
                0,
                -i32::from(r.pub_version),
                i16::from(r.is_archive),
                i64::from(r.priority),
                0,
                r.input,
                r.start_ns,
                r.pos,
            );
        }
        _ => 1,
    };
    (
        class,
        r.priority,
        -i16::from(r.pub_version),
        -r.trace_ns,
        u8::from(!r.is_archive),
        r.input,
        r.start_ns,
        r.pos,
    )
}

/// Parses records into [`Rec`]s.
fn to_recs<'a>(
    nslc: &Nslc,
    records: impl Iterator<Item = (&'a [u8], Option<i64>)>,
    input: usize,
    priority: i32,
    out: &mut Vec<Rec<'a>>,
) -> Result<()> {
    let mut known = None;
    for (raw, file_day) in records {
        let h = parse_record(raw).map_err(|e| Error::invalid_data("", 0, e.message))?;
        push_rec(nslc, &h, &mut known, (input, priority, file_day), out)?;
    }
    Ok(())
}

/// Appends the [`Rec`] of a record whose header passed the validation gate, after
/// checking that it is of `nslc` (`known`: the format version and raw stream key,
/// [`RecordHeader::stream_key`], last seen to be: building the strings of every record
/// costs, and one comparison of the raw key is cheaper than one per code).
/// `(input, priority, file_day)` as in [`Rec`].
fn push_rec<'a>(
    nslc: &Nslc,
    h: &RecordHeader<'a>,
    known: &mut Option<(u8, &'a [u8])>,
    (input, priority, file_day): (usize, i32, Option<i64>),
    out: &mut Vec<Rec<'a>>,
) -> Result<()> {
    let key = (h.format_version, h.stream_key());
    if *known != Some(key) {
        if h.nslc() != *nslc {
            return Err(Error::invalid_argument(format!(
                "record of {} given for stream {nslc}",
                h.nslc()
            )));
        }
        *known = Some(key);
    }
    out.push(Rec {
        raw: &h.raw[..h.record_length],
        start_ns: h.start_ns,
        rate_raw: h.sample_rate_raw,
        rate_hz: h.sample_rate_hz,
        n: h.sample_count,
        is_data: h.is_data(),
        pub_version: h.pub_version,
        encoding: h.encoding,
        record_length: h.record_length,
        format_version: h.format_version,
        input,
        is_archive: input == 0,
        file_day,
        priority,
        trace_ns: 0,
        pos: out.len(),
        leap: leap_second_within(h.start_ns, h.end_ns().saturating_add(NS_PER_S)),
    });
    Ok(())
}

/// The [`Rec`]s of the records of `bytes` (all of `nslc`) that `keep` takes by their
/// offset in `bytes`, each header read once by the scanner (the validation gate,
/// [`RecordScanner`]), appended to `out` with `(input, priority, file_day)` as in
/// [`Rec`]. Returns the first and last UTC days (00:00 in ns) that the kept records
/// touch ([`RecordHeader::days`]), `None` when none is kept.
///
/// # Errors
/// [`Error::InvalidData`] at the offset in `bytes` of the first unreadable bytes (no
/// path: the caller names the file); [`Error::InvalidArgument`] for a kept record of
/// another stream (the only error of that kind).
pub(crate) fn scan_recs<'a>(
    nslc: &Nslc,
    bytes: &'a [u8],
    mut keep: impl FnMut(u64) -> bool,
    origin: (usize, i32, Option<i64>),
    out: &mut Vec<Rec<'a>>,
) -> Result<Option<(i64, i64)>> {
    let mut known = None;
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for item in RecordScanner::new(bytes) {
        match item {
            ScanItem::Record { offset, header } => {
                if keep(offset) {
                    let (a, b) = header.days();
                    (first, last) = (first.min(a), last.max(b));
                    push_rec(nslc, &header, &mut known, origin, out)?;
                }
            }
            ScanItem::Invalid {
                offset, message, ..
            } => return Err(Error::invalid_data("", offset, message)),
        }
    }
    Ok((first <= last).then_some((first, last)))
}

/// Splits a file's bytes into records.
///
/// # Errors
/// [`Error::InvalidData`] at the offset of the first unreadable bytes.
pub fn split_records(bytes: &[u8]) -> Result<Vec<&[u8]>> {
    let mut v = Vec::new();
    for item in RecordScanner::new(bytes) {
        match item {
            ScanItem::Record { header, .. } => v.push(header.raw),
            ScanItem::Invalid {
                offset, message, ..
            } => return Err(Error::invalid_data("", offset, message)),
        }
    }
    Ok(v)
}

/// Fills `trace_ns` with the duration of each data record's trace in its own input.
fn set_trace_lengths(recs: &mut [Rec<'_>], tolerance: &Tolerance) {
    // each trace's members as a list linked through `next` (payload: first and last index)
    type Linked = (Piece, (usize, usize));
    // (input, its pieces), filled block by block: the records of an input follow one
    // another (`rank` gets them input after input)
    let mut by_input: Vec<(usize, Vec<Linked>)> = Vec::new();
    let mut i = 0;
    for block in recs.chunk_by(|a, b| a.input == b.input) {
        let input = block[0].input;
        let k = match by_input.iter().position(|(x, _)| *x == input) {
            Some(k) => k,
            None => {
                by_input.push((input, Vec::new()));
                by_input.len() - 1
            }
        };
        let pieces = &mut by_input[k].1;
        pieces.reserve(block.len());
        for r in block {
            if r.is_data {
                let p = Piece::new(r.start_ns, r.time(r.n - 1), r.rate_hz, r.n);
                pieces.push((p, (i, i)));
            }
            i += 1;
        }
    }
    let mut next = vec![usize::MAX; recs.len()];
    for (_, pieces) in by_input {
        let traces = join_pieces_with(
            pieces,
            tolerance,
            |_, _| true,
            |a, b| {
                next[a.1] = b.0;
                a.1 = b.1;
            },
        );
        for (t, (first, _)) in traces {
            let mut i = first;
            while i != usize::MAX {
                recs[i].trace_ns = t.end_ns - t.start_ns;
                i = next[i];
            }
        }
    }
}

/// The end (exclusive) of the run of records from `recs[first]` that [`merge_ranked`]
/// may claim as one record; `first + 1` when there is no such run.
///
/// A run is data records that follow each other in `recs` (rank order, so no other
/// record ranks between two of them), of one input and one day file, with the same sample
/// rate field (bit for bit), each starting exactly at the time the run's first record
/// gives the next sample (`sample_time` of its start and the samples before), none across
/// a leap second, all samples in one UTC day. The period `P` must be a whole number of ns
/// to within `0.1 / N` ns over the run's `N` samples: then `sample_time` of every offset
/// up to `N` lies within 0.25 ns of `start + i × P` (its floating-point error over a day
/// is under 0.1 ns), so it rounds to exactly that, and sample `i` of the run has exactly
/// the time of the record sample it is. Claims, collisions and day splits computed on the
/// run are then those of its records.
fn contiguous_run(recs: &[Rec<'_>], first: usize) -> usize {
    let f = &recs[first];
    let p = f.period_ns();
    let off_grid = (p - p.round()).abs();
    let day = day_floor(f.start_ns);
    let eligible = |r: &Rec<'_>| r.is_data && !r.leap && r.n > 0;
    if !(eligible(f) && p.is_finite() && p >= 1.0 && day_floor(f.time(f.n - 1)) == day) {
        return first + 1;
    }
    let (mut n, mut end) = (f.n, first + 1);
    while let Some(r) = recs.get(end) {
        let fits = eligible(r)
            && r.input == f.input
            && r.file_day == f.file_day
            && r.rate_raw.to_bits() == f.rate_raw.to_bits()
            && (n + r.n) as f64 * off_grid < 0.1
            && r.start_ns == f.time(n)
            && day_floor(r.time(r.n - 1)) == day;
        if !fits {
            break;
        }
        n += r.n;
        end += 1;
    }
    // no leap second inside the run either (its records' own checks end at each record)
    if end - first >= 2 && leap_second_within(f.start_ns, f.time(n - 1).saturating_add(NS_PER_S)) {
        return first + 1;
    }
    end
}

/// A contiguous run of kept samples of one record, in one day.
#[derive(Clone, Copy, Debug)]
struct Run {
    rec: usize,
    i0: i64,
    i1: i64,
    day: i64,
}

/// The records of the merge in rank order, for [`verify`].
pub(crate) fn ranked_records<'a>(
    nslc: &Nslc,
    archive: &[ArchiveDay<'a>],
    patches: &[PatchInput<'a>],
    opts: &MergeOptions,
) -> Result<Vec<Rec<'a>>> {
    let mut recs = Vec::new();
    for d in archive {
        let records = split_records(d.bytes)?;
        to_recs(
            nslc,
            records.into_iter().map(|r| (r, Some(d.day_start_ns))),
            0,
            opts.archive_priority,
            &mut recs,
        )?;
    }
    for (k, p) in patches.iter().enumerate() {
        to_recs(
            nslc,
            p.records.iter().map(|r| (*r, None)),
            k + 1,
            p.priority,
            &mut recs,
        )?;
    }
    Ok(rank(recs, opts))
}

/// Puts records in rank order: `recs` are the archive's records (input 0) then each
/// patch input's, in input order, as [`ranked_records`] reads them; their positions are
/// set from that order.
pub(crate) fn rank<'a>(mut recs: Vec<Rec<'a>>, opts: &MergeOptions) -> Vec<Rec<'a>> {
    for (i, r) in recs.iter_mut().enumerate() {
        r.pos = i;
    }
    set_trace_lengths(&mut recs, &opts.tolerance);
    recs.sort_by_key(|r| rank_key(r, opts));
    recs
}

/// Merges the patches of one stream into its current day files.
///
/// `archive` holds the current day files of the stream for **every** day from
/// `days.0` to `days.1` (inclusive, 00:00 UTC in ns) that has a file; `patches` the
/// patch records, each input with its priority. Returns every day that has data or had a
/// file, with its new bytes (see the module rules).
///
/// # Errors
/// [`Error::InvalidData`] for unreadable records, [`Error::InvalidArgument`] for records
/// of another stream or data that would fall in a day outside `days` (its current file
/// was not given, so it cannot be merged safely), [`Error::Codec`] when samples cannot be
/// decoded or re-encoded.
pub fn merge_stream(
    nslc: &Nslc,
    archive: &[ArchiveDay<'_>],
    patches: &[PatchInput<'_>],
    days: (i64, i64),
    opts: &MergeOptions,
) -> Result<StreamMerge> {
    opts.output.validate()?;
    let recs = ranked_records(nslc, archive, patches, opts)?;
    let m = merge_ranked(nslc, &recs, archive, days, opts)?;
    Ok(StreamMerge {
        nslc: nslc.clone(),
        days: m
            .days
            .into_iter()
            .map(|d| DayOutput {
                day_start_ns: d.day_start_ns,
                bytes: d.parts.concat(),
                changed: d.changed,
                had_file: d.had_file,
                stats: d.stats,
            })
            .collect(),
        warnings: m.warnings,
    })
}

/// A [`DayOutput`] as the merge assembles it: its records in file order, borrowed from
/// the inputs where they are copied (a day file left unchanged is one part, its old
/// bytes) and owned where they are re-encoded; each part holds whole records. Written
/// with vectored writes, so copied records go from the input buffers to the file.
#[derive(Debug)]
pub(crate) struct DayParts<'a> {
    pub(crate) day_start_ns: i64,
    pub(crate) parts: Vec<Cow<'a, [u8]>>,
    /// For each part, the rank (index in the `recs` given) of the record it is a copy of
    /// when it is that record's bytes, borrowed: a hint for the verification, which uses
    /// it only after checking that the part is the same memory as the record
    /// ([`verify_ranked`](verify::verify_ranked)).
    pub(crate) copied: Vec<Option<usize>>,
    pub(crate) changed: bool,
    pub(crate) had_file: bool,
    pub(crate) stats: DayStats,
}

impl DayParts<'_> {
    /// The parts as slices.
    pub(crate) fn slices(&self) -> Vec<&[u8]> {
        self.parts.iter().map(|p| &**p).collect()
    }

    /// The parts as the verification takes them: each with the rank of the record it
    /// copies ([`DayParts::copied`]).
    pub(crate) fn verify_parts(&self) -> Vec<verify::OutPart<'_>> {
        self.parts
            .iter()
            .zip(&self.copied)
            .map(|(p, &c)| (&**p, c))
            .collect()
    }
}

/// The result of [`merge_ranked`]: [`StreamMerge`] with days as [`DayParts`].
#[derive(Debug)]
pub(crate) struct StreamParts<'a> {
    pub(crate) days: Vec<DayParts<'a>>,
    pub(crate) warnings: Vec<String>,
    /// The superseded sample index ranges of each data record that lost samples: (rank
    /// of the record in the `recs` given, sorted disjoint ranges).
    pub(crate) superseded: Vec<(usize, Vec<(i64, i64)>)>,
}

/// Whether two byte strings are equal; slices of the same memory are, without a compare
/// (copied records are borrowed from the buffers they are compared with).
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

/// Whether `whole` is the concatenation of `parts` (compared without building it).
fn is_concat(whole: &[u8], parts: &[Cow<'_, [u8]>]) -> bool {
    if whole.len() != parts.iter().map(|p| p.len()).sum::<usize>() {
        return false;
    }
    let mut rest = whole;
    parts.iter().all(|p| {
        let (head, tail) = rest.split_at(p.len());
        rest = tail;
        same_bytes(head, p)
    })
}

/// [`merge_stream`] on the records of [`ranked_records`] (parsed once for the merge and
/// its verification), with the days as [`DayParts`] borrowing from `recs` and `archive`.
pub(crate) fn merge_ranked<'a>(
    nslc: &Nslc,
    recs: &[Rec<'a>],
    archive: &[ArchiveDay<'a>],
    days: (i64, i64),
    opts: &MergeOptions,
) -> Result<StreamParts<'a>> {
    let mut groups: Vec<RateGroup> = Vec::new();
    let group_of = |groups: &mut Vec<RateGroup>, rate: f64| -> usize {
        if let Some(i) = groups
            .iter()
            .position(|g| opts.tolerance.rates_equal(g.rate_hz, rate))
        {
            return i;
        }
        groups.push(RateGroup {
            rate_hz: rate,
            claims: Claims::default(),
            archive: Claims::default(),
        });
        groups.len() - 1
    };
    // Archive coverage, for the statistics only.
    for r in recs.iter().filter(|r| r.is_archive && r.is_data) {
        let g = group_of(&mut groups, r.rate_hz);
        groups[g].archive.insert(r.start_ns, r.cov_end());
    }
    let mut stats: BTreeMap<i64, DayStats> = BTreeMap::new();
    let mut runs: Vec<Run> = Vec::new();
    let mut nondata: Vec<(usize, i64)> = Vec::new();
    let mut lost: Vec<(usize, Vec<(i64, i64)>)> = Vec::new();
    // records before `claimed_until` were claimed with the run they begin; those before
    // `per_record_until` belong to a run that could not be, and go one by one
    let (mut claimed_until, mut per_record_until) = (0, 0);
    for (ri, r) in recs.iter().enumerate() {
        if ri < claimed_until {
            continue;
        }
        // A run of records on one exact sample grid (`contiguous_run`) is claimed as one
        // record up to its first superseded sample: the same samples kept, counted and
        // claimed as record by record (no sample of the run collides with another of
        // it), with one search of the claims instead of one per record. The records
        // holding superseded samples go one by one, and a new run is tried after them.
        if ri >= per_record_until {
            let end = contiguous_run(recs, ri);
            if end - ri >= 2 {
                let whole = Rec {
                    n: recs[ri..end].iter().map(|m| m.n).sum(),
                    ..r.clone()
                };
                let g = group_of(&mut groups, whole.rate_hz);
                let tol = Collision::new(opts, whole.rate_hz);
                let group = &mut groups[g];
                let superseded = group.claims.superseded(&whole, tol);
                // the record (index in `recs`) holding sample `i` of the run
                let member = |i: i64| {
                    let mut first = 0;
                    (ri..end)
                        .find(|&k| {
                            first += recs[k].n;
                            i < first
                        })
                        .unwrap_or(end - 1)
                };
                let (clean_end, bad_end) = match (superseded.first(), superseded.last()) {
                    (Some(&(a, _)), Some(&(_, b))) => (member(a), member(b - 1) + 1),
                    _ => (end, end),
                };
                if clean_end - ri >= 2 {
                    let v = Rec {
                        n: recs[ri..clean_end].iter().map(|m| m.n).sum(),
                        ..r.clone()
                    };
                    let day = day_floor(v.start_ns);
                    if !v.is_archive {
                        let in_archive = group.archive.superseded(&v, tol);
                        let replaced: i64 = in_archive.iter().map(|(a, b)| b - a).sum();
                        let st = stats.entry(day).or_default();
                        st.samples_replaced += replaced as u64;
                        st.samples_added += (v.n - replaced) as u64;
                    }
                    group.claims.insert(v.time(0), v.time(v.n));
                    runs.extend((ri..clean_end).map(|k| Run {
                        rec: k,
                        i0: 0,
                        i1: recs[k].n,
                        day,
                    }));
                    claimed_until = clean_end;
                    per_record_until = bad_end;
                    continue;
                }
                per_record_until = bad_end;
            }
        }
        if !r.is_data {
            let dup = r.input != 0
                && recs
                    .iter()
                    .any(|o| o.is_archive && !o.is_data && o.raw == r.raw);
            if !dup {
                nondata.push((ri, day_floor(r.start_ns)));
            }
            continue;
        }
        let g = group_of(&mut groups, r.rate_hz);
        let tol = Collision::new(opts, r.rate_hz);
        let group = &mut groups[g];
        let superseded = group.claims.superseded(r, tol);
        let kept = subtract(&[(0, r.n)], &superseded);
        let mut count = |ranges: &[(i64, i64)], field: fn(&mut DayStats) -> &mut u64| {
            for &(i0, i1) in ranges {
                for (a, b, day) in r.day_pieces(i0, i1) {
                    *field(stats.entry(day).or_default()) += (b - a) as u64;
                }
            }
        };
        count(&superseded, |st| &mut st.overlaps_removed);
        if !superseded.is_empty() {
            lost.push((ri, superseded.clone()));
        }
        if !r.is_archive {
            let in_archive = group.archive.superseded(r, tol);
            count(&intersect(&kept, &in_archive), |st| {
                &mut st.samples_replaced
            });
            count(&subtract(&kept, &in_archive), |st| &mut st.samples_added);
        }
        for &(i0, i1) in &kept {
            group.claims.insert(r.time(i0), r.time(i1));
            // re-encoded samples (part of a record, or an output option given) make new
            // records: one encoded across midnight would start the next day in this
            // day's file, so `placed` cuts them there even by start time
            let copied_whole = i0 == 0 && i1 == r.n && !opts.output.is_set();
            for (i0, i1, day) in r.placed(i0, i1, opts.split, copied_whole) {
                runs.push(Run {
                    rec: ri,
                    i0,
                    i1,
                    day,
                });
            }
        }
    }
    // Archive samples replaced by patches were counted on the archive side as
    // `overlaps_removed` when the archive ranks below; move them to `samples_replaced`.
    // (A patch sample is counted `samples_replaced` only when it is kept over an archive
    // sample, so the archive's dropped samples are matched one for one.)
    for st in stats.values_mut() {
        let moved = st.overlaps_removed.min(st.samples_replaced);
        st.overlaps_removed -= moved;
    }

    let mut warnings = Vec::new();
    for (a, ga) in groups.iter().enumerate() {
        for gb in groups.iter().skip(a + 1) {
            for (&s, &e) in &ga.claims.map {
                if let Some((&s2, &e2)) = gb.claims.map.range(..e).next_back() {
                    if e2 > s {
                        warnings.push(format!(
                            "{nslc}: data at {} Hz and {} Hz (rates differ beyond the \
                             tolerance) overlap from {} to {}; kept as separate segments",
                            ga.rate_hz,
                            gb.rate_hz,
                            format_time(s.max(s2)),
                            format_time(e.min(e2))
                        ));
                        break;
                    }
                }
            }
        }
    }

    // Assemble the days.
    let mut by_day: BTreeMap<i64, (Vec<Run>, Vec<usize>)> = BTreeMap::new();
    for run in runs {
        by_day.entry(run.day).or_default().0.push(run);
    }
    for (ri, day) in nondata {
        by_day.entry(day).or_default().1.push(ri);
    }
    let mut old_counts: BTreeMap<i64, usize> = BTreeMap::new();
    for r in recs.iter().filter(|r| r.is_archive) {
        *old_counts.entry(r.file_day.unwrap_or(0)).or_default() += 1;
    }
    for d in archive {
        by_day.entry(d.day_start_ns).or_default();
    }
    let mut decoded: HashMap<usize, Samples> = HashMap::new();
    let mut out_days = Vec::new();
    for (day, (mut day_runs, nd)) in by_day {
        if day < days.0 || day > days.1 {
            return Err(Error::invalid_argument(format!(
                "{nslc}: merged data falls on {}, outside the days whose files were read \
                 ({} to {})",
                crate::time::format_date(day),
                crate::time::format_date(days.0),
                crate::time::format_date(days.1)
            )));
        }
        let old = archive.iter().find(|d| d.day_start_ns == day);
        let whole = |run: &Run| run.i0 == 0 && run.i1 == recs[run.rec].n;
        let unchanged = old.is_some()
            && day_runs.iter().all(|run| {
                let r = &recs[run.rec];
                r.is_archive && r.file_day == Some(day) && whole(run)
            })
            && nd
                .iter()
                .all(|&ri| recs[ri].is_archive && recs[ri].file_day == Some(day))
            && day_runs.len() + nd.len() == old_counts.get(&day).copied().unwrap_or(0);
        let mut st = stats.get(&day).copied().unwrap_or_default();
        if unchanged {
            st.records_copied = (day_runs.len() + nd.len()) as u64;
            out_days.push(DayParts {
                day_start_ns: day,
                parts: old
                    .map(|d| vec![Cow::Borrowed(d.bytes)])
                    .unwrap_or_default(),
                copied: old.map(|_| vec![None]).unwrap_or_default(),
                changed: false,
                had_file: true,
                stats: st,
            });
            continue;
        }
        day_runs.sort_by_key(|run| (recs[run.rec].time(run.i0), run.rec));
        // (start time, bytes, rank of the record copied) of each output record or record
        // group; copied records are borrowed, never copied in memory
        let mut pieces: Vec<(i64, Cow<'a, [u8]>, Option<usize>)> = Vec::new();
        for &ri in &nd {
            pieces.push((recs[ri].start_ns, Cow::Borrowed(recs[ri].raw), Some(ri)));
            st.records_copied += 1;
        }
        // Re-encoded samples keep their times (`repack`): runs are joined only where the
        // encoder gives the next run's first sample its own time.
        let mut traces: Vec<Trace> = Vec::new();
        for run in &day_runs {
            let r = &recs[run.rec];
            if whole(run) && !opts.output.is_set() {
                pieces.push((r.start_ns, Cow::Borrowed(r.raw), Some(run.rec)));
                st.records_copied += 1;
                continue;
            }
            let samples = cut(&mut decoded, run, r)?;
            let pack = pack_options(r, &samples, &opts.output);
            let samples = convert(samples, pack.encoding)?;
            traces.push(Trace::new(
                r.start_ns, r.rate_raw, r.rate_hz, run.i0, pack, samples,
            ));
        }
        let traces = if opts.output.is_set() {
            join_exact(traces)
        } else {
            traces
        };
        for t in &traces {
            let (bytes, records) = encode_trace(nslc, t)?;
            st.records_encoded += records;
            pieces.push((t.start_ns, Cow::Owned(bytes), None));
        }
        pieces.sort_by_key(|p| p.0);
        let (parts, copied): (Vec<Cow<'a, [u8]>>, Vec<Option<usize>>) =
            pieces.into_iter().map(|p| (p.1, p.2)).unzip();
        let changed = old.is_none_or(|d| !is_concat(d.bytes, &parts));
        out_days.push(DayParts {
            day_start_ns: day,
            parts,
            copied,
            changed,
            had_file: old.is_some(),
            stats: st,
        });
    }
    Ok(StreamParts {
        days: out_days,
        warnings,
        superseded: lost,
    })
}

/// The samples `run.i0..run.i1` of a record (decoded once).
fn cut(cache: &mut HashMap<usize, Samples>, run: &Run, r: &Rec<'_>) -> Result<Samples> {
    let s = match cache.entry(run.rec) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => e.insert(decode_record(r.raw)?.samples),
    };
    Ok(repack::sub(s, run.i0 as usize, run.i1 as usize))
}

/// How a record's samples are re-encoded: its own settings, overridden by `out`;
/// encodings libmseed cannot write become Steim2 / float32 / float64.
fn pack_options(r: &Rec<'_>, samples: &Samples, out: &OutputOptions) -> PackOptions {
    let own_encoding = match (r.encoding, samples) {
        (1 | 3 | 10 | 11, Samples::Int32(_)) => r.encoding,
        (4, Samples::Float32(_)) | (5, Samples::Float64(_)) => r.encoding,
        (_, Samples::Float32(_)) => 4,
        (_, Samples::Float64(_)) => 5,
        _ => 11,
    };
    let format_version = out.format_version.unwrap_or(r.format_version);
    let record_length = out
        .record_length
        .unwrap_or(if format_version == r.format_version {
            r.record_length
        } else {
            4096
        });
    let record_length = if format_version == 2 && !record_length.is_power_of_two() {
        record_length.next_power_of_two().clamp(256, 8192)
    } else {
        record_length.max(256)
    };
    PackOptions {
        record_length,
        encoding: out.encoding.unwrap_or(own_encoding),
        format_version,
        pub_version: out.pub_version.unwrap_or(r.pub_version.max(1)),
    }
}

/// Converts samples to the type an encoding needs.
///
/// # Errors
/// [`Error::InvalidArgument`] when floats that are not whole numbers (or out of range)
/// would be written with an integer encoding.
fn convert(samples: Samples, encoding: u8) -> Result<Samples> {
    let to_int = |v: Vec<f64>| -> Result<Samples> {
        v.into_iter()
            .map(|x| {
                if x.fract() == 0.0 && x >= f64::from(i32::MIN) && x <= f64::from(i32::MAX) {
                    Ok(x as i32)
                } else {
                    Err(Error::invalid_argument(format!(
                        "sample {x} cannot be written with integer encoding {encoding}"
                    )))
                }
            })
            .collect::<Result<Vec<i32>>>()
            .map(Samples::Int32)
    };
    Ok(match (encoding, samples) {
        (1 | 3 | 10 | 11, Samples::Float32(v)) => to_int(v.into_iter().map(f64::from).collect())?,
        (1 | 3 | 10 | 11, Samples::Float64(v)) => to_int(v)?,
        (4, Samples::Int32(v)) => Samples::Float32(v.into_iter().map(|x| x as f32).collect()),
        (4, Samples::Float64(v)) => Samples::Float32(v.into_iter().map(|x| x as f32).collect()),
        (5, Samples::Int32(v)) => Samples::Float64(v.into_iter().map(f64::from).collect()),
        (5, Samples::Float32(v)) => Samples::Float64(v.into_iter().map(f64::from).collect()),
        (_, s) => s,
    })
}

/// The records of `bytes` (a miniSEED file, any streams) cut to their samples whose time
/// lies in `window` (`[start, end)`, ns since 1970 UTC): a data record wholly inside is
/// copied byte for byte, one wholly outside (or with no sample inside) dropped, one across
/// a bound decoded and its samples inside re-encoded with the record's own encoding,
/// record length, format version and publication version (as the merge re-encodes,
/// sample times kept: `merge/repack.rs`). Non-data records are kept when they start in
/// the window. Used to restrict revised data to the span a source revised
/// ([`crate::update::revisions`]), so that a merge with [`ArchivePolicy::Loses`] or
/// [`ArchivePolicy::Quality`] changes nothing outside it.
///
/// # Errors
/// [`Error::InvalidData`] for unreadable bytes; [`Error::Codec`] when samples cannot be
/// decoded or re-encoded.
pub fn cut_to_window(bytes: &[u8], window: (i64, i64)) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    for raw in split_records(bytes)? {
        let nslc = parse_record(raw)
            .map_err(|e| Error::invalid_data("", 0, e.message))?
            .nslc();
        let mut recs = Vec::with_capacity(1);
        to_recs(&nslc, std::iter::once((raw, None)), 1, 0, &mut recs)?;
        let r = &recs[0];
        if !r.is_data || r.n <= 0 {
            if r.start_ns >= window.0 && r.start_ns < window.1 {
                out.extend_from_slice(r.raw);
            }
            continue;
        }
        let (i0, i1) = (r.index_at(window.0), r.index_at(window.1));
        if i0 >= i1 {
            continue;
        }
        if i0 == 0 && i1 == r.n {
            out.extend_from_slice(r.raw);
            continue;
        }
        let samples = repack::sub(&decode_record(r.raw)?.samples, i0 as usize, i1 as usize);
        let pack = pack_options(r, &samples, &OutputOptions::default());
        let samples = convert(samples, pack.encoding)?;
        let t = Trace::new(r.start_ns, r.rate_raw, r.rate_hz, i0, pack, samples);
        out.extend(encode_trace(&nslc, &t)?.0);
    }
    Ok(out)
}

/// The UTC days `[first, last]` (00:00 in ns) touched by records' coverage.
pub fn days_touched(records: &[&[u8]]) -> Option<(i64, i64)> {
    let mut span: Option<(i64, i64)> = None;
    for raw in records {
        if let Ok(h) = parse_record(raw) {
            let (a, b) = h.days();
            span = Some(match span {
                None => (a, b),
                Some((x, y)) => (x.min(a), y.max(b)),
            });
        }
    }
    span
}

/// One day in ns (re-exported for callers iterating over days).
pub const DAY_NS: i64 = NS_PER_DAY;
