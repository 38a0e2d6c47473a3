//! The core's log events in Python's `logging`, under the `siqaco` logger.
//!
//! `siqaco-core` logs with `tracing`. This crate enables tracing's `log` feature, so that,
//! as no tracing subscriber is ever installed in the extension, every event becomes a
//! `log` record; `pyo3-log` hands those to Python's `logging`, with the target as the
//! logger name and `::` replaced by `.`: `siqaco.source.fdsn`, `siqaco.stationxml`,
//! `siqaco.libmseed`... Records of the libraries siqaco uses (HTTP client...) are passed
//! on from WARNING up only, under `siqaco.<their target>` (`siqaco.reqwest...`), so that
//! everything is under the `siqaco` logger. Levels map as ERROR → ERROR, WARN → WARNING,
//! INFO → INFO, DEBUG → DEBUG; TRACE events are not passed on.
//!
//! pyo3-log caches the Python loggers and their levels; the cache is emptied at the start
//! of every call of the module ([`refresh`]), so a change of the logging configuration
//! takes effect at the next call.

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use std::sync::OnceLock;

/// The handle that empties pyo3-log's cache.
static RESET: OnceLock<pyo3_log::ResetHandle> = OnceLock::new();

/// The most verbose level passed on for siqaco's own targets.
const OWN: LevelFilter = LevelFilter::Debug;
/// The most verbose level passed on for the targets of other crates.
const OTHERS: LevelFilter = LevelFilter::Warn;

/// Whether `target` is siqaco's (`siqaco` or `siqaco::...`).
fn is_own(target: &str) -> bool {
    target
        .strip_prefix("siqaco")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// Puts every record under the `siqaco` target and filters the other crates' records.
struct Bridge(pyo3_log::Logger);

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let max = if is_own(metadata.target()) {
            OWN
        } else {
            OTHERS
        };
        metadata.level() <= max
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        if is_own(record.target()) {
            return self.0.log(record);
        }
        let target = format!("siqaco::{}", record.target());
        self.0.log(
            &Record::builder()
                .args(*record.args())
                .level(record.level())
                .target(&target)
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// Installs the bridge (once per process; when another logger is already installed for
/// this module's `log` crate, events are left to it).
pub fn install(py: Python<'_>) {
    let Ok(logger) = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels) else {
        return;
    };
    let logger = logger.filter(OWN);
    let handle = logger.reset_handle();
    if log::set_boxed_logger(Box::new(Bridge(logger))).is_ok() {
        log::set_max_level(OWN.max(OTHERS));
        let _ = RESET.set(handle);
    }
}

/// Forgets the cached loggers and levels, so that the next events follow the logging
/// configuration of now.
pub fn refresh() {
    if let Some(h) = RESET.get() {
        h.reset();
    }
}
