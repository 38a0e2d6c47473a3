//! fdsnws-station 1.1 from StationXML files: the request ([`StationRequest`]), the
//! inventory it runs over ([`StationInventory`], loaded once when the server starts) and the
//! two output formats.
//!
//! Rules (FDSN Web Service Specifications 1.2, "fdsnws-station"; what differs is said):
//!
//! - **Loading.** [`StationInventory::load`] reads every file named (a directory: its
//!   `.xml`/`.stationxml` files, sorted by name) once, with the project's StationXML reader
//!   ([`crate::stationxml`]: hostile input refused, the file, line and column named) and
//!   keeps, for each network, station and channel epoch, the parsed values (for selection
//!   and `format=text`) and its XML as written in the file (for `format=xml`). Networks
//!   with the same code, start and end (from one file or several) are one network: the
//!   first one's element and attributes, the stations of all in file order. Stations and
//!   channels are never merged.
//! - **Selection.** A network, station or channel epoch is selected when its codes match a
//!   selection line (`*`, `?`, comma lists, `--` for the blank location; case-sensitive) and
//!   its epoch meets the line's window: not ended before `starttime`, not started after
//!   `endtime`, both ends inclusive, an absent date open (as ObsPy's `Inventory.select`).
//!   The lines of a POST body are a union. An element that has children in the files
//!   (a network with stations, a station with channels) is selected only when one of its
//!   children is, at every level (as ObsPy's `select` with `keep_empty=False`): a station
//!   whose channels all end before the window is not listed.
//! - `startbefore`, `startafter`, `endbefore`, `endafter` (strict comparisons; an open end
//!   is after every time) apply to the epochs of the level asked for (the channels at
//!   `level=channel` and `response`).
//! - `minlatitude`..`maxlongitude` (inclusive) and `latitude`/`longitude`/`minradius`/
//!   `maxradius` (great-circle distance in degrees, inclusive) apply to the stations'
//!   coordinates.
//! - `matchtimeseries=true`: a channel is selected only when the catalogue holds data of its
//!   stream during its epoch and the line's window (the stream's extent in the catalogue,
//!   [`Catalogue::extents`], meets that interval; a channel whose epoch falls in a gap
//!   inside the extent is kept). A network without stations, a station without channels in
//!   the files have no data: left out.
//! - `includerestricted=false` leaves out the elements whose `restrictedStatus` is
//!   `closed` and the channels of the server's restricted streams; whatever it says, the
//!   restricted streams ([`Access`]) are hidden from a request that is not authenticated.
//! - `includeavailability=true` and `updatedafter` are refused (400): the files carry no
//!   update times and the availability is the availability service's.
//! - **`format=xml`**: a StationXML 1.2 document: `Source` (the files' when they all give
//!   the same, else `siqaco`), `Sender` `siqaco`, `Module`, `Created` (now), then the selected networks,
//!   stations and channels down to the level, each element re-emitted as written in its file
//!   (attributes, children, extensions in other namespaces with their namespace declared on
//!   them; comments and whitespace dropped, namespace prefixes of FDSN elements removed);
//!   the channels' `Response` only at `level=response`. Counts such as
//!   `SelectedNumberStations` are the files'.
//! - **`format=text`**: the specification's `|`-separated lines under a `#` header line for
//!   `level=network`, `station` and `channel`; `level=response` has no text form (400). Times
//!   are `YYYY-MM-DDTHH:MM:SS[.ffffff]` UTC (a date beyond 2262 as written in the file), an
//!   open end empty; `|` and line breaks inside a text field become spaces.
//!
//! Times are ns since 1970-01-01 UTC.

use super::{Access, FdsnQuery, ParamSpec, SelectionLine};
use crate::error::{Error, Result};
use crate::index::Catalogue;
use crate::sid::{glob_match, Nslc};
use crate::stationxml::{self, Channel, Network, Station, FDSN_STATION_NS};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{NamespaceResolver, ResolveResult};
use quick_xml::NsReader;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The parameters of fdsnws-station besides the selection ([`super::SELECTION_PARAMS`]).
pub const SPEC: &[ParamSpec] = &[
    ParamSpec::new("level"),
    ParamSpec::new("format"),
    ParamSpec::new("matchtimeseries"),
    ParamSpec::new("includerestricted"),
    ParamSpec::new("includeavailability"),
    ParamSpec::new("updatedafter"),
    ParamSpec::new("nodata"),
    ParamSpec::new("startbefore"),
    ParamSpec::new("startafter"),
    ParamSpec::new("endbefore"),
    ParamSpec::new("endafter"),
    ParamSpec::with_aliases("minlatitude", &["minlat"]),
    ParamSpec::with_aliases("maxlatitude", &["maxlat"]),
    ParamSpec::with_aliases("minlongitude", &["minlon"]),
    ParamSpec::with_aliases("maxlongitude", &["maxlon"]),
    ParamSpec::with_aliases("latitude", &["lat"]),
    ParamSpec::with_aliases("longitude", &["lon"]),
    ParamSpec::new("minradius"),
    ParamSpec::new("maxradius"),
];

/// How deep the answer goes (`level`, default `station`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Networks only.
    Network,
    /// Networks and stations.
    Station,
    /// Down to the channels, without their responses.
    Channel,
    /// The channels with their `Response` elements.
    Response,
}

/// The output format (`format`, default `xml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationFormat {
    /// FDSN StationXML 1.2.
    Xml,
    /// The specification's `|`-separated text.
    Text,
}

impl StationFormat {
    /// The HTTP content type of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            StationFormat::Xml => "application/xml",
            StationFormat::Text => "text/plain; charset=utf-8",
        }
    }
}

/// The geographic constraints on the stations' coordinates, degrees.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GeoFilter {
    /// `minlatitude`, `maxlatitude` (degrees north, inclusive).
    pub latitude: (Option<f64>, Option<f64>),
    /// `minlongitude`, `maxlongitude` (degrees east, inclusive).
    pub longitude: (Option<f64>, Option<f64>),
    /// `latitude`, `longitude` (default 0, 0), `minradius`, `maxradius` (default 0, 180):
    /// the great-circle distance from the point, degrees; `None` when none is given.
    pub circle: Option<(f64, f64, f64, f64)>,
}

