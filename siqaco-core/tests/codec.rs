//! libmseed decode/encode through `siqaco::codec`: every data record of the shared test
//! data decodes to as many samples as its header declares, encode → decode round trips
//! are exact, and the scanner reads encoded records with the right times and counts.

use siqaco::codec::{decode_record, encode, PackOptions, Samples};
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::testing::{files_in, test_data_dir};
use siqaco::time::{parse_time, sample_time};
use siqaco::Nslc;

#[test]
fn every_data_record_decodes_to_its_sample_count() {
    let Some(dir) = test_data_dir() else { return };
    let files: Vec<_> = files_in(&dir.join("mseed"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "mseed"))
        .collect();
    assert!(files.len() > 100);
    let (mut decoded, mut samples, mut failures) = (0usize, 0usize, Vec::new());
    let mut encodings = std::collections::BTreeSet::new();
    for file in &files {
        let buf = std::fs::read(file).unwrap();
        for item in RecordScanner::new(&buf) {
            let ScanItem::Record { offset, header } = item else {
                continue;
            };
            if header.sample_count == 0 {
                continue;
            }
            match decode_record(&buf[offset as usize..]) {
                Ok(d) => {
                    let ctx = format!("{} @ {offset}", file.display());
                    assert_eq!(d.samples.len() as i64, header.sample_count, "{ctx}");
                    assert_eq!(d.sample_count, header.sample_count, "{ctx}");
                    assert_eq!(d.start_ns, header.start_ns, "{ctx}");
                    assert_eq!(d.nslc, header.nslc(), "{ctx}");
                    assert_eq!(d.record_length, header.record_length, "{ctx}");
                    assert_eq!(d.format_version, header.format_version, "{ctx}");
                    assert_eq!(d.pub_version, header.pub_version, "{ctx}");
                    assert_eq!(
                        d.sample_rate_hz.to_bits(),
                        header.sample_rate_hz.to_bits(),
                        "{ctx}"
                    );
                    if header.encoding == 0 {
                        assert!(matches!(d.samples, Samples::Text(_)), "{ctx}");
                    }
                    decoded += 1;
                    samples += d.samples.len();
                    encodings.insert(header.encoding);
                }
                Err(e) => failures.push(format!("{} @ {offset}: {e}", file.display())),
            }
        }
    }
    eprintln!("{decoded} records, {samples} samples decoded");
    for f in &failures {
        eprintln!("decode failure: {f}");
    }
    assert!(
        failures.is_empty(),
        "{} records failed to decode",
        failures.len()
    );
    assert!(decoded > 3000);
    // Text, int16, int32, float32, float64, Steim1, Steim2, GEOSCOPE 16-bit with 4-bit
    // exponent, CDSN, SRO, DWWSSN and records without blockette 1000 (Steim1).
    for e in [0u8, 1, 3, 4, 5, 10, 11, 14, 16, 30, 32, 255] {
        assert!(
            encodings.contains(&e),
            "no record with encoding {e} decoded: {encodings:?}"
        );
    }
}

/// The codec runs on several threads at once (per-thread libmseed logging, no shared
/// state) and gives the same samples as on one thread.
#[test]
fn decodes_concurrently() {
    let Some(dir) = test_data_dir() else { return };
    let buf =
        std::fs::read(dir.join("mseed/pymseed-tests__testdata-COLA-signal.v3.mseed")).unwrap();
    let offsets: Vec<usize> = RecordScanner::new(&buf)
        .filter_map(|i| match i {
            ScanItem::Record { offset, .. } => Some(offset as usize),
            _ => None,
        })
        .collect();
    let one: Vec<_> = offsets
        .iter()
        .map(|&o| decode_record(&buf[o..]).unwrap().samples)
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    offsets
                        .iter()
                        .map(|&o| decode_record(&buf[o..]).unwrap().samples)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), one);
        }
    });
    // Errors raised on a worker thread carry libmseed's message too.
    let err = std::thread::spawn(|| {
        encode(
            &Nslc::new("XX", "T", "", "BHZ"),
            0,
            1.0,
            &Samples::Int32(vec![1]),
            &PackOptions::default().with_record_length(1000),
        )
        .unwrap_err()
        .to_string()
    })
    .join()
    .unwrap();
    assert!(err.contains("not a power of 2"), "{err}");
}

/// A deterministic random walk (LCG) with values up to about ±`amplitude`.
fn walk(n: usize, amplitude: i32, seed: u64) -> Vec<i32> {
    let mut x = seed;
    let mut v = 0i64;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let step = ((x >> 33) % 201) as i64 - 100;
            v = (v + step).clamp(-(amplitude as i64), amplitude as i64);
            v as i32
        })
        .collect()
}

