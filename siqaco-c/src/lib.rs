//! # libsiqaco: the C ABI of siqaco
//!
//! Scan (archives and explicit files, with options), read, index, catalogue queries,
//! merge, and the update pipeline from a configuration file. Thin `extern "C"` wrappers over the `siqaco` core library: they convert arguments, call
//! the core and map its errors to [`siqaco_status`] codes; no rule of siqaco is implemented
//! here. The header `include/siqaco.h` is generated from this crate by cbindgen 0.29.4
//! (`scripts/gen-header`) and checked by `scripts/test-c`. The rules every function follows
//! are written in `docs/c-api.md`:
//!
//! - every fallible function returns a [`siqaco_status`]; `SIQACO_STATUS_OK` (0) is success;
//!   the codes are never renumbered;
//! - every pointer argument is checked for NULL (`SIQACO_STATUS_NULL_ARGUMENT`);
//! - every entry point catches Rust panics (`SIQACO_STATUS_PANIC`);
//! - a `*_out` argument is written only on success; the exception is the `count_out` or
//!   `len_out` of a copy into a caller buffer, which on `SIQACO_STATUS_BUFFER_TOO_SMALL`
//!   receives the size needed;
//! - after a failure, [`siqaco_last_error_message`] gives a message for the calling thread;
//! - times are `int64_t` nanoseconds since 1970-01-01 UTC (libmseed's `nstime_t`).

#![allow(non_camel_case_types)]

use siqaco::archive::{Archive, Layout};
use siqaco::codec::Samples;
use siqaco::gaps::{AnalysisOptions, Edge};
use siqaco::index::{Catalogue, IndexOptions};
use siqaco::read::SampleSegment;
use siqaco::scan::{scan_archive, window_from, ScanOptions, ScanReport};
use siqaco::segment::Tolerance;
use siqaco::{Error, ErrorKind, NslcGlob};
use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Status returned by every fallible function of libsiqaco. `SIQACO_STATUS_OK` (0) is
/// success. The numeric values are part of the ABI and never change; a retired code is
/// never reused. Codes 1 to 99 are the error kinds of the core library (`siqaco::ErrorKind`,
/// same numbers); codes from 100 are the C ABI's own.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum siqaco_status {
    /// Success.
    Ok = 0,
    /// An operating-system I/O error (file or directory not found, permission denied...).
    Io = 1,
    /// Bytes that are not miniSEED, or a corrupt or truncated record.
    InvalidData = 2,
    /// A bad argument: malformed selection, layout, window, non-UTF-8 string...
    InvalidArgument = 3,
    /// A network, station, location or channel code that is not allowed.
    InvalidCode = 4,
    /// libmseed could not decode or encode samples.
    Codec = 5,
    /// An invalid configuration.
    Config = 6,
    /// Nothing matched.
    NotFound = 7,
    /// A metadata document (StationXML) that cannot be read.
    Metadata = 8,
    /// The catalogue database (SQLite) failed.
    Database = 9,
    /// A network request failed: connection, timeout, an HTTP error status, or a response
    /// that is not what was asked for (the message names the URL and the status).
    Network = 10,
    /// A data source failed (e.g. an external fetch program that is missing or exits with
    /// an error; the message names the source).
    Source = 11,
    /// A required pointer argument was NULL.
    NullArgument = 100,
    /// An index (stream, segment, gap...) is out of range.
    OutOfRange = 101,
    /// The caller's buffer is too small; the size needed was written to the count argument.
    BufferTooSmall = 102,
    /// The samples are not of the type asked for (see `siqaco_sample_segment.sample_type`).
    WrongSampleType = 103,
    /// An error of a kind this version of the C ABI does not know yet.
    Unknown = 198,
    /// A panic was caught inside libsiqaco (a bug: please report it with the message).
    Panic = 199,
}

