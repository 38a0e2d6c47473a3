"""`siqaco watch` as a real process following a day file that another process writes
(issue #21, item 2; docs/watch.md).

The oracle is a fresh `siqaco index` of a copy of the same files (itself checked against
mseedindex row for row in test_index_vs_peers.py): the watcher's catalogue must end with the
same tsindex rows (`updated` and `scanned`, times of writing, aside). Records come from a
real day file of the test data (IU.COLA.00.BHZ, 386 records of 512 bytes, in time order;
record boundaries and start times read by ObsPy). No time is asserted: how long the
catalogue took to become equal after the last append is printed (the issue's target is
2 s); the bytes the watcher read are asserted within 2x of the bytes appended (a count).
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import siqaco_bin

DAY = Path("2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058")
# the tsindex columns compared: all but `updated` and `scanned`
COLUMNS = (
    "network,station,location,channel,quality,version,starttime,endtime,samplerate,"
    "filename,byteoffset,bytes,hash,timeindex,timespans,timerates,format,filemodtime"
)


def records(path: Path) -> list[bytes]:
    """The records of `path` in time order (ObsPy reads each record's length and start)."""
    from obspy.io.mseed.util import get_record_information

    data = path.read_bytes()
    out, off = [], 0
    while off < len(data):
        info = get_record_information(str(path), off)
        n = info["record_length"]
        out.append((info["starttime"], off, data[off : off + n]))
        off += n
    out.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in out]


