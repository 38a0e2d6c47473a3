//! The one sample-time rule, [`siqaco::time::sample_time`], against libmseed's
//! `ms_sampletime` (libmseed 3.5.4, linked through `siqaco-mseed-sys`) on every sample of every
//! record of the test data, and on real samples re-packed by libmseed across leap
//! seconds of its table.

use siqaco::codec::{decode_record, encode, parse_header_libmseed, PackOptions};
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::testing::{files_below, test_data_dir};
use siqaco::time::{leap_second_within, parse_time, sample_time, NS_PER_S};

/// libmseed's `ms_sampletime`, the oracle.
fn libmseed(start_ns: i64, offset: i64, samprate: f64) -> i64 {
    // SAFETY: a pure function of its arguments (it reads libmseed's static leap-second list).
    unsafe { siqaco_mseed_sys::ms_sampletime(start_ns, offset, samprate) }
}

/// The rule without leap seconds, `start + round(offset / rate × 10⁹)`: ObsPy's
/// `starttime + offset / sampling_rate`, and siqaco's former `time::offset_by_samples`.
fn without_leap_seconds(start_ns: i64, offset: i64, rate_hz: f64) -> i64 {
    start_ns + (offset as f64 * NS_PER_S as f64 / rate_hz).round() as i64
}

/// Every sample time of every data record of the test data (raw rate as in the header,
/// Hz or minus the period) is libmseed's, and the rule without leap seconds gives the same
/// times: no record of the test data spans a leap second, so replacing
/// `offset_by_samples` by `sample_time` changes no result on it.
#[test]
fn every_sample_time_of_the_shared_data_is_libmseeds() {
    let Some(dir) = test_data_dir() else { return };
    let (mut records, mut samples, mut across_leap) = (0usize, 0usize, 0usize);
    let mut differ = Vec::new();
    for file in files_below(&dir.join("mseed"))
        .into_iter()
        .chain(files_below(&dir.join("sds-small")))
    {
        let buf = std::fs::read(&file).unwrap();
        for item in RecordScanner::new(&buf) {
            let ScanItem::Record { offset, header } = item else {
                continue;
            };
            if !header.is_data() {
                continue;
            }
            records += 1;
            let (t0, raw, hz) = (
                header.start_ns,
                header.sample_rate_raw,
                header.sample_rate_hz,
            );
            if leap_second_within(t0, header.coverage_end_ns() + NS_PER_S) {
                across_leap += 1;
            }
            for i in 0..=header.sample_count {
                let t = sample_time(t0, i, raw);
                assert_eq!(
                    t,
                    libmseed(t0, i, raw),
                    "{}:{offset} sample {i}",
                    file.display()
                );
                if t != without_leap_seconds(t0, i, hz) {
                    differ.push((file.clone(), offset, i));
                }
                samples += 1;
            }
        }
    }
    assert!(records > 6000 && samples > 1_000_000, "{records} {samples}");
    assert_eq!(across_leap, 0);
    assert!(differ.is_empty(), "{:?}", &differ[..differ.len().min(5)]);
}

/// Real samples (the first record of IU.COLA.00.LHZ, 1 Hz, of the SDS archive) packed by
/// libmseed so that they run through a leap second of its table: every record's sample
/// times and end time are libmseed's (`ms_sampletime`, `msr3_endtime`), each record starts
/// where the previous one's coverage ends (libmseed's packer places it with the same
/// rule), and the times after the inserted second are one second earlier than the rule
/// without leap seconds gives.
#[test]
fn real_samples_packed_across_leap_seconds_follow_libmseed() {
    let Some(dir) = test_data_dir() else { return };
    let file = dir.join("sds-small/2010/IU/COLA/LHZ.D/IU.COLA.00.LHZ.D.2010.058");
    let buf = std::fs::read(file).unwrap();
    let real = decode_record(&buf).unwrap();
    assert_eq!(real.sample_rate_hz, 1.0);
    let n = real.samples.len() as i64;
    assert!(n > 100, "{n}");
    // 00:00:00 after the inserted second: the first and last of libmseed's table, and
    // one between (its table starts with 1972-01-01).
    for leap in ["1972-01-01", "1999-01-01", "2017-01-01"] {
        let leap = parse_time(leap).unwrap();
        let start = leap - n / 2 * NS_PER_S;
        for format_version in [2u8, 3] {
            let opts = PackOptions::default()
                .with_record_length(512)
                .with_encoding(real.encoding)
                .with_format_version(format_version)
                .with_pub_version(2);
            let bytes = encode(&real.nslc, start, 1.0, &real.samples, &opts).unwrap();
            let (mut next, mut count, mut stepped) = (start, 0i64, 0usize);
            for item in RecordScanner::new(&bytes) {
                let ScanItem::Record { offset, header } = item else {
                    panic!("{item:?}");
                };
                let ctx = format!("leap {leap} v{format_version} record at {offset}");
                assert_eq!(header.start_ns, next, "{ctx}");
                assert_eq!(header.start_ns, sample_time(start, count, 1.0), "{ctx}");
                let lib = parse_header_libmseed(&bytes[offset as usize..]).unwrap();
                assert_eq!(header.end_ns(), lib.end_ns, "{ctx}");
                for i in 0..=header.sample_count {
                    let t = sample_time(header.start_ns, i, header.sample_rate_raw);
                    assert_eq!(t, libmseed(header.start_ns, i, 1.0), "{ctx} sample {i}");
                    let plain = without_leap_seconds(header.start_ns, i, 1.0);
                    if header.start_ns < leap && plain > leap {
                        assert_eq!(t, plain - NS_PER_S, "{ctx} sample {i}");
                        stepped += 1;
                    } else {
                        assert_eq!(t, plain, "{ctx} sample {i}");
                    }
                }
                count += header.sample_count;
                next = header.coverage_end_ns();
            }
            assert_eq!(count, n, "leap {leap} v{format_version}");
            assert!(stepped > 0, "leap {leap} v{format_version}");
            // The whole series covers one POSIX second less than its sample count.
            assert_eq!(
                next,
                start + (n - 1) * NS_PER_S,
                "leap {leap} v{format_version}"
            );
        }
    }
}

/// A span that contains two leap seconds (2015-06-30 and 2016-12-31) at 1 Hz and at a
/// period of 1 s: the linked libmseed (3.5.4, as pymseed 1.0.1's `sample_time`) subtracts
/// each leap second it contains, as `sample_time` does; libmseed 3.1.3, linked before,
/// subtracted only one, so this could not be checked against the linked library then.
#[test]
fn a_span_over_two_leap_seconds_is_libmseeds() {
    let t0 = parse_time("2015-06-30").unwrap();
    let n = (parse_time("2017-01-02").unwrap() - t0) / NS_PER_S;
    for raw in [1.0, -1.0] {
        let lib = libmseed(t0, n, raw);
        assert_eq!(sample_time(t0, n, raw), lib, "rate {raw}");
        assert_eq!(
            without_leap_seconds(t0, n, 1.0) - lib,
            2 * NS_PER_S,
            "rate {raw}"
        );
    }
}
