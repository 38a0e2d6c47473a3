//! FDSN StationXML reader: networks, stations and channel epochs, for checking data against
//! metadata.
//!
//! Reads FDSN StationXML 1.0, 1.1 and 1.2 (<https://docs.fdsn.org/projects/stationxml/>,
//! schema `http://www.fdsn.org/xml/station/1`). Documents that declare `schemaVersion` 2.x
//! are read as far as they use the 1.x element names (a warning is logged through
//! `tracing`); any other major version is an error.
//!
//! The reader streams the document with quick-xml's event reader: no document tree is built,
//! response stages are counted but not kept, so memory is bounded by the result plus one
//! channel being read. Only what siqaco needs is kept: codes, epochs, restricted status,
//! coordinates, orientation, sample rate, overall sensitivity, the number of response stages,
//! channel types and the channel's `<DataAvailability><Extent>`.
//!
//! Rules:
//! - The root must be `<FDSNStationXML>` bound to [`FDSN_STATION_NS`], the schema's
//!   `targetNamespace` (with any prefix): a root in another namespace or in none is an
//!   error at its line and column (ObsPy 1.5 refuses such documents too), never empty
//!   metadata.
//! - Element names are matched by local name, so namespace prefixes (`<fsx:Channel>`) are
//!   accepted; elements bound to a namespace other than the FDSN one (`##other` extensions)
//!   and unknown elements are skipped with their whole subtree.
//! - Values are kept as written when the schema admits them, as ObsPy 1.5 does: a
//!   `SampleRate` of INF, NaN or below 0 (`xs:double`) and an `endDate` before the
//!   `startDate` are read; `siqaco qc` reports such epochs (`invalid_epoch`).
//! - Times are `xs:dateTime` with or without fractional seconds and with or without a zone;
//!   a time without a zone is UTC (see [`parse_xml_datetime`]).
//! - Custom entities are never expanded: a `<!DOCTYPE>` that declares an `<!ENTITY>` is
//!   rejected (no "billion laughs"), and a reference to an undeclared entity is an error.
//!   The five predefined entities and character references are resolved.
//! - Input encodings: UTF-8 (with or without BOM), US-ASCII and ISO-8859-1 (also accepted
//!   when declared as windows-1252 or ISO-8859-15, and decoded as ISO-8859-1). UTF-16 and
//!   other encodings are rejected with a clear error.
//! - Every problem is an [`Error::StationXml`] naming the file, the
//!   1-based line and column and what is wrong; I/O errors are [`Error::Io`].

use crate::error::{Error, Result};
use crate::sid::Nslc;
use crate::time::NS_PER_S;
use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The XML namespace of FDSN StationXML 1.x (also used by the 2.0 drafts).
pub const FDSN_STATION_NS: &str = "http://www.fdsn.org/xml/station/1";

/// Deepest element nesting accepted (StationXML needs about 12 levels).
const MAX_DEPTH: usize = 256;

/// The content of one or more StationXML documents (`<FDSNStationXML>`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Inventory {
    /// `<Source>`: the organisation that produced the document.
    pub source: Option<String>,
    /// `<Sender>`: the organisation that sent it.
    pub sender: Option<String>,
    /// `<Created>`, in ns since 1970-01-01 UTC.
    pub created_ns: Option<i64>,
    /// The root's `schemaVersion` attribute as written (`"1.2"`); empty when absent.
    pub schema_version: String,
    /// Networks in document order.
    pub networks: Vec<Network>,
}

/// One network epoch (`<Network>`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Network {
    /// The `code` attribute.
    pub code: String,
    /// `startDate`, in ns since 1970-01-01 UTC (see [`parse_xml_datetime`] for the range).
    pub start_ns: Option<i64>,
    /// `endDate`, in ns since 1970-01-01 UTC; `None` when absent (open epoch).
    pub end_ns: Option<i64>,
    /// `restrictedStatus` (`open`, `closed` or `partial`) as written.
    pub restricted_status: Option<String>,
    /// `<Description>`, trimmed.
    pub description: Option<String>,
    /// Station epochs in document order.
    pub stations: Vec<Station>,
}

/// One station epoch (`<Station>`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Station {
    /// The `code` attribute.
    pub code: String,
    /// `startDate`, in ns since 1970-01-01 UTC.
    pub start_ns: Option<i64>,
    /// `endDate`, in ns since 1970-01-01 UTC; `None` when absent (open epoch).
    pub end_ns: Option<i64>,
    /// `restrictedStatus` as written.
    pub restricted_status: Option<String>,
    /// `<Latitude>`, degrees north.
    pub latitude: f64,
    /// `<Longitude>`, degrees east.
    pub longitude: f64,
    /// `<Elevation>`, metres above sea level.
    pub elevation_m: f64,
    /// `<Site><Name>`, trimmed.
    pub site_name: Option<String>,
    /// Channel epochs in document order.
    pub channels: Vec<Channel>,
}

/// One channel epoch (`<Channel>`): the metadata a stream's data is checked against.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Channel {
    /// Network and station codes of the enclosing elements, `locationCode` (trimmed, so
    /// `"  "` gives the empty location) and `code`. Codes are not validated.
    pub nslc: Nslc,
    /// `startDate`, in ns since 1970-01-01 UTC.
    pub start_ns: Option<i64>,
    /// `endDate`, in ns since 1970-01-01 UTC; `None` = open epoch. Far-future dates such as
    /// 2599-12-31 saturate to `i64::MAX` (see [`parse_xml_datetime`]).
    pub end_ns: Option<i64>,
    /// `restrictedStatus` as written.
    pub restricted_status: Option<String>,
    /// `<SampleRate>` in Hz when present, else `<SampleRateRatio>` NumberSamples /
    /// NumberSeconds (when NumberSeconds is not 0), else `None`.
    pub sample_rate_hz: Option<f64>,
    /// `<Latitude>`, degrees north.
    pub latitude: f64,
    /// `<Longitude>`, degrees east.
    pub longitude: f64,
    /// `<Elevation>`, metres above sea level.
    pub elevation_m: f64,
    /// `<Depth>` below the elevation, metres.
    pub depth_m: f64,
    /// `<Azimuth>`, degrees clockwise from north.
    pub azimuth_deg: Option<f64>,
    /// `<Dip>`, degrees down from horizontal (-90 = up).
    pub dip_deg: Option<f64>,
    /// `<Response><InstrumentSensitivity>`: the overall sensitivity, when given.
    pub sensitivity: Option<Sensitivity>,
    /// Number of `<Response><Stage>` elements.
    pub response_stages: usize,
    /// `<Type>` values (`CONTINUOUS`, `GEOPHYSICAL`...), in document order.
    pub types: Vec<String>,
    /// `<DataAvailability><Extent start end>` in ns since 1970-01-01 UTC, when given.
    pub data_availability: Option<(i64, i64)>,
}

