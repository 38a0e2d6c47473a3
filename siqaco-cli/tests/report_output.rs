//! Writing the report and the logs (issue #16, defects 8 and 9): a full standard output or
//! standard error is an error with a clear message and exit status 1, never a panic (it
//! was exit 101 after the merge had committed); a closed pipe stays quiet; log files get
//! no ANSI colour codes; a device or a directory as catalogue is refused and nothing is
//! created beside it (`/dev/null-journal`).

use std::fs::File;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_siqaco");
const DAY: &str = "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058";

fn data() -> std::path::PathBuf {
    siqaco::testing::test_data_dir().expect("SIQACO_TEST_DATA")
}

fn full() -> Stdio {
    Stdio::from(File::options().write(true).open("/dev/full").unwrap())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `siqaco ARGS` with standard output on `/dev/full`.
fn stdout_full(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdout(full())
        .output()
        .unwrap()
}

fn assert_clear_stdout_error(args: &[&str], out: &Output) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(
        err.contains(
            "siqaco: error: <standard output>: writing the report failed: No space left on device"
        ),
        "{args:?}: {err}"
    );
}

#[test]
fn a_full_stdout_is_an_error_naming_it_not_a_panic() {
    let sds = data().join("sds-small");
    let sds = sds.to_str().unwrap();
    for args in [
        vec!["scan", sds],
        vec!["scan", sds, "--format", "json"],
        vec!["streams", sds],
    ] {
        assert_clear_stdout_error(&args, &stdout_full(&args));
    }
    let help = stdout_full(&["--help"]);
    assert_eq!(help.status.code(), Some(1));
    assert!(text(&help.stderr).contains(
        "siqaco: error: <standard output>: writing the help failed: No space left on device"
    ));
    // The merge commits, then its report cannot be written: the archive keeps the new
    // day file, the exit status says the report was lost.
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("into");
    let patch = data().join("sds-small").join(DAY);
    let args = [
        "merge",
        "--into",
        into.to_str().unwrap(),
        patch.to_str().unwrap(),
    ];
    let out = stdout_full(&args);
    assert_clear_stdout_error(&args, &out);
    assert_eq!(
        std::fs::read(into.join(DAY)).unwrap(),
        std::fs::read(&patch).unwrap()
    );
}

#[test]
fn a_full_stderr_turns_success_into_failure_without_a_panic() {
    // `index` says its summary on standard error.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cat.sqlite");
    let out = Command::new(BIN)
        .args(["index", "--db", db.to_str().unwrap()])
        .arg(data().join("sds-small"))
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // The work is done: the catalogue lists the files.
    let cat = siqaco::index::Catalogue::open(&db).unwrap();
    assert!(cat.check().unwrap().files > 0);
    // Log lines that cannot be written (tracing-subscriber reported that with a panicking
    // `eprintln!`): exit 1, the merge done.
    let patch = data().join("sds-small").join(DAY);
    let into = dir.path().join("into");
    let out = Command::new(BIN)
        .args(["merge", "--into"])
        .arg(&into)
        .arg(&patch)
        .env("SIQACO_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read(into.join(DAY)).unwrap(),
        std::fs::read(&patch).unwrap()
    );
}

#[test]
fn a_closed_pipe_is_quiet_and_keeps_the_exit_status() {
    let sds = data().join("sds-small");
    let args = ["scan", sds.to_str().unwrap(), "--per-day"];
    let normal = Command::new(BIN).args(args).output().unwrap();
    assert!(normal.stdout.len() > 1000);
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before anything is written
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), normal.status.code());
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn log_lines_written_to_a_file_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("siqaco.log");
    let patch = data().join("sds-small").join(DAY);
    let status = Command::new(BIN)
        .args(["merge", "--into"])
        .arg(dir.path().join("into"))
        .arg(&patch)
        .env("SIQACO_LOG", "debug")
        .env_remove("NO_COLOR")
        .stdout(Stdio::null())
        .stderr(File::create(&log).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("DEBUG siqaco::merge::apply"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

/// Runs `siqaco index --db TARGET sds-small`; returns the exit status and stderr.
fn index_into(target: &Path) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args(["index", "--db"])
        .arg(target)
        .arg(data().join("sds-small"))
        .output()
        .unwrap();
    (out.status.code(), text(&out.stderr))
}

#[test]
fn a_device_or_a_directory_as_catalogue_is_refused_and_nothing_is_created() {
    // /dev is shared by every process of the machine: only names absent before count.
    let beside = ["/dev/null-journal", "/dev/null-wal", "/dev/null-shm"];
    let absent: Vec<&str> = beside
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    let (code, err) = index_into(Path::new("/dev/null"));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("/dev/null: is a character device, not a regular file"),
        "{err}"
    );
    for p in absent {
        assert!(!Path::new(p).exists(), "{p} created");
    }
    // A named pipe (SQLite would block on it) in a directory of its own.
    let fifo_dir = tempfile::tempdir().unwrap();
    let fifo = fifo_dir.path().join("cat.sqlite");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (code, err) = index_into(&fifo);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is a named pipe, not a regular file"), "{err}");
    assert_eq!(std::fs::read_dir(fifo_dir.path()).unwrap().count(), 1);
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = index_into(dir.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("is a directory, not a regular file"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path().parent().unwrap())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(&*dir.path().file_name().unwrap().to_string_lossy()))
            .count(),
        1,
        "nothing beside the directory"
    );
}
