"""fdsnws-station of `siqaco serve` against ObsPy: what ObsPy's FDSN client gets from the
server equals `obspy.read_inventory` of the StationXML files then `Inventory.select(...)`
with the same selection, at every level, in both formats; `matchtimeseries` keeps exactly
the channels whose stream has records (read by ObsPy from sds-small) during the epoch."""

from __future__ import annotations

import io
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

obspy = pytest.importorskip("obspy")
from obspy import UTCDateTime, read, read_inventory  # noqa: E402
from obspy.clients.fdsn import Client  # noqa: E402
from obspy.clients.fdsn.header import FDSNNoDataException  # noqa: E402


@pytest.fixture(scope="module")
def reference(data):
    """Every StationXML file of the served directory, read by ObsPy."""
    inv = None
    for p in sorted((data / "stationxml").iterdir()):
        if p.suffix.lower() in (".xml", ".stationxml"):
            one = read_inventory(str(p), format="STATIONXML")
            inv = one if inv is None else inv + one
    return inv


@pytest.fixture(scope="module")
def client(sds_small_server):
    """ObsPy's FDSN client as a user makes it: it reads the services' WADL first."""
    c = Client(sds_small_server.url)
    assert "station" in c.services
    return c


def t(x):
    return None if x is None else UTCDateTime(x).ns


def networks(inv):
    return {(n.code, t(n.start_date), t(n.end_date)) for n in inv}


def stations(inv):
    return {
        (n.code, s.code, t(s.start_date), t(s.end_date), s.latitude, s.longitude, s.elevation)
        for n in inv
        for s in n
    }


def channels(inv):
    return {
        (
            n.code,
            s.code,
            c.location_code,
            c.code,
            t(c.start_date),
            t(c.end_date),
            c.latitude,
            c.longitude,
            c.elevation,
            c.depth,
            c.azimuth,
            c.dip,
            c.sample_rate,
        )
        for n in inv
        for s in n
        for c in s
    }


def responses(inv):
    out = set()
    for n in inv:
        for s in n:
            for c in s:
                r = c.response
                sens = r.instrument_sensitivity if r is not None else None
                stages = tuple(
                    (
                        type(st).__name__,
                        st.stage_sequence_number,
                        st.stage_gain,
                        st.stage_gain_frequency,
                        st.input_units,
                        st.output_units,
                    )
                    for st in (r.response_stages if r is not None else [])
                )
                out.add(
                    (
                        n.code,
                        s.code,
                        c.location_code,
                        c.code,
                        t(c.start_date),
                        None
                        if sens is None
                        else (sens.value, sens.frequency, sens.input_units, sens.output_units),
                        stages,
                    )
                )
    return out


def has_response(inv):
    return any(c.response is not None and c.response.response_stages for n in inv for s in n for c in s)


# (server parameters, the same selection for Inventory.select)
SELECTIONS = [
    ({}, {}),
    ({"network": "BW"}, {"network": "BW"}),
    (
        {"network": "BW", "station": "FFB?", "channel": "HH?", "starttime": "2015-06-20"},
        {"network": "BW", "station": "FFB?", "channel": "HH?", "starttime": UTCDateTime(2015, 6, 20)},
    ),
    (
        {"starttime": "2015-06-13", "endtime": "2015-07-01"},
        {"starttime": UTCDateTime(2015, 6, 13), "endtime": UTCDateTime(2015, 7, 1)},
    ),
    ({"starttime": "2008-05-12"}, {"starttime": UTCDateTime(2008, 5, 12)}),
    ({"location": "00", "channel": "BH1"}, {"location": "00", "channel": "BH1"}),
    ({"location": "--", "channel": "EH?"}, {"location": "", "channel": "EH?"}),
    ({"endtime": "2007-12-16T23:59:59"}, {"endtime": UTCDateTime(2007, 12, 16, 23, 59, 59)}),
]


