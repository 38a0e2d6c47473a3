//! The request stack of `siqaco update`: `siqaco stack list|run|retry|cancel` and
//! `siqaco request create`, mapped onto the requests of `siqaco::ops` (keyword arguments are
//! their fields). Listings are the CLI's JSON documents as Python objects; a run of the
//! stack gives an `UpdateSummary`.

use crate::ops::{to_json, PyUpdateSummary};
use crate::{errors, json_to_py, run_op};
use pyo3::prelude::*;
use siqaco::ops::{
    parse_fields, RequestCreateRequest, StackCancelRequest, StackListRequest, StackRetryRequest,
    StackRunRequest,
};
use std::path::PathBuf;

/// `siqaco stack list --format json` ([`StackListRequest`]).
#[pyfunction]
#[pyo3(signature = (config, state=None, attempts=false))]
fn stack_list<'py>(
    py: Python<'py>,
    config: PathBuf,
    state: Option<Vec<String>>,
    attempts: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let mut request = StackListRequest::new(config);
    request.state = parse_fields("state", &state.unwrap_or_default()).map_err(errors::to_pyerr)?;
    request.attempts = attempts;
    let listed = run_op(py, None, |control| request.run(control))?;
    json_to_py(py, &to_json(&listed)?)
}

/// `siqaco stack run` ([`StackRunRequest`]): the summary, as `update`'s.
#[pyfunction]
#[pyo3(signature = (config, progress=None))]
fn stack_run(
    py: Python<'_>,
    config: PathBuf,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyUpdateSummary> {
    let request = StackRunRequest::new(config);
    request.validate().map_err(errors::to_pyerr)?;
    run_op(py, progress, |control| request.run(control)).map(PyUpdateSummary::from)
}

/// `siqaco stack retry` ([`StackRetryRequest`]): how many requests were put back to retry.
#[pyfunction]
#[pyo3(signature = (config, ids=None))]
fn stack_retry(py: Python<'_>, config: PathBuf, ids: Option<Vec<i64>>) -> PyResult<u64> {
    let mut request = StackRetryRequest::new(config);
    request.ids = ids.unwrap_or_default();
    run_op(py, None, |control| request.run(control))
}

/// `siqaco stack cancel` ([`StackCancelRequest`]): how many requests were cancelled.
#[pyfunction]
fn stack_cancel(py: Python<'_>, config: PathBuf, ids: Vec<i64>) -> PyResult<u64> {
    let request = StackCancelRequest::new(config, ids);
    run_op(py, None, |control| request.run(control))
}

/// `siqaco request create` ([`RequestCreateRequest`]): the requests created, as
/// [`stack_list`] gives them.
#[pyfunction]
#[pyo3(signature = (config, select, start_ns, end_ns, sources=None))]
fn request_create<'py>(
    py: Python<'py>,
    config: PathBuf,
    select: Vec<String>,
    start_ns: i64,
    end_ns: i64,
    sources: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyAny>> {
    let select = parse_fields("select", &select).map_err(errors::to_pyerr)?;
    let mut request = RequestCreateRequest::new(config, select, start_ns, end_ns);
    request.sources = sources.unwrap_or_default();
    request.validate().map_err(errors::to_pyerr)?;
    let created = run_op(py, None, |control| request.run(control))?;
    let docs = created
        .iter()
        .map(siqaco::update::stack::Request::to_json)
        .collect::<siqaco::Result<Vec<_>>>()
        .map_err(errors::to_pyerr)?;
    json_to_py(py, &serde_json::Value::Array(docs))
}

/// Adds the functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(stack_list, m)?)?;
    m.add_function(wrap_pyfunction!(stack_run, m)?)?;
    m.add_function(wrap_pyfunction!(stack_retry, m)?)?;
    m.add_function(wrap_pyfunction!(stack_cancel, m)?)?;
    m.add_function(wrap_pyfunction!(request_create, m)?)?;
    Ok(())
}