fn samples_for(encoding: u8, n: usize) -> Samples {
    let ints = walk(n, if encoding == 1 { 32_000 } else { 5_000_000 }, 7);
    match encoding {
        4 => Samples::Float32(ints.iter().map(|&i| i as f32 * 0.25 + 0.125).collect()),
        5 => Samples::Float64(ints.iter().map(|&i| i as f64 / 3.0).collect()),
        0 => Samples::Text((0..n).map(|i| b"siqaco round trip text "[i % 23]).collect()),
        _ => Samples::Int32(ints),
    }
}

fn concat(parts: Vec<Samples>) -> Samples {
    let mut it = parts.into_iter();
    let mut acc = it.next().unwrap();
    for p in it {
        match (&mut acc, p) {
            (Samples::Int32(a), Samples::Int32(b)) => a.extend(b),
            (Samples::Float32(a), Samples::Float32(b)) => a.extend(b),
            (Samples::Float64(a), Samples::Float64(b)) => a.extend(b),
            (Samples::Text(a), Samples::Text(b)) => a.extend(b),
            _ => panic!("mixed sample types"),
        }
    }
    acc
}

#[test]
fn encode_decode_round_trip_all_encodings_versions_lengths() {
    let nslc = Nslc::new("XX", "SIQ", "00", "HHZ");
    let start = parse_time("2024-02-29T23:59:58.123456Z").unwrap();
    let rate = 100.0;
    let n = 3000;
    let mut combos = 0;
    for encoding in [1u8, 3, 4, 5, 10, 11, 0] {
        for format_version in [2u8, 3] {
            for record_length in [256usize, 512, 1024, 2048, 4096, 8192] {
                let samples = samples_for(encoding, n);
                let opts = PackOptions::default()
                    .with_record_length(record_length)
                    .with_encoding(encoding)
                    .with_format_version(format_version)
                    .with_pub_version(3);
                let ctx = format!("encoding {encoding} v{format_version} {record_length} B");
                let bytes = encode(&nslc, start, rate, &samples, &opts)
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let mut parts = Vec::new();
                let mut count = 0i64;
                for item in RecordScanner::new(&bytes) {
                    let ScanItem::Record { offset, header } = item else {
                        panic!("{ctx}: unreadable bytes in encoded output: {item:?}");
                    };
                    assert_eq!(header.format_version, format_version, "{ctx}");
                    assert!(header.record_length <= record_length, "{ctx}");
                    if format_version == 2 {
                        assert_eq!(header.record_length, record_length, "{ctx}");
                        assert_eq!(header.quality, b'Q', "{ctx}");
                    }
                    assert_eq!(header.encoding, encoding, "{ctx}");
                    assert_eq!(header.pub_version, 3, "{ctx}");
                    assert_eq!(header.nslc(), nslc, "{ctx}");
                    assert_eq!(header.sample_rate_hz, rate, "{ctx}");
                    // Each record starts where libmseed's sample-time arithmetic puts it.
                    assert_eq!(header.start_ns, sample_time(start, count, rate), "{ctx}");
                    let d = decode_record(&bytes[offset as usize..])
                        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    assert_eq!(d.samples.len() as i64, header.sample_count, "{ctx}");
                    count += header.sample_count;
                    parts.push(d.samples);
                }
                assert_eq!(count, n as i64, "{ctx}");
                assert_eq!(concat(parts), samples, "{ctx}");
                combos += 1;
            }
        }
    }
    assert_eq!(combos, 7 * 2 * 6);
}

#[test]
fn encode_rejects_bad_arguments() {
    let nslc = Nslc::new("XX", "SIQ", "", "HHZ");
    let opts = PackOptions::default();
    assert!(encode(&nslc, 0, 1.0, &Samples::Float32(vec![1.0]), &opts).is_err());
    assert!(encode(&nslc, 0, 0.0, &Samples::Int32(vec![1]), &opts).is_err());
    let int16 = opts.with_encoding(1);
    assert!(encode(&nslc, 0, 1.0, &Samples::Int32(vec![40_000]), &int16).is_err());
    let geoscope = opts.with_encoding(13);
    assert!(encode(&nslc, 0, 1.0, &Samples::Int32(vec![1]), &geoscope).is_err());
}

