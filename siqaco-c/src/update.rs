//! The update pipeline from a configuration file: one run of `siqaco update`
//! ([`siqaco_update_run`], over `siqaco::ops::UpdateRequest`) and the execution of the
//! pending requests of the stack (`siqaco stack run`: [`siqaco_stack_run`], over
//! `siqaco::ops::StackRunRequest`). Options (`siqaco_update_options`) are the request's
//! fields, set one setter each; both calls fill a `siqaco_update_summary`, the counters of
//! `siqaco update --format json`.

use crate::args::{arg_out, arg_str, bound, write_handle, SIQACO_TIME_UNSET};
use crate::boundary::{boundary, free_handle, set_request_field};
use crate::status::siqaco_status;
use siqaco::ops::{Control, StackRunRequest, UpdateConfig, UpdateRequest};
use siqaco::update::UpdateSummary;
use std::ffi::c_char;
use std::path::PathBuf;

/// Options of an update run: a forced window, a dry run, the time taken as "now". Opaque;
/// created by [`siqaco_update_options_new`] with the defaults of `siqaco update` (the
/// configuration's window at the current time, changes made), changed by the
/// `siqaco_update_options_set_*` functions, released by [`siqaco_update_options_free`].
/// Setters need exclusive use of the handle; once set, the options may be read by several
/// threads at once.
pub struct siqaco_update_options {
    /// The request; its configuration is the path given to [`siqaco_update_run`].
    pub(crate) inner: UpdateRequest,
}

/// What an update run (or a run of the request stack) did: the counters of
/// `siqaco update --format json`, same names. A plain structure owned by the caller,
/// written by [`siqaco_update_run`] and [`siqaco_stack_run`].
#[repr(C)]
pub struct siqaco_update_summary {
    /// Start of the window analysed, ns; `SIQACO_TIME_UNSET` after a run of the stack that
    /// found no pending request.
    pub window_start_ns: i64,
    /// End of the window analysed (exclusive), ns; `SIQACO_TIME_UNSET` as `window_start_ns`.
    /// For a run of the stack, the window spans the pending requests.
    pub window_end_ns: i64,
    /// Streams analysed (maintained streams of the configuration, globs expanded); 0 for a
    /// run of the stack.
    pub streams_checked: u64,
    /// Gaps found in the window (after the per-day-file collapse of
    /// `requests.max_gaps_per_day_file`); 0 for a run of the stack.
    pub gaps_found: u64,
    /// Requests added to the stack (in a dry run: that a real run would add).
    pub requests_created: u64,
    /// Requests for which at least one source was asked (in a dry run: would be asked).
    pub requests_sent: u64,
    /// Requests attempted in this run that are now complete.
    pub requests_succeeded: u64,
    /// Requests attempted in this run that are still incomplete (now `retry`, `failed` or
    /// `on_hold`).
    pub requests_failed: u64,
    /// Samples added to the archive.
    pub samples_added: u64,
    /// Requests overlapping the window still `new`, `retry`, `failed` or `on_hold` after the
    /// run (the CLI exits with status 3 when this is not 0); 0 in a dry run.
    pub requests_left: u64,
    /// Dry run: the number of (request, source) pairs that would be sent (the CLI's
    /// `planned` list); 0 otherwise.
    pub planned_count: u64,
    /// Problems that did not stop the run (an availability service down...); except in a
    /// dry run, their texts are stored with the run's summary in the catalogue's
    /// `siqaco_runs` table.
    pub warning_count: u64,
    /// 1 for a dry run, else 0.
    pub dry_run: u32,
}

/// Converts the core's summary (a window bound that is not set becomes
/// `SIQACO_TIME_UNSET`).
pub(crate) fn update_summary(s: &UpdateSummary) -> siqaco_update_summary {
    siqaco_update_summary {
        window_start_ns: s.window_start_ns.unwrap_or(SIQACO_TIME_UNSET),
        window_end_ns: s.window_end_ns.unwrap_or(SIQACO_TIME_UNSET),
        streams_checked: s.streams_checked,
        gaps_found: s.gaps_found,
        requests_created: s.requests_created,
        requests_sent: s.requests_sent,
        requests_succeeded: s.requests_succeeded,
        requests_failed: s.requests_failed,
        samples_added: s.samples_added,
        requests_left: s.requests_left,
        planned_count: s.planned.len() as u64,
        warning_count: s.warnings.len() as u64,
        dry_run: u32::from(s.dry_run),
    }
}

