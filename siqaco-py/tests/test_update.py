"""siqaco.update on real data: holes cut from a copy of sds-small (a whole day file, runs of
records) are filled from a local archive source (the untouched copy); the archive ends equal
to the original sample for sample, the summary counts are those the damage implies, a dry
run changes nothing and equals the CLI's JSON, and a cancelled run leaves the requests it
did not start for the next run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import siqaco
from helpers import UPDATE_DAY as DAY
from helpers import UPDATE_STREAMS as STREAMS
from helpers import same_segments, tree_bytes, update_site
import helpers


def _window(sds: Path) -> tuple[str, str]:
    """The extent of the three streams' data (the same for the three): from the first
    sample to the end of the last one's period, so the original has no head or tail gap."""
    report = siqaco.scan(sds, select=STREAMS)
    starts = {s["segments"][0]["start"] for s in report.streams}
    ends = {s["segments"][-1]["end"] for s in report.streams}
    assert len(starts) == 1 and len(ends) == 1, (starts, ends)
    assert all(len(s["segments"]) == 1 for s in report.streams)
    return starts.pop(), ends.pop()


@pytest.fixture()
def setup(tmp_path: Path, sds_small: Path) -> dict:
    # Holes: the BHZ day file; BH1 records 100-104 and 300; BH2 record 200.
    config = update_site(sds_small, tmp_path)
    start, end = _window(sds_small)
    return {
        "source": tmp_path / "source",
        "archive": tmp_path / "archive",
        "config": config,
        "catalogue": tmp_path / "cat.sqlite",
        "start": start,
        "end": end,
    }


def _samples(root: Path, start: str, end: str) -> int:
    return sum(len(s.data) for s in siqaco.read(root, select=STREAMS, start=start, end=end))


def _expected(s: dict) -> dict:
    """The counts the damage implies, from a scan of the damaged archive over the window
    (a stream without data there is one gap)."""
    damaged = siqaco.scan(s["archive"], select=STREAMS, start=s["start"], end=s["end"])
    found = {x["nslc"]: len(x["gaps"]) for x in damaged.streams}
    gaps = sum(found.get(n, 1) for n in STREAMS)
    missing = _samples(s["source"], s["start"], s["end"]) - _samples(s["archive"], s["start"], s["end"])
    return {"gaps": gaps, "missing": missing, "absent": [n for n in STREAMS if n not in found]}


