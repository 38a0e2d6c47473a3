//! fdsnws-availability at `/fdsnws/availability/1/`: `extent` and `query` (GET and POST),
//! `version`, `application.wadl`. The rules are the core's
//! ([`siqaco::ops::fdsnws::availability`]); a handler maps the HTTP request onto an
//! [`AvailabilityRequest`] and its answer onto a response (the format's content type, or
//! the `nodata` status when there is no row).

use crate::error::FdsnError;
use crate::params;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use siqaco::ops::fdsnws::availability::{AvailabilityRequest, Method, SPEC};
use siqaco::ops::fdsnws::FdsnQuery;

/// The version of the specification this service implements.
pub const VERSION: &str = "1.0.2";

/// The routes of the service.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fdsnws/availability/1/version", get(|| async { VERSION }))
        .route(
            "/fdsnws/availability/1/application.wadl",
            get(|| async { ([(header::CONTENT_TYPE, "application/xml")], wadl()) }),
        )
        .route("/fdsnws/availability/1/extent", method(Method::Extent))
        .route("/fdsnws/availability/1/query", method(Method::Query))
}

/// GET and POST of one method.
fn method(method: Method) -> MethodRouter<AppState> {
    get(move |State(state): State<AppState>, uri: Uri| async move {
        let q = params::from_get(&uri, SPEC);
        answer(state, uri, method, q).await
    })
    .post(
        move |State(state): State<AppState>, uri: Uri, body: Result<Bytes, BytesRejection>| async move {
            let q = params::from_post(&state, body, SPEC, false);
            answer(state, uri, method, q).await
        },
    )
}

/// Runs and renders one parsed request; every refusal is an FDSN error document.
async fn answer(
    state: AppState,
    uri: Uri,
    method: Method,
    query: Result<FdsnQuery, FdsnError>,
) -> Response {
    let run = async {
        let request = AvailabilityRequest::from_query(method, query?)?;
        let access = crate::auth::access(&state, false);
        let (format, nodata) = (request.format, request.nodata);
        let found = state
            .with_catalogue(move |cat| request.run(cat, &access))
            .await?;
        if found.is_empty() {
            return Err(params::no_data(nodata, "no data matches the selection"));
        }
        Ok::<_, FdsnError>(
            (
                [(header::CONTENT_TYPE, format.content_type())],
                found.render(format),
            )
                .into_response(),
        )
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.for_request(&uri).into_response(),
    }
}

/// The service's WADL description (the parameters this implementation accepts): the
/// parameters of both methods, with each method's `orderby` values and `query`'s `show`.
fn wadl() -> String {
    use crate::wadl::{document, Param, Resource, NODATA, SELECTION};
    const BOTH: &[&str] = &[
        "nslc_time_quality_samplerate",
        "latestupdate",
        "latestupdate_desc",
    ];
    const EXTENT: &[&str] = &[
        "nslc_time_quality_samplerate",
        "latestupdate",
        "latestupdate_desc",
        "timespancount",
        "timespancount_desc",
    ];
    let params = |orders: &'static [&'static str], show: bool| {
        let mut p = SELECTION.to_vec();
        p.extend([
            Param::new("quality", "xsd:string").options(&["D", "R", "Q", "M", "B"]),
            Param::new("merge", "xsd:string").options(&["quality", "samplerate", "overlap"]),
            Param::new("mergegaps", "xsd:float"),
        ]);
        if show {
            p.push(Param::new("show", "xsd:string").options(&["latestupdate"]));
        }
        p.extend([
            Param::new("orderby", "xsd:string")
                .default("nslc_time_quality_samplerate")
                .options(orders),
            Param::new("limit", "xsd:integer"),
            Param::new("includerestricted", "xsd:boolean").default("false"),
            Param::new("format", "xsd:string")
                .default("text")
                .options(&["text", "geocsv", "json", "request"]),
            NODATA,
        ]);
        p
    };
    let media: &[&str] = &["text/plain", "text/csv", "application/json"];
    document(
        "siqaco fdsnws-availability 1.0",
        "/fdsnws/availability/1/",
        &[
            Resource {
                path: "extent",
                doc: "",
                params: params(EXTENT, false),
                media,
            },
            Resource {
                path: "query",
                doc: "",
                params: params(BOTH, true),
                media,
            },
        ],
    )
}
