//! Per-file indexing: tsindex sections (as mseedindex 3 builds them) and siqaco's exact
//! per-stream traces, from one read of the file's records. No database here.

use crate::mapping::Mappings;
use crate::record::{RecordScanner, ScanItem};
use crate::scan::FileError;
use crate::segment::{Piece, Tolerance, TraceBuilder};
use crate::sid::Nslc;
use crate::time::civil;
use md5::{Digest, Md5};
use std::collections::HashMap;

/// One tsindex row: a run of consecutive records of one file with the same source
/// identifier and publication version (mseedindex's "section").
///
/// Rules matched (mseedindex 3.0.8, checked by running it): a record continues the current
/// section when its stream and publication version are the current section's and it
/// starts exactly where the previous record ended (skipped bytes start a new section;
/// records of different lengths do not); otherwise it starts a new section. Out-of-order
/// records stay in the section.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Section {
    /// Stream codes.
    pub nslc: Nslc,
    /// v2 data quality indicator of the first record (`D`, `R`, `Q`, `M`; for v3 the
    /// indicator of the publication version). mseedindex leaves this column NULL.
    pub quality: char,
    /// Publication version (v2: R=1, D=2, Q=3, M=4).
    pub version: u8,
    /// Earliest record start, ns.
    pub earliest_ns: i64,
    /// Latest last-sample time, ns (libmseed `msr3_endtime`).
    pub latest_ns: i64,
    /// Nominal sample rate: libmseed's raw `samprate` of the first record (Hz, or minus
    /// the period in seconds for a miniSEED 3 period).
    pub sample_rate: f64,
    /// Byte offset of the first record.
    pub byte_offset: u64,
    /// Byte count of the section.
    pub bytes: u64,
    /// Time index entries `(record start ns, byte offset)`; see [`Section::timeindex_text`].
    pub timeindex: Vec<(i64, u64)>,
    /// Whether every record started after the one before it in the file.
    pub time_ordered: bool,
    /// Coverage spans (libmseed trace segments of the records with a non-zero rate).
    pub spans: Vec<Piece>,
    /// Whether a record's rate differed from the nominal rate beyond the rate tolerance.
    pub rate_mismatch: bool,
    /// MD5 of the section's bytes, lower-case hex, when asked.
    pub hash: Option<String>,
}

/// The exact traces of one stream of one file, as [`crate::scan`] builds them (data records
/// only, joined with the tolerance).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileStream {
    /// Stream codes.
    pub nslc: Nslc,
    /// Number of data records.
    pub records: u64,
    /// Traces, sorted by start.
    pub traces: Vec<Piece>,
}

/// Everything indexed from one file.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileIndex {
    /// tsindex sections in file order.
    pub sections: Vec<Section>,
    /// Per-stream traces, sorted by stream.
    pub streams: Vec<FileStream>,
    /// Unreadable byte runs (the path is left empty; the caller fills it).
    pub errors: Vec<FileError>,
    /// Records read (data and non-data).
    pub records: u64,
}

/// Options of per-file indexing: build them with `Default` (mseedindex's) and set fields
/// (new fields may be added).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct SectionOptions {
    /// Time-index interval in seconds (mseedindex `-si`, default 3600).
    pub subindex_s: i64,
    /// Tolerances for spans and traces.
    pub tolerance: Tolerance,
    /// Compute the MD5 `hash` of each section.
    pub hash: bool,
}

impl Default for SectionOptions {
    fn default() -> Self {
        SectionOptions {
            subindex_s: 3600,
            tolerance: Tolerance::default(),
            hash: false,
        }
    }
}

/// The section being read: its row so far, its spans, the next time-index boundary and
/// the end of its last record.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Building {
    section: Section,
    spans: TraceBuilder,
    next_index_ns: i64,
    end_offset: u64,
    /// The traces and data-record count of the section's stream, taken from
    /// [`SectionIndexer`]'s map while the section is open (`None` in a state kept by an
    /// earlier version: the stream is then in the map).
    #[serde(default)]
    stream: Option<(TraceBuilder, u64)>,
    /// MD5 of the section's records so far, when hashing (not kept: a section continued
    /// from a kept state has no hash).
    #[serde(skip)]
    md5: Option<Md5>,
}

