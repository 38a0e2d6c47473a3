//! Data sources: where missing data is fetched from.
//!
//! A [`Source`] fetches the data for a list of [`RequestLine`]s (the FDSN dataselect POST
//! format: `NET STA LOC CHA START END`) into a staging directory, reports the availability
//! of streams over a window, and says whether it is online. Every source carries a
//! [`SourceInfo`]: name, priority, the streams it serves, a bandwidth limit and a limit on
//! requests in flight.
//!
//! Implementations:
//! * [`fdsnws::FdsnDataselect`]: an FDSN dataselect web service (http or https);
//! * [`local::ArchiveSource`]: another archive on disk, in any [`Layout`](crate::archive::Layout);
//! * [`external::ExternalSource`]: an external program with Morumotto's contract.
//!
//! Clients of the other FDSN services, in [`fdsnws`]: [`fdsnws::availability`]
//! (fdsnws-availability: which times a server has) and [`fdsnws::station`] (fdsnws-station:
//! which streams exist).
//! [`restrict_to_availability`] cuts request lines to the times a source has data.
//!
//! What a source puts in the staging directory is always complete, validated miniSEED: files
//! are written under a hidden temporary name, checked with the record scanner (every byte
//! must be a record, no truncated last record, every record must belong to a requested
//! stream and overlap a requested window) and only then renamed into place. A failed or
//! rejected fetch leaves nothing in the staging directory.
//!
//! [`write_to_archive`] files what was staged into an archive, by day of record start.
//! [`crate::ops::FetchRequest`] is the whole of `siqaco fetch`: availability, split by day,
//! fetch in parallel, write to an archive.
//! See `docs/sources.md`.

/// The longest time a source may be given to answer one request, seconds (seven days):
/// `timeout_s` of a fetch and of a configured source.
pub const MAX_TIMEOUT_S: f64 = 7.0 * 86_400.0;

pub mod external;
pub mod fdsnws;
pub mod local;
mod spec;

pub use spec::SourceSpec;

use crate::archive::{write_atomic, Archive};
use crate::error::{Error, Result};
use crate::record::{RecordHeader, RecordScanner, ScanItem};
use crate::sid::{Nslc, NslcGlob};
use crate::time::{day_floor, parse_time, NS_PER_S};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// One request line: a stream selection (globs allowed, as FDSN services accept) and a time
/// window `[start_ns, end_ns)` in ns since 1970-01-01 UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLine {
    /// The streams asked for (an empty location code is written `--`).
    pub stream: NslcGlob,
    /// Window start, ns since 1970 UTC.
    pub start_ns: i64,
    /// Window end (exclusive), ns since 1970 UTC.
    pub end_ns: i64,
}

impl RequestLine {
    /// A request line for an exact stream.
    pub fn new(nslc: &Nslc, start_ns: i64, end_ns: i64) -> Self {
        RequestLine {
            stream: NslcGlob::exact(nslc),
            start_ns,
            end_ns,
        }
    }

    /// Whether a record of stream `nslc` covering `[start_ns, end_ns)` belongs to this
    /// request: same stream and a non-empty intersection with the window (a record that
    /// only touches the window at one instant also counts, as servers return it).
    pub fn accepts(&self, nslc: &Nslc, start_ns: i64, end_ns: i64) -> bool {
        self.stream.matches(nslc) && start_ns <= self.end_ns && end_ns >= self.start_ns
    }

    /// Parses a line `NET STA LOC CHA START END` (`--` for an empty location; times as
    /// [`parse_time`] accepts).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the line when it does not have six fields, has a
    /// bad time, or ends before it starts.
    pub fn parse(line: &str) -> Result<Self> {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 6 {
            return Err(Error::invalid_argument(format!(
                "request line {line:?}: expected NET STA LOC CHA START END"
            )));
        }
        let mut stream = NslcGlob::parse(&format!("{}.{}.{}.{}", f[0], f[1], f[2], f[3]))?;
        if f[2] == "--" {
            stream.location.clear();
        }
        let (start_ns, end_ns) = (parse_time(f[4])?, parse_time(f[5])?);
        if end_ns <= start_ns {
            return Err(Error::invalid_argument(format!(
                "request line {line:?}: end is not after start"
            )));
        }
        Ok(RequestLine {
            stream,
            start_ns,
            end_ns,
        })
    }
}

impl fmt::Display for RequestLine {
    /// `NET STA LOC CHA START END` with `--` for an empty location and times as
    /// [`format_fdsn_time`] writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = if self.stream.location.is_empty() {
            "--"
        } else {
            &self.stream.location
        };
        write!(
            f,
            "{} {} {} {} {} {}",
            self.stream.network,
            self.stream.station,
            loc,
            self.stream.channel,
            format_fdsn_time(self.start_ns),
            format_fdsn_time(self.end_ns)
        )
    }
}

/// Formats a time for FDSN web services: `YYYY-MM-DDTHH:MM:SS.ffffff` in UTC without a zone
/// suffix (every server accepts it; some reject a `Z`). A sub-microsecond part is
/// truncated.
pub fn format_fdsn_time(ns: i64) -> String {
    let secs = ns.div_euclid(NS_PER_S);
    let us = ns.rem_euclid(NS_PER_S) / 1000;
    let dt = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    format!("{}.{us:06}", dt.format("%Y-%m-%dT%H:%M:%S"))
}

