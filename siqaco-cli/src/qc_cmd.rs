//! `siqaco qc`: argument handling and text output; every rule lives in `siqaco::qc`.

use clap::ValueEnum;
use siqaco::archive::{Archive, Layout};
use siqaco::qc::{qc_archive, qc_window, QcOptions, QcReport, QcRules, Severity};
use siqaco::record::ByteOrder;
use siqaco::report::qc_json;
use siqaco::time::format_time;
use siqaco::Error;
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

/// Header byte order for `--byte-order`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Order {
    /// Big-endian (the SEED default).
    Big,
    /// Little-endian.
    Little,
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
    #[arg(long, default_value = "sds")]
    layout: String,
    /// Stream selection NET.STA.LOC.CHA with * and ? globs (repeatable).
    #[arg(long = "select", short = 's')]
    select: Vec<String>,
    /// Window start (ISO 8601 or a date).
    #[arg(long)]
    start: Option<String>,
    /// Window end, exclusive (default with --start: now).
    #[arg(long, requires = "start")]
    end: Option<String>,
    /// Expected miniSEED 2 record length in bytes.
    #[arg(long, value_name = "BYTES")]
    record_length: Option<usize>,
    /// Expected encoding code (10 Steim1, 11 Steim2, 3 int32, 4 float32...).
    #[arg(long, value_name = "CODE")]
    encoding: Option<u8>,
    /// Expected miniSEED 2 header byte order.
    #[arg(long, value_enum)]
    byte_order: Option<Order>,
    /// Lowest acceptable blockette 1001 timing quality, percent.
    #[arg(long, value_name = "PERCENT")]
    min_timing_quality: Option<u8>,
    /// Relative tolerance between data and metadata sample rates (default 0.01 = 1 %).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.01)]
    rate_tolerance: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: QcFormat,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

impl QcArgs {
    fn options(&self) -> siqaco::Result<QcOptions> {
        let selection = siqaco::scan::parse_selection(&self.select)?;
        let parse = |t: &Option<String>| t.as_deref().map(siqaco::time::parse_time).transpose();
        let window = qc_window(parse(&self.start)?, parse(&self.end)?)?;
        let rules = QcRules {
            record_length: self.record_length,
            encoding: self.encoding,
            byte_order: self.byte_order.map(|o| match o {
                Order::Big => ByteOrder::Big,
                Order::Little => ByteOrder::Little,
            }),
            min_timing_quality: self.min_timing_quality,
            rate_tolerance: self.rate_tolerance,
        };
        rules.validate()?;
        Ok(QcOptions {
            selection,
            window,
            rules,
            threads: self.threads,
            ..Default::default()
        })
    }
}

/// Runs `siqaco qc`, prints the report and returns the exit status.
pub fn run(args: &QcArgs) -> siqaco::Result<u8> {
    let opts = args.options()?;
    let layout: Layout = args.layout.parse()?;
    if !args.archive.is_dir() {
        return Err(Error::io(
            &args.archive,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "archive root is not a directory",
            ),
        ));
    }
    let inventory = siqaco::qc::load_metadata(
        &args.metadata,
        &opts.selection,
        opts.window,
        &Default::default(),
    )?;
    let report = qc_archive(&Archive::new(&args.archive, layout), &inventory, &opts)?;
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
            serde_json::to_writer_pretty(&mut out, &qc_json(report))?;
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
