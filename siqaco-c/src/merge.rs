//! Merging patch files into an archive (`siqaco_merge_into`, over
//! `siqaco::ops::MergeRequest`): options (`siqaco_merge_options`, the request's fields but
//! the archive and the inputs) and the report of what was done to each day file
//! (`siqaco_merge_report`).

use crate::args::{
    self, arg_opt_str, arg_out, arg_paths, arg_str, fill_nslc, get, given, write_handle,
    SIQACO_NSLC_CAPACITY,
};
use crate::boundary::{
    boundary, free_handle, read_handle, read_text, set_option, set_request_field,
};
use crate::status::{siqaco_status, Failure, FfiResult};
use siqaco::merge::apply::MergeReport;
use siqaco::merge::{ArchivePolicy, DaySplit, OutputEncoding, PublicationVersion};
use siqaco::ops::{Control, MergeRequest};
use siqaco::Error;
use std::ffi::c_char;

/// `siqaco_merge_options_set_policy`: the archive is ranked like an input with its own
/// priority; on a full tie it goes first (the default).
pub const SIQACO_POLICY_RANKED: u32 = 0;
/// `siqaco_merge_options_set_policy`: archive samples are never replaced; patches only
/// fill gaps (`--archive-wins`).
pub const SIQACO_POLICY_ARCHIVE_WINS: u32 = 1;
/// `siqaco_merge_options_set_policy`: patch samples always replace archive samples
/// (`--archive-loses`).
pub const SIQACO_POLICY_ARCHIVE_LOSES: u32 = 2;

/// `siqaco_merge_options_set_day_split`: day files end at 00:00 UTC, records crossing
/// midnight are cut at sample level (the default, `--split-at-midnight`).
pub const SIQACO_SPLIT_MIDNIGHT: u32 = 0;
/// `siqaco_merge_options_set_day_split`: records are stored whole in the file of the day
/// of their first sample (SeisComP, `--by-start-time`).
pub const SIQACO_SPLIT_START_TIME: u32 = 1;

/// Options of a merge: archive policy and priority, day split, tolerances, output record
/// length/encoding/format version/publication version, dry run. Opaque; created by
/// [`siqaco_merge_options_new`] with the defaults of `siqaco merge`, changed by the
/// `siqaco_merge_options_set_*` functions, released by [`siqaco_merge_options_free`].
/// Setters need exclusive use of the handle; once set, the options may be read by several
/// threads at once.
pub struct siqaco_merge_options {
    /// The request; its `into`, `layout`, `inputs` and `priority` are set by
    /// `siqaco_merge_into`.
    pub(crate) inner: MergeRequest,
}

/// What a merge did. Opaque; created by [`siqaco_merge_into`], released by
/// [`siqaco_merge_report_free`]. Immutable: it may be read from several threads at once.
pub struct siqaco_merge_report {
    inner: MergeReport,
}

/// The request of `siqaco_merge_options_new` (and of NULL options): the defaults of
/// [`MergeRequest`]; the archive and the inputs are set by `siqaco_merge_into`.
fn default_request() -> MergeRequest {
    MergeRequest::new(std::path::PathBuf::new(), Vec::<std::path::PathBuf>::new())
}

/// Sets fields of the request of `options` with `set`, then checks the request (every
/// field but the inputs, which `siqaco_merge_into` gives) with the core's `validate`; a
/// refused value leaves the options unchanged.
///
/// # Safety
/// As [`set_option`].
unsafe fn set_field(
    options: *mut siqaco_merge_options,
    set: impl FnOnce(&mut MergeRequest) -> FfiResult,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_request_field(
            options,
            |o| &mut o.inner,
            MergeRequest::validate,
            "inputs",
            set,
        )
    }
}

/// Summary of a merge report.
#[repr(C)]
pub struct siqaco_merge_summary {
    /// Number of day files considered (see `siqaco_merge_report_day`).
    pub day_count: usize,
    /// Number of warnings (see `siqaco_merge_report_warning_text`).
    pub warning_count: usize,
    /// Files written (0 in a dry run).
    pub files_written: usize,
    /// 1 when an interrupted earlier merge of this archive was completed or rolled back
    /// first, else 0.
    pub recovered: u32,
}