impl GeoFilter {
    /// Whether a station at `lat`, `lon` (degrees) passes.
    pub fn accepts(&self, lat: f64, lon: f64) -> bool {
        let within = |v: f64, (lo, hi): (Option<f64>, Option<f64>)| {
            lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h)
        };
        if !within(lat, self.latitude) || !within(lon, self.longitude) {
            return false;
        }
        match self.circle {
            None => true,
            Some((clat, clon, rmin, rmax)) => {
                let d = great_circle_deg(clat, clon, lat, lon);
                d >= rmin && d <= rmax
            }
        }
    }
}

/// Great-circle distance between two points, degrees (haversine on a sphere).
fn great_circle_deg(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    (2.0 * a.sqrt().min(1.0).asin()).to_degrees()
}

/// A fdsnws-station request, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct StationRequest {
    /// The selection lines (one for GET, one per line of a POST body).
    pub lines: Vec<SelectionLine>,
    /// `level` (default station).
    pub level: Level,
    /// `format` (default xml).
    pub format: StationFormat,
    /// `matchtimeseries` (default false): only channels with data in the catalogue.
    pub matchtimeseries: bool,
    /// `includerestricted` (default true).
    pub includerestricted: bool,
    /// HTTP status for no data: 204 (default) or 404.
    pub nodata: u16,
    /// `startbefore`, ns: epochs of the level starting before it.
    pub startbefore: Option<i64>,
    /// `startafter`, ns: epochs starting after it.
    pub startafter: Option<i64>,
    /// `endbefore`, ns: epochs ending before it (an open end never does).
    pub endbefore: Option<i64>,
    /// `endafter`, ns: epochs ending after it (an open end always does).
    pub endafter: Option<i64>,
    /// The geographic constraints.
    pub geo: GeoFilter,
}

fn take_time(q: &mut FdsnQuery, name: &str) -> Result<Option<i64>> {
    Ok(q.take(name)
        .map(|t| super::params::time(name, &t, false))
        .transpose()?
        .flatten())
}

fn take_degrees(q: &mut FdsnQuery, name: &str, lo: f64, hi: f64) -> Result<Option<f64>> {
    let v = q.take_parsed::<f64>(name, "a number of degrees")?;
    if let Some(x) = v {
        if !(x >= lo && x <= hi) {
            return Err(Error::field(
                name,
                format!("{x} is not between {lo} and {hi} degrees"),
            ));
        }
    }
    Ok(v)
}

impl StationRequest {
    /// The typed request from the parsed parameters (GET: [`FdsnQuery::from_pairs`] with
    /// [`SPEC`]; POST: [`FdsnQuery::from_post`] with `open_times`).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the parameter: a value not allowed, `format=text`
    /// with `level=response`, `includeavailability=true`, `updatedafter`, a minimum above
    /// its maximum, a latitude outside ±90, a longitude outside ±180, a radius outside
    /// 0..180.
    pub fn from_query(mut q: FdsnQuery) -> Result<StationRequest> {
        let level = match q.take_one_of("level", &["network", "station", "channel", "response"])? {
            Some("network") => Level::Network,
            Some("channel") => Level::Channel,
            Some("response") => Level::Response,
            _ => Level::Station,
        };
        let format = match q.take_one_of("format", &["xml", "text"])? {
            Some("text") => StationFormat::Text,
            _ => StationFormat::Xml,
        };
        if format == StationFormat::Text && level == Level::Response {
            return Err(Error::field(
                "format",
                "format=text has no response level (use format=xml)",
            ));
        }
        let matchtimeseries = q.take_bool("matchtimeseries")?.unwrap_or(false);
        let includerestricted = q.take_bool("includerestricted")?.unwrap_or(true);
        if q.take_bool("includeavailability")? == Some(true) {
            return Err(Error::field(
                "includeavailability",
                "not supported (ask fdsnws-availability for the data's time spans)",
            ));
        }
        if q.take("updatedafter").is_some() {
            return Err(Error::field(
                "updatedafter",
                "not supported: the StationXML files carry no update times",
            ));
        }
        let nodata = q.take_nodata()?;
        let startbefore = take_time(&mut q, "startbefore")?;
        let startafter = take_time(&mut q, "startafter")?;
        let endbefore = take_time(&mut q, "endbefore")?;
        let endafter = take_time(&mut q, "endafter")?;
        let latitude = (
            take_degrees(&mut q, "minlatitude", -90.0, 90.0)?,
            take_degrees(&mut q, "maxlatitude", -90.0, 90.0)?,
        );
        let longitude = (
            take_degrees(&mut q, "minlongitude", -180.0, 180.0)?,
            take_degrees(&mut q, "maxlongitude", -180.0, 180.0)?,
        );
        for (name, (lo, hi)) in [("maxlatitude", latitude), ("maxlongitude", longitude)] {
            if let (Some(lo), Some(hi)) = (lo, hi) {
                if hi < lo {
                    return Err(Error::field(
                        name,
                        format!("{hi} is below the minimum {lo}"),
                    ));
                }
            }
        }
        let clat = take_degrees(&mut q, "latitude", -90.0, 90.0)?;
        let clon = take_degrees(&mut q, "longitude", -180.0, 180.0)?;
        let rmin = take_degrees(&mut q, "minradius", 0.0, 180.0)?;
        let rmax = take_degrees(&mut q, "maxradius", 0.0, 180.0)?;
        let circle = if clat.is_some() || clon.is_some() || rmin.is_some() || rmax.is_some() {
            let (rmin, rmax) = (rmin.unwrap_or(0.0), rmax.unwrap_or(180.0));
            if rmax < rmin {
                return Err(Error::field(
                    "maxradius",
                    format!("{rmax} is below minradius {rmin}"),
                ));
            }
            Some((clat.unwrap_or(0.0), clon.unwrap_or(0.0), rmin, rmax))
        } else {
            None
        };
        let lines = std::mem::take(&mut q.lines);
        q.finish()?;
        Ok(StationRequest {
            lines,
            level,
            format,
            matchtimeseries,
            includerestricted,
            nodata,
            startbefore,
            startafter,
            endbefore,
            endafter,
            geo: GeoFilter {
                latitude,
                longitude,
                circle,
            },
        })
    }

