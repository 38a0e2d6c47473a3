//! fdsnws-dataselect 1.1 (FDSN Web Service Specifications 1.2, "fdsnws-dataselect"): the
//! records of the catalogue's archive for a selection, in two steps.
//!
//! 1. [`DataselectRequest::plan`]: from the catalogue only (its `tsindex` sections), the
//!    byte ranges of the files to read, per stream, with the bytes and the samples they
//!    hold (estimated from the sections' time spans and rates). Cheap: the server checks
//!    the plan against its limits (413) and answers "no data" (204/404) before the
//!    response starts.
//! 2. [`DataselectPlan::write`]: reads the ranges and gives whole records to a sink, with
//!    bounded memory (a few hundred KiB and about 32 bytes per record of sections read out
//!    of file order).
//!
//! Rules:
//!
//! - **Whole records that intersect the window** `[start, end]`: a record is returned when
//!   its first sample is on or before the end (the specification's "on or before"; rover
//!   asks up to the last sample availability gives, so a one-sample record at the end
//!   must come back) and its coverage end (last sample + one period,
//!   [`crate::record::RecordHeader::coverage_end_ns`], `docs/gaps.md`) is after the start.
//!   A record without samples (log, state of health) is returned when its time is in the
//!   window. Records are never cut: a client trims to samples if it wants to.
//! - **Order**: streams in N.S.L.C order; the records of a stream in time order (first
//!   sample), whatever their order in the files; each record once, even when several
//!   selection lines (or catalogue rows) select it.
//! - Every record passes the validation gate ([`crate::record::RecordScanner`]); bytes
//!   that do not are left out.
//! - **Files**: only those the catalogue names, relative names resolved against the
//!   archive root; a name with a `..` component is refused ([`Error::Database`]), so no
//!   path comes from the request nor leaves the root through the catalogue.
//! - `quality` `D`, `R`, `Q`, `M`: only records of that quality indicator; `B` (best): per
//!   stream, the records of the best quality present (publication version order `M` >
//!   `Q` > `D` > `R`, as libmseed maps them); no `quality`: every record.
//! - `minimumlength` (seconds) and `longestonly`: the stream's continuous segments
//!   (`docs/gaps.md`: coverage joined when less than the time tolerance, half a sample
//!   period, apart; from the catalogue's `timespans`) are measured inside the request's
//!   windows; segments shorter than `minimumlength` are left out, and with `longestonly`
//!   only the longest segment of each stream is kept (the earliest of equals).
//! - Restricted streams ([`Access`]) are left out unless the request is authenticated.

use super::{Access, FdsnQuery, ParamSpec, SelectionLine};
use crate::error::{Error, Result};
use crate::gaps::{analyze, AnalysisOptions};
use crate::index::section::{parse_epoch, parse_timespans};
use crate::index::{Catalogue, TsindexRow};
use crate::interval::{intersect, union};
use crate::record::{RecordHeader, ScanItem};
use crate::segment::Piece;
use crate::sid::Nslc;
use crate::time::{parse_time, period_ns, NS_PER_DAY, NS_PER_S};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// The parameters of fdsnws-dataselect besides the selection ([`super::SELECTION_PARAMS`]).
pub const SPEC: &[ParamSpec] = &[
    ParamSpec::new("quality"),
    ParamSpec::new("minimumlength"),
    ParamSpec::new("longestonly"),
    ParamSpec::new("format"),
    ParamSpec::new("nodata"),
];

/// Bytes read at a time from a section whose records are in time order.
const CHUNK_BYTES: usize = 256 * 1024;

/// A dataselect request: the selection and the service's parameters, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct DataselectRequest {
    /// The selection lines (one for GET, one per line of a POST body); open times select
    /// without bound.
    pub lines: Vec<SelectionLine>,
    /// `quality`: `D`, `R`, `Q`, `M`, `B` (best), or `None` (every record).
    pub quality: Option<char>,
    /// `minimumlength`: shortest continuous segment returned, seconds (0 = any).
    pub minimum_length_s: f64,
    /// `longestonly`: only the longest continuous segment of each stream.
    pub longest_only: bool,
    /// HTTP status for "no data": 204 (default) or 404 (`nodata`).
    pub nodata: u16,
    /// Stream mappings over time (not a parameter of the service: the server's
    /// [`crate::ops::ServeSettings::mappings`]; default none): a record whose codes map to a
    /// selected stream at the time of its first sample is returned as a copy carrying the
    /// stream's codes ([`crate::mapping::rewrite_codes`]).
    pub mappings: crate::mapping::Mappings,
}

impl DataselectRequest {
    /// The request of a parsed GET or POST query (parsed with [`SPEC`]).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the parameter: a `quality` other than D, R, Q, M, B;
    /// a `minimumlength` that is not a number of seconds ≥ 0; a `longestonly` that is not
    /// true/false; a `format` other than `miniseed`; a `nodata` other than 204/404; a
    /// parameter of [`SPEC`] left unread.
    pub fn from_query(mut q: FdsnQuery) -> Result<DataselectRequest> {
        let quality = q.take_quality()?;
        let minimum_length_s = q
            .take_parsed::<f64>("minimumlength", "a number of seconds")?
            .unwrap_or(0.0);
        if !(minimum_length_s.is_finite() && minimum_length_s >= 0.0) {
            return Err(Error::field(
                "minimumlength",
                format!("{minimum_length_s} is not a number of seconds >= 0"),
            ));
        }
        let longest_only = q.take_bool("longestonly")?.unwrap_or(false);
        q.take_one_of("format", &["miniseed"])?;
        let nodata = q.take_nodata()?;
        let lines = std::mem::take(&mut q.lines);
        q.finish()?;
        Ok(DataselectRequest {
            lines,
            quality,
            minimum_length_s,
            longest_only,
            nodata,
            mappings: Default::default(),
        })
    }

