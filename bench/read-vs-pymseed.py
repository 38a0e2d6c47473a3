#!/usr/bin/env python3
"""Benchmark: reading samples. `siqaco.read` (Python, numpy arrays), the Rust read
(`siqaco::read::read_paths`, the example `read_files`) and the C ABI's read
(`siqaco_archive_read` of libsiqaco, a small C program built here), each with one thread
and with two,
against pymseed's trace list (`MS3TraceList.add_file(..., unpack_data=True)`: libmseed's own
reader, in C) and ObsPy's `read`, all in the same run on the same files. Not a test.

Usage:
  .venv/bin/python bench/read-vs-pymseed.py [--python PY] [--rust-read PATH]
      [--c-prefix DIR] [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Six day files of 100 Hz Steim2 (2 stations x 3 channels x 1 day, 512-byte records, real
samples tiled, about 100 MB and 51.8 M samples) are made with make-bench-archive under the
work directory; no gaps, overlaps or duplicate records, so that every tool's segments of a
stream, put end to end in time order, are the same array and can be compared one to one
(reads with gaps and overlaps are checked against ObsPy and pymseed by the tests).
`--python` is the Python whose `siqaco` is timed (build a wheel with `maturin build
--release`; default: this Python); `--rust-read` the example binary (default
target/release/examples/read_files of this checkout: `cargo build --release -p siqaco-core
--example read_files`; without it the Rust rows are left out, and said so); `--c-prefix`
libsiqaco staged by `PROFILE=release scripts/build-c DIR` (default target/capi-release;
without it the C rows are left out, and said so). The C program times
`siqaco_archive_read` of the archive (its six day files; the samples stay in the handle, as
the arrays of the other readers stay in memory), then copies each segment out with
`siqaco_samples_copy_int32` into one reused buffer for the checksums, untimed.

Each read runs in a fresh child process, the tools alternating (bench/_bench.py: a sync and
a pause before each run), warm (files read once before) and, where the page cache can be
dropped, cold. A child reports the wall time of the read alone, its resident memory before
the read and its peak, and per stream a checksum of the samples in time order (count, sum
and position-weighted sum modulo 2^64; the Python readers also a SHA-256); the benchmark
stops when a tool disagrees with pymseed on any stream. Printed: a Markdown table with
medians and min–max, the extra memory of the read (peak − before) against the samples'
size (as int32), and the speed relative to pymseed.

The machine's floor for two cores: two pymseed processes started together (each waits,
after its imports, for a common instant), each on one station's three files; their time is
the later one's (a process whose imports end after the common instant stops the
benchmark, so the two always read at the same time). Their speed against one pymseed
process on all six files is what this machine gives two independent processes of
libmseed's reader (the kernel zeroing the sample pages, the memory bandwidth, the second
core's share of the host), printed beside the readers' 2-thread figures.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, stat, timed  # noqa: E402

FLOOR = "pymseed, 2 processes (3 files each)"

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
at = os.environ.get("BENCH_START_AT")  # the pair of processes of the machine's floor
if at:
    time.sleep(max(0.0, float(at) - time.time()))
    if time.time() - float(at) > 0.05:
        sys.exit("started late: the imports took longer than the pair's start delay")
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

C_CHILD = r"""
/* The C ABI's read of bench/read-vs-pymseed.py: prints the JSON line of read_files. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "siqaco.h"

static long status_kib(const char *field) {
  char line[256];
  long v = 0;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, strlen(field)) == 0) v = strtol(line + strlen(field), NULL, 10);
  fclose(f);
  return v;
}

int main(int argc, char **argv) {
  siqaco_archive *archive = NULL;
  siqaco_samples *samples = NULL;
  struct timespec t0, t1;
  size_t count = 0, cap = 0, total = 0;
  int32_t *buf = NULL;
  if (argc != 2 || siqaco_archive_open(argv[1], "sds", &archive) != SIQACO_STATUS_OK) return 1;
  long before = status_kib("VmRSS:");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (siqaco_archive_read(archive, NULL, SIQACO_TIME_UNSET, SIQACO_TIME_UNSET, &samples)
      != SIQACO_STATUS_OK) return 1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long peak = status_kib("VmHWM:");
  siqaco_samples_segment_count(samples, &count);
  printf("{\"seconds\": %.6f, \"before_kb\": %ld, \"peak_kb\": %ld, \"sums\": {",
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, before, peak);
  /* Segments are sorted by stream, then time: a stream's samples in time order. */
  char last[SIQACO_NSLC_CAPACITY] = "";
  uint64_t c[3] = {0, 0, 0};
  for (size_t i = 0; i <= count; i++) {
    siqaco_sample_segment seg;
    if (i < count && siqaco_samples_segment(samples, i, &seg) != SIQACO_STATUS_OK) return 1;
    if (last[0] && (i == count || strcmp(last, seg.nslc) != 0)) {
      printf("\"%s\": [%" PRIu64 ", %" PRIu64 ", %" PRIu64 "]%s", last, c[0], c[1], c[2],
             i == count ? "" : ", ");
      c[0] = c[1] = c[2] = 0;
    }
    if (i == count) break;
    strcpy(last, seg.nslc);
    if (seg.sample_count > cap) {
      free(buf);
      cap = seg.sample_count;
      if (!(buf = malloc(cap * sizeof *buf))) return 1;
    }
    size_t n = 0;
    if (siqaco_samples_copy_int32(samples, i, buf, cap, &n) != SIQACO_STATUS_OK) return 1;
    for (size_t k = 0; k < n; k++) {
      uint64_t x = (uint64_t)(int64_t)buf[k];
      c[0] += 1;
      c[1] += x;
      c[2] += c[0] * x;
    }
    total += n;
  }
  printf("}, \"samples\": %zu}\n", total);
  free(buf);
  siqaco_samples_free(samples);
  siqaco_archive_free(archive);
  return 0;
}
"""


def build_c(s: _bench.Session, prefix: Path) -> Path | None:
    """The C program of C_CHILD built against libsiqaco staged under `prefix` (None when
    there is none)."""
    lib = prefix / "lib"
    if not (lib / "libsiqaco.so").exists():
        return None
    src = s.work / "read_c.c"
    src.write_text(C_CHILD)
    exe = s.work / "read_c"
    subprocess.run(["cc", "-O2", "-std=c11", f"-I{prefix / 'include'}", str(src), "-o",
                           str(exe), f"-L{lib}", "-lsiqaco", f"-Wl,-rpath,{lib}"], check=True)
    return exe


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
    ap.add_argument("--c-prefix", type=Path, default=_bench.ROOT / "target" / "capi-release",
                    help="libsiqaco staged by PROFILE=release scripts/build-c DIR (the C rows)")
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

        def pair(tool: str):
            """Two processes of `tool` started together (after their imports), each on one
            station's three files: the wall time until the later one is done."""
            def run():
                env = dict(os.environ, BENCH_START_AT=str(time.time() + 2.0))
                procs = [subprocess.Popen([a.python, "-c", CHILD, tool, *half], env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                         for half in (files[:3], files[3:])]
                outs = [p.communicate() for p in procs]
                if any(p.returncode for p in procs):
                    sys.exit(f"{tool} pair failed: {outs[0][1][-2000:]!r} {outs[1][1][-2000:]!r}")
                docs_ = [json.loads(o.decode().splitlines()[0]) for o, _ in outs]
                merged = {"peak_kb": sum(d["peak_kb"] for d in docs_),
                          "before_kb": sum(d["before_kb"] for d in docs_),
                          "samples": sum(d["samples"] for d in docs_),
                          "bytes": sum(d["bytes"] for d in docs_),
                          "sums": {k: v for d in docs_ for k, v in d["sums"].items()},
                          "digests": {k: v for d in docs_ for k, v in d["digests"].items()}}
                seconds = max(float(o.decode().strip().splitlines()[-1]) for o, _ in outs)
                return _bench.Run(seconds, None, json.dumps(merged) + "\n" + str(seconds))
            return run

        def native(cmd: list[str], threads: str):
            env = dict(os.environ, RAYON_NUM_THREADS=threads)

            def run():
                r = timed(cmd, env=env)
                r.seconds = json.loads(r.stdout)["seconds"]
                return r
            return run

        def keep(name: str):
            def after(r, rep: int) -> None:
                docs.setdefault(name, []).append(json.loads(r.stdout.splitlines()[0]))
            return after

        jobs = [Job("pymseed trace list", python("pymseed", None), after=keep("pymseed trace list")),
                Job(FLOOR, pair("pymseed"), after=keep(FLOOR)),
                Job("siqaco.read, 1 thread", python("siqaco", "1"), after=keep("siqaco.read, 1 thread")),
                Job("siqaco.read, 2 threads", python("siqaco", "2"), after=keep("siqaco.read, 2 threads"))]
        if a.rust_read.is_file():
            rust = [str(a.rust_read), *files]
            jobs += [Job("Rust read, 1 thread", native(rust, "1"), after=keep("Rust read, 1 thread")),
                     Job("Rust read, 2 threads", native(rust, "2"),
                         after=keep("Rust read, 2 threads"))]
            rust_note = ""
        else:
            rust_note = (f"\nNo Rust rows: {a.rust_read} not found (cargo build --release -p "
                         "siqaco-core --example read_files).\n")
        c_exe = build_c(s, a.c_prefix)
        if c_exe:
            root = str(Path(files[0]).parents[4])
            jobs += [Job(f"C ABI read, {n}", native([str(c_exe), root], t), after=keep(f"C ABI read, {n}"))
                     for t, n in (("1", "1 thread"), ("2", "2 threads"))]
        else:
            rust_note += (f"\nNo C rows: no libsiqaco under {a.c_prefix} (PROFILE=release "
                          "scripts/build-c DIR).\n")
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
        for cache, runs in res.items():
            floor = stat(runs["pymseed trace list"]).median / stat(runs[FLOOR]).median
            s.results.setdefault("floor", {})[cache] = floor
            print(f"The machine's floor ({cache}): two pymseed processes started together, each "
                  f"on one station's three files, finish {floor:.2f}x as fast as one pymseed "
                  "process on all six; a reader on two threads of this machine beats 2x pymseed "
                  "only where it beats two independent processes of libmseed's reader.\n")
        print(rust_note + s.cold_line())


if __name__ == "__main__":
    main()
