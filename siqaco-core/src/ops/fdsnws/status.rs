//! The status page of `siqaco serve` (`/` and the JSON under `/api/`): what Morumotto's
//! monitoring, request stack and QC pages showed, live from the catalogue.
//!
//! One request ([`StatusRequest`], from the page's parameters) gives each part the page
//! draws, each a typed result that serialises as its `/api/` document:
//!
//! - [`StatusRequest::streams`]: the figures' data of `siqaco report`
//!   ([`ReportData`]: per stream its summary, availability per UTC day, segments, gaps
//!   and overlaps; `/api/streams`, the calendar and the timeline);
//! - [`StatusRequest::stack`]: the request stack of `siqaco update`, counted by state, and
//!   its requests as `siqaco stack list --format json` lists them ([`StackStatus`],
//!   `/api/stack`);
//! - [`StatusRequest::runs`]: the last update runs the catalogue recorded ([`RunStatus`],
//!   `/api/runs`);
//! - [`StatusRequest::qc`]: the findings of the QC JSON document the server was given
//!   ([`QcStatus`], `/api/qc`);
//! - [`StatusRequest::run`]: all of them ([`StatusReport`], `/api/status`).
//!
//! Parameters (GET; names case-insensitive, [`FdsnQuery`]): `starttime`/`start`,
//! `endtime`/`end` (the window, as `siqaco report --start/--end`: default the data's
//! extent widened to whole UTC days), `network`/`net`, `station`/`sta`,
//! `location`/`loc`, `channel`/`cha` (comma lists with `*` and `?`, `--` the blank
//! location), `runs` (how many runs, default [`DEFAULT_RUNS`], at most [`MAX_RUNS`]) and
//! `state` (a comma list of request states the stack lists; default all). The selection
//! and the window apply to every part: the streams, the stack's requests (those whose
//! window intersects it) and the QC findings.
//!
//! Restricted streams ([`Access`]) are left out of every part unless the request is
//! authenticated: their streams, requests and findings, and, since they could name them,
//! the unreadable files of the catalogue and the request lines and warnings of the runs'
//! summaries.

use super::params::{FdsnQuery, ParamSpec};
use super::Access;
use crate::error::{Error, Result};
use crate::index::Catalogue;
use crate::ops::ReportDataRequest;
use crate::plot::{read_qc_json, report_data_json, ReportData};
use crate::sid::{selected, Nslc, NslcGlob};
use crate::time::format_time;
use crate::update::stack::{self, Request, RequestState, Run};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The status page's own parameters (besides the selection and the window).
pub const SPEC: &[ParamSpec] = &[ParamSpec::new("runs"), ParamSpec::new("state")];

/// Runs listed when `runs` is not given.
pub const DEFAULT_RUNS: usize = 20;

/// Most runs one request may list.
pub const MAX_RUNS: usize = 1000;

/// Every request state, in the order the stack counts them.
const STATES: [RequestState; 7] = [
    RequestState::New,
    RequestState::InProgress,
    RequestState::Succeeded,
    RequestState::Retry,
    RequestState::Failed,
    RequestState::OnHold,
    RequestState::Cancelled,
];

/// What the status page shows: the selection, the window and how much of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusRequest {
    /// The streams shown (globs; empty = all).
    pub select: Vec<NslcGlob>,
    /// Window start, ns (open-ended rule of `siqaco report`; default: the data's extent).
    pub start_ns: Option<i64>,
    /// Window end, ns, exclusive.
    pub end_ns: Option<i64>,
    /// How many of the last runs are listed (1 to [`MAX_RUNS`]).
    pub runs: usize,
    /// The request states the stack lists (empty = all); the counts are always of every
    /// state.
    pub states: Vec<RequestState>,
    /// The time latencies are measured from, ns (default: the clock when run).
    pub now_ns: Option<i64>,
}

impl Default for StatusRequest {
    fn default() -> Self {
        StatusRequest {
            select: Vec::new(),
            start_ns: None,
            end_ns: None,
            runs: DEFAULT_RUNS,
            states: Vec::new(),
            now_ns: None,
        }
    }
}

/// The request stack as the status page shows it (`/api/stack`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StackStatus {
    /// Requests per state, every state present (0 when none), of the requests shown
    /// (selection, window and access applied; not the `state` filter).
    pub counts: BTreeMap<RequestState, u64>,
    /// The requests shown (selection, window, access and `state` applied), by id.
    pub requests: Vec<Request>,
}

