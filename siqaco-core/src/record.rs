//! miniSEED 2 and 3 record headers: a zero-copy, allocation-free scanner.
//!
//! [`parse_record`] reads the header of one record at the start of a byte buffer;
//! [`RecordScanner`] walks a whole buffer (typically a whole file) record by record
//! and reports unreadable byte runs as [`ScanItem::Invalid`]. Neither allocates for a
//! readable record; header fields that are codes are returned as slices of the buffer.
//! The archive scan ([`crate::scan`]) runs the same scanner over a file read in chunks
//! that stay in the CPU cache, with the same items as on the whole file (see
//! *Reading in chunks* below).
//!
//! # Rules and their sources
//!
//! Every rule here follows libmseed 3.5.4 (the version bundled with pymseed 1.0.1), which
//! is the reference implementation of both formats; the function matched is named at each
//! rule. Cross-checked field by field against libmseed (3.5.4 too, linked through [`crate::codec`]) on
//! every file of the test data (`tests/record_vs_libmseed.rs`).
//!
//! * **Detection** (`ms3_detect`): a miniSEED 3 record starts with `MS`, format version 3
//!   and a valid hour/minute/second at bytes 12–14 (`MS3_ISVALIDHEADER`); a miniSEED 2
//!   record has a sequence number of digits, spaces or NULs, a data quality indicator
//!   `D`/`R`/`Q`/`M`, a space or NUL at byte 7 and a valid hour/minute/second at bytes
//!   24–26 (`MS2_ISVALIDHEADER`). At least 40 bytes (`MINRECLEN`) must be present.
//! * **v2 byte order** (`ms3_detect`, `msr3_unpack_mseed2`): the header is little-endian
//!   when its year and day read as little-endian are a sane year (1900–2100) and day
//!   (1–366), else big-endian (this is what libmseed does on a little-endian host).
//! * **v2 record length** (`ms3_detect`, `msr3_parse`): 2^exponent of the first blockette
//!   1000 in the chain (exponents ≥ 31 ignored); without one, the distance to the next
//!   valid v2 header searched at 64-byte steps; failing that, at the end of the data, the
//!   remaining length when it is a power of two. Lengths outside 40 B–10 MiB are rejected;
//!   v2 records shorter than 64 bytes are rejected (`msr3_unpack_mseed2`).
//! * **v2 blockette chain** (`msr3_unpack_mseed2`, SEED 2.4 manual ch. 8): blockettes must
//!   lie after the 48-byte fixed header and inside the record, lengths from `ms2_blktlen`;
//!   a next-blockette offset that goes backwards or past the record ends the chain; an
//!   unknown blockette is skipped through its next offset when that is sane. Blockette
//!   100 gives the actual sample rate (ignored when negative or not normal), 1000 the
//!   encoding and record length, 1001 the timing quality and a microsecond offset.
//! * **Start time** (`ms_btime2nstime`, `ms_time2nstime`): v2 BTIME (year, day, h, m, s,
//!   0.0001 s) must have year 1678–2262 (year 0 is rejected), a day that exists in that
//!   year, s ≤ 60 and fraction ≤ 9999 (libmseed turns the fraction into nanoseconds in a
//!   32-bit value, so fractions above 42 949 wrap before the check; reproduced here);
//!   then the time correction (field 16, 0.0001 s) is
//!   added unless activity flag bit 1 says it was applied, then the blockette 1001
//!   microseconds. v3 uses its nanosecond field, same range checks. The calendar is
//!   [`crate::time::from_year_doy_hms`].
//! * **Sample rate** (`ms_nomsamprate`, `msr3_sampratehz`): v2 rate factor/multiplier
//!   (negative factor = period, negative multiplier = divisor); v3 f64 (negative = period
//!   in seconds; not-normal non-zero values are rejected). [`RecordHeader::sample_rate_hz`]
//!   is always in Hz.
//! * **v3 length** (FDSN miniSEED 3 spec, `ms3_detect`): 40 + SID length + extra-header
//!   length + data length; SIDs of 64 bytes or more are rejected (`msr3_unpack_mseed3`).
//!   The CRC is checked by the validation gate (below), not by the structure parse
//!   (libmseed checks it only with `MSF_VALIDATECRC`).
//!
//! # The validation gate
//!
//! libmseed's `msr3_parse` checks a record's structure; many of its other checks run only
//! when samples are decoded (`msr3_unpack_data`, `ms_decode_data`), some not at all in
//! older releases (3.1.3, which siqaco linked before, whose INT16, INT32 and FLOAT decoders
//! do not bound the sample count by the data length). Every record that [`parse_record`] returns and that
//! [`RecordScanner`] yields as [`ScanItem::Record`] has also passed [`check_record`], so
//! that nothing is copied, decoded or indexed from a record that contradicts its own
//! bytes. A record whose structure reads but which fails the gate is a
//! [`ScanItem::Invalid`] of exactly the record's length (the scanner continues after it,
//! so nothing inside it is taken for a record), and a [`RecordErrorKind::Invalid`] error of
//! [`parse_record`]. The rules, each with its source:
//!
//! * **Data offset** (records with samples; libmseed `msr3_unpack_data`: "Data offset
//!   value is not valid", and `ms_parse_raw2`: "Data offset … is within blockette
//!   chain"): v2 field 17 must lie inside the record, at or after the end of the 48-byte
//!   fixed header and of every blockette read from the chain
//!   ([`RecordHeader::blockettes_end`]). A v3 record's data offset and data length come
//!   from its lengths (40 + SID + extra headers + data = record length, FDSN miniSEED 3
//!   spec), so they are consistent by construction.
//! * **Sample count against the data bytes** (libmseed 3.5.4 `ms_decode_data` and its
//!   decoders, which refuse to read past the data): no more samples than the data bytes
//!   (record length − data offset) of the encoding can hold, [`max_samples`]: text 1 byte
//!   a sample, INT16 2, INT32 and FLOAT32 4, FLOAT64 8, GEOSCOPE 24-bit 3, GEOSCOPE
//!   16-bit, CDSN, SRO and DWWSSN 2; Steim1 at most 4 and Steim2 at most 7 differences per
//!   data word of the 64-byte frames (15 words a frame after the nibble word, less the two
//!   integration constants of the first frame; SEED 2.4 manual, appendix B). A v2 record
//!   without blockette 1000 counts as Steim1, the encoding libmseed decodes it with.
//! * **Blockette chain** (libmseed 3.5.4 `msr3_unpack_mseed2`: "Offset to next blockette
//!   … is beyond record length", logged as an error while it ends the chain; SEED 2.4
//!   manual ch. 8): a next-blockette offset that points back into its blockette or past
//!   the record, before as many blockettes were read as the fixed header declares (field
//!   11), cuts the chain short: the blockettes after it are lost (a blockette 1001 would
//!   change the start time by its microseconds), so the record is refused. A bad next
//!   offset of the last declared blockette loses nothing and is accepted, as libmseed
//!   does (`testdata-invalid-blockette-offsets`); so is a wrong blockette count without a
//!   bad offset (`wrong_blockette_numbers_specified`). `corrupt-blockettes-wrongnext` of
//!   the test data is refused (libmseed then fails to decode it, 411 of 412 samples).
//! * **Encoding** (records with samples; libmseed `ms_decode_data`: "Unsupported encoding
//!   format"): one libmseed decodes (0, 1, 3, 4, 5, 10, 11, 12, 13, 14, 16, 30, 32).
//! * **v3 CRC** (FDSN miniSEED 3 spec; libmseed with `MSF_VALIDATECRC`, as pymseed and
//!   ObsPy read by default): the CRC-32C of the record with the CRC field zeroed must
//!   equal the CRC field.
//! * **Sample rate** (physical bounds, siqaco's rule): 0, a record without a time series
//!   (log and state-of-health records, which never give coverage), or from
//!   [`MIN_SAMPLE_RATE_HZ`] (10⁻⁶ Hz, one sample in 11.6 days) to [`MAX_SAMPLE_RATE_HZ`]
//!   (10⁶ Hz). Rates outside come from damaged headers (a rate factor and multiplier of
//!   −32768/−32768 is 2⁻³⁰ Hz) and would make one record cover centuries or a day hold
//!   billions of samples.
//! * **Time span** (libmseed returns `NSTERROR` there): the time one period after the
//!   last sample must be representable as i64 nanoseconds (before 2262-04-11).
//! * **v2 codes** (SEED 2.4 manual ch. 8, fields 3–6: ASCII letters and digits padded
//!   with spaces): every byte of the station, location, channel and network fields is
//!   printable ASCII or padding (space or NUL), and no code byte follows a NUL. libmseed
//!   cuts a code at a NUL or at a byte that is not UTF-8, so such a record would silently
//!   be filed under another station. Real data pads with spaces (every file of the shared
//!   test data) or, rarely, NULs.
//!
//! [`parse_record_structure`] and [`RecordScanner::structure_only`] read without the gate,
//! as libmseed does; they exist for the cross-check tests (`tests/record_vs_libmseed.rs`
//! lists every record of the test data that the gate refuses, and why).
//!
//! # Resynchronisation
//!
//! [`RecordScanner`] follows `ms3_readmsr_r` with `MSF_SKIPNOTDATA`: when the bytes at an
//! offset are not a readable record it moves on by **one byte** (`SKIPLEN` in libmseed's
//! `fileutils.c`) and tries again, so records after noise are found at any alignment. A
//! record that claims more bytes than remain (a truncated record) ends the scan, as in
//! libmseed, and so do fewer than 40 trailing bytes.
//!
//! # Reading in chunks
//!
//! Whether bytes are a record can depend on how many bytes follow them: a record longer
//! than the rest of the data is truncated, a v2 record without blockette 1000 is as long as
//! the distance to the next header or, at the end of a file, the rest of the data when that
//! is a power of two. A scanner over a chunk that does not reach the end of the data stops
//! before such an answer (and before any other whose bytes lie past the chunk: a blockette
//! chain or a search for the next header cut by the end of the chunk) and the chunk reader
//! continues from that offset with more bytes, keeping the unreadable run in progress. Every
//! other answer is the one the whole data gives, so the items are those of the whole file:
//! same records, same unreadable runs, offsets and messages, however the chunks fall
//! (checked on every file of the test data at many chunk sizes).
//!
//! # Where this differs from libmseed
//!
//! * The scanner follows libmseed 3.5.4 everywhere (3.1.3, which siqaco linked before, is
//!   more lenient: it accepts blockette chains that 3.5.4 rejects, blockette 100 rates that
//!   are negative or not normal, year 0, non-normal v3 rates and blockette 1000 exponents
//!   ≥ 31). On the test data (208 files, 6 395 records, including broken files, SEED
//!   volumes and the SDS archive) it finds the same records with the same fields as 3.5.4,
//!   through pymseed and through [`crate::codec`] (the integration tests).
//! * A v2 channel code with spaces: libmseed builds the SID channel `B_S_S` from the three
//!   bytes (a channel of blanks gives `__`), [`RecordHeader::nslc`] removes spaces as it
//!   does for the other codes.
//! * Byte order: libmseed tries the host order first; this module always tries
//!   little-endian first, i.e. behaves as libmseed on x86/ARM hosts on every host.
//! * libmseed's encoding −1 (no blockette 1000) is [`ENCODING_UNKNOWN`] (255).
//! * The validation gate (above) refuses records that libmseed's header parse accepts.
//! * Unrepresentable sample times saturate instead of returning libmseed's `NSTERROR`.
//!
//! # Leap seconds
//!
//! Record end times and coverage follow libmseed's `ms_sampletime` with its leap-second
//! table: the one sample-time rule, [`sample_time`] (see [`crate::time`]).

use crate::sid::Nslc;
use crate::time::{day_floor, from_year_doy_hms, sample_time, TimeFieldError, NS_PER_S};
use std::fmt;

