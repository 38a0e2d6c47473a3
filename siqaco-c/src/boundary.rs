//! The panic boundary: every entry point runs its body through [`boundary`] (or one of the
//! accessor bodies built on it: [`read_handle`], [`read_text`], [`set_option`],
//! [`free_handle`]), which catches Rust panics (`SIQACO_STATUS_PANIC`), turns a failure
//! ([`crate::status::Failure`]) into its status and keeps its message for the calling
//! thread, read back by [`siqaco_last_error_message`].

use crate::args::{arg_mut, arg_out, arg_ref, copy_str};
use crate::status::{siqaco_status, FfiResult};
use std::cell::RefCell;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error(message: String) {
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
pub(crate) fn boundary(f: impl FnOnce() -> FfiResult) -> siqaco_status {
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

/// Drops a handle created by [`write_handle`] inside the panic boundary; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or a live handle from [`write_handle`], not used afterwards.
pub(crate) unsafe fn free_handle<T>(p: *mut T) {
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
pub(crate) unsafe fn read_handle<H, T>(
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

/// The body of every `*_text`/`*_path` accessor of item `index` inside the panic
/// boundary: checks the handle and `len_out` for NULL, computes the text from the borrowed
/// handle and `index` and copies it with the buffer-size protocol of [`copy_str`].
///
/// # Safety
/// `handle` is NULL or a live handle; `buf` is NULL or valid for `len` bytes of writes;
/// `len_out` is NULL or valid for a write.
pub(crate) unsafe fn read_text<H>(
    handle: *const H,
    handle_name: &str,
    index: usize,
    buf: *mut c_char,
    len: usize,
    len_out: *mut usize,
    text: impl FnOnce(&H, usize) -> FfiResult<String>,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let handle = unsafe { arg_ref(handle, handle_name) }?;
        let len_out = arg_out(len_out, "len_out")?;
        let text = text(handle, index)?;
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
pub(crate) unsafe fn set_option<H>(
    options: *mut H,
    set: impl FnOnce(&mut H) -> FfiResult,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let o = unsafe { arg_mut(options, "options") }?;
        set(o)
    })
}

/// The body of the setters of an options handle that holds an operation's request
/// (`siqaco::ops`): sets fields of a copy of the request (`request` borrows it from the
/// handle) with `set`, checks the copy with the core's `validate` (passed as `validate`),
/// ignoring only a refusal of `given_later` (the field the running call gives: the paths
/// of a scan, the inputs of a merge; `""` when the options give every field), and keeps it. A refused value leaves the options
/// unchanged.
///
/// # Safety
/// As [`set_option`].
pub(crate) unsafe fn set_request_field<H, R: Clone>(
    options: *mut H,
    request: impl FnOnce(&mut H) -> &mut R,
    validate: impl FnOnce(&R) -> siqaco::Result<()>,
    given_later: &str,
    set: impl FnOnce(&mut R) -> FfiResult,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_option(options, |o| {
            let kept = request(o);
            let mut changed = kept.clone();
            set(&mut changed)?;
            match validate(&changed) {
                Err(e) if e.field_name() != Some(given_later) => return Err(e.into()),
                _ => {}
            }
            *kept = changed;
            Ok(())
        })
    }
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
