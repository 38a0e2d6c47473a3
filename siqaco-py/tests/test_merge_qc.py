"""siqaco.merge and siqaco.qc against the CLI's JSON, ObsPy and the test data."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import siqaco
from helpers import copy_tree, records_of, same_segments, tree_bytes

BH1 = "2010/IU/COLA/BH1.D/IU.COLA.00.BH1.D.2010.058"


def _cli_json(siqaco_bin: Path, *args: str) -> dict:
    out = subprocess.run([str(siqaco_bin), *args], capture_output=True, text=True, check=False)
    assert out.stdout, out.stderr
    return json.loads(out.stdout)


@pytest.fixture()
def damaged(sds_small: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of sds-small without records 50-59 of IU.COLA.00.BH1, and a patch file
    holding them."""
    archive = copy_tree(sds_small, tmp_path / "archive")
    recs = records_of(archive / BH1, 512)
    (archive / BH1).write_bytes(b"".join(r for i, r in enumerate(recs) if not 50 <= i < 60))
    patch = tmp_path / "patch.mseed"
    patch.write_bytes(b"".join(recs[50:60]))
    return archive, patch


def test_merge_dry_run_equals_cli(damaged: tuple[Path, Path], siqaco_bin: Path) -> None:
    archive, patch = damaged
    before = tree_bytes(archive)
    ours = siqaco.merge(archive, patch, dry_run=True)
    assert tree_bytes(archive) == before
    assert ours == _cli_json(siqaco_bin, "merge", "--into", str(archive), "--dry-run", "--json", str(patch))
    assert ours["files_written"] == 0 and [d["stream"] for d in ours["days"] if d["changed"]] == ["IU.COLA.00.BH1"]


def test_merge_fills_the_hole_sample_for_sample(damaged: tuple[Path, Path], sds_small: Path) -> None:
    obspy = pytest.importorskip("obspy")
    archive, patch = damaged
    missing = sum(len(s.data) for s in siqaco.read(sds_small, select="IU.COLA.00.BH1")) - sum(
        len(s.data) for s in siqaco.read(archive, select="IU.COLA.00.BH1")
    )
    assert missing > 0
    report = siqaco.merge(archive, [patch], priority=2, archive="wins")
    assert report["files_written"] == 1 and not report["recovered"]
    assert sum(d["stats"]["samples_added"] for d in report["days"]) == missing
    assert sum(d["stats"]["samples_replaced"] for d in report["days"]) == 0
    same_segments(siqaco.read(archive), siqaco.read(sds_small))
    ours, theirs = obspy.read(str(archive / BH1)), obspy.read(str(sds_small / BH1))
    ours.merge()
    theirs.merge()
    assert len(ours) == len(theirs) == 1 and ours[0].stats.starttime == theirs[0].stats.starttime
    np.testing.assert_array_equal(ours[0].data, theirs[0].data)


def test_merge_output_options(sds_small: Path, tmp_path: Path) -> None:
    """Output options reach the encoder: a new archive in int32, 4096-byte records."""
    obspy = pytest.importorskip("obspy")
    report = siqaco.merge(tmp_path / "new", sds_small / BH1, encoding="int32", record_length=4096, quality="M")
    assert report["files_written"] == 1 and report["days"][0]["created"]
    new = tmp_path / "new" / BH1
    st = obspy.read(str(new))
    assert {tr.stats.mseed.encoding for tr in st} == {"INT32"}
    assert {tr.stats.mseed.record_length for tr in st} == {4096}
    assert {tr.stats.mseed.dataquality for tr in st} == {"M"}
    same_segments(siqaco.read(new), siqaco.read(sds_small / BH1))


def test_merge_bad_options(damaged: tuple[Path, Path]) -> None:
    archive, patch = damaged
    for kwargs in (
        {"priority": [1, 2]},
        {"encoding": "steim3"},
        {"quality": "X"},
        {"split": "noon"},
        {"archive": "sometimes"},
        {"record_length": 1000},
        {"format_version": 4},
    ):
        with pytest.raises(siqaco.InvalidArgumentError):
            siqaco.merge(archive, patch, **kwargs)
    with pytest.raises(FileNotFoundError):
        siqaco.merge(archive, archive / "missing.mseed")


def test_qc_rjob_data_before_metadata_equals_cli(data_dir: Path, tmp_path: Path, siqaco_bin: Path) -> None:
    """BW.RJOB..EHZ data of 2006 (a full SEED volume) against metadata whose epoch starts in
    2007: data outside the epochs, metadata without data, and the control headers reported
    as an unreadable part."""
    archive = tmp_path / "files"
    archive.mkdir()
    shutil.copy(data_dir / "seed" / "obspy-io-mseed__RJOB.BW.EHZ.D.300806.0000.fullseed", archive)
    meta = data_dir / "stationxml" / "obspy-core__BW_RJOB.xml"
    ours = siqaco.qc(archive, meta, layout="files")
    assert ours == _cli_json(
        siqaco_bin, "qc", "--archive", str(archive), "--metadata", str(meta), "--layout", "files", "--format", "json"
    )
    assert ours["worst_severity"] == "error"
    outside = [f for f in ours["findings"] if f["code"] == "data_outside_epochs"]
    assert [(f["nslc"], f["severity"]) for f in outside] == [("BW.RJOB..EHZ", "error")]
    assert "before the first epoch" in outside[0]["message"]
    assert {f["nslc"] for f in ours["findings"] if f["code"] == "metadata_without_data"} == {
        "BW.RJOB..EHE", "BW.RJOB..EHN", "BW.RJOB..EHZ",
    }
    assert len(ours["errors"]) == 1 and ours["errors"][0]["offset"] == 0


