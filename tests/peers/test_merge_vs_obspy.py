"""`siqaco merge` against ObsPy's `Stream.merge(method=1)` on real data, sample by sample.

For every sample time, the merged archive must hold exactly one sample, at the time ObsPy's
merged trace has one, with ObsPy's value wherever the inputs agree. Explained differences:

* ObsPy `method=1` keeps the *later-starting* trace's values in an overlap; siqaco keeps
  the best-priority input's. Where overlapping inputs disagree, siqaco's value must be the
  priority-1 input's (checked), ObsPy's may differ.
* ObsPy cannot read miniSEED 3; the 60-s-period v3 file is checked against libmseed
  (pymseed): a complete patch into an empty archive gives back exactly its samples.
* siqaco writes day files that end at midnight; samples are compared by time, not by file.
"""

import bisect
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import siqaco_bin

obspy = pytest.importorskip("obspy")
pymseed = pytest.importorskip("pymseed")


def samples(paths):
    """{(sid, time_ns): value} of every data sample (libmseed through pymseed); asserts
    that no time appears twice."""
    out = {}
    for p in paths:
        for r in pymseed.MS3Record.from_file(str(p), unpack_data=True):
            if r.samprate <= 0 or r.samplecnt == 0 or r.encoding == 0:
                continue
            vals = list(r.np_datasamples)
            for i, v in enumerate(vals):
                key = (r.sourceid, pymseed.sample_time(r.starttime, i, r.samprate))
                assert key not in out, f"sample at {key} appears twice"
                out[key] = float(v)
    return out


def merge(root: Path, *args: str):
    p = subprocess.run([siqaco_bin(), "merge", "--into", str(root), *args],
                       capture_output=True, check=False)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def archive_files(root: Path):
    return sorted(f for f in root.rglob("*") if f.is_file() and not f.name.startswith("."))


def obspy_merged(paths):
    """{(sid, time_ns): value} of ObsPy's read + merge(method=1), gaps dropped."""
    st = obspy.Stream()
    for p in paths:
        st += obspy.read(str(p))
    st.merge(method=1)
    out = {}
    for tr in st.split():
        sid = "FDSN:" + "_".join([tr.stats.network, tr.stats.station, tr.stats.location,
                                  *tr.stats.channel])
        t0 = tr.stats.starttime.ns
        for i, v in enumerate(tr.data):
            out[(sid, t0 + round(i * 1e9 / tr.stats.sampling_rate))] = float(v)
    return out


def near(a: dict, tol_ns: int = 2_500_000):
    """Index {sid: sorted times} for matching times within 2.5 ms (half a period at 200 Hz)."""
    import bisect
    idx = {}
    for (sid, t) in a:
        idx.setdefault(sid, []).append(t)
    for v in idx.values():
        v.sort()

    def find(sid, t):
        v = idx.get(sid, [])
        i = bisect.bisect_left(v, t - tol_ns)
        return v[i] if i < len(v) and v[i] <= t + tol_ns else None
    return find


@pytest.mark.parametrize("names", [
    ["obspy-io-mseed__gaps.mseed", "obspy-io-mseed__timingquality.mseed"],
    ["obspy-io-mseed__timingquality.mseed", "obspy-io-mseed__gaps.mseed"],
    ["obspy-core__ffbx_unrotated_gaps.mseed"],
])
def test_merge_equals_obspy_merge_method_1(data, tmp_path, names):
    inputs = [data / "mseed" / n for n in names]
    prio = [a for i in range(len(inputs)) for a in ("--priority", str(i + 1))]
    merge(tmp_path / "a", *prio, *map(str, inputs))
    ours = samples(archive_files(tmp_path / "a"))
    theirs = obspy_merged(inputs)
    first = samples(inputs[:1])
    find_ours, find_first = near(ours), near(first)
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    # every ObsPy sample time has one of ours; values agree unless the inputs disagree
    per_input = [samples([p]) for p in inputs]
    finders = [near(s) for s in per_input]
    disagreements = 0
    for (sid, t), v in theirs.items():
        ot = find_ours(sid, t)
        assert ot is not None, f"{sid} {t}: ObsPy has a sample, siqaco none"
        mine = ours[(sid, ot)]
        if mine == v:
            continue
        vals = {s[(sid, f(sid, t))] for s, f in zip(per_input, finders) if f(sid, t) is not None}
        assert len(vals) > 1, f"{sid} {t}: {mine} vs ObsPy {v} where inputs agree"
        ft = find_first(sid, t)
        assert ft is not None and first[(sid, ft)] == mine, "priority 1 must win"
        disagreements += 1
    print(f"{names}: {len(ours)} samples, {disagreements} explained differences")


