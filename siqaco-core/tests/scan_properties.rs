//! Property tests: the scan result does not depend on record order or on how records are
//! split into files (docs/gaps.md). Real records from the test data set are shuffled and
//! dealt into several files; the report must equal the one for the original files.

use proptest::prelude::*;
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::report::scan_json;
use siqaco::scan::{scan_paths, ScanOptions};
use std::path::PathBuf;

/// The records of the sds-small day files of streams with gaps, overlaps, out-of-order
/// records, mixed record lengths, midnight crossings and several rates.
fn real_records() -> Option<Vec<Vec<u8>>> {
    let data = siqaco::testing::test_data_dir()?;
    let files = [
        "sds-small/2007/BW/BGLD/EHE.D/BW.BGLD..EHE.D.2007.365",
        "sds-small/2008/BW/BGLD/EHE.D/BW.BGLD..EHE.D.2008.001",
        "sds-small/2010/XX/TEST/LHZ.D/XX.TEST.00.LHZ.D.2010.058",
        "sds-small/2016/SK/MODS/HHZ.D/SK.MODS..HHZ.D.2016.006",
        "mseed/obspy-core__ffbx_unrotated_gaps.mseed",
        "mseed/obspy-io-mseed__qualityflags.mseed",
        "mseed/libmseed__testdata-3channel-signal.v3.mseed",
    ];
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(data.join(f)).ok()?;
        for item in RecordScanner::new(&bytes) {
            if let ScanItem::Record { offset, header } = item {
                let o = offset as usize;
                out.push(bytes[o..o + header.record_length].to_vec());
            }
        }
    }
    Some(out)
}

fn scan_of(files: &[Vec<u8>], dir: &std::path::Path) -> serde_json::Value {
    let mut paths: Vec<PathBuf> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let p = dir.join(format!("f{i:03}.mseed"));
        std::fs::write(&p, f).unwrap();
        paths.push(p);
    }
    let mut opts = ScanOptions::default();
    opts.analysis.per_day = true;
    let mut v = scan_json(&scan_paths(&paths, &opts, None));
    v["files"] = serde_json::Value::Null;
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn order_and_file_split_do_not_matter(seed in any::<u64>(), nfiles in 1usize..6) {
        let Some(records) = real_records() else { return Ok(()); };
        prop_assert!(records.len() > 200);
        let base_dir = tempfile::tempdir().unwrap();
        let reference = scan_of(&[records.concat()], base_dir.path());
        prop_assert!(reference["streams"].as_array().unwrap().len() > 20);
        // Fisher-Yates with a seeded LCG, then deal round-robin into files.
        let mut order: Vec<usize> = (0..records.len()).collect();
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut files = vec![Vec::new(); nfiles];
        for (k, &i) in order.iter().enumerate() {
            files[(k * 7 + (seed as usize)) % nfiles].extend_from_slice(&records[i]);
        }
        let dir = tempfile::tempdir().unwrap();
        let shuffled = scan_of(&files, dir.path());
        prop_assert_eq!(reference, shuffled);
    }
}

#[test]
fn cancelled_scan_skips_remaining_files() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let Some(dir) = siqaco::testing::test_data_dir() else {
        return;
    };
    let archive =
        siqaco::archive::Archive::new(dir.join("sds-small"), siqaco::archive::Layout::Sds);
    let cancel = Arc::new(AtomicBool::new(false));
    let mut opts = ScanOptions::default();
    opts.cancel = Some(cancel.clone());
    opts.threads = Some(1);
    let full = siqaco::scan::scan_archive(&archive, &opts, None).unwrap();
    assert!(full.files > 2);
    let cb = |_p: siqaco::scan::Progress| cancel.store(true, Ordering::Relaxed);
    let partial = siqaco::scan::scan_archive(&archive, &opts, Some(&cb)).unwrap();
    assert_eq!(partial.files, 1);
}
