//! Segments, gaps, overlaps and availability of one stream: siqaco's one definition.
//!
//! Given the traces of a stream (see [`crate::segment`]), an optional window and the
//! tolerances, [`analyze`] computes (full text with worked examples in `docs/gaps.md`):
//!
//! - **segments**: the maximal intervals of the union of the traces' coverage
//!   `[first sample, last sample + one period)`, joining intervals less than the time
//!   tolerance apart. Segments never overlap.
//! - **gaps**: the time between consecutive segments: `duration_s = next.start − prev.end`
//!   (ObsPy `Stream.get_gaps()` delta) and `missing_samples = round(duration_s × rate)`; the
//!   last sample before and the next sample after are given too, so that msi's figure
//!   (`next_sample − last_sample`, one period longer) is available. With a window, the time
//!   from the window start to the first sample (head) and from the end of coverage to the
//!   window end (tail) are gaps flagged as edges; an edge shorter than the time tolerance is
//!   no gap.
//! - **overlaps**: maximal intervals covered by two or more traces, with
//!   `samples = round(duration_s × rate)`; an interval of less than half a sample is none
//!   (ObsPy's rule). Overlaps never reduce the gap total and never raise availability.
//! - **availability** over a window = |union of coverage ∩ window| / |window| × 100.
//! - **per-day statistics** (UTC calendar days `[00:00, next 00:00)`, cut to the window when
//!   one is given) with MUSTANG's names: `num_gaps`, `sum_gaps`, `max_gap`, `num_overlaps`,
//!   `sum_overlaps`, `max_overlap`, `percent_availability`; head and tail gaps of each day
//!   count as gaps (MUSTANG `getGaps`) and are reported as `start_gap`/`end_gap` (the names
//!   of ObsPy's `MSEEDMetadata`).

use crate::segment::{Piece, Tolerance};
use crate::time::{day_floor, ns_to_s, period_ns, sample_time, NS_PER_DAY};

/// A contiguous interval of coverage `[start_ns, end_ns)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First sample time, ns.
    pub start_ns: i64,
    /// Last sample time + one period, ns (exclusive).
    pub end_ns: i64,
    /// Time of the last sample, ns.
    pub last_sample_ns: i64,
}

/// Which edge of the window a gap touches, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// From the window start to the first sample.
    Head,
    /// From the end of coverage to the window end.
    Tail,
}

impl Edge {
    /// `"head"` or `"tail"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Head => "head",
            Edge::Tail => "tail",
        }
    }
}

/// A gap between two segments (or between a window edge and a segment).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gap {
    /// End of the previous segment (or the window start for a head gap), ns.
    pub start_ns: i64,
    /// Start of the next segment (or the window end for a tail gap), ns.
    pub end_ns: i64,
    /// Time of the last sample before the gap, ns; `None` for a head gap.
    pub last_sample_ns: Option<i64>,
    /// Time of the first sample after the gap, ns; `None` for a tail gap.
    pub next_sample_ns: Option<i64>,
    /// Edge flag.
    pub edge: Option<Edge>,
    /// Number of missing samples, `round(duration_s × rate)`.
    pub missing_samples: i64,
}

impl Gap {
    /// The gap duration in seconds (ObsPy's `get_gaps` delta).
    pub fn duration_s(&self) -> f64 {
        ns_to_s(self.end_ns - self.start_ns)
    }

    /// msi's figure: next sample − last sample in seconds (one period longer than
    /// [`Gap::duration_s`]); `None` for edge gaps.
    pub fn last_to_next_s(&self) -> Option<f64> {
        Some(ns_to_s(self.next_sample_ns? - self.last_sample_ns?))
    }
}

/// An interval covered by two or more traces.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overlap {
    /// Start, ns.
    pub start_ns: i64,
    /// End, ns (exclusive).
    pub end_ns: i64,
    /// `round(duration_s × rate)`.
    pub samples: i64,
    /// The largest number of traces covering any instant of the interval.
    pub depth: u32,
}

impl Overlap {
    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        ns_to_s(self.end_ns - self.start_ns)
    }
}