    /// Runs the request over `inventory`: the response body in [`StationRequest::format`]
    /// (UTF-8), or `None` when nothing is selected (for `format=text`: no line at the
    /// level), to be answered with [`StationRequest::nodata`]. `access` hides the
    /// restricted streams; `catalogue` is read only for `matchtimeseries`.
    ///
    /// # Errors
    /// [`Error::Database`] when the catalogue cannot be read.
    pub fn run(
        &self,
        inventory: &StationInventory,
        access: &Access,
        catalogue: &Catalogue,
    ) -> Result<Option<String>> {
        let extents = if self.matchtimeseries {
            let mut m: HashMap<Nslc, (i64, i64)> = HashMap::new();
            let globs: Vec<_> = self.lines.iter().flat_map(|l| l.streams.clone()).collect();
            for e in catalogue.extents(&globs)? {
                m.insert(e.nslc, (e.earliest_ns, e.latest_ns));
            }
            Some(m)
        } else {
            None
        };
        let chosen = self.select(inventory, access, extents.as_ref());
        // The text format has lines of the level only: without any, there is no data.
        let rows = match (self.format, self.level) {
            (StationFormat::Xml, _) | (StationFormat::Text, Level::Network) => chosen.len(),
            (StationFormat::Text, Level::Station) => chosen.iter().map(|(_, s)| s.len()).sum(),
            (StationFormat::Text, _) => chosen
                .iter()
                .flat_map(|(_, s)| s)
                .map(|(_, c)| c.len())
                .sum(),
        };
        if rows == 0 {
            return Ok(None);
        }
        Ok(Some(match self.format {
            StationFormat::Xml => render_xml(inventory, &chosen, self.level),
            StationFormat::Text => render_text(inventory, &chosen, self.level),
        }))
    }

    fn bounds(&self, start: Option<i64>, end: Option<i64>) -> bool {
        let (s, e) = (start.unwrap_or(i64::MIN), end.unwrap_or(i64::MAX));
        self.startbefore.is_none_or(|t| s < t)
            && self.startafter.is_none_or(|t| s > t)
            && self.endbefore.is_none_or(|t| e < t)
            && self.endafter.is_none_or(|t| e > t)
    }

    fn open(&self, status: &Option<String>) -> bool {
        self.includerestricted || status.as_deref() != Some("closed")
    }

    /// The selected networks, stations and channels as indices into `inv`.
    fn select(
        &self,
        inv: &StationInventory,
        access: &Access,
        extents: Option<&HashMap<Nslc, (i64, i64)>>,
    ) -> Selected {
        let mut nets = vec![false; inv.networks.len()];
        let mut stas: Vec<Vec<bool>> = inv
            .networks
            .iter()
            .map(|n| vec![false; n.stations.len()])
            .collect();
        let mut chas: Vec<Vec<Vec<bool>>> = inv
            .networks
            .iter()
            .map(|n| {
                n.stations
                    .iter()
                    .map(|s| vec![false; s.channels.len()])
                    .collect()
            })
            .collect();
        for line in &self.lines {
            let meets = |start: Option<i64>, end: Option<i64>| {
                line.end_ns.is_none_or(|t| start.unwrap_or(i64::MIN) <= t)
                    && line.start_ns.is_none_or(|t| end.unwrap_or(i64::MAX) >= t)
            };
            for (ni, n) in inv.networks.iter().enumerate() {
                let net = &n.network;
                let ok = line
                    .streams
                    .iter()
                    .any(|g| glob_match(&g.network, &net.code))
                    && meets(net.start_ns, net.end_ns)
                    && (self.level != Level::Network || self.bounds(net.start_ns, net.end_ns))
                    && self.open(&net.restricted_status);
                if !ok {
                    continue;
                }
                let mut any_sta = false;
                for (si, s) in n.stations.iter().enumerate() {
                    let sta = &s.station;
                    let ok = line.streams.iter().any(|g| {
                        glob_match(&g.network, &net.code) && glob_match(&g.station, &sta.code)
                    }) && meets(sta.start_ns, sta.end_ns)
                        && (self.level != Level::Station || self.bounds(sta.start_ns, sta.end_ns))
                        && self.open(&sta.restricted_status)
                        && self.geo.accepts(sta.latitude, sta.longitude);
                    if !ok {
                        continue;
                    }
                    let mut any_cha = false;
                    for (ci, c) in s.channels.iter().enumerate() {
                        let ch = &c.channel;
                        let ok = line.streams.iter().any(|g| g.matches(&ch.nslc))
                            && meets(ch.start_ns, ch.end_ns)
                            && (self.level < Level::Channel || self.bounds(ch.start_ns, ch.end_ns))
                            && self.open(&ch.restricted_status)
                            && access.allows(&ch.nslc)
                            && (self.includerestricted || !access.is_restricted(&ch.nslc))
                            && extents.is_none_or(|m| {
                                let a = ch
                                    .start_ns
                                    .unwrap_or(i64::MIN)
                                    .max(line.start_ns.unwrap_or(i64::MIN));
                                let b = ch
                                    .end_ns
                                    .unwrap_or(i64::MAX)
                                    .min(line.end_ns.unwrap_or(i64::MAX));
                                m.get(&ch.nslc).is_some_and(|&(e0, e1)| e0 <= b && e1 >= a)
                            });
                        if ok {
                            chas[ni][si][ci] = true;
                            any_cha = true;
                        }
                    }
                    // Without children, an element has no data: matchtimeseries leaves it out.
                    if any_cha || (s.channels.is_empty() && extents.is_none()) {
                        stas[ni][si] = true;
                        any_sta = true;
                    }
                }
                if any_sta || (n.stations.is_empty() && extents.is_none()) {
                    nets[ni] = true;
                }
            }
        }
        nets.iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(ni, _)| {
                let stations = stas[ni]
                    .iter()
                    .enumerate()
                    .filter(|(_, on)| **on)
                    .map(|(si, _)| {
                        let channels = chas[ni][si]
                            .iter()
                            .enumerate()
                            .filter(|(_, on)| **on)
                            .map(|(ci, _)| ci)
                            .collect();
                        (si, channels)
                    })
                    .collect();
                (ni, stations)
            })
            .collect()
    }
}

