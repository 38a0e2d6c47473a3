//! Atomic file replacement: temporary file in the same directory, fsync, rename, fsync of
//! the directory.

use crate::error::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::leftover::{clean_dir, Scope, TEMP_MARKER};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` so that readers (and a crash at any moment) see either the old
/// file or the complete new one, never a half-written file.
///
/// Steps: create the missing parent directories (and fsync the directories holding their
/// new entries); remove the temporary files that dead processes left in that directory
/// (the first time this process writes there: `clean_once`, the rule of
/// [`leftover`](super::leftover)); write a temporary file in the same directory,
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
    clean_once(&dir);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}{TEMP_MARKER}{}-{n}", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, e))?;
        write_like(&mut f, &tmp, &[bytes], path)?;
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

/// The directories whose leftovers this process removed already ([`clean_once`]).
static CLEANED: std::sync::Mutex<Option<std::collections::HashSet<PathBuf>>> =
    std::sync::Mutex::new(None);

/// Removes the temporary files dead processes left in `dir` ([`clean_dir`]), once per
/// directory and process: a run that writes many files into one directory (a fetch's
/// staging directory) reads it once, not once per file. The set is forgotten past 65 536
/// directories (memory stays bounded in a long-lived process). A failure is only logged.
fn clean_once(dir: &Path) {
    let mut cleaned = CLEANED.lock().unwrap_or_else(|e| e.into_inner());
    let set = cleaned.get_or_insert_with(Default::default);
    if set.contains(dir) {
        return;
    }
    if set.len() >= 65_536 {
        set.clear();
    }
    set.insert(dir.to_path_buf());
    drop(cleaned);
    if let Err(e) = clean_dir(dir, false, Scope::Files) {
        tracing::warn!("{e}");
    }
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

/// Writes the concatenation of `parts` to `path` (created, or truncated), with the
/// permissions of `like` when that file exists, **without** waiting for the disk: for files that are only made
/// durable later, all together with [`sync_file`] (the staged files of a merge; syncing
/// each as it was written made the writer wait for the disk while it could be merging the
/// next stream). Asking the kernel to start writeback at once (`sync_file_range`) measured
/// no faster on the merge benchmark, so the kernel's own writeback is left to it.
///
/// # Errors
/// [`Error::Io`] naming `path`.
pub(crate) fn write_unsynced(path: &Path, parts: &[&[u8]], like: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs(dir)?;
    }
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    write_like(&mut f, path, parts, like)?;
    start_writeback(&f);
    Ok(())
}

/// Asks the kernel to start writing `f`'s dirty pages to disk now, without waiting for
/// them (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`), so that the disk writes a staged
/// file while the next one is computed instead of all of them at the final sync. Only a
/// hint: durability still comes from the `fsync` before the journal says `commit`.
fn start_writeback(f: &fs::File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `f` is an open descriptor for the duration of the call, which reads no
        // memory of ours; a failure (not supported by the file system) is ignored.
        unsafe { libc::sync_file_range(f.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = f;
}

/// Gives `f` (open at `path`) the permissions of the file `like` when that exists, then
/// writes the concatenation of `parts`.
fn write_like(f: &mut fs::File, path: &Path, parts: &[&[u8]], like: &Path) -> Result<()> {
    if let Ok(old) = fs::metadata(like) {
        if old.is_file() {
            f.set_permissions(old.permissions())
                .map_err(|e| Error::io(path, e))?;
        }
    }
    write_all_vectored(f, parts).map_err(|e| Error::io(path, e))
}

/// Writes every byte of `parts`, in order, with vectored writes (`writev`) of at most
/// `IOV_MAX` (1024, POSIX's minimum) slices: the parts of a merged day file are its copied
/// records, borrowed from the input buffers, so they go to the file without being
/// gathered in memory first. Parts that follow one another in memory (the copied records
/// of one input buffer in their input order: most of a merged day file) go as one slice,
/// so a day file takes a few calls instead of one per 1024 records (writing 0.5 GB of
/// buffers not in the CPU caches as 512-byte slices took 3–9 times the system time of
/// 1 MiB slices in a test; in the merge benchmark the kernel's copy stayed the largest
/// cost, `docs/benchmarks.md`). (`Write::write_all_vectored` is not stable yet.)
#[cfg(unix)]
fn write_all_vectored(f: &mut fs::File, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    const IOV_MAX: usize = 1024;
    let mut iov: Vec<libc::iovec> = Vec::new();
    for p in parts.iter().filter(|p| !p.is_empty()) {
        match iov.last_mut() {
            Some(v) if (v.iov_base as *const u8).wrapping_add(v.iov_len) == p.as_ptr() => {
                v.iov_len += p.len();
            }
            _ => iov.push(libc::iovec {
                iov_base: p.as_ptr() as *mut libc::c_void,
                iov_len: p.len(),
            }),
        }
    }
    let mut at = 0;
    while at < iov.len() {
        let n = (iov.len() - at).min(IOV_MAX);
        // SAFETY: each iovec covers bytes of `parts` (a run of adjacent parts exactly
        // theirs), which stay borrowed during the call; `writev` only reads them.
        let r = unsafe { libc::writev(f.as_raw_fd(), iov[at..].as_ptr(), n as libc::c_int) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::WriteZero,
                "failed to write the whole file",
            ));
        }
        let mut written = r as usize;
        while written > 0 {
            let v = &mut iov[at];
            if written >= v.iov_len {
                written -= v.iov_len;
                at += 1;
            } else {
                v.iov_base = (v.iov_base as *mut u8).wrapping_add(written) as *mut libc::c_void;
                v.iov_len -= written;
                written = 0;
            }
        }
    }
    Ok(())
}

