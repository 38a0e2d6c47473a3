//! Archives (`siqaco_archive`): open a directory with a layout, scan it into a report,
//! read (decode) its samples, index it into a catalogue.

use crate::args::{
    arg_opt_str, arg_out, arg_ref, arg_str, bound, layout as args_layout, parse_selection,
    write_handle,
};
use crate::boundary::{boundary, free_handle, set_request_field};
use crate::report::siqaco_report;
use crate::samples::siqaco_samples;
use crate::status::{siqaco_status, FfiResult};
use siqaco::archive::Archive;
use siqaco::ops::{Control, IndexRequest, ReadRequest, ScanRequest};
use siqaco::Error;
use std::ffi::c_char;

/// An archive: a root directory and a layout. Opaque; created by [`siqaco_archive_open`],
/// released by [`siqaco_archive_free`]. Immutable: it may be used from several threads at
/// once.
pub struct siqaco_archive {
    pub(crate) inner: Archive,
}

/// What [`siqaco_archive_index`] did.
#[repr(C)]
pub struct siqaco_index_report {
    /// Files listed under the root.
    pub files_listed: u64,
    /// Files read (new or changed).
    pub files_indexed: u64,
    /// Files unchanged (same size and mtime), not read.
    pub files_unchanged: u64,
    /// Files removed from the catalogue (no longer on disk).
    pub files_removed: u64,
    /// tsindex rows written.
    pub rows_written: u64,
    /// Files with unreadable bytes (recorded in the catalogue).
    pub files_with_errors: u64,
}

/// Opens the archive at directory `root` with layout `layout` (`"sds"`, `"bud"`, `"files"`,
/// a dataselect preset such as `"chan"`, or a template such as `"%n/%s/%n.%s.%l.%c.%Y.%j"`;
/// NULL means `"sds"`) and writes a new handle to `*archive_out`.
///
/// Returns `SIQACO_STATUS_IO` when `root` is not a readable directory,
/// `SIQACO_STATUS_INVALID_ARGUMENT` for an unknown layout.
///
/// # Safety
/// `root` and `layout` are NULL or NUL-terminated UTF-8 strings; `archive_out` is NULL or
/// valid for a write. Ownership: the strings are only read during the call; on success the
/// caller owns `*archive_out` and releases it with `siqaco_archive_free`. Thread-safety:
/// the handle may be used by several threads at once.
#[no_mangle]
pub unsafe extern "C" fn siqaco_archive_open(
    root: *const c_char,
    layout: *const c_char,
    archive_out: *mut *mut siqaco_archive,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let root = unsafe { arg_str(root, "root") }?;
        // SAFETY: the caller's contract.
        let layout = unsafe { arg_opt_str(layout, "layout") }?.unwrap_or("sds");
        let archive_out = arg_out(archive_out, "archive_out")?;
        let layout = args_layout(Some(layout))?;
        let meta = std::fs::metadata(root).map_err(|e| Error::io(root, e))?;
        if !meta.is_dir() {
            return Err(Error::io(
                root,
                std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            )
            .into());
        }
        let handle = siqaco_archive {
            inner: Archive::new(root, layout),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_handle(archive_out, handle) };
        Ok(())
    })
}

/// Releases an archive handle. NULL is accepted and does nothing.
///
/// # Safety
/// `archive` is NULL or a handle from `siqaco_archive_open` not yet freed; it must not be
/// used afterwards, nor freed twice. Ownership: takes ownership of `archive`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_archive_free(archive: *mut siqaco_archive) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(archive) }
}

