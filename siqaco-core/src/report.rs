//! Machine-readable output of scans (the stable JSON document described in
//! `docs/scan-json.md`) and of QC runs (`docs/qc.md`).
//!
//! Times are ISO 8601 UTC strings with a `Z` ([`crate::time::format_time`]: microsecond
//! digits, nanosecond digits when needed); durations are seconds as floating-point numbers;
//! sample counts are integers.

use crate::gaps::{DayStats, Gap, Overlap, Segment};
use crate::qc::{DayQc, Finding, QcReport, ACTIVITY_FLAGS, DATA_QUALITY_FLAGS, IO_AND_CLOCK_FLAGS};
use crate::scan::{FileError, ScanReport, StreamReport};
use crate::time::{format_date, format_time};
use serde_json::{json, Value};

/// Version of the JSON document layout; bumped only for incompatible changes.
pub const SCAN_JSON_VERSION: u32 = 1;

fn opt_time(ns: Option<i64>) -> Value {
    ns.map(|t| Value::String(format_time(t)))
        .unwrap_or(Value::Null)
}

/// JSON of one segment: `{"start", "end"}` (end exclusive: last sample + one period).
pub(crate) fn segment_json(s: &Segment) -> Value {
    json!({"start": format_time(s.start_ns), "end": format_time(s.end_ns)})
}

/// JSON of one gap.
pub(crate) fn gap_json(g: &Gap) -> Value {
    json!({
        "start": format_time(g.start_ns),
        "end": format_time(g.end_ns),
        "duration_s": g.duration_s(),
        "missing_samples": g.missing_samples,
        "last_sample": opt_time(g.last_sample_ns),
        "next_sample": opt_time(g.next_sample_ns),
        "last_to_next_s": g.last_to_next_s(),
        "edge": g.edge.map(|e| e.as_str()),
    })
}

/// JSON of one overlap.
pub(crate) fn overlap_json(o: &Overlap) -> Value {
    json!({
        "start": format_time(o.start_ns),
        "end": format_time(o.end_ns),
        "duration_s": o.duration_s(),
        "samples": o.samples,
        "depth": o.depth,
    })
}

/// JSON of one day's statistics.
pub(crate) fn day_json(d: &DayStats) -> Value {
    json!({
        "date": format_date(d.day_start_ns),
        "start": format_time(d.window_start_ns),
        "end": format_time(d.window_end_ns),
        "covered_s": d.covered_s,
        "percent_availability": d.percent_availability,
        "num_gaps": d.num_gaps,
        "sum_gaps": d.sum_gaps,
        "max_gap": d.max_gap,
        "num_overlaps": d.num_overlaps,
        "sum_overlaps": d.sum_overlaps,
        "max_overlap": d.max_overlap,
        "start_gap": d.start_gap,
        "end_gap": d.end_gap,
    })
}

/// JSON of one stream.
pub(crate) fn stream_json(s: &StreamReport) -> Value {
    let a = &s.analysis;
    json!({
        "nslc": s.nslc.to_string(),
        "source_id": s.nslc.source_id(),
        "sample_rate_hz": a.sample_rate_hz,
        "sample_rates_hz": a.sample_rates_hz,
        "records": s.records,
        "samples": a.samples,
        "traces": a.traces,
        "earliest": opt_time(a.segments.first().map(|x| x.start_ns)),
        "latest": opt_time(a.segments.last().map(|x| x.end_ns)),
        "segments": a.segments.iter().map(segment_json).collect::<Vec<_>>(),
        "gaps": a.gaps.iter().map(gap_json).collect::<Vec<_>>(),
        "overlaps": a.overlaps.iter().map(overlap_json).collect::<Vec<_>>(),
        "days": a.days.iter().map(day_json).collect::<Vec<_>>(),
    })
}

/// JSON of one file error.
pub(crate) fn error_json(e: &FileError) -> Value {
    json!({"path": e.path, "offset": e.offset, "message": e.message})
}

/// The whole scan report as the stable JSON document (see `docs/scan-json.md`).
pub fn scan_json(r: &ScanReport) -> Value {
    json!({
        "version": SCAN_JSON_VERSION,
        "window": r.window.map(|(s, e)| json!({"start": format_time(s), "end": format_time(e)})),
        "files": r.files,
        "records": r.records,
        "bytes": r.bytes,
        "streams": r.streams.iter().map(|s| mapped_stream_json(s, &r.mapped)).collect::<Vec<_>>(),
        "errors": r.errors.iter().map(error_json).collect::<Vec<_>>(),
    })
}