/// Per-file indexing that can stop and continue: [`SectionIndexer::feed`] reads records
/// (the whole file, or the bytes a growing file gained since the last feed), and
/// [`SectionIndexer::index`] gives what a single read of all the bytes fed so far gives
/// ([`index_buffer`], the same code). The state is small (the file's sections and the
/// traces of its streams, never samples) and serialisable, so that the catalogue keeps it
/// for the next read of a file that grows (`siqaco watch`).
///
/// Records are taken up to the end of the last complete record ([`SectionIndexer::consumed`]):
/// unreadable bytes after it (a record still being written) are reported by
/// [`SectionIndexer::index`] but read again by the next feed, which starts there.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SectionIndexer {
    /// Closed sections, finished (spans joined, hash computed).
    sections: Vec<Section>,
    /// The open section.
    cur: Option<Building>,
    /// Format version and raw stream key of the open section's first record.
    cur_key: Option<(u8, Vec<u8>)>,
    /// Start of the last record, ns.
    prev_start: Option<i64>,
    /// Per stream: its traces and data-record count.
    streams: HashMap<Nslc, (TraceBuilder, u64)>,
    /// Unreadable byte runs before [`SectionIndexer::consumed`].
    errors: Vec<FileError>,
    /// Unreadable bytes after the last record of the last feed (not kept: fed again).
    #[serde(skip)]
    tail_errors: Vec<FileError>,
    /// Records read (data and non-data).
    records: u64,
    /// End of the last complete record (0 before any).
    consumed: u64,
    /// Offset of the last complete record and CRC-32C of its first [`TAIL_CHECK_BYTES`]
    /// bytes (to tell a file that grew from one replaced: [`SectionIndexer::tail_check`]).
    last_record: Option<(u64, u32)>,
    /// Whether a section hash could not be computed (a section continued across feeds);
    /// a hashed index is never resumed.
    hashless: bool,
}

/// How many bytes at the start of the last record [`SectionIndexer`] remembers (as a
/// CRC-32C): the fixed header and the first blockette of miniSEED 2, the fixed header and
/// the identifier of miniSEED 3, so a different record there (a file rewritten) is seen.
pub const TAIL_CHECK_BYTES: u64 = 64;

impl SectionIndexer {
    /// An indexer that has read nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// End of the last complete record read: where the next feed must start.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The byte range `[offset, offset + len)` at the start of the last complete record and
    /// the CRC-32C it had; `None` before any record. A file that grew still holds these
    /// bytes.
    pub fn tail_check(&self) -> Option<(u64, u64, u32)> {
        self.last_record.map(|(o, crc)| {
            let len = TAIL_CHECK_BYTES.min(self.consumed - o);
            (o, len, crc)
        })
    }

    /// Reads the records in `buf`, the file's bytes from offset `base` (which must be
    /// [`SectionIndexer::consumed`]) to the end of what was written, with stream mappings
    /// over time ([`crate::mapping`]; empty = none): a record's stream is the one its codes
    /// map to at the time of its first sample, so sections and traces are named by the
    /// mapped streams (a section ends where the mapping of its records changes). Every feed
    /// of one indexer must be given the same mappings.
    ///
    /// # Panics
    /// When `base` is not [`SectionIndexer::consumed`].
    pub fn feed(&mut self, buf: &[u8], base: u64, opts: &SectionOptions, mappings: &Mappings) {
        assert_eq!(
            base, self.consumed,
            "feed must continue where the last one stopped"
        );
        // unreadable bytes after the last record of the previous feed are read again
        self.tail_errors.clear();
        let mut last_offset = None;
        for item in RecordScanner::new(buf).with_base(base) {
            if let Some(offset) = self.item(item, opts, mappings) {
                last_offset = Some(offset);
            }
        }
        if let Some(offset) = last_offset {
            let local = (offset - base) as usize;
            let len = TAIL_CHECK_BYTES.min(self.consumed - offset) as usize;
            self.last_record = Some((offset, crc32c::crc32c(&buf[local..local + len])));
        }
    }

