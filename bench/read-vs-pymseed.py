#!/usr/bin/env python3
"""Benchmark: reading samples. `siqaco.read` (Python, numpy arrays) and the Rust read
(`siqaco::read::read_paths`, the example `read_files`), each with one thread and with two,
against pymseed's trace list (`MS3TraceList.add_file(..., unpack_data=True)`: libmseed's own
reader, in C) and ObsPy's `read`, all in the same run on the same files. Not a test.

Usage:
  .venv/bin/python bench/read-vs-pymseed.py [--python PY] [--rust-read PATH]
      [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Six day files of 100 Hz Steim2 (2 stations x 3 channels x 1 day, 512-byte records, real
samples tiled, about 100 MB and 51.8 M samples) are made with make-bench-archive under the
work directory; no gaps, overlaps or duplicate records, so that every tool's segments of a
stream, put end to end in time order, are the same array and can be compared one to one
(reads with gaps and overlaps are checked against ObsPy and pymseed by the tests).
`--python` is the Python whose `siqaco` is timed (build a wheel with `maturin build
--release`; default: this Python); `--rust-read` the example binary (default
target/release/examples/read_files of this checkout: `cargo build --release -p siqaco-core
--example read_files`; without it the Rust rows are left out, and said so).

Each read runs in a fresh child process, the tools alternating (bench/_bench.py: a sync and
a pause before each run), warm (files read once before) and, where the page cache can be
dropped, cold. A child reports the wall time of the read alone, its resident memory before
the read and its peak, and per stream a checksum of the samples in time order (count, sum
and position-weighted sum modulo 2^64; the Python readers also a SHA-256); the benchmark
stops when a tool disagrees with pymseed on any stream. Printed: a Markdown table with
medians and min–max, the extra memory of the read (peak − before) against the samples'
size (as int32), and the speed relative to pymseed.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, stat, timed  # noqa: E402

CHILD = r"""
import hashlib, json, os, resource, sys, time
import numpy as np
tool, files = sys.argv[1], sys.argv[2:]

def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

if tool == "siqaco":
    import siqaco
elif tool == "pymseed":
    import pymseed
else:
    import obspy
before = rss_kb()
t0 = time.perf_counter()
if tool == "siqaco":
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
digests, sums, samples, nbytes = {}, {}, 0, 0
M = (1 << 64) - 1
for nslc, start, data in sorted(segs, key=lambda s: (s[0], s[1])):
    h = digests.setdefault(nslc, hashlib.sha256())
    a = np.ascontiguousarray(data, dtype=np.int32)
    h.update(a.tobytes())
    c = sums.setdefault(nslc, [0, 0, 0])
    for at in range(0, len(a), 1 << 20):
        x = a[at:at + (1 << 20)].astype(np.int64).astype(np.uint64)
        i = np.arange(c[0] + 1, c[0] + 1 + len(x), dtype=np.uint64)
        c[1] = (c[1] + int(x.sum(dtype=np.uint64))) & M
        c[2] = (c[2] + int((i * x).sum(dtype=np.uint64))) & M
        c[0] += len(x)
    samples += len(a)
    nbytes += data.nbytes
print(json.dumps({"peak_kb": peak, "before_kb": before, "samples": samples, "bytes": nbytes,
                  "sums": sums, "digests": {k: v.hexdigest() for k, v in digests.items()}}))