/// `key=value` options at the head of a postfile, in order.
pub type PostOptions = Vec<(String, String)>;

/// Parses a postfile: optional `key=value` lines first, then request lines; blank lines and
/// `#` comments are skipped. Returns the options and the request lines.
///
/// # Errors
/// As [`RequestLine::parse`].
pub fn parse_postfile(text: &str) -> Result<(PostOptions, Vec<RequestLine>)> {
    let mut opts = Vec::new();
    let mut lines = Vec::new();
    for raw in text.lines() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if lines.is_empty() && !l.contains(' ') {
            if let Some((k, v)) = l.split_once('=') {
                opts.push((k.trim().to_string(), v.trim().to_string()));
                continue;
            }
        }
        lines.push(RequestLine::parse(l)?);
    }
    Ok((opts, lines))
}

/// Writes request lines as a postfile body: one line each, `\n`-terminated, after
/// `key=value` options.
pub fn postfile_text(options: &[(&str, &str)], lines: &[RequestLine]) -> String {
    let mut s = String::new();
    for (k, v) in options {
        s.push_str(&format!("{k}={v}\n"));
    }
    for l in lines {
        s.push_str(&format!("{l}\n"));
    }
    s
}

/// What every source is: its name, priority and limits.
#[derive(Clone, Debug)]
pub struct SourceInfo {
    /// A short name (used in file names of staged data and in errors).
    pub name: String,
    /// Priority: 1 is the highest (Morumotto's convention).
    pub priority: u32,
    /// The streams this source serves (empty = all).
    pub streams: Vec<NslcGlob>,
    /// Bandwidth limit in bytes per second (`None` = unlimited).
    pub bandwidth_bytes_per_s: Option<u64>,
    /// Maximum number of requests in flight at once for this source (at least 1).
    pub max_in_flight: usize,
}

impl SourceInfo {
    /// A source description with priority 1, all streams, no bandwidth limit and 4
    /// requests in flight.
    pub fn new(name: impl Into<String>) -> Self {
        SourceInfo {
            name: name.into(),
            priority: 1,
            streams: Vec::new(),
            bandwidth_bytes_per_s: None,
            max_in_flight: 4,
        }
    }

    /// Whether this source serves `nslc`.
    pub fn serves(&self, nslc: &Nslc) -> bool {
        crate::sid::selected(&self.streams, nslc)
    }
}

/// What a fetch left in the staging directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// The staged miniSEED files, complete and validated.
    pub files: Vec<PathBuf>,
    /// Bytes staged.
    pub bytes: u64,
    /// Requests (HTTP requests, program runs, archive reads) that succeeded, with or
    /// without data.
    pub requests_done: u64,
    /// Attempts that failed and were retried (or split, after an HTTP 413).
    pub requests_retried: u64,
}

impl FetchReport {
    /// Whether the source had no data at all for the request.
    pub fn is_no_data(&self) -> bool {
        self.files.is_empty()
    }
}

/// A time span with data of one stream, `[start_ns, end_ns)` in ns since 1970 UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvailabilitySpan {
    /// The stream.
    pub nslc: Nslc,
    /// Start of the span.
    pub start_ns: i64,
    /// End of the span (exclusive).
    pub end_ns: i64,
}

/// A place data can be fetched from.
///
/// Implementations are `Send + Sync`: one source may be used by several threads at once,
/// and enforces its own [`SourceInfo::max_in_flight`] and bandwidth limits.
pub trait Source: Send + Sync {
    /// The source's name, priority, streams and limits.
    fn info(&self) -> &SourceInfo;

    /// Fetches the data for `lines` into the existing directory `staging`.
    ///
    /// No data is not an error: the report then has no files. Data that fails validation
    /// is an error and nothing of it stays in `staging`.
    ///
    /// # Errors
    /// Depends on the source: [`Error::Http`] for web services, [`Error::Source`] for
    /// external programs, [`Error::Io`] for files.
    fn fetch(&self, lines: &[RequestLine], staging: &Path) -> Result<FetchReport>;

    /// The spans with data of `streams` over `window` (`(start_ns, end_ns)`, ns, end
    /// exclusive). Sources that cannot tell report the whole window for every stream
    /// (Morumotto's "assume available").
    ///
    /// # Errors
    /// As [`Source::fetch`].
    fn availability(&self, streams: &[Nslc], window: (i64, i64)) -> Result<Vec<AvailabilitySpan>>;

    /// Whether the source can be reached now.
    fn is_online(&self) -> bool;
}

/// Cuts request lines to the times a source has data, so that a request is sent only for
/// those (issue #5: "a request is sent to a source only for the times that source has
/// data").
///
/// Each line becomes one line per span of `spans` whose stream the line selects (exact
/// codes or globs; an empty location only matches `--`/empty), cut to the intersection of
/// the span and the line's window, with the span's exact stream. Spans of one stream that
/// overlap or touch are joined first, so the output lines of one stream never overlap.
/// A line that no span intersects is dropped: the source has no data for it. Output order:
/// line by line, then stream, then time; a piece asked by two overlapping lines is asked
/// twice (as the lines did). Spans come from [`Source::availability`] for the streams of
/// the lines (which, for a glob line, must cover every stream it should fetch).
pub fn restrict_to_availability(
    lines: &[RequestLine],
    spans: &[AvailabilitySpan],
) -> Vec<RequestLine> {
    let joined = join_spans(spans.to_vec(), i64::MIN, i64::MAX, 0);
    let mut out = Vec::new();
    for l in lines {
        for sp in &joined {
            if !l.stream.matches(&sp.nslc) {
                continue;
            }
            let (a, b) = (sp.start_ns.max(l.start_ns), sp.end_ns.min(l.end_ns));
            if a < b {
                out.push(RequestLine::new(&sp.nslc, a, b));
            }
        }
    }
    out
}