impl siqaco_status {
    fn from_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Io => siqaco_status::Io,
            ErrorKind::InvalidData => siqaco_status::InvalidData,
            ErrorKind::InvalidArgument => siqaco_status::InvalidArgument,
            ErrorKind::InvalidCode => siqaco_status::InvalidCode,
            ErrorKind::Codec => siqaco_status::Codec,
            ErrorKind::Config => siqaco_status::Config,
            ErrorKind::NotFound => siqaco_status::NotFound,
            ErrorKind::Metadata => siqaco_status::Metadata,
            ErrorKind::Database => siqaco_status::Database,
            ErrorKind::Network => siqaco_status::Network,
            ErrorKind::Source => siqaco_status::Source,
            _ => siqaco_status::Unknown,
        }
    }

    fn name(code: u32) -> &'static CStr {
        match code {
            0 => c"ok",
            1 => c"I/O error",
            2 => c"invalid miniSEED data",
            3 => c"invalid argument",
            4 => c"invalid network, station, location or channel code",
            5 => c"libmseed codec error",
            6 => c"invalid configuration",
            7 => c"not found",
            8 => c"invalid metadata",
            9 => c"catalogue database error",
            10 => c"network error",
            11 => c"data source error",
            100 => c"NULL argument",
            101 => c"index out of range",
            102 => c"buffer too small",
            103 => c"wrong sample type",
            198 => c"unknown error kind",
            199 => c"panic inside libsiqaco",
            _ => c"unknown status code",
        }
    }
}

/// Time value meaning "not set" (a window bound, or the last/next sample of an edge gap):
/// `INT64_MIN`.
pub const SIQACO_TIME_UNSET: i64 = i64::MIN;

/// Size of the `nslc` character arrays of the structures, NUL included.
pub const SIQACO_NSLC_CAPACITY: usize = 64;

/// `siqaco_gap.edge`: an interior gap between two segments.
pub const SIQACO_EDGE_NONE: u32 = 0;
/// `siqaco_gap.edge`: from the window start to the first sample.
pub const SIQACO_EDGE_HEAD: u32 = 1;
/// `siqaco_gap.edge`: from the end of coverage to the window end.
pub const SIQACO_EDGE_TAIL: u32 = 2;

/// `siqaco_sample_segment.sample_type`: 32-bit integers.
pub const SIQACO_SAMPLE_INT32: u32 = 1;
/// `siqaco_sample_segment.sample_type`: 32-bit floats.
pub const SIQACO_SAMPLE_FLOAT32: u32 = 2;
/// `siqaco_sample_segment.sample_type`: 64-bit floats.
pub const SIQACO_SAMPLE_FLOAT64: u32 = 3;

/// An archive: a root directory and a layout. Opaque; created by [`siqaco_archive_open`],
/// released by [`siqaco_archive_free`]. Immutable: it may be used from several threads at
/// once.
pub struct siqaco_archive {
    inner: Archive,
}

/// The result of a scan: streams with their segments, gaps, overlaps and per-day
/// statistics, and the files that could not be read. Opaque; created by
/// [`siqaco_archive_scan`], [`siqaco_archive_scan_with_options`], [`siqaco_files_scan`] or
/// [`siqaco_catalogue_report`], released by [`siqaco_report_free`]. Immutable: it may be
/// read from several threads at once.
pub struct siqaco_report {
    inner: ScanReport,
}

