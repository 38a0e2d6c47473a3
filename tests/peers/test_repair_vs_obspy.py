"""`siqaco repair` against ObsPy, sample for sample (issue #21, docs/repair.md).

An SDS archive is built from real records of the test data, broken in the ways issue #21
lists: duplicated records and shuffled records (IU.COLA.00.BHZ), a record past midnight
(CH.BALST..LHE), 128-byte fragments (IU.COLA.00.BH1, packed by libmseed through pymseed),
a conflicting overlap (IU.COLA.00.BH2: a copy of one record with other values and quality
D appended to the day file), and a day file with records without blockette 1000 and
trailing garbage (XX.TEST..BHE). After `siqaco repair --record-length 4096`:

* the archive holds exactly ObsPy's `Stream.merge(method=-1)` of the original records'
  samples, the conflict resolved by the `--keep` rule (the losing record, chosen here
  from the rule's definition, left out of the oracle's input) and the quarantined bytes
  left out (they are not records);
* no sample time appears twice;
* the quarantine manifest lists exactly the bad bytes, and saves them;
* `siqaco qc` finds no duplicated data and no record of another length than 4096 bytes;
* a second `repair` plans nothing.
"""

import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import siqaco_bin

obspy = pytest.importorskip("obspy")
pymseed = pytest.importorskip("pymseed")

SDS = "{y}/{n}/{s}/{c}.D/{n}.{s}.{l}.{c}.D.{y}.{j:03d}"
GARBAGE = bytes(range(100))


def sds_path(root: Path, sid: str, year: int, doy: int) -> Path:
    n, s, l, c = sid.split(".")
    return root / SDS.format(y=year, n=n, s=s, l=l, c=c, j=doy)


def records(raw: bytes) -> list[bytes]:
    """The records of a file's bytes, in file order (libmseed's record lengths)."""
    out, at = [], 0
    tmp = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    import tempfile

    with tempfile.NamedTemporaryFile(dir=tmp) as f:
        f.write(raw)
        f.flush()
        for r in pymseed.MS3Record.from_file(f.name):
            out.append(raw[at : at + r.reclen])
            at += r.reclen
    assert at == len(raw)
    return out


def samples_of(chunks: list[bytes], merge: bool) -> dict:
    """{(id, sample index on the rate's grid): [values]} of ObsPy's reading of the record
    chunks (each read on its own), merged with `merge(method=-1)` when asked."""
    st = obspy.Stream()
    for c in chunks:
        st += obspy.read(io.BytesIO(c), format="MSEED")
    if merge:
        st.merge(method=-1)
    out: dict = {}
    for tr in st:
        sr = tr.stats.sampling_rate
        t0 = tr.stats.starttime.ns
        for i, v in enumerate(tr.data):
            key = (tr.id, round((t0 + round(i * 1e9 / sr)) * sr / 1e9))
            out.setdefault(key, []).append(float(v))
    return out


def archive_files(root: Path) -> list[Path]:
    return sorted(f for f in root.rglob("*") if f.is_file() and not f.name.startswith("."))


