//! `siqaco update` with a wrong configuration exits 2 (docs/configuration.md) with an
//! error naming the key, and changes nothing (issue #16, defect 9: an empty archive path
//! was accepted, a device as catalogue got a journal beside it, some errors exited 1
//! without the key, huge window or timeout values panicked, a huge in_flight hung).

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_siqaco");

/// A working configuration (the archive source is sds-small) with `from` replaced by `to`.
fn config(dir: &Path, from: &str, to: &str) -> std::path::PathBuf {
    let data = siqaco::testing::test_data_dir().expect("SIQACO_TEST_DATA");
    let text = format!(
        "[archive]\npath = \"final\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
         [streams]\nselect = [\"IU.COLA.00.BHZ\"]\n[window]\nlength = 2\n\
         [requests]\nin_flight = 4\n\
         [[sources]]\nname = \"backup\"\nkind = \"archive\"\npath = \"{}\"\ntimeout_s = 60\n",
        data.join("sds-small").display()
    );
    assert!(text.contains(from), "{from}");
    let path = dir.join("siqaco.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

#[test]
fn each_configuration_error_exits_2_naming_its_key_and_changes_nothing() {
    let cases = [
        (
            "path = \"final\"",
            "path = \"\"",
            "archive.path: must not be empty",
        ),
        (
            "url = \"cat.sqlite\"",
            "url = \"/dev/null\"",
            "catalogue.url: database: /dev/null: is a character device",
        ),
        (
            "url = \"cat.sqlite\"",
            "url = \"missing/cat.sqlite\"",
            "catalogue.url: database: ./missing/cat.sqlite: the directory ./missing does not exist",
        ),
        (
            "length = 2",
            "length = 4294967295",
            "window.length: 4294967295 is more than the maximum 439200 hours",
        ),
        (
            "length = 2",
            "length = \"2\"",
            "window.length: invalid type: string \"2\", expected an integer",
        ),
        (
            "in_flight = 4",
            "in_flight = 100000",
            "requests.in_flight: 100000 is more than the maximum 256",
        ),
        (
            "timeout_s = 60",
            "timeout_s = 1e300",
            "sources[0].timeout_s: 1e300 is more than the maximum 604800.0 s",
        ),
        (
            "select = [\"IU.COLA.00.BHZ\"]",
            "file = \"missing.list\"",
            "streams.file: ./missing.list does not exist",
        ),
    ];
    for (from, to, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), from, to);
        let before: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(["update", "--config", "siqaco.toml"])
            .args(["--start", "2010-02-27", "--end", "2010-02-28"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{to}: {err}");
        assert!(err.contains(want), "{to}: {err}");
        assert!(!err.contains("panicked"), "{to}: {err}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            before.len(),
            "{to}: something was created beside {}",
            cfg.display()
        );
    }

    // A source that cannot be opened keeps its own error (exit 1, the C status and the
    // Python class unchanged) and names the key.
    for (to, want) in [
        (
            "kind = \"tsindex\"\ntsindex = ",
            "sources[0].tsindex (backup): ",
        ),
        (
            "kind = \"program\"\ncommand = ",
            "sources[0].command (backup): ",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        config(dir.path(), "kind = \"archive\"\npath = ", to);
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(["update", "--config", "siqaco.toml"])
            .args(["--start", "2010-02-27", "--end", "2010-02-28"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{to}: {err}");
        assert!(err.contains(want), "{to}: {err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{to}");
    }
}
