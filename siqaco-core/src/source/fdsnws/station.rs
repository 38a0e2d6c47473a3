//! FDSN station client (FDSN Web Service Specifications, fdsnws-station 1.1): the list of
//! streams to maintain, from network codes or selections.
//!
//! One GET per selection to `<base>/fdsnws/station/1/query` with `network`, `station`,
//! `location` (`--` for the empty location), `channel`, `level`, `format`, `nodata=204`
//! and, when given, `starttime`/`endtime` (which select the epochs that overlap the
//! window: "ending on or after starttime", "starting on or before endtime").
//!
//! * [`query_channels`] / [`query_channel_epochs`]: `level=channel&format=text`, the
//!   `|`-separated columns `#Network|Station|Location|Channel|Latitude|Longitude|Elevation|
//!   Depth|Azimuth|Dip|SensorDescription|Scale|ScaleFreq|ScaleUnits|SampleRate|StartTime|
//!   EndTime` (columns found by the header's names);
//! * [`query_inventory`]: `format=xml` at any [`StationLevel`], read with
//!   [`crate::stationxml::parse_stationxml`].
//!
//! 204 means nothing matched; a 404 (asked with `nodata=204`) is an error: no station
//! service at that URL. The answers are also filtered here by the selection and
//! the window, so a server that ignores a parameter gives the same result. Requests follow
//! the retry rules of [`super::client`]. A body that is not the asked format (an HTML page),
//! a line with too few columns, a bad time or bad XML is an error naming the URL.

use super::client::{get_body, http_client, resolve_service, Body, FdsnOptions};
use crate::error::{Error, Result};
use crate::sid::{Nslc, NslcGlob};
use crate::source::format_fdsn_time;
use crate::stationxml::{parse_stationxml, Channel, Inventory, Sensitivity};
use crate::time::parse_time;

/// The `level` of a station query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationLevel {
    /// Networks only.
    Network,
    /// Networks and stations.
    Station,
    /// Down to channel epochs.
    Channel,
    /// Channel epochs with their responses.
    Response,
}

impl StationLevel {
    /// The parameter value (`network`, `station`, `channel`, `response`).
    pub fn as_str(self) -> &'static str {
        match self {
            StationLevel::Network => "network",
            StationLevel::Station => "station",
            StationLevel::Channel => "channel",
            StationLevel::Response => "response",
        }
    }
}

/// The station query URL for a server's base URL (`http://host:port`; the service path
/// `/fdsnws/station/1/query` is appended), the service URL (ending in `/fdsnws/station/1`)
/// or the query URL (ending in `/query`).
///
/// # Errors
/// [`Error::InvalidArgument`] for a URL that is not `http://` or `https://`.
pub fn station_query_url(url: &str) -> Result<String> {
    Ok(format!(
        "{}/query",
        resolve_service(url, "station", &["/query"])?
    ))
}

/// The distinct streams (sorted) with a channel epoch that matches a selection and
/// overlaps `[start_ns, end_ns)` (either bound may be open), from the station service at
/// `base_or_service_url`, asked at `level=channel&format=text`. An empty selection asks for
/// everything (`*.*.*.*`). See [`query_channel_epochs`].
///
/// # Errors
/// As [`query_channel_epochs`].
pub fn query_channels(
    base_or_service_url: &str,
    networks_or_selection: &[NslcGlob],
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    opts: &FdsnOptions,
) -> Result<Vec<Nslc>> {
    let mut v: Vec<Nslc> = query_channel_epochs(
        base_or_service_url,
        networks_or_selection,
        start_ns,
        end_ns,
        opts,
    )?
    .into_iter()
    .map(|c| c.nslc)
    .collect();
    v.sort();
    v.dedup();
    Ok(v)
}

