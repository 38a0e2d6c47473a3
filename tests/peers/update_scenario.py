"""The scenario of the tests of many update workers on one PostgreSQL catalogue (issue #19;
`test_update_workers.py` runs `siqaco update` processes on it, `siqaco-py/tests/
test_distributed_update.py` Dask tasks): a throw-away PostgreSQL server (fixture `pg`,
bench/_bench.py's `PgServer`), the
complete 20-stream source archive made by make-bench-archive (fixture `full`), the copy with
holes cut out (`cut_holes`), the configuration (`write_config`), and the checks (`samples`
through ObsPy, `leftovers`). Imports nothing of siqaco, so both test directories can use it."""

import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

obspy = pytest.importorskip("obspy")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import _bench  # noqa: E402 (PgServer, shared with bench/run-all's --pg auto)
TOOL = Path(os.environ.get("SIQACO_BENCH_ARCHIVE_TOOL", ROOT / "tools" / "make-bench-archive"))
LEASE_S = 2.0
RECORD = 512  # make-bench-archive's record length (fixed-length miniSEED 2 records)
LOCK_NAME = ".siqaco-update.lock"
# Inside every stream's data (their first samples fall in the first second of the first
# day, their last ones in the last second of the second): only the holes cut are gaps.
WINDOW = ("2024-01-01T00:00:01", "2024-01-02T23:59:58")


@pytest.fixture(scope="module")
def pg():
    if _bench.pg_bin() is None:
        if os.environ.get("SIQACO_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL tests required (SIQACO_REQUIRE_POSTGRES=1) but no initdb found")
        pytest.skip("no PostgreSQL binaries (apt-get install postgresql)")
    # Not under pytest's directory: the `postgres` user must be able to reach it.
    work = Path(tempfile.mkdtemp(prefix="siqaco-pg-"))
    server = _bench.PgServer(work)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    """The complete archive (the source): 20 streams, 2024-01-01 and 2024-01-02, 1 Hz."""
    out = tmp_path_factory.mktemp("src") / "full"
    subprocess.run(
        [sys.executable, str(TOOL),
         str(out), "-n", "10", "--components", "ZN", "-d", "2", "-r", "1", "--start", "2024-01-01",
         "--gap-rate", "0", "--overlap-rate", "0", "--duplicate-rate", "0", "--no-straddle",
         "--seed", "3", "-q"],
        check=True,
    )
    return out


def day_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def cut_holes(full: Path, target: Path, rng: random.Random) -> int:
    """Copies `full` to `target` without some records: per stream one or two runs of 1-4
    records inside a day file (never its first or last records, so holes never touch
    each other across midnight), and the second day file of two streams. Returns the
    number of holes (separate gaps) cut."""
    shutil.copytree(full, target)
    by_stream: dict[str, list[Path]] = {}
    for f in day_files(target):
        by_stream.setdefault(f.name.rsplit(".", 3)[0], []).append(f)
    assert len(by_stream) == 20, sorted(by_stream)
    holes = 0
    for k, (_, files) in enumerate(sorted(by_stream.items())):
        if k in (3, 11):
            files[1].unlink()
            holes += 1
            continue
        f = files[rng.randrange(2)]
        data = f.read_bytes()
        n = len(data) // RECORD
        assert n * RECORD == len(data) and n > 40
        runs = rng.choice([1, 2])
        # Two runs in separate halves, each at least two records from the ends.
        halves = [(3, n // 2 - 6), (n // 2 + 3, n - 8)]
        drop: set[int] = set()
        for lo, hi in halves[:runs] if runs == 2 else [halves[rng.randrange(2)]]:
            start = rng.randint(lo, hi)
            drop.update(range(start, start + rng.randint(1, 4)))
        holes += runs
        f.write_bytes(b"".join(data[i * RECORD:(i + 1) * RECORD] for i in range(n) if i not in drop))
    return holes


def samples(root: Path) -> dict[str, list[tuple[int, int, list[int]]]]:
    """Per stream, the merged traces as (start ns, sample count, samples) (ObsPy)."""
    st = obspy.Stream()
    for f in day_files(root):
        st += obspy.read(str(f))
    st.merge(method=0)
    out: dict[str, list] = {}
    for tr in sorted(st, key=lambda t: (t.id, t.stats.starttime)):
        assert not hasattr(tr.data, "mask"), f"{tr.id} has gaps"
        out.setdefault(tr.id, []).append((tr.stats.starttime.ns, tr.stats.npts, tr.data.tolist()))
    return out


def write_config(d: Path, url: str, source: Path) -> Path:
    config = d / "siqaco.toml"
    config.write_text(f"""
[archive]
path = "arch"
layout = "sds"

[catalogue]
url = "{url}"

[streams]
select = ["*.*.*.LH?"]

[requests]
retry = {{ count = 3 }}
in_flight = 2
lease_s = {LEASE_S}

[[sources]]
name = "full"
kind = "archive"
path = "{source}"
layout = "sds"
""")
    return config


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*") if p.name != LOCK_NAME)


def assert_workers_finished(root: Path, full: Path, pg, db: str) -> None:
    """After an update by workers on one PostgreSQL catalogue: the archive `root` holds the
    source's (`full`) samples exactly, stream by stream, no temporary file is left, and no
    worker is still registered."""
    got, want = samples(root), samples(full)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == want[k], k
    assert leftovers(root) == []
    assert pg.sql(db, "SELECT count(*) FROM siqaco_workers") == "0"
