use super::*;

#[test]
fn version_0_catalogue_migrates_with_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ts.sqlite");
    {
        // a catalogue as mseedindex writes it: tsindex only, no siqaco tables
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(TSINDEX_DDL).unwrap();
        c.execute(
            "INSERT INTO tsindex (network,station,location,channel,version,starttime,endtime,\
             samplerate,filename,byteoffset,bytes) VALUES ('XX','A','','HHZ',2,'2020-01-01T00:00:00',\
             '2020-01-01T00:00:01',100.0,'/nowhere/x',0,512)",
            [],
        )
        .unwrap();
    }
    let cat = Catalogue::open(&db).unwrap();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    let backup = PathBuf::from(format!("{}.v0.bak", db.display()));
    assert!(backup.exists(), "backup written before migrating");
    let n = cat.query_sql("SELECT count(*) FROM tsindex").unwrap();
    assert_eq!(n[0][0].as_i64(), 1, "rows kept");
    // the backup is the old catalogue, still version 0
    let old = Catalogue::open_raw(&backup).unwrap();
    assert_eq!(old.schema_version().unwrap(), 0);
    drop(cat);
    // opening again migrates nothing
    let mut cat = Catalogue::open(&db).unwrap();
    assert_eq!(cat.migrate().unwrap(), None);
    let rep = cat.check().unwrap();
    assert!(
        rep.problems.iter().any(|p| p.contains("did not index")),
        "{rep:?}"
    );
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ts.sqlite");
    {
        let c = Catalogue::open(&db).unwrap();
        c.execute_sql("UPDATE siqaco_schema SET version=99")
            .unwrap();
    }
    let err = Catalogue::open(&db).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Database);
}

/// A catalogue written by schema version 1 (siqaco before the request stack: the committed
/// `tests/data/catalogue-v1.sqlite`, `siqaco index --relative-paths` of sds-small) opens,
/// is migrated to the current version after a backup, keeps its rows and gets the request
/// stack tables.
#[test]
fn version_1_catalogue_migrates_with_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v1.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/catalogue-v1.sqlite"),
        &db,
    )
    .unwrap();
    let rows_before = Catalogue::open_raw(&db).unwrap().tsindex_rows().unwrap();
    assert_eq!(rows_before.len(), 37);
    assert_eq!(
        Catalogue::open_raw(&db).unwrap().schema_version().unwrap(),
        1
    );
    let cat = Catalogue::open(&db).unwrap();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    let backup = PathBuf::from(format!("{}.v1.bak", db.display()));
    assert_eq!(
        Catalogue::open_raw(&backup)
            .unwrap()
            .schema_version()
            .unwrap(),
        1
    );
    assert_eq!(cat.tsindex_rows().unwrap(), rows_before, "rows kept");
    let n = cat
        .query_sql("SELECT count(*) FROM siqaco_requests")
        .unwrap();
    assert_eq!(n[0][0].as_i64(), 0, "request stack created empty");
    assert!(cat
        .check()
        .unwrap()
        .problems
        .iter()
        .all(|p| !p.contains("schema")));
}

