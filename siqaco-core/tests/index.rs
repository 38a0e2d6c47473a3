//! The catalogue on the real SDS archive `sds-small`: statistics from the catalogue equal a
//! fresh scan; re-indexing after touch, modify, add and delete gives exactly the rows of a
//! fresh index; an interrupted-then-resumed run never duplicates rows; a cancelled run
//! leaves a consistent catalogue.

use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions};
use siqaco::report::scan_json;
use siqaco::scan::{scan_archive, ScanOptions};
use siqaco::testing::test_data_dir;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

mod pg_server;

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

fn sds() -> Option<PathBuf> {
    Some(test_data_dir()?.join("sds-small"))
}

/// The backend under test: makes fresh, empty catalogues.
trait Backend {
    /// A new empty catalogue called `name`, opened (schema created).
    fn open(&self, name: &str) -> Catalogue;
}

struct Sqlite(tempfile::TempDir);

impl Backend for Sqlite {
    fn open(&self, name: &str) -> Catalogue {
        let db = self.0.path().join(format!("{name}.sqlite"));
        let _ = std::fs::remove_file(&db);
        Catalogue::open(db).unwrap()
    }
}

fn sqlite() -> Sqlite {
    Sqlite(tempfile::tempdir().unwrap())
}

struct Postgres(pg_server::PgServer);

impl Backend for Postgres {
    fn open(&self, name: &str) -> Catalogue {
        Catalogue::open(self.0.create_db(name)).unwrap()
    }
}

/// A server, or `None` (skipped loudly) without PostgreSQL or the `postgres` feature.
fn postgres() -> Option<Postgres> {
    if !cfg!(feature = "postgres") {
        pg_server::skip("siqaco-core built without the `postgres` feature");
        return None;
    }
    pg_server::PgServer::start().map(Postgres)
}

/// tsindex rows without the columns that depend on when the run happened.
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
        "SELECT path, size_bytes, mtime_ns, records, errors FROM siqaco_files ORDER BY 1",
        "SELECT count(*) FROM siqaco_dirty",
    ] {
        out.extend(cat.query_sql(sql).unwrap().iter().map(|r| format!("{r:?}")));
    }
    out
}

fn fresh(b: &dyn Backend, root: &Path, name: &str) -> Catalogue {
    let mut cat = b.open(name);
    cat.index_archive(&Archive::new(root, Layout::Sds), &IndexOptions::default())
        .unwrap();
    cat
}

fn stats_from_catalogue_equal_scan(b: &dyn Backend) {
    let Some(root) = sds() else { return };
    let cat = fresh(b, &root, "ts");
    assert_eq!(
        cat.tsindex_rows().unwrap().len(),
        37,
        "one row per file × section of sds-small"
    );
    let mut opts = ScanOptions::default();
    opts.analysis.per_day = true;
    let scan = scan_archive(&Archive::new(&root, Layout::Sds), &opts, None).unwrap();
    let from_db = cat.report(&opts).unwrap();
    assert_eq!(scan_json(&from_db), scan_json(&scan));
    // with a window and a selection too
    opts.analysis.window = Some((
        siqaco::time::parse_time("2010-02-27T07:00:00").unwrap(),
        siqaco::time::parse_time("2010-02-28").unwrap(),
    ));
    opts.selection = vec![siqaco::NslcGlob::parse("IU.COLA.*.*").unwrap()];
    let scan = scan_archive(&Archive::new(&root, Layout::Sds), &opts, None).unwrap();
    let a = scan_json(&cat.report(&opts).unwrap());
    let b = scan_json(&scan);
    for (sa, sb) in a["streams"]
        .as_array()
        .unwrap()
        .iter()
        .zip(b["streams"].as_array().unwrap())
    {
        for k in ["segments", "gaps", "overlaps", "days", "nslc"] {
            assert_eq!(sa[k], sb[k], "{k} of {}", sb["nslc"]);
        }
    }
    assert_eq!(a["streams"].as_array().unwrap().len(), 6);
    // extents and stored day statistics agree with the scan
    let ext = cat.extents(&[]).unwrap();
    assert_eq!(
        ext.len(),
        scan_json(&from_db)["streams"].as_array().unwrap().len()
    );
    let days = cat.stored_day_stats(&[]).unwrap();
    let total_days: usize = from_db.streams.iter().map(|s| s.analysis.days.len()).sum();
    assert_eq!(days.len(), total_days);
    assert!(cat.check().unwrap().problems.is_empty());
}

