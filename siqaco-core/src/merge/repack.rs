//! Re-encoding that keeps every sample's time (issue #16; `docs/merge.md`, "Re-encoding
//! keeps every sample's time").
//!
//! The samples a merge re-encodes are packed by libmseed's `msr3_pack`, which gives each
//! record it writes the start time `ms_sampletime(start, k, rate)`, `k` the samples
//! packed before it, and every sample of a record the time `ms_sampletime(record start,
//! i, rate)` when it is read back. Input records rarely follow each other that exactly
//! (real dataloggers jitter by microseconds), so packing the samples of several records
//! as one run would move the samples after each jittered join. Two rules prevent it:
//!
//! 1. **Joins only where the time is exact.** A run of kept samples continues a trace
//!    only when the encoder will give its first sample its own time, as the output
//!    format holds times ([`resolution_ns`]): `ms_sampletime(trace start, trace samples,
//!    rate)`, from the trace start truncated to the output resolution, is the run's first
//!    sample time truncated the same way (same sample rate, sample type and pack options
//!    too). Otherwise the run starts a new trace, that is a new output record at its own
//!    time.
//! 2. **Every output record is checked.** libmseed's miniSEED 2 packer writes the start
//!    of a run's second and later records rounded to the nearest microsecond (libmseed
//!    3.5 `nstime2fsec_usec_offset`; 3.1 wrote them at 100 µs resolution with the first
//!    record's blockette 1001 microseconds), where a record start here is the first
//!    sample's microsecond (truncated, as [`encode`] writes a first record), and its
//!    `ms_sampletime` knows no leap second unless a leap second list is loaded; so after
//!    packing, each record's start is compared with its first sample's input time, and
//!    where they differ (at the output resolution) the record is dropped and packing
//!    resumes from that sample at its exact time.
//! 3. **Every output sample is checked.** A record's samples are read back at
//!    `ms_sampletime(record start, i, rate)`; where that differs from a sample's input
//!    time by more than the output format allows ([`Trace::keeps`]), the record ends
//!    before the sample and a new record starts at its own time. Rule 1 judges joins on
//!    the grid of the trace's first record, but a record re-started by rule 2 at its first
//!    sample's microsecond has another grid (half a microsecond off at 128 Hz), on which a
//!    later jittered join would move its samples by more than a microsecond.
//!
//! So every output record's first sample keeps its input time to the resolution of the
//! output format, and so do the samples after it wherever the sample period is a whole
//! number of that resolution (every common rate); otherwise a sample lies less than the
//! resolution from its input time (1 ns for miniSEED 3: `ms_sampletime`'s rounding of
//! `i × period`), the bound [`time_slack_ns`] that the verification enforces.

use super::split_records;
use crate::codec::{encode, PackOptions, Samples};
use crate::error::{Error, Result};
use crate::read::{append, same_type};
use crate::record::parse_record;
use crate::sid::Nslc;
use crate::time::format_time;
use crate::time::sample_time;

/// The time resolution of a miniSEED format version, ns: 1 for miniSEED 3 (nanosecond
/// field of the fixed header), 1 000 for miniSEED 2 (the fixed header's 100 µs plus
/// blockette 1001's microseconds, which libmseed writes whenever a start has them; SEED
/// 2.4 manual, blockette 1001).
pub(crate) fn resolution_ns(format_version: u8) -> i64 {
    if format_version == 2 {
        1_000
    } else {
        1
    }
}

/// `t` truncated to a multiple of `resolution` ns, as a record start is written
/// ([`encode`] truncates the start to the microsecond for miniSEED 2).
fn floor(t: i64, resolution: i64) -> i64 {
    t.div_euclid(resolution) * resolution
}

/// Whether two times fall in the same tick of `resolution` ns.
fn same_tick(a: i64, b: i64, resolution: i64) -> bool {
    floor(a, resolution) == floor(b, resolution)
}

