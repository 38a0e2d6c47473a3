//! The `siqaco` command-line tool: argument parsing, progress and output formatting only;
//! every rule lives in the `siqaco` library.

/// `println!` that returns the outcome of the write ([`output::write_stdout`]) instead of
/// panicking: `outln!(...)?`.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that never panics: a failed write is remembered for the exit status
/// ([`output::write_stderr`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod db;
mod demo;
mod fetch;
mod import_cmd;
mod merge_cmd;
mod output;
mod qc_cmd;
mod repair_cmd;
#[cfg_attr(not(feature = "plot"), path = "without/report_cmd.rs")]
mod report_cmd;
#[cfg_attr(not(feature = "serve"), path = "without/serve_cmd.rs")]
mod serve_cmd;
mod shell;
mod update_cmd;
#[cfg_attr(not(feature = "watch"), path = "without/watch_cmd.rs")]
mod watch_cmd;
#[cfg(not(all(feature = "plot", feature = "serve", feature = "watch")))]
mod without;

use clap::{FromArgMatches, Parser, Subcommand, ValueEnum};
use siqaco::ops::{parse_field, parse_fields, Control, ScanRequest, StreamsRequest};
use siqaco::scan::ScanReport;
use siqaco::{Error, ErrorKind};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status when every file was read.
const EXIT_OK: u8 = 0;
/// Exit status for a fatal error other than bad arguments.
const EXIT_FAILURE: u8 = 1;
/// Exit status for bad arguments.
const EXIT_USAGE: u8 = 2;
/// Exit status when some files could not be read (the report is still complete).
const EXIT_FILE_ERRORS: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "siqaco",
    version,
    about = "Keep seismic waveform archives complete and correct",
    long_about = "siqaco scans miniSEED archives (SDS, BUD, dataselect templates, plain files) \
                  for gaps, overlaps and availability. See docs/cli.md and docs/gaps.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan an archive (or miniSEED files) and report gaps, overlaps and availability.
    Scan(Box<ScanArgs>),
    /// List the streams an archive holds, from its file names (no file is read).
    Streams(StreamsArgs),
    /// Check an archive against StationXML metadata and its own rules (docs/qc.md).
    /// Exit status: 0 no finding (or info only), 4 warnings, 5 errors, 3 unreadable files
    /// without findings, 2 bad arguments, 1 other failures (e.g. unreadable metadata).
    Qc(Box<qc_cmd::QcArgs>),
    /// Build an example archive with gaps and overlaps and scan it.
    Demo(demo::DemoArgs),
    /// Index an archive into a tsindex catalogue (SQLite), incrementally.
    Index(db::IndexArgs),
    /// Gaps, overlaps, availability and per-day statistics from a catalogue (no data read).
    Stats(db::StatsArgs),
    /// Merge patch files into an archive at sample level, by priority (docs/merge.md).
    Merge(Box<merge_cmd::MergeArgs>),
    /// Repair an archive in place: duplicates, overlaps, order, day files, fragments,
    /// unreadable bytes to a quarantine (docs/repair.md).
    Repair(Box<repair_cmd::RepairArgs>),
    /// Figures and an HTML report from a catalogue: calendar and timeline (SVG, PNG) and
    /// report.html with the summary table and QC findings (docs/report.md).
    Report(report_cmd::ReportArgs),
    /// Catalogue maintenance: migrate, backup, check.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Fetch data from an FDSN dataselect service, another archive or an external program
    /// into an archive (docs/sources.md). Exit status: 0 data written or no data (said on
    /// stderr), 2 bad arguments, 1 failure (the source's error names the URL or program).
    Fetch(Box<fetch::FetchArgs>),
    /// Keep an archive complete over the configured window: gaps, requests to the sources
    /// in priority order, merge, re-index (docs/configuration.md). Exit status: 0 the
    /// window is complete, 3 requests of the window are left for retry or on hold,
    /// 2 configuration error, 1 other failure.
    Update(update_cmd::UpdateArgs),
    /// Add requests to the stack by hand.
    #[command(subcommand)]
    Request(update_cmd::RequestCommand),
    /// The request stack: list, run, retry, cancel.
    #[command(subcommand)]
    Stack(update_cmd::StackCommand),
    /// Serve the archive as FDSN web services (dataselect, availability, station) and a
    /// status page, from its catalogue (docs/serve.md). Runs until SIGINT or SIGTERM.
    Serve(Box<serve_cmd::ServeArgs>),
    /// Write a siqaco.toml from a Morumotto or SeisComP set-up (docs/import.md).
    #[command(subcommand)]
    Import(import_cmd::ImportCommand),
    /// Keep a catalogue current while another program writes the archive: file-system
    /// events and rescans; a file that grows is read from where it was last read
    /// (docs/watch.md). Runs until SIGINT or SIGTERM, or one pass with --once.
    Watch(Box<watch_cmd::WatchArgs>),
    /// Print a completion script for a shell to standard output (docs/cli.md), e.g.
    /// `siqaco completions bash > ~/.local/share/bash-completion/completions/siqaco`.
    Completions(shell::CompletionsArgs),
    /// Print the manual page siqaco(1) (roff) to standard output, e.g.
    /// `siqaco man | man -l -`; `--dir DIR` writes the pages of the subcommands too.
    Man(shell::ManArgs),
}

