"""fdsnws-availability of `siqaco serve` on sds-small, against what the archive holds.

The expected values come from outside the server: the segments, gaps and sample rates of
`siqaco scan --format json` of the same archive (a fresh read of the files, siqaco's one
definition of segments, itself tested against msi and ObsPy in test_scan_vs_peers.py), the
data quality of each record read by libmseed (pymseed), and the files' modification times
(the catalogue's `updated`). The JSON answers are validated against the availability JSON
schema (tests/peers/fdsnws-availability-1.0.schema.json). rover (PyPI) retrieves through the
server's availability and dataselect services into an empty repository.
"""

from __future__ import annotations

import calendar
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import run_scan

HERE = Path(__file__).resolve().parent
BASE = "/fdsnws/availability/1"


def get(server, method: str, params: dict | list | None = None, body: str | None = None):
    """(status, content type, text) of GET (params) or POST (body) `method`."""
    url = f"{server.url}{BASE}/{method}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    data = body.encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def ns(t: str) -> int:
    """Nanoseconds since 1970 of `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z`."""
    t = t.rstrip("Z")
    whole, _, frac = t.partition(".")
    secs = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return secs * 1_000_000_000 + int((frac + "000000000")[:9])


def us(t: str | int) -> int:
    """Microseconds since 1970 of a time (text or ns), nanoseconds dropped: the service
    writes times to the microsecond, as the specification does (sds-small's miniSEED 3
    stream XX.SIN has nanosecond times)."""
    return (ns(t) if isinstance(t, str) else t) // 1000


def iso_us(t: str) -> str:
    """`t` (the scan's time) written to the microsecond."""
    whole, _, frac = t.rstrip("Z").partition(".")
    return f"{whole}.{(frac + '000000')[:6]}Z"


def code(nslc: tuple) -> str:
    return ".".join(nslc)


def key(net, sta, loc, cha) -> tuple:
    return (net, sta, "" if loc == "--" else loc, cha)


@pytest.fixture(scope="module")
def scan(data):
    """stream (net, sta, loc, cha) -> the scan's stream document."""
    _, doc = run_scan(str(data / "sds-small"))
    return {tuple(s["nslc"].split(".")): s for s in doc["streams"]}


@pytest.fixture(scope="module")
def files(data):
    """stream -> its files in sds-small (SDS names NET.STA.LOC.CHA.TYPE.YEAR.DAY)."""
    out: dict[tuple, list[Path]] = {}
    for p in sorted((data / "sds-small").rglob("*")):
        if p.is_file():
            n, s, l, c = p.name.split(".")[:4]
            out.setdefault((n, s, l, c), []).append(p)
    return out


@pytest.fixture(scope="module")
def qualities(files):
    """stream -> set of data quality codes of its records, read by libmseed (pymseed):
    the publication version mapped to the miniSEED 2 indicator as libmseed maps it
    (R=1, D=2, Q=3, M=4). libmseed has no indicator for another version (XX.SIN's
    miniSEED 3 records have version 0); the catalogue's tsindex `quality` is then `D`, the
    rule of `siqaco::record` (any version other than 1, 3, 4 reads as `D`)."""
    pymseed = pytest.importorskip("pymseed")
    by_version = {1: "R", 2: "D", 3: "Q", 4: "M", 0: "D"}
    out = {}
    for k, paths in files.items():
        q = set()
        for p in paths:
            for r in pymseed.MS3Record.from_file(str(p)):
                q.add(by_version[r.pubversion])
        out[k] = q
    return out


def period_ns(s: dict) -> int:
    return round(1e9 / s["sample_rate_hz"])


def segments(s: dict) -> list[tuple[int, int]]:
    """The scan's segments as availability writes them: first sample, last sample (the
    scan's `end` is the end of coverage, last sample + one period; docs/gaps.md)."""
    return [(us(g["start"]), us(ns(g["end"]) - period_ns(s))) for g in s["segments"]]


