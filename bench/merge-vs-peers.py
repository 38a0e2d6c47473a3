#!/usr/bin/env python3
"""Benchmark: `siqaco merge` of a ~1 GB patch set with ~10 % overlap into a copy of the
2.2 GB SDS archive, with `dataselect -Ps` timed on the same inputs where it is installed.
Not a test.

Usage:
  .venv/bin/python bench/merge-vs-peers.py [--archive DIR] [--stations 12] [--days 4]
      [--dataselect PATH] [--siqaco PATH] [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Archive: --archive (read only; made by make-bench-archive, its NAME.expected.json beside it
gives the stations and days), or generated under the work directory: the 2.2 GB archive of
bench/scan-vs-peers.py (--stations 12 x 3 channels x --days 4 from 2023-12-30, 100 Hz,
512-byte Steim2, records stored by start time).

Patch set, built in WORK/patches with the same generator and seed (so the same station
codes, locations and sample grids):
  new/      all stations, 2 days after the archive (2024-01-03, 2024-01-04 by default):
            data the archive lacks (~1.1 GB);
  overlap/  3 stations, the archive's last day (2024-01-02): the same times with other
            samples (the generator starts its sample source at another index), ~0.14 GB,
            about 10 % of the patch set.
The patches get priority 1 and the archive priority 2, so the overlapping day is replaced
sample by sample (every one of its records is re-encoded).

Each run merges into a fresh mirror of the archive made of hard links (the merge never
writes a file in place: it writes a new file and renames it over the old one, so the
shared archive is not modified; the script checks its sizes and mtimes after the runs).
Timed: the release `siqaco merge` (default: day files cut at midnight; and
`--by-start-time`, the archive's own convention), wall time and peak RSS from GNU time;
and, as the write limit, `cp -r` of the patch files; and, as the merge's own write floor,
`cp -r` of the day files the merge writes (made once by an untimed merge: a changed day
file is rewritten whole, so the merge writes more than the patches); and, as its I/O
floor, `cat` to /dev/null of every file the merge reads (the patches and the archive day
files), then that copy, in one process. Every timed command is followed by `sync` inside
its timed region (siqaco's merge also fsyncs its own files); the tools alternate, with a
sync and a pause before each run (bench/_bench.py).
patch MB/s = patch bytes / wall seconds; read MB/s = (patch bytes + the archive day files
the merge reads) / wall seconds. Correctness: each run's merge verifies every new day
file sample by sample before it replaces anything (the run fails otherwise); the script
prints what `--dry-run --json` reports (day files changed, samples added and replaced,
records copied and re-encoded).

dataselect (EarthScope, `dataselect -Ps -SDS OUT FILES...`) is timed when given with
--dataselect or on PATH, on the same job: the archive day files the merge reads and the
patch files in, their new content out to an empty SDS tree (dataselect appends to files
that exist, so it cannot write into the archive). Moving its output into place is not
timed, in its favour; syncing it is. Same job: after the first run of each tool, the
samples of every stream and day (read with libmseed, pymseed) of siqaco's merged day files
and of dataselect's output must be equal, or the benchmark stops. It is not packaged on PyPI or in Debian; it
builds from its source against libmseed (`make`), and the figures in docs/benchmarks.md
name the version used.

Results: a Markdown table on stdout (and JSON with --json, or in --work).
"""

import argparse
import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, stat, synced, timed

def stat_snapshot(d: Path) -> dict:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino) for p in _bench.files_of(d)}