def test_qc_sds_small_equals_cli(sds_small: Path, data_dir: Path, siqaco_bin: Path) -> None:
    meta = data_dir / "stationxml"
    ours = siqaco.qc(sds_small, meta)
    assert ours["findings"] and ours == _cli_json(
        siqaco_bin, "qc", "--archive", str(sds_small), "--metadata", str(meta), "--format", "json"
    )
    args = {"select": "BW.FFB?", "start": "2016-03-11", "end": "2016-03-13", "record_length": 4096, "encoding": 10}
    ours = siqaco.qc(sds_small, meta / "obspy-core__ffbx.stationxml", **args)
    cli = _cli_json(
        siqaco_bin, "qc", "--archive", str(sds_small), "--metadata", str(meta / "obspy-core__ffbx.stationxml"),
        "--select", "BW.FFB?", "--start", "2016-03-11", "--end", "2016-03-13", "--record-length", "4096",
        "--encoding", "10", "--format", "json",
    )
    assert ours == cli
    assert {f["code"] for f in ours["findings"]} >= {"record_format"}
    assert [s["nslc"] for s in ours["streams"]] and all(s["nslc"].startswith("BW.FFB") for s in ours["streams"])


def test_qc_errors_and_log(sds_small: Path, data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    meta = data_dir / "stationxml" / "obspy-core__ffbx.stationxml"
    with pytest.raises(FileNotFoundError):
        siqaco.qc(tmp_path / "missing", meta)
    with pytest.raises(FileNotFoundError):
        siqaco.qc(sds_small, tmp_path / "missing.xml")
    bad = tmp_path / "bad.xml"
    bad.write_text('<FDSNStationXML xmlns="http://www.fdsn.org/xml/station/1" schemaVersion="1.1">\n<Network')
    with pytest.raises(siqaco.MetadataError, match="line 2"):
        siqaco.qc(sds_small, bad)
    for kwargs in ({"byte_order": "middle"}, {"rate_tolerance": -1.0}, {"end": "2016-03-12"}, {"start": "2016-03-12", "end": "2016-03-11"}):
        with pytest.raises(siqaco.InvalidArgumentError):
            siqaco.qc(sds_small, meta, **kwargs)
    # A StationXML 2.0 document: the parser's warning reaches logging under "siqaco".
    v20 = data_dir / "stationxml" / "obspy-io-stationxml__version20.xml"
    with caplog.at_level(logging.ERROR, logger="siqaco"):
        siqaco.qc(sds_small, v20, select="XX.*")
    assert not [r for r in caplog.records if r.name.startswith("siqaco")]
    with caplog.at_level(logging.WARNING, logger="siqaco"):
        siqaco.qc(sds_small, v20, select="XX.*")
    warned = [r for r in caplog.records if r.name == "siqaco.stationxml"]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    assert "schemaVersion 2.0" in warned[0].getMessage()


def test_results_are_typed(damaged: tuple[Path, Path], data_dir: Path, sds_small: Path, siqaco_bin: Path) -> None:
    """merge and qc return typed reports: their attributes are the fields of ``to_dict()``,
    which is the CLI's document; ``now`` ends a window given only its start, as the CLI's
    ``--end`` does."""
    archive, patch = damaged
    merged = siqaco.merge(archive, patch, dry_run=True)
    assert isinstance(merged, siqaco.MergeReport)
    doc = merged.to_dict()
    assert doc == _cli_json(siqaco_bin, "merge", "--into", str(archive), "--dry-run", "--json", str(patch))
    assert (merged.files_written, merged.recovered, merged.warnings, merged.days) == (
        doc["files_written"], doc["recovered"], doc["warnings"], doc["days"]
    )
    assert not merged.cancelled and "cancelled" not in doc
    meta = data_dir / "stationxml" / "obspy-core__ffbx.stationxml"
    checked = siqaco.qc(sds_small, meta, select="BW.FFB?", start="2016-03-11", now="2016-03-12")
    assert isinstance(checked, siqaco.QcReport)
    cli = _cli_json(
        siqaco_bin, "qc", "--archive", str(sds_small), "--metadata", str(meta), "--select", "BW.FFB?",
        "--start", "2016-03-11", "--end", "2016-03-12", "--format", "json",
    )
    assert checked.to_dict() == cli
    assert (checked.files, checked.records, checked.worst_severity) == (cli["files"], cli["records"], cli["worst_severity"])
    assert checked.window_ns == (siqaco._siqaco.parse_time("2016-03-11"), siqaco._siqaco.parse_time("2016-03-12"))
    assert checked.findings == cli["findings"] and checked.streams == cli["streams"]