def text_rows(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines()
    assert lines[0].startswith("#"), lines[0]
    return lines[0][1:].split(), [l.split() for l in lines[1:] if l]


def spans_by_stream(header: list[str], rows: list[list[str]]) -> dict[tuple, list]:
    out: dict[tuple, list] = {}
    e, l = header.index("Earliest"), header.index("Latest")
    for r in rows:
        out.setdefault(key(*r[:4]), []).append((us(r[e]), us(r[l])))
    return out


def test_version_and_wadl(sds_small_server):
    status, _, text = get(sds_small_server, "version")
    assert (status, text) == (200, "1.0.2")
    status, ctype, text = get(sds_small_server, "application.wadl")
    assert status == 200 and ctype.startswith("application/xml")
    root = ET.fromstring(text)
    ns_ = "{http://wadl.dev.java.net/2009/02}"
    paths = {r.get("path") for r in root.iter(ns_ + "resource")}
    assert {"extent", "query", "version", "application.wadl"} <= paths


def test_query_text_is_the_scan_segments(sds_small_server, scan):
    """merge=overlap: every stream's time spans are exactly the scan's segments; by default
    (one span per trace) too for every stream without an overlap, and for the one with
    overlaps the union of its spans is the segments."""
    status, ctype, text = get(sds_small_server, "query", {"merge": "overlap"})
    assert status == 200 and ctype.startswith("text/plain")
    header, rows = text_rows(text)
    assert header == ["Network", "Station", "Location", "Channel", "Quality", "SampleRate",
                      "Earliest", "Latest"]
    got = spans_by_stream(header, rows)
    assert got == {k: segments(s) for k, s in scan.items()}
    for r in rows:
        assert float(r[5]) == pytest.approx(scan[key(*r[:4])]["sample_rate_hz"], rel=1e-12)

    _, _, text = get(sds_small_server, "query")
    header, rows = text_rows(text)
    traces = spans_by_stream(header, rows)
    assert set(traces) == set(scan)
    overlapping = [k for k, s in scan.items() if s["overlaps"]]
    assert overlapping == [("BW", "BGLD", "", "EHE")]
    for k, s in scan.items():
        if not s["overlaps"]:
            assert traces[k] == segments(s), k
    # the overlapping stream: its traces, one per line, whose union is the segments
    k = overlapping[0]
    assert len(traces[k]) == scan[k]["traces"]
    union: list[list[int]] = []
    for a, b in sorted(traces[k]):
        if union and a <= union[-1][1] + period_ns(scan[k]) // 1000:
            union[-1][1] = max(union[-1][1], b)
        else:
            union.append([a, b])
    assert [tuple(u) for u in union] == segments(scan[k])


def test_extent_text(sds_small_server, scan, files):
    status, _, text = get(sds_small_server, "extent", {"merge": "overlap"})
    assert status == 200
    header, rows = text_rows(text)
    assert header == ["Network", "Station", "Location", "Channel", "Quality", "SampleRate",
                      "Earliest", "Latest", "Updated", "TimeSpans", "Restriction"]
    assert [key(*r[:4]) for r in rows] == sorted(scan)
    for r in rows:
        s = scan[key(*r[:4])]
        seg = segments(s)
        assert (us(r[6]), us(r[7]), int(r[9]), r[10]) == (seg[0][0], seg[-1][1], len(seg), "OPEN")
        # updated: when the data were loaded = the newest of the stream's files
        newest = max(int(p.stat().st_mtime) for p in files[key(*r[:4])])
        assert r[8] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(newest))


def test_geocsv_and_request(sds_small_server, scan):
    _, _, text = get(sds_small_server, "query", {"merge": "overlap"})
    header, rows = text_rows(text)
    status, ctype, csv = get(sds_small_server, "query", {"merge": "overlap", "format": "geocsv"})
    assert status == 200 and ctype.startswith("text/csv")
    lines = csv.splitlines()
    assert lines[:4] == [
        "#dataset: GeoCSV 2.0",
        "#delimiter: |",
        "#field_unit: unitless|unitless|unitless|unitless|unitless|hertz|ISO_8601|ISO_8601",
        "#field_type: string|string|string|string|string|float|datetime|datetime",
    ]
    assert lines[4].split("|") == header
    csv_rows = [l.split("|") for l in lines[5:]]
    assert [r[:2] + [r[2] or "--"] + r[3:] for r in csv_rows] == rows

    status, ctype, req = get(sds_small_server, "query", {"merge": "overlap", "format": "request"})
    assert status == 200 and ctype.startswith("text/plain")
    expected = [
        f"{n} {s} {l or '--'} {c} {iso_us(g['start'])} {iso_us(g['end'])}"
        for (n, s, l, c), st in sorted(scan.items())
        for g in st["segments"]
    ]
    assert req.splitlines() == expected


