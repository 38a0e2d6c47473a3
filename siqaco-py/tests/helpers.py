"""Helpers shared by the tests (imported as ``helpers``: pytest puts this directory on
sys.path)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


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


def gate_refused() -> set[str]:
    """Names of the test data files holding a record siqaco's validation gate refuses on
    purpose (``tests/gate-refused.tsv`` at the repository root, the one list, with the
    reasons)."""
    lines = (Path(__file__).resolve().parents[2] / "tests" / "gate-refused.tsv").read_text().splitlines()
    return {l.split("\t")[0] for l in lines if l and not l.startswith("#")}


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


#: The streams of sds-small that the update sites maintain, and their day file.
UPDATE_STREAMS = ["IU.COLA.00.BH1", "IU.COLA.00.BH2", "IU.COLA.00.BHZ"]
UPDATE_DAY = "2010/IU/COLA/{c}.D/IU.COLA.00.{c}.D.2010.058"


def update_site(sds_small: Path, d: Path, requests: str = "", sources: str = "") -> Path:
    """A site for ``siqaco update`` in ``d``: ``source``, a copy of sds-small; ``archive``, a
    copy with holes (the BHZ day file, BH1 records 100-104 and 300, BH2 record 200);
    ``siqaco.toml`` maintaining UPDATE_STREAMS in ``archive`` (catalogue ``cat.sqlite``,
    one request in flight, plus the ``[requests]`` lines ``requests``) from a local archive
    source ``backup`` (``source``, its files as availability), plus the TOML ``sources``.
    Returns the configuration file."""
    import json

    copy_tree(sds_small, d / "source")
    archive = copy_tree(sds_small, d / "archive")
    (archive / UPDATE_DAY.format(c="BHZ")).unlink()
    for chan, drop in (("BH1", {100, 101, 102, 103, 104, 300}), ("BH2", {200})):
        f = archive / UPDATE_DAY.format(c=chan)
        f.write_bytes(b"".join(r for i, r in enumerate(records_of(f, 512)) if i not in drop))
    config = d / "siqaco.toml"
    config.write_text(
        f"""
[archive]
path = "archive"

[catalogue]
url = "cat.sqlite"

[streams]
select = {json.dumps(UPDATE_STREAMS)}

[requests]
in_flight = 1
{requests}

[[sources]]
name = "backup"
kind = "archive"
path = "source"
availability = "service"
{sources}"""
    )
    return config


@contextmanager
def dask_client(**env: str) -> Iterator[object]:
    """A Dask client on a LocalCluster of two worker processes of one thread each (no
    dashboard); the variables `env` are set while it runs (the workers inherit them, also
    those the nannies start again after a kill). Skips without dask[distributed]."""
    import pytest

    distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed (siqaco[dask])")
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster, distributed.Client(cluster) as c:
            yield c
    finally:
        for k, v in old.items():
            if v is None:
                del os.environ[k]
            else:
                os.environ[k] = v


def query(db: Path, sql: str, params: tuple = ()) -> list:
    """All rows of ``sql`` on the SQLite catalogue ``db``, the connection closed before
    returning: a ``sqlite3`` connection left to the garbage collector could be closed in the
    middle of a later siqaco write, which two SQLite libraries in one process do not
    survive (siqaco's ``_close_unreferenced_sqlite``; docs/python.md)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as con:
        return con.execute(sql, params).fetchall()
