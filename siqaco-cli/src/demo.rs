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

/// A deterministic, real-looking signal: a random walk plus a sine, so
/// that Steim2 stores mostly small differences.
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

/// One stream of the demo: continuous data from `start` for `seconds` at `rate`, of which
/// the final archive lacks `holes` (start, seconds) and holds `twice` (start, seconds) twice
/// (an overlap).
struct Plan {
    nslc: Nslc,
    rate: f64,
    start: &'static str,
    seconds: i64,
    holes: Vec<(&'static str, i64)>,
    twice: Option<(&'static str, i64)>,
}

fn plan() -> Vec<Plan> {
    let hh = |c: &str| Nslc::new("XX", "DEMO1", "00", c);
    vec![
        // a 5-minute gap at 03:00 and a 1-hour outage at 14:00
        Plan {
            nslc: hh("HHZ"),
            rate: 20.0,
            start: "2024-01-01T00:00:00",
            seconds: 30 * 3600,
            holes: vec![("2024-01-01T03:00:00", 300), ("2024-01-01T14:00:00", 3600)],
            twice: None,
        },
        // complete, plus two minutes sent twice (an overlap), appended out of order
        Plan {
            nslc: hh("HHN"),
            rate: 20.0,
            start: "2024-01-01T00:00:00",
            seconds: 30 * 3600,
            holes: vec![],
            twice: Some(("2024-01-01T09:00:00", 120)),
        },
        Plan {
            nslc: hh("HHE"),
            rate: 20.0,
            start: "2024-01-01T00:00:00",
            seconds: 30 * 3600,
            holes: vec![],
            twice: None,
        },
        // a gap across midnight, 22:00 to 02:00
        Plan {
            nslc: Nslc::new("XX", "DEMO2", "", "BHZ"),
            rate: 10.0,
            start: "2024-01-01T00:00:00",
            seconds: 30 * 3600,
            holes: vec![("2024-01-01T22:00:00", 4 * 3600)],
            twice: None,
        },
    ]
}

/// Which copy of the data to write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Copy {
    /// The archive with its holes and overlap.
    Final,
    /// A source with the data of the 5-minute gap and of the first half of the midnight
    /// gap only (priority 1 in the demo).
    SourceA,
    /// A source with everything (priority 2).
    SourceB,
}

/// Writes `samples[a..b]` of one stream, records filed by start day.
fn add_run(
    days: &mut BTreeMap<i64, Vec<u8>>,
    p: &Plan,
    samples: &[i32],
    (a, b): (usize, usize),
    opts: &PackOptions,
) -> siqaco::Result<()> {
    if a >= b {
        return Ok(());
    }
    let t0 = parse_time(p.start)?;
    let start = siqaco::time::sample_time(t0, a as i64, p.rate);
    let bytes = encode(
        &p.nslc,
        start,
        p.rate,
        &Samples::Int32(samples[a..b].to_vec()),
        opts,
    )?;
    for item in RecordScanner::new(&bytes) {
        if let ScanItem::Record { offset, header } = item {
            let o = offset as usize;
            days.entry(day_floor(header.start_ns))
                .or_default()
                .extend_from_slice(&bytes[o..o + header.record_length]);
        }
    }
    Ok(())
}

/// Builds one copy of the example data under `root` (SDS, Steim2, 512-byte miniSEED 2
/// records, each record in the day file of its start time as slarchive/SeisComP store
/// them).
fn build(root: &std::path::Path, copy: Copy) -> siqaco::Result<()> {
    let archive = Archive::new(root, Layout::Sds);
    let opts = PackOptions::default()
        .with_record_length(512)
        .with_encoding(11)
        .with_format_version(2)
        .with_pub_version(2);
    for (k, p) in plan().into_iter().enumerate() {
        let t0 = parse_time(p.start)?;
        let n = (p.seconds as f64 * p.rate) as usize;
        let samples = signal(n, k as u64);
        let index = |t: &str| -> siqaco::Result<usize> {
            Ok((((parse_time(t)? - t0) as f64) * p.rate / 1e9).round() as usize)
        };
        let mut holes = Vec::new();
        for (t, secs) in &p.holes {
            let a = index(t)?;
            holes.push((a, a + (*secs as f64 * p.rate) as usize));
        }
        let mut runs: Vec<(usize, usize)> = Vec::new();
        match copy {
            Copy::Final => {
                let mut cur = 0;
                for &(a, b) in &holes {
                    runs.push((cur, a));
                    cur = b;
                }
                runs.push((cur, n));
                if let Some((t, secs)) = p.twice {
                    let a = index(t)?;
                    runs.push((a, a + (secs as f64 * p.rate) as usize));
                }
            }
            Copy::SourceA => {
                // the 5-minute gap, and the first half of the midnight gap
                for &(a, b) in &holes {
                    match b - a {
                        l if l <= (600.0 * p.rate) as usize => runs.push((a, b)),
                        l if l > (3 * 3600) as usize * p.rate as usize => runs.push((a, a + l / 2)),
                        _ => {}
                    }
                }
            }
            Copy::SourceB => runs.push((0, n)),
        }
        let mut days: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
        for r in runs {
            add_run(&mut days, &p, &samples, r, &opts)?;
        }
        for (day, bytes) in days {
            let path = archive.file_path(&p.nslc, day, 'D')?;
            write_atomic(&path, &bytes)?;
        }
    }
    Ok(())
}

/// The demo's update configuration: the archive `final`, two local sources.
const DEMO_CONFIG: &str = r#"# siqaco demo: keep "final" complete from two local archives (docs/configuration.md)
[archive]
path = "final"
layout = "sds"

[catalogue]
url = "siqaco.sqlite"

[streams]
select = ["XX.DEMO?.*.*"]

[requests]
retry = { count = 3 }

[[sources]]
name = "station-buffer"
kind = "archive"
path = "source-a"
priority = 1

[[sources]]
name = "datacentre-mirror"
kind = "archive"
path = "source-b"
priority = 2
"#;

/// Runs the demo: build an archive with holes and two sources, scan it, run
/// `siqaco update` over the data's two days, `siqaco repair` (the overlap), scan it again.
pub fn run(args: &DemoArgs) -> siqaco::Result<u8> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            let t = tempfile::Builder::new()
                .prefix("siqaco-demo-")
                .tempdir()
                .map_err(|e| siqaco::Error::io(std::env::temp_dir(), e))?;
            t.keep()
        }
    };
    let root = dir.join("final");
    build(&root, Copy::Final)?;
    build(&dir.join("source-a"), Copy::SourceA)?;
    build(&dir.join("source-b"), Copy::SourceB)?;
    let config = dir.join("siqaco.toml");
    write_atomic(&config, DEMO_CONFIG.as_bytes())?;
    errln!(
        "siqaco demo: archive with holes in {}, sources in {0}/source-a (priority 1) and \
         {0}/source-b (priority 2), configuration {}",
        dir.display(),
        config.display()
    );
    let text = args.format == Format::Text;
    if text {
        outln!("== before: siqaco scan {} --per-day", root.display())?;
    }
    let scan_args = ScanArgs::for_root(root.clone(), args.format);
    let report = run_scan(&scan_args)?;
    output::print_report(&report, args.format, true)?;
    let (start, end) = ("2024-01-01T00:00:00", "2024-01-02T06:00:00");
    let mut request = siqaco::ops::UpdateRequest::new(&config);
    request.start_ns = Some(parse_time(start)?);
    request.end_ns = Some(parse_time(end)?);
    let summary = request.run(&siqaco::ops::Control::new())?;
    if text {
        outln!(
            "\n== siqaco update --config {} --start {start} --end {end}",
            config.display()
        )?;
        outln!(
            "{} stream(s), {} gap(s), {} request(s) sent, {} succeeded, {} sample(s) added",
            summary.streams_checked,
            summary.gaps_found,
            summary.requests_sent,
            summary.requests_succeeded,
            summary.samples_added
        )?;
        outln!(
            "(siqaco stack list --config {} --attempts shows who delivered what)",
            config.display()
        )?;
    }
    // The update fills holes; the overlap of XX.DEMO1.00.HHN (two minutes sent twice) is
    // removed by the repair.
    let repaired = siqaco::ops::RepairRequest::new(&root).run(&siqaco::ops::Control::new())?;
    if text {
        outln!("\n== siqaco repair {}", root.display())?;
        for a in &repaired.actions {
            outln!(
                "{} {}: {} samples, {} records: {}",
                serde_json::to_value(a.action)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                a.file,
                a.samples,
                a.records,
                a.why
            )?;
        }
        outln!("\n== after: siqaco scan {} --per-day", root.display())?;
    }
    let report = run_scan(&scan_args)?;
    output::print_report(&report, args.format, true)?;
    Ok(if report.errors.is_empty() && summary.requests_left == 0 {
        0
    } else {
        3
    })
}