/// Statistics of one UTC day (MUSTANG names; seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DayStats {
    /// 00:00:00 of the day, ns.
    pub day_start_ns: i64,
    /// Start of the part of the day analysed (the day cut to the window), ns.
    pub window_start_ns: i64,
    /// End of the part of the day analysed, ns (exclusive).
    pub window_end_ns: i64,
    /// Covered seconds in the day window.
    pub covered_s: f64,
    /// covered / day window length × 100.
    pub percent_availability: f64,
    /// Number of gaps in the day window, head and tail gaps included.
    pub num_gaps: u64,
    /// Total gap seconds.
    pub sum_gaps: f64,
    /// Largest gap, seconds (0 when none).
    pub max_gap: f64,
    /// Number of overlaps intersecting the day window.
    pub num_overlaps: u64,
    /// Total overlap seconds within the day window.
    pub sum_overlaps: f64,
    /// Largest overlap within the day window, seconds (0 when none).
    pub max_overlap: f64,
    /// Head gap of the day (window start to first sample), seconds, if any.
    pub start_gap: Option<f64>,
    /// Tail gap of the day (end of coverage to window end), seconds, if any.
    pub end_gap: Option<f64>,
}

/// Options of the analysis of one stream: build them with `Default` (no window, no filter,
/// no per-day statistics, [`Tolerance::default`]) and set fields (new fields may be added).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct AnalysisOptions {
    /// Time and rate tolerances.
    pub tolerance: Tolerance,
    /// Analysis window `[start_ns, end_ns)`; `None` = the data's own extent (no edge gaps).
    pub window: Option<(i64, i64)>,
    /// Report only gaps at least this long, seconds (msi `-gmin`). Statistics are unaffected.
    pub min_gap_s: Option<f64>,
    /// Report only gaps at most this long, seconds (msi `-gmax`). Statistics are unaffected.
    pub max_gap_s: Option<f64>,
    /// Morumotto's "max gaps by analysis": when more than this many gaps start in one UTC
    /// day, they are reported as one gap from the first gap's start to the last one's end.
    pub max_gaps_per_day: Option<usize>,
    /// Compute per-day statistics.
    pub per_day: bool,
}

/// The analysis of one stream.
#[derive(Clone, Debug, Default)]
pub struct StreamAnalysis {
    /// Nominal sample rate (the rate of the trace with the most samples), Hz.
    pub sample_rate_hz: f64,
    /// Distinct sample rates found (beyond the rate tolerance), Hz.
    pub sample_rates_hz: Vec<f64>,
    /// Number of traces.
    pub traces: usize,
    /// Total samples in traces (overlapping samples count twice).
    pub samples: i64,
    /// Union coverage segments (clipped to the window).
    pub segments: Vec<Segment>,
    /// Gaps (after filters and collapsing).
    pub gaps: Vec<Gap>,
    /// Overlaps (clipped to the window).
    pub overlaps: Vec<Overlap>,
    /// Per-day statistics (when asked).
    pub days: Vec<DayStats>,
}

