//! The QC operation: an archive against StationXML metadata and its own rules.

use super::{check_threads, require, Control, Window};
use crate::archive::{Archive, Layout};
use crate::error::{Error, Result};
use crate::qc::{load_metadata, qc_archive, QcOptions, QcReport, QcRules};
use crate::record::ByteOrder;
use crate::sid::NslcGlob;
use std::path::PathBuf;

/// Check an archive against StationXML metadata and its own rules (`siqaco qc`,
/// `siqaco.qc`).
///
/// The checks, their severities and rule sources are in [`crate::qc`] and `docs/qc.md`.
/// The result, [`QcReport`], serialises as the document of `siqaco qc --format json`; its
/// [`QcReport::worst_severity`] decides the exit status of `siqaco qc`.
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// # let archive = dir.path().join("sds");
/// # std::fs::create_dir(&archive).unwrap();
/// # let stations = dir.path().join("stations.xml");
/// # std::fs::write(&stations, r#"<FDSNStationXML xmlns="http://www.fdsn.org/xml/station/1"
/// #   schemaVersion="1.1"><Source>example</Source><Created>2024-01-01T00:00:00Z</Created>
/// #   </FDSNStationXML>"#).unwrap();
/// use siqaco::ops::{Control, QcRequest};
/// let mut request = QcRequest::new(&archive, stations.to_str().unwrap());
/// request.start_ns = Some(siqaco::time::parse_time("2024-01-01")?);
/// request.byte_order = Some("big".parse()?);
/// let report = request.run(&Control::new())?;
/// assert_eq!(report.worst_severity(), None);
/// let json = serde_json::to_string_pretty(&report).unwrap();
/// assert!(json.contains("\"worst_severity\": null"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct QcRequest {
    /// The archive root directory (must exist).
    pub archive: PathBuf,
    /// The archive layout (default SDS).
    pub layout: Layout,
    /// The metadata to check against: a StationXML file, a directory of StationXML files,
    /// or an FDSN station web service URL (`http(s)://`), asked at `level=response` for
    /// `select` over the window ([`crate::qc::load_metadata`]).
    pub metadata: String,
    /// Streams to check (empty = all), data and metadata alike.
    pub select: Vec<NslcGlob>,
    /// Window start, ns (the up-to-now rule of [`Window::up_to_now`]: no window without
    /// a start; an end needs a start).
    pub start_ns: Option<i64>,
    /// Window end, ns, exclusive (default with a start: `now_ns`).
    pub end_ns: Option<i64>,
    /// "Now", ns since 1970-01-01 UTC, the end of a window given only its start (default:
    /// the system clock when the request is checked).
    pub now_ns: Option<i64>,
    /// Expected miniSEED 2 record length, bytes (`None`: not checked).
    pub record_length: Option<usize>,
    /// Expected encoding code (10 Steim1, 11 Steim2, 3 int32, 4 float32...; `None`: not
    /// checked).
    pub encoding: Option<u8>,
    /// Expected miniSEED 2 header byte order (`None`: not checked).
    pub byte_order: Option<ByteOrder>,
    /// Lowest acceptable blockette 1001 timing quality, percent (`None`: not checked).
    pub min_timing_quality: Option<u8>,
    /// Relative tolerance between data and metadata sample rates (default 0.01 = 1 %,
    /// MUSTANG `sample_rate_channel`; at least 0).
    pub rate_tolerance: f64,
    /// Worker threads (default: all cores; at least 1).
    pub threads: Option<usize>,
}