/// Decoded samples: contiguous segments of samples of one or more streams. Opaque; created
/// by [`siqaco_archive_read`], released by [`siqaco_samples_free`]. Immutable: it may be
/// read from several threads at once.
pub struct siqaco_samples {
    inner: Vec<SampleSegment>,
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

/// One segment of decoded samples.
#[repr(C)]
pub struct siqaco_sample_segment {
    /// `NET.STA.LOC.CHA`, NUL-terminated (truncated to `SIQACO_NSLC_CAPACITY - 1` bytes).
    pub nslc: [c_char; SIQACO_NSLC_CAPACITY],
    /// Time of the first sample, ns.
    pub start_ns: i64,
    /// Time one period after the last sample, ns (exclusive).
    pub end_ns: i64,
    /// Sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Number of samples.
    pub sample_count: usize,
    /// `SIQACO_SAMPLE_INT32`, `SIQACO_SAMPLE_FLOAT32` or `SIQACO_SAMPLE_FLOAT64`.
    pub sample_type: u32,
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

// ---------------------------------------------------------------------------------------
// Panic boundary, last error, argument checks.

/// A failure: the status returned and the message kept for [`siqaco_last_error_message`].
#[derive(Debug)]
struct Failure {
    status: siqaco_status,
    message: String,
}

impl Failure {
    fn new(status: siqaco_status, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    fn null(name: &str) -> Self {
        Failure::new(
            siqaco_status::NullArgument,
            format!("argument `{name}` is NULL"),
        )
    }

    fn out_of_range(what: &str, index: usize, count: usize) -> Self {
        Failure::new(
            siqaco_status::OutOfRange,
            format!("{what} index {index} is out of range (count {count})"),
        )
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(siqaco_status::from_kind(e.kind()), e.to_string())
    }
}

type FfiResult<T = ()> = Result<T, Failure>;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_last_error(message: String) {
    LAST_ERROR.with(|m| *m.borrow_mut() = message);
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Runs `f` inside the panic boundary; records the message of a failure for the thread.
fn boundary(f: impl FnOnce() -> FfiResult) -> siqaco_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => siqaco_status::Ok,
        Ok(Err(failure)) => {
            set_last_error(failure.message);
            failure.status
        }
        Err(payload) => {
            set_last_error(format!("panic: {}", panic_message(&*payload)));
            siqaco_status::Panic
        }
    }
}

/// Borrows a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string that outlives `'a`.
unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
    if p.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: non-NULL, NUL-terminated by the caller's contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map_err(|_| {
        Failure::new(
            siqaco_status::InvalidArgument,
            format!("argument `{name}` is not valid UTF-8"),
        )
    })
}

/// Borrows an optional string argument (NULL = `None`).
///
/// # Safety
/// As [`arg_str`].
unsafe fn arg_opt_str<'a>(p: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { arg_str(p, name) }.map(Some)
    }
}

/// Borrows a handle argument.
///
/// # Safety
/// `p` is NULL or a live handle of type `T`.
unsafe fn arg_ref<'a, T>(p: *const T, name: &str) -> FfiResult<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// Borrows a handle argument mutably.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` that no other thread uses during the call.
unsafe fn arg_mut<'a, T>(p: *mut T, name: &str) -> FfiResult<&'a mut T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// Checks an output pointer.
fn arg_out<T>(p: *mut T, name: &str) -> FfiResult<*mut T> {
    if p.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(p)
    }
}

/// Writes `s` into a fixed character array, NUL-terminated, truncated at a UTF-8 boundary.
fn fill_nslc(dst: &mut [c_char; SIQACO_NSLC_CAPACITY], s: &str) {
    let mut n = s.len().min(SIQACO_NSLC_CAPACITY - 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    for (d, b) in dst.iter_mut().zip(s.as_bytes()[..n].iter()) {
        *d = *b as c_char;
    }
    for d in dst[n..].iter_mut() {
        *d = 0;
    }
}

/// Copies `s` NUL-terminated into `buf[..len]`; on a too small buffer writes the needed
/// length (without the NUL) to `len_out` and fails with `BufferTooSmall`.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes; `len_out` is valid for a write.
unsafe fn copy_str(s: &str, buf: *mut c_char, len: usize, len_out: *mut usize) -> FfiResult {
    let needed = s.len();
    if buf.is_null() && len != 0 {
        return Err(Failure::null("buf"));
    }
    if buf.is_null() || len <= needed {
        // SAFETY: checked non-NULL by the callers.
        unsafe { len_out.write(needed) };
        return Err(Failure::new(
            siqaco_status::BufferTooSmall,
            format!("buffer of {len} bytes is too small: {} needed", needed + 1),
        ));
    }
    // SAFETY: buf has room for needed + 1 bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), needed);
        buf.add(needed).write(0);
        len_out.write(needed);
    }
    Ok(())
}

