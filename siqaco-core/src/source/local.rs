//! Another archive on disk as a source (Morumotto's `LOCAL_DIR`, without dataselect):
//! an archive in any [`Layout`](crate::archive::Layout) ([`ArchiveSource`]), or the files
//! listed by a `tsindex` catalogue ([`TsindexSource`]).
//!
//! For each request line the files (or, from a catalogue, the byte ranges of the
//! sections) that may hold the window are read and every record of the requested streams
//! that overlaps the window is copied verbatim (cut at record level: records are not
//! trimmed to the window; the merge trims at sample level). Records found for several
//! lines are copied once. One staged file per stream.

use super::{
    stage_bytes, AvailabilitySpan, FetchReport, InFlight, RequestLine, Source, SourceInfo, Throttle,
};
use crate::archive::Archive;
use crate::error::{Error, Result};
use crate::index::section::parse_timespans;
use crate::index::Catalogue;
use crate::record::{RecordScanner, ScanItem};
use crate::sid::Nslc;
use crate::time::{half_period_ns, parse_time, period_ns};
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Records of a request, grouped by stream, each record once.
#[derive(Default)]
struct Collected {
    by_stream: BTreeMap<Nslc, Vec<u8>>,
    seen: HashSet<(PathBuf, u64)>,
}

impl Collected {
    /// Adds the data records of `buf` (the bytes of `file` from byte `base` on) that
    /// `line` asks for, strictly overlapping its window. Bad bytes are skipped (the scan
    /// reports them).
    fn take(&mut self, buf: &[u8], file: &Path, base: u64, line: &RequestLine) {
        for item in RecordScanner::new(buf) {
            let ScanItem::Record { offset, header } = item else {
                continue;
            };
            let nslc = header.nslc();
            if !header.is_data()
                || !line.accepts(&nslc, header.start_ns, header.coverage_end_ns())
                || header.start_ns >= line.end_ns
                || header.coverage_end_ns() <= line.start_ns
            {
                continue;
            }
            if self.seen.insert((file.to_path_buf(), base + offset)) {
                self.by_stream
                    .entry(nslc)
                    .or_default()
                    .extend_from_slice(header.raw);
            }
        }
    }
}

/// Stages one file per stream of `records` (named after the source and the stream).
fn stage_streams(
    info: &SourceInfo,
    throttle: &Throttle,
    records: BTreeMap<Nslc, Vec<u8>>,
    staging: &Path,
) -> Result<FetchReport> {
    let mut report = FetchReport::default();
    for (nslc, bytes) in records {
        throttle.consume(bytes.len() as u64);
        let path = stage_bytes(staging, &format!("{}-{nslc}", info.name), &bytes)?;
        report.bytes += bytes.len() as u64;
        report.files.push(path);
    }
    report.requests_done += 1;
    Ok(report)
}

/// Joins `(start, end, tolerance)` intervals of one stream that are less than the
/// tolerance apart (half a sample period) and clips them to `[ws, we)`.
fn join_spans(
    nslc: &Nslc,
    mut iv: Vec<(i64, i64, i64)>,
    ws: i64,
    we: i64,
) -> Vec<AvailabilitySpan> {
    iv.sort();
    let mut spans = Vec::new();
    let mut cur: Option<(i64, i64)> = None;
    for (s, e, tol) in iv {
        match &mut cur {
            Some((_, ce)) if s <= *ce + tol => *ce = (*ce).max(e),
            _ => {
                if let Some((cs, ce)) = cur.take() {
                    spans.push(span(nslc, cs, ce, ws, we));
                }
                cur = Some((s, e));
            }
        }
    }
    if let Some((cs, ce)) = cur {
        spans.push(span(nslc, cs, ce, ws, we));
    }
    spans.retain(|s| s.end_ns > s.start_ns);
    spans
}

/// An archive on disk used as a source.
#[derive(Debug)]
pub struct ArchiveSource {
    info: SourceInfo,
    archive: Archive,
    in_flight: InFlight,
    throttle: Throttle,
}

impl ArchiveSource {
    /// A source reading `archive`.
    pub fn new(info: SourceInfo, archive: Archive) -> Self {
        ArchiveSource {
            in_flight: InFlight::new(info.max_in_flight),
            throttle: Throttle::new(info.bandwidth_bytes_per_s),
            info,
            archive,
        }
    }

    /// The records of the archive for `lines`, grouped by stream, each record once, in
    /// file order. Bad bytes in a file are skipped (the scan reports them).
    ///
    /// # Errors
    /// [`Error::Io`] when the archive cannot be listed or a file cannot be read.
    pub fn records(&self, lines: &[RequestLine]) -> Result<BTreeMap<Nslc, Vec<u8>>> {
        let mut out = Collected::default();
        for line in lines {
            let files = self.archive.list_files(
                std::slice::from_ref(&line.stream),
                Some((line.start_ns, line.end_ns)),
            )?;
            for f in files {
                let buf =
                    crate::archive::read_aligned(&f.path).map_err(|e| Error::io(&f.path, e))?;
                out.take(&buf, &f.path, 0, line);
            }
        }
        Ok(out.by_stream)
    }
}

