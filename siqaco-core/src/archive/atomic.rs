//! Atomic file replacement: temporary file in the same directory, fsync, rename, fsync of
//! the directory.

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Marker in the names of temporary files written by [`write_atomic`].
pub const TEMP_MARKER: &str = ".siqaco-tmp-";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` so that readers (and a crash at any moment) see either the old
/// file or the complete new one, never a half-written file.
///
/// Steps: create the missing parent directories (and fsync the directories holding their
/// new entries); write a temporary file in the same directory,
/// named `.NAME.siqaco-tmp-<pid>-<n>` (hidden, so archive listings never see it), created
/// exclusively; give it the permissions of the file it replaces, if any; fsync it; rename it
/// over `path` (atomic on POSIX file systems); fsync the directory so that the rename itself
/// is durable (Unix only).
///
/// # Errors
/// [`Error::InvalidArgument`] when `path` has no file name; [`Error::Io`] naming the
/// directory or file that failed. On any error before the rename the temporary file is
/// removed and the old file is untouched. If only the final directory fsync fails, the new
/// content is already in place, but its durability is not guaranteed: the error says so.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, bytes, |_| Ok(()))
}

/// [`write_atomic`] with a hook called on the synced temporary file just before the rename
/// (tests use it to make the write fail at the last moment).
pub(crate) fn write_atomic_with(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| {
            Error::invalid_argument(format!(
                "{}: not a file path (no file name)",
                path.display()
            ))
        })?
        .to_string_lossy()
        .into_owned();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_dirs(&dir)?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}{TEMP_MARKER}{}-{n}", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, e))?;
        if let Ok(old) = fs::metadata(path) {
            if old.is_file() {
                f.set_permissions(old.permissions())
                    .map_err(|e| Error::io(&tmp, e))?;
            }
        }
        f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
        drop(f);
        before_rename(&tmp).map_err(|e| Error::io(&tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(&dir)
}

/// Creates `dir` and its missing ancestors, then fsyncs the directory holding each new entry
/// so that the new directories survive a crash together with the file.
pub(crate) fn create_dirs(dir: &Path) -> Result<()> {
    let mut missing = Vec::new();
    let mut d = dir;
    while !d.exists() {
        missing.push(d.to_path_buf());
        match d.parent() {
            Some(p) if !p.as_os_str().is_empty() => d = p,
            _ => break,
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for m in missing.iter().rev() {
        if let Some(parent) = m.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    let durability = |e: std::io::Error| {
        Error::io(
            dir,
            std::io::Error::new(
                e.kind(),
                format!("fsync of the directory failed (the file may not survive a crash): {e}"),
            ),
        )
    };
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(durability)
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Writes `bytes` to `path` (created, or truncated), with the permissions of `like` when
/// that file exists, **without** waiting for the disk: on Linux the kernel is asked to
/// start writing the data back at once (`sync_file_range(2)`, `SYNC_FILE_RANGE_WRITE`), so
/// that a later [`sync_file`] finds most of it written. For files that are only made
/// durable later, all together (the staged files of a merge): syncing each as it is
/// written made the writer wait for the disk while it could be merging the next stream.
///
/// # Errors
/// [`Error::Io`] naming `path`.
pub(crate) fn write_unsynced(path: &Path, bytes: &[u8], like: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs(dir)?;
    }
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    if let Ok(old) = fs::metadata(like) {
        if old.is_file() {
            f.set_permissions(old.permissions())
                .map_err(|e| Error::io(path, e))?;
        }
    }
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid open descriptor; the call only schedules writeback, and its
        // failure only means the later fsync does all the work.
        unsafe {
            libc::sync_file_range(f.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    Ok(())
}

/// Waits until the data of the file at `path` is on disk (fsync).
///
/// # Errors
/// [`Error::Io`] naming `path`.
pub(crate) fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(path, e))
}
