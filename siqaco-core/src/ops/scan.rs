//! The archive operations that read files: scan, streams, read.

use super::{check_seconds, check_threads, require, Control, Progress, Window};
use crate::archive::{Archive, Layout};
use crate::error::Result;
use crate::gaps::AnalysisOptions;
use crate::mapping::Mappings;
use crate::read::{ReadOptions, SampleSegment};
use crate::scan::{ScanInput, ScanOptions, ScanReport};
use crate::segment::Tolerance;
use crate::sid::{Nslc, NslcGlob};
use std::path::PathBuf;

/// The analysis fields of the requests that report gaps, overlaps and availability
/// ([`ScanRequest::analysis`], [`super::StatsRequest::analysis`]): which streams, which
/// window, which gaps, how traces are joined ([`crate::gaps`] gives the definitions). Errors
/// name these fields (`start_ns`, `tolerance_s`...) as they are spelled here.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AnalysisRequest {
    /// Streams to report (empty = all).
    pub select: Vec<NslcGlob>,
    /// Window start, ns (the open-ended rule of [`Window::open_ended`]).
    pub start_ns: Option<i64>,
    /// Window end, ns, exclusive.
    pub end_ns: Option<i64>,
    /// Report only gaps at least this long, seconds.
    pub min_gap_s: Option<f64>,
    /// Report only gaps at most this long, seconds.
    pub max_gap_s: Option<f64>,
    /// Collapse more than this many gaps starting in one UTC day into one (Morumotto).
    pub max_gaps_per_day: Option<usize>,
    /// Time tolerance, seconds (default half a sample period; exclusive with
    /// `tolerance_periods`). For a catalogue, a tolerance smaller than the one used when
    /// indexing cannot split traces already joined.
    pub tolerance_s: Option<f64>,
    /// Time tolerance, sample periods (default 0.5).
    pub tolerance_periods: Option<f64>,
    /// Relative sample-rate tolerance (default 1e-4).
    pub rate_tolerance: Option<f64>,
    /// Compute per-UTC-day statistics (default true: the JSON document has them).
    pub per_day: bool,
}

impl Default for AnalysisRequest {
    fn default() -> Self {
        AnalysisRequest {
            select: Vec::new(),
            start_ns: None,
            end_ns: None,
            min_gap_s: None,
            max_gap_s: None,
            max_gaps_per_day: None,
            tolerance_s: None,
            tolerance_periods: None,
            rate_tolerance: None,
            per_day: true,
        }
    }
}

impl AnalysisRequest {
    /// The lower-level options ([`crate::scan::ScanOptions`]) of these fields with
    /// `threads` worker threads (the field named `threads` in errors; `None` = all cores),
    /// every field checked.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first bad field: a negative or non-finite
    /// `min_gap_s` or `max_gap_s`, `threads` = 0, both tolerances or a bad one, a window
    /// whose `end_ns` is not after `start_ns`.
    pub fn scan_options(&self, threads: Option<usize>) -> Result<ScanOptions> {
        check_seconds("min_gap_s", self.min_gap_s)?;
        check_seconds("max_gap_s", self.max_gap_s)?;
        check_threads("threads", threads)?;
        Ok(ScanOptions {
            selection: self.select.clone(),
            analysis: AnalysisOptions {
                tolerance: Tolerance::from_options(
                    self.tolerance_s,
                    self.tolerance_periods,
                    self.rate_tolerance,
                )?,
                window: Window::pair_of(Window::open_ended(self.start_ns, self.end_ns)?),
                min_gap_s: self.min_gap_s,
                max_gap_s: self.max_gap_s,
                max_gaps_per_day: self.max_gaps_per_day,
                per_day: self.per_day,
            },
            threads,
            cancel: None,
            mappings: Default::default(),
        })
    }
}

