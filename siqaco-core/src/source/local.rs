//! Another archive on disk as a source (Morumotto's `LOCAL_DIR`, without dataselect).
//!
//! The archive may use any [`Layout`](crate::archive::Layout). For each request line the
//! files that may hold the window are listed ([`Archive::list_files`]) and every record of
//! the requested streams that overlaps the window is copied verbatim (cut at record level:
//! records are not trimmed to the window). Records found for several lines are copied
//! once. One staged file per stream.

use super::{
    stage_bytes, AvailabilitySpan, FetchReport, InFlight, RequestLine, Source, SourceInfo, Throttle,
};
use crate::archive::Archive;
use crate::error::{Error, Result};
use crate::record::{RecordScanner, ScanItem};
use crate::sid::Nslc;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

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
        let mut out: BTreeMap<Nslc, Vec<u8>> = BTreeMap::new();
        let mut seen: HashSet<(PathBuf, u64)> = HashSet::new();
        for line in lines {
            let files = self.archive.list_files(
                std::slice::from_ref(&line.stream),
                Some((line.start_ns, line.end_ns)),
            )?;
            for f in files {
                let buf = std::fs::read(&f.path).map_err(|e| Error::io(&f.path, e))?;
                for item in RecordScanner::new(&buf) {
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
                    if seen.insert((f.path.clone(), offset)) {
                        out.entry(nslc).or_default().extend_from_slice(header.raw);
                    }
                }
            }
        }
        Ok(out)
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
        let mut report = FetchReport::default();
        for (nslc, bytes) in self.records(lines)? {
            self.throttle.consume(bytes.len() as u64);
            let path = stage_bytes(staging, &format!("{}-{nslc}", self.info.name), &bytes)?;
            report.bytes += bytes.len() as u64;
            report.files.push(path);
        }
        report.requests_done += 1;
        Ok(report)
    }

    /// The spans covered by records (each record covers `[start, start + n × period)`),
    /// joined when less than half a sample period apart, clipped to the window.
    ///
    /// # Errors
    /// As [`Source::fetch`].
    fn availability(
        &self,
        streams: &[Nslc],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<AvailabilitySpan>> {
        let lines: Vec<RequestLine> = streams
            .iter()
            .map(|n| RequestLine::new(n, start_ns, end_ns))
            .collect();
        let mut spans = Vec::new();
        for (nslc, bytes) in self.records(&lines)? {
            let mut iv: Vec<(i64, i64, i64)> = RecordScanner::new(&bytes)
                .filter_map(|i| match i {
                    ScanItem::Record { header, .. } => {
                        let half = if header.sample_rate_hz > 0.0 {
                            (0.5e9 / header.sample_rate_hz) as i64
                        } else {
                            0
                        };
                        Some((header.start_ns, header.coverage_end_ns(), half))
                    }
                    ScanItem::Invalid { .. } => None,
                })
                .collect();
            iv.sort();
            let mut cur: Option<(i64, i64)> = None;
            for (s, e, tol) in iv {
                match &mut cur {
                    Some((_, ce)) if s <= *ce + tol => *ce = (*ce).max(e),
                    _ => {
                        if let Some((cs, ce)) = cur.take() {
                            spans.push(span(&nslc, cs, ce, start_ns, end_ns));
                        }
                        cur = Some((s, e));
                    }
                }
            }
            if let Some((cs, ce)) = cur {
                spans.push(span(&nslc, cs, ce, start_ns, end_ns));
            }
        }
        Ok(spans)
    }

    /// Online when the archive root is a directory.
    fn is_online(&self) -> bool {
        self.archive.root().is_dir()
    }
}

fn span(nslc: &Nslc, s: i64, e: i64, ws: i64, we: i64) -> AvailabilitySpan {
    AvailabilitySpan {
        nslc: nslc.clone(),
        start_ns: s.max(ws),
        end_ns: e.min(we),
    }
}