def test_json_validates_and_matches(sds_small_server, scan):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((HERE / "fdsnws-availability-1.0.schema.json").read_text())
    status, ctype, text = get(sds_small_server, "query", {"merge": "overlap", "format": "json"})
    assert status == 200 and ctype.startswith("application/json")
    doc = json.loads(text)
    jsonschema.validate(doc, schema)
    got = {
        (d["network"], d["station"], d["location"], d["channel"]):
            [(us(a), us(b)) for a, b in d["timespans"]]
        for d in doc["datasources"]
    }
    assert got == {k: segments(s) for k, s in scan.items()}

    _, _, text = get(sds_small_server, "extent", {"merge": "overlap", "format": "json"})
    doc = json.loads(text)
    jsonschema.validate(doc, schema)
    for d in doc["datasources"]:
        seg = segments(scan[(d["network"], d["station"], d["location"], d["channel"])])
        assert (us(d["earliest"]), us(d["latest"]), d["timespanCount"], d["restriction"]) == (
            seg[0][0], seg[-1][1], len(seg), "OPEN")
    # merged columns leave the fields out, show=latestupdate adds `updated`
    _, _, text = get(sds_small_server, "query",
                     {"merge": "quality,samplerate", "show": "latestupdate", "format": "json"})
    doc = json.loads(text)
    jsonschema.validate(doc, schema)
    assert all("quality" not in d and "samplerate" not in d and "updated" in d
               for d in doc["datasources"])


def test_quality_and_merge(sds_small_server, scan, qualities):
    """quality=X lists the streams whose records have quality X (libmseed's reading); the
    Quality column is each stream's quality; merge=quality,samplerate drops both columns."""
    assert all(len(q) == 1 for q in qualities.values())
    _, _, text = get(sds_small_server, "extent")
    header, rows = text_rows(text)
    assert {key(*r[:4]): {r[4]} for r in rows} == qualities
    for q in "DRQM":
        status, _, text = get(sds_small_server, "extent", {"quality": q})
        expected = sorted(k for k, v in qualities.items() if q in v)
        if not expected:
            assert status == 204
            continue
        assert status == 200
        assert [key(*r[:4]) for r in text_rows(text)[1]] == expected
    _, _, text = get(sds_small_server, "query", {"merge": "quality,samplerate,overlap"})
    header, rows = text_rows(text)
    assert header == ["Network", "Station", "Location", "Channel", "Earliest", "Latest"]
    assert spans_by_stream(header, rows) == {k: segments(s) for k, s in scan.items()}


def test_mergegaps(sds_small_server, scan):
    """Streams with gaps: mergegaps just under the gap keeps the spans apart, equal to it
    joins them."""
    gappy = {k: s for k, s in scan.items() if s["gaps"]}
    assert gappy
    for k, s in gappy.items():
        (gap,) = s["gaps"]
        sel = {"net": k[0], "sta": k[1], "loc": k[2] or "--", "cha": k[3], "merge": "overlap"}
        seg = segments(s)
        _, _, text = get(sds_small_server, "query", {**sel, "mergegaps": gap["duration_s"] * 0.99})
        assert spans_by_stream(*text_rows(text))[k] == seg
        _, _, text = get(sds_small_server, "query", {**sel, "mergegaps": gap["duration_s"]})
        assert spans_by_stream(*text_rows(text))[k] == [(seg[0][0], seg[-1][1])]


def test_orderby_limit_show(sds_small_server, scan, files):
    counts = {k: len(s["segments"]) for k, s in scan.items()}
    for order, reverse in (("timespancount", False), ("timespancount_desc", True)):
        _, _, text = get(sds_small_server, "extent", {"merge": "overlap", "orderby": order})
        got = [key(*r[:4]) for r in text_rows(text)[1]]
        # a stable sort of the default (stream) order by the count
        assert got == sorted(sorted(scan), key=lambda k: -counts[k] if reverse else counts[k])
    updated = {k: max(int(p.stat().st_mtime) for p in ps) for k, ps in files.items()}
    for order, reverse in (("latestupdate", False), ("latestupdate_desc", True)):
        _, _, text = get(sds_small_server, "extent", {"orderby": order})
        got = [key(*r[:4]) for r in text_rows(text)[1]]
        assert got == sorted(sorted(scan), key=lambda k: -updated[k] if reverse else updated[k])
    # limit: the first rows of the same request
    _, _, full = get(sds_small_server, "query")
    _, _, some = get(sds_small_server, "query", {"limit": 4})
    assert some.splitlines() == full.splitlines()[:5]
    _, _, some = get(sds_small_server, "extent",
                     {"limit": 2, "orderby": "timespancount_desc", "merge": "overlap"})
    first = sorted(sorted(scan), key=lambda k: -counts[k])[:2]
    assert [key(*r[:4]) for r in text_rows(some)[1]] == first
    # show=latestupdate: the Updated column of each span, the newest of its files
    _, _, text = get(sds_small_server, "query", {"show": "latestupdate", "merge": "overlap"})
    header, rows = text_rows(text)
    assert header[-1] == "Updated"
    for r in rows:
        assert r[-1] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(updated[key(*r[:4])]))


