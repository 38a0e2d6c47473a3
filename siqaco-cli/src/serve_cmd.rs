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
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    bind: Option<std::net::SocketAddr>,
    /// StationXML file or directory of them, for fdsnws-station (repeatable).
    #[arg(long)]
    stationxml: Vec<PathBuf>,
    /// Streams served only through queryauth (N.S.L.C glob, repeatable).
    #[arg(long, value_parser = NslcGlob::parse)]
    restricted: Vec<NslcGlob>,
    /// An htdigest file (user:realm:HA1 lines) for queryauth and the operator's actions.
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// The HTTP digest realm of the credentials [default: FDSN].
    #[arg(long)]
    realm: Option<String>,
    /// Largest dataselect response, bytes [default: 2147483648].
    #[arg(long)]
    max_bytes: Option<u64>,
    /// Largest dataselect response, samples [default: 500000000].
    #[arg(long)]
    max_samples: Option<u64>,
    /// Most selection lines of a POST body [default: 10000].
    #[arg(long)]
    max_post_lines: Option<usize>,
    /// Most requests served at once; more get 503 [default: 64].
    #[arg(long)]
    max_concurrent: Option<usize>,
    /// Seconds allowed for one request until its response starts [default: 600].
    #[arg(long)]
    timeout: Option<f64>,
    /// Seconds allowed for a client to send a request's headers [default: 30].
    #[arg(long)]
    header_timeout: Option<f64>,
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
        Ok(s)
    }
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: &ServeArgs) -> siqaco::Result<u8> {
    siqaco_serve::run(args.settings()?)?;
    Ok(crate::EXIT_OK)
}
