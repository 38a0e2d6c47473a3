//! `siqaco index`, `siqaco stats` and `siqaco db`: flags map to the fields of the
//! catalogue requests of `siqaco::ops` (`IndexRequest`, `StatsRequest`, `MigrateRequest`,
//! `BackupRequest`, `CheckRequest`); the output is written here.

use crate::{output, time_field, Format, EXIT_FAILURE, EXIT_FILE_ERRORS, EXIT_OK};
use siqaco::ops::{
    parse_field, parse_fields, BackupRequest, CheckRequest, Control, IndexRequest, MigrateRequest,
    StatsRequest,
};
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
    #[arg(long, default_value_t = siqaco::archive::Layout::default().to_string())]
    layout: String,
    /// Store file names relative to ROOT (ObsPy Indexer `relative_paths=True`).
    #[arg(long)]
    relative_paths: bool,
    /// Compute the MD5 `hash` of each section (as mseedindex does).
    #[arg(long)]
    hash: bool,
    /// Time-index interval in seconds (mseedindex -si; default 3600).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    subindex: Option<i64>,
    /// Files per transaction (default 256).
    #[arg(long)]
    batch: Option<usize>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Stream mappings over time: a TOML file with [[mapping]] entries, or a siqaco.toml
    /// with [[streams.mapping]]; the catalogue names the mapped streams (index into a new
    /// catalogue after changing them).
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// With a PostgreSQL catalogue: the lease of this run's claims in seconds (default 60).
    /// Several `siqaco index` runs on one catalogue split the archive's directories; a run
    /// that died has its directory taken over this long after its last heartbeat.
    #[arg(long, value_name = "SECONDS")]
    lease_s: Option<f64>,
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
    /// PostgreSQL: back up with `siqaco db backup` first; new indexes are built
    /// concurrently, no table is rewritten).
    Migrate {
        /// Catalogue file or PostgreSQL URL.
        #[arg(long)]
        db: PathBuf,
        /// Print the SQL the migration would run, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a consistent copy of the catalogue (SQLite: a copy of the file; PostgreSQL:
    /// pg_dump's custom format, restored with pg_restore).
    Backup {
        /// Catalogue file or PostgreSQL URL.
        #[arg(long)]
        db: PathBuf,
        /// Destination (must not exist; default FILE.backup-<unix time>; required for
        /// PostgreSQL).
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

impl IndexArgs {
    /// The index request of these arguments.
    pub(crate) fn request(&self) -> siqaco::Result<IndexRequest> {
        let mut r = IndexRequest::new(&self.root, &self.db);
        r.layout = parse_field("layout", &self.layout)?;
        r.relative_paths = self.relative_paths;
        r.hash = self.hash;
        if let Some(s) = self.subindex {
            r.subindex_s = s;
        }
        if let Some(b) = self.batch {
            r.batch_files = b;
        }
        r.threads = self.threads;
        if let Some(l) = self.lease_s {
            r.lease_s = l;
        }
        if let Some(f) = &self.mapping {
            r.mappings = siqaco::mapping::read_mapping_file(f)?;
        }
        Ok(r)
    }
}

/// Runs `siqaco index`.
pub fn run_index(a: &IndexArgs) -> siqaco::Result<u8> {
    let r = a.request()?.run(&Control::new())?;
    errln!(
        "siqaco index: {} file(s) listed, {} read, {} unchanged, {} removed, {} row(s) written, {} file(s) with errors",
        r.files_listed, r.files_indexed, r.files_unchanged, r.files_removed, r.rows_written, r.files_with_errors
    );
    if r.files_adopted > 0 {
        errln!(
            "siqaco index: {} file(s) adopted (headers read for siqaco's tables): {} tsindex row(s) of another tool kept",
            r.files_adopted,
            r.rows_kept
        );
    }
    Ok(if r.files_with_errors > 0 {
        EXIT_FILE_ERRORS
    } else {
        EXIT_OK
    })
}

impl StatsArgs {
    /// The stats request of these arguments (the JSON document always has the per-day
    /// statistics; `--per-day` shows them in text and CSV).
    fn request(&self) -> siqaco::Result<StatsRequest> {
        let mut r = StatsRequest::new(&self.db);
        r.analysis.select = parse_fields("select", &self.select)?;
        r.analysis.start_ns = time_field("start_ns", self.start.as_deref())?;
        r.analysis.end_ns = time_field("end_ns", self.end.as_deref())?;
        Ok(r)
    }
}

/// Runs `siqaco stats`.
pub fn run_stats(a: &StatsArgs) -> siqaco::Result<u8> {
    let report = a.request()?.run(&Control::new())?;
    output::print_report(&report, a.format, a.per_day)?;
    Ok(if report.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_FILE_ERRORS
    })
}

/// Runs `siqaco db ...`.
pub fn run_db(c: &DbCommand) -> siqaco::Result<u8> {
    let control = Control::new();
    match c {
        DbCommand::Migrate { db, dry_run } => {
            let mut request = MigrateRequest::new(db);
            request.dry_run = *dry_run;
            let r = request.run(&control)?;
            let (name, from, to) = (&r.catalogue, r.from_version, r.to_version);
            if r.dry_run {
                for s in &r.statements {
                    outln!("{s}")?;
                }
                if r.statements.is_empty() {
                    outln!("-- {name}: schema {from} is current")?;
                } else {
                    outln!("-- dry run: {name} stays at schema {from} (would migrate to {to})")?;
                }
                return Ok(EXIT_OK);
            }
            match &r.backup {
                Some(b) => outln!(
                    "migrated {name} from schema {from} to {to} (backup: {})",
                    b.display()
                )?,
                None if r.migrated() => outln!("migrated {name} from schema {from} to {to}")?,
                None => outln!("{name}: schema {from} is current")?,
            }
            Ok(EXIT_OK)
        }
        DbCommand::Backup { db, output } => {
            let mut request = BackupRequest::new(db);
            request.output = output.clone();
            let r = request.run(&control)?;
            outln!("{}", r.output.display())?;
            Ok(EXIT_OK)
        }
        DbCommand::Check { db } => {
            let r = CheckRequest::new(db).run(&control)?;
            for p in &r.problems {
                outln!("problem: {p}")?;
            }
            outln!(
                "{}: {} file(s), {} tsindex row(s), {} problem(s)",
                r.catalogue,
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
