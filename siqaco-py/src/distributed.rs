//! One operation, run here or on Dask: `scan`, `read`, `index` and `qc` map their keyword
//! arguments onto the core's request and return a [`Job`] holding it. `Job.run` runs it
//! in this process (`siqaco.scan`...); for `siqaco.distributed`, `plan` lists the files once
//! and splits them into station-day partitions, `partial` computes one partition's partial
//! result in a worker, `combine` joins the partials into the single-machine result
//! (`siqaco::ops`, module `distributed`). Partitions and partials are opaque bytes
//! (`siqaco::ops::encode`) that Dask moves between processes.

use crate::ops::PyQcReport;
use crate::{run_op, segment_tuples, PyIndexReport, PyScanReport};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;
use siqaco::archive::ArchiveFile;
use siqaco::index::IndexPartial;
use siqaco::ops::{decode, encode, partition, IndexRequest, QcRequest, ReadRequest, ScanRequest};

/// The request a job runs.
pub(crate) enum Request {
    Scan(ScanRequest),
    Read(ReadRequest),
    Index(IndexRequest),
    Qc(QcRequest),
}

/// One operation: its checked request; `run` here, or the steps `plan`, `partial`,
/// `combine` of a distributed run.
#[pyclass(frozen, name = "Job", module = "siqaco._siqaco")]
pub(crate) struct Job {
    request: Request,
}

impl Job {
    /// The job of `request`.
    pub(crate) fn new(request: Request) -> Self {
        Job { request }
    }
}

/// Every partial decoded.
fn decode_all<T: serde::de::DeserializeOwned>(partials: &[Vec<u8>]) -> siqaco::Result<Vec<T>> {
    partials.iter().map(|b| decode(b)).collect()
}