/// Scans the archive: reads the record headers of the files of the streams matching
/// `selection` inside the window `[start_ns, end_ns)` and analyses every stream (segments,
/// gaps, overlaps, per-day statistics), with the default tolerances (half a sample period;
/// rates equal within 1e-4). Writes a new report to `*report_out`.
///
/// `selection` is NULL or `""` for every stream, else `NET.STA.LOC.CHA` globs (`*`, `?`;
/// `--` = empty location) separated by commas or spaces. `start_ns` and `end_ns` may be
/// `SIQACO_TIME_UNSET` (both unset: the data's own extent, no edge gaps). Files that cannot
/// be read are not a failure: they are listed in the report (`siqaco_report_error_count`).
///
/// Returns `SIQACO_STATUS_IO` when the archive cannot be listed,
/// `SIQACO_STATUS_INVALID_ARGUMENT` / `SIQACO_STATUS_INVALID_CODE` for a bad selection or
/// window.
///
/// # Safety
/// `archive` is NULL or a live handle; `selection` is NULL or a NUL-terminated UTF-8
/// string; `report_out` is NULL or valid for a write. Ownership: borrows `archive` and
/// `selection` during the call; on success the caller owns `*report_out` and releases it
/// with `siqaco_report_free`. Thread-safety: the archive may be scanned by several threads
/// at once; the scan itself uses a pool of worker threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_archive_scan(
    archive: *const siqaco_archive,
    selection: *const c_char,
    start_ns: i64,
    end_ns: i64,
    report_out: *mut *mut siqaco_report,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let archive = unsafe { arg_ref(archive, "archive") }?;
        // SAFETY: the caller's contract.
        let selection = parse_selection(unsafe { arg_opt_str(selection, "selection") }?)?;
        let report_out = arg_out(report_out, "report_out")?;
        let mut request = ScanRequest::new([archive.inner.root()]);
        request.layout = archive.inner.layout().clone();
        request.analysis.select = selection;
        (request.analysis.start_ns, request.analysis.end_ns) = (bound(start_ns), bound(end_ns));
        let report = request.run(&Control::new())?;
        // SAFETY: checked non-NULL.
        unsafe { write_handle(report_out, siqaco_report { inner: report }) };
        Ok(())
    })
}

/// Reads (decodes) the samples of the streams matching `selection` inside the window
/// `[start_ns, end_ns)` (same conventions as `siqaco_archive_scan`), joined into contiguous
/// segments with the default tolerances, and writes a new handle to `*samples_out`. An
/// empty result is a success with 0 segments.
///
/// Returns `SIQACO_STATUS_IO` when the archive or a file cannot be read,
/// `SIQACO_STATUS_INVALID_DATA` (naming the file and byte offset) for bytes that are not
/// miniSEED, `SIQACO_STATUS_CODEC` when libmseed cannot decode a record: unlike the scan,
/// reading stops at the first bad file.
///
/// # Safety
/// As `siqaco_archive_scan`. Ownership: on success the caller owns `*samples_out` and
/// releases it with `siqaco_samples_free`. Thread-safety: as `siqaco_archive_scan`.
#[no_mangle]
pub unsafe extern "C" fn siqaco_archive_read(
    archive: *const siqaco_archive,
    selection: *const c_char,
    start_ns: i64,
    end_ns: i64,
    samples_out: *mut *mut siqaco_samples,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let archive = unsafe { arg_ref(archive, "archive") }?;
        // SAFETY: the caller's contract.
        let selection = parse_selection(unsafe { arg_opt_str(selection, "selection") }?)?;
        let samples_out = arg_out(samples_out, "samples_out")?;
        let mut request = ReadRequest::new([archive.inner.root()]);
        request.layout = archive.inner.layout().clone();
        request.select = selection;
        (request.start_ns, request.end_ns) = (bound(start_ns), bound(end_ns));
        let segments = request.run(&Control::new())?;
        // SAFETY: checked non-NULL.
        unsafe { write_handle(samples_out, siqaco_samples { inner: segments }) };
        Ok(())
    })
}

/// Indexes the archive into the tsindex catalogue (SQLite) at `db_path`, creating it when
/// needed, incrementally (unchanged files are not read again), with the default options
/// (absolute file names, no hashes, hourly time index). Writes what was done to
/// `*report_out`.
///
/// Returns `SIQACO_STATUS_IO` when the archive cannot be listed, `SIQACO_STATUS_DATABASE`
/// when the catalogue cannot be opened or written.
///
/// # Safety
/// `archive` is NULL or a live handle; `db_path` is NULL or a NUL-terminated UTF-8 string;
/// `report_out` is NULL or valid for a write. Ownership: everything is borrowed during the
/// call; `*report_out` is a plain structure owned by the caller. Thread-safety: the archive
/// may be used by other threads; concurrent indexing into one catalogue waits on SQLite's
/// lock (10 s busy timeout).
#[no_mangle]
pub unsafe extern "C" fn siqaco_archive_index(
    archive: *const siqaco_archive,
    db_path: *const c_char,
    report_out: *mut siqaco_index_report,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let archive = unsafe { arg_ref(archive, "archive") }?;
        // SAFETY: the caller's contract.
        let db_path = unsafe { arg_str(db_path, "db_path") }?;
        let report_out = arg_out(report_out, "report_out")?;
        let mut request = IndexRequest::new(archive.inner.root(), db_path);
        request.layout = archive.inner.layout().clone();
        let r = request.run(&Control::new())?;
        // SAFETY: checked non-NULL.
        unsafe { report_out.write(index_report(&r)) };
        Ok(())
    })
}