/// [`write_all_vectored`] where `writev` is not at hand: the parts one by one.
#[cfg(not(unix))]
fn write_all_vectored(f: &mut fs::File, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::io::Write;
    parts.iter().try_for_each(|p| f.write_all(p))
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

/// The whole content of a file, held page-aligned ([`read_aligned`]).
pub(crate) struct AlignedBytes {
    buf: Vec<u8>,
    start: usize,
    len: usize,
}

impl std::fmt::Debug for AlignedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlignedBytes({} bytes)", self.len)
    }
}

impl AlignedBytes {
    /// The allocation, for [`read_aligned_reusing`].
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Bytes received whole (an object of a bucket): held as they are.
    #[cfg(feature = "objectstore")]
    pub(crate) fn from_vec(buf: Vec<u8>) -> AlignedBytes {
        let len = buf.len();
        AlignedBytes { buf, start: 0, len }
    }
}

impl std::ops::Deref for AlignedBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }
}

/// Reads `len` bytes of the file at `path` from byte `offset`, into a buffer that holds
/// each byte at an address equal to its file offset modulo the page size (the alignment
/// of [`read_aligned`], for the same reason).
///
/// # Errors
/// The I/O error of opening, seeking or reading; `UnexpectedEof` when the file ends
/// before `offset + len`.
pub(crate) fn read_range_aligned(
    path: &Path,
    offset: u64,
    len: usize,
) -> std::io::Result<AlignedBytes> {
    #[cfg(feature = "objectstore")]
    if let Some(r) = super::store::read_object_range(path, offset, len, None) {
        return r.map(AlignedBytes::from_vec);
    }
    read_file_range_aligned(&fs::File::open(path)?, offset, len, Vec::new())
}

/// [`read_range_aligned`] from the open local file `f` (read at `offset`: threads may
/// share `f`), into the allocation `buf` when it is large enough (e.g.
/// [`AlignedBytes::into_buffer`] of a range read before), else into a new one.
///
/// # Errors
/// As [`read_range_aligned`].
pub(crate) fn read_file_range_aligned(
    f: &fs::File,
    offset: u64,
    len: usize,
    buf: Vec<u8>,
) -> std::io::Result<AlignedBytes> {
    use std::os::unix::fs::FileExt;
    const PAGE: usize = 4096;
    let mut buf = buf;
    if buf.len() < 2 * PAGE + len {
        buf = vec![0u8; 2 * PAGE + len];
    }
    let pad = buf.as_ptr().align_offset(PAGE).min(PAGE - 1);
    let start = pad + (offset % PAGE as u64) as usize;
    f.read_exact_at(&mut buf[start..start + len], offset)?;
    Ok(AlignedBytes { buf, start, len })
}

/// Reads a whole file, like [`std::fs::read`], into a buffer whose first byte is
/// page-aligned. The kernel copies from the page cache at the speed of `cat` only between
/// equally aligned addresses: into a `malloc`ed buffer, a few bytes past a page boundary,
/// the copy runs several times slower on some CPUs (4K aliasing, measured on the scan of
/// issue #2: 3.5× the system time). The whole-file reads of miniSEED (merge, read, qc,
/// index, the archive source) all go through it.
///
/// # Errors
/// The I/O error of opening or reading (`Interrupted` is retried).
pub(crate) fn read_aligned(path: &Path) -> std::io::Result<AlignedBytes> {
    read_aligned_reusing(path, Vec::new())
}

/// [`read_aligned`] into the allocation `buf` (e.g. [`AlignedBytes::into_buffer`] of a
/// file read before) when it is large enough, else into a new one: a reader of many files
/// keeps a few buffers instead of allocating one per file (which the allocator may keep
/// after they are freed).
///
/// # Errors
/// As [`read_aligned`].
pub(crate) fn read_aligned_reusing(path: &Path, buf: Vec<u8>) -> std::io::Result<AlignedBytes> {
    use std::io::Read;
    const PAGE: usize = 4096;
    #[cfg(feature = "objectstore")]
    if let Some(r) = super::store::read_object(path) {
        return r.map(AlignedBytes::from_vec);
    }
    let mut buf = buf;
    let mut f = fs::File::open(path)?;
    let size = f.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut want = size + 1; // one more byte to see the end (the file may have grown)
    let mut len = 0;
    let mut start = if buf.is_empty() {
        0
    } else {
        buf.as_ptr().align_offset(PAGE).min(PAGE - 1)
    };
    loop {
        if buf.len() < start + want {
            let mut next = vec![0u8; PAGE + want];
            let pad = next.as_ptr().align_offset(PAGE).min(PAGE - 1);
            if len > 0 {
                next[pad..pad + len].copy_from_slice(&buf[start..start + len]);
            }
            buf = next;
            start = pad;
        }
        match f.read(&mut buf[start + len..start + want]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if len == want {
                    want *= 2;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(AlignedBytes { buf, start, len })
}