/// Smallest record length libmseed supports (`MINRECLEN`, 40 bytes); also the least number
/// of bytes the scanner needs to recognise a record.
pub const MIN_RECORD_LENGTH: usize = 40;
/// Largest record length libmseed supports (`MAXRECLEN`, 10 MiB).
pub const MAX_RECORD_LENGTH: usize = 10_485_760;
/// [`RecordHeader::encoding`] of a v2 record without blockette 1000 (libmseed's `-1`).
pub const ENCODING_UNKNOWN: u8 = 255;

const V2_FIXED: usize = 48;
const V3_FIXED: usize = 40;
const SIDLEN_MAX: usize = 64; // LM_SIDLEN

/// Lowest non-zero sample rate the validation gate accepts, in Hz (one sample in about
/// 11.6 days; see the module documentation, *The validation gate*).
pub const MIN_SAMPLE_RATE_HZ: f64 = 1e-6;
/// Highest sample rate the validation gate accepts, in Hz.
pub const MAX_SAMPLE_RATE_HZ: f64 = 1e6;

/// Byte order of the header fields of a record.
///
/// miniSEED 3 headers are always little-endian; miniSEED 2 headers may be either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Most significant byte first (the SEED default).
    Big,
    /// Least significant byte first.
    Little,
}

/// The stream codes of a record, as slices of the record bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordCodes<'a> {
    /// miniSEED 2 fixed-header codes (SEED 2.4 fields 3–6), cut at the first NUL and with
    /// leading and trailing spaces removed.
    V2 {
        /// Network code (up to 2 bytes).
        network: &'a [u8],
        /// Station code (up to 5 bytes).
        station: &'a [u8],
        /// Location code (up to 2 bytes, possibly empty).
        location: &'a [u8],
        /// Channel code (up to 3 bytes).
        channel: &'a [u8],
    },
    /// miniSEED 3 source identifier, e.g. `FDSN:IU_COLA_00_B_H_Z`, as stored.
    V3 {
        /// The source identifier bytes (usually ASCII).
        sid: &'a [u8],
    },
}

impl RecordCodes<'_> {
    /// The codes as an [`Nslc`] (allocates), cleaned as [`RecordHeader::nslc`] describes.
    pub fn nslc(&self) -> Nslc {
        match *self {
            RecordCodes::V2 {
                network,
                station,
                location,
                channel,
            } => Nslc {
                network: clean_code(network),
                station: clean_code(station),
                location: clean_code(location),
                channel: clean_code(channel),
            },
            RecordCodes::V3 { sid } => {
                let s = String::from_utf8_lossy(sid);
                Nslc::from_source_id(&s).unwrap_or_else(|_| Nslc::new("", &s, "", ""))
            }
        }
    }
}

/// The header flags of a record in miniSEED 2 terms ([`RecordHeader::flags`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderFlags {
    /// Activity flags (SEED 2.4 fixed header field 12), bit 0 first.
    pub activity: u8,
    /// I/O and clock flags (field 13).
    pub io_clock: u8,
    /// Data quality flags (field 14).
    pub data_quality: u8,
    /// Timing quality, percent (blockette 1001; v3 `FDSN.Time.Quality`).
    pub timing_quality: Option<u8>,
    /// Whether a time correction is given (field 16 ≠ 0; v3 `FDSN.Time.Correction` ≠ 0).
    pub time_correction: bool,
}

/// The header of one miniSEED 2 or 3 record, borrowed from the record bytes.
///
/// Built by [`parse_record`] or [`RecordScanner`] (which also apply the validation gate,
/// [`check_record`]); every value is what libmseed's `msr3_parse` (3.5.4) gives for the
/// same bytes (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecordHeader<'a> {
    /// Format version: 2 or 3.
    pub format_version: u8,
    /// Length of this record in bytes (the scanner's step to the next record).
    pub record_length: usize,
    /// Stream codes.
    pub codes: RecordCodes<'a>,
    /// Time of the first sample, ns since 1970-01-01 UTC (libmseed `starttime`: v2 time
    /// correction applied unless flagged as applied, blockette 1001 microseconds added).
    pub start_ns: i64,
    /// Sample rate in Hz (libmseed `msr3_sampratehz`): blockette 100 rate when present,
    /// else the rate factor/multiplier; a v3 period is converted to Hz. 0 when the header
    /// gives no rate (log and state-of-health records).
    pub sample_rate_hz: f64,
    /// libmseed's raw `samprate`: the rate in Hz when ≥ 0, minus the sample period in
    /// seconds when negative (miniSEED 3 only). Used for [`RecordHeader::end_ns`].
    pub sample_rate_raw: f64,
    /// Number of samples in the record (v2 field 7, v3 number of samples).
    pub sample_count: i64,
    /// FDSN data encoding code: 0 text, 1 int16, 3 int32, 4 float32, 5 float64, 10 Steim1,
    /// 11 Steim2, 16 CDSN, 30 SRO, 32 DWWSSN, 12–14 GEOSCOPE…; [`ENCODING_UNKNOWN`] for a v2
    /// record without blockette 1000.
    pub encoding: u8,
    /// Publication version: v3 field; for v2 mapped from the quality indicator as libmseed
    /// does (R=1, D=2, Q=3, M=4).
    pub pub_version: u8,
    /// v2 data quality indicator (`b'D'`, `b'R'`, `b'Q'`, `b'M'`); for v3 the indicator
    /// libmseed writes for the publication version (1 `R`, 3 `Q`, 4 `M`, otherwise `D`).
    pub quality: u8,
    /// Byte order of the header.
    pub header_byte_order: ByteOrder,
    /// Byte order of the data payload as libmseed 3.5.4 decodes it (`msr3_unpack_mseed2`,
    /// `msr3_unpack_mseed3`): v2, the word order of the last blockette 1000 (0 little
    /// endian, any other value big endian), the header's without blockette 1000; v3, big
    /// endian for Steim1 and Steim2, little endian for every other encoding.
    pub payload_byte_order: ByteOrder,
    /// v2 activity flags (field 12); for v3, bit 0 (calibration signals) of the v3 flags.
    pub activity_flags: u8,
    /// v2 I/O and clock flags (field 13); for v3, v3 flag bit 2 (clock locked) as bit 5.
    pub io_clock_flags: u8,
    /// v2 data quality flags (field 14); for v3, v3 flag bit 1 (time tag questionable) as
    /// bit 7.
    pub data_quality_flags: u8,
    /// Timing quality in percent from blockette 1001; `None` when absent and always for
    /// v3 (where it lives in the JSON extra headers, see [`RecordHeader::extra_headers`]).
    pub timing_quality: Option<u8>,
    /// v2 time correction (field 16) in units of 0.0001 s; 0 for v3.
    pub time_correction: i32,
    /// Offset of the data payload from the start of the record in bytes (v2 field 17 as
    /// stored, possibly 0 for records without data; v3 40 + SID + extra-header lengths).
    pub data_offset: usize,
    /// End of the fixed header and the blockettes read from the chain, in bytes from the
    /// start of the record (v2: 48 without blockettes, else the end of the last blockette
    /// of known length; v3: the data offset). The data of a record with samples must start
    /// here or later ([`check_record`]).
    pub blockettes_end: usize,
    /// The whole record (`record_length` bytes).
    pub raw: &'a [u8],
    /// v2: a blockette whose next-blockette offset points back into it or past the record
    /// (type, offset, next offset) before as many blockettes were read as the fixed header
    /// declares (field 11); libmseed ends the chain there, the gate refuses.
    chain_fault: Option<(u16, u16, u16)>,
}

impl<'a> RecordHeader<'a> {
    /// The stream codes as an [`Nslc`] (allocates).
    ///
    /// v2 codes are cleaned as libmseed's `ms_strncpclean` does (cut at NUL, cut before
    /// the first byte that is not valid UTF-8, every space removed). One deliberate
    /// deviation: libmseed's `ms2_recordsid` copies the three channel bytes verbatim, so a
    /// channel `"LH "` stays `"LH "` there; here spaces are removed from the channel too. A v3 source identifier is split with [`Nslc::from_source_id`]; one that is
    /// not of the `FDSN:` form gives the whole identifier as station code with the other
    /// codes empty.
    pub fn nslc(&self) -> Nslc {
        self.codes.nslc()
    }

    /// Raw bytes identifying the stream cheaply, for hashing without allocation: v2 the
    /// station, location, channel and network fields (header bytes 8..20, untrimmed), v3
    /// the source identifier. Equal keys mean equal streams within one format version.
    pub fn stream_key(&self) -> &'a [u8] {
        match self.codes {
            RecordCodes::V2 { .. } => &self.raw[8..20],
            RecordCodes::V3 { sid } => sid,
        }
    }

    /// Time of the last sample in ns, exactly libmseed's `msr3_endtime` (3.5.4): the start
    /// time plus (sample count − 1) periods, rounded half up to the nanosecond, minus one
    /// second per leap second inside the span (see [`sample_time`]). Equals `start_ns`
    /// when the record has fewer than 2 samples or no rate.
    pub fn end_ns(&self) -> i64 {
        let offset = if self.sample_count > 0 {
            self.sample_count - 1
        } else {
            0
        };
        sample_time(self.start_ns, offset, self.sample_rate_raw)
    }

    /// The first and last UTC days (00:00 in ns) that the record's samples touch: the days
    /// of its start time and of its last sample ([`end_ns`](Self::end_ns), never before the
    /// start). This is the rule by which the merge finds the day files a record belongs to
    /// (the merge's locating pass, its peeked SDS day files and its repair plan).
    pub fn days(&self) -> (i64, i64) {
        (
            day_floor(self.start_ns),
            day_floor(self.end_ns().max(self.start_ns)),
        )
    }

    /// End of the time covered by the record in ns: the time one period after the last
    /// sample (`sample_time(start, sample_count, rate)`); `start_ns` for a record that is
    /// not [`is_data`](Self::is_data).
    pub fn coverage_end_ns(&self) -> i64 {
        if self.is_data() {
            sample_time(self.start_ns, self.sample_count, self.sample_rate_raw)
        } else {
            self.start_ns
        }
    }

    /// Whether the record carries a time series: positive sample rate, at least one sample
    /// and an encoding that is not text (0).
    pub fn is_data(&self) -> bool {
        self.sample_rate_hz > 0.0 && self.sample_count > 0 && self.encoding != 0
    }

    /// The v3 extra headers (JSON text as stored, possibly empty); empty for v2.
    pub fn extra_headers(&self) -> &'a [u8] {
        if self.format_version == 3 {
            let sidlen = self.raw[33] as usize;
            let extralen = u16::from_le_bytes([self.raw[34], self.raw[35]]) as usize;
            &self.raw[V3_FIXED + sidlen..V3_FIXED + sidlen + extralen]
        } else {
            &[]
        }
    }

    /// The header flags of the record in miniSEED 2 terms (SEED 2.4 fixed header fields 12,
    /// 13, 14 and 16, blockette 1001), whatever its version. For miniSEED 3 the fixed-header
    /// flags are completed from the FDSN extra headers as the miniSEED 3 specification maps
    /// the 2.4 fields (FDSN extra-header schema v1.0), as libmseed writes them:
    /// `FDSN.Event.Begin/End/InProgress` → activity bits 2, 3, 6; `FDSN.Time.LeapSecond`
    /// positive / negative → bits 4 / 5; `FDSN.Flags.StationVolumeParityError`, `LongRecordRead`,
    /// `ShortRecordRead`, `StartOfTimeSeries`, `EndOfTimeSeries` → I/O bits 0–4;
    /// `AmplifierSaturation`, `DigitizerClipping`, `Spikes`, `Glitches`, `MissingData`,
    /// `TelemetrySyncError`, `FilterCharging` → data-quality bits 0–6; `FDSN.Time.Quality`
    /// → timing quality; `FDSN.Time.Correction` ≠ 0 → a time correction. Extra headers
    /// that are not valid JSON are ignored (the fixed-header flags stand).
    pub fn flags(&self) -> HeaderFlags {
        let mut f = HeaderFlags {
            activity: self.activity_flags,
            io_clock: self.io_clock_flags,
            data_quality: self.data_quality_flags,
            timing_quality: self.timing_quality,
            time_correction: self.time_correction != 0,
        };
        let extra = self.extra_headers();
        if extra.is_empty() {
            return f;
        }
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(extra) else {
            return f;
        };
        let fdsn = &v["FDSN"];
        let on = |x: &serde_json::Value| x.as_bool() == Some(true);
        let bits = |group: &serde_json::Value, names: &[(&str, u8)]| -> u8 {
            names
                .iter()
                .filter(|(n, _)| on(&group[*n]))
                .fold(0, |acc, (_, b)| acc | 1 << b)
        };
        f.activity |= bits(
            &fdsn["Event"],
            &[("Begin", 2), ("End", 3), ("InProgress", 6)],
        );
        match fdsn["Time"]["LeapSecond"].as_i64() {
            Some(n) if n > 0 => f.activity |= 1 << 4,
            Some(n) if n < 0 => f.activity |= 1 << 5,
            _ => {}
        }
        let flags = &fdsn["Flags"];
        f.io_clock |= bits(
            flags,
            &[
                ("StationVolumeParityError", 0),
                ("LongRecordRead", 1),
                ("ShortRecordRead", 2),
                ("StartOfTimeSeries", 3),
                ("EndOfTimeSeries", 4),
            ],
        );
        f.data_quality |= bits(
            flags,
            &[
                ("AmplifierSaturation", 0),
                ("DigitizerClipping", 1),
                ("Spikes", 2),
                ("Glitches", 3),
                ("MissingData", 4),
                ("TelemetrySyncError", 5),
                ("FilterCharging", 6),
            ],
        );
        if let Some(q) = fdsn["Time"]["Quality"].as_f64() {
            f.timing_quality = Some(q.round().clamp(0.0, 100.0) as u8);
        }
        if let Some(c) = fdsn["Time"]["Correction"].as_f64() {
            f.time_correction |= c != 0.0;
        }
        f
    }

    /// Checks the CRC of a miniSEED 3 record: CRC-32C (Castagnoli) of the whole record
    /// with the CRC field (bytes 28..32) taken as zero, compared with that field (FDSN
    /// miniSEED 3 spec; libmseed's `MSF_VALIDATECRC`). `None` for v2, which has no CRC.
    /// The validation gate ([`check_record`]) refuses a record whose CRC does not match.
    pub fn crc_ok(&self) -> Option<bool> {
        if self.format_version != 3 {
            return None;
        }
        let (stored, computed) = crc_of(self.raw);
        Some(stored == computed)
    }
}

