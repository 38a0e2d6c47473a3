//! Times as text: the CLI's format and the CLI's parser, so that C and Fortran programs
//! print and accept times exactly as `siqaco` does (no hand-written calendar in callers).

use crate::args::{arg_out, arg_str, copy_str, SIQACO_TIME_UNSET};
use crate::boundary::boundary;
use crate::status::siqaco_status;
use std::ffi::c_char;

/// The buffer size that holds every text of [`siqaco_time_format`] with its NUL
/// (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` is 30 bytes).
pub const SIQACO_TIME_TEXT_CAPACITY: usize = 32;

/// Copies the text of the instant `ns` (ns since 1970-01-01 UTC) into `buf`, NUL-terminated,
/// and its length without the NUL to `*len_out`: ISO 8601 UTC with a `Z`, with microsecond
/// digits (`2008-01-01T00:00:01.970000Z`), or nanosecond digits when the instant is not a
/// whole microsecond — the format of every time the CLI prints. `SIQACO_TIME_UNSET`
/// gives `"-"`. 32 bytes are always enough (`SIQACO_TIME_TEXT_CAPACITY`).
///
/// Returns `SIQACO_STATUS_BUFFER_TOO_SMALL` when `len` is not larger than the length, after
/// writing the length to `*len_out` (pass `buf` NULL and `len` 0 to ask for it);
/// `SIQACO_STATUS_NULL_ARGUMENT` when `len_out` is NULL.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes; `len_out` is NULL or valid for a write.
/// Ownership: the caller owns `buf`. Thread-safety: callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn siqaco_time_format(
    ns: i64,
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
) -> siqaco_status {
    boundary(|| {
        let len_out = arg_out(len_out, "len_out")?;
        let text = if ns == SIQACO_TIME_UNSET {
            "-".to_string()
        } else {
            siqaco::time::format_time(ns)
        };
        // SAFETY: the caller's contract.
        unsafe { copy_str(&text, buf, len, len_out) }
    })
}

/// Parses a time as the CLI's `--start`/`--end` do and writes ns since 1970-01-01 UTC to
/// `*ns_out`: ISO 8601 `YYYY-MM-DDTHH:MM:SS[.fffffffff]` with or without `Z`, a space for
/// the `T`, `YYYY-MM-DDTHH:MM`, a date alone (00:00:00), and SEED ordinal dates `YYYY-DDD`,
/// `YYYY,DDD` and `YYYY,DDD,HH:MM:SS[.f]`, all UTC (`siqaco::time::parse_time`).
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` (the message names the text) for text in none of
/// these forms or outside the years 1678 to 2261 that `int64_t` nanoseconds hold;
/// `SIQACO_STATUS_NULL_ARGUMENT` for a NULL pointer; `*ns_out` is written only on success.
///
/// # Safety
/// `text` is NULL or a NUL-terminated string; `ns_out` is NULL or valid for a write.
/// Ownership: borrows `text`. Thread-safety: callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn siqaco_time_parse(text: *const c_char, ns_out: *mut i64) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let text = unsafe { arg_str(text, "text") }?;
        let ns_out = arg_out(ns_out, "ns_out")?;
        let ns = siqaco::time::parse_time(text)?;
        // SAFETY: checked non-NULL by arg_out; valid for a write by the caller's contract.
        unsafe { ns_out.write(ns) };
        Ok(())
    })
}
