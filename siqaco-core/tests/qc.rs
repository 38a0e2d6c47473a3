//! Quality control against real data and StationXML from `tests/data`, and against copies
//! with planted problems.

use siqaco::archive::{Archive, Layout};
use siqaco::qc::{qc_archive, Check, QcOptions, QcReport, Severity};
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
    let mut opts = QcOptions::default();
    opts.window = Some((day, day + 86_400_000_000_000));
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
    let mut opts = QcOptions::default();
    opts.selection = vec![NslcGlob::parse("BW.FFB1.*.HH?").unwrap()];
    opts.rules.record_length = Some(4096);
    opts.rules.encoding = Some(11);
    opts.rules.min_timing_quality = Some(101);
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
    std::fs::write(&p, "<FDSNStationXML xmlns=\"http://www.fdsn.org/xml/station/1\"><Network code=\"XX\">\n<Station").unwrap();
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
    let mut opts = QcOptions::default();
    opts.rules.min_timing_quality = Some(50);
    let r = qc_archive(&Archive::new(tmp.path(), Layout::Files), &inv, &opts).unwrap();
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
    let r = qc_selected(tmp.path(), &inv, "BW.FFB1..BH1");
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
    let mut opts = QcOptions::default();
    opts.selection = vec![NslcGlob::parse("BW.FFB1..HH1").unwrap()];
    opts.window = Some((day, day + 86_400_000_000_000));
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

/// QC of the SDS archive at `root` against `inv`, for the streams of `glob`.
fn qc_selected(root: &Path, inv: &Inventory, glob: &str) -> QcReport {
    let mut opts = QcOptions::default();
    opts.selection = vec![NslcGlob::parse(glob).unwrap()];
    qc_archive(&Archive::new(root, Layout::Sds), inv, &opts).unwrap()
}

/// The ffbx StationXML with the lines of one FFB1 channel (`<Channel code="…"` to its
/// `</Channel>`) replaced by `f(block)`.
fn ffbx_with_ffb1_channel(data: &Path, code: &str, f: impl Fn(&str) -> String) -> String {
    let xml = std::fs::read_to_string(data.join("stationxml/obspy-core__ffbx.stationxml")).unwrap();
    ffbx_with_ffb1_channel_text(&xml, code, f)
}

/// [`ffbx_with_ffb1_channel`] on a text already read.
fn ffbx_with_ffb1_channel_text(xml: &str, code: &str, f: impl Fn(&str) -> String) -> String {
    let ffb1 = xml.find("<Station code=\"FFB1\"").unwrap();
    let start = ffb1
        + xml[ffb1..]
            .find(&format!("<Channel code=\"{code}\""))
            .unwrap();
    let start = xml[..start].rfind('\n').unwrap() + 1;
    let end = start + xml[start..].find("</Channel>").unwrap() + "</Channel>\n".len();
    format!("{}{}{}", &xml[..start], f(&xml[start..end]), &xml[end..])
}

/// First and last sample of a stream in a shared-data file, from MANIFEST.json (pymseed).
fn manifest_span(data: &Path, file: &str, nslc: &str) -> (i64, i64) {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("MANIFEST.json")).unwrap()).unwrap();
    let e = m
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == file)
        .unwrap();
    let s = &e["per_nslc"][nslc];
    let t = |k: &str| parse_time(s[k].as_str().unwrap()).unwrap();
    (t("start"), t("end"))
}

/// Issue #16 defect 7: 2 000 copies of one channel epoch (half of them at another sample
/// rate) give one finding per check with the counts, not one per pair (the unmodified
/// code built 4 million findings and aborted after 3.8 GB). Data: ffbx FFB1 BH1, 40 Hz,
/// with one gap (ObsPy and msi), so two segments and two traces.
#[test]
fn two_thousand_copies_of_one_epoch_give_one_finding_per_check() {
    let Some(data) = test_data_dir() else { return };
    let tmp = ffb_archive(&data);
    let xml = ffbx_with_ffb1_channel(&data, "BH1", |block| {
        let slow = block.replace(">40.0</SampleRate>", ">20.0</SampleRate>");
        assert_ne!(slow, block);
        [block, slow.as_str()].concat().repeat(1000)
    });
    let inv = parse_stationxml(xml.as_bytes(), "copies.xml").unwrap();
    let nslc = Nslc::new("BW", "FFB1", "", "BH1");
    assert_eq!(inv.epochs_for(&nslc).len(), 2000);
    let r = qc_selected(tmp.path(), &inv, "BW.FFB1..BH1");
    let expected = set(&[
        ("overlapping_epochs", Severity::Error, "BW.FFB1..BH1"),
        ("multiple_epochs", Severity::Error, "BW.FFB1..BH1"),
        ("sample_rate_mismatch", Severity::Error, "BW.FFB1..BH1"),
    ]);
    assert_eq!(found(&r), expected, "{:#?}", r.findings);
    assert_eq!(r.findings.len(), 3);
    let get = |c: Check| r.findings.iter().find(|f| f.check == c).unwrap();
    let epoch_start = parse_time("2015-07-31").unwrap();
    let (first, last) = manifest_span(
        &data,
        "mseed/obspy-core__ffbx_unrotated_gaps.mseed",
        "BW.FFB1..BH1",
    );
    let period = 25_000_000; // 40 Hz

    let ov = get(Check::OverlappingEpochs);
    assert_eq!(ov.count, 2000 * 1999 / 2);
    assert_eq!((ov.start_ns, ov.end_ns), (Some(epoch_start), None));
    assert_eq!(ov.examples.len(), siqaco::qc::MAX_EXAMPLES);
    assert!(ov.message.contains("1999000 pair(s) of the 2000 epoch(s)"));

    let me = get(Check::MultipleEpochs);
    assert_eq!(me.count, 2, "{me:?}");
    assert_eq!((me.start_ns, me.end_ns), (Some(first), Some(last + period)));
    assert_eq!(me.examples.len(), 2);

    let rate = get(Check::SampleRateMismatch);
    assert_eq!(rate.count, 2, "{rate:?}");
    assert_eq!(
        (rate.start_ns, rate.end_ns),
        (Some(first), Some(last + period))
    );
    assert!(
        rate.message.contains("data at 40 Hz") && rate.message.contains("says 20 Hz"),
        "{}",
        rate.message
    );
    assert_eq!(r.streams[0].epochs, 2000);
}