/// libmseed's `ms_strncpclean`: cut at the first NUL, keep the longest prefix that is
/// complete, valid UTF-8, remove every space.
fn clean_code(code: &[u8]) -> String {
    let end = code.iter().position(|&c| c == 0).unwrap_or(code.len());
    let code = &code[..end];
    let valid = match std::str::from_utf8(code) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&code[..e.valid_up_to()]).unwrap_or_default(),
    };
    valid.chars().filter(|&c| c != ' ').collect()
}

/// What kind of problem made bytes unreadable as a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordErrorKind {
    /// The bytes do not look like a miniSEED 2 or 3 record header.
    NotMiniseed,
    /// A record header was found but the data ends before the record does (or fewer than
    /// 40 bytes remain).
    Truncated,
    /// The record length is outside what libmseed supports (40 B to 10 MiB; v2 ≥ 64 B).
    LengthOutOfRange,
    /// A record header was found but a field is invalid: blockette chain, start time,
    /// sample rate, source identifier length.
    Corrupt,
    /// The record's structure was read (its length is known) but the validation gate
    /// ([`check_record`]) refuses it: a field contradicts the record's bytes (data offset,
    /// sample count, CRC, code bytes), the encoding is unknown, or the sample rate or time
    /// span is outside physical bounds. [`RecordError::record_length`] gives the bytes to
    /// skip.
    Invalid,
}

/// Why bytes could not be read as a record (returned by [`parse_record`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    /// The kind of problem.
    pub kind: RecordErrorKind,
    /// A one-line description, e.g. `truncated record (2206 of 4096 bytes)`.
    pub message: String,
    /// For [`RecordErrorKind::Invalid`], the length of the refused record (its structure
    /// was read); `None` for every other kind.
    pub record_length: Option<usize>,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RecordError {}

/// Internal, allocation-free failure description; turned into text only when reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fail {
    NotSeed,
    TooShort {
        have: usize,
    },
    ShortNotSeed {
        have: usize,
    },
    Truncated {
        have: usize,
        need: usize,
    },
    LengthUnknown {
        have: usize,
    },
    NoLengthInWindow,
    LengthOutOfRange {
        len: u64,
    },
    V2TooShort {
        len: usize,
    },
    DetectChain {
        next: u16,
        offset: u16,
    },
    BlocketteInFixedHeader {
        offset: usize,
    },
    B2000Truncated,
    UnknownBlockette {
        kind: u16,
        offset: usize,
    },
    BlocketteBeyondRecord {
        kind: u16,
    },
    B1000TooLong {
        b1000: usize,
        reclen: usize,
    },
    B1000Disagrees {
        b1000: usize,
        reclen: usize,
    },
    YearZero,
    TimeField {
        field: &'static str,
        value: u32,
    },
    SidTooLong {
        len: usize,
    },
    BadSampleRate,
    // The validation gate (`check_record`).
    DataOffset {
        offset: usize,
        min: usize,
        reclen: usize,
    },
    SampleCount {
        count: i64,
        bytes: usize,
        encoding: u8,
        max: u64,
    },
    UnknownEncoding {
        encoding: u8,
        count: i64,
    },
    BadCrc {
        stored: u32,
        computed: u32,
    },
    RateOutOfBounds {
        rate_bits: u64,
    },
    SpanOverflow {
        count: i64,
        rate_bits: u64,
    },
    BadCode(CodeFault),
    ChainNext {
        kind: u16,
        offset: u16,
        next: u16,
        reclen: usize,
    },
}

impl From<TimeFieldError> for Fail {
    #[inline(always)]
    fn from(e: TimeFieldError) -> Self {
        Fail::TimeField {
            field: e.field,
            value: e.value,
        }
    }
}

impl Fail {
    fn kind(self) -> RecordErrorKind {
        use Fail::*;
        match self {
            NotSeed | ShortNotSeed { .. } => RecordErrorKind::NotMiniseed,
            TooShort { .. } | Truncated { .. } | LengthUnknown { .. } => RecordErrorKind::Truncated,
            LengthOutOfRange { .. } | V2TooShort { .. } => RecordErrorKind::LengthOutOfRange,
            DataOffset { .. }
            | SampleCount { .. }
            | UnknownEncoding { .. }
            | BadCrc { .. }
            | RateOutOfBounds { .. }
            | SpanOverflow { .. }
            | BadCode(_)
            | ChainNext { .. } => RecordErrorKind::Invalid,
            _ => RecordErrorKind::Corrupt,
        }
    }

    /// Whether libmseed stops reading here (end of data) rather than skipping a byte.
    fn ends_scan(self) -> bool {
        matches!(
            self,
            Fail::TooShort { .. }
                | Fail::ShortNotSeed { .. }
                | Fail::Truncated { .. }
                | Fail::LengthUnknown { .. }
        )
    }

    fn message(self) -> String {
        use Fail::*;
        match self {
            NotSeed => "not miniSEED (no valid v2 or v3 record header)".into(),
            TooShort { have } => format!(
                "truncated record header ({have} bytes, a record has at least {MIN_RECORD_LENGTH})"
            ),
            ShortNotSeed { have } => format!(
                "not miniSEED ({have} byte(s), too short for a record of at least {MIN_RECORD_LENGTH})"
            ),
            Truncated { have, need } => format!("truncated record ({have} of {need} bytes)"),
            LengthUnknown { have } => format!(
                "truncated record: no blockette 1000 and no following record header in the last {have} bytes"
            ),
            NoLengthInWindow => "record length unknown: no blockette 1000 and no following record header within 10 MiB".into(),
            LengthOutOfRange { len } => format!(
                "record length {len} out of supported range ({MIN_RECORD_LENGTH} to {MAX_RECORD_LENGTH} bytes)"
            ),
            V2TooShort { len } => format!("miniSEED 2 record length {len} is shorter than 64 bytes"),
            DetectChain { next, offset } => format!(
                "corrupt blockette chain: next blockette offset {next} not after current offset {offset}"
            ),
            BlocketteInFixedHeader { offset } => format!(
                "corrupt blockette chain: blockette offset {offset} is within the fixed header"
            ),
            B2000Truncated => "corrupt blockette chain: blockette 2000 length field beyond record".into(),
            UnknownBlockette { kind, offset } => format!(
                "corrupt blockette chain: unknown blockette type {kind} at offset {offset} with invalid next offset"
            ),
            BlocketteBeyondRecord { kind } => format!(
                "corrupt blockette chain: blockette {kind} extends beyond the record"
            ),
            B1000Disagrees { b1000, reclen } => format!(
                "record length in blockette 1000 ({b1000}) differs from the record length found ({reclen} bytes)"
            ),
            B1000TooLong { b1000, reclen } => format!(
                "record length in blockette 1000 ({b1000}) exceeds the detected record length ({reclen})"
            ),
            YearZero => "start time not set (year 0)".into(),
            TimeField { field, value } => format!("start time {field} ({value}) is out of range"),
            SidTooLong { len } => format!("source identifier length {len} is longer than 63"),
            BadSampleRate => "invalid sample rate (not a normal number)".into(),
            DataOffset { offset, min, reclen } => format!(
                "data offset {offset} is not inside the record after the header and blockettes ({min} to {} of a {reclen}-byte record)",
                reclen.saturating_sub(1)
            ),
            SampleCount { count, bytes, encoding, max } => format!(
                "sample count {count} exceeds what {bytes} data bytes of {} can hold ({max})",
                encoding_name(encoding)
            ),
            UnknownEncoding { encoding, count } => format!(
                "unknown data encoding {encoding} for a record of {count} samples"
            ),
            BadCrc { stored, computed } => format!(
                "CRC mismatch: stored 0x{stored:08X}, computed 0x{computed:08X}"
            ),
            RateOutOfBounds { rate_bits } => format!(
                "sample rate {:e} Hz is outside {MIN_SAMPLE_RATE_HZ:e} to {MAX_SAMPLE_RATE_HZ:e} Hz",
                f64::from_bits(rate_bits)
            ),
            SpanOverflow { count, rate_bits } => format!(
                "{count} samples at {} Hz end after the last representable time (2262-04-11)",
                f64::from_bits(rate_bits)
            ),
            BadCode(c) => c.message(),
            ChainNext { kind, offset, next, reclen } => format!(
                "corrupt blockette chain: blockette {kind} at offset {offset} gives next offset {next}, {} the {reclen}-byte record",
                if usize::from(next) > reclen { "beyond" } else { "back inside itself in" }
            ),
        }
    }

