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
//! ([`error`]), authentication, limits, streaming and shutdown. See `docs/serve.md`.

pub mod availability;
pub mod dataselect;
pub mod error;
pub mod state;
pub mod station;
pub mod status;

pub use siqaco::ops::ServeSettings;
pub use state::AppState;

use axum::Router;
use std::future::Future;

/// The application: every service's routes on one router, with the shared state.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(dataselect::routes())
        .merge(availability::routes())
        .merge(station::routes())
        .merge(status::routes())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `settings` until `shutdown` completes, then lets the requests in progress finish.
///
/// # Errors
/// [`siqaco::Error`] for invalid settings, a catalogue that cannot be opened, or an address
/// that cannot be bound.
pub async fn serve(
    settings: ServeSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> siqaco::Result<()> {
    settings.validate()?;
    let state = AppState::new(settings.clone())?;
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .map_err(|e| siqaco::Error::io(format!("bind {}", settings.bind), e))?;
    tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "serving");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| siqaco::Error::io("serve", e))
}

/// [`serve`] on a new multi-threaded tokio runtime until SIGINT or SIGTERM (the command
/// line's entry point).
///
/// # Errors
/// As [`serve`]; [`siqaco::Error::Io`] when the runtime cannot start.
pub fn run(settings: ServeSettings) -> siqaco::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| siqaco::Error::io("tokio runtime", e))?;
    rt.block_on(serve(settings, shutdown_signal()))
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
    tracing::info!("shutting down: finishing the requests in progress");
}
