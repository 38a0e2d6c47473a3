//! Catalogues (`siqaco_catalogue`): open a tsindex catalogue (SQLite or PostgreSQL),
//! index archives into it, and query it without reading waveforms: streams, extents,
//! stored per-day statistics and a scan report (`Catalogue::report`) read with the
//! `siqaco_report_*` accessors.

use crate::archive::{index_report, siqaco_archive, siqaco_index_report};
use crate::args::{
    arg_opt_str, arg_out, arg_ref, arg_str, fill_nslc, get, parse_selection, write_handle,
    SIQACO_NSLC_CAPACITY, SIQACO_TIME_UNSET,
};
use crate::boundary::{boundary, free_handle, read_handle};
use crate::options::{request_or_default, siqaco_scan_options};
use crate::report::siqaco_report;
use crate::status::{siqaco_status, FfiResult};
use siqaco::index::Catalogue;
use siqaco::index::StoredDay;
use siqaco::ops::{Control, IndexRequest, StatsRequest};
use siqaco::sid::Nslc;
use siqaco::NslcGlob;
use std::ffi::c_char;
use std::sync::{Mutex, MutexGuard};

/// A tsindex catalogue: a SQLite file or a PostgreSQL database. Opaque; created by
/// [`siqaco_catalogue_open`], released by [`siqaco_catalogue_free`]. It holds one database
/// connection: calls from several threads on one handle are allowed and run one after
/// the other.
pub struct siqaco_catalogue {
    inner: Mutex<Catalogue>,
}

impl siqaco_catalogue {
    fn lock(&self) -> MutexGuard<'_, Catalogue> {
        // A panic inside a call (caught by the boundary) leaves the connection usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A list of streams of a catalogue, with their extents. Opaque; created by
/// [`siqaco_catalogue_streams`] or [`siqaco_catalogue_extents`], released by
/// [`siqaco_stream_list_free`]. Immutable: it may be read from several threads at once.
pub struct siqaco_stream_list {
    inner: Vec<(Nslc, i64, i64)>,
}

/// The stored per-day statistics of a catalogue. Opaque; created by
/// [`siqaco_catalogue_day_stats`], released by [`siqaco_day_stats_free`]. Immutable: it
/// may be read from several threads at once.
pub struct siqaco_day_stats {
    inner: Vec<(StoredDay, i64)>,
}

/// One stream of a catalogue and its extent.
#[repr(C)]
pub struct siqaco_stream_extent {
    /// `NET.STA.LOC.CHA`, NUL-terminated (truncated to `SIQACO_NSLC_CAPACITY - 1` bytes).
    pub nslc: [c_char; SIQACO_NSLC_CAPACITY],
    /// First sample, ns; `SIQACO_TIME_UNSET` in a list from `siqaco_catalogue_streams`.
    pub earliest_ns: i64,
    /// End of coverage (last sample + one period), ns; `SIQACO_TIME_UNSET` in a list from
    /// `siqaco_catalogue_streams`.
    pub latest_ns: i64,
}

/// The statistics of one stream and UTC day stored at index time (MUSTANG names; the
/// `siqaco_day_stats` table; see `docs/gaps.md` and `docs/index.md`).
#[repr(C)]
pub struct siqaco_stored_day {
    /// `NET.STA.LOC.CHA`, NUL-terminated (truncated to `SIQACO_NSLC_CAPACITY - 1` bytes).
    pub nslc: [c_char; SIQACO_NSLC_CAPACITY],
    /// 00:00 UTC of the day, ns.
    pub day_start_ns: i64,
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
    /// Percent of the day covered.
    pub percent_availability: f64,
}

/// The body of the catalogue queries that take a selection and create a handle
/// (`siqaco_catalogue_streams`, `_extents`, `_day_stats`) inside the panic boundary: checks
/// the catalogue and `out` for NULL, parses the selection (NULL or blank: every stream),
/// runs `query` on the locked catalogue and writes the new handle to `*out`.
///
/// # Safety
/// `catalogue` is NULL or a live handle; `selection` is NULL or a NUL-terminated string;
/// `out` is NULL or valid for a write.
unsafe fn query_into<H>(
    catalogue: *const siqaco_catalogue,
    selection: *const c_char,
    out: *mut *mut H,
    out_name: &str,
    query: impl FnOnce(&Catalogue, &[NslcGlob]) -> FfiResult<H>,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let catalogue = unsafe { arg_ref(catalogue, "catalogue") }?;
        // SAFETY: the caller's contract.
        let selection = parse_selection(unsafe { arg_opt_str(selection, "selection") }?)?;
        let out = arg_out(out, out_name)?;
        let handle = query(&catalogue.lock(), &selection)?;
        // SAFETY: checked non-NULL.
        unsafe { write_handle(out, handle) };
        Ok(())
    })
}

