//! Decoding (`codec::decode_record`, libmseed `msr3_parse` with `MSF_UNPACKDATA`) of the
//! record at the start of any bytes.
//!
//! Invariants checked, beyond "no crash, bounded memory":
//! - a decoded record has exactly the header's sample count, start time, encoding and
//!   record length (`parse_record` of the same bytes);
//! - the result depends only on the record's bytes: decoding an exact copy of the record
//!   and the record followed by other bytes gives the same samples or both fail (a decoder
//!   reading past the record gives different samples or a different outcome).
#![no_main]

use libfuzzer_sys::fuzz_target;
use siqaco::codec::{decode_record, DecodedRecord, Samples};
use siqaco::record::parse_record;

/// Samples as bit patterns, so that NaN compares equal to itself.
fn bits(s: &Samples) -> (char, Vec<u64>) {
    let v: Vec<u64> = match s {
        Samples::Int32(v) => v.iter().map(|x| *x as u32 as u64).collect(),
        Samples::Float32(v) => v.iter().map(|x| x.to_bits() as u64).collect(),
        Samples::Float64(v) => v.iter().map(|x| x.to_bits()).collect(),
        Samples::Text(v) => v.iter().map(|x| *x as u64).collect(),
    };
    (s.sample_type(), v)
}

fn outcome(r: &siqaco::Result<DecodedRecord>) -> Option<(char, Vec<u64>)> {
    r.as_ref().ok().map(|d| bits(&d.samples))
}

fuzz_target!(|data: &[u8]| {
    let Ok(header) = parse_record(data) else {
        // Not a record: decoding must refuse it too.
        assert!(decode_record(data).is_err());
        return;
    };
    let exact = header.raw.to_vec();
    let decoded = decode_record(&exact);
    if let Ok(d) = &decoded {
        assert_eq!(d.samples.len() as i64, header.sample_count, "sample count");
        assert_eq!(d.sample_count, header.sample_count);
        assert_eq!(d.start_ns, header.start_ns, "start time");
        assert_eq!(d.encoding, header.encoding, "encoding");
        assert_eq!(d.record_length, header.record_length, "record length");
        assert_eq!(d.format_version, header.format_version);
    }
    for fill in [0x00u8, 0xA5] {
        let mut padded = exact.clone();
        padded.resize(exact.len() + 4096, fill);
        match parse_record(&padded) {
            Ok(h) if h == parse_record(&exact).unwrap() => {}
            // A v2 record without blockette 1000 takes its length from what follows.
            _ => continue,
        }
        let again = decode_record(&padded);
        assert_eq!(
            outcome(&again),
            outcome(&decoded),
            "decoding depends on the bytes after the record (fill {fill:#x})"
        );
    }
});
