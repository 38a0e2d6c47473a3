//! The report operations: the figures' data of a catalogue, and the report files
//! (`siqaco report`, `siqaco.report_data`; [`crate::plot`], `docs/report.md`).

use super::catalogue::check_catalogue;
use super::{require, AnalysisRequest, Control};
use crate::error::Result;
use crate::index::Catalogue;
use crate::plot::{read_qc_json, report_data_json, write_report, ReportData, ReportFiles};
use crate::scan::ScanOptions;
use crate::sid::{Nslc, NslcGlob};
use std::path::PathBuf;

/// The figures' data of an existing catalogue ([`ReportData`]: per stream its summary,
/// its availability per UTC day and its segments, gaps and overlaps), without writing
/// anything (`siqaco.report_data`). The result serialises as the JSON the HTML report
/// embeds ([`report_data_json`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReportDataRequest {
    /// The catalogue: a SQLite file or a `postgresql://` URL; must exist.
    pub catalogue: PathBuf,
    /// Streams to report (empty = all).
    pub select: Vec<NslcGlob>,
    /// Window start, ns (open-ended rule; default: the data's extent widened to whole UTC
    /// days).
    pub start_ns: Option<i64>,
    /// Window end, ns, exclusive.
    pub end_ns: Option<i64>,
    /// The time latencies are measured from, ns (default: the clock when run).
    pub now_ns: Option<i64>,
}

impl ReportDataRequest {
    /// A request for the figures' data of `catalogue` with the defaults.
    pub fn new(catalogue: impl Into<PathBuf>) -> Self {
        ReportDataRequest {
            catalogue: catalogue.into(),
            select: Vec::new(),
            start_ns: None,
            end_ns: None,
            now_ns: None,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first bad field: an empty `catalogue`, a
    /// window whose `end_ns` is not after `start_ns`.
    pub fn validate(&self) -> Result<()> {
        self.options().map(|_| ())
    }

    /// The catalogue query: the scan's analysis with per-day statistics (the calendar).
    fn options(&self) -> Result<ScanOptions> {
        check_catalogue(&self.catalogue)?;
        AnalysisRequest {
            select: self.select.clone(),
            start_ns: self.start_ns,
            end_ns: self.end_ns,
            per_day: true,
            ..AnalysisRequest::default()
        }
        .scan_options(None)
    }

    /// The data of `catalogue`, opened, for the checked `opts`, of the streams `keep`
    /// accepts (the window of the data's extent is theirs).
    fn data(
        &self,
        catalogue: &Catalogue,
        opts: &ScanOptions,
        keep: impl Fn(&Nslc) -> bool,
    ) -> Result<ReportData> {
        let mut report = catalogue.report(opts)?;
        report.streams.retain(|s| keep(&s.nslc));
        let now_ns = self.now_ns.unwrap_or_else(crate::time::now_ns);
        Ok(ReportData::from_scan(&report, now_ns))
    }

    /// The figures' data from a catalogue already open (the server's pooled read-only
    /// catalogues; `self.catalogue` only names it), of the selected streams that `keep`
    /// accepts: the others are left out before anything is computed, so the window of the
    /// data's extent and the calendar's days are those of the streams kept (the status
    /// page of `siqaco serve` hides restricted streams so).
    ///
    /// # Errors
    /// As [`ReportDataRequest::validate`]; [`crate::Error::Database`].
    pub fn run_on(
        &self,
        catalogue: &Catalogue,
        keep: impl Fn(&Nslc) -> bool,
    ) -> Result<ReportData> {
        let opts = self.options()?;
        self.data(catalogue, &opts, keep)
    }

    /// The figures' data. The control is not used.
    ///
    /// # Errors
    /// As [`ReportDataRequest::validate`]; [`crate::Error::Io`] (not found) naming the
    /// catalogue when it does not exist (nothing is created); [`crate::Error::Database`].
    pub fn run(&self, _control: &Control) -> Result<ReportData> {
        let opts = self.options()?;
        let catalogue = Catalogue::open_existing(&self.catalogue)?;
        self.data(&catalogue, &opts, |_| true)
    }
}

/// Figures and an HTML report of an existing catalogue, written into a directory
/// (`siqaco report`): `report.html`, `calendar.svg`/`.png`, `timeline.svg`/`.png`
/// ([`write_report`]).
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// # let root = dir.path().join("sds");
/// # std::fs::create_dir(&root).unwrap();
/// use siqaco::ops::{Control, IndexRequest, ReportDataRequest, ReportRequest};
/// let catalogue = dir.path().join("catalogue.sqlite");
/// IndexRequest::new(&root, &catalogue).run(&Control::new())?;
/// let mut request = ReportRequest::new(&catalogue, dir.path().join("report"));
/// request.now_ns = Some(siqaco::time::parse_time("2026-01-01")?);
/// let written = request.run(&Control::new())?;
/// assert!(written.files.html.is_file());
/// // The same data without writing anything (Python's `siqaco.report_data`).
/// let mut data = ReportDataRequest::new(&catalogue);
/// data.now_ns = request.now_ns;
/// let json = serde_json::to_value(data.run(&Control::new())?).unwrap();
/// assert_eq!(json["now"], "2026-01-01T00:00:00.000000Z");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReportRequest {
    /// The catalogue: a SQLite file or a `postgresql://` URL; must exist.
    pub catalogue: PathBuf,
    /// The output directory (created when missing).
    pub out: PathBuf,
    /// Streams to report (empty = all).
    pub select: Vec<NslcGlob>,
    /// Window start, ns (as [`ReportDataRequest::start_ns`]).
    pub start_ns: Option<i64>,
    /// Window end, ns, exclusive.
    pub end_ns: Option<i64>,
    /// A QC JSON document (`siqaco qc --format json`, `docs/qc.md`) whose findings the
    /// HTML page lists.
    pub qc: Option<PathBuf>,
    /// The time latencies are measured from, ns (default: the clock when run).
    pub now_ns: Option<i64>,
    /// The stream mappings over time the catalogue was indexed with ([`crate::mapping`];
    /// default none): listed in the report (section "Stream mappings" and `mappings` in
    /// the figures' data). The catalogue does not record them, so they are given here.
    pub mappings: crate::mapping::Mappings,
}

/// What a [`ReportRequest`] wrote. Serialises as `{"files": {"html", "calendar_svg",
/// "calendar_png", "timeline_svg", "timeline_png"}, "data": <the figures' data>}`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReportOutput {
    /// The files written.
    pub files: ReportFiles,
    /// The figures' data (its `errors` are the files the catalogue recorded as not
    /// read completely).
    pub data: ReportData,
}

