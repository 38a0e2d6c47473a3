//! The status page at `/` and the JSON it is drawn from under `/api/`; the operator's page
//! at `/operator` and its actions (POST under `/operator/actions/`).
//!
//! What the page shows is the core's ([`siqaco::ops::fdsnws::status`]): this module maps
//! the query onto a [`StatusRequest`], runs it on a pooled catalogue and renders the
//! result as JSON, SVG, PNG or one self-contained HTML page (the report's style sheet and
//! pieces, inline; nothing fetched but this server's own `/api/`).
//!
//! - `GET /`, `/api/status`, `/api/streams`, `/api/stack`, `/api/runs`, `/api/qc`,
//!   `/api/run/current`, `/api/figures/{calendar,timeline}.{svg,png}`: anonymous;
//!   restricted streams hidden.
//! - The same under `/operator` (`/operator`, `/operator/api/...`): for an authenticated
//!   operator (the digest authentication in front of `/operator` records the user as an
//!   [`Authenticated`] request extension; without it these paths answer 401): restricted
//!   streams shown, and the action forms.
//! - `POST /operator/actions/{request,retry,cancel,update}`: create requests, retry or
//!   cancel requests of the stack, start an update run in the background (one at a time,
//!   its progress at `/api/run/current`). Each needs the server's configuration
//!   (`siqaco.toml`, [`siqaco::ops::ServeSettings::config`]; 409 without one), a CSRF
//!   token bound to this server process and the user (403 without a valid one, or when
//!   `Origin`/`Referer` name another host), and is logged (target
//!   `siqaco_serve::access`).

use crate::error::FdsnError;
use crate::state::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use hmac::{KeyInit, Mac};
use serde::Serialize;
use siqaco::index::Catalogue;
use siqaco::ops::fdsnws::status::{
    QcStatus, RunStatus, StackStatus, StatusReport, StatusRequest, SPEC,
};
use siqaco::ops::fdsnws::{Access, FdsnQuery};
use siqaco::ops::{
    parse_fields, parse_time_field, Control, Progress, RequestCreateRequest, StackCancelRequest,
    StackRetryRequest, UpdateRequest,
};
use siqaco::plot::{
    calendar, qc_findings_html, summary_table_html, timeline, ReportData, REPORT_CSS, SORT_SCRIPT,
};
use siqaco::time::{format_time, now_ns};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The user of a request that passed the digest authentication in front of `/operator`
/// (a request extension [`crate::auth::middleware`] inserts).
pub use crate::auth::Authenticated;

/// Who asks: anyone, or the authenticated operator (under `/operator`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Viewer {
    Anonymous,
    Operator(String),
}

