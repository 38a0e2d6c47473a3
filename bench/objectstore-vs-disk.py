#!/usr/bin/env python3
"""Scan and index of an archive in object storage against the same files on the local disk
(issue #20, "Performance"): prints wall time and throughput of `siqaco scan` and `siqaco
index` of a make-bench-archive archive read from the local disk and from moto's S3 server
on 127.0.0.1 (16 requests in flight, the default), their ratio, and the requests each run
of the bucket made (LIST and GET, counted by a proxy in front of the server). Not a test,
not run in CI.

Usage:
  .venv/bin/python bench/objectstore-vs-disk.py [--siqaco target/release/siqaco]
      [--stations 10] [--days 2] [--rate 20] [--work /tmp/objectstore-bench] [--keep]

Needs moto[server] (scripts/bootstrap installs it into .venv) and make-bench-archive
(tools/). The local-disk figures are read from the page cache (the files were just
written), the bucket's from moto's memory through HTTP on the loopback: the ratio is the
cost of the S3 protocol and of the server, not of a disk or a network. Every figure is
wall-clock (`time.perf_counter`), the best of --repeat runs.
"""

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "make-bench-archive"
AUTH = "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def counting_proxy(upstream: int) -> tuple[ThreadingHTTPServer, list]:
    """Forwards to the server, appending (method, path) of each request to the list."""
    seen: list = []

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            seen.append((self.command, self.path))
            c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
            c.request("GET", self.path, headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
            r = c.getresponse()
            body = r.read()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def put(port: int, path: str, body: bytes = b"") -> None:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("PUT", path, body=body, headers={"Authorization": AUTH})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"PUT {path}: HTTP {r.status}")


def timed(cmd: list[str], env: dict, repeat: int, before=None) -> float:
    best = float("inf")
    for _ in range(repeat):
        if before:
            before()
        t = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True)
        best = min(best, time.perf_counter() - t)
        if p.returncode not in (0, 3):
            sys.exit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.decode()}")
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--siqaco", default=str(ROOT / "target" / "release" / "siqaco"))
    ap.add_argument("--stations", type=int, default=10)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default="/tmp/objectstore-bench")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    moto_bin = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(moto_bin).exists():
        sys.exit("moto_server not found: scripts/bootstrap installs moto[server] into .venv")
    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    arch = work / "arch"
    subprocess.run([sys.executable, str(TOOL), str(arch), "--stations", str(a.stations), "--days", str(a.days),
                    "--sample-rate", str(a.rate), "--seed", "1", "--quiet"], check=True)
    files = sorted(p for p in arch.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files)
    port = free_port()
    moto = subprocess.Popen([moto_bin, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy, seen = None, []
    try:
        for _ in range(100):
            try:
                put(port, "/bench")
                break
            except OSError:
                time.sleep(0.2)
        for p in files:
            put(port, f"/bench/arch/{p.relative_to(arch).as_posix()}", p.read_bytes())
        proxy, seen = counting_proxy(port)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy.server_address[1]}", AWS_REGION="us-east-1",
                   AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
        db = work / "c.sqlite"
        drop = lambda: db.unlink(missing_ok=True)  # noqa: E731
        print(f"archive: {len(files)} day files, {size / 1e6:.1f} MB ({a.stations} stations x 3 channels x {a.days} days, {a.rate:g} Hz)")
        print(f"{'run':<8}{'disk s':>9}{'bucket s':>10}{'disk MB/s':>11}{'bucket MB/s':>13}{'ratio':>7}{'LIST':>6}{'GET':>6}")
        for name, args in (("scan", ["scan", "{root}", "--format", "json"]),
                           ("index", ["index", "{root}", "--db", str(db)])):
            disk = timed([a.siqaco, *[x.format(root=arch) for x in args]], env, a.repeat, drop)
            seen.clear()
            bucket = timed([a.siqaco, *[x.format(root="s3://bench/arch") for x in args]], env, a.repeat, drop)
            lists = sum(1 for _, p in seen if "list-type" in p) // a.repeat
            gets = sum(1 for _, p in seen if "list-type" not in p) // a.repeat
            print(f"{name:<8}{disk:>9.2f}{bucket:>10.2f}{size / 1e6 / disk:>11.1f}{size / 1e6 / bucket:>13.1f}"
                  f"{disk / bucket:>7.2f}{lists:>6}{gets:>6}")
    finally:
        if proxy:
            proxy.shutdown()
        os.kill(moto.pid, signal.SIGTERM)
        moto.wait()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
