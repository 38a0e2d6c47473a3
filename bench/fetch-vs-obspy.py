#!/usr/bin/env python3
"""Benchmark: `siqaco fetch` from a local portable-fdsnws-dataselect with 1, 4 and 16
requests in flight, against ObsPy's FDSN client (`Client.get_waveforms_bulk`) fetching the
same request lines, all in the same run against the same server. Not a test.

Usage:
  .venv/bin/python bench/fetch-vs-obspy.py [--archive DIR] [--days 2] [--reps 3]

Without --archive, an SDS archive of 12 stations x 3 channels x 2 days at 100 Hz (512-byte
Steim2 records, real samples, gaps and overlaps; 1.1 GB) is built in bench-out/ with
tools/make-bench-archive --no-straddle, and deleted at the end unless
--keep-archive. Day files must end at midnight: portable-fdsnws-dataselect 2.0.2 misreads
the `latest=>1` entry of mseedindex's `timeindex`, so a request that ends inside a day
file's last record (midnight, when records straddle it, as in ../bench-data/bench) comes
back nearly empty. The archive is indexed with `siqaco index` into a temporary tsindex
catalogue, which a portable-fdsnws-dataselect from .venv-fdsnws serves on a free port of
127.0.0.1. The request is every stream of the archive for `--days` UTC days from its first
day, as one request line per stream and day:

* siqaco: `siqaco fetch --select S... --in-flight N` (release build), which splits the
  request by day, and by stream and day when there are fewer days than N, and writes the
  data into a fresh SDS archive (validated, filed by day, written atomically);
* ObsPy: one `get_waveforms_bulk(lines, filename=...)` call (raw bytes to a file: ObsPy's
  fastest path), and the same call parsed into a Stream (what most scripts do).

MB/s = bytes sent by the server / wall time, medians of --reps runs. Both clients must
receive the same number of bytes, or the script stops. Results: a Markdown table on stdout
and bench-out/fetch-vs-obspy.json. Outputs are deleted after each run.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streams_and_days(archive: Path) -> tuple[list[str], list[str]]:
    """NSLCs and dates (YYYY-MM-DD) of an SDS archive, from its file names."""
    from datetime import date, timedelta

    streams, days = set(), set()
    for p in archive.rglob("*.D.*"):
        m = re.fullmatch(r"(\w+)\.(\w+)\.(\w*)\.(\w+)\.D\.(\d{4})\.(\d{3})", p.name)
        if m:
            streams.add(".".join(m.group(1, 2, 3, 4)))
            d = date(int(m.group(5)), 1, 1) + timedelta(days=int(m.group(6)) - 1)
            days.add(d.isoformat())
    return sorted(streams), sorted(days)


def start_server(bin_: Path, db: Path, work: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    ini = work / "server.ini"
    ini.write_text(
        f"[index_db]\npath = {db}\ntable = tsindex\nsummary_table = tsindex_summary\n"
        f"[server]\ninterface = 127.0.0.1\nport = {port}\nrequest_limit = 0\nmaxsectiondays = 10\n"
        f"[logging]\npath = {work / 'dataselect.log'}\nlevel = WARNING\n"
    )
    subprocess.run([str(bin_), "-i", str(ini)], cwd=work, check=True, capture_output=True)
    proc = subprocess.Popen([str(bin_), str(ini)], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def run_siqaco(siqaco: str, url: str, streams: list[str], t0: str, t1: str, n: int) -> tuple[float, int]:
    out = Path(tempfile.mkdtemp(prefix="fetch-", dir=OUT))
    cmd = [siqaco, "fetch", "--source", url, "--start", t0, "--end", t1, "--out", str(out),
           "--in-flight", str(n), "--timeout", "600", "--retries", "0"]
    for s in streams:
        cmd += ["--select", s]
    try:
        start = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.perf_counter() - start
        if p.returncode != 0:
            sys.exit(f"siqaco fetch failed:\n{p.stderr[-2000:]}")
        m = re.search(r"fetched (\d+) bytes in (\d+) request", p.stderr)
        if not m:
            sys.exit(f"unexpected siqaco output: {p.stderr[-500:]}")
        return dt, int(m.group(1))
    finally:
        shutil.rmtree(out, ignore_errors=True)


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
    print(dt, -1)
else:
    c.get_waveforms_bulk(bulk, filename=path)
    dt = time.perf_counter() - start
    print(dt, os.path.getsize(path))
"""


