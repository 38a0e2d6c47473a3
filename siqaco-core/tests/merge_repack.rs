//! Re-encoding keeps every sample's time (issue #16, defect 5): the real `IU.COLA.00.BH?`
//! day files of `sds-small` (miniSEED 2, 20 Hz, record starts jittering by 1–3 µs) and
//! `IU.COLA.00.LH?` (miniSEED 3, 1 Hz), repacked with other encodings, record lengths and
//! format versions, keep the time and the value of every sample as libmseed reads them
//! (decoded by libmseed, sample times by libmseed's `ms_sampletime`), to the resolution of
//! the output format; with an overlapping patch and `ArchivePolicy::Wins` the repacked
//! result passes the verification and keeps the archive's samples where they were.

use siqaco::codec::{decode_record, encode, PackOptions, Samples};
use siqaco::merge::verify::verify_stream;
use siqaco::merge::{
    merge_stream, split_records, ArchiveDay, ArchivePolicy, MergeOptions, PatchInput,
};
use siqaco::record::parse_record;
use siqaco::testing::test_data_dir;
use siqaco::time::day_floor;
use siqaco::Nslc;
use std::path::PathBuf;

/// The `IU.COLA.00.<channel>` day file of 2010-02-27 in `sds-small`.
fn cola(channel: &str) -> Option<(Nslc, Vec<u8>)> {
    let data = test_data_dir()?;
    let path: PathBuf = data.join(format!(
        "sds-small/2010/IU/COLA/{channel}.D/IU.COLA.00.{channel}.D.2010.058"
    ));
    Some((
        Nslc::new("IU", "COLA", "00", channel),
        std::fs::read(path).unwrap(),
    ))
}