/// The overall sensitivity of a channel (`<InstrumentSensitivity>`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sensitivity {
    /// `<Value>`: output units per input unit (for example counts per m/s).
    pub value: f64,
    /// `<Frequency>` at which the value holds, Hz.
    pub frequency_hz: f64,
    /// `<InputUnits><Name>` (`M/S`...); empty when absent.
    pub input_units: String,
    /// `<OutputUnits><Name>` (`COUNTS`...); empty when absent.
    pub output_units: String,
}

impl Inventory {
    /// Every channel epoch of every station of every network, in document order.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.networks
            .iter()
            .flat_map(|n| n.stations.iter())
            .flat_map(|s| s.channels.iter())
    }

    /// All channel epochs of the stream `nslc`, sorted by start (an absent start first;
    /// epochs with the same start keep document order).
    pub fn epochs_for(&self, nslc: &Nslc) -> Vec<&Channel> {
        let mut v: Vec<&Channel> = self.channels().filter(|c| &c.nslc == nslc).collect();
        v.sort_by_key(|c| c.start_ns.unwrap_or(i64::MIN));
        v
    }

    /// Adds the networks of `other` to this inventory. A network with the same code as one
    /// already present is merged into it: its stations are appended (not de-duplicated), its
    /// start becomes the earlier start and its end the later end (`None`, open, wins; an
    /// absent start wins too), and a missing description or restricted status is taken from
    /// `other`. Header fields (source, sender, created, schema version) are kept unless
    /// absent or empty here.
    pub fn merge(&mut self, other: Inventory) {
        if self.source.is_none() {
            self.source = other.source;
        }
        if self.sender.is_none() {
            self.sender = other.sender;
        }
        if self.created_ns.is_none() {
            self.created_ns = other.created_ns;
        }
        if self.schema_version.is_empty() {
            self.schema_version = other.schema_version;
        }
        for net in other.networks {
            match self.networks.iter_mut().find(|n| n.code == net.code) {
                None => self.networks.push(net),
                Some(n) => {
                    n.start_ns = match (n.start_ns, net.start_ns) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        _ => None,
                    };
                    n.end_ns = match (n.end_ns, net.end_ns) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                    if n.description.is_none() {
                        n.description = net.description;
                    }
                    if n.restricted_status.is_none() {
                        n.restricted_status = net.restricted_status;
                    }
                    n.stations.extend(net.stations);
                }
            }
        }
    }
}

/// Reads a StationXML file (streaming; memory is bounded by the result).
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened or read; [`Error::StationXml`] with the
/// file, line and column when it is not well-formed XML, not FDSN StationXML, declares
/// entities, misses a required element (station or channel coordinates, channel depth,
/// codes) or holds a value that cannot be parsed.
pub fn read_stationxml(path: &Path) -> Result<Inventory> {
    let open = || {
        std::fs::File::open(path)
            .map(|f| BufReader::with_capacity(64 * 1024, f))
            .map_err(|e| Error::io(path, e))
    };
    match parse_input(open()?) {
        Ok(inv) => Ok(inv),
        Err(Fail::Io(e)) => Err(Error::io(path, e)),
        Err(Fail::At(offset, message)) => {
            let (line, column) = match open() {
                Ok(r) => locate(r, offset),
                Err(_) => (0, 0),
            };
            Err(Error::StationXml {
                path: path.to_path_buf(),
                line,
                column,
                message,
            })
        }
    }
}

/// Parses a StationXML document held in memory; `name` is used as the path in errors.
///
/// # Errors
/// As [`read_stationxml`], with `name` as the path.
pub fn parse_stationxml(bytes: &[u8], name: &str) -> Result<Inventory> {
    match parse_input(bytes) {
        Ok(inv) => Ok(inv),
        Err(Fail::Io(e)) => Err(Error::io(name, e)),
        Err(Fail::At(offset, message)) => {
            let (line, column) = locate(bytes, offset);
            Err(Error::StationXml {
                path: PathBuf::from(name),
                line,
                column,
                message,
            })
        }
    }
}

/// Reads a StationXML file, or every StationXML file of a directory
/// ([`read_stationxml_dir`]): the `--metadata` argument of `siqaco qc`.
///
/// # Errors
/// As [`read_stationxml`] and [`read_stationxml_dir`].
pub fn read_stationxml_path(path: &Path) -> Result<Inventory> {
    if path.is_dir() {
        read_stationxml_dir(path)
    } else {
        read_stationxml(path)
    }
}

/// Reads every StationXML file directly inside `dir` (names ending in `.xml` or
/// `.stationxml`, any case; sorted by name) into one [`Inventory`], merging networks with
/// [`Inventory::merge`]. Header fields come from the first file that has them.
///
/// # Errors
/// [`Error::Io`] when the directory cannot be listed; the first file's error otherwise (use
/// [`read_stationxml_dir_lenient`] to skip bad files).
pub fn read_stationxml_dir(dir: &Path) -> Result<Inventory> {
    let mut inv = Inventory::default();
    for p in stationxml_files(dir)? {
        inv.merge(read_stationxml(&p)?);
    }
    Ok(inv)
}

/// Like [`read_stationxml_dir`], but a file that cannot be read does not stop the others:
/// its error is returned in the list beside the inventory of the good files.
///
/// # Errors
/// [`Error::Io`] only when the directory itself cannot be listed.
pub fn read_stationxml_dir_lenient(dir: &Path) -> Result<(Inventory, Vec<Error>)> {
    let mut inv = Inventory::default();
    let mut errors = Vec::new();
    for p in stationxml_files(dir)? {
        match read_stationxml(&p) {
            Ok(i) => inv.merge(i),
            Err(e) => errors.push(e),
        }
    }
    Ok((inv, errors))
}

/// The StationXML files directly inside `dir` (names ending in `.xml` or `.stationxml`, any
/// case), sorted by name.
pub(crate) fn stationxml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut v = Vec::new();
    for entry in rd {
        let p = entry.map_err(|e| Error::io(dir, e))?.path();
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        if matches!(ext.as_deref(), Some("xml" | "stationxml")) && p.is_file() {
            v.push(p);
        }
    }
    v.sort();
    Ok(v)
}

