#!/usr/bin/env python3
"""Claims under contention (issue 19): WORKERS workers, each with its own connection,
claim the requests of one PostgreSQL request stack of REQUESTS requests until none is
left, with the claim `siqaco update` workers make (`siqaco::update::claims::claim`:
`UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING ...`). Reports
claims per second and checks that no request was claimed twice (the ids each worker got,
and the `claims` counter of every row in the catalogue). Not a test (not in CI).

Usage:
  .venv/bin/python bench/claims-contention.py [--pg postgresql://postgres@127.0.0.1:55432]
      [--requests 20000] [--workers 32] [--reps 5] [--exe PATH]
  (the options common to all scripts: bench/_bench.py, `--help`; --siqaco is not used)

The scratch database `claims_bench` is created on the server and dropped afterwards. The
claims run in `cargo run --release --features postgres -p siqaco-core --example
claims_contention` (threads of one process, each with its own connection: the server sees
WORKERS clients, as with WORKERS machines), or the example binary given with --exe. The runs
are repeated --reps times with a sync and a pause before each; the machine and the load
average before and after are printed (bench/_bench.py).
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DB = "claims_bench"


def psql(server: str, db: str, sql: str) -> str:
    p = subprocess.run(["psql", "-At", f"{server}/{db}", "-c", sql], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"psql {sql!r}: {p.stderr}")
    return p.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:55432", help="server URL without database")
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--exe", type=Path, help="the claims_contention example (default: cargo build it)")
    _bench.add_common(ap)
    args = ap.parse_args()
    with _bench.Session("claims-contention", args, needs_siqaco=False) as s:
        s.results["runs"] = run(args)


def run(args) -> list:
    exe = args.exe
    if exe is None:
        subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "siqaco-core", "--features", "postgres",
                        "--example", "claims_contention"], cwd=ROOT, check=True)
        exe = ROOT / "target" / "release" / "examples" / "claims_contention"
    runs = []
    for k in range(args.reps):
        _bench.sync()
        time.sleep(args.pause)
        psql(args.pg, "postgres", f"DROP DATABASE IF EXISTS {DB}")
        psql(args.pg, "postgres", f"CREATE DATABASE {DB}")
        try:
            out = subprocess.run([str(exe), f"{args.pg}/{DB}", str(args.requests), str(args.workers)],
                                 capture_output=True, text=True, check=True).stdout
            r = json.loads(out)
            # Every row claimed exactly once, as the catalogue counts it.
            r["rows_not_claimed_once"] = int(psql(args.pg, DB,
                                                  "SELECT count(*) FROM siqaco_requests WHERE claims IS DISTINCT FROM 1"))
        finally:
            psql(args.pg, "postgres", f"DROP DATABASE IF EXISTS {DB}")
        print(f"run {k + 1}: {r['claims']} claims by {r['workers']} workers in {r['seconds']:.2f} s = "
              f"{r['claims_per_s']:.0f} claims/s (per worker {r['per_worker_min']}-{r['per_worker_max']}); "
              f"claimed twice: {len(r['claimed_twice'])}; rows not claimed once: {r['rows_not_claimed_once']}")
        if not (r["claims"] == r["distinct"] == args.requests and not r["claimed_twice"]) \
                or r["rows_not_claimed_once"] != 0:
            _bench.disagree(f"requests claimed twice or not at all: {r}")
        runs.append(r)
    rates = [r["claims_per_s"] for r in runs]
    print(json.dumps({"requests": args.requests, "workers": args.workers,
                      "claims_per_s_median": statistics.median(rates), "claims_per_s_min": min(rates),
                      "claims_per_s_max": max(rates), "claims_per_s": rates, "duplicates": 0}, indent=1))
    return runs


if __name__ == "__main__":
    main()
