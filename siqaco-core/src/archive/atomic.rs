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
        copy_permissions(&f, &tmp, path)?;
        write_all_vectored(&mut f, &[bytes]).map_err(|e| Error::io(&tmp, e))?;
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

/// Where a buffer was read from: `bytes` are the bytes of the file `path` from byte
/// `offset` (as [`read_range_aligned`] and [`read_aligned`] give them).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadFrom<'a> {
    /// The bytes read (and verified by the caller).
    pub bytes: &'a [u8],
    /// The file they were read from.
    pub path: &'a Path,
    /// The file offset of `bytes[0]`.
    pub offset: u64,
}

/// Writes the concatenation of `parts` to `path` (created, or truncated), with the
/// permissions of `like` when that file exists, **without** waiting for the disk: for
/// files that are only made durable later, all together with [`sync_file`] (the staged
/// files of a merge; syncing each as it was written made the writer wait for the disk
/// while it could be merging the next stream). The kernel is asked to start writing the
/// file back at once ([`start_writeback`]), so that the disk writes it while the next
/// stream is merged: without that request the merge benchmark took 1.13 times as long
/// (medians of 7 alternated runs, `docs/benchmarks.md`).
///
/// The parts go with vectored writes (`writev`), except, when `copy_ranges`, the runs of
/// adjacent parts of at least [`COPY_RANGE_MIN`] bytes that lie in one of the `sources`
/// buffers: those are copied from the file they were read from with `copy_file_range`
/// (Linux; page cache to page cache inside the kernel, as GNU `cp` copies). The file may
/// have changed since it was read, so each copied run is read back from the new file and
/// compared with the buffer's bytes (the ones the caller verified); when they differ, the
/// run is written again from the buffer. The new file therefore holds exactly the
/// concatenation of `parts` either way. Where `copy_file_range` fails (another file
/// system: `EXDEV`; not supported: `EINVAL`, `ENOSYS`, `EOPNOTSUPP`; any other error) or a
/// source cannot be opened, the rest of the file is written from the buffers.
///
/// # Errors
/// [`Error::Io`] naming `path`.
pub(crate) fn write_unsynced_from(
    path: &Path,
    parts: &[&[u8]],
    like: &Path,
    sources: &[ReadFrom<'_>],
    copy_ranges: bool,
) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs(dir)?;
    }
    let mut f = fs::OpenOptions::new()
        .read(true) // the copied runs are read back
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    copy_permissions(&f, path, like)?;
    #[cfg(target_os = "linux")]
    if copy_ranges && !sources.is_empty() {
        write_copying(&mut f, parts, sources).map_err(|e| Error::io(path, e))?;
        start_writeback(&f);
        return Ok(());
    }
    let _ = (sources, copy_ranges);
    write_all_vectored(&mut f, parts).map_err(|e| Error::io(path, e))?;
    start_writeback(&f);
    Ok(())
}

/// The smallest run of parts [`write_unsynced_from`] copies with `copy_file_range`:
/// shorter runs (a few records between re-encoded ones) cost more in calls and
/// read-backs than their bytes.
pub(crate) const COPY_RANGE_MIN: usize = 64 * 1024;

/// The writing of [`write_unsynced_from`] with `copy_ranges`, after `f` was created.
#[cfg(target_os = "linux")]
fn write_copying(
    f: &mut fs::File,
    parts: &[&[u8]],
    sources: &[ReadFrom<'_>],
) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    // runs of adjacent parts, as `write_all_vectored` joins them: (parts, address, length)
    let mut runs: Vec<(std::ops::Range<usize>, usize, usize)> = Vec::new();
    for (k, p) in parts.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
        match runs.last_mut() {
            Some((ks, a, n)) if *a + *n == p.as_ptr() as usize => {
                ks.end = k + 1;
                *n += p.len();
            }
            _ => runs.push((k..k + 1, p.as_ptr() as usize, p.len())),
        }
    }
    // the source buffer holding a run, and the run as a slice of it
    let within = |a: usize, n: usize| {
        sources.iter().enumerate().find_map(|(i, s)| {
            let start = s.bytes.as_ptr() as usize;
            (start <= a && a + n <= start + s.bytes.len())
                .then(|| (i, &s.bytes[a - start..a - start + n]))
        })
    };
    // sources opened on first use; `None` inside: it cannot be opened
    let mut opened: Vec<Option<Option<fs::File>>> = (0..sources.len()).map(|_| None).collect();
    let mut copying = true;
    let mut pos: u64 = 0; // bytes written so far
    let mut pending: Vec<&[u8]> = Vec::new();
    let mut check: Vec<u8> = Vec::new();
    for (ks, a, n) in runs {
        let src = (copying && n >= COPY_RANGE_MIN)
            .then(|| within(a, n))
            .flatten();
        let Some((i, run)) = src else {
            pending.extend(&parts[ks]);
            continue;
        };
        let s = &sources[i];
        let file = opened[i].get_or_insert_with(|| fs::File::open(s.path).ok());
        let Some(file) = file.as_ref() else {
            pending.push(run);
            continue;
        };
        write_all_vectored(f, &pending)?;
        pos += pending.iter().map(|p| p.len() as u64).sum::<u64>();
        pending.clear();
        let from = s.offset + (run.as_ptr() as usize - s.bytes.as_ptr() as usize) as u64;
        let copied = copy_range(file, from, f, run.len());
        if copied < run.len() {
            // not supported here, or the file is shorter now: the rest from the buffer
            copying = false;
            write_all_vectored(f, &[&run[copied..]])?;
        }
        // The proof: the staged bytes read back equal the verified ones.
        if copied > 0 && !equal_at(f, pos, &run[..copied], &mut check)? {
            tracing::debug!(
                source = %s.path.display(),
                "the file changed since it was read: its bytes written from the buffer"
            );
            f.write_all_at(&run[..copied], pos)?;
        }
        pos += run.len() as u64;
    }
    write_all_vectored(f, &pending)
}

