//! Merging patch files into an archive on disk: read, merge, verify, replace atomically
//! under a journal.
//!
//! # Journal
//!
//! A run that changes files writes `ROOT/.siqaco-merge-journal.json` (hidden, so listings
//! skip it) with [`write_atomic`]:
//!
//! 1. journal `staging` listing every target day file and its staged file
//!    (`.NAME.siqaco-merge-new` beside it);
//! 2. each staged file written (not yet synced): runs of records copied unchanged from an
//!    input or day file that lie in one file go with `copy_file_range` from that file
//!    (page cache to page cache, as `cp` copies), and are then read back and compared
//!    with the bytes that were read and verified (the file may have changed since): the
//!    staged file holds exactly the verified bytes before anything is synced
//!    (`write_unsynced_from`); the rest, and everything where the kernel cannot copy,
//!    is written from the merge's buffers (`writev`);
//! 3. journal rewritten as `commit`;
//! 4. each staged file renamed over its target (atomic); a day that holds no record any
//!    more is removed; then each directory of a renamed or removed file synced once;
//! 5. journal removed.
//!
//! [`recover`], run at the start of every merge (and of every run that writes into the
//! archive, [`tidy_root`]), rolls a `staging` journal back (deletes the staged files; no
//! target was touched) and a `commit` journal forward (renames the staged files still
//! there). Whenever the process is killed, every day file is either its old or its new
//! version, and the next run finishes the job. When the journal cannot be written (disk
//! full), the staged files are removed at once (`Staging::commit`).
//!
//! A merge that writes holds the archive lock ([`ArchiveLock`], `ROOT/.siqaco-update.lock`)
//! from its recovery to its commit: a second merge or an `update` into the same archive
//! fails at once instead of rolling back the journal of a live run. The leftovers of
//! killed runs (the rule of [`crate::archive::leftover`]) are removed from the root at the
//! start and from each directory a day file is staged in, before staging there.

use super::verify::{verify_ranked, OutPart};
use super::{merge_ranked, rank, scan_recs, to_recs, ArchiveDay, DayStats, MergeOptions, Rec};
use crate::archive::leftover::{clean_dir, Scope, MERGE_STAGED_SUFFIX};
use crate::archive::{
    read_aligned, read_range_aligned, sync_dir, sync_file, tidy_root, will_need, write_atomic,
    write_unsynced_from, AlignedBytes, Archive, ArchiveLock, Layout, ReadFrom,
};
use crate::error::{Error, ErrorKind, Result};
use crate::record::{RecordScanner, ScanItem};
use crate::scan::{scan_file, CHUNK_BYTES};
use crate::sid::Nslc;
use crate::time::{format_date, NS_PER_DAY};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

pub use crate::archive::leftover::JOURNAL_NAME;

/// One patch input: a miniSEED file, or a directory whose files (recursively, hidden ones
/// excepted) are all read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeInput {
    /// File or directory.
    pub path: PathBuf,
    /// Priority, smaller is better (1 = best).
    pub priority: i32,
}

impl MergeInput {
    /// One input per path with the priorities of `siqaco merge --priority`: none given
    /// means 1 for every input, one value applies to every input, otherwise one value per
    /// input, in order.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for the field `priority` when there are several priorities
    /// but not one per input.
    pub fn with_priorities(paths: &[PathBuf], priorities: &[i32]) -> Result<Vec<MergeInput>> {
        let priorities = match priorities.len() {
            0 => vec![1; paths.len()],
            1 => vec![priorities[0]; paths.len()],
            n if n == paths.len() => priorities.to_vec(),
            n => {
                return Err(Error::field(
                    "priority",
                    format!(
                        "{n} values for {} inputs (give one, or one per input)",
                        paths.len()
                    ),
                ))
            }
        };
        Ok(paths
            .iter()
            .zip(priorities)
            .map(|(p, priority)| MergeInput {
                path: p.clone(),
                priority,
            })
            .collect())
    }
}

/// What the merge does to one day file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DayChange {
    /// Stream, `NET.STA.LOC.CHA`.
    pub stream: String,
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// The UTC day, 00:00 in ns since 1970-01-01 (not in the JSON document, which has
    /// `day`).
    #[serde(skip)]
    pub day_start_ns: i64,
    /// The day file.
    pub path: PathBuf,
    /// Whether its content changes.
    pub changed: bool,
    /// Whether the file is new.
    pub created: bool,
    /// Sample counts.
    pub stats: DayStats,
}

/// The outcome of a merge ([`crate::ops::MergeRequest::run`]; `siqaco merge --json` is its
/// serialisation).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeReport {
    /// Every day file considered, by stream and day.
    pub days: Vec<DayChange>,
    /// Problems that did not stop the merge.
    pub warnings: Vec<String>,
    /// Files written (0 in a dry run).
    pub files_written: usize,
    /// Whether an interrupted earlier run was completed or rolled back first.
    pub recovered: bool,
    /// Whether the run was cancelled (through the [`crate::ops::Control`]): then nothing was
    /// written and `days` lists only the streams merged before it stopped.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Journal {
    state: String,
    entries: Vec<Entry>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    target: PathBuf,
    /// `None`: remove the target.
    staged: Option<PathBuf>,
}

/// The staged file of `target`: `.NAME.siqaco-merge-new`, or `.NAME.<tag>.siqaco-merge-new`
/// for a worker sharing the archive (its [`SharedWriter::tag`]), so that no other
/// worker's recovery takes it for its own.
fn staged_path(target: &Path, tag: Option<&str>) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match tag {
        Some(t) => target.with_file_name(format!(".{name}.{t}{MERGE_STAGED_SUFFIX}")),
        None => target.with_file_name(format!(".{name}{MERGE_STAGED_SUFFIX}")),
    }
}

/// A merge by one of several workers writing into one archive at once (`siqaco update`
/// with a PostgreSQL catalogue, [`crate::update::claims`]): instead of the archive's
/// exclusive lock and its journal in the root, the worker's own journal in its staging
/// directory, staged files carrying the worker's tag, and the locks of the streams merged
/// (every day file belongs to one stream) held from before their day files are read
/// until the staged files replaced them.
pub(crate) struct SharedWriter<'a> {
    /// The worker's staging directory, `ROOT/.siqaco-staging/<worker>`: its journal is
    /// `JOURNAL_NAME` in it.
    pub(crate) dir: PathBuf,
    /// Put in the names of the staged files (`.NAME.<tag>.siqaco-merge-new`).
    pub(crate) tag: String,
    /// Takes the locks of the streams given (sorted, each once) and returns a guard that
    /// releases them when dropped.
    #[allow(clippy::type_complexity)]
    pub(crate) lock_streams: &'a (dyn Fn(&[Nslc]) -> Result<Box<dyn Send + 'a>> + Sync),
}

/// Removes what a dead worker's journal `jpath` names as staged (whatever its state: a
/// worker sharing the archive is never rolled forward by another, whose stream locks it
/// does not hold; each day file is its old or its new version, and what the old one
/// misses is asked again by the request the dead worker held) and the journal itself;
/// returns whether there was one.
///
/// # Errors
/// [`Error::InvalidData`] for an unreadable journal, [`Error::Io`] when it cannot be
/// removed.
pub(crate) fn discard_journal(root: &Path, jpath: &Path) -> Result<bool> {
    let text = match fs::read(jpath) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(jpath, e)),
    };
    let j: Journal = serde_json::from_slice(&text)
        .map_err(|e| Error::invalid_data(jpath, 0, format!("merge journal: {e}")))?;
    for s in j.entries.iter().filter_map(|e| e.staged.as_ref()) {
        let _ = fs::remove_file(root.join(s));
    }
    fs::remove_file(jpath).map_err(|e| Error::io(jpath, e))?;
    Ok(true)
}

