//! fdsnws-availability 1.0 (FDSN, 2019): what data the catalogue holds, as `extent` (per
//! stream, quality and sample rate: the earliest and latest time, the number of time spans,
//! when the data were last loaded, whether the stream is restricted) and `query` (the time
//! spans themselves).
//!
//! Time spans are siqaco's (`docs/gaps.md`), from the catalogue's stored traces
//! ([`Catalogue::stored_spans`]) joined across files with the trace rule of
//! [`crate::segment`], so `query` agrees with `siqaco scan` and `siqaco stats`:
//!
//! - by default a time span is a **trace** of one quality and sample rate (traces that
//!   overlap are listed each);
//! - `merge=overlap` lists the **segments** instead (the union of coverage,
//!   [`crate::gaps::analyze`]): exactly the `segments` of `siqaco scan --format json`;
//! - `merge=quality` and `merge=samplerate` put the data of every quality / rate of a
//!   stream in one group (the `Quality` / `SampleRate` columns are then left out);
//! - `mergegaps=S` joins consecutive time spans separated by a gap of at most `S` seconds;
//! - every time span is clipped to the request window;
//! - a span is written from its first sample (`Earliest`) to its **last sample**
//!   (`Latest`), as FDSN availability services write it and clients such as rover compare
//!   it with their own tsindex; the `request` format ends at the end of coverage (last
//!   sample + one period), dataselect's end being exclusive.
//!
//! `quality=B` (best) selects every quality, as the availability specification has no
//! "best" rule. Restricted streams ([`Access`]) are listed only with
//! `includerestricted=true` and when the request may see them; their `Restriction` is
//! `RESTRICTED`, others `OPEN`.
//!
//! `orderby` (extent: all five; query: `nslc_time_quality_samplerate`, `latestupdate`,
//! `latestupdate_desc`) orders the rows, then `limit` keeps the first rows (extent: rows;
//! query: time spans).

use super::{Access, FdsnQuery, ParamSpec, SelectionLine};
use crate::error::{Error, Result};
use crate::gaps::{analyze, AnalysisOptions};
use crate::index::{Catalogue, StoredSpan};
use crate::segment::{join_pieces_with, Piece, Tolerance};
use crate::sid::Nslc;
use crate::time::{civil, now_ns, period_ns};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::HashMap;

/// The service's own parameters (the selection ones are [`super::SELECTION_PARAMS`]).
pub const SPEC: &[ParamSpec] = &[
    ParamSpec::new("quality"),
    ParamSpec::new("merge"),
    ParamSpec::new("mergegaps"),
    ParamSpec::new("show"),
    ParamSpec::new("orderby"),
    ParamSpec::new("limit"),
    ParamSpec::new("includerestricted"),
    ParamSpec::new("format"),
    ParamSpec::new("nodata"),
];

/// Largest `mergegaps`, seconds (ten years: any larger value joins everything anyway).
const MAX_MERGEGAPS_S: f64 = 10.0 * 366.0 * 86_400.0;

/// The two query methods of the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// `/extent`: one row per stream, quality and sample rate.
    Extent,
    /// `/query`: one row per time span.
    Query,
}

/// Output formats (`format=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `text` (default): a `#` header line, then space-separated columns.
    Text,
    /// `geocsv`: GeoCSV 2.0, `|`-separated, with its `#` header lines.
    Geocsv,
    /// `json`: the FDSN availability JSON schema (`fdsnws-availability-1.0.schema.json`).
    Json,
    /// `request`: fdsnws-dataselect POST lines `NET STA LOC CHA START END`.
    Request,
}

impl Format {
    /// The HTTP content type of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text | Format::Request => "text/plain; charset=utf-8",
            Format::Geocsv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// Row orders (`orderby=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderBy {
    /// By stream, time, quality, sample rate (default).
    NslcTimeQualitySamplerate,
    /// By number of time spans, fewest first (extent only).
    TimespanCount,
    /// By number of time spans, most first (extent only).
    TimespanCountDesc,
    /// By the time the data were loaded, oldest first.
    LatestUpdate,
    /// By the time the data were loaded, newest first.
    LatestUpdateDesc,
}

