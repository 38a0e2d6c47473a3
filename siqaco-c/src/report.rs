//! Report accessors: the streams of a scan report (`siqaco_report`) with their segments,
//! gaps, overlaps and per-day statistics, and the files that could not be read, copied
//! into plain `#[repr(C)]` structures.

use crate::args::{fill_nslc, get, SIQACO_NSLC_CAPACITY, SIQACO_TIME_UNSET};
use crate::boundary::{free_handle, read_handle, read_text};
use crate::status::{siqaco_status, FfiResult};
#[cfg(doc)] // the functions named in the documentation
use crate::{
    siqaco_archive_scan, siqaco_archive_scan_with_options, siqaco_catalogue_report,
    siqaco_files_scan,
};
use siqaco::gaps::Edge;
use siqaco::scan::ScanReport;
use std::ffi::c_char;

/// `siqaco_gap.edge`: an interior gap between two segments.
pub const SIQACO_EDGE_NONE: u32 = 0;
/// `siqaco_gap.edge`: from the window start to the first sample.
pub const SIQACO_EDGE_HEAD: u32 = 1;
/// `siqaco_gap.edge`: from the end of coverage to the window end.
pub const SIQACO_EDGE_TAIL: u32 = 2;

/// The result of a scan: streams with their segments, gaps, overlaps and per-day
/// statistics, and the files that could not be read. Opaque; created by
/// [`siqaco_archive_scan`], [`siqaco_archive_scan_with_options`], [`siqaco_files_scan`] or
/// [`siqaco_catalogue_report`], released by [`siqaco_report_free`]. Immutable: it may be
/// read from several threads at once.
pub struct siqaco_report {
    pub(crate) inner: ScanReport,
}

/// One stream of a scan report.
#[repr(C)]
pub struct siqaco_stream {
    /// `NET.STA.LOC.CHA`, NUL-terminated (truncated to `SIQACO_NSLC_CAPACITY - 1` bytes).
    pub nslc: [c_char; SIQACO_NSLC_CAPACITY],
    /// Nominal sample rate (rate of the trace with the most samples), Hz.
    pub sample_rate_hz: f64,
    /// Data records used.
    pub records: u64,
    /// Total samples in traces (overlapping samples count twice).
    pub samples: i64,
    /// Number of traces.
    pub traces: usize,
    /// Number of segments (see [`siqaco_report_segment`]).
    pub segment_count: usize,
    /// Number of gaps (see [`siqaco_report_gap`]).
    pub gap_count: usize,
    /// Number of overlaps (see [`siqaco_report_overlap`]).
    pub overlap_count: usize,
    /// Number of UTC days with statistics (see [`siqaco_report_day`]).
    pub day_count: usize,
}

/// A segment: a maximal interval of coverage `[start_ns, end_ns)`.
#[repr(C)]
pub struct siqaco_segment {
    /// First sample time, ns.
    pub start_ns: i64,
    /// Last sample time + one period, ns (exclusive).
    pub end_ns: i64,
    /// Last sample time, ns.
    pub last_sample_ns: i64,
}

/// A gap between two segments, or between a window edge and a segment (see `docs/gaps.md`).
#[repr(C)]
pub struct siqaco_gap {
    /// End of the previous segment (or the window start for a head gap), ns.
    pub start_ns: i64,
    /// Start of the next segment (or the window end for a tail gap), ns.
    pub end_ns: i64,
    /// Last sample before the gap, ns; `SIQACO_TIME_UNSET` for a head gap.
    pub last_sample_ns: i64,
    /// First sample after the gap, ns; `SIQACO_TIME_UNSET` for a tail gap.
    pub next_sample_ns: i64,
    /// Duration, seconds: `end - start` (ObsPy's `get_gaps` delta).
    pub duration_s: f64,
    /// msi's figure, next sample − last sample, seconds; NaN for an edge gap.
    pub last_to_next_s: f64,
    /// `round(duration_s × rate)`.
    pub missing_samples: i64,
    /// `SIQACO_EDGE_NONE`, `SIQACO_EDGE_HEAD` or `SIQACO_EDGE_TAIL`.
    pub edge: u32,
}

/// An interval covered by two or more traces.
#[repr(C)]
pub struct siqaco_overlap {
    /// Start, ns.
    pub start_ns: i64,
    /// End, ns (exclusive).
    pub end_ns: i64,
    /// Duration, seconds.
    pub duration_s: f64,
    /// `round(duration_s × rate)`.
    pub samples: i64,
    /// Largest number of traces covering any instant of the interval.
    pub depth: u32,
}

