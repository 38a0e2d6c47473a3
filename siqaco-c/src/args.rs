//! Arguments and results at the C boundary: NUL-terminated strings, handles, output
//! pointers, arrays of paths, fixed character arrays, caller buffers (the
//! `SIQACO_STATUS_BUFFER_TOO_SMALL` protocol), and the conversions of selections, windows
//! (`SIQACO_TIME_UNSET`) and tolerances (NaN = the default) to the core's types with the
//! core's rules.

use crate::status::{siqaco_status, Failure, FfiResult};
use siqaco::segment::Tolerance;
use siqaco::NslcGlob;
use std::ffi::{c_char, CStr};

/// Time value meaning "not set" (a window bound, or the last/next sample of an edge gap):
/// `INT64_MIN`.
pub const SIQACO_TIME_UNSET: i64 = i64::MIN;

/// Size of the `nslc` character arrays of the structures, NUL included.
pub const SIQACO_NSLC_CAPACITY: usize = 64;

/// Borrows a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> FfiResult<&'a str> {
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
pub(crate) unsafe fn arg_opt_str<'a>(p: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
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
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, name: &str) -> FfiResult<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// Borrows a handle argument mutably.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` that no other thread uses during the call.
pub(crate) unsafe fn arg_mut<'a, T>(p: *mut T, name: &str) -> FfiResult<&'a mut T> {
    // SAFETY: the caller's contract.
    unsafe { p.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// Checks an output pointer.
pub(crate) fn arg_out<T>(p: *mut T, name: &str) -> FfiResult<*mut T> {
    if p.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(p)
    }
}

/// Writes `s` into a fixed character array, NUL-terminated, truncated at a UTF-8 boundary.
pub(crate) fn fill_nslc(dst: &mut [c_char; SIQACO_NSLC_CAPACITY], s: &str) {
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
pub(crate) unsafe fn copy_str(
    s: &str,
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
) -> FfiResult {
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
/// white space (the request field `select`, [`siqaco::ops::parse_fields`]).
pub(crate) fn parse_selection(text: Option<&str>) -> FfiResult<Vec<NslcGlob>> {
    let globs: Vec<&str> = text
        .unwrap_or("")
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    Ok(siqaco::ops::parse_fields("select", &globs)?)
}

/// A time bound given as `SIQACO_TIME_UNSET` or ns.
pub(crate) fn bound(t: i64) -> Option<i64> {
    (t != SIQACO_TIME_UNSET).then_some(t)
}

/// A C double where NaN means "not given".
pub(crate) fn given(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// A layout given as a C string (NULL = the default, SDS) parsed as the request field
/// `layout`.
pub(crate) fn layout(text: Option<&str>) -> FfiResult<siqaco::archive::Layout> {
    Ok(match text {
        Some(t) => siqaco::ops::parse_field("layout", t)?,
        None => siqaco::archive::Layout::default(),
    })
}

/// A tolerance given as C doubles (NaN = the default) with the core's rule
/// ([`Tolerance::from_options`]).
pub(crate) fn tolerance(time_s: f64, time_periods: f64, rate: f64) -> FfiResult<Tolerance> {
    Ok(Tolerance::from_options(
        given(time_s),
        given(time_periods),
        given(rate),
    )?)
}

/// Converts an array of `count` C strings (NULL only when `count` is 0) into paths.
///
/// # Safety
/// `paths` is NULL or valid for `count` reads of pointers that are NULL or NUL-terminated
/// strings.
pub(crate) unsafe fn arg_paths(
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
pub(crate) unsafe fn write_handle<T>(out: *mut *mut T, value: T) {
    // SAFETY: the caller's contract.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
}

pub(crate) fn get<'a, T>(items: &'a [T], index: usize, what: &str) -> FfiResult<&'a T> {
    items
        .get(index)
        .ok_or_else(|| Failure::out_of_range(what, index, items.len()))
}
