//! The scanner on deliberately broken inputs (`mseed/broken/`): no panic, the records that
//! libmseed 3.5.4 finds with `MSF_SKIPNOTDATA` (pymseed 1.0.1's `ms3_readmsr_r` walk, whose
//! per-stream counts are in `MANIFEST.json`) and the unreadable runs at the right offsets.

use siqaco::record::{parse_record, RecordErrorKind, RecordScanner, ScanItem};
use siqaco::testing::{files_in, test_data_dir};

struct Expect {
    file: &'static str,
    /// Offsets of the records libmseed 3.5.4 reads with MSF_SKIPNOTDATA.
    records: &'static [u64],
    /// (offset, length, words the message must contain) of each unreadable run.
    invalid: &'static [(u64, u64, &'static str)],
}

const EXPECTED: &[Expect] = &[
    Expect {
        file: "libmseed__testdata-invalid-blockette-offsets.v2.mseed",
        records: &[512, 1024],
        invalid: &[(0, 512, "within the fixed header")],
    },
    Expect {
        file: "obspy-io-mseed__brokenlastrecord.mseed",
        records: &[0],
        invalid: &[(4096, 2206, "not miniSEED")],
    },
    Expect {
        file: "obspy-io-mseed__corrupt_one_extra_byte_at_end.mseed",
        records: &[0],
        invalid: &[(512, 1, "1 byte")],
    },
    Expect {
        file: "obspy-io-mseed__emptyfile.mseed",
        records: &[],
        invalid: &[],
    },
    Expect {
        file: "obspy-io-mseed__infinite-loop.mseed",
        records: &[0, 512],
        invalid: &[(1024, 17435, "truncated record")],
    },
    Expect {
        file: "obspy-io-mseed__microsecond_wrap.mseed",
        records: &[],
        invalid: &[(0, 512, "nanosecond (1000000000) is out of range")],
    },
    Expect {
        file: "obspy-io-mseed__not.mseed",
        records: &[],
        invalid: &[(0, 536, "not miniSEED")],
    },
    Expect {
        file: "obspy-io-mseed__not2.mseed",
        records: &[],
        invalid: &[(0, 9, "not miniSEED")],
    },
    Expect {
        file: "obspy-io-mseed__not3.mseed",
        records: &[],
        invalid: &[(0, 12, "not miniSEED")],
    },
    Expect {
        file: "obspy-io-mseed__not4.mseed",
        records: &[],
        invalid: &[(0, 536, "not miniSEED")],
    },
    Expect {
        file: "obspy-io-mseed__single_record_plus_noise_record.mseed",
        records: &[0],
        invalid: &[(512, 512, "not miniSEED")],
    },
    Expect {
        file: "obspy-io-mseed__various_noise_records.mseed",
        records: &[256, 896, 2432, 3968],
        invalid: &[
            (0, 256, "not miniSEED"),
            (768, 128, "not miniSEED"),
            (1408, 1024, "not miniSEED"),
            (2944, 1024, "not miniSEED"),
        ],
    },
    Expect {
        file: "obspy-libmseed2-test__corrupt-blockettes-wrongnext.mseed",
        // libmseed reads its structure but cannot decode it; the validation gate refuses
        // it (blockette 1000 points past the record before the declared blockette 1001).
        records: &[],
        invalid: &[(0, 512, "corrupt blockette chain")],
    },
    Expect {
        file: "obspy-libmseed2-test__invalid-blockette-offset.mseed",
        records: &[0, 512],
        invalid: &[(1024, 17435, "truncated record")],
    },
];

