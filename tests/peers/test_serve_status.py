"""The status page of `siqaco serve` (sds-small) loaded in headless Chromium: no console
message, a screenshot, the page's script run (its tables drawn from `/api/status`), and the
calendar's day cells equal to `siqaco stats --per-day` of the same catalogue, gaps and all
(BW.FFB1's short day; CH.BALST's 2025-11-11, day 315, covered by the file of day 314)."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import tempfile
import urllib.request
from html import unescape
from pathlib import Path

import pytest

from conftest import siqaco_bin

CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1800",
    # lets the page's script fetch /api/ and draw before the DOM is dumped
    "--virtual-time-budget=5000",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium not found; the page was not loaded in a browser")


def browse(url: str, *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run(
            [chromium(), *CHROME_FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            timeout=120,
        )
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p


def console_messages(url: str, screenshot: Path) -> list[str]:
    p = browse(url, "--enable-logging=stderr", "--v=0", f"--screenshot={screenshot}")
    return [l for l in p.stderr.decode(errors="replace").splitlines() if "CONSOLE" in l]


def stats(catalogue: Path, select: str, start: str, end: str) -> dict:
    p = subprocess.run(
        [siqaco_bin(), "stats", "--db", str(catalogue), "--select", select, "--start", start,
         "--end", end, "--per-day", "--format", "json"],
        capture_output=True,
        check=True,
    )
    return json.loads(p.stdout)


def shown(pct: float) -> str:
    """A percentage as the calendar's cell titles write it (4 decimals, zeros trimmed)."""
    s = f"{pct:.4f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def calendar_cells(dom: str) -> dict[tuple[str, str], str]:
    """(stream, day) -> the percentage text of the calendar's one-day cells."""
    fig = dom[dom.index('id="calendar-fig"'):dom.index('id="timeline"')]
    cells = {}
    for title in re.findall(r"<title>([^<]*)</title>", fig):
        m = re.fullmatch(r"(\S+) (\d{4}-\d\d-\d\d): (.*)%", unescape(title))
        if m:
            cells[(m[1], m[2])] = m[3]
    return cells


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize(
    "select,start,end",
    [
        ("BW.FFB1.*.*", "2016-03-10", "2016-03-13"),
        ("CH.BALST.*.*", "2025-11-09", "2025-11-13"),
    ],
)
def test_calendar_shows_the_archive_gaps(sds_small_server, data, select, start, end):
    net, sta = select.split(".")[:2]
    url = f"{sds_small_server.url}/?start={start}&end={end}&net={net}&sta={sta}"
    dom = browse(url, "--dump-dom").stdout.decode()
    # the page's script ran: its tables are drawn from /api/status
    assert re.search(r'data-refreshed="\d{4}-', dom), "the page's script did not refresh"
    assert "no request" in dom and "no run recorded" in dom

    cells = calendar_cells(dom)
    want = stats(sds_small_server.catalogue, select, start, end)
    assert want["streams"]
    seen_gap = False
    for s in want["streams"]:
        for d in s["days"]:
            assert cells[(s["nslc"], d["date"])] == shown(d["percent_availability"]), (
                s["nslc"], d["date"])
            seen_gap |= 0 < d["percent_availability"] < 100
    assert seen_gap
    assert len(cells) == sum(len(s["days"]) for s in want["streams"])
    if net == "CH":
        # day 315 (2025-11-11) has data but no file of its own: the file of day 314 runs
        # into it
        root = data / "sds-small" / "2025" / "CH" / "BALST" / "LHZ.D"
        assert (root / "CH.BALST..LHZ.D.2025.314").is_file()
        assert not (root / "CH.BALST..LHZ.D.2025.315").exists()
        day = float(cells[("CH.BALST..LHZ", "2025-11-11")])
        assert 0 < day < 100


def test_page_loads_without_console_messages(sds_small_server, tmp_path):
    shot = tmp_path / "status.png"
    msgs = console_messages(sds_small_server.url + "/", shot)
    assert msgs == [], msgs
    width, height = png_size(shot)
    assert (width, height) == (1400, 1800)
    # the JSON the page is drawn from answers too, and names the same streams
    with urllib.request.urlopen(sds_small_server.url + "/api/status") as r:
        status = json.load(r)
    page = urllib.request.urlopen(sds_small_server.url + "/").read().decode()
    for s in status["streams"]:
        assert f'data-v="{s["nslc"]}"' in page
    # the check sees console errors: a page with a script error is caught
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><script>undefinedFunction();</script>")
    assert console_messages(bad.as_uri(), tmp_path / "bad.png")