impl Viewer {
    /// The path prefix of this viewer's page and `/api/`.
    fn prefix(&self) -> &'static str {
        match self {
            Viewer::Anonymous => "",
            Viewer::Operator(_) => "/operator",
        }
    }

    fn access(&self, state: &AppState) -> Access {
        crate::auth::access(state, matches!(self, Viewer::Operator(_)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = FdsnError;

    /// The operator when the request carries [`Authenticated`]; anyone else outside
    /// `/operator`; 401 under `/operator` without it (never reached through the
    /// authentication, which answers first).
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, FdsnError> {
        if let Some(a) = parts.extensions.get::<Authenticated>() {
            return Ok(Viewer::Operator(a.user.clone()));
        }
        let path = parts.uri.path();
        if path == "/operator" || path.starts_with("/operator/") {
            return Err(FdsnError::new(
                StatusCode::UNAUTHORIZED,
                "the operator's page needs credentials",
            )
            .for_request(&parts.uri));
        }
        Ok(Viewer::Anonymous)
    }
}

/// The background update run (one at a time) as `/api/run/current` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct CurrentRun {
    /// Whether it is still running.
    pub running: bool,
    /// Who started it (shown to the operator only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// When it started (ISO 8601).
    pub started: String,
    /// When it finished (ISO 8601), once finished.
    pub finished: Option<String>,
    /// Pending requests to execute in the run (known once the gaps are analysed).
    pub requests_total: u64,
    /// Requests executed so far.
    pub requests_done: u64,
    /// Samples added to the archive so far.
    pub samples_added: u64,
    /// The run's summary (`siqaco update --format json`), once finished.
    pub summary: Option<serde_json::Value>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// This module's own state: the CSRF secret of this server process and the background
/// update run.
#[derive(Debug)]
struct PageState {
    secret: [u8; 32],
    current: Mutex<Option<CurrentRun>>,
    /// The cancellation flag of the update runs: set when the server's routes are dropped
    /// (the server shut down), so that a run started here starts no further request.
    cancel: Arc<AtomicBool>,
}

/// Sets the update runs' cancellation flag when dropped: held by the routes only (a run
/// holds the [`PageState`], not this), so the flag is set once the server has stopped
/// serving and a long run ends after the requests it is executing.
#[derive(Debug)]
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

type Shared = Arc<PageState>;

/// The routes of the status page, its `/api/` and the operator's page and actions.
pub fn routes() -> Router<AppState> {
    let secret = crate::auth::random_secret::<32>();
    let cancel = Arc::new(AtomicBool::new(false));
    let page: Shared = Arc::new(PageState {
        secret,
        current: Mutex::new(None),
        cancel: cancel.clone(),
    });
    let mut r = Router::new();
    for p in ["", "/operator"] {
        r = r
            .route(&format!("{p}/api/status"), get(api_status))
            .route(&format!("{p}/api/streams"), get(api_streams))
            .route(&format!("{p}/api/stack"), get(api_stack))
            .route(&format!("{p}/api/runs"), get(api_runs))
            .route(&format!("{p}/api/qc"), get(api_qc))
            .route(&format!("{p}/api/run/current"), get(api_current_run))
            .route(&format!("{p}/api/figures/{{file}}"), get(api_figure));
    }
    r.route("/", get(page_html))
        .route("/operator", get(page_html))
        .route("/operator/", get(page_html))
        .route("/operator/actions/{action}", post(action))
        .layer(Extension(page))
        .layer(Extension(Arc::new(CancelOnDrop(cancel))))
}

/// A request for a part of the status page: who asks, the query's [`StatusRequest`]
/// (its parameters refused with a 400 naming them) and the request as received.
struct Asked {
    state: AppState,
    viewer: Viewer,
    request: StatusRequest,
    /// The query's parameters as given (the page's window form shows them).
    pairs: Vec<(String, String)>,
    uri: Uri,
}

impl FromRequestParts<AppState> for Asked {
    type Rejection = FdsnError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, FdsnError> {
        let uri = parts.uri.clone();
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let pairs = crate::params::pairs(&uri).map_err(|e| e.for_request(&uri))?;
        let request = FdsnQuery::from_pairs(&pairs, SPEC)
            .and_then(StatusRequest::from_query)
            .map_err(|e| FdsnError::from(e).for_request(&uri))?;
        Ok(Asked {
            state: state.clone(),
            viewer,
            request,
            pairs,
            uri,
        })
    }
}

/// A part of the status request: the request, a catalogue, the viewer's access and the
/// QC document of the settings.
type Part<T> =
    fn(&StatusRequest, &Catalogue, &Access, Option<&std::path::Path>) -> siqaco::Result<T>;

impl Asked {
    /// Runs `f` on a pooled catalogue.
    async fn part<T: Send + 'static>(&self, f: Part<T>) -> Result<T, FdsnError> {
        let (request, access) = (self.request.clone(), self.viewer.access(&self.state));
        let qc = self.state.settings().qc.clone();
        self.state
            .with_catalogue(move |cat| f(&request, cat, &access, qc.as_deref()))
            .await
            .map_err(|e| e.for_request(&self.uri))
    }
}

fn whole(
    r: &StatusRequest,
    c: &Catalogue,
    a: &Access,
    qc: Option<&std::path::Path>,
) -> siqaco::Result<StatusReport> {
    r.run(c, qc, a)
}

fn streams(
    r: &StatusRequest,
    c: &Catalogue,
    a: &Access,
    _: Option<&std::path::Path>,
) -> siqaco::Result<ReportData> {
    r.streams(c, a)
}

async fn api_status(a: Asked) -> Result<Json<StatusReport>, FdsnError> {
    a.part(whole).await.map(Json)
}

async fn api_streams(a: Asked) -> Result<Json<ReportData>, FdsnError> {
    a.part(streams).await.map(Json)
}

async fn api_stack(a: Asked) -> Result<Json<StackStatus>, FdsnError> {
    a.part(|r, c, a, _| r.stack(c, a)).await.map(Json)
}

async fn api_runs(a: Asked) -> Result<Json<Vec<RunStatus>>, FdsnError> {
    a.part(|r, c, a, _| r.runs(c, a)).await.map(Json)
}

async fn api_qc(a: Asked) -> Result<Json<QcStatus>, FdsnError> {
    a.part(|r, _, a, qc| r.qc(qc, a)).await.map(Json)
}

/// The background run as `viewer` may see it (the user only for the operator).
fn current_run(page: &PageState, viewer: &Viewer) -> Option<CurrentRun> {
    let mut run = page
        .current
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()?;
    if *viewer == Viewer::Anonymous {
        run.user = None;
    }
    Some(run)
}

async fn api_current_run(Extension(page): Extension<Shared>, viewer: Viewer) -> Response {
    Json(current_run(&page, &viewer)).into_response()
}

async fn api_figure(Path(file): Path<String>, a: Asked) -> Result<Response, FdsnError> {
    let uri = &a.uri;
    let (figure, format) = file
        .rsplit_once('.')
        .filter(|(f, x)| matches!(*f, "calendar" | "timeline") && matches!(*x, "svg" | "png"))
        .ok_or_else(|| {
            FdsnError::new(
                StatusCode::NOT_FOUND,
                format!("no figure {file:?} (calendar or timeline, .svg or .png)"),
            )
            .for_request(uri)
        })?;
    let data = a.part(streams).await?;
    let (figure, png) = (figure.to_string(), format == "png");
    let body = tokio::task::spawn_blocking(move || {
        let scene = if figure == "calendar" {
            calendar(&data)
        } else {
            timeline(&data)
        };
        if png {
            scene.to_png()
        } else {
            scene.to_svg().into_bytes()
        }
    })
    .await
    .map_err(|e| FdsnError::internal(format!("task failed: {e}")))?;
    let kind = if png { "image/png" } else { "image/svg+xml" };
    Ok(([(header::CONTENT_TYPE, kind)], body).into_response())
}

/// The CSRF token of `user` for this server process: HMAC-SHA256 of the user under the
/// process's random secret, hex.
fn csrf_token(page: &PageState, user: &str) -> String {
    csrf_mac(page, user).finalize().into_bytes().iter().fold(
        String::with_capacity(64),
        |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        },
    )
}

