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
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import siqaco_bin
from update_scenario import (  # noqa: F401 (pg, full: fixtures)
    LEASE_S,
    WINDOW,
    assert_workers_finished,
    cut_holes,
    full,
    pg,
    write_config,
)


def update(config: Path, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [siqaco_bin(), "update", "--config", str(config), "--start", WINDOW[0], "--end", WINDOW[1],
         "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


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
    assert_workers_finished(tmp_path / "arch", full, pg, db)


def test_a_planner_killed_while_it_holds_a_group_is_taken_over(pg, full, tmp_path):
    """The planning is divided between the workers by groups of streams (`docs/scale.md`):
    a worker killed (SIGKILL) while it holds a group, after analysing its gaps and before
    creating its requests, has the group taken over by the workers still running once its
    lease expired; the requests are created once, each executed once, and the archive is
    exact. Each run's planning counts are those of the whole window (a dry run's)."""
    db = "plan_kill"
    pg.sql("postgres", f"CREATE DATABASE {db}")
    holes = cut_holes(full, tmp_path / "arch", random.Random(7))
    config = write_config(tmp_path, pg.url(db), full)
    # The single-machine dry run (before the schema exists: the archive is scanned) is the
    # oracle of the planning counts.
    dry = subprocess.run(
        [siqaco_bin(), "update", "--config", str(config), "--start", WINDOW[0], "--end", WINDOW[1],
         "--dry-run", "--format", "json"], check=True, capture_output=True)
    dry = json.loads(dry.stdout)
    assert dry["gaps_found"] == holes, dry
    subprocess.run([siqaco_bin(), "stack", "list", "--config", str(config)], check=True, capture_output=True)

    env = dict(os.environ)
    env["SIQACO_PLAN_GROUP_DELAY_MS"] = "5000"
    victim = update(config, env)
    deadline = time.monotonic() + 120
    while True:
        assert victim.poll() is None and time.monotonic() < deadline, victim.communicate()
        try:
            held = pg.sql(db, "SELECT holder FROM siqaco_plan_groups WHERE state='in_progress'")
        except subprocess.CalledProcessError:  # the table is made by the first worker
            held = ""
        if f":{victim.pid}:" in held:
            break
        time.sleep(0.02)
    others = [update(config) for _ in range(2)]
    victim.send_signal(signal.SIGKILL)
    victim.communicate()
    summaries = []
    for p in others:
        out, err = p.communicate()
        assert p.returncode in (0, 3), (p.returncode, err.decode())
        summaries.append(json.loads(out))

    groups = [tuple(r.split("|")) for r in pg.sql(
        db, "SELECT claims, state, planned, gaps FROM siqaco_plan_groups ORDER BY grp").splitlines()]
    # 20 streams in groups of 8 keys; the killed worker's group claimed twice, planned once.
    assert sorted(int(c) for c, *_ in groups) == [1, 1, 2], groups
    assert {s for _, s, *_ in groups} == {"done"}
    assert sum(int(p) for *_, p, _ in groups) == dry["streams_checked"] == 20
    assert sum(int(g) for *_, g in groups) == holes
    for s in summaries:
        assert (s["streams_checked"], s["gaps_found"]) == (dry["streams_checked"], holes), s
    assert sum(s["requests_created"] for s in summaries) == holes, summaries
    stack = json.loads(subprocess.run(
        [siqaco_bin(), "stack", "list", "--config", str(config), "--attempts", "--format", "json"],
        check=True, capture_output=True).stdout)
    assert len(stack) == holes
    for r in stack:
        assert (r["state"], r["attempts"], r["claims"], r["holder"]) == ("succeeded", 1, 1, None), r
    assert sum(s["requests_succeeded"] for s in summaries) == holes, summaries
    assert_workers_finished(tmp_path / "arch", full, pg, db)