/// `migrate_with(true)` on the version-1 catalogue lists the SQL of the real migration
/// (the backup copy, the request stack's DDL, the version number, in one transaction) and
/// changes nothing: same version, no copy, same rows; the real migration then runs the
/// same statements but the copy (named with the next free suffix the dry run could not
/// know) and is current.
#[test]
fn dry_run_lists_the_sql_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v1.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/catalogue-v1.sqlite"),
        &db,
    )
    .unwrap();
    let mut cat = Catalogue::open_raw(&db).unwrap();
    let rows = cat.tsindex_rows().unwrap();
    let dry = cat.migrate_with(true).unwrap();
    assert_eq!((dry.from_version, dry.backup.as_ref()), (1, None));
    let bak = format!("{}.v1.bak", db.display());
    assert_eq!(
        dry.statements.first().map(String::as_str),
        Some(format!("VACUUM INTO '{bak}';").as_str())
    );
    assert_eq!(dry.statements[1], "BEGIN;");
    assert_eq!(
        dry.statements[2],
        format!("{};", STACK_DDL.trim().trim_end_matches(';'))
    );
    assert_eq!(
        dry.statements[3],
        format!("{};", CLAIMS_DDL.trim().trim_end_matches(';'))
    );
    assert_eq!(dry.statements[4], format!("{};", migrate::DDL_V4[0]));
    let v5: Vec<String> = migrate::DDL_V5.iter().map(|d| format!("{d};")).collect();
    assert_eq!(dry.statements[5..5 + v5.len()], v5);
    assert_eq!(
        dry.statements[5 + v5.len()..],
        [
            format!(
                "DELETE FROM siqaco_schema; INSERT INTO siqaco_schema (version) VALUES ({SCHEMA_VERSION});"
            ),
            "COMMIT;".to_string()
        ]
    );
    assert_eq!(cat.schema_version().unwrap(), 1);
    assert!(!Path::new(&bak).exists());
    assert_eq!(cat.tsindex_rows().unwrap(), rows);
    let done = cat.migrate_with(false).unwrap();
    assert_eq!(done.statements, dry.statements);
    assert_eq!(done.backup, Some(PathBuf::from(&bak)));
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(cat.migrate_with(true).unwrap().statements.is_empty());
}

/// The PostgreSQL plan of a version-2 catalogue: the DDL in one transaction (none in
/// version 3: the claims' tables and columns), the new index built `CONCURRENTLY` outside it.
#[test]
fn postgres_plan_builds_indexes_outside_the_transaction() {
    let steps = migrate::plan(2, SCHEMA_VERSION, BackendKind::Postgres, None);
    let script = migrate::script(&steps, BackendKind::Postgres);
    let concurrent = "CREATE INDEX CONCURRENTLY IF NOT EXISTS tsindex_nslcse_idx ON tsindex \
                      (network,station,location,channel,starttime,endtime);";
    let at = script.iter().position(|s| s == concurrent).unwrap();
    assert!(
        script[..at].iter().filter(|s| *s == "BEGIN;").count()
            == script[..at].iter().filter(|s| *s == "COMMIT;").count(),
        "{script:?}"
    );
    assert_eq!(script.last().map(String::as_str), Some("COMMIT;"));
    // run again after a kill between the transactions, the columns are not added twice
    assert!(
        script[..at]
            .iter()
            .any(|s| s.contains("ADD COLUMN IF NOT EXISTS holder TEXT")),
        "{script:?}"
    );
    // SQLite has that index since version 1: its step 2 → 3 is the claims' DDL (whose
    // only index is the small request stack's) and the version, in one transaction
    let lite = migrate::script(
        &migrate::plan(2, 3, BackendKind::Sqlite, None),
        BackendKind::Sqlite,
    );
    assert_eq!(
        lite,
        [
            "BEGIN;".to_string(),
            format!("{};", CLAIMS_DDL.trim().trim_end_matches(';')),
            "DELETE FROM siqaco_schema; INSERT INTO siqaco_schema (version) VALUES (3);"
                .to_string(),
            "COMMIT;".to_string()
        ]
    );
    assert!(
        !lite.iter().any(|s| s.contains("tsindex_nslcse_idx")),
        "{lite:?}"
    );
}

