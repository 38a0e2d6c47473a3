//! The request stack of `siqaco update`: `siqaco stack list|run|retry|cancel` and
//! `siqaco request create` ([`siqaco::update::stack`]). Results are the CLI's JSON
//! documents as Python objects.

use crate::ops::to_json;
use crate::{json_to_py, run_detached, run_plain};
use pyo3::prelude::*;
use serde_json::Value;
use siqaco::index::Catalogue;
use siqaco::scan::parse_selection;
use siqaco::update::config::Config;
use siqaco::update::stack::{self, RequestState};
use siqaco::update::{create_requests, run_stack_with_progress, StackRunOptions};
use std::path::{Path, PathBuf};

/// The catalogue (and request stack) of the configuration file `config`.
fn open_stack(config: &Path) -> siqaco::Result<Catalogue> {
    Catalogue::open(&Config::from_path(config)?.catalogue)
}

/// `siqaco stack list --format json` ([`stack::list`], [`stack::requests_json`]).
#[pyfunction]
#[pyo3(signature = (config, states=None, attempts=false))]
fn stack_list<'py>(
    py: Python<'py>,
    config: PathBuf,
    states: Option<Vec<String>>,
    attempts: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let doc = run_plain(py, || -> siqaco::Result<Value> {
        let states = states
            .unwrap_or_default()
            .iter()
            .map(|s| RequestState::parse(s))
            .collect::<siqaco::Result<Vec<_>>>()?;
        let cat = open_stack(&config)?;
        stack::requests_json(&cat, &stack::list(&cat, &states, None)?, attempts)
    })?;
    json_to_py(py, &doc)
}

/// `siqaco stack run --format json` ([`run_stack_with_progress`]): the summary, as
/// `update`'s.
#[pyfunction]
#[pyo3(signature = (config, progress=None))]
fn stack_run<'py>(
    py: Python<'py>,
    config: PathBuf,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let summary = run_detached(py, progress, |cancel, cb| {
        let opts = StackRunOptions {
            cancel: Some(cancel),
        };
        run_stack_with_progress(&Config::from_path(&config)?, &opts, Some(cb))
    })?;
    json_to_py(py, &to_json(&summary)?)
}

/// `siqaco stack retry` ([`stack::retry`]): how many requests were put back to retry.
#[pyfunction]
#[pyo3(signature = (config, ids=None))]
fn stack_retry(py: Python<'_>, config: PathBuf, ids: Option<Vec<i64>>) -> PyResult<u64> {
    run_plain(py, || {
        stack::retry(&open_stack(&config)?, &ids.unwrap_or_default())
    })
}

/// `siqaco stack cancel` ([`stack::cancel`]): how many requests were cancelled.
#[pyfunction]
fn stack_cancel(py: Python<'_>, config: PathBuf, ids: Vec<i64>) -> PyResult<u64> {
    run_plain(py, || stack::cancel(&open_stack(&config)?, &ids))
}

/// `siqaco request create` ([`create_requests`]): the requests created, as
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
    let doc = run_plain(py, || -> siqaco::Result<Value> {
        let config = Config::from_path(&config)?;
        let created = create_requests(
            &config,
            &parse_selection(&select)?,
            (start_ns, end_ns),
            &sources.unwrap_or_default(),
        )?;
        created
            .iter()
            .map(stack::Request::to_json)
            .collect::<siqaco::Result<Vec<_>>>()
            .map(Value::Array)
    })?;
    json_to_py(py, &doc)
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
