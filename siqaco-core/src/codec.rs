//! Decoding and encoding of miniSEED samples through libmseed (the workspace's
//! `siqaco-mseed-sys` crate: libmseed 3.5.4, the release pymseed 1.0.1 ships, vendored and
//! compiled with `cc`). All `unsafe` code that touches libmseed lives in this module.
//!
//! Only libmseed's buffer functions are used (`msr3_parse`, `msr3_pack`, `msr3_init`,
//! `msr3_free`, `ms_nslc2sid`, `msr3_sampratehz`, `msr3_endtime`): never its file reader,
//! trace lists or global reader state. Every `MS3Record` is created and freed inside one
//! call, so every type here is `Send` and the functions can run on any thread.
//!
//! # Errors and logging
//!
//! libmseed reports problems through its logging functions, whose parameters are
//! thread-local. On first use in a thread this module registers (`ms_rloginit`) print
//! functions that collect the messages of the current call; error messages are put into
//! the returned [`Error`], warnings are passed to `tracing` at debug level. Nothing is
//! written to stderr.
//!
//! # Safety margin
//!
//! libmseed 3.1.3 (linked before 3.5.4) had INT16, INT32, FLOAT32 and FLOAT64 decoders that
//! did not bound the header's sample count by the data length (a larger count read past the
//! record: invented samples, or a segmentation fault). [`decode_record`] gives libmseed only
//! records that passed the validation gate ([`record::check_record`]: the sample count
//! fits the data bytes of the encoding, the data offset lies inside the record, the
//! encoding is one libmseed decodes), and only the record's bytes.
//!
//! libmseed 3.1.3 could also read a few bytes past the end of a buffer while walking a
//! corrupt miniSEED 2 blockette chain and shifted by an unchecked exponent in blockette
//! 1000 (both fixed in 3.5). The margin against them stays, as it costs one walk of the
//! chain: records whose blockette 1000 has a record-length exponent of 31 or more are
//! refused, and when a blockette could lie within 8 bytes of the buffer end the bytes are
//! copied into a zero-padded buffer first.

use crate::error::{Error, Result};
use crate::record::{self, ENCODING_UNKNOWN};
use crate::sid::Nslc;
use siqaco_mseed_sys as ffi;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr;

/// Decoded samples of a record, in the type libmseed decodes the encoding to.
/// Serialises (serde) as its [`Samples::sample_type`] and its samples' little-endian bytes
/// (one byte string: the samples of a distributed read travel between processes at
/// memory speed).
#[derive(Clone, Debug, PartialEq)]
pub enum Samples {
    /// Integer samples (int16, int32, Steim1, Steim2, CDSN, SRO, DWWSSN, GEOSCOPE
    /// gain-ranged integers…).
    Int32(Vec<i32>),
    /// 32-bit float samples (float32, GEOSCOPE).
    Float32(Vec<f32>),
    /// 64-bit float samples (float64).
    Float64(Vec<f64>),
    /// Text payload bytes (encoding 0), e.g. log records.
    Text(Vec<u8>),
}

impl Samples {
    /// Number of samples (bytes for text).
    pub fn len(&self) -> usize {
        match self {
            Samples::Int32(v) => v.len(),
            Samples::Float32(v) => v.len(),
            Samples::Float64(v) => v.len(),
            Samples::Text(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// libmseed's sample type code: `i`, `f`, `d` or `t`.
    pub fn sample_type(&self) -> char {
        match self {
            Samples::Int32(_) => 'i',
            Samples::Float32(_) => 'f',
            Samples::Float64(_) => 'd',
            Samples::Text(_) => 't',
        }
    }
}

/// The little-endian bytes of fixed-size values.
fn le_bytes<const N: usize, T: Copy>(v: &[T], to: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    v.iter().flat_map(|x| to(*x)).collect()
}

/// Values from their little-endian bytes (a length that is not a multiple of `N` is an
/// error).
fn from_le_bytes<const N: usize, T, E: serde::de::Error>(
    b: &[u8],
    from: impl Fn([u8; N]) -> T,
) -> std::result::Result<Vec<T>, E> {
    if !b.len().is_multiple_of(N) {
        return Err(E::custom(format!(
            "{} sample bytes, not a multiple of {N}",
            b.len()
        )));
    }
    Ok(b.chunks_exact(N)
        .map(|c| from(c.try_into().expect("chunks of N bytes")))
        .collect())
}

/// A byte string for serde (serialised as bytes, not as a sequence of numbers).
struct ByteString<'a>(&'a [u8]);

impl serde::Serialize for ByteString<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// An owned byte string read by serde (from bytes, or from a sequence of numbers).
struct ByteBuf(Vec<u8>);

impl<'de> serde::Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> std::result::Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(
                self,
                v: Vec<u8>,
            ) -> std::result::Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<ByteBuf, A::Error> {
                let mut v = Vec::new();
                while let Some(b) = seq.next_element()? {
                    v.push(b);
                }
                Ok(ByteBuf(v))
            }
        }
        d.deserialize_byte_buf(Visitor)
    }
}

impl serde::Serialize for Samples {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let bytes = match self {
            Samples::Int32(v) => le_bytes(v, i32::to_le_bytes),
            Samples::Float32(v) => le_bytes(v, f32::to_le_bytes),
            Samples::Float64(v) => le_bytes(v, f64::to_le_bytes),
            Samples::Text(v) => v.clone(),
        };
        (self.sample_type(), ByteString(&bytes)).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Samples {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let (kind, ByteBuf(b)) = <(char, ByteBuf)>::deserialize(d)?;
        Ok(match kind {
            'i' => Samples::Int32(from_le_bytes(&b, i32::from_le_bytes)?),
            'f' => Samples::Float32(from_le_bytes(&b, f32::from_le_bytes)?),
            'd' => Samples::Float64(from_le_bytes(&b, f64::from_le_bytes)?),
            't' => Samples::Text(b),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unknown sample type {other:?}"
                )))
            }
        })
    }
}

/// One record decoded by libmseed ([`decode_record`]).
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedRecord {
    /// Stream codes (from libmseed's source identifier).
    pub nslc: Nslc,
    /// Time of the first sample, ns since 1970 (libmseed `starttime`).
    pub start_ns: i64,
    /// Sample rate in Hz (`msr3_sampratehz`).
    pub sample_rate_hz: f64,
    /// Number of samples declared in the header.
    pub sample_count: i64,
    /// Data encoding code ([`ENCODING_UNKNOWN`] for a v2 record without blockette 1000,
    /// which libmseed decodes as Steim1).
    pub encoding: u8,
    /// Publication version (v2: quality R=1, D=2, Q=3, M=4).
    pub pub_version: u8,
    /// Record length in bytes.
    pub record_length: usize,
    /// Format version, 2 or 3.
    pub format_version: u8,
    /// The decoded samples (as many as libmseed decoded, equal to `sample_count` for a
    /// valid record).
    pub samples: Samples,
}

