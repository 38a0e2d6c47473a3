//! Figures and the HTML report: availability timelines, calendar heatmaps, summary tables.
//!
//! The figures are built from a [`ScanReport`] (a scan's, or a catalogue's from
//! [`crate::index::Catalogue::report`]) in three steps, each usable on its own:
//!
//! 1. [`ReportData::from_scan`] gathers the figures' data: per stream its summary (the
//!    numbers of `siqaco stats`, plus the latency), its availability per UTC day on a common
//!    day axis, and its segments, gaps and overlaps. This is what the Python package returns
//!    to matplotlib users.
//! 2. [`calendar`] and [`timeline`] lay out a figure as a [`Scene`] of rectangles, lines and
//!    texts; the layout adapts row height, cell width and label density to the number of
//!    streams and days, and merges items smaller than a pixel, so that a figure stays
//!    readable and bounded in size for 1 stream or 500.
//! 3. A scene renders to SVG ([`Scene::to_svg`]) or PNG ([`Scene::to_png`]: the SVG rendered
//!    by resvg), text set in DejaVu Sans ([`FONT_FAMILY`]), which is embedded in the binary
//!    (`siqaco-core/assets/fonts/`, Bitstream Vera licence); [`html_report`]
//!    writes one self-contained HTML page (inline CSS, SVG and a small sorting script; no
//!    network fetch). [`write_report`] writes all files into a directory.
//!
//! See `docs/report.md`.

mod figures;
mod font;
mod html;
mod scene;
#[cfg(test)]
mod tests;

pub use figures::{availability_color, calendar, timeline, AVAILABILITY_LEGEND};
pub use font::FONT_FAMILY;
pub use html::{html_report, report_data_json};
pub use html::{qc_findings_html, summary_table_html, REPORT_CSS, SORT_SCRIPT};
pub use scene::{Anchor, Color, Item, Scene};

use crate::error::{Error, Result};
use crate::gaps::{stream_availability, Gap, Overlap, Segment};
use crate::scan::{FileError, ScanReport};
use crate::sid::Nslc;
use crate::time::{day_floor, ns_to_s, NS_PER_DAY};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Size cap of the calendar when no window is given: the longest span of the data, in
/// days, drawn as a contiguous day axis; a longer span shows only the days that hold data
/// in at least one stream (an archive with a few days in each of 18 years stays readable).
/// Within a given window every day is a column, whatever the window's length.
pub const MAX_CONTIGUOUS_DAYS: i64 = 732;

/// The data of the figures and of the summary table of one report.
#[derive(Clone, Debug)]
pub struct ReportData {
    /// Time axis of the timelines `[start_ns, end_ns)`: the scan window, or the data's
    /// extent widened to whole UTC days.
    pub window: (i64, i64),
    /// Whether `window` is the scan's window (`true`) or the data's extent.
    pub window_given: bool,
    /// Columns of the calendar: 00:00 UTC of each day, ascending: every day of the window
    /// (days without data included) when a window is given, else every day of the data's
    /// extent up to [`MAX_CONTIGUOUS_DAYS`].
    pub days: Vec<i64>,
    /// Whether `days` is every day from the first to the last (`false` only without a
    /// window, when days without data in any stream are left out, see
    /// [`MAX_CONTIGUOUS_DAYS`]).
    pub days_contiguous: bool,
    /// The time latencies are measured from, ns.
    pub now_ns: i64,
    /// One entry per stream, sorted by N.S.L.C.
    pub streams: Vec<StreamData>,
    /// Files that could not be read completely (from the scan or the catalogue).
    pub errors: Vec<FileError>,
    /// The stream mappings over time the streams were named by ([`crate::mapping`];
    /// empty: none), shown in the report; set by the caller ([`ReportData::from_scan`]
    /// leaves it empty).
    pub mappings: Vec<crate::mapping::StreamMapping>,
}

