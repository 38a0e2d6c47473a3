//! The archive operations: `fetch`, `merge`, `update`, `qc`. Thin maps onto the requests of
//! `siqaco::ops`; results are typed (`FetchReport`, `MergeReport`, `UpdateSummary`,
//! `QcReport`), each with a `to_dict()` giving the JSON document of its core result.

use crate::distributed::{Job, Request};
use crate::{errors, json_to_py, run_op, ProgressArgs};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use serde_json::Value;
use siqaco::merge::apply::MergeReport;
use siqaco::ops::{
    parse_field, parse_fields, ArchiveFetch, FetchRequest, MergeRequest, QcRequest, RepairRequest,
    UpdateRequest,
};
use siqaco::qc::QcReport;
use siqaco::source::fdsnws::client::PASSWORD_ENV;
use siqaco::source::fdsnws::Credentials;
use siqaco::source::{FetchProgress, SourceSpec};
use siqaco::update::{UpdateProgress, UpdateSummary};
use siqaco::Error;
use std::path::PathBuf;

impl ProgressArgs for FetchProgress {
    /// `(chunks_done, chunks_total, chunks_failed, bytes)`.
    fn call(self, f: &Bound<'_, PyAny>) -> PyResult<()> {
        f.call1((
            self.chunks_done,
            self.chunks_total,
            self.chunks_failed,
            self.bytes,
        ))
        .map(drop)
    }
}

impl ProgressArgs for UpdateProgress {
    /// `(requests_done, requests_total, samples_added)`.
    fn call(self, f: &Bound<'_, PyAny>) -> PyResult<()> {
        f.call1((self.requests_done, self.requests_total, self.samples_added))
            .map(drop)
    }
}

/// Serialises a core result (which has a stable `Serialize` form) to JSON.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> PyResult<Value> {
    serde_json::to_value(v).map_err(|e| errors::to_pyerr(Error::invalid_argument(e.to_string())))
}

/// Fetches data into an archive ([`siqaco::ops::FetchRequest`]: keyword arguments are its
/// fields; `source` and `source_layout` make its `source`, `user`, `password`, `token` its
/// `credentials`). Returns a [`PyFetchReport`]; when pieces failed, raises the first
/// piece's error with the report (every piece's error in its `errors`) as its `summary`
/// attribute (what the other pieces fetched is written).
#[pyfunction]
#[pyo3(signature = (source, select, start_ns, end_ns, out, layout="sds", source_layout="sds", in_flight=None, timeout_s=None, retries=None, quality=None, limit_rate=None, availability="assume", user=None, password=None, token=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn fetch(
    py: Python<'_>,
    source: String,
    select: Vec<String>,
    start_ns: i64,
    end_ns: i64,
    out: PathBuf,
    layout: &str,
    source_layout: &str,
    in_flight: Option<usize>,
    timeout_s: Option<f64>,
    retries: Option<u32>,
    quality: Option<String>,
    limit_rate: Option<u64>,
    availability: &str,
    user: Option<String>,
    password: Option<String>,
    token: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyFetchReport> {
    let request = (|| -> siqaco::Result<FetchRequest> {
        let mut r = FetchRequest::default();
        r.select = parse_fields("select", &select)?;
        r.start_ns = Some(start_ns);
        r.end_ns = Some(end_ns);
        r.out = out;
        r.layout = parse_field("layout", layout)?;
        let source_layout = parse_field("source_layout", source_layout)?;
        // A keyword not given keeps the request's default.
        r.in_flight = in_flight.unwrap_or(r.in_flight);
        r.timeout_s = timeout_s.unwrap_or(r.timeout_s);
        r.retries = retries.unwrap_or(r.retries);
        r.quality = quality;
        r.limit_rate = limit_rate;
        r.availability = parse_field("availability", availability)?;
        let env = std::env::var(PASSWORD_ENV).ok();
        r.credentials = Credentials::from_options(
            user.as_deref(),
            password.as_deref(),
            token.as_deref(),
            env.as_deref(),
        )?;
        r.source = Some(parse_field::<SourceSpec>("source", &source)?.with_layout(source_layout));
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    let inner = run_op(py, progress, |control| request.run(control))?;
    let Some(err) = inner.errors.first().map(errors::pyerr_of) else {
        return Ok(PyFetchReport { inner });
    };
    err.value(py).setattr("summary", PyFetchReport { inner })?;
    Err(err)
}

/// The result of [`fetch`] ([`ArchiveFetch`]): what was fetched and written.
#[pyclass(frozen, name = "FetchReport", module = "siqaco._siqaco")]
struct PyFetchReport {
    inner: ArchiveFetch,
}

#[pymethods]
impl PyFetchReport {
    /// The fetch document ([`ArchiveFetch`] serialised: `bytes`, `chunks`, `errors`,
    /// `files_written`, `nothing_available`, `records_added`, `records_duplicate`,
    /// `requests_done`, `requests_retried`), as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &to_json(&self.inner)?)
    }
}

/// The result of [`merge`]: what the merge did to each day file.
#[pyclass(frozen, name = "MergeReport", module = "siqaco._siqaco")]
struct PyMergeReport {
    inner: MergeReport,
}

#[pymethods]
impl PyMergeReport {
    /// The report as the JSON document of `siqaco merge --json`, as Python dicts and
    /// lists.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &to_json(&self.inner)?)
    }
}

