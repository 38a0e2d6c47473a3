#!/usr/bin/env python3
"""`siqaco watch` following day files that grow: latency and bytes read (docs/benchmarks.md,
"watch"; issue #21 item 2).

Writes only under --work (default: a temporary directory, removed at the end): an SDS archive whose day files (real records of the test data's
IU.COLA BH1, BH2, BHZ day files, 512 bytes each, in time order) get one record each every
--interval seconds for --seconds, while `siqaco watch` follows it with --debounce. A poller
reads the catalogue every 20 ms (the sum of the tsindex `bytes` of the day files): the
latency of an append is the time from its write to the first poll that counts its bytes.
At the end: the latency from the last append until the catalogue equals a fresh
`siqaco index` of a copy, and the bytes the watcher read against the bytes appended (its
JSON counts, after SIGTERM).

    .venv/bin/python bench/watch-latency.py [--work DIR] [--siqaco target/release/siqaco]
        [--seconds 30] [--interval 0.1] [--debounce 0.5 0.1] [--reps 1]

Each debounce is run --reps times (the latencies of all appends of a run are its sample);
bench/_bench.py prints the machine and the load average before and after.
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# the records in time order and the compared columns: those of the test
sys.path.insert(0, str(ROOT / "tests" / "peers"))
from test_watch import COLUMNS, records  # noqa: E402
DATA = Path(os.environ.get("SIQACO_TEST_DATA") or ROOT / "tests" / "data")
DAYS = [Path(f"2010/IU/COLA/{c}.D/IU.COLA.00.{c}.D.2010.058") for c in ("BHZ", "BH1", "BH2")]
def rows(db: Path, sql: str) -> list[tuple]:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []


def run(args, debounce: float, work: Path) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    root = work / "archive"
    db = work / "watch.sqlite"
    recs = [records(DATA / "sds-small" / d) for d in DAYS]
    n = min(int(args.seconds / args.interval), *(len(r) for r in recs))
    for d in DAYS:
        (root / d).parent.mkdir(parents=True)
    watch = subprocess.Popen(
        [args.siqaco, "watch", str(root), "--db", str(db), "--relative-paths", "--rescan", "0",
         "--debounce", str(debounce), "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    while not rows(db, "SELECT count(*) FROM siqaco_schema"):
        time.sleep(0.02)
    polls: list[tuple[float, int]] = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            r = rows(db, "SELECT coalesce(sum(bytes),0) FROM tsindex")
            polls.append((time.monotonic(), r[0][0] if r else 0))
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    appends: list[tuple[float, int]] = []
    total = 0
    t_next = time.monotonic()
    for i in range(n):
        for k, d in enumerate(DAYS):
            with open(root / d, "ab") as f:
                f.write(recs[k][i])
            total += len(recs[k][i])
        appends.append((time.monotonic(), total))
        t_next += args.interval
        time.sleep(max(0.0, t_next - time.monotonic()))
    t_last = appends[-1][0]
    # the oracle: a fresh index of a copy
    copy = work / "copy"
    shutil.copytree(root, copy, copy_function=shutil.copy2)
    subprocess.run([args.siqaco, "index", str(copy), "--db", str(work / "fresh.sqlite"),
                    "--relative-paths"], check=True, capture_output=True)
    expected = sorted(rows(work / "fresh.sqlite", f"SELECT {COLUMNS} FROM tsindex"))
    equal_after = None
    while time.monotonic() - t_last < 30:
        if sorted(rows(db, f"SELECT {COLUMNS} FROM tsindex")) == expected:
            equal_after = time.monotonic() - t_last
            break
        time.sleep(0.02)
    stop.set()
    poller.join()
    watch.send_signal(signal.SIGTERM)
    out, _ = watch.communicate(timeout=30)
    counts = json.loads(out)
    lat = []
    j = 0
    for t, cum in appends:
        while j < len(polls) and (polls[j][0] < t or polls[j][1] < cum):
            j += 1
        if j < len(polls):
            lat.append(polls[j][0] - t)
    lat.sort()
    return {
        "debounce_s": debounce,
        "files": len(DAYS),
        "appends": n * len(DAYS),
        "bytes_appended": total,
        "bytes_read": counts["bytes_read"],
        "read_per_appended": round(counts["bytes_read"] / total, 3),
        "passes": counts["passes"],
        "files_extended": counts["files_extended"],
        "latency_median_s": round(statistics.median(lat), 3) if lat else None,
        "latency_p95_s": round(lat[int(0.95 * (len(lat) - 1))], 3) if lat else None,
        "latency_max_s": round(lat[-1], 3) if lat else None,
        "equal_to_fresh_index_after_last_append_s":
            None if equal_after is None else round(equal_after, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--debounce", type=float, nargs="+", default=[0.5, 0.1])
    _bench.add_common(ap, reps=1)
    args = ap.parse_args()
    with _bench.Session("watch-latency", args) as s:
        args.siqaco = s.siqaco
        out = []
        for d in args.debounce:
            for rep in range(args.reps):
                _bench.sync()
                time.sleep(args.pause)
                r = run(args, d, s.work / f"debounce-{d}")
                out.append(r)
                print(json.dumps(r))
        s.results["runs"] = out


if __name__ == "__main__":
    main()
