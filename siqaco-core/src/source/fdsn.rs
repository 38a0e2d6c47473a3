//! FDSN dataselect web-service source (FDSN Web Service Specifications 1.2, "fdsnws-dataselect").
//!
//! Requests are POSTed to `<base>/fdsnws/dataselect/1/query` with `nodata=404` (and
//! `quality=` only when asked) followed by one `NET STA LOC CHA START END` line per
//! [`RequestLine`]; times are `YYYY-MM-DDTHH:MM:SS.ffffff` without zone suffix, an empty
//! location is `--`. Outcomes by status:
//!
//! | status | outcome |
//! |---|---|
//! | 200 with a body | the body streams to a hidden temporary file in the staging directory, is synced, validated ([`validate_records`](super)) and renamed into place; a body that is not miniSEED (an HTML page), ends in a truncated record, or holds records outside what was asked is an [`Error::Http`] naming the URL, not retried, and leaves nothing |
//! | 200 empty, 204, 404 | no data |
//! | 413 | the request is split in two (by streams when it has several lines, else by time) and both halves are fetched; windows are not split below [`FdsnOptions::min_split_s`] |
//! | 429, 503 | retried after `Retry-After` seconds (capped by [`FdsnOptions::max_retry_after`]) or the backoff delay |
//! | 400, 401, 403 | error at once, with the server's message |
//! | other statuses, connection errors, timeouts | retried with exponential backoff up to [`FdsnOptions::max_retries`] times |
//!
//! With [`FdsnOptions::credentials`] requests go to `/queryauth` instead, with HTTP Digest
//! authentication (RFC 7616, also RFC 2617's MD5 and RFC 2069's legacy form; the
//! `digest_auth` crate computes the response). The first request is sent without credentials;
//! the server's `WWW-Authenticate: Digest` challenge is answered and kept, so later requests
//! are authenticated at once (the nonce count goes up). A `401` after credentials were sent
//! (and the challenge is not `stale=true`) is an [`Error::Http`] "authentication failed",
//! not retried. An EIDA token ([`Credentials::EidaToken`]) is first exchanged for a
//! user and password by POSTing it to `<service>/auth` (the response body is
//! `user:password`).
//!
//! Uses reqwest's blocking client with rustls: do not call it from inside a tokio runtime.

use super::{
    full_availability, postfile_text, staged_name, validate_records, AvailabilitySpan, FetchReport,
    InFlight, RequestLine, Source, SourceInfo, Throttle,
};
use crate::error::{Error, Result};
use crate::sid::Nslc;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Credentials for fdsnws-dataselect `/queryauth` (FDSN Web Service Specifications 1.2,
/// dataselect: "queryauth ... HTTP Digest authentication").
///
/// `Debug` never shows the password or the token.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and password, sent with HTTP Digest (RFC 7616 / RFC 2617).
    Password {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// An EIDA token file: its content is POSTed to `<service>/auth`, whose response body is
    /// `user:password`, then used with HTTP Digest on `/queryauth` (EIDA authentication
    /// system; the token is the PGP-signed text issued by the EIDA token service).
    EidaToken(PathBuf),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { user, .. } => {
                write!(f, "Password {{ user: {user:?}, password: \"***\" }}")
            }
            Credentials::EidaToken(p) => write!(f, "EidaToken({p:?})"),
        }
    }
}

impl Credentials {
    /// The credentials of `siqaco fetch`'s options: an EIDA token file, or a user with
    /// `password` (when `None`, the environment variable `SIQACO_FDSN_PASSWORD`), or none.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when both a user and a token are given, when a password
    /// is given without a user, or when a user has no password.
    pub fn from_options(
        user: Option<&str>,
        password: Option<&str>,
        token: Option<&Path>,
    ) -> Result<Option<Credentials>> {
        if let Some(t) = token {
            if user.is_some() {
                return Err(Error::invalid_argument(
                    "--user and --token exclude each other",
                ));
            }
            return Ok(Some(Credentials::EidaToken(t.to_path_buf())));
        }
        let Some(user) = user else {
            if password.is_some() {
                return Err(Error::invalid_argument("--password needs --user"));
            }
            return Ok(None);
        };
        let password = match password {
            Some(p) => p.to_string(),
            None => std::env::var("SIQACO_FDSN_PASSWORD").map_err(|_| {
                Error::invalid_argument("--user needs --password or SIQACO_FDSN_PASSWORD")
            })?,
        };
        Ok(Some(Credentials::Password {
            user: user.to_string(),
            password,
        }))
    }
}