/// What the merge does to one day file of one stream.
#[repr(C)]
pub struct siqaco_merge_day {
    /// `NET.STA.LOC.CHA`, NUL-terminated (truncated to `SIQACO_NSLC_CAPACITY - 1` bytes).
    pub nslc: [c_char; SIQACO_NSLC_CAPACITY],
    /// 00:00 UTC of the day, ns.
    pub day_start_ns: i64,
    /// 1 when the file's content changes (is written, or would be in a dry run), else 0.
    pub changed: u32,
    /// 1 when the file is new, else 0.
    pub created: u32,
    /// Patch samples kept where the archive had no sample.
    pub samples_added: u64,
    /// Archive samples replaced by patch samples.
    pub samples_replaced: u64,
    /// Other samples dropped as duplicates (superseded patch samples, overlaps removed).
    pub overlaps_removed: u64,
    /// Records copied byte for byte.
    pub records_copied: u64,
    /// Records written by re-encoding samples.
    pub records_encoded: u64,
}

/// Creates merge options with the defaults of `siqaco merge`: archive ranked with
/// priority 1, day files split at midnight, default tolerances, records keep their own
/// length, encoding, version and quality, changes written (no dry run). Writes the handle
/// to `*options_out`.
///
/// # Safety
/// `options_out` is NULL or valid for a write. Ownership: on success the caller owns
/// `*options_out` and releases it with `siqaco_merge_options_free`. Thread-safety:
/// callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_options_new(
    options_out: *mut *mut siqaco_merge_options,
) -> siqaco_status {
    boundary(|| {
        let out = arg_out(options_out, "options_out")?;
        let handle = siqaco_merge_options {
            inner: default_request(),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_handle(out, handle) };
        Ok(())
    })
}

/// Releases merge options. NULL is accepted and does nothing.
///
/// # Safety
/// `options` is NULL or a handle from `siqaco_merge_options_new` not yet freed; it must
/// not be used afterwards, nor freed twice. Ownership: takes ownership of `options`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_options_free(options: *mut siqaco_merge_options) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(options) }
}

/// Sets how the archive's own data competes with the patches: `policy` is
/// `SIQACO_POLICY_RANKED` (with `archive_priority`, smaller is better; the CLI's
/// `--archive-priority`, default 1), `SIQACO_POLICY_ARCHIVE_WINS` or
/// `SIQACO_POLICY_ARCHIVE_LOSES` (`archive_priority` is then unused).
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` for an unknown policy (options unchanged).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_options_set_policy(
    options: *mut siqaco_merge_options,
    policy: u32,
    archive_priority: i32,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_option(options, |o| {
            o.inner.archive = match policy {
                SIQACO_POLICY_RANKED => ArchivePolicy::Ranked,
                SIQACO_POLICY_ARCHIVE_WINS => ArchivePolicy::Wins,
                SIQACO_POLICY_ARCHIVE_LOSES => ArchivePolicy::Loses,
                p => {
                    return Err(Failure::new(
                        siqaco_status::InvalidArgument,
                        format!("unknown archive policy {p} (SIQACO_POLICY_*)"),
                    ))
                }
            };
            o.inner.archive_priority = archive_priority;
            Ok(())
        })
    }
}

/// Sets which day file a record goes to: `SIQACO_SPLIT_MIDNIGHT` (the default) or
/// `SIQACO_SPLIT_START_TIME`.
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` for another value (options unchanged).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_options_set_day_split(
    options: *mut siqaco_merge_options,
    split: u32,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_option(options, |o| {
            o.inner.split = match split {
                SIQACO_SPLIT_MIDNIGHT => DaySplit::Midnight,
                SIQACO_SPLIT_START_TIME => DaySplit::StartTime,
                s => {
                    return Err(Failure::new(
                        siqaco_status::InvalidArgument,
                        format!("unknown day split {s} (SIQACO_SPLIT_*)"),
                    ))
                }
            };
            Ok(())
        })
    }
}

/// Sets the output conversions of rewritten day files; 0 keeps each record's own value:
/// `record_length` in bytes (256–8192, a power of two for miniSEED 2), `encoding` (1 int16,
/// 3 int32, 4 float32, 5 float64, 10 Steim1, 11 Steim2), `format_version` (2 or 3),
/// `pub_version` (publication version; miniSEED 2 quality 1 R, 2 D, 3 Q, 4 M).
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` for a value out of range (options unchanged).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_options_set_output(
    options: *mut siqaco_merge_options,
    record_length: usize,
    encoding: u32,
    format_version: u32,
    pub_version: u32,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |r| {
            // a value of the request field `field`, 0 = not given
            let small = |v: u32, field: &str| -> FfiResult<Option<u8>> {
                match v {
                    0 => Ok(None),
                    v => u8::try_from(v)
                        .map(Some)
                        .map_err(|_| Error::field(field, format!("{v} is out of range")).into()),
                }
            };
            r.record_length = (record_length != 0).then_some(record_length);
            r.encoding = OutputEncoding::from_code(small(encoding, "encoding")?)
                .map_err(|e| e.in_field("encoding"))?;
            r.format_version = small(format_version, "format_version")?;
            r.quality = small(pub_version, "quality")?
                .map(PublicationVersion::new)
                .transpose()
                .map_err(|e| e.in_field("quality"))?;
            Ok(())
        })
    }
}

/// Sets the time and rate tolerances of the merge, as `siqaco_scan_options_set_tolerance`
/// (NaN keeps a default).
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` for a negative value or both time forms.
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_options_set_tolerance(
    options: *mut siqaco_merge_options,
    time_tolerance_s: f64,
    time_tolerance_periods: f64,
    rate_tolerance: f64,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |r| {
            r.tolerance_s = given(time_tolerance_s);
            r.tolerance_periods = given(time_tolerance_periods);
            r.rate_tolerance = given(rate_tolerance);
            Ok(())
        })
    }
}