    /// The plan of the response: the catalogue's sections of the selected streams that may
    /// hold records of the windows, narrowed to byte ranges with their `timeindex` when
    /// the section's records are in time order, with the bytes and estimated samples.
    /// Relative file names are resolved against `root` (default: the directory of the
    /// SQLite catalogue; for PostgreSQL, the working directory).
    ///
    /// # Errors
    /// [`Error::Database`] for the catalogue, or a file name with a `..` component.
    pub fn plan(
        &self,
        cat: &Catalogue,
        root: Option<&Path>,
        access: &Access,
    ) -> Result<DataselectPlan> {
        let root: PathBuf = match root {
            Some(r) => r.to_path_buf(),
            None => cat
                .path()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        };
        // Rows and windows per stream.
        let mut per: BTreeMap<Nslc, Selected> = BTreeMap::new();
        for line in &self.lines {
            let ws = line.start_ns.unwrap_or(i64::MIN);
            // The end time is included ("on or before", fdsnws-dataselect 1.1): a record
            // whose first sample is at the end time is returned.
            let we = line.end_ns.map_or(i64::MAX, |e| e.saturating_add(1));
            // A record's coverage reaches one period past its last sample: ask for sections
            // ending up to a day before the window (periods are shorter), cut exactly below.
            let rows = cat.tsindex_sections(&line.streams, ws.saturating_sub(NS_PER_DAY), we)?;
            let mut seen: HashSet<Nslc> = HashSet::new();
            for row in rows {
                if !access.allows(&row.nslc) {
                    continue;
                }
                if let Some(q @ ('D' | 'R' | 'Q' | 'M')) = self.quality {
                    if row_quality(&row) != Some(q) {
                        continue;
                    }
                }
                let entry = per.entry(row.nslc.clone()).or_default();
                if seen.insert(row.nslc.clone()) {
                    entry.0.push((ws, we));
                }
                entry.1.push(row);
            }
        }
        let mut plan = DataselectPlan {
            streams: Vec::new(),
            bytes: 0,
            samples: 0,
        };
        // the ETag each object had when indexed, asked for when its sections are read
        let mut etags: HashMap<PathBuf, Option<String>> = HashMap::new();
        let mut etag_of = |path: &Path| -> Result<Option<String>> {
            if let Some(e) = etags.get(path) {
                return Ok(e.clone());
            }
            let e = cat.indexed_etag(path)?;
            etags.insert(path.to_path_buf(), e.clone());
            Ok(e)
        };
        for (nslc, (windows, rows)) in per {
            if let Some(s) = self.plan_stream(nslc, windows, rows, &root, &mut etag_of)? {
                plan.bytes += s.sections.iter().map(|x| x.len).sum::<u64>();
                plan.samples += s.samples;
                plan.streams.push(s);
            }
        }
        Ok(plan)
    }

    /// The plan of one stream, `None` when nothing of it is selected.
    fn plan_stream(
        &self,
        nslc: Nslc,
        windows: Vec<(i64, i64)>,
        mut rows: Vec<TsindexRow>,
        root: &Path,
        etag_of: &mut impl FnMut(&Path) -> Result<Option<String>>,
    ) -> Result<Option<StreamPlan>> {
        let windows = union(windows);
        rows.sort_by(|a, b| (&a.filename, a.byteoffset).cmp(&(&b.filename, b.byteoffset)));
        rows.dedup_by(|a, b| a.filename == b.filename && a.byteoffset == b.byteoffset);
        let mut sections: Vec<Candidate> = rows
            .iter()
            .map(Candidate::of)
            .filter(|c| overlaps_any(&windows, c.start_ns, c.end_ns))
            .collect();
        let mut quality = match self.quality {
            Some(q @ ('D' | 'R' | 'Q' | 'M')) => Some(q as u8),
            _ => None,
        };
        if self.quality == Some('B') {
            // The best quality among the sections that meet the windows.
            let best = sections
                .iter()
                .filter_map(|c| row_quality(c.row))
                .max_by_key(|q| quality_rank(*q as u8));
            if let Some(best) = best {
                sections.retain(|c| row_quality(c.row) == Some(best));
                quality = Some(best as u8);
            }
        }
        // Continuous segments, when asked to select by them.
        let keep = if self.minimum_length_s > 0.0 || self.longest_only {
            let pieces: Vec<Piece> = sections.iter().flat_map(|c| c.pieces()).collect();
            let segments = analyze(&pieces, &AnalysisOptions::default()).segments;
            let min_ns = (self.minimum_length_s * NS_PER_S as f64).ceil() as i64;
            let mut kept: Vec<((i64, i64), i64)> = segments
                .iter()
                .map(|s| {
                    (
                        (s.start_ns, s.end_ns),
                        inside(&windows, s.start_ns, s.end_ns),
                    )
                })
                .filter(|(_, len)| *len > 0 && *len >= min_ns)
                .collect();
            if self.longest_only {
                let longest = kept.iter().map(|(_, l)| *l).max();
                if let Some(pos) = kept.iter().position(|(_, l)| Some(*l) == longest) {
                    kept = vec![kept[pos]];
                }
            }
            let kept: Vec<(i64, i64)> = kept.into_iter().map(|(s, _)| s).collect();
            sections.retain(|c| {
                c.pieces()
                    .any(|p| overlaps_any(&kept, p.start_ns, p.end_ns))
            });
            Some(kept)
        } else {
            None
        };
        // The time bounds the records must meet: the windows, cut to the kept segments.
        let bounds = match &keep {
            Some(kept) => intersect(&windows, kept),
            None => windows,
        };
        if bounds.is_empty() || sections.is_empty() {
            return Ok(None);
        }
        let mut planned = Vec::with_capacity(sections.len());
        let mut samples = 0u64;
        for c in sections {
            samples += c.samples_in(&bounds);
            let path = resolve(root, &c.row.filename)?;
            let etag = etag_of(&path)?;
            planned.push(c.narrow(&bounds, path, etag));
        }
        planned
            .sort_by(|a, b| (a.start_ns, &a.path, a.offset).cmp(&(b.start_ns, &b.path, b.offset)));
        Ok(Some(StreamPlan {
            stream_id: nslc.source_id(),
            sources: self
                .mappings
                .rules()
                .iter()
                .filter(|m| m.to == nslc)
                .cloned()
                .collect(),
            nslc,
            bounds,
            quality,
            sections: planned,
            samples,
        }))
    }
}

