//! [`Control`]: cancellation and progress of a running operation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Progress of a running operation, passed to the callback of a [`Control`].
///
/// One variant per kind of work; each carries the counters of that work (files and bytes
/// for a scan...). Callbacks are called from worker threads, in no particular order, and
/// should be quick.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Progress {
    /// Files and bytes read by a scan ([`crate::scan::Progress`]).
    Scan(crate::scan::Progress),
    /// Pieces and bytes of a fetch ([`crate::source::FetchProgress`]).
    #[cfg(feature = "fdsn")]
    Fetch(crate::source::FetchProgress),
    #[cfg(feature = "update")]
    /// Requests executed and samples added by an update or a run of the stack
    /// ([`crate::update::UpdateProgress`]).
    Update(crate::update::UpdateProgress),
}

/// Cancellation and progress of one operation's `run`.
///
/// A `Control` always has a cancellation flag: [`Control::cancel`] (from another thread, a
/// signal handler or a callback) makes the operation stop starting new work at the next
/// unit it checks (a file, a request...); what is done stays done and what the operation
/// returns says what was done (each request documents it). The progress callback, when
/// set, receives [`Progress`] values.
///
/// ```
/// use siqaco::ops::{Control, Progress};
/// let seen = std::sync::atomic::AtomicU64::new(0);
/// let count = |_: Progress| {
///     seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
/// };
/// let control = Control::new().with_progress(&count);
/// assert!(!control.is_cancelled());
/// control.cancel();
/// assert!(control.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct Control<'a> {
    cancel: Arc<AtomicBool>,
    progress: Option<&'a (dyn Fn(Progress) + Sync)>,
}

impl std::fmt::Debug for Control<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("cancelled", &self.is_cancelled())
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Control<'static> {
    /// A control with a fresh cancellation flag and no progress callback.
    pub fn new() -> Self {
        Control::default()
    }
}

impl<'a> Control<'a> {
    /// This control with `flag` as its cancellation flag (shared with the caller, who may set
    /// it from any thread).
    pub fn with_cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = flag;
        self
    }

    /// This control calling `progress` with the operation's [`Progress`].
    pub fn with_progress<'b>(self, progress: &'b (dyn Fn(Progress) + Sync)) -> Control<'b>
    where
        'a: 'b,
    {
        Control {
            cancel: self.cancel,
            progress: Some(progress),
        }
    }

    /// Asks the operation to stop (see [`Control`]).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether [`Control::cancel`] was called (or the shared flag set).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The cancellation flag, to hand to the lower-level functions' `cancel` options.
    pub fn cancel_flag(&self) -> &Arc<AtomicBool> {
        &self.cancel
    }

    /// Whether a progress callback is set (a front end may skip work meant only for it).
    pub fn has_progress(&self) -> bool {
        self.progress.is_some()
    }

    /// Calls the progress callback, if any, with `p`.
    pub fn report(&self, p: Progress) {
        if let Some(f) = self.progress {
            f(p);
        }
    }
}