/// [`stream_json`] with, when a mapping gave the stream records of other codes, their
/// `"mapped_from"`: `[{"nslc", "source_id", "start", "end", "records"}]` (the original codes,
/// the first sample of the earliest and the coverage end of the latest record mapped, the
/// records; `docs/scan-json.md`). Without mappings the document is unchanged.
fn mapped_stream_json(s: &StreamReport, mapped: &[crate::mapping::MappedSpan]) -> Value {
    let mut v = stream_json(s);
    let from: Vec<Value> = mapped
        .iter()
        .filter(|m| m.to == s.nslc)
        .map(|m| {
            json!({
                "nslc": m.from.to_string(),
                "source_id": m.from.source_id(),
                "start": format_time(m.start_ns),
                "end": format_time(m.end_ns),
                "records": m.records,
            })
        })
        .collect();
    if !from.is_empty() {
        v["mapped_from"] = Value::Array(from);
    }
    v
}

/// Version of the QC JSON document layout (`docs/qc.md`); bumped only for incompatible
/// changes.
pub const QC_JSON_VERSION: u32 = 1;

/// JSON of one QC finding: `{"code", "severity", "nslc", "start", "end", "path", "count",
/// "message"}` (`start`/`end` null when open or not time-bound, `path` null for stream
/// checks).
pub(crate) fn finding_json(f: &Finding) -> Value {
    json!({
        "code": f.check.code(),
        "severity": f.severity.as_str(),
        "nslc": f.nslc.to_string(),
        "start": opt_time(f.start_ns),
        "end": opt_time(f.end_ns),
        "path": f.path,
        "count": f.count,
        "message": f.message,
        "examples": f.examples,
    })
}

fn flags_json<T: serde::Serialize>(names: &[&str], counts: &[T]) -> Value {
    Value::Object(
        names
            .iter()
            .zip(counts)
            .map(|(n, c)| (n.to_string(), json!(c)))
            .collect(),
    )
}

/// JSON of one stream-day of a QC run, with ObsPy `MSEEDMetadata` names for the header
/// counts (`miniseed_header_counts`: `timing_correction`, `activity_flags`,
/// `io_and_clock_flags`, `data_quality_flags`) and percentages
/// (`miniseed_header_percentages`, with the `timing_quality_*` statistics), and MUSTANG
/// names for availability.
pub(crate) fn qc_day_json(d: &DayQc) -> Value {
    let h = &d.header_counts;
    let p = &d.header_percentages;
    json!({
        "date": format_date(d.day_start_ns),
        "records": d.records,
        "percent_availability": d.percent_availability,
        "epoch_s": d.epoch_s,
        "ts_percent_availability": d.ts_percent_availability,
        "timing_quality_mean": d.timing_quality_mean,
        "timing_quality_min": d.timing_quality_min,
        "timing_quality_max": d.timing_quality_max,
        "timing_quality_records": d.timing_quality_records,
        "miniseed_header_counts": {
            "timing_correction": h.timing_correction,
            "activity_flags": flags_json(&ACTIVITY_FLAGS, &h.activity_flags),
            "io_and_clock_flags": flags_json(&IO_AND_CLOCK_FLAGS, &h.io_and_clock_flags),
            "data_quality_flags": flags_json(&DATA_QUALITY_FLAGS, &h.data_quality_flags),
        },
        "miniseed_header_percentages": {
            "timing_correction": p.timing_correction,
            "timing_quality_mean": d.timing_quality_mean,
            "timing_quality_min": d.timing_quality_min,
            "timing_quality_max": d.timing_quality_max,
            "timing_quality_median": d.timing_quality_median,
            "timing_quality_lower_quartile": d.timing_quality_lower_quartile,
            "timing_quality_upper_quartile": d.timing_quality_upper_quartile,
            "activity_flags": flags_json(&ACTIVITY_FLAGS, &p.activity_flags),
            "io_and_clock_flags": flags_json(&IO_AND_CLOCK_FLAGS, &p.io_and_clock_flags),
            "data_quality_flags": flags_json(&DATA_QUALITY_FLAGS, &p.data_quality_flags),
        },
    })
}

/// The whole QC report as the JSON document of `docs/qc.md`.
pub fn qc_json(r: &QcReport) -> Value {
    json!({
        "version": QC_JSON_VERSION,
        "window": r.window.map(|(s, e)| json!({"start": format_time(s), "end": format_time(e)})),
        "files": r.files,
        "records": r.records,
        "worst_severity": r.worst_severity().map(|s| s.as_str()),
        "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "streams": r.streams.iter().map(|s| json!({
            "nslc": s.nslc.to_string(),
            "records": s.records,
            "epochs": s.epochs,
            "sample_rates_hz": s.sample_rates_hz,
            "days": s.days.iter().map(qc_day_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "errors": r.errors.iter().map(error_json).collect::<Vec<_>>(),
    })
}

/// A scan report serialises as its JSON document ([`scan_json`], `docs/scan-json.md`).
impl serde::Serialize for ScanReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        scan_json(self).serialize(serializer)
    }
}