/// A record header as libmseed's `msr3_parse` (header only) reports it; used to
/// cross-check [`crate::record`].
#[derive(Clone, Debug, PartialEq)]
pub struct LibmseedHeader {
    /// Source identifier, e.g. `FDSN:IU_COLA_00_B_H_Z`.
    pub sid: String,
    /// `starttime` in ns.
    pub start_ns: i64,
    /// Raw `samprate` (Hz, or minus the period in s when negative).
    pub samprate: f64,
    /// `msr3_sampratehz`.
    pub sample_rate_hz: f64,
    /// `samplecnt`.
    pub sample_count: i64,
    /// `encoding` (libmseed's −1, no blockette 1000, is given as [`ENCODING_UNKNOWN`]).
    pub encoding: u8,
    /// `reclen` in bytes.
    pub record_length: usize,
    /// `pubversion`.
    pub pub_version: u8,
    /// `formatversion`.
    pub format_version: u8,
    /// `flags` (v3 record flags; v2 activity/IO/quality bits mapped by libmseed).
    pub flags: u8,
    /// `msr3_endtime` in ns (time of the last sample).
    pub end_ns: i64,
}

/// How [`encode`] packs samples. Build it from [`PackOptions::default`] and the `with_*`
/// setters (new fields may be added):
///
/// ```
/// use siqaco::codec::PackOptions;
/// let v3 = PackOptions::default().with_format_version(3).with_record_length(512);
/// assert_eq!((v3.record_length, v3.encoding, v3.format_version), (512, 11, 3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackOptions {
    /// Record length in bytes: for v2 a power of two from 128 to 131072; for v3 the
    /// maximum length (records are variable length), 40 B to 10 MiB.
    pub record_length: usize,
    /// Encoding code: 0 text, 1 int16, 3 int32, 4 float32, 5 float64, 10 Steim1, 11 Steim2.
    pub encoding: u8,
    /// Format version, 2 or 3.
    pub format_version: u8,
    /// Publication version; for v2 the quality indicator is derived from it as libmseed
    /// does (1 `R`, 3 `Q`, 4 `M`, otherwise `D`).
    pub pub_version: u8,
}

impl Default for PackOptions {
    /// 4096-byte miniSEED 2 Steim2 records with quality `D` (libmseed's defaults).
    fn default() -> Self {
        PackOptions {
            record_length: 4096,
            encoding: 11,
            format_version: 2,
            pub_version: 2,
        }
    }
}

impl PackOptions {
    /// These options with `record_length` bytes per record (see
    /// [`PackOptions::record_length`]).
    pub const fn with_record_length(mut self, record_length: usize) -> Self {
        self.record_length = record_length;
        self
    }

    /// These options with encoding code `encoding` (see [`PackOptions::encoding`]).
    pub const fn with_encoding(mut self, encoding: u8) -> Self {
        self.encoding = encoding;
        self
    }

    /// These options with format version `format_version`, 2 or 3.
    pub const fn with_format_version(mut self, format_version: u8) -> Self {
        self.format_version = format_version;
        self
    }

    /// These options with publication version `pub_version` (see
    /// [`PackOptions::pub_version`]).
    pub const fn with_pub_version(mut self, pub_version: u8) -> Self {
        self.pub_version = pub_version;
        self
    }
}

/// libmseed's report of a failed call, the source
/// ([`std::error::Error::source`]) of the [`Error::Codec`] built from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibmseedError {
    /// The return code of the libmseed function (`MS_GENERROR` −1, `MS_NOTSEED` −2,
    /// `MS_WRONGLENGTH` −3, `MS_OUTOFRANGE` −4, `MS_UNKNOWNFORMAT` −5, `MS_STBADCOMPFLAG`
    /// −6, `MS_INVALIDCRC` −7; `libmseed.h`).
    pub code: i32,
    /// libmseed's error messages for the call joined with `; `, or the name of the code
    /// when it logged none.
    pub message: String,
}

impl std::fmt::Display for LibmseedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LibmseedError {}

impl LibmseedError {
    /// The [`Error::Codec`] of this report, with its message as the error's.
    fn into_error(self) -> Error {
        Error::codec_from(self.message.clone(), self)
    }
}

/// The release of the libmseed linked into this program, e.g. `"3.5.4"`: the
/// `LIBMSEED_VERSION` the C library was compiled with, read from it at run time
/// (`siqaco --version` shows it).
pub fn libmseed_version() -> &'static str {
    ffi::libmseed_version()
}

// ---------------------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------------------

thread_local! {
    static LOG_READY: Cell<bool> = const { Cell::new(false) };
    static LOG_MESSAGES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

const ERROR_PREFIX: &CStr = c"Error: ";

unsafe extern "C" fn log_ignore(message: *const c_char) {
    if message.is_null() {
        return;
    }
    // SAFETY: libmseed passes a NUL-terminated message buffer valid for this call.
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    tracing::trace!(target: "libmseed", "{}", text.trim_end());
}

unsafe extern "C" fn log_collect(message: *const c_char) {
    if message.is_null() {
        return;
    }
    // SAFETY: libmseed passes a NUL-terminated message buffer valid for this call.
    let text = unsafe { CStr::from_ptr(message) }
        .to_string_lossy()
        .trim_end()
        .to_string();
    let _ = LOG_MESSAGES.try_with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.push(text);
        }
    });
}

/// Collects libmseed's messages for the duration of one call on this thread.
struct LogCapture;

impl LogCapture {
    fn start() -> Self {
        if !LOG_READY.with(Cell::get) {
            // SAFETY: the callbacks are valid for the program's lifetime and the prefix is a
            // static C string; the parameters are thread-local inside libmseed.
            unsafe {
                ffi::ms_rloginit(
                    Some(log_ignore),
                    ptr::null(),
                    Some(log_collect),
                    ERROR_PREFIX.as_ptr(),
                    0,
                );
            }
            LOG_READY.with(|r| r.set(true));
        }
        LOG_MESSAGES.with(|m| m.borrow_mut().clear());
        LogCapture
    }