/// Leap-second policy (libmseed 3.5.4 `msr3_endtime` / `ms_sampletime`): a span that
/// contains the leap second at the end of 2016-12-31 is one second shorter on the POSIX
/// time scale, so consecutive records across it are contiguous.
#[test]
fn leap_second_2016_records_are_contiguous() {
    let nslc = Nslc::new("XX", "LEAP", "", "LHZ");
    let start = parse_time("2016-12-31T23:59:30Z").unwrap();
    let samples = Samples::Int32((0..120).collect());
    for format_version in [2u8, 3] {
        let opts = PackOptions::default()
            .with_record_length(256)
            .with_encoding(3)
            .with_format_version(format_version)
            .with_pub_version(2);
        let bytes = encode(&nslc, start, 1.0, &samples, &opts).unwrap();
        let records: Vec<_> = RecordScanner::new(&bytes)
            .map(|i| match i {
                ScanItem::Record { offset, header } => (offset, header),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(records.len() >= 2);
        let (off0, first) = &records[0];
        let (_, second) = &records[1];
        let n0 = first.sample_count;
        // 23:59:30 + (n0 - 1) s on the POSIX scale, minus the leap second inside.
        let expected_end = start + (n0 - 1) * 1_000_000_000 - 1_000_000_000;
        assert!(first.start_ns + n0 * 1_000_000_000 > parse_time("2017-01-01").unwrap());
        assert_eq!(first.end_ns(), expected_end, "v{format_version}");
        // libmseed agrees (3.5.4 through the codec).
        let lib = siqaco::codec::parse_header_libmseed(&bytes[*off0 as usize..]).unwrap();
        assert_eq!(first.end_ns(), lib.end_ns, "v{format_version}");
        // The next record starts one period after the last sample: no gap, no overlap.
        assert_eq!(
            second.start_ns,
            expected_end + 1_000_000_000,
            "v{format_version}"
        );
        assert_eq!(
            first.coverage_end_ns(),
            second.start_ns,
            "v{format_version}"
        );
    }
}

/// The read's decoding path — the payload found from the gate's header
/// ([`siqaco::codec::payload_of`]) decoded without parsing the header again
/// ([`siqaco::codec::decode_payload_into`]) — gives, for every record with samples of the
/// test data (both byte orders, every encoding, v2 and v3), exactly the samples of
/// libmseed's own parse and unpack path ([`decode_record`]), whole and cut.
#[test]
fn payload_decode_equals_libmseeds_parse_for_every_record() {
    use siqaco::codec::{decode_payload_into, payload_of};
    let Some(dir) = test_data_dir() else { return };
    let (mut checked, mut swapped, mut native) = (0usize, 0usize, 0usize);
    for file in files_in(&dir.join("mseed"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "mseed"))
    {
        let buf = std::fs::read(&file).unwrap();
        for item in RecordScanner::new(&buf) {
            let ScanItem::Record { offset, header } = item else {
                continue;
            };
            let rec = &buf[offset as usize..];
            let Ok(want) = decode_record(rec) else {
                continue;
            };
            if want.samples.is_empty() {
                continue;
            }
            let ctx = format!("{} @ {offset}", file.display());
            let payload = payload_of(&header).unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let n = want.samples.len();
            let mut got = Samples::zeroed(payload.sample_type, n);
            decode_payload_into(rec, &payload, 0, got.as_mut()).unwrap();
            assert_eq!(got, want.samples, "{ctx}");
            // Samples 1..n-1: decoded whole, the part copied.
            if n > 2 {
                let mut part = Samples::zeroed(payload.sample_type, n - 2);
                decode_payload_into(rec, &payload, 1, part.as_mut()).unwrap();
                assert_eq!(part, cut(&want.samples, 1, n - 1), "{ctx}");
            }
            if payload.swap {
                swapped += 1;
            } else {
                native += 1;
            }
            checked += 1;
        }
    }
    assert!(checked > 3000, "{checked}");
    assert!(
        swapped > 0 && native > 0,
        "{swapped} swapped, {native} native"
    );
}

/// When the payload does not decode (damaged Steim frames), the read's path gives the
/// error libmseed's parse path gives for the same bytes.
#[test]
fn payload_decode_errors_are_the_parse_paths() {
    use siqaco::codec::{decode_payload_into, payload_of};
    let samples = Samples::Int32(walk(400, 5000, 3));
    let bytes = encode(
        &Nslc::new("XX", "STA", "00", "HHZ"),
        parse_time("2024-01-01T00:00:00Z").unwrap(),
        100.0,
        &samples,
        &PackOptions::default().with_encoding(11),
    )
    .unwrap();
    let header = siqaco::record::parse_record(&bytes).unwrap();
    let payload = payload_of(&header).unwrap();
    let mut rec = bytes[..header.record_length].to_vec();
    // The last sample of the first frame's reverse integration constant, changed.
    let at = payload.offset as usize + 8;
    rec[at + 3] ^= 1;
    let want = decode_record(&rec).unwrap_err().to_string();
    assert!(want.contains("reverse integration constant"), "{want}");
    let n = payload.samples as usize;
    let mut out = Samples::zeroed('i', n);
    let got = decode_payload_into(&rec, &payload, 0, out.as_mut()).unwrap_err();
    assert_eq!(got.to_string(), want);
}

/// Samples `a..b` of `s`.
fn cut(s: &Samples, a: usize, b: usize) -> Samples {
    match s {
        Samples::Int32(v) => Samples::Int32(v[a..b].to_vec()),
        Samples::Float32(v) => Samples::Float32(v[a..b].to_vec()),
        Samples::Float64(v) => Samples::Float64(v[a..b].to_vec()),
        Samples::Text(v) => Samples::Text(v[a..b].to_vec()),
    }
}
