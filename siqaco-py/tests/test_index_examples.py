"""siqaco.index / siqaco.stats, and the Python examples (notebook-style plot script and the
Django management command), run for real on the test data."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import siqaco
import helpers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def sds(tmp_path, data_dir):
    dst = tmp_path / "sds"
    shutil.copytree(data_dir / "sds-small", dst)
    return dst


def test_index_then_stats_equals_scan(sds, tmp_path):
    db = tmp_path / "cat.sqlite"
    counts = siqaco.index(sds, db)
    assert counts["files_listed"] == counts["files_indexed"] == 37
    again = siqaco.index(sds, db)
    assert again["files_indexed"] == 0 and again["files_unchanged"] == 37
    assert siqaco.stats(db, per_day=True).to_dict() == siqaco.scan(sds, per_day=True).to_dict()
    sel = siqaco.stats(db, select="BW.FFB1", start="2016-03-11").to_dict()
    assert {s["nslc"] for s in sel["streams"]} == {s["nslc"] for s in siqaco.scan(sds, select="BW.FFB1").streams}
    rows = helpers.query(db, "SELECT count(*) FROM tsindex")[0][0]
    assert rows == 37


def test_stats_errors(tmp_path):
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(siqaco.DatabaseError):
        siqaco.stats(bad)
    with pytest.raises(siqaco.InvalidArgumentError):
        siqaco.stats(tmp_path / "x.sqlite", start="nonsense")


def test_scan_and_plot_example(sds, tmp_path):
    out = tmp_path / "availability.png"
    p = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python" / "scan_and_plot.py"), str(sds), str(out)],
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode()
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "35 streams" in p.stdout.decode()


def test_django_management_command(sds, tmp_path):
    pytest.importorskip("django")
    project = ROOT / "examples" / "python" / "django_siqaco"
    env = dict(os.environ, SIQACO_DJANGO_DB=str(tmp_path / "django.sqlite3"))
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "manage.py", *a], cwd=project, env=env, capture_output=True, check=False
    )
    p = run("migrate", "--noinput")
    assert p.returncode == 0, p.stderr.decode()
    for _ in range(2):  # a second run updates, never duplicates
        p = run("siqaco_index", str(sds), "--catalogue", str(tmp_path / "cat.sqlite"))
        assert p.returncode == 0, p.stderr.decode()
    want = {
        (s["nslc"], d["date"]): d for s in siqaco.scan(sds, per_day=True).streams for d in s["days"]
    }
    rows = helpers.query(
        tmp_path / "django.sqlite3",
        "SELECT nslc, date, percent_availability, num_gaps, sum_overlaps FROM archive_stats_daystatistics",
    )
    assert len(rows) == len(want)
    for nslc, date, pct, ngaps, sovl in rows:
        d = want[(nslc, date)]
        assert pct == pytest.approx(d["percent_availability"], abs=1e-9)
        assert ngaps == d["num_gaps"] and sovl == pytest.approx(d["sum_overlaps"])
    p = run("siqaco_index", str(sds / "missing"), "--catalogue", str(tmp_path / "cat.sqlite"))
    assert p.returncode != 0 and "missing" in p.stderr.decode()
