//! The validation gate (`siqaco::record::check_record`, applied by `parse_record` and
//! `RecordScanner`) and the decoder behind it, on fresh reproductions of the defects of
//! issue #16: real records of the test data with one header field changed. Each
//! case checks the exact refusal (field and values), that the scanner reports exactly the
//! record's bytes and goes on after it, and that decoding refuses it instead of reading
//! past the record. libmseed's header parse (`parse_header_libmseed`) accepts the structure
//! of most of them: that is what let them through before.

use proptest::prelude::*;
use siqaco::codec::{decode_record, parse_header_libmseed, Samples};
use siqaco::merge::{merge_stream, split_records, MergeOptions, PatchInput};
use siqaco::record::{
    check_record, max_samples, parse_record, parse_record_structure, ByteOrder, RecordErrorKind,
    RecordHeader, RecordScanner, ScanItem,
};
use siqaco::testing::{files_below, files_in, test_data_dir};
use siqaco::time::{day_floor, NS_PER_DAY};

/// The first record of a file of the test data, as bytes.
fn first_record(name: &str) -> Option<Vec<u8>> {
    let buf = std::fs::read(test_data_dir()?.join("mseed").join(name)).unwrap();
    let h = parse_record(&buf).unwrap();
    Some(h.raw.to_vec())
}

fn order(rec: &[u8]) -> ByteOrder {
    parse_record_structure(rec).unwrap().header_byte_order
}

fn put16(rec: &mut [u8], at: usize, v: u16) {
    let b = match order(rec) {
        ByteOrder::Big => v.to_be_bytes(),
        ByteOrder::Little => v.to_le_bytes(),
    };
    rec[at..at + 2].copy_from_slice(&b);
}

fn get16(rec: &[u8], at: usize) -> u16 {
    let a = [rec[at], rec[at + 1]];
    match order(rec) {
        ByteOrder::Big => u16::from_be_bytes(a),
        ByteOrder::Little => u16::from_le_bytes(a),
    }
}

/// Recomputes the CRC of a miniSEED 3 record (CRC-32C with the field zeroed), so that a
/// changed header is refused for the field changed, not for its CRC.
fn fix_crc(rec: &mut [u8]) {
    rec[28..32].fill(0);
    let crc = crc32c::crc32c(rec);
    rec[28..32].copy_from_slice(&crc.to_le_bytes());
}

/// The gate's refusal of `rec`: kind, message; also checks that the scanner reports the
/// record's bytes as one invalid item with the same message and reads the record that
/// follows, and that decoding refuses it.
fn refused(rec: &[u8]) -> String {
    let e = parse_record(rec).unwrap_err();
    assert_eq!(e.kind, RecordErrorKind::Invalid, "{}", e.message);
    assert_eq!(e.record_length, Some(rec.len()));
    let mut two = rec.to_vec();
    let good = first_record("libmseed__reference-testdata-steim2.v2.mseed").unwrap();
    two.extend_from_slice(&good);
    let items: Vec<ScanItem<'_>> = RecordScanner::new(&two).collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0],
        ScanItem::Invalid {
            offset: 0,
            length: rec.len() as u64,
            message: e.message.clone()
        }
    );
    assert!(matches!(&items[1], ScanItem::Record { offset, .. } if *offset == rec.len() as u64));
    let d = decode_record(&two).unwrap_err();
    assert_eq!(d.kind(), siqaco::ErrorKind::InvalidData);
    assert!(d.to_string().contains(&e.message), "{d}");
    e.message
}

/// Issue #16 defect 1: an INT32 v2 record (libmseed's reference test data) whose header
/// count exceeds its data. libmseed 3.1.3 decoded past the data (invented samples); the
/// gate refuses it, the header parse of libmseed accepts it.
#[test]
fn int32_v2_count_beyond_data() {
    let Some(mut rec) = first_record("libmseed__reference-testdata-int32.v2.mseed") else {
        return;
    };
    let data_offset = get16(&rec, 44) as usize;
    let bytes = rec.len() - data_offset;
    let can = bytes / 4;
    assert_eq!(get16(&rec, 30) as usize, can.min(114));
    // Exactly full is fine.
    put16(&mut rec, 30, can as u16);
    assert!(parse_record(&rec).is_ok());
    for count in [can + 1, 150] {
        put16(&mut rec, 30, count as u16);
        assert!(parse_header_libmseed(&rec).is_ok());
        assert_eq!(
            refused(&rec),
            format!(
                "sample count {count} exceeds what {bytes} data bytes of INT32 can hold ({can})"
            )
        );
    }
}