def repair(root: Path, *args: str) -> dict:
    p = subprocess.run(
        [siqaco_bin(), "repair", str(root), "--format", "json", *args],
        capture_output=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr.decode()
    return json.loads(p.stdout)


def build(data: Path, root: Path) -> dict:
    """Builds the broken archive; returns what the oracle needs: the original records per
    stream (`records`), the conflicting pair (`original`, `modified`), the bad bytes."""
    sds = data / "sds-small"
    rng = random.Random(21)
    originals: dict[str, list[bytes]] = {}

    # Duplicated and shuffled records.
    src = sds_path(sds, "IU.COLA.00.BHZ", 2010, 58)
    recs = records(src.read_bytes())
    originals["IU.COLA.00.BHZ"] = list(recs)
    broken = recs + rng.sample(recs, len(recs) // 10)
    rng.shuffle(broken)
    out = sds_path(root, "IU.COLA.00.BHZ", 2010, 58)
    out.parent.mkdir(parents=True)
    out.write_bytes(b"".join(broken))

    # A record past midnight (as sds-small holds it).
    for doy in (314, 315):
        src = sds_path(sds, "CH.BALST..LHE", 2025, doy)
        if src.exists():
            out = sds_path(root, "CH.BALST..LHE", 2025, doy)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, out)
            originals.setdefault("CH.BALST..LHE", []).extend(records(src.read_bytes()))

    # 128-byte fragments of a real stream (libmseed packs them).
    src = sds_path(sds, "IU.COLA.00.BH1", 2010, 58)
    originals["IU.COLA.00.BH1"] = records(src.read_bytes())
    out = sds_path(root, "IU.COLA.00.BH1", 2010, 58)
    out.parent.mkdir(parents=True)
    tl = pymseed.MS3TraceList.from_file(str(src), unpack_data=True)
    tl.to_file(
        str(out),
        max_record_length=128,
        encoding=pymseed.DataEncoding.STEIM2,
        format_version=2,
    )
    frags = records(out.read_bytes())
    assert all(len(r) == 128 for r in frags) and len(frags) > 100
    originals["IU.COLA.00.BH1"] = frags

    # A conflicting overlap: record 5 again, values + 7, quality D, appended.
    src = sds_path(sds, "IU.COLA.00.BH2", 2010, 58)
    recs = records(src.read_bytes())
    tr = obspy.read(io.BytesIO(recs[5]))[0]
    tr.data = tr.data + 7
    tr.stats.mseed.dataquality = "D"
    b = io.BytesIO()
    tr.write(b, format="MSEED", reclen=len(recs[5]), encoding="STEIM2")
    modified = records(b.getvalue())
    out = sds_path(root, "IU.COLA.00.BH2", 2010, 58)
    out.parent.mkdir(parents=True)
    out.write_bytes(b"".join(recs + modified))
    originals["IU.COLA.00.BH2"] = recs + modified

    # Records without blockette 1000, then trailing garbage: the second record's length
    # cannot be found (no following header), so it goes to the quarantine with the garbage.
    raw = (data / "mseed" / "libmseed__testdata-no-blockette1000-steim1.v2.mseed").read_bytes()
    out = sds_path(root, "XX.TEST..BHE", 1995, 265)
    out.parent.mkdir(parents=True)
    out.write_bytes(raw + GARBAGE)
    originals["XX.TEST..BHE"] = [raw[:4096]]
    bad = {
        "file": str(out.relative_to(root)),
        "offset": 4096,
        "bytes": raw[4096:] + GARBAGE,
    }
    return {"records": originals, "original": recs[5], "modified": modified, "bad": bad}


@pytest.mark.parametrize("keep", ["newest", "quality", "first"])
def test_repair_gives_obspy_merge_of_the_originals(data, tmp_path, keep):
    root = tmp_path / "archive"
    root.mkdir()
    b = build(data, root)
    plan = repair(root, "--record-length", "4096", "--keep", keep, "--dry-run")
    assert archive_files(root)  # nothing written by the plan
    report = repair(root, "--record-length", "4096", "--keep", keep)
    # The dry run planned what the run did.
    assert plan["actions"] == report["actions"] and plan["files"] == report["files"]
    kinds = {(a["stream"], a["action"]) for a in report["actions"]}
    for expected in [
        ("IU.COLA.00.BHZ", "duplicate_records"),
        ("IU.COLA.00.BHZ", "reorder"),
        ("CH.BALST..LHE", "move"),
        ("IU.COLA.00.BH1", "repack"),
        ("IU.COLA.00.BH2", "conflict"),
        ("XX.TEST..BHE", "quarantine"),
        ("XX.TEST..BHE", "repack"),
    ]:
        assert expected in kinds, (expected, sorted(kinds))

    # The keep rule, from its definition: newest = later in the file (the modified copy,
    # appended), first = earlier, quality = M (the original) over D (the copy).
    loser = [b["original"]] if keep == "newest" else b["modified"]
    chunks = [r for recs in b["records"].values() for r in recs if r not in loser]
    expected = samples_of(chunks, merge=True)
    assert all(len(v) == 1 for v in expected.values())
    got = samples_of([f.read_bytes() for f in archive_files(root)], merge=False)
    twice = [k for k, v in got.items() if len(v) > 1]
    assert not twice, twice[:5]
    assert got.keys() == expected.keys()
    assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in expected.items()}
    # The conflict's values are the rule's choice (checked on the record itself).
    tr = obspy.read(io.BytesIO(b["modified"][0]))[0]
    sr = tr.stats.sampling_rate
    k0 = (tr.id, round(tr.stats.starttime.ns * sr / 1e9))
    assert got[k0][0] == float(tr.data[0] if keep == "newest" else tr.data[0] - 7)

    # Every v2 data record written is 4096 bytes long.
    for f in archive_files(root):
        for r in records(f.read_bytes()):
            if r[6:7] in b"DRQM" and not f.name.startswith("CH."):
                assert len(r) == 4096, f

    # The quarantine: exactly the bad bytes, once.
    q = tmp_path / "archive.quarantine"
    lines = (q / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["file"] == b["bad"]["file"]
    assert entry["offset"] == b["bad"]["offset"]
    assert entry["length"] == len(b["bad"]["bytes"])
    assert (q / entry["saved"]).read_bytes() == b["bad"]["bytes"]
    assert report["bytes_quarantined"] == len(b["bad"]["bytes"])

    # qc finds nothing of what was fixed.
    p = subprocess.run(
        [siqaco_bin(), "qc", "--archive", str(root), "--metadata", str(data / "stationxml"),
         "--record-length", "4096", "--format", "json"],
        capture_output=True, check=False,
    )
    assert p.returncode in (0, 4, 5), p.stderr.decode()
    findings = json.loads(p.stdout)["findings"]
    fixed = [f for f in findings if f["code"] in ("duplicated_data", "header_path_mismatch")
             or (f["code"] == "record_format" and not f.get("stream", "").startswith("CH."))]
    assert not fixed, fixed

    # A second repair plans nothing.
    again = repair(root, "--record-length", "4096", "--keep", keep)
    assert again["actions"] == [] and again["files"] == [] and again["files_written"] == 0
    assert len((q / "manifest.jsonl").read_text().splitlines()) == 1


def test_a_record_of_another_stream_is_reported_unless_trusted(data, tmp_path):
    """A record of CU.TGUH.00.BHZ (2018) in the 2010 day file of IU.COLA.00.BHZ:
    reported and left as it is; `--trust header` moves it to the files of CU.TGUH.00.BHZ,
    `--trust path` rewrites its codes (and it goes to the 2018 file of IU.COLA.00.BHZ)."""
    sds = data / "sds-small"
    stray = records(sds_path(sds, "CU.TGUH.00.BHZ", 2018, 1).read_bytes())[3]
    for trust in (None, "header", "path"):
        root = tmp_path / f"archive-{trust}"
        bhz = sds_path(root, "IU.COLA.00.BHZ", 2010, 58)
        bhz.parent.mkdir(parents=True)
        original = sds_path(sds, "IU.COLA.00.BHZ", 2010, 58).read_bytes()
        bhz.write_bytes(original + stray)
        args = ["--trust", trust] if trust else []
        report = repair(root, *args)
        kinds = [a["action"] for a in report["actions"]]
        if trust is None:
            assert kinds == ["codes_mismatch"]
            assert bhz.read_bytes() == original + stray
            continue
        # trust path: the record, now of IU.COLA.00.BHZ, also moves to its day's file
        assert kinds == (["codes_moved"] if trust == "header" else ["codes_fixed", "move"])
        got = samples_of([f.read_bytes() for f in archive_files(root)], merge=True)
        want = samples_of(records(original) + [stray], merge=True)
        if trust == "path":
            want = {("IU.COLA.00.BHZ", k[1]) if k[0] == "CU.TGUH.00.BHZ" else k: v
                    for k, v in want.items()}
        assert got == want
        assert repair(root, *args)["actions"] == []