    fn into_error(self, record_length: usize) -> RecordError {
        let kind = self.kind();
        RecordError {
            kind,
            message: self.message(),
            record_length: (kind == RecordErrorKind::Invalid).then_some(record_length),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------

#[inline(always)]
fn rd16(b: &[u8], at: usize, order: ByteOrder) -> u16 {
    let a: [u8; 2] = b[at..at + 2].try_into().expect("2 bytes");
    match order {
        ByteOrder::Big => u16::from_be_bytes(a),
        ByteOrder::Little => u16::from_le_bytes(a),
    }
}

#[inline(always)]
fn rd32(b: &[u8], at: usize, order: ByteOrder) -> u32 {
    let a: [u8; 4] = b[at..at + 4].try_into().expect("4 bytes");
    match order {
        ByteOrder::Big => u32::from_be_bytes(a),
        ByteOrder::Little => u32::from_le_bytes(a),
    }
}

#[inline(always)]
fn is_v3_header(b: &[u8]) -> bool {
    // MS3_ISVALIDHEADER; caller guarantees at least 40 bytes.
    b[0] == b'M' && b[1] == b'S' && b[2] == 3 && b[12] <= 23 && b[13] <= 59 && b[14] <= 60
}

#[inline(always)]
fn is_v2_header(b: &[u8]) -> bool {
    // MS2_ISVALIDHEADER; caller guarantees at least 27 bytes.
    #[inline(always)]
    fn seq(c: u8) -> bool {
        c.is_ascii_digit() || c == b' ' || c == 0
    }
    seq(b[0])
        && seq(b[1])
        && seq(b[2])
        && seq(b[3])
        && seq(b[4])
        && seq(b[5])
        && matches!(b[6], b'D' | b'R' | b'Q' | b'M')
        && (b[7] == b' ' || b[7] == 0)
        && b[24] <= 23
        && b[25] <= 59
        && b[26] <= 60
}

/// Byte order of a v2 header as libmseed determines it on a little-endian host: little if
/// the year and day read little-endian are sane (`MS_ISVALIDYEARDAY`), else big.
#[inline(always)]
fn v2_byte_order(b: &[u8]) -> ByteOrder {
    let y = u16::from_le_bytes([b[20], b[21]]);
    let d = u16::from_le_bytes([b[22], b[23]]);
    if (1900..=2100).contains(&y) && (1..=366).contains(&d) {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    }
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

/// Parses the header of the record at the start of `buf`.
///
/// `buf` runs from the first byte of a candidate record to the end of the available data
/// (typically the end of the file): a v2 record without blockette 1000 whose length cannot
/// be found from the next header is taken to fill `buf` when `buf.len()` is a power of
/// two, as libmseed does at the end of a file. Trailing bytes after the record are
/// ignored.
///
/// # Errors
/// [`RecordError`] with [`RecordErrorKind::NotMiniseed`] when no header is recognised,
/// [`RecordErrorKind::Truncated`] when `buf` ends before the record does,
/// [`RecordErrorKind::LengthOutOfRange`] and [`RecordErrorKind::Corrupt`] for an invalid
/// header (the rules are in the module documentation). Never panics.
pub fn parse_record(buf: &[u8]) -> Result<RecordHeader<'_>, RecordError> {
    let mut codes = CodeCache::default();
    let header = parse_inner(buf, true, &mut codes).map_err(|f| f.into_error(0))?;
    check_inner(&header, &codes).map_err(|f| f.into_error(header.record_length))?;
    Ok(header)
}

/// [`parse_record`] without the validation gate: the record structure exactly as
/// libmseed 3.5.4's `msr3_parse` reads it (header only), for cross-checks against
/// libmseed. A record returned here may still be refused by [`check_record`]; never
/// decode, copy or index a record that did not pass it.
///
/// # Errors
/// As [`parse_record`], except [`RecordErrorKind::Invalid`]. Never panics.
pub fn parse_record_structure(buf: &[u8]) -> Result<RecordHeader<'_>, RecordError> {
    parse_inner(buf, true, &mut CodeCache::default()).map_err(|f| f.into_error(0))
}

/// [`parse_record`] without the error text. `at_end` says whether `buf` reaches the end of
/// the data. When it does not, every outcome that could change with more bytes is a
/// failure for which [`Fail::ends_scan`] holds (too short, truncated, length unknown), and
/// every other outcome is the one the whole data would give. `codes` holds the trimmed v2
/// codes of the previous record.
#[inline(always)]
fn parse_inner<'a>(
    buf: &'a [u8],
    at_end: bool,
    codes: &mut CodeCache,
) -> Result<RecordHeader<'a>, Fail> {
    if buf.len() < MIN_RECORD_LENGTH {
        let looks_v3 = buf.len() >= 15 && is_v3_header(buf);
        let looks_v2 = buf.len() >= 27 && is_v2_header(buf);
        return Err(if looks_v2 || looks_v3 {
            Fail::TooShort { have: buf.len() }
        } else {
            Fail::ShortNotSeed { have: buf.len() }
        });
    }
    if is_v3_header(buf) {
        parse_v3(buf)
    } else if is_v2_header(buf) {
        parse_v2(buf, at_end, codes)
    } else {
        Err(Fail::NotSeed)
    }
}

#[inline(always)]
fn parse_v3(buf: &[u8]) -> Result<RecordHeader<'_>, Fail> {
    let le = ByteOrder::Little;
    let h: &[u8; V3_FIXED] = buf[..V3_FIXED].try_into().expect("checked length");
    let sidlen = h[33] as usize;
    let extralen = rd16(h, 34, le) as usize;
    let datalen = rd32(h, 36, le) as u64;
    let reclen = (V3_FIXED + sidlen + extralen) as u64 + datalen;
    if reclen > MAX_RECORD_LENGTH as u64 {
        return Err(Fail::LengthOutOfRange { len: reclen });
    }
    let reclen = reclen as usize;
    if reclen > buf.len() {
        return Err(Fail::Truncated {
            have: buf.len(),
            need: reclen,
        });
    }
    if sidlen >= SIDLEN_MAX {
        return Err(Fail::SidTooLong { len: sidlen });
    }
    let start_ns = from_year_doy_hms(
        u32::from(rd16(h, 8, le)),
        u32::from(rd16(h, 10, le)),
        u32::from(h[12]),
        u32::from(h[13]),
        u32::from(h[14]),
        rd32(h, 4, le),
    )?;
    let samprate = f64::from_le_bytes([h[16], h[17], h[18], h[19], h[20], h[21], h[22], h[23]]);
    if samprate != 0.0 && !samprate.is_normal() {
        return Err(Fail::BadSampleRate);
    }
    let flags = h[3];
    let pub_version = h[32];
    let quality = match pub_version {
        1 => b'R',
        3 => b'Q',
        4 => b'M',
        _ => b'D',
    };
    let raw = &buf[..reclen];
    Ok(RecordHeader {
        format_version: 3,
        record_length: reclen,
        codes: RecordCodes::V3 {
            sid: &raw[V3_FIXED..V3_FIXED + sidlen],
        },
        start_ns,
        sample_rate_hz: if samprate < 0.0 {
            -1.0 / samprate
        } else {
            samprate
        },
        sample_rate_raw: samprate,
        sample_count: i64::from(rd32(h, 24, le)),
        encoding: h[15],
        pub_version,
        quality,
        header_byte_order: le,
        payload_byte_order: if matches!(h[15], 10 | 11) {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        },
        activity_flags: flags & 0x01,
        io_clock_flags: (flags & 0x04) << 3,
        data_quality_flags: (flags & 0x02) << 6,
        timing_quality: None,
        time_correction: 0,
        data_offset: V3_FIXED + sidlen + extralen,
        blockettes_end: V3_FIXED + sidlen + extralen,
        raw,
        chain_fault: None,
    })
}

/// `ms2_blktlen`: total length of a blockette type, 0 when unknown.
#[inline(always)]
fn blockette_length(kind: u16, blkt: &[u8], order: ByteOrder) -> usize {
    match kind {
        100 => 12,
        200 => 52,
        201 | 300 | 310 => 60,
        320 => 64,
        390 => 28,
        395 | 400 => 16,
        405 => 6,
        500 => 200,
        1000 | 1001 => 8,
        2000 => rd16(blkt, 4, order) as usize,
        _ => 0,
    }
}

/// `ms_nomsamprate`.
#[inline]
fn nominal_rate(factor: i16, multiplier: i16) -> f64 {
    let mut r = 0.0;
    if factor > 0 {
        r = f64::from(factor);
    } else if factor < 0 {
        r = -1.0 / f64::from(factor);
    }
    if multiplier > 0 {
        r *= f64::from(multiplier);
    } else if multiplier < 0 {
        r = -(r / f64::from(multiplier));
    }
    r
}

/// `ms3_detect` for v2: the record length, or why it cannot be determined.
///
/// Unless `at_end`, bytes may follow `buf`: an answer that they could change (the chain
/// walk or the search for the next header cut by the end of `buf`, the length of the
/// remaining data) is [`Fail::LengthUnknown`] instead.
#[inline(always)]
fn detect_v2_length(buf: &[u8], order: ByteOrder, at_end: bool) -> Result<usize, Fail> {
    let win = buf.len().min(MAX_RECORD_LENGTH);
    // Whether more data would widen the window.
    let cut = !at_end && buf.len() < MAX_RECORD_LENGTH;
    let h: &[u8; V2_FIXED] = buf[..V2_FIXED].try_into().expect("checked length");
    let mut off = rd16(h, 46, order) as usize;
    while off != 0 && off >= V2_FIXED && off + 4 <= win {
        let kind = rd16(buf, off, order);
        let next = rd16(buf, off + 2, order) as usize;
        if kind == 1000 {
            if off + 8 <= win {
                let exp = buf[off + 6];
                if exp < 31 {
                    return Ok(1usize << exp);
                }
            } else if cut {
                return Err(Fail::LengthUnknown { have: buf.len() });
            }
        }
        if next != 0 && (next < 4 || next - 4 <= off) {
            return Err(Fail::DetectChain {
                next: next as u16,
                offset: off as u16,
            });
        }
        off = next;
    }
    if cut && off != 0 && off >= V2_FIXED {
        // The walk stopped at the end of `buf`, not at the end of the chain.
        return Err(Fail::LengthUnknown { have: buf.len() });
    }
    // No blockette 1000: look for the next header at 64-byte steps.
    let mut p = 64;
    while p + 48 < win {
        if is_v2_header(&buf[p..]) {
            return Ok(p);
        }
        p += 64;
    }
    if buf.len() > MAX_RECORD_LENGTH {
        // libmseed's read buffer is full and the length is still unknown: it skips a byte.
        Err(Fail::NoLengthInWindow)
    } else if at_end && buf.len().is_power_of_two() {
        Ok(buf.len())
    } else {
        Err(Fail::LengthUnknown { have: buf.len() })
    }
}

#[inline(always)]
fn parse_v2<'a>(
    buf: &'a [u8],
    at_end: bool,
    codes: &mut CodeCache,
) -> Result<RecordHeader<'a>, Fail> {
    if buf.len() < V2_FIXED {
        return Err(Fail::TooShort { have: buf.len() });
    }
    // Two copies of the body, each with a constant byte order (no per-field branch).
    match v2_byte_order(buf) {
        ByteOrder::Big => parse_v2_ordered(buf, ByteOrder::Big, at_end, codes),
        ByteOrder::Little => parse_v2_ordered(buf, ByteOrder::Little, at_end, codes),
    }
}

