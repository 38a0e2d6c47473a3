//! Property tests: the scanner never panics, whatever the bytes, and its items always tile
//! the buffer in order.

use proptest::prelude::*;
use siqaco::record::{parse_record, RecordScanner, ScanItem};

fn check(buf: &[u8]) {
    let _ = parse_record(buf);
    let mut pos = 0u64;
    for item in RecordScanner::new(buf) {
        let (o, l) = match item {
            ScanItem::Record { offset, header } => {
                assert_eq!(parse_record(&buf[offset as usize..]), Ok(header));
                let _ = (header.nslc(), header.end_ns(), header.coverage_end_ns());
                let _ = header.extra_headers();
                (offset, header.record_length as u64)
            }
            ScanItem::Invalid { offset, length, .. } => (offset, length),
        };
        assert_eq!(o, pos);
        assert!(l > 0);
        pos += l;
    }
    assert_eq!(pos, buf.len() as u64);
}

/// A real v2 record (Steim1, B1000 + B1001) and a real v3 record to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    if let Some(dir) = siqaco::testing::test_data_dir() {
        for f in [
            "mseed/obspy-io-mseed__BW.BGLD.__.EHE.D.2008.001.first_record.mseed",
            "mseed/libmseed__reference-testdata-steim2.v3.mseed",
            "mseed/obspy-io-mseed__endiantest.le-header.le-data.mseed",
        ] {
            if let Ok(b) = std::fs::read(dir.join(f)) {
                v.push(b[..b.len().min(1024)].to_vec());
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(buf in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&buf);
    }

    #[test]
    fn header_like_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        v3 in any::<bool>(),
    ) {
        // Force a valid-looking header signature so the deep paths are exercised.
        let mut buf = body;
        buf.resize(buf.len().max(64), 0);
        if v3 {
            buf[0] = b'M'; buf[1] = b'S'; buf[2] = 3;
            buf[12] %= 24; buf[13] %= 60; buf[14] %= 61;
        } else {
            buf[..8].copy_from_slice(b"000001D ");
            buf[24] %= 24; buf[25] %= 60; buf[26] %= 61;
        }
        check(&buf);
    }

    #[test]
    fn mutated_real_records_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((0usize..1024, any::<u8>()), 1..8),
        cut in 0usize..1100,
    ) {
        let seeds = seeds();
        prop_assume!(!seeds.is_empty());
        let mut buf = seeds[which % seeds.len()].clone();
        for (at, b) in edits {
            if at < buf.len() {
                buf[at] = b;
            }
        }
        buf.truncate(cut.max(1));
        check(&buf);
    }
}
