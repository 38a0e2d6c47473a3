//! FDSN availability client (FDSN Web Service Specifications, fdsnws-availability 1.0).
//!
//! [`query_availability`] POSTs a selection to `<base>/fdsnws/availability/1/query`:
//!
//! ```text
//! format=text
//! merge=samplerate,quality        (merge=samplerate and quality=X when a quality is asked)
//! mergegaps=S                     (only with FdsnOptions::mergegaps_s)
//! nodata=204
//! NET STA LOC CHA START END       (one line per stream; `--` for an empty location)
//! ```
//!
//! and reads the time spans of the answer, in the `text` format (columns named by the header
//! line `#Network Station Location Channel [Quality] [SampleRate] Earliest Latest ...`, so
//! the columns dropped by `merge` and extra columns such as `Updated` are handled) or the
//! `json` format (`{"datasources": [{"network": .., "station": .., "location": ..,
//! "channel": .., "timespans": [[start, end], ...]}]}`, also inside `"repository": [...]`
//! as some servers write it; `earliest`/`latest` instead of `timespans` as `/extent`
//! answers). 204 means no data: an empty list. A 404 is an error: asked with `nodata=204`,
//! it means the server has no availability service there, which must not pass for "no
//! data" (the source would then never be asked for anything).
//!
//! The spans are then cut to the window, and the spans of one stream are joined where they
//! overlap or touch (or are less than `mergegaps_s` apart): qualities and sample rates are
//! not told apart. `Latest` is taken as the end of a span (services differ on whether it is
//! the last sample's time or one period later; the difference is one sample).
//!
//! Requests follow the dataselect rules of [`super::client`]: 429/503 honour `Retry-After`,
//! other server errors and timeouts are retried with backoff, 4xx statuses are errors at
//! once. A body that is neither format (an HTML page), a line with the wrong number of
//! columns, or a bad time is an [`Error::Http`] naming the URL and the line.

use super::client::{get_body, http_client, resolve_service, Body, FdsnOptions};
use crate::error::{Error, Result};
use crate::sid::Nslc;
use crate::source::{format_fdsn_time, join_spans, AvailabilitySpan};
use crate::time::{parse_time, NS_PER_S};

/// The format asked of the availability service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AvailabilityFormat {
    /// `format=text`: whitespace-separated columns under a `#` header line.
    #[default]
    Text,
    /// `format=json`: `datasources` with `timespans`.
    Json,
}

/// The availability query URL for a server's base URL (`http://host:port`; the service path
/// `/fdsnws/availability/1/query` is appended), the service URL (ending in
/// `/fdsnws/availability/1`), or a method URL (ending in `/query` or `/extent`, used as is).
///
/// # Errors
/// [`Error::InvalidArgument`] for a URL that is not `http://` or `https://`.
pub fn availability_query_url(url: &str) -> Result<String> {
    let u = url.trim().trim_end_matches('/');
    if u.ends_with("/query") || u.ends_with("/extent") {
        resolve_service(u, "availability", &[])?;
        return Ok(u.to_string());
    }
    Ok(format!(
        "{}/query",
        resolve_service(url, "availability", &[])?
    ))
}

/// The spans with data of `streams` over `[start_ns, end_ns)` (ns since 1970 UTC), from the
/// fdsnws-availability service at `base_or_service_url` (see [`availability_query_url`]),
/// asked in the `text` format. See the module documentation for the request and the rules.
///
/// Codes may hold the FDSN wildcards `*` and `?`; the spans are then those of the matching
/// streams. Spans are sorted by stream, then time; those of one stream never overlap.
/// `opts.timeout`, retries, `quality` and `mergegaps_s` apply.
///
/// # Errors
/// [`Error::InvalidArgument`] for a bad URL or an empty window; [`Error::Http`] naming the
/// URL for a refused request (4xx, including 404: no availability service at that URL),
/// retries exhausted, or a body that cannot be read.
pub fn query_availability(
    base_or_service_url: &str,
    streams: &[Nslc],
    start_ns: i64,
    end_ns: i64,
    opts: &FdsnOptions,
) -> Result<Vec<AvailabilitySpan>> {
    query_availability_format(
        base_or_service_url,
        streams,
        start_ns,
        end_ns,
        opts,
        AvailabilityFormat::Text,
    )
}

/// [`query_availability`] asking for `format`.
///
/// # Errors
/// As [`query_availability`].
pub fn query_availability_format(
    base_or_service_url: &str,
    streams: &[Nslc],
    start_ns: i64,
    end_ns: i64,
    opts: &FdsnOptions,
    format: AvailabilityFormat,
) -> Result<Vec<AvailabilitySpan>> {
    let Some((url, bytes)) = post_query(
        base_or_service_url,
        streams,
        (start_ns, end_ns),
        opts,
        format,
        false,
    )?
    else {
        return Ok(Vec::new());
    };
    let raw = parse_availability(&bytes, &url)?;
    let gap_ns = opts.mergegaps_s.map_or(0, |g| (g * NS_PER_S as f64) as i64);
    Ok(join_spans(raw, start_ns, end_ns, gap_ns))
}

