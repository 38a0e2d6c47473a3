//! Prints the records and unreadable byte runs of miniSEED files, one line each.
//!
//! `cargo run -p siqaco-core --example scan_file -- FILE...`

use siqaco::record::{RecordScanner, ScanItem};
use std::io::Write;

fn main() {
    if let Err(e) = run() {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

fn run() -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for path in std::env::args().skip(1) {
        let buf = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        writeln!(out, "{path}: {} bytes", buf.len())?;
        for item in RecordScanner::new(&buf) {
            match item {
                ScanItem::Record { offset, header } => writeln!(
                    out,
                    "  {offset:>8} {:>6} v{} {} {} {} Hz n={} enc={}",
                    header.record_length,
                    header.format_version,
                    header.nslc(),
                    siqaco::time::format_time(header.start_ns),
                    header.sample_rate_hz,
                    header.sample_count,
                    header.encoding
                )?,
                ScanItem::Invalid {
                    offset,
                    length,
                    message,
                } => writeln!(out, "  {offset:>8} {length:>6} INVALID: {message}")?,
            }
        }
    }
    Ok(())
}
