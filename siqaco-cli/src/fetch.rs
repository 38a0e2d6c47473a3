//! `siqaco fetch`: flags mapped onto `siqaco::ops::FetchRequest`, progress and output only.

use crate::EXIT_OK;
use siqaco::ops::{parse_field, parse_fields, parse_time_field, Control, FetchRequest, Progress};
use siqaco::source::fdsnws::client::PASSWORD_ENV;
use siqaco::source::fdsnws::Credentials;
use siqaco::source::SourceSpec;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// Arguments of `siqaco fetch`.
#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    /// Where to fetch from: an FDSN server's base URL (http://host:port; the dataselect
    /// service path is appended), a full service or query URL, an archive directory, a
    /// tsindex catalogue (a SQLite file or a postgresql:// URL) whose listed files are
    /// read, or program:PATH[?CONNECT-INFOS] for an external program with Morumotto's
    /// contract.
    #[arg(long)]
    source: String,
    /// Layout of an archive given as --source (as for `scan`).
    #[arg(long, default_value_t = siqaco::archive::Layout::default().to_string())]
    source_layout: String,
    /// Streams NET.STA.LOC.CHA with * and ? globs (repeatable; NET.STA..CHA or "--" for an
    /// empty location).
    #[arg(long = "select", short = 's', required = true)]
    select: Vec<String>,
    /// Window start (ISO 8601 with or without Z, or a date).
    #[arg(long)]
    start: String,
    /// Window end, exclusive.
    #[arg(long)]
    end: String,
    /// Output archive root (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Output archive layout.
    #[arg(long, default_value_t = siqaco::archive::Layout::default().to_string())]
    layout: String,
    /// Deadline of one request, from connecting to the last byte of the body (or of one
    /// program run), seconds; a request still running then is cut and retried.
    #[arg(long, default_value_t = FetchRequest::default().timeout_s, value_name = "SECONDS")]
    timeout: f64,
    /// Retries of failed requests.
    #[arg(long, default_value_t = FetchRequest::default().retries)]
    retries: u32,
    /// FDSN quality parameter to send (none is sent by default).
    #[arg(long)]
    quality: Option<String>,
    /// Bandwidth limit in bytes per second (shared by all requests).
    #[arg(long, value_name = "BYTES_PER_S")]
    limit_rate: Option<u64>,
    /// Requests in flight at once: the request is split by UTC day (and by stream when there
    /// are fewer days than this) and the pieces are fetched by this many workers.
    #[arg(long, default_value_t = FetchRequest::default().in_flight, value_name = "N")]
    in_flight: usize,
    /// Where availability comes from: "assume" (the whole window), "service" (the FDSN
    /// server's fdsnws-availability) or an availability URL. Unless "assume", only the
    /// times with data are requested.
    #[arg(long, default_value = "assume", value_name = "assume|service|URL")]
    availability: String,
    /// User for /queryauth (HTTP Digest); the password comes from --password or the
    /// environment variable SIQACO_FDSN_PASSWORD.
    #[arg(long)]
    user: Option<String>,
    /// Password for --user (prefer SIQACO_FDSN_PASSWORD: a command line is visible to
    /// other users).
    #[arg(long)]
    password: Option<String>,
    /// EIDA token file: exchanged for credentials at the server's /auth, then /queryauth.
    #[arg(long, value_name = "FILE")]
    token: Option<PathBuf>,
    /// Stream mappings over time: a TOML file with [[mapping]] entries, or a siqaco.toml
    /// with [[streams.mapping]]; a renamed stream is asked for under its codes of the time.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
}

impl FetchArgs {
    fn credentials(&self) -> siqaco::Result<Option<Credentials>> {
        let env = std::env::var(PASSWORD_ENV).ok();
        Credentials::from_options(
            self.user.as_deref(),
            self.password.as_deref(),
            self.token.as_deref(),
            env.as_deref(),
        )
    }
}

/// The progress bar on stderr (none when stderr is not a terminal).
fn progress_bar(chunks: usize) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(chunks as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} fetching [{bar:30}] {pos}/{len} requests {msg} {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message("0 B, 0 failed");
    pb.enable_steady_tick(Duration::from_millis(200));
    Some(pb)
}

/// The request of `siqaco fetch`'s flags.
fn request(args: &FetchArgs) -> siqaco::Result<FetchRequest> {
    let mut r = FetchRequest::default();
    r.start_ns = Some(parse_time_field("start_ns", &args.start)?);
    r.end_ns = Some(parse_time_field("end_ns", &args.end)?);
    r.select = parse_fields("select", &args.select)?;
    r.out = args.out.clone();
    r.layout = parse_field("layout", &args.layout)?;
    let source_layout = parse_field("source_layout", &args.source_layout)?;
    r.timeout_s = args.timeout;
    r.retries = args.retries;
    r.quality = args.quality.clone();
    r.limit_rate = args.limit_rate;
    r.in_flight = args.in_flight;
    r.availability = parse_field("availability", &args.availability)?;
    r.credentials = args.credentials()?;
    if let Some(f) = &args.mapping {
        r.mappings = siqaco::mapping::read_mapping_file(f)?;
    }
    r.source = Some(parse_field::<SourceSpec>("source", &args.source)?.with_layout(source_layout));
    r.validate()?;
    Ok(r)
}

/// Runs `siqaco fetch`.
pub fn run(args: &FetchArgs) -> siqaco::Result<u8> {
    let request = request(args)?;
    // The bar appears when the fetching starts (the first call gives the number of pieces).
    let pb: OnceLock<Option<indicatif::ProgressBar>> = OnceLock::new();
    let cb = |p: Progress| {
        let Progress::Fetch(p) = p else { return };
        if let Some(pb) = pb.get_or_init(|| progress_bar(p.chunks_total)) {
            pb.set_position(p.chunks_done as u64);
            pb.set_message(format!(
                "{}, {} failed",
                indicatif::HumanBytes(p.bytes),
                p.chunks_failed
            ));
        }
    };
    let control = if std::io::stderr().is_terminal() {
        Control::new().with_progress(&cb)
    } else {
        Control::new()
    };
    let fetched = request.run(&control);
    if let Some(Some(pb)) = pb.get() {
        pb.finish_and_clear();
    }
    let mut fetched = fetched?;
    if fetched.nothing_available {
        errln!("no data (the source's availability has nothing in the window)");
        return Ok(EXIT_OK);
    }
    if fetched.is_no_data() {
        errln!("no data ({} request(s))", fetched.report.requests_done);
        return Ok(EXIT_OK);
    }
    if let Some(summary) = &fetched.written {
        let report = &fetched.report;
        errln!(
            "fetched {} bytes in {} request(s) ({} retried or split); wrote {} records to {} \
             file(s) under {} ({} duplicate records skipped)",
            report.bytes,
            report.requests_done,
            report.requests_retried,
            summary.records_added,
            summary.files_written,
            args.out.display(),
            summary.records_duplicate
        );
    }
    if fetched.errors.is_empty() {
        return Ok(EXIT_OK);
    }
    let errors = &mut fetched.errors;
    let n = errors.len();
    for e in errors.iter().skip(1).take(9) {
        errln!("siqaco: error: {e}");
    }
    errln!(
        "{n} of {} part(s) of the request failed (split by day{})",
        fetched.chunks,
        if n > 10 {
            "; first 10 errors shown"
        } else {
            ""
        }
    );
    Err(errors.swap_remove(0))
}
