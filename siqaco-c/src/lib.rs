//! # libsiqaco: the C ABI of siqaco
//!
//! Scan (archives and explicit files, with options), read, index, catalogue queries,
//! merge, the update pipeline from a configuration file, and times as text. Thin `extern "C"` wrappers over the `siqaco` core library: they convert arguments, call
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

use std::ffi::c_char;

// The modules, one concept each, in the order of the header (cbindgen emits constants and
// functions in the order it reads them; the blank lines keep rustfmt from sorting them).
// `status`, `args` and `boundary` import none of the modules after them (no cycle).

/// `siqaco_status`: the one numbering of the status codes and the error kinds' mapping;
/// failures (a status and its message).
mod status;

/// The panic boundary and the per-thread last error message.
mod boundary;

/// Arguments and results: strings, handles, buffers, selections, windows, tolerances.
mod args;

/// `siqaco_archive`: open, scan, read, index.
mod archive;

/// Report accessors: streams, segments, gaps, overlaps, days, file errors.
mod report;

/// Sample accessors: decoded segments and their values.
mod samples;

/// `siqaco_catalogue`: tsindex catalogues and their queries.
mod catalogue;

/// `siqaco_merge_into`: merge options and reports.
mod merge;

/// `siqaco_scan_options`: scans with options, scans of explicit files.
mod options;

/// `siqaco_update_run`, `siqaco_stack_run`: the update pipeline.
mod update;

/// `siqaco_time_format`, `siqaco_time_parse`: times as the CLI prints and reads them.
mod time;

pub use archive::*;
pub use args::{SIQACO_NSLC_CAPACITY, SIQACO_TIME_UNSET};
pub use boundary::siqaco_last_error_message;
pub use catalogue::*;
pub use merge::*;
pub use options::*;
pub use report::*;
pub use samples::*;
pub use status::*;
pub use time::*;
pub use update::*;

/// The version of libsiqaco, e.g. `"0.1.0"`, as a static NUL-terminated string (equal to
/// `SIQACO_VERSION_STRING` of the header the program was compiled with when the library is
/// the same version).
///
/// Ownership: the string is static; do not free it. Thread-safety: callable from any thread.
#[no_mangle]
pub extern "C" fn siqaco_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests;
