//! Scan options (`siqaco_scan_options`) and the scans that take them: an archive
//! ([`siqaco_archive_scan_with_options`]) and explicit files ([`siqaco_files_scan`]).
//! The options hold the core's scan request (`siqaco::ops::ScanRequest`): each setter sets
//! its fields and the request checks them.

use crate::archive::siqaco_archive;
use crate::args::{
    arg_opt_str, arg_out, arg_paths, arg_ref, bound, given, parse_selection, write_handle,
};
use crate::boundary::{boundary, free_handle, set_request_field};
use crate::report::siqaco_report;
#[cfg(doc)] // the function named in the documentation
use crate::siqaco_archive_scan;
use crate::status::siqaco_status;
use crate::status::FfiResult;
use siqaco::archive::Layout;
use siqaco::ops::{Control, ScanRequest};
use siqaco::scan::ScanReport;
use std::ffi::c_char;

/// Options of a scan (and of a report from a catalogue): selection, window, tolerances,
/// gap filters, per-day statistics and worker threads. Opaque; created by
/// [`siqaco_scan_options_new`] with the defaults of [`siqaco_archive_scan`], changed by the
/// `siqaco_scan_options_set_*` functions, released by [`siqaco_scan_options_free`].
/// Setters need exclusive use of the handle; once set, the options may be read by several
/// threads at once (the scans take a `const` pointer).
pub struct siqaco_scan_options {
    /// The request the setters fill (its `paths` are given by the scan call).
    pub(crate) inner: ScanRequest,
}

/// Sets a field of the request of `options` with `set`, then checks the request (every
/// field but the paths, which the scan call gives) with the core's `validate`; a refused
/// value leaves the options unchanged.
///
/// # Safety
/// As [`set_request_field`].
unsafe fn set_field(
    options: *mut siqaco_scan_options,
    set: impl FnOnce(&mut ScanRequest) -> FfiResult,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_request_field(
            options,
            |o| &mut o.inner,
            ScanRequest::validate,
            "paths",
            set,
        )
    }
}

/// The request of `options` (NULL: the defaults, [`ScanRequest::default`]).
///
/// # Safety
/// `options` is NULL or a live handle.
pub(crate) unsafe fn request_or_default(options: *const siqaco_scan_options) -> ScanRequest {
    // SAFETY: the caller's contract.
    match unsafe { options.as_ref() } {
        Some(o) => o.inner.clone(),
        None => ScanRequest::default(),
    }
}

/// The request of `options` (NULL: the defaults) for `paths` in `layout`, run.
///
/// # Safety
/// `options` is NULL or a live handle.
pub(crate) unsafe fn scan_with(
    options: *const siqaco_scan_options,
    paths: Vec<std::path::PathBuf>,
    layout: &Layout,
) -> siqaco::Result<ScanReport> {
    // SAFETY: the caller's contract.
    let mut request = unsafe { request_or_default(options) };
    request.paths = paths;
    request.layout = layout.clone();
    request.run(&Control::new())
}

/// Creates scan options with the defaults of `siqaco_archive_scan` (every stream, no window,
/// time tolerance half a sample period, rates equal within 1e-4, no gap filter, per-day
/// statistics on, all cores: the defaults of the core's scan request) and writes the
/// handle to `*options_out`.
///
/// # Safety
/// `options_out` is NULL or valid for a write. Ownership: on success the caller owns
/// `*options_out` and releases it with `siqaco_scan_options_free`. Thread-safety: callable
/// from any thread.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_new(
    options_out: *mut *mut siqaco_scan_options,
) -> siqaco_status {
    boundary(|| {
        let out = arg_out(options_out, "options_out")?;
        let handle = siqaco_scan_options {
            inner: ScanRequest::default(),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_handle(out, handle) };
        Ok(())
    })
}

/// Releases scan options. NULL is accepted and does nothing.
///
/// # Safety
/// `options` is NULL or a handle from `siqaco_scan_options_new` not yet freed; it must not
/// be used afterwards, nor freed twice. Ownership: takes ownership of `options`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_free(options: *mut siqaco_scan_options) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(options) }
}

/// Sets the stream selection: NULL or `""` for every stream, else `NET.STA.LOC.CHA` globs
/// (`*`, `?`; `--` = empty location) separated by commas or spaces (the CLI's `--select`).
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` / `SIQACO_STATUS_INVALID_CODE` for a bad glob
/// (the options are then unchanged).
///
/// # Safety
/// `options` is NULL or a live handle; `selection` is NULL or a NUL-terminated UTF-8
/// string. Ownership: borrows both during the call (the selection is copied).
/// Thread-safety: no other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_set_selection(
    options: *mut siqaco_scan_options,
    selection: *const c_char,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    let selection = unsafe { arg_opt_str(selection, "selection") };
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |o| {
            o.analysis.select = parse_selection(selection?)?;
            Ok(())
        })
    }
}

/// Sets the analysis window `[start_ns, end_ns)`; either bound may be `SIQACO_TIME_UNSET`
/// (both unset: the data's own extent, no edge gaps), as the CLI's `--start`/`--end`.
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` when the end is not after the start.
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_set_window(
    options: *mut siqaco_scan_options,
    start_ns: i64,
    end_ns: i64,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |o| {
            o.analysis.start_ns = bound(start_ns);
            o.analysis.end_ns = bound(end_ns);
            Ok(())
        })
    }
}

