//! Entry points for the coverage-guided fuzz targets in `fuzz/` and their regression tests
//! (hidden from the documentation, not part of the supported API).
//!
//! The fuzz crate can only call public items; the two checks below are crate-private in
//! the library, so they are re-exposed here unchanged, with the exact code path the
//! library runs.

use crate::record::ScanItem;
use crate::source::RequestLine;

/// The check of a dataselect response body (`source::RecordCheck` fed by the record
/// scanner, run on every FDSN and external-source response as it is staged):
/// `Ok(number of records)` when `buf` holds only complete miniSEED records, of streams
/// whose codes can be filed, that belong to `lines`, else the message that becomes the
/// [`crate::Error::Http`] of the request.
///
/// # Errors
/// The message, as the library gives it.
pub fn validate_dataselect_response(
    buf: &[u8],
    lines: &[RequestLine],
) -> std::result::Result<usize, String> {
    let mut check = crate::source::RecordCheck::new(lines);
    for item in crate::record::RecordScanner::new(buf) {
        if !check.item(item) {
            break;
        }
    }
    check.finish(buf)
}

/// Scans `data` as the library scans a file (`record::scan_reader`: `chunk_bytes` at a
/// time, records carried over between chunks) and calls `f` with every item, in order.
///
/// # Errors
/// None in practice: reading from a slice does not fail.
pub fn scan_chunked(
    data: &[u8],
    chunk_bytes: usize,
    f: impl FnMut(ScanItem<'_>),
) -> std::io::Result<u64> {
    let mut reader = data;
    let mut buf = Vec::new();
    crate::record::scan_reader(&mut reader, &mut buf, chunk_bytes, f)
}
