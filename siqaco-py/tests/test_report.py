"""siqaco.report_data against the data embedded in ``siqaco report``'s page and ``siqaco stats``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import siqaco


def test_report_data_equals_cli(sds_small: Path, siqaco_bin: Path, tmp_path: Path) -> None:
    db = tmp_path / "cat.sqlite"
    subprocess.run([str(siqaco_bin), "index", str(sds_small), "--db", str(db)], check=True)
    data = siqaco.report_data(db, now="2026-01-01")
    stats = json.loads(
        subprocess.run(
            [str(siqaco_bin), "stats", "--db", str(db), "--format", "json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert [s["nslc"] for s in data["streams"]] == [s["nslc"] for s in stats["streams"]]
    for fig, st in zip(data["streams"], stats["streams"]):
        assert fig["num_gaps"] == len(st["gaps"])
        assert fig["num_overlaps"] == len(st["overlaps"])
        for d in st["days"]:
            i = data["days"].index(d["date"])
            assert fig["day_availability"][i] == d["percent_availability"]
        assert len(fig["segments"]) == len(st["segments"])
    one = siqaco.report_data(db, select="IU.COLA.00.BHZ", start="2010-02-27", end="2010-02-28")
    assert [s["nslc"] for s in one["streams"]] == ["IU.COLA.00.BHZ"]
    assert one["days"] == ["2010-02-27"] and one["window"]["given"] is True
