//! `siqaco update`: keep an archive complete (Morumotto's `window_update`, done right).
//!
//! One run ([`crate::ops::UpdateRequest`]):
//!
//! 1. takes the archive's lock (`ROOT/.siqaco-update.lock`; a second run on the same
//!    archive, or a `siqaco merge` into it, fails at once), finishes or rolls back a merge
//!    a killed run left and removes what killed runs left in the root, the staging
//!    directory (`ROOT/.siqaco-staging`) among them ([`crate::archive::tidy_root`]), and
//!    puts requests a killed run left `in_progress` back to `retry`;
//! 2. brings the catalogue up to date (incremental [`Catalogue::index_archive`]) and takes
//!    the gaps of every maintained stream over the window from it (the one definition in
//!    [`crate::gaps`], with Morumotto's collapse of more than `max_gaps_per_day_file` gaps
//!    per day file); a stream with no data in the window is one gap;
//! 3. turns each gap, widened by `widen_s` on both sides, into a request, minus what
//!    requests already in the stack cover (so a gap on hold is not asked again, and complete
//!    data is never re-requested); gaps of a multiplexed station are joined into one
//!    request `NET STA * *`; with `[requests] revisions` other than `ignore`, the spans
//!    sources revised after siqaco fetched them become revision requests ([`revisions`]);
//! 4. executes the pending requests (`new`, `retry`, `failed`), `requests.in_flight` at
//!    once: for each, what is still missing is read from the archive; sources are asked in
//!    priority order, each only for what is missing **and** what its availability covers;
//!    what arrives is merged ([`crate::ops::MergeRequest`]'s merge, archive samples never
//!    replaced, the archive's output options applied) and the next source is asked only for
//!    what is still missing, sample by sample;
//! 5. re-indexes the touched files, which refreshes the per-day statistics.
//!
//! With a PostgreSQL catalogue, several runs (workers, on several machines) may share the
//! archive: steps 2, 3 and 5 run one worker at a time, step 4 is split by claiming the
//! requests one by one, and step 1 takes the lock shared and removes only what dead
//! workers left ([`claims`]).
//!
//! The request stack is described in [`stack`]; the configuration in [`config`] and
//! `docs/configuration.md`; the window arithmetic in [`window`].

pub mod claims;
pub mod config;
mod current;
mod plan_groups;
pub mod revisions;
pub mod stack;
pub mod window;

use crate::archive::leftover::tidy_root;
use crate::archive::Archive;
use crate::error::{Error, Result};
use crate::gaps::AnalysisOptions;
use crate::index::{Catalogue, IndexOptions};
use crate::interval::{self, intersect, subtract};
use crate::merge::apply::{merge_into_locked, merge_into_shared, MergeInput, SharedWriter};
use crate::merge::{ArchivePolicy, MergeOptions};
use crate::ops::{Control, Progress};
use crate::scan::{scan_archive, ScanOptions, ScanReport};
use crate::segment::Tolerance;
use crate::sid::{Nslc, NslcGlob};
use crate::source::{AvailabilitySpan, RequestLine, Source, SourceInfo, SourceSpec};
use crate::time::{format_time, now_ns, s_to_ns};
use claims::Worker;
use config::{AvailabilityMode, Config, RetryPolicy, SourceConfig};
use stack::{Attempt, Request, RequestState};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

pub use crate::archive::leftover::{ArchiveLock, LOCK_NAME, UPDATE_STAGING_NAME as STAGING_NAME};

/// Options of one run (the fields of [`crate::ops::UpdateRequest`], checked).
#[derive(Clone, Debug, Default)]
pub(crate) struct UpdateOptions {
    /// A forced window `[start_ns, end_ns)`, used exactly as given (not aligned).
    pub(crate) window: Option<(i64, i64)>,
    /// List what would be sent and change nothing.
    pub(crate) dry_run: bool,
    /// "Now" for the window arithmetic (default: the clock).
    pub(crate) now_ns: Option<i64>,
}

/// Progress of the execution of the pending requests of an update or of a run of the
/// stack ([`crate::ops::Progress::Update`]): reported once before the first pending
/// request is executed and after each one (never in a dry run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateProgress {
    /// Pending requests to execute in this run.
    pub requests_total: u64,
    /// Requests executed so far (whatever their outcome).
    pub requests_done: u64,
    /// Samples added to the archive so far.
    pub samples_added: u64,
}

/// What one source would be asked in a dry run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlannedRequest {
    /// The source.
    pub source: String,
    /// The request in the stack, `None` for one a real run would create.
    pub request_id: Option<i64>,
    /// Request lines (FDSN POST format).
    pub lines: Vec<String>,
}

/// The outcome of an update or of a run of the stack: its JSON form is the document
/// `siqaco update --format json` prints (`docs/configuration.md`), key for key and in this
/// order, the window bounds as ISO 8601 text (`window_start`, `window_end`; empty strings
/// for a run of the stack that found nothing pending).
///
/// The same fields go, in a binary form, between the processes of a distributed update
/// ([`crate::ops::encode`] of `(summary, run_id)`): there the window bounds are numbers.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct UpdateSummary {
    /// Window start, ns since 1970-01-01 UTC; `None` for a run of the stack that found no
    /// pending request. JSON key `window_start` (ISO 8601).
    #[serde(
        rename = "window_start",
        serialize_with = "iso_or_empty",
        deserialize_with = "binary_bound"
    )]
    pub window_start_ns: Option<i64>,
    /// Window end (exclusive), ns; `None` as `window_start_ns`. JSON key `window_end`.
    #[serde(
        rename = "window_end",
        serialize_with = "iso_or_empty",
        deserialize_with = "binary_bound"
    )]
    pub window_end_ns: Option<i64>,
    /// Streams analysed.
    pub streams_checked: u64,
    /// Gaps found in the window (after the per-day-file collapse).
    pub gaps_found: u64,
    /// Requests added to the stack.
    pub requests_created: u64,
    /// Requests for which at least one source was asked.
    pub requests_sent: u64,
    /// Requests attempted in this run that are now complete.
    pub requests_succeeded: u64,
    /// Requests attempted in this run that are still incomplete (now `retry`, `failed`
    /// or `on_hold`).
    pub requests_failed: u64,
    /// Samples added to the archive.
    pub samples_added: u64,
    /// Requests overlapping the window still `new`, `retry`, `failed` or `on_hold` after
    /// the run (exit status 3 when not 0).
    pub requests_left: u64,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Dry run: what each source would be asked, in priority order.
    pub planned: Vec<PlannedRequest>,
    /// Problems that did not stop the run (availability service down...).
    pub warnings: Vec<String>,
    /// The run's id in the catalogue's `siqaco_runs`, given when it planned: the workers of
    /// one catalogue create their run one at a time, each after its gap analysis, so a
    /// smaller id planned earlier
    /// ([`crate::ops::UpdateRequest::combine`] relies on it). `None` for a dry run and for
    /// a run of the stack. Not in the JSON document.
    #[serde(skip)]
    pub run_id: Option<i64>,
}

/// A window bound of the JSON summary: ISO 8601 ([`format_time`]), the empty string when
/// there is none; in a binary form (not human-readable, e.g. CBOR), the ns themselves.
fn iso_or_empty<S: serde::Serializer>(
    t: &Option<i64>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.serialize_str(&t.map(format_time).unwrap_or_default())
    } else {
        serde::Serialize::serialize(t, s)
    }
}

/// A window bound read back from the binary form [`iso_or_empty`] writes; the JSON
/// document (ISO 8601 text) is not read back.
fn binary_bound<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<i64>, D::Error> {
    if d.is_human_readable() {
        return Err(serde::de::Error::custom(
            "a summary is read back only from its binary form",
        ));
    }
    serde::Deserialize::deserialize(d)
}

