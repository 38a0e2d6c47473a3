//! Adopting an existing catalogue in place (issue #22 item 3; docs/index.md, "Adopting a
//! catalogue"), from the fixtures of `tests/data/adopt` (made by `make.sh` there with the
//! real programs: the siqaco releases of schema versions 1 and 2, mseedindex 3.0.8 and
//! mseedindex 2.6, over ten files of sds-small; README.md):
//!
//! - a catalogue of siqaco schema 1 or 2 is migrated, nothing is read (every file
//!   unchanged), and the catalogue equals a fresh index;
//! - mseedindex 3.0.8's catalogue (tsindex schema 1.1): every file adopted, its rows kept,
//!   equal to a fresh index; the same in PostgreSQL (a version-0 database holding those rows);
//! - mseedindex 2.6's (tsindex schema 1.0, no `version` column): the column is added, rows
//!   that differ from siqaco's are replaced, the catalogue equals a fresh index.
//!
//! "Equal" is every `tsindex` column but `updated` and `scanned` (times of indexing runs)
//! and every row of siqaco's tables but `siqaco_files.scanned`.

use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions, IndexReport, SCHEMA_VERSION};
use siqaco::testing::test_data_dir;
use std::path::{Path, PathBuf};

mod pg_server;

/// Where `make.sh` put the archive the fixtures index.
const FIXTURE_ROOT: &str = "/tmp/siqaco-adopt-fixture/sds";

/// The modification time `make.sh` gave every file (2026-01-01T00:00:00Z).
const FIXTURE_MTIME_S: u64 = 1_767_225_600;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/adopt")
}

/// The fixture's archive rebuilt in a temporary directory: its ten files copied from
/// sds-small with the fixture's modification time.
fn archive(dir: &Path) -> Option<PathBuf> {
    let src = test_data_dir()?.join("sds-small");
    let root = dir.join("sds");
    let list = std::fs::read_to_string(fixtures().join("files.txt")).unwrap();
    for rel in list.lines().filter(|l| !l.is_empty()) {
        let to = root.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(rel), &to).unwrap();
        let f = std::fs::File::options().write(true).open(&to).unwrap();
        f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(FIXTURE_MTIME_S))
            .unwrap();
    }
    Some(root.canonicalize().unwrap())
}

/// A copy of the fixture `name` whose file names point at `root` instead of
/// [`FIXTURE_ROOT`] (the catalogue moved with its archive; nothing else is changed).
fn catalogue(name: &str, dir: &Path, root: &Path) -> PathBuf {
    let db = dir.join(name);
    std::fs::copy(fixtures().join(name), &db).unwrap();
    let raw = Catalogue::open_raw(&db).unwrap();
    let (from, to) = (FIXTURE_ROOT, root.to_string_lossy());
    raw.execute_sql(&format!(
        "UPDATE tsindex SET filename = replace(filename, '{from}', '{to}')"
    ))
    .unwrap();
    if raw.schema_version().unwrap() > 0 {
        raw.execute_sql(&format!(
            "UPDATE siqaco_files SET path = replace(path, '{from}', '{to}'), \
             filename = replace(filename, '{from}', '{to}')"
        ))
        .unwrap();
    }
    db
}

fn hashing() -> IndexOptions {
    let mut o = IndexOptions::default();
    o.hash = true;
    o
}

fn index(cat: &mut Catalogue, root: &Path) -> IndexReport {
    cat.index_archive(&Archive::new(root, Layout::Sds), &hashing())
        .unwrap()
}

/// tsindex rows without the times of indexing runs.
fn rows(cat: &Catalogue) -> Vec<String> {
    cat.tsindex_rows()
        .unwrap()
        .into_iter()
        .map(|mut r| {
            r.updated.clear();
            r.scanned.clear();
            format!("{r:?}")
        })
        .collect()
}

fn siqaco_rows(cat: &Catalogue) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT f.path, s.network, s.station, s.location, s.channel, s.start_ns, s.last_sample_ns, \
         s.end_ns, s.sample_rate_hz, s.samples FROM siqaco_spans s JOIN siqaco_files f ON f.id=s.file_id \
         ORDER BY 1,2,3,4,5,6,7",
        "SELECT f.path, s.network, s.station, s.location, s.channel, s.records FROM siqaco_file_streams s \
         JOIN siqaco_files f ON f.id=s.file_id ORDER BY 1,2,3,4,5",
        "SELECT * FROM siqaco_day_stats ORDER BY 1,2,3,4,5",
        "SELECT path, filename, rel_path, size_bytes, mtime_ns, records, errors FROM siqaco_files ORDER BY 1",
        "SELECT count(*) FROM siqaco_dirty",
        "SELECT network, station, location, channel, CAST(earliest AS TEXT), CAST(latest AS TEXT) \
         FROM tsindex_summary ORDER BY 1,2,3,4",
    ] {
        out.extend(cat.query_sql(sql).unwrap().iter().map(|r| format!("{r:?}")));
    }
    out
}