/// Cuts `spans` to `[start_ns, end_ns)` and joins, per stream, spans that overlap or are at
/// most `gap_ns` apart. Sorted by stream, then time.
pub(crate) fn join_spans(
    spans: Vec<AvailabilitySpan>,
    start_ns: i64,
    end_ns: i64,
    gap_ns: i64,
) -> Vec<AvailabilitySpan> {
    let mut by: BTreeMap<Nslc, Vec<(i64, i64)>> = BTreeMap::new();
    for s in spans {
        let (a, b) = (s.start_ns.max(start_ns), s.end_ns.min(end_ns));
        if a < b {
            by.entry(s.nslc).or_default().push((a, b));
        }
    }
    let mut out = Vec::new();
    for (nslc, mut iv) in by {
        iv.sort_unstable();
        let mut cur: Option<(i64, i64)> = None;
        for (a, b) in iv {
            match &mut cur {
                Some((_, ce)) if a <= ce.saturating_add(gap_ns) => *ce = (*ce).max(b),
                _ => {
                    if let Some((cs, ce)) = cur.replace((a, b)) {
                        out.push(AvailabilitySpan {
                            nslc: nslc.clone(),
                            start_ns: cs,
                            end_ns: ce,
                        });
                    }
                }
            }
        }
        if let Some((cs, ce)) = cur {
            out.push(AvailabilitySpan {
                nslc,
                start_ns: cs,
                end_ns: ce,
            });
        }
    }
    out
}

/// Splits request lines into chunks that can be fetched in parallel: one chunk per UTC day
/// (`[00:00, next 00:00)`, the unit of an archive's day files) holding every line cut to
/// that day; when that gives fewer than `min_chunks` chunks, each day chunk is split further
/// into one chunk per line. Chunks are in time order; lines keep their order inside a chunk.
/// Lines are cut, never dropped or joined, so the chunks together ask exactly what `lines`
/// ask.
pub fn split_by_day(lines: &[RequestLine], min_chunks: usize) -> Vec<Vec<RequestLine>> {
    let mut days: BTreeMap<i64, Vec<RequestLine>> = BTreeMap::new();
    for l in lines {
        let mut d = day_floor(l.start_ns);
        while d < l.end_ns {
            let next = d + crate::time::NS_PER_DAY;
            let mut piece = l.clone();
            piece.start_ns = l.start_ns.max(d);
            piece.end_ns = l.end_ns.min(next);
            if piece.start_ns < piece.end_ns {
                days.entry(d).or_default().push(piece);
            }
            d = next;
        }
    }
    if days.len() >= min_chunks {
        return days.into_values().collect();
    }
    days.into_values()
        .flat_map(|v| v.into_iter().map(|l| vec![l]))
        .collect()
}

/// Progress of [`fetch_concurrently`], given after each chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchProgress {
    /// Chunks in all.
    pub chunks_total: usize,
    /// Chunks fetched (with or without data).
    pub chunks_done: usize,
    /// Chunks that failed.
    pub chunks_failed: usize,
    /// Bytes staged so far.
    pub bytes: u64,
}

/// Fetches `chunks` (from [`split_by_day`]) from `source` into `staging` with up to
/// `workers` threads (at least 1; the source's own [`SourceInfo::max_in_flight`] still
/// bounds its requests in flight). A failed chunk does not stop the others: the result is
/// the merged report of the chunks that succeeded and the errors of those that failed, in
/// chunk order. `progress` is called after each chunk.
pub fn fetch_concurrently(
    source: &dyn Source,
    chunks: &[Vec<RequestLine>],
    staging: &Path,
    workers: usize,
    progress: Option<&(dyn Fn(FetchProgress) + Sync)>,
) -> (FetchReport, Vec<Error>) {
    fetch_concurrently_until(source, chunks, staging, workers, progress, None)
}

/// [`fetch_concurrently`] that starts no further chunk once `cancel` is set (the chunks in
/// flight end).
pub(crate) fn fetch_concurrently_until(
    source: &dyn Source,
    chunks: &[Vec<RequestLine>],
    staging: &Path,
    workers: usize,
    progress: Option<&(dyn Fn(FetchProgress) + Sync)>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> (FetchReport, Vec<Error>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    type State = (FetchReport, Vec<(usize, Error)>, FetchProgress);
    let state: Mutex<State> = Mutex::new((
        FetchReport::default(),
        Vec::new(),
        FetchProgress {
            chunks_total: chunks.len(),
            ..FetchProgress::default()
        },
    ));
    let workers = workers.clamp(1, chunks.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                if crate::is_cancelled(cancel) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else { break };
                let r = source.fetch(chunk, staging);
                let p = {
                    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                    st.2.chunks_done += 1;
                    match r {
                        Ok(r) => {
                            st.2.bytes += r.bytes;
                            st.0.files.extend(r.files);
                            st.0.bytes += r.bytes;
                            st.0.requests_done += r.requests_done;
                            st.0.requests_retried += r.requests_retried;
                        }
                        Err(e) => {
                            st.2.chunks_failed += 1;
                            st.1.push((i, e));
                        }
                    }
                    st.2
                };
                if let Some(f) = progress {
                    f(p);
                }
            });
        }
    });
    let (mut report, mut errors, _) = state.into_inner().unwrap_or_else(|e| e.into_inner());
    report.files.sort();
    errors.sort_by_key(|e| e.0);
    (report, errors.into_iter().map(|e| e.1).collect())
}