/// Where [`FdsnDataselect`] takes availability from ([`Source::availability`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AvailabilityMode {
    /// Assume every stream has data over the whole window (Morumotto's "assume available";
    /// the default: many servers have no availability service).
    #[default]
    Assume,
    /// Ask the fdsnws-availability service of the same server
    /// (`<base>/fdsnws/availability/1/query`, see [`super::availability`]). The dataselect
    /// URL must then have the standard path (`.../fdsnws/dataselect/1...`).
    Service,
    /// Ask the fdsnws-availability service at this URL (a base URL, a service URL or a
    /// query URL, as [`super::availability::query_availability`] accepts).
    Url(String),
}

impl AvailabilityMode {
    /// The mode named by `siqaco fetch --availability`: `assume`, `service`, or else an
    /// availability URL.
    pub fn from_spec(spec: &str) -> Self {
        match spec {
            "assume" => AvailabilityMode::Assume,
            "service" => AvailabilityMode::Service,
            u => AvailabilityMode::Url(u.to_string()),
        }
    }
}

/// Options of [`FdsnDataselect`].
#[derive(Clone, Debug)]
pub struct FdsnOptions {
    /// Timeout of one request, from connecting to the end of the response body (default
    /// 60 s); a request that takes longer fails and is retried.
    pub timeout: Duration,
    /// Retries after the first attempt for retryable failures (default 4).
    pub max_retries: u32,
    /// First backoff delay, doubled at each retry (default 1 s).
    pub backoff_initial: Duration,
    /// Cap of the backoff delay (default 60 s).
    pub backoff_max: Duration,
    /// Cap of a server's `Retry-After` (default 120 s).
    pub max_retry_after: Duration,
    /// `quality=` parameter to send (`None`: none is sent).
    pub quality: Option<String>,
    /// Smallest window, in seconds, that a 413 may split (default 60 s).
    pub min_split_s: f64,
    /// Credentials: when set, requests go to `/queryauth` with HTTP Digest (default none).
    pub credentials: Option<Credentials>,
    /// Where availability comes from (default [`AvailabilityMode::Assume`]).
    pub availability: AvailabilityMode,
    /// fdsnws-availability `mergegaps`: spans of one stream less than this many seconds
    /// apart are joined (sent to the service and applied to its answer). Default none.
    pub mergegaps_s: Option<f64>,
}

impl Default for FdsnOptions {
    fn default() -> Self {
        FdsnOptions {
            timeout: Duration::from_secs(60),
            max_retries: 4,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(120),
            quality: None,
            min_split_s: 60.0,
            credentials: None,
            availability: AvailabilityMode::Assume,
            mergegaps_s: None,
        }
    }
}

/// An FDSN dataselect service.
#[derive(Debug)]
pub struct FdsnDataselect {
    info: SourceInfo,
    /// `.../fdsnws/dataselect/1` (or what precedes `/query` in a query URL).
    service_url: String,
    query_url: String,
    client: reqwest::blocking::Client,
    opts: FdsnOptions,
    in_flight: InFlight,
    throttle: Throttle,
    /// The user and password once known (from the options or the token exchange).
    login: Mutex<Option<(String, String)>>,
    /// The last Digest challenge of the server, answered by later requests.
    challenge: Mutex<Option<digest_auth::WwwAuthenticateHeader>>,
}