def tsindex(db: Path) -> list[tuple]:
    """The compared tsindex rows of a catalogue (read-only; empty when not yet there)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return sorted(con.execute(f"SELECT {COLUMNS} FROM tsindex").fetchall())
        finally:
            con.close()
    except sqlite3.Error:
        return []


def fresh_index(root: Path, work: Path) -> list[tuple]:
    """`siqaco index` of a copy of `root` (file times kept), its compared rows."""
    copy = work / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, copy_function=shutil.copy2)
    db = work / "fresh.sqlite"
    db.unlink(missing_ok=True)
    subprocess.run(
        [siqaco_bin(), "index", str(copy), "--db", str(db), "--relative-paths"],
        check=True,
        capture_output=True,
    )
    return tsindex(db)


def start_watch(root: Path, db: Path, *extra: str) -> subprocess.Popen:
    p = subprocess.Popen(
        [siqaco_bin(), "watch", str(root), "--db", str(db), "--relative-paths",
         "--format", "json", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # the first rescan has written the catalogue's schema
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and p.poll() is None:
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            if con.execute("SELECT count(*) FROM siqaco_schema").fetchone()[0]:
                con.close()
                break
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    assert p.poll() is None, p.communicate()
    return p


def stop_watch(p: subprocess.Popen) -> dict:
    """SIGTERM; the watcher must exit 0 and print its counts."""
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=15)
    assert p.returncode == 0, err
    return json.loads(out)


def wait_equal(db: Path, expected: list[tuple], what: str, since: float | None = None) -> float:
    """Polls the watcher's catalogue until its rows are `expected` (at most 15 s, so the
    test cannot hang); returns the seconds it took from `since` (a `time.monotonic()` of
    the last write; default now)."""
    t0 = time.monotonic() if since is None else since
    start = time.monotonic()
    while True:
        got = tsindex(db)
        if got == expected:
            took = time.monotonic() - t0
            print(f"{what}: catalogue equal to a fresh index {took:.2f} s after the last write")
            return took
        if time.monotonic() - start > 15:
            assert got == expected, f"{what}: not equal to a fresh index after 15 s"
        time.sleep(0.05)


def check_consistent(db: Path) -> None:
    p = subprocess.run(
        [siqaco_bin(), "db", "check", "--db", str(db)], capture_output=True, text=True
    )
    assert p.returncode == 0 and " 0 problem(s)" in p.stdout, p.stdout + p.stderr


def test_watch_follows_a_day_file_appended_every_100ms(data: Path, tmp_path: Path) -> None:
    recs = records(data / "sds-small" / DAY)[:300]
    root = tmp_path / "archive"
    day = root / DAY
    day.parent.mkdir(parents=True)
    db = tmp_path / "watch.sqlite"
    # events only after the first rescan: no periodic rescan may do the work
    watch = start_watch(root, db, "--rescan", "0")
    appended = 0
    try:
        t_next = time.monotonic()
        for r in recs:  # 300 records, one every 100 ms: 30 s
            with open(day, "ab") as f:
                f.write(r)
            appended += len(r)
            t_last = time.monotonic()
            t_next += 0.1
            time.sleep(max(0.0, t_next - time.monotonic()))
        expected = fresh_index(root, tmp_path)
        assert len(expected) == 1 and expected[0][11] == appended  # one section, all bytes
        wait_equal(db, expected, "append every 100 ms", since=t_last)
    finally:
        if watch.poll() is None:
            counts = stop_watch(watch)
    print(f"bytes appended {appended}, read by the watcher {counts['bytes_read']}: {counts}")
    assert appended <= counts["bytes_read"] <= 2 * appended
    assert counts["files_extended"] > 0
    assert counts["rescans"] == 1
    # stopped by SIGTERM: a consistent catalogue, equal to a fresh index
    check_consistent(db)
    assert tsindex(db) == expected


def test_file_replaced_by_a_shorter_one_is_indexed_whole(data: Path, tmp_path: Path) -> None:
    bhz = records(data / "sds-small" / DAY)
    root = tmp_path / "archive"
    day = root / DAY
    day.parent.mkdir(parents=True)
    day.write_bytes(b"".join(bhz[:200]))
    db = tmp_path / "watch.sqlite"
    watch = start_watch(root, db, "--rescan", "0", "--debounce", "0.2")
    try:
        wait_equal(db, fresh_index(root, tmp_path), "first 200 records")
        # replaced by a rename with fewer, other records (the tail of the day)
        tmp = day.parent / ".new"
        tmp.write_bytes(b"".join(bhz[300:380]))
        os.replace(tmp, day)
        t = time.monotonic()
        wait_equal(db, fresh_index(root, tmp_path), "replaced by 80 other records", t)
        # rewritten in place, shorter (the same inode)
        with open(day, "r+b") as f:
            f.truncate(0)
            f.write(b"".join(bhz[10:50]))
        t = time.monotonic()
        wait_equal(db, fresh_index(root, tmp_path), "truncated and rewritten in place", t)
        # removed
        day.unlink()
        wait_equal(db, [], "removed", time.monotonic())
    finally:
        counts = stop_watch(watch)
    # the first file at the start, then twice read whole again, never extended
    assert counts["files_indexed_whole"] == 3, counts
    assert counts["files_extended"] == 0, counts
    assert counts["files_removed"] == 1, counts
    check_consistent(db)


def test_files_of_a_new_directory_are_indexed(data: Path, tmp_path: Path) -> None:
    """A writer starting a new stream makes its directory and writes at once (before the
    watch of the new directory is set up): the rescan the new directory causes finds them."""
    root = tmp_path / "archive"
    (root / "2010").mkdir(parents=True)
    db = tmp_path / "watch.sqlite"
    watch = start_watch(root, db, "--rescan", "0")
    try:
        for chan in ("BH1", "BH2", "BHZ"):
            rel = Path(f"2010/IU/COLA/{chan}.D/IU.COLA.00.{chan}.D.2010.058")
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data / "sds-small" / rel, root / rel)
        t = time.monotonic()
        expected = fresh_index(root, tmp_path)
        assert len(expected) == 3
        wait_equal(db, expected, "three files in new directories", t)
    finally:
        counts = stop_watch(watch)
    assert counts["rescans"] >= 2, counts  # the first one, and for the new directories
    check_consistent(db)


def test_once_catches_up_and_exits(data: Path, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    shutil.copytree(data / "sds-small", root)
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    db = tmp_path / "watch.sqlite"

    def once() -> dict:
        p = subprocess.run(
            [siqaco_bin(), "watch", str(root), "--db", str(db), "--relative-paths",
             "--once", "--format", "json"],
            capture_output=True, text=True, timeout=60,
        )
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    first = once()
    assert (first["files_indexed_whole"], first["rescans"], first["passes"]) == (37, 1, 0)
    assert tsindex(db) == fresh_index(root, tmp_path)
    # a day file grows by 50 records (cut from its own day, in time order)
    day = root / DAY
    size = day.stat().st_size
    more = records(data / "sds-small" / DAY)[100:150]
    with open(day, "ab") as f:
        f.write(b"".join(more))
    second = once()
    assert (second["files_extended"], second["files_indexed_whole"]) == (1, 0), second
    assert second["files_unchanged"] == 36
    added = sum(len(r) for r in more)
    assert added <= second["bytes_read"] <= 2 * added, (added, second)
    assert day.stat().st_size == size + added
    assert tsindex(db) == fresh_index(root, tmp_path)
    check_consistent(db)
