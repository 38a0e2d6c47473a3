#!/usr/bin/env python3
"""Measurement (issue #19): scan and index of the bench archive with siqaco.distributed on 1
and 2 Dask workers (processes, one thread each), and with the single-machine CLI, in one
run. Not a test: it prints figures (docs/benchmarks.md, "Dask").

Usage:
  .venv/bin/python bench/dask-scale.py [--archive /work/bench/arch]
      [--siqaco target/release/siqaco] [--repeat 3] [--partition-files 3]

Build the CLI and the Python package in release mode first:
  cargo build --release -p siqaco-cli
  (cd siqaco-py && maturin build --release -o /tmp/wheels)  # then put the wheel's contents
  on PYTHONPATH, or `maturin develop --release`

Each figure is the best of --repeat runs (wall time), the archive's files in the page cache
(one scan before the first measurement). The Dask clusters are started before the clocks
(LocalCluster, processes=True, threads_per_worker=1, no dashboard); a run is the whole
call: listing and partitioning in this process, the partials in the workers, combining (and
for index writing the SQLite catalogue) in this process. The CLI runs with --threads 1
(one core, like one worker) and with its default (all cores). Each index run writes a new
catalogue. The scan results of every run are checked equal to the CLI's JSON document.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(repeat, f):
    """(best wall time in seconds, result of the last call)."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def cli(siqaco, args):
    r = subprocess.run([siqaco, *args], capture_output=True, text=True, check=True)
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", default="/work/bench/arch")
    ap.add_argument("--siqaco", default=str(ROOT / "target" / "release" / "siqaco"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--partition-files", type=int, default=3)
    a = ap.parse_args()

    import siqaco
    import siqaco.distributed as sd
    from dask.distributed import Client, LocalCluster

    arch = a.archive
    files = [p for p in Path(arch).rglob("*") if p.is_file()]
    gb = sum(p.stat().st_size for p in files) / 1e9
    print(f"archive {arch}: {len(files)} files, {gb:.2f} GB; {os.cpu_count()} cores; "
          f"partition_files={a.partition_files}; best of {a.repeat}")
    tmp = Path(tempfile.mkdtemp(prefix="dask-scale-"))
    n = [0]

    def fresh_db():
        n[0] += 1
        return str(tmp / f"c{n[0]}.sqlite")

    # warm the page cache; the reference document
    reference = json.loads(cli(a.siqaco, ["scan", arch, "--format", "json"]))
    rows = []
    for threads in ("1", None):
        extra = ["--threads", threads] if threads else []
        label = f"CLI --threads {threads}" if threads else "CLI (all cores)"
        ts, _ = best(a.repeat, lambda: cli(a.siqaco, ["scan", arch, "--format", "json", *extra]))
        ti, _ = best(a.repeat, lambda: cli(a.siqaco, ["index", arch, "--db", fresh_db(), *extra]))
        rows.append((label, ts, ti))
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            ts, report = best(a.repeat, lambda: sd.scan(client, arch, partition_files=a.partition_files))
            assert report.to_dict() == reference, "the distributed scan differs from the CLI's"
            ti, _ = best(a.repeat, lambda: sd.index(client, arch, fresh_db(), partition_files=a.partition_files))
            rows.append((f"Dask, {workers} worker(s)", ts, ti))
    print(f"{'':24} {'scan s':>8} {'GB/s':>6} {'index s':>8} {'GB/s':>6}")
    for label, ts, ti in rows:
        print(f"{label:24} {ts:8.2f} {gb / ts:6.2f} {ti:8.2f} {gb / ti:6.2f}")
    one = {r[0]: r for r in rows}
    d1, d2, c1 = one["Dask, 1 worker(s)"], one["Dask, 2 worker(s)"], one["CLI --threads 1"]
    print(f"2 workers / 1 worker: scan {d1[1] / d2[1]:.2f}x, index {d1[2] / d2[2]:.2f}x (target >= 1.7x)")
    print(f"1 worker / CLI --threads 1: scan {d1[1] / c1[1]:.2f}, index {d1[2] / c1[2]:.2f} (target <= 1.10)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
