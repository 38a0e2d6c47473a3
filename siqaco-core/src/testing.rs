//! Helpers for tests, examples and benchmarks that use the shared real-data set.
//!
//! The data set (`shared/data`: real miniSEED, SEED and StationXML files with expected
//! results) lives beside the repository. Tests find it through [`test_data_dir`].

use std::path::PathBuf;

/// The shared test-data directory: `$SIQACO_TEST_DATA` when set, else `../shared/data`
/// relative to the workspace root. Returns `None`, after printing a loud notice on stderr,
/// when the directory does not exist, so that a test can skip instead of failing on a
/// machine without the data.
pub fn test_data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("SIQACO_TEST_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    };
    if dir.is_dir() {
        Some(dir.canonicalize().unwrap_or(dir))
    } else {
        eprintln!(
            "SKIPPED: shared test data not found at {} (set SIQACO_TEST_DATA)",
            dir.display()
        );
        None
    }
}

/// Every regular file directly inside `dir`, sorted by name.
pub fn files_in(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