    /// Takes one item of a walk over the file's records, in file order (the one rule of
    /// [`SectionIndexer::feed`] and [`index_file`]); returns the offset of a record.
    fn item(
        &mut self,
        item: ScanItem<'_>,
        opts: &SectionOptions,
        mappings: &Mappings,
    ) -> Option<u64> {
        let (offset, h) = match item {
            ScanItem::Invalid {
                offset, message, ..
            } => {
                self.tail_errors.push(FileError {
                    path: String::new(),
                    offset: Some(offset),
                    message,
                });
                return None;
            }
            ScanItem::Record { offset, header } => (offset, header),
        };
        self.errors.append(&mut self.tail_errors);
        let tol = &opts.tolerance;
        let sub_ns = opts.subindex_s.max(1) * 1_000_000_000;
        let prev_end = (self.records > 0).then_some(self.consumed);
        self.records += 1;
        let end = h.end_ns();
        let key = (h.format_version, h.stream_key());
        // The mapped stream of a record whose codes have mappings.
        let mapped: Option<Nslc> = if mappings.is_empty() {
            None
        } else {
            let codes = h.nslc();
            mappings
                .maps(&codes)
                .then(|| mappings.map(&codes, h.start_ns).clone())
        };
        let continues = match (&self.cur, &self.cur_key, prev_end) {
            (Some(b), Some(k), Some(pe)) => {
                (match &mapped {
                    Some(m) => b.section.nslc == *m,
                    None => (k.0 == key.0 && k.1[..] == *key.1) || b.section.nslc == h.nslc(),
                }) && b.section.version == h.pub_version
                    && offset == pe
            }
            _ => false,
        };
        if continues {
            let b = self.cur.as_mut().expect("current section");
            let s = &mut b.section;
            b.end_offset = offset + h.record_length as u64;
            s.earliest_ns = s.earliest_ns.min(h.start_ns);
            s.latest_ns = s.latest_ns.max(end);
            if !s.rate_mismatch && !rates_tolerable(s.sample_rate, h.sample_rate_raw) {
                s.rate_mismatch = true;
            }
            if self.prev_start.is_some_and(|p| h.start_ns <= p) {
                s.time_ordered = false;
            }
            if end > b.next_index_ns {
                s.timeindex.push((h.start_ns, offset));
                while b.next_index_ns < end {
                    b.next_index_ns += sub_ns;
                }
            }
        } else {
            if let Some(b) = self.cur.take() {
                let s = self.close(b, opts);
                self.sections.push(s);
            }
            let mut next = h.start_ns + sub_ns;
            while next < end {
                next += sub_ns;
            }
            let nslc = mapped.unwrap_or_else(|| h.nslc());
            // The stream's traces are held by the section while it is open (one stream
            // per section): no look-up per record.
            let stream = self.streams.remove(&nslc).unwrap_or_default();
            self.cur = Some(Building {
                section: Section {
                    nslc,
                    quality: h.quality as char,
                    version: h.pub_version,
                    earliest_ns: h.start_ns,
                    latest_ns: end,
                    sample_rate: h.sample_rate_raw,
                    byte_offset: offset,
                    bytes: 0,
                    timeindex: vec![(h.start_ns, offset)],
                    time_ordered: true,
                    spans: Vec::new(),
                    rate_mismatch: false,
                    hash: None,
                },
                spans: TraceBuilder::new(),
                next_index_ns: next,
                end_offset: offset + h.record_length as u64,
                stream: Some(stream),
                md5: opts.hash.then(Md5::new),
            });
            match &mut self.cur_key {
                Some((v, k)) => {
                    *v = key.0;
                    k.clear();
                    k.extend_from_slice(key.1);
                }
                None => self.cur_key = Some((key.0, key.1.to_vec())),
            }
        }
        let b = self.cur.as_mut().expect("current section");
        if let Some(md5) = &mut b.md5 {
            md5.update(h.raw);
        }
        if h.sample_rate_raw != 0.0 && h.sample_rate_hz > 0.0 {
            b.spans.push(
                Piece::new(h.start_ns, end, h.sample_rate_hz, h.sample_count),
                tol,
            );
        }
        if h.is_data() {
            let piece = Piece {
                start_ns: h.start_ns,
                last_sample_ns: end,
                end_ns: h.coverage_end_ns(),
                sample_rate_hz: h.sample_rate_hz,
                samples: h.sample_count,
            };
            let e = match &mut b.stream {
                Some(e) => e,
                // a state kept by an earlier version holds every stream in the map
                None => self.streams.entry(b.section.nslc.clone()).or_default(),
            };
            e.0.push(piece, tol);
            e.1 += 1;
        }
        let rec_end = offset + h.record_length as u64;
        self.prev_start = Some(h.start_ns);
        self.consumed = rec_end;
        Some(offset)
    }

