//! What every request passes first: the concurrency limit (503 over
//! [`ServeSettings::max_concurrent`]), the time limit (503 after
//! [`ServeSettings::timeout_s`] without a response), and the access log.
//!
//! The access log is one `tracing` event per request at level INFO, target
//! `siqaco_serve::access` (`SIQACO_LOG=siqaco_serve::access=info` shows it): the remote
//! address, method, path and query, status, response bytes sent, duration in milliseconds
//! from the request's headers to the response's last byte (or the client's disconnection),
//! and the authenticated user. It is written when the response body ends or is dropped, so
//! a streamed response is logged with the bytes actually sent; its slot of the concurrency
//! limit is held until then too.

use crate::auth::Authenticated;
use crate::error::FdsnError;
use crate::ServeSettings;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The target of the access log's events.
pub const ACCESS_TARGET: &str = "siqaco_serve::access";

/// The limits of [`middleware`], from the settings.
#[derive(Debug)]
pub struct Guard {
    slots: Arc<Semaphore>,
    max_concurrent: usize,
    timeout: Duration,
}

impl Guard {
    /// The guard of `settings` (assumed valid: [`ServeSettings::validate`]).
    pub fn new(settings: &ServeSettings) -> Guard {
        Guard {
            slots: Arc::new(Semaphore::new(settings.max_concurrent)),
            max_concurrent: settings.max_concurrent,
            timeout: Duration::from_secs_f64(settings.timeout_s),
        }
    }
}

/// One access log line, written when dropped (with the response body).
struct Entry {
    remote: Option<SocketAddr>,
    method: Method,
    target: String,
    status: u16,
    user: Option<String>,
    start: Instant,
    bytes: u64,
    _slot: Option<OwnedSemaphorePermit>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        tracing::info!(
            target: ACCESS_TARGET,
            remote = %self.remote.map_or_else(|| "-".to_string(), |r| r.to_string()),
            method = %self.method,
            target = %self.target,
            status = self.status,
            bytes = self.bytes,
            duration_ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX),
            user = %self.user.as_deref().unwrap_or("-"),
        );
    }
}

/// The middleware: a slot of the concurrency limit taken without waiting (none free: 503
/// with `Retry-After: 1`), the request run under the time limit (over it: 503), the
/// response body counted and logged.
pub async fn middleware(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let remote = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let (response, slot) = match guard.slots.clone().try_acquire_owned() {
        Err(_) => {
            let mut r = FdsnError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server is answering {} requests, its limit; retry later",
                    guard.max_concurrent
                ),
            )
            .for_request(&uri)
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            (r, None)
        }
        Ok(slot) => match tokio::time::timeout(guard.timeout, next.run(req)).await {
            Ok(r) => (r, Some(slot)),
            Err(_) => (
                FdsnError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the request took more than {} s, the server's limit",
                        guard.timeout.as_secs_f64()
                    ),
                )
                .for_request(&uri)
                .into_response(),
                None,
            ),
        },
    };
    let entry = Entry {
        remote,
        method,
        target: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_string(), |p| p.to_string()),
        status: response.status().as_u16(),
        user: response
            .extensions()
            .get::<Authenticated>()
            .map(|a| a.user.clone()),
        start,
        bytes: 0,
        _slot: slot,
    };
    let (parts, inner) = response.into_parts();
    Response::from_parts(parts, Body::new(Logged { inner, entry }))
}

/// A response body counted into its access log entry, which is written when the body is
/// dropped (sent to its end, or the client gone).
struct Logged {
    inner: Body,
    entry: Entry,
}

impl http_body::Body for Logged {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.entry.bytes += data.len() as u64;
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