/// A time span of an availability answer with when its data were last changed at the
/// source (the `Updated` column of `show=latestupdate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdatedSpan {
    /// The stream and the span: first sample to the end of coverage as
    /// [`query_latest_updates`] gives it.
    pub span: AvailabilitySpan,
    /// When the span's data were last loaded or changed at the source, ns since 1970 UTC
    /// (the column has whole seconds); `None` when the server left it empty.
    pub updated_ns: Option<i64>,
}

/// The time spans of `streams` over `window` (`[start, end)`, ns) with their `Updated`
/// time, from the fdsnws-availability service at `base_or_service_url`: the request of
/// [`query_availability`] (`format=text`, `merge=samplerate,quality`) with
/// `show=latestupdate` (fdsnws-availability 1.0, `query` method). Spans are not joined
/// (each keeps its own time); each is cut to the window, and its end is the `Latest`
/// time (the last sample) plus 1 ns, so that `[start, end)` holds every sample of it.
/// An answer without an `Updated` column gives `None` times.
///
/// # Errors
/// As [`query_availability`].
pub fn query_latest_updates(
    base_or_service_url: &str,
    streams: &[Nslc],
    window: (i64, i64),
    opts: &FdsnOptions,
) -> Result<Vec<UpdatedSpan>> {
    let Some((url, bytes)) = post_query(
        base_or_service_url,
        streams,
        window,
        opts,
        AvailabilityFormat::Text,
        true,
    )?
    else {
        return Ok(Vec::new());
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::Http {
        url: url.clone(),
        status: Some(200),
        message: format!("availability response is not UTF-8 text: {e}"),
    })?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let rows = parse_text(text).map_err(|message| Error::Http {
        url: url.clone(),
        status: Some(200),
        message,
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(mut span, updated_ns)| {
            span.end_ns = span.end_ns.saturating_add(1).min(window.1);
            span.start_ns = span.start_ns.max(window.0);
            (span.end_ns > span.start_ns).then_some(UpdatedSpan { span, updated_ns })
        })
        .collect())
}

/// POSTs the availability query of `streams` over `window` (see the module
/// documentation; `show=latestupdate` when `show_updated`); the query URL and the body,
/// `None` for no data (204).
fn post_query(
    base_or_service_url: &str,
    streams: &[Nslc],
    (start_ns, end_ns): (i64, i64),
    opts: &FdsnOptions,
    format: AvailabilityFormat,
    show_updated: bool,
) -> Result<Option<(String, Vec<u8>)>> {
    let url = availability_query_url(base_or_service_url)?;
    if end_ns <= start_ns {
        return Err(Error::invalid_argument(
            "availability window: end is not after start",
        ));
    }
    if streams.is_empty() {
        return Ok(None);
    }
    let mut body = String::new();
    body.push_str(match format {
        AvailabilityFormat::Text => "format=text\n",
        AvailabilityFormat::Json => "format=json\n",
    });
    match &opts.quality {
        Some(q) => body.push_str(&format!("quality={q}\nmerge=samplerate\n")),
        None => body.push_str("merge=samplerate,quality\n"),
    }
    if let Some(g) = opts.mergegaps_s {
        body.push_str(&format!("mergegaps={g}\n"));
    }
    if show_updated {
        body.push_str("show=latestupdate\n");
    }
    body.push_str("nodata=204\n");
    for n in streams {
        let loc = if n.location.is_empty() {
            "--"
        } else {
            &n.location
        };
        body.push_str(&format!(
            "{} {} {loc} {} {} {}\n",
            n.network,
            n.station,
            n.channel,
            format_fdsn_time(start_ns),
            format_fdsn_time(end_ns)
        ));
    }
    let client = http_client(opts, &url)?;
    Ok(
        match get_body(opts, &url, || client.post(&url).body(body.clone()))? {
            Body::NoData => None,
            Body::Data(b) => Some((url, b)),
        },
    )
}

/// Parses an availability answer, text or JSON (told apart by the first non-blank
/// character: `{` is JSON). An empty body gives no spans. Spans are returned as written.
///
/// # Errors
/// [`Error::Http`] naming `url` (status 200) for a body that is neither format, a line
/// with the wrong number of columns, a missing column, or a bad time.
pub fn parse_availability(body: &[u8], url: &str) -> Result<Vec<AvailabilitySpan>> {
    let bad = |message: String| Error::Http {
        url: url.to_string(),
        status: Some(200),
        message,
    };
    let text = std::str::from_utf8(body)
        .map_err(|e| bad(format!("availability response is not UTF-8 text: {e}")))?;
    let t = text.trim_start();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    if t.starts_with('{') {
        parse_json(t).map_err(bad)
    } else {
        parse_text(text)
            .map(|rows| rows.into_iter().map(|r| r.0).collect())
            .map_err(bad)
    }
}

