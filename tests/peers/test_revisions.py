"""Revised data at the source (issue #21, item 3; `[requests] revisions`): a source archive
served by a real `siqaco serve` on 127.0.0.1 (its fdsnws-availability answers
`show=latestupdate` from its catalogue), a local archive filled from it by `siqaco update`;
then the source's samples in one span are revised (other values, re-indexed so its `updated`
is later). The same with the source's catalogue as a `tsindex` source (its tsindex `updated`
read directly). ObsPy reads every archive and is the oracle for the samples.

Each case: `revisions = "ignore"` leaves the archive byte for byte unchanged; `newest` (and
`quality` with a revision of the same or a higher quality) ends with the revised samples,
which differ from the original exactly in the revised span; `quality` with a revision of a
lower quality (D against M) keeps the archive's samples; the stack records one succeeded
revision request; a second run asks nothing and changes nothing."""

import json
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

obspy = pytest.importorskip("obspy")

from conftest import siqaco_bin  # noqa: E402
from serving import Server, index  # noqa: E402

STREAM = "IU.COLA.00.BHZ"
REL = Path("2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058")
# The day's data exactly (first sample to last sample + one period): no gap is left.
WINDOW = ("2010-02-27T06:50:00.019539", "2010-02-27T08:00:00.019539")
# The span whose samples the source revises (inside the day's 06:50–08:00 of data).
SPAN = ("2010-02-27T07:20:00", "2010-02-27T07:25:00")


def trace(root: Path) -> obspy.Trace:
    """The stream's samples in an archive, as ObsPy reads them (one trace, no gap)."""
    st = obspy.read(str(root / REL))
    st.merge(method=-1)
    assert len(st) == 1, st
    return st[0]


def archive_bytes(root: Path) -> dict:
    """The archive's day files (not siqaco's lock and staging entries, named `.siqaco-*`)."""
    return {
        p.relative_to(root): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(x.startswith(".") for x in p.relative_to(root).parts)
    }


def write_config(work: Path, source: str, policy: str) -> Path:
    """The local site: `source` is the served URL (an `fdsn` source) or the source's
    catalogue file (a `tsindex` source, its `updated` read directly)."""
    cfg = work / "siqaco.toml"
    if source.startswith("http"):
        src = f'kind = "fdsn"\nurl = "{source}"\n'
    else:
        src = f'kind = "tsindex"\ntsindex = "{source}"\n'
    cfg.write_text(
        f'[archive]\npath = "final"\n[catalogue]\nurl = "cat.sqlite"\n'
        f'[streams]\nselect = ["{STREAM}"]\n'
        f'[requests]\nrevisions = "{policy}"\n'
        f'[[sources]]\nname = "dc"\n{src}'
    )
    return cfg