#[inline(always)]
fn parse_v2_ordered<'a>(
    buf: &'a [u8],
    order: ByteOrder,
    at_end: bool,
    codes: &mut CodeCache,
) -> Result<RecordHeader<'a>, Fail> {
    let h: &[u8; V2_FIXED] = buf[..V2_FIXED].try_into().expect("checked length");
    // Fast path for the layout nearly every writer produces: blockette 1000 at byte 48,
    // optionally followed by blockette 1001 at byte 56, nothing else. The general rules
    // below give exactly the same result for it (detection stops at this B1000, the
    // chain walk visits the same two blockettes without error).
    if let Some(x) = buf.get(..64).and_then(|x| <&[u8; 64]>::try_from(x).ok()) {
        let exp = x[54];
        let next = rd16(x, 50, order);
        if rd16(x, 46, order) == 48
            && rd16(x, 48, order) == 1000
            && (7..=20).contains(&exp)
            && (1usize << exp) <= buf.len()
            && (next == 0 || next == 56)
        {
            let reclen = 1usize << exp;
            // Some(b1001 offset or None) when the layout is as expected.
            let layout = if next == 0 {
                Some(None)
            } else {
                (rd16(x, 56, order) == 1001 && rd16(x, 58, order) == 0).then_some(Some(56))
            };
            if let Some(b1001) = layout {
                let samprate = nominal_rate(rd16(x, 32, order) as i16, rd16(x, 34, order) as i16);
                let end = if b1001.is_some() { 64 } else { 56 };
                return finish_v2(
                    &buf[..reclen],
                    h,
                    order,
                    samprate,
                    (x[52], Some(48)),
                    b1001,
                    end,
                    codes,
                );
            }
        }
    }
    general_v2(buf, h, order, at_end, codes)
}

/// The general v2 rules (`ms3_detect` + `msr3_unpack_mseed2`), for any blockette chain.
#[inline(never)]
fn general_v2<'a>(
    buf: &'a [u8],
    h: &[u8; V2_FIXED],
    order: ByteOrder,
    at_end: bool,
    codes: &mut CodeCache,
) -> Result<RecordHeader<'a>, Fail> {
    let reclen = detect_v2_length(buf, order, at_end)?;
    if !(MIN_RECORD_LENGTH..=MAX_RECORD_LENGTH).contains(&reclen) {
        return Err(Fail::LengthOutOfRange { len: reclen as u64 });
    }
    if reclen > buf.len() {
        return Err(Fail::Truncated {
            have: buf.len(),
            need: reclen,
        });
    }
    if reclen < 64 {
        return Err(Fail::V2TooShort { len: reclen });
    }
    let rec = &buf[..reclen];

    let mut samprate = nominal_rate(rd16(h, 32, order) as i16, rd16(h, 34, order) as i16);
    let mut record_length = reclen;
    let mut encoding = ENCODING_UNKNOWN;
    let mut b1001: Option<usize> = None;
    let mut b1000: Option<usize> = None;
    let mut blockettes_end = V2_FIXED;
    let mut chain_fault = None;
    let mut visited = 0u8;

    // Blockette chain, msr3_unpack_mseed2 (3.5.4).
    let mut off = rd16(h, 46, order) as usize;
    while off != 0 && off + 4 <= reclen {
        visited = visited.saturating_add(1);
        if off < V2_FIXED {
            return Err(Fail::BlocketteInFixedHeader { offset: off });
        }
        let kind = rd16(rec, off, order);
        let next = rd16(rec, off + 2, order) as usize;
        if kind == 2000 && off + 6 > reclen {
            return Err(Fail::B2000Truncated);
        }
        let len = blockette_length(kind, &rec[off..], order);
        if len == 0 {
            if next == 0 {
                break;
            }
            if next > off && next >= V2_FIXED && next <= reclen {
                off = next;
                continue;
            }
            return Err(Fail::UnknownBlockette { kind, offset: off });
        }
        if off + len > reclen {
            return Err(Fail::BlocketteBeyondRecord { kind });
        }
        blockettes_end = blockettes_end.max(off + len);
        match kind {
            100 => {
                let r = f32::from_bits(rd32(rec, off + 4, order));
                if !(r < 0.0 || (r != 0.0 && !r.is_normal())) {
                    samprate = f64::from(r);
                }
            }
            1000 => {
                let exp = rec[off + 6];
                if exp < 31 {
                    let b = 1usize << exp;
                    if b > reclen {
                        return Err(Fail::B1000TooLong { b1000: b, reclen });
                    }
                    // A later blockette 1000 may not give another length than the one the
                    // record was found with: the record's extent would then depend on the
                    // bytes after it (libmseed 3.5.4 takes the later length, and a length
                    // shorter than the blockettes read made it read past the record).
                    if b != reclen {
                        return Err(Fail::B1000Disagrees { b1000: b, reclen });
                    }
                    record_length = b;
                }
                encoding = rec[off + 4];
                b1000 = Some(off);
            }
            1001 => b1001 = Some(off),
            _ => {}
        }
        off = if next != 0 && (next < off + len || next > reclen) {
            chain_fault = Some((kind, off as u16, next as u16));
            0
        } else {
            next
        };
    }
    finish_v2(
        &buf[..record_length],
        h,
        order,
        samprate,
        (encoding, b1000),
        b1001,
        blockettes_end,
        codes,
    )
    .map(|header| RecordHeader {
        // Only a chain cut before the blockettes the fixed header declares (field 11) loses
        // blockettes; a bad last next offset loses nothing.
        chain_fault: chain_fault.filter(|_| visited < h[39]),
        ..header
    })
}

/// Start time, flags and codes of a v2 record whose length and blockettes are known
/// (`encoding`: the encoding and the offset of the last blockette 1000, if any).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn finish_v2<'a>(
    raw: &'a [u8],
    h: &[u8; V2_FIXED],
    order: ByteOrder,
    samprate: f64,
    (encoding, b1000): (u8, Option<usize>),
    b1001: Option<usize>,
    blockettes_end: usize,
    codes: &mut CodeCache,
) -> Result<RecordHeader<'a>, Fail> {
    // Start time: ms_btime2nstime, then time correction, then B1001 microseconds.
    let year = rd16(h, 20, order);
    if year == 0 {
        return Err(Fail::YearZero);
    }
    // libmseed passes fract × 100 000 (an int64) as a uint32_t nanosecond argument, so a
    // fraction above 42 949 wraps modulo 2^32 before the range check; the same is done here.
    let fract = u64::from(rd16(h, 28, order));
    let mut start_ns = from_year_doy_hms(
        u32::from(year),
        u32::from(rd16(h, 22, order)),
        u32::from(h[24]),
        u32::from(h[25]),
        u32::from(h[26]),
        (fract * 100_000) as u32,
    )?;
    let activity_flags = h[36];
    let time_correction = rd32(h, 40, order) as i32;
    if time_correction != 0 && activity_flags & 0x02 == 0 {
        // Wrapping (not checked) like libmseed's int64 arithmetic, only reachable in 2262.
        start_ns = start_ns.wrapping_add(i64::from(time_correction) * 100_000);
    }
    let mut timing_quality = None;
    if let Some(b) = b1001 {
        start_ns = start_ns.wrapping_add(i64::from(raw[b + 5] as i8) * 1000);
        timing_quality = Some(raw[b + 4]);
    }
    let quality = h[6];
    let pub_version = quality_publication_version(quality).unwrap_or(0);
    Ok(RecordHeader {
        format_version: 2,
        record_length: raw.len(),
        codes: codes.codes(raw),
        start_ns,
        sample_rate_hz: if samprate < 0.0 {
            -1.0 / samprate
        } else {
            samprate
        },
        sample_rate_raw: samprate,
        sample_count: i64::from(rd16(h, 30, order)),
        encoding,
        pub_version,
        quality,
        header_byte_order: order,
        payload_byte_order: match b1000.and_then(|b| raw.get(b + 5)) {
            Some(0) => ByteOrder::Little,
            Some(_) => ByteOrder::Big,
            None => order,
        },
        activity_flags,
        io_clock_flags: h[37],
        data_quality_flags: h[38],
        timing_quality,
        time_correction,
        data_offset: rd16(h, 44, order) as usize,
        blockettes_end,
        raw,
        chain_fault: None,
    })
}

/// Cut at the first NUL and strip leading and trailing spaces.
#[cfg(test)]
fn trim_code(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    let b = &b[..end];
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let stop = b.iter().rposition(|&c| c != b' ').map_or(start, |p| p + 1);
    &b[start..stop]
}

/// Bit i set when byte i (little-endian order) of `x` is zero: exact per byte (no carry
/// between bytes), then the eight high bits gathered into the low byte.
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let high = !(((x & LOW7) + LOW7) | x | LOW7); // 0x80 in each zero byte
                                                  // Gather bit 7 of each byte into bits 0..8.
    ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Where the four v2 code fields are in header bytes 8..20 (station 5, location 2,
/// channel 3, network 2), each cut at its first NUL and stripped of leading and trailing
/// spaces: `[start, stop)` of each, in that order, as indices into the 12 bytes.
///
/// Works on bit masks of the NUL and space bytes of the 12 bytes (SWAR), so it costs a few
/// dozen instructions and no per-byte branch.
#[inline(always)]
fn v2_code_ranges(f: &[u8; 12]) -> [[u8; 2]; 4] {
    let lo = u64::from_le_bytes([f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]]);
    let hi = u64::from(u32::from_le_bytes([f[8], f[9], f[10], f[11]]));
    let nul = (zero_bytes(lo) | (zero_bytes(hi) & 0x0f) << 8) as u32;
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let space = (zero_bytes(lo ^ SPACES) | (zero_bytes(hi ^ SPACES) & 0x0f) << 8) as u32;
    #[inline(always)]
    fn field(nul: u32, space: u32, at: u32, width: u32) -> [u8; 2] {
        let full = (1u32 << width) - 1;
        let n = (nul >> at) & full;
        let end = if n == 0 { width } else { n.trailing_zeros() };
        let keep = !(space >> at) & ((1u32 << end) - 1);
        if keep == 0 {
            return [at as u8; 2];
        }
        let start = keep.trailing_zeros();
        let stop = 32 - keep.leading_zeros();
        [(at + start) as u8, (at + stop) as u8]
    }
    [
        field(nul, space, 0, 5),
        field(nul, space, 5, 2),
        field(nul, space, 7, 3),
        field(nul, space, 10, 2),
    ]
}

/// The v2 code fields of the last record seen and where they are once trimmed: a run of
/// records of one stream (the usual case) trims its codes once.
#[derive(Clone, Copy, Debug, Default)]
struct CodeCache {
    /// Header bytes 8..20 (all NUL at first: every code empty, as `ranges` says).
    raw: [u8; 12],
    /// [`v2_code_ranges`] of `raw`.
    ranges: [[u8; 2]; 4],
    /// [`code_fault`] of `raw`.
    fault: Option<CodeFault>,
}

impl CodeCache {
    /// The codes of the v2 record `raw` (at least 48 bytes).
    #[inline(always)]
    fn codes<'a>(&mut self, raw: &'a [u8]) -> RecordCodes<'a> {
        let f: &'a [u8; 12] = raw[8..20].try_into().expect("fixed header has 48 bytes");
        if *f != self.raw {
            self.raw = *f;
            self.ranges = v2_code_ranges(f);
            self.fault = code_fault(f);
        }
        let [s, l, c, n] = self.ranges;
        let cut = |r: [u8; 2]| &f[usize::from(r[0])..usize::from(r[1])];
        RecordCodes::V2 {
            station: cut(s),
            location: cut(l),
            channel: cut(c),
            network: cut(n),
        }
    }
}

/// The four v2 code fields (header bytes 8..20: station 5, location 2, channel 3,
/// network 2), each cut at its first NUL and stripped of leading and trailing spaces.
#[cfg(test)]
fn v2_codes(raw: &[u8]) -> RecordCodes<'_> {
    CodeCache::default().codes(raw)
}

// ---------------------------------------------------------------------------------------
// The validation gate
// ---------------------------------------------------------------------------------------

/// The publication version of a miniSEED 2 data quality indicator (fixed header byte 6):
/// `R` 1, `D` 2, `Q` 3, `M` 4, as libmseed maps them (`ms_pubversion` in its miniSEED 2
/// unpacking) and dataselect ranks them when it prunes by quality; `None` for any other
/// byte. This one order ranks quality everywhere in siqaco: the merge's and the repair's
/// `quality` rule, `quality=B` in serving, revisions, and the `%q`-style layout flags.
pub fn quality_publication_version(quality: u8) -> Option<u8> {
    match quality {
        b'R' => Some(1),
        b'D' => Some(2),
        b'Q' => Some(3),
        b'M' => Some(4),
        _ => None,
    }
}

