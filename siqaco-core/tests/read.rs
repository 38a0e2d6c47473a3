//! `siqaco::read`: sample counts equal the scan's trace totals, and every record's samples
//! (decoded alone by libmseed) sit at the right place in its segment.

use siqaco::archive::{Archive, Layout};
use siqaco::codec::{decode_record, Samples};
use siqaco::read::{read, read_input, read_paths, ReadOptions, SampleSegment};
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::scan::{scan_archive, scan_paths, ScanInput, ScanOptions, ScanReport};
use siqaco::segment::Tolerance;
use siqaco::testing::test_data_dir;
use siqaco::time::parse_time;
use siqaco::{ErrorKind, Nslc};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn totals(segments: &[SampleSegment]) -> BTreeMap<Nslc, (usize, i64)> {
    let mut m = BTreeMap::new();
    for s in segments {
        let e = m.entry(s.nslc.clone()).or_insert((0, 0));
        e.0 += 1;
        e.1 += s.samples.len() as i64;
    }
    m
}

fn scan_totals(r: &ScanReport) -> BTreeMap<Nslc, (usize, i64)> {
    r.streams
        .iter()
        .map(|s| (s.nslc.clone(), (s.analysis.traces, s.analysis.samples)))
        .collect()
}

fn value(s: &Samples, i: usize) -> f64 {
    match s {
        Samples::Int32(v) => v[i] as f64,
        Samples::Float32(v) => v[i] as f64,
        Samples::Float64(v) => v[i],
        Samples::Text(v) => v[i] as f64,
    }
}

/// Every data record of `files`, decoded alone, is found sample for sample in exactly one
/// segment of its stream, at the offset its start time gives.
fn check_records_in_segments(files: &[PathBuf], segments: &[SampleSegment]) {
    let mut checked = 0;
    for f in files {
        let buf = std::fs::read(f).unwrap();
        for item in RecordScanner::new(&buf) {
            let ScanItem::Record { offset, header } = item else {
                continue;
            };
            if !header.is_data() {
                continue;
            }
            let rec = decode_record(&buf[offset as usize..]).unwrap();
            let nslc = header.nslc();
            let found = segments.iter().any(|s| {
                if s.nslc != nslc || s.samples.sample_type() != rec.samples.sample_type() {
                    return false;
                }
                let period = 1e9 / s.sample_rate_hz;
                let k = ((rec.start_ns - s.start_ns) as f64 / period).round();
                if k < 0.0 || k as usize + rec.samples.len() > s.samples.len() {
                    return false;
                }
                let k = k as usize;
                (0..rec.samples.len()).all(|i| {
                    let (a, b) = (value(&s.samples, k + i), value(&rec.samples, i));
                    a == b || (a.is_nan() && b.is_nan())
                })
            });
            assert!(
                found,
                "{}: record at {offset} not found in a segment",
                f.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn sds_small_matches_scan_and_records() {
    let Some(dir) = test_data_dir() else { return };
    let archive = Archive::new(dir.join("sds-small"), Layout::Sds);
    let segments = read(&archive, &[], None, &Tolerance::default()).unwrap();
    let report = scan_archive(&archive, &ScanOptions::default(), None).unwrap();
    assert_eq!(totals(&segments), scan_totals(&report));
    // sorted by nslc then start
    assert!(segments
        .windows(2)
        .all(|w| (&w[0].nslc, w[0].start_ns) <= (&w[1].nslc, w[1].start_ns)));
    let files: Vec<PathBuf> = archive
        .list_files(&[], None)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    check_records_in_segments(&files, &segments);
}

#[test]
fn mseed_files_match_scan_and_records() {
    let Some(dir) = test_data_dir() else { return };
    for name in [
        "libmseed__reference-testdata-steim2.v3.mseed",
        "libmseed__reference-testdata-float32.v2.mseed",
        "libmseed__reference-testdata-float64.v3.mseed",
        "libmseed__reference-testdata-int16.v2.mseed",
        "libmseed__testdata-3channel-signal.v2.mseed",
        "libmseed__testdata-oneseries-mixedlengths-mixedorder.v2.mseed",
        "obspy-io-mseed__gaps.mseed",
        "obspy-io-mseed__qualityflags.mseed",
        "obspy-core__ffbx_unrotated_gaps.mseed",
    ] {
        let path = dir.join("mseed").join(name);
        assert!(path.is_file(), "{}", path.display());
        let paths = vec![path];
        let segments = read_paths(&paths, &[], None, &Tolerance::default()).unwrap();
        let report = scan_paths(&paths, &ScanOptions::default(), None);
        assert_eq!(totals(&segments), scan_totals(&report), "{name}");
        check_records_in_segments(&paths, &segments);
    }
}

#[test]
fn window_trims_at_sample_level() {
    let Some(dir) = test_data_dir() else { return };
    let archive = Archive::new(dir.join("sds-small"), Layout::Sds);
    let all = read(&archive, &[], None, &Tolerance::default()).unwrap();
    let seg = all.iter().max_by_key(|s| s.samples.len()).unwrap();
    let n = seg.samples.len() as i64;
    let ws = seg.start_ns + (seg.end_ns() - seg.start_ns) / 3;
    let we = seg.start_ns + 2 * (seg.end_ns() - seg.start_ns) / 3;
    let sel = vec![siqaco::NslcGlob::parse(&seg.nslc.to_string()).unwrap()];
    let cut = read(&archive, &sel, Some((ws, we)), &Tolerance::default()).unwrap();
    let inside: Vec<&SampleSegment> = cut
        .iter()
        .filter(|s| s.start_ns < seg.end_ns() && s.end_ns() > seg.start_ns)
        .collect();
    assert_eq!(inside.len(), 1);
    let c = inside[0];
    assert!(c.start_ns >= ws && c.start_ns - ws < 1_000_000_000 / seg.sample_rate_hz as i64 + 1);
    assert!(c.last_sample_ns() < we && c.end_ns() >= we);
    let k = ((c.start_ns - seg.start_ns) as f64 * seg.sample_rate_hz / 1e9).round() as usize;
    assert!(c.samples.len() as i64 > n / 4);
    for i in 0..c.samples.len() {
        assert_eq!(value(&c.samples, i), value(&seg.samples, k + i));
    }
    let start = parse_time("2200-01-01").unwrap();
    assert!(read(
        &archive,
        &[],
        Some((start, start + 1)),
        &Tolerance::default()
    )
    .unwrap()
    .is_empty());
}

#[test]
fn errors_name_file_and_offset() {
    let Some(dir) = test_data_dir() else { return };
    let missing = Archive::new(dir.join("no-such-archive"), Layout::Sds);
    let e = read(&missing, &[], None, &Tolerance::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    let broken: Vec<PathBuf> = siqaco::testing::files_in(&dir.join("mseed/broken"))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains("__not"))
        .collect();
    assert!(!broken.is_empty());
    let e = read_paths(&broken[..1], &[], None, &Tolerance::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&*broken[0].to_string_lossy()) && msg.contains("byte offset"),
        "{msg}"
    );
}

/// A cancelled read reads no file.
#[test]
fn cancelled_read_reads_nothing() {
    let Some(dir) = test_data_dir() else { return };
    let input = ScanInput::new(&[dir.join("sds-small")], &siqaco::archive::Layout::Sds).unwrap();
    let mut opts = ReadOptions::default();
    assert!(!read_input(&input, &opts).unwrap().is_empty());
    opts.cancel = Some(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
        true,
    )));
    assert!(read_input(&input, &opts).unwrap().is_empty());
}
