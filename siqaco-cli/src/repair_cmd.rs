//! `siqaco repair`: flags mapped to [`RepairRequest`] fields, and the output; the rules are
//! in `siqaco::ops::RepairRequest` and `siqaco::merge::repair` (docs/repair.md).

use crate::time_field;
use clap::ValueEnum;
use siqaco::merge::repair::RepairReport;
use siqaco::ops::{parse_field, parse_fields, Control, RepairRequest};
use std::path::PathBuf;

/// Output format of `siqaco repair`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum RepairFormat {
    /// One line per action and a summary.
    Text,
    /// The JSON document of docs/repair.md.
    Json,
}

/// Arguments of `siqaco repair`.
#[derive(clap::Args, Debug)]
pub struct RepairArgs {
    /// Archive root to repair.
    root: PathBuf,
    /// Archive layout: sds, bud or a dataselect template naming day files.
    #[arg(long, default_value_t = siqaco::archive::Layout::default().to_string())]
    layout: String,
    /// Stream selection NET.STA.LOC.CHA with * and ? globs (repeatable).
    #[arg(long = "select", short = 's')]
    select: Vec<String>,
    /// Window start (ISO 8601 or a date): day files of the window are repaired.
    #[arg(long)]
    start: Option<String>,
    /// Window end, exclusive.
    #[arg(long)]
    end: Option<String>,
    /// Which data a conflicting overlap keeps: newest (later in the file), quality
    /// (R < D < Q < M, or the miniSEED 3 publication version) or first.
    #[arg(long, default_value = "newest")]
    keep: String,
    /// Which codes to believe when a record disagrees with its file's path: path or header
    /// (default: report, change nothing).
    #[arg(long)]
    trust: Option<String>,
    /// Keep records whole in the file of their start day (SeisComP convention) instead of
    /// cutting them at midnight.
    #[arg(long)]
    by_start_time: bool,
    /// Record length of repacked miniSEED 2 records in bytes (default: the stream's
    /// longest).
    #[arg(long)]
    record_length: Option<usize>,
    /// Encoding of repacked records: steim1, steim2, int16, int32, float32, float64 or keep.
    #[arg(long, default_value = "keep")]
    encoding: String,
    /// Quarantine directory (default ROOT.quarantine beside the archive).
    #[arg(long)]
    quarantine: Option<PathBuf>,
    /// Print the plan, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: RepairFormat,
}

impl RepairArgs {
    /// The repair request of these arguments (flags map to fields; the core validates).
    fn request(&self) -> siqaco::Result<RepairRequest> {
        let mut r = RepairRequest::new(&self.root);
        r.layout = parse_field("layout", &self.layout)?;
        r.select = parse_fields("select", &self.select)?;
        r.start_ns = time_field("start_ns", self.start.as_deref())?;
        r.end_ns = time_field("end_ns", self.end.as_deref())?;
        r.keep = parse_field("keep", &self.keep)?;
        r.trust = self
            .trust
            .as_deref()
            .map(|t| parse_field("trust", t))
            .transpose()?;
        if self.by_start_time {
            r.split = siqaco::merge::DaySplit::StartTime;
        }
        r.record_length = self.record_length;
        r.encoding = parse_field("encoding", &self.encoding)?;
        r.quarantine = self.quarantine.clone();
        r.dry_run = self.dry_run;
        Ok(r)
    }
}

/// The text output: one line per action, then a summary.
fn print_text(report: &RepairReport) -> siqaco::Result<()> {
    if report.recovered {
        outln!("completed an interrupted earlier run first")?;
    }
    for a in &report.actions {
        let what = serde_json::to_value(a.action).expect("action serialises");
        let at = match (a.offset, a.bytes) {
            (Some(o), Some(b)) => format!(" (bytes {o}+{b})"),
            _ => String::new(),
        };
        outln!(
            "{} {}: {}{at}: {} samples, {} records: {}",
            what.as_str().unwrap_or_default(),
            a.file,
            a.stream,
            a.samples,
            a.records,
            a.why
        )?;
    }
    for w in &report.warnings {
        errln!("warning: {w}");
    }
    let verb = if report.dry_run {
        "would change"
    } else {
        "changed"
    };
    outln!(
        "{} action(s); {} of {} day file(s) {verb}; {} byte(s) to quarantine {}{}",
        report.actions.len(),
        report.files.len(),
        report.files_examined,
        report.bytes_quarantined,
        report.quarantine.display(),
        if report.dry_run {
            "; dry run: nothing written"
        } else {
            ""
        }
    )?;
    Ok(())
}

/// Runs `siqaco repair`.
pub fn run(args: &RepairArgs) -> siqaco::Result<u8> {
    let report = args.request()?.run(&Control::new())?;
    match args.format {
        RepairFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        )?,
        RepairFormat::Text => print_text(&report)?,
    }
    Ok(0)
}