/// A v3 record of the test data with its sample rate replaced (bytes 16..24, f64 LE)
/// and its CRC (bytes 28..32) recomputed with libmseed's CRC-32C, so that only the rate
/// is hostile.
fn v3_record_at(data: &Path, rate: f64) -> Vec<u8> {
    let src =
        std::fs::read(data.join("mseed/libmseed__reference-testdata-steim2.v3.mseed")).unwrap();
    let le16 = |i: usize| u16::from_le_bytes([src[i], src[i + 1]]) as usize;
    let le32 = |i: usize| u32::from_le_bytes(src[i..i + 4].try_into().unwrap()) as usize;
    let len = 40 + src[33] as usize + le16(34) + le32(36);
    let mut rec = src[..len].to_vec();
    rec[16..24].copy_from_slice(&rate.to_le_bytes());
    rec[28..32].fill(0);
    // SAFETY: a pointer and the length of a live buffer.
    let crc = unsafe { siqaco_mseed_sys::ms_crc32c(rec.as_ptr(), rec.len() as i32, 0) };
    rec[28..32].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        siqaco::record::parse_record_structure(&rec)
            .unwrap()
            .crc_ok(),
        Some(true)
    );
    rec
}

/// Issue #16 defect 3: a record at 1e15 Hz made `qc` panic (index out of bounds: data
/// with a rate and no coverage), one at 1e-9 Hz overflowed the per-day arithmetic. Any
/// rate that reaches QC gives a finding or an error naming the record, never a panic.
#[test]
fn hostile_sample_rates_give_a_finding_or_an_error() {
    let Some(data) = test_data_dir() else { return };
    let inv = inventory(&data, &["obspy-core__BW_RJOB.xml"]);
    for rate in [1e15, 1e300, f64::MAX, 1e-9, 1e-12, 3e-300] {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("rec.mseed"), v3_record_at(&data, rate)).unwrap();
        let archive = Archive::new(tmp.path(), Layout::Files);
        let r = qc_archive(&archive, &inv, &QcOptions::default()).unwrap();
        let band = r
            .findings
            .iter()
            .filter(|f| f.nslc.to_string() == "XX.TEST..BHZ")
            .collect::<Vec<_>>();
        if r.errors.is_empty() {
            // read: the rate is outside band B (10-80 Hz), one finding for the one rate
            assert_eq!(r.records, 1, "{rate}");
            assert!(rate > 1.0, "{rate}: {:#?}", r.findings);
            assert_eq!(band.len(), 1, "{rate}: {band:#?}");
            assert_eq!((band[0].check, band[0].count), (Check::BandCodeRate, 1));
            let said = format!("data at {rate:e} Hz");
            assert!(band[0].message.contains(&said), "{}", band[0].message);
        } else {
            // refused: named with its byte offset, and nothing of it checked
            assert_eq!(r.errors.len(), 1, "{rate}");
            assert_eq!(
                (r.errors[0].path.as_str(), r.errors[0].offset),
                ("rec.mseed", Some(0))
            );
            assert!(band.is_empty(), "{rate}: {band:#?}");
            assert_eq!(r.records, 0);
        }
        if rate < 1.0 {
            assert_eq!(r.errors.len(), 1, "{rate}: {:#?}", r.findings);
        }
    }
}