/// The whole window for every stream (for sources without an availability service).
pub(crate) fn full_availability(streams: &[Nslc], window: (i64, i64)) -> Vec<AvailabilitySpan> {
    let (start_ns, end_ns) = window;
    streams
        .iter()
        .map(|n| AvailabilitySpan {
            nslc: n.clone(),
            start_ns,
            end_ns,
        })
        .collect()
}

/// Checks the file at `path` with [`RecordCheck`] (only complete miniSEED records, of
/// streams whose codes can be filed, that belong to `lines`), reading it through the record
/// scanner's bounded buffer (1 MiB; one longer record, up to 10 MiB, is held whole) instead
/// of whole. Returns the number of records and the file's size, or the message of
/// the first problem.
///
/// # Errors
/// [`Error::Io`] naming the file when it cannot be read.
pub(crate) fn validate_file(
    path: &Path,
    lines: &[RequestLine],
) -> Result<std::result::Result<(usize, u64), String>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::with_capacity(64);
    (&mut file)
        .take(64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    let mut file = std::io::Cursor::new(&head).chain(file);
    let mut check = RecordCheck::new(lines);
    let mut buf = Vec::new();
    let size = crate::record::scan_reader(&mut file, &mut buf, 1 << 20, |item| {
        check.item(item);
    })
    .map_err(|e| Error::io(path, e))?;
    Ok(check.finish(&head).map(|n| (n, size)))
}

/// The record by record check of what a source delivers, fed with the items of a
/// [`RecordScanner`] walk (over a whole buffer, or over a stream in bounded chunks with
/// `scan_reader`), so that a response is validated as it arrives:
///
/// * every byte must be part of a readable record (an unreadable run, e.g. an HTML page or a
///   truncated last record, fails);
/// * the codes of every data record must be usable in an archive path ([`Nslc::validate`]:
///   letters, digits, `-` and `_`, at most 16 characters): a server's record whose codes
///   would escape the archive fails here, naming the record's byte offset, instead of
///   failing later as a bad argument;
/// * every data record must belong to a requested stream and overlap its window
///   (as [`RequestLine::accepts`] says).
///
/// The first failure is kept; later items are ignored.
pub(crate) struct RecordCheck<'l> {
    lines: &'l [RequestLine],
    /// Per format version and raw header codes: the stream, the lines that select it, and
    /// why its codes cannot be filed (found once per stream, so that a record costs no
    /// allocation and no glob match).
    by_stream: HashMap<u8, HashMap<Vec<u8>, StreamCheck>>,
    records: usize,
    failure: Option<(u64, String)>,
}

/// What [`RecordCheck`] knows of one stream.
struct StreamCheck {
    nslc: Nslc,
    lines: Vec<usize>,
    bad_code: Option<String>,
}

impl<'l> RecordCheck<'l> {
    /// A check against `lines`.
    pub(crate) fn new(lines: &'l [RequestLine]) -> Self {
        RecordCheck {
            lines,
            by_stream: HashMap::new(),
            records: 0,
            failure: None,
        }
    }

    /// Checks one scan item; false once a problem was found.
    pub(crate) fn item(&mut self, item: ScanItem<'_>) -> bool {
        if self.failure.is_some() {
            return false;
        }
        match item {
            ScanItem::Invalid {
                offset, message, ..
            } => {
                self.failure = Some((
                    offset,
                    format!("response is not valid miniSEED at byte {offset}: {message}"),
                ));
            }
            ScanItem::Record { offset, header } => {
                if header.is_data() {
                    let lines = self.lines;
                    let per_version = self.by_stream.entry(header.format_version).or_default();
                    let key = header.stream_key();
                    if !per_version.contains_key(key) {
                        let nslc = header.nslc();
                        let sel = (0..lines.len())
                            .filter(|&i| lines[i].stream.matches(&nslc))
                            .collect();
                        let bad_code = nslc.validate().err().map(|e| e.to_string());
                        per_version.insert(
                            key.to_vec(),
                            StreamCheck {
                                nslc,
                                lines: sel,
                                bad_code,
                            },
                        );
                    }
                    let st = &per_version[key];
                    let (s, e) = (header.start_ns, header.coverage_end_ns());
                    if let Some(why) = &st.bad_code {
                        self.failure = Some((
                            offset,
                            format!(
                                "record at byte {offset} has codes that cannot be filed in an \
                                 archive ({}): {why}",
                                st.nslc
                            ),
                        ));
                    } else if !st
                        .lines
                        .iter()
                        .any(|&i| s <= lines[i].end_ns && e >= lines[i].start_ns)
                    {
                        self.failure = Some((
                            offset,
                            format!(
                                "record at byte {offset} ({}, {} to {}) is outside what was asked",
                                st.nslc,
                                crate::time::format_time(s),
                                crate::time::format_time(e)
                            ),
                        ));
                    }
                }
                self.records += 1;
            }
        }
        self.failure.is_none()
    }