/// (time ns, value) of every sample of `bytes` as libmseed reads them: samples and start
/// time from `msr3_parse`, sample times from `ms_sampletime`; sorted by time.
fn libmseed_samples(bytes: &[u8]) -> Vec<(i64, f64)> {
    let mut out = Vec::new();
    for raw in split_records(bytes).unwrap() {
        let d = decode_record(raw).unwrap();
        let values: Vec<f64> = match d.samples {
            Samples::Int32(v) => v.into_iter().map(f64::from).collect(),
            Samples::Float32(v) => v.into_iter().map(f64::from).collect(),
            Samples::Float64(v) => v,
            Samples::Text(_) => continue,
        };
        for (i, v) in values.into_iter().enumerate() {
            // SAFETY: a pure function of its arguments.
            let t =
                unsafe { siqaco_mseed_sys::ms_sampletime(d.start_ns, i as i64, d.sample_rate_hz) };
            out.push((t, v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    out
}

/// The samples of `bytes` with times floored to `resolution_ns`.
fn at_resolution(samples: &[(i64, f64)], resolution_ns: i64) -> Vec<(i64, f64)> {
    samples
        .iter()
        .map(|&(t, v)| (t.div_euclid(resolution_ns) * resolution_ns, v))
        .collect()
}

/// Asserts that two sorted sample lists are equal, naming how many samples differ and the
/// first difference (a full dump of a day is unreadable).
fn assert_same(got: &[(i64, f64)], expected: &[(i64, f64)], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: samples lost or added");
    let differ: Vec<_> = got.iter().zip(expected).filter(|(a, b)| a != b).collect();
    assert!(
        differ.is_empty(),
        "{what}: {} samples moved or changed, the first (output, input) {:?}",
        differ.len(),
        differ[0]
    );
}

/// How many records of `bytes` do not start at the time libmseed computes for the sample
/// after the previous record's last one: the jitter a repack must not absorb.
fn jittered_starts(bytes: &[u8]) -> usize {
    let mut prev: Option<(i64, i64, f64)> = None;
    let mut n = 0;
    for raw in split_records(bytes).unwrap() {
        let h = parse_record(raw).unwrap();
        if let Some((s, c, rate)) = prev {
            // SAFETY: a pure function of its arguments.
            let expected = unsafe { siqaco_mseed_sys::ms_sampletime(s, c, rate) };
            let d = h.start_ns - expected;
            if d != 0 && d.abs() < 1_000_000 {
                n += 1;
            }
        }
        prev = Some((h.start_ns, h.sample_count, h.sample_rate_hz));
    }
    n
}

/// Merge options writing records of `encoding`, `record_length` and `format_version`.
fn output(encoding: u8, record_length: usize, format_version: u8) -> MergeOptions {
    let mut opts = MergeOptions::default();
    opts.output.record_length = Some(record_length);
    opts.output.encoding = Some(encoding);
    opts.output.format_version = Some(format_version);
    opts
}

/// The day bytes of a merge of one stream, concatenated over its days.
fn merged_bytes(m: &siqaco::merge::StreamMerge) -> Vec<u8> {
    m.days
        .iter()
        .flat_map(|d| d.bytes.iter().copied())
        .collect()
}

#[test]
fn repacked_cola_day_files_keep_every_sample_time() {
    let cases = [(11, 4096, 2), (11, 4096, 3), (10, 512, 2), (3, 8192, 3)];
    for channel in ["BH1", "BH2", "BHZ", "LH1", "LH2", "LHZ"] {
        let Some((nslc, bytes)) = cola(channel) else {
            return;
        };
        let input = libmseed_samples(&bytes);
        assert!(input.len() > 4000, "{channel}: {} samples", input.len());
        if channel.starts_with("BH") {
            // the defect's precondition: the real records jitter
            assert!(jittered_starts(&bytes) > 50, "{channel}");
        }
        let records = split_records(&bytes).unwrap();
        for (encoding, record_length, version) in cases {
            let opts = output(encoding, record_length, version);
            let day = day_floor(parse_record(records[0]).unwrap().start_ns);
            let patches = [PatchInput {
                priority: 1,
                records: records.clone(),
            }];
            let m = merge_stream(&nslc, &[], &patches, (day, day), &opts).unwrap();
            let out = merged_bytes(&m);
            let what = format!("{channel} → encoding {encoding}, {record_length} B, v{version}");
            let resolution = if version == 2 { 1_000 } else { 1 };
            let got = libmseed_samples(&out);
            assert_same(
                &at_resolution(&got, resolution),
                &at_resolution(&input, resolution),
                &what,
            );
            // records that follow exactly are still joined into longer records
            let n_out = split_records(&out).unwrap().len();
            if record_length >= 4096 && channel.starts_with("BH") {
                assert!(n_out * 3 < records.len(), "{what}: {n_out} records");
            }
            let outputs: Vec<(i64, &[u8])> = m
                .days
                .iter()
                .map(|d| (d.day_start_ns, &d.bytes[..]))
                .collect();
            verify_stream(&nslc, &[], &patches, &outputs, &opts).unwrap();
        }
    }
}

/// The day repacked as one run by libmseed (`msr3_pack` from the first sample's time), as
/// a data centre that repacks serves it: its samples after a jittered record start sit a
/// few µs from the archive's.
fn repacked_by_libmseed(nslc: &Nslc, bytes: &[u8]) -> Vec<u8> {
    let records = split_records(bytes).unwrap();
    let first = decode_record(records[0]).unwrap();
    let mut all: Vec<i32> = Vec::new();
    for raw in &records {
        match decode_record(raw).unwrap().samples {
            Samples::Int32(v) => all.extend(v),
            other => panic!("integer samples expected, got {}", other.sample_type()),
        }
    }
    let pack = PackOptions::default()
        .with_record_length(4096)
        .with_encoding(11)
        .with_format_version(2)
        .with_pub_version(2);
    encode(
        nslc,
        first.start_ns,
        first.sample_rate_hz,
        &Samples::Int32(all),
        &pack,
    )
    .unwrap()
}

#[test]
fn repack_with_overlapping_patch_and_archive_wins_verifies() {
    for channel in ["BH1", "BH2", "BHZ"] {
        let Some((nslc, bytes)) = cola(channel) else {
            return;
        };
        let records = split_records(&bytes).unwrap();
        // the archive lacks records 40..46; the patch is the whole day, moved by libmseed
        let archive_file: Vec<u8> = records
            .iter()
            .enumerate()
            .filter(|(k, _)| !(40..46).contains(k))
            .flat_map(|(_, r)| r.iter().copied())
            .collect();
        let patch = repacked_by_libmseed(&nslc, &bytes);
        let patch_samples = libmseed_samples(&patch);
        let input = libmseed_samples(&bytes);
        // the patch's times differ from the archive's: the test needs them to
        let moved = patch_samples
            .iter()
            .zip(&input)
            .filter(|(a, b)| a.0 != b.0)
            .count();
        assert!(
            moved > 1000,
            "{channel}: {moved} samples moved by the libmseed repack"
        );
        let day = day_floor(input[0].0);
        let archive = [ArchiveDay {
            day_start_ns: day,
            bytes: &archive_file,
        }];
        let patch_records = split_records(&patch).unwrap();
        let patches = [PatchInput {
            priority: 1,
            records: patch_records,
        }];
        let mut opts = output(11, 4096, 2);
        opts.policy = ArchivePolicy::Wins;
        let m = merge_stream(&nslc, &archive, &patches, (day, day), &opts).unwrap();
        let out = merged_bytes(&m);
        let outputs: Vec<(i64, &[u8])> = m
            .days
            .iter()
            .map(|d| (d.day_start_ns, &d.bytes[..]))
            .collect();
        verify_stream(&nslc, &archive, &patches, &outputs, &opts)
            .unwrap_or_else(|e| panic!("{channel}: {e}"));
        // Every archive sample is in the output at its own time with its value; the rest
        // are the patch's samples in the archive's gap, at the patch's times.
        let got = libmseed_samples(&out);
        let kept = libmseed_samples(&archive_file);
        let (gap_start, gap_end) = (
            parse_record(records[39]).unwrap().end_ns(),
            parse_record(records[46]).unwrap().start_ns,
        );
        let filled: Vec<(i64, f64)> = patch_samples
            .iter()
            .copied()
            .filter(|&(t, _)| t > gap_start + 25_000_000 && t < gap_end - 25_000_000)
            .collect();
        let mut expected = kept.clone();
        expected.extend(&filled);
        expected.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        assert_eq!(got.len(), input.len(), "{channel}: samples lost or added");
        assert_same(&got, &expected, channel);
    }
}

/// The verification proves that no re-encoded sample moved beyond the output format's
/// time resolution.
#[test]
fn verification_rejects_moved_sample_times() {
    // The result the merge wrote before issue #16 (the day packed as one run, its samples
    // after each jittered record start moved by 1–3 µs) kept every value and lost no
    // sample, and passed the verification; it no longer does.
    let Some((nslc, bytes)) = cola("BHZ") else {
        return;
    };
    let records = split_records(&bytes).unwrap();
    let moved = repacked_by_libmseed(&nslc, &bytes);
    let day = day_floor(parse_record(records[0]).unwrap().start_ns);
    let patches = [PatchInput {
        priority: 1,
        records,
    }];
    let opts = output(11, 4096, 2);
    let err = verify_stream(&nslc, &[], &patches, &[(day, &moved[..])], &opts).unwrap_err();
    assert!(err.to_string().contains("moved by"), "{err}");
    // the merge's own repack of the same records passes
    let m = merge_stream(&nslc, &[], &patches, (day, day), &opts).unwrap();
    verify_stream(&nslc, &[], &patches, &[(day, &m.days[0].bytes[..])], &opts).unwrap();
}
