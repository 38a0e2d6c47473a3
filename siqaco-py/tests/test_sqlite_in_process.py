"""siqaco embeds its own SQLite; Python's ``sqlite3`` module is another SQLite library in the
same process. Closing a connection of one releases the POSIX locks the other holds on the
file and may remove its write-ahead log (https://sqlite.org/howtocorrupt.html, 2.2.1 and
2.2.2), and CPython closes an unreferenced ``sqlite3`` connection only when the cyclic
garbage collector runs. The calls that write a catalogue therefore collect first, so such a
connection is never closed during their writes."""

from __future__ import annotations

import gc
import os
import sqlite3
from pathlib import Path

import siqaco


def _open_descriptors(path: Path) -> int:
    """How many file descriptors of this process are open on ``path`` itself."""
    target = os.path.realpath(path)
    fds = Path("/proc/self/fd")
    n = 0
    for fd in fds.iterdir():
        try:
            if os.path.realpath(fd) == target:
                n += 1
        except OSError:
            pass
    return n


def test_an_unreferenced_sqlite3_connection_is_closed_before_an_index_writes(sds_small: Path, tmp_path: Path) -> None:
    db = tmp_path / "cat.sqlite"
    first = siqaco.index(sds_small, db)
    assert _open_descriptors(db) == 0
    gc.disable()  # only the call under test may collect
    try:
        con = sqlite3.connect(db)
        rows = con.execute("SELECT count(*) FROM tsindex").fetchall()[0][0]
        del con  # unreferenced, but still open: CPython's sqlite3 connection is in a cycle
        assert rows > 0
        assert _open_descriptors(db) == 1
        again = siqaco.index(sds_small, db)
        assert _open_descriptors(db) == 0
    finally:
        gc.enable()
    assert again.files_unchanged == first.files_indexed > 0


def test_the_catalogue_written_after_a_sqlite3_read_equals_a_fresh_one(sds_small: Path, tmp_path: Path) -> None:
    """A read through ``sqlite3`` (closed by the collector during the next call) between
    two indexes leaves the catalogue exactly as one index writes it."""
    import helpers

    db, fresh = tmp_path / "cat.sqlite", tmp_path / "fresh.sqlite"
    copy = helpers.copy_tree(sds_small, tmp_path / "sds")
    siqaco.index(copy, db)
    files = sorted(p for p in copy.rglob("*") if p.is_file())
    files[0].unlink()
    gc.disable()
    try:
        con = sqlite3.connect(db)
        con.execute("SELECT * FROM tsindex").fetchall()
        del con
        siqaco.index(copy, db)
    finally:
        gc.enable()
    siqaco.index(copy, fresh)
    q = "SELECT network,station,location,channel,starttime,endtime,filename,byteoffset,bytes FROM tsindex ORDER BY 7,8"
    assert helpers.query(db, q) == helpers.query(fresh, q)
    assert siqaco.db_check(db).problems == []


def test_an_unreferenced_connection_on_a_new_empty_file_is_closed_before_an_index_creates_the_catalogue(
    sds_small: Path, tmp_path: Path
) -> None:
    """``sqlite3.connect`` of a new path creates an empty file; siqaco may then make it a
    catalogue, and the connection must be closed before that write."""
    db = tmp_path / "new.sqlite"
    gc.disable()
    try:
        con = sqlite3.connect(db)
        del con
        assert db.stat().st_size == 0 and _open_descriptors(db) == 1
        report = siqaco.index(sds_small, db)
        assert _open_descriptors(db) == 0
    finally:
        gc.enable()
    assert report.files_indexed > 0
    assert siqaco.db_check(db).problems == []


def test_the_collection_runs_only_when_a_sqlite_file_is_open(
    sds_small: Path, tmp_path: Path, monkeypatch
) -> None:
    """A full collection costs tens of milliseconds in a large process (a Dask client):
    it runs only when a descriptor of the process is open on an SQLite database file."""
    gc.collect()
    assert not siqaco._holds_sqlite_file(), "an earlier test left a sqlite3 connection open"
    calls = []
    monkeypatch.setattr(siqaco._gc, "collect", lambda *a: calls.append(a) or 0)
    db = tmp_path / "cat.sqlite"
    day_file = next(p for p in sorted(sds_small.rglob("*")) if p.is_file())
    with open(day_file, "rb"), open(tmp_path / "log.txt", "w"):  # open, not SQLite
        siqaco.index(sds_small, db)
    assert calls == []
    con = sqlite3.connect(db)
    try:
        assert siqaco._holds_sqlite_file()
        siqaco.index(sds_small, db)
        assert len(calls) == 1
    finally:
        con.close()
    assert not siqaco._holds_sqlite_file()
