//! Schema migrations that never rewrite the large tables (`tsindex`, `siqaco_spans`,
//! `siqaco_files`, `siqaco_requests`...): a step adds tables, nullable columns and indexes,
//! nothing else (see `docs/scale.md`, "Migrations without rewriting").
//!
//! A migration is a list of [`Step`]s, computed once ([`plan`]) and either printed (`siqaco
//! db migrate --dry-run`, [`script`]) or run ([`run`]):
//!
//! - SQLite: the backup copy (`VACUUM INTO FILE.vN.bak`), then one transaction with every
//!   step's DDL, the new indexes and the new version number.
//! - PostgreSQL: one transaction with the DDL (new tables, `ADD COLUMN` of nullable columns:
//!   catalogue-only changes, no table rewrite); then each new index built with `CREATE INDEX
//!   CONCURRENTLY IF NOT EXISTS` outside any transaction (PostgreSQL refuses it inside one),
//!   which takes no lock that blocks readers or writers; then the version number in a last
//!   transaction. A run killed in between leaves the old version number: the DDL is written
//!   with `IF NOT EXISTS` so that running the migration again completes it, and an index
//!   that a killed concurrent build left invalid is dropped (`DROP INDEX CONCURRENTLY`) and
//!   built again.

use super::backend::{BackendKind, Db};
use super::{
    siqaco_ddl_pg, CLAIMS_DDL, SCHEMA_VERSION, SIQACO_DDL_V1, STACK_DDL, TSINDEX_DDL,
    TSINDEX_DDL_PG,
};
use crate::error::Result;
use std::path::PathBuf;

/// An index a schema step adds: built in the migration's transaction in SQLite, with
/// `CREATE INDEX CONCURRENTLY` in PostgreSQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct NewIndex {
    /// The index name.
    pub name: &'static str,
    /// The table.
    pub table: &'static str,
    /// The column list, comma-separated.
    pub columns: &'static str,
    /// Built in PostgreSQL only (the SQLite DDL of an earlier version has it already).
    pub postgres_only: bool,
}

/// The indexes of schema version 3 for a catalogue of a data centre (tens of millions of
/// `tsindex` rows): tsindex's stream-and-time index in PostgreSQL, which mseedindex's
/// PostgreSQL DDL lacks (its `tsindex_nslcq_idx` ends with `quality`), so that the sections
/// of a stream in a window (dataselect, the availability service) are found by one index
/// range, as in SQLite (`tsindex_nslcse_idx`).
pub(super) const SCALE_INDEXES_V3: &[NewIndex] = &[NewIndex {
    name: "tsindex_nslcse_idx",
    table: "tsindex",
    columns: "network,station,location,channel,starttime,endtime",
    postgres_only: true,
}];

/// The DDL of schema version 3 run in the migration's transaction (new tables, nullable
/// columns; SQLite's dialect, PostgreSQL's types by `siqaco_ddl_pg`). Each statement must
/// be idempotent (`IF NOT EXISTS`) so that a PostgreSQL migration killed before its last
/// transaction can be run again.
pub(super) const DDL_V3: &[&str] = &[CLAIMS_DDL];

/// The nullable `tsindex` columns of mseedindex's schema 1.1 that a `tsindex` written by
/// another tool may lack, with their SQLite and PostgreSQL types: `version` is new in
/// tsindex schema 1.1 (mseedindex 2.7, 2018; schema 1.0 of mseedindex 2.0 to 2.6 has
/// none), `timerates` and `format` in 1.0 (mseedindex 2.0, 2017).
const TSINDEX_ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("version", "INTEGER", "smallint"),
    ("timerates", "TEXT", "numeric[]"),
    ("format", "TEXT", "text"),
];

