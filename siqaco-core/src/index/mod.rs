//! The catalogue: a SQLite file (embedded default) or a PostgreSQL database (feature
//! `postgres`, chosen by a `postgresql://` URL) holding mseedindex's `tsindex` table (so
//! that ObsPy's tsindex client, portable-fdsnws-dataselect and other tsindex readers can
//! use it) and siqaco's own tables for incremental re-indexing and statistics. See
//! `docs/index.md`. The logic is written once over a small connection interface
//! (`backend`); only the DDL and the typed `tsindex` columns differ between backends.
//!
//! - `tsindex`: one row per file × section (consecutive records of one stream and
//!   publication version), exactly the columns and text encodings mseedindex 3 writes with
//!   `-sqlite` (`section`), plus `quality` (which mseedindex leaves NULL) and the real
//!   `filemodtime` (which mseedindex with `-kp` stores as 1970).
//! - `tsindex_summary`: per stream `earliest`, `latest`, `updt`, rebuilt after each run as
//!   ObsPy's `Indexer` and `portable-fdsnws-dataselect -i` build it.
//! - `siqaco_files` (one row per indexed file: path, size, mtime, scan time, errors),
//!   `siqaco_file_streams` and `siqaco_spans` (the exact traces of each stream of each file,
//!   in nanoseconds: `timespans` rounds to microseconds, which loses miniSEED 3 times),
//!   `siqaco_day_stats` (MUSTANG per-day statistics), `siqaco_dirty` (streams whose day
//!   statistics must be recomputed), `siqaco_schema` (the schema version).
//!
//! Indexing is incremental: only files whose size or modification time changed are read;
//! rows of deleted files are removed; each batch of files is written in one transaction, so
//! an interrupted run (killed, or cancelled with [`IndexOptions::cancel`]) leaves a
//! consistent catalogue and the next run continues.
//!
//! A catalogue written by another tool (mseedindex, ObsPy's `Indexer`) or an earlier siqaco
//! is adopted in place: a file with `tsindex` rows but no `siqaco_files` row is read, and
//! its rows are kept when they are the rows siqaco writes for it (the file unchanged since:
//! `filemodtime`; the same sections), else replaced (`docs/index.md`, "Adopting a
//! catalogue").

pub(crate) mod backend;
mod follow;
mod migrate;
mod plans;
pub(crate) mod section;
mod spans;
pub(crate) mod workers;

use crate::archive::{Archive, ArchiveFile};
use crate::error::{Error, Result};
use crate::gaps::{analyze, AnalysisOptions};
use crate::scan::{FileError, ScanOptions, ScanReport, StreamReport};
use crate::segment::{Piece, Tolerance, TraceBuilder};
use crate::sid::{Nslc, NslcGlob};
use crate::time::format_date;
#[cfg(feature = "sqlite")]
use crate::time::parse_time;
use backend::{vals, BackendKind, Db, SqlValue};
use rayon::prelude::*;
use section::{tsindex_second, tsindex_time, FileIndex, SectionOptions};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use workers::Worker;

pub use backend::{check_sqlite_target, is_postgres_url};
pub use follow::FollowReport;
pub use plans::KeyPlan;
pub use spans::StoredSpan;

/// The schema version this build writes. Version 0 is a catalogue without `siqaco_schema`
/// (for example one written by mseedindex or ObsPy's `Indexer`).
pub const SCHEMA_VERSION: u32 = 5;

/// mseedindex's SQLite `tsindex` DDL (`src/mseedindex.c`), verbatim column list and types.
const TSINDEX_DDL: &str = "
CREATE TABLE IF NOT EXISTS tsindex (network TEXT,station TEXT,location TEXT,channel TEXT,\
quality TEXT,version INTEGER,starttime TEXT,endtime TEXT,samplerate REAL,filename TEXT,\
byteoffset INTEGER,bytes INTEGER,hash TEXT,timeindex TEXT,timespans TEXT,timerates TEXT,\
format TEXT,filemodtime TEXT,updated TEXT,scanned TEXT);
CREATE INDEX IF NOT EXISTS tsindex_nslcse_idx ON tsindex (network,station,location,channel,starttime,endtime);
CREATE INDEX IF NOT EXISTS tsindex_filename_idx ON tsindex (filename);
CREATE INDEX IF NOT EXISTS tsindex_updated_idx ON tsindex (updated);
";

/// The request stack's tables (schema version 2): the stack's own DDL, kept with it in
/// `update/stack.sql` (`crate::update::stack`), read here for the migration from version 1,
/// which needs it in a build without the `update` feature too.
const STACK_DDL: &str = include_str!("../update/stack.sql");

/// The many-workers step of schema version 3 (claims of requests, workers and their
/// leases): kept with `crate::update::claims` in `update/claims.sql`, read here for the
/// migration from version 2.
const CLAIMS_DDL: &str = include_str!("../update/claims.sql");

/// siqaco's own tables (schema version 1).
const SIQACO_DDL_V1: &str = "
CREATE TABLE IF NOT EXISTS siqaco_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS siqaco_files (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  filename TEXT NOT NULL,
  rel_path TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  scanned TEXT NOT NULL,
  records INTEGER NOT NULL,
  errors TEXT
);
CREATE TABLE IF NOT EXISTS siqaco_file_streams (
  file_id INTEGER NOT NULL, network TEXT NOT NULL, station TEXT NOT NULL,
  location TEXT NOT NULL, channel TEXT NOT NULL, records INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS siqaco_file_streams_file ON siqaco_file_streams (file_id);
CREATE INDEX IF NOT EXISTS siqaco_file_streams_nslc ON siqaco_file_streams (network,station,location,channel);
CREATE TABLE IF NOT EXISTS siqaco_spans (
  file_id INTEGER NOT NULL, network TEXT NOT NULL, station TEXT NOT NULL,
  location TEXT NOT NULL, channel TEXT NOT NULL,
  start_ns INTEGER NOT NULL, last_sample_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  sample_rate_hz REAL NOT NULL, samples INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS siqaco_spans_file ON siqaco_spans (file_id);
CREATE INDEX IF NOT EXISTS siqaco_spans_nslc ON siqaco_spans (network,station,location,channel,start_ns);
CREATE TABLE IF NOT EXISTS siqaco_day_stats (
  network TEXT NOT NULL, station TEXT NOT NULL, location TEXT NOT NULL, channel TEXT NOT NULL,
  day TEXT NOT NULL, num_gaps INTEGER NOT NULL, sum_gaps REAL NOT NULL, max_gap REAL NOT NULL,
  num_overlaps INTEGER NOT NULL, sum_overlaps REAL NOT NULL, max_overlap REAL NOT NULL,
  percent_availability REAL NOT NULL,
  PRIMARY KEY (network,station,location,channel,day)
);
CREATE TABLE IF NOT EXISTS siqaco_dirty (
  network TEXT NOT NULL, station TEXT NOT NULL, location TEXT NOT NULL, channel TEXT NOT NULL,
  PRIMARY KEY (network,station,location,channel)
);
";

/// mseedindex's PostgreSQL `tsindex` DDL (`doc/database-schema.txt` 1.1), with `text` for
/// its invalid `character text` and without NOT NULL on `quality` (mseedindex 3's own
/// INSERT leaves it out; siqaco fills it).
const TSINDEX_DDL_PG: &str = "
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TABLE IF NOT EXISTS tsindex (
  id bigserial,
  network text NOT NULL, station text NOT NULL, location text NOT NULL, channel text NOT NULL,
  quality text, version smallint,
  starttime timestamp with time zone NOT NULL, endtime timestamp with time zone NOT NULL,
  samplerate numeric NOT NULL, filename text NOT NULL,
  byteoffset bigint NOT NULL, bytes bigint NOT NULL, hash text,
  timeindex hstore, timespans numrange[], timerates numeric[], format text,
  filemodtime timestamp with time zone NOT NULL, updated timestamp with time zone NOT NULL,
  scanned timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS tsindex_filename_idx ON tsindex USING btree (filename);
CREATE INDEX IF NOT EXISTS tsindex_nslcq_idx ON tsindex USING btree (network, station, location, channel, quality);
CREATE INDEX IF NOT EXISTS tsindex_starttime_idx ON tsindex USING btree (starttime);
CREATE INDEX IF NOT EXISTS tsindex_endtime_idx ON tsindex USING btree (endtime);
CREATE INDEX IF NOT EXISTS tsindex_updated_idx ON tsindex USING btree (updated);
";

/// siqaco's tables in PostgreSQL: `ddl` ([`SIQACO_DDL_V1`], [`STACK_DDL`], [`CLAIMS_DDL`])
/// with PostgreSQL's type names, its columns added only if they do not exist.
fn siqaco_ddl_pg(ddl: &str) -> String {
    // `ADD COLUMN IF NOT EXISTS`: a PostgreSQL migration killed between its transactions
    // runs its steps again (SQLite's runs in one transaction).
    ddl.replace("ADD COLUMN ", "ADD COLUMN IF NOT EXISTS ")
        .replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY")
        .replace("INTEGER", "BIGINT")
        .replace("REAL", "DOUBLE PRECISION")
}

/// The summary table as ObsPy's `Indexer` and `portable-fdsnws-dataselect -i` build it.
const SUMMARY_SQL: &str = "
DROP TABLE IF EXISTS tsindex_summary;
CREATE TABLE tsindex_summary AS
  SELECT network,station,location,channel,
         min(starttime) AS earliest, max(endtime) AS latest, datetime('now') AS updt
  FROM tsindex GROUP BY 1,2,3,4;
";

/// The summary table in PostgreSQL (timestamps, as the tsindex columns).
const SUMMARY_SQL_PG: &str = "
DROP TABLE IF EXISTS tsindex_summary;
CREATE TABLE tsindex_summary AS
  SELECT network,station,location,channel,
         min(starttime) AS earliest, max(endtime) AS latest, now() AS updt
  FROM tsindex GROUP BY 1,2,3,4;
";

/// The tsindex columns siqaco writes (all but `format`, which stays NULL for miniSEED).
const TSINDEX_WRITTEN: &str = "network,station,location,channel,quality,version,starttime,\
endtime,samplerate,filename,byteoffset,bytes,hash,timeindex,timespans,timerates,filemodtime,\
updated,scanned";

/// The rows of a batch of files, written at the end of its transaction
/// ([`Db::insert_rows`]: PostgreSQL's `COPY`, SQLite's prepared inserts): `tsindex` (in
/// the SQLite text encodings; PostgreSQL's typed columns read them as text),
/// `siqaco_file_streams`, `siqaco_spans`.
#[derive(Default)]
struct BatchRows {
    tsindex: Vec<Vec<SqlValue>>,
    file_streams: Vec<Vec<SqlValue>>,
    spans: Vec<Vec<SqlValue>>,
}

impl BatchRows {
    /// Writes the rows (in the caller's transaction) and empties the buffers.
    fn write(&mut self, tx: &mut Db) -> Result<()> {
        tx.insert_rows("tsindex", TSINDEX_WRITTEN, &self.tsindex)?;
        tx.insert_rows(
            "siqaco_file_streams",
            "file_id,network,station,location,channel,records",
            &self.file_streams,
        )?;
        tx.insert_rows(
            "siqaco_spans",
            "file_id,network,station,location,channel,start_ns,last_sample_ns,end_ns,\
             sample_rate_hz,samples",
            &self.spans,
        )?;
        *self = BatchRows::default();
        Ok(())
    }
}

/// The tsindex columns read back in the SQLite text encodings (SQLite: as stored).
const TSINDEX_COLUMNS: &str = "network,station,location,channel,quality,version,starttime,endtime,\
samplerate,filename,byteoffset,bytes,hash,timeindex,timespans,timerates,format,filemodtime,\
updated,scanned";

/// The same from PostgreSQL's typed columns: timestamps as mseedindex prints them, the
/// hstore entries in time order with `latest` last, the ranges as `[start:end]`.
const TSINDEX_COLUMNS_PG: &str = r#"network,station,location,channel,quality,version::bigint,
regexp_replace(to_char(starttime AT TIME ZONE 'UTC','YYYY-MM-DD"T"HH24:MI:SS.US'),'\.000000$',''),
regexp_replace(to_char(endtime AT TIME ZONE 'UTC','YYYY-MM-DD"T"HH24:MI:SS.US'),'\.000000$',''),
samplerate::float8,filename,byteoffset,bytes,hash,
(SELECT string_agg(key||'=>'||value, ',' ORDER BY key='latest',
  CASE WHEN key='latest' THEN NULL ELSE key::numeric END) FROM each(timeindex)),
(SELECT string_agg('['||lower(r)::text||':'||upper(r)::text||']', ',' ORDER BY o)
  FROM unnest(timespans) WITH ORDINALITY AS u(r,o)),
array_to_string(timerates, ','),format,
to_char(filemodtime AT TIME ZONE 'UTC','YYYY-MM-DD"T"HH24:MI:SS'),
to_char(updated AT TIME ZONE 'UTC','YYYY-MM-DD"T"HH24:MI:SS'),
to_char(scanned AT TIME ZONE 'UTC','YYYY-MM-DD"T"HH24:MI:SS')"#;

/// `timespans` (`[a:b],[c:d]`) and `timerates` (`r1,r2`) text as PostgreSQL array literals
/// (`{"[a,b]","[c,d]"}`, `{r1,r2}`).
fn pg_array_params(timespans: Option<String>, timerates: Option<String>) -> (SqlValue, SqlValue) {
    let spans = timespans.map(|t| {
        let v: Vec<String> = t
            .split("],[")
            .map(|x| {
                format!(
                    "\"[{}]\"",
                    x.trim_matches(|c| c == '[' || c == ']').replace(':', ",")
                )
            })
            .collect();
        format!("{{{}}}", v.join(","))
    });
    let rates = timerates.map(|t| format!("{{{t}}}"));
    (spans.into(), rates.into())
}

/// Options of [`Catalogue::index_archive`] (the lower level of
/// [`crate::ops::IndexRequest`]; build with `Default` and set fields).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct IndexOptions {
    /// Store `filename` relative to the archive root (ObsPy `Indexer(relative_paths=True)`);
    /// default: absolute, symbolic links resolved (mseedindex's `realpath`).
    pub relative_paths: bool,
    /// Compute the MD5 `hash` of each section (mseedindex always does; off by default here).
    pub hash: bool,
    /// Time-index interval, seconds (mseedindex `-si`, default 3600).
    pub subindex_s: i64,
    /// Time and rate tolerances for `timespans` and the traces.
    pub tolerance: Tolerance,
    /// Files per transaction (default 256).
    pub batch_files: usize,
    /// Worker threads for reading files (`None` = all cores).
    pub threads: Option<usize>,
    /// Cancellation flag: once it is set, no further file is read; the files of the current
    /// batch read so far are written (each file's rows whole, in the batch's transaction),
    /// `tsindex_summary` is rebuilt and the run returns its counts. The day statistics of
    /// the streams that changed stay marked in `siqaco_dirty`: the next run recomputes them
    /// and indexes the files left. The caller knows it cancelled.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Stream mappings over time ([`crate::mapping`]): rows and traces are named by the
    /// streams the records map to (default none). A file indexed before is not read again
    /// when only the mappings changed: index into a new catalogue after changing them.
    pub mappings: crate::mapping::Mappings,
    /// With a PostgreSQL catalogue, the lease of the worker's claims on the archive's
    /// directories, seconds (default 60; `docs/scale.md`, "Index split between workers"): a worker that died
    /// has its directory taken over by another this long after its last heartbeat (every
    /// third of it).
    pub lease_s: f64,
}

impl IndexOptions {
    /// The per-file indexing options of these.
    fn section_options(&self) -> SectionOptions {
        SectionOptions {
            subindex_s: self.subindex_s,
            tolerance: self.tolerance,
            hash: self.hash,
        }
    }
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            relative_paths: false,
            hash: false,
            subindex_s: 3600,
            tolerance: Tolerance::default(),
            batch_files: 256,
            threads: None,
            cancel: None,
            mappings: Default::default(),
            lease_s: 60.0,
        }
    }
}