/// The outcome of one attempt.
enum Attempt {
    Data(std::path::PathBuf, u64),
    NoData,
    TooLarge,
    /// Retryable, with an optional server-imposed delay.
    Retry(Error, Option<Duration>),
}

impl FdsnDataselect {
    /// A dataselect source for `url`: a server's base URL (`http://host:port`, the service
    /// path `/fdsnws/dataselect/1` is appended), the service URL (ending in
    /// `/fdsnws/dataselect/1`), or a query URL (ending in `/query` or `/queryauth`). Requests
    /// go to `<service>/query`, or to `<service>/queryauth` when
    /// [`FdsnOptions::credentials`] is set.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a URL that is not `http://` or `https://`, or
    /// [`AvailabilityMode::Service`] with a URL that has no `/fdsnws/dataselect/1` path;
    /// [`Error::Http`] when the HTTP client cannot be built.
    pub fn new(info: SourceInfo, url: &str, opts: FdsnOptions) -> Result<Self> {
        let service_url = service_url(url)?;
        let query_url = if opts.credentials.is_some() {
            format!("{service_url}/queryauth")
        } else {
            format!("{service_url}/query")
        };
        if opts.availability == AvailabilityMode::Service
            && !service_url.ends_with("/fdsnws/dataselect/1")
        {
            return Err(Error::invalid_argument(format!(
                "{url}: the availability service URL cannot be derived from a dataselect URL \
                 without the /fdsnws/dataselect/1 path; give it explicitly"
            )));
        }
        let client = http_client(&opts, &query_url)?;
        let login = match &opts.credentials {
            Some(Credentials::Password { user, password }) => {
                Some((user.clone(), password.clone()))
            }
            _ => None,
        };
        Ok(FdsnDataselect {
            in_flight: InFlight::new(info.max_in_flight),
            throttle: Throttle::new(info.bandwidth_bytes_per_s),
            info,
            service_url,
            query_url,
            client,
            opts,
            login: Mutex::new(login),
            challenge: Mutex::new(None),
        })
    }

    /// The query URL requests go to (`.../query`, or `.../queryauth` with credentials).
    pub fn query_url(&self) -> &str {
        &self.query_url
    }

    /// The availability query URL [`Source::availability`] asks, or `None` with
    /// [`AvailabilityMode::Assume`].
    pub fn availability_url(&self) -> Option<String> {
        match &self.opts.availability {
            AvailabilityMode::Assume => None,
            AvailabilityMode::Service => {
                let base = self.service_url.trim_end_matches("/fdsnws/dataselect/1");
                Some(format!("{base}/fdsnws/availability/1/query"))
            }
            AvailabilityMode::Url(u) => super::availability::availability_query_url(u).ok(),
        }
    }

    /// The user and password for Digest: from the options, or (EIDA token) from
    /// `<service>/auth`, once.
    fn login(&self) -> Result<(String, String)> {
        let mut login = self.login.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = &*login {
            return Ok(l.clone());
        }
        let Some(Credentials::EidaToken(path)) = &self.opts.credentials else {
            return Err(Error::invalid_argument("no credentials configured"));
        };
        let token = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let auth_url = format!("{}/auth", self.service_url);
        let l = exchange_token(&self.client, &auth_url, token)?;
        *login = Some(l.clone());
        Ok(l)
    }

    /// The `Authorization` header for a POST of `body` to the query URL, when a challenge is
    /// known.
    fn authorization(&self, body: &str) -> Result<Option<String>> {
        if self.opts.credentials.is_none() {
            return Ok(None);
        }
        let (user, password) = self.login()?;
        let mut ch = self.challenge.lock().unwrap_or_else(|e| e.into_inner());
        let Some(ch) = ch.as_mut() else {
            return Ok(None);
        };
        let uri = request_uri(&self.query_url);
        let ctx = digest_auth::AuthContext::new_post(
            user.as_str(),
            password.as_str(),
            uri.as_str(),
            Some(body.as_bytes()),
        );
        let h = ch.respond(&ctx).map_err(|e| {
            self.http_err(
                Some(401),
                format!("cannot answer the Digest challenge: {e}"),
            )
        })?;
        Ok(Some(h.to_header_string()))
    }