print(seconds)
"""


def make_files(s: _bench.Session) -> list[str]:
    arch = s.bench_archive("read", "--stations", "2", "--days", "1", *_bench.STANDARD,
                           "--gap-rate", "0", "--overlap-rate", "0", "--duplicate-rate", "0",
                           use_given=False)
    files = sorted(str(p) for p in arch.rglob("*.D.*") if p.is_file())
    if len(files) != 6:
        sys.exit(f"expected 6 day files, made {len(files)}")
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common(ap)
    ap.add_argument("--python", default=sys.executable,
                    help="the Python whose siqaco, pymseed and ObsPy are timed")
    ap.add_argument("--rust-read", type=Path,
                    default=_bench.ROOT / "target" / "release" / "examples" / "read_files",
                    help="the example binary read_files (the Rust read)")
    ap.add_argument("--make-bench-archive", type=Path, help="the generator (default: "
                    "tools/make-bench-archive of this checkout)")
    a = ap.parse_args()
    with _bench.Session("read-vs-pymseed", a, needs_siqaco=False) as s:
        files = make_files(s)
        size = sum(os.path.getsize(f) for f in files)
        docs: dict[str, list[dict]] = {}

        def python(tool: str, threads: str | None):
            env = dict(os.environ, **({"RAYON_NUM_THREADS": threads} if threads else {}))
            return lambda: timed([a.python, "-c", CHILD, tool, *files], inner=True, env=env)

        def rust(threads: str):
            env = dict(os.environ, RAYON_NUM_THREADS=threads)

            def run():
                r = timed([str(a.rust_read), *files], env=env)
                r.seconds = json.loads(r.stdout)["seconds"]
                return r
            return run

        def keep(name: str):
            def after(r, rep: int) -> None:
                docs.setdefault(name, []).append(json.loads(r.stdout.splitlines()[0]))
            return after

        jobs = [Job("pymseed trace list", python("pymseed", None), after=keep("pymseed trace list")),
                Job("siqaco.read, 1 thread", python("siqaco", "1"), after=keep("siqaco.read, 1 thread")),
                Job("siqaco.read, 2 threads", python("siqaco", "2"), after=keep("siqaco.read, 2 threads"))]
        if a.rust_read.is_file():
            jobs += [Job("Rust read, 1 thread", rust("1"), after=keep("Rust read, 1 thread")),
                     Job("Rust read, 2 threads", rust("2"), after=keep("Rust read, 2 threads"))]
            rust_note = ""
        else:
            rust_note = (f"\nNo Rust rows: {a.rust_read} not found (cargo build --release -p "
                         "siqaco-core --example read_files).\n")
        jobs.append(Job("ObsPy read", python("obspy", None), after=keep("ObsPy read")))
        res = s.warm_and_cold(jobs, warmup=lambda: _bench.warm(files))
        ref = docs["pymseed trace list"][0]
        for name, ds in docs.items():
            for d in ds:
                if d["samples"] != ref["samples"] or d["sums"] != ref["sums"]:
                    _bench.disagree(f"{name} read other samples than pymseed")
                if "digests" in d and d["digests"] != ref["digests"]:
                    _bench.disagree(f"{name} read other samples than pymseed (SHA-256)")
        print(f"{len(files)} files, {size / 1e6:.1f} MB, {ref['samples']:,} samples "
              f"({ref['bytes'] / 1e6:.1f} MB as int32), {a.reps} runs each; every reader "
              "read the same samples as pymseed\n")
        s.results["files_MB"] = size / 1e6
        s.results["samples"] = ref["samples"]
        for cache, runs in res.items():
            pym = stat(runs["pymseed trace list"]).median
            rows = []
            for name, rs in runs.items():
                st = stat(rs)
                mine = docs[name][-len(rs):] if cache == "cold" else docs[name][:len(rs)]
                extra = sorted((d["peak_kb"] - d["before_kb"]) * 1024 for d in mine)[len(mine) // 2]
                rows.append([name, st.cell(), f"{pym / st.median:.2f}", f"{extra / 1e6:.0f}",
                             f"{extra / ref['bytes']:.2f}"])
                s.results.setdefault(cache, {})[name] = {**st.as_dict(), "extra_MB": extra / 1e6}
            print(f"{cache.capitalize()} cache:\n")
            print(_bench.table(["reader", "median s (min–max)", "speed × pymseed",
                                "extra memory MB (peak − before)", "× samples' size"], rows))
            print()
        print(rust_note + s.cold_line())


if __name__ == "__main__":
    main()
