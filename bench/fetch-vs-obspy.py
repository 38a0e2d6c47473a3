#!/usr/bin/env python3
"""Benchmark: `siqaco fetch` from a local portable-fdsnws-dataselect with 1, 4 and 16
requests in flight, against ObsPy's FDSN client (`Client.get_waveforms_bulk`) fetching the
same request lines, all in the same run against the same server, alternating. Not a test.

Usage:
  .venv/bin/python bench/fetch-vs-obspy.py [--archive DIR] [--stations 12] [--days 2]
      [--peer PATH] [--siqaco PATH] [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Without --archive, an SDS archive of --stations 12 x 3 channels x --days 2 at 100 Hz
(512-byte Steim2 records, real samples, gaps and overlaps; 1.1 GB) is generated under the
work directory with make-bench-archive --no-straddle. Day files must end at midnight: portable-fdsnws-dataselect 2.0.2 misreads
the `latest=>1` entry of mseedindex's `timeindex`, so a request that ends inside a day
file's last record (midnight, when records straddle it, as in ../bench-data/bench) comes
back nearly empty. The archive is indexed with `siqaco index` into a temporary tsindex
catalogue, which portable-fdsnws-dataselect (--peer, default from PATH or .venv-fdsnws) serves on a free port of
127.0.0.1. The request is every stream of the archive for `--days` UTC days from its first
day, as one request line per stream and day:

* siqaco: `siqaco fetch --select S... --in-flight N` (release build), which splits the
  request by day, and by stream and day when there are fewer days than N, and writes the
  data into a fresh SDS archive (validated, filed by day, written atomically);
* ObsPy: one `get_waveforms_bulk(lines, filename=...)` call (raw bytes to a file: ObsPy's
  fastest path), and the same call parsed into a Stream (what most scripts do).

MB/s = bytes sent by the server / wall time, medians (min-max) of --reps alternating runs;
siqaco's archive and ObsPy's file are synced inside the timed region. Same job: after the
first runs, the samples (every stream and day, read with libmseed) of siqaco's archive equal
those of ObsPy's raw file, and the parsed Stream holds as many samples; the benchmark stops
otherwise. The "cold" pass drops the page cache before each run (the server's files are
read cold). Results: a Markdown table on stdout (and JSON with --json, or in --work).
Outputs are deleted after each run.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, Run, stat, synced, timed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streams_and_days(archive: Path) -> tuple[list[str], list[str]]:
    """NSLCs and dates (YYYY-MM-DD) of an SDS archive, from its file names."""
    streams, days = set(), set()
    for p in archive.rglob("*.D.*"):
        m = re.fullmatch(r"(\w+)\.(\w+)\.(\w*)\.(\w+)\.D\.(\d{4})\.(\d{3})", p.name)
        if m:
            streams.add(".".join(m.group(1, 2, 3, 4)))
            d = date(int(m.group(5)), 1, 1) + timedelta(days=int(m.group(6)) - 1)
            days.add(d.isoformat())
    return sorted(streams), sorted(days)


def start_server(bin_: str, db: Path, work: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    ini = work / "server.ini"
    ini.write_text(
        f"[index_db]\npath = {db}\ntable = tsindex\nsummary_table = tsindex_summary\n"
        f"[server]\ninterface = 127.0.0.1\nport = {port}\nrequest_limit = 0\nmaxsectiondays = 10\n"
        f"[logging]\npath = {work / 'dataselect.log'}\nlevel = WARNING\n"
    )
    subprocess.run([bin_, "-i", str(ini)], cwd=work, check=True, capture_output=True)
    proc = subprocess.Popen([bin_, str(ini)], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if time.time() - t0 > 60 or proc.poll() is not None:
                proc.kill()
                sys.exit("portable-fdsnws-dataselect did not start")
            time.sleep(0.2)


OBSPY = r"""
import sys, time, os
from obspy import UTCDateTime
from obspy.clients.fdsn import Client
url, t0, t1, parse, path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5]
streams = sys.argv[6:]
days = []
d = UTCDateTime(t0)
while d < UTCDateTime(t1):
    days.append(d)
    d += 86400
# One line per stream and day: the lines siqaco sends.
bulk = [(*s.split("."), d, d + 86400) for d in days for s in streams]
bulk = [(n, st, l or "--", c, a, b) for n, st, l, c, a, b in bulk]
c = Client(url, service_mappings={"dataselect": url + "/fdsnws/dataselect/1"},
           _discover_services=False, timeout=600)
start = time.perf_counter()
if parse:
    st = c.get_waveforms_bulk(bulk)
    n = sum(tr.stats.npts for tr in st)
    dt = time.perf_counter() - start
    print(-1, n)
else:
    c.get_waveforms_bulk(bulk, filename=path)
    os.sync()
    dt = time.perf_counter() - start
    print(os.path.getsize(path), -1)