/// Asserts that `cat` equals a fresh index of `root` in `fresh` (a new catalogue).
fn assert_equals_fresh(cat: &Catalogue, root: &Path, fresh: &Path) {
    let mut f = Catalogue::open(fresh).unwrap();
    index(&mut f, root);
    assert_eq!(rows(cat), rows(&f));
    assert_eq!(siqaco_rows(cat), siqaco_rows(&f));
    assert!(
        cat.check().unwrap().problems.is_empty(),
        "{:?}",
        cat.check()
    );
}

/// A catalogue of an earlier siqaco: migrated (after a backup copy), no file read, rows kept
/// as they are, equal to a fresh index.
fn earlier_siqaco(name: &str, version: u32) {
    let dir = tempfile::tempdir().unwrap();
    let Some(root) = archive(dir.path()) else {
        return;
    };
    let db = catalogue(name, dir.path(), &root);
    assert_eq!(
        Catalogue::open_raw(&db).unwrap().schema_version().unwrap(),
        version
    );
    let before = Catalogue::open_raw(&db)
        .unwrap()
        .query_sql("SELECT rowid, * FROM tsindex ORDER BY rowid")
        .unwrap();
    let mut cat = Catalogue::open(&db).unwrap();
    assert_eq!(cat.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(PathBuf::from(format!("{}.v{version}.bak", db.display())).exists());
    let r = index(&mut cat, &root);
    assert_eq!(
        (
            r.files_listed,
            r.files_unchanged,
            r.files_indexed,
            r.files_adopted
        ),
        (10, 10, 0, 0),
        "{r:?}"
    );
    let after = cat
        .query_sql("SELECT rowid, * FROM tsindex ORDER BY rowid")
        .unwrap();
    assert_eq!(after, before, "the rows siqaco {version} wrote are kept");
    assert_equals_fresh(&cat, &root, &dir.path().join("fresh.sqlite"));
}

#[test]
fn siqaco_schema_1_catalogue_adopted() {
    earlier_siqaco("siqaco-v1.sqlite", 1);
}

#[test]
fn siqaco_schema_2_catalogue_adopted() {
    earlier_siqaco("siqaco-v2.sqlite", 2);
}

/// mseedindex 3.0.8 (tsindex 1.1): every file adopted, every row kept (same rowid, every
/// column but `quality`, which mseedindex leaves NULL and siqaco fills).
#[test]
fn mseedindex_3_catalogue_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let Some(root) = archive(dir.path()) else {
        return;
    };
    let db = catalogue("mseedindex-3.0.8.sqlite", dir.path(), &root);
    let cols = "rowid, network, station, location, channel, version, starttime, endtime, \
                samplerate, filename, byteoffset, bytes, hash, timeindex, timespans, timerates, \
                format, filemodtime, updated, scanned";
    let sql = format!("SELECT {cols} FROM tsindex ORDER BY rowid");
    let before = Catalogue::open_raw(&db).unwrap().query_sql(&sql).unwrap();
    assert_eq!(before.len(), 10);
    let mut cat = Catalogue::open(&db).unwrap();
    let r = index(&mut cat, &root);
    assert_eq!(
        (
            r.files_indexed,
            r.files_adopted,
            r.rows_kept,
            r.rows_written
        ),
        (10, 10, 10, 0),
        "{r:?}"
    );
    assert_eq!(cat.query_sql(&sql).unwrap(), before);
    let filled = cat
        .query_sql("SELECT count(*) FROM tsindex WHERE quality IN ('D','R','Q','M')")
        .unwrap();
    assert_eq!(filled[0][0].as_i64(), 10);
    assert_equals_fresh(&cat, &root, &dir.path().join("fresh.sqlite"));
    // the next run is an ordinary incremental one
    let r = index(&mut cat, &root);
    assert_eq!((r.files_unchanged, r.files_adopted), (10, 0), "{r:?}");
}

/// mseedindex 2.6 (tsindex 1.0: no `version` column; `quality` filled; times with
/// `.000000`; miniSEED 3 not read): the migration adds `version`; rows that are not
/// siqaco's are replaced, the others kept; the catalogue equals a fresh index.
#[test]
fn mseedindex_2_catalogue_schema_1_0_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let Some(root) = archive(dir.path()) else {
        return;
    };
    let db = catalogue("mseedindex-2.6.sqlite", dir.path(), &root);
    let has_version = |c: &Catalogue| {
        c.query_sql("SELECT count(*) FROM pragma_table_info('tsindex') WHERE name='version'")
            .unwrap()[0][0]
            .as_i64()
    };
    assert_eq!(has_version(&Catalogue::open_raw(&db).unwrap()), 0);
    // the dry run lists the added column first in the migration's transaction
    let dry = Catalogue::open_raw(&db)
        .unwrap()
        .migrate_with(true)
        .unwrap();
    assert_eq!(dry.from_version, 0);
    assert_eq!(
        dry.statements[1..3],
        ["BEGIN;", "ALTER TABLE tsindex ADD COLUMN version INTEGER;"]
    );
    let mut cat = Catalogue::open(&db).unwrap();
    assert_eq!(has_version(&cat), 1);
    let r = index(&mut cat, &root);
    assert_eq!(r.files_indexed, 10, "{r:?}");
    // some rows were kept (their `version` filled in place), others replaced
    assert!(r.files_adopted > 0 && r.files_adopted < 10, "{r:?}");
    let unset = cat
        .query_sql("SELECT count(*) FROM tsindex WHERE version IS NULL")
        .unwrap();
    assert_eq!(unset[0][0].as_i64(), 0);
    assert_equals_fresh(&cat, &root, &dir.path().join("fresh.sqlite"));
}

