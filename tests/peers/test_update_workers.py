"""Many `siqaco update` workers on one PostgreSQL catalogue and one archive (issue #19,
item 2; `docs/scale.md`, "Many workers").

A synthetic SDS archive of 20 streams (10 stations x 2 channels, two days at 1 Hz, real
samples tiled by `make-bench-archive`, no gap) is the source; a copy of it with holes cut
out (whole records removed, and two whole day files) is the archive to complete. Two, then
four `siqaco update` processes run at once on one configuration whose catalogue is a
throw-away PostgreSQL server; in some runs processes are killed (SIGKILL) at random moments,
and one more update finishes the job once their leases expired. Afterwards:

* the archive holds exactly the source's samples (ObsPy reads both: the peer as oracle);
* the stack holds one request per hole cut, each succeeded, executed once (its attempt
  counter is 1; without kills each was claimed once and fetched data once, and the
  workers' summaries count each success once);
* no temporary name is left under the archive root (the lock file excepted) and no worker
  is left registered.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, siqaco_bin

obspy = pytest.importorskip("obspy")

TOOL = Path(os.environ.get("SIQACO_BENCH_ARCHIVE_TOOL", ROOT.parent / "shared" / "tools" / "make-bench-archive"))
LEASE_S = 2.0
RECORD = 512  # make-bench-archive's record length (fixed-length miniSEED 2 records)
LOCK_NAME = ".siqaco-update.lock"
# Inside every stream's data (their first samples fall in the first second of the first
# day, their last ones in the last second of the second): only the holes cut are gaps.
WINDOW = ("2024-01-01T00:00:01", "2024-01-02T23:59:58")


def _pg_bin() -> Path | None:
    if os.environ.get("SIQACO_PG_BIN"):
        return Path(os.environ["SIQACO_PG_BIN"])
    found = sorted(
        (int(p.name), p / "bin")
        for p in Path("/usr/lib/postgresql").glob("*")
        if p.name.isdigit() and (p / "bin" / "initdb").is_file()
    )
    return found[-1][1] if found else None


class PgServer:
    """A throw-away PostgreSQL server on 127.0.0.1 (as `siqaco-core/tests/pg_server`: as
    root, initdb and the server run as the `postgres` user)."""

    def __init__(self, bindir: Path, work: Path):
        self.bin, self.dir = bindir, work
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        work.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            subprocess.run(["chown", "-R", "postgres", str(work)], check=True)
        self._run("initdb", "-D", str(work / "data"), "-U", "siqaco", "--auth=trust",
                  "--no-locale", "-E", "UTF8", "--no-sync")
        import socket

        for _ in range(5):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            opts = f"-k {work} -p {self.port} -F -c listen_addresses=127.0.0.1 -c max_connections=200"
            p = self._run("pg_ctl", "-D", str(work / "data"), "-o", opts, "-l", str(work / "log"),
                          "-w", "start", check=False)
            if p.returncode == 0:
                return
        raise RuntimeError("could not start PostgreSQL: " + (work / "log").read_text())

    def _run(self, prog, *args, check=True):
        return subprocess.run([*self.run_as, str(self.bin / prog), *args], cwd=self.dir,
                              capture_output=True, check=check)

    def url(self, db: str) -> str:
        return f"postgresql://siqaco@127.0.0.1:{self.port}/{db}"

    def sql(self, db: str, statement: str) -> str:
        p = subprocess.run([str(self.bin / "psql"), "-At", "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "siqaco", "-d", db, "-c", statement],
                           capture_output=True, text=True, check=True)
        return p.stdout.strip()

    def stop(self):
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop", check=False)


@pytest.fixture(scope="module")
def pg():
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("SIQACO_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL tests required (SIQACO_REQUIRE_POSTGRES=1) but no initdb found")
        pytest.skip("no PostgreSQL binaries (apt-get install postgresql)")
    # Not under pytest's directory: the `postgres` user must be able to reach it.
    work = Path(tempfile.mkdtemp(prefix="siqaco-pg-"))
    server = PgServer(bindir, work)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    """The complete archive (the source): 20 streams, 2024-01-01 and 2024-01-02, 1 Hz."""
    if not TOOL.is_file():
        pytest.skip(f"{TOOL} not found (set SIQACO_BENCH_ARCHIVE_TOOL)")
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


def update(config: Path, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [siqaco_bin(), "update", "--config", str(config), "--start", WINDOW[0], "--end", WINDOW[1],
         "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*") if p.name != LOCK_NAME)


@pytest.mark.parametrize(
    "workers,kills,seed",
    [(2, 0, 1), (2, 1, 2), (4, 0, 3), (4, 2, 4), (4, 4, 5)],
    ids=["2-workers", "2-workers-1-killed", "4-workers", "4-workers-2-killed", "4-workers-all-killed"],
)
def test_workers_split_the_stack_and_survive_kills(pg, full, tmp_path, workers, kills, seed):
    rng = random.Random(seed)
    db = f"w{seed}"
    pg.sql("postgres", f"CREATE DATABASE {db}")
    holes = cut_holes(full, tmp_path / "arch", rng)
    config = write_config(tmp_path, pg.url(db), full)
    # The schema is created once, before the workers start.
    subprocess.run([siqaco_bin(), "stack", "list", "--config", str(config)], check=True, capture_output=True)
    env = dict(os.environ)
    if kills:
        # Slower merges, so that kills land in the middle of them too.
        env["SIQACO_MERGE_STEP_DELAY_MS"] = "40"
    procs = [update(config, env) for _ in range(workers)]
    killed = set(rng.sample(range(workers), kills))
    deadline = {i: time.monotonic() + rng.uniform(0.3, 4.0) for i in killed}
    while any(p.poll() is None for p in procs):
        for i in killed:
            if procs[i].poll() is None and time.monotonic() >= deadline[i]:
                procs[i].send_signal(signal.SIGKILL)
        time.sleep(0.02)
    summaries = []
    for i, p in enumerate(procs):
        out, err = p.communicate()
        if p.returncode == -signal.SIGKILL:
            continue
        # 3: requests left in the window (those another worker held at the end).
        assert p.returncode in (0, 3), (i, p.returncode, err.decode())
        summaries.append(json.loads(out))
    if kills:
        # Once the killed workers' leases expired, one more run finishes.
        time.sleep(LEASE_S + 0.5)
        p = update(config)
        out, err = p.communicate()
        assert p.returncode == 0, err.decode()
        last = json.loads(out)
        assert last["requests_left"] == 0, last
        summaries.append(last)
    stack = json.loads(subprocess.run(
        [siqaco_bin(), "stack", "list", "--config", str(config), "--attempts", "--format", "json"],
        check=True, capture_output=True).stdout)
    # One request per hole, each complete and executed once.
    assert len(stack) == holes, [(r["stream"], r["start"], r["end"]) for r in stack]
    for r in stack:
        assert (r["state"], r["attempts"], r["holder"], r["lease_until_ns"]) == ("succeeded", 1, None, None), r
        # A killed worker's attempt is not recorded: only the counted one is.
        data = [a for a in r["attempt_list"] if a["outcome"] == "data"]
        assert len(data) <= 1 and r["claims"] >= 1, r
        if not kills:
            assert (r["claims"], len(data)) == (1, 1), r
    if not kills:
        assert sum(s["requests_succeeded"] for s in summaries) == holes, summaries
        assert sum(s["requests_created"] for s in summaries) == holes, summaries
    # The archive holds the source's samples exactly.
    got, want = samples(tmp_path / "arch"), samples(full)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == want[k], k
    assert leftovers(tmp_path / "arch") == []
    assert pg.sql(db, "SELECT count(*) FROM siqaco_workers") == "0"
