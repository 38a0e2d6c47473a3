//! Error documents of the FDSN web services (FDSN Web Service Specifications 1.2, "Error
//! handling"): a plain-text body with the status, a description, the request and the
//! service version, for every error status.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// An error answered with an FDSN error document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdsnError {
    /// The HTTP status (400, 401, 404, 413, 500, 503...).
    pub status: StatusCode,
    /// What went wrong, for the user (a 400 names the parameter).
    pub detail: String,
    /// The request as received (path and query), when known.
    pub request: Option<String>,
}

impl FdsnError {
    /// An error with `status` and `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        FdsnError {
            status,
            detail: detail.into(),
            request: None,
        }
    }

    /// 400: a parameter refused; `detail` names it.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 413: the request selects more than the server's limits.
    pub fn too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, detail)
    }

    /// 500: the server failed.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }

    /// The same error, naming the request it answers.
    pub fn for_request(mut self, uri: &Uri) -> Self {
        self.request = Some(uri.to_string());
        self
    }

    /// The document's text.
    pub fn document(&self) -> String {
        let reason = self.status.canonical_reason().unwrap_or("Error");
        let kind = match self.status.as_u16() {
            400 => "Syntax Error in Request",
            401 => "Authentication required",
            403 => "Forbidden",
            404 | 204 => "No data",
            405 => "Method not allowed",
            413 => "Request too large",
            503 => "Service temporarily unavailable",
            _ => "Internal server error",
        };
        format!(
            "Error {}: {reason}\n\n{kind}\n{}\n\nUsage details are available from \
             /fdsnws/\n\nRequest:\n{}\n\nRequest Submitted:\n{}\n\nService version:\nsiqaco {}\n",
            self.status.as_u16(),
            self.detail,
            self.request.as_deref().unwrap_or(""),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            env!("CARGO_PKG_VERSION"),
        )
    }
}

impl From<siqaco::Error> for FdsnError {
    /// A POST body over the selection line limit is a 413; another refused request field
    /// is a 400 naming it; every other error is a 500.
    fn from(e: siqaco::Error) -> Self {
        match &e {
            e if siqaco::ops::fdsnws::params::is_over_line_limit(e) => {
                FdsnError::too_large(e.to_string())
            }
            siqaco::Error::InvalidField { field, message } => {
                FdsnError::bad_request(format!("{field}: {message}"))
            }
            siqaco::Error::InvalidArgument(m) => FdsnError::bad_request(m.clone()),
            _ => FdsnError::internal(e.to_string()),
        }
    }
}

/// Marks a response whose body is an FDSN error document (a response extension), so that
/// [`crate::fallback::documents`] leaves it as it is.
#[derive(Clone, Copy, Debug)]
pub struct Document;

impl IntoResponse for FdsnError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::NO_CONTENT {
            return StatusCode::NO_CONTENT.into_response();
        }
        let mut r = (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.document(),
        )
            .into_response();
        r.extensions_mut().insert(Document);
        r
    }
}
