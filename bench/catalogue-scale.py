#!/usr/bin/env python3
"""The catalogue of a large data centre on PostgreSQL (issue 19, item 1): prints a table of
build rates through COPY, p50/p99 of the statistics and segment queries of one stream-year,
and `siqaco update --dry-run` over 10 000 streams. Not a test, not run in CI.

Usage:
  .venv/bin/python bench/catalogue-scale.py [--pg postgresql://postgres@127.0.0.1:55432]
      [--big syn] [--big-streams 10000] [--big-days 1000] [--samples 200] [--archive DIR]
      [--keep-databases]
      [--siqaco PATH] [--work DIR] ...
  (the options common to all scripts: bench/_bench.py, `--help`; the figures here are
  each script's own: percentiles of many requests, no alternation)

What it measures (every figure wall-clock, `time.perf_counter`, no other timing tool):

1. COPY: one million rows of each of `tsindex`, `siqaco_files`, `siqaco_file_streams` and
   `siqaco_spans` written with `COPY ... FROM STDIN` (the text format siqaco's index writes
   use) into a scratch database whose siqaco schema `siqaco index` made (every index in
   place, as during an index run); the 10-million-row figure is extrapolated (x10; index
   maintenance grows slightly faster than linearly). Also `siqaco index` of the bench
   archive (make-bench-archive) into PostgreSQL and into SQLite, end to end.
2. Queries on the 10-million-row bench catalogue `--big` (10 000 streams x 1 000 day files,
   made by bench/synthetic-catalogue.py; read only; another size with --big-streams and
   --big-days, as bench/run-all builds it): the statements siqaco issues for the
   statistics of one stream-year (`siqaco stats -s STREAM --start --end`) and for its
   segments (the availability service, `Catalogue::stored_spans`), each timed in one psql
   session (`\\timing`: server time plus the round trip) for `--samples` random
   stream-years; p50 and p99 per statement and per request (the sum of a request's
   statements); twice: "first touch" (the pages of a stream-year not yet in memory unless an
   earlier run read them) and "again" (in PostgreSQL's or the system's cache).
3. `siqaco stats` end to end (process start, connection, queries, gap analysis, JSON) for
   random stream-years, on a scratch catalogue of this schema with 1 000 streams x 1 000
   day files (1 million rows; bench/synthetic-catalogue.py): the bench catalogue `--big`
   has the previous schema version, which this siqaco opens only after `siqaco db migrate`
   (the bench catalogue is shared: not migrated here).
4. `siqaco update --dry-run` over the 10 000 streams of a scratch catalogue of 10 000
   streams x 100 day files, with an empty archive directory (the catalogue's files do not
   exist): wall time, and with strace (when installed) the proof that no file under the
   archive or of the catalogue's file names is opened.

Scratch databases (`catscale_*`) are dropped at the end unless --keep-databases. Files
(empty archives, configurations, strace output) are written only under the work
directory (TMPDIR points there, for the scripts this one runs too); the machine and the
load average before and after are printed (bench/_bench.py).
"""

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DAY_NS = 86_400_000_000_000
START_NS = 1_577_836_800_000_000_000  # 2020-01-01, the synthetic catalogue's first day


def psql(url: str, sql: str, *extra: str) -> str:
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *extra, url, "-c", sql],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"psql failed: {p.stderr}")
    return p.stdout


def create_db(server: str, name: str) -> str:
    psql(f"{server}/postgres", f"DROP DATABASE IF EXISTS {name}")
    psql(f"{server}/postgres", f"CREATE DATABASE {name}")
    return f"{server}/{name}"


def pct(v: list[float], p: float) -> float:
    s = sorted(v)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def row(name: str, value: str, note: str = "") -> None:
    print(f"| {name} | {value} | {note} |", flush=True)


# --- 1. COPY -------------------------------------------------------------------------------

