"""StationXML that is hostile or wrong, read by `siqaco qc` and by ObsPy (issue #16, defect 9).

ObsPy decides what is a StationXML document: where `obspy.read_inventory` refuses a
document (a root outside the FDSN namespace `http://www.fdsn.org/xml/station/1`, or in
none), `siqaco qc` must stop with a metadata error naming the root's line and column,
never read it as empty metadata. Where ObsPy reads it (a `SampleRate` of INF, NaN or below
0, an `endDate` before the `startDate`: all valid for the schema), siqaco reads it too and
reports the epoch as an `invalid_epoch` finding.
"""

import io
import json
import re
import subprocess
import warnings
from pathlib import Path

import pytest
from obspy import read_inventory

from conftest import siqaco_bin

NS = ' xmlns="http://www.fdsn.org/xml/station/1"'


def obspy_reads(text: str):
    """The inventory ObsPy reads from `text`, or None when it refuses the document."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read_inventory(io.BytesIO(text.encode()))
        except Exception:  # ObsPy: TypeError "Unknown format for file ..."
            return None


def qc(tmp: Path, text: str) -> subprocess.CompletedProcess:
    """`siqaco qc --format json` of the ffbx SDS copy against the document `text`."""
    meta = tmp / "meta.xml"
    meta.write_text(text)
    return subprocess.run(
        [siqaco_bin(), "qc", "--archive", str(tmp / "archive"), "--metadata", str(meta),
         "--select", "BW.FFB1.*.*", "--format", "json"],
        capture_output=True,
        check=False,
    )


@pytest.fixture()
def ffbx(data: Path, tmp_path: Path) -> str:
    src = data / "sds-small" / "2016" / "BW"
    dst = tmp_path / "archive" / "2016"
    dst.mkdir(parents=True)
    subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
    return (data / "stationxml" / "obspy-core__ffbx.stationxml").read_text()


def root_position(text: str) -> tuple[int, int]:
    root = text.index("<FDSNStationXML")
    line = text[:root].count("\n") + 1
    return line, root - (text.rfind("\n", 0, root) + 1) + 1


@pytest.mark.parametrize("xmlns", ["", ' xmlns="urn:example:other"',
                                   ' xmlns="http://www.fdsn.org/xml/station/2"'])
def test_root_outside_the_namespace_is_refused_like_obspy(ffbx: str, tmp_path: Path, xmlns: str) -> None:
    assert NS in ffbx
    text = ffbx.replace(NS, xmlns)
    assert obspy_reads(ffbx) is not None
    assert obspy_reads(text) is None
    p = qc(tmp_path, text)
    line, column = root_position(text)
    assert p.returncode == 1, p.stdout.decode()
    err = p.stderr.decode()
    assert f"meta.xml: line {line}, column {column}:" in err, err
    assert "http://www.fdsn.org/xml/station/1" in err, err


def channel_block(text: str, code: str) -> tuple[int, int]:
    """Start and end of FFB1's `<Channel code=...>` element in `text`."""
    ffb1 = text.index('<Station code="FFB1"')
    start = text.index(f'<Channel code="{code}"', ffb1)
    return start, text.index("</Channel>", start)


@pytest.mark.parametrize("code,value,obspy_rate", [
    ("BH1", "INF", float("inf")),
    ("BH2", "NaN", None),       # ObsPy drops it with a warning
    ("HH1", "-200.0", -200.0),
])
def test_impossible_sample_rates_are_read_like_obspy_and_reported(
        ffbx: str, tmp_path: Path, code: str, value: str, obspy_rate) -> None:
    s, e = channel_block(ffbx, code)
    block = re.sub(r">[^<]*</SampleRate>", f">{value}</SampleRate>", ffbx[s:e], count=1)
    text = ffbx[:s] + block + ffbx[e:]
    inv = obspy_reads(text)
    assert inv is not None
    assert inv.select(station="FFB1", channel=code)[0][0][0].sample_rate == obspy_rate
    p = qc(tmp_path, text)
    doc = json.loads(p.stdout)
    found = [(f["code"], f["nslc"], f["count"]) for f in doc["findings"]]
    assert found == [("invalid_epoch", f"BW.FFB1..{code}", 1)], found
    assert p.returncode == 5


def test_reversed_epoch_is_read_like_obspy_and_reported(ffbx: str, tmp_path: Path) -> None:
    s, e = channel_block(ffbx, "HH2")
    tag_end = ffbx.index(">", s)
    text = ffbx[:tag_end] + ' endDate="2015-07-30T00:00:00"' + ffbx[tag_end:]
    inv = obspy_reads(text)
    cha = inv.select(station="FFB1", channel="HH2")[0][0][0]
    assert cha.end_date < cha.start_date
    p = qc(tmp_path, text)
    doc = json.loads(p.stdout)
    found = sorted((f["code"], f["nslc"], f["count"]) for f in doc["findings"])
    assert found == [("data_outside_epochs", "BW.FFB1..HH2", 1),
                     ("invalid_epoch", "BW.FFB1..HH2", 1)], found