/// The steps that take over a `tsindex` table written by another tool (mseedindex 2 or 3,
/// ObsPy's `Indexer`) in a catalogue of schema `version` 0: `ALTER TABLE tsindex ADD
/// COLUMN` of each column of [`TSINDEX_ADDED_COLUMNS`] it lacks (nullable: no table
/// rewrite). Empty for a newer schema, without a `tsindex` table, or when it has them all.
/// Run in the migration's transaction, before the steps of [`plan`].
///
/// # Errors
/// [`crate::Error::Database`] when the columns cannot be listed.
pub(super) fn adopt_tsindex(db: &mut Db, version: u32) -> Result<Vec<Step>> {
    if version > 0 || !super::table_exists(db, "tsindex")? {
        return Ok(Vec::new());
    }
    let sql = match db.kind() {
        BackendKind::Sqlite => "SELECT name FROM pragma_table_info('tsindex')",
        BackendKind::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema=current_schema() AND table_name='tsindex'"
        }
    };
    let have: Vec<String> = db.query(sql, &[])?.iter().map(|r| r[0].as_text()).collect();
    Ok(TSINDEX_ADDED_COLUMNS
        .iter()
        .filter(|(c, _, _)| !have.iter().any(|h| h.eq_ignore_ascii_case(c)))
        .map(|(c, lite, pg)| {
            Step::Transaction(match db.kind() {
                BackendKind::Sqlite => format!("ALTER TABLE tsindex ADD COLUMN {c} {lite}"),
                BackendKind::Postgres => {
                    format!("ALTER TABLE tsindex ADD COLUMN IF NOT EXISTS {c} {pg}")
                }
            })
        })
        .collect())
}
/// The DDL of schema version 4: where `siqaco watch` continues reading each growing file
/// (`siqaco_file_resume`: per `siqaco_files.id`, the state of the file's indexing after its
/// last complete record, [`super::section::SectionIndexer`], as hexadecimal CBOR). A new
/// table: nothing else is rewritten; a catalogue without a file's row reads it whole.
pub(super) const DDL_V4: &[&str] = &["CREATE TABLE IF NOT EXISTS siqaco_file_resume (\
file_id INTEGER NOT NULL PRIMARY KEY, state TEXT NOT NULL)"];

/// The DDL of schema version 5: archives whose final copy is a bucket (`docs/object-storage.md`,
/// "A bucket as the final archive"):
///
/// - `siqaco_files.etag`: the ETag of an object of a bucket as its LIST gave it (NULL for a
///   local file), with which re-indexing tells a changed object (ETag and size, not the
///   last-modified time) and reads of catalogue rows ask for the object they indexed
///   (`If-Match`). A nullable column: nothing is rewritten; a row without it is read again
///   once.
/// - `siqaco_object_journal`: the journal of the day objects a merge writes into a bucket,
///   one row per object (run, object URL, the ETag it replaces or NULL for a new object,
///   the new object's size and MD5, state `staging` while its staged copy is written,
///   `commit` once every staged copy of the run is), [`crate::merge`].
/// - `siqaco_archive_locks`: the lock of a bucket archive (one row per root while a merge
///   writes into it), where a directory archive has its lock file.
pub(super) const DDL_V5: &[&str] = &[
    "ALTER TABLE siqaco_files ADD COLUMN etag TEXT",
    "CREATE TABLE IF NOT EXISTS siqaco_object_journal (\
run TEXT NOT NULL, url TEXT NOT NULL, old_etag TEXT, new_size INTEGER NOT NULL, \
new_md5 TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (run, url))",
    "CREATE TABLE IF NOT EXISTS siqaco_archive_locks (\
root TEXT NOT NULL PRIMARY KEY, holder TEXT NOT NULL, since_ns INTEGER NOT NULL)",
];

/// One step of a migration.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Step {
    /// The SQLite copy written first (`VACUUM INTO`).
    Backup(PathBuf),
    /// SQL run in a transaction with the neighbouring `Transaction` steps.
    Transaction(String),
    /// An index built concurrently, outside any transaction (PostgreSQL).
    Concurrent(NewIndex),
}

/// `CREATE INDEX ...` of `ix` (`CONCURRENTLY` for PostgreSQL).
fn create_index(ix: &NewIndex, kind: BackendKind) -> String {
    let how = match kind {
        BackendKind::Sqlite => "",
        BackendKind::Postgres => "CONCURRENTLY ",
    };
    format!(
        "CREATE INDEX {how}IF NOT EXISTS {} ON {} ({})",
        ix.name, ix.table, ix.columns
    )
}