/// The streams to maintain over `window`: exact codes of `select`, the `file` list, the
/// channels of the `stationxml` file and of the `fdsn_station` networks with an epoch
/// overlapping the window, and the streams of the archive and of `catalogue` matching
/// the globs of `select`. Sorted, each once.
///
/// # Errors
/// [`Error::Config`] for a bad stream list; [`Error::Io`], [`Error::StationXml`],
/// [`Error::Http`] from the sources of the list.
pub fn resolve_streams(
    config: &Config,
    catalogue: Option<&Catalogue>,
    window: (i64, i64),
) -> Result<Vec<Nslc>> {
    resolve_streams_with(config, catalogue, window, true)
}

/// [`resolve_streams`]; with `walk` false the globs are expanded against the catalogue
/// only (the archive's directories are not read: a dry run with a catalogue, [`current`]).
fn resolve_streams_with(
    config: &Config,
    catalogue: Option<&Catalogue>,
    window: (i64, i64),
    walk: bool,
) -> Result<Vec<Nslc>> {
    let s = &config.streams;
    let mut out: BTreeSet<Nslc> = BTreeSet::new();
    let mut globs = Vec::new();
    for g in &s.select {
        match g.as_exact() {
            Some(n) => {
                n.validate()
                    .map_err(|e| config::bad_from("streams.select", e))?;
                out.insert(n);
            }
            None => globs.push(g.clone()),
        }
    }
    if let Some(f) = &s.file {
        out.extend(config::read_nslc_list(f).map_err(|e| keyed("streams.file", e))?);
    }
    let in_window = |a: Option<i64>, b: Option<i64>| {
        a.is_none_or(|a| a < window.1) && b.is_none_or(|b| b > window.0)
    };
    if let Some(f) = &s.stationxml {
        let inv =
            crate::stationxml::read_stationxml(f).map_err(|e| keyed("streams.stationxml", e))?;
        out.extend(
            inv.channels()
                .filter(|c| in_window(c.start_ns, c.end_ns))
                .map(|c| c.nslc.clone()),
        );
    }
    if let Some(fs) = &s.fdsn_station {
        out.extend(station_channels(fs, window)?);
    }
    out.extend(expand_globs(config, catalogue, &globs, walk)?);
    Ok(out.into_iter().collect())
}

/// The streams matching `globs` that the archive's file names and the catalogue know.
fn expand_globs(
    config: &Config,
    catalogue: Option<&Catalogue>,
    globs: &[NslcGlob],
    walk: bool,
) -> Result<BTreeSet<Nslc>> {
    let mut out = BTreeSet::new();
    if globs.is_empty() {
        return Ok(out);
    }
    let archive = Archive::new(&config.archive.path, config.archive.layout.clone());
    if walk && archive.readable() {
        if let Ok(found) = archive.discover_streams(globs) {
            out.extend(found);
        }
    }
    if let Some(cat) = catalogue {
        out.extend(cat.streams(globs)?);
    }
    Ok(out)
}

/// The channels of `fdsn_station` networks open during the window (FDSN station service,
/// level=channel, format=text: [`crate::source::fdsnws::station::query_channels`]).
fn station_channels(fs: &config::FdsnStationConfig, window: (i64, i64)) -> Result<Vec<Nslc>> {
    let nets: Vec<NslcGlob> = fs
        .networks
        .iter()
        .map(|n| {
            NslcGlob::parse(n).map_err(|e| config::bad_from("streams.fdsn_station.networks", e))
        })
        .collect::<Result<_>>()?;
    crate::source::fdsnws::station::query_channels(
        &fs.url,
        &nets,
        Some(window.0),
        Some(window.1),
        &crate::source::fdsnws::FdsnOptions::default(),
    )
}

/// The union of `v` without its empty intervals ([`interval::union`]).
fn union(mut v: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    v.retain(|(s, e)| e > s);
    interval::union(v)
}

/// The missing intervals of each of `streams` over `window` in `report` (gaps with their
/// edges; a stream absent from the report misses the whole window).
fn missing_from_report(
    report: &ScanReport,
    streams: &[Nslc],
    window: (i64, i64),
) -> BTreeMap<Nslc, Vec<(i64, i64)>> {
    let mut out = BTreeMap::new();
    for n in streams {
        let iv = match report.streams.iter().find(|s| &s.nslc == n) {
            Some(s) => union(
                s.analysis
                    .gaps
                    .iter()
                    .map(|g| (g.start_ns.max(window.0), g.end_ns.min(window.1)))
                    .collect(),
            ),
            None => vec![window],
        };
        out.insert(n.clone(), iv);
    }
    out
}

/// Options analysing `streams` over `window` with the default tolerance; `max_gaps` is
/// Morumotto's per-day collapse.
///
/// The stream mappings are not applied here: [`scan_mapped`] adds them for a scan of the
/// archive; the catalogue's rows already name the mapped streams ([`index_options`]).
fn window_scan(
    streams: &[Nslc],
    window: (i64, i64),
    max_gaps: Option<usize>,
    threads: Option<usize>,
) -> ScanOptions {
    ScanOptions {
        selection: streams.iter().map(NslcGlob::exact).collect(),
        analysis: AnalysisOptions {
            window: Some(window),
            tolerance: Tolerance::default(),
            max_gaps_per_day: max_gaps,
            ..Default::default()
        },
        threads,
        cancel: None,
        mappings: Default::default(),
    }
}

/// [`window_scan`] for a scan of the archive's files: with the configuration's
/// `[[streams.mapping]]`.
fn scan_mapped(config: &Config, mut opts: ScanOptions) -> ScanOptions {
    opts.mappings = config.streams.mapping.clone();
    opts
}

/// The options of the update's incremental indexing: the defaults with the
/// configuration's `[[streams.mapping]]`, so that the catalogue names mapped streams.
fn index_options(config: &Config) -> IndexOptions {
    IndexOptions {
        mappings: config.streams.mapping.clone(),
        lease_s: config.requests.lease_s,
        ..IndexOptions::default()
    }
}

/// What is missing now in the archive for `streams` over `window` (a header scan of the
/// day files of the window).
fn missing_now(
    config: &Config,
    archive: &Archive,
    streams: &[Nslc],
    window: (i64, i64),
) -> Result<BTreeMap<Nslc, Vec<(i64, i64)>>> {
    let opts = scan_mapped(config, window_scan(streams, window, None, Some(1)));
    let report = if archive.readable() {
        scan_archive(archive, &opts, None)?
    } else {
        ScanReport::default()
    };
    Ok(missing_from_report(&report, streams, window))
}

/// The stream key of requests for `n`: `NET STA * *` for a multiplexed station.
fn request_key(config: &Config, n: &Nslc) -> Nslc {
    if config
        .streams
        .multiplexed
        .iter()
        .any(|(net, sta)| *net == n.network && *sta == n.station)
    {
        Nslc::new(&n.network, &n.station, "*", "*")
    } else {
        n.clone()
    }
}

/// The maintained streams a request covers.
fn request_streams(req: &Request, streams: &[Nslc]) -> Vec<Nslc> {
    if req.is_multiplexed() {
        streams
            .iter()
            .filter(|s| s.network == req.nslc.network && s.station == req.nslc.station)
            .cloned()
            .collect()
    } else {
        vec![req.nslc.clone()]
    }
}

