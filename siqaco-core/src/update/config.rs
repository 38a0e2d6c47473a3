//! The update configuration, `siqaco.toml` (see `docs/configuration.md`).
//!
//! The file is TOML. Unknown keys and bad values are errors that name the key
//! ([`Error::Config`]); relative paths are relative to the directory of the configuration
//! file. Every key of the example in `examples/config/siqaco.toml` keeps working in later
//! versions.

use super::window::{Granularity, WindowSpec};
use crate::archive::Layout;
use crate::error::{Error, Result};
use crate::merge::OutputOptions;
use crate::ops::ServeSettings;
use crate::sid::{Nslc, NslcGlob};
use crate::source::SourceSpec;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The whole configuration, paths resolved.
#[derive(Clone, Debug)]
pub struct Config {
    /// The configuration file it was read from (`None` when parsed from text).
    pub file: Option<PathBuf>,
    /// The final archive.
    pub archive: ArchiveConfig,
    /// The catalogue: a SQLite file path (resolved) or a `postgresql://` URL.
    pub catalogue: String,
    /// The streams to maintain.
    pub streams: StreamsConfig,
    /// The analysis window.
    pub window: WindowSpec,
    /// The request policy.
    pub requests: RequestPolicy,
    /// The sources, sorted by priority (1 first), then by their order in the file.
    pub sources: Vec<SourceConfig>,
    /// `[serve]`: what `siqaco serve --config` serves, every key defaulted
    /// ([`ServeSettings::default`]); `catalogue` defaults to the configuration's catalogue,
    /// `archive` to `archive.path`, `stationxml` to `streams.stationxml`, and `config` is
    /// the configuration file ([`Config::from_path`]).
    pub serve: ServeSettings,
}

/// `[archive]`: where and how the final archive is written.
#[derive(Clone, Debug)]
pub struct ArchiveConfig {
    /// Root directory (resolved), or a bucket prefix `s3://bucket/prefix` as given (a
    /// bucket as the final archive, `docs/object-storage.md`).
    pub path: PathBuf,
    /// Layout (`sds`, `bud` or a dataselect template).
    pub layout: Layout,
    /// Output conversions applied to every day file the update rewrites (record length,
    /// encoding, miniSEED version, publication version from the quality label).
    pub output: OutputOptions,
}

/// `[streams]`: the streams to maintain. Exact codes are maintained even when the archive
/// holds nothing of them yet; globs are expanded against the streams of the archive and of
/// the catalogue.
#[derive(Clone, Debug, Default)]
pub struct StreamsConfig {
    /// `select`: N.S.L.C patterns (globs allowed).
    pub select: Vec<NslcGlob>,
    /// `file`: a `N|S|L|C` list as Morumotto's `nslc.list` (resolved path).
    pub file: Option<PathBuf>,
    /// `stationxml`: a StationXML file whose channels are maintained (resolved path).
    pub stationxml: Option<PathBuf>,
    /// `fdsn_station`: networks resolved through an FDSN station service.
    pub fdsn_station: Option<FdsnStationConfig>,
    /// `multiplexed`: stations (`NET.STA`) whose channels are requested together, one
    /// request line `NET STA * *` per missing interval (Morumotto's multiplexing).
    pub multiplexed: Vec<(String, String)>,
    /// `[[streams.mapping]]`: stream mappings over time (a station renamed, a location
    /// code changed), applied when scanning the archive for gaps and fetching
    /// ([`crate::mapping`]; empty = none).
    pub mapping: crate::mapping::Mappings,
}

/// `fdsn_station = { url = "...", networks = ["XX"] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdsnStationConfig {
    /// Base URL of the server (or the full station service URL).
    pub url: String,
    /// Network codes (globs allowed).
    pub networks: Vec<String>,
}

/// How many attempts a request gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RetryPolicy {
    /// `{ count = N }`: N attempts in all, across runs.
    Count(u32),
    /// `{ hours = H }`: attempts until H hours after the request was created.
    Hours(f64),
}

/// `[requests]`: the request policy; `Default` holds the configuration's defaults (new
/// fields may be added).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct RequestPolicy {
    /// Retry policy (default `{ count = 5 }`, Morumotto's default lifespan).
    pub retry: RetryPolicy,
    /// Requests executed at once (default 4).
    pub in_flight: usize,
    /// Seconds each gap is widened on both sides (default 1.0, Morumotto's ±1 s).
    pub widen_s: f64,
    /// More gaps than this in one day file are collapsed into one (default 10,
    /// Morumotto's `max_gaps_by_analysis`).
    pub max_gaps_per_day_file: usize,
    /// Seconds a worker's claim on a request lasts without being renewed (default 60;
    /// PostgreSQL catalogues only, [`super::claims`]): the heartbeat renews it every third
    /// of it, and a request whose worker died is taken over once it has passed.
    pub lease_s: f64,
    /// What to do with data a source revised after siqaco fetched it (`revisions`,
    /// default [`RevisionPolicy::Ignore`]; [`super::revisions`]).
    pub revisions: RevisionPolicy,
}

impl Default for RequestPolicy {
    fn default() -> Self {
        RequestPolicy {
            retry: RetryPolicy::Count(5),
            in_flight: 4,
            widen_s: 1.0,
            max_gaps_per_day_file: 10,
            lease_s: 60.0,
            revisions: RevisionPolicy::Ignore,
        }
    }
}

/// `[requests] revisions`: whether data a source revised after siqaco fetched it (its
/// fdsnws-availability `Updated` time, or its catalogue's tsindex `updated`, is later
/// than the fetch) replaces what the archive holds in the revised span
/// ([`super::revisions`], `docs/configuration.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RevisionPolicy {
    /// `"ignore"` (default): sources are not asked about revisions; the archive's samples
    /// are never replaced (the behaviour before revisions existed).
    #[default]
    Ignore,
    /// `"newest"`: the source's revised samples replace the archive's in the revised span
    /// (EarthScope's rule: the newest submission replaces overlapping data).
    Newest,
    /// `"quality"`: the revised samples replace the archive's only where their publication
    /// version is at least the archive's (miniSEED 3 publication version; miniSEED 2
    /// quality ranked as the merge ranks it, M > Q > D > R: [`crate::merge`]).
    Quality,
}

impl RevisionPolicy {
    /// The configuration's name of the policy (`ignore`, `newest`, `quality`).
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionPolicy::Ignore => "ignore",
            RevisionPolicy::Newest => "newest",
            RevisionPolicy::Quality => "quality",
        }
    }
}

