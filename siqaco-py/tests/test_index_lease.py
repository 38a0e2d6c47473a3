"""`siqaco.index(..., lease_s=...)` reaches the core's `IndexRequest::lease_s`: refused in
its field's terms below 0.3 s, and on a PostgreSQL catalogue (a throw-away server) the claims
of the run hold their directory, and the run its worker row, for exactly that lease (the
claim sets `lease_until_ns` = `updated_ns` + the lease; registration `lease_until_ns` =
`started_ns` + the lease), observed while the run holds a directory."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

import siqaco

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "peers"))
from update_scenario import pg  # noqa: E402,F401 (fixture: a throw-away PostgreSQL)


def test_lease_below_the_minimum_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(siqaco.InvalidArgumentError) as e:
        siqaco.index(tmp_path, tmp_path / "cat.sqlite", lease_s=0.1)
    assert str(e.value) == "invalid argument: lease_s: 0.1: must be at least 0.3 (seconds)"
    assert list(tmp_path.iterdir()) == []


def test_the_lease_is_that_of_the_claims(pg, sds_small: Path, monkeypatch) -> None:  # noqa: F811
    db = "index_lease"
    pg.sql("postgres", f"CREATE DATABASE {db}")
    # Each directory is held 400 ms between its reading and its writing (the test hook of
    # the split index); the heartbeat renews only after a third of the lease (10 s).
    monkeypatch.setenv("SIQACO_INDEX_GROUP_DELAY_MS", "400")
    result: dict = {}
    run = threading.Thread(
        target=lambda: result.update(r=siqaco.index(sds_small, pg.url(db), lease_s=30.0)))
    run.start()
    seen_group, seen_worker = set(), set()
    while run.is_alive() and not (seen_group and seen_worker):
        try:
            rows = pg.sql(db, "SELECT lease_until_ns - updated_ns FROM siqaco_index_groups "
                              "WHERE state='in_progress'")
            seen_group.update(rows.split())
            rows = pg.sql(db, "SELECT lease_until_ns - started_ns FROM siqaco_workers")
            seen_worker.update(rows.split())
        except Exception:  # noqa: BLE001 (the tables are created by the run)
            pass
    run.join()
    assert seen_group == {str(30 * 10**9)}
    assert seen_worker == {str(30 * 10**9)}
    assert result["r"].files_indexed == result["r"].files_listed > 0
