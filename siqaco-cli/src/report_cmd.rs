//! `siqaco report`: flags map to the fields of `siqaco::ops::ReportRequest`; the figures
//! and the HTML page are built by `siqaco::plot`.

use crate::{time_field, EXIT_FILE_ERRORS, EXIT_OK};
use siqaco::ops::{parse_fields, Control, ReportRequest};
use std::path::PathBuf;

/// Arguments of `siqaco report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Catalogue file or PostgreSQL URL (made by `siqaco index`).
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
    /// Stream mappings over time the catalogue was indexed with (a TOML file with
    /// [[mapping]] entries, or a siqaco.toml with [[streams.mapping]]): listed in the report.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
}

impl ReportArgs {
    /// The report request of these arguments.
    fn request(&self) -> siqaco::Result<ReportRequest> {
        let mut r = ReportRequest::new(&self.db, &self.out);
        r.select = parse_fields("select", &self.select)?;
        r.start_ns = time_field("start_ns", self.start.as_deref())?;
        r.end_ns = time_field("end_ns", self.end.as_deref())?;
        r.qc = self.qc.clone();
        if let Some(f) = &self.mapping {
            r.mappings = siqaco::mapping::read_mapping_file(f)?;
        }
        Ok(r)
    }
}

/// Runs `siqaco report`.
pub fn run(a: &ReportArgs) -> siqaco::Result<u8> {
    let r = a.request()?.run(&Control::new())?;
    errln!(
        "siqaco report: {} stream(s), {} day(s); wrote {}",
        r.data.streams.len(),
        r.data.days.len(),
        r.files.html.display()
    );
    Ok(if r.data.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FILE_ERRORS
    })
}