/// One update run as the status page shows it (`/api/runs`): the catalogue's record
/// ([`Run`]); for an anonymous request on a server with restricted streams, the summary
/// without its `planned` request lines and `warnings`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunStatus(pub Run);

/// The QC findings as the status page shows them (`/api/qc`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct QcStatus {
    /// Whether the server was given a QC JSON document (`--qc`); when not, everything else
    /// is empty.
    pub configured: bool,
    /// The document's `worst_severity` (`None` when not configured or not given).
    pub worst_severity: Option<String>,
    /// Findings shown per severity (`error`, `warning`, `info`...).
    pub counts: BTreeMap<String, u64>,
    /// The findings shown, as the document gives them (`docs/qc.md`): those of the
    /// selected streams the request may see (by their `nslc` codes, split at the dots)
    /// whose time span intersects the window; a finding without a stream only when no
    /// stream is hidden from the request.
    pub findings: Vec<Value>,
}

/// Everything the status page shows (`/api/status`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StatusReport {
    /// When it was made, ns.
    pub generated_ns: i64,
    /// The figures' data.
    pub data: ReportData,
    /// The request stack.
    pub stack: StackStatus,
    /// The last runs, newest first.
    pub runs: Vec<RunStatus>,
    /// The QC findings.
    pub qc: QcStatus,
}

/// Whether anything is hidden from the request: restricted streams exist and it is not
/// authenticated.
fn hides(access: &Access) -> bool {
    !access.authenticated && !access.restricted.is_empty()
}

impl StatusRequest {
    /// The request of a GET query (one selection line; `SPEC`'s parameters).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the parameter: `runs` not a whole number from 1 to
    /// [`MAX_RUNS`], an unknown `state`, a POST body with more than one selection line, any
    /// parameter the page does not take.
    pub fn from_query(mut q: FdsnQuery) -> Result<StatusRequest> {
        let runs = q
            .take_parsed::<usize>("runs", "a whole number")?
            .unwrap_or(DEFAULT_RUNS);
        if !(1..=MAX_RUNS).contains(&runs) {
            return Err(Error::field(
                "runs",
                format!("{runs} is not between 1 and {MAX_RUNS}"),
            ));
        }
        let states = match q.take("state") {
            Some(v) => crate::ops::parse_fields::<RequestState, _>(
                "state",
                &v.split(',').map(str::trim).collect::<Vec<_>>(),
            )?,
            None => Vec::new(),
        };
        let mut lines = std::mem::take(&mut q.lines);
        q.finish()?;
        if lines.len() > 1 {
            return Err(Error::field(
                "line 2",
                "the status page takes one selection",
            ));
        }
        let line = lines.pop();
        let select = line.as_ref().map(|l| l.streams.clone()).unwrap_or_default();
        Ok(StatusRequest {
            select,
            start_ns: line.as_ref().and_then(|l| l.start_ns),
            end_ns: line.as_ref().and_then(|l| l.end_ns),
            runs,
            states,
            now_ns: None,
        })
    }

    /// Whether the request shows the stream or request key `nslc`.
    fn shows(&self, access: &Access, nslc: &Nslc) -> bool {
        (self.select.is_empty() || selected(&self.select, nslc)) && access.allows(nslc)
    }

    /// The figures' data of the selected streams `access` allows, over the window.
    ///
    /// # Errors
    /// [`Error::InvalidField`] (`end_ns`) for an end not after the start;
    /// [`Error::Database`].
    pub fn streams(&self, catalogue: &Catalogue, access: &Access) -> Result<ReportData> {
        let mut request = ReportDataRequest::new(catalogue.target());
        request.select = self.select.clone();
        request.start_ns = self.start_ns;
        request.end_ns = self.end_ns;
        request.now_ns = self.now_ns;
        let mut data = request.run_on(catalogue, |n| access.allows(n))?;
        if hides(access) {
            data.errors.clear();
        }
        Ok(data)
    }

