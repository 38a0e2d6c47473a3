"""fdsnws-dataselect of `siqaco serve` (issue #18, item 1) with real clients.

The server (`sds_small_server`: sds-small indexed by siqaco, served with `--archive`) is
asked through ObsPy's FDSN `Client` (`get_waveforms`, `get_waveforms_bulk`), plain HTTP
(GET and POST, error documents, a client that goes away) and compared with:

* the archive's day files read with libmseed (pymseed): the records whose coverage
  `[first sample, last sample + one period)` meets the window `[start, end)`, byte for
  byte, in time order per stream; and the samples ObsPy reads from those records;
* portable-fdsnws-dataselect 2.0.2 (`.venv-fdsnws`) serving the same archive from a
  catalogue written by mseedindex (its own indexer): the records it returns untrimmed are
  ours byte for byte, and the samples in the window are the same (it trims the records at
  the window's edges to samples and repacks them; siqaco returns whole records).
"""

from __future__ import annotations

import io
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT

pymseed = pytest.importorskip("pymseed")
obspy = pytest.importorskip("obspy")
from obspy import UTCDateTime  # noqa: E402
from obspy.clients.fdsn import Client  # noqa: E402
from obspy.clients.fdsn.header import FDSNNoDataException  # noqa: E402

DS = "/fdsnws/dataselect/1"


def ns(t: str) -> int:
    return pymseed.timestr2nstime(t)


def split(buf: bytes) -> list[tuple[str, int, int, int, bytes, int]]:
    """(source id, start ns, coverage end ns, quality byte, raw bytes, last sample ns) of
    every record of `buf`, read by libmseed; the coverage end of a record without samples
    is its start."""
    out = []
    for r in pymseed.MS3Record.from_buffer(buf):
        if r.samprate > 0 and r.samplecnt > 0:
            end = pymseed.sample_time(r.starttime, r.samplecnt, r.samprate)
        else:
            end = r.starttime
        raw = bytes(r.record)
        quality = raw[6] if r.formatversion == 2 else 0
        out.append((r.sourceid, r.starttime, end, quality, raw, r.endtime))
    return out


def meets(rec, start: int, end: int) -> bool:
    """The window rule of the service: the first sample on or before the end (fdsnws-
    dataselect's "on or before"), the coverage after the start (a record without samples:
    its time is in the window)."""
    s, e = rec[1], rec[2]
    return s <= end and max(e, s + 1) > start


_ARCHIVE: dict[Path, list] = {}


def archive(root: Path) -> list:
    """Every record of every day file of the SDS archive `root`, in file order."""
    if root not in _ARCHIVE:
        recs = []
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            recs += split(f.read_bytes())
        _ARCHIVE[root] = recs
    return _ARCHIVE[root]


def sid(net, sta, loc, cha) -> str:
    return pymseed.nslc2sourceid(net, sta, loc, cha)


def expected(root: Path, lines) -> list:
    """The archive's records that the (net, sta, loc, cha, start, end) lines select (each
    record once), sorted by stream and start time."""
    out = []
    for r in archive(root):
        if any(sid(*line[:4]) == r[0] and meets(r, ns(line[4]), ns(line[5])) for line in lines):
            out.append(r)
    return sorted(out, key=lambda r: (pymseed.sourceid2nslc(r[0]), r[1]))


def check_records(got: bytes, want: list) -> None:
    """`got` holds exactly the records `want` (bytes), in stream then time order."""
    recs = split(got)
    keys = [(pymseed.sourceid2nslc(r[0]), r[1]) for r in recs]
    assert keys == sorted(keys), "records not in stream and time order"
    assert len(recs) == len(want), f"{len(recs)} records, the archive has {len(want)}"
    # Records of one stream starting at the same time (overlaps) may come in any order.
    assert sorted(r[4] for r in recs) == sorted(r[4] for r in want), "record bytes differ"
    assert got == b"".join(r[4] for r in recs)


