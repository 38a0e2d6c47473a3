//! `ops::MergeRequest` on real data: merging streams in parallel gives the same report and
//! the same files as a serial run (one rayon thread).

use siqaco::archive::{Archive, Layout};
use siqaco::merge::apply::{MergeInput, MergeReport};
use siqaco::ops::{Control, MergeRequest};
use siqaco::testing::copy_tree;
use siqaco::testing::test_data_dir;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file `name` of `dir` as a merge input of `priority`.
fn mseed_input(dir: &Path, name: &str, priority: i32) -> MergeInput {
    MergeInput {
        path: dir.join(name),
        priority,
    }
}

/// Merges `inputs` (paths and priorities) into the SDS archive `archive` with the defaults
/// of [`MergeRequest`].
fn merge_into(
    archive: &Archive,
    inputs: &[MergeInput],
    control: &Control,
) -> siqaco::Result<MergeReport> {
    let mut request = MergeRequest::new(archive.root(), inputs.iter().map(|i| i.path.clone()));
    request.priority = inputs.iter().map(|i| i.priority).collect();
    request.run(control)
}

/// Every file under `root` (the journal and staged files included, the archive lock file
/// a merge that writes takes excepted), relative path → bytes.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    siqaco::testing::archive_tree(root)
}

/// Merges `inputs` into a fresh copy of `sds-small` under `dir` with a pool of `threads`;
/// returns the report with paths made relative to the archive, and the archive's files.
fn run(
    sds: &Path,
    dir: &Path,
    inputs: &[MergeInput],
    threads: usize,
) -> (MergeReport, BTreeMap<PathBuf, Vec<u8>>) {
    let root = dir.join(format!("t{threads}"));
    copy_tree(sds, &root);
    let archive = Archive::new(&root, Layout::Sds);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut report = pool
        .install(|| merge_into(&archive, inputs, &Control::new()))
        .unwrap();
    for d in &mut report.days {
        d.path = d.path.strip_prefix(&root).unwrap().to_path_buf();
    }
    (report, tree(&root))
}

#[test]
fn parallel_merge_equals_serial() {
    let Some(data) = test_data_dir() else { return };
    let sds = data.join("sds-small");
    let m = data.join("mseed");
    // 24 streams: the FFB triple (18 streams, already in the archive), BW.BGLD from two
    // overlapping sources at two priorities, IU.COLA.00 BH? (miniSEED 2) and LH?
    // (miniSEED 3), the day-crossing SK.MODS record. The archive stores records by start
    // time, so the merge rewrites the days whose records cross midnight.
    let inputs: Vec<MergeInput> = [
        ("obspy-core__ffbx_unrotated_gaps.mseed", 1),
        ("obspy-io-mseed__timingquality.mseed", 1),
        ("obspy-io-mseed__gaps.mseed", 2),
        ("pymseed-tests__testdata-COLA-signal.v2.mseed", 2),
        ("libmseed__testdata-3channel-signal.v3.mseed", 1),
        ("obspy-io-mseed__wrong_blockette_numbers_specified.mseed", 1),
    ]
    .iter()
    .map(|(n, p)| mseed_input(&m, n, *p))
    .collect();
    for i in &inputs {
        assert!(i.path.is_file(), "missing {}", i.path.display());
    }
    let dir = tempfile::tempdir().unwrap();
    let (serial, serial_files) = run(&sds, dir.path(), &inputs, 1);
    let streams: std::collections::BTreeSet<&str> =
        serial.days.iter().map(|d| d.stream.as_str()).collect();
    assert!(streams.len() >= 24, "{} streams", streams.len());
    assert!(serial.files_written > 0, "the merge changes nothing");
    assert!(serial.days.iter().any(|d| !d.changed));
    for threads in [2, 4] {
        let (par, par_files) = run(&sds, dir.path(), &inputs, threads);
        assert_eq!(par, serial, "report with {threads} threads");
        assert!(par_files == serial_files, "files with {threads} threads");
    }
    assert!(!serial_files
        .keys()
        .any(|p| p.to_string_lossy().contains("siqaco-merge")));
}