impl ReportRequest {
    /// A request for the report of `catalogue` into the directory `out`, with the
    /// defaults.
    pub fn new(catalogue: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        ReportRequest {
            catalogue: catalogue.into(),
            out: out.into(),
            select: Vec::new(),
            start_ns: None,
            end_ns: None,
            qc: None,
            now_ns: None,
            mappings: Default::default(),
        }
    }

    /// The figures' data part of this request.
    fn data_request(&self) -> ReportDataRequest {
        ReportDataRequest {
            catalogue: self.catalogue.clone(),
            select: self.select.clone(),
            start_ns: self.start_ns,
            end_ns: self.end_ns,
            now_ns: self.now_ns,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first bad field: as
    /// [`ReportDataRequest::validate`], an empty `out`.
    pub fn validate(&self) -> Result<()> {
        self.data_request().validate()?;
        require(!self.out.as_os_str().is_empty(), "out", || {
            "an output directory is needed".into()
        })
    }

    /// Writes the report. The control is not used.
    ///
    /// # Errors
    /// As [`ReportRequest::validate`]; [`crate::Error::Io`] (not found) naming the
    /// catalogue when it does not exist (nothing is created or written); as
    /// [`read_qc_json`] for the `qc` document; [`crate::Error::Database`];
    /// [`crate::Error::Io`] naming a file that cannot be written.
    pub fn run(&self, _control: &Control) -> Result<ReportOutput> {
        self.validate()?;
        let request = self.data_request();
        let opts = request.options()?;
        let catalogue = Catalogue::open_existing(&self.catalogue)?;
        let qc = self.qc.as_deref().map(read_qc_json).transpose()?;
        let mut data = request.data(&catalogue, &opts, |_| true)?;
        data.mappings = self.mappings.rules().to_vec();
        let files = write_report(&self.out, &data, qc.as_ref())?;
        Ok(ReportOutput { files, data })
    }
}

impl serde::Serialize for ReportData {
    /// The figures' data as [`report_data_json`] writes it.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        report_data_json(self).serialize(serializer)
    }
}

impl serde::Serialize for ReportOutput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let f = &self.files;
        serde_json::json!({
            "files": {
                "html": f.html.to_string_lossy(),
                "calendar_svg": f.calendar_svg.to_string_lossy(),
                "calendar_png": f.calendar_png.to_string_lossy(),
                "timeline_svg": f.timeline_svg.to_string_lossy(),
                "timeline_png": f.timeline_png.to_string_lossy(),
            },
            "data": report_data_json(&self.data),
        })
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_catalogue_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("typo.sqlite");
        let out = dir.path().join("out");
        let e = ReportRequest::new(&db, &out)
            .run(&Control::new())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: no such catalogue", db.display())
        );
        let e = ReportDataRequest::new(&db)
            .run(&Control::new())
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Io);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut r = ReportRequest::new(&db, "");
        assert_eq!(r.validate().unwrap_err().field_name(), Some("out"));
        r.out = out;
        r.start_ns = Some(5);
        r.end_ns = Some(5);
        assert_eq!(r.validate().unwrap_err().field_name(), Some("end_ns"));
    }
}