    /// Error messages of the call joined with "; " (warnings go to tracing), or `fallback`.
    fn finish(self, fallback: &str) -> String {
        let messages = LOG_MESSAGES.with(|m| std::mem::take(&mut *m.borrow_mut()));
        let mut errors = Vec::new();
        for m in messages {
            match m.strip_prefix("Error: ") {
                Some(e) => errors.push(e.to_string()),
                None => tracing::debug!(target: "siqaco::libmseed", "{m}"),
            }
        }
        if errors.is_empty() {
            fallback.to_string()
        } else {
            errors.join("; ")
        }
    }
}

fn error_name(code: c_int) -> &'static str {
    match code {
        -1 => "generic error",
        -2 => "no miniSEED data detected",
        -3 => "wrong record length",
        -4 => "value out of range",
        -5 => "unknown data format",
        -6 => "Steim compression flag error",
        -7 => "invalid CRC",
        _ => "error",
    }
}

// ---------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------

/// An `MS3Record` owned by this module, freed with `msr3_free`.
struct Msr(*mut ffi::MS3Record);

impl Drop for Msr {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer was allocated by libmseed (msr3_parse / msr3_init) and
            // `datasamples` is either libmseed's or reset to null by its owner.
            unsafe { ffi::msr3_free(&mut self.0) };
        }
    }
}

const V2_PAD: usize = 8;

/// Checks a buffer before giving it to libmseed; returns whether it must be copied
/// into a padded buffer (see the module documentation).
fn precheck(buf: &[u8]) -> Result<bool> {
    let len = buf.len();
    let v2 = len >= 27 && !(len >= 40 && buf[0] == b'M' && buf[1] == b'S' && buf[2] == 3);
    if !v2 {
        return Ok(false);
    }
    if len < 48 {
        return Ok(true);
    }
    // Byte order as libmseed decides it.
    let y = u16::from_le_bytes([buf[20], buf[21]]);
    let d = u16::from_le_bytes([buf[22], buf[23]]);
    let little = (1900..=2100).contains(&y) && (1..=366).contains(&d);
    let rd = |at: usize| -> usize {
        let a = [buf[at], buf[at + 1]];
        (if little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        }) as usize
    };
    let mut pad = false;
    let mut off = rd(46);
    let mut steps = 0;
    while off != 0 && off < len && steps < 4096 {
        if off + V2_PAD > len {
            pad = true;
            break;
        }
        if rd(off) == 1000 && buf[off + 6] >= 31 {
            return Err(Error::invalid_data(
                "",
                0,
                format!(
                    "blockette 1000 record length exponent {} is not supported",
                    buf[off + 6]
                ),
            ));
        }
        let next = rd(off + 2);
        if next <= off {
            break;
        }
        off = next;
        steps += 1;
    }
    Ok(pad)
}

/// Runs `msr3_parse` on `buf` (treated as ending at the end of the data) and hands the
/// parsed record to `f`.
fn with_parsed<T>(
    buf: &[u8],
    flags: u32,
    f: impl FnOnce(&ffi::MS3Record) -> Result<T>,
) -> Result<T> {
    let padded;
    let data: &[u8] = if precheck(buf)? {
        let mut v = Vec::with_capacity(buf.len() + 64);
        v.extend_from_slice(buf);
        v.resize(buf.len() + 64, 0);
        padded = v;
        &padded
    } else {
        buf
    };
    let log = LogCapture::start();
    let mut msr = Msr(ptr::null_mut());
    // SAFETY: `data` holds at least `buf.len()` readable bytes (plus padding where libmseed
    // 3.1.3 read past the end); `msr.0` is null or a record from a previous parse.
    let rc = unsafe {
        ffi::msr3_parse(
            data.as_ptr().cast::<c_char>(),
            buf.len() as u64,
            &mut msr.0,
            flags | ffi::MSF_ATENDOFFILE,
            0,
        )
    };
    if rc != 0 || msr.0.is_null() {
        let fallback = if rc > 0 {
            format!("truncated record: {rc} more bytes needed")
        } else {
            error_name(rc).to_string()
        };
        let message = log.finish(&fallback);
        return Err(if rc == ffi::MS_NOTSEED || rc > 0 {
            Error::invalid_data("", 0, message)
        } else {
            LibmseedError { code: rc, message }.into_error()
        });
    }
    let _ = log.finish("");
    // SAFETY: msr3_parse succeeded, so msr.0 points to a valid, initialised record.
    let rec = unsafe { &*msr.0 };
    f(rec)
}

