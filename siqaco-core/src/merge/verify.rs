//! Proof, sample by sample, that a merge result is right before it replaces anything
//! (Morumotto's `check_diff`, done right).
//!
//! Every input record (archive and patches) and every output day file are decoded. Within
//! each group of rates equal under the [`Tolerance`](crate::segment::Tolerance), with `tol`
//! the time tolerance (limited to 1 ns … half a period) and `reach = period − tol` (the
//! collision window of the merge rule, `docs/merge.md`):
//!
//! 1. no two output samples are less than `reach` apart (no overlap added, none left);
//! 2. every output sample is an input sample: the input sample closest to it within `tol`
//!    (best-ranked among equally close ones) has its value (nothing invented) and its
//!    time, to the resolution of the output record's format (nothing moved: exactly for
//!    miniSEED 3 when the period is a whole number of ns, otherwise within 1 ns; within
//!    1 µs for miniSEED 2, whose record starts hold microseconds);
//! 3. every input sample `s` has an output sample `o` with `−reach ≤ s − o < reach` whose
//!    source (2) is ranked at least as well: it is kept, or superseded by a better-ranked
//!    sample (nothing lost, never a lower-priority value over a higher-priority one);
//! 4. every output sample lies in its file's day ([`DaySplit::Midnight`]), or every output
//!    record starts in its file's day ([`DaySplit::StartTime`]).
//!
//! Rule 1 is checked on record extents (first and last sample of each output record), and
//! rule 4 on record headers. Rules 2 and 3 are proven at record level where they can be,
//! since merges copy most records unchanged and decoding them all was most of the time of
//! a merge:
//!
//! - an output record byte-identical to an input record `Q` (the best-ranked of identical
//!   ones) proves rules 2 and 3 for `Q`'s samples (they are kept, with their values) when
//!   no input record ranked better than `Q` reaches into `Q`'s first-to-last-sample span
//!   of its rate group (so no better-ranked sample could tie with one of `Q`'s at distance
//!   0), and its samples are at most `2 × reach` apart (exactly checkable from the rate):
//!   then the collision windows `[o − reach, o + reach)` of its samples `o` tile
//!   `[first − reach, last + reach)`, the record's **window**;
//! - an input record whose samples all lie in one run of windows of such records ranked
//!   at least as well satisfies rule 3 (each of its samples collides with a kept sample of
//!   a record ranked at least as well): a record superseded on an aligned grid, the
//!   common case of a re-fetched day, is proven without decoding.
//!
//! Everything else is decoded and checked sample by sample; a decoded input sample may
//! also be superseded by a sample of a window. An output sample whose closest input
//! sample was proven at record level would lie within `reach` of a window's kept sample,
//! which rule 1 rejects.
//!
//! Archive samples outside the patches' coverage are inputs too, so 3 proves that nothing
//! outside the merged window changed.

use super::{
    ranked_records, same_bytes, ArchiveDay, Claims, Collision, DaySplit, MergeOptions, PatchInput,
    Rec,
};
use crate::codec::{decode_record, Samples};
use crate::error::{Error, Result};
use crate::record::{RecordCodes, RecordScanner, ScanItem};
use crate::sid::Nslc;
use crate::time::sample_time;
use crate::time::{day_floor, format_date, format_time};

/// A decoded sample: time (ns), rank of its record (of its source input sample, for
/// outputs), value.
#[derive(Clone, Copy, Debug)]
struct S {
    t: i64,
    rank: usize,
    v: f64,
}

/// A window `[lo, hi]` of times sliding forward over samples sorted by time: the queries
/// come in increasing order, so the whole sweep is linear (binary searches over tens of
/// millions of samples cost most of the verification time).
#[derive(Default)]
struct Window {
    a: usize,
    b: usize,
}

impl Window {
    /// The index range of the samples of `v` with `lo ≤ t ≤ hi`; `lo` and `hi` must not
    /// decrease from one call to the next.
    fn advance(&mut self, v: &[S], lo: i64, hi: i64) -> std::ops::Range<usize> {
        while self.a < v.len() && v[self.a].t < lo {
            self.a += 1;
        }
        self.b = self.b.max(self.a);
        while self.b < v.len() && v[self.b].t <= hi {
            self.b += 1;
        }
        self.a..self.b
    }
}

