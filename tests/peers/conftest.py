"""Shared fixtures: where the test data and the siqaco binary are."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The real-data set: `tests/data` of the repository, or `$SIQACO_TEST_DATA` when set.
    Raises (a collection error: the test fails, it is not skipped) when it is missing."""
    d = Path(os.environ.get("SIQACO_TEST_DATA", ROOT / "tests" / "data"))
    if not (d / "MANIFEST.json").is_file():
        raise FileNotFoundError(f"test data not found at {d} (tests/data of the repository, or $SIQACO_TEST_DATA)")
    return d


def siqaco_bin() -> str:
    return os.environ.get("SIQACO_BIN", str(ROOT / "target" / "debug" / "siqaco"))


def gate_refused() -> set[str]:
    """Names of the test data files holding a record siqaco's validation gate refuses on
    purpose (``tests/gate-refused.tsv``, the one list, with the reasons): left out of the
    file-by-file comparisons with the peers."""
    lines = (ROOT / "tests" / "gate-refused.tsv").read_text().splitlines()
    return {l.split("\t")[0] for l in lines if l and not l.startswith("#")}


def run_scan(*args: str) -> tuple[int, dict]:
    """Runs `siqaco scan ... --format json` and returns (exit status, document)."""
    p = subprocess.run(
        [siqaco_bin(), "scan", "--format", "json", *args],
        capture_output=True,
        check=False,
    )
    assert p.returncode in (0, 3), p.stderr.decode()
    return p.returncode, json.loads(p.stdout)


@pytest.fixture(scope="session")
def data() -> Path:
    return data_dir()


@pytest.fixture(scope="session")
def sds_small_server(data, tmp_path_factory):
    """`siqaco serve` of sds-small (indexed into a fresh catalogue), with the StationXML
    directory of the test data; yields the `serving.Server` (its `.url`, `.catalogue`)."""
    from serving import Server, index

    work = tmp_path_factory.mktemp("serve")
    catalogue = work / "sds-small.sqlite"
    index(data / "sds-small", catalogue)
    server = Server(
        [
            "--catalogue",
            str(catalogue),
            "--archive",
            str(data / "sds-small"),
            "--stationxml",
            str(data / "stationxml"),
        ],
        work / "serve.log",
    )
    server.catalogue = catalogue
    try:
        yield server
    finally:
        server.stop()
