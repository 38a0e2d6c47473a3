//! File-system faults met by `siqaco merge` on real file systems: a read-only archive and
//! a full disk at many fill levels. Each archive lives on its own small tmpfs mounted by the
//! test (the tests run as root in CI; elsewhere they say SKIPPED), unmounted when dropped.

mod common;

use common::{copy_tree, keep_records, BIN};
use siqaco::testing::{archive_tree, test_data_dir};
use std::path::Path;
use std::process::{Command, Output};

const DAY: &str = "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058";

/// A tmpfs of `size` bytes mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (after saying SKIPPED) when not running as root; a failing mount as root is a
    /// test failure.
    fn mount(size: u64) -> Option<Tmpfs> {
        let uid = Command::new("id").arg("-u").output().unwrap();
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            eprintln!("SKIPPED: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "mount: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount_read_only(&self) {
        let o = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    /// Bytes free for an ordinary user of the file system.
    fn available(&self) -> u64 {
        let o = Command::new("df")
            .args(["-B1", "--output=avail"])
            .arg(self.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        text.lines().nth(1).unwrap().trim().parse().unwrap()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// sds-small under `root` with the second half of the `IU.COLA.00.BHZ` day removed, and the
/// whole day file as the patch that fills it (written to `patch`).
fn archive_with_a_hole(data: &Path, root: &Path, patch: &Path) {
    copy_tree(&data.join("sds-small"), root);
    std::fs::copy(data.join("sds-small").join(DAY), patch).unwrap();
    let half = {
        let bytes = std::fs::read(patch).unwrap();
        let h = siqaco::record::parse_record(&bytes).unwrap();
        h.start_ns + 1_800_000_000_000
    };
    assert!(keep_records(&root.join(DAY), |start, _| start < half) > 0);
}

fn merge(root: &Path, patch: &Path) -> Output {
    Command::new(BIN)
        .arg("merge")
        .arg("--into")
        .arg(root)
        .arg(patch)
        .output()
        .unwrap()
}

/// A merge into an archive on a read-only file system fails with an I/O error naming a
/// path in the archive, and changes nothing.
#[test]
fn a_read_only_archive_is_an_error_and_stays_unchanged() {
    let data = test_data_dir().expect("SIQACO_TEST_DATA");
    let Some(fs) = Tmpfs::mount(16 << 20) else {
        return;
    };
    let root = fs.path().join("archive");
    let scratch = tempfile::tempdir().unwrap();
    let patch = scratch.path().join("patch.mseed");
    archive_with_a_hole(&data, &root, &patch);
    let before = archive_tree(&root);
    fs.remount_read_only();
    let o = merge(&root, &patch);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("Read-only file system") && err.contains(&*root.to_string_lossy()),
        "{err}"
    );
    assert_eq!(archive_tree(&root), before);
}

/// A merge that meets a full disk, at many fill levels (so that the space runs out while
/// the day file is staged, while the commit journal is written, or not at all): either it
/// succeeds with exactly the merge's result, or it fails naming the disk-full error, the
/// day files are byte-identical to before and no temporary file is left; a second run with
/// room finishes with the same result as a run that never met the full disk.
#[test]
fn a_full_disk_never_leaves_a_half_written_or_lost_day_file() {
    let data = test_data_dir().expect("SIQACO_TEST_DATA");
    // The reference: the same merge on an ordinary file system.
    let reference_dir = tempfile::tempdir().unwrap();
    let reference = reference_dir.path().join("archive");
    let patch = reference_dir.path().join("patch.mseed");
    archive_with_a_hole(&data, &reference, &patch);
    let o = merge(&reference, &patch);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expected = archive_tree(&reference);
    let day_len = std::fs::metadata(reference.join(DAY)).unwrap().len();

    let mut failures = 0;
    for free in [
        0,
        4096,
        16 << 10,
        day_len / 2,
        day_len - 4096,
        day_len + 8192,
        4 << 20,
    ] {
        let Some(fs) = Tmpfs::mount(16 << 20) else {
            return;
        };
        let root = fs.path().join("archive");
        let scratch = tempfile::tempdir().unwrap();
        let patch = scratch.path().join("patch.mseed");
        archive_with_a_hole(&data, &root, &patch);
        let before = archive_tree(&root);
        let filler = fs.path().join("filler");
        let fill = fs.available().saturating_sub(free);
        std::fs::write(&filler, vec![0u8; fill as usize]).unwrap();

        let o = merge(&root, &patch);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        if o.status.success() {
            assert_eq!(archive_tree(&root), expected, "{free} bytes free");
        } else {
            failures += 1;
            assert!(
                err.contains("No space left on device"),
                "{free} bytes free: {err}"
            );
            assert_eq!(archive_tree(&root), before, "{free} bytes free: {err}");
        }
        // With room again, the merge finishes exactly as on an ordinary file system.
        std::fs::remove_file(&filler).unwrap();
        let o = merge(&root, &patch);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(archive_tree(&root), expected, "{free} bytes free");
    }
    assert!(
        failures >= 3,
        "only {failures} fill levels made the merge fail"
    );
}
