//! Traces: maximal runs of contiguous samples of one stream, built from record (or trace)
//! pieces with a time tolerance and a sample-rate tolerance, as libmseed's trace list does.
//!
//! Rules (see `docs/gaps.md`):
//! - a piece joins a trace when it starts within the **time tolerance** of the trace's
//!   expected next sample time (last sample + one period) and its sample rate is within the
//!   **rate tolerance** of the trace's rate (libmseed `mstl3_addmsr`: default time tolerance
//!   0.5 sample period, rates equal when `|1 − r1/r2| < 1e-4`, `MS_ISRATETOLERABLE`);
//! - pieces are joined in time order, so the result does not depend on record order in files
//!   or on how records are split across files;
//! - a trace covers `[first sample, last sample + one period)`.
//!
//! Memory is bounded by the number of traces, not of records: [`TraceBuilder`] compacts its
//! pending pieces into traces as they accumulate.

use crate::time::period_ns;

/// How close a piece must start to a trace's expected next sample to continue it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimeTolerance {
    /// A fraction of the sample period of the piece (libmseed's default is 0.5).
    Periods(f64),
    /// A fixed number of seconds (msi and dataselect `-tt`).
    Seconds(f64),
}

/// Time and sample-rate tolerances.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Time tolerance; default half a sample period.
    pub time: TimeTolerance,
    /// Relative sample-rate tolerance: rates r1, r2 are equal when `|1 − r1/r2| < rate`.
    /// Default 1e-4 (libmseed `MS_ISRATETOLERABLE`).
    pub rate: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            time: TimeTolerance::Periods(0.5),
            rate: 1e-4,
        }
    }
}

impl Tolerance {
    /// Builds tolerances from user options, as the operations' requests take them
    /// (`siqaco::ops`): a time tolerance in seconds (`tolerance_s`, msi `-tt`) or in sample
    /// periods (`tolerance_periods`; at most one of the two), and a relative rate tolerance
    /// (`rate_tolerance`); `None` keeps the default.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the field for a negative or NaN value, or
    /// `tolerance_periods` when both time forms are given.
    pub fn from_options(
        seconds: Option<f64>,
        periods: Option<f64>,
        rate: Option<f64>,
    ) -> crate::Result<Tolerance> {
        let check = |v: f64, field: &str| {
            if v.is_nan() || v < 0.0 {
                Err(crate::Error::field(field, "must be >= 0"))
            } else {
                Ok(v)
            }
        };
        let mut t = Tolerance::default();
        match (seconds, periods) {
            (Some(_), Some(_)) => {
                return Err(crate::Error::field(
                    "tolerance_periods",
                    "give the time tolerance in seconds or in periods, not both",
                ))
            }
            (Some(s), None) => t.time = TimeTolerance::Seconds(check(s, "tolerance_s")?),
            (None, Some(p)) => t.time = TimeTolerance::Periods(check(p, "tolerance_periods")?),
            (None, None) => {}
        }
        if let Some(r) = rate {
            t.rate = check(r, "rate_tolerance")?;
        }
        Ok(t)
    }

    /// The time tolerance in nanoseconds for data at `sample_rate_hz`.
    pub fn time_ns(&self, sample_rate_hz: f64) -> i64 {
        match self.time {
            TimeTolerance::Periods(p) => (p * period_ns(sample_rate_hz)).round() as i64,
            TimeTolerance::Seconds(s) => (s * 1e9).round() as i64,
        }
    }

    /// Whether two sample rates are equal within the rate tolerance.
    pub fn rates_equal(&self, a: f64, b: f64) -> bool {
        if a == b {
            return true;
        }
        if a <= 0.0 || b <= 0.0 {
            return false;
        }
        (1.0 - a / b).abs() < self.rate
    }
}

/// A run of contiguous samples: a record, or a trace built from several records.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Piece {
    /// Time of the first sample, ns.
    pub start_ns: i64,
    /// Time of the last sample, ns (libmseed's end time).
    pub last_sample_ns: i64,
    /// End of coverage: last sample + one period, ns (exclusive).
    pub end_ns: i64,
    /// Sample rate, Hz (> 0).
    pub sample_rate_hz: f64,
    /// Number of samples.
    pub samples: i64,
}