/// An fdsnws-availability request, built from the HTTP parameters
/// ([`AvailabilityRequest::from_query`]) and run on a catalogue
/// ([`AvailabilityRequest::run`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AvailabilityRequest {
    /// `extent` or `query`.
    pub method: Method,
    /// The selection lines (streams and window each).
    pub lines: Vec<SelectionLine>,
    /// Only this quality (`D`, `R`, `Q`, `M`); `None` = every quality.
    pub quality: Option<char>,
    /// `merge=quality`: one group for every quality.
    pub merge_quality: bool,
    /// `merge=samplerate`: one group for every sample rate.
    pub merge_samplerate: bool,
    /// `merge=overlap`: list segments (the union) instead of traces.
    pub merge_overlap: bool,
    /// `mergegaps`: join time spans separated by at most this many seconds.
    pub mergegaps_s: Option<f64>,
    /// `show=latestupdate` (query): the `Updated` column.
    pub show_latest_update: bool,
    /// `orderby`.
    pub orderby: OrderBy,
    /// `limit`: at most this many rows.
    pub limit: Option<usize>,
    /// `includerestricted=true`: list restricted streams too (when [`Access`] allows).
    pub include_restricted: bool,
    /// `format`.
    pub format: Format,
    /// HTTP status for no data: 204 or 404.
    pub nodata: u16,
}

impl AvailabilityRequest {
    /// Reads the service's parameters from `q` (a GET or POST request of `method`).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the parameter: a value the specification does not
    /// allow (`merge` other than `quality`, `samplerate`, `overlap`; `mergegaps` not a
    /// number of seconds >= 0; `show` other than `latestupdate`; an `orderby` the method
    /// does not have; `limit` not a positive integer; `format` other than `text`, `geocsv`,
    /// `json`, `request`; a bad `quality`, `includerestricted` or `nodata`).
    pub fn from_query(method: Method, mut q: FdsnQuery) -> Result<AvailabilityRequest> {
        let quality = q.take_quality()?.filter(|&c| c != 'B');
        let (mut merge_quality, mut merge_samplerate, mut merge_overlap) = (false, false, false);
        if let Some(m) = q.take("merge") {
            for item in m.split(',') {
                match item.trim().to_ascii_lowercase().as_str() {
                    "quality" => merge_quality = true,
                    "samplerate" => merge_samplerate = true,
                    "overlap" => merge_overlap = true,
                    other => {
                        return Err(Error::field(
                            "merge",
                            format!("{other:?}: expected quality, samplerate or overlap"),
                        ))
                    }
                }
            }
        }
        let mergegaps_s = q.take_parsed::<f64>("mergegaps", "a number of seconds")?;
        if let Some(g) = mergegaps_s {
            if !(0.0..=MAX_MERGEGAPS_S).contains(&g) {
                return Err(Error::field(
                    "mergegaps",
                    format!("{g} is not between 0 and {MAX_MERGEGAPS_S} seconds"),
                ));
            }
        }
        let show_latest_update = q.take_one_of("show", &["latestupdate"])?.is_some();
        let orders: &[&'static str] = match method {
            Method::Extent => &[
                "nslc_time_quality_samplerate",
                "timespancount",
                "timespancount_desc",
                "latestupdate",
                "latestupdate_desc",
            ],
            Method::Query => &[
                "nslc_time_quality_samplerate",
                "latestupdate",
                "latestupdate_desc",
            ],
        };
        let orderby = match q.take_one_of("orderby", orders)? {
            Some("timespancount") => OrderBy::TimespanCount,
            Some("timespancount_desc") => OrderBy::TimespanCountDesc,
            Some("latestupdate") => OrderBy::LatestUpdate,
            Some("latestupdate_desc") => OrderBy::LatestUpdateDesc,
            _ => OrderBy::NslcTimeQualitySamplerate,
        };
        let limit = q.take_parsed::<usize>("limit", "a positive integer")?;
        if limit == Some(0) {
            return Err(Error::field("limit", "must be at least 1"));
        }
        let include_restricted = q.take_bool("includerestricted")?.unwrap_or(false);
        let format = match q.take_one_of("format", &["text", "geocsv", "json", "request"])? {
            Some("geocsv") => Format::Geocsv,
            Some("json") => Format::Json,
            Some("request") => Format::Request,
            _ => Format::Text,
        };
        let nodata = q.take_nodata()?;
        let lines = std::mem::take(&mut q.lines);
        q.finish()?;
        Ok(AvailabilityRequest {
            method,
            lines,
            quality,
            merge_quality,
            merge_samplerate,
            merge_overlap,
            mergegaps_s,
            show_latest_update,
            orderby,
            limit,
            include_restricted,
            format,
            nodata,
        })
    }