/// Copies up to `len` bytes of `from` from byte `offset` to `to` at its position (which
/// advances) with `copy_file_range`; returns how many were copied, less than `len` when
/// `from` ends first or the call fails (fallback to the caller's writes: see
/// [`write_unsynced_from`]). Interrupted calls are retried.
#[cfg(target_os = "linux")]
fn copy_range(from: &fs::File, offset: u64, to: &fs::File, len: usize) -> usize {
    use std::os::fd::AsRawFd;
    let mut off_in = offset as libc::loff_t;
    let mut done = 0;
    while done < len {
        // SAFETY: both descriptors are open for the call; `off_in` is a valid loff_t the
        // kernel updates; a null `off_out` uses and advances `to`'s file position.
        let r = unsafe {
            libc::copy_file_range(
                from.as_raw_fd(),
                &mut off_in,
                to.as_raw_fd(),
                std::ptr::null_mut(),
                len - done,
                0,
            )
        };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            tracing::debug!("copy_file_range: {e}: written from the buffers instead");
            break;
        }
        if r == 0 {
            break;
        }
        done += r as usize;
    }
    done
}

/// Whether the bytes of `f` from `offset` equal `want` (read back in chunks of 1 MiB into
/// `buf`).
#[cfg(target_os = "linux")]
fn equal_at(f: &fs::File, offset: u64, want: &[u8], buf: &mut Vec<u8>) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    const CHUNK: usize = 1 << 20;
    buf.resize(CHUNK.min(want.len()), 0);
    let mut at = 0;
    while at < want.len() {
        let n = (want.len() - at).min(buf.len());
        match f.read_exact_at(&mut buf[..n], offset + at as u64) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
        if buf[..n] != want[at..at + n] {
            return Ok(false);
        }
        at += n;
    }
    Ok(true)
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

/// Gives `f` (open at `path`) the permissions of the file `like` when that exists.
fn copy_permissions(f: &fs::File, path: &Path, like: &Path) -> Result<()> {
    if let Ok(old) = fs::metadata(like) {
        if old.is_file() {
            f.set_permissions(old.permissions())
                .map_err(|e| Error::io(path, e))?;
        }
    }
    Ok(())
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
    use std::io::{Read, Seek};
    const PAGE: usize = 4096;
    #[cfg(feature = "objectstore")]
    if let Some(r) = super::store::read_object_range(path, offset, len, None) {
        return r.map(AlignedBytes::from_vec);
    }
    let mut f = fs::File::open(path)?;
    f.seek(std::io::SeekFrom::Start(offset))?;
    // the read goes into the spare capacity, which is not cleared first
    // (`Read::read_to_end`): the kernel clears the fresh pages already
    let mut buf: Vec<u8> = Vec::with_capacity(2 * PAGE + len);
    let start = buf.as_ptr().align_offset(PAGE).min(PAGE - 1) + (offset % PAGE as u64) as usize;
    buf.resize(start, 0);
    f.take(len as u64).read_to_end(&mut buf)?;
    if buf.len() - start < len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the file ends before the range",
        ));
    }
    Ok(AlignedBytes { buf, start, len })
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

/// Asks the kernel to read `len` bytes of the file at `path` from byte `offset` (all of
/// it when `len` is 0) into the page cache now, without waiting for them (Linux
/// `posix_fadvise(POSIX_FADV_WILLNEED)`): a reader that knows which files it reads next
/// names them while it computes on the ones before, so that their reads do not wait for
/// the disk. Only a hint: a file that cannot be opened, or a system without the call, is
/// left alone, and nothing is read into memory of ours.
pub(crate) fn will_need(path: &Path, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    if let Ok(f) = fs::File::open(path) {
        use std::os::fd::AsRawFd;
        // SAFETY: `f` is an open descriptor for the duration of the call, which reads no
        // memory of ours; a failure is ignored (a hint).
        unsafe {
            libc::posix_fadvise(
                f.as_raw_fd(),
                offset as libc::off_t,
                len as libc::off_t,
                libc::POSIX_FADV_WILLNEED,
            )
        };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (path, offset, len);
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
    let mut f = fs::File::open(path)?;
    let size = f.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut buf = buf;
    buf.clear();
    // one byte more to see the end (the file may have grown); the read goes into the
    // spare capacity, which is not cleared first (`Read::read_to_end`): the kernel clears
    // the fresh pages already
    if buf.capacity() < 2 * PAGE + size + 1 {
        buf = Vec::with_capacity(2 * PAGE + size + 1);
    }
    let start = buf.as_ptr().align_offset(PAGE).min(PAGE - 1);
    buf.resize(start, 0);
    f.read_to_end(&mut buf)?;
    let len = buf.len() - start;
    Ok(AlignedBytes { buf, start, len })
}