/// Selected networks (index) with their selected stations (index) and channels (index).
type Selected = Vec<(usize, Vec<(usize, Vec<usize>)>)>;

// ---------------------------------------------------------------------------------------
// The inventory.

/// The StationXML served: every network, station and channel epoch of the files, with its
/// parsed values and its XML as written ([`StationInventory::load`]).
#[derive(Clone, Debug, Default)]
pub struct StationInventory {
    /// The distinct `<Source>` values of the files, in the order read.
    sources: Vec<String>,
    /// The files read, in the order read.
    pub files: Vec<PathBuf>,
    /// The networks; one per code and epoch.
    pub networks: Vec<NetworkEntry>,
}

/// One network epoch: its values (its `stations` list is empty: they are in
/// [`NetworkEntry::stations`]) and its XML.
#[derive(Clone, Debug, Default)]
pub struct NetworkEntry {
    /// The parsed values.
    pub network: Network,
    /// Its station epochs, in file order.
    pub stations: Vec<StationEntry>,
    xml: Xml,
}

/// One station epoch (its `channels` list is empty: they are in
/// [`StationEntry::channels`]).
#[derive(Clone, Debug, Default)]
pub struct StationEntry {
    /// The parsed values.
    pub station: Station,
    /// Its channel epochs, in file order.
    pub channels: Vec<ChannelEntry>,
    xml: Xml,
}

/// One channel epoch.
#[derive(Clone, Debug, Default)]
pub struct ChannelEntry {
    /// The parsed values.
    pub channel: Channel,
    /// `<Sensor><Description>`, trimmed (the text format's `SensorDescription`).
    pub sensor_description: Option<String>,
    xml: Xml,
    /// The `<Response>` element as XML, empty when the channel has none.
    response: String,
}

/// The XML of an element: its start tag, its children other than the nested networks,
/// stations, channels and the channel's response, its end tag; and the `startDate` and
/// `endDate` attributes as written.
#[derive(Clone, Debug, Default)]
struct Xml {
    open: String,
    body: String,
    close: String,
    start_text: Option<String>,
    end_text: Option<String>,
}

impl StationInventory {
    /// Reads the StationXML files `paths` (a directory: its `.xml` and `.stationxml` files,
    /// sorted by name). Networks with the same code, `startDate` and `endDate` are merged
    /// (see the module's rules).
    ///
    /// # Errors
    /// [`Error::Io`] naming a file or directory that cannot be read; [`Error::StationXml`]
    /// with the file, line and column of the first problem in a file.
    pub fn load(paths: &[PathBuf]) -> Result<StationInventory> {
        let mut inv = StationInventory::default();
        for p in paths {
            let files = if p.is_dir() {
                stationxml::stationxml_files(p)?
            } else {
                vec![p.clone()]
            };
            for f in files {
                inv.add_file(&f)?;
            }
        }
        tracing::info!(
            files = inv.files.len(),
            networks = inv.networks.len(),
            channels = inv.channel_count(),
            "StationXML read"
        );
        Ok(inv)
    }

    /// The `<Source>` of the documents answered: the files' when they all give the same
    /// one (files without a `<Source>` aside), else `siqaco`.
    pub fn source(&self) -> &str {
        match self.sources.as_slice() {
            [one] => one,
            _ => "siqaco",
        }
    }

    /// Number of channel epochs.
    pub fn channel_count(&self) -> usize {
        self.networks
            .iter()
            .flat_map(|n| &n.stations)
            .map(|s| s.channels.len())
            .sum()
    }

