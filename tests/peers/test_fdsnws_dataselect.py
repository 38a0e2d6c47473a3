"""portable-fdsnws-dataselect serving siqaco's tsindex catalogue of sds-small (issue #4).

A copy of `sds-small` is indexed with `siqaco index`, and portable-fdsnws-dataselect
(2.0.2, from its own virtual environment `.venv-fdsnws`, made by `scripts/bootstrap`; or
the executable named by `SIQACO_FDSNWS_BIN`) serves that catalogue on 127.0.0.1. It is
started *without* `-i`: the `tsindex_summary` table siqaco writes is enough.

The oracle is libmseed (pymseed) reading the day files directly. The server returns the
records that overlap the window; records that reach outside it are trimmed to the samples
in `[start, end]` (both ends inclusive) and repacked (`miniseed.trim_record`). So:

* every sample it returns equals, sample for sample, a sample of the files with
  `start <= t <= end`, and every such sample is returned (multisets: overlapping records of
  BW.BGLD..EHE are returned twice, as the files hold them twice);
* records that lie wholly inside the window come back byte for byte.

Checked: GET and POST (several lines in one body), whole days and windows inside a day
file, miniSEED 2 and 3, a record crossing midnight, and `quality=D`/`R` (siqaco fills
`quality`, which mseedindex 3 leaves NULL, so these requests select by quality).

Not checked through the server: windows that end inside a section's *last* `timeindex`
block. portable-fdsnws-dataselect 2.0.2 (`miniseed._parse_timeindex`) reads the final
`latest=>1|0` entry of `timeindex` as a (row end time, byte offset 1|0) pair, so
`handle_trimming` takes 1 or 0 as the end offset of the byte range and returns nothing (or
one record) of that section, whatever the catalogue holds. That case is checked through
ObsPy's tsindex Client on the same catalogue instead (its `handle_trimming` replaces the
`latest` entry by the section's end and byte length correctly).
"""

import shutil
import subprocess
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from conftest import siqaco_bin
from serving import fdsnws_bin, portable_fdsnws

pymseed = pytest.importorskip("pymseed")


@pytest.fixture(scope="module")
def served(data, tmp_path_factory):
    """(base URL, SDS copy, catalogue) with the server running; stopped afterwards."""
    exe = fdsnws_bin()
    if not exe.is_file():
        pytest.skip(f"portable-fdsnws-dataselect not found at {exe} (run scripts/bootstrap)")
    tmp = tmp_path_factory.mktemp("fdsnws")
    sds = tmp / "sds"
    shutil.copytree(data / "sds-small", sds)
    db = tmp / "siqaco.sqlite"
    p = subprocess.run([siqaco_bin(), "index", str(sds), "--db", str(db)],
                       capture_output=True, check=False)
    assert p.returncode == 0, p.stderr.decode()
    with portable_fdsnws(db, tmp) as url:
        yield f"{url}/fdsnws/dataselect/1/query", sds, db


def ns(t: str) -> int:
    return pymseed.timestr2nstime(t)


def records(buf: bytes):
    """(source id, start ns, rate, samples as float64, raw bytes) of each data record."""
    out = []
    for r in pymseed.MS3Record.from_buffer(buf, unpack_data=True):
        if r.samprate <= 0 or r.samplecnt == 0:
            continue
        out.append((r.sourceid, r.starttime, r.samprate,
                    np.asarray(r.np_datasamples, dtype=np.float64), bytes(r.record)))
    return out


def sample_list(recs, sid, start, end):
    """Sorted (time ns, value) of the samples of `sid` with start <= t <= end."""
    out = []
    for s, t0, rate, vals, _ in recs:
        if s != sid:
            continue
        for i, v in enumerate(vals):
            t = pymseed.sample_time(t0, i, rate)
            if start <= t <= end:
                out.append((t, float(v)))
    return sorted(out)


def sid_of(net, sta, loc, cha) -> str:
    return pymseed.nslc2sourceid(net, sta, loc, cha)