/// Analyses the traces of one stream (see the module documentation for the rules).
pub fn analyze(traces: &[Piece], opts: &AnalysisOptions) -> StreamAnalysis {
    let mut out = StreamAnalysis {
        traces: traces.len(),
        samples: traces.iter().map(|t| t.samples).sum(),
        ..Default::default()
    };
    // nominal rate and distinct rates
    let mut best: Option<&Piece> = None;
    for t in traces {
        if best.is_none_or(|b| t.samples > b.samples) {
            best = Some(t);
        }
        if !out
            .sample_rates_hz
            .iter()
            .any(|&r| opts.tolerance.rates_equal(r, t.sample_rate_hz))
        {
            out.sample_rates_hz.push(t.sample_rate_hz);
        }
    }
    out.sample_rates_hz.sort_by(f64::total_cmp);
    let rate = best.map(|b| b.sample_rate_hz).unwrap_or(0.0);
    out.sample_rate_hz = rate;
    let tol_ns = opts.tolerance.time_ns(rate).max(0);
    let samples_in = |ns: i64| -> i64 { (ns_to_s(ns) * rate).round() as i64 };

    // traces clipped to the window
    let mut clipped: Vec<(i64, i64, i64)> = traces
        .iter()
        .filter_map(|t| {
            let (mut s, mut e) = (t.start_ns, t.end_ns);
            if let Some((ws, we)) = opts.window {
                s = s.max(ws);
                e = e.min(we);
            }
            (e > s).then_some((s, e, t.last_sample_ns))
        })
        .collect();
    clipped.sort_unstable();

    // segments: union joining intervals less than the tolerance apart
    for &(s, e, last) in &clipped {
        match out.segments.last_mut() {
            Some(seg) if s - seg.end_ns < tol_ns.max(1) => {
                if e > seg.end_ns {
                    seg.end_ns = e;
                    seg.last_sample_ns = last;
                }
            }
            _ => out.segments.push(Segment {
                start_ns: s,
                end_ns: e,
                last_sample_ns: last,
            }),
        }
    }
    // A segment cut by the window end has its last sample before the cut.
    if let Some((_, we)) = opts.window {
        for seg in &mut out.segments {
            if seg.end_ns == we && seg.last_sample_ns >= we {
                seg.last_sample_ns = we - period_ns(rate).round() as i64;
            }
        }
    }

    // overlaps: sweep of depth over the clipped traces
    let mut events: Vec<(i64, i32)> = Vec::with_capacity(clipped.len() * 2);
    for &(s, e, _) in &clipped {
        events.push((s, 1));
        events.push((e, -1));
    }
    events.sort_unstable();
    let half_period = (period_ns(rate) / 2.0).round() as i64;
    let mut depth: i32 = 0;
    let mut max_depth: i32 = 0;
    let mut ov_start: Option<i64> = None;
    for (t, d) in events {
        depth += d;
        if depth >= 2 {
            if ov_start.is_none() {
                ov_start = Some(t);
                max_depth = depth;
            }
            max_depth = max_depth.max(depth);
        } else if let Some(s) = ov_start.take() {
            if t - s >= half_period.max(1) {
                out.overlaps.push(Overlap {
                    start_ns: s,
                    end_ns: t,
                    samples: samples_in(t - s),
                    depth: max_depth as u32,
                });
            }
        }
    }

    // gaps between segments, plus edges
    let mut gaps: Vec<Gap> = Vec::new();
    if let Some((ws, we)) = opts.window {
        let first = out.segments.first().map(|s| s.start_ns).unwrap_or(we);
        if first - ws >= tol_ns.max(1) {
            gaps.push(Gap {
                start_ns: ws,
                end_ns: first,
                last_sample_ns: None,
                next_sample_ns: out.segments.first().map(|s| s.start_ns),
                edge: Some(Edge::Head),
                missing_samples: samples_in(first - ws),
            });
        }
    }
    for w in out.segments.windows(2) {
        gaps.push(Gap {
            start_ns: w[0].end_ns,
            end_ns: w[1].start_ns,
            last_sample_ns: Some(w[0].last_sample_ns),
            next_sample_ns: Some(w[1].start_ns),
            edge: None,
            missing_samples: samples_in(w[1].start_ns - w[0].end_ns),
        });
    }
    if let (Some((_, we)), Some(last)) = (opts.window, out.segments.last()) {
        if we - last.end_ns >= tol_ns.max(1) {
            gaps.push(Gap {
                start_ns: last.end_ns,
                end_ns: we,
                last_sample_ns: Some(last.last_sample_ns),
                next_sample_ns: None,
                edge: Some(Edge::Tail),
                missing_samples: samples_in(we - last.end_ns),
            });
        }
    }

    if opts.per_day {
        out.days = day_stats(&out.segments, &out.overlaps, opts.window, tol_ns);
    }

    // filters, then Morumotto's collapse
    gaps.retain(|g| {
        let d = g.duration_s();
        opts.min_gap_s.is_none_or(|m| d >= m) && opts.max_gap_s.is_none_or(|m| d <= m)
    });
    if let Some(max) = opts.max_gaps_per_day {
        gaps = collapse_per_day(gaps, max, &samples_in);
    }
    out.gaps = gaps;
    out
}

/// Replaces the gaps starting in one UTC day by a single gap when there are more than `max`.
fn collapse_per_day(gaps: Vec<Gap>, max: usize, samples_in: &dyn Fn(i64) -> i64) -> Vec<Gap> {
    let mut out = Vec::with_capacity(gaps.len());
    let mut i = 0;
    while i < gaps.len() {
        let day = day_floor(gaps[i].start_ns);
        let mut j = i;
        while j < gaps.len() && day_floor(gaps[j].start_ns) == day {
            j += 1;
        }
        if j - i > max {
            let (a, b) = (&gaps[i], &gaps[j - 1]);
            out.push(Gap {
                start_ns: a.start_ns,
                end_ns: b.end_ns,
                last_sample_ns: a.last_sample_ns,
                next_sample_ns: b.next_sample_ns,
                edge: match (a.edge, b.edge) {
                    (Some(Edge::Head), _) => Some(Edge::Head),
                    (_, Some(Edge::Tail)) => Some(Edge::Tail),
                    _ => None,
                },
                missing_samples: samples_in(b.end_ns - a.start_ns),
            });
        } else {
            out.extend_from_slice(&gaps[i..j]);
        }
        i = j;
    }
    out
}