impl Piece {
    /// A piece of `samples` samples at `sample_rate_hz` starting at `start_ns`, whose last
    /// sample is at `last_sample_ns` (as the record header gives it).
    pub fn new(start_ns: i64, last_sample_ns: i64, sample_rate_hz: f64, samples: i64) -> Self {
        let end_ns = last_sample_ns + period_ns(sample_rate_hz).round() as i64;
        Piece {
            start_ns,
            last_sample_ns,
            end_ns,
            sample_rate_hz,
            samples,
        }
    }
}

/// Accumulates pieces of one stream and joins them into traces. Serialisable, to continue
/// later (the catalogue keeps the builders of a growing file: `siqaco watch`).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TraceBuilder {
    pieces: Vec<Piece>,
    compacted_len: usize,
    /// The trace being extended by pieces that arrive in order (the common case: the records
    /// of a day file). A piece that continues it under the trace rule extends it at once, so
    /// contiguous records cost no allocation and no sort; any other piece goes to `pieces`.
    run: Option<Piece>,
    /// The last time tolerance computed in ns, with the tolerance and rate it is for (the
    /// pieces of a stream nearly always share one rate). A cache: not kept.
    #[serde(skip)]
    time_ns_cache: Option<(TimeTolerance, f64, i64)>,
}

impl TraceBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a piece (any order).
    pub fn push(&mut self, piece: Piece, tolerance: &Tolerance) {
        if let Some(r) = &mut self.run {
            let rate = piece.sample_rate_hz;
            let time_ns = match self.time_ns_cache {
                Some((t, at_rate, ns)) if t == tolerance.time && at_rate == rate => ns,
                _ => {
                    let ns = tolerance.time_ns(rate);
                    self.time_ns_cache = Some((tolerance.time, rate, ns));
                    ns
                }
            };
            if tolerance.rates_equal(r.sample_rate_hz, piece.sample_rate_hz)
                && (piece.start_ns - r.end_ns).abs() <= time_ns
            {
                if piece.end_ns > r.end_ns {
                    r.end_ns = piece.end_ns;
                    r.last_sample_ns = piece.last_sample_ns;
                }
                r.samples += piece.samples;
                return;
            }
            let done = *r;
            self.push_piece(done, tolerance);
        }
        self.run = Some(piece);
    }

    fn push_piece(&mut self, piece: Piece, tolerance: &Tolerance) {
        self.pieces.push(piece);
        if self.pieces.len() >= 2 * self.compacted_len + 4096 {
            self.compact(tolerance);
        }
    }

    /// Adds pieces or traces (any order; those of another scan's [`TraceBuilder::finish`]).
    pub fn extend(&mut self, pieces: impl IntoIterator<Item = Piece>, tolerance: &Tolerance) {
        for p in pieces {
            self.push_piece(p, tolerance);
        }
    }

    /// Adds every trace of another builder.
    pub fn merge(&mut self, other: TraceBuilder, tolerance: &Tolerance) {
        self.extend(other.pieces.into_iter().chain(other.run), tolerance);
    }

    /// Joins pending pieces into traces now.
    pub fn compact(&mut self, tolerance: &Tolerance) {
        if let Some(r) = self.run.take() {
            self.pieces.push(r);
        }
        self.pieces = join_pieces(std::mem::take(&mut self.pieces), tolerance);
        self.compacted_len = self.pieces.len();
    }

    /// The traces, sorted by start time, then end time.
    pub fn finish(mut self, tolerance: &Tolerance) -> Vec<Piece> {
        self.compact(tolerance);
        self.pieces
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty() && self.run.is_none()
    }
}

/// The traces [`join_pieces_with`] may still continue, as `(end ns, index)` in that order:
/// a sorted `Vec` while there are few (a stream usually has one open trace at a time, and
/// a search tree's insert and remove per record cost most of the join), a `BTreeSet` once
/// there are more than [`OpenTraces::FEW`] (many overlapping traces, where shifting a
/// `Vec` would be quadratic). Both answer the same.
enum OpenTraces {
    Few(Vec<(i64, usize)>),
    Many(std::collections::BTreeSet<(i64, usize)>),
}