/// Parses a selection: NULL or blank = every stream, else globs separated by commas or
/// white space.
fn parse_selection(text: Option<&str>) -> FfiResult<Vec<NslcGlob>> {
    Ok(text
        .unwrap_or("")
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(NslcGlob::parse)
        .collect::<siqaco::Result<Vec<_>>>()?)
}

/// Converts a window given with `SIQACO_TIME_UNSET` bounds with the core's rule
/// ([`siqaco::scan::window_from`], as the CLI's `--start`/`--end`).
fn window(start_ns: i64, end_ns: i64) -> FfiResult<Option<(i64, i64)>> {
    let bound = |t: i64| (t != SIQACO_TIME_UNSET).then_some(t);
    Ok(window_from(bound(start_ns), bound(end_ns))?)
}

/// A tolerance given as C doubles (NaN = the default) with the core's rule
/// ([`Tolerance::from_options`]).
fn tolerance(time_s: f64, time_periods: f64, rate: f64) -> FfiResult<Tolerance> {
    let opt = |v: f64| (!v.is_nan()).then_some(v);
    Ok(Tolerance::from_options(
        opt(time_s),
        opt(time_periods),
        opt(rate),
    )?)
}

/// Converts an array of `count` C strings (NULL only when `count` is 0) into paths.
///
/// # Safety
/// `paths` is NULL or valid for `count` reads of pointers that are NULL or NUL-terminated
/// strings.
unsafe fn arg_paths(
    paths: *const *const c_char,
    count: usize,
    name: &str,
) -> FfiResult<Vec<std::path::PathBuf>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if paths.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: the caller's contract: `count` readable pointers.
    let items = unsafe { std::slice::from_raw_parts(paths, count) };
    items
        .iter()
        .enumerate()
        // SAFETY: the caller's contract.
        .map(|(i, &p)| unsafe { arg_str(p, &format!("{name}[{i}]")) }.map(Into::into))
        .collect()
}

/// Writes a new handle to an output pointer already checked non-NULL.
///
/// # Safety
/// `out` is valid for a write.
unsafe fn write_handle<T>(out: *mut *mut T, value: T) {
    // SAFETY: the caller's contract.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
}

/// Drops a handle created by [`write_handle`] inside the panic boundary; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or a live handle from [`write_handle`], not used afterwards.
unsafe fn free_handle<T>(p: *mut T) {
    if !p.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the caller's contract: a live handle from Box::into_raw.
            drop(unsafe { Box::from_raw(p) });
        }));
    }
}

/// The body of every accessor (`*_count`, `*_get`, `*_summary`, `siqaco_report_stream`...)
/// inside the panic boundary: checks the handle, then the output pointer, for NULL (naming
/// them), computes `value` from the borrowed handle and writes it to `*out` on success
/// only.
///
/// # Safety
/// `handle` is NULL or a live handle; `out` is NULL or valid for a write.
unsafe fn read_handle<H, T>(
    handle: *const H,
    handle_name: &str,
    out: *mut T,
    out_name: &str,
    value: impl FnOnce(&H) -> FfiResult<T>,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let handle = unsafe { arg_ref(handle, handle_name) }?;
        let out = arg_out(out, out_name)?;
        let v = value(handle)?;
        // SAFETY: checked non-NULL; valid for a write by the caller's contract.
        unsafe { out.write(v) };
        Ok(())
    })
}

/// The body of every `*_text`/`*_path` accessor inside the panic boundary: checks the
/// handle and `len_out` for NULL, computes the text from the borrowed handle and copies it
/// with the buffer-size protocol of [`copy_str`].
///
/// # Safety
/// `handle` is NULL or a live handle; `buf` is NULL or valid for `len` bytes of writes;
/// `len_out` is NULL or valid for a write.
unsafe fn read_text<H>(
    handle: *const H,
    handle_name: &str,
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
    text: impl FnOnce(&H) -> FfiResult<String>,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let handle = unsafe { arg_ref(handle, handle_name) }?;
        let len_out = arg_out(len_out, "len_out")?;
        let text = text(handle)?;
        // SAFETY: the caller's contract.
        unsafe { copy_str(&text, buf, len, len_out) }
    })
}