/// Opens the catalogue `target`: a SQLite file (created when missing, migrated when its
/// schema is older) or a `postgresql://USER@HOST:PORT/DBNAME` URL, as the CLI's `--db`.
/// Writes a new handle to `*catalogue_out`.
///
/// Returns `SIQACO_STATUS_DATABASE` when the file is not a catalogue or cannot be
/// created, the server cannot be reached, or the schema is newer than this library's (or
/// an older PostgreSQL schema: run `siqaco db migrate`).
///
/// # Safety
/// `target` is NULL or a NUL-terminated UTF-8 string; `catalogue_out` is NULL or valid for
/// a write. Ownership: `target` is only read during the call; on success the caller owns
/// `*catalogue_out` and releases it with `siqaco_catalogue_free`. Thread-safety: callable
/// from any thread; the handle may be used from several threads (calls are serialised).
#[no_mangle]
pub unsafe extern "C" fn siqaco_catalogue_open(
    target: *const c_char,
    catalogue_out: *mut *mut siqaco_catalogue,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe { open_with(target, catalogue_out, |t| Catalogue::open(t)) }
}

/// Opens the existing catalogue `target` (a SQLite file or a `postgresql://` URL), as the
/// CLI's `stats`, `report` and `db` commands do: a missing catalogue is refused and
/// nothing is created (`siqaco::index::Catalogue::open_existing`); an older SQLite schema
/// is migrated, as by `siqaco_catalogue_open`. Writes a new handle to `*catalogue_out`.
///
/// Returns `SIQACO_STATUS_IO` when the catalogue does not exist (the message is
/// `TARGET: no such catalogue`), `SIQACO_STATUS_DATABASE` as `siqaco_catalogue_open` (and
/// when `target` is a directory or a device).
///
/// # Safety
/// As `siqaco_catalogue_open`. Ownership and thread-safety: the same.
#[no_mangle]
pub unsafe extern "C" fn siqaco_catalogue_open_existing(
    target: *const c_char,
    catalogue_out: *mut *mut siqaco_catalogue,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe { open_with(target, catalogue_out, |t| Catalogue::open_existing(t)) }
}

/// The body of `siqaco_catalogue_open` and `_open_existing` inside the panic boundary:
/// checks the arguments, opens `target` with `open` and writes the new handle.
///
/// # Safety
/// `target` is NULL or a NUL-terminated string; `catalogue_out` is NULL or valid for a
/// write.
unsafe fn open_with(
    target: *const c_char,
    catalogue_out: *mut *mut siqaco_catalogue,
    open: impl FnOnce(&str) -> siqaco::Result<Catalogue>,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let target = unsafe { arg_str(target, "target") }?;
        let out = arg_out(catalogue_out, "catalogue_out")?;
        let handle = siqaco_catalogue {
            inner: Mutex::new(open(target)?),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_handle(out, handle) };
        Ok(())
    })
}

/// Closes a catalogue. NULL is accepted and does nothing.
///
/// # Safety
/// `catalogue` is NULL or a handle from `siqaco_catalogue_open` not yet freed; it must not
/// be used afterwards, nor freed twice. Ownership: takes ownership of `catalogue`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_catalogue_free(catalogue: *mut siqaco_catalogue) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(catalogue) }
}

/// Indexes `archive` into the catalogue, incrementally (unchanged files are not read
/// again; files gone from disk are removed), with the default options of
/// `siqaco_archive_index`. Writes what was done to `*report_out`.
///
/// Returns `SIQACO_STATUS_IO` when the archive cannot be listed, `SIQACO_STATUS_DATABASE`
/// when the catalogue cannot be written.
///
/// # Safety
/// `catalogue` and `archive` are NULL or live handles; `report_out` is NULL or valid for a
/// write. Ownership: borrows the handles during the call; `*report_out` is a plain
/// structure owned by the caller. Thread-safety: the catalogue handle serialises calls;
/// the archive may be used by other threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_catalogue_index(
    catalogue: *const siqaco_catalogue,
    archive: *const siqaco_archive,
    report_out: *mut siqaco_index_report,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let catalogue = unsafe { arg_ref(catalogue, "catalogue") }?;
        // SAFETY: the caller's contract.
        let archive = unsafe { arg_ref(archive, "archive") }?;
        let report_out = arg_out(report_out, "report_out")?;
        let mut request = IndexRequest::new(archive.inner.root(), "");
        request.layout = archive.inner.layout().clone();
        let r = request.run_on(&mut catalogue.lock(), &Control::new())?;
        // SAFETY: checked non-NULL.
        unsafe { report_out.write(index_report(&r)) };
        Ok(())
    })
}