/// Sets the tolerances: a time tolerance in seconds (`--tolerance`, msi `-tt`) **or** in
/// sample periods (`--tolerance-periods`), and the relative sample-rate tolerance
/// (`--rate-tolerance`). NaN keeps the default of that value (half a period; 1e-4).
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` for a negative value or both time forms.
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_set_tolerance(
    options: *mut siqaco_scan_options,
    time_tolerance_s: f64,
    time_tolerance_periods: f64,
    rate_tolerance: f64,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |o| {
            o.analysis.tolerance_s = given(time_tolerance_s);
            o.analysis.tolerance_periods = given(time_tolerance_periods);
            o.analysis.rate_tolerance = given(rate_tolerance);
            Ok(())
        })
    }
}

/// Reports only gaps at least `min_gap_s` and at most `max_gap_s` seconds long (the CLI's
/// `--min-gap`/`--max-gap`, msi's `-gmin`/`-gmax`); NaN means no bound. The per-day
/// statistics are not filtered.
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_set_gap_filter(
    options: *mut siqaco_scan_options,
    min_gap_s: f64,
    max_gap_s: f64,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |o| {
            o.analysis.min_gap_s = given(min_gap_s);
            o.analysis.max_gap_s = given(max_gap_s);
            Ok(())
        })
    }
}

/// When more than `max_gaps` gaps start in one UTC day, reports them as one gap (the CLI's
/// `--max-gaps-per-day`, Morumotto's rule); a negative value turns this off (the default).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_set_max_gaps_per_day(
    options: *mut siqaco_scan_options,
    max_gaps: i64,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |o| {
            o.analysis.max_gaps_per_day = usize::try_from(max_gaps).ok();
            Ok(())
        })
    }
}

/// Turns the per-day statistics on (`enabled` not 0, the default) or off (0: the report's
/// streams have no days, which is faster).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_set_per_day(
    options: *mut siqaco_scan_options,
    enabled: u32,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |o| {
            o.analysis.per_day = enabled != 0;
            Ok(())
        })
    }
}

/// Sets the number of worker threads of a scan (the CLI's `--threads`); 0 means all cores
/// (the default; `RAYON_NUM_THREADS` sets that pool's size).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_scan_options_set_threads(
    options: *mut siqaco_scan_options,
    threads: usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |o| {
            o.threads = (threads != 0).then_some(threads);
            Ok(())
        })
    }
}

/// As `siqaco_archive_scan`, with the selection, window, tolerances, filters, per-day
/// statistics and threads of `options` (NULL: the defaults of `siqaco_scan_options_new`).
/// Writes a new report to `*report_out`; read it with the `siqaco_report_*` functions.
///
/// Returns `SIQACO_STATUS_IO` when the archive cannot be listed.
///
/// # Safety
/// `archive` is NULL or a live handle; `options` is NULL or a live handle; `report_out` is
/// NULL or valid for a write. Ownership: borrows `archive` and `options` during the call;
/// on success the caller owns `*report_out` and releases it with `siqaco_report_free`.
/// Thread-safety: the archive and the options may be used by several scans at once.
#[no_mangle]
pub unsafe extern "C" fn siqaco_archive_scan_with_options(
    archive: *const siqaco_archive,
    options: *const siqaco_scan_options,
    report_out: *mut *mut siqaco_report,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let archive = unsafe { arg_ref(archive, "archive") }?;
        let report_out = arg_out(report_out, "report_out")?;
        let (root, layout) = (archive.inner.root(), archive.inner.layout());
        // SAFETY: the caller's contract.
        let report = unsafe { scan_with(options, vec![root.to_path_buf()], layout) }?;
        // SAFETY: checked non-NULL.
        unsafe { write_handle(report_out, siqaco_report { inner: report }) };
        Ok(())
    })
}

/// Scans explicit miniSEED files (no archive layout), like `siqaco scan FILE...`: the
/// `count` paths of `paths` are read directly, whatever their names; one path that is a
/// directory is read as layout `"files"` (every file under it). `options` as in
/// `siqaco_archive_scan_with_options` (NULL: the defaults). Files that cannot be read
/// completely are listed in the report (`siqaco_report_error_count`), their paths as
/// given. Writes a new report to `*report_out`.
///
/// Returns `SIQACO_STATUS_IO` (naming it) when a path does not exist,
/// `SIQACO_STATUS_NULL_ARGUMENT` when `paths` or one of its strings is NULL (`paths` may be
/// NULL when `count` is 0: an empty report).
///
/// # Safety
/// `paths` is NULL or valid for `count` reads of pointers, each NULL or a NUL-terminated
/// UTF-8 string; `options` is NULL or a live handle; `report_out` is NULL or valid for a
/// write. Ownership: borrows `paths` and `options` during the call; on success the caller
/// owns `*report_out` and releases it with `siqaco_report_free`. Thread-safety: callable
/// from several threads at once; the scan uses a pool of worker threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_files_scan(
    paths: *const *const c_char,
    count: usize,
    options: *const siqaco_scan_options,
    report_out: *mut *mut siqaco_report,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let paths = unsafe { arg_paths(paths, count, "paths") }?;
        let report_out = arg_out(report_out, "report_out")?;
        // No path: an empty report (this function's documented contract).
        let report = if paths.is_empty() {
            ScanReport::default()
        } else {
            // SAFETY: the caller's contract.
            unsafe { scan_with(options, paths, &Layout::Files) }?
        };
        // SAFETY: checked non-NULL.
        unsafe { write_handle(report_out, siqaco_report { inner: report }) };
        Ok(())
    })
}
