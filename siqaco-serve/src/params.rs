//! A service request's parameters from HTTP, for every service: the URL's query string
//! (GET) or the body (POST), parsed by the core's [`FdsnQuery`]; and the "no data" answer.

use crate::error::FdsnError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Query;
use axum::http::{StatusCode, Uri};
use siqaco::ops::fdsnws::{FdsnQuery, ParamSpec};

/// The `key=value` pairs of `uri`'s query string, percent-decoded.
///
/// # Errors
/// 400 when the query string cannot be decoded.
pub fn pairs(uri: &Uri) -> Result<Vec<(String, String)>, FdsnError> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(p)| p)
        .map_err(|e| FdsnError::bad_request(e.body_text()))
}

/// The parameters of a GET request to a service accepting `spec`
/// ([`FdsnQuery::from_pairs`]).
///
/// # Errors
/// 400 naming the parameter refused.
pub fn from_get(uri: &Uri, spec: &[ParamSpec]) -> Result<FdsnQuery, FdsnError> {
    Ok(FdsnQuery::from_pairs(&pairs(uri)?, spec)?)
}

/// The parameters of a POST request to a service accepting `spec`
/// ([`FdsnQuery::from_post`], at most the settings' `max_post_lines` selection lines;
/// `open_times`: `*` allowed as a time, fdsnws-station).
///
/// # Errors
/// The body's rejection (413 over the size limit), 400 for a body that is not UTF-8 or a
/// parameter refused, 413 over `max_post_lines`.
pub fn from_post(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
    spec: &[ParamSpec],
    open_times: bool,
) -> Result<FdsnQuery, FdsnError> {
    let body = body.map_err(|e| FdsnError::new(e.status(), e.body_text()))?;
    let text =
        std::str::from_utf8(&body).map_err(|_| FdsnError::bad_request("body: not UTF-8 text"))?;
    Ok(FdsnQuery::from_post(
        text,
        spec,
        state.settings().max_post_lines,
        open_times,
    )?)
}

/// "No data" with the status the request asked for (`nodata`: 204, or 404 with a
/// document saying `what`).
pub fn no_data(nodata: u16, what: &str) -> FdsnError {
    FdsnError::new(
        StatusCode::from_u16(nodata).unwrap_or(StatusCode::NO_CONTENT),
        what,
    )
}