fn start_of(text: &str) -> String {
    text.trim().chars().take(60).collect()
}

/// The rows of a text answer, each with its `Updated` time when the header has that
/// column (a row may leave it empty when it is the last column).
fn parse_text(text: &str) -> std::result::Result<Vec<(AvailabilitySpan, Option<i64>)>, String> {
    let mut cols: Option<Vec<String>> = None;
    let mut idx = [0usize; 6];
    let mut updated_col: Option<usize> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        if let Some(h) = l.strip_prefix('#') {
            let names: Vec<String> = h
                .split_whitespace()
                .map(|c| c.to_ascii_lowercase())
                .collect();
            for (k, want) in [
                "network", "station", "location", "channel", "earliest", "latest",
            ]
            .iter()
            .enumerate()
            {
                idx[k] = names.iter().position(|n| n == want).ok_or_else(|| {
                    format!(
                        "availability header line {} has no {want} column: {l:?}",
                        i + 1
                    )
                })?;
            }
            updated_col = names.iter().position(|n| n == "updated");
            cols = Some(names);
            continue;
        }
        let Some(names) = &cols else {
            return Err(format!(
                "not an FDSN availability text response: no '#Network Station ...' header \
                 line (starts with {:?})",
                start_of(text)
            ));
        };
        let f: Vec<&str> = l.split_whitespace().collect();
        let updated_left_empty = updated_col == Some(names.len() - 1) && f.len() + 1 == names.len();
        if f.len() != names.len() && !updated_left_empty {
            return Err(format!(
                "availability line {}: {} columns, the header has {}: {l:?}",
                i + 1,
                f.len(),
                names.len()
            ));
        }
        let time = |k: usize| {
            parse_time(f[idx[k]])
                .map_err(|_| format!("availability line {}: bad time {:?}", i + 1, f[idx[k]]))
        };
        let loc = if f[idx[2]] == "--" { "" } else { f[idx[2]] };
        let updated = match updated_col {
            Some(k) if k < f.len() => Some(parse_time(f[k]).map_err(|_| {
                format!("availability line {}: bad Updated time {:?}", i + 1, f[k])
            })?),
            _ => None,
        };
        out.push((
            AvailabilitySpan {
                nslc: Nslc::new(f[idx[0]], f[idx[1]], loc, f[idx[3]]),
                start_ns: time(4)?,
                end_ns: time(5)?,
            },
            updated,
        ));
    }
    Ok(out)
}