    /// Whether a problem was found.
    pub(crate) fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// The number of records, or the message of the first problem; `head` is the start of
    /// the data, quoted when the problem is at byte 0 and the data looks like text (an HTML
    /// or error page).
    pub(crate) fn finish(self, head: &[u8]) -> std::result::Result<usize, String> {
        match self.failure {
            None => Ok(self.records),
            Some((0, msg)) if looks_like_text(head) => Err(format!(
                "{msg} (starts with {:?})",
                String::from_utf8_lossy(&head[..head.len().min(60)])
            )),
            Some((_, msg)) => Err(msg),
        }
    }
}

fn looks_like_text(buf: &[u8]) -> bool {
    buf.iter()
        .take(64)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

/// A counting semaphore bounding requests in flight.
#[derive(Debug)]
pub(crate) struct InFlight {
    max: usize,
    count: Mutex<usize>,
    cv: Condvar,
}

/// A permit of [`InFlight`], released on drop.
pub(crate) struct Permit<'a>(&'a InFlight);

impl InFlight {
    pub(crate) fn new(max: usize) -> Self {
        InFlight {
            max: max.max(1),
            count: Mutex::new(0),
            cv: Condvar::new(),
        }
    }

    pub(crate) fn acquire(&self) -> Permit<'_> {
        let mut c = self.count.lock().unwrap_or_else(|e| e.into_inner());
        while *c >= self.max {
            c = self.cv.wait(c).unwrap_or_else(|e| e.into_inner());
        }
        *c += 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut c = self.0.count.lock().unwrap_or_else(|e| e.into_inner());
        *c -= 1;
        self.0.cv.notify_one();
    }
}

/// A bandwidth limiter shared by all requests of a source: after `bytes` have gone through
/// since the limiter was created, at least `bytes / rate` seconds have passed.
#[derive(Debug)]
pub(crate) struct Throttle {
    rate: Option<u64>,
    state: Mutex<(Instant, u64)>,
}

