//! `siqaco report`: argument parsing only; the figures and the HTML page are built by
//! `siqaco::plot`.

use crate::{Format, ScanArgs, EXIT_FILE_ERRORS, EXIT_OK};
use siqaco::index::Catalogue;
use siqaco::plot::{read_qc_json, write_report, ReportData};
use std::path::PathBuf;

/// Arguments of `siqaco report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Catalogue file (made by `siqaco index`).
    #[arg(long)]
    db: PathBuf,
    /// Stream selection NET.STA.LOC.CHA with * and ? globs (repeatable).
    #[arg(long = "select", short = 's')]
    select: Vec<String>,
    /// Window start (default: the data's extent, widened to whole UTC days).
    #[arg(long)]
    start: Option<String>,
    /// Window end, exclusive.
    #[arg(long)]
    end: Option<String>,
    /// A QC JSON document (`siqaco qc --format json`) whose findings the HTML page lists.
    #[arg(long, value_name = "QC.json")]
    qc: Option<PathBuf>,
    /// Output directory: report.html, calendar.svg/.png, timeline.svg/.png.
    #[arg(long)]
    out: PathBuf,
}

/// Runs `siqaco report`.
pub fn run(a: &ReportArgs) -> siqaco::Result<u8> {
    if !a.db.is_file() {
        return Err(siqaco::Error::io(
            &a.db,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such catalogue"),
        ));
    }
    let mut scan = ScanArgs::for_root(a.db.clone(), Format::Json);
    scan.select = a.select.clone();
    scan.start = a.start.clone();
    scan.end = a.end.clone();
    let opts = scan.options()?;
    let qc = a.qc.as_deref().map(read_qc_json).transpose()?;
    let report = Catalogue::open(&a.db)?.report(&opts)?;
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    let data = ReportData::from_scan(&report, now_ns);
    let files = write_report(&a.out, &data, qc.as_ref())?;
    errln!(
        "siqaco report: {} stream(s), {} day(s); wrote {}",
        data.streams.len(),
        data.days.len(),
        files.html.display()
    );
    Ok(if report.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FILE_ERRORS
    })
}
