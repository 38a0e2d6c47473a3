//! fdsnws-dataselect 1.1 at `/fdsnws/dataselect/1/`: `query` and `queryauth` (GET and
//! POST), `version`, `application.wadl`.
//!
//! The rules are the core's ([`siqaco::ops::fdsnws::dataselect`]): this module maps HTTP
//! onto a [`DataselectRequest`], runs its plan on a pooled catalogue, checks it against the
//! limits of the settings (413) and answers "no data" (204, or 404 with `nodata=404`)
//! before the response starts. Then the plan's writer runs on a blocking thread and sends
//! the records in chunks of about [`CHUNK_BYTES`] through a channel of
//! [`CHANNEL_CHUNKS`] chunks into the streamed body (`application/vnd.fdsn.mseed`): memory
//! stays bounded whatever the response's size, and when the client goes away the channel
//! closes and the writer stops.
//!
//! `queryauth` is `query` with the restricted streams included: it counts on the HTTP
//! digest layer the server puts in front of every path ending in `/queryauth`.

use crate::error::FdsnError;
use crate::params;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use siqaco::ops::fdsnws::dataselect::{DataselectRequest, SPEC};
use siqaco::ops::fdsnws::FdsnQuery;

/// The version of the specification this service implements.
pub const VERSION: &str = "1.1.0";

/// The media type of a miniSEED response (FDSN dataselect 1.1).
pub const CONTENT_TYPE: &str = "application/vnd.fdsn.mseed";

/// Bytes of records sent at a time (a chunk of the response body).
pub const CHUNK_BYTES: usize = 128 * 1024;

/// What a 404 for no data says.
const NO_DATA: &str = "no data matches the selection";

/// Chunks the writer may have ready before the client takes them.
pub const CHANNEL_CHUNKS: usize = 2;

/// The routes of the service.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/fdsnws/dataselect/1/query",
            get(|s, u| get_query(s, u, false)).post(|s, u, b| post_query(s, u, b, false)),
        )
        .route(
            "/fdsnws/dataselect/1/queryauth",
            get(|s, u| get_query(s, u, true)).post(|s, u, b| post_query(s, u, b, true)),
        )
        .route("/fdsnws/dataselect/1/version", get(|| async { VERSION }))
        .route(
            "/fdsnws/dataselect/1/application.wadl",
            get(|| async { ([(header::CONTENT_TYPE, "application/xml")], wadl()) }),
        )
}

/// `query`/`queryauth` with GET: the URL's parameters.
async fn get_query(State(state): State<AppState>, uri: Uri, authenticated: bool) -> Response {
    let parsed = params::from_get(&uri, SPEC);
    answer(state, &uri, parsed, authenticated).await
}

/// `query`/`queryauth` with POST: the body's `key=value` and selection lines.
async fn post_query(
    State(state): State<AppState>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
    authenticated: bool,
) -> Response {
    let parsed = params::from_post(&state, body, SPEC, false);
    answer(state, &uri, parsed, authenticated).await
}

async fn answer(
    state: AppState,
    uri: &Uri,
    query: Result<FdsnQuery, FdsnError>,
    authenticated: bool,
) -> Response {
    match respond(state, query, authenticated).await {
        Ok(r) => r,
        Err(e) => e.for_request(uri).into_response(),
    }
}

async fn respond(
    state: AppState,
    query: Result<FdsnQuery, FdsnError>,
    authenticated: bool,
) -> Result<Response, FdsnError> {
    let mut request = DataselectRequest::from_query(query?)?;
    let nodata = request.nodata;
    let settings = state.settings();
    request.mappings = settings.mappings.clone();
    let access = crate::auth::access(&state, authenticated);
    let root = settings.archive.clone();
    let (max_bytes, max_samples) = (settings.max_bytes, settings.max_samples);
    let plan = state
        .with_catalogue(move |cat| request.plan(cat, root.as_deref(), &access))
        .await?;
    if plan.is_empty() {
        return Err(params::no_data(nodata, NO_DATA));
    }
    if plan.bytes > max_bytes {
        return Err(FdsnError::too_large(format!(
            "the selection holds {} bytes of records, more than this server's limit of {} \
             bytes: ask for fewer streams or a shorter window",
            plan.bytes, max_bytes
        )));
    }
    if plan.samples > max_samples {
        return Err(FdsnError::too_large(format!(
            "the selection holds about {} samples, more than this server's limit of {} \
             samples: ask for fewer streams or a shorter window",
            plan.samples, max_samples
        )));
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let mut chunk: Vec<u8> = Vec::with_capacity(CHUNK_BYTES * 2);
        let written = plan.write(|record| {
            chunk.extend_from_slice(record);
            if chunk.len() >= CHUNK_BYTES {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_BYTES * 2));
                tx.blocking_send(Ok(Bytes::from(full))).map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
                })?;
            }
            Ok(())
        });
        match written {
            Ok(_) => {
                if !chunk.is_empty() {
                    let _ = tx.blocking_send(Ok(Bytes::from(chunk)));
                }
            }
            Err(_) if tx.is_closed() => {
                tracing::info!("dataselect: the client went away; response ended");
            }
            Err(e) => {
                // The status is sent: end the body with an error (the client sees a
                // transfer cut short, not a complete response).
                tracing::error!(error = %e, "dataselect: reading the records failed");
                let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
            }
        }
    });
    let first = match rx.recv().await {
        None => return Err(params::no_data(nodata, NO_DATA)),
        Some(Err(e)) => return Err(FdsnError::internal(e.to_string())),
        Some(Ok(first)) => first,
    };
    let body = futures_util::stream::unfold((Some(first), rx), |(first, mut rx)| async move {
        match first {
            Some(b) => Some((Ok(b), (None, rx))),
            None => rx.recv().await.map(|item| (item, (None, rx))),
        }
    });
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        Body::from_stream(body),
    )
        .into_response())
}

/// The service's WADL description (FDSN Web Service Specifications 1.2, fdsnws-dataselect
/// 1.1 parameters): `query`, and `queryauth` with the same parameters.
pub fn wadl() -> String {
    use crate::wadl::{document, Param, Resource, NODATA, SELECTION};
    let mut params = SELECTION.to_vec();
    params.extend([
        Param::new("quality", "xsd:string")
            .options(&["D", "R", "Q", "M", "B"])
            .doc("Quality indicator; B = the best of each stream; absent = every record."),
        Param::new("minimumlength", "xsd:float")
            .default("0.0")
            .doc("Shortest continuous segment returned, seconds."),
        Param::new("longestonly", "xsd:boolean")
            .default("false")
            .doc("Only the longest continuous segment of each stream."),
        Param::new("format", "xsd:string")
            .default("miniseed")
            .options(&["miniseed"]),
        NODATA,
    ]);
    let resource = |path, doc| Resource {
        path,
        doc,
        params: params.clone(),
        media: &[CONTENT_TYPE],
    };
    document(
        "FDSN dataselect web service 1.1 (siqaco serve)",
        "/fdsnws/dataselect/1/",
        &[
            resource("query", ""),
            resource(
                "queryauth",
                "As query, with HTTP digest authentication: restricted streams included.",
            ),
        ],
    )
}
