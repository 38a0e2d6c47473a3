"""Long calls release the GIL: other Python threads run, two scans overlap in time, and
Ctrl-C stops a scan, a read, an index run and a QC run part-way (the catalogue of an
interrupted index run stays consistent)."""

from __future__ import annotations

import functools
import itertools
import os
import signal
import subprocess
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

import pytest

import siqaco
from helpers import gate_refused
import helpers


def _workload(data_dir: Path) -> list[Path]:
    files = sorted((data_dir / "mseed").glob("*.mseed"))
    return files * 40


def _timed_scan(paths: list[Path], out: list) -> None:
    t0 = time.perf_counter()
    siqaco.scan(paths, threads=1)
    out.append((t0, time.perf_counter()))


def _measurable_workload(data_dir: Path) -> tuple[list[Path], float]:
    """`_workload()` repeated until one single-thread scan of it takes over 0.2 s (the
    scan is fast enough that a fixed list is too small on a fast machine), and that time."""
    paths = _workload(data_dir)
    for _ in range(8):
        single: list = []
        _timed_scan(paths, single)
        alone = single[0][1] - single[0][0]
        if alone > 0.2:
            break
        paths = paths * 2
    return paths, alone


def test_two_threads_scan_in_parallel(data_dir: Path) -> None:
    paths, alone = _measurable_workload(data_dir)
    assert alone > 0.1, f"workload too small to measure ({alone:.3f} s)"
    spans: list = []
    threads = [threading.Thread(target=_timed_scan, args=(paths, spans)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (a0, a1), (b0, b1) = sorted(spans)
    overlap = min(a1, b1) - max(a0, b0)
    # With the GIL held the second call could only start after the first returned.
    assert overlap > 0.5 * min(a1 - a0, b1 - b0), (spans, alone)


def test_python_thread_runs_during_a_call(data_dir: Path) -> None:
    paths, _ = _measurable_workload(data_dir)
    ticks = 0
    stop = False

    def count() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        before = ticks
        t0 = time.perf_counter()
        siqaco.scan(paths, threads=1)
        elapsed = time.perf_counter() - t0
        during = ticks - before
    finally:
        stop = True
        t.join()
    assert during > 0.3 * elapsed / 0.0011, (during, elapsed)


# --- Ctrl-C --------------------------------------------------------------------------
#
# Each test calibrates a workload long enough (at least 2 s uninterrupted) that the
# interrupt at 0.2 s lands inside the call whatever the machine's speed or load, then
# presses Ctrl-C during the call and expects KeyboardInterrupt, raised by the call, well
# before the call would have ended.

INTERRUPT_AFTER_S = 0.2
MIN_FULL_S = 2.0


def _calibrate(workload: Callable[[int], Callable[[], object]], size: int) -> tuple[Callable[[], object], float]:
    """``workload(size)`` prepares a workload (untimed) and returns the call to run on it.
    Returns the call of the first size (from ``size``, grown) that takes at least
    MIN_FULL_S, and its time. Each size is timed twice and the faster run counts: on a
    fresh machine the first run reads the files from disk and can take seconds that a
    second, cached run does not."""

    def timed(call: Callable[[], object]) -> float:
        t0 = time.perf_counter()
        call()
        return time.perf_counter() - t0

    while True:
        call = workload(size)
        full = min(timed(call), timed(call))
        if full >= MIN_FULL_S:
            return call, full
        size *= max(2, int(MIN_FULL_S / max(full, 0.01)) + 1)


def _ctrl_c_during(request: pytest.FixtureRequest, call: Callable[[], object], full: float) -> None:
    """Runs ``call`` with Ctrl-C pressed after INTERRUPT_AFTER_S; asserts that the siqaco
    function it calls raises KeyboardInterrupt before half of ``full`` (its uninterrupted
    time)."""
    import _thread

    # Python raises KeyboardInterrupt only where it handles SIGINT itself: a test run
    # started in the background by a non-interactive shell inherits SIGINT ignored, and
    # `interrupt_main` then does nothing. Install Python's handler for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    timer = threading.Timer(INTERRUPT_AFTER_S, _thread.interrupt_main)  # as if Ctrl-C were pressed
    t0 = time.perf_counter()
    timer.start()
    try:
        call()
    except KeyboardInterrupt as e:
        # Raised by the native call, not by Python code around it.
        where = traceback.extract_tb(e.__traceback__)[-1]
        assert Path(where.filename) == Path(siqaco.__file__), where
    else:
        pytest.fail(
            f"a call timed at {full:.2f} s ended after {time.perf_counter() - t0:.2f} s "
            "without KeyboardInterrupt"
        )
    interrupted = time.perf_counter() - t0
    timer.join()
    assert interrupted < 0.5 * full, (interrupted, full)


def _sds_workload(sds_small: Path, root: Path, copies: int) -> Path:
    """An SDS archive under ``root`` holding every day file of sds-small ``copies`` times,
    as hard links named for other days (and years): day k of copy k. Grows in place."""
    for f in sorted(p for p in sds_small.rglob("*") if p.is_file()):
        rel = f.relative_to(sds_small)
        stem, year, _day = rel.name.rsplit(".", 2)
        for k in range(copies):
            y = int(year) + 100 + k // 365
            dst = root / str(y) / Path(*rel.parts[1:-1]) / f"{stem}.{y}.{k % 365 + 1:03d}"
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.link(f, dst)
    return root


def test_ctrl_c_stops_a_scan(data_dir: Path, request: pytest.FixtureRequest) -> None:
    files = _workload(data_dir)
    call, full = _calibrate(lambda n: functools.partial(siqaco.scan, files * n, threads=1), 10)
    _ctrl_c_during(request, call, full)


def test_ctrl_c_stops_a_read(data_dir: Path, request: pytest.FixtureRequest) -> None:
    refused = gate_refused()
    files = sorted(f for f in (data_dir / "mseed").glob("*.mseed") if f.name not in refused)
    call, full = _calibrate(lambda n: functools.partial(siqaco.read, files * n), 2)
    _ctrl_c_during(request, call, full)


def test_ctrl_c_stops_a_qc(sds_small: Path, data_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    metadata = data_dir / "stationxml" / "obspy-core__ffbx.stationxml"
    root = tmp_path / "sds"
    call, full = _calibrate(
        lambda n: functools.partial(siqaco.qc, _sds_workload(sds_small, root, n), metadata, threads=1), 8
    )
    _ctrl_c_during(request, call, full)


def test_ctrl_c_stops_a_merge_before_any_file_is_replaced(
    sds_small: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # The patch: every record of sds-small n times over (hard links under other names),
    # merged into an empty archive; calibrated as a dry run.
    patch, into = tmp_path / "patch", tmp_path / "into"
    call, full = _calibrate(
        lambda n: functools.partial(siqaco.merge, into, [_sds_workload(sds_small, patch, n)], dry_run=True), 4
    )
    _ctrl_c_during(request, functools.partial(siqaco.merge, into, [patch]), full)
    left = [p for p in into.rglob("*") if p.name != ".siqaco-update.lock"] if into.exists() else []
    assert all(p.is_dir() for p in left), left  # no day file, no journal, no staged file (the lock file stays)


def _catalogue(db: Path) -> dict:
    """The content of a catalogue, without ids and the times of the run."""
    q = lambda sql: helpers.query(db, sql)  # noqa: E731
    return {
        "tsindex": q(
            "SELECT network,station,location,channel,quality,version,starttime,endtime,samplerate,"
            "filename,byteoffset,bytes,hash,timeindex,timespans,timerates,format,filemodtime "
            "FROM tsindex ORDER BY filename, byteoffset"
        ),
        "summary": q("SELECT network,station,location,channel,earliest,latest FROM tsindex_summary ORDER BY 1,2,3,4"),
        "files": q("SELECT path,filename,rel_path,size_bytes,mtime_ns,records,errors FROM siqaco_files ORDER BY path"),
        "streams": q(
            "SELECT f.path,s.network,s.station,s.location,s.channel,s.records FROM siqaco_file_streams s "
            "JOIN siqaco_files f ON f.id=s.file_id ORDER BY 1,2,3,4,5"
        ),
        "spans": q(
            "SELECT f.path,s.network,s.station,s.location,s.channel,s.start_ns,s.last_sample_ns,s.end_ns,"
            "s.sample_rate_hz,s.samples FROM siqaco_spans s JOIN siqaco_files f ON f.id=s.file_id "
            "ORDER BY 1,2,3,4,5,6,7"
        ),
        "day_stats": q("SELECT * FROM siqaco_day_stats ORDER BY 1,2,3,4,5"),
        "dirty": q("SELECT * FROM siqaco_dirty"),
    }


def test_ctrl_c_stops_an_index_run_and_leaves_a_consistent_catalogue(
    sds_small: Path, tmp_path: Path, siqaco_bin: Path, request: pytest.FixtureRequest
) -> None:
    root = tmp_path / "sds"
    dbs = (tmp_path / f"calibration-{i}.sqlite" for i in itertools.count())

    def workload(copies: int) -> Callable[[], object]:
        _sds_workload(sds_small, root, copies)
        return lambda: siqaco.index(root, next(dbs), threads=1)  # each run from scratch

    _, full = _calibrate(workload, 8)
    run = functools.partial(siqaco.index, root, threads=1)
    db = tmp_path / "cat.sqlite"
    _ctrl_c_during(request, functools.partial(run, db), full)
    # What was written is consistent (every file with its rows, tsindex_summary up to date).
    indexed = helpers.query(db, "SELECT count(*) FROM siqaco_files")[0][0]
    check = subprocess.run([str(siqaco_bin), "db", "check", "--db", str(db)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # The next run indexes the rest (the run was stopped part-way); the catalogue then
    # equals a fresh one.
    again = run(db)
    assert again["files_unchanged"] == indexed < again["files_listed"]
    assert again["files_indexed"] == again["files_listed"] - indexed
    fresh = tmp_path / "fresh.sqlite"
    run(fresh)
    assert _catalogue(db) == _catalogue(fresh)
    assert _catalogue(db)["dirty"] == []