/// Merges patch files into an archive ([`siqaco::ops::MergeRequest`]: keyword arguments
/// are its fields; Ctrl-C stops it before any file is replaced).
#[pyfunction]
#[pyo3(signature = (into, inputs, layout="sds", priority=Vec::new(), archive_priority=None, record_length=None, encoding="keep", format_version=None, quality=None, split="midnight", archive="ranked", dry_run=false, catalogue=None))]
#[allow(clippy::too_many_arguments)]
fn merge(
    py: Python<'_>,
    into: PathBuf,
    inputs: Vec<PathBuf>,
    layout: &str,
    priority: Vec<i32>,
    archive_priority: Option<i32>,
    record_length: Option<usize>,
    encoding: &str,
    format_version: Option<u8>,
    quality: Option<String>,
    split: &str,
    archive: &str,
    dry_run: bool,
    catalogue: Option<String>,
) -> PyResult<PyMergeReport> {
    let request = (|| -> siqaco::Result<MergeRequest> {
        let mut r = MergeRequest::new(into, inputs);
        r.layout = parse_field("layout", layout)?;
        r.priority = priority;
        r.archive_priority = archive_priority.unwrap_or(r.archive_priority);
        r.archive = parse_field("archive", archive)?;
        r.split = parse_field("split", split)?;
        r.record_length = record_length;
        r.encoding = parse_field("encoding", encoding)?;
        r.format_version = format_version;
        r.quality = quality
            .as_deref()
            .map(|q| parse_field("quality", q))
            .transpose()?;
        r.dry_run = dry_run;
        r.catalogue = catalogue;
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    let inner = run_op(py, None, |control| request.run(control))?;
    Ok(PyMergeReport { inner })
}

/// Repairs an archive in place ([`siqaco::ops::RepairRequest`]: keyword arguments are its
/// fields; Ctrl-C stops it before any file is replaced). Returns the report document
/// (`siqaco repair --format json`) as a dict.
#[pyfunction]
#[pyo3(signature = (root, layout="sds", select=None, start_ns=None, end_ns=None, keep="newest", trust=None, split="midnight", record_length=None, encoding="keep", quarantine=None, dry_run=false))]
#[allow(clippy::too_many_arguments)]
fn repair<'py>(
    py: Python<'py>,
    root: PathBuf,
    layout: &str,
    select: Option<Vec<String>>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    keep: &str,
    trust: Option<&str>,
    split: &str,
    record_length: Option<usize>,
    encoding: &str,
    quarantine: Option<PathBuf>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let request = (|| -> siqaco::Result<RepairRequest> {
        let mut r = RepairRequest::new(root);
        r.layout = parse_field("layout", layout)?;
        r.select = parse_fields("select", &select.unwrap_or_default())?;
        r.start_ns = start_ns;
        r.end_ns = end_ns;
        r.keep = parse_field("keep", keep)?;
        r.trust = trust.map(|t| parse_field("trust", t)).transpose()?;
        r.split = parse_field("split", split)?;
        r.record_length = record_length;
        r.encoding = parse_field("encoding", encoding)?;
        r.quarantine = quarantine;
        r.dry_run = dry_run;
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    let report = run_op(py, None, |control| request.run(control))?;
    json_to_py(py, &to_json(&report)?)
}

/// The summary of an update or of a run of the stack ([`UpdateSummary`]); `to_dict()` is
/// the document of `siqaco update --format json`.
#[pyclass(frozen, name = "UpdateSummary", module = "siqaco._siqaco")]
pub(crate) struct PyUpdateSummary {
    inner: UpdateSummary,
}

impl From<UpdateSummary> for PyUpdateSummary {
    fn from(inner: UpdateSummary) -> Self {
        PyUpdateSummary { inner }
    }
}

#[pymethods]
impl PyUpdateSummary {
    /// The summary as the JSON document of `siqaco update --format json`, as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &to_json(&self.inner)?)
    }

    /// Window start, ns since 1970-01-01 UTC (None: a run of the stack with nothing
    /// pending).
    #[getter]
    fn window_start_ns(&self) -> Option<i64> {
        self.inner.window_start_ns
    }

    /// Window end (exclusive), ns (None as `window_start_ns`).
    #[getter]
    fn window_end_ns(&self) -> Option<i64> {
        self.inner.window_end_ns
    }

    /// The run's id in the catalogue's `siqaco_runs` (None for a dry run or a run of the
    /// stack): the order in which the workers of one catalogue planned.
    #[getter]
    fn run_id(&self) -> Option<i64> {
        self.inner.run_id
    }

    /// Pickling (a Dask worker sends its summary to the client): every field, as the
    /// core's partial form ([`UpdateSummary::to_partial`]).
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let bytes = PyBytes::new(py, &slf.get().inner.to_partial());
        Ok((slf.get_type().getattr("_from_state")?, (bytes,)))
    }

    /// The summary of a state of `__reduce__`.
    #[staticmethod]
    fn _from_state(py: Python<'_>, state: &[u8]) -> PyResult<Self> {
        run_op(py, None, |_| UpdateSummary::from_partial(state)).map(Self::from)
    }
}

/// The [`UpdateRequest`] of the keyword arguments of `update`, checked.
fn update_request(
    config: PathBuf,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    dry_run: bool,
    now_ns: Option<i64>,
) -> PyResult<UpdateRequest> {
    let mut request = UpdateRequest::new(config);
    request.start_ns = start_ns;
    request.end_ns = end_ns;
    request.dry_run = dry_run;
    request.now_ns = now_ns;
    request.validate().map_err(errors::to_pyerr)?;
    Ok(request)
}

/// One run of `siqaco update` ([`UpdateRequest`]: keyword arguments are its fields).
#[pyfunction]
#[pyo3(signature = (config, start_ns=None, end_ns=None, dry_run=false, now_ns=None, progress=None))]
fn update(
    py: Python<'_>,
    config: PathBuf,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    dry_run: bool,
    now_ns: Option<i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyUpdateSummary> {
    let request = update_request(config, start_ns, end_ns, dry_run, now_ns)?;
    run_op(py, progress, |control| request.run(control)).map(PyUpdateSummary::from)
}

/// Prepares an update by several workers ([`UpdateRequest::prepare_workers`]: a
/// PostgreSQL catalogue, its schema created); keyword arguments as `update`.
#[pyfunction]
#[pyo3(signature = (config, start_ns=None, end_ns=None, dry_run=false, now_ns=None))]
fn update_prepare_workers(
    py: Python<'_>,
    config: PathBuf,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    dry_run: bool,
    now_ns: Option<i64>,
) -> PyResult<()> {
    let request = update_request(config, start_ns, end_ns, dry_run, now_ns)?;
    run_op(py, None, |_| request.prepare_workers())
}

/// The summary of an update run by several workers from theirs
/// ([`UpdateRequest::combine`]); keyword arguments as `update`.
#[pyfunction]
#[pyo3(signature = (summaries, config, start_ns=None, end_ns=None, dry_run=false, now_ns=None))]
fn update_combine(
    py: Python<'_>,
    summaries: Vec<PyRef<'_, PyUpdateSummary>>,
    config: PathBuf,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    dry_run: bool,
    now_ns: Option<i64>,
) -> PyResult<PyUpdateSummary> {
    let request = update_request(config, start_ns, end_ns, dry_run, now_ns)?;
    let parts: Vec<UpdateSummary> = summaries.iter().map(|s| s.inner.clone()).collect();
    run_op(py, None, |_| request.combine(parts)).map(PyUpdateSummary::from)
}

/// The result of [`qc`]: findings, per-stream per-day summaries and unreadable files.
#[pyclass(frozen, name = "QcReport", module = "siqaco._siqaco")]
pub(crate) struct PyQcReport {
    pub(crate) inner: QcReport,
}

#[pymethods]
impl PyQcReport {
    /// The report as the JSON document of `siqaco qc --format json`, as Python dicts and
    /// lists.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &to_json(&self.inner)?)
    }

    /// The worst severity among the findings: "error", "warning", "info" or None.
    #[getter]
    fn worst_severity(&self) -> Option<&'static str> {
        self.inner.worst_severity().map(|s| s.as_str())
    }

    /// The window checked, `(start_ns, end_ns)`, or None.
    #[getter]
    fn window(&self) -> Option<(i64, i64)> {
        self.inner.window
    }
}