#[pymethods]
impl Job {
    /// Runs the operation in this process with the GIL released (the single-machine call):
    /// a `ScanReport`, the segment tuples of a read, an `IndexReport` or a `QcReport`.
    /// `progress` (scan only) is called as `progress(files_done, files_total, bytes_done,
    /// bytes_total)`; Ctrl-C or a raising `progress` stops the run.
    #[pyo3(signature = (progress=None))]
    fn run(&self, py: Python<'_>, progress: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        match &self.request {
            Request::Scan(r) => {
                let inner = run_op(py, progress, |control| r.run(control))?;
                PyScanReport { inner }.into_py_any(py)
            }
            Request::Read(r) => {
                let segments = run_op(py, None, |control| r.run(control))?;
                segment_tuples(py, segments).into_py_any(py)
            }
            Request::Index(r) => {
                let inner = run_op(py, None, |control| r.run(control))?;
                PyIndexReport { inner }.into_py_any(py)
            }
            Request::Qc(r) => {
                let inner = run_op(py, None, |control| r.run(control))?;
                PyQcReport { inner }.into_py_any(py)
            }
        }
    }

    /// Lists the files once (for an index: the files to read, the catalogue only read)
    /// and splits them into partitions of whole station-days of at least
    /// `partition_files` files: `(listing, [partition...])`, all bytes. With `tasks` > 0,
    /// `partition_files` is at most the files divided by `tasks` (at least 1), so that
    /// there are about `tasks` partitions or more when the files allow it. Runs with the
    /// GIL released.
    #[pyo3(signature = (partition_files, tasks=0))]
    fn plan<'py>(
        &self,
        py: Python<'py>,
        partition_files: usize,
        tasks: usize,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<Bound<'py, PyBytes>>)> {
        let (listing, parts) = run_op(py, None, |_| {
            let files = match &self.request {
                Request::Scan(r) => r.list_files()?,
                Request::Read(r) => r.list_files()?,
                Request::Index(r) => r.files_to_index()?,
                Request::Qc(r) => r.list_files()?,
            };
            let listing = encode(&files);
            let per = match tasks {
                0 => partition_files,
                t => partition_files.min(files.len().div_ceil(t)).max(1),
            };
            let parts = partition(files, per)?;
            Ok((listing, parts.iter().map(encode).collect::<Vec<_>>()))
        })?;
        Ok((
            PyBytes::new(py, &listing),
            parts.iter().map(|p| PyBytes::new(py, p)).collect(),
        ))
    }

    /// The partial result of one partition of `plan`, as bytes (in a worker). Runs with the
    /// GIL released; Ctrl-C stops it.
    fn partial<'py>(&self, py: Python<'py>, partition: Vec<u8>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = run_op(py, None, |control| {
            let files: Vec<ArchiveFile> = decode(&partition)?;
            Ok(match &self.request {
                Request::Scan(r) => encode(&r.run_partial(&files, control)?),
                Request::Read(r) => encode(&r.run_partial(&files, control)?),
                Request::Index(r) => encode(&r.run_partial(&files, control)?),
                Request::Qc(r) => encode(&r.run_partial(&files, control)?),
            })
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// For an index: the writing side of a distributed run ([`siqaco::ops::IndexWriter`]):
    /// the catalogue opened (created when missing), the archive listed and compared with
    /// it; the partials are then given one at a time as they arrive. Runs with the GIL
    /// released. `ValueError` for another operation.
    fn writer(&self, py: Python<'_>) -> PyResult<IndexWriter> {
        let Request::Index(r) = &self.request else {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "writer: only an index writes a catalogue",
            ));
        };
        let w = run_op(py, None, |control| r.writer(control))?;
        Ok(IndexWriter {
            inner: std::sync::Mutex::new(Some(w)),
        })
    }

    /// The single-machine result from the `listing` of `plan` and the partials of all its
    /// partitions: a `ScanReport`, the segment tuples of `read`, an `IndexReport` (the
    /// catalogue written) or a `QcReport`. Runs with the GIL released.
    fn combine(
        &self,
        py: Python<'_>,
        listing: Vec<u8>,
        partials: Vec<Vec<u8>>,
    ) -> PyResult<Py<PyAny>> {
        match &self.request {
            Request::Scan(r) => {
                let inner = run_op(py, None, |_| r.combine(decode_all(&partials)?))?;
                PyScanReport { inner }.into_py_any(py)
            }
            Request::Read(r) => {
                let segments = run_op(py, None, |_| r.combine(decode_all(&partials)?))?;
                segment_tuples(py, segments).into_py_any(py)
            }
            Request::Index(r) => {
                let inner = run_op(py, None, |control| {
                    let mut all = IndexPartial::default();
                    for p in decode_all::<IndexPartial>(&partials)? {
                        all.extend(p);
                    }
                    r.run_from(all, control)
                })?;
                PyIndexReport { inner }.into_py_any(py)
            }
            Request::Qc(r) => {
                let inner = run_op(py, None, |control| {
                    let files: Vec<ArchiveFile> = decode(&listing)?;
                    r.combine(&files, decode_all(&partials)?, control)
                })?;
                PyQcReport { inner }.into_py_any(py)
            }
        }
    }
}

/// The catalogue of a distributed index written while the workers read (`Job.writer`):
/// `add` each partial as it arrives (the batches it completes are written), then `finish`.
#[pyclass(frozen, name = "IndexWriter", module = "siqaco._siqaco")]
pub(crate) struct IndexWriter {
    /// `None` once finished.
    inner: std::sync::Mutex<Option<siqaco::ops::IndexWriter>>,
}

impl IndexWriter {
    /// Runs `f` on the writer with the GIL released; `InvalidArgumentError` naming
    /// `writer` once finished.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(
                &mut Option<siqaco::ops::IndexWriter>,
                &siqaco::ops::Control,
            ) -> siqaco::Result<T>
            + Send,
    ) -> PyResult<T> {
        run_op(py, None, |control| {
            let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard, control)
        })
    }
}

/// The error of a writer used after `finish`.
fn finished() -> siqaco::Error {
    siqaco::Error::field("writer", "already finished")
}

#[pymethods]
impl IndexWriter {
    /// Takes one partial of `Job.partial` and writes the batches of files it completes.
    fn add(&self, py: Python<'_>, partial: Vec<u8>) -> PyResult<()> {
        self.with(py, |w, control| {
            let w = w.as_mut().ok_or_else(finished)?;
            w.add(decode(&partial)?, control)
        })
    }

    /// Writes what is left and returns the `IndexReport` of the run.
    fn finish(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let inner = self.with(py, |w, control| {
            w.take().ok_or_else(finished)?.finish(control)
        })?;
        PyIndexReport { inner }.into_py_any(py)
    }
}

/// Adds the job classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Job>()?;
    m.add_class::<IndexWriter>()
}
