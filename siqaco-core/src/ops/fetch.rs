//! The fetch operation: data from a source into an archive.

use super::{require, Control, Progress, Window};
use crate::archive::{Archive, Layout};
use crate::error::{Error, Result};
use crate::sid::{Nslc, NslcGlob};
use crate::source::fdsnws::{AvailabilityMode, Credentials, FdsnOptions};
use crate::source::{
    fetch_concurrently_until, restrict_to_availability, split_by_day, write_to_archive,
    FetchProgress, FetchReport, RequestLine, SourceInfo, SourceSpec, WriteSummary,
};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Fetch the data of some streams over a window from a source into an archive
/// (`siqaco fetch`, `siqaco.fetch`; docs/sources.md).
///
/// [`FetchRequest::run`]:
///
/// 1. opens the source ([`SourceSpec::open`]; FDSN options from the request);
/// 2. unless availability is assumed, asks the source which times of the selected streams
///    (globs passed as codes) have data and cuts the request to them
///    ([`restrict_to_availability`]); when nothing is left, returns with
///    [`ArchiveFetch::nothing_available`] and writes nothing (the archive root is not even
///    created);
/// 3. creates the archive root, removes what killed runs left there
///    ([`tidy_root`](crate::archive::tidy_root)) and creates a staging directory
///    `.siqaco-staging-<pid>-*` inside it (removed on return), splits the request by UTC
///    day ([`split_by_day`]) and fetches the pieces with `in_flight` workers
///    ([`fetch_concurrently`](crate::source::fetch_concurrently)); a failed piece does not
///    stop the others;
/// 4. files what arrived into the archive's day files ([`write_to_archive`]: appended,
///    byte-identical records skipped, atomic replacement).
///
/// The result serialises as the fetch document (Python's `siqaco.fetch` result).
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// use siqaco::ops::{Control, FetchRequest};
/// use siqaco::time::parse_time;
/// // Another archive on disk (here an empty one) as the source.
/// let source = dir.path().join("other-archive");
/// std::fs::create_dir(&source).unwrap();
/// let mut request = FetchRequest::new(
///     source.to_str().unwrap().parse()?,
///     vec!["IU.ANMO.00.BH?".parse()?],
///     parse_time("2010-02-27")?,
///     parse_time("2010-02-28")?,
///     dir.path().join("out"),
/// );
/// request.in_flight = 2;
/// let fetched = request.run(&Control::new())?;
/// assert!(fetched.is_no_data());
/// let doc = serde_json::to_value(&fetched).unwrap();
/// assert_eq!(doc["records_added"], 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FetchRequest {
    /// Where to fetch from (required; [`SourceSpec`]'s `FromStr` reads the command line's
    /// text: an FDSN URL, `program:PATH[?CONNECT-INFOS]`, a tsindex catalogue or an
    /// archive directory).
    pub source: Option<SourceSpec>,
    /// The streams (globs allowed; an empty location selects `--`); at least one.
    pub select: Vec<NslcGlob>,
    /// Window start, ns since 1970-01-01 UTC (required, with `end_ns`).
    pub start_ns: Option<i64>,
    /// Window end (exclusive), ns since 1970-01-01 UTC (required, after `start_ns`).
    pub end_ns: Option<i64>,
    /// The output archive's root (required; created when missing).
    pub out: PathBuf,
    /// The output archive's layout (default SDS).
    pub layout: Layout,
    /// Deadline of one request (from connecting to the last byte of the body,
    /// [`FdsnOptions::timeout`]) or of one program run, seconds (default 120; > 0 and at
    /// most seven days, [`crate::source::MAX_TIMEOUT_S`], as `timeout_s` of an update's
    /// `[[sources]]`).
    pub timeout_s: f64,
    /// Retries of failed requests (default 4, [`FdsnOptions::max_retries`]).
    pub retries: u32,
    /// FDSN `quality` parameter to send (default none).
    pub quality: Option<String>,
    /// Bandwidth limit in bytes per second shared by all requests (default `None`:
    /// unlimited).
    pub limit_rate: Option<u64>,
    /// Requests in flight at once (default 4; at least 1): the request is split by UTC day
    /// (and by stream when there are fewer days than this, [`split_by_day`]) and the
    /// pieces are fetched by this many workers.
    pub in_flight: usize,
    /// Where availability comes from (default [`AvailabilityMode::Assume`]); unless
    /// assumed, only the times with data are requested ([`restrict_to_availability`]).
    pub availability: AvailabilityMode,
    /// Credentials for `/queryauth` (default none; see [`Credentials::from_options`]).
    pub credentials: Option<Credentials>,
    /// Stream mappings over time (default none; [`crate::mapping`]): an exact stream of
    /// `select` that a mapping renames is asked for under its codes of each time
    /// ([`crate::mapping::Mappings::source_lines`]; the source's availability of those codes
    /// counts for it), and the records are stored with the codes they hold.
    pub mappings: crate::mapping::Mappings,
}