    /// The section `b` finished: spans joined, the MD5 of its bytes when asked (`None` in
    /// the hash when the section was continued from a kept state), its stream's traces
    /// given back to the per-stream map.
    fn close(&mut self, b: Building, opts: &SectionOptions) -> Section {
        let mut s = b.section;
        s.bytes = b.end_offset - s.byte_offset;
        s.spans = b.spans.finish(&opts.tolerance);
        if let Some(stream) = b.stream {
            // a stream enters the map with its first data record
            if stream.1 > 0 {
                self.streams.insert(s.nslc.clone(), stream);
            }
        }
        if opts.hash {
            match b.md5 {
                Some(md5) => s.hash = Some(hex_digest(md5)),
                None => self.hashless = true,
            }
        }
        s
    }

    /// Whether the state may be kept to continue with the next bytes: not when hashing
    /// (a section's hash needs all its bytes in one feed).
    pub fn resumable(&self, opts: &SectionOptions) -> bool {
        !opts.hash && !self.hashless
    }

    /// Everything indexed from the bytes fed so far, as [`index_buffer`] of all of them
    /// gives it. The indexer is kept (feed it the next bytes).
    pub fn index(&self, opts: &SectionOptions) -> FileIndex {
        self.clone().into_index(opts)
    }

    /// [`SectionIndexer::index`], consuming the indexer.
    pub fn into_index(self, opts: &SectionOptions) -> FileIndex {
        let mut me = self;
        let mut out = FileIndex {
            errors: me.errors.clone(),
            records: me.records,
            ..FileIndex::default()
        };
        out.errors.extend(me.tail_errors.iter().cloned());
        if let Some(b) = me.cur.take() {
            let s = me.close(b, opts);
            me.sections.push(s);
        }
        out.sections = me.sections;
        let mut streams: Vec<FileStream> = me
            .streams
            .into_iter()
            .map(|(nslc, (tb, records))| FileStream {
                nslc,
                records,
                traces: tb.finish(&opts.tolerance),
            })
            .collect();
        streams.sort_by(|a, b| a.nslc.cmp(&b.nslc));
        out.streams = streams;
        out
    }
}

/// Indexes the records of one file held in `buf`, with stream mappings over time
/// ([`SectionIndexer::feed`]; empty = none).
#[cfg_attr(not(test), allow(dead_code))]
pub fn index_buffer(buf: &[u8], opts: &SectionOptions, mappings: &Mappings) -> FileIndex {
    let mut ix = SectionIndexer::new();
    ix.feed(buf, 0, opts, mappings);
    ix.into_index(opts)
}

