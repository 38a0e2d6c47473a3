//! The status page and its `/api/` on a catalogue of sds-small (copied, indexed): the JSON
//! against the core operations the `siqaco` command runs for the same catalogue
//! (`siqaco stats`, `siqaco stack list`, `siqaco qc`), restricted streams hidden from
//! anonymous requests, and the operator's actions (CSRF, configuration, the stack changed,
//! an update run in the background).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use siqaco::ops::{
    Control, IndexRequest, QcRequest, ServeSettings, StackListRequest, StatsRequest,
};
use siqaco::time::parse_time;
use siqaco_serve::status::Authenticated;
use siqaco_serve::{app, AppState};
use std::path::{Path, PathBuf};
use tower::ServiceExt;

/// A site: sds-small copied to `archive/` and indexed into `cat.sqlite`, a `siqaco.toml`
/// maintaining IU.COLA.00.BHZ there with the test data's sds-small as its source
/// (`Some` always: the test data is in the repository).
struct Site {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    catalogue: PathBuf,
    config: PathBuf,
}

fn site() -> Option<Site> {
    let data = siqaco::testing::test_data_dir()?;
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("archive");
    siqaco::testing::copy_tree(&data.join("sds-small"), &archive);
    let catalogue = tmp.path().join("cat.sqlite");
    IndexRequest::new(&archive, &catalogue)
        .run(&Control::new())
        .unwrap();
    let config = tmp.path().join("siqaco.toml");
    std::fs::write(
        &config,
        format!(
            "[archive]\npath = \"archive\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
             [streams]\nselect = [\"IU.COLA.00.BHZ\"]\n[[sources]]\nname = \"sds\"\n\
             kind = \"archive\"\npath = \"{}\"\n",
            data.join("sds-small").display()
        ),
    )
    .unwrap();
    Some(Site {
        _tmp: tmp,
        data,
        catalogue,
        config,
    })
}

impl Site {
    fn settings(&self) -> ServeSettings {
        let mut s = ServeSettings::new(self.catalogue.to_str().unwrap());
        s.config = Some(self.config.clone());
        s
    }
}

fn router(settings: ServeSettings) -> Router {
    app(AppState::new(settings).unwrap())
}

/// A request, as the operator `user` when given (the extension the digest authentication
/// records).
async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    user: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::from(body.to_string())).unwrap();
    if let Some(u) = user {
        req.extensions_mut()
            .insert(Authenticated { user: u.into() });
    }
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get_json(app: &Router, uri: &str, user: Option<&str>) -> Value {
    let (status, body) = call(app, "GET", uri, user, &[], "").await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// `v` as a client reads it: written as JSON text and parsed (numbers then compare as
/// the text the server sends, each f64 written with its shortest round-trip digits).
fn as_read<T: serde::Serialize>(v: &T) -> Value {
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

/// An action posted from the operator's page, as a browser sends the form.
async fn act(app: &Router, user: &str, action: &str, form: &str) -> (StatusCode, String) {
    call(
        app,
        "POST",
        &format!("/operator/actions/{action}"),
        Some(user),
        &[
            (
                header::CONTENT_TYPE.as_str(),
                "application/x-www-form-urlencoded",
            ),
            (header::ACCEPT.as_str(), "application/json"),
            (header::HOST.as_str(), "127.0.0.1:8080"),
            (header::ORIGIN.as_str(), "http://127.0.0.1:8080"),
        ],
        form,
    )
    .await
}

/// The CSRF token in the forms of the operator's page of `user`.
async fn token(app: &Router, user: &str) -> String {
    let (status, page) = call(app, "GET", "/operator", Some(user), &[], "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token")
        + 19;
    page[at..at + 64].to_string()
}

fn stack_list(config: &Path) -> Value {
    as_read(&StackListRequest::new(config).run(&Control::new()).unwrap())
}

/// `/api/streams` (the figures' data) and `/api/status` against `siqaco stats --per-day`
/// of the same catalogue, over the data's extent and over a window: the same streams,
/// extents, segments, gaps, rates, records, and each day's availability.
#[tokio::test]
async fn api_streams_equal_the_catalogue_statistics() {
    let Some(site) = site() else { return };
    let app = router(site.settings());
    for (query, window) in [
        ("", None),
        (
            "?start=2016-03-10&end=2016-03-14&net=BW",
            Some(("2016-03-10", "2016-03-14")),
        ),
    ] {
        let mut stats = StatsRequest::new(&site.catalogue);
        stats.analysis.per_day = true;
        if let Some((s, e)) = window {
            stats.analysis.select = vec!["BW.*.*.*".parse().unwrap()];
            stats.analysis.start_ns = Some(parse_time(s).unwrap());
            stats.analysis.end_ns = Some(parse_time(e).unwrap());
        }
        let stats = as_read(&stats.run(&Control::new()).unwrap());
        let api = get_json(&app, &format!("/api/streams{query}"), None).await;
        let status = get_json(&app, &format!("/api/status{query}"), None).await;
        let (want, got) = (
            stats["streams"].as_array().unwrap(),
            api["streams"].as_array().unwrap(),
        );
        assert!(!want.is_empty());
        assert_eq!(got.len(), want.len(), "{query}");
        assert_eq!(status["streams"].as_array().unwrap().len(), want.len());
        let days: Vec<&str> = api["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        if window.is_some() {
            assert_eq!(
                days,
                ["2016-03-10", "2016-03-11", "2016-03-12", "2016-03-13"]
            );
        }
        for (w, g) in want.iter().zip(got) {
            assert_eq!(g["nslc"], w["nslc"]);
            for k in ["earliest", "latest", "sample_rate_hz", "records"] {
                assert_eq!(g[k], w[k], "{} {k}", w["nslc"]);
            }
            let pairs = |v: &Value| -> Vec<Value> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| serde_json::json!([x["start"], x["end"]]))
                    .collect()
            };
            assert_eq!(g["segments"].as_array().unwrap(), &pairs(&w["segments"]));
            assert_eq!(g["gaps"].as_array().unwrap(), &pairs(&w["gaps"]));
            for d in w["days"].as_array().unwrap() {
                let i = days
                    .iter()
                    .position(|x| *x == d["date"].as_str().unwrap())
                    .unwrap();
                assert_eq!(
                    g["day_availability"][i], d["percent_availability"],
                    "{query} {} {}",
                    w["nslc"], d["date"]
                );
            }
            // /api/status has the same summary, without the segments
            let s = status["streams"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["nslc"] == w["nslc"])
                .unwrap();
            assert_eq!(s["day_availability"], g["day_availability"]);
            assert!(s.get("segments").is_none());
        }
    }
    // bad parameters are refused naming them
    for (uri, field) in [
        ("/api/status?runs=0", "runs: "),
        ("/api/stack?state=done", "state: "),
        ("/api/streams?frobnicate=1", "frobnicate: "),
        ("/api/streams?start=2016-03-14&end=2016-03-10", "endtime: "),
        ("/api/figures/map.svg", "no figure"),
    ] {
        let (status, body) = call(&app, "GET", uri, None, &[], "").await;
        assert!(status.is_client_error(), "{uri}: {status}");
        assert!(body.contains(field), "{uri}: {body}");
    }
}