fn sid_of(rec: &ffi::MS3Record) -> String {
    // SAFETY: libmseed NUL-terminates `sid` (its length is checked to be < LM_SIDLEN).
    let bytes: &[u8] = unsafe { std::slice::from_raw_parts(rec.sid.as_ptr().cast::<u8>(), 64) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(64);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// An encoding code for a message: the number, or "none" for [`ENCODING_UNKNOWN`].
fn encoding_label(code: u8) -> String {
    if code == ENCODING_UNKNOWN {
        "none (no blockette 1000)".to_string()
    } else {
        code.to_string()
    }
}

fn encoding_of(rec: &ffi::MS3Record) -> u8 {
    if rec.encoding < 0 || rec.encoding > 255 {
        ENCODING_UNKNOWN
    } else {
        rec.encoding as u8
    }
}

/// Parses the header of the record at the start of `buf` with libmseed's `msr3_parse`
/// (no sample decoding), for cross-checking [`crate::record`].
///
/// # Errors
/// [`Error::InvalidData`] when libmseed finds no record or a truncated one,
/// [`Error::Codec`] with libmseed's message for other failures.
pub fn parse_header_libmseed(buf: &[u8]) -> Result<LibmseedHeader> {
    with_parsed(buf, 0, |rec| {
        // SAFETY: `rec` is a valid record.
        let (hz, end_ns) = unsafe { (ffi::msr3_sampratehz(rec), ffi::msr3_endtime(rec)) };
        Ok(LibmseedHeader {
            sid: sid_of(rec),
            start_ns: rec.starttime,
            samprate: rec.samprate,
            sample_rate_hz: hz,
            sample_count: rec.samplecnt,
            encoding: encoding_of(rec),
            record_length: rec.reclen.max(0) as usize,
            pub_version: rec.pubversion,
            format_version: rec.formatversion,
            flags: rec.flags,
            end_ns,
        })
    })
}

/// Byte-swap flag of `MS3Record::swapflag`: the payload needed swapping (`MSSWAP_PAYLOAD`).
const MSSWAP_PAYLOAD: u8 = 0x02;

/// Decodes the record at the start of `buf` with libmseed (`msr3_parse` with
/// `MSF_UNPACKDATA`): every encoding libmseed supports (text, int16, int32, float32,
/// float64, Steim1, Steim2, GEOSCOPE, CDSN, SRO, DWWSSN).
///
/// The record is first read with [`record::parse_record`], so it passes the validation
/// gate ([`record::check_record`]: data offset inside the record, sample count no more than
/// the data bytes of its encoding can hold, known encoding, v3 CRC…) before libmseed sees a
/// byte of it; libmseed is then given the record's bytes only (`buf` may extend past the
/// record; for a v2 record without blockette 1000 whose length is not a power of two, the
/// following record header is also given, as libmseed finds the length from it), and its
/// result must agree with the header: record length, and exactly `sample_count` samples.
/// For Steim1 and Steim2 the last sample must equal the reverse integration constant of
/// the first frame (SEED 2.4 manual, appendix B); a mismatch means damaged frames and is
/// an error.
///
/// # Errors
/// [`Error::InvalidData`] (offset 0, empty path: the caller adds the file and the offset
/// of the record) when the bytes are not a readable record, the gate refuses it, libmseed
/// cannot decode its samples, or the decoded samples disagree with the header.
pub fn decode_record(buf: &[u8]) -> Result<DecodedRecord> {
    let mut samples = Samples::Int32(Vec::new());
    let meta = decode_checked(buf, |ty, n| {
        samples = Samples::zeroed(ty, n);
        Ok(samples.as_mut())
    })?;
    Ok(DecodedRecord {
        nslc: meta.nslc,
        start_ns: meta.start_ns,
        sample_rate_hz: meta.sample_rate_hz,
        sample_count: meta.sample_count,
        encoding: meta.encoding,
        pub_version: meta.pub_version,
        record_length: meta.record_length,
        format_version: meta.format_version,
        samples,
    })
}

/// Mutable samples of one type: the destination [`decode_record_into`] fills.
#[derive(Debug)]
pub enum SamplesMut<'a> {
    /// Integer samples.
    Int32(&'a mut [i32]),
    /// 32-bit float samples.
    Float32(&'a mut [f32]),
    /// 64-bit float samples.
    Float64(&'a mut [f64]),
    /// Text payload bytes.
    Text(&'a mut [u8]),
}

impl SamplesMut<'_> {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            SamplesMut::Int32(v) => v.len(),
            SamplesMut::Float32(v) => v.len(),
            SamplesMut::Float64(v) => v.len(),
            SamplesMut::Text(v) => v.len(),
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// libmseed's sample type code: `i`, `f`, `d` or `t`.
    pub fn sample_type(&self) -> char {
        match self {
            SamplesMut::Int32(_) => 'i',
            SamplesMut::Float32(_) => 'f',
            SamplesMut::Float64(_) => 'd',
            SamplesMut::Text(_) => 't',
        }
    }

    /// Splits off the first `n` samples (`n` at most [`SamplesMut::len`]): `(first n,
    /// rest)`.
    pub fn split_at(self, n: usize) -> (Self, Self) {
        match self {
            SamplesMut::Int32(v) => {
                let (a, b) = v.split_at_mut(n);
                (SamplesMut::Int32(a), SamplesMut::Int32(b))
            }
            SamplesMut::Float32(v) => {
                let (a, b) = v.split_at_mut(n);
                (SamplesMut::Float32(a), SamplesMut::Float32(b))
            }
            SamplesMut::Float64(v) => {
                let (a, b) = v.split_at_mut(n);
                (SamplesMut::Float64(a), SamplesMut::Float64(b))
            }
            SamplesMut::Text(v) => {
                let (a, b) = v.split_at_mut(n);
                (SamplesMut::Text(a), SamplesMut::Text(b))
            }
        }
    }

    /// Copies samples `k0..k0 + self.len()` of `from` (of the same type) into `self`.
    fn copy_from(&mut self, from: &Samples, k0: usize) -> Result<()> {
        fn cp<T: Copy>(to: &mut [T], from: &[T], k0: usize) -> Result<()> {
            let src = from
                .get(k0..k0 + to.len())
                .ok_or_else(|| Error::codec("decoded record shorter than its part"))?;
            to.copy_from_slice(src);
            Ok(())
        }
        match (self, from) {
            (SamplesMut::Int32(t), Samples::Int32(f)) => cp(t, f, k0),
            (SamplesMut::Float32(t), Samples::Float32(f)) => cp(t, f, k0),
            (SamplesMut::Float64(t), Samples::Float64(f)) => cp(t, f, k0),
            (SamplesMut::Text(t), Samples::Text(f)) => cp(t, f, k0),
            _ => Err(Error::codec("decoded samples of another type")),
        }
    }
}

impl Samples {
    /// `n` zero samples of libmseed's sample type `ty` (`i`, `f`, `d`, anything else:
    /// text). The memory comes zeroed from the allocator (untouched pages cost nothing).
    pub fn zeroed(ty: char, n: usize) -> Samples {
        match ty {
            'i' => Samples::Int32(vec![0; n]),
            'f' => Samples::Float32(vec![0.0; n]),
            'd' => Samples::Float64(vec![0.0; n]),
            _ => Samples::Text(vec![0; n]),
        }
    }

    /// The samples as a mutable slice ([`SamplesMut`]).
    pub fn as_mut(&mut self) -> SamplesMut<'_> {
        match self {
            Samples::Int32(v) => SamplesMut::Int32(v),
            Samples::Float32(v) => SamplesMut::Float32(v),
            Samples::Float64(v) => SamplesMut::Float64(v),
            Samples::Text(v) => SamplesMut::Text(v),
        }
    }
}

/// libmseed's sample type (`i`, `f`, `d`, `t`) for a data encoding code
/// (`ms_encoding_sizetype`; [`ENCODING_UNKNOWN`], a miniSEED 2 record without blockette
/// 1000, is decoded as Steim1: `i`); `None` for an encoding libmseed does not decode.
pub fn sample_type_of(encoding: u8) -> Option<char> {
    let encoding = if encoding == ENCODING_UNKNOWN {
        10
    } else {
        encoding
    };
    let mut ty: c_char = 0;
    // SAFETY: plain lookup writing one char.
    let rc = unsafe { ffi::ms_encoding_sizetype(encoding, ptr::null_mut(), &mut ty) };
    (rc == 0).then_some(ty as u8 as char)
}

/// Decodes samples `k0..k0 + out.len()` of the record at the start of `buf` into `out`
/// (whose type must be the record's [`sample_type_of`]), with every check of
/// [`decode_record`]. When `out` takes all the record's samples, libmseed decodes
/// straight into it (`ms_decode_data` with a caller-given buffer: no allocation);
/// otherwise the record is decoded whole and the part copied.
///
/// # Errors
/// As [`decode_record`]; [`Error::InvalidData`] also when the record does not hold
/// `k0 + out.len()` samples of `out`'s type.
pub fn decode_record_into(buf: &[u8], k0: usize, mut out: SamplesMut<'_>) -> Result<()> {
    let bad = |m: String| Error::invalid_data("", 0, m);
    let want = out.sample_type();
    let mut whole: Option<Samples> = None;
    let mut direct = Some(out.reborrow());
    decode_checked(buf, |ty, n| {
        if ty != want {
            return Err(bad(format!(
                "the record's samples are of type {ty}, the buffer's of type {want}"
            )));
        }
        if k0 == 0 && n == direct.as_ref().map_or(0, SamplesMut::len) {
            return direct.take().ok_or_else(|| Error::codec("decoded twice"));
        }
        if k0 + direct.as_ref().map_or(0, SamplesMut::len) > n {
            return Err(bad(format!(
                "the record holds {n} samples, not {}",
                k0 + direct.as_ref().map_or(0, SamplesMut::len)
            )));
        }
        Ok(whole.insert(Samples::zeroed(ty, n)).as_mut())
    })?;
    match &whole {
        Some(w) => out.copy_from(w, k0),
        None => Ok(()),
    }
}

impl SamplesMut<'_> {
    /// The same samples, borrowed again (for a call that takes the slice by value).
    pub fn reborrow(&mut self) -> SamplesMut<'_> {
        match self {
            SamplesMut::Int32(v) => SamplesMut::Int32(v),
            SamplesMut::Float32(v) => SamplesMut::Float32(v),
            SamplesMut::Float64(v) => SamplesMut::Float64(v),
            SamplesMut::Text(v) => SamplesMut::Text(v),
        }
    }
}

/// What [`decode_checked`] learnt of a record besides its samples.
struct RecordMeta {
    nslc: Nslc,
    start_ns: i64,
    sample_rate_hz: f64,
    sample_count: i64,
    encoding: u8,
    pub_version: u8,
    record_length: usize,
    format_version: u8,
}

/// The one decoding path of [`decode_record`] and [`decode_record_into`]: the validation
/// gate, libmseed's header parse (`msr3_parse` without unpacking) and its cross-checks,
/// then `ms_decode_data` into the buffer `dest(sample type, sample count)` gives (exactly
/// that many samples), then the Steim reverse-integration check.
fn decode_checked<'o>(
    buf: &[u8],
    dest: impl FnOnce(char, usize) -> Result<SamplesMut<'o>>,
) -> Result<RecordMeta> {
    let bad = |m: String| Error::invalid_data("", 0, m);
    let header = record::parse_record(buf).map_err(|e| bad(e.message))?;
    let nslc = header.nslc();
    let reclen = header.record_length;
    let given = if header.format_version == 2
        && header.encoding == ENCODING_UNKNOWN
        && !reclen.is_power_of_two()
    {
        &buf[..buf.len().min(reclen + 64)]
    } else {
        header.raw
    };
    with_parsed(given, 0, |rec| {
        if rec.reclen < 0 || rec.reclen as usize != reclen || rec.samplecnt != header.sample_count
        {
            return Err(bad(format!(
                "libmseed reads this record as {} bytes with {} samples, the header as {reclen} bytes with {}",
                rec.reclen, rec.samplecnt, header.sample_count
            )));
        }
        // libmseed 3.1.3 walked some damaged blockette chains differently from 3.5.4 (whose
        // rules the header parser follows); the check stays with 3.5.4: when the two
        // disagree on the encoding, the samples libmseed decoded are not the record's, so
        // they are refused. A v2 record without blockette 1000 is decoded as Steim1,
        // reported as 10 or as none.
        let lm_encoding = encoding_of(rec);
        let same_encoding = lm_encoding == header.encoding
            || (header.encoding == ENCODING_UNKNOWN && lm_encoding == 10);
        // The same for the start time (a blockette 1001 that 3.1.3 did not reach kept its
        // microseconds out) and the sample rate (a blockette 100 likewise).
        if rec.starttime != header.start_ns
            || rec.samprate.to_bits() != header.sample_rate_raw.to_bits()
        {
            return Err(bad(format!(
                "libmseed reads the start time and rate of this record as {} and {}, the header parser as {} and {} (damaged blockette chain)",
                crate::time::format_time(rec.starttime),
                rec.samprate,
                crate::time::format_time(header.start_ns),
                header.sample_rate_raw
            )));
        }
        if !same_encoding {
            return Err(bad(format!(
                "libmseed reads the encoding of this record as {}, the header parser as {} (damaged blockette chain)",
                encoding_label(lm_encoding),
                encoding_label(header.encoding)
            )));
        }
        // libmseed's unpacking decodes a record without blockette 1000 as Steim1 and then
        // reports its encoding as 10 (when it has samples).
        let encoding = if rec.samplecnt > 0 && rec.encoding < 0 {
            10
        } else {
            lm_encoding
        };
        // SAFETY: `rec` is a valid record.
        let hz = unsafe { ffi::msr3_sampratehz(rec) };
        let meta = RecordMeta {
            nslc: nslc.clone(),
            start_ns: rec.starttime,
            sample_rate_hz: hz,
            sample_count: rec.samplecnt,
            encoding,
            pub_version: rec.pubversion,
            record_length: reclen,
            format_version: rec.formatversion,
        };
        if rec.samplecnt <= 0 {
            // Nothing to decode: the sample type libmseed leaves (none) and the encoding.
            dest(
                match rec.sampletype as u8 {
                    b'f' => 'f',
                    b'd' => 'd',
                    b't' => 't',
                    _ if header.encoding == 0 => 't',
                    _ => 'i',
                },
                0,
            )?;
            return Ok(meta);
        }
        // libmseed's payload of this record, found from the gate's header: it must be the
        // one libmseed's own parse gives (encoding, byte order), so the header pass of a
        // read may decode from it alone ([`decode_payload_into`]).
        let payload = payload_of(&header)?;
        if payload.encoding != encoding
            || payload.swap != (rec.swapflag & MSSWAP_PAYLOAD != 0)
            || i64::from(payload.samples) != rec.samplecnt
        {
            return Err(bad(format!(
                "libmseed reads the payload of this record as encoding {} (byte swap {}), the header parser as encoding {} (byte swap {})",
                encoding_label(encoding),
                rec.swapflag & MSSWAP_PAYLOAD != 0,
                encoding_label(payload.encoding),
                payload.swap
            )));
        }
        let mut out = dest(payload.sample_type, payload.samples as usize)?;
        decode_payload(given, &payload, rec.sid.as_ptr(), &mut out)?;
        Ok(meta)
    })
    .map_err(|e| match e {
        Error::Codec { message, .. } => bad(message),
        other => other,
    })
}

