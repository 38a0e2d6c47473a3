//! The invariants the fuzz targets check, one function per target; each panics when an
//! invariant does not hold. Shared by the targets in `fuzz/fuzz_targets/` and by the
//! regression tests of the inputs they found (`siqaco-core/tests/fuzz_regressions.rs`,
//! inputs in `siqaco-core/tests/data/fuzz-regressions/<target>/`), so that a stored input
//! runs through exactly the code that found it.
#![allow(dead_code)]

use siqaco::archive::{Archive, Layout, Template};
use siqaco::codec::{decode_record, DecodedRecord, Samples};
use siqaco::fuzzing::{scan_chunked, validate_dataselect_response};
use siqaco::record::{
    parse_record, RecordErrorKind, RecordScanner, ScanItem, ENCODING_UNKNOWN, MAX_RECORD_LENGTH,
    MIN_RECORD_LENGTH,
};
use siqaco::source::fdsnws::availability::parse_availability;
use siqaco::source::RequestLine;
use siqaco::stationxml::parse_stationxml;
use siqaco::update::config::Config;
use siqaco::{Error, Nslc, NslcGlob};
use std::path::{Component, Path};

/// An item reduced to what must agree between the whole-buffer and the chunked walk.
#[derive(Debug, PartialEq)]
enum Item {
    Record {
        offset: u64,
        length: usize,
        start_ns: i64,
        sample_count: i64,
    },
    Invalid {
        offset: u64,
        length: u64,
        message: String,
    },
}

fn reduce(item: &ScanItem<'_>) -> Item {
    match item {
        ScanItem::Record { offset, header } => Item::Record {
            offset: *offset,
            length: header.record_length,
            start_ns: header.start_ns,
            sample_count: header.sample_count,
        },
        ScanItem::Invalid {
            offset,
            length,
            message,
        } => Item::Invalid {
            offset: *offset,
            length: *length,
            message: message.clone(),
        },
    }
}

