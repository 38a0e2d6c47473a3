//! `siqaco qc`: exit statuses (0 clean, 4 warnings, 5 errors, 1 unreadable metadata, 2 bad
//! arguments) and the JSON document on the test data.

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

/// An SDS archive under `dir` with the BW stations of sds-small (FFB1-3, 2016-03-11).
fn bw_archive(data: &Path, dir: &Path) -> std::path::PathBuf {
    let root = dir.join("archive");
    copy_dir(
        &data.join("sds-small/2016/BW"),
        &root.join("2016").join("BW"),
    );
    root
}

#[test]
fn exit_status_follows_the_worst_severity() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = bw_archive(&data, tmp.path());
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
    std::fs::write(&bad, "<FDSNStationXML xmlns=\"http://www.fdsn.org/xml/station/1\" schemaVersion=\"1.1\">\n<Network").unwrap();
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

/// A one-purpose FDSN station web service on 127.0.0.1: answers every
/// `/fdsnws/station/1/query` with the bytes of `body` (a real StationXML file), records
/// the query strings, and stops when dropped.
struct StationServer {
    port: u16,
    queries: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl StationServer {
    fn start(body: Vec<u8>) -> StationServer {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let queries = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (q, st) = (queries.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                conn.set_nonblocking(false).unwrap();
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap();
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l).unwrap() == 0 || l == "\r\n" {
                        break;
                    }
                }
                let target = first.split_whitespace().nth(1).unwrap_or("").to_string();
                let ok = target.starts_with("/fdsnws/station/1/query?");
                q.lock().unwrap().push(target);
                let (status, payload): (&str, &[u8]) = if ok {
                    ("200 OK", &body)
                } else {
                    ("404 Not Found", b"")
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    payload.len()
                );
                let _ = conn.write_all(payload);
            }
        });
        StationServer {
            port,
            queries,
            stop,
        }
    }
}

