"""The test data in tests/data is what its manifests say: every file has a row with its
origin, licence, size and SHA-256 (MANIFEST.json and MANIFEST.tsv agree), and every row a
file; the day files of sds-small are those of sds-small.expected.json, byte for byte, and
tools/make-sds-small makes them again from the files of mseed/."""

import csv
import hashlib
import json
import subprocess
import sys

import pytest
from conftest import ROOT, data_dir

# The licences of the packages the files come from (tests/data/README.md, "Licences").
LICENCES = {"obspy": "LGPL-3.0-only", "libmseed": "Apache-2.0", "pymseed": "Apache-2.0"}
# The repository's licence: that of the files written for this project.
OWN_LICENCE = "Apache-2.0"
# The manifests themselves and the READMEs that describe them: the only files without a row.
UNLISTED = {"README.md", "MANIFEST.json", "MANIFEST.tsv", "morumotto/README.md"}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest() -> list[dict]:
    return json.loads((data_dir() / "MANIFEST.json").read_text())


def files_below(d) -> set[str]:
    return {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file()}


@pytest.mark.parametrize("row", manifest(), ids=lambda r: r["file"])
def test_file_has_its_manifest_size_sha256_and_licence(row):
    path = data_dir() / row["file"]
    assert path.stat().st_size == row["size"]
    assert sha256(path) == row["sha256"]
    if row["source"].startswith("written for this project"):
        assert row["licence"] == OWN_LICENCE
    elif row.get("generated_by"):
        # Generated from other files of the manifest: their licence, which they share.
        rows = {r["file"]: r for r in manifest()}
        assert {rows[f]["licence"] for f in row["source_files"]} == {row["licence"]}
        assert row["source"].startswith(row["generated_by"])
    else:
        assert row["licence"] == LICENCES[row["source"].split(" ")[0]]


def test_every_file_has_a_row_and_every_row_a_file():
    listed = [r["file"] for r in manifest()]
    assert len(set(listed)) == len(listed)
    assert files_below(data_dir()) - UNLISTED == set(listed)


def test_sds_small_is_what_make_sds_small_generates(tmp_path):
    tool = ROOT / "tools" / "make-sds-small"
    run = subprocess.run([sys.executable, str(tool), "--check", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert files_below(tmp_path) == files_below(data_dir() / "sds-small")


def test_tsv_manifest_equals_json_manifest():
    with open(data_dir() / "MANIFEST.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert [(r["file"], r["source"], r["licence"], int(r["size_bytes"]), r["sha256"]) for r in rows] == [
        (r["file"], r["source"], r["licence"], r["size"], r["sha256"]) for r in manifest()
    ]


def test_sds_small_day_files_are_those_of_the_expected_document():
    d = data_dir()
    expected = json.loads((d / "sds-small.expected.json").read_text())["files"]
    assert files_below(d / "sds-small") == {f["path"] for f in expected}
    for f in expected:
        path = d / "sds-small" / f["path"]
        assert (path.stat().st_size, sha256(path)) == (f["size"], f["sha256"]), f["path"]
