//! `siqaco fetch` from another archive and from a scripted HTTP error.

use std::path::PathBuf;
use std::process::Command;

fn data() -> Option<PathBuf> {
    siqaco::testing::test_data_dir()
}

fn siqaco(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_siqaco"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn fetch_from_archive_writes_sds_day_files() {
    let Some(d) = data() else { return };
    let src = d.join("sds-small");
    let out = tempfile::tempdir().unwrap();
    let outs = out.path().to_str().unwrap();
    let args = [
        "fetch",
        "--source",
        src.to_str().unwrap(),
        "--select",
        "IU.COLA.00.LH?",
        "--start",
        "2010-02-27",
        "--end",
        "2010-02-28",
        "--out",
        outs,
    ];
    let (code, err) = siqaco(&args);
    assert_eq!(code, Some(0), "{err}");
    for c in ["LHZ", "LH1", "LH2"] {
        let rel = format!("2010/IU/COLA/{c}.D/IU.COLA.00.{c}.D.2010.058");
        let got = std::fs::read(out.path().join(&rel)).unwrap();
        let want = std::fs::read(src.join(&rel)).unwrap();
        assert_eq!(got, want, "{rel}");
    }
    // Nothing else but the day files (the staging directory is gone).
    let top: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(top.len(), 1);
    // Fetching again adds nothing.
    let (code, err) = siqaco(&args);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("wrote 0 records"), "{err}");
    // No data.
    let (code, err) = siqaco(&[
        "fetch",
        "--source",
        src.to_str().unwrap(),
        "--select",
        "XX.NONE..BHZ",
        "--start",
        "2010-02-27",
        "--end",
        "2010-02-28",
        "--out",
        outs,
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("no data"), "{err}");
}

#[test]
fn fetch_bad_arguments() {
    let out = tempfile::tempdir().unwrap();
    let (code, err) = siqaco(&[
        "fetch",
        "--source",
        "/nonexistent/archive",
        "--select",
        "IU.COLA",
        "--start",
        "2010-02-27",
        "--end",
        "2010-02-28",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = siqaco(&[
        "fetch",
        "--source",
        "http://127.0.0.1:9",
        "--select",
        "IU.COLA",
        "--start",
        "2010-02-28",
        "--end",
        "2010-02-27",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    // A timeout no duration holds panicked (issue #16): now a bad argument.
    let Some(d) = data() else { return };
    let (code, err) = siqaco(&[
        "fetch",
        "--source",
        d.join("sds-small").to_str().unwrap(),
        "--select",
        "IU.COLA.00.BHZ",
        "--start",
        "2010-02-27",
        "--end",
        "2010-02-28",
        "--out",
        out.path().to_str().unwrap(),
        "--timeout",
        "1e300",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "invalid argument: --timeout: 1e300 s is more than the maximum 604800 s (7 days)"
        ),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn fetch_connection_refused_names_the_url() {
    // Bind then drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tempfile::tempdir().unwrap();
    let (code, err) = siqaco(&[
        "fetch",
        "--source",
        &format!("http://127.0.0.1:{port}"),
        "--select",
        "IU.COLA",
        "--start",
        "2010-02-27",
        "--end",
        "2010-02-28",
        "--out",
        out.path().to_str().unwrap(),
        "--retries",
        "0",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "http://127.0.0.1:{port}/fdsnws/dataselect/1/query"
        )),
        "{err}"
    );
    assert!(err.contains("connection failed"), "{err}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn fetch_in_parallel_only_where_data_is() {
    let Some(d) = data() else { return };
    let src = d.join("sds-small");
    let out = tempfile::tempdir().unwrap();
    // Three days, two workers, availability from the archive's records: only 2010-02-27
    // has data, so only its pieces are asked.
    let (code, err) = siqaco(&[
        "fetch",
        "--source",
        src.to_str().unwrap(),
        "--select",
        "IU.COLA.00.LH?",
        "--start",
        "2010-02-26",
        "--end",
        "2010-03-01",
        "--out",
        out.path().to_str().unwrap(),
        "--in-flight",
        "2",
        "--availability",
        "service",
    ]);
    assert_eq!(code, Some(0), "{err}");
    for c in ["LHZ", "LH1", "LH2"] {
        let rel = format!("2010/IU/COLA/{c}.D/IU.COLA.00.{c}.D.2010.058");
        let got = std::fs::read(out.path().join(&rel)).unwrap();
        let want = std::fs::read(src.join(&rel)).unwrap();
        assert_eq!(got, want, "{rel}");
    }
    // --user without a password is a usage error.
    let (code, err) = siqaco(&[
        "fetch",
        "--source",
        "http://127.0.0.1:9",
        "--select",
        "IU.COLA",
        "--start",
        "2010-02-27",
        "--end",
        "2010-02-28",
        "--out",
        out.path().to_str().unwrap(),
        "--user",
        "alice",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("SIQACO_FDSN_PASSWORD"), "{err}");
}
