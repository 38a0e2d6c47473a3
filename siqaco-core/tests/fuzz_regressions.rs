//! Regression tests of the inputs the fuzz targets of `fuzz/` found (`scripts/fuzz`).
//!
//! Each input is stored under `tests/data/fuzz-regressions/<target>/` exactly as the fuzzer
//! wrote it, and runs through the same invariant check as the target that found it
//! (`fuzz/checks.rs`, included here), so a test fails exactly when the target would.

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn input(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz-regressions")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A v2 INT32 record of 128 bytes (64 bytes of data: 16 samples) whose header says 169
/// samples: decoding read 153 samples from the memory after the record (zeros or heap
/// contents depending on what followed), issue #16 defect 1. Fixed by the validation gate.
#[test]
fn decode_int32_sample_count_past_the_record() {
    checks::decode(&input("decode/int32-sample-count-past-record.mseed"));
}

/// A v2 record without blockette 1000: libmseed decodes it as Steim1 and reports encoding
/// 10, while the header parser gives `ENCODING_UNKNOWN`; the decoded samples must still
/// match the header and not depend on the bytes after the record.
#[test]
fn decode_v2_record_without_blockette_1000() {
    checks::decode(&input("decode/v2-no-blockette-1000.mseed"));
}

/// A v2 record whose blockette 1000 gives an impossible record length (2^48): its length
/// is measured to the next record header, as libmseed does; the scanner's items must still
/// cover the file exactly once and agree with the chunked scan of `siqaco scan`.
#[test]
fn scan_v2_blockette_1000_with_bad_length() {
    checks::scan(&input("scan/v2-blockette-1000-bad-length.mseed"));
}

/// A v2 record with a second blockette 1000 whose record length exponent is 0: the record
/// length became 1 byte and reading the station code sliced past it (panic "range start
/// index 8 out of range for slice of length 1" in `record.rs`; `siqaco scan` exits 101).
/// Now a structure error: a blockette 1000 may not cut the record before its fixed header
/// and the blockettes read.
/// Found by the `dataselect` target; the scanner target runs on it too.
#[test]
fn dataselect_second_blockette_1000_of_length_1() {
    checks::dataselect(&input("dataselect/v2-second-blockette-1000-length-1.mseed"));
}

/// The same input through the scanner's invariants (`siqaco scan`).
#[test]
fn scan_second_blockette_1000_of_length_1() {
    checks::scan(&input("dataselect/v2-second-blockette-1000-length-1.mseed"));
}

/// The smallest input (92 bytes) of the same defect found by the `decode` target: a
/// blockette 1000 with length exponent 0 makes a 1-byte record, and reading the codes
/// slices past it.
#[test]
fn decode_blockette_1000_of_length_1_codes() {
    checks::decode(&input("decode/v2-blockette-1000-length-1-codes.mseed"));
}

/// The same with a blockette 1001 before the blockette 1000: reading its microseconds
/// (record byte 61) indexed past the 1-byte record.
#[test]
fn decode_blockette_1000_of_length_1_blockette_1001() {
    checks::decode(&input(
        "decode/v2-blockette-1000-length-1-blockette-1001.mseed",
    ));
}

/// A v2 record whose blockette chain is blockette 1001, then blockettes of unknown types:
/// the header parser gives encoding 3 (INT32) where libmseed finds no blockette 1000 and
/// reports none (255), so the two disagree on how the data is encoded. libmseed 3.5.4
/// (pymseed) agrees with the header parser; decoding through 3.1.3 now refuses the record
/// instead of giving samples of another encoding.
#[test]
fn decode_encoding_differs_from_libmseed() {
    checks::decode(&input("decode/v2-encoding-differs-from-libmseed.mseed"));
}

/// A v2 record whose chain is an unknown blockette (a bit flip of a blockette 1000), then a
/// blockette 1001: libmseed 3.5.4 (pymseed) and the header parser follow the chain and add
/// the 1001's 38 µs to the start time, libmseed 3.1.3 (the decoder) does not, so decoding
/// gave a start time other than the header's. Found by the `decode` target in a CI run;
/// decoding now refuses a record whose start time or rate the two disagree on.
#[test]
fn decode_start_time_differs_from_libmseed() {
    checks::decode(&input(
        "decode/v2-blockette-1001-beyond-unknown-blockette.mseed",
    ));
}

/// A v2 record with two blockettes 1000 giving 512 and 256 bytes: read with the bytes after
/// it, the second length made it a 256-byte record (as libmseed 3.5.4 does); read alone,
/// those 256 bytes were a truncated 512-byte record, so the record's extent depended on
/// what followed it. Found by the `decode` target in a CI run; a blockette 1000 that
/// disagrees with the record length found is now a structure error.
#[test]
fn decode_two_blockettes_1000_disagree() {
    checks::decode(&input("decode/v2-two-blockettes-1000-disagree.mseed"));
}

/// A v2 record without blockette 1000 whose length (12 288 bytes) comes from the next
/// record header, as libmseed 3.5.4 finds it: read alone it is truncated, which is
/// libmseed's rule, not a defect; the check compared it with itself alone by unwrapping
/// that parse. Found by the `decode` target; the check now skips such records.
#[test]
fn decode_v2_no_blockette_1000_length_from_next_header() {
    checks::decode(&input(
        "decode/v2-no-blockette-1000-length-from-next-header.mseed",
    ));
}

/// A v2 record without blockette 1000 that is 128 bytes long in its file (as libmseed
/// 3.5.4 reads it) but whose first 64 bytes are followed by a record header: alone, its
/// bytes read as a 64-byte record. The decoder is given the bytes alone, so the check now
/// compares it with the parse of those bytes. Found by the `decode` target.
#[test]
fn decode_v2_no_blockette_1000_shorter_alone() {
    checks::decode(&input("decode/v2-no-blockette-1000-shorter-alone.mseed"));
    // The same case found by a CI run of the decode target (256 bytes in its file, 192
    // alone).
    checks::decode(&input("decode/v2-no-blockette-1000-shorter-alone-2.mseed"));
}

/// A 270-byte v2 record without blockette 1000 (`000001D TEST BHE XX`, no samples) with a
/// second header-like text (`763446D `) at byte 192: the header parser reads 256 bytes,
/// libmseed 192 (it takes the length from the next header it finds), so decoding must refuse
/// it whatever follows, alone or with 4096 bytes of zeros or 0xA5 after it. The CI run of
/// 1d67362 saw decoding depend on the bytes after the record; the code since (the structure
/// checks of the v2 path) refuses it the same way in every case.
#[test]
fn decode_v2_without_blockette_1000_length_from_what_follows() {
    checks::decode(&input(
        "decode/v2-no-blockette-1000-length-from-what-follows.mseed",
    ));
}