/// The body of every options setter (`siqaco_*_options_set_*`) inside the panic boundary:
/// borrows the handle `options` mutably and runs `set` on it. `set` must leave the options
/// unchanged when it fails.
///
/// # Safety
/// `options` is NULL or a live handle used by no other thread during the call.
unsafe fn set_option<H>(options: *mut H, set: impl FnOnce(&mut H) -> FfiResult) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let o = unsafe { arg_mut(options, "options") }?;
        set(o)
    })
}

fn get<'a, T>(items: &'a [T], index: usize, what: &str) -> FfiResult<&'a T> {
    items
        .get(index)
        .ok_or_else(|| Failure::out_of_range(what, index, items.len()))
}

// ---------------------------------------------------------------------------------------
// Version, status, last error.

/// The version of libsiqaco, e.g. `"0.1.0"`, as a static NUL-terminated string (equal to
/// `SIQACO_VERSION_STRING` of the header the program was compiled with when the library is
/// the same version).
///
/// Ownership: the string is static; do not free it. Thread-safety: callable from any thread.
#[no_mangle]
pub extern "C" fn siqaco_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A short static description of a status code, e.g. `"buffer too small"`; codes this
/// version does not know give `"unknown status code"`.
///
/// Ownership: the string is static; do not free it. Thread-safety: callable from any thread.
#[no_mangle]
pub extern "C" fn siqaco_status_str(status: u32) -> *const c_char {
    siqaco_status::name(status).as_ptr()
}

/// Copies the message of the last call that failed on the calling thread into `buf`
/// (NUL-terminated) and its length without the NUL into `*len_out`. The message is empty
/// when no call has failed on this thread. This function never changes the message.
///
/// Returns `SIQACO_STATUS_NULL_ARGUMENT` when `len_out` is NULL, or when `buf` is NULL and
/// `len` is not 0; `SIQACO_STATUS_BUFFER_TOO_SMALL` when `len` is not larger than the
/// message length, after writing the length to `*len_out` (call with `buf` NULL and `len`
/// 0 to ask for the length).
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes; `len_out` is NULL or valid for a
/// write. Ownership: the caller owns `buf`. Thread-safety: each thread has its own message.
#[no_mangle]
pub unsafe extern "C" fn siqaco_last_error_message(
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
) -> siqaco_status {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let len_out = arg_out(len_out, "len_out")?;
        LAST_ERROR.with(|m| {
            let m = m.borrow();
            // SAFETY: the caller's contract.
            unsafe { copy_str(&m, buf, len, len_out) }
        })
    }));
    match r {
        Ok(Ok(())) => siqaco_status::Ok,
        Ok(Err(f)) => f.status,
        Err(_) => siqaco_status::Panic,
    }
}

// ---------------------------------------------------------------------------------------
// Archive.

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
        let layout: Layout = layout.parse()?;
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
        let opts = ScanOptions {
            selection,
            analysis: AnalysisOptions {
                tolerance: Tolerance::default(),
                window: window(start_ns, end_ns)?,
                per_day: true,
                ..AnalysisOptions::default()
            },
            threads: None,
            cancel: None,
        };
        let report = scan_archive(&archive.inner, &opts, None)?;
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
        let segments = siqaco::read::read(
            &archive.inner,
            &selection,
            window(start_ns, end_ns)?,
            &Tolerance::default(),
        )?;
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
        let mut catalogue = Catalogue::open(db_path)?;
        let r = catalogue.index_archive(&archive.inner, &IndexOptions::default())?;
        // SAFETY: checked non-NULL.
        unsafe { report_out.write(index_report(&r)) };
        Ok(())
    })
}

