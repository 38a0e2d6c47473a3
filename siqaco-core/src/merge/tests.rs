use super::verify::verify_stream;
use super::*;
use crate::codec::encode;
use crate::segment::TimeTolerance;
use crate::time::NS_PER_S;
use proptest::prelude::*;
use std::collections::BTreeMap;

const D0: i64 = 19_000 * NS_PER_DAY;
const MIDNIGHT: i64 = D0 + NS_PER_DAY;

fn nslc() -> Nslc {
    Nslc::new("XX", "MRG", "00", "HHZ")
}

/// Records of `n` samples at 1 Hz from second `k0` after [`MIDNIGHT`] (may be negative),
/// values `base + k`.
fn seg(k0: i64, n: i64, base: i32, pack: &PackOptions) -> Vec<u8> {
    let v: Vec<i32> = (k0..k0 + n).map(|k| base + k as i32).collect();
    encode(
        &nslc(),
        MIDNIGHT + k0 * NS_PER_S,
        1.0,
        &Samples::Int32(v),
        pack,
    )
    .unwrap()
}

fn pack(encoding: u8, reclen: usize, version: u8, pubv: u8) -> PackOptions {
    PackOptions {
        record_length: reclen,
        encoding,
        format_version: version,
        pub_version: pubv,
    }
}

/// (time ns, value) of every data sample of some bytes.
pub(super) fn samples_of(bytes: &[u8]) -> Vec<(i64, f64)> {
    let mut v = Vec::new();
    for raw in split_records(bytes).unwrap() {
        let h = parse_record(raw).unwrap();
        let d = decode_record(raw).unwrap();
        let vals: Vec<f64> = match d.samples {
            Samples::Int32(x) => x.into_iter().map(f64::from).collect(),
            Samples::Float32(x) => x.into_iter().map(f64::from).collect(),
            Samples::Float64(x) => x,
            Samples::Text(_) => vec![],
        };
        for (i, x) in vals.into_iter().enumerate() {
            v.push((sample_time(h.start_ns, i as i64, h.sample_rate_raw), x));
        }
    }
    v
}

/// Splits records at midnight as an archive made by the engine would hold them.
fn archive_days(records: &[u8]) -> Vec<(i64, Vec<u8>)> {
    let m = merge_stream(
        &nslc(),
        &[],
        &[PatchInput {
            priority: 1,
            records: split_records(records).unwrap(),
        }],
        (D0 - NS_PER_DAY, D0 + 3 * NS_PER_DAY),
        &MergeOptions::default(),
    )
    .unwrap();
    m.days
        .into_iter()
        .map(|d| (d.day_start_ns, d.bytes))
        .collect()
}

/// The merge's view of day files held as `(day, bytes)`.
fn archive_inputs(archive: &[(i64, Vec<u8>)]) -> Vec<ArchiveDay<'_>> {
    archive
        .iter()
        .map(|(d, b)| ArchiveDay {
            day_start_ns: *d,
            bytes: b,
        })
        .collect()
}

fn run(archive: &[(i64, Vec<u8>)], patches: &[(i32, Vec<u8>)], opts: &MergeOptions) -> StreamMerge {
    let a = archive_inputs(archive);
    let p: Vec<PatchInput<'_>> = patches
        .iter()
        .map(|(prio, b)| PatchInput {
            priority: *prio,
            records: split_records(b).unwrap(),
        })
        .collect();
    let m = merge_stream(
        &nslc(),
        &a,
        &p,
        (D0 - NS_PER_DAY, D0 + 3 * NS_PER_DAY),
        opts,
    )
    .unwrap();
    let outs: Vec<(i64, &[u8])> = m
        .days
        .iter()
        .map(|d| (d.day_start_ns, d.bytes.as_slice()))
        .collect();
    verify_stream(&nslc(), &a, &p, &outs, opts).unwrap();
    m
}

fn all_samples(m: &StreamMerge) -> Vec<(i64, f64)> {
    let mut v: Vec<(i64, f64)> = m.days.iter().flat_map(|d| samples_of(&d.bytes)).collect();
    v.sort_by_key(|s| s.0);
    v
}

#[test]
fn higher_priority_patch_replaces_archive_samples_exactly() {
    let p2 = pack(11, 512, 2, 2);
    let archive = archive_days(&seg(-100, 200, 0, &p2));
    let patch = seg(-30, 50, 1_000_000, &pack(10, 256, 2, 4));
    let m = run(&archive, &[(1, patch)], &MergeOptions::default());
    let got = all_samples(&m);
    assert_eq!(got.len(), 200);
    for (t, v) in got {
        let k = (t - MIDNIGHT) / NS_PER_S;
        let expect = if (-30..20).contains(&k) {
            1_000_000 + k
        } else {
            k
        };
        assert_eq!(v, expect as f64, "at {k}");
    }
    let replaced: u64 = m.days.iter().map(|d| d.stats.samples_replaced).sum();
    assert_eq!(replaced, 50);
}

#[test]
fn archive_wins_and_loses() {
    let p = pack(11, 512, 2, 2);
    let archive = archive_days(&seg(-100, 100, 0, &p));
    let patch = seg(-50, 100, 10_000_000, &p);
    let wins = MergeOptions {
        policy: ArchivePolicy::Wins,
        ..MergeOptions::default()
    };
    let got = all_samples(&run(&archive, &[(1, patch.clone())], &wins));
    assert_eq!(got.len(), 150);
    assert!(got
        .iter()
        .all(|&(t, v)| (t < MIDNIGHT) == (v < 5_000_000.0)));
    let loses = MergeOptions {
        policy: ArchivePolicy::Loses,
        archive_priority: 0,
        ..MergeOptions::default()
    };
    let got = all_samples(&run(&archive, &[(9, patch)], &loses));
    assert_eq!(got.len(), 150);
    assert!(got
        .iter()
        .all(|&(t, v)| (t < MIDNIGHT - 50 * NS_PER_S) == (v < 5_000_000.0)));
}