def test_v3_60s_period_patch_into_empty_archive_is_exact(data, tmp_path):
    src = data / "mseed" / "pymseed-tests__testdata-60sec-period.v3.mseed"
    merge(tmp_path / "a", str(src))
    files = archive_files(tmp_path / "a")
    assert len(files) >= 2  # several days, split at midnight
    assert samples(files) == samples([src])
    for f in files:  # every sample of a day file is in its day
        day = f.name.rsplit(".", 2)[-2:]
        for r in pymseed.MS3Record.from_file(str(f)):
            first = pymseed.nstime2timestr(r.starttime, pymseed.TimeFormat.SEEDORDINAL)
            last = pymseed.nstime2timestr(r.endtime, pymseed.TimeFormat.SEEDORDINAL)
            assert first[:8] == last[:8] == f"{day[0]},{day[1]}", (f, first, last)


def test_merging_the_archive_into_itself_changes_no_byte(data, tmp_path):
    src = data / "mseed" / "obspy-io-mseed__gaps.mseed"
    merge(tmp_path / "a", str(src))
    files = archive_files(tmp_path / "a")
    before = {f: f.read_bytes() for f in files}
    merge(tmp_path / "a", *map(str, files))
    assert {f: f.read_bytes() for f in archive_files(tmp_path / "a")} == before


@pytest.mark.parametrize("shift", [0.3, -0.3, 0.45])
def test_misaligned_patch_fills_gaps_like_obspy(data, tmp_path, shift):
    """A patch misaligned with the archive by a fraction of a sample (within the default
    tolerance of half a period): timingquality.mseed shifted by `shift` periods, merged into
    an archive made of gaps.mseed with --archive-wins (the patch only fills the gaps).

    Rule (docs/merge.md): a patch sample at t goes when an archive sample u has
    -period/2 <= t - u < period/2; every archive sample stays, at its own time.
    ObsPy `Stream.merge(method=1)` puts the shifted trace on the archive's sample grid
    (rounding the offset away) and keeps the later trace's values; so it has the same
    number of samples, at times that differ by the shift where the patch fills a gap.
    """
    src = data / "mseed"
    patch = obspy.read(str(src / "obspy-io-mseed__timingquality.mseed"))
    for tr in patch:
        tr.stats.starttime += shift * tr.stats.delta
    shifted = tmp_path / "shifted.mseed"
    patch.write(str(shifted), format="MSEED", encoding="STEIM1", reclen=512)
    archive_src = src / "obspy-io-mseed__gaps.mseed"
    merge(tmp_path / "a", str(archive_src))
    merge(tmp_path / "a", "--archive-wins", str(shifted))
    ours = samples(archive_files(tmp_path / "a"))
    arch, pat = samples([archive_src]), samples([shifted])
    period = 5_000_000
    arch_times = sorted(t for _, t in arch)

    def collides(t):  # an archive sample u with t - period/2 < u <= t + period/2
        i = bisect.bisect_right(arch_times, t - period // 2)
        return i < len(arch_times) and arch_times[i] <= t + period // 2

    want = dict(arch)
    want.update({k: v for k, v in pat.items() if not collides(k[1])})
    assert ours == want
    filled = len(want) - len(arch)
    assert filled > 0  # the patch fills the archive's gaps and extends it
    st = obspy.read(str(archive_src)) + obspy.read(str(shifted))
    st.merge(method=1)
    assert sum(tr.stats.npts - int(np.ma.count_masked(tr.data)) for tr in st) == len(ours)