/// The values of decoded samples as `f64` (text: none).
pub(super) fn values(samples: &Samples) -> Vec<f64> {
    match samples {
        Samples::Int32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Samples::Float32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Samples::Float64(v) => v.clone(),
        Samples::Text(_) => Vec::new(),
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// How a verification proved its result: records proven at record level (no decoding)
/// and records checked sample by sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct VerifyStats {
    /// Output records proven as byte-identical copies of input records.
    pub copies_proven: u64,
    /// Input records proven superseded (or kept) without decoding.
    pub inputs_proven: u64,
    /// Input and output records decoded and checked sample by sample.
    pub records_decoded: u64,
    /// Samples decoded and checked.
    pub samples_checked: u64,
}

struct Group {
    rate_hz: f64,
    inputs: Vec<S>,
    outputs: Vec<S>,
    /// How far (ns) a decoded output sample may lie from its source input sample: the
    /// largest [`time_slack_ns`](super::repack::time_slack_ns) of the group's decoded
    /// output records.
    slack_ns: i64,
}

fn group_index(groups: &mut Vec<Group>, rate: f64, opts: &MergeOptions) -> usize {
    match groups
        .iter()
        .position(|g| opts.tolerance.rates_equal(g.rate_hz, rate))
    {
        Some(i) => i,
        None => {
            groups.push(Group {
                rate_hz: rate,
                inputs: Vec::new(),
                outputs: Vec::new(),
                slack_ns: 0,
            });
            groups.len() - 1
        }
    }
}

/// Decodes the samples of input record `r` (of rank `rank`) into `g`; returns how many.
fn push_inputs(g: &mut Group, r: &Rec<'_>, rank: usize) -> Result<u64> {
    let d = decode_record(r.raw)?;
    let n = d.samples.len() as u64;
    for (i, v) in values(&d.samples).into_iter().enumerate() {
        g.inputs.push(S {
            t: r.time(i as i64),
            rank,
            v,
        });
    }
    Ok(n)
}

/// Whether the sample times of `r` are never more than `2 × reach` apart, so that the
/// collision windows `[t − reach, t + reach)` of its samples leave no hole. Sample times
/// are `start + ⌊i × P + 0.5⌋` ([`sample_time`]): steps are `⌊P⌋` or `⌈P⌉`, and exactly
/// `P` when `P` is within `0.25 / n` ns of an integer. Records across a leap second, where
/// times step back, never qualify.
fn spacing_within(r: &Rec<'_>, c: Collision) -> bool {
    if r.leap || r.n <= 0 {
        return false;
    }
    let p = r.period_ns();
    let max_step = if (p - p.round()).abs() * (r.n as f64) < 0.25 {
        p.round()
    } else {
        p.ceil()
    };
    max_step.is_finite() && max_step <= (2 * c.reach) as f64
}

/// For each input record that has a byte-identical output record (`copy_of`), whether a
/// record ranked better (a smaller index in `recs`) of the same rate group has a sample
/// within its first-to-last-sample span, or might have: the answer errs only towards
/// `true`, which sends the record to the sample-by-sample check.
///
/// `by_start` is `(start, rank)` of every data record, sorted. Records starting within
/// the span follow the record in that order; of those starting before it only the ones
/// ending at or after its start matter, found by a backward scan that stops where the
/// running maximum of the last sample times before a position falls below the start
/// (answered `true` past 64 records): linear for records that do not overlap, where a
/// search tree of the spans cost a tenth of a merge.
pub(super) fn reached_by_better(
    recs: &[Rec<'_>],
    rec_group: &[usize],
    by_start: &[(i64, usize)],
    copy_of: &[Option<usize>],
) -> Vec<bool> {
    const BACK: usize = 64;
    let last = |rank: usize| recs[rank].time(recs[rank].n - 1);
    let mut blocked = vec![false; recs.len()];
    // the greatest last-sample time of the records before each position
    let mut max_last_before = Vec::with_capacity(by_start.len());
    let mut m = i64::MIN;
    for &(_, rank) in by_start {
        max_last_before.push(m);
        m = m.max(last(rank));
    }
    for (p, &(first, rank)) in by_start.iter().enumerate() {
        if copy_of[rank].is_none() {
            continue;
        }
        let (g, end) = (rec_group[rank], last(rank));
        let better = |j: usize| j < rank && rec_group[j] == g;
        let after = by_start[p + 1..]
            .iter()
            .take_while(|&&(t, _)| t <= end)
            .any(|&(_, j)| better(j));
        let before = max_last_before[p] >= first && {
            // back from p until no earlier record can end at or after `first`
            let mut answer = None;
            for k in (p.saturating_sub(BACK)..p).rev() {
                let j = by_start[k].1;
                if better(j) && last(j) >= first {
                    answer = Some(true);
                    break;
                }
                if max_last_before[k] < first {
                    answer = Some(false);
                    break;
                }
            }
            answer.unwrap_or(true)
        };
        blocked[rank] = after || before;
    }
    blocked
}

/// An output record checked by header only.
struct OutRec<'a> {
    raw: &'a [u8],
    start_ns: i64,
    last_ns: i64,
    rate_raw: f64,
    group: usize,
    /// The input record (rank) it is a byte-identical copy of, proven at record level.
    source: Option<usize>,
}

/// Verifies the new day files `outputs` (`(day start ns, bytes)`, every day the merge
/// produced, changed or not) of stream `nslc` against the inputs given to
/// [`merge_stream`](super::merge_stream), with the same options.
///
/// # Errors
/// [`Error::InvalidData`] whose message says which rule failed, at which sample time and
/// for which input; decoding errors of the inputs or outputs.
pub fn verify_stream(
    nslc: &Nslc,
    archive: &[ArchiveDay<'_>],
    patches: &[PatchInput<'_>],
    outputs: &[(i64, &[u8])],
    opts: &MergeOptions,
) -> Result<VerifyStats> {
    let recs = ranked_records(nslc, archive, patches, opts)?;
    let outputs: Vec<(i64, Vec<OutPart<'_>>)> =
        outputs.iter().map(|&(d, b)| (d, vec![(b, None)])).collect();
    Ok(verify_ranked(nslc, &recs, &outputs, opts, None)?
        .expect("a verification without a cancellation flag runs to its end"))
}

/// One part of an output day file, as [`verify_ranked`] takes it: whole records, and the
/// rank (index in its `recs`) of the input record the merge copied when the part is that
/// record's bytes. The rank is a hint: it is used only when the part is the same memory
/// as that record (`std::ptr::eq`: same address and length), which proves the bytes equal
/// without reading them; any other part is read header by header.
pub(crate) type OutPart<'a> = (&'a [u8], Option<usize>);

/// Records between two looks at the cancellation flag in [`verify_ranked`].
const CANCEL_EVERY: usize = 4096;

/// [`verify_stream`] on the records of [`ranked_records`] (parsed once for the merge and
/// its verification), with each output day file given as the parts it is written from
/// ([`DayParts`](super::DayParts)), each part holding whole records ([`OutPart`]).
/// `Ok(None)` when `cancel` was set before the proof was complete: nothing is proven then.
pub(crate) fn verify_ranked(
    nslc: &Nslc,
    recs: &[Rec<'_>],
    outputs: &[(i64, Vec<OutPart<'_>>)],
    opts: &MergeOptions,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Option<VerifyStats>> {
    let mut stats = VerifyStats::default();
    let fail = |msg: String| Error::invalid_data("", 0, format!("{nslc}: verification: {msg}"));
    let mut groups: Vec<Group> = Vec::new();
    let mut rec_group = vec![usize::MAX; recs.len()];
    for (i, r) in recs.iter().enumerate() {
        if r.is_data {
            rec_group[i] = group_index(&mut groups, r.rate_hz, opts);
        }
    }
    // Output records: rule 4, rate groups, extents for rule 1. A part that is the same
    // memory as the input record the merge says it copies is that record: its header was
    // read by the validation gate with the inputs, and its bytes are the record's. Every
    // other part is read here, header by header.
    let parts = outputs.iter().map(|(_, p)| p.len()).sum::<usize>();
    let mut outs: Vec<OutRec<'_>> = Vec::with_capacity(parts);
    // (output record, rank) of the parts that are their input record's own bytes
    let mut same_memory: Vec<(usize, usize)> = Vec::with_capacity(parts);
    // the codes of the last record checked to be of `nslc`
    let mut checked: Option<RecordCodes<'_>> = None;
    for (day, parts) in outputs {
        let day = *day;
        // Rule 4, from the header: sample times increase within a record.
        let in_day = |first: i64, last: i64| {
            let wrong_day = match opts.split {
                DaySplit::StartTime => {
                    (day_floor(first) != day).then_some(("record starting", first))
                }
                DaySplit::Midnight => (day_floor(first) != day)
                    .then_some(("sample at", first))
                    .or((day_floor(last) != day).then_some(("sample at", last))),
            };
            match wrong_day {
                Some((what, t)) => Err(fail(format!(
                    "{what} {} is in the file of {}",
                    format_time(t),
                    format_date(day)
                ))),
                None => Ok(()),
            }
        };
        for &(part, copied) in parts {
            let own = copied.filter(|&k| recs.get(k).is_some_and(|r| std::ptr::eq(r.raw, part)));
            if let Some(rank) = own {
                let r = &recs[rank];
                if !r.is_data {
                    continue;
                }
                let (first, last) = (r.start_ns, r.time(r.n - 1));
                in_day(first, last)?;
                same_memory.push((outs.len(), rank));
                outs.push(OutRec {
                    raw: part,
                    start_ns: first,
                    last_ns: last,
                    rate_raw: r.rate_raw,
                    group: rec_group[rank],
                    source: None,
                });
                continue;
            }
            for h in RecordScanner::new(part) {
                let h = match h {
                    ScanItem::Record { header, .. } => header,
                    ScanItem::Invalid {
                        offset, message, ..
                    } => {
                        return Err(fail(format!(
                            "unreadable output bytes (offset {offset} of a part): {message}"
                        )))
                    }
                };
                if checked != Some(h.codes) {
                    if h.nslc() != *nslc {
                        return Err(fail(format!("output holds a record of {}", h.nslc())));
                    }
                    checked = Some(h.codes);
                }
                if !h.is_data() {
                    continue;
                }
                let (first, last) = (h.start_ns, h.end_ns());
                in_day(first, last)?;
                outs.push(OutRec {
                    raw: h.raw,
                    start_ns: first,
                    last_ns: last,
                    rate_raw: h.sample_rate_raw,
                    group: group_index(&mut groups, h.sample_rate_hz, opts),
                    source: None,
                });
            }
        }
    }
    // Byte-identical copies: an output record that is an input record's own memory is
    // its copy; each other output record takes the best-ranked identical input record
    // not taken yet.
    let mut by_start: Vec<(i64, usize)> = Vec::with_capacity(recs.len());
    by_start.extend(
        (0..recs.len())
            .filter(|&rank| recs[rank].is_data)
            .map(|rank| (recs[rank].start_ns, rank)),
    );
    // sorted runs (rank order is time order within each input): a merge of runs
    by_start.sort();
    let mut copy_of: Vec<Option<usize>> = vec![None; recs.len()];
    let mut matched = vec![false; outs.len()];
    for &(k, rank) in &same_memory {
        if copy_of[rank].is_none() {
            copy_of[rank] = Some(k);
            matched[k] = true;
        }
    }
    for (k, o) in outs.iter().enumerate().filter(|&(k, _)| !matched[k]) {
        let from = by_start.partition_point(|&(t, _)| t < o.start_ns);
        let best = by_start[from..]
            .iter()
            .take_while(|&&(t, _)| t == o.start_ns)
            .map(|&(_, rank)| rank)
            .find(|&rank| copy_of[rank].is_none() && same_bytes(recs[rank].raw, o.raw));
        if let Some(rank) = best {
            copy_of[rank] = Some(k);
        }
    }
    // A copy is proven when no better-ranked input of its rate group reaches into its
    // first-to-last-sample span (and its windows tile, below).
    let blocked = reached_by_better(recs, &rec_group, &by_start, &copy_of);
    // In rank order: an input inside the windows of proven copies ranked at least as well
    // needs no decoding; every other input is decoded.
    let mut windows: Vec<Claims> = (0..groups.len()).map(|_| Claims::default()).collect();
    // per group: (window start, window end, rank) of the proven copies
    let mut window_list: Vec<Vec<(i64, i64, usize)>> = vec![Vec::new(); groups.len()];
    for (rank, r) in recs.iter().enumerate() {
        if rank % CANCEL_EVERY == 0 && crate::is_cancelled(cancel) {
            return Ok(None);
        }
        if !r.is_data {
            continue;
        }
        let g = rec_group[rank];
        let c = Collision::new(opts, groups[g].rate_hz);
        let (first, last) = (r.start_ns, r.time(r.n - 1));
        let proven_copy = copy_of[rank].filter(|_| !blocked[rank] && spacing_within(r, c));
        if let Some(k) = proven_copy {
            stats.copies_proven += 1;
            stats.inputs_proven += 1;
            outs[k].source = Some(rank);
            let (lo, hi) = (first.saturating_sub(c.reach), last.saturating_add(c.reach));
            windows[g].insert(lo, hi);
            window_list[g].push((lo, hi, rank));
        } else if windows[g].covers(first, last) {
            stats.inputs_proven += 1;
        } else {
            stats.records_decoded += 1;
            stats.samples_checked += push_inputs(&mut groups[g], r, rank)?;
        }
    }
    // Output records not proven at record level: sample by sample.
    let mut extents: Vec<Vec<(i64, i64)>> = vec![Vec::new(); groups.len()];
    if let [one] = &mut extents[..] {
        one.reserve_exact(outs.len());
    }
    for (k, o) in outs.iter().enumerate() {
        if k % CANCEL_EVERY == 0 && crate::is_cancelled(cancel) {
            return Ok(None);
        }
        extents[o.group].push((o.start_ns, o.last_ns));
        if o.source.is_some() {
            continue;
        }
        let d = decode_record(o.raw)?;
        stats.records_decoded += 1;
        stats.samples_checked += d.samples.len() as u64;
        let slack = super::repack::time_slack_ns(d.format_version, d.sample_rate_hz);
        groups[o.group].slack_ns = groups[o.group].slack_ns.max(slack);
        for (i, v) in values(&d.samples).into_iter().enumerate() {
            let t = sample_time(o.start_ns, i as i64, o.rate_raw);
            groups[o.group].outputs.push(S { t, rank: 0, v });
        }
    }
    for ((g, ext), wins) in groups.iter_mut().zip(&mut extents).zip(&mut window_list) {
        if crate::is_cancelled(cancel) {
            return Ok(None);
        }
        let c = Collision::new(opts, g.rate_hz);
        // Rule 1, record by record: consecutive output records are at least `reach` apart
        // (samples within a record are a period apart, and a period is at least `reach`).
        // in output order, which is time order within each day file: a merge of sorted
        // runs
        ext.sort();
        for w in ext.windows(2) {
            if w[1].0 - w[0].1 < c.reach {
                return Err(fail(format!(
                    "output samples at {} and {} overlap",
                    format_time(w[0].1.min(w[1].0)),
                    format_time(w[1].0.max(w[0].1))
                )));
            }
        }
        g.inputs.sort_by_key(|s| (s.t, s.rank));
        g.outputs.sort_by_key(|s| s.t);
        if crate::is_cancelled(cancel) {
            return Ok(None);
        }
        // Rule 2: each output sample is the input sample closest in time (within the
        // tolerance; the best-ranked of equally close ones), with its value.
        let mut within = Window::default();
        for o in g.outputs.iter_mut() {
            let r = within.advance(&g.inputs, o.t - c.tol, o.t + c.tol);
            let Some(src) = g.inputs[r]
                .iter()
                .min_by_key(|s| ((s.t - o.t).abs(), s.rank))
            else {
                return Err(fail(format!(
                    "output sample at {} comes from no input",
                    format_time(o.t)
                )));
            };
            if !same(src.v, o.v) {
                let rec = &recs[src.rank];
                return Err(fail(format!(
                    "output sample at {} is {}, but the best-ranked input sample there ({}, priority {}) \
                     has {}",
                    format_time(o.t),
                    o.v,
                    if rec.is_archive {
                        "the archive".to_string()
                    } else {
                        format!("patch {}", rec.input)
                    },
                    rec.priority,
                    src.v
                )));
            }
            if (src.t - o.t).abs() > g.slack_ns {
                return Err(fail(format!(
                    "output sample at {} is the input sample at {} moved by {} ns, more \
                     than the output format's time resolution allows",
                    format_time(o.t),
                    format_time(src.t),
                    o.t - src.t
                )));
            }
            o.rank = src.rank;
        }
        // Rule 3: each input sample is kept, or collides with an output sample of a record
        // ranked at least as well (the output sample that superseded it), decoded or in
        // the window of a proven copy. Rule 1 holds, so only the last two windows starting
        // at or before a time can hold it.
        // runs sorted by time, one per input and rank class
        wins.sort();
        let in_window = |t: i64, rank: usize| {
            let k = wins.partition_point(|w| w.0 <= t);
            wins[k.saturating_sub(2)..k]
                .iter()
                .any(|w| t < w.1 && w.2 <= rank)
        };
        let mut within = Window::default();
        for s in &g.inputs {
            let r = within.advance(&g.outputs, s.t - c.reach + 1, s.t + c.reach);
            if !g.outputs[r]
                .iter()
                .any(|o| o.rank <= s.rank && c.collides(s.t, o.t))
                && !in_window(s.t, s.rank)
            {
                let rec = &recs[s.rank];
                return Err(fail(format!(
                    "sample at {} of {} (priority {}) is lost or replaced by a lower-ranked \
                     sample",
                    format_time(s.t),
                    if rec.is_archive {
                        "the archive".to_string()
                    } else {
                        format!("patch {}", rec.input)
                    },
                    rec.priority
                )));
            }
        }
    }
    Ok(Some(stats))
}
