//! Distributed runs (`siqaco::ops` list / `run_partial` / `combine`) on the real SDS archive
//! `sds-small`: partitions of one file each, run in reverse order and passed through
//! `encode`/`decode` (as between processes), combine into exactly the single-machine
//! result — the same scan JSON document, the same samples, the same catalogue rows, the
//! same QC report.

use siqaco::archive::ArchiveFile;
use siqaco::index::{Catalogue, IndexPartial};
use siqaco::ops::{
    decode, encode, partition, Control, IndexRequest, QcRequest, ReadRequest, ScanRequest,
};
use siqaco::report::scan_json;
use siqaco::testing::test_data_dir;
use std::path::PathBuf;

fn sds() -> Option<PathBuf> {
    Some(test_data_dir()?.join("sds-small"))
}

/// The partitions of `files`, one file or one station-day each, last first, each sent
/// through `encode`/`decode` as a worker would receive it.
fn shipped(files: Vec<ArchiveFile>, per: usize) -> Vec<Vec<ArchiveFile>> {
    let mut parts = partition(files, per).unwrap();
    parts.reverse();
    parts.iter().map(|p| decode(&encode(p)).unwrap()).collect()
}

#[test]
fn partition_keeps_station_days_whole() {
    let Some(root) = sds() else { return };
    let files = ScanRequest::new([&root]).list_files().unwrap();
    assert_eq!(files.len(), 37);
    let parts = partition(files.clone(), 1).unwrap();
    // One partition per network, station and day: no station-day split over two.
    let key = |f: &ArchiveFile| {
        let n = f.nslc.as_ref().unwrap();
        (
            n.network.clone(),
            n.station.clone(),
            f.day_start_ns.unwrap(),
        )
    };
    let mut keys: Vec<_> = files.iter().map(key).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(parts.len(), keys.len());
    for p in &parts {
        assert!(p.iter().all(|f| key(f) == key(&p[0])));
    }
    assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), 37);
    // Larger partitions hold at least the number asked for (but the last).
    let parts = partition(files, 10).unwrap();
    assert!(parts[..parts.len() - 1].iter().all(|p| p.len() >= 10));
    assert_eq!(
        partition(Vec::new(), 0).unwrap_err().field_name(),
        Some("partition_files")
    );
}

#[test]
fn scan_partials_combine_to_the_single_machine_document() {
    let Some(root) = sds() else { return };
    let request = ScanRequest::new([&root]);
    let single = scan_json(&request.run(&Control::new()).unwrap());
    for per in [1, 7] {
        let partials: Vec<_> = shipped(request.list_files().unwrap(), per)
            .iter()
            .map(|files| {
                let p = request.run_partial(files, &Control::new()).unwrap();
                decode(&encode(&p)).unwrap()
            })
            .collect();
        assert_eq!(scan_json(&request.combine(partials).unwrap()), single);
    }
}

#[test]
fn read_partials_combine_to_the_single_machine_samples() {
    let Some(root) = sds() else { return };
    // Streams whose records cross midnight into the next day file.
    let mut request = ReadRequest::new([&root]);
    request.select = vec!["BW.BGLD..EHE".parse().unwrap(), "IU.*".parse().unwrap()];
    let single = request.run(&Control::new()).unwrap();
    let files = request.list_files().unwrap();
    assert!(files.len() > 4);
    let partials: Vec<_> = shipped(files, 1)
        .iter()
        .map(|files| {
            let p = request.run_partial(files, &Control::new()).unwrap();
            decode(&encode(&p)).unwrap()
        })
        .collect();
    let combined = request.combine(partials).unwrap();
    assert!(single.len() > 4);
    assert_eq!(combined, single);
}

#[test]
fn index_from_partials_writes_the_single_machine_rows() {
    let Some(root) = sds() else { return };
    let dir = tempfile::tempdir().unwrap();
    let single_db = dir.path().join("single.sqlite");
    let dist_db = dir.path().join("dist.sqlite");
    let single = IndexRequest::new(&root, &single_db)
        .run(&Control::new())
        .unwrap();
    let request = IndexRequest::new(&root, &dist_db);
    let todo = request.files_to_index().unwrap();
    assert_eq!(todo.len(), 37);
    let mut partial = IndexPartial::default();
    for files in shipped(todo, 1) {
        let p = request.run_partial(&files, &Control::new()).unwrap();
        partial.extend(decode(&encode(&p)).unwrap());
    }
    assert_eq!(partial.files().count(), 37);
    let dist = request.run_from(partial, &Control::new()).unwrap();
    assert_eq!(dist, single);
    assert_same_catalogue(&single_db, &dist_db);
    // Nothing left to read: a second distributed run finds every file unchanged.
    assert!(request.files_to_index().unwrap().is_empty());
}

