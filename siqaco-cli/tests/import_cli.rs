//! `siqaco import morumotto` and `siqaco import seiscomp` (issue #22, items 1 and 2): the
//! written `siqaco.toml` is accepted by `siqaco update --dry-run`, which plans the requests
//! Morumotto's window would have (same window, same streams, same source order; the window
//! computed here from Morumotto's rule, `analysis_window` in its `archive/update.py`); a dump's
//! open requests and gaps land in the request stack; bad input is refused naming the file
//! and the field; SeisComP bindings + a StationXML inventory select exactly the bound,
//! selected, open channels.

use siqaco::update::config::{AvailabilityMode, Config, RetryPolicy};
use siqaco::update::window::Granularity;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_siqaco");
const NS: i64 = 1_000_000_000;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/morumotto")
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Morumotto's `analysis_window` (morumotto.md §1.D): hourly, `start = floor_hour(now) −
/// (L+W) h`, `end = start + W h`; daily, `start = midnight_today − (L+W) days`, `end =
/// start + W days`. In ns.
fn morumotto_window(now_s: i64, unit_s: i64, w: i64, l: i64) -> (i64, i64) {
    let floor = now_s - now_s.rem_euclid(unit_s);
    let start = floor - (l + w) * unit_s;
    (start * NS, (start + w * unit_s) * NS)
}

/// `siqaco update --dry-run --format json` of `config`, with the window Morumotto would
/// have used at the same moment (retried when an hour or a day turned meanwhile).
fn dry_run(config: &Path, unit_s: i64, w: i64, l: i64) -> (serde_json::Value, (i64, i64)) {
    for _ in 0..3 {
        let before = morumotto_window(now_s(), unit_s, w, l);
        let (code, out, err) = run(&[
            "update",
            "--config",
            config.to_str().unwrap(),
            "--dry-run",
            "--format",
            "json",
        ]);
        let after = morumotto_window(now_s(), unit_s, w, l);
        assert!(code == 0 || code == 3, "dry run: {code} {err}");
        if before == after {
            return (serde_json::from_str(&out).unwrap(), before);
        }
    }
    panic!("the clock turned three times");
}

fn t(text: &serde_json::Value) -> i64 {
    siqaco::time::parse_time(text.as_str().unwrap()).unwrap()
}

/// The planned request lines as (source, stream `N.S.L.C`, start ns, end ns), in the
/// order of the dry run.
fn planned(doc: &serde_json::Value) -> Vec<(String, String, i64, i64)> {
    let mut out = Vec::new();
    for p in doc["planned"].as_array().unwrap() {
        for line in p["lines"].as_array().unwrap() {
            let f: Vec<&str> = line.as_str().unwrap().split_whitespace().collect();
            assert_eq!(f.len(), 6, "{line}");
            out.push((
                p["source"].as_str().unwrap().to_string(),
                f[..4].join("."),
                siqaco::time::parse_time(f[4]).unwrap(),
                siqaco::time::parse_time(f[5]).unwrap(),
            ));
        }
    }
    out
}

/// The streams of a Morumotto `nslc.list`, each once (read here, by the format of
/// morumotto.md: `#` header, `NET|STA|LOC|CHA`, one line per epoch).
fn nslc_list(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>().join("."))
        .collect()
}

