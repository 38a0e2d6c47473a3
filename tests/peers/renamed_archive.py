"""A copy of sds-small where station BW.BGLD was recorded as XX.OLD until T (issue 22 item
4), built independently of siqaco: every record of BW.BGLD..EHE whose first sample is
before T is rewritten, byte for byte in its SEED 2.4 fixed header (station bytes 8-12,
location 13-14, channel 15-17, network 18-19), as XX.OLD.00.EHE and moved to that stream's
SDS day file; ObsPy checks the rewritten files. Used by tests/peers/test_mapping.py and
siqaco-py/tests/test_mapping.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import obspy
from obspy.io.mseed.util import get_record_information

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


def build(sds_small: Path, work: Path) -> tuple[Path, Path, int]:
    """(renamed archive under `work`, mapping file, number of records renamed)."""
    root = work / "renamed"
    shutil.copytree(sds_small, root)
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
    mapping = work / "mapping.toml"
    mapping.write_text(MAPPING)
    return root, mapping, renamed_records
