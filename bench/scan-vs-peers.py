#!/usr/bin/env python3
"""Benchmark: `siqaco scan` against `cat` (the page-cache limit), libmseed's trace list
(pymseed `MS3TraceList.add_file(f, unpack_data=False)`) and ObsPy (`read(headonly=True)` +
`get_gaps()`), all timed in the same run on the same files, alternating, warm and (where the
page cache can be dropped) cold. Not a test.

Usage:
  .venv/bin/python bench/scan-vs-peers.py [--archive DIR] [--stations 12] [--days 4]
      [--skip-obspy] [--siqaco PATH] [--work DIR] [--reps 5] [--warm-only] ...
  (the options common to all scripts: bench/_bench.py, `--help`)

Without --archive, a 2.2 GB SDS archive (--stations 12 x 3 channels x --days 4, 100 Hz,
512-byte Steim2 records, real samples, known gaps and overlaps) is generated under the work
directory with make-bench-archive. The script checks that siqaco's gaps and coverage equal
the generator's expected file (when beside the archive), and that the gap lists of libmseed's
trace list, of the traces ObsPy read and of siqaco.scan's get_gaps() (each from its own
timed run) equal siqaco's, so a
fast wrong answer cannot pass: a disagreement stops the benchmark. Results: a Markdown table
on stdout (and JSON with --json, or in --work).
The Python row appears when the siqaco package is installed in the venv; build it with
`maturin develop --release` first (scripts/test installs a debug build).
"""

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
import _bench  # noqa: E402
from _bench import Job, stat, timed


def check_against_expected(doc: dict, expected: dict) -> str:
    """siqaco's gaps and union coverage vs make-bench-archive's expected file."""
    import ast

    streams = {s["nslc"]: s for s in doc["streams"]}
    if len(streams) != len(expected["nslc"]):
        _bench.disagree(f"siqaco finds {len(streams)} streams, make-bench-archive made {len(expected['nslc'])}")
    ngaps = 0
    for nslc, e in expected["nslc"].items():
        s = streams[nslc]
        cov = e["coverage_union"]
        cov = ast.literal_eval(cov) if isinstance(cov, str) else cov
        if len(s["segments"]) != len(cov):
            _bench.disagree(f"{nslc}: siqaco {len(s['segments'])} segments, make-bench-archive {len(cov)}")
        for a, b in zip(s["segments"], cov):
            if abs(_bench.iso_ns(a["start"]) - _bench.iso_ns(b[0])) > 1000 or \
                    abs(_bench.iso_ns(a["end"]) - _bench.iso_ns(b[1])) > 1000:
                _bench.disagree(f"{nslc}: siqaco segment {a}, make-bench-archive {b}")
        ngaps += len(s["gaps"])
    if ngaps != expected["totals"]["gaps"]:
        _bench.disagree(f"siqaco {ngaps} gaps, make-bench-archive {expected['totals']['gaps']}")
    return f"{len(streams)} streams, {ngaps} gaps: equal to make-bench-archive's expected coverage"


# Each snippet times its own work (the last line it prints); after the clock it writes the
# gaps it found to sys.argv[2] (stream -> [[last sample ns, next sample ns]]), for the check.
PYMSEED = """
import sys, time, json
sys.path.insert(0, sys.argv[3])
from pymseed import MS3TraceList, sourceid2nslc
files = open(sys.argv[1]).read().split()
t0 = time.perf_counter()
tl = MS3TraceList()
for f in files:
    tl.add_file(f, unpack_data=False)
n = sum(len(t) for t in tl)
dt = time.perf_counter() - t0
import _bench
segs = {}
for t in tl:
    nslc = ".".join(sourceid2nslc(t.sourceid))
    segs[nslc] = [(g.starttime, g.endtime, g.samprate) for g in t]
json.dump(_bench.union_gaps(segs), open(sys.argv[2], "w"))
print(dt)
"""

SIQACO_PY = """
import sys, time, siqaco
import obspy  # imported before timing: get_gaps() returns UTCDateTime objects, as ObsPy does
root = sys.argv[1]
t0 = time.perf_counter()
r = siqaco.scan(root)
g = r.get_gaps()
dt = time.perf_counter() - t0
import json
out = {}
for x in g:
    if x[6] > 0:
        out.setdefault(".".join(x[:4]), []).append((x[4].ns, x[5].ns))
json.dump(out, open(sys.argv[2], "w"))
print(dt)
"""