def mirror(src: Path, dst: Path) -> None:
    """A copy of `src` made of hard links."""
    subprocess.run(["cp", "-al", str(src), str(dst)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench.add_size(ap)
    ap.add_argument("--sample-rate", default="100", help="sample rate of the generated archive (default 100)")
    ap.add_argument("--dataselect", help="EarthScope dataselect (default: on PATH; skipped when absent)")
    _bench.add_common(ap, archive=True)
    args = ap.parse_args()
    with _bench.Session("merge-vs-peers", args) as s:
        run(args, s)


def run(args, s: _bench.Session) -> None:
    stations, days, first, rate = args.stations, args.days, "2023-12-30", args.sample_rate
    if args.archive:
        expected = Path(str(args.archive).rstrip("/") + ".expected.json")
        if not expected.is_file():
            raise SystemExit(f"{expected} missing: the patches must be made with the archive's parameters")
        params = json.loads(expected.read_text())["params"]
        stations, days, first, rate = params["stations"], params["days"], params["start"], str(params["sample_rate"])
    common = ["--sample-rate", rate, *_bench.GEN_COMMON]
    archive = s.bench_archive("archive", "--stations", str(stations), "--days", str(days), *common)
    last = date.fromisoformat(first) + timedelta(days=days - 1)
    patches = s.work / "patches"
    new, overlap = patches / "new", patches / "overlap"
    for out, gen_args in [(new, ["--stations", str(stations), "--days", "2", "--start",
                                 (last + timedelta(days=1)).isoformat()]),
                          (overlap, ["--stations", str(min(3, stations)), "--days", "1", "--start",
                                     last.isoformat()])]:
        if not out.is_dir():
            patches.mkdir(exist_ok=True)
            subprocess.run([_bench.sys.executable, str(_bench.generator(args.make_bench_archive)), str(out),
                            *gen_args, *common, "--quiet", "--expected", str(out)], check=True)
    siqaco = s.siqaco
    ds_exe, ds_version = _bench.dataselect(args.dataselect)
    a_bytes = _bench.size_of(archive)
    p_bytes = _bench.size_of(new) + _bench.size_of(overlap)
    o_bytes = _bench.size_of(overlap)
    before = stat_snapshot(archive)

    base = ["merge", "--priority", "1", "--archive-priority", "2"]
    inputs = [str(new), str(overlap)]
    tmp = s.work / "runs"
    tmp.mkdir(exist_ok=True)
    # What the merge does (dry run): samples added and replaced, day files changed.
    m = tmp / "dry"
    mirror(archive, m)
    doc = json.loads(timed([siqaco, *base, "--into", str(m), "--dry-run", "--json", *inputs], ok=(0, 3)).stdout)
    day_docs = doc["days"]
    report = {
        "day_files": len(day_docs),
        "changed": sum(d["changed"] for d in day_docs),
        "created": sum(d["created"] for d in day_docs),
        "samples_added": sum(d["stats"]["samples_added"] for d in day_docs),
        "samples_replaced": sum(d["stats"]["samples_replaced"] for d in day_docs),
        "records_copied": sum(d["stats"]["records_copied"] for d in day_docs),
        "records_encoded": sum(d["stats"]["records_encoded"] for d in day_docs),
        "overlaps_removed": sum(d["stats"]["overlaps_removed"] for d in day_docs),
    }
    # the archive day files the merge reads (every day file it considers that exists):
    # dataselect is given the same ones
    read_files = sorted({archive / Path(d["path"]).relative_to(m) for d in day_docs if not d["created"]})
    read_bytes = sum(f.stat().st_size for f in read_files)
    touched = sorted({Path(d["path"]).relative_to(m) for d in day_docs})
    shutil.rmtree(m)

    digests: dict[str, dict] = {}

    def merge_job(name: str, extra: list[str]) -> Job:
        out = tmp / "merged"
        days_of_run: list[Path] = []

        def before() -> None:
            shutil.rmtree(out, ignore_errors=True)
            mirror(archive, out)

        def after(r, rep: int) -> None:
            if rep == 0:
                # the day files the merge wrote: those of the dry run
                days_of_run[:] = [out / rel for rel in touched if (out / rel).exists()]
                digests[name] = _bench.sample_digest(days_of_run)
            shutil.rmtree(out)

        return Job(name, lambda: timed(synced([siqaco, *base, *extra, "--into", str(out), *inputs])), before, after)

    jobs = [merge_job("siqaco merge (cut at midnight)", []),
            merge_job("siqaco merge --by-start-time", ["--by-start-time"])]
    cp_out = tmp / "cp"
    # The write floor of this merge: the day files it writes (whole: a changed day file is
    # rewritten), made once by an untimed merge and copied like the patches.
    written = tmp / "written"
    m = tmp / "floor"
    mirror(archive, m)
    timed([siqaco, *base, "--into", str(m), *inputs], ok=(0, 3))
    for rel in touched:
        if (m / rel).exists():
            (written / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(m / rel, written / rel)
    shutil.rmtree(m)
    written_bytes = _bench.size_of(written)

    def cp_before() -> None:
        shutil.rmtree(cp_out, ignore_errors=True)
        cp_out.mkdir()

    # The write limit: the patch files copied as they are and synced (no reading of the
    # archive, no merging, no verification).
    jobs.append(Job("cp -r of the patch files + sync (write limit)",
                    lambda: timed(synced(["cp", "-r", str(new), str(overlap), str(cp_out)])), cp_before,
                    lambda r, rep: shutil.rmtree(cp_out)))
    floor_label = "cp -r of the day files the merge writes + sync (its write floor)"
    jobs.append(Job(floor_label, lambda: timed(synced(["cp", "-r", str(written), str(cp_out)])),
                    cp_before, lambda r, rep: shutil.rmtree(cp_out)))
    # Every file the merge reads: the patch files first (dataselect keeps the first read of
    # overlapping segments of the same quality and length, and the patches have the
    # priority), then the archive day files it merges into.
    read_all = [*map(str, _bench.files_of(new)), *map(str, _bench.files_of(overlap)), *map(str, read_files)]
    # Its I/O floor: every byte it must read, read once (`cat` to /dev/null), then the write
    # floor above. No merging, no verification, one process.
    io_label = "cat of the files the merge reads + the write floor (its I/O floor)"
    io_cmd = ["sh", "-c", 'out="$1"; w="$2"; shift 2; cat "$@" > /dev/null && cp -r "$w" "$out"',
              "sh", str(cp_out), str(written), *read_all]
    jobs.append(Job(io_label, lambda: timed(synced(io_cmd)), cp_before, lambda r, rep: shutil.rmtree(cp_out)))
    ds_label = f"dataselect {ds_version} -Ps -SDS + sync"
    if ds_exe:
        # dataselect -Ps: prune at sample level (best quality, then the longest segment
        # wins); -SDS writes an SDS tree. It appends to existing files, so it reads the
        # archive's day files that the merge reads (never writing to them) and writes
        # their new content to an empty tree: the same job, without moving the files into
        # place (left out in dataselect's favour); synced like the others.
        ds_out = tmp / "ds"

        def ds_before() -> None:
            shutil.rmtree(ds_out, ignore_errors=True)
            ds_out.mkdir()

        def ds_after(r, rep: int) -> None:
            if rep == 0:
                digests[ds_label] = _bench.sample_digest(_bench.files_of(ds_out))
            shutil.rmtree(ds_out)

        jobs.append(Job(ds_label, lambda: timed(synced([ds_exe, "-Ps", "-SDS", str(ds_out), *read_all])),
                        ds_before, ds_after))

    def warmup() -> None:
        _bench.warm(_bench.files_of(archive) + _bench.files_of(patches))

    res = s.warm_and_cold(jobs, warmup=warmup)
    after = stat_snapshot(archive)
    if before != after:
        raise SystemExit("the archive changed during the benchmark")
    # Same job: every stream and day of the merged day files, siqaco's two ways and dataselect's.
    ref = "siqaco merge (cut at midnight)"
    n_samples = 0
    for k in digests:
        if k != ref:
            n_samples = _bench.same_samples(digests[ref], digests[k], ref, k)
    check = (f"{n_samples} samples in {len(digests[ref])} stream-days, equal in the outputs of "
             + ", ".join(digests) if len(digests) > 1 else "only siqaco ran")

    print(f"Archive: {archive} ({a_bytes / 1e9:.2f} GB); patches {p_bytes / 1e9:.2f} GB "
          f"({o_bytes / p_bytes * 100:.0f} % overlapping the archive)")
    print(f"Merge: {json.dumps(report)}")
    print(f"Archive day files the merge reads (and dataselect is given): {len(read_files)}, "
          f"{read_bytes / 1e9:.2f} GB")
    print("dataselect: " + (f"{ds_exe} ({ds_version})" if ds_exe else f"skipped: {ds_version}"))
    print(f"Same job: {check}")
    print(f"{s.cold_line()}\n")
    rows_json = []
    table_rows = []
    for cache, runs in res.items():
        for k, v in runs.items():
            st = stat(v)
            rows_json.append({"what": k, "cache": cache, **st.as_dict(),
                              "patch_MB_per_s": p_bytes / st.median / 1e6,
                              "read_MB_per_s": (p_bytes + read_bytes) / st.median / 1e6})
            table_rows.append([k, cache, st.n, st.cell(2), f"{p_bytes / st.median / 1e6:.0f}",
                               f"{(p_bytes + read_bytes) / st.median / 1e6:.0f}",
                               f"{st.rss_mib:.0f}" if st.rss_mib else "-"])
    print(_bench.table(["what", "cache", "runs", "median s (min–max)", "patch MB/s", "read MB/s",
                        "peak RSS MiB"], table_rows))
    for cache, runs in res.items():
        ds = runs.get(ds_label)
        if ds:
            for k, v in runs.items():
                if k.startswith("siqaco"):
                    print(f"\n{k} ({cache}): {stat(ds).median / stat(v).median:.2f}x dataselect's throughput", end="")
    print()
    for cache, runs in res.items():
        limit = stat(runs["cp -r of the patch files + sync (write limit)"]).median
        floor = stat(runs[floor_label]).median
        io_floor = stat(runs[io_label]).median
        best = min(stat(v).median for k, v in runs.items() if k.startswith("siqaco"))
        print(f"\n{cache}: the merge writes {written_bytes / 1e6:.0f} MB of day files; copying them "
              f"takes {floor:.2f} s, {limit / floor * 100:.0f} % of the limit ({limit:.2f} s) before any "
              f"reading, merging or verifying; reading what it reads first ({(p_bytes + read_bytes) / 1e6:.0f} MB) "
              f"makes {io_floor:.2f} s, {limit / io_floor * 100:.0f} % of the limit; the best siqaco merge is "
              f"at {limit / best * 100:.0f} % of the limit, {io_floor / best * 100:.0f} % of its I/O floor")
        s.results.setdefault("floor", {})[cache] = {"written_bytes": written_bytes, "floor_s": floor,
                                                     "io_floor_s": io_floor}
    shutil.rmtree(written)
    s.results.update({"archive": str(archive), "archive_bytes": a_bytes, "patch_bytes": p_bytes,
                      "archive_read_bytes": read_bytes, "dataselect": ds_exe, "dataselect_version": ds_version,
                      "overlap_bytes": o_bytes, "merge": report, "check": check, "rows": rows_json})


if __name__ == "__main__":
    main()