    /// Runs the request on `catalogue` for a client with `access`.
    ///
    /// # Errors
    /// [`Error::Database`] when the catalogue cannot be read.
    pub fn run(&self, catalogue: &Catalogue, access: &Access) -> Result<Availability> {
        let tol = Tolerance::default();
        let mut groups: Vec<Datasource> = Vec::new();
        let mut index: HashMap<(Nslc, Option<char>, Option<u64>), usize> = HashMap::new();
        for line in &self.lines {
            let window = match (line.start_ns, line.end_ns) {
                (None, None) => None,
                (s, e) => Some((s.unwrap_or(i64::MIN), e.unwrap_or(i64::MAX))),
            };
            for nslc in catalogue.streams(&line.streams)? {
                if !access.allows(&nslc)
                    || (!self.include_restricted && access.is_restricted(&nslc))
                {
                    continue;
                }
                let stored = catalogue.stored_spans(&nslc, window)?;
                let restricted = access.is_restricted(&nslc);
                for (quality, rate, spans) in self.group(stored, &tol) {
                    let spans = self.time_spans(spans, window, &tol);
                    if spans.is_empty() {
                        continue;
                    }
                    // selection lines naming the same stream add to one datasource
                    let key = (nslc.clone(), quality, rate.map(f64::to_bits));
                    match index.get(&key) {
                        Some(&i) => {
                            let g: &mut Datasource = &mut groups[i];
                            spans.into_iter().for_each(|s| g.push(s));
                            g.spans.sort_by_key(|s| (s.start_ns, s.end_ns));
                            g.spans.dedup();
                        }
                        None => {
                            index.insert(key, groups.len());
                            groups.push(Datasource::new(
                                nslc.clone(),
                                quality,
                                rate,
                                spans,
                                restricted,
                            ));
                        }
                    }
                }
            }
        }
        let datasources = match self.method {
            Method::Extent => self.extent_rows(groups),
            Method::Query => self.query_rows(groups),
        };
        Ok(Availability {
            method: self.method,
            created_ns: now_ns(),
            datasources,
            show_quality: !self.merge_quality,
            show_samplerate: !self.merge_samplerate,
            show_updated: self.method == Method::Extent || self.show_latest_update,
        })
    }

    /// The stored traces of one stream in groups of one quality and one sample rate (unless
    /// merged), in the order of their first trace.
    fn group(&self, stored: Vec<StoredSpan>, tol: &Tolerance) -> Vec<Group> {
        let mut out: Vec<Group> = Vec::new();
        for s in stored {
            if self.quality.is_some_and(|q| q != s.quality) {
                continue;
            }
            let q = (!self.merge_quality).then_some(s.quality);
            let r = (!self.merge_samplerate).then_some(s.piece.sample_rate_hz);
            let same_rate = |a: Option<f64>| match (a, r) {
                (Some(a), Some(b)) => tol.rates_equal(a, b),
                (None, None) => true,
                _ => false,
            };
            match out.iter_mut().find(|g| g.0 == q && same_rate(g.1)) {
                Some(g) => g.2.push(s),
                None => out.push((q, r, vec![s])),
            }
        }
        out
    }