/// Parses an XML Schema `xs:dateTime` as used by StationXML into ns since 1970-01-01 UTC.
///
/// Accepted: `YYYY-MM-DDThh:mm:ss`, optional fractional seconds of any length (digits after
/// the ninth are dropped), optional zone `Z`, `±hh:mm`, `±hhmm` or `±hh` (no zone = UTC, as
/// StationXML writers mean it); a date alone (`YYYY-MM-DD`, midnight); `24:00:00` (the next
/// midnight) and second 60 (counted as the next minute's 0, POSIX time). Surrounding
/// whitespace is ignored. Times after 2262-04-11T23:47:16.854775807Z, which do not fit in
/// `i64` ns (for example the conventional open end 2599-12-31T23:59:59), saturate to
/// `i64::MAX`; times before 1677-09-21T00:12:43.145224192Z saturate to `i64::MIN`.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the text when it has none of these forms or an
/// impossible date or time.
pub fn parse_xml_datetime(text: &str) -> Result<i64> {
    parse_dt(text.trim()).ok_or_else(|| {
        Error::invalid_argument(format!(
            "cannot parse StationXML date-time {text:?} (expected e.g. 2018-07-09T20:45:00.0000 or 2007-01-01T00:00:00Z)"
        ))
    })
}

fn parse_dt(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |i: usize, n: usize| -> Option<i64> {
        let d = b.get(i..i + n)?;
        if d.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(d).ok()?.parse().ok()
        } else {
            None
        }
    };
    // Year: optional '-', at least four digits.
    let neg = b.first() == Some(&b'-');
    let ys = usize::from(neg);
    let ylen = b[ys..].iter().take_while(|c| c.is_ascii_digit()).count();
    if ylen < 4 {
        return None;
    }
    let mut year = num(ys, ylen)?;
    if neg {
        year = -year;
    }
    let mut i = ys + ylen;
    if b.get(i) != Some(&b'-') || b.get(i + 3) != Some(&b'-') {
        return None;
    }
    let month = num(i + 1, 2)?;
    let day = num(i + 4, 2)?;
    i += 6;
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )?;
    let days = i128::from(
        date.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
            .num_days(),
    );
    let (mut secs, mut nanos) = (0i128, 0i128);
    if i < b.len() && b[i] == b'T' {
        if b.get(i + 3) != Some(&b':') || b.get(i + 6) != Some(&b':') {
            return None;
        }
        let (h, m, sec) = (num(i + 1, 2)?, num(i + 4, 2)?, num(i + 7, 2)?);
        i += 9;
        if b.get(i) == Some(&b'.') {
            let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let digits = &s[i + 1..i + 1 + n];
            let mut f: i128 = 0;
            for (k, c) in digits.bytes().take(9).enumerate() {
                f += i128::from(c - b'0') * 10i128.pow(8 - k as u32);
            }
            nanos = f;
            i += 1 + n;
        }
        let ok = (h < 24 && m < 60 && sec <= 60) || (h == 24 && m == 0 && sec == 0 && nanos == 0);
        if !ok {
            return None;
        }
        secs = i128::from(h * 3600 + m * 60 + sec);
    } else if i < b.len() && !matches!(b[i], b'Z' | b'+' | b'-') {
        return None;
    }
    // Zone.
    let zone = &s[i..];
    let offset_s: i128 = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = match z.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &z.as_bytes()[1..];
            let two = |d: &[u8]| -> Option<i128> {
                if d.len() == 2 && d.iter().all(u8::is_ascii_digit) {
                    Some(i128::from((d[0] - b'0') * 10 + (d[1] - b'0')))
                } else {
                    None
                }
            };
            let (hh, mm) = match r.len() {
                2 => (two(r)?, 0),
                4 => (two(&r[..2])?, two(&r[2..])?),
                5 if r[2] == b':' => (two(&r[..2])?, two(&r[3..])?),
                _ => return None,
            };
            if hh > 23 || mm > 59 {
                return None;
            }
            sign * (hh * 3600 + mm * 60)
        }
    };
    let total = (days * 86_400 + secs - offset_s) * i128::from(NS_PER_S) + nanos;
    Some(total.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

// ---------------------------------------------------------------------------------------
// Input handling: encoding sniffing, ISO-8859-1 transcoding, line/column location.

/// An internal failure: an I/O error, or a problem at a byte offset of the (UTF-8) input.
enum Fail {
    Io(std::io::Error),
    At(u64, String),
}

fn at(offset: u64, message: impl Into<String>) -> Fail {
    Fail::At(offset, message.into())
}

#[derive(Clone, Copy)]
enum Encoding {
    Utf8,
    Latin1,
}

/// Looks at the start of the input (BOM, XML declaration) to choose a decoding.
fn sniff<R: BufRead>(r: &mut R) -> std::result::Result<Encoding, Fail> {
    let head = r.fill_buf().map_err(Fail::Io)?;
    if head.starts_with(&[0xFE, 0xFF])
        || head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0x00, 0x3C, 0x00, 0x3F])
        || head.starts_with(&[0x3C, 0x00, 0x3F, 0x00])
    {
        return Err(at(
            0,
            "UTF-16 encoded StationXML is not supported (convert it to UTF-8)",
        ));
    }
    let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let skip = body.iter().take_while(|b| b.is_ascii_whitespace()).count();
    if body.get(skip).is_some_and(|&b| b != b'<') {
        let offset = (head.len() - body.len() + skip) as u64;
        return Err(at(
            offset,
            "not an XML document: the content does not start with '<' (a binary or text file?)",
        ));
    }
    if !head.starts_with(b"<?xml") {
        return Ok(Encoding::Utf8);
    }
    let end = head
        .windows(2)
        .position(|w| w == b"?>")
        .unwrap_or(head.len().min(512));
    let decl = String::from_utf8_lossy(&head[..end]);
    let Some(k) = decl.find("encoding") else {
        return Ok(Encoding::Utf8);
    };
    let rest = decl[k + "encoding".len()..].trim_start();
    let Some(rest) = rest.strip_prefix('=') else {
        return Ok(Encoding::Utf8);
    };
    let rest = rest.trim_start();
    let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return Ok(Encoding::Utf8);
    };
    let name = rest[1..].split(q).next().unwrap_or("").to_ascii_lowercase();
    match name.as_str() {
        "utf-8" | "utf8" | "us-ascii" | "ascii" => Ok(Encoding::Utf8),
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1"
        | "windows-1252" | "cp1252" | "iso-8859-15" => Ok(Encoding::Latin1),
        _ => Err(at(
            0,
            format!(
                "unsupported encoding {name:?} (siqaco reads UTF-8, US-ASCII and ISO-8859-1 StationXML)"
            ),
        )),
    }
}

/// A `BufRead` adapter that transcodes ISO-8859-1 bytes to UTF-8.
struct Latin1<R> {
    inner: R,
    out: Vec<u8>,
    pos: usize,
}

impl<R: BufRead> Read for Latin1<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Latin1<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.out.len() {
            let input = self.inner.fill_buf()?;
            self.out.clear();
            self.pos = 0;
            for &b in input {
                if b < 0x80 {
                    self.out.push(b);
                } else {
                    self.out.push(0xC0 | (b >> 6));
                    self.out.push(0x80 | (b & 0x3F));
                }
            }
            let n = input.len();
            self.inner.consume(n);
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.out.len());
    }
}