def direct(sds: Path, net, sta, loc, cha):
    """Records of the stream read from its day files."""
    recs = []
    for f in sorted(sds.glob(f"*/{net}/{sta}/{cha}.D/{net}.{sta}.{loc}.{cha}.D.*")):
        recs += records(f.read_bytes())
    return recs


def get(url: str, **params) -> tuple[int, bytes]:
    q = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}?{q}", timeout=60) as r:
        return r.status, r.read()


def post(url: str, body: str) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.read()


def check(sds: Path, got: bytes, lines) -> int:
    """Asserts that `got` holds exactly the samples of each (net, sta, loc, cha, start, end)
    line, and the records wholly inside a window byte for byte; returns the sample count."""
    recs = records(got)
    n = 0
    sids = set()
    for net, sta, loc, cha, s, e in lines:
        sid = sid_of(net, sta, loc, cha)
        sids.add(sid)
        start, end = ns(s), ns(e)
        files = direct(sds, net, sta, loc, cha)
        want = sample_list(files, sid, start, end)
        assert want, f"{sid} {s}..{e}: the files hold no sample (bad test window)"
        have = sample_list(recs, sid, start, end)
        assert len(have) == len(want), f"{sid} {s}..{e}: {len(have)} samples, want {len(want)}"
        assert have == want, f"{sid} {s}..{e}: samples differ"
        # Nothing outside the window: every returned sample is in it.
        outside = [r for r in recs if r[0] == sid
                   and not all(start <= pymseed.sample_time(r[1], i, r[2]) <= end
                               for i in range(len(r[3])))]
        assert not outside, f"{sid}: {len(outside)} record(s) reach outside {s}..{e}"
        # Records wholly inside the window are the files' records, byte for byte.
        inside = sorted(r[4] for r in files if r[0] == sid and start <= r[1]
                        and pymseed.sample_time(r[1], len(r[3]) - 1, r[2]) <= end)
        returned = [r[4] for r in recs if r[0] == sid]
        for raw in inside:
            assert raw in returned, f"{sid}: a record inside {s}..{e} is not returned as is"
        n += len(want)
    assert {r[0] for r in recs} <= sids, "records of streams not asked for"
    return n


def ends_in_last_block(db: Path, line) -> bool:
    """Whether the window of `line` ends inside the last `timeindex` block of one of the
    stream's sections: the case portable-fdsnws-dataselect 2.0.2 gets wrong (last real
    entry <= end < section end; a NULL timeindex makes it trim the whole section instead)."""
    net, sta, loc, cha, s, e = line
    rows = sqlite3.connect(db).execute(
        "SELECT timeindex, endtime FROM tsindex WHERE network=? AND station=? AND "
        "location=? AND channel=? AND starttime<=? AND endtime>=?",
        (net, sta, loc, cha, e, s)).fetchall()
    end = ns(e)
    for tix, row_end in rows:
        if tix:
            last = round(float(tix.split(",")[-2].split("=>")[0]) * 1e9)
            if last <= end < ns(row_end):
                return True
    return False


