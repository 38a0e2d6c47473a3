//! The exception hierarchy and the one mapping from [`siqaco::Error`] to Python exceptions.
//!
//! Every [`ErrorKind`] has one subclass of `SiqacoError`; I/O errors become the built-in
//! `FileNotFoundError`, `PermissionError` or `OSError` (with `errno`, `strerror` and
//! `filename` set), as polars does.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError, PyPermissionError};
use pyo3::prelude::*;
use siqaco::{Error, ErrorKind};

create_exception!(
    siqaco,
    SiqacoError,
    PyException,
    "Base class of the errors raised by siqaco."
);
create_exception!(
    siqaco,
    InvalidDataError,
    SiqacoError,
    "Bytes that are not miniSEED, or a corrupt or truncated record (the message names the file and byte offset)."
);
create_exception!(
    siqaco,
    InvalidArgumentError,
    SiqacoError,
    "A bad argument: a malformed time, selection, layout or tolerance."
);
create_exception!(
    siqaco,
    InvalidCodeError,
    SiqacoError,
    "A network, station, location or channel code that is not allowed."
);
create_exception!(
    siqaco,
    CodecError,
    SiqacoError,
    "libmseed could not decode or encode samples."
);
create_exception!(
    siqaco,
    ConfigError,
    SiqacoError,
    "An invalid configuration."
);
create_exception!(
    siqaco,
    NotFoundError,
    SiqacoError,
    "Nothing matched (no data for a selection)."
);

create_exception!(
    siqaco,
    MetadataError,
    SiqacoError,
    "A metadata document (FDSN StationXML) that cannot be read (the message names the file, line and column)."
);
create_exception!(
    siqaco,
    DatabaseError,
    SiqacoError,
    "The catalogue database failed: cannot open, corrupt, locked, or a newer schema."
);
create_exception!(
    siqaco,
    NetworkError,
    SiqacoError,
    "A network request failed: connection refused, timeout, an HTTP error status, or a response that is not what was asked for (the message names the URL and the HTTP status)."
);
create_exception!(
    siqaco,
    SourceError,
    SiqacoError,
    "A data source failed: an external fetch program that does not exist, fails or times out (the message names the source)."
);

/// Converts a siqaco error into the Python exception of its kind.
pub fn to_pyerr(e: Error) -> PyErr {
    pyerr_of(&e)
}

/// The Python exception of `e`'s kind, with its message (for an error the caller keeps,
/// such as a failed piece of a fetch that stays in the fetch's report).
pub fn pyerr_of(e: &Error) -> PyErr {
    let msg = e.to_string();
    match (e, e.kind()) {
        (Error::Io { path, source }, _) => {
            let errno = source.raw_os_error().unwrap_or(0);
            let args = (errno, msg, path.to_string_lossy().into_owned());
            match source.kind() {
                std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(args),
                std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(args),
                _ => PyOSError::new_err(args),
            }
        }
        (_, ErrorKind::Io) => PyOSError::new_err(msg),
        (_, ErrorKind::InvalidData) => InvalidDataError::new_err(msg),
        (_, ErrorKind::InvalidArgument) => InvalidArgumentError::new_err(msg),
        (_, ErrorKind::InvalidCode) => InvalidCodeError::new_err(msg),
        (_, ErrorKind::Codec) => CodecError::new_err(msg),
        (_, ErrorKind::Config) => ConfigError::new_err(msg),
        (_, ErrorKind::NotFound) => NotFoundError::new_err(msg),
        (_, ErrorKind::Metadata) => MetadataError::new_err(msg),
        (_, ErrorKind::Database) => DatabaseError::new_err(msg),
        (_, ErrorKind::Network) => NetworkError::new_err(msg),
        (_, ErrorKind::Source) => SourceError::new_err(msg),
        _ => SiqacoError::new_err(msg),
    }
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SiqacoError", py.get_type::<SiqacoError>())?;
    m.add("InvalidDataError", py.get_type::<InvalidDataError>())?;
    m.add(
        "InvalidArgumentError",
        py.get_type::<InvalidArgumentError>(),
    )?;
    m.add("InvalidCodeError", py.get_type::<InvalidCodeError>())?;
    m.add("CodecError", py.get_type::<CodecError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("MetadataError", py.get_type::<MetadataError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("NetworkError", py.get_type::<NetworkError>())?;
    m.add("SourceError", py.get_type::<SourceError>())?;
    Ok(())
}