OBSPY = """
import sys, time, obspy
files = open(sys.argv[1]).read().split()
t0 = time.perf_counter()
st = obspy.Stream()
for f in files:
    st += obspy.read(f, headonly=True, format="MSEED")
g = st.get_gaps()
dt = time.perf_counter() - t0
# get_gaps() measures each gap from the trace before it in start order, not from the latest
# end so far: after an overlap its gap starts earlier. The check takes the gaps of the
# union of the traces ObsPy read, as siqaco and the trace list do.
import json
sys.path.insert(0, sys.argv[3])
import _bench
segs = {}
for tr in st:
    segs.setdefault(tr.id, []).append((tr.stats.starttime.ns, tr.stats.endtime.ns, tr.stats.sampling_rate))
json.dump(_bench.union_gaps(segs), open(sys.argv[2], "w"))
print(dt)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _bench.add_size(ap)
    ap.add_argument("--skip-obspy", action="store_true")
    _bench.add_common(ap, archive=True)
    args = ap.parse_args()
    with _bench.Session("scan-vs-peers", args) as s:
        run(args, s)


def run(args, s: _bench.Session) -> None:
    archive = s.standard_archive()
    siqaco = s.siqaco
    expected_path = Path(str(archive) + ".expected.json")
    files = [str(f) for f in _bench.files_of(archive)]
    size = sum(os.path.getsize(f) for f in files)
    listfile = s.work / "files.txt"
    listfile.write_text("\n".join(files))

    # correctness first (siqaco against the generator), and warm the page cache
    _bench.warm(files)
    doc = json.loads(timed([siqaco, "scan", str(archive), "--format", "json"], ok=(0, 3)).stdout)
    records = doc["records"]
    check = check_against_expected(doc, json.loads(expected_path.read_text())) \
        if expected_path.exists() else "no expected file beside the archive"
    reference = _bench.siqaco_gaps(doc)

    gaps_of: dict[str, dict] = {}

    def py_job(name: str, code: str, arg: str) -> Job:
        out = s.work / f"gaps-{len(gaps_of)}-{name.split()[0]}.json"
        gaps_of[name] = {}

        def after(r, rep: int) -> None:
            if rep == 0:
                gaps_of[name] = {k: [tuple(g) for g in v] for k, v in json.loads(out.read_text()).items()}

        return Job(name, lambda: timed([sys.executable, "-B", "-c", code, arg, str(out), str(Path(__file__).parent)],
                                       inner=True), after=after)

    cores = os.cpu_count() or 1
    jobs = [
        Job("cat", lambda: timed(["sh", "-c", f"xargs cat < {listfile} > /dev/null"])),
        Job("siqaco scan, 1 thread",
            lambda: timed([siqaco, "scan", str(archive), "--format", "json", "--threads", "1"], ok=(0, 3))),
        Job(f"siqaco scan, {cores} threads",
            lambda: timed([siqaco, "scan", str(archive), "--format", "json"], ok=(0, 3))),
    ]
    if importlib.util.find_spec("siqaco") is not None:  # the Python package, if installed
        jobs.append(py_job("siqaco.scan (Python) + get_gaps", SIQACO_PY, str(archive)))
    lib_name = "pymseed MS3TraceList (libmseed 3.5)"
    jobs.append(py_job(lib_name, PYMSEED, str(listfile)))
    obspy_name = "ObsPy read(headonly) + get_gaps"
    if not args.skip_obspy:
        jobs.append(py_job(obspy_name, OBSPY, str(listfile)))
    res = s.warm_and_cold(jobs)
    # Same job: every tool's gap list equals siqaco's.
    ngaps = 0
    for name, gaps in gaps_of.items():
        ngaps = _bench.same_gaps(reference, gaps, "siqaco scan", name)
    check += f"; the {ngaps} gaps of " + ", ".join(gaps_of) + " equal siqaco scan's"

    print(f"Archive: {archive} ({len(files)} files, {size / 1e9:.2f} GB, {records} records); {cores} cores")
    print(f"Same job: {check}")
    print(f"{s.cold_line()}\n")
    rows = []
    out_rows = []
    for cache, runs in res.items():
        med = {k: stat(v).median for k, v in runs.items()}
        obspy = med.get(obspy_name)
        for k, v in runs.items():
            st = stat(v)
            rows.append({"what": k, "cache": cache, **st.as_dict(), "GB_per_s": size / st.median / 1e9,
                         "Mrecords_per_s": records / st.median / 1e6})
            out_rows.append([k, cache, st.cell(), f"{size / st.median / 1e9:.2f}", f"{records / st.median / 1e6:.2f}",
                             f"{st.rss_mib:.0f}" if st.rss_mib else "-", f"{med['cat'] / st.median:.2f}",
                             f"{med[lib_name] / st.median:.2f}",
                             f"{obspy / st.median:.2f}" if obspy else "-"])
    print(_bench.table(["what", "cache", "median s (min–max)", "GB/s", "M records/s", "peak RSS MiB", "vs cat",
                        "vs libmseed trace list", "vs ObsPy"], out_rows))
    s.results.update({"archive": str(archive), "files": len(files), "bytes": size, "records": records,
                      "cores": cores, "check": check, "rows": rows})


if __name__ == "__main__":
    main()
