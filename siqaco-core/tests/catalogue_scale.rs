//! The catalogue of a large data centre (issue 19, item 1), on a throw-away PostgreSQL
//! server (and SQLite where it applies):
//!
//! - the key statements (statistics of selected streams, segments and sections of a stream
//!   in a window) can be served by an index on PostgreSQL;
//! - a catalogue of the previous schema version (2) holding a million `tsindex` rows (and
//!   a million traces) migrates in place: no table is rewritten (PostgreSQL: the same
//!   `pg_relation_filenode`; SQLite: the same root page), the rows are kept, `db check`
//!   passes, and `--dry-run` changes nothing;
//! - `db backup` of a PostgreSQL catalogue (`pg_dump`) restores (`pg_restore`) to the same
//!   rows, and names pg_dump when it cannot be run.

#![cfg(feature = "sqlite")]

mod pg_server;

use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions, SCHEMA_VERSION};
use siqaco::ops::{BackupRequest, CheckRequest, Control, MigrateRequest};
use siqaco::testing::test_data_dir;
use siqaco::{ErrorKind, Nslc};
use std::path::{Path, PathBuf};

/// A server, or `None` (skipped loudly) without PostgreSQL or the `postgres` feature.
fn postgres() -> Option<pg_server::PgServer> {
    if !cfg!(feature = "postgres") {
        pg_server::skip("siqaco-core built without the `postgres` feature");
        return None;
    }
    pg_server::PgServer::start()
}

fn sds() -> Option<PathBuf> {
    Some(test_data_dir()?.join("sds-small"))
}

fn index(cat: &mut Catalogue, root: &Path) {
    cat.index_archive(&Archive::new(root, Layout::Sds), &IndexOptions::default())
        .unwrap();
}

/// One column of the first row of `sql`, as an integer.
fn int(cat: &Catalogue, sql: &str) -> i64 {
    cat.query_sql(sql).unwrap()[0][0].as_i64()
}

/// With sequential scans priced out (`enable_seqscan = off`), PostgreSQL's plan of every
/// key statement has no `Seq Scan`: an index serves each (on the 10-million-row bench
/// catalogue the planner picks them by itself: `docs/scale.md`).
#[test]
fn postgres_key_statements_search_indexes() {
    let Some(root) = sds() else { return };
    let Some(pg) = postgres() else { return };
    let mut cat = Catalogue::open(pg.create_db("plans")).unwrap();
    index(&mut cat, &root);
    cat.execute_sql("SET enable_seqscan = off").unwrap();
    let n = Nslc::new("CH", "BALST", "", "LHZ");
    let (start, end) = (1_267_228_800_000_000_000, 1_267_315_200_000_000_000);
    let plans = cat.key_statement_plans(&n, start, end, false).unwrap();
    assert_eq!(plans.len(), 10);
    for p in &plans {
        assert!(
            p.plan.iter().all(|l| !l.contains("Seq Scan")),
            "{}: {}\n{}",
            p.name,
            p.sql,
            p.plan.join("\n")
        );
    }
}

/// The tables a migration must not rewrite.
const LARGE_TABLES: [&str; 6] = [
    "tsindex",
    "siqaco_spans",
    "siqaco_files",
    "siqaco_file_streams",
    "siqaco_day_stats",
    "siqaco_requests",
];

/// Rows generated in a version-2 catalogue: `FILES` files of 512 bytes (real files in
/// `dir`, so that `db check` finds them), each holding one stream (`XX.S<k>..HHZ`), and
/// `ROWS` tsindex rows and traces of one minute spread over them.
const FILES: i64 = 100;
const ROWS: i64 = 1_000_000;

fn make_files(dir: &Path) {
    for k in 0..FILES {
        std::fs::write(dir.join(format!("f{k}")), [0u8; 512]).unwrap();
    }
}