/// The check of an archive against StationXML metadata and its own rules
/// ([`siqaco::ops::QcRequest`]: keyword arguments are its fields), checked: a
/// [`crate::distributed::Job`].
#[pyfunction]
#[pyo3(signature = (archive, metadata, layout="sds", select=None, start_ns=None, end_ns=None, record_length=None, encoding=None, byte_order=None, min_timing_quality=None, rate_tolerance=None, threads=None, now_ns=None))]
#[allow(clippy::too_many_arguments)]
fn qc(
    archive: PathBuf,
    metadata: String,
    layout: &str,
    select: Option<Vec<String>>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    record_length: Option<usize>,
    encoding: Option<u8>,
    byte_order: Option<&str>,
    min_timing_quality: Option<u8>,
    rate_tolerance: Option<f64>,
    threads: Option<usize>,
    now_ns: Option<i64>,
) -> PyResult<Job> {
    let request = (|| -> siqaco::Result<QcRequest> {
        let mut r = QcRequest::new(archive, metadata);
        r.layout = parse_field("layout", layout)?;
        r.select = parse_fields("select", &select.unwrap_or_default())?;
        r.start_ns = start_ns;
        r.end_ns = end_ns;
        r.now_ns = now_ns;
        r.record_length = record_length;
        r.encoding = encoding;
        r.byte_order = byte_order
            .map(|o| parse_field("byte_order", o))
            .transpose()?;
        r.min_timing_quality = min_timing_quality;
        r.rate_tolerance = rate_tolerance.unwrap_or(r.rate_tolerance);
        r.threads = threads;
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    Ok(Job::new(Request::Qc(request)))
}

/// Adds the functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fetch, m)?)?;
    m.add_class::<PyFetchReport>()?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add_function(wrap_pyfunction!(repair, m)?)?;
    m.add_function(wrap_pyfunction!(update, m)?)?;
    m.add_function(wrap_pyfunction!(update_prepare_workers, m)?)?;
    m.add_function(wrap_pyfunction!(update_combine, m)?)?;
    m.add_class::<PyUpdateSummary>()?;
    m.add_function(wrap_pyfunction!(qc, m)?)?;
    m.add_class::<PyMergeReport>()?;
    m.add_class::<PyQcReport>()?;
    Ok(())
}
