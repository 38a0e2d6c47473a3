//! `siqaco update`, `siqaco request create` and `siqaco stack ...`: flags mapped onto the
//! requests of `siqaco::ops` (`UpdateRequest`, `AddRequestsRequest`, `StackListRequest`,
//! `StackRunRequest`, `StackChangeRequest`), output only.

use crate::time_field;
use clap::ValueEnum;
use siqaco::ops::{
    parse_fields, parse_time_field, AddRequestsRequest, Control, StackChange, StackChangeRequest,
    StackListRequest, StackListing, StackRunRequest, UpdateRequest,
};
use siqaco::time::format_time;
use siqaco::update::UpdateSummary;
use siqaco::{Error, ErrorKind};
use std::path::PathBuf;

/// Exit status: the window is complete.
pub const EXIT_COMPLETE: u8 = 0;
/// Exit status: some requests of the window are left for retry or on hold.
pub const EXIT_LEFT: u8 = 3;
/// Exit status: configuration error.
pub const EXIT_CONFIG: u8 = 2;

/// Output format of the summaries and listings.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Readable text.
    Text,
    /// JSON.
    Json,
}

/// Arguments of `siqaco update`.
#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    /// The configuration file (docs/configuration.md).
    #[arg(long, short = 'c')]
    config: PathBuf,
    /// Window start, used exactly as given (ISO 8601 as in `siqaco scan`); needs --end.
    #[arg(long)]
    start: Option<String>,
    /// Window end (exclusive); needs --start.
    #[arg(long)]
    end: Option<String>,
    /// List the requests that would be sent, per source, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Summary format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Arguments of `siqaco request create`.
#[derive(clap::Args, Debug)]
pub struct RequestCreateArgs {
    /// The configuration file.
    #[arg(long, short = 'c')]
    config: PathBuf,
    /// Streams NET.STA.LOC.CHA (globs expanded against the maintained streams, the archive
    /// and the catalogue; repeatable).
    #[arg(long = "select", short = 's', required = true)]
    select: Vec<String>,
    /// Start (ISO 8601).
    #[arg(long)]
    start: String,
    /// End, exclusive (ISO 8601).
    #[arg(long)]
    end: String,
    /// Ask only these sources (names from the configuration; repeatable).
    #[arg(long = "source")]
    sources: Vec<String>,
}

/// `siqaco request ...`.
#[derive(clap::Subcommand, Debug)]
pub enum RequestCommand {
    /// Add requests to the stack for a window, without gap analysis (executed by the next
    /// `siqaco update` or `siqaco stack run`).
    Create(RequestCreateArgs),
}

/// Arguments naming the configuration.
#[derive(clap::Args, Debug)]
pub struct StackCommon {
    /// The configuration file.
    #[arg(long, short = 'c')]
    config: PathBuf,
}