/// The miniSEED 3 equivalent, and a count far larger than the data (a segmentation fault
/// in libmseed 3.1.3's INT32 decoder before).
#[test]
fn int32_v3_count_beyond_data() {
    let Some(mut rec) = first_record("libmseed__reference-testdata-int32.v3.mseed") else {
        return;
    };
    let h = parse_record(&rec).unwrap();
    let bytes = rec.len() - h.data_offset;
    assert_eq!(h.sample_count as usize, bytes / 4);
    for count in [bytes / 4 + 1, 5000, 2_000_000_000] {
        rec[24..28].copy_from_slice(&(count as u32).to_le_bytes());
        fix_crc(&mut rec);
        assert_eq!(
            refused(&rec),
            format!(
                "sample count {count} exceeds what {bytes} data bytes of INT32 can hold ({})",
                bytes / 4
            )
        );
    }
}

/// Steim2 and Steim1 capacities: 7 and 4 differences per data word of the 64-byte frames.
#[test]
fn steim_capacity() {
    assert_eq!(max_samples(11, 448), Some(7 * (15 * 7 - 2)));
    assert_eq!(max_samples(10, 448), Some(4 * (15 * 7 - 2)));
    assert_eq!(max_samples(10, 63), Some(0));
    assert_eq!(max_samples(19, 448), None);
    let Some(mut rec) = first_record("libmseed__reference-testdata-steim2.v2.mseed") else {
        return;
    };
    let bytes = rec.len() - get16(&rec, 44) as usize;
    let max = 7 * (15 * (bytes / 64) - 2);
    put16(&mut rec, 30, max as u16);
    assert!(parse_record(&rec).is_ok());
    put16(&mut rec, 30, max as u16 + 1);
    assert_eq!(
        refused(&rec),
        format!(
            "sample count {} exceeds what {bytes} data bytes of STEIM2 can hold ({max})",
            max + 1
        )
    );
}

/// Issue #16 defect 2/4: a data offset past the record (decoded when an output encoding is
/// set, a segmentation fault before), inside the fixed header or inside the blockettes.
#[test]
fn data_offset_outside_the_data_area() {
    let Some(mut rec) = first_record("libmseed__reference-testdata-int32.v2.mseed") else {
        return;
    };
    let end = parse_record(&rec).unwrap().blockettes_end;
    assert!(end >= 56, "{end}");
    for bad in [600u16, 512, 40, end as u16 - 1] {
        put16(&mut rec, 44, bad);
        let m = refused(&rec);
        assert_eq!(
            m,
            format!(
                "data offset {bad} is not inside the record after the header and blockettes ({end} to 511 of a 512-byte record)"
            )
        );
    }
    // Without samples the data offset is not used (libmseed's rule): accepted.
    put16(&mut rec, 30, 0);
    assert!(parse_record(&rec).is_ok());
}

/// Issue #16 defect 3: a rate factor and multiplier of −32768/−32768 (2⁻³⁰ Hz), a v3
/// record at 1e-9 Hz and one at 1e15 Hz are refused; 0 Hz (no time series) is not.
#[test]
fn sample_rate_out_of_bounds() {
    let Some(mut v2) = first_record("libmseed__reference-testdata-steim2.v2.mseed") else {
        return;
    };
    put16(&mut v2, 32, (-32768i16) as u16);
    put16(&mut v2, 34, (-32768i16) as u16);
    let rate = 1.0 / (32768.0f64 * 32768.0);
    assert_eq!(
        refused(&v2),
        format!("sample rate {rate:e} Hz is outside 1e-6 to 1e6 Hz")
    );
    put16(&mut v2, 32, 32767);
    put16(&mut v2, 34, 32767);
    assert_eq!(
        refused(&v2),
        format!(
            "sample rate {:e} Hz is outside 1e-6 to 1e6 Hz",
            32767.0f64 * 32767.0
        )
    );
    put16(&mut v2, 32, 0);
    put16(&mut v2, 34, 0);
    let h = parse_record(&v2).unwrap();
    assert!(!h.is_data());

    let mut v3 = first_record("libmseed__reference-testdata-steim2.v3.mseed").unwrap();
    for (rate, ok) in [
        (1e-9, false),
        (1e15, false),
        (1e-6, true),
        (1e6, true),
        (0.0, true),
    ] {
        v3[16..24].copy_from_slice(&f64::to_le_bytes(rate));
        fix_crc(&mut v3);
        if ok {
            assert!(parse_record(&v3).is_ok(), "{rate}");
        } else {
            assert_eq!(
                refused(&v3),
                format!("sample rate {rate:e} Hz is outside 1e-6 to 1e6 Hz")
            );
        }
    }
    // A period of 1e9 s (negative raw rate) is 1e-9 Hz.
    v3[16..24].copy_from_slice(&f64::to_le_bytes(-1e9));
    fix_crc(&mut v3);
    assert!(refused(&v3).contains("Hz is outside"));
}