/// A catalogue of schema version 4 (siqaco_files without `etag`, no object journal, no
/// archive locks; here the catalogue of sds-small that this build writes, taken back to
/// version 4 as siqaco 4 wrote it) migrates to version 5 after a backup: the dry run lists
/// the three statements of step 5 and changes nothing; the migration keeps every row, adds
/// `siqaco_files.etag` (NULL for the files indexed before) and the two tables (empty); a
/// re-index then reads no file (a local file is compared by size and modification time).
#[test]
fn version_4_catalogue_migrates_to_5() {
    let Some(data) = crate::testing::test_data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v4.sqlite");
    let archive = Archive::new(data.join("sds-small"), crate::archive::Layout::Sds);
    let listed = {
        let mut cat = Catalogue::open(&db).unwrap();
        let r = cat
            .index_archive(&archive, &IndexOptions::default())
            .unwrap();
        assert!(r.files_listed > 0);
        r.files_listed
    };
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "ALTER TABLE siqaco_files DROP COLUMN etag; DROP TABLE siqaco_object_journal; \
             DROP TABLE siqaco_archive_locks; UPDATE siqaco_schema SET version=4;",
        )
        .unwrap();
    }
    let mut cat = Catalogue::open_raw(&db).unwrap();
    let rows = cat.tsindex_rows().unwrap();
    let files = cat
        .query_sql("SELECT path, size_bytes, mtime_ns FROM siqaco_files ORDER BY path")
        .unwrap();
    let dry = cat.migrate_with(true).unwrap();
    let bak = format!("{}.v4.bak", db.display());
    let mut want = vec![format!("VACUUM INTO '{bak}';"), "BEGIN;".to_string()];
    want.extend(migrate::DDL_V5.iter().map(|d| format!("{d};")));
    want.push(format!(
        "DELETE FROM siqaco_schema; INSERT INTO siqaco_schema (version) VALUES ({SCHEMA_VERSION});"
    ));
    want.push("COMMIT;".to_string());
    assert_eq!(dry.statements, want);
    assert_eq!(cat.schema_version().unwrap(), 4);
    assert!(
        cat.query_sql("SELECT etag FROM siqaco_files").is_err(),
        "no column before"
    );
    let done = cat.migrate_with(false).unwrap();
    assert_eq!(
        (done.from_version, done.backup),
        (4, Some(PathBuf::from(&bak)))
    );
    assert_eq!(cat.schema_version().unwrap(), 5);
    assert_eq!(cat.tsindex_rows().unwrap(), rows);
    assert_eq!(
        cat.query_sql("SELECT path, size_bytes, mtime_ns FROM siqaco_files ORDER BY path")
            .unwrap(),
        files
    );
    let etags = cat
        .query_sql("SELECT count(*), count(etag) FROM siqaco_files")
        .unwrap();
    assert_eq!(
        (etags[0][0].as_i64() as u64, etags[0][1].as_i64()),
        (listed, 0)
    );
    for t in ["siqaco_object_journal", "siqaco_archive_locks"] {
        let n = cat.query_sql(&format!("SELECT count(*) FROM {t}")).unwrap();
        assert_eq!(n[0][0].as_i64(), 0, "{t}");
    }
    let again = cat
        .index_archive(&archive, &IndexOptions::default())
        .unwrap();
    assert_eq!(
        (again.files_listed, again.files_unchanged),
        (listed, listed)
    );
    assert_eq!(cat.tsindex_rows().unwrap(), rows);
}

/// Step 5 on PostgreSQL: the nullable `etag` column added only if it does not exist (a
/// migration killed before its version number runs again), the two new tables created
/// only if absent, all in one transaction, no index built, no table rewritten.
#[test]
fn postgres_step_5_is_idempotent_ddl_in_one_transaction() {
    let script = migrate::script(
        &migrate::plan(4, 5, BackendKind::Postgres, None),
        BackendKind::Postgres,
    );
    assert_eq!(
        script,
        [
            "BEGIN;",
            "ALTER TABLE siqaco_files ADD COLUMN IF NOT EXISTS etag TEXT;",
            &format!("{};", siqaco_ddl_pg(migrate::DDL_V5[1])),
            &format!("{};", siqaco_ddl_pg(migrate::DDL_V5[2])),
            "DELETE FROM siqaco_schema; INSERT INTO siqaco_schema (version) VALUES (5);",
            "COMMIT;",
        ]
    );
    assert!(script[2].starts_with("CREATE TABLE IF NOT EXISTS siqaco_object_journal"));
    assert!(script[2].contains("new_size BIGINT NOT NULL"));
    assert!(script[3].starts_with("CREATE TABLE IF NOT EXISTS siqaco_archive_locks"));
}