/// The document `bytes` as UTF-8, the way [`parse_stationxml`] decodes it: ISO-8859-1
/// input (by its XML declaration) is transcoded, anything else is returned as it is (for
/// fdsnws-station, which re-emits the files' elements).
#[cfg(feature = "sqlite")]
pub(crate) fn utf8_document(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut head = bytes;
    match sniff(&mut head) {
        Ok(Encoding::Latin1) => {
            let mut out = Vec::with_capacity(bytes.len());
            let mut r = Latin1 {
                inner: bytes,
                out: Vec::new(),
                pos: 0,
            };
            if r.read_to_end(&mut out).is_err() {
                return std::borrow::Cow::Borrowed(bytes);
            }
            std::borrow::Cow::Owned(out)
        }
        _ => std::borrow::Cow::Borrowed(bytes),
    }
}

fn parse_input<R: BufRead>(mut r: R) -> std::result::Result<Inventory, Fail> {
    match sniff(&mut r)? {
        Encoding::Utf8 => Parser::default().run(r),
        Encoding::Latin1 => Parser::default().run(Latin1 {
            inner: r,
            out: Vec::new(),
            pos: 0,
        }),
    }
}

/// 1-based line and column (in characters) of byte `offset` of the decoded input.
fn locate<R: BufRead>(mut r: R, offset: u64) -> (u64, u64) {
    fn count<R: BufRead>(mut r: R, offset: u64) -> (u64, u64) {
        let (mut line, mut col, mut pos) = (1u64, 1u64, 0u64);
        while pos < offset {
            let Ok(buf) = r.fill_buf() else { break };
            if buf.is_empty() {
                break;
            }
            let n = buf
                .len()
                .min(usize::try_from(offset - pos).unwrap_or(usize::MAX));
            for &b in &buf[..n] {
                if b == b'\n' {
                    line += 1;
                    col = 1;
                } else if b & 0xC0 != 0x80 {
                    col += 1;
                }
            }
            r.consume(n);
            pos += n as u64;
        }
        (line, col)
    }
    match sniff(&mut r) {
        Ok(Encoding::Latin1) => count(
            Latin1 {
                inner: r,
                out: Vec::new(),
                pos: 0,
            },
            offset,
        ),
        _ => count(r, offset),
    }
}

// ---------------------------------------------------------------------------------------
// The event-driven parser.

/// The element names the parser cares about, as `&'static str`; `None` for any other
/// (such elements are pushed as `None` and their subtree is ignored).
fn known(local: &str) -> Option<&'static str> {
    Some(match local {
        "FDSNStationXML" => "FDSNStationXML",
        "Source" => "Source",
        "Sender" => "Sender",
        "Created" => "Created",
        "Network" => "Network",
        "Description" => "Description",
        "Station" => "Station",
        "Channel" => "Channel",
        "Latitude" => "Latitude",
        "Longitude" => "Longitude",
        "Elevation" => "Elevation",
        "Depth" => "Depth",
        "Azimuth" => "Azimuth",
        "Dip" => "Dip",
        "Site" => "Site",
        "Name" => "Name",
        "Type" => "Type",
        "SampleRate" => "SampleRate",
        "SampleRateRatio" => "SampleRateRatio",
        "NumberSamples" => "NumberSamples",
        "NumberSeconds" => "NumberSeconds",
        "Response" => "Response",
        "InstrumentSensitivity" => "InstrumentSensitivity",
        "Value" => "Value",
        "Frequency" => "Frequency",
        "InputUnits" => "InputUnits",
        "OutputUnits" => "OutputUnits",
        "Stage" => "Stage",
        "DataAvailability" => "DataAvailability",
        "Extent" => "Extent",
        _ => return None,
    })
}

const ROOT: &str = "FDSNStationXML";

/// Where a text-bearing element sits, relative to the innermost Network/Station/Channel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Leaf {
    Source,
    Sender,
    Created,
    NetDescription,
    StaLatitude,
    StaLongitude,
    StaElevation,
    StaSiteName,
    ChaLatitude,
    ChaLongitude,
    ChaElevation,
    ChaDepth,
    ChaAzimuth,
    ChaDip,
    ChaType,
    ChaSampleRate,
    ChaRatioSamples,
    ChaRatioSeconds,
    SensValue,
    SensFrequency,
    SensInputUnits,
    SensOutputUnits,
}

const NET: [&str; 2] = [ROOT, "Network"];
const STA: [&str; 3] = [ROOT, "Network", "Station"];
const CHA: [&str; 4] = [ROOT, "Network", "Station", "Channel"];

/// Which [`Leaf`] an element path (root first) is, if any (no allocation: this runs for
/// every start tag).
fn leaf_of(path: &[Option<&'static str>]) -> Option<Leaf> {
    let under = |base: &[&str]| -> Option<&[Option<&'static str>]> {
        (path.len() > base.len() && path.iter().zip(base).all(|(a, b)| *a == Some(*b)))
            .then(|| &path[base.len()..])
    };
    if let Some(r) = under(&CHA) {
        return match r {
            [Some("Latitude")] => Some(Leaf::ChaLatitude),
            [Some("Longitude")] => Some(Leaf::ChaLongitude),
            [Some("Elevation")] => Some(Leaf::ChaElevation),
            [Some("Depth")] => Some(Leaf::ChaDepth),
            [Some("Azimuth")] => Some(Leaf::ChaAzimuth),
            [Some("Dip")] => Some(Leaf::ChaDip),
            [Some("Type")] => Some(Leaf::ChaType),
            [Some("SampleRate")] => Some(Leaf::ChaSampleRate),
            [Some("SampleRateRatio"), Some("NumberSamples")] => Some(Leaf::ChaRatioSamples),
            [Some("SampleRateRatio"), Some("NumberSeconds")] => Some(Leaf::ChaRatioSeconds),
            [Some("Response"), Some("InstrumentSensitivity"), rest @ ..] => match rest {
                [Some("Value")] => Some(Leaf::SensValue),
                [Some("Frequency")] => Some(Leaf::SensFrequency),
                [Some("InputUnits"), Some("Name")] => Some(Leaf::SensInputUnits),
                [Some("OutputUnits"), Some("Name")] => Some(Leaf::SensOutputUnits),
                _ => None,
            },
            _ => None,
        };
    }
    if let Some(r) = under(&STA) {
        return match r {
            [Some("Latitude")] => Some(Leaf::StaLatitude),
            [Some("Longitude")] => Some(Leaf::StaLongitude),
            [Some("Elevation")] => Some(Leaf::StaElevation),
            [Some("Site"), Some("Name")] => Some(Leaf::StaSiteName),
            _ => None,
        };
    }
    if let Some(r) = under(&NET) {
        return match r {
            [Some("Description")] => Some(Leaf::NetDescription),
            _ => None,
        };
    }
    match path {
        [Some(ROOT), Some("Source")] => Some(Leaf::Source),
        [Some(ROOT), Some("Sender")] => Some(Leaf::Sender),
        [Some(ROOT), Some("Created")] => Some(Leaf::Created),
        _ => None,
    }
}

fn leaf_name(leaf: Leaf) -> &'static str {
    match leaf {
        Leaf::Source => "Source",
        Leaf::Sender => "Sender",
        Leaf::Created => "Created",
        Leaf::NetDescription => "Description",
        Leaf::StaLatitude | Leaf::ChaLatitude => "Latitude",
        Leaf::StaLongitude | Leaf::ChaLongitude => "Longitude",
        Leaf::StaElevation | Leaf::ChaElevation => "Elevation",
        Leaf::StaSiteName => "Site/Name",
        Leaf::ChaDepth => "Depth",
        Leaf::ChaAzimuth => "Azimuth",
        Leaf::ChaDip => "Dip",
        Leaf::ChaType => "Type",
        Leaf::ChaSampleRate => "SampleRate",
        Leaf::ChaRatioSamples => "SampleRateRatio/NumberSamples",
        Leaf::ChaRatioSeconds => "SampleRateRatio/NumberSeconds",
        Leaf::SensValue => "InstrumentSensitivity/Value",
        Leaf::SensFrequency => "InstrumentSensitivity/Frequency",
        Leaf::SensInputUnits => "InstrumentSensitivity/InputUnits/Name",
        Leaf::SensOutputUnits => "InstrumentSensitivity/OutputUnits/Name",
    }
}

