//! `siqaco import morumotto` and `siqaco import seiscomp`: flags mapped onto
//! `siqaco::ops::ImportMorumottoRequest` and `ImportSeiscompRequest`, and the report; the
//! rules are in `siqaco::import` (docs/import.md).

use crate::update_cmd::Format;
use siqaco::import::ImportReport;
use siqaco::ops::{Control, ImportMorumottoRequest, ImportSeiscompRequest, DEFAULT_CATALOGUE};
use siqaco::Error;
use std::path::PathBuf;

/// `siqaco import ...`.
#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// Write a siqaco.toml from a Morumotto set-up: setup.xml + sources.xml + nslc.list, or
    /// a `manage.py dumpdata` JSON file (whose open requests and gaps go into the request
    /// stack).
    Morumotto(MorumottoArgs),
    /// Write a siqaco.toml from SeisComP slarchive key files and bindings and an inventory.
    Seiscomp(SeiscompArgs),
}

/// Arguments of `siqaco import morumotto`.
#[derive(clap::Args, Debug)]
pub struct MorumottoArgs {
    /// Morumotto's setup.xml (Django XML fixture with the archive configuration).
    #[arg(long, conflicts_with = "dump", required_unless_present = "dump")]
    setup: Option<PathBuf>,
    /// Morumotto's sources.xml (Django XML fixture with the sources).
    #[arg(long, requires = "setup")]
    sources: Option<PathBuf>,
    /// Morumotto's nslc.list (NET|STA|LOC|CHA lines): the streams.
    #[arg(long)]
    nslc: Option<PathBuf>,
    /// A `manage.py dumpdata` JSON file of a running Morumotto.
    #[arg(long)]
    dump: Option<PathBuf>,
    #[command(flatten)]
    written: Written,
}

/// Arguments of `siqaco import seiscomp`.
#[derive(clap::Args, Debug)]
pub struct SeiscompArgs {
    /// SeisComP's key directory ($SEISCOMP_ROOT/etc/key).
    #[arg(long)]
    keys: PathBuf,
    /// Inventory: FDSN StationXML (a file or a directory of files) or SeisComP XML.
    #[arg(long)]
    inventory: Option<PathBuf>,
    /// The archive root slarchive writes (default: archive of etc/slarchive.cfg, else
    /// $SEISCOMP_ROOT/var/lib/archive).
    #[arg(long)]
    archive: Option<PathBuf>,
    /// The module whose bindings are read (slarchive, or an alias).
    #[arg(long, default_value = "slarchive")]
    module: String,
    #[command(flatten)]
    written: Written,
}

/// What both imports write, and how they report it.
#[derive(clap::Args, Debug)]
pub struct Written {
    /// The siqaco.toml to write.
    #[arg(long)]
    out: PathBuf,
    /// Replace --out when it exists.
    #[arg(long)]
    force: bool,
    /// catalogue.url of the written file (relative to it, or postgresql://...).
    #[arg(long, default_value = DEFAULT_CATALOGUE)]
    catalogue: String,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

fn print(report: &ImportReport, format: Format) -> siqaco::Result<u8> {
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(report)
                .map_err(|e| Error::invalid_argument(e.to_string()))?
        )?,
        Format::Text => {
            outln!(
                "wrote {}: {} stream selection(s), {} source(s){}",
                report.written.display(),
                report.streams.len(),
                report.sources.len(),
                if report.sources.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", report.sources.join(", "))
                }
            )?;
            if let Some(c) = &report.catalogue {
                outln!(
                    "{} request(s) put into the request stack of {c}",
                    report.requests_imported
                )?;
            }
            if !report.unmapped.is_empty() {
                outln!(
                    "{} field(s) with no siqaco equivalent, listed at the end of the file",
                    report.unmapped.len()
                )?;
            }
            for w in &report.warnings {
                errln!("siqaco: warning: {w}");
            }
        }
    }
    Ok(crate::EXIT_OK)
}

/// Runs `siqaco import ...`.
pub fn run(command: &ImportCommand) -> siqaco::Result<u8> {
    match command {
        ImportCommand::Morumotto(a) => {
            let w = &a.written;
            let mut r = ImportMorumottoRequest::new(&w.out);
            r.setup = a.setup.clone();
            r.sources = a.sources.clone();
            r.nslc = a.nslc.clone();
            r.dump = a.dump.clone();
            r.force = w.force;
            r.catalogue = w.catalogue.clone();
            print(&r.run(&Control::new())?, w.format)
        }
        ImportCommand::Seiscomp(a) => {
            let w = &a.written;
            let mut r = ImportSeiscompRequest::new(&a.keys, &w.out);
            r.inventory = a.inventory.clone();
            r.archive = a.archive.clone();
            r.module = a.module.clone();
            r.force = w.force;
            r.catalogue = w.catalogue.clone();
            print(&r.run(&Control::new())?, w.format)
        }
    }
}