/// With `dry_run` not 0, `siqaco_merge_into` computes and verifies everything and reports
/// what would change, but writes nothing (`--dry-run`).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_options_set_dry_run(
    options: *mut siqaco_merge_options,
    dry_run: u32,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_option(options, |o| {
            o.inner.dry_run = dry_run != 0;
            Ok(())
        })
    }
}

/// The catalogue (a SQLite path or a `postgresql://` URL; NULL: none, the default) that
/// holds the journal and the lock of a merge into an archive in a bucket (`root` an
/// `s3://bucket/prefix` URL, `--db`, docs/object-storage.md): required then (unless
/// a dry run; without it `siqaco_merge_into` returns `SIQACO_STATUS_INVALID_ARGUMENT`
/// naming `catalogue`), unused for a directory archive.
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` for a string that is not UTF-8.
///
/// # Safety
/// `options` is NULL or a live handle; `catalogue` is NULL or a NUL-terminated string.
/// Ownership: borrows both (the string is copied). Thread-safety: no other thread may use
/// `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_options_set_catalogue(
    options: *mut siqaco_merge_options,
    catalogue: *const c_char,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_option(options, |o| {
            o.inner.catalogue = arg_opt_str(catalogue, "catalogue")?.map(str::to_string);
            Ok(())
        })
    }
}

/// Merges patch inputs into the archive at `root` with layout `layout` (NULL: `"sds"`),
/// like `siqaco merge --into ROOT`: sample by sample, by priority, verified, each changed
/// day file replaced atomically under a journal (an interrupted earlier run is finished
/// first). `root` is created when missing. The `input_count` inputs are miniSEED files or
/// directories (all files under them); `priorities` gives each input's priority (smaller
/// is better), or is NULL for priority 1 for all. `options`: NULL for the defaults of
/// `siqaco_merge_options_new`. Writes a new report to `*report_out`.
///
/// Returns `SIQACO_STATUS_IO` / `SIQACO_STATUS_INVALID_DATA` naming the input or day file
/// (and byte offset) that cannot be read, or when verification fails (nothing is written
/// then); `SIQACO_STATUS_INVALID_ARGUMENT` for a bad layout or a layout without a file
/// naming rule; `SIQACO_STATUS_CODEC` when samples cannot be re-encoded.
///
/// # Safety
/// `root` and `layout` are NULL or NUL-terminated UTF-8 strings; `inputs` is NULL or valid
/// for `input_count` reads of pointers, each NULL or a NUL-terminated UTF-8 string;
/// `priorities` is NULL or valid for `input_count` reads; `options` is NULL or a live
/// handle; `report_out` is NULL or valid for a write. Ownership: everything is borrowed
/// during the call; on success the caller owns `*report_out` and releases it with
/// `siqaco_merge_report_free`. Thread-safety: callable from several threads, but two
/// merges into one archive at once are not supported (they share the journal).
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_into(
    root: *const c_char,
    layout: *const c_char,
    inputs: *const *const c_char,
    priorities: *const i32,
    input_count: usize,
    options: *const siqaco_merge_options,
    report_out: *mut *mut siqaco_merge_report,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let root = unsafe { arg_str(root, "root") }?;
        // SAFETY: the caller's contract.
        let layout = args::layout(unsafe { arg_opt_str(layout, "layout") }?)?;
        // SAFETY: the caller's contract.
        let paths = unsafe { arg_paths(inputs, input_count, "inputs") }?;
        let out = arg_out(report_out, "report_out")?;
        let priority: Vec<i32> = if priorities.is_null() {
            Vec::new()
        } else {
            // SAFETY: the caller's contract: `input_count` readable values.
            unsafe { std::slice::from_raw_parts(priorities, input_count) }.to_vec()
        };
        // SAFETY: the caller's contract.
        let mut request = match unsafe { options.as_ref() } {
            Some(o) => o.inner.clone(),
            None => default_request(),
        };
        request.into = root.into();
        request.layout = layout;
        request.inputs = paths;
        request.priority = priority;
        let report = request.run(&Control::new())?;
        // SAFETY: checked non-NULL.
        unsafe { write_handle(out, siqaco_merge_report { inner: report }) };
        Ok(())
    })
}

