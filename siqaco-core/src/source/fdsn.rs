//! FDSN dataselect web-service source (FDSN Web Service Specifications 1.2, "fdsnws-dataselect").
//!
//! Requests are POSTed to `<base>/fdsnws/dataselect/1/query` with `nodata=404` (and
//! `quality=` only when asked) followed by one `NET STA LOC CHA START END` line per
//! [`RequestLine`]; times are `YYYY-MM-DDTHH:MM:SS.ffffff` without zone suffix, an empty
//! location is `--`. Outcomes by status:
//!
//! | status | outcome |
//! |---|---|
//! | 200 with a body | the body streams to a hidden temporary file in the staging directory through a bounded buffer and is validated record by record as it arrives (`RecordCheck`: the record scanner's checks, codes that can be filed in an archive, records inside what was asked), then synced and renamed into place; a body that is not miniSEED (an HTML page), ends in a truncated record, holds a record whose codes cannot be filed, or holds records outside what was asked is an [`Error::Http`] naming the URL and the byte offset, not retried, and leaves nothing (reading stops at the first bad record) |
//! | 200 empty, 204, 404 | no data |
//! | 413 | the request is split in two (by streams when it has several lines, else by time) and both halves are fetched; windows are not split below [`FdsnOptions::min_split_s`] |
//! | 429, 503 | retried after the server's `Retry-After` (delay-seconds or an HTTP date, RFC 9110 §10.2.3; a date in the past retries at once), capped by [`FdsnOptions::max_retry_after`], or else after the backoff delay |
//! | 400, 401, 403 | error at once, with the server's message |
//! | other statuses, connection errors, timeouts | retried with exponential backoff up to [`FdsnOptions::max_retries`] times |
//!
//! **Time and memory.** Every request has a deadline, [`FdsnOptions::timeout`], from the
//! start of connecting to the last byte of the body (connecting is also bounded by
//! [`FdsnOptions::connect_timeout`], a silence within the body by
//! [`FdsnOptions::read_timeout`]): a server that trickles its body is cut at the deadline, one
//! that stops sending at the read timeout, and the attempt counts as a timeout (retried). reqwest's blocking
//! `ClientBuilder::timeout` alone bounds each wait (for the headers, for each read of the
//! body) separately, not the whole, so the deadline is given to every request
//! (`RequestBuilder::timeout`, which reqwest applies up to the end of the body) and checked
//! again between reads. No response is held whole in memory: dataselect bodies go to the
//! staging file through a bounded buffer (1 MiB, up to 10 MiB for one long record), and the
//! responses parsed in memory (availability, station, token exchange) stop at
//! [`FdsnOptions::max_text_bytes`] with an error naming the URL.
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
    full_availability, postfile_text, staged_name, AvailabilitySpan, FetchReport, InFlight,
    RecordCheck, RequestLine, Source, SourceInfo, Throttle,
};
use crate::error::{Error, Result};
use crate::record::scan_reader;
use crate::sid::Nslc;
use std::cell::Cell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

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
    /// Deadline of one request: from the start of connecting to the last byte of the
    /// response body, whatever the server sends meanwhile (default 60 s). A request still
    /// running at the deadline is cut, counted as a timeout and retried. This is `siqaco
    /// fetch --timeout` and `timeout_s` of an update's `[[sources]]`.
    pub timeout: Duration,
    /// Longest wait for the connection to be established (default 10 s; never more than
    /// [`FdsnOptions::timeout`]).
    pub connect_timeout: Duration,
    /// Longest silence within a response body: no byte for this long cuts the request,
    /// counted as a timeout and retried (default 60 s; never more than what is left of
    /// [`FdsnOptions::timeout`]). The wait for the response's headers is bounded by the
    /// deadline only (a server may take long to gather the data).
    pub read_timeout: Duration,
    /// Largest response read into memory to be parsed (availability, station and token
    /// exchange responses), bytes (default 256 MiB); a larger one is an [`Error::Http`]
    /// naming the URL and this cap, not retried. Dataselect bodies go to disk and have no
    /// such cap.
    pub max_text_bytes: u64,
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
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_text_bytes: 256 << 20,
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
        let l = exchange_token(&self.client, &self.opts, &auth_url, token)?;
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
        // The deadline of this attempt, the Digest round trips included.
        let deadline = Deadline::of(&self.opts);
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
            resp = match deadline.send(req) {
                Ok(r) => r,
                Err(e) => return Ok(Attempt::Retry(self.http_err(None, e), None)),
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
                let after =
                    retry_after(&resp, SystemTime::now()).map(|d| d.min(self.opts.max_retry_after));
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
        // Stream the body to a hidden temporary file in the staging directory and validate
        // it record by record as it arrives; a rejected body is removed (when `tmp` is
        // dropped).
        let mut tmp = tempfile::Builder::new()
            .prefix(".siqaco-partial-")
            .tempfile_in(staging)
            .map_err(|e| Error::io(staging, e))?;
        let t0 = Instant::now();
        let got = stream_records(
            Pieces::new(resp, &deadline),
            &deadline,
            tmp.as_file_mut(),
            Some(&self.throttle),
            lines,
        );
        let total = got.bytes;
        if let Err(msg) = got.check {
            // `tmp` is removed on drop.
            return Err(self.http_err(Some(200), msg));
        }
        match got.failure {
            None => {}
            Some(BodyFailure::Write(e)) => return Err(Error::io(tmp.path(), e)),
            Some(f) => return Ok(Attempt::Retry(self.http_err(Some(200), f.message()), None)),
        }
        if total == 0 {
            return Ok(Attempt::NoData);
        }
        let t1 = Instant::now();
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io(tmp.path(), e))?;
        tracing::debug!(
            "{}: {total} bytes received and validated in {:.3} s (scan buffer {} bytes), \
             synced in {:.3} s",
            self.query_url,
            (t1 - t0).as_secs_f64(),
            got.buffer_bytes,
            t1.elapsed().as_secs_f64()
        );
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

