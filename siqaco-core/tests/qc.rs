//! Quality control against real data and StationXML from `shared/data`, and against copies
//! with planted problems.

use siqaco::archive::{Archive, Layout};
use siqaco::qc::{qc_archive, Check, QcOptions, QcReport, QcRules, Severity};
use siqaco::stationxml::{parse_stationxml, read_stationxml, Inventory};
use siqaco::testing::test_data_dir;
use siqaco::time::parse_time;
use siqaco::{Nslc, NslcGlob};
use std::collections::BTreeSet;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn inventory(data: &Path, names: &[&str]) -> Inventory {
    let mut inv = Inventory::default();
    for n in names {
        inv.merge(read_stationxml(&data.join("stationxml").join(n)).unwrap());
    }
    inv
}

/// The findings as (code, severity, stream) triples.
fn found(r: &QcReport) -> BTreeSet<(&'static str, Severity, String)> {
    r.findings
        .iter()
        .map(|f| (f.check.code(), f.severity, f.nslc.to_string()))
        .collect()
}

fn set(v: &[(&'static str, Severity, &str)]) -> BTreeSet<(&'static str, Severity, String)> {
    v.iter().map(|(c, s, n)| (*c, *s, n.to_string())).collect()
}

/// The SDS copy of ffbx_unrotated_gaps (sds-small/2016/BW) in a temporary archive.
fn ffb_archive(data: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &data.join("sds-small/2016/BW"),
        &tmp.path().join("2016").join("BW"),
    );
    tmp
}

#[test]
fn real_data_against_real_metadata() {
    let Some(data) = test_data_dir() else { return };
    // a plain-files archive: ffbx (BW.FFB1-3) and the RJOB full SEED volume (2006)
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        data.join("mseed/obspy-core__ffbx_unrotated_gaps.mseed"),
        tmp.path().join("ffbx.mseed"),
    )
    .unwrap();
    std::fs::copy(
        data.join("seed/obspy-io-mseed__RJOB.BW.EHZ.D.300806.0000.fullseed"),
        tmp.path().join("rjob.fullseed"),
    )
    .unwrap();
    let inv = inventory(
        &data,
        &[
            "obspy-core__ffbx.stationxml",
            "obspy-core__BW_RJOB.xml",
            "obspy-core__AU.MEEK.xml",
            "obspy-io-stationxml__stationxml_with_availability.xml",
        ],
    );
    let archive = Archive::new(tmp.path(), Layout::Files);
    let r = qc_archive(&archive, &inv, &QcOptions::default()).unwrap();
    let expected = set(&[
        // the 2006 record lies before the StationXML epoch (2007-12-17)
        ("data_outside_epochs", Severity::Error, "BW.RJOB..EHZ"),
        // ... so the RJOB epochs have no data, nor do MEEK and ANMO
        ("metadata_without_data", Severity::Warning, "BW.RJOB..EHZ"),
        ("metadata_without_data", Severity::Warning, "BW.RJOB..EHN"),
        ("metadata_without_data", Severity::Warning, "BW.RJOB..EHE"),
        ("metadata_without_data", Severity::Warning, "AU.MEEK..SHE"),
        ("metadata_without_data", Severity::Warning, "IU.ANMO.00.BH1"),
    ]);
    assert_eq!(found(&r), expected, "{:#?}", r.findings);
    assert_eq!(r.findings.len(), 6);
    assert_eq!(r.worst_severity(), Some(Severity::Error));

    // the RJOB finding: its times are the record's, and it names the epoch start
    let f = r
        .findings
        .iter()
        .find(|f| f.check == Check::DataOutsideEpochs)
        .unwrap();
    assert_eq!(
        f.start_ns,
        Some(parse_time("2006-08-30T00:00:00.760").unwrap())
    );
    assert!(f.end_ns.unwrap() > f.start_ns.unwrap());
    assert!(
        f.message.contains("before the first epoch"),
        "{}",
        f.message
    );
    assert!(f.message.contains("2007-12-17"), "{}", f.message);
    // MEEK's closed epoch is reported with its bounds
    let m = r
        .findings
        .iter()
        .find(|f| f.nslc == Nslc::new("AU", "MEEK", "", "SHE"))
        .unwrap();
    assert_eq!(m.start_ns, Some(parse_time("2003-06-25").unwrap()));
    assert_eq!(m.end_ns, Some(parse_time("2008-05-11T23:59:59").unwrap()));
    // the SEED control headers of the full volume are file errors, not findings
    assert!(r.errors.iter().any(|e| e.path.ends_with("rjob.fullseed")));
    // 18 FFB streams + 3 RJOB + MEEK + ANMO
    assert_eq!(r.streams.len(), 23);
}

