"""The any-bytes property against libmseed (issue #16, item 6).

For hostile inputs (the records of the issue as test_record_gate_vs_pymseed.py builds them,
random bytes, and real records of $SIQACO_TEST_DATA/mseed with bytes flipped and header
fields rewritten: sample count, rate factor/multiplier, data offset, blockette chain and
blockette 1000; v3 rate, encoding, sample count, lengths),
`siqaco merge` (keeping the encoding, and re-encoding to Steim2) either fails with an error
(exit status 1, 2 or 3 with a message) or writes an archive that

* libmseed (pymseed, strict: no skipping) reads back completely, every record decoding to
  its header's sample count, and
* holds only samples present in the input: every archive sample has the value of a sample
  of the same stream within half a sample period of its time, in a record libmseed
  decodes on its own (a value decoded from past a record's data, or from a record libmseed
  refuses, is an invented sample).

Every run is a child process under RLIMIT_AS and RLIMIT_CPU: a signal (segmentation fault,
abort on allocation, CPU limit) or a panic (exit 101) fails the test. libmseed runs in a
child process too, so that a record that crashes it fails one case instead of the session.
The exit statuses of scan, index and qc on the same inputs are checked by the Rust property
test siqaco-core/tests/any_bytes.rs.
"""

import json
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import data_dir, siqaco_bin

pytest.importorskip("pymseed")

MEM_LIMIT = 1 << 30  # address space of one siqaco run
CPU_LIMIT_S = 20
MAX_INPUT = 16 * 1024
N_RANDOM = 6
N_MUTATED = 24

V2_FIELDS = [(30, 2), (32, 2), (34, 2), (39, 1), (40, 4), (44, 2), (46, 2), (52, 1), (53, 1), (54, 1)]
V3_FIELDS = [(15, 1), (16, 8), (24, 4), (28, 4), (33, 1), (34, 2), (36, 4)]
FIELD_VALUES = [0, 1, 2, 255, 0x8000, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]

# Runs in a child Python: reads miniSEED with libmseed (pymseed) and prints JSON.
# mode "strict": every record of every file must read and decode to its sample count.
# mode "oracle": the samples of every record libmseed decodes on its own, at any offset
# that looks like a header (libmseed's own resynchronisation, without its stop at errors).
READER = r"""
import json, sys, pymseed
mode, paths = sys.argv[1], sys.argv[2:]
recs, errors = [], []

def add(r):
    if r.samprate > 0 and r.samplecnt > 0 and r.encoding != 0:
        recs.append([r.sourceid, r.starttime, r.samprate,
                     [float(v) for v in r.np_datasamples]])

def looks_like_header(b):
    if b[:3] == b"MS\x03":
        return True
    return (len(b) >= 8 and all(c in b"0123456789 \x00" for c in b[:6])
            and b[6:7] in (b"D", b"R", b"Q", b"M") and b[7:8] in (b" ", b"\x00"))

for p in paths:
    buf = open(p, "rb").read()
    if mode == "strict":
        try:
            for r in pymseed.MS3Record.from_buffer(buf, unpack_data=True):
                if r.numsamples != r.samplecnt and r.encoding != 0:
                    errors.append(f"{p}: {r.sourceid} decoded {r.numsamples} of {r.samplecnt}")
                add(r)
        except Exception as e:
            errors.append(f"{p}: {e}")
    else:
        for off in range(len(buf)):
            if not looks_like_header(buf[off:off + 8]):
                continue
            try:
                r = next(iter(pymseed.MS3Record.from_buffer(buf[off:], unpack_data=True)))
            except Exception:
                continue
            if r.numsamples == r.samplecnt:
                add(r)
print(json.dumps({"records": recs, "errors": errors}))
"""


def limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S))


def libmseed_read(mode, paths):
    p = subprocess.run([sys.executable, "-c", READER, mode, *map(str, paths)],
                       capture_output=True, check=False)
    if p.returncode != 0:
        return None, f"libmseed reader exited {p.returncode}: {p.stderr.decode()[-500:]}"
    return json.loads(p.stdout), None


def issue_cases(d):
    """The hostile records of issue #16 as the validation gate's peer test builds them from
    real records (test_record_gate_vs_pymseed.CASES: sample counts past the data, data
    offset past the record, rates outside 1e-6 to 1e6 Hz, bad CRC, unknown encoding,
    corrupt blockette chain)."""
    import test_record_gate_vs_pymseed as gate
    return [(f"issue-{build.__name__}", bytes(build(d)[0])) for build in gate.CASES]


