//! Lists the day files of an archive, as a scan would start.
//!
//! `cargo run --release --example list_archive -- ROOT [LAYOUT [SELECTION [START END]]]`
//! (layout `sds` by default; selection such as `BW.FFB1.*.HH?`; times such as `2008-01-01`).

use siqaco::archive::{Archive, Layout};
use siqaco::time::parse_time;
use siqaco::NslcGlob;

fn main() -> siqaco::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(root) = args.first() else {
        eprintln!("usage: list_archive ROOT [LAYOUT [SELECTION [START END]]]");
        std::process::exit(2);
    };
    let layout: Layout = args.get(1).map(String::as_str).unwrap_or("sds").parse()?;
    let selection = match args.get(2) {
        Some(s) if s != "*" => vec![NslcGlob::parse(s)?],
        _ => Vec::new(),
    };
    let window = match (args.get(3), args.get(4)) {
        (Some(s), Some(e)) => Some((parse_time(s)?, parse_time(e)?)),
        _ => None,
    };
    let archive = Archive::new(root, layout);
    let t = std::time::Instant::now();
    let files = archive.list_files(&selection, window)?;
    let elapsed = t.elapsed();
    for f in files.iter().take(20) {
        println!("{}\t{} bytes", f.rel_path, f.size_bytes);
    }
    if files.len() > 20 {
        println!("... {} more", files.len() - 20);
    }
    let bytes: u64 = files.iter().map(|f| f.size_bytes).sum();
    eprintln!(
        "{} files, {bytes} bytes, listed in {:.3} s",
        files.len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
