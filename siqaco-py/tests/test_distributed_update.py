"""siqaco.distributed.update on a Dask LocalCluster of two worker processes: two update tasks
share a throw-away PostgreSQL catalogue and complete the 20-stream archive with holes of
`tests/peers/test_update_workers.py` (its scenario, `tests/peers/update_scenario.py`) from a
complete local archive. The archive then equals the source sample for sample (ObsPy as the
oracle), each request succeeded and was executed once, and the combined summary says what
the stack says (requests done, samples added) and what a single run's planning finds (the
single-machine dry run). A SQLite catalogue is refused, naming it."""

from __future__ import annotations

import json
import pickle
import random

import pytest

import siqaco

pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed (siqaco[dask])")
import siqaco.distributed as sd  # noqa: E402
from update_scenario import WINDOW, assert_workers_finished, cut_holes, write_config  # noqa: E402 (conftest: client, pg, full)


def test_dask_update_completes_the_archive_once(client, pg, full, tmp_path):
    db = "dask_update"
    pg.sql("postgres", f"CREATE DATABASE {db}")
    holes = cut_holes(full, tmp_path / "arch", random.Random(11))
    config = write_config(tmp_path, pg.url(db), full)
    window = dict(start=WINDOW[0], end=WINDOW[1])

    # The single-machine dry run (the catalogue created, nothing else changed) is the
    # oracle of the planning counts; the distributed dry run is one task giving the same.
    single_dry = siqaco.update(config, dry_run=True, **window)
    assert single_dry.gaps_found == holes, single_dry
    assert sd.update(client, config, dry_run=True, **window).to_dict() == single_dry.to_dict()
    assert siqaco.stack_list(config) == []

    summary = sd.update(client, config, **window)

    # Both Dask workers ran an update, one after the other planned.
    runs = [json.loads(r) for r in pg.sql(db, "SELECT summary FROM siqaco_runs ORDER BY id").splitlines()]
    assert len(runs) == 2, runs
    stack = siqaco.stack_list(config, attempts=True)
    assert len(stack) == holes
    for r in stack:
        assert (r.state, r.attempts, r.claims, r.holder) == ("succeeded", 1, 1, None), r
        assert [a["outcome"] for a in r.attempt_list].count("data") == 1, r
    assert (summary.window_start_ns, summary.window_end_ns) == (
        single_dry.window_start_ns, single_dry.window_end_ns)
    assert (summary.streams_checked, summary.gaps_found) == (
        single_dry.streams_checked, single_dry.gaps_found) == (runs[0]["streams_checked"], holes)
    assert summary.requests_created == sum(r["requests_created"] for r in runs) == holes
    assert summary.requests_sent == summary.requests_succeeded == holes
    assert (summary.requests_failed, summary.requests_left, summary.warnings) == (0, 0, [])
    assert summary.samples_added == sum(r.samples_added for r in stack) > 0
    assert summary.samples_added == sum(r["samples_added"] for r in runs)

    assert_workers_finished(tmp_path / "arch", full, pg, db)
    # The PostgreSQL catalogue the workers left, read from Python, states what a SQLite
    # catalogue of the completed archive states, and so what the source's scan states.
    sqlite_db = tmp_path / "check.sqlite"
    siqaco.index(tmp_path / "arch", sqlite_db)
    pg_stats = siqaco.stats(pg.url(db)).to_dict()
    assert pg_stats == siqaco.stats(sqlite_db).to_dict()
    assert pg_stats["streams"] == siqaco.scan(full).to_dict()["streams"]

    # A summary pickles (as the workers' do) to an equal one.
    again = pickle.loads(pickle.dumps(summary._native))
    assert (again.to_dict(), again.window_start_ns, again.run_id) == (
        summary.to_dict(), summary.window_start_ns, summary._native.run_id)


def test_dask_update_refuses_a_sqlite_catalogue(client, tmp_path):
    config = tmp_path / "siqaco.toml"
    config.write_text('[archive]\npath = "arch"\n[catalogue]\nurl = "cat.sqlite"\n'
                      '[streams]\nselect = ["XX.S1.00.LHZ"]\n')
    with pytest.raises(siqaco.ConfigError, match=r"catalogue\.url: .*cat\.sqlite.*PostgreSQL"):
        sd.update(client, config, start=WINDOW[0], end=WINDOW[1])
    assert not (tmp_path / "cat.sqlite").exists()
    with pytest.raises(TypeError, match="progress"):
        sd.update(client, config, progress=print)
    with pytest.raises(siqaco.InvalidArgumentError, match="workers"):
        sd.update(client, config, workers=0)