impl Default for OpenTraces {
    fn default() -> Self {
        OpenTraces::Few(Vec::new())
    }
}

impl OpenTraces {
    /// Beyond this many open traces, the search tree.
    const FEW: usize = 32;

    /// The open trace that ended first.
    fn first(&self) -> Option<(i64, usize)> {
        match self {
            OpenTraces::Few(v) => v.first().copied(),
            OpenTraces::Many(s) => s.first().copied(),
        }
    }

    fn remove(&mut self, x: (i64, usize)) {
        match self {
            OpenTraces::Few(v) => {
                if let Ok(i) = v.binary_search(&x) {
                    v.remove(i);
                }
            }
            OpenTraces::Many(s) => {
                s.remove(&x);
            }
        }
    }

    fn insert(&mut self, x: (i64, usize)) {
        match self {
            OpenTraces::Few(v) if v.len() < Self::FEW => {
                if let Err(i) = v.binary_search(&x) {
                    v.insert(i, x);
                }
            }
            OpenTraces::Few(v) => {
                let mut s: std::collections::BTreeSet<_> = v.drain(..).collect();
                s.insert(x);
                *self = OpenTraces::Many(s);
            }
            OpenTraces::Many(s) => {
                s.insert(x);
            }
        }
    }

    /// Calls `f(end, index)` for each open trace with `lo ≤ (end, index) ≤ hi`, in order.
    fn each_within(&self, lo: (i64, usize), hi: (i64, usize), mut f: impl FnMut(i64, usize)) {
        match self {
            OpenTraces::Few(v) => {
                let from = v.partition_point(|x| *x < lo);
                for &(end, idx) in v[from..].iter().take_while(|x| **x <= hi) {
                    f(end, idx);
                }
            }
            OpenTraces::Many(s) => {
                for &(end, idx) in s.range(lo..=hi) {
                    f(end, idx);
                }
            }
        }
    }
}

/// Joins pieces into traces (see the module rules). Output sorted by (start, end).
pub fn join_pieces(pieces: Vec<Piece>, tolerance: &Tolerance) -> Vec<Piece> {
    let pieces = pieces.into_iter().map(|p| (p, ())).collect();
    join_pieces_with(pieces, tolerance, |_, _| true, |_, _| {})
        .into_iter()
        .map(|(p, ())| p)
        .collect()
}

