#!/usr/bin/env python3
"""Benchmark: reading samples into numpy arrays. `siqaco.read` with one thread and with
two, against pymseed's trace list (`MS3TraceList.add_file(..., unpack_data=True)`:
libmseed's own reader) and ObsPy's `read`, all in the same run on the same files. Not a
test.

Usage:
  .venv/bin/python bench/read-vs-pymseed.py [--dir DIR] [--reps 5] [--python PY]

Six day files of 100 Hz Steim2 (2 stations x 3 channels x 1 day, 512-byte records, real
samples tiled, about 100 MB and 51.8 M samples) are made with make-bench-archive under
DIR (default: a temporary directory, deleted at the end); no gaps, overlaps or duplicate
records, so that every tool's segments of a stream, put end to end in time order, are the
same array and can be compared one to one (reads with gaps and overlaps are checked
against ObsPy and pymseed by the tests). `--python` is the Python whose `siqaco` is timed
(build it with `maturin build --release`; default: this Python).

Each read runs in a fresh child process (page cache warm after the first round), the tools
alternating and their order rotated every round, `--reps` rounds. A child reports the wall
time of the read alone, its peak resident memory (`getrusage`) and its resident memory
before the read, and a SHA-256 per stream of the samples in time order; the script stops
when two tools disagree on any stream. Printed: a Markdown table with medians and
min–max, the extra memory of the read (peak − before) against the samples' size, and the
ratios to pymseed.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import hashlib, json, os, resource, sys, time
import numpy as np
tool, files = sys.argv[1], sys.argv[2:]

def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

if tool.startswith("siqaco"):
    import siqaco
elif tool == "pymseed":
    import pymseed
else:
    import obspy
before = rss_kb()
t0 = time.perf_counter()
if tool.startswith("siqaco"):
    segs = [(s.nslc, s.start_ns, s.data) for s in siqaco.read(files)]
elif tool == "pymseed":
    tl = pymseed.MS3TraceList()
    for f in files:
        tl.add_file(f, unpack_data=True)
    segs = []
    for tid in tl:
        n = ".".join(pymseed.sourceid2nslc(tid.sourceid))
        for seg in tid:
            segs.append((n, seg.starttime, seg.np_datasamples))
else:
    st = obspy.Stream()
    for f in files:
        st += obspy.read(f, format="MSEED")
    segs = [(tr.id, tr.stats.starttime.ns, tr.data) for tr in st]
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
digests, samples, nbytes = {}, 0, 0
for nslc, start, data in sorted(segs, key=lambda s: (s[0], s[1])):
    h = digests.setdefault(nslc, hashlib.sha256())
    a = np.ascontiguousarray(data, dtype=np.int32)
    h.update(a.tobytes())
    samples += len(a)
    nbytes += data.nbytes
print(json.dumps({"seconds": seconds, "peak_kb": peak, "before_kb": before,
                  "samples": samples, "bytes": nbytes,
                  "digests": {k: v.hexdigest() for k, v in digests.items()}}))
"""

TOOLS = {
    "siqaco (1 thread)": ("siqaco", {"RAYON_NUM_THREADS": "1"}),
    "siqaco (2 threads)": ("siqaco", {"RAYON_NUM_THREADS": "2"}),
    "pymseed trace list": ("pymseed", {}),
    "ObsPy read": ("obspy", {}),
}


def make_files(out: Path, generator: Path, python: str) -> list[str]:
    arch = out / "arch"
    subprocess.run(
        [python, str(generator), "--stations", "2", "--days", "1", "--sample-rate", "100",
         "--record-length", "512", "--encoding", "STEIM2", "--gap-rate", "0",
         "--overlap-rate", "0", "--duplicate-rate", "0", "--seed", "1", "--jobs", "2",
         "--quiet", str(arch)],
        check=True)
    files = sorted(str(p) for p in arch.rglob("*.D.*") if p.is_file())
    if len(files) != 6:
        sys.exit(f"expected 6 day files, made {len(files)}")
    return files


def run(python: str, tool: str, env: dict, files: list[str]) -> dict:
    p = subprocess.run([python, "-c", CHILD, tool, *files], capture_output=True, text=True,
                       env=dict(os.environ, **env), check=False)
    if p.returncode != 0:
        sys.exit(f"{tool}: {p.stderr}")
    return json.loads(p.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, help="where the files are made (default: a temp dir)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--python", default=sys.executable,
                    help="the Python whose siqaco, pymseed and ObsPy are timed")
    ap.add_argument("--make-bench-archive", type=Path,
                    default=Path(os.environ.get(
                        "SIQACO_MAKE_BENCH_ARCHIVE",
                        ROOT / "tools" / "make-bench-archive")))
    a = ap.parse_args()
    tmp = None
    if a.dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="read-vs-pymseed-"))
        out = tmp
    else:
        out = a.dir
        out.mkdir(parents=True, exist_ok=True)
    try:
        files = make_files(out, a.make_bench_archive, a.python)
        size = sum(os.path.getsize(f) for f in files)
        results: dict[str, list[dict]] = {t: [] for t in TOOLS}
        names = list(TOOLS)
        for rep in range(a.reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                tool, env = TOOLS[name]
                results[name].append(run(a.python, tool, env, files))
        ref = results["pymseed trace list"][0]
        for name, rs in results.items():
            for r in rs:
                if r["digests"] != ref["digests"] or r["samples"] != ref["samples"]:
                    sys.exit(f"{name} read other samples than pymseed: stopping")
        print(f"{len(files)} files, {size / 1e6:.1f} MB, {ref['samples']:,} samples "
              f"({ref['bytes'] / 1e6:.1f} MB as int32), {a.reps} runs each, "
              f"load average {os.getloadavg()[0]:.1f}; every tool read the same samples\n")
        print("| reader | median s | min–max s | speed × pymseed | extra memory MB "
              "(peak − before) | × samples' size |")
        print("|---|---|---|---|---|---|")
        pym = statistics.median(r["seconds"] for r in results["pymseed trace list"])
        for name, rs in results.items():
            s = [r["seconds"] for r in rs]
            extra = statistics.median((r["peak_kb"] - r["before_kb"]) * 1024 for r in rs)
            print(f"| {name} | {statistics.median(s):.3f} | {min(s):.3f}–{max(s):.3f} | "
                  f"{pym / statistics.median(s):.2f} | {extra / 1e6:.0f} | "
                  f"{extra / ref['bytes']:.2f} |")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