@pytest.mark.parametrize("params,select", SELECTIONS, ids=[str(p) for p, _ in SELECTIONS])
@pytest.mark.parametrize("level", ["network", "station", "channel", "response"])
def test_get_stations_equals_the_files(client, reference, params, select, level):
    expected = reference.select(**select)
    if not len(expected.networks):
        with pytest.raises(FDSNNoDataException):
            client.get_stations(level=level, **params)
        return
    got = client.get_stations(level=level, **params)
    assert networks(got) == networks(expected)
    if level == "network":
        assert stations(got) == set()
        return
    assert stations(got) == stations(expected)
    if level == "station":
        assert channels(got) == set()
        return
    assert channels(got) == channels(expected)
    if level == "channel":
        assert not has_response(got)
    else:
        assert responses(got) == responses(expected)
        assert has_response(got) == has_response(expected)


def status_of(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def text_time(x: str):
    return UTCDateTime(x).ns if x else None


def num(x: str):
    return float(x) if x else None


@pytest.mark.parametrize("params,select", SELECTIONS, ids=[str(p) for p, _ in SELECTIONS])
@pytest.mark.parametrize("level", ["network", "station", "channel"])
def test_text_format_equals_the_files(sds_small_server, reference, params, select, level):
    """The `|`-separated lines, split here, against the files read by ObsPy."""
    expected = reference.select(**select)
    q = urllib.parse.urlencode({"level": level, "format": "text", **params})
    code, text = status_of(f"{sds_small_server.url}/fdsnws/station/1/query?{q}")
    if not len(expected.networks):
        assert code == 204
        return
    assert code == 200
    lines = text.splitlines()
    rows = [l.split("|") for l in lines[1:]]
    if level == "network":
        assert lines[0] == "#Network|Description|StartTime|EndTime|TotalStations"
        total = {(n.code, t(n.start_date), t(n.end_date)): len(n.stations) for n in reference}
        assert {(r[0], r[1], text_time(r[2]), text_time(r[3]), int(r[4])) for r in rows} == {
            (n.code, n.description or "", t(n.start_date), t(n.end_date),
             total[(n.code, t(n.start_date), t(n.end_date))])
            for n in expected
        }
    elif level == "station":
        assert lines[0] == "#Network|Station|Latitude|Longitude|Elevation|SiteName|StartTime|EndTime"
        assert {
            (r[0], r[1], text_time(r[6]), text_time(r[7]), float(r[2]), float(r[3]), float(r[4]), r[5])
            for r in rows
        } == {st + (s.site.name or "",) for n in expected for s in n
              for st in [(n.code, s.code, t(s.start_date), t(s.end_date), s.latitude, s.longitude, s.elevation)]}
    else:
        assert lines[0] == (
            "#Network|Station|Location|Channel|Latitude|Longitude|Elevation|Depth|Azimuth|Dip|"
            "SensorDescription|Scale|ScaleFreq|ScaleUnits|SampleRate|StartTime|EndTime"
        )
        got = {
            (r[0], r[1], r[2], r[3], text_time(r[15]), text_time(r[16]), float(r[4]), float(r[5]),
             float(r[6]), float(r[7]), num(r[8]), num(r[9]), num(r[14]), r[10], num(r[11]), num(r[12]), r[13])
            for r in rows
        }
        want = set()
        for n in expected:
            for s in n:
                for c in s:
                    sens = c.response.instrument_sensitivity if c.response is not None else None
                    want.add((n.code, s.code, c.location_code, c.code, t(c.start_date), t(c.end_date),
                              c.latitude, c.longitude, c.elevation, c.depth, c.azimuth, c.dip,
                              c.sample_rate, (c.sensor.description if c.sensor else None) or "",
                              sens.value if sens else None, sens.frequency if sens else None,
                              (sens.input_units if sens else None) or ""))
        assert got == want


def test_post_selection_lines(sds_small_server, reference):
    body = (
        "level=channel\n"
        "BW FFB1 * HH? 2015-01-01T00:00:00 *\n"
        "IU ANMO 00 BH1 * 2013-01-01\n"
        "AU MEEK -- SH? 2009-01-01 2010-01-01\n"
    )
    req = urllib.request.Request(
        f"{sds_small_server.url}/fdsnws/station/1/query", data=body.encode(), method="POST"
    )
    with urllib.request.urlopen(req) as r:
        got = read_inventory(io.BytesIO(r.read()), format="STATIONXML")
    expected = reference.select(
        network="BW", station="FFB1", channel="HH?", starttime=UTCDateTime(2015, 1, 1)
    ) + reference.select(
        network="IU", station="ANMO", location="00", channel="BH1", endtime=UTCDateTime(2013, 1, 1)
    )
    assert channels(got) == channels(expected)
    assert not any(s.code == "MEEK" for n in got for s in n)


def test_get_stations_bulk(client, reference):
    """ObsPy's bulk request (a POST body) equals the union of the selections."""
    got = client.get_stations_bulk(
        [
            ("BW", "FFB2", "", "BH?", UTCDateTime(2015, 1, 1), UTCDateTime(2016, 1, 1)),
            ("AU", "MEEK", "*", "*", UTCDateTime(2000, 1, 1), UTCDateTime(2004, 1, 1)),
        ],
        level="response",
    )
    expected = reference.select(
        network="BW", station="FFB2", location="", channel="BH?",
        starttime=UTCDateTime(2015, 1, 1), endtime=UTCDateTime(2016, 1, 1),
    ) + reference.select(
        network="AU", station="MEEK", starttime=UTCDateTime(2000, 1, 1), endtime=UTCDateTime(2004, 1, 1)
    )
    assert channels(got) == channels(expected)
    assert responses(got) == responses(expected)
    assert len(channels(got)) == 4


@pytest.fixture(scope="module")
def traces(data, reference):
    return archive_traces(data, reference)


def archive_traces(data: Path, reference):
    """(id, start ns, end ns) of every trace of sds-small, read by ObsPy. A file ObsPy cannot
    read must not be of a stream the StationXML files describe (it cannot be the oracle)."""
    described = {f"{n.code}.{s.code}.{c.location_code}.{c.code}" for n in reference for s in n for c in s}
    out = []
    for f in sorted((data / "sds-small").rglob("*")):
        if f.is_file():
            try:
                st = read(str(f), format="MSEED", headonly=True)
            except Exception:
                assert not any(f.name.startswith(sid + ".") for sid in described), f
                continue
            for tr in st:
                out.append((tr.id, tr.stats.starttime.ns, tr.stats.endtime.ns))
    return out


@pytest.mark.parametrize(
    "window",
    [
        {},
        {"starttime": "2016-03-11T11:34:45"},
        {"endtime": "2016-03-11T11:34:44"},
        # the 200 Hz channels start at .015, the 40 Hz ones at .025, FFB2.BHZ at .425
        {"endtime": "2016-03-11T11:34:44.020"},
        {"endtime": "2016-03-11T11:34:44.100"},
        {"starttime": "2016-03-11T12:00:00"},
        {"endtime": "2016-03-01"},
    ],
)
def test_matchtimeseries_keeps_the_channels_with_data(client, reference, traces, window):
    lo = UTCDateTime(window["starttime"]).ns if "starttime" in window else None
    hi = UTCDateTime(window["endtime"]).ns if "endtime" in window else None
    expected = set()
    for n in reference:
        for s in n:
            for c in s:
                a = max(x for x in (t(c.start_date), lo) if x is not None) if (c.start_date or lo) else None
                b = min(x for x in (t(c.end_date), hi) if x is not None) if (c.end_date or hi) else None
                sid = f"{n.code}.{s.code}.{c.location_code}.{c.code}"
                if any(
                    i == sid and (b is None or ts <= b) and (a is None or te >= a)
                    for i, ts, te in traces
                ):
                    expected.add(sid)
    if not expected:
        with pytest.raises(FDSNNoDataException):
            client.get_stations(level="channel", matchtimeseries=True, **window)
        return
    got = client.get_stations(level="channel", matchtimeseries=True, **window)
    assert {f"{n.code}.{s.code}.{c.location_code}.{c.code}" for n in got for s in n for c in s} == expected
    if not window:
        assert {s.code for n in got for s in n} == {"FFB1", "FFB2", "FFB3"}


@pytest.mark.parametrize(
    "query,parameter",
    [
        ("level=stations", "level"),
        ("format=json", "format"),
        ("format=text&level=response", "format"),
        ("updatedafter=2020-01-01", "updatedafter"),
        ("includeavailability=true", "includeavailability"),
        ("matchtimeseries=yes", "matchtimeseries"),
        ("starttime=yesterday", "starttime"),
        ("starttime=2020-01-02&endtime=2020-01-01", "endtime"),
        ("minlatitude=91", "minlatitude"),
        ("minlongitude=10&maxlongitude=5", "maxlongitude"),
        ("maxradius=200", "maxradius"),
        ("color=blue", "color"),
        ("net=BW&network=BW", "network"),
        ("nodata=500", "nodata"),
    ],
)
def test_bad_parameters_get_400_naming_them(sds_small_server, query, parameter):
    code, body = status_of(f"{sds_small_server.url}/fdsnws/station/1/query?{query}")
    assert code == 400, body
    assert f"{parameter}:" in body
    assert sds_small_server.alive()


def test_no_match_gets_204_or_404(sds_small_server):
    base = f"{sds_small_server.url}/fdsnws/station/1/query?network=ZZ"
    code, body = status_of(base)
    assert (code, body) == (204, "")
    code, body = status_of(base + "&nodata=404")
    assert code == 404 and "Error 404" in body


def test_geographic_selection(client, reference):
    got = client.get_stations(minlatitude=48, maxlatitude=49, minlongitude=11, maxlongitude=12)
    expected = reference.select(minlatitude=48, maxlatitude=49, minlongitude=11, maxlongitude=12)
    assert stations(got) == stations(expected)
    got = client.get_stations(latitude=48.16, longitude=11.27, maxradius=0.01)
    expected = reference.select(latitude=48.16, longitude=11.27, maxradius=0.01)
    assert stations(got) == stations(expected)
    assert {s.code for n in got for s in n} == {"FFB1", "FFB2", "FFB3"}


def test_version_and_wadl(sds_small_server):
    code, body = status_of(f"{sds_small_server.url}/fdsnws/station/1/version")
    assert (code, body) == (200, "1.1.0")
    with urllib.request.urlopen(f"{sds_small_server.url}/fdsnws/station/1/application.wadl") as r:
        assert r.headers["Content-Type"] == "application/xml"
        wadl = r.read().decode()
    assert 'name="matchtimeseries"' in wadl and 'name="level"' in wadl


@pytest.mark.parametrize("level", ["network", "station", "channel", "response"])
def test_xml_is_valid_stationxml(sds_small_server, tmp_path, level):
    """The document validates against the FDSN StationXML schema (ObsPy's copy of the XSD)."""
    from obspy.io.stationxml.core import validate_stationxml

    with urllib.request.urlopen(f"{sds_small_server.url}/fdsnws/station/1/query?level={level}") as r:
        assert r.headers["Content-Type"] == "application/xml"
        path = tmp_path / "out.xml"
        path.write_bytes(r.read())
    assert validate_stationxml(str(path)) == (True, ())


def test_unreadable_stationxml_refuses_to_start(sds_small_server, tmp_path):
    """A StationXML file the reader refuses stops the server before it serves, naming the
    file and the line."""
    import subprocess

    from conftest import siqaco_bin
    from serving import free_port

    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<?xml version="1.0"?>\n<FDSNStationXML xmlns="http://www.fdsn.org/xml/station/1" '
        'schemaVersion="1.2">\n <Source>x</Source>\n <Network code="XX">\n  <Station code="A">\n'
        "   <Latitude>north</Latitude>\n"
    )
    p = subprocess.run(
        [
            siqaco_bin(),
            "serve",
            "--catalogue",
            str(sds_small_server.catalogue),
            "--stationxml",
            str(bad),
            "--bind",
            f"127.0.0.1:{free_port()}",
        ],
        capture_output=True,
        timeout=60,
    )
    assert p.returncode != 0
    err = p.stderr.decode() + p.stdout.decode()
    assert str(bad) in err and "line 6" in err, err
