//! fdsnws-dataselect at `/fdsnws/dataselect/1/`.

use crate::state::AppState;
use axum::routing::get;
use axum::Router;

/// The version of the specification this service implements.
pub const VERSION: &str = "1.1.0";

/// The routes of the service.
pub fn routes() -> Router<AppState> {
    Router::new().route("/fdsnws/dataselect/1/version", get(|| async { VERSION }))
}