/// A record whose last sample would fall after the last representable time (2262-04-11).
#[test]
fn span_beyond_the_time_range() {
    let Some(mut v3) = first_record("libmseed__reference-testdata-steim2.v3.mseed") else {
        return;
    };
    v3[8..10].copy_from_slice(&2262u16.to_le_bytes());
    v3[10..12].copy_from_slice(&1u16.to_le_bytes());
    fix_crc(&mut v3);
    assert!(parse_record(&v3).is_ok());
    v3[16..24].copy_from_slice(&f64::to_le_bytes(1e-6));
    fix_crc(&mut v3);
    let n = parse_record_structure(&v3).unwrap().sample_count;
    assert_eq!(
        refused(&v3),
        format!("{n} samples at 0.000001 Hz end after the last representable time (2262-04-11)")
    );
}

/// A v3 record with a bad CRC: refused (pymseed refuses it too, `validate_crc`).
#[test]
fn v3_bad_crc() {
    let Some(mut v3) = first_record("libmseed__reference-testdata-steim2.v3.mseed") else {
        return;
    };
    let stored = u32::from_le_bytes(v3[28..32].try_into().unwrap());
    let last = v3.len() - 1;
    v3[last] ^= 0x01;
    let h = parse_record_structure(&v3).unwrap();
    assert_eq!(h.crc_ok(), Some(false));
    let m = refused(&v3);
    assert!(
        m.starts_with(&format!("CRC mismatch: stored 0x{stored:08X}, computed 0x")),
        "{m}"
    );
}

/// Unknown encodings: refused for a record with samples, accepted without samples.
#[test]
fn unknown_encoding() {
    let Some(mut v2) = first_record("libmseed__reference-testdata-steim2.v2.mseed") else {
        return;
    };
    let n = get16(&v2, 30);
    for enc in [2u8, 19, 33, 200] {
        v2[52] = enc; // blockette 1000 at 48: encoding at 52
        assert_eq!(
            refused(&v2),
            format!("unknown data encoding {enc} for a record of {n} samples")
        );
    }
    put16(&mut v2, 30, 0);
    assert!(parse_record(&v2).is_ok());
    let mut v3 = first_record("libmseed__reference-testdata-steim2.v3.mseed").unwrap();
    v3[15] = 255;
    fix_crc(&mut v3);
    assert!(refused(&v3).starts_with("unknown data encoding 255"));
}

/// `corrupt-blockettes-wrongnext`: blockette 1000 points to a next blockette far past the
/// record; libmseed 3.5.4 logs an error and then cannot decode it (411 of 412 samples).
#[test]
fn corrupt_blockettes_wrongnext() {
    let Some(dir) = test_data_dir() else { return };
    let buf = std::fs::read(
        dir.join("mseed/broken/obspy-libmseed2-test__corrupt-blockettes-wrongnext.mseed"),
    )
    .unwrap();
    let items: Vec<ScanItem<'_>> = RecordScanner::new(&buf).collect();
    assert_eq!(
        items,
        vec![ScanItem::Invalid {
            offset: 0,
            length: buf.len() as u64,
            message: format!(
                "corrupt blockette chain: blockette 1000 at offset 48 gives next offset 14336, beyond the {}-byte record",
                buf.len()
            )
        }]
    );
    assert!(parse_record_structure(&buf).is_ok());
    assert!(decode_record(&buf).is_err());
}

