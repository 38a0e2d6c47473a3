//! What killed runs leave in an archive is removed by the next `merge`, `fetch` and
//! `update` that writes there, and what a live run is writing is left alone (issue #16,
//! defect 8: a killed merge left `..siqaco-merge-journal.json.siqaco-tmp-*`, a killed
//! fetch `.siqaco-staging-*`/`.siqaco-partial-*`, and no later run removed them).
//!
//! The leftovers are planted the way a killed run leaves them: the names siqaco writes
//! (`write_atomic`'s `.NAME.siqaco-tmp-<pid>-<n>`, a fetch's `.siqaco-staging-<pid>-*`
//! with a response body `.siqaco-partial-*` and an external program's work directory in
//! it, `update`'s `.siqaco-staging/`, a merge's `.NAME.siqaco-merge-new`) with the pid of
//! a process that has ended, or of one still running (`sleep`).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

const DAY_DIR: &str = "2010/IU/COLA/BHZ.D";
const DAY: &str = "IU.COLA.00.BHZ.D.2010.058";

/// The pid of a process that has ended.
fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

/// A process alive while this value lives.
struct Live(Child);

impl Live {
    fn start() -> Live {
        Live(Command::new("sleep").arg("600").spawn().unwrap())
    }
    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes `bytes` at `p`, creating its directory.
fn put(p: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
    p.to_path_buf()
}

/// The names carrying `pid` that a run killed while writing into `root` leaves: a
/// half-written journal, a fetch's staging directory with a half-received body and an
/// external program's work directory, a half-written day file. Returns the top entries.
fn plant_pid_names(root: &Path, pid: u32, record: &[u8]) -> Vec<PathBuf> {
    let staging = root.join(format!(".siqaco-staging-{pid}-Xy12Ab"));
    put(&staging.join(".siqaco-partial-Qw34Er"), &record[..300]);
    put(
        &staging
            .join(".siqaco-external-Zx56Cv")
            .join("post.request.txt"),
        b"IU COLA 00 BHZ 2010-02-27T00:00:00 2010-02-28T00:00:00\n",
    );
    vec![
        put(
            &root.join(format!("..siqaco-merge-journal.json.siqaco-tmp-{pid}-0")),
            b"{\"state\": \"sta",
        ),
        staging,
        put(
            &root
                .join(DAY_DIR)
                .join(format!(".{DAY}.siqaco-tmp-{pid}-7")),
            &record[..1000],
        ),
    ]
}

/// The names without a pid, only written under the archive lock: `update`'s staging
/// directory with a request's body in it, and a staged day file whose journal is gone;
/// and the lock file the run that wrote them left.
fn plant_locked_names(root: &Path, record: &[u8]) -> Vec<PathBuf> {
    put(&root.join(".siqaco-update.lock"), b"");
    let staging = root.join(".siqaco-staging");
    put(&staging.join("r1-1-backup").join("part.mseed"), record);
    vec![
        staging,
        put(
            &root.join(DAY_DIR).join(format!(".{DAY}.siqaco-merge-new")),
            &record[..2000],
        ),
    ]
}

/// An archive holding IU.COLA.00.BHZ of sds-small without its records starting before
/// 07:10 (it starts at 06:50), so that a run filling them writes the day file; returns the original day
/// file's bytes.
fn archive_missing_an_hour(root: &Path) -> Vec<u8> {
    let data = siqaco::testing::test_data_dir().expect("SIQACO_TEST_DATA");
    let original = data.join("sds-small").join(DAY_DIR).join(DAY);
    let file = root.join(DAY_DIR).join(DAY);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::copy(&original, &file).unwrap();
    let hour = siqaco::time::parse_time("2010-02-27T07:10:00").unwrap();
    assert!(keep_records(&file, |s, _| s >= hour) > 0);
    std::fs::read(&original).unwrap()
}

fn run(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("SIQACO_LOG", "info")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Plants the leftovers of a dead run, of a live run and the lock-only names in a fresh
/// archive, runs `command` (given the directory and the archive root), checks it wrote the
/// day file, and returns (dead run's names, live run's names, lock-only names, the live
/// process, the directory).
fn after(
    command: impl FnOnce(&Path, &Path) -> (i32, String),
) -> (
    Vec<PathBuf>,
    Vec<PathBuf>,
    Vec<PathBuf>,
    Live,
    tempfile::TempDir,
) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let root = dir.join("final");
    let original = archive_missing_an_hour(&root);
    let before = std::fs::read(root.join(DAY_DIR).join(DAY)).unwrap();
    let live = Live::start();
    let dead = plant_pid_names(&root, dead_pid(), &original);
    let alive = plant_pid_names(&root, live.pid(), &original);
    let locked = plant_locked_names(&root, &original);
    for p in dead.iter().chain(&alive).chain(&locked) {
        assert!(p.exists(), "{}", p.display());
    }
    let (code, err) = command(&dir, &root);
    assert!(code == 0 || code == 3, "exit {code}: {err}");
    let now = std::fs::read(root.join(DAY_DIR).join(DAY)).unwrap();
    assert_ne!(now, before, "the run did not write the day file: {err}");
    (dead, alive, locked, live, tmp)
}

fn gone(paths: &[PathBuf]) {
    for p in paths {
        assert!(!p.exists(), "left behind: {}", p.display());
    }
}

fn kept(paths: &[PathBuf]) {
    for p in paths {
        assert!(p.exists(), "a live run's file was removed: {}", p.display());
    }
}

#[test]
fn merge_removes_what_killed_runs_left_and_keeps_a_live_runs_files() {
    let data = siqaco::testing::test_data_dir().expect("SIQACO_TEST_DATA");
    let patch = data.join("sds-small").join(DAY_DIR).join(DAY);
    let (dead, alive, locked, _live, _tmp) = after(|_, root| {
        run(&[
            "merge".as_ref(),
            "--into".as_ref(),
            root.as_os_str(),
            patch.as_os_str(),
        ])
    });
    gone(&dead);
    gone(&locked);
    kept(&alive);
}

#[test]
fn fetch_removes_what_killed_runs_left_and_keeps_a_live_runs_files() {
    let data = siqaco::testing::test_data_dir().expect("SIQACO_TEST_DATA");
    let source = data.join("sds-small");
    let (dead, alive, locked, _live, _tmp) = after(|_, root| {
        run(&[
            "fetch".as_ref(),
            "--source".as_ref(),
            source.as_os_str(),
            "--select".as_ref(),
            "IU.COLA.00.BHZ".as_ref(),
            "--start".as_ref(),
            "2010-02-27".as_ref(),
            "--end".as_ref(),
            "2010-02-28".as_ref(),
            "--out".as_ref(),
            root.as_os_str(),
        ])
    });
    gone(&dead);
    kept(&alive);
    // Nobody held the archive lock: the fetch took it for the clean-up of the root. A
    // staged day file without a journal waits for the next merge (fetch never writes one).
    assert!(!locked[0].exists(), "left behind: {}", locked[0].display());
    assert!(locked[1].exists());
}

#[test]
fn update_removes_what_killed_runs_left_and_keeps_a_live_runs_files() {
    let data = siqaco::testing::test_data_dir().expect("SIQACO_TEST_DATA");
    let source = data.join("sds-small");
    let (dead, alive, locked, _live, _tmp) = after(|dir, _| {
        let config = dir.join("siqaco.toml");
        std::fs::write(
            &config,
            format!(
                "[archive]\npath = \"final\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
                 [streams]\nselect = [\"IU.COLA.00.BHZ\"]\n\
                 [[sources]]\nname = \"backup\"\nkind = \"archive\"\npath = \"{}\"\n",
                source.display()
            ),
        )
        .unwrap();
        run(&[
            "update".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
            "--start".as_ref(),
            "2010-02-27".as_ref(),
            "--end".as_ref(),
            "2010-02-28".as_ref(),
        ])
    });
    gone(&dead);
    gone(&locked);
    kept(&alive);
}

/// While one merge holds the archive (its journal and staged files on disk), a second
/// merge into the same archive fails at once and touches none of them.
#[test]
fn a_second_merge_leaves_a_live_merge_alone() {
    let data = siqaco::testing::test_data_dir().expect("SIQACO_TEST_DATA");
    let patch = data.join("sds-small").join(DAY_DIR).join(DAY);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("final");
    archive_missing_an_hour(&root);
    let mut first = Command::new(BIN)
        .env("SIQACO_MERGE_STEP_DELAY_MS", "1500")
        .args(["merge", "--into"])
        .arg(&root)
        .arg(&patch)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = root.join(siqaco::merge::apply::JOURNAL_NAME);
    let staged = root.join(DAY_DIR).join(format!(".{DAY}.siqaco-merge-new"));
    for _ in 0..600 {
        if staged.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(staged.exists() && journal.exists());
    let (code, err) = run(&[
        "merge".as_ref(),
        "--into".as_ref(),
        root.as_os_str(),
        patch.as_os_str(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(".siqaco-update.lock"), "{err}");
    assert!(
        err.contains("another siqaco update, stack run or merge is writing"),
        "{err}"
    );
    assert!(staged.exists() && journal.exists());
    assert!(first.wait().unwrap().success());
    assert!(!staged.exists() && !journal.exists());
}
