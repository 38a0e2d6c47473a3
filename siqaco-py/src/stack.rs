//! The request stack of `siqaco update`: `siqaco stack list|run|retry|cancel` and
//! `siqaco request create`, mapped onto the requests of [`siqaco::ops`] (keyword arguments
//! are their fields). Results are the CLI's JSON documents as Python objects.

use crate::ops::to_json;
use crate::{errors, json_to_py, run_op, run_plain};
use pyo3::prelude::*;
use siqaco::ops::{
    parse_fields, AddRequestsRequest, Control, StackChange, StackChangeRequest, StackListRequest,
    StackRunRequest,
};
use std::path::PathBuf;

/// `siqaco stack list --format json` ([`StackListRequest`]).
#[pyfunction]
#[pyo3(signature = (config, states=None, attempts=false))]
fn stack_list<'py>(
    py: Python<'py>,
    config: PathBuf,
    states: Option<Vec<String>>,
    attempts: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let mut request = StackListRequest::new(config);
    request.states =
        parse_fields("states", &states.unwrap_or_default()).map_err(errors::to_pyerr)?;
    request.attempts = attempts;
    let listing = run_plain(py, || request.run(&Control::new()))?;
    json_to_py(py, &to_json(&listing)?)
}

/// `siqaco stack run --format json` ([`StackRunRequest`]): the summary, as `update`'s.
#[pyfunction]
#[pyo3(signature = (config, progress=None))]
fn stack_run<'py>(
    py: Python<'py>,
    config: PathBuf,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let request = StackRunRequest::new(config);
    let summary = run_op(py, progress, |control| request.run(control))?;
    json_to_py(py, &to_json(&summary)?)
}

/// `siqaco stack retry` ([`StackChangeRequest`], [`StackChange::Retry`]): how many
/// requests were put back to retry.
#[pyfunction]
#[pyo3(signature = (config, ids=None))]
fn stack_retry(py: Python<'_>, config: PathBuf, ids: Option<Vec<i64>>) -> PyResult<u64> {
    let request = StackChangeRequest::new(config, StackChange::Retry, ids.unwrap_or_default());
    run_plain(py, || request.run(&Control::new()))
}

/// `siqaco stack cancel` ([`StackChangeRequest`], [`StackChange::Cancel`]): how many
/// requests were cancelled.
#[pyfunction]
fn stack_cancel(py: Python<'_>, config: PathBuf, ids: Vec<i64>) -> PyResult<u64> {
    let request = StackChangeRequest::new(config, StackChange::Cancel, ids);
    run_plain(py, || request.run(&Control::new()))
}

/// `siqaco request create` ([`AddRequestsRequest`]): the requests created, as
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
    let mut request = AddRequestsRequest::default();
    request.config = config;
    request.select = parse_fields("select", &select).map_err(errors::to_pyerr)?;
    request.start_ns = Some(start_ns);
    request.end_ns = Some(end_ns);
    request.sources = sources.unwrap_or_default();
    let created = run_plain(py, || request.run(&Control::new()))?;
    json_to_py(py, &to_json(&created)?)
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
