//! The catalogue operations: index, stats and the `db` maintenance (migrate, backup,
//! check). The catalogue is a SQLite file or a `postgresql://` URL ([`crate::index`]).
//!
//! Only [`IndexRequest`] creates a catalogue; every other operation needs an existing one
//! ([`Catalogue::exists`], the one rule) and refuses a missing one with
//! [`crate::Error::Io`] (not found) naming it, creating nothing.

use super::{check_threads, require, AnalysisRequest, Control};
use crate::archive::{Archive, Layout};
use crate::error::Result;
use crate::index::{Catalogue, CheckReport, IndexOptions, IndexReport, SCHEMA_VERSION};
use crate::scan::{ScanOptions, ScanReport};
use crate::segment::Tolerance;
use std::path::{Path, PathBuf};

/// Checks the `catalogue` field: a path or URL is given.
pub(super) fn check_catalogue(catalogue: &Path) -> Result<()> {
    require(!catalogue.as_os_str().is_empty(), "catalogue", || {
        "a SQLite file or a postgresql:// URL is needed".into()
    })
}

/// Index an archive into a tsindex catalogue, incrementally (`siqaco index`,
/// `siqaco.index`, `siqaco_catalogue_index`); see [`crate::index`] and `docs/index.md`.
///
/// The catalogue is created when missing (its directory must exist) and migrated when its
/// schema is older ([`Catalogue::open`]); only new or changed files are read. An existing
/// catalogue of mseedindex, ObsPy's `Indexer` or an earlier siqaco is adopted in place: the
/// `tsindex` rows of files that did not change are kept, counted in
/// [`IndexReport::files_adopted`] and [`IndexReport::rows_kept`] (`docs/index.md`,
/// "Adopting a catalogue").
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// # let root = dir.path().join("sds");
/// # std::fs::create_dir(&root).unwrap();
/// use siqaco::ops::{CheckRequest, Control, IndexRequest, StatsRequest};
/// let catalogue = dir.path().join("catalogue.sqlite");
/// let control = Control::new();
/// let mut request = IndexRequest::new(&root, &catalogue);
/// request.hash = true;
/// let counts = request.run(&control)?;
/// assert_eq!(counts.files_listed, 0);
/// // The catalogue now exists: the operations that need one accept it.
/// let report = StatsRequest::new(&catalogue).run(&control)?;
/// assert!(report.streams.is_empty());
/// assert!(CheckRequest::new(&catalogue).run(&control)?.problems.is_empty());
/// // A catalogue that does not exist is refused, and not created.
/// let missing = dir.path().join("typo.sqlite");
/// let e = StatsRequest::new(&missing).run(&control).unwrap_err();
/// assert_eq!(e.kind(), siqaco::ErrorKind::Io);
/// assert!(!missing.exists());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IndexRequest {
    /// The archive root directory (must exist).
    pub root: PathBuf,
    /// The catalogue: a SQLite file or a `postgresql://USER@HOST:PORT/DBNAME` URL.
    pub catalogue: PathBuf,
    /// The archive layout (default SDS).
    pub layout: Layout,
    /// Store file names relative to the root (ObsPy `Indexer(relative_paths=True)`);
    /// default absolute, symbolic links resolved (mseedindex).
    pub relative_paths: bool,
    /// Compute the MD5 `hash` of each section (as mseedindex does; default off).
    pub hash: bool,
    /// Time-index interval, seconds (mseedindex `-si`, default 3600; at least 1).
    pub subindex_s: i64,
    /// Files written per transaction (default 256; at least 1).
    pub batch_files: usize,
    /// Time tolerance of the stored traces, seconds (default half a sample period;
    /// exclusive with `tolerance_periods`).
    pub tolerance_s: Option<f64>,
    /// Time tolerance, sample periods (default 0.5).
    pub tolerance_periods: Option<f64>,
    /// Relative sample-rate tolerance (default 1e-4).
    pub rate_tolerance: Option<f64>,
    /// Worker threads reading files (default: all cores; at least 1).
    pub threads: Option<usize>,
    /// Stream mappings over time (default none): the catalogue names the streams records
    /// map to ([`crate::mapping`], [`IndexOptions::mappings`]).
    pub mappings: crate::mapping::Mappings,
    /// With a PostgreSQL catalogue, the lease of this worker's claims, seconds (default
    /// 60; at least 0.3): several `siqaco index` runs on one catalogue split the archive's
    /// directories between them, and one that died has its directory taken over this long
    /// after its last heartbeat ([`IndexOptions::lease_s`]; `docs/scale.md`).
    pub lease_s: f64,
}

