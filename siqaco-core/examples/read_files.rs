//! Reads miniSEED files into samples with [`siqaco::read::read_paths`] (the Rust read of
//! bench/read-vs-pymseed.py) and prints one JSON line: the seconds of the read alone, the
//! resident memory before the read and its peak (KiB, from /proc/self/status), the number
//! of samples, and per stream (N.S.L.C) a checksum of its integer samples in time order:
//! `[count, sum, position-weighted sum]`, the sums wrapping modulo 2^64 (Σ xᵢ and
//! Σ (i + 1)·xᵢ over the samples xᵢ as 64-bit two's complement), which the benchmark
//! compares with the other readers'.
//!
//! `cargo build --release -p siqaco-core --example read_files`, then
//! `target/release/examples/read_files FILE...` (threads: `RAYON_NUM_THREADS`).

use siqaco::codec::Samples;
use siqaco::segment::Tolerance;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// A field of /proc/self/status in KiB (0 where there is none).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let before = status_kib("VmRSS:");
    let t0 = Instant::now();
    let segs = match siqaco::read::read_paths(&paths, &[], None, &Tolerance::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let seconds = t0.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:");
    // Segments are sorted by stream, then start time: each stream's samples in time order.
    let mut sums: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    let mut samples = 0;
    for s in &segs {
        let Samples::Int32(v) = &s.samples else {
            eprintln!("{}: not integer samples", s.nslc);
            std::process::exit(1);
        };
        let c = sums.entry(s.nslc.to_string()).or_default();
        for &x in v {
            c[0] += 1;
            c[1] = c[1].wrapping_add(i64::from(x) as u64);
            c[2] = c[2].wrapping_add(c[0].wrapping_mul(i64::from(x) as u64));
        }
        samples += v.len();
    }
    let sums: Vec<String> = sums
        .iter()
        .map(|(k, c)| format!("\"{k}\": [{}, {}, {}]", c[0], c[1], c[2]))
        .collect();
    println!(
        "{{\"seconds\": {seconds:.6}, \"before_kb\": {before}, \"peak_kb\": {peak}, \"samples\": {samples}, \"sums\": {{{}}}}}",
        sums.join(", ")
    );
}