/// A PostgreSQL catalogue of schema version 2 (as the siqaco before this one makes it)
/// holding [`ROWS`] tsindex rows and traces, generated in SQL (`generate_series`),
/// migrates in place: `db migrate --dry-run` lists the concurrent index build and changes
/// nothing; the migration keeps every table's file node (no rewrite) and row count, builds
/// a valid `tsindex_nslcse_idx`, and `db check` finds no problem.
#[test]
fn postgres_version_2_catalogue_of_a_million_rows_migrates_in_place() {
    let Some(pg) = postgres() else { return };
    let files = tempfile::tempdir().unwrap();
    make_files(files.path());
    let dir = files.path().to_str().unwrap();
    let url = pg.create_db("v2");
    let cat = Catalogue::create_at_version(Path::new(&url), 2).unwrap();
    assert_eq!(cat.schema_version().unwrap(), 2);
    cat.execute_sql(&format!(
        "INSERT INTO siqaco_files (path, filename, rel_path, size_bytes, mtime_ns, scanned, \
           records, errors) \
         SELECT '{dir}/f' || k, '{dir}/f' || k, 'f' || k, 512, 0, '2020-01-01T00:00:00', \
           {per}, NULL FROM generate_series(0, {last}) k;
         INSERT INTO siqaco_file_streams SELECT id, 'XX', 'S' || substr(rel_path, 2), '', \
           'HHZ', records FROM siqaco_files;
         INSERT INTO tsindex (network, station, location, channel, quality, version, \
           starttime, endtime, samplerate, filename, byteoffset, bytes, filemodtime, \
           updated, scanned) \
         SELECT 'XX', 'S' || (i % {FILES}), '', 'HHZ', 'D', 1, \
           timestamptz '2020-01-01 00:00:00+00' + (i / {FILES}) * interval '1 minute', \
           timestamptz '2020-01-01 00:00:59.99+00' + (i / {FILES}) * interval '1 minute', \
           100, '{dir}/f' || (i % {FILES}), (i / {FILES}) * 512, 512, now(), now(), now() \
         FROM generate_series(0, {rows}) i;
         INSERT INTO siqaco_spans SELECT f.id, 'XX', 'S' || (i % {FILES}), '', 'HHZ', \
           1577836800000000000 + (i / {FILES}) * 60000000000, \
           1577836800000000000 + (i / {FILES}) * 60000000000 + 59990000000, \
           1577836800000000000 + (i / {FILES}) * 60000000000 + 60000000000, 100, 6000 \
         FROM generate_series(0, {rows}) i JOIN siqaco_files f ON f.rel_path = 'f' || (i % {FILES});
         CREATE TABLE tsindex_summary AS SELECT network, station, location, channel, \
           min(starttime) AS earliest, max(endtime) AS latest, now() AS updt \
         FROM tsindex GROUP BY 1, 2, 3, 4;",
        per = ROWS / FILES,
        last = FILES - 1,
        rows = ROWS - 1,
    ))
    .unwrap();
    drop(cat);
    let state = |cat: &Catalogue| -> Vec<(i64, i64)> {
        LARGE_TABLES
            .iter()
            .map(|t| {
                (
                    int(cat, &format!("SELECT pg_relation_filenode('{t}')::bigint")),
                    int(cat, &format!("SELECT count(*) FROM {t}")),
                )
            })
            .collect()
    };
    let raw = Catalogue::open_raw(Path::new(&url)).unwrap();
    let before = state(&raw);
    assert_eq!((before[0].1, before[1].1, before[2].1), (ROWS, ROWS, FILES));
    // an older PostgreSQL schema is refused with the command to run
    let e = Catalogue::open(&url).unwrap_err();
    assert!(e.to_string().contains("siqaco db migrate"), "{e}");

    let control = Control::new();
    let mut dry = MigrateRequest::new(&url);
    dry.dry_run = true;
    let d = dry.run(&control).unwrap();
    assert_eq!(
        (d.from_version, d.migrated(), d.backup.clone()),
        (2, false, None)
    );
    assert!(
        d.statements.iter().any(|s| s
            == "CREATE INDEX CONCURRENTLY IF NOT EXISTS tsindex_nslcse_idx ON tsindex \
                (network,station,location,channel,starttime,endtime);"),
        "{:?}",
        d.statements
    );
    assert_eq!(
        raw.schema_version().unwrap(),
        2,
        "a dry run changes nothing"
    );
    assert_eq!(
        int(
            &raw,
            "SELECT count(*) FROM pg_class WHERE relname = 'tsindex_nslcse_idx'"
        ),
        0
    );

    let m = MigrateRequest::new(&url).run(&control).unwrap();
    assert_eq!(
        (m.from_version, m.to_version, m.migrated()),
        (2, SCHEMA_VERSION, true)
    );
    assert_eq!(m.statements, d.statements, "the dry run listed what ran");
    assert_eq!(raw.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(state(&raw), before, "file nodes and row counts unchanged");
    assert_eq!(
        int(
            &raw,
            "SELECT count(*) FROM pg_index WHERE indexrelid = 'tsindex_nslcse_idx'::regclass \
             AND indisvalid"
        ),
        1
    );
    let check = CheckRequest::new(&url).run(&control).unwrap();
    assert_eq!(
        (check.files, check.rows, check.problems.clone()),
        (FILES as u64, ROWS as u64, vec![])
    );
    // on a million rows the planner itself picks the new index for the sections of a
    // stream-day (the availability service), and siqaco_spans_nslc for its traces
    raw.execute_sql("ANALYZE").unwrap();
    let day = 1_577_923_200_000_000_000; // 2020-01-02
    let plans = raw
        .key_statement_plans(
            &Nslc::new("XX", "S7", "", "HHZ"),
            day,
            day + 86_400_000_000_000,
            false,
        )
        .unwrap();
    let plan = |name: &str| {
        plans
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .plan
            .join("\n")
    };
    assert!(
        plan("availability sections").contains("tsindex_nslcse_idx"),
        "{plans:?}"
    );
    assert!(
        plan("stream traces in window").contains("siqaco_spans_nslc"),
        "{plans:?}"
    );
    // the migrated catalogue opens; migrating again does nothing
    Catalogue::open(&url).unwrap();
    let again = MigrateRequest::new(&url).run(&control).unwrap();
    assert!(!again.migrated() && again.statements.is_empty());
}

/// The same on SQLite, where a migration runs in one transaction after a backup copy:
/// a version-2 catalogue of [`ROWS`] tsindex rows keeps `tsindex`'s root page (SQLite has
/// no file node: a rewritten table gets a new root page) and its rows; `db check` passes.
#[test]
fn sqlite_version_2_catalogue_of_a_million_rows_migrates_in_place() {
    let files = tempfile::tempdir().unwrap();
    make_files(files.path());
    let dir = files.path().to_str().unwrap();
    let db = files.path().join("v2.sqlite");
    let cat = Catalogue::create_at_version(&db, 2).unwrap();
    cat.execute_sql(&format!(
        "WITH RECURSIVE k(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM k WHERE k < {last})
         INSERT INTO siqaco_files (path, filename, rel_path, size_bytes, mtime_ns, scanned, \
           records, errors) \
         SELECT '{dir}/f' || k, '{dir}/f' || k, 'f' || k, 512, 0, '2020-01-01T00:00:00', \
           {per}, NULL FROM k;
         INSERT INTO siqaco_file_streams SELECT id, 'XX', 'S' || substr(rel_path, 2), '', \
           'HHZ', records FROM siqaco_files;
         WITH RECURSIVE i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < {rows})
         INSERT INTO tsindex (network, station, location, channel, quality, version, \
           starttime, endtime, samplerate, filename, byteoffset, bytes, filemodtime, \
           updated, scanned) \
         SELECT 'XX', 'S' || (i % {FILES}), '', 'HHZ', 'D', 1, \
           strftime('%Y-%m-%dT%H:%M:%S', '2020-01-01', '+' || (i / {FILES}) || ' minutes'), \
           strftime('%Y-%m-%dT%H:%M:%S', '2020-01-01 00:00:59', '+' || (i / {FILES}) || ' minutes') \
             || '.990000', \
           100.0, '{dir}/f' || (i % {FILES}), (i / {FILES}) * 512, 512, \
           '2020-01-01T00:00:00', '2020-01-01T00:00:00', '2020-01-01T00:00:00' FROM i;
         CREATE TABLE tsindex_summary AS SELECT network, station, location, channel, \
           min(starttime) AS earliest, max(endtime) AS latest, datetime('now') AS updt \
         FROM tsindex GROUP BY 1, 2, 3, 4;",
        per = ROWS / FILES,
        last = FILES - 1,
        rows = ROWS - 1,
    ))
    .unwrap();
    let root = |cat: &Catalogue| {
        int(
            cat,
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'tsindex'",
        )
    };
    let (root_before, rows_before) = (root(&cat), int(&cat, "SELECT count(*) FROM tsindex"));
    assert_eq!(rows_before, ROWS);
    drop(cat);
    let control = Control::new();
    let m = MigrateRequest::new(&db).run(&control).unwrap();
    assert_eq!((m.from_version, m.migrated()), (2, true));
    assert!(m.backup.as_ref().is_some_and(|b| b.is_file()));
    let cat = Catalogue::open_raw(&db).unwrap();
    assert_eq!(
        (root(&cat), int(&cat, "SELECT count(*) FROM tsindex")),
        (root_before, rows_before)
    );
    let check = CheckRequest::new(&db).run(&control).unwrap();
    assert_eq!(
        (check.files, check.rows, check.problems),
        (FILES as u64, ROWS as u64, vec![])
    );
}

