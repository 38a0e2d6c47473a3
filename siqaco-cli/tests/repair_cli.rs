//! `siqaco repair` end to end: SIGKILL at random moments of a repair never loses or
//! duplicates a sample (issue #21): every day file is its old or its new version, and the
//! next run ends with exactly the archive an uninterrupted repair gives, and one
//! quarantine manifest line per bad byte run.

use siqaco::record::{RecordScanner, ScanItem};
use siqaco::testing::{archive_tree, copy_tree, test_data_dir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{kill_after, next_delay_ms, BIN};

fn repair(root: &Path, args: &[&str]) -> String {
    let o = Command::new(BIN)
        .arg("repair")
        .arg(root)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The files of an archive that are not hidden (journal and staged files are).
fn visible(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    archive_tree(root)
        .into_iter()
        .filter(|(k, _)| {
            !k.components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        })
        .collect()
}

/// sds-small with every day file's first record appended again (a duplicate, out of time
/// order) and 77 bytes of garbage after the records of one file.
fn broken_archive(data: &Path, root: &Path) {
    copy_tree(&data.join("sds-small"), root);
    let mut garbage_done = false;
    for (rel, bytes) in visible(root) {
        let first = RecordScanner::new(&bytes).find_map(|i| match i {
            ScanItem::Record { header, .. } => Some(header.raw.to_vec()),
            ScanItem::Invalid { .. } => None,
        });
        let mut b = bytes.clone();
        b.extend(first.unwrap_or_default());
        if !garbage_done {
            b.extend([0x5a; 77]);
            garbage_done = true;
        }
        std::fs::write(root.join(rel), b).unwrap();
    }
}

#[test]
fn a_repair_killed_at_any_moment_leaves_old_or_new_files_and_a_rerun_finishes() {
    let Some(data) = test_data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken");
    broken_archive(&data, &broken);
    let old = visible(&broken);
    let reference = dir.path().join("reference");
    copy_tree(&broken, &reference);
    repair(&reference, &[]);
    let new = visible(&reference);
    let manifest = |root: &Path| {
        let q = PathBuf::from(format!("{}.quarantine", root.display()));
        std::fs::read_to_string(q.join("manifest.jsonl")).unwrap()
    };
    let reference_manifest = manifest(&reference);
    assert_eq!(reference_manifest.lines().count(), 1);
    assert_ne!(old, new);
    assert!(repair(&reference, &[]).starts_with("0 action(s)"));
    let mut seed: u64 = 0x005e_ed21;
    for round in 0..8 {
        let work = dir.path().join(format!("work{round}"));
        copy_tree(&broken, &work);
        let delay_ms = next_delay_ms(&mut seed, 20, 1500);
        kill_after(
            Command::new(BIN)
                .env("SIQACO_MERGE_STEP_DELAY_MS", "10")
                .arg("repair")
                .arg(&work),
            delay_ms,
        );
        for (name, bytes) in visible(&work) {
            assert!(
                old.get(&name) == Some(&bytes) || new.get(&name) == Some(&bytes),
                "round {round} ({delay_ms} ms): {} is neither old nor new",
                name.display()
            );
        }
        repair(&work, &[]);
        assert_eq!(visible(&work), new, "round {round} ({delay_ms} ms)");
        assert!(!work.join(".siqaco-merge-journal.json").exists());
        // The bad bytes are in the quarantine once, whenever the kill came.
        assert_eq!(manifest(&work), reference_manifest, "round {round}");
    }
}
