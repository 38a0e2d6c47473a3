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
    let method = |name: &str, orders: &[&str], show: bool| {
        let orders: String = orders
            .iter()
            .map(|o| format!("<option value=\"{o}\"/>"))
            .collect();
        let show = if show {
            "\n          <param name=\"show\" style=\"query\" type=\"xsd:string\"><option value=\"latestupdate\"/></param>"
        } else {
            ""
        };
        format!(
            r#"    <resource path="{name}">
      <method name="GET" id="{name}">
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
          <param name="merge" style="query" type="xsd:string">
            <option value="quality"/><option value="samplerate"/><option value="overlap"/>
          </param>
          <param name="mergegaps" style="query" type="xsd:float"/>{show}
          <param name="orderby" style="query" type="xsd:string" default="nslc_time_quality_samplerate">{orders}</param>
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
"#
        )
    };
    let both = [
        "nslc_time_quality_samplerate",
        "latestupdate",
        "latestupdate_desc",
    ];
    let extent = [&both[..], &["timespancount", "timespancount_desc"]].concat();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
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
{}{}  </resources>
</application>
"#,
        method("extent", &extent, false),
        method("query", &both, true)
    )
}
