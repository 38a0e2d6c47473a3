"""Stream mappings over time (`mapping=` of siqaco.read and siqaco.scan): the archive of
tests/peers/renamed_archive.py, where BW.BGLD was recorded as XX.OLD until T, reads as the
unrenamed original, ObsPy reading the original as the oracle."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import siqaco

# ObsPy's plugin lookup warns (DeprecationWarning) on this Python; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def helper():
    """tests/peers/renamed_archive.py (imported here: it needs ObsPy)."""
    pytest.importorskip("obspy")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "peers"))
    return importlib.import_module("renamed_archive")


@pytest.fixture(scope="module")
def renamed(helper, sds_small, tmp_path_factory):
    return helper.build(sds_small, tmp_path_factory.mktemp("mapping"))


def test_read_with_mapping_gives_the_original_samples(helper, sds_small, renamed):
    import obspy

    root, mapping, _ = renamed
    got = siqaco.read(root, select="BW.BGLD..EHE", mapping=mapping)
    # ObsPy reads the original (its traces: one per run of contiguous records), merged
    # into segments the same way: samples in time order per segment.
    want = obspy.read(str(sds_small / "*" / "BW" / "BGLD" / "EHE.D" / "*"))
    ours = siqaco.read(sds_small, select="BW.BGLD..EHE")
    assert [(s.nslc, s.start_ns, len(s.data)) for s in got] == [
        (s.nslc, s.start_ns, len(s.data)) for s in ours
    ]
    for a, b in zip(got, ours):
        assert np.array_equal(a.data, b.data)
    # Every sample of the original, by ObsPy: the same multiset of (time, value).

    def pairs(traces):
        return sorted(
            (t0 + round(i * 1e9 / rate), int(v))
            for t0, rate, data in traces
            for i, v in enumerate(data)
        )

    assert pairs((s.start_ns, s.sample_rate_hz, s.data) for s in got) == pairs(
        (tr.stats.starttime.ns, tr.stats.sampling_rate, tr.data) for tr in want
    )
    # Without the mapping, BW.BGLD..EHE has only what was recorded after T.
    after = siqaco.read(root, select="BW.BGLD..EHE")
    assert after and all(s.start_ns >= helper.T.ns for s in after)


def test_scan_with_mapping_lists_the_mapped_records(renamed):
    root, mapping, n = renamed
    doc = siqaco.scan(root, select="*.*.*.EHE", mapping=mapping).to_dict()
    (stream,) = doc["streams"]
    assert stream["nslc"] == "BW.BGLD..EHE"
    assert stream["mapped_from"][0]["nslc"] == "XX.OLD.00.EHE"
    assert stream["mapped_from"][0]["records"] == n


def test_distributed_scan_and_read_with_mapping(renamed):
    """siqaco.distributed with ``mapping=``: the single-machine results, the files of the old
    codes listed for a selection of the mapped stream."""
    dd = pytest.importorskip("dask.distributed")
    import siqaco.distributed as sd

    root, mapping, _ = renamed
    kw = dict(select="BW.BGLD..EHE", mapping=mapping)
    single = siqaco.scan(root, **kw).to_dict()
    assert single["streams"][0]["mapped_from"]
    reads = siqaco.read(root, **kw)
    with dd.LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, dd.Client(cluster) as client:
        assert sd.scan(client, root, partition_files=1, **kw).to_dict() == single
        got = sd.read(client, root, partition_files=1, **kw)
    assert [(s.nslc, s.start_ns) for s in got] == [(s.nslc, s.start_ns) for s in reads]
    assert all(np.array_equal(a.data, b.data) for a, b in zip(got, reads))
