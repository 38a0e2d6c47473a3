//! The temporary names siqaco creates, the archive lock, and the clean-up that every
//! writing run does at its start: nothing a killed or failed run leaves behind survives the
//! next run that writes there, and nothing a live run is writing is touched.
//!
//! # The names (every one starts with `.`, so archive listings never see them)
//!
//! | name | written by | carries |
//! |---|---|---|
//! | `.NAME.siqaco-tmp-<pid>-<n>` | [`write_atomic`](super::write_atomic) (day files of `fetch`, the merge journal, report figures, demo files) | the writer's pid |
//! | `.NAME.siqaco-merge-new` | a merge's staged day file (`merge`, `update`) | listed in the merge journal; written under the archive lock |
//! | `.siqaco-merge-journal.json` | a merge ([`crate::merge::apply`]) | recovered, never removed blindly |
//! | `.siqaco-staging-<pid>-<random>/` | `fetch`'s staging directory in the archive root | the writer's pid |
//! | `.siqaco-staging/` | `update`'s staging directory in the archive root | written under the archive lock |
//! | `.siqaco-staging/<worker>/` | a worker's staging directory and merge journal (`update` with a PostgreSQL catalogue, [`crate::update::claims`]) | removed once the worker's lease expired, after its staged files |
//! | `.NAME.<worker>.siqaco-merge-new` | a worker's staged day file | listed in the worker's journal |
//! | `.siqaco-partial-<random>` | an FDSN response body being received | inside a staging directory |
//! | `.siqaco-external-<random>/` | an external program's work directory | inside a staging directory |
//! | `.siqaco-update.lock` | the archive lock ([`ArchiveLock`]) | kept (it is not a leftover) |
//!
//! # The rule (who may remove what)
//!
//! * A name carrying a pid is removed when no process with that pid is alive on this host
//!   (`kill(pid, 0)` fails with `ESRCH`); the names of this very process are always kept
//!   (another thread may be writing them). A pid reused by an unrelated process only
//!   delays the removal until that process ends. Liveness is judged on the local host: an
//!   archive written by siqaco runs on several hosts at once (a shared file system) keeps
//!   the leftovers of the other hosts' dead runs until a run on their host cleans them.
//! * The names without a pid (a merge's staged files and journal, `update`'s staging
//!   directory, a `.siqaco-partial-`/`.siqaco-external-` name outside a staging directory)
//!   are only written by a run holding the archive lock ([`ArchiveLock`]): a run that
//!   holds the lock itself removes them (after [`recover`](crate::merge::apply::recover)
//!   has finished or rolled back the merge journal, which keeps its meaning: a committed
//!   journal is completed, an uncommitted one rolled back).
//!
//! [`tidy_root`] does both for an archive root at the start of `merge`, `update`/`stack
//! run` and `fetch`; [`clean_dir`] does it for one directory (the merge calls it, for
//! temporary files only, for each directory it stages a day file in,
//! [`write_atomic`](super::write_atomic) for its own directory: so `report` and `demo`
//! outputs are tidied too). A merge's staged file left in a day directory without a journal
//! (only when removing it failed) waits for the next merge or update writing there: a fetch
//! does not hold the lock.
//!
//! `index` writes no file in the archive (only its catalogue, whose journal SQLite
//! manages), so it has nothing to tidy; what it lists skips every hidden name.

