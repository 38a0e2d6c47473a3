"""siqaco.distributed.update when a Dask worker dies mid-run (issue #19: "a worker lost
mid-run: its tasks are retried and the result is still exact").

A LocalCluster of two worker processes runs the update of the 20-stream archive with holes
of `tests/peers/update_scenario.py` on a throw-away PostgreSQL catalogue; once one of the
update tasks holds a request (merges are slowed down so that it holds it a while), the
worker process that runs it is killed (SIGKILL of its PID, the `pid` of the request's
holder `host:pid:suffix`). Dask retries the task on a live worker; the killed worker's
request is taken over once its lease expired (by one more distributed update when the tasks
ended before that, as `siqaco update` workers do). Afterwards the archive equals, sample
for sample, the archive a single-machine `siqaco.update` completed from the same holes (and
the source: ObsPy reads them), every request succeeded and was executed once (its attempt
counted once), and nothing of the killed worker is left in the archive or the catalogue.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import pytest

import siqaco

pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed (siqaco[dask])")
import siqaco.distributed as sd  # noqa: E402
from helpers import dask_client  # noqa: E402
from update_scenario import LEASE_S, WINDOW, cut_holes, leftovers, samples, write_config  # noqa: E402 (conftest: pg, full)


@pytest.fixture(scope="module")
def slow_client():
    """Two worker processes whose merges pause 60 ms between journal steps."""
    with dask_client(SIQACO_MERGE_STEP_DELAY_MS="60") as c:
        yield c


def held_by(pg, db: str) -> list[int]:
    """PIDs of the workers holding a request now."""
    rows = pg.sql(db, "SELECT holder FROM siqaco_requests WHERE state='in_progress'").splitlines()
    return [int(h.rsplit(":", 2)[1]) for h in rows if h]


def test_dask_update_survives_a_killed_worker(slow_client, pg, full, tmp_path):
    seed = 21
    window = dict(start=WINDOW[0], end=WINDOW[1])
    # The single machine: the same holes completed by one siqaco.update.
    pg.sql("postgres", "CREATE DATABASE kill_single")
    (tmp_path / "single").mkdir()
    holes = cut_holes(full, tmp_path / "single" / "arch", random.Random(seed))
    single = siqaco.update(write_config(tmp_path / "single", pg.url("kill_single"), full), **window)
    assert (single.requests_succeeded, single.requests_left) == (holes, 0), single

    db = "kill_dask"
    pg.sql("postgres", f"CREATE DATABASE {db}")
    (tmp_path / "dask").mkdir()
    assert cut_holes(full, tmp_path / "dask" / "arch", random.Random(seed)) == holes
    config = write_config(tmp_path / "dask", pg.url(db), full)
    pids = set(slow_client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids, pids

    result: dict = {}

    def run():
        try:
            result["summary"] = sd.update(slow_client, config, **window)
        except BaseException as e:  # noqa: BLE001 (reported by the test thread)
            result["error"] = e

    t = threading.Thread(target=run)
    t.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None:
        assert time.monotonic() < deadline, "no request was ever held"
        assert t.is_alive(), result
        try:
            holders = [p for p in held_by(pg, db) if p in pids]
        except Exception:  # the schema may not exist yet
            holders = []
        if holders:
            victim = holders[0]
        else:
            time.sleep(0.01)
    os.kill(victim, signal.SIGKILL)
    t.join(timeout=600)
    assert not t.is_alive()
    assert "error" not in result, result.get("error")
    assert victim not in set(slow_client.run(os.getpid).values())

    # The killed worker's request is claimable once its lease expired: one more
    # distributed update takes it over (and tidies what the killed worker left).
    time.sleep(LEASE_S + 0.5)
    last = sd.update(slow_client, config, **window)
    assert (last.requests_left, last.requests_failed, last.requests_created) == (0, 0, 0), last
    done = result["summary"].requests_succeeded + last.requests_succeeded
    # A request the victim completed is counted in no summary (its task was retried).
    assert done <= holes

    stack = siqaco.stack_list(config, attempts=True)
    assert len(stack) == holes, [(r.stream, r.start, r.end) for r in stack]
    for r in stack:
        assert (r.state, r.attempts, r.holder, r.lease_until_ns) == ("succeeded", 1, None, None), r
        assert [a["outcome"] for a in r.attempt_list].count("data") <= 1, r
        assert r.claims >= 1, r
    # The killed worker held a request that another claimed again.
    assert any(r.claims >= 2 for r in stack), [(r.id, r.claims) for r in stack]

    got = samples(tmp_path / "dask" / "arch")
    assert got == samples(tmp_path / "single" / "arch")
    assert got == samples(full)
    assert leftovers(tmp_path / "dask" / "arch") == []
    assert pg.sql(db, "SELECT count(*) FROM siqaco_workers") == "0"
