//! `siqaco qc`: exit statuses (0 clean, 4 warnings, 5 errors, 1 unreadable metadata, 2 bad
//! arguments) and the JSON document on the shared data.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn siqaco(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_siqaco"))
        .args(args)
        .output()
        .expect("run siqaco")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn exit_status_follows_the_worst_severity() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("archive");
    copy_dir(
        &data.join("sds-small/2016/BW"),
        &root.join("2016").join("BW"),
    );
    let root = root.to_str().unwrap();
    let ffbx = data.join("stationxml/obspy-core__ffbx.stationxml");
    let ffbx = ffbx.to_str().unwrap();

    // data and metadata agree: no finding, exit 0, JSON document
    let out = siqaco(&[
        "qc",
        "--archive",
        root,
        "--metadata",
        ffbx,
        "--start",
        "2016-03-11",
        "--end",
        "2016-03-12",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert_eq!(doc["worst_severity"], Value::Null);
    let day = &doc["streams"][0]["days"][0];
    assert_eq!(day["epoch_s"], 86_400.0);
    assert!(day["miniseed_header_counts"]["io_and_clock_flags"]["clock_locked"].is_u64());

    // a rule only: record length 4096 (the data has 512): warnings, exit 4
    let out = siqaco(&[
        "qc",
        "--archive",
        root,
        "--metadata",
        ffbx,
        "--record-length",
        "4096",
    ]);
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("record_format"), "{text}");

    // metadata of another station: data without metadata is an error, exit 5
    let rjob = data.join("stationxml/obspy-core__BW_RJOB.xml");
    let out = siqaco(&[
        "qc",
        "--archive",
        root,
        "--metadata",
        rjob.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(5));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("data_without_metadata") && text.contains("metadata_without_data"));

    // unreadable metadata: a clear error naming the file and line, exit 1
    let bad = tmp.path().join("bad.xml");
    std::fs::write(&bad, "<FDSNStationXML schemaVersion=\"1.1\">\n<Network").unwrap();
    let out = siqaco(&["qc", "--archive", root, "--metadata", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.xml") && err.contains("line 2"), "{err}");

    // bad arguments: exit 2
    let missing = tmp.path().join("missing.xml");
    let out = siqaco(&[
        "qc",
        "--archive",
        root,
        "--metadata",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = siqaco(&[
        "qc",
        "--archive",
        root,
        "--metadata",
        ffbx,
        "--start",
        "nonsense",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = siqaco(&["qc", "--archive", root]);
    assert_eq!(out.status.code(), Some(2));
}