fn csrf_mac(page: &PageState, user: &str) -> hmac::Hmac<sha2::Sha256> {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&page.secret)
        .expect("HMAC takes a key of any length");
    mac.update(b"siqaco-serve csrf\0");
    mac.update(user.as_bytes());
    mac
}

/// Whether `token` (hex) is `user`'s CSRF token (compared in constant time).
fn csrf_valid(page: &PageState, user: &str, token: &str) -> bool {
    let bytes: Option<Vec<u8>> = (token.len() == 64)
        .then(|| {
            (0..32)
                .map(|i| u8::from_str_radix(token.get(2 * i..2 * i + 2)?, 16).ok())
                .collect()
        })
        .flatten();
    bytes.is_some_and(|b| csrf_mac(page, user).verify_slice(&b).is_ok())
}

/// Refuses a POST whose `Origin` or `Referer` (when present) names another host than its
/// `Host`.
fn same_origin(headers: &HeaderMap) -> Result<(), FdsnError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    for name in [header::ORIGIN, header::REFERER] {
        if let Some(v) = headers.get(&name) {
            let authority = v
                .to_str()
                .ok()
                .and_then(|v| v.parse::<Uri>().ok())
                .and_then(|u| u.authority().map(|a| a.as_str().to_string()));
            if authority.as_deref() != Some(host) || host.is_empty() {
                return Err(FdsnError::new(
                    StatusCode::FORBIDDEN,
                    format!("{name}: the form was not sent from this server's page"),
                ));
            }
        }
    }
    Ok(())
}