#[test]
fn revised_patch_cut_to_its_span_replaces_only_there() {
    // Archive: 300 s of quality-D records (values k) across midnight; the source's
    // revision: 200 s of other values (1e7 + k), cut to [-30 s, 40.5 s) from midnight.
    let d = pack(11, 512, 2, 2);
    let archive = archive_days(&seg(-100, 300, 0, &d));
    let revised = seg(-80, 200, 10_000_000, &d);
    let span = (
        MIDNIGHT - 30 * NS_PER_S,
        MIDNIGHT + 40 * NS_PER_S + NS_PER_S / 2,
    );
    let cut = cut_to_window(&revised, span).unwrap();
    let in_span = |t: i64| t >= span.0 && t < span.1;
    let want: Vec<(i64, f64)> = samples_of(&revised)
        .into_iter()
        .filter(|s| in_span(s.0))
        .collect();
    assert_eq!(samples_of(&cut), want);
    assert_eq!(want.len(), 71);
    assert!(cut_to_window(&revised, (0, 1)).unwrap().is_empty());
    // newest: the archive loses, inside the span only.
    let newest = MergeOptions {
        policy: ArchivePolicy::Loses,
        ..MergeOptions::default()
    };
    let got = all_samples(&run(&archive, &[(1, cut.clone())], &newest));
    assert_eq!(got.len(), 300);
    assert!(got.iter().all(|&(t, v)| in_span(t) == (v >= 5_000_000.0)));
    // quality: a revision of a lower version leaves the archive, of an equal or higher
    // version replaces it.
    let quality = MergeOptions {
        policy: ArchivePolicy::Quality,
        ..MergeOptions::default()
    };
    for (pubv, wins) in [(1, false), (2, true), (4, true)] {
        let revised = seg(-80, 200, 10_000_000, &pack(11, 512, 2, pubv));
        let cut = cut_to_window(&revised, span).unwrap();
        let got = all_samples(&run(&archive, &[(1, cut)], &quality));
        assert_eq!(got.len(), 300);
        assert!(
            got.iter()
                .all(|&(t, v)| (wins && in_span(t)) == (v >= 5_000_000.0)),
            "version {pubv}"
        );
    }
}

#[test]
fn merging_an_archive_into_itself_changes_no_byte() {
    let archive = archive_days(&seg(-100, 300, 7, &pack(11, 512, 2, 2)));
    let patches: Vec<(i32, Vec<u8>)> = archive.iter().map(|(_, b)| (1, b.clone())).collect();
    let m = run(&archive, &patches, &MergeOptions::default());
    assert_eq!(m.days.len(), 2);
    for (d, (day, old)) in m.days.iter().zip(&archive) {
        assert!(!d.changed);
        assert_eq!(d.day_start_ns, *day);
        assert_eq!(&d.bytes, old);
    }
}

#[test]
fn complete_patch_into_empty_archive_is_split_at_midnight() {
    let patch = seg(-500, 1000, 3, &pack(11, 4096, 3, 2));
    let m = run(&[], &[(1, patch.clone())], &MergeOptions::default());
    assert_eq!(m.days.len(), 2);
    assert_eq!(all_samples(&m), samples_of(&patch));
    assert!(samples_of(&m.days[0].bytes).iter().all(|s| s.0 < MIDNIGHT));
    assert!(samples_of(&m.days[1].bytes).iter().all(|s| s.0 >= MIDNIGHT));
    // SeisComP convention: whole records by start time
    let by_start = MergeOptions {
        split: DaySplit::StartTime,
        ..MergeOptions::default()
    };
    let m = run(&[], &[(1, patch.clone())], &by_start);
    assert_eq!(all_samples(&m), samples_of(&patch));
    assert_eq!(
        m.days.iter().map(|d| d.bytes.len()).sum::<usize>(),
        patch.len()
    );
}

/// Stored by start time with the samples re-encoded (an output option given): the new
/// records have no first sample of their own to go by, so the samples are cut at
/// midnight, and every record starts in its file's day (before, the records encoded after
/// midnight went to the file of the day before, and the verification refused the merge).
#[test]
fn by_start_time_re_encoded_samples_are_cut_at_midnight() {
    let patch = seg(-500, 1000, 3, &pack(11, 512, 2, 2));
    for output in [
        OutputOptions {
            encoding: Some(10),
            ..OutputOptions::default()
        },
        OutputOptions {
            record_length: Some(256),
            ..OutputOptions::default()
        },
    ] {
        let opts = MergeOptions {
            split: DaySplit::StartTime,
            output,
            ..MergeOptions::default()
        };
        let m = run(&[], &[(1, patch.clone())], &opts);
        assert_eq!(all_samples(&m), samples_of(&patch));
        assert_eq!(m.days.len(), 2);
        for d in &m.days {
            for raw in split_records(&d.bytes).unwrap() {
                let h = parse_record(raw).unwrap();
                assert_eq!(day_floor(h.start_ns), d.day_start_ns);
                assert_eq!(day_floor(h.end_ns()), d.day_start_ns);
            }
        }
    }
}

#[test]
fn round_trip_every_encoding_record_length_and_version() {
    let patch = seg(-300, 600, -40, &pack(3, 512, 2, 2));
    for encoding in [1u8, 3, 4, 5, 10, 11] {
        for record_length in [256usize, 512, 1024, 2048, 4096, 8192] {
            for version in [2u8, 3] {
                let opts = MergeOptions {
                    output: OutputOptions {
                        record_length: Some(record_length),
                        encoding: Some(encoding),
                        format_version: Some(version),
                        pub_version: Some(4),
                    },
                    ..MergeOptions::default()
                };
                let m = run(&[], &[(1, patch.clone())], &opts);
                assert_eq!(
                    all_samples(&m),
                    samples_of(&patch),
                    "{encoding} {record_length} {version}"
                );
                for d in &m.days {
                    for raw in split_records(&d.bytes).unwrap() {
                        let h = parse_record(raw).unwrap();
                        assert_eq!(h.encoding, encoding);
                        assert_eq!(h.format_version, version);
                        assert_eq!(h.pub_version, 4);
                        assert!(h.record_length <= record_length);
                    }
                }
            }
        }
    }
}