use crate::error::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// Marker in the names of the temporary files of [`write_atomic`](super::write_atomic):
/// `.NAME.siqaco-tmp-<pid>-<n>`.
pub(crate) const TEMP_MARKER: &str = ".siqaco-tmp-";
/// Suffix of a merge's staged day file, `.NAME.siqaco-merge-new`.
pub(crate) const MERGE_STAGED_SUFFIX: &str = ".siqaco-merge-new";
/// Name of the merge journal in the archive root.
pub const JOURNAL_NAME: &str = ".siqaco-merge-journal.json";
/// Prefix of `fetch`'s staging directory in the archive root,
/// `.siqaco-staging-<pid>-<random>`.
pub(crate) const FETCH_STAGING_PREFIX: &str = ".siqaco-staging-";
/// Name of `update`'s staging directory in the archive root.
pub const UPDATE_STAGING_NAME: &str = ".siqaco-staging";
/// Prefix of an FDSN response body being received (inside a staging directory).
pub(crate) const PARTIAL_PREFIX: &str = ".siqaco-partial-";
/// Prefix of an external program's work directory (inside a staging directory).
pub(crate) const EXTERNAL_PREFIX: &str = ".siqaco-external-";
/// Name of the archive lock file in the archive root.
pub const LOCK_NAME: &str = ".siqaco-update.lock";

/// What a name left in an archive is, by the marker it carries ([`classify`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Temporary {
    /// A temporary file of [`write_atomic`](super::write_atomic), with its writer's pid.
    AtomicTemp {
        /// The writer's process id.
        pid: u32,
    },
    /// A merge's staged day file (written under the archive lock).
    MergeStaged,
    /// The merge journal (recovered, never removed blindly).
    MergeJournal,
    /// `fetch`'s staging directory, with its writer's pid (`None` for the names of
    /// versions before the pid was added: removed only under the archive lock).
    FetchStaging {
        /// The writer's process id.
        pid: Option<u32>,
    },
    /// `update`'s staging directory (written under the archive lock).
    UpdateStaging,
    /// An FDSN body or an external program's work directory outside a staging directory.
    Unowned,
    /// The archive lock file (kept).
    Lock,
}

/// The kind of temporary name `name` (a file or directory name, no path) is, `None` for
/// every name siqaco does not create as a temporary.
pub fn classify(name: &str) -> Option<Temporary> {
    if name == JOURNAL_NAME {
        return Some(Temporary::MergeJournal);
    }
    if name == LOCK_NAME {
        return Some(Temporary::Lock);
    }
    if name == UPDATE_STAGING_NAME {
        return Some(Temporary::UpdateStaging);
    }
    if !name.starts_with('.') {
        return None;
    }
    if let Some(at) = name.rfind(TEMP_MARKER) {
        let rest = &name[at + TEMP_MARKER.len()..];
        let pid = rest.split_once('-').and_then(|(p, n)| {
            (n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
                .then(|| p.parse::<u32>().ok())
                .flatten()
        });
        if let Some(pid) = pid {
            return Some(Temporary::AtomicTemp { pid });
        }
    }
    if name.ends_with(MERGE_STAGED_SUFFIX) && name.len() > MERGE_STAGED_SUFFIX.len() + 1 {
        return Some(Temporary::MergeStaged);
    }
    if let Some(rest) = name.strip_prefix(FETCH_STAGING_PREFIX) {
        let pid = rest
            .split_once('-')
            .and_then(|(p, _)| p.parse::<u32>().ok());
        return Some(Temporary::FetchStaging { pid });
    }
    if name.starts_with(PARTIAL_PREFIX) || name.starts_with(EXTERNAL_PREFIX) {
        return Some(Temporary::Unowned);
    }
    None
}

/// Whether a process with id `pid` is alive on this host (`kill(pid, 0)`: success or
/// `EPERM` mean alive). This process counts as alive; on systems without `kill` every
/// process does (nothing is removed by pid there).
pub(crate) fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(p) = libc::pid_t::try_from(pid) else {
            return true;
        };
        if p <= 0 {
            return true;
        }
        // SAFETY: kill with signal 0 sends nothing; it only checks the process exists.
        let r = unsafe { libc::kill(p, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Which leftovers [`clean_dir`] looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything of an archive root, at the start of a run: the staging directories
    /// included.
    Root,
    /// Only temporary files (`write_atomic`'s and a merge's staged files), in a directory
    /// a run is writing into: never a staging directory, which may be the running run's
    /// own (a layout may put day files in the root).
    Files,
}

/// Whether the leftover `kind` may be removed now (see the [module](self) rule); `locked`:
/// the caller holds the archive lock.
fn removable(kind: Temporary, locked: bool, scope: Scope) -> bool {
    if scope == Scope::Files
        && !matches!(kind, Temporary::AtomicTemp { .. } | Temporary::MergeStaged)
    {
        return false;
    }
    match kind {
        Temporary::AtomicTemp { pid } | Temporary::FetchStaging { pid: Some(pid) } => {
            !pid_alive(pid)
        }
        Temporary::MergeStaged
        | Temporary::FetchStaging { pid: None }
        | Temporary::UpdateStaging
        | Temporary::Unowned => locked,
        Temporary::MergeJournal | Temporary::Lock => false,
    }
}

/// Removes the leftovers of dead or finished runs directly in `dir` (not below): the
/// names [`classify`] knows, of `scope`, that the [module](self) rule allows removing,
/// `locked` saying whether the caller holds the archive lock. Returns the paths removed. A
/// missing `dir` has none.
///
/// # Errors
/// [`Error::Io`] naming `dir` when it cannot be read, or the leftover that cannot be
/// removed.
pub fn clean_dir(dir: &Path, locked: bool, scope: Scope) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(kind) = name.to_str().and_then(classify) else {
            continue;
        };
        if !removable(kind, locked, scope) {
            continue;
        }
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        let r = if is_dir {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match r {
            Ok(()) => {
                tracing::info!(path = %path.display(), "removed what an earlier run left");
                removed.push(path);
            }
            // Removed meanwhile by another run's clean-up.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::io(
                    &path,
                    std::io::Error::new(
                        e.kind(),
                        format!("cannot remove what an earlier run left: {e}"),
                    ),
                ))
            }
        }
    }
    Ok(removed)
}