impl IndexRequest {
    /// A request to index the archive under `root` into `catalogue`, with the defaults
    /// (those of [`IndexOptions::default`]).
    pub fn new(root: impl Into<PathBuf>, catalogue: impl Into<PathBuf>) -> Self {
        let d = IndexOptions::default();
        IndexRequest {
            root: root.into(),
            catalogue: catalogue.into(),
            layout: Layout::Sds,
            relative_paths: d.relative_paths,
            hash: d.hash,
            subindex_s: d.subindex_s,
            batch_files: d.batch_files,
            tolerance_s: None,
            tolerance_periods: None,
            rate_tolerance: None,
            threads: d.threads,
            mappings: d.mappings,
            lease_s: d.lease_s,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first bad field: an empty `catalogue`,
    /// `subindex_s` < 1, `batch_files` = 0, a bad tolerance, `threads` = 0, `lease_s` < 0.3.
    pub fn validate(&self) -> Result<()> {
        check_catalogue(&self.catalogue)?;
        self.options().map(|_| ())
    }

    /// The lower-level options of this request (without cancellation), every field
    /// checked but `catalogue`.
    pub(crate) fn options(&self) -> Result<IndexOptions> {
        require(self.subindex_s >= 1, "subindex_s", || {
            "must be at least 1 (seconds)".into()
        })?;
        require(self.batch_files >= 1, "batch_files", || {
            "must be at least 1".into()
        })?;
        check_threads("threads", self.threads)?;
        require(
            self.lease_s >= 0.3 && self.lease_s.is_finite(),
            "lease_s",
            || format!("{}: must be at least 0.3 (seconds)", self.lease_s),
        )?;
        Ok(IndexOptions {
            relative_paths: self.relative_paths,
            hash: self.hash,
            subindex_s: self.subindex_s,
            batch_files: self.batch_files,
            tolerance: Tolerance::from_options(
                self.tolerance_s,
                self.tolerance_periods,
                self.rate_tolerance,
            )?,
            threads: self.threads,
            cancel: None,
            mappings: self.mappings.clone(),
            lease_s: self.lease_s,
        })
    }

    /// Indexes. Cancellation: no further file is read; the files already read are
    /// written, each whole, `tsindex_summary` is rebuilt and the counts of what was done
    /// are returned (see [`IndexOptions::cancel`]); the next run continues.
    ///
    /// # Errors
    /// As [`IndexRequest::validate`]; [`crate::Error::Io`] naming the root when it cannot
    /// be read (checked before the catalogue is opened, so a mistyped root creates no
    /// catalogue); [`crate::Error::Database`] when the catalogue cannot be opened,
    /// created or written. Unreadable files are not errors: they are counted in
    /// [`IndexReport::files_with_errors`].
    pub fn run(&self, control: &Control) -> Result<IndexReport> {
        self.validate()?;
        crate::archive::check_root(&self.root)?;
        self.run_on(&mut Catalogue::open(&self.catalogue)?, control)
    }

    /// [`IndexRequest::run`] into a catalogue the caller keeps open (the C ABI's
    /// catalogue handle); the `catalogue` field is not used.
    ///
    /// # Errors
    /// As [`IndexRequest::run`].
    pub fn run_on(&self, catalogue: &mut Catalogue, control: &Control) -> Result<IndexReport> {
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        crate::archive::check_root(&self.root)?;
        catalogue.index_archive(&Archive::new(&self.root, self.layout.clone()), &opts)
    }
}

/// Gaps, overlaps, availability and per-day statistics of an existing catalogue, without
/// reading waveforms (`siqaco stats`, `siqaco.stats`, `siqaco_catalogue_report`): the
/// [`ScanReport`] a scan of the indexed files gives ([`Catalogue::report`] says how they
/// may differ), serialising as the JSON document of `docs/scan-json.md`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StatsRequest {
    /// The catalogue: a SQLite file or a `postgresql://` URL; must exist.
    pub catalogue: PathBuf,
    /// Selection, window, gap filters, tolerances, per-day statistics, as for a scan (a
    /// tolerance smaller than the one used when indexing cannot split traces already
    /// joined).
    pub analysis: AnalysisRequest,
}

impl StatsRequest {
    /// A request for the statistics of `catalogue` with the defaults (those of
    /// [`AnalysisRequest`]).
    pub fn new(catalogue: impl Into<PathBuf>) -> Self {
        StatsRequest {
            catalogue: catalogue.into(),
            analysis: AnalysisRequest::default(),
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] naming the first bad field: an empty `catalogue`,
    /// then as [`AnalysisRequest::scan_options`] (a window whose `end_ns` is not after
    /// `start_ns`, a negative number of seconds, both tolerances).
    pub fn validate(&self) -> Result<()> {
        self.options().map(|_| ())
    }

    /// The analysis options: those of a scan with the same fields (one rule).
    fn options(&self) -> Result<ScanOptions> {
        check_catalogue(&self.catalogue)?;
        self.analysis.scan_options(None)
    }

    /// The report. The control is not used (the catalogue is read in one query per
    /// stream).
    ///
    /// # Errors
    /// As [`StatsRequest::validate`]; [`crate::Error::Io`] (not found) naming the
    /// catalogue when it does not exist (nothing is created); [`crate::Error::Database`].
    pub fn run(&self, control: &Control) -> Result<ScanReport> {
        self.validate()?;
        self.run_on(&Catalogue::open_existing(&self.catalogue)?, control)
    }

    /// [`StatsRequest::run`] on a catalogue the caller keeps open (the C ABI's catalogue
    /// handle); the `catalogue` field is not used.
    ///
    /// # Errors
    /// As [`AnalysisRequest::scan_options`]; [`crate::Error::Database`].
    pub fn run_on(&self, catalogue: &Catalogue, _control: &Control) -> Result<ScanReport> {
        catalogue.report(&self.analysis.scan_options(None)?)
    }
}

/// Migrate an existing catalogue's schema to this build's [`SCHEMA_VERSION`]
/// (`siqaco db migrate`; [`Catalogue::migrate`]: SQLite writes `FILE.vN.bak` first;
/// PostgreSQL builds new indexes with `CREATE INDEX CONCURRENTLY`; no table is rewritten).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MigrateRequest {
    /// The catalogue: a SQLite file or a `postgresql://` URL; must exist.
    pub catalogue: PathBuf,
    /// Only list the SQL the migration would run ([`MigrateReport::statements`]); nothing
    /// is written, no backup copy made (`siqaco db migrate --dry-run`; default false).
    pub dry_run: bool,
}

/// What a [`MigrateRequest`] did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct MigrateReport {
    /// The catalogue: its file name, or its URL without the password.
    pub catalogue: String,
    /// The schema version found.
    pub from_version: u32,
    /// The schema version now ([`SCHEMA_VERSION`]).
    pub to_version: u32,
    /// The copy written before migrating (SQLite with tables only; `None` in a dry run).
    pub backup: Option<PathBuf>,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// The SQL run, or in a dry run the SQL that would run, in order (`BEGIN;` and
    /// `COMMIT;` around each transaction; SQLite's copy as `VACUUM INTO 'FILE';`); empty
    /// when the schema is current ([`crate::index::Migration::statements`]).
    pub statements: Vec<String>,
}