def http(url: str, data: bytes | None = None) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def get(base: str, **params) -> tuple[int, bytes, dict]:
    return http(f"{base}{DS}/query?{urllib.parse.urlencode(params)}")


def post_body(lines, **params) -> bytes:
    head = "".join(f"{k}={v}\n" for k, v in params.items())
    body = "".join(f"{n} {s} {l or '--'} {c} {a} {b}\n" for n, s, l, c, a, b in lines)
    return (head + body).encode()


@pytest.fixture(scope="module")
def server(sds_small_server):
    return sds_small_server


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url, timeout=60)


@pytest.fixture(scope="module")
def sds(data) -> Path:
    return data / "sds-small"


def streams(root: Path) -> list[tuple[str, str, str, str, int, int]]:
    """(net, sta, loc, cha, first start, last coverage end) of every stream of the archive."""
    span: dict[str, tuple[int, int]] = {}
    for r in archive(root):
        a, b = span.get(r[0], (r[1], r[2]))
        span[r[0]] = (min(a, r[1]), max(b, r[2]))
    return sorted((*pymseed.sourceid2nslc(k), a, b) for k, (a, b) in span.items())


def utc(t_ns: int) -> str:
    return UTCDateTime(ns=t_ns).strftime("%Y-%m-%dT%H:%M:%S.%f")


def test_every_stream_through_obspy(client, sds, tmp_path):
    """Each stream of sds-small, from a second before its first sample to a second after
    its coverage: ObsPy's raw response is the archive's records, byte for byte."""
    all_streams = streams(sds)
    assert len(all_streams) == 35
    for net, sta, loc, cha, a, b in all_streams:
        out = tmp_path / f"{net}.{sta}.{loc}.{cha}.mseed"
        client.get_waveforms(net, sta, loc, cha, UTCDateTime(ns=a - 10**9),
                             UTCDateTime(ns=b + 10**9), filename=str(out))
        line = (net, sta, loc, cha, utc(a - 10**9), utc(b + 10**9))
        check_records(out.read_bytes(), expected(sds, [line]))


# Windows that cut records, span midnight (and a year's end), hold out-of-order records,
# miniSEED 3 records and a 60 s period.
WINDOWS = [
    ("IU", "COLA", "00", "BHZ", "2010-02-27T07:00:00.5", "2010-02-27T07:10:00.3"),
    ("IU", "COLA", "00", "LH1", "2010-02-27T07:00:00.5", "2010-02-27T07:30:00"),  # v3
    ("SK", "MODS", "", "HHZ", "2016-01-06T23:59:50", "2016-01-07T00:00:10"),  # midnight
    ("BW", "BGLD", "", "EHE", "2007-12-31T23:59:30", "2008-01-01T00:00:30"),  # year end
    ("BW", "BGLD", "", "EHE", "2008-01-01T00:01:00", "2008-01-01T00:05:00"),  # overlaps
    ("XX", "TEST", "00", "LHZ", "2010-02-27T06:51:30", "2010-02-27T07:10:00"),  # out of order
    ("CH", "BALST", "", "LHE", "2025-11-10T05:17:00", "2025-11-10T13:42:10.5"),
    ("XX", "SIN", "", "WXY", "2025-09-28T00:00:00", "2025-09-28T00:00:01"),  # inside a record
    ("BW", "FFB1", "", "BH2", "2016-03-11T11:34:44.3", "2016-03-11T11:34:45.8"),  # across a gap
]