impl Throttle {
    pub(crate) fn new(rate_bytes_per_s: Option<u64>) -> Self {
        Throttle {
            rate: rate_bytes_per_s.filter(|&r| r > 0),
            state: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Accounts for `bytes` and sleeps as long as needed to keep to the rate.
    pub(crate) fn consume(&self, bytes: u64) {
        let Some(rate) = self.rate else { return };
        let wait = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            // Forget history after an idle second so bursts after pauses are not penalised
            // nor allowed to exceed the rate by much.
            if st.0.elapsed()
                > Duration::from_secs(1) + Duration::from_secs_f64(st.1 as f64 / rate as f64)
            {
                *st = (Instant::now(), 0);
            }
            st.1 += bytes;
            let due = Duration::from_secs_f64(st.1 as f64 / rate as f64);
            due.saturating_sub(st.0.elapsed())
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

/// What [`write_to_archive`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Day files written (created or replaced).
    pub files_written: usize,
    /// Records added.
    pub records_added: u64,
    /// Records skipped because the same bytes were already in the day file.
    pub records_duplicate: u64,
}

/// Files the records of staged miniSEED files into `archive`, each in the day file of its
/// stream and start time (quality `D`), appended to what the file already holds; a record
/// whose exact bytes are already in the file (or earlier in what is staged) is skipped.
/// Files are replaced with [`write_atomic`].
///
/// This is the simple policy of `siqaco fetch`; the sample-level merge is `merge`'s job.
///
/// Memory is bounded by the day files, not by the staged files: these are first walked
/// through the record scanner's bounded buffer to find where each day's records are (file,
/// byte offset, length), then each day file is built from its current content and its new
/// records, read from the staged files in contiguous runs of at most 4 MiB (a few day
/// files at once, in parallel).
///
/// # Errors
/// [`Error::Io`] naming the file that cannot be read or written; [`Error::InvalidData`]
/// when a staged file is not clean miniSEED; [`Error::InvalidCode`] for codes that cannot be
/// used in a path.
pub fn write_to_archive(staged: &[PathBuf], archive: &Archive) -> Result<WriteSummary> {
    let files = staged
        .iter()
        .map(|p| std::fs::File::open(p).map_err(|e| Error::io(p, e)))
        .collect::<Result<Vec<_>>>()?;
    // (stream, day) -> (staged file, byte offset, length) of its records, in staged order;
    // the stream of a record found once per distinct header code bytes.
    let mut names: HashMap<u8, HashMap<Vec<u8>, Nslc>> = HashMap::new();
    let mut by_day: BTreeMap<(Nslc, i64), Vec<StagedRecord>> = BTreeMap::new();
    let mut buf = Vec::new();
    for (i, (path, file)) in staged.iter().zip(&files).enumerate() {
        let mut bad = None;
        let mut reader = file;
        crate::record::scan_reader(&mut reader, &mut buf, 1 << 20, |item| match item {
            ScanItem::Invalid {
                offset, message, ..
            } => {
                bad.get_or_insert((offset, message));
            }
            ScanItem::Record { offset, header } => {
                let h: RecordHeader<'_> = header;
                let per_version = names.entry(h.format_version).or_default();
                let nslc = match per_version.get(h.stream_key()) {
                    Some(n) => n.clone(),
                    None => {
                        let n = h.nslc();
                        per_version.insert(h.stream_key().to_vec(), n.clone());
                        n
                    }
                };
                by_day
                    .entry((nslc, day_floor(h.start_ns)))
                    .or_default()
                    .push(StagedRecord {
                        file: i,
                        offset,
                        len: h.record_length,
                    });
            }
        })
        .map_err(|e| Error::io(path, e))?;
        if let Some((offset, message)) = bad {
            return Err(Error::invalid_data(path, offset, message));
        }
    }
    drop(buf);
    // Day files are independent: written in parallel (each write is synced).
    use rayon::prelude::*;
    let days: Vec<((Nslc, i64), Vec<StagedRecord>)> = by_day.into_iter().collect();
    let results: Vec<Result<(u64, u64)>> = days
        .par_iter()
        .map(|((nslc, day), records)| {
            let path = archive.file_path(nslc, *day, 'D')?;
            let mut content = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(Error::io(&path, e)),
            };
            let old_len = content.len();
            let mut seen = SeenRecords::default();
            for item in RecordScanner::new(&content) {
                if let ScanItem::Record { offset, header } = item {
                    seen.insert(&content, offset as usize, header.record_length);
                }
            }
            let (mut added, mut duplicate) = (0u64, 0u64);
            for run in contiguous_runs(records, RUN_BYTES) {
                let first = &run[0];
                let run_len: usize = run.iter().map(|r| r.len).sum();
                let start = content.len();
                content.resize(start + run_len, 0);
                read_exact_at(&files[first.file], &mut content[start..], first.offset)
                    .map_err(|e| Error::io(&staged[first.file], e))?;
                // Keep the records not seen yet, moved down over the duplicates.
                let (mut read, mut write) = (start, start);
                for r in run {
                    if seen.contains(&content, read, r.len) {
                        duplicate += 1;
                    } else {
                        if read != write {
                            content.copy_within(read..read + r.len, write);
                        }
                        seen.insert(&content, write, r.len);
                        write += r.len;
                        added += 1;
                    }
                    read += r.len;
                }
                content.truncate(write);
            }
            if content.len() > old_len {
                write_atomic(&path, &content)?;
            }
            Ok((added, duplicate))
        })
        .collect();
    let mut summary = WriteSummary::default();
    for r in results {
        let (added, duplicate) = r?;
        summary.records_added += added;
        summary.records_duplicate += duplicate;
        summary.files_written += usize::from(added > 0);
    }
    Ok(summary)
}

/// Where a staged record is: staged file (index), byte offset and length.
struct StagedRecord {
    file: usize,
    offset: u64,
    len: usize,
}

/// Bytes of staged records read at once by [`write_to_archive`] (more only for one record
/// longer than that).
const RUN_BYTES: usize = 4 << 20;

/// Splits `records` into runs that follow each other in one staged file, of at most
/// `max_bytes` (or one record), each read at once.
fn contiguous_runs(records: &[StagedRecord], max_bytes: usize) -> Vec<&[StagedRecord]> {
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, r) in records.iter().enumerate() {
        if i > start {
            let prev = &records[i - 1];
            let follows = prev.file == r.file && prev.offset + prev.len as u64 == r.offset;
            if !follows || bytes + r.len > max_bytes {
                runs.push(&records[start..i]);
                (start, bytes) = (i, 0);
            }
        }
        bytes += r.len;
    }
    if start < records.len() {
        runs.push(&records[start..]);
    }
    runs
}

/// `File::read_exact_at` (positioned read: the staged files are shared by the threads).
#[cfg(unix)]
fn read_exact_at(f: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

/// `File::seek_read` in a loop (positioned read on Windows).
#[cfg(windows)]
fn read_exact_at(f: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(f, buf, offset) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The records of one day file, as ranges of its content, for finding byte-identical
/// records: hashed by their length and first 64 bytes (the fixed header: codes, start
/// time, sample count, which tell records apart in practice, so that hashing does not read
/// every data byte), compared in full.
#[derive(Default)]
struct SeenRecords {
    hasher: std::collections::hash_map::RandomState,
    /// The first record of each hash.
    first: HashMap<u64, (usize, usize)>,
    /// Further records with the same hash (rare).
    more: HashMap<u64, Vec<(usize, usize)>>,
}

impl SeenRecords {
    fn key(&self, r: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one((r.len(), &r[..r.len().min(64)]))
    }

    /// Whether the record `content[at..at + len]` is byte for byte one already seen.
    fn contains(&self, content: &[u8], at: usize, len: usize) -> bool {
        let r = &content[at..at + len];
        let k = self.key(r);
        let same = |&(a, l): &(usize, usize)| &content[a..a + l] == r;
        self.first.get(&k).is_some_and(same)
            || self.more.get(&k).is_some_and(|v| v.iter().any(same))
    }

    /// Records `content[at..at + len]` as seen.
    fn insert(&mut self, content: &[u8], at: usize, len: usize) {
        let k = self.key(&content[at..at + len]);
        match self.first.entry(k) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((at, len));
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(k).or_default().push((at, len));
            }
        }
    }
}

/// A name for a new staged file: `<prefix>-<pid>-<n>.mseed`.
pub(crate) fn staged_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let safe = file_name_chars(prefix, '_');
    format!("{safe}-{}-{n}.mseed", std::process::id())
}

