"""Packaging: warning-free import, stubs checked by stubtest, py.typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import siqaco


def test_import_without_warnings() -> None:
    subprocess.run([sys.executable, "-W", "error", "-c", "import siqaco"], check=True)


def test_py_typed_and_version() -> None:
    assert (Path(siqaco.__file__).parent / "py.typed").is_file()
    assert siqaco.__version__ == siqaco._siqaco.__version__
    assert set(siqaco.__all__) <= set(dir(siqaco))


def test_stubtest() -> None:
    pytest.importorskip("mypy")
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "siqaco._siqaco"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
