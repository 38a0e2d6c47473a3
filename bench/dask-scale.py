#!/usr/bin/env python3
"""Measurement (issue #19): scan and index of the bench archive with siqaco.distributed on 1
and 2 Dask workers (processes, one thread each), and with the single-machine CLI, in one
run. Not a test: it prints figures (docs/benchmarks.md, "Dask").

Usage:
  .venv/bin/python bench/dask-scale.py [--archive DIR] [--stations 12] [--days 4]
      [--partition-files N] [--siqaco PATH] [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Build the CLI and the Python package in release mode first:
  cargo build --release -p siqaco-cli
  (cd siqaco-py && maturin build --release -o /tmp/wheels)  # then put the wheel's contents
  on PYTHONPATH, or `maturin develop --release`

Without --archive, the archive (--stations x 3 channels x --days, 100 Hz) is generated under
the work directory with make-bench-archive. The runs alternate (bench/_bench.py: a sync and
a pause before each; warm, the archive's files read once before, and, where the page cache
can be dropped, cold); figures are medians with min-max of wall time. One Dask cluster
at a time is alive (an idle cluster's processes slowed the other's runs by a third): each
Dask run's cluster is started before the clock when another was up (LocalCluster,
processes=True, threads_per_worker=1, no dashboard), imports siqaco in its workers and scans
the archive once, untimed; the CLI runs have no cluster beside them. A run is the whole
call: listing and partitioning in this process, the partials in the workers, combining
(and for index writing the SQLite catalogue) in this process. The
CLI runs with --threads 1 (one core, like one worker) and with its default (all cores); the
machine's floor without Dask is two plain CLI processes of one thread at once, each on half
of the stations (symbolic links under the work directory, its own catalogue). Each
index run writes a new catalogue (followed by `sync`, for every tool). Same job: the scan
result of each Dask run equals the CLI's JSON document, and the catalogue rows of each Dask
index equal the CLI's; the benchmark stops otherwise.
"""

import argparse
from contextlib import closing
import json
import os
import shlex
import shutil
import sqlite3
import time
from pathlib import Path
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, Run, stat, timed

ROWS = ("SELECT network,station,location,channel,version,starttime,endtime,byteoffset,bytes,"
        "timespans FROM tsindex")


TWO_PROCESSES = "2 plain CLI processes, one half each"


def halves_of(arch: Path, under: Path) -> tuple[list[Path], list[list[Path]]]:
    """Two archives of symbolic links to alternate stations of `arch` (SDS: YEAR/NET/STA),
    created once under `under`, and the files of each: the halves two plain processes read
    at once."""
    dirs = sorted(d for d in arch.glob("*/*/*") if d.is_dir())
    stations = sorted({d.name for d in dirs})
    roots = [under / "h0", under / "h1"]
    files: list[list[Path]] = [[], []]
    for d in dirs:
        i = stations.index(d.name) % 2
        link = roots[i] / d.relative_to(arch)
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(d)
        files[i] += _bench.files_of(d)
    return roots, files


def rows(db: Path) -> list[tuple]:
    # closed here: siqaco's catalogue writes collect first when a sqlite3 connection is
    # left open in this process (docs/python.md, "Catalogues and Python's sqlite3")
    with closing(sqlite3.connect(db)) as c:
        return sorted(c.execute(ROWS))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench.add_size(ap)
    ap.add_argument("--partition-files", type=int, default=None,
                    help="files per Dask task (default: siqaco.distributed's, 4 tasks per worker thread)")
    _bench.add_common(ap, archive=True)
    a = ap.parse_args()
    with _bench.Session("dask-scale", a) as s:
        run(a, s)