/// Per-UTC-day statistics over the days touched by coverage, or every day of the window.
fn day_stats(
    segments: &[Segment],
    overlaps: &[Overlap],
    window: Option<(i64, i64)>,
    tol_ns: i64,
) -> Vec<DayStats> {
    let (first_day, last_end) = match window {
        Some((ws, we)) => (day_floor(ws), we),
        None => match (segments.first(), segments.last()) {
            (Some(f), Some(l)) => (day_floor(f.start_ns), l.end_ns),
            _ => return Vec::new(),
        },
    };
    let mut days = Vec::new();
    let mut seg_i = 0;
    let mut ov_i = 0;
    let mut day = first_day;
    while day < last_end {
        let (mut ds, mut de) = (day, day + NS_PER_DAY);
        if let Some((ws, we)) = window {
            ds = ds.max(ws);
            de = de.min(we);
        }
        while seg_i < segments.len() && segments[seg_i].end_ns <= ds {
            seg_i += 1;
        }
        while ov_i < overlaps.len() && overlaps[ov_i].end_ns <= ds {
            ov_i += 1;
        }
        let mut covered: i64 = 0;
        let mut gaps: Vec<(i64, i64)> = Vec::new();
        let mut cursor = ds;
        let mut k = seg_i;
        while k < segments.len() && segments[k].start_ns < de {
            let s = segments[k].start_ns.max(ds);
            let e = segments[k].end_ns.min(de);
            if s > cursor {
                gaps.push((cursor, s));
            }
            covered += e - s;
            cursor = cursor.max(e);
            k += 1;
        }
        if de > cursor {
            gaps.push((cursor, de));
        }
        gaps.retain(|&(s, e)| e - s >= tol_ns.max(1));
        let start_gap = gaps
            .first()
            .filter(|g| g.0 == ds)
            .map(|g| ns_to_s(g.1 - g.0));
        let end_gap = gaps
            .last()
            .filter(|g| g.1 == de)
            .map(|g| ns_to_s(g.1 - g.0));
        let mut st = DayStats {
            day_start_ns: day,
            window_start_ns: ds,
            window_end_ns: de,
            covered_s: ns_to_s(covered),
            percent_availability: covered as f64 / (de - ds) as f64 * 100.0,
            num_gaps: gaps.len() as u64,
            sum_gaps: gaps
                .iter()
                .map(|g| ns_to_s(g.1 - g.0))
                .fold(0.0, |a, b| a + b),
            max_gap: gaps.iter().map(|g| ns_to_s(g.1 - g.0)).fold(0.0, f64::max),
            num_overlaps: 0,
            sum_overlaps: 0.0,
            max_overlap: 0.0,
            start_gap,
            end_gap,
        };
        let mut k = ov_i;
        while k < overlaps.len() && overlaps[k].start_ns < de {
            let s = overlaps[k].start_ns.max(ds);
            let e = overlaps[k].end_ns.min(de);
            if e > s {
                let d = ns_to_s(e - s);
                st.num_overlaps += 1;
                st.sum_overlaps += d;
                st.max_overlap = st.max_overlap.max(d);
            }
            k += 1;
        }
        days.push(st);
        day += NS_PER_DAY;
    }
    days
}

/// Nanoseconds of `[start_ns, end_ns)` covered by `segments` (sorted and disjoint, as in
/// [`StreamAnalysis::segments`]): the availability numerator of the one coverage rule, for
/// windows that are not whole days (for example a day cut to metadata epochs, see
/// [`crate::qc`]). 0 when `end_ns <= start_ns`.
pub fn covered_ns(segments: &[Segment], start_ns: i64, end_ns: i64) -> i64 {
    if end_ns <= start_ns {
        return 0;
    }
    let first = segments.partition_point(|s| s.end_ns <= start_ns);
    segments[first..]
        .iter()
        .take_while(|s| s.start_ns < end_ns)
        .map(|s| s.end_ns.min(end_ns) - s.start_ns.max(start_ns))
        .filter(|&d| d > 0)
        .sum()
}

/// Availability in percent of one analysed stream: covered time over the window, or over
/// the stream's own extent (first sample to end of coverage) when no window is given; 0
/// for an empty extent. This is the `Avail%` column of `siqaco scan` and `siqaco stats`.
pub fn stream_availability(a: &StreamAnalysis, window: Option<(i64, i64)>) -> f64 {
    let (start, end) = match (window, a.segments.first(), a.segments.last()) {
        (Some(w), _, _) => w,
        (None, Some(f), Some(l)) => (f.start_ns, l.end_ns),
        _ => return 0.0,
    };
    if end <= start {
        return 0.0;
    }
    covered_ns(&a.segments, start, end) as f64 / (end - start) as f64 * 100.0
}