/// Arguments of `siqaco streams`.
#[derive(clap::Args, Debug)]
struct StreamsArgs {
    /// Archive root directory.
    root: PathBuf,
    /// Archive layout (see `siqaco scan --help`).
    #[arg(long, default_value_t = siqaco::archive::Layout::default().to_string())]
    layout: String,
    /// Stream selection NET.STA.LOC.CHA with globs (repeatable).
    #[arg(long = "select", short = 's')]
    select: Vec<String>,
}

fn run_streams(args: &StreamsArgs) -> siqaco::Result<u8> {
    let mut request = StreamsRequest::new(&args.root);
    request.layout = parse_field("layout", &args.layout)?;
    request.select = parse_fields("select", &args.select)?;
    for nslc in request.run(&Control::new())? {
        outln!("{nslc}")?;
    }
    Ok(EXIT_OK)
}

/// Output format.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Readable text: gap list (like `msi -G`) and a per-stream summary.
    Text,
    /// The stable JSON document of docs/scan-json.md.
    Json,
    /// CSV: one row per gap and overlap (or per stream-day with --per-day).
    Csv,
}

#[derive(clap::Args, Debug, Clone)]
/// Arguments of `siqaco scan`.
pub struct ScanArgs {
    /// Archive root directory, or miniSEED files to scan directly.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Archive layout: sds, bud, files, a dataselect preset (chan, qchan, vchan, sday, cday)
    /// or a template such as "%n/%s/%n.%s.%l.%c.%Y.%j".
    #[arg(long, default_value_t = siqaco::archive::Layout::default().to_string())]
    layout: String,
    /// Stream selection NET.STA.LOC.CHA with * and ? globs (repeatable; "--" = empty location).
    #[arg(long = "select", short = 's')]
    select: Vec<String>,
    /// Window start (ISO 8601 with or without Z, or a date).
    #[arg(long)]
    start: Option<String>,
    /// Window end, exclusive (ISO 8601 with or without Z, or a date).
    #[arg(long)]
    end: Option<String>,
    /// Show per-UTC-day statistics in text and CSV output (JSON always has them).
    #[arg(long)]
    per_day: bool,
    /// Report only gaps at least this many seconds long.
    #[arg(long, value_name = "SECONDS")]
    min_gap: Option<f64>,
    /// Report only gaps at most this many seconds long.
    #[arg(long, value_name = "SECONDS")]
    max_gap: Option<f64>,
    /// Collapse more than N gaps starting in one UTC day into one gap (Morumotto).
    #[arg(long, value_name = "N")]
    max_gaps_per_day: Option<usize>,
    /// Time tolerance in seconds (default: half a sample period).
    #[arg(long, value_name = "SECONDS")]
    tolerance: Option<f64>,
    /// Time tolerance in sample periods (default 0.5).
    #[arg(long, value_name = "PERIODS")]
    tolerance_periods: Option<f64>,
    /// Relative sample-rate tolerance (default 1e-4).
    #[arg(long, value_name = "FRACTION")]
    rate_tolerance: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Stream mappings over time: a TOML file with [[mapping]] entries (from, to, start,
    /// end), or a siqaco.toml with [[streams.mapping]] (docs/configuration.md).
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
}

impl ScanArgs {
    /// Arguments for scanning `root` with default options.
    pub fn for_root(root: PathBuf, format: Format) -> Self {
        ScanArgs {
            paths: vec![root],
            layout: "sds".into(),
            select: vec![],
            start: None,
            end: None,
            per_day: true,
            min_gap: None,
            max_gap: None,
            max_gaps_per_day: None,
            tolerance: None,
            tolerance_periods: None,
            rate_tolerance: None,
            format,
            threads: None,
            mapping: None,
        }
    }