/// The steps from schema `version` to `target` (this build: [`SCHEMA_VERSION`]; an older
/// one to make the catalogue of an older siqaco in tests) on `kind`; `backup` is the SQLite
/// copy to write first. Empty when `version` is not older than `target`.
pub(super) fn plan(
    version: u32,
    target: u32,
    kind: BackendKind,
    backup: Option<PathBuf>,
) -> Vec<Step> {
    let mut steps = Vec::new();
    if version >= target {
        return steps;
    }
    steps.extend(backup.map(Step::Backup));
    let pg = |ddl: &str| match kind {
        BackendKind::Sqlite => ddl.to_string(),
        BackendKind::Postgres => siqaco_ddl_pg(ddl),
    };
    let mut indexes: Vec<&NewIndex> = Vec::new();
    for v in version..target.min(SCHEMA_VERSION) {
        match v {
            0 => {
                let tsindex = match kind {
                    BackendKind::Sqlite => TSINDEX_DDL,
                    BackendKind::Postgres => TSINDEX_DDL_PG,
                };
                steps.push(Step::Transaction(tsindex.to_string()));
                steps.push(Step::Transaction(pg(SIQACO_DDL_V1)));
            }
            1 => steps.push(Step::Transaction(pg(STACK_DDL))),
            2 => {
                steps.extend(DDL_V3.iter().map(|d| Step::Transaction(pg(d))));
                indexes.extend(SCALE_INDEXES_V3);
            }
            3 => steps.extend(DDL_V4.iter().map(|d| Step::Transaction(pg(d)))),
            4 => steps.extend(DDL_V5.iter().map(|d| Step::Transaction(pg(d)))),
            _ => unreachable!("no migration from schema version {v}"),
        }
    }
    let indexes = indexes
        .into_iter()
        .filter(|ix| kind == BackendKind::Postgres || !ix.postgres_only);
    match kind {
        BackendKind::Sqlite => {
            steps.extend(indexes.map(|ix| Step::Transaction(create_index(ix, kind))))
        }
        BackendKind::Postgres => steps.extend(indexes.copied().map(Step::Concurrent)),
    }
    steps.push(Step::Transaction(format!(
        "DELETE FROM siqaco_schema; INSERT INTO siqaco_schema (version) VALUES ({target})"
    )));
    steps
}

/// `sql` trimmed, ending with one `;`.
fn statement(sql: &str) -> String {
    format!("{};", sql.trim().trim_end_matches(';').trim_end())
}

/// The SQL of `steps` as it runs, one entry per statement group: `BEGIN;`, the
/// statements and `COMMIT;` around each run of transaction steps; the SQLite backup as
/// `VACUUM INTO 'FILE';`.
pub(super) fn script(steps: &[Step], kind: BackendKind) -> Vec<String> {
    let mut out = Vec::new();
    let mut open = false;
    for s in steps {
        let in_tx = matches!(s, Step::Transaction(_));
        if in_tx && !open {
            out.push("BEGIN;".to_string());
        }
        if !in_tx && open {
            out.push("COMMIT;".to_string());
        }
        open = in_tx;
        out.push(match s {
            Step::Backup(p) => {
                format!("VACUUM INTO '{}';", p.to_string_lossy().replace('\'', "''"))
            }
            Step::Transaction(sql) => statement(sql),
            Step::Concurrent(ix) => statement(&create_index(ix, kind)),
        });
    }
    if open {
        out.push("COMMIT;".to_string());
    }
    out
}

/// Runs `steps` on `db` (see the module documentation); `backup` writes the SQLite copy.
pub(super) fn run(
    db: &mut Db,
    steps: &[Step],
    mut backup: impl FnMut(&mut Db, &std::path::Path) -> Result<()>,
) -> Result<()> {
    let mut i = 0;
    while i < steps.len() {
        match &steps[i] {
            Step::Backup(p) => {
                backup(db, p)?;
                i += 1;
            }
            Step::Concurrent(ix) => {
                let invalid = db
                    .query_one(
                        "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass(?1::text) \
                         AND NOT indisvalid",
                        &super::backend::vals![ix.name],
                    )?
                    .as_i64()
                    > 0;
                if invalid {
                    db.batch(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", ix.name))?;
                }
                db.batch(&create_index(ix, BackendKind::Postgres))?;
                i += 1;
            }
            Step::Transaction(_) => {
                let end = steps[i..]
                    .iter()
                    .position(|s| !matches!(s, Step::Transaction(_)))
                    .map_or(steps.len(), |n| i + n);
                db.transaction(|tx| {
                    for s in &steps[i..end] {
                        if let Step::Transaction(sql) = s {
                            tx.batch(sql)?;
                        }
                    }
                    Ok(())
                })?;
                i = end;
            }
        }
    }
    Ok(())
}