/// Where and how the samples of one data record are encoded, as libmseed decodes them:
/// found from the header the validation gate read ([`payload_of`]), so that the samples
/// can be decoded without parsing the header again ([`decode_payload_into`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payload {
    /// Byte offset of the payload from the start of the record.
    pub offset: u32,
    /// Length of the payload in bytes (libmseed's `msr3_data_bounds`: the data bytes of
    /// the record without trailing empty Steim frames, and no more than the samples of a
    /// fixed-size encoding take).
    pub size: u32,
    /// Number of samples (the header's, bounded by the data bytes at the gate).
    pub samples: u32,
    /// The encoding libmseed decodes: the record's; Steim1 (10) for a miniSEED 2 record
    /// without blockette 1000.
    pub encoding: u8,
    /// Whether the payload's byte order is not this machine's (libmseed's
    /// `MSSWAP_PAYLOAD`, from [`record::RecordHeader::payload_byte_order`]).
    pub swap: bool,
    /// libmseed's sample type of the encoding: `i`, `f`, `d` or `t` ([`sample_type_of`]).
    pub sample_type: char,
}

/// `MS3Record::swapflag` bit of a byte-swapped header (`MSSWAP_HEADER`).
const MSSWAP_HEADER: u8 = 0x01;

/// The payload of the data record whose header is `header` (from [`record::parse_record`]
/// or [`record::RecordScanner`], so the record passed the validation gate): its bounds
/// by libmseed's `msr3_data_bounds` on the header's values, its encoding, byte order and
/// sample type by libmseed's rules. [`decode_record`] checks each of them against
/// libmseed's own parse of the record.
///
/// # Errors
/// [`Error::InvalidData`] (offset 0, empty path: the caller adds the file and the offset
/// of the record) when libmseed does not decode the encoding or finds no payload inside
/// the record.
pub fn payload_of(header: &record::RecordHeader<'_>) -> Result<Payload> {
    let bad = |m: String| Error::invalid_data("", 0, m);
    let sample_type = sample_type_of(header.encoding).ok_or_else(|| {
        bad(format!(
            "libmseed does not decode encoding {}",
            header.encoding
        ))
    })?;
    let native = if cfg!(target_endian = "big") {
        record::ByteOrder::Big
    } else {
        record::ByteOrder::Little
    };
    let raw = header.raw;
    // SAFETY: MS3Record is a plain C struct for which all-zero bytes are a valid value
    // (null pointers, zero counts).
    let mut rec: ffi::MS3Record = unsafe { std::mem::zeroed() };
    rec.record = raw.as_ptr().cast::<c_char>();
    rec.reclen = i32::try_from(header.record_length).unwrap_or(i32::MAX);
    rec.formatversion = header.format_version;
    // libmseed finds the bounds before it takes a record without blockette 1000 as Steim1.
    rec.encoding = if header.encoding == ENCODING_UNKNOWN {
        -1
    } else {
        i16::from(header.encoding)
    };
    rec.samplecnt = header.sample_count;
    if header.format_version == 3 {
        let sid_len = usize::from(raw.get(33).copied().unwrap_or(0));
        rec.extralength =
            u16::try_from(header.data_offset.saturating_sub(40 + sid_len)).unwrap_or(u16::MAX);
        rec.datalength = u32::try_from(header.record_length.saturating_sub(header.data_offset))
            .unwrap_or(u32::MAX);
    } else if header.header_byte_order != native {
        rec.swapflag = MSSWAP_HEADER;
    }
    let (mut offset, mut size) = (0u32, 0u32);
    let log = LogCapture::start();
    // SAFETY: `rec.record` points to the `header.record_length` bytes of the record (the
    // gate checked them), the fields libmseed reads are set.
    if unsafe { ffi::msr3_data_bounds(&rec, &mut offset, &mut size) } != 0 {
        return Err(bad(log.finish("cannot find the data payload")));
    }
    let _ = log.finish("");
    if offset as usize + size as usize > raw.len() {
        return Err(bad(format!(
            "data payload {offset}+{size} outside the record of {} bytes",
            raw.len()
        )));
    }
    Ok(Payload {
        offset,
        size,
        samples: u32::try_from(header.sample_count.max(0)).unwrap_or(u32::MAX),
        encoding: if header.encoding == ENCODING_UNKNOWN {
            10
        } else {
            header.encoding
        },
        swap: header.payload_byte_order != native,
        sample_type,
    })
}

