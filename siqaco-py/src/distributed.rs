//! Distributed runs (`siqaco.distributed`): a [`PyJob`] holds one checked request of the
//! core and runs its three distributed steps (`siqaco::ops`, module `distributed`): `plan`
//! lists the files once and splits them into station-day partitions, `partial` computes
//! one partition's partial result in a worker, `combine` joins the partials into the
//! single-machine result. Partitions and partials are opaque bytes (`siqaco::ops::encode`)
//! that Dask moves between processes; the keyword arguments of the `*_job` functions are
//! those of `scan`, `read`, `index` and `qc`, mapped by the same code.

use crate::ops::{qc_request, PyQcReport};
use crate::{
    index_request, read_request, run_op, scan_request, segment_tuples, PyIndexReport, PyScanReport,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;
use siqaco::archive::ArchiveFile;
use siqaco::index::IndexPartial;
use siqaco::ops::{decode, encode, partition, IndexRequest, QcRequest, ReadRequest, ScanRequest};
use std::path::PathBuf;

/// The request a job runs.
enum Request {
    Scan(ScanRequest),
    Read(ReadRequest),
    Index(IndexRequest),
    Qc(QcRequest),
}

/// One distributed operation: its request, and the steps `plan`, `partial`, `combine`.
#[pyclass(frozen, name = "Job", module = "siqaco._siqaco")]
struct PyJob {
    request: Request,
}

/// Every partial decoded.
fn decode_all<T: serde::de::DeserializeOwned>(partials: &[Vec<u8>]) -> siqaco::Result<Vec<T>> {
    partials.iter().map(|b| decode(b)).collect()
}

#[pymethods]
impl PyJob {
    /// Lists the files once (for an index: the files to read, the catalogue only read)
    /// and splits them into partitions of whole station-days of at least
    /// `partition_files` files: `(listing, [partition...])`, all bytes. Runs with the GIL
    /// released.
    fn plan<'py>(
        &self,
        py: Python<'py>,
        partition_files: usize,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<Bound<'py, PyBytes>>)> {
        let (listing, parts) = run_op(py, None, |_| {
            let files = match &self.request {
                Request::Scan(r) => r.list_files()?,
                Request::Read(r) => r.list_files()?,
                Request::Index(r) => r.files_to_index()?,
                Request::Qc(r) => r.list_files()?,
            };
            let listing = encode(&files);
            let parts = partition(files, partition_files)?;
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

/// The distributed job of `scan` (keyword arguments as `scan`'s, without `progress`).
#[pyfunction]
#[pyo3(signature = (paths, layout="sds", select=None, start_ns=None, end_ns=None, per_day=true, tolerance_s=None, min_gap_s=None, max_gap_s=None, threads=None))]
#[allow(clippy::too_many_arguments)]
fn scan_job(
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
) -> PyResult<PyJob> {
    let request = scan_request(
        paths,
        layout,
        select,
        (start_ns, end_ns),
        per_day,
        (tolerance_s, min_gap_s, max_gap_s),
        threads,
    )?;
    Ok(PyJob {
        request: Request::Scan(request),
    })
}

/// The distributed job of `read` (keyword arguments as `read`'s).
#[pyfunction]
#[pyo3(signature = (paths, layout="sds", select=None, start_ns=None, end_ns=None, tolerance_s=None))]
fn read_job(
    paths: Vec<PathBuf>,
    layout: &str,
    select: Option<Vec<String>>,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    tolerance_s: Option<f64>,
) -> PyResult<PyJob> {
    let request = read_request(paths, layout, select, (start_ns, end_ns), tolerance_s)?;
    Ok(PyJob {
        request: Request::Read(request),
    })
}

/// The distributed job of `index` (keyword arguments as `index`'s).
#[pyfunction]
#[pyo3(signature = (root, catalogue, layout="sds", relative_paths=false, hash=false, subindex_s=None, batch_files=None, threads=None))]
#[allow(clippy::too_many_arguments)]
fn index_job(
    root: PathBuf,
    catalogue: PathBuf,
    layout: &str,
    relative_paths: bool,
    hash: bool,
    subindex_s: Option<i64>,
    batch_files: Option<usize>,
    threads: Option<usize>,
) -> PyResult<PyJob> {
    let request = index_request(
        root,
        catalogue,
        layout,
        (relative_paths, hash),
        (subindex_s, batch_files),
        threads,
    )?;
    Ok(PyJob {
        request: Request::Index(request),
    })
}

/// The distributed job of `qc` (keyword arguments as `qc`'s).
#[pyfunction]
#[pyo3(signature = (archive, metadata, layout="sds", select=None, start_ns=None, end_ns=None, record_length=None, encoding=None, byte_order=None, min_timing_quality=None, rate_tolerance=None, threads=None, now_ns=None))]
#[allow(clippy::too_many_arguments)]
fn qc_job(
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
) -> PyResult<PyJob> {
    let request = qc_request(
        archive,
        metadata,
        layout,
        select,
        (start_ns, end_ns, now_ns),
        (record_length, encoding, byte_order, min_timing_quality),
        rate_tolerance,
        threads,
    )?;
    Ok(PyJob {
        request: Request::Qc(request),
    })
}

/// Adds the jobs to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyJob>()?;
    m.add_function(wrap_pyfunction!(scan_job, m)?)?;
    m.add_function(wrap_pyfunction!(read_job, m)?)?;
    m.add_function(wrap_pyfunction!(index_job, m)?)?;
    m.add_function(wrap_pyfunction!(qc_job, m)?)?;
    Ok(())
}
