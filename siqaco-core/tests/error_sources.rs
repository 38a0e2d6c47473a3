//! [`siqaco::Error::Database`], [`siqaco::Error::Config`] and [`siqaco::Error::Codec`] keep
//! the error that caused them: [`std::error::Error::source`] returns the `rusqlite`, `toml`
//! or libmseed error, and the message (the `Display` text that the CLI prints and Python
//! raises) is the same as before the source was kept.

use siqaco::codec::{parse_header_libmseed, LibmseedError};
use siqaco::index::Catalogue;
use siqaco::testing::test_data_dir;
use siqaco::update::config::Config;
use siqaco::{Error, ErrorKind};
use std::error::Error as _;
use std::path::Path;

/// The smallest valid configuration (as in `update/config.rs`'s tests).
const MIN: &str =
    "[archive]\npath = \"a\"\n[catalogue]\nurl = \"c\"\n[streams]\nselect = [\"XX\"]\n";

/// A catalogue whose first page was overwritten: opening it fails with SQLite's
/// "file is not a database", kept as the source.
#[test]
fn database_error_keeps_the_sqlite_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cat.sqlite");
    drop(Catalogue::open(&path).unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    bytes[..16].copy_from_slice(b"not a catalogue!");
    std::fs::write(&path, bytes).unwrap();
    let Err(e) = Catalogue::open(&path) else {
        panic!("a corrupt catalogue opened");
    };
    assert_eq!(e.kind(), ErrorKind::Database);
    let source = e.source().expect("no source");
    let sqlite = source
        .downcast_ref::<rusqlite::Error>()
        .unwrap_or_else(|| panic!("not a rusqlite error: {source:?}"));
    assert_eq!(
        sqlite.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase)
    );
    let Error::Database { message, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(e.to_string(), format!("database: {message}"));
    assert!(
        message.starts_with(&format!("{}: {sqlite}", path.display())),
        "{message}"
    );
}

/// A configuration that is not TOML, and one with a value of the wrong type: the TOML
/// parser's error is the source.
#[test]
fn config_error_keeps_the_toml_error() {
    for (text, key, at) in [
        (MIN.replace("[archive]", "[archive"), "TOML syntax", "\n"),
        (
            MIN.replace("[catalogue]", "record_length = \"big\"\n[catalogue]"),
            "archive.record_length",
            "\"big\"",
        ),
    ] {
        let text = text.as_str();
        let e = Config::from_str_in(text, Path::new(".")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{text}");
        let source = e.source().expect("no source");
        let toml = source
            .downcast_ref::<toml::de::Error>()
            .unwrap_or_else(|| panic!("not a TOML error: {source:?}"));
        assert!(
            e.to_string()
                .starts_with(&format!("configuration: {key}: ")),
            "{e}"
        );
        // The parser's error points at the offending bytes.
        let span = toml.span().expect("no span");
        assert_eq!(span.start, text.find(at).unwrap(), "{e} / {toml}");
    }
}

/// A stream selection of the configuration that is not valid: the selection error is the
/// source.
#[test]
fn config_error_keeps_the_code_error() {
    let text = MIN.replace("\"XX\"", "\"IU.CO LA.00.BHZ\"");
    let e = Config::from_str_in(&text, Path::new(".")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    let source = e.source().expect("no source");
    let code = source
        .downcast_ref::<Error>()
        .unwrap_or_else(|| panic!("not a siqaco error: {source:?}"));
    assert_eq!(code.kind(), ErrorKind::InvalidArgument, "{code}");
    assert_eq!(
        e.to_string(),
        format!("configuration: streams.select: {code}")
    );
}

/// libmseed refuses to parse a real miniSEED 3 record (the first of IU.COLA.00.LHZ of
/// the SDS archive) whose start year was damaged to 3000: its report (return code and
/// messages) is the source.
#[test]
fn codec_error_keeps_libmseeds_report() {
    let Some(dir) = test_data_dir() else { return };
    let file = dir.join("sds-small/2010/IU/COLA/LHZ.D/IU.COLA.00.LHZ.D.2010.058");
    let mut buf = std::fs::read(file).unwrap();
    assert!(parse_header_libmseed(&buf).is_ok());
    assert_eq!(&buf[..3], b"MS\x03");
    buf[8..10].copy_from_slice(&3000u16.to_le_bytes());
    let e = parse_header_libmseed(&buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Codec, "{e}");
    let source = e.source().expect("no source");
    let lib = source
        .downcast_ref::<LibmseedError>()
        .unwrap_or_else(|| panic!("not libmseed's report: {source:?}"));
    assert!(lib.code < 0, "{lib:?}");
    assert_eq!(e.to_string(), format!("libmseed: {}", lib.message));
}