/// Decodes samples `k0..k0 + out.len()` of the record at the start of `record` (which
/// may extend past it), whose payload is `payload` ([`payload_of`] of its header), into
/// `out`, with libmseed's `ms_decode_data`: no header is parsed again. When `out` takes
/// all the record's samples they are decoded straight into it; otherwise the record is
/// decoded whole and the part copied. The Steim check of [`decode_record`] applies.
///
/// When this fails, the record is decoded by [`decode_record_into`] (the gate, libmseed's
/// parse and every cross-check), whose error is returned: the errors are those of
/// [`decode_record`] for the same bytes.
///
/// # Errors
/// As [`decode_record_into`].
pub fn decode_payload_into(
    record: &[u8],
    payload: &Payload,
    k0: usize,
    mut out: SamplesMut<'_>,
) -> Result<()> {
    let n = payload.samples as usize;
    let fast = if out.sample_type() != payload.sample_type || k0 + out.len() > n {
        Err(Error::codec("another buffer than the record's samples"))
    } else if k0 == 0 && out.len() == n {
        decode_payload(record, payload, c"".as_ptr(), &mut out)
    } else {
        let mut whole = Samples::zeroed(payload.sample_type, n);
        decode_payload(record, payload, c"".as_ptr(), &mut whole.as_mut())
            .and_then(|()| out.copy_from(&whole, k0))
    };
    fast.or_else(|_| decode_record_into(record, k0, out))
}

