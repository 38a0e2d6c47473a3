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
//! Archive samples outside the patches' coverage are inputs too, so 3 proves that nothing
//! outside the merged window changed.

use super::{
    ranked_records, split_records, ArchiveDay, Collision, DaySplit, MergeOptions, PatchInput,
};
use crate::codec::{decode_record, Samples};
use crate::error::{Error, Result};
use crate::record::{parse_record, sample_time};
use crate::sid::Nslc;
use crate::time::{day_floor, format_date, format_time};

/// A decoded sample: time (ns), rank of its record (of its source input sample, for
/// outputs), value.
#[derive(Clone, Copy, Debug)]
struct S {
    t: i64,
    rank: usize,
    v: f64,
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

fn group<'g>(groups: &'g mut Vec<Group>, rate: f64, opts: &MergeOptions) -> &'g mut Group {
    let i = match groups
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
    };
    &mut groups[i]
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
    for (rank, r) in recs.iter().enumerate() {
        if !r.is_data {
            continue;
        }
        let d = decode_record(r.raw)?;
        let g = group(&mut groups, r.rate_hz, opts);
        for (i, v) in values(&d.samples).into_iter().enumerate() {
            g.inputs.push(S {
                t: r.time(i as i64),
                rank,
                v,
            });
        }
    }
    for &(day, bytes) in outputs {
        for raw in split_records(bytes)? {
            let h = parse_record(raw).map_err(|e| fail(e.message))?;
            if h.nslc() != *nslc {
                return Err(fail(format!("output holds a record of {}", h.nslc())));
            }
            if !h.is_data() {
                continue;
            }
            let d = decode_record(raw)?;
            if opts.split == DaySplit::StartTime && day_floor(h.start_ns) != day {
                return Err(fail(format!(
                    "record starting {} is in the file of {}",
                    format_time(h.start_ns),
                    format_date(day)
                )));
            }
            let g = group(&mut groups, h.sample_rate_hz, opts);
            for (i, v) in values(&d.samples).into_iter().enumerate() {
                let t = sample_time(h.start_ns, i as i64, h.sample_rate_raw);
                if opts.split == DaySplit::Midnight && day_floor(t) != day {
                    return Err(fail(format!(
                        "sample at {} is in the file of {}",
                        format_time(t),
                        format_date(day)
                    )));
                }
                g.outputs.push(S { t, rank: 0, v });
            }
        }
    }
    for g in &mut groups {
        let c = Collision::new(opts, g.rate_hz);
        g.inputs.sort_by_key(|s| (s.t, s.rank));
        g.outputs.sort_by_key(|s| s.t);
        for w in g.outputs.windows(2) {
            if w[1].t - w[0].t < c.reach {
                return Err(fail(format!(
                    "output samples at {} and {} overlap",
                    format_time(w[0].t),
                    format_time(w[1].t)
                )));
            }
        }
        let within = |v: &[S], a: i64, b: i64| -> std::ops::Range<usize> {
            v.partition_point(|s| s.t < a)..v.partition_point(|s| s.t <= b)
        };
        // Rule 2: each output sample is the input sample closest in time (within the
        // tolerance; the best-ranked of equally close ones), with its value.
        for o in g.outputs.iter_mut() {
            let r = within(&g.inputs, o.t - c.tol, o.t + c.tol);
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
        for s in &g.inputs {
            let r = within(&g.outputs, s.t - c.reach + 1, s.t + c.reach);
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
