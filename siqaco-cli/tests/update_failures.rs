//! `siqaco update` when sources fail: a source that is down, one that has no data, one
//! that fails half-way (a program writing a truncated record), the lifespan policy, and
//! `stack retry|cancel`, `request create`. Requests move to retry/failed, then on_hold,
//! with the reasons recorded; the archive never changes.

mod common;

use common::*;
use siqaco::testing::test_data_dir;
use siqaco::time::parse_time;
use std::path::Path;

const WINDOW: (&str, &str) = ("2025-11-10T00:03:00", "2025-11-10T22:00:00");
const LHZ: &str = "2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314";

/// A copy of sds-small without the LHZ record holding 12:00, and a configuration with
/// `sources` (TOML) and `retry`.
fn setup(d: &Path, retry: &str, sources: &str) -> std::path::PathBuf {
    let data = test_data_dir().unwrap();
    copy_tree(&data.join("sds-small"), &d.join("final"));
    let noon = parse_time("2025-11-10T12:00:00").unwrap();
    assert_eq!(
        keep_records(&d.join("final").join(LHZ), |s, e| !(s <= noon && e > noon)),
        1
    );
    let config = d.join("siqaco.toml");
    std::fs::write(
        &config,
        format!(
            "[archive]\npath = \"final\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
             [streams]\nselect = [\"CH.BALST..LHZ\"]\n[requests]\nretry = {retry}\n{sources}"
        ),
    )
    .unwrap();
    config
}

fn update(config: &Path) -> (i32, serde_json::Value) {
    run_json(&update_args(config, WINDOW))
}

fn only_request(config: &Path) -> serde_json::Value {
    let s = stack_json(config);
    assert_eq!(s.as_array().unwrap().len(), 1, "{s:#}");
    s[0].clone()
}

/// Runs the update three times with `retry = { count = 2 }`: failed or retry, then
/// on_hold, then left alone; the archive bytes never change.
fn fails_then_on_hold(sources: &str, first_state: &str, outcome: &str, reason: &str) {
    if test_data_dir().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), "{ count = 2 }", sources);
    let before = tree_bytes(&dir.path().join("final"));
    let (code, s) = update(&config);
    assert_eq!(code, 3, "{s:#}");
    assert_eq!(
        (
            s["requests_created"].as_u64(),
            s["requests_failed"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let r = only_request(&config);
    assert_eq!(r["state"], first_state, "{r:#}");
    assert!(r["reason"].as_str().unwrap().contains(reason), "{r:#}");
    assert_eq!(r["attempt_list"][0]["outcome"], outcome, "{r:#}");
    let (code, _) = update(&config);
    assert_eq!(code, 3);
    let r = only_request(&config);
    assert_eq!(r["state"], "on_hold", "{r:#}");
    assert_eq!(r["attempts"], 2);
    assert!(
        r["reason"].as_str().unwrap().contains("2 attempt(s)"),
        "{r:#}"
    );
    // On hold: left alone, no new request for the same gap.
    let (code, s) = update(&config);
    assert_eq!(code, 3);
    assert_eq!(
        (s["requests_created"].as_u64(), s["requests_sent"].as_u64()),
        (Some(0), Some(0)),
        "{s:#}"
    );
    assert_eq!(only_request(&config)["attempts"], 2);
    assert_eq!(
        tree_bytes(&dir.path().join("final")),
        before,
        "the archive changed"
    );
    // stack retry puts it back with a fresh count; stack cancel ends it for good.
    let cfg = config.to_str().unwrap();
    let (code, _) = run_json_text(&["stack", "retry", "--config", cfg]);
    assert_eq!(code, 0);
    let r = only_request(&config);
    assert_eq!(
        (r["state"].as_str(), r["attempts"].as_u64()),
        (Some("retry"), Some(0))
    );
    let id = r["id"].to_string();
    let (code, _) = run_json_text(&["stack", "cancel", "--config", cfg, &id]);
    assert_eq!(code, 0);
    let (code, s) = update(&config);
    assert_eq!(
        code, 0,
        "a cancelled request does not keep the window open: {s:#}"
    );
    assert_eq!(
        (s["requests_created"].as_u64(), s["requests_sent"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(only_request(&config)["state"], "cancelled");
    assert_eq!(tree_bytes(&dir.path().join("final")), before);
}

fn run_json_text(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn source_down_fails_then_on_hold() {
    let port = siqaco::testing::free_port();
    fails_then_on_hold(
        &format!(
            "[[sources]]\nname = \"down\"\nkind = \"fdsn\"\nurl = \"http://127.0.0.1:{port}\"\n\
             availability = \"assume\"\ntimeout_s = 5\n"
        ),
        "failed",
        "offline",
        "down: offline",
    );
}

#[test]
fn source_without_data_retry_then_on_hold() {
    let empty = tempfile::tempdir().unwrap();
    fails_then_on_hold(
        &format!(
            "[[sources]]\nname = \"empty\"\nkind = \"archive\"\npath = \"{}\"\navailability = \"assume\"\n",
            empty.path().display()
        ),
        "retry",
        "no_data",
        "no source had the missing",
    );
}

/// A program source that writes a truncated record (half-way through) and exits 0: the
/// data is rejected, nothing reaches the archive or stays in the staging directory.
#[test]
fn source_failing_half_way_is_rejected() {
    let Some(data) = test_data_dir() else { return };
    let tools = tempfile::tempdir().unwrap();
    let script = tools.path().join("half.sh");
    let rec = data.join("sds-small").join(LHZ);
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do case $a in --workspace=*) ws=${{a#--workspace=}};; esac; done\n\
             head -c 700 '{}' > \"$ws/CH.BALST..LHZ\"\nexit 0\n",
            rec.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    fails_then_on_hold(
        &format!(
            "[[sources]]\nname = \"half\"\nkind = \"program\"\ncommand = \"{}\"\navailability = \"assume\"\n",
            script.display()
        ),
        "failed",
        "error",
        "half:",
    );
}

/// `retry = { hours = H }`: after H hours a request goes on hold without another attempt.
#[test]
fn lifespan_in_hours() {
    if test_data_dir().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    // 0.0003 h = 1.08 s.
    let config = setup(
        dir.path(),
        "{ hours = 0.0003 }",
        &format!(
            "[[sources]]\nname = \"empty\"\nkind = \"archive\"\npath = \"{}\"\navailability = \"assume\"\n",
            empty.path().display()
        ),
    );
    let (code, _) = update(&config);
    assert_eq!(code, 3);
    assert_eq!(only_request(&config)["state"], "retry");
    std::thread::sleep(std::time::Duration::from_millis(1300));
    let (code, s) = update(&config);
    assert_eq!(code, 3);
    assert_eq!(s["requests_sent"], 0, "{s:#}");
    let r = only_request(&config);
    assert_eq!(
        (r["state"].as_str(), r["attempts"].as_u64()),
        (Some("on_hold"), Some(1)),
        "{r:#}"
    );
    assert!(r["reason"].as_str().unwrap().contains("lifespan"), "{r:#}");
}

/// `request create` adds a forced request for a source; `stack run` executes it; bad
/// configurations exit 2 naming the key.
#[test]
fn request_create_stack_run_and_config_errors() {
    let Some(data) = test_data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let orig = data.join("sds-small");
    let config = setup(
        dir.path(),
        "{ count = 3 }",
        &format!(
            "[[sources]]\nname = \"a\"\nkind = \"archive\"\npath = \"{0}\"\n\
             [[sources]]\nname = \"b\"\nkind = \"archive\"\npath = \"{0}\"\npriority = 2\n",
            orig.display()
        ),
    );
    let cfg = config.to_str().unwrap();
    let (code, out) = run_json_text(&[
        "request",
        "create",
        "--config",
        cfg,
        "--select",
        "CH.BALST..LH?",
        "--start",
        "2025-11-10T11:00:00",
        "--end",
        "2025-11-10T13:00:00",
        "--source",
        "b",
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 2, "one request per stream: {out}");
    let (code, s) = run_json(&["stack", "run", "--config", cfg, "--format", "json"]);
    assert_eq!(code, 0, "{s:#}");
    assert_eq!(s["requests_succeeded"], 2, "{s:#}");
    for r in stack_json(&config).as_array().unwrap() {
        assert_eq!(r["state"], "succeeded");
        for a in r["attempt_list"].as_array().unwrap() {
            assert_eq!(a["source"], "b", "only the forced source is asked: {r:#}");
        }
    }
    let w = (parse_time(WINDOW.0).unwrap(), parse_time(WINDOW.1).unwrap());
    assert_eq!(
        stream_samples(&dir.path().join("final"), w),
        stream_samples(&orig, w)
    );
    // Unknown source name, unknown key, bad value: exit 2, the key named.
    let (code, _) = run_json_text(&[
        "request",
        "create",
        "--config",
        cfg,
        "--select",
        "CH.BALST..LHZ",
        "--start",
        "2025-11-10",
        "--end",
        "2025-11-11",
        "--source",
        "nope",
    ]);
    assert_eq!(code, 2);
    for (text, key) in [
        ("[archive]\npath = \"x\"\nfoo = 1\n[catalogue]\nurl = \"c\"\n[streams]\nselect = [\"XX\"]\n", "foo"),
        ("[archive]\npath = \"x\"\nencoding = \"steim3\"\n[catalogue]\nurl = \"c\"\n[streams]\nselect = [\"XX\"]\n", "archive.encoding"),
        ("[archive]\npath = \"x\"\n[catalogue]\nurl = \"c\"\n[streams]\nselect = [\"XX\"]\n[window]\nlength = 1\nfrequency = 2\n", "window.length"),
    ] {
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, text).unwrap();
        let out = std::process::Command::new(BIN)
            .args(["update", "--config", bad.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{key} not named in: {err}");
    }
}

/// A multiplexed station: the gaps of its channels become one request `CH BALST * *`,
/// and one fetch fills both channels.
#[test]
fn multiplexed_station_one_request_for_all_channels() {
    let Some(data) = test_data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let orig = data.join("sds-small");
    copy_tree(&orig, &d.join("final"));
    let noon = parse_time("2025-11-10T12:00:00").unwrap();
    for f in [LHZ, "2025/CH/BALST/LHE.D/CH.BALST..LHE.D.2025.314"] {
        assert_eq!(
            keep_records(&d.join("final").join(f), |s, e| !(s <= noon && e > noon)),
            1
        );
    }
    let config = d.join("siqaco.toml");
    std::fs::write(
        &config,
        format!(
            "[archive]\npath = \"final\"\n[catalogue]\nurl = \"cat.sqlite\"\n[streams]\n\
             select = [\"CH.BALST..LHZ\", \"CH.BALST..LHE\"]\nmultiplexed = [\"CH.BALST\"]\n\
             [[sources]]\nname = \"sds\"\nkind = \"archive\"\npath = \"{}\"\n",
            orig.display()
        ),
    )
    .unwrap();
    let (code, s) = update(&config);
    assert_eq!(code, 0, "{s:#}");
    assert_eq!(
        (s["gaps_found"].as_u64(), s["requests_created"].as_u64()),
        (Some(2), Some(1)),
        "{s:#}"
    );
    let r = only_request(&config);
    assert_eq!(
        (r["stream"].as_str(), r["state"].as_str()),
        (Some("CH.BALST.*.*"), Some("succeeded")),
        "{r:#}"
    );
    let lines = r["attempt_list"][0]["lines"].as_str().unwrap();
    assert!(lines.starts_with("CH BALST * * "), "{lines}");
    let w = (parse_time(WINDOW.0).unwrap(), parse_time(WINDOW.1).unwrap());
    assert_eq!(
        stream_samples(&d.join("final"), w),
        stream_samples(&orig, w)
    );
}

/// A `tsindex` source (a catalogue of the untouched archive with relative file names, as
/// ObsPy's Indexer writes them): its availability comes from the catalogue, the record is
/// read from the section's byte range and the archive ends equal to the original; a
/// missing catalogue is a configuration that fails with the file named.
#[test]
fn tsindex_catalogue_source_fills_the_hole() {
    let Some(data) = test_data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let orig = d.join("orig");
    copy_tree(&data.join("sds-small"), &orig);
    let out = std::process::Command::new(BIN)
        .args(["index", orig.to_str().unwrap(), "--relative-paths", "--db"])
        .arg(orig.join("timeseries.sqlite"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = setup(
        d,
        "{ count = 2 }",
        "[[sources]]\nname = \"cat\"\nkind = \"tsindex\"\ntsindex = \"orig/timeseries.sqlite\"\n",
    );
    let (code, s) = update(&config);
    assert_eq!(code, 0, "{s:#}");
    assert_eq!(s["requests_succeeded"].as_u64(), Some(1), "{s:#}");
    assert!(s["samples_added"].as_u64().unwrap() > 0, "{s:#}");
    assert_eq!(only_request(&config)["state"], "succeeded");
    let w = (parse_time(WINDOW.0).unwrap(), parse_time(WINDOW.1).unwrap());
    assert_eq!(
        stream_samples(&d.join("final"), w),
        stream_samples(&orig, w)
    );

    let bad = d.join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&config)
            .unwrap()
            .replace("orig/timeseries.sqlite", "orig/missing.sqlite"),
    )
    .unwrap();
    let out = std::process::Command::new(BIN)
        .args(["update", "--config", bad.to_str().unwrap()])
        .args(["--start", WINDOW.0, "--end", WINDOW.1])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("missing.sqlite"), "{err}");
}