@pytest.mark.parametrize("line", WINDOWS, ids=lambda l: f"{'.'.join(l[:4])}@{l[4]}")
def test_window_through_obspy(client, sds, tmp_path, line):
    net, sta, loc, cha, s, e = line
    want = expected(sds, [line])
    assert want, "bad test window: the archive has no record in it"
    assert any(r[1] < ns(s) for r in want) or any(r[2] > ns(e) for r in want), \
        "bad test window: it cuts no record"
    out = tmp_path / "raw.mseed"
    client.get_waveforms(net, sta, loc, cha, UTCDateTime(s), UTCDateTime(e), filename=str(out))
    check_records(out.read_bytes(), want)
    if all(r[4][:2] != b"MS" for r in want):  # ObsPy reads miniSEED 2 only
        st = client.get_waveforms(net, sta, loc, cha, UTCDateTime(s), UTCDateTime(e))
        ref = obspy.read(io.BytesIO(b"".join(r[4] for r in want)))
        ref.trim(UTCDateTime(s), UTCDateTime(e))
        st.sort()
        ref.sort()
        assert [(t.id, t.stats.starttime, t.data.tolist()) for t in st] == \
            [(t.id, t.stats.starttime, t.data.tolist()) for t in ref]


def test_bulk_through_obspy(client, sds, tmp_path):
    """`get_waveforms_bulk` (a POST): several streams, and two lines selecting the same
    records, which come once."""
    lines = WINDOWS[:4] + [
        ("SK", "MODS", "", "HHZ", "2016-01-06T23:59:55", "2016-01-07T00:00:05"),
        ("GT", "BOSA", "00", "BH?", "2010-06-22T00:00:00", "2010-06-23T00:00:00"),
    ]
    bulk = [(n, s, l, c, UTCDateTime(a), UTCDateTime(b)) for n, s, l, c, a, b in lines]
    out = tmp_path / "bulk.mseed"
    client.get_waveforms_bulk(bulk, filename=str(out))
    explicit = lines[:5] + [("GT", "BOSA", "00", c, lines[5][4], lines[5][5])
                            for c in ("BHE", "BHN", "BHZ")]
    check_records(out.read_bytes(), expected(sds, explicit))
    st = client.get_waveforms_bulk(bulk[4:])
    assert sorted({tr.id for tr in st}) == ["GT.BOSA.00.BHE", "GT.BOSA.00.BHN",
                                            "GT.BOSA.00.BHZ", "SK.MODS..HHZ"]


def test_post_equals_get(server, sds):
    line = WINDOWS[6]
    net, sta, loc, cha, s, e = line
    a = get(server.url, net=net, sta=sta, loc="--", cha=cha, start=s, end=e)
    b = http(server.url + DS + "/query", post_body([line]))
    assert a[0] == b[0] == 200
    assert a[2]["content-type"] == "application/vnd.fdsn.mseed"
    assert a[1] == b[1]
    check_records(a[1], expected(sds, [line]))


def gap_window(sds: Path, stream: str) -> tuple[str, str]:
    """A window strictly inside the first gap of `stream` (between the coverage end of a
    record and the start of the next, from the archive)."""
    recs = sorted((r[1], r[2]) for r in archive(sds) if r[0] == stream)
    for (a0, a1), (b0, _) in zip(recs, recs[1:]):
        if b0 - a1 > 10**8:
            return utc(a1 + 10**7), utc(b0 - 10**7)
    raise AssertionError(f"{stream} has no gap")


def test_no_data(client, server, sds):
    """A window in a gap, before the data and an unknown stream: 204 (ObsPy's
    FDSNNoDataException), or 404 with an FDSN error document when nodata=404."""
    s, e = gap_window(sds, sid("BW", "FFB1", "", "BH2"))
    cases = [("BW", "FFB1", "", "BH2", s, e),
             ("IU", "COLA", "00", "BHZ", "2001-01-01", "2001-01-02"),
             ("XX", "NONE", "", "BHZ", "2010-02-27", "2010-02-28")]
    for net, sta, loc, cha, a, b in cases:
        with pytest.raises(FDSNNoDataException):
            client.get_waveforms(net, sta, loc, cha, UTCDateTime(a), UTCDateTime(b))
        status, body, _ = get(server.url, net=net, sta=sta, loc=loc or "--", cha=cha,
                              start=a, end=b)
        assert (status, body) == (204, b"")
        status, body, _ = get(server.url, net=net, sta=sta, loc=loc or "--", cha=cha,
                              start=a, end=b, nodata=404)
        assert status == 404
        assert body.startswith(b"Error 404: Not Found") and b"No data" in body


