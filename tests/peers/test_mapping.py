"""Stream mappings over time (issue 22 item 4, `[[streams.mapping]]`, `--mapping`): an archive
where one station was renamed mid-way (tests/peers/renamed_archive.py, built with ObsPy and
byte edits, independently of siqaco) scans and serves as ONE stream equal to the unrenamed
original; siqaco-py/tests/test_mapping.py reads it.
"""

from __future__ import annotations

import io
import json
import subprocess
import urllib.request
from pathlib import Path

import obspy
import pytest

from conftest import run_scan, siqaco_bin
from renamed_archive import MAPPING, T, build, records


@pytest.fixture(scope="module")
def renamed(data, tmp_path_factory):
    """(renamed archive, mapping file, number of records renamed)."""
    return build(data / "sds-small", tmp_path_factory.mktemp("mapping"))


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


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read() if r.status == 200 else b""


def record_list(paths) -> list[tuple[str, int, int, list[int]]]:
    """(id, first sample ns, samples, values) of each record of the files, read one record
    at a time by ObsPy, sorted."""
    out = []
    for path in paths:
        for _, rec in records(path):
            (tr,) = obspy.read(io.BytesIO(rec))
            out.append((tr.id, tr.stats.starttime.ns, tr.stats.npts, tr.data.tolist()))
    return sorted(out)


@pytest.fixture(scope="module")
def served(renamed, tmp_path_factory):
    """Two `siqaco serve`: of the renamed archive indexed and served with the mapping, and
    without it."""
    from serving import Server

    root, mapping, _ = renamed
    work = tmp_path_factory.mktemp("mapping-serve")
    servers = {}
    try:
        for name, extra in (("mapped", ["--mapping", str(mapping)]), ("plain", [])):
            cat = work / f"{name}.sqlite"
            subprocess.run(
                [siqaco_bin(), "index", str(root), "--db", str(cat), *extra],
                check=True,
                capture_output=True,
            )
            servers[name] = Server(
                ["--catalogue", str(cat), "--archive", str(root), *extra],
                work / f"{name}.log",
            )
        yield servers
    finally:
        for s in servers.values():
            s.stop()


def test_dataselect_serves_the_mapped_stream_as_the_original(data, served, tmp_path):
    query = "/fdsnws/dataselect/1/query?net=BW&sta=BGLD&loc=--&cha=EHE"
    body = fetch(served["mapped"].url + query)
    out = tmp_path / "served.mseed"
    out.write_bytes(body)
    got = record_list([out])
    want = record_list(sorted(data.glob("sds-small/*/BW/BGLD/EHE.D/*")))
    # Every record of the original, same samples, under the original codes.
    assert {r[0] for r in got} == {"BW.BGLD..EHE"}
    assert got == want
    # Without the mapping, the server gives only the records that kept their codes.
    plain = tmp_path / "plain.mseed"
    plain.write_bytes(fetch(served["plain"].url + query))
    assert 0 < len(record_list([plain])) < len(want)


def test_availability_shows_one_stream(served):
    query = "/fdsnws/availability/1/extent?format=geocsv&cha=EHE"
    ids = {}
    for name in ("mapped", "plain"):
        lines = fetch(served[name].url + query).decode().splitlines()
        rows = [l.split("|") for l in lines if l and not l.startswith("#")][1:]
        ids[name] = sorted(".".join(r[:4]) for r in rows)
    assert ids["mapped"] == ["BW.BGLD..EHE"]
    assert ids["plain"] == ["BW.BGLD..EHE", "XX.OLD.00.EHE"]


def test_fetch_asks_the_source_for_the_old_codes(renamed, tmp_path):
    """`siqaco fetch --select BW.BGLD..EHE --mapping`: from an archive that holds the station
    under its old codes before T, every record comes, stored as recorded."""
    root, mapping, n = renamed

    def fetched(*extra: str) -> list[bytes]:
        out = tmp_path / ("out" + "".join(extra).replace("/", "_"))
        subprocess.run(
            [siqaco_bin(), "fetch", "--source", str(root), "--select", "BW.BGLD..EHE",
             "--start", "2007-12-31", "--end", "2008-01-02", "--out", str(out), *extra],
            check=True, capture_output=True,
        )
        return sorted(rec for f in sorted(out.rglob("*.D.*")) for _, rec in records(f))

    source = sorted(
        rec
        for pattern in ("*/BW/BGLD/EHE.D/*", "*/XX/OLD/EHE.D/*")
        for f in sorted(root.glob(pattern))
        for _, rec in records(f)
    )
    assert fetched("--mapping", str(mapping)) == source
    # Without the mapping, only the records recorded as BW.BGLD..EHE.
    assert len(fetched()) == len(source) - n


def report_of(catalogue, out, *extra):
    """The HTML page and its embedded figures' data of `siqaco report`."""
    subprocess.run(
        [siqaco_bin(), "report", "--db", str(catalogue), "--out", str(out), *extra],
        check=True,
        capture_output=True,
    )
    html = (out / "report.html").read_text()
    start = html.index('<script type="application/json" id="siqaco-report-data">')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return html, json.loads(body)


def test_report_lists_the_mapping(renamed, tmp_path):
    root, mapping, _ = renamed
    cat = tmp_path / "cat.sqlite"
    subprocess.run(
        [siqaco_bin(), "index", str(root), "--db", str(cat), "--mapping", str(mapping)],
        check=True,
        capture_output=True,
    )
    html, data = report_of(cat, tmp_path / "mapped", "--mapping", str(mapping))
    # The mapping as the file gives it (renamed_archive.MAPPING), in the data and the page.
    assert data["mappings"] == [
        {"from": "XX.OLD.00.EHE", "to": "BW.BGLD..EHE", "start": None,
         "end": T.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    ]
    assert 'id="mappings"' in html and "XX.OLD.00.EHE" in html
    # One stream, named by the mapping.
    ehe = [s["nslc"] for s in data["streams"] if s["nslc"].endswith(".EHE")]
    assert ehe == ["BW.BGLD..EHE"]
    # Without --mapping the report says nothing of mappings.
    html, data = report_of(cat, tmp_path / "plain")
    assert "mappings" not in data and 'id="mappings"' not in html