/// Indexes the file at `path` as [`index_buffer`] of its bytes does, reading it
/// [`crate::scan`]'s chunk at a time into the thread's buffer (the scan's reading: memory
/// holds a chunk, the file's sections and its streams' traces, never the file); returns
/// the index and the bytes read.
///
/// # Errors
/// The I/O error of opening or reading the file.
pub(crate) fn index_file(
    path: &std::path::Path,
    opts: &SectionOptions,
    mappings: &Mappings,
) -> std::io::Result<(FileIndex, u64)> {
    index_file_in_chunks(path, crate::scan::CHUNK_BYTES, opts, mappings)
}

/// [`index_file`], reading `chunk_bytes` at a time (tests use small chunks).
fn index_file_in_chunks(
    path: &std::path::Path,
    chunk_bytes: usize,
    opts: &SectionOptions,
    mappings: &Mappings,
) -> std::io::Result<(FileIndex, u64)> {
    let mut ix = SectionIndexer::new();
    let bytes = crate::scan::scan_file(path, chunk_bytes, |item| {
        ix.item(item, opts, mappings);
    })?;
    Ok((ix.into_index(opts), bytes))
}

/// libmseed `MS_ISRATETOLERABLE`: `|1 − a/b| < 0.0001`.
fn rates_tolerable(a: f64, b: f64) -> bool {
    a == b || (1.0 - a / b).abs() < 0.0001
}

/// The MD5 digest, lower-case hex (mseedindex's `hash`).
fn hex_digest(md5: Md5) -> String {
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A tsindex time (`starttime`, `endtime`): `YYYY-MM-DDTHH:MM:SS`, then `.ffffff` when the
/// instant is a whole microsecond and not a whole second, `.fffffffff` otherwise (libmseed
/// `ms_nstime2timestr(ISOMONTHDAY, NANO_MICRO_NONE)`, as mseedindex writes it).
pub fn tsindex_time(ns: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ns);
    let base = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    let sub = ns.rem_euclid(1_000_000_000);
    if sub == 0 {
        base
    } else if sub % 1000 == 0 {
        format!("{base}.{:06}", sub / 1000)
    } else {
        format!("{base}.{sub:09}")
    }
}

/// A tsindex whole-second time (`filemodtime`, `updated`, `scanned`):
/// `YYYY-MM-DDTHH:MM:SS` UTC.
pub fn tsindex_second(ns: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ns.div_euclid(1_000_000_000) * 1_000_000_000);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
}

/// Epoch seconds with 6 decimals, as mseedindex prints them (`%.6f` of ns / 1e9).
pub fn epoch6(ns: i64) -> String {
    format!("{:.6}", ns as f64 / 1e9)
}

/// C's `%.6g` for the rates of `timerates`.
fn fmt_g6(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        return format!("{x:.5e}");
    }
    let decimals = (5 - exp).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl Section {
    /// The `timeindex` text: `epoch=>offset,…,latest=>1|0`, or `None` when the first entry
    /// is not the earliest data (mseedindex sets the index NULL then).
    pub fn timeindex_text(&self) -> Option<String> {
        let first = self.timeindex.first()?;
        if first.0 != self.earliest_ns {
            return None;
        }
        let mut s = String::new();
        for (t, o) in &self.timeindex {
            s.push_str(&epoch6(*t));
            s.push_str("=>");
            s.push_str(&o.to_string());
            s.push(',');
        }
        s.push_str(if self.time_ordered {
            "latest=>1"
        } else {
            "latest=>0"
        });
        Some(s)
    }

    /// The `timespans` text `[start:end],…` (epoch seconds, 6 decimals; end = last sample),
    /// `None` without spans.
    pub fn timespans_text(&self) -> Option<String> {
        if self.spans.is_empty() {
            return None;
        }
        let v: Vec<String> = self
            .spans
            .iter()
            .map(|p| format!("[{}:{}]", epoch6(p.start_ns), epoch6(p.last_sample_ns)))
            .collect();
        Some(v.join(","))
    }

    /// The `timerates` text (one `%.6g` rate per span), only when rates differ within the
    /// section (mseedindex's `nomsamprate_mismatch`).
    pub fn timerates_text(&self) -> Option<String> {
        if !self.rate_mismatch || self.spans.is_empty() {
            return None;
        }
        let v: Vec<String> = self
            .spans
            .iter()
            .map(|p| fmt_g6(p.sample_rate_hz))
            .collect();
        Some(v.join(","))
    }
}