/// Name of an FDSN data encoding code (SEED 2.4 manual, blockette 1000 field 3; libmseed's
/// `ms_encodingstr` names), e.g. `INT32`, `STEIM2`; `unknown` for other codes.
pub fn encoding_name(encoding: u8) -> &'static str {
    match encoding {
        0 => "TEXT",
        1 => "INT16",
        3 => "INT32",
        4 => "FLOAT32",
        5 => "FLOAT64",
        10 => "STEIM1",
        11 => "STEIM2",
        12 => "GEOSCOPE24",
        13 => "GEOSCOPE16-3",
        14 => "GEOSCOPE16-4",
        16 => "CDSN",
        30 => "SRO",
        32 => "DWWSSN",
        ENCODING_UNKNOWN => "STEIM1 (no blockette 1000)",
        _ => "unknown",
    }
}

/// The most samples `data_bytes` bytes of `encoding` can hold, `None` for an encoding
/// libmseed cannot decode.
///
/// Fixed-size encodings by their sample size (libmseed `ms_encoding_sizetype`,
/// `msr_decode_*`): text 1 byte, INT16 2, INT32 and FLOAT32 4, FLOAT64 8, GEOSCOPE 24-bit 3,
/// GEOSCOPE 16-bit gain-ranged, CDSN, SRO and DWWSSN 2. Steim1 and Steim2 (SEED 2.4 manual,
/// appendix B) by their 64-byte frames of 16 words: the first word of each frame holds the
/// nibbles and the first frame also the forward and reverse integration constants, so `f`
/// frames have `15 f − 2` data words of at most 4 (Steim1) or 7 (Steim2) differences
/// each; the first sample is the forward constant and uses the first difference. A v2
/// record without blockette 1000 ([`ENCODING_UNKNOWN`]) is decoded by libmseed as Steim1
/// (`msr3_unpack_data`: "assuming Steim-1"), so it is counted as Steim1 here.
#[inline]
pub fn max_samples(encoding: u8, data_bytes: usize) -> Option<u64> {
    let bytes = data_bytes as u64;
    let steim = |per_word: u64| (15 * (bytes / 64)).saturating_sub(2) * per_word;
    Some(match encoding {
        0 => bytes,
        1 | 13 | 14 | 16 | 30 | 32 => bytes / 2,
        3 | 4 => bytes / 4,
        5 => bytes / 8,
        12 => bytes / 3,
        10 | ENCODING_UNKNOWN => steim(4),
        11 => steim(7),
        _ => return None,
    })
}

/// A v2 code field byte that would silently change the code: a byte that is neither
/// printable ASCII nor padding, or a code byte after a NUL (libmseed cuts the code there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CodeFault {
    /// 0 station, 1 location, 2 channel, 3 network.
    field: u8,
    /// Position of the byte in its field (0-based).
    pos: u8,
    byte: u8,
    after_nul: bool,
}

impl CodeFault {
    fn message(self) -> String {
        let field = ["station", "location", "channel", "network"][usize::from(self.field & 3)];
        if self.after_nul {
            format!(
                "{field} code has byte 0x{:02X} after a NUL (position {} of the field): the code would be cut short",
                self.byte, self.pos
            )
        } else {
            format!(
                "{field} code byte 0x{:02X} at position {} of the field is not printable ASCII",
                self.byte, self.pos
            )
        }
    }
}

/// The first faulty byte of the v2 code fields (header bytes 8..20: station 5, location 2,
/// channel 3, network 2; SEED 2.4 manual ch. 8, fields 3–6: upper-case ASCII letters and
/// digits, left-justified, padded with spaces). Spaces and NULs are taken as padding
/// anywhere (writers pad with either; the codes are cut at a NUL and spaces removed as
/// libmseed's `ms_strncpclean` does); any other byte must be printable ASCII (0x21–0x7E)
/// and must not follow a NUL.
fn code_fault(f: &[u8; 12]) -> Option<CodeFault> {
    const FIELDS: [(u8, usize, usize); 4] = [(0, 0, 5), (1, 5, 7), (2, 7, 10), (3, 10, 12)];
    // Fast path: every byte printable ASCII or a space, no NUL.
    if f.iter().all(|&b| (0x20..=0x7e).contains(&b)) {
        return None;
    }
    for (field, a, b) in FIELDS {
        let mut nul = false;
        for (pos, &byte) in f[a..b].iter().enumerate() {
            let fault = |after_nul| CodeFault {
                field,
                pos: pos as u8,
                byte,
                after_nul,
            };
            match byte {
                0 => nul = true,
                b' ' => {}
                0x21..=0x7e if nul => return Some(fault(true)),
                0x21..=0x7e => {}
                _ => return Some(fault(false)),
            }
        }
    }
    None
}

/// The validation gate: whether a record whose structure was read may be decoded, copied
/// or indexed (see the module documentation, *The validation gate*, for each rule and
/// its source). [`parse_record`] and [`RecordScanner`] apply it to every record; this
/// function is for headers from [`parse_record_structure`].
///
/// # Errors
/// [`RecordError`] of kind [`RecordErrorKind::Invalid`] naming the field and its values,
/// e.g. `sample count 150 exceeds what 432 data bytes of INT32 can hold (108)`.
pub fn check_record(header: &RecordHeader<'_>) -> Result<(), RecordError> {
    let mut codes = CodeCache::default();
    if header.format_version == 2 {
        codes.codes(header.raw);
    }
    check_inner(header, &codes).map_err(|f| f.into_error(header.record_length))
}

/// [`check_record`] with the v2 code check taken from `codes`, which holds the code fields
/// of `h` (the scanner's cache: the check runs once per run of equal code bytes).
#[inline(always)]
fn check_inner(h: &RecordHeader<'_>, codes: &CodeCache) -> Result<(), Fail> {
    if h.format_version == 2 {
        if let Some(fault) = codes.fault {
            return Err(Fail::BadCode(fault));
        }
        if let Some((kind, offset, next)) = h.chain_fault {
            return Err(Fail::ChainNext {
                kind,
                offset,
                next,
                reclen: h.record_length,
            });
        }
    }
    let rate = h.sample_rate_hz;
    if rate != 0.0 && !(MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&rate) {
        return Err(Fail::RateOutOfBounds {
            rate_bits: rate.to_bits(),
        });
    }
    let count = h.sample_count;
    if count > 0 {
        let reclen = h.record_length;
        let min = h.blockettes_end.max(if h.format_version == 2 {
            V2_FIXED
        } else {
            V3_FIXED
        });
        if h.data_offset < min || h.data_offset >= reclen {
            return Err(Fail::DataOffset {
                offset: h.data_offset,
                min,
                reclen,
            });
        }
        let encoding = h.encoding;
        let known = if h.format_version == 3 && encoding == ENCODING_UNKNOWN {
            None
        } else {
            max_samples(encoding, reclen - h.data_offset)
        };
        let Some(max) = known else {
            return Err(Fail::UnknownEncoding { encoding, count });
        };
        if count as u64 > max {
            return Err(Fail::SampleCount {
                count,
                bytes: reclen - h.data_offset,
                encoding,
                max,
            });
        }
        if rate != 0.0 {
            // The time one period after the last sample must be representable: the span
            // as `sample_time` computes it (count / rate × 10⁹ ns, or count × period ×
            // 10⁹), without its saturation, below i64::MAX − start; multiplied out (no
            // division on the scan's path).
            let room = i64::MAX as f64 - h.start_ns as f64;
            let raw = h.sample_rate_raw;
            let fits = if raw > 0.0 {
                (count as f64) * (NS_PER_S as f64) < room * raw
            } else {
                (count as f64) * -raw * (NS_PER_S as f64) < room
            };
            if !fits {
                return Err(Fail::SpanOverflow {
                    count,
                    rate_bits: rate.to_bits(),
                });
            }
        }
    }
    if h.format_version == 3 {
        let (stored, computed) = crc_of(h.raw);
        if stored != computed {
            return Err(Fail::BadCrc { stored, computed });
        }
    }
    Ok(())
}

/// What the gate found for the last v2 record that passed it with samples, so that a run of
/// records of one layout and rate (the usual case) is checked with two compares and two
/// bounds instead of the whole rule set.
#[derive(Clone, Copy, Debug, Default)]
struct GateCache {
    /// Encoding, data offset, end of blockettes and record length, packed ([`Self::layout`]);
    /// 0 = nothing learnt.
    layout: u64,
    /// Raw sample rate bits.
    rate_bits: u64,
    /// [`max_samples`] of the layout.
    max: u64,
    /// Records of up to `max` samples starting before this time end before i64::MAX.
    start_before: i64,
}

impl GateCache {
    #[inline(always)]
    fn layout(h: &RecordHeader<'_>) -> u64 {
        // v2 fields: data offset and blockette offsets are 16-bit, a record is at least 64
        // and at most 10 MiB (24 bits) long, so the packing is exact and never 0.
        (h.encoding as u64) << 56
            | (h.data_offset as u64 & 0xffff) << 40
            | (h.blockettes_end as u64 & 0xffff) << 24
            | (h.record_length as u64 & 0xff_ffff)
    }

    /// Whether `h`, a v2 record whose codes and blockette chain are sound, passes the gate
    /// for the same reasons as the record the cache was learnt from.
    #[inline(always)]
    fn passes(&self, h: &RecordHeader<'_>) -> bool {
        Self::layout(h) == self.layout
            && h.sample_rate_raw.to_bits() == self.rate_bits
            && (h.sample_count as u64) <= self.max
            && h.start_ns < self.start_before
    }

    /// Learns from `h`, a v2 record that passed [`check_inner`].
    #[inline]
    fn learn(&mut self, h: &RecordHeader<'_>) {
        let raw = h.sample_rate_raw;
        if h.sample_count <= 0 || raw == 0.0 {
            return;
        }
        let Some(max) = max_samples(h.encoding, h.record_length - h.data_offset) else {
            return;
        };
        let span = if raw > 0.0 {
            max as f64 / raw * NS_PER_S as f64
        } else {
            max as f64 * -raw * NS_PER_S as f64
        };
        // One second of margin for the rounding of the float span.
        let before = i64::MAX as f64 - span - NS_PER_S as f64;
        *self = GateCache {
            layout: Self::layout(h),
            rate_bits: raw.to_bits(),
            max,
            start_before: if before > i64::MIN as f64 {
                before as i64
            } else {
                i64::MIN
            },
        };
    }
}

/// The stored and the computed CRC-32C of a miniSEED 3 record (at least 40 bytes).
#[inline]
fn crc_of(raw: &[u8]) -> (u32, u32) {
    // The `crc32c` crate uses the SSE4.2 / ARMv8 CRC instructions where present.
    let stored = u32::from_le_bytes([raw[28], raw[29], raw[30], raw[31]]);
    let crc = crc32c::crc32c_append(crc32c::crc32c(&raw[..28]), &[0; 4]);
    (stored, crc32c::crc32c_append(crc, &raw[32..]))
}

// ---------------------------------------------------------------------------------------
// Scanner
// ---------------------------------------------------------------------------------------

/// One item of a [`RecordScanner`] walk.
#[derive(Clone, Debug, PartialEq)]
pub enum ScanItem<'a> {
    /// A readable record.
    Record {
        /// Byte offset of the record in the scanned buffer.
        offset: u64,
        /// Its header.
        header: RecordHeader<'a>,
    },
    /// A run of bytes that could not be read as records, or one record whose structure was
    /// read but which the validation gate refuses ([`check_record`]; then `length` is the
    /// record's length and `message` names the field and its values).
    Invalid {
        /// Byte offset of the first unreadable byte.
        offset: u64,
        /// Number of bytes in the run (up to the next readable record or the end).
        length: u64,
        /// Why the first byte of the run could not be read (e.g. `not miniSEED…`,
        /// `truncated record (2206 of 4096 bytes)`, `corrupt blockette chain…`).
        message: String,
    },
}