/// The fields of an action's form, each name at most once.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn take(&mut self, name: &str) -> Result<Option<String>, FdsnError> {
        let mut found: Vec<String> = Vec::new();
        self.0.retain(|(k, v)| {
            let hit = k == name;
            if hit {
                found.push(v.trim().to_string());
            }
            !hit
        });
        if found.len() > 1 {
            return Err(FdsnError::bad_request(format!(
                "{name}: given more than once"
            )));
        }
        Ok(found.pop().filter(|v| !v.is_empty()))
    }

    fn required(&mut self, name: &str) -> Result<String, FdsnError> {
        self.take(name)?
            .ok_or_else(|| FdsnError::bad_request(format!("{name}: missing")))
    }

    fn time(&mut self, name: &str) -> Result<Option<i64>, FdsnError> {
        Ok(self
            .take(name)?
            .map(|t| parse_time_field(name, &t))
            .transpose()?)
    }

    /// A list of request ids (commas or spaces between them).
    fn ids(&mut self) -> Result<Vec<i64>, FdsnError> {
        self.take("ids")?
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| FdsnError::bad_request(format!("ids: {s:?} is not a request id")))
            })
            .collect()
    }

    /// A list of texts (commas or spaces between them).
    fn list(&mut self, name: &str) -> Result<Vec<String>, FdsnError> {
        Ok(self
            .take(name)?
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect())
    }

    fn finish(self) -> Result<(), FdsnError> {
        match self.0.first() {
            Some((k, _)) => Err(FdsnError::bad_request(format!("{k}: unknown field"))),
            None => Ok(()),
        }
    }
}

/// An action's error as an error document: a refused field 400, an unknown request id
/// 404, a request in a state that does not allow the action 409, the rest 500.
fn action_error(e: siqaco::Error) -> FdsnError {
    match &e {
        siqaco::Error::NotFound(m) => FdsnError::new(StatusCode::NOT_FOUND, m.clone()),
        siqaco::Error::InvalidArgument(m) => FdsnError::new(StatusCode::CONFLICT, m.clone()),
        _ => FdsnError::from(e),
    }
}

/// Runs `f` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> siqaco::Result<T> + Send + 'static,
) -> Result<T, FdsnError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| FdsnError::internal(format!("task failed: {e}")))?
        .map_err(action_error)
}

/// `POST /operator/actions/{action}`: see the module documentation.
async fn action(
    State(state): State<AppState>,
    Extension(page): Extension<Shared>,
    viewer: Viewer,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, FdsnError> {
    let at = |e: FdsnError| e.for_request(&uri);
    let Viewer::Operator(user) = &viewer else {
        return Err(at(FdsnError::new(
            StatusCode::UNAUTHORIZED,
            "the operator's actions need credentials",
        )));
    };
    same_origin(&headers).map_err(at)?;
    let Form(pairs) = form.map_err(|e| at(FdsnError::bad_request(e.body_text())))?;
    let mut fields = Fields(pairs);
    let token = fields.take("csrf").map_err(at)?.unwrap_or_default();
    if !csrf_valid(&page, user, &token) {
        return Err(at(FdsnError::new(
            StatusCode::FORBIDDEN,
            "csrf: missing or invalid token (reload the page)",
        )));
    }
    let config: PathBuf = state.settings().config.clone().ok_or_else(|| {
        at(FdsnError::new(
            StatusCode::CONFLICT,
            "no configuration: start siqaco serve with --config siqaco.toml for the operator's actions",
        ))
    })?;
    let planned = Action::from_fields(&name, &mut fields, config).map_err(at)?;
    fields.finish().map_err(at)?;
    let result = planned.run(user, &page).await.map_err(at)?;
    tracing::info!(target: "siqaco_serve::access", user = %user, action = %name, result = %result, "operator action");
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        let status = if name == "update" {
            StatusCode::ACCEPTED
        } else {
            StatusCode::OK
        };
        Ok((
            status,
            Json(serde_json::json!({"action": name, "user": user, "result": result})),
        )
            .into_response())
    } else {
        Ok(Redirect::to("/operator#stack").into_response())
    }
}

