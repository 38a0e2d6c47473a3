"""siqaco's tsindex catalogue of sds-small against the peers.

- mseedindex 3 (-sqlite, one file per call because of its multi-file bug) writes the same
  rows, column for column, except `quality` (mseedindex leaves it NULL), `filemodtime`
  (mseedindex -kp writes 1970; compared here without -kp, but still excluded as the issue
  asks) and `scanned` (the time of the run).
- ObsPy's tsindex Client on siqaco's catalogue returns the same waveforms, sample for
  sample, as reading the files directly, and the same availability.
- `siqaco stats --db` gives the same JSON document as `siqaco scan --format json`.
"""

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import run_scan, siqaco_bin

COLUMNS = (
    "network,station,location,channel,version,starttime,endtime,samplerate,filename,"
    "byteoffset,bytes,hash,timeindex,timespans,timerates,format,updated"
)


@pytest.fixture(scope="module")
def sds(data) -> Path:
    return data / "sds-small"


@pytest.fixture(scope="module")
def catalogue(sds, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("idx") / "siqaco.sqlite"
    p = subprocess.run(
        [siqaco_bin(), "index", str(sds), "--db", str(db), "--hash"],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode()
    return db


def sds_files(sds: Path) -> list[Path]:
    return sorted(p for p in sds.rglob("*") if p.is_file())


def test_rows_equal_mseedindex(sds, catalogue, tmp_path):
    exe = shutil.which("mseedindex") or str(Path(__import__("sys").executable).parent / "mseedindex")
    if not Path(exe).exists():
        pytest.skip("mseedindex not installed (pip install mseedindex)")
    ref = tmp_path / "mseedindex.sqlite"
    for f in sds_files(sds):
        p = subprocess.run([exe, "-sqlite", str(ref), str(f.resolve())], capture_output=True, check=False)
        assert p.returncode == 0, p.stderr.decode()
    q = f"SELECT {COLUMNS} FROM tsindex ORDER BY filename, byteoffset"
    theirs = sqlite3.connect(ref).execute(q).fetchall()
    ours = sqlite3.connect(catalogue).execute(q).fetchall()
    assert len(ours) == len(theirs) == 37
    names = COLUMNS.split(",")
    for a, b in zip(ours, theirs):
        assert dict(zip(names, a)) == dict(zip(names, b))
    # the columns mseedindex gets wrong are filled
    con = sqlite3.connect(catalogue)
    assert con.execute("SELECT count(*) FROM tsindex WHERE quality IS NULL OR quality=''").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM tsindex WHERE filemodtime LIKE '1970%'").fetchone()[0] == 0
    # the summary table has the columns portable-fdsnws-dataselect requires
    cols = [r[1] for r in con.execute("PRAGMA table_info(tsindex_summary)")]
    assert cols == ["network", "station", "location", "channel", "earliest", "latest", "updt"]


def _read_direct(files):
    from obspy import Stream, read

    st = Stream()
    for f in files:
        try:
            st += read(str(f), format="MSEED")
        except Exception:  # miniSEED 3: ObsPy cannot read it
            return None
    return st


def _spans_direct(st, rate):
    """The traces read from the files, joined with the rule of ObsPy's tsindex
    `get_availability(merge_overlap=True)` (`_get_availability_from_timespans`): spans sorted
    by start; the next span is merged when it overlaps the current one or starts within half
    a sample of current end + 1/rate, and the merged span ends where the *next* span ends
    (ObsPy's rule, even when that is earlier: a long span covering shorter ones later in the
    list is cut back, so ObsPy can report gaps that are covered)."""
    spans = sorted((tr.stats.starttime.ns, tr.stats.endtime.ns) for tr in st)
    period = 1e9 / rate
    out = []
    for s, e in spans:
        if out:
            ps, pe = out[-1]
            overlap = s <= pe and ps <= e
            adjacent = abs(s - (pe + period)) < period / 2
            if overlap or adjacent:
                out[-1] = [ps, e]
                continue
        out.append([s, e])
    return out


def test_obspy_tsindex_client_on_catalogue(sds, catalogue):
    from obspy.clients.filesystem.tsindex import Client

    client = Client(str(catalogue))
    nslcs = client.get_nslc()
    assert len(nslcs) == 35
    compared = 0
    for net, sta, loc, cha in nslcs:
        # A new client (engine, connection pool) per stream: ObsPy 1.5.1's tsindex client
        # does not return every session to its QueuePool with SQLAlchemy 2.1, so one client
        # used for all streams exhausts the pool (size 5 + overflow 10) and times out.
        client = Client(str(catalogue))
        files = sorted(sds.glob(f"*/{net}/{sta}/{cha}.D/{net}.{sta}.{loc}.{cha}.D.*"))
        direct = _read_direct(files)
        if direct is None:
            continue
        want = _spans_direct(direct, direct[0].stats.sampling_rate)
        ext = client.get_availability_extent(net, sta, loc, cha)
        assert len(ext) == 1
        start, end = ext[0][4], ext[0][5]
        got = client.get_waveforms(net, sta, loc, cha, start, end)
        direct.merge(-1)
        key = lambda tr: (tr.id, tr.stats.starttime.ns, tr.stats.npts)  # noqa: E731
        a, b = sorted(got, key=key), sorted(direct, key=key)
        assert [key(t) for t in a] == [key(t) for t in b], f"{net}.{sta}.{loc}.{cha}"
        for ta, tb in zip(a, b):
            assert ta.stats.sampling_rate == tb.stats.sampling_rate
            assert np.array_equal(ta.data, tb.data)
        # availability: the files' own traces joined by ObsPy's rule (timespans are rounded to µs)
        av = client.get_availability(net, sta, loc, cha, merge_overlap=True)
        got_spans = [(r[4].ns, r[5].ns) for r in av]
        assert len(got_spans) == len(want), f"{net}.{sta}.{loc}.{cha}: {got_spans} vs {want}"
        # Starts agree to the µs of the text encoding. Ends agree to the µs too, except where
        # ObsPy computes a trace's end with the nominal rate while libmseed (mseedindex, siqaco)
        # uses blockette 100's actual rate (IU.COLA.10.BHZ: 38 µs over 60 s): half a sample.
        half = 1e9 / direct[0].stats.sampling_rate / 2
        for (gs, ge), (ws, we) in zip(got_spans, want):
            assert abs(gs - ws) <= 1000 and abs(ge - we) <= max(1000, half)
        compared += 1
    assert compared >= 30


def test_stats_equals_scan(sds, catalogue):
    _, scan = run_scan(str(sds))
    p = subprocess.run(
        [siqaco_bin(), "stats", "--db", str(catalogue), "--format", "json"],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode()
    stats = json.loads(p.stdout)
    assert stats == scan


def test_db_check_and_backup(catalogue, tmp_path):
    p = subprocess.run([siqaco_bin(), "db", "check", "--db", str(catalogue)], capture_output=True, check=False)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    dest = tmp_path / "copy.sqlite"
    p = subprocess.run(
        [siqaco_bin(), "db", "backup", "--db", str(catalogue), "--output", str(dest)],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode()
    n = sqlite3.connect(dest).execute("SELECT count(*) FROM tsindex").fetchone()[0]
    assert n == 37