    fn http_err(&self, status: Option<u16>, message: impl Into<String>) -> Error {
        Error::Http {
            url: self.query_url.clone(),
            status,
            message: message.into(),
        }
    }

    /// One POST of `lines`; the body goes to a hidden temporary file in `staging`.
    fn attempt(&self, lines: &[RequestLine], staging: &Path) -> Result<Attempt> {
        let mut options = vec![("nodata", "404")];
        if let Some(q) = &self.opts.quality {
            options.push(("quality", q.as_str()));
        }
        let body = postfile_text(&options, lines);
        let _permit = self.in_flight.acquire();
        let mut resp;
        let mut round = 0;
        // Whether the challenge answered was received during this attempt (a cached one
        // may have expired without the server saying `stale`).
        let mut fresh = false;
        loop {
            let auth = self.authorization(&body)?;
            let mut req = self.client.post(&self.query_url).body(body.clone());
            if let Some(a) = &auth {
                req = req.header(reqwest::header::AUTHORIZATION, a);
            }
            resp = match req.send() {
                Ok(r) => r,
                Err(e) => return Ok(Attempt::Retry(self.http_err(None, transport(&e)), None)),
            };
            if resp.status().as_u16() != 401 || self.opts.credentials.is_none() {
                break;
            }
            // A Digest challenge: answer it once (or again when the nonce went stale).
            let challenge = resp
                .headers()
                .get_all(reqwest::header::WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.trim_start().to_ascii_lowercase().starts_with("digest"))
                .map(digest_auth::WwwAuthenticateHeader::parse);
            let user = self.login()?.0;
            match challenge {
                None => {
                    let msg = snippet(resp);
                    return Err(self.http_err(
                        Some(401),
                        format!(
                            "authentication required, but the server sent no Digest challenge \
                             (not retried): {msg}"
                        ),
                    ));
                }
                Some(Err(e)) => {
                    return Err(self.http_err(
                        Some(401),
                        format!("bad Digest challenge (not retried): {e}"),
                    ))
                }
                Some(Ok(c)) => {
                    if (auth.is_some() && fresh && !c.stale) || round >= 2 {
                        let msg = snippet(resp);
                        return Err(self.http_err(
                            Some(401),
                            format!(
                                "authentication failed: the server rejected the credentials of \
                                 user {user:?} (not retried): {msg}"
                            ),
                        ));
                    }
                    *self.challenge.lock().unwrap_or_else(|e| e.into_inner()) = Some(c);
                    fresh = true;
                }
            }
            round += 1;
        }
        let status = resp.status().as_u16();
        match status {
            200 => {}
            204 | 404 => return Ok(Attempt::NoData),
            413 => return Ok(Attempt::TooLarge),
            429 | 503 => {
                let after = retry_after(&resp).map(|d| d.min(self.opts.max_retry_after));
                let msg = snippet(resp);
                return Ok(Attempt::Retry(self.http_err(Some(status), msg), after));
            }
            400 | 401 | 403 => {
                let why = match status {
                    400 => "bad request",
                    401 => "authentication required",
                    _ => "access forbidden",
                };
                let msg = snippet(resp);
                return Err(self.http_err(Some(status), format!("{why} (not retried): {msg}")));
            }
            _ => {
                let msg = snippet(resp);
                return Ok(Attempt::Retry(self.http_err(Some(status), msg), None));
            }
        }
        // Stream the body to a hidden temporary file in the staging directory, sync it, read
        // it back and validate it; a rejected body is removed (when `tmp` is dropped).
        let mut tmp = tempfile::Builder::new()
            .prefix(".siqaco-partial-")
            .tempfile_in(staging)
            .map_err(|e| Error::io(staging, e))?;
        let mut resp = resp;
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        let t0 = std::time::Instant::now();
        loop {
            let n = match resp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    return Ok(Attempt::Retry(
                        self.http_err(
                            Some(200),
                            format!("reading the response body failed after {total} bytes: {e}"),
                        ),
                        None,
                    ))
                }
            };
            tmp.write_all(&buf[..n])
                .map_err(|e| Error::io(tmp.path(), e))?;
            total += n as u64;
            self.throttle.consume(n as u64);
        }
        if total == 0 {
            return Ok(Attempt::NoData);
        }
        let t1 = std::time::Instant::now();
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io(tmp.path(), e))?;
        let t2 = std::time::Instant::now();
        let data = std::fs::read(tmp.path()).map_err(|e| Error::io(tmp.path(), e))?;
        let v = validate_records(&data, lines);
        tracing::debug!(
            "{}: {total} bytes received in {:.3} s, synced in {:.3} s, validated in {:.3} s",
            self.query_url,
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            t2.elapsed().as_secs_f64()
        );
        drop(data);
        if let Err(msg) = v {
            // `tmp` is removed on drop.
            return Err(self.http_err(Some(200), msg));
        }
        let dest = staging.join(staged_name(&self.info.name));
        tmp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
        Ok(Attempt::Data(dest, total))
    }

    /// Fetches `lines`, retrying and splitting as the module documentation says.
    fn fetch_lines(
        &self,
        lines: &[RequestLine],
        staging: &Path,
        report: &mut FetchReport,
    ) -> Result<()> {
        let mut delay = self.opts.backoff_initial;
        let mut retries = 0;
        loop {
            match self.attempt(lines, staging)? {
                Attempt::Data(path, bytes) => {
                    report.files.push(path);
                    report.bytes += bytes;
                    report.requests_done += 1;
                    return Ok(());
                }
                Attempt::NoData => {
                    report.requests_done += 1;
                    return Ok(());
                }
                Attempt::TooLarge => {
                    report.requests_retried += 1;
                    let (a, b) = self.split(lines)?;
                    self.fetch_lines(&a, staging, report)?;
                    return self.fetch_lines(&b, staging, report);
                }
                Attempt::Retry(err, after) => {
                    if retries >= self.opts.max_retries {
                        return Err(match err {
                            Error::Http {
                                url,
                                status,
                                message,
                            } => Error::Http {
                                url,
                                status,
                                message: format!(
                                    "{message} (gave up after {} attempts)",
                                    retries + 1
                                ),
                            },
                            e => e,
                        });
                    }
                    retries += 1;
                    report.requests_retried += 1;
                    let wait = after.unwrap_or(delay);
                    tracing::warn!("{err}; retrying in {:.1} s", wait.as_secs_f64());
                    std::thread::sleep(wait);
                    delay = (delay * 2).min(self.opts.backoff_max);
                }
            }
        }
    }

    /// Splits a request the server found too large: by lines (streams) when there are
    /// several, else the one window in two halves.
    fn split(&self, lines: &[RequestLine]) -> Result<(Vec<RequestLine>, Vec<RequestLine>)> {
        if lines.len() > 1 {
            let mid = lines.len() / 2;
            return Ok((lines[..mid].to_vec(), lines[mid..].to_vec()));
        }
        let l = &lines[0];
        let span_s = (l.end_ns - l.start_ns) as f64 / 1e9;
        if span_s / 2.0 < self.opts.min_split_s {
            return Err(self.http_err(
                Some(413),
                format!(
                    "request too large even for a {span_s} s window of one line ({l}); \
                     not split below {} s",
                    self.opts.min_split_s
                ),
            ));
        }
        let mid = l.start_ns + (l.end_ns - l.start_ns) / 2;
        let mut a = l.clone();
        a.end_ns = mid;
        let mut b = l.clone();
        b.start_ns = mid;
        Ok((vec![a], vec![b]))
    }
}

