//! The one error type of siqaco.
//!
//! Every fallible function of the library returns [`Result<T>`]. The variants carry what a
//! user needs to find the problem: the file and byte offset for bad miniSEED, the argument for
//! bad input, the URL and status for a server. [`Error::kind`] gives a stable, coarse
//! classification that the Python package maps to one exception class each and the C ABI to
//! one status code each (see `docs/c-api.md`), so new variants never renumber anything.

use std::path::PathBuf;

/// Result alias used throughout siqaco.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The underlying error kept by [`Error::Codec`], [`Error::Config`] and
/// [`Error::Database`] (a `rusqlite` or `postgres` error, a TOML or code error, libmseed's
/// report...), returned by [`std::error::Error::source`].
pub type BoxedSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A stable classification of [`Error`] values.
///
/// The kinds have no numbers: the C ABI gives each one a status code of its own, numbered
/// in the C crate (`siqaco_status` in `siqaco-c`, see `docs/c-api.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An operating-system I/O error (file not found, permission denied, disk full...).
    Io,
    /// Bytes that are not miniSEED, or a corrupt or truncated record.
    InvalidData,
    /// A bad argument: a malformed time, selection, layout, tolerance...
    InvalidArgument,
    /// A network, station, location or channel code that is not allowed (for example one
    /// that would escape the archive root).
    InvalidCode,
    /// libmseed reported an error while decoding or encoding samples.
    Codec,
    /// A configuration file is invalid.
    Config,
    /// Nothing matched (no data for a selection).
    NotFound,
    /// A metadata document (FDSN StationXML) that cannot be read: malformed XML, a missing
    /// required element, a bad value or an unsupported schema version.
    Metadata,
    /// The catalogue database (SQLite) failed: cannot open, corrupt, locked, newer schema.
    Database,
    /// A network request failed: connection, timeout, an HTTP error status, or a response
    /// body that is not what was asked for (HTML page, truncated or foreign records).
    Network,
    /// A data source (for example an external fetch program) failed.
    Source,
}

impl ErrorKind {
    /// A short, stable, lower-case name for the kind (used in JSON output).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::InvalidData => "invalid_data",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InvalidCode => "invalid_code",
            ErrorKind::Codec => "codec",
            ErrorKind::Config => "config",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Metadata => "metadata",
            ErrorKind::Database => "database",
            ErrorKind::Network => "network",
            ErrorKind::Source => "source",
        }
    }
}