def copy_rates(server: str, siqaco: str, n: int) -> None:
    url = create_db(server, "catscale_copy")
    empty = Path(tempfile.mkdtemp(prefix="catscale-"))
    try:
        subprocess.run([siqaco, "index", str(empty), "--db", url], check=True,
                       capture_output=True)
        days = 1000
        streams = n // days
        def lines(fmt):
            return "".join(fmt(i, j) for i in range(streams) for j in range(days))
        name = lambda i, j: f"/synthetic/SY.S{i:05d}.00.HHZ.D.{j}"
        tables = {
            "siqaco_files": ("id,path,filename,rel_path,size_bytes,mtime_ns,scanned,records,errors",
                             lambda i, j: f"{i * days + j + 1}\t{name(i, j)}\t{name(i, j)}\t"
                                          f"x\t1000\t0\t2020-01-01T00:00:00\t10\t\\N\n"),
            "siqaco_file_streams": ("file_id,network,station,location,channel,records",
                                    lambda i, j: f"{i * days + j + 1}\tSY\tS{i:05d}\t00\tHHZ\t10\n"),
            "siqaco_spans": ("file_id,network,station,location,channel,start_ns,last_sample_ns,"
                             "end_ns,sample_rate_hz,samples",
                             lambda i, j: f"{i * days + j + 1}\tSY\tS{i:05d}\t00\tHHZ\t"
                                          f"{START_NS + j * DAY_NS}\t{START_NS + (j + 1) * DAY_NS - 10**7}\t"
                                          f"{START_NS + (j + 1) * DAY_NS}\t100\t8640000\n"),
            "tsindex": ("network,station,location,channel,quality,version,starttime,endtime,"
                        "samplerate,filename,byteoffset,bytes,hash,timeindex,timespans,timerates,"
                        "filemodtime,updated,scanned",
                        lambda i, j: f"SY\tS{i:05d}\t00\tHHZ\tD\t1\t2020-01-01T00:00:00\t"
                                     f"2020-01-01T23:59:59.99\t100\t{name(i, j)}\t0\t1000000\t\\N\t"
                                     f"1577836800=>0,latest=>1\t{{\"[1577836800,1577923199.99]\"}}\t"
                                     f"\\N\t2020-01-01T00:00:00\t2020-01-01T00:00:00\t"
                                     f"2020-01-01T00:00:00\n"),
        }
        total = 0.0
        for table, (cols, fmt) in tables.items():
            data = lines(fmt)
            t = time.perf_counter()
            p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                                f"SET TIME ZONE 'UTC'; COPY {table} ({cols}) FROM STDIN"],
                               input=data, capture_output=True, text=True)
            dt = time.perf_counter() - t
            if p.returncode != 0:
                sys.exit(f"COPY {table}: {p.stderr}")
            total += dt
            row(f"COPY {n:,} rows into {table} (indexes in place)", f"{dt:.1f} s",
                f"{n / dt:,.0f} rows/s")
        row(f"COPY of the four tables, {n:,} rows each", f"{total:.1f} s",
            f"10 million rows each: about {total * 10 / 60:.0f} min (x10)")
    finally:
        shutil.rmtree(empty, ignore_errors=True)