/// The windows `[start, end)` of the lines that select a stream, and its catalogue rows.
type Selected = (Vec<(i64, i64)>, Vec<TsindexRow>);

/// The quality code of a catalogue row: its `quality` column, else the one its publication
/// version stands for (mseedindex 3 leaves `quality` empty: 1 R, 2 D, 3 Q, 4 M).
fn row_quality(row: &TsindexRow) -> Option<char> {
    row.quality
        .as_deref()
        .and_then(|q| q.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .or(match row.version {
            Some(1) => Some('R'),
            Some(2) => Some('D'),
            Some(3) => Some('Q'),
            Some(4) => Some('M'),
            _ => None,
        })
}

/// Rank of a quality code for `quality=B`: its publication version
/// ([`crate::record::quality_publication_version`]), 0 for an unknown code.
fn quality_rank(q: u8) -> u8 {
    crate::record::quality_publication_version(q).unwrap_or(0)
}

/// The path of a catalogue file name: relative names under `root`; names with a `..`
/// component refused; `s3://` URLs (objects, read with ranged GETs) as they are.
fn resolve(root: &Path, filename: &str) -> Result<PathBuf> {
    let p = Path::new(filename);
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(Error::database(format!(
            "the catalogue names the file {filename:?}, which leaves the archive root \
             (`..`): refused"
        )));
    }
    Ok(
        if p.is_absolute() || crate::archive::store::is_object_url(p) {
            p.to_path_buf()
        } else {
            root.join(p)
        },
    )
}

/// Whether `[start, end)` meets one of the sorted disjoint intervals `iv`; an empty
/// interval (`start == end`, a record without samples) meets one that contains `start`.
fn overlaps_any(iv: &[(i64, i64)], start: i64, end: i64) -> bool {
    let end = end.max(start.saturating_add(1));
    // the first interval ending after `start`
    let i = iv.partition_point(|&(_, e)| e <= start);
    iv.get(i).is_some_and(|&(s, _)| s < end)
}

/// Nanoseconds of `[start, end)` inside the intervals `iv`.
fn inside(iv: &[(i64, i64)], start: i64, end: i64) -> i64 {
    iv.iter().fold(0i64, |acc, &(s, e)| {
        acc.saturating_add(e.min(end).saturating_sub(s.max(start)).max(0))
    })
}

/// A catalogue row with its times and spans parsed.
struct Candidate<'a> {
    row: &'a TsindexRow,
    /// First sample, ns (`i64::MIN` when the row's time cannot be read).
    start_ns: i64,
    /// Coverage end (last sample + one period), ns (`i64::MAX` when unreadable).
    end_ns: i64,
    /// Sample rate, Hz (0 for rows without samples).
    rate: f64,
    /// `(first sample, last sample)` of each time span.
    spans: Vec<(i64, i64)>,
}

impl<'a> Candidate<'a> {
    fn of(row: &'a TsindexRow) -> Candidate<'a> {
        // v3 rows may store a period as a negative rate (libmseed's raw `samprate`).
        let rate = if row.samplerate < 0.0 {
            1.0 / -row.samplerate
        } else {
            row.samplerate
        };
        let period = (period_ns(rate).round() as i64).max(1);
        let (start_ns, end_ns) = match (parse_time(&row.starttime), parse_time(&row.endtime)) {
            (Ok(a), Ok(b)) => (a, b.saturating_add(period)),
            _ => (i64::MIN, i64::MAX),
        };
        let spans = row
            .timespans
            .as_deref()
            .and_then(parse_timespans)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| vec![(start_ns, end_ns.saturating_sub(period))]);
        Candidate {
            row,
            start_ns,
            end_ns,
            rate,
            spans,
        }
    }

    fn period(&self) -> i64 {
        (period_ns(self.rate).round() as i64).max(1)
    }