print(dt)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench.add_size(ap, days=2)
    ap.add_argument("--in-flight", default="1,4,16")
    ap.add_argument("--skip-parsed", action="store_true", help="skip the ObsPy row that parses into a Stream")
    ap.add_argument("--peer", help="portable-fdsnws-dataselect (default: on PATH or in .venv-fdsnws)")
    _bench.add_common(ap, archive=True)
    args = ap.parse_args()
    bin_ = _bench.tool("portable-fdsnws-dataselect", args.peer)
    if not bin_:
        sys.exit("portable-fdsnws-dataselect not found: run scripts/bootstrap or give --peer PATH")
    with _bench.Session("fetch-vs-obspy", args) as s:
        run(args, s, bin_)


def run(args, s: _bench.Session, bin_: str) -> None:
    archive = s.standard_archive("--no-straddle")
    siqaco = s.siqaco
    streams, days = streams_and_days(archive)
    if len(days) < args.days:
        sys.exit(f"the archive has {len(days)} days; need {args.days}")
    t0 = days[0]
    t1 = (date.fromisoformat(t0) + timedelta(days=args.days)).isoformat()
    work = s.work / "fetch"
    work.mkdir(exist_ok=True)
    proc = None
    digests: dict[str, dict] = {}
    received: dict[str, set] = {}
    try:
        db = work / "ts.sqlite"
        subprocess.run([siqaco, "index", str(archive), "--db", str(db)], check=True, capture_output=True)
        proc, port = start_server(bin_, db, work)
        url = f"http://127.0.0.1:{port}"
        out = work / "siqaco-out"
        raw = work / "obspy.mseed"

        def siqaco_job(n: int) -> Job:
            name = f"siqaco fetch, {n} in flight"
            cmd = [siqaco, "fetch", "--source", url, "--start", t0, "--end", t1, "--out", str(out),
                   "--in-flight", str(n), "--timeout", "600", "--retries", "0"]
            for st in streams:
                cmd += ["--select", st]

            def go() -> Run:
                r = timed(synced(cmd))
                return r

            def after(r, rep: int) -> None:
                if rep == 0:
                    digests[name] = _bench.sample_digest(_bench.files_of(out))
                _bench.shutil.rmtree(out, ignore_errors=True)

            return Job(name, go, lambda: _bench.shutil.rmtree(out, ignore_errors=True), after)

        def obspy_job(parse: bool) -> Job:
            name = f"ObsPy get_waveforms_bulk, {'parsed to a Stream' if parse else 'raw to file + sync'}"

            def after(r, rep: int) -> None:
                nbytes, npts = map(int, r.stdout.split()[:2])
                received.setdefault(name, set()).add(npts if parse else nbytes)
                if rep == 0 and not parse:
                    digests[name] = _bench.sample_digest([raw])
                raw.unlink(missing_ok=True)

            return Job(name, lambda: timed([sys.executable, "-c", OBSPY, url, t0, t1, "1" if parse else "0",
                                            str(raw), *streams], inner=True), after=after)

        jobs = [siqaco_job(int(x)) for x in args.in_flight.split(",")]
        jobs.append(obspy_job(False))
        if not args.skip_parsed:
            jobs.append(obspy_job(True))
        res = s.warm_and_cold(jobs, warmup=lambda: _bench.warm(_bench.files_of(archive)))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
    raw_name = "ObsPy get_waveforms_bulk, raw to file + sync"
    sizes = received[raw_name]
    if len(sizes) != 1:
        _bench.disagree(f"ObsPy received different byte counts in its runs: {sizes}")
    nbytes = sizes.pop()
    n_samples = 0
    for k, d in digests.items():
        if k != raw_name:
            n_samples = _bench.same_samples(digests[raw_name], d, raw_name, k)
    parsed = received.get("ObsPy get_waveforms_bulk, parsed to a Stream", set())
    if parsed and parsed != {n_samples}:
        _bench.disagree(f"ObsPy's parsed Stream holds {parsed} samples, its raw file {n_samples}")
    print(f"{len(streams)} streams x {args.days} days ({t0} to {t1}), {nbytes / 1e6:.0f} MB, "
          f"{len(streams) * args.days} request lines; medians of {args.reps}; {os.cpu_count()} cores")
    print(f"Same job: the {n_samples} samples (every stream and day) of {', '.join(digests)} are equal"
          + (", and the parsed Stream holds as many" if parsed else ""))
    print(f"{s.cold_line()}\n")
    rows = []
    result_rows = []
    for cache, runs in res.items():
        ref = stat(runs[raw_name]).median
        for name, r in runs.items():
            st = stat(r)
            rows.append([name, cache, st.cell(2), f"{nbytes / 1e6 / st.median:.0f}", f"{ref / st.median:.2f}x"])
            result_rows.append({"what": name, "cache": cache, **st.as_dict(), "mb_per_s": nbytes / 1e6 / st.median})
    print(_bench.table(["what", "cache", "median s (min–max)", "MB/s", "vs ObsPy raw"], rows))
    s.results.update({"bytes": nbytes, "samples": n_samples, "streams": len(streams), "days": args.days,
                      "rows": result_rows})


if __name__ == "__main__":
    main()