/// Joins pieces carrying a payload (for example their samples) into traces with the trace
/// rule of this module, the same rule as [`join_pieces`].
///
/// A piece joins a trace only when the rule allows it **and** `compatible(trace, piece)`
/// holds (for samples: the same sample type); `append(trace, piece)` then adds the piece's
/// payload at the end of the trace's payload. Pieces are joined in (start, end) order, so a
/// trace's payload is in time order. Output sorted by (start, end, rate).
pub fn join_pieces_with<T>(
    mut pieces: Vec<(Piece, T)>,
    tolerance: &Tolerance,
    compatible: impl Fn(&T, &T) -> bool,
    mut append: impl FnMut(&mut T, T),
) -> Vec<(Piece, T)> {
    let order = |a: &Piece, b: &Piece| {
        (a.start_ns, a.end_ns)
            .cmp(&(b.start_ns, b.end_ns))
            .then(a.sample_rate_hz.total_cmp(&b.sample_rate_hz))
    };
    pieces.sort_by(|a, b| order(&a.0, &b.0));
    let mut traces: Vec<(Piece, T)> = Vec::with_capacity(pieces.len().min(1024));
    // Indices of traces that may still be continued, ordered by end time. A trace whose end
    // is more than the largest tolerance before the current piece's start can never be
    // continued (pieces come in start order), so it is retired.
    let mut open = OpenTraces::default();
    let mut max_tol: i64 = 0;
    for (p, payload) in pieces {
        let tol = tolerance.time_ns(p.sample_rate_hz);
        max_tol = max_tol.max(tol);
        // retire traces that ended long before
        while let Some(first) = open.first() {
            if first.0 < p.start_ns - 2 * max_tol - 1 {
                open.remove(first);
            } else {
                break;
            }
        }
        let mut best: Option<(i64, usize)> = None;
        open.each_within(
            (p.start_ns - tol, 0),
            (p.start_ns + tol, usize::MAX),
            |end, idx| {
                let (t, t_payload) = &traces[idx];
                if !tolerance.rates_equal(t.sample_rate_hz, p.sample_rate_hz)
                    || !compatible(t_payload, &payload)
                {
                    return;
                }
                let d = (p.start_ns - end).abs();
                if best.is_none_or(|(bd, bi)| (d, idx) < (bd, bi)) {
                    best = Some((d, idx));
                }
            },
        );
        match best {
            Some((_, idx)) => {
                let (t, t_payload) = &mut traces[idx];
                open.remove((t.end_ns, idx));
                if p.end_ns > t.end_ns {
                    t.end_ns = p.end_ns;
                    t.last_sample_ns = p.last_sample_ns;
                }
                t.samples += p.samples;
                append(t_payload, payload);
                open.insert((t.end_ns, idx));
            }
            None => {
                traces.push((p, payload));
                open.insert((p.end_ns, traces.len() - 1));
            }
        }
    }
    traces.sort_by(|a, b| order(&a.0, &b.0));
    traces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(start_s: f64, n: i64, rate: f64) -> Piece {
        crate::gaps::piece_of((start_s * 1e9).round() as i64, n, rate)
    }

    #[test]
    fn contiguous_records_join_within_tolerance() {
        let t = Tolerance::default();
        let v = join_pieces(
            vec![
                rec(1.0, 100, 100.0),
                rec(0.0, 100, 100.0),
                rec(2.004, 10, 100.0),
            ],
            &t,
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].samples, 210);
        // 6 ms late at 100 Hz is beyond half a period: new trace
        let v = join_pieces(vec![rec(0.0, 100, 100.0), rec(1.006, 10, 100.0)], &t);
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn rates_beyond_tolerance_do_not_join() {
        let t = Tolerance::default();
        let v = join_pieces(vec![rec(0.0, 100, 100.0), rec(1.0, 40, 40.0)], &t);
        assert_eq!(v.len(), 2);
        assert!(t.rates_equal(100.0, 100.00999));
        assert!(!t.rates_equal(100.0, 100.02));
    }

    #[test]
    fn duplicates_make_two_traces() {
        let t = Tolerance::default();
        let v = join_pieces(
            vec![
                rec(0.0, 100, 100.0),
                rec(0.0, 100, 100.0),
                rec(1.0, 100, 100.0),
            ],
            &t,
        );
        assert_eq!(v.len(), 2);
        assert_eq!(v.iter().map(|p| p.samples).sum::<i64>(), 300);
    }

    // The open traces answer as a search tree would, before and after they become one
    // (more than `OpenTraces::FEW`), whatever the order of inserts and removes.
    proptest::proptest! {
        #[test]
        fn open_traces_answer_as_a_search_tree(
            ops in proptest::collection::vec((0u8..3, 0i64..60, 0usize..4, 0i64..30), 0..400)
        ) {
            let mut open = OpenTraces::default();
            let mut tree = std::collections::BTreeSet::new();
            for (op, end, idx, width) in ops {
                match op {
                    0 => {
                        open.insert((end, idx));
                        tree.insert((end, idx));
                    }
                    1 => {
                        open.remove((end, idx));
                        tree.remove(&(end, idx));
                    }
                    _ => {
                        let first = tree.first().copied();
                        if let Some(f) = first {
                            open.remove(f);
                            tree.remove(&f);
                        }
                    }
                }
                proptest::prop_assert_eq!(open.first(), tree.first().copied());
                let (lo, hi) = ((end - width, idx), (end + width, usize::MAX));
                let mut got = Vec::new();
                open.each_within(lo, hi, |e, i| got.push((e, i)));
                let want: Vec<_> = tree.range(lo..=hi).copied().collect();
                proptest::prop_assert_eq!(got, want);
            }
        }
    }
}
