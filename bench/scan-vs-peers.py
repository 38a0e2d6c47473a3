#!/usr/bin/env python3
"""Benchmark: `siqaco scan` against `cat` (the page-cache limit), libmseed's trace list
(pymseed `MS3TraceList.add_file(f, unpack_data=False)`) and ObsPy (`read(headonly=True)` +
`get_gaps()`), all timed in the same run on the same warm files. Not a test.

Usage:
  .venv/bin/python bench/scan-vs-peers.py [--archive DIR] [--reps 3] [--skip-obspy]

Without --archive, a 2.2 GB SDS archive (12 stations x 3 channels x 4 days, 100 Hz, 512-byte
Steim2 records, real samples, known gaps and overlaps) is built once with
tools/make-bench-archive in ../bench-data/bench. The script also checks that
siqaco's gaps and coverage equal the generator's expected file, so a fast wrong answer
cannot pass. Results: a Markdown table on stdout and bench-out/scan-vs-peers.json.
The Python row appears when the siqaco package is installed in the venv; build it with
`maturin develop --release` first (scripts/test installs a debug build).
"""

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def files_of(archive: Path) -> list[str]:
    return sorted(str(p) for p in archive.rglob("*") if p.is_file() and not p.name.startswith("."))


def timed_cmd(cmd: list[str], stdout=subprocess.DEVNULL) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of a command, via GNU time."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=stdout, stderr=subprocess.PIPE, check=False)
    dt = time.perf_counter() - t0
    if p.returncode not in (0, 3):
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()[-2000:]}")
    rss = int(p.stderr.decode().strip().splitlines()[-1])
    return dt, rss


def timed_py(code: str) -> tuple[float, int]:
    """Runs Python code in a fresh interpreter; the code prints its own elapsed seconds."""
    p = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-c", code], capture_output=True, check=True
    )
    dt = float(p.stdout.decode().strip().splitlines()[-1])
    rss = int(p.stderr.decode().strip().splitlines()[-1])
    return dt, rss


