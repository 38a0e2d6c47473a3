//! Scanning: read the record headers of many files in parallel and analyse every stream.
//!
//! The scan reads headers only (no sample decoding) with [`crate::record::RecordScanner`],
//! turns each data record into a coverage piece, joins pieces into traces per stream
//! ([`crate::segment`]) and analyses each stream ([`crate::gaps::analyze`]). Files are read
//! in parallel with rayon, each in chunks of 256 KiB into a buffer per thread that stays in
//! the CPU cache (a record that crosses a chunk boundary is carried over, with the same
//! result as reading the whole file); the memory held is bounded by the number of streams
//! and traces, not by the size of the archive. A file that cannot be read, or that holds
//! bytes that are not miniSEED, is reported in [`ScanReport::errors`] with its byte offset;
//! the records that could be read are still used, and the other files are scanned as usual.

use crate::archive::{Archive, ArchiveFile};
use crate::error::Result;
use crate::gaps::{analyze, AnalysisOptions, StreamAnalysis};
use crate::mapping::{join_spans, MappedSpan, Mappings};
use crate::record::{scan_reader, RecordCodes, RecordHeader, ScanItem};
use crate::segment::{Piece, TraceBuilder};
use crate::sid::{selected, Nslc, NslcGlob};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// What to scan and how to analyse it (the lower level of [`crate::ops::ScanRequest`]):
/// build it with `Default` and set fields (new fields may be added).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ScanOptions {
    /// Streams to report (empty = all).
    pub selection: Vec<NslcGlob>,
    /// Analysis options; `analysis.window` also limits the files listed and the records used.
    pub analysis: AnalysisOptions,
    /// Number of worker threads (`None` = all cores): one pool of this many threads reads
    /// the files and joins the traces.
    pub threads: Option<usize>,
    /// Cancellation flag: once it is set, the files not yet started are skipped and the
    /// (partial) report is returned; the caller knows it cancelled.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Stream mappings over time ([`crate::mapping`]): a record of a mapped stream is
    /// counted in the stream it maps to (by the time of its first sample); `selection`
    /// selects the mapped streams. Empty = every record keeps its codes.
    pub mappings: Mappings,
}

/// Progress of a scan, passed to the progress callback after each file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// The records given to another stream by [`ScanOptions::mappings`], per mapped stream
    /// and original codes, sorted; empty without mappings.
    pub mapped: Vec<MappedSpan>,
}

/// Per-thread accumulator.
#[derive(Default)]
struct Acc {
    streams: HashMap<Nslc, (TraceBuilder, u64)>,
    mapped: Vec<MappedSpan>,
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
        if !other.mapped.is_empty() {
            self.mapped = join_spans(
                std::mem::take(&mut self.mapped)
                    .into_iter()
                    .chain(other.mapped),
            );
        }
        self.files += other.files;
        self.records += other.records;
        self.bytes += other.bytes;
        self
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
    /// One existing directory, `file://` directory or `s3://bucket/prefix`
    /// ([`crate::archive::store::ArchiveRoot`]) gives [`ScanInput::Archive`] in `layout`;
    /// otherwise every path must exist and they are [`ScanInput::Files`] (the CLI's and the
    /// bindings' rule, through the operations' requests).
    ///
    /// # Errors
    /// [`crate::Error::Io`] (the operating system's error: not found...) for a path that
    /// cannot be read; [`crate::Error::InvalidArgument`] for a bad `s3://` URL, or one
    /// without the `objectstore` feature.
    pub fn new(paths: &[PathBuf], layout: &crate::archive::Layout) -> Result<Self> {
        if let [one] = paths {
            let root = crate::archive::store::normalize_root(one)?;
            if crate::archive::store::is_object_url(&root) || root.is_dir() {
                return Ok(ScanInput::Archive(Archive::new(root, layout.clone())));
            }
        }
        for p in paths {
            // objects given one by one are only read by the scan (a missing one is a file
            // error of the report, naming what the store said)
            if !crate::archive::store::is_object_url(p) {
                std::fs::metadata(p).map_err(|e| crate::Error::io(p, e))?;
            }
        }
        Ok(ScanInput::Files(paths.to_vec()))
    }

