//! Reading samples: decode the data records of an archive (or of files) into contiguous
//! segments of samples, like ObsPy's `read` without `merge`.
//!
//! Records are found with the header scanner ([`crate::record::RecordScanner`]), decoded
//! with libmseed ([`crate::codec::decode_payload_into`]), cut to the requested window at sample
//! level and joined into [`SampleSegment`]s with the trace rule of [`crate::segment`]
//! ([`join_pieces_with`]: time tolerance, rate tolerance), the rule the scan uses, so the
//! segments of a stream are its traces and their sample counts are the scan's. Two records
//! join only when their samples have the same type (a stream whose encoding changes from
//! integers to floats gives separate segments). Overlapping data stays in separate segments.
//!
//! Records that are not data (no rate, no samples, text) are skipped, as in the scan.
//!
//! A read makes two passes, each in parallel with rayon. A header pass over every file
//! (the records pass the validation gate there, nothing is decoded) gives each stream's
//! pieces, each with its record's place and payload ([`crate::codec::payload_of`]:
//! libmseed's bounds, encoding and byte order of the samples); the pieces are joined into
//! traces with the records they come from in time order. Then each trace gets one buffer,
//! sized from its records' sample counts (each bounded at the gate by the record's data
//! bytes, never taken from a header alone), cut into one slice per record, and each
//! record's payload is decoded by libmseed (`ms_decode_data`) straight into its slice
//! without parsing the header again ([`crate::codec::decode_payload_into`]), in chunks of
//! 512 records spread over the threads. A record cut by the window is decoded whole and its
//! part copied. A local file is read a chunk's range of bytes at a time (at most 1 MiB)
//! into a buffer each thread reuses, an object of a bucket whole (a batch of objects of
//! about 4 MiB, or one larger, at a time). The files are read (not memory-mapped: a mapped
//! file truncated by another program would end the process with SIGBUS), so peak memory is
//! the samples plus the records' places (about 40 bytes a record, freed trace by trace as
//! the decoding jobs are made) and one range buffer per thread; a file whose device,
//! inode, size or modification time changed between the two passes (checked after each
//! range is read) is an error, never samples decoded at offsets validated in other bytes.
//! The Python binding hands each buffer to numpy without a copy.
//!
//! A read can be cancelled between files of the header pass and between batches of the
//! decoding ([`ReadOptions::cancel`]): the traces whose files were all decoded are returned
//! whole.

use crate::archive::{AlignedBytes, Archive, ArchiveFile};
use crate::codec::{decode_payload_into, payload_of, Payload, Samples, SamplesMut};
use crate::error::{Error, Result};
use crate::record::{RecordScanner, ScanItem};
use crate::segment::{join_pieces_with, Piece, Tolerance};
use crate::sid::{selected, Nslc, NslcGlob};
use crate::time::sample_time;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What to read ([`read_input`], [`read_files`]; the lower level of
/// [`crate::ops::ReadRequest`]): build it with `Default` and set fields (new fields may be
/// added).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Streams to read (empty = all).
    pub selection: Vec<NslcGlob>,
    /// Window `[start_ns, end_ns)`: samples are cut to it; `None` = everything.
    pub window: Option<(i64, i64)>,
    /// Time and rate tolerances of the trace rule.
    pub tolerance: Tolerance,
    /// Cancellation flag: once it is set, the files not yet started are skipped and the
    /// segments of what was read are returned; the caller knows it cancelled.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Stream mappings over time ([`crate::mapping`]): the samples of a record of a mapped
    /// stream belong to the stream it maps to (by the time of its first sample);
    /// `selection` selects the mapped streams. Empty = every record keeps its codes.
    pub mappings: crate::mapping::Mappings,
    /// Threads of the read (`None` = the current rayon pool: all cores for the global
    /// one): the header pass, the decoding and the joining of traces all run on one pool
    /// of this many threads.
    pub threads: Option<usize>,
}

impl ReadOptions {
    fn new(selection: &[NslcGlob], window: Option<(i64, i64)>, tolerance: &Tolerance) -> Self {
        ReadOptions {
            selection: selection.to_vec(),
            window,
            tolerance: *tolerance,
            cancel: None,
            mappings: Default::default(),
            threads: None,
        }
    }
}