/// Takes the configuration file `config_path` and runs `run` on it inside the panic
/// boundary; writes the converted summary to `*summary_out` on success.
///
/// # Safety
/// `config_path` is NULL or a NUL-terminated string; `summary_out` is NULL or valid for a
/// write.
unsafe fn run_config(
    config_path: *const c_char,
    summary_out: *mut siqaco_update_summary,
    run: impl FnOnce(UpdateConfig) -> siqaco::Result<UpdateSummary>,
) -> siqaco_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let path = unsafe { arg_str(config_path, "config_path") }?;
        let out = arg_out(summary_out, "summary_out")?;
        let summary = update_summary(&run(UpdateConfig::File(PathBuf::from(path)))?);
        // SAFETY: checked non-NULL.
        unsafe { out.write(summary) };
        Ok(())
    })
}

/// Sets fields of the request of `options` with `set`, then checks the request
/// ([`set_request_field`]: when it is refused, the options are left as they were and the
/// error is returned; every field of an update request is given through the options).
///
/// # Safety
/// As [`set_request_field`].
unsafe fn set_field(
    options: *mut siqaco_update_options,
    set: impl FnOnce(&mut UpdateRequest),
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_request_field(
            options,
            |o| &mut o.inner,
            UpdateRequest::validate,
            "",
            |r| {
                set(r);
                Ok(())
            },
        )
    }
}

/// Creates update options with the defaults of `siqaco update`: the window of the
/// configuration (`[window]`) at the current time, changes made (no dry run). Writes the
/// handle to `*options_out`.
///
/// # Safety
/// `options_out` is NULL or valid for a write. Ownership: on success the caller owns
/// `*options_out` and releases it with `siqaco_update_options_free`. Thread-safety:
/// callable from any thread.
#[no_mangle]
pub unsafe extern "C" fn siqaco_update_options_new(
    options_out: *mut *mut siqaco_update_options,
) -> siqaco_status {
    boundary(|| {
        let out = arg_out(options_out, "options_out")?;
        let handle = siqaco_update_options {
            inner: UpdateRequest::new(PathBuf::new()),
        };
        // SAFETY: checked non-NULL.
        unsafe { write_handle(out, handle) };
        Ok(())
    })
}

/// Releases update options. NULL is accepted and does nothing.
///
/// # Safety
/// `options` is NULL or a handle from `siqaco_update_options_new` not yet freed; it must
/// not be used afterwards, nor freed twice. Ownership: takes ownership of `options`.
/// Thread-safety: no other thread may use the handle during or after the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_update_options_free(options: *mut siqaco_update_options) {
    // SAFETY: the caller's contract.
    unsafe { free_handle(options) }
}

/// Forces the window `[start_ns, end_ns)` of the run (the request fields `start_ns` and
/// `end_ns`), used exactly as given (not aligned to the configuration's granularity), as
/// the CLI's `--start`/`--end`. Both `SIQACO_TIME_UNSET` (the default) gives the
/// configuration's window again.
///
/// Returns `SIQACO_STATUS_INVALID_ARGUMENT` when only one bound is set (the message names
/// the one missing: `end_ns: missing: give both ends of the window or neither`) or the end
/// is not after the start (`end_ns: must be after the start`); the options are then
/// unchanged.
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_update_options_set_window(
    options: *mut siqaco_update_options,
    start_ns: i64,
    end_ns: i64,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        set_field(options, |r| {
            r.start_ns = bound(start_ns);
            r.end_ns = bound(end_ns);
        })
    }
}

/// With `dry_run` not 0, `siqaco_update_run` analyses the window and works out the
/// requests each source would be sent, but changes nothing: no file, no catalogue, no
/// request (`--dry-run`).
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_update_options_set_dry_run(
    options: *mut siqaco_update_options,
    dry_run: u32,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe { set_field(options, |r| r.dry_run = dry_run != 0) }
}

