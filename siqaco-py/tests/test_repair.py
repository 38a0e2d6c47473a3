"""siqaco.repair against the CLI's JSON on a damaged copy of sds-small."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

import siqaco
from helpers import copy_tree, records_of, tree_bytes

BH1 = "2010/IU/COLA/BH1.D/IU.COLA.00.BH1.D.2010.058"


@pytest.fixture()
def damaged(sds_small: Path, tmp_path: Path) -> Path:
    """A copy of sds-small whose IU.COLA.00.BH1 day file holds records 50-59 twice, the
    copies at its end."""
    archive = copy_tree(sds_small, tmp_path / "archive")
    recs = records_of(archive / BH1, 512)
    (archive / BH1).write_bytes(b"".join(recs + recs[50:60]))
    return archive


def test_repair_returns_the_cli_document(
    damaged: Path, sds_small: Path, siqaco_bin: Path, tmp_path: Path
) -> None:
    twin = copy_tree(damaged, tmp_path / "twin")
    before = tree_bytes(damaged)
    plan = siqaco.repair(damaged, select="IU.COLA.00.BH1", dry_run=True)
    assert tree_bytes(damaged) == before
    assert plan["dry_run"] is True and plan["files_written"] == 0
    obspy = pytest.importorskip("obspy")
    copies = records_of(damaged / BH1, 512)[-10:]
    samples = sum(len(obspy.read(io.BytesIO(r))[0].data) for r in copies)
    # the copies at the end were also out of time order
    assert sorted(a["action"] for a in plan["actions"]) == ["duplicate_records", "reorder"]
    [dup] = [a for a in plan["actions"] if a["action"] == "duplicate_records"]
    assert (dup["action"], dup["file"], dup["records"], dup["samples"]) == (
        "duplicate_records", BH1, 10, samples)
    report = siqaco.repair(damaged, select=["IU.COLA.00.BH1"])
    out = subprocess.run(
        [str(siqaco_bin), "repair", str(twin), "--select", "IU.COLA.00.BH1", "--format", "json"],
        capture_output=True, text=True, check=True,
    )
    cli = json.loads(out.stdout)
    for doc in (report, cli):
        doc.pop("quarantine")
    assert report == cli
    assert report["actions"] == plan["actions"]
    # sds-small's day file was clean: the repair gives it back byte for byte
    assert (damaged / BH1).read_bytes() == (sds_small / BH1).read_bytes()
    assert siqaco.repair(damaged, select="IU.COLA.00.BH1")["actions"] == []


def test_repair_refuses_a_quarantine_inside_the_archive(damaged: Path) -> None:
    with pytest.raises(siqaco.InvalidArgumentError) as e:
        siqaco.repair(damaged, quarantine=damaged / "q")
    assert "quarantine" in str(e.value)
