//! `siqaco update`, `siqaco request create` and `siqaco stack ...`: argument parsing and
//! output only; the pipeline is `siqaco::update`.

use clap::ValueEnum;
use siqaco::scan::parse_selection;
use siqaco::time::{format_time, parse_time};
use siqaco::update::config::Config;
use siqaco::update::stack::{self, RequestState};
use siqaco::update::{create_requests, run_stack, run_update, UpdateOptions, UpdateSummary};
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
    #[arg(long, requires = "end")]
    start: Option<String>,
    /// Window end (exclusive); needs --start.
    #[arg(long, requires = "start")]
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

fn load(path: &std::path::Path) -> siqaco::Result<Config> {
    Config::from_path(path)
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
    let config = load(&args.config)?;
    let window = match (&args.start, &args.end) {
        (Some(s), Some(e)) => Some((parse_time(s)?, parse_time(e)?)),
        _ => None,
    };
    let summary = run_update(
        &config,
        &UpdateOptions {
            window,
            dry_run: args.dry_run,
            ..UpdateOptions::default()
        },
    )?;
    print_summary(&summary, args.format)
}

/// `siqaco request create`.
pub fn run_request(cmd: &RequestCommand) -> siqaco::Result<u8> {
    let RequestCommand::Create(args) = cmd;
    let config = load(&args.config)?;
    let selection = parse_selection(&args.select)?;
    let window = (parse_time(&args.start)?, parse_time(&args.end)?);
    for r in create_requests(&config, &selection, window, &args.sources)? {
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
            let config = load(&common.config)?;
            let cat = siqaco::index::Catalogue::open(&config.catalogue)?;
            let states: Vec<RequestState> = states
                .iter()
                .map(|s| RequestState::parse(s))
                .collect::<siqaco::Result<_>>()?;
            let reqs = stack::list(&cat, &states, None)?;
            match format {
                Format::Json => {
                    outln!(
                        "{}",
                        serde_json::to_string_pretty(&stack::requests_json(
                            &cat, &reqs, *attempts
                        )?)
                        .map_err(|e| Error::invalid_argument(e.to_string()))?
                    )?;
                }
                Format::Text => {
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
                    for r in &reqs {
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
                        if *attempts {
                            for a in stack::attempts(&cat, r.id)? {
                                outln!(
                                    "{:>6}   run {} source {}: {} ({} bytes, {} samples){}",
                                    "",
                                    a.run_id,
                                    a.source,
                                    a.outcome,
                                    a.bytes,
                                    a.samples_added,
                                    a.message.map(|m| format!(": {m}")).unwrap_or_default()
                                )?;
                            }
                        }
                    }
                }
            }
            Ok(EXIT_COMPLETE)
        }
        StackCommand::Run { common, format } => {
            let config = load(&common.config)?;
            print_summary(&run_stack(&config)?, *format)
        }
        StackCommand::Retry { common, ids } => {
            let config = load(&common.config)?;
            let cat = siqaco::index::Catalogue::open(&config.catalogue)?;
            let n = stack::retry(&cat, ids)?;
            outln!("{n} request(s) put back to retry")?;
            Ok(EXIT_COMPLETE)
        }
        StackCommand::Cancel { common, ids } => {
            let config = load(&common.config)?;
            let cat = siqaco::index::Catalogue::open(&config.catalogue)?;
            let n = stack::cancel(&cat, ids)?;
            outln!("{n} request(s) cancelled")?;
            Ok(EXIT_COMPLETE)
        }
    }
}