impl MigrateReport {
    /// Whether the schema changed (never in a dry run).
    pub fn migrated(&self) -> bool {
        !self.dry_run && self.from_version < self.to_version
    }
}

impl MigrateRequest {
    /// A request to migrate `catalogue`.
    pub fn new(catalogue: impl Into<PathBuf>) -> Self {
        MigrateRequest {
            catalogue: catalogue.into(),
            dry_run: false,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] for an empty `catalogue`.
    pub fn validate(&self) -> Result<()> {
        check_catalogue(&self.catalogue)
    }

    /// Migrates, or lists the SQL with `dry_run`. The control is not used.
    ///
    /// # Errors
    /// As [`MigrateRequest::validate`]; [`crate::Error::Io`] (not found) for a missing
    /// catalogue; as [`Catalogue::migrate_with`].
    pub fn run(&self, _control: &Control) -> Result<MigrateReport> {
        self.validate()?;
        let mut cat = Catalogue::open_existing_raw(&self.catalogue)?;
        let m = cat.migrate_with(self.dry_run)?;
        Ok(MigrateReport {
            catalogue: cat.target(),
            from_version: m.from_version,
            to_version: SCHEMA_VERSION,
            backup: m.backup,
            dry_run: self.dry_run,
            statements: m.statements,
        })
    }
}

/// Write a consistent copy of an existing catalogue (`siqaco db backup`;
/// [`Catalogue::backup`]: a SQLite file's copy, or PostgreSQL's `pg_dump` in its custom
/// format).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BackupRequest {
    /// The catalogue: a SQLite file or a `postgresql://` URL; must exist.
    pub catalogue: PathBuf,
    /// The copy to write (must not exist; default `CATALOGUE.backup-<unix seconds>`).
    pub output: Option<PathBuf>,
}