#[test]
fn rates_beyond_tolerance_stay_separate_and_are_reported() {
    let a = seg(-100, 100, 0, &pack(11, 512, 2, 2));
    let other = encode(
        &nslc(),
        MIDNIGHT - 80 * NS_PER_S,
        2.0,
        &Samples::Int32((0..40).collect()),
        &pack(11, 512, 2, 2),
    )
    .unwrap();
    let m = run(&[], &[(1, a), (2, other)], &MergeOptions::default());
    assert_eq!(all_samples(&m).len(), 140);
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
}

#[test]
fn verification_rejects_a_lost_or_wrong_sample() {
    let archive = archive_days(&seg(-100, 100, 0, &pack(11, 512, 2, 2)));
    let patch = seg(-20, 40, 1_000_000, &pack(11, 512, 2, 2));
    let a = archive_inputs(&archive);
    let p = [PatchInput {
        priority: 1,
        records: split_records(&patch).unwrap(),
    }];
    let opts = MergeOptions::default();
    // the archive alone loses the patch's samples after midnight
    let outs: Vec<(i64, &[u8])> = archive.iter().map(|(d, b)| (*d, b.as_slice())).collect();
    let e = verify_stream(&nslc(), &a, &p, &outs, &opts).unwrap_err();
    assert!(e.to_string().contains("lost"), "{e}");
    // a lower-priority patch value where the higher-priority patch has data
    let low = seg(-100, 100, 5_000_000, &pack(11, 512, 2, 2));
    let outs = [(D0, low.as_slice())];
    let e = verify_stream(&nslc(), &a, &p, &outs, &opts).unwrap_err();
    assert!(
        e.to_string().contains("no input") || e.to_string().contains("best-ranked"),
        "{e}"
    );
}

