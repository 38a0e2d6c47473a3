//! Scanning: read the record headers of many files in parallel and analyse every stream.
//!
//! The scan reads headers only (no sample decoding) with [`crate::record::RecordScanner`],
//! turns each data record into a coverage piece, joins pieces into traces per stream
//! ([`crate::segment`]) and analyses each stream ([`crate::gaps::analyze`]). Files are read
//! in parallel with rayon; the memory held is bounded by the number of streams and traces,
//! not by the size of the archive. A file that cannot be read, or that holds bytes that are
//! not miniSEED, is reported in [`ScanReport::errors`] with its byte offset; the records that
//! could be read are still used, and the other files are scanned as usual.

use crate::archive::{Archive, ArchiveFile};
use crate::error::Result;
use crate::gaps::{analyze, AnalysisOptions, StreamAnalysis};
use crate::record::{RecordScanner, ScanItem};
use crate::segment::{Piece, TraceBuilder};
use crate::sid::{selected, Nslc, NslcGlob};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// What to scan and how to analyse it.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Streams to report (empty = all).
    pub selection: Vec<NslcGlob>,
    /// Analysis options; `analysis.window` also limits the files listed and the records used.
    pub analysis: AnalysisOptions,
    /// Number of worker threads (`None` = all cores).
    pub threads: Option<usize>,
    /// Cancellation flag: once it is set, the files not yet started are skipped and the
    /// (partial) report is returned; the caller knows it cancelled.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// Progress of a scan, passed to the progress callback after each file.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Files done so far.
    pub files_done: u64,
    /// Files to scan.
    pub files_total: u64,
    /// Bytes read so far.
    pub bytes_done: u64,
    /// Bytes to read (sum of file sizes when known).
    pub bytes_total: u64,
}

/// A file that could not be read completely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// The file's path as found under the scanned root (or as given).
    pub path: String,
    /// Byte offset of the first byte that could not be read as a record; `None` when the
    /// file could not be opened or read at all.
    pub offset: Option<u64>,
    /// What went wrong.
    pub message: String,
}

/// The report of one stream.
#[derive(Clone, Debug)]
pub struct StreamReport {
    /// The stream.
    pub nslc: Nslc,
    /// Data records used.
    pub records: u64,
    /// Segments, gaps, overlaps and statistics.
    pub analysis: StreamAnalysis,
}

/// The result of a scan.
#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    /// Streams, sorted by N.S.L.C.
    pub streams: Vec<StreamReport>,
    /// Files that could not be read completely, sorted by path and offset.
    pub errors: Vec<FileError>,
    /// Files scanned.
    pub files: u64,
    /// Records read (data and non-data).
    pub records: u64,
    /// Bytes read.
    pub bytes: u64,
    /// The analysis window, if any.
    pub window: Option<(i64, i64)>,
}

/// Per-thread accumulator.
#[derive(Default)]
struct Acc {
    streams: HashMap<Nslc, (TraceBuilder, u64)>,
    errors: Vec<FileError>,
    files: u64,
    records: u64,
    bytes: u64,
}

impl Acc {
    fn merge(mut self, other: Acc, opts: &ScanOptions) -> Acc {
        let (small, big) = if self.streams.len() < other.streams.len() {
            (std::mem::take(&mut self.streams), other.streams)
        } else {
            (other.streams, std::mem::take(&mut self.streams))
        };
        self.streams = big;
        for (k, (tb, n)) in small {
            let e = self.streams.entry(k).or_default();
            e.0.merge(tb, &opts.analysis.tolerance);
            e.1 += n;
        }
        self.errors.extend(other.errors);
        self.files += other.files;
        self.records += other.records;
        self.bytes += other.bytes;
        self
    }
}

/// Parses stream selections (`NET.STA.LOC.CHA` globs, see [`NslcGlob::parse`]).
///
/// # Errors
/// [`crate::Error::InvalidArgument`] naming the first bad selection.
pub fn parse_selection<S: AsRef<str>>(texts: &[S]) -> Result<Vec<NslcGlob>> {
    texts.iter().map(|s| NslcGlob::parse(s.as_ref())).collect()
}