/// The channel epochs that match a selection and overlap the window, in the server's order
/// (selection by selection, duplicates removed), read from `level=channel&format=text`.
/// Filled fields: codes, epoch, coordinates, azimuth, dip, sample rate and the overall
/// sensitivity (`Scale` at `ScaleFreq`, input units `ScaleUnits`, output units `COUNTS`).
///
/// # Errors
/// [`Error::InvalidArgument`] for a bad URL; [`Error::Http`] naming the URL for a refused
/// request, retries exhausted, or a body that is not the FDSN text format (a missing
/// `#Network|...` header, a line with fewer columns than the header, a bad time).
pub fn query_channel_epochs(
    base_or_service_url: &str,
    networks_or_selection: &[NslcGlob],
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    opts: &FdsnOptions,
) -> Result<Vec<Channel>> {
    let mut out: Vec<Channel> = Vec::new();
    let query = Query {
        base_or_service_url,
        networks_or_selection,
        window: (start_ns, end_ns),
        level: StationLevel::Channel,
        format: "text",
    };
    query.each_answer(opts, |g, bytes, full| {
        for c in parse_channel_text(bytes, full)? {
            if g.matches(&c.nslc)
                && overlaps(c.start_ns, c.end_ns, start_ns, end_ns)
                && !out.contains(&c)
            {
                out.push(c);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// The StationXML answer at `level` for every selection (an empty selection asks for
/// everything), merged into one [`Inventory`] ([`Inventory::merge`]). Channel epochs that do
/// not match their selection or the window are left out; networks and stations are kept as
/// the server sent them.
///
/// # Errors
/// [`Error::InvalidArgument`] for a bad URL; [`Error::Http`] naming the URL for a refused
/// request or retries exhausted; [`Error::StationXml`] naming the URL (with line and
/// column) for a body that is not StationXML.
pub fn query_inventory(
    base_or_service_url: &str,
    networks_or_selection: &[NslcGlob],
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    level: StationLevel,
    opts: &FdsnOptions,
) -> Result<Inventory> {
    let mut inv = Inventory::default();
    let query = Query {
        base_or_service_url,
        networks_or_selection,
        window: (start_ns, end_ns),
        level,
        format: "xml",
    };
    query.each_answer(opts, |g, bytes, full| {
        let mut part = parse_stationxml(bytes, full)?;
        for n in &mut part.networks {
            for s in &mut n.stations {
                s.channels.retain(|c| {
                    g.matches(&c.nslc) && overlaps(c.start_ns, c.end_ns, start_ns, end_ns)
                });
            }
        }
        inv.merge(part);
        Ok(())
    })?;
    Ok(inv)
}

/// One fdsnws-station query per selection of `networks_or_selection` (an empty selection
/// asks for everything) over `window` (`(start_ns, end_ns)`, either open), at `level`
/// in `format` (`text` or `xml`).
struct Query<'a> {
    base_or_service_url: &'a str,
    networks_or_selection: &'a [NslcGlob],
    window: (Option<i64>, Option<i64>),
    level: StationLevel,
    format: &'a str,
}

impl Query<'_> {
    /// Sends the queries in order and passes each answer with data to `on_answer` with
    /// its selection and its URL (answers without data are skipped).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad URL; [`Error::Http`] naming the URL for a
    /// refused request or retries exhausted; the first error of `on_answer`.
    fn each_answer(
        &self,
        opts: &FdsnOptions,
        mut on_answer: impl FnMut(&NslcGlob, &[u8], &str) -> Result<()>,
    ) -> Result<()> {
        let url = station_query_url(self.base_or_service_url)?;
        let client = http_client(opts, &url)?;
        let all = [NslcGlob::all()];
        let sel = if self.networks_or_selection.is_empty() {
            &all[..]
        } else {
            self.networks_or_selection
        };
        let (start_ns, end_ns) = self.window;
        for g in sel {
            let full = query_url(&url, g, start_ns, end_ns, self.level, self.format)?;
            match get_body(opts, &full, || client.get(&full))? {
                Body::NoData => {}
                Body::Data(bytes) => on_answer(g, &bytes, &full)?,
            }
        }
        Ok(())
    }
}

/// Parses a `level=channel&format=text` answer. Columns are found by the names of the
/// header line (`#Network | Station | ...`, case and spaces ignored); `StartTime` and
/// `EndTime` may be empty (open).
///
/// # Errors
/// [`Error::Http`] naming `url` (status 200) when the body does not start with the header,
/// a line has fewer columns than the header, or a number or time is bad.
pub fn parse_channel_text(body: &[u8], url: &str) -> Result<Vec<Channel>> {
    let bad = |message: String| Error::Http {
        url: url.to_string(),
        status: Some(200),
        message,
    };
    let text = String::from_utf8_lossy(body);
    let mut names: Option<Vec<String>> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(h) = line.trim().strip_prefix('#') {
            let n: Vec<String> = h
                .split('|')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect();
            for want in ["network", "station", "location", "channel"] {
                if !n.iter().any(|x| x == want) {
                    return Err(bad(format!(
                        "station text header line {} has no {want} column: {:?}",
                        i + 1,
                        line.trim()
                    )));
                }
            }
            names = Some(n);
            continue;
        }
        let Some(names) = &names else {
            return Err(bad(format!(
                "not an FDSN station text response: no '#Network|Station|...' header line \
                 (starts with {:?})",
                text.trim().chars().take(60).collect::<String>()
            )));
        };
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        if f.len() < names.len() {
            return Err(bad(format!(
                "station text line {}: {} columns, the header has {}: {:?}",
                i + 1,
                f.len(),
                names.len(),
                line.trim()
            )));
        }
        let col = |name: &str| names.iter().position(|x| x == name).map(|k| f[k]);
        let num = |name: &str| -> Result<Option<f64>> {
            match col(name) {
                None | Some("") => Ok(None),
                Some(v) => v
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| bad(format!("station text line {}: bad {name} {v:?}", i + 1))),
            }
        };
        let time = |name: &str| -> Result<Option<i64>> {
            match col(name) {
                None | Some("") => Ok(None),
                Some(v) => parse_time(v)
                    .map(Some)
                    .map_err(|_| bad(format!("station text line {}: bad {name} {v:?}", i + 1))),
            }
        };
        let loc = col("location").unwrap_or("");
        let loc = if loc == "--" { "" } else { loc };
        let sensitivity = match (num("scale")?, num("scalefreq")?) {
            (Some(value), Some(frequency_hz)) => Some(Sensitivity {
                value,
                frequency_hz,
                input_units: col("scaleunits").unwrap_or("").to_string(),
                output_units: "COUNTS".to_string(),
            }),
            _ => None,
        };
        out.push(Channel {
            nslc: Nslc::new(
                col("network").unwrap_or(""),
                col("station").unwrap_or(""),
                loc,
                col("channel").unwrap_or(""),
            ),
            start_ns: time("starttime")?,
            end_ns: time("endtime")?,
            sample_rate_hz: num("samplerate")?,
            latitude: num("latitude")?.unwrap_or(0.0),
            longitude: num("longitude")?.unwrap_or(0.0),
            elevation_m: num("elevation")?.unwrap_or(0.0),
            depth_m: num("depth")?.unwrap_or(0.0),
            azimuth_deg: num("azimuth")?,
            dip_deg: num("dip")?,
            sensitivity,
            ..Channel::default()
        });
    }
    if names.is_none() && !text.trim().is_empty() {
        return Err(bad("not an FDSN station text response".into()));
    }
    Ok(out)
}

/// Whether the epoch `[s, e]` (open bounds as `None`) overlaps the window.
fn overlaps(s: Option<i64>, e: Option<i64>, ws: Option<i64>, we: Option<i64>) -> bool {
    let after_start = match (e, ws) {
        (Some(e), Some(ws)) => e >= ws,
        _ => true,
    };
    let before_end = match (s, we) {
        (Some(s), Some(we)) => s < we,
        _ => true,
    };
    after_start && before_end
}

/// The GET URL of one selection.
fn query_url(
    url: &str,
    g: &NslcGlob,
    start_ns: Option<i64>,
    end_ns: Option<i64>,
    level: StationLevel,
    format: &str,
) -> Result<String> {
    let mut u = reqwest::Url::parse(url)
        .map_err(|e| Error::invalid_argument(format!("{url:?} is not a valid URL: {e}")))?;
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("network", &g.network);
        q.append_pair("station", &g.station);
        q.append_pair(
            "location",
            if g.location.is_empty() {
                "--"
            } else {
                &g.location
            },
        );
        q.append_pair("channel", &g.channel);
        if let Some(s) = start_ns {
            q.append_pair("starttime", &format_fdsn_time(s));
        }
        if let Some(e) = end_ns {
            q.append_pair("endtime", &format_fdsn_time(e));
        }
        q.append_pair("level", level.as_str());
        q.append_pair("format", format);
        q.append_pair("nodata", "204");
    }
    Ok(u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            station_query_url("http://h:8").unwrap(),
            "http://h:8/fdsnws/station/1/query"
        );
        assert_eq!(
            station_query_url("http://h/fdsnws/station/1/query").unwrap(),
            "http://h/fdsnws/station/1/query"
        );
        let g = NslcGlob::parse("IU.ANMO.--.BH?").unwrap();
        let u = query_url(
            "http://h/fdsnws/station/1/query",
            &g,
            Some(parse_time("2010-01-01").unwrap()),
            None,
            StationLevel::Channel,
            "text",
        )
        .unwrap();
        assert_eq!(
            u,
            "http://h/fdsnws/station/1/query?network=IU&station=ANMO&location=--&channel=BH%3F\
             &starttime=2010-01-01T00%3A00%3A00.000000&level=channel&format=text&nodata=204"
        );
    }

    #[test]
    fn epochs_overlap() {
        assert!(overlaps(Some(0), None, Some(5), Some(6)));
        assert!(!overlaps(Some(0), Some(4), Some(5), Some(6)));
        assert!(!overlaps(Some(6), None, Some(5), Some(6)));
        assert!(overlaps(None, None, None, None));
    }
}