/// Restricted streams: absent from every anonymous document, figure and page; shown to
/// the operator; `/operator` without credentials is refused.
#[tokio::test]
async fn restricted_streams_are_hidden_from_anonymous_requests() {
    let Some(site) = site() else { return };
    let mut settings = site.settings();
    settings.restricted = vec!["BW.*.*.*".parse().unwrap()];
    let app = router(settings);
    let create = siqaco::ops::RequestCreateRequest::new(
        &site.config,
        vec![
            "BW.FFB1..HHZ".parse().unwrap(),
            "IU.COLA.00.BHZ".parse().unwrap(),
        ],
        parse_time("2016-03-11").unwrap(),
        parse_time("2016-03-12").unwrap(),
    );
    assert_eq!(create.run(&Control::new()).unwrap().len(), 2);

    let all = get_json(&app, "/operator/api/streams", Some("op")).await;
    let anon = get_json(&app, "/api/streams", None).await;
    let names = |v: &Value| -> Vec<String> {
        v["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["nslc"].as_str().unwrap().to_string())
            .collect()
    };
    let (all, anon) = (names(&all), names(&anon));
    assert!(all.iter().any(|n| n.starts_with("BW.")));
    let open: Vec<String> = all.into_iter().filter(|n| !n.starts_with("BW.")).collect();
    assert_eq!(anon, open);

    let stack = get_json(&app, "/api/stack", None).await;
    assert_eq!(stack["total"], 1);
    assert_eq!(stack["requests"][0]["stream"], "IU.COLA.00.BHZ");
    let stack = get_json(&app, "/operator/api/stack", Some("op")).await;
    assert_eq!(stack["total"], 2);
    assert_eq!(stack["requests"], stack_list(&site.config));

    for uri in [
        "/",
        "/api/status",
        "/api/figures/calendar.svg",
        "/api/figures/timeline.svg",
    ] {
        let (status, body) = call(&app, "GET", uri, None, &[], "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!body.contains("BW."), "{uri} names a restricted stream");
    }
    let (_, page) = call(&app, "GET", "/operator", Some("op"), &[], "").await;
    assert!(page.contains("BW.FFB1..HHZ"));
    for uri in ["/operator", "/operator/api/streams", "/operator/api/status"] {
        let (status, _) = call(&app, "GET", uri, None, &[], "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    // the anonymous page has no action form and no token
    let (_, page) = call(&app, "GET", "/", None, &[], "").await;
    assert!(!page.contains("csrf"));
}

/// A POST without a valid CSRF token, from another origin, or without credentials changes
/// nothing; without a configuration the actions answer 409.
#[tokio::test]
async fn actions_need_a_token_the_same_origin_and_a_configuration() {
    let Some(site) = site() else { return };
    let app = router(site.settings());
    let form = "select=IU.COLA.00.BHZ&start=2010-02-26&end=2010-02-27";
    let good = token(&app, "op").await;
    let other = token(&app, "someone").await;
    assert_ne!(good, other);
    for csrf in ["", "00", &"0".repeat(64), &other] {
        let (status, body) = act(&app, "op", "request", &format!("{form}&csrf={csrf}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{csrf}: {body}");
    }
    let (status, _) = call(
        &app,
        "POST",
        "/operator/actions/request",
        Some("op"),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example"),
        ],
        &format!("{form}&csrf={good}"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &app,
        "POST",
        "/operator/actions/request",
        None,
        &[("content-type", "application/x-www-form-urlencoded")],
        &format!("{form}&csrf={good}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // a bad or unknown field is refused, naming it, before anything is done
    for (bad, field) in [
        (format!("{form}&colour=red"), "colour: "),
        (
            "select=IU.COLA.00.BHZ&start=yesterday&end=2010-02-27".into(),
            "start: ",
        ),
        (
            "select=IU.COLA.00.BHZ.X&start=2010-02-26&end=2010-02-27".into(),
            "select: ",
        ),
        (
            "select=IU.COLA.00.BHZ&start=2010-02-26".into(),
            "end: missing",
        ),
    ] {
        let (status, text) = act(&app, "op", "request", &format!("{bad}&csrf={good}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {text}");
        assert!(text.contains(field), "{bad}: {text}");
    }
    assert_eq!(stack_list(&site.config), serde_json::json!([]));

    let mut settings = site.settings();
    settings.config = None;
    let bare = router(settings);
    let t = token(&bare, "op").await;
    let (status, body) = act(&bare, "op", "request", &format!("{form}&csrf={t}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("no configuration"), "{body}");
    assert_eq!(stack_list(&site.config), serde_json::json!([]));
}

/// The operator creates, cancels and retries requests and starts an update run; the
/// stack and the runs the page shows are those `siqaco stack list` and the catalogue
/// give.
#[tokio::test]
async fn actions_change_the_stack_and_run_updates() {
    let Some(site) = site() else { return };
    let app = router(site.settings());
    let t = token(&app, "op").await;
    let (status, body) = act(
        &app,
        "op",
        "request",
        &format!("select=IU.COLA.00.BHZ,IU.COLA.00.BH1&start=2010-02-26&end=2010-02-27&csrf={t}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let listed = stack_list(&site.config);
    assert_eq!(created["result"]["created"], listed);
    let stack = get_json(&app, "/api/stack", None).await;
    assert_eq!(stack["requests"], listed);
    assert_eq!(stack["counts"]["new"], 2);
    let id = listed[0]["id"].as_i64().unwrap();

    let (status, body) = act(&app, "op", "cancel", &format!("ids={id}&csrf={t}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stack = get_json(&app, "/api/stack?state=cancelled", None).await;
    assert_eq!(stack["requests"][0]["id"], id);
    assert_eq!(
        (&stack["counts"]["new"], &stack["counts"]["cancelled"]),
        (&Value::from(1), &Value::from(1))
    );
    assert_eq!(stack["requests"][0], stack_list(&site.config)[0]);
    // a cancelled request cannot be retried; an unknown one is not found
    let (status, _) = act(&app, "op", "retry", &format!("ids={id}&csrf={t}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = act(&app, "op", "cancel", &format!("ids=99999&csrf={t}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = act(&app, "op", "frobnicate", &format!("csrf={t}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // an update run in the background over a window the archive holds
    let (status, body) = act(
        &app,
        "op",
        "update",
        &format!("start=2010-02-27T06:50:00&end=2010-02-27T08:00:00&csrf={t}"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let current = loop {
        let c = get_json(&app, "/operator/api/run/current", Some("op")).await;
        if c["running"] == false {
            break c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(current["user"], "op");
    assert_eq!(current["error"], Value::Null);
    let runs = get_json(&app, "/api/runs", None).await;
    assert_eq!(runs[0]["summary"], current["summary"]);
    assert_eq!(runs[0]["window_start"], "2010-02-27T06:50:00.000000Z");
    assert_eq!(current["summary"]["streams_checked"], 1);
    // anonymous users see the run without who started it
    let anon = get_json(&app, "/api/run/current", None).await;
    assert!(anon.get("user").is_none());
    assert_eq!(anon["summary"], current["summary"]);
    // the run attempted the pending requests: the page's stack is the catalogue's
    let stack = get_json(&app, "/api/status", None).await["stack"].clone();
    assert_eq!(stack["requests"], stack_list(&site.config));
    assert_eq!(stack["counts"]["new"], 0);
}

/// `/api/qc` gives the findings of the QC document the server was given (`siqaco qc` of
/// the same archive), counted by severity; without one, the page says so.
#[tokio::test]
async fn qc_findings_come_from_the_configured_document() {
    let Some(site) = site() else { return };
    let mut qc = QcRequest::new(
        site.data.join("sds-small"),
        site.data.join("stationxml").to_str().unwrap(),
    );
    qc.now_ns = Some(parse_time("2026-01-01").unwrap());
    let doc = as_read(&qc.run(&Control::new()).unwrap());
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    let path = site.catalogue.with_file_name("qc.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();

    let app = router(site.settings());
    let none = get_json(&app, "/api/qc", None).await;
    assert_eq!(none["configured"], false);
    let (_, page) = call(&app, "GET", "/", None, &[], "").await;
    assert!(page.contains("No QC report configured"));

    let mut settings = site.settings();
    settings.qc = Some(path);
    let app = router(settings);
    let got = get_json(&app, "/api/qc", None).await;
    assert_eq!(got["configured"], true);
    assert_eq!(&got["findings"], &doc["findings"]);
    assert_eq!(got["worst_severity"], doc["worst_severity"]);
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    assert_eq!(got["counts"]["error"].as_u64().unwrap_or(0), errors as u64);
    let (_, page) = call(&app, "GET", "/", None, &[], "").await;
    assert!(page.contains("id=\"qc-table\""));
    // a selection keeps the findings of its streams
    let got = get_json(&app, "/api/qc?net=IU", None).await;
    let want: Vec<&Value> = findings
        .iter()
        .filter(|f| f["nslc"].as_str().is_some_and(|n| n.starts_with("IU.")))
        .collect();
    assert_eq!(got["findings"].as_array().unwrap().len(), want.len());
}