/// Opens the configured sources, in priority order.
///
/// # Errors
/// [`Error::InvalidArgument`] for a bad URL; [`Error::Source`] for a missing program;
/// [`Error::Database`] for a tsindex catalogue that cannot be opened; each naming the key
/// (`sources[1].command (q330): ...`).
pub fn open_sources(config: &Config) -> Result<Vec<Box<dyn Source>>> {
    config
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            open_one(s).map_err(|e| {
                // What was configured: the key of the value that cannot be used. A
                // PostgreSQL server out of reach is not a configuration error.
                let key = match &s.kind {
                    SourceSpec::Fdsn { .. } => "url",
                    SourceSpec::Tsindex { catalogue, .. }
                        if crate::index::is_postgres_url(catalogue) =>
                    {
                        return e
                    }
                    SourceSpec::Tsindex { .. } => "tsindex",
                    SourceSpec::Program { .. } => "command",
                    SourceSpec::Archive { .. } => "path",
                };
                keyed(&format!("sources[{i}].{key} ({})", s.name), e)
            })
        })
        .collect()
}

/// An error about the value of configuration key `key` (a file it names cannot be read,
/// a source cannot be opened) with the key named in its message; its kind is kept (a
/// missing program stays a source error, an unreadable catalogue a database error: the C
/// status and the Python class do not change).
fn keyed(key: &str, e: Error) -> Error {
    match e {
        Error::Config { .. } => e,
        Error::Source {
            source_name,
            message,
        } => Error::Source {
            source_name,
            message: format!("{key}: {message}"),
        },
        Error::Database { message, source } => Error::Database {
            message: format!("{key}: {message}"),
            source,
        },
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("{key}: {m}")),
        Error::Io { path, source } => Error::io(
            path,
            std::io::Error::new(source.kind(), format!("{key}: {source}")),
        ),
        Error::StationXml {
            path,
            line,
            column,
            message,
        } => Error::StationXml {
            path,
            line,
            column,
            message: format!("{key}: {message}"),
        },
        other => config::bad_from(key, other),
    }
}

fn open_one(s: &SourceConfig) -> Result<Box<dyn Source>> {
    let info = SourceInfo {
        name: s.name.clone(),
        priority: s.priority,
        streams: s.select.clone(),
        bandwidth_bytes_per_s: s.bandwidth_bytes_per_s,
        max_in_flight: s.in_flight,
    };
    let fdsn = crate::source::fdsnws::FdsnOptions {
        timeout: Duration::from_secs_f64(s.timeout_s),
        ..Default::default()
    };
    s.kind.open(info, fdsn)
}

/// The spans `source` has data for, per its availability mode; errors become warnings and
/// the whole extent is assumed (Morumotto's rule when its availability script fails).
/// A stream renamed at the source (`[[streams.mapping]]`) is asked under its codes of
/// the time too, and the spans found are given to the mapped stream.
fn source_spans(
    cfg: &SourceConfig,
    source: &dyn Source,
    streams: &[Nslc],
    extent: (i64, i64),
    warnings: &Mutex<Vec<String>>,
    mappings: &crate::mapping::Mappings,
) -> BTreeMap<Nslc, Vec<(i64, i64)>> {
    let full = || -> BTreeMap<Nslc, Vec<(i64, i64)>> {
        streams.iter().map(|n| (n.clone(), vec![extent])).collect()
    };
    let asked = mappings.with_sources(streams);
    let spans: Result<Vec<AvailabilitySpan>> = match &cfg.availability {
        AvailabilityMode::Assume => return full(),
        AvailabilityMode::Service => source.availability(&asked, extent),
        AvailabilityMode::Catalogue(url) => catalogue_spans(url, &asked, extent),
    }
    .map(|spans| mappings.map_spans(spans));
    match spans {
        Ok(spans) => {
            let mut out: BTreeMap<Nslc, Vec<(i64, i64)>> =
                streams.iter().map(|n| (n.clone(), Vec::new())).collect();
            for s in spans {
                if let Some(v) = out.get_mut(&s.nslc) {
                    v.push((s.start_ns, s.end_ns));
                }
            }
            out.into_iter().map(|(k, v)| (k, union(v))).collect()
        }
        Err(e) => {
            warnings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(format!(
                    "source {}: availability unknown ({e}); assuming it has everything",
                    cfg.name
                ));
            full()
        }
    }
}

/// Availability read from a siqaco catalogue of the source's data.
fn catalogue_spans(
    url: &str,
    streams: &[Nslc],
    extent: (i64, i64),
) -> Result<Vec<AvailabilitySpan>> {
    let cat = Catalogue::open_raw(Path::new(url))?;
    if cat.schema_version()? < 1 {
        return Err(Error::database(format!(
            "{url}: not a siqaco catalogue (index the source's data with `siqaco index`)"
        )));
    }
    let report = cat.report(&window_scan(streams, extent, None, Some(1)))?;
    Ok(report
        .streams
        .iter()
        .flat_map(|s| {
            s.analysis.segments.iter().map(|g| AvailabilitySpan {
                nslc: s.nslc.clone(),
                start_ns: g.start_ns,
                end_ns: g.end_ns,
            })
        })
        .collect())
}

/// The request lines asking for `missing` ∩ `spans`, widened by `widen_ns`; one line
/// `NET STA * *` per interval for a multiplexed request.
fn lines_for(
    req: &Request,
    missing: &BTreeMap<Nslc, Vec<(i64, i64)>>,
    spans: &BTreeMap<Nslc, Vec<(i64, i64)>>,
    widen_ns: i64,
) -> Vec<RequestLine> {
    let widen = |iv: Vec<(i64, i64)>| -> Vec<(i64, i64)> {
        union(
            iv.into_iter()
                .map(|(s, e)| (s - widen_ns, e + widen_ns))
                .collect(),
        )
    };
    let mut lines = Vec::new();
    if req.is_multiplexed() {
        let all: Vec<(i64, i64)> = missing
            .iter()
            .flat_map(|(n, m)| intersect(m, spans.get(n).map_or(&[][..], |v| v)))
            .collect();
        for (s, e) in widen(all) {
            lines.push(RequestLine {
                stream: NslcGlob {
                    network: req.nslc.network.clone(),
                    station: req.nslc.station.clone(),
                    location: "*".into(),
                    channel: "*".into(),
                },
                start_ns: s,
                end_ns: e,
            });
        }
    } else {
        for (n, m) in missing {
            let iv = intersect(m, spans.get(n).map_or(&[][..], |v| v));
            for (s, e) in widen(iv) {
                lines.push(RequestLine::new(n, s, e));
            }
        }
    }
    lines
}

/// The sources that may be asked for `req` (covering `streams`), in priority order, with
/// their index in `config.sources`: those the request names (all when it names none) that
/// serve at least one of the streams.
fn eligible_sources<'c>(
    config: &'c Config,
    req: &Request,
    streams: &[Nslc],
) -> Vec<(usize, &'c SourceConfig)> {
    config
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            req.sources
                .as_ref()
                .is_none_or(|names| names.contains(&s.name))
                && (s.select.is_empty()
                    || streams.iter().any(|n| crate::sid::selected(&s.select, n)))
        })
        .collect()
}

/// Shared state of the execution of a run.
struct Exec<'a> {
    config: &'a Config,
    archive: Archive,
    sources: Vec<Box<dyn Source>>,
    online: Vec<bool>,
    streams: &'a [Nslc],
    catalogue: Mutex<Catalogue>,
    /// The archive lock the run holds (shared by the workers of a PostgreSQL catalogue).
    lock: &'a Lock,
    /// Taken by one merge at a time.
    merge_lock: Mutex<()>,
    /// The worker, when the catalogue is shared by several ([`claims`]).
    worker: Option<Worker>,
    warnings: Mutex<Vec<String>>,
    run_id: i64,
    staging: PathBuf,
    merge_opts: MergeOptions,
}