#[test]
fn morumotto_example_fixtures_plan_morumottos_window_streams_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("siqaco.toml");
    let f = fixtures();
    let (code, stdout, err) = run(&[
        "import",
        "morumotto",
        "--setup",
        f.join("setup.xml").to_str().unwrap(),
        "--sources",
        f.join("sources.xml").to_str().unwrap(),
        "--nslc",
        f.join("nslc.list").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    // The quirk: sources.xml's nslc pk 1 is no object of the fixtures.
    assert!(err.contains("pk 1"), "{err}");
    let c = Config::from_path(&out).unwrap();
    // setup.xml (morumotto.md §1.A): SDS, 4096, STEIM2, M, lifespan n=30, n_request 10,
    // max_gaps 10, hourly, f=1, w=5, l=24.
    assert_eq!(c.archive.path, Path::new("/path/to/your/final_archive"));
    assert_eq!(c.archive.layout, siqaco::archive::Layout::Sds);
    assert_eq!(c.archive.output.record_length, Some(4096));
    assert_eq!(c.archive.output.encoding, Some(11));
    assert_eq!(c.archive.output.pub_version, Some(4));
    assert_eq!(c.requests.retry, RetryPolicy::Count(30));
    assert_eq!(c.requests.in_flight, 10);
    assert_eq!(c.requests.max_gaps_per_day_file, 10);
    assert_eq!(c.requests.widen_s, 1.0);
    assert_eq!(c.window.granularity, Granularity::Hour);
    assert_eq!(
        (c.window.frequency, c.window.length, c.window.latency),
        (1, 5, 24)
    );
    assert_eq!(c.sources.len(), 1);
    assert_eq!(c.sources[0].name, "IPGP_FDSNWS");
    assert_eq!(c.sources[0].availability, AvailabilityMode::Service);
    assert_eq!(
        c.catalogue,
        dir.path().join("siqaco.sqlite").to_str().unwrap()
    );
    // Every setup.xml field without an equivalent is listed with why.
    let text = std::fs::read_to_string(&out).unwrap();
    for field in [
        "archive.configuration.config_name = MORUMOTTO_CONFIG",
        "archive.configuration.debug_mode",
        "archive.configuration.initialisation",
        "monitoring.archivemonitoring",
        "qualitycontrol.qcconfig",
        "archive.source[IPGP_FDSNWS].log_level",
    ] {
        assert!(text.contains(&format!("#   {field}")), "{field}");
    }

    // The dry run plans Morumotto's window, its streams, its source: the archive is
    // empty, so every stream is one gap over the whole window, asked ±1 s wider.
    let (doc, (ws, we)) = dry_run(&out, 3600, 5, 24);
    assert_eq!((t(&doc["window_start"]), t(&doc["window_end"])), (ws, we));
    let streams = nslc_list(&f.join("nslc.list"));
    assert_eq!(doc["streams_checked"], streams.len());
    let lines = planned(&doc);
    let got: BTreeSet<String> = lines.iter().map(|l| l.1.clone()).collect();
    assert_eq!(got, streams);
    assert_eq!(lines.len(), streams.len());
    for (source, stream, s, e) in &lines {
        assert_eq!(source, "IPGP_FDSNWS");
        assert_eq!((*s, *e), (ws - NS, we + NS), "{stream}");
    }
    // Nothing was created by the dry run.
    assert!(!dir.path().join("siqaco.sqlite").exists());
}

#[test]
fn morumotto_dump_configuration_stack_and_source_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("siqaco.toml");
    let dump = fixtures().join("db.json");
    let args = [
        "import",
        "morumotto",
        "--dump",
        dump.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    let (code, stdout, err) = run(&args);
    assert_eq!(code, 0, "{stdout}{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["requests_imported"], 4);
    assert_eq!(
        report["sources"],
        serde_json::json!(["local_backup", "IPGP_FDSNWS"])
    );
    let c = Config::from_path(&out).unwrap();
    // db.json's configuration: daily, w=3, l=1, lifespan p=48, n_request 4, max_gaps 5,
    // blocksize 512, STEIM1, quality D.
    assert_eq!(c.window.granularity, Granularity::Day);
    assert_eq!(
        (c.window.frequency, c.window.length, c.window.latency),
        (1, 3, 1)
    );
    assert_eq!(c.requests.retry, RetryPolicy::Hours(48.0));
    assert_eq!(c.requests.in_flight, 4);
    assert_eq!(c.requests.max_gaps_per_day_file, 5);
    assert_eq!(c.archive.output.record_length, Some(512));
    assert_eq!(c.archive.output.encoding, Some(10));
    assert_eq!(c.archive.output.pub_version, Some(2));
    assert_eq!(
        c.streams.multiplexed,
        [("G".to_string(), "CAN".to_string())]
    );
    // Sources by priority: LOCAL_DIR (1) before FdsnWS (2, its name's space made _); the
    // SSH_SDS source is a comment saying why.
    let names: Vec<&str> = c.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["local_backup", "IPGP_FDSNWS"]);
    assert_eq!(
        c.sources[0].kind,
        siqaco::source::SourceSpec::Archive {
            path: "/srv/backup/sds".into(),
            layout: siqaco::archive::Layout::Sds
        }
    );
    assert_eq!(c.sources[0].availability, AvailabilityMode::Assume);
    let sel: Vec<String> = c.sources[0]
        .select
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(sel, ["G.AIS.00.BHE", "G.AIS.00.BHN", "G.AIS.00.BHZ"]);
    assert_eq!(c.sources[1].bandwidth_bytes_per_s, Some(500 * 1024));
    assert!(c.sources[1].select.is_empty());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("# Source remote_sds (priority 3) is not imported:"));
    assert!(text.contains("#   monitoring.stat = 1 object"));
    assert!(text.contains("#   archive.source[IPGP_FDSNWS].cpu_limit = 50"));

    // The stack: open requests with their states, the gap without request as new, the
    // multiplexed station's request for N.S.*.*, nothing of the succeeded request.
    let stack = |out: &Path| -> Vec<(String, String, String, String)> {
        let (code, s, e) = run(&[
            "stack",
            "list",
            "--config",
            out.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{e}");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        let mut rows: Vec<_> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["stream"].as_str().unwrap().to_string(),
                    r["start"].as_str().unwrap().to_string(),
                    r["end"].as_str().unwrap().to_string(),
                    r["state"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let want = vec![
        (
            "G.AIS.00.BHE".into(),
            "2019-12-27T00:00:00.000000Z".into(),
            "2019-12-27T02:00:00.000000Z".into(),
            "cancelled".into(),
        ),
        (
            "G.AIS.00.BHE".into(),
            "2019-12-30T10:00:00.000000Z".into(),
            "2019-12-30T11:00:00.000000Z".into(),
            "retry".into(),
        ),
        (
            "G.AIS.00.BHN".into(),
            "2019-12-30T12:00:00.500000Z".into(),
            "2019-12-30T12:30:00.000000Z".into(),
            "new".into(),
        ),
        (
            "G.CAN.*.*".into(),
            "2019-12-28T00:00:00.000000Z".into(),
            "2019-12-28T06:00:00.000000Z".into(),
            "on_hold".into(),
        ),
    ];
    assert_eq!(stack(&out), want);

    // The plan: Morumotto's daily window, every stream, sources in priority order.
    let (doc, (ws, we)) = dry_run(&out, 86_400, 3, 1);
    assert_eq!((t(&doc["window_start"]), t(&doc["window_end"])), (ws, we));
    assert_eq!(doc["streams_checked"], 6);
    let lines: Vec<_> = planned(&doc)
        .into_iter()
        .filter(|l| (l.2, l.3) == (ws - NS, we + NS))
        .collect();
    let by = |src: &str| -> BTreeSet<String> {
        lines
            .iter()
            .filter(|l| l.0 == src)
            .map(|l| l.1.clone())
            .collect()
    };
    assert_eq!(
        by("local_backup"),
        ["G.AIS.00.BHE", "G.AIS.00.BHN", "G.AIS.00.BHZ"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        by("IPGP_FDSNWS"),
        ["G.AIS.00.BHE", "G.AIS.00.BHN", "G.AIS.00.BHZ", "G.CAN.*.*"]
            .map(String::from)
            .into()
    );
    let first_fdsn = lines.iter().position(|l| l.0 == "IPGP_FDSNWS").unwrap();
    assert!(lines[..first_fdsn].iter().all(|l| l.0 == "local_backup"));
    assert_eq!(first_fdsn, 3);

    // Never over an existing file without --force; with it, the stack gets nothing twice.
    let before = std::fs::read(&out).unwrap();
    let (code, _, err) = run(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--out") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let mut forced = args.to_vec();
    forced.push("--force");
    let (code, stdout, err) = run(&forced);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["requests_imported"], 0);
    assert_eq!(stack(&out), want);
}

#[test]
fn bad_morumotto_input_is_refused_naming_the_file_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    let sources = std::fs::read_to_string(f.join("sources.xml")).unwrap();
    let setup = f.join("setup.xml");
    let cases: Vec<(&str, String, &str)> = vec![
        ("unknown plugin", sources.replace(">FdsnWS<", ">SeedLink<"), "archive.source pk=1: field type: unknown plugin \"SeedLink\""),
        ("missing field", sources.replace("<field name=\"priority\" type=\"PositiveIntegerField\">1</field>", ""), "archive.source pk=1: field priority: missing"),
        ("bad value", sources.replace(">ws.ipgp.fr<", "><").replace(">1</field>\n        <field name=\"log_level\"", ">high</field>\n        <field name=\"log_level\""), "field priority: \"high\" is not an integer"),
        ("billion laughs", format!("<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n{}", &sources[sources.find("<django-objects").unwrap()..]).replace("ws.ipgp.fr", "&b;"), "line 2: a DOCTYPE is not accepted"),
        ("external entity", sources.replace("ws.ipgp.fr", "&xxe;"), "undefined entity &xxe;"),
        ("truncated", sources[..sources.find("<field name=\"log_level\"").unwrap()].to_string(), "unexpected end of file"),
    ];
    for (what, text, message) in cases {
        let bad = dir.path().join("sources.xml");
        std::fs::write(&bad, text).unwrap();
        let out = dir.path().join("siqaco.toml");
        let (code, _, err) = run(&[
            "import",
            "morumotto",
            "--setup",
            setup.to_str().unwrap(),
            "--sources",
            bad.to_str().unwrap(),
            "--nslc",
            f.join("nslc.list").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{what}: {err}");
        assert!(
            err.contains(bad.to_str().unwrap()) && err.contains(message),
            "{what}: {err}"
        );
        assert!(!out.exists(), "{what}");
    }
    // No streams at all: the fixtures hold no NSLC, and no nslc.list is given.
    let out = dir.path().join("siqaco.toml");
    let (code, _, err) = run(&[
        "import",
        "morumotto",
        "--setup",
        setup.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--nslc") && err.contains("no streams"),
        "{err}"
    );
    assert!(!out.exists());
}

/// A SeisComP installation in `root`: key files binding BW.FFB1 (profile `hh`: `HH?`),
/// BW.FFB2 (own binding: `BH? !BH1`, keep 14) and BW.RJOB (no binding file) to slarchive,
/// BW.FFB3 only to seedlink; `etc/slarchive.cfg` sets `archive = var/lib/sds`.
fn seiscomp_site(root: &Path) -> PathBuf {
    let keys = root.join("etc/key");
    std::fs::create_dir_all(keys.join("slarchive")).unwrap();
    for (file, text) in [
        (
            "station_BW_FFB1",
            "# bindings\nseedlink:geofon\nslarchive:hh\n",
        ),
        ("station_BW_FFB2", "seedlink\nslarchive\n"),
        ("station_BW_FFB3", "seedlink\n"),
        ("station_BW_RJOB", "slarchive\n"),
        ("slarchive/profile_hh", "selectors = HH?\nkeep = 30\n"),
        (
            "slarchive/station_BW_FFB2",
            "# own binding\nselectors = \"BH? !BH1\"\nkeep = 14\n",
        ),
    ] {
        std::fs::write(keys.join(file), text).unwrap();
    }
    std::fs::write(root.join("etc/slarchive.cfg"), "archive = var/lib/sds\n").unwrap();
    keys
}

#[test]
fn seiscomp_bindings_and_stationxml_select_the_bound_open_channels() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let keys = seiscomp_site(dir.path());
    let inv = dir.path().join("inventory");
    std::fs::create_dir(&inv).unwrap();
    for f in ["obspy-core__ffbx.stationxml", "obspy-core__BW_RJOB.xml"] {
        std::fs::copy(data.join("stationxml").join(f), inv.join(f)).unwrap();
    }
    let out = dir.path().join("siqaco.toml");
    let (code, stdout, err) = run(&[
        "import",
        "seiscomp",
        "--keys",
        keys.to_str().unwrap(),
        "--inventory",
        inv.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    // Expected: the inventory's channels (read with the StationXML reader, checked against
    // ObsPy in tests/peers) of each bound station, filtered by its selectors as written
    // above, whose epoch is open (all of these are).
    let inventory = siqaco::stationxml::read_stationxml_dir(&inv).unwrap();
    let mut want = BTreeSet::new();
    for c in inventory.channels() {
        let n = &c.nslc;
        let keep = match n.station.as_str() {
            "FFB1" => n.channel.starts_with("HH"),
            "FFB2" => n.channel.starts_with("BH") && n.channel != "BH1",
            "RJOB" => true,
            _ => false,
        };
        if keep && n.network == "BW" {
            assert!(c.end_ns.is_none());
            want.insert(n.to_string());
        }
    }
    assert_eq!(want.len(), 3 + 2 + 3);
    let c = Config::from_path(&out).unwrap();
    let got: BTreeSet<String> = c
        .streams
        .select
        .iter()
        .map(|g| g.as_exact().expect("exact codes").to_string())
        .collect();
    assert_eq!(got, want);
    assert_eq!(c.archive.path, dir.path().join("var/lib/sds"));
    assert_eq!(c.archive.layout, siqaco::archive::Layout::Sds);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let unmapped = report["unmapped"].as_array().unwrap();
    assert_eq!(unmapped.len(), 2, "{unmapped:?}"); // keep of the profile and of FFB2
    assert!(report["warnings"]
        .to_string()
        .contains("BW.RJOB: no binding file"));
    // siqaco update accepts the file.
    let (code, s, err) = run(&[
        "update",
        "--config",
        out.to_str().unwrap(),
        "--dry-run",
        "--format",
        "json",
    ]);
    assert!(code == 0 || code == 3, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(doc["streams_checked"], want.len());

    // Without an inventory the selectors become globs; the negative one is reported.
    let out2 = dir.path().join("globs.toml");
    let (code, _, err) = run(&[
        "import",
        "seiscomp",
        "--keys",
        keys.to_str().unwrap(),
        "--archive",
        dir.path().join("sds").to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("BW.FFB2: negative selectors"), "{err}");
    let c = Config::from_path(&out2).unwrap();
    let got: Vec<String> = c.streams.select.iter().map(ToString::to_string).collect();
    assert_eq!(got, ["BW.FFB1.*.HH?", "BW.FFB2.*.BH?", "BW.RJOB.*.*"]);
    assert_eq!(c.archive.path, dir.path().join("sds"));

    // A bad binding line names its file and line.
    std::fs::write(
        keys.join("station_BW_FFB3"),
        "seedlink\nslarchive:bad profile\n",
    )
    .unwrap();
    let (code, _, err) = run(&[
        "import",
        "seiscomp",
        "--keys",
        keys.to_str().unwrap(),
        "--out",
        dir.path().join("x.toml").to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("station_BW_FFB3: line 2: invalid binding"),
        "{err}"
    );
}
