"""siqaco's scan against the peers, file by file: libmseed's trace list (pymseed, libmseed
3.5.4) and ObsPy's get_gaps, on every readable miniSEED file of the test data set.

The peers' own outputs are the oracle: their traces are turned into union coverage,
gaps and overlaps with the definition of docs/gaps.md (union joined within half a period,
overlaps = maximal intervals covered twice or more), and compared with siqaco's JSON.
"""

import os

import pytest
from conftest import data_dir, run_scan
from pymseed import MS3TraceList

MSEED_FILES = sorted((data_dir() / "mseed").glob("*.mseed"))
US = 1_000  # 1 µs in ns


def parse_ns(text: str) -> int:
    """ISO 8601 'YYYY-MM-DDTHH:MM:SS.fffffffffZ' to ns without float rounding."""
    from datetime import datetime, timezone

    date, frac = text.rstrip("Z").split(".")
    dt = datetime.strptime(date, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    sec = int(dt.timestamp())
    return sec * 1_000_000_000 + int(frac.ljust(9, "0"))


def sid_key(sid: str) -> str:
    """N.S.L.C of a source identifier, with libmseed's handling of blank SEED channel
    characters (libmseed builds "B_S_SS" from the raw 3-character field, so a channel of
    blanks gives "__"): the channel part's delimiters are dropped."""
    net, sta, loc, chan = sid.removeprefix("FDSN:").split("_", 3)
    return f"{net}.{sta}.{loc}.{chan.replace('_', '')}"


def libmseed_traces(path):
    """{N.S.L.C: [(start_ns, end_ns_exclusive, rate)]}: libmseed's trace segments (pymseed),
    each spanning its data records: libmseed stretches a segment's end time to the start of
    a record without samples, which covers nothing (docs/gaps.md), and text records are not
    coverage either."""
    try:
        tl = MS3TraceList(str(path), validate_crc=False, record_list=True)
    except Exception:
        tl = MS3TraceList(str(path), validate_crc=False, record_list=True, skip_not_data=True)
    out = {}
    for tid in tl:
        for seg in tid:
            if seg.samprate <= 0 or seg.samplecnt <= 0:
                continue
            recs = [r for r in seg.recordlist if r.record.samplecnt > 0 and r.record.encoding != 0]
            if not recs:
                continue
            period = round(1e9 / seg.samprate)
            start = min(r.record.starttime for r in recs)
            end = max(r.endtime for r in recs) + period
            out.setdefault(sid_key(tid.sourceid), []).append((start, end, seg.samprate))
    return out


def union_and_overlaps(traces, rate):
    tol = round(0.5e9 / rate)
    segs = []
    for s, e, _ in sorted(traces):
        if segs and s - segs[-1][1] < tol:
            segs[-1][1] = max(segs[-1][1], e)
        else:
            segs.append([s, e])
    ev = sorted([(s, 1) for s, _, _ in traces] + [(e, -1) for _, e, _ in traces])
    depth, start, ovs = 0, None, []
    for x, d in ev:
        depth += d
        if depth >= 2 and start is None:
            start = x
        elif depth < 2 and start is not None:
            if x - start >= tol:
                ovs.append((start, x))
            start = None
    return segs, ovs


# Files whose records libmseed reads but siqaco's validation gate refuses (docs/records.md;
# the full list, with reasons, is `GATED` in siqaco-core/tests/record_vs_libmseed.rs).
GATED = {
    # location field 0xF0 'A': libmseed cuts it to "" (the 'A' lost), siqaco refuses it
    "obspy-io-mseed__gecko_non_ascii_header.ms.mseed": "location code byte 0xF0",
}


@pytest.mark.parametrize("path", MSEED_FILES, ids=lambda p: p.name)
def test_file_against_libmseed_trace_list(path):
    status, doc = run_scan(str(path))
    ours = {s["nslc"]: s for s in doc["streams"]}
    if path.name in GATED:
        assert status == 3 and not ours
        assert any(GATED[path.name] in e["message"] for e in doc["errors"]), doc["errors"]
        return
    ref = libmseed_traces(path)
    assert set(ours) == set(ref), f"streams differ: {sorted(ours)} vs {sorted(ref)}"
    for sid, traces in ref.items():
        s = ours[sid]
        rate = s["sample_rate_hz"]
        segs, ovs = union_and_overlaps(traces, rate)
        got = [(parse_ns(x["start"]), parse_ns(x["end"])) for x in s["segments"]]
        assert len(got) == len(segs), f"{sid}: segments {len(got)} vs libmseed {len(segs)}"
        for (a, b), (c, d) in zip(got, segs):
            assert abs(a - c) <= US and abs(b - d) <= US, f"{sid}: segment {a}-{b} vs {c}-{d}"
        gaps = s["gaps"]
        assert len(gaps) == len(segs) - 1
        for g, (p, n) in zip(gaps, zip(segs, segs[1:])):
            assert abs(parse_ns(g["start"]) - p[1]) <= US
            assert abs(parse_ns(g["end"]) - n[0]) <= US
            assert g["missing_samples"] == round((n[0] - p[1]) / 1e9 * rate)
        got_ov = [(parse_ns(x["start"]), parse_ns(x["end"])) for x in s["overlaps"]]
        assert len(got_ov) == len(ovs), f"{sid}: overlaps {got_ov} vs {ovs}"
        for (a, b), (c, d) in zip(got_ov, ovs):
            assert abs(a - c) <= US and abs(b - d) <= US


def obspy_gaps(path):
    import obspy

    try:
        st = obspy.read(str(path), headonly=True, format="MSEED")
    except Exception:
        return None
    if any(tr.stats.npts == 0 for tr in st):
        # ObsPy counts a record without samples as coverage up to one period after its
        # start time; siqaco does not (it covers nothing). Compared with libmseed above.
        return None
    return st.get_gaps()


@pytest.mark.parametrize("path", [p for p in MSEED_FILES if ".v3." not in p.name], ids=lambda p: p.name)
def test_file_against_obspy_get_gaps(path):
    """Where ObsPy sees no overlap, its gap list is siqaco's, entry for entry."""
    gl = obspy_gaps(path)
    if gl is None:
        pytest.skip("ObsPy cannot read this file, or it holds records without samples")
    _, doc = run_scan(str(path))
    by_nslc = {s["nslc"]: s for s in doc["streams"]}
    obspy_by = {}
    for net, sta, loc, cha, t0, t1, delta, nsamp in gl:
        obspy_by.setdefault(f"{net}.{sta}.{loc}.{cha}", []).append((t0, t1, delta, nsamp))
    for nslc, entries in obspy_by.items():
        if any(delta < 0 for _, _, delta, _ in entries):
            continue  # overlaps: ObsPy compares consecutive traces; checked against libmseed above
        s = by_nslc[nslc]
        assert len(s["gaps"]) == len(entries), f"{nslc}: {s['gaps']} vs {entries}"
        for g, (t0, t1, delta, nsamp) in zip(s["gaps"], entries):
            assert abs(parse_ns(g["last_sample"]) - t0.ns) <= US
            assert abs(parse_ns(g["next_sample"]) - t1.ns) <= US
            assert abs(g["duration_s"] - delta) < 1e-6
            assert g["missing_samples"] == nsamp
    # and no gap of ours is unknown to ObsPy when it sees no overlap at all
    if not any(delta < 0 for *_, delta, _ in gl):
        assert sum(len(s["gaps"]) for s in doc["streams"]) == len(gl)


def manifest_rows():
    import json

    rows = json.loads((data_dir() / "MANIFEST.json").read_text())
    return [r for r in rows if r["kind"] == "mseed" and r.get("msi_G") is not None]


@pytest.mark.parametrize("row", manifest_rows(), ids=lambda r: r["file"].split("/")[-1])
def test_file_against_manifest_msi_gap_list(row):
    """msi 4.3.0's `-G` list as recorded in MANIFEST.json: where msi reports no overlap for a
    stream, its gaps are siqaco's (last sample, next sample to 1 µs; samples exact)."""
    from pymseed import MS3Record

    path = data_dir() / row["file"]
    if any(r.samplecnt == 0 and r.samprate > 0 for r in MS3Record.from_file(str(path))):
        pytest.skip("libmseed stretches a trace to a record without samples (see the libmseed test)")
    _, doc = run_scan(str(path))
    by_nslc = {s["nslc"]: s for s in doc["streams"]}
    msi = {}
    for g in row["msi_G"]:
        msi.setdefault(g["nslc"], []).append(g)
    for nslc, entries in msi.items():
        if any(float(g["gap_s"]) < 0 for g in entries):
            continue  # msi compares consecutive traces; overlaps are checked against libmseed above
        gaps = by_nslc[nslc]["gaps"]
        assert len(gaps) == len(entries), f"{nslc}: {gaps} vs {entries}"
        for g, m in zip(gaps, entries):
            assert abs(parse_ns(g["last_sample"]) - parse_ns(m["last_sample"])) <= US
            assert abs(parse_ns(g["next_sample"]) - parse_ns(m["next_sample"])) <= US
            assert g["missing_samples"] == int(m["samples"])


def test_shared_data_present(data):
    assert len(MSEED_FILES) > 100
