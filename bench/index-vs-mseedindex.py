#!/usr/bin/env python3
"""Benchmark: `siqaco index` against `mseedindex -sqlite` (3.0.8, from PyPI), fresh and after
1 % of the files changed, all timed in the same run on the same warm files. Not a test.

Usage:
  .venv/bin/python bench/index-vs-mseedindex.py [--archive DIR] [--reps 3] [--mseedindex PATH]

Without --archive, the 2.2 GB SDS archive of bench/scan-vs-peers.py is built once with
tools/make-bench-archive in ../bench-data/bench. The archive is never modified: the
runs index a mirror of hard links in a temporary directory, and "changed" files are new
copies (the last 512-byte record dropped) that replace the links.

mseedindex always computes the MD5 of each section; siqaco only with `--hash`. mseedindex
runs one process per file (as ObsPy's Indexer runs it), because several files in one call
mis-assign hashes and extents (EarthScope/mseedindex#14). siqaco is timed with 1 thread and
with all cores. Before timing, the script checks that siqaco --hash and mseedindex wrote the
same sections (codes, times, byte ranges, MD5), so a fast wrong answer cannot pass.

Targets (issue 4): siqaco without hashing >= 5x faster than mseedindex; with MD5 >= 2x; a
re-index of 1 % changed files in under 5 % of the fresh time.
Results: a Markdown table on stdout and bench-out/index-vs-mseedindex.json.
"""

import argparse
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MSEEDINDEX = ROOT.parent / "main" / ".venv" / "bin" / "mseedindex"


def files_of(archive: Path) -> list[Path]:
    return sorted(p for p in archive.rglob("*") if p.is_file() and not p.name.startswith("."))


def timed(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, **kw)
    dt = time.perf_counter() - t0
    if p.returncode not in (0, 3):
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()[-2000:]}")
    return dt


