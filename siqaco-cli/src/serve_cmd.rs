//! `siqaco serve`: flags onto [`ServeSettings`], then the server (`siqaco-serve`).

use siqaco::ops::ServeSettings;
use std::path::PathBuf;

/// Arguments of `siqaco serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The catalogue to serve: a SQLite file written by `siqaco index`, or a
    /// postgresql:// URL.
    #[arg(long = "catalogue", alias = "db")]
    catalogue: String,
    /// Directory that relative file names in the catalogue are resolved against
    /// (default: the catalogue's directory).
    #[arg(long)]
    archive: Option<PathBuf>,
    /// Address and port to listen on.
    #[arg(long, default_value_t = ServeSettings::default().bind)]
    bind: std::net::SocketAddr,
    /// StationXML file or directory of them, for fdsnws-station (repeatable).
    #[arg(long)]
    stationxml: Vec<PathBuf>,
    /// A QC JSON document (`siqaco qc --format json`) whose findings the status page shows.
    #[arg(long)]
    qc: Option<PathBuf>,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: &ServeArgs) -> siqaco::Result<u8> {
    let mut settings = ServeSettings::new(&args.catalogue);
    settings.archive = args.archive.clone();
    settings.bind = args.bind;
    settings.stationxml = args.stationxml.clone();
    settings.qc = args.qc.clone();
    siqaco_serve::run(settings)?;
    Ok(crate::EXIT_OK)
}