/// What one request's attempt did.
#[derive(Default)]
struct ReqOutcome {
    sent: bool,
    succeeded: bool,
    samples: u64,
}

impl<'a> Exec<'a> {
    /// The execution state of run `run_id`: sources checked for being online, merges that
    /// never replace archive samples and apply the archive's output options, one at a
    /// time; `lock`, `staging`, `catalogue` and `worker`: what [`take_archive`] took.
    #[allow(clippy::too_many_arguments)]
    fn new(
        config: &'a Config,
        archive: &Archive,
        sources: Vec<Box<dyn Source>>,
        streams: &'a [Nslc],
        catalogue: Catalogue,
        run_id: i64,
        staging: &Path,
        lock: &'a Lock,
        worker: Option<Worker>,
    ) -> Self {
        Exec {
            config,
            archive: archive.clone(),
            online: sources.iter().map(|s| s.is_online()).collect(),
            sources,
            streams,
            catalogue: Mutex::new(catalogue),
            lock,
            merge_lock: Mutex::new(()),
            worker,
            warnings: Mutex::new(Vec::new()),
            run_id,
            staging: staging.to_path_buf(),
            merge_opts: MergeOptions {
                policy: ArchivePolicy::Wins,
                output: config.archive.output,
                ..Default::default()
            },
        }
    }

    fn cat<T>(&self, f: impl FnOnce(&Catalogue) -> Result<T>) -> Result<T> {
        let c = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
        f(&c)
    }

    /// One attempt of one request.
    fn execute(&self, req: &Request) -> Result<ReqOutcome> {
        if revisions::is_revision(req) {
            return self.execute_revision(req);
        }
        let mut out = ReqOutcome::default();
        // Lifespan policy checked before trying.
        if let RetryPolicy::Hours(h) = self.config.requests.retry {
            if now_ns() > req.created_ns + s_to_ns(h * 3600.0) {
                let reason = format!(
                    "on hold: retry lifespan of {h} h exceeded{}",
                    req.reason
                        .as_deref()
                        .map(|r| format!(" (last: {r})"))
                        .unwrap_or_default()
                );
                self.cat(|c| stack::set_state(c, req.id, RequestState::OnHold, Some(&reason)))?;
                return Ok(out);
            }
        }
        if self.worker.is_none() {
            // A worker's claim made it in_progress already.
            self.cat(|c| stack::set_state(c, req.id, RequestState::InProgress, None))?;
        }
        let streams = request_streams(req, self.streams);
        let window = (req.start_ns, req.end_ns);
        let mut missing = missing_now(self.config, &self.archive, &streams, window)?;
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        let mut no_source = true;
        let widen_ns = s_to_ns(self.config.requests.widen_s);
        for (k, cfg) in eligible_sources(self.config, req, &streams) {
            if missing.values().all(Vec::is_empty) {
                break;
            }
            no_source = false;
            let source = self.sources[k].as_ref();
            let mut attempt = Attempt::begin(req.id, self.run_id, &cfg.name);
            if !self.online[k] {
                attempt.outcome = "offline".into();
                attempt.message = Some("the source cannot be reached".into());
                errors.push(format!("{}: offline", cfg.name));
                attempts.push(attempt);
                continue;
            }
            let extent = missing
                .values()
                .flatten()
                .fold((i64::MAX, i64::MIN), |(a, b), (s, e)| {
                    (a.min(*s), b.max(*e))
                });
            let spans = source_spans(
                cfg,
                source,
                &streams,
                extent,
                &self.warnings,
                &self.config.streams.mapping,
            );
            let lines = lines_for(req, &missing, &spans, widen_ns);
            if lines.is_empty() {
                attempt.outcome = "not_available".into();
                attempt.finished_ns = now_ns();
                attempts.push(attempt);
                continue;
            }
            // A stream renamed at the source is asked under the codes it had then.
            let lines = self.config.streams.mapping.source_lines(&lines);
            attempt.lines = lines.iter().map(|l| format!("{l}\n")).collect();
            out.sent = true;
            let result =
                self.fetch_merge(req, k, &lines, &self.merge_opts, &mut attempt, |_| Ok(()))?;
            match result {
                Ok(None) => attempt.outcome = "no_data".into(),
                Ok(Some(report)) => {
                    attempt.samples_added = report.days.iter().map(|d| d.stats.samples_added).sum();
                    attempt.outcome = "data".into();
                    out.samples += attempt.samples_added;
                    for w in report.warnings {
                        self.warn(w);
                    }
                    missing = missing_now(self.config, &self.archive, &streams, window)?;
                }
                Err(e) => {
                    attempt.outcome = "error".into();
                    attempt.message = Some(e.to_string());
                    errors.push(format!("{}: {e}", cfg.name));
                }
            }
            attempts.push(attempt);
        }
        let left: i64 = missing.values().flatten().map(|(s, e)| e - s).sum();
        let (mut state, mut reason) = if left == 0 {
            (RequestState::Succeeded, None)
        } else if no_source {
            (
                RequestState::Retry,
                Some("no configured source serves this stream".to_string()),
            )
        } else if !errors.is_empty() {
            (RequestState::Failed, Some(errors.join("; ")))
        } else {
            (
                RequestState::Retry,
                Some(format!(
                    "no source had the missing {:.3} s",
                    crate::time::ns_to_s(left)
                )),
            )
        };
        if state != RequestState::Succeeded {
            if let RetryPolicy::Count(n) = self.config.requests.retry {
                if req.attempts + 1 >= n {
                    reason = Some(format!(
                        "on hold: {n} attempt(s) made; last: {}",
                        reason.unwrap_or_default()
                    ));
                    state = RequestState::OnHold;
                }
            }
        }
        out.succeeded = state == RequestState::Succeeded;
        let holder = self.worker.as_ref().map(|w| w.id.as_str());
        let held = self.cat(|c| {
            stack::finish_claimed_attempt(
                c,
                req.id,
                &attempts,
                state,
                reason.as_deref(),
                true,
                holder,
            )
        })?;
        if !held {
            self.warn(format!(
                "request {}: the lease expired before the attempt ended (the heartbeat could \
                 not renew it); another worker took it over",
                req.id
            ));
        }
        Ok(out)
    }

    /// Asks source `k` for `lines` (for request `req`) into a staging directory of its
    /// own, runs `prepare` on the files staged, and merges them with `opts` (one merge at a
    /// time); `attempt` gets the bytes received and its end. The inner result is the
    /// attempt's (`None`: the source had no data); the outer error, a staging directory
    /// that cannot be made, ends the request's execution.
    fn fetch_merge(
        &self,
        req: &Request,
        k: usize,
        lines: &[RequestLine],
        opts: &MergeOptions,
        attempt: &mut Attempt,
        prepare: impl Fn(&[PathBuf]) -> Result<()>,
    ) -> Result<Result<Option<crate::merge::apply::MergeReport>>> {
        let cfg = &self.config.sources[k];
        let dir = self
            .staging
            .join(format!("r{}-{}-{}", req.id, self.run_id, cfg.name));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let result = self.sources[k].fetch(lines, &dir).and_then(|rep| {
            attempt.bytes = rep.bytes;
            if rep.is_no_data() {
                return Ok(None);
            }
            prepare(&rep.files)?;
            let _one = self.merge_lock.lock().unwrap_or_else(|p| p.into_inner());
            let input = MergeInput {
                path: dir.clone(),
                priority: cfg.priority as i32,
            };
            self.merge(&[input], opts).map(Some)
        });
        let _ = fs::remove_dir_all(&dir);
        attempt.finished_ns = now_ns();
        Ok(result)
    }

    fn warn(&self, w: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(w);
    }

