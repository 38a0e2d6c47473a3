//! Cross-check of the pure-Rust header scanner (`siqaco::record`) against libmseed
//! (`siqaco::codec::parse_header_libmseed`, libmseed 3.5.4) on every real file of the
//! test data, record by record and field by field.
//!
//! libmseed's header parse checks structure only; siqaco's scanner also applies the
//! validation gate (`siqaco::record::check_record`). The field-by-field comparison runs the
//! scanner without the gate (`RecordScanner::structure_only`); every record of the shared
//! data that the gate refuses is listed, with the reason, in
//! `the_gate_refuses_only_the_listed_records`.

use siqaco::codec::{parse_header_libmseed, LibmseedHeader};
use siqaco::record::{check_record, RecordHeader, RecordScanner, ScanItem, MIN_RECORD_LENGTH};
use siqaco::testing::{files_below, files_in, test_data_dir};
use siqaco::Nslc;
use std::path::{Path, PathBuf};

fn mseed_files() -> Option<Vec<PathBuf>> {
    let dir = test_data_dir()?.join("mseed");
    let files: Vec<PathBuf> = files_in(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "mseed"))
        .collect();
    Some(files)
}

/// libmseed's own walk over a buffer: `msr3_parse` at each offset, advance by the record
/// length; on a parse error skip one byte (`MSF_SKIPNOTDATA`), stop at a truncated record or
/// fewer than 40 remaining bytes.
fn libmseed_walk(buf: &[u8]) -> Vec<(usize, LibmseedHeader)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while buf.len() - pos >= MIN_RECORD_LENGTH {
        match parse_header_libmseed(&buf[pos..]) {
            Ok(h) => {
                let len = h.record_length;
                out.push((pos, h));
                pos += len;
            }
            Err(e) if e.to_string().contains("more bytes needed") => break,
            Err(_) => pos += 1,
        }
    }
    out
}

fn compare(file: &Path, offset: usize, ours: &RecordHeader<'_>, lib: &LibmseedHeader) {
    let ctx = format!("{} @ {offset}", file.display());
    assert_eq!(
        ours.record_length, lib.record_length,
        "record length, {ctx}"
    );
    assert_eq!(
        ours.format_version, lib.format_version,
        "format version, {ctx}"
    );
    let mut want = Nslc::from_source_id(&lib.sid).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    if ours.format_version == 2 {
        // libmseed builds the SID channel "B_S_S" from the three v2 channel bytes and drops
        // their blanks (a channel of blanks gives "__", which its own `ms_sid2nslc` maps
        // back to "__"); siqaco removes blanks from the channel as from the other codes. So
        // the channel part's delimiters are dropped, as `tests/peers/test_scan_vs_peers.py`
        // (`sid_key`) does with pymseed.
        want.channel.retain(|c| c != ' ' && c != '_');
    }
    assert_eq!(ours.nslc(), want, "nslc, {ctx}");
    if ours.format_version == 3 {
        assert_eq!(ours.stream_key(), lib.sid.as_bytes(), "sid, {ctx}");
    }
    assert_eq!(ours.start_ns, lib.start_ns, "start, {ctx}");
    assert_eq!(
        ours.sample_rate_hz.to_bits(),
        lib.sample_rate_hz.to_bits(),
        "rate {} vs {}, {ctx}",
        ours.sample_rate_hz,
        lib.sample_rate_hz
    );
    assert_eq!(
        ours.sample_rate_raw.to_bits(),
        lib.samprate.to_bits(),
        "raw rate, {ctx}"
    );
    assert_eq!(ours.sample_count, lib.sample_count, "sample count, {ctx}");
    assert_eq!(ours.encoding, lib.encoding, "encoding, {ctx}");
    assert_eq!(ours.pub_version, lib.pub_version, "pub version, {ctx}");
    assert_eq!(ours.end_ns(), lib.end_ns, "end, {ctx}");
    // libmseed's v2 -> v3 flag mapping.
    let flags = (ours.activity_flags & 0x01)
        | ((ours.data_quality_flags & 0x80) >> 6)
        | ((ours.io_clock_flags & 0x20) >> 3);
    assert_eq!(flags, lib.flags, "flags, {ctx}");
}

#[test]
fn every_file_matches_libmseed_record_by_record() {
    let Some(files) = mseed_files() else { return };
    assert!(files.len() > 100, "only {} files found", files.len());
    let (n_records, n_v3) = check_files(&files, true);
    eprintln!(
        "{} files, {n_records} records ({n_v3} v3) identical to libmseed",
        files.len()
    );
    assert!(n_records > 1000);
    assert!(n_v3 > 50);
}

/// Full SEED volumes (control headers between data records), dataless volumes, the small
/// SDS archive and the broken files: the same records at the same offsets as libmseed's
/// skipping walk.
#[test]
fn seed_volumes_and_sds_archive_match_libmseed() {
    let Some(dir) = test_data_dir() else { return };
    let mut files = files_below(&dir.join("seed"));
    files.extend(files_below(&dir.join("sds-small")));
    // The broken files too: libmseed 3.5.4 rejects record 0 of `invalid-blockette-offsets`
    // (a blockette at offset 40, inside the fixed header), as the scanner does (3.1.3
    // read it).
    files.extend(files_below(&dir.join("mseed/broken")));
    assert!(files.len() > 40, "only {} files found", files.len());
    let (n_records, _) = check_files(&files, false);
    assert!(n_records > 2000, "{n_records}");
}