    /// The spans as pieces of coverage `[first, last + period)`.
    fn pieces(&self) -> impl Iterator<Item = Piece> + '_ {
        let period = self.period();
        self.spans.iter().map(move |&(a, b)| Piece {
            start_ns: a,
            last_sample_ns: b,
            end_ns: b.saturating_add(period),
            sample_rate_hz: self.rate,
            samples: (b.saturating_sub(a) / period).saturating_add(1),
        })
    }

    /// Samples of the spans inside `bounds`, rounded up.
    fn samples_in(&self, bounds: &[(i64, i64)]) -> u64 {
        if self.rate <= 0.0 {
            return 0;
        }
        self.pieces()
            .map(|p| {
                let ns = inside(bounds, p.start_ns, p.end_ns);
                (ns as f64 * self.rate / NS_PER_S as f64).ceil() as u64
            })
            .sum()
    }

    /// Whether the records can be read in one pass in file order: in time order
    /// (`timeindex` ends `latest=>1`) with spans that do not overlap (so no record reaches
    /// past the start of the next one).
    fn in_order(&self) -> bool {
        let ordered = self
            .row
            .timeindex
            .as_deref()
            .is_some_and(|t| t.ends_with("latest=>1"));
        let mut spans = self.spans.clone();
        spans.sort_unstable();
        let period = self.period();
        ordered
            && spans
                .windows(2)
                .all(|w| w[1].0 >= w[0].1.saturating_add(period) - period / 2)
    }

    /// The byte range of the section that holds its records meeting `bounds`: with a
    /// `timeindex` of a section in time order without overlapping spans, from the last
    /// entry at least one period (and the microsecond the stored times drop) before the
    /// first bound to the first entry after the last bound; else the whole section. In
    /// such a section a record before an entry ends within the time tolerance (under a
    /// period) of the entry's record start, so nothing meeting the bounds is left out.
    fn narrow(&self, bounds: &[(i64, i64)], path: PathBuf, etag: Option<String>) -> PlannedSection {
        let offset = u64::try_from(self.row.byteoffset).unwrap_or(0);
        let len = u64::try_from(self.row.bytes).unwrap_or(0);
        let whole = PlannedSection {
            path,
            etag,
            offset,
            len,
            start_ns: self.start_ns,
            end_ns: self.end_ns,
            in_order: self.in_order(),
        };
        if !whole.in_order {
            return whole;
        }
        let lo = bounds.first().map_or(i64::MIN, |b| b.0);
        let hi = bounds.last().map_or(i64::MAX, |b| b.1);
        let Some(index) = self.row.timeindex.as_deref().and_then(parse_timeindex) else {
            return whole;
        };
        let end = offset.saturating_add(len);
        if index.iter().any(|&(_, o)| o < offset || o > end) {
            return whole;
        }
        let margin = self.period().saturating_add(1_000);
        let before = index.partition_point(|&(t, _)| t.saturating_add(margin) <= lo);
        let to = index.partition_point(|&(t, _)| t <= hi);
        let first = match before {
            0 => offset,
            n => index[n - 1].1,
        };
        let last = index.get(to).map_or(end, |&(_, o)| o);
        if last <= first {
            return whole;
        }
        PlannedSection {
            offset: first,
            len: last - first,
            ..whole
        }
    }
}

/// The `(time ns, byte offset)` entries of a `timeindex` text (`epoch=>offset,…,latest=>1|0`),
/// `None` when it does not read.
fn parse_timeindex(text: &str) -> Option<Vec<(i64, u64)>> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let (t, o) = part.split_once("=>")?;
        if t.trim() == "latest" {
            continue;
        }
        out.push((parse_epoch(t)?, o.trim().parse().ok()?));
    }
    out.windows(2)
        .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1)
        .then_some(out)
}

/// A byte range of one file to read.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PlannedSection {
    path: PathBuf,
    /// The ETag of the object (`path` an `s3://` URL) when it was indexed, sent as
    /// `If-Match`.
    etag: Option<String>,
    offset: u64,
    len: u64,
    /// First sample of the section (catalogue), ns.
    start_ns: i64,
    /// Coverage end of the section (catalogue), ns.
    end_ns: i64,
    /// Whether the records can be read in one pass in file order.
    in_order: bool,
}

/// The plan of one stream.
#[derive(Clone, Debug, PartialEq)]
struct StreamPlan {
    nslc: Nslc,
    /// The FDSN source identifier, to tell the stream's miniSEED 3 records.
    stream_id: String,
    /// The mappings whose records belong to this stream (their codes are rewritten).
    sources: Vec<crate::mapping::StreamMapping>,
    /// The time intervals a record must meet (sorted, disjoint).
    bounds: Vec<(i64, i64)>,
    /// The quality indicator every record must have, if any.
    quality: Option<u8>,
    /// Sections sorted by start time.
    sections: Vec<PlannedSection>,
    /// Estimated samples.
    samples: u64,
}

impl StreamPlan {
    /// Whether the record belongs in the response (its stream, quality and time).
    fn wants(&self, h: &RecordHeader<'_>, stream_ok: &mut Option<(Vec<u8>, bool)>) -> bool {
        let key = h.stream_key();
        let ok = match stream_ok {
            Some((k, ok)) if k.as_slice() == key => *ok,
            _ => {
                let ok = self.own_codes(h);
                *stream_ok = Some((key.to_vec(), ok));
                ok
            }
        };
        let ok = ok || (!self.sources.is_empty() && self.mapped_here(h));
        ok && self.quality.is_none_or(|q| h.quality == q)
            && overlaps_any(&self.bounds, h.start_ns, h.coverage_end_ns())
    }
}

impl StreamPlan {
    /// Whether the record carries this stream's codes.
    fn own_codes(&self, h: &RecordHeader<'_>) -> bool {
        match h.codes {
            crate::record::RecordCodes::V3 { sid } => sid == self.stream_id.as_bytes(),
            _ => h.nslc() == self.nslc,
        }
    }

