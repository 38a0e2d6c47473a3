"""siqaco.scan, siqaco.read and siqaco.streams of a bucket prefix (s3://) equal the same
calls on the directory, arrays equal; the server is moto's on 127.0.0.1
(tests/peers/s3_server.py; docs/object-storage.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import siqaco

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "peers"))
from s3_server import BUCKET, env_for, s3  # noqa: E402,F401 (s3: fixture)


@pytest.fixture(scope="module")
def bucket(s3, sds_small: Path) -> str:
    moto, proxy = s3
    for p in sorted(sds_small.rglob("*")):
        if p.is_file():
            moto.put(f"py/{p.relative_to(sds_small).as_posix()}", p.read_bytes())
    mp = pytest.MonkeyPatch()
    for k, v in env_for(proxy).items():
        if k.startswith(("AWS_", "SIQACO_S3")):
            mp.setenv(k, v)
    yield f"s3://{BUCKET}/py"
    mp.undo()


def test_read_of_a_bucket_equals_the_directory(bucket: str, sds_small: Path) -> None:
    window = dict(start="2010-02-27T06:00:00", end="2010-02-27T08:00:00")
    ours = siqaco.read(bucket, **window)
    local = siqaco.read(sds_small, **window)
    assert len(ours) == len(local) > 0
    for a, b in zip(ours, local):
        assert (a.network, a.station, a.location, a.channel, a.start_ns, a.sample_rate_hz) == (
            b.network, b.station, b.location, b.channel, b.start_ns, b.sample_rate_hz
        )
        assert np.array_equal(a.data, b.data)


def test_scan_and_streams_of_a_bucket_equal_the_directory(bucket: str, sds_small: Path) -> None:
    assert siqaco.streams(bucket) == siqaco.streams(sds_small)
    ours, local = siqaco.scan(bucket), siqaco.scan(sds_small)
    assert ours.to_dict() == local.to_dict()
