//! The local catalogue source ([`TsindexSource`]): a `tsindex` catalogue of `sds-small`,
//! written by siqaco's index (absolute and relative file names) and by mseedindex 3 (the
//! peer, when installed in `.venv`), gives the same records and the same availability as
//! the archive itself read through [`ArchiveSource`].

use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions};
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::source::local::{ArchiveSource, TsindexSource};
use siqaco::source::{AvailabilitySpan, RequestLine, Source, SourceInfo, SourceSpec};
use siqaco::testing::test_data_dir;
use siqaco::time::parse_time;
use siqaco::{ErrorKind, Nslc, NslcGlob};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The raw bytes of every record staged in `files`, as a set.
fn records(files: &[PathBuf]) -> BTreeSet<Vec<u8>> {
    let mut out = BTreeSet::new();
    for f in files {
        let buf = std::fs::read(f).unwrap();
        for item in RecordScanner::new(&buf) {
            let ScanItem::Record { header, .. } = item else {
                panic!("bad bytes staged in {}", f.display())
            };
            assert!(out.insert(header.raw.to_vec()), "record staged twice");
        }
    }
    out
}

fn line(glob: &str, start: &str, end: &str) -> RequestLine {
    RequestLine {
        stream: NslcGlob::parse(glob).unwrap(),
        start_ns: parse_time(start).unwrap(),
        end_ns: parse_time(end).unwrap(),
    }
}

/// Request sets covering whole days, parts of days, globs, a window across the 2007/2008
/// midnight (records crossing it), and several lines at once.
fn cases() -> Vec<(&'static str, Vec<RequestLine>)> {
    vec![
        (
            "one stream, ten minutes",
            vec![line(
                "IU.COLA.00.BHZ",
                "2010-02-27T07:00:00",
                "2010-02-27T07:10:00",
            )],
        ),
        (
            "glob, whole day",
            vec![line("IU.COLA.00.LH?", "2010-02-27", "2010-02-28")],
        ),
        (
            "across midnight",
            vec![line(
                "BW.BGLD..EHE",
                "2007-12-31T23:59:00",
                "2008-01-01T00:01:00",
            )],
        ),
        (
            "several lines",
            vec![
                line("BW.FFB?..HH?", "2016-03-11", "2016-03-12"),
                line("GT.BOSA.00.BH*", "2010-06-22", "2010-06-23"),
                line(
                    "CU.TGUH.00.BHZ",
                    "2018-01-01T00:10:00",
                    "2018-01-01T00:20:00",
                ),
            ],
        ),
    ]
}

/// Staged records of `src` equal those of `want` for every case, and no data where the
/// archive has none.
fn same_records(src: &dyn Source, want: &dyn Source) {
    for (what, lines) in cases() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let got = src.fetch(&lines, a.path()).unwrap();
        let exp = want.fetch(&lines, b.path()).unwrap();
        let (got, exp) = (records(&got.files), records(&exp.files));
        assert!(!exp.is_empty(), "{what}: the archive has data");
        assert_eq!(got.len(), exp.len(), "{what}: record count");
        assert!(got == exp, "{what}: records differ");
    }
    let none = tempfile::tempdir().unwrap();
    for l in [
        line("XX.NONE..BHZ", "2010-02-27", "2010-02-28"),
        line("IU.COLA.00.BHZ", "2011-01-01", "2011-01-02"),
    ] {
        let r = src.fetch(&[l], none.path()).unwrap();
        assert!(r.is_no_data(), "{r:?}");
    }
}

/// Availability spans of `src` and `want` agree to the microsecond (tsindex stores
/// microseconds).
fn same_availability(src: &dyn Source, want: &dyn Source) {
    let streams: Vec<Nslc> = [
        "IU.COLA.00.BHZ",
        "BW.BGLD..EHE",
        "BW.FFB1..HHZ",
        "XX.NONE..BHZ",
    ]
    .iter()
    .map(|s| Nslc::parse(s).unwrap())
    .collect();
    let (s, e) = (
        parse_time("2007-01-01").unwrap(),
        parse_time("2019-01-01").unwrap(),
    );
    let key = |v: Vec<AvailabilitySpan>| -> Vec<(String, i64, i64)> {
        let mut v: Vec<_> = v
            .into_iter()
            .map(|a| (a.nslc.to_string(), a.start_ns / 1000, a.end_ns / 1000))
            .collect();
        v.sort();
        v
    };
    let got = key(src.availability(&streams, (s, e)).unwrap());
    let exp = key(want.availability(&streams, (s, e)).unwrap());
    assert!(!exp.is_empty());
    assert_eq!(got.len(), exp.len(), "{got:?}\n{exp:?}");
    for (g, x) in got.iter().zip(&exp) {
        assert_eq!(g.0, x.0);
        assert!(
            (g.1 - x.1).abs() <= 1 && (g.2 - x.2).abs() <= 1,
            "{g:?} vs {x:?}"
        );
    }
}