def test_window_and_post(sds_small_server, scan):
    k = ("IU", "COLA", "00", "BHZ")
    (seg,) = scan[k]["segments"]
    params = {"net": "IU", "sta": "COLA", "loc": "00", "cha": "BHZ",
              "start": "2010-02-27T07:00:00", "end": "2010-02-27T07:30:00.5"}
    # cut by the window: from its start to the last sample before its end, one period
    # (0.05 s) before it: siqaco's rule for a segment cut by a window (gaps::analyze)
    cut = (us("2010-02-27T07:00:00Z"), us(ns("2010-02-27T07:30:00.5Z") - period_ns(scan[k])))
    _, _, text = get(sds_small_server, "query", params)
    assert spans_by_stream(*text_rows(text)) == {k: [cut]}
    # the same by POST, with a second line for a stream with blank location
    body = ("merge=overlap\nformat=text\n"
            "IU COLA 00 BHZ 2010-02-27T07:00:00 2010-02-27T07:30:00.5\n"
            "BW FFB1 -- BH1 2016-01-01T00:00:00 2017-01-01T00:00:00\n")
    status, _, text = get(sds_small_server, "query", body=body)
    assert status == 200
    got = spans_by_stream(*text_rows(text))
    assert got == {k: [cut],
                   ("BW", "FFB1", "", "BH1"): segments(scan[("BW", "FFB1", "", "BH1")])}
    assert ns(seg["start"]) < ns("2010-02-27T07:00:00Z")


def test_nodata_and_bad_requests(sds_small_server):
    status, _, text = get(sds_small_server, "query", {"net": "ZZ"})
    assert (status, text) == (204, "")
    status, _, text = get(sds_small_server, "extent", {"net": "ZZ", "nodata": "404"})
    assert status == 404 and text.startswith("Error 404")
    bad = [
        ("query", {"merge": "everything"}, "merge"),
        ("query", {"mergegaps": "soon"}, "mergegaps"),
        ("query", {"orderby": "timespancount"}, "orderby"),
        ("extent", {"orderby": "sideways"}, "orderby"),
        ("query", {"limit": "0"}, "limit"),
        ("query", {"show": "all"}, "show"),
        ("query", {"format": "xml"}, "format"),
        ("query", {"quality": "Z"}, "quality"),
        ("query", {"includerestricted": "maybe"}, "includerestricted"),
        ("query", {"starttime": "yesterday"}, "starttime"),
        ("query", {"start": "2020-01-02", "end": "2020-01-01"}, "endtime"),
        ("extent", {"longestonly": "true"}, "longestonly"),
    ]
    for method, params, name in bad:
        status, ctype, text = get(sds_small_server, method, params)
        assert status == 400 and ctype.startswith("text/plain"), (params, status, text)
        assert f"\n{name}: " in text, (params, text)
    status, _, text = get(sds_small_server, "query", body="IU COLA 00 BHZ 2010-02-27\n")
    assert status == 400 and "line 1: " in text
    assert sds_small_server.alive()


def _samples(paths) -> set:
    """Every data sample of the records in `paths`, read by libmseed (pymseed), as
    (source identifier, sample time ns, value): the same whatever records and files hold
    them."""
    pymseed = pytest.importorskip("pymseed")
    out = set()
    for p in paths:
        for r in pymseed.MS3Record.from_file(str(p), unpack_data=True):
            if r.samprate <= 0 or r.numsamples == 0:
                continue
            period = r.samprate_period_ns
            for i, v in enumerate(r.np_datasamples.tolist()):
                out.add((r.sourceid, r.starttime + round(i * period), v))
    return out


def _crossing_midnight(files) -> set:
    """Streams with a record whose first and last samples fall on different UTC days (read
    by libmseed). rover stores each record in the day file of its start and refuses one
    that ends on another day (`ingest._assert_single_day`: "contains data from more than
    one day"), so it cannot retrieve these streams from any data centre."""
    pymseed = pytest.importorskip("pymseed")
    out = set()
    for k, paths in files.items():
        for p in paths:
            for r in pymseed.MS3Record.from_file(str(p)):
                if r.starttime // 86_400_000_000_000 != r.endtime // 86_400_000_000_000:
                    out.add(k)
    return out


