//! The check of a dataselect response body (`source::validate_records`, run on every FDSN
//! and external-source response before it is staged) on any bytes.
//!
//! Invariants checked, beyond "no panic, bounded memory":
//! - asked for every stream at every time, a body is accepted exactly when the record
//!   scanner finds no unreadable byte in it, and the count is the scanner's record count;
//! - asked for the first record's stream only from its start time, an accepted body is one
//!   the scanner reads completely; a refusal names a byte offset.
#![no_main]

use libfuzzer_sys::fuzz_target;
use siqaco::fuzzing::validate_dataselect_response;
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::source::RequestLine;
use siqaco::NslcGlob;

fuzz_target!(|data: &[u8]| {
    let mut records = 0usize;
    let mut clean = true;
    let mut first = None;
    for item in RecordScanner::new(data) {
        match item {
            ScanItem::Record { header, .. } => {
                records += 1;
                if first.is_none() && header.is_data() {
                    first = Some((header.nslc(), header.start_ns));
                }
            }
            ScanItem::Invalid { .. } => clean = false,
        }
    }
    let everything = [RequestLine {
        stream: NslcGlob::all(),
        start_ns: i64::MIN,
        end_ns: i64::MAX,
    }];
    match validate_dataselect_response(data, &everything) {
        Ok(n) => {
            assert!(clean, "a body with unreadable bytes was accepted");
            assert_eq!(n, records);
        }
        Err(m) => {
            assert!(!clean, "a clean body was refused: {m}");
            assert!(m.contains("byte"), "{m}");
        }
    }
    if let Some((nslc, start)) = first {
        let one = [RequestLine::new(&nslc, start, start.saturating_add(86_400_000_000_000))];
        match validate_dataselect_response(data, &one) {
            Ok(n) => {
                assert!(clean);
                assert_eq!(n, records);
            }
            Err(m) => assert!(m.contains("byte"), "{m}"),
        }
    }
});
