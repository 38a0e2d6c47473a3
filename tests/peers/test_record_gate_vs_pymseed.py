"""The record validation gate (issue #16) against libmseed 3.5.4 through pymseed.

Each case is a fresh reproduction built from a real record of the test data with header
fields changed (hostile or damaged input). Where libmseed has an opinion, pymseed is the
oracle: it refuses to read the record with its samples (``unpack_data``,
``validate_crc``), so siqaco must too. Sample rates outside 1e-6 to 1e6 Hz are siqaco's own
physical bound (libmseed reads them): there pymseed is the oracle for the rate named in
siqaco's message. In every case ``siqaco scan`` lists the record among its errors (file,
offset, reason) and counts none of its samples; ``siqaco merge`` refuses the input, naming
the file and offset, and writes nothing (before the gate it wrote invented samples, ran
out of memory or crashed).
"""

import json
import re
import resource
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import siqaco_bin

pymseed = pytest.importorskip("pymseed")


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def fix_crc(rec: bytearray) -> None:
    rec[28:32] = b"\0\0\0\0"
    rec[28:32] = struct.pack("<I", crc32c(bytes(rec)))


def first(data: Path, name: str) -> bytearray:
    buf = (data / "mseed" / name).read_bytes()
    r = next(iter(pymseed.MS3Record.from_buffer(buf)))
    return bytearray(buf[: r.reclen])


def v2_int32_midnight_150(data):
    # 512-byte INT32 v2 record (big-endian), 114 samples at 40 Hz: start it 1 s before
    # midnight so it crosses midnight (decoded by the merge's split), count 150.
    r = first(data, "libmseed__reference-testdata-int32.v2.mseed")
    r[20:30] = struct.pack(">HHBBBBH", 2012, 132, 23, 59, 59, 0, 0)
    r[30:32] = struct.pack(">H", 150)
    return r, "sample count 150 exceeds"


def v3_int32_midnight_5000(data):
    r = first(data, "libmseed__reference-testdata-int32.v3.mseed")
    r[4:15] = struct.pack("<IHHBBB", 0, 2012, 132, 23, 59, 59)
    r[24:28] = struct.pack("<I", 5000)
    fix_crc(r)
    return r, "sample count 5000 exceeds"


def v3_count_huge(data):
    r = first(data, "libmseed__reference-testdata-int32.v3.mseed")
    r[24:28] = struct.pack("<I", 2_000_000_000)
    fix_crc(r)
    return r, "sample count 2000000000 exceeds"


def v2_data_offset_past_record(data):
    r = first(data, "libmseed__reference-testdata-steim2.v2.mseed")
    r[44:46] = struct.pack(">H", 700)
    return r, "data offset 700"


def v2_rate_minus_32768(data):
    r = first(data, "libmseed__reference-testdata-steim2.v2.mseed")
    r[32:36] = struct.pack(">hh", -32768, -32768)
    return r, "Hz is outside 1e-6 to 1e6 Hz"


def v3_rate_1e_9(data):
    r = first(data, "libmseed__reference-testdata-steim2.v3.mseed")
    r[16:24] = struct.pack("<d", 1e-9)
    fix_crc(r)
    return r, "Hz is outside 1e-6 to 1e6 Hz"


def v3_rate_1e15(data):
    r = first(data, "libmseed__reference-testdata-steim2.v3.mseed")
    r[16:24] = struct.pack("<d", 1e15)
    fix_crc(r)
    return r, "Hz is outside 1e-6 to 1e6 Hz"


def v3_bad_crc(data):
    r = first(data, "libmseed__reference-testdata-steim2.v3.mseed")
    r[-1] ^= 0x01
    return r, "CRC mismatch"


def v2_unknown_encoding(data):
    r = first(data, "libmseed__reference-testdata-steim2.v2.mseed")
    r[52] = 19
    return r, "unknown data encoding 19"


def wrongnext(data):
    buf = (data / "mseed" / "broken" / "obspy-libmseed2-test__corrupt-blockettes-wrongnext.mseed").read_bytes()
    return bytearray(buf), "corrupt blockette chain"


CASES = [
    v2_int32_midnight_150,
    v3_int32_midnight_5000,
    v3_count_huge,
    v2_data_offset_past_record,
    v2_rate_minus_32768,
    v3_rate_1e_9,
    v3_rate_1e15,
    v3_bad_crc,
    v2_unknown_encoding,
    wrongnext,
]


def limit_memory():
    """Runs in the child: 4 GB of address space at most (a hostile record once made
    `scan` grow past 14 GB)."""
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def pymseed_refuses(buf: bytes) -> bool:
    """Whether libmseed 3.5.4 refuses the record with its samples (or reads none)."""
    try:
        recs = list(pymseed.MS3Record.from_buffer(buf, unpack_data=True, validate_crc=True))
    except Exception:
        return True
    return not recs


RATE_CASES = {v2_rate_minus_32768, v3_rate_1e_9, v3_rate_1e15}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_hostile_record(case, data, tmp_path):
    rec, reason = case(data)
    if case in RATE_CASES:
        # libmseed reads it (no physical bound there); its rate is checked below.
        rate = next(iter(pymseed.MS3Record.from_buffer(bytes(rec)))).samprate
    else:
        # The oracle: libmseed refuses it too (the same record unchanged it reads).
        assert pymseed_refuses(bytes(rec)), "pymseed reads the hostile record"
    good = first(data, "libmseed__reference-testdata-steim2.v2.mseed")
    assert not pymseed_refuses(bytes(good))
    # The hostile record between two good records of another stream.
    other = bytearray(good)
    other[8:13] = b"GOOD "
    path = tmp_path / "in.mseed"
    path.write_bytes(bytes(other) + bytes(rec) + bytes(other))

    p = subprocess.run(
        [siqaco_bin(), "scan", "--format", "json", str(path)], capture_output=True, timeout=120,
        preexec_fn=limit_memory,
    )
    assert p.returncode == 3, p.stderr.decode()
    doc = json.loads(p.stdout)
    errors = doc["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["offset"] == len(other)
    assert reason in errors[0]["message"], errors[0]["message"]
    if case in RATE_CASES:
        named = float(re.match(r"sample rate (\S+) Hz", errors[0]["message"]).group(1))
        assert named == rate, (named, rate)
    # Only the good stream is counted.
    assert [s["nslc"] for s in doc["streams"]] == ["XX.GOOD..BHZ"]

    root = tmp_path / "archive"
    p = subprocess.run(
        [siqaco_bin(), "merge", "--into", str(root), "--encoding", "steim2", str(path)],
        capture_output=True,
        timeout=120,
        preexec_fn=limit_memory,
    )
    assert p.returncode not in (0, -11, 101), p.stderr.decode()
    err = p.stderr.decode()
    assert f"{path}: byte offset {len(other)}: " in err and reason in err, err
    # (the archive lock a writing merge takes stays, by design)
    written = [f for f in root.rglob("*") if f.is_file() and f.name != ".siqaco-update.lock"] if root.exists() else []
    assert written == [], written
