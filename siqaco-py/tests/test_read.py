"""siqaco.read against obspy.read, sample for sample."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import siqaco


def _obspy_by_stream(sds_small: Path):
    """ObsPy traces of every v2 file of sds-small, per stream, with all the stream's files
    read as one buffer (so records continue across day files as in siqaco)."""
    obspy = pytest.importorskip("obspy")
    per_stream: dict[str, bytes] = defaultdict(bytes)
    for f in sorted(p for p in sds_small.rglob("*") if p.is_file()):
        try:
            st = obspy.read(str(f), headonly=True)
        except Exception:
            continue  # miniSEED 3: ObsPy cannot read it
        ids = {tr.id for tr in st}
        assert len(ids) == 1, f
        per_stream[ids.pop()] += f.read_bytes()
    return {sid: obspy.read(io.BytesIO(buf), format="MSEED") for sid, buf in per_stream.items()}


def test_read_equals_obspy(sds_small: Path) -> None:
    """Every ObsPy trace is found, sample for sample, in one siqaco segment at the offset
    its start time gives, and the sample totals are equal.

    Segments are not compared one to one: libmseed (under ObsPy) joins records in the order
    they come, siqaco in time order whatever the order in files (the trace rule of
    docs/gaps.md), so a stream whose records are out of order gives fewer, longer segments
    in siqaco (BW.BGLD..EHE across the 2007/2008 boundary).
    """
    theirs = _obspy_by_stream(sds_small)
    assert len(theirs) > 10
    ours: dict[str, list[siqaco.Segment]] = defaultdict(list)
    for seg in siqaco.read(sds_small):
        ours[seg.nslc].append(seg)
    samples = 0
    for sid, st in theirs.items():
        segs = ours[sid]
        assert sum(len(s.data) for s in segs) == sum(tr.stats.npts for tr in st), sid
        assert len(segs) <= len(st), sid
        for tr in st:
            found = False
            for seg in segs:
                if seg.data.dtype != tr.data.dtype:
                    continue
                assert seg.sample_rate_hz == pytest.approx(tr.stats.sampling_rate, rel=1e-9)
                offset_ns = tr.stats.starttime.ns - seg.start_ns
                k = round(offset_ns * seg.sample_rate_hz / 1e9)
                if k < 0 or k + tr.stats.npts > len(seg.data):
                    continue
                if abs(offset_ns - k * 1e9 / seg.sample_rate_hz) > 1e3:  # 1 µs (v2 precision)
                    continue
                if np.array_equal(seg.data[k : k + tr.stats.npts], tr.data):
                    found = True
                    break
            assert found, (sid, tr, segs)
            samples += tr.stats.npts
    assert samples > 100_000
    # where ObsPy has one trace per segment, the segments are identical
    for sid, st in theirs.items():
        if len(st) == len(ours[sid]):
            for seg, tr in zip(ours[sid], sorted(st, key=lambda t: t.stats.starttime)):
                assert seg.start_ns == tr.stats.starttime.ns
                np.testing.assert_array_equal(seg.data, tr.data)


def test_segment_types_and_conversion(sds_small: Path) -> None:
    obspy = pytest.importorskip("obspy")
    segs = siqaco.read(sds_small, select="IU.COLA.00.BHZ")
    assert segs and all(s.nslc == "IU.COLA.00.BHZ" for s in segs)
    s = segs[0]
    assert isinstance(s.data, np.ndarray) and s.data.dtype in (np.int32, np.float32, np.float64)
    assert s.data.flags.c_contiguous and s.data.ndim == 1
    assert s.start.tzinfo is not None
    assert s.start.timestamp() == pytest.approx(s.start_ns / 1e9, abs=1e-6)
    st = siqaco.to_obspy(segs)
    assert isinstance(st, obspy.Stream) and len(st) == len(segs)
    assert st[0].stats.starttime.ns == s.start_ns
    assert np.shares_memory(st[0].data, s.data)


def test_read_window_cuts_at_sample_level(sds_small: Path) -> None:
    obspy = pytest.importorskip("obspy")
    full = siqaco.read(sds_small, select="IU.COLA.00.LHZ")
    seg = max(full, key=lambda s: len(s.data))
    t0 = obspy.UTCDateTime(ns=seg.start_ns) + 100.5
    t1 = t0 + 60
    cut = siqaco.read(sds_small, select="IU.COLA.00.LHZ", start=t0, end=t1)
    assert len(cut) == 1
    c = cut[0]
    assert c.start_ns >= t0.ns and c.start_ns - t0.ns < 1e9 / c.sample_rate_hz
    assert (c.start_ns + (len(c.data) - 1) * 1e9 / c.sample_rate_hz) < t1.ns
    k = round((c.start_ns - seg.start_ns) * seg.sample_rate_hz / 1e9)
    np.testing.assert_array_equal(c.data, seg.data[k : k + len(c.data)])
    expected = obspy.Trace(seg.data, {"starttime": obspy.UTCDateTime(ns=seg.start_ns), "sampling_rate": seg.sample_rate_hz})
    expected.trim(t0, t1 - 1e-9, nearest_sample=False)
    np.testing.assert_array_equal(c.data, expected.data)


def test_read_files_directly(data_dir: Path) -> None:
    obspy = pytest.importorskip("obspy")
    path = data_dir / "mseed" / "libmseed__reference-testdata-float64.v2.mseed"
    segs = siqaco.read(path)
    st = obspy.read(str(path))
    assert len(segs) == len(st)
    assert segs[0].data.dtype == np.float64
    np.testing.assert_array_equal(segs[0].data, st[0].data)
