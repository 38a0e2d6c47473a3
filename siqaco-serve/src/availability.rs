//! fdsnws-availability at `/fdsnws/availability/1/`: `extent` and `query` (GET and POST),
//! `version`, `application.wadl`. The rules are the core's
//! ([`siqaco::ops::fdsnws::availability`]); a handler maps the HTTP request onto an
//! [`AvailabilityRequest`] and its answer onto a response (the format's content type, or
//! the `nodata` status when there is no row).

use crate::error::FdsnError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use siqaco::ops::fdsnws::availability::{AvailabilityRequest, Method, SPEC};
use siqaco::ops::fdsnws::{Access, FdsnQuery};

/// The version of the specification this service implements.
pub const VERSION: &str = "1.0.2";

/// The routes of the service.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fdsnws/availability/1/version", get(|| async { VERSION }))
        .route(
            "/fdsnws/availability/1/application.wadl",
            get(|| async { ([(header::CONTENT_TYPE, "application/xml")], WADL) }),
        )
        .route(
            "/fdsnws/availability/1/extent",
            get(extent_get).post(extent_post),
        )
        .route(
            "/fdsnws/availability/1/query",
            get(query_get).post(query_post),
        )
}

async fn extent_get(
    State(state): State<AppState>,
    uri: Uri,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    answer(state, uri, Method::Extent, |_| {
        FdsnQuery::from_pairs(&pairs, SPEC)
    })
    .await
}

async fn extent_post(State(state): State<AppState>, uri: Uri, body: String) -> Response {
    answer(state, uri, Method::Extent, |max| {
        FdsnQuery::from_post(&body, SPEC, max, false)
    })
    .await
}

async fn query_get(
    State(state): State<AppState>,
    uri: Uri,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    answer(state, uri, Method::Query, |_| {
        FdsnQuery::from_pairs(&pairs, SPEC)
    })
    .await
}

async fn query_post(State(state): State<AppState>, uri: Uri, body: String) -> Response {
    answer(state, uri, Method::Query, |max| {
        FdsnQuery::from_post(&body, SPEC, max, false)
    })
    .await
}

/// Parses (`parse` gets the most POST selection lines allowed), runs and renders one
/// request; every refusal is an FDSN error document.
async fn answer(
    state: AppState,
    uri: Uri,
    method: Method,
    parse: impl FnOnce(usize) -> siqaco::Result<FdsnQuery>,
) -> Response {
    let run = async {
        let request = parse(state.settings().max_post_lines)
            .and_then(|q| AvailabilityRequest::from_query(method, q))?;
        let access = Access {
            restricted: state.settings().restricted.clone(),
            authenticated: false,
        };
        let (format, nodata) = (request.format, request.nodata);
        let found = state
            .with_catalogue(move |cat| request.run(cat, &access))
            .await?;
        if found.is_empty() {
            let status = StatusCode::from_u16(nodata).unwrap_or(StatusCode::NO_CONTENT);
            return Err(FdsnError::new(status, "no data matches the selection"));
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

/// The service's WADL description (the parameters this implementation accepts).
const WADL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<application xmlns="http://wadl.dev.java.net/2009/02" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <doc title="siqaco fdsnws-availability 1.0"/>
  <grammars/>
  <resources base="/fdsnws/availability/1/">
    <resource path="version">
      <method name="GET"><response><representation mediaType="text/plain"/></response></method>
    </resource>
    <resource path="application.wadl">
      <method name="GET"><response><representation mediaType="application/xml"/></response></method>
    </resource>
    <resource path="extent">
      <method name="GET" id="extent">
        <request>
          <param name="starttime" style="query" type="xsd:dateTime"/>
          <param name="endtime" style="query" type="xsd:dateTime"/>
          <param name="network" style="query" type="xsd:string"/>
          <param name="station" style="query" type="xsd:string"/>
          <param name="location" style="query" type="xsd:string"/>
          <param name="channel" style="query" type="xsd:string"/>
          <param name="quality" style="query" type="xsd:string">
            <option value="D"/><option value="R"/><option value="Q"/><option value="M"/><option value="B"/>
          </param>
          <param name="merge" style="query" type="xsd:string" repeating="true">
            <option value="quality"/><option value="samplerate"/><option value="overlap"/>
          </param>
          <param name="mergegaps" style="query" type="xsd:float"/>
          <param name="orderby" style="query" type="xsd:string" default="nslc_time_quality_samplerate">
            <option value="nslc_time_quality_samplerate"/><option value="timespancount"/>
            <option value="timespancount_desc"/><option value="latestupdate"/>
            <option value="latestupdate_desc"/>
          </param>
          <param name="limit" style="query" type="xsd:integer"/>
          <param name="includerestricted" style="query" type="xsd:boolean" default="false"/>
          <param name="format" style="query" type="xsd:string" default="text">
            <option value="text"/><option value="geocsv"/><option value="json"/><option value="request"/>
          </param>
          <param name="nodata" style="query" type="xsd:int" default="204">
            <option value="204"/><option value="404"/>
          </param>
        </request>
        <response status="200">
          <representation mediaType="text/plain"/><representation mediaType="text/csv"/>
          <representation mediaType="application/json"/>
        </response>
        <response status="204 400 404 413 500 503"><representation mediaType="text/plain"/></response>
      </method>
      <method name="POST"><request><representation mediaType="text/plain"/></request>
        <response status="200"><representation mediaType="text/plain"/></response></method>
    </resource>
    <resource path="query">
      <method name="GET" id="query">
        <request>
          <param name="starttime" style="query" type="xsd:dateTime"/>
          <param name="endtime" style="query" type="xsd:dateTime"/>
          <param name="network" style="query" type="xsd:string"/>
          <param name="station" style="query" type="xsd:string"/>
          <param name="location" style="query" type="xsd:string"/>
          <param name="channel" style="query" type="xsd:string"/>
          <param name="quality" style="query" type="xsd:string">
            <option value="D"/><option value="R"/><option value="Q"/><option value="M"/><option value="B"/>
          </param>
          <param name="merge" style="query" type="xsd:string" repeating="true">
            <option value="quality"/><option value="samplerate"/><option value="overlap"/>
          </param>
          <param name="mergegaps" style="query" type="xsd:float"/>
          <param name="show" style="query" type="xsd:string"><option value="latestupdate"/></param>
          <param name="orderby" style="query" type="xsd:string" default="nslc_time_quality_samplerate">
            <option value="nslc_time_quality_samplerate"/><option value="latestupdate"/>
            <option value="latestupdate_desc"/>
          </param>
          <param name="limit" style="query" type="xsd:integer"/>
          <param name="includerestricted" style="query" type="xsd:boolean" default="false"/>
          <param name="format" style="query" type="xsd:string" default="text">
            <option value="text"/><option value="geocsv"/><option value="json"/><option value="request"/>
          </param>
          <param name="nodata" style="query" type="xsd:int" default="204">
            <option value="204"/><option value="404"/>
          </param>
        </request>
        <response status="200">
          <representation mediaType="text/plain"/><representation mediaType="text/csv"/>
          <representation mediaType="application/json"/>
        </response>
        <response status="204 400 404 413 500 503"><representation mediaType="text/plain"/></response>
      </method>
      <method name="POST"><request><representation mediaType="text/plain"/></request>
        <response status="200"><representation mediaType="text/plain"/></response></method>
    </resource>
  </resources>
</application>
"#;