fn reindex_after_changes_equals_fresh_index(b: &dyn Backend) {
    let Some(src) = sds() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sds");
    copy_dir(&src, &root);
    let mut cat = b.open("inc");
    let archive = Archive::new(&root, Layout::Sds);
    let mut opts = IndexOptions::default();
    opts.batch_files = 5;
    let r = cat.index_archive(&archive, &opts).unwrap();
    assert_eq!((r.files_indexed, r.files_unchanged), (37, 0));
    // nothing changed: nothing read, same rows
    let before = rows(&cat);
    let r = cat.index_archive(&archive, &opts).unwrap();
    assert_eq!((r.files_indexed, r.files_unchanged), (0, 37));
    assert_eq!(rows(&cat), before);

    // touch one file (mtime only), truncate one to its first record, delete one, add one
    let touched = root.join("2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058");
    let f = std::fs::File::options().write(true).open(&touched).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    drop(f);
    let modified = root.join("2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314");
    let bytes = std::fs::read(&modified).unwrap();
    std::fs::write(&modified, &bytes[..512]).unwrap();
    let deleted = root.join("2016/BW/FFB1/BHZ.D/BW.FFB1..BHZ.D.2016.071");
    std::fs::remove_file(&deleted).unwrap();
    let added = root.join("2010/XX/TEST/LHZ.D/XX.TEST.00.LHZ.D.2010.059");
    std::fs::copy(
        root.join("2010/XX/TEST/LHZ.D/XX.TEST.00.LHZ.D.2010.058"),
        &added,
    )
    .unwrap();

    let r = cat.index_archive(&archive, &opts).unwrap();
    assert_eq!(r.files_indexed, 3, "{r:?}");
    assert_eq!(r.files_removed, 1);
    let fresh_cat = fresh(b, &root, "fresh");
    assert_eq!(rows(&cat), rows(&fresh_cat));
    assert_eq!(siqaco_rows(&cat), siqaco_rows(&fresh_cat));
    let st = cat.report(&ScanOptions::default()).unwrap();
    let sf = fresh_cat.report(&ScanOptions::default()).unwrap();
    assert_eq!(scan_json(&st), scan_json(&sf));

    // an interrupted run: the siqaco_files row of one file lost (as if its batch never
    // committed); the next run re-reads it and does not duplicate its rows
    cat.execute_sql("DELETE FROM siqaco_files WHERE path LIKE '%IU.COLA.00.LHZ%'")
        .unwrap();
    let r = cat.index_archive(&archive, &opts).unwrap();
    assert_eq!(r.files_indexed, 1);
    assert_eq!(rows(&cat), rows(&fresh_cat));
}

/// A run cancelled before it starts reads nothing and leaves a consistent catalogue; the
/// next run indexes everything, as a fresh index does.
fn cancelled_run_then_next_run_equals_fresh_index(b: &dyn Backend) {
    let Some(root) = sds() else { return };
    let mut cat = b.open("cancelled");
    let archive = Archive::new(&root, Layout::Sds);
    let mut cancelled = IndexOptions::default();
    cancelled.cancel = Some(Arc::new(AtomicBool::new(true)));
    let r = cat.index_archive(&archive, &cancelled).unwrap();
    assert_eq!((r.files_listed, r.files_indexed), (37, 0));
    assert_eq!(cat.check().unwrap().problems, Vec::<String>::new());
    let r = cat
        .index_archive(&archive, &IndexOptions::default())
        .unwrap();
    assert_eq!(r.files_indexed, 37);
    let fresh_cat = fresh(b, &root, "fresh");
    assert_eq!(rows(&cat), rows(&fresh_cat));
    assert_eq!(siqaco_rows(&cat), siqaco_rows(&fresh_cat));
}

fn relative_paths_and_hash(b: &dyn Backend) {
    let Some(root) = sds() else { return };
    let mut cat = b.open("rel");
    let mut opts = IndexOptions::default();
    opts.relative_paths = true;
    opts.hash = true;
    cat.index_archive(&Archive::new(&root, Layout::Sds), &opts)
        .unwrap();
    let rows = cat.tsindex_rows().unwrap();
    let r = rows.iter().find(|r| r.nslc.station == "TGUH").unwrap();
    assert_eq!(r.filename, "2018/CU/TGUH/BHZ.D/CU.TGUH.00.BHZ.D.2018.001");
    // mseedindex 3.0.8 on the same file
    assert_eq!(r.hash.as_deref(), Some("aaaac5315f84cdd174fd8360002a1e3a"));
    // re-indexing an unchanged file with a changed mtime keeps `updated` (same hash)
    let before: Vec<String> = rows.iter().map(|r| r.updated.clone()).collect();
    assert!(rows.iter().all(|r| r.hash.is_some()));
    cat.execute_sql("UPDATE siqaco_files SET mtime_ns = 0")
        .unwrap();
    cat.index_archive(&Archive::new(&root, Layout::Sds), &opts)
        .unwrap();
    let after: Vec<String> = cat
        .tsindex_rows()
        .unwrap()
        .iter()
        .map(|r| r.updated.clone())
        .collect();
    assert_eq!(before, after);
}

