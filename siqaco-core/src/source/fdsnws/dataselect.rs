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

use super::client::{
    exchange_token, gave_up, http_client, request_uri, resolve_service, retry_after, snippet,
    wait_to_retry, BodyFailure, BodyReader, Deadline, Pieces,
};
use super::{AvailabilityMode, Credentials, FdsnOptions};
use crate::error::{Error, Result};
use crate::record::scan_reader;
use crate::sid::Nslc;
use crate::source::{
    full_availability, postfile_text, staged_name, AvailabilitySpan, FetchReport, InFlight,
    RecordCheck, RequestLine, Source, SourceInfo, Throttle,
};
use std::cell::Cell;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

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
            target: super::LOG_TARGET,
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
                        return Err(gave_up(err, retries + 1));
                    }
                    retries += 1;
                    report.requests_retried += 1;
                    wait_to_retry(&err, after, &mut delay, &self.opts);
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
    fn availability(&self, streams: &[Nslc], window: (i64, i64)) -> Result<Vec<AvailabilitySpan>> {
        let (start_ns, end_ns) = window;
        match self.availability_url() {
            None if self.opts.availability == AvailabilityMode::Assume => {
                Ok(full_availability(streams, window))
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

/// Bytes read at once from a dataselect body into the record scanner's buffer (which holds
/// one chunk, or one record of up to 10 MiB when a record is longer).
const SCAN_CHUNK: usize = 1 << 20;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