/// NUL or a byte that is not printable ASCII inside a v2 code would cut the code short
/// (the record filed under another station): refused, naming the field. Padding with
/// spaces or NULs after the code stays fine.
#[test]
fn v2_code_bytes() {
    let Some(orig) = first_record("libmseed__reference-testdata-steim2.v2.mseed") else {
        return;
    };
    let cases: [(&[u8; 12], Option<&str>); 6] = [
        (b"TE\0ST  BHZXX", Some("station code has byte 0x53 after a NUL (position 3 of the field): the code would be cut short")),
        (b"TE\xffST  BHZXX", Some("station code byte 0xFF at position 2 of the field is not printable ASCII")),
        (b"TEST   BH\x01XX", Some("channel code byte 0x01 at position 2 of the field is not printable ASCII")),
        (b"TEST\0\0\0BHZXX", None),
        (b"TEST \0\0BHZX\0", None),
        (b"TEST   BHZXX", None),
    ];
    for (codes, want) in cases {
        let mut rec = orig.clone();
        rec[8..20].copy_from_slice(codes);
        match want {
            Some(m) => assert_eq!(refused(&rec), m),
            None => {
                let h = parse_record(&rec).unwrap();
                assert_eq!(h.nslc().station, "TEST");
            }
        }
    }
}

/// Every Steim record of the test data (miniSEED files, SEED volumes, the SDS archive)
/// passes the reverse integration constant check; a flipped difference byte is caught by
/// it instead of giving other samples.
#[test]
fn steim_reverse_integration_constant() {
    let Some(dir) = test_data_dir() else { return };
    let mut n = 0;
    let mut files = files_in(&dir.join("mseed"));
    files.extend(files_below(&dir.join("seed")));
    files.extend(files_below(&dir.join("sds-small")));
    for file in files {
        let buf = std::fs::read(&file).unwrap();
        for item in RecordScanner::new(&buf) {
            if let ScanItem::Record { header, .. } = item {
                if matches!(header.encoding, 10 | 11) && header.sample_count > 0 {
                    decode_record(header.raw).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                    n += 1;
                }
            }
        }
    }
    assert!(n > 5000, "{n}");
    let mut rec = first_record("libmseed__reference-testdata-steim2.v2.mseed").unwrap();
    let off = get16(&rec, 44) as usize;
    let before = decode_record(&rec).unwrap().samples;
    // Frame 1, word 5: a difference word; its nibble is unchanged, so the count stays.
    rec[off + 64 + 4 * 5 + 3] ^= 0x01;
    let e = decode_record(&rec).unwrap_err();
    assert!(
        e.to_string().contains("reverse integration constant"),
        "{e}; before {}",
        before.len()
    );
}

fn header_of(rec: &[u8]) -> RecordHeader<'_> {
    parse_record(rec).unwrap()
}