/// The blocking HTTP client of the FDSN clients: rustls, `opts.connect_timeout` (at most
/// `opts.timeout`) for connecting, `opts.timeout` for each wait of a request sent without a
/// [`Deadline`], siqaco's user agent.
pub(crate) fn http_client(opts: &FdsnOptions, url: &str) -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .connect_timeout(opts.connect_timeout.min(opts.timeout))
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
    opts: &FdsnOptions,
    auth_url: &str,
    token: Vec<u8>,
) -> Result<(String, String)> {
    let err = |status, message: String| Error::Http {
        url: auth_url.to_string(),
        status,
        message,
    };
    let deadline = Deadline::of(opts);
    let resp = deadline
        .send(client.post(auth_url).body(token))
        .map_err(|e| err(None, format!("token exchange failed: {e}")))?;
    let status = resp.status().as_u16();
    if status != 200 {
        let msg = snippet(resp);
        return Err(err(
            Some(status),
            format!("the token was refused (not retried): {msg}"),
        ));
    }
    let bytes = read_capped(resp, &deadline, opts.max_text_bytes).map_err(|f| {
        err(
            Some(200),
            format!("reading the token exchange failed: {}", f.message()),
        )
    })?;
    let text = String::from_utf8_lossy(&bytes);
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
/// errors and timeouts (the deadline `opts.timeout` of each attempt, body included) are
/// retried with backoff up to `opts.max_retries` times; 4xx are errors at once. The
/// availability and station clients ask with `nodata=204`, so a 404 means the URL or the
/// service does not exist (a server without fdsnws-availability), an error, and never "no
/// data" by mistake. A body larger than `opts.max_text_bytes` is an error at once. Errors
/// name `url`.
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
        let deadline = Deadline::of(opts);
        let (e, after) = match deadline.send(make()) {
            Err(e) => (err(None, e), None),
            Ok(resp) => {
                let status = resp.status().as_u16();
                match status {
                    200 => match read_capped(resp, &deadline, opts.max_text_bytes) {
                        Ok(buf) => return Ok(Body::Data(buf)),
                        Err(f @ BodyFailure::TooLarge(_)) => {
                            return Err(err(Some(200), format!("{} (not retried)", f.message())))
                        }
                        Err(f) => (err(Some(200), f.message()), None),
                    },
                    204 => return Ok(Body::NoData),
                    429 | 503 => {
                        let after = retry_after(&resp, SystemTime::now())
                            .map(|d| d.min(opts.max_retry_after));
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

/// The delay a `Retry-After` header asks for (RFC 9110 §10.2.3): delay-seconds (a
/// non-negative decimal number), or an HTTP date (IMF-fixdate, or the obsolete RFC 850 and
/// asctime forms, read by the `httpdate` crate) taken relative to `now`; a date in the past
/// gives zero (retry at once). `None` when the header is absent or neither form.
fn retry_after(resp: &reqwest::blocking::Response, now: SystemTime) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?;
    parse_retry_after(v.to_str().ok()?, now)
}

/// [`retry_after`] on the header's value.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs >= 0.0 && secs.is_finite())
            .then(|| Duration::try_from_secs_f64(secs).ok())
            .flatten();
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The first 300 characters of an error body, on one line (at most 64 KiB of the body are
/// read, within the request's timeout).
fn snippet(resp: reqwest::blocking::Response) -> String {
    let mut bytes = Vec::new();
    let _ = resp.take(64 << 10).read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.is_empty() {
        "(empty body)".into()
    } else {
        one.chars().take(300).collect()
    }
}

/// Bytes read at once from a dataselect body into the record scanner's buffer (which holds
/// one chunk, or one record of up to 10 MiB when a record is longer).
const SCAN_CHUNK: usize = 1 << 20;

/// The deadline of one request attempt: connect, headers and whole body within `limit` of
/// its start ([`FdsnOptions::timeout`]), and no silence longer than `read_timeout` within
/// the body ([`FdsnOptions::read_timeout`]).
pub(crate) struct Deadline {
    at: Instant,
    limit: Duration,
    read_timeout: Duration,
}

impl Deadline {
    /// A deadline `limit` from now (and a read timeout as long).
    pub(crate) fn start(limit: Duration) -> Self {
        Deadline {
            at: Instant::now() + limit,
            limit,
            read_timeout: limit,
        }
    }

    /// The deadline of a request made with `opts`, from now.
    fn of(opts: &FdsnOptions) -> Self {
        Deadline {
            read_timeout: opts.read_timeout.min(opts.timeout),
            ..Deadline::start(opts.timeout)
        }
    }

    /// The time left (zero once passed).
    fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed (within a few milliseconds: reqwest's timer and
    /// ours are not the same clock reading).
    fn passed(&self) -> bool {
        Instant::now() + Duration::from_millis(20) >= self.at
    }

    /// The message of a request cut at the deadline, after `bytes` bytes of body.
    fn message(&self, bytes: Option<u64>) -> String {
        let after = bytes.map_or(String::new(), |b| format!(" after {b} bytes of the body"));
        format!(
            "timed out: the {} s deadline of the request (connect, headers and whole body) \
             passed{after}",
            self.limit.as_secs_f64()
        )
    }

    /// Sends `req` with what is left of the deadline as its reqwest timeout (which reqwest
    /// applies from connecting to the end of the body); a transport error is described
    /// ([`transport`]), a timeout with the deadline.
    fn send(
        &self,
        req: reqwest::blocking::RequestBuilder,
    ) -> std::result::Result<reqwest::blocking::Response, String> {
        let left = self.remaining();
        if left.is_zero() {
            return Err(self.message(None));
        }
        req.timeout(left).send().map_err(|e| {
            if e.is_timeout() && self.passed() {
                format!("{}: {}", self.message(None), transport(&e))
            } else {
                transport(&e)
            }
        })
    }
}

/// Why reading a response body stopped early.
#[derive(Debug)]
pub(crate) enum BodyFailure {
    /// The request's deadline passed, or the read timeout (the message says which and after
    /// how many bytes of body).
    TimedOut(String),
    /// The body is larger than the cap (bytes).
    TooLarge(u64),
    /// Writing the copy (the staging file) failed.
    Write(std::io::Error),
    /// The caller asked to stop (a bad record was found).
    Stopped,
    /// The connection failed, after this many bytes of body.
    Read(u64, std::io::Error),
}

impl BodyFailure {
    /// A one-line description.
    fn message(&self) -> String {
        match self {
            BodyFailure::TimedOut(m) => m.clone(),
            BodyFailure::TooLarge(cap) => format!(
                "the response is larger than the {cap}-byte cap for responses read into \
                 memory (FdsnOptions::max_text_bytes)"
            ),
            BodyFailure::Write(e) => format!("writing the response failed: {e}"),
            BodyFailure::Stopped => "reading stopped at a bad record".into(),
            BodyFailure::Read(n, e) => {
                format!("reading the response body failed after {n} bytes: {e}")
            }
        }
    }
}

/// A response body read under a [`Deadline`]: counted, optionally capped, copied to a
/// writer (the staging file) and throttled as it is read, and stopped when asked. The first
/// 64 bytes are kept (to quote an HTML page in an error).
pub(crate) struct BodyReader<'a, R> {
    inner: R,
    deadline: &'a Deadline,
    /// Bytes read so far.
    pub(crate) bytes: u64,
    /// The first bytes of the body.
    pub(crate) head: Vec<u8>,
    cap: Option<u64>,
    tee: Option<&'a mut dyn Write>,
    throttle: Option<&'a Throttle>,
    stop: Option<&'a Cell<bool>>,
    failure: Option<BodyFailure>,
}

impl<'a, R: Read> BodyReader<'a, R> {
    /// A reader of `inner` under `deadline`.
    pub(crate) fn new(inner: R, deadline: &'a Deadline) -> Self {
        BodyReader {
            inner,
            deadline,
            bytes: 0,
            head: Vec::new(),
            cap: None,
            tee: None,
            throttle: None,
            stop: None,
            failure: None,
        }
    }

    /// Fails once more than `cap` bytes arrive.
    pub(crate) fn cap(mut self, cap: u64) -> Self {
        self.cap = Some(cap);
        self
    }

    /// Copies every byte read to `w`.
    pub(crate) fn tee(mut self, w: &'a mut dyn Write) -> Self {
        self.tee = Some(w);
        self
    }

    /// Stops (with an error) once `stop` is set.
    fn stop_on(mut self, stop: &'a Cell<bool>) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Why reading stopped, given the error the caller got from it (if any).
    pub(crate) fn failure(&mut self, err: Option<std::io::Error>) -> Option<BodyFailure> {
        let e = err?;
        Some(
            self.failure
                .take()
                .unwrap_or(BodyFailure::Read(self.bytes, e)),
        )
    }

    fn fail(&mut self, f: BodyFailure) -> std::io::Error {
        let e = std::io::Error::other(f.message());
        self.failure = Some(f);
        e
    }
}

impl<R: Read> Read for BodyReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.is_some_and(|s| s.get()) {
            return Err(self.fail(BodyFailure::Stopped));
        }
        if self.deadline.passed() {
            let m = self.deadline.message(Some(self.bytes));
            return Err(self.fail(BodyFailure::TimedOut(m)));
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Err(e),
            Err(e) if self.deadline.passed() => {
                let m = format!("{}: {e}", self.deadline.message(Some(self.bytes)));
                return Err(self.fail(BodyFailure::TimedOut(m)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                let m = format!("timed out: {e}, after {} bytes of the body", self.bytes);
                return Err(self.fail(BodyFailure::TimedOut(m)));
            }
            Err(e) => return Err(e),
        };
        if let Some(cap) = self.cap {
            if self.bytes + n as u64 > cap {
                return Err(self.fail(BodyFailure::TooLarge(cap)));
            }
        }
        if let Some(w) = self.tee.as_mut() {
            if let Err(e) = w.write_all(&buf[..n]) {
                let e2 = std::io::Error::new(e.kind(), e.to_string());
                self.failure = Some(BodyFailure::Write(e));
                return Err(e2);
            }
        }
        if let Some(t) = self.throttle {
            t.consume(n as u64);
        }
        if self.head.len() < 64 {
            let k = (64 - self.head.len()).min(n);
            self.head.extend_from_slice(&buf[..k]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// What [`stream_records`] did.
struct Streamed {
    /// Bytes of body read (and copied).
    bytes: u64,
    /// The number of records, or the message of the first bad record ([`RecordCheck`]).
    check: std::result::Result<usize, String>,
    /// Why reading stopped before the end of the body, unless a bad record stopped it.
    failure: Option<BodyFailure>,
    /// The size of the scanner's buffer at the end: the most body bytes held in memory.
    buffer_bytes: usize,
}

/// Reads `body` under `deadline`, copies it to `out` and checks it record by record
/// ([`RecordCheck`] against `lines`) as it arrives, through the record scanner's bounded
/// buffer ([`SCAN_CHUNK`], more only for one record longer than that, at most 10 MiB).
/// Reading stops at the first bad record.
fn stream_records<R: Read>(
    body: R,
    deadline: &Deadline,
    out: &mut dyn Write,
    throttle: Option<&Throttle>,
    lines: &[RequestLine],
) -> Streamed {
    let stop = Cell::new(false);
    let mut check = RecordCheck::new(lines);
    let mut reader = BodyReader::new(body, deadline).tee(out).stop_on(&stop);
    reader.throttle = throttle;
    let mut buf = Vec::new();
    let read = scan_reader(&mut reader, &mut buf, SCAN_CHUNK, |item| {
        if !check.item(item) {
            stop.set(true);
        }
    });
    let failure = reader.failure(read.err());
    let bad = check.failed();
    Streamed {
        bytes: reader.bytes,
        check: check.finish(&reader.head),
        failure: if bad { None } else { failure },
        buffer_bytes: buf.capacity(),
    }
}

/// A response body read on a thread of its own and handed over in pieces of up to 64 KiB
/// (at most 4 waiting), so that the wait for the next piece can be bounded by the read
/// timeout: reqwest's blocking reads can only be bounded by the request's timeout, which
/// is the whole deadline. A wait that ends without a piece is an error of kind `TimedOut`.
/// The thread ends with the body, or when the pieces are no longer wanted, or at the
/// request's deadline (reqwest's timeout of the request).
struct Pieces {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    piece: Vec<u8>,
    pos: usize,
    done: bool,
    at: Instant,
    read_timeout: Duration,
}

impl Pieces {
    fn new(mut body: impl Read + Send + 'static, deadline: &Deadline) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        std::thread::spawn(move || loop {
            let mut b = vec![0u8; 64 << 10];
            match body.read(&mut b) {
                Ok(0) => {
                    let _ = tx.send(Ok(Vec::new()));
                    return;
                }
                Ok(n) => {
                    b.truncate(n);
                    if tx.send(Ok(b)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        });
        Pieces {
            rx,
            piece: Vec::new(),
            pos: 0,
            done: false,
            at: deadline.at,
            read_timeout: deadline.read_timeout,
        }
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::sync::mpsc::RecvTimeoutError;
        while self.pos == self.piece.len() {
            if self.done {
                return Ok(0);
            }
            let left = self.at.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(self.read_timeout.min(left)) {
                Ok(Ok(p)) if p.is_empty() => self.done = true,
                Ok(Ok(p)) => (self.piece, self.pos) = (p, 0),
                Ok(Err(e)) => return Err(e),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "no byte of the body for {} s (the read timeout)",
                            self.read_timeout.as_secs_f64()
                        ),
                    ))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(std::io::Error::other("the body reader stopped"))
                }
            }
        }
        let n = buf.len().min(self.piece.len() - self.pos);
        buf[..n].copy_from_slice(&self.piece[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads a whole body into memory under `deadline`, failing past `cap` bytes.
fn read_capped(
    resp: reqwest::blocking::Response,
    deadline: &Deadline,
    cap: u64,
) -> std::result::Result<Vec<u8>, BodyFailure> {
    let mut r = BodyReader::new(Pieces::new(resp, deadline), deadline).cap(cap);
    let mut buf = Vec::new();
    match r.read_to_end(&mut buf) {
        Ok(_) => Ok(buf),
        Err(e) => Err(r.failure(Some(e)).unwrap_or(BodyFailure::Stopped)),
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
    fn retry_after_seconds_and_http_dates() {
        // RFC 9110 §10.2.3's example date, 1994-11-06T08:49:37Z.
        let date = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let before = date - Duration::from_secs(30);
        let p = |v: &str, now| parse_retry_after(v, now);
        assert_eq!(p("120", date), Some(Duration::from_secs(120)));
        assert_eq!(p(" 1.5 ", date), Some(Duration::from_millis(1500)));
        assert_eq!(p("-1", date), None);
        assert_eq!(p("1e400", date), None);
        assert_eq!(p("soon", date), None);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(p(form, before), Some(Duration::from_secs(30)), "{form}");
            // A date in the past: retry at once.
            assert_eq!(
                p(form, date + Duration::from_secs(5)),
                Some(Duration::ZERO),
                "{form}"
            );
        }
    }

    /// A reader giving `data` over and over up to `total` bytes, at most `piece` bytes per
    /// read (as a socket does).
    struct Repeat<'a> {
        data: &'a [u8],
        pos: usize,
        left: u64,
        piece: usize,
    }

    impl Read for Repeat<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf
                .len()
                .min(self.piece)
                .min(self.data.len() - self.pos)
                .min(usize::try_from(self.left).unwrap_or(usize::MAX));
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos = (self.pos + n) % self.data.len();
            self.left -= n as u64;
            Ok(n)
        }
    }

    /// Counts what is written, keeps nothing.
    struct Count(u64);

    impl Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len() as u64;
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Issue #16, defect 6: a dataselect body was read back whole to be validated (a 200 MB
    /// body, 200 MB in memory). A 200 MiB body of real records (a day of IU.COLA.00.LHZ
    /// repeated) streams through a buffer of about 1 MiB, every byte copied out and every
    /// record checked; a bad record far into it stops the reading there.
    #[test]
    fn a_large_body_streams_through_a_bounded_buffer() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let day = std::fs::read(d.join("sds-small/2010/IU/COLA/LHZ.D/IU.COLA.00.LHZ.D.2010.058"))
            .unwrap();
        let per_day = crate::record::RecordScanner::new(&day).count() as u64;
        let line = RequestLine::new(
            &Nslc::new("IU", "COLA", "00", "LHZ"),
            crate::time::parse_time("2010-02-27").unwrap(),
            crate::time::parse_time("2010-02-28").unwrap(),
        );
        let copies = (200u64 << 20) / day.len() as u64;
        let total = copies * day.len() as u64;
        let body = Repeat {
            data: &day,
            pos: 0,
            left: total,
            piece: 16 << 10,
        };
        let mut out = Count(0);
        let deadline = Deadline::start(Duration::from_secs(600));
        let got = stream_records(body, &deadline, &mut out, None, std::slice::from_ref(&line));
        assert!(got.failure.is_none());
        assert_eq!(got.check, Ok((copies * per_day) as usize));
        assert_eq!((got.bytes, out.0), (total, total));
        assert!(
            got.buffer_bytes <= SCAN_CHUNK + (64 << 10),
            "{} bytes held",
            got.buffer_bytes
        );
        // Three copies, then records of a stream that was not asked for: the check names
        // the byte offset and the stream of the first of them.
        let other = std::fs::read(d.join("sds-small/2010/IU/COLA/LH1.D/IU.COLA.00.LH1.D.2010.058"))
            .unwrap();
        let mut data = day.repeat(3);
        data.extend_from_slice(&other);
        let got = stream_records(
            &data[..],
            &deadline,
            &mut Count(0),
            None,
            std::slice::from_ref(&line),
        );
        let at = 3 * day.len();
        let first = crate::record::parse_record(&other).unwrap();
        assert_eq!(
            got.check.unwrap_err(),
            format!(
                "record at byte {at} (IU.COLA.00.LH1, {} to {}) is outside what was asked",
                crate::time::format_time(first.start_ns),
                crate::time::format_time(first.coverage_end_ns())
            )
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