impl Source for FdsnDataselect {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// POSTs `lines` (see the module documentation for retries, splitting and validation).
    ///
    /// # Errors
    /// [`Error::Http`] naming the URL (and the status when there was one) for a request
    /// refused (400/401/403), retries exhausted, a 413 that cannot be split further, or a
    /// body rejected by validation; [`Error::Io`] for the staging directory. Files staged
    /// by earlier parts of a split request stay staged (they are valid).
    fn fetch(&self, lines: &[RequestLine], staging: &Path) -> Result<FetchReport> {
        let mut report = FetchReport::default();
        if lines.is_empty() {
            return Ok(report);
        }
        self.fetch_lines(lines, staging, &mut report)?;
        Ok(report)
    }

    /// With [`AvailabilityMode::Assume`], the whole window for every stream; otherwise the
    /// spans the fdsnws-availability service reports
    /// ([`super::availability::query_availability`], with this source's options).
    ///
    /// # Errors
    /// As [`super::availability::query_availability`].
    fn availability(
        &self,
        streams: &[Nslc],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<AvailabilitySpan>> {
        match self.availability_url() {
            None if self.opts.availability == AvailabilityMode::Assume => {
                Ok(full_availability(streams, start_ns, end_ns))
            }
            None => {
                let AvailabilityMode::Url(u) = &self.opts.availability else {
                    unreachable!("Service always gives a URL")
                };
                Err(Error::invalid_argument(format!(
                    "{u:?} is not an http:// or https:// URL"
                )))
            }
            Some(url) => {
                super::availability::query_availability(&url, streams, start_ns, end_ns, &self.opts)
            }
        }
    }

    /// GETs `<service>/version`: online when the server answers with 200.
    fn is_online(&self) -> bool {
        let version = format!("{}/version", self.service_url);
        self.client
            .get(version)
            .send()
            .map(|r| r.status().is_success())
            .unwrap_or(false)
    }
}

/// The dataselect service URL (`.../fdsnws/dataselect/1`) for a base, service or query URL.
fn service_url(url: &str) -> Result<String> {
    resolve_service(url, "dataselect", &["/queryauth", "/query"])
}

/// `<prefix>/fdsnws/<service>/1` for a base URL, the service URL itself, or the service URL
/// followed by one of `methods` (`/query`...). Used by the dataselect, availability and
/// station clients (FDSN Web Service Specifications 1.2, §"URL").
pub(crate) fn resolve_service(url: &str, service: &str, methods: &[&str]) -> Result<String> {
    let u = url.trim().trim_end_matches('/');
    if !(u.starts_with("http://") || u.starts_with("https://")) {
        return Err(Error::invalid_argument(format!(
            "{url:?} is not an http:// or https:// URL"
        )));
    }
    if let Some(m) = methods.iter().find(|m| u.ends_with(*m)) {
        return Ok(u[..u.len() - m.len()].to_string());
    }
    let path = format!("/fdsnws/{service}/1");
    Ok(if u.ends_with(&path) {
        u.to_string()
    } else {
        format!("{u}{path}")
    })
}

/// The blocking HTTP client of the FDSN clients: rustls, `opts.timeout` for connecting and
/// for a whole request, siqaco's user agent.
pub(crate) fn http_client(opts: &FdsnOptions, url: &str) -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .connect_timeout(opts.timeout)
        .timeout(opts.timeout)
        .user_agent(concat!("siqaco/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Http {
            url: url.to_string(),
            status: None,
            message: format!("cannot build HTTP client: {e}"),
        })
}

