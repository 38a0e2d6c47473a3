//! FDSN error documents for what the services do not answer themselves: an unknown path
//! (404), a method a path does not take (405), a body over the size limit (413, from the
//! body extractors), a handler that panicked (500). Every error a client gets is a
//! document (FDSN Web Service Specifications 1.2, "Error handling").

use crate::error::{Document, FdsnError};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Longest body of a response that is turned into a document (axum's rejections are a
/// line of text).
const MAX_REJECTION_TEXT: usize = 4096;

/// Turns an error response that is not an FDSN document (status 400 and above, no
/// [`Document`] extension, an empty or plain-text body: the router's 404 and 405, the
/// extractors' rejections) into one with the same status and headers; `max_body` (bytes)
/// is named in a 413. JSON or HTML error responses (the status page's) are left as they
/// are.
pub async fn documents(State(max_body): State<usize>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let response = next.run(req).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if status.as_u16() < 400 || response.extensions().get::<Document>().is_some() || !plain {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REJECTION_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = match status {
        StatusCode::NOT_FOUND => format!(
            "no such path: {} (the services are under /fdsnws/dataselect/1/, \
             /fdsnws/availability/1/ and /fdsnws/station/1/; the status page is /)",
            uri.path()
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!(
                "method {method} is not allowed on {} (GET or POST)",
                uri.path()
            )
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the request body is larger than {max_body} bytes")
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_string(),
        _ => text,
    };
    let doc = FdsnError::new(status, detail)
        .for_request(&uri)
        .into_response();
    let (doc_parts, doc_body) = doc.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &doc_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    parts.extensions.insert(Document);
    Response::from_parts(parts, doc_body)
}

/// The answer to a handler that panicked: a 500 document (the panic is logged; the server
/// goes on serving). For tower-http's `CatchPanicLayer::custom`.
pub fn panic_document(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request handler panicked");
    FdsnError::internal("the server failed on this request (logged)").into_response()
}
