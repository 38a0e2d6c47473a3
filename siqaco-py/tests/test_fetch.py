"""siqaco.fetch from a local archive, from a real portable-fdsnws-dataselect on 127.0.0.1
serving a catalogue made by siqaco.index, and from a port nobody listens on."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

import siqaco
from helpers import free_port, same_segments

DAY = ("2010-02-27", "2010-02-28")


def _records(root: Path, select: str) -> int:
    return sum(s["records"] for s in siqaco.scan(root, select=select).streams)


def test_fetch_from_local_archive(sds_small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    calls: list = []
    r = siqaco.fetch(sds_small, "IU.COLA.00.LH?", *DAY, out, progress=lambda *a: calls.append(a))
    want = _records(sds_small, "IU.COLA.00.LH?")
    assert want > 0
    assert r["records_added"] == want and r["records_duplicate"] == 0
    assert r["files_written"] == 3 and r["errors"] == [] and not r["nothing_available"]
    assert r["bytes"] == sum(f.stat().st_size for f in (sds_small / "2010/IU/COLA").glob("LH?.D/*"))
    for c in ("LHZ", "LH1", "LH2"):
        rel = f"2010/IU/COLA/{c}.D/IU.COLA.00.{c}.D.2010.058"
        assert (out / rel).read_bytes() == (sds_small / rel).read_bytes()
    assert [p.name for p in out.iterdir()] == ["2010"]  # the staging directory is gone
    assert calls and calls[-1][0] == calls[-1][1] == r["chunks"] and calls[-1][2] == 0
    # A typed result: the attributes are the document's values, to_dict() the document
    # (keys in the core's order), the progress callback's last byte count its bytes.
    assert isinstance(r, siqaco.FetchReport)
    d = r.to_dict()
    assert type(d) is dict and list(d) == [
        "bytes", "chunks", "errors", "files_written", "nothing_available",
        "records_added", "records_duplicate", "requests_done", "requests_retried",
    ]
    assert (r.records_added, r.records_duplicate, r.files_written, r.errors, r.nothing_available) == (want, 0, 3, [], False)
    assert r.bytes == calls[-1][3] == d["bytes"] and r.chunks == d["chunks"] == calls[-1][1]
    assert r.requests_done >= r.chunks and r.requests_retried == 0
    assert d == {k: getattr(r, k) for k in d} and r == d
    # Again: every record is already there.
    again = siqaco.fetch(str(sds_small), ["IU.COLA.00.LH?"], *DAY, out)
    assert again["records_added"] == 0 and again["records_duplicate"] == want and again["files_written"] == 0
    # No data is not an error.
    none = siqaco.fetch(sds_small, "XX.NONE..BHZ", *DAY, tmp_path / "none")
    assert none["records_added"] == none["bytes"] == 0 and none["errors"] == []
    # Availability from the archive's files: nothing in the window, nothing asked.
    empty = siqaco.fetch(sds_small, "IU.COLA.00.LH?", "2001-01-01", "2001-01-03", tmp_path / "e", availability="service")
    assert empty["nothing_available"] and empty["chunks"] == 0 and not (tmp_path / "e").exists()


def test_fetch_errors(sds_small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    out = tmp_path / "out"
    with pytest.raises(siqaco.NetworkError) as e:
        siqaco.fetch(f"http://127.0.0.1:{port}", "IU.COLA", *DAY, out, retries=0)
    assert f"http://127.0.0.1:{port}/fdsnws/dataselect/1/query" in str(e.value)
    assert "connection failed" in str(e.value)
    assert e.value.summary["errors"] == [str(e.value)] and e.value.summary["records_added"] == 0
    assert isinstance(e.value.summary, siqaco.FetchReport)
    assert e.value.summary.errors == [str(e.value)] and e.value.summary.files_written == 0
    assert list(out.iterdir()) == []
    with pytest.raises(siqaco.SourceError, match="does not exist"):
        siqaco.fetch(f"program:{tmp_path / 'no-such-program'}", "IU.COLA", *DAY, out)
    with pytest.raises(FileNotFoundError):
        siqaco.fetch(tmp_path / "no-archive", "IU.COLA", *DAY, out)
    for kwargs in ({"timeout": 0}, {"in_flight": 0}, {"password": "x"}, {"user": "u", "token": tmp_path}):
        with pytest.raises(siqaco.InvalidArgumentError):
            siqaco.fetch(sds_small, "IU.COLA", *DAY, out, **kwargs)
    for select in ([], "IU.COLA.00.BHZ.X"):
        with pytest.raises(siqaco.InvalidArgumentError):
            siqaco.fetch(sds_small, select, *DAY, out)
    with pytest.raises(siqaco.InvalidArgumentError):
        siqaco.fetch(sds_small, "IU.COLA", DAY[1], DAY[0], out)
    monkeypatch.delenv("SIQACO_FDSN_PASSWORD", raising=False)
    with pytest.raises(siqaco.InvalidArgumentError, match="SIQACO_FDSN_PASSWORD"):
        siqaco.fetch(sds_small, "IU.COLA", *DAY, out, user="alice")


@pytest.fixture(scope="module")
def fdsnws(fdsnws_bin: Path, sds_small: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """portable-fdsnws-dataselect on a free 127.0.0.1 port serving a siqaco catalogue of
    sds-small; killed by its process id afterwards."""
    d = tmp_path_factory.mktemp("fdsnws")
    db = d / "ts.sqlite"
    siqaco.index(sds_small, db)
    port = free_port()
    ini = d / "server.ini"
    ini.write_text(
        f"[index_db]\npath = {db}\ntable = tsindex\nsummary_table = tsindex_summary\n"
        f"[server]\ninterface = 127.0.0.1\nport = {port}\nrequest_limit = 100000000\nmaxsectiondays = 10\n"
        f"[logging]\npath = {d / 'dataselect.log'}\nlevel = INFO\n"
    )
    subprocess.run([str(fdsnws_bin), "-i", str(ini)], cwd=d, check=True, capture_output=True)
    proc = subprocess.Popen([str(fdsnws_bin), str(ini)], cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import socket

        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "portable-fdsnws-dataselect exited"
                assert time.monotonic() < deadline, f"server did not listen on 127.0.0.1:{port}"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def test_fetch_from_fdsnws_equals_archive(fdsnws: str, sds_small: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "out"
    select = ["IU.COLA.00.BH?", "IU.COLA.00.LH?"]
    caplog.set_level(logging.DEBUG, logger="siqaco")
    r = siqaco.fetch(fdsnws, select, *DAY, out, in_flight=2, timeout=30)
    assert r["errors"] == [] and r["chunks"] == 2 and r["requests_done"] >= 2
    assert r["records_added"] == _records(sds_small, select) and r["files_written"] == 6
    same_segments(siqaco.read(out), siqaco.read(sds_small, select=select))
    # The core's debug events reached Python's logging under "siqaco".
    fdsn = [rec for rec in caplog.records if rec.name == "siqaco.source.fdsn"]
    assert fdsn and all(rec.levelno == logging.DEBUG for rec in fdsn)
    assert any(f"{fdsnws}/fdsnws/dataselect/1/query" in rec.getMessage() for rec in fdsn)