def test_dry_run_writes_nothing_and_equals_cli(setup: dict, siqaco_bin: Path) -> None:
    s = setup
    want = _expected(s)
    assert want["absent"] == ["IU.COLA.00.BHZ"] and want["gaps"] >= 4 and want["missing"] > 0
    before = tree_bytes(s["archive"])
    summary = siqaco.update(s["config"], start=s["start"], end=s["end"], dry_run=True)
    assert tree_bytes(s["archive"]) == before
    assert not s["catalogue"].exists()
    assert summary["dry_run"] is True
    assert summary["streams_checked"] == len(STREAMS)
    assert summary["gaps_found"] == summary["requests_created"] == want["gaps"]
    assert summary["requests_sent"] == want["gaps"] == len(summary["planned"])
    assert all(p["source"] == "backup" and p["request_id"] is None and p["lines"] for p in summary["planned"])
    assert summary["samples_added"] == summary["requests_left"] == 0
    cli = subprocess.run(
        [str(siqaco_bin), "update", "--config", str(s["config"]), "--start", s["start"], "--end", s["end"],
         "--dry-run", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(cli.stdout) == summary


def test_update_fills_the_holes_sample_for_sample(setup: dict) -> None:
    obspy = pytest.importorskip("obspy")
    s = setup
    want = _expected(s)
    calls: list = []
    summary = siqaco.update(s["config"], start=s["start"], end=s["end"], progress=lambda *a: calls.append(a))
    assert set(summary) == {
        "window_start", "window_end", "streams_checked", "gaps_found", "requests_created",
        "requests_sent", "requests_succeeded", "requests_failed", "samples_added",
        "requests_left", "dry_run", "planned", "warnings",
    }
    assert summary["dry_run"] is False and summary["planned"] == [] and summary["warnings"] == []
    assert summary["streams_checked"] == len(STREAMS)
    assert summary["gaps_found"] == summary["requests_created"] == want["gaps"]
    assert summary["requests_sent"] == summary["requests_succeeded"] == want["gaps"]
    assert summary["requests_failed"] == summary["requests_left"] == 0
    assert summary["samples_added"] == want["missing"]
    assert calls and calls[-1] == (want["gaps"], want["gaps"], want["missing"])
    # The archive equals the original, sample for sample (siqaco and ObsPy).
    same_segments(siqaco.read(s["archive"], select=STREAMS), siqaco.read(s["source"], select=STREAMS))
    for c in ("BH1", "BH2", "BHZ"):
        ours = obspy.read(str(s["archive"] / DAY.format(c=c)))
        theirs = obspy.read(str(s["source"] / DAY.format(c=c)))
        ours.merge()
        theirs.merge()
        assert len(ours) == len(theirs) == 1
        assert ours[0].stats.starttime == theirs[0].stats.starttime
        np.testing.assert_array_equal(ours[0].data, theirs[0].data)
    # A second run finds nothing to do.
    again = siqaco.update(s["config"], start=s["start"], end=s["end"])
    assert (again["gaps_found"], again["requests_created"], again["requests_sent"], again["samples_added"]) == (0, 0, 0, 0)


def test_errors(setup: dict, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        siqaco.update(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text(setup["config"].read_text().replace('path = "archive"', 'path = "archive"\nencoding = "steim3"'))
    with pytest.raises(siqaco.ConfigError, match="archive.encoding"):
        siqaco.update(bad)
    with pytest.raises(siqaco.InvalidArgumentError):
        siqaco.update(setup["config"], start=setup["start"])
    with pytest.raises(siqaco.InvalidArgumentError):
        siqaco.update(setup["config"], start=setup["end"], end=setup["start"])


def test_cancel_leaves_the_other_requests_for_the_next_run(setup: dict) -> None:
    """Raising from the progress callback (as Ctrl-C does) stops the run: the request being
    executed finishes, the others stay pending; the next run completes the archive."""
    s = setup
    want = _expected(s)

    class Stop(Exception):
        pass

    def stop(*_: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        siqaco.update(s["config"], start=s["start"], end=s["end"], progress=stop)
    states = [r[0] for r in helpers.query(s["catalogue"], "SELECT state FROM siqaco_requests")]
    assert len(states) == want["gaps"]
    assert set(states) <= {"new", "succeeded"}, states
    done = states.count("succeeded")
    summary = siqaco.update(s["config"], start=s["start"], end=s["end"])
    assert summary["requests_created"] == 0
    assert summary["requests_succeeded"] == want["gaps"] - done
    assert summary["requests_left"] == 0
    same_segments(siqaco.read(s["archive"], select=STREAMS), siqaco.read(s["source"], select=STREAMS))


def test_the_summary_is_typed(setup: dict, siqaco_bin: Path) -> None:
    """The summary is an UpdateSummary: a dict equal to the CLI's JSON whose keys are also
    attributes, with the window in ns; ``now`` moves the configured window with it."""
    s = setup
    summary = siqaco.update(s["config"], start=s["start"], end=s["end"], dry_run=True)
    assert isinstance(summary, siqaco.UpdateSummary)
    cli = subprocess.run(
        [str(siqaco_bin), "update", "--config", str(s["config"]), "--start", s["start"], "--end", s["end"],
         "--dry-run", "--format", "json"],
        check=True, capture_output=True, text=True,
    )
    assert summary.to_dict() == json.loads(cli.stdout) and type(summary.to_dict()) is dict
    for key, value in summary.items():
        assert getattr(summary, key) == value, key
    assert summary.window_start_ns == siqaco._siqaco.parse_time(s["start"])
    assert summary.window_end_ns == siqaco._siqaco.parse_time(s["end"])
    hour = 3600 * 10**9
    now = siqaco._siqaco.parse_time("2010-02-28T00:00:00")
    a = siqaco.update(s["config"], dry_run=True, now=np.datetime64(now, "ns"))
    b = siqaco.update(s["config"], dry_run=True, now=np.datetime64(now + hour, "ns"))
    assert a.window_end_ns is not None and b.window_end_ns is not None
    assert b.window_end_ns - a.window_end_ns == b.window_start_ns - a.window_start_ns == hour
    assert a.window_end_ns <= now