    /// The time spans of one group: its traces (or segments with `merge=overlap`) clipped
    /// to the window, joined across gaps up to `mergegaps`; each with the latest load time
    /// of the data in it.
    fn time_spans(
        &self,
        stored: Vec<StoredSpan>,
        window: Option<(i64, i64)>,
        tol: &Tolerance,
    ) -> Vec<TimeSpan> {
        let pieces = stored
            .into_iter()
            .map(|s| (s.piece, s.updated_ns))
            .collect();
        let traces: Vec<(Piece, Option<i64>)> =
            join_pieces_with(pieces, tol, |_, _| true, |a, b| *a = (*a).max(b));
        let mut spans: Vec<TimeSpan> = if self.merge_overlap {
            let only: Vec<Piece> = traces.iter().map(|t| t.0).collect();
            let opts = AnalysisOptions {
                tolerance: *tol,
                window,
                ..Default::default()
            };
            analyze(&only, &opts)
                .segments
                .iter()
                .map(|seg| TimeSpan {
                    start_ns: seg.start_ns,
                    end_ns: seg.end_ns,
                    last_sample_ns: seg.last_sample_ns,
                    updated_ns: traces
                        .iter()
                        .filter(|t| t.0.start_ns < seg.end_ns && t.0.end_ns > seg.start_ns)
                        .filter_map(|t| t.1)
                        .max(),
                })
                .collect()
        } else {
            let (ws, we) = window.unwrap_or((i64::MIN, i64::MAX));
            traces
                .iter()
                .map(|(p, u)| TimeSpan {
                    start_ns: p.start_ns.max(ws),
                    end_ns: p.end_ns.min(we),
                    // cut by the window end: the last sample before it, as for segments
                    // (crate::gaps::analyze)
                    last_sample_ns: if p.last_sample_ns >= we {
                        we - period_ns(p.sample_rate_hz).round() as i64
                    } else {
                        p.last_sample_ns
                    },
                    updated_ns: *u,
                })
                .filter(|s| s.end_ns > s.start_ns)
                .collect()
        };
        spans.sort_by_key(|s| (s.start_ns, s.end_ns));
        if let Some(g) = self.mergegaps_s {
            spans = merge_gaps(spans, (g * 1e9).round() as i64);
        }
        spans
    }

    /// Extent rows: one per group, ordered and limited.
    fn extent_rows(&self, mut groups: Vec<Datasource>) -> Vec<Datasource> {
        groups.sort_by(|a, b| default_order(a, b, a.earliest_ns, b.earliest_ns));
        groups.dedup_by(|a, b| a.same_group(b) && a.spans == b.spans);
        let key = |d: &Datasource| match self.orderby {
            OrderBy::TimespanCount | OrderBy::TimespanCountDesc => d.spans.len() as i64,
            _ => d.updated_ns.unwrap_or(i64::MIN),
        };
        match self.orderby {
            OrderBy::NslcTimeQualitySamplerate => {}
            OrderBy::TimespanCount | OrderBy::LatestUpdate => groups.sort_by_key(key),
            OrderBy::TimespanCountDesc | OrderBy::LatestUpdateDesc => {
                groups.sort_by_key(|d| std::cmp::Reverse(key(d)))
            }
        }
        if let Some(n) = self.limit {
            groups.truncate(n);
        }
        groups
    }

    /// Query rows: every time span, ordered and limited, then consecutive spans of one
    /// group gathered into one datasource.
    fn query_rows(&self, groups: Vec<Datasource>) -> Vec<Datasource> {
        let mut rows: Vec<(usize, TimeSpan)> = groups
            .iter()
            .enumerate()
            .flat_map(|(i, g)| g.spans.iter().map(move |s| (i, *s)))
            .collect();
        let by_default = |a: &(usize, TimeSpan), b: &(usize, TimeSpan)| {
            default_order(&groups[a.0], &groups[b.0], a.1.start_ns, b.1.start_ns)
                .then(a.1.end_ns.cmp(&b.1.end_ns))
        };
        rows.sort_by(by_default);
        rows.dedup_by(|a, b| groups[a.0].same_group(&groups[b.0]) && a.1 == b.1);
        let updated = |r: &(usize, TimeSpan)| r.1.updated_ns.unwrap_or(i64::MIN);
        match self.orderby {
            OrderBy::LatestUpdate => rows.sort_by_key(updated),
            OrderBy::LatestUpdateDesc => rows.sort_by_key(|r| std::cmp::Reverse(updated(r))),
            _ => {}
        }
        if let Some(n) = self.limit {
            rows.truncate(n);
        }
        let mut out: Vec<Datasource> = Vec::new();
        for (i, span) in rows {
            match out.last_mut() {
                Some(d) if d.same_group(&groups[i]) => d.push(span),
                _ => {
                    let g = &groups[i];
                    out.push(Datasource::new(
                        g.nslc.clone(),
                        g.quality,
                        g.sample_rate_hz,
                        vec![span],
                        g.restricted,
                    ))
                }
            }
        }
        out
    }
}