/// Statistics of one UTC day (MUSTANG names; see `docs/gaps.md`).
#[repr(C)]
pub struct siqaco_day {
    /// 00:00 UTC of the day, ns.
    pub day_start_ns: i64,
    /// Start of the part of the day inside the window, ns.
    pub window_start_ns: i64,
    /// End of the part of the day inside the window, ns (exclusive).
    pub window_end_ns: i64,
    /// Seconds covered.
    pub covered_s: f64,
    /// Covered / window length × 100.
    pub percent_availability: f64,
    /// Number of gaps, head and tail gaps included.
    pub num_gaps: u64,
    /// Sum of the gaps, seconds.
    pub sum_gaps: f64,
    /// Longest gap, seconds.
    pub max_gap: f64,
    /// Number of overlaps.
    pub num_overlaps: u64,
    /// Sum of the overlaps, seconds.
    pub sum_overlaps: f64,
    /// Longest overlap, seconds.
    pub max_overlap: f64,
    /// Gap from the day start to the first sample, seconds; NaN when there is none.
    pub start_gap: f64,
    /// Gap from the end of coverage to the day end, seconds; NaN when there is none.
    pub end_gap: f64,
}

/// Releases a report. NULL is accepted and does nothing.
///
/// # Safety
/// `report` is NULL or a handle from `siqaco_archive_scan`, `siqaco_archive_scan_with_options`,
/// `siqaco_files_scan` or `siqaco_catalogue_report` not yet freed; it must not be used
/// afterwards, nor freed twice. Ownership: takes ownership of `report`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_free(report: *mut siqaco_report) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(report) }
}

/// Writes the number of streams of the report (sorted by N.S.L.C) to `*count_out`.
///
/// # Safety
/// `report` is NULL or a live handle; `count_out` is NULL or valid for a write.
/// Ownership: borrows `report`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_stream_count(
    report: *const siqaco_report,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", count_out, "count_out", |report| {
            Ok(report.inner.streams.len())
        })
    }
}

/// Fills `*stream_out` with stream `stream` (0-based) of the report: its codes, rate and
/// the numbers of segments, gaps, overlaps and days.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` when `stream` is not below the stream count.
///
/// # Safety
/// `report` is NULL or a live handle; `stream_out` is NULL or valid for a write.
/// Ownership: borrows `report`; `*stream_out` is the caller's. Thread-safety: the report
/// may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_stream(
    report: *const siqaco_report,
    stream: usize,
    stream_out: *mut siqaco_stream,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", stream_out, "stream_out", |report| {
            let s = get(&report.inner.streams, stream, "stream")?;
            let a = &s.analysis;
            let mut out = siqaco_stream {
                nslc: [0; SIQACO_NSLC_CAPACITY],
                sample_rate_hz: a.sample_rate_hz,
                records: s.records,
                samples: a.samples,
                traces: a.traces,
                segment_count: a.segments.len(),
                gap_count: a.gaps.len(),
                overlap_count: a.overlaps.len(),
                day_count: a.days.len(),
            };
            fill_nslc(&mut out.nslc, &s.nslc.to_string());
            Ok(out)
        })
    }
}

/// Looks up item `index` of stream `stream` of a report, through `pick`.
fn stream_item<'a, T>(
    report: &'a siqaco_report,
    stream: usize,
    index: usize,
    what: &str,
    pick: impl FnOnce(&'a siqaco::gaps::StreamAnalysis) -> &'a [T],
) -> FfiResult<&'a T> {
    let s = get(&report.inner.streams, stream, "stream")?;
    get(pick(&s.analysis), index, what)
}

/// Fills `*segment_out` with segment `index` of stream `stream` (both 0-based; segments
/// are in time order).
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `report` is NULL or a live handle; `segment_out` is NULL or valid for a write.
/// Ownership: borrows `report`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_segment(
    report: *const siqaco_report,
    stream: usize,
    index: usize,
    segment_out: *mut siqaco_segment,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", segment_out, "segment_out", |report| {
            let s = stream_item(report, stream, index, "segment", |a| &a.segments)?;
            Ok(siqaco_segment {
                start_ns: s.start_ns,
                end_ns: s.end_ns,
                last_sample_ns: s.last_sample_ns,
            })
        })
    }
}