impl ArchiveSource {
    /// For a bucket whose layout names the stream and the day of each object (every
    /// layout but `files`, `sday`, `earthscope`...): availability from the listing alone,
    /// each listed object covering its whole time span (a day), so that no object is read
    /// to learn it; `None` otherwise (the records are read).
    fn listed_availability(
        &self,
        streams: &[Nslc],
        (start_ns, end_ns): (i64, i64),
    ) -> Result<Option<Vec<AvailabilitySpan>>> {
        if !crate::archive::store::is_object_url(self.archive.root()) {
            return Ok(None);
        }
        let globs: Vec<crate::sid::NslcGlob> =
            streams.iter().map(crate::sid::NslcGlob::exact).collect();
        let files = self.archive.list_files(&globs, Some((start_ns, end_ns)))?;
        let mut by_stream: BTreeMap<Nslc, Vec<(i64, i64, i64)>> = BTreeMap::new();
        for f in files {
            let (Some(nslc), Some(day), Some(span)) = (f.nslc, f.day_start_ns, f.span_ns) else {
                return Ok(None);
            };
            if streams.contains(&nslc) {
                by_stream
                    .entry(nslc)
                    .or_default()
                    .push((day, day + span, 0));
            }
        }
        Ok(Some(
            by_stream
                .into_iter()
                .flat_map(|(nslc, iv)| join_spans(&nslc, iv, start_ns, end_ns))
                .collect(),
        ))
    }
}

impl Source for ArchiveSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Copies the records of the requested streams that overlap each window (strictly:
    /// records that only touch a window's end points are left out) into one staged file per
    /// stream.
    ///
    /// # Errors
    /// [`Error::Io`] for the archive or the staging directory.
    fn fetch(&self, lines: &[RequestLine], staging: &Path) -> Result<FetchReport> {
        let _permit = self.in_flight.acquire();
        stage_streams(&self.info, &self.throttle, self.records(lines)?, staging)
    }

    /// The spans covered by records (each record covers `[start, start + n × period)`),
    /// joined when less than half a sample period apart, clipped to the window.
    ///
    /// # Errors
    /// As [`Source::fetch`].
    fn availability(&self, streams: &[Nslc], window: (i64, i64)) -> Result<Vec<AvailabilitySpan>> {
        if let Some(spans) = self.listed_availability(streams, window)? {
            return Ok(spans);
        }
        let (start_ns, end_ns) = window;
        let lines: Vec<RequestLine> = streams
            .iter()
            .map(|n| RequestLine::new(n, start_ns, end_ns))
            .collect();
        let mut spans = Vec::new();
        for (nslc, bytes) in self.records(&lines)? {
            let iv: Vec<(i64, i64, i64)> = RecordScanner::new(&bytes)
                .filter_map(|i| match i {
                    ScanItem::Record { header, .. } => Some((
                        header.start_ns,
                        header.coverage_end_ns(),
                        half_period_ns(header.sample_rate_hz),
                    )),
                    ScanItem::Invalid { .. } => None,
                })
                .collect();
            spans.extend(join_spans(&nslc, iv, start_ns, end_ns));
        }
        Ok(spans)
    }

    /// Online when the archive root is a directory, or a bucket prefix (whose requests
    /// fail on their own when the store cannot be reached).
    fn is_online(&self) -> bool {
        crate::archive::store::is_object_url(self.archive.root()) || self.archive.root().is_dir()
    }
}

fn span(nslc: &Nslc, s: i64, e: i64, ws: i64, we: i64) -> AvailabilitySpan {
    AvailabilitySpan {
        nslc: nslc.clone(),
        start_ns: s.max(ws),
        end_ns: e.min(we),
    }
}

/// The waveform files listed by a `tsindex` catalogue (written by mseedindex, ObsPy's
/// `Indexer` or `siqaco index`) used as a source, as ObsPy's
/// `obspy.clients.filesystem.tsindex.Client` and portable-fdsnws-dataselect read it: for
/// each request line the sections (`filename`, `byteoffset`, `bytes`) of the stream that
/// meet the window are read, and the records overlapping the window are copied verbatim.
/// Availability comes from the catalogue alone (`timespans`, else `starttime`–`endtime`),
/// without reading data.
///
/// Relative file names (ObsPy's `relative_paths=True`, `siqaco index --relative-paths`)
/// are resolved against `root`, by default the directory of the SQLite file (where
/// ObsPy's Indexer and siqaco put the database), for PostgreSQL the working directory.
#[derive(Debug)]
pub struct TsindexSource {
    info: SourceInfo,
    catalogue: Mutex<Catalogue>,
    root: Option<PathBuf>,
    in_flight: InFlight,
    throttle: Throttle,
}