impl Default for FetchRequest {
    fn default() -> Self {
        FetchRequest {
            source: None,
            select: Vec::new(),
            start_ns: None,
            end_ns: None,
            out: PathBuf::new(),
            layout: Layout::Sds,
            timeout_s: 120.0,
            retries: FdsnOptions::default().max_retries,
            quality: None,
            limit_rate: None,
            in_flight: 4,
            availability: AvailabilityMode::Assume,
            credentials: None,
            mappings: Default::default(),
        }
    }
}

/// The outcome of [`FetchRequest::run`].
///
/// Serialises as the fetch document, keys in this order: `bytes`, `chunks`, `errors` (the
/// messages of the pieces that failed), `files_written`, `nothing_available`,
/// `records_added`, `records_duplicate`, `requests_done`, `requests_retried` (the counts
/// of [`WriteSummary`] are 0 when nothing was written).
#[derive(Debug, Default)]
pub struct ArchiveFetch {
    /// The source's availability has nothing in the window: nothing was asked
    /// (only when the request restricts to availability).
    pub nothing_available: bool,
    /// The pieces (UTC days, or day and stream) the request was split into.
    pub chunks: usize,
    /// What the pieces that succeeded fetched (the staged files it names are gone when the
    /// function returns: they were in the staging directory).
    pub report: FetchReport,
    /// What was written to the archive; `None` when nothing was fetched or the fetch was
    /// cancelled.
    pub written: Option<WriteSummary>,
    /// The errors of the pieces that failed, in piece (time) order. What the other pieces
    /// fetched is written all the same.
    pub errors: Vec<Error>,
    /// The fetch was cancelled: pieces were left out and nothing was written.
    pub cancelled: bool,
}

impl ArchiveFetch {
    /// Whether the source had no data at all (no piece fetched any and none failed).
    pub fn is_no_data(&self) -> bool {
        self.report.is_no_data() && self.errors.is_empty()
    }
}

impl serde::Serialize for ArchiveFetch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let w = self.written.clone().unwrap_or_default();
        let errors: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        let mut m = s.serialize_struct("ArchiveFetch", 9)?;
        m.serialize_field("bytes", &self.report.bytes)?;
        m.serialize_field("chunks", &self.chunks)?;
        m.serialize_field("errors", &errors)?;
        m.serialize_field("files_written", &w.files_written)?;
        m.serialize_field("nothing_available", &self.nothing_available)?;
        m.serialize_field("records_added", &w.records_added)?;
        m.serialize_field("records_duplicate", &w.records_duplicate)?;
        m.serialize_field("requests_done", &self.report.requests_done)?;
        m.serialize_field("requests_retried", &self.report.requests_retried)?;
        m.end()
    }
}

