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


def test_merge_into_a_bucket_equals_the_merge_into_the_directory(
    s3, bucket: str, sds_small: Path, tmp_path: Path
) -> None:
    """siqaco.merge(into="s3://...", catalogue=...) of a day file missing from the bucket:
    the object written is byte for byte the file the same merge writes into the directory,
    the reports are equal but for the paths; without a catalogue the merge is refused
    naming the field."""
    import shutil

    moto, _ = s3
    rel = "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"
    for p in sorted(sds_small.rglob("*")):
        if p.is_file() and p.relative_to(sds_small).as_posix() != rel:
            moto.put(f"pym/{p.relative_to(sds_small).as_posix()}", p.read_bytes())
    local = tmp_path / "local"
    shutil.copytree(sds_small, local)
    (local / rel).unlink()
    patch = sds_small / rel
    into = f"s3://{BUCKET}/pym"
    with pytest.raises(siqaco.InvalidArgumentError, match="catalogue"):
        siqaco.merge(into, patch)
    ours = siqaco.merge(into, patch, catalogue=tmp_path / "merge.sqlite").to_dict()
    want = siqaco.merge(local, patch).to_dict()
    for report, root in ((ours, into), (want, str(local))):
        for d in report["days"]:
            d["path"] = d["path"][len(root) + 1 :]
    assert ours == want and ours["files_written"] == 1
    assert moto.request("GET", f"/{BUCKET}/pym/{rel}") == 200
    assert moto.last == (local / rel).read_bytes() == patch.read_bytes()