/// The stored traces of one quality (`None`: merged) and one sample rate (`None`: merged).
type Group = (Option<char>, Option<f64>, Vec<StoredSpan>);

/// Joins consecutive time spans (sorted by start) separated by a gap of at most `gap_ns`.
fn merge_gaps(spans: Vec<TimeSpan>, gap_ns: i64) -> Vec<TimeSpan> {
    let mut out: Vec<TimeSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(p) if s.start_ns >= p.end_ns && s.start_ns - p.end_ns <= gap_ns => {
                if s.end_ns > p.end_ns {
                    p.end_ns = s.end_ns;
                    p.last_sample_ns = s.last_sample_ns;
                }
                p.updated_ns = p.updated_ns.max(s.updated_ns);
            }
            _ => out.push(s),
        }
    }
    out
}

/// `nslc_time_quality_samplerate`: stream, then time, then quality, then sample rate.
fn default_order(a: &Datasource, b: &Datasource, ta: i64, tb: i64) -> Ordering {
    a.nslc
        .cmp(&b.nslc)
        .then(ta.cmp(&tb))
        .then(a.quality.cmp(&b.quality))
        .then(
            a.sample_rate_hz
                .unwrap_or(0.0)
                .total_cmp(&b.sample_rate_hz.unwrap_or(0.0)),
        )
}

/// One time span `[start_ns, end_ns)` (ns since 1970 UTC), its last sample and the latest
/// load time of the data in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TimeSpan {
    /// First sample (or the window start), ns: the `Earliest` column.
    pub start_ns: i64,
    /// End of coverage: last sample + one period (or the window end), ns, exclusive. Gaps
    /// (`mergegaps`) are measured from it, as in `docs/gaps.md`.
    pub end_ns: i64,
    /// The last sample (cut by the window end: one period before it), ns: the `Latest`
    /// column, as FDSN availability services and their clients (rover) write it.
    pub last_sample_ns: i64,
    /// When the data in it were last loaded (tsindex `updated`), ns; `None` when unknown.
    pub updated_ns: Option<i64>,
}

/// The time spans of one stream, quality and sample rate (one row of `extent`; a run of
/// rows of `query`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Datasource {
    /// The stream.
    pub nslc: Nslc,
    /// The data quality; `None` with `merge=quality`.
    pub quality: Option<char>,
    /// The sample rate, Hz; `None` with `merge=samplerate`.
    pub sample_rate_hz: Option<f64>,
    /// The time spans, in time order (for `query`: those of this run of rows).
    pub spans: Vec<TimeSpan>,
    /// Start of the first time span, ns (`Earliest`).
    pub earliest_ns: i64,
    /// Last sample of the last time span, ns (`Latest`).
    pub latest_ns: i64,
    /// End of coverage of the last time span, ns, exclusive.
    pub end_ns: i64,
    /// Latest load time of the data, ns.
    pub updated_ns: Option<i64>,
    /// Whether the stream is restricted ([`Access::is_restricted`]).
    pub restricted: bool,
}

impl Datasource {
    fn new(
        nslc: Nslc,
        quality: Option<char>,
        sample_rate_hz: Option<f64>,
        spans: Vec<TimeSpan>,
        restricted: bool,
    ) -> Datasource {
        let mut d = Datasource {
            nslc,
            quality,
            sample_rate_hz,
            spans: Vec::new(),
            earliest_ns: i64::MAX,
            latest_ns: i64::MIN,
            end_ns: i64::MIN,
            updated_ns: None,
            restricted,
        };
        for s in spans {
            d.push(s);
        }
        d
    }

