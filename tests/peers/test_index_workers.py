"""Several `siqaco index` processes on one PostgreSQL catalogue and one archive split the
archive's directories between them (issue #19, item 2; `docs/scale.md`, "Index split
between workers").

The archive is the 20-stream SDS archive of `update_scenario.py` (make-bench-archive: 10
stations x 2 channels x 2 days, 40 day files in 20 directories). Two, then four `siqaco
index` processes run at once on a fresh PostgreSQL database; in some runs one of them is
killed (SIGKILL) while it holds a directory, which the others take over once its lease
expired. Afterwards:

* every table of the catalogue (tsindex but its `scanned` time, the summary but its
  `updt` time, siqaco's files, streams, traces and day statistics) equals what one
  `siqaco index` process writes into another database, row for row;
* the statistics equal those of one `siqaco index` into a SQLite catalogue (the
  single-writer code path) through `siqaco stats`;
* each file's rows were written once: the directories' counts of files written sum to
  the files of the archive (a killed worker's reads were never committed), and without
  kills the workers together read each file once; no worker is left registered;
* one more run reads nothing.
"""

import os
import random
import re
import signal
import subprocess
import time

import pytest

from conftest import siqaco_bin
from update_scenario import day_files, full, pg  # noqa: F401 (pg, full: fixtures)

LEASE_S = 1.0

# Every column but the times of the run itself (tsindex `scanned`, tsindex_summary `updt`).
TABLES = {
    "tsindex": "SELECT network,station,location,channel,quality,version,starttime,endtime,"
    "samplerate,filename,byteoffset,bytes,hash,timeindex,timespans,timerates,format,"
    "filemodtime,updated FROM tsindex ORDER BY filename,byteoffset,network,station,location,channel",
    "tsindex_summary": "SELECT network,station,location,channel,earliest,latest "
    "FROM tsindex_summary ORDER BY 1,2,3,4",
    "siqaco_files": "SELECT path,filename,rel_path,size_bytes,mtime_ns,records,errors "
    "FROM siqaco_files ORDER BY path",
    "siqaco_file_streams": "SELECT f.path,s.network,s.station,s.location,s.channel,s.records "
    "FROM siqaco_file_streams s JOIN siqaco_files f ON f.id=s.file_id ORDER BY 1,2,3,4,5",
    "siqaco_spans": "SELECT f.path,s.network,s.station,s.location,s.channel,s.start_ns,"
    "s.last_sample_ns,s.end_ns,s.sample_rate_hz,s.samples FROM siqaco_spans s "
    "JOIN siqaco_files f ON f.id=s.file_id ORDER BY 1,2,3,4,5,6",
    "siqaco_day_stats": "SELECT * FROM siqaco_day_stats ORDER BY 1,2,3,4,5",
    "siqaco_dirty": "SELECT * FROM siqaco_dirty",
}


def tables(pg, db: str) -> dict[str, str]:
    return {name: pg.sql(db, sql) for name, sql in TABLES.items()}


def index(root, url: str, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [siqaco_bin(), "index", str(root), "--db", url, "--hash", "--lease-s", str(LEASE_S)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


def files_read(stderr: bytes) -> int:
    m = re.search(r"siqaco index: \d+ file\(s\) listed, (\d+) read", stderr.decode())
    assert m, stderr.decode()
    return int(m.group(1))


def stats_json(db: str) -> str:
    return subprocess.run([siqaco_bin(), "stats", "--db", db, "--format", "json"],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def reference(pg, full, tmp_path_factory):
    """One `siqaco index` process: into PostgreSQL (its tables) and into SQLite (its
    statistics)."""
    pg.sql("postgres", "CREATE DATABASE single")
    p = index(full, pg.url("single"))
    _, err = p.communicate()
    assert p.returncode == 0, err.decode()
    assert files_read(err) == len(day_files(full)) == 40
    sqlite_db = tmp_path_factory.mktemp("ref") / "single.sqlite"
    subprocess.run([siqaco_bin(), "index", str(full), "--db", str(sqlite_db), "--hash"],
                   check=True, capture_output=True)
    return tables(pg, "single"), stats_json(str(sqlite_db))


@pytest.mark.parametrize(
    "workers,killed,seed",
    [(2, False, 1), (2, True, 2), (4, False, 3), (4, True, 4)],
    ids=["2-workers", "2-workers-1-killed", "4-workers", "4-workers-1-killed"],
)
def test_index_workers_write_what_one_index_writes(pg, full, reference, workers, killed, seed):
    rng = random.Random(seed)
    db = f"i{seed}"
    pg.sql("postgres", f"CREATE DATABASE {db}")
    url = pg.url(db)
    env = dict(os.environ)
    # Each directory held a while, so that a worker is killed while it holds one.
    env["SIQACO_INDEX_GROUP_DELAY_MS"] = "150" if killed else "20"
    procs = [index(full, url, env) for _ in range(workers)]
    victim = rng.randrange(workers) if killed else None
    if victim is not None:
        pid = procs[victim].pid
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "the worker to kill never held a directory"
            assert procs[victim].poll() is None, procs[victim].communicate()[1].decode()
            held = pg.sql(db, "SELECT count(*) FROM siqaco_index_groups "
                              f"WHERE state='in_progress' AND holder LIKE '%:{pid}:%'") \
                if pg.sql(db, "SELECT to_regclass('siqaco_index_groups') IS NOT NULL") == "t" else "0"
            if held != "0":
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.1))
        procs[victim].send_signal(signal.SIGKILL)
    read = 0
    for i, p in enumerate(procs):
        _, err = p.communicate(timeout=300)
        if i == victim:
            assert p.returncode == -signal.SIGKILL
            continue
        assert p.returncode == 0, (i, err.decode())
        read += files_read(err)

    want_tables, want_stats = reference
    got = tables(pg, db)
    assert len(got["tsindex"].splitlines()) >= 40 and len(got["siqaco_day_stats"].splitlines()) >= 40
    for name in TABLES:
        assert got[name] == want_tables[name], name
    assert stats_json(url) == want_stats

    n_files = len(day_files(full))
    groups = [r.split("|") for r in pg.sql(
        db, "SELECT grp,state,coalesce(holder,''),claims,files FROM siqaco_index_groups ORDER BY grp"
    ).splitlines()]
    dirs = sorted({str(f.parent.resolve()) for f in day_files(full)})
    assert [g[0] for g in groups] == dirs
    for grp, state, holder, claims, files in groups:
        # Each directory's two day files written once, by one holder's commit.
        assert (state, holder, files) == ("done", "", "2"), (grp, state, holder, claims, files)
        assert int(claims) >= 1
    if killed:
        # The victim's directory was claimed again (taken over) and still written once.
        assert any(int(g[3]) >= 2 for g in groups), groups
        assert read <= n_files
    else:
        assert read == n_files
    assert pg.sql(db, "SELECT count(*) FROM siqaco_workers") == "0"

    # Nothing left to read.
    p = index(full, url)
    _, err = p.communicate()
    assert p.returncode == 0, err.decode()
    assert files_read(err) == 0
    assert tables(pg, db) == got
