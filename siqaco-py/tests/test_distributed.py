"""siqaco.distributed on a Dask LocalCluster of two worker processes: scan, read, qc and index
give exactly the single-machine result (equal JSON documents, equal samples, equal catalogue
rows) on the real archive sds-small and on a small make-bench-archive archive (gaps,
overlaps, duplicated records, day files running past midnight), with one file per partition
(the most combining) and with the default partitions; a worker killed while it holds
partial results does not change the result."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
from contextlib import closing
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

import siqaco

pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed (siqaco[dask])")
import siqaco.distributed as sd  # noqa: E402

MAKE_BENCH_ARCHIVE = Path(
    os.environ.get("SIQACO_MAKE_BENCH_ARCHIVE", Path(__file__).resolve().parents[2] / "tools" / "make-bench-archive")
)


@pytest.fixture(scope="module")
def bench_archive(tmp_path_factory) -> Path:
    """A make-bench-archive archive of 27 day files (3 stations × 3 channels × 3 days)."""
    out = tmp_path_factory.mktemp("bench") / "arch"
    subprocess.run(
        [sys.executable, str(MAKE_BENCH_ARCHIVE), "--stations", "3", "--days", "3",
         "--sample-rate", "5", "--gap-rate", "2", "--overlap-rate", "1",
         "--duplicate-rate", "0.5", "--seed", "7", "--quiet", str(out)],
        check=True,
    )
    assert len([p for p in out.rglob("*") if p.is_file()]) == 27
    return out


@pytest.fixture(params=["sds-small", "bench"])
def archive(request, sds_small: Path) -> Path:
    if request.param == "sds-small":
        return sds_small
    return request.getfixturevalue("bench_archive")


def test_scan_equals_the_single_machine_scan(client, archive):
    single = siqaco.scan(archive).to_dict()
    assert single["streams"]
    for partition_files in (1, None, sd.PARTITION_FILES):
        assert sd.scan(client, archive, partition_files=partition_files).to_dict() == single
    # keyword arguments of siqaco.scan: selection, window, tolerance, gap filter
    kwargs: Dict[str, Any] = dict(select=["*.*.*.?H?", "BW.*"], start="2007-12-31", end="2024-01-02",
                                  per_day=False, tolerance=0.1, min_gap=0.5)
    assert sd.scan(client, archive, partition_files=2, **kwargs).to_dict() == siqaco.scan(archive, **kwargs).to_dict()


def test_default_partitions_keep_every_worker_busy(client, sds_small):
    """Without partition_files: at most PARTITION_FILES files a task, and TASKS_PER_THREAD
    tasks per thread of the cluster when the archive has the files (sds-small: 37 files,
    fewer than PARTITION_FILES, so one task with the fixed size)."""
    from siqaco import _siqaco

    job = _siqaco.scan(**siqaco._scan_native(sd._arguments(siqaco.scan, (sds_small,), {})))
    files = sum(1 for p in sds_small.rglob("*") if p.is_file())
    tasks = sd.TASKS_PER_THREAD * sum(client.nthreads().values())
    fixed = job.plan(sd.PARTITION_FILES)[1]
    auto = job.plan(sd.PARTITION_FILES, tasks)[1]
    station_days = job.plan(1)[1]
    assert files == 37 and len(fixed) == 1 and len(station_days) > len(auto) > 1
    # The partitions of at least files / tasks files (rounded up), whole station-days.
    assert auto == job.plan(-(-files // tasks))[1]


def test_scan_refuses_what_scan_refuses(client, sds_small):
    with pytest.raises(siqaco.InvalidArgumentError, match="partition_files"):
        sd.scan(client, sds_small, partition_files=0)
    with pytest.raises(TypeError):
        sd.scan(client, sds_small, no_such_argument=1)
    with pytest.raises(TypeError, match="progress"):
        sd.scan(client, sds_small, progress=print)


def _same_segments(a: List[siqaco.Segment], b: List[siqaco.Segment]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x.nslc, x.start_ns, x.sample_rate_hz) == (y.nslc, y.start_ns, y.sample_rate_hz)
        assert x.data.dtype == y.data.dtype
        assert (x.data == y.data).all()


def test_read_equals_the_single_machine_read(client, archive):
    single = siqaco.read(archive)
    assert sum(len(s.data) for s in single) > 1000
    _same_segments(sd.read(client, archive, partition_files=1), single)
    window = dict(start="2023-12-30T12:00:00", end="2024-01-01T01:00:00")
    _same_segments(sd.read(client, archive, partition_files=3, **window), siqaco.read(archive, **window))


def test_qc_equals_the_single_machine_qc(client, archive, data_dir):
    meta = data_dir / "stationxml"
    rules = dict(record_length=512, encoding=11)
    single = siqaco.qc(archive, meta, **rules).to_dict()
    assert single["findings"]
    assert sd.qc(client, archive, meta, partition_files=1, **rules).to_dict() == single


# Catalogue columns left out of the comparison: when the run happened, not what it found
# (tsindex.updated and .scanned, tsindex_summary.updated, siqaco_files.scanned).
TABLES = {
    "tsindex": "network, station, location, channel, quality, version, starttime, endtime, samplerate, "
    "filename, byteoffset, bytes, hash, timeindex, timespans, timerates, format, filemodtime",
    "tsindex_summary": "network, station, location, channel, earliest, latest",
    "siqaco_files": "id, path, filename, rel_path, size_bytes, mtime_ns, records, errors",
    "siqaco_file_streams": "*",
    "siqaco_spans": "*",
    "siqaco_day_stats": "*",
    "siqaco_dirty": "*",
}


def _rows(db: Path) -> Dict[str, list]:
    with closing(sqlite3.connect(db)) as c:
        return {t: sorted(c.execute(f"SELECT {cols} FROM {t}").fetchall(), key=repr) for t, cols in TABLES.items()}


def test_index_writes_the_single_machine_catalogue(client, archive, tmp_path):
    single_db, dist_db = tmp_path / "single.sqlite", tmp_path / "dist.sqlite"
    single = siqaco.index(archive, single_db)
    report = sd.index(client, archive, dist_db, partition_files=1)
    assert report.to_dict() == single.to_dict()
    a, b = _rows(single_db), _rows(dist_db)
    assert len(a["tsindex"]) >= single.files_indexed > 0
    assert a == b
    # Incremental, as siqaco.index: nothing changed, nothing read; then one file removed
    # and one rewritten.
    assert sd.index(client, archive, dist_db).to_dict() == siqaco.index(archive, single_db).to_dict()
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    assert sd.index(client, copy, dist_db).to_dict() == siqaco.index(copy, single_db).to_dict()
    files = sorted(p for p in copy.rglob("*") if p.is_file())
    files[0].unlink()
    files[-1].write_bytes(files[-1].read_bytes()[:512])
    report = sd.index(client, copy, dist_db, partition_files=2)
    assert report.to_dict() == siqaco.index(copy, single_db).to_dict()
    assert (report.files_removed, report.files_indexed) == (1, 1)
    assert _rows(single_db) == _rows(dist_db)


def test_a_worker_killed_holding_partials_changes_nothing(client, bench_archive, monkeypatch):
    """The partials are computed, then the worker holding some of them is killed (SIGKILL)
    before they are gathered: Dask computes them again and the result is still exact."""
    single = siqaco.scan(bench_archive).to_dict()
    gather = sd._gather
    killed: List[int] = []

    def kill_then_gather(c, futures):
        c.wait_for_workers(2)
        from dask.distributed import wait

        wait(futures)
        holders = {w for ws in c.who_has(futures).values() for w in ws}
        victim = sorted(holders)[0]
        pid = c.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
        return gather(c, futures)

    monkeypatch.setattr(sd, "_gather", kill_then_gather)
    assert sd.scan(client, bench_archive, partition_files=1).to_dict() == single
    assert len(killed) == 1
    monkeypatch.setattr(sd, "_gather", gather)
    client.wait_for_workers(2)
    assert os.getpid() not in killed
