//! Status codes: the `siqaco_status` numbering of the C ABI, owned here and only here, the
//! mapping from the core's error kinds ([`siqaco::ErrorKind`]) to it, and [`Failure`], a
//! status with its message (the error type of every function of the crate).

use siqaco::{Error, ErrorKind};
use std::ffi::{c_char, CStr};

/// Status returned by every fallible function of libsiqaco. `SIQACO_STATUS_OK` (0) is
/// success. The numeric values are part of the ABI and never change; a retired code is
/// never reused. This enumeration is the one place where they are written (the core's
/// `siqaco::ErrorKind` has no numbers). Codes 1 to 99 stand for the error kinds of the
/// core library, one each, of the same name; an error kind this version does not know
/// gives `SIQACO_STATUS_UNKNOWN`. Codes from 100 are the C ABI's own.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum siqaco_status {
    /// Success.
    Ok = 0,
    /// An operating-system I/O error (file or directory not found, permission denied...).
    Io = 1,
    /// Bytes that are not miniSEED, or a corrupt or truncated record.
    InvalidData = 2,
    /// A bad argument: malformed selection, layout, window, non-UTF-8 string...
    InvalidArgument = 3,
    /// A network, station, location or channel code that is not allowed.
    InvalidCode = 4,
    /// libmseed could not decode or encode samples.
    Codec = 5,
    /// An invalid configuration.
    Config = 6,
    /// Nothing matched.
    NotFound = 7,
    /// A metadata document (StationXML) that cannot be read.
    Metadata = 8,
    /// The catalogue database (SQLite) failed.
    Database = 9,
    /// A network request failed: connection, timeout, an HTTP error status, or a response
    /// that is not what was asked for (the message names the URL and the status).
    Network = 10,
    /// A data source failed (e.g. an external fetch program that is missing or exits with
    /// an error; the message names the source).
    Source = 11,
    /// A required pointer argument was NULL.
    NullArgument = 100,
    /// An index (stream, segment, gap...) is out of range.
    OutOfRange = 101,
    /// The caller's buffer is too small; the size needed was written to the count argument.
    BufferTooSmall = 102,
    /// The samples are not of the type asked for (see `siqaco_sample_segment.sample_type`).
    WrongSampleType = 103,
    /// An error of a kind this version of the C ABI does not know yet.
    Unknown = 198,
    /// A panic was caught inside libsiqaco (a bug: please report it with the message).
    Panic = 199,
}

/// Every status, for the reverse lookup of a number ([`siqaco_status::from_code`]); a test
/// checks that it holds every code of the header.
const ALL_STATUSES: [siqaco_status; 18] = [
    siqaco_status::Ok,
    siqaco_status::Io,
    siqaco_status::InvalidData,
    siqaco_status::InvalidArgument,
    siqaco_status::InvalidCode,
    siqaco_status::Codec,
    siqaco_status::Config,
    siqaco_status::NotFound,
    siqaco_status::Metadata,
    siqaco_status::Database,
    siqaco_status::Network,
    siqaco_status::Source,
    siqaco_status::NullArgument,
    siqaco_status::OutOfRange,
    siqaco_status::BufferTooSmall,
    siqaco_status::WrongSampleType,
    siqaco_status::Unknown,
    siqaco_status::Panic,
];

impl siqaco_status {
    /// The status of an error of the core library: the code of the same name as the
    /// [`ErrorKind`]. `ErrorKind` is `#[non_exhaustive]`: a kind added to the core after
    /// this version of the C ABI gives [`siqaco_status::Unknown`] (198) until it is given
    /// a code of its own here (the next free code below 100).
    pub(crate) fn from_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Io => siqaco_status::Io,
            ErrorKind::InvalidData => siqaco_status::InvalidData,
            ErrorKind::InvalidArgument => siqaco_status::InvalidArgument,
            ErrorKind::InvalidCode => siqaco_status::InvalidCode,
            ErrorKind::Codec => siqaco_status::Codec,
            ErrorKind::Config => siqaco_status::Config,
            ErrorKind::NotFound => siqaco_status::NotFound,
            ErrorKind::Metadata => siqaco_status::Metadata,
            ErrorKind::Database => siqaco_status::Database,
            ErrorKind::Network => siqaco_status::Network,
            ErrorKind::Source => siqaco_status::Source,
            _ => siqaco_status::Unknown,
        }
    }

    /// The status whose number is `code`, or `None` for a number this version does not
    /// define.
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        ALL_STATUSES.into_iter().find(|s| *s as u32 == code)
    }

    /// A short static description of the status, e.g. `"buffer too small"`.
    pub(crate) fn description(self) -> &'static CStr {
        match self {
            siqaco_status::Ok => c"ok",
            siqaco_status::Io => c"I/O error",
            siqaco_status::InvalidData => c"invalid miniSEED data",
            siqaco_status::InvalidArgument => c"invalid argument",
            siqaco_status::InvalidCode => c"invalid network, station, location or channel code",
            siqaco_status::Codec => c"libmseed codec error",
            siqaco_status::Config => c"invalid configuration",
            siqaco_status::NotFound => c"not found",
            siqaco_status::Metadata => c"invalid metadata",
            siqaco_status::Database => c"catalogue database error",
            siqaco_status::Network => c"network error",
            siqaco_status::Source => c"data source error",
            siqaco_status::NullArgument => c"NULL argument",
            siqaco_status::OutOfRange => c"index out of range",
            siqaco_status::BufferTooSmall => c"buffer too small",
            siqaco_status::WrongSampleType => c"wrong sample type",
            siqaco_status::Unknown => c"unknown error kind",
            siqaco_status::Panic => c"panic inside libsiqaco",
        }
    }
}

/// A short static description of a status code, e.g. `"buffer too small"`; codes this
/// version does not know give `"unknown status code"`.
///
/// Ownership: the string is static; do not free it. Thread-safety: callable from any thread.
#[no_mangle]
pub extern "C" fn siqaco_status_str(status: u32) -> *const c_char {
    siqaco_status::from_code(status)
        .map_or(c"unknown status code", siqaco_status::description)
        .as_ptr()
}

/// A failure: the status returned and the message kept for [`siqaco_last_error_message`].
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: siqaco_status,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: siqaco_status, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(name: &str) -> Self {
        Failure::new(
            siqaco_status::NullArgument,
            format!("argument `{name}` is NULL"),
        )
    }

    pub(crate) fn out_of_range(what: &str, index: usize, count: usize) -> Self {
        Failure::new(
            siqaco_status::OutOfRange,
            format!("{what} index {index} is out of range (count {count})"),
        )
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(siqaco_status::from_kind(e.kind()), e.to_string())
    }
}

pub(crate) type FfiResult<T = ()> = Result<T, Failure>;