    /// Merges `inputs` into the archive: under the archive lock, or as one of several
    /// workers (their journal in their staging directory, the streams' advisory locks
    /// held around the merge of their day files).
    fn merge(
        &self,
        inputs: &[MergeInput],
        opts: &MergeOptions,
    ) -> Result<crate::merge::apply::MergeReport> {
        let Some(w) = &self.worker else {
            return match self.lock {
                Lock::File(lock) => merge_into_locked(&self.archive, inputs, opts, lock),
                #[cfg(feature = "objectstore")]
                Lock::Bucket(_) => {
                    let writer = crate::merge::bucket::BucketWriter {
                        catalogue: &self.catalogue,
                        run: crate::merge::bucket::run_name(),
                        root: self.archive.root().to_path_buf(),
                    };
                    crate::merge::apply::merge_into_objects(
                        &self.archive,
                        inputs,
                        opts,
                        &writer,
                        None,
                    )
                }
            };
        };
        let lock_streams = |streams: &[Nslc]| -> Result<Box<dyn Send + '_>> {
            Ok(Box::new(claims::lock_streams(&self.catalogue, streams)?))
        };
        let writer = SharedWriter {
            dir: self.staging.clone(),
            tag: claims::worker_dir_name(&w.id),
            lock_streams: &lock_streams,
        };
        merge_into_shared(&self.archive, inputs, opts, &writer)
    }
}

/// The gaps of the window as request intervals per request key, minus what the stack
/// already covers (every request but the succeeded ones and the revision requests). A request's window is the gap
/// itself; the lines sent to sources are widened by `widen_s` ([`lines_for`]).
fn new_request_intervals(
    config: &Config,
    missing: &BTreeMap<Nslc, Vec<(i64, i64)>>,
    existing: &[Request],
) -> Vec<(Nslc, i64, i64)> {
    let mut by_key: BTreeMap<Nslc, Vec<(i64, i64)>> = BTreeMap::new();
    for (n, iv) in missing {
        by_key
            .entry(request_key(config, n))
            .or_default()
            .extend(iv.iter().copied());
    }
    let mut out = Vec::new();
    for (key, iv) in by_key {
        let covered = union(
            existing
                .iter()
                .filter(|r| {
                    r.nslc == key
                        && r.state != RequestState::Succeeded
                        && !revisions::is_revision(r)
                })
                .map(|r| (r.start_ns, r.end_ns))
                .collect(),
        );
        for (s, e) in subtract(&union(iv), &covered) {
            out.push((key.clone(), s, e));
        }
    }
    out
}