# Whole days (the window holds every record of the day file) and windows inside a day file
# (records at both edges trimmed). None ends inside a section's last `timeindex` block (see
# the module doc; checked by `served_lines`): a day file whose records run past its
# midnight (CH.BALST, SK.MODS) is that case for a whole-day window, and so is any window
# ending inside a section with a single `timeindex` entry (GT.BOSA, IU.COLA.10, ...).
# Windows inside an out-of-order section (`latest=>0`, XX.TEST.00.LHZ) are left out: the
# byte range between two index entries does not hold all records of their times then, and
# neither the server nor ObsPy reads the whole section in that case (mseedindex writes the
# same `timeindex`; whole-day requests of that section are checked).
WHOLE_DAYS = [
    ("IU", "COLA", "00", "BHZ", "2010-02-27T00:00:00", "2010-02-28T00:00:00"),
    ("IU", "COLA", "00", "LHZ", "2010-02-27T00:00:00", "2010-02-28T00:00:00"),  # miniSEED 3
    ("BW", "BGLD", "", "EHE", "2007-12-31T00:00:00", "2008-01-02T00:00:00"),  # overlaps, year end
    ("XX", "TEST", "00", "LHZ", "2010-02-27T00:00:00", "2010-02-28T00:00:00"),  # out of order
    ("GT", "BOSA", "00", "BHN", "2010-06-22T00:00:00", "2010-06-23T00:00:00"),
    ("CU", "TGUH", "00", "BHZ", "2018-01-01T00:00:00", "2018-01-02T00:00:00"),
    ("BW", "FFB2", "", "BHZ", "2016-03-11T00:00:00", "2016-03-12T00:00:00"),
    ("XX", "SIN", "", "WXY", "2025-09-27T00:00:00", "2025-10-01T00:00:00"),  # v3, 60 s period
]
WINDOWS = [
    ("IU", "COLA", "00", "BHZ", "2010-02-27T07:00:00.5", "2010-02-27T07:10:00"),
    ("IU", "COLA", "00", "LHZ", "2010-02-27T07:00:00.5", "2010-02-27T07:30:00"),
    ("CH", "BALST", "", "LHZ", "2025-11-10T05:17:00", "2025-11-10T13:42:10.5"),
    ("BW", "BGLD", "", "EHE", "2008-01-01T00:00:00", "2008-01-01T00:02:00"),  # NULL timeindex
]


@pytest.fixture(scope="module")
def served_lines(served):
    _, _, db = served
    for line in WHOLE_DAYS + WINDOWS:
        assert not ends_in_last_block(db, line), f"{line}: ends in a last timeindex block"


@pytest.mark.parametrize("line", WHOLE_DAYS + WINDOWS, ids=lambda l: f"{l[0]}.{l[1]}.{l[2]}.{l[3]}@{l[4]}")
def test_get(served, served_lines, line):
    url, sds, _ = served
    net, sta, loc, cha, s, e = line
    status, got = get(url, net=net, sta=sta, loc=loc or "--", cha=cha, start=s, end=e)
    assert status == 200
    assert check(sds, got, [line]) > 0


def test_post_several_lines(served, served_lines):
    url, sds, _ = served
    # one line per stream (`check` compares the samples of each stream with one line)
    lines = WHOLE_DAYS[:2] + WHOLE_DAYS[3:5] + WINDOWS[2:4]
    body = "".join(f"{n} {s} {l or '--'} {c} {a} {b}\n" for n, s, l, c, a, b in lines)
    status, got = post(url, body)
    assert status == 200
    assert check(sds, got, lines) > 0


def test_quality(served, served_lines):
    url, sds, db = served
    # CH.BALST is quality D, IU.COLA.00 M, XX.TEST R (the catalogue says so, from the
    # records' headers). The server filters on `quality` only for D, R and Q.
    balst = WINDOWS[2]
    status, got = post(url, "quality=D\n" + " ".join(x or "--" for x in balst) + "\n")
    assert status == 200
    assert check(sds, got, [balst]) > 30000
    net, sta, loc, cha, s, e = balst
    assert got == get(url, net=net, sta=sta, loc="--", cha=cha, start=s, end=e)[1]
    test = WHOLE_DAYS[3]
    net, sta, loc, cha, s, e = test
    status, got = get(url, net=net, sta=sta, loc=loc, cha=cha, start=s, end=e, quality="R")
    assert status == 200 and check(sds, got, [test]) > 0
    for line, q in [(test, "D"), (WHOLE_DAYS[0], "D"), (balst, "R")]:
        net, sta, loc, cha, s, e = line
        status, got = get(url, net=net, sta=sta, loc=loc or "--", cha=cha, start=s, end=e,
                          quality=q)
        assert status == 204 and got == b"", f"{line} quality={q}"


def test_no_data(served):
    url, _, _ = served
    for params in [dict(net="IU", sta="COLA", loc="00", cha="BHZ", start="2001-01-01",
                        end="2001-01-02"),
                   dict(net="XX", sta="NONE", loc="--", cha="BHZ", start="2010-02-27",
                        end="2010-02-28")]:
        status, got = get(url, **params)
        assert status == 204 and got == b""


