//! `siqaco fetch` as one function: [`fetch_into_archive`] opens a source, cuts the request to
//! the source's availability (when asked), splits it by UTC day, fetches the pieces in
//! parallel into a staging directory inside the output archive and files what arrived into
//! the archive's day files ([`write_to_archive`]). The CLI and the Python package call it
//! and only format its [`ArchiveFetch`].

use super::fdsnws::{AvailabilityMode, Credentials, FdsnOptions};
use super::{
    fetch_concurrently_until, restrict_to_availability, split_by_day, write_to_archive,
    FetchProgress, FetchReport, RequestLine, SourceInfo, SourceSpec, WriteSummary,
};
use crate::archive::{Archive, Layout};
use crate::error::{Error, Result};
use crate::sid::{Nslc, NslcGlob};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What [`fetch_into_archive`] fetches, from where and into which archive (the options of
/// `siqaco fetch`).
#[derive(Clone, Debug)]
pub struct FetchJob {
    /// Where to fetch from, as [`SourceSpec`]'s `FromStr` reads it: an FDSN server's base URL
    /// (`http://host:port`), a dataselect service or query URL, `program:PATH[?CONNECT-INFOS]`
    /// or the root directory of an archive.
    pub source: String,
    /// Layout of an archive given as `source`.
    pub source_layout: Layout,
    /// The streams (globs allowed; an empty location selects `--`).
    pub select: Vec<NslcGlob>,
    /// Window start, ns since 1970-01-01 UTC.
    pub start_ns: i64,
    /// Window end (exclusive), ns since 1970-01-01 UTC.
    pub end_ns: i64,
    /// The output archive (its root is created when missing).
    pub out: Archive,
    /// Deadline of one request (from connecting to the last byte of the body,
    /// [`FdsnOptions::timeout`]) or of one program run, seconds (> 0); the same as
    /// `timeout_s` of an update's `[[sources]]`.
    pub timeout_s: f64,
    /// Retries of failed requests.
    pub retries: u32,
    /// FDSN `quality` parameter to send (none by default).
    pub quality: Option<String>,
    /// Bandwidth limit in bytes per second shared by all requests (`None` = unlimited).
    pub limit_rate: Option<u64>,
    /// Requests in flight at once (≥ 1): the request is split by UTC day (and by stream
    /// when there are fewer days than this, [`split_by_day`]) and the pieces are fetched
    /// by this many workers.
    pub in_flight: usize,
    /// Where availability comes from; unless [`AvailabilityMode::Assume`], only the times
    /// with data are requested ([`restrict_to_availability`]).
    pub availability: AvailabilityMode,
    /// Credentials for `/queryauth`.
    pub credentials: Option<Credentials>,
    /// When set (by another thread), no further piece is started; the pieces in flight end,
    /// nothing is written and [`ArchiveFetch::cancelled`] is true.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl FetchJob {
    /// A job with the defaults of `siqaco fetch`: archive source and output in SDS, timeout
    /// 120 s, 4 retries, no quality, no bandwidth limit, 4 requests in flight, availability
    /// assumed, no credentials.
    pub fn new(
        source: impl Into<String>,
        select: Vec<NslcGlob>,
        start_ns: i64,
        end_ns: i64,
        out: Archive,
    ) -> Self {
        FetchJob {
            source: source.into(),
            source_layout: Layout::Sds,
            select,
            start_ns,
            end_ns,
            out,
            timeout_s: 120.0,
            retries: 4,
            quality: None,
            limit_rate: None,
            in_flight: 4,
            availability: AvailabilityMode::Assume,
            credentials: None,
            cancel: None,
        }
    }

    /// Checks the selection, the window, the timeout and the number of requests in flight;
    /// errors name the field (`select: ...`, `end_ns: ...`, `timeout_s: ...`, `in_flight: ...`).
    fn validate(&self) -> Result<()> {
        if self.select.is_empty() {
            return Err(Error::field("select", "no stream selected"));
        }
        if self.end_ns <= self.start_ns {
            return Err(Error::field("end_ns", "the end must be after the start"));
        }
        if !(self.timeout_s > 0.0 && self.timeout_s.is_finite()) {
            return Err(Error::field("timeout_s", "must be > 0"));
        }
        if self.in_flight == 0 {
            return Err(Error::field("in_flight", "must be at least 1"));
        }
        Ok(())
    }
}

/// The outcome of [`fetch_into_archive`].
#[derive(Debug, Default)]
pub struct ArchiveFetch {
    /// The source's availability has nothing in the window: nothing was asked
    /// (only when the job restricts to availability).
    pub nothing_available: bool,
    /// The pieces (UTC days, or day and stream) the request was split into.
    pub chunks: usize,
    /// What the pieces that succeeded fetched (the staged files it names are gone when the
    /// function returns: they were in the staging directory).
    pub report: FetchReport,
    /// What was written to the archive; `None` when nothing was fetched or the job was
    /// cancelled.
    pub written: Option<WriteSummary>,
    /// The errors of the pieces that failed, in piece (time) order. What the other pieces
    /// fetched is written all the same.
    pub errors: Vec<Error>,
    /// The job was cancelled: pieces were left out and nothing was written.
    pub cancelled: bool,
}

impl ArchiveFetch {
    /// Whether the source had no data at all (no piece fetched any and none failed).
    pub fn is_no_data(&self) -> bool {
        self.report.is_no_data() && self.errors.is_empty()
    }
}

/// Fetches `job` into its output archive (`siqaco fetch`, docs/sources.md):
///
/// 1. opens the source ([`SourceSpec`] read from the text, [`SourceSpec::open`]; FDSN options
///    from the job);
/// 2. unless availability is assumed, asks the source which times of the selected streams
///    (globs passed as codes) have data and cuts the request to them
///    ([`restrict_to_availability`]); when nothing is left, returns with
///    [`ArchiveFetch::nothing_available`] and writes nothing (the archive root is not even
///    created);
/// 3. creates the archive root, removes what killed runs left there
///    ([`tidy_root`](crate::archive::tidy_root)) and creates a staging directory
///    `.siqaco-staging-<pid>-*` inside it (removed on return), splits the request by UTC day ([`split_by_day`]) and fetches
///    the pieces with `in_flight` workers ([`fetch_concurrently`](super::fetch_concurrently));
///    a failed piece does not stop the others;
/// 4. files what arrived into the archive's day files ([`write_to_archive`]: appended,
///    byte-identical records skipped, atomic replacement).
///
/// `progress` is called once before the first piece (with `chunks_done` 0) and after each
/// piece, from the fetching threads.
///
/// # Errors
/// [`Error::InvalidArgument`] for no selection, an empty window, a timeout ≤ 0 or
/// `in_flight` 0, and as
/// [`SourceSpec`]'s `FromStr` and [`SourceSpec::open`] for a bad source; the source's error (for example [`Error::Http`]) when
/// its availability cannot be had; [`Error::Io`] when the archive root or the staging
/// directory cannot be created; as [`write_to_archive`]. The errors of single pieces are
/// not errors of the call: they are in [`ArchiveFetch::errors`].
pub fn fetch_into_archive(
    job: &FetchJob,
    progress: Option<&(dyn Fn(FetchProgress) + Sync)>,
) -> Result<ArchiveFetch> {
    job.validate()?;
    let mut lines: Vec<RequestLine> = job
        .select
        .iter()
        .map(|g| RequestLine {
            stream: g.clone(),
            start_ns: job.start_ns,
            end_ns: job.end_ns,
        })
        .collect();
    let mut info = SourceInfo::new("fetch");
    info.bandwidth_bytes_per_s = job.limit_rate;
    info.max_in_flight = job.in_flight;
    let restrict = job.availability != AvailabilityMode::Assume;
    let opts = FdsnOptions {
        timeout: Duration::from_secs_f64(job.timeout_s),
        max_retries: job.retries,
        quality: job.quality.clone(),
        credentials: job.credentials.clone(),
        availability: job.availability.clone(),
        ..FdsnOptions::default()
    };
    let spec: SourceSpec = job.source.parse()?;
    let source = spec
        .with_layout(job.source_layout.clone())
        .open(info, opts)?;
    let mut out = ArchiveFetch::default();
    if restrict {
        // Globs are passed as codes: availability services and archives match them.
        let streams: Vec<Nslc> = job
            .select
            .iter()
            .map(|g| Nslc::new(&g.network, &g.station, &g.location, &g.channel))
            .collect();
        let spans = source.availability(&streams, job.start_ns, job.end_ns)?;
        lines = restrict_to_availability(&lines, &spans);
        if lines.is_empty() {
            out.nothing_available = true;
            return Ok(out);
        }
    }
    let root = job.out.root();
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
    let chunks = split_by_day(&lines, job.in_flight);
    out.chunks = chunks.len();
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
        job.in_flight,
        progress,
        job.cancel.as_deref(),
    );
    tracing::debug!("fetch: {:.3} s", t0.elapsed().as_secs_f64());
    out.report = report;
    out.errors = errors;
    out.cancelled = job
        .cancel
        .as_deref()
        .is_some_and(|c| c.load(Ordering::Relaxed));
    if !out.cancelled && !out.report.is_no_data() {
        let t1 = Instant::now();
        out.written = Some(write_to_archive(&out.report.files, &job.out)?);
        tracing::debug!("write_to_archive: {:.3} s", t1.elapsed().as_secs_f64());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_time;

    fn job(src: &std::path::Path, out: &std::path::Path) -> FetchJob {
        FetchJob::new(
            src.to_string_lossy(),
            vec![NslcGlob::parse("IU.COLA.00.LH?").unwrap()],
            parse_time("2010-02-27").unwrap(),
            parse_time("2010-02-28").unwrap(),
            Archive::new(out, Layout::Sds),
        )
    }

    #[test]
    fn fetches_writes_and_reports_progress() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let seen = std::sync::Mutex::new(Vec::new());
        let cb = |p: FetchProgress| seen.lock().unwrap().push(p);
        let r = fetch_into_archive(&job(&d.join("sds-small"), &out), Some(&cb)).unwrap();
        assert!(!r.cancelled && !r.nothing_available && r.errors.is_empty());
        let w = r.written.unwrap();
        assert_eq!((w.files_written, w.records_duplicate), (3, 0));
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.first().map(|p| p.chunks_done), Some(0));
        assert_eq!(seen.last().map(|p| p.chunks_done), Some(r.chunks));
        // Only the day files: the staging directory is gone.
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    }

    #[test]
    fn cancelled_job_writes_nothing() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut j = job(&d.join("sds-small"), &out);
        j.cancel = Some(Arc::new(AtomicBool::new(true)));
        let r = fetch_into_archive(&j, None).unwrap();
        assert!(r.cancelled && r.written.is_none());
        assert_eq!(r.report, FetchReport::default());
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }

    #[test]
    fn nothing_available_asks_nothing_and_bad_jobs_fail() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut j = job(&d.join("sds-small"), &out);
        j.availability = AvailabilityMode::Service;
        j.start_ns = parse_time("2001-01-01").unwrap();
        j.end_ns = parse_time("2001-01-03").unwrap();
        let r = fetch_into_archive(&j, None).unwrap();
        assert!(r.nothing_available && r.chunks == 0 && !out.exists());
        for bad in [
            FetchJob {
                end_ns: j.start_ns,
                ..j.clone()
            },
            FetchJob {
                timeout_s: f64::NAN,
                ..j.clone()
            },
            FetchJob {
                in_flight: 0,
                ..j.clone()
            },
            FetchJob {
                select: Vec::new(),
                ..j.clone()
            },
        ] {
            let e = fetch_into_archive(&bad, None).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{e}");
        }
    }
}