/// The analysis window `[start, end)` from optional bounds in ns: `None` when neither is
/// given, an open side otherwise reaching far into the past or future.
///
/// # Errors
/// [`crate::Error::InvalidArgument`] when the end is not after the start.
pub fn window_from(start_ns: Option<i64>, end_ns: Option<i64>) -> Result<Option<(i64, i64)>> {
    match (start_ns, end_ns) {
        (None, None) => Ok(None),
        (s, e) => {
            let s = s.unwrap_or(i64::MIN / 4);
            let e = e.unwrap_or(i64::MAX / 4);
            if e <= s {
                return Err(crate::Error::invalid_argument(
                    "the end must be after the start",
                ));
            }
            Ok(Some((s, e)))
        }
    }
}

/// What to scan or read: one directory is an archive in a layout; anything else is a list
/// of miniSEED files read directly (the CLI's and the bindings' rule).
#[derive(Clone, Debug)]
pub enum ScanInput {
    /// An archive root with its layout.
    Archive(Archive),
    /// Files given one by one.
    Files(Vec<PathBuf>),
}

impl ScanInput {
    /// One existing directory gives [`ScanInput::Archive`] with `layout` (parsed with
    /// [`crate::archive::Layout`]'s `FromStr`); otherwise every path must exist and they are
    /// [`ScanInput::Files`].
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] for a bad layout, [`crate::Error::Io`] (not found)
    /// for a missing path.
    pub fn from_paths(paths: &[PathBuf], layout: &str) -> Result<Self> {
        if paths.len() == 1 && paths[0].is_dir() {
            return Ok(ScanInput::Archive(Archive::new(&paths[0], layout.parse()?)));
        }
        if let Some(p) = paths.iter().find(|p| !p.exists()) {
            return Err(crate::Error::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
            ));
        }
        Ok(ScanInput::Files(paths.to_vec()))
    }

    /// Scans the input (see [`scan_archive`] and [`scan_paths`]).
    ///
    /// # Errors
    /// As [`scan_archive`].
    pub fn scan(
        &self,
        opts: &ScanOptions,
        progress: Option<&(dyn Fn(Progress) + Sync)>,
    ) -> Result<ScanReport> {
        match self {
            ScanInput::Archive(a) => scan_archive(a, opts, progress),
            ScanInput::Files(f) => Ok(scan_paths(f, opts, progress)),
        }
    }
}