/// Options of an index run: the core's index request (`siqaco::ops::IndexRequest`) but
/// its archive and catalogue, which `siqaco_archive_index_with_options` gives. Opaque;
/// created by [`siqaco_index_options_new`] with the defaults of [`siqaco_archive_index`],
/// changed by the `siqaco_index_options_set_*` functions, released by
/// [`siqaco_index_options_free`]. Setters need exclusive use of the handle; once set, the
/// options may be read by several threads at once.
pub struct siqaco_index_options {
    /// The request; its `root`, `layout` and `catalogue` are set by the index call.
    pub(crate) inner: IndexRequest,
}

/// Creates index options with the defaults of `siqaco_archive_index` (those of the core's
/// index request: absolute file names, no hashes, hourly time index, a lease of 60 s) and
/// writes the handle to `*options_out`.
///
/// # Safety
/// `options_out` is NULL or valid for a write. Ownership: on success the caller owns
/// `*options_out` and releases it with `siqaco_index_options_free`. Thread-safety:
/// callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn siqaco_index_options_new(
    options_out: *mut *mut siqaco_index_options,
) -> siqaco_status {
    boundary(|| {
        let out = arg_out(options_out, "options_out")?;
        let handle = siqaco_index_options {
            inner: IndexRequest::new("", ""),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_handle(out, handle) };
        Ok(())
    })
}

/// Releases index options. NULL is accepted and does nothing.
///
/// # Safety
/// `options` is NULL or a handle from `siqaco_index_options_new` not yet freed; it must
/// not be used afterwards, nor freed twice. Ownership: takes ownership of `options`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_index_options_free(options: *mut siqaco_index_options) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(options) }
}

/// Sets the lease of the run's claims in seconds (the CLI's `siqaco index --lease-s`;
/// default 60): with a PostgreSQL catalogue shared by several index runs, a run that died
/// has the directory it held taken over this long after its last heartbeat
/// (`docs/scale.md`, "Index split between workers"). Unused with SQLite.
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` below 0.3 s or not finite (the options are then
/// unchanged).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_index_options_set_lease_s(
    options: *mut siqaco_index_options,
    lease_s: f64,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_request_field(
            options,
            |o| &mut o.inner,
            // The catalogue is given by the index call: checked with a stand-in, so
            // that `validate` reaches the other fields.
            |r: &IndexRequest| {
                let mut checked = r.clone();
                checked.catalogue = "catalogue".into();
                checked.validate()
            },
            "",
            |r: &mut IndexRequest| -> FfiResult {
                r.lease_s = lease_s;
                Ok(())
            },
        )
    }
}

/// As [`siqaco_archive_index`] with `options` (NULL: the defaults): indexes the archive
/// into the catalogue `db_path`, a SQLite file or a `postgresql://USER@HOST:PORT/DBNAME`
/// URL (several runs on one PostgreSQL catalogue split the archive's directories between
/// them).
///
/// Returns `SIQACO_STATUS_IO` when the archive cannot be listed, `SIQACO_STATUS_DATABASE`
/// when the catalogue cannot be opened or written.
///
/// # Safety
/// `archive` and `options` are NULL or live handles; `db_path` is NULL or a NUL-terminated
/// UTF-8 string; `report_out` is NULL or valid for a write. Ownership: everything is
/// borrowed during the call. Thread-safety: the archive and the options may be used by
/// other threads (not the options' setters).
#[no_mangle]
pub unsafe extern "C" fn siqaco_archive_index_with_options(
    archive: *const siqaco_archive,
    db_path: *const c_char,
    options: *const siqaco_index_options,
    report_out: *mut siqaco_index_report,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let archive = unsafe { arg_ref(archive, "archive") }?;
        // SAFETY: the caller's contract.
        let db_path = unsafe { arg_str(db_path, "db_path") }?;
        let report_out = arg_out(report_out, "report_out")?;
        // SAFETY: the caller's contract.
        let mut request = match unsafe { options.as_ref() } {
            Some(o) => o.inner.clone(),
            None => IndexRequest::new("", ""),
        };
        request.root = archive.inner.root().to_path_buf();
        request.catalogue = db_path.into();
        request.layout = archive.inner.layout().clone();
        let r = request.run(&Control::new())?;
        // SAFETY: checked non-NULL.
        unsafe { report_out.write(index_report(&r)) };
        Ok(())
    })
}

pub(crate) fn index_report(r: &siqaco::index::IndexReport) -> siqaco_index_report {
    siqaco_index_report {
        files_listed: r.files_listed,
        files_indexed: r.files_indexed,
        files_unchanged: r.files_unchanged,
        files_removed: r.files_removed,
        rows_written: r.rows_written,
        files_with_errors: r.files_with_errors,
    }
}