def check_against_expected(doc: dict, expected: dict) -> str:
    """siqaco's gaps and union coverage vs make-bench-archive's expected file."""
    from datetime import datetime, timezone

    def ns(t: str) -> int:
        date, frac = t.rstrip("Z").split(".")
        dt = datetime.strptime(date, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        return int(dt.timestamp()) * 10**9 + int(frac.ljust(9, "0"))

    import ast

    streams = {s["nslc"]: s for s in doc["streams"]}
    assert len(streams) == len(expected["nslc"]), "stream count"
    ngaps = 0
    for nslc, e in expected["nslc"].items():
        s = streams[nslc]
        cov = e["coverage_union"]
        cov = ast.literal_eval(cov) if isinstance(cov, str) else cov
        assert len(s["segments"]) == len(cov), f"{nslc}: {len(s['segments'])} segments vs {len(cov)}"
        for a, b in zip(s["segments"], cov):
            assert abs(ns(a["start"]) - ns(b[0])) <= 1000 and abs(ns(a["end"]) - ns(b[1])) <= 1000, (nslc, a, b)
        ngaps += len(s["gaps"])
    assert ngaps == expected["totals"]["gaps"], f"{ngaps} gaps vs {expected['totals']['gaps']}"
    return f"{len(streams)} streams, {ngaps} gaps: equal to make-bench-archive's expected coverage"


PYMSEED = """
import sys, time
from pymseed import MS3TraceList
files = open(sys.argv[1]).read().split()
t0 = time.perf_counter()
tl = MS3TraceList()
for f in files:
    tl.add_file(f, unpack_data=False)
n = sum(len(t) for t in tl)
print(time.perf_counter() - t0)
"""

SIQACO_PY = """
import sys, time, siqaco
import obspy  # imported before timing: get_gaps() returns UTCDateTime objects, as ObsPy does
root = sys.argv[1]
t0 = time.perf_counter()
r = siqaco.scan(root)
g = r.get_gaps()
print(time.perf_counter() - t0)
"""

OBSPY = """
import sys, time, obspy
files = open(sys.argv[1]).read().split()
t0 = time.perf_counter()
st = obspy.Stream()
for f in files:
    st += obspy.read(f, headonly=True, format="MSEED")
g = st.get_gaps()
print(time.perf_counter() - t0)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=Path, default=ROOT.parent / "bench-data" / "bench")
    ap.add_argument("--siqaco", type=Path, help="the siqaco binary to time (default: build the release binary of this checkout)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--skip-obspy", action="store_true")
    args = ap.parse_args()

    archive = args.archive
    expected_path = Path(str(archive) + ".expected.json")
    if not archive.is_dir():
        archive.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(ROOT / "tools" / "make-bench-archive"), str(archive), "--stations", "12",
             "--days", "4", "--sample-rate", "100", "--record-length", "512", "--encoding", "STEIM2",
             "--seed", "1", "--jobs", "2", "--quiet"],
            check=True,
        )
    if args.siqaco:
        siqaco = str(args.siqaco.resolve())
    else:
        subprocess.run(["cargo", "build", "--release", "-p", "siqaco-cli"], cwd=ROOT, check=True)
        siqaco = str(ROOT / "target" / "release" / "siqaco")
    files = files_of(archive)
    size = sum(os.path.getsize(f) for f in files)
    listfile = ROOT / "bench-out" / "files.txt"
    listfile.parent.mkdir(exist_ok=True)
    listfile.write_text("\n".join(files))

    # correctness first, and warm the page cache
    subprocess.run(["cat", *files], stdout=subprocess.DEVNULL, check=True)
    out = subprocess.run([siqaco, "scan", str(archive), "--format", "json"], capture_output=True, check=False)
    doc = json.loads(out.stdout)
    records = doc["records"]
    check = check_against_expected(doc, json.loads(expected_path.read_text())) if expected_path.exists() else "no expected file"

    runs: dict[str, list[tuple[float, int]]] = {}
    cores = os.cpu_count() or 1
    for _ in range(args.reps):
        runs.setdefault("cat", []).append(timed_cmd(["sh", "-c", f"xargs cat < {listfile} > /dev/null"]))
        runs.setdefault("siqaco scan, 1 thread", []).append(
            timed_cmd([siqaco, "scan", str(archive), "--format", "json", "--threads", "1"]))
        runs.setdefault(f"siqaco scan, {cores} threads", []).append(
            timed_cmd([siqaco, "scan", str(archive), "--format", "json"]))
        if importlib.util.find_spec("siqaco") is not None:  # the Python package, if installed
            runs.setdefault("siqaco.scan (Python) + get_gaps", []).append(
                timed_py(SIQACO_PY.replace("sys.argv[1]", repr(str(archive)))))
        runs.setdefault("pymseed MS3TraceList (libmseed 3.5)", []).append(
            timed_py(PYMSEED.replace("sys.argv[1]", repr(str(listfile)))))
    if not args.skip_obspy:
        runs["ObsPy read(headonly) + get_gaps"] = [timed_py(OBSPY.replace("sys.argv[1]", repr(str(listfile))))]

    rows = []
    med = {k: statistics.median(t for t, _ in v) for k, v in runs.items()}
    for k, v in runs.items():
        t = med[k]
        rss = max(r for _, r in v)
        rows.append({
            "what": k, "median_s": t, "runs": len(v), "GB_per_s": size / t / 1e9,
            "Mrecords_per_s": records / t / 1e6, "peak_rss_MiB": rss / 1024,
        })
    lib = med["pymseed MS3TraceList (libmseed 3.5)"]
    print(f"\nArchive: {archive} ({len(files)} files, {size / 1e9:.2f} GB, {records} records); {cores} cores")
    print(f"Correctness: {check}\n")
    obspy = med.get("ObsPy read(headonly) + get_gaps")
    print("| what | median s | GB/s | M records/s | peak RSS MiB | vs cat | vs libmseed trace list | vs ObsPy |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['median_s']:.3f} | {r['GB_per_s']:.2f} | {r['Mrecords_per_s']:.2f} | "
              f"{r['peak_rss_MiB']:.0f} | {med['cat'] / r['median_s']:.2f} | {lib / r['median_s']:.2f} | "
              f"{(obspy / r['median_s']) if obspy else float('nan'):.2f} |")
    (ROOT / "bench-out" / "scan-vs-peers.json").write_text(json.dumps(
        {"archive": str(archive), "files": len(files), "bytes": size, "records": records, "cores": cores,
         "check": check, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