/// Parses a `timespans` text into `(start_ns, last_sample_ns)` pairs (microsecond
/// precision, as stored). Used for catalogues written by other tools.
#[cfg(feature = "sqlite")] // the catalogue as a data source (source::local, fdsnws)
pub fn parse_timespans(text: &str) -> Option<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for part in text.split("],") {
        let part = part.trim().trim_start_matches('[').trim_end_matches(']');
        if part.is_empty() {
            continue;
        }
        let (a, b) = part.split_once(':')?;
        out.push((parse_epoch(a)?, parse_epoch(b)?));
    }
    Some(out)
}

/// Parses epoch seconds with up to 9 decimals (`1704153600.000000`) into ns.
#[cfg(feature = "sqlite")]
pub(crate) fn parse_epoch(t: &str) -> Option<i64> {
    let t = t.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let (i, f) = t.split_once('.').unwrap_or((t, ""));
    let secs: i64 = i.parse().ok()?;
    let mut frac = f.to_string();
    if frac.len() > 9 {
        frac.truncate(9);
    }
    while frac.len() < 9 {
        frac.push('0');
    }
    let ns = secs * 1_000_000_000 + frac.parse::<i64>().ok()?;
    Some(if neg { -ns } else { ns })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading a file a chunk at a time (the index's reading) gives what one read of all
    /// its bytes gives, with and without hashes, for every file of the test data:
    /// records of every length (v2 512 and 4096 bytes, variable-length v3) and the broken
    /// files' unreadable runs straddle the chunk boundaries. Each section's hash is the
    /// MD5 of its bytes in the file.
    #[test]
    fn chunked_index_equals_whole_buffer() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let mut files = crate::testing::files_in(&dir.join("mseed"));
        files.extend(crate::testing::files_in(&dir.join("mseed").join("broken")));
        let none = Mappings::default();
        let mut hashed = 0;
        for hash in [false, true] {
            let opts = SectionOptions {
                hash,
                ..SectionOptions::default()
            };
            for file in &files {
                let buf = std::fs::read(file).unwrap();
                let whole = index_buffer(&buf, &opts, &none);
                for s in &whole.sections {
                    let range = s.byte_offset as usize..(s.byte_offset + s.bytes) as usize;
                    let want = hash.then(|| {
                        use md5::Digest;
                        hex_digest(Md5::new_with_prefix(&buf[range]))
                    });
                    assert_eq!(s.hash, want, "{}", file.display());
                    hashed += usize::from(hash);
                }
                for chunk in [40, 513, 4097, buf.len() + 1] {
                    let (got, n) = index_file_in_chunks(file, chunk, &opts, &none).unwrap();
                    assert_eq!(n, buf.len() as u64);
                    assert_eq!(got, whole, "{} in chunks of {chunk}", file.display());
                }
            }
        }
        assert!(hashed > 0 && files.len() > 10);
    }

    #[test]
    fn encodings() {
        assert_eq!(
            tsindex_time(1_277_245_567_000_000_000),
            "2010-06-22T22:26:07"
        );
        assert_eq!(
            tsindex_time(1_277_245_607_825_000_000),
            "2010-06-22T22:26:47.825000"
        );
        assert_eq!(
            tsindex_time(1_758_934_923_123_456_789),
            "2025-09-27T01:02:03.123456789"
        );
        assert_eq!(epoch6(1_758_934_923_123_456_789), "1758934923.123457");
        assert_eq!(fmt_g6(40.0), "40");
        assert_eq!(fmt_g6(200.0), "200");
        assert_eq!(fmt_g6(0.016666666), "0.0166667");
        assert_eq!(
            parse_timespans("[1.5:2.000001],[3:4]"),
            Some(vec![
                (1_500_000_000, 2_000_001_000),
                (3_000_000_000, 4_000_000_000)
            ])
        );
    }
}
