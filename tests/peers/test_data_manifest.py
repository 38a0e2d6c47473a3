"""The test data in tests/data is what its manifests say: every file listed with its
origin, licence, size and SHA-256 (MANIFEST.json and MANIFEST.tsv agree), no file left out,
and the day files of sds-small are those of sds-small.expected.json, byte for byte."""

import csv
import hashlib
import json

import pytest
from conftest import data_dir

# The licences of the packages the files come from (tests/data/README.md, "Licences").
LICENCES = {"obspy": "LGPL-3.0-only", "libmseed": "Apache-2.0", "pymseed": "Apache-2.0"}
# Written for this project, described in README.md: not in the manifests.
OWN = {"README.md", "MANIFEST.json", "MANIFEST.tsv", "sds-small.expected.json"}


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
    assert row["licence"] == LICENCES[row["source"].split(" ")[0]]


def test_every_file_is_in_the_manifest():
    d = data_dir()
    listed = {r["file"] for r in manifest()}
    present = {f for f in files_below(d) if f.split("/")[0] in ("mseed", "seed", "stationxml")}
    assert present == listed
    # and nothing else beside them but sds-small, the project's own files and the
    # Morumotto fixtures (tests/data/morumotto/README.md)
    top = {p.name for p in d.iterdir()}
    assert top - OWN == {"mseed", "seed", "stationxml", "sds-small", "morumotto"}


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