/// libmseed's `ms_decode_data` of `payload` of the record at the start of `record` into
/// `out` (exactly `payload.samples` samples of `payload.sample_type`), then the Steim
/// reverse-integration check. `sid` (a NUL-terminated string) names the record in
/// libmseed's messages.
fn decode_payload(
    record: &[u8],
    payload: &Payload,
    sid: *const c_char,
    out: &mut SamplesMut<'_>,
) -> Result<()> {
    let bad = |m: String| Error::invalid_data("", 0, m);
    let (n, ty) = (payload.samples as usize, payload.sample_type);
    if out.len() != n || out.sample_type() != ty {
        return Err(Error::codec(format!(
            "a buffer of {} samples of type {} for {n} samples of type {ty}",
            out.len(),
            out.sample_type()
        )));
    }
    let (offset, size) = (payload.offset as usize, payload.size as usize);
    let Some(bytes) = record.get(offset..offset + size) else {
        return Err(bad(format!(
            "data payload {offset}+{size} outside the record of {} bytes",
            record.len()
        )));
    };
    // libmseed reads the payload in units of the sample size: an unaligned payload is
    // copied to aligned memory first, as msr3_unpack_data does.
    let aligned: Vec<u64>;
    let payload_ptr = if (bytes.as_ptr() as usize).is_multiple_of(8) {
        bytes.as_ptr()
    } else {
        let mut v = vec![0u64; size.div_ceil(8)];
        // SAFETY: `v` holds at least `size` bytes; the regions do not overlap.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr().cast::<u8>(), size) };
        aligned = v;
        aligned.as_ptr().cast::<u8>()
    };
    let (out_ptr, out_bytes) = match out {
        SamplesMut::Int32(v) => (v.as_mut_ptr().cast::<c_void>(), n * 4),
        SamplesMut::Float32(v) => (v.as_mut_ptr().cast::<c_void>(), n * 4),
        SamplesMut::Float64(v) => (v.as_mut_ptr().cast::<c_void>(), n * 8),
        SamplesMut::Text(v) => (v.as_mut_ptr().cast::<c_void>(), n),
    };
    let mut lm_type: c_char = 0;
    let log = LogCapture::start();
    // SAFETY: `payload_ptr` holds `size` readable bytes, aligned for the sample size;
    // `out_ptr` holds `out_bytes` writable bytes (exactly `n` samples of `ty`); `sid` is
    // a NUL-terminated string (libmseed's `sid` or a static one).
    let decoded = unsafe {
        ffi::ms_decode_data(
            payload_ptr.cast::<c_void>(),
            size as u64,
            payload.encoding,
            n as u64,
            out_ptr,
            out_bytes as u64,
            &mut lm_type,
            i8::from(payload.swap),
            sid,
            0,
        )
    };
    if decoded < 0 {
        return Err(bad(log.finish(error_name(decoded as c_int))));
    }
    let _ = log.finish("");
    if decoded as usize != n || lm_type as u8 as char != ty {
        return Err(bad(format!("decoded {decoded} samples, header says {n}")));
    }
    if let (SamplesMut::Int32(v), 10 | 11) = (&*out, payload.encoding) {
        let at = offset + 8;
        if let (Some(&last), Some(x)) = (v.last(), record.get(at..at + 4)) {
            let word = i32::from_ne_bytes([x[0], x[1], x[2], x[3]]);
            let xn = if payload.swap {
                word.swap_bytes()
            } else {
                word
            };
            if last != xn {
                return Err(bad(format!(
                    "last decoded sample {last} differs from the reverse integration constant {xn} of the Steim frames (damaged data)"
                )));
            }
        }
    }
    Ok(())
}

unsafe extern "C" fn collect_record(record: *mut c_char, len: c_int, data: *mut c_void) {
    if record.is_null() || data.is_null() || len <= 0 {
        return;
    }
    // SAFETY: `data` is the `Vec<u8>` passed by `encode`, alive and exclusively borrowed
    // for the duration of msr3_pack; `record` holds `len` bytes.
    unsafe {
        let out = &mut *data.cast::<Vec<u8>>();
        out.extend_from_slice(std::slice::from_raw_parts(
            record.cast::<u8>(),
            len as usize,
        ));
    }
}