impl Drop for StationServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `--metadata http://…`: the findings and summaries equal those from the same StationXML
/// read from disk; the service is asked at level=response for the selection and window;
/// a service that fails is an error naming the URL.
#[test]
fn metadata_from_an_fdsn_station_service() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = bw_archive(&data, tmp.path());
    let root = root.to_str().unwrap();
    // FFB1-3 metadata against FFB1-3 data: no finding; RJOB metadata: errors.
    for (file, code) in [
        ("stationxml/obspy-core__ffbx.stationxml", 0),
        ("stationxml/obspy-core__BW_RJOB.xml", 5),
    ] {
        let path = data.join(file);
        let server = StationServer::start(std::fs::read(&path).unwrap());
        let url = format!("http://127.0.0.1:{}", server.port);
        let args = |metadata: &str| -> Vec<String> {
            [
                "qc",
                "--archive",
                root,
                "--metadata",
                metadata,
                "--select",
                "BW.*.*.*",
                "--start",
                "2016-03-11",
                "--end",
                "2016-03-12",
                "--format",
                "json",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        let a: Vec<String> = args(&url);
        let from_url = Command::new(env!("CARGO_BIN_EXE_siqaco"))
            .args(&a)
            .output()
            .unwrap();
        let b: Vec<String> = args(path.to_str().unwrap());
        let from_file = Command::new(env!("CARGO_BIN_EXE_siqaco"))
            .args(&b)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&from_url.stderr);
        assert_eq!(from_url.status.code(), Some(code), "{file}: {err}");
        assert_eq!(from_file.status.code(), Some(code), "{file}");
        let (u, f): (Value, Value) = (
            serde_json::from_slice(&from_url.stdout).unwrap(),
            serde_json::from_slice(&from_file.stdout).unwrap(),
        );
        assert_eq!(u["findings"], f["findings"], "{file}");
        assert_eq!(u["streams"], f["streams"], "{file}");
        let q = server.queries.lock().unwrap().clone();
        assert_eq!(q.len(), 1, "{q:?}");
        for part in [
            "level=response",
            "network=BW",
            "starttime=2016-03-11T00%3A00%3A00",
            "endtime=2016-03-12T00%3A00%3A00",
        ] {
            assert!(q[0].contains(part), "{part} not in {}", q[0]);
        }
    }

    // A service that answers 404 to everything but the station path: the URL is named.
    let server = StationServer::start(Vec::new());
    let url = format!("http://127.0.0.1:{}/not-fdsn/", server.port);
    let out = siqaco(&["qc", "--archive", root, "--metadata", &url]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{}", server.port)), "{err}");
}

/// 8 000 copies of one channel epoch (issue #16 defect 7): one finding per check in the
/// JSON document, with the count of pairs and at most five examples; the text output gives
/// one line per finding and its examples indented below it.
#[test]
fn copies_of_one_epoch_give_one_aggregated_finding() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = bw_archive(&data, tmp.path());
    let xml = std::fs::read_to_string(data.join("stationxml/obspy-core__ffbx.stationxml")).unwrap();
    let ffb1 = xml.find("<Station code=\"FFB1\"").unwrap();
    let start = ffb1 + xml[ffb1..].find("<Channel code=\"BH1\"").unwrap();
    let end = start + xml[start..].find("</Channel>").unwrap() + "</Channel>".len();
    let copies = format!(
        "{}{}{}",
        &xml[..start],
        xml[start..end].repeat(8000),
        &xml[end..]
    );
    let meta = tmp.path().join("copies.xml");
    std::fs::write(&meta, copies).unwrap();
    let args = |format: &'static str| {
        siqaco(&[
            "qc",
            "--archive",
            root.to_str().unwrap(),
            "--metadata",
            meta.to_str().unwrap(),
            "--select",
            "BW.FFB1..BH1",
            "--format",
            format,
        ])
    };
    let out = args("json");
    assert_eq!(out.status.code(), Some(5));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let got: Vec<(&str, u64, usize)> = findings
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["count"].as_u64().unwrap(),
                f["examples"].as_array().unwrap().len(),
            )
        })
        .collect();
    // two segments of data (one gap: ObsPy and msi) lie in the overlapping epochs
    assert_eq!(
        got,
        [
            ("overlapping_epochs", 8000 * 7999 / 2, 5),
            ("multiple_epochs", 2, 2)
        ]
    );
    let out = args("text");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 5 + 1 + 2 + 1, "{text}");
    assert!(
        lines[0].contains("31996000 pair(s) of the 8000 epoch(s) overlap"),
        "{text}"
    );
    assert!(lines[1].starts_with("        epochs 2015-07-31"), "{text}");
}

/// The window rule and the byte order of `siqaco qc` are the core's
/// (`siqaco::ops::QcRequest`): the CLI prints the request's error with the field renamed
/// to its flag, and exits 2.
#[test]
fn bad_arguments_give_the_cores_error_in_flag_terms() {
    use siqaco::ops::{parse_field, QcRequest};
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let sds = data.join("sds-small");
    let sds = sds.to_str().unwrap();
    let ffbx = data.join("stationxml/obspy-core__ffbx.stationxml");
    let ffbx = ffbx.to_str().unwrap();
    let day = |t: &str| siqaco::time::parse_time(t).unwrap();
    let window = |start: Option<&str>, end: &str| {
        let mut r = QcRequest::new(sds, ffbx);
        r.start_ns = start.map(day);
        r.end_ns = Some(day(end));
        r.validate().unwrap_err()
    };
    let order = parse_field::<siqaco::record::ByteOrder>("byte_order", "middle").unwrap_err();
    let base = ["qc", "--archive", sds, "--metadata", ffbx];
    for (extra, core, field, flag) in [
        (
            vec!["--end", "2016-03-12"],
            window(None, "2016-03-12"),
            "end_ns",
            "--end",
        ),
        (
            vec!["--start", "2016-03-12", "--end", "2016-03-11"],
            window(Some("2016-03-12"), "2016-03-11"),
            "end_ns",
            "--end",
        ),
        (
            vec!["--byte-order", "middle"],
            order,
            "byte_order",
            "--byte-order",
        ),
    ] {
        assert_eq!(core.field_name(), Some(field));
        let want = format!("siqaco: error: {}\n", core.rename_field(|_| flag.into()));
        let out = siqaco(&[&base[..], &extra[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), want, "{extra:?}");
    }
}