def index_rates(server: str, siqaco: str, archive: Path) -> None:
    if not archive.is_dir():
        row("siqaco index of the bench archive", "skipped", f"no archive ({archive}): give --archive")
        return
    url = create_db(server, "catscale_index")
    work = Path(tempfile.mkdtemp(prefix="catscale-"))
    try:
        for target, label in [(url, "PostgreSQL (COPY)"), (str(work / "c.sqlite"), "SQLite")]:
            t = time.perf_counter()
            p = subprocess.run([siqaco, "index", str(archive), "--db", target],
                               capture_output=True, text=True)
            dt = time.perf_counter() - t
            row(f"siqaco index of the bench archive into {label}", f"{dt:.1f} s",
                p.stderr.strip().replace("siqaco index: ", ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- 2. queries on the 10-million-row catalogue ---------------------------------------------

def stream_year(rng: random.Random, streams: int, days: int) -> tuple[str, int, int, list[int]]:
    """A random stream-year of a synthetic catalogue: the stream, the window (ns) and the
    ids of its files in the window (bench/synthetic-catalogue.py numbers the file of stream
    i, day j, i * days + j + 1)."""
    i = rng.randrange(streams)
    sta, cha = f"S{i // 3:04d}", ["HHE", "HHN", "HHZ"][i % 3]
    j0 = rng.randrange(max(1, days - 365))
    start = START_NS + j0 * DAY_NS
    ids = [i * days + j + 1 for j in range(j0, min(days, j0 + 365))]
    return f"SY.{sta}.00.{cha}", start, start + 365 * DAY_NS, ids


def iso(ns: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9))


def statements(stream: str, ws: int, we: int, ids: list[int]) -> list[tuple[str, str]]:
    """The statements siqaco issues (siqaco-core/src/index: `Catalogue::report` for the
    statistics of one selected stream, `Catalogue::stored_spans` for its segments), with the
    parameters bound (`Catalogue::key_statement_plans` lists the same): the files by id in
    lists of 256 padded with NULL."""
    n, s, l, c = stream.split(".")
    k = f"network='{n}' AND station='{s}' AND location='{l}' AND channel='{c}'"
    win = f"{k} AND start_ns<{we} AND end_ns>{ws}"
    by_id = []
    for i in range(0, len(ids), 256):
        chunk = [str(x) for x in ids[i:i + 256]]
        chunk += ["NULL"] * (256 - len(chunk))
        by_id.append(("stats: files by id (256 per statement)",
                      f"SELECT id, rel_path, size_bytes, records, errors FROM siqaco_files "
                      f"WHERE id IN ({','.join(chunk)})"))
    return by_id + list({
        "stats: stream lookup": f"SELECT DISTINCT network,station,location,channel FROM "
                                f"siqaco_file_streams WHERE {k} LIMIT 1",
        "stats: traces in window": f"SELECT file_id,start_ns,last_sample_ns,end_ns,"
                                   f"sample_rate_hz,samples FROM siqaco_spans WHERE {win}",
        "stats: files in window": f"SELECT file_id, records FROM siqaco_file_streams WHERE {k} "
                                  f"AND file_id IN (SELECT file_id FROM siqaco_spans WHERE {win})",
        "segments: files": f"SELECT f.id, f.filename FROM siqaco_files f WHERE f.id IN "
                           f"(SELECT file_id FROM siqaco_spans WHERE {win})",
        "segments: sections": f"SELECT t.filename, t.quality, t.updated, t.starttime FROM "
                              f"tsindex t WHERE t.{k.replace(' AND ', ' AND t.')} AND "
                              f"t.starttime<'{iso(we + DAY_NS)}Z' AND "
                              f"t.endtime>='{iso(ws - DAY_NS)}Z'",
    }.items())


def query_latencies(url: str, samples: int, streams: int, days: int, label: str) -> None:
    rng = random.Random(19)
    jobs = [stream_year(rng, streams, days) for _ in range(samples)]
    script = ["\\timing on"]
    names: list[str] = []
    for stream, ws, we, ids in jobs:
        for name, sql in statements(stream, ws, we, ids):
            script.append(sql + ";")
            names.append(name)
    for attempt in ["first touch", "again"]:
        out = subprocess.run(["psql", "-X", "-q", "-o", "/dev/null", url, "-f", "-"],
                             input="\n".join(script) + "\n", capture_output=True,
                             text=True).stdout
        # with -o /dev/null the results go away and psql's timing lines stay on stdout
        times = [float(m) for m in re.findall(r"Time: ([0-9.]+) ms", out)]
        if len(times) != len(names):
            sys.exit(f"expected {len(names)} timings, got {len(times)}")
        per: dict[str, list[float]] = {}
        per_req = {"stats": [0.0] * samples, "segments": [0.0] * samples}
        k = len(names) // samples
        for i, (name, t) in enumerate(zip(names, times)):
            per.setdefault(name, []).append(t)
            per_req[name.split(":")[0]][i // k] += t
        for name, v in per.items():
            row(f"{label}, {attempt}: {name}", f"p50 {pct(v, 50):.2f} ms, p99 {pct(v, 99):.2f} ms")
        for name, v in per_req.items():
            row(f"{label}, {attempt}: {name} of one stream-year (all its statements)",
                f"p50 {pct(v, 50):.2f} ms, p99 {pct(v, 99):.2f} ms", f"{samples} stream-years")


# --- 3, 4. siqaco stats and update --dry-run -------------------------------------------------

def synthetic(server: str, name: str, siqaco: str, streams: int, days: int) -> str:
    url = create_db(server, name)
    t = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "bench" / "synthetic-catalogue.py"), "--pg", url,
                    "--streams", str(streams), "--days", str(days), "--siqaco", siqaco],
                   check=True, capture_output=True)
    row(f"synthetic catalogue {streams:,} streams x {days:,} days (INSERT ... SELECT)",
        f"{time.perf_counter() - t:.0f} s", name)
    return url


def stats_latencies(url: str, siqaco: str, samples: int, streams: int, days: int) -> None:
    rng = random.Random(23)
    times = []
    for _ in range(samples):
        stream, ws, we, _ = stream_year(rng, streams, days)
        t = time.perf_counter()
        p = subprocess.run([siqaco, "stats", "--db", url, "-s", stream, "--start", iso(ws),
                            "--end", iso(we), "--format", "json"], capture_output=True)
        times.append((time.perf_counter() - t) * 1000)
        if p.returncode != 0:
            sys.exit(f"siqaco stats: {p.stderr.decode()}")
    row("siqaco stats -s STREAM (one stream-year, end to end)",
        f"p50 {pct(times, 50):.0f} ms, p99 {pct(times, 99):.0f} ms",
        f"{samples} runs, 1 million rows")