/// The samples of each record of `records` that libmseed decodes, concatenated.
fn values(records: &[&[u8]]) -> Vec<i64> {
    let mut v = Vec::new();
    for r in records {
        match decode_record(r).map(|d| d.samples) {
            Ok(Samples::Int32(x)) => v.extend(x.into_iter().map(i64::from)),
            Ok(other) => panic!("{other:?}"),
            Err(_) => {}
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random byte flips of valid v2 and v3 Steim records: the scanner never panics, its
    /// items tile the bytes, every record it yields passes `check_record`, decoding either
    /// refuses or gives exactly the header's count, and a merge of the flipped records into
    /// an empty archive either refuses or writes records that are byte-for-byte copies of
    /// input records (a record the merge need not decode is copied as it is, damaged
    /// frames included) or that hold only samples the input records decode to.
    #[test]
    fn byte_flips_of_steim_records(
        v3 in any::<bool>(),
        flips in proptest::collection::vec((0usize..4096, any::<u8>()), 1..6),
    ) {
        let name = if v3 {
            "libmseed__reference-testdata-steim2.v3.mseed"
        } else {
            "libmseed__reference-testdata-steim1.v2.mseed"
        };
        let Some(dir) = test_data_dir() else { return Ok(()) };
        let mut buf = std::fs::read(dir.join("mseed").join(name)).unwrap();
        buf.truncate(buf.len().min(3 * 512));
        for (at, x) in &flips {
            let at = at % buf.len();
            buf[at] ^= x | 1;
        }
        let mut pos = 0u64;
        let mut records = Vec::new();
        for item in RecordScanner::new(&buf) {
            match item {
                ScanItem::Record { offset, header } => {
                    prop_assert_eq!(offset, pos);
                    prop_assert!(check_record(&header).is_ok());
                    if let Ok(d) = decode_record(header.raw) {
                        prop_assert_eq!(d.samples.len() as i64, header.sample_count);
                    }
                    pos += header.record_length as u64;
                    records.push(header.raw);
                }
                ScanItem::Invalid { offset, length, .. } => {
                    prop_assert_eq!(offset, pos);
                    pos += length;
                }
            }
        }
        prop_assert_eq!(pos, buf.len() as u64);
        // Merge the records of the first stream that decode (an input that cannot be
        // decoded must be refused, not merged in part).
        let Some(first) = records.first() else { return Ok(()) };
        let nslc = header_of(first).nslc();
        let t0 = header_of(first).start_ns;
        let same: Vec<&[u8]> = records
            .iter()
            .copied()
            .filter(|r| {
                let h = header_of(r);
                h.nslc() == nslc && h.is_data() && (h.start_ns - t0).abs() < NS_PER_DAY
            })
            .collect();
        if same.is_empty() {
            return Ok(());
        }
        let starts: Vec<i64> = same.iter().map(|r| header_of(r).start_ns).collect();
        let ends: Vec<i64> = same.iter().map(|r| header_of(r).end_ns()).collect();
        let days = (
            day_floor(*starts.iter().min().unwrap()) - NS_PER_DAY,
            day_floor(*ends.iter().max().unwrap()) + NS_PER_DAY,
        );
        let merged = merge_stream(
            &nslc,
            &[],
            &[PatchInput { priority: 1, records: same.clone() }],
            days,
            &MergeOptions::default(),
        );
        match merged {
            Err(_) => {}
            Ok(m) => {
                let out: Vec<Vec<u8>> = m.days.into_iter().map(|d| d.bytes).collect();
                let out_records: Vec<&[u8]> = out
                    .iter()
                    .flat_map(|b| split_records(b).unwrap())
                    .filter(|r| !same.contains(r))
                    .collect();
                let mut got = values(&out_records);
                let mut want = values(&same);
                got.sort_unstable();
                want.sort_unstable();
                // Overlapping flipped records may supersede each other's samples: what
                // the merge writes is a sub-multiset of the input's samples.
                let mut it = want.iter().peekable();
                for g in &got {
                    while it.peek().is_some_and(|w| *w < g) {
                        it.next();
                    }
                    prop_assert_eq!(it.next(), Some(g), "sample {} not in the input", g);
                }
            }
        }
    }
}

mod merge_into_archive {
    //! The merge on an archive: inputs and day files holding records the gate refuses, or
    //! records whose Steim frames do not decode.

    use super::*;
    use siqaco::merge::OutputEncoding;
    use siqaco::ops::{Control, MergeRequest};
    use siqaco::testing::copy_tree;
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    /// Every file under `root`, relative path → bytes.
    fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        siqaco::testing::archive_tree(root)
    }

    const DAY_FILE: &str = "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058";

    /// A day file of the archive holding a record the gate refuses (its sample count set
    /// beyond what its Steim frames hold): a merge that must read that day is refused
    /// naming the day file and the record's offset, and no file changes.
    #[test]
    fn a_refused_record_in_a_day_file_names_the_day_file() {
        let Some(data) = test_data_dir() else { return };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        copy_tree(&data.join("sds-small"), &root);
        let day = root.join(DAY_FILE);
        let mut bytes = std::fs::read(&day).unwrap();
        let records = split_records(&bytes).unwrap();
        let (len, n) = (records[0].len(), records.len());
        let patch: Vec<u8> = records[0].to_vec();
        let at = 2 * len;
        put16(&mut bytes[at..at + len], 30, 60_000);
        let message = parse_record(&bytes[at..]).unwrap_err().message;
        assert!(
            message.starts_with("sample count 60000 exceeds what"),
            "{message}"
        );
        std::fs::write(&day, &bytes).unwrap();
        std::fs::write(dir.path().join("patch.mseed"), &patch).unwrap();
        let before = tree(&root);
        let e = MergeRequest::new(&root, [dir.path().join("patch.mseed")])
            .run(&Control::new())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: byte offset {at}: {message}", day.display())
        );
        assert!(tree(&root) == before, "the archive changed ({n} records)");
    }

    /// A patch record that passes the gate but whose Steim frames are damaged (a flipped
    /// difference byte) is decoded by a merge with an output encoding: the merge fails
    /// naming the patch file and the record's offset (it printed an empty path before),
    /// and writes nothing.
    #[test]
    fn an_undecodable_patch_record_is_named_by_file_and_offset() {
        let Some(data) = test_data_dir() else { return };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        copy_tree(&data.join("sds-small"), &root);
        let mut patch = std::fs::read(root.join(DAY_FILE)).unwrap();
        let len = split_records(&patch).unwrap()[0].len();
        patch.truncate(4 * len);
        // Moved to a day the archive lacks (day of year + 100), so the merge writes them.
        for k in 0..4 {
            let r = &mut patch[k * len..(k + 1) * len];
            let doy = get16(r, 22);
            put16(r, 22, doy + 100);
        }
        let at = 3 * len;
        let off = get16(&patch[at..], 44) as usize;
        patch[at + off + 64 + 4 * 5 + 3] ^= 0x01;
        assert!(parse_record(&patch[at..]).is_ok());
        let message = match decode_record(&patch[at..at + len]).unwrap_err() {
            siqaco::Error::InvalidData { message, .. } => message,
            other => panic!("{other}"),
        };
        let input = dir.path().join("patch.mseed");
        std::fs::write(&input, &patch).unwrap();
        let before = tree(&root);
        let mut request = MergeRequest::new(&root, [&input]);
        request.encoding = OutputEncoding::Steim1;
        let e = request.run(&Control::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: byte offset {at}: {message}", input.display())
        );
        assert!(tree(&root) == before, "the archive changed");
    }
}