    /// Whether a mapping gives the record (of other codes) to this stream.
    fn mapped_here(&self, h: &RecordHeader<'_>) -> bool {
        let codes = h.nslc();
        self.sources
            .iter()
            .any(|m| m.from == codes && m.covers(h.start_ns))
    }

    /// Gives the record `rec` (wanted) to `give`: as it is, or, when a mapping gave it to
    /// this stream, a copy with this stream's codes.
    fn emit(&self, rec: &[u8], give: &mut impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        if self.sources.is_empty() {
            return give(rec);
        }
        match crate::record::parse_record(rec) {
            Ok(h) if !self.own_codes(&h) => give(&crate::mapping::rewrite_codes(rec, &self.nslc)?),
            _ => give(rec),
        }
    }
}

/// What a dataselect request returns: per stream, the byte ranges to read. Built by
/// [`DataselectRequest::plan`]; [`DataselectPlan::write`] sends the records.
#[derive(Clone, Debug, PartialEq)]
pub struct DataselectPlan {
    streams: Vec<StreamPlan>,
    /// Bytes of the ranges to read (at least the size of the response).
    pub bytes: u64,
    /// Samples of the selected time spans inside the windows (from the catalogue).
    pub samples: u64,
}

impl DataselectPlan {
    /// Whether nothing is selected ("no data").
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// The streams of the plan, in the order they are written.
    pub fn streams(&self) -> impl Iterator<Item = &Nslc> {
        self.streams.iter().map(|s| &s.nslc)
    }

    /// Reads the plan's byte ranges and gives each selected record, whole, to `sink`, in
    /// order (streams in N.S.L.C order, each stream's records by time). Returns the
    /// number of bytes given.
    ///
    /// Memory: a section whose records are in time order and overlap no other section of
    /// the stream is read 256 KiB at a time; otherwise the sections of the stream
    /// that overlap in time are read together and their records sorted.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file when a listed file cannot be opened or read (a
    /// section cut short by a file that shrank since it was indexed is read as far as it
    /// goes), or with the path `response` when `sink` fails (the client went away); the
    /// records before have been given.
    pub fn write(&self, mut sink: impl FnMut(&[u8]) -> std::io::Result<()>) -> Result<u64> {
        let mut buf: Vec<u8> = Vec::new();
        let written = std::cell::Cell::new(0u64);
        let mut give = |rec: &[u8]| -> Result<()> {
            written.set(written.get() + rec.len() as u64);
            sink(rec).map_err(|e| Error::io("response", e))
        };
        for stream in &self.streams {
            let mut i = 0;
            let secs = &stream.sections;
            while i < secs.len() {
                // The sections overlapping in time with secs[i] (transitively).
                let mut j = i + 1;
                let mut end = secs[i].end_ns;
                while j < secs.len() && secs[j].start_ns < end {
                    end = end.max(secs[j].end_ns);
                    j += 1;
                }
                if j == i + 1 && secs[i].in_order {
                    stream_section(stream, &secs[i], &mut buf, &mut give)?;
                } else {
                    sorted_sections(stream, &secs[i..j], &mut buf, &mut give)?;
                }
                i = j;
            }
        }
        Ok(written.get())
    }
}

/// The bytes of a section: a file opened at its offset, or the section of an object (a
/// catalogue row whose `filename` is an `s3://` URL), received whole with one ranged GET.
enum SectionReader {
    File(std::io::Take<std::fs::File>),
    Object(std::io::Cursor<Vec<u8>>),
}

impl Read for SectionReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            SectionReader::File(f) => f.read(buf),
            SectionReader::Object(c) => c.read(buf),
        }
    }
}

/// Opens the section's file at its offset, reading at most its length (an object: one
/// ranged GET, conditional on the ETag it had when indexed).
fn open_range(sec: &PlannedSection) -> Result<SectionReader> {
    let (path, offset, len) = (sec.path.as_path(), sec.offset, sec.len);
    if crate::archive::store::is_object_url(path) {
        let n = usize::try_from(len).map_err(|_| Error::invalid_argument("section too long"))?;
        let bytes = crate::archive::store::read_indexed_range(path, offset, n, sec.etag.as_deref())
            .map_err(|e| Error::io(path, e))?;
        return Ok(SectionReader::Object(std::io::Cursor::new(bytes)));
    }
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io(path, e))?;
    Ok(SectionReader::File(f.take(len)))
}

/// Gives the wanted records of one section in file order, reading it in chunks.
fn stream_section(
    stream: &StreamPlan,
    sec: &PlannedSection,
    buf: &mut Vec<u8>,
    give: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    /// Ends the read once the sink failed, so that the scan stops.
    struct Stoppable<'a, R> {
        inner: R,
        stop: &'a std::cell::Cell<bool>,
    }
    impl<R: Read> Read for Stoppable<'_, R> {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            if self.stop.get() {
                return Err(std::io::Error::other("stopped"));
            }
            self.inner.read(b)
        }
    }
    let stop = std::cell::Cell::new(false);
    let mut reader = Stoppable {
        inner: open_range(sec)?,
        stop: &stop,
    };
    let mut failed: Option<Error> = None;
    let mut stream_ok = None;
    let read = crate::record::scan_reader(&mut reader, buf, CHUNK_BYTES, |item| {
        if stop.get() {
            return;
        }
        if let ScanItem::Record { header, .. } = item {
            if stream.wants(&header, &mut stream_ok) {
                if let Err(e) = stream.emit(header.raw, give) {
                    failed = Some(e);
                    stop.set(true);
                }
            }
        }
    });
    match (failed, read) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(Error::io(&sec.path, e)),
        (None, Ok(_)) => Ok(()),
    }
}