/// The record scanner and its validation gate (`RecordScanner`, `parse_record`) on any
/// bytes taken as a whole file.
///
/// Invariants checked, beyond "no panic, no abort, bounded memory":
/// - the items cover the input exactly once, in order, without empty items;
/// - a record item is `record_length` bytes (40 B to 10 MiB) of the input at its offset, and
///   `parse_record` at that offset gives the same header; on the record's bytes alone it
///   gives the same header too (a miniSEED 2 record without a valid blockette 1000 length
///   may instead be refused as truncated there: its length is measured to the next header,
///   which is no longer present);
/// - the header's derived values (codes, end times, flags, CRC check, extra headers) are
///   computed without panicking (integer overflow included, with debug assertions);
/// - scanning the same bytes in chunks, as `siqaco scan` does on files, gives the same items.
pub fn scan(data: &[u8]) {
    let mut pos = 0u64;
    let mut whole = Vec::new();
    for item in RecordScanner::new(data) {
        match &item {
            ScanItem::Record { offset, header } => {
                assert_eq!(
                    *offset, pos,
                    "record does not start where the last item ended"
                );
                let len = header.record_length;
                assert!((MIN_RECORD_LENGTH..=MAX_RECORD_LENGTH).contains(&len));
                let at = *offset as usize;
                assert!(at + len <= data.len(), "record runs past the input");
                assert_eq!(header.raw, &data[at..at + len]);
                let again = parse_record(&data[at..]).expect("record item does not re-parse");
                assert_eq!(&again, header);
                match parse_record(header.raw) {
                    Ok(alone) => assert_eq!(&alone, header),
                    // A v2 record whose length is not given by a valid blockette 1000 is
                    // measured to the next header, which is no longer there.
                    Err(e) => assert!(
                        header.format_version == 2 && e.kind == RecordErrorKind::Truncated,
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
            ScanItem::Invalid {
                offset,
                length,
                message,
            } => {
                assert_eq!(
                    *offset, pos,
                    "invalid run does not start where the last item ended"
                );
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
}

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

/// Decoding (`codec::decode_record`, libmseed `msr3_parse` with `MSF_UNPACKDATA`) of the
/// record at the start of any bytes.
///
/// Invariants checked, beyond "no crash, bounded memory":
/// - a decoded record has exactly the header's sample count, start time, encoding (Steim1
///   for a v2 record without blockette 1000, as libmseed decodes it) and record length
///   (`parse_record` of the same bytes);
/// - the result depends only on the record's bytes: decoding an exact copy of the record
///   and the record followed by other bytes gives the same samples or both fail (a decoder
///   reading past the record gives different samples or a different outcome).
pub fn decode(data: &[u8]) {
    let Ok(header) = parse_record(data) else {
        // Not a record: decoding must refuse it too.
        assert!(decode_record(data).is_err());
        return;
    };
    let exact = header.raw.to_vec();
    // A v2 record without blockette 1000 takes its length from what follows it (the next
    // header, libmseed's rule): alone, its bytes may read as a shorter record or as none.
    // The decoder is given the bytes alone, so it is checked against them.
    let Ok(header) = parse_record(&exact) else {
        assert!(decode_record(&exact).is_err());
        return;
    };
    let decoded = decode_record(&exact);
    if let Ok(d) = &decoded {
        assert_eq!(d.samples.len() as i64, header.sample_count, "sample count");
        assert_eq!(d.sample_count, header.sample_count);
        assert_eq!(d.start_ns, header.start_ns, "start time");
        // libmseed decodes a v2 record without blockette 1000 as Steim1 and reports
        // either 10 or no encoding (255), depending on the path that decoded it.
        if header.encoding == ENCODING_UNKNOWN {
            assert!(
                d.encoding == 10 || d.encoding == ENCODING_UNKNOWN,
                "encoding {} of a record without blockette 1000",
                d.encoding
            );
        } else {
            assert_eq!(d.encoding, header.encoding, "encoding");
        }
        assert_eq!(d.record_length, header.record_length, "record length");
        assert_eq!(d.format_version, header.format_version);
    }
    for fill in [0x00u8, 0xA5] {
        let mut padded = exact.clone();
        padded.resize(exact.len() + 4096, fill);
        match parse_record(&padded) {
            Ok(h) if parse_record(&exact).is_ok_and(|alone| alone == h) => {}
            // A v2 record without blockette 1000 takes its length from what follows (the
            // next header, or the end of the data when that is a power of two), so alone
            // it may read otherwise or not at all (libmseed's rule).
            _ => continue,
        }
        let again = decode_record(&padded);
        assert_eq!(
            outcome(&again),
            outcome(&decoded),
            "decoding depends on the bytes after the record (fill {fill:#x})"
        );
    }
}

/// The check of a dataselect response body (`source::RecordCheck`, run on every FDSN and
/// external-source response as it is staged) on any bytes.
///
/// Invariants checked, beyond "no panic, bounded memory":
/// - asked for every stream at every time, a body is accepted exactly when the record
///   scanner finds no unreadable byte in it and every data record has codes that can be
///   filed in an archive (`Nslc::validate`), and the count is the scanner's record count;
/// - asked for the first record's stream only from its start time, an accepted body is one
///   the scanner reads completely; a refusal names a byte offset.
pub fn dataselect(data: &[u8]) {
    let mut records = 0usize;
    let mut clean = true;
    let mut first = None;
    for item in RecordScanner::new(data) {
        match item {
            ScanItem::Record { header, .. } => {
                records += 1;
                if header.is_data() {
                    let nslc = header.nslc();
                    if nslc.validate().is_err() {
                        clean = false;
                    } else if first.is_none() {
                        first = Some((nslc, header.start_ns));
                    }
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
            assert!(
                clean,
                "a body with unreadable bytes or unfileable codes was accepted"
            );
            assert_eq!(n, records);
        }
        Err(m) => {
            assert!(!clean, "a clean body was refused: {m}");
            assert!(m.contains("byte"), "{m}");
        }
    }
    if let Some((nslc, start)) = first {
        let one = [RequestLine::new(
            &nslc,
            start,
            start.saturating_add(86_400_000_000_000),
        )];
        match validate_dataselect_response(data, &one) {
            Ok(n) => {
                assert!(clean);
                assert_eq!(n, records);
            }
            Err(m) => assert!(m.contains("byte"), "{m}"),
        }
    }
}

const XML_NAME: &str = "fuzz.xml";

/// The StationXML reader (`stationxml::parse_stationxml`) on any bytes.
///
/// Invariants checked, beyond "no panic, bounded memory and time" (entity expansion and
/// deep nesting must be refused, not followed):
/// - an error is `Error::StationXml` naming the document, with a line within the document;
/// - an inventory's channels carry the network and station codes of their enclosing
///   elements, and parsing the same bytes again gives the same inventory.
pub fn stationxml(data: &[u8]) {
    match parse_stationxml(data, XML_NAME) {
        Err(Error::StationXml { path, line, .. }) => {
            assert_eq!(path.to_str(), Some(XML_NAME));
            let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            assert!(
                line <= lines,
                "error line {line} past the {lines} lines of the document"
            );
        }
        Err(other) => panic!("not a StationXML error: {other:?}"),
        Ok(inv) => {
            for net in &inv.networks {
                for sta in &net.stations {
                    for cha in &sta.channels {
                        assert_eq!(cha.nslc.network, net.code);
                        assert_eq!(cha.nslc.station, sta.code);
                    }
                }
            }
            // Deterministic (compared through JSON so that NaN values compare equal).
            let again = parse_stationxml(data, XML_NAME).expect("second parse failed");
            assert_eq!(
                serde_json::to_string(&inv).ok(),
                serde_json::to_string(&again).ok()
            );
        }
    }
}

/// The update configuration (`update::config::Config::from_str_in`, a `siqaco.toml`) on
/// any text.
///
/// Invariants checked, beyond "no panic": an accepted configuration has its archive and
/// every path resolved against the base directory (never relative), an archive layout
/// that reads back to itself from its text, and sources sorted by priority.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = Path::new("/fuzz-base");
    let Ok(c) = Config::from_str_in(text, base) else {
        return;
    };
    assert!(
        c.archive.path.is_absolute(),
        "archive path {:?}",
        c.archive.path
    );
    for p in [&c.streams.file, &c.streams.stationxml]
        .into_iter()
        .flatten()
    {
        assert!(p.is_absolute(), "path {p:?} not resolved");
    }
    let layout: Layout = c.archive.layout.to_string().parse().expect("layout text");
    assert_eq!(layout, c.archive.layout);
    assert!(c.sources.windows(2).all(|w| w[0].priority <= w[1].priority));
}

const ROOT: &str = "/nonexistent-fuzz-root/archive";

/// Archive layouts and dataselect templates (`archive::Template`, `Layout::from_str`,
/// `Archive::file_path`) on any text and codes.
///
/// Input: lines `template`, `network`, `station`, `location`, `channel`, then 9 bytes:
/// the day (i64, little endian) and the quality letter.
///
/// Invariants checked, beyond "no panic": a parsed template reads back to itself from its
/// text; a file path built from it lies under the archive root, with only plain,
/// non-hidden components (no `..`, `.`, root, NUL or backslash), whatever the codes.
pub fn template(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(6, '\n');
    let (Some(t), Some(n), Some(s), Some(l), Some(c)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return;
    };
    let rest = parts.next().unwrap_or("").as_bytes();
    let mut day = [0u8; 8];
    for (d, b) in day.iter_mut().zip(rest) {
        *d = *b;
    }
    let day_ns = i64::from_le_bytes(day);
    let quality = rest.get(8).map_or('D', |&b| b as char);

    if let Ok(tp) = Template::parse(t) {
        assert_eq!(Template::parse(tp.as_str()).ok(), Some(tp.clone()));
    }
    let Ok(layout) = t.parse::<Layout>() else {
        return;
    };
    let archive = Archive::new(ROOT, layout);
    let nslc = Nslc::new(n, s, l, c);
    if let Ok(path) = archive.file_path(&nslc, day_ns, quality) {
        let rel = path
            .strip_prefix(Path::new(ROOT))
            .expect("path outside the root");
        assert!(rel.components().count() > 0);
        for comp in rel.components() {
            let Component::Normal(name) = comp else {
                panic!("component {comp:?} in {path:?}");
            };
            let name = name.to_str().expect("non-UTF-8 name");
            assert!(!name.is_empty() && !name.starts_with('.'), "{path:?}");
            assert!(!name.contains(['\0', '\\']), "{path:?}");
        }
    }
}

const URL: &str = "http://fuzz.invalid/fdsnws/availability/1/query";

/// The FDSN availability response parser (`source::fdsnws::availability::parse_availability`,
/// text and JSON) on any body.
///
/// Invariant checked, beyond "no panic, bounded memory": an error is `Error::Http` naming
/// the URL asked with the status 200 (the body, not the transport, was wrong).
pub fn availability(data: &[u8]) {
    match parse_availability(data, URL) {
        Ok(_) => {}
        Err(Error::Http { url, status, .. }) => {
            assert_eq!(url, URL);
            assert_eq!(status, Some(200));
        }
        Err(other) => panic!("not an HTTP error naming the URL: {other:?}"),
    }
}
