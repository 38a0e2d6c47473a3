//! [`WatchRequest`]: keep a catalogue current while another program (slarchive, ringserver,
//! SeisComP, `siqaco update`...) writes the archive (`siqaco watch`, docs/watch.md).
//!
//! File-system events (inotify on Linux, through the `notify` crate) name the files that
//! changed; each is indexed at most once per debounce interval, by
//! [`Catalogue::follow`] (a file that grew is read from the end of its last complete
//! record; a file replaced or truncated is read whole; a file gone has its rows removed).
//! A rescan of the whole archive runs at start, every `rescan_s` seconds (the fallback for
//! network file systems, which send no events) and when events were lost (the kernel's
//! queue or ours overflowed, a directory appeared).

use super::{require, Control, IndexRequest};
use crate::archive::Archive;
use crate::error::{Error, Result};
use crate::index::{Catalogue, FollowReport, IndexOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Follow an archive and keep its catalogue current (`siqaco watch ROOT --db CATALOGUE`,
/// docs/watch.md). Build with [`WatchRequest::new`] (the defaults) and set fields.
///
/// ```no_run
/// use siqaco::ops::{Control, WatchRequest};
/// let mut r = WatchRequest::new("/data/sds", "/data/sds.sqlite");
/// r.once = true; // one catch-up pass (cron)
/// let report = r.run(&Control::new())?;
/// println!("{} byte(s) read", report.totals.bytes_read);
/// # Ok::<(), siqaco::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WatchRequest {
    /// The archive root, the catalogue, the layout and the indexing options (those of
    /// `siqaco index`; the catalogue ends as an index run would write it).
    pub index: IndexRequest,
    /// One catch-up pass (the rescan), then return (for cron); default `false`: follow
    /// until cancelled.
    pub once: bool,
    /// Seconds between the first event of a file and its indexing (default 0.5): a file
    /// written every 100 ms is indexed twice a second, not ten times. At least 0.
    pub debounce_s: f64,
    /// Seconds between rescans of the whole archive (default 60; 0: only at start and
    /// when events were lost).
    pub rescan_s: f64,
    /// Files waiting for their debounce interval at most (default 100 000, at least 1);
    /// beyond, they are dropped and a rescan is run instead (bounded memory).
    pub max_pending: usize,
}

/// What a [`WatchRequest`] did, from its start until it returned. Serialises as the counts
/// of [`FollowReport`] (summed over all passes) with `rescans` and `passes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WatchReport {
    /// Files read whole, files extended, bytes read, rows written... over all passes.
    #[serde(flatten)]
    pub totals: FollowReport,
    /// Rescans of the whole archive (the first one included).
    pub rescans: u64,
    /// Passes over the files named by events.
    pub passes: u64,
}

/// Events from the `notify` thread, at most this many waiting (then: a rescan).
const EVENT_QUEUE: usize = 4096;

