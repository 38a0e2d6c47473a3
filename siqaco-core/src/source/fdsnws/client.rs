//! The HTTP client shared by the FDSN web-service clients ([`super::dataselect`],
//! [`super::availability`], [`super::station`]): the options ([`FdsnOptions`]) and
//! credentials ([`Credentials`]), the service URL rule (FDSN Web Service Specifications
//! 1.2, §"URL"), the blocking reqwest client (rustls, siqaco's user agent), the deadline of a
//! request (connect, headers and whole body within [`FdsnOptions::timeout`], no silence
//! longer than [`FdsnOptions::read_timeout`]), the retry rules (backoff, `Retry-After`,
//! RFC 9110 §10.2.3), bodies read under a cap ([`FdsnOptions::max_text_bytes`]) and the EIDA
//! token exchange. It imports no other FDSN module: the dataselect, availability and
//! station clients build on it.
//!
//! Uses reqwest's blocking client with rustls: do not call it from inside a tokio runtime.

use crate::error::{Error, Result};
use crate::source::Throttle;
use std::cell::Cell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
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

/// The environment variable the front ends (the CLI, the Python package) read a password
/// from when a user is given without one, and pass to [`Credentials::from_options`] as
/// `password_fallback` (a command line is visible to other users). The library never reads
/// the environment.
pub const PASSWORD_ENV: &str = "SIQACO_FDSN_PASSWORD";

impl Credentials {
    /// The credentials of a fetch's options (fields `user`, `password`, `token`): an EIDA
    /// token file, or a user with `password` (when `None`, `password_fallback`: what the
    /// front end read from [`PASSWORD_ENV`]), or none.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the field (`token: ...`, `password: ...`) when both
    /// a user and a token are given, when a password is given without a user, or when a
    /// user has no password and there is no fallback.
    pub fn from_options(
        user: Option<&str>,
        password: Option<&str>,
        token: Option<&Path>,
        password_fallback: Option<&str>,
    ) -> Result<Option<Credentials>> {
        if let Some(t) = token {
            if user.is_some() {
                return Err(Error::field("token", "user and token exclude each other"));
            }
            return Ok(Some(Credentials::EidaToken(t.to_path_buf())));
        }
        let Some(user) = user else {
            if password.is_some() {
                return Err(Error::field("password", "a password needs a user"));
            }
            return Ok(None);
        };
        let Some(password) = password.or(password_fallback) else {
            return Err(Error::field(
                "password",
                format!("user {user:?} needs a password (or {PASSWORD_ENV} set)"),
            ));
        };
        Ok(Some(Credentials::Password {
            user: user.to_string(),
            password: password.to_string(),
        }))
    }
}

/// Where [`FdsnDataselect`](super::FdsnDataselect) takes availability from ([`Source::availability`](crate::source::Source::availability)).
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

impl std::str::FromStr for AvailabilityMode {
    type Err = Error;

    /// The mode a user names (`siqaco fetch --availability`, the `availability` field):
    /// `assume`, `service`, or else an availability URL (checked when it is used). Never
    /// fails.
    fn from_str(spec: &str) -> Result<Self> {
        Ok(match spec {
            "assume" => AvailabilityMode::Assume,
            "service" => AvailabilityMode::Service,
            u => AvailabilityMode::Url(u.to_string()),
        })
    }
}

/// Options of [`FdsnDataselect`](super::FdsnDataselect) and of the availability and station
/// clients. Build it from [`FdsnOptions::default`], which holds the one set of defaults
/// (also those of an update's `[[sources]]` and of [`crate::ops::FetchRequest`], whose
/// own deadline is 120 s), and set fields (new fields may be added):
///
/// ```
/// use siqaco::source::fdsnws::FdsnOptions;
/// let mut opts = FdsnOptions::default();
/// opts.max_retries = 0;
/// opts.quality = Some("M".into());
/// assert_eq!(opts.timeout.as_secs(), 60);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
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
pub(crate) fn request_uri(url: &str) -> String {
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
pub(crate) fn exchange_token(
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
            return Err(gave_up(e, attempts));
        }
        wait_to_retry(&e, after, &mut delay, opts);
    }
}

/// The error of a request given up after `attempts` attempts: the last attempt's error, an
/// [`Error::Http`]'s message ending in `(gave up after N attempts)`.
pub(crate) fn gave_up(e: Error, attempts: u32) -> Error {
    match e {
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
    }
}