/// Fills `*gap_out` with gap `index` of stream `stream` (both 0-based; gaps are in time
/// order).
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `report` is NULL or a live handle; `gap_out` is NULL or valid for a write.
/// Ownership: borrows `report`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_gap(
    report: *const siqaco_report,
    stream: usize,
    index: usize,
    gap_out: *mut siqaco_gap,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", gap_out, "gap_out", |report| {
            let g = stream_item(report, stream, index, "gap", |a| &a.gaps)?;
            Ok(siqaco_gap {
                start_ns: g.start_ns,
                end_ns: g.end_ns,
                last_sample_ns: g.last_sample_ns.unwrap_or(SIQACO_TIME_UNSET),
                next_sample_ns: g.next_sample_ns.unwrap_or(SIQACO_TIME_UNSET),
                duration_s: g.duration_s(),
                last_to_next_s: g.last_to_next_s().unwrap_or(f64::NAN),
                missing_samples: g.missing_samples,
                edge: match g.edge {
                    None => SIQACO_EDGE_NONE,
                    Some(Edge::Head) => SIQACO_EDGE_HEAD,
                    Some(Edge::Tail) => SIQACO_EDGE_TAIL,
                },
            })
        })
    }
}

/// Fills `*overlap_out` with overlap `index` of stream `stream` (both 0-based; in time
/// order).
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `report` is NULL or a live handle; `overlap_out` is NULL or valid for a write.
/// Ownership: borrows `report`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_overlap(
    report: *const siqaco_report,
    stream: usize,
    index: usize,
    overlap_out: *mut siqaco_overlap,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", overlap_out, "overlap_out", |report| {
            let o = stream_item(report, stream, index, "overlap", |a| &a.overlaps)?;
            Ok(siqaco_overlap {
                start_ns: o.start_ns,
                end_ns: o.end_ns,
                duration_s: o.duration_s(),
                samples: o.samples,
                depth: o.depth,
            })
        })
    }
}

/// Fills `*day_out` with the statistics of day `index` of stream `stream` (both 0-based;
/// days in time order).
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `report` is NULL or a live handle; `day_out` is NULL or valid for a write.
/// Ownership: borrows `report`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_day(
    report: *const siqaco_report,
    stream: usize,
    index: usize,
    day_out: *mut siqaco_day,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", day_out, "day_out", |report| {
            let d = stream_item(report, stream, index, "day", |a| &a.days)?;
            Ok(siqaco_day {
                day_start_ns: d.day_start_ns,
                window_start_ns: d.window_start_ns,
                window_end_ns: d.window_end_ns,
                covered_s: d.covered_s,
                percent_availability: d.percent_availability,
                num_gaps: d.num_gaps,
                sum_gaps: d.sum_gaps,
                max_gap: d.max_gap,
                num_overlaps: d.num_overlaps,
                sum_overlaps: d.sum_overlaps,
                max_overlap: d.max_overlap,
                start_gap: d.start_gap.unwrap_or(f64::NAN),
                end_gap: d.end_gap.unwrap_or(f64::NAN),
            })
        })
    }
}

/// Writes the number of files that could not be read completely to `*count_out`.
///
/// # Safety
/// `report` is NULL or a live handle; `count_out` is NULL or valid for a write.
/// Ownership: borrows `report`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_error_count(
    report: *const siqaco_report,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", count_out, "count_out", |report| {
            Ok(report.inner.errors.len())
        })
    }
}

/// Copies the description of file error `index` (`"PATH: byte offset N: MESSAGE"`, or
/// `"PATH: MESSAGE"` when the file could not be read at all) into `buf`, NUL-terminated,
/// and its length without the NUL to `*len_out`.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range;
/// `SIQACO_STATUS_BUFFER_TOO_SMALL` when `len` is not larger than the length, after writing
/// the length to `*len_out` (pass `buf` NULL and `len` 0 to ask for it).
///
/// # Safety
/// `report` is NULL or a live handle; `buf` is NULL or valid for `len` bytes of writes;
/// `len_out` is NULL or valid for a write. Ownership: borrows `report`; the caller owns
/// `buf`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_report_error_text(
    report: *const siqaco_report,
    index: usize,
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe { read_text(report, "report", index, buf, len, len_out, error_text) }
}

/// The text of file error `index` of `report` (see `siqaco_report_error_text`).
fn error_text(report: &siqaco_report, index: usize) -> FfiResult<String> {
    let e = get(&report.inner.errors, index, "error")?;
    Ok(match e.offset {
        Some(o) => format!("{}: byte offset {o}: {}", e.path, e.message),
        None => format!("{}: {}", e.path, e.message),
    })
}