/// Parses `requests.revisions` (`"newest"`, `"quality"` or `"ignore"`, as written).
///
/// # Errors
/// [`Error::Config`] naming `requests.revisions` for any other value.
fn parse_revisions(v: &str) -> Result<RevisionPolicy> {
    match v {
        "ignore" => Ok(RevisionPolicy::Ignore),
        "newest" => Ok(RevisionPolicy::Newest),
        "quality" => Ok(RevisionPolicy::Quality),
        _ => Err(bad(
            "requests.revisions",
            format!("{v:?}: expected \"newest\", \"quality\" or \"ignore\""),
        )),
    }
}

/// Where a source's availability comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AvailabilityMode {
    /// Ask the source ([`crate::source::Source::availability`]).
    Service,
    /// Read it from a siqaco catalogue of the source's data (path resolved, or a
    /// `postgresql://` URL).
    Catalogue(String),
    /// Assume the source has everything (Morumotto's `availability = False`).
    Assume,
}

/// One `[[sources]]` entry.
#[derive(Clone, Debug)]
pub struct SourceConfig {
    /// Unique name.
    pub name: String,
    /// Kind and location (the table's `kind` and its keys), opened with
    /// [`SourceSpec::open`].
    pub kind: SourceSpec,
    /// Priority, 1 is asked first.
    pub priority: u32,
    /// Streams served (empty = all).
    pub select: Vec<NslcGlob>,
    /// Availability mode.
    pub availability: AvailabilityMode,
    /// Bytes per second, `None` = unlimited.
    pub bandwidth_bytes_per_s: Option<u64>,
    /// Requests in flight at this source.
    pub in_flight: usize,
    /// Deadline of one request (FDSN: from connecting to the last byte of the body,
    /// [`FdsnOptions::timeout`](crate::source::fdsnws::FdsnOptions::timeout)) or of one
    /// program run, seconds; the same as `siqaco fetch --timeout`.
    pub timeout_s: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    archive: RawArchive,
    catalogue: RawCatalogue,
    streams: RawStreams,
    #[serde(default)]
    window: RawWindow,
    #[serde(default)]
    requests: RawRequests,
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    serve: RawServe,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServe {
    bind: Option<String>,
    catalogue: Option<String>,
    archive: Option<String>,
    stationxml: Option<Vec<String>>,
    #[serde(default)]
    restricted: Vec<String>,
    credentials: Option<String>,
    qc: Option<String>,
    realm: Option<String>,
    max_bytes: Option<i64>,
    max_samples: Option<i64>,
    max_post_lines: Option<i64>,
    max_concurrent: Option<i64>,
    timeout_s: Option<f64>,
    header_timeout_s: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArchive {
    path: String,
    #[serde(default = "default_layout")]
    layout: String,
    record_length: Option<i64>,
    encoding: Option<String>,
    format_version: Option<i64>,
    quality: Option<String>,
}

fn default_layout() -> String {
    "sds".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStreams {
    #[serde(default)]
    select: Vec<String>,
    file: Option<String>,
    stationxml: Option<String>,
    fdsn_station: Option<RawFdsnStation>,
    #[serde(default)]
    multiplexed: Vec<String>,
    #[serde(default)]
    mapping: Vec<crate::mapping::RawMapping>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFdsnStation {
    url: String,
    networks: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    #[serde(default = "default_granularity")]
    granularity: String,
    #[serde(default = "one")]
    frequency: i64,
    #[serde(default = "two")]
    length: i64,
    #[serde(default = "one")]
    latency: i64,
}

impl Default for RawWindow {
    fn default() -> Self {
        RawWindow {
            granularity: default_granularity(),
            frequency: 1,
            length: 2,
            latency: 1,
        }
    }
}

fn default_granularity() -> String {
    "hour".into()
}
fn one() -> i64 {
    1
}
fn two() -> i64 {
    2
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRequests {
    retry: Option<RawRetry>,
    in_flight: Option<i64>,
    widen_s: Option<f64>,
    max_gaps_per_day_file: Option<i64>,
    lease_s: Option<f64>,
    revisions: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    count: Option<i64>,
    hours: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: String,
    url: Option<String>,
    path: Option<String>,
    layout: Option<String>,
    command: Option<String>,
    connect_infos: Option<String>,
    tsindex: Option<String>,
    #[serde(default = "one")]
    priority: i64,
    #[serde(default)]
    select: Vec<String>,
    #[serde(default = "default_availability")]
    availability: String,
    catalogue: Option<String>,
    #[serde(default)]
    bandwidth_bytes_per_s: i64,
    #[serde(default = "two")]
    in_flight: i64,
    #[serde(default = "default_timeout")]
    timeout_s: f64,
}

fn default_availability() -> String {
    "service".into()
}
/// `timeout_s` of a `[[sources]]` entry: the FDSN client's own deadline
/// ([`FdsnOptions::default`](crate::source::fdsnws::FdsnOptions::default), 60 s).
fn default_timeout() -> f64 {
    crate::source::fdsnws::FdsnOptions::default()
        .timeout
        .as_secs_f64()
}

/// The configuration error of `key` ([`Error::Config`], `KEY: MESSAGE`).
pub(crate) fn bad(key: &str, message: impl std::fmt::Display) -> Error {
    Error::config(format!("{key}: {message}"))
}

/// The configuration error of `key` caused by `e` ([`Error::Config`], `KEY: E`), keeping `e`
/// as its source.
pub(crate) fn bad_from(key: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::config_from(format!("{key}: {e}"), e)
}

/// Resolves `p` against `base` unless it is absolute.
fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// A catalogue target: `postgresql://` URLs as they are, paths resolved.
fn resolve_catalogue(base: &Path, s: &str) -> String {
    if crate::index::is_postgres_url(s) {
        s.to_string()
    } else {
        resolve(base, s).to_string_lossy().into_owned()
    }
}

/// `[[streams.mapping]]` entries onto [`crate::mapping::Mappings`] (the one parser of
/// mapping entries, [`crate::mapping::parse_mapping_toml`]); errors name
/// `streams.mapping[i].field`.
fn stream_mappings(raw: &[crate::mapping::RawMapping]) -> Result<crate::mapping::Mappings> {
    crate::mapping::from_raw("streams.mapping", raw)
}

fn globs(key: &str, texts: &[String]) -> Result<Vec<NslcGlob>> {
    texts
        .iter()
        .map(|t| NslcGlob::parse(t).map_err(|e| bad_from(key, e)))
        .collect()
}

fn positive(key: &str, v: i64) -> Result<u32> {
    if v < 1 || v > i64::from(u32::MAX) {
        return Err(bad(key, format!("{v} must be a positive integer")));
    }
    Ok(v as u32)
}

/// `v` of `key` when it is at most `max`, else the error giving the bound.
fn at_most<T: PartialOrd + std::fmt::Debug>(key: &str, v: T, max: T, unit: &str) -> Result<T> {
    if v > max {
        return Err(bad(
            key,
            format!("{v:?} is more than the maximum {max:?}{unit}"),
        ));
    }
    Ok(v)
}

/// Upper bounds of the numeric keys (docs/configuration.md): large enough for any real
/// use, small enough that no time arithmetic overflows and no thread pool explodes.
pub mod limits {
    /// `requests.in_flight` and `sources[].in_flight`: threads and connections at once.
    pub const IN_FLIGHT: u32 = 256;
    /// `window.frequency`, `window.length` and `window.latency`, in hours (50 years); in
    /// days, this divided by 24.
    pub const WINDOW_HOURS: u32 = 50 * 366 * 24;
    /// `requests.widen_s`: one day.
    pub const WIDEN_S: f64 = 86_400.0;
    /// `requests.lease_s`: one day.
    pub const LEASE_S: f64 = 86_400.0;
    /// `sources[].timeout_s`: seven days ([`crate::source::MAX_TIMEOUT_S`]).
    pub const TIMEOUT_S: f64 = crate::source::MAX_TIMEOUT_S;
    /// `requests.retry.hours`: ten years.
    pub const RETRY_HOURS: f64 = 10.0 * 366.0 * 24.0;
}

/// A TOML error as a configuration error naming the key: `KEY: what is wrong (line L,
/// column C)`, the key from the path to the value (`serde_path_to_error`), the internal
/// type names of the parser replaced by what the file should hold.
fn toml_error(e: serde_path_to_error::Error<toml::de::Error>, text: &str) -> Error {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let mut message = inner.message().trim().to_string();
    for (raw, said) in [
        ("struct RawRetry", "a table { count = N } or { hours = H }"),
        (
            "struct RawFdsnStation",
            "a table { url = \"...\", networks = [...] }",
        ),
        ("struct RawArchive", "a table"),
        ("struct RawCatalogue", "a table"),
        ("struct RawStreams", "a table"),
        ("struct RawWindow", "a table"),
        ("struct RawRequests", "a table"),
        ("struct RawSource", "a table"),
        ("struct RawServe", "a table"),
        ("expected i64", "expected an integer"),
        ("expected f64", "expected a number"),
    ] {
        message = message.replace(raw, said);
    }
    let at = inner.span().map(|span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        format!(" (line {line}, column {column})")
    });
    let key = if path.is_empty() || path == "." {
        "(top level)".to_string()
    } else {
        path
    };
    Error::config_from(format!("{key}: {message}{}", at.unwrap_or_default()), inner)
}

/// `[serve]` onto [`ServeSettings`]: paths resolved against `base`, the defaults of the
/// other tables (the catalogue, `archive.path`, `streams.stationxml`), then
/// [`ServeSettings::validate`], its field named as the key (`serve.max_concurrent: ...`).
fn serve_settings(
    raw: RawServe,
    base: &Path,
    catalogue: &str,
    archive: &ArchiveConfig,
    streams: &StreamsConfig,
) -> Result<ServeSettings> {
    let count = |key: &str, v: Option<i64>, default: u64| -> Result<u64> {
        v.map_or(Ok(default), |v| {
            u64::try_from(v).map_err(|_| bad(key, format!("{v} is not a count")))
        })
    };
    let mut s = ServeSettings::new(
        raw.catalogue
            .as_deref()
            .map_or_else(|| catalogue.to_string(), |c| resolve_catalogue(base, c)),
    );
    if let Some(b) = &raw.bind {
        s.bind = b.trim().parse().map_err(|_| {
            bad(
                "serve.bind",
                format!("{b:?} is not an address and port (127.0.0.1:8080, [::]:8080)"),
            )
        })?;
    }
    s.archive = Some(
        raw.archive
            .as_deref()
            .map_or_else(|| archive.path.clone(), |a| resolve(base, a)),
    );
    s.stationxml = match &raw.stationxml {
        Some(list) => list.iter().map(|p| resolve(base, p)).collect(),
        None => streams.stationxml.iter().cloned().collect(),
    };
    s.restricted = globs("serve.restricted", &raw.restricted)?;
    s.credentials = raw.credentials.as_deref().map(|c| resolve(base, c));
    s.qc = raw.qc.as_deref().map(|q| resolve(base, q));
    if let Some(r) = raw.realm {
        s.realm = r;
    }
    s.max_bytes = count("serve.max_bytes", raw.max_bytes, s.max_bytes)?;
    s.max_samples = count("serve.max_samples", raw.max_samples, s.max_samples)?;
    s.max_post_lines = usize::try_from(count(
        "serve.max_post_lines",
        raw.max_post_lines,
        s.max_post_lines as u64,
    )?)
    .unwrap_or(usize::MAX);
    s.max_concurrent = usize::try_from(count(
        "serve.max_concurrent",
        raw.max_concurrent,
        s.max_concurrent as u64,
    )?)
    .unwrap_or(usize::MAX);
    s.timeout_s = raw.timeout_s.unwrap_or(s.timeout_s);
    s.mappings = streams.mapping.clone();
    s.header_timeout_s = raw.header_timeout_s.unwrap_or(s.header_timeout_s);
    s.validate().map_err(|e| match e {
        Error::InvalidField { field, message } => bad(&format!("serve.{field}"), message),
        e => e,
    })?;
    Ok(s)
}

/// Encoding names of `archive.encoding` and their SEED codes (the names of `siqaco merge
/// --encoding`).
pub use crate::merge::encoding_code;

/// The publication version of a quality label (miniSEED 3 specification, "publication
/// version": R 1, D 2, Q 3, M 4).
pub fn quality_pub_version(q: &str) -> Option<u8> {
    match q {
        "R" => Some(1),
        "D" => Some(2),
        "Q" => Some(3),
        "M" => Some(4),
        _ => None,
    }
}

impl Config {
    /// Reads and checks a configuration file.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::Config`] naming the key for unknown
    /// keys, missing keys and bad values.
    pub fn from_path(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let mut c = Config::from_str_in(&text, base)
            .and_then(|c| c.check_paths().map(|()| c))
            .map_err(|e| match e {
                Error::Config { message, source } => Error::Config {
                    message: format!("{}: {message}", path.display()),
                    source,
                },
                other => other,
            })?;
        c.file = Some(path.to_path_buf());
        c.serve.config = Some(path.to_path_buf());
        Ok(c)
    }

    /// Checks what the paths of the configuration name on disk: `archive.path`, when it
    /// exists, is a directory; `streams.file` and `streams.stationxml`, when given, are
    /// files; `catalogue.url`, unless a PostgreSQL URL, is a regular file
    /// or a missing one in an existing directory
    /// ([`check_sqlite_target`](crate::index::check_sqlite_target): never a device, a
    /// directory or a pipe, beside which SQLite would create its journal).
    ///
    /// # Errors
    /// [`Error::Config`] naming the key.
    pub fn check_paths(&self) -> Result<()> {
        let a = &self.archive.path;
        if a.exists() && !a.is_dir() {
            return Err(bad(
                "archive.path",
                format!("{} exists and is not a directory", a.display()),
            ));
        }
        if !crate::index::is_postgres_url(&self.catalogue) {
            crate::index::check_sqlite_target(Path::new(&self.catalogue))
                .map_err(|e| bad_from("catalogue.url", e))?;
        }
        for (key, file) in [
            ("streams.file", &self.streams.file),
            ("streams.stationxml", &self.streams.stationxml),
        ] {
            if let Some(f) = file {
                if !f.is_file() {
                    let why = if f.exists() {
                        "is not a regular file"
                    } else {
                        "does not exist"
                    };
                    return Err(bad(key, format!("{} {why}", f.display())));
                }
            }
        }
        Ok(())
    }

    /// Parses configuration text; relative paths are resolved against `base`.
    ///
    /// # Errors
    /// [`Error::Config`] naming the key.
    pub fn from_str_in(text: &str, base: &Path) -> Result<Config> {
        let raw: RawConfig =
            serde_path_to_error::deserialize(toml::Deserializer::parse(text).map_err(|e| {
                Error::config_from(format!("TOML syntax: {}", e.to_string().trim()), e)
            })?)
            .map_err(|e| toml_error(e, text))?;
        // [archive]
        let a = raw.archive;
        let layout: Layout = a
            .layout
            .parse()
            .map_err(|e| bad_from("archive.layout", e))?;
        let mut output = OutputOptions::default();
        if let Some(l) = a.record_length {
            output.record_length = Some(usize::try_from(l).map_err(|_| {
                bad(
                    "archive.record_length",
                    format!("{l} is not a record length"),
                )
            })?);
        }
        if let Some(e) = &a.encoding {
            output.encoding = encoding_code(e).ok_or_else(|| {
                bad(
                    "archive.encoding",
                    format!(
                        "{e:?}: expected steim1, steim2, int16, int32, float32, float64 or keep"
                    ),
                )
            })?;
        }
        if let Some(v) = a.format_version {
            if v != 2 && v != 3 {
                return Err(bad(
                    "archive.format_version",
                    format!("{v}: expected 2 or 3"),
                ));
            }
            output.format_version = Some(v as u8);
        }
        if let Some(q) = &a.quality {
            output.pub_version =
                Some(quality_pub_version(q).ok_or_else(|| {
                    bad("archive.quality", format!("{q:?}: expected D, R, Q or M"))
                })?);
        }
        if let Err(e) = output.validate() {
            // The key whose value makes the combination invalid: the first whose removal
            // makes it valid.
            let mut key = "archive";
            for (k, without) in [
                (
                    "archive.record_length",
                    OutputOptions {
                        record_length: None,
                        ..output
                    },
                ),
                (
                    "archive.encoding",
                    OutputOptions {
                        encoding: OutputOptions::default().encoding,
                        ..output
                    },
                ),
                (
                    "archive.format_version",
                    OutputOptions {
                        format_version: None,
                        ..output
                    },
                ),
            ] {
                if without.validate().is_ok() {
                    key = k;
                    break;
                }
            }
            return Err(bad_from(key, e));
        }
        if a.path.trim().is_empty() {
            return Err(bad("archive.path", "must not be empty"));
        }
        // an `s3://bucket/prefix` (a bucket as the final archive) or `file://` root
        let root = crate::archive::store::normalize_root(Path::new(&a.path))
            .map_err(|e| bad_from("archive.path", e))?;
        let archive = ArchiveConfig {
            path: if crate::archive::store::is_object_url(&root) {
                root
            } else {
                resolve(base, &root.to_string_lossy())
            },
            layout,
            output,
        };
        // [catalogue]
        if raw.catalogue.url.trim().is_empty() {
            return Err(bad("catalogue.url", "must not be empty"));
        }
        let catalogue = resolve_catalogue(base, &raw.catalogue.url);
        // [streams]
        let s = raw.streams;
        let mut multiplexed = Vec::new();
        for m in &s.multiplexed {
            let Some((n, st)) = m.split_once('.') else {
                return Err(bad(
                    "streams.multiplexed",
                    format!("{m:?}: expected NET.STA"),
                ));
            };
            crate::sid::validate_code(n, false).map_err(|e| bad_from("streams.multiplexed", e))?;
            crate::sid::validate_code(st, false).map_err(|e| bad_from("streams.multiplexed", e))?;
            multiplexed.push((n.to_string(), st.to_string()));
        }
        let streams = StreamsConfig {
            select: globs("streams.select", &s.select)?,
            file: s.file.as_deref().map(|f| resolve(base, f)),
            stationxml: s.stationxml.as_deref().map(|f| resolve(base, f)),
            fdsn_station: s
                .fdsn_station
                .map(|f| {
                    if f.networks.is_empty() {
                        return Err(bad("streams.fdsn_station.networks", "must not be empty"));
                    }
                    if !(f.url.starts_with("http://") || f.url.starts_with("https://")) {
                        return Err(bad(
                            "streams.fdsn_station.url",
                            format!("{:?}: expected an http(s) URL", f.url),
                        ));
                    }
                    Ok(FdsnStationConfig {
                        url: f.url,
                        networks: f.networks,
                    })
                })
                .transpose()?,
            multiplexed,
            mapping: stream_mappings(&s.mapping)?,
        };
        if streams.select.is_empty()
            && streams.file.is_none()
            && streams.stationxml.is_none()
            && streams.fdsn_station.is_none()
        {
            return Err(bad(
                "streams",
                "no streams: set select, file, stationxml or fdsn_station",
            ));
        }
        // [window]
        let w = raw.window;
        let granularity = match w.granularity.as_str() {
            "hour" => Granularity::Hour,
            "day" => Granularity::Day,
            g => {
                return Err(bad(
                    "window.granularity",
                    format!("{g:?}: expected hour or day"),
                ))
            }
        };
        let max_units = match granularity {
            Granularity::Hour => limits::WINDOW_HOURS,
            Granularity::Day => limits::WINDOW_HOURS / 24,
        };
        let unit = match granularity {
            Granularity::Hour => " hours",
            Granularity::Day => " days",
        };
        let window = WindowSpec {
            granularity,
            frequency: at_most(
                "window.frequency",
                positive("window.frequency", w.frequency)?,
                max_units,
                unit,
            )?,
            length: at_most(
                "window.length",
                positive("window.length", w.length)?,
                max_units,
                unit,
            )?,
            latency: at_most(
                "window.latency",
                u32::try_from(w.latency)
                    .map_err(|_| bad("window.latency", format!("{} must be ≥ 0", w.latency)))?,
                max_units,
                unit,
            )?,
        };
        if window.length < window.frequency {
            return Err(bad(
                "window.length",
                format!(
                    "{} is shorter than window.frequency {}: data between two runs would never be analysed",
                    window.length, window.frequency
                ),
            ));
        }
        // [requests]
        let r = raw.requests;
        let mut requests = RequestPolicy::default();
        if let Some(retry) = r.retry {
            requests.retry = match (retry.count, retry.hours) {
                (Some(c), None) => RetryPolicy::Count(positive("requests.retry.count", c)?),
                (None, Some(h)) if h > 0.0 && h.is_finite() => RetryPolicy::Hours(at_most(
                    "requests.retry.hours",
                    h,
                    limits::RETRY_HOURS,
                    " hours",
                )?),
                (None, Some(h)) => {
                    return Err(bad("requests.retry.hours", format!("{h} must be > 0")))
                }
                _ => {
                    return Err(bad(
                        "requests.retry",
                        "expected exactly one of { count = N } or { hours = H }",
                    ))
                }
            };
        }
        if let Some(n) = r.in_flight {
            requests.in_flight = at_most(
                "requests.in_flight",
                positive("requests.in_flight", n)?,
                limits::IN_FLIGHT,
                "",
            )? as usize;
        }
        if let Some(wd) = r.widen_s {
            if !(wd >= 0.0 && wd.is_finite()) {
                return Err(bad("requests.widen_s", format!("{wd} must be ≥ 0")));
            }
            requests.widen_s = at_most("requests.widen_s", wd, limits::WIDEN_S, " s")?;
        }
        if let Some(m) = r.max_gaps_per_day_file {
            requests.max_gaps_per_day_file =
                positive("requests.max_gaps_per_day_file", m)? as usize;
        }
        if let Some(l) = r.lease_s {
            if !(l >= 0.3 && l.is_finite()) {
                return Err(bad("requests.lease_s", format!("{l} must be ≥ 0.3")));
            }
            requests.lease_s = at_most("requests.lease_s", l, limits::LEASE_S, " s")?;
        }
        if let Some(v) = &r.revisions {
            requests.revisions = parse_revisions(v)?;
        }
        // [[sources]]
        let mut sources = Vec::new();
        for (i, src) in raw.sources.into_iter().enumerate() {
            let key = |k: &str| format!("sources[{i}].{k}");
            let name = src.name.trim().to_string();
            if name.is_empty() || name.contains(|c: char| c == ',' || c.is_whitespace()) {
                return Err(bad(
                    &key("name"),
                    format!("{:?}: a non-empty name without spaces or commas", src.name),
                ));
            }
            if sources.iter().any(|s: &SourceConfig| s.name == name) {
                return Err(bad(&key("name"), format!("{name:?} is used twice")));
            }
            let need = |v: Option<String>, k: &str| {
                v.ok_or_else(|| bad(&key(k), format!("required for kind {:?}", src.kind)))
            };
            let unused = |v: &Option<String>, k: &str| -> Result<()> {
                if v.is_some() {
                    return Err(bad(&key(k), format!("not used by kind {:?}", src.kind)));
                }
                Ok(())
            };
            let kind = match src.kind.as_str() {
                "fdsn" => {
                    unused(&src.tsindex, "tsindex")?;
                    unused(&src.path, "path")?;
                    unused(&src.layout, "layout")?;
                    unused(&src.command, "command")?;
                    let url = need(src.url.clone(), "url")?;
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(bad(
                            &key("url"),
                            format!("{url:?}: expected an http(s) URL"),
                        ));
                    }
                    SourceSpec::Fdsn { url }
                }
                "archive" => {
                    unused(&src.tsindex, "tsindex")?;
                    unused(&src.url, "url")?;
                    unused(&src.command, "command")?;
                    let layout = src.layout.clone().unwrap_or_else(default_layout);
                    let path = need(src.path.clone(), "path")?;
                    if path.trim().is_empty() {
                        return Err(bad(&key("path"), "must not be empty"));
                    }
                    SourceSpec::Archive {
                        path: resolve(base, &path),
                        layout: layout.parse().map_err(|e| bad_from(&key("layout"), e))?,
                    }
                }
                "objectstore" => {
                    // a bucket prefix read as an archive (`archive::store`): the archive
                    // source with an `s3://` root
                    unused(&src.tsindex, "tsindex")?;
                    unused(&src.path, "path")?;
                    unused(&src.command, "command")?;
                    let url = need(src.url.clone(), "url")?;
                    let root = match crate::archive::store::ArchiveRoot::parse(&url) {
                        Ok(root @ crate::archive::store::ArchiveRoot::Object(_)) => root,
                        Ok(_) => {
                            return Err(bad(
                                &key("url"),
                                format!("{url:?}: expected s3://bucket/prefix"),
                            ))
                        }
                        Err(e) => return Err(bad_from(&key("url"), e)),
                    };
                    let layout = src.layout.clone().unwrap_or_else(default_layout);
                    SourceSpec::Archive {
                        path: root.to_path(),
                        layout: layout.parse().map_err(|e| bad_from(&key("layout"), e))?,
                    }
                }
                "tsindex" => {
                    unused(&src.url, "url")?;
                    unused(&src.layout, "layout")?;
                    unused(&src.command, "command")?;
                    SourceSpec::Tsindex {
                        catalogue: resolve_catalogue(base, &need(src.tsindex.clone(), "tsindex")?),
                        root: src.path.as_deref().map(|p| resolve(base, p)),
                    }
                }
                "program" => {
                    unused(&src.tsindex, "tsindex")?;
                    unused(&src.url, "url")?;
                    unused(&src.path, "path")?;
                    unused(&src.layout, "layout")?;
                    SourceSpec::Program {
                        command: resolve(base, &need(src.command.clone(), "command")?),
                        connect_infos: src.connect_infos.clone().unwrap_or_default(),
                    }
                }
                k => {
                    return Err(bad(
                        &key("kind"),
                        format!("{k:?}: expected fdsn, archive, objectstore, tsindex or program"),
                    ))
                }
            };
            if src.connect_infos.is_some() && !matches!(kind, SourceSpec::Program { .. }) {
                return Err(bad(&key("connect_infos"), "only for kind \"program\""));
            }
            let availability = match (src.availability.as_str(), &src.catalogue) {
                ("service", None) => AvailabilityMode::Service,
                ("assume", None) => AvailabilityMode::Assume,
                ("catalogue", Some(c)) => AvailabilityMode::Catalogue(resolve_catalogue(base, c)),
                ("catalogue", None) => {
                    return Err(bad(
                        &key("catalogue"),
                        "required with availability = \"catalogue\"",
                    ))
                }
                ("service" | "assume", Some(_)) => {
                    return Err(bad(
                        &key("catalogue"),
                        "only with availability = \"catalogue\"",
                    ))
                }
                (m, _) => {
                    return Err(bad(
                        &key("availability"),
                        format!("{m:?}: expected service, catalogue or assume"),
                    ))
                }
            };
            if src.bandwidth_bytes_per_s < 0 {
                return Err(bad(
                    &key("bandwidth_bytes_per_s"),
                    "must be ≥ 0 (0 = unlimited)",
                ));
            }
            if !(src.timeout_s > 0.0 && src.timeout_s.is_finite()) {
                return Err(bad(
                    &key("timeout_s"),
                    format!("{} must be > 0", src.timeout_s),
                ));
            }
            at_most(&key("timeout_s"), src.timeout_s, limits::TIMEOUT_S, " s")?;
            sources.push(SourceConfig {
                name,
                kind,
                priority: positive(&key("priority"), src.priority)?,
                select: globs(&key("select"), &src.select)?,
                availability,
                bandwidth_bytes_per_s: (src.bandwidth_bytes_per_s > 0)
                    .then_some(src.bandwidth_bytes_per_s as u64),
                in_flight: at_most(
                    &key("in_flight"),
                    positive(&key("in_flight"), src.in_flight)?,
                    limits::IN_FLIGHT,
                    "",
                )? as usize,
                timeout_s: src.timeout_s,
            });
        }
        sources.sort_by_key(|s| s.priority);
        let serve = serve_settings(raw.serve, base, &catalogue, &archive, &streams)?;
        Ok(Config {
            file: None,
            archive,
            catalogue,
            streams,
            window,
            requests,
            sources,
            serve,
        })
    }

    /// The source named `name`.
    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// Reads a Morumotto `nslc.list`: pipe-separated `NET|STA|LOC|CHA` lines, `#` comments
/// (the header `#Network | Station | Location | Channel`), blanks around fields ignored,
/// an empty location or `--` meaning none; duplicates (one line per epoch) are kept once.
///
/// # Errors
/// [`Error::Io`]; [`Error::Config`] naming the file and line for a malformed line or a bad
/// code.
pub fn read_nslc_list(path: &Path) -> Result<Vec<Nslc>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out: Vec<Nslc> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        if f.len() < 4 {
            return Err(Error::config(format!(
                "{}:{}: expected NET|STA|LOC|CHA, got {line:?}",
                path.display(),
                i + 1
            )));
        }
        let loc = if f[2] == "--" { "" } else { f[2] };
        let n = Nslc::new(f[0], f[1], loc, f[3]);
        n.validate()
            .map_err(|e| Error::config_from(format!("{}:{}: {e}", path.display(), i + 1), e))?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/config/siqaco.toml"),
        )
        .unwrap()
    }

    #[test]
    fn example_configuration_parses() {
        let c = Config::from_str_in(&example(), Path::new("/srv/siqaco")).unwrap();
        assert_eq!(c.archive.path, Path::new("/srv/siqaco/final"));
        assert_eq!(c.catalogue, "/srv/siqaco/siqaco.sqlite");
        assert_eq!(
            c.archive.output,
            OutputOptions {
                record_length: Some(4096),
                encoding: Some(11),
                format_version: Some(2),
                pub_version: Some(4),
            }
        );
        assert_eq!(c.window.granularity, Granularity::Hour);
        assert_eq!(
            (c.window.frequency, c.window.length, c.window.latency),
            (1, 2, 1)
        );
        assert_eq!(c.requests, RequestPolicy::default());
        assert_eq!(c.sources.len(), 2);
        assert_eq!(c.sources[0].name, "datacentre");
        assert_eq!(c.sources[0].bandwidth_bytes_per_s, None);
        assert_eq!(
            c.sources[1].kind,
            SourceSpec::Archive {
                path: "/mnt/backup/sds".into(),
                layout: Layout::Sds
            }
        );
    }

    #[test]
    fn serve_table() {
        let base = Path::new("/srv/siqaco");
        let c = Config::from_str_in(&example(), base).unwrap();
        let mut expected = ServeSettings::new("/srv/siqaco/siqaco.sqlite");
        expected.archive = Some("/srv/siqaco/final".into());
        assert_eq!(c.serve, expected);
        let text = example().replace(
            "restricted = []",
            "restricted = [\"XX.ST99.*.*\"]\ncredentials = \"auth/htdigest\"\n\
             stationxml = [\"a.xml\", \"/x/sx\"]\ncatalogue = \"postgresql://u@h/db\"\nqc = \"qc.json\"",
        );
        let c = Config::from_str_in(&text, base).unwrap();
        assert_eq!(c.serve.catalogue, "postgresql://u@h/db");
        assert_eq!(
            c.serve.qc.as_deref(),
            Some(Path::new("/srv/siqaco/qc.json"))
        );
        assert_eq!(c.serve.restricted[0].to_string(), "XX.ST99.*.*");
        assert_eq!(
            c.serve.credentials.as_deref(),
            Some(Path::new("/srv/siqaco/auth/htdigest"))
        );
        assert_eq!(
            c.serve.stationxml,
            [PathBuf::from("/srv/siqaco/a.xml"), PathBuf::from("/x/sx")]
        );
        for (from, to, key) in [
            (
                "max_concurrent = 64",
                "max_concurrent = 0",
                "serve.max_concurrent",
            ),
            (
                "max_bytes = 2147483648",
                "max_bytes = -1",
                "serve.max_bytes",
            ),
            (
                "bind = \"127.0.0.1:8080\"",
                "bind = \"localhost\"",
                "serve.bind",
            ),
            ("realm = \"FDSN\"", "realm = \"a:b\"", "serve.realm"),
            ("timeout_s = 600", "timeout_s = 0", "serve.timeout_s"),
            (
                "header_timeout_s = 30",
                "header_timeout_s = 30\nport = 1",
                "serve",
            ),
            (
                "restricted = []",
                "restricted = [\"XX.A.B.C.D\"]",
                "serve.restricted",
            ),
        ] {
            let e = Config::from_str_in(&example().replace(from, to), base).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!("configuration: {key}")),
                "{to}: {e}"
            );
        }
    }

    #[test]
    fn tsindex_source() {
        let text = format!(
            "{MIN}[[sources]]\nname = \"t\"\nkind = \"tsindex\"\ntsindex = \"idx/ts.sqlite\"\n\
             [[sources]]\nname = \"p\"\nkind = \"tsindex\"\npath = \"/data\"\n\
             tsindex = \"postgresql://u@127.0.0.1/ts\"\n"
        );
        let c = Config::from_str_in(&text, Path::new("/srv")).unwrap();
        assert_eq!(
            c.sources[0].kind,
            SourceSpec::Tsindex {
                catalogue: "/srv/idx/ts.sqlite".into(),
                root: None
            }
        );
        assert_eq!(
            c.sources[1].kind,
            SourceSpec::Tsindex {
                catalogue: "postgresql://u@127.0.0.1/ts".into(),
                root: Some("/data".into())
            }
        );
        assert!(err(&format!(
            "{MIN}[[sources]]\nname = \"t\"\nkind = \"tsindex\"\n"
        ))
        .contains("sources[0].tsindex"));
        assert!(err(&format!(
            "{MIN}[[sources]]\nname = \"a\"\nkind = \"archive\"\npath = \"x\"\ntsindex = \"y\"\n"
        ))
        .contains("sources[0].tsindex"));
    }

    fn err(text: &str) -> String {
        Config::from_str_in(text, Path::new("."))
            .unwrap_err()
            .to_string()
    }

    const MIN: &str =
        "[archive]\npath = \"a\"\n[catalogue]\nurl = \"c\"\n[streams]\nselect = [\"XX\"]\n";

    #[test]
    fn errors_name_the_key() {
        assert!(err(&format!("{MIN}[window]\ngranulrity = \"day\"\n")).contains("granulrity"));
        assert!(
            err(&MIN.replace("path = \"a\"", "path = \"a\"\nquality = \"X\""))
                .contains("archive.quality")
        );
        assert!(
            err(&MIN.replace("path = \"a\"", "path = \"a\"\nrecord_length = 1000"))
                .contains("archive")
        );
        assert!(err(&format!(
            "{MIN}[requests]\nretry = {{ count = 1, hours = 2 }}\n"
        ))
        .contains("requests.retry"));
        assert!(err(&format!("{MIN}[requests]\nretry = {{ tries = 1 }}\n")).contains("tries"));
        assert!(err(&format!("{MIN}[requests]\nin_flight = 0\n")).contains("requests.in_flight"));
        assert!(
            err(&format!("{MIN}[[sources]]\nname = \"a\"\nkind = \"ftp\"\n"))
                .contains("sources[0].kind")
        );
        assert!(err(&format!(
            "{MIN}[[sources]]\nname = \"a\"\nkind = \"fdsn\"\n"
        ))
        .contains("sources[0].url"));
        assert!(err(&format!(
            "{MIN}[[sources]]\nname = \"a\"\nkind = \"archive\"\npath = \"p\"\navailability = \"catalogue\"\n"
        ))
        .contains("sources[0].catalogue"));
        assert!(err(&format!(
            "{MIN}[[sources]]\nname = \"a\"\nkind = \"archive\"\npath = \"p\"\n[[sources]]\nname = \"a\"\nkind = \"archive\"\npath = \"q\"\n"
        ))
        .contains("used twice"));
        assert!(
            err("[archive]\npath = \"a\"\n[catalogue]\nurl = \"c\"\n[streams]\n")
                .contains("streams")
        );
        assert!(err(&MIN.replace("[\"XX\"]", "[\"X.Y.Z.W.V\"]")).contains("streams.select"));
    }

    #[test]
    fn sources_sorted_by_priority_and_defaults() {
        let c = Config::from_str_in(
            &format!(
                "{MIN}[[sources]]\nname = \"b\"\nkind = \"archive\"\npath = \"/b\"\npriority = 2\n\
                 [[sources]]\nname = \"a\"\nkind = \"program\"\ncommand = \"bin/x\"\n"
            ),
            Path::new("/etc"),
        )
        .unwrap();
        assert_eq!(c.sources[0].name, "a");
        assert_eq!(
            c.sources[0].kind,
            SourceSpec::Program {
                command: "/etc/bin/x".into(),
                connect_infos: String::new()
            }
        );
        assert_eq!(c.sources[0].availability, AvailabilityMode::Service);
        assert_eq!(c.sources[0].in_flight, 2);
        assert_eq!(c.window.granularity, Granularity::Hour);
    }

    #[test]
    fn nslc_list_as_morumotto_writes_it() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("nslc.list");
        std::fs::write(
            &f,
            "#Network | Station | Location | Channel\nG|AIS|00|BHE\nG | AIS | 00 | BHE\nG|AIS||BHZ\nG|AIS|--|BHN\n",
        )
        .unwrap();
        assert_eq!(
            read_nslc_list(&f).unwrap(),
            vec![
                Nslc::new("G", "AIS", "00", "BHE"),
                Nslc::new("G", "AIS", "", "BHZ"),
                Nslc::new("G", "AIS", "", "BHN")
            ]
        );
        std::fs::write(&f, "G|AIS\n").unwrap();
        assert!(read_nslc_list(&f)
            .unwrap_err()
            .to_string()
            .contains("nslc.list:1"));
    }

    /// The example configuration with the first line `from` replaced by `to`.
    fn example_with(from: &str, to: &str) -> String {
        let text = example();
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1)
    }

    /// Every wrong value or type of a key of docs/configuration.md is an error that names
    /// the key (issue #16: empty archive path accepted, window and timeout values that
    /// panicked later, in_flight values that hung, TOML type errors that named only a line).
    #[test]
    fn every_wrong_value_or_type_names_its_key() {
        let cases: &[(&str, &str, &str)] = &[
            ("path = \"final\"", "path = \"\"", "archive.path"),
            ("path = \"final\"", "path = \"  \"", "archive.path"),
            ("path = \"final\"", "path = 1", "archive.path"),
            ("layout = \"sds\"", "layout = 3", "archive.layout"),
            (
                "record_length = 4096",
                "record_length = 100",
                "archive.record_length",
            ),
            (
                "record_length = 4096",
                "record_length = 3000",
                "archive.record_length",
            ),
            (
                "record_length = 4096",
                "record_length = \"x\"",
                "archive.record_length",
            ),
            ("encoding = \"steim2\"", "encoding = 11", "archive.encoding"),
            (
                "format_version = 2",
                "format_version = \"2\"",
                "archive.format_version",
            ),
            ("quality = \"M\"", "quality = 1", "archive.quality"),
            ("url = \"siqaco.sqlite\"", "url = 1", "catalogue.url"),
            (
                "select = [\"XX.ST??.00.HH?\"]",
                "select = \"XX\"",
                "streams.select",
            ),
            (
                "select = [\"XX.ST??.00.HH?\"]",
                "select = [1]",
                "streams.select[0]",
            ),
            (
                "select = [\"XX.ST??.00.HH?\"]",
                "fdsn_station = { url = \"host\", networks = [\"XX\"] }",
                "streams.fdsn_station.url",
            ),
            (
                "granularity = \"hour\"",
                "granularity = 1",
                "window.granularity",
            ),
            ("frequency = 1 ", "frequency = 1.5 ", "window.frequency"),
            ("length = 2 ", "length = 4294967295 ", "window.length"),
            ("latency = 1 ", "latency = 4000000000 ", "window.latency"),
            ("retry = { count = 5 }", "retry = 5", "requests.retry"),
            (
                "retry = { count = 5 }",
                "retry = { hours = 1e300 }",
                "requests.retry.hours",
            ),
            (
                "in_flight = 4 ",
                "in_flight = 100000 ",
                "requests.in_flight",
            ),
            ("widen_s = 1.0", "widen_s = 1e300", "requests.widen_s"),
            ("widen_s = 1.0", "widen_s = \"x\"", "requests.widen_s"),
            (
                "max_gaps_per_day_file = 10",
                "max_gaps_per_day_file = 1.5",
                "requests.max_gaps_per_day_file",
            ),
            ("name = \"datacentre\"", "name = 1", "sources[0].name"),
            ("priority = 1 ", "priority = \"x\" ", "sources[0].priority"),
            (
                "in_flight = 2",
                "in_flight = 1000000000",
                "sources[0].in_flight",
            ),
            (
                "timeout_s = 60",
                "timeout_s = 1e300",
                "sources[0].timeout_s",
            ),
            (
                "timeout_s = 60",
                "timeout_s = \"x\"",
                "sources[0].timeout_s",
            ),
            (
                "path = \"/mnt/backup/sds\"",
                "path = \"\"",
                "sources[1].path",
            ),
        ];
        for (from, to, key) in cases {
            let e = Config::from_str_in(&example_with(from, to), Path::new("/srv/siqaco"))
                .expect_err(to);
            assert_eq!(e.kind(), crate::ErrorKind::Config, "{to}: {e}");
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("configuration: {key}: ")),
                "{to}: {text}"
            );
            assert!(!text.contains("Raw"), "{to}: {text}");
        }
    }

    /// `catalogue.url` naming a device, a directory or a missing directory, and
    /// `archive.path` naming a file, are refused naming the key, and nothing is created
    /// beside them (issue #16: `/dev/null` as catalogue created `/dev/null-journal`).
    #[test]
    fn paths_that_cannot_be_used_are_refused_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let cases = [
            (
                "url = \"siqaco.sqlite\"",
                "url = \"/dev/null\"",
                "catalogue.url",
                "character device",
            ),
            (
                "url = \"siqaco.sqlite\"",
                "url = \".\"",
                "catalogue.url",
                "directory",
            ),
            (
                "url = \"siqaco.sqlite\"",
                "url = \"no/such/dir/c.sqlite\"",
                "catalogue.url",
                "does not exist",
            ),
            (
                "path = \"final\"",
                "path = \"a-file\"",
                "archive.path",
                "not a directory",
            ),
        ];
        for (from, to, key, what) in cases {
            let cfg = dir.path().join("siqaco.toml");
            std::fs::write(&cfg, example_with(from, to)).unwrap();
            let text = Config::from_path(&cfg).expect_err(to).to_string();
            assert!(text.contains(&format!("siqaco.toml: {key}: ")), "{text}");
            assert!(text.contains(what), "{text}");
        }
        assert!(!Path::new("/dev/null-journal").exists());
        assert!(!Path::new("/dev/null-wal").exists());
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a-file", "siqaco.toml"]);
        // The example itself passes the same checks.
        std::fs::write(dir.path().join("siqaco.toml"), example()).unwrap();
        Config::from_path(&dir.path().join("siqaco.toml")).unwrap();
    }

    #[test]
    fn revisions_policy() {
        let parse = |v: &str| {
            Config::from_str_in(
                &format!("{MIN}[requests]\nrevisions = {v}\n"),
                Path::new("."),
            )
            .map(|c| c.requests.revisions)
        };
        assert_eq!(
            Config::from_str_in(MIN, Path::new("."))
                .unwrap()
                .requests
                .revisions,
            RevisionPolicy::Ignore
        );
        assert_eq!(parse("\"ignore\"").unwrap(), RevisionPolicy::Ignore);
        assert_eq!(parse("\"newest\"").unwrap(), RevisionPolicy::Newest);
        assert_eq!(parse("\"quality\"").unwrap(), RevisionPolicy::Quality);
        for bad in ["\"Newest\"", "\"latest\"", "\"\""] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("requests.revisions: {bad}: ")), "{e}");
            assert!(e.contains("\"newest\", \"quality\" or \"ignore\""), "{e}");
        }
        let e = parse("1").unwrap_err().to_string();
        assert!(e.contains("requests.revisions"), "{e}");
    }
}
