#!/usr/bin/env python3
"""Benchmark: `siqaco repair` against EarthScope `dataselect -Ps` on an archive with 10 % of
its records duplicated and shuffled (issue #21). Not a test.

Usage:
  .venv/bin/python bench/repair-vs-dataselect.py [--work DIR] [--reps 3]
      [--stations 2] [--days 2] [--sample-rate 100] [--siqaco PATH] [--dataselect PATH]

Everything is written under WORK (default: a new temporary directory, removed at the end
unless --keep):

  WORK/base     an archive from tools/make-bench-archive (STATIONS x 3 channels x
                DAYS, 512-byte Steim2 miniSEED 2, gaps, records stored by start time; no
                time-jump overlaps and no re-sent runs, so that every sample time has one
                value and both tools must give back exactly the base archive's samples);
  WORK/broken   the same day files with 10 % of their records (chosen with a fixed seed)
                written twice and every file's records shuffled;
  WORK/run      a fresh copy of WORK/broken for each siqaco run (copy not timed), repaired
                in place by `siqaco repair WORK/run` (verification included, journaled
                replacement, fsync);
  WORK/ds-out   dataselect's output for each run: `dataselect -Ps -SDS WORK/ds-out FILES`
                with FILES the broken day files (prunes at sample level, writes SDS day
                files by record start; its output is not synced, in its favour).

The two tools run alternately, `--reps` times each; the figures are medians. Throughput =
bytes of the broken archive / wall seconds. Peak RSS from GNU time. Correctness: the
samples of siqaco's repaired archive and of dataselect's output, read with libmseed
(pymseed), are both exactly the base archive's samples (per stream, the sorted sample
times and values, no time twice; one stream in memory at a time); the script fails
otherwise.

dataselect is not packaged on PyPI or in Debian: build it from its source for the benchmark
only (e.g. under /work/bench/peers/dataselect: `make`), never in this repository; give its
path with --dataselect or put it on PATH.

Results: a Markdown table on stdout and WORK/repair-vs-dataselect.json.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pymseed

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT / "tools" / "make-bench-archive"
RECLEN = 512


def files_of(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*") if p.is_file() and not p.name.startswith("."))


def size_of(d: Path) -> int:
    return sum(p.stat().st_size for p in files_of(d))


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of a command, via GNU time."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, check=False)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd[:4])}...\n{p.stderr.decode()[-3000:]}")
    return dt, int(p.stderr.decode().strip().splitlines()[-1])


def by_stream(d: Path) -> dict[str, list[Path]]:
    """The SDS day files under `d` by stream (the name without `.YEAR.DOY`)."""
    out: dict[str, list[Path]] = {}
    for f in files_of(d):
        out.setdefault(f.name.rsplit(".", 2)[0], []).append(f)
    return out


def stream_samples(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """(times ns, values) of every sample of one stream's files (libmseed), sorted by
    time; fails when a sample time appears twice. Sample times are the record start plus
    i sample periods rounded to the ns (libmseed's `ms_sampletime` for these rates)."""
    ts, vs = [], []
    for f in files:
        for r in pymseed.MS3Record.from_file(str(f), unpack_data=True):
            n = r.samplecnt
            ts.append(r.starttime + np.round(np.arange(n) * (1e9 / r.samprate)).astype(np.int64))
            vs.append(np.array(r.np_datasamples, dtype=np.int64))
    t, v = np.concatenate(ts), np.concatenate(vs)
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    if len(t) > 1 and (np.diff(t) == 0).any():
        sys.exit(f"{files[0].parent}: a sample time appears twice")
    return t, v


def same_samples(a: Path, b: Path) -> int:
    """Checks that two SDS trees hold exactly the same samples, stream by stream (one
    stream in memory at a time); returns the number of samples."""
    sa, sb = by_stream(a), by_stream(b)
    if sa.keys() != sb.keys():
        sys.exit(f"streams differ: {sorted(sa)} / {sorted(sb)}")
    total = 0
    for sid in sa:
        ta, va = stream_samples(sa[sid])
        tb, vb = stream_samples(sb[sid])
        if not (np.array_equal(ta, tb) and np.array_equal(va, vb)):
            sys.exit(f"{sid}: samples of {b} differ from those of {a}")
        total += len(ta)
    return total


def break_archive(base: Path, broken: Path, seed: int) -> tuple[int, int]:
    """Copies `base` to `broken` with 10 % of each file's records duplicated and all of
    them shuffled; returns (records, duplicates)."""
    rng = random.Random(seed)
    n = dup = 0
    for f in files_of(base):
        raw = f.read_bytes()
        assert len(raw) % RECLEN == 0, f
        recs = [raw[i : i + RECLEN] for i in range(0, len(raw), RECLEN)]
        extra = rng.sample(recs, len(recs) // 10)
        recs += extra
        rng.shuffle(recs)
        out = broken / f.relative_to(base)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"".join(recs))
        n += len(recs)
        dup += len(extra)
    return n, dup


def machine() -> str:
    load = os.getloadavg()
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores ({cpu}), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, help="directory for everything written (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--stations", type=int, default=2)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--sample-rate", type=float, default=100)
    ap.add_argument("--siqaco", type=Path, default=ROOT / "target" / "release" / "siqaco")
    ap.add_argument("--dataselect", default=shutil.which("dataselect"))
    args = ap.parse_args()
    if not args.dataselect:
        sys.exit("dataselect not found: give --dataselect PATH (see the module docstring)")
    if not args.siqaco.is_file():
        sys.exit(f"{args.siqaco} not found: cargo build --release -p siqaco-cli")
    work = args.work or Path(tempfile.mkdtemp(prefix="repair-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run(args, work)
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path) -> None:
    base, broken = work / "base", work / "broken"
    if not base.is_dir():
        subprocess.run([sys.executable, str(GEN), str(base), "--stations", str(args.stations),
                        "--days", str(args.days), "--sample-rate", str(args.sample_rate),
                        "--record-length", str(RECLEN), "--encoding", "STEIM2", "--seed", "21",
                        "--overlap-rate", "0", "--duplicate-rate", "0", "--jobs", "2", "--quiet"],
                       check=True)
    if broken.exists():
        shutil.rmtree(broken)
    n, dup = break_archive(base, broken, seed=21)
    size = size_of(broken)
    files = [str(f) for f in files_of(broken)]
    ds_version = subprocess.run([args.dataselect, "-V"], capture_output=True, text=True)
    ds_version = (ds_version.stdout + ds_version.stderr).strip().split()[-1]
    print(f"broken archive: {len(files)} day files, {n} records ({dup} duplicates), "
          f"{size / 1e6:.1f} MB; {machine()}", file=sys.stderr)
    runs: dict[str, list[tuple[float, int]]] = {}
    ds_label = f"dataselect {ds_version} -Ps -SDS"
    for rep in range(args.reps):
        order = ["siqaco", "dataselect"] if rep % 2 == 0 else ["dataselect", "siqaco"]
        for tool in order:
            if tool == "siqaco":
                target = work / "run"
                shutil.rmtree(target, ignore_errors=True)
                shutil.rmtree(work / "run.quarantine", ignore_errors=True)
                shutil.copytree(broken, target)
                subprocess.run(["sync"], check=False)
                dt, rss = timed([str(args.siqaco), "repair", str(target), "--format", "json"])
                runs.setdefault("siqaco repair", []).append((dt, rss))
                if rep == 0:
                    n_samples = same_samples(base, target)
            else:
                out = work / "ds-out"
                shutil.rmtree(out, ignore_errors=True)
                subprocess.run(["sync"], check=False)
                dt, rss = timed([args.dataselect, "-Ps", "-SDS", str(out), *files])
                runs.setdefault(ds_label, []).append((dt, rss))
                if rep == 0:
                    n_samples = same_samples(base, out)
            print(f"  {tool}: {dt:.2f} s", file=sys.stderr)
    rows = []
    for label, rs in runs.items():
        wall = statistics.median(r[0] for r in rs)
        rows.append({"tool": label, "wall_s": wall, "mb_per_s": size / 1e6 / wall,
                     "peak_rss_mib": max(r[1] for r in rs) / 1024, "runs": [r[0] for r in rs]})
    ratio = rows[0]["mb_per_s"] / rows[1]["mb_per_s"]
    print(f"\nBroken archive: {len(files)} day files, {size / 1e6:.1f} MB, {n} records of "
          f"{RECLEN} bytes ({dup} duplicated, all shuffled); medians of {args.reps} "
          f"alternating runs; {machine()}\n")
    print("| tool | wall s (median) | MB/s | peak RSS MiB |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['tool']} | {r['wall_s']:.2f} | {r['mb_per_s']:.1f} | {r['peak_rss_mib']:.0f} |")
    print(f"\nsiqaco repair / dataselect throughput: {ratio:.2f}x; both outputs hold exactly "
          f"the base archive's {n_samples} samples")
    (work / "repair-vs-dataselect.json").write_text(json.dumps(
        {"files": len(files), "bytes": size, "records": n, "duplicates": dup,
         "samples": n_samples, "machine": machine(), "rows": rows, "ratio": ratio}, indent=1))


if __name__ == "__main__":
    main()