fn parse_json(text: &str) -> std::result::Result<Vec<AvailabilitySpan>, String> {
    use serde_json::Value;
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "availability JSON response cannot be parsed: {e} (starts with {:?})",
            start_of(text)
        )
    })?;
    let mut sources: Vec<&Value> = Vec::new();
    if let Some(a) = v.get("datasources").and_then(Value::as_array) {
        sources.extend(a);
    }
    if let Some(r) = v.get("repository").and_then(Value::as_array) {
        for repo in r {
            if let Some(a) = repo.get("datasources").and_then(Value::as_array) {
                sources.extend(a);
            }
        }
    }
    if sources.is_empty() && v.get("datasources").is_none() && v.get("repository").is_none() {
        return Err(format!(
            "availability JSON response has no \"datasources\" (starts with {:?})",
            start_of(text)
        ));
    }
    let mut out = Vec::new();
    for (i, ds) in sources.into_iter().enumerate() {
        let code = |k: &str| -> std::result::Result<String, String> {
            match ds.get(k) {
                Some(Value::String(s)) => Ok(if s == "--" { String::new() } else { s.clone() }),
                None if k == "location" => Ok(String::new()),
                _ => Err(format!("availability datasource {i} has no {k:?} code")),
            }
        };
        let nslc = Nslc {
            network: code("network")?,
            station: code("station")?,
            location: code("location")?,
            channel: code("channel")?,
        };
        let time = |x: &Value| -> std::result::Result<i64, String> {
            x.as_str()
                .and_then(|s| parse_time(s).ok())
                .ok_or_else(|| format!("availability datasource {i} ({nslc}): bad time {x}"))
        };
        if let Some(ts) = ds.get("timespans").and_then(Value::as_array) {
            for pair in ts {
                let p = pair.as_array().filter(|p| p.len() == 2).ok_or_else(|| {
                    format!(
                        "availability datasource {i} ({nslc}): timespan {pair} is not [start, end]"
                    )
                })?;
                out.push(AvailabilitySpan {
                    nslc: nslc.clone(),
                    start_ns: time(&p[0])?,
                    end_ns: time(&p[1])?,
                });
            }
        } else if let (Some(e), Some(l)) = (ds.get("earliest"), ds.get("latest")) {
            out.push(AvailabilitySpan {
                nslc: nslc.clone(),
                start_ns: time(e)?,
                end_ns: time(l)?,
            });
        } else {
            return Err(format!(
                "availability datasource {i} ({nslc}) has neither \"timespans\" nor \
                 \"earliest\"/\"latest\""
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        parse_time(s).unwrap()
    }

    #[test]
    fn urls() {
        assert_eq!(
            availability_query_url("http://h:8/").unwrap(),
            "http://h:8/fdsnws/availability/1/query"
        );
        assert_eq!(
            availability_query_url("http://h/fdsnws/availability/1").unwrap(),
            "http://h/fdsnws/availability/1/query"
        );
        assert_eq!(
            availability_query_url("http://h/fdsnws/availability/1/extent").unwrap(),
            "http://h/fdsnws/availability/1/extent"
        );
        assert!(availability_query_url("h:8").is_err());
    }

    #[test]
    fn text_with_and_without_merged_columns() {
        let full = "#Network Station Location Channel Quality SampleRate Earliest Latest\n\
                    IU ANMO 00 BHZ M 20.0 2010-02-27T00:00:00.019500Z 2010-02-27T06:00:00.000000Z\n\
                    IU ANMO -- BHZ M 20.0 2010-02-27T01:00:00Z 2010-02-27T02:00:00Z\n";
        let s = parse_availability(full.as_bytes(), "u").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].nslc, Nslc::new("IU", "ANMO", "00", "BHZ"));
        assert_eq!(s[0].start_ns, t("2010-02-27T00:00:00.0195"));
        assert_eq!(s[1].nslc.location, "");
        let merged = "#Network Station Location Channel Earliest Latest Updated\n\
                      XA VOV 00 HHZ 2023-01-01T00:00:00Z 2023-01-02T00:00:00Z 2024-01-01T00:00:00Z\n";
        let s = parse_availability(merged.as_bytes(), "u").unwrap();
        assert_eq!(s[0].end_ns, t("2023-01-02"));
    }

    #[test]
    fn text_updated_column() {
        let text = "#Network Station Location Channel Earliest Latest Updated\n\
                    XA VOV 00 HHZ 2023-01-01T00:00:00Z 2023-01-01T12:00:00Z 2024-01-01T10:20:30Z\n\
                    XA VOV 00 HHZ 2023-01-01T13:00:00Z 2023-01-02T00:00:00Z\n";
        let rows = parse_text(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1, Some(t("2024-01-01T10:20:30")));
        assert_eq!(rows[0].0.end_ns, t("2023-01-01T12:00:00"));
        assert_eq!(rows[1].1, None);
        let bad = text.replace("2024-01-01T10:20:30Z", "yesterday");
        assert!(parse_text(&bad).unwrap_err().contains("bad Updated time"));
    }

    #[test]
    fn bad_text_names_url_and_line() {
        let e = parse_availability(b"<html><body>Error</body></html>", "http://x/q").unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("http://x/q") && m.contains("not an FDSN availability"),
            "{m}"
        );
        let e = parse_availability(
            b"#Network Station Location Channel Earliest Latest\nIU ANMO 00 BHZ 2010-02-27\n",
            "u",
        )
        .unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse_availability(
            b"#Network Station Location Channel Earliest Latest\nIU ANMO 00 BHZ x y\n",
            "u",
        )
        .unwrap_err();
        assert!(e.to_string().contains("bad time"), "{e}");
    }

    #[test]
    fn json_spec_and_repository_forms() {
        let spec = r#"{"created":"2024-01-01T00:00:00Z","version":1.0,"datasources":[
            {"network":"IU","station":"ANMO","location":"00","channel":"BHZ","quality":"M",
             "samplerate":20.0,"timespans":[["2010-02-27T00:00:00Z","2010-02-27T01:00:00Z"],
             ["2010-02-27T02:00:00Z","2010-02-27T03:00:00Z"]]}]}"#;
        let s = parse_availability(spec.as_bytes(), "u").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].start_ns, t("2010-02-27T02:00:00"));
        let repo = r#"{"repository":[{"repository_name":"primary","datasources":[
            {"network":"IU","station":"ANMO","location":"","channel":"BHZ",
             "earliest":"2010-02-27T00:00:00Z","latest":"2010-02-28T00:00:00Z"}]}]}"#;
        let s = parse_availability(repo.as_bytes(), "u").unwrap();
        assert_eq!(s[0].nslc.location, "");
        assert_eq!(s[0].end_ns, t("2010-02-28"));
        assert!(parse_availability(b"{\"x\":1}", "u").is_err());
        assert!(parse_availability(b"{\"datasources\":[", "u").is_err());
    }
}