def update(cfg: Path, *extra: str) -> dict:
    p = subprocess.run(
        [siqaco_bin(), "update", "-c", str(cfg), "--start", WINDOW[0], "--end", WINDOW[1],
         "--format", "json", *extra],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode() + p.stdout.decode()
    return json.loads(p.stdout)


def stack(cfg: Path) -> list:
    p = subprocess.run(
        [siqaco_bin(), "stack", "list", "-c", str(cfg), "--format", "json"],
        capture_output=True,
        check=True,
    )
    return json.loads(p.stdout)


def revise(src: Path, quality: str) -> tuple:
    """Rewrites the source's day file with other values in SPAN (STEIM2, 512-byte records,
    data quality `quality`); returns the revised trace and the sample indexes of SPAN."""
    tr = trace(src)
    a, b = (obspy.UTCDateTime(t) for t in SPAN)
    i0 = int(round((a - tr.stats.starttime) * tr.stats.sampling_rate))
    i1 = int(round((b - tr.stats.starttime) * tr.stats.sampling_rate))
    data = tr.data.astype(np.int32).copy()
    data[i0:i1] = -data[i0:i1] + 7
    tr.data = data
    tr.stats.mseed = obspy.core.AttribDict({"dataquality": quality})
    (src / REL).unlink()
    tr.write(str(src / REL), format="MSEED", encoding="STEIM2", reclen=512)
    return tr, i0, i1


@pytest.fixture
def site(data, tmp_path):
    """The source archive (a copy of sds-small's IU.COLA.00.BHZ day) served by `siqaco
    serve`, and the work directory of the local archive."""
    src = tmp_path / "src"
    (src / REL).parent.mkdir(parents=True)
    shutil.copyfile(data / "sds-small" / REL, src / REL)
    index(src, tmp_path / "src.sqlite")
    server = Server(["--catalogue", str(tmp_path / "src.sqlite"), "--archive", str(src)],
                    tmp_path / "serve.log")
    work = tmp_path / "local"
    work.mkdir()
    try:
        yield src, tmp_path / "src.sqlite", server, work
    finally:
        server.stop()


@pytest.mark.parametrize("kind,policy,quality", [
    ("fdsn", "newest", "M"), ("fdsn", "newest", "D"), ("fdsn", "quality", "D"),
    ("fdsn", "quality", "M"), ("tsindex", "newest", "M"), ("tsindex", "quality", "D"),
])
def test_revised_span_replaces_archive_data(site, kind, policy, quality):
    src, src_cat, server, work = site
    source = server.url if kind == "fdsn" else str(src_cat)
    original = trace(src)
    cfg = write_config(work, source, policy)
    s = update(cfg)
    assert s["samples_added"] == original.stats.npts == 84000, s
    assert np.array_equal(trace(work / "final").data, original.data)
    # The revision is made (and indexed) in a later second than the fetch, and the next
    # runs in a later second than the revision: the source's times have whole seconds.
    time.sleep(1.1)
    revised, i0, i1 = revise(src, quality)
    index(src, src_cat)
    time.sleep(1.1)
    before = archive_bytes(work / "final")

    # "ignore": nothing asked, the archive byte for byte unchanged.
    s = update(write_config(work, source, "ignore"))
    assert (s["requests_created"], s["requests_sent"], s["samples_added"]) == (0, 0, 0), s
    assert archive_bytes(work / "final") == before

    # A dry run lists the revision (one line for the span, to the source) and changes
    # nothing.
    cfg = write_config(work, source, policy)
    s = update(cfg, "--dry-run")
    assert s["requests_created"] == 1 and len(s["planned"]) == 1, s
    assert s["planned"][0]["source"] == "dc" and len(s["planned"][0]["lines"]) == 1, s
    assert s["planned"][0]["lines"][0].startswith("IU COLA 00 BHZ 2010-02-27T06:50:00.019"), s
    assert archive_bytes(work / "final") == before

    s = update(cfg)
    assert (s["requests_created"], s["requests_sent"]) == (1, 1), s
    got = trace(work / "final")
    assert got.stats.starttime == original.stats.starttime
    # The revision changed exactly the 6000 samples of SPAN (-x + 7 is never x).
    assert np.array_equal(np.flatnonzero(revised.data != original.data), np.arange(i0, i1))
    assert i1 - i0 == 6000
    # "quality" keeps the archive's M samples against revised D ones; otherwise the revised
    # samples are in the archive, and exactly those changed (sample for sample).
    expected = original if (policy, quality) == ("quality", "D") else revised
    assert np.array_equal(got.data, expected.data)
    assert got.stats.npts == original.stats.npts
    revisions = [r for r in stack(cfg) if (r["reason"] or "").startswith("revision: ")]
    assert len(revisions) == 1, revisions
    r = revisions[0]
    assert (r["stream"], r["state"], r["sources"]) == (STREAM, "succeeded", ["dc"]), r
    assert r["start_ns"] <= original.stats.starttime.ns and r["end_ns"] > original.stats.endtime.ns
    assert "updated at the source" in r["reason"]

    # The revision is fetched once: a second run asks nothing and changes nothing.
    after = archive_bytes(work / "final")
    s = update(cfg)
    assert (s["requests_created"], s["requests_sent"], s["samples_added"]) == (0, 0, 0), s
    assert archive_bytes(work / "final") == after