/// Contiguous samples of one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleSegment {
    /// The stream.
    pub nslc: Nslc,
    /// Time of the first sample, ns since 1970-01-01 UTC.
    pub start_ns: i64,
    /// Sample rate, Hz (> 0).
    pub sample_rate_hz: f64,
    /// The samples, in the type libmseed decodes the encoding to (never [`Samples::Text`]).
    pub samples: Samples,
}

impl SampleSegment {
    /// End of the time covered, ns (exclusive): the time one period after the last sample.
    pub fn end_ns(&self) -> i64 {
        sample_time(
            self.start_ns,
            self.samples.len() as i64,
            self.sample_rate_hz,
        )
    }

    /// Time of the last sample, ns (`start_ns` for an empty segment).
    pub fn last_sample_ns(&self) -> i64 {
        let n = self.samples.len() as i64;
        sample_time(self.start_ns, (n - 1).max(0), self.sample_rate_hz)
    }
}

/// Reads the samples of the streams of `archive` matching `selection` (empty = all) inside
/// `window` (`[start_ns, end_ns)`; `None` = everything), joined into segments.
///
/// Segments are sorted by N.S.L.C, then start time, then end time.
///
/// # Errors
/// [`Error::Io`] when the archive cannot be listed or a file cannot be read;
/// [`Error::InvalidData`] naming the file and byte offset when a file holds bytes that are
/// not miniSEED; [`Error::Codec`] (with file and offset in the message) when libmseed
/// cannot decode a record. Unlike the scan, reading stops at the first bad file.
pub fn read(
    archive: &Archive,
    selection: &[NslcGlob],
    window: Option<(i64, i64)>,
    tolerance: &Tolerance,
) -> Result<Vec<SampleSegment>> {
    let files = archive.list_files(selection, window)?;
    read_files(&files, &ReadOptions::new(selection, window, tolerance))
}

/// Reads explicit miniSEED files, as [`read`] does for an archive (errors name each file
/// by its path as given).
///
/// # Errors
/// As [`read`].
pub fn read_paths(
    paths: &[PathBuf],
    selection: &[NslcGlob],
    window: Option<(i64, i64)>,
    tolerance: &Tolerance,
) -> Result<Vec<SampleSegment>> {
    read_files(
        &crate::scan::path_files(paths),
        &ReadOptions::new(selection, window, tolerance),
    )
}

/// Reads listed archive files (see [`read`]).
///
/// # Errors
/// As [`read`].
pub fn read_files(files: &[ArchiveFile], opts: &ReadOptions) -> Result<Vec<SampleSegment>> {
    crate::scan::in_pool(opts.threads, || {
        Ok(combine([read_partial_here(files, opts)?], &opts.tolerance))
    })
}

/// The partial result of reading one group of an archive's files (a partition of a
/// distributed read, `siqaco.distributed.read`): per stream its traces (joined with the
/// trace rule) with their samples. [`combine`] joins the partials of every group into the
/// segments a read of all the files gives. Serialisable (serde).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReadPartial {
    /// Per stream its traces and their samples, sorted by N.S.L.C.
    pub streams: Vec<(Nslc, Vec<(Piece, Samples)>)>,
}

/// Reads `files` (one group of an archive's listed files) into a [`ReadPartial`], with
/// the options of the whole read.
///
/// # Errors
/// As [`read`].
pub fn read_partial(files: &[ArchiveFile], opts: &ReadOptions) -> Result<ReadPartial> {
    crate::scan::in_pool(opts.threads, || read_partial_here(files, opts))
}