/// Scan an archive (or miniSEED files) for gaps, overlaps and availability
/// (`siqaco scan`, `siqaco.scan`, `siqaco_scan`).
///
/// Headers only are read; see [`crate::scan`] for how, [`crate::gaps`] for the definitions.
/// The result serialises as the JSON document of `docs/scan-json.md`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ScanRequest {
    /// One archive root directory, or miniSEED files scanned directly (all must exist).
    pub paths: Vec<PathBuf>,
    /// The archive layout (default SDS); unused for files.
    pub layout: Layout,
    /// Selection, window, gap filters, tolerances, per-day statistics.
    pub analysis: AnalysisRequest,
    /// Worker threads (default: all cores; at least 1).
    pub threads: Option<usize>,
    /// Stream mappings over time (default none: every record keeps its codes): a record of
    /// a mapped stream is reported in the stream it maps to, `analysis.select` selects
    /// mapped streams, and the report lists the records mapped ([`ScanReport::mapped`];
    /// [`crate::mapping`]).
    pub mappings: Mappings,
}

impl Default for ScanRequest {
    fn default() -> Self {
        ScanRequest {
            paths: Vec::new(),
            layout: Layout::Sds,
            analysis: AnalysisRequest::default(),
            threads: None,
            mappings: Mappings::default(),
        }
    }
}

/// Checks the `paths` field: at least one path.
pub(crate) fn check_paths(paths: &[PathBuf]) -> Result<()> {
    require(!paths.is_empty(), "paths", || {
        "at least one archive root or file is needed".into()
    })
}

impl ScanRequest {
    /// A request to scan `paths` with the defaults.
    pub fn new<P: Into<PathBuf>>(paths: impl IntoIterator<Item = P>) -> Self {
        ScanRequest {
            paths: paths.into_iter().map(Into::into).collect(),
            ..ScanRequest::default()
        }
    }

    /// Checks every field (`paths` last, so that a front end that sets the paths last
    /// can check the others first).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first bad field: no `paths`, a window whose
    /// `end_ns` is not after `start_ns`, a negative or non-finite number of seconds, both
    /// tolerances, `threads` = 0.
    pub fn validate(&self) -> Result<()> {
        self.scan_options()?;
        check_paths(&self.paths)
    }

    /// The lower-level options ([`crate::scan::ScanOptions`]) of this request: its
    /// [`AnalysisRequest::scan_options`] with its threads, every field checked but `paths`.
    ///
    /// # Errors
    /// As [`ScanRequest::validate`], but for `paths`.
    pub fn scan_options(&self) -> Result<ScanOptions> {
        let mut opts = self.analysis.scan_options(self.threads)?;
        opts.mappings = self.mappings.clone();
        Ok(opts)
    }

    /// Scans. Progress: [`Progress::Scan`] after each file. Cancellation: the files not yet
    /// started are skipped and the report of what was read is returned.
    ///
    /// # Errors
    /// As [`ScanRequest::validate`]; [`crate::Error::Io`] (not found) for a missing path;
    /// errors listing the archive. Files that cannot be read are not errors: they are in
    /// [`ScanReport::errors`].
    pub fn run(&self, control: &Control) -> Result<ScanReport> {
        let mut opts = self.scan_options()?;
        check_paths(&self.paths)?; // validate()'s order: the other fields first
        opts.cancel = Some(control.cancel_flag().clone());
        let input = ScanInput::new(&self.paths, &self.layout)?;
        let report = |p| control.report(Progress::Scan(p));
        let progress: Option<&(dyn Fn(crate::scan::Progress) + Sync)> =
            control.has_progress().then_some(&report);
        input.scan(&opts, progress)
    }
}

/// List the streams an archive holds, from its file names; no file is read
/// (`siqaco streams`, `siqaco.streams`).
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// use siqaco::ops::{Control, StreamsRequest};
/// let root = tempfile::tempdir().unwrap();
/// let day = root.path().join("2024/IU/ANMO/BHZ.D");
/// std::fs::create_dir_all(&day).unwrap();
/// std::fs::write(day.join("IU.ANMO.00.BHZ.D.2024.001"), b"").unwrap();
/// let mut request = StreamsRequest::new(root.path());
/// request.select = vec!["IU.*".parse()?];
/// let streams = request.run(&Control::new())?;
/// assert_eq!(streams, vec!["IU.ANMO.00.BHZ".parse()?]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StreamsRequest {
    /// The archive root directory.
    pub root: PathBuf,
    /// The archive layout (default SDS).
    pub layout: Layout,
    /// Streams to list (empty = all).
    pub select: Vec<NslcGlob>,
}

