//! `siqaco._siqaco`: the private native module of the `siqaco` Python package.
//!
//! Thin wrappers over `siqaco-core`: arguments are converted, errors mapped to Python
//! exceptions (module `errors`), and every call that reads files runs with the GIL released
//! (`run_detached`). The public, documented API is `python/siqaco/__init__.py`; the
//! signatures are described in `python/siqaco/_siqaco.pyi`. The core's `tracing` events
//! reach Python's `logging` (module `logging`).

mod distributed;
mod errors;
mod logging;
mod ops;
mod stack;

use distributed::{Job, Request};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3::IntoPyObjectExt;
use serde_json::Value;
use siqaco::codec::Samples;
use siqaco::ops::{
    parse_field, parse_fields, BackupRequest, CheckRequest, Control, IndexRequest, MigrateRequest,
    ReadRequest, ReportDataRequest, ScanRequest, StatsRequest, StreamsRequest,
};
use siqaco::scan::Progress;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How often the waiting thread checks for signals (Ctrl-C) and reports progress.
const POLL: Duration = Duration::from_millis(100);

/// A progress report of the core that a Python callback receives as positional arguments.
trait ProgressArgs: Copy + Send {
    /// Calls `f` with the fields.
    fn call(self, f: &Bound<'_, PyAny>) -> PyResult<()>;
}

impl ProgressArgs for Progress {
    /// `(files_done, files_total, bytes_done, bytes_total)`.
    fn call(self, f: &Bound<'_, PyAny>) -> PyResult<()> {
        f.call1((
            self.files_done,
            self.files_total,
            self.bytes_done,
            self.bytes_total,
        ))
        .map(drop)
    }
}

/// Runs `work` on a helper thread with the GIL released: the one way every long call runs.
/// `work` receives a cancellation flag (to put in the `cancel` field of the core's options)
/// and a progress callback. The calling thread waits, and every [`POLL`] (or when progress
/// arrives) re-acquires the GIL to call `progress` with the latest progress report
/// ([`ProgressArgs`]) and to run `check_signals`. When the callback raises, or a signal
/// handler raises (KeyboardInterrupt on Ctrl-C), the flag is set and that exception is
/// returned once `work` has stopped. Python's logging configuration is read again for the
/// events of this call ([`logging::refresh`]).
fn run_detached<T: Send, P: ProgressArgs>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    work: impl FnOnce(Arc<AtomicBool>, &(dyn Fn(P) + Sync)) -> siqaco::Result<T> + Send,
) -> PyResult<T> {
    logging::refresh();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let (result, interrupted) = py.detach(|| {
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel::<P>();
            let worker = s.spawn(move || {
                // `Sender` is `Sync` (Rust ≥ 1.72): the callback may be called from the
                // core's worker threads.
                let cb = move |p: P| {
                    let _ = tx.send(p);
                };
                work(flag, &cb)
            });
            let mut interrupted: Option<PyErr> = None;
            let mut done = false;
            while !done {
                let mut latest = None;
                match rx.recv_timeout(POLL) {
                    Ok(p) => {
                        latest = Some(p);
                        while let Ok(p) = rx.try_recv() {
                            latest = Some(p);
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => done = true,
                }
                if interrupted.is_some() {
                    continue;
                }
                let r = Python::attach(|py| {
                    if let (Some(p), Some(f)) = (latest, &progress) {
                        p.call(f.bind(py))?;
                    }
                    py.check_signals()
                });
                if let Err(e) = r {
                    cancel.store(true, Ordering::Relaxed);
                    interrupted = Some(e);
                }
            }
            let result = match worker.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            (result, interrupted)
        })
    });
    match interrupted {
        Some(e) => Err(e),
        None => result.map_err(errors::to_pyerr),
    }
}

impl ProgressArgs for siqaco::ops::Progress {
    /// The arguments of the variant's own progress report.
    fn call(self, f: &Bound<'_, PyAny>) -> PyResult<()> {
        match self {
            siqaco::ops::Progress::Scan(p) => p.call(f),
            siqaco::ops::Progress::Fetch(p) => p.call(f),
            siqaco::ops::Progress::Update(p) => p.call(f),
            _ => Ok(()),
        }
    }
}