/// [`read_partial`] on the current rayon pool.
fn read_partial_here(files: &[ArchiveFile], opts: &ReadOptions) -> Result<ReadPartial> {
    // 1. One header pass over each file (the records pass the validation gate there):
    //    per stream, its pieces with the records they come from; no sample decoded.
    let buffers = Buffers::default();
    let planned: Vec<FilePlan> = files
        .par_iter()
        .enumerate()
        .map(|(i, f)| {
            if crate::is_cancelled(opts.cancel.as_deref()) {
                return Ok(FilePlan::default());
            }
            plan_one(i, &f.path, &f.rel_path, opts, &buffers)
        })
        .collect::<Result<_>>()?;
    let mut index: HashMap<Nslc, usize> = HashMap::new();
    let mut streams: Vec<(Nslc, StreamPlan)> = Vec::new();
    let scanned: Vec<(u64, Option<FileStamp>)> = planned.iter().map(|p| p.scanned).collect();
    for plan in planned {
        let to: Vec<usize> = plan
            .streams
            .into_iter()
            .map(|nslc| {
                *index.entry(nslc.clone()).or_insert_with(|| {
                    streams.push((nslc, StreamPlan::default()));
                    streams.len() - 1
                })
            })
            .collect();
        for (s, piece, record) in plan.records {
            let stream = &mut streams[to[s as usize]].1;
            let id = stream.records.len() as u32;
            stream.records.push(record);
            stream.next.push(NONE);
            let chain = Chain {
                sample_type: record.payload.sample_type,
                head: id,
                tail: id,
            };
            stream.pieces.push((piece, chain));
        }
    }
    drop(index);
    // The decoding reads local files a range of records at a time into a few small
    // buffers: the header pass's file buffers are not needed any more.
    buffers.keep(0);
    release_freed_memory();
    // 2. The traces, with the trace rule (the records of a trace in time order, chained).
    streams.sort_by(|a, b| a.0.cmp(&b.0));
    let traces: Vec<(Nslc, Vec<Trace>)> = streams
        .into_par_iter()
        .map(|(nslc, plan)| (nslc, plan.traces(&opts.tolerance)))
        .collect();
    // 3. One buffer per trace, sized from the headers' sample counts (each bounded by the
    //    record's data bytes at the validation gate), cut into one slice per record; the
    //    records are decoded straight into their slices, in parallel.
    let mut out: Vec<(Nslc, Vec<(Piece, Samples)>)> = traces
        .iter()
        .map(|(nslc, ts)| {
            let buffers = ts
                .iter()
                .map(|(piece, records)| {
                    let n = records.iter().map(|r| (r.k1 - r.k0) as usize).sum();
                    let ty = records.first().map_or('i', |r| r.payload.sample_type);
                    (*piece, Samples::zeroed(ty, n))
                })
                .collect();
            (nslc.clone(), buffers)
        })
        .collect();
    let mut per_file = vec![0usize; files.len()];
    for r in traces
        .iter()
        .flat_map(|(_, ts)| ts.iter().flat_map(|t| &t.1))
    {
        per_file[r.file as usize] += 1;
    }
    let mut jobs: Vec<Vec<(PlannedRecord, SamplesMut<'_>)>> =
        per_file.into_iter().map(Vec::with_capacity).collect();
    // The files of each trace (to keep only whole traces when cancelled); the plan's
    // records are freed as their jobs are made.
    let mut trace_files: Vec<Vec<Vec<u32>>> = Vec::with_capacity(traces.len());
    for ((_, ts), (_, buffers)) in traces.into_iter().zip(out.iter_mut()) {
        let mut of_stream = Vec::with_capacity(ts.len());
        for ((_, records), (_, samples)) in ts.into_iter().zip(buffers.iter_mut()) {
            let mut rest = samples.as_mut();
            let mut of_trace: Vec<u32> = Vec::new();
            for r in records {
                let (part, tail) = rest.split_at((r.k1 - r.k0) as usize);
                rest = tail;
                jobs[r.file as usize].push((r, part));
                if of_trace.last() != Some(&r.file) {
                    of_trace.push(r.file);
                }
            }
            of_stream.push(of_trace);
        }
        trace_files.push(of_stream);
    }
    let mut decoded = vec![false; files.len()];
    let mut jobs: Vec<_> = files.iter().zip(jobs).enumerate().collect();
    // Files are decoded in batches, each in parallel across its files and across chunks
    // of records. A local file is read a range of records at a time, an object of a
    // bucket whole: a batch holds objects of about BATCH_BYTES at most (one when larger),
    // and any number of local files.
    let mut rest = &mut jobs[..];
    while !rest.is_empty() {
        if crate::is_cancelled(opts.cancel.as_deref()) {
            break;
        }
        let mut take = 0;
        let mut bytes = 0;
        while take < rest.len() && (take == 0 || bytes < BATCH_BYTES) {
            let (_, (f, jobs)) = &rest[take];
            if crate::archive::store::is_object_url(&f.path) {
                bytes += jobs.iter().map(|(r, _)| r.bytes()).sum::<u64>();
            }
            take += 1;
        }
        let (batch, tail) = rest.split_at_mut(take);
        rest = tail;
        let done: Vec<bool> = batch
            .par_iter_mut()
            .map(|(i, (f, jobs))| {
                if jobs.is_empty() {
                    return Ok(true);
                }
                decode_into(&f.path, &f.rel_path, &scanned[*i], jobs, &buffers, opts)
            })
            .collect::<Result<_>>()?;
        for ((i, _), done) in batch.iter().zip(done) {
            decoded[*i] = done;
        }
    }
    drop(jobs);
    // A read cancelled while decoding keeps the traces whose files were all decoded.
    for (of_stream, (_, buffers)) in trace_files.iter().zip(out.iter_mut()) {
        let mut whole = of_stream
            .iter()
            .map(|of_trace| of_trace.iter().all(|&f| decoded[f as usize]));
        buffers.retain(|_| whole.next().unwrap_or(false));
    }
    out.retain(|(_, t)| !t.is_empty());
    Ok(ReadPartial { streams: out })
}

/// Where one record's samples are: its file (an index into the files read), its byte
/// offset, its payload (as libmseed decodes it, found in the header pass) and the samples
/// `k0..k1` of it kept (the window's part).
#[derive(Clone, Copy, Debug)]
struct PlannedRecord {
    file: u32,
    k0: u32,
    k1: u32,
    offset: u64,
    payload: Payload,
}

impl PlannedRecord {
    /// The bytes of the file the record's decoding reads (its offset to its payload's end).
    fn bytes(&self) -> u64 {
        u64::from(self.payload.offset) + u64::from(self.payload.size)
    }
}

/// A trace of the plan: its piece and its records in time order.
type Trace = (Piece, Vec<PlannedRecord>);

/// The header pass's result for one file: its selected streams and, per data record in
/// file order, the index of its stream, its piece (cut to the window) and the record.
#[derive(Default)]
struct FilePlan {
    /// The file's size and stamp when the header pass read it.
    scanned: (u64, Option<FileStamp>),
    streams: Vec<Nslc>,
    records: Vec<(u32, Piece, PlannedRecord)>,
}

/// End of a chain of records ([`StreamPlan::next`]).
const NONE: u32 = u32::MAX;

/// The payload of a piece while the traces are joined: its sample type (libmseed's, from
/// the encoding) and its records in time order, as a chain through [`StreamPlan::next`]
/// (no allocation per record).
#[derive(Clone, Copy, Debug)]
struct Chain {
    sample_type: char,
    head: u32,
    tail: u32,
}

/// One stream's records and pieces (one per record) before the trace rule joins them.
#[derive(Default)]
struct StreamPlan {
    records: Vec<PlannedRecord>,
    /// The record after each record in its trace ([`NONE`] at the end).
    next: Vec<u32>,
    pieces: Vec<(Piece, Chain)>,
}

impl StreamPlan {
    /// The stream's traces (the trace rule of [`join_pieces_with`]), each with its records
    /// in time order.
    fn traces(self, tolerance: &Tolerance) -> Vec<Trace> {
        let StreamPlan {
            records,
            mut next,
            pieces,
        } = self;
        let joined = join_pieces_with(
            pieces,
            tolerance,
            |a, b| a.sample_type == b.sample_type,
            |a, b| {
                next[a.tail as usize] = b.head;
                a.tail = b.tail;
            },
        );
        joined
            .into_iter()
            .map(|(piece, chain)| {
                let mut list = Vec::new();
                let mut at = chain.head;
                while at != NONE {
                    list.push(records[at as usize]);
                    at = next[at as usize];
                }
                (piece, list)
            })
            .collect()
    }
}

/// How many records one task decodes (enough to amortise the task and its read, small
/// enough to spread a single file over the threads).
const RECORDS_PER_TASK: usize = 512;

/// How many bytes of a local file one read of the decoding pass spans at most (unless one
/// record is larger).
const RANGE_BYTES: u64 = 1 << 20;

/// How many bytes of objects of a bucket (read whole) a batch of the decoding pass holds
/// at most (one object when larger).
const BATCH_BYTES: u64 = 4 << 20;

/// Decodes the records `jobs` of one file into their slices: a local file a range of
/// [`RECORDS_PER_TASK`] records at a time (in file order, in parallel, each range read
/// into a reused buffer), an object of a bucket read whole. Returns whether every record
/// was decoded (`false`: cancelled on the way).
fn decode_into(
    path: &Path,
    display: &str,
    scanned: &(u64, Option<FileStamp>),
    jobs: &mut [(PlannedRecord, SamplesMut<'_>)],
    buffers: &Buffers,
    opts: &ReadOptions,
) -> Result<bool> {
    let changed = || {
        Error::invalid_data(
            display,
            0,
            "the file changed between the header pass and the decoding (replaced or \
             rewritten by another program meanwhile); read it again",
        )
    };
    if crate::archive::store::is_object_url(path) {
        let (buf, stamp) = buffers.read(path).map_err(|e| Error::io(path, e))?;
        if buf.len() as u64 != scanned.0 || stamp != scanned.1 {
            return Err(changed());
        }
        let decoded = jobs
            .par_chunks_mut(RECORDS_PER_TASK)
            .try_for_each(|chunk| decode_records(&buf, 0, display, chunk));
        buffers.give_back(buf);
        return decoded.map(|()| true);
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    jobs.par_sort_unstable_by_key(|(r, _)| r.offset);
    let done = std::sync::atomic::AtomicBool::new(true);
    jobs.par_chunks_mut(RECORDS_PER_TASK)
        .try_for_each(|chunk| {
            if crate::is_cancelled(opts.cancel.as_deref()) {
                done.store(false, std::sync::atomic::Ordering::Relaxed);
                return Ok(());
            }
            // Records read together span at most RANGE_BYTES (unless one is larger): the
            // selected records of a file that holds many streams may lie far apart.
            let mut rest = chunk;
            while let Some(((first, _), _)) = rest.split_first() {
                let from = first.offset;
                let mut to = from + first.bytes();
                let mut take = 1;
                while let Some((r, _)) = rest.get(take) {
                    let end = to.max(r.offset + r.bytes());
                    if end - from > RANGE_BYTES {
                        break;
                    }
                    to = end;
                    take += 1;
                }
                let (part, tail) = rest.split_at_mut(take);
                rest = tail;
                let buf = buffers
                    .read_range(&file, from, (to - from) as usize)
                    .map_err(|e| Error::io(path, e))?;
                // The stamp after the read: the bytes are those the header pass validated.
                if to > scanned.0 || FileStamp::of_file(&file) != scanned.1 {
                    return Err(changed());
                }
                let decoded = decode_records(&buf, from, display, part);
                buffers.give_back(buf);
                decoded?;
            }
            Ok(())
        })?;
    Ok(done.into_inner())
}

/// Decodes the records `jobs` from the bytes `buf` of their file (`buf[0]` is the file's
/// byte `base`).
fn decode_records(
    buf: &[u8],
    base: u64,
    display: &str,
    jobs: &mut [(PlannedRecord, SamplesMut<'_>)],
) -> Result<()> {
    for (r, out) in jobs.iter_mut() {
        let bytes = r
            .offset
            .checked_sub(base)
            .and_then(|at| usize::try_from(at).ok())
            .and_then(|at| buf.get(at..))
            .filter(|b| b.len() as u64 >= r.bytes())
            .ok_or_else(|| {
                Error::invalid_data(
                    display,
                    r.offset,
                    "the file is shorter than when it was scanned",
                )
            })?;
        decode_payload_into(bytes, &r.payload, r.k0 as usize, out.reborrow())
            .map_err(|e| located(e, display, r.offset))?;
    }
    Ok(())
}

/// The file buffers of one read, reused from file to file
/// ([`crate::archive::read_aligned_reusing`]): the files held at once are the files being
/// read at once (the threads of the header pass, one batch of the decoding), and no freed
/// buffer is left to the allocator to keep.
///
/// Files are read, not memory-mapped: a mapped file truncated by another program (a copy
/// tool writing in place, a recorder rotating) would end the process with SIGBUS, and a
/// crash is the worst defect a read can have.
#[derive(Default)]
struct Buffers(std::sync::Mutex<Vec<Vec<u8>>>);

impl Buffers {
    /// The bytes of the file at `path`, read whole (an object of a bucket: one GET), and
    /// the file's stamp taken after the read ([`FileStamp`]).
    fn read(&self, path: &Path) -> std::io::Result<(AlignedBytes, Option<FileStamp>)> {
        let reuse = self.0.lock().ok().and_then(|mut v| v.pop());
        let bytes = crate::archive::read_aligned_reusing(path, reuse.unwrap_or_default())?;
        Ok((bytes, FileStamp::of(path)))
    }

    /// `len` bytes of the open local file `f` from byte `offset`
    /// ([`crate::archive::read_file_range_aligned`]).
    fn read_range(
        &self,
        f: &std::fs::File,
        offset: u64,
        len: usize,
    ) -> std::io::Result<AlignedBytes> {
        let reuse = self.0.lock().ok().and_then(|mut v| v.pop());
        crate::archive::read_file_range_aligned(f, offset, len, reuse.unwrap_or_default())
    }

    /// Gives `bytes`' allocation back for the next file.
    fn give_back(&self, bytes: AlignedBytes) {
        if let Ok(mut v) = self.0.lock() {
            v.push(bytes.into_buffer());
        }
    }

    /// Keeps at most `n` buffers (the largest).
    fn keep(&self, n: usize) {
        if let Ok(mut v) = self.0.lock() {
            v.sort_by_key(|b| std::cmp::Reverse(b.len()));
            v.truncate(n);
        }
    }
}

/// Returns the memory the allocator keeps after the header pass (its freed file buffers
/// and plan vectors, in the arenas of the threads) to the system before the sample
/// buffers are written: glibc's `malloc_trim(0)`, which releases the free pages of every
/// arena. Without it, freed file buffers the allocator kept (glibc raises its mmap
/// threshold after each large free) stayed resident under the samples: up to two files'
/// size more at the peak with two threads.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the allocator to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What identifies the version of a local file read twice (the header pass, then the
/// decoding pass): its device, inode, size and modification time. The decoding pass
/// decodes payloads at the offsets the header pass validated, so a file replaced or
/// rewritten between the passes is an error rather than samples from other bytes.
/// `None` for an object of a bucket (read whole in each pass; its size is compared).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        if crate::archive::store::is_object_url(path) {
            return None;
        }
        Self::of_metadata(&std::fs::metadata(path).ok()?)
    }

    /// The stamp of the open local file `f`.
    fn of_file(f: &std::fs::File) -> Option<FileStamp> {
        Self::of_metadata(&f.metadata().ok()?)
    }

    fn of_metadata(m: &std::fs::Metadata) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        Some(FileStamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }
}

/// An error of decoding the record at `offset` of the file `display`, naming both.
fn located(e: Error, display: &str, offset: u64) -> Error {
    match e {
        Error::InvalidData { message, .. } => Error::invalid_data(display, offset, message),
        Error::Codec { message, source } => Error::Codec {
            message: format!("{display}: byte offset {offset}: {message}"),
            source,
        },
        other => other,
    }
}

/// Joins each stream's pieces with the trace rule; streams sorted by N.S.L.C.
fn join_streams(
    streams: HashMap<Nslc, Vec<(Piece, Samples)>>,
    tolerance: &Tolerance,
) -> Vec<(Nslc, Vec<(Piece, Samples)>)> {
    let mut streams: Vec<_> = streams.into_iter().collect();
    streams.sort_by(|a, b| a.0.cmp(&b.0));
    streams
        .into_par_iter()
        .map(|(nslc, pieces)| {
            crate::scan::note_pool_threads();
            (nslc, join_pieces_with(pieces, tolerance, same_type, append))
        })
        .collect()
}

/// The segments of a read from the partials of its groups ([`read_partial`] over groups
/// that together hold each listed file once): equal to those of one read of all the
/// files, the traces being joined again with the same rule. Sorted by N.S.L.C, then
/// start time, then end time.
pub fn combine(
    partials: impl IntoIterator<Item = ReadPartial>,
    tolerance: &Tolerance,
) -> Vec<SampleSegment> {
    let mut streams: HashMap<Nslc, Vec<(Piece, Samples)>> = HashMap::new();
    for p in partials {
        for (nslc, traces) in p.streams {
            streams.entry(nslc).or_default().extend(traces);
        }
    }
    join_streams(streams, tolerance)
        .into_iter()
        .flat_map(|(nslc, traces)| {
            traces
                .into_iter()
                .map(move |(piece, samples)| SampleSegment {
                    nslc: nslc.clone(),
                    start_ns: piece.start_ns,
                    sample_rate_hz: piece.sample_rate_hz,
                    samples,
                })
        })
        .collect()
}

pub(crate) fn same_type(a: &Samples, b: &Samples) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

pub(crate) fn append(a: &mut Samples, b: Samples) {
    match (a, b) {
        (Samples::Int32(a), Samples::Int32(b)) => a.extend(b),
        (Samples::Float32(a), Samples::Float32(b)) => a.extend(b),
        (Samples::Float64(a), Samples::Float64(b)) => a.extend(b),
        (Samples::Text(a), Samples::Text(b)) => a.extend(b),
        // `same_type` keeps other pairs apart.
        _ => unreachable!("samples of different types are never joined"),
    }
}

/// Number of samples `i` in `0..n` with `sample_time(start, i, rate) < t`.
fn samples_before(start_ns: i64, n: i64, rate_raw: f64, t: i64) -> i64 {
    // sample_time is non-decreasing in i: binary search.
    let (mut lo, mut hi) = (0i64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if sample_time(start_ns, mid, rate_raw) < t {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The header pass of [`read_partial`] over the file `files[file]`: the selected data
/// records, cut to the window, as pieces with their record and its payload.
fn plan_one(
    file: usize,
    path: &Path,
    display: &str,
    opts: &ReadOptions,
    buffers: &Buffers,
) -> Result<FilePlan> {
    let (buf, stamp) = buffers.read(path).map_err(|e| Error::io(path, e))?;
    let plan = plan_bytes(file, &buf, (buf.len() as u64, stamp), display, opts);
    buffers.give_back(buf);
    plan
}

/// [`plan_one`] on the bytes `buf` of the file, read with the size and stamp `scanned`.
fn plan_bytes(
    file: usize,
    buf: &[u8],
    scanned: (u64, Option<FileStamp>),
    display: &str,
    opts: &ReadOptions,
) -> Result<FilePlan> {
    let (selection, window, mappings) = (&opts.selection, opts.window, &opts.mappings);
    let mut plan = FilePlan {
        scanned,
        ..FilePlan::default()
    };
    let mut ids: HashMap<Nslc, u32> = HashMap::new();
    let mut id_of = |plan: &mut FilePlan, nslc: &Nslc| -> u32 {
        *ids.entry(nslc.clone()).or_insert_with(|| {
            plan.streams.push(nslc.clone());
            (plan.streams.len() - 1) as u32
        })
    };
    // The previous record's stream key and its stream: `Err(codes)` for codes with
    // mappings (the stream is found per record, by time), `Ok(None)` when not selected.
    type Last = (u8, Vec<u8>, std::result::Result<Option<u32>, Nslc>);
    let mut last: Option<Last> = None;
    for item in RecordScanner::new(buf) {
        let (offset, header) = match item {
            ScanItem::Invalid {
                offset, message, ..
            } => return Err(Error::invalid_data(display, offset, message)),
            ScanItem::Record { offset, header } => (offset, header),
        };
        if !header.is_data() {
            continue;
        }
        let key = header.stream_key();
        let stream = match &last {
            Some((v, k, stream)) if *v == header.format_version && k == key => stream.clone(),
            _ => {
                let nslc = header.nslc();
                let stream = if mappings.maps(&nslc) {
                    Err(nslc)
                } else {
                    Ok(selected(selection, &nslc).then(|| id_of(&mut plan, &nslc)))
                };
                last = Some((header.format_version, key.to_vec(), stream.clone()));
                stream
            }
        };
        let stream = match stream {
            Ok(id) => id,
            Err(codes) => {
                let to = mappings.map(&codes, header.start_ns);
                selected(selection, to).then(|| id_of(&mut plan, to))
            }
        };
        let Some(stream) = stream else { continue };
        let n = header.sample_count;
        let rate = header.sample_rate_raw;
        let (k0, k1) = match window {
            Some((ws, we)) => (
                samples_before(header.start_ns, n, rate, ws),
                samples_before(header.start_ns, n, rate, we),
            ),
            None => (0, n),
        };
        if k0 >= k1 {
            continue;
        }
        let payload = payload_of(&header).map_err(|e| located(e, display, offset))?;
        let piece = if (k0, k1) == (0, n) {
            Piece {
                start_ns: header.start_ns,
                last_sample_ns: header.end_ns(),
                end_ns: header.coverage_end_ns(),
                sample_rate_hz: header.sample_rate_hz,
                samples: n,
            }
        } else {
            Piece {
                start_ns: sample_time(header.start_ns, k0, rate),
                last_sample_ns: sample_time(header.start_ns, k1 - 1, rate),
                end_ns: sample_time(header.start_ns, k1, rate),
                sample_rate_hz: header.sample_rate_hz,
                samples: k1 - k0,
            }
        };
        plan.records.push((
            stream,
            piece,
            PlannedRecord {
                file: file as u32,
                k0: k0 as u32,
                k1: k1 as u32,
                offset,
                payload,
            },
        ));
    }
    Ok(plan)
}

/// Reads a [`crate::scan::ScanInput`]: an archive as [`read`] does, files as
/// [`read_paths`] does, with the options `opts` (cancellation included).
///
/// # Errors
/// As [`read`] and [`read_paths`].
pub fn read_input(
    input: &crate::scan::ScanInput,
    opts: &ReadOptions,
) -> Result<Vec<SampleSegment>> {
    let selection = opts.mappings.widen(&opts.selection);
    read_files(&input.list_files(&selection, opts.window)?, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The selected records of a file that holds other streams may lie far apart: records
    /// more than RANGE_BYTES apart are read in separate ranges, and the samples are those
    /// of the same records read from a file of their own.
    #[test]
    fn records_far_apart_in_a_file_read_the_same_samples() {
        let data = crate::testing::test_data_dir().expect("tests/data");
        let cola =
            std::fs::read(data.join("mseed/pymseed-tests__testdata-COLA-signal.v2.mseed")).unwrap();
        let other =
            std::fs::read(data.join("mseed/obspy-io-mseed__CH.BALST..LH_two_channels.mseed"))
                .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (alone, spread) = (
            dir.path().join("alone.mseed"),
            dir.path().join("spread.mseed"),
        );
        std::fs::write(&alone, &cola).unwrap();
        // COLA's first 512-byte record, then more than RANGE_BYTES of CH.BALST, then the rest.
        let mut bytes = cola[..512].to_vec();
        while (bytes.len() as u64) < RANGE_BYTES + 512 {
            bytes.extend_from_slice(&other);
        }
        bytes.extend_from_slice(&cola[512..]);
        std::fs::write(&spread, &bytes).unwrap();
        let sel = [NslcGlob::parse("IU.COLA.*.*").unwrap()];
        let tol = Tolerance::default();
        let a = read_paths(&[alone], &sel, None, &tol).unwrap();
        let b = read_paths(&[spread], &sel, None, &tol).unwrap();
        assert_eq!(a.len(), 3, "three COLA channels");
        assert_eq!(a, b);
    }

    /// A file replaced between the header pass and the decoding (same size, other payload
    /// bytes: what a copy tool renaming over it leaves) is an error, never samples decoded
    /// at the offsets validated in the old bytes.
    #[test]
    fn a_file_replaced_between_the_passes_is_an_error() {
        let data = crate::testing::test_data_dir().expect("tests/data");
        let original =
            std::fs::read(data.join("mseed/libmseed__reference-testdata-steim2.v2.mseed")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("day.mseed");
        std::fs::write(&path, &original).unwrap();
        let buffers = Buffers::default();
        let plan = plan_one(0, &path, "day.mseed", &ReadOptions::default(), &buffers).unwrap();
        assert!(!plan.records.is_empty());
        let records: Vec<PlannedRecord> = plan.records.iter().map(|r| r.2).collect();
        let decode = || {
            let mut outs: Vec<Samples> = records
                .iter()
                .map(|r| Samples::zeroed(r.payload.sample_type, (r.k1 - r.k0) as usize))
                .collect();
            let mut jobs: Vec<(PlannedRecord, SamplesMut<'_>)> = records
                .iter()
                .copied()
                .zip(outs.iter_mut().map(|b| b.as_mut()))
                .collect();
            let opts = ReadOptions::default();
            decode_into(
                &path,
                "day.mseed",
                &plan.scanned,
                &mut jobs,
                &buffers,
                &opts,
            )
        };
        decode().expect("the file as scanned decodes");
        // Same length, payload bytes changed, renamed over the file.
        let mut other = original.clone();
        let r = records[0];
        let at = (r.offset + u64::from(r.payload.offset)) as usize;
        for b in &mut other[at + 64..at + 128] {
            *b ^= 0x5a;
        }
        let tmp = dir.path().join("day.mseed.new");
        std::fs::write(&tmp, &other).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let e = decode().expect_err("a replaced file must not be decoded");
        assert!(e.to_string().contains("changed between"), "{e}");
    }
}
