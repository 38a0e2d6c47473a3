//! The archive operations: `fetch`, `merge`, `update`, `qc`. Thin wrappers over the core
//! functions the CLI calls; results are the JSON documents the CLI prints, as Python
//! objects.

use crate::{errors, json_to_py, run_cancellable, run_op, ProgressArgs};
use pyo3::prelude::*;
use serde_json::Value;
use siqaco::archive::Archive;
use siqaco::merge::apply::{merge_into_cancellable, MergeInput};
use siqaco::merge::{ArchivePolicy, DaySplit, MergeOptions, OutputOptions};
use siqaco::ops::{parse_field, parse_fields, FetchRequest, UpdateRequest};
use siqaco::qc::{qc_archive, qc_window, QcOptions, QcRules};
use siqaco::record::ByteOrder;
use siqaco::scan::parse_selection;
use siqaco::source::fdsnws::client::PASSWORD_ENV;
use siqaco::source::fdsnws::Credentials;
use siqaco::source::{FetchProgress, SourceSpec};
use siqaco::update::UpdateProgress;
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
/// `credentials`). Returns the fetch document ([`siqaco::ops::ArchiveFetch`] serialised);
/// when pieces failed, raises the first piece's error with the document as its `summary`
/// attribute (what the other pieces fetched is written).
#[pyfunction]
#[pyo3(signature = (source, select, start_ns, end_ns, out, layout="sds", source_layout="sds", in_flight=4, timeout_s=120.0, retries=4, quality=None, limit_rate=None, availability="assume", user=None, password=None, token=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn fetch<'py>(
    py: Python<'py>,
    source: String,
    select: Vec<String>,
    start_ns: i64,
    end_ns: i64,
    out: PathBuf,
    layout: &str,
    source_layout: &str,
    in_flight: usize,
    timeout_s: f64,
    retries: u32,
    quality: Option<String>,
    limit_rate: Option<u64>,
    availability: &str,
    user: Option<String>,
    password: Option<String>,
    token: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let request = (|| -> siqaco::Result<FetchRequest> {
        let mut r = FetchRequest::default();
        r.select = parse_fields("select", &select)?;
        r.start_ns = Some(start_ns);
        r.end_ns = Some(end_ns);
        r.out = out;
        r.layout = parse_field("layout", layout)?;
        let source_layout = parse_field("source_layout", source_layout)?;
        r.in_flight = in_flight;
        r.timeout_s = timeout_s;
        r.retries = retries;
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
    let mut fetched = run_op(py, progress, |control| request.run(control))?;
    let doc = json_to_py(py, &to_json(&fetched)?)?;
    if fetched.errors.is_empty() {
        return Ok(doc);
    }
    let err = errors::to_pyerr(fetched.errors.swap_remove(0));
    err.value(py).setattr("summary", doc)?;
    Err(err)
}

/// Merges patch files into an archive (`siqaco merge`, [`merge_into_cancellable`]; Ctrl-C
/// stops it before any file is replaced). Returns the JSON
/// report of `siqaco merge --json` as Python objects.
#[pyfunction]
#[pyo3(signature = (into, inputs, layout="sds", priority=Vec::new(), archive_priority=1, record_length=None, encoding="keep", format_version=None, quality=None, split="midnight", archive="ranked", dry_run=false))]
#[allow(clippy::too_many_arguments)]
fn merge<'py>(
    py: Python<'py>,
    into: PathBuf,
    inputs: Vec<PathBuf>,
    layout: &str,
    priority: Vec<i32>,
    archive_priority: i32,
    record_length: Option<usize>,
    encoding: &str,
    format_version: Option<u8>,
    quality: Option<String>,
    split: &str,
    archive: &str,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (target, inputs, opts) = (|| -> siqaco::Result<_> {
        let bad = |what: &str, v: &str, expected: &str| {
            Error::invalid_argument(format!("{what} {v:?}: expected {expected}"))
        };
        let opts = MergeOptions {
            policy: match archive {
                "ranked" => ArchivePolicy::Ranked,
                "wins" => ArchivePolicy::Wins,
                "loses" => ArchivePolicy::Loses,
                other => return Err(bad("archive", other, "ranked, wins or loses")),
            },
            archive_priority,
            split: match split {
                "midnight" => DaySplit::Midnight,
                "start_time" => DaySplit::StartTime,
                other => return Err(bad("split", other, "midnight or start_time")),
            },
            output: OutputOptions {
                record_length,
                encoding: siqaco::merge::encoding_code(encoding).ok_or_else(|| {
                    bad(
                        "encoding",
                        encoding,
                        "steim1, steim2, int16, int32, float32, float64 or keep",
                    )
                })?,
                format_version,
                pub_version: quality
                    .as_deref()
                    .map(|q| {
                        siqaco::merge::parse_quality(q)
                            .ok_or_else(|| bad("quality", q, "R, D, Q, M or 1–255"))
                    })
                    .transpose()?,
            },
            ..MergeOptions::default()
        };
        let inputs = MergeInput::with_priorities(&inputs, &priority)?;
        Ok((Archive::new(into, layout.parse()?), inputs, opts))
    })()
    .map_err(errors::to_pyerr)?;
    let report = run_cancellable(py, |cancel| {
        merge_into_cancellable(&target, &inputs, &opts, dry_run, Some(&cancel))
    })?;
    json_to_py(py, &to_json(&report)?)
}