/// `siqaco watch`'s passes (`Catalogue::follow`) on a copy of sds-small: the first rescan,
/// a day file that grows in three steps (cut inside records), one replaced by a shorter
/// file and one removed each give exactly the rows of a fresh index (tsindex and siqaco's
/// tables, the summary and day statistics through `siqaco_dirty` being empty).
fn follow_equals_fresh_index(b: &dyn Backend) {
    let Some(root) = sds() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("sds");
    copy_dir(&root, &work);
    let archive = Archive::new(&work, Layout::Sds);
    let opts = IndexOptions::default();
    let mut cat = b.open("watch");
    let n = std::cell::Cell::new(0);
    let same = |cat: &Catalogue, step: &str| {
        n.set(n.get() + 1); // a new database per fresh index (PostgreSQL)
        let f = fresh(b, &work, &format!("fresh{}", n.get()));
        assert_eq!(rows(cat), rows(&f), "{step}");
        assert_eq!(siqaco_rows(cat), siqaco_rows(&f), "{step}");
        let summary = "SELECT network,station,location,channel,earliest::text,latest::text \
                       FROM tsindex_summary ORDER BY 1,2,3,4";
        let summary = if cat.path().is_some() {
            summary.replace("::text", "")
        } else {
            summary.to_string()
        };
        let q = |c: &Catalogue| format!("{:?}", c.query_sql(&summary).unwrap());
        assert_eq!(q(cat), q(&f), "{step}: summary");
    };
    let r = cat.follow(&archive, &opts, None).unwrap();
    assert_eq!((r.files_indexed_whole, r.files_extended), (37, 0));
    same(&cat, "first rescan");
    let day = work.join("2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058");
    let bytes = std::fs::read(&day).unwrap();
    std::fs::write(&day, &bytes[..50_000]).unwrap();
    cat.follow(&archive, &opts, Some(std::slice::from_ref(&day)))
        .unwrap();
    for end in [120_000, bytes.len()] {
        let mut f = std::fs::OpenOptions::new().append(true).open(&day).unwrap();
        let len = f.metadata().unwrap().len() as usize;
        std::io::Write::write_all(&mut f, &bytes[len..end]).unwrap();
        let r = cat
            .follow(&archive, &opts, Some(std::slice::from_ref(&day)))
            .unwrap();
        assert_eq!((r.files_indexed_whole, r.files_extended), (0, 1));
        same(&cat, &format!("grown to {end} bytes"));
    }
    let other = work.join("2010/IU/COLA/BH1.D/IU.COLA.00.BH1.D.2010.058");
    let shorter = std::fs::read(&other).unwrap()[..10 * 512].to_vec();
    std::fs::write(&other, shorter).unwrap();
    let gone = work.join("2010/IU/COLA/BH2.D/IU.COLA.00.BH2.D.2010.058");
    std::fs::remove_file(&gone).unwrap();
    let r = cat.follow(&archive, &opts, Some(&[other, gone])).unwrap();
    assert_eq!((r.files_indexed_whole, r.files_removed), (1, 1));
    same(&cat, "replaced and removed");
}

#[test]
fn sqlite_follow_equals_fresh_index() {
    follow_equals_fresh_index(&sqlite());
}

#[test]
fn postgres_follow_equals_fresh_index() {
    let Some(pg) = postgres() else { return };
    follow_equals_fresh_index(&pg);
}

#[test]
fn sqlite_stats_from_catalogue_equal_scan() {
    stats_from_catalogue_equal_scan(&sqlite());
}

#[test]
fn sqlite_reindex_after_changes_equals_fresh_index() {
    reindex_after_changes_equals_fresh_index(&sqlite());
}

#[test]
fn sqlite_cancelled_run_then_next_run_equals_fresh_index() {
    cancelled_run_then_next_run_equals_fresh_index(&sqlite());
}

#[test]
fn sqlite_relative_paths_and_hash() {
    relative_paths_and_hash(&sqlite());
}