/// Runs one update of the archive of `config` (see the [module](self) documentation),
/// reporting [`Progress::Update`] once before the first pending request is executed and
/// after each one (not in a dry run); once `control` is cancelled, no further request is
/// started (those being executed finish and are merged, the others stay pending in the
/// stack for the next run, and the run ends as usual without counting them).
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty window; [`Error::Config`] for a bad stream list
/// or source; [`Error::Io`] when the archive lock is held or the archive cannot be read or
/// written; [`Error::Database`]. Source failures are not errors: they are recorded in the
/// stack and counted in the summary.
pub(crate) fn run_update(
    config: &Config,
    opts: &UpdateOptions,
    control: &Control,
) -> Result<UpdateSummary> {
    let now = opts.now_ns.unwrap_or_else(now_ns);
    let window = opts.window.unwrap_or_else(|| config.window.window_at(now));
    if window.1 <= window.0 {
        return Err(Error::invalid_argument(format!(
            "empty window {} – {}",
            format_time(window.0),
            format_time(window.1)
        )));
    }
    let mut summary = UpdateSummary {
        window_start_ns: Some(window.0),
        window_end_ns: Some(window.1),
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let archive = Archive::new(&config.archive.path, config.archive.layout.clone());
    let sources = open_sources(config)?;
    if opts.dry_run {
        return dry_run(config, &archive, &sources, window, summary);
    }
    let Hold {
        lock,
        staging,
        mut catalogue,
        worker,
    } = take_archive(config, &archive)?;
    let (streams, run_id) = plan(
        config,
        &archive,
        &mut catalogue,
        worker.as_ref(),
        window,
        &mut summary,
    )?;
    let exec = Exec::new(
        config, &archive, sources, &streams, catalogue, run_id, &staging, &lock, worker,
    );
    execute_pending(&exec, &mut summary, control)?;
    finish_run(exec, window, &mut summary)?;
    Ok(summary)
}

/// The planning of an update over `window`: brings the catalogue up to date, finds the
/// gaps of the maintained streams, records them in a new run and creates the requests
/// the stack does not cover yet, counting in `summary`. Returns the streams and the run.
///
/// With a shared (PostgreSQL) catalogue, the workers bring the catalogue up to date
/// together (the index split between them, [`Catalogue::index_archive`]), then divide the
/// gap analysis and the creation of requests between them by groups of streams
/// ([`plan_groups`]); the requests of each group are created one worker at a time
/// ([`claims::PLAN_KEY`]), from the stack as it was before the index (a request another
/// worker completes meanwhile still covers its gap, whose filling the index may not have
/// seen) and as it is under the lock (the requests other workers created): no request is
/// created twice.
fn plan(
    config: &Config,
    archive: &Archive,
    catalogue: &mut Catalogue,
    worker: Option<&Worker>,
    window: (i64, i64),
    summary: &mut UpdateSummary,
) -> Result<(Vec<Nslc>, i64)> {
    let mut existing = stack::list(catalogue, &[], None)?;
    catalogue.index_archive(archive, &index_options(config))?;
    let streams = resolve_streams(config, Some(catalogue), window)?;
    let run_id = stack::begin_run(catalogue, window)?;
    summary.run_id = Some(run_id);
    if let Some(w) = worker {
        if plan_groups::plan_shared(
            config,
            catalogue,
            w,
            window,
            &streams,
            run_id,
            summary,
            &mut existing,
        )? {
            return Ok((streams, run_id));
        }
    }
    summary.streams_checked = streams.len() as u64;
    let missing = analyse_gaps(config, catalogue, &streams, window)?;
    claims::lock_plan(catalogue)?;
    let planned = create_planned(
        config,
        catalogue,
        (window, &streams),
        run_id,
        &mut existing,
        &missing,
        &mut summary.warnings,
    );
    claims::unlock_plan(catalogue);
    let (gaps, created) = planned?;
    summary.gaps_found = gaps;
    summary.requests_created += created;
    Ok((streams, run_id))
}

/// The gaps of `streams` in `window` from the catalogue (brought up to date), per stream
/// (at most `requests.max_gaps_per_day_file` a day file).
///
/// # Errors
/// [`Error::Database`].
fn analyse_gaps(
    config: &Config,
    catalogue: &Catalogue,
    streams: &[Nslc],
    window: (i64, i64),
) -> Result<BTreeMap<Nslc, Vec<(i64, i64)>>> {
    let report = catalogue.report(&window_scan(
        streams,
        window,
        Some(config.requests.max_gaps_per_day_file),
        None,
    ))?;
    Ok(missing_from_report(&report, streams, window))
}

/// The part of [`plan`] after the gap analysis (`missing`, per stream of `streams`), by one
/// worker at a time: the stack listed again and joined to `existing` (by id; the requests
/// new since count as in progress), the gaps recorded with the run `run_id`, the requests
/// and revision requests created (`warnings` gets those of the revisions). Returns the
/// gaps and the requests created.
///
/// # Errors
/// [`Error::Database`].
fn create_planned(
    config: &Config,
    catalogue: &Catalogue,
    (window, streams): ((i64, i64), &[Nslc]),
    run_id: i64,
    existing: &mut Vec<Request>,
    missing: &BTreeMap<Nslc, Vec<(i64, i64)>>,
    warnings: &mut Vec<String>,
) -> Result<(u64, u64)> {
    // A request created since the first listing covers its interval whatever its state:
    // its data may have been merged after the index read the day files.
    let known: BTreeSet<i64> = existing.iter().map(|r| r.id).collect();
    existing.extend(
        stack::list(catalogue, &[], None)?
            .into_iter()
            .filter(|r| !known.contains(&r.id))
            .map(|r| Request {
                state: RequestState::InProgress,
                ..r
            }),
    );
    let gaps: Vec<(Nslc, i64, i64)> = missing
        .iter()
        .flat_map(|(n, iv)| iv.iter().map(move |(s, e)| (n.clone(), *s, *e)))
        .collect();
    stack::record_gaps(catalogue, run_id, &gaps)?;
    let new = new_request_intervals(config, missing, existing);
    let mut created = stack::create_requests(catalogue, &new, None)?.len() as u64;
    created += revisions::plan_revisions(config, catalogue, streams, window, warnings)?;
    Ok((gaps.len() as u64, created))
}

/// The lock of the archive a run holds.
enum Lock {
    /// A directory archive's lock file: exclusive, or shared by the workers of a
    /// PostgreSQL catalogue.
    File(ArchiveLock),
    /// A bucket archive's row in the catalogue ([`crate::merge::bucket`]).
    #[cfg(feature = "objectstore")]
    Bucket(#[allow(dead_code)] Box<Mutex<crate::merge::bucket::BucketLock>>),
}

/// What a run that changes the archive holds while it lives ([`take_archive`]).
struct Hold {
    /// The archive lock.
    lock: Lock,
    /// The run's staging directory: `ROOT/.siqaco-staging`, a worker's
    /// `ROOT/.siqaco-staging/<worker>`.
    staging: PathBuf,
    catalogue: Catalogue,
    /// The worker, with a PostgreSQL catalogue ([`claims`]).
    worker: Option<Worker>,
}

/// The start of every run that changes the archive. With a SQLite catalogue: takes the
/// archive lock, finishes or rolls back an interrupted merge and removes what killed runs
/// left in the root (the staging directory among them; [`tidy_root`]), opens the
/// catalogue and puts requests a killed run left `in_progress` back to `retry`. With a
/// PostgreSQL catalogue, shared by several workers: opens the catalogue, registers the
/// worker with its heartbeat and removes what dead workers left ([`claims::tidy_shared`],
/// which takes the archive lock shared); their requests are taken over by the claims once
/// their lease expired.
fn take_archive(config: &Config, archive: &Archive) -> Result<Hold> {
    #[cfg(feature = "objectstore")]
    if crate::archive::store::is_object_url(archive.root()) {
        return take_bucket(config, archive);
    }
    if crate::index::is_postgres_url(&config.catalogue) {
        let catalogue = Catalogue::open(&config.catalogue)?;
        let worker = Worker::start(
            &catalogue,
            Path::new(&config.catalogue),
            config.requests.lease_s,
            &plan_groups::UPDATE_QUEUES,
        )?;
        let lock = claims::tidy_shared(archive.root(), &catalogue, &worker)?;
        return Ok(Hold {
            lock: Lock::File(lock),
            staging: worker.staging_dir(archive.root()),
            catalogue,
            worker: Some(worker),
        });
    }
    let lock = ArchiveLock::acquire(archive.root())?;
    tidy_root(archive.root(), Some(&lock))?;
    let staging = archive.root().join(STAGING_NAME);
    let catalogue = Catalogue::open(&config.catalogue)?;
    stack::reset_interrupted(&catalogue)?;
    Ok(Hold {
        lock: Lock::File(lock),
        staging,
        catalogue,
        worker: None,
    })
}

/// [`take_archive`] of an archive in a bucket (`[archive] root = "s3://..."`, a SQLite
/// catalogue): takes its lock (a catalogue row), finishes the journal of a killed run
/// ([`crate::merge::bucket::recover`]), puts requests a killed run left `in_progress` back
/// to `retry`; the staging directory is a new directory in the system's temporary
/// directory.
///
/// # Errors
/// [`Error::Config`] for a PostgreSQL catalogue (several workers writing into one bucket:
/// not supported); as [`take_archive`].
#[cfg(feature = "objectstore")]
fn take_bucket(config: &Config, archive: &Archive) -> Result<Hold> {
    let root = archive.root();
    if crate::index::is_postgres_url(&config.catalogue) {
        return Err(Error::config(format!(
            "{}: an archive in a bucket is written by one run at a time, with a SQLite \
             catalogue (several workers sharing a PostgreSQL catalogue cannot write into a \
             bucket yet)",
            root.display()
        )));
    }
    let (lock, catalogue, _) = crate::merge::bucket::begin(&config.catalogue, root)?;
    stack::reset_interrupted(&catalogue)?;
    let staging = tempfile::Builder::new()
        .prefix("siqaco-update-staging-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?
        .keep();
    Ok(Hold {
        lock: Lock::Bucket(Box::new(Mutex::new(lock))),
        staging,
        catalogue,
        worker: None,
    })
}

/// The end of a run: removes the staging directory, re-indexes the touched files, counts
/// the requests of `window` left and stores the summary in `siqaco_runs`.
fn finish_run(exec: Exec<'_>, window: (i64, i64), summary: &mut UpdateSummary) -> Result<()> {
    let _ = fs::remove_dir_all(&exec.staging);
    if exec.worker.is_some() {
        // The workers' common parent goes with the last of them (not empty: kept).
        if let Some(parent) = exec.staging.parent() {
            let _ = fs::remove_dir(parent);
        }
    }
    let mut catalogue = exec
        .catalogue
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    summary
        .warnings
        .extend(exec.warnings.into_inner().unwrap_or_default());
    // Split between the workers of a shared catalogue ([`Catalogue::index_archive`]).
    catalogue.index_archive(&exec.archive, &index_options(exec.config))?;
    summary.requests_left = left_in_window(&catalogue, window)?;
    let json = serde_json::to_string(&summary).unwrap_or_default();
    stack::end_run(&catalogue, exec.run_id, &json)?;
    if let Some(w) = exec.worker {
        w.stop();
    }
    Ok(())
}

/// Executes every pending request, `requests.in_flight` at once, reporting
/// [`Progress::Update`]; once `control` is cancelled, the requests not started are left
/// pending (and not counted).
fn execute_pending(exec: &Exec<'_>, summary: &mut UpdateSummary, control: &Control) -> Result<()> {
    if let Some(w) = &exec.worker {
        return execute_claimed(exec, w, summary, control);
    }
    let todo = exec.cat(|c| {
        stack::list(
            c,
            &[RequestState::New, RequestState::Retry, RequestState::Failed],
            None,
        )
    })?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(exec.config.requests.in_flight.max(1))
        .build()
        .map_err(|e| Error::invalid_argument(format!("thread pool: {e}")))?;
    // Under a lock, so that the callback sees the counts in order.
    let state = Mutex::new(UpdateProgress {
        requests_total: todo.len() as u64,
        ..UpdateProgress::default()
    });
    control.report(Progress::Update(
        *state.lock().unwrap_or_else(|e| e.into_inner()),
    ));
    let results: Vec<Option<Result<ReqOutcome>>> = pool.install(|| {
        use rayon::prelude::*;
        todo.par_iter()
            .map(|r| {
                if control.is_cancelled() {
                    return None;
                }
                let out = exec.execute(r);
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                st.requests_done += 1;
                st.samples_added += out.as_ref().map_or(0, |o| o.samples);
                control.report(Progress::Update(*st));
                Some(out)
            })
            .collect()
    });
    tally(
        summary,
        todo.iter()
            .zip(results)
            .filter_map(|(req, r)| Some((req.id, r?))),
    )
}

/// Adds the outcomes of the requests executed (by id) to `summary`; the first error is
/// returned after every outcome was counted.
fn tally(
    summary: &mut UpdateSummary,
    results: impl IntoIterator<Item = (i64, Result<ReqOutcome>)>,
) -> Result<()> {
    let mut first_err = None;
    for (id, r) in results {
        match r {
            Ok(o) => {
                summary.requests_sent += u64::from(o.sent);
                summary.samples_added += o.samples;
                if o.succeeded {
                    summary.requests_succeeded += 1;
                } else {
                    summary.requests_failed += 1;
                }
            }
            Err(e) => {
                // The request stays in_progress: the next run retries it.
                tracing::error!("request {id}: {e}");
                summary.requests_failed += 1;
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// [`execute_pending`] by one of several workers ([`claims`]): `requests.in_flight`
/// threads each claim a request, execute it and claim the next until nothing is left to
/// claim (or `control` is cancelled). The progress's total is what was claimable when the
/// execution started (other workers take some of it).
fn execute_claimed(
    exec: &Exec<'_>,
    worker: &Worker,
    summary: &mut UpdateSummary,
    control: &Control,
) -> Result<()> {
    let total = exec.cat(claims::claimable)?;
    let state = Mutex::new(UpdateProgress {
        requests_total: total,
        ..UpdateProgress::default()
    });
    control.report(Progress::Update(
        *state.lock().unwrap_or_else(|e| e.into_inner()),
    ));
    let results: Mutex<Vec<(i64, Result<ReqOutcome>)>> = Mutex::new(Vec::new());
    let claim_failed: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..exec.config.requests.in_flight.max(1) {
            scope.spawn(|| {
                while !control.is_cancelled() {
                    let req = match exec.cat(|c| claims::claim(c, &worker.id, worker.lease_ns)) {
                        Ok(Some(r)) => r,
                        Ok(None) => break,
                        Err(e) => {
                            claim_failed
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .get_or_insert(e);
                            break;
                        }
                    };
                    let out = exec.execute(&req);
                    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                    st.requests_done += 1;
                    st.samples_added += out.as_ref().map_or(0, |o| o.samples);
                    control.report(Progress::Update(*st));
                    drop(st);
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((req.id, out));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(id, _)| *id);
    tally(summary, results)?;
    match claim_failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Requests overlapping the window that are not complete (`new`, `retry`, `failed`,
/// `on_hold`).
pub(crate) fn left_in_window(cat: &Catalogue, window: (i64, i64)) -> Result<u64> {
    Ok(stack::list(
        cat,
        &[
            RequestState::New,
            RequestState::Retry,
            RequestState::Failed,
            RequestState::OnHold,
            RequestState::InProgress,
        ],
        None,
    )?
    .iter()
    .filter(|r| r.start_ns < window.1 && r.end_ns > window.0)
    .count() as u64)
}

/// `siqaco stack run`: executes the pending requests without analysing a window (the
/// window of the summary spans them; `None` when nothing is pending), with progress and
/// cancellation as [`run_update`].
///
/// # Errors
/// As [`run_update`].
pub(crate) fn run_stack(config: &Config, control: &Control) -> Result<UpdateSummary> {
    let archive = Archive::new(&config.archive.path, config.archive.layout.clone());
    let sources = open_sources(config)?;
    let Hold {
        lock,
        staging,
        catalogue,
        worker,
    } = take_archive(config, &archive)?;
    let mut pending = stack::list(
        &catalogue,
        &[RequestState::New, RequestState::Retry, RequestState::Failed],
        None,
    )?;
    if worker.is_some() {
        // And those of dead workers, which the claims take over.
        let now = now_ns();
        pending.extend(
            stack::list(&catalogue, &[RequestState::InProgress], None)?
                .into_iter()
                .filter(|r| r.lease_until_ns.is_none_or(|t| t < now)),
        );
    }
    let window = pending.iter().fold((i64::MAX, i64::MIN), |(a, b), r| {
        (a.min(r.start_ns), b.max(r.end_ns))
    });
    let mut summary = UpdateSummary::default();
    if pending.is_empty() {
        return Ok(summary);
    }
    summary.window_start_ns = Some(window.0);
    summary.window_end_ns = Some(window.1);
    let streams = resolve_streams(config, Some(&catalogue), window)?;
    let run_id = stack::begin_run(&catalogue, window)?;
    let exec = Exec::new(
        config, &archive, sources, &streams, catalogue, run_id, &staging, &lock, worker,
    );
    execute_pending(&exec, &mut summary, control)?;
    finish_run(exec, window, &mut summary)?;
    Ok(summary)
}

/// `siqaco request create`: one request per stream of `selection` (exact codes as given,
/// globs expanded against the maintained streams, the archive and the catalogue) over
/// `window` (not empty: checked by [`crate::ops::RequestCreateRequest`]), asking only
/// `sources` when given. Nothing is executed. Returns the requests created, in id order.
///
/// # Errors
/// [`Error::InvalidField`] for an unknown source name (`sources`) or a selection that
/// matches no stream (`select`); as [`run_update`].
pub(crate) fn create_requests(
    config: &Config,
    selection: &[NslcGlob],
    window: (i64, i64),
    sources: &[String],
) -> Result<Vec<Request>> {
    if window.1 <= window.0 {
        return Err(Error::field("window", "the end must be after the start"));
    }
    if let Some(s) = sources.iter().find(|s| config.source(s).is_none()) {
        return Err(Error::field(
            "sources",
            format!("no source named {s:?} in the configuration"),
        ));
    }
    let catalogue = Catalogue::open(&config.catalogue)?;
    let maintained = resolve_streams(config, Some(&catalogue), window)?;
    let mut streams: BTreeSet<Nslc> = BTreeSet::new();
    let mut globs = Vec::new();
    for g in selection {
        match g.as_exact() {
            Some(n) => {
                streams.insert(n);
            }
            None => globs.push(g.clone()),
        }
    }
    if !globs.is_empty() {
        streams.extend(
            maintained
                .iter()
                .filter(|n| crate::sid::selected(&globs, n))
                .cloned(),
        );
        streams.extend(expand_globs(config, Some(&catalogue), &globs, true)?);
    }
    if streams.is_empty() {
        return Err(Error::field(
            "select",
            "matches no stream (give exact N.S.L.C codes for streams with no data yet)",
        ));
    }
    let keys: BTreeSet<Nslc> = streams.iter().map(|n| request_key(config, n)).collect();
    let items: Vec<(Nslc, i64, i64)> = keys.into_iter().map(|k| (k, window.0, window.1)).collect();
    let src = (!sources.is_empty()).then_some(sources);
    stack::create_requests(&catalogue, &items, src)?
        .into_iter()
        .map(|id| stack::get(&catalogue, id))
        .collect()
}

/// A dry run: what would be created and sent; nothing is written (the catalogue is only
/// read when it exists and is current).
fn dry_run(
    config: &Config,
    archive: &Archive,
    sources: &[Box<dyn Source>],
    window: (i64, i64),
    mut summary: UpdateSummary,
) -> Result<UpdateSummary> {
    let catalogue = Catalogue::open_current(&config.catalogue)?;
    // With a catalogue of an SDS or BUD archive, the streams and the coverage of those
    // whose files did not change come from it ([`current`]); the others are scanned.
    let from_catalogue = catalogue
        .as_ref()
        .filter(|_| current::applies(config, archive));
    let streams =
        resolve_streams_with(config, catalogue.as_ref(), window, from_catalogue.is_none())?;
    summary.streams_checked = streams.len() as u64;
    let stale = match from_catalogue {
        Some(c) => current::stale_streams(c, archive, &streams, window)?,
        None => None,
    };
    // The coverage of `streams` over the window, with Morumotto's per-day collapse of
    // `max_gaps` (or exact): from the catalogue for the streams it describes as they are,
    // from a scan of the day files for the others.
    let coverage = |max_gaps: Option<usize>| -> Result<ScanReport> {
        let scan = |streams: &[Nslc]| -> Result<ScanReport> {
            if archive.readable() {
                scan_archive(
                    archive,
                    &scan_mapped(config, window_scan(streams, window, max_gaps, None)),
                    None,
                )
            } else {
                Ok(ScanReport::default())
            }
        };
        let (Some(c), Some(stale)) = (from_catalogue, &stale) else {
            return scan(&streams);
        };
        let fresh: Vec<Nslc> = streams
            .iter()
            .filter(|n| !stale.contains(*n))
            .cloned()
            .collect();
        let mut report = ScanReport::default();
        if !fresh.is_empty() {
            report = c.report(&window_scan(&fresh, window, max_gaps, None))?;
        }
        if !stale.is_empty() {
            let stale: Vec<Nslc> = stale.iter().cloned().collect();
            report.streams.extend(scan(&stale)?.streams);
        }
        Ok(report)
    };
    let report = coverage(Some(config.requests.max_gaps_per_day_file))?;
    // What is missing now, exactly, for the requests inside the window (without a catalogue
    // each request's streams are scanned over its extent, as a real run does).
    let missing_exact = match (from_catalogue, &stale) {
        (Some(_), Some(_)) => Some(missing_from_report(&coverage(None)?, &streams, window)),
        _ => None,
    };
    let missing = missing_from_report(&report, &streams, window);
    summary.gaps_found = missing.values().map(|v| v.len() as u64).sum();
    let existing = match &catalogue {
        Some(c) => stack::list(c, &[], None)?,
        None => Vec::new(),
    };
    let new = new_request_intervals(config, &missing, &existing);
    summary.requests_created = new.len() as u64;
    let mut reqs: Vec<Request> = existing
        .into_iter()
        .filter(|r| r.state.is_pending())
        .collect();
    reqs.extend(
        new.into_iter()
            .map(|(nslc, s, e)| Request::planned(nslc, s, e)),
    );
    if let Some(c) = &catalogue {
        let found = revisions::find_revisions(config, c, &streams, window, &mut summary.warnings)?;
        for (source, items) in found {
            summary.requests_created += items.len() as u64;
            reqs.extend(items.into_iter().map(|(n, s, e, reason)| Request {
                reason: Some(reason),
                sources: Some(vec![source.clone()]),
                ..Request::planned(n, s, e)
            }));
        }
    }
    let warnings = Mutex::new(Vec::new());
    let widen_ns = s_to_ns(config.requests.widen_s);
    for req in &reqs {
        if revisions::is_revision(req) {
            // Its one source, for exactly its span.
            summary.requests_sent += 1;
            summary.planned.push(PlannedRequest {
                source: req
                    .sources
                    .iter()
                    .flatten()
                    .next()
                    .cloned()
                    .unwrap_or_default(),
                request_id: (req.id != 0).then_some(req.id),
                lines: request_streams(req, &streams)
                    .iter()
                    .map(|n| RequestLine::new(n, req.start_ns, req.end_ns).to_string())
                    .collect(),
            });
            continue;
        }
        let rs = request_streams(req, &streams);
        let extent = (req.start_ns, req.end_ns);
        let missing = match &missing_exact {
            Some(m) if extent.0 >= window.0 && extent.1 <= window.1 => rs
                .iter()
                .map(|n| {
                    let iv = m.get(n).map_or(&[][..], |v| v);
                    (n.clone(), intersect(iv, &[extent]))
                })
                .collect(),
            _ => missing_now(config, archive, &rs, extent)?,
        };
        if missing.values().all(Vec::is_empty) {
            continue;
        }
        for (k, cfg) in eligible_sources(config, req, &rs) {
            let spans = source_spans(
                cfg,
                sources[k].as_ref(),
                &rs,
                extent,
                &warnings,
                &config.streams.mapping,
            );
            let lines = lines_for(req, &missing, &spans, widen_ns);
            if !lines.is_empty() {
                summary.requests_sent += 1;
                summary.planned.push(PlannedRequest {
                    source: cfg.name.clone(),
                    request_id: (req.id != 0).then_some(req.id),
                    lines: lines.iter().map(ToString::to_string).collect(),
                });
            }
        }
    }
    summary.planned.sort_by_key(|p| {
        config
            .sources
            .iter()
            .position(|s| s.name == p.source)
            .unwrap_or(usize::MAX)
    });
    summary
        .warnings
        .extend(warnings.into_inner().unwrap_or_default());
    Ok(summary)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A configuration in `dir` maintaining IU.COLA.00.BHZ in an empty archive `final`
    /// (catalogue `cat.sqlite`) with sds-small as its only source (`sds`); `None` without
    /// the test data.
    pub(crate) fn sds_small_site(dir: &Path) -> Option<Config> {
        let d = crate::testing::test_data_dir()?;
        let text = format!(
            "[archive]\npath = \"final\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
             [streams]\nselect = [\"IU.COLA.00.BHZ\"]\n[[sources]]\nname = \"sds\"\n\
             kind = \"archive\"\npath = \"{}\"\n",
            d.join("sds-small").display()
        );
        Some(Config::from_str_in(&text, dir).unwrap())
    }

    #[test]
    fn cancelled_run_leaves_requests_pending() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(config) = sds_small_site(tmp.path()) else {
            return;
        };
        let window = (
            crate::time::parse_time("2010-02-27").unwrap(),
            crate::time::parse_time("2010-02-28").unwrap(),
        );
        let seen = Mutex::new(Vec::new());
        let cb = |p: Progress| match p {
            Progress::Update(p) => seen.lock().unwrap().push(p),
            other => panic!("{other:?}"),
        };
        let mut request = crate::ops::UpdateRequest::new(config.clone());
        (request.start_ns, request.end_ns) = (Some(window.0), Some(window.1));
        let cancelled = Control::new().with_progress(&cb);
        cancelled.cancel();
        let s = request.run(&cancelled).unwrap();
        assert_eq!((s.requests_created, s.requests_sent), (1, 0), "{s:?}");
        assert_eq!((s.requests_failed, s.requests_left), (0, 1), "{s:?}");
        let reqs = stack::list(&Catalogue::open(&config.catalogue).unwrap(), &[], None).unwrap();
        assert_eq!(reqs.len(), 1);
        assert_eq!((reqs[0].state, reqs[0].attempts), (RequestState::New, 0));
        // Progress: announced, nothing done.
        let total = UpdateProgress {
            requests_total: 1,
            ..UpdateProgress::default()
        };
        assert_eq!(*seen.lock().unwrap(), vec![total]);
        // The next run executes it.
        seen.lock().unwrap().clear();
        let s = request.run(&Control::new().with_progress(&cb)).unwrap();
        assert_eq!((s.requests_created, s.requests_sent), (0, 1), "{s:?}");
        assert!(s.samples_added > 0, "{s:?}");
        let last = *seen.lock().unwrap().last().unwrap();
        assert_eq!(
            (last.requests_done, last.requests_total, last.samples_added),
            (1, 1, s.samples_added)
        );
    }

    #[test]
    fn union_drops_empty_intervals() {
        assert_eq!(
            union(vec![(5, 7), (1, 3), (2, 4), (7, 8), (9, 9)]),
            vec![(1, 4), (5, 8)]
        );
    }
}