fn index_report(r: &siqaco::index::IndexReport) -> siqaco_index_report {
    siqaco_index_report {
        files_listed: r.files_listed,
        files_indexed: r.files_indexed,
        files_unchanged: r.files_unchanged,
        files_removed: r.files_removed,
        rows_written: r.rows_written,
        files_with_errors: r.files_with_errors,
    }
}

// ---------------------------------------------------------------------------------------
// Report.

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
    unsafe {
        read_text(report, "report", buf, len, len_out, |report| {
            let e = get(&report.inner.errors, index, "error")?;
            Ok(match e.offset {
                Some(o) => format!("{}: byte offset {o}: {}", e.path, e.message),
                None => format!("{}: {}", e.path, e.message),
            })
        })
    }
}

// ---------------------------------------------------------------------------------------
// Samples.

/// Releases decoded samples. NULL is accepted and does nothing.
///
/// # Safety
/// `samples` is NULL or a handle from `siqaco_archive_read` not yet freed; it must not be
/// used afterwards, nor freed twice. Ownership: takes ownership of `samples`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_free(samples: *mut siqaco_samples) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(samples) }
}

/// Writes the number of sample segments (sorted by N.S.L.C, then time) to `*count_out`.
///
/// # Safety
/// `samples` is NULL or a live handle; `count_out` is NULL or valid for a write.
/// Ownership: borrows `samples`. Thread-safety: the handle may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_segment_count(
    samples: *const siqaco_samples,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(samples, "samples", count_out, "count_out", |samples| {
            Ok(samples.inner.len())
        })
    }
}

/// Fills `*segment_out` with the description of sample segment `index` (0-based): codes,
/// start time, rate, number and type of samples.
///
/// Returns `SIQACO_STATUS_OUT_OF_RANGE` for an index out of range.
///
/// # Safety
/// `samples` is NULL or a live handle; `segment_out` is NULL or valid for a write.
/// Ownership: borrows `samples`. Thread-safety: the handle may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_segment(
    samples: *const siqaco_samples,
    index: usize,
    segment_out: *mut siqaco_sample_segment,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        read_handle(samples, "samples", segment_out, "segment_out", |samples| {
            let s = get(&samples.inner, index, "sample segment")?;
            let mut out = siqaco_sample_segment {
                nslc: [0; SIQACO_NSLC_CAPACITY],
                start_ns: s.start_ns,
                end_ns: s.end_ns(),
                sample_rate_hz: s.sample_rate_hz,
                sample_count: s.samples.len(),
                sample_type: sample_type(&s.samples),
            };
            fill_nslc(&mut out.nslc, &s.nslc.to_string());
            Ok(out)
        })
    }
}

/// Copies the samples of segment `index` into `buf[0..len]` with `fill` when their type
/// is one of `accepts`, and their number into `*count_out`.
///
/// # Safety
/// `samples` is NULL or a live handle; `buf` is NULL or valid for `len` writes of `T`;
/// `count_out` is NULL or valid for a write.
unsafe fn copy_samples<T>(
    samples: *const siqaco_samples,
    index: usize,
    buf: *mut T,
    len: usize,
    count_out: *mut usize,
    accepts: &[u32],
    fill: impl FnOnce(&Samples, &mut [T]),
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let samples = unsafe { arg_ref(samples, "samples") }?;
        let count_out = arg_out(count_out, "count_out")?;
        let s = get(&samples.inner, index, "sample segment")?;
        if buf.is_null() && len != 0 {
            return Err(Failure::null("buf"));
        }
        if !accepts.contains(&sample_type(&s.samples)) {
            return Err(Failure::new(
                siqaco_status::WrongSampleType,
                format!(
                    "sample segment {index} holds samples of type '{}' (see sample_type)",
                    s.samples.sample_type()
                ),
            ));
        }
        let n = s.samples.len();
        // SAFETY: checked non-NULL.
        unsafe { count_out.write(n) };
        if len < n {
            return Err(Failure::new(
                siqaco_status::BufferTooSmall,
                format!("buffer of {len} samples is too small: {n} needed"),
            ));
        }
        if n > 0 {
            // SAFETY: buf is non-NULL (len >= n > 0) and valid for len >= n writes.
            let dst = unsafe { std::slice::from_raw_parts_mut(buf, n) };
            fill(&s.samples, dst);
        }
        Ok(())
    })
}