    fn add_file(&mut self, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let parsed = stationxml::parse_stationxml(&bytes, &path.display().to_string())?;
        let captured =
            capture(&stationxml::utf8_document(&bytes)).map_err(|m| Error::StationXml {
                path: path.to_path_buf(),
                line: 0,
                column: 0,
                message: m,
            })?;
        let mismatch = || Error::StationXml {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: "the document's networks, stations and channels could not be re-read".into(),
        };
        if parsed.networks.len() != captured.len() {
            return Err(mismatch());
        }
        if let Some(src) = parsed.source {
            if !self.sources.contains(&src) {
                self.sources.push(src);
            }
        }
        self.files.push(path.to_path_buf());
        for (mut net, cnet) in parsed.networks.into_iter().zip(captured) {
            let stations_parsed = std::mem::take(&mut net.stations);
            if stations_parsed.len() != cnet.stations.len() {
                return Err(mismatch());
            }
            let mut stations = Vec::with_capacity(stations_parsed.len());
            for (mut sta, csta) in stations_parsed.into_iter().zip(cnet.stations) {
                let channels_parsed = std::mem::take(&mut sta.channels);
                if channels_parsed.len() != csta.channels.len() {
                    return Err(mismatch());
                }
                let channels = channels_parsed
                    .into_iter()
                    .zip(csta.channels)
                    .map(|(channel, c)| ChannelEntry {
                        channel,
                        sensor_description: c.sensor_description,
                        xml: c.xml,
                        response: c.response,
                    })
                    .collect();
                stations.push(StationEntry {
                    station: sta,
                    channels,
                    xml: csta.xml,
                });
            }
            match self.networks.iter_mut().find(|n| {
                n.network.code == net.code
                    && n.network.start_ns == net.start_ns
                    && n.network.end_ns == net.end_ns
            }) {
                Some(n) => n.stations.extend(stations),
                None => self.networks.push(NetworkEntry {
                    network: net,
                    stations,
                    xml: cnet.xml,
                }),
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Capturing the XML of each element.

#[derive(Default)]
struct CapNet {
    xml: Xml,
    stations: Vec<CapSta>,
}

#[derive(Default)]
struct CapSta {
    xml: Xml,
    channels: Vec<CapCha>,
}

#[derive(Default)]
struct CapCha {
    xml: Xml,
    response: String,
    sensor_description: Option<String>,
}

const ROOT: &str = "FDSNStationXML";

/// One open element: its local name when in the FDSN namespace (`None`: a foreign
/// extension) and the name written for it.
struct Open {
    name: Option<String>,
    written: String,
}

fn path_is(stack: &[Open], path: &[&str]) -> bool {
    stack.len() == path.len()
        && stack
            .iter()
            .zip(path)
            .all(|(o, p)| o.name.as_deref() == Some(*p))
}

fn under(stack: &[Open], path: &[&str]) -> bool {
    stack.len() > path.len()
        && stack
            .iter()
            .zip(path)
            .all(|(o, p)| o.name.as_deref() == Some(*p))
}

const NET: [&str; 2] = [ROOT, "Network"];
const STA: [&str; 3] = [ROOT, "Network", "Station"];
const CHA: [&str; 4] = [ROOT, "Network", "Station", "Channel"];
const RESP: [&str; 5] = [ROOT, "Network", "Station", "Channel", "Response"];
const SENSOR_DESC: [&str; 6] = [
    ROOT,
    "Network",
    "Station",
    "Channel",
    "Sensor",
    "Description",
];

/// The start tag of `e` as written in the output: FDSN elements without their prefix, a
/// foreign element with its (prefixed) name and its namespace declared on it; `xmlns`
/// attributes dropped and the namespaces of prefixed foreign attributes declared.
fn start_tag(
    e: &BytesStart<'_>,
    res: &ResolveResult<'_>,
    resolver: &NamespaceResolver,
    foreign: bool,
) -> std::result::Result<(String, String), String> {
    let qname = e.name();
    let mut decls: Vec<(String, String)> = Vec::new();
    let name = if foreign {
        if let ResolveResult::Bound(ns) = res {
            let d = match qname.prefix() {
                Some(p) => format!("xmlns:{}", p.as_ref()),
                None => "xmlns".to_string(),
            };
            decls.push((d, ns.as_ref().to_string()));
        }
        qname.as_ref().to_string()
    } else {
        e.local_name().as_ref().to_string()
    };
    let mut s = format!("<{name}");
    for a in e.attributes() {
        let a = a.map_err(|err| format!("malformed XML attribute: {err}"))?;
        let key = a.key.as_ref();
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("attribute {key:?}: {err}"))?;
        let (ares, local) = resolver.resolve_attribute(a.key);
        let written = match ares {
            ResolveResult::Bound(ns) if !stationxml::is_fdsn_namespace(ns.as_ref()) => {
                if let Some(p) = a.key.prefix() {
                    let d = format!("xmlns:{}", p.as_ref());
                    if !decls.iter().any(|(k, _)| *k == d) {
                        decls.push((d, ns.as_ref().to_string()));
                    }
                }
                key.to_string()
            }
            _ => local.as_ref().to_string(),
        };
        let _ = write!(s, " {written}=\"{}\"", quick_xml::escape::escape(&*value));
    }
    for (k, v) in decls {
        let _ = write!(s, " {k}=\"{}\"", quick_xml::escape::escape(&v));
    }
    s.push('>');
    Ok((s, name))
}

/// Re-reads a (UTF-8, already validated) StationXML document and captures the XML of each
/// network, station and channel, in document order, the same elements the reader keeps
/// (FDSN-namespace `Network`/`Station`/`Channel` at their places under the root).
fn capture(doc: &[u8]) -> std::result::Result<Vec<CapNet>, String> {
    let mut reader = NsReader::from_reader(doc);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut out: Vec<CapNet> = Vec::new();
    let mut net: Option<CapNet> = None;
    let mut sta: Option<CapSta> = None;
    let mut cha: Option<CapCha> = None;
    let mut sensor_text: Option<String> = None;
    // Where the events of the current element go.
    fn sink<'a>(
        stack: &[Open],
        net: &'a mut Option<CapNet>,
        sta: &'a mut Option<CapSta>,
        cha: &'a mut Option<CapCha>,
    ) -> Option<&'a mut String> {
        if let Some(c) = cha.as_mut() {
            return Some(if path_is(stack, &RESP) || under(stack, &RESP) {
                &mut c.response
            } else {
                &mut c.xml.body
            });
        }
        if let Some(s) = sta.as_mut() {
            return Some(&mut s.xml.body);
        }
        net.as_mut().map(|n| &mut n.xml.body)
    }
    let mut pending_space = String::new();
    loop {
        buf.clear();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("malformed XML: {e}"))?;
        if !matches!(ev, Event::Text(_) | Event::GeneralRef(_) | Event::CData(_)) {
            pending_space.clear();
        }
        match ev {
            Event::Start(e) => {
                let (res, _) = reader.resolver().resolve_element(e.name());
                let foreign = match &res {
                    ResolveResult::Bound(ns) => !stationxml::is_fdsn_namespace(ns.as_ref()),
                    _ => false,
                };
                let (tag, written) = start_tag(&e, &res, reader.resolver(), foreign)?;
                let name = (!foreign).then(|| e.local_name().as_ref().to_string());
                stack.push(Open { name, written });
                let dates = || -> std::result::Result<(Option<String>, Option<String>), String> {
                    let mut d = (None, None);
                    for a in e.attributes().flatten() {
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|err| err.to_string())?
                            .trim()
                            .to_string();
                        match a.key.local_name().as_ref() {
                            "startDate" => d.0 = Some(v),
                            "endDate" => d.1 = Some(v),
                            _ => {}
                        }
                    }
                    Ok(d)
                };
                let element = |tag: String, close: &str| -> std::result::Result<Xml, String> {
                    let (start_text, end_text) = dates()?;
                    Ok(Xml {
                        open: tag,
                        body: String::new(),
                        close: close.to_string(),
                        start_text,
                        end_text,
                    })
                };
                if path_is(&stack, &NET) {
                    net = Some(CapNet {
                        xml: element(tag, "</Network>")?,
                        ..CapNet::default()
                    });
                } else if path_is(&stack, &STA) && net.is_some() {
                    sta = Some(CapSta {
                        xml: element(tag, "</Station>")?,
                        ..CapSta::default()
                    });
                } else if path_is(&stack, &CHA) && sta.is_some() {
                    cha = Some(CapCha {
                        xml: element(tag, "</Channel>")?,
                        ..CapCha::default()
                    });
                } else {
                    if path_is(&stack, &SENSOR_DESC) {
                        sensor_text = Some(String::new());
                    }
                    if let Some(s) = sink(&stack, &mut net, &mut sta, &mut cha) {
                        s.push_str(&tag);
                    }
                }
            }
            Event::End(_) => {
                if path_is(&stack, &CHA) {
                    if let (Some(c), Some(s)) = (cha.take(), sta.as_mut()) {
                        s.channels.push(c);
                    }
                } else if path_is(&stack, &STA) {
                    if let (Some(s), Some(n)) = (sta.take(), net.as_mut()) {
                        n.stations.push(s);
                    }
                } else if path_is(&stack, &NET) {
                    if let Some(n) = net.take() {
                        out.push(n);
                    }
                } else {
                    if path_is(&stack, &SENSOR_DESC) {
                        if let (Some(t), Some(c)) = (sensor_text.take(), cha.as_mut()) {
                            c.sensor_description = Some(t.trim().to_string());
                        }
                    }
                    let written = stack.last().map(|o| o.written.clone()).unwrap_or_default();
                    if let Some(s) = sink(&stack, &mut net, &mut sta, &mut cha) {
                        let _ = write!(s, "</{written}>");
                    }
                }
                stack.pop();
            }
            Event::Text(t) => {
                let raw = AsRef::<str>::as_ref(&t);
                if let Some(st) = sensor_text.as_mut() {
                    st.push_str(&t.xml10_content());
                }
                if raw.trim().is_empty() {
                    // Indentation, unless text or a reference follows.
                    pending_space.push_str(raw);
                } else if let Some(s) = sink(&stack, &mut net, &mut sta, &mut cha) {
                    s.push_str(&std::mem::take(&mut pending_space));
                    s.push_str(raw);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(st) = sensor_text.as_mut() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        st.push(c);
                    } else if let Some(p) = quick_xml::escape::resolve_predefined_entity(&r) {
                        st.push_str(p);
                    }
                }
                if let Some(s) = sink(&stack, &mut net, &mut sta, &mut cha) {
                    s.push_str(&std::mem::take(&mut pending_space));
                    let _ = write!(s, "&{};", AsRef::<str>::as_ref(&r));
                }
            }
            Event::CData(t) => {
                if let Some(st) = sensor_text.as_mut() {
                    st.push_str(&t.xml10_content());
                }
                if let Some(s) = sink(&stack, &mut net, &mut sta, &mut cha) {
                    s.push_str(&std::mem::take(&mut pending_space));
                    let _ = write!(s, "<![CDATA[{}]]>", AsRef::<str>::as_ref(&t));
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// Output.

fn render_xml(inv: &StationInventory, chosen: &Selected, level: Level) -> String {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let mut x = String::with_capacity(4096);
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FDSNStationXML xmlns=\"{FDSN_STATION_NS}\" schemaVersion=\"1.2\">\n <Source>{}</Source>\n <Sender>siqaco</Sender>\n <Module>siqaco {}</Module>\n <Created>{}</Created>\n",
        esc(inv.source()),
        env!("CARGO_PKG_VERSION"),
        crate::time::format_time(crate::time::now_ns()),
    );
    for (ni, stations) in chosen {
        let n = &inv.networks[*ni];
        let _ = write!(x, " {}{}", n.xml.open, n.xml.body);
        if level >= Level::Station {
            for (si, channels) in stations {
                let s = &n.stations[*si];
                let _ = write!(x, "\n  {}{}", s.xml.open, s.xml.body);
                if level >= Level::Channel {
                    for ci in channels {
                        let c = &s.channels[*ci];
                        let _ = write!(x, "\n   {}{}", c.xml.open, c.xml.body);
                        if level == Level::Response {
                            x.push_str(&c.response);
                        }
                        x.push_str(&c.xml.close);
                    }
                }
                let _ = write!(x, "\n  {}", s.xml.close);
            }
        }
        let _ = writeln!(x, "\n {}", n.xml.close);
    }
    x.push_str("</FDSNStationXML>\n");
    x
}

/// A time of the text format: `YYYY-MM-DDTHH:MM:SS` with microseconds (or nanoseconds)
/// when not a whole second; a date beyond the range of ns in `i64` as written in the file.
fn text_time(ns: Option<i64>, written: &Option<String>) -> String {
    match ns {
        None => String::new(),
        Some(t) if t == i64::MAX || t == i64::MIN => written.clone().unwrap_or_default(),
        Some(t) => {
            let s = crate::time::format_time(t);
            let s = s.trim_end_matches('Z');
            s.strip_suffix(".000000").unwrap_or(s).to_string()
        }
    }
}

fn text_field(s: Option<&str>) -> String {
    s.unwrap_or("")
        .chars()
        .map(|c| {
            if matches!(c, '|' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn opt_num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn render_text(inv: &StationInventory, chosen: &Selected, level: Level) -> String {
    let mut x = String::new();
    match level {
        Level::Network => {
            x.push_str("#Network|Description|StartTime|EndTime|TotalStations\n");
            for (ni, _) in chosen {
                let n = &inv.networks[*ni];
                let net = &n.network;
                let _ = writeln!(
                    x,
                    "{}|{}|{}|{}|{}",
                    net.code,
                    text_field(net.description.as_deref()),
                    text_time(net.start_ns, &n.xml.start_text),
                    text_time(net.end_ns, &n.xml.end_text),
                    n.stations.len()
                );
            }
        }
        Level::Station => {
            x.push_str(
                "#Network|Station|Latitude|Longitude|Elevation|SiteName|StartTime|EndTime\n",
            );
            for (ni, stations) in chosen {
                let n = &inv.networks[*ni];
                for (si, _) in stations {
                    let s = &n.stations[*si];
                    let st = &s.station;
                    let _ = writeln!(
                        x,
                        "{}|{}|{}|{}|{}|{}|{}|{}",
                        n.network.code,
                        st.code,
                        st.latitude,
                        st.longitude,
                        st.elevation_m,
                        text_field(st.site_name.as_deref()),
                        text_time(st.start_ns, &s.xml.start_text),
                        text_time(st.end_ns, &s.xml.end_text),
                    );
                }
            }
        }
        Level::Channel | Level::Response => {
            x.push_str("#Network|Station|Location|Channel|Latitude|Longitude|Elevation|Depth|Azimuth|Dip|SensorDescription|Scale|ScaleFreq|ScaleUnits|SampleRate|StartTime|EndTime\n");
            for (ni, stations) in chosen {
                let n = &inv.networks[*ni];
                for (si, channels) in stations {
                    let s = &n.stations[*si];
                    for ci in channels {
                        let c = &s.channels[*ci];
                        let ch = &c.channel;
                        let sens = ch.sensitivity.as_ref();
                        let _ = writeln!(
                            x,
                            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
                            ch.nslc.network,
                            ch.nslc.station,
                            ch.nslc.location,
                            ch.nslc.channel,
                            ch.latitude,
                            ch.longitude,
                            ch.elevation_m,
                            ch.depth_m,
                            opt_num(ch.azimuth_deg),
                            opt_num(ch.dip_deg),
                            text_field(c.sensor_description.as_deref()),
                            opt_num(sens.map(|s| s.value)),
                            opt_num(sens.map(|s| s.frequency_hz)),
                            text_field(sens.map(|s| s.input_units.as_str())),
                            opt_num(ch.sample_rate_hz),
                            text_time(ch.start_ns, &c.xml.start_text),
                            text_time(ch.end_ns, &c.xml.end_text),
                        );
                    }
                }
            }
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sid::NslcGlob;

    fn request(pairs: &[(&str, &str)]) -> Result<StationRequest> {
        StationRequest::from_query(FdsnQuery::from_pairs(pairs, SPEC)?)
    }

    fn empty_catalogue(dir: &Path) -> Catalogue {
        Catalogue::open(dir.join("empty.sqlite")).unwrap()
    }

    /// The body answered to `pairs` (panics on no data).
    fn answer(
        pairs: &[(&str, &str)],
        inv: &StationInventory,
        access: &Access,
        cat: &Catalogue,
    ) -> String {
        request(pairs)
            .unwrap()
            .run(inv, access, cat)
            .unwrap()
            .unwrap()
    }

    /// Sorted by codes and start, for comparing sets of epochs.
    fn sorted<T: Clone>(v: impl Iterator<Item = T>, key: impl Fn(&T) -> String) -> Vec<T> {
        let mut v: Vec<T> = v.collect();
        v.sort_by_key(|x| key(x));
        v
    }

    fn channel_key(c: &Channel) -> String {
        format!("{} {:?}", c.nslc, c.start_ns)
    }

    #[test]
    fn refusals_name_the_parameter() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("level", "stations")], "level"),
            (&[("format", "json")], "format"),
            (&[("format", "text"), ("level", "response")], "format"),
            (&[("updatedafter", "2020-01-01")], "updatedafter"),
            (&[("includeavailability", "true")], "includeavailability"),
            (&[("matchtimeseries", "1")], "matchtimeseries"),
            (&[("startafter", "soon")], "startafter"),
            (&[("minlat", "-91")], "minlatitude"),
            (&[("minlon", "10"), ("maxlon", "5")], "maxlongitude"),
            (
                &[("lat", "0"), ("minradius", "10"), ("maxradius", "5")],
                "maxradius",
            ),
            (&[("maxradius", "NaN")], "maxradius"),
            (&[("quality", "D")], "quality"),
        ];
        for (pairs, field) in cases {
            let e = request(pairs).unwrap_err();
            assert_eq!(e.field_name(), Some(*field), "{pairs:?}: {e}");
        }
        let r = request(&[("includeavailability", "false"), ("level", "RESPONSE")]).unwrap();
        assert_eq!(
            (r.level, r.format, r.nodata),
            (Level::Response, StationFormat::Xml, 204)
        );
        assert!(r.includerestricted && !r.matchtimeseries);
        let r = request(&[("lat", "48"), ("minradius", "1")]).unwrap();
        assert_eq!(r.geo.circle, Some((48.0, 0.0, 1.0, 180.0)));
    }

    /// The document at `level=response` reads back (with the project's reader) as exactly
    /// the channel epochs of the files, responses included; at `level=channel` the same
    /// channels without their responses.
    #[test]
    fn xml_reads_back_as_the_files() {
        let Some(data) = crate::testing::test_data_dir() else {
            return;
        };
        let dir = data.join("stationxml");
        let inv = StationInventory::load(std::slice::from_ref(&dir)).unwrap();
        let files = stationxml::read_stationxml_dir(&dir).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let cat = empty_catalogue(tmp.path());
        let want = sorted(files.channels().cloned(), channel_key);
        assert!(want.len() > 30);
        let access = Access::default();
        let doc = answer(&[("level", "response")], &inv, &access, &cat);
        let back = stationxml::parse_stationxml(doc.as_bytes(), "response").unwrap();
        assert_eq!(back.schema_version, "1.2");
        assert_eq!(back.sender.as_deref(), Some("siqaco"));
        // The files name several sources: the document is siqaco's.
        assert_eq!(back.source.as_deref(), Some("siqaco"));
        assert_eq!(sorted(back.channels().cloned(), channel_key), want);
        assert!(want.iter().any(|c| c.response_stages > 0));

        let doc = answer(&[("level", "channel")], &inv, &access, &cat);
        let back = stationxml::parse_stationxml(doc.as_bytes(), "channel").unwrap();
        let without_response = want.iter().cloned().map(|mut c| {
            c.response_stages = 0;
            c.sensitivity = None;
            c
        });
        assert_eq!(
            sorted(back.channels().cloned(), channel_key),
            sorted(without_response, channel_key)
        );

        let doc = answer(&[("level", "station")], &inv, &access, &cat);
        let back = stationxml::parse_stationxml(doc.as_bytes(), "station").unwrap();
        assert_eq!(back.channels().count(), 0);
        let stations = |i: &stationxml::Inventory| {
            sorted(
                i.networks.iter().flat_map(|n| {
                    n.stations.iter().map(move |s| {
                        (
                            n.code.clone(),
                            s.code.clone(),
                            s.start_ns,
                            s.latitude,
                            s.site_name.clone(),
                        )
                    })
                }),
                |s| format!("{s:?}"),
            )
        };
        assert_eq!(stations(&back), stations(&files));
    }

    const DOC: &str = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<s:FDSNStationXML xmlns:s="http://www.fdsn.org/xml/station/1" xmlns:x="urn:other" schemaVersion="1.1">
 <s:Source>Test</s:Source>
 <s:Network code="XX" startDate="2020-01-01T00:00:00">
  <s:Description>Caf&#233; &amp; r&eacute;seau</s:Description>
  <x:Note x:kind="a">kept</x:Note>
  <s:Station code="STA" startDate="2020-01-01T00:00:00" x:flag="1">
   <s:Latitude>1</s:Latitude><s:Longitude>2</s:Longitude><s:Elevation>3</s:Elevation>
   <s:Site><s:Name>Gen\xe8ve</s:Name></s:Site>
   <!-- a comment -->
   <s:Channel code="HHZ" locationCode="00" startDate="2020-01-01T00:00:00" endDate="2021-01-01T00:00:00">
    <s:Latitude>1</s:Latitude><s:Longitude>2</s:Longitude><s:Elevation>3</s:Elevation><s:Depth>0</s:Depth>
    <s:SampleRate>100</s:SampleRate>
    <s:Sensor><s:Description>STS-2 | broadband</s:Description></s:Sensor>
    <s:Response><s:InstrumentSensitivity><s:Value>1e9</s:Value><s:Frequency>1</s:Frequency>
     <s:InputUnits><s:Name>M/S</s:Name></s:InputUnits><s:OutputUnits><s:Name>COUNTS</s:Name></s:OutputUnits>
    </s:InstrumentSensitivity></s:Response>
   </s:Channel>
  </s:Station>
 </s:Network>
</s:FDSNStationXML>
"#;

    fn write_doc(dir: &Path, name: &str, doc: &str) -> PathBuf {
        let p = dir.join(name);
        // ISO-8859-1: every char of the test documents is below U+0100.
        let bytes: Vec<u8> = doc.chars().map(|c| c as u32 as u8).collect();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Prefixes, foreign extensions, ISO-8859-1 and entities survive; networks of the same
    /// code and epoch from two files are one network, of another epoch two.
    #[test]
    fn re_emission_and_merging() {
        let tmp = tempfile::tempdir().unwrap();
        let doc = DOC.replace("&eacute;", "&#233;").replace("\\xe8", "\u{e8}");
        let a = write_doc(tmp.path(), "a.xml", &doc);
        let b = write_doc(tmp.path(), "b.xml", &doc.replace("\"STA\"", "\"STB\""));
        let c = write_doc(
            tmp.path(),
            "c.xml",
            &doc.replace("\"STA\"", "\"STC\"").replace(
                "code=\"XX\" startDate=\"2020-01-01T00:00:00\"",
                "code=\"XX\" startDate=\"2019-01-01T00:00:00\"",
            ),
        );
        let inv = StationInventory::load(&[a, b, c]).unwrap();
        assert_eq!(inv.networks.len(), 2);
        assert_eq!(inv.networks[0].stations.len(), 2);
        let cat = empty_catalogue(tmp.path());
        let xml = answer(&[("level", "response")], &inv, &Access::default(), &cat);
        assert_eq!(xml.matches("<Network ").count(), 2, "{xml}");
        assert!(
            xml.contains("<x:Note x:kind=\"a\" xmlns:x=\"urn:other\">kept</x:Note>"),
            "{xml}"
        );
        assert!(xml.contains("<Station code=\"STA\" startDate=\"2020-01-01T00:00:00\" x:flag=\"1\" xmlns:x=\"urn:other\">"), "{xml}");
        assert!(!xml.contains("comment"));
        let back = stationxml::parse_stationxml(xml.as_bytes(), "out").unwrap();
        assert_eq!(back.source.as_deref(), Some("Test"));
        assert_eq!(
            back.networks[0].description.as_deref(),
            Some("Caf\u{e9} & r\u{e9}seau")
        );
        assert_eq!(
            back.networks[0].stations[0].site_name.as_deref(),
            Some("Gen\u{e8}ve")
        );
        assert_eq!(back.channels().count(), 3);
        assert_eq!(
            back.channels()
                .next()
                .unwrap()
                .sensitivity
                .as_ref()
                .unwrap()
                .value,
            1e9
        );

        let text = answer(
            &[("level", "channel"), ("format", "text"), ("sta", "STA")],
            &inv,
            &Access::default(),
            &cat,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(
            lines[1],
            "XX|STA|00|HHZ|1|2|3|0|||STS-2   broadband|1000000000|1|M/S|100|2020-01-01T00:00:00|2021-01-01T00:00:00"
        );
        let text = answer(
            &[("level", "network"), ("format", "text")],
            &inv,
            &Access::default(),
            &cat,
        );
        assert!(
            text.contains("\nXX|Caf\u{e9} & r\u{e9}seau|2020-01-01T00:00:00||2\n"),
            "{text}"
        );
    }

    /// The restricted streams are hidden unless authenticated, and a station whose channels
    /// are all hidden goes with them; `includerestricted=false` leaves them out for everyone.
    #[test]
    fn restricted_streams() {
        let Some(data) = crate::testing::test_data_dir() else {
            return;
        };
        let inv = StationInventory::load(&[data.join("stationxml")]).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let cat = empty_catalogue(tmp.path());
        let mut access = Access {
            restricted: vec![NslcGlob::parse("BW.FFB1").unwrap()],
            authenticated: false,
        };
        let stations = |req: &StationRequest, access: &Access| -> Vec<String> {
            let text = req.run(&inv, access, &cat).unwrap().unwrap_or_default();
            text.lines()
                .skip(1)
                .map(|l| l.split('|').take(2).collect::<Vec<_>>().join("."))
                .collect()
        };
        let all = request(&[("net", "BW"), ("sta", "FFB?"), ("format", "text")]).unwrap();
        assert_eq!(stations(&all, &access), ["BW.FFB2", "BW.FFB3"]);
        access.authenticated = true;
        assert_eq!(stations(&all, &access), ["BW.FFB1", "BW.FFB2", "BW.FFB3"]);
        let open_only = request(&[
            ("net", "BW"),
            ("sta", "FFB?"),
            ("format", "text"),
            ("includerestricted", "false"),
        ])
        .unwrap();
        assert_eq!(stations(&open_only, &access), ["BW.FFB2", "BW.FFB3"]);
    }
}