/// Sets the time, ns, at which the configuration's window is computed (`[window]`: the
/// window ends `latency` units of granularity before `now_ns` rounded down to the
/// granularity), e.g. to process a past period exactly as a run at that time did;
/// `SIQACO_TIME_UNSET` (the default) takes the clock. Unused when a window is forced.
///
/// # Safety
/// `options` is NULL or a live handle. Ownership: borrows `options`. Thread-safety: no
/// other thread may use `options` during the call.
#[no_mangle]
pub unsafe extern "C" fn siqaco_update_options_set_now(
    options: *mut siqaco_update_options,
    now_ns: i64,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe { set_field(options, |r| r.now_ns = bound(now_ns)) }
}

/// Runs one update of the archive of the configuration file `config_path` (TOML,
/// `docs/configuration.md`), as `siqaco update --config CONFIG_PATH`: takes the archive's
/// lock, brings the catalogue up to date, finds the gaps of the maintained streams in the
/// window, adds requests for them to the stack, asks the sources in priority order for what
/// is missing, merges what arrives (archive samples are never replaced; each day file is
/// replaced atomically) and re-indexes the files touched. `options`: NULL for the defaults
/// of `siqaco_update_options_new`. Writes the counters of the run to `*summary_out`.
///
/// A source that is down or has no data is not a failure: the request is left for a later
/// run and counted in `requests_failed` and `requests_left`.
///
/// Returns `SIQACO_STATUS_IO` when the file cannot be read, the archive is locked by
/// another run (`ROOT/.siqaco-update.lock`) or cannot be read or written;
/// `SIQACO_STATUS_CONFIG` for an invalid configuration (the message names the file and the
/// key, e.g. an unknown key); `SIQACO_STATUS_INVALID_ARGUMENT` for an empty window;
/// `SIQACO_STATUS_DATABASE` when the catalogue fails; `SIQACO_STATUS_SOURCE` for a source
/// that cannot be used (a missing program); `SIQACO_STATUS_NETWORK` when the streams cannot
/// be listed from an FDSN station service; `SIQACO_STATUS_METADATA` for a StationXML stream
/// list that cannot be read. On failure `*summary_out` is untouched; the requests already
/// executed are recorded in the catalogue's request stack.
///
/// # Safety
/// `config_path` is NULL or a NUL-terminated UTF-8 string; `options` is NULL or a live
/// handle; `summary_out` is NULL or valid for a write. Ownership: everything is borrowed
/// during the call; `*summary_out` is a plain structure owned by the caller.
/// Thread-safety: callable from any thread; a second run on the same archive while one is
/// working (in this process or another) fails at once with `SIQACO_STATUS_IO`. A run
/// executes `requests.in_flight` requests at once on worker threads of its own.
#[no_mangle]
pub unsafe extern "C" fn siqaco_update_run(
    config_path: *const c_char,
    options: *const siqaco_update_options,
    summary_out: *mut siqaco_update_summary,
) -> siqaco_status {
    // SAFETY: the caller's contract: NULL or a live handle, only read during the call (a
    // NULL check that cannot panic).
    let options = unsafe { options.as_ref() };
    // SAFETY: the caller's contract.
    unsafe {
        run_config(config_path, summary_out, |config| {
            let mut request = match options {
                Some(o) => o.inner.clone(),
                None => UpdateRequest::new(PathBuf::new()),
            };
            request.config = config;
            request.run(&Control::new())
        })
    }
}

/// Executes the pending requests (`new`, `retry`, `failed`) of the stack of the
/// configuration file `config_path` without analysing a window, as
/// `siqaco stack run --config CONFIG_PATH`: the requests added by `siqaco request create`,
/// or left for retry by earlier runs. Writes the counters of the run to `*summary_out`
/// (`gaps_found` and `requests_created` are 0; with no pending request every counter is 0
/// and the window is `SIQACO_TIME_UNSET`).
///
/// Returns the statuses of `siqaco_update_run`.
///
/// # Safety
/// As `siqaco_update_run`. Ownership and thread-safety: the same.
#[no_mangle]
pub unsafe extern "C" fn siqaco_stack_run(
    config_path: *const c_char,
    summary_out: *mut siqaco_update_summary,
) -> siqaco_status {
    // SAFETY: the caller's contract.
    unsafe {
        run_config(config_path, summary_out, |config| {
            StackRunRequest::new(config).run(&Control::new())
        })
    }
}
