//! fdsnws-station 1.1 at `/fdsnws/station/1/`: `query` (GET and POST), `version`,
//! `application.wadl`.
//!
//! The StationXML files of [`crate::ServeSettings::stationxml`] are read once, when the
//! server starts ([`AppState::stations`]); the selection and both formats are the core's
//! ([`siqaco::ops::fdsnws::station`]). A POST body may use `*` as an open time.

use crate::error::FdsnError;
use crate::params;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use siqaco::ops::fdsnws::station::{StationRequest, SPEC};
use siqaco::ops::fdsnws::FdsnQuery;

/// The version of the specification this service implements.
pub const VERSION: &str = "1.1.0";

/// The routes of the service.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fdsnws/station/1/query", get(query_get).post(query_post))
        .route("/fdsnws/station/1/version", get(|| async { VERSION }))
        .route("/fdsnws/station/1/application.wadl", get(wadl))
}

async fn query_get(State(state): State<AppState>, uri: Uri) -> Response {
    let q = params::from_get(&uri, SPEC);
    answer(state, q, &uri).await
}

async fn query_post(
    State(state): State<AppState>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let q = params::from_post(&state, body, SPEC, true);
    answer(state, q, &uri).await
}

/// Runs the parsed request: the document, the no-data status, or an error document.
async fn answer(state: AppState, q: Result<FdsnQuery, FdsnError>, uri: &Uri) -> Response {
    let run = async {
        let req = StationRequest::from_query(q?)?;
        let (format, nodata) = (req.format, req.nodata);
        let inventory = state.stations().clone();
        let access = crate::auth::access(&state, false);
        let body = state
            .with_catalogue(move |cat| req.run(&inventory, &access, cat))
            .await?;
        Ok::<_, FdsnError>(match body {
            Some(b) => ([(header::CONTENT_TYPE, format.content_type())], b).into_response(),
            None => params::no_data(nodata, "no metadata matches the request")
                .for_request(uri)
                .into_response(),
        })
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.for_request(uri).into_response(),
    }
}

async fn wadl() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/xml")], wadl_document())
}

/// The service description (WADL) of what this server accepts.
fn wadl_document() -> String {
    use crate::wadl::{document, Param, Resource, NODATA, SELECTION};
    let time = |name| Param::new(name, "xsd:dateTime");
    let number = |name| Param::new(name, "xsd:double");
    let mut params = SELECTION[..2].to_vec();
    params.extend([
        time("startbefore"),
        time("startafter"),
        time("endbefore"),
        time("endafter"),
    ]);
    params.extend_from_slice(&SELECTION[2..]);
    params.extend(
        [
            "minlatitude",
            "maxlatitude",
            "minlongitude",
            "maxlongitude",
            "latitude",
            "longitude",
            "minradius",
            "maxradius",
        ]
        .map(number),
    );
    params.extend([
        Param::new("level", "xsd:string")
            .default("station")
            .options(&["network", "station", "channel", "response"]),
        Param::new("includerestricted", "xsd:boolean").default("true"),
        Param::new("includeavailability", "xsd:boolean")
            .default("false")
            .options(&["false"]),
        Param::new("matchtimeseries", "xsd:boolean").default("false"),
        Param::new("format", "xsd:string")
            .default("xml")
            .options(&["xml", "text"]),
        NODATA,
    ]);
    document(
        "FDSN Station Web Service (siqaco)",
        "/fdsnws/station/1/",
        &[Resource {
            path: "query",
            doc: "",
            params,
            media: &["application/xml", "text/plain"],
        }],
    )
}