/// `text` with every character but ASCII letters, digits, `-`, `_` and `.` replaced by
/// `other`: a piece of a file or object name that adds no path component. (A text of dots
/// alone still reads as `.` or `..`: callers that use it as a whole component check that.)
pub(crate) fn file_name_chars(text: &str, other: char) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                other
            }
        })
        .collect()
}

/// Writes validated bytes into `staging` under a hidden temporary name, then renames it to
/// a fresh visible name. Returns the final path.
pub(crate) fn stage_bytes(staging: &Path, prefix: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = staging.join(staged_name(prefix));
    write_atomic(&path, bytes)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_round_trip() {
        let l =
            RequestLine::parse("IU COLA -- BH? 2010-02-27T06:30:00 2010-02-27T07:00:00.5").unwrap();
        assert_eq!(l.stream.location, "");
        assert_eq!(
            l.to_string(),
            "IU COLA -- BH? 2010-02-27T06:30:00.000000 2010-02-27T07:00:00.500000"
        );
        assert_eq!(RequestLine::parse(&l.to_string()).unwrap(), l);
        assert!(RequestLine::parse("IU COLA 00 BHZ 2010-02-28 2010-02-27").is_err());
    }

    #[test]
    fn postfile_options_then_lines() {
        let (o, l) = parse_postfile(
            "quality=B\n# c\nIU COLA 00 BHZ 2010-02-27T06:30:00 2010-02-27T07:00:00\n",
        )
        .unwrap();
        assert_eq!(o, vec![("quality".to_string(), "B".to_string())]);
        assert_eq!(l.len(), 1);
        let text = postfile_text(&[("nodata", "404")], &l);
        assert!(text.starts_with("nodata=404\nIU COLA 00 BHZ 2010-02-27T06:30:00.000000"));
    }

    #[test]
    fn restrict_cuts_lines_to_spans() {
        let t = |s: &str| parse_time(s).unwrap();
        let z = Nslc::new("IU", "COLA", "00", "BHZ");
        let n = Nslc::new("IU", "COLA", "00", "BHN");
        let e = Nslc::new("IU", "COLA", "", "BHE");
        let sp = |nslc: &Nslc, a: &str, b: &str| AvailabilitySpan {
            nslc: nslc.clone(),
            start_ns: t(a),
            end_ns: t(b),
        };
        let spans = vec![
            sp(&z, "2010-02-27T01:00:00", "2010-02-27T02:00:00"),
            sp(&z, "2010-02-27T01:30:00", "2010-02-27T03:00:00"),
            sp(&z, "2010-02-27T05:00:00", "2010-02-28T05:00:00"),
            sp(&n, "2010-02-26", "2010-02-27T00:30:00"),
            sp(&e, "2010-02-27", "2010-02-28"),
        ];
        let line = |sel: &str, a: &str, b: &str| RequestLine {
            stream: NslcGlob::parse(sel).unwrap(),
            start_ns: t(a),
            end_ns: t(b),
        };
        let lines = vec![
            line("IU.COLA.00.BHZ", "2010-02-27", "2010-02-28"),
            line("IU.COLA.00.BH?", "2010-02-27", "2010-02-27T01:15:00"),
            line("IU.COLA.00.BHE", "2010-02-27", "2010-02-28"),
            line("IU.COLA.00.LHZ", "2010-02-27", "2010-02-28"),
        ];
        let got: Vec<String> = restrict_to_availability(&lines, &spans)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(
            got,
            vec![
                "IU COLA 00 BHZ 2010-02-27T01:00:00.000000 2010-02-27T03:00:00.000000",
                "IU COLA 00 BHZ 2010-02-27T05:00:00.000000 2010-02-28T00:00:00.000000",
                "IU COLA 00 BHN 2010-02-27T00:00:00.000000 2010-02-27T00:30:00.000000",
                "IU COLA 00 BHZ 2010-02-27T01:00:00.000000 2010-02-27T01:15:00.000000",
            ]
        );
        // Nothing available: nothing to request.
        assert!(restrict_to_availability(&lines, &[]).is_empty());
    }

    #[test]
    fn split_by_day_cuts_at_midnight() {
        let t = |s: &str| parse_time(s).unwrap();
        let l = |sel: &str, a: &str, b: &str| RequestLine {
            stream: NslcGlob::parse(sel).unwrap(),
            start_ns: t(a),
            end_ns: t(b),
        };
        let lines = vec![
            l(
                "IU.COLA.00.BH?",
                "2010-02-27T06:00:00",
                "2010-03-01T00:00:00",
            ),
            l("IU.ANMO", "2010-02-28T23:00:00", "2010-03-01T01:00:00"),
        ];
        let c = split_by_day(&lines, 1);
        let s: Vec<Vec<String>> = c
            .iter()
            .map(|v| v.iter().map(|l| l.to_string()).collect())
            .collect();
        assert_eq!(
            s,
            vec![
                vec!["IU COLA 00 BH? 2010-02-27T06:00:00.000000 2010-02-28T00:00:00.000000"],
                vec![
                    "IU COLA 00 BH? 2010-02-28T00:00:00.000000 2010-03-01T00:00:00.000000",
                    "IU ANMO * * 2010-02-28T23:00:00.000000 2010-03-01T00:00:00.000000"
                ],
                vec!["IU ANMO * * 2010-03-01T00:00:00.000000 2010-03-01T01:00:00.000000"],
            ]
        );
        // More workers than days: one chunk per line and day.
        assert_eq!(split_by_day(&lines, 4).len(), 4);
        assert!(split_by_day(&[], 4).is_empty());
    }

    /// `write_to_archive` reads the staged files in runs (not whole) and keeps to its rule:
    /// records appended to the day file in staged order, byte-identical ones (already in the
    /// file, or staged twice) skipped.
    #[test]
    fn write_to_archive_appends_and_skips_identical_records() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let rel = "2010/IU/COLA/BH1.D/IU.COLA.00.BH1.D.2010.058";
        let day = std::fs::read(d.join("sds-small").join(rel)).unwrap();
        let recs: Vec<&[u8]> = RecordScanner::new(&day)
            .map(|i| match i {
                ScanItem::Record { header, .. } => header.raw,
                ScanItem::Invalid { .. } => panic!("bad test data"),
            })
            .take(10)
            .collect();
        assert_eq!(recs.len(), 10);
        let tmp = tempfile::tempdir().unwrap();
        let archive = Archive::new(tmp.path().join("a"), crate::archive::Layout::Sds);
        let path = tmp.path().join("a").join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, recs[..2].concat()).unwrap();
        let staged = [tmp.path().join("s1"), tmp.path().join("s2")];
        std::fs::write(&staged[0], recs[..6].concat()).unwrap();
        std::fs::write(&staged[1], recs[3..].concat()).unwrap();
        let w = write_to_archive(&staged, &archive).unwrap();
        assert_eq!(
            w,
            WriteSummary {
                files_written: 1,
                records_added: 8,
                records_duplicate: 5
            }
        );
        assert_eq!(std::fs::read(&path).unwrap(), recs.concat());
        // Runs break where records do not follow each other and at the size bound.
        let rs = |v: &[(usize, u64, usize)]| -> Vec<StagedRecord> {
            v.iter()
                .map(|&(file, offset, len)| StagedRecord { file, offset, len })
                .collect()
        };
        let lens =
            |runs: Vec<&[StagedRecord]>| -> Vec<usize> { runs.iter().map(|r| r.len()).collect() };
        let v = rs(&[
            (0, 0, 512),
            (0, 512, 512),
            (0, 1024, 512),
            (1, 1536, 512),
            (1, 0, 512),
        ]);
        assert_eq!(lens(contiguous_runs(&v, 1 << 20)), [3, 1, 1]);
        assert_eq!(lens(contiguous_runs(&v, 1024)), [2, 1, 1, 1]);
        assert_eq!(lens(contiguous_runs(&v, 100)), [1, 1, 1, 1, 1]);
        // A staged file that is not clean miniSEED is refused, naming it and the offset.
        let mut cut = recs[..3].concat();
        cut.truncate(cut.len() - 100);
        std::fs::write(&staged[0], &cut).unwrap();
        let e = write_to_archive(&staged[..1], &archive).unwrap_err();
        let at = recs[0].len() + recs[1].len();
        assert!(
            e.to_string()
                .starts_with(&format!("{}: byte offset {at}: ", staged[0].display())),
            "{e}"
        );
    }

    #[test]
    fn fdsn_time_has_no_zone() {
        assert_eq!(format_fdsn_time(1_500_000), "1970-01-01T00:00:00.001500");
        assert_eq!(format_fdsn_time(-1000), "1969-12-31T23:59:59.999999");
    }

    #[test]
    fn in_flight_bounds_permits() {
        let f = std::sync::Arc::new(InFlight::new(2));
        let max = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let cur = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let hs: Vec<_> = (0..6)
            .map(|_| {
                let (f, max, cur) = (f.clone(), max.clone(), cur.clone());
                std::thread::spawn(move || {
                    let _p = f.acquire();
                    let c = cur.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    max.fetch_max(c, std::sync::atomic::Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    cur.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert!(max.load(std::sync::atomic::Ordering::SeqCst) <= 2);
    }

    #[test]
    fn throttle_keeps_rate() {
        let t = Throttle::new(Some(100_000));
        let t0 = Instant::now();
        for _ in 0..5 {
            t.consume(10_000);
        }
        assert!(t0.elapsed() >= Duration::from_millis(450));
    }

    #[test]
    fn spans_are_cut_and_joined() {
        let t = |s: &str| parse_time(s).unwrap();
        let n = Nslc::new("IU", "ANMO", "00", "BHZ");
        let sp = |a: &str, b: &str| AvailabilitySpan {
            nslc: n.clone(),
            start_ns: t(a),
            end_ns: t(b),
        };
        let j = join_spans(
            vec![
                sp("2010-01-01T05:00:00", "2010-01-01T06:00:00"),
                sp("2009-12-31", "2010-01-01T01:00:00"),
                sp("2010-01-01T00:30:00", "2010-01-01T02:00:00"),
                sp("2010-01-01T06:00:01", "2010-01-03"),
            ],
            t("2010-01-01"),
            t("2010-01-02"),
            0,
        );
        assert_eq!(
            j,
            vec![
                sp("2010-01-01", "2010-01-01T02:00:00"),
                sp("2010-01-01T05:00:00", "2010-01-01T06:00:00"),
                sp("2010-01-01T06:00:01", "2010-01-02"),
            ]
        );
        let j = join_spans(j, t("2010-01-01"), t("2010-01-02"), NS_PER_S);
        assert_eq!(j.len(), 2);
    }
}