/// PostgreSQL: mseedindex 3.0.8's rows in a version-0 database (mseedindex's PostgreSQL DDL;
/// PyPI's mseedindex is built without PostgreSQL, so the rows of its SQLite catalogue are
/// inserted as it would insert them). Opening is refused (back up, then `db migrate`);
/// after the migration, every file is adopted and the catalogue equals a fresh PostgreSQL
/// index.
#[test]
fn postgres_mseedindex_catalogue_adopted() {
    if !cfg!(feature = "postgres") {
        pg_server::skip("siqaco-core built without the `postgres` feature");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(root) = archive(dir.path()) else {
        return;
    };
    let Some(pg) = pg_server::PgServer::start() else {
        return;
    };
    let lite = catalogue("mseedindex-3.0.8.sqlite", dir.path(), &root);
    let url = pg.create_db("adopt");
    let raw = Catalogue::open_raw(Path::new(&url)).unwrap();
    raw.execute_sql(
        "CREATE EXTENSION IF NOT EXISTS hstore; CREATE TABLE tsindex (id bigserial, \
         network text NOT NULL, station text NOT NULL, location text NOT NULL, \
         channel text NOT NULL, quality text, version smallint, \
         starttime timestamptz NOT NULL, endtime timestamptz NOT NULL, samplerate numeric NOT NULL, \
         filename text NOT NULL, byteoffset bigint NOT NULL, bytes bigint NOT NULL, hash text, \
         timeindex hstore, timespans numrange[], timerates numeric[], format text, \
         filemodtime timestamptz NOT NULL, updated timestamptz NOT NULL, scanned timestamptz NOT NULL)",
    )
    .unwrap();
    let lit = |s: &Option<String>| match s {
        Some(x) => format!("'{}'", x.replace('\'', "''")),
        None => "NULL".to_string(),
    };
    for r in Catalogue::open_raw(&lite).unwrap().tsindex_rows().unwrap() {
        let spans = r.timespans.as_ref().map(|t| {
            let v: Vec<String> = t
                .split("],[")
                .map(|x| format!("\"[{}]\"", x.trim_matches(['[', ']']).replace(':', ",")))
                .collect();
            format!("{{{}}}", v.join(","))
        });
        let rates = r.timerates.as_ref().map(|t| format!("{{{t}}}"));
        raw.execute_sql(&format!(
            "INSERT INTO tsindex (network,station,location,channel,version,starttime,endtime,\
             samplerate,filename,byteoffset,bytes,hash,timeindex,timespans,timerates,format,\
             filemodtime,updated,scanned) VALUES ('{}','{}','{}','{}',{},'{}','{}',{},'{}',{},{},\
             {},{},{},{},{},'{}','{}','{}')",
            r.nslc.network,
            r.nslc.station,
            r.nslc.location,
            r.nslc.channel,
            r.version.map_or("NULL".into(), |v| v.to_string()),
            r.starttime,
            r.endtime,
            r.samplerate,
            r.filename,
            r.byteoffset,
            r.bytes,
            lit(&r.hash),
            lit(&r.timeindex),
            lit(&spans),
            lit(&rates),
            lit(&r.format),
            r.filemodtime,
            r.updated,
            r.scanned
        ))
        .unwrap();
    }
    let ids = "SELECT id, hash FROM tsindex ORDER BY id";
    let before = raw.query_sql(ids).unwrap();
    drop(raw);
    let err = Catalogue::open(&url).unwrap_err().to_string();
    assert!(err.contains("siqaco db migrate"), "{err}");
    Catalogue::open_raw(Path::new(&url))
        .unwrap()
        .migrate()
        .unwrap();
    let mut cat = Catalogue::open(&url).unwrap();
    let r = index(&mut cat, &root);
    // the miniSEED 3 files' nanosecond times are microseconds in PostgreSQL: those rows
    // are not siqaco's and are replaced
    let ns_files = 2;
    assert_eq!(
        (r.files_indexed, r.files_adopted),
        (10, 10 - ns_files),
        "{r:?}"
    );
    let after = cat.query_sql(ids).unwrap();
    // the adopted files' rows are the ones inserted (same ids, same hashes)
    assert_eq!(
        before.iter().filter(|r| after.contains(r)).count() as u64,
        r.rows_kept
    );
    assert_eq!(r.rows_kept, 10 - ns_files);
    let fresh = pg.create_db("fresh");
    let mut f = Catalogue::open(&fresh).unwrap();
    index(&mut f, &root);
    assert_eq!(rows(&cat), rows(&f));
    assert_eq!(siqaco_rows(&cat), siqaco_rows(&f));
}
