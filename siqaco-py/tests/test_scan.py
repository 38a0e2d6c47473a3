"""siqaco.scan against the CLI's JSON and ObsPy's get_gaps()."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import siqaco


def test_scan_equals_cli_json(sds_small: Path, siqaco_bin: Path) -> None:
    out = subprocess.run(
        [str(siqaco_bin), "scan", "--format", "json", str(sds_small)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = siqaco.scan(sds_small, per_day=True)
    assert report.to_dict() == json.loads(out)
    assert report.streams == report.to_dict()["streams"]
    assert report.errors == report.to_dict()["errors"]
    assert len(report.streams) == 35 and report.files == 37


def test_scan_window_and_selection_equal_cli(sds_small: Path, siqaco_bin: Path) -> None:
    args = ["--select", "IU.*.*.BH?", "--start", "2010-02-27T06:00:00", "--end", "2010-02-27T18:00:00"]
    out = subprocess.run(
        [str(siqaco_bin), "scan", "--format", "json", *args, str(sds_small)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    expected = json.loads(out)
    for start in (
        "2010-02-27T06:00:00",
        dt.datetime(2010, 2, 27, 6, tzinfo=dt.timezone.utc),
        dt.datetime(2010, 2, 27, 6),
        np.datetime64("2010-02-27T06:00:00"),
    ):
        report = siqaco.scan(
            sds_small, select="IU.*.*.BH?", start=start, end="2010-02-27T18:00:00", per_day=True
        )
        assert report.to_dict() == expected
    assert expected["streams"], "selection matched nothing"


def test_progress_is_called_in_calling_thread(sds_small: Path) -> None:
    import threading

    calls = []
    me = threading.get_ident()

    def progress(files_done: int, files_total: int, bytes_done: int, bytes_total: int) -> None:
        assert threading.get_ident() == me
        calls.append((files_done, files_total, bytes_done, bytes_total))

    report = siqaco.scan(sds_small, progress=progress)
    assert calls, "progress never called"
    assert calls[-1][0] == calls[-1][1] == report.files


def test_progress_exception_aborts_scan(sds_small: Path) -> None:
    class Stop(Exception):
        pass

    def progress(*_: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        siqaco.scan(sds_small, progress=progress, threads=1)


def _v2_files(data_dir: Path) -> list[Path]:
    return [p for p in sorted((data_dir / "mseed").glob("*.mseed")) if ".v3." not in p.name]


def test_get_gaps_equals_obspy(data_dir: Path) -> None:
    """Per stream where ObsPy sees no overlap, get_gaps() is ObsPy's, entry for entry."""
    obspy = pytest.importorskip("obspy")
    files = 0
    gaps = 0
    for path in _v2_files(data_dir):
        try:
            st = obspy.read(str(path), headonly=True)
        except Exception:
            continue
        if any(tr.stats.npts == 0 for tr in st):
            continue  # ObsPy gives a record without samples one period of coverage; siqaco none
        theirs: dict = defaultdict(list)
        for g in st.get_gaps():
            theirs[tuple(g[:4])].append(g)
        ours: dict = defaultdict(list)
        for g in siqaco.scan(path).get_gaps():
            assert isinstance(g[4], obspy.UTCDateTime) and isinstance(g[5], obspy.UTCDateTime)
            ours[tuple(g[:4])].append(g)
        for nslc in set(theirs) | set(ours):
            if any(g[6] < 0 for g in theirs[nslc]):
                continue  # overlaps: ObsPy compares consecutive traces only
            a_list, b_list = ours[nslc], theirs[nslc]
            assert len(a_list) == len(b_list), (path.name, nslc, a_list, b_list)
            for a, b in zip(a_list, b_list):
                assert abs(a[4] - b[4]) < 1e-6 and abs(a[5] - b[5]) < 1e-6, (path.name, a, b)
                assert a[6] == pytest.approx(b[6], abs=1e-6), (path.name, a, b)
                assert a[7] == b[7], (path.name, a, b)
                gaps += 1
        files += 1
    assert files > 50 and gaps >= 5, (files, gaps)


def test_to_pandas(sds_small: Path) -> None:
    pd = pytest.importorskip("pandas")
    report = siqaco.scan(sds_small, per_day=True)
    gaps = report.to_pandas()
    assert len(gaps) == sum(len(s["gaps"]) for s in report.streams)
    assert isinstance(gaps["start"].dtype, pd.DatetimeTZDtype)
    streams = report.to_pandas("streams")
    assert list(streams["nslc"]) == [s["nslc"] for s in report.streams]
    assert len(report.to_pandas("days")) == sum(len(s["days"]) for s in report.streams)
    with pytest.raises(siqaco.InvalidArgumentError):
        report.to_pandas("nonsense")