/// Compares scanner and libmseed walk on each file; returns (records, v3 records).
fn check_files(files: &[PathBuf], expect_records: bool) -> (usize, usize) {
    let (mut n_records, mut n_v3) = (0usize, 0usize);
    for file in files {
        let buf = std::fs::read(file).unwrap();
        let ours: Vec<ScanItem<'_>> = RecordScanner::structure_only(&buf).collect();
        let lib = libmseed_walk(&buf);
        let ours_records: Vec<(usize, &RecordHeader<'_>)> = ours
            .iter()
            .filter_map(|i| match i {
                ScanItem::Record { offset, header } => Some((*offset as usize, header)),
                _ => None,
            })
            .collect();
        let ours_offsets: Vec<usize> = ours_records.iter().map(|r| r.0).collect();
        let lib_offsets: Vec<usize> = lib.iter().map(|r| r.0).collect();
        assert_eq!(
            ours_offsets,
            lib_offsets,
            "record offsets of {}",
            file.display()
        );
        assert!(
            !expect_records || !ours_records.is_empty(),
            "no record in {}",
            file.display()
        );
        for ((off, h), (_, l)) in ours_records.iter().zip(&lib) {
            compare(file, *off, h, l);
            n_records += 1;
            n_v3 += usize::from(h.format_version == 3);
        }
        for item in &ours {
            if let ScanItem::Invalid {
                offset,
                length,
                message,
            } = item
            {
                eprintln!(
                    "note: {}: {length} unreadable bytes at {offset}: {message}",
                    file.display()
                );
            }
        }
    }
    (n_records, n_v3)
}

/// Per-stream first sample, last sample and record count over every file, against the
/// values pymseed 1.0.1 (libmseed 3.5.4, skipping non-data) recorded in `MANIFEST.json`.
#[test]
fn per_stream_extent_matches_manifest() {
    let Some(dir) = test_data_dir() else { return };
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let mut checked = 0;
    for entry in manifest.as_array().unwrap() {
        let kind = entry["kind"].as_str().unwrap();
        if kind != "mseed" && kind != "mseed-broken" {
            continue;
        }
        let file = dir.join(entry["file"].as_str().unwrap());
        let buf = std::fs::read(&file).unwrap();
        let mut per: std::collections::BTreeMap<String, (i64, i64, u64)> = Default::default();
        // The manifest counts what libmseed reads: without the gate (its refusals are
        // listed in `tests/gate-refused.tsv`).
        for item in RecordScanner::structure_only(&buf) {
            if let ScanItem::Record { header, .. } = item {
                let e = per
                    .entry(header.nslc().to_string())
                    .or_insert((i64::MAX, i64::MIN, 0));
                e.0 = e.0.min(header.start_ns);
                e.1 = e.1.max(header.end_ns());
                e.2 += 1;
            }
        }
        // The manifest writes a blank v2 channel as libmseed's SID parts ("__"); siqaco
        // removes the spaces (see `RecordHeader::nslc`). Compare keys without both.
        let norm = |k: &str| k.replace(['_', ' '], "");
        let want: std::collections::BTreeMap<String, &serde_json::Value> = entry["per_nslc"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (norm(k), v))
            .collect();
        let per: std::collections::BTreeMap<String, (i64, i64, u64)> =
            per.into_iter().map(|(k, v)| (norm(&k), v)).collect();
        let got_keys: Vec<&String> = per.keys().collect();
        let want_keys: Vec<&String> = want.keys().collect();
        assert_eq!(got_keys, want_keys, "streams of {}", file.display());
        for (k, w) in want {
            let (start, end, n) = per[&k];
            let t = |v: &serde_json::Value| siqaco::time::parse_time(v.as_str().unwrap()).unwrap();
            assert_eq!(start, t(&w["start"]), "{k} start in {}", file.display());
            assert_eq!(end, t(&w["end"]), "{k} end in {}", file.display());
            assert_eq!(
                n,
                w["n_records"].as_u64().unwrap(),
                "{k} records in {}",
                file.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 150, "only {checked} files in MANIFEST.json");
}

/// Every record of the test data (miniSEED files, broken files, SEED volumes, the SDS
/// archive) that libmseed's header parse reads but the validation gate refuses, with the
/// gate's message: exactly these, each for a reason libmseed agrees with when it decodes
/// (see the comment of each).
#[test]
fn the_gate_refuses_only_the_listed_records() {
    let Some(dir) = test_data_dir() else { return };
    let expected = gate_refused();
    let mut files = files_below(&dir.join("mseed"));
    files.extend(files_below(&dir.join("seed")));
    files.extend(files_below(&dir.join("sds-small")));
    let mut got = Vec::new();
    let mut checked = 0;
    for file in &files {
        let buf = std::fs::read(file).unwrap();
        for item in RecordScanner::structure_only(&buf) {
            if let ScanItem::Record { offset, header } = item {
                checked += 1;
                if let Err(e) = check_record(&header) {
                    let name = file.file_name().unwrap().to_string_lossy().into_owned();
                    got.push((name, offset, e.message));
                }
            }
        }
    }
    assert_eq!(got, expected);
    assert!(checked > 6000, "{checked}");
}

/// The records of the test data that the gate refuses (file, offset, message), from
/// `tests/gate-refused.tsv` (the one list, also read by the Python tests), each with the
/// reason in a comment there.
fn gate_refused() -> Vec<(String, u64, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/gate-refused.tsv");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, '\t').collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].to_string())
        })
        .collect()
}