fn sample_type(s: &Samples) -> u32 {
    match s {
        Samples::Int32(_) => SIQACO_SAMPLE_INT32,
        Samples::Float32(_) => SIQACO_SAMPLE_FLOAT32,
        Samples::Float64(_) => SIQACO_SAMPLE_FLOAT64,
        _ => 0,
    }
}

/// Copies the samples of segment `index` into `buf` (room for `len` values) and their
/// number into `*count_out`. Only for segments of type `SIQACO_SAMPLE_INT32`.
///
/// Returns `SIQACO_STATUS_WRONG_SAMPLE_TYPE` for another type (nothing written);
/// `SIQACO_STATUS_BUFFER_TOO_SMALL` when `len` is below the number of samples, after
/// writing that number to `*count_out` (pass `buf` NULL and `len` 0 to ask for it).
///
/// # Safety
/// `samples` is NULL or a live handle; `buf` is NULL or valid for `len` writes;
/// `count_out` is NULL or valid for a write. Ownership: borrows `samples`; the caller owns
/// `buf`. Thread-safety: the handle may be read by several threads.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_copy_int32(
    samples: *const siqaco_samples,
    index: usize,
    buf: *mut i32,
    len: usize,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: forwarded contract.
    unsafe {
        copy_samples(
            samples,
            index,
            buf,
            len,
            count_out,
            &[SIQACO_SAMPLE_INT32],
            |s, dst| {
                if let Samples::Int32(v) = s {
                    dst.copy_from_slice(v);
                }
            },
        )
    }
}

/// As `siqaco_samples_copy_int32`, for segments of type `SIQACO_SAMPLE_FLOAT32`.
///
/// # Safety
/// As `siqaco_samples_copy_int32`. Ownership and thread-safety: the same.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_copy_float32(
    samples: *const siqaco_samples,
    index: usize,
    buf: *mut f32,
    len: usize,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: forwarded contract.
    unsafe {
        copy_samples(
            samples,
            index,
            buf,
            len,
            count_out,
            &[SIQACO_SAMPLE_FLOAT32],
            |s, dst| {
                if let Samples::Float32(v) = s {
                    dst.copy_from_slice(v);
                }
            },
        )
    }
}

/// As `siqaco_samples_copy_int32`, for segments of any type: int32 and float32 samples are
/// converted to double exactly.
///
/// # Safety
/// As `siqaco_samples_copy_int32`. Ownership and thread-safety: the same.
#[no_mangle]
pub unsafe extern "C" fn siqaco_samples_copy_float64(
    samples: *const siqaco_samples,
    index: usize,
    buf: *mut f64,
    len: usize,
    count_out: *mut usize,
) -> siqaco_status {
    // SAFETY: forwarded contract.
    unsafe {
        copy_samples(
            samples,
            index,
            buf,
            len,
            count_out,
            &[
                SIQACO_SAMPLE_INT32,
                SIQACO_SAMPLE_FLOAT32,
                SIQACO_SAMPLE_FLOAT64,
            ],
            |s, dst| match s {
                Samples::Int32(v) => dst.iter_mut().zip(v).for_each(|(d, &x)| *d = f64::from(x)),
                Samples::Float32(v) => dst.iter_mut().zip(v).for_each(|(d, &x)| *d = f64::from(x)),
                Samples::Float64(v) => dst.copy_from_slice(v),
                Samples::Text(_) => {}
            },
        )
    }
}

mod catalogue;
mod merge;
mod options;
mod update;

pub use catalogue::*;
pub use merge::*;
pub use options::*;
pub use update::*;

#[cfg(test)]
mod tests;