    /// The request stack: the requests of the selected streams `access` allows whose window
    /// intersects the request's, counted by state, and those in [`StatusRequest::states`].
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn stack(&self, catalogue: &Catalogue, access: &Access) -> Result<StackStatus> {
        let shown: Vec<Request> = stack::list(catalogue, &[], None)?
            .into_iter()
            .filter(|r| {
                self.shows(access, &r.nslc)
                    && self.start_ns.is_none_or(|s| r.end_ns > s)
                    && self.end_ns.is_none_or(|e| r.start_ns < e)
            })
            .collect();
        let mut counts: BTreeMap<RequestState, u64> = STATES.iter().map(|s| (*s, 0)).collect();
        for r in &shown {
            *counts.entry(r.state).or_default() += 1;
        }
        let requests = shown
            .into_iter()
            .filter(|r| self.states.is_empty() || self.states.contains(&r.state))
            .collect();
        Ok(StackStatus { counts, requests })
    }

    /// The last [`StatusRequest::runs`] runs, newest first.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn runs(&self, catalogue: &Catalogue, access: &Access) -> Result<Vec<RunStatus>> {
        Ok(stack::runs(catalogue, self.runs)?
            .into_iter()
            .map(|mut run| {
                if hides(access) {
                    if let Some(Value::Object(m)) = &mut run.summary {
                        m.remove("planned");
                        m.remove("warnings");
                    }
                }
                RunStatus(run)
            })
            .collect())
    }

    /// The findings of the QC JSON document `qc` (`None`: not configured) of the selected
    /// streams `access` allows that intersect the window.
    ///
    /// # Errors
    /// As [`read_qc_json`] (a document that cannot be read or is not QC JSON).
    pub fn qc(&self, qc: Option<&Path>, access: &Access) -> Result<QcStatus> {
        let Some(path) = qc else {
            return Ok(QcStatus {
                configured: false,
                worst_severity: None,
                counts: BTreeMap::new(),
                findings: Vec::new(),
            });
        };
        let doc = read_qc_json(path)?;
        let time = |f: &Value, k: &str| {
            f.get(k)
                .and_then(Value::as_str)
                .and_then(|t| crate::time::parse_time(t).ok())
        };
        let findings: Vec<Value> = doc["findings"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|f| {
                // the codes as the document gives them (not re-validated: a finding may
                // be about codes the FDSN rules refuse)
                let nslc = f.get("nslc").and_then(Value::as_str).and_then(|s| {
                    let mut p = s.splitn(4, '.').map(str::to_string);
                    Some(Nslc {
                        network: p.next()?,
                        station: p.next()?,
                        location: p.next()?,
                        channel: p.next()?,
                    })
                });
                let stream_ok = match &nslc {
                    Some(n) => self.shows(access, n),
                    None => !hides(access),
                };
                stream_ok
                    && self
                        .start_ns
                        .is_none_or(|s| time(f, "end").is_none_or(|e| e > s))
                    && self
                        .end_ns
                        .is_none_or(|e| time(f, "start").is_none_or(|s| s < e))
            })
            .cloned()
            .collect();
        let mut counts = BTreeMap::new();
        for f in &findings {
            let sev = f
                .get("severity")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            *counts.entry(sev.to_string()).or_default() += 1;
        }
        Ok(QcStatus {
            configured: true,
            worst_severity: doc
                .get("worst_severity")
                .and_then(Value::as_str)
                .map(str::to_string),
            counts,
            findings,
        })
    }

    /// Everything the page shows.
    ///
    /// # Errors
    /// As [`StatusRequest::streams`], [`StatusRequest::stack`], [`StatusRequest::runs`] and
    /// [`StatusRequest::qc`].
    pub fn run(
        &self,
        catalogue: &Catalogue,
        qc: Option<&Path>,
        access: &Access,
    ) -> Result<StatusReport> {
        Ok(StatusReport {
            generated_ns: self.now_ns.unwrap_or_else(crate::time::now_ns),
            data: self.streams(catalogue, access)?,
            stack: self.stack(catalogue, access)?,
            runs: self.runs(catalogue, access)?,
            qc: self.qc(qc, access)?,
        })
    }
}

impl Serialize for StackStatus {
    /// `{"counts": {"new": n, "in_progress": n, ...every state}, "total": n,
    /// "requests": [...]}`, each request as `siqaco stack list --format json` gives it
    /// ([`Request::to_json`]).
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let counts: serde_json::Map<String, Value> = self
            .counts
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), json!(v)))
            .collect();
        let requests = self
            .requests
            .iter()
            .map(Request::to_json)
            .collect::<Result<Vec<_>>>()
            .map_err(serde::ser::Error::custom)?;
        json!({
            "counts": counts,
            "total": self.counts.values().sum::<u64>(),
            "requests": requests,
        })
        .serialize(s)
    }
}