/// Releases a merge report. NULL is accepted and does nothing.
///
/// # Safety
/// `report` is NULL or a handle from `siqaco_merge_into` not yet freed; it must not be
/// used afterwards, nor freed twice. Ownership: takes ownership of `report`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_report_free(report: *mut siqaco_merge_report) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(report) }
}

/// Fills `*summary_out` with the numbers of day files and warnings, the files written and
/// whether an interrupted run was recovered.
///
/// # Safety
/// `report` is NULL or a live handle; `summary_out` is NULL or valid for a write.
/// Ownership: borrows `report`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_report_summary(
    report: *const siqaco_merge_report,
    summary_out: *mut siqaco_merge_summary,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", summary_out, "summary_out", |report| {
            let r = &report.inner;
            Ok(siqaco_merge_summary {
                day_count: r.days.len(),
                warning_count: r.warnings.len(),
                files_written: r.files_written,
                recovered: u32::from(r.recovered),
            })
        })
    }
}

/// Fills `*day_out` with day file `index` (0-based; by stream, then day) of the report.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `report` is NULL or a live handle; `day_out` is NULL or valid for a write. Ownership:
/// borrows `report`; `*day_out` is the caller's. Thread-safety: the report may be read by
/// several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_report_day(
    report: *const siqaco_merge_report,
    index: usize,
    day_out: *mut siqaco_merge_day,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(report, "report", day_out, "day_out", |report| {
            let d = get(&report.inner.days, index, "day")?;
            let mut v = siqaco_merge_day {
                nslc: [0; SIQACO_NSLC_CAPACITY],
                day_start_ns: d.day_start_ns,
                changed: u32::from(d.changed),
                created: u32::from(d.created),
                samples_added: d.stats.samples_added,
                samples_replaced: d.stats.samples_replaced,
                overlaps_removed: d.stats.overlaps_removed,
                records_copied: d.stats.records_copied,
                records_encoded: d.stats.records_encoded,
            };
            fill_nslc(&mut v.nslc, &d.stream);
            Ok(v)
        })
    }
}

/// Copies the path of day file `index` (NUL-terminated) into `buf` and its length without
/// the NUL to `*len_out`.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range;
/// `SIQACO_STATUS_BUFFER_TOO_SMALL` when `len` is not larger than the length, after writing
/// the length to `*len_out` (pass `buf` NULL and `len` 0 to ask for it);
/// `SIQACO_STATUS_INVALID_DATA` for a path that is not UTF-8.
///
/// # Safety
/// `report` is NULL or a live handle; `buf` is NULL or valid for `len` bytes of writes;
/// `len_out` is NULL or valid for a write. Ownership: borrows `report`; the caller owns
/// `buf`. Thread-safety: the report may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_report_day_path(
    report: *const siqaco_merge_report,
    index: usize,
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe { read_text(report, "report", index, buf, len, len_out, day_path) }
}

/// The path of day file `index` of `report` (see `siqaco_merge_report_day_path`).
fn day_path(report: &siqaco_merge_report, index: usize) -> FfiResult<String> {
    let d = get(&report.inner.days, index, "day")?;
    let path = d.path.to_str().ok_or_else(|| {
        Failure::new(
            siqaco_status::InvalidData,
            format!("{}: the path is not UTF-8", d.path.display()),
        )
    })?;
    Ok(path.to_string())
}

/// Copies warning `index` (a problem that did not stop the merge, e.g. rates beyond the
/// tolerance) into `buf`, NUL-terminated, and its length without the NUL to `*len_out`.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range;
/// `SIQACO_STATUS_BUFFER_TOO_SMALL` as `siqaco_merge_report_day_path`.
///
/// # Safety
/// As `siqaco_merge_report_day_path`. Ownership and thread-safety: the same.
#[no_mangle]
pub unsafe extern "C" fn siqaco_merge_report_warning_text(
    report: *const siqaco_merge_report,
    index: usize,
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe { read_text(report, "report", index, buf, len, len_out, warning_text) }
}

/// Warning `index` of `report` (see `siqaco_merge_report_warning_text`).
fn warning_text(report: &siqaco_merge_report, index: usize) -> FfiResult<String> {
    Ok(get(&report.inner.warnings, index, "warning")?.clone())
}
