#!/usr/bin/env python3
"""Benchmark: `siqaco merge` of a ~1 GB patch set with ~10 % overlap into a copy of the
2.2 GB SDS archive, with `dataselect -Ps` timed on the same inputs where it is installed.
Not a test.

Usage:
  .venv/bin/python bench/merge-vs-peers.py [--archive DIR] [--work DIR] [--reps 3]
                                           [--dataselect PATH] [--keep]

Archive: the 2.2 GB archive of bench/scan-vs-peers.py (../bench-data/bench: 12 stations x 3
channels x 4 days from 2023-12-30, 100 Hz, 512-byte Steim2, records stored by start time),
built with tools/make-bench-archive when missing.

Patch set, built once in WORK/patches with the same generator and seed (so the same station
codes, locations and sample grids):
  new/      all 12 stations, 2 days after the archive (2024-01-03, 2024-01-04): data the
            archive lacks (~1.1 GB);
  overlap/  3 stations, 2024-01-02, a day the archive holds: the same times with other
            samples (the generator starts its sample source at another index), ~0.14 GB,
            about 10 % of the patch set.
The patches get priority 1 and the archive priority 2, so the overlapping day is replaced
sample by sample (every one of its records is re-encoded).

Each run merges into a fresh mirror of the archive made of hard links (the merge never
writes a file in place: it writes a new file and renames it over the old one, so the
shared archive is not modified; the script checks its sizes and mtimes after the runs).
Timed: the release `siqaco merge` (default: day files cut at midnight; and
`--by-start-time`, the archive's own convention), wall time and peak RSS from GNU time;
and, as the write limit, `cp -r` of the patch files followed by `sync`.
patch MB/s = patch bytes / wall seconds; read MB/s = (patch bytes + the archive day files
the merge reads) / wall seconds. Correctness: each run's merge verifies every new day
file sample by sample before it replaces anything (the run fails otherwise); the script
prints what `--dry-run --json` reports (day files changed, samples added and replaced,
records copied and re-encoded).

dataselect (EarthScope, `dataselect -Ps -SDS OUT FILES...`) is timed when given with
--dataselect or on PATH, on the same job: the archive day files the merge reads and the
patch files in, their new content out to an empty SDS tree (dataselect appends to files
that exist, so it cannot write into the archive). Moving its output into place and
syncing it are not timed, in its favour. It is not packaged on PyPI or in Debian; it
builds from its source against libmseed (`make`), and the figures in docs/benchmarks.md
name the version used.

Results: a Markdown table on stdout and bench-out/merge-vs-peers.json.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT / "tools" / "make-bench-archive"
COMMON = ["--sample-rate", "100", "--record-length", "512", "--encoding", "STEIM2", "--seed", "1",
          "--jobs", "2", "--quiet"]


def files_of(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*") if p.is_file() and not p.name.startswith("."))


def size_of(d: Path) -> int:
    return sum(p.stat().st_size for p in files_of(d))


def stat_snapshot(d: Path) -> dict:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino) for p in files_of(d)}


def generate(out: Path, *args: str) -> None:
    if out.is_dir():
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(GEN), str(out), *args, *COMMON,
                    "--expected", str(out)], check=True)


def mirror(src: Path, dst: Path) -> None:
    """A copy of `src` made of hard links."""
    subprocess.run(["cp", "-al", str(src), str(dst)], check=True)


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KiB) and stdout of a command, via GNU time."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, check=False)
    dt = time.perf_counter() - t0
    if p.returncode not in (0, 3):
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()[-3000:]}")
    rss = int(p.stderr.decode().strip().splitlines()[-1])
    return dt, rss, p.stdout.decode()


def machine() -> str:
    load = os.getloadavg()
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    mem = subprocess.run(["sh", "-c", "free -m | awk '/Mem:/ {print $2\" MiB RAM, \"$7\" MiB available\"}'"],
                         capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores ({cpu}), {mem}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", type=Path, default=ROOT.parent / "bench-data" / "bench")
    ap.add_argument("--siqaco", type=Path, help="the siqaco binary to time (default: build the release binary of this checkout)")
    ap.add_argument("--work", type=Path, default=ROOT / "bench-out" / "merge")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dataselect", default=shutil.which("dataselect"))
    ap.add_argument("--keep", action="store_true", help="keep the patches (WORK/patches)")
    args = ap.parse_args()

    archive = args.archive
    generate(archive, "--stations", "12", "--days", "4")
    patches = args.work / "patches"
    new, overlap = patches / "new", patches / "overlap"
    generate(new, "--stations", "12", "--days", "2", "--start", "2024-01-03")
    generate(overlap, "--stations", "3", "--days", "1", "--start", "2024-01-02")
    if args.siqaco:
        siqaco = str(args.siqaco.resolve())
    else:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "siqaco-cli"], cwd=ROOT, check=True)
        siqaco = str(ROOT / "target" / "release" / "siqaco")

    ds_version = ""
    if args.dataselect:
        v = subprocess.run([args.dataselect, "-V"], capture_output=True, text=True)
        ds_version = (v.stdout + v.stderr).strip().split()[-1]
    a_bytes = size_of(archive)
    p_bytes = size_of(new) + size_of(overlap)
    o_bytes = size_of(overlap)
    before = stat_snapshot(archive)
    subprocess.run(["sh", "-c", f"cat $(find {archive} {patches} -type f) > /dev/null"], check=True)

    base = ["merge", "--priority", "1", "--archive-priority", "2"]
    inputs = [str(new), str(overlap)]
    runs: dict[str, list[tuple[float, int]]] = {}
    report = {}
    tmp = Path(tempfile.mkdtemp(prefix="merge-bench-", dir=args.work))
    try:
        # What the merge does (dry run): samples added and replaced, day files changed.
        m = tmp / "dry"
        mirror(archive, m)
        _, _, out = timed([siqaco, *base, "--into", str(m), "--dry-run", "--json", *inputs])
        doc = json.loads(out)
        days = doc["days"]
        report = {
            "day_files": len(days),
            "changed": sum(d["changed"] for d in days),
            "created": sum(d["created"] for d in days),
            "samples_added": sum(d["stats"]["samples_added"] for d in days),
            "samples_replaced": sum(d["stats"]["samples_replaced"] for d in days),
            "records_copied": sum(d["stats"]["records_copied"] for d in days),
            "records_encoded": sum(d["stats"]["records_encoded"] for d in days),
            "overlaps_removed": sum(d["stats"]["overlaps_removed"] for d in days),
        }
        # the archive day files the merge reads (every day file it considers that exists):
        # dataselect is given the same ones
        read_files = sorted({archive / Path(d["path"]).relative_to(m) for d in days if not d["created"]})
        read_bytes = sum(f.stat().st_size for f in read_files)
        shutil.rmtree(m)
        variants = {
            "siqaco merge (cut at midnight)": [],
            "siqaco merge --by-start-time": ["--by-start-time"],
        }
        for rep in range(args.reps):
            for name, extra in variants.items():
                m = tmp / f"run{rep}"
                mirror(archive, m)
                dt, rss, _ = timed([siqaco, *base, *extra, "--into", str(m), *inputs])
                runs.setdefault(name, []).append((dt, rss))
                shutil.rmtree(m)
            # The write limit: the patch files copied as they are and synced (no reading
            # of the archive, no merging, no verification).
            c = tmp / f"cp{rep}"
            c.mkdir()
            subprocess.run(["sync"], check=True)
            dt, rss, _ = timed(["sh", "-c", f"cp -r {new} {overlap} {c} && sync"])
            runs.setdefault("cp -r of the patch files + sync (write limit)", []).append((dt, rss))
            shutil.rmtree(c)
            if args.dataselect:
                # dataselect -Ps: prune at sample level (best quality, then the longest
                # segment wins); -SDS writes an SDS tree. It appends to existing files, so
                # it reads the archive's day files that the merge reads (never writing to
                # them) and writes their new content to an empty tree: the same job,
                # without moving the files into place and without fsync (both left out in
                # dataselect's favour).
                out = tmp / f"ds{rep}"
                out.mkdir()
                dt, rss, _ = timed([args.dataselect, "-Ps", "-SDS", str(out), *map(str, read_files),
                                    *map(str, files_of(new)), *map(str, files_of(overlap))])
                runs.setdefault(f"dataselect {ds_version} -Ps -SDS", []).append((dt, rss))
                shutil.rmtree(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(patches, ignore_errors=True)
            for f in patches.glob("*.expected.json"):
                f.unlink(missing_ok=True)
    after = stat_snapshot(archive)
    assert before == after, "the shared archive changed"

    rows = []
    for k, v in runs.items():
        t = statistics.median(x for x, _ in v)
        rows.append({"what": k, "runs": len(v), "median_s": t, "min_s": min(x for x, _ in v),
                     "patch_MB_per_s": p_bytes / t / 1e6, "read_MB_per_s": (p_bytes + read_bytes) / t / 1e6,
                     "peak_rss_MiB": max(r for _, r in v) / 1024})
    print(f"\nMachine: {machine()}")
    print(f"Archive: {archive} ({a_bytes / 1e9:.2f} GB); patches {p_bytes / 1e9:.2f} GB "
          f"({o_bytes / p_bytes * 100:.0f} % overlapping the archive)")
    print(f"Merge: {json.dumps(report)}")
    print(f"Archive day files the merge reads (and dataselect is given): {len(read_files)}, "
          f"{read_bytes / 1e9:.2f} GB")
    print("dataselect: " + (f"{args.dataselect} ({ds_version})" if args.dataselect
                            else "not available (not on PyPI, not in Debian); not timed"))
    print("\n| what | runs | median s | min s | patch MB/s | read MB/s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['runs']} | {r['median_s']:.2f} | {r['min_s']:.2f} | "
              f"{r['patch_MB_per_s']:.0f} | {r['read_MB_per_s']:.0f} | {r['peak_rss_MiB']:.0f} |")
    ds = [r for r in rows if r["what"].startswith("dataselect")]
    if ds:
        for r in rows:
            if r["what"].startswith("siqaco"):
                print(f"{r['what']}: {ds[0]['median_s'] / r['median_s']:.2f}x dataselect's throughput")
    (ROOT / "bench-out").mkdir(exist_ok=True)
    (ROOT / "bench-out" / "merge-vs-peers.json").write_text(json.dumps(
        {"machine": machine(), "archive": str(archive), "archive_bytes": a_bytes, "patch_bytes": p_bytes,
         "archive_read_bytes": read_bytes, "dataselect_version": ds_version,
         "overlap_bytes": o_bytes, "merge": report, "dataselect": args.dataselect, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
