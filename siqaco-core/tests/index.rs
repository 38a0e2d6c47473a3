//! The catalogue on the real SDS archive `sds-small`: statistics from the catalogue equal a
//! fresh scan; re-indexing after touch, modify, add and delete gives exactly the rows of a
//! fresh index; an interrupted-then-resumed run never duplicates rows.

use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions};
use siqaco::report::scan_json;
use siqaco::scan::{scan_archive, ScanOptions};
use siqaco::testing::test_data_dir;
use std::path::{Path, PathBuf};

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

/// tsindex rows without the columns that depend on when the run happened.
fn rows(cat: &Catalogue) -> Vec<String> {
    let mut st = cat
        .connection()
        .prepare(
            "SELECT network,station,location,channel,quality,version,starttime,endtime,samplerate,\
             filename,byteoffset,bytes,hash,timeindex,timespans,timerates,format,filemodtime \
             FROM tsindex ORDER BY filename, byteoffset",
        )
        .unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        let mut v = Vec::new();
        for i in 0..n {
            let x: rusqlite::types::Value = r.get(i)?;
            v.push(format!("{x:?}"));
        }
        Ok(v.join("|"))
    })
    .unwrap()
    .map(|r| r.unwrap())
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
        "SELECT network,station,location,channel,earliest,latest FROM tsindex_summary ORDER BY 1,2,3,4",
        "SELECT path, size_bytes, mtime_ns, records, errors FROM siqaco_files ORDER BY 1",
        "SELECT count(*) FROM siqaco_dirty",
    ] {
        let mut st = cat.connection().prepare(sql).unwrap();
        let n = st.column_count();
        let v: Vec<String> = st
            .query_map([], |r| {
                let mut v = Vec::new();
                for i in 0..n {
                    let x: rusqlite::types::Value = r.get(i)?;
                    v.push(format!("{x:?}"));
                }
                Ok(v.join("|"))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        out.extend(v);
    }
    out
}

fn fresh(root: &Path, db: &Path) -> Catalogue {
    let _ = std::fs::remove_file(db);
    let mut cat = Catalogue::open(db).unwrap();
    cat.index_archive(&Archive::new(root, Layout::Sds), &IndexOptions::default())
        .unwrap();
    cat
}

#[test]
fn stats_from_catalogue_equal_scan() {
    let Some(root) = sds() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cat = fresh(&root, &dir.path().join("ts.sqlite"));
    let n: i64 = cat
        .connection()
        .query_row("SELECT count(*) FROM tsindex", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 37, "one row per file × section of sds-small");
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

#[test]
fn reindex_after_changes_equals_fresh_index() {
    let Some(src) = sds() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sds");
    copy_dir(&src, &root);
    let db = dir.path().join("inc.sqlite");
    let mut cat = Catalogue::open(&db).unwrap();
    let archive = Archive::new(&root, Layout::Sds);
    let opts = IndexOptions {
        batch_files: 5,
        ..Default::default()
    };
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
    let fresh_cat = fresh(&root, &dir.path().join("fresh.sqlite"));
    assert_eq!(rows(&cat), rows(&fresh_cat));
    assert_eq!(siqaco_rows(&cat), siqaco_rows(&fresh_cat));
    let st = cat.report(&ScanOptions::default()).unwrap();
    let sf = fresh_cat.report(&ScanOptions::default()).unwrap();
    assert_eq!(scan_json(&st), scan_json(&sf));

    // an interrupted run: the siqaco_files row of one file lost (as if its batch never
    // committed); the next run re-reads it and does not duplicate its rows
    cat.connection()
        .execute(
            "DELETE FROM siqaco_files WHERE path LIKE '%IU.COLA.00.LHZ%'",
            [],
        )
        .unwrap();
    let r = cat.index_archive(&archive, &opts).unwrap();
    assert_eq!(r.files_indexed, 1);
    assert_eq!(rows(&cat), rows(&fresh_cat));
}

#[test]
fn relative_paths_and_hash() {
    let Some(root) = sds() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut cat = Catalogue::open(dir.path().join("rel.sqlite")).unwrap();
    let opts = IndexOptions {
        relative_paths: true,
        hash: true,
        ..Default::default()
    };
    cat.index_archive(&Archive::new(&root, Layout::Sds), &opts)
        .unwrap();
    let (name, hash): (String, String) = cat
        .connection()
        .query_row(
            "SELECT filename, hash FROM tsindex WHERE station='TGUH'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(name, "2018/CU/TGUH/BHZ.D/CU.TGUH.00.BHZ.D.2018.001");
    // mseedindex 3.0.8 on the same file
    assert_eq!(hash, "aaaac5315f84cdd174fd8360002a1e3a");
}
