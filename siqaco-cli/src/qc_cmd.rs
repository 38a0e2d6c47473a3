//! `siqaco qc`: flags mapped to [`QcRequest`] fields, text output and the exit status;
//! every rule lives in `siqaco::ops::QcRequest` and `siqaco::qc`.

use crate::time_field;
use clap::ValueEnum;
use siqaco::ops::{parse_field, parse_fields, Control, QcRequest};
use siqaco::qc::{QcReport, Severity};
use siqaco::time::format_time;
use std::io::Write;
use std::path::PathBuf;

/// Exit status when a finding is a warning (and none is an error).
pub const EXIT_WARNINGS: u8 = 4;
/// Exit status when a finding is an error.
pub const EXIT_ERRORS: u8 = 5;

/// Output format of `siqaco qc`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum QcFormat {
    /// One line per finding and a summary.
    Text,
    /// The JSON document of docs/qc.md (findings and per-day summaries).
    Json,
}

/// Arguments of `siqaco qc`.
#[derive(clap::Args, Debug, Clone)]
pub struct QcArgs {
    /// Archive root directory.
    #[arg(long)]
    archive: PathBuf,
    /// StationXML file, a directory of StationXML files (*.xml, *.stationxml), or an FDSN
    /// station web service (http(s)://host[:port], or the full service URL), asked at
    /// level=response for the selection and window.
    #[arg(long)]
    metadata: String,
    /// Archive layout: sds, bud, files, a dataselect preset or a template.
    #[arg(long, default_value_t = siqaco::archive::Layout::default().to_string())]
    layout: String,
    /// Stream selection NET.STA.LOC.CHA with * and ? globs (repeatable).
    #[arg(long = "select", short = 's')]
    select: Vec<String>,
    /// Window start (ISO 8601 or a date).
    #[arg(long)]
    start: Option<String>,
    /// Window end, exclusive (needs --start; default with --start: now).
    #[arg(long)]
    end: Option<String>,
    /// Expected miniSEED 2 record length in bytes.
    #[arg(long, value_name = "BYTES")]
    record_length: Option<usize>,
    /// Expected encoding code (10 Steim1, 11 Steim2, 3 int32, 4 float32...).
    #[arg(long, value_name = "CODE")]
    encoding: Option<u8>,
    /// Expected miniSEED 2 header byte order: big or little.
    #[arg(long, value_name = "ORDER")]
    byte_order: Option<String>,
    /// Lowest acceptable blockette 1001 timing quality, percent.
    #[arg(long, value_name = "PERCENT")]
    min_timing_quality: Option<u8>,
    /// Relative tolerance between data and metadata sample rates (0.01 = 1 %).
    #[arg(long, value_name = "FRACTION", default_value_t = siqaco::qc::QcRules::default().rate_tolerance)]
    rate_tolerance: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: QcFormat,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

impl QcArgs {
    /// The QC request of these arguments (flags map to fields; the core validates).
    fn request(&self) -> siqaco::Result<QcRequest> {
        let mut r = QcRequest::new(&self.archive, &self.metadata);
        r.layout = parse_field("layout", &self.layout)?;
        r.select = parse_fields("select", &self.select)?;
        r.start_ns = time_field("start_ns", self.start.as_deref())?;
        r.end_ns = time_field("end_ns", self.end.as_deref())?;
        r.record_length = self.record_length;
        r.encoding = self.encoding;
        r.byte_order = self
            .byte_order
            .as_deref()
            .map(|o| parse_field("byte_order", o))
            .transpose()?;
        r.min_timing_quality = self.min_timing_quality;
        r.rate_tolerance = self.rate_tolerance;
        r.threads = self.threads;
        Ok(r)
    }
}

/// Runs `siqaco qc`, prints the report and returns the exit status: 5 when a finding is
/// an error, 4 when one is a warning ([`QcReport::worst_severity`]), else as `siqaco
/// scan` (files that could not be read).
pub fn run(args: &QcArgs) -> siqaco::Result<u8> {
    let report = args.request()?.run(&Control::new())?;
    print(&report, args.format)?;
    Ok(match report.worst_severity() {
        Some(Severity::Error) => EXIT_ERRORS,
        Some(Severity::Warning) => EXIT_WARNINGS,
        _ if !report.errors.is_empty() => crate::EXIT_FILE_ERRORS,
        _ => crate::EXIT_OK,
    })
}

fn print(report: &QcReport, format: QcFormat) -> siqaco::Result<()> {
    crate::output::to_stdout(|mut out| match format {
        QcFormat::Json => {
            serde_json::to_writer_pretty(&mut out, report)?;
            writeln!(out)
        }
        QcFormat::Text => write_text(out, report),
    })
}

fn write_text(out: &mut dyn Write, r: &QcReport) -> std::io::Result<()> {
    let t = |ns: Option<i64>| ns.map(format_time).unwrap_or_else(|| "-".into());
    for f in &r.findings {
        write!(
            out,
            "{:<7} {:<22} {:<18} {} .. {}",
            f.severity.as_str(),
            f.check.code(),
            f.nslc.to_string(),
            t(f.start_ns),
            t(f.end_ns)
        )?;
        if let Some(p) = &f.path {
            write!(out, " {p}")?;
        }
        writeln!(out, ": {}", f.message)?;
        if f.examples.len() > 1 {
            for x in &f.examples {
                writeln!(out, "        {x}")?;
            }
        }
    }
    for e in &r.errors {
        match e.offset {
            Some(o) => writeln!(out, "unreadable {} at byte {o}: {}", e.path, e.message)?,
            None => writeln!(out, "unreadable {}: {}", e.path, e.message)?,
        }
    }
    let n = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    writeln!(
        out,
        "{} finding(s): {} error(s), {} warning(s), {} info; {} stream(s), {} file(s), {} record(s), {} unreadable file part(s)",
        r.findings.len(),
        n(Severity::Error),
        n(Severity::Warning),
        n(Severity::Info),
        r.streams.len(),
        r.files,
        r.records,
        r.errors.len()
    )
}