    /// The files a scan or a read of this input uses: an archive's files of the streams
    /// `selection` matches (empty = all) whose time span meets `window` (file names only,
    /// [`Archive::list_files`]), or the files given.
    ///
    /// # Errors
    /// As [`scan_archive`].
    pub fn list_files(
        &self,
        selection: &[NslcGlob],
        window: Option<(i64, i64)>,
    ) -> Result<Vec<ArchiveFile>> {
        match self {
            ScanInput::Archive(a) => a.list_files(selection, window),
            ScanInput::Files(f) => Ok(path_files(f)),
        }
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
    let selection = opts.mappings.widen(&opts.selection);
    let files = archive.list_files(&selection, opts.analysis.window)?;
    Ok(scan_files(&files, opts, progress))
}

/// Scans explicit files (each shown in errors by its path as given).
pub fn scan_paths(
    paths: &[PathBuf],
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> ScanReport {
    scan_files(&path_files(paths), opts, progress)
}

/// Explicit files as archive files named by their paths as given ([`ArchiveFile::given`]).
pub(crate) fn path_files(paths: &[PathBuf]) -> Vec<ArchiveFile> {
    paths.iter().map(|p| ArchiveFile::given(p)).collect()
}

/// Scans listed archive files.
pub(crate) fn scan_files(
    files: &[ArchiveFile],
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
) -> ScanReport {
    scan_files_in_chunks(files, opts, progress, CHUNK_BYTES)
}

/// [`scan_files`], reading each file `chunk_bytes` at a time (tests use small chunks).
fn scan_files_in_chunks(
    files: &[ArchiveFile],
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
    chunk_bytes: usize,
) -> ScanReport {
    in_pool(reading_threads(files, opts), || {
        finish(accumulate(files, opts, progress, chunk_bytes), opts)
    })
}

/// The partial result of scanning one group of an archive's files (a partition of a
/// distributed scan, `siqaco.distributed.scan`): per stream its records and its traces
/// (coverage pieces joined with the trace rule, [`crate::segment`]), the unreadable file
/// parts and the counters. Small: a few traces per stream and day, never samples.
///
/// [`combine`] joins the partials of every group into the report a scan of all the files
/// gives ([`scan_archive`], [`scan_paths`]): the same code path, fed with the partials
/// instead of the files.
/// Serialisable (serde) so that it can travel between processes.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanPartial {
    /// Per stream: records used and traces, sorted by N.S.L.C.
    pub streams: Vec<(Nslc, u64, Vec<Piece>)>,
    /// Files that could not be read completely.
    pub errors: Vec<FileError>,
    /// Files scanned.
    pub files: u64,
    /// Records read (data and non-data).
    pub records: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Records given to another stream by a mapping (absent in partials of earlier
    /// versions).
    #[serde(default)]
    pub mapped: Vec<MappedSpan>,
}

/// Scans `files` (one group of an archive's listed files) into a [`ScanPartial`]; `opts`
/// as for the whole scan (selection, window, tolerance; the analysis itself is done by
/// [`combine`]).
pub fn scan_partial(files: &[ArchiveFile], opts: &ScanOptions) -> ScanPartial {
    let acc = in_pool(reading_threads(files, opts), || {
        accumulate(files, opts, None, CHUNK_BYTES)
    });
    let tolerance = &opts.analysis.tolerance;
    let mut streams: Vec<(Nslc, u64, Vec<Piece>)> = acc
        .streams
        .into_iter()
        .map(|(nslc, (tb, records))| (nslc, records, tb.finish(tolerance)))
        .collect();
    streams.sort_by(|a, b| a.0.cmp(&b.0));
    ScanPartial {
        streams,
        errors: acc.errors,
        files: acc.files,
        records: acc.records,
        bytes: acc.bytes,
        mapped: acc.mapped,
    }
}

/// The report of a scan from the partials of its groups ([`scan_partial`] over groups
/// that together hold each listed file once, in any order): equal to the report of one
/// scan of all the files with the same `opts`, because traces are joined with the same
/// rule whatever the order the pieces arrive in (the single-machine scan already merges
/// the per-thread results in any order). The traces are joined on `opts.threads` threads.
pub fn combine(partials: impl IntoIterator<Item = ScanPartial>, opts: &ScanOptions) -> ScanReport {
    let tolerance = &opts.analysis.tolerance;
    let acc = partials.into_iter().fold(Acc::default(), |acc, p| {
        let mut other = Acc {
            errors: p.errors,
            mapped: p.mapped,
            files: p.files,
            records: p.records,
            bytes: p.bytes,
            ..Acc::default()
        };
        for (nslc, records, traces) in p.streams {
            let mut tb = TraceBuilder::new();
            tb.extend(traces, tolerance);
            other.streams.insert(nslc, (tb, records));
        }
        acc.merge(other, opts)
    });
    in_pool(opts.threads, || finish(acc, opts))
}

/// Runs `work` on a rayon pool of `threads` threads (`None`: the current pool, all cores
/// for the global one), so that every parallel step of one operation — the decoding and
/// the joining of traces — stays within the request's `threads`. When no pool can be
/// built (no thread can be spawned) `work` runs on the current pool.
pub(crate) fn in_pool<R: Send>(threads: Option<usize>, work: impl FnOnce() -> R + Send) -> R {
    match threads.and_then(|n| rayon::ThreadPoolBuilder::new().num_threads(n).build().ok()) {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// The threads of a scan of `files`: `opts.threads`, or one per request in flight when
/// the files are objects of a bucket ([`crate::archive::store::reading_threads`]).
fn reading_threads(files: &[ArchiveFile], opts: &ScanOptions) -> Option<usize> {
    match files.first() {
        Some(f) => crate::archive::store::reading_threads(&f.path, opts.threads),
        None => opts.threads,
    }
}

/// Records, in tests, the threads of the pool a parallel step of an operation runs on
/// ([`crate::testing::joining_threads`]).
#[inline]
pub(crate) fn note_pool_threads() {
    #[cfg(any(test, feature = "testing"))]
    crate::testing::note_pool_threads();
}

/// Reads `files` into one accumulator, `chunk_bytes` at a time, in parallel on the
/// current pool.
fn accumulate(
    files: &[ArchiveFile],
    opts: &ScanOptions,
    progress: Option<&(dyn Fn(Progress) + Sync)>,
    chunk_bytes: usize,
) -> Acc {
    let total_files = files.len() as u64;
    let total_bytes: u64 = files.iter().map(|f| f.size_bytes).sum();
    let done_files = AtomicU64::new(0);
    let done_bytes = AtomicU64::new(0);
    files
        .par_iter()
        .fold(Acc::default, |mut acc, f| {
            if crate::is_cancelled(opts.cancel.as_deref()) {
                return acc;
            }
            let n = scan_one(f, opts, &mut acc, chunk_bytes);
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
}

fn finish(acc: Acc, opts: &ScanOptions) -> ScanReport {
    let mut streams: Vec<(Nslc, (TraceBuilder, u64))> = acc.streams.into_iter().collect();
    streams.sort_by(|a, b| a.0.cmp(&b.0));
    let streams: Vec<StreamReport> = streams
        .into_par_iter()
        .map(|(nslc, (tb, records))| {
            note_pool_threads();
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
        mapped: acc.mapped,
    }
}

/// Bytes read from a file at a time: the buffer stays in the L2 cache while its records
/// are scanned (a whole day file copied at once is written to memory and read back).
pub(crate) const CHUNK_BYTES: usize = 256 << 10;

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Opens the file at `path` and gives every item of it to `f` ([`scan_reader`], reading
/// `chunk_bytes` at a time into a buffer reused by the thread); returns the bytes read.
///
/// # Errors
/// The I/O error of opening or reading; the items before it have been given.
pub(crate) fn scan_file(
    path: &Path,
    chunk_bytes: usize,
    f: impl FnMut(ScanItem<'_>),
) -> std::io::Result<u64> {
    BUF.with(|cell| {
        let mut buf = cell.borrow_mut();
        // an object of a bucket is scanned as its body arrives (one GET)
        #[cfg(feature = "objectstore")]
        let open = || -> std::io::Result<Box<dyn std::io::Read>> {
            match crate::archive::store::open_object(path) {
                Some(object) => Ok(Box::new(object?)),
                None => Ok(Box::new(std::fs::File::open(path)?)),
            }
        };
        #[cfg(not(feature = "objectstore"))]
        let open = || std::fs::File::open(path);
        let read = open().and_then(|mut file| scan_reader(&mut file, &mut buf, chunk_bytes, f));
        // Do not keep a buffer grown for a huge record alive per thread.
        if buf.len() > 4 * chunk_bytes.max(CHUNK_BYTES) {
            *buf = Vec::new();
        }
        read
    })
}

/// Scans one file into the accumulator, `chunk_bytes` at a time; returns the bytes read.
fn scan_one(file: &ArchiveFile, opts: &ScanOptions, acc: &mut Acc, chunk_bytes: usize) -> u64 {
    let mut scan = FileScan::new(&file.rel_path, opts);
    let read = scan_file(&file.path, chunk_bytes, |item| scan.item(item));
    let bytes = match read {
        Ok(n) => n,
        Err(e) => {
            // Nothing of a file that cannot be read to its end is used.
            acc.errors.push(FileError {
                path: file.rel_path.clone(),
                offset: None,
                message: format!("cannot read file: {e}"),
            });
            return 0;
        }
    };
    acc.files += 1;
    acc.bytes += bytes;
    if bytes == 0 {
        acc.errors.push(FileError {
            path: file.rel_path.clone(),
            offset: Some(0),
            message: "empty file: no miniSEED record".into(),
        });
        return 0;
    }
    scan.finish(acc);
    bytes
}

/// The stream of the previous data record: its version and raw key (see
/// [`crate::record::RecordHeader::stream_key`]; a v3 source identifier has fewer than 64
/// bytes), and its slot in [`FileScan::local`].
struct LastStream {
    version: u8,
    len: usize,
    key: [u8; 64],
    slot: Slot,
}

/// Where the records of one stream key go.
#[derive(Clone, Copy)]
enum Slot {
    /// Not selected.
    Skip,
    /// Slot in [`FileScan::local`].
    Local(usize),
    /// A stream with mappings: index in [`FileScan::mapped`] of its original codes; the
    /// slot is found per record, by time.
    Mapped(usize),
}

impl LastStream {
    #[inline(always)]
    fn is(&self, version: u8, key: &[u8]) -> bool {
        if version != self.version || key.len() != self.len {
            return false;
        }
        match (
            <&[u8; 12]>::try_from(key),
            <&[u8; 12]>::try_from(&self.key[..12]),
        ) {
            // The v2 key: two word compares instead of a call to memcmp.
            (Ok(a), Ok(b)) => a == b,
            _ => key == &self.key[..self.len],
        }
    }
}

/// The scan of one file: its streams, records and errors, added to the thread's
/// accumulator once the whole file has been read.
struct FileScan<'a> {
    display: &'a str,
    opts: &'a ScanOptions,
    /// Where the records of each stream key go.
    keys: HashMap<(u8, Vec<u8>), Slot>,
    local: Vec<(Nslc, TraceBuilder, u64)>,
    /// Slot in `local` of each stream (`None` = not selected): records of several keys
    /// (v2 and v3, or mapped codes) of one stream share it.
    by_nslc: HashMap<Nslc, Option<usize>>,
    /// Original codes of the streams with mappings, and the spans given to other streams.
    mapped: Vec<Nslc>,
    spans: Vec<MappedSpan>,
    last: Option<LastStream>,
    records: u64,
    errors: Vec<FileError>,
}

impl<'a> FileScan<'a> {
    fn new(display: &'a str, opts: &'a ScanOptions) -> Self {
        FileScan {
            display,
            opts,
            keys: HashMap::new(),
            local: Vec::new(),
            by_nslc: HashMap::new(),
            mapped: Vec::new(),
            spans: Vec::new(),
            last: None,
            records: 0,
            errors: Vec::new(),
        }
    }

    #[inline(always)]
    fn item(&mut self, item: ScanItem<'_>) {
        match item {
            ScanItem::Invalid {
                offset, message, ..
            } => self.errors.push(FileError {
                path: self.display.to_string(),
                offset: Some(offset),
                message,
            }),
            // By reference: the header is not copied again.
            ScanItem::Record { ref header, .. } => self.record(header),
        }
    }

    #[inline(always)]
    fn record(&mut self, header: &RecordHeader<'_>) {
        self.records += 1;
        if !header.is_data() {
            return;
        }
        let end = header.coverage_end_ns();
        if let Some((ws, we)) = self.opts.analysis.window {
            if end <= ws || header.start_ns >= we {
                return;
            }
        }
        let version = header.format_version;
        let key = header.stream_key();
        let slot = match &self.last {
            Some(last) if last.is(version, key) => last.slot,
            _ => self.new_stream(version, key, header.codes),
        };
        let idx = match slot {
            Slot::Local(idx) => idx,
            Slot::Skip => return,
            Slot::Mapped(m) => match self.mapped_slot(m, header.start_ns, end) {
                Some(idx) => idx,
                None => return,
            },
        };
        let entry = &mut self.local[idx];
        entry.1.push(
            Piece {
                start_ns: header.start_ns,
                last_sample_ns: header.end_ns(),
                end_ns: end,
                sample_rate_hz: header.sample_rate_hz,
                samples: header.sample_count,
            },
            &self.opts.analysis.tolerance,
        );
        entry.2 += 1;
    }

    /// The slot of a record whose stream differs from the previous record's (out of line,
    /// and given only what it needs, so that the header can stay in registers).
    #[inline(never)]
    fn new_stream(&mut self, version: u8, key: &[u8], codes: RecordCodes<'_>) -> Slot {
        let k = (version, key.to_vec());
        let slot = match self.keys.get(&k) {
            Some(slot) => *slot,
            None => {
                let nslc = codes.nslc();
                let slot = if self.opts.mappings.maps(&nslc) {
                    self.mapped.push(nslc);
                    Slot::Mapped(self.mapped.len() - 1)
                } else {
                    self.slot_of(&nslc).map_or(Slot::Skip, Slot::Local)
                };
                self.keys.insert(k, slot);
                slot
            }
        };
        let mut last = LastStream {
            version,
            len: key.len(),
            key: [0; 64],
            slot,
        };
        last.key[..key.len()].copy_from_slice(key);
        self.last = Some(last);
        slot
    }

    /// The slot in `local` of stream `nslc` (`None` when not selected), added on first use.
    fn slot_of(&mut self, nslc: &Nslc) -> Option<usize> {
        if let Some(slot) = self.by_nslc.get(nslc) {
            return *slot;
        }
        let slot = selected(&self.opts.selection, nslc).then(|| {
            self.local.push((nslc.clone(), TraceBuilder::new(), 0));
            self.local.len() - 1
        });
        self.by_nslc.insert(nslc.clone(), slot);
        slot
    }

    /// The slot of a record of the mapped stream `m` (index in `mapped`) whose first sample
    /// is at `start_ns`: its stream by the mapping's time rule; a mapped record is counted
    /// in the spans of the report.
    #[inline(never)]
    fn mapped_slot(&mut self, m: usize, start_ns: i64, end_ns: i64) -> Option<usize> {
        let opts = self.opts;
        let Some(rule) = opts.mappings.rule_for(&self.mapped[m], start_ns) else {
            let from = self.mapped[m].clone();
            return self.slot_of(&from);
        };
        let slot = self.slot_of(&rule.to)?;
        let span = MappedSpan {
            to: Nslc::default(),
            from: Nslc::default(),
            start_ns,
            end_ns,
            records: 1,
        };
        match self
            .spans
            .iter_mut()
            .find(|s| s.to == rule.to && s.from == rule.from)
        {
            Some(s) => s.absorb(&span),
            None => self.spans.push(MappedSpan {
                to: rule.to.clone(),
                from: rule.from.clone(),
                ..span
            }),
        }
        Some(slot)
    }

    fn finish(self, acc: &mut Acc) {
        let tol = &self.opts.analysis.tolerance;
        acc.records += self.records;
        acc.errors.extend(self.errors);
        if !self.spans.is_empty() {
            acc.mapped = join_spans(
                std::mem::take(&mut acc.mapped)
                    .into_iter()
                    .chain(self.spans),
            );
        }
        for (nslc, mut tb, n) in self.local {
            if n == 0 {
                continue;
            }
            tb.compact(tol);
            let e = acc.streams.entry(nslc).or_default();
            e.0.merge(tb, tol);
            e.1 += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Layout;

    /// Reading files in small chunks, so that records of every length (v2 512 and 4096
    /// bytes, variable-length v3) and the broken parts of the broken files straddle chunk
    /// boundaries, gives the report of reading each file whole: same streams, traces,
    /// counts, and the same errors at the same byte offsets.
    #[test]
    fn chunked_reading_gives_the_whole_file_report() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let mut paths = crate::testing::files_in(&dir.join("mseed"));
        paths.extend(crate::testing::files_in(&dir.join("mseed/broken")));
        paths.extend(crate::testing::files_in(&dir.join("seed")));
        let files = path_files(&paths);
        let sds = Archive::new(dir.join("sds-small"), Layout::Sds)
            .list_files(&[], None)
            .unwrap();
        let opts = ScanOptions {
            threads: Some(2),
            ..ScanOptions::default()
        };
        for files in [files, sds] {
            // One chunk larger than every file: each file is scanned whole.
            let whole_chunk = files.iter().map(|f| f.size_bytes).max().unwrap() as usize + 1;
            let whole = scan_files_in_chunks(&files, &opts, None, whole_chunk);
            assert!(whole.records > 2000, "{}", whole.records);
            let want = format!("{whole:?}");
            for chunk in [1000, 4097, 40, 513] {
                let got = scan_files_in_chunks(&files, &opts, None, chunk);
                assert_eq!(format!("{got:?}"), want, "chunk {chunk}");
            }
        }
    }

    /// The broken files' errors, with their byte offsets, whatever the chunk size.
    #[test]
    fn broken_files_errors_at_their_offsets_in_chunks() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let paths = crate::testing::files_in(&dir.join("mseed/broken"));
        let files = path_files(&paths);
        let opts = ScanOptions::default();
        let whole = scan_files_in_chunks(&files, &opts, None, 1 << 24);
        assert!(whole.errors.len() >= 10, "{:?}", whole.errors);
        assert!(whole.errors.iter().any(|e| e.offset == Some(4096)));
        for chunk in [1, 64, 1000, 4097] {
            let got = scan_files_in_chunks(&files, &opts, None, chunk);
            assert_eq!(got.errors, whole.errors, "chunk {chunk}");
            assert_eq!(got.records, whole.records, "chunk {chunk}");
        }
    }
}