    fn push(&mut self, s: TimeSpan) {
        self.earliest_ns = self.earliest_ns.min(s.start_ns);
        self.latest_ns = self.latest_ns.max(s.last_sample_ns);
        self.end_ns = self.end_ns.max(s.end_ns);
        self.updated_ns = self.updated_ns.max(s.updated_ns);
        self.spans.push(s);
    }

    fn same_group(&self, other: &Datasource) -> bool {
        self.nslc == other.nslc
            && self.quality == other.quality
            && self.sample_rate_hz == other.sample_rate_hz
    }
}

/// The answer of an availability request: its rows, and which optional columns show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Availability {
    /// `extent` or `query`.
    pub method: Method,
    /// When the answer was made, ns since 1970 UTC (JSON `created`).
    pub created_ns: i64,
    /// The rows: for `extent` one per datasource, for `query` one per time span of each.
    pub datasources: Vec<Datasource>,
    /// The `Quality` column shows (not `merge=quality`).
    pub show_quality: bool,
    /// The `SampleRate` column shows (not `merge=samplerate`).
    pub show_samplerate: bool,
    /// The `Updated` column shows (`extent`, or `query` with `show=latestupdate`).
    pub show_updated: bool,
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, as the specification writes time spans).
fn iso_us(ns: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ns);
    let us = ns.rem_euclid(1_000_000_000) / 1000;
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z")
}

/// `YYYY-MM-DDTHH:MM:SSZ` (the `Updated` column).
fn iso_s(ns: Option<i64>) -> String {
    match ns {
        Some(ns) => {
            let (y, mo, d, h, mi, s) = civil(ns);
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
        }
        None => String::new(),
    }
}

/// A sample rate as the specification's examples write it (`20.0`, `0.1`).
fn rate_text(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.1}")
    } else {
        format!("{r}")
    }
}

/// One column of the text and GeoCSV formats: name, GeoCSV unit and type.
type Column = (&'static str, &'static str, &'static str);

/// The JSON document of the FDSN availability schema.
#[derive(Serialize)]
struct JsonDocument<'a> {
    created: String,
    version: f64,
    datasources: Vec<JsonDatasource<'a>>,
}

/// A datasource of the JSON document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDatasource<'a> {
    network: &'a str,
    station: &'a str,
    location: &'a str,
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    samplerate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timespans: Option<Vec<[String; 2]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    earliest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timespan_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restriction: Option<&'static str>,
}

impl Availability {
    /// Whether there is no row (the service answers `nodata`).
    pub fn is_empty(&self) -> bool {
        self.datasources.is_empty()
    }

