//! `siqaco index`, `siqaco stats` and `siqaco db`: argument parsing and output only; the
//! catalogue lives in `siqaco::index`.

use crate::{output, Format, ScanArgs, EXIT_FAILURE, EXIT_FILE_ERRORS, EXIT_OK};
use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions};
use std::path::PathBuf;

/// Arguments of `siqaco index`.
#[derive(clap::Args, Debug)]
pub struct IndexArgs {
    /// Archive root directory.
    root: PathBuf,
    /// Catalogue: a SQLite file (created when missing, migrated when older) or a
    /// PostgreSQL URL `postgresql://USER@HOST:PORT/DBNAME`.
    #[arg(long)]
    db: PathBuf,
    /// Archive layout (as for `scan`).
    #[arg(long, default_value = "sds")]
    layout: String,
    /// Store file names relative to ROOT (ObsPy Indexer `relative_paths=True`).
    #[arg(long)]
    relative_paths: bool,
    /// Compute the MD5 `hash` of each section (as mseedindex does).
    #[arg(long)]
    hash: bool,
    /// Time-index interval in seconds (mseedindex -si).
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    subindex: i64,
    /// Files per transaction.
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// Arguments of `siqaco stats`.
#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// Catalogue file or PostgreSQL URL.
    #[arg(long)]
    db: PathBuf,
    /// Stream selection NET.STA.LOC.CHA with * and ? globs (repeatable).
    #[arg(long = "select", short = 's')]
    select: Vec<String>,
    /// Window start.
    #[arg(long)]
    start: Option<String>,
    /// Window end, exclusive.
    #[arg(long)]
    end: Option<String>,
    /// Show per-UTC-day statistics in text and CSV output (JSON always has them).
    #[arg(long)]
    per_day: bool,
    /// Output format (JSON: the document of `scan --format json`).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// `siqaco db` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum DbCommand {
    /// Migrate the catalogue schema to this version (SQLite: writes FILE.vN.bak first;
    /// PostgreSQL: back up with pg_dump first).
    Migrate {
        /// Catalogue file or PostgreSQL URL.
        #[arg(long)]
        db: PathBuf,
    },
    /// Write a consistent copy of the catalogue.
    Backup {
        /// Catalogue file or PostgreSQL URL.
        #[arg(long)]
        db: PathBuf,
        /// Destination (must not exist; default FILE.backup-<unix time>).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Check the catalogue (integrity, files, summary); exit status 1 when problems.
    Check {
        /// Catalogue file or PostgreSQL URL.
        #[arg(long)]
        db: PathBuf,
    },
}

fn existing(db: &PathBuf) -> siqaco::Result<()> {
    if db.is_file() || siqaco::index::is_postgres_url(&db.to_string_lossy()) {
        Ok(())
    } else {
        Err(siqaco::Error::io(
            db,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such catalogue"),
        ))
    }
}

/// Runs `siqaco index`.
pub fn run_index(a: &IndexArgs) -> siqaco::Result<u8> {
    let layout: Layout = a.layout.parse()?;
    let mut cat = Catalogue::open(&a.db)?;
    let opts = IndexOptions {
        relative_paths: a.relative_paths,
        hash: a.hash,
        subindex_s: a.subindex,
        batch_files: a.batch,
        threads: a.threads,
        ..Default::default()
    };
    let r = cat.index_archive(&Archive::new(&a.root, layout), &opts)?;
    errln!(
        "siqaco index: {} file(s) listed, {} read, {} unchanged, {} removed, {} row(s) written, {} file(s) with errors",
        r.files_listed, r.files_indexed, r.files_unchanged, r.files_removed, r.rows_written, r.files_with_errors
    );
    Ok(if r.files_with_errors > 0 {
        EXIT_FILE_ERRORS
    } else {
        EXIT_OK
    })
}

/// Runs `siqaco stats`.
pub fn run_stats(a: &StatsArgs) -> siqaco::Result<u8> {
    existing(&a.db)?;
    let mut scan = ScanArgs::for_root(a.db.clone(), a.format);
    scan.select = a.select.clone();
    scan.start = a.start.clone();
    scan.end = a.end.clone();
    let opts = scan.options()?;
    let cat = Catalogue::open(&a.db)?;
    let report = cat.report(&opts)?;
    output::print_report(&report, a.format, a.per_day)?;
    Ok(if report.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FILE_ERRORS
    })
}

/// Runs `siqaco db ...`.
pub fn run_db(c: &DbCommand) -> siqaco::Result<u8> {
    match c {
        DbCommand::Migrate { db } => {
            existing(db)?;
            let mut cat = Catalogue::open_raw(db)?;
            let from = cat.schema_version()?;
            let to = siqaco::index::SCHEMA_VERSION;
            let name = cat.target();
            match cat.migrate()? {
                Some(b) => outln!(
                    "migrated {name} from schema {from} to {to} (backup: {})",
                    b.display()
                )?,
                None if from < to => outln!("migrated {name} from schema {from} to {to}")?,
                None => outln!("{name}: schema {from} is current")?,
            }
            Ok(EXIT_OK)
        }
        DbCommand::Backup { db, output } => {
            existing(db)?;
            let cat = Catalogue::open_raw(db)?;
            let dest = output.clone().unwrap_or_else(|| {
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                PathBuf::from(format!("{}.backup-{t}", db.display()))
            });
            cat.backup(&dest)?;
            outln!("{}", dest.display())?;
            Ok(EXIT_OK)
        }
        DbCommand::Check { db } => {
            existing(db)?;
            let cat = Catalogue::open_raw(db)?;
            let r = cat.check()?;
            for p in &r.problems {
                outln!("problem: {p}")?;
            }
            outln!(
                "{}: {} file(s), {} tsindex row(s), {} problem(s)",
                cat.target(),
                r.files,
                r.rows,
                r.problems.len()
            )?;
            Ok(if r.problems.is_empty() {
                EXIT_OK
            } else {
                EXIT_FAILURE
            })
        }
    }
}