/// Writes the list of the streams of the catalogue matching `selection` (NULL or `""`:
/// all; globs as in `siqaco_archive_scan`), sorted by N.S.L.C, to `*list_out`; their
/// `earliest_ns`/`latest_ns` are `SIQACO_TIME_UNSET` (see `siqaco_catalogue_extents`).
///
/// Returns `SIQACO_STATUS_DATABASE` when the query fails.
///
/// # Safety
/// `catalogue` is NULL or a live handle; `selection` is NULL or a NUL-terminated UTF-8
/// string; `list_out` is NULL or valid for a write. Ownership: borrows `catalogue` and
/// `selection`; on success the caller owns `*list_out` and releases it with
/// `siqaco_stream_list_free`. Thread-safety: the catalogue handle serialises calls.
#[no_mangle]
pub unsafe extern "C" fn siqaco_catalogue_streams(
    catalogue: *const siqaco_catalogue,
    selection: *const c_char,
    list_out: *mut *mut siqaco_stream_list,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        query_into(
            catalogue,
            selection,
            list_out,
            "list_out",
            |c, selection| {
                let inner = c
                    .streams(selection)?
                    .into_iter()
                    .map(|n| (n, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET))
                    .collect();
                Ok(siqaco_stream_list { inner })
            },
        )
    }
}

/// Writes the extents (first sample, end of coverage) of the streams of the catalogue
/// matching `selection`, sorted by N.S.L.C, to `*list_out`; streams without any sample
/// span are left out.
///
/// Returns `SIQACO_STATUS_DATABASE` when the query fails.
///
/// # Safety
/// As `siqaco_catalogue_streams`. Ownership and thread-safety: the same.
#[no_mangle]
pub unsafe extern "C" fn siqaco_catalogue_extents(
    catalogue: *const siqaco_catalogue,
    selection: *const c_char,
    list_out: *mut *mut siqaco_stream_list,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        query_into(
            catalogue,
            selection,
            list_out,
            "list_out",
            |c, selection| {
                let inner = c
                    .extents(selection)?
                    .into_iter()
                    .map(|e| (e.nslc, e.earliest_ns, e.latest_ns))
                    .collect();
                Ok(siqaco_stream_list { inner })
            },
        )
    }
}

/// Releases a stream list. NULL is accepted and does nothing.
///
/// # Safety
/// `list` is NULL or a handle from `siqaco_catalogue_streams`/`_extents` not yet freed; it
/// must not be used afterwards, nor freed twice. Ownership: takes ownership of `list`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_stream_list_free(list: *mut siqaco_stream_list) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(list) }
}

/// Writes the number of streams of the list to `*count_out`.
///
/// # Safety
/// `list` is NULL or a live handle; `count_out` is NULL or valid for a write. Ownership:
/// borrows `list`. Thread-safety: the list may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_stream_list_count(
    list: *const siqaco_stream_list,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(list, "list", count_out, "count_out", |list| {
            Ok(list.inner.len())
        })
    }
}

/// Fills `*extent_out` with stream `index` (0-based) of the list.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `list` is NULL or a live handle; `extent_out` is NULL or valid for a write. Ownership:
/// borrows `list`; `*extent_out` is the caller's. Thread-safety: the list may be read by
/// several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_stream_list_get(
    list: *const siqaco_stream_list,
    index: usize,
    extent_out: *mut siqaco_stream_extent,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(list, "list", extent_out, "extent_out", |list| {
            let (nslc, earliest_ns, latest_ns) = get(&list.inner, index, "stream")?;
            let mut v = siqaco_stream_extent {
                nslc: [0; SIQACO_NSLC_CAPACITY],
                earliest_ns: *earliest_ns,
                latest_ns: *latest_ns,
            };
            fill_nslc(&mut v.nslc, &nslc.to_string());
            Ok(v)
        })
    }
}