def run(a, s: _bench.Session):
    import siqaco.distributed as sd
    from dask.distributed import Client, LocalCluster

    arch = str(s.standard_archive())
    files = _bench.files_of(Path(arch))
    gb = sum(p.stat().st_size for p in files) / 1e9
    print(f"archive {arch}: {len(files)} files, {gb:.2f} GB; {os.cpu_count()} cores; "
          f"partition_files={a.partition_files}; medians of {a.reps}")
    db = s.work / "c.sqlite"

    def fresh() -> None:
        for p in s.work.glob("c.sqlite*"):
            p.unlink()

    reference = json.loads(timed([s.siqaco, "scan", arch, "--format", "json"], ok=(0, 3)).stdout)
    timed([s.siqaco, "index", arch, "--db", str(db)], ok=(0, 3))
    ref_rows = rows(db)
    fresh()
    scan_jobs, index_jobs = [], []
    for threads in ("1", None):
        extra = ["--threads", threads] if threads else []
        label = f"CLI --threads {threads}" if threads else "CLI (all cores)"
        scan_jobs.append(Job(label, lambda extra=extra: timed([s.siqaco, "scan", arch, "--format", "json", *extra],
                                                              ok=(0, 3))))
        index_jobs.append(Job(label, lambda extra=extra: timed(_bench.synced(
            [s.siqaco, "index", arch, "--db", str(db), *extra]), ok=(0, 3)), fresh))
    # The machine's floor without Dask: the archive's stations split in two halves, two
    # plain CLI processes of one thread each at once (each half its own catalogue).
    halves, half_files = halves_of(Path(arch), s.work / "halves")
    both = lambda cmds: ["sh", "-c", " & ".join(" ".join(map(shlex.quote, map(str, c))) for c in cmds)  # noqa: E731
                         + " & wait"]
    scan_jobs.append(Job(TWO_PROCESSES, lambda: timed(both(
        [[s.siqaco, "scan", *f, "--format", "json", "--threads", "1"] for f in half_files]), ok=(0, 3))))
    half_dbs = [s.work / f"half{i}.sqlite" for i in (0, 1)]

    def fresh_halves() -> None:
        for d in half_dbs:
            for p in d.parent.glob(d.name + "*"):
                p.unlink()

    index_jobs.append(Job(TWO_PROCESSES, lambda: timed(_bench.synced(both(
        [[s.siqaco, "index", h, "--db", d, "--threads", "1"] for h, d in zip(halves, half_dbs)])), ok=(0, 3)),
        fresh_halves))
    # One cluster alive at a time: an idle cluster's scheduler (in this process), nanny and
    # worker took about 0.1 s from a 0.3 s two-worker index on 2 cores (measured: 0.27-0.29 s
    # alone, 0.37-0.45 s with the 1-worker cluster idle beside it). Each Dask run's untimed
    # preparation starts its cluster when another is up, imports siqaco in the workers and
    # scans the archive once (untimed), so the timed call never pays a worker's start.
    live: dict = {}

    def use(workers: int) -> None:
        if live.get("workers") == workers:
            return
        close()
        cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
        client.run(lambda: __import__("siqaco.distributed"))
        sd.scan(client, arch, partition_files=a.partition_files)
        live.update(workers=workers, cluster=cluster, client=client)

    def close() -> None:
        if live:
            live["client"].close()
            live["cluster"].close()
            live.clear()

    try:
        for workers in (1, 2):
            label = f"Dask, {workers} worker(s)"

            def scan() -> Run:
                t = time.perf_counter()
                report = sd.scan(live["client"], arch, partition_files=a.partition_files)
                dt = time.perf_counter() - t
                if report.to_dict() != reference:
                    _bench.disagree("the distributed scan differs from the CLI's JSON document")
                return Run(dt)

            def index() -> Run:
                t = time.perf_counter()
                sd.index(live["client"], arch, str(db), partition_files=a.partition_files)
                _bench.sync()
                return Run(time.perf_counter() - t)

            def index_after(r, rep: int, label=label) -> None:
                if rep == 0:
                    _bench.same_rows(ref_rows, rows(db), "siqaco index (CLI)", f"siqaco.distributed.index, {label}")

            def index_before(workers=workers) -> None:
                fresh()
                use(workers)

            scan_jobs.append(Job(label, scan, lambda workers=workers: use(workers)))
            index_jobs.append(Job(label, index, index_before, index_after))
        # the CLI runs and the floor without an idle cluster beside them either
        for j in scan_jobs + index_jobs:
            if not j.name.startswith("Dask"):
                j.before = (lambda b=j.before: (b and b(), close()) and None)
        warm = lambda: _bench.warm(files)  # noqa: E731
        res_scan = s.warm_and_cold(scan_jobs, warmup=warm)
        res_index = s.warm_and_cold(index_jobs, warmup=warm)
    finally:
        close()
    print("Same job: every Dask scan equals the CLI's JSON document; every Dask index has the CLI's catalogue rows")
    print(f"{s.cold_line()}\n")
    out, table = [], []
    for cache in res_scan:
        for label in res_scan[cache]:
            ts, ti = stat(res_scan[cache][label]), stat(res_index[cache][label])
            out.append({"what": label, "cache": cache, "scan": ts.as_dict(), "index": ti.as_dict()})
            table.append([label, cache, ts.cell(2), f"{gb / ts.median:.2f}", ti.cell(2), f"{gb / ti.median:.2f}"])
    print(_bench.table(["what", "cache", "scan s median (min–max)", "GB/s", "index s median (min–max)", "GB/s"],
                       table))
    med = {(r["what"], r["cache"]): (r["scan"]["median_s"], r["index"]["median_s"]) for r in out}
    d1, d2, c1 = med["Dask, 1 worker(s)", "warm"], med["Dask, 2 worker(s)", "warm"], med["CLI --threads 1", "warm"]
    print(f"\n2 workers / 1 worker (warm): scan {d1[0] / d2[0]:.2f}x, index {d1[1] / d2[1]:.2f}x (target >= 1.7x)")
    print(f"1 worker / CLI --threads 1 (warm): scan {d1[0] / c1[0]:.2f}, index {d1[1] / c1[1]:.2f} (target <= 1.10)")
    p2 = med[TWO_PROCESSES, "warm"]
    print(f"the machine's floor, 2 plain processes / CLI --threads 1 (warm): scan {c1[0] / p2[0]:.2f}x, "
          f"index {c1[1] / p2[1]:.2f}x (what 2 workers can reach at best)")
    s.results.update({"archive": arch, "gb": gb, "rows": out})


if __name__ == "__main__":
    main()