/// Removes the workers' staging directories under `ROOT/.siqaco-staging` whose name
/// `keep` refuses, each after discarding the staged files its journal names
/// ([`discard_journal`](crate::merge::apply::discard_journal)); returns how many.
///
/// # Errors
/// [`Error::Io`]; [`Error::InvalidData`] for an unreadable journal.
pub(crate) fn discard_workers(root: &Path, keep: impl Fn(&str) -> bool) -> Result<usize> {
    let staging = root.join(UPDATE_STAGING_NAME);
    let entries = match fs::read_dir(&staging) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(&staging, e)),
    };
    let mut n = 0;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&staging, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) || keep(&name) {
            continue;
        }
        let dir = entry.path();
        crate::merge::apply::discard_journal(root, &dir.join(JOURNAL_NAME))?;
        match fs::remove_dir_all(&dir) {
            Ok(()) => {
                tracing::info!(path = %dir.display(), "removed what a dead worker left");
                n += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&dir, e)),
        }
    }
    Ok(n)
}

/// What [`tidy_root`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tidied {
    /// Whether a merge journal an interrupted run left was completed or rolled back.
    pub recovered: bool,
    /// The leftovers removed from the root.
    pub removed: Vec<PathBuf>,
}

/// The start of every run that writes into the archive `root`: when the archive lock is
/// held (`held`, or taken here for the clean-up when its file exists and it is free),
/// finishes or rolls back an interrupted merge ([`recover`](crate::merge::apply::recover))
/// and removes every leftover in the root; otherwise (another run holds the lock, or no
/// run of this version ever took it here) removes only the leftovers of dead processes
/// (names carrying a pid), and creates no lock file. Leftovers below the root (the
/// temporary files of a day file's directory) are removed by the next write into that
/// directory ([`clean_dir`], [`Scope::Files`]). A missing root has nothing to tidy.
///
/// # Errors
/// As [`recover`](crate::merge::apply::recover) and [`clean_dir`].
pub fn tidy_root(root: &Path, held: Option<&ArchiveLock>) -> Result<Tidied> {
    if !root.is_dir() {
        return Ok(Tidied::default());
    }
    let taken;
    let locked = match held {
        Some(_) => true,
        // No lock file: no run of this version wrote a name without a pid here, and none
        // is created (a fetch leaves only day files behind).
        None if !root.join(LOCK_NAME).exists() => false,
        None => {
            taken = ArchiveLock::try_acquire(root)?;
            taken.is_some()
        }
    };
    let recovered = locked && crate::merge::apply::recover(root)?;
    if locked {
        // The staging directories of the workers of a shared catalogue (all dead: none
        // holds the lock shared): their staged files go before their journals.
        discard_workers(root, |_| false)?;
    }
    let removed = clean_dir(root, locked, Scope::Root)?;
    Ok(Tidied { recovered, removed })
}