/// An operator's action, its fields read and checked.
enum Action {
    Create(RequestCreateRequest),
    Retry(StackRetryRequest),
    Cancel(StackCancelRequest),
    Update(UpdateRequest),
}

impl Action {
    /// The action `name` with its form's fields, run with the configuration `config`.
    fn from_fields(name: &str, fields: &mut Fields, config: PathBuf) -> Result<Action, FdsnError> {
        let time = |fields: &mut Fields, name: &str| -> Result<i64, FdsnError> {
            Ok(parse_time_field(name, &fields.required(name)?)?)
        };
        Ok(match name {
            "request" => {
                let select = parse_fields("select", &fields.list("select")?)?;
                let (start, end) = (time(fields, "start")?, time(fields, "end")?);
                let mut request = RequestCreateRequest::new(config, select, start, end);
                request.sources = fields.list("sources")?;
                request.validate()?;
                Action::Create(request)
            }
            "retry" => {
                let mut request = StackRetryRequest::new(config);
                request.ids = fields.ids()?;
                Action::Retry(request)
            }
            "cancel" => {
                let ids = fields.ids()?;
                if ids.is_empty() {
                    return Err(FdsnError::bad_request("ids: missing"));
                }
                Action::Cancel(StackCancelRequest::new(config, ids))
            }
            "update" => {
                let mut request = UpdateRequest::new(config);
                request.start_ns = fields.time("start")?;
                request.end_ns = fields.time("end")?;
                request.validate()?;
                Action::Update(request)
            }
            _ => {
                return Err(FdsnError::new(
                    StatusCode::NOT_FOUND,
                    format!("no action {name:?} (request, retry, cancel, update)"),
                ))
            }
        })
    }

    /// Runs the action for `user`; returns what it did as JSON.
    async fn run(self, user: &str, page: &Shared) -> Result<serde_json::Value, FdsnError> {
        Ok(match self {
            Action::Create(request) => {
                let created = blocking(move || request.run(&Control::new())).await?;
                let listed = created
                    .iter()
                    .map(|r| r.to_json())
                    .collect::<siqaco::Result<Vec<_>>>()?;
                serde_json::json!({ "created": listed })
            }
            Action::Retry(request) => {
                serde_json::json!({ "retried": blocking(move || request.run(&Control::new())).await? })
            }
            Action::Cancel(request) => {
                serde_json::json!({ "cancelled": blocking(move || request.run(&Control::new())).await? })
            }
            Action::Update(request) => {
                serde_json::to_value(start_update(page, request, user)?).unwrap_or_default()
            }
        })
    }
}

/// Starts `request` on tokio's blocking pool unless a run is in progress (409); its
/// progress and outcome go to `/api/run/current`.
fn start_update(
    page: &Shared,
    request: UpdateRequest,
    user: &str,
) -> Result<CurrentRun, FdsnError> {
    let mut current = page.current.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(run) = current.as_ref().filter(|r| r.running) {
        return Err(FdsnError::new(
            StatusCode::CONFLICT,
            format!(
                "an update run is in progress (started {} by {})",
                run.started,
                run.user.as_deref().unwrap_or("?")
            ),
        ));
    }
    let run = CurrentRun {
        running: true,
        user: Some(user.to_string()),
        started: format_time(now_ns()),
        finished: None,
        requests_total: 0,
        requests_done: 0,
        samples_added: 0,
        summary: None,
        error: None,
    };
    *current = Some(run.clone());
    drop(current);
    let page = page.clone();
    let user = user.to_string();
    tokio::task::spawn_blocking(move || {
        let update = |p: &PageState, f: &dyn Fn(&mut CurrentRun)| {
            if let Some(r) = p.current.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                f(r);
            }
        };
        let progress = |p: Progress| {
            if let Progress::Update(u) = p {
                update(&page, &|r| {
                    r.requests_total = u.requests_total;
                    r.requests_done = u.requests_done;
                    r.samples_added = u.samples_added;
                });
            }
        };
        let control = Control::new().with_cancel_flag(page.cancel.clone());
        let outcome = request.run(&control.with_progress(&progress));
        let (summary, error) = match &outcome {
            Ok(s) => (serde_json::to_value(s).ok(), None),
            Err(e) => (None, Some(e.to_string())),
        };
        tracing::info!(target: "siqaco_serve::access", user = %user, action = "update", error = error.as_deref().unwrap_or(""), "update run finished");
        update(&page, &|r| {
            r.running = false;
            r.finished = Some(format_time(now_ns()));
            r.summary = summary.clone();
            r.error = error.clone();
        });
    });
    Ok(run)
}

