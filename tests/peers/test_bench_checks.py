"""The same-job checks of the benchmarks (bench/_bench.py, issue 24 item 5) on real data:
the samples of a day file re-encoded by ObsPy (other record length and encoding) compare
equal, one changed sample stops the benchmark naming the stream and day, and the gap list
from libmseed's trace list equals ObsPy's for a file with gaps."""

import sys
from pathlib import Path

import numpy as np
import obspy
import pytest
from pymseed import MS3TraceList, sourceid2nslc

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import _bench  # noqa: E402

DAY = "sds-small/2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"


def test_samples_equal_across_encodings_and_a_changed_sample_stops(data, tmp_path):
    src = data / DAY
    st = obspy.read(str(src))
    again = tmp_path / "again.mseed"
    st.write(str(again), format="MSEED", reclen=4096, encoding="STEIM1")
    a = _bench.sample_digest([src])
    b = _bench.sample_digest([again])
    n = _bench.same_samples(a, b, "original", "re-encoded")
    assert n == sum(tr.stats.npts for tr in st)
    assert {k[0] for k in a} == {"FDSN:IU_COLA_00_B_H_Z"}

    st[0].data = st[0].data.copy()
    st[0].data[len(st[0].data) // 2] += 1
    changed = tmp_path / "changed.mseed"
    st.write(str(changed), format="MSEED", reclen=512, encoding="STEIM2")
    with pytest.raises(SystemExit) as e:
        _bench.same_samples(a, _bench.sample_digest([changed]), "original", "changed")
    assert "FDSN:IU_COLA_00_B_H_Z 2010-02-27" in str(e.value)
    assert "1 stream-day(s)" in str(e.value)


def test_window_keeps_only_the_samples_inside(data):
    src = data / DAY
    tr = obspy.read(str(src))[0]
    t0 = tr.stats.starttime.ns + 10**9 * 3600
    t1 = t0 + 10**9 * 60
    d = _bench.sample_digest([src], (t0, t1))
    times = tr.stats.starttime.ns + np.round(np.arange(tr.stats.npts) * 1e9 / tr.stats.sampling_rate)
    assert sum(e[0] for e in d.values()) == int(((times >= t0) & (times < t1)).sum())


def test_gaps_of_the_trace_list_equal_obspy(data):
    # the day files ObsPy reads (it does not read miniSEED 3)
    st = obspy.Stream()
    files = []
    for f in sorted((data / "sds-small").rglob("*.D.*")):
        try:
            st += obspy.read(str(f), headonly=True)
            files.append(f)
        except TypeError:
            pass
    tl = MS3TraceList()
    for f in files:
        tl.add_file(str(f), unpack_data=False)
    segs = {".".join(sourceid2nslc(t.sourceid)): [(g.starttime, g.endtime, g.samprate) for g in t] for t in tl}
    osegs: dict = {}
    for tr in st:
        osegs.setdefault(tr.id, []).append((tr.stats.starttime.ns, tr.stats.endtime.ns, tr.stats.sampling_rate))
    gaps = _bench.union_gaps(segs)
    assert _bench.same_gaps(gaps, _bench.union_gaps(osegs), "pymseed", "ObsPy") == sum(map(len, gaps.values()))
    # one gap moved by a second stops the check
    sid = next(k for k, v in gaps.items() if v)
    moved = dict(gaps, **{sid: [(a + 10**9, b) for a, b in gaps[sid]]})
    with pytest.raises(SystemExit):
        _bench.same_gaps(gaps, moved, "pymseed", "moved")