/// Issue #16 defect 3: a day file holding a v3 record at 1e-9 Hz (or a v2 record with rate
/// factor and multiplier −32768/−32768) after a good record: `index` ran for ever on it
/// (and `scan` aborted on allocation). Now the catalogue holds the good record's stream
/// only, with the refused record among the file's errors.
#[test]
fn index_lists_a_refused_rate_and_catalogues_the_rest() {
    use siqaco::archive::{Archive, Layout};
    use siqaco::index::{Catalogue, IndexOptions};
    let Some(good) = first_record("libmseed__reference-testdata-steim2.v2.mseed") else {
        return;
    };
    let mut slow = first_record("libmseed__reference-testdata-steim2.v3.mseed").unwrap();
    slow[16..24].copy_from_slice(&f64::to_le_bytes(1e-9));
    fix_crc(&mut slow);
    let mut factor = good.clone();
    put16(&mut factor, 32, (-32768i16) as u16);
    put16(&mut factor, 34, (-32768i16) as u16);
    for bad in [slow, factor] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        let file = root.join("2012/XX/TEST/BHZ.D/XX.TEST..BHZ.D.2012.133");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let mut bytes = good.clone();
        bytes.extend_from_slice(&bad);
        std::fs::write(&file, &bytes).unwrap();
        let mut cat = Catalogue::open(dir.path().join("cat.sqlite")).unwrap();
        let r = cat
            .index_archive(&Archive::new(&root, Layout::Sds), &IndexOptions::default())
            .unwrap();
        assert_eq!((r.files_indexed, r.files_with_errors), (1, 1));
        let rows = cat.tsindex_rows().unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!((rows[0].byteoffset, rows[0].bytes), (0, good.len() as i64));
        let errors = cat.query_sql("SELECT errors FROM siqaco_files").unwrap();
        let text = format!("{errors:?}");
        assert!(
            text.contains(&format!("\\\"offset\\\":{}", good.len()))
                && text.contains("Hz is outside 1e-6 to 1e6 Hz"),
            "{text}"
        );
    }
}