/// Waits before the next attempt after the retryable error `e`: the server's `Retry-After`
/// delay `after` when there was one, else the backoff `delay`, which then doubles up to
/// [`FdsnOptions::backoff_max`]. Logs a WARN event naming `e` and the wait.
pub(crate) fn wait_to_retry(
    e: &Error,
    after: Option<Duration>,
    delay: &mut Duration,
    opts: &FdsnOptions,
) {
    let wait = after.unwrap_or(*delay);
    tracing::warn!(
        target: super::LOG_TARGET,
        "{e}; retrying in {:.1} s",
        wait.as_secs_f64()
    );
    std::thread::sleep(wait);
    *delay = (*delay * 2).min(opts.backoff_max);
}

/// The delay a `Retry-After` header asks for (RFC 9110 §10.2.3): delay-seconds (a
/// non-negative decimal number), or an HTTP date (IMF-fixdate, or the obsolete RFC 850 and
/// asctime forms, read by the `httpdate` crate) taken relative to `now`; a date in the past
/// gives zero (retry at once). `None` when the header is absent or neither form.
pub(crate) fn retry_after(resp: &reqwest::blocking::Response, now: SystemTime) -> Option<Duration> {
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
pub(crate) fn snippet(resp: reqwest::blocking::Response) -> String {
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
    pub(crate) fn of(opts: &FdsnOptions) -> Self {
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
    pub(crate) fn send(
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
    pub(crate) fn message(&self) -> String {
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
    /// Throttled to this rate as it is read (none: unthrottled).
    pub(crate) throttle: Option<&'a Throttle>,
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
    pub(crate) fn stop_on(mut self, stop: &'a Cell<bool>) -> Self {
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

/// A response body read on a thread of its own and handed over in pieces of up to 64 KiB
/// (at most 4 waiting), so that the wait for the next piece can be bounded by the read
/// timeout: reqwest's blocking reads can only be bounded by the request's timeout, which
/// is the whole deadline. A wait that ends without a piece is an error of kind `TimedOut`.
/// The thread ends with the body, or when the pieces are no longer wanted, or at the
/// request's deadline (reqwest's timeout of the request).
pub(crate) struct Pieces {
    rx: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    piece: Vec<u8>,
    pos: usize,
    done: bool,
    at: Instant,
    read_timeout: Duration,
}

impl Pieces {
    pub(crate) fn new(mut body: impl Read + Send + 'static, deadline: &Deadline) -> Self {
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
        let p = Credentials::from_options(Some("u"), Some("p"), None, None).unwrap();
        assert_eq!(
            p,
            Some(Credentials::Password {
                user: "u".into(),
                password: "p".into()
            })
        );
        let t = Credentials::from_options(None, None, Some(Path::new("tok")), None).unwrap();
        assert_eq!(t, Some(Credentials::EidaToken("tok".into())));
        assert_eq!(
            Credentials::from_options(None, None, None, Some("env")).unwrap(),
            None
        );
        // The fallback (the front ends' environment variable) serves a user without a
        // password only; errors name the field.
        assert_eq!(
            Credentials::from_options(Some("u"), None, None, Some("env")).unwrap(),
            Some(Credentials::Password {
                user: "u".into(),
                password: "env".into()
            })
        );
        assert_eq!(
            Credentials::from_options(Some("u"), Some("p"), None, Some("env")).unwrap(),
            p
        );
        let msg = |u, pw, t: Option<&str>| {
            Credentials::from_options(u, pw, t.map(Path::new), None)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(Some("u"), None, Some("t")),
            "invalid argument: token: user and token exclude each other"
        );
        assert_eq!(
            msg(None, Some("p"), None),
            "invalid argument: password: a password needs a user"
        );
        assert_eq!(
            msg(Some("u"), None, None),
            "invalid argument: password: user \"u\" needs a password (or SIQACO_FDSN_PASSWORD set)"
        );
        assert_eq!(
            "assume".parse::<AvailabilityMode>().unwrap(),
            AvailabilityMode::Assume
        );
        assert_eq!(
            "service".parse::<AvailabilityMode>().unwrap(),
            AvailabilityMode::Service
        );
        assert_eq!(
            "http://h/x".parse::<AvailabilityMode>().unwrap(),
            AvailabilityMode::Url("http://h/x".into())
        );
    }

    #[test]
    fn digest_request_uri() {
        assert_eq!(request_uri("http://h:80/a/b?x=1"), "/a/b?x=1");
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
