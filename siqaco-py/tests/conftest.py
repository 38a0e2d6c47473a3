"""Shared fixtures: the real-data set (tests/data) and the siqaco CLI binary."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    """The real-data set: `tests/data` of the repository, or `$SIQACO_TEST_DATA` when set.
    Raises (the test fails, it is not skipped) when it is missing."""
    d = Path(os.environ.get("SIQACO_TEST_DATA", REPO / "tests" / "data"))
    if not (d / "MANIFEST.json").is_file():
        raise FileNotFoundError(f"test data not found at {d} (tests/data of the repository, or $SIQACO_TEST_DATA)")
    return d


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _data_dir()


@pytest.fixture(scope="session")
def sds_small(data_dir: Path) -> Path:
    return data_dir / "sds-small"


@pytest.fixture(scope="session")
def siqaco_bin() -> Path:
    b = Path(os.environ.get("SIQACO_BIN", REPO / "target" / "debug" / "siqaco"))
    if not b.is_file():
        pytest.skip(f"siqaco binary not found at {b} (cargo build -p siqaco-cli, or set SIQACO_BIN)")
    return b


@pytest.fixture(scope="session")
def fdsnws_bin() -> Path:
    """portable-fdsnws-dataselect from its own environment (it pins pymseed<1): .venv-fdsnws
    (scripts/bootstrap) or $SIQACO_FDSNWS_BIN."""
    b = Path(os.environ.get("SIQACO_FDSNWS_BIN", REPO / ".venv-fdsnws" / "bin" / "portable-fdsnws-dataselect"))
    if not b.is_file():
        pytest.skip(f"SKIPPED: portable-fdsnws-dataselect not found at {b} (scripts/bootstrap, or set SIQACO_FDSNWS_BIN)")
    return b



# --- Dask and PostgreSQL (the siqaco.distributed tests) -----------------------------------
# The update scenario of tests/peers (update_scenario.py: a throw-away PostgreSQL server `pg`,
# the complete archive `full`, holes, configuration and checks) serves these tests too.
sys.path.append(str(REPO / "tests" / "peers"))
try:
    from update_scenario import full, pg  # noqa: E402,F401 (fixtures)
except pytest.skip.Exception:  # no ObsPy: the tests that need them skip on their own import
    pass


@pytest.fixture(scope="module")
def client():
    """A Dask client on a LocalCluster of two worker processes (helpers.dask_client)."""
    from helpers import dask_client

    with dask_client() as c:
        yield c
