//! `siqaco serve`: the configuration's `[serve]` table and the flags onto [`ServeSettings`],
//! then the server (`siqaco-serve`).

use siqaco::ops::ServeSettings;
use siqaco::sid::NslcGlob;
use std::path::PathBuf;

/// Arguments of `siqaco serve`. Each flag overrides the `[serve]` key of the same name
/// when `--config` is given; defaults are [`ServeSettings::default`]'s (docs/serve.md).
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// A siqaco.toml whose `[serve]` table gives the settings (docs/serve.md); its
    /// catalogue, archive and StationXML are the defaults, and the status page's operator
    /// actions run with it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The catalogue to serve: a SQLite file written by `siqaco index`, or a
    /// postgresql:// URL (required without --config).
    #[arg(long = "catalogue", alias = "db")]
    catalogue: Option<String>,
    /// Directory that relative file names in the catalogue are resolved against
    /// (default: the catalogue's directory; with --config, archive.path).
    #[arg(long)]
    archive: Option<PathBuf>,
    #[arg(long, help = with_default("Address and port to listen on", ServeSettings::default().bind))]
    bind: Option<std::net::SocketAddr>,
    /// StationXML file or directory of them, for fdsnws-station (repeatable).
    #[arg(long)]
    stationxml: Vec<PathBuf>,
    /// A QC JSON document (`siqaco qc --format json`) whose findings the status page shows.
    #[arg(long)]
    qc: Option<PathBuf>,
    /// Streams served only through queryauth (N.S.L.C glob, repeatable).
    #[arg(long, value_parser = NslcGlob::parse)]
    restricted: Vec<NslcGlob>,
    /// An htdigest file (user:realm:HA1 lines) for queryauth and the operator's actions.
    #[arg(long)]
    credentials: Option<PathBuf>,
    #[arg(long, help = with_default("The HTTP digest realm of the credentials", ServeSettings::default().realm))]
    realm: Option<String>,
    #[arg(long, help = with_default("Largest dataselect response, bytes (413 above)", ServeSettings::default().max_bytes))]
    max_bytes: Option<u64>,
    #[arg(long, help = with_default("Largest dataselect response, samples (413 above)", ServeSettings::default().max_samples))]
    max_samples: Option<u64>,
    #[arg(long, help = with_default("Most selection lines of a POST body (413 above)", ServeSettings::default().max_post_lines))]
    max_post_lines: Option<usize>,
    #[arg(long, help = with_default("Most requests served at once (503 above)", ServeSettings::default().max_concurrent))]
    max_concurrent: Option<usize>,
    #[arg(long, help = with_default("Seconds allowed for one request until its response starts (503 after)", ServeSettings::default().timeout_s))]
    timeout: Option<f64>,
    #[arg(long, help = with_default("Seconds allowed for a client to send a request's headers", ServeSettings::default().header_timeout_s))]
    header_timeout: Option<f64>,
    /// Stream mappings over time: a TOML file with [[mapping]] entries, or a siqaco.toml
    /// with [[streams.mapping]] (replaces the configuration's; index with the same file).
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
}

/// A flag's help with the default of its setting ([`ServeSettings::default`], the one set
/// of defaults), as clap shows defaults.
fn with_default(text: &str, default: impl std::fmt::Display) -> String {
    format!("{text} [default: {default}]")
}

impl ServeArgs {
    /// The settings: the configuration's `[serve]` table (or the defaults), each flag given
    /// replacing its key.
    ///
    /// # Errors
    /// The configuration's errors ([`siqaco::Error::Config`] naming the key).
    fn settings(&self) -> siqaco::Result<ServeSettings> {
        let mut s = match &self.config {
            Some(path) => siqaco::update::config::Config::from_path(path)?.serve,
            None => ServeSettings::default(),
        };
        if let Some(c) = &self.catalogue {
            s.catalogue.clone_from(c);
        }
        if self.archive.is_some() {
            s.archive.clone_from(&self.archive);
        }
        if !self.stationxml.is_empty() {
            s.stationxml.clone_from(&self.stationxml);
        }
        if self.qc.is_some() {
            s.qc.clone_from(&self.qc);
        }
        if !self.restricted.is_empty() {
            s.restricted.clone_from(&self.restricted);
        }
        if self.credentials.is_some() {
            s.credentials.clone_from(&self.credentials);
        }
        if let Some(r) = &self.realm {
            s.realm.clone_from(r);
        }
        s.bind = self.bind.unwrap_or(s.bind);
        s.max_bytes = self.max_bytes.unwrap_or(s.max_bytes);
        s.max_samples = self.max_samples.unwrap_or(s.max_samples);
        s.max_post_lines = self.max_post_lines.unwrap_or(s.max_post_lines);
        s.max_concurrent = self.max_concurrent.unwrap_or(s.max_concurrent);
        s.timeout_s = self.timeout.unwrap_or(s.timeout_s);
        s.header_timeout_s = self.header_timeout.unwrap_or(s.header_timeout_s);
        if let Some(f) = &self.mapping {
            s.mappings = siqaco::mapping::read_mapping_file(f)?;
        }
        Ok(s)
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: &ServeArgs) -> siqaco::Result<u8> {
    siqaco_serve::run(args.settings()?)?;
    Ok(crate::EXIT_OK)
}