def test_quality(client, server, sds, tmp_path):
    """IU.COLA.00.BH? and GT.BOSA.00.BH? are quality M: D, R and Q give nothing, M and B
    every record (ObsPy sends `quality`)."""
    day = {"IU": ("2010-02-27", "2010-02-28"), "GT": ("2010-06-22", "2010-06-23")}
    for net, sta in [("IU", "COLA"), ("GT", "BOSA")]:
        a, b = day[net]
        lines = [(net, sta, "00", c, a, b) for c in
                 {"IU": ("BH1", "BH2", "BHZ"), "GT": ("BHE", "BHN", "BHZ")}[net]]
        want = expected(sds, lines)
        assert want and all(r[3] == ord("M") for r in want)
        for q in "DRQ":
            with pytest.raises(FDSNNoDataException):
                client.get_waveforms(net, sta, "00", "BH?", UTCDateTime(a), UTCDateTime(b),
                                     quality=q)
        for q in "MB":
            out = tmp_path / f"{net}{q}.mseed"
            client.get_waveforms(net, sta, "00", "BH?", UTCDateTime(a), UTCDateTime(b),
                                 quality=q, filename=str(out))
            check_records(out.read_bytes(), want)
    # CH.BALST is quality D.
    status, got, _ = get(server.url, net="CH", sta="BALST", cha="LHZ", start="2025-11-10",
                         end="2025-11-11", quality="D")
    assert status == 200 and split(got) and all(r[3] == ord("D") for r in split(got))