/// Walks a buffer holding miniSEED records (a whole file), in file order.
///
/// Yields [`ScanItem::Record`] for every readable record and one [`ScanItem::Invalid`] per
/// maximal run of unreadable bytes, then resynchronises as libmseed's `ms3_readmsr_r` does
/// with `MSF_SKIPNOTDATA` (one byte at a time; see the module documentation). A truncated
/// record, or fewer than 40 trailing bytes, is reported as `Invalid` up to the end of the
/// buffer and ends the walk. An empty buffer yields nothing.
///
/// No allocation happens for readable records.
#[derive(Clone, Debug)]
pub struct RecordScanner<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the data (non-zero for a chunk, see [`scan_reader`]).
    base: u64,
    /// Whether `buf` reaches the end of the data; when not, the walk stops (`next` gives
    /// `None`) where the answer depends on bytes after `buf`.
    at_end: bool,
    /// The unreadable run in progress: its offset and why its first byte is unreadable.
    run: Option<(u64, Fail)>,
    /// When stopped for want of data: how many bytes from `pos` to have next time.
    need: usize,
    /// The trimmed codes of the last v2 record.
    codes: CodeCache,
    /// Whether records pass the validation gate ([`check_record`]).
    checked: bool,
    /// The gate's answer for the last run of records of one layout.
    gate: GateCache,
}

impl<'a> RecordScanner<'a> {
    /// A scanner over `buf`, starting at offset 0, that applies the validation gate.
    pub fn new(buf: &'a [u8]) -> Self {
        RecordScanner {
            buf,
            pos: 0,
            base: 0,
            at_end: true,
            run: None,
            need: 0,
            codes: CodeCache::default(),
            checked: true,
            gate: GateCache::default(),
        }
    }

    /// A scanner over `buf` without the validation gate: the records libmseed 3.5.4's
    /// reader finds ([`parse_record_structure`]), for cross-checks against libmseed only.
    pub fn structure_only(buf: &'a [u8]) -> Self {
        RecordScanner {
            checked: false,
            ..Self::new(buf)
        }
    }

    /// This scanner with `buf` taken as the data from offset `base` (the bytes a file
    /// gained since an earlier read): the offsets of the items count from the start of
    /// the data.
    pub fn with_base(mut self, base: u64) -> Self {
        self.base = base;
        self
    }

    /// The offset where the next item starts.
    pub fn position(&self) -> u64 {
        self.base + self.pos as u64
    }
}

impl<'a> Iterator for RecordScanner<'a> {
    type Item = ScanItem<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<ScanItem<'a>> {
        self.advance(|item| item)
    }
}

