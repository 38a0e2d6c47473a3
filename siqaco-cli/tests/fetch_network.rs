//! `siqaco fetch` and `siqaco update` against misbehaving FDSN servers on 127.0.0.1 (issue
//! #16): a server whose records carry codes that cannot be filed in an archive, and a
//! server that trickles its body.

mod common;

use common::*;
use siqaco::testing::test_data_dir;
use siqaco::time::parse_time;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// What the test server sends after the head of a 200 response: the body and how.
#[derive(Clone)]
enum Body {
    /// All at once.
    Whole(Vec<u8>),
    /// `n` bytes at a time with `pause` between writes (a server that trickles its body).
    Trickle(Vec<u8>, usize, Duration),
}

/// Serves `body` with status 200 to every connection (each in its own thread) until the
/// test process ends; returns the port.
fn serve_forever(body: Body) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { break };
            let body = body.clone();
            std::thread::spawn(move || {
                siqaco::testing::read_http_request(&mut s);
                let (bytes, n, pause) = match body {
                    Body::Whole(b) => {
                        let n = b.len();
                        (b, n, Duration::ZERO)
                    }
                    Body::Trickle(b, n, pause) => (b, n, pause),
                };
                siqaco::testing::write_trickled(&mut s, &bytes, n, pause);
            });
        }
    });
    port
}

/// Issue #16, defect 9: when the server's records carry codes that cannot be filed in an
/// archive (a station `../..`, matched by the glob asked), `fetch` exited 2 ("bad
/// arguments"), blaming the user. It now exits 1 (a network/data error) with a message
/// naming the URL and the record's byte offset, and writes nothing.
#[test]
fn server_records_with_bad_codes_are_a_network_error() {
    let Some(d) = test_data_dir() else { return };
    let mut bytes =
        std::fs::read(d.join("sds-small/2010/IU/COLA/BH1.D/IU.COLA.00.BH1.D.2010.058")).unwrap();
    bytes[8..13].copy_from_slice(b"../..");
    let port = serve_forever(Body::Whole(bytes));
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args([
            "fetch",
            "--source",
            &format!("http://127.0.0.1:{port}"),
            "--select",
            "IU.*.00.BH1",
            "--start",
            "2010-02-27",
            "--end",
            "2010-02-28",
            "--out",
            out.path().to_str().unwrap(),
            "--retries",
            "0",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "http://127.0.0.1:{port}/fdsnws/dataselect/1/query: HTTP 200: "
        )),
        "{err}"
    );
    assert!(err.contains("at byte 0"), "{err}");
    assert!(tree_bytes(out.path()).is_empty(), "{err}");
}

const WINDOW: (&str, &str) = ("2025-11-10T00:03:00", "2025-11-10T22:00:00");
const LHZ: &str = "2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314";

/// Issue #16, defect 6: an update whose FDSN source has `timeout_s = 2` ran for as long as
/// the server kept trickling (a real day file sent in 240 pieces half a second apart, 120 s
/// per request: every read gets bytes well within the timeout). The timeout is the deadline
/// of a whole request: each attempt is cut at 2 s, the retries give up, the request fails
/// with the deadline as its reason and the archive is unchanged.
#[test]
fn update_timeout_s_cuts_a_trickling_server() {
    let Some(data) = test_data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&data.join("sds-small"), &dir.path().join("final"));
    let noon = parse_time("2025-11-10T12:00:00").unwrap();
    let day = std::fs::read(dir.path().join("final").join(LHZ)).unwrap();
    assert_eq!(
        keep_records(&dir.path().join("final").join(LHZ), |s, e| !(s <= noon
            && e > noon)),
        1
    );
    let port = serve_forever(Body::Trickle(
        day.clone(),
        day.len().div_ceil(240),
        Duration::from_millis(500),
    ));
    let config = dir.path().join("siqaco.toml");
    std::fs::write(
        &config,
        format!(
            "[archive]\npath = \"final\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
             [streams]\nselect = [\"CH.BALST..LHZ\"]\n\
             [[sources]]\nname = \"slow\"\nkind = \"fdsn\"\nurl = \"http://127.0.0.1:{port}\"\n\
             availability = \"assume\"\ntimeout_s = 2\n"
        ),
    )
    .unwrap();
    let before = tree_bytes(&dir.path().join("final"));
    let t0 = Instant::now();
    let (code, s) = run_json(&update_args(&config, WINDOW));
    let took = t0.elapsed();
    // Five attempts of 2 s and 15 s of backoff, against 120 s for one whole body.
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert_eq!(code, 3, "{s:#}");
    assert_eq!(s["requests_failed"].as_u64(), Some(1), "{s:#}");
    let stack = stack_json(&config);
    let reason = stack[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "http://127.0.0.1:{port}/fdsnws/dataselect/1/query"
        )) && reason.contains("2 s deadline"),
        "{stack:#}"
    );
    assert_eq!(tree_bytes(&dir.path().join("final")), before);
    // No staging left in the archive (the lock file stays, by design).
    let left: Vec<String> = Path::new(&dir.path().join("final"))
        .read_dir()
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".siqaco-") && n != siqaco::update::LOCK_NAME)
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