/// A station being read: required values are checked at its end.
#[derive(Default)]
struct StaBuild {
    sta: Station,
    offset: u64,
    lat: Option<f64>,
    lon: Option<f64>,
    elev: Option<f64>,
}

/// A channel being read.
#[derive(Default)]
struct ChaBuild {
    cha: Channel,
    offset: u64,
    lat: Option<f64>,
    lon: Option<f64>,
    elev: Option<f64>,
    depth: Option<f64>,
    ratio_samples: Option<f64>,
    ratio_seconds: Option<f64>,
    sens_value: Option<f64>,
    sens_freq: Option<f64>,
    sens_in: String,
    sens_out: String,
    sens_offset: u64,
}

#[derive(Default)]
struct Parser {
    inv: Inventory,
    /// Open elements, root first: a known name, or `None` for unknown or foreign elements.
    stack: Vec<Option<&'static str>>,
    seen_root: bool,
    /// The leaf whose text is being collected, with the offset of its start tag.
    leaf: Option<(Leaf, u64)>,
    text: String,
    net: Option<Network>,
    sta: Option<StaBuild>,
    cha: Option<ChaBuild>,
}

/// Attributes of a start tag, by local name, with predefined entities resolved.
fn attributes(
    e: &quick_xml::events::BytesStart<'_>,
    offset: u64,
) -> std::result::Result<Vec<(String, String)>, Fail> {
    let mut v = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| at(offset, format!("malformed XML attribute: {err}")))?;
        let key = a.key.local_name().as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| {
                at(
                    offset,
                    format!("attribute {key:?}: {err} (custom entities are not expanded)"),
                )
            })?;
        v.push((key, value.into_owned()));
    }
    Ok(v)
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn attr_time(
    attrs: &[(String, String)],
    name: &str,
    element: &str,
    offset: u64,
) -> std::result::Result<Option<i64>, Fail> {
    match attr(attrs, name) {
        None => Ok(None),
        Some(v) => parse_dt(v.trim()).map(Some).ok_or_else(|| {
            at(
                offset,
                format!("<{element}> attribute {name}={v:?} is not an xs:dateTime"),
            )
        }),
    }
}

/// What is wrong with the namespace of the root element, if anything: the FDSN StationXML
/// schema (1.0 to 1.2; the 2.0 drafts keep it) declares
/// `targetNamespace="http://www.fdsn.org/xml/station/1"` with qualified elements, so the
/// root must be bound to exactly [`FDSN_STATION_NS`]. ObsPy 1.5 (`_is_stationxml`, then
/// `_read_stationxml`, which looks up elements in that namespace) does not read a document
/// whose root is in another namespace or in none.
fn namespace_problem(res: &ResolveResult<'_>) -> Option<String> {
    match res {
        ResolveResult::Bound(ns) if ns.as_ref() == FDSN_STATION_NS => None,
        ResolveResult::Bound(ns) => Some(format!("in the namespace {:?}", ns.as_ref())),
        ResolveResult::Unbound => Some("in no namespace (no xmlns)".to_string()),
        ResolveResult::Unknown(p) => Some(format!("bound to the undeclared prefix {p:?}")),
    }
}

/// Whether `ns` is an FDSN StationXML namespace (elements in any other namespace are
/// foreign extensions, skipped with their subtree).
pub(crate) fn is_fdsn_namespace(ns: &str) -> bool {
    ns.starts_with("http://www.fdsn.org/xml/station")
}

/// The text of a character or predefined entity reference (`&#233;`, `&amp;`); any other
/// entity is refused, never expanded. The error is the message.
pub(crate) fn resolve_reference(
    r: &quick_xml::events::BytesRef<'_>,
) -> std::result::Result<String, String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c.to_string()),
        Ok(None) => match quick_xml::escape::resolve_predefined_entity(r) {
            Some(s) => Ok(s.to_string()),
            None => Err(format!(
                "reference to undefined entity &{}; (siqaco does not expand custom entities)",
                &**r
            )),
        },
        Err(e) => Err(format!("malformed XML: {e}")),
    }
}

