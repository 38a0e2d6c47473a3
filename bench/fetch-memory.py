#!/usr/bin/env python3
"""Measurement: peak memory of `siqaco fetch` receiving one large dataselect body (issue #16,
defect 6: a 200 MB body was held whole in memory). Not a test: it prints figures.

Usage:
  .venv/bin/python bench/fetch-memory.py [--mib 200] [--distinct] [--siqaco PATH]
      [--work DIR] [--reps 3] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

A small HTTP server on 127.0.0.1 (a thread of this script) answers every dataselect POST
with a body of about --mib MiB, sent from a file in 64 KiB writes. The body is made of real
records: a day of IU.COLA.00.BHZ from tests/data/sds-small, repeated. By default the
copies are identical, so the archive gets one copy (the rest are byte-identical duplicates,
skipped): the figure is then what receiving, validating and staging the body costs. With
--distinct each copy's records get a different station code (COLA, COLB, ...: different
streams, each its own day file), so everything received is also written.

`siqaco fetch` runs --reps times under GNU time (bench/_bench.py: a sync and a pause
before each run), each into a new archive under the work directory; its maximum resident
set size, wall time (median, min-max) and what it says it received are printed, with the
body size.
"""

import argparse
import http.server
import os
import shutil
import socketserver
import threading
from pathlib import Path
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, stat, timed

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIQACO_TEST_DATA") or ROOT / "tests" / "data")
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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mib", type=int, default=200)
    ap.add_argument("--distinct", action="store_true")
    _bench.add_common(ap, reps=3)
    a = ap.parse_args()
    with _bench.Session("fetch-memory", a) as s:
        body = s.work / "body.mseed"
        size = make_body(body, a.mib, a.distinct)
        srv, port = serve(body)
        out = s.work / "out"
        cmd = [
            s.siqaco, "fetch",
            "--source", f"http://127.0.0.1:{port}",
            "--select", "IU.*.00.BHZ" if a.distinct else "IU.COLA.00.BHZ",
            "--start", "2010-02-27", "--end", "2010-02-28",
            "--out", str(out), "--retries", "0", "--in-flight", "1",
        ]
        said: list[str] = []

        def after(r, rep: int) -> None:
            said[:] = [l for l in r.stdout.splitlines() if "fetched" in l or "error" in l]
            shutil.rmtree(out, ignore_errors=True)

        try:
            res = s.alternate([Job("siqaco fetch", lambda: timed(["sh", "-c", '"$@" 2>&1', "sh", *cmd]),
                                   lambda: shutil.rmtree(out, ignore_errors=True), after)])
        finally:
            srv.shutdown()
        st = stat(res["siqaco fetch"])
        print(f"body: {size / 2**20:.1f} MiB ({'distinct streams' if a.distinct else 'identical copies'})")
        print(f"peak RSS: {st.rss_mib:.1f} MiB" if st.rss_mib else "peak RSS: ?")
        print(f"wall: {st.cell(2)} s, median (min–max) of {st.n}")
        for line in said:
            print(line)
        s.results.update({"body_bytes": size, "distinct": a.distinct, **st.as_dict(), "said": said})


if __name__ == "__main__":
    main()