fn sds() -> Option<PathBuf> {
    Some(test_data_dir()?.join("sds-small"))
}

fn index(root: &Path, db: &Path, relative_paths: bool) {
    let mut cat = Catalogue::open(db).unwrap();
    let mut opts = IndexOptions::default();
    opts.relative_paths = relative_paths;
    cat.index_archive(&Archive::new(root, Layout::Sds), &opts)
        .unwrap();
}

#[test]
fn siqaco_catalogue_gives_the_archives_records() {
    let Some(root) = sds() else { return };
    let archive = ArchiveSource::new(SourceInfo::new("sds"), Archive::new(&root, Layout::Sds));
    let dir = tempfile::tempdir().unwrap();

    // Absolute file names, catalogue anywhere.
    let db = dir.path().join("abs.sqlite");
    index(&root, &db, false);
    let src = TsindexSource::new(SourceInfo::new("cat"), db.to_str().unwrap(), None).unwrap();
    same_records(&src, &archive);
    same_availability(&src, &archive);
    assert!(src.is_online());

    // Relative file names: resolved against the given root...
    let db = dir.path().join("rel.sqlite");
    index(&root, &db, true);
    let src = TsindexSource::new(
        SourceInfo::new("cat"),
        db.to_str().unwrap(),
        Some(root.clone()),
    )
    .unwrap();
    same_records(&src, &archive);
    // ...or, by default, against the catalogue's directory, where they are not: a clear
    // error naming the missing file.
    let src = TsindexSource::new(SourceInfo::new("cat"), db.to_str().unwrap(), None).unwrap();
    let staged = tempfile::tempdir().unwrap();
    let err = src.fetch(&cases()[0].1, staged.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(
        err.to_string()
            .contains(&dir.path().join("2010/IU/COLA/BHZ.D").display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(staged.path()).unwrap().count(), 0);

    // A command-line source naming a catalogue file is a tsindex source.
    let spec: SourceSpec = db.to_str().unwrap().parse().unwrap();
    assert_eq!(
        spec,
        SourceSpec::Tsindex {
            catalogue: db.to_str().unwrap().to_string(),
            root: None
        }
    );
    let src = spec
        .open(SourceInfo::new("cat"), Default::default())
        .unwrap();
    assert!(src.is_online());
}

#[test]
fn mseedindex_catalogue_is_read_without_being_modified() {
    let Some(root) = sds() else { return };
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/mseedindex");
    if !exe.is_file() {
        eprintln!(
            "SKIPPED: {} not installed (scripts/bootstrap)",
            exe.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mseedindex.sqlite");
    // One file per call: mseedindex 3 mixes sections up when given several files.
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for f in &files {
        let st = std::process::Command::new(&exe)
            .arg("-sqlite")
            .arg(&db)
            .arg(f)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    let before = std::fs::read(&db).unwrap();
    let archive = ArchiveSource::new(SourceInfo::new("sds"), Archive::new(&root, Layout::Sds));
    let src = TsindexSource::new(SourceInfo::new("mi"), db.to_str().unwrap(), None).unwrap();
    same_records(&src, &archive);
    same_availability(&src, &archive);
    drop(src);
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the catalogue was modified"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["mseedindex.sqlite"], "no WAL or journal files");
}

#[test]
fn not_a_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    // A SQLite database without tsindex, a file that is not SQLite, a missing file.
    let empty = dir.path().join("empty.sqlite");
    rusqlite::Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE t(x)")
        .unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "not a database, but long enough to have a header...........",
    )
    .unwrap();
    for p in [&empty, &text, &dir.path().join("missing.sqlite")] {
        let err = TsindexSource::new(SourceInfo::new("x"), p.to_str().unwrap(), None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Database, "{err}");
        assert!(err.to_string().contains(&p.display().to_string()), "{err}");
    }
    assert!(
        !dir.path().join("missing.sqlite").exists(),
        "nothing created"
    );
}