/// Scans the files of `archive` selected by `opts` (selection, window).
///
/// # Errors
/// Only when the archive cannot be listed (missing root, unreadable directory); problems in
/// individual files are reported in [`ScanReport::errors`].
pub fn scan_archive(
    archive: &Archive,
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> Result<ScanReport> {
    let files = archive.list_files(&opts.selection, opts.analysis.window)?;
    Ok(scan_files(&files, opts, progress))
}

/// Scans explicit files (each shown in errors by its path as given).
pub fn scan_paths(
    paths: &[PathBuf],
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> ScanReport {
    let files: Vec<ArchiveFile> = paths.iter().map(|p| ArchiveFile::given(p)).collect();
    scan_files(&files, opts, progress)
}

/// Scans listed archive files.
pub fn scan_files(
    files: &[ArchiveFile],
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> ScanReport {
    let total_files = files.len() as u64;
    let total_bytes: u64 = files.iter().map(|f| f.size_bytes).sum();
    let done_files = AtomicU64::new(0);
    let done_bytes = AtomicU64::new(0);
    let run = || {
        files
            .par_iter()
            .fold(Acc::default, |mut acc, f| {
                if crate::is_cancelled(opts.cancel.as_deref()) {
                    return acc;
                }
                let n = scan_one(f, opts, &mut acc);
                let df = done_files.fetch_add(1, Ordering::Relaxed) + 1;
                let db = done_bytes.fetch_add(n, Ordering::Relaxed) + n;
                if let Some(cb) = progress {
                    cb(Progress {
                        files_done: df,
                        files_total: total_files,
                        bytes_done: db,
                        bytes_total: total_bytes,
                    });
                }
                acc
            })
            .reduce(Acc::default, |a, b| a.merge(b, opts))
    };
    let acc = match opts.threads {
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        },
        None => run(),
    };
    finish(acc, opts)
}

fn finish(acc: Acc, opts: &ScanOptions) -> ScanReport {
    let mut streams: Vec<(Nslc, (TraceBuilder, u64))> = acc.streams.into_iter().collect();
    streams.sort_by(|a, b| a.0.cmp(&b.0));
    let streams: Vec<StreamReport> = streams
        .into_par_iter()
        .map(|(nslc, (tb, records))| {
            let traces = tb.finish(&opts.analysis.tolerance);
            StreamReport {
                nslc,
                records,
                analysis: analyze(&traces, &opts.analysis),
            }
        })
        .collect();
    let mut errors = acc.errors;
    errors.sort_by(|a, b| (&a.path, a.offset).cmp(&(&b.path, b.offset)));
    ScanReport {
        streams,
        errors,
        files: acc.files,
        records: acc.records,
        bytes: acc.bytes,
        window: opts.analysis.window,
    }
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn read_file(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    let mut f = std::fs::File::open(path)?;
    if let Ok(m) = f.metadata() {
        buf.reserve(m.len() as usize);
    }
    f.read_to_end(buf)?;
    Ok(())
}

/// Scans one file into the accumulator; returns the bytes read.
fn scan_one(file: &ArchiveFile, opts: &ScanOptions, acc: &mut Acc) -> u64 {
    BUF.with(|cell| {
        let mut buf = cell.borrow_mut();
        if let Err(e) = read_file(&file.path, &mut buf) {
            acc.errors.push(FileError {
                path: file.rel_path.clone(),
                offset: None,
                message: format!("cannot read file: {e}"),
            });
            return 0;
        }
        acc.files += 1;
        acc.bytes += buf.len() as u64;
        if buf.is_empty() {
            acc.errors.push(FileError {
                path: file.rel_path.clone(),
                offset: Some(0),
                message: "empty file: no miniSEED record".into(),
            });
            return 0;
        }
        scan_buffer(&buf, &file.rel_path, opts, acc);
        // Do not keep a huge buffer alive per thread.
        if buf.capacity() > 256 << 20 {
            *buf = Vec::new();
        }
        buf.len() as u64
    })
}

/// Per-file stream slot: the selected stream's builder index, or None when not selected.
fn scan_buffer(buf: &[u8], display: &str, opts: &ScanOptions, acc: &mut Acc) {
    let tol = &opts.analysis.tolerance;
    let window = opts.analysis.window;
    let mut keys: HashMap<(u8, Vec<u8>), Option<usize>> = HashMap::new();
    let mut local: Vec<(Nslc, TraceBuilder, u64)> = Vec::new();
    let mut last: Option<(u8, &[u8], Option<usize>)> = None;
    for item in RecordScanner::new(buf) {
        match item {
            ScanItem::Invalid {
                offset, message, ..
            } => acc.errors.push(FileError {
                path: display.to_string(),
                offset: Some(offset),
                message,
            }),
            ScanItem::Record { header, .. } => {
                acc.records += 1;
                if !header.is_data() {
                    continue;
                }
                let key = header.stream_key();
                let slot = match last {
                    Some((v, k, slot)) if v == header.format_version && k == key => slot,
                    _ => {
                        let slot = *keys
                            .entry((header.format_version, key.to_vec()))
                            .or_insert_with(|| {
                                let nslc = header.nslc();
                                selected(&opts.selection, &nslc).then(|| {
                                    local.push((nslc, TraceBuilder::new(), 0));
                                    local.len() - 1
                                })
                            });
                        last = Some((header.format_version, key, slot));
                        slot
                    }
                };
                let Some(idx) = slot else { continue };
                let end = header.coverage_end_ns();
                if let Some((ws, we)) = window {
                    if end <= ws || header.start_ns >= we {
                        continue;
                    }
                }
                let entry = &mut local[idx];
                entry.1.push(
                    Piece {
                        start_ns: header.start_ns,
                        last_sample_ns: header.end_ns(),
                        end_ns: end,
                        sample_rate_hz: header.sample_rate_hz,
                        samples: header.sample_count,
                    },
                    tol,
                );
                entry.2 += 1;
            }
        }
    }
    for (nslc, mut tb, n) in local {
        if n == 0 {
            continue;
        }
        tb.compact(tol);
        let e = acc.streams.entry(nslc).or_default();
        e.0.merge(tb, tol);
        e.1 += n;
    }
}
