"""Stream mappings over time (issue 22 item 4, `[[streams.mapping]]`, `--mapping`): an archive
where one station was renamed mid-way scans, reads and serves as ONE stream equal to the
unrenamed original.

The renamed archive is built here, independently of siqaco: a copy of sds-small where every
record of BW.BGLD..EHE whose first sample is before T is rewritten, byte for byte in its
SEED 2.4 fixed header (station bytes 8-12, location 13-14, channel 15-17, network 18-19),
as XX.OLD.00.EHE and moved to that stream's SDS day file; ObsPy checks the rewritten files
(it reads them as XX.OLD.00.EHE with the original samples).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

import numpy as np
import obspy
import pytest
from obspy.io.mseed.util import get_record_information

from conftest import run_scan, siqaco_bin

ORIGINAL = ("BW", "BGLD", "", "EHE")
OLD = ("XX", "OLD", "00", "EHE")
# The rename: records whose first sample is before T were recorded as XX.OLD.00.EHE.
T = obspy.UTCDateTime("2008-01-01T00:00:10")
MAPPING = f"""[[mapping]]
from = "XX.OLD.00.EHE"
to = "BW.BGLD..EHE"
end = "{T.isoformat()}Z"
"""


def records(path: Path):
    """(first sample time, record bytes) of each record of a miniSEED 2 file."""
    raw = path.read_bytes()
    offset = 0
    while offset < len(raw):
        info = get_record_information(str(path), offset)
        n = info["record_length"]
        yield info["starttime"], raw[offset : offset + n]
        offset += n


def with_codes(rec: bytes, codes: tuple[str, str, str, str]) -> bytes:
    net, sta, loc, cha = codes
    b = bytearray(rec)
    b[8:13] = sta.ljust(5).encode()
    b[13:15] = loc.ljust(2).encode()
    b[15:18] = cha.ljust(3).encode()
    b[18:20] = net.ljust(2).encode()
    return bytes(b)


@pytest.fixture(scope="module")
def renamed(data, tmp_path_factory):
    """(renamed archive, mapping file, number of records renamed)."""
    root = tmp_path_factory.mktemp("mapping") / "renamed"
    shutil.copytree(data / "sds-small", root)
    renamed_records = 0
    for f in sorted(root.glob("*/BW/BGLD/EHE.D/BW.BGLD..EHE.D.*")):
        year, day = f.name.split(".")[-2:]
        keep, moved = [], []
        for start, rec in records(f):
            if start < T:
                moved.append(with_codes(rec, OLD))
            else:
                keep.append(rec)
        if not moved:
            continue
        renamed_records += len(moved)
        target = root / year / "XX" / "OLD" / "EHE.D" / f"XX.OLD.00.EHE.D.{year}.{day}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"".join(moved))
        if keep:
            f.write_bytes(b"".join(keep))
        else:
            f.unlink()
        # The rewritten records read as the old codes with the original samples.
        st = obspy.read(str(target))
        assert {tr.id for tr in st} == {"XX.OLD.00.EHE"}
        assert all(tr.stats.starttime < T for tr in st)
    assert renamed_records > 0
    mapping = root.parent / "mapping.toml"
    mapping.write_text(MAPPING)
    return root, mapping, renamed_records


def without_mapping_fields(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    for s in doc["streams"]:
        s.pop("mapped_from", None)
    doc.pop("files")  # the renamed archive has more day files
    return doc


def test_scan_with_mapping_equals_the_original(data, renamed):
    root, mapping, n = renamed
    _, original = run_scan(str(data / "sds-small"))
    _, mapped = run_scan(str(root), "--mapping", str(mapping))
    assert without_mapping_fields(mapped) == without_mapping_fields(original)
    stream = next(s for s in mapped["streams"] if s["nslc"] == "BW.BGLD..EHE")
    # The report shows the mapping: the original codes, the span and the records mapped.
    (m,) = stream["mapped_from"]
    assert m["nslc"] == "XX.OLD.00.EHE"
    assert m["records"] == n
    old = obspy.read(str(root / "*" / "XX" / "OLD" / "EHE.D" / "*"))
    assert m["start"] == min(tr.stats.starttime for tr in old).isoformat() + "Z"
    assert not any("mapped_from" in s for s in original["streams"])


def test_scan_without_mapping_gives_two_streams(renamed):
    root, _, n = renamed
    _, doc = run_scan(str(root), "--select", "*.*.*.EHE")
    assert [s["nslc"] for s in doc["streams"]] == ["BW.BGLD..EHE", "XX.OLD.00.EHE"]
    assert doc["streams"][1]["records"] == n


def test_selecting_the_mapped_stream_reads_the_old_files(data, renamed):
    root, mapping, _ = renamed
    _, original = run_scan(str(data / "sds-small"), "--select", "BW.BGLD")
    _, mapped = run_scan(str(root), "--select", "BW.BGLD", "--mapping", str(mapping))
    assert without_mapping_fields(mapped) == without_mapping_fields(original)


def test_bad_mapping_names_the_entry(renamed, tmp_path):
    root, _, _ = renamed
    bad = tmp_path / "bad.toml"
    bad.write_text(MAPPING + '[[mapping]]\nfrom = "XX.OLD.00.EHE"\nto = "BW.X..EHE"\n')
    p = subprocess.run(
        [siqaco_bin(), "scan", str(root), "--mapping", str(bad)], capture_output=True
    )
    assert p.returncode != 0
    assert b"mapping[1].from" in p.stderr, p.stderr