    /// The answer in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.table(" ", false),
            Format::Geocsv => self.table("|", true),
            Format::Json => self.json(),
            Format::Request => self.request(),
        }
    }

    fn columns(&self) -> Vec<Column> {
        let mut c: Vec<Column> = vec![
            ("Network", "unitless", "string"),
            ("Station", "unitless", "string"),
            ("Location", "unitless", "string"),
            ("Channel", "unitless", "string"),
        ];
        if self.show_quality {
            c.push(("Quality", "unitless", "string"));
        }
        if self.show_samplerate {
            c.push(("SampleRate", "hertz", "float"));
        }
        c.push(("Earliest", "ISO_8601", "datetime"));
        c.push(("Latest", "ISO_8601", "datetime"));
        if self.show_updated {
            c.push(("Updated", "ISO_8601", "datetime"));
        }
        if self.method == Method::Extent {
            c.push(("TimeSpans", "unitless", "integer"));
            c.push(("Restriction", "unitless", "string"));
        }
        c
    }

    /// The rows as lists of fields: one per datasource (extent) or per time span (query).
    fn rows(&self, blank_location: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for d in &self.datasources {
            let loc = if d.nslc.location.is_empty() {
                blank_location.to_string()
            } else {
                d.nslc.location.clone()
            };
            let mut head = vec![
                d.nslc.network.clone(),
                d.nslc.station.clone(),
                loc,
                d.nslc.channel.clone(),
            ];
            if self.show_quality {
                head.push(d.quality.map(String::from).unwrap_or_default());
            }
            if self.show_samplerate {
                head.push(d.sample_rate_hz.map(rate_text).unwrap_or_default());
            }
            match self.method {
                Method::Extent => {
                    let mut r = head;
                    r.push(iso_us(d.earliest_ns));
                    r.push(iso_us(d.latest_ns));
                    r.push(iso_s(d.updated_ns));
                    r.push(d.spans.len().to_string());
                    r.push(restriction(d.restricted).to_string());
                    out.push(r);
                }
                Method::Query => {
                    for s in &d.spans {
                        let mut r = head.clone();
                        r.push(iso_us(s.start_ns));
                        r.push(iso_us(s.last_sample_ns));
                        if self.show_updated {
                            r.push(iso_s(s.updated_ns));
                        }
                        out.push(r);
                    }
                }
            }
        }
        out
    }

    /// `text` (`sep` = space; the blank location as `--`) or `geocsv` (`sep` = `|`, the
    /// GeoCSV 2.0 header lines, the blank location empty).
    fn table(&self, sep: &str, geocsv: bool) -> String {
        let cols = self.columns();
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        let mut out = String::new();
        if geocsv {
            let units: Vec<&str> = cols.iter().map(|c| c.1).collect();
            let types: Vec<&str> = cols.iter().map(|c| c.2).collect();
            out.push_str("#dataset: GeoCSV 2.0\n#delimiter: |\n");
            out.push_str(&format!("#field_unit: {}\n", units.join("|")));
            out.push_str(&format!("#field_type: {}\n", types.join("|")));
            out.push_str(&names.join(sep));
        } else {
            out.push('#');
            out.push_str(&names.join(sep));
        }
        out.push('\n');
        for r in self.rows(if geocsv { "" } else { "--" }) {
            out.push_str(&r.join(sep));
            out.push('\n');
        }
        out
    }

    /// `request`: one `NET STA LOC CHA START END` line per row, the blank location `--`;
    /// `END` is the end of coverage (last sample + one period), so that a dataselect
    /// request, whose end is exclusive, gets the last sample.
    fn request(&self) -> String {
        let mut out = String::new();
        for d in &self.datasources {
            let loc = if d.nslc.location.is_empty() {
                "--"
            } else {
                &d.nslc.location
            };
            let spans: Vec<(i64, i64)> = match self.method {
                Method::Extent => vec![(d.earliest_ns, d.end_ns)],
                Method::Query => d.spans.iter().map(|s| (s.start_ns, s.end_ns)).collect(),
            };
            for (s, e) in spans {
                out.push_str(&format!(
                    "{} {} {loc} {} {} {}\n",
                    d.nslc.network,
                    d.nslc.station,
                    d.nslc.channel,
                    iso_us(s),
                    iso_us(e)
                ));
            }
        }
        out
    }

    /// `json`: the document of the FDSN availability JSON schema.
    fn json(&self) -> String {
        let datasources = self
            .datasources
            .iter()
            .map(|d| {
                let extent = self.method == Method::Extent;
                JsonDatasource {
                    network: &d.nslc.network,
                    station: &d.nslc.station,
                    location: &d.nslc.location,
                    channel: &d.nslc.channel,
                    quality: d.quality.map(String::from),
                    samplerate: d.sample_rate_hz,
                    timespans: (!extent).then(|| {
                        d.spans
                            .iter()
                            .map(|s| [iso_us(s.start_ns), iso_us(s.last_sample_ns)])
                            .collect()
                    }),
                    earliest: extent.then(|| iso_us(d.earliest_ns)),
                    latest: extent.then(|| iso_us(d.latest_ns)),
                    updated: (self.show_updated && d.updated_ns.is_some())
                        .then(|| iso_s(d.updated_ns)),
                    timespan_count: extent.then_some(d.spans.len()),
                    restriction: extent.then_some(restriction(d.restricted)),
                }
            })
            .collect();
        let doc = JsonDocument {
            created: iso_s(Some(self.created_ns)),
            version: 1.0,
            datasources,
        };
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    }
}

fn restriction(restricted: bool) -> &'static str {
    if restricted {
        "RESTRICTED"
    } else {
        "OPEN"
    }
}

#[cfg(test)]
mod tests;
