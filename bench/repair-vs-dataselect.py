#!/usr/bin/env python3
"""Benchmark: `siqaco repair` against EarthScope `dataselect -Ps` on an archive with 10 % of
its records duplicated and shuffled (issue #21). Not a test.

Usage:
  .venv/bin/python bench/repair-vs-dataselect.py [--stations 2] [--days 2] [--sample-rate 100]
      [--dataselect PATH] [--siqaco PATH] [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Everything is written under WORK (default: a new temporary directory, removed at the end
unless --keep):

  WORK/base     an archive from make-bench-archive (STATIONS x 3 channels x
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
                files by record start), followed by `sync` in the timed region (siqaco
                repair fsyncs its files, and is followed by `sync` too).

The two tools run alternately (bench/_bench.py: a sync and a pause before each run, warm
and, where the page cache can be dropped, cold), `--reps` times each; the figures are
medians with min-max. Throughput = bytes of the broken archive / wall seconds. Peak RSS
from GNU time. Same job: the samples of siqaco's repaired archive and of dataselect's
output, read with libmseed (pymseed), are both exactly the base archive's samples (every
stream and day: the same sample times and values); the benchmark stops otherwise. When
dataselect is absent, siqaco alone is timed and checked, and the output says so.

dataselect is not packaged on PyPI or in Debian: build it from its source for the benchmark
only (e.g. under /work/bench/peers/dataselect: `make`), never in this repository; give its
path with --dataselect or put it on PATH.

Results: a Markdown table on stdout (and JSON with --json, or in --work).
"""

import argparse
import random
import shutil
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, stat, synced, timed

RECLEN = 512


def break_archive(base: Path, broken: Path, seed: int) -> tuple[int, int]:
    """Copies `base` to `broken` with 10 % of each file's records duplicated and all of
    them shuffled; returns (records, duplicates)."""
    rng = random.Random(seed)
    n = dup = 0
    for f in _bench.files_of(base):
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=2)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--sample-rate", type=float, default=100)
    ap.add_argument("--dataselect", help="EarthScope dataselect (default: on PATH; skipped when absent)")
    _bench.add_common(ap)
    ap.add_argument("--make-bench-archive", type=Path, help="the generator (default: tools/make-bench-archive)")
    args = ap.parse_args()
    with _bench.Session("repair-vs-dataselect", args) as s:
        run(args, s)


def run(args, s: _bench.Session) -> None:
    work = s.work
    base, broken = work / "base", work / "broken"
    if not base.is_dir():
        subprocess.run([sys.executable, str(_bench.generator(args.make_bench_archive)), str(base),
                        "--stations", str(args.stations),
                        "--days", str(args.days), "--sample-rate", str(args.sample_rate),
                        "--record-length", str(RECLEN), "--encoding", "STEIM2", "--seed", "21",
                        "--overlap-rate", "0", "--duplicate-rate", "0", "--jobs", "2", "--quiet"],
                       check=True)
    if broken.exists():
        shutil.rmtree(broken)
    n, dup = break_archive(base, broken, seed=21)
    size = _bench.size_of(broken)
    files = [str(f) for f in _bench.files_of(broken)]
    ds_exe, ds_version = _bench.dataselect(args.dataselect)
    reference = _bench.sample_digest(_bench.files_of(base))
    n_samples = sum(e[0] for e in reference.values())
    _bench.log(f"broken archive: {len(files)} day files, {n} records ({dup} duplicates), {size / 1e6:.1f} MB")

    target = work / "run"

    def siqaco_before() -> None:
        shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(work / "run.quarantine", ignore_errors=True)
        shutil.copytree(broken, target)

    def siqaco_after(r, rep: int) -> None:
        if rep == 0:
            _bench.same_samples(reference, _bench.sample_digest(_bench.files_of(target)), "the base archive",
                                "siqaco repair")

    jobs = [Job("siqaco repair + sync",
                lambda: timed(synced([s.siqaco, "repair", str(target), "--format", "json"])),
                siqaco_before, siqaco_after)]
    ds_label = f"dataselect {ds_version} -Ps -SDS + sync"
    if ds_exe:
        out = work / "ds-out"

        def ds_after(r, rep: int) -> None:
            if rep == 0:
                _bench.same_samples(reference, _bench.sample_digest(_bench.files_of(out)), "the base archive",
                                    ds_label)

        jobs.append(Job(ds_label, lambda: timed(synced([ds_exe, "-Ps", "-SDS", str(out), *files])),
                        lambda: shutil.rmtree(out, ignore_errors=True), ds_after))
    res = s.warm_and_cold(jobs, warmup=lambda: _bench.warm(files))
    print(f"Broken archive: {len(files)} day files, {size / 1e6:.1f} MB, {n} records of "
          f"{RECLEN} bytes ({dup} duplicated, all shuffled); medians of {args.reps} alternating runs")
    print("dataselect: " + (f"{ds_exe} ({ds_version})" if ds_exe else f"skipped: {ds_version}"))
    print(f"Same job: the outputs of {', '.join(j.name for j in jobs)} hold exactly the base archive's "
          f"{n_samples} samples")
    print(f"{s.cold_line()}\n")
    rows, out_rows = [], []
    for cache, runs in res.items():
        for label, rs in runs.items():
            st = stat(rs)
            rows.append({"tool": label, "cache": cache, **st.as_dict(), "mb_per_s": size / 1e6 / st.median})
            out_rows.append([label, cache, st.cell(2), f"{size / 1e6 / st.median:.1f}",
                             f"{st.rss_mib:.0f}" if st.rss_mib else "-"])
    print(_bench.table(["tool", "cache", "wall s median (min–max)", "MB/s", "peak RSS MiB"], out_rows))
    ratios = {}
    for cache, runs in res.items():
        if ds_label in runs:
            ratios[cache] = stat(runs[ds_label]).median / stat(runs["siqaco repair + sync"]).median
            print(f"\nsiqaco repair / dataselect throughput ({cache}): {ratios[cache]:.2f}x", end="")
    print()
    s.results.update({"files": len(files), "bytes": size, "records": n, "duplicates": dup,
                      "samples": n_samples, "rows": rows, "ratio": ratios, "dataselect_version": ds_version})


if __name__ == "__main__":
    main()
