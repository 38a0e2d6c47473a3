"""`siqaco merge` re-encoding keeps every sample's time (issue #16, defect 5; docs/merge.md,
"Re-encoding keeps every sample's time"), checked with the peers on real data.

The `IU.COLA.00.BH?` day of `sds-small` (miniSEED 2, 20 Hz) has record starts that jitter by
1–3 µs; `IU.COLA.00.LH?` is miniSEED 3. Repacked with other encodings, record lengths and
format versions, every sample keeps its value and its time as libmseed (pymseed) reads input
and output, and as ObsPy reads them (miniSEED 2 only: ObsPy cannot read miniSEED 3). With an
overlapping patch that ObsPy repacked (ObsPy puts each trace on one sample grid, so the
patch's samples sit a few µs from the archive's) and `--archive-wins`, the merge passes its
verification and every archive sample keeps its time.
"""

import io
import subprocess

import numpy as np
import pytest

from conftest import siqaco_bin

obspy = pytest.importorskip("obspy")
mseed_util = pytest.importorskip("obspy.io.mseed.util")
pymseed = pytest.importorskip("pymseed")

DAY = "2010/IU/COLA/{c}.D/IU.COLA.00.{c}.D.2010.058"


def libmseed_samples(paths):
    """Sorted [(time ns, value)] of every sample (pymseed: libmseed's ms_sampletime)."""
    out = []
    for p in paths:
        for r in pymseed.MS3Record.from_file(str(p), unpack_data=True):
            for i, v in enumerate(r.np_datasamples):
                out.append((pymseed.sample_time(r.starttime, i, r.samprate), int(v)))
    out.sort()
    return out


def merge(root, *args):
    p = subprocess.run([siqaco_bin(), "merge", "--into", str(root), *map(str, args)],
                       capture_output=True, check=False)
    assert p.returncode == 0, p.stderr.decode()


def files(root):
    return sorted(f for f in root.rglob("*") if f.is_file() and not f.name.startswith("."))


def floor(samples, resolution):
    return [(t // resolution * resolution, v) for t, v in samples]


@pytest.mark.parametrize("channel", ["BH1", "BH2", "BHZ", "LH1", "LH2", "LHZ"])
@pytest.mark.parametrize("options", [
    ("--encoding", "steim2", "--record-length", "4096"),
    ("--encoding", "steim2", "--record-length", "4096", "--format-version", "3"),
    ("--encoding", "int32", "--record-length", "512", "--format-version", "2"),
])
def test_repack_keeps_every_sample_time(data, tmp_path, channel, options):
    src = data / "sds-small" / DAY.format(c=channel)
    merge(tmp_path / "a", *options, src)
    out = files(tmp_path / "a")
    v3 = "--format-version" in options and "3" in options
    resolution = 1 if v3 else 1000
    want = libmseed_samples([src])
    got = libmseed_samples(out)
    assert len(got) == len(want)
    moved = sum(a != b for a, b in zip(floor(got, resolution), floor(want, resolution)))
    assert moved == 0, f"{moved} of {len(want)} samples moved or changed"
    if channel.startswith("BH") and not v3:
        # ObsPy, reading input and output by itself: the same samples at the same times.
        assert obspy_per_record(out) == obspy_per_record([src])


def obspy_per_record(paths):
    """Sorted [(time ns, value)] of every sample, ObsPy reading each record on its own (a
    file read whole becomes traces on one sample grid, which hides the records' times)."""
    out = []
    for p in paths:
        raw = p.read_bytes()
        offset = 0
        while offset < len(raw):
            length = mseed_util.get_record_information(io.BytesIO(raw[offset:]))[
                "record_length"]
            tr = obspy.read(io.BytesIO(raw[offset:offset + length]), format="MSEED")[0]
            t0 = tr.stats.starttime.ns
            for i, v in enumerate(tr.data):
                out.append((t0 + round(i * 1e9 / tr.stats.sampling_rate), int(v)))
            offset += length
    out.sort()
    return out


@pytest.mark.parametrize("channel", ["BH1", "BH2", "BHZ"])
def test_repack_with_overlapping_obspy_patch_and_archive_wins(data, tmp_path, channel):
    src = data / "sds-small" / DAY.format(c=channel)
    # the archive misses five minutes; the patch is the whole day as ObsPy writes it
    root = tmp_path / "a"
    target = root / DAY.format(c=channel)
    target.parent.mkdir(parents=True)
    hole = (pymseed.timestr2nstime("2010-02-27T07:20:00Z"),
            pymseed.timestr2nstime("2010-02-27T07:25:00Z"))
    raw = src.read_bytes()
    kept = b"".join(raw[k:k + 512] for k in range(0, len(raw), 512)
                    if not hole[0] <= obspy_start(raw[k:k + 512]) < hole[1])
    assert len(kept) < len(raw)
    target.write_bytes(kept)
    patch = tmp_path / "patch.mseed"
    obspy.read(str(src)).write(str(patch), format="MSEED", encoding="STEIM2", reclen=4096)
    archive = libmseed_samples([target])
    patched = libmseed_samples([patch])
    assert sum(a[0] != b[0] for a, b in zip(patched, libmseed_samples([src]))) > 1000, \
        "the ObsPy patch must sit off the archive's times for the test to mean anything"
    merge(root, "--archive-wins", "--encoding", "steim2", "--record-length", "4096", patch)
    got = libmseed_samples(files(root))
    # every archive sample, plus the patch's samples no archive sample supersedes
    times = np.array([t for t, _ in archive])
    period = 50_000_000
    fill = [(t, v) for t, v in patched
            if not np.any((times >= t - period // 2) & (times < t + period // 2))]
    assert got == sorted(archive + fill)
    assert len(got) == len(libmseed_samples([src]))


def obspy_start(record: bytes) -> int:
    """The start time (ns) of a record, as ObsPy reads it."""
    return mseed_util.get_record_information(io.BytesIO(record))["starttime"].ns