impl WatchRequest {
    /// A request to follow the archive under `root` (SDS unless `index.layout` says
    /// otherwise) into `catalogue`, with the defaults.
    pub fn new(root: impl Into<PathBuf>, catalogue: impl Into<PathBuf>) -> Self {
        WatchRequest {
            index: IndexRequest::new(root, catalogue),
            once: false,
            debounce_s: 0.5,
            rescan_s: 60.0,
            max_pending: 100_000,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first bad field: those of
    /// [`IndexRequest::validate`], a negative or not finite `debounce_s` or `rescan_s`,
    /// `max_pending` = 0.
    pub fn validate(&self) -> Result<()> {
        self.index.validate()?;
        for (v, field) in [(self.debounce_s, "debounce_s"), (self.rescan_s, "rescan_s")] {
            require(v.is_finite() && v >= 0.0, field, || {
                format!("must be a number of seconds, at least 0 (got {v})")
            })?;
        }
        require(self.max_pending >= 1, "max_pending", || {
            "must be at least 1".into()
        })
    }

    /// Follows the archive: a rescan, then (unless `once`) the files named by file-system
    /// events and periodic rescans until `control` is cancelled (the CLI cancels on SIGINT
    /// and SIGTERM). Cancellation is checked every 100 ms and between batches of files;
    /// each batch is written in one transaction, so the catalogue is consistent whenever
    /// it stops. Without file-system events (no inotify, or its watches exhausted) the
    /// watch goes on with rescans only, after a warning.
    ///
    /// # Errors
    /// As [`IndexRequest::validate`] and [`WatchRequest::validate`]; [`Error::Io`] naming
    /// the root when it cannot be read; [`Error::Database`] when the catalogue cannot be
    /// opened or written by the first pass (later passes that fail are logged and retried
    /// by a rescan).
    pub fn run(&self, control: &Control) -> Result<WatchReport> {
        self.validate()?;
        let root =
            std::fs::canonicalize(&self.index.root).map_err(|e| Error::io(&self.index.root, e))?;
        let mut cat = Catalogue::open(&self.index.catalogue)?;
        let mut opts = self.index.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        let archive = Archive::new(&root, self.index.layout.clone());
        let mut w = Watcher {
            cat: &mut cat,
            archive: &archive,
            opts: &opts,
            report: WatchReport::default(),
        };
        // events first, so that nothing written during the first rescan is missed
        let events = if self.once { None } else { start_events(&root) };
        w.pass(None)?;
        if let Some((_watcher, rx, lost)) = events {
            self.follow(&mut w, control, &rx, &lost);
        } else if !self.once {
            let (_, rx) = mpsc::sync_channel(1);
            self.follow(&mut w, control, &rx, &AtomicBool::new(false));
        }
        Ok(w.report)
    }

    /// The loop of events, debounce and rescans until `control` is cancelled. A pass that
    /// fails (the catalogue locked too long, the root unreadable) is logged and followed
    /// by a rescan [`RETRY`] later.
    fn follow(
        &self,
        w: &mut Watcher<'_>,
        control: &Control,
        rx: &mpsc::Receiver<notify::Result<notify::Event>>,
        lost: &AtomicBool,
    ) {
        let debounce = Duration::from_secs_f64(self.debounce_s);
        let every = (self.rescan_s > 0.0).then(|| Duration::from_secs_f64(self.rescan_s));
        let tick = debounce.clamp(Duration::from_millis(10), Duration::from_millis(100));
        let mut next_rescan = every.map(|e| Instant::now() + e);
        // one entry per file: the time of its first event not yet indexed
        let mut pending: HashMap<PathBuf, Instant> = HashMap::new();
        let mut rescan = false;
        let take = |ev: notify::Result<notify::Event>,
                    pending: &mut HashMap<PathBuf, Instant>,
                    rescan: &mut bool| match ev {
            Ok(ev) => {
                if ev.need_rescan() || directory_changed(&ev) {
                    *rescan = true;
                }
                if relevant(&ev.kind) {
                    let now = Instant::now();
                    for p in ev.paths {
                        pending.entry(p).or_insert(now);
                    }
                }
            }
            Err(e) => {
                tracing::warn!("file-system events: {e}; rescanning");
                *rescan = true;
            }
        };
        while !control.is_cancelled() {
            match rx.recv_timeout(tick) {
                Ok(ev) => {
                    take(ev, &mut pending, &mut rescan);
                    while let Ok(ev) = rx.try_recv() {
                        take(ev, &mut pending, &mut rescan);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // no events (rescans only)
                Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(tick),
            }
            if lost.swap(false, Ordering::Relaxed) {
                tracing::warn!("file-system events lost (queue full); rescanning");
                rescan = true;
            }
            if pending.len() > self.max_pending {
                tracing::warn!("{} files pending; rescanning instead", pending.len());
                rescan = true;
            }
            let now = Instant::now();
            if rescan || next_rescan.is_some_and(|t| now >= t) {
                pending.clear();
                rescan = false;
                next_rescan = match w.pass(None) {
                    Ok(()) => every.map(|e| Instant::now() + e),
                    Err(_) => Some(Instant::now() + RETRY),
                };
                continue;
            }
            let ready: Vec<PathBuf> = pending
                .iter()
                .filter(|(_, t)| now.duration_since(**t) >= debounce)
                .map(|(p, _)| p.clone())
                .collect();
            if !ready.is_empty() {
                for p in &ready {
                    pending.remove(p);
                }
                if w.pass(Some(&ready)).is_err() {
                    next_rescan = Some(Instant::now() + RETRY);
                }
            }
        }
    }
}

/// How long after a failed pass the rescan that retries it runs.
const RETRY: Duration = Duration::from_secs(5);

/// Whether an event created, removed or renamed a directory: the files under it were not
/// named one by one (those written into a new directory before its watch was set up, those
/// of a directory moved in or renamed), so a rescan finds them.
fn directory_changed(ev: &notify::Event) -> bool {
    use notify::event::{CreateKind, ModifyKind, RemoveKind};
    use notify::EventKind;
    match ev.kind {
        EventKind::Create(CreateKind::Folder) | EventKind::Remove(RemoveKind::Folder) => true,
        EventKind::Modify(ModifyKind::Name(_)) => ev.paths.iter().any(|p| p.is_dir()),
        _ => false,
    }
}

/// Whether an event may mean a file's bytes changed (not reads, opens, attribute changes:
/// reading a file, as the watch itself does, must not cause another pass).
fn relevant(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, ModifyKind};
    use notify::EventKind;
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        EventKind::Any | EventKind::Other => true,
    }
}

/// The `notify` watcher of `root` (recursive), its events and the flag set when events
/// were dropped; `None`, after a warning, when it cannot be started.
#[allow(clippy::type_complexity)]
fn start_events(
    root: &Path,
) -> Option<(
    notify::RecommendedWatcher,
    mpsc::Receiver<notify::Result<notify::Event>>,
    Arc<AtomicBool>,
)> {
    use notify::Watcher as _;
    let (tx, rx) = mpsc::sync_channel(EVENT_QUEUE);
    let lost = Arc::new(AtomicBool::new(false));
    let flag = lost.clone();
    let handler = move |ev: notify::Result<notify::Event>| {
        if tx.try_send(ev).is_err() {
            flag.store(true, Ordering::Relaxed);
        }
    };
    let started = notify::recommended_watcher(handler).and_then(|mut w| {
        w.watch(root, notify::RecursiveMode::Recursive)?;
        Ok(w)
    });
    match started {
        Ok(w) => Some((w, rx, lost)),
        Err(e) => {
            tracing::warn!(
                "{}: no file-system events ({e}); following by rescans only",
                root.display()
            );
            None
        }
    }
}

/// The catalogue being kept current and the counts so far.
struct Watcher<'a> {
    cat: &'a mut Catalogue,
    archive: &'a Archive,
    opts: &'a IndexOptions,
    report: WatchReport,
}

impl Watcher<'_> {
    /// One pass: the files at `paths`, or a rescan with `None`; logged (its error too),
    /// counted.
    fn pass(&mut self, paths: Option<&[PathBuf]>) -> Result<()> {
        let what = if paths.is_none() { "rescan" } else { "events" };
        let r = self
            .cat
            .follow(self.archive, self.opts, paths)
            .inspect_err(|e| tracing::error!("{what}: {e}"))?;
        match paths {
            None => self.report.rescans += 1,
            Some(_) => self.report.passes += 1,
        }
        if r.changed() || paths.is_none() {
            tracing::info!(
                "{what}: {} file(s) read whole, {} extended, {} removed, {} unchanged; \
                 {} byte(s) read, {} row(s) written",
                r.files_indexed_whole,
                r.files_extended,
                r.files_removed,
                r.files_unchanged,
                r.bytes_read,
                r.rows_written
            );
        }
        self.report.totals.add(&r);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked() {
        let mut r = WatchRequest::new("/nowhere", "x.sqlite");
        assert!(r.validate().is_ok());
        r.debounce_s = -1.0;
        assert_eq!(r.validate().unwrap_err().field_name(), Some("debounce_s"));
        r.debounce_s = 0.5;
        r.rescan_s = f64::NAN;
        assert_eq!(r.validate().unwrap_err().field_name(), Some("rescan_s"));
        r.rescan_s = 1.0;
        r.max_pending = 0;
        assert_eq!(r.validate().unwrap_err().field_name(), Some("max_pending"));
    }
}