/// One run of `siqaco update` ([`siqaco::ops::UpdateRequest`]: keyword arguments are its
/// fields). Returns the summary of `siqaco update --format json` as a dict.
#[pyfunction]
#[pyo3(signature = (config, start_ns=None, end_ns=None, dry_run=false, progress=None))]
fn update<'py>(
    py: Python<'py>,
    config: PathBuf,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    dry_run: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut request = UpdateRequest::new(config);
    request.start_ns = start_ns;
    request.end_ns = end_ns;
    request.dry_run = dry_run;
    request.validate().map_err(errors::to_pyerr)?;
    let summary = run_op(py, progress, |control| request.run(control))?;
    json_to_py(py, &to_json(&summary)?)
}

/// Checks an archive against StationXML metadata and its own rules (`siqaco qc`,
/// [`qc_archive`]). Returns the JSON report of `siqaco qc --format json` as a dict.
#[pyfunction]
#[pyo3(signature = (archive, metadata, layout="sds", select=None, start_ns=None, end_ns=None, record_length=None, encoding=None, byte_order=None, min_timing_quality=None, rate_tolerance=0.01, threads=None))]
#[allow(clippy::too_many_arguments)]
fn qc<'py>(
    py: Python<'py>,
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
    rate_tolerance: f64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let (target, mut opts) = (|| -> siqaco::Result<_> {
        let rules = QcRules {
            record_length,
            encoding,
            byte_order: match byte_order {
                None => None,
                Some("big") => Some(ByteOrder::Big),
                Some("little") => Some(ByteOrder::Little),
                Some(o) => {
                    return Err(Error::invalid_argument(format!(
                        "byte_order {o:?}: expected big or little"
                    )))
                }
            },
            min_timing_quality,
            rate_tolerance,
        };
        rules.validate()?;
        let opts = QcOptions {
            selection: parse_selection(&select.unwrap_or_default())?,
            window: qc_window(start_ns, end_ns)?,
            rules,
            threads,
            ..QcOptions::default()
        };
        Ok((Archive::new(&archive, layout.parse()?), opts))
    })()
    .map_err(errors::to_pyerr)?;
    let doc = run_cancellable(py, |cancel| {
        opts.cancel = Some(cancel);
        if !archive.is_dir() {
            return Err(Error::io(
                &archive,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "archive root is not a directory",
                ),
            ));
        }
        let inventory = siqaco::qc::load_metadata(
            &metadata,
            &opts.selection,
            opts.window,
            &Default::default(),
        )?;
        Ok(siqaco::report::qc_json(&qc_archive(
            &target, &inventory, &opts,
        )?))
    })?;
    json_to_py(py, &doc)
}

/// Adds the functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fetch, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add_function(wrap_pyfunction!(update, m)?)?;
    m.add_function(wrap_pyfunction!(qc, m)?)?;
    Ok(())
}