/// Extra style of the status page (beside the report's).
const PAGE_CSS: &str =
    "form.window,form.action{display:flex;flex-wrap:wrap;gap:.4em;align-items:end;\
margin:.4em 0}form label{display:flex;flex-direction:column;font-size:12px;color:#555}\
input{font:inherit;padding:1px 4px}.counts td{text-align:right}.empty{color:#777;font-style:italic}\
#current-run{margin:.4em 0}#qc-table td:nth-child(7){white-space:normal;min-width:20em}";

/// Refreshes the stack, the runs, the current run and the figures from `/api/` every
/// 30 s (and once at load for the tables): one renderer of those tables, the page's own.
const REFRESH_SCRIPT: &str = r#"(function(){
var page=document.getElementById('siqaco-page');
var base=page.getAttribute('data-api'),query=location.search;
function esc(s){return String(s==null?'':s).replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
function cells(v){return v.map(function(x){return '<td data-v="'+esc(x)+'">'+esc(x)+'</td>';}).join('');}
function fill(id,rows,empty,n){
  var body=document.getElementById(id).tBodies[0];
  body.innerHTML=rows.length?rows.map(function(r){return '<tr>'+cells(r)+'</tr>';}).join(''):
    '<tr><td class="empty" colspan="'+n+'">'+empty+'</td></tr>';
}
function draw(st){
  var c=st.stack.counts,row=document.getElementById('stack-counts').tBodies[0].rows[0];
  Array.prototype.forEach.call(row.cells,function(td){td.textContent=c[td.getAttribute('data-state')];});
  fill('stack-table',st.stack.requests.map(function(r){
    return [r.id,r.stream,r.start,r.end,r.state,r.reason,r.attempts,r.samples_added,r.sources?r.sources.join(','):''];
  }),'no request',9);
  fill('runs-table',st.runs.map(function(r){var s=r.summary||{};
    return [r.id,r.started,r.finished||'running',r.window_start,r.window_end,s.streams_checked,s.gaps_found,
      s.requests_created,s.requests_sent,s.requests_succeeded,s.requests_failed,s.samples_added,s.requests_left];
  }),'no run recorded',13);
  page.setAttribute('data-refreshed',st.generated);
}
function drawRun(r){
  var el=document.getElementById('current-run');
  if(!r){el.textContent='No update run started from this server.';return;}
  el.textContent=(r.running?'Update run in progress':'Last update run from this server')+
    ' (started '+r.started+(r.user?' by '+r.user:'')+(r.finished?', finished '+r.finished:'')+'): '+
    r.requests_done+' of '+r.requests_total+' request(s) executed, '+r.samples_added+' sample(s) added'+
    (r.error?'; failed: '+r.error:'')+'.';
}
function get(path,f){fetch(base+path+query,{cache:'no-store'}).then(function(r){
  if(!r.ok)throw new Error(path+': HTTP '+r.status);return f(r);});}
function figure(name){get('/api/figures/'+name+'.svg',function(r){return r.text().then(function(t){
  document.getElementById(name+'-fig').innerHTML=t;});});}
function refresh(figures){
  get('/api/status',function(r){return r.json().then(draw);});
  get('/api/run/current',function(r){return r.json().then(drawRun);});
  if(figures){figure('calendar');figure('timeline');}
}
draw(JSON.parse(document.getElementById('siqaco-status').textContent));
refresh(false);
setInterval(function(){refresh(true);},30000);
})();"#;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One table head of `labels`.
fn head(s: &mut String, id: &str, class: &str, labels: &[&str]) {
    let _ = write!(s, "<table id=\"{id}\" class=\"{class}\"><thead><tr>");
    for l in labels {
        let _ = write!(s, "<th>{}</th>", esc(l));
    }
    s.push_str("</tr></thead><tbody></tbody></table>\n");
}