/// Gives the wanted records of sections that overlap in time (or of one section whose
/// records are out of time order) sorted by time, then section and offset, each `(file,
/// offset)` once, with bounded memory: a first pass reads the sections in chunks and keeps
/// where each wanted record is (about 32 bytes a record), a second reads the records in
/// that order, a run of records that follow each other in one file (up to 256 KiB) at a
/// time.
fn sorted_sections(
    stream: &StreamPlan,
    secs: &[PlannedSection],
    buf: &mut Vec<u8>,
    give: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    // (start, section, offset in the file, length)
    let mut found: Vec<(i64, usize, u64, usize)> = Vec::new();
    // the sections of objects, kept from the first pass (one GET each)
    let mut objects: Vec<Option<Vec<u8>>> = secs.iter().map(|_| None).collect();
    for (k, sec) in secs.iter().enumerate() {
        let mut reader = open_range(sec)?;
        if let SectionReader::Object(c) = &reader {
            objects[k] = Some(c.get_ref().clone());
        }
        let mut stream_ok = None;
        crate::record::scan_reader(&mut reader, buf, CHUNK_BYTES, |item| {
            if let ScanItem::Record { offset, header } = item {
                if stream.wants(&header, &mut stream_ok) {
                    found.push((
                        header.start_ns,
                        k,
                        sec.offset + offset,
                        header.record_length,
                    ));
                }
            }
        })
        .map_err(|e| Error::io(&sec.path, e))?;
    }
    found.sort_unstable();
    let mut seen: HashSet<(&Path, u64)> = HashSet::new();
    found.retain(|&(_, k, off, _)| seen.insert((secs[k].path.as_path(), off)));
    let mut files: Vec<Option<std::fs::File>> = secs.iter().map(|_| None).collect();
    let mut i = 0;
    while i < found.len() {
        let (_, k, first, len) = found[i];
        let mut end = first + len as u64;
        let mut j = i + 1;
        while j < found.len()
            && found[j].1 == k
            && found[j].2 == end
            && end - first < CHUNK_BYTES as u64
        {
            end += found[j].3 as u64;
            j += 1;
        }
        let path = &secs[k].path;
        if let Some(bytes) = &objects[k] {
            let from = usize::try_from(first - secs[k].offset).unwrap_or(usize::MAX);
            let mut at = from;
            for &(_, _, _, len) in &found[i..j] {
                let record = bytes.get(at..at + len).ok_or_else(|| {
                    Error::invalid_data(path, first, "record past the end of the section")
                })?;
                stream.emit(record, give)?;
                at += len;
            }
            i = j;
            continue;
        }
        let file = match &mut files[k] {
            Some(f) => f,
            slot => slot.insert(std::fs::File::open(path).map_err(|e| Error::io(path, e))?),
        };
        let run = usize::try_from(end - first).unwrap_or(usize::MAX);
        if buf.len() < run {
            buf.resize(run, 0);
        }
        file.seek(SeekFrom::Start(first))
            .and_then(|_| file.read_exact(&mut buf[..run]))
            .map_err(|e| Error::io(path, e))?;
        let mut at = 0;
        for &(_, _, _, len) in &found[i..j] {
            stream.emit(&buf[at..at + len], give)?;
            at += len;
        }
        i = j;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Archive, Layout};
    use crate::index::IndexOptions;
    use crate::record::RecordScanner;
    use crate::sid::NslcGlob;

    fn request(pairs: &[(&str, &str)]) -> Result<DataselectRequest> {
        DataselectRequest::from_query(FdsnQuery::from_pairs(pairs, SPEC)?)
    }

    #[test]
    fn parameters() {
        let r = request(&[
            ("net", "IU"),
            ("quality", "m"),
            ("minimumlength", "2.5"),
            ("longestonly", "TRUE"),
            ("format", "miniseed"),
            ("nodata", "404"),
        ])
        .unwrap();
        assert_eq!(r.quality, Some('M'));
        assert_eq!(r.minimum_length_s, 2.5);
        assert!(r.longest_only);
        assert_eq!(r.nodata, 404);
        for (pairs, field) in [
            (&[("format", "text")][..], "format"),
            (&[("minimumlength", "-1")][..], "minimumlength"),
            (&[("minimumlength", "x")][..], "minimumlength"),
            (&[("longestonly", "yes")][..], "longestonly"),
            (&[("quality", "X")][..], "quality"),
            (&[("merge", "quality")][..], "merge"),
        ] {
            assert_eq!(request(pairs).unwrap_err().field_name(), Some(field));
        }
    }

    #[test]
    fn intervals() {
        assert_eq!(
            union(vec![(5, 7), (0, 2), (2, 3), (6, 9)]),
            [(0, 3), (5, 9)]
        );
        let iv = [(0, 10), (20, 30)];
        assert!(overlaps_any(&iv, 9, 12));
        assert!(!overlaps_any(&iv, 10, 20));
        assert!(overlaps_any(&iv, 19, 21));
        assert!(overlaps_any(&iv, 25, 25), "a record without samples inside");
        assert!(!overlaps_any(&iv, 10, 10), "the end is excluded");
        assert_eq!(inside(&iv, 5, 25), 10);
        assert_eq!(
            inside(&[(i64::MIN, i64::MAX)], i64::MIN, i64::MAX),
            i64::MAX
        );
    }

    #[test]
    fn catalogue_paths_stay_under_the_root() {
        let root = Path::new("/data/sds");
        assert_eq!(resolve(root, "2010/a").unwrap(), root.join("2010/a"));
        assert_eq!(resolve(root, "/x/y").unwrap(), Path::new("/x/y"));
        for bad in ["../etc/passwd", "2010/../../x", "/data/sds/../x"] {
            let e = resolve(root, bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Database, "{bad}");
        }
    }

    #[test]
    fn timeindex_text() {
        assert_eq!(
            parse_timeindex("1.5=>0,3600.000001=>4096,latest=>1"),
            Some(vec![(1_500_000_000, 0), (3_600_000_001_000, 4096)])
        );
        assert_eq!(parse_timeindex("5=>10,1=>20,latest=>1"), None);
        assert_eq!(parse_timeindex("x"), None);
    }

    /// Every data record of the files of sds-small, with the stream and its bytes.
    fn archive_records(root: &Path) -> Vec<(Nslc, i64, i64, u8, Vec<u8>)> {
        let mut out = Vec::new();
        let files = Archive::new(root, Layout::Sds)
            .list_files(&[], None)
            .unwrap();
        for f in files {
            let buf = std::fs::read(&f.path).unwrap();
            for item in RecordScanner::new(&buf) {
                if let ScanItem::Record { header, .. } = item {
                    out.push((
                        header.nslc(),
                        header.start_ns,
                        header.coverage_end_ns(),
                        header.quality,
                        header.raw.to_vec(),
                    ));
                }
            }
        }
        out
    }

    fn served(plan: &DataselectPlan) -> Vec<u8> {
        let mut out = Vec::new();
        let n = plan
            .write(|r| {
                out.extend_from_slice(r);
                Ok(())
            })
            .unwrap();
        assert_eq!(n as usize, out.len());
        out
    }

    fn split(bytes: &[u8]) -> Vec<(Nslc, i64, Vec<u8>)> {
        RecordScanner::new(bytes)
            .map(|i| match i {
                ScanItem::Record { header, .. } => {
                    (header.nslc(), header.start_ns, header.raw.to_vec())
                }
                ScanItem::Invalid { message, .. } => panic!("{message}"),
            })
            .collect()
    }

    /// The records of sds-small that a window `[ws, we]` selects, read from the files: the
    /// first sample on or before the end, the coverage after the start.
    fn expected(
        all: &[(Nslc, i64, i64, u8, Vec<u8>)],
        sel: &NslcGlob,
        ws: i64,
        we: i64,
    ) -> Vec<(Nslc, i64, Vec<u8>)> {
        all.iter()
            .filter(|r| sel.matches(&r.0) && r.1 <= we && r.2.max(r.1 + 1) > ws)
            .map(|r| (r.0.clone(), r.1, r.4.clone()))
            .collect()
    }

    fn t(s: &str) -> i64 {
        parse_time(s).unwrap()
    }

    /// A day of CH.BALST..LHZ (quality D) followed, in the same file, by copies of its
    /// first ten records marked R (raw data received twice): `quality` selects by the
    /// records' indicator and B keeps the best (D) only.
    #[test]
    fn quality_best_of_mixed_qualities() {
        let Some(data) = crate::testing::test_data_dir() else {
            return;
        };
        let rel = "2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314";
        let day = std::fs::read(data.join("sds-small").join(rel)).unwrap();
        let records = split(&day);
        assert!(records.iter().all(|r| r.2[6] == b'D'));
        let mut raw: Vec<Vec<u8>> = records[..10].iter().map(|r| r.2.clone()).collect();
        for r in &mut raw {
            r[6] = b'R';
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sds");
        std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
        std::fs::write(root.join(rel), [day.clone(), raw.concat()].concat()).unwrap();
        let mut cat = Catalogue::open(dir.path().join("ts.sqlite")).unwrap();
        cat.index_archive(&Archive::new(&root, Layout::Sds), &IndexOptions::default())
            .unwrap();
        let get = |q: Option<&str>| {
            let mut p = vec![("net", "CH"), ("cha", "LHZ")];
            p.extend(q.map(|q| ("quality", q)));
            let plan = request(&p)
                .unwrap()
                .plan(&cat, None, &Access::default())
                .unwrap();
            split(&served(&plan))
        };
        let sorted = |mut v: Vec<Vec<u8>>| {
            v.sort();
            v
        };
        let bytes = |v: Vec<(Nslc, i64, Vec<u8>)>| sorted(v.into_iter().map(|r| r.2).collect());
        let d_only = sorted(records.iter().map(|r| r.2.clone()).collect());
        assert_eq!(bytes(get(Some("B"))), d_only);
        assert_eq!(bytes(get(Some("D"))), d_only);
        assert_eq!(bytes(get(Some("R"))), sorted(raw.clone()));
        let all = get(None);
        assert_eq!(all.len(), records.len() + 10);
        assert!(
            all.windows(2).all(|w| w[0].1 <= w[1].1),
            "not in time order"
        );
        assert!(get(Some("M")).is_empty());
    }

    #[test]
    fn sds_small_records_by_window() {
        let Some(data) = crate::testing::test_data_dir() else {
            return;
        };
        let root = data.join("sds-small");
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ts.sqlite");
        let mut cat = Catalogue::open(&db).unwrap();
        cat.index_archive(&Archive::new(&root, Layout::Sds), &IndexOptions::default())
            .unwrap();
        let all = archive_records(&root);
        let access = Access::default();
        let cases = [
            ("*.*.*.*", "2000-01-01", "2030-01-01"),
            (
                "IU.COLA.00.BHZ",
                "2010-02-27T07:00:00.5",
                "2010-02-27T07:10:00",
            ),
            ("BW.BGLD..EHE", "2007-12-31T23:59:00", "2008-01-01T00:01:00"),
            ("SK.MODS..HHZ", "2016-01-06T23:59:50", "2016-01-07T00:10:00"),
            (
                "XX.TEST.00.LHZ",
                "2010-02-27T00:00:00",
                "2010-02-28T00:00:00",
            ),
            ("XX.SIN..WXY", "2025-09-28T00:00:00", "2025-09-28T00:00:01"),
            (
                "CH.BALST..LH?",
                "2025-11-10T05:17:00",
                "2025-11-10T13:42:10.5",
            ),
            (
                "CH.BALST..LHZ",
                "2025-11-10T12:00:30",
                "2025-11-10T12:01:30",
            ),
            // around the timeindex entry of the record starting at 05:57:51.58
            (
                "CH.BALST..LHZ",
                "2025-11-10T05:56:30",
                "2025-11-10T05:58:00",
            ),
            (
                "CH.BALST..LHZ",
                "2025-11-10T05:57:51.3",
                "2025-11-10T05:57:52",
            ),
            (
                "CH.BALST..LHZ",
                "2025-11-10T05:57:51.58",
                "2025-11-10T05:57:52",
            ),
            (
                "CH.BALST..LHZ",
                "2025-11-10T05:57:52",
                "2025-11-10T05:57:53",
            ),
            (
                "CH.BALST..LHZ",
                "2025-11-10T23:59:00",
                "2025-11-11T00:05:00",
            ),
        ];
        for (sel, s, e) in cases {
            let glob = NslcGlob::parse(sel).unwrap();
            let mut req = request(&[("start", s), ("end", e)]).unwrap();
            req.lines[0].streams = vec![glob.clone()];
            let plan = req.plan(&cat, None, &access).unwrap();
            let got = split(&served(&plan));
            let want = expected(&all, &glob, t(s), t(e));
            assert!(!want.is_empty(), "{sel} {s}: no record in the files");
            assert_eq!(got.len(), want.len(), "{sel} {s}..{e}: record count");
            assert!(
                got.windows(2)
                    .all(|w| (&w[0].0, w[0].1) <= (&w[1].0, w[1].1)),
                "{sel} {s}..{e}: not in stream and time order"
            );
            // Records of one stream starting at the same time may come in another order.
            let (mut a, mut b) = (got.clone(), want);
            a.sort();
            b.sort();
            assert!(a == b, "{sel} {s}..{e}: records differ");
            assert!(plan.bytes >= got.iter().map(|r| r.2.len() as u64).sum::<u64>());
            if s == "2025-11-10T12:00:30" {
                // One minute of a day file in time order: the timeindex narrows the read to
                // about an hour of it.
                let day =
                    std::fs::metadata(root.join("2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314"))
                        .unwrap()
                        .len();
                assert!(plan.bytes * 10 < day, "{} of {day} bytes", plan.bytes);
            }
        }
        // Quality: IU.COLA.00.BH? is M, so D selects nothing and M and B all of it.
        let sel = [
            ("net", "IU"),
            ("sta", "COLA"),
            ("loc", "00"),
            ("cha", "BH?"),
        ];
        for (q, some) in [("D", false), ("M", true), ("B", true)] {
            let mut p = sel.to_vec();
            p.push(("quality", q));
            let plan = request(&p).unwrap().plan(&cat, None, &access).unwrap();
            assert_eq!(!plan.is_empty(), some, "quality={q}");
            let got = split(&served(&plan));
            assert_eq!(!got.is_empty(), some, "quality={q}");
            assert!(got.iter().all(|r| r.2[6] == b'M'));
        }
        // A sink that fails (the client went away) stops the writer at once, whether the
        // section is read in chunks (IU.COLA.00.BHZ, in time order) or whole and sorted
        // (XX.TEST.00.LHZ, out of order).
        for sel in ["IU.COLA.00.BHZ", "XX.TEST.00.LHZ"] {
            let mut req = request(&[]).unwrap();
            req.lines[0].streams = vec![NslcGlob::parse(sel).unwrap()];
            let plan = req.plan(&cat, None, &access).unwrap();
            assert!(split(&served(&plan)).len() > 5, "{sel}");
            let mut calls = 0;
            let e = plan
                .write(|_| {
                    calls += 1;
                    if calls == 3 {
                        Err(std::io::ErrorKind::BrokenPipe.into())
                    } else {
                        Ok(())
                    }
                })
                .unwrap_err();
            assert_eq!(calls, 3, "{sel}: records given after the sink failed");
            assert_eq!(e.kind(), crate::ErrorKind::Io, "{sel}");
        }
        // Restricted streams only when authenticated.
        let mut access = Access {
            restricted: vec![NslcGlob::parse("IU.*.*.*").unwrap()],
            authenticated: false,
        };
        let plan = request(&sel).unwrap().plan(&cat, None, &access).unwrap();
        assert!(plan.is_empty());
        access.authenticated = true;
        let plan = request(&sel).unwrap().plan(&cat, None, &access).unwrap();
        assert_eq!(plan.streams().count(), 3);
    }
}