/// How far (ns) a re-encoded sample's time may lie from its input time in records of
/// `format_version` at `rate_hz`, by the rules of this module: for miniSEED 2 up to its
/// microsecond (a record start is truncated to it, the samples after it follow the grid
/// of that start, and `i × period` is rounded to the nanosecond), for miniSEED 3 nothing,
/// or 1 ns when the sample period is not a whole number of nanoseconds (the rounding of
/// `i × period`).
pub(crate) fn time_slack_ns(format_version: u8, rate_hz: f64) -> i64 {
    if format_version == 2 {
        1_000
    } else if (1e9 / rate_hz).fract() == 0.0 {
        0
    } else {
        1
    }
}

/// Samples `a..b` of `samples`, copied.
pub(crate) fn sub(samples: &Samples, a: usize, b: usize) -> Samples {
    match samples {
        Samples::Int32(v) => Samples::Int32(v[a..b].to_vec()),
        Samples::Float32(v) => Samples::Float32(v[a..b].to_vec()),
        Samples::Float64(v) => Samples::Float64(v[a..b].to_vec()),
        Samples::Text(v) => Samples::Text(v[a..b].to_vec()),
    }
}

/// Where the samples of one input run begin in a [`Trace`], and how their input times are
/// computed.
#[derive(Clone, Copy, Debug)]
struct Segment {
    /// Index of the run's first sample in the trace.
    at: usize,
    /// Start time of the input record, ns.
    record_start_ns: i64,
    /// Index of the run's first sample in its input record.
    first_index: i64,
    /// The input record's raw sample rate ([`sample_time`]).
    rate_raw: f64,
}

/// Samples to be packed as one run: input runs joined where the encoder keeps every
/// sample's time (rule 1 of the module).
#[derive(Clone, Debug)]
pub(crate) struct Trace {
    /// Input time of the first sample, ns.
    pub(crate) start_ns: i64,
    /// Sample rate the records are written with, Hz.
    rate_hz: f64,
    pack: PackOptions,
    samples: Samples,
    segments: Vec<Segment>,
}

impl Trace {
    /// The samples `first_index..` of an input record starting at `record_start_ns` with
    /// raw rate `rate_raw` ([`sample_time`]) and rate `rate_hz`, to be packed with `pack`.
    pub(crate) fn new(
        record_start_ns: i64,
        rate_raw: f64,
        rate_hz: f64,
        first_index: i64,
        pack: PackOptions,
        samples: Samples,
    ) -> Trace {
        Trace {
            start_ns: sample_time(record_start_ns, first_index, rate_raw),
            rate_hz,
            pack,
            samples,
            segments: vec![Segment {
                at: 0,
                record_start_ns,
                first_index,
                rate_raw,
            }],
        }
    }

    /// The input time of sample `j` of the trace, ns.
    fn input_time(&self, j: usize) -> i64 {
        let s = &self.segments[self.segments.partition_point(|s| s.at <= j) - 1];
        sample_time(
            s.record_start_ns,
            s.first_index + (j - s.at) as i64,
            s.rate_raw,
        )
    }

    /// The time the sample after the last would have when read back from the packed
    /// records: `msr3_pack` gives samples `ms_sampletime(start, i, rate)` (the rule of
    /// [`sample_time`]) from the start as the output format holds it.
    fn next_time(&self) -> i64 {
        let start = floor(self.start_ns, self.resolution());
        sample_time(start, self.samples.len() as i64, self.rate_hz)
    }

    fn resolution(&self) -> i64 {
        resolution_ns(self.pack.format_version)
    }

    /// Whether a sample read back at `read` keeps its input time `input` as the output
    /// format can: in the same tick of the resolution when the sample period is a whole
    /// number of it, otherwise less than the resolution away (miniSEED 2) or within
    /// [`time_slack_ns`] (miniSEED 3).
    fn keeps(&self, read: i64, input: i64) -> bool {
        let res = self.resolution();
        let version = self.pack.format_version;
        let ticks = 1e9 / self.rate_hz / res as f64;
        if ticks.fract() == 0.0 {
            same_tick(read, input, res)
        } else if version == 2 {
            (read - input).abs() < res
        } else {
            (read - input).abs() <= time_slack_ns(version, self.rate_hz)
        }
    }

    /// Whether `run` can be packed after this trace with every sample keeping its time.
    fn continued_by(&self, run: &Trace) -> bool {
        self.pack == run.pack
            && self.rate_hz == run.rate_hz
            && same_type(&self.samples, &run.samples)
            && self.next_time() == floor(run.start_ns, self.resolution())
    }