impl StreamsRequest {
    /// A request to list the streams under `root` with the defaults.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StreamsRequest {
            root: root.into(),
            layout: Layout::Sds,
            select: Vec::new(),
        }
    }

    /// Checks every field (nothing can be wrong with typed values today).
    ///
    /// # Errors
    /// None yet; kept so every request validates the same way.
    pub fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// The streams, sorted by N.S.L.C. The control is not used (listing is quick).
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the root cannot be listed.
    pub fn run(&self, _control: &Control) -> Result<Vec<Nslc>> {
        self.validate()?;
        Archive::new(&self.root, self.layout.clone()).discover_streams(&self.select)
    }
}

/// Read the samples of an archive (or of miniSEED files) into contiguous segments
/// (`siqaco.read`, `siqaco_archive_read`; [`crate::read`]).
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// use siqaco::ops::{Control, ReadRequest};
/// let root = tempfile::tempdir().unwrap();
/// let mut request = ReadRequest::new([root.path()]);
/// request.start_ns = Some(siqaco::time::parse_time("2024-01-01")?);
/// request.end_ns = Some(siqaco::time::parse_time("2024-01-02")?);
/// let segments = request.run(&Control::new())?;
/// assert!(segments.is_empty()); // an empty archive
///
/// request.end_ns = request.start_ns; // an empty window is refused, naming the field
/// let e = request.validate().unwrap_err();
/// assert_eq!(e.field_name(), Some("end_ns"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ReadRequest {
    /// One archive root directory, or miniSEED files read directly (all must exist).
    pub paths: Vec<PathBuf>,
    /// The archive layout (default SDS); unused for files.
    pub layout: Layout,
    /// Streams to read (empty = all).
    pub select: Vec<NslcGlob>,
    /// Window start, ns (open-ended rule); samples are cut to the window.
    pub start_ns: Option<i64>,
    /// Window end, ns, exclusive.
    pub end_ns: Option<i64>,
    /// Time tolerance of the trace rule, seconds (default half a sample period).
    pub tolerance_s: Option<f64>,
    /// Time tolerance, sample periods (default 0.5; exclusive with `tolerance_s`).
    pub tolerance_periods: Option<f64>,
    /// Relative sample-rate tolerance (default 1e-4).
    pub rate_tolerance: Option<f64>,
    /// Stream mappings over time (default none): the samples of a record of a mapped stream
    /// belong to the stream it maps to; `select` selects mapped streams
    /// ([`crate::mapping`]).
    pub mappings: Mappings,
    /// Threads of the read: the header pass, the decoding and the joining of traces
    /// (default: all cores, or the `RAYON_NUM_THREADS` of the process; at least 1).
    pub threads: Option<usize>,
}

impl ReadRequest {
    /// A request to read `paths` with the defaults.
    pub fn new<P: Into<PathBuf>>(paths: impl IntoIterator<Item = P>) -> Self {
        ReadRequest {
            paths: paths.into_iter().map(Into::into).collect(),
            ..ReadRequest::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first bad field (as [`ScanRequest::validate`]).
    pub fn validate(&self) -> Result<()> {
        self.options().map(|_| ())
    }

    pub(crate) fn options(&self) -> Result<ReadOptions> {
        let opts = ReadOptions {
            selection: self.select.clone(),
            window: Window::pair_of(Window::open_ended(self.start_ns, self.end_ns)?),
            tolerance: Tolerance::from_options(
                self.tolerance_s,
                self.tolerance_periods,
                self.rate_tolerance,
            )?,
            cancel: None,
            mappings: self.mappings.clone(),
            threads: self.threads,
        };
        check_threads("threads", self.threads)?;
        check_paths(&self.paths)?;
        Ok(opts)
    }

    /// Reads. Cancellation: the files not yet started are skipped and the segments of what
    /// was read are returned.
    ///
    /// # Errors
    /// As [`ReadRequest::validate`]; [`crate::Error::Io`] for a missing path; as
    /// [`crate::read::read_files`] for a file that cannot be read or decoded.
    pub fn run(&self, control: &Control) -> Result<Vec<SampleSegment>> {
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        let input = ScanInput::new(&self.paths, &self.layout)?;
        crate::read::read_input(&input, &opts)
    }
}