impl QcRequest {
    /// A request to check the archive at `archive` against `metadata` with the defaults.
    pub fn new(archive: impl Into<PathBuf>, metadata: impl Into<String>) -> Self {
        QcRequest {
            archive: archive.into(),
            layout: Layout::Sds,
            metadata: metadata.into(),
            select: Vec::new(),
            start_ns: None,
            end_ns: None,
            now_ns: None,
            record_length: None,
            encoding: None,
            byte_order: None,
            min_timing_quality: None,
            rate_tolerance: QcRules::default().rate_tolerance,
            threads: None,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first bad field: an empty `metadata`, an
    /// `end_ns` without `start_ns` or not after it (a start alone: not before `now_ns`), a
    /// negative or NaN `rate_tolerance`, `threads` = 0.
    pub fn validate(&self) -> Result<()> {
        self.options().map(|_| ())
    }

    /// The lower-level options ([`QcOptions`]) of this request.
    pub(crate) fn options(&self) -> Result<QcOptions> {
        require(!self.metadata.trim().is_empty(), "metadata", || {
            "a StationXML file, directory or station web service URL is needed".into()
        })?;
        let now_ns = self.now_ns.unwrap_or_else(crate::time::now_ns);
        let window = Window::up_to_now(self.start_ns, self.end_ns, now_ns)?;
        let rules = QcRules {
            record_length: self.record_length,
            encoding: self.encoding,
            byte_order: self.byte_order,
            min_timing_quality: self.min_timing_quality,
            rate_tolerance: self.rate_tolerance,
        };
        rules.validate()?;
        check_threads("threads", self.threads)?;
        Ok(QcOptions {
            selection: self.select.clone(),
            window: Window::pair_of(window),
            rules,
            threads: self.threads,
            ..QcOptions::default()
        })
    }

    /// Reads the metadata and checks the archive. Cancellation: the files not yet started
    /// and the streams not yet checked are skipped and the (partial) report is returned.
    /// No progress is reported.
    ///
    /// # Errors
    /// As [`QcRequest::validate`]; [`Error::Io`] (not found) when the archive root is not
    /// a directory or the StationXML file does not exist; [`Error::StationXml`] naming the
    /// file, line and column of a document that is not StationXML; the errors of the
    /// station web service. Files that cannot be read are not errors: they are in
    /// [`QcReport::errors`].
    pub fn run(&self, control: &Control) -> Result<QcReport> {
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        let archive = self.archive()?;
        qc_archive(&archive, &self.inventory(&opts)?, &opts)
    }

    /// The archive, when its root is a directory.
    ///
    /// # Errors
    /// [`Error::Io`] (not found) when it is not.
    pub(crate) fn archive(&self) -> Result<Archive> {
        if !crate::archive::store::is_object_url(&self.archive) && !self.archive.is_dir() {
            return Err(Error::io(
                &self.archive,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "archive root is not a directory",
                ),
            ));
        }
        Ok(Archive::new(&self.archive, self.layout.clone()))
    }

    /// The metadata of the selected streams over the window.
    ///
    /// # Errors
    /// As [`load_metadata`].
    pub(crate) fn inventory(&self, opts: &QcOptions) -> Result<crate::stationxml::Inventory> {
        load_metadata(
            &self.metadata,
            &opts.selection,
            opts.window,
            &Default::default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(start_ns: Option<i64>, end_ns: Option<i64>) -> QcRequest {
        let mut r = QcRequest::new("/nowhere", "meta.xml");
        r.start_ns = start_ns;
        r.end_ns = end_ns;
        r.now_ns = Some(100);
        r
    }

    #[test]
    fn the_window_is_up_to_now() {
        assert_eq!(request(None, None).options().unwrap().window, None);
        assert_eq!(
            request(Some(5), Some(9)).options().unwrap().window,
            Some((5, 9))
        );
        assert_eq!(
            request(Some(5), None).options().unwrap().window,
            Some((5, 100))
        );
        let mut clock = request(Some(5), None);
        clock.now_ns = None;
        let (_, end) = clock.options().unwrap().window.unwrap();
        assert!(
            end > 1_700_000_000_000_000_000,
            "the end is the clock's now"
        );
        for (s, e) in [(None, Some(9)), (Some(9), Some(9)), (Some(9), Some(5))] {
            let err = request(s, e).validate().unwrap_err();
            assert_eq!(err.field_name(), Some("end_ns"), "{s:?} {e:?}");
        }
        assert_eq!(
            request(None, Some(9)).validate().unwrap_err().to_string(),
            "invalid argument: end_ns: an end needs a start"
        );
    }

    #[test]
    fn fields_are_named() {
        let mut r = request(None, None);
        r.rate_tolerance = -1.0;
        assert_eq!(
            r.validate().unwrap_err().field_name(),
            Some("rate_tolerance")
        );
        let mut r = request(None, None);
        r.threads = Some(0);
        assert_eq!(r.validate().unwrap_err().field_name(), Some("threads"));
        let mut r = request(None, None);
        r.metadata = String::new();
        assert_eq!(r.validate().unwrap_err().field_name(), Some("metadata"));
    }
}