#[test]
fn broken_files_give_libmseed_records_and_located_errors() {
    let Some(dir) = test_data_dir() else { return };
    let dir = dir.join("mseed/broken");
    let files = files_in(&dir);
    assert_eq!(
        files.len(),
        EXPECTED.len(),
        "every broken file has an expectation"
    );
    for e in EXPECTED {
        let buf = std::fs::read(dir.join(e.file)).unwrap();
        let items: Vec<ScanItem<'_>> = RecordScanner::new(&buf).collect();
        let records: Vec<u64> = items
            .iter()
            .filter_map(|i| match i {
                ScanItem::Record { offset, .. } => Some(*offset),
                _ => None,
            })
            .collect();
        assert_eq!(records, e.records, "records of {}", e.file);
        let invalid: Vec<(u64, u64, &str)> = items
            .iter()
            .filter_map(|i| match i {
                ScanItem::Invalid {
                    offset,
                    length,
                    message,
                } => Some((*offset, *length, message.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(invalid.len(), e.invalid.len(), "{}: {invalid:?}", e.file);
        for (got, want) in invalid.iter().zip(e.invalid) {
            assert_eq!((got.0, got.1), (want.0, want.1), "{}: {got:?}", e.file);
            assert!(
                got.2.contains(want.2),
                "{}: {:?} lacks {:?}",
                e.file,
                got.2,
                want.2
            );
        }
        // Items tile the buffer exactly, in order.
        let mut pos = 0u64;
        for i in &items {
            let (o, l) = match i {
                ScanItem::Record { offset, header } => (*offset, header.record_length as u64),
                ScanItem::Invalid { offset, length, .. } => (*offset, *length),
            };
            assert_eq!(o, pos, "{}", e.file);
            pos += l;
        }
        assert_eq!(pos, buf.len() as u64, "{}", e.file);
    }
}

#[test]
fn error_kinds() {
    let Some(dir) = test_data_dir() else { return };
    let broken = dir.join("mseed/broken");
    let buf = std::fs::read(broken.join("obspy-io-mseed__microsecond_wrap.mseed")).unwrap();
    assert_eq!(
        parse_record(&buf).unwrap_err().kind,
        RecordErrorKind::Corrupt
    );
    let buf = std::fs::read(broken.join("obspy-io-mseed__infinite-loop.mseed")).unwrap();
    assert_eq!(
        parse_record(&buf[1024..]).unwrap_err().kind,
        RecordErrorKind::Truncated
    );
    let buf = std::fs::read(broken.join("obspy-io-mseed__not.mseed")).unwrap();
    assert_eq!(
        parse_record(&buf).unwrap_err().kind,
        RecordErrorKind::NotMiniseed
    );
    // A record cut anywhere is reported as truncated, with both lengths.
    let good = std::fs::read(dir.join("mseed/obspy-io-mseed__test.mseed")).unwrap();
    let cut = &good[..4000];
    let err = parse_record(cut).unwrap_err();
    assert_eq!(err.kind, RecordErrorKind::Truncated);
    assert!(err.message.contains("4000 of 4096"), "{}", err.message);
}

/// Every v3 record of the test data has a valid CRC; flipping one data byte breaks it.
#[test]
fn v3_crc() {
    let Some(dir) = test_data_dir() else { return };
    let mut n = 0;
    for file in files_in(&dir.join("mseed")) {
        let buf = std::fs::read(&file).unwrap();
        for item in RecordScanner::new(&buf) {
            let ScanItem::Record { offset, header } = item else {
                continue;
            };
            if header.format_version == 2 {
                assert_eq!(header.crc_ok(), None);
                continue;
            }
            assert_eq!(header.crc_ok(), Some(true), "{} @ {offset}", file.display());
            let mut copy = header.raw.to_vec();
            let last = copy.len() - 1;
            copy[last] ^= 0x01;
            assert_eq!(
                siqaco::record::parse_record_structure(&copy)
                    .unwrap()
                    .crc_ok(),
                Some(false)
            );
            assert_eq!(
                parse_record(&copy).unwrap_err().kind,
                RecordErrorKind::Invalid
            );
            n += 1;
        }
    }
    assert!(n > 1000, "{n}");
}