/// `GET /` and `GET /operator`: the page.
async fn page_html(Extension(page): Extension<Shared>, a: Asked) -> Result<Response, FdsnError> {
    let report = a.part(whole).await?;
    let viewer = &a.viewer;
    let (cal, tl) = tokio::task::spawn_blocking({
        let data = report.data.clone();
        move || (calendar(&data).svg_element(), timeline(&data).svg_element())
    })
    .await
    .map_err(|e| FdsnError::internal(format!("task failed: {e}")))?;
    let token = match viewer {
        Viewer::Operator(user) => Some(csrf_token(&page, user)),
        Viewer::Anonymous => None,
    };
    let qc_html = if report.qc.configured {
        qc_findings_html(&serde_json::json!({
            "findings": report.qc.findings,
            "worst_severity": report.qc.worst_severity,
        }))
    } else {
        "<h2 id=\"qc\">QC findings</h2>\n<p class=\"empty\">No QC report configured \
         (siqaco serve --qc FILE, a siqaco qc --format json document).</p>\n"
            .to_string()
    };
    Ok(Html(render_page(
        viewer,
        &a.pairs,
        &report,
        &cal,
        &tl,
        &qc_html,
        token.as_deref(),
    ))
    .into_response())
}

fn render_page(
    viewer: &Viewer,
    pairs: &[(String, String)],
    report: &StatusReport,
    cal: &str,
    tl: &str,
    qc_html: &str,
    token: Option<&str>,
) -> String {
    let data = &report.data;
    let mut s = String::with_capacity(16_384 + cal.len() + tl.len());
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| esc(v))
            .unwrap_or_default()
    };
    let who = match viewer {
        Viewer::Operator(u) => format!(" Operator: {}.", esc(u)),
        Viewer::Anonymous => String::new(),
    };
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>siqaco serve: archive status</title>\n\
         <style>{REPORT_CSS}{PAGE_CSS}</style>\n</head>\n\
         <body id=\"siqaco-page\" data-api=\"{}\">\n<h1>Archive status</h1>\n\
         <p class=\"meta\">Window: {} to {}{}. {} stream(s). Generated {}; refreshed every \
         30 s from <a href=\"{}/api/status\">/api/</a>.{who} Definitions: gap, overlap and \
         availability as in siqaco's docs/gaps.md.</p>\n",
        viewer.prefix(),
        format_time(data.window.0),
        format_time(data.window.1),
        if data.window_given {
            ""
        } else {
            " (extent of the data)"
        },
        data.streams.len(),
        format_time(report.generated_ns),
        viewer.prefix(),
    );
    let _ = write!(
        s,
        "<form class=\"window\" method=\"get\" action=\"{}/\">",
        viewer.prefix()
    );
    for (name, label, hint) in [
        ("start", "Start (UTC)", "YYYY-MM-DD"),
        ("end", "End (UTC)", "YYYY-MM-DD"),
        ("net", "Network", "*"),
        ("sta", "Station", "*"),
        ("loc", "Location", "*"),
        ("cha", "Channel", "*"),
    ] {
        let _ = write!(
            s,
            "<label>{label}<input name=\"{name}\" value=\"{}\" placeholder=\"{hint}\" size=\"12\"></label>",
            value(name)
        );
    }
    s.push_str("<button>Show</button></form>\n");
    s.push_str(
        "<nav><a href=\"#summary\">Streams</a> · <a href=\"#calendar\">Calendar</a> · \
         <a href=\"#timeline\">Timeline</a> · <a href=\"#stack\">Request stack</a> · \
         <a href=\"#runs\">Update runs</a> · <a href=\"#qc\">QC findings</a>",
    );
    if token.is_some() {
        s.push_str(" · <a href=\"#actions\">Actions</a>");
    }
    s.push_str("</nav>\n<h2 id=\"summary\">Streams</h2>\n");
    s.push_str(&summary_table_html(data));
    let _ = write!(
        s,
        "<h2 id=\"calendar\">Calendar</h2>\n<p class=\"meta\">Percent availability per \
         stream per UTC day; hover a cell for the figure.</p>\n\
         <div class=\"fig\" id=\"calendar-fig\">{cal}</div>\n\
         <h2 id=\"timeline\">Timeline</h2>\n<p class=\"meta\">Data, gaps and overlaps per \
         stream; hover for times.</p>\n<div class=\"fig\" id=\"timeline-fig\">{tl}</div>\n\
         <h2 id=\"stack\">Request stack</h2>\n"
    );
    s.push_str("<table id=\"stack-counts\" class=\"counts\"><thead><tr>");
    for state in report.stack.counts.keys() {
        let _ = write!(s, "<th>{}</th>", state.as_str());
    }
    s.push_str("</tr></thead><tbody><tr>");
    for state in report.stack.counts.keys() {
        let _ = write!(s, "<td data-state=\"{}\"></td>", state.as_str());
    }
    s.push_str("</tr></tbody></table>\n");
    head(
        &mut s,
        "stack-table",
        "sortable",
        &[
            "Id",
            "Stream",
            "Start",
            "End",
            "State",
            "Reason",
            "Attempts",
            "Samples added",
            "Sources",
        ],
    );
    s.push_str("<h2 id=\"runs\">Update runs</h2>\n<p id=\"current-run\" class=\"meta\"></p>\n");
    head(
        &mut s,
        "runs-table",
        "sortable",
        &[
            "Run",
            "Started",
            "Finished",
            "Window start",
            "Window end",
            "Streams",
            "Gaps",
            "Created",
            "Sent",
            "Succeeded",
            "Failed",
            "Samples added",
            "Left",
        ],
    );
    s.push_str(qc_html);
    if let Some(token) = token {
        action_forms(&mut s, token);
    }
    // `</` cannot occur inside the JSON script element
    let json = serde_json::to_string(report)
        .unwrap_or_default()
        .replace("</", "<\\/");
    let _ = write!(
        s,
        "<script type=\"application/json\" id=\"siqaco-status\">{json}</script>\n\
         <script>{REFRESH_SCRIPT}</script>\n<script>{SORT_SCRIPT}</script>\n</body>\n</html>\n"
    );
    s
}

