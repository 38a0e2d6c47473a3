//! `siqaco fetch`: argument parsing, progress and output only; sources live in
//! `siqaco::source`.

use crate::EXIT_OK;
use siqaco::archive::{Archive, Layout};
use siqaco::source::fdsn::{AvailabilityMode, Credentials, FdsnOptions};
use siqaco::source::{
    fetch_concurrently, open_source, restrict_to_availability, split_by_day, write_to_archive,
    FetchProgress, RequestLine, SourceInfo,
};
use siqaco::time::parse_time;
use siqaco::{Error, Nslc, NslcGlob};
use std::io::IsTerminal;
use std::path::PathBuf;
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
    #[arg(long, default_value = "sds")]
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
    #[arg(long, default_value = "sds")]
    layout: String,
    /// Timeout of one request (or program run), seconds.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    timeout: f64,
    /// Retries of failed requests.
    #[arg(long, default_value_t = 4)]
    retries: u32,
    /// FDSN quality parameter to send (none is sent by default).
    #[arg(long)]
    quality: Option<String>,
    /// Bandwidth limit in bytes per second (shared by all requests).
    #[arg(long, value_name = "BYTES_PER_S")]
    limit_rate: Option<u64>,
    /// Requests in flight at once: the request is split by UTC day (and by stream when there
    /// are fewer days than this) and the pieces are fetched by this many workers.
    #[arg(long, default_value_t = 4, value_name = "N")]
    in_flight: usize,
    /// Where availability comes from: "assume" (the whole window), "service" (the FDSN
    /// server's fdsnws-availability) or an availability URL. Unless "assume", only the
    /// times with data are requested.
    #[arg(long, default_value = "assume", value_name = "assume|service|URL")]
    availability: String,
    /// User for /queryauth (HTTP Digest); the password comes from --password or the
    /// environment variable SIQACO_FDSN_PASSWORD.
    #[arg(long, conflicts_with = "token")]
    user: Option<String>,
    /// Password for --user (prefer SIQACO_FDSN_PASSWORD: a command line is visible to
    /// other users).
    #[arg(long, requires = "user")]
    password: Option<String>,
    /// EIDA token file: exchanged for credentials at the server's /auth, then /queryauth.
    #[arg(long, value_name = "FILE")]
    token: Option<PathBuf>,
}

impl FetchArgs {
    fn credentials(&self) -> siqaco::Result<Option<Credentials>> {
        if let Some(t) = &self.token {
            return Ok(Some(Credentials::EidaToken(t.clone())));
        }
        let Some(user) = &self.user else {
            return Ok(None);
        };
        let password = match &self.password {
            Some(p) => p.clone(),
            None => std::env::var("SIQACO_FDSN_PASSWORD").map_err(|_| {
                Error::invalid_argument("--user needs --password or SIQACO_FDSN_PASSWORD")
            })?,
        };
        Ok(Some(Credentials::Password {
            user: user.clone(),
            password,
        }))
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

/// Runs `siqaco fetch`.
pub fn run(args: &FetchArgs) -> siqaco::Result<u8> {
    let (start_ns, end_ns) = (parse_time(&args.start)?, parse_time(&args.end)?);
    if end_ns <= start_ns {
        return Err(Error::invalid_argument("--end must be after --start"));
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return Err(Error::invalid_argument("--timeout must be > 0"));
    }
    if args.in_flight == 0 {
        return Err(Error::invalid_argument("--in-flight must be at least 1"));
    }
    let globs = args
        .select
        .iter()
        .map(|s| NslcGlob::parse(s))
        .collect::<siqaco::Result<Vec<_>>>()?;
    let mut lines: Vec<RequestLine> = globs
        .iter()
        .map(|g| RequestLine {
            stream: g.clone(),
            start_ns,
            end_ns,
        })
        .collect();
    let out = Archive::new(&args.out, args.layout.parse::<Layout>()?);
    let mut info = SourceInfo::new("fetch");
    info.bandwidth_bytes_per_s = args.limit_rate;
    info.max_in_flight = args.in_flight;
    let availability = match args.availability.as_str() {
        "assume" => AvailabilityMode::Assume,
        "service" => AvailabilityMode::Service,
        u => AvailabilityMode::Url(u.to_string()),
    };
    let restrict = availability != AvailabilityMode::Assume;
    let opts = FdsnOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        max_retries: args.retries,
        quality: args.quality.clone(),
        credentials: args.credentials()?,
        availability,
        ..FdsnOptions::default()
    };
    let source = open_source(&args.source, info, args.source_layout.parse()?, opts)?;
    if restrict {
        // Globs are passed as codes: availability services and archives match them.
        let streams: Vec<Nslc> = globs
            .iter()
            .map(|g| Nslc::new(&g.network, &g.station, &g.location, &g.channel))
            .collect();
        let spans = source.availability(&streams, start_ns, end_ns)?;
        lines = restrict_to_availability(&lines, &spans);
        if lines.is_empty() {
            eprintln!("no data (the source's availability has nothing in the window)");
            return Ok(EXIT_OK);
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".siqaco-staging-")
        .tempdir_in(&args.out)
        .map_err(|e| Error::io(&args.out, e))?;
    let chunks = split_by_day(&lines, args.in_flight);
    let pb = progress_bar(chunks.len());
    let cb = |p: FetchProgress| {
        if let Some(pb) = &pb {
            pb.set_position(p.chunks_done as u64);
            pb.set_message(format!(
                "{}, {} failed",
                indicatif::HumanBytes(p.bytes),
                p.chunks_failed
            ));
        }
    };
    let progress: Option<&(dyn Fn(FetchProgress) + Sync)> =
        if pb.is_some() { Some(&cb) } else { None };
    let t0 = std::time::Instant::now();
    let (report, mut errors) = fetch_concurrently(
        source.as_ref(),
        &chunks,
        staging.path(),
        args.in_flight,
        progress,
    );
    if let Some(pb) = &pb {
        pb.finish_and_clear();
    }
    if report.is_no_data() && errors.is_empty() {
        eprintln!("no data ({} request(s))", report.requests_done);
        return Ok(EXIT_OK);
    }
    tracing::debug!("fetch: {:.3} s", t0.elapsed().as_secs_f64());
    if !report.is_no_data() {
        let t1 = std::time::Instant::now();
        let summary = write_to_archive(&report.files, &out)?;
        tracing::debug!("write_to_archive: {:.3} s", t1.elapsed().as_secs_f64());
        eprintln!(
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
    if errors.is_empty() {
        return Ok(EXIT_OK);
    }
    let n = errors.len();
    for e in errors.iter().skip(1).take(9) {
        eprintln!("siqaco: error: {e}");
    }
    eprintln!(
        "{n} of {} part(s) of the request failed (split by day{})",
        chunks.len(),
        if n > 10 {
            "; first 10 errors shown"
        } else {
            ""
        }
    );
    Err(errors.swap_remove(0))
}