fn sync_parent(p: &Path) -> Result<()> {
    if let Some(d) = p.parent() {
        #[cfg(unix)]
        fs::File::open(d)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(d, e))?;
    }
    Ok(())
}

/// Finishes (or rolls back) a run interrupted under `root`; returns whether there was one.
///
/// # Errors
/// [`Error::InvalidData`] for an unreadable journal, [`Error::Io`] when a file cannot be
/// renamed or removed (the journal is kept so that a later run tries again).
pub fn recover(root: &Path) -> Result<bool> {
    recover_journal(root, &root.join(JOURNAL_NAME))
}

/// [`recover`] of the journal `jpath` (the root's, or a worker's own, [`SharedWriter`]).
fn recover_journal(root: &Path, jpath: &Path) -> Result<bool> {
    let jpath = jpath.to_path_buf();
    let text = match fs::read(&jpath) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(&jpath, e)),
    };
    let j: Journal = serde_json::from_slice(&text)
        .map_err(|e| Error::invalid_data(&jpath, 0, format!("merge journal: {e}")))?;
    // the directories of the targets renamed or removed: each synced once, after all
    // its renames, before the journal goes
    let mut changed: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
    for e in &j.entries {
        let target = root.join(&e.target);
        match (&e.staged, j.state.as_str()) {
            (Some(s), "commit") => {
                let s = root.join(s);
                if s.exists() {
                    fs::rename(&s, &target).map_err(|err| Error::io(&target, err))?;
                    changed.extend(target.parent().map(Path::to_path_buf));
                }
            }
            (None, "commit") => {
                if target.exists() {
                    fs::remove_file(&target).map_err(|err| Error::io(&target, err))?;
                    changed.extend(target.parent().map(Path::to_path_buf));
                }
            }
            (Some(s), _) => {
                let _ = fs::remove_file(root.join(s));
            }
            (None, _) => {}
        }
    }
    changed.par_iter().try_for_each(|d| sync_dir(d))?;
    fs::remove_file(&jpath).map_err(|e| Error::io(&jpath, e))?;
    sync_parent(&jpath)?;
    Ok(true)
}

/// A journaled replacement of files under `root` built up piece by piece: each
/// [`Staging::stage`] lists its files in the `staging` journal (rewritten with
/// [`write_atomic`]) **before** writing their staged copies, so a run killed at any moment
/// leaves a journal naming every staged file that may exist; [`Staging::commit`] turns
/// the journal to `commit` and renames; [`Staging::abort`] removes the staged files.
/// Several threads may stage at once.
pub(crate) struct Staging<'w> {
    root: PathBuf,
    /// An archive in a bucket: the new day objects are held here until the commit, then
    /// written by `bucket` (one PUT each, under the catalogue's journal) instead of staged
    /// beside their targets.
    bucket: Option<&'w dyn ObjectWriter>,
    /// Bucket: the new objects staged (`None`: remove) and the version (ETag; `None`: no
    /// object) of each day object as this run read it.
    objects: std::sync::Mutex<HeldObjects>,
    /// The journal: `ROOT/.siqaco-merge-journal.json`, or a worker's own.
    jpath: PathBuf,
    /// A worker's tag in the staged names ([`SharedWriter`]); `None` under the archive
    /// lock.
    tag: Option<String>,
    /// The directories whose leftovers were removed ([`clean_dir`]) before staging there.
    cleaned: std::sync::Mutex<std::collections::HashSet<PathBuf>>,
    journal: std::sync::Mutex<Journal>,
    /// Staged files written but not yet synced.
    unsynced: std::sync::Mutex<Vec<PathBuf>>,
}

/// The day objects of a bucket a merge holds until its commit: the new contents
/// (`None`: remove) and the version (ETag; `None`: no object) of each as read.
type HeldObjects = (
    Vec<(PathBuf, Option<Vec<u8>>)>,
    HashMap<PathBuf, Option<String>>,
);

/// One day object of a bucket to write: the object (`s3://bucket/key`), its new content
/// (`None`: remove it) and the version the merge read (its ETag; `None`: there was no
/// object), which the write asks for so that a concurrent writer is detected.
#[cfg_attr(
    not(all(feature = "update", feature = "objectstore")),
    allow(dead_code)
)]
pub(crate) struct ObjectWrite {
    /// The object.
    pub target: PathBuf,
    /// The new content, `None` to remove the object.
    pub bytes: Option<Vec<u8>>,
    /// The ETag of the object the merge read, `None` when there was none.
    pub read_etag: Option<String>,
}

/// How a merge into an archive in a bucket journals and writes its day objects
/// (`merge/bucket.rs`): the one difference from a directory archive, whose day files are
/// staged beside their targets and renamed under the journal file.
pub(crate) trait ObjectWriter: Sync {
    /// Writes `objects` (every one verified) under the journal; returns how many.
    ///
    /// # Errors
    /// The store's or the catalogue's; the journal then lets the next run's recovery say
    /// which objects were written.
    fn write_objects(&self, objects: Vec<ObjectWrite>) -> Result<usize>;
}

