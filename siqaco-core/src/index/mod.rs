//! The catalogue: a SQLite database holding mseedindex's `tsindex` table (so that ObsPy's
//! tsindex client, portable-fdsnws-dataselect and other tsindex readers can use it) and
//! siqaco's own tables for incremental re-indexing and statistics. See `docs/index.md`.
//!
//! - `tsindex`: one row per file × section (consecutive records of one stream and
//!   publication version), exactly the columns and text encodings mseedindex 3 writes with
//!   `-sqlite` ([`section`]), plus `quality` (which mseedindex leaves NULL) and the real
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
//! an interrupted run leaves a consistent catalogue and the next run continues.

pub mod section;

use crate::archive::{Archive, ArchiveFile};
use crate::error::{Error, Result};
use crate::gaps::{analyze, AnalysisOptions};
use crate::scan::{FileError, ScanOptions, ScanReport, StreamReport};
use crate::segment::{Piece, Tolerance, TraceBuilder};
use crate::sid::{selected, Nslc, NslcGlob};
use crate::time::format_date;
use rayon::prelude::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use section::{index_buffer, tsindex_second, tsindex_time, FileIndex, SectionOptions};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The schema version this build writes. Version 0 is a catalogue without `siqaco_schema`
/// (for example one written by mseedindex or ObsPy's `Indexer`).
pub const SCHEMA_VERSION: u32 = 1;

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

/// The summary table as ObsPy's `Indexer` and `portable-fdsnws-dataselect -i` build it.
const SUMMARY_SQL: &str = "
DROP TABLE IF EXISTS tsindex_summary;
CREATE TABLE tsindex_summary AS
  SELECT network,station,location,channel,
         min(starttime) AS earliest, max(endtime) AS latest, datetime('now') AS updt
  FROM tsindex GROUP BY 1,2,3,4;
";

fn db_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error {
    let path = path.to_path_buf();
    move |e| Error::Database(format!("{}: {e}", path.display()))
}

/// Options of [`Catalogue::index_archive`].
#[derive(Clone, Debug)]
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
        }
    }
}

/// What an indexing run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexReport {
    /// Files listed under the root.
    pub files_listed: u64,
    /// Files read (new or changed).
    pub files_indexed: u64,
    /// Files unchanged (size and mtime equal), not read.
    pub files_unchanged: u64,
    /// Files removed from the catalogue (no longer on disk).
    pub files_removed: u64,
    /// tsindex rows written.
    pub rows_written: u64,
    /// Files with unreadable bytes (see `siqaco_files.errors`).
    pub files_with_errors: u64,
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

/// Result of [`Catalogue::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Problems found; empty when the catalogue is consistent.
    pub problems: Vec<String>,
    /// Files in `siqaco_files`.
    pub files: u64,
    /// Rows in `tsindex`.
    pub rows: u64,
}

/// An open catalogue.
pub struct Catalogue {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("path", &self.path)
            .finish()
    }
}