/// [`run_detached`] for an operation of `siqaco::ops`: `work` receives the [`Control`] whose
/// cancellation flag Ctrl-C (or a raising `progress`) sets and whose progress reaches
/// `progress`.
fn run_op<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    work: impl FnOnce(&Control) -> siqaco::Result<T> + Send,
) -> PyResult<T> {
    run_detached::<T, siqaco::ops::Progress>(py, progress, |cancel, cb| {
        work(&Control::new().with_cancel_flag(cancel).with_progress(cb))
    })
}

/// Converts a JSON value into Python objects (dict, list, str, int, float, bool, None).
fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)
            } else if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)
            }
        }
        Value::String(s) => s.into_bound_py_any(py),
        Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| json_to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            Ok(d.into_any())
        }
    }
}

/// The result of [`scan`]: streams with segments, gaps, overlaps and statistics, and the
/// files that could not be read.
#[pyclass(frozen, name = "ScanReport", module = "siqaco._siqaco")]
pub(crate) struct PyScanReport {
    pub(crate) inner: siqaco::scan::ScanReport,
}

#[pymethods]
impl PyScanReport {
    /// The report as the stable JSON document of `siqaco scan --format json`, as Python
    /// dicts and lists.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &siqaco::report::scan_json(&self.inner))
    }

    /// Every gap, as tuples `(network, station, location, channel, last_sample_ns,
    /// next_sample_ns, duration_s, missing_samples, edge)`; `last_sample_ns` is None for a
    /// head gap, `next_sample_ns` for a tail gap, `edge` is None, "head" or "tail".
    #[allow(clippy::type_complexity)]
    fn gaps(
        &self,
    ) -> Vec<(
        String,
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        f64,
        i64,
        Option<&'static str>,
    )> {
        let mut out = Vec::new();
        for s in &self.inner.streams {
            let n = &s.nslc;
            for g in &s.analysis.gaps {
                out.push((
                    n.network.clone(),
                    n.station.clone(),
                    n.location.clone(),
                    n.channel.clone(),
                    g.last_sample_ns,
                    g.next_sample_ns,
                    g.duration_s(),
                    g.missing_samples,
                    g.edge.map(|e| e.as_str()),
                ));
            }
        }
        out
    }

    /// Files scanned.
    #[getter]
    fn files(&self) -> u64 {
        self.inner.files
    }

    /// Records read (data and non-data).
    #[getter]
    fn records(&self) -> u64 {
        self.inner.records
    }

    /// Bytes read.
    #[getter]
    fn bytes(&self) -> u64 {
        self.inner.bytes
    }
}