/// What a [`BackupRequest`] did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BackupReport {
    /// The catalogue: its file name, or its URL without the password.
    pub catalogue: String,
    /// The copy written.
    pub output: PathBuf,
}

impl BackupRequest {
    /// A request to back `catalogue` up to the default file name.
    pub fn new(catalogue: impl Into<PathBuf>) -> Self {
        BackupRequest {
            catalogue: catalogue.into(),
            output: None,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] for an empty `catalogue` or `output`.
    pub fn validate(&self) -> Result<()> {
        check_catalogue(&self.catalogue)?;
        require(
            self.output
                .as_ref()
                .is_none_or(|o| !o.as_os_str().is_empty()),
            "output",
            || "an empty path".into(),
        )
    }

    /// Writes the copy. The control is not used (SQLite's `VACUUM INTO`, `pg_dump`).
    ///
    /// # Errors
    /// As [`BackupRequest::validate`] (also [`crate::Error::InvalidField`] `output` when it
    /// is not given for a PostgreSQL catalogue: a URL is no file name to derive one from);
    /// [`crate::Error::Io`] (not found) for a missing catalogue; as [`Catalogue::backup`]
    /// (the copy exists, `pg_dump` cannot be run or fails).
    pub fn run(&self, _control: &Control) -> Result<BackupReport> {
        self.validate()?;
        let cat = Catalogue::open_existing_raw(&self.catalogue)?;
        require(
            self.output.is_some() || cat.path().is_some(),
            "output",
            || "needed for a PostgreSQL catalogue (the pg_dump file to write)".into(),
        )?;
        let output = self.output.clone().unwrap_or_else(|| {
            let t = crate::time::now_ns().div_euclid(1_000_000_000);
            PathBuf::from(format!("{}.backup-{t}", self.catalogue.display()))
        });
        cat.backup(&output)?;
        Ok(BackupReport {
            catalogue: cat.target(),
            output,
        })
    }
}

/// Check an existing catalogue: integrity, schema, files, summary (`siqaco db check`;
/// [`Catalogue::check`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CheckRequest {
    /// The catalogue: a SQLite file or a `postgresql://` URL; must exist.
    pub catalogue: PathBuf,
}