/// The summary and figure data of one stream.
#[derive(Clone, Debug)]
pub struct StreamData {
    /// The stream.
    pub nslc: Nslc,
    /// Nominal sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Data records used.
    pub records: u64,
    /// First sample time, ns.
    pub earliest_ns: Option<i64>,
    /// End of coverage (last sample + one period), ns.
    pub latest_ns: Option<i64>,
    /// Time of the latest sample, ns.
    pub last_sample_ns: Option<i64>,
    /// Latency: `now − latest sample`, seconds.
    pub latency_s: Option<f64>,
    /// Availability, percent, as `siqaco stats` computes it: covered time over the
    /// window, or over the stream's own extent when no window is given.
    pub percent_availability: f64,
    /// Number of gaps (head and tail gaps of the window included).
    pub num_gaps: usize,
    /// Total gap seconds.
    pub sum_gaps: f64,
    /// Largest gap, seconds (0 when none).
    pub max_gap: f64,
    /// Number of overlaps.
    pub num_overlaps: usize,
    /// Total overlap seconds.
    pub sum_overlaps: f64,
    /// Largest overlap, seconds (0 when none).
    pub max_overlap: f64,
    /// Percent availability of each day of [`ReportData::days`]; `None` where the stream
    /// has no statistics for that day (no data and no window).
    pub day_availability: Vec<Option<f64>>,
    /// Coverage segments.
    pub segments: Vec<Segment>,
    /// Gaps.
    pub gaps: Vec<Gap>,
    /// Overlaps.
    pub overlaps: Vec<Overlap>,
}

impl StreamData {
    fn new(s: &crate::scan::StreamReport, window: Option<(i64, i64)>, now_ns: i64) -> Self {
        let a = &s.analysis;
        let last_sample_ns = a.segments.last().map(|x| x.last_sample_ns);
        let fold_max = |acc: f64, v: f64| if v > acc { v } else { acc };
        StreamData {
            nslc: s.nslc.clone(),
            sample_rate_hz: a.sample_rate_hz,
            records: s.records,
            earliest_ns: a.segments.first().map(|x| x.start_ns),
            latest_ns: a.segments.last().map(|x| x.end_ns),
            last_sample_ns,
            latency_s: last_sample_ns.map(|t| ns_to_s(now_ns - t)),
            percent_availability: stream_availability(a, window),
            num_gaps: a.gaps.len(),
            sum_gaps: a
                .gaps
                .iter()
                .map(|g| g.duration_s())
                .fold(0.0, |x, y| x + y),
            max_gap: a.gaps.iter().map(|g| g.duration_s()).fold(0.0, fold_max),
            num_overlaps: a.overlaps.len(),
            sum_overlaps: a
                .overlaps
                .iter()
                .map(|o| o.duration_s())
                .fold(0.0, |x, y| x + y),
            max_overlap: a
                .overlaps
                .iter()
                .map(|o| o.duration_s())
                .fold(0.0, fold_max),
            day_availability: Vec::new(),
            segments: a.segments.clone(),
            gaps: a.gaps.clone(),
            overlaps: a.overlaps.clone(),
        }
    }
}