impl<'a> RecordScanner<'a> {
    /// Finds the next item and gives it to `emit`; `None` at the end (or, when not
    /// `at_end`, where more bytes are needed). [`scan_reader`] calls this directly, so that
    /// the item is handed over where it is made instead of being moved out first.
    #[inline(always)]
    fn advance<T>(&mut self, emit: impl FnOnce(ScanItem<'a>) -> T) -> Option<T> {
        let len = self.buf.len();
        while self.pos < len {
            let here = self.pos;
            let at = self.base + here as u64;
            match parse_inner(&self.buf[here..], self.at_end, &mut self.codes) {
                Ok(header) => {
                    if let Some((start, fail)) = self.run {
                        // Report the run first; the record is parsed again on the next call.
                        self.run = None;
                        return Some(emit(ScanItem::Invalid {
                            offset: start,
                            length: at - start,
                            message: fail.message(),
                        }));
                    }
                    self.pos = here + header.record_length;
                    if self.checked {
                        let known = header.format_version == 2
                            && self.codes.fault.is_none()
                            && header.chain_fault.is_none()
                            && self.gate.passes(&header);
                        if !known {
                            if let Err(fail) = check_inner(&header, &self.codes) {
                                // Refused whole: nothing inside it is taken for a record.
                                return Some(emit(ScanItem::Invalid {
                                    offset: at,
                                    length: header.record_length as u64,
                                    message: fail.message(),
                                }));
                            }
                            if header.format_version == 2 {
                                self.gate.learn(&header);
                            }
                        }
                    }
                    return Some(emit(ScanItem::Record { offset: at, header }));
                }
                Err(fail) if fail.ends_scan() => {
                    if !self.at_end {
                        // More bytes decide: stop here, the caller continues with them.
                        self.need = match fail {
                            Fail::Truncated { need, .. } => need,
                            _ => 2 * (len - here),
                        };
                        return None;
                    }
                    self.pos = len;
                    let (start, message) = match self.run.take() {
                        None => (at, fail.message()),
                        Some((start, first)) if matches!(fail, Fail::ShortNotSeed { .. }) => {
                            (start, first.message())
                        }
                        Some((start, first)) => (
                            start,
                            format!("{}; then at byte {at}: {}", first.message(), fail.message()),
                        ),
                    };
                    return Some(emit(ScanItem::Invalid {
                        offset: start,
                        length: self.base + len as u64 - start,
                        message,
                    }));
                }
                Err(fail) => {
                    if self.run.is_none() {
                        self.run = Some((at, fail));
                    }
                    self.pos = here + 1;
                }
            }
        }
        if !self.at_end {
            return None;
        }
        let end = self.base + len as u64;
        self.run.take().map(|(start, fail)| {
            emit(ScanItem::Invalid {
                offset: start,
                length: end - start,
                message: fail.message(),
            })
        })
    }
}

/// Reads `reader` to its end, about `chunk_bytes` at a time, into `buf`, and calls `f` with
/// each item that [`RecordScanner`] yields on the whole data, in order, with the same
/// offsets (from the start of the data), headers and messages. Returns the number of bytes
/// read.
///
/// `buf` is reused between calls (it is grown, never shrunk). A record that does not fit in
/// the rest of a chunk is carried over to the start of the next one, and `buf` grows when
/// one record is longer than a chunk; so does a miniSEED 2 record without blockette 1000,
/// whose length is the distance to the next header (up to 10 MiB are held, as libmseed
/// does).
///
/// Byte `x` of the data is kept at an address equal to `x` modulo the page size, so that
/// the kernel copies from the page cache between equally aligned addresses: with the
/// destination a few bytes past the source modulo 4096 (as in a buffer from `malloc`),
/// copies run several times slower on some CPUs (4K aliasing).
///
/// # Errors
/// The first read error (`Interrupted` is retried); the items before it have been given.
pub(crate) fn scan_reader<R: std::io::Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    chunk_bytes: usize,
    mut f: impl FnMut(ScanItem<'_>),
) -> std::io::Result<u64> {
    const PAGE: usize = 4096;
    // Index in `buf` of a page-aligned address plus `offset` modulo the page size.
    let place = |buf: &Vec<u8>, offset: u64| {
        let pad = buf.as_ptr().align_offset(PAGE);
        (if pad < PAGE { pad } else { 0 }) + (offset % PAGE as u64) as usize
    };
    let chunk = chunk_bytes.max(1);
    let mut base = 0u64; // offset in the data of buf[start]
    let mut start = place(buf, 0); // index in buf of the first byte held
    let mut filled = 0usize; // bytes held
    let mut run = None;
    let mut codes = CodeCache::default();
    let mut gate = GateCache::default();
    let mut want = chunk;
    loop {
        if buf.len() < 2 * PAGE + want {
            buf.resize(2 * PAGE + want, 0);
            // The allocation may have moved: align again.
            let moved = place(buf, base);
            buf.copy_within(start..start + filled, moved);
            start = moved;
        }
        let mut at_end = false;
        while filled < want {
            match reader.read(&mut buf[start + filled..start + want]) {
                Ok(0) => {
                    at_end = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let mut scanner = RecordScanner {
            buf: &buf[start..start + filled],
            pos: 0,
            base,
            at_end,
            run,
            need: 0,
            codes,
            checked: true,
            gate,
        };
        while scanner.advance(&mut f).is_some() {}
        if at_end {
            return Ok(base + filled as u64);
        }
        // Carry the undecided bytes over to the start of the buffer.
        let (pos, need) = (scanner.pos, scanner.need);
        run = scanner.run;
        codes = scanner.codes;
        gate = scanner.gate;
        base += pos as u64;
        let carried = place(buf, base);
        buf.copy_within(start + pos..start + filled, carried);
        start = carried;
        filled -= pos;
        want = chunk.max(need);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `v` at `at` in byte order `order`.
    fn put_u16(r: &mut [u8], at: usize, v: u16, order: ByteOrder) {
        let b = match order {
            ByteOrder::Big => v.to_be_bytes(),
            ByteOrder::Little => v.to_le_bytes(),
        };
        r[at..at + 2].copy_from_slice(&b);
    }

    #[test]
    fn empty_and_short() {
        assert_eq!(RecordScanner::new(&[]).count(), 0);
        let items: Vec<_> = RecordScanner::new(b"hello").collect();
        assert_eq!(items.len(), 1);
        assert!(matches!(
            items[0],
            ScanItem::Invalid {
                offset: 0,
                length: 5,
                ..
            }
        ));
        assert_eq!(
            parse_record(b"").unwrap_err().kind,
            RecordErrorKind::NotMiniseed
        );
        assert_eq!(
            parse_record(&[0x41u8; 100]).unwrap_err().kind,
            RecordErrorKind::NotMiniseed
        );
    }

    #[test]
    fn trims_codes() {
        assert_eq!(trim_code(b" AB "), b"AB");
        assert_eq!(trim_code(b"A\0B"), b"A");
        assert_eq!(trim_code(b"   "), b"");
        assert_eq!(trim_code(b""), b"");
    }

    /// The v2 fast path gives exactly what the general rules give, on every v2 record of
    /// the test data (and the proptests in `tests/` feed it corrupt variants).
    #[test]
    fn v2_fast_path_equals_general_rules() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let mut n = 0;
        for file in crate::testing::files_in(&dir.join("mseed")) {
            let buf = std::fs::read(&file).unwrap();
            for item in RecordScanner::new(&buf) {
                if let ScanItem::Record { offset, header } = item {
                    if header.format_version != 2 {
                        continue;
                    }
                    let b = &buf[offset as usize..];
                    let h: &[u8; V2_FIXED] = b[..V2_FIXED].try_into().unwrap();
                    let general = general_v2(
                        b,
                        h,
                        header.header_byte_order,
                        true,
                        &mut CodeCache::default(),
                    )
                    .unwrap();
                    assert_eq!(general, header, "{} @ {offset}", file.display());
                    n += 1;
                }
            }
        }
        assert!(n > 1000, "{n}");
    }

    /// Same comparison on random corruptions of the blockette area of a real record.
    #[test]
    fn v2_fast_path_equals_general_rules_on_corrupt_records() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let name = "mseed/obspy-io-mseed__BW.BGLD.__.EHE.D.2008.001.first_10_records.mseed";
        let orig = std::fs::read(dir.join(name)).unwrap();
        let mut x: u64 = 99;
        let mut rnd = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as usize
        };
        let interesting = [0u8, 1, 3, 7, 8, 9, 10, 12, 48, 56, 64, 100, 232, 255];
        for _ in 0..50_000 {
            let mut buf = orig.clone();
            for _ in 0..1 + rnd() % 3 {
                let at = 44 + rnd() % 24;
                buf[at] = interesting[rnd() % interesting.len()];
            }
            buf.truncate(64 + rnd() % (buf.len() - 64));
            if !is_v2_header(&buf) {
                continue;
            }
            let order = v2_byte_order(&buf);
            let h: &[u8; V2_FIXED] = buf[..V2_FIXED].try_into().unwrap();
            assert_eq!(
                parse_inner(&buf, true, &mut CodeCache::default()),
                general_v2(&buf, h, order, true, &mut CodeCache::default()),
                "{:?}",
                &buf[44..68]
            );
        }
    }

    /// A reader giving at most `max` bytes per call (short reads, as a pipe may).
    struct Trickle<'a> {
        data: &'a [u8],
        max: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = out.len().min(self.max).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// `scan_reader` with `chunk` bytes per chunk (and reads of at most `max`) gives exactly
    /// the items of `RecordScanner` on the whole buffer.
    fn assert_chunked_equals_whole(data: &[u8], chunk: usize, max: usize, ctx: &str) {
        let whole: Vec<ScanItem<'_>> = RecordScanner::new(data).collect();
        let mut got = 0;
        let mut buf = Vec::new();
        let mut reader = Trickle { data, max };
        let n = scan_reader(&mut reader, &mut buf, chunk, |item| {
            assert!(
                got < whole.len(),
                "{ctx}, chunk {chunk}: extra item {item:?}"
            );
            assert_eq!(item, whole[got], "{ctx}, chunk {chunk}, item {got}");
            got += 1;
        })
        .unwrap();
        assert_eq!(got, whole.len(), "{ctx}, chunk {chunk}: items missing");
        assert_eq!(n, data.len() as u64, "{ctx}, chunk {chunk}");
    }

    /// Records, noise and broken records cut at every kind of chunk boundary are read as
    /// from the whole file: every file of the test data (v2 records of 128 to 8192 bytes,
    /// variable-length v3 records, SEED volumes, the broken files) at chunk sizes that put
    /// boundaries inside headers, blockette chains and record bodies.
    #[test]
    fn chunked_scan_equals_whole_buffer_scan() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let mut files = crate::testing::files_in(&dir.join("mseed"));
        files.extend(crate::testing::files_in(&dir.join("mseed/broken")));
        files.extend(crate::testing::files_in(&dir.join("seed")));
        assert!(files.len() > 150, "{}", files.len());
        for file in &files {
            let data = std::fs::read(file).unwrap();
            let ctx = file.display().to_string();
            // The scanner's trimmed codes, kept from record to record, are those of each
            // record parsed alone (multiplexed files change streams at every record).
            for item in RecordScanner::new(&data) {
                if let ScanItem::Record { offset, header } = item {
                    let alone = parse_record(&data[offset as usize..]).unwrap();
                    assert_eq!(header, alone, "{ctx} @ {offset}");
                }
            }
            for chunk in [1000, 4097] {
                assert_chunked_equals_whole(&data, chunk, usize::MAX, &ctx);
            }
            // Boundaries at every small offset, and reads shorter than asked.
            for chunk in [1, 39, 40, 47, 48, 52, 55, 56, 63, 64, 65, 127, 511, 513] {
                assert_chunked_equals_whole(&data, chunk, usize::MAX, &ctx);
            }
            assert_chunked_equals_whole(&data, 4096, 333, &ctx);
            assert_chunked_equals_whole(&data, 1 << 20, usize::MAX, &ctx);
        }
    }

    /// The same on buffers made of pieces of real records: noise, truncated records,
    /// v2 records without blockette 1000 (length found from the next header) and
    /// v3 records longer than a chunk, at random chunk sizes.
    #[test]
    fn chunked_scan_equals_whole_buffer_scan_on_spliced_data() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let v2 = std::fs::read(
            dir.join("mseed/obspy-io-mseed__BW.BGLD.__.EHE.D.2008.001.first_10_records.mseed"),
        )
        .unwrap();
        let v3 =
            std::fs::read(dir.join("mseed/libmseed__reference-testdata-steim2.v3.mseed")).unwrap();
        let v3_records: Vec<&[u8]> = RecordScanner::new(&v3)
            .filter_map(|i| match i {
                ScanItem::Record { header, .. } => Some(header.raw),
                ScanItem::Invalid { .. } => None,
            })
            .collect();
        assert!(!v3_records.is_empty());
        let v2_len = parse_record(&v2).unwrap().record_length;
        // v2 records whose blockette 1000 comes late in the chain (after a blockette 100),
        // with a copy of a valid header inside their data, at every chunk size: a chain
        // walk cut by a chunk boundary must wait for more bytes, not take the copy as the
        // next record; and a chain broken after the boundary must stay broken.
        let order = v2_byte_order(&v2);
        let put16 = |r: &mut [u8], at: usize, v: u16| put_u16(r, at, v, order);
        let mut late = v2[..v2_len].to_vec();
        late[48..v2_len].fill(0);
        put16(&mut late, 48, 100); // blockette 100, next at 448
        put16(&mut late, 50, 448);
        late[52..56].copy_from_slice(&match order {
            ByteOrder::Big => 100.0f32.to_be_bytes(),
            ByteOrder::Little => 100.0f32.to_le_bytes(),
        });
        put16(&mut late, 448, 1000);
        put16(&mut late, 450, 0);
        late[452] = 11;
        late[453] = 1;
        late[454] = v2_len.trailing_zeros() as u8;
        late.copy_within(0..48, 128);
        // No samples: the blockettes now fill the data area (the gate would refuse the
        // data offset otherwise).
        put16(&mut late, 30, 0);
        let mut broken = late.clone();
        put16(&mut broken, 448, 999); // unknown type, next offset going backwards
        put16(&mut broken, 450, 440);
        for rec in [&late, &broken] {
            let mut data = rec.clone();
            data.extend_from_slice(&v2[..v2_len * 2]);
            for chunk in 1..=700 {
                assert_chunked_equals_whole(&data, chunk, usize::MAX, "late blockette 1000");
            }
        }
        assert!(matches!(
            RecordScanner::new(&late).next(),
            Some(ScanItem::Record { header, .. }) if header.record_length == v2_len
        ));
        assert!(matches!(
            RecordScanner::new(&broken).next(),
            Some(ScanItem::Invalid { .. })
        ));

        let mut x: u64 = 7;
        let mut rnd = move |n: usize| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as usize % n
        };
        for case in 0..300 {
            let mut data = Vec::new();
            for _ in 0..1 + rnd(12) {
                match rnd(6) {
                    0 => data.extend_from_slice(&v2[..v2_len * (1 + rnd(3))]),
                    1 => {
                        // A v2 record without blockette 1000.
                        let mut r = v2[..v2_len].to_vec();
                        r[46] = 0;
                        r[47] = 0;
                        data.extend_from_slice(&r);
                    }
                    2 => data.extend_from_slice(v3_records[rnd(v3_records.len())]),
                    3 => {
                        // Noise, sometimes looking like the start of a header.
                        let n = rnd(200);
                        let from = rnd(v2.len() - n);
                        data.extend_from_slice(&v2[from..from + n]);
                    }
                    4 => data.extend_from_slice(&v2[..rnd(v2_len)]),
                    _ => data.extend(std::iter::repeat_n(b' ', rnd(100))),
                }
            }
            let chunk = 1 + rnd(1500);
            let max = 1 + rnd(3000);
            assert_chunked_equals_whole(&data, chunk, max, &format!("case {case}"));
        }
    }

    /// Records whose code fields change in length and padding from one record to the
    /// next: the scanner's codes (trimmed once per run of equal code bytes) are those of
    /// each record parsed alone.
    #[test]
    fn codes_follow_every_change_of_code_bytes() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let v2 = std::fs::read(
            dir.join("mseed/obspy-io-mseed__BW.BGLD.__.EHE.D.2008.001.first_10_records.mseed"),
        )
        .unwrap();
        let len = parse_record(&v2).unwrap().record_length;
        let codes: [&[u8; 12]; 8] = [
            b"BGLD   EHEBW",
            b"BGLD   EHEBW",
            b"ABCDE00HHZXA",
            b" X   00HHZXA",
            b"X\0   \0\0HHZXA",
            b"X    \0\0HHZXA",
            b"X      HH XA",
            b"BGLD   EHEBW",
        ];
        let mut data = Vec::new();
        for c in codes {
            let mut r = v2[..len].to_vec();
            r[8..20].copy_from_slice(c);
            data.extend_from_slice(&r);
        }
        let mut n = 0;
        for item in RecordScanner::new(&data) {
            let ScanItem::Record { offset, header } = item else {
                panic!("{item:?}");
            };
            let alone = parse_record(&data[offset as usize..]).unwrap();
            assert_eq!(header.codes, alone.codes, "record {n}");
            n += 1;
        }
        assert_eq!(n, codes.len());
    }

    /// The scanner's gate cache (a run of records of one layout and rate) gives exactly the
    /// answers of the whole gate (`parse_record` on each record alone), with counts and
    /// start times at and past the limits.
    #[test]
    fn gate_cache_equals_the_whole_gate() {
        let Some(dir) = crate::testing::test_data_dir() else {
            return;
        };
        let v2 =
            std::fs::read(dir.join("mseed/libmseed__reference-testdata-steim2.v2.mseed")).unwrap();
        let len = parse_record(&v2).unwrap().record_length;
        let order = v2_byte_order(&v2);
        let put16 = |r: &mut [u8], at: usize, v: u16| put_u16(r, at, v, order);
        let data = rd16(&v2, 44, order) as usize;
        let max = max_samples(11, len - data).unwrap() as u16;
        let mut all = Vec::new();
        // (count, year, rate factor, rate multiplier)
        let cases = [
            (100, 2012, 40, 1),
            (max, 2012, 40, 1),
            (max + 1, 2012, 40, 1),
            (0, 2012, 40, 1),
            (max, 2262, 40, 1),
            (100, 2262, -10000, -100),
            (max, 2262, -10000, -100),
            (1, 2262, -10000, -100),
            (max, 2012, -10000, -100),
            (max, 2012, -10000, -101),
            (100, 2012, 40, 1),
        ];
        for (count, year, factor, mult) in cases {
            let mut r = v2[..len].to_vec();
            put16(&mut r, 30, count);
            put16(&mut r, 20, year);
            put16(&mut r, 22, 1);
            put16(&mut r, 32, factor as u16);
            put16(&mut r, 34, mult as u16);
            all.extend_from_slice(&r);
        }
        let mut refused = 0;
        for item in RecordScanner::new(&all) {
            match item {
                ScanItem::Record { offset, header } => {
                    assert_eq!(parse_record(&all[offset as usize..]), Ok(header));
                }
                ScanItem::Invalid {
                    offset,
                    length,
                    message,
                } => {
                    let e = parse_record(&all[offset as usize..]).unwrap_err();
                    assert_eq!(
                        (e.message, e.record_length),
                        (message, Some(length as usize))
                    );
                    refused += 1;
                }
            }
        }
        assert_eq!(refused, 4);
    }

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C for "123456789".
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn mask_trimming_equals_simple_trimming() {
        let alphabet = [b' ', 0, b'A', b'Z', b'0', 0xf0];
        let mut raw = [0u8; 48];
        let mut x: u64 = 12345;
        for _ in 0..20_000 {
            for b in raw[8..20].iter_mut() {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *b = alphabet[(x >> 33) as usize % alphabet.len()];
            }
            let RecordCodes::V2 {
                network,
                station,
                location,
                channel,
            } = v2_codes(&raw)
            else {
                unreachable!()
            };
            assert_eq!(station, trim_code(&raw[8..13]), "{:?}", &raw[8..20]);
            assert_eq!(location, trim_code(&raw[13..15]), "{:?}", &raw[8..20]);
            assert_eq!(channel, trim_code(&raw[15..18]), "{:?}", &raw[8..20]);
            assert_eq!(network, trim_code(&raw[18..20]), "{:?}", &raw[8..20]);
        }
    }
}