/// The request-URI of `url` for Digest (`/path?query`).
fn request_uri(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => url.to_string(),
    }
}

/// The EIDA token exchange: POSTs `token` to `auth_url`; the 200 response body is
/// `user:password`.
fn exchange_token(
    client: &reqwest::blocking::Client,
    auth_url: &str,
    token: Vec<u8>,
) -> Result<(String, String)> {
    let err = |status, message: String| Error::Http {
        url: auth_url.to_string(),
        status,
        message,
    };
    let resp = client
        .post(auth_url)
        .body(token)
        .send()
        .map_err(|e| err(None, format!("token exchange failed: {}", transport(&e))))?;
    let status = resp.status().as_u16();
    if status != 200 {
        let msg = snippet(resp);
        return Err(err(
            Some(status),
            format!("the token was refused (not retried): {msg}"),
        ));
    }
    let text = resp
        .text()
        .map_err(|e| err(Some(200), format!("reading the token exchange failed: {e}")))?;
    let text = text.trim();
    match text.split_once(':') {
        Some((u, p))
            if !u.is_empty()
                && !p.is_empty()
                && !text.contains(char::is_whitespace)
                && !text.contains('<') =>
        {
            Ok((u.to_string(), p.to_string()))
        }
        _ => Err(err(
            Some(200),
            format!(
                "the token exchange did not return user:password (starts with {:?})",
                text.chars().take(60).collect::<String>()
            ),
        )),
    }
}