/// The scan of an archive directory (or miniSEED files) for gaps, overlaps and
/// availability ([`siqaco::ops::ScanRequest`]: keyword arguments are its fields and those
/// of its `analysis`), checked: a [`Job`] to run here (`run`) or on Dask.
#[pyfunction]
#[pyo3(signature = (paths, layout="sds", select=None, start_ns=None, end_ns=None, per_day=true, tolerance_s=None, min_gap_s=None, max_gap_s=None, threads=None, mapping=None))]
#[allow(clippy::too_many_arguments)]
fn scan(
    paths: Vec<PathBuf>,
    layout: &str,
    select: Option<Vec<String>>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    per_day: bool,
    tolerance_s: Option<f64>,
    min_gap_s: Option<f64>,
    max_gap_s: Option<f64>,
    threads: Option<usize>,
    mapping: Option<PathBuf>,
) -> PyResult<Job> {
    let request = (|| -> siqaco::Result<ScanRequest> {
        let mut r = ScanRequest::new(paths);
        r.layout = parse_field("layout", layout)?;
        r.analysis.select = parse_fields("select", &select.unwrap_or_default())?;
        r.analysis.start_ns = start_ns;
        r.analysis.end_ns = end_ns;
        r.analysis.per_day = per_day;
        r.analysis.tolerance_s = tolerance_s;
        r.analysis.min_gap_s = min_gap_s;
        r.analysis.max_gap_s = max_gap_s;
        r.threads = threads;
        r.mappings = mappings(mapping.as_deref())?;
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    Ok(Job::new(Request::Scan(request)))
}

/// The streams an archive holds, from its file names (no file is read):
/// `"NET.STA.LOC.CHA"` texts sorted ([`siqaco::ops::StreamsRequest`]).
#[pyfunction]
#[pyo3(signature = (root, layout="sds", select=None))]
fn streams(
    py: Python<'_>,
    root: PathBuf,
    layout: &str,
    select: Option<Vec<String>>,
) -> PyResult<Vec<String>> {
    let request = (|| -> siqaco::Result<StreamsRequest> {
        let mut r = StreamsRequest::new(root);
        r.layout = parse_field("layout", layout)?;
        r.select = parse_fields("select", &select.unwrap_or_default())?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    let list = run_op(py, None, |control| request.run(control))?;
    Ok(list.iter().map(ToString::to_string).collect())
}

/// The figures' data of `siqaco report` from a catalogue
/// ([`siqaco::ops::ReportDataRequest`]: keyword arguments are its fields), as the JSON the
/// HTML report embeds (`siqaco::plot::report_data_json`), in Python objects.
#[pyfunction]
#[pyo3(signature = (catalogue, select=None, start_ns=None, end_ns=None, now_ns=None))]
fn report_data<'py>(
    py: Python<'py>,
    catalogue: PathBuf,
    select: Option<Vec<String>>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    now_ns: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let request = (|| -> siqaco::Result<ReportDataRequest> {
        let mut r = ReportDataRequest::new(catalogue);
        r.select = parse_fields("select", &select.unwrap_or_default())?;
        r.start_ns = start_ns;
        r.end_ns = end_ns;
        r.now_ns = now_ns;
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    let data = run_op(py, None, |control| request.run(control))?;
    json_to_py(py, &siqaco::plot::report_data_json(&data))
}

/// One segment as returned by [`read`].
pub(crate) type SegmentTuple<'py> = (String, String, String, String, i64, f64, Bound<'py, PyAny>);

/// The read of the samples of an archive directory (or miniSEED files) into contiguous
/// segments ([`siqaco::ops::ReadRequest`]), checked: a [`Job`].
#[pyfunction]
#[pyo3(signature = (paths, layout="sds", select=None, start_ns=None, end_ns=None, tolerance_s=None, mapping=None, threads=None))]
#[allow(clippy::too_many_arguments)]
fn read(
    paths: Vec<PathBuf>,
    layout: &str,
    select: Option<Vec<String>>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    tolerance_s: Option<f64>,
    mapping: Option<PathBuf>,
    threads: Option<usize>,
) -> PyResult<Job> {
    let request = (|| -> siqaco::Result<ReadRequest> {
        let mut r = ReadRequest::new(paths);
        r.layout = parse_field("layout", layout)?;
        r.select = parse_fields("select", &select.unwrap_or_default())?;
        r.start_ns = start_ns;
        r.end_ns = end_ns;
        r.tolerance_s = tolerance_s;
        r.mappings = mappings(mapping.as_deref())?;
        r.threads = threads;
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    Ok(Job::new(Request::Read(request)))
}

/// The stream mappings of a `mapping` file (`[[mapping]]` entries or a siqaco.toml's
/// `[[streams.mapping]]`, [`siqaco::mapping::read_mapping_file`]); none without a file.
fn mappings(file: Option<&std::path::Path>) -> siqaco::Result<siqaco::mapping::Mappings> {
    file.map_or_else(
        || Ok(Default::default()),
        siqaco::mapping::read_mapping_file,
    )
}

/// Segments as the tuples `Job.run` of [`read`] returns, the samples moved into numpy
/// arrays.
pub(crate) fn segment_tuples(
    py: Python<'_>,
    segments: Vec<siqaco::read::SampleSegment>,
) -> Vec<SegmentTuple<'_>> {
    segments
        .into_iter()
        .map(|s| {
            let data = match s.samples {
                Samples::Int32(v) => v.into_pyarray(py).into_any(),
                Samples::Float32(v) => v.into_pyarray(py).into_any(),
                Samples::Float64(v) => v.into_pyarray(py).into_any(),
                Samples::Text(v) => v.into_pyarray(py).into_any(),
            };
            let n = s.nslc;
            (
                n.network,
                n.station,
                n.location,
                n.channel,
                s.start_ns,
                s.sample_rate_hz,
                data,
            )
        })
        .collect()
}

/// What an indexing run did ([`siqaco::index::IndexReport`]): six counts, as attributes,
/// as `report["files_indexed"]` and as the dict of [`PyIndexReport::to_dict`].
#[pyclass(frozen, name = "IndexReport", module = "siqaco._siqaco")]
pub(crate) struct PyIndexReport {
    pub(crate) inner: siqaco::index::IndexReport,
}

#[pymethods]
impl PyIndexReport {
    /// The counts as a dict (`files_listed`, `files_indexed`, `files_unchanged`,
    /// `files_removed`, `rows_written`, `files_with_errors`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner)
    }

    /// One count by name, as in the dict `siqaco.index` returned before.
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        self.to_dict(py)?.get_item(key)
    }

    fn __repr__(&self) -> String {
        let r = &self.inner;
        format!(
            "<siqaco.IndexReport: {} listed, {} indexed, {} unchanged, {} removed, {} rows written, {} with errors>",
            r.files_listed, r.files_indexed, r.files_unchanged, r.files_removed, r.rows_written, r.files_with_errors
        )
    }

    /// Files listed under the root.
    #[getter]
    fn files_listed(&self) -> u64 {
        self.inner.files_listed
    }

    /// Files read (new or changed).
    #[getter]
    fn files_indexed(&self) -> u64 {
        self.inner.files_indexed
    }

    /// Files unchanged (same size and modification time), not read.
    #[getter]
    fn files_unchanged(&self) -> u64 {
        self.inner.files_unchanged
    }

    /// Files adopted: their `tsindex` rows (mseedindex's, an earlier siqaco's) kept.
    #[getter]
    fn files_adopted(&self) -> u64 {
        self.inner.files_adopted
    }

    /// `tsindex` rows kept of the adopted files.
    #[getter]
    fn rows_kept(&self) -> u64 {
        self.inner.rows_kept
    }

    /// Files removed from the catalogue (gone from disk).
    #[getter]
    fn files_removed(&self) -> u64 {
        self.inner.files_removed
    }

    /// `tsindex` rows written.
    #[getter]
    fn rows_written(&self) -> u64 {
        self.inner.rows_written
    }

    /// Files with unreadable bytes.
    #[getter]
    fn files_with_errors(&self) -> u64 {
        self.inner.files_with_errors
    }
}

/// The indexing of an archive into a tsindex catalogue, incrementally
/// ([`siqaco::ops::IndexRequest`]: keyword arguments are its fields; `None` keeps the
/// request's default), checked: a [`Job`].
#[pyfunction]
#[pyo3(signature = (root, catalogue, layout="sds", relative_paths=false, hash=false, subindex_s=None, batch_files=None, threads=None, lease_s=None))]
#[allow(clippy::too_many_arguments)]
fn index(
    root: PathBuf,
    catalogue: PathBuf,
    layout: &str,
    relative_paths: bool,
    hash: bool,
    subindex_s: Option<i64>,
    batch_files: Option<usize>,
    threads: Option<usize>,
    lease_s: Option<f64>,
) -> PyResult<Job> {
    let request = (|| -> siqaco::Result<IndexRequest> {
        let mut r = IndexRequest::new(root, catalogue);
        r.layout = parse_field("layout", layout)?;
        r.relative_paths = relative_paths;
        r.hash = hash;
        if let Some(s) = subindex_s {
            r.subindex_s = s;
        }
        if let Some(b) = batch_files {
            r.batch_files = b;
        }
        r.threads = threads;
        if let Some(l) = lease_s {
            r.lease_s = l;
        }
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    Ok(Job::new(Request::Index(request)))
}

/// Gaps, overlaps, availability and per-day statistics of an existing catalogue (no
/// waveform read; [`siqaco::ops::StatsRequest`]: keyword arguments are its fields and those
/// of its `analysis`).
#[pyfunction]
#[pyo3(signature = (catalogue, select=None, start_ns=None, end_ns=None, per_day=true))]
fn stats(
    py: Python<'_>,
    catalogue: PathBuf,
    select: Option<Vec<String>>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    per_day: bool,
) -> PyResult<PyScanReport> {
    let request = (|| -> siqaco::Result<StatsRequest> {
        let mut r = StatsRequest::new(catalogue);
        r.analysis.select = parse_fields("select", &select.unwrap_or_default())?;
        r.analysis.start_ns = start_ns;
        r.analysis.end_ns = end_ns;
        r.analysis.per_day = per_day;
        r.validate()?;
        Ok(r)
    })()
    .map_err(errors::to_pyerr)?;
    let inner = run_op(py, None, |control| request.run(control))?;
    Ok(PyScanReport { inner })
}

/// A typed result of the core as the dict of its serde serialisation.
fn serde_to_py<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let v = serde_json::to_value(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    json_to_py(py, &v)
}

/// Checks an existing catalogue ([`siqaco::ops::CheckRequest`], `siqaco db check`); returns
/// the dict of [`siqaco::index::CheckReport`].
#[pyfunction]
fn db_check<'py>(py: Python<'py>, catalogue: PathBuf) -> PyResult<Bound<'py, PyAny>> {
    let request = CheckRequest::new(catalogue);
    request.validate().map_err(errors::to_pyerr)?;
    let r = run_op(py, None, |control| request.run(control))?;
    serde_to_py(py, &r)
}

/// Migrates an existing catalogue's schema ([`siqaco::ops::MigrateRequest`],
/// `siqaco db migrate`, with `dry_run` only the SQL it would run); returns the dict of
/// [`siqaco::ops::MigrateReport`].
#[pyfunction]
#[pyo3(signature = (catalogue, dry_run=false))]
fn db_migrate<'py>(
    py: Python<'py>,
    catalogue: PathBuf,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let mut request = MigrateRequest::new(catalogue);
    request.dry_run = dry_run;
    request.validate().map_err(errors::to_pyerr)?;
    let r = run_op(py, None, |control| request.run(control))?;
    serde_to_py(py, &r)
}

/// Writes a copy of an existing catalogue ([`siqaco::ops::BackupRequest`],
/// `siqaco db backup`); returns the dict of [`siqaco::ops::BackupReport`].
#[pyfunction]
#[pyo3(signature = (catalogue, output=None))]
fn db_backup<'py>(
    py: Python<'py>,
    catalogue: PathBuf,
    output: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut request = BackupRequest::new(catalogue);
    request.output = output;
    request.validate().map_err(errors::to_pyerr)?;
    let r = run_op(py, None, |control| request.run(control))?;
    serde_to_py(py, &r)
}

/// Parses a time as the CLI does (ISO 8601 with or without `Z`, a date, SEED ordinal dates)
/// into nanoseconds since 1970-01-01 UTC; a refusal names the request field `field` when
/// given ([`siqaco::ops::parse_time_field`]).
#[pyfunction]
#[pyo3(signature = (text, field=None))]
fn parse_time(text: &str, field: Option<&str>) -> PyResult<i64> {
    match field {
        Some(f) => siqaco::ops::parse_time_field(f, text),
        None => siqaco::time::parse_time(text),
    }
    .map_err(errors::to_pyerr)
}

/// The native module.
#[pymodule]
fn _siqaco(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyScanReport>()?;
    m.add_class::<PyIndexReport>()?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(streams, m)?)?;
    m.add_function(wrap_pyfunction!(index, m)?)?;
    m.add_function(wrap_pyfunction!(stats, m)?)?;
    m.add_function(wrap_pyfunction!(db_check, m)?)?;
    m.add_function(wrap_pyfunction!(db_migrate, m)?)?;
    m.add_function(wrap_pyfunction!(db_backup, m)?)?;
    m.add_function(wrap_pyfunction!(parse_time, m)?)?;
    m.add_function(wrap_pyfunction!(report_data, m)?)?;
    ops::register(m)?;
    distributed::register(m)?;
    stack::register(m)?;
    logging::install(m.py());
    errors::register(m)
}
