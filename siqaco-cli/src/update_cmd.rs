//! `siqaco update`, `siqaco request create` and `siqaco stack ...`: flags mapped onto the
//! requests of `siqaco::ops` (`UpdateRequest`, `StackListRequest`...), and output.

use crate::time_field;
use clap::ValueEnum;
use siqaco::ops::{
    parse_fields, Control, RequestCreateRequest, StackCancelRequest, StackListRequest,
    StackRetryRequest, StackRunRequest, UpdateRequest,
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

/// Maps an error to the update exit statuses: 2 for configuration and argument errors (a
/// request id not in the stack among them), otherwise as every other command.
pub fn exit_for(e: &Error) -> u8 {
    match e.kind() {
        ErrorKind::Config | ErrorKind::NotFound => EXIT_CONFIG,
        _ => crate::exit_for(e),
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
                    time_or_empty(s.window_start_ns),
                    time_or_empty(s.window_end_ns),
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
                    time_or_empty(s.window_start_ns),
                    time_or_empty(s.window_end_ns),
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

/// A window bound of a summary as text: ISO 8601, empty when there is none.
fn time_or_empty(t: Option<i64>) -> String {
    t.map(format_time).unwrap_or_default()
}

impl UpdateArgs {
    /// The flags as an [`UpdateRequest`].
    fn request(&self) -> siqaco::Result<UpdateRequest> {
        let mut r = UpdateRequest::new(&self.config);
        r.start_ns = time_field("start_ns", self.start.as_deref())?;
        r.end_ns = time_field("end_ns", self.end.as_deref())?;
        r.dry_run = self.dry_run;
        Ok(r)
    }
}

/// `siqaco update`.
pub fn run(args: &UpdateArgs) -> siqaco::Result<u8> {
    let summary = args.request()?.run(&Control::new())?;
    print_summary(&summary, args.format)
}

impl RequestCreateArgs {
    /// The flags as a [`RequestCreateRequest`].
    fn request(&self) -> siqaco::Result<RequestCreateRequest> {
        let mut r = RequestCreateRequest::new(
            &self.config,
            parse_fields("select", &self.select)?,
            siqaco::ops::parse_time_field("start_ns", &self.start)?,
            siqaco::ops::parse_time_field("end_ns", &self.end)?,
        );
        r.sources.clone_from(&self.sources);
        Ok(r)
    }
}

/// `siqaco request create`.
pub fn run_request(cmd: &RequestCommand) -> siqaco::Result<u8> {
    let RequestCommand::Create(args) = cmd;
    for r in args.request()?.run(&Control::new())? {
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

/// `siqaco stack ...`.
pub fn run_stack_cmd(cmd: &StackCommand) -> siqaco::Result<u8> {
    match cmd {
        StackCommand::List {
            common,
            states,
            attempts,
            format,
        } => {
            let mut request = StackListRequest::new(&common.config);
            request.state = parse_fields("state", states)?;
            request.attempts = *attempts;
            let listed = request.run(&Control::new())?;
            match format {
                Format::Json => {
                    outln!(
                        "{}",
                        serde_json::to_string_pretty(&listed)
                            .map_err(|e| Error::invalid_argument(e.to_string()))?
                    )?;
                }
                Format::Text => {
                    outln!(
                        "{:>6} {:<18} {:<27} {:<27} {:<11} {:>8} {:>10}  {:<40}  reason",
                        "id",
                        "stream",
                        "start",
                        "end",
                        "state",
                        "attempts",
                        "samples",
                        "holder (lease until)"
                    )?;
                    for l in &listed {
                        let r = &l.request;
                        let held = match (&r.holder, r.lease_until_ns) {
                            (Some(h), Some(t)) => format!("{h} ({})", format_time(t)),
                            (Some(h), None) => h.clone(),
                            _ => "-".into(),
                        };
                        outln!(
                            "{:>6} {:<18} {:<27} {:<27} {:<11} {:>8} {:>10}  {:<40}  {}",
                            r.id,
                            r.nslc.to_string(),
                            format_time(r.start_ns),
                            format_time(r.end_ns),
                            r.state.as_str(),
                            r.attempts,
                            r.samples_added,
                            held,
                            r.reason.as_deref().unwrap_or("")
                        )?;
                        for a in l.attempt_list.iter().flatten() {
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
                }
            }
            Ok(EXIT_COMPLETE)
        }
        StackCommand::Run { common, format } => print_summary(
            &StackRunRequest::new(&common.config).run(&Control::new())?,
            *format,
        ),
        StackCommand::Retry { common, ids } => {
            let mut request = StackRetryRequest::new(&common.config);
            request.ids.clone_from(ids);
            let n = request.run(&Control::new())?;
            outln!("{n} request(s) put back to retry")?;
            Ok(EXIT_COMPLETE)
        }
        StackCommand::Cancel { common, ids } => {
            let n = StackCancelRequest::new(&common.config, ids.clone()).run(&Control::new())?;
            outln!("{n} request(s) cancelled")?;
            Ok(EXIT_COMPLETE)
        }
    }
}
