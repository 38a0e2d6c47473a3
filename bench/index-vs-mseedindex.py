#!/usr/bin/env python3
"""Benchmark: `siqaco index` against `mseedindex -sqlite` (3.0.8, from PyPI), fresh and after
1 % of the files changed, all timed in the same run on the same files, alternating, warm and
(where the page cache can be dropped) cold. Not a test.

Usage:
  .venv/bin/python bench/index-vs-mseedindex.py [--archive DIR] [--stations 12] [--days 4]
      [--mseedindex PATH] [--siqaco PATH] [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Without --archive, the 2.2 GB SDS archive of bench/scan-vs-peers.py is generated under the
work directory with make-bench-archive. The archive is never modified: the runs index a
mirror of hard links in the work directory, and "changed" files are new copies (the last
512-byte record dropped) that replace the links. Every run writes a new catalogue and is
followed by `sync` inside its timed region.

mseedindex always computes the MD5 of each section; siqaco only with `--hash`. mseedindex
runs one process per file (as ObsPy's Indexer runs it), because several files in one call
mis-assign hashes and extents (EarthScope/mseedindex#14). siqaco is timed with 1 thread and
with all cores. After the first runs, the script checks that siqaco --hash and mseedindex
wrote the same sections (codes, times, byte ranges, MD5, time spans), and that every
re-index equals a fresh index, so a fast wrong answer cannot pass: a disagreement stops
the benchmark.

Targets (issue 4): siqaco without hashing >= 5x faster than mseedindex; with MD5 >= 2x; a
re-index of 1 % changed files in under 5 % of the fresh time. Issue 24: a fresh index in at
most 2x the time of `siqaco scan` of the same files with the same threads (timed in the same
alternation), and >= 20x mseedindex.
Results: a Markdown table on stdout (and JSON with --json, or in --work).
"""

import argparse
import math
import os
import shutil
import sqlite3
from pathlib import Path
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, stat, synced, timed


def mseedindex_cmd(exe: str, db: Path, listfile: Path) -> list[str]:
    """One mseedindex process per file (the files listed in `listfile`), sequentially."""
    return ["xargs", "-n", "1", "-a", str(listfile), exe, "-sqlite", str(db)]


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


def link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench.add_size(ap)
    ap.add_argument("--mseedindex", help="mseedindex (default: on PATH or in .venv)")
    _bench.add_common(ap, archive=True)
    args = ap.parse_args()
    with _bench.Session("index-vs-mseedindex", args) as s:
        run(args, s)


