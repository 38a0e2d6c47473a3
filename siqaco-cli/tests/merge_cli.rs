//! `siqaco merge` end to end: self-merge, dry run, and SIGKILL at random moments.

use siqaco::codec::{encode, PackOptions, Samples};
use siqaco::testing::copy_tree;
use siqaco::time::NS_PER_DAY;
use siqaco::Nslc;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{kill_after, next_delay_ms, BIN};

const T0: i64 = 19_000 * NS_PER_DAY;

/// `n` samples at 0.05 Hz from `t0`, values `base + i`.
fn data(t0: i64, n: i32, base: i32) -> Vec<u8> {
    let v: Vec<i32> = (0..n).map(|i| base + i).collect();
    encode(
        &Nslc::new("XX", "KILL", "", "LHZ"),
        t0,
        0.05,
        &Samples::Int32(v),
        &PackOptions::default().with_record_length(512),
    )
    .unwrap()
}

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    siqaco::testing::archive_tree(root)
}

fn merge(root: &Path, args: &[&str]) -> std::process::Output {
    let o = Command::new(BIN)
        .arg("merge")
        .arg("--into")
        .arg(root)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// An archive of 8 days with a gap every day, and a patch over 6 days.
fn setup(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let base = dir.join("base.mseed");
    let mut b = Vec::new();
    for d in 0..8 {
        b.extend(data(T0 + d * NS_PER_DAY, 3000, 0));
    }
    std::fs::write(&base, b).unwrap();
    let patch = dir.join("patch.mseed");
    std::fs::write(&patch, data(T0 + NS_PER_DAY / 2, 6 * 4320, 100_000)).unwrap();
    let root = dir.join("archive");
    merge(&root, &[base.to_str().unwrap()]);
    (root, base, patch)
}

#[test]
fn merging_an_archive_into_itself_changes_no_byte_and_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _, patch) = setup(dir.path());
    let before = files(&root);
    let day_files: Vec<String> = before
        .keys()
        .map(|k| root.join(k).to_string_lossy().into_owned())
        .collect();
    let mut args: Vec<&str> = day_files.iter().map(|s| s.as_str()).collect();
    let o = merge(&root, &args);
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 file(s) written"));
    assert_eq!(files(&root), before);
    args = vec!["--dry-run", patch.to_str().unwrap()];
    let o = merge(&root, &args);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("dry run") && out.contains("added"), "{out}");
    assert_eq!(files(&root), before);
}

#[test]
fn a_run_killed_at_any_moment_leaves_old_or_new_files_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _, patch) = setup(dir.path());
    let old = files(&root);
    let reference = dir.path().join("reference");
    copy_tree(&root, &reference);
    merge(
        &reference,
        &["--archive-priority", "2", patch.to_str().unwrap()],
    );
    let new = files(&reference);
    assert_ne!(old, new);
    let mut seed: u64 = 0x5eed;
    for round in 0..8 {
        let work = dir.path().join(format!("work{round}"));
        copy_tree(&root, &work);
        let delay_ms = next_delay_ms(&mut seed, 20, 400);
        kill_after(
            Command::new(BIN)
                .env("SIQACO_MERGE_STEP_DELAY_MS", "25")
                .args(["merge", "--archive-priority", "2", "--into"])
                .arg(&work)
                .arg(&patch),
            delay_ms,
        );
        for (name, bytes) in files(&work) {
            let base = name.file_name().unwrap().to_string_lossy().into_owned();
            if base.starts_with('.') {
                continue; // journal and staged files
            }
            assert!(
                old.get(&name) == Some(&bytes) || new.get(&name) == Some(&bytes),
                "round {round} ({delay_ms} ms): {} is neither old nor new",
                name.display()
            );
        }
        merge(&work, &["--archive-priority", "2", patch.to_str().unwrap()]);
        let after: BTreeMap<_, _> = files(&work)
            .into_iter()
            .filter(|(k, _)| !k.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        assert_eq!(after, new, "round {round} ({delay_ms} ms)");
        assert!(!work.join(".siqaco-merge-journal.json").exists());
    }
}

/// `siqaco merge` of `inputs` into `root` with the day files staged by `copy_file_range`
/// (the default) or, with the test hook `SIQACO_MERGE_COPY_RANGE=0`, by `writev` from the
/// merge's buffers (the fallback where the kernel or file system has no copy).
fn merge_copying(root: &Path, inputs: &[PathBuf], copy: bool) {
    let mut c = Command::new(BIN);
    c.arg("merge").arg("--into").arg(root).args(inputs);
    if !copy {
        c.env("SIQACO_MERGE_COPY_RANGE", "0");
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn day_files_copied_from_their_inputs_equal_those_written_from_the_buffers() {
    // Real data: IU.COLA BH1/BH2/BHZ (miniSEED 2, 584 192 bytes, one day) into an empty
    // archive, every record copied (runs of ~190 kB: copy_file_range), and into sds-small
    // over its own COLA day files together with other streams (runs copied from the
    // archive's day files and from the patches). Both ways give the same bytes.
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let cola = data.join("mseed/pymseed-tests__testdata-COLA-signal.v2.mseed");
    let inputs = [
        vec![cola.clone()],
        vec![
            cola.clone(),
            data.join("mseed/obspy-io-mseed__CH.BALST..LH_two_channels.mseed"),
            data.join("mseed/obspy-io-mseed__gaps.mseed"),
        ],
    ];
    let dir = tempfile::tempdir().unwrap();
    for (k, input) in inputs.iter().enumerate() {
        let mut trees = Vec::new();
        for copy in [true, false] {
            let root = dir.path().join(format!("a{k}-{copy}"));
            if k == 1 {
                copy_tree(&data.join("sds-small"), &root);
            }
            merge_copying(&root, input, copy);
            trees.push(files(&root));
        }
        assert_eq!(trees[0], trees[1], "inputs {k}");
        if k == 0 {
            // every record of the input copied once, none re-encoded: the day files of
            // its three channels hold the input's bytes
            let written: usize = trees[0].values().map(|b| b.len()).sum();
            assert_eq!(trees[0].len(), 3);
            assert_eq!(written as u64, std::fs::metadata(&cola).unwrap().len());
        }
    }
}