def hostile_inputs():
    """(case id, bytes): the records of the issue, random bytes and mutated real records
    (from a fixed seed)."""
    rng = random.Random(16)
    d = data_dir()
    if not (d / "mseed").is_dir():
        return []
    files = sorted(p for p in (d / "mseed").iterdir()
                   if p.is_file() and 0 < p.stat().st_size <= 64 * 1024)
    cases = issue_cases(d)
    for i in range(N_RANDOM):
        cases.append((f"random-{i}", rng.randbytes(rng.randrange(0, MAX_INPUT))))
    for i in range(N_MUTATED):
        f = rng.choice(files)
        b = bytearray(f.read_bytes()[:MAX_INPUT])
        fields = V3_FIELDS if b[:3] == b"MS\x03" else V2_FIELDS
        edits = []
        for _ in range(rng.randrange(1, 4)):
            if rng.random() < 0.4:
                at, mask = rng.randrange(len(b)), rng.randrange(1, 256)
                b[at] ^= mask
                edits.append(f"flip{at}")
            else:
                off, width = rng.choice(fields)
                v = rng.choice(FIELD_VALUES + [rng.getrandbits(64)]) % (1 << (8 * width))
                b[off:off + width] = v.to_bytes(width, rng.choice(["big", "little"]))
                edits.append(f"f{off}={v:#x}")
        cases.append((f"{f.stem[:40]}-{'-'.join(edits)}", bytes(b)))
    return cases


CASES = hostile_inputs()

# The known limit of docs/records.md: a record whose header passes the validation gate but
# whose data does not decode is copied byte for byte when the merge keeps the encoding (it
# is refused, naming file and offset, whenever the merge decodes). Listed by case id and
# encoding; strict, so a case that starts passing must be moved out of this list.
NO_B1000 = ("a v2 record without blockette 1000 (libmseed: decoded as Steim1, which fails) "
            "is copied into the archive")
KNOWN_DEFECTS = {
    ("obspy-libmseed2-test__Float64-encoded-f54=0xff-f52=0xff-flip3963", None):
        "blockette 1000 encoding 255 (unknown) is copied into the archive",
    ("obspy-libmseed2-test__pack-Int16-encoded-f46=0x0-flip3545-f52=0x1", None): NO_B1000,
    ("obspy-io-mseed__SRO_encoding-flip11476-flip10191-f46=0xffff", None): NO_B1000,
    ("libmseed__testdata-encoding-SRO.v2-flip809-f46=0x0", None): NO_B1000,
    ("obspy-io-mseed__WUQ.XJ.HHN.D.2008.285.fi-flip1987-f34=0xffff-flip1913", None):
        "a Steim2 record whose frames do not decode to its sample count is copied",
}


def params():
    out = []
    for case, data in CASES:
        for encoding in (None, "steim2"):
            why = KNOWN_DEFECTS.get((case, encoding))
            marks = [pytest.mark.xfail(reason=f"known limit (docs/records.md): {why}", strict=True)] if why else []
            out.append(pytest.param(case, data, encoding, marks=marks,
                                    id=f"{case}-{encoding or 'keep'}"))
    return out


def check_only_input_samples(archive, oracle, what):
    """Every archive sample equals a sample of the same stream of `oracle` within half a
    sample period."""
    import numpy as np
    by_sid = {}
    for sid, t0, rate, vals in oracle:
        period = 1e9 / rate
        t = t0 + np.arange(len(vals)) * period
        by_sid.setdefault(sid, []).append((t, np.asarray(vals)))
    for sid, t0, rate, vals in archive:
        assert sid in by_sid, f"{what}: stream {sid} has no record libmseed reads in the input"
        half = 0.5e9 / rate
        for i, v in enumerate(vals):
            t = t0 + i * 1e9 / rate
            found = any(np.any((np.abs(ts - t) <= half) & ((vs == v) | (np.isnan(vs) & np.isnan(v))))
                        for ts, vs in by_sid[sid])
            assert found, (f"{what}: {sid} sample {i} of the record at {t0} ns, value {v}, "
                           "is not a sample of the input (invented)")


@pytest.mark.parametrize("case,data,encoding", params())
def test_merge_of_hostile_input_is_an_error_or_real_samples(tmp_path, case, data, encoding):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "input.mseed").write_bytes(data)
    arch = tmp_path / "arch"
    args = [siqaco_bin(), "merge", "--into", str(arch), str(inp)]
    if encoding:
        args += ["--encoding", encoding]
    p = subprocess.run(args, capture_output=True, check=False, preexec_fn=limits)
    err = p.stderr.decode(errors="replace")
    assert p.returncode >= 0, f"merge killed by signal {-p.returncode}: {err}"
    assert p.returncode != 101, f"merge panicked: {err}"
    assert p.returncode in (0, 1, 2, 3), f"undocumented exit status {p.returncode}: {err}"
    if p.returncode in (1, 2):
        assert err.strip(), "merge failed without a message"
        return
    files = sorted(f for f in arch.rglob("*") if f.is_file())
    got, why = libmseed_read("strict", files)
    assert got is not None, f"libmseed cannot read the archive back: {why}"
    assert not got["errors"], f"libmseed refuses the archive: {got['errors']}"
    oracle, why = libmseed_read("oracle", [inp / "input.mseed"])
    if oracle is None:
        pytest.skip(f"libmseed cannot read the input, no oracle: {why}")
    check_only_input_samples(got["records"], oracle["records"], f"merge {case}")