/// The partials written one at a time as they arrive (`IndexRequest::writer`, batches of
/// 4 files, partitions last first): every batch is written once its files are all in,
/// and the catalogue and the counts are those of one `siqaco index`. The listing does not
/// create a missing catalogue (the writer does).
#[test]
fn index_writer_writes_partials_as_they_arrive() {
    let Some(root) = sds() else { return };
    let dir = tempfile::tempdir().unwrap();
    let single_db = dir.path().join("single.sqlite");
    let dist_db = dir.path().join("dist.sqlite");
    let mut single = IndexRequest::new(&root, &single_db);
    single.batch_files = 4;
    let single = single.run(&Control::new()).unwrap();
    let mut request = IndexRequest::new(&root, &dist_db);
    request.batch_files = 4;
    let todo = request.files_to_index().unwrap();
    assert_eq!(todo.len(), 37);
    assert!(!dist_db.exists());
    let parts = shipped(todo, 1);
    let mut writer = request.writer(&Control::new()).unwrap();
    let files_written = || {
        let cat = Catalogue::open_read_only(&dist_db.to_string_lossy()).unwrap();
        cat.query_sql("SELECT count(*) FROM siqaco_files").unwrap()[0][0].as_i64()
    };
    assert_eq!(files_written(), 0);
    for files in parts {
        let p = request.run_partial(&files, &Control::new()).unwrap();
        writer
            .add(decode(&encode(&p)).unwrap(), &Control::new())
            .unwrap();
    }
    // Every batch was written as its last file arrived: nothing is left for `finish`.
    assert_eq!(files_written(), 37);
    assert_eq!(writer.finish(&Control::new()).unwrap(), single);
    assert_same_catalogue(&single_db, &dist_db);
}

/// Every row of the two catalogues equal, but the times of the runs.
fn assert_same_catalogue(single_db: &PathBuf, dist_db: &PathBuf) {
    let rows = |db: &PathBuf| {
        let cat = Catalogue::open(db).unwrap();
        let mut out: Vec<String> = cat
            .tsindex_rows()
            .unwrap()
            .into_iter()
            .map(|mut r| {
                // When the run happened, not what it found.
                r.updated.clear();
                r.scanned.clear();
                format!("{r:?}")
            })
            .collect();
        for sql in [
            "SELECT id, path, filename, rel_path, size_bytes, mtime_ns, records, errors FROM siqaco_files ORDER BY 1",
            "SELECT * FROM siqaco_file_streams ORDER BY 1,2,3,4,5",
            "SELECT * FROM siqaco_spans ORDER BY 1,2,3,4,5,6",
            "SELECT * FROM siqaco_day_stats ORDER BY 1,2,3,4,5",
            // `updated` is when the summary was made.
            "SELECT network, station, location, channel, earliest, latest FROM tsindex_summary ORDER BY 1,2,3,4",
            "SELECT count(*) FROM siqaco_dirty",
        ] {
            out.extend(cat.query_sql(sql).unwrap().iter().map(|r| format!("{r:?}")));
        }
        out
    };
    let (a, b) = (rows(single_db), rows(dist_db));
    assert!(a.len() > 100);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_eq!(a.len(), b.len());
}

#[test]
fn qc_partials_combine_to_the_single_machine_report() {
    let Some(root) = sds() else { return };
    let meta = test_data_dir().unwrap().join("stationxml");
    let mut request = QcRequest::new(&root, meta.to_string_lossy());
    request.now_ns = Some(siqaco::time::parse_time("2026-01-01").unwrap());
    // With record rules too: file-level findings, which name their file.
    let mut rules = request.clone();
    rules.record_length = Some(512);
    rules.encoding = Some(11);
    for request in [request, rules] {
        let single = serde_json::to_value(request.run(&Control::new()).unwrap()).unwrap();
        let findings = single["findings"].as_array().unwrap();
        assert!(findings.len() > 10);
        let files = request.list_files().unwrap();
        for per in [1, 5] {
            let partials: Vec<_> = shipped(files.clone(), per)
                .iter()
                .map(|part| {
                    let p = request.run_partial(part, &Control::new()).unwrap();
                    decode(&encode(&p)).unwrap()
                })
                .collect();
            let combined = request.combine(&files, partials, &Control::new()).unwrap();
            let combined = serde_json::to_value(combined).unwrap();
            for (a, b) in findings
                .iter()
                .zip(combined["findings"].as_array().unwrap())
            {
                assert_eq!(a, b, "{per}");
            }
            assert_eq!(combined, single);
        }
    }
}