/// What an indexing run did. Serialises as an object with these six counts (the dict of
/// Python's `siqaco.index`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexReport {
    /// Files listed under the root.
    pub files_listed: u64,
    /// Files read (new or changed; adopted files too).
    pub files_indexed: u64,
    /// Files unchanged (size and mtime equal), not read.
    pub files_unchanged: u64,
    /// Files removed from the catalogue (no longer on disk).
    pub files_removed: u64,
    /// tsindex rows written.
    pub rows_written: u64,
    /// Files with unreadable bytes (see `siqaco_files.errors`).
    pub files_with_errors: u64,
    /// Files adopted: their `tsindex` rows, written by mseedindex, ObsPy's `Indexer` or an
    /// earlier siqaco, were kept as they are because the file did not change (the rule of
    /// `docs/index.md`, "Adopting a catalogue"); their headers were read for siqaco's own
    /// tables (they are counted in `files_indexed` too). Serialised only when not 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub files_adopted: u64,
    /// `tsindex` rows kept of the adopted files. Serialised only when not 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub rows_kept: u64,
}

/// Whether a count is 0 (left out of a serialised report).
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The first and last sample of a stream in the catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamExtent {
    /// Stream codes.
    pub nslc: Nslc,
    /// Earliest sample, ns.
    pub earliest_ns: i64,
    /// End of coverage (last sample + one period), ns.
    pub latest_ns: i64,
}

/// Result of [`Catalogue::check`]. Serialises as `{"catalogue": "...", "problems": [...],
/// "files": N, "rows": N}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CheckReport {
    /// The catalogue checked: its file name, or its URL without the password
    /// ([`Catalogue::target`]).
    pub catalogue: String,
    /// Problems found; empty when the catalogue is consistent.
    pub problems: Vec<String>,
    /// Files in `siqaco_files`.
    pub files: u64,
    /// Rows in `tsindex`.
    pub rows: u64,
}

/// One `tsindex` row in mseedindex's SQLite text encodings, whatever the backend (see
/// [`Catalogue::tsindex_rows`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TsindexRow {
    /// Network, station, location, channel codes.
    pub nslc: Nslc,
    /// Quality code (`D`, `R`, `Q`, `M`).
    pub quality: Option<String>,
    /// Publication version.
    pub version: Option<i64>,
    /// Earliest sample, `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
    pub starttime: String,
    /// Latest sample.
    pub endtime: String,
    /// Nominal sample rate.
    pub samplerate: f64,
    /// File name as stored (absolute or relative to the root).
    pub filename: String,
    /// First byte of the section.
    pub byteoffset: i64,
    /// Length of the section.
    pub bytes: i64,
    /// MD5 of the section, when hashing.
    pub hash: Option<String>,
    /// `epoch=>offset,...,latest=>0|1`.
    pub timeindex: Option<String>,
    /// `[start:end],...`.
    pub timespans: Option<String>,
    /// Per-span rates when they differ.
    pub timerates: Option<String>,
    /// NULL (miniSEED).
    pub format: Option<String>,
    /// File modification time, to the second.
    pub filemodtime: String,
    /// When the section last changed.
    pub updated: String,
    /// When the file was read.
    pub scanned: String,
}

impl TsindexRow {
    fn from_values(r: &[SqlValue]) -> TsindexRow {
        TsindexRow {
            nslc: Nslc {
                network: r[0].as_text(),
                station: r[1].as_text(),
                location: r[2].as_text(),
                channel: r[3].as_text(),
            },
            quality: r[4].as_opt_text(),
            version: r[5].as_opt_i64(),
            starttime: r[6].as_text(),
            endtime: r[7].as_text(),
            samplerate: r[8].as_f64(),
            filename: r[9].as_text(),
            byteoffset: r[10].as_i64(),
            bytes: r[11].as_i64(),
            hash: r[12].as_opt_text(),
            timeindex: r[13].as_opt_text(),
            timespans: r[14].as_opt_text(),
            timerates: r[15].as_opt_text(),
            format: r[16].as_opt_text(),
            filemodtime: r[17].as_text(),
            updated: r[18].as_text(),
            scanned: r[19].as_text(),
        }
    }
}

/// An open catalogue (SQLite or PostgreSQL).
pub struct Catalogue {
    db: RefCell<Db>,
    path: Option<PathBuf>,
    /// The PostgreSQL URL as given (with its password: for `pg_dump`); `None` for SQLite.
    url: Option<String>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("target", &self.db.borrow().label())
            .finish()
    }
}

/// Reads the schema version (0 when `siqaco_schema` is absent).
fn read_version(db: &mut Db) -> Result<u32> {
    if !table_exists(db, "siqaco_schema")? {
        return Ok(0);
    }
    Ok(db
        .query_one("SELECT max(version) FROM siqaco_schema", &[])?
        .as_i64() as u32)
}

/// Whether a table exists (in SQLite's file; in PostgreSQL's current schema).
fn table_exists(db: &mut Db, name: &str) -> Result<bool> {
    let sql = match db.kind() {
        BackendKind::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?1",
        BackendKind::Postgres => {
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema=current_schema() AND table_name=?1::text"
        }
    };
    Ok(db.query_one(sql, &vals![name])?.as_i64() > 0)
}

/// The backup path used before migrating from `version`: `FILE.v{version}.bak`, with a
/// numeric suffix when that exists.
fn backup_path(path: &Path, version: u32) -> PathBuf {
    let base = format!("{}.v{version}.bak", path.display());
    let mut p = PathBuf::from(&base);
    let mut n = 1;
    while p.exists() {
        p = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    p
}

/// Writes a consistent copy of the SQLite catalogue `db` to `dest` (`VACUUM INTO`).
fn vacuum_into(db: &mut Db, dest: &Path) -> Result<()> {
    if dest.exists() {
        return Err(Error::database(format!(
            "{}: backup destination exists",
            dest.display()
        )));
    }
    db.execute(
        "VACUUM INTO ?1",
        &vals![dest.to_string_lossy().into_owned()],
    )?;
    Ok(())
}

/// The program that backs PostgreSQL catalogues up: `$SIQACO_PG_DUMP`, else `pg_dump`.
fn pg_dump_program() -> PathBuf {
    std::env::var_os("SIQACO_PG_DUMP")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("pg_dump"), PathBuf::from)
}