#[test]
fn ffb_sds_archive_agrees_with_its_metadata() {
    let Some(data) = test_data_dir() else { return };
    let tmp = ffb_archive(&data);
    let inv = inventory(&data, &["obspy-core__ffbx.stationxml"]);
    let archive = Archive::new(tmp.path(), Layout::Sds);
    let day = parse_time("2016-03-11").unwrap();
    let opts = QcOptions {
        window: Some((day, day + 86_400_000_000_000)),
        ..Default::default()
    };
    let r = qc_archive(&archive, &inv, &opts).unwrap();
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert!(r.errors.is_empty());
    assert_eq!(r.worst_severity(), None);
    assert_eq!(r.streams.len(), 18);
    // availability bounded by metadata equals the plain one when the epoch spans the day
    for s in &r.streams {
        assert_eq!(s.epochs, 1);
        assert_eq!(s.days.len(), 1);
        let d = &s.days[0];
        assert_eq!(d.epoch_s, 86_400.0);
        let ts = d.ts_percent_availability.unwrap();
        assert!((ts - d.percent_availability).abs() < 1e-9);
        assert!(d.percent_availability > 0.0 && d.percent_availability < 0.01);
        assert!(d.records > 0);
    }
}

/// ffbx.stationxml with planted problems: FFB1 HHZ at 100 Hz instead of 200, FFB2 BHZ
/// starting on 2016-03-12 (a day after its data), an extra FFB1 channel HHX without data,
/// and station FFB3 removed.
fn planted_metadata(data: &Path) -> Inventory {
    let xml = std::fs::read_to_string(data.join("stationxml/obspy-core__ffbx.stationxml")).unwrap();
    let lines: Vec<&str> = xml.lines().collect();
    let find =
        |from: usize, pat: &str| from + lines[from..].iter().position(|l| l.contains(pat)).unwrap();
    // FFB1 HHZ block, FFB2 BHZ start, FFB3 station
    let ffb1 = find(0, "<Station code=\"FFB1\"");
    let hhz = find(ffb1, "<Channel code=\"HHZ\"");
    let hhz_end = find(hhz, "</Channel>");
    let ffb2 = find(0, "<Station code=\"FFB2\"");
    let bhz2 = find(ffb2, "<Channel code=\"BHZ\"");
    let ffb3 = find(0, "<Station code=\"FFB3\"");
    let ffb3_end = find(ffb3, "</Station>");
    let mut out: Vec<String> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if (ffb3..=ffb3_end).contains(&i) {
            continue;
        }
        let mut l = l.to_string();
        if (hhz..=hhz_end).contains(&i) && l.contains("<SampleRate") {
            l = l.replace(">200.0<", ">100.0<");
        }
        if i == bhz2 {
            l = l.replace("2015-06-12T00:00:00", "2016-03-12T00:00:00");
        }
        out.push(l);
        if i == hhz_end {
            // an extra channel: a copy of HHZ named HHX (at 200 Hz)
            for c in &lines[hhz..=hhz_end] {
                out.push(c.replace("code=\"HHZ\"", "code=\"HHX\""));
            }
        }
    }
    let text = out.join("\n");
    assert!(text.contains(">100.0<") && text.contains("HHX") && !text.contains("FFB3"));
    parse_stationxml(text.as_bytes(), "planted.xml").unwrap()
}

