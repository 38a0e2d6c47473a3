"""Long calls release the GIL: other Python threads run, and two scans overlap in time."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

import siqaco


def _workload(data_dir: Path) -> list[Path]:
    files = sorted((data_dir / "mseed").glob("*.mseed"))
    return files * 40


def _timed_scan(paths: list[Path], out: list) -> None:
    t0 = time.perf_counter()
    siqaco.scan(paths, threads=1)
    out.append((t0, time.perf_counter()))


def test_two_threads_scan_in_parallel(data_dir: Path) -> None:
    paths = _workload(data_dir)
    single: list = []
    _timed_scan(paths, single)
    alone = single[0][1] - single[0][0]
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
    paths = _workload(data_dir)
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


def test_ctrl_c_stops_a_scan(data_dir: Path, request: pytest.FixtureRequest) -> None:
    import _thread

    # A workload long enough (at least 2 s uninterrupted) that the interrupt at 0.2 s
    # lands inside the scan whatever the machine's speed or load. Each size is timed twice
    # and the faster run counts: on a fresh machine the first run reads the files from
    # disk and can take seconds that a second, cached run does not.
    paths = _workload(data_dir) * 10

    def timed() -> float:
        t0 = time.perf_counter()
        siqaco.scan(paths, threads=1)
        return time.perf_counter() - t0

    while True:
        full = min(timed(), timed())
        if full >= 2.0:
            break
        paths = paths * max(2, int(2.0 / max(full, 0.01)) + 1)
    # Python raises KeyboardInterrupt only where it handles SIGINT itself: a test run
    # started in the background by a non-interactive shell inherits SIGINT ignored, and
    # `interrupt_main` then does nothing. Install Python's handler for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    timer = threading.Timer(0.2, _thread.interrupt_main)  # as if Ctrl-C were pressed
    t0 = time.perf_counter()
    timer.start()
    try:
        siqaco.scan(paths, threads=1)
    except KeyboardInterrupt:
        pass
    else:
        pytest.fail(
            f"a scan timed at {full:.2f} s ended after {time.perf_counter() - t0:.2f} s "
            "without KeyboardInterrupt"
        )
    interrupted = time.perf_counter() - t0
    timer.join()
    assert interrupted < 0.5 * full, (interrupted, full)
