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
    ([(header::CONTENT_TYPE, "application/xml")], WADL)
}

/// The service description (WADL) of what this server accepts.
const WADL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<application xmlns="http://wadl.dev.java.net/2009/02" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
 <doc title="FDSN Station Web Service (siqaco)"/>
 <resources base="/fdsnws/station/1/">
  <resource path="query">
   <method name="GET">
    <request>
     <param name="starttime" style="query" type="xsd:dateTime"/>
     <param name="endtime" style="query" type="xsd:dateTime"/>
     <param name="startbefore" style="query" type="xsd:dateTime"/>
     <param name="startafter" style="query" type="xsd:dateTime"/>
     <param name="endbefore" style="query" type="xsd:dateTime"/>
     <param name="endafter" style="query" type="xsd:dateTime"/>
     <param name="network" style="query" type="xsd:string"/>
     <param name="station" style="query" type="xsd:string"/>
     <param name="location" style="query" type="xsd:string"/>
     <param name="channel" style="query" type="xsd:string"/>
     <param name="minlatitude" style="query" type="xsd:double"/>
     <param name="maxlatitude" style="query" type="xsd:double"/>
     <param name="minlongitude" style="query" type="xsd:double"/>
     <param name="maxlongitude" style="query" type="xsd:double"/>
     <param name="latitude" style="query" type="xsd:double"/>
     <param name="longitude" style="query" type="xsd:double"/>
     <param name="minradius" style="query" type="xsd:double"/>
     <param name="maxradius" style="query" type="xsd:double"/>
     <param name="level" style="query" type="xsd:string" default="station">
      <option value="network"/><option value="station"/><option value="channel"/><option value="response"/>
     </param>
     <param name="includerestricted" style="query" type="xsd:boolean" default="true"/>
     <param name="includeavailability" style="query" type="xsd:boolean" default="false">
      <option value="false"/>
     </param>
     <param name="matchtimeseries" style="query" type="xsd:boolean" default="false"/>
     <param name="format" style="query" type="xsd:string" default="xml">
      <option value="xml" mediaType="application/xml"/><option value="text" mediaType="text/plain"/>
     </param>
     <param name="nodata" style="query" type="xsd:int" default="204">
      <option value="204"/><option value="404"/>
     </param>
    </request>
    <response status="200">
     <representation mediaType="application/xml"/>
     <representation mediaType="text/plain"/>
    </response>
    <response status="204 400 404 413 500 503">
     <representation mediaType="text/plain"/>
    </response>
   </method>
   <method name="POST">
    <request><representation mediaType="text/plain"/></request>
    <response status="200">
     <representation mediaType="application/xml"/>
     <representation mediaType="text/plain"/>
    </response>
    <response status="204 400 404 413 500 503">
     <representation mediaType="text/plain"/>
    </response>
   </method>
  </resource>
  <resource path="version">
   <method name="GET"><response><representation mediaType="text/plain"/></response></method>
  </resource>
  <resource path="application.wadl">
   <method name="GET"><response><representation mediaType="application/xml"/></response></method>
  </resource>
 </resources>
</application>
"#;