impl Parser {
    fn run<R: BufRead>(mut self, input: R) -> std::result::Result<Inventory, Fail> {
        let mut reader = NsReader::from_reader(input);
        reader.config_mut().expand_empty_elements = true;
        reader.config_mut().check_end_names = true;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let pos = reader.buffer_position();
            let seen_root = self.seen_root;
            let (foreign, root_ns, event) = match reader.read_resolved_event_into(&mut buf) {
                Ok((res, ev)) => {
                    let foreign =
                        matches!(&res, ResolveResult::Bound(ns) if !is_fdsn_namespace(ns.as_ref()));
                    let root_ns = (!seen_root).then(|| namespace_problem(&res)).flatten();
                    (foreign, root_ns, ev)
                }
                Err(quick_xml::Error::Io(e)) => {
                    return Err(Fail::Io(std::io::Error::new(e.kind(), e.to_string())))
                }
                Err(quick_xml::Error::Encoding(e)) => {
                    return Err(at(
                        reader.error_position().max(pos),
                        format!(
                            "not valid UTF-8 text ({e}); is this an XML file? Declare encoding=\"ISO-8859-1\" for Latin-1 files"
                        ),
                    ))
                }
                Err(e) => {
                    return Err(at(
                        reader.error_position(),
                        format!("malformed XML: {e}"),
                    ))
                }
            };
            match event {
                Event::Start(e) => {
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(at(
                            pos,
                            format!("elements nested deeper than {MAX_DEPTH} levels"),
                        ));
                    }
                    let local = e.local_name();
                    let local: &str = local.as_ref();
                    if !self.seen_root {
                        if local != ROOT {
                            return Err(at(
                                pos,
                                format!(
                                    "root element is <{local}>, not <FDSNStationXML>: not an FDSN StationXML document"
                                ),
                            ));
                        }
                        if let Some(problem) = root_ns {
                            return Err(at(
                                pos,
                                format!(
                                    "root element <FDSNStationXML> is {problem}, not in the FDSN StationXML namespace \"{FDSN_STATION_NS}\": not an FDSN StationXML document (its elements would all be foreign; ObsPy does not read it either)"
                                ),
                            ));
                        }
                        self.seen_root = true;
                    } else if self.stack.is_empty() {
                        return Err(at(pos, "malformed XML: a second root element"));
                    }
                    let name = if foreign { None } else { known(local) };
                    self.stack.push(name);
                    self.start(&e, pos)?;
                }
                Event::End(_) => {
                    self.end()?;
                    self.stack.pop();
                }
                Event::Empty(_) => unreachable!("expand_empty_elements is set"),
                Event::Text(t) => {
                    let content = t.xml10_content();
                    if self.stack.is_empty() {
                        if !content.trim().is_empty() {
                            return Err(at(
                                pos,
                                if self.seen_root {
                                    "malformed XML: text after the root element"
                                } else {
                                    "not an XML document: text before the root element"
                                },
                            ));
                        }
                    } else if self.leaf.is_some() {
                        self.text.push_str(&content);
                    }
                }
                Event::CData(t) => {
                    if self.stack.is_empty() {
                        return Err(at(pos, "malformed XML: CDATA outside the root element"));
                    }
                    if self.leaf.is_some() {
                        self.text.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = resolve_reference(&r).map_err(|m| at(pos, m))?;
                    if self.stack.is_empty() {
                        return Err(at(
                            pos,
                            "not an XML document: entity reference outside the root element",
                        ));
                    }
                    if self.leaf.is_some() {
                        self.text.push_str(&resolved);
                    }
                }
                Event::DocType(d) => {
                    if d.xml10_content().contains("<!ENTITY") {
                        return Err(at(
                            pos,
                            "the DOCTYPE declares entities; siqaco does not expand entities (possible \"billion laughs\" document)",
                        ));
                    }
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => {
                    if let Some(open) = self.stack.last() {
                        return Err(at(
                            reader.buffer_position(),
                            format!(
                                "unexpected end of file inside <{}> (truncated document?)",
                                open.unwrap_or("element")
                            ),
                        ));
                    }
                    if !self.seen_root {
                        return Err(at(
                            0,
                            "no <FDSNStationXML> root element: the file is empty or not XML",
                        ));
                    }
                    return Ok(self.inv);
                }
            }
        }
    }

    fn path_is(&self, p: &[&str]) -> bool {
        self.stack.len() == p.len() && self.stack.iter().zip(p).all(|(a, b)| *a == Some(*b))
    }

