//! `siqaco demo`: builds an example SDS archive with real-looking gaps and overlaps using
//! siqaco's own writer (libmseed encoding, atomic day files), then scans it.

use crate::{output, run_scan, Format, ScanArgs};
use siqaco::archive::{write_atomic, Archive, Layout};
use siqaco::codec::{encode, PackOptions, Samples};
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::time::{day_floor, parse_time};
use siqaco::Nslc;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Directory to build the archive in (default: a new temporary directory, kept).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Output format of the scan.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// A deterministic, real-looking signal: a random walk plus a sine (like the bench data of
/// dependencies.md), so that Steim2 stores mostly small differences.
fn signal(n: usize, seed: u64) -> Vec<i32> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut walk = 0f64;
    (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5;
            walk += u * 80.0;
            walk *= 0.999;
            (walk + 500.0 * (i as f64 * 0.013).sin()) as i32
        })
        .collect()
}

/// One run of continuous data: (start time, seconds, sample rate).
struct Run {
    start: &'static str,
    seconds: i64,
}

fn plan() -> Vec<(Nslc, f64, Vec<Run>)> {
    let hh = |c: &str| Nslc::new("XX", "DEMO1", "00", c);
    vec![
        // a 5-minute gap at 03:00 and a 1-hour outage at 14:00; data run past midnight
        (
            hh("HHZ"),
            20.0,
            vec![
                Run {
                    start: "2024-01-01T00:00:00",
                    seconds: 3 * 3600,
                },
                Run {
                    start: "2024-01-01T03:05:00",
                    seconds: 10 * 3600 + 55 * 60,
                },
                Run {
                    start: "2024-01-01T15:00:00",
                    seconds: 15 * 3600,
                },
            ],
        ),
        // complete, plus two minutes sent twice (an overlap), appended out of order
        (
            hh("HHN"),
            20.0,
            vec![
                Run {
                    start: "2024-01-01T00:00:00",
                    seconds: 30 * 3600,
                },
                Run {
                    start: "2024-01-01T09:00:00",
                    seconds: 120,
                },
            ],
        ),
        (
            hh("HHE"),
            20.0,
            vec![Run {
                start: "2024-01-01T00:00:00",
                seconds: 30 * 3600,
            }],
        ),
        // a gap across midnight, 22:00 to 02:00
        (
            Nslc::new("XX", "DEMO2", "", "BHZ"),
            10.0,
            vec![
                Run {
                    start: "2024-01-01T00:00:00",
                    seconds: 22 * 3600,
                },
                Run {
                    start: "2024-01-02T02:00:00",
                    seconds: 4 * 3600,
                },
            ],
        ),
    ]
}

/// Builds the example archive under `root` (SDS, Steim2, 512-byte miniSEED 2 records,
/// each record in the day file of its start time as slarchive/SeisComP store them).
pub fn build_archive(root: &std::path::Path) -> siqaco::Result<()> {
    let archive = Archive::new(root, Layout::Sds);
    let opts = PackOptions {
        record_length: 512,
        encoding: 11,
        format_version: 2,
        pub_version: 2,
    };
    for (k, (nslc, rate, runs)) in plan().into_iter().enumerate() {
        let mut days: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
        for (j, run) in runs.iter().enumerate() {
            let start = parse_time(run.start)?;
            let n = (run.seconds as f64 * rate) as usize;
            let samples = Samples::Int32(signal(n, (k * 10 + j) as u64));
            let bytes = encode(&nslc, start, rate, &samples, &opts)?;
            for item in RecordScanner::new(&bytes) {
                if let ScanItem::Record { offset, header } = item {
                    let o = offset as usize;
                    days.entry(day_floor(header.start_ns))
                        .or_default()
                        .extend_from_slice(&bytes[o..o + header.record_length]);
                }
            }
        }
        for (day, bytes) in days {
            let path = archive.file_path(&nslc, day, 'D')?;
            write_atomic(&path, &bytes)?;
        }
    }
    Ok(())
}

/// Runs the demo: build, then scan with per-day statistics.
pub fn run(args: &DemoArgs) -> siqaco::Result<u8> {
    let root = match &args.dir {
        Some(d) => d.clone(),
        None => {
            let t = tempfile::Builder::new()
                .prefix("siqaco-demo-")
                .tempdir()
                .map_err(|e| siqaco::Error::io(std::env::temp_dir(), e))?;
            t.keep()
        }
    };
    build_archive(&root)?;
    eprintln!(
        "siqaco demo: example SDS archive written to {}",
        root.display()
    );
    eprintln!(
        "siqaco demo: scanning it (siqaco scan {} --per-day)",
        root.display()
    );
    let scan_args = ScanArgs::for_root(root, args.format);
    let report = run_scan(&scan_args)?;
    output::print_report(&report, args.format, true)?;
    Ok(if report.errors.is_empty() { 0 } else { 3 })
}