impl FetchRequest {
    /// A request to fetch `select` over `[start_ns, end_ns)` from `source` into the SDS
    /// archive at `out`, with the defaults.
    pub fn new(
        source: SourceSpec,
        select: Vec<NslcGlob>,
        start_ns: i64,
        end_ns: i64,
        out: impl Into<PathBuf>,
    ) -> Self {
        FetchRequest {
            source: Some(source),
            select,
            start_ns: Some(start_ns),
            end_ns: Some(end_ns),
            out: out.into(),
            ..FetchRequest::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first bad field: no `source`, no `select`, a
    /// missing `start_ns` or `end_ns` or an `end_ns` not after `start_ns`, no `out`, a
    /// `timeout_s` not > 0 or more than seven days, `in_flight` 0.
    pub fn validate(&self) -> Result<()> {
        self.checked().map(|_| ())
    }

    /// The source, the window and the FDSN options of a valid request.
    fn checked(&self) -> Result<(&SourceSpec, Window, FdsnOptions)> {
        let source = self
            .source
            .as_ref()
            .ok_or_else(|| Error::field("source", "required"))?;
        require(!self.select.is_empty(), "select", || {
            "no stream selected".into()
        })?;
        let window = Window::both_or_neither(self.start_ns, self.end_ns)?
            .ok_or_else(|| Error::field("start_ns", "required (with end_ns)"))?;
        require(!self.out.as_os_str().is_empty(), "out", || {
            "required: the output archive's root".into()
        })?;
        let t = self.timeout_s;
        require(t > 0.0 && t.is_finite(), "timeout_s", || {
            "must be > 0".into()
        })?;
        require(t <= crate::source::MAX_TIMEOUT_S, "timeout_s", || {
            format!(
                "{t:?} s is more than the maximum {} s (7 days)",
                crate::source::MAX_TIMEOUT_S
            )
        })?;
        require(self.in_flight >= 1, "in_flight", || {
            "must be at least 1".into()
        })?;
        let fdsn = FdsnOptions {
            timeout: Duration::from_secs_f64(t),
            max_retries: self.retries,
            quality: self.quality.clone(),
            credentials: self.credentials.clone(),
            availability: self.availability.clone(),
            ..FdsnOptions::default()
        };
        Ok((source, window, fdsn))
    }

    /// Fetches (see [`FetchRequest`]). Progress: [`Progress::Fetch`] once before the first
    /// piece (with `chunks_done` 0) and after each piece, from the fetching threads.
    /// Cancellation: no further piece is started; the pieces in flight end, nothing is
    /// written and [`ArchiveFetch::cancelled`] is true.
    ///
    /// # Errors
    /// As [`FetchRequest::validate`]; as [`SourceSpec::open`] for a source that cannot be
    /// opened; the source's error (for example [`Error::Http`]) when its availability
    /// cannot be had; [`Error::Io`] when the archive root or the staging directory cannot
    /// be created; as [`write_to_archive`]. The errors of single pieces are not errors of
    /// the call: they are in [`ArchiveFetch::errors`].
    pub fn run(&self, control: &Control) -> Result<ArchiveFetch> {
        let (spec, window, fdsn) = self.checked()?;
        let (start_ns, end_ns) = window.pair();
        let mut lines: Vec<RequestLine> = self
            .select
            .iter()
            .map(|g| RequestLine {
                stream: g.clone(),
                start_ns,
                end_ns,
            })
            .collect();
        let mut info = SourceInfo::new("fetch");
        info.bandwidth_bytes_per_s = self.limit_rate;
        info.max_in_flight = self.in_flight;
        let source = spec.open(info, fdsn)?;
        let mut out = ArchiveFetch::default();
        if self.availability != AvailabilityMode::Assume {
            // Globs are passed as codes: availability services and archives match them.
            let streams: Vec<Nslc> = self
                .select
                .iter()
                .map(|g| Nslc::new(&g.network, &g.station, &g.location, &g.channel))
                .collect();
            let asked = self.mappings.with_sources(&streams);
            let spans = self
                .mappings
                .map_spans(source.availability(&asked, (start_ns, end_ns))?);
            lines = restrict_to_availability(&lines, &spans);
            if lines.is_empty() {
                out.nothing_available = true;
                return Ok(out);
            }
        }
        let lines = self.mappings.source_lines(&lines);
        let archive = Archive::new(&self.out, self.layout.clone());
        let root = archive.root();
        std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        crate::archive::tidy_root(root, None)?;
        let staging = tempfile::Builder::new()
            .prefix(&format!(
                "{}{}-",
                crate::archive::leftover::FETCH_STAGING_PREFIX,
                std::process::id()
            ))
            .tempdir_in(root)
            .map_err(|e| Error::io(root, e))?;
        let chunks = split_by_day(&lines, self.in_flight);
        out.chunks = chunks.len();
        let report = |p: FetchProgress| control.report(Progress::Fetch(p));
        let progress: Option<&(dyn Fn(FetchProgress) + Sync)> =
            control.has_progress().then_some(&report);
        if let Some(p) = progress {
            p(FetchProgress {
                chunks_total: chunks.len(),
                ..FetchProgress::default()
            });
        }
        let t0 = Instant::now();
        let (report, errors) = fetch_concurrently_until(
            source.as_ref(),
            &chunks,
            staging.path(),
            self.in_flight,
            progress,
            Some(control.cancel_flag().as_ref()),
        );
        tracing::debug!(
            target: "siqaco::source::pipeline",
            "fetch: {:.3} s",
            t0.elapsed().as_secs_f64()
        );
        out.report = report;
        out.errors = errors;
        out.cancelled = control.is_cancelled();
        if !out.cancelled && !out.report.is_no_data() {
            let t1 = Instant::now();
            out.written = Some(write_to_archive(&out.report.files, &archive)?);
            tracing::debug!(
                target: "siqaco::source::pipeline",
                "write_to_archive: {:.3} s",
                t1.elapsed().as_secs_f64()
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_time;

    fn request(src: &std::path::Path, out: &std::path::Path) -> FetchRequest {
        FetchRequest::new(
            src.to_str().unwrap().parse().unwrap(),
            vec![NslcGlob::parse("IU.COLA.00.LH?").unwrap()],
            parse_time("2010-02-27").unwrap(),
            parse_time("2010-02-28").unwrap(),
            out,
        )
    }

    /// The records of the day file `rel` of sds-small, counted by the record scanner.
    fn records(d: &std::path::Path, rel: &str) -> usize {
        let bytes = std::fs::read(d.join("sds-small").join(rel)).unwrap();
        crate::record::RecordScanner::new(&bytes).count()
    }

    #[test]
    fn fetches_writes_and_reports_progress() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let seen = std::sync::Mutex::new(Vec::new());
        let cb = |p: Progress| {
            if let Progress::Fetch(p) = p {
                seen.lock().unwrap().push(p)
            }
        };
        let control = Control::new().with_progress(&cb);
        let r = request(&d.join("sds-small"), &out).run(&control).unwrap();
        assert!(!r.cancelled && !r.nothing_available && r.errors.is_empty());
        let w = r.written.clone().unwrap();
        assert_eq!((w.files_written, w.records_duplicate), (3, 0));
        let day: usize = ["LH1", "LH2", "LHZ"]
            .iter()
            .map(|c| records(&d, &format!("2010/IU/COLA/{c}.D/IU.COLA.00.{c}.D.2010.058")))
            .sum();
        assert_eq!(w.records_added, day as u64);
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.first().map(|p| p.chunks_done), Some(0));
        assert_eq!(seen.last().map(|p| p.chunks_done), Some(r.chunks));
        // Only the day files: the staging directory is gone.
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
        // The document is the one the Python package built field by field before.
        let before = serde_json::json!({
            "nothing_available": r.nothing_available,
            "chunks": r.chunks,
            "bytes": r.report.bytes,
            "requests_done": r.report.requests_done,
            "requests_retried": r.report.requests_retried,
            "files_written": w.files_written,
            "records_added": w.records_added,
            "records_duplicate": w.records_duplicate,
            "errors": Vec::<String>::new(),
        });
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            serde_json::to_string(&before).unwrap()
        );
    }

    #[test]
    fn cancelled_fetch_writes_nothing() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let control = Control::new();
        control.cancel();
        let r = request(&d.join("sds-small"), &out).run(&control).unwrap();
        assert!(r.cancelled && r.written.is_none());
        assert_eq!(r.report, FetchReport::default());
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
        // Nothing written: the document's write counts are 0.
        let doc = serde_json::to_value(&r).unwrap();
        assert_eq!(doc["files_written"], 0);
        assert_eq!(doc["records_added"], 0);
    }

    #[test]
    fn nothing_available_asks_nothing_and_bad_requests_name_their_field() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut j = request(&d.join("sds-small"), &out);
        j.availability = AvailabilityMode::Service;
        j.start_ns = Some(parse_time("2001-01-01").unwrap());
        j.end_ns = Some(parse_time("2001-01-03").unwrap());
        let r = j.run(&Control::new()).unwrap();
        assert!(r.nothing_available && r.chunks == 0 && !out.exists());
        let bad = |f: &dyn Fn(&mut FetchRequest)| {
            let mut b = j.clone();
            f(&mut b);
            b.validate().unwrap_err().field_name().map(str::to_string)
        };
        let field = |s: &str| Some(s.to_string());
        assert_eq!(bad(&|b| b.source = None), field("source"));
        assert_eq!(bad(&|b| b.select.clear()), field("select"));
        assert_eq!(bad(&|b| b.end_ns = b.start_ns), field("end_ns"));
        assert_eq!(bad(&|b| b.end_ns = None), field("end_ns"));
        assert_eq!(
            bad(&|b| (b.start_ns, b.end_ns) = (None, None)),
            field("start_ns")
        );
        assert_eq!(bad(&|b| b.out = PathBuf::new()), field("out"));
        assert_eq!(bad(&|b| b.timeout_s = f64::NAN), field("timeout_s"));
        assert_eq!(bad(&|b| b.timeout_s = 1e300), field("timeout_s"));
        assert_eq!(bad(&|b| b.in_flight = 0), field("in_flight"));
        let e = FetchRequest::default().run(&Control::new()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{e}");
    }
}
