//! The any-bytes property (issue #16, item 6): whatever the bytes of an input file,
//! `siqaco scan`, `index`, `merge` (keeping the encoding, and re-encoding to Steim2) and
//! `qc` either succeed or fail with an error and a documented exit status — never a
//! signal (segmentation fault, abort on allocation failure, the CPU limit), never a panic
//! (exit 101), never more memory than a fixed limit.
//!
//! Each command is the CLI binary (`$SIQACO_BIN`, default `target/debug/siqaco`, built by
//! `cargo build -p siqaco-cli`) run under `prlimit --as` (address space) and `--cpu`, so an
//! unbounded allocation or an endless loop ends the process with a signal, which fails the
//! test. An archive a merge wrote must hold only complete, valid records; that libmseed
//! reads them back and that their samples are all present in the input is checked against
//! libmseed itself (pymseed) by `tests/peers/test_any_bytes.py`.
//!
//! Inputs: any bytes, and real records of `$SIQACO_TEST_DATA/mseed` (file heads) with byte
//! flips and header fields rewritten (sample count, rate factor and multiplier, data
//! offset, blockette chain, blockette 1000 encoding and length; v3 rate, encoding, sample
//! count, lengths).

use proptest::prelude::*;
use siqaco::archive::{Archive, Layout};
use siqaco::record::{RecordScanner, ScanItem};
use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Address-space limit of one command (the debug binary maps about 100 MB to start).
const MEM_LIMIT_BYTES: u64 = 1 << 30;
/// CPU-time limit of one command, seconds (an input here takes well under one).
const CPU_LIMIT_S: u64 = 20;
/// Longest input: a few records.
const MAX_INPUT: usize = 16 * 1024;

fn siqaco_bin() -> PathBuf {
    let bin = std::env::var_os("SIQACO_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/siqaco"),
        PathBuf::from,
    );
    assert!(
        bin.is_file(),
        "{} not found: build the CLI first (cargo build -p siqaco-cli) or set SIQACO_BIN",
        bin.display()
    );
    bin
}

/// Runs `siqaco ARGS` under the memory and CPU limits.
fn run<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new("prlimit")
        .arg(format!("--as={MEM_LIMIT_BYTES}"))
        .arg(format!("--cpu={CPU_LIMIT_S}"))
        .arg("--")
        .arg(siqaco_bin())
        .args(args)
        .env("SIQACO_LOG", "error")
        .output()
        .expect("running prlimit")
}

/// Fails unless the command exited by itself with one of `allowed`; a failure (1, or 2
/// for bad arguments) must come with a message on stderr.
fn check(what: &str, out: &Output, allowed: &[i32]) -> i32 {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Some(code) = out.status.code() else {
        panic!(
            "{what}: killed by signal {:?}\nstderr: {stderr}",
            out.status.signal()
        );
    };
    assert_ne!(code, 101, "{what}: panicked\nstderr: {stderr}");
    assert!(
        allowed.contains(&code),
        "{what}: exit status {code}, documented: {allowed:?}\nstderr: {stderr}"
    );
    if code == 1 || code == 2 {
        assert!(
            !stderr.trim().is_empty(),
            "{what}: exit {code} without a message"
        );
    }
    code
}

/// Every file of a merged archive holds only complete records (the record scanner and its
/// validation gate find no unreadable byte). Decoding them is left to the peer test
/// (`tests/peers/test_any_bytes.py`), which runs libmseed in a child process: a record
/// that crashes the decoder must not take this test process with it.
fn check_archive(what: &str, root: &Path) {
    let files = Archive::new(root, Layout::Files)
        .list_files(&[], None)
        .unwrap();
    for f in files.iter().map(|f| &f.path) {
        let bytes = std::fs::read(f).unwrap();
        for item in RecordScanner::new(&bytes) {
            if let ScanItem::Invalid {
                offset, message, ..
            } = item
            {
                panic!("{what}: {} byte {offset}: {message}", f.display());
            }
        }
    }
}

/// Runs the four commands on `bytes` as the only file of a directory.
fn exercise(bytes: &[u8], metadata: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("input.mseed"), bytes).unwrap();
    let (inp, t) = (input.as_os_str(), tmp.path());

    // scan and index read the input directory as a `files` archive, on one thread.
    let on_input = |cmd: &str, extra: &[&OsStr]| {
        let mut args: Vec<&OsStr> = vec![cmd.as_ref(), inp, "--layout".as_ref(), "files".as_ref()];
        args.extend(extra);
        args.extend(["--threads".as_ref(), OsStr::new("1")]);
        run(&args)
    };
    let out = on_input("scan", &["--format".as_ref(), "json".as_ref()]);
    if check("scan", &out, &[0, 1, 3]) != 1 {
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("scan JSON");
    }
    let db = t.join("catalogue.sqlite");
    let out = on_input("index", &["--db".as_ref(), db.as_os_str()]);
    check("index", &out, &[0, 1, 3]);

    for (name, extra) in [("merge", None), ("merge --encoding steim2", Some("steim2"))] {
        let arch = t.join(if extra.is_some() { "steim2" } else { "arch" });
        let mut args: Vec<&OsStr> =
            vec!["merge".as_ref(), "--into".as_ref(), arch.as_os_str(), inp];
        if let Some(enc) = extra {
            args.extend(["--encoding".as_ref(), OsStr::new(enc)]);
        }
        let out = run(&args);
        // 2: codes that cannot name an archive file (InvalidCode).
        let code = check(name, &out, &[0, 1, 2, 3]);
        if code == 0 || code == 3 {
            check_archive(name, &arch);
        }
    }

    let out = run(&[
        OsStr::new("qc"),
        "--archive".as_ref(),
        inp,
        "--layout".as_ref(),
        "files".as_ref(),
        "--metadata".as_ref(),
        metadata.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    check("qc", &out, &[0, 1, 3, 4, 5]);
}

/// Real miniSEED files of at most 64 KiB (heads of `MAX_INPUT` bytes) and a real
/// StationXML (`Some` always: the test data is in the repository).
fn real_inputs() -> Option<(Vec<Vec<u8>>, PathBuf)> {
    let data = siqaco::testing::test_data_dir()?;
    let files: Vec<Vec<u8>> = siqaco::testing::files_in(&data.join("mseed"))
        .into_iter()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= 64 * 1024))
        .map(|p| {
            let mut b = std::fs::read(p).unwrap();
            b.truncate(MAX_INPUT);
            b
        })
        .filter(|b| !b.is_empty())
        .collect();
    assert!(
        files.len() > 100,
        "expected the real miniSEED files in {}",
        data.display()
    );
    Some((files, data.join("stationxml/obspy-core__AU.MEEK.xml")))
}