def run(args, s: _bench.Session) -> None:
    archive = s.standard_archive()
    mseedindex = _bench.tool("mseedindex", args.mseedindex)
    if not mseedindex:
        raise SystemExit("mseedindex not found: give --mseedindex PATH (PyPI: mseedindex)")
    siqaco = s.siqaco
    cores = os.cpu_count() or 1
    tmp = s.work / "index"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    mirror = tmp / "archive"
    shutil.copytree(archive, mirror, copy_function=link_or_copy)
    files = _bench.files_of(mirror)
    size = sum(f.stat().st_size for f in files)
    listfile = tmp / "files.txt"
    listfile.write_text("\n".join(map(str, files)) + "\n")

    def fresh(db: Path) -> None:
        for p in tmp.glob(db.name + "*"):
            p.unlink()

    rows_of: dict[str, list[tuple]] = {}
    ms_name = "mseedindex -sqlite (MD5 always), one process per file"
    ms_db = tmp / "mseedindex.sqlite"

    def ms_after(r, rep: int) -> None:
        if rep == 0:
            rows_of[ms_name] = sections(ms_db)
            shutil.copy(ms_db, tmp / "mseedindex-full.sqlite")  # for the re-index below

    jobs = [Job(ms_name, lambda: timed(synced(mseedindex_cmd(mseedindex, ms_db, listfile))),
                lambda: fresh(ms_db), ms_after)]
    db = tmp / "bench.sqlite"
    for label, extra in [
        ("siqaco index, 1 thread", ["--threads", "1"]),
        (f"siqaco index, {cores} threads", []),
        ("siqaco index --hash, 1 thread", ["--hash", "--threads", "1"]),
        (f"siqaco index --hash, {cores} threads", ["--hash"]),
    ]:
        def after(r, rep: int, label=label) -> None:
            if rep == 0 and "--hash" in label:
                rows_of[label] = sections(db)

        jobs.append(Job(label, lambda extra=extra: timed(synced([siqaco, "index", str(mirror), "--db", str(db),
                                                                 *extra]), ok=(0, 3)),
                        lambda: fresh(db), after))
    # issue 24: the scan of the same files with the same threads, in the same alternation
    for label, extra in [("siqaco scan, 1 thread", ["--threads", "1"]), (f"siqaco scan, {cores} threads", [])]:
        jobs.append(Job(label, lambda extra=extra: timed([siqaco, "scan", str(mirror), "--format", "json", *extra],
                                                         ok=(0, 3))))
    res = s.warm_and_cold(jobs, warmup=lambda: _bench.warm(files))
    n_rows = 0
    for k, v in rows_of.items():
        if k != ms_name:
            n_rows = _bench.same_rows(rows_of[ms_name], v, "mseedindex", k)
    check = f"{n_rows} tsindex rows: codes, times, byte ranges, MD5 and timespans equal to mseedindex's"

    # re-index after 1 % of the files changed (each repetition changes other files)
    n_changed = max(1, math.ceil(len(files) / 100))
    changed: list[Path] = []
    times_changed = [0]
    re_jobs = []
    for label, extra in [("siqaco re-index", []), ("siqaco re-index --hash", ["--hash"])]:
        def before(extra=extra) -> None:
            fresh(db)
            timed([siqaco, "index", str(mirror), "--db", str(db), *extra], ok=(0, 3))
            changed[:] = change(_bench.files_of(mirror)[times_changed[0]:], n_changed)
            times_changed[0] += 1

        def after(r, rep: int, extra=extra) -> None:
            fresh(tmp / "ref.sqlite")
            timed([siqaco, "index", str(mirror), "--db", str(tmp / "ref.sqlite"), *extra], ok=(0, 3))
            _bench.same_rows(sections(tmp / "ref.sqlite"), sections(db), "a fresh siqaco index",
                             "the re-index")

        re_jobs.append(Job(label, lambda extra=extra: timed(synced([siqaco, "index", str(mirror), "--db", str(db),
                                                                    *extra]), ok=(0, 3)), before, after))
    ms_re = tmp / "mseedindex-re.sqlite"
    changed_list = tmp / "changed.txt"

    def ms_re_before() -> None:
        fresh(ms_re)
        shutil.copy(tmp / "mseedindex-full.sqlite", ms_re)
        changed_list.write_text("\n".join(map(str, changed)) + "\n")

    ms_re_name = "mseedindex on the changed file(s) only (it cannot find them itself)"
    re_jobs.append(Job(ms_re_name, lambda: timed(synced(mseedindex_cmd(mseedindex, ms_re, changed_list))),
                       ms_re_before))
    re_res = s.alternate(re_jobs)

    print(f"Archive: {archive} ({len(files)} files, {size / 1e9:.2f} GB); {cores} cores; mseedindex {mseedindex}")
    print(f"Same job: {check}; every re-index equal to a fresh index")
    print(f"{s.cold_line()}\n")
    rows = []
    out = []
    for cache, runs in res.items():
        ms = stat(runs[ms_name]).median
        for k, v in runs.items():
            st = stat(v)
            rows.append({"what": k, "cache": cache, **st.as_dict(), "GB_per_s": size / st.median / 1e9,
                         "speedup": ms / st.median})
            out.append([k, cache, st.cell(2), f"{size / st.median / 1e9:.2f}", f"{ms / st.median:.1f}x"])
    print(_bench.table(["what", "cache", "median s (min–max)", "GB/s", "mseedindex / this"], out))
    print(f"\nRe-index after {n_changed} of {len(files)} files changed (the changed files are found "
          "by size and mtime; the others are not read), warm:\n")
    re_rows = []
    out = []
    warm = res["warm"]
    for k, v in re_res.items():
        st = stat(v)
        ref = stat(warm[ms_name]).median if k == ms_re_name else \
            stat(warm[f"siqaco index{' --hash' if 'hash' in k else ''}, {cores} threads"]).median
        re_rows.append({"what": k, **st.as_dict(), "percent_of_fresh": 100 * st.median / ref})
        out.append([k, st.cell(3), f"{100 * st.median / ref:.1f} %"])
    print(_bench.table(["what", "median s (min–max)", "% of the fresh index with the same options"], out))
    ms = stat(warm[ms_name]).median
    targets = {
        "no_hash_5x": ms / stat(warm[f"siqaco index, {cores} threads"]).median >= 5,
        "md5_2x": ms / stat(warm[f"siqaco index --hash, {cores} threads"]).median >= 2,
        "reindex_under_5pct": all(r["percent_of_fresh"] < 5 for r in re_rows if r["what"] != ms_re_name),
        "no_hash_20x": ms / stat(warm[f"siqaco index, {cores} threads"]).median >= 20,
        "index_within_2x_scan": all(stat(warm[f"siqaco index, {t}"]).median
                                    <= 2 * stat(warm[f"siqaco scan, {t}"]).median
                                    for t in ("1 thread", f"{cores} threads")),
    }
    print(f"\nTargets (warm): {targets}")
    s.results.update({"archive": str(archive), "files": len(files), "bytes": size, "cores": cores, "check": check,
                      "rows": rows, "reindex": re_rows, "files_changed": n_changed, "targets": targets})


if __name__ == "__main__":
    main()