# Windows that end inside a section's last `timeindex` block. Ends lie on sample times, so
# that ObsPy's trim (nearest sample) and the inclusive window select the same samples.
LAST_BLOCK = [
    # IU.COLA.00.BHZ: last index entry 07:49:52.519538, section end 07:59:59.969538
    ("IU", "COLA", "00", "BHZ", "2010-02-27T07:50:00.019539", "2010-02-27T07:55:00.019539"),
    ("IU", "COLA", "00", "BHZ", "2010-02-27T07:40:00.019539", "2010-02-27T07:55:00.019539"),
    # whole days of day files whose records run past midnight: the section ends next day
    ("CH", "BALST", "", "LHZ", "2025-11-10T00:00:00", "2025-11-10T23:59:59.58"),
    ("SK", "MODS", "", "HHZ", "2016-01-06T00:00:00", "2016-01-06T23:59:59.9999"),
    # a section with one index entry (every window inside it ends in its last block)
    ("GT", "BOSA", "00", "BHN", "2010-06-22T22:26:10", "2010-06-22T22:26:40"),
]


@pytest.mark.parametrize("line", LAST_BLOCK, ids=lambda l: f"{l[0]}.{l[1]}.{l[2]}.{l[3]}@{l[4]}")
def test_window_in_last_timeindex_block_through_obspy(served, line):
    """A window that ends inside a section's last `timeindex` block.

    portable-fdsnws-dataselect 2.0.2 returns this short whatever the catalogue holds: it
    reads the `latest=>1` entry as a byte offset of 1 (see the module doc). ObsPy's tsindex
    Client reads the same catalogue right, so the catalogue is checked through it, sample
    for sample against the files. The server's answer is only required to be a subset.
    """
    from obspy import UTCDateTime
    from obspy.clients.filesystem.tsindex import Client

    url, sds, db = served
    assert ends_in_last_block(db, line)
    net, sta, loc, cha, s, e = line
    sid = sid_of(net, sta, loc, cha)
    files = direct(sds, net, sta, loc, cha)
    # ObsPy trims records to the *nearest* sample (`Trace.trim(nearest_sample=True)`): it
    # keeps the samples within half a period outside the window too. No sample lies half a
    # period from these windows' ends, so the rule is unambiguous.
    half = round(5e8 / files[0][2])
    want = sample_list(files, sid, ns(s) - half, ns(e) + half)
    assert want
    # One client per stream: ObsPy 1.5.1's tsindex client leaks pooled sessions under
    # SQLAlchemy 2.1 (see test_index_vs_peers.py).
    st = Client(str(db)).get_waveforms(net, sta, loc, cha, UTCDateTime(s), UTCDateTime(e),
                                       merge=None)
    have = []
    for tr in st:
        t0 = tr.stats.starttime.ns
        for i, v in enumerate(tr.data):
            have.append((t0 + round(i * 1e9 / tr.stats.sampling_rate), float(v)))
    have.sort()
    assert len(have) == len(want), f"{sid} {s}..{e}: ObsPy {len(have)}, files {len(want)}"
    # Times agree to the µs (ObsPy's times come from the nominal rate), values exactly.
    bad = [(a, b) for a, b in zip(have, want) if abs(a[0] - b[0]) > 1000 or a[1] != b[1]]
    assert not bad, f"{sid}: {len(bad)} samples differ, first {bad[0]}"
    status, got = get(url, net=net, sta=sta, loc=loc or "--", cha=cha, start=s, end=e)
    served = sample_list(records(got), sid, ns(s), ns(e)) if status == 200 else []
    inclusive = sample_list(files, sid, ns(s), ns(e))
    assert set(served) <= set(inclusive)
    print(f"portable-fdsnws-dataselect 2.0.2, {sid} {s}..{e}: {len(served)} of {len(inclusive)} "
          "samples (the `latest` timeindex bug)")