#[test]
fn postgres_stats_from_catalogue_equal_scan() {
    let Some(pg) = postgres() else { return };
    stats_from_catalogue_equal_scan(&pg);
}

#[test]
fn postgres_reindex_after_changes_equals_fresh_index() {
    let Some(pg) = postgres() else { return };
    reindex_after_changes_equals_fresh_index(&pg);
    relative_paths_and_hash(&pg);
}

/// The PostgreSQL catalogue holds exactly the rows of the SQLite one (typed columns read
/// back in the SQLite encodings), and an older PostgreSQL schema is refused with the
/// command to run, then migrated by it.
#[test]
fn postgres_rows_equal_sqlite_rows_and_migration() {
    let Some(root) = sds() else { return };
    let Some(pg) = postgres() else { return };
    let lite = fresh(&sqlite(), &root, "ts");
    let cat = fresh(&pg, &root, "same");
    assert_eq!(rows(&cat), micro_rows(&lite));
    assert_eq!(siqaco_rows(&cat), siqaco_rows(&lite));
    assert!(
        cat.check().unwrap().problems.is_empty(),
        "{:?}",
        cat.check()
    );
    // the PostgreSQL types, as mseedindex's DDL has them
    let types = cat
        .query_sql(
            "SELECT column_name || ' ' || udt_name FROM information_schema.columns \
             WHERE table_name='tsindex' AND column_name IN ('timespans','timeindex','starttime') \
             ORDER BY 1",
        )
        .unwrap();
    let types: Vec<String> = types.iter().map(|r| r[0].as_text()).collect();
    assert_eq!(
        types,
        [
            "starttime timestamptz",
            "timeindex hstore",
            "timespans _numrange"
        ]
    );
    // a range query on the typed columns works
    let n = cat
        .query_sql(
            "SELECT count(*) FROM tsindex, unnest(timespans) r \
             WHERE r @> 1267255000.0::numeric",
        )
        .unwrap();
    assert!(n[0][0].as_i64() > 0);

    // a version-0 database (tsindex only, as mseedindex writes it) is refused
    let url = pg.0.create_db("old");
    let raw = Catalogue::open_raw(Path::new(&url)).unwrap();
    raw.execute_sql(
        "CREATE EXTENSION IF NOT EXISTS hstore; CREATE TABLE tsindex (id bigserial, network text, \
         station text, location text, channel text, quality text, version smallint, \
         starttime timestamptz, endtime timestamptz, samplerate numeric, filename text, \
         byteoffset bigint, bytes bigint, hash text, timeindex hstore, timespans numrange[], \
         timerates numeric[], format text, filemodtime timestamptz, updated timestamptz, \
         scanned timestamptz)",
    )
    .unwrap();
    drop(raw);
    let err = Catalogue::open(&url).unwrap_err().to_string();
    assert!(
        err.contains(&format!("siqaco db migrate --db {url}")),
        "{err}"
    );
    let mut raw = Catalogue::open_raw(Path::new(&url)).unwrap();
    assert_eq!(raw.schema_version().unwrap(), 0);
    assert_eq!(raw.migrate().unwrap(), None);
    assert_eq!(raw.schema_version().unwrap(), siqaco::index::SCHEMA_VERSION);
    let mut cat = Catalogue::open(&url).unwrap();
    cat.index_archive(&Archive::new(&root, Layout::Sds), &IndexOptions::default())
        .unwrap();
    assert_eq!(rows(&cat), micro_rows(&lite));
}

/// [`rows`] with nanosecond times rounded to microseconds, PostgreSQL's resolution (the
/// miniSEED 3 file of sds-small has nanosecond start times).
fn micro_rows(cat: &Catalogue) -> Vec<String> {
    fn micro(t: &mut String) {
        if let Some((base, frac)) = t.clone().split_once('.') {
            if frac.len() == 9 {
                let ns: u64 = frac.parse().unwrap();
                let us = (ns + 500) / 1000;
                assert!(us < 1_000_000, "no carry into the seconds in sds-small");
                *t = format!("{base}.{us:06}");
            }
        }
    }
    cat.tsindex_rows()
        .unwrap()
        .into_iter()
        .map(|mut r| {
            r.updated.clear();
            r.scanned.clear();
            micro(&mut r.starttime);
            micro(&mut r.endtime);
            format!("{r:?}")
        })
        .collect()
}

