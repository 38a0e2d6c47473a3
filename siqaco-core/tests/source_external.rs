//! External program source: Morumotto's contract, every exit code, with
//! `tests/data/sources/fake_source.sh`.

use siqaco::source::external::ExternalSource;
use siqaco::source::{RequestLine, Source, SourceInfo};
use siqaco::testing::test_data_dir;
use siqaco::time::parse_time;
use siqaco::{ErrorKind, Nslc};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sources/fake_source.sh")
}

fn lhz_file() -> Option<PathBuf> {
    Some(test_data_dir()?.join("sds-small/2010/IU/COLA/LHZ.D/IU.COLA.00.LHZ.D.2010.058"))
}

fn line() -> RequestLine {
    RequestLine::new(
        &Nslc::new("IU", "COLA", "00", "LHZ"),
        parse_time("2010-02-27").unwrap(),
        parse_time("2010-02-28").unwrap(),
    )
}

fn run(infos: &str, timeout_s: f64) -> (siqaco::Result<siqaco::source::FetchReport>, Vec<String>) {
    let src = ExternalSource::new(
        SourceInfo::new("fake"),
        script(),
        infos,
        Duration::from_secs_f64(timeout_s),
    );
    let staging = tempfile::tempdir().unwrap();
    let r = src.fetch(&[line()], staging.path());
    let left: Vec<String> = std::fs::read_dir(staging.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // Keep staged files readable by the caller's assertions: compare before the tempdir goes.
    if let Ok(rep) = &r {
        for f in &rep.files {
            assert!(f.starts_with(staging.path()));
            assert!(f.is_file());
        }
    }
    (r, left)
}

#[test]
fn exit_0_stages_validated_files() {
    let Some(file) = lhz_file() else { return };
    let (r, left) = run(&format!("ok:{}", file.display()), 10.0);
    let r = r.unwrap();
    assert_eq!(r.files.len(), 1);
    assert_eq!(r.bytes, std::fs::metadata(&file).unwrap().len());
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with("fake-IU.COLA.00.LHZ"), "{left:?}");
}

#[test]
fn exit_2_is_no_data() {
    let (r, left) = run("exit:2", 10.0);
    assert!(r.unwrap().is_no_data());
    assert!(left.is_empty());
}

#[test]
fn error_exit_codes_are_errors_with_their_meaning() {
    for (code, meaning) in [
        (1, "execution error"),
        (3, "timeout or connection error"),
        (4, "bad identifier"),
        (5, "write error"),
        (7, "not an exit code of the contract"),
    ] {
        let (r, left) = run(&format!("exit:{code}"), 10.0);
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Source);
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("exit code {code} ({meaning})")),
            "{msg}"
        );
        assert!(msg.contains(&format!("failing with {code}")), "{msg}");
        assert!(left.is_empty(), "{left:?}");
    }
}

#[test]
fn bad_output_is_rejected_and_nothing_staged() {
    let Some(file) = lhz_file() else { return };
    let (r, left) = run(&format!("badname:{}", file.display()), 10.0);
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("not named NET.STA.LOC.CHA"));
    assert!(left.is_empty());
    let (r, left) = run("html", 10.0);
    assert!(r.unwrap_err().to_string().contains("not valid miniSEED"));
    assert!(left.is_empty());
}

#[test]
fn program_past_timeout_is_killed() {
    let (r, left) = run("sleep:5", 0.3);
    assert!(r.unwrap_err().to_string().contains("timeout"));
    assert!(left.is_empty());
}

#[test]
fn online_check() {
    let on = ExternalSource::new(SourceInfo::new("a"), script(), "x", Duration::from_secs(5));
    assert!(on.is_online());
    let off = ExternalSource::new(
        SourceInfo::new("b"),
        script(),
        "offline",
        Duration::from_secs(5),
    );
    assert!(!off.is_online());
}