/// The outcome of [`get_body`].
pub(crate) enum Body {
    /// 200 with this body (possibly empty).
    Data(Vec<u8>),
    /// 204 or 404.
    NoData,
}

/// Sends the request made by `make` and reads the whole body, with the dataselect rules for
/// statuses: 204 is no data; 429/503 wait for `Retry-After`; other 5xx statuses, transport
/// errors and timeouts are retried with backoff up to `opts.max_retries` times; 4xx are
/// errors at once. The availability and station clients ask with `nodata=204`, so a 404
/// means the URL or the service does not exist (a server without fdsnws-availability), an
/// error, and never "no data" by mistake. Errors name `url`.
pub(crate) fn get_body(
    opts: &FdsnOptions,
    url: &str,
    make: impl Fn() -> reqwest::blocking::RequestBuilder,
) -> Result<Body> {
    let err = |status, message: String| Error::Http {
        url: url.to_string(),
        status,
        message,
    };
    let mut delay = opts.backoff_initial;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (e, after) = match make().send() {
            Err(e) => (err(None, transport(&e)), None),
            Ok(resp) => {
                let status = resp.status().as_u16();
                match status {
                    200 => {
                        let mut resp = resp;
                        let mut buf = Vec::new();
                        match resp.read_to_end(&mut buf) {
                            Ok(_) => return Ok(Body::Data(buf)),
                            Err(e) => (
                                err(
                                    Some(200),
                                    format!(
                                        "reading the response body failed after {} bytes: {e}",
                                        buf.len()
                                    ),
                                ),
                                None,
                            ),
                        }
                    }
                    204 => return Ok(Body::NoData),
                    429 | 503 => {
                        let after = retry_after(&resp).map(|d| d.min(opts.max_retry_after));
                        (err(Some(status), snippet(resp)), after)
                    }
                    400..=499 => {
                        let why = match status {
                            400 => "bad request",
                            401 => "authentication required",
                            403 => "access forbidden",
                            404 => "not found: no such service at this URL (asked with nodata=204)",
                            413 => "request too large",
                            _ => "refused",
                        };
                        let msg = snippet(resp);
                        return Err(err(Some(status), format!("{why} (not retried): {msg}")));
                    }
                    _ => (err(Some(status), snippet(resp)), None),
                }
            }
        };
        if attempts > opts.max_retries {
            return Err(match e {
                Error::Http {
                    url,
                    status,
                    message,
                } => Error::Http {
                    url,
                    status,
                    message: format!("{message} (gave up after {attempts} attempts)"),
                },
                e => e,
            });
        }
        let wait = after.unwrap_or(delay);
        tracing::warn!("{e}; retrying in {:.1} s", wait.as_secs_f64());
        std::thread::sleep(wait);
        delay = (delay * 2).min(opts.backoff_max);
    }
}

/// `Retry-After` in seconds (HTTP dates are not supported and give `None`).
fn retry_after(resp: &reqwest::blocking::Response) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?;
    let secs: f64 = v.to_str().ok()?.trim().parse().ok()?;
    (secs >= 0.0 && secs.is_finite()).then(|| Duration::from_secs_f64(secs))
}