/// An epoch ending before it starts, and `SampleRate` INF, NaN or negative: valid for the
/// FDSN schema (`xs:double`; attribute order is not constrained) and read by ObsPy 1.5, so
/// the reader keeps them and QC reports each stream once (`invalid_epoch`); the reversed
/// epoch covers no time, so its data is outside every epoch, and the bad rates are not
/// compared with the data.
#[test]
fn reversed_epochs_and_impossible_rates_are_findings() {
    let Some(data) = test_data_dir() else { return };
    let tmp = ffb_archive(&data);
    let mut xml =
        std::fs::read_to_string(data.join("stationxml/obspy-core__ffbx.stationxml")).unwrap();
    for (code, from, to) in [
        ("BH1", ">40.0</SampleRate>", ">INF</SampleRate>"),
        ("BH2", ">40.0</SampleRate>", ">NaN</SampleRate>"),
        ("HH1", ">200.0</SampleRate>", ">-200.0</SampleRate>"),
        (
            "HH2",
            "startDate=\"2015-07-31T00:00:00+00:00\">",
            "startDate=\"2015-07-31T00:00:00+00:00\" endDate=\"2015-07-30T00:00:00\">",
        ),
    ] {
        xml = ffbx_with_ffb1_channel_text(&xml, code, |b| b.replacen(from, to, 1));
    }
    let inv = parse_stationxml(xml.as_bytes(), "invalid.xml").unwrap();
    let rate = |c: &str| inv.epochs_for(&Nslc::new("BW", "FFB1", "", c))[0].sample_rate_hz;
    assert_eq!(rate("BH1"), Some(f64::INFINITY));
    assert!(rate("BH2").unwrap().is_nan());
    assert_eq!(rate("HH1"), Some(-200.0));
    let r = qc_selected(tmp.path(), &inv, "BW.FFB1.*.*");
    let expected = set(&[
        ("invalid_epoch", Severity::Error, "BW.FFB1..BH1"),
        ("invalid_epoch", Severity::Error, "BW.FFB1..BH2"),
        ("invalid_epoch", Severity::Error, "BW.FFB1..HH1"),
        ("invalid_epoch", Severity::Error, "BW.FFB1..HH2"),
        ("data_outside_epochs", Severity::Error, "BW.FFB1..HH2"),
    ]);
    assert_eq!(found(&r), expected, "{:#?}", r.findings);
    assert_eq!(r.findings.len(), 5);
    for f in &r.findings {
        assert_eq!(f.count, 1, "{f:?}");
    }
    let msg = |c: Check, n: &str| {
        r.findings
            .iter()
            .find(|f| f.check == c && f.nslc.channel == n)
            .unwrap()
            .message
            .clone()
    };
    assert!(msg(Check::InvalidEpoch, "BH1").contains("SampleRate inf"));
    assert!(msg(Check::InvalidEpoch, "BH2").contains("SampleRate NaN"));
    assert!(msg(Check::InvalidEpoch, "HH1").contains("SampleRate -200"));
    assert!(msg(Check::InvalidEpoch, "HH2")
        .contains("endDate 2015-07-30T00:00:00.000000Z is before startDate 2015-07-31"));
    assert!(msg(Check::DataOutsideEpochs, "HH2").contains("outside every epoch"));
}

/// ObsPy's own random-inventory test file holds channel epochs ending before they start
/// and negative sample rates (ObsPy 1.5.1 reads them: tests/data/stationxml_obspy.json).
/// QC reports exactly those channels, once each, as `invalid_epoch`.
#[test]
fn obspy_random_inventory_invalid_epochs_are_the_ones_obspy_reads_as_such() {
    let Some(data) = test_data_dir() else { return };
    let name = "stationxml/obspy-io-stationxml__full_random_stationxml.xml";
    let oracle: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stationxml_obspy.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let file = oracle["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == name)
        .unwrap();
    let ns = |t: &serde_json::Value| t["ns"].as_str().map(|s| s.parse::<i128>().unwrap());
    let mut expected = BTreeSet::new();
    for n in file["networks"].as_array().unwrap() {
        for s in n["stations"].as_array().unwrap() {
            for c in s["channels"].as_array().unwrap() {
                let negative = c["sample_rate_hz"].as_f64().is_some_and(|r| r < 0.0);
                let reversed =
                    matches!((ns(&c["start"]), ns(&c["end"])), (Some(a), Some(b)) if b < a);
                if negative || reversed {
                    expected.insert((
                        "invalid_epoch",
                        Severity::Error,
                        c["nslc"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    assert_eq!(expected.len(), 5);
    let inv = read_stationxml(&data.join(name)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let r = qc_archive(
        &Archive::new(tmp.path(), Layout::Files),
        &inv,
        &QcOptions::default(),
    )
    .unwrap();
    let invalid: BTreeSet<_> = found(&r)
        .into_iter()
        .filter(|f| f.0 == "invalid_epoch")
        .collect();
    assert_eq!(invalid, expected);
    assert!(r
        .findings
        .iter()
        .filter(|f| f.check == Check::InvalidEpoch)
        .all(|f| f.count == 1 && f.examples.len() == 1));
}