impl<'w> Staging<'w> {
    /// A replacement under `root`, whose archive lock the caller holds (`_lock`: the
    /// leftovers of the directories it stages in are removed under it); nothing is written
    /// until the first [`Staging::stage`].
    pub fn new(root: &Path, _lock: &ArchiveLock) -> Staging<'w> {
        Staging::with_journal(root, root.join(JOURNAL_NAME), None)
    }

    /// A replacement of day objects of the bucket archive `root`, written by `writer`
    /// at the commit.
    fn objects(root: &Path, writer: &'w dyn ObjectWriter) -> Staging<'w> {
        Staging {
            bucket: Some(writer),
            ..Staging::with_journal(root, PathBuf::new(), None)
        }
    }

    /// Notes the version of the day file `path` this run read (`etag`; `None`: absent),
    /// for the conditional write of a bucket's object. Nothing for a directory archive.
    #[cfg_attr(not(feature = "objectstore"), allow(dead_code))]
    fn read_version(&self, path: &Path, etag: Option<String>) {
        if self.bucket.is_some() {
            let mut o = self.objects.lock().unwrap_or_else(|e| e.into_inner());
            o.1.insert(path.to_path_buf(), etag);
        }
    }

    /// A replacement under `root` by one of several workers ([`SharedWriter`]): its
    /// journal in the worker's directory, its tag in the staged names; the leftovers of
    /// the directories it stages in are removed only when their writer is dead (no lock
    /// says that no other worker writes there).
    fn shared(root: &Path, w: &SharedWriter<'_>) -> Staging<'w> {
        Staging::with_journal(root, w.dir.join(JOURNAL_NAME), Some(w.tag.clone()))
    }

    fn with_journal(root: &Path, jpath: PathBuf, tag: Option<String>) -> Staging<'w> {
        Staging {
            root: root.to_path_buf(),
            bucket: None,
            objects: std::sync::Mutex::new((Vec::new(), HashMap::new())),
            jpath,
            tag,
            cleaned: std::sync::Mutex::new(std::collections::HashSet::new()),
            journal: std::sync::Mutex::new(Journal {
                state: "staging".into(),
                entries: Vec::new(),
            }),
            unsynced: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Lists `files` in the journal, then writes the staged copies: `(target, Some(parts))`
    /// a new content, the concatenation of the parts (written with vectored writes),
    /// `(target, None)` a removal. Targets are paths under the root.
    ///
    /// # Errors
    /// [`Error::Io`]; call [`Staging::abort`] then.
    pub fn stage(&self, files: &[(PathBuf, Option<Vec<&[u8]>>)]) -> Result<()> {
        self.stage_from(files, &[])
    }

    /// [`Staging::stage`] of parts that lie (many of them) in the buffers `sources`, read
    /// from files: runs of them are copied from those files with `copy_file_range` and
    /// proved equal to the buffers' bytes ([`write_unsynced_from`]), unless the test hook
    /// `SIQACO_MERGE_COPY_RANGE=0` asks for `writev` from the buffers only.
    ///
    /// # Errors
    /// As [`Staging::stage`].
    pub(crate) fn stage_from(
        &self,
        files: &[(PathBuf, Option<Vec<&[u8]>>)],
        sources: &[ReadFrom<'_>],
    ) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        if self.bucket.is_some() {
            // held until the commit: a bucket has no rename, so nothing is written before
            let mut o = self.objects.lock().unwrap_or_else(|e| e.into_inner());
            o.0.extend(
                files
                    .iter()
                    .map(|(t, b)| (t.clone(), b.as_ref().map(|p| p.concat()))),
            );
            return Ok(());
        }
        let rel = |p: &Path| p.strip_prefix(&self.root).unwrap_or(p).to_path_buf();
        {
            let mut j = self.journal.lock().unwrap_or_else(|e| e.into_inner());
            j.entries.extend(files.iter().map(|(t, b)| {
                Entry {
                    target: rel(t),
                    staged: b
                        .as_ref()
                        .map(|_| rel(&staged_path(t, self.tag.as_deref()))),
                }
            }));
            write_journal(&self.jpath, &j)?;
        }
        for (t, _) in files {
            let Some(dir) = t.parent() else { continue };
            // Cleaned under the mutex: another stream staging in the same directory waits
            // until the leftovers are gone, so its new staged file is never taken for one.
            let mut cleaned = self.cleaned.lock().unwrap_or_else(|e| e.into_inner());
            if !cleaned.contains(dir) {
                clean_dir(dir, self.tag.is_none(), Scope::Files)?;
                cleaned.insert(dir.to_path_buf());
            }
        }
        for (t, b) in files {
            if let Some(b) = b {
                // The journal names it already: a partial staged file is removed by a
                // roll-back, and [`Staging::commit`] syncs it before the journal says
                // `commit`.
                let staged = staged_path(t, self.tag.as_deref());
                write_unsynced_from(&staged, b, t, sources, copy_ranges())?;
                self.unsynced
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(staged);
                step_delay();
            }
        }
        Ok(())
    }

    /// Turns the journal to `commit` and replaces every staged target ([`recover`]);
    /// returns the number of files replaced or removed.
    ///
    /// # Errors
    /// [`Error::Io`]. When the staged files cannot be synced or the `commit` journal cannot
    /// be written (disk full), the journal on disk is applied at once ([`recover`]: it
    /// still says `staging`, so the staged files are removed and no target is touched) and
    /// the error is returned. When a rename fails, the `commit` journal is kept, so the
    /// next run's [`recover`] completes the job.
    pub fn commit(self) -> Result<usize> {
        self.commit_with(write_journal)
    }

    /// [`Staging::commit`] with the writer of the `commit` journal (tests make it fail).
    fn commit_with(
        self,
        journal_writer: impl FnOnce(&Path, &Journal) -> Result<()>,
    ) -> Result<usize> {
        if let Some(writer) = self.bucket {
            let (objects, mut read) = self.objects.into_inner().unwrap_or_else(|e| e.into_inner());
            if objects.is_empty() {
                return Ok(0);
            }
            return writer.write_objects(
                objects
                    .into_iter()
                    .map(|(target, bytes)| ObjectWrite {
                        read_etag: read.remove(&target).flatten(),
                        target,
                        bytes,
                    })
                    .collect(),
            );
        }
        let mut j = self.journal.into_inner().unwrap_or_else(|e| e.into_inner());
        if j.entries.is_empty() {
            return Ok(0);
        }
        let staged = self
            .unsynced
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let committed = (|| {
            // Every staged file and its directory on disk before the journal says `commit`
            // (in parallel: the disk takes several requests at once).
            staged.par_iter().try_for_each(|p| sync_file(p))?;
            let dirs: std::collections::BTreeSet<&Path> =
                staged.iter().filter_map(|p| p.parent()).collect();
            dirs.into_par_iter().try_for_each(sync_dir)?;
            j.state = "commit".into();
            journal_writer(&self.jpath, &j)
        })();
        if let Err(e) = committed {
            if let Err(r) = recover_journal(&self.root, &self.jpath) {
                tracing::warn!("after {e}: {r}");
            }
            return Err(e);
        }
        recover_journal(&self.root, &self.jpath)?;
        Ok(j.entries.len())
    }

    /// Removes the staged files and the journal: no target was touched.
    ///
    /// # Errors
    /// [`Error::Io`] when the journal cannot be removed.
    pub fn abort(self) -> Result<()> {
        let j = self.journal.into_inner().unwrap_or_else(|e| e.into_inner());
        // a bucket's objects were only held (nothing written before the commit)
        if j.entries.is_empty() {
            return Ok(());
        }
        recover_journal(&self.root, &self.jpath).map(|_| ())
    }
}

/// Writes the journal of a run to `jpath`.
fn write_journal(jpath: &Path, j: &Journal) -> Result<()> {
    let json = serde_json::to_vec_pretty(j).expect("journal serialises");
    write_atomic(jpath, &json)?;
    step_delay();
    Ok(())
}

/// Replaces files under `root`, whose archive lock the caller holds, as one journaled
/// transaction: `(target, Some(bytes))` writes, `(target, None)` removes. Targets are
/// paths under `root`.
///
/// # Errors
/// [`Error::Io`]; a failure leaves the journal, so [`recover`] completes or undoes it.
pub fn replace_files(
    root: &Path,
    files: &[(PathBuf, Option<Vec<u8>>)],
    lock: &ArchiveLock,
) -> Result<()> {
    let staging = Staging::new(root, lock);
    let files: Vec<(PathBuf, Option<Vec<&[u8]>>)> = files
        .iter()
        .map(|(t, b)| (t.clone(), b.as_deref().map(|b| vec![b])))
        .collect();
    staging.stage(&files)?;
    staging.commit().map(|_| ())
}

/// Test hook: `SIQACO_MERGE_STEP_DELAY_MS` pauses between journal steps, so that tests can
/// kill the process in the middle of a replacement.
pub(super) fn step_delay() {
    if let Some(ms) = std::env::var_os("SIQACO_MERGE_STEP_DELAY_MS")
        .and_then(|v| v.to_str().and_then(|s| s.parse::<u64>().ok()))
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Test hook: `SIQACO_MERGE_COPY_RANGE=0` stages every day file with `writev` from the
/// merge's buffers (the fallback where `copy_file_range` is not supported), so that tests
/// run both ways.
fn copy_ranges() -> bool {
    std::env::var_os("SIQACO_MERGE_COPY_RANGE").is_none_or(|v| v != "0")
}

/// Reads every file of an input (a file, or all non-hidden files under a directory).
fn input_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_dir() {
        Ok(Archive::new(path, Layout::Files)
            .list_files(&[], None)?
            .into_iter()
            .map(|f| f.path)
            .collect())
    } else {
        Ok(vec![path.to_path_buf()])
    }
}

/// What one stream contributes to a merge: its files to replace and its day reports.
#[derive(Default)]
struct StreamOutcome {
    days: Vec<DayChange>,
    warnings: Vec<String>,
    /// A file only peeked at ([`peek`]) holds records of another stream: nothing was
    /// merged, and the run starts again with every file located ([`locate`]).
    other_streams: bool,
}

/// Where the records of one stream lie in one input file.
struct Located {
    /// Index of the file in the list of input files.
    file: usize,
    /// From the start of its first record to the end of its last (read at once).
    span: std::ops::Range<u64>,
    /// Each record's bytes, in file order; empty for a file only peeked at ([`peek`]),
    /// whose every record is expected to be of the stream (the merge checks each).
    records: Vec<std::ops::Range<u64>>,
    /// The UTC days (00:00 in ns) of the first and last sample times of its records, as
    /// [`days_touched`] gives them; for a file only peeked at, those of its first record
    /// (what [`prefetch`] reads ahead; the merge finds the others as it reads the records).
    days: (i64, i64),
    /// Whether the file was only peeked at.
    peeked: bool,
}

/// How many bytes [`peek`] reads at the start of a file.
const PEEK_BYTES: u64 = 64 * 1024;

/// The stream of input file `path` (number `file`) from its first record alone, when its
/// name says it holds that stream's records only: an SDS day file, named
/// `NET.STA.LOC.CHAN.TYPE.YEAR.DAY`, whose first record is of `NET.STA.LOC.CHAN`. The
/// file is then read once, by the merge of that stream, instead of twice (its headers
/// scanned by [`locate`] first: a tenth of the merge benchmark's CPU); the merge checks
/// every record's stream and, at the first of another, the run starts again with every
/// file located. `None` (locate it) for any other file, or one whose first bytes are not
/// a record; a file it cannot read is left to [`locate`] too, which names the error.
fn peek(file: usize, path: &Path) -> Option<(Nslc, Located)> {
    let size = fs::metadata(path).ok().filter(|m| m.is_file())?.len();
    let name = path.file_name()?.to_str()?;
    if size == 0 || name.split('.').count() != 7 {
        return None;
    }
    let head = read_range_aligned(path, 0, size.min(PEEK_BYTES) as usize).ok()?;
    let Some(ScanItem::Record { offset: 0, header }) = RecordScanner::new(&head).next() else {
        return None;
    };
    let nslc = header.nslc();
    name.starts_with(&format!("{nslc}.")).then(|| {
        let located = Located {
            file,
            span: 0..size,
            records: Vec::new(),
            days: header.days(),
            peeked: true,
        };
        (nslc, located)
    })
}

/// Scans the record headers of input file `path` (number `file`), a chunk at a time
/// ([`scan_file`]): where the records of each of its streams lie, streams in order of
/// first appearance.
///
/// # Errors
/// [`Error::Io`] when it cannot be read, [`Error::InvalidData`] naming the file and the
/// offset of the first bytes that are not a record (an input is never merged in part).
fn locate(file: usize, path: &Path) -> Result<Vec<(Nslc, Located)>> {
    let mut found: Vec<(Nslc, Located)> = Vec::new();
    // stream key (format version and raw codes) -> index in `found`
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut last: Option<(Vec<u8>, usize)> = None;
    let mut failure: Option<(u64, String)> = None;
    let scanned = scan_file(path, CHUNK_BYTES, |item| match item {
        ScanItem::Record { offset, header } => {
            let range = offset..offset + header.record_length as u64;
            let days = header.days();
            let key = header.stream_key();
            let i = match &last {
                Some((k, i)) if k[0] == header.format_version && k[1..] == *key => *i,
                _ => {
                    let mut k = Vec::with_capacity(key.len() + 1);
                    k.push(header.format_version);
                    k.extend_from_slice(key);
                    let i = *index.entry(k.clone()).or_insert_with(|| {
                        found.push((
                            header.nslc(),
                            Located {
                                file,
                                span: range.clone(),
                                records: Vec::new(),
                                days,
                                peeked: false,
                            },
                        ));
                        found.len() - 1
                    });
                    last = Some((k, i));
                    i
                }
            };
            let l = &mut found[i].1;
            l.span.end = range.end;
            l.records.push(range);
            l.days = (l.days.0.min(days.0), l.days.1.max(days.1));
        }
        ScanItem::Invalid {
            offset, message, ..
        } => {
            failure.get_or_insert((offset, message));
        }
    });
    scanned.map_err(|e| Error::io(path, e))?;
    if let Some((offset, message)) = failure {
        return Err(Error::invalid_data(path, offset, message));
    }
    Ok(found)
}

/// Names the file and byte offset of a record whose samples could not be decoded: `e` is
/// an [`Error::InvalidData`] without a path (as [`decode_record`](crate::codec::decode_record)
/// gives it), and the record is the first one of `sources` (bytes, their file, the file
/// offset of their first byte) whose decoding fails with the same message. Any other
/// error, or one whose record is not found, is returned as it is. Runs only on the error
/// path (it decodes the sources' records again).
fn name_decode_error<'s>(
    e: Error,
    sources: impl Iterator<Item = (&'s [u8], &'s Path, u64)>,
) -> Error {
    let Error::InvalidData { path, message, .. } = &e else {
        return e;
    };
    if !path.as_os_str().is_empty() {
        return e;
    }
    for (bytes, file, base) in sources {
        for item in RecordScanner::new(bytes) {
            if let ScanItem::Record { offset, header } = item {
                if let Err(Error::InvalidData { message: m, .. }) =
                    crate::codec::decode_record(header.raw)
                {
                    if m == *message {
                        return Error::invalid_data(file, base + offset, m);
                    }
                }
            }
        }
    }
    e
}

/// `e` naming `file` when it is an [`Error::InvalidData`] without a path: its offset is
/// then one in the bytes of `file` from offset `base`.
fn in_file(e: Error, file: &Path, base: u64) -> Error {
    match e {
        Error::InvalidData {
            path,
            offset,
            message,
        } if path.as_os_str().is_empty() => Error::invalid_data(file, base + offset, message),
        other => other,
    }
}

/// Merges the patch `inputs` into `archive` (see the [module](super) rules), verifies
/// every new day file ([`verify_stream`](super::verify::verify_stream)) and, unless `dry_run`, replaces the changed
/// ones under a journal. `archive.root()` is created when missing.
///
/// For each stream the day files from the day before the patches' first day to the day
/// after their last (further while archive records reach beyond) are read and rewritten
/// when their content changes.
///
/// Memory holds the streams being merged, not the patch set: the input files' record
/// headers are first scanned a chunk at a time (in parallel) to find where each stream's
/// records lie; each stream then reads its records (per file, the span from its first
/// record to its last), its day files, merges, verifies and stages, and drops them.
/// Streams are merged and verified in parallel (rayon, the global pool). The results are
/// gathered in stream order, so the report, the journal and the files written are the same
/// as a serial run gives. When several streams fail, the error is the first stream's in that order. The
/// changed files of all streams are replaced in one journaled transaction.
///
/// # Errors
/// [`Error::Io`] and [`Error::InvalidData`] naming the file (and byte offset) that cannot
/// be read; [`Error::InvalidData`] with the reason when verification fails (nothing is
/// written then); [`Error::InvalidArgument`] for bad options or a layout without a naming
/// rule; [`Error::Codec`] when samples cannot be re-encoded; [`Error::Io`] (`WouldBlock`)
/// naming `ROOT/.siqaco-update.lock` when another run (a merge, `update`, `stack run`)
/// is writing into the archive (not for a dry run, which takes no lock).
///
/// Stops when `cancel` is set by another thread (Ctrl-C in Python): streams not started
/// are skipped, what was staged is removed, no file is replaced and the report says
/// `cancelled`.
///
/// An archive in a bucket (`s3://` root) is written as `merge/bucket.rs` says, its journal
/// and lock in the catalogue `catalogue` (a SQLite path or PostgreSQL URL; required then,
/// [`Error::InvalidField`] `catalogue` without it; unused for a directory).
pub(crate) fn merge_into(
    archive: &Archive,
    inputs: &[MergeInput],
    opts: &MergeOptions,
    dry_run: bool,
    cancel: Option<&std::sync::atomic::AtomicBool>,
    catalogue: Option<&str>,
) -> Result<MergeReport> {
    opts.output.validate()?;
    if dry_run {
        return merge_run(archive, inputs, opts, None, cancel);
    }
    let root = archive.root();
    #[cfg(all(feature = "objectstore", feature = "update"))]
    if crate::archive::store::is_object_url(root) {
        let target = catalogue.ok_or_else(|| bucket_needs_catalogue(root))?;
        return super::bucket::merge_into_bucket(archive, inputs, opts, target, cancel);
    }
    let _ = catalogue;
    directory_only(root, "merge")?;
    let lock = ArchiveLock::acquire(root)?;
    let recovered = tidy_root(root, Some(&lock))?.recovered;
    let mut report = merge_run(archive, inputs, opts, Some(Writer::Locked(&lock)), cancel)?;
    report.recovered = recovered;
    Ok(report)
}

/// The error of a write into the bucket archive `root` without a catalogue.
pub(crate) fn bucket_needs_catalogue(root: &Path) -> Error {
    Error::field(
        "catalogue",
        format!(
            "{}: an archive in a bucket keeps the journal and the lock of its writers in a \
             catalogue, and none was given",
            root.display()
        ),
    )
}

/// Refuses an archive in a bucket for `command` (`merge` in a build without the
/// `objectstore` and `update` features), which writes into a directory archive then.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the root for an `s3://` root.
pub(crate) fn directory_only(root: &Path, command: &str) -> Result<()> {
    if crate::archive::store::is_object_url(root) {
        return Err(Error::invalid_argument(format!(
            "{}: this siqaco {command} writes into directory archives only (built without \
             the `objectstore` and `update` features)",
            root.display()
        )));
    }
    Ok(())
}

/// [`merge_into`] (not a dry run) by a run that holds the archive lock already and tidied
/// the archive at its start (`update`: its staging directory, which holds `inputs`, is
/// not a leftover); only an interrupted merge is recovered first.
///
/// # Errors
/// As [`merge_into`].
#[cfg(feature = "update")]
pub(crate) fn merge_into_locked(
    archive: &Archive,
    inputs: &[MergeInput],
    opts: &MergeOptions,
    lock: &ArchiveLock,
) -> Result<MergeReport> {
    let recovered = recover(archive.root())?;
    let mut report = merge_run(archive, inputs, opts, Some(Writer::Locked(lock)), None)?;
    report.recovered = recovered;
    Ok(report)
}

/// [`merge_into_locked`] by one of several workers sharing the archive ([`SharedWriter`]):
/// nothing is recovered (each worker's journal is its own; a dead worker's is discarded
/// by [`crate::update::claims`]).
///
/// # Errors
/// As [`merge_into`].
#[cfg(feature = "update")]
pub(crate) fn merge_into_shared(
    archive: &Archive,
    inputs: &[MergeInput],
    opts: &MergeOptions,
    writer: &SharedWriter<'_>,
) -> Result<MergeReport> {
    merge_run(archive, inputs, opts, Some(Writer::Shared(writer)), None)
}

/// [`merge_into_locked`] into an archive in a bucket, whose lock (a catalogue row) the
/// caller holds and whose journal it recovered (`merge/bucket.rs`): the same merge and
/// verification, the day objects written by `writer`; `cancel` as for [`merge_into`].
///
/// # Errors
/// As [`merge_into`]; the store's errors naming the object.
#[cfg(all(feature = "update", feature = "objectstore"))]
pub(crate) fn merge_into_objects(
    archive: &Archive,
    inputs: &[MergeInput],
    opts: &MergeOptions,
    writer: &dyn ObjectWriter,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<MergeReport> {
    merge_run(archive, inputs, opts, Some(Writer::Objects(writer)), cancel)
}

/// Who writes a merge's files: the holder of the archive lock, or one of several workers.
#[derive(Clone, Copy)]
enum Writer<'w, 'a> {
    Locked(&'w ArchiveLock),
    // built by `merge_into_shared` (the update's workers) only
    #[cfg_attr(not(feature = "update"), allow(dead_code))]
    Shared(&'w SharedWriter<'a>),
    /// An archive in a bucket (`merge::bucket`, built by `siqaco update`).
    #[cfg_attr(
        not(all(feature = "update", feature = "objectstore")),
        allow(dead_code)
    )]
    Objects(&'w dyn ObjectWriter),
}

/// The merge of [`merge_into`], after the recovery; `writer`: the archive lock held by a
/// run that writes, or a worker sharing the archive (whose stream locks are taken here);
/// `None` for a dry run.
fn merge_run(
    archive: &Archive,
    inputs: &[MergeInput],
    opts: &MergeOptions,
    writer: Option<Writer<'_, '_>>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<MergeReport> {
    match merge_pass(archive, inputs, opts, writer, cancel, true)? {
        Some(report) => Ok(report),
        None => {
            tracing::debug!("merge: a day file holds other streams: every file located");
            let report = merge_pass(archive, inputs, opts, writer, cancel, false)?;
            Ok(report.expect("a pass that locates every file has no file peeked at"))
        }
    }
}

/// One pass of [`merge_run`]: with `peeking`, SDS day files are only peeked at
/// ([`peek`]), and `Ok(None)` says that one of them held other streams (what was staged
/// is removed); without, every file is located ([`locate`]).
fn merge_pass(
    archive: &Archive,
    inputs: &[MergeInput],
    opts: &MergeOptions,
    writer: Option<Writer<'_, '_>>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
    peeking: bool,
) -> Result<Option<MergeReport>> {
    opts.output.validate()?;
    let root = archive.root();
    let mut report = MergeReport::default();
    // Where each stream's records lie in the input files: their headers scanned a chunk
    // at a time (in parallel; the order of the list is kept), nothing held; SDS day files
    // only peeked at when `peeking`.
    let mut files: Vec<(usize, PathBuf)> = Vec::new();
    for (k, input) in inputs.iter().enumerate() {
        files.extend(input_files(&input.path)?.into_iter().map(|f| (k, f)));
    }
    let located: Vec<Vec<(Nslc, Located)>> = files
        .par_iter()
        .enumerate()
        .map(|(i, (_, f))| match peeking.then(|| peek(i, f)).flatten() {
            Some(found) => Ok(vec![found]),
            None => locate(i, f),
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<_>>()?;
    tracing::debug!(
        files = files.len(),
        bytes = located
            .iter()
            .flatten()
            .map(|(_, l)| l.span.end - l.span.start)
            .sum::<u64>(),
        "merge: inputs scanned"
    );
    // stream -> per input where its records are, in input and file order
    let mut streams: BTreeMap<Nslc, Vec<Vec<Located>>> = BTreeMap::new();
    for ((k, _), found) in files.iter().zip(located) {
        for (nslc, l) in found {
            streams
                .entry(nslc)
                .or_insert_with(|| (0..inputs.len()).map(|_| Vec::new()).collect())[*k]
                .push(l);
        }
    }
    // Each stream is staged as soon as it is verified, so that its new day files are not
    // held in memory; nothing replaces a file before every stream is verified and staged.
    // A worker sharing the archive holds its streams' locks until the staged files are
    // in place (dropped after `staging`).
    let _stream_locks = match writer {
        Some(Writer::Shared(w)) => Some((w.lock_streams)(
            &streams.keys().cloned().collect::<Vec<_>>(),
        )?),
        _ => None,
    };
    let staging = writer.map(|w| match w {
        Writer::Locked(l) => Staging::new(root, l),
        Writer::Shared(w) => Staging::shared(root, w),
        Writer::Objects(w) => Staging::objects(root, w),
    });
    // set when a file peeked at holds other streams: the streams not begun yet are skipped
    let other_streams = std::sync::atomic::AtomicBool::new(false);
    let streams: Vec<(&Nslc, &Vec<Vec<Located>>)> = streams.iter().collect();
    // one stream per rayon task: a worker left without work takes the next stream, not
    // half of the other's share (whose last streams would otherwise run on one core)
    let outcomes: Vec<Result<StreamOutcome>> = streams
        .par_iter()
        .with_max_len(1)
        .enumerate()
        .map(|(i, (nslc, per_input))| {
            if crate::is_cancelled(cancel) || crate::is_cancelled(Some(&other_streams)) {
                return Ok(StreamOutcome::default());
            }
            // A worker takes the streams of its share in order: the next one's files are
            // read ahead while this one is merged.
            if let Some((next, per_input)) = streams.get(i + 1) {
                prefetch(archive, next, per_input, &files);
            }
            // The stream's records are read now and dropped with it: memory holds the
            // streams being merged, not the whole patch set.
            let mut bufs: Vec<(usize, &Located, AlignedBytes)> = Vec::new();
            for (k, locs) in per_input.iter().enumerate() {
                for l in locs {
                    let path = &files[l.file].1;
                    let len = (l.span.end - l.span.start) as usize;
                    let b = read_range_aligned(path, l.span.start, len)
                        .map_err(|e| Error::io(path, e))?;
                    bufs.push((k, l, b));
                }
            }
            let outcome = merge_one_stream(
                archive,
                inputs,
                nslc,
                &bufs,
                &files,
                opts,
                staging.as_ref(),
                cancel,
            );
            if outcome.as_ref().is_ok_and(|o| o.other_streams) {
                other_streams.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            outcome.map_err(|e| {
                let sources = bufs
                    .iter()
                    .map(|(_, l, b)| (&b[..], files[l.file].1.as_path(), l.span.start));
                name_decode_error(e, sources)
            })
        })
        .collect();
    tracing::debug!(
        streams = outcomes.len(),
        "merge: streams merged, verified and staged"
    );
    let mut failure = None;
    for o in outcomes {
        match o {
            Ok(o) => {
                report.days.extend(o.days);
                report.warnings.extend(o.warnings);
            }
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if crate::is_cancelled(cancel) && failure.is_none() {
        report.cancelled = true;
        return match staging {
            Some(staging) => staging.abort().map(|_| Some(report)),
            None => Ok(Some(report)),
        };
    }
    if crate::is_cancelled(Some(&other_streams)) && failure.is_none() {
        return match staging {
            Some(staging) => staging.abort().map(|_| None),
            None => Ok(None),
        };
    }
    match (staging, failure) {
        (Some(staging), Some(e)) => {
            if let Err(a) = staging.abort() {
                tracing::warn!("after {e}: {a}");
            }
            Err(e)
        }
        (None, Some(e)) => Err(e),
        (Some(staging), None) => {
            report.files_written = staging.commit()?;
            tracing::debug!(files = report.files_written, "merge: committed");
            Ok(Some(report))
        }
        (None, None) => Ok(Some(report)),
    }
}

/// Appends to `recs` the records of one stream's patches (`bufs`: its bytes in each input
/// file, read at once), input after input and each input's files in order ([`rank`] breaks
/// ties by position within an input); returns the first and last UTC days they touch
/// (an empty span, first after last, when there is none). A file only peeked at
/// ([`peek`]) is read here, every record through the validation gate; `None` at its
/// first record of another stream (the run then starts again with every file located).
///
/// # Errors
/// [`Error::InvalidData`] naming the file and the offset of its first unreadable bytes, or
/// when a located file no longer holds its records.
fn patch_recs<'b>(
    inputs: &[MergeInput],
    nslc: &Nslc,
    bufs: &'b [(usize, &Located, AlignedBytes)],
    input_paths: &[(usize, PathBuf)],
    recs: &mut Vec<Rec<'b>>,
) -> Result<Option<(i64, i64)>> {
    let mut span: Option<(i64, i64)> = None;
    for (k, input) in inputs.iter().enumerate() {
        for (_, l, b) in bufs.iter().filter(|(i, _, _)| *i == k) {
            let path = &input_paths[l.file].1;
            let origin = (k + 1, input.priority, None);
            let at = |x: u64| (x - l.span.start) as usize;
            let bytes: u64 = l.records.iter().map(|r| r.end - r.start).sum();
            let days = if l.peeked {
                match scan_recs(nslc, b, |_| true, origin, recs) {
                    Ok(days) => days,
                    // `scan_recs`: a record of another stream
                    Err(e) if e.kind() == ErrorKind::InvalidArgument => return Ok(None),
                    Err(e) => return Err(in_file(e, path, l.span.start)),
                }
            } else if bytes < l.span.end - l.span.start {
                // records of other streams in between: only this stream's are read
                let records = l.records.iter().map(|r| (&b[at(r.start)..at(r.end)], None));
                to_recs(nslc, records, origin.0, origin.1, recs)
                    .map_err(|e| in_file(e, path, l.span.start))?;
                Some(l.days)
            } else {
                let mut want = l.records.iter().map(|r| at(r.start) as u64).peekable();
                let mut keep = |offset: u64| want.next_if_eq(&offset).is_some();
                scan_recs(nslc, b, &mut keep, origin, recs)
                    .map_err(|e| in_file(e, path, l.span.start))?;
                if want.peek().is_some() {
                    return Err(Error::invalid_data(
                        path,
                        l.span.start,
                        "the file changed while it was merged",
                    ));
                }
                Some(l.days)
            };
            if let Some((a, z)) = days {
                span = Some(span.map_or((a, z), |(x, y)| (x.min(a), y.max(z))));
            }
        }
    }
    // `Some` with an empty span: no patch record, nothing to merge
    Ok(Some(span.unwrap_or((i64::MAX, i64::MIN))))
}

/// Asks the kernel to read the files of stream `nslc` into the page cache without waiting
/// ([`will_need`]): its records in the input files (`per_input`) and its archive day
/// files from the day before the first its patches touch to the day after the last (as
/// [`merge_one_stream`] reads them; a file only peeked at gives its first record's days),
/// at most [`PREFETCH_DAYS`] of them (a hint: records spanning years are merged all the
/// same, their day files read when they are merged).
fn prefetch(
    archive: &Archive,
    nslc: &Nslc,
    per_input: &[Vec<Located>],
    input_paths: &[(usize, PathBuf)],
) {
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for l in per_input.iter().flatten() {
        will_need(
            &input_paths[l.file].1,
            l.span.start,
            l.span.end - l.span.start,
        );
        (first, last) = (first.min(l.days.0), last.max(l.days.1));
    }
    let mut day = first.saturating_sub(NS_PER_DAY);
    for _ in 0..PREFETCH_DAYS {
        if day > last.saturating_add(NS_PER_DAY) {
            break;
        }
        if let Ok(p) = archive.file_path(nslc, day, 'D') {
            will_need(&p, 0, 0);
        }
        day = day.saturating_add(NS_PER_DAY);
    }
}

/// The most archive day files [`prefetch`] names for one stream.
const PREFETCH_DAYS: usize = 32;

/// Merges the records of one stream's patches (`bufs`, [`patch_recs`]) into its day
/// files, read from the archive for the days they touch and the day on each side (more
/// while archive records reach beyond), verifies the result and stages the changed day
/// files in `staging` (none in a dry run), so that they are not held in memory beyond
/// their stream. Between its phases and within the verification it looks at `cancel`:
/// once set, it stops and stages nothing (an empty outcome).
#[allow(clippy::too_many_arguments)]
fn merge_one_stream(
    archive: &Archive,
    inputs: &[MergeInput],
    nslc: &Nslc,
    bufs: &[(usize, &Located, AlignedBytes)],
    input_paths: &[(usize, PathBuf)],
    opts: &MergeOptions,
    staging: Option<&Staging>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<StreamOutcome> {
    let mut out = StreamOutcome::default();
    let mut patch = Vec::new();
    let Some((first, last)) = patch_recs(inputs, nslc, bufs, input_paths, &mut patch)? else {
        out.other_streams = true;
        return Ok(out);
    };
    if first > last {
        return Ok(out);
    }
    // Load the day files, extending the range while archive records reach beyond it; the
    // archive's records follow the patches' (again from the patches' when the range grew).
    let (from, mut to) = (first - NS_PER_DAY, last + NS_PER_DAY);
    let mut patch = Some(patch);
    let mut files: BTreeMap<i64, (PathBuf, Option<AlignedBytes>)> = BTreeMap::new();
    let recs = loop {
        let mut day = from;
        while day <= to {
            if let std::collections::btree_map::Entry::Vacant(v) = files.entry(day) {
                let p = archive.file_path(nslc, day, 'D')?;
                let bytes = read_day_file(&p, staging)?;
                v.insert((p, bytes));
            }
            day += NS_PER_DAY;
        }
        let mut recs = match patch.take() {
            Some(recs) => recs,
            None => {
                let mut recs = Vec::new();
                patch_recs(inputs, nslc, bufs, input_paths, &mut recs)?;
                recs
            }
        };
        let mut reach = i64::MIN;
        for (d, (p, b)) in &files {
            if let Some(b) = b {
                let origin = (0, opts.archive_priority, Some(*d));
                let days = scan_recs(nslc, b, |_| true, origin, &mut recs)
                    .map_err(|e| in_file(e, p, 0))?;
                reach = reach.max(days.map_or(i64::MIN, |d| d.1));
            }
        }
        if reach > to {
            to = reach;
        } else {
            break recs;
        }
    };
    let days: Vec<ArchiveDay<'_>> = files
        .iter()
        .filter_map(|(d, (_, b))| {
            b.as_ref().map(|b| ArchiveDay {
                day_start_ns: *d,
                bytes: b,
            })
        })
        .collect();
    opts.output.validate()?;
    if crate::is_cancelled(cancel) {
        return Ok(out);
    }
    let recs = rank(recs, opts);
    if crate::is_cancelled(cancel) {
        return Ok(out);
    }
    // A record that cannot be decoded is named by its day file when it is the archive's.
    let day_files = || {
        files
            .values()
            .filter_map(|(p, b)| b.as_ref().map(|b| (&b[..], p.as_path(), 0)))
    };
    let m = merge_ranked(nslc, &recs, &days, (from, to), opts)
        .map_err(|e| name_decode_error(e, day_files()))?;
    let checked: Vec<(i64, Vec<OutPart<'_>>)> = m
        .days
        .iter()
        .map(|d| (d.day_start_ns, d.verify_parts()))
        .collect();
    if verify_ranked(nslc, &recs, &checked, opts, cancel)
        .map_err(|e| name_decode_error(e, day_files()))?
        .is_none()
    {
        return Ok(out);
    }
    drop(checked);
    out.warnings = m.warnings;
    let mut writes: Vec<(PathBuf, Option<Vec<&[u8]>>)> = Vec::new();
    for d in &m.days {
        let parts = d.slices();
        let path = files
            .get(&d.day_start_ns)
            .map(|f| f.0.clone())
            .map_or_else(|| archive.file_path(nslc, d.day_start_ns, 'D'), Ok)?;
        if d.changed {
            let content = (!parts.is_empty()).then_some(parts);
            if content.is_some() || d.had_file {
                writes.push((path.clone(), content));
            }
        }
        out.days.push(DayChange {
            stream: nslc.to_string(),
            day: format_date(d.day_start_ns),
            day_start_ns: d.day_start_ns,
            path,
            changed: d.changed,
            created: d.changed && !d.had_file,
            stats: d.stats,
        });
    }
    if let Some(staging) = staging {
        // the buffers the copied records lie in, and where they were read from
        let sources: Vec<ReadFrom<'_>> = bufs
            .iter()
            .map(|(_, l, b)| ReadFrom {
                bytes: b,
                path: &input_paths[l.file].1,
                offset: l.span.start,
            })
            .chain(files.values().filter_map(|(p, b)| {
                b.as_ref().map(|b| ReadFrom {
                    bytes: b,
                    path: p,
                    offset: 0,
                })
            }))
            .collect();
        staging.stage_from(&writes, &sources)?;
    }
    Ok(out)
}

/// The day file `p` (`None` when there is none); for a day object of a bucket merged
/// into (`staging` writing objects), its ETag is noted in `staging`, so that the PUT that
/// replaces it asks for the version read.
///
/// # Errors
/// [`Error::Io`] naming the file; the store's answer.
fn read_day_file(p: &Path, staging: Option<&Staging<'_>>) -> Result<Option<AlignedBytes>> {
    #[cfg(feature = "objectstore")]
    if let Some(s) = staging.filter(|s| s.bucket.is_some()) {
        let got = crate::archive::store::read_versioned(p)?;
        s.read_version(p, got.as_ref().and_then(|(_, e)| e.clone()));
        return Ok(got.map(|(b, _)| AlignedBytes::from_vec(b)));
    }
    let _ = staging;
    match read_aligned(p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(p, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two streams' day files of the test data, concatenated: COLA BHZ's records, then
    /// BOSA BHZ's.
    fn two_streams(data: &Path) -> (Vec<u8>, PathBuf, PathBuf) {
        let cola = Path::new("2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058");
        let bosa = Path::new("2010/GT/BOSA/BHZ.D/GT.BOSA.00.BHZ.D.2010.173");
        let sds = data.join("sds-small");
        let mut bytes = fs::read(sds.join(cola)).unwrap();
        bytes.extend(fs::read(sds.join(bosa)).unwrap());
        (bytes, cola.to_path_buf(), bosa.to_path_buf())
    }

    /// `peek` takes the stream of an SDS day file from its first record, and only when the
    /// name says that stream: any other name, or an SDS name of another stream, is left to
    /// `locate`.
    #[test]
    fn only_sds_day_files_of_their_first_records_stream_are_peeked_at() {
        let Some(data) = crate::testing::test_data_dir() else {
            return;
        };
        let (bytes, cola, _) = two_streams(&data);
        let dir = tempfile::tempdir().unwrap();
        let named = |name: &str| {
            let p = dir.path().join(name);
            fs::write(&p, &bytes).unwrap();
            p
        };
        let sds = named(cola.file_name().unwrap().to_str().unwrap());
        let (nslc, l) = peek(3, &sds).expect("an SDS day file is peeked at");
        assert_eq!(nslc.to_string(), "IU.COLA.00.BHZ");
        assert!(l.peeked && l.records.is_empty());
        assert_eq!((l.file, l.span), (3, 0..bytes.len() as u64));
        assert!(peek(0, &named("patch.mseed")).is_none());
        assert!(peek(0, &named("GT.BOSA.00.BHZ.D.2010.173")).is_none());
        assert!(peek(0, &dir.path().join("IU.COLA.00.BHZ.D.2010.059")).is_none());
        fs::write(
            dir.path().join("IU.COLA.00.BHZ.D.2010.060"),
            b"not miniSEED",
        )
        .unwrap();
        assert!(peek(0, &dir.path().join("IU.COLA.00.BHZ.D.2010.060")).is_none());
    }

    /// An SDS day file that also holds another stream's records (peeked at as its first
    /// record's stream): the run starts again with every file located, and both streams
    /// are merged exactly as from a file of another name, located from the start. Without
    /// the second pass, the second stream would be lost.
    #[test]
    fn a_day_file_holding_another_stream_is_merged_whole() {
        let Some(data) = crate::testing::test_data_dir() else {
            return;
        };
        let (bytes, cola, bosa) = two_streams(&data);
        let merged = |name: &str| {
            let patches = tempfile::tempdir().unwrap();
            fs::write(patches.path().join(name), &bytes).unwrap();
            let into = tempfile::tempdir().unwrap();
            let archive = Archive::new(into.path(), Layout::Sds);
            let input = MergeInput {
                path: patches.path().to_path_buf(),
                priority: 1,
            };
            let report = merge_into(
                &archive,
                &[input],
                &MergeOptions::default(),
                false,
                None,
                None,
            )
            .unwrap();
            let mut files = tree(into.path());
            files.retain(|p, _| !p.starts_with(".siqaco"));
            (report.files_written, files)
        };
        let (written, peeked) = merged(cola.file_name().unwrap().to_str().unwrap());
        let (_, located) = merged("patch.mseed");
        assert_eq!(written, 2);
        assert!(
            peeked.contains_key(&cola) && peeked.contains_key(&bosa),
            "{:?}",
            peeked.keys()
        );
        assert_eq!(peeked, located);
    }

    /// Archive records that reach past the days the patches touch make the merge read
    /// more day files, here twice: a record of day 2 runs into day 3, whose record runs into
    /// day 4. The patches' records are gathered again for the wider range, and every
    /// sample of the archive and the patch is there afterwards, once; without the wider
    /// range the merge refuses (data outside the days read).
    #[test]
    fn archive_records_reaching_past_the_patches_days_widen_the_days_read() {
        use super::super::tests::samples_of as samples;
        use crate::codec::{encode, PackOptions, Samples};
        use crate::time::NS_PER_S;
        let nslc = Nslc::new("XX", "GROW", "", "BHZ");
        let d0 = 19_000 * NS_PER_DAY;
        let pack = PackOptions {
            record_length: 4096,
            encoding: 11,
            format_version: 2,
            pub_version: 1,
        };
        // `n` samples at 1 Hz from `start`, values from `base`
        let seg = |start: i64, n: i32, base: i32| {
            let v = Samples::Int32((0..n).map(|k| base + k).collect());
            encode(&nslc, start, 1.0, &v, &pack).unwrap()
        };
        let into = tempfile::tempdir().unwrap();
        let archive = Archive::new(into.path(), Layout::Sds);
        let mut expected = Vec::new();
        // days 2 and 3 (d0 + 1 and d0 + 2): one record each from 23:59, 120 samples
        for (k, base) in [(1, 1000), (2, 2000)] {
            let day = d0 + k * NS_PER_DAY;
            let bytes = seg(day + NS_PER_DAY - 60 * NS_PER_S, 120, base);
            assert_eq!(super::super::split_records(&bytes).unwrap().len(), 1);
            expected.extend(samples(&bytes));
            let p = archive.file_path(&nslc, day, 'D').unwrap();
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, bytes).unwrap();
        }
        // the patch: day 1 (d0) only, an hour of samples from 01:00
        let patch = seg(d0 + 3600 * NS_PER_S, 3600, 0);
        expected.extend(samples(&patch));
        let patches = tempfile::tempdir().unwrap();
        fs::write(patches.path().join("patch.mseed"), &patch).unwrap();
        let input = MergeInput {
            path: patches.path().to_path_buf(),
            priority: 1,
        };
        let opts = MergeOptions::default();
        merge_into(&archive, &[input], &opts, false, None, None).unwrap();
        let mut got: Vec<(i64, f64)> = tree(into.path())
            .into_iter()
            .filter(|(p, _)| !p.starts_with(".siqaco"))
            .flat_map(|(_, b)| samples(&b))
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        expected.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        assert_eq!(got, expected);
    }

    /// Every file under `root`, hidden ones included, lock file excepted, with its bytes.
    fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut m = BTreeMap::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if !p.ends_with(crate::archive::leftover::LOCK_NAME) {
                    m.insert(
                        p.strip_prefix(root).unwrap().to_path_buf(),
                        fs::read(&p).unwrap(),
                    );
                }
            }
        }
        m
    }

    /// The disk fills while the `commit` journal is written (ENOSPC from the journal's
    /// write): the staged files are removed at once, with the `staging` journal, and the
    /// day files are untouched (issue #16: they stayed until the next merge).
    #[test]
    fn a_commit_journal_that_cannot_be_written_leaves_no_staged_file() {
        let Some(data) = crate::testing::test_data_dir() else {
            return;
        };
        let rel = Path::new("2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let target = root.join(rel);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        let original = fs::read(data.join("sds-small").join(rel)).unwrap();
        fs::write(&target, &original).unwrap();
        let new_day = root.join("2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.059");
        let before = tree(root);
        let lock = ArchiveLock::acquire(root).unwrap();
        let staging = Staging::new(root, &lock);
        // One record less in the day file, and a new day file.
        let shorter: &[u8] = &original[512..];
        staging
            .stage(&[
                (target.clone(), Some(vec![shorter])),
                (new_day.clone(), Some(vec![&original[..512]])),
            ])
            .unwrap();
        assert!(staged_path(&target, None).exists() && staged_path(&new_day, None).exists());
        assert!(root.join(JOURNAL_NAME).exists());
        let e = staging
            .commit_with(|jpath, _| Err(Error::io(jpath, std::io::Error::from_raw_os_error(28))))
            .unwrap_err();
        assert!(e.to_string().contains("No space left on device"), "{e}");
        assert_eq!(tree(root), before);
    }

    /// A worker killed while staging, and one killed while committing: the next worker's
    /// clean-up removes their staged files and journals (never renames them: the targets
    /// keep the content they have) and their directories, and leaves a live worker's
    /// alone; the staged names carry the worker's tag.
    #[cfg(feature = "update")]
    #[test]
    fn dead_workers_staged_files_are_discarded_never_rolled_forward() {
        use crate::archive::leftover::{discard_workers, UPDATE_STAGING_NAME};
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let day = root.join("2024/XX/STA/HHZ.D");
        fs::create_dir_all(&day).unwrap();
        let target = day.join("XX.STA.00.HHZ.D.2024.001");
        fs::write(&target, b"old").unwrap();
        let no_locks = |_: &[Nslc]| -> Result<Box<dyn Send>> { Ok(Box::new(())) };
        let worker = |tag: &str| SharedWriter {
            dir: root.join(UPDATE_STAGING_NAME).join(tag),
            tag: tag.into(),
            lock_streams: &no_locks,
        };
        let mut staged = Vec::new();
        for tag in ["w_killed_staging", "w_live"] {
            let w = worker(tag);
            fs::create_dir_all(&w.dir).unwrap();
            let staging = Staging::shared(root, &w);
            staging
                .stage(&[(target.clone(), Some(vec![b"new".as_slice()]))])
                .unwrap();
            // Killed: nothing after the staging runs.
            std::mem::forget(staging);
            staged.push(staged_path(&target, Some(tag)));
        }
        // Killed after its journal said `commit`, before renaming.
        let w = worker("w_killed_commit");
        fs::create_dir_all(&w.dir).unwrap();
        let commit_staged = staged_path(&target, Some("w_killed_commit"));
        fs::write(&commit_staged, b"newer").unwrap();
        let rel = |p: &Path| p.strip_prefix(root).unwrap().to_path_buf();
        write_journal(
            &w.dir.join(JOURNAL_NAME),
            &Journal {
                state: "commit".into(),
                entries: vec![Entry {
                    target: rel(&target),
                    staged: Some(rel(&commit_staged)),
                }],
            },
        )
        .unwrap();
        assert_eq!(
            staged[0].file_name().unwrap().to_str().unwrap(),
            ".XX.STA.00.HHZ.D.2024.001.w_killed_staging.siqaco-merge-new"
        );
        assert!(staged.iter().chain([&commit_staged]).all(|p| p.exists()));
        assert_eq!(discard_workers(root, |name| name == "w_live").unwrap(), 2);
        assert!(!staged[0].exists() && !commit_staged.exists());
        assert!(staged[1].exists() && worker("w_live").dir.join(JOURNAL_NAME).exists());
        assert_eq!(fs::read(&target).unwrap(), b"old");
        let staging_dirs: Vec<String> = fs::read_dir(root.join(UPDATE_STAGING_NAME))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(staging_dirs, ["w_live"]);
        // Under the exclusive lock (no worker alive), everything goes.
        let lock = ArchiveLock::acquire(root).unwrap();
        tidy_root(root, Some(&lock)).unwrap();
        assert!(!staged[1].exists() && !root.join(UPDATE_STAGING_NAME).exists());
        assert_eq!(fs::read(&target).unwrap(), b"old");
    }
}