    fn append(&mut self, run: Trace) {
        let at = self.samples.len();
        self.segments.extend(
            run.segments
                .into_iter()
                .map(|s| Segment { at: at + s.at, ..s }),
        );
        append(&mut self.samples, run.samples);
    }
}

/// Joins runs given in time order (of their first samples) into traces by rule 1 of the
/// module: a run continues an earlier trace only when that trace's [`Trace::next_time`]
/// is the run's first sample time at the output resolution. Open traces whose next time
/// lies before a run's start are retired (later runs start later still), so a day costs
/// time linear in its runs.
pub(crate) fn join_exact(runs: impl IntoIterator<Item = Trace>) -> Vec<Trace> {
    let mut traces: Vec<Trace> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for run in runs {
        open.retain(|&k| traces[k].next_time() >= floor(run.start_ns, traces[k].resolution()));
        match open.iter().copied().find(|&k| traces[k].continued_by(&run)) {
            Some(k) => traces[k].append(run),
            None => {
                traces.push(run);
                open.push(traces.len() - 1);
            }
        }
    }
    traces
}

/// Packs a trace into records whose samples keep their input times (rules 2 and 3 of the
/// module); returns the records concatenated and how many there are.
///
/// The samples are packed in one call. When a record's start differs from its first
/// sample's input time at the output resolution, packing resumes from that sample at its
/// own time, then in calls of at most `2 × record length` samples (no record holds more:
/// Steim2 packs at most 7 samples in 4 bytes), whose last record, filled early by the
/// flush, is packed again with the samples that follow. When a later sample of a record
/// would move (rule 3), packing resumes from the record's first sample with the samples
/// before that one only (libmseed flushes them as one shorter record, at the same start),
/// then from that sample at its own time. Each call keeps at least its first record, or
/// the samples of it before the one that would move, so the cost stays linear in the
/// samples.
///
/// # Errors
/// [`Error::Codec`] when libmseed cannot pack the samples, or gives a run's first record
/// a start other than its first sample's time (nothing is written then).
pub(crate) fn encode_trace(nslc: &Nslc, t: &Trace) -> Result<(Vec<u8>, u64)> {
    let n = t.samples.len();
    let res = t.resolution();
    let mut out = Vec::new();
    let mut records = 0u64;
    let mut j = 0usize;
    let mut chunk = n;
    // the sample a record must not pack past: one its record's grid would move
    let mut cut = n;
    while j < n {
        let end = cut.min(j.saturating_add(chunk));
        let part;
        let samples = if j == 0 && end == n {
            &t.samples
        } else {
            part = sub(&t.samples, j, end);
            &part
        };
        let bytes = encode(nslc, t.input_time(j), t.rate_hz, samples, &t.pack)?;
        let packed = split_records(&bytes)?;
        let mut pos = j;
        for (k, raw) in packed.iter().enumerate() {
            let h = parse_record(raw).map_err(|e| Error::codec_from(e.message.clone(), e))?;
            let own = t.input_time(pos);
            if !same_tick(h.start_ns, own, res) {
                if k == 0 {
                    return Err(Error::codec(format!(
                        "{nslc}: libmseed packed the sample at {} with the time {}",
                        format_time(own),
                        format_time(h.start_ns)
                    )));
                }
                chunk = 2 * t.pack.record_length;
                break;
            }
            if k > 0 && k + 1 == packed.len() && end < cut {
                break;
            }
            let count = usize::try_from(h.sample_count).unwrap_or(0);
            if count == 0 || pos + count > end {
                return Err(Error::codec(format!(
                    "{nslc}: libmseed packed a record of {} samples at {}",
                    h.sample_count,
                    format_time(own)
                )));
            }
            if let Some(i) = (1..count).find(|&i| {
                let read = sample_time(h.start_ns, i as i64, h.sample_rate_raw);
                !t.keeps(read, t.input_time(pos + i))
            }) {
                cut = pos + i;
                break;
            }
            out.extend_from_slice(raw);
            records += 1;
            pos += count;
        }
        j = pos;
        if j == cut {
            cut = n;
        }
    }
    Ok((out, records))
}
