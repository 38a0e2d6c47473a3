//! `siqaco fetch`: argument parsing and output only; sources live in `siqaco::source`.

use crate::EXIT_OK;
use siqaco::archive::{Archive, Layout};
use siqaco::source::fdsn::FdsnOptions;
use siqaco::source::{open_source, write_to_archive, RequestLine, SourceInfo};
use siqaco::time::parse_time;
use siqaco::{Error, NslcGlob};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `siqaco fetch`.
#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    /// Where to fetch from: an FDSN server's base URL (http://host:port; the dataselect
    /// service path is appended), a full service or query URL, an archive directory, or
    /// program:PATH[?CONNECT-INFOS] for an external program with Morumotto's contract.
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
    /// Bandwidth limit in bytes per second.
    #[arg(long, value_name = "BYTES_PER_S")]
    limit_rate: Option<u64>,
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
    let lines = args
        .select
        .iter()
        .map(|s| {
            Ok(RequestLine {
                stream: NslcGlob::parse(s)?,
                start_ns,
                end_ns,
            })
        })
        .collect::<siqaco::Result<Vec<_>>>()?;
    let out = Archive::new(&args.out, args.layout.parse::<Layout>()?);
    let mut info = SourceInfo::new("fetch");
    info.bandwidth_bytes_per_s = args.limit_rate;
    let opts = FdsnOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        max_retries: args.retries,
        quality: args.quality.clone(),
        ..FdsnOptions::default()
    };
    let source = open_source(&args.source, info, args.source_layout.parse()?, opts)?;
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".siqaco-staging-")
        .tempdir_in(&args.out)
        .map_err(|e| Error::io(&args.out, e))?;
    let report = source.fetch(&lines, staging.path())?;
    if report.is_no_data() {
        eprintln!("no data ({} request(s))", report.requests_done);
        return Ok(EXIT_OK);
    }
    let summary = write_to_archive(&report.files, &out)?;
    eprintln!(
        "fetched {} bytes in {} request(s) ({} retried or split); wrote {} records to {} file(s) \
         under {} ({} duplicate records skipped)",
        report.bytes,
        report.requests_done,
        report.requests_retried,
        summary.records_added,
        summary.files_written,
        args.out.display(),
        summary.records_duplicate
    );
    Ok(EXIT_OK)
}