/// `pg_dump --format=custom --file=DEST URL` ([`Catalogue::backup`]); `label` is the URL
/// without its password, for messages. A partial `dest` is removed on failure.
fn pg_dump(url: &str, label: &str, dest: &Path) -> Result<()> {
    if dest.exists() {
        return Err(Error::database(format!(
            "{}: backup destination exists",
            dest.display()
        )));
    }
    let program = pg_dump_program();
    let out = std::process::Command::new(&program)
        .arg("--format=custom")
        .arg("--no-password")
        .arg("--file")
        .arg(dest)
        .arg("--dbname")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            Error::database_from(
                format!(
                    "{label}: cannot run pg_dump ({}): {e}; install PostgreSQL's client \
                     programs (Debian: apt-get install postgresql-client) or set \
                     SIQACO_PG_DUMP to pg_dump's path",
                    program.display()
                ),
                e,
            )
        })?;
    if !out.status.success() {
        let _ = std::fs::remove_file(dest);
        return Err(Error::database(format!(
            "{label}: pg_dump ({}) failed ({}): {}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// What [`Catalogue::migrate_with`] did or, in a dry run, would do.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migration {
    /// The schema version found.
    pub from_version: u32,
    /// The SQLite copy written before migrating (`None` in a dry run, for PostgreSQL, or
    /// when nothing was to migrate).
    pub backup: Option<PathBuf>,
    /// The SQL run (or that would run), in order: `BEGIN;` and `COMMIT;` around each
    /// transaction, the SQLite copy as `VACUUM INTO 'FILE';`. Empty when the schema is
    /// current.
    pub statements: Vec<String>,
}

fn row_nslc(r: &[SqlValue]) -> Nslc {
    Nslc {
        network: r[0].as_text(),
        station: r[1].as_text(),
        location: r[2].as_text(),
        channel: r[3].as_text(),
    }
}

fn nslc_vals(n: &Nslc) -> Vec<SqlValue> {
    vals![&n.network, &n.station, &n.location, &n.channel]
}

impl Catalogue {
    /// Opens the catalogue `target`: a SQLite file (created if needed, WAL mode) or, when
    /// `target` is a `postgresql://` (or `postgres://`) URL, a PostgreSQL database.
    ///
    /// An older SQLite schema is migrated forward (see [`Catalogue::migrate`]). An empty
    /// PostgreSQL database is initialised; an older PostgreSQL schema is refused with the
    /// command to run (`siqaco db migrate --db URL`).
    ///
    /// # Errors
    /// [`Error::Database`] when the file is not a SQLite database, is locked beyond the
    /// 10 s busy timeout, the server cannot be reached, the schema is older (PostgreSQL)
    /// or newer than [`SCHEMA_VERSION`].
    pub fn open(target: impl AsRef<Path>) -> Result<Catalogue> {
        let mut cat = Self::open_raw(target.as_ref())?;
        if cat.kind() == BackendKind::Postgres {
            // Workers started at once on an empty database: one creates the schema, the
            // others then find it current.
            workers::lock_key(&cat, workers::SCHEMA_KEY)?;
            let opened = cat.open_postgres_schema();
            workers::unlock(&cat, workers::SCHEMA_KEY);
            opened?;
            return Ok(cat);
        }
        cat.migrate()?;
        Ok(cat)
    }

    /// The schema part of [`Catalogue::open`] for PostgreSQL: an empty database
    /// initialised, an older schema refused.
    fn open_postgres_schema(&mut self) -> Result<()> {
        let cat = self;
        {
            let (version, fresh) = {
                let db = cat.db.get_mut();
                let v = read_version(db)?;
                (v, v == 0 && !table_exists(db, "tsindex")?)
            };
            if version < SCHEMA_VERSION && !fresh {
                let label = cat.db.get_mut().label().to_string();
                return Err(Error::database(format!(
                    "{label}: catalogue schema version {version} is older than this siqaco's \
                     ({SCHEMA_VERSION}); back the database up (pg_dump) and run \
                     `siqaco db migrate --db {label}`"
                )));
            }
        }
        cat.migrate()?;
        Ok(())
    }

    /// Whether the catalogue `target` exists: the one rule of the operations that read a
    /// catalogue (stats, report, `db` maintenance, update's dry run). A `postgresql://`
    /// (or `postgres://`) URL is taken as existing (the server says otherwise when
    /// connecting); a SQLite catalogue exists when `target` is a regular file.
    ///
    /// # Errors
    /// [`Error::Database`] when `target` exists but is not a regular file (a directory, a
    /// device...: [`check_sqlite_target`]).
    pub fn exists(target: impl AsRef<Path>) -> Result<bool> {
        let target = target.as_ref();
        if is_postgres_url(&target.to_string_lossy()) || target.is_file() {
            return Ok(true);
        }
        if std::fs::symlink_metadata(target).is_ok() {
            check_sqlite_target(target)?;
        }
        Ok(false)
    }

    /// `target` when the catalogue exists ([`Catalogue::exists`]), else [`Error::Io`] (not
    /// found, message `no such catalogue`) naming it.
    fn existing(target: &Path) -> Result<&Path> {
        if Self::exists(target)? {
            Ok(target)
        } else {
            Err(Error::io(
                target,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such catalogue"),
            ))
        }
    }

    /// Opens the catalogue `target`, which must exist ([`Catalogue::exists`]; nothing is
    /// created), as [`Catalogue::open`] does (an older SQLite schema is migrated).
    ///
    /// # Errors
    /// [`Error::Io`] (not found, message `no such catalogue`) naming `target` when it does
    /// not exist; as [`Catalogue::exists`] and [`Catalogue::open`].
    pub fn open_existing(target: impl AsRef<Path>) -> Result<Catalogue> {
        Self::open(Self::existing(target.as_ref())?)
    }

    /// Opens the catalogue `target`, which must exist, without migrating
    /// ([`Catalogue::open_raw`]; for `db check`, `db backup` and `db migrate`).
    ///
    /// # Errors
    /// As [`Catalogue::open_existing`].
    pub fn open_existing_raw(target: impl AsRef<Path>) -> Result<Catalogue> {
        Self::open_raw(Self::existing(target.as_ref())?)
    }

    /// Opens the catalogue `target` for reading only: a SQLite file written by `siqaco
    /// index`, mseedindex or ObsPy's `Indexer`, opened read-only (neither created, migrated
    /// nor switched to WAL; readers run concurrently with a writer when the file is in WAL
    /// mode, as `siqaco index` leaves it), or a `postgresql://` URL. For serving it
    /// (`siqaco serve`) and for the catalogue source
    /// ([`crate::source::local::TsindexSource`]). Only the `tsindex` table is required here:
    /// each service checks the other tables it reads.
    ///
    /// # Errors
    /// [`Error::Database`] when the file does not exist or is not a SQLite database, the
    /// server cannot be reached, or there is no `tsindex` table.
    pub fn open_read_only(target: &str) -> Result<Catalogue> {
        let mut cat = if is_postgres_url(target) {
            Self::open_raw(Path::new(target))?
        } else {
            Catalogue {
                db: RefCell::new(Db::open_sqlite_read_only(Path::new(target))?),
                path: Some(PathBuf::from(target)),
                url: None,
            }
        };
        if !table_exists(cat.db.get_mut(), "tsindex")? {
            return Err(Error::database(format!(
                "{}: no tsindex table (not a catalogue written by mseedindex, ObsPy's Indexer \
                 or siqaco index)",
                cat.target()
            )));
        }
        Ok(cat)
    }

    /// The catalogue `target` for reading only when it exists ([`Catalogue::exists`]) and
    /// has the current schema ([`SCHEMA_VERSION`]); `None` otherwise (nothing is created
    /// or migrated: `siqaco update --dry-run`).
    ///
    /// # Errors
    /// As [`Catalogue::exists`] and [`Catalogue::open_raw`].
    pub fn open_current(target: impl AsRef<Path>) -> Result<Option<Catalogue>> {
        let target = target.as_ref();
        if !Self::exists(target)? {
            return Ok(None);
        }
        let c = Self::open_raw(target)?;
        Ok((c.schema_version()? == SCHEMA_VERSION).then_some(c))
    }

    /// The connection, for the request stack (`crate::update::stack`).
    pub(crate) fn db(&self) -> std::cell::RefMut<'_, Db> {
        self.db.borrow_mut()
    }

    /// Opens without migrating (for `db check`, `db backup` and `db migrate`).
    ///
    /// # Errors
    /// As [`Catalogue::open`].
    pub fn open_raw(target: &Path) -> Result<Catalogue> {
        let s = target.to_string_lossy();
        if is_postgres_url(&s) {
            return Ok(Catalogue {
                db: RefCell::new(Db::open_postgres(&s)?),
                path: None,
                url: Some(s.into_owned()),
            });
        }
        Ok(Catalogue {
            db: RefCell::new(Db::open_sqlite(target)?),
            path: Some(target.to_path_buf()),
            url: None,
        })
    }

    /// The backend of this catalogue.
    pub fn kind(&self) -> BackendKind {
        self.db.borrow().kind()
    }

    /// The database file (SQLite); `None` for PostgreSQL.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The file name, or the URL without its password.
    pub fn target(&self) -> String {
        self.db.borrow().label().to_string()
    }

    /// Runs SQL statements without parameters (maintenance and tests; the SQL is the
    /// backend's own dialect).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn execute_sql(&self, sql: &str) -> Result<()> {
        self.db.borrow_mut().batch(sql)
    }

    /// Runs one query and returns all rows (maintenance and tests). Columns of types
    /// other than integers, floats and text must be cast to text in PostgreSQL.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn query_sql(&self, sql: &str) -> Result<Vec<Vec<SqlValue>>> {
        self.db.borrow_mut().query(sql, &[])
    }

    /// The schema version recorded in the catalogue (0 when none).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn schema_version(&self) -> Result<u32> {
        read_version(&mut self.db.borrow_mut())
    }

    /// Migrates the schema to [`SCHEMA_VERSION`]. SQLite: in one transaction, after writing
    /// a backup copy (`FILE.v{old}.bak`, by `VACUUM INTO`) when the file holds tables;
    /// returns the backup path, `None` when nothing was to migrate (or the file was new).
    /// PostgreSQL: no copy is made (back up with `pg_dump`, [`Catalogue::backup`], first);
    /// the new tables and nullable columns in one transaction, the new indexes built with
    /// `CREATE INDEX CONCURRENTLY`, then the version number; returns `None`. No step
    /// rewrites a table (`docs/scale.md`, "Migrations without rewriting").
    ///
    /// Migrations: 0 → 1 creates `tsindex` (if absent), its indexes and siqaco's tables,
    /// and adds the nullable columns of tsindex schema 1.1 another tool's `tsindex` lacks
    /// (`version` in mseedindex 2's schema 1.0); existing `tsindex` rows are kept, adopted or
    /// replaced file by file at the next index run.
    /// 1 → 2 adds the request stack of `siqaco update` (`siqaco_runs`, `siqaco_gaps`,
    /// `siqaco_requests`, `siqaco_attempts`). 2 → 3 adds the claims of many workers
    /// (`siqaco_requests.holder`, `lease_until_ns`, `claims`, nullable; `siqaco_workers`)
    /// and, in PostgreSQL, tsindex's stream and time index `tsindex_nslcse_idx` (SQLite's
    /// catalogue has it since version 1). 3 → 4 adds `siqaco_file_resume` (where `siqaco
    /// watch` continues reading a growing file).
    ///
    /// # Errors
    /// [`Error::Database`], also when the schema is newer than this build knows.
    pub fn migrate(&mut self) -> Result<Option<PathBuf>> {
        Ok(self.migrate_with(false)?.backup)
    }

    /// Creates the empty catalogue `target` (a new SQLite file or an empty PostgreSQL
    /// database) with the schema of the older `version` (0 to [`SCHEMA_VERSION`]), as that
    /// siqaco made it: for tests of migrations.
    ///
    /// # Errors
    /// [`Error::Database`], also when `target` already holds a siqaco schema.
    #[cfg(feature = "testing")]
    pub fn create_at_version(target: &Path, version: u32) -> Result<Catalogue> {
        let mut cat = Self::open_raw(target)?;
        let db = cat.db.get_mut();
        if read_version(db)? != 0 || table_exists(db, "tsindex")? {
            return Err(Error::database(format!("{}: not empty", db.label())));
        }
        let steps = migrate::plan(0, version, db.kind(), None);
        migrate::run(db, &steps, |_, _| Ok(()))?;
        Ok(cat)
    }

    /// [`Catalogue::migrate`], or with `dry_run` only the SQL it would run (nothing is
    /// written, no backup copy made).
    ///
    /// # Errors
    /// As [`Catalogue::migrate`].
    pub fn migrate_with(&mut self, dry_run: bool) -> Result<Migration> {
        let db = self.db.get_mut();
        let version = read_version(db)?;
        if version > SCHEMA_VERSION {
            return Err(Error::database(format!(
                "{}: schema version {version} is newer than this siqaco ({SCHEMA_VERSION})",
                db.label()
            )));
        }
        let kind = db.kind();
        let backup = match (&self.path, kind) {
            (Some(path), BackendKind::Sqlite) if version < SCHEMA_VERSION => {
                let tables = db
                    .query_one("SELECT count(*) FROM sqlite_master", &[])?
                    .as_i64();
                (tables > 0).then(|| backup_path(path, version))
            }
            _ => None,
        };
        let mut steps = migrate::plan(version, SCHEMA_VERSION, kind, backup.clone());
        // a foreign tsindex (another tool's) first gets the columns it lacks
        let at = usize::from(backup.is_some());
        let adopt = migrate::adopt_tsindex(db, version)?;
        steps.splice(at.min(steps.len())..at.min(steps.len()), adopt);
        let statements = migrate::script(&steps, kind);
        if !dry_run {
            migrate::run(db, &steps, vacuum_into)?;
        }
        Ok(Migration {
            from_version: version,
            backup: if dry_run { None } else { backup },
            statements,
        })
    }

    /// Writes a consistent copy of the catalogue to `dest`, which must not exist. SQLite:
    /// a copy of the file (`VACUUM INTO`; safe while other connections write). PostgreSQL:
    /// `pg_dump --format=custom` of the database (a consistent snapshot, taken while
    /// workers write; restore it with `pg_restore -d URL DEST` into an empty database, see
    /// `docs/scale.md`). The `pg_dump` run is `$SIQACO_PG_DUMP` when set, else `pg_dump`
    /// on the `PATH`; its major version must be at least the server's.
    ///
    /// # Errors
    /// [`Error::Database`] when `dest` exists, when the copy cannot be written, when
    /// `pg_dump` cannot be run (the message names it and says how to install it) or fails
    /// (the message has its standard error).
    pub fn backup(&self, dest: &Path) -> Result<()> {
        let mut db = self.db.borrow_mut();
        if let Some(url) = &self.url {
            return pg_dump(url, db.label(), dest);
        }
        vacuum_into(&mut db, dest)
    }

    /// Indexes the archive incrementally (see the module documentation) and rebuilds
    /// `tsindex_summary` and the day statistics of the streams that changed.
    ///
    /// # Errors
    /// [`Error::Io`] when the archive cannot be listed; [`Error::Database`]. Unreadable
    /// files or bytes are not errors: they are recorded in `siqaco_files.errors`.
    pub fn index_archive(&mut self, archive: &Archive, opts: &IndexOptions) -> Result<IndexReport> {
        if workers::is_shared(self) {
            let url = self.url.clone().unwrap_or_default();
            let worker = Worker::start(
                self,
                Path::new(&url),
                opts.lease_s,
                std::slice::from_ref(&workers::INDEX_GROUPS),
            )?;
            let out = self.index_with(archive, opts, &worker);
            worker.stop();
            return out;
        }
        self.index_archive_from(archive, opts, IndexPartial::default())
    }

    /// [`Catalogue::index_archive`] by `worker`, one of the workers sharing this
    /// (PostgreSQL) catalogue, which split the archive's directories between them
    /// ([`workers::INDEX_GROUPS`]; `docs/scale.md`, "Index split between workers"):
    ///
    /// 1. the archive is listed and compared with the catalogue as by one run; the rows of
    ///    files gone are removed; each directory holding a file to read is put in the
    ///    queue (a group already waiting or held stays as it is);
    /// 2. the worker claims a group at a time (`FOR UPDATE SKIP LOCKED`, under its lease),
    ///    reads the files of the group that still differ from the catalogue (another
    ///    worker may have read them since the listing), and writes their rows in one
    ///    transaction that also marks the group done, only while it still holds it (its
    ///    row locked until the commit): no file is written by two workers at once, and
    ///    the group of a worker that died is taken over once its lease expired;
    /// 3. when no group waits or is held, the archive is listed once more (files written
    ///    meanwhile, groups another worker marked done from an older listing) and step 2
    ///    repeats for what changed;
    /// 4. `tsindex_summary` and the day statistics are brought up to date under the
    ///    planning lock ([`workers::PLAN_KEY`]), one worker at a time.
    ///
    /// The catalogue then holds the rows one run writes. `batch_files` is not used: a group
    /// is written in one transaction. The counts are this worker's (`files_listed` and
    /// `files_unchanged` of its first listing; a file removed is counted by each worker
    /// that saw it gone).
    ///
    /// # Errors
    /// As [`Catalogue::index_archive`].
    pub(crate) fn index_with(
        &mut self,
        archive: &Archive,
        opts: &IndexOptions,
        worker: &Worker,
    ) -> Result<IndexReport> {
        let root_abs = crate::archive::absolute_root(archive.root())?;
        let group_of = |f: &ArchiveFile| {
            let dir = root_abs.join(&f.rel_path);
            dir.parent()
                .unwrap_or(&root_abs)
                .to_string_lossy()
                .into_owned()
        };
        let mut report: Option<IndexReport> = None;
        for pass in 0..2 {
            let IndexPlan {
                report: counted,
                todo,
                unchanged,
                removed,
                foreign,
                vanished,
            } = self.plan(archive, opts)?;
            let report = report.get_or_insert(counted);
            report.files_removed += remove_files(self.db.get_mut(), &removed, &vanished)?;
            if pass > 0 && todo.is_empty() {
                break;
            }
            let waiting: BTreeSet<String> = todo.iter().map(|(f, _, _)| group_of(f)).collect();
            let mut groups: BTreeMap<String, Vec<(ArchiveFile, String, String)>> = BTreeMap::new();
            for item in todo.into_iter().chain(unchanged) {
                groups.entry(group_of(&item.0)).or_default().push(item);
            }
            workers::publish_groups(self, waiting.iter().map(String::as_str))?;
            let reader = BatchReader::new(opts, archive.root(), &foreign);
            self.work_groups(&reader, &mut groups, worker, report)?;
            if crate::is_cancelled(opts.cancel.as_deref()) {
                break;
            }
        }
        workers::lock_plan(self)?;
        let finished = self.finish_run(opts);
        workers::unlock_plan(self);
        finished?;
        Ok(report.unwrap_or_default())
    }

    /// Step 2 of [`Catalogue::index_with`]: claims groups and indexes them until no group
    /// waits or is held (waiting for those held by live workers), or until cancelled (a
    /// group being read is then written as far as it was read and put back in the queue).
    fn work_groups(
        &mut self,
        reader: &BatchReader<'_>,
        groups: &mut BTreeMap<String, Vec<(ArchiveFile, String, String)>>,
        worker: &Worker,
        report: &mut IndexReport,
    ) -> Result<()> {
        let cancel = reader.opts.cancel.as_deref();
        let queue = &workers::INDEX_GROUPS;
        while !crate::is_cancelled(cancel) {
            let Some(row) = workers::claim_row(self, queue, "grp", &worker.id, worker.lease_ns)?
            else {
                if workers::unfinished(self, queue)? == 0 {
                    break;
                }
                std::thread::sleep(workers::LOCK_POLL * 5);
                continue;
            };
            let grp = row[0].as_text();
            let db = self.db.get_mut();
            let todo = still_changed(db, groups.remove(&grp).unwrap_or_default())?;
            let results = reader.read(&todo, todo.iter().map(|_| None).collect());
            workers::group_delay("SIQACO_INDEX_GROUP_DELAY_MS");
            let done = !crate::is_cancelled(cancel);
            let n = todo.len() as u64;
            db.transaction(|tx| {
                if workers::finish_group(tx, &grp, &worker.id, n, done)? {
                    reader.write(tx, &todo, results, report)?;
                } else {
                    tracing::warn!("index group {grp}: taken over by another worker");
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// The files of `archive` that [`Catalogue::index_archive`] would read: those that are
    /// new or whose size, modification time or stored name changed (the catalogue is only
    /// read). A distributed run (`siqaco.distributed.index`) reads them elsewhere
    /// ([`index_partial`]) and passes what was read to [`Catalogue::index_archive_from`].
    ///
    /// # Errors
    /// As [`Catalogue::index_archive`].
    pub fn files_to_index(
        &mut self,
        archive: &Archive,
        opts: &IndexOptions,
    ) -> Result<Vec<ArchiveFile>> {
        Ok(self
            .plan(archive, opts)?
            .todo
            .into_iter()
            .map(|(f, _, _)| f)
            .collect())
    }

    /// What an index run does before reading: the files listed, the unchanged ones counted,
    /// the files to read with their absolute path and stored name, and the catalogue's
    /// files under the root that are gone.
    fn plan(&mut self, archive: &Archive, opts: &IndexOptions) -> Result<IndexPlan> {
        let root_abs = crate::archive::absolute_root(archive.root())?;
        let files = archive.list_files(&[], None)?;
        let mut report = IndexReport {
            files_listed: files.len() as u64,
            ..Default::default()
        };
        let db = self.db.get_mut();
        // what the catalogue knows
        let mut known: HashMap<String, (i64, StoredFile)> = HashMap::new();
        for r in db.query(
            "SELECT id, path, size_bytes, mtime_ns, filename, etag FROM siqaco_files",
            &[],
        )? {
            known.insert(r[1].as_text(), (r[0].as_i64(), StoredFile::of(&r[2..])));
        }
        let mut todo: Vec<(ArchiveFile, String, String)> = Vec::new();
        let mut unchanged: Vec<(ArchiveFile, String, String)> = Vec::new();
        let mut foreign: HashMap<String, bool> = HashMap::new();
        // a new file's name is looked up in tsindex (by its filename index) unless tsindex
        // is empty (a new catalogue)
        let may_adopt = !db.query("SELECT 1 FROM tsindex LIMIT 1", &[])?.is_empty();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for f in files {
            let abs = std::fs::canonicalize(&f.path).unwrap_or_else(|_| root_abs.join(&f.rel_path));
            let abs_s = abs.to_string_lossy().into_owned();
            let filename = if opts.relative_paths {
                f.rel_path.clone()
            } else {
                abs_s.clone()
            };
            seen.insert(abs_s.clone());
            match known.get(&abs_s) {
                Some((_, stored)) if stored.unchanged(&f, &filename) => {
                    report.files_unchanged += 1;
                    unchanged.push((f, abs_s, filename));
                }
                Some(_) => todo.push((f, abs_s, filename)),
                None if may_adopt => {
                    // rows another tool (or an earlier siqaco) wrote: adopted if they match
                    let r = db.query(
                        "SELECT count(*), count(hash) FROM tsindex WHERE filename=?1",
                        &vals![&filename],
                    )?;
                    if let Some(r) = r.first().filter(|r| r[0].as_i64() > 0) {
                        foreign.insert(filename.clone(), r[1].as_i64() > 0);
                    }
                    todo.push((f, abs_s, filename))
                }
                None => todo.push((f, abs_s, filename)),
            }
        }
        // removed files under this root
        let prefix = format!("{}{}", root_abs.display(), std::path::MAIN_SEPARATOR);
        let removed: Vec<(i64, String)> = known
            .iter()
            .filter(|(p, _)| p.starts_with(&prefix) && !seen.contains(*p))
            .map(|(_, (id, stored))| (*id, stored.filename.clone()))
            .collect();
        // adopting: the other tool's rows of files gone from under this root
        let mut vanished = Vec::new();
        if !foreign.is_empty() {
            let names: BTreeSet<&String> = todo.iter().map(|(_, _, n)| n).collect();
            for r in db.query(
                "SELECT DISTINCT filename FROM tsindex t WHERE NOT EXISTS \
                 (SELECT 1 FROM siqaco_files f WHERE f.filename=t.filename)",
                &[],
            )? {
                let name = r[0].as_text();
                let here = if opts.relative_paths {
                    !Path::new(&name).is_absolute()
                } else {
                    name.starts_with(&prefix)
                };
                if here && !names.contains(&name) {
                    vanished.push(name);
                }
            }
        }
        Ok(IndexPlan {
            report,
            todo,
            unchanged,
            removed,
            foreign,
            vanished,
        })
    }

    /// [`Catalogue::index_archive`], taking the files already read in `partial` (by a
    /// distributed run, [`index_partial`]) instead of reading them again; a file of the
    /// partial whose size or modification time no longer matches the listing, and a file to
    /// index missing from it, is read here. The catalogue written is the one
    /// [`Catalogue::index_archive`] writes (the same code path).
    ///
    /// # Errors
    /// As [`Catalogue::index_archive`].
    pub fn index_archive_from(
        &mut self,
        archive: &Archive,
        opts: &IndexOptions,
        partial: IndexPartial,
    ) -> Result<IndexReport> {
        let mut from = self.index_from(archive, opts)?;
        from.add(self, partial)?;
        from.finish(self)
    }

    /// The start of [`Catalogue::index_archive_from`] when the partials arrive one at a
    /// time (a distributed index writing while its workers still read): the archive
    /// listed and compared with the catalogue, the rows of files gone removed. Give each
    /// partial to [`IndexFrom::add`] as it arrives, then call [`IndexFrom::finish`]; the
    /// catalogue written and the counts are those of one [`Catalogue::index_archive_from`]
    /// with all the partials (the same batches, in the same order).
    ///
    /// # Errors
    /// As [`Catalogue::index_archive`] before reading.
    pub fn index_from(&mut self, archive: &Archive, opts: &IndexOptions) -> Result<IndexFrom> {
        let IndexPlan {
            mut report,
            todo,
            removed,
            foreign,
            vanished,
            ..
        } = self.plan(archive, opts)?;
        report.files_removed = remove_files(self.db.get_mut(), &removed, &vanished)?;
        Ok(IndexFrom {
            opts: opts.clone(),
            root: archive.root().to_path_buf(),
            report,
            todo,
            written: 0,
            foreign,
            read_before: HashMap::new(),
        })
    }

    /// The end of an index run: `tsindex_summary` rebuilt and, unless cancelled, the day
    /// statistics of the streams that changed.
    fn finish_run(&mut self, opts: &IndexOptions) -> Result<()> {
        let db = self.db.get_mut();
        let summary = match db.kind() {
            BackendKind::Sqlite => SUMMARY_SQL,
            BackendKind::Postgres => SUMMARY_SQL_PG,
        };
        db.transaction(|tx| tx.batch(summary))?;
        if !crate::is_cancelled(opts.cancel.as_deref()) {
            self.refresh_day_stats(&opts.tolerance)?;
        }
        Ok(())
    }

    /// Recomputes `siqaco_day_stats` of the streams listed in `siqaco_dirty`.
    fn refresh_day_stats(&mut self, tolerance: &Tolerance) -> Result<()> {
        let db = self.db.get_mut();
        let dirty: Vec<Nslc> = db
            .query(
                "SELECT network,station,location,channel FROM siqaco_dirty",
                &[],
            )?
            .iter()
            .map(|r| row_nslc(r))
            .collect();
        let opts = AnalysisOptions {
            tolerance: *tolerance,
            per_day: true,
            ..Default::default()
        };
        db.transaction(|tx| {
            for nslc in dirty {
                let traces = load_stream(tx, &nslc, tolerance, None)?.0;
                let a = analyze(&traces, &opts);
                let keys = nslc_vals(&nslc);
                tx.execute(
                    "DELETE FROM siqaco_day_stats WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4",
                    &keys,
                )?;
                for d in &a.days {
                    let mut p = keys.clone();
                    p.extend(vals![
                        format_date(d.day_start_ns),
                        d.num_gaps as i64,
                        d.sum_gaps,
                        d.max_gap,
                        d.num_overlaps as i64,
                        d.sum_overlaps,
                        d.max_overlap,
                        d.percent_availability
                    ]);
                    tx.execute(
                        "INSERT INTO siqaco_day_stats VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                        &p,
                    )?;
                }
                tx.execute(
                    "DELETE FROM siqaco_dirty WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4",
                    &keys,
                )?;
            }
            Ok(())
        })
    }

    /// Every `tsindex` row in mseedindex's SQLite text encodings, sorted by file name and
    /// byte offset. From PostgreSQL the typed columns are converted back (timestamps keep
    /// microseconds; the hstore `timeindex` in time order).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn tsindex_rows(&self) -> Result<Vec<TsindexRow>> {
        let mut db = self.db.borrow_mut();
        let cols = match db.kind() {
            BackendKind::Sqlite => TSINDEX_COLUMNS,
            BackendKind::Postgres => TSINDEX_COLUMNS_PG,
        };
        let mut out: Vec<TsindexRow> = db
            .query(&format!("SELECT {cols} FROM tsindex"), &[])?
            .iter()
            .map(|r| TsindexRow::from_values(r))
            .collect();
        out.sort_by(|a, b| (&a.filename, a.byteoffset).cmp(&(&b.filename, b.byteoffset)));
        Ok(out)
    }

    /// The `tsindex` sections of the streams matching `selection` (empty = all) whose
    /// `[starttime, endtime]` meets `[start_ns, end_ns]`, sorted by file name and byte
    /// offset. Codes are narrowed in SQL (codes without wildcards by equality, the others by
    /// `LIKE` with the globs' `*`/`?` as `%`/`_`: [`spans::exact_codes`]), times in
    /// Rust ([`crate::time::parse_time`] of the stored text, whatever tool wrote it); rows
    /// whose times cannot be parsed are kept (the records decide).
    ///
    /// # Errors
    /// [`Error::Database`].
    #[cfg(feature = "sqlite")] // the catalogue as a data source (source::local, fdsnws)
    pub(crate) fn tsindex_sections(
        &self,
        selection: &[NslcGlob],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<TsindexRow>> {
        let mut db = self.db.borrow_mut();
        let cols = match db.kind() {
            BackendKind::Sqlite => TSINDEX_COLUMNS,
            BackendKind::Postgres => TSINDEX_COLUMNS_PG,
        };
        let all = [NslcGlob::all()];
        let globs = if selection.is_empty() {
            &all[..]
        } else {
            selection
        };
        let mut out: Vec<TsindexRow> = Vec::new();
        for g in globs {
            let (sql, params) = spans::exact_codes(&format!("SELECT {cols} FROM tsindex"), g, true);
            let rows = db.query(&sql, &params)?;
            out.extend(rows.iter().map(|r| TsindexRow::from_values(r)).filter(|r| {
                g.matches(&r.nslc)
                    && match (parse_time(&r.starttime), parse_time(&r.endtime)) {
                        (Ok(a), Ok(b)) => a <= end_ns && b >= start_ns,
                        _ => true,
                    }
            }));
        }
        out.sort_by(|a, b| (&a.filename, a.byteoffset).cmp(&(&b.filename, b.byteoffset)));
        out.dedup_by(|a, b| a.filename == b.filename && a.byteoffset == b.byteoffset);
        Ok(out)
    }

    /// The ETag of the object `url` (an `s3://` URL, as `siqaco_files.path` stores it) when
    /// it was indexed; `None` for a file, an object indexed without one, or a catalogue of
    /// schema version below 5 (or written by another tool), where reads are not
    /// conditional.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub(crate) fn indexed_etag(&self, url: &Path) -> Result<Option<String>> {
        if !crate::archive::store::is_object_url(url) || self.schema_version()? < 5 {
            return Ok(None);
        }
        let mut db = self.db.borrow_mut();
        let rows = db.query(
            "SELECT etag FROM siqaco_files WHERE path=?1",
            &vals![url.to_string_lossy().as_ref()],
        )?;
        Ok(rows.first().and_then(|r| r[0].as_opt_text()))
    }

    /// The streams of the catalogue matching `selection` (empty = all), sorted.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn streams(&self, selection: &[NslcGlob]) -> Result<Vec<Nslc>> {
        self.streams_by_index(selection)
    }

    /// First sample and end of coverage of each selected stream (from `siqaco_spans`).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn extents(&self, selection: &[NslcGlob]) -> Result<Vec<StreamExtent>> {
        let mut out = Vec::new();
        for nslc in self.streams(selection)? {
            let r = self.db.borrow_mut().query(EXTENT_SQL, &nslc_vals(&nslc))?;
            if let Some(r) = r.first() {
                if let (Some(a), Some(b)) = (r[0].as_opt_i64(), r[1].as_opt_i64()) {
                    out.push(StreamExtent {
                        nslc,
                        earliest_ns: a,
                        latest_ns: b,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Gaps, overlaps, availability and per-day statistics of the selected streams over
    /// the window, from the catalogue only, as the same [`ScanReport`] a fresh
    /// [`crate::scan::scan_archive`] gives: the stored traces of each file are joined with
    /// [`TraceBuilder`] and analysed with [`analyze`], the rules of `docs/gaps.md`.
    ///
    /// Differences from a scan: with a window, `records` counts every data record of the
    /// stream's files and traces are not cut to the records inside the window (coverage,
    /// gaps, overlaps and statistics are the same); a tolerance smaller than the one used
    /// at index time cannot split traces already joined.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn report(&self, opts: &ScanOptions) -> Result<ScanReport> {
        let tol = &opts.analysis.tolerance;
        let streams = self.streams(&opts.selection)?;
        let mut file_ids: BTreeSet<i64> = BTreeSet::new();
        let mut reports = Vec::new();
        let mut db = self.db.borrow_mut();
        for nslc in streams {
            let (traces, records, ids) = load_stream(&mut db, &nslc, tol, opts.analysis.window)?;
            file_ids.extend(ids);
            if records == 0 || traces.is_empty() {
                continue;
            }
            reports.push(StreamReport {
                analysis: analyze(&traces, &opts.analysis),
                nslc,
                records,
            });
        }
        // files: every file when no selection, else the files holding selected streams,
        // by primary key
        let rows = if opts.selection.is_empty() {
            db.query(REPORT_FILES_SQL, &[])?
        } else {
            files_by_id(&mut db, REPORT_FILES_SQL, &file_ids)?
        };
        let mut report = ScanReport {
            window: opts.analysis.window,
            ..Default::default()
        };
        for r in rows {
            let (id, rel, size, records) =
                (r[0].as_i64(), r[1].as_text(), r[2].as_i64(), r[3].as_i64());
            if !opts.selection.is_empty() && !file_ids.contains(&id) {
                continue;
            }
            let errs = r[4]
                .as_opt_text()
                .as_deref()
                .map(decode_errors)
                .unwrap_or_default();
            let unreadable = errs.iter().any(|x| x.offset.is_none());
            if !unreadable {
                report.files += 1;
                report.bytes += size as u64;
            }
            report.records += records as u64;
            report.errors.extend(errs.into_iter().map(|mut x| {
                x.path = rel.clone();
                x
            }));
        }
        report
            .errors
            .sort_by(|a, b| (&a.path, a.offset).cmp(&(&b.path, b.offset)));
        report.streams = reports;
        Ok(report)
    }

    /// The stored per-day statistics (`siqaco_day_stats`) of the selected streams, sorted
    /// by stream and day.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn stored_day_stats(&self, selection: &[NslcGlob]) -> Result<Vec<StoredDay>> {
        let all = [NslcGlob::all()];
        let globs = if selection.is_empty() {
            &all[..]
        } else {
            selection
        };
        let mut out: Vec<StoredDay> = Vec::new();
        let mut db = self.db.borrow_mut();
        for g in globs {
            // the codes given exactly search the primary key (network, station, ...)
            let (sql, params) = spans::exact_codes(DAY_STATS_SQL, g, false);
            out.extend(
                db.query(&sql, &params)?
                    .iter()
                    .map(|r| StoredDay {
                        nslc: row_nslc(r),
                        day: r[4].as_text(),
                        num_gaps: r[5].as_i64() as u64,
                        sum_gaps: r[6].as_f64(),
                        max_gap: r[7].as_f64(),
                        num_overlaps: r[8].as_i64() as u64,
                        sum_overlaps: r[9].as_f64(),
                        max_overlap: r[10].as_f64(),
                        percent_availability: r[11].as_f64(),
                    })
                    .filter(|d| g.matches(&d.nslc)),
            );
        }
        out.sort_by(|a, b| (&a.nslc, &a.day).cmp(&(&b.nslc, &b.day)));
        out.dedup();
        Ok(out)
    }

    /// Checks the catalogue: SQLite `integrity_check`, schema version, that every file
    /// has its tsindex rows and no tsindex row of an indexed root is orphaned, that files
    /// still exist with the recorded size, and that `tsindex_summary` matches `tsindex`.
    ///
    /// # Errors
    /// [`Error::Database`] when the checks cannot run.
    pub fn check(&self) -> Result<CheckReport> {
        let mut rep = CheckReport {
            catalogue: self.target(),
            ..CheckReport::default()
        };
        let v = self.schema_version()?;
        let mut db = self.db.borrow_mut();
        if db.kind() == BackendKind::Sqlite {
            let ic = db.query_one("PRAGMA integrity_check", &[])?.as_text();
            if ic != "ok" {
                rep.problems.push(format!("integrity_check: {ic}"));
            }
        }
        if v != SCHEMA_VERSION {
            rep.problems.push(format!(
                "schema version {v}, expected {SCHEMA_VERSION} (run `siqaco db migrate`)"
            ));
            return Ok(rep);
        }
        rep.rows = db.query_one("SELECT count(*) FROM tsindex", &[])?.as_i64() as u64;
        let rows = db.query(
            "SELECT f.path, f.size_bytes, \
             (SELECT count(*) FROM tsindex t WHERE t.filename=f.filename), \
             (SELECT count(*) FROM siqaco_file_streams s WHERE s.file_id=f.id) \
             FROM siqaco_files f",
            &[],
        )?;
        for r in rows {
            let (path, size, nrows, nstreams) =
                (r[0].as_text(), r[1].as_i64(), r[2].as_i64(), r[3].as_i64());
            rep.files += 1;
            match std::fs::metadata(&path) {
                Ok(m) if m.len() as i64 != size => rep
                    .problems
                    .push(format!("{path}: size changed since indexing (re-index)")),
                Ok(_) => {}
                Err(_) => rep
                    .problems
                    .push(format!("{path}: file missing (re-index removes its rows)")),
            }
            if nstreams > 0 && nrows == 0 {
                rep.problems.push(format!("{path}: no tsindex rows"));
            }
        }
        let orphans = db
            .query_one(
                "SELECT count(*) FROM tsindex t WHERE NOT EXISTS \
                 (SELECT 1 FROM siqaco_files f WHERE f.filename=t.filename)",
                &[],
            )?
            .as_i64();
        if orphans > 0 {
            rep.problems.push(format!(
                "{orphans} tsindex row(s) of files siqaco did not index (from another tool?)"
            ));
        }
        let summary = if table_exists(&mut db, "tsindex_summary")? {
            db.query_one(
                "SELECT count(*) FROM (SELECT network,station,location,channel,min(starttime),max(endtime) \
                 FROM tsindex GROUP BY 1,2,3,4 EXCEPT SELECT network,station,location,channel,earliest,latest \
                 FROM tsindex_summary) AS d",
                &[],
            )
            .ok()
            .map(|v| v.as_i64())
        } else {
            None
        };
        match summary {
            Some(0) => {}
            Some(n) => rep
                .problems
                .push(format!("tsindex_summary out of date for {n} stream(s)")),
            None => rep.problems.push("tsindex_summary missing".into()),
        }
        Ok(rep)
    }
}

/// One row of `siqaco_day_stats` (MUSTANG names; seconds and percent).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDay {
    /// Stream codes.
    pub nslc: Nslc,
    /// UTC date `YYYY-MM-DD`.
    pub day: String,
    /// Number of gaps (head and tail included).
    pub num_gaps: u64,
    /// Total gap seconds.
    pub sum_gaps: f64,
    /// Largest gap, seconds.
    pub max_gap: f64,
    /// Number of overlaps.
    pub num_overlaps: u64,
    /// Total overlap seconds.
    pub sum_overlaps: f64,
    /// Largest overlap, seconds.
    pub max_overlap: f64,
    /// Percent of the day covered.
    pub percent_availability: f64,
}

/// Removes from the catalogue, in one transaction, the files of a plan that are gone:
/// `removed` (ids and stored names of siqaco's files: every row of theirs, their streams
/// marked for the summary) and `vanished` (stored names with another tool's `tsindex` rows
/// only). Returns how many files were removed.
///
/// # Errors
/// [`Error::Database`].
/// The files of `listed` (absolute path, stored name) whose size, modification time or
/// stored name differ from the catalogue's row, or that have none: what is still to read
/// (another worker may have indexed the others since they were listed).
///
/// # Errors
/// [`Error::Database`].
fn still_changed(
    db: &mut Db,
    listed: Vec<(ArchiveFile, String, String)>,
) -> Result<Vec<(ArchiveFile, String, String)>> {
    let mut out = Vec::new();
    for item in listed {
        let (f, abs, filename) = &item;
        let rows = db.query(
            "SELECT size_bytes, mtime_ns, filename, etag FROM siqaco_files WHERE path=?1",
            &vals![abs.as_str()],
        )?;
        let same = rows
            .first()
            .is_some_and(|r| StoredFile::of(r).unchanged(f, filename));
        if !same {
            out.push(item);
        }
    }
    Ok(out)
}

/// What `siqaco_files` holds of a file: size, modification time, stored name, ETag.
struct StoredFile {
    size: u64,
    mtime_ns: i64,
    filename: String,
    etag: Option<String>,
}

impl StoredFile {
    /// From the columns `size_bytes, mtime_ns, filename, etag`.
    fn of(r: &[SqlValue]) -> StoredFile {
        StoredFile {
            size: r[0].as_i64() as u64,
            mtime_ns: r[1].as_i64(),
            filename: r[2].as_text(),
            etag: r[3].as_opt_text(),
        }
    }

    /// The one rule of incremental indexing: the listed file `f`, stored as `filename`, is
    /// unchanged when its size and stored name are equal and, for an object of a bucket,
    /// its ETag (the last-modified time of an object says when it was written, not what
    /// it holds; an object rewritten with the same size within the second keeps it), for
    /// a local file its modification time.
    fn unchanged(&self, f: &ArchiveFile, filename: &str) -> bool {
        self.size == f.size_bytes
            && self.filename == filename
            && match &f.etag {
                Some(etag) => self.etag.as_ref() == Some(etag),
                None => self.mtime_ns == f.mtime_ns,
            }
    }
}

fn remove_files(db: &mut Db, removed: &[(i64, String)], vanished: &[String]) -> Result<u64> {
    if removed.is_empty() && vanished.is_empty() {
        return Ok(0);
    }
    db.transaction(|tx| {
        for (id, filename) in removed {
            mark_dirty_file(tx, *id)?;
            delete_file_rows(tx, *id, filename)?;
            tx.execute("DELETE FROM siqaco_files WHERE id=?1", &vals![*id])?;
        }
        for filename in vanished {
            tx.execute("DELETE FROM tsindex WHERE filename=?1", &vals![filename])?;
        }
        Ok(())
    })?;
    Ok((removed.len() + vanished.len()) as u64)
}

/// What a file of a batch gave: its index and unreadable parts, `None` when it was skipped
/// after cancellation (it keeps its old rows, or none).
type FileRead = Option<(FileIndex, Vec<FileError>)>;

/// Reads batches of files and writes their rows: the one code path of an index run, by
/// one process ([`Catalogue::index_archive_from`]) or split between workers
/// ([`Catalogue::index_archive`] with a PostgreSQL catalogue).
struct BatchReader<'a> {
    opts: &'a IndexOptions,
    /// Stored names of files to adopt, with whether a stored row has a hash
    /// ([`IndexPlan::foreign`]).
    foreign: &'a HashMap<String, bool>,
    sopts: SectionOptions,
    /// A file whose adopted rows have a hash is hashed, to compare them.
    sopts_hash: SectionOptions,
    pool: Option<rayon::ThreadPool>,
}

impl<'a> BatchReader<'a> {
    /// `root`: the archive's root, which decides the reading threads
    /// ([`crate::archive::store::reading_threads`]: one per request in flight for a bucket).
    fn new(opts: &'a IndexOptions, root: &Path, foreign: &'a HashMap<String, bool>) -> Self {
        let sopts = opts.section_options();
        BatchReader {
            opts,
            foreign,
            sopts,
            sopts_hash: SectionOptions {
                hash: true,
                ..sopts
            },
            pool: crate::archive::store::reading_threads(root, opts.threads)
                .and_then(|n| rayon::ThreadPoolBuilder::new().num_threads(n).build().ok()),
        }
    }

    /// Reads the files of `batch` in parallel, taking those already read from `before`
    /// (one entry per file); once cancelled, the files not read yet are skipped.
    fn read(
        &self,
        batch: &[(ArchiveFile, String, String)],
        before: Vec<FileRead>,
    ) -> Vec<FileRead> {
        let cancel = self.opts.cancel.as_deref();
        let work = || {
            batch
                .par_iter()
                .zip(before)
                .map(|((f, _, filename), before)| {
                    let o = match self.foreign.get(filename) {
                        Some(true) => &self.sopts_hash,
                        _ => &self.sopts,
                    };
                    (!crate::is_cancelled(cancel)).then(|| {
                        before.unwrap_or_else(|| read_and_index(f, o, &self.opts.mappings))
                    })
                })
                .collect::<Vec<_>>()
        };
        match &self.pool {
            Some(p) => p.install(work),
            None => work(),
        }
    }

    /// Writes the rows of what [`BatchReader::read`] read of `batch` in the transaction
    /// `tx`, counting in `report`.
    fn write(
        &self,
        tx: &mut Db,
        batch: &[(ArchiveFile, String, String)],
        results: Vec<FileRead>,
        report: &mut IndexReport,
    ) -> Result<()> {
        let scanned_ns = crate::time::now_ns();
        let mut rows = BatchRows::default();
        for ((f, abs, filename), read) in batch.iter().zip(results) {
            // A file skipped after cancellation keeps its old rows (or none).
            let Some((idx, errors)) = read else { continue };
            if !errors.is_empty() {
                report.files_with_errors += 1;
            }
            let adopt = self.foreign.contains_key(filename);
            let w = write_file(
                tx,
                &mut rows,
                f,
                abs,
                filename,
                &idx,
                &errors,
                scanned_ns,
                self.opts.hash,
                adopt,
            )?;
            report.rows_written += w.written;
            report.files_indexed += 1;
            if w.kept > 0 {
                report.files_adopted += 1;
                report.rows_kept += w.kept;
            }
        }
        rows.write(tx)
    }
}

/// What an index run does before reading ([`Catalogue::plan`]).
struct IndexPlan {
    /// `files_listed` and `files_unchanged` counted.
    report: IndexReport,
    /// Files to read, with their absolute path and the name stored in `filename`.
    todo: Vec<(ArchiveFile, String, String)>,
    /// The other files listed, the same way (a worker of a split run reads those another
    /// worker finds changed, [`Catalogue::index_with`]).
    unchanged: Vec<(ArchiveFile, String, String)>,
    /// Ids and stored names of the catalogue's files under the root that are gone.
    removed: Vec<(i64, String)>,
    /// Stored names of files to read that have `tsindex` rows but no `siqaco_files` row
    /// (to adopt), with whether one of those rows has a `hash`.
    foreign: HashMap<String, bool>,
    /// Stored names under the root with `tsindex` rows but neither a `siqaco_files` row
    /// nor a file (looked for only when adopting, when `foreign` is not empty).
    vanished: Vec<String>,
}

/// The writing side of a distributed index run ([`Catalogue::index_from`]): the files to
/// index in the order one run writes them, and the partials received so far. Each batch
/// of `batch_files` files is written, in order, as soon as every file of it has arrived.
#[derive(Debug)]
pub struct IndexFrom {
    opts: IndexOptions,
    root: PathBuf,
    report: IndexReport,
    /// The files to read, as [`IndexPlan::todo`].
    todo: Vec<(ArchiveFile, String, String)>,
    /// Files of `todo` written (whole batches).
    written: usize,
    foreign: HashMap<String, bool>,
    /// What the workers read, by path, until its batch is written.
    read_before: HashMap<PathBuf, (ArchiveFile, FileIndex, Vec<FileError>)>,
}

impl IndexFrom {
    /// Takes the files of `partial` and writes, in one transaction each, the batches whose
    /// files have all arrived (up to the first batch still missing one).
    ///
    /// # Errors
    /// As [`Catalogue::index_archive`] ([`Error::Database`]).
    pub fn add(&mut self, catalogue: &mut Catalogue, partial: IndexPartial) -> Result<()> {
        for (f, idx, errors) in partial.files {
            self.read_before.insert(f.path.clone(), (f, idx, errors));
        }
        self.write(catalogue, false)
    }

    /// Sets the cancellation flag (once set, no further file is read; the batches already
    /// read are written).
    pub fn set_cancel(&mut self, cancel: Option<Arc<AtomicBool>>) {
        self.opts.cancel = cancel;
    }

    /// Writes the batches left, reading here the files no partial held (or that changed
    /// since they were read), then brings `tsindex_summary` and the day statistics up to
    /// date: the counts of the run.
    ///
    /// # Errors
    /// As [`Catalogue::index_archive`].
    pub fn finish(mut self, catalogue: &mut Catalogue) -> Result<IndexReport> {
        self.write(catalogue, true)?;
        catalogue.finish_run(&self.opts)?;
        Ok(self.report)
    }

    /// Writes the next batches in order: those whose files have all arrived, or (`all`)
    /// every one left; stops once cancelled.
    fn write(&mut self, catalogue: &mut Catalogue, all: bool) -> Result<()> {
        let IndexFrom {
            opts,
            root,
            report,
            todo,
            written,
            foreign,
            read_before,
        } = self;
        let db = catalogue.db.get_mut();
        let mut reader = None;
        while *written < todo.len() {
            if crate::is_cancelled(opts.cancel.as_deref()) {
                break;
            }
            let batch = &todo[*written..(*written + opts.batch_files.max(1)).min(todo.len())];
            if !all
                && !batch
                    .iter()
                    .all(|(f, _, _)| read_before.contains_key(&f.path))
            {
                break;
            }
            let before: Vec<_> = batch
                .iter()
                .map(|(f, _, _)| {
                    read_before
                        .remove(&f.path)
                        .filter(|(g, _, _)| {
                            g.size_bytes == f.size_bytes
                                && g.mtime_ns == f.mtime_ns
                                && g.etag == f.etag
                        })
                        .map(|(_, idx, errors)| (idx, errors))
                })
                .collect();
            let reader: &BatchReader =
                reader.get_or_insert_with(|| BatchReader::new(opts, root, foreign));
            let results = reader.read(batch, before);
            db.transaction(|tx| reader.write(tx, batch, results, report))?;
            *written += batch.len();
        }
        Ok(())
    }
}

/// What the workers of a distributed index run read ([`index_partial`]): per file (as
/// listed by [`Catalogue::files_to_index`]) its tsindex sections, traces and unreadable
/// parts. Small (a few rows per file, never samples); serialisable (serde). Partials of
/// several groups are joined with [`IndexPartial::extend`].
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndexPartial {
    /// Per file: the file as listed, what was indexed from it, its unreadable parts.
    files: Vec<(ArchiveFile, FileIndex, Vec<FileError>)>,
}

impl IndexPartial {
    /// Adds the files of another partial.
    pub fn extend(&mut self, other: IndexPartial) {
        self.files.extend(other.files);
    }

    /// The files read, as listed.
    pub fn files(&self) -> impl Iterator<Item = &ArchiveFile> {
        self.files.iter().map(|(f, _, _)| f)
    }
}

/// Reads and indexes `files` (one group of [`Catalogue::files_to_index`]) as
/// [`Catalogue::index_archive`] would, in parallel with rayon, without a catalogue.
/// `opts`' subindex interval, hash, tolerance, threads and cancellation flag are used (a
/// file not started once the flag is set is left out). Unreadable files and bytes are not
/// errors: they are in the partial, as the catalogue records them.
pub fn index_partial(files: &[ArchiveFile], opts: &IndexOptions) -> IndexPartial {
    let sopts = opts.section_options();
    let cancel = opts.cancel.as_deref();
    let work = || {
        files
            .par_iter()
            .filter(|_| !crate::is_cancelled(cancel))
            .map(|f| {
                let (idx, errors) = read_and_index(f, &sopts, &opts.mappings);
                (f.clone(), idx, errors)
            })
            .collect()
    };
    let files = crate::scan::in_pool(opts.threads, work);
    IndexPartial { files }
}

/// Indexes one file ([`section::index_file`]: read a chunk at a time), its unreadable
/// parts named by the file's path relative to the archive root.
fn read_and_index(
    f: &ArchiveFile,
    opts: &SectionOptions,
    mappings: &crate::mapping::Mappings,
) -> (FileIndex, Vec<FileError>) {
    let fail = |offset, message| {
        (
            FileIndex::default(),
            vec![FileError {
                path: f.rel_path.clone(),
                offset,
                message,
            }],
        )
    };
    match section::index_file(&f.path, opts, mappings) {
        Err(err) => fail(None, format!("cannot read file: {err}")),
        Ok((_, 0)) => fail(Some(0), "empty file: no miniSEED record".into()),
        Ok((mut idx, _)) => {
            let errors = std::mem::take(&mut idx.errors)
                .into_iter()
                .map(|mut x| {
                    x.path = f.rel_path.clone();
                    x
                })
                .collect();
            (idx, errors)
        }
    }
}

fn encode_errors(errors: &[FileError]) -> Option<String> {
    if errors.is_empty() {
        return None;
    }
    let v: Vec<serde_json::Value> = errors
        .iter()
        .map(|x| serde_json::json!({"offset": x.offset, "message": x.message}))
        .collect();
    Some(serde_json::Value::Array(v).to_string())
}

fn decode_errors(text: &str) -> Vec<FileError> {
    let Ok(serde_json::Value::Array(v)) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    v.iter()
        .map(|x| FileError {
            path: String::new(),
            offset: x.get("offset").and_then(|o| o.as_u64()),
            message: x
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_string(),
        })
        .collect()
}

fn mark_dirty_file(tx: &mut Db, file_id: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO siqaco_dirty SELECT DISTINCT network,station,location,channel \
         FROM siqaco_file_streams WHERE file_id=?1 ON CONFLICT DO NOTHING",
        &vals![file_id],
    )?;
    Ok(())
}

fn delete_file_rows(tx: &mut Db, file_id: i64, filename: &str) -> Result<()> {
    tx.execute("DELETE FROM tsindex WHERE filename=?1", &vals![filename])?;
    tx.execute(
        "DELETE FROM siqaco_file_streams WHERE file_id=?1",
        &vals![file_id],
    )?;
    tx.execute("DELETE FROM siqaco_spans WHERE file_id=?1", &vals![file_id])?;
    tx.execute(
        "DELETE FROM siqaco_file_resume WHERE file_id=?1",
        &vals![file_id],
    )?;
    Ok(())
}

/// The `tsindex` row siqaco writes for section `s` of a file stored as `filename` (the one
/// definition of a row's content: written by [`write_file`], compared with the rows of an
/// adopted catalogue by [`adoptable`]); `hash` only when the run hashes (`--hash`).
fn section_row(
    s: &section::Section,
    filename: &str,
    modtime: &str,
    updated: String,
    scanned: &str,
    hash: bool,
) -> TsindexRow {
    TsindexRow {
        nslc: s.nslc.clone(),
        quality: Some(s.quality.to_string()),
        version: Some(i64::from(s.version)),
        starttime: tsindex_time(s.earliest_ns),
        endtime: tsindex_time(s.latest_ns),
        samplerate: s.sample_rate,
        filename: filename.to_string(),
        byteoffset: s.byte_offset as i64,
        bytes: s.bytes as i64,
        hash: if hash { s.hash.clone() } else { None },
        timeindex: s.timeindex_text(),
        timespans: s.timespans_text(),
        timerates: s.timerates_text(),
        format: None,
        filemodtime: modtime.to_string(),
        updated,
        scanned: scanned.to_string(),
    }
}

/// The values of `row` in [`TSINDEX_WRITTEN`]'s order, for SQLite's or (`pg`)
/// PostgreSQL's typed columns.
fn row_values(row: TsindexRow, pg: bool) -> Vec<SqlValue> {
    let (spans, rates) = if pg {
        pg_array_params(row.timespans, row.timerates)
    } else {
        (row.timespans.into(), row.timerates.into())
    };
    let samplerate: SqlValue = if pg {
        row.samplerate.to_string().into()
    } else {
        row.samplerate.into()
    };
    let mut p = nslc_vals(&row.nslc);
    p.extend(vals![row.quality, row.version, row.starttime, row.endtime]);
    p.push(samplerate);
    p.extend(vals![
        row.filename,
        row.byteoffset,
        row.bytes,
        row.hash,
        row.timeindex
    ]);
    p.push(spans);
    p.push(rates);
    p.extend(vals![row.filemodtime, row.updated, row.scanned]);
    p
}

/// Whether the `stored` rows of a file (written by another tool, or by siqaco before the
/// file had a `siqaco_files` row; sorted by byte offset) are the rows siqaco writes for it
/// (`fresh`, from the file's headers just read), so that they are kept as they are: the
/// same sections, and in each every column equal but these:
///
/// - `filemodtime` must equal the file's modification time to the second (the rule that
///   the file did not change since the other tool read it; mseedindex `-kp`, as ObsPy's
///   `Indexer` runs it, stores 1970, so such rows are replaced);
/// - `quality` and `version` may be empty (mseedindex 3 leaves `quality` NULL; tsindex
///   schema 1.0 has no `version`): they are filled in place ([`fill_kept_rows`]);
/// - `hash`: a stored MD5 must equal the section's (the file is hashed when a stored row
///   has one); a missing one is accepted only when the run does not hash;
/// - `updated` and `scanned` are the times of the other tool's runs, kept.
fn adoptable(stored: &[TsindexRow], fresh: &[TsindexRow], hash_run: bool) -> bool {
    let empty = |q: &Option<String>| q.as_deref().is_none_or(str::is_empty);
    stored.len() == fresh.len()
        && stored.iter().zip(fresh).all(|(a, b)| {
            a.nslc == b.nslc
                && (empty(&a.quality) || a.quality == b.quality)
                && (a.version.is_none() || a.version == b.version)
                && (&a.starttime, &a.endtime) == (&b.starttime, &b.endtime)
                && a.samplerate == b.samplerate
                && (a.byteoffset, a.bytes) == (b.byteoffset, b.bytes)
                && match (&a.hash, &b.hash) {
                    (Some(x), Some(y)) => x == y,
                    (None, _) => !hash_run,
                    (Some(_), None) => false,
                }
                && (&a.timeindex, &a.timespans, &a.timerates, &a.format)
                    == (&b.timeindex, &b.timespans, &b.timerates, &b.format)
                && a.filemodtime == b.filemodtime
        })
}

/// Fills, in kept rows, the `quality` and `version` columns the other tool left empty
/// (only those columns of those rows are written).
fn fill_kept_rows(tx: &mut Db, stored: &[TsindexRow], fresh: &[TsindexRow]) -> Result<()> {
    for (a, b) in stored.iter().zip(fresh) {
        if a.quality.as_deref().is_none_or(str::is_empty) || a.version.is_none() {
            tx.execute(
                "UPDATE tsindex SET quality=?1 WHERE filename=?2 AND byteoffset=CAST(?3 AS BIGINT) \
                 AND (quality IS NULL OR quality='')",
                &vals![b.quality.clone(), &a.filename, a.byteoffset],
            )?;
            tx.execute(
                "UPDATE tsindex SET version=?1 WHERE filename=?2 AND byteoffset=CAST(?3 AS BIGINT) \
                 AND version IS NULL",
                &vals![b.version, &a.filename, a.byteoffset],
            )?;
        }
    }
    Ok(())
}

/// What [`write_file`] did with a file's `tsindex` rows.
#[derive(Clone, Copy, Debug, Default)]
struct FileRows {
    /// Rows written.
    written: u64,
    /// Rows of another tool kept (the file was adopted).
    kept: u64,
}

/// Replaces everything known about one file: deletes its old rows and writes its
/// `siqaco_files` row now, adds its other rows to `rows` (written at the end of the
/// batch). With `adopt` (the file has `tsindex` rows but no `siqaco_files` row: a
/// catalogue written by mseedindex, ObsPy's `Indexer` or an earlier siqaco), those rows are
/// kept when [`adoptable`], and only siqaco's own rows are written.
#[allow(clippy::too_many_arguments)]
fn write_file(
    tx: &mut Db,
    rows: &mut BatchRows,
    f: &ArchiveFile,
    abs: &str,
    filename: &str,
    idx: &FileIndex,
    errors: &[FileError],
    scanned_ns: i64,
    hash: bool,
    adopt: bool,
) -> Result<FileRows> {
    let pg = tx.kind() == BackendKind::Postgres;
    let cols = if pg {
        TSINDEX_COLUMNS_PG
    } else {
        TSINDEX_COLUMNS
    };
    let old: Option<(i64, String)> = tx
        .query(
            "SELECT id, filename FROM siqaco_files WHERE path=?1",
            &vals![abs],
        )?
        .first()
        .map(|r| (r[0].as_i64(), r[1].as_text()));
    // mseedindex keeps `updated` of a section whose hash (and NSLC, version) is unchanged
    let mut previous_updated: HashMap<(Nslc, i64, String), String> = HashMap::new();
    if hash {
        let names: Vec<&str> = match &old {
            Some((_, n)) => vec![n.as_str(), filename],
            None => vec![filename],
        };
        let sql = format!("SELECT {cols} FROM tsindex WHERE filename=?1 AND hash IS NOT NULL");
        for n in names {
            for r in tx.query(&sql, &vals![n])? {
                let row = TsindexRow::from_values(&r);
                previous_updated.insert(
                    (
                        row.nslc,
                        row.version.unwrap_or(0),
                        row.hash.unwrap_or_default(),
                    ),
                    row.updated,
                );
            }
        }
    }
    if let Some((id, old_name)) = &old {
        mark_dirty_file(tx, *id)?;
        delete_file_rows(tx, *id, old_name)?;
        tx.execute("DELETE FROM siqaco_files WHERE id=?1", &vals![*id])?;
    }
    let scanned = tsindex_second(scanned_ns);
    let modtime = tsindex_second(f.mtime_ns);
    let fresh: Vec<TsindexRow> = idx
        .sections
        .iter()
        .map(|s| {
            let updated = s
                .hash
                .as_ref()
                .filter(|_| hash)
                .and_then(|h| {
                    previous_updated.get(&(s.nslc.clone(), i64::from(s.version), h.clone()))
                })
                .cloned()
                .unwrap_or_else(|| modtime.clone());
            section_row(s, filename, &modtime, updated, &scanned, hash)
        })
        .collect();
    let mut out = FileRows::default();
    let mut kept = false;
    if adopt && old.is_none() && !fresh.is_empty() {
        let mut stored: Vec<TsindexRow> = tx
            .query(
                &format!("SELECT {cols} FROM tsindex WHERE filename=?1"),
                &vals![filename],
            )?
            .iter()
            .map(|r| TsindexRow::from_values(r))
            .collect();
        stored.sort_by_key(|r| r.byteoffset);
        // the section's MD5 as read (the file is hashed when a stored row has a hash)
        let with_hash: Vec<TsindexRow> = fresh
            .iter()
            .zip(&idx.sections)
            .map(|(r, s)| TsindexRow {
                hash: s.hash.clone(),
                ..r.clone()
            })
            .collect();
        if adoptable(&stored, &with_hash, hash) {
            fill_kept_rows(tx, &stored, &fresh)?;
            out.kept = stored.len() as u64;
            kept = true;
        }
    }
    if !kept {
        // rows another tool wrote for this file name (a version-0 catalogue)
        tx.execute("DELETE FROM tsindex WHERE filename=?1", &vals![filename])?;
        out.written = fresh.len() as u64;
        rows.tsindex
            .extend(fresh.into_iter().map(|r| row_values(r, pg)));
    }
    let file_id = tx
        .query_one(
            "INSERT INTO siqaco_files (path, filename, rel_path, size_bytes, mtime_ns, scanned, records, errors, etag) \
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) RETURNING id",
            &vals![
                abs,
                filename,
                &f.rel_path,
                f.size_bytes as i64,
                f.mtime_ns,
                &scanned,
                idx.records as i64,
                encode_errors(errors),
                f.etag.clone()
            ],
        )?
        .as_i64();
    for s in &idx.streams {
        let mut p = vals![file_id];
        p.extend(nslc_vals(&s.nslc));
        p.push(SqlValue::Int(s.records as i64));
        rows.file_streams.push(p);
        tx.execute(
            "INSERT INTO siqaco_dirty VALUES (?1,?2,?3,?4) ON CONFLICT DO NOTHING",
            &nslc_vals(&s.nslc),
        )?;
        for t in &s.traces {
            let mut p = vals![file_id];
            p.extend(nslc_vals(&s.nslc));
            p.extend(vals![
                t.start_ns,
                t.last_sample_ns,
                t.end_ns,
                t.sample_rate_hz,
                t.samples
            ]);
            rows.spans.push(p);
        }
    }
    Ok(out)
}

/// First sample and end of coverage of one stream (`siqaco_spans_nslc`).
const EXTENT_SQL: &str = "SELECT min(start_ns), max(end_ns) FROM siqaco_spans \
WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4";

/// The files of one stream and its records in each (`siqaco_file_streams_nslc`).
const STREAM_FILES_SQL: &str = "SELECT file_id, records FROM siqaco_file_streams \
WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4";

/// The same, only the files with a trace of the stream starting before `?5` and ending
/// after `?6` (`siqaco_spans_nslc`, then `siqaco_file_streams_file`).
const STREAM_FILES_WINDOW_SQL: &str = "SELECT file_id, records FROM siqaco_file_streams \
WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4 AND file_id IN \
(SELECT file_id FROM siqaco_spans WHERE network=?1 AND station=?2 \
AND location=?3 AND channel=?4 AND start_ns<?5 AND end_ns>?6)";

/// The files' rows of a report (all, or by [`files_by_id`]).
const REPORT_FILES_SQL: &str = "SELECT id, rel_path, size_bytes, records, errors FROM siqaco_files";

/// The stored day statistics (constrained by [`spans::exact_codes`]).
const DAY_STATS_SQL: &str = "SELECT network,station,location,channel,day,num_gaps,sum_gaps,\
max_gap,num_overlaps,sum_overlaps,max_overlap,percent_availability FROM siqaco_day_stats";

/// Files looked up by primary key, [`FILES_BY_ID_CHUNK`] ids per statement.
const FILES_BY_ID_CHUNK: usize = 256;

/// `select` (a query of `siqaco_files` without `WHERE`) with `WHERE id IN (?1,...)` of
/// [`FILES_BY_ID_CHUNK`] parameters.
fn files_by_id_sql(select: &str) -> String {
    let params: Vec<String> = (1..=FILES_BY_ID_CHUNK).map(|i| format!("?{i}")).collect();
    format!("{select} WHERE id IN ({})", params.join(","))
}

/// The rows of `select` (a query of `siqaco_files` without `WHERE`) of the files `ids`, by
/// primary key: `WHERE id IN (...)` with a fixed number of parameters (one prepared
/// statement; the last list padded with NULL, which matches nothing).
fn files_by_id(db: &mut Db, select: &str, ids: &BTreeSet<i64>) -> Result<Vec<Vec<SqlValue>>> {
    const CHUNK: usize = FILES_BY_ID_CHUNK;
    let sql = files_by_id_sql(select);
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut p: Vec<SqlValue> = chunk.iter().map(|&i| SqlValue::Int(i)).collect();
        p.resize(CHUNK, SqlValue::Null);
        out.extend(db.query(&sql, &p)?);
    }
    Ok(out)
}

/// Traces of one stream joined across files; the data-record count; the file ids.
fn load_stream(
    db: &mut Db,
    nslc: &Nslc,
    tol: &Tolerance,
    window: Option<(i64, i64)>,
) -> Result<(Vec<Piece>, u64, BTreeSet<i64>)> {
    let keys = nslc_vals(nslc);
    let (ws, we) = window.unwrap_or((i64::MIN, i64::MAX));
    let mut windowed = keys.clone();
    windowed.extend(vals![we, ws]);
    // the traces meeting the window, found by `siqaco_spans_nslc`
    let mut per_file: BTreeMap<i64, TraceBuilder> = BTreeMap::new();
    for r in db.query(spans::SPANS_SQL, &windowed)? {
        let p = Piece {
            start_ns: r[1].as_i64(),
            last_sample_ns: r[2].as_i64(),
            end_ns: r[3].as_i64(),
            sample_rate_hz: r[4].as_f64(),
            samples: r[5].as_i64() as _,
        };
        per_file.entry(r[0].as_i64()).or_default().push(p, tol);
    }
    // with a window, the files of those traces only (the same search, then the files'
    // rows by `siqaco_file_streams_file`)
    let rows = match window {
        None => db.query(STREAM_FILES_SQL, &keys)?,
        Some(_) => db.query(STREAM_FILES_WINDOW_SQL, &windowed)?,
    };
    let mut records = 0u64;
    let mut ids = BTreeSet::new();
    for r in rows {
        let id = r[0].as_i64();
        if window.is_none() || per_file.contains_key(&id) {
            records += r[1].as_i64() as u64;
            ids.insert(id);
        }
    }
    let mut all = TraceBuilder::new();
    for (_, tb) in per_file {
        all.merge(tb, tol);
    }
    Ok((all.finish(tol), records, ids))
}

#[cfg(test)]
mod tests;