    /// The scan request of these arguments (flags map to fields; the core validates).
    fn request(&self) -> siqaco::Result<ScanRequest> {
        let mut r = ScanRequest::new(&self.paths);
        r.layout = parse_field("layout", &self.layout)?;
        r.analysis.select = parse_fields("select", &self.select)?;
        r.analysis.start_ns = time_field("start_ns", self.start.as_deref())?;
        r.analysis.end_ns = time_field("end_ns", self.end.as_deref())?;
        r.analysis.min_gap_s = self.min_gap;
        r.analysis.max_gap_s = self.max_gap;
        r.analysis.max_gaps_per_day = self.max_gaps_per_day;
        r.analysis.tolerance_s = self.tolerance;
        r.analysis.tolerance_periods = self.tolerance_periods;
        r.analysis.rate_tolerance = self.rate_tolerance;
        r.threads = self.threads;
        if let Some(f) = &self.mapping {
            r.mappings = siqaco::mapping::read_mapping_file(f)?;
        }
        Ok(r)
    }
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(0);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    Some(pb)
}

/// Runs a scan and returns its report.
pub fn run_scan(args: &ScanArgs) -> siqaco::Result<ScanReport> {
    let request = args.request()?;
    let pb = progress_bar();
    let cb = |p: siqaco::ops::Progress| {
        if let (Some(pb), siqaco::ops::Progress::Scan(p)) = (&pb, p) {
            pb.set_length(p.bytes_total);
            pb.set_position(p.bytes_done);
            pb.set_message(format!("{}/{} files", p.files_done, p.files_total));
        }
    };
    let control = Control::new();
    let report = if pb.is_some() {
        request.run(&control.with_progress(&cb))
    } else {
        request.run(&control)
    }?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok(report)
}

/// An optional time flag as the request field `field` (ns).
pub(crate) fn time_field(field: &str, text: Option<&str>) -> siqaco::Result<Option<i64>> {
    text.map(|t| siqaco::ops::parse_time_field(field, t))
        .transpose()
}

/// The one table from request field names (`siqaco::ops`) to the flags or arguments of
/// this tool that set them, for error messages; a field not listed is shown as
/// `--field-name` (its name with `-` for `_`).
const FIELD_FLAGS: &[(&str, &str)] = &[
    ("paths", "PATHS"),
    ("root", "ROOT"),
    ("start_ns", "--start"),
    ("end_ns", "--end"),
    ("min_gap_s", "--min-gap"),
    ("max_gap_s", "--max-gap"),
    ("tolerance_s", "--tolerance"),
    ("sources", "--source"),
    ("catalogue", "--db"),
    ("subindex_s", "--subindex"),
    ("batch_files", "--batch"),
    ("inputs", "INPUTS"),
    ("timeout_s", "--timeout"),
    ("header_timeout_s", "--header-timeout"),
    ("states", "--state"),
];

/// The flag (or argument) of the request field `field` ([`FIELD_FLAGS`]).
pub(crate) fn flag_for(field: &str) -> String {
    FIELD_FLAGS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, flag)| (*flag).to_string())
        .unwrap_or_else(|| format!("--{}", field.replace('_', "-")))
}

fn exit_for(e: &Error) -> u8 {
    match e.kind() {
        ErrorKind::InvalidArgument | ErrorKind::InvalidCode => EXIT_USAGE,
        ErrorKind::Io => match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => EXIT_USAGE,
            _ => EXIT_FAILURE,
        },
        _ => EXIT_FAILURE,
    }
}

/// Whether log lines on standard error carry ANSI colour codes: only when standard error is
/// a terminal and `NO_COLOR` is unset or empty (<https://no-color.org>), so that a log
/// file or a pipe receives plain text.
fn log_colours() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIQACO_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,siqaco_serve=info,siqaco::ops::watch=info")
            }),
        )
        .with_writer(|| output::LogWriter)
        .log_internal_errors(false)
        .with_ansi(log_colours())
        .init();
    // `--version` names the libmseed release too (shell::version).
    let parsed = shell::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        // Help and version (standard output) and usage errors (standard error), written as
        // clap's `exit` writes them but with the write checked.
        Err(e) => {
            let code = u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE);
            return match e.print() {
                Ok(()) => ExitCode::from(code),
                // A usage error keeps its status when standard error fails too.
                Err(w) if w.kind() == std::io::ErrorKind::BrokenPipe || e.use_stderr() => {
                    ExitCode::from(code)
                }
                Err(w) => {
                    errln!("siqaco: error: <standard output>: writing the help failed: {w}");
                    ExitCode::from(EXIT_FAILURE)
                }
            };
        }
    };
    let result = match &cli.command {
        Command::Scan(args) => run_scan(args).and_then(|report| {
            output::print_report(&report, args.format, args.per_day)?;
            Ok(if report.errors.is_empty() {
                EXIT_OK
            } else {
                EXIT_FILE_ERRORS
            })
        }),
        Command::Streams(args) => run_streams(args),
        Command::Qc(args) => qc_cmd::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Index(args) => db::run_index(args),
        Command::Stats(args) => db::run_stats(args),
        Command::Report(args) => report_cmd::run(args),
        Command::Db(c) => db::run_db(c),
        Command::Merge(args) => merge_cmd::run(args),
        Command::Repair(args) => repair_cmd::run(args),
        Command::Fetch(args) => fetch::run(args),
        Command::Update(args) => update_cmd::run(args),
        Command::Request(c) => update_cmd::run_request(c),
        Command::Stack(c) => update_cmd::run_stack_cmd(c),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Import(c) => import_cmd::run(c),
        Command::Watch(args) => watch_cmd::run(args),
        Command::Completions(args) => shell::run_completions(args),
        Command::Man(args) => shell::run_man(args),
    };
    let update_like = matches!(
        cli.command,
        Command::Update(_)
            | Command::Request(_)
            | Command::Stack(_)
            | Command::Serve(_)
            | Command::Import(_)
    );
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            let e = e.rename_field(flag_for);
            errln!("siqaco: error: {e}");
            if update_like {
                update_cmd::exit_for(&e)
            } else {
                exit_for(&e)
            }
        }
    };
    // A message that could not be written to standard error makes success a failure.
    ExitCode::from(if code == EXIT_OK && output::stderr_failed() {
        EXIT_FAILURE
    } else {
        code
    })
}