def run_obspy(url: str, streams: list[str], t0: str, t1: str, parse: bool) -> tuple[float, int]:
    fd, path = tempfile.mkstemp(prefix="obspy-", suffix=".mseed", dir=OUT)
    os.close(fd)
    try:
        p = subprocess.run([sys.executable, "-c", OBSPY, url, t0, t1, "1" if parse else "0", path, *streams],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"ObsPy failed:\n{p.stderr[-2000:]}")
        dt, n = p.stdout.split()
        return float(dt), int(n)
    finally:
        os.unlink(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=Path, help="an SDS archive whose day files end at midnight")
    ap.add_argument("--keep-archive", action="store_true")
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--in-flight", default="1,4,16")
    ap.add_argument("--skip-parsed", action="store_true", help="skip the ObsPy row that parses into a Stream")
    args = ap.parse_args()
    bin_ = ROOT / ".venv-fdsnws" / "bin" / "portable-fdsnws-dataselect"
    if not bin_.is_file():
        sys.exit(f"{bin_} missing: run scripts/bootstrap")
    siqaco = ROOT / "target" / "release" / "siqaco"
    if not siqaco.is_file():
        subprocess.run(["cargo", "build", "--release", "-p", "siqaco-cli"], cwd=ROOT, check=True)
    OUT.mkdir(exist_ok=True)
    built = None
    if args.archive is None:
        built = OUT / "fetch-archive"
        if not built.is_dir():
            tool = ROOT / "tools" / "make-bench-archive"
            subprocess.run([sys.executable, str(tool), str(built), "--stations", "12", "--days", str(args.days),
                            "--sample-rate", "100", "--record-length", "512", "--encoding", "STEIM2",
                            "--seed", "1", "--jobs", "2", "--no-straddle", "--expected", str(OUT / "fetch-archive-expected"),
                            "--quiet"], check=True)
        args.archive = built
    try:
        run(args, siqaco, bin_)
    finally:
        if built is not None and not args.keep_archive:
            shutil.rmtree(built, ignore_errors=True)
            for p in OUT.glob("fetch-archive-expected*"):
                p.unlink()


def run(args, siqaco: Path, bin_: Path) -> None:
    streams, days = streams_and_days(args.archive)
    if len(days) < args.days:
        sys.exit(f"the archive has {len(days)} days; need {args.days}")
    from datetime import date, timedelta

    t0 = days[0]
    t1 = (date.fromisoformat(t0) + timedelta(days=args.days)).isoformat()
    work = Path(tempfile.mkdtemp(prefix="fetchbench-", dir=OUT))
    proc = None
    try:
        db = work / "ts.sqlite"
        subprocess.run([str(siqaco), "index", str(args.archive), "--db", str(db)], check=True, capture_output=True)
        proc, port = start_server(bin_, db, work)
        url = f"http://127.0.0.1:{port}"
        rows: dict[str, list[tuple[float, int]]] = {}
        for rep in range(args.reps):
            for n in [int(x) for x in args.in_flight.split(",")]:
                rows.setdefault(f"siqaco fetch, {n} in flight", []).append(run_siqaco(str(siqaco), url, streams, t0, t1, n))
            rows.setdefault("ObsPy get_waveforms_bulk, raw to file", []).append(run_obspy(url, streams, t0, t1, False))
            if not args.skip_parsed:
                rows.setdefault("ObsPy get_waveforms_bulk, parsed to a Stream", []).append(
                    run_obspy(url, streams, t0, t1, True))
            print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    sizes = {n for r in rows.values() for _, n in r if n >= 0}
    if len(sizes) != 1:
        sys.exit(f"clients received different byte counts: {sizes}")
    nbytes = sizes.pop()
    ref = statistics.median(t for t, _ in rows["ObsPy get_waveforms_bulk, raw to file"])
    print(f"{len(streams)} streams x {args.days} days ({t0} to {t1}), {nbytes / 1e6:.0f} MB, "
          f"{len(streams) * args.days} request lines; medians of {args.reps}; {os.cpu_count()} cores\n")
    print("| what | s | MB/s | vs ObsPy raw |\n|---|---|---|---|")
    result = {"bytes": nbytes, "streams": len(streams), "days": args.days, "reps": args.reps, "rows": {}}
    for name, r in rows.items():
        m = statistics.median(t for t, _ in r)
        print(f"| {name} | {m:.2f} | {nbytes / 1e6 / m:.0f} | {ref / m:.2f}x |")
        result["rows"][name] = {"seconds": [t for t, _ in r], "median_s": m, "mb_per_s": nbytes / 1e6 / m}
    (OUT / "fetch-vs-obspy.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
