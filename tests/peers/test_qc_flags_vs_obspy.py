"""`siqaco qc` per-day header flags against ObsPy's own `get_flags`, the function behind
`MSEEDMetadata`'s `miniseed_header_counts` and `miniseed_header_percentages`.

For every miniSEED 2 file of the test data that holds one data stream and that ObsPy
reads, and for every UTC day the file's records meet, siqaco's day summary must equal
`obspy.io.mseed.util.get_flags(file, starttime=day, endtime=next day)`: the counts
exactly, the percentages of time and the timing-quality statistics to 1e-6.

The same is asserted of miniSEED 3 copies written by libmseed (pymseed 1.x re-packing the
records as version 3, which moves the flags, timing quality and time correction into the
FDSN extra headers): siqaco reads them back to the same summaries.
"""

import json
import subprocess
from pathlib import Path

import pytest
from obspy import UTCDateTime
from obspy.io.mseed.util import get_flags
from pymseed import MS3Record

from conftest import gate_refused, siqaco_bin

ACTIVITY = "activity_flags"
IO = "io_and_clock_flags"
DQ = "data_quality_flags"


def qc_days(root: Path) -> dict:
    """`siqaco qc` (files layout, no metadata rules) → {(nslc, date): day summary}."""
    empty = root.parent / "empty.xml"
    empty.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<FDSNStationXML xmlns="http://www.fdsn.org/xml/station/1" schemaVersion="1.1">'
        "<Source>test</Source><Created>2026-01-01T00:00:00</Created></FDSNStationXML>\n"
    )
    p = subprocess.run(
        [siqaco_bin(), "qc", "--archive", str(root), "--layout", "files",
         "--metadata", str(empty), "--format", "json"],
        capture_output=True,
        check=False,
    )
    assert p.returncode in (0, 4, 5), p.stderr.decode()
    doc = json.loads(p.stdout)
    return {(s["nslc"], d["date"]): d for s in doc["streams"] for d in s["days"]}


def single_stream_v2_files(data: Path) -> list[Path]:
    """The readable miniSEED 2 files of MANIFEST.json with one stream that ObsPy reads,
    except those holding a record the validation gate refuses."""
    rows = json.loads((data / "MANIFEST.json").read_text())
    refused = gate_refused()
    out = []
    for row in rows:
        f = row["file"]
        if (row["kind"] == "mseed" and row["format"] == "v2" and len(row["nslc"]) == 1
                and not row.get("obspy_error") and Path(f).name not in refused):
            out.append(data / f)
    return sorted(out)


def obspy_day(path: Path, day: str) -> dict | None:
    start = UTCDateTime(day)
    try:
        return get_flags(str(path), starttime=start, endtime=start + 86400)
    except (ZeroDivisionError, ValueError, TypeError):
        return None  # ObsPy cannot summarise it (e.g. a record with sample rate 0)


def assert_day_equal(ours: dict, theirs: dict, what: str) -> None:
    c = ours["miniseed_header_counts"]
    # ObsPy's `timing_correction_count` counts only the records whose time it used (not
    # those hidden under a later-ending one), unlike its flag counts; siqaco counts every
    # record, as for the flags.
    assert c["timing_correction"] >= theirs["timing_correction_count"], what
    for key, obspy_key in [(ACTIVITY, "activity_flags_counts"), (IO, "io_and_clock_flags_counts"),
                           (DQ, "data_quality_flags_counts")]:
        assert c[key] == dict(theirs[obspy_key]), f"{what}: {key} counts"
    p = ours["miniseed_header_percentages"]
    for key, obspy_key in [(ACTIVITY, "activity_flags_percentages"),
                           (IO, "io_and_clock_flags_percentages"),
                           (DQ, "data_quality_flags_percentages")]:
        for name, value in theirs[obspy_key].items():
            assert p[key][name] == pytest.approx(value, abs=1e-6), f"{what}: {key}.{name} %"
    assert p["timing_correction"] == pytest.approx(theirs["timing_correction"], abs=1e-6), what
    tq = theirs["timing_quality"]
    if tq:
        for name in ["mean", "min", "max", "median", "lower_quartile", "upper_quartile"]:
            assert p[f"timing_quality_{name}"] == pytest.approx(float(tq[name]), abs=1e-6), (
                f"{what}: timing_quality_{name}"
            )


def test_flags_equal_obspy_get_flags_per_day(data: Path, tmp_path: Path) -> None:
    files = single_stream_v2_files(data)
    assert len(files) > 50
    compared = 0
    for f in files:
        root = tmp_path / f.stem / "archive"
        root.mkdir(parents=True)
        (root / f.name).write_bytes(f.read_bytes())
        days = qc_days(root)
        for (nslc, date), ours in days.items():
            theirs = obspy_day(f, date)
            if theirs is None:
                continue
            assert_day_equal(ours, theirs, f"{f.name} {nslc} {date}")
            compared += 1
    assert compared > 50, compared


@pytest.mark.parametrize(
    "name", ["obspy-io-mseed__qualityflags.mseed", "obspy-io-mseed__timingquality.mseed"]
)
def test_miniseed3_extra_headers_give_the_same_summaries(data: Path, tmp_path: Path,
                                                          name: str) -> None:
    src = data / "mseed" / name
    v2 = tmp_path / "v2"
    v3 = tmp_path / "v3"
    v2.mkdir()
    v3.mkdir()
    (v2 / name).write_bytes(src.read_bytes())
    out = bytearray()
    n = 0
    for rec in MS3Record.from_file(str(src), unpack_data=True):
        assert rec.extra, "libmseed maps the v2 flags into extra headers"
        rec.formatversion = 3
        rec.reclen = 4096  # one v3 record per v2 record (512 bytes would split them)
        packed = list(rec.generate())
        assert len(packed) == 1
        out += packed[0]
        n += 1
    (v3 / name).write_bytes(bytes(out))
    a, b = qc_days(v2), qc_days(v3)
    assert a.keys() == b.keys() and len(a) == 2
    for k in a:
        for key in ["records", "miniseed_header_counts", "timing_quality_records"]:
            assert a[k][key] == b[k][key], (k, key)
        pa, pb = a[k]["miniseed_header_percentages"], b[k]["miniseed_header_percentages"]
        for key in [ACTIVITY, IO, DQ]:
            for flag in pa[key]:
                assert pb[key][flag] == pytest.approx(pa[key][flag], abs=1e-9), (k, key, flag)
        for key in ["timing_quality_mean", "timing_quality_min", "timing_quality_max",
                    "timing_correction"]:
            assert pb[key] == pytest.approx(pa[key]), (k, key)
    assert sum(d["records"] for d in a.values()) == n