impl CheckRequest {
    /// A request to check `catalogue`.
    pub fn new(catalogue: impl Into<PathBuf>) -> Self {
        CheckRequest {
            catalogue: catalogue.into(),
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] for an empty `catalogue`.
    pub fn validate(&self) -> Result<()> {
        check_catalogue(&self.catalogue)
    }

    /// Checks the catalogue; the problems found are in the result, not errors. The
    /// control is not used.
    ///
    /// # Errors
    /// As [`CheckRequest::validate`]; [`crate::Error::Io`] (not found) for a missing
    /// catalogue; [`crate::Error::Database`] when the checks cannot run.
    pub fn run(&self, _control: &Control) -> Result<CheckReport> {
        self.validate()?;
        Catalogue::open_existing_raw(&self.catalogue)?.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::ScanRequest;
    use crate::Error;

    /// The rows of `bad-inputs.tsv` of the catalogue operations, in the core's terms.
    #[test]
    fn fields_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let db = root.join("cat.sqlite");
        let field = |e: Error| (e.field_name().map(str::to_string), e.to_string());
        let mut r = IndexRequest::new(root, &db);
        r.subindex_s = 0;
        assert_eq!(
            field(r.run(&Control::new()).unwrap_err()),
            (
                Some("subindex_s".into()),
                "invalid argument: subindex_s: must be at least 1 (seconds)".into()
            )
        );
        let mut r = IndexRequest::new(root, &db);
        r.batch_files = 0;
        assert_eq!(
            field(r.validate().unwrap_err()).0.as_deref(),
            Some("batch_files")
        );
        let mut r = IndexRequest::new(root, &db);
        r.threads = Some(0);
        assert_eq!(
            field(r.validate().unwrap_err()).0.as_deref(),
            Some("threads")
        );
        assert!(!db.exists(), "a refused request creates no catalogue");

        let mut s = StatsRequest::new(&db);
        s.analysis.start_ns = Some(20);
        s.analysis.end_ns = Some(10);
        assert_eq!(
            field(s.run(&Control::new()).unwrap_err()),
            (
                Some("end_ns".into()),
                "invalid argument: end_ns: must be after the start".into()
            )
        );
        assert_eq!(
            field(StatsRequest::new("").validate().unwrap_err())
                .0
                .as_deref(),
            Some("catalogue")
        );
    }

    #[test]
    fn a_missing_catalogue_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("typo.sqlite");
        let not_found = |e: Error| match e {
            Error::Io { path, source } => {
                assert_eq!(path, db);
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("{other}"),
        };
        not_found(StatsRequest::new(&db).run(&Control::new()).unwrap_err());
        not_found(CheckRequest::new(&db).run(&Control::new()).unwrap_err());
        not_found(MigrateRequest::new(&db).run(&Control::new()).unwrap_err());
        not_found(BackupRequest::new(&db).run(&Control::new()).unwrap_err());
        assert!(Catalogue::open_current(&db).unwrap().is_none());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // A directory is not a catalogue, and says so.
        let e = StatsRequest::new(dir.path())
            .run(&Control::new())
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Database, "{e}");
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
    /// On the test data: the catalogue's statistics are the scan's JSON document, the
    /// index counts serialise as Python's dict, and the maintenance requests see a current,
    /// consistent catalogue.
    #[test]
    fn index_then_stats_is_the_scan_document() {
        let Some(data) = crate::testing::test_data_dir() else {
            return;
        };
        let root = data.join("sds-small");
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cat.sqlite");
        let control = Control::new();
        let counts = IndexRequest::new(&root, &db).run(&control).unwrap();
        assert_eq!(
            serde_json::to_value(&counts).unwrap(),
            serde_json::json!({"files_listed": 37, "files_indexed": 37, "files_unchanged": 0,
                "files_removed": 0, "rows_written": 37, "files_with_errors": 0})
        );
        let stats = StatsRequest::new(&db).run(&control).unwrap();
        let scan = ScanRequest::new([&root]).run(&control).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&stats).unwrap(),
            serde_json::to_string_pretty(&scan).unwrap()
        );
        let check = CheckRequest::new(&db).run(&control).unwrap();
        assert_eq!((check.files, check.rows, check.problems.len()), (37, 37, 0));
        let m = MigrateRequest::new(&db).run(&control).unwrap();
        assert_eq!(
            (m.from_version, m.migrated(), m.backup),
            (SCHEMA_VERSION, false, None)
        );
        let copy = dir.path().join("copy.sqlite");
        let mut b = BackupRequest::new(&db);
        b.output = Some(copy.clone());
        assert_eq!(b.run(&control).unwrap().output, copy);
        let copied = CheckRequest::new(&copy).run(&control).unwrap();
        assert_eq!(copied.catalogue, copy.display().to_string());
        assert_eq!(
            (copied.files, copied.rows, copied.problems),
            (37, 37, vec![])
        );
    }
}