def segments(sds: Path, stream: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """libmseed's trace segments of `stream` (default tolerance, half a sample period) as
    (start, coverage end, ns inside the window)."""
    tl = pymseed.MS3TraceList()
    for f in sorted(sds.rglob(f"*{'.'.join(pymseed.sourceid2nslc(stream))}.D.*")):
        tl.add_file(str(f))
    out = []
    for tid in tl:
        for seg in tid:
            a = seg.starttime
            b = pymseed.sample_time(seg.starttime, seg.samplecnt, seg.samprate)
            out.append((a, b, max(0, min(b, end) - max(a, start))))
    return sorted(out)


def test_minimumlength_and_longestonly(client, sds, tmp_path):
    """BW.FFB1 (gaps in BH1 and BH2): the records of the segments that last at least
    `minimumlength` inside the window, or of each stream's longest segment."""
    s, e = "2016-03-11T11:34:44", "2016-03-11T11:34:45.9"
    chans = ["BH1", "BH2", "BHZ", "HH1", "HH2", "HHZ"]

    def want(keep) -> list:
        out = []
        for c in chans:
            stream = sid("BW", "FFB1", "", c)
            segs = [x for x in keep(segments(sds, stream, ns(s), ns(e))) if x[2] > 0]
            out += [r for r in expected(sds, [("BW", "FFB1", "", c, s, e)])
                    if any(r[1] < b and r[2] > a for a, b, _ in segs)]
        return sorted(out, key=lambda r: (pymseed.sourceid2nslc(r[0]), r[1]))

    longest = want(lambda segs: [max(segs, key=lambda x: (x[2], -x[0]))])
    out = tmp_path / "longest.mseed"
    client.get_waveforms("BW", "FFB1", "", "*", UTCDateTime(s), UTCDateTime(e),
                         longestonly=True, filename=str(out))
    check_records(out.read_bytes(), longest)
    everything = expected(sds, [("BW", "FFB1", "", c, s, e) for c in chans])
    assert len(longest) < len(everything), "longestonly left nothing out: bad test window"
    for minimum in (0.5, 1.0, 1.9):
        keep = want(lambda segs: [x for x in segs if x[2] >= minimum * 1e9])
        out = tmp_path / f"min{minimum}.mseed"
        try:
            client.get_waveforms("BW", "FFB1", "", "*", UTCDateTime(s), UTCDateTime(e),
                                 minimumlength=minimum, filename=str(out))
            got = out.read_bytes()
        except FDSNNoDataException:
            got = b""
        if keep:
            check_records(got, keep)
        else:
            assert got == b""
        assert len(keep) < len(everything), f"minimumlength={minimum} left nothing out"


def test_bad_requests(server):
    base = server.url + DS + "/query"
    for query, name in [("foo=1", "foo"), ("start=yesterday", "starttime"),
                        ("start=2020-01-02&end=2020-01-01", "endtime"),
                        ("quality=X", "quality"), ("format=sac", "format"),
                        ("minimumlength=-1", "minimumlength"), ("longestonly=maybe", "longestonly"),
                        ("nodata=500", "nodata")]:
        status, body, _ = http(f"{base}?{query}")
        assert status == 400, query
        assert body.startswith(b"Error 400: Bad Request"), body
        assert f"{name}:".encode() in body, body
    status, body, _ = http(base, b"IU COLA 00 BHZ 2010-02-27\n")
    assert status == 400 and b"line 1:" in body
    status, body, _ = http(base, b"")
    assert status == 400 and b"body:" in body


def test_version_and_wadl(server):
    status, body, _ = http(server.url + DS + "/version")
    assert (status, body) == (200, b"1.1.0")
    status, body, headers = http(server.url + DS + "/application.wadl")
    assert status == 200 and headers["content-type"] == "application/xml"
    from lxml import etree

    doc = etree.fromstring(body)
    ns_ = {"w": "http://wadl.dev.java.net/2009/02"}
    names = {p.get("name") for p in doc.iterfind(".//w:resource[@path='query']//w:param", ns_)}
    assert names == {"starttime", "endtime", "network", "station", "location", "channel",
                     "quality", "minimumlength", "longestonly", "format", "nodata"}


@pytest.fixture(scope="module")
def big_server(sds, tmp_path_factory):
    """`siqaco serve` of an archive whose one day file holds the records of
    IU.COLA.00.BHZ 2010.058 a hundred times over (20 MB): a response that no socket buffer
    holds (loopback send buffers grow to 4 MB), so a client that stops reading blocks the
    writer for sure."""
    from serving import Server, index

    work = tmp_path_factory.mktemp("big")
    rel = Path("2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058")
    (work / "sds" / rel).parent.mkdir(parents=True)
    (work / "sds" / rel).write_bytes((sds / rel).read_bytes() * 100)
    index(work / "sds", work / "cat.sqlite")
    srv = Server(["--catalogue", str(work / "cat.sqlite")], work / "serve.log")
    try:
        yield srv
    finally:
        srv.stop()


def test_client_going_away(big_server, server, sds):
    """A client that reads a few KB of a 20 MB response and closes the connection: the
    writer stops (the server logs it: the response cannot fit in the socket buffers and the
    channel), the server stays up and answers the next requests in full."""
    before = big_server.log_path.read_text().count("the client went away")
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", big_server.port), timeout=30) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(f"GET {DS}/query?start=2000-01-01 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            got = b""
            while len(got) < 8192:
                chunk = s.recv(4096)
                assert chunk
                got += chunk
            assert got.startswith(b"HTTP/1.1 200")
    assert big_server.alive()
    t0 = time.monotonic()
    while big_server.log_path.read_text().count("the client went away") < before + 3:
        assert time.monotonic() - t0 < 30, "the writers did not stop"
        time.sleep(0.1)
    line = WINDOWS[0]
    net, sta, loc, cha, a, b = line
    status, body, _ = get(server.url, net=net, sta=sta, loc=loc, cha=cha, start=a, end=b)
    assert status == 200
    check_records(body, expected(sds, [line]))
    status, body, _ = get(server.url, start="2000-01-01")
    assert status == 200 and len(split(body)) == len(archive(sds))


# --- portable-fdsnws-dataselect as an oracle ---------------------------------------------


@pytest.fixture(scope="module")
def portable(sds, tmp_path_factory):
    """portable-fdsnws-dataselect on a catalogue of sds-small written by mseedindex (one
    file per call, as ObsPy's Indexer runs it); yields (base URL, catalogue)."""
    from serving import fdsnws_bin, portable_fdsnws

    exe = fdsnws_bin()
    mseedindex = ROOT / ".venv" / "bin" / "mseedindex"
    if not exe.is_file() or not mseedindex.is_file():
        pytest.skip(f"portable-fdsnws-dataselect ({exe}) or mseedindex missing "
                    "(run scripts/bootstrap)")
    tmp = tmp_path_factory.mktemp("portable")
    db = tmp / "ts.sqlite"
    for f in sorted(p for p in sds.rglob("*") if p.is_file()):
        subprocess.run([str(mseedindex), "-sqlite", str(db), str(f)], check=True,
                       capture_output=True)
    with portable_fdsnws(db, tmp, build_summary=True) as url:
        yield url, db


def ends_in_last_block(db: Path, line) -> bool:
    """Whether the window ends inside the last `timeindex` block of a section of the
    stream: portable-fdsnws-dataselect 2.0.2 reads the `latest=>1|0` entry as a byte
    offset then and returns that section short (see test_fdsnws_dataselect.py)."""
    net, sta, loc, cha, s, e = line
    rows = sqlite3.connect(db).execute(
        "SELECT timeindex, endtime FROM tsindex WHERE network=? AND station=? AND "
        "location=? AND channel=?", (net, sta, loc, cha)).fetchall()
    end = ns(e)
    for tix, row_end in rows:
        if tix and ns(row_end.replace(" ", "T")) > ns(s):
            last = round(float(tix.split(",")[-2].split("=>")[0]) * 1e9)
            if last <= end < ns(row_end.replace(" ", "T")):
                return True
    return False


def samples(recs, stream: str, start: int, end: int) -> list:
    """Sorted (time, value) of the samples of `stream` in `[start, end]`."""
    out = []
    for r in pymseed.MS3Record.from_buffer(b"".join(x[4] for x in recs if x[0] == stream),
                                           unpack_data=True):
        vals = np.asarray(r.np_datasamples, dtype=np.float64)
        for i, v in enumerate(vals):
            t = pymseed.sample_time(r.starttime, i, r.samprate)
            if start <= t <= end:
                out.append((t, float(v)))
    return sorted(out)


def same_as_portable(ours: bytes, theirs: bytes, sds: Path, lines) -> None:
    """The records portable returns untrimmed are ours, byte for byte; each of our records
    whose samples all lie in its window is among them; the samples in the windows agree."""
    mine, other = split(ours), split(theirs)
    archive_bytes = {r[4] for r in archive(sds)}
    untrimmed = [r for r in other if r[4] in archive_bytes]
    assert untrimmed, "portable returned no record untrimmed: bad test window"
    assert {r[4] for r in untrimmed} <= {r[4] for r in mine}
    for net, sta, loc, cha, s, e in lines:
        stream, a, b = sid(net, sta, loc, cha), ns(s), ns(e)
        inside = [r for r in mine if r[0] == stream and r[1] >= a and r[5] <= b]
        assert {r[4] for r in inside} <= {r[4] for r in untrimmed}, f"{stream}: record missing"
        mine_s, theirs_s = samples(mine, stream, a, b), samples(other, stream, a, b)
        assert mine_s and len(mine_s) == len(theirs_s), f"{stream}: sample counts differ"
        assert mine_s == theirs_s, f"{stream}: samples differ"


ORACLE = [
    ("IU", "COLA", "00", "BHZ", "2010-02-27T07:00:00.5", "2010-02-27T07:10:00.3"),
    ("IU", "COLA", "00", "BH1", "2010-02-27T07:12:00", "2010-02-27T07:30:00.01"),
    ("CH", "BALST", "", "LHZ", "2025-11-10T05:17:00", "2025-11-10T13:42:10.5"),
    ("CH", "BALST", "", "LHE", "2025-11-10T00:00:00", "2025-11-10T11:00:00.5"),
    ("IU", "COLA", "00", "LHZ", "2010-02-27T06:55:00.5", "2010-02-27T07:40:00.5"),  # v3
    ("BW", "FFB1", "", "HHZ", "2016-03-11T00:00:00", "2016-03-12T00:00:00"),
]


@pytest.mark.parametrize("line", ORACLE, ids=lambda l: f"{'.'.join(l[:4])}@{l[4]}")
def test_get_same_as_portable(server, portable, sds, line):
    url, db = portable
    assert not ends_in_last_block(db, line), "window ends in a last timeindex block"
    net, sta, loc, cha, s, e = line
    params = dict(net=net, sta=sta, loc=loc or "--", cha=cha, start=s, end=e)
    ours = get(server.url, **params)
    theirs = get(url, **params)
    assert ours[0] == theirs[0] == 200
    check_records(ours[1], expected(sds, [line]))
    same_as_portable(ours[1], theirs[1], sds, [line])


def test_post_same_as_portable(server, portable, sds):
    url, db = portable
    for line in ORACLE:
        assert not ends_in_last_block(db, line), line
    body = post_body(ORACLE)
    ours = http(server.url + DS + "/query", body)
    theirs = http(url + DS + "/query", body)
    assert ours[0] == theirs[0] == 200
    check_records(ours[1], expected(sds, ORACLE))
    same_as_portable(ours[1], theirs[1], sds, ORACLE)
    # No data, both.
    body = post_body([("IU", "COLA", "00", "BHZ", "2001-01-01T00:00:00", "2001-01-02T00:00:00")])
    assert http(server.url + DS + "/query", body)[0] == http(url + DS + "/query", body)[0] == 204


def test_mass_downloader(server, sds, tmp_path):
    """ObsPy's MassDownloader (station service, then bulk dataselect, records split per
    channel) fills an empty directory with exactly the archive's records of BW.FFB1-3."""
    from obspy.clients.fdsn.mass_downloader import GlobalDomain, MassDownloader, Restrictions

    client = Client(server.url, timeout=60)
    if "station" not in client.services:
        pytest.skip("this server has no fdsnws-station yet (issue #18, item 3)")
    s, e = UTCDateTime("2016-03-11T11:34:40"), UTCDateTime("2016-03-11T11:34:50")
    restrictions = Restrictions(
        starttime=s, endtime=e, network="BW", station="FFB?", channel="*",
        reject_channels_with_gaps=False, minimum_length=0.0,
        minimum_interstation_distance_in_m=0.0, sanitize=True)
    waveforms, stations = tmp_path / "waveforms", tmp_path / "stations"
    MassDownloader(providers=[client]).download(
        GlobalDomain(), restrictions, mseed_storage=str(waveforms),
        stationxml_storage=str(stations))
    inventory = client.get_stations(network="BW", station="FFB?", starttime=s, endtime=e,
                                    level="channel")
    channels = sorted({tuple(c.split(".")) for c in inventory.get_contents()["channels"]})
    assert channels, "the station service lists no BW.FFB? channel"
    got = []
    for f in sorted(waveforms.iterdir()):
        got += split(f.read_bytes())
    want = expected(sds, [(*c, str(s), str(e)) for c in channels])
    assert want
    assert sorted(r[4] for r in got) == sorted(r[4] for r in want)
    assert sorted({r[0] for r in got}) == sorted({sid(*c) for c in channels})
