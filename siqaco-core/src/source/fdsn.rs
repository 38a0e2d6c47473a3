//! FDSN dataselect web-service source (FDSN Web Service Specifications 1.2, "fdsnws-dataselect").
//!
//! Requests are POSTed to `<base>/fdsnws/dataselect/1/query` with `nodata=404` (and
//! `quality=` only when asked) followed by one `NET STA LOC CHA START END` line per
//! [`RequestLine`]; times are `YYYY-MM-DDTHH:MM:SS.ffffff` without zone suffix, an empty
//! location is `--`. Outcomes by status:
//!
//! | status | outcome |
//! |---|---|
//! | 200 with a body | the body streams to a hidden temporary file in the staging directory, is validated ([`validate_records`](super)) and renamed into place; a body that is not miniSEED (an HTML page), ends in a truncated record, or holds records outside what was asked is an [`Error::Http`] naming the URL, not retried, and leaves nothing |
//! | 200 empty, 204, 404 | no data |
//! | 413 | the request is split in two (by streams when it has several lines, else by time) and both halves are fetched; windows are not split below [`FdsnOptions::min_split_s`] |
//! | 429, 503 | retried after `Retry-After` seconds (capped by [`FdsnOptions::max_retry_after`]) or the backoff delay |
//! | 400, 401, 403 | error at once, with the server's message |
//! | other statuses, connection errors, timeouts | retried with exponential backoff up to [`FdsnOptions::max_retries`] times |
//!
//! Uses reqwest's blocking client with rustls: do not call it from inside a tokio runtime.

use super::{
    full_availability, postfile_text, staged_name, validate_records, AvailabilitySpan, FetchReport,
    InFlight, RequestLine, Source, SourceInfo, Throttle,
};
use crate::error::{Error, Result};
use crate::sid::Nslc;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

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
        }
    }
}

/// An FDSN dataselect service.
#[derive(Debug)]
pub struct FdsnDataselect {
    info: SourceInfo,
    query_url: String,
    client: reqwest::blocking::Client,
    opts: FdsnOptions,
    in_flight: InFlight,
    throttle: Throttle,
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
    /// path `/fdsnws/dataselect/1/query` is appended), the service URL (ending in
    /// `/fdsnws/dataselect/1`), or the full query URL (ending in `/query`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a URL that is not `http://` or `https://`;
    /// [`Error::Http`] when the HTTP client cannot be built.
    pub fn new(info: SourceInfo, url: &str, opts: FdsnOptions) -> Result<Self> {
        let query_url = query_url(url)?;
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(opts.timeout)
            .timeout(opts.timeout)
            .user_agent(concat!("siqaco/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Http {
                url: query_url.clone(),
                status: None,
                message: format!("cannot build HTTP client: {e}"),
            })?;
        Ok(FdsnDataselect {
            in_flight: InFlight::new(info.max_in_flight),
            throttle: Throttle::new(info.bandwidth_bytes_per_s),
            info,
            query_url,
            client,
            opts,
        })
    }

    /// The query URL requests go to.
    pub fn query_url(&self) -> &str {
        &self.query_url
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
        let resp = match self.client.post(&self.query_url).body(body).send() {
            Ok(r) => r,
            Err(e) => return Ok(Attempt::Retry(self.http_err(None, transport(&e)), None)),
        };
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
        // Stream the body to a temporary file in the staging directory.
        let mut tmp = tempfile::Builder::new()
            .prefix(".siqaco-partial-")
            .tempfile_in(staging)
            .map_err(|e| Error::io(staging, e))?;
        let mut resp = resp;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
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
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io(tmp.path(), e))?;
        let data = std::fs::read(tmp.path()).map_err(|e| Error::io(tmp.path(), e))?;
        if let Err(msg) = validate_records(&data, lines) {
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

    /// The whole window for every stream (an availability client is future work).
    fn availability(
        &self,
        streams: &[Nslc],
        start_ns: i64,
        end_ns: i64,
    ) -> Result<Vec<AvailabilitySpan>> {
        Ok(full_availability(streams, start_ns, end_ns))
    }

    /// GETs `<service>/version`: online when the server answers with 200.
    fn is_online(&self) -> bool {
        let version = self.query_url.trim_end_matches("query").to_string() + "version";
        self.client
            .get(version)
            .send()
            .map(|r| r.status().is_success())
            .unwrap_or(false)
    }
}

/// The query URL for a base, service or query URL.
fn query_url(url: &str) -> Result<String> {
    let u = url.trim().trim_end_matches('/');
    if !(u.starts_with("http://") || u.starts_with("https://")) {
        return Err(Error::invalid_argument(format!(
            "{url:?} is not an http:// or https:// URL"
        )));
    }
    Ok(if u.ends_with("/query") {
        u.to_string()
    } else if u.ends_with("/fdsnws/dataselect/1") {
        format!("{u}/query")
    } else {
        format!("{u}/fdsnws/dataselect/1/query")
    })
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
    fn urls() {
        assert_eq!(
            query_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/fdsnws/dataselect/1/query"
        );
        assert_eq!(
            query_url("https://h/fdsnws/dataselect/1/").unwrap(),
            "https://h/fdsnws/dataselect/1/query"
        );
        assert_eq!(query_url("http://h/x/query").unwrap(), "http://h/x/query");
        assert!(query_url("ftp://h").is_err());
    }
}
