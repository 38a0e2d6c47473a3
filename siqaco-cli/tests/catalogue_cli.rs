//! The catalogue commands (`stats`, `report`, `db migrate|backup|check`, `index`) map onto
//! the core's catalogue requests: a missing catalogue is refused the same way by each
//! (exit 2, the core's not-found error naming the file) and nothing is created; bad values
//! are refused in the core's terms, with the command's flags for the fields.

use std::path::Path;
use std::process::Command;

fn siqaco(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_siqaco"))
        .args(args)
        .output()
        .expect("run siqaco");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_missing_catalogue_is_refused_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("typo.sqlite");
    let db_s = db.to_str().unwrap();
    let out = dir.path().join("out");
    let want = format!("siqaco: error: {db_s}: no such catalogue\n");
    for args in [
        vec!["stats", "--db", db_s],
        vec!["stats", "--db", db_s, "--format", "json"],
        vec!["report", "--db", db_s, "--out", out.to_str().unwrap()],
        vec!["db", "check", "--db", db_s],
        vec!["db", "migrate", "--db", db_s],
        vec!["db", "backup", "--db", db_s],
    ] {
        let (code, err) = siqaco(&args);
        assert_eq!((code, err.as_str()), (Some(2), want.as_str()), "{args:?}");
    }
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

#[test]
fn bad_values_name_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let db = dir.path().join("cat.sqlite");
    let db_s = db.to_str().unwrap();
    for (args, want) in [
        (
            vec!["index", root, "--db", db_s, "--subindex", "0"],
            "--subindex: must be at least 1 (seconds)",
        ),
        (
            vec!["index", root, "--db", db_s, "--subindex", "-60"],
            "--subindex: must be at least 1 (seconds)",
        ),
        (
            vec!["index", root, "--db", db_s, "--batch", "0"],
            "--batch: must be at least 1",
        ),
        (
            vec!["index", root, "--db", db_s, "--threads", "0"],
            "--threads: must be at least 1",
        ),
        (
            vec![
                "stats",
                "--db",
                db_s,
                "--start",
                "2024-01-02",
                "--end",
                "2024-01-01",
            ],
            "--end: must be after the start",
        ),
        (
            vec![
                "report",
                "--db",
                db_s,
                "--out",
                root,
                "--end",
                "1960-01-01",
                "--start",
                "2000-01-01",
            ],
            "--end: must be after the start",
        ),
    ] {
        let (code, err) = siqaco(&args);
        assert_eq!(
            (code, err.as_str()),
            (
                Some(2),
                format!("siqaco: error: invalid argument: {want}\n").as_str()
            ),
            "{args:?}"
        );
    }
    // A refused request creates no catalogue; neither does a missing archive root.
    let (code, err) = siqaco(&["index", "/nonexistent/siqaco/sds", "--db", db_s]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("/nonexistent/siqaco/sds"), "{err}");
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

/// On the test data: `index` then `db check`, `db migrate`, `db backup` and `stats`
/// through the requests give today's output.
#[test]
fn index_check_migrate_backup_stats() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cat.sqlite");
    let db_s = db.to_str().unwrap();
    let sds = data.join("sds-small");
    let (code, err) = siqaco(&["index", sds.to_str().unwrap(), "--db", db_s]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err,
        "siqaco index: 37 file(s) listed, 37 read, 0 unchanged, 0 removed, 37 row(s) written, 0 file(s) with errors\n"
    );
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_siqaco"))
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    assert_eq!(
        run(&["db", "check", "--db", db_s]),
        (
            Some(0),
            format!("{db_s}: 37 file(s), 37 tsindex row(s), 0 problem(s)\n")
        )
    );
    assert_eq!(
        run(&["db", "migrate", "--db", db_s]),
        (
            Some(0),
            format!(
                "{db_s}: schema {} is current\n",
                siqaco::index::SCHEMA_VERSION
            )
        )
    );
    assert_eq!(
        run(&["db", "migrate", "--dry-run", "--db", db_s]),
        (
            Some(0),
            format!(
                "-- {db_s}: schema {} is current\n",
                siqaco::index::SCHEMA_VERSION
            )
        )
    );
    let copy = dir.path().join("copy.sqlite");
    let copy_s = copy.to_str().unwrap();
    assert_eq!(
        run(&["db", "backup", "--db", db_s, "--output", copy_s]),
        (Some(0), format!("{copy_s}\n"))
    );
    let (code, stats) = run(&["stats", "--db", copy_s, "--format", "json"]);
    assert_eq!(code, Some(0));
    let (code, scan) = run(&["scan", sds.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, Some(0));
    assert_eq!(stats, scan);
}