#[test]
fn planted_problems_give_exactly_their_findings() {
    let Some(data) = test_data_dir() else { return };
    let tmp = ffb_archive(&data);
    // duplicated records: the first two records of FFB1 HH1 appended to its own file
    let hh1 = tmp
        .path()
        .join("2016/BW/FFB1/HH1.D/BW.FFB1..HH1.D.2016.071");
    let bytes = std::fs::read(&hh1).unwrap();
    let rec = 512;
    assert!(bytes.len() >= 2 * rec);
    let mut doubled = bytes.clone();
    doubled.extend_from_slice(&bytes[..2 * rec]);
    std::fs::write(&hh1, doubled).unwrap();

    let inv = planted_metadata(&data);
    let archive = Archive::new(tmp.path(), Layout::Sds);
    let r = qc_archive(&archive, &inv, &QcOptions::default()).unwrap();
    let mut expected = vec![
        ("sample_rate_mismatch", Severity::Error, "BW.FFB1..HHZ"),
        ("data_outside_epochs", Severity::Error, "BW.FFB2..BHZ"),
        ("metadata_without_data", Severity::Warning, "BW.FFB2..BHZ"),
        ("metadata_without_data", Severity::Warning, "BW.FFB1..HHX"),
        ("duplicated_data", Severity::Warning, "BW.FFB1..HH1"),
    ];
    let ffb3: Vec<String> = ["BH1", "BH2", "BHZ", "HH1", "HH2", "HHZ"]
        .iter()
        .map(|c| format!("BW.FFB3..{c}"))
        .collect();
    for n in &ffb3 {
        expected.push(("data_without_metadata", Severity::Error, n));
    }
    assert_eq!(found(&r), set(&expected), "{:#?}", r.findings);
    assert_eq!(r.findings.len(), expected.len());

    let get = |c: Check, n: &str| {
        r.findings
            .iter()
            .find(|f| f.check == c && f.nslc.to_string() == n)
            .unwrap()
    };
    let dup = get(Check::DuplicatedData, "BW.FFB1..HH1");
    assert_eq!(dup.count, 2);
    let rate = get(Check::SampleRateMismatch, "BW.FFB1..HHZ");
    assert!(rate.message.contains("200 Hz") && rate.message.contains("100 Hz"));
    let late = get(Check::DataOutsideEpochs, "BW.FFB2..BHZ");
    assert!(late.message.contains("before the first epoch"));
    assert!(late.message.contains("2016-03-12"));
    // availability bounded by metadata: the late epoch does not touch the data day
    let bhz2 = r
        .streams
        .iter()
        .find(|s| s.nslc.to_string() == "BW.FFB2..BHZ")
        .unwrap();
    assert_eq!(bhz2.days[0].ts_percent_availability, None);
    assert!(bhz2.days[0].percent_availability > 0.0);
}

#[test]
fn header_path_and_record_format_rules() {
    let Some(data) = test_data_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // FFB1 HH1 records filed under the name of HH2
    let dir = tmp.path().join("2016/BW/FFB1/HH2.D");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        data.join("sds-small/2016/BW/FFB1/HH1.D/BW.FFB1..HH1.D.2016.071"),
        dir.join("BW.FFB1..HH2.D.2016.071"),
    )
    .unwrap();
    let inv = inventory(&data, &["obspy-core__ffbx.stationxml"]);
    let opts = QcOptions {
        selection: vec![NslcGlob::parse("BW.FFB1.*.HH?").unwrap()],
        rules: QcRules {
            record_length: Some(4096),
            encoding: Some(11),
            min_timing_quality: Some(101),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = qc_archive(&Archive::new(tmp.path(), Layout::Sds), &inv, &opts).unwrap();
    let hp = r
        .findings
        .iter()
        .find(|f| f.check == Check::HeaderPathMismatch)
        .unwrap();
    assert_eq!(hp.severity, Severity::Error);
    assert_eq!(hp.nslc.to_string(), "BW.FFB1..HH1");
    assert!(hp
        .path
        .as_deref()
        .unwrap()
        .ends_with("BW.FFB1..HH2.D.2016.071"));
    assert!(hp.message.contains("file name says BW.FFB1..HH2"));
    let rf: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::RecordFormat)
        .collect();
    assert!(rf.iter().any(|f| f.message.contains("record length 512")));
    // HH2 and HHZ have metadata and no data in this archive
    assert_eq!(r.count(Check::MetadataWithoutData), 2);
    assert_eq!(r.worst_severity(), Some(Severity::Error));
}

#[test]
fn bad_metadata_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bad.xml");
    std::fs::write(&p, "<FDSNStationXML><Network code=\"XX\">\n<Station").unwrap();
    let e = read_stationxml(&p).unwrap_err();
    assert_eq!(e.kind(), siqaco::ErrorKind::Metadata);
    assert!(e.to_string().contains("bad.xml"), "{e}");
}

/// Sum of the per-day header counts and timing quality of the one stream of a report.
fn stream_totals(r: &QcReport) -> (siqaco::qc::HeaderCounts, u64, Option<(u8, u8, f64)>) {
    assert_eq!(r.streams.len(), 1);
    let mut h = siqaco::qc::HeaderCounts::default();
    let mut records = 0;
    let (mut n, mut sum, mut lo, mut hi) = (0u64, 0.0, u8::MAX, 0u8);
    for d in &r.streams[0].days {
        records += d.records;
        for (a, b) in h
            .activity_flags
            .iter_mut()
            .zip(d.header_counts.activity_flags)
        {
            *a += b;
        }
        for (a, b) in h
            .io_and_clock_flags
            .iter_mut()
            .zip(d.header_counts.io_and_clock_flags)
        {
            *a += b;
        }
        for (a, b) in h
            .data_quality_flags
            .iter_mut()
            .zip(d.header_counts.data_quality_flags)
        {
            *a += b;
        }
        h.timing_correction += d.header_counts.timing_correction;
        if d.timing_quality_records > 0 {
            n += d.timing_quality_records;
            sum += d.timing_quality_mean.unwrap() * d.timing_quality_records as f64;
            lo = lo.min(d.timing_quality_min.unwrap());
            hi = hi.max(d.timing_quality_max.unwrap());
        }
    }
    (h, records, (n > 0).then(|| (lo, hi, sum / n as f64)))
}