/// Reads the schema version of an open connection (0 when `siqaco_schema` is absent).
fn read_version(conn: &Connection) -> rusqlite::Result<u32> {
    let has: bool = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='siqaco_schema'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !has {
        return Ok(0);
    }
    conn.query_row("SELECT max(version) FROM siqaco_schema", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .map(|v| v.unwrap_or(0) as u32)
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

impl Catalogue {
    /// Opens (creating if needed) the catalogue at `path` in WAL mode and migrates an older
    /// schema forward (see [`Catalogue::migrate`]).
    ///
    /// # Errors
    /// [`Error::Database`] when the file is not a SQLite database, is locked beyond the
    /// 10 s busy timeout, or has a schema newer than [`SCHEMA_VERSION`].
    pub fn open(path: impl AsRef<Path>) -> Result<Catalogue> {
        let mut cat = Self::open_raw(path.as_ref())?;
        cat.migrate()?;
        Ok(cat)
    }

    /// Opens without migrating (for `db check` and `db backup` of old catalogues).
    ///
    /// # Errors
    /// As [`Catalogue::open`].
    pub fn open_raw(path: &Path) -> Result<Catalogue> {
        let e = db_err(path);
        let conn = Connection::open(path).map_err(&e)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(&e)?;
        conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
            .map_err(&e)?;
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA case_sensitive_like=ON;")
            .map_err(&e)?;
        Ok(Catalogue {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection (read-only use recommended).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The schema version recorded in the catalogue (0 when none).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn schema_version(&self) -> Result<u32> {
        read_version(&self.conn).map_err(db_err(&self.path))
    }

    /// Migrates the schema to [`SCHEMA_VERSION`] in one transaction, after writing a
    /// backup copy (`FILE.v{old}.bak`, by `VACUUM INTO`) when the catalogue holds tables.
    /// Returns the backup path, `None` when nothing was to migrate (or the file was new).
    ///
    /// Migrations: 0 → 1 creates `tsindex` (if absent), its indexes and siqaco's tables;
    /// existing `tsindex` rows are kept and replaced file by file at the next index run.
    ///
    /// # Errors
    /// [`Error::Database`], also when the schema is newer than this build knows.
    pub fn migrate(&mut self) -> Result<Option<PathBuf>> {
        let e = db_err(&self.path);
        let version = read_version(&self.conn).map_err(&e)?;
        if version == SCHEMA_VERSION {
            return Ok(None);
        }
        if version > SCHEMA_VERSION {
            return Err(Error::Database(format!(
                "{}: schema version {version} is newer than this siqaco ({SCHEMA_VERSION})",
                self.path.display()
            )));
        }
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(&e)?;
        let backup = if tables > 0 {
            let b = backup_path(&self.path, version);
            self.backup(&b)?;
            Some(b)
        } else {
            None
        };
        let tx = self.conn.transaction().map_err(&e)?;
        let mut v = version;
        while v < SCHEMA_VERSION {
            match v {
                0 => {
                    tx.execute_batch(TSINDEX_DDL).map_err(&e)?;
                    tx.execute_batch(SIQACO_DDL_V1).map_err(&e)?;
                }
                _ => unreachable!("no migration from {v}"),
            }
            v += 1;
        }
        tx.execute("DELETE FROM siqaco_schema", []).map_err(&e)?;
        tx.execute(
            "INSERT INTO siqaco_schema (version) VALUES (?1)",
            params![SCHEMA_VERSION],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(backup)
    }

    /// Writes a consistent copy of the catalogue to `dest` (`VACUUM INTO`; safe while
    /// other connections write).
    ///
    /// # Errors
    /// [`Error::Database`], also when `dest` exists.
    pub fn backup(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(Error::Database(format!(
                "{}: backup destination exists",
                dest.display()
            )));
        }
        self.conn
            .execute("VACUUM INTO ?1", params![dest.to_string_lossy()])
            .map_err(db_err(&self.path))?;
        Ok(())
    }

    /// Indexes the archive incrementally (see the module documentation) and rebuilds
    /// `tsindex_summary` and the day statistics of the streams that changed.
    ///
    /// # Errors
    /// [`Error::Io`] when the archive cannot be listed; [`Error::Database`]. Unreadable
    /// files or bytes are not errors: they are recorded in `siqaco_files.errors`.
    pub fn index_archive(&mut self, archive: &Archive, opts: &IndexOptions) -> Result<IndexReport> {
        let e = db_err(&self.path);
        let root_abs =
            std::fs::canonicalize(archive.root()).map_err(|err| Error::io(archive.root(), err))?;
        let files = archive.list_files(&[], None)?;
        let mut report = IndexReport {
            files_listed: files.len() as u64,
            ..Default::default()
        };
        // what the catalogue knows
        let mut known: HashMap<String, (i64, u64, i64, String)> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT id, path, size_bytes, mtime_ns, filename FROM siqaco_files")
                .map_err(&e)?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .map_err(&e)?;
            for row in rows {
                let (id, path, size, mtime, filename) = row.map_err(&e)?;
                known.insert(path, (id, size as u64, mtime, filename));
            }
        }
        let mut todo: Vec<(ArchiveFile, String, String)> = Vec::new();
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
                Some((_, size, mtime, stored))
                    if *size == f.size_bytes && *mtime == f.mtime_ns && *stored == filename =>
                {
                    report.files_unchanged += 1;
                }
                _ => todo.push((f, abs_s, filename)),
            }
        }
        // removed files under this root
        let prefix = format!("{}{}", root_abs.display(), std::path::MAIN_SEPARATOR);
        let removed: Vec<(i64, String)> = known
            .iter()
            .filter(|(p, _)| p.starts_with(&prefix) && !seen.contains(*p))
            .map(|(_, (id, _, _, filename))| (*id, filename.clone()))
            .collect();
        if !removed.is_empty() {
            let tx = self.conn.transaction().map_err(&e)?;
            for (id, filename) in &removed {
                mark_dirty_file(&tx, *id).map_err(&e)?;
                delete_file_rows(&tx, *id, filename).map_err(&e)?;
                tx.execute("DELETE FROM siqaco_files WHERE id=?1", params![id])
                    .map_err(&e)?;
            }
            tx.commit().map_err(&e)?;
            report.files_removed = removed.len() as u64;
        }
        let sopts = SectionOptions {
            subindex_s: opts.subindex_s,
            tolerance: opts.tolerance,
            hash: opts.hash,
        };
        let pool = match opts.threads {
            Some(n) => rayon::ThreadPoolBuilder::new().num_threads(n).build().ok(),
            None => None,
        };
        for batch in todo.chunks(opts.batch_files.max(1)) {
            let work = || {
                batch
                    .par_iter()
                    .map(|(f, _, _)| read_and_index(f, &sopts))
                    .collect::<Vec<_>>()
            };
            let results = match &pool {
                Some(p) => p.install(work),
                None => work(),
            };
            let scanned_ns = now_ns();
            let tx = self.conn.transaction().map_err(&e)?;
            for ((f, abs, filename), (idx, errors)) in batch.iter().zip(results) {
                if !errors.is_empty() {
                    report.files_with_errors += 1;
                }
                report.rows_written +=
                    write_file(&tx, f, abs, filename, &idx, &errors, scanned_ns, opts.hash)
                        .map_err(&e)?;
                report.files_indexed += 1;
            }
            tx.commit().map_err(&e)?;
        }
        self.conn.execute_batch(SUMMARY_SQL).map_err(&e)?;
        self.refresh_day_stats(&opts.tolerance)?;
        Ok(report)
    }

    /// Recomputes `siqaco_day_stats` of the streams listed in `siqaco_dirty`.
    fn refresh_day_stats(&mut self, tolerance: &Tolerance) -> Result<()> {
        let e = db_err(&self.path);
        let dirty: Vec<Nslc> = {
            let mut st = self
                .conn
                .prepare("SELECT network,station,location,channel FROM siqaco_dirty")
                .map_err(&e)?;
            let rows = st
                .query_map([], |r| {
                    Ok(Nslc {
                        network: r.get(0)?,
                        station: r.get(1)?,
                        location: r.get(2)?,
                        channel: r.get(3)?,
                    })
                })
                .map_err(&e)?;
            rows.collect::<rusqlite::Result<_>>().map_err(&e)?
        };
        let opts = AnalysisOptions {
            tolerance: *tolerance,
            per_day: true,
            ..Default::default()
        };
        let tx = self.conn.transaction().map_err(&e)?;
        for nslc in dirty {
            let traces = load_traces(&tx, &nslc, tolerance).map_err(&e)?;
            let a = analyze(&traces, &opts);
            let keys = params![nslc.network, nslc.station, nslc.location, nslc.channel];
            tx.execute(
                "DELETE FROM siqaco_day_stats WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4",
                keys,
            )
            .map_err(&e)?;
            for d in &a.days {
                tx.execute(
                    "INSERT INTO siqaco_day_stats VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                    params![
                        nslc.network,
                        nslc.station,
                        nslc.location,
                        nslc.channel,
                        format_date(d.day_start_ns),
                        d.num_gaps as i64,
                        d.sum_gaps,
                        d.max_gap,
                        d.num_overlaps as i64,
                        d.sum_overlaps,
                        d.max_overlap,
                        d.percent_availability
                    ],
                )
                .map_err(&e)?;
            }
            tx.execute(
                "DELETE FROM siqaco_dirty WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4",
                keys,
            )
            .map_err(&e)?;
        }
        tx.commit().map_err(&e)
    }

    /// The streams of the catalogue matching `selection` (empty = all), sorted.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn streams(&self, selection: &[NslcGlob]) -> Result<Vec<Nslc>> {
        let e = db_err(&self.path);
        let mut st = self
            .conn
            .prepare(
                "SELECT DISTINCT network,station,location,channel FROM siqaco_file_streams \
                 ORDER BY 1,2,3,4",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok(Nslc {
                    network: r.get(0)?,
                    station: r.get(1)?,
                    location: r.get(2)?,
                    channel: r.get(3)?,
                })
            })
            .map_err(&e)?;
        let mut out = Vec::new();
        for r in rows {
            let n = r.map_err(&e)?;
            if selected(selection, &n) {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// First sample and end of coverage of each selected stream (from `siqaco_spans`).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn extents(&self, selection: &[NslcGlob]) -> Result<Vec<StreamExtent>> {
        let e = db_err(&self.path);
        let mut out = Vec::new();
        let mut st = self
            .conn
            .prepare(
                "SELECT min(start_ns), max(end_ns) FROM siqaco_spans \
                 WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4",
            )
            .map_err(&e)?;
        for nslc in self.streams(selection)? {
            let (a, b): (Option<i64>, Option<i64>) = st
                .query_row(
                    params![nslc.network, nslc.station, nslc.location, nslc.channel],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(&e)?;
            if let (Some(a), Some(b)) = (a, b) {
                out.push(StreamExtent {
                    nslc,
                    earliest_ns: a,
                    latest_ns: b,
                });
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
        let e = db_err(&self.path);
        let tol = &opts.analysis.tolerance;
        let streams = self.streams(&opts.selection)?;
        let mut file_ids: BTreeSet<i64> = BTreeSet::new();
        let mut reports = Vec::new();
        for nslc in streams {
            let (traces, records, ids) =
                load_stream(&self.conn, &nslc, tol, opts.analysis.window).map_err(&e)?;
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
        // files: every file when no selection, else the files holding selected streams
        let mut st = self
            .conn
            .prepare("SELECT id, rel_path, size_bytes, records, errors FROM siqaco_files")
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(&e)?;
        let mut report = ScanReport {
            window: opts.analysis.window,
            ..Default::default()
        };
        for row in rows {
            let (id, rel, size, records, errors) = row.map_err(&e)?;
            if !opts.selection.is_empty() && !file_ids.contains(&id) {
                continue;
            }
            let errs = errors.as_deref().map(decode_errors).unwrap_or_default();
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

    /// The stored per-day statistics (`siqaco_day_stats`) of the selected streams:
    /// `(stream, "YYYY-MM-DD", num_gaps, sum_gaps, max_gap, num_overlaps, sum_overlaps,
    /// max_overlap, percent_availability)`.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub fn stored_day_stats(&self, selection: &[NslcGlob]) -> Result<Vec<StoredDay>> {
        let e = db_err(&self.path);
        let mut st = self
            .conn
            .prepare(
                "SELECT network,station,location,channel,day,num_gaps,sum_gaps,max_gap,\
                 num_overlaps,sum_overlaps,max_overlap,percent_availability \
                 FROM siqaco_day_stats ORDER BY 1,2,3,4,5",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok(StoredDay {
                    nslc: Nslc {
                        network: r.get(0)?,
                        station: r.get(1)?,
                        location: r.get(2)?,
                        channel: r.get(3)?,
                    },
                    day: r.get(4)?,
                    num_gaps: r.get::<_, i64>(5)? as u64,
                    sum_gaps: r.get(6)?,
                    max_gap: r.get(7)?,
                    num_overlaps: r.get::<_, i64>(8)? as u64,
                    sum_overlaps: r.get(9)?,
                    max_overlap: r.get(10)?,
                    percent_availability: r.get(11)?,
                })
            })
            .map_err(&e)?;
        let mut out = Vec::new();
        for r in rows {
            let d = r.map_err(&e)?;
            if selected(selection, &d.nslc) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Checks the catalogue: SQLite `integrity_check`, schema version, that every file
    /// has its tsindex rows and no tsindex row of an indexed root is orphaned, that files
    /// still exist with the recorded size, and that `tsindex_summary` matches `tsindex`.
    ///
    /// # Errors
    /// [`Error::Database`] when the checks cannot run.
    pub fn check(&self) -> Result<CheckReport> {
        let e = db_err(&self.path);
        let mut rep = CheckReport::default();
        let ic: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(&e)?;
        if ic != "ok" {
            rep.problems.push(format!("integrity_check: {ic}"));
        }
        let v = self.schema_version()?;
        if v != SCHEMA_VERSION {
            rep.problems.push(format!(
                "schema version {v}, expected {SCHEMA_VERSION} (run `siqaco db migrate`)"
            ));
            return Ok(rep);
        }
        rep.rows = self
            .conn
            .query_row("SELECT count(*) FROM tsindex", [], |r| r.get::<_, i64>(0))
            .map_err(&e)? as u64;
        let mut st = self
            .conn
            .prepare(
                "SELECT f.path, f.size_bytes, f.errors, \
                 (SELECT count(*) FROM tsindex t WHERE t.filename=f.filename), \
                 (SELECT count(*) FROM siqaco_file_streams s WHERE s.file_id=f.id) \
                 FROM siqaco_files f",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (path, size, _errors, nrows, nstreams) = row.map_err(&e)?;
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
        let orphans: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM tsindex t WHERE NOT EXISTS \
                 (SELECT 1 FROM siqaco_files f WHERE f.filename=t.filename)",
                [],
                |r| r.get(0),
            )
            .map_err(&e)?;
        if orphans > 0 {
            rep.problems.push(format!(
                "{orphans} tsindex row(s) of files siqaco did not index (from another tool?)"
            ));
        }
        let summary_ok: Option<i64> = self
            .conn
            .query_row(
                "SELECT count(*) FROM (SELECT network,station,location,channel,min(starttime),max(endtime) \
                 FROM tsindex GROUP BY 1,2,3,4 EXCEPT SELECT network,station,location,channel,earliest,latest \
                 FROM tsindex_summary)",
                [],
                |r| r.get(0),
            )
            .optional()
            .unwrap_or(None);
        match summary_ok {
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

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn read_and_index(f: &ArchiveFile, opts: &SectionOptions) -> (FileIndex, Vec<FileError>) {
    match std::fs::read(&f.path) {
        Err(err) => (
            FileIndex::default(),
            vec![FileError {
                path: f.rel_path.clone(),
                offset: None,
                message: format!("cannot read file: {err}"),
            }],
        ),
        Ok(buf) if buf.is_empty() => (
            FileIndex::default(),
            vec![FileError {
                path: f.rel_path.clone(),
                offset: Some(0),
                message: "empty file: no miniSEED record".into(),
            }],
        ),
        Ok(buf) => {
            let mut idx = index_buffer(&buf, opts);
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

fn mark_dirty_file(tx: &Transaction<'_>, file_id: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO siqaco_dirty SELECT DISTINCT network,station,location,channel \
         FROM siqaco_file_streams WHERE file_id=?1",
        params![file_id],
    )?;
    Ok(())
}

fn delete_file_rows(tx: &Transaction<'_>, file_id: i64, filename: &str) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM tsindex WHERE filename=?1", params![filename])?;
    tx.execute(
        "DELETE FROM siqaco_file_streams WHERE file_id=?1",
        params![file_id],
    )?;
    tx.execute(
        "DELETE FROM siqaco_spans WHERE file_id=?1",
        params![file_id],
    )?;
    Ok(())
}

/// Replaces everything known about one file; returns the tsindex rows written.
#[allow(clippy::too_many_arguments)]
fn write_file(
    tx: &Transaction<'_>,
    f: &ArchiveFile,
    abs: &str,
    filename: &str,
    idx: &FileIndex,
    errors: &[FileError],
    scanned_ns: i64,
    keep_updated_by_hash: bool,
) -> rusqlite::Result<u64> {
    let old: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, filename FROM siqaco_files WHERE path=?1",
            params![abs],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // mseedindex keeps `updated` of a section whose hash (and NSLC, version) is unchanged
    let mut previous_updated: HashMap<(String, String, String, String, i64, String), String> =
        HashMap::new();
    if keep_updated_by_hash {
        let names: Vec<&str> = match &old {
            Some((_, n)) => vec![n.as_str(), filename],
            None => vec![filename],
        };
        for n in names {
            let mut st = tx.prepare_cached(
                "SELECT network,station,location,channel,version,hash,updated FROM tsindex \
                 WHERE filename=?1 AND hash IS NOT NULL",
            )?;
            let rows = st.query_map(params![n], |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ),
                    r.get::<_, String>(6)?,
                ))
            })?;
            for row in rows {
                let (k, v) = row?;
                previous_updated.insert(k, v);
            }
        }
    }
    if let Some((id, old_name)) = &old {
        mark_dirty_file(tx, *id)?;
        delete_file_rows(tx, *id, old_name)?;
        tx.execute("DELETE FROM siqaco_files WHERE id=?1", params![id])?;
    }
    // rows another tool wrote for this file name (a version-0 catalogue)
    tx.execute("DELETE FROM tsindex WHERE filename=?1", params![filename])?;
    let scanned = tsindex_second(scanned_ns);
    let modtime = tsindex_second(f.mtime_ns);
    tx.execute(
        "INSERT INTO siqaco_files (path, filename, rel_path, size_bytes, mtime_ns, scanned, records, errors) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
        params![
            abs,
            filename,
            f.rel_path,
            f.size_bytes as i64,
            f.mtime_ns,
            scanned,
            idx.records as i64,
            encode_errors(errors)
        ],
    )?;
    let file_id = tx.last_insert_rowid();
    let mut ins = tx.prepare_cached(
        "INSERT INTO tsindex (network,station,location,channel,quality,version,starttime,endtime,\
         samplerate,filename,byteoffset,bytes,hash,timeindex,timespans,timerates,format,\
         filemodtime,updated,scanned) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,NULL,?17,?18,?19)",
    )?;
    for s in &idx.sections {
        let n = &s.nslc;
        let updated = s
            .hash
            .as_ref()
            .and_then(|h| {
                previous_updated.get(&(
                    n.network.clone(),
                    n.station.clone(),
                    n.location.clone(),
                    n.channel.clone(),
                    i64::from(s.version),
                    h.clone(),
                ))
            })
            .cloned()
            .unwrap_or_else(|| modtime.clone());
        ins.execute(params![
            n.network,
            n.station,
            n.location,
            n.channel,
            s.quality.to_string(),
            i64::from(s.version),
            tsindex_time(s.earliest_ns),
            tsindex_time(s.latest_ns),
            s.sample_rate,
            filename,
            s.byte_offset as i64,
            s.bytes as i64,
            s.hash,
            s.timeindex_text(),
            s.timespans_text(),
            s.timerates_text(),
            modtime,
            updated,
            scanned
        ])?;
    }
    let mut ins_fs =
        tx.prepare_cached("INSERT INTO siqaco_file_streams VALUES (?1,?2,?3,?4,?5,?6)")?;
    let mut ins_sp =
        tx.prepare_cached("INSERT INTO siqaco_spans VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)")?;
    let mut dirty = tx.prepare_cached("INSERT OR IGNORE INTO siqaco_dirty VALUES (?1,?2,?3,?4)")?;
    for s in &idx.streams {
        let n = &s.nslc;
        ins_fs.execute(params![
            file_id,
            n.network,
            n.station,
            n.location,
            n.channel,
            s.records as i64
        ])?;
        dirty.execute(params![n.network, n.station, n.location, n.channel])?;
        for t in &s.traces {
            ins_sp.execute(params![
                file_id,
                n.network,
                n.station,
                n.location,
                n.channel,
                t.start_ns,
                t.last_sample_ns,
                t.end_ns,
                t.sample_rate_hz,
                t.samples
            ])?;
        }
    }
    Ok(idx.sections.len() as u64)
}

/// Traces of one stream joined across files; the data-record count; the file ids.
fn load_stream(
    conn: &Connection,
    nslc: &Nslc,
    tol: &Tolerance,
    window: Option<(i64, i64)>,
) -> rusqlite::Result<(Vec<Piece>, u64, BTreeSet<i64>)> {
    let keys = params![nslc.network, nslc.station, nslc.location, nslc.channel];
    let mut per_file: BTreeMap<i64, TraceBuilder> = BTreeMap::new();
    {
        let mut st = conn.prepare_cached(
            "SELECT file_id,start_ns,last_sample_ns,end_ns,sample_rate_hz,samples FROM siqaco_spans \
             WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4",
        )?;
        let rows = st.query_map(keys, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Piece {
                    start_ns: r.get(1)?,
                    last_sample_ns: r.get(2)?,
                    end_ns: r.get(3)?,
                    sample_rate_hz: r.get(4)?,
                    samples: r.get(5)?,
                },
            ))
        })?;
        for row in rows {
            let (id, p) = row?;
            if let Some((ws, we)) = window {
                if p.end_ns <= ws || p.start_ns >= we {
                    continue;
                }
            }
            per_file.entry(id).or_default().push(p, tol);
        }
    }
    let mut records = 0u64;
    let mut ids = BTreeSet::new();
    {
        let mut st = conn.prepare_cached(
            "SELECT file_id, records FROM siqaco_file_streams \
             WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4",
        )?;
        let rows = st.query_map(keys, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (id, n) = row?;
            if window.is_none() || per_file.contains_key(&id) {
                records += n as u64;
                ids.insert(id);
            }
        }
    }
    let mut all = TraceBuilder::new();
    for (_, tb) in per_file {
        all.merge(tb, tol);
    }
    Ok((all.finish(tol), records, ids))
}

fn load_traces(conn: &Connection, nslc: &Nslc, tol: &Tolerance) -> rusqlite::Result<Vec<Piece>> {
    load_stream(conn, nslc, tol, None).map(|(t, _, _)| t)
}

#[cfg(test)]
mod tests;