/// A form's input: name, label, placeholder.
type Input = (&'static str, &'static str, &'static str);

/// The operator's forms, each with the CSRF token.
fn action_forms(s: &mut String, token: &str) {
    s.push_str("<h2 id=\"actions\">Actions</h2>\n");
    let forms: [(&str, &str, &[Input]); 4] = [
        (
            "request",
            "Create requests",
            &[
                ("select", "Streams (N.S.L.C, comma list)", "BW.FFB1.*.HH?"),
                ("start", "Start (UTC)", "YYYY-MM-DD"),
                ("end", "End (UTC)", "YYYY-MM-DD"),
                ("sources", "Sources (optional)", "all"),
            ],
        ),
        (
            "retry",
            "Retry requests",
            &[(
                "ids",
                "Request ids (empty: every on_hold and failed)",
                "3,4",
            )],
        ),
        (
            "cancel",
            "Cancel requests",
            &[("ids", "Request ids", "3,4")],
        ),
        (
            "update",
            "Start an update run",
            &[
                ("start", "Start (optional)", "YYYY-MM-DD"),
                ("end", "End (optional)", "YYYY-MM-DD"),
            ],
        ),
    ];
    for (action, title, inputs) in forms {
        let _ = write!(
            s,
            "<form class=\"action\" id=\"action-{action}\" method=\"post\" \
             action=\"/operator/actions/{action}\"><input type=\"hidden\" name=\"csrf\" \
             value=\"{token}\"><strong>{title}</strong>"
        );
        for (name, label, hint) in inputs.iter() {
            let _ = write!(
                s,
                "<label>{label}<input name=\"{name}\" placeholder=\"{hint}\" size=\"18\"></label>"
            );
        }
        s.push_str("<button>Go</button></form>\n");
    }
}