/// Writes the per-day statistics stored in the catalogue at index time for the streams
/// matching `selection` (NULL or `""`: all), sorted by stream and day, to `*stats_out`.
/// No waveform is read.
///
/// Returns `SIQACO_STATUS_DATABASE` when the query fails.
///
/// # Safety
/// `catalogue` is NULL or a live handle; `selection` is NULL or a NUL-terminated UTF-8
/// string; `stats_out` is NULL or valid for a write. Ownership: borrows `catalogue` and
/// `selection`; on success the caller owns `*stats_out` and releases it with
/// `siqaco_day_stats_free`. Thread-safety: the catalogue handle serialises calls.
#[no_mangle]
pub unsafe extern "C" fn siqaco_catalogue_day_stats(
    catalogue: *const siqaco_catalogue,
    selection: *const c_char,
    stats_out: *mut *mut siqaco_day_stats,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        query_into(
            catalogue,
            selection,
            stats_out,
            "stats_out",
            |c, selection| {
                let inner = c
                    .stored_day_stats(selection)?
                    .into_iter()
                    .map(|d| {
                        let t = siqaco::time::parse_time(&d.day)?;
                        Ok((d, t))
                    })
                    .collect::<siqaco::Result<Vec<_>>>()?;
                Ok(siqaco_day_stats { inner })
            },
        )
    }
}

/// Releases stored per-day statistics. NULL is accepted and does nothing.
///
/// # Safety
/// `stats` is NULL or a handle from `siqaco_catalogue_day_stats` not yet freed; it must
/// not be used afterwards, nor freed twice. Ownership: takes ownership of `stats`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_day_stats_free(stats: *mut siqaco_day_stats) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(stats) }
}

/// Writes the number of stream-days of `stats` to `*count_out`.
///
/// # Safety
/// `stats` is NULL or a live handle; `count_out` is NULL or valid for a write. Ownership:
/// borrows `stats`. Thread-safety: the handle may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_day_stats_count(
    stats: *const siqaco_day_stats,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(stats, "stats", count_out, "count_out", |stats| {
            Ok(stats.inner.len())
        })
    }
}

/// Fills `*day_out` with stream-day `index` (0-based) of `stats`.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `stats` is NULL or a live handle; `day_out` is NULL or valid for a write. Ownership:
/// borrows `stats`; `*day_out` is the caller's. Thread-safety: the handle may be read by
/// several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_day_stats_get(
    stats: *const siqaco_day_stats,
    index: usize,
    day_out: *mut siqaco_stored_day,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(stats, "stats", day_out, "day_out", |stats| {
            let (d, day_start_ns) = get(&stats.inner, index, "day")?;
            let mut v = siqaco_stored_day {
                nslc: [0; SIQACO_NSLC_CAPACITY],
                day_start_ns: *day_start_ns,
                num_gaps: d.num_gaps,
                sum_gaps: d.sum_gaps,
                max_gap: d.max_gap,
                num_overlaps: d.num_overlaps,
                sum_overlaps: d.sum_overlaps,
                max_overlap: d.max_overlap,
                percent_availability: d.percent_availability,
            };
            fill_nslc(&mut v.nslc, &d.nslc.to_string());
            Ok(v)
        })
    }
}

/// Gaps, overlaps, availability and per-day statistics of the catalogue's streams, from
/// the catalogue only (no waveform read), as the report of a scan (`siqaco stats`):
/// selection, window, tolerances and gap filters come from `options` (NULL: the
/// defaults; threads are not used). Writes a new report to `*report_out`; read it with the
/// `siqaco_report_*` functions. Its error list holds the file errors recorded at index
/// time.
///
/// Returns `SIQACO_STATUS_DATABASE` when the query fails.
///
/// # Safety
/// `catalogue` is NULL or a live handle; `options` is NULL or a live handle; `report_out`
/// is NULL or valid for a write. Ownership: borrows `catalogue` and `options`; on success
/// the caller owns `*report_out` and releases it with `siqaco_report_free`.
/// Thread-safety: the catalogue handle serialises calls.
#[no_mangle]
pub unsafe extern "C" fn siqaco_catalogue_report(
    catalogue: *const siqaco_catalogue,
    options: *const siqaco_scan_options,
    report_out: *mut *mut siqaco_report,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let catalogue = unsafe { arg_ref(catalogue, "catalogue") }?;
        let out = arg_out(report_out, "report_out")?;
        let mut request = StatsRequest::new("");
        // SAFETY: the caller's contract.
        request.analysis = unsafe { request_or_default(options) }.analysis;
        let report = request.run_on(&catalogue.lock(), &Control::new())?;
        // SAFETY: checked non-NULL.
        unsafe { write_handle(out, siqaco_report { inner: report }) };
        Ok(())
    })
}