/// The lock file of the archive `root` (created when missing) and its path.
fn open_lock_file(root: &Path) -> Result<(PathBuf, fs::File)> {
    let path = root.join(LOCK_NAME);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    Ok((path, file))
}

/// The error of a run that cannot take the archive lock `path` (`WouldBlock`).
fn held_elsewhere(path: &Path) -> Error {
    Error::io(
        path,
        std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            "another siqaco update, stack run or merge is writing to this archive",
        ),
    )
}

/// The exclusive lock of an archive (`ROOT/.siqaco-update.lock`, `flock`), held while a
/// run writes into it under its merge journal (`merge`, `update`, `stack run`); released
/// on drop and by the system when the process dies.
#[derive(Debug)]
pub struct ArchiveLock {
    _file: fs::File,
}

impl ArchiveLock {
    /// Takes the lock of the archive `root` (created when missing).
    ///
    /// # Errors
    /// [`Error::Io`] when the root cannot be created or another run holds the lock
    /// (`WouldBlock`).
    pub fn acquire(root: &Path) -> Result<ArchiveLock> {
        fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        Self::try_acquire(root)?.ok_or_else(|| held_elsewhere(&root.join(LOCK_NAME)))
    }

    /// Takes the lock of the existing archive `root` shared, as each of several workers
    /// writing into it at once does ([`crate::update::claims`]): a run taking it
    /// exclusively cannot have it meanwhile. While a run holds it exclusively, tries again
    /// every 50 ms for up to `wait` (another worker tidying the root holds it so briefly).
    ///
    /// # Errors
    /// [`Error::Io`] when the lock file cannot be opened, or (`WouldBlock`) when a run
    /// still holds it exclusively after `wait`.
    #[cfg(feature = "update")]
    pub(crate) fn acquire_shared(root: &Path, wait: std::time::Duration) -> Result<ArchiveLock> {
        let (path, file) = open_lock_file(root)?;
        let until = std::time::Instant::now() + wait;
        loop {
            match file.try_lock_shared() {
                Ok(()) => return Ok(ArchiveLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < until => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(held_elsewhere(&path)),
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
    }

    /// Takes the lock of the existing archive `root` when it is free; `None` when another
    /// run holds it.
    ///
    /// # Errors
    /// [`Error::Io`] when the lock file cannot be opened.
    pub fn try_acquire(root: &Path) -> Result<Option<ArchiveLock>> {
        let (path, file) = open_lock_file(root)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(ArchiveLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pid of a process that has ended.
    fn dead_pid() -> u32 {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    }

    /// The names the writers create, taken from the writers themselves, are classified;
    /// archive names and other hidden names are not.
    #[test]
    fn every_temporary_name_is_classified() {
        let dir = tempfile::tempdir().unwrap();
        let day = dir.path().join("XX.STA.00.BHZ.D.2024.001");
        let mut seen = None;
        super::super::atomic::write_atomic_with(&day, b"x", |tmp| {
            seen = Some(tmp.file_name().unwrap().to_string_lossy().into_owned());
            Ok(())
        })
        .unwrap();
        let me = std::process::id();
        assert_eq!(
            classify(&seen.unwrap()),
            Some(Temporary::AtomicTemp { pid: me })
        );
        let journal_tmp = format!(".{JOURNAL_NAME}{TEMP_MARKER}{me}-3");
        assert_eq!(
            classify(&journal_tmp),
            Some(Temporary::AtomicTemp { pid: me })
        );
        let fetch = tempfile::Builder::new()
            .prefix(&format!("{FETCH_STAGING_PREFIX}{me}-"))
            .tempdir_in(dir.path())
            .unwrap();
        let name = fetch.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(
            classify(name),
            Some(Temporary::FetchStaging { pid: Some(me) })
        );
        assert_eq!(
            classify(".siqaco-staging-AbC123"),
            Some(Temporary::FetchStaging { pid: None })
        );
        let partial = tempfile::Builder::new()
            .prefix(PARTIAL_PREFIX)
            .tempfile_in(dir.path())
            .unwrap();
        let name = partial.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(classify(name), Some(Temporary::Unowned));
        assert_eq!(
            classify(&format!(".XX.STA.00.BHZ.D.2024.001{MERGE_STAGED_SUFFIX}")),
            Some(Temporary::MergeStaged)
        );
        assert_eq!(classify(JOURNAL_NAME), Some(Temporary::MergeJournal));
        assert_eq!(classify(LOCK_NAME), Some(Temporary::Lock));
        assert_eq!(
            classify(UPDATE_STAGING_NAME),
            Some(Temporary::UpdateStaging)
        );
        for other in [
            "XX.STA.00.BHZ.D.2024.001",
            ".hidden",
            ".XX.siqaco-tmp-12x-1",
            ".XX.siqaco-tmp-12-",
            "XX.STA.00.BHZ.D.2024.001.siqaco-staging-1-a",
        ] {
            assert_eq!(classify(other), None, "{other}");
        }
    }

    /// Without the lock, only the names of dead processes go; with it, the names without
    /// a pid too; a directory being written keeps its staging directories; live names,
    /// the journal, the lock and the data stay.
    #[test]
    fn clean_dir_follows_the_rule() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (dead, me) = (dead_pid(), std::process::id());
        let mut sleeper = std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .unwrap();
        let live = sleeper.id();
        let files = [
            format!(".A{TEMP_MARKER}{dead}-0"),
            format!(".A{TEMP_MARKER}{me}-0"),
            format!(".A{TEMP_MARKER}{live}-0"),
            format!(".A{MERGE_STAGED_SUFFIX}"),
            format!("{PARTIAL_PREFIX}x1"),
            JOURNAL_NAME.to_string(),
            LOCK_NAME.to_string(),
            "A".to_string(),
        ];
        for f in &files {
            fs::write(d.join(f), b"x").unwrap();
        }
        let dirs = [
            format!("{FETCH_STAGING_PREFIX}{dead}-a1"),
            format!("{FETCH_STAGING_PREFIX}{live}-a2"),
            format!("{FETCH_STAGING_PREFIX}b3"),
            UPDATE_STAGING_NAME.to_string(),
        ];
        for s in &dirs {
            fs::create_dir(d.join(s)).unwrap();
            fs::write(d.join(s).join(format!("{PARTIAL_PREFIX}in")), b"x").unwrap();
        }
        let names = |p: Vec<PathBuf>| -> Vec<String> {
            let mut v: Vec<String> = p
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        assert_eq!(
            names(clean_dir(d, true, Scope::Files).unwrap()),
            sorted(vec![files[0].clone(), files[3].clone()])
        );
        assert_eq!(
            names(clean_dir(d, false, Scope::Root).unwrap()),
            sorted(vec![dirs[0].clone()])
        );
        assert_eq!(
            names(clean_dir(d, true, Scope::Root).unwrap()),
            sorted(vec![files[4].clone(), dirs[2].clone(), dirs[3].clone()])
        );
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        let mut left: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            sorted(vec![
                files[1].clone(),
                files[2].clone(),
                files[5].clone(),
                files[6].clone(),
                files[7].clone(),
                dirs[1].clone(),
            ])
        );
        // The sleeper has ended: its names go now.
        assert_eq!(
            names(clean_dir(d, false, Scope::Root).unwrap()),
            sorted(vec![files[2].clone(), dirs[1].clone()])
        );
    }
}