    /// Handles the start tag of the element just pushed on the stack.
    fn start(
        &mut self,
        e: &quick_xml::events::BytesStart<'_>,
        pos: u64,
    ) -> std::result::Result<(), Fail> {
        self.leaf = leaf_of(&self.stack).map(|l| (l, pos));
        self.text.clear();
        if self.stack.len() == 1 {
            let attrs = attributes(e, pos)?;
            let v = attr(&attrs, "schemaVersion")
                .unwrap_or("")
                .trim()
                .to_string();
            let major = v.split('.').next().unwrap_or("");
            match major {
                "1" => {}
                "2" => tracing::warn!(
                    "StationXML schemaVersion {v}: reading the elements compatible with 1.x"
                ),
                "" => tracing::warn!("StationXML without schemaVersion: read as 1.x"),
                _ => {
                    return Err(at(
                        pos,
                        format!(
                            "unsupported StationXML schemaVersion {v:?} (siqaco reads 1.0-1.2, and 2.x as far as compatible)"
                        ),
                    ))
                }
            }
            self.inv.schema_version = v;
            return Ok(());
        }
        if self.path_is(&NET) {
            let attrs = attributes(e, pos)?;
            let code = attr(&attrs, "code")
                .map(|c| c.trim().to_string())
                .ok_or_else(|| at(pos, "<Network> without a code attribute"))?;
            self.net = Some(Network {
                code,
                start_ns: attr_time(&attrs, "startDate", "Network", pos)?,
                end_ns: attr_time(&attrs, "endDate", "Network", pos)?,
                restricted_status: attr(&attrs, "restrictedStatus").map(str::to_string),
                ..Network::default()
            });
        } else if self.path_is(&STA) {
            let attrs = attributes(e, pos)?;
            let code = attr(&attrs, "code")
                .map(|c| c.trim().to_string())
                .ok_or_else(|| at(pos, "<Station> without a code attribute"))?;
            self.sta = Some(StaBuild {
                sta: Station {
                    code,
                    start_ns: attr_time(&attrs, "startDate", "Station", pos)?,
                    end_ns: attr_time(&attrs, "endDate", "Station", pos)?,
                    restricted_status: attr(&attrs, "restrictedStatus").map(str::to_string),
                    ..Station::default()
                },
                offset: pos,
                ..StaBuild::default()
            });
        } else if self.path_is(&CHA) {
            let attrs = attributes(e, pos)?;
            let code = attr(&attrs, "code")
                .map(|c| c.trim().to_string())
                .ok_or_else(|| at(pos, "<Channel> without a code attribute"))?;
            let loc = attr(&attrs, "locationCode")
                .unwrap_or("")
                .trim()
                .to_string();
            let net = self.net.as_ref().map(|n| n.code.as_str()).unwrap_or("");
            let sta = self.sta.as_ref().map(|s| s.sta.code.as_str()).unwrap_or("");
            self.cha = Some(ChaBuild {
                cha: Channel {
                    nslc: Nslc::new(net, sta, &loc, &code),
                    start_ns: attr_time(&attrs, "startDate", "Channel", pos)?,
                    end_ns: attr_time(&attrs, "endDate", "Channel", pos)?,
                    restricted_status: attr(&attrs, "restrictedStatus").map(str::to_string),
                    ..Channel::default()
                },
                offset: pos,
                ..ChaBuild::default()
            });
        } else if self.stack.len() == CHA.len() + 2 && self.stack[..CHA.len()] == CHA.map(Some) {
            let tail = (self.stack[CHA.len()], self.stack[CHA.len() + 1]);
            if let Some(c) = self.cha.as_mut() {
                match tail {
                    (Some("Response"), Some("Stage")) => c.cha.response_stages += 1,
                    (Some("Response"), Some("InstrumentSensitivity")) => {
                        c.sens_offset = pos;
                    }
                    (Some("DataAvailability"), Some("Extent")) => {
                        let attrs = attributes(e, pos)?;
                        let s = attr_time(&attrs, "start", "Extent", pos)?;
                        let t = attr_time(&attrs, "end", "Extent", pos)?;
                        if let (Some(s), Some(t)) = (s, t) {
                            c.cha.data_availability = Some((s, t));
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Handles the end tag of the element on top of the stack (before it is popped).
    fn end(&mut self) -> std::result::Result<(), Fail> {
        if let Some((leaf, offset)) = self.leaf.take() {
            let text = std::mem::take(&mut self.text);
            self.leaf_text(leaf, text.trim(), offset)?;
        }
        if self.path_is(&CHA) {
            if let Some(b) = self.cha.take() {
                let ch = finish_channel(b)?;
                if let Some(s) = self.sta.as_mut() {
                    s.sta.channels.push(ch);
                }
            }
        } else if self.path_is(&STA) {
            if let Some(b) = self.sta.take() {
                let st = finish_station(b)?;
                if let Some(n) = self.net.as_mut() {
                    n.stations.push(st);
                }
            }
        } else if self.path_is(&NET) {
            if let Some(n) = self.net.take() {
                self.inv.networks.push(n);
            }
        } else if self.stack.len() == CHA.len() + 2
            && self.stack[..CHA.len()] == CHA.map(Some)
            && self.stack[CHA.len()..] == [Some("Response"), Some("InstrumentSensitivity")]
        {
            if let Some(c) = self.cha.as_mut() {
                let value = c.sens_value.take();
                let freq = c.sens_freq.take();
                let (value, frequency_hz) = match (value, freq) {
                    (Some(v), Some(f)) => (v, f),
                    (None, _) => {
                        return Err(at(c.sens_offset, "<InstrumentSensitivity> has no <Value>"))
                    }
                    (_, None) => {
                        return Err(at(
                            c.sens_offset,
                            "<InstrumentSensitivity> has no <Frequency>",
                        ))
                    }
                };
                c.cha.sensitivity = Some(Sensitivity {
                    value,
                    frequency_hz,
                    input_units: std::mem::take(&mut c.sens_in),
                    output_units: std::mem::take(&mut c.sens_out),
                });
            }
        }
        Ok(())
    }

    fn leaf_text(&mut self, leaf: Leaf, text: &str, offset: u64) -> std::result::Result<(), Fail> {
        let num = || -> std::result::Result<f64, Fail> {
            text.parse::<f64>().map_err(|_| {
                at(
                    offset,
                    format!("<{}> {text:?} is not a number", leaf_name(leaf)),
                )
            })
        };
        match leaf {
            Leaf::Source => self.inv.source = Some(text.to_string()),
            Leaf::Sender => self.inv.sender = Some(text.to_string()),
            Leaf::Created => {
                self.inv.created_ns = Some(parse_dt(text).ok_or_else(|| {
                    at(offset, format!("<Created> {text:?} is not an xs:dateTime"))
                })?)
            }
            Leaf::NetDescription => {
                if let Some(n) = self.net.as_mut() {
                    n.description = Some(text.to_string());
                }
            }
            Leaf::StaLatitude | Leaf::StaLongitude | Leaf::StaElevation | Leaf::StaSiteName => {
                let v = if leaf == Leaf::StaSiteName {
                    None
                } else {
                    Some(num()?)
                };
                if let Some(s) = self.sta.as_mut() {
                    match leaf {
                        Leaf::StaLatitude => s.lat = v,
                        Leaf::StaLongitude => s.lon = v,
                        Leaf::StaElevation => s.elev = v,
                        _ => s.sta.site_name = Some(text.to_string()),
                    }
                }
            }
            _ => {
                let Some(c) = self.cha.as_mut() else {
                    return Ok(());
                };
                match leaf {
                    Leaf::ChaType => c.cha.types.push(text.to_string()),
                    Leaf::SensInputUnits => c.sens_in = text.to_string(),
                    Leaf::SensOutputUnits => c.sens_out = text.to_string(),
                    _ => {
                        let v = num()?;
                        match leaf {
                            Leaf::ChaLatitude => c.lat = Some(v),
                            Leaf::ChaLongitude => c.lon = Some(v),
                            Leaf::ChaElevation => c.elev = Some(v),
                            Leaf::ChaDepth => c.depth = Some(v),
                            Leaf::ChaAzimuth => c.cha.azimuth_deg = Some(v),
                            Leaf::ChaDip => c.cha.dip_deg = Some(v),
                            Leaf::ChaSampleRate => c.cha.sample_rate_hz = Some(v),
                            Leaf::ChaRatioSamples => c.ratio_samples = Some(v),
                            Leaf::ChaRatioSeconds => c.ratio_seconds = Some(v),
                            Leaf::SensValue => c.sens_value = Some(v),
                            Leaf::SensFrequency => c.sens_freq = Some(v),
                            _ => {}
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn finish_station(b: StaBuild) -> std::result::Result<Station, Fail> {
    let (Some(lat), Some(lon), Some(elev)) = (b.lat, b.lon, b.elev) else {
        let what = if b.lat.is_none() {
            "Latitude"
        } else if b.lon.is_none() {
            "Longitude"
        } else {
            "Elevation"
        };
        return Err(at(
            b.offset,
            format!("<Station code={:?}> has no <{what}>", b.sta.code),
        ));
    };
    let mut st = b.sta;
    st.latitude = lat;
    st.longitude = lon;
    st.elevation_m = elev;
    Ok(st)
}

fn finish_channel(b: ChaBuild) -> std::result::Result<Channel, Fail> {
    let (Some(lat), Some(lon), Some(elev), Some(depth)) = (b.lat, b.lon, b.elev, b.depth) else {
        let what = [
            (b.lat, "Latitude"),
            (b.lon, "Longitude"),
            (b.elev, "Elevation"),
            (b.depth, "Depth"),
        ]
        .iter()
        .find(|(v, _)| v.is_none())
        .map_or("Depth", |(_, n)| *n);
        return Err(at(
            b.offset,
            format!("<Channel> {} has no <{what}>", b.cha.nslc),
        ));
    };
    let mut ch = b.cha;
    ch.latitude = lat;
    ch.longitude = lon;
    ch.elevation_m = elev;
    ch.depth_m = depth;
    if ch.sample_rate_hz.is_none() {
        if let (Some(n), Some(s)) = (b.ratio_samples, b.ratio_seconds) {
            if s != 0.0 {
                ch.sample_rate_hz = Some(n / s);
            }
        }
    }
    Ok(ch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = NS_PER_S;

    #[test]
    fn datetimes() {
        let t = 1_531_169_100 * S; // 2018-07-09T20:45:00Z
        assert_eq!(parse_xml_datetime("2018-07-09T20:45:00.0000").unwrap(), t);
        assert_eq!(parse_xml_datetime("2018-07-09T20:45:00Z").unwrap(), t);
        assert_eq!(
            parse_xml_datetime(" 2018-07-09T21:45:00+01:00 ").unwrap(),
            t
        );
        assert_eq!(parse_xml_datetime("2018-07-09T19:45:00-0100").unwrap(), t);
        assert_eq!(
            parse_xml_datetime("2018-07-09T20:45:00.5").unwrap(),
            t + S / 2
        );
        assert_eq!(
            parse_xml_datetime("2018-07-09T20:45:00.1234567891234Z").unwrap(),
            t + 123_456_789
        );
        assert_eq!(
            parse_xml_datetime("2007-01-01T00:00:00Z").unwrap(),
            1_167_609_600 * S
        );
        assert_eq!(parse_xml_datetime("2007-01-01").unwrap(), 1_167_609_600 * S);
        assert_eq!(
            parse_xml_datetime("2006-12-31T24:00:00").unwrap(),
            1_167_609_600 * S
        );
        assert_eq!(parse_xml_datetime("2599-12-31T23:59:59").unwrap(), i64::MAX);
        assert_eq!(parse_xml_datetime("1000-01-01T00:00:00").unwrap(), i64::MIN);
        assert_eq!(
            parse_xml_datetime("1969-12-31T23:59:59.9Z").unwrap(),
            -S / 10
        );
        for bad in [
            "",
            "2018",
            "2018-13-01T00:00:00",
            "2018-02-30T00:00:00",
            "2018-01-01T25:00:00",
            "2018-01-01T00:00",
            "2018-01-01T00:00:00.",
            "2018-01-01T00:00:00+1",
            "2018-01-01X",
            "yesterday",
        ] {
            assert!(parse_xml_datetime(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn latin1_is_transcoded() {
        let mut doc = b"<?xml version='1.0' encoding='ISO-8859-1'?>\n<FDSNStationXML xmlns='http://www.fdsn.org/xml/station/1' schemaVersion='1.1'><Source>S\xe9ismo</Source></FDSNStationXML>".to_vec();
        let inv = parse_stationxml(&doc, "mem").unwrap();
        assert_eq!(inv.source.as_deref(), Some("S\u{e9}ismo"));
        // Without the declaration the same byte is not UTF-8.
        doc.drain(..doc.iter().position(|&b| b == b'\n').unwrap() + 1);
        let e = parse_stationxml(&doc, "mem").unwrap_err();
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }

    #[test]
    fn prefixes_foreign_namespaces_and_errors() {
        let doc = r#"<?xml version="1.0"?>
<s:FDSNStationXML xmlns:s="http://www.fdsn.org/xml/station/1" xmlns:x="urn:other" schemaVersion="1.1">
 <s:Source>A &amp; B</s:Source>
 <s:Network code="XX" restrictedStatus="closed">
  <s:Station code="AB"><s:Latitude>1.5</s:Latitude><s:Longitude>2</s:Longitude><s:Elevation>3</s:Elevation>
   <x:Latitude>99</x:Latitude>
   <s:Channel code="HHZ" locationCode="00" startDate="2020-01-01T00:00:00" restrictedStatus="open">
    <s:Latitude>1.5</s:Latitude><s:Longitude>2</s:Longitude><s:Elevation>3</s:Elevation><s:Depth>0</s:Depth>
    <s:SampleRateRatio><s:NumberSamples>1</s:NumberSamples><s:NumberSeconds>10</s:NumberSeconds></s:SampleRateRatio>
    <s:Sensor><s:Type>not a channel type</s:Type></s:Sensor>
   </s:Channel>
  </s:Station>
 </s:Network>
</s:FDSNStationXML>"#;
        let inv = parse_stationxml(doc.as_bytes(), "mem").unwrap();
        assert_eq!(inv.source.as_deref(), Some("A & B"));
        assert_eq!(inv.networks[0].restricted_status.as_deref(), Some("closed"));
        assert_eq!(inv.networks[0].stations[0].latitude, 1.5);
        let c = inv.channels().next().unwrap();
        assert_eq!(c.nslc.to_string(), "XX.AB.00.HHZ");
        assert_eq!(c.sample_rate_hz, Some(0.1));
        assert!(c.types.is_empty());
        assert_eq!(c.restricted_status.as_deref(), Some("open"));

        let no_depth = doc.replace("<s:Depth>0</s:Depth>", "");
        let e = parse_stationxml(no_depth.as_bytes(), "mem").unwrap_err();
        match &e {
            Error::StationXml { line, message, .. } => {
                assert_eq!(*line, 7, "{e}");
                assert!(message.contains("Depth"), "{e}");
            }
            _ => panic!("{e}"),
        }
        let bad_num = doc.replace("<s:Latitude>1.5</s:Latitude><s:Longitude>2</s:Longitude><s:Elevation>3</s:Elevation><s:Depth>", "<s:Latitude>north</s:Latitude><s:Longitude>2</s:Longitude><s:Elevation>3</s:Elevation><s:Depth>");
        let e = parse_stationxml(bad_num.as_bytes(), "mem").unwrap_err();
        assert!(e.to_string().contains("line 8, column 5"), "{e}");
        assert_eq!(e.kind(), crate::ErrorKind::Metadata);

        let v3 = doc.replace("schemaVersion=\"1.1\"", "schemaVersion=\"3.0\"");
        assert!(parse_stationxml(v3.as_bytes(), "mem")
            .unwrap_err()
            .to_string()
            .contains("schemaVersion"));
        let other_root = "<Inventory/>";
        assert!(parse_stationxml(other_root.as_bytes(), "mem")
            .unwrap_err()
            .to_string()
            .contains("not an FDSN StationXML"));
        let undefined = doc.replace("&amp;", "&lol;");
        assert!(parse_stationxml(undefined.as_bytes(), "mem")
            .unwrap_err()
            .to_string()
            .contains("undefined entity &lol;"));
        assert!(parse_stationxml(b"", "mem").is_err());
        let utf16 = [0xFFu8, 0xFE, b'<', 0];
        assert!(parse_stationxml(&utf16, "mem")
            .unwrap_err()
            .to_string()
            .contains("UTF-16"));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn datetime_parser_never_panics(s in "\\PC{0,40}") {
            let _ = parse_xml_datetime(&s);
        }

        #[test]
        fn datetime_parser_never_panics_on_near_misses(s in "[0-9T:.Z+-]{0,30}") {
            let _ = parse_xml_datetime(&s);
        }

        #[test]
        fn reader_never_panics(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_stationxml(&b, "fuzz");
        }
    }
}