fn single_file_archive(data: &Path, name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(data.join("mseed").join(name), tmp.path().join(name)).unwrap();
    tmp
}

/// Header flag counts and timing quality per day, with ObsPy's semantics (a record counts
/// in every day it meets). The values themselves are compared with ObsPy's own
/// `get_flags` on every test file by `tests/peers/test_qc_flags_vs_obspy.py`.
#[test]
fn header_flags_and_timing_quality_per_day() {
    let Some(data) = test_data_dir() else { return };
    let inv = Inventory::default();

    // qualityflags.mseed: 18 records with the same start, across the 2007/2008 midnight;
    // data quality bit i set in 9 - i records; every record has a time correction
    // (-0.15 s); no blockette 1001. Both days see all 18 records.
    let tmp = single_file_archive(&data, "obspy-io-mseed__qualityflags.mseed");
    let r = qc_archive(
        &Archive::new(tmp.path(), Layout::Files),
        &inv,
        &QcOptions::default(),
    )
    .unwrap();
    let days = &r.streams[0].days;
    assert_eq!(days.len(), 2);
    assert_eq!(days.iter().map(|d| d.records).sum::<u64>(), 18);
    for d in days {
        let h = &d.header_counts;
        assert_eq!(h.data_quality_flags, [9, 8, 7, 6, 5, 4, 3, 2]);
        assert_eq!(h.activity_flags, [0; 7]);
        assert_eq!(h.io_and_clock_flags, [0; 6]);
        assert_eq!(h.timing_correction, 18);
        assert_eq!(d.timing_quality_records, 0);
        // the records lie on top of each other: the time counts once, under the flags
        // of one record, so no flag can exceed the time with data
        let p = &d.header_percentages;
        assert!(p.timing_correction > 0.0);
        assert!(p
            .data_quality_flags
            .iter()
            .all(|&x| x <= p.timing_correction + 1e-9));
    }
    // the 18 records repeat the same samples: duplicates; no metadata at all
    let dup: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.check == Check::DuplicatedData)
        .collect();
    assert!(!dup.is_empty(), "{:#?}", r.findings);
    assert_eq!(dup.iter().map(|f| f.count).sum::<u64>(), 17);
    assert_eq!(r.count(Check::DataWithoutMetadata), 1);

    // timingquality.mseed: 101 contiguous records from 23:59:59.765, timing quality
    // 0..100 in steps of 1, each with a time correction.
    let tmp = single_file_archive(&data, "obspy-io-mseed__timingquality.mseed");
    let r = qc_archive(
        &Archive::new(tmp.path(), Layout::Files),
        &inv,
        &QcOptions {
            rules: QcRules {
                min_timing_quality: Some(50),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let (h, records, _) = stream_totals(&r);
    assert_eq!(records, 101);
    assert_eq!(h.data_quality_flags, [0; 8]);
    let second = &r.streams[0].days[1];
    assert_eq!(second.header_counts.timing_correction, 101);
    assert_eq!(second.timing_quality_records, 101);
    assert_eq!(
        (second.timing_quality_min, second.timing_quality_max),
        (Some(0), Some(100))
    );
    assert_eq!(second.timing_quality_mean, Some(50.0));
    assert_eq!(
        (
            second.timing_quality_lower_quartile,
            second.timing_quality_median,
            second.timing_quality_upper_quartile
        ),
        (Some(25.0), Some(50.0), Some(75.0))
    );
    // below the threshold on some day: a timing_quality warning
    assert!(r.count(Check::TimingQuality) >= 1);
    assert_eq!(r.count(Check::DuplicatedData), 0);
}

/// Two overlapping epochs of one channel, with data in the overlap.
#[test]
fn overlapping_epochs_and_data_in_both() {
    let Some(data) = test_data_dir() else { return };
    let tmp = ffb_archive(&data);
    let xml = std::fs::read_to_string(data.join("stationxml/obspy-core__ffbx.stationxml")).unwrap();
    let lines: Vec<&str> = xml.lines().collect();
    let ffb1 = lines
        .iter()
        .position(|l| l.contains("<Station code=\"FFB1\""))
        .unwrap();
    let bh1 = ffb1
        + lines[ffb1..]
            .iter()
            .position(|l| l.contains("<Channel code=\"BH1\""))
            .unwrap();
    let bh1_end = bh1
        + lines[bh1..]
            .iter()
            .position(|l| l.contains("</Channel>"))
            .unwrap();
    let mut out: Vec<String> = lines[..=bh1_end].iter().map(|l| l.to_string()).collect();
    // a second BH1 epoch from 2016-01-01 (open), overlapping the first (2015-07-31, open)
    for l in &lines[bh1..=bh1_end] {
        out.push(l.replace("2015-07-31T00:00:00", "2016-01-01T00:00:00"));
    }
    out.extend(lines[bh1_end + 1..].iter().map(|l| l.to_string()));
    let inv = parse_stationxml(out.join("\n").as_bytes(), "overlap.xml").unwrap();
    let opts = QcOptions {
        selection: vec![NslcGlob::parse("BW.FFB1..BH1").unwrap()],
        ..Default::default()
    };
    let r = qc_archive(&Archive::new(tmp.path(), Layout::Sds), &inv, &opts).unwrap();
    let expected = set(&[
        ("overlapping_epochs", Severity::Error, "BW.FFB1..BH1"),
        ("multiple_epochs", Severity::Error, "BW.FFB1..BH1"),
    ]);
    assert_eq!(found(&r), expected, "{:#?}", r.findings);
    let ov = r
        .findings
        .iter()
        .find(|f| f.check == Check::OverlappingEpochs)
        .unwrap();
    assert_eq!(ov.start_ns, Some(parse_time("2016-01-01").unwrap()));
    assert_eq!(ov.end_ns, None);
    assert_eq!(r.streams[0].epochs, 2);
}

/// ts_percent_availability: the denominator is the day cut to the epoch.
#[test]
fn availability_bounded_by_a_mid_day_epoch() {
    let Some(data) = test_data_dir() else { return };
    let tmp = ffb_archive(&data);
    let xml = std::fs::read_to_string(data.join("stationxml/obspy-core__ffbx.stationxml")).unwrap();
    // every FFB1 channel epoch starts at 11:34:45 on the data day
    let xml = xml.replace(
        "startDate=\"2015-07-31T00:00:00+00:00\"",
        "startDate=\"2016-03-11T11:34:45+00:00\"",
    );
    let inv = parse_stationxml(xml.as_bytes(), "midday.xml").unwrap();
    let day = parse_time("2016-03-11").unwrap();
    let opts = QcOptions {
        selection: vec![NslcGlob::parse("BW.FFB1..HH1").unwrap()],
        window: Some((day, day + 86_400_000_000_000)),
        ..Default::default()
    };
    let r = qc_archive(&Archive::new(tmp.path(), Layout::Sds), &inv, &opts).unwrap();
    let expected = set(&[("data_outside_epochs", Severity::Error, "BW.FFB1..HH1")]);
    assert_eq!(found(&r), expected, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.end_ns, Some(parse_time("2016-03-11T11:34:45").unwrap()));
    let d = &r.streams[0].days[0];
    let epoch_s = 86_400.0 - (11.0 * 3600.0 + 34.0 * 60.0 + 45.0);
    assert!((d.epoch_s - epoch_s).abs() < 1e-9);
    // 200 Hz data from 11:34:44.015 to 11:34:46.020 (coverage end): 1.02 s inside the epoch
    let ts = d.ts_percent_availability.unwrap();
    assert!((ts - 1.02 / epoch_s * 100.0).abs() < 1e-9, "{ts}");
    assert!((d.percent_availability - 2.005 / 86_400.0 * 100.0).abs() < 1e-9);
}

/// A cancelled run reads no file and checks no stream.
#[test]
fn cancelled_run_checks_nothing() {
    let Some(data) = test_data_dir() else { return };
    let inv = inventory(&data, &["obspy-core__ffbx.stationxml"]);
    let archive = Archive::new(data.join("sds-small"), Layout::Sds);
    let mut opts = QcOptions::default();
    let r = qc_archive(&archive, &inv, &opts).unwrap();
    assert!(r.files > 0 && !r.streams.is_empty());
    opts.cancel = Some(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
        true,
    )));
    let r = qc_archive(&archive, &inv, &opts).unwrap();
    assert_eq!((r.files, r.records, r.streams.len()), (0, 0, 0));
}
