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
//!    (best-ranked among equally close ones) has its value (nothing invented);
//! 3. every input sample `s` has an output sample `o` with `−reach ≤ s − o < reach` whose
//!    source (2) is ranked at least as well: it is kept, or superseded by a better-ranked
//!    sample (nothing lost, never a lower-priority value over a higher-priority one);
//! 4. every output sample lies in its file's day ([`DaySplit::Midnight`]), or every output
//!    record starts in its file's day ([`DaySplit::StartTime`]).
//!
//! Rule 1 is checked on record extents (first and last sample of each output record), and
//! rule 4 on record headers. An input record whose samples are all more than `reach` from
//! every other input record's is checked at record level: a byte-identical output record
//! proves rules 2 and 3 for it without decoding (merges copy most records unchanged, and
//! decoding them all was most of the time of a merge). Every other record is decoded and
//! checked sample by sample.
//!
//! Archive samples outside the patches' coverage are inputs too, so 3 proves that nothing
//! outside the merged window changed.

use super::{
    ranked_records, split_records, ArchiveDay, Collision, DaySplit, MergeOptions, PatchInput, Rec,
};
use crate::codec::{decode_record, Samples};
use crate::error::{Error, Result};
use crate::record::{parse_record, sample_time};
use crate::sid::Nslc;
use crate::time::{day_floor, format_date, format_time};
use std::collections::HashMap;

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

fn values(samples: &Samples) -> Vec<f64> {
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

struct Group {
    rate_hz: f64,
    inputs: Vec<S>,
    outputs: Vec<S>,
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
            });
            groups.len() - 1
        }
    }
}

/// Decodes the samples of input record `r` (of rank `rank`) into `g`.
fn push_inputs(g: &mut Group, r: &Rec<'_>, rank: usize) -> Result<()> {
    let d = decode_record(r.raw)?;
    for (i, v) in values(&d.samples).into_iter().enumerate() {
        g.inputs.push(S {
            t: r.time(i as i64),
            rank,
            v,
        });
    }
    Ok(())
}

/// For each record (by rank), whether it is a data record whose samples are all more than
/// `reach` away from every sample of every other input record of its rate group (checked on
/// the records' extents: first to last sample).
fn isolated_records(
    recs: &[Rec<'_>],
    rec_group: &[usize],
    groups: &[Group],
    opts: &MergeOptions,
) -> Vec<bool> {
    let mut out = vec![false; recs.len()];
    let mut order: Vec<usize> = (0..recs.len()).filter(|&i| recs[i].is_data).collect();
    order.sort_unstable_by_key(|&i| (rec_group[i], recs[i].start_ns));
    for same in order.chunk_by(|&a, &b| rec_group[a] == rec_group[b]) {
        let c = Collision::new(opts, groups[rec_group[same[0]]].rate_hz);
        let mut prev_last = i64::MIN;
        for (k, &i) in same.iter().enumerate() {
            let r = &recs[i];
            let last = r.time(r.n - 1);
            let left = prev_last.saturating_add(c.reach) < r.start_ns;
            let right = same
                .get(k + 1)
                .is_none_or(|&j| last.saturating_add(c.reach) < recs[j].start_ns);
            out[i] = left && right;
            prev_last = prev_last.max(last);
        }
    }
    out
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
) -> Result<()> {
    let fail = |msg: String| Error::invalid_data("", 0, format!("{nslc}: verification: {msg}"));
    let recs = ranked_records(nslc, archive, patches, opts)?;
    let mut groups: Vec<Group> = Vec::new();
    let mut rec_group = vec![usize::MAX; recs.len()];
    for (i, r) in recs.iter().enumerate() {
        if r.is_data {
            rec_group[i] = group_index(&mut groups, r.rate_hz, opts);
        }
    }
    // Record-level shortcut. An input record with no other input record of its rate group
    // within `reach` of its samples ("isolated") collides with nothing, so rules 2 and 3
    // hold for its samples exactly when the output holds all of them, unchanged: a
    // byte-identical output record proves it without decoding. Everything else is checked
    // sample by sample. An output sample elsewhere within `reach` of such a record would
    // fail the record-level rule 1 below.
    let isolated = isolated_records(&recs, &rec_group, &groups, opts);
    // isolated records by start time (isolated records never share one)
    let mut unmatched: HashMap<i64, usize> = HashMap::new();
    for (rank, r) in recs.iter().enumerate() {
        if !r.is_data {
            continue;
        }
        if isolated[rank] {
            unmatched.insert(r.start_ns, rank);
            continue;
        }
        push_inputs(&mut groups[rec_group[rank]], r, rank)?;
    }
    // output records of each group: (first, last sample time)
    let mut extents: Vec<Vec<(i64, i64)>> = vec![Vec::new(); groups.len()];
    for &(day, bytes) in outputs {
        for raw in split_records(bytes)? {
            let h = parse_record(raw).map_err(|e| fail(e.message))?;
            if h.nslc() != *nslc {
                return Err(fail(format!("output holds a record of {}", h.nslc())));
            }
            if !h.is_data() {
                continue;
            }
            // Rule 4, from the header: sample times increase within a record.
            let (first, last) = (h.start_ns, h.end_ns());
            if opts.split == DaySplit::StartTime && day_floor(first) != day {
                return Err(fail(format!(
                    "record starting {} is in the file of {}",
                    format_time(first),
                    format_date(day)
                )));
            }
            if opts.split == DaySplit::Midnight && day_floor(first) != day {
                return Err(fail(format!(
                    "sample at {} is in the file of {}",
                    format_time(first),
                    format_date(day)
                )));
            }
            if opts.split == DaySplit::Midnight && day_floor(last) != day {
                return Err(fail(format!(
                    "sample at {} is in the file of {}",
                    format_time(last),
                    format_date(day)
                )));
            }
            let g = group_index(&mut groups, h.sample_rate_hz, opts);
            if g >= extents.len() {
                extents.resize(g + 1, Vec::new());
            }
            extents[g].push((first, last));
            if unmatched
                .get(&h.start_ns)
                .is_some_and(|&rank| recs[rank].raw == raw)
            {
                unmatched.remove(&h.start_ns);
                continue;
            }
            let d = decode_record(raw)?;
            for (i, v) in values(&d.samples).into_iter().enumerate() {
                let t = sample_time(h.start_ns, i as i64, h.sample_rate_raw);
                groups[g].outputs.push(S { t, rank: 0, v });
            }
        }
    }
    // Isolated input records not found unchanged in the output: sample by sample.
    for rank in unmatched.into_values() {
        let r = &recs[rank];
        push_inputs(&mut groups[rec_group[rank]], r, rank)?;
    }
    for (g, ext) in groups.iter_mut().zip(&mut extents) {
        let c = Collision::new(opts, g.rate_hz);
        // Rule 1, record by record: consecutive output records are at least `reach` apart
        // (samples within a record are a period apart, and a period is at least `reach`).
        ext.sort_unstable();
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
            o.rank = src.rank;
        }
        // Rule 3: each input sample is kept, or collides with an output sample of a record
        // ranked at least as well (the output sample that superseded it).
        let mut within = Window::default();
        for s in &g.inputs {
            let r = within.advance(&g.outputs, s.t - c.reach + 1, s.t + c.reach);
            if !g.outputs[r]
                .iter()
                .any(|o| o.rank <= s.rank && c.collides(s.t, o.t))
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
    Ok(())
}