impl ReportData {
    /// Gathers the figures' data of a report. Per-day availability comes from the
    /// streams' per-day statistics (run the scan or catalogue query with
    /// `per_day: true`); `now_ns` is the time latencies are measured from.
    pub fn from_scan(report: &ScanReport, now_ns: i64) -> ReportData {
        let mut streams: Vec<StreamData> = report
            .streams
            .iter()
            .map(|s| StreamData::new(s, report.window, now_ns))
            .collect();
        streams.sort_by(|a, b| a.nslc.cmp(&b.nslc));
        let data_start = streams.iter().filter_map(|s| s.earliest_ns).min();
        let data_end = streams.iter().filter_map(|s| s.latest_ns).max();
        let (window, window_given) = match (report.window, data_start, data_end) {
            (Some(w), _, _) => (w, true),
            (None, Some(a), Some(b)) => {
                let end = day_floor(b - 1) + NS_PER_DAY;
                ((day_floor(a), end.max(day_floor(a) + NS_PER_DAY)), false)
            }
            _ => {
                let d = day_floor(now_ns);
                ((d, d + NS_PER_DAY), false)
            }
        };
        let first_day = day_floor(window.0);
        let last_day = day_floor(window.1 - 1).max(first_day);
        let span_days = (last_day - first_day) / NS_PER_DAY + 1;
        let (days, days_contiguous) = if window_given || span_days <= MAX_CONTIGUOUS_DAYS {
            (
                (0..span_days).map(|i| first_day + i * NS_PER_DAY).collect(),
                true,
            )
        } else {
            let set: BTreeSet<i64> = report
                .streams
                .iter()
                .flat_map(|s| s.analysis.days.iter().map(|d| d.day_start_ns))
                .collect();
            let v: Vec<i64> = set.into_iter().collect();
            let contiguous = v.windows(2).all(|w| w[1] - w[0] == NS_PER_DAY);
            (v, contiguous)
        };
        let col: HashMap<i64, usize> = days.iter().enumerate().map(|(i, d)| (*d, i)).collect();
        let by_nslc: HashMap<&Nslc, &crate::scan::StreamReport> =
            report.streams.iter().map(|s| (&s.nslc, s)).collect();
        for s in &mut streams {
            let mut v = vec![None; days.len()];
            if let Some(r) = by_nslc.get(&s.nslc) {
                for d in &r.analysis.days {
                    if let Some(&i) = col.get(&d.day_start_ns) {
                        v[i] = Some(d.percent_availability);
                    }
                }
            }
            s.day_availability = v;
        }
        ReportData {
            window,
            window_given,
            days,
            days_contiguous,
            now_ns,
            streams,
            errors: report.errors.clone(),
            mappings: Vec::new(),
        }
    }
}

/// The files written by [`write_report`].
#[derive(Clone, Debug)]
pub struct ReportFiles {
    /// `report.html`.
    pub html: PathBuf,
    /// `calendar.svg`.
    pub calendar_svg: PathBuf,
    /// `calendar.png`.
    pub calendar_png: PathBuf,
    /// `timeline.svg`.
    pub timeline_svg: PathBuf,
    /// `timeline.png`.
    pub timeline_png: PathBuf,
}

/// Writes `report.html`, `calendar.svg`, `calendar.png`, `timeline.svg` and
/// `timeline.png` into `dir` (created when missing), each atomically (temporary file,
/// fsync, rename). `qc` is a QC JSON document (`docs/qc.md`) whose findings the HTML
/// report lists.
///
/// # Errors
/// [`Error::Io`] naming the file that could not be written.
pub fn write_report(
    dir: &Path,
    data: &ReportData,
    qc: Option<&serde_json::Value>,
) -> Result<ReportFiles> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let cal = calendar(data);
    let tl = timeline(data);
    let files = ReportFiles {
        html: dir.join("report.html"),
        calendar_svg: dir.join("calendar.svg"),
        calendar_png: dir.join("calendar.png"),
        timeline_svg: dir.join("timeline.svg"),
        timeline_png: dir.join("timeline.png"),
    };
    write_file(&files.calendar_svg, cal.to_svg().as_bytes())?;
    write_file(&files.timeline_svg, tl.to_svg().as_bytes())?;
    write_file(&files.calendar_png, &cal.to_png())?;
    write_file(&files.timeline_png, &tl.to_png())?;
    write_file(&files.html, html_report(data, &cal, &tl, qc).as_bytes())?;
    Ok(files)
}

/// Reads a QC JSON document (`siqaco qc --format json`, `docs/qc.md`) for
/// [`write_report`].
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::InvalidData`] when it is not JSON
/// (with the byte offset of the line where parsing failed) or has no `findings` array.
pub fn read_qc_json(path: &Path) -> Result<serde_json::Value> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        let offset: usize = bytes
            .split(|b| *b == b'\n')
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum();
        Error::invalid_data(path, offset as u64, format!("not JSON: {e}"))
    })?;
    if !v.get("findings").is_some_and(|f| f.is_array()) {
        return Err(Error::invalid_data(
            path,
            0,
            "not a QC JSON document (no \"findings\" array)",
        ));
    }
    Ok(v)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::archive::write_atomic(path, bytes)
}