def mseedindex_all(exe: str, db: Path, files: list[Path]) -> float:
    """One mseedindex process per file, sequentially; wall seconds."""
    t0 = time.perf_counter()
    for f in files:
        subprocess.run([exe, "-sqlite", str(db), str(f)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def sections(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return sorted(c.execute(
            "SELECT network,station,location,channel,version,starttime,endtime,filename,byteoffset,bytes,hash,"
            "timespans FROM tsindex"))


def change(files: list[Path], n: int) -> list[Path]:
    """Replaces n spread-out links by new copies without their last record."""
    step = max(1, len(files) // n)
    changed = files[::step][:n]
    for f in changed:
        data = f.read_bytes()
        f.unlink()
        f.write_bytes(data[:-512])
    return changed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=Path, default=ROOT.parent / "bench-data" / "bench")
    ap.add_argument("--siqaco", type=Path, help="the siqaco binary to time (default: build the release binary of this checkout)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the siqaco runs (mseedindex: 1)")
    ap.add_argument("--mseedindex", default=str(DEFAULT_MSEEDINDEX))
    args = ap.parse_args()

    archive = args.archive
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
    out_dir = ROOT / "bench-out"
    out_dir.mkdir(exist_ok=True)
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory(prefix="siqaco-index-bench-") as tmp_s:
        tmp = Path(tmp_s)
        mirror = tmp / "archive"
        shutil.copytree(archive, mirror, copy_function=os.link)
        files = files_of(mirror)
        size = sum(f.stat().st_size for f in files)
        subprocess.run(["cat", *map(str, files)], stdout=subprocess.DEVNULL, check=True)  # warm

        def siqaco_index(db: Path, *extra: str, fresh: bool = True) -> float:
            if fresh:
                for p in tmp.glob(db.name + "*"):
                    p.unlink()
            return timed([siqaco, "index", str(mirror), "--db", str(db), *extra])

        # correctness: the same sections as mseedindex
        ms_db = tmp / "mseedindex.sqlite"
        t_ms = mseedindex_all(args.mseedindex, ms_db, files)
        sq_db = tmp / "check.sqlite"
        siqaco_index(sq_db, "--hash")
        a, b = sections(ms_db), sections(sq_db)
        assert len(a) == len(b) and a == b, f"mseedindex {len(a)} rows vs siqaco {len(b)} rows differ"
        check = f"{len(a)} tsindex rows: codes, times, byte ranges, MD5 and timespans equal to mseedindex's"

        runs: dict[str, list[float]] = {"mseedindex -sqlite (MD5 always), one process per file": [t_ms]}
        db = tmp / "bench.sqlite"
        for _ in range(args.reps):
            for label, extra in [
                ("siqaco index, 1 thread", ["--threads", "1"]),
                (f"siqaco index, {cores} threads", []),
                ("siqaco index --hash, 1 thread", ["--hash", "--threads", "1"]),
                (f"siqaco index --hash, {cores} threads", ["--hash"]),
            ]:
                runs.setdefault(label, []).append(siqaco_index(db, *extra))

        # re-index after 1 % of the files changed (each rep changes other files)
        n_changed = max(1, math.ceil(len(files) / 100))
        reindex: dict[str, list[float]] = {}
        for rep in range(args.reps):
            for label, extra in [("siqaco re-index", []), ("siqaco re-index --hash", ["--hash"])]:
                siqaco_index(db, *extra)
                changed = change(files_of(mirror)[rep:], n_changed)
                reindex.setdefault(label, []).append(siqaco_index(db, *extra, fresh=False))
                rows_inc = sections(db)
                siqaco_index(tmp / "ref.sqlite", *extra)
                assert rows_inc == sections(tmp / "ref.sqlite"), "re-index differs from a fresh index"
        t0 = time.perf_counter()
        for f in changed:
            subprocess.run([args.mseedindex, "-sqlite", str(ms_db), str(f)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
        ms_re = time.perf_counter() - t0

    med = {k: statistics.median(v) for k, v in runs.items()}
    ms = med["mseedindex -sqlite (MD5 always), one process per file"]
    print(f"\nArchive: {archive} ({len(files)} files, {size / 1e9:.2f} GB); {cores} cores; "
          f"siqaco medians of {args.reps}, mseedindex 1 run")
    print(f"Correctness: {check}\n")
    print("| what | s | GB/s | mseedindex / this |")
    print("|---|---|---|---|")
    rows = []
    for k, t in med.items():
        rows.append({"what": k, "median_s": t, "runs": len(runs[k]), "GB_per_s": size / t / 1e9, "speedup": ms / t})
        print(f"| {k} | {t:.2f} | {size / t / 1e9:.2f} | {ms / t:.1f}x |")
    print(f"\nRe-index after {n_changed} of {len(files)} files changed (the changed files are found "
          "by size and mtime; the others are not read):\n")
    print("| what | s | % of the fresh index with the same options |")
    print("|---|---|---|")
    re_rows = []
    for k, v in reindex.items():
        t = statistics.median(v)
        fresh = med[f"siqaco index{' --hash' if 'hash' in k else ''}, {cores} threads"]
        re_rows.append({"what": k, "median_s": t, "percent_of_fresh": 100 * t / fresh})
        print(f"| {k} | {t:.3f} | {100 * t / fresh:.1f} % |")
    print(f"| mseedindex on the {n_changed} changed file(s) only (it cannot find them itself) | {ms_re:.3f} | "
          f"{100 * ms_re / ms:.1f} % |")
    targets = {
        "no_hash_5x": ms / med[f"siqaco index, {cores} threads"] >= 5,
        "md5_2x": ms / med[f"siqaco index --hash, {cores} threads"] >= 2,
        "reindex_under_5pct": all(r["percent_of_fresh"] < 5 for r in re_rows),
    }
    print(f"\nTargets: {targets}")
    (out_dir / "index-vs-mseedindex.json").write_text(json.dumps(
        {"archive": str(archive), "files": len(files), "bytes": size, "cores": cores, "check": check,
         "rows": rows, "reindex": re_rows, "files_changed": n_changed, "mseedindex_changed_only_s": ms_re,
         "targets": targets}, indent=1))


if __name__ == "__main__":
    main()