/// A stream that fails (here an unreadable archive day file) while other streams have
/// already been staged: the error names the file, and the archive is left exactly as it
/// was, with no journal and no staged file, whether streams ran in parallel or not.
#[test]
fn a_failing_stream_leaves_the_archive_untouched() {
    let Some(data) = test_data_dir() else { return };
    let m = data.join("mseed");
    // the inputs of the test above: they change day files of several streams
    let inputs: Vec<MergeInput> = [
        ("obspy-io-mseed__timingquality.mseed", 1),
        ("obspy-io-mseed__gaps.mseed", 2),
        ("libmseed__testdata-3channel-signal.v3.mseed", 1),
        ("obspy-io-mseed__wrong_blockette_numbers_specified.mseed", 1),
    ]
    .iter()
    .map(|(n, p)| mseed_input(&m, n, *p))
    .collect();
    let dir = tempfile::tempdir().unwrap();
    for threads in [1, 2] {
        let root = dir.path().join(format!("t{threads}"));
        copy_tree(&data.join("sds-small"), &root);
        let bad = root.join("2010/IU/COLA/LHZ.D/IU.COLA.00.LHZ.D.2010.058");
        let mut bytes = std::fs::read(&bad).unwrap();
        bytes[..64].fill(b'#');
        std::fs::write(&bad, &bytes).unwrap();
        let before = tree(&root);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let archive = Archive::new(&root, Layout::Sds);
        let e = pool
            .install(|| merge_into(&archive, &inputs, &Control::new()))
            .unwrap_err();
        assert!(e.to_string().contains("IU.COLA.00.LHZ.D.2010.058"), "{e}");
        assert!(
            tree(&root) == before,
            "the archive changed with {threads} threads"
        );
        // the same merge without the bad file writes the other streams
        std::fs::remove_file(&bad).unwrap();
        let r = merge_into(&archive, &inputs, &Control::new()).unwrap();
        assert!(r.files_written > 0);
    }
}

/// A cancelled merge replaces nothing: no day file, journal or staged file is left, and the
/// report says so.
#[test]
fn a_cancelled_merge_writes_nothing() {
    let Some(data) = test_data_dir() else { return };
    let inputs = vec![mseed_input(
        &data.join("mseed"),
        "obspy-io-mseed__gaps.mseed",
        1,
    )];
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("into");
    let archive = Archive::new(&root, Layout::Sds);
    let control = Control::new();
    control.cancel();
    let merge = |control: &Control| merge_into(&archive, &inputs, control).unwrap();
    let r = merge(&control);
    assert!(
        r.cancelled && r.files_written == 0 && r.days.is_empty(),
        "{r:?}"
    );
    assert!(tree(&root).is_empty());
    // not cancelled, the same merge writes the day files
    let r = merge(&Control::new());
    assert!(!r.cancelled && r.files_written > 0);
}

/// An input file whose records of several streams are interleaved (each stream's records
/// are read from the span between its first and last record) merges exactly as the same
/// records given as one file per stream.
#[test]
fn interleaved_streams_in_one_input_merge_as_separate_files() {
    let Some(data) = test_data_dir() else { return };
    let m = data.join("mseed");
    let a = std::fs::read(m.join("obspy-io-mseed__timingquality.mseed")).unwrap();
    let b = std::fs::read(m.join("pymseed-tests__testdata-COLA-signal.v2.mseed")).unwrap();
    let (ra, rb) = (
        siqaco::merge::split_records(&a).unwrap(),
        siqaco::merge::split_records(&b).unwrap(),
    );
    assert!(ra.len() > 3 && rb.len() > 3);
    // a, b, b, a, b, b, ... then the rest of either
    let mut mixed = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < ra.len() || j < rb.len() {
        if i < ra.len() {
            mixed.extend_from_slice(ra[i]);
            i += 1;
        }
        for _ in 0..2 {
            if j < rb.len() {
                mixed.extend_from_slice(rb[j]);
                j += 1;
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mixed.mseed"), &mixed).unwrap();
    let separate = [
        mseed_input(&m, "obspy-io-mseed__timingquality.mseed", 1),
        mseed_input(&m, "pymseed-tests__testdata-COLA-signal.v2.mseed", 1),
    ];
    let sds = data.join("sds-small");
    let (r1, f1) = run(&sds, &dir.path().join("separate"), &separate, 2);
    let (r2, f2) = run(
        &sds,
        &dir.path().join("mixed"),
        &[mseed_input(dir.path(), "mixed.mseed", 1)],
        2,
    );
    assert!(r1.files_written > 0);
    assert_eq!(r1.days, r2.days);
    assert!(f1 == f2, "the archives differ");
}

/// An input with bytes that are not records in the middle is refused before anything is
/// written: the error names the input file and the offset of the bad bytes.
#[test]
fn a_corrupt_input_names_its_file_and_offset_and_writes_nothing() {
    let Some(data) = test_data_dir() else { return };
    let src = data
        .join("mseed")
        .join("pymseed-tests__testdata-COLA-signal.v2.mseed");
    let mut bytes = std::fs::read(&src).unwrap();
    let reclen = siqaco::merge::split_records(&bytes).unwrap()[0].len();
    bytes[2 * reclen..2 * reclen + 48].fill(b'#');
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.mseed"), &bytes).unwrap();
    let root = dir.path().join("into");
    copy_tree(&data.join("sds-small"), &root);
    let before = tree(&root);
    let e = merge_into(
        &Archive::new(&root, Layout::Sds),
        &[mseed_input(dir.path(), "bad.mseed", 1)],
        &Control::new(),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("bad.mseed"), "{msg}");
    assert!(msg.contains(&(2 * reclen).to_string()), "{msg}");
    assert!(tree(&root) == before, "the archive changed");
}