/// The request stack of `siqaco update` on a backend: create, list, attempt, interrupted
/// runs, retry, cancel; then a whole update run with this catalogue.
fn request_stack_round_trip(b: &dyn Backend) {
    use siqaco::update::stack::{self, Attempt, RequestState};
    let cat = b.open("stack");
    let n = siqaco::Nslc::new("CH", "BALST", "", "LHZ");
    let ids =
        stack::create_requests(&cat, &[(n.clone(), 10, 20), (n.clone(), 30, 40)], None).unwrap();
    assert_eq!(ids.len(), 2);
    let forced = stack::create_requests(
        &cat,
        &[(n.clone(), 50, 60)],
        Some(&["a".into(), "b".into()]),
    )
    .unwrap();
    assert_eq!(
        stack::get(&cat, forced[0]).unwrap().sources,
        Some(vec!["a".into(), "b".into()])
    );
    stack::set_state(&cat, ids[0], RequestState::InProgress, None).unwrap();
    assert_eq!(stack::reset_interrupted(&cat).unwrap(), 1);
    let r = stack::get(&cat, ids[0]).unwrap();
    assert_eq!(
        (r.state, r.attempts, r.reason.as_deref()),
        (RequestState::Retry, 0, Some("interrupted run"))
    );
    let a = Attempt {
        request_id: ids[1],
        run_id: 7,
        source: "src".into(),
        started_ns: 1,
        finished_ns: 2,
        lines: "CH BALST -- LHZ x y\n".into(),
        bytes: 512,
        samples_added: 99,
        outcome: "data".into(),
        message: None,
    };
    stack::finish_attempt(
        &cat,
        ids[1],
        std::slice::from_ref(&a),
        RequestState::OnHold,
        Some("why"),
        true,
    )
    .unwrap();
    let r = stack::get(&cat, ids[1]).unwrap();
    assert_eq!(
        (r.state, r.attempts, r.samples_added),
        (RequestState::OnHold, 1, 99)
    );
    assert_eq!(stack::attempts(&cat, ids[1]).unwrap(), vec![a]);
    assert_eq!(
        stack::list(&cat, &[RequestState::OnHold], None)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(stack::retry(&cat, &[]).unwrap(), 1);
    assert_eq!(stack::get(&cat, ids[1]).unwrap().state, RequestState::Retry);
    assert_eq!(stack::cancel(&cat, &[ids[1]]).unwrap(), 1);
    assert_eq!(
        stack::get(&cat, ids[1]).unwrap().state,
        RequestState::Cancelled
    );
    assert_eq!(
        stack::get(&cat, 9999).unwrap_err().kind(),
        siqaco::ErrorKind::NotFound
    );
    let target = cat.target();
    drop(cat);
    // A whole run with this catalogue: one LHZ record removed, filled from sds-small.
    let Some(root) = sds() else { return };
    let dir = tempfile::tempdir().unwrap();
    let fin = dir.path().join("final");
    let lhz = "2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314";
    std::fs::create_dir_all(fin.join(lhz).parent().unwrap()).unwrap();
    let buf = std::fs::read(root.join(lhz)).unwrap();
    let h = siqaco::record::parse_record(&buf).unwrap();
    std::fs::write(fin.join(lhz), &buf[h.record_length..]).unwrap();
    let catalogue = if siqaco::index::is_postgres_url(&target) {
        b.open("stackrun").target()
    } else {
        dir.path().join("run.sqlite").display().to_string()
    };
    let config = siqaco::update::config::Config::from_str_in(
        &format!(
            "[archive]\npath = \"final\"\n[catalogue]\nurl = \"{catalogue}\"\n[streams]\n\
             select = [\"CH.BALST..LHZ\"]\n[[sources]]\nname = \"sds\"\nkind = \"archive\"\npath = \"{}\"\n",
            root.display()
        ),
        dir.path(),
    )
    .unwrap();
    let window = (h.start_ns, h.start_ns + 3_600_000_000_000);
    let mut request = siqaco::ops::UpdateRequest::new(config);
    (request.start_ns, request.end_ns) = (Some(window.0), Some(window.1));
    let s = request.run(&siqaco::ops::Control::new()).unwrap();
    assert_eq!(
        (s.requests_created, s.requests_succeeded, s.requests_left),
        (1, 1, 0),
        "{s:?}"
    );
    // The record is back, byte for byte (copied, it overlaps nothing), first in time order.
    let now = std::fs::read(fin.join(lhz)).unwrap();
    assert!(
        now.starts_with(&buf[..h.record_length]),
        "the record is not back"
    );
}

#[test]
fn sqlite_request_stack() {
    request_stack_round_trip(&sqlite());
}

#[test]
fn postgres_request_stack() {
    let Some(pg) = postgres() else { return };
    request_stack_round_trip(&pg);
}
