//! `siqaco serve`: the archive as FDSN web services and a status page, from the catalogue
//! siqaco maintains.
//!
//! - `/fdsnws/dataselect/1/`: fdsnws-dataselect 1.1 ([`dataselect`]).
//! - `/fdsnws/availability/1/`: fdsnws-availability 1.0 ([`availability`]).
//! - `/fdsnws/station/1/`: fdsnws-station 1.1 from StationXML files ([`station`]).
//! - `/` and `/api/`: the status page and the JSON it is drawn from ([`status`]).
//!
//! The rules (which records, which time spans, which channels) are the core's
//! ([`siqaco::ops::fdsnws`]); this crate maps HTTP onto them: parameters, error documents
//! ([`error`], [`fallback`]), authentication ([`auth`]), limits and the access log
//! ([`guard`]), streaming and shutdown ([`serve`]). See `docs/serve.md`.

pub mod auth;
pub mod availability;
pub mod dataselect;
pub mod error;
pub mod fallback;
pub mod guard;
pub mod params;
pub mod state;
pub mod station;
pub mod status;
pub mod wadl;

pub use siqaco::ops::ServeSettings;
pub use state::AppState;

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// The application: every service's routes on one router, with the shared state, behind
/// the server's layers (outermost first): [`guard::middleware`] (concurrency limit, time
/// limit, access log), [`fallback::documents`] (every error an FDSN document), a caught
/// panic is a 500 ([`fallback::panic_document`]), the body size limit
/// ([`ServeSettings::max_post_bytes`]), [`auth::middleware`] (digest authentication of
/// `queryauth` and `/operator`).
///
/// A credentials file that cannot be read is logged and every guarded path refused ([`serve`]
/// refuses to start with it).
pub fn app(state: AppState) -> Router {
    let settings = state.settings();
    let digest = auth::Digest::load(settings).unwrap_or_else(|e| {
        tracing::error!("credentials: {e}");
        auth::Digest::refusing(&settings.realm)
    });
    let max_body = settings.max_post_bytes();
    let guard = Arc::new(guard::Guard::new(settings));
    Router::new()
        .merge(dataselect::routes())
        .merge(availability::routes())
        .merge(station::routes())
        .merge(status::routes())
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(digest),
            auth::middleware,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            fallback::panic_document,
        ))
        .layer(axum::middleware::from_fn_with_state(
            max_body,
            fallback::documents,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard,
            guard::middleware,
        ))
        .with_state(state)
}

/// Serves `settings` until `shutdown` completes, then lets the requests in progress finish
/// (a streaming response to its last byte) while accepting no new connection.
///
/// Connections are HTTP/1.1 (hyper): a client has [`ServeSettings::header_timeout_s`] to
/// send a request's headers, or its connection is closed; a failed connection or a request
/// refused never stops the server.
///
/// # Errors
/// [`siqaco::Error`] for invalid settings, a catalogue or credentials file that cannot be
/// read, or an address that cannot be bound.
pub async fn serve(
    settings: ServeSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> siqaco::Result<()> {
    settings.validate()?;
    auth::Digest::load(&settings)?;
    // Opening a PostgreSQL catalogue blocks on a runtime of its own: not on tokio's threads.
    let opening = settings.clone();
    let state = tokio::task::spawn_blocking(move || AppState::new(opening))
        .await
        .map_err(|e| siqaco::Error::invalid_argument(format!("opening the catalogue: {e}")))??;
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .map_err(|e| siqaco::Error::io(format!("bind {}", settings.bind), e))?;
    tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "serving");
    let router = app(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs_f64(settings.header_timeout_s));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(AtomicUsize::new(0));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, a connection reset before it was accepted:
                    // wait a little and go on.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Responses are written whole or in large chunks: no need to wait for ACKs.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            router.clone().oneshot(req)
        });
        let connection =
            graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        let open = OpenConnection::new(&open);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%remote, "connection: {e}");
            }
            drop(open);
        });
    }
    drop(listener);
    tracing::info!(
        connections = open.load(Ordering::Relaxed),
        "no new connection accepted; waiting for those open"
    );
    graceful.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// One connection counted in the number open while it lives.
struct OpenConnection(Arc<AtomicUsize>);

impl OpenConnection {
    fn new(open: &Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(open.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// [`serve`] on a new multi-threaded tokio runtime until SIGINT or SIGTERM (the command
/// line's entry point).
///
/// The first signal stops accepting connections and lets the requests in progress finish;
/// a second one stops at once, closing the connections still open (a download to a client
/// that stopped reading would otherwise hold the process forever).
///
/// # Errors
/// As [`serve`]; [`siqaco::Error::Io`] when the runtime cannot start.
pub fn run(settings: ServeSettings) -> siqaco::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| siqaco::Error::io("tokio runtime", e))?;
    let result = rt.block_on(async {
        let (signals, received) = tokio::sync::watch::channel(0u32);
        tokio::spawn(async move {
            loop {
                shutdown_signal().await;
                signals.send_modify(|n| *n += 1);
            }
        });
        let mut first = received.clone();
        let mut second = received;
        let first = async move {
            let _ = first.wait_for(|n| *n >= 1).await;
        };
        tokio::select! {
            served = serve(settings, first) => served,
            _ = second.wait_for(|n| *n >= 2) => {
                tracing::warn!("second signal: stopping now, closing the connections still open");
                Ok(())
            }
        }
    });
    // Blocking work still running (a catalogue query) is not waited for.
    rt.shutdown_timeout(Duration::from_secs(1));
    result
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!(
        "shutting down: finishing the requests in progress (a second signal stops at once)"
    );
}