def dry_run(url: str, siqaco: str, days: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="catscale-"))
    try:
        archive, source = work / "archive", work / "source"
        archive.mkdir()
        source.mkdir()
        config = work / "update.toml"
        config.write_text(f"""
[archive]
path = "{archive}"
[catalogue]
url = "{url}"
[streams]
select = ["SY.*.00.*"]
[window]
granularity = "day"
[[sources]]
name = "empty"
kind = "archive"
path = "{source}"
availability = "assume"
""")
        args = [siqaco, "update", "--config", str(config), "--dry-run",
                "--start", iso(START_NS + (days - 2) * DAY_NS),
                "--end", iso(START_NS + days * DAY_NS)]
        t = time.perf_counter()
        p = subprocess.run(args, capture_output=True, text=True)
        dt = time.perf_counter() - t
        if p.returncode not in (0, 3):
            sys.exit(f"siqaco update --dry-run: {p.returncode} {p.stderr}")
        head = next((l for l in (p.stdout + p.stderr).splitlines() if "dry run" in l), "")
        row("siqaco update --dry-run, 10 000 streams, 2-day window", f"{dt:.1f} s", head)
        if shutil.which("strace"):
            trace = work / "strace.txt"
            subprocess.run(["strace", "-f", "-e", "trace=openat,open,stat,statx,newfstatat",
                            "-o", str(trace), *args], capture_output=True)
            text = trace.read_text()
            touched = [l for l in text.splitlines()
                       if "/synthetic/" in l or (str(archive) + "/") in l]
            row("files of the catalogue or under the archive opened or stat'ed by the dry run",
                str(len(touched)), "strace -f -e trace=openat,open,stat,statx,newfstatat")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:55432",
                    help="the server (URL without database)")
    ap.add_argument("--big", default="syn", help="the 10-million-row catalogue (read only)")
    ap.add_argument("--big-streams", type=int, default=10_000,
                    help="streams of --big (bench/synthetic-catalogue.py --streams; default 10 000)")
    ap.add_argument("--big-days", type=int, default=1_000,
                    help="day files per stream of --big (synthetic-catalogue.py --days; default 1 000)")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--copy-rows", type=int, default=1_000_000)
    ap.add_argument("--archive", type=Path, default=Path(os.environ.get("SIQACO_BENCH_ARCHIVE", "-")),
                    help="the bench archive to index (default $SIQACO_BENCH_ARCHIVE; none: that row is skipped)")
    ap.add_argument("--keep-databases", action="store_true", help="keep the scratch databases")
    _bench.add_common(ap, reps=1)
    a = ap.parse_args()
    with _bench.Session("catalogue-scale", a) as s:
        os.environ["TMPDIR"] = tempfile.tempdir = str(s.work)
        a.siqaco = s.siqaco
        run(a)


def run(a) -> None:
    server = a.pg.rstrip("/")
    print("| measure | result | note |\n|---|---|---|", flush=True)
    scratch = ["catscale_copy", "catscale_index", "catscale_stats", "catscale_dry"]
    try:
        copy_rates(server, a.siqaco, a.copy_rows)
        index_rates(server, a.siqaco, a.archive)
        big = f"{server}/{a.big}"
        n = int(psql(big, "SELECT count(*) FROM tsindex", "-t").strip())
        if n != a.big_streams * a.big_days:
            sys.exit(f"--big {a.big}: {n:,} rows, not --big-streams x --big-days = "
                     f"{a.big_streams * a.big_days:,}")
        query_latencies(big, a.samples, a.big_streams, a.big_days, f"{n / 1e6:.3g}M rows")
        url = synthetic(server, "catscale_stats", a.siqaco, 1_000, 1_000)
        query_latencies(url, a.samples, 1_000, 1_000, "1M rows")
        stats_latencies(url, a.siqaco, a.samples, 1_000, 1_000)
        url = synthetic(server, "catscale_dry", a.siqaco, 10_000, 100)
        dry_run(url, a.siqaco, 100)
    finally:
        if not a.keep_databases:
            for d in scratch:
                psql(f"{server}/postgres", f"DROP DATABASE IF EXISTS {d}")


if __name__ == "__main__":
    main()