def _ending_with_one_sample_record(files) -> set:
    """Streams whose last sample is the only sample of a record (libmseed's reading): that
    record starts at the stream's `Latest`."""
    pymseed = pytest.importorskip("pymseed")
    out = set()
    for k, paths in files.items():
        recs = [(r.endtime, r.starttime) for p in paths for r in pymseed.MS3Record.from_file(str(p))
                if r.samprate > 0 and r.samplecnt > 0]
        last = max(e for e, _ in recs)
        if any(s == last for _, s in recs):
            out.add(k)
    return out


def _rover_retrieve(server, streams, scan, files, tmp_path):
    """Runs `rover retrieve` of `streams` (whole days around their data) through the
    server's availability and dataselect services into a new repository; returns the
    samples it stored and those of the archive's files of these streams."""
    bindir = Path(sys.executable).parent
    repo = tmp_path / "rover"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run([str(bindir / "rover"), "init-repository", str(repo)], check=True,
                   capture_output=True, env=env, cwd=tmp_path)
    request = tmp_path / "request.txt"
    lines = []
    for k in streams:
        first = scan[k]["earliest"][:10]
        last = time.gmtime(ns(scan[k]["latest"]) // 1_000_000_000 + 86_400)
        lines.append(f"{k[0]} {k[1]} {k[2] or '--'} {k[3]} {first}T00:00:00 "
                     f"{time.strftime('%Y-%m-%d', last)}T00:00:00\n")
    request.write_text("".join(lines))
    url = server.url
    # output to a file, not a pipe: rover's worker processes may outlive it holding the
    # pipe; they are in rover's own process group, ended with it
    out_path = tmp_path / "rover.out"
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(
            [str(bindir / "rover"), "retrieve", str(request),
             "--availability-url", f"{url}/fdsnws/availability/1/query",
             "--dataselect-url", f"{url}/fdsnws/dataselect/1/query",
             "--no-web", "--no-post-summary",
             "--mseedindex-cmd", f"{bindir / 'mseedindex'} -sqlitebusyto 60000",
             "--rover-cmd", str(bindir / "rover"), "--temp-dir", str(tmp_path / "tmp"),
             "--log-dir", str(tmp_path / "logs")],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=repo, start_new_session=True)
        try:
            status = proc.wait(timeout=300)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            proc.wait()
    assert status == 0, out_path.read_text()[-3000:]
    stored = [f for f in (repo / "data").rglob("*") if f.is_file() and "sqlite" not in f.name]
    return _samples(stored), _samples(f for k in streams for f in files[k])


ROVER = pytest.mark.skipif(
    shutil.which("rover", path=str(Path(sys.executable).parent)) is None,
    reason="rover is not installed in this Python environment")


@ROVER
def test_rover_retrieve(sds_small_server, scan, files, tmp_path):
    """`rover retrieve` through the server's availability and dataselect services fills an
    empty repository with exactly the archive's samples: every stream rover can store
    (not those with a record across midnight), except the two whose last record holds one
    sample (test_rover_retrieve_last_one_sample_record)."""
    crossing = _crossing_midnight(files)
    assert ("XX", "SIN", "", "WXY") in crossing
    one = _ending_with_one_sample_record(files)
    assert one == {("BW", "FFB1", "", "HH2"), ("BW", "FFB3", "", "HH1")}
    streams = sorted(k for k in scan if k not in crossing | one)
    assert len(streams) == 28
    got, expected = _rover_retrieve(sds_small_server, streams, scan, files, tmp_path)
    assert expected
    assert got == expected


@ROVER
def test_rover_retrieve_last_one_sample_record(sds_small_server, scan, files, tmp_path):
    """rover asks dataselect for each span up to its `Latest`, the last sample, and expects
    the record holding it. When that record holds only that sample, it starts at the
    requested end time: the FDSN dataselect specification selects samples "on or before"
    the end time, so siqaco's dataselect returns it (a service that left it out would make
    rover download again and again)."""
    pymseed = pytest.importorskip("pymseed")
    end = "2016-03-11T11:34:46.015"
    probe = (f"{sds_small_server.url}/fdsnws/dataselect/1/query?net=BW&sta=FFB1&loc=--"
             f"&cha=HH2&start=2016-03-11T11:34:46.0125&end={end}")
    with urllib.request.urlopen(probe, timeout=30) as r:
        body = r.read()
    starts = set()
    with open(tmp_path / "probe.mseed", "wb") as f:
        f.write(body)
    if body:
        starts = {r.starttime for r in pymseed.MS3Record.from_file(str(tmp_path / "probe.mseed"))}
    assert ns(end + "Z") in starts, f"the record starting at endtime={end} is left out"
    streams = sorted(_ending_with_one_sample_record(files))
    got, expected = _rover_retrieve(sds_small_server, streams, scan, files, tmp_path)
    assert got == expected
