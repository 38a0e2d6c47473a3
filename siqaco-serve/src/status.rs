//! The status page at `/` and the JSON it is drawn from under `/api/`.

use crate::state::AppState;
use axum::routing::get;
use axum::Router;

/// The routes of the status page.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(|| async { "siqaco serve" }))
}