impl Serialize for RunStatus {
    /// `{"id", "started", "finished" (null while running), "window_start", "window_end"
    /// (ISO 8601), "summary" (the run's document, null while running)}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let r = &self.0;
        json!({
            "id": r.id,
            "started": format_time(r.started_ns),
            "finished": r.finished_ns.map(format_time),
            "window_start": format_time(r.window_start_ns),
            "window_end": format_time(r.window_end_ns),
            "summary": r.summary,
        })
        .serialize(s)
    }
}

impl Serialize for QcStatus {
    /// `{"configured", "worst_severity", "counts": {severity: n}, "findings": [...]}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        json!({
            "configured": self.configured,
            "worst_severity": self.worst_severity,
            "counts": self.counts,
            "findings": self.findings,
        })
        .serialize(s)
    }
}

impl Serialize for StatusReport {
    /// `{"generated", "window", "days", "days_contiguous", "streams" (the figures' data
    /// of each stream without its segments, gaps and overlaps: `/api/streams` has them),
    /// "errors" (unreadable files), "stack", "runs", "qc"}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut data = report_data_json(&self.data);
        if let Some(streams) = data["streams"].as_array_mut() {
            for st in streams.iter_mut().filter_map(Value::as_object_mut) {
                for k in ["segments", "gaps", "overlaps"] {
                    st.remove(k);
                }
            }
        }
        let errors: Vec<Value> = self
            .data
            .errors
            .iter()
            .map(|e| json!({"path": e.path, "offset": e.offset, "message": e.message}))
            .collect();
        json!({
            "generated": format_time(self.generated_ns),
            "window": data["window"],
            "days": data["days"],
            "days_contiguous": data["days_contiguous"],
            "streams": data["streams"],
            "errors": errors,
            "stack": self.stack,
            "runs": self.runs,
            "qc": self.qc,
        })
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&str, &str)]) -> Result<StatusRequest> {
        StatusRequest::from_query(FdsnQuery::from_pairs(pairs, SPEC)?)
    }

    #[test]
    fn parameters_are_read_and_refused_by_name() {
        let r = request(&[]).unwrap();
        assert_eq!((r.runs, r.states.clone()), (DEFAULT_RUNS, vec![]));
        assert_eq!((r.start_ns, r.end_ns), (None, None));
        let r = request(&[
            ("start", "2016-03-10"),
            ("END", "2016-03-13"),
            ("net", "BW"),
            ("loc", "--"),
            ("runs", "3"),
            ("state", "new, on_hold"),
        ])
        .unwrap();
        assert_eq!(r.runs, 3);
        assert_eq!(r.states, [RequestState::New, RequestState::OnHold]);
        assert_eq!(
            r.start_ns,
            Some(crate::time::parse_time("2016-03-10").unwrap())
        );
        assert_eq!(r.select.len(), 1);
        let g = &r.select[0];
        assert_eq!((g.network.as_str(), g.location.as_str()), ("BW", ""));
        for (pairs, field) in [
            (&[("runs", "0")][..], "runs"),
            (&[("runs", "1001")][..], "runs"),
            (&[("runs", "many")][..], "runs"),
            (&[("state", "done")][..], "state"),
            (&[("nodata", "404")][..], "nodata"),
            (
                &[("start", "2016-03-13"), ("end", "2016-03-10")][..],
                "endtime",
            ),
        ] {
            let e = request(pairs).unwrap_err();
            assert_eq!(e.field_name(), Some(field), "{pairs:?}: {e}");
        }
        let post = FdsnQuery::from_post(
            "BW FFB1 -- HHZ 2016-03-10 2016-03-11\nBW FFB2 -- HHZ 2016-03-10 2016-03-11\n",
            SPEC,
            10,
            false,
        )
        .unwrap();
        assert_eq!(
            StatusRequest::from_query(post).unwrap_err().field_name(),
            Some("line 2")
        );
    }

    #[test]
    fn without_a_qc_document_nothing_is_shown() {
        let qc = StatusRequest::default()
            .qc(None, &Access::default())
            .unwrap();
        assert!(!qc.configured && qc.findings.is_empty() && qc.counts.is_empty());
        let json = serde_json::to_value(&qc).unwrap();
        assert_eq!(json["configured"], false);
    }
}