impl TsindexSource {
    /// A source reading the sections listed in the catalogue `target` (a SQLite file,
    /// opened read-only, or a `postgresql://` URL), relative file names resolved against
    /// `root` (see the type's documentation for the default).
    ///
    /// # Errors
    /// [`Error::Database`] when the catalogue cannot be opened or has no `tsindex` table.
    pub fn new(info: SourceInfo, target: &str, root: Option<PathBuf>) -> Result<Self> {
        let catalogue = Catalogue::open_read_only(target)?;
        let root = root.or_else(|| {
            catalogue
                .path()
                .and_then(|p| p.parent())
                .map(Path::to_path_buf)
        });
        Ok(TsindexSource {
            in_flight: InFlight::new(info.max_in_flight),
            throttle: Throttle::new(info.bandwidth_bytes_per_s),
            info,
            catalogue: Mutex::new(catalogue),
            root,
        })
    }

    fn sections(&self, line: &RequestLine) -> Result<Vec<crate::index::TsindexRow>> {
        let cat = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
        cat.tsindex_sections(
            std::slice::from_ref(&line.stream),
            line.start_ns,
            line.end_ns,
        )
    }

    fn resolve(&self, filename: &str) -> PathBuf {
        let p = Path::new(filename);
        match &self.root {
            Some(root) if p.is_relative() && !crate::archive::store::is_object_url(p) => {
                root.join(p)
            }
            _ => p.to_path_buf(),
        }
    }

    /// The records of the catalogue's sections for `lines`, grouped by stream, each record
    /// once.
    ///
    /// # Errors
    /// [`Error::Database`] for the catalogue; [`Error::Io`] naming the file when a listed
    /// file cannot be opened or read (a section cut short by a file that shrank since it
    /// was indexed is read as far as it goes).
    pub fn records(&self, lines: &[RequestLine]) -> Result<BTreeMap<Nslc, Vec<u8>>> {
        let mut out = Collected::default();
        for line in lines {
            for row in self.sections(line)? {
                let path = self.resolve(&row.filename);
                let (Ok(offset), Ok(len)) =
                    (u64::try_from(row.byteoffset), u64::try_from(row.bytes))
                else {
                    continue;
                };
                if crate::archive::store::is_object_url(&path) {
                    // a row of an object: one ranged GET, of the object indexed
                    let n = usize::try_from(len).unwrap_or(usize::MAX);
                    let etag = {
                        let cat = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
                        cat.indexed_etag(&path)?
                    };
                    let bytes = crate::archive::store::read_indexed_range(
                        &path,
                        offset,
                        n,
                        etag.as_deref(),
                    )
                    .map_err(|e| Error::io(&path, e))?;
                    out.take(&bytes, &path, offset, line);
                    continue;
                }
                let mut buf = Vec::with_capacity(len as usize);
                let mut f = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
                f.seek(SeekFrom::Start(offset))
                    .and_then(|_| f.take(len).read_to_end(&mut buf))
                    .map_err(|e| Error::io(&path, e))?;
                out.take(&buf, &path, offset, line);
            }
        }
        Ok(out.by_stream)
    }
}

impl Source for TsindexSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// As [`ArchiveSource`]'s fetch, from the catalogue's sections.
    ///
    /// # Errors
    /// As [`TsindexSource::records`]; [`Error::Io`] for the staging directory.
    fn fetch(&self, lines: &[RequestLine], staging: &Path) -> Result<FetchReport> {
        let _permit = self.in_flight.acquire();
        stage_streams(&self.info, &self.throttle, self.records(lines)?, staging)
    }

    /// The `timespans` of the matching sections (each span ends one sample period after
    /// its last sample), or `[starttime, endtime + period]` without them, joined when less
    /// than half a sample period apart and clipped to the window.
    ///
    /// # Errors
    /// [`Error::Database`].
    fn availability(&self, streams: &[Nslc], window: (i64, i64)) -> Result<Vec<AvailabilitySpan>> {
        let (start_ns, end_ns) = window;
        let mut spans = Vec::new();
        for nslc in streams {
            // The codes may hold globs (`siqaco fetch` passes its selection): one
            // interval list per stream found.
            let line = RequestLine::new(nslc, start_ns, end_ns);
            let mut per_stream: BTreeMap<Nslc, Vec<(i64, i64, i64)>> = BTreeMap::new();
            for row in self.sections(&line)? {
                let period = period_ns(row.samplerate).round() as i64;
                let tol = half_period_ns(row.samplerate);
                let iv = per_stream.entry(row.nslc.clone()).or_default();
                match row.timespans.as_deref().and_then(parse_timespans) {
                    Some(ts) => iv.extend(ts.into_iter().map(|(a, b)| (a, b + period, tol))),
                    None => {
                        if let (Ok(a), Ok(b)) =
                            (parse_time(&row.starttime), parse_time(&row.endtime))
                        {
                            iv.push((a, b + period, tol));
                        }
                    }
                }
            }
            for (n, iv) in per_stream {
                spans.extend(join_spans(&n, iv, start_ns, end_ns));
            }
        }
        Ok(spans)
    }

    /// Online when the catalogue still answers.
    fn is_online(&self) -> bool {
        let cat = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
        cat.query_sql("SELECT count(*) FROM tsindex WHERE 1=0")
            .is_ok()
    }
}