/// The first 300 characters of an error body, on one line.
fn snippet(resp: reqwest::blocking::Response) -> String {
    let text = resp.text().unwrap_or_default();
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.is_empty() {
        "(empty body)".into()
    } else {
        one.chars().take(300).collect()
    }
}

/// A transport error described with its cause chain (timeout, connection refused...).
fn transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut msg = format!("{kind}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_availability_from_options() {
        let p = Credentials::from_options(Some("u"), Some("p"), None).unwrap();
        assert_eq!(
            p,
            Some(Credentials::Password {
                user: "u".into(),
                password: "p".into()
            })
        );
        let t = Credentials::from_options(None, None, Some(Path::new("tok"))).unwrap();
        assert_eq!(t, Some(Credentials::EidaToken("tok".into())));
        assert_eq!(Credentials::from_options(None, None, None).unwrap(), None);
        assert!(Credentials::from_options(Some("u"), None, Some(Path::new("t"))).is_err());
        assert!(Credentials::from_options(None, Some("p"), None).is_err());
        assert_eq!(
            AvailabilityMode::from_spec("assume"),
            AvailabilityMode::Assume
        );
        assert_eq!(
            AvailabilityMode::from_spec("service"),
            AvailabilityMode::Service
        );
        assert_eq!(
            AvailabilityMode::from_spec("http://h/x"),
            AvailabilityMode::Url("http://h/x".into())
        );
    }

    #[test]
    fn urls() {
        let q = |url: &str, creds: bool| {
            let opts = FdsnOptions {
                credentials: creds.then(|| Credentials::Password {
                    user: "u".into(),
                    password: "p".into(),
                }),
                ..FdsnOptions::default()
            };
            FdsnDataselect::new(SourceInfo::new("t"), url, opts)
                .map(|s| (s.query_url().to_string(), s.service_url.clone()))
        };
        assert_eq!(
            q("http://127.0.0.1:8080", false).unwrap().0,
            "http://127.0.0.1:8080/fdsnws/dataselect/1/query"
        );
        assert_eq!(
            q("https://h/fdsnws/dataselect/1/", true).unwrap(),
            (
                "https://h/fdsnws/dataselect/1/queryauth".to_string(),
                "https://h/fdsnws/dataselect/1".to_string()
            )
        );
        assert_eq!(q("http://h/x/query", false).unwrap().0, "http://h/x/query");
        assert_eq!(
            q("http://h/fdsnws/dataselect/1/queryauth", false)
                .unwrap()
                .0,
            "http://h/fdsnws/dataselect/1/query"
        );
        assert!(q("ftp://h", false).is_err());
        assert_eq!(request_uri("http://h:80/a/b?x=1"), "/a/b?x=1");
    }

    #[test]
    fn availability_urls() {
        let a = |url: &str, mode: AvailabilityMode| {
            let opts = FdsnOptions {
                availability: mode,
                ..FdsnOptions::default()
            };
            FdsnDataselect::new(SourceInfo::new("t"), url, opts).map(|s| s.availability_url())
        };
        assert_eq!(a("http://h:8", AvailabilityMode::Assume).unwrap(), None);
        assert_eq!(
            a(
                "http://h:8/fdsnws/dataselect/1/query",
                AvailabilityMode::Service
            )
            .unwrap()
            .as_deref(),
            Some("http://h:8/fdsnws/availability/1/query")
        );
        assert!(a("http://h:8/x/query", AvailabilityMode::Service).is_err());
        assert_eq!(
            a("http://h:8", AvailabilityMode::Url("https://a".into()))
                .unwrap()
                .as_deref(),
            Some("https://a/fdsnws/availability/1/query")
        );
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let c = Credentials::Password {
            user: "alice".into(),
            password: "s3cret".into(),
        };
        let d = format!("{c:?}");
        assert!(d.contains("alice") && !d.contains("s3cret"), "{d}");
    }
}