/// Every row of a catalogue, in a fixed order, without what depends on the database
/// (ids), as text.
fn all_rows(cat: &Catalogue) -> Vec<String> {
    let mut out: Vec<String> = cat
        .tsindex_rows()
        .unwrap()
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    for sql in [
        "SELECT f.path, s.network, s.station, s.location, s.channel, s.start_ns, \
         s.last_sample_ns, s.end_ns, s.sample_rate_hz, s.samples FROM siqaco_spans s \
         JOIN siqaco_files f ON f.id = s.file_id ORDER BY 1, 2, 3, 4, 5, 6, 7",
        "SELECT f.path, s.network, s.station, s.location, s.channel, s.records \
         FROM siqaco_file_streams s JOIN siqaco_files f ON f.id = s.file_id ORDER BY 1, 2, 3, 4, 5",
        "SELECT * FROM siqaco_day_stats ORDER BY 1, 2, 3, 4, 5",
        "SELECT path, filename, rel_path, size_bytes, mtime_ns, scanned, records, errors \
         FROM siqaco_files ORDER BY 1",
        "SELECT version FROM siqaco_schema",
    ] {
        out.extend(cat.query_sql(sql).unwrap().iter().map(|r| format!("{r:?}")));
    }
    out
}

/// `db backup` of a PostgreSQL catalogue is a `pg_dump` custom-format archive that
/// `pg_restore` loads into an empty database as the same rows (every table, the schema
/// version), which `db check` accepts. Pointed at a `pg_dump` that does not exist, the
/// backup fails with a database error naming pg_dump and the program tried, and writes
/// nothing; without an output path it is refused (a URL names no file).
#[test]
fn postgres_backup_is_a_pg_dump_that_restores_to_the_same_rows() {
    let Some(root) = sds() else { return };
    let Some(pg) = postgres() else { return };
    let url = pg.create_db("src");
    let mut cat = Catalogue::open(&url).unwrap();
    index(&mut cat, &root);
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("catalogue.dump");
    let control = Control::new();

    // the only test of this binary that reads SIQACO_PG_DUMP
    std::env::set_var("SIQACO_PG_DUMP", dir.path().join("no/pg_dump"));
    let mut request = BackupRequest::new(&url);
    request.output = Some(dump.clone());
    let e = request.run(&control).unwrap_err();
    std::env::remove_var("SIQACO_PG_DUMP");
    assert_eq!(e.kind(), ErrorKind::Database, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("cannot run pg_dump") && msg.contains("no/pg_dump"),
        "{msg}"
    );
    assert!(!dump.exists());
    let e = BackupRequest::new(&url).run(&control).unwrap_err();
    assert_eq!(e.field_name(), Some("output"), "{e}");

    let r = request.run(&control).unwrap();
    assert_eq!(
        (r.output.as_path(), r.catalogue.as_str()),
        (dump.as_path(), cat.target().as_str())
    );
    assert_eq!(
        &std::fs::read(&dump).unwrap()[..5],
        b"PGDMP",
        "custom format"
    );
    let e = request.run(&control).unwrap_err();
    assert!(e.to_string().contains("backup destination exists"), "{e}");

    let restored = pg.create_db("restored");
    let out = std::process::Command::new("pg_restore")
        .arg("--no-owner")
        .arg("--dbname")
        .arg(&restored)
        .arg(&dump)
        .output()
        .expect("pg_restore");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = Catalogue::open(&restored).unwrap();
    let rows = all_rows(&cat);
    assert_eq!(cat.tsindex_rows().unwrap().len(), 37);
    assert_eq!(all_rows(&copy), rows);
    let check = CheckRequest::new(&restored).run(&control).unwrap();
    assert_eq!((check.files, check.rows, check.problems), (37, 37, vec![]));
}
