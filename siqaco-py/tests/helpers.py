"""Helpers shared by the tests (imported as ``helpers``: pytest puts this directory on
sys.path)."""

from __future__ import annotations

from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on on 127.0.0.1 right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_tree(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def tree_bytes(root: Path) -> dict:
    """Every file under root (hidden ones too) with its bytes."""
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def records_of(path: Path, length: int) -> list:
    """The fixed-length records of a miniSEED 2 file."""
    buf = path.read_bytes()
    assert len(buf) % length == 0, path
    return [buf[i : i + length] for i in range(0, len(buf), length)]


def same_segments(a: list, b: list) -> None:
    """Two results of siqaco.read are equal sample for sample."""
    import numpy as np

    assert [(s.nslc, s.start_ns, s.sample_rate_hz, len(s.data)) for s in a] == [
        (s.nslc, s.start_ns, s.sample_rate_hz, len(s.data)) for s in b
    ]
    for x, y in zip(a, b):
        assert x.data.dtype == y.data.dtype
        np.testing.assert_array_equal(x.data, y.data)
