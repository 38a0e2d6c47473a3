//! Helpers shared by the integration tests of the `siqaco` command (update, fetch, merge,
//! repair).
#![allow(dead_code)]

use siqaco::archive::{Archive, Layout};
use siqaco::codec::Samples;
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::segment::Tolerance;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `siqaco` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_siqaco");

#[allow(unused_imports)]
pub use siqaco::testing::copy_tree;

/// Every file under `root` (hidden ones included) with its bytes.
pub fn tree_bytes(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.ends_with(siqaco::update::LOCK_NAME) {
                m.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    m
}

/// Keeps only the records of `file` for which `keep(start_ns, coverage_end_ns)` holds;
/// returns how many were removed.
pub fn keep_records(file: &Path, keep: impl Fn(i64, i64) -> bool) -> usize {
    let buf = std::fs::read(file).unwrap();
    let mut out = Vec::new();
    let mut removed = 0;
    for item in RecordScanner::new(&buf) {
        let ScanItem::Record { header, .. } = item else {
            panic!("bad bytes in {}", file.display())
        };
        if keep(header.start_ns, header.coverage_end_ns()) {
            out.extend_from_slice(header.raw);
        } else {
            removed += 1;
        }
    }
    std::fs::write(file, out).unwrap();
    removed
}

/// Runs `siqaco ARGS`: its exit status (`None` when killed by a signal), standard output
/// and standard error.
pub fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run siqaco");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `siqaco ARGS` and parses its JSON standard output; returns the exit status too.
pub fn run_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(BIN).args(args).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "siqaco {args:?}: {e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// The samples of CH.BALST..LH? in `window`, per stream, as (time ns, value).
pub fn stream_samples(root: &Path, window: (i64, i64)) -> BTreeMap<String, Vec<(i64, i64)>> {
    let segs = siqaco::read::read(
        &Archive::new(root, Layout::Sds),
        &["CH.BALST..LH?".parse::<siqaco::NslcGlob>().unwrap()],
        Some(window),
        &Tolerance::default(),
    )
    .unwrap();
    let mut m: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for s in segs {
        let Samples::Int32(v) = &s.samples else {
            panic!("not int32")
        };
        let e = m.entry(s.nslc.to_string()).or_default();
        for (i, x) in v.iter().enumerate() {
            e.push((
                siqaco::time::sample_time(s.start_ns, i as i64, s.sample_rate_hz),
                i64::from(*x),
            ));
        }
    }
    m
}

/// `siqaco scan ROOT --select CH.BALST..LH? --start --end --format json`.
pub fn scan_json(root: &Path, window: (i64, i64)) -> serde_json::Value {
    let (code, v) = run_json(&[
        "scan",
        root.to_str().unwrap(),
        "--select",
        "CH.BALST..LH?",
        "--start",
        &siqaco::time::format_time(window.0),
        "--end",
        &siqaco::time::format_time(window.1),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{v:#}");
    v
}

/// `siqaco stack list --attempts --format json`.
pub fn stack_json(config: &Path) -> serde_json::Value {
    let (code, v) = run_json(&[
        "stack",
        "list",
        "--config",
        config.to_str().unwrap(),
        "--attempts",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{v:#}");
    v
}

/// The arguments of `siqaco update --config CONFIG --start W0 --end W1 --format json`: one
/// update run over `window` (ISO 8601 start and exclusive end) with its JSON summary.
pub fn update_args<'a>(config: &'a Path, window: (&'a str, &'a str)) -> [&'a str; 9] {
    [
        "update",
        "--config",
        config.to_str().unwrap(),
        "--start",
        window.0,
        "--end",
        window.1,
        "--format",
        "json",
    ]
}

/// The next pseudo-random delay in milliseconds, `base_ms .. base_ms + spread_ms`, from the
/// linear congruential state `seed` (advanced in place): when the kill tests stop a run.
pub fn next_delay_ms(seed: &mut u64, base_ms: u64, spread_ms: u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    base_ms + (*seed >> 33) % spread_ms
}

/// Starts `cmd` with its standard output discarded, kills it after `delay_ms` (SIGKILL on
/// Unix: no handler runs, as when a machine loses power) and reaps it.
pub fn kill_after(cmd: &mut Command, delay_ms: u64) {
    let mut child = cmd.stdout(std::process::Stdio::null()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(delay_ms));
    let _ = child.kill();
    let _ = child.wait();
}