/// Convenience for tests and examples: the coverage piece of `n` samples at `rate` Hz
/// starting at `start_ns`, its last sample at [`sample_time`]`(start_ns, n - 1, rate)`.
pub fn piece_of(start_ns: i64, n: i64, rate: f64) -> Piece {
    Piece::new(start_ns, sample_time(start_ns, n - 1, rate), rate, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::join_pieces;
    use crate::time::NS_PER_S;

    fn opts() -> AnalysisOptions {
        AnalysisOptions {
            per_day: true,
            ..Default::default()
        }
    }

    /// Worked example 1 of docs/gaps.md: 100 Hz day with a 60 s gap and a 10 s overlap.
    #[test]
    fn reference_day() {
        let day = 1_704_153_600 * NS_PER_S; // 2024-01-02
        let t = Tolerance::default();
        let h6 = day + 6 * 3600 * NS_PER_S;
        let h12 = day + 12 * 3600 * NS_PER_S;
        let pieces = vec![
            // 00:00 .. 05:59:59.99
            piece_of(day, 2_160_000, 100.0),
            // 06:01:00 .. 11:59:59.99
            piece_of(h6 + 60 * NS_PER_S, 2_154_000, 100.0),
            // 11:59:50 .. 24:00 (overlap 10 s)
            piece_of(h12 - 10 * NS_PER_S, 4_321_000, 100.0),
        ];
        let traces = join_pieces(pieces, &t);
        let mut o = opts();
        o.window = Some((day, day + NS_PER_DAY));
        let a = analyze(&traces, &o);
        assert_eq!(a.gaps.len(), 1);
        let g = a.gaps[0];
        assert_eq!(g.duration_s(), 60.0);
        assert_eq!(g.missing_samples, 6000);
        assert!((g.last_to_next_s().unwrap() - 60.01).abs() < 1e-9);
        assert_eq!(a.overlaps.len(), 1);
        assert_eq!(a.overlaps[0].duration_s(), 10.0);
        assert_eq!(a.overlaps[0].samples, 1000);
        let d = a.days[0];
        assert_eq!(d.num_gaps, 1);
        assert!((d.percent_availability - (1.0 - 60.0 / 86400.0) * 100.0).abs() < 1e-9);
        assert_eq!(d.num_overlaps, 1);
        assert_eq!(d.start_gap, None);
        assert_eq!(d.end_gap, None);
    }

    #[test]
    fn edges_only_with_window() {
        let t = Tolerance::default();
        let s = 1_000 * NS_PER_S;
        let traces = join_pieces(vec![piece_of(s, 100, 1.0)], &t);
        let a = analyze(&traces, &AnalysisOptions::default());
        assert!(a.gaps.is_empty());
        let mut o = AnalysisOptions {
            window: Some((s - 10 * NS_PER_S, s + 200 * NS_PER_S)),
            ..Default::default()
        };
        let a = analyze(&traces, &o);
        assert_eq!(a.gaps.len(), 2);
        assert_eq!(a.gaps[0].edge, Some(Edge::Head));
        assert_eq!(a.gaps[0].duration_s(), 10.0);
        assert_eq!(a.gaps[1].edge, Some(Edge::Tail));
        assert_eq!(a.gaps[1].duration_s(), 100.0);
        // an edge shorter than the tolerance is no gap
        o.window = Some((s - NS_PER_S / 4, s + 100 * NS_PER_S));
        assert!(analyze(&traces, &o).gaps.is_empty());
    }

    #[test]
    fn collapse_many_gaps() {
        let t = Tolerance::default();
        let s = 1_000 * NS_PER_S;
        let pieces: Vec<Piece> = (0..5)
            .map(|i| piece_of(s + i * 20 * NS_PER_S, 10, 1.0))
            .collect();
        let traces = join_pieces(pieces, &t);
        let mut o = AnalysisOptions::default();
        assert_eq!(analyze(&traces, &o).gaps.len(), 4);
        o.max_gaps_per_day = Some(3);
        let a = analyze(&traces, &o);
        assert_eq!(a.gaps.len(), 1);
        assert_eq!(a.gaps[0].duration_s(), 70.0);
        o.max_gaps_per_day = Some(4);
        assert_eq!(analyze(&traces, &o).gaps.len(), 4);
        o.max_gaps_per_day = None;
        o.min_gap_s = Some(10.5);
        assert!(analyze(&traces, &o).gaps.is_empty());
    }
}