/// The error type of siqaco.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error on a file or directory.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// Data that could not be read as miniSEED, at a byte offset of a file (or buffer).
    #[error("{}: byte offset {offset}: {message}", path.display())]
    InvalidData {
        /// The file concerned (empty for an in-memory buffer).
        path: PathBuf,
        /// Byte offset of the first byte that could not be read as a record.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A bad argument.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A code that is not allowed.
    #[error("invalid code {code:?}: {reason}")]
    InvalidCode {
        /// The offending code as given.
        code: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A libmseed error while decoding or encoding.
    #[error("libmseed: {message}")]
    Codec {
        /// What went wrong (libmseed's messages, with the file and byte offset when known).
        message: String,
        /// The underlying error, when there is one (libmseed's report, a record parse).
        #[source]
        source: Option<BoxedSource>,
    },
    /// An invalid configuration.
    #[error("configuration: {message}")]
    Config {
        /// What is wrong, naming the file and key (`siqaco.toml: archive.layout: ...`).
        message: String,
        /// The underlying error, when there is one (the TOML parser's, a code's).
        #[source]
        source: Option<BoxedSource>,
    },
    /// Nothing matched.
    #[error("not found: {0}")]
    NotFound(String),
    /// A StationXML document that cannot be read, at a line and column of a file (or of an
    /// in-memory buffer, named by the caller).
    #[error("{}: line {line}, column {column}: {message}", path.display())]
    StationXml {
        /// The file concerned (or the name given for an in-memory buffer).
        path: PathBuf,
        /// 1-based line of the problem (0 when unknown).
        line: u64,
        /// 1-based column, in characters, of the problem (0 when unknown).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// A catalogue database error (the message names the database file when known).
    #[error("database: {message}")]
    Database {
        /// What went wrong, naming the database file (or the redacted URL) when known.
        message: String,
        /// The underlying error, when there is one (`rusqlite`, `postgres`, I/O).
        #[source]
        source: Option<BoxedSource>,
    },
    /// A request to a web service failed, or its response was rejected.
    #[error("{url}: {}{message}", status.map(|s| format!("HTTP {s}: ")).unwrap_or_default())]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP status, when a response was received.
        status: Option<u16>,
        /// What went wrong (server message, transport error, validation failure).
        message: String,
    },
    /// A field of an operation's request (`siqaco::ops`) with a bad value: `field` is the
    /// request's field name (`start_ns`, `in_flight`...; the command-line tool shows its
    /// flag instead, see [`Error::rename_field`]).
    #[error("invalid argument: {field}: {message}")]
    InvalidField {
        /// The request field, as named in the request type (and in Python keyword
        /// arguments and C setters).
        field: String,
        /// What is wrong with its value.
        message: String,
    },
    /// A data source failed (external program exit code, missing output...).
    #[error("source {source_name}: {message}")]
    Source {
        /// The name of the source.
        source_name: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The stable classification of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } => ErrorKind::Io,
            Error::InvalidData { .. } => ErrorKind::InvalidData,
            Error::InvalidArgument(_) | Error::InvalidField { .. } => ErrorKind::InvalidArgument,
            Error::InvalidCode { .. } => ErrorKind::InvalidCode,
            Error::Codec { .. } => ErrorKind::Codec,
            Error::Config { .. } => ErrorKind::Config,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::StationXml { .. } => ErrorKind::Metadata,
            Error::Database { .. } => ErrorKind::Database,
            Error::Http { .. } => ErrorKind::Network,
            Error::Source { .. } => ErrorKind::Source,
        }
    }

    /// Builds an [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::InvalidData`] for `path` at byte `offset`.
    pub fn invalid_data(path: impl Into<PathBuf>, offset: u64, message: impl Into<String>) -> Self {
        Error::InvalidData {
            path: path.into(),
            offset,
            message: message.into(),
        }
    }

    /// Builds an [`Error::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument(message.into())
    }

    /// Builds an [`Error::InvalidField`] for the request field `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    /// This error as a refusal of the request field `field`: an [`Error::InvalidArgument`]
    /// becomes an [`Error::InvalidField`] with the same message; any other error (a code
    /// that is not allowed, a field already named...) is returned unchanged.
    pub fn in_field(self, field: &str) -> Self {
        match self {
            Error::InvalidArgument(message) => Error::field(field, message),
            other => other,
        }
    }

    /// The request field an [`Error::InvalidField`] names.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            Error::InvalidField { field, .. } => Some(field),
            _ => None,
        }
    }

    /// This error with the request field it names re-worded by `name` (the command-line
    /// tool's table from field names to flags); any other error is returned unchanged.
    pub fn rename_field(self, name: impl FnOnce(&str) -> String) -> Self {
        match self {
            Error::InvalidField { field, message } => Error::InvalidField {
                field: name(&field),
                message,
            },
            other => other,
        }
    }

    /// Builds an [`Error::Codec`] without an underlying error.
    pub fn codec(message: impl Into<String>) -> Self {
        Error::Codec {
            message: message.into(),
            source: None,
        }
    }

    /// Builds an [`Error::Codec`] that keeps `source` ([`std::error::Error::source`]).
    pub fn codec_from(message: impl Into<String>, source: impl Into<BoxedSource>) -> Self {
        Error::Codec {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// Builds an [`Error::Config`] without an underlying error.
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
            source: None,
        }
    }

    /// Builds an [`Error::Config`] that keeps `source` ([`std::error::Error::source`]).
    pub fn config_from(message: impl Into<String>, source: impl Into<BoxedSource>) -> Self {
        Error::Config {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// Builds an [`Error::Database`] without an underlying error.
    pub fn database(message: impl Into<String>) -> Self {
        Error::Database {
            message: message.into(),
            source: None,
        }
    }

    /// Builds an [`Error::Database`] that keeps `source` ([`std::error::Error::source`]).
    pub fn database_from(message: impl Into<String>, source: impl Into<BoxedSource>) -> Self {
        Error::Database {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}
