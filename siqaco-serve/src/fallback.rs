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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::{get, post};
    use axum::Router;
    use tower::ServiceExt;

    async fn call(app: &Router, method: &str, uri: &str, body: &str) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body.to_string()))
            .unwrap();
        let r = app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8(b.to_vec()).unwrap())
    }

    /// The layers of [`crate::app`] that make documents, around routes that panic, read a
    /// body, and answer JSON.
    fn app() -> Router {
        Router::new()
            .route(
                "/boom",
                get(|| async {
                    if true {
                        panic!("a bug");
                    }
                    "never"
                }),
            )
            .route("/echo", post(|body: String| async move { body }))
            .route(
                "/json",
                get(|| async { (StatusCode::BAD_REQUEST, axum::Json(vec![1])) }),
            )
            .layer(axum::extract::DefaultBodyLimit::max(10))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_document,
            ))
            .layer(axum::middleware::from_fn_with_state(10usize, documents))
    }

    #[tokio::test]
    async fn every_error_is_a_document() {
        let app = app();
        let (s, t) = call(&app, "GET", "/boom", "").await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(t.starts_with("Error 500: Internal Server Error"), "{t}");
        // The router goes on answering after a panic.
        assert_eq!(
            call(&app, "POST", "/echo", "0123456789").await.1,
            "0123456789"
        );
        let (s, t) = call(&app, "POST", "/echo", "0123456789A").await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            t.contains("the request body is larger than 10 bytes"),
            "{t}"
        );
        let (s, t) = call(&app, "GET", "/echo", "").await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        assert!(t.contains("method GET is not allowed on /echo"), "{t}");
        let (s, t) = call(&app, "GET", "/missing?x=1", "").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(t.contains("no such path: /missing") && t.contains("Request:\n/missing?x=1"));
        // A JSON error (the status page's) is left as it is.
        assert_eq!(
            call(&app, "GET", "/json", "").await,
            (StatusCode::BAD_REQUEST, "[1]".into())
        );
    }
}
