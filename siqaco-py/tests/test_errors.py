"""Errors map to one exception class per kind, I/O errors to the built-in classes."""

from __future__ import annotations

from pathlib import Path

import pytest

import siqaco


def test_hierarchy() -> None:
    for cls in (
        siqaco.InvalidDataError,
        siqaco.InvalidArgumentError,
        siqaco.InvalidCodeError,
        siqaco.CodecError,
        siqaco.ConfigError,
        siqaco.NotFoundError,
        siqaco.MetadataError,
        siqaco.DatabaseError,
        siqaco.NetworkError,
        siqaco.SourceError,
    ):
        assert issubclass(cls, siqaco.SiqacoError) and cls is not siqaco.SiqacoError
    assert issubclass(siqaco.SiqacoError, Exception)


def test_missing_paths_raise_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as e:
        siqaco.scan(missing)
    assert e.value.filename == str(missing)
    with pytest.raises(FileNotFoundError):
        siqaco.read(missing)
    with pytest.raises(FileNotFoundError):
        siqaco.read([missing, missing])


def test_permission_error(tmp_path: Path, sds_small: Path) -> None:
    import os
    import shutil

    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions")
    f = tmp_path / "x.mseed"
    shutil.copy(next(p for p in sds_small.rglob("*") if p.is_file()), f)
    f.chmod(0)
    with pytest.raises(PermissionError):
        siqaco.read(f)


def test_not_miniseed_names_file_and_offset(data_dir: Path) -> None:
    path = data_dir / "mseed" / "broken" / "obspy-io-mseed__not.mseed"
    with pytest.raises(siqaco.InvalidDataError) as e:
        siqaco.read(path)
    assert str(path) in str(e.value) and "byte offset" in str(e.value)
    # a scan does not stop: the file is reported
    report = siqaco.scan(path)
    assert report.errors and report.errors[0]["path"] == str(path)
    assert report.errors[0]["offset"] == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": "yesterday-ish"},
        {"start": "2010-02-28", "end": "2010-02-27"},
        {"select": "A.B.C.D.E"},
        {"layout": "no-such-layout"},
        {"tolerance": -1.0},
        {"start": 3.5},
    ],
)
def test_bad_arguments(sds_small: Path, kwargs: dict) -> None:
    with pytest.raises(siqaco.InvalidArgumentError):
        siqaco.scan(sds_small, **kwargs)


def test_network_and_source_errors(tmp_path: Path) -> None:
    """ErrorKind::Network and ::Source have their own classes (not the SiqacoError fallback)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(siqaco.NetworkError) as e:
        siqaco.fetch(f"http://127.0.0.1:{port}", "IU.COLA", "2010-02-27", "2010-02-28", tmp_path, retries=0)
    assert type(e.value) is siqaco.NetworkError and f"127.0.0.1:{port}" in str(e.value)
    with pytest.raises(siqaco.SourceError) as e2:
        siqaco.fetch("program:/nonexistent/fetcher", "IU.COLA", "2010-02-27", "2010-02-28", tmp_path)
    assert type(e2.value) is siqaco.SourceError and "/nonexistent/fetcher" in str(e2.value)
