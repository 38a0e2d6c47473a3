"""siqaco.read with one thread and with several: the same arrays, and in them every
record's samples as libmseed (through pymseed) decodes the record alone.

The read decodes records in parallel straight into one buffer per trace (docs/benchmarks.md,
"Reading samples"); these tests check that where a record lands does not depend on the
threads, and that a window cutting records inside gives the full read's samples.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pymseed = pytest.importorskip("pymseed")

CHILD = r"""
import sys
import numpy as np
import siqaco
def when(a):
    return np.datetime64(int(a[3:]), "ns") if a.startswith("ns:") else (a or None)
start = when(sys.argv[3])
end = when(sys.argv[4])
segs = siqaco.read(sys.argv[1], start=start, end=end)
np.savez(sys.argv[2], **{
    f"{i:05d}|{s.nslc}|{s.start_ns}|{s.sample_rate_hz!r}": s.data for i, s in enumerate(segs)
})
"""


def _read(root: Path, threads: int, out: Path, start: str = "", end: str = ""):
    """siqaco.read in a child process whose rayon pool has `threads` threads: [(nslc,
    start_ns, rate, array)] in siqaco's order."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-c", CHILD, str(root), str(out), start, end],
                   check=True, env=env)
    with np.load(out) as z:
        segs = []
        for key in sorted(z.files):
            _, nslc, start_ns, rate = key.split("|")
            segs.append((nslc, int(start_ns), float(rate), z[key]))
    return segs


def _same(a, b) -> None:
    assert [s[:3] for s in a] == [s[:3] for s in b]
    for x, y in zip(a, b):
        assert x[3].dtype == y[3].dtype, x[:3]
        assert np.array_equal(x[3], y[3]), x[:3]


def test_read_threads_equal_and_records_in_place(sds_small: Path, tmp_path: Path) -> None:
    one = _read(sds_small, 1, tmp_path / "one.npz")
    many = _read(sds_small, 4, tmp_path / "many.npz")
    _same(one, many)
    by_stream: dict[str, list] = {}
    for nslc, start_ns, rate, data in one:
        by_stream.setdefault(nslc, []).append((start_ns, rate, data))
    checked = 0
    for f in sorted(p for p in sds_small.rglob("*") if p.is_file()):
        for r in pymseed.MS3Record.from_file(str(f), unpack_data=True):
            if r.samprate <= 0 or r.samplecnt == 0 or r.encoding == 0:
                continue
            nslc = ".".join(pymseed.sourceid2nslc(r.sourceid))
            theirs = np.asarray(r.np_datasamples)
            found = False
            for start_ns, rate, data in by_stream.get(nslc, []):
                k = round((r.starttime - start_ns) * rate / 1e9)
                if k < 0 or k + len(theirs) > len(data) or data.dtype != theirs.dtype:
                    continue
                if np.array_equal(data[k:k + len(theirs)], theirs):
                    found = True
                    break
            assert found, f"{f}: record at {r.starttime} of {nslc}"
            checked += 1
    assert checked > 1000


def test_read_window_cuts_records_as_the_full_read(sds_small: Path, tmp_path: Path) -> None:
    full = _read(sds_small, 1, tmp_path / "full.npz")
    # A window inside the longest segment whose edges fall between samples, so that the
    # records at both edges are cut.
    nslc0, s0, rate0, d0 = max(full, key=lambda s: len(s[3]))
    period = 1e9 / rate0
    t0 = s0 + int((len(d0) // 3 + 0.37) * period)
    t1 = s0 + int((2 * len(d0) // 3 + 0.41) * period)
    for threads in (1, 4):
        cut = _read(sds_small, threads, tmp_path / f"cut{threads}.npz", f"ns:{t0}", f"ns:{t1}")
        assert any(s[0] == nslc0 for s in cut)
        for nslc, start_ns, rate, data in cut:
            assert t0 <= start_ns < t1
            ok = False
            for fn, fs, _, fd in full:
                k = round((start_ns - fs) * rate / 1e9)
                if fn == nslc and fd.dtype == data.dtype and 0 <= k and k + len(data) <= len(fd):
                    ok = ok or np.array_equal(fd[k:k + len(data)], data)
            assert ok, (nslc, start_ns)
