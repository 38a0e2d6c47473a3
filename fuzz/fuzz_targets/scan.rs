//! The record scanner and its validation gate (`RecordScanner`, `parse_record`) on any
//! bytes taken as a whole file.
//!
//! Invariants checked, beyond "no panic, no abort, bounded memory":
//! - the items cover the input exactly once, in order, without empty items;
//! - a record item is `record_length` bytes (40 B to 10 MiB) of the input at its offset, and
//!   `parse_record` at that offset gives the same header; on the record's bytes alone it
//!   gives the same header too (a miniSEED 2 record without blockette 1000 may instead be
//!   refused there: its length comes from the next header, which is no longer present);
//! - the header's derived values (codes, end times, flags, CRC check, extra headers) are
//!   computed without panicking (integer overflow included, with debug assertions);
//! - scanning the same bytes in chunks, as `siqaco scan` does on files, gives the same items.
#![no_main]

use libfuzzer_sys::fuzz_target;
use siqaco::fuzzing::scan_chunked;
use siqaco::record::{
    parse_record, RecordScanner, ScanItem, ENCODING_UNKNOWN, MAX_RECORD_LENGTH, MIN_RECORD_LENGTH,
};

/// An item reduced to what must agree between the whole-buffer and the chunked walk.
#[derive(Debug, PartialEq)]
enum Item {
    Record { offset: u64, length: usize, start_ns: i64, sample_count: i64 },
    Invalid { offset: u64, length: u64, message: String },
}

fn reduce(item: &ScanItem<'_>) -> Item {
    match item {
        ScanItem::Record { offset, header } => Item::Record {
            offset: *offset,
            length: header.record_length,
            start_ns: header.start_ns,
            sample_count: header.sample_count,
        },
        ScanItem::Invalid { offset, length, message } => Item::Invalid {
            offset: *offset,
            length: *length,
            message: message.clone(),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let mut pos = 0u64;
    let mut whole = Vec::new();
    for item in RecordScanner::new(data) {
        match &item {
            ScanItem::Record { offset, header } => {
                assert_eq!(*offset, pos, "record does not start where the last item ended");
                let len = header.record_length;
                assert!((MIN_RECORD_LENGTH..=MAX_RECORD_LENGTH).contains(&len));
                let at = *offset as usize;
                assert!(at + len <= data.len(), "record runs past the input");
                assert_eq!(header.raw, &data[at..at + len]);
                let again = parse_record(&data[at..]).expect("record item does not re-parse");
                assert_eq!(&again, header);
                match parse_record(header.raw) {
                    Ok(alone) => assert_eq!(&alone, header),
                    Err(e) => assert!(
                        header.format_version == 2 && header.encoding == ENCODING_UNKNOWN,
                        "record bytes alone refused: {e}"
                    ),
                }
                let _ = header.nslc();
                let _ = header.end_ns();
                let _ = header.coverage_end_ns();
                let _ = header.is_data();
                let _ = header.flags();
                let _ = header.crc_ok();
                let _ = header.extra_headers();
                pos += len as u64;
            }
            ScanItem::Invalid { offset, length, message } => {
                assert_eq!(*offset, pos, "invalid run does not start where the last item ended");
                assert!(*length > 0, "empty invalid run");
                assert!(!message.is_empty());
                pos += length;
            }
        }
        whole.push(reduce(&item));
    }
    assert_eq!(pos, data.len() as u64, "items do not cover the input");

    // The chunked walk of `siqaco scan` (chunk size from the input length, so that both
    // small and odd chunk sizes are tried).
    for chunk in [1 + data.len() % 61, 4096] {
        let mut chunked = Vec::new();
        let n = scan_chunked(data, chunk, |item| chunked.push(reduce(&item))).unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(chunked, whole, "chunked scan (chunk {chunk}) differs");
    }
});
