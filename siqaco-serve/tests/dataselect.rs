//! fdsnws-dataselect of the server on 127.0.0.1 against sds-small: the limits of the
//! settings (413 as an FDSN error document), restricted streams left out of `query`, and
//! the response equal to the core's plan written directly.

use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions};
use siqaco::ops::fdsnws::dataselect::{DataselectRequest, SPEC};
use siqaco::ops::fdsnws::{Access, FdsnQuery};
use siqaco::ops::ServeSettings;
use siqaco::NslcGlob;
use siqaco_serve::{app, AppState};
use std::io::{Read, Write};
use std::path::Path;

/// `GET path` over HTTP/1.0: (status, body).
fn get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let head_end = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&all[..head_end]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, all[head_end + 4..].to_vec())
}

/// Serves `settings` on a free port in the background; returns the port.
fn start(rt: &tokio::runtime::Runtime, settings: ServeSettings) -> u16 {
    let state = AppState::new(settings).unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, app(state)).await });
    port
}

fn catalogue(sds: &Path, dir: &Path) -> String {
    let db = dir.join("ts.sqlite");
    let mut cat = Catalogue::open(&db).unwrap();
    cat.index_archive(&Archive::new(sds, Layout::Sds), &IndexOptions::default())
        .unwrap();
    db.display().to_string()
}

const QUERY: &str = "/fdsnws/dataselect/1/query?net=IU&sta=COLA&loc=00&cha=BH?\
                     &start=2010-02-27T07:00:00&end=2010-02-27T07:20:00";

#[test]
fn limits_and_restricted_streams() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let sds = data.join("sds-small");
    let dir = tempfile::tempdir().unwrap();
    let db = catalogue(&sds, dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();

    // The response is the core's plan, written.
    let mut settings = ServeSettings::new(&db);
    settings.archive = Some(sds.clone());
    let port = start(&rt, settings.clone());
    let (status, body) = get(port, QUERY);
    assert_eq!(status, 200);
    let pairs: Vec<(String, String)> = QUERY
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let req = DataselectRequest::from_query(FdsnQuery::from_pairs(&pairs, SPEC).unwrap()).unwrap();
    let cat = Catalogue::open_read_only(&db).unwrap();
    let plan = req.plan(&cat, Some(&sds), &Access::default()).unwrap();
    let mut want = Vec::new();
    plan.write(|r| {
        want.extend_from_slice(r);
        Ok(())
    })
    .unwrap();
    assert!(want.len() > 30_000);
    assert!(body == want, "the response is not the plan's records");

    // Over the byte limit, over the sample limit: 413 with an FDSN error document.
    for (max_bytes, max_samples, what) in [
        (plan.bytes - 1, u64::MAX, "bytes"),
        (u64::MAX, plan.samples - 1, "samples"),
    ] {
        let mut s = settings.clone();
        s.max_bytes = max_bytes;
        s.max_samples = max_samples;
        let port = start(&rt, s);
        let (status, body) = get(port, QUERY);
        assert_eq!(status, 413, "{what}");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with("Error 413: Payload Too Large"), "{text}");
        assert!(
            text.contains(&format!("limit of {}", max_bytes.min(max_samples))),
            "{text}"
        );
    }
    // At the limits: served.
    let mut s = settings.clone();
    s.max_bytes = plan.bytes;
    s.max_samples = plan.samples;
    assert_eq!(get(start(&rt, s), QUERY).0, 200);

    // Restricted streams are left out of `query`.
    let mut s = settings.clone();
    s.restricted = vec![NslcGlob::parse("IU.COLA.00.BH1").unwrap()];
    let port = start(&rt, s);
    let (status, body) = get(port, QUERY);
    assert_eq!(status, 200);
    assert!(body.len() < want.len() && body.len() > want.len() / 2);
    let (status, body) = get(port, &QUERY.replace("cha=BH?", "cha=BH1"));
    assert_eq!((status, body.len()), (204, 0));
}