/// Packs all `samples` into consecutive records (libmseed `msr3_pack` with
/// `MSF_FLUSHDATA`) and returns them concatenated.
///
/// `start_ns` is the time of the first sample; `sample_rate_hz` must be positive.
/// Sample types must match the encoding: `Int32` for int16 (values must fit), int32,
/// Steim1 and Steim2; `Float32` for float32; `Float64` for float64; `Text` for text.
/// miniSEED 2 records store times to the microsecond (blockette 1001), so a start time
/// with sub-microsecond digits is truncated there: to the microsecond it falls in, as
/// libmseed 3.1 wrote it (libmseed 3.5 rounds to the nearest microsecond, so the start is
/// truncated here before libmseed sees it). The later records of the call start where
/// libmseed's packer places them (3.5: the time of their first sample on the grid of
/// `start_ns`, rounded to the microsecond).
///
/// # Errors
/// [`Error::InvalidArgument`] for an unsupported encoding or format version, a sample type
/// that does not match the encoding, a non-positive rate or codes that do not form a
/// source identifier; [`Error::Codec`] with libmseed's message when packing fails.
pub fn encode(
    nslc: &Nslc,
    start_ns: i64,
    sample_rate_hz: f64,
    samples: &Samples,
    opts: &PackOptions,
) -> Result<Vec<u8>> {
    let type_ok = match (opts.encoding, samples) {
        (1 | 3 | 10 | 11, Samples::Int32(_)) => true,
        (4, Samples::Float32(_)) => true,
        (5, Samples::Float64(_)) => true,
        (0, Samples::Text(_)) => true,
        (0 | 1 | 3 | 4 | 5 | 10 | 11, _) => false,
        (e, _) => {
            return Err(Error::invalid_argument(format!(
                "encoding {e} cannot be packed (0, 1, 3, 4, 5, 10 or 11)"
            )))
        }
    };
    if !type_ok {
        return Err(Error::invalid_argument(format!(
            "samples of type '{}' do not match encoding {}",
            samples.sample_type(),
            opts.encoding
        )));
    }
    if opts.encoding == 1 {
        if let Samples::Int32(v) = samples {
            if v.iter().any(|&x| i16::try_from(x).is_err()) {
                return Err(Error::invalid_argument(
                    "int16 encoding needs samples in -32768..=32767",
                ));
            }
        }
    }
    if opts.format_version != 2 && opts.format_version != 3 {
        return Err(Error::invalid_argument(format!(
            "format version {} (2 or 3)",
            opts.format_version
        )));
    }
    if !(sample_rate_hz > 0.0 && sample_rate_hz.is_finite()) {
        return Err(Error::invalid_argument(format!(
            "sample rate {sample_rate_hz} Hz must be positive"
        )));
    }
    if opts.record_length > i32::MAX as usize {
        return Err(Error::invalid_argument("record length too large"));
    }
    let cstr = |s: &str| {
        CString::new(s).map_err(|_| Error::invalid_argument(format!("code {s:?} contains NUL")))
    };
    let (net, sta, loc, cha) = (
        cstr(&nslc.network)?,
        cstr(&nslc.station)?,
        cstr(&nslc.location)?,
        cstr(&nslc.channel)?,
    );

    // Owned copy of the samples that libmseed reads through `datasamples`.
    let mut buffer: Vec<u8> = match samples {
        Samples::Int32(v) => v.iter().flat_map(|x| x.to_ne_bytes()).collect(),
        Samples::Float32(v) => v.iter().flat_map(|x| x.to_ne_bytes()).collect(),
        Samples::Float64(v) => v.iter().flat_map(|x| x.to_ne_bytes()).collect(),
        Samples::Text(v) => v.clone(),
    };
    // Keep 8-byte alignment for the f64 view.
    let mut aligned: Vec<u64> = vec![0; buffer.len().div_ceil(8).max(1)];
    // SAFETY: `aligned` has at least `buffer.len()` bytes.
    unsafe {
        ptr::copy_nonoverlapping(
            buffer.as_ptr(),
            aligned.as_mut_ptr().cast::<u8>(),
            buffer.len(),
        );
    }
    buffer.clear();

    let log = LogCapture::start();
    // SAFETY: msr3_init(NULL) allocates and initialises a record.
    let msr = Msr(unsafe { ffi::msr3_init(ptr::null_mut()) });
    if msr.0.is_null() {
        return Err(Error::codec("cannot allocate a record"));
    }
    let mut out: Vec<u8> = Vec::new();
    let mut packed: i64 = 0;
    // SAFETY: `msr.0` is a valid record; the sid buffer is 64 bytes; `aligned` outlives the
    // msr3_pack call and `datasamples` is reset to null before msr3_free; the callback
    // only appends to `out`, which outlives the call.
    let rc = unsafe {
        let r = &mut *msr.0;
        let sidrc = ffi::ms_nslc2sid(
            r.sid.as_mut_ptr(),
            64,
            0,
            net.as_ptr(),
            sta.as_ptr(),
            loc.as_ptr(),
            cha.as_ptr(),
        );
        if sidrc < 0 {
            let message = log.finish("cannot build a source identifier");
            return Err(Error::invalid_argument(message));
        }
        r.starttime = if opts.format_version == 2 {
            start_ns.div_euclid(1_000) * 1_000
        } else {
            start_ns
        };
        r.samprate = sample_rate_hz;
        r.encoding = i16::from(opts.encoding);
        r.reclen = opts.record_length as i32;
        r.pubversion = opts.pub_version;
        r.formatversion = opts.format_version;
        r.datasamples = aligned.as_mut_ptr().cast::<c_void>();
        r.numsamples = samples.len() as i64;
        r.samplecnt = samples.len() as i64;
        r.sampletype = samples.sample_type() as u8 as c_char;
        let mut flags = ffi::MSF_FLUSHDATA;
        if opts.format_version == 2 {
            flags |= ffi::MSF_PACKVER2;
        }
        let rc = ffi::msr3_pack(
            msr.0,
            Some(collect_record),
            (&mut out as *mut Vec<u8>).cast::<c_void>(),
            &mut packed,
            flags,
            0,
        );
        r.datasamples = ptr::null_mut();
        r.numsamples = 0;
        rc
    };
    drop(msr);
    if rc < 0 {
        let message = log.finish("packing failed");
        return Err(LibmseedError { code: rc, message }.into_error());
    }
    let _ = log.finish("");
    if packed != samples.len() as i64 {
        return Err(Error::codec(format!(
            "libmseed packed {packed} of {} samples",
            samples.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn samples_travel_as_bytes_and_keep_every_bit() {
        let nan = f32::from_bits(0x7fc0_1234);
        for s in [
            Samples::Int32(vec![i32::MIN, -1, 0, 7, i32::MAX]),
            Samples::Float32(vec![-0.0, 1.5, nan, f32::INFINITY]),
            Samples::Float64(vec![f64::MIN_POSITIVE, -2.25, 1e300]),
            Samples::Text(b"log line".to_vec()),
            Samples::Int32(Vec::new()),
        ] {
            let bytes = crate::ops::encode(&s);
            // 4 or 8 bytes a sample, plus a few bytes of framing
            assert!(
                bytes.len() <= s.len() * 8 + 8,
                "{s:?}: {} bytes",
                bytes.len()
            );
            let back: Samples = crate::ops::decode(&bytes).unwrap();
            assert_eq!(back.sample_type(), s.sample_type());
            match (&back, &s) {
                (Samples::Float32(a), Samples::Float32(b)) => {
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(a), bits(b));
                }
                _ => assert_eq!(back, s),
            }
        }
        let bad = crate::ops::encode(&('i', vec![1u8, 2, 3]));
        assert!(crate::ops::decode::<Samples>(&bad).is_err());
    }
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn types_are_send() {
        assert_send::<Samples>();
        assert_send::<DecodedRecord>();
        assert_send::<LibmseedHeader>();
        assert_send::<PackOptions>();
    }

    #[test]
    fn errors_carry_libmseed_messages() {
        let e = parse_header_libmseed(&[b'x'; 100]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidData);
        let e = encode(
            &Nslc::new("XX", "TEST", "", "BHZ"),
            0,
            1.0,
            &Samples::Int32(vec![1, 2, 3]),
            &PackOptions {
                record_length: 1000,
                ..PackOptions::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("power of 2"), "{e}");
    }
}
