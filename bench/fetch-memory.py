#!/usr/bin/env python3
"""Measurement: peak memory of `siqaco fetch` receiving one large dataselect body (issue #16,
defect 6: a 200 MB body was held whole in memory). Not a test: it prints figures.

Usage:
  .venv/bin/python bench/fetch-memory.py [--siqaco target/debug/siqaco] [--mib 200]
                                         [--distinct]

A small HTTP server on 127.0.0.1 (a thread of this script) answers every dataselect POST
with a body of about --mib MiB, sent from a file in 64 KiB writes. The body is made of real
records: a day of IU.COLA.00.BHZ from tests/data/sds-small, repeated. By default the
copies are identical, so the archive gets one copy (the rest are byte-identical duplicates,
skipped): the figure is then what receiving, validating and staging the body costs. With
--distinct each copy's records get a different station code (COLA, COLB, ...: different
streams, each its own day file), so everything received is also written.

`siqaco fetch` runs under /usr/bin/time -v; its maximum resident set size, wall time and
the bytes received are printed, with the body size.
"""

import argparse
import http.server
import os
import re
import socketserver
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIQACO_TEST_DATA", ROOT / "tests" / "data"))
DAY = DATA / "sds-small/2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"


def make_body(path: Path, mib: int, distinct: bool) -> int:
    day = DAY.read_bytes()
    # miniSEED 2 fixed header: station code in bytes 8..13 of every record.
    reclen = 1 << day[48 + 6] if day[48:50] == b"\x03\xe8" else None
    assert reclen, "expected blockette 1000 first"
    copies = (mib << 20) // len(day)
    with open(path, "wb") as f:
        for i in range(copies):
            if distinct:
                b = bytearray(day)
                code = ("C" + format(i, "04X")).encode()
                for off in range(0, len(b), reclen):
                    b[off + 8 : off + 13] = code
                f.write(b)
            else:
                f.write(day)
    return path.stat().st_size


def serve(body: Path) -> tuple[socketserver.TCPServer, int]:
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", str(body.stat().st_size))
            self.end_headers()
            with open(body, "rb") as f:
                while chunk := f.read(64 << 10):
                    self.wfile.write(chunk)

        def log_message(self, *a):
            pass

    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--siqaco", default=str(ROOT / "target/debug/siqaco"))
    ap.add_argument("--mib", type=int, default=200)
    ap.add_argument("--distinct", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        size = make_body(tmp / "body.mseed", a.mib, a.distinct)
        srv, port = serve(tmp / "body.mseed")
        cmd = [
            "/usr/bin/time", "-v", a.siqaco, "fetch",
            "--source", f"http://127.0.0.1:{port}",
            "--select", "IU.*.00.BHZ" if a.distinct else "IU.COLA.00.BHZ",
            "--start", "2010-02-27", "--end", "2010-02-28",
            "--out", str(tmp / "out"), "--retries", "0", "--in-flight", "1",
        ]
        p = subprocess.run(cmd, capture_output=True, text=True)
        srv.shutdown()
        err = p.stderr
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", err)
        said = [l for l in err.splitlines() if "fetched" in l or "error" in l]
        print(f"body: {size / 2**20:.1f} MiB ({'distinct streams' if a.distinct else 'identical copies'})")
        print(f"exit status: {p.returncode}")
        print(f"peak RSS: {int(rss.group(1)) / 1024:.1f} MiB" if rss else "peak RSS: ?")
        print(f"wall: {wall.group(1) if wall else '?'}")
        for l in said:
            print(l)
        if p.returncode != 0:
            print(err, file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
