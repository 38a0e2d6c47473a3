//! `siqaco update --dry-run` from the catalogue (cron runs, docs/configuration.md "Dry runs
//! from the catalogue"): with a current catalogue the plan is the one a scan of the day
//! files gives, and no day file is read (their bytes replaced by zeros with the same size
//! and modification time leave the plan unchanged); a day file that changed since the
//! index is read again (the plan follows it, as a run without catalogue sees it).
//! Real data: `sds-small`, CH.BALST..LH?, one day at 1 Hz, with holes cut.

mod common;

use common::*;
use siqaco::testing::test_data_dir;
use siqaco::time::parse_time;
use std::path::Path;

const WINDOW: (&str, &str) = ("2025-11-10T00:03:00", "2025-11-10T22:00:00");
const LHE: &str = "2025/CH/BALST/LHE.D/CH.BALST..LHE.D.2025.314";
const LHZ: &str = "2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314";

/// The plan of a dry run: what it found and the requests it would send.
fn dry_plan(config: &Path) -> serde_json::Value {
    let (code, v) = run_json(&[&update_args(config, WINDOW)[..], &["--dry-run"]].concat());
    assert_eq!(code, 0, "{v:#}");
    serde_json::json!({
        "streams_checked": v["streams_checked"],
        "gaps_found": v["gaps_found"],
        "requests_created": v["requests_created"],
        "planned": v["planned"],
    })
}

/// Replaces the bytes of `file` by `bytes` keeping its modification time.
fn rewrite_keeping_mtime(file: &Path, bytes: &[u8]) {
    let mtime = std::fs::metadata(file).unwrap().modified().unwrap();
    std::fs::write(file, bytes).unwrap();
    let f = std::fs::File::options().write(true).open(file).unwrap();
    f.set_modified(mtime).unwrap();
}

#[test]
fn dry_run_takes_coverage_from_a_current_catalogue_and_rereads_changed_files() {
    let Some(data) = test_data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let final_ = d.join("final");
    copy_tree(&data.join("sds-small"), &final_);
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let hours = (
        parse_time("2025-11-10T06:00:00").unwrap(),
        parse_time("2025-11-10T09:00:00").unwrap(),
    );
    assert!(keep_records(&final_.join(LHZ), |s, _| s < hours.0 || s >= hours.1) >= 3);
    let config = d.join("siqaco.toml");
    std::fs::write(
        &config,
        r#"
[archive]
path = "final"
layout = "sds"

[catalogue]
url = "final.sqlite"

[streams]
select = ["CH.BALST..LH?"]

[[sources]]
name = "local"
kind = "archive"
path = "empty"
layout = "sds"
priority = 1
"#,
    )
    .unwrap();
    // Without a catalogue: the day files are scanned.
    let scanned = dry_plan(&config);
    assert_eq!(scanned["streams_checked"], 2, "{scanned:#}");
    assert!(scanned["gaps_found"].as_u64().unwrap() >= 1, "{scanned:#}");

    let (code, out, err) = run(&[
        "index",
        final_.to_str().unwrap(),
        "--db",
        d.join("final.sqlite").to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(dry_plan(&config), scanned);

    // No day file is read: zeros in their place, same size and time, same plan.
    let saved: Vec<(String, Vec<u8>)> = [LHE, LHZ]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(final_.join(f)).unwrap()))
        .collect();
    for (f, bytes) in &saved {
        rewrite_keeping_mtime(&final_.join(f), &vec![0u8; bytes.len()]);
    }
    assert_eq!(dry_plan(&config), scanned);
    for (f, bytes) in &saved {
        rewrite_keeping_mtime(&final_.join(f), bytes);
    }

    // A day file changed since the index is read again: three more hours missing in LHE.
    let more = (
        parse_time("2025-11-10T12:00:00").unwrap(),
        parse_time("2025-11-10T15:00:00").unwrap(),
    );
    assert!(keep_records(&final_.join(LHE), |s, _| s < more.0 || s >= more.1) >= 3);
    let changed = dry_plan(&config);
    assert_ne!(changed, scanned);
    std::fs::rename(d.join("final.sqlite"), d.join("aside.sqlite")).unwrap();
    assert_eq!(changed, dry_plan(&config), "the plan a scan gives");
}