/// One random input: priority, publication version, and disjoint segments (start, len)
/// in seconds around midnight.
fn input_strategy() -> impl Strategy<Value = (i32, u8, Vec<(i64, i64)>)> {
    (
        1..4i32,
        1..5u8,
        prop::collection::vec((0..40i64, 1..60i64), 1..4),
    )
        .prop_map(|(prio, pubv, parts)| {
            let mut k = -120;
            let mut segs = Vec::new();
            for (gap, len) in parts {
                k += gap + 1;
                segs.push((k, len));
                k += len;
            }
            (prio, pubv, segs)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random segments from several ranked inputs (input 0 is the archive): the output
    /// holds exactly the expected sample at every time, each exactly once.
    #[test]
    fn every_time_holds_the_best_ranked_sample_once(
        inputs in prop::collection::vec(input_strategy(), 1..5),
        reclen in prop::sample::select(vec![256usize, 512]),
        split_start in any::<bool>(),
    ) {
        let opts = MergeOptions {
            split: if split_start { DaySplit::StartTime } else { DaySplit::Midnight },
            ..MergeOptions::default()
        };
        // expected: time -> (rank key, value)
        type Key = (i32, i16, i64, u8, usize);
        let mut expect: BTreeMap<i64, (Key, i32)> = BTreeMap::new();
        let mut archive = Vec::new();
        let mut patches = Vec::new();
        for (idx, (prio, pubv, segs)) in inputs.iter().enumerate() {
            let prio = if idx == 0 { opts.archive_priority } else { *prio };
            let mut bytes = Vec::new();
            for &(k0, n) in segs {
                let base = (idx as i32 + 1) * 1_000_000;
                bytes.extend(seg(k0, n, base, &pack(11, reclen, 2, *pubv)));
                for k in k0..k0 + n {
                    let key = (prio, -i16::from(*pubv), -n, u8::from(idx != 0), idx);
                    let e = expect.entry(k).or_insert((key, base + k as i32));
                    if key < e.0 {
                        *e = (key, base + k as i32);
                    }
                }
            }
            if idx == 0 {
                archive = archive_days(&bytes);
                if split_start {
                    // an archive kept by start time: records whole in their start day
                    let mut by_day: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
                    for r in split_records(&bytes).unwrap() {
                        let h = parse_record(r).unwrap();
                        by_day.entry(day_floor(h.start_ns)).or_default().extend_from_slice(r);
                    }
                    archive = by_day.into_iter().collect();
                }
            } else {
                patches.push((prio, bytes));
            }
        }
        let m = run(&archive, &patches, &opts);
        let got = all_samples(&m);
        let want: Vec<(i64, f64)> = expect
            .iter()
            .map(|(k, (_, v))| (MIDNIGHT + k * NS_PER_S, f64::from(*v)))
            .collect();
        prop_assert_eq!(got, want);
    }
}

/// Records of `n` samples at 1 Hz whose first sample is `k0` s plus `offset_ns` after
/// [`MIDNIGHT`], values `base + k`.
fn seg_offset(k0: i64, n: i64, base: i32, offset_ns: i64) -> Vec<u8> {
    let v: Vec<i32> = (k0..k0 + n).map(|k| base + k as i32).collect();
    encode(
        &nslc(),
        MIDNIGHT + k0 * NS_PER_S + offset_ns,
        1.0,
        &Samples::Int32(v),
        &pack(11, 512, 2, 2),
    )
    .unwrap()
}

/// The rule of `docs/merge.md` ("Which sample wins"), written out directly: inputs are
/// taken best first, each sample in time order; a sample at `t` is dropped when a sample
/// `u` already kept has `−reach ≤ t − u < reach`, `reach = period − tol` (1 Hz here).
fn documented_rule(best_first: &[Vec<(i64, f64)>], tol_ns: i64) -> Vec<(i64, f64)> {
    let reach = NS_PER_S - tol_ns.clamp(1, NS_PER_S / 2);
    let mut kept: Vec<(i64, f64)> = Vec::new();
    for input in best_first {
        let before = kept.len();
        for &(t, v) in input {
            if !kept[..before]
                .iter()
                .any(|&(u, _)| -reach <= t - u && t - u < reach)
            {
                kept.push((t, v));
            }
        }
    }
    kept.sort_by_key(|s| s.0);
    kept
}

/// Merges a 1 Hz archive (samples at k s, k = −100..100, values k) with one patch shifted
/// by `offset_ns` (samples at k s + offset, k = 50..150, values 1 000 000 + k) and checks
/// the result against the hand-computed expectation: the archive's samples up to second
/// `last_archive`, then the patch's from its sample `first_patch` on.
fn check_misaligned(
    offset_ns: i64,
    opts: &MergeOptions,
    last_archive: i64,
    first_patch: i64,
) -> Vec<(i64, f64)> {
    let archive = archive_days(&seg(-100, 200, 0, &pack(11, 512, 2, 2)));
    let patch = seg_offset(50, 100, 1_000_000, offset_ns);
    let got = all_samples(&run(&archive, &[(1, patch)], opts));
    let mut want: Vec<(i64, f64)> = (-100..=last_archive)
        .map(|k| (MIDNIGHT + k * NS_PER_S, k as f64))
        .collect();
    want.extend(
        (first_patch..150).map(|k| (MIDNIGHT + k * NS_PER_S + offset_ns, (1_000_000 + k) as f64)),
    );
    want.sort_by_key(|s| s.0);
    assert_eq!(
        got, want,
        "offset {offset_ns} ns, {:?}, {:?}",
        opts.policy, opts.tolerance
    );
    got
}

fn with(policy: ArchivePolicy, tol: TimeTolerance) -> MergeOptions {
    MergeOptions {
        policy,
        tolerance: Tolerance {
            time: tol,
            ..Tolerance::default()
        },
        ..MergeOptions::default()
    }
}

const MS: i64 = 1_000_000;

/// Patch samples between the archive's sample times, offsets within the default time
/// tolerance (half a period): samples collide when `−0.5 s ≤ t − u < 0.5 s`, so every
/// sample of the losing input inside the winner's coverage goes, and the junction lies
/// within half a period of the regular spacing (one trace for `scan`). This is also what
/// ObsPy's `Stream.merge(method=1)` does with such traces (it puts the later trace on the
/// earlier one's sample grid, within half a sample), except that ObsPy moves the samples
/// it keeps onto that grid and keeps the later trace's values, where siqaco keeps each
/// sample at its own time and the better-ranked input's values.
#[test]
fn misaligned_patch_within_the_tolerance() {
    use ArchivePolicy::{Loses, Wins};
    let half = TimeTolerance::Periods(0.5);
    // archive wins: a patch sample goes when it is within [−0.5 s, 0.5 s) of one
    check_misaligned(300 * MS, &with(Wins, half), 99, 100); // 99.3 s goes, 100.3 s stays
    check_misaligned(499 * MS, &with(Wins, half), 99, 100); // 99.499 s goes
    check_misaligned(500 * MS, &with(Wins, half), 99, 99); // 99.5 s stays (98.5 s goes: −0.5 s from 99 s)
    check_misaligned(-300 * MS, &with(Wins, half), 99, 100); // 99.7 s stays
    check_misaligned(-499 * MS, &with(Wins, half), 99, 100); // 99.501 s stays
                                                             // archive loses: an archive sample goes when it is within [−0.5 s, 0.5 s) of a patch one
    check_misaligned(300 * MS, &with(Loses, half), 49, 50); // 50 s goes (−0.3 s from 50.3 s)
    check_misaligned(-300 * MS, &with(Loses, half), 49, 50); // 49 s stays (−0.7 s from 49.7 s)
    check_misaligned(-499 * MS, &with(Loses, half), 49, 50); // 49 s stays (−0.501 s)
    check_misaligned(-500 * MS, &with(Loses, half), 48, 50); // 49 s goes (−0.5 s from 49.5 s)
}

/// The same with a time tolerance of 0.1 s (a tenth of a period) and offsets of ±0.3 s,
/// beyond it: samples collide when `−0.9 s ≤ t − u < 0.9 s`. Inside the winner's coverage
/// every losing sample goes; at the edges the kept samples are at least 0.9 s apart, so
/// the junction is a gap of 0.3 s or 0.7 s (the spacing is more than the tolerance away
/// from one period) and never an overlap. ObsPy's `merge(method=1)` has no tolerance: it
/// would put the patch on the archive's grid anyway.
#[test]
fn misaligned_patch_beyond_the_tolerance() {
    use ArchivePolicy::{Loses, Wins};
    let tenth = TimeTolerance::Seconds(0.1);
    check_misaligned(300 * MS, &with(Wins, tenth), 99, 100); // 100.3 s: 1.3 s from 99 s
    check_misaligned(-300 * MS, &with(Wins, tenth), 99, 101); // 99.7 s: 0.7 s from 99 s, goes
    check_misaligned(300 * MS, &with(Loses, tenth), 49, 50); // 50 s goes, 49 s stays (−1.3 s)
    check_misaligned(-300 * MS, &with(Loses, tenth), 48, 50); // 49 s goes (−0.7 s from 49.7 s)
}

/// A sweep of sub-sample offsets (−0.9 s to +0.9 s in 0.1 s steps, and ±1 ns around half
/// a period), time tolerances (0.5, 0.25, 0.1 and 0 period) and both policies: the merge keeps
/// exactly what the documented rule, written out in [`documented_rule`], keeps.
#[test]
fn misaligned_patches_follow_the_documented_rule() {
    let archive_bytes = seg(-100, 200, 0, &pack(11, 512, 2, 2));
    let archive = archive_days(&archive_bytes);
    let mut offsets: Vec<i64> = (-9..=9).map(|i| i * 100 * MS).collect();
    offsets.extend([500 * MS - 1, 500 * MS + 1, -500 * MS - 1, -500 * MS + 1]);
    for tol in [0.5, 0.25, 0.1] {
        for policy in [ArchivePolicy::Wins, ArchivePolicy::Loses] {
            for &offset in &offsets {
                let patch = seg_offset(50, 100, 1_000_000, offset);
                let opts = with(policy, TimeTolerance::Periods(tol));
                let got = all_samples(&run(&archive, &[(1, patch.clone())], &opts));
                let (a, p) = (samples_of(&archive_bytes), samples_of(&patch));
                let best_first = if policy == ArchivePolicy::Wins {
                    [a, p]
                } else {
                    [p, a]
                };
                let tol_ns = (tol * NS_PER_S as f64).round() as i64;
                assert_eq!(
                    got,
                    documented_rule(&best_first, tol_ns),
                    "offset {offset} ns, tolerance {tol} period, {policy:?}"
                );
            }
        }
    }
}

/// The record-level shortcut of the verification (records copied unchanged) still
/// rejects a dropped record, a record written twice and a record moved in time.
#[test]
fn verification_rejects_dropped_duplicated_or_moved_records() {
    let archive = archive_days(&seg(-100, 200, 0, &pack(3, 256, 2, 2)));
    let a = archive_inputs(&archive);
    let opts = MergeOptions::default();
    let day1 = &archive[1];
    let recs = split_records(&day1.1).unwrap();
    assert!(recs.len() >= 2);
    let check = |day1_bytes: Vec<u8>| {
        let outs = [
            (archive[0].0, archive[0].1.as_slice()),
            (day1.0, &day1_bytes[..]),
        ];
        verify_stream(&nslc(), &a, &[], &outs, &opts).map_err(|e| e.to_string())
    };
    assert!(check(day1.1.clone()).is_ok());
    let dropped: Vec<u8> = recs[1..].concat();
    assert!(check(dropped).unwrap_err().contains("lost"));
    let mut twice = day1.1.clone();
    twice.extend_from_slice(recs[0]);
    assert!(check(twice).unwrap_err().contains("overlap"));
    // the first record re-encoded 0.75 s later (beyond the 0.5 s tolerance; a shift within
    // it is the same sample by definition)
    let first = samples_of(recs[0]);
    let moved = encode(
        &nslc(),
        first[0].0 + 3 * NS_PER_S / 4,
        1.0,
        &Samples::Int32(first.iter().map(|s| s.1 as i32).collect()),
        &pack(3, 256, 2, 2),
    )
    .unwrap();
    let mut shifted = moved;
    shifted.extend(recs[1..].concat());
    assert!(check(shifted).is_err());
}

#[test]
fn option_names_and_priorities() {
    assert_eq!(encoding_code("STEIM2"), Some(Some(11)));
    assert_eq!(encoding_code("keep"), Some(None));
    assert_eq!(encoding_code("steim3"), None);
    assert_eq!(
        ["r", "D", "q", "M", "7"].map(|q| q.parse::<PublicationVersion>().unwrap().get()),
        [1, 2, 3, 4, 7]
    );
    for q in ["0", "X", "256"] {
        assert!(q.parse::<PublicationVersion>().is_err(), "{q}");
    }
    assert_eq!(
        "Wins".parse::<ArchivePolicy>().unwrap(),
        ArchivePolicy::Wins
    );
    assert!("sometimes".parse::<ArchivePolicy>().is_err());
    assert_eq!(
        "start_time".parse::<DaySplit>().unwrap(),
        DaySplit::StartTime
    );
    assert!("noon".parse::<DaySplit>().is_err());
    for (name, _) in OutputEncoding::NAMES {
        let e = name.parse::<OutputEncoding>().unwrap();
        assert_eq!(OutputEncoding::from_code(e.code()).unwrap(), e);
    }
    use super::apply::MergeInput;
    let paths = vec![std::path::PathBuf::from("a"), std::path::PathBuf::from("b")];
    let prio = |p: &[i32]| {
        MergeInput::with_priorities(&paths, p)
            .map(|v| v.iter().map(|i| i.priority).collect::<Vec<i32>>())
    };
    assert_eq!(prio(&[]).unwrap(), vec![1, 1]);
    assert_eq!(prio(&[3]).unwrap(), vec![3, 3]);
    assert_eq!(prio(&[3, 2]).unwrap(), vec![3, 2]);
    assert!(prio(&[1, 2, 3]).is_err());
}

/// An archive of 4000 samples at 1 Hz across two midnights (day files as the engine makes
/// them) and a re-fetch of the same times with other values: (archive days, patch bytes).
fn aligned_refetch() -> (Vec<(i64, Vec<u8>)>, Vec<u8>) {
    let p = pack(3, 256, 2, 2);
    let archive = archive_days(&seg(-2010, 4000, 0, &p));
    (archive, seg(-2010, 4000, 1_000_000, &p))
}

/// A re-fetched day on the archive's own sample grid (the common case of an update) is
/// proven at record level: the patch's records are copies proven byte for byte, the
/// archive's records lie in their windows, and only records cut at midnight (and the
/// archive records beside them) are decoded. The same proof refuses copies that a
/// better-ranked input should have replaced.
#[test]
fn aligned_refetch_is_proven_at_record_level() {
    let (archive, patch) = aligned_refetch();
    let a = archive_inputs(&archive);
    let pp = [PatchInput {
        priority: 1,
        records: split_records(&patch).unwrap(),
    }];
    let days = (D0 - NS_PER_DAY, D0 + 3 * NS_PER_DAY);
    let patch_wins = MergeOptions {
        archive_priority: 2,
        ..MergeOptions::default()
    };
    let m = merge_stream(&nslc(), &a, &pp, days, &patch_wins).unwrap();
    assert_eq!(all_samples(&m), samples_of(&patch));
    let outs: Vec<(i64, &[u8])> = m
        .days
        .iter()
        .map(|d| (d.day_start_ns, d.bytes.as_slice()))
        .collect();
    let st = verify_stream(&nslc(), &a, &pp, &outs, &patch_wins).unwrap();

    let inputs = (pp[0].records.len()
        + a.iter()
            .map(|d| split_records(d.bytes).unwrap().len())
            .sum::<usize>()) as u64;
    assert!(st.copies_proven > 0 && st.inputs_proven > 0, "{st:?}");
    // every input is accounted for once, and at most the few records around midnight
    // (the patch record cut there, its two pieces, the archive records beside them) are
    // decoded
    assert!(
        st.inputs_proven + st.records_decoded >= inputs,
        "{st:?} of {inputs}"
    );
    assert!(st.samples_checked * 10 < 8000, "{st:?}");
    // the archive ranked first: the patch's copies no longer prove anything, and lose
    let archive_wins = MergeOptions {
        archive_priority: 0,
        ..MergeOptions::default()
    };
    let e = verify_stream(&nslc(), &a, &pp, &outs, &archive_wins).unwrap_err();
    assert!(e.to_string().contains("best-ranked"), "{e}");
    // the patch ranked first, but the archive's records kept: the patch's samples are lost
    let old: Vec<(i64, &[u8])> = archive.iter().map(|(d, b)| (*d, b.as_slice())).collect();
    let e = verify_stream(&nslc(), &a, &pp, &old, &patch_wins).unwrap_err();
    assert!(
        e.to_string().contains("best-ranked") || e.to_string().contains("lost"),
        "{e}"
    );
    // and the archive ranked first with its own records kept is right, and proven at
    // record level too (the patch's records lie in the archive's windows)
    let st = verify_stream(&nslc(), &a, &pp, &old, &archive_wins).unwrap();
    assert!(st.samples_checked * 10 < 8000, "{st:?}");
}

/// The verification takes an output part as its input record without reading it only when
/// the part is that record's own memory: the merge's hints give the same proof as reading
/// every output header, and a wrong hint (another record, or the same bytes elsewhere in
/// memory) changes nothing.
#[test]
fn copy_hints_are_checked_by_address() {
    use super::verify::{verify_ranked, OutPart};
    let (archive, patch) = aligned_refetch();
    let a = archive_inputs(&archive);
    let pp = [PatchInput {
        priority: 1,
        records: split_records(&patch).unwrap(),
    }];
    let opts = MergeOptions {
        archive_priority: 2,
        ..MergeOptions::default()
    };
    let days = (D0 - NS_PER_DAY, D0 + 3 * NS_PER_DAY);
    let recs = ranked_records(&nslc(), &a, &pp, &opts).unwrap();
    let m = merge_ranked(&nslc(), &recs, &a, days, &opts).unwrap();
    let verify = |outs: &[(i64, Vec<OutPart<'_>>)]| {
        verify_ranked(&nslc(), &recs, outs, &opts, None)
            .unwrap()
            .unwrap()
    };
    let hinted: Vec<(i64, Vec<OutPart<'_>>)> = m
        .days
        .iter()
        .map(|d| (d.day_start_ns, d.verify_parts()))
        .collect();
    assert!(hinted
        .iter()
        .flat_map(|d| &d.1)
        .any(|part| part.1.is_some()));
    let read: Vec<(i64, Vec<OutPart<'_>>)> = m
        .days
        .iter()
        .map(|d| {
            (
                d.day_start_ns,
                d.slices().into_iter().map(|s| (s, None)).collect(),
            )
        })
        .collect();
    let with_hints = verify(&hinted);
    assert!(with_hints.copies_proven > 0, "{with_hints:?}");
    assert_eq!(with_hints, verify(&read));
    // every hint names the next record: none is the part's memory
    let wrong: Vec<(i64, Vec<OutPart<'_>>)> = hinted
        .iter()
        .map(|(d, parts)| {
            (
                *d,
                parts
                    .iter()
                    .map(|&(s, h)| (s, h.map(|k| (k + 1) % recs.len())))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(verify(&wrong), with_hints);
    // the same bytes in other memory, with the right hints: read, and proven by their bytes
    let copies: Vec<Vec<Vec<u8>>> = hinted
        .iter()
        .map(|(_, parts)| parts.iter().map(|p| p.0.to_vec()).collect())
        .collect();
    let elsewhere: Vec<(i64, Vec<OutPart<'_>>)> = hinted
        .iter()
        .zip(&copies)
        .map(|((d, parts), c)| {
            (
                *d,
                parts.iter().zip(c).map(|(p, b)| (&b[..], p.1)).collect(),
            )
        })
        .collect();
    assert_eq!(verify(&elsewhere), with_hints);
    // a part that is not its hinted record is still checked: a patch record dropped from
    // its day makes the proof fail whatever the hints say
    let mut dropped = hinted.clone();
    let day = dropped.iter_mut().find(|d| d.1.len() > 2).unwrap();
    day.1.remove(1);
    assert!(verify_ranked(&nslc(), &recs, &dropped, &opts, None).is_err());
}

/// A data record of `n` samples at 1 Hz from second `k0`, for tests of the record-level
/// bookkeeping (no bytes).
fn bare_rec(k0: i64, n: i64, input: usize) -> Rec<'static> {
    Rec {
        raw: &[],
        start_ns: MIDNIGHT + k0 * NS_PER_S,
        rate_raw: 1.0,
        rate_hz: 1.0,
        n,
        is_data: true,
        pub_version: 1,
        encoding: 11,
        record_length: 512,
        format_version: 2,
        input,
        is_archive: input == 0,
        file_day: None,
        priority: 1,
        trace_ns: 0,
        pos: 0,
        leap: false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The sweep that decides which copies may be proven at record level says "reached"
    /// for every record a better-ranked record of its rate group overlaps (it may say
    /// more, never less), and exactly those when the backward scan is never cut short.
    #[test]
    fn reached_by_better_covers_every_overlap(
        spans in prop::collection::vec((0..400i64, 1..40i64, 0..2usize), 1..150),
    ) {
        let recs: Vec<Rec<'_>> = spans.iter().map(|&(k0, n, _)| bare_rec(k0, n, 1)).collect();
        let group: Vec<usize> = spans.iter().map(|s| s.2).collect();
        let mut by_start: Vec<(i64, usize)> =
            recs.iter().enumerate().map(|(i, r)| (r.start_ns, i)).collect();
        by_start.sort_unstable();
        let copy_of: Vec<Option<usize>> = (0..recs.len()).map(Some).collect();
        let got = super::verify::reached_by_better(&recs, &group, &by_start, &copy_of);
        let last = |r: &Rec<'_>| r.time(r.n - 1);
        for (i, r) in recs.iter().enumerate() {
            let brute = recs[..i].iter().enumerate().any(|(j, q)| {
                group[j] == group[i] && q.start_ns <= last(r) && last(q) >= r.start_ns
            });
            prop_assert!(!brute || got[i], "record {i} is overlapped but not reported");
            if recs.len() <= 64 {
                prop_assert_eq!(got[i], brute, "record {}", i);
            }
        }
    }
}

/// Real samples for synthetic records: the integers of `IU.COLA.00.BHZ` 2010.058 in
/// `sds-small` (a Steim2 day).
fn real_samples() -> Option<Vec<i32>> {
    let path = crate::testing::test_data_dir()?
        .join("sds-small/2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058");
    let bytes = std::fs::read(path).ok()?;
    let mut v = Vec::new();
    for raw in split_records(&bytes).unwrap() {
        if let Samples::Int32(x) = decode_record(raw).unwrap().samples {
            v.extend(x);
        }
    }
    Some(v)
}

/// Checks that every sample of `got` is the sample of `input` at the same index with its
/// value and its time: floored to `resolution` ns when the period (`period_ns`, whole
/// ns) is a multiple of it, at most `resolution` away otherwise (the output format cannot
/// hold the times of a run of samples more exactly then; the verification's bound).
fn check_times(
    got: &[(i64, f64)],
    input: &[(i64, f64)],
    period_ns: i64,
    resolution: i64,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), input.len(), "samples lost or added");
    for (k, (o, i)) in got.iter().zip(input).enumerate() {
        prop_assert_eq!(o.1, i.1, "value of sample {}", k);
        if period_ns % resolution == 0 {
            prop_assert_eq!(
                o.0.div_euclid(resolution),
                i.0.div_euclid(resolution),
                "sample {} at {} instead of {}",
                k,
                format_time(o.0),
                format_time(i.0)
            );
        } else {
            prop_assert!(
                (o.0 - i.0).abs() < resolution,
                "sample {} moved by {} ns",
                k,
                o.0 - i.0
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Records of real samples whose starts jitter by a few µs (v2) or ns (v3) around the
    /// time that follows their previous record, with gaps now and then, repacked with
    /// other encodings, record lengths and versions: every sample keeps its value and its
    /// time to the output resolution (libmseed through [`decode_record`] reads them; the
    /// times by [`sample_time`], libmseed's `ms_sampletime`).
    #[test]
    fn repack_keeps_jittered_sample_times(
        rate in prop::sample::select(vec![1.0, 20.0, 40.0, 100.0, 128.0, 200.0]),
        records in prop::collection::vec((1usize..400, -3000i64..=3000, 0u8..8), 1..30),
        input_version in 2u8..=3,
        out_encoding in prop::sample::select(vec![3u8, 10, 11]),
        out_length in prop::sample::select(vec![256usize, 512, 4096]),
        out_version in 2u8..=3,
        offset_ns in 0i64..NS_PER_S,
    ) {
        let Some(real) = real_samples() else { return Ok(()) };
        let period_ns = (1e9 / rate) as i64;
        let in_pack = pack(11, 512, input_version, 2);
        let mut bytes = Vec::new();
        let mut at = 0usize;
        // the time the previous record's clock gives the next sample
        let mut next = D0 + 3600 * NS_PER_S + offset_ns;
        for &(n, jitter, gap) in &records {
            let jitter = if input_version == 2 { jitter / 1000 * 1000 } else { jitter };
            let start = next + jitter + if gap == 0 { 7 * period_ns } else { 0 };
            let v = Samples::Int32(real[at..at + n].to_vec());
            at += n;
            let rec = encode(&nslc(), start, rate, &v, &in_pack).unwrap();
            // (`encode` writes more than one record when the samples need it)
            let h = parse_record(&rec).unwrap();
            next = sample_time(h.start_ns, n as i64, rate);
            bytes.extend(rec);
        }
        let input = samples_of(&bytes);
        let opts = MergeOptions {
            output: OutputOptions {
                record_length: Some(out_length),
                encoding: Some(out_encoding),
                format_version: Some(out_version),
                pub_version: None,
            },
            ..MergeOptions::default()
        };
        let m = run(&[], &[(1, bytes)], &opts);
        let got = all_samples(&m);
        let resolution = super::repack::resolution_ns(out_version);
        check_times(&got, &input, period_ns, resolution)?;
    }
}

/// libmseed's miniSEED 2 packer does not give a run's later records the start the merge
/// writes (their first sample's time truncated to the microsecond): libmseed 3.1 wrote
/// `start + k periods` at 100 µs resolution plus the first record's blockette 1001
/// microseconds (`msr3_pack_mseed2`), libmseed 3.5 writes the first sample's time rounded
/// to the nearest microsecond (`nstime2fsec_usec_offset`). At 128 Hz (7 812.5 µs) every
/// other record starts on a half microsecond, which 3.5 rounds up: such records are
/// packed again from their first sample at its own time, so that the samples keep their
/// times to the microsecond they fall in.
#[test]
fn libmseed_v2_record_starts_are_corrected() {
    let Some(real) = real_samples() else { return };
    let rate = 128.0; // 7 812.5 µs
    let start = D0 + 3600 * NS_PER_S + 19_539_000;
    let v = Samples::Int32(real[..20_000].to_vec());
    let one = encode(&nslc(), start, rate, &v, &pack(11, 8192, 3, 2)).unwrap();
    // libmseed alone places many later records' samples after their input times
    let moved = encode(&nslc(), start, rate, &v, &pack(11, 512, 2, 2)).unwrap();
    let input = samples_of(&one);
    let off = samples_of(&moved)
        .iter()
        .zip(&input)
        .filter(|(a, b)| a.0 > b.0)
        .count();
    assert!(off > 1_000, "{off} samples placed later by msr3_pack");
    let opts = MergeOptions {
        output: OutputOptions {
            record_length: Some(512),
            format_version: Some(2),
            ..OutputOptions::default()
        },
        ..MergeOptions::default()
    };
    let m = run(&[], &[(1, one)], &opts);
    let got = all_samples(&m);
    check_times(&got, &input, 7_812_500, 1_000).unwrap();
    // Each record starts in the microsecond its first sample falls in, never after it.
    assert!(got.iter().zip(&input).all(|(o, i)| o.0 <= i.0));
    assert!(
        m.days[0].stats.records_encoded > 20,
        "{:?}",
        m.days[0].stats
    );
}

/// A miniSEED 2 record that rule 2 of `merge/repack.rs` re-packs at its first sample's
/// microsecond (at 128 Hz every other record's grid time is a half microsecond, which
/// libmseed 3.5 rounds up) has a grid half a microsecond before its trace's, and a later
/// jittered join that rule 1 judged on the trace's grid would move its samples by more
/// than a microsecond (1.29 µs in the case CI found with libmseed 3.5, the last saved
/// case of `repack_keeps_jittered_sample_times`): rule 3 starts a new record at that join.
/// Synthetic samples, so the join falls in a re-packed record for some first-record
/// lengths whatever the test data.
#[test]
fn v2_joins_after_a_repacked_record_keep_their_times() {
    let rate = 128.0;
    let period_ns = 7_812_500;
    // 243 ns into its microsecond: odd samples are a half microsecond past the grid's
    let start = D0 + 3600 * NS_PER_S + 993_692_243;
    // steps of a few hundred counts, so that records of 256 bytes hold odd and even
    // numbers of samples
    let values = |n: usize, step: i32| {
        Samples::Int32((0..n as i32).map(|i| (i * step) % 1_000 - 500).collect())
    };
    let opts = MergeOptions {
        output: OutputOptions {
            record_length: Some(256),
            encoding: Some(11),
            format_version: Some(2),
            pub_version: None,
        },
        ..MergeOptions::default()
    };
    let in_pack = pack(11, 4096, 3, 2);
    for (step, n1) in [37, 301, 623]
        .into_iter()
        .flat_map(|s| (100..300).step_by(2).map(move |n| (s, n)))
    {
        let mut bytes = encode(&nslc(), start, rate, &values(n1, step), &in_pack).unwrap();
        // 792 ns after the trace's grid time, in its microsecond: rule 1 joins it
        let grid = sample_time(start.div_euclid(1_000) * 1_000, n1 as i64, rate);
        bytes.extend(encode(&nslc(), grid + 792, rate, &values(300, step), &in_pack).unwrap());
        let input = samples_of(&bytes);
        let m = run(&[], &[(1, bytes)], &opts);
        check_times(&all_samples(&m), &input, period_ns, 1_000).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// `Rec::index_at` (an estimate from the rate, then a widening search) gives the
    /// first index whose sample time is at or after `t`, as a linear search does, for
    /// rates given as frequencies and as periods, whole and fractional periods in ns,
    /// and times before, inside and after the record.
    #[test]
    fn index_at_is_the_first_sample_at_or_after(
        rate_raw in prop_oneof![
            (1e-3f64..2e4),
            Just(100.0f64), Just(40.0), Just(3.0), Just(1.0 / 3.0),
            (-1e3f64..-1e-4),
        ],
        n in 0i64..700,
        start in -5_000_000_000_000i64..5_000_000_000_000,
        frac in -0.3f64..1.3,
        jitter in -3i64..=3,
    ) {
        let r = Rec { start_ns: start, rate_raw, rate_hz: rate_raw.abs(), n, ..bare_rec(0, n, 1) };
        let span = r.time(n) - start;
        let t = start + (span as f64 * frac) as i64 + jitter;
        let linear = (0..n).find(|&i| r.time(i) >= t).unwrap_or(n);
        prop_assert_eq!(r.index_at(t), linear);
        // exactly at a sample time and one ns either side of it
        if n > 0 {
            let i = ((n as f64 * frac.clamp(0.0, 0.999)) as i64).min(n - 1);
            for u in [r.time(i) - 1, r.time(i), r.time(i) + 1] {
                let linear = (0..n).find(|&k| r.time(k) >= u).unwrap_or(n);
                prop_assert_eq!(r.index_at(u), linear);
            }
        }
    }
}

/// The runs the merge claims as one record: adjacent records of one input and rate on
/// one exact grid, within one day; anything else ends the run.
#[test]
fn contiguous_runs_end_where_the_grid_input_rate_or_day_changes() {
    let recs = |v: Vec<Rec<'static>>| v;
    // three adjacent 1 Hz records: one run
    let r = recs(vec![
        bare_rec(0, 10, 1),
        bare_rec(10, 10, 1),
        bare_rec(20, 10, 1),
    ]);
    assert_eq!(contiguous_run(&r, 0), 3);
    assert_eq!(contiguous_run(&r, 1), 3);
    // a start 1 ns off the grid, another input, another rate field, a gap
    let mut off = bare_rec(10, 10, 1);
    off.start_ns += 1;
    for second in [off, bare_rec(10, 10, 2), bare_rec(11, 10, 1), {
        let mut r = bare_rec(10, 10, 1);
        r.rate_raw = -1.0; // the same rate, given as a period
        r
    }] {
        let r = recs(vec![bare_rec(0, 10, 1), second, bare_rec(20, 10, 1)]);
        assert_eq!(contiguous_run(&r, 0), 1);
    }
    // another day file of the archive, a record crossing midnight, a non-data record
    let mut other_file = bare_rec(10, 10, 0);
    other_file.file_day = Some(D0);
    let r = recs(vec![bare_rec(0, 10, 0), other_file]);
    assert_eq!(contiguous_run(&r, 0), 1);
    let r = recs(vec![
        bare_rec(-20, 10, 1),
        bare_rec(-10, 10, 1),
        bare_rec(0, 10, 1),
    ]);
    assert_eq!(contiguous_run(&r, 0), 2, "the run ends at midnight");
    let r = recs(vec![bare_rec(-25, 10, 1), bare_rec(-15, 20, 1)]);
    assert_eq!(
        contiguous_run(&r, 0),
        1,
        "the second record crosses midnight"
    );
    let mut text = bare_rec(10, 10, 1);
    text.is_data = false;
    assert_eq!(contiguous_run(&recs(vec![bare_rec(0, 10, 1), text]), 0), 1);
    // a period that is not a whole number of ns (3 Hz) never forms a run; 40 Hz does
    let at = |rate: f64, k: i64, n: i64| Rec {
        rate_raw: rate,
        rate_hz: rate,
        start_ns: MIDNIGHT + sample_time(0, k, rate),
        ..bare_rec(0, n, 1)
    };
    assert_eq!(contiguous_run(&[at(3.0, 0, 30), at(3.0, 30, 30)], 0), 1);
    assert_eq!(
        contiguous_run(&[at(40.0, 0, 400), at(40.0, 400, 400)], 0),
        2
    );
    // a leap second inside the run (2016-12-31T23:59:60): no run
    let t0 = crate::time::parse_time("2016-12-31T23:59:00").unwrap();
    let leap = |k: i64| Rec {
        start_ns: t0 + k * NS_PER_S,
        ..bare_rec(0, 30, 1)
    };
    assert_eq!(contiguous_run(&[leap(0), leap(30)], 0), 1);
}
