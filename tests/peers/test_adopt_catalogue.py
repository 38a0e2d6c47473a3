"""`siqaco index --db EXISTING` adopts a tsindex catalogue written by PyPI mseedindex (issue
#22 item 3; docs/index.md, "Adopting a catalogue").

- The rows of files that did not change are kept: same SQLite rowid, every column as
  mseedindex wrote it, except `quality`, which mseedindex leaves NULL and siqaco fills in
  place. The catalogue then equals a fresh `siqaco index` of the same archive: tsindex rows
  (all columns but `scanned` and `updated`, times of indexing runs) and siqaco's tables.
- ObsPy's tsindex client reads the same waveforms before and after.
- Files changed after mseedindex read them (rewritten, or only touched) have their rows
  replaced; the rows of a removed file are deleted; rows mseedindex 3.0.8 got wrong (several
  files in one call: wrong hashes) are replaced; the rows of ObsPy's Indexer (`-kp`:
  `filemodtime` 1970) are replaced.

PyPI's mseedindex is built without PostgreSQL (no `-pghost`); the PostgreSQL path is tested
in Rust (siqaco-core/tests/adopt.rs).
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import siqaco_bin
from test_index_vs_peers import sds_files

# every tsindex column but `scanned` (the time of the indexing run) and `updated` (the
# time of the run that last saw the section's data change: with hashes, a file only
# touched keeps the time mseedindex stored, mseedindex's own rule)
TSINDEX = (
    "network,station,location,channel,quality,version,starttime,endtime,samplerate,filename,"
    "byteoffset,bytes,hash,timeindex,timespans,timerates,format,filemodtime"
)
SIQACO_TABLES = [
    "SELECT id,path,filename,rel_path,size_bytes,mtime_ns,records,errors FROM siqaco_files ORDER BY id",
    "SELECT * FROM siqaco_file_streams ORDER BY 1,2,3,4,5",
    "SELECT * FROM siqaco_spans ORDER BY 1,2,3,4,5,6,7",
    "SELECT * FROM siqaco_day_stats ORDER BY 1,2,3,4,5",
    "SELECT * FROM siqaco_dirty",
    "SELECT network,station,location,channel,earliest,latest FROM tsindex_summary ORDER BY 1,2,3,4",
]


def mseedindex() -> str:
    exe = shutil.which("mseedindex") or str(Path(sys.executable).parent / "mseedindex")
    if not Path(exe).exists():
        pytest.skip("mseedindex not installed (pip install mseedindex)")
    return exe


def run_mseedindex(db: Path, files: list[Path]) -> None:
    p = subprocess.run(
        [mseedindex(), "-sqlite", str(db), *[str(f.resolve()) for f in files]],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode()


def siqaco_index(root: Path, db: Path) -> str:
    p = subprocess.run(
        [siqaco_bin(), "index", str(root), "--db", str(db), "--hash"],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode()
    return p.stderr.decode()


def rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def tsindex(db: Path) -> list[tuple]:
    return rows(db, f"SELECT {TSINDEX} FROM tsindex ORDER BY filename, byteoffset")


def assert_equals_fresh(root: Path, db: Path, tmp: Path) -> None:
    fresh = tmp / "fresh.sqlite"
    siqaco_index(root, fresh)
    assert tsindex(db) == tsindex(fresh)
    for sql in SIQACO_TABLES:
        assert rows(db, sql) == rows(fresh, sql), sql


def waveforms(db: Path) -> dict:
    """Every stream of the catalogue read through ObsPy's tsindex client over its extent:
    per trace its id, start (ns), sample count and the MD5 of its samples (streams ObsPy
    cannot decode, such as miniSEED 3, are left out)."""
    from obspy.clients.filesystem.tsindex import Client

    out = {}
    for net, sta, loc, cha in Client(str(db)).get_nslc():
        # a client per stream: ObsPy 1.5.1 leaks pooled sessions with SQLAlchemy 2.1
        client = Client(str(db))
        ext = client.get_availability_extent(net, sta, loc, cha)
        try:
            st = client.get_waveforms(net, sta, loc, cha, ext[0][4], ext[0][5])
        except Exception:  # noqa: BLE001 - ObsPy cannot read miniSEED 3
            continue
        out[(net, sta, loc, cha)] = sorted(
            (tr.id, tr.stats.starttime.ns, tr.stats.npts, hashlib.md5(tr.data.tobytes()).hexdigest())
            for tr in st
        )
    return out


@pytest.fixture
def archive(data, tmp_path) -> Path:
    root = tmp_path / "sds"
    shutil.copytree(data / "sds-small", root)  # copy2: modification times kept
    return root


def test_mseedindex_catalogue_adopted_in_place(archive, tmp_path):
    db = tmp_path / "mseedindex.sqlite"
    for f in sds_files(archive):  # one file per call (mseedindex 3.0.8's multi-file bug)
        run_mseedindex(db, [f])
    before = rows(db, "SELECT rowid, * FROM tsindex ORDER BY rowid")
    assert len(before) == 37
    assert all(r[5] is None or r[5] == "" for r in before), "mseedindex leaves quality empty"
    seen_before = waveforms(db)
    assert len(seen_before) >= 30

    err = siqaco_index(archive, db)
    assert "37 file(s) adopted" in err and "37 tsindex row(s) of another tool kept" in err, err

    # the rows are mseedindex's: same rowids, every column as written but quality (filled)
    after = rows(db, "SELECT rowid, * FROM tsindex ORDER BY rowid")
    quality = 5
    assert [r[:quality] + r[quality + 1 :] for r in after] == [
        r[:quality] + r[quality + 1 :] for r in before
    ]
    assert all(r[quality] in ("D", "R", "Q", "M") for r in after)
    assert_equals_fresh(archive, db, tmp_path)
    assert waveforms(db) == seen_before

    # a second run: an ordinary incremental run, nothing read
    err = siqaco_index(archive, db)
    assert "0 read, 37 unchanged" in err and "adopted" not in err, err


def test_changed_and_removed_files_since_mseedindex(archive, tmp_path):
    db = tmp_path / "mseedindex.sqlite"
    files = sds_files(archive)
    for f in files:
        run_mseedindex(db, [f])
    seen_before = waveforms(db)
    rewritten = archive / "2025/CH/BALST/LHZ.D/CH.BALST..LHZ.D.2025.314"
    touched = archive / "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"
    removed = archive / "2016/BW/FFB1/BHZ.D/BW.FFB1..BHZ.D.2016.071"
    for f in (rewritten, touched, removed):
        assert f in files
    rewritten.write_bytes(rewritten.read_bytes()[:512])
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    removed.unlink()
    keep = rows(
        db,
        f"SELECT rowid, filename FROM tsindex WHERE filename NOT IN "
        f"('{rewritten.resolve()}', '{touched.resolve()}', '{removed.resolve()}') ORDER BY rowid",
    )

    err = siqaco_index(archive, db)
    assert "36 file(s) listed, 36 read" in err and "1 removed" in err, err
    assert "34 file(s) adopted" in err, err
    # the 34 unchanged files' rows are the ones mseedindex wrote
    assert [
        r
        for r in rows(db, "SELECT rowid, filename FROM tsindex ORDER BY rowid")
        if r[1] not in (str(rewritten.resolve()), str(touched.resolve()))
    ] == keep
    assert rows(db, f"SELECT count(*) FROM tsindex WHERE filename='{removed.resolve()}'") == [(0,)]
    assert_equals_fresh(archive, db, tmp_path)
    # ObsPy reads the same as before for every stream but the rewritten and removed ones
    seen = waveforms(db)
    for k in (("CH", "BALST", "", "LHZ"), ("BW", "FFB1", "", "BHZ")):
        seen_before.pop(k, None)
        seen.pop(k, None)
    assert seen == seen_before


def test_rows_mseedindex_got_wrong_are_replaced(archive, tmp_path):
    """mseedindex 3.0.8 given several files in one call writes wrong MD5 `hash` values
    (empty, or not the section's): such rows are not what the files hold, so every one is
    replaced (none adopted) and the catalogue equals a fresh index."""
    db = tmp_path / "mseedindex.sqlite"
    files = sds_files(archive)
    run_mseedindex(db, files[:4])
    run_mseedindex(db, files[4:])
    fresh = tmp_path / "fresh.sqlite"
    siqaco_index(archive, fresh)
    theirs = dict(rows(db, "SELECT filename || ':' || byteoffset, hash FROM tsindex"))
    ours = dict(rows(fresh, "SELECT filename || ':' || byteoffset, hash FROM tsindex"))
    assert theirs.keys() == ours.keys()
    assert all(theirs[k] != ours[k] for k in ours), "every hash of a multi-file call is wrong"
    err = siqaco_index(archive, db)
    assert "37 read" in err and "37 row(s) written" in err and "adopted" not in err, err
    assert_equals_fresh(archive, db, tmp_path)


def test_obspy_indexer_catalogue_rows_replaced(archive, tmp_path):
    """ObsPy's Indexer runs `mseedindex -kp`: `filemodtime` is 1970, so whether a file
    changed cannot be told from the catalogue; every row is replaced, with the relative
    names the Indexer stored."""
    from obspy.clients.filesystem.tsindex import Indexer

    db = tmp_path / "obspy.sqlite"
    Indexer(
        str(archive), database=str(db), filename_pattern="*", parallel=1, index_cmd=mseedindex()
    ).run(relative_paths=True)
    assert rows(db, "SELECT count(*) FROM tsindex WHERE filemodtime LIKE '1970%'") == [(37,)]
    p = subprocess.run(
        [siqaco_bin(), "index", str(archive), "--db", str(db), "--hash", "--relative-paths"],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode()
    assert "adopted" not in p.stderr.decode()
    fresh = tmp_path / "fresh.sqlite"
    p = subprocess.run(
        [siqaco_bin(), "index", str(archive), "--db", str(fresh), "--hash", "--relative-paths"],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0
    assert tsindex(db) == tsindex(fresh)
