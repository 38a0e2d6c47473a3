#!/usr/bin/env python3
"""Benchmark: `siqaco serve` against portable-fdsnws-dataselect on the same catalogue, and
fdsnws-availability latency on a large synthetic catalogue (SQLite and PostgreSQL), all in
one run. Not a test.

Usage:
  .venv/bin/python bench/serve-vs-peers.py [--archive DIR] [--stations 12] [--days 4]
      [--seconds 20] [--synthetic CAT.sqlite] [--pg postgresql://...] [--skip-peer]
      [--siqaco PATH] [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Parts (issue 18 "Performance"):
1. Throughput of a one-day, three-channel dataselect request (GET), siqaco and the peer,
   `--reps` times each, alternating (bench/_bench.py: a sync and a pause before each
   request; warm and, where the page cache can be dropped, cold); MB/s from the median.
   Same job: the samples of both answers inside the request's window (every stream and
   day, read with libmseed) must be equal, or the benchmark stops.
2. Requests per second for one-minute requests from 32 concurrent clients over `--seconds`
   (wrk with a Lua script cycling through the minutes 00:10-22:10 of a day, clear of the
   peer's `timeindex` defect (see `day_window`), when `wrk` is installed;
   otherwise 32 Python threads with keep-alive connections, which the script says).
3. 64 concurrent one-day requests (64 threads, one request each): every answer 200 and
   complete; the servers' peak RSS (VmHWM of the server process) after the burst.
4. With `--synthetic` (a catalogue from bench/synthetic-catalogue.py) and/or `--pg` (the
   same, filled in PostgreSQL): p50 and p99 latency of availability `query` and `extent` for
   one stream-year, 200 requests each over one keep-alive connection. Target: p99 < 50 ms.

Both dataselect servers read the same SQLite catalogue (`siqaco index` of the archive;
portable-fdsnws-dataselect's `-i` only rebuilds its summary table). The peer cuts records at
the request's edges (it decodes and re-encodes them); siqaco returns whole records, so the
byte counts differ by the edge records; the script prints both.

Without --archive, an archive of --stations x 3 channels x --days (100 Hz, 512-byte Steim2)
is generated under the work directory with make-bench-archive.
Results: a Markdown table on stdout (and JSON with --json, or in --work).
"""

import argparse
import http.client
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, Run, stat

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, what: str) -> None:
    t0 = time.monotonic()
    while True:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() - t0 > 120:
                sys.exit(f"{what} did not listen on {port}")
            time.sleep(0.1)


def vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Served:
    """A server process, its port and name."""

    def __init__(self, name: str, proc: subprocess.Popen, port: int):
        self.name, self.proc, self.port = name, proc, port

    def get(self, path: str, timeout: float = 600, save: Path | None = None) -> tuple[int, int]:
        """Status and body bytes of a GET; the body goes to `save` when given."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        n = 0
        f = open(save, "wb") if save else None
        while True:
            b = r.read(1 << 20)
            if not b:
                break
            n += len(b)
            if f:
                f.write(b)
        if f:
            f.close()
        c.close()
        return r.status, n


def start_siqaco(siqaco: str, catalogue: str, archive: Path | None, work: Path, tag: str,
                 extra: list[str] | None = None) -> Served:
    port = free_port()
    args = [siqaco, "serve", "--catalogue", catalogue, "--bind", f"127.0.0.1:{port}"]
    if archive:
        args += ["--archive", str(archive)]
    log = open(work / f"siqaco-{tag}.log", "wb")
    proc = subprocess.Popen(args + (extra or []), stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, SIQACO_LOG="warn"))
    wait_listening(port, proc, "siqaco serve")
    return Served("siqaco", proc, port)


def start_peer(peer: Path, catalogue: Path, work: Path) -> Served:
    port = free_port()
    ini = work / "peer.ini"
    ini.write_text(
        f"[index_db]\npath = {catalogue}\ntable = tsindex\nsummary_table = tsindex_summary\n"
        f"[server]\ninterface = 127.0.0.1\nport = {port}\nrequest_limit = 1000000000000\n"
        f"maxsectiondays = 10\n[logging]\npath = {work / 'peer-log.txt'}\nlevel = WARNING\n")
    subprocess.run([str(peer), "-i", str(ini)], check=True, cwd=work, capture_output=True)
    proc = subprocess.Popen([str(peer), str(ini)], cwd=work, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_listening(port, proc, "portable-fdsnws-dataselect")
    return Served("portable-fdsnws-dataselect", proc, port)


def pick_day(catalogue: Path) -> tuple[str, str, str, str, str]:
    """(net, sta, loc, channel glob, day) of a station with three channels on a full day."""
    c = sqlite3.connect(catalogue)
    rows = c.execute(
        "SELECT network, station, location, substr(channel,1,2), substr(starttime,1,10), "
        "count(DISTINCT channel) FROM tsindex GROUP BY 1,2,3,4,5 HAVING count(DISTINCT "
        "channel) = 3 ORDER BY 1,2,3,4,5").fetchall()
    if not rows:
        sys.exit("no station with three channels in the catalogue")
    # a day in the middle (full days; the first and last may be partial)
    net, sta, loc, band, day, _ = rows[len(rows) // 2]
    return net, sta, loc or "--", band + "?", day


def dataselect_path(net, sta, loc, cha, start, end) -> str:
    q = urllib.parse.urlencode({"net": net, "sta": sta, "loc": loc, "cha": cha,
                                "start": start, "end": end})
    return f"/fdsnws/dataselect/1/query?{q}"


def day_window(day: str) -> tuple[str, str]:
    """A one-day window starting 5 s into `day`: its end falls in the first `timeindex`
    block of the next day file, clear of portable-fdsnws-dataselect 2.0.2's defect (a window
    that ends inside the last block of a section gets that section cut short: it reads the
    `latest=>1` entry as a byte offset; tests/peers/test_serve_dataselect.py)."""
    t = int(time.mktime(time.strptime(day, "%Y-%m-%d")) - time.timezone) + 5
    fmt = "%Y-%m-%dT%H:%M:%S"
    return time.strftime(fmt, time.gmtime(t)), time.strftime(fmt, time.gmtime(t + 86400))


def throughput(sess: _bench.Session, servers: list[Served], path: str, window: tuple[int, int]) -> dict:
    """The request from each server in turn (bench/_bench.py's runner); the samples of the
    first answers inside the window must be equal."""
    size, digests = {}, {}

    def job(srv: Served) -> Job:
        body = sess.work / f"answer-{srv.name}.mseed"

        def go() -> Run:
            t0 = time.perf_counter()
            status, n = srv.get(path, save=body)
            dt = time.perf_counter() - t0
            if status != 200:
                sys.exit(f"{srv.name}: {path} answered {status}")
            size[srv.name] = n
            return Run(dt)

        def after(r: Run, rep: int) -> None:
            if rep == 0:
                digests[srv.name] = _bench.sample_digest([body], window)
            body.unlink()

        return Job(srv.name, go, after=after)

    res = sess.warm_and_cold([job(srv) for srv in servers])
    names = list(digests)
    samples = digests and sum(e[0] for e in digests[names[0]].values())
    for other in names[1:]:
        samples = _bench.same_samples(digests[names[0]], digests[other], names[0], other)
    out = {"samples_in_window": samples}
    for cache, runs in res.items():
        for name, v in runs.items():
            st = stat(v)
            out.setdefault(cache, {})[name] = {**st.as_dict(), "bytes": size[name],
                                              "mb_per_s": size[name] / st.median / 1e6}
    return out


WRK_LUA = """
local base = {base}
local n = 0
request = function()
  n = n + 1
  local t = base + 600 + ((n * 7919) % 1320) * 60
  local s = os.date("!%Y-%m-%dT%H:%M:%S", t)
  local e = os.date("!%Y-%m-%dT%H:%M:%S", t + 60)
  return wrk.format("GET", "/fdsnws/dataselect/1/query?net={net}&sta={sta}&loc={loc}&cha={cha}&start=" .. s .. "&end=" .. e)
end
"""


def rps(server: Served, net, sta, loc, cha, day, seconds: int) -> dict:
    base = int(time.mktime(time.strptime(day, "%Y-%m-%d")) - time.timezone)
    wrk = shutil.which("wrk")
    if wrk:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(WRK_LUA.format(base=base, net=net, sta=sta, loc=loc, cha=cha))
        p = subprocess.run([wrk, "-t2", "-c32", f"-d{seconds}s", "--timeout", "30s",
                            "-s", f.name, f"http://127.0.0.1:{server.port}"],
                           capture_output=True, text=True)
        os.unlink(f.name)
        text = p.stdout
        req_s = float(next(l for l in text.splitlines() if l.startswith("Requests/sec")).split()[1])
        bad = next((int(l.split()[-1]) for l in text.splitlines() if "Non-2xx" in l), 0)
        errors = next((l.strip() for l in text.splitlines() if "Socket errors" in l), "")
        return {"tool": "wrk -t2 -c32", "requests_per_s": req_s, "non_2xx": bad,
                "socket_errors": errors}
    # Python fallback: 32 threads, keep-alive
    stop_at = time.monotonic() + seconds
    counts = [0] * 32
    bad = [0] * 32

    def worker(k: int) -> None:
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        i = k
        while time.monotonic() < stop_at:
            t = base + 600 + ((i * 7919) % 1320) * 60
            i += 32
            s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
            e = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + 60))
            try:
                c.request("GET", dataselect_path(net, sta, loc, cha, s, e))
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    bad[k] += 1
                counts[k] += 1
            except (OSError, http.client.HTTPException):
                bad[k] += 1
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

    dt = in_threads(worker, 32)
    return {"tool": "python threads x32", "requests_per_s": sum(counts) / dt,
            "non_2xx": sum(bad), "socket_errors": ""}


def in_threads(target, n: int) -> float:
    """Runs `target(0)` ... `target(n - 1)` in `n` threads at once; returns the seconds
    until the last one ended."""
    th = [threading.Thread(target=target, args=(k,)) for k in range(n)]
    t0 = time.monotonic()
    for t in th:
        t.start()
    for t in th:
        t.join()
    return time.monotonic() - t0


def burst(server: Served, paths: list[str]) -> dict:
    results = [None] * len(paths)

    def one(i: int) -> None:
        try:
            results[i] = server.get(paths[i], timeout=900)
        except (OSError, http.client.HTTPException) as e:
            results[i] = (0, str(e))

    dt = in_threads(one, len(paths))
    ok = sum(1 for r in results if r and r[0] == 200)
    return {"requests": len(paths), "ok": ok, "seconds": dt,
            "bytes": sum(r[1] for r in results if r and r[0] == 200),
            "peak_rss_mb": vm_hwm_kb(server.proc.pid) / 1024}


def latency(server: Served, paths: list[str]) -> dict:
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    lat = []
    statuses = set()
    for p in paths:
        t0 = time.perf_counter()
        c.request("GET", p)
        r = c.getresponse()
        r.read()
        lat.append((time.perf_counter() - t0) * 1000)
        statuses.add(r.status)
    c.close()
    lat.sort()
    return {"p50_ms": lat[len(lat) // 2], "p99_ms": lat[int(len(lat) * 0.99) - 1],
            "max_ms": lat[-1], "statuses": sorted(statuses), "n": len(lat)}


def availability_paths(kind: str, streams: int, n: int) -> list[str]:
    rnd = random.Random(18)
    out = []
    chans = ["HHE", "HHN", "HHZ"]
    for _ in range(n):
        i = rnd.randrange(streams)
        q = urllib.parse.urlencode({"net": "SY", "sta": f"S{i // 3:04d}", "loc": "00",
                                    "cha": chans[i % 3], "start": "2021-01-01",
                                    "end": "2022-01-01", "format": "text"})
        out.append(f"/fdsnws/availability/1/{kind}?{q}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench.add_size(ap)
    ap.add_argument("--peer", help="portable-fdsnws-dataselect (default: on PATH or in .venv-fdsnws)")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--synthetic", type=Path)
    ap.add_argument("--pg")
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--skip-dataselect", action="store_true")
    _bench.add_common(ap, archive=True)
    a = ap.parse_args()
    peer = None
    if not a.skip_peer and not a.skip_dataselect:
        peer = _bench.tool("portable-fdsnws-dataselect", a.peer)
        if not peer:
            _bench.log("portable-fdsnws-dataselect not found (give --peer PATH): the peer is skipped")
    with _bench.Session("serve-vs-peers", a) as sess:
        run(a, sess, peer)


def run(a, sess: _bench.Session, peer: str | None) -> None:
    siqaco = sess.siqaco
    results: dict = {"siqaco": siqaco}
    work = sess.work
    rows = []
    servers: list[Served] = []
    if not a.skip_dataselect:
        archive = sess.standard_archive()
        cat = work / "cat.sqlite"
        subprocess.run([siqaco, "index", str(archive), "--db", str(cat)], check=True,
                       capture_output=True)
        net, sta, loc, cha, day = pick_day(cat)
        w0, w1 = day_window(day)
        path = dataselect_path(net, sta, loc, cha, w0, w1)
        results["request"] = path
        servers = [start_siqaco(siqaco, str(cat), archive, work, "ds")]
        if peer:
            servers.append(start_peer(Path(peer), cat, work))
        try:
            tp = throughput(sess, servers, path, (_bench.iso_ns(w0), _bench.iso_ns(w1)))
            results["throughput"] = tp
            for cache in ("warm", "cold"):
                for s in servers:
                    if cache in tp:
                        t = tp[cache][s.name]
                        rows.append((f"one day, 3 channels ({t['bytes'] / 1e6:.0f} MB), {cache}", s.name,
                                     f"{t['median_s']:.3f} s ({t['min_s']:.3f}–{t['max_s']:.3f}), "
                                     f"{t['mb_per_s']:.0f} MB/s"))
            results["rps"] = {}
            for s in servers:
                r = rps(s, net, sta, loc, cha, day, a.seconds)
                results["rps"][s.name] = r
                rows.append(("one-minute requests, 32 clients", s.name,
                             f"{r['requests_per_s']:.0f} req/s ({r['tool']}, "
                             f"{r['non_2xx']} non-2xx)"))
            results["burst"] = {}
            day_paths = []
            c = sqlite3.connect(cat)
            days = [d for (d,) in c.execute(
                "SELECT DISTINCT substr(starttime,1,10) FROM tsindex ORDER BY 1")][1:-1] or [day]
            for i in range(64):
                d = days[i % len(days)]
                day_paths.append(dataselect_path(net, sta, loc, cha, *day_window(d)))
            for s in servers:
                b = burst(s, day_paths)
                results["burst"][s.name] = b
                rows.append(("64 concurrent one-day requests", s.name,
                             f"{b['ok']}/64 ok in {b['seconds']:.1f} s, "
                             f"peak RSS {b['peak_rss_mb']:.0f} MB"))
        finally:
            for s in servers:
                stop(s.proc)
    for label, target in (("SQLite", a.synthetic), ("PostgreSQL", a.pg)):
        if not target:
            continue
        if label == "SQLite":
            streams = sqlite3.connect(target).execute(
                "SELECT count(DISTINCT station || channel) FROM tsindex_summary").fetchone()[0]
        else:
            streams = int(subprocess.run(
                ["psql", "-At", target, "-c",
                 "SELECT count(*) FROM tsindex_summary"],
                capture_output=True, text=True, check=True).stdout.strip())
        s = start_siqaco(siqaco, str(target), None, work, label)
        try:
            for kind in ("query", "extent"):
                paths = availability_paths(kind, streams, 200)
                latency(s, paths[:20])  # warm-up
                r = latency(s, paths)
                results.setdefault("availability", {})[f"{label} {kind}"] = r
                rows.append((f"availability {kind}, one stream-year ({label})", "siqaco",
                             f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms "
                             f"(statuses {r['statuses']})"))
        finally:
            stop(s.proc)
    print(f"Same job: the samples of the answers inside the window: "
          f"{results.get('throughput', {}).get('samples_in_window', '-')}, equal for "
          f"{', '.join(srv.name for srv in servers) or '-'}")
    print(f"{sess.cold_line()}\n")
    print("| measurement | server | result |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")
    for cache, tp in results.get("throughput", {}).items():
        if isinstance(tp, dict) and len(tp) == 2:
            ratio = tp["portable-fdsnws-dataselect"]["median_s"] / tp["siqaco"]["median_s"]
            print(f"\nthroughput ratio (peer time / siqaco time), {cache}: {ratio:.1f}x")
    rp = results.get("rps", {})
    if len(rp) == 2:
        ratio = rp["siqaco"]["requests_per_s"] / max(rp["portable-fdsnws-dataselect"]["requests_per_s"], 1e-9)
        print(f"requests per second ratio (siqaco / peer): {ratio:.1f}x")
    sess.results.update(results)


if __name__ == "__main__":
    main()