/// `siqaco stack ...`.
#[derive(clap::Subcommand, Debug)]
pub enum StackCommand {
    /// List the requests of the stack.
    List {
        #[command(flatten)]
        common: StackCommon,
        /// Only requests in these states (repeatable): new, in_progress, succeeded, retry,
        /// failed, on_hold, cancelled.
        #[arg(long = "state")]
        states: Vec<String>,
        /// Also list each request's attempts.
        #[arg(long)]
        attempts: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Execute the pending requests (new, retry, failed) without analysing a window.
    /// Exit status as `siqaco update`.
    Run {
        #[command(flatten)]
        common: StackCommon,
        /// Summary format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Put on_hold and failed requests (all, or the given ids) back to retry with a fresh
    /// retry policy.
    Retry {
        #[command(flatten)]
        common: StackCommon,
        /// Request ids (default: every on_hold and failed request).
        ids: Vec<i64>,
    },
    /// Cancel requests: never attempted again, their window not re-requested.
    Cancel {
        #[command(flatten)]
        common: StackCommon,
        /// Request ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
}

/// Maps an error to the update exit statuses: 2 for configuration and argument errors.
pub fn exit_for(e: &Error) -> Option<u8> {
    match e.kind() {
        ErrorKind::Config | ErrorKind::InvalidArgument | ErrorKind::InvalidCode => {
            Some(EXIT_CONFIG)
        }
        _ => None,
    }
}

fn print_summary(s: &UpdateSummary, format: Format) -> siqaco::Result<u8> {
    match format {
        Format::Json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(s)
                    .map_err(|e| Error::invalid_argument(e.to_string()))?
            )?;
        }
        Format::Text => {
            if s.dry_run {
                outln!(
                    "dry run: window {} – {}: {} stream(s), {} gap(s), {} new request(s)",
                    s.window_start,
                    s.window_end,
                    s.streams_checked,
                    s.gaps_found,
                    s.requests_created
                )?;
                for p in &s.planned {
                    let id = p
                        .request_id
                        .map(|i| format!("request {i}"))
                        .unwrap_or_else(|| "new request".into());
                    outln!("source {} ({id}):", p.source)?;
                    for l in &p.lines {
                        outln!("  {l}")?;
                    }
                }
            } else {
                outln!(
                    "window {} – {}: {} stream(s) checked, {} gap(s) found, {} request(s) created, \
                     {} sent, {} succeeded, {} incomplete, {} sample(s) added; {} request(s) of the window left",
                    s.window_start,
                    s.window_end,
                    s.streams_checked,
                    s.gaps_found,
                    s.requests_created,
                    s.requests_sent,
                    s.requests_succeeded,
                    s.requests_failed,
                    s.samples_added,
                    s.requests_left
                )?;
            }
            for w in &s.warnings {
                errln!("siqaco: warning: {w}");
            }
        }
    }
    Ok(if s.requests_left > 0 && !s.dry_run {
        EXIT_LEFT
    } else {
        EXIT_COMPLETE
    })
}

/// `siqaco update`.
pub fn run(args: &UpdateArgs) -> siqaco::Result<u8> {
    let mut r = UpdateRequest::new(&args.config);
    r.start_ns = time_field("start_ns", args.start.as_deref())?;
    r.end_ns = time_field("end_ns", args.end.as_deref())?;
    r.dry_run = args.dry_run;
    print_summary(&r.run(&Control::new())?, args.format)
}

/// `siqaco request create`.
pub fn run_request(cmd: &RequestCommand) -> siqaco::Result<u8> {
    let RequestCommand::Create(args) = cmd;
    let mut r = AddRequestsRequest::default();
    r.config = args.config.clone();
    r.select = parse_fields("select", &args.select)?;
    r.start_ns = Some(parse_time_field("start_ns", &args.start)?);
    r.end_ns = Some(parse_time_field("end_ns", &args.end)?);
    r.sources = args.sources.clone();
    for (r, _) in r.run(&Control::new())?.requests {
        outln!(
            "request {}: {} {} – {}",
            r.id,
            r.nslc,
            format_time(r.start_ns),
            format_time(r.end_ns)
        )?;
    }
    Ok(EXIT_COMPLETE)
}

/// `siqaco stack list` in text: one line per request, its attempts below it.
fn print_listing(listing: &StackListing) -> siqaco::Result<()> {
    outln!(
        "{:>6} {:<18} {:<27} {:<27} {:<11} {:>8} {:>10}  reason",
        "id",
        "stream",
        "start",
        "end",
        "state",
        "attempts",
        "samples"
    )?;
    for (r, attempts) in &listing.requests {
        outln!(
            "{:>6} {:<18} {:<27} {:<27} {:<11} {:>8} {:>10}  {}",
            r.id,
            r.nslc.to_string(),
            format_time(r.start_ns),
            format_time(r.end_ns),
            r.state.as_str(),
            r.attempts,
            r.samples_added,
            r.reason.as_deref().unwrap_or("")
        )?;
        for a in attempts.iter().flatten() {
            outln!(
                "{:>6}   run {} source {}: {} ({} bytes, {} samples){}",
                "",
                a.run_id,
                a.source,
                a.outcome,
                a.bytes,
                a.samples_added,
                a.message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

/// `siqaco stack ...`.
pub fn run_stack_cmd(cmd: &StackCommand) -> siqaco::Result<u8> {
    match cmd {
        StackCommand::List {
            common,
            states,
            attempts,
            format,
        } => {
            let mut r = StackListRequest::new(&common.config);
            r.states = parse_fields("states", states)?;
            r.attempts = *attempts;
            let listing = r.run(&Control::new())?;
            match format {
                Format::Json => {
                    outln!(
                        "{}",
                        serde_json::to_string_pretty(&listing)
                            .map_err(|e| Error::invalid_argument(e.to_string()))?
                    )?;
                }
                Format::Text => print_listing(&listing)?,
            }
            Ok(EXIT_COMPLETE)
        }
        StackCommand::Run { common, format } => {
            let summary = StackRunRequest::new(&common.config).run(&Control::new())?;
            print_summary(&summary, *format)
        }
        StackCommand::Retry { common, ids } => {
            let r = StackChangeRequest::new(&common.config, StackChange::Retry, ids.clone());
            let n = r.run(&Control::new())?;
            outln!("{n} request(s) put back to retry")?;
            Ok(EXIT_COMPLETE)
        }
        StackCommand::Cancel { common, ids } => {
            let r = StackChangeRequest::new(&common.config, StackChange::Cancel, ids.clone());
            let n = r.run(&Control::new())?;
            outln!("{n} request(s) cancelled")?;
            Ok(EXIT_COMPLETE)
        }
    }
}