/// One change to a real record: a byte flip anywhere, or a header field of the first
/// record set to a value.
#[derive(Clone, Debug)]
enum Edit {
    Flip {
        at: usize,
        mask: u8,
    },
    Field {
        field: usize,
        value: u64,
        little_endian: bool,
    },
}

/// (offset, width) of the header fields rewritten: v2 sample count, rate factor, rate
/// multiplier, number of blockettes, time correction, data offset, first blockette, and
/// blockette 1000 (at 48, where real records have it) encoding, word order and length;
/// v3 encoding, sample rate, sample count, CRC, SID length, extra length, data length.
const V2_FIELDS: &[(usize, usize)] = &[
    (30, 2),
    (32, 2),
    (34, 2),
    (39, 1),
    (40, 4),
    (44, 2),
    (46, 2),
    (52, 1),
    (53, 1),
    (54, 1),
];
const V3_FIELDS: &[(usize, usize)] = &[
    (15, 1),
    (16, 8),
    (24, 4),
    (28, 4),
    (33, 1),
    (34, 2),
    (36, 4),
];

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    let v3 = bytes.starts_with(b"MS\x03");
    for e in edits {
        match *e {
            Edit::Flip { at, mask } => {
                let n = bytes.len();
                bytes[at % n] ^= mask;
            }
            Edit::Field {
                field,
                value,
                little_endian,
            } => {
                let fields = if v3 { V3_FIELDS } else { V2_FIELDS };
                let (off, width) = fields[field % fields.len()];
                let b = if little_endian {
                    value.to_le_bytes()[..width].to_vec()
                } else {
                    value.to_be_bytes()[8 - width..].to_vec()
                };
                if off + width <= bytes.len() {
                    bytes[off..off + width].copy_from_slice(&b);
                }
            }
        }
    }
    bytes
}

/// Field values: small, boundary and extreme, as hostile headers carry them.
fn field_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..300,
        Just(0x8000),
        Just(0xFFFF),
        Just(0x7FFF_FFFF),
        Just(0xFFFF_FFFF),
        // f64 rates for v3: 1e-9 Hz, 1e15 Hz, NaN, infinity, negative
        Just(1e-9f64.to_bits()),
        Just(1e15f64.to_bits()),
        Just(f64::NAN.to_bits()),
        Just(f64::INFINITY.to_bits()),
        Just((-1e-9f64).to_bits()),
        any::<u64>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Edit::Flip { at, mask }),
        (any::<usize>(), field_value(), any::<bool>()).prop_map(|(field, value, little_endian)| {
            Edit::Field {
                field,
                value,
                little_endian,
            }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES raises it for a longer run.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32),
        max_shrink_iters: 64,
        // Failures become named tests below (a failing input is kilobytes of bytes).
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_bytes_end_in_a_result_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..MAX_INPUT)) {
        let Some((_, metadata)) = real_inputs() else { return Ok(()) };
        exercise(&bytes, &metadata);
    }

    #[test]
    fn mutated_real_records_end_in_a_result_or_an_error(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let Some((files, metadata)) = real_inputs() else { return Ok(()) };
        let bytes = apply(pick.get(&files).clone(), &edits);
        exercise(&bytes, &metadata);
    }
}

/// Found by `mutated_real_records_end_in_a_result_or_an_error`: the first record of a real
/// Steim2 file (512 bytes) with its data offset set to 32768 (past the record) and its
/// blockette 1000 word order set to little endian. `merge --encoding steim2` decodes it and
/// died of SIGSEGV (issue #16 defect 2). Fixed by the validation gate.
#[test]
fn merge_of_a_record_whose_data_offset_is_past_the_record() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let file = data.join("mseed/libmseed__reference-testdata-steim2.v2.mseed");
    let mut rec = std::fs::read(file).unwrap();
    rec.truncate(512);
    assert_eq!(&rec[44..46], &[0, 64], "data offset of the real record");
    rec[44..46].copy_from_slice(&0x8000u16.to_be_bytes());
    rec[53] = 0;
    let metadata = data.join("stationxml/obspy-core__AU.MEEK.xml");
    exercise(&rec, &metadata);
}
