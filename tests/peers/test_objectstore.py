"""Archives in S3-compatible object storage (issue #20), against a real S3 server.

The server is moto's (`moto_server` from PyPI `moto[server]`, installed by
scripts/bootstrap), started on 127.0.0.1 by these tests and stopped by its process id.
sds-small is uploaded with plain S3 requests (PUT, path style) under SDS and under the key
patterns the four public data centres document (SCEDC, NCEDC, EarthScope, GeoNet), built
here from those descriptions, not by siqaco. Between siqaco and the server runs a small
proxy (a thread of this process on 127.0.0.1) that counts the requests and can answer
errors in the server's place (503 SlowDown, 403 ExpiredToken): moto cannot throttle.

- scan, streams, index, stats and qc of the bucket give the same documents as of the
  directory; catalogue rows are equal except `filename` (the object's s3:// URL);
- a scan costs one LIST per prefix it needs and one GET per day file (counted at the proxy);
- re-indexing after one object is overwritten reads only that object;
- a missing object, a truncated object, throttling and an expired credential each give a
  clear error naming the object or the request.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import siqaco_bin
from s3_server import BUCKET, Proxy, env_for, s3  # noqa: F401 (s3: fixture)
from update_scenario import full  # noqa: F401 (fixture: the complete archive of the update tests)

COLUMNS = (
    "network,station,location,channel,version,starttime,endtime,samplerate,"
    "byteoffset,bytes,hash,timeindex,timespans,timerates,format"
)


def siqaco(proxy: Proxy, *args: str, ok=(0,), **env: str) -> subprocess.CompletedProcess:
    p = subprocess.run([siqaco_bin(), *args], capture_output=True, env=env_for(proxy, **env), check=False)
    assert p.returncode in ok, (p.returncode, p.stderr.decode())
    return p


def sds_files(sds: Path) -> list[tuple[str, Path]]:
    return sorted((p.relative_to(sds).as_posix(), p) for p in sds.rglob("*") if p.is_file())


def codes(rel: str) -> tuple[str, str, str, str, str, str]:
    """NET, STA, LOC, CHA, YEAR, DOY of an SDS file name."""
    net, sta, loc, cha, _, year, doy = rel.rsplit("/", 1)[1].split(".")
    return net, sta, loc, cha, year, doy


# The public layouts as the data centres describe their keys (docs/object-storage.md).
def scedc_key(n, s, l, c, y, d):
    return f"continuous_waveforms/{y}/{y}_{d}/{n:_<2}{s:_<5}{c:_<3}{l:_<2}_{y}{d}.ms"


def ncedc_key(n, s, l, c, y, d):
    return f"continuous_waveforms/{n}/{y}/{y}.{d}/{s}.{n}.{c}.{l}.D.{y}.{d}"


def earthscope_key(n, s, l, c, y, d):  # one object per station-day
    return f"miniseed/{n}/{y}/{d}/{s}.{n}.{y}.{d}"


def geonet_key(n, s, l, c, y, d):
    return f"waveforms/miniseed/{y}/{y}.{d}/{s}.{n}/{y}.{d}.{s}.{l}-{c}.{n}.D"


LAYOUTS = {
    "scedc": scedc_key,
    "ncedc": ncedc_key,
    "earthscope": earthscope_key,
    "geonet": geonet_key,
}


@pytest.fixture(scope="module")
def uploaded(s3, data) -> dict[str, str]:
    """sds-small under `sds/` (SDS) and under each public layout (`<name>/`): layout name
    to root URL."""
    moto, _ = s3
    sds = data / "sds-small"
    roots = {"sds": f"s3://{BUCKET}/sds"}
    for rel, p in sds_files(sds):
        moto.put(f"sds/{rel}", p.read_bytes())
    for name, key in LAYOUTS.items():
        objects: dict[str, bytes] = {}
        for rel, p in sds_files(sds):
            k = f"{name}/{key(*codes(rel))}"
            objects[k] = objects.get(k, b"") + p.read_bytes()
        for k, body in objects.items():
            moto.put(k, body)
        roots[name] = f"s3://{BUCKET}/{name}"
    return roots


def scan_json(proxy: Proxy, root: str, *args: str, **env: str) -> dict:
    p = siqaco(proxy, "scan", root, "--format", "json", *args, ok=(0, 3), **env)
    return json.loads(p.stdout)


@pytest.mark.parametrize("layout", ["sds", *LAYOUTS])
def test_scan_of_the_bucket_equals_the_scan_of_the_directory(s3, uploaded, data, layout):
    _, proxy = s3
    ours = scan_json(proxy, uploaded[layout], "--layout", layout)
    local = scan_json(proxy, str(data / "sds-small"))
    # EarthScope's objects are station-days: fewer files, the same records
    objects = {LAYOUTS.get(layout, ncedc_key)(*codes(r)) for r, _ in sds_files(data / "sds-small")}
    assert ours.pop("files") == len(objects) == (14 if layout == "earthscope" else 37)
    assert local.pop("files") == 37
    assert ours == local


def test_a_scan_costs_one_list_per_prefix_and_one_get_per_day_file(s3, uploaded, data):
    _, proxy = s3
    proxy.take()
    # one day: 2010-058 (IU.COLA and XX.TEST: 7 day files, and the day before is empty)
    ours = scan_json(proxy, uploaded["sds"], "--start", "2010-02-27", "--end", "2010-02-28")
    local = scan_json(proxy, str(data / "sds-small"), "--start", "2010-02-27", "--end", "2010-02-28")
    assert ours == local
    reqs = proxy.take()
    gets = [p for m, p in reqs if m == "GET" and "list-type" not in p and "delimiter" not in p]
    lists = [p for m, p in reqs if m == "GET" and ("list-type" in p or "delimiter" in p)]
    in_2010 = [r for r, _ in sds_files(data / "sds-small") if r.startswith("2010/")]
    assert len(gets) == ours["files"] == len([r for r in in_2010 if r.endswith(".2010.058")]) == 7
    # one LIST per prefix the walk needs: the root (years), then 2010/ and every directory
    # under it (the names of 2010's networks, stations and channels can all hold the day)
    prefixes = {""} | {str(Path(*Path(r).parts[:k])) for r in in_2010 for k in range(1, 4 + 1)}
    assert len(lists) == len(prefixes)


def test_streams_of_the_bucket_equal_the_directory(s3, uploaded, data):
    _, proxy = s3
    ours = siqaco(proxy, "streams", uploaded["sds"]).stdout
    local = siqaco(proxy, "streams", str(data / "sds-small")).stdout
    assert ours == local and len(ours.splitlines()) > 20
    geonet = siqaco(proxy, "streams", uploaded["geonet"], "--layout", "geonet").stdout
    assert geonet == local


def rows(db: Path) -> list[tuple]:
    q = f"SELECT {COLUMNS}, filename FROM tsindex ORDER BY network, station, location, channel, starttime"
    return sqlite3.connect(db).execute(q).fetchall()


@pytest.mark.parametrize("layout", ["sds", "ncedc"])
def test_index_rows_equal_except_filename_and_stats_equal(s3, uploaded, data, tmp_path, layout):
    _, proxy = s3
    ours_db, local_db = tmp_path / "bucket.sqlite", tmp_path / "local.sqlite"
    siqaco(proxy, "index", uploaded[layout], "--layout", layout, "--db", str(ours_db), "--hash")
    siqaco(proxy, "index", str(data / "sds-small"), "--db", str(local_db), "--hash")
    ours, local = rows(ours_db), rows(local_db)
    assert [r[:-1] for r in ours] == [r[:-1] for r in local]
    assert len(ours) == 37
    key = LAYOUTS.get(layout)
    for o, l in zip(ours, local):
        rel = Path(l[-1]).relative_to((data / "sds-small").resolve()).as_posix()
        want = rel if key is None else key(*codes(rel))
        assert o[-1] == f"{uploaded[layout]}/{want}"
    so = siqaco(proxy, "stats", "--db", str(ours_db), "--format", "json").stdout
    sl = siqaco(proxy, "stats", "--db", str(local_db), "--format", "json").stdout
    assert json.loads(so) == json.loads(sl)


def test_qc_of_the_bucket_equals_the_directory(s3, uploaded, data):
    _, proxy = s3
    args = ["--metadata", str(data / "stationxml"), "--format", "json"]
    ours = siqaco(proxy, "qc", "--archive", uploaded["sds"], *args, ok=(0, 3, 4, 5))
    local = siqaco(proxy, "qc", "--archive", str(data / "sds-small"), *args, ok=(0, 3, 4, 5))
    assert ours.returncode == local.returncode
    assert json.loads(ours.stdout) == json.loads(local.stdout)


def test_reindex_reads_only_the_overwritten_object(s3, data, tmp_path):
    moto, proxy = s3
    sds = data / "sds-small"
    files = sds_files(sds)
    for rel, p in files:
        moto.put(f"re/{rel}", p.read_bytes())
    db = tmp_path / "c.sqlite"
    root = f"s3://{BUCKET}/re"
    first = siqaco(proxy, "index", root, "--db", str(db)).stderr.decode()
    assert "37 read" in first
    proxy.take()
    again = siqaco(proxy, "index", root, "--db", str(db)).stderr.decode()
    assert "0 read, 37 unchanged" in again
    assert not [p for m, p in proxy.take() if m == "GET" and "list-type" not in p and "delimiter" not in p]
    # overwrite one object with another day file's bytes
    rel, _ = files[0]
    other = files[-1][1].read_bytes()
    time.sleep(1.1)  # S3 modification times have whole seconds
    moto.put(f"re/{rel}", other)
    proxy.take()
    third = siqaco(proxy, "index", root, "--db", str(db)).stderr.decode()
    assert "1 read, 36 unchanged" in third
    gets = [p for m, p in proxy.take() if m == "GET" and "list-type" not in p and "delimiter" not in p]
    assert gets == [f"/{BUCKET}/re/{rel}"]
    got = sqlite3.connect(db).execute(
        "SELECT network, station, channel, bytes FROM tsindex WHERE filename=?", (f"{root}/{rel}",)
    ).fetchall()
    assert sum(r[3] for r in got) == len(other)


def test_missing_and_truncated_objects_are_named_and_nothing_else_is_lost(s3, data):
    moto, proxy = s3
    sds = data / "sds-small"
    files = sds_files(sds)
    for rel, p in files:
        moto.put(f"bad/{rel}", p.read_bytes())
    victim = next(rel for rel, p in files if p.stat().st_size > 8192)
    body = (sds / victim).read_bytes()
    moto.put(f"bad/{victim}", body[: len(body) // 2 + 100])  # cut inside a record
    ours = scan_json(proxy, f"s3://{BUCKET}/bad")
    assert ours["files"] == 37
    assert [e["path"] for e in ours["errors"]] == [victim]
    # every other stream is reported as from the directory
    local = scan_json(proxy, str(sds))
    nslc = ".".join(codes(victim)[:4])
    assert [s for s in ours["streams"] if s["nslc"] != nslc] == [
        s for s in local["streams"] if s["nslc"] != nslc
    ]
    # objects given one by one: a missing one is named with what the store said, the
    # others are read
    present = f"s3://{BUCKET}/bad/{files[0][0]}"
    missing = f"s3://{BUCKET}/bad/2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.059"
    both = json.loads(siqaco(proxy, "scan", present, missing, "--format", "json", ok=(3,)).stdout)
    assert both["files"] == 1
    [e] = both["errors"]
    assert e["path"] == missing and "404" in e["message"] and "no such object" in e["message"]


def test_throttling_is_retried_then_reported(s3, uploaded, data):
    _, proxy = s3
    local = scan_json(proxy, str(data / "sds-small"))
    # 2 answers 503 SlowDown: retried with back-off, the scan is complete
    proxy.fail = (503, "SlowDown", 2)
    assert scan_json(proxy, uploaded["sds"]) == local
    # always 503: after the retries the error names the request and what the store said
    proxy.fail = (503, "SlowDown", -1)
    try:
        p = siqaco(proxy, "scan", uploaded["sds"], "--format", "json", ok=(1,), SIQACO_S3_RETRIES="1")
    finally:
        proxy.fail = None
    err = p.stderr.decode()
    assert "LIST" in err and "503" in err and "slow down" in err and f"s3://{BUCKET}/sds" in err


def test_expired_credential_is_a_clear_error(s3, uploaded):
    _, proxy = s3
    proxy.fail = (403, "ExpiredToken", -1)
    try:
        p = siqaco(proxy, "scan", uploaded["sds"], "--format", "json", ok=(1,))
    finally:
        proxy.fail = None
    err = p.stderr.decode()
    assert "403" in err and "ExpiredToken" in err and "credential" in err


def test_plain_http_endpoint_only_on_loopback(s3, uploaded):
    _, proxy = s3
    p = siqaco(proxy, "scan", uploaded["sds"], ok=(1, 2), AWS_ENDPOINT_URL="http://192.0.2.1:9000")
    err = p.stderr.decode()
    assert "loopback" in err and "http://192.0.2.1:9000" in err


def test_anonymous_access_to_a_public_bucket(s3, data):
    moto, proxy = s3
    sds = data / "sds-small"
    for rel, p in sds_files(sds):
        moto.put(f"public/{rel}", p.read_bytes(), public=True)
    env = {"AWS_SKIP_SIGNATURE": "true"}
    proxy.take()
    ours = scan_json(proxy, f"s3://{BUCKET}/public", **env)
    assert proxy.signed and not any(proxy.signed)  # no request was signed
    assert ours == scan_json(proxy, str(sds))


def test_credentials_from_a_profile_of_the_shared_files(s3, uploaded, data, tmp_path):
    """The credential chain's middle: with no key in the environment, the profile named by
    AWS_PROFILE in AWS_SHARED_CREDENTIALS_FILE signs the requests (the proxy lets only that
    access key id through) and AWS_CONFIG_FILE's `[profile NAME]` gives the endpoint and
    the region; a wrong key in the file is refused, a missing profile is a clear error."""
    _, proxy = s3
    creds, conf = tmp_path / "credentials", tmp_path / "config"
    creds.write_text("[default]\naws_access_key_id = AKIDEFAULT\naws_secret_access_key = x\n\n"
                     "[archive]\naws_access_key_id = AKIPROFILE\naws_secret_access_key = secret/key+1\n")
    conf.write_text(f"[profile archive]\nregion = us-east-1\nendpoint_url = {proxy.url}\n")
    base = env_for(proxy)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_REGION"):
        base.pop(k)
    base.update(HOME=str(tmp_path), AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_CONFIG_FILE=str(conf),
                AWS_PROFILE="archive",
                # the instance role is the chain's last resort: never the real metadata address here
                AWS_METADATA_ENDPOINT="http://127.0.0.1:9")

    def scan(**env):
        return subprocess.run([siqaco_bin(), "scan", uploaded["sds"], "--format", "json"], capture_output=True,
                              env={**base, **env}, check=False)

    local = scan_json(proxy, str(data / "sds-small"))
    proxy.require_key = "AKIPROFILE"
    try:
        proxy.take()
        p = scan()
        assert p.returncode == 0, p.stderr.decode()
        assert json.loads(p.stdout) == local
        assert proxy.take()  # the requests went through the proxy (the endpoint of the config file)
        # the default profile's key is refused by the proxy: the named profile was what signed
        p = scan(AWS_PROFILE="default", AWS_ENDPOINT_URL=proxy.url)
        err = p.stderr.decode()
        assert p.returncode == 1 and "403" in err and "InvalidAccessKeyId" in err, err
        # the environment wins over the profile
        p = scan(AWS_ACCESS_KEY_ID="AKIPROFILE", AWS_SECRET_ACCESS_KEY="s", AWS_PROFILE="default",
                 AWS_ENDPOINT_URL=proxy.url)
        assert p.returncode == 0, p.stderr.decode()
    finally:
        proxy.require_key = None
    p = scan(AWS_PROFILE="nosuch")
    err = p.stderr.decode()
    assert p.returncode != 0 and '"nosuch"' in err and str(creds) in err and str(conf) in err, err


def test_serve_follows_catalogue_rows_into_the_bucket(s3, uploaded, data, tmp_path):
    """`siqaco serve` of a catalogue whose rows name objects answers dataselect with the
    same bytes as the catalogue of the directory (the rows are read with ranged GETs)."""
    from serving import Server

    _, proxy = s3
    ours_db, local_db = tmp_path / "bucket.sqlite", tmp_path / "local.sqlite"
    siqaco(proxy, "index", uploaded["sds"], "--db", str(ours_db))
    siqaco(proxy, "index", str(data / "sds-small"), "--db", str(local_db))
    ours = Server(["--catalogue", str(ours_db)], tmp_path / "ours.log", env=env_for(proxy))
    local = Server(["--catalogue", str(local_db)], tmp_path / "local.log")
    queries = [
        "net=IU&sta=COLA&loc=00&cha=BHZ&start=2010-02-27T06:30:00&end=2010-02-27T07:00:00",
        "net=IU&sta=COLA&cha=LH?&start=2010-02-27T00:00:00&end=2010-02-28T00:00:00",
        "net=BW&sta=FFB1&start=2016-03-11T00:00:00&end=2016-03-12T00:00:00",
    ]
    try:
        proxy.take()
        for q in queries:
            got = [
                urllib.request.urlopen(f"{s.url}/fdsnws/dataselect/1/query?{q}", timeout=60).read()
                for s in (ours, local)
            ]
            assert got[0] == got[1] and len(got[0]) > 0, q
        reqs = proxy.take()
        assert reqs and all(m == "GET" and "list-type" not in p for m, p in reqs)
    finally:
        ours.stop()
        local.stop()


def test_update_from_a_bucket_source_fills_the_holes_exactly(s3, full, tmp_path):
    """`kind = "objectstore"` in `[[sources]]`: the holes cut out of an archive (the
    scenario of the update tests, tests/peers/update_scenario.py) are filled from the
    complete archive in a bucket, sample for sample (ObsPy), availability from the
    listing."""
    import random

    import update_scenario as sc

    moto, proxy = s3
    for p in sc.day_files(full):
        moto.put(f"full/{p.relative_to(full).as_posix()}", p.read_bytes())
    assert sc.cut_holes(full, tmp_path / "arch", random.Random(7)) > 0
    config = sc.write_config(tmp_path, "siqaco.sqlite", full)
    text = config.read_text()
    source = f'kind = "archive"\npath = "{full}"'
    assert source in text
    config.write_text(text.replace(source, f'kind = "objectstore"\nurl = "s3://{BUCKET}/full"'))
    p = siqaco(proxy, "update", "--config", str(config), "--start", sc.WINDOW[0], "--end", sc.WINDOW[1],
               "--format", "json")
    assert sc.samples(tmp_path / "arch") == sc.samples(full), p.stderr.decode()
    assert sc.leftovers(tmp_path / "arch") == []


def records_reversed(body: bytes) -> bytes:
    """The same records in the reverse order: an object of the same size and other bytes
    at each offset (record length from ObsPy)."""
    import io

    from obspy.io.mseed.util import get_record_information

    n = get_record_information(io.BytesIO(body))["record_length"]
    assert len(body) % n == 0 and len(body) > n
    return b"".join(body[i : i + n] for i in range(len(body) - n, -1, -n))


def object_gets(proxy: Proxy) -> list[str]:
    return [p for m, p in proxy.take() if m == "GET" and "list-type" not in p and "delimiter" not in p]


def test_reindex_finds_an_object_rewritten_with_the_same_size_by_its_etag(s3, data, tmp_path):
    """Re-indexing compares an object's ETag and size (from the LIST), not its
    last-modified time: an object rewritten at once with other bytes of the same size is
    read again, exactly that one, and the catalogue keeps the ETag the store gives (S3's
    ETag of a single PUT: the MD5 of the body, in quotes)."""
    import hashlib

    moto, proxy = s3
    files = sds_files(data / "sds-small")
    for rel, p in files:
        moto.put(f"et/{rel}", p.read_bytes())
    db = tmp_path / "c.sqlite"
    root = f"s3://{BUCKET}/et"
    assert "37 read" in siqaco(proxy, "index", root, "--db", str(db)).stderr.decode()
    rel = "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"
    new = records_reversed((data / "sds-small" / rel).read_bytes())
    moto.put(f"et/{rel}", new)  # no pause: the same second as likely as not
    proxy.take()
    again = siqaco(proxy, "index", root, "--db", str(db)).stderr.decode()
    assert "1 read, 36 unchanged" in again
    assert object_gets(proxy) == [f"/{BUCKET}/et/{rel}"]
    con = sqlite3.connect(db)
    etags = dict(con.execute("SELECT path, etag FROM siqaco_files").fetchall())
    assert etags[f"{root}/{rel}"] == f'"{hashlib.md5(new).hexdigest()}"'
    assert all(
        etags[f"{root}/{r}"] == f'"{hashlib.md5(p.read_bytes()).hexdigest()}"' for r, p in files if r != rel
    )
    got = con.execute("SELECT sum(bytes) FROM tsindex WHERE filename=?", (f"{root}/{rel}",)).fetchone()
    assert got[0] == len(new)


def test_a_catalogue_row_of_an_object_changed_since_indexing_is_a_clear_error(s3, data, tmp_path):
    """The issue's "wrong ETag": `siqaco serve` follows a catalogue row into the bucket with
    a ranged GET sent with `If-Match` (the ETag indexed); once the object is replaced, the
    request fails with an error naming the object and saying to re-index, never records
    of the other object read at the old offsets. After re-indexing it answers again."""
    from serving import Server

    moto, proxy = s3
    for rel, p in sds_files(data / "sds-small"):
        moto.put(f"wr/{rel}", p.read_bytes())
    db = tmp_path / "c.sqlite"
    root = f"s3://{BUCKET}/wr"
    siqaco(proxy, "index", root, "--db", str(db))
    rel = "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"
    q = "net=IU&sta=COLA&loc=00&cha=BHZ&start=2010-02-27T06:30:00&end=2010-02-27T07:00:00"
    server = Server(["--db", str(db)], tmp_path / "serve.log", env=env_for(proxy))
    try:
        url = f"{server.url}/fdsnws/dataselect/1/query?{q}"
        before = urllib.request.urlopen(url, timeout=60).read()
        assert len(before) > 0
        moto.put(f"wr/{rel}", records_reversed((data / "sds-small" / rel).read_bytes()))
        proxy.take()
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url, timeout=60).read()
        body = e.value.read().decode()
        assert e.value.code == 500, body
        assert f"{root}/{rel}" in body and "changed since it was indexed" in body and "re-index" in body
        assert "412" in body
        assert object_gets(proxy) == [f"/{BUCKET}/wr/{rel}"]  # one ranged GET, refused
        siqaco(proxy, "index", root, "--db", str(db))
        after = urllib.request.urlopen(url, timeout=60).read()
        assert sorted(before[i : i + 512] for i in range(0, len(before), 512)) == sorted(
            after[i : i + 512] for i in range(0, len(after), 512)
        )
    finally:
        server.stop()


def bucket_keys(moto, prefix: str) -> list[str]:
    """The keys under `prefix/` (ListObjectsV2 of the server itself, not through siqaco)."""
    import xml.etree.ElementTree as ET

    keys, token = [], None
    while True:
        q = f"/{BUCKET}?list-type=2&prefix={prefix}/" + (f"&continuation-token={token}" if token else "")
        assert moto.request("GET", q) == 200, moto.last
        root = ET.fromstring(moto.last)
        ns = {"s": root.tag.split("}")[0].strip("{")}
        keys += [k.text for k in root.findall("s:Contents/s:Key", ns)]
        token = root.findtext("s:NextContinuationToken", namespaces=ns)
        if not token:
            return sorted(keys)


def download(moto, prefix: str, dest: Path) -> Path:
    for k in bucket_keys(moto, prefix):
        assert moto.request("GET", f"/{BUCKET}/{k}") == 200, k
        out = dest / k[len(prefix) + 1 :]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(moto.last)
    return dest


def bucket_archive(moto, full: Path, tmp_path: Path, prefix: str) -> tuple[Path, set[str]]:
    """The update scenario's archive with holes (tests/peers/update_scenario.py) uploaded
    under `prefix/`, and a siqaco.toml whose final archive is that bucket prefix (the
    source: the complete archive on disk). Returns the configuration and the day files
    the holes touch (relative paths)."""
    import random

    import update_scenario as sc

    holed = tmp_path / "holed"
    assert sc.cut_holes(full, holed, random.Random(7)) > 0
    for p in sc.day_files(holed):
        moto.put(f"{prefix}/{p.relative_to(holed).as_posix()}", p.read_bytes())
    touched = {
        p.relative_to(full).as_posix()
        for p in sc.day_files(full)
        if not (holed / p.relative_to(full)).exists() or (holed / p.relative_to(full)).read_bytes() != p.read_bytes()
    }
    config = sc.write_config(tmp_path, "siqaco.sqlite", full)
    text = config.read_text()
    assert 'path = "arch"' in text
    config.write_text(text.replace('path = "arch"', f'path = "s3://{BUCKET}/{prefix}"', 1))
    return config, touched


# The prefix of the staged copies under a bucket archive (merge/bucket.rs).
STAGING = ".siqaco-staging"


def journal_and_locks(db: Path) -> tuple[list, list]:
    con = sqlite3.connect(db)
    return (
        con.execute("SELECT * FROM siqaco_object_journal").fetchall(),
        con.execute("SELECT * FROM siqaco_archive_locks").fetchall(),
    )


def test_a_bucket_as_the_final_archive_has_its_holes_filled_exactly(s3, full, tmp_path):
    """`[archive] path = "s3://..."`: `siqaco update` fills the holes of an archive in a
    bucket from a local archive, sample for sample (ObsPy: the bucket's objects downloaded
    against the complete archive); the day objects the holes touch are written, each by
    whole-object PUTs (conditional on the ETag read, If-Match), no other object is written,
    no staging object is left, the journal and the lock rows are empty."""
    import update_scenario as sc

    moto, proxy = s3
    config, touched = bucket_archive(moto, full, tmp_path, "final-a")
    proxy.take()
    p = siqaco(proxy, "update", "--config", str(config), "--start", sc.WINDOW[0], "--end", sc.WINDOW[1],
               "--format", "json", ok=(0, 3))
    summary = json.loads(p.stdout)
    assert summary["requests_left"] == 0, p.stdout.decode()
    reqs = proxy.take()
    staging = f"/{BUCKET}/final-a/{STAGING}/"
    puts = [path for m, path in reqs if m == "PUT" and not path.startswith(staging)]
    # (a day file with two holes is written by each of their requests' merges)
    assert sorted(set(puts)) == sorted(f"/{BUCKET}/final-a/{r}" for r in touched)
    # each day object first staged (a new key under the staging prefix, one per PUT of the
    # object), the staged copy deleted once the object is written
    staged = [path for m, path in reqs if m == "PUT" and path.startswith(staging)]
    assert len(staged) == len(set(staged)) == len(puts)
    assert sorted(p.split("/", 5)[5] for p in staged) == sorted(p[len(f"/{BUCKET}/final-a/"):] for p in puts)
    assert sorted(path for m, path in reqs if m == "DELETE") == sorted(staged)
    # each PUT asks for the version the merge read: the first of an object the holed
    # object's ETag (the MD5 of its bytes), a later one the ETag of an object written since
    # (If-Match, another MD5); a day object that was missing is created only if still
    # absent (If-None-Match: *)
    import hashlib

    holed = tmp_path / "holed"
    conditions = [c for c in proxy.put_conditions if c[0].startswith(f"/{BUCKET}/final-a/")]
    assert all(c[1:] == (None, "*") for c in conditions if c[0].startswith(staging))
    conditions = [c for c in conditions if not c[0].startswith(staging)]
    assert [c[0] for c in conditions] == puts
    seen: set[str] = set()
    for path, if_match, if_none_match in conditions:
        before = holed / path[len(f"/{BUCKET}/final-a/"):]
        if path in seen:
            assert if_match is not None and if_none_match is None, path
        elif before.exists():
            assert (if_match, if_none_match) == (f'"{hashlib.md5(before.read_bytes()).hexdigest()}"', None), path
        else:
            assert (if_match, if_none_match) == (None, "*"), path
        seen.add(path)
    got = download(moto, "final-a", tmp_path / "got")
    assert sc.samples(got) == sc.samples(full)
    assert bucket_keys(moto, "final-a") == sorted(f"final-a/{p.relative_to(full).as_posix()}" for p in sc.day_files(full))
    assert journal_and_locks(tmp_path / "siqaco.sqlite") == ([], [])


def kill_when(proxy, args: list[str], prefix: str, after: str) -> int:
    """Runs `args` (a siqaco command writing into the bucket prefix `prefix`) with a pause
    after the staged copies of a merge are written and after each PUT of a day object
    (`SIQACO_MERGE_STEP_DELAY_MS`), and kills it (SIGKILL) when the proxy has seen the
    first PUT of a staged copy (`after="staged"`: no day object written) or of a day
    object (`after="final"`). Returns its pid."""
    import os
    import signal

    staging = f"/{BUCKET}/{prefix}/{STAGING}/"
    seen = {
        "staged": lambda path: path.startswith(staging),
        "final": lambda path: path.startswith(f"/{BUCKET}/{prefix}/") and not path.startswith(staging),
    }[after]
    proxy.take()
    proc = subprocess.Popen(args, env=env_for(proxy, SIQACO_MERGE_STEP_DELAY_MS="3000"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(m == "PUT" and seen(path) for m, path in list(proxy.requests)):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
        time.sleep(0.05)
    time.sleep(0.5)  # the PUT answered, within the pause that follows it
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return proc.pid


def killed_journal(db: Path, pid: int) -> list:
    """The journal rows (run, url, old ETag, size, MD5, state) a run killed by `kill_when`
    left: some `commit`; its lock row is still there."""
    journal, locks = journal_and_locks(db)
    assert len(locks) == 1 and locks[0][1].endswith(f" {pid}")
    assert any(r[5] == "commit" for r in journal), journal
    return journal


def kill_mid_write(moto, proxy, full: Path, tmp_path: Path, prefix: str, after: str):
    """`siqaco update` into a bucket (`bucket_archive`) killed while it writes
    (`kill_when`). Returns the configuration, the catalogue, the dead run's pid and the
    journal rows it left."""
    import update_scenario as sc

    config, _ = bucket_archive(moto, full, tmp_path, prefix)
    db = tmp_path / "siqaco.sqlite"
    args = [siqaco_bin(), "update", "--config", str(config), "--start", sc.WINDOW[0], "--end", sc.WINDOW[1]]
    pid = kill_when(proxy, args, prefix, after)
    return config, db, pid, killed_journal(db, pid)


def object_bytes(moto, url: str) -> bytes | None:
    """The object `s3://BUCKET/key` read from the server itself; `None` when absent."""
    status = moto.request("GET", "/" + url[len("s3://"):])
    return moto.last if status == 200 else None


def md5_etag(body: bytes | None) -> str | None:
    import hashlib

    return None if body is None else f'"{hashlib.md5(body).hexdigest()}"'


def without_sources(config: Path, full: Path, tmp_path: Path) -> Path:
    """The configuration with its source's archive replaced by an empty directory: the
    re-run can take nothing from the sources."""
    empty = tmp_path / "no-source"
    empty.mkdir()
    text = config.read_text()
    assert f'path = "{full}"' in text
    config.write_text(text.replace(f'path = "{full}"', f'path = "{empty}"'))
    return config


def assert_part_of(body: bytes, complete: Path) -> None:
    """Every sample of the day object `body` is the complete day file's sample at its time
    (pymseed decodes both), none twice (no two records of a stream overlap)."""
    import pymseed

    def traces(data: bytes):
        out = {}
        for rec in pymseed.MS3Record.from_buffer(data, unpack_data=True):
            out.setdefault(rec.sourceid, []).append(
                (rec.starttime, rec.samprate, list(rec.datasamples))
            )
        return out

    got, want = traces(body), traces(complete.read_bytes())
    assert got and set(got) <= set(want)
    for sid, recs in got.items():
        by_time = {}
        for start, rate, data in want[sid]:
            for i, v in enumerate(data):
                by_time[start + round(i * 1e9 / rate)] = v
        times = [start + round(i * 1e9 / rate) for start, rate, data in recs for i in range(len(data))]
        assert len(times) == len(set(times)), f"{sid}: a sample twice"
        values = [v for _, _, data in recs for v in data]
        assert [by_time.get(t) for t in times] == values, sid


@pytest.mark.parametrize("after", ["staged", "final"])
def test_a_killed_bucket_write_is_rolled_forward_without_the_sources(s3, full, tmp_path, after):
    """`siqaco update` into a bucket killed (SIGKILL) after the first PUT of a staged copy
    (no day object written yet) or of a day object: every day object is whole (its old or
    new version), the journal names each with its state. The next run, whose source is
    unreachable (an empty directory), rolls the journal forward from the staged copies
    (one HEAD per `commit` row; for an object still old, one GET of its staged copy,
    checked by size and MD5, and the conditional PUT): each journaled object is then its
    new version (the MD5 of the journal), every sample of it is the complete archive's at
    that time and none is there twice (pymseed), no staged copy is left, the journal and
    the lock are empty. A third run with the source fills the rest: every sample of the
    complete archive, none twice (ObsPy)."""
    import obspy

    import update_scenario as sc

    moto, proxy = s3
    prefix = f"final-b-{after}"
    config, db, _, journal = kill_mid_write(moto, proxy, full, tmp_path, prefix, after)
    committed = [r for r in journal if r[5] == "commit"]
    for f in sc.day_files(download(moto, prefix, tmp_path / "mid")):
        assert sum(tr.stats.npts for tr in obspy.read(str(f))) > 0  # whole
    states = {r[1]: md5_etag(object_bytes(moto, r[1])) for r in committed}
    if after == "staged":  # the objects of the merge that staged them are all still old
        assert any(states[r[1]] == r[2] for r in committed), (committed, states)
    else:
        assert any(states[r[1]] == r[4] for r in committed), (committed, states)
    proxy.take()
    without_sources(config, full, tmp_path)
    p = siqaco(proxy, "update", "--config", str(config), "--start", sc.WINDOW[0], "--end", sc.WINDOW[1],
               "--format", "json", ok=(0, 3))
    reqs = proxy.take()
    assert sorted(path for m, path in reqs if m == "HEAD") == sorted(
        "/" + r[1][len("s3://"):] for r in committed
    ), p.stderr.decode()
    for _, url, old, size, md5, _ in committed:
        body = object_bytes(moto, url)
        assert md5_etag(body) == md5 and len(body) == size, url
        assert_part_of(body, full / url.split(f"/{prefix}/", 1)[1])
    rolled = [r for r in committed if states[r[1]] == r[2]]
    assert {path for m, path in reqs if m == "PUT"} == {"/" + r[1][len("s3://"):] for r in rolled}
    assert bucket_keys(moto, f"{prefix}/{STAGING}") == []
    assert journal_and_locks(db) == ([], [])
    # the source back: the rest of the holes filled, every sample once
    config.write_text(config.read_text().replace(f'path = "{tmp_path / "no-source"}"', f'path = "{full}"'))
    p = siqaco(proxy, "update", "--config", str(config), "--start", sc.WINDOW[0], "--end", sc.WINDOW[1],
               "--format", "json")
    assert json.loads(p.stdout)["requests_left"] == 0, p.stderr.decode()
    assert sc.samples(download(moto, prefix, tmp_path / "got")) == sc.samples(full)
    assert bucket_keys(moto, prefix) == sorted(f"{prefix}/{p.relative_to(full).as_posix()}" for p in sc.day_files(full))
    assert journal_and_locks(db) == ([], [])


def test_a_damaged_staged_copy_is_a_clear_error_and_nothing_is_overwritten(s3, full, tmp_path):
    """A run killed with staged copies written and no day object yet; one staged copy then
    cut to half its size: the next run's roll-forward refuses it with an error naming the
    day object and its staged copy (not whole: size and MD5 against the journal), the day
    object keeps its old bytes (nothing overwritten) and its journal row is kept."""
    moto, proxy = s3
    prefix = "final-c"
    config, db, _, journal = kill_mid_write(moto, proxy, full, tmp_path, prefix, "staged")
    old = [r for r in journal if r[5] == "commit" and md5_etag(object_bytes(moto, r[1])) == r[2]]
    assert old, journal
    victim = old[0][1]
    keys = bucket_keys(moto, f"{prefix}/{STAGING}")
    rel = victim.split(f"/{prefix}/", 1)[1]
    staged = [k for k in keys if k.endswith("/" + rel)]
    assert len(staged) == 1, (keys, rel)
    assert moto.request("GET", f"/{BUCKET}/{staged[0]}") == 200
    moto.put(staged[0], moto.last[: len(moto.last) // 2])
    before = object_bytes(moto, victim)
    # the staged copies are invisible to a scan and an index of the archive
    root = f"s3://{BUCKET}/{prefix}"
    day_objects = [k for k in bucket_keys(moto, prefix) if not k.startswith(f"{prefix}/{STAGING}/")]
    for layout in ("sds", "files"):
        doc = scan_json(proxy, root, "--layout", layout)
        assert STAGING not in json.dumps(doc) and doc["files"] == len(day_objects), layout
    idx = tmp_path / "index.sqlite"
    siqaco(proxy, "index", root, "--db", str(idx))
    with sqlite3.connect(idx) as con:
        names = {r[0] for r in con.execute("SELECT DISTINCT filename FROM tsindex")}
    assert names == {f"s3://{BUCKET}/{k}" for k in day_objects}
    import update_scenario as sc

    p = siqaco(proxy, "update", "--config", str(config), "--start", sc.WINDOW[0], "--end", sc.WINDOW[1],
               ok=tuple(range(1, 256)))
    err = p.stderr.decode()
    assert victim in err and f"s3://{BUCKET}/{staged[0]}" in err and "not whole" in err, err
    assert "nothing was overwritten" in err, err
    assert object_bytes(moto, victim) == before
    journal_after, locks = journal_and_locks(db)
    assert [r[1] for r in journal_after] == [victim] and locks == []


def holed_bucket(moto, full: Path, tmp_path: Path, prefix: str) -> Path:
    """The update scenario's archive with holes (`bucket_archive`) under `prefix/`; returns
    the holed directory."""
    bucket_archive(moto, full, tmp_path, prefix)
    return tmp_path / "holed"


def merge_of_full(moto, full: Path, tmp_path: Path, prefix: str) -> tuple[Path, str, list[str]]:
    """The holed archive under `prefix/` (`holed_bucket`); returns the catalogue, the root
    and the command merging the complete archive into it."""
    holed_bucket(moto, full, tmp_path, prefix)
    db = tmp_path / "merge.sqlite"
    root = f"s3://{BUCKET}/{prefix}"
    return db, root, [siqaco_bin(), "merge", "--into", root, "--db", str(db), str(full)]


def test_merge_into_a_bucket_equals_the_merge_into_the_directory(s3, full, tmp_path):
    """`siqaco merge --into s3://... --db DB` of the complete archive into its holed
    copy in a bucket: every day object is byte for byte what the same merge writes into
    the holed directory, the holes are filled exactly (ObsPy: every sample of the complete
    archive, none twice); only the changed day objects are written (each staged first,
    the staged copy deleted), the journal and the lock are empty; the reports are equal
    but for the paths."""
    import shutil

    import update_scenario as sc

    moto, proxy = s3
    prefix = "merge-a"
    holed = holed_bucket(moto, full, tmp_path, prefix)
    local = tmp_path / "local"
    shutil.copytree(holed, local)
    db = tmp_path / "merge.sqlite"
    want = json.loads(siqaco(proxy, "merge", "--into", str(local), str(full), "--json").stdout)
    proxy.take()
    got = json.loads(siqaco(proxy, "merge", "--into", f"s3://{BUCKET}/{prefix}", "--db", str(db),
                            str(full), "--json").stdout)
    reqs = proxy.take()
    for report, root in ((want, str(local)), (got, f"s3://{BUCKET}/{prefix}")):
        for d in report["days"]:
            assert d["path"].startswith(root + "/"), d["path"]
            d["path"] = d["path"][len(root) + 1:]
    assert got == want
    changed = sorted(d["path"] for d in want["days"] if d["changed"])
    assert changed
    staging = f"/{BUCKET}/{prefix}/{STAGING}/"
    puts = [path for m, path in reqs if m == "PUT" and not path.startswith(staging)]
    assert sorted(puts) == sorted(f"/{BUCKET}/{prefix}/{r}" for r in changed)
    staged = [path for m, path in reqs if m == "PUT" and path.startswith(staging)]
    assert sorted(path for m, path in reqs if m == "DELETE") == sorted(staged) and len(staged) == len(puts)
    down = download(moto, prefix, tmp_path / "got")
    assert {p.relative_to(down).as_posix(): p.read_bytes() for p in sc.day_files(down)} == {
        p.relative_to(local).as_posix(): p.read_bytes() for p in sc.day_files(local)
    }
    assert sc.samples(down) == sc.samples(full)
    assert journal_and_locks(db) == ([], [])


def test_a_killed_merge_into_a_bucket_is_rolled_forward_by_the_next(s3, full, tmp_path):
    """`siqaco merge` into a bucket killed after its first PUT of a day object: the next
    merge (of one patch that changes nothing) rolls the journal forward from the staged
    copies (`recovered` in its report): each journaled object is its new version (the MD5
    of the journal), every sample of it the complete archive's at that time, none twice
    (pymseed); no staged copy, journal or lock row is left. The merge run again ends with
    every sample of the complete archive (ObsPy)."""
    import update_scenario as sc

    moto, proxy = s3
    prefix = "merge-b"
    db, root, merge = merge_of_full(moto, full, tmp_path, prefix)
    pid = kill_when(proxy, merge, prefix, "final")
    committed = killed_journal(db, pid)
    old = [r for r in committed if md5_etag(object_bytes(moto, r[1])) == r[2]]
    assert old, committed  # objects left to roll forward
    unchanged = next(p for p in sc.day_files(full) if f"{root}/{p.relative_to(full).as_posix()}" not in
                     {r[1] for r in committed})
    report = json.loads(siqaco(proxy, "merge", "--into", root, "--db", str(db), str(unchanged),
                               "--json").stdout)
    assert report["recovered"] is True
    for _, url, _, size, md5, _ in committed:
        body = object_bytes(moto, url)
        assert md5_etag(body) == md5 and len(body) == size, url
        assert_part_of(body, full / url[len(root) + 1:])
    assert bucket_keys(moto, f"{prefix}/{STAGING}") == []
    assert journal_and_locks(db) == ([], [])
    siqaco(proxy, *merge[1:])
    assert sc.samples(download(moto, prefix, tmp_path / "got")) == sc.samples(full)
    assert journal_and_locks(db) == ([], [])


def test_an_object_changed_by_another_writer_during_a_merge_is_not_overwritten(s3, full, tmp_path):
    """While `siqaco merge` into a bucket pauses with every staged copy written (journal rows
    `commit`), another writer replaces one of its day objects: the merge's conditional PUT
    of that object is refused (412), the run fails naming it, the other writer's bytes are
    kept, and that object's row and staged copy are gone (its stale version is never rolled
    forward). The next merge rolls the other rows forward and ends with every sample of the
    complete archive (ObsPy), no staged copy, journal or lock row."""
    import update_scenario as sc

    moto, proxy = s3
    prefix = "merge-c"
    db, root, merge = merge_of_full(moto, full, tmp_path, prefix)
    proc = subprocess.Popen(merge, env=env_for(proxy, SIQACO_MERGE_STEP_DELAY_MS="3000"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
        journal = journal_and_locks(db)[0] if db.exists() else []
        if journal and all(r[5] == "commit" for r in journal):
            break
        time.sleep(0.05)
    victim = journal[len(journal) // 2][1]
    theirs = (full / victim[len(root) + 1:]).read_bytes()
    moto.put(victim[len("s3://") + len(BUCKET) + 1:], theirs)
    err = proc.communicate(timeout=300)[1].decode()
    assert proc.returncode != 0 and victim in err and "another writer" in err, err
    assert object_bytes(moto, victim) == theirs
    left, locks = journal_and_locks(db)
    assert victim not in {r[1] for r in left} and locks == []
    assert not [k for k in bucket_keys(moto, f"{prefix}/{STAGING}") if k.endswith(victim[len(root):])]
    report = json.loads(siqaco(proxy, *merge[1:], "--json").stdout)
    assert report["recovered"] is bool(left)
    assert object_bytes(moto, victim) == theirs
    assert sc.samples(download(moto, prefix, tmp_path / "got")) == sc.samples(full)
    assert bucket_keys(moto, f"{prefix}/{STAGING}") == []
    assert journal_and_locks(db) == ([], [])


def test_merge_without_a_catalogue_and_repair_refuse_a_bucket_and_write_nothing(s3, data, tmp_path):
    """`siqaco merge --into s3://...` without `--db` (a catalogue) is refused with a clear error
    (the journal and the lock of a bucket's writers are in a catalogue), `siqaco repair`
    of a bucket too (no quarantine directory beside it); no PUT is made and no local
    directory named after the URL appears."""
    _, proxy = s3
    proxy.take()
    patch = data / "sds-small" / "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"
    p = subprocess.run([siqaco_bin(), "merge", "--into", f"s3://{BUCKET}/m", str(patch)], capture_output=True,
                       env=env_for(proxy), cwd=tmp_path, check=False)
    err = p.stderr.decode()
    assert p.returncode != 0 and f"s3://{BUCKET}/m" in err and "--db" in err and "catalogue" in err, err
    p = subprocess.run([siqaco_bin(), "repair", f"s3://{BUCKET}/m"], capture_output=True,
                       env=env_for(proxy), cwd=tmp_path, check=False)
    err = p.stderr.decode()
    assert p.returncode != 0 and f"s3://{BUCKET}/m" in err and "quarantine" in err, err
    assert not any(m == "PUT" for m, _ in proxy.take())
    assert not (tmp_path / "s3:").exists()


def test_the_catalogue_source_refuses_a_row_of_an_object_changed_since_indexing(s3, data, tmp_path):
    """`kind = "tsindex"` source whose catalogue rows name objects: the section of an
    object replaced since it was indexed is asked for with If-Match and refused; the
    request's attempt records the error naming the object and saying to re-index, and no
    record of the other object reaches the archive. After re-indexing the source's
    catalogue, the next run fills the day file with the object's records (ObsPy: the same
    samples as the object now holds)."""
    import shutil

    from obspy import read

    moto, proxy = s3
    sds = data / "sds-small"
    for rel, p in sds_files(sds):
        moto.put(f"cs/{rel}", p.read_bytes())
    root = f"s3://{BUCKET}/cs"
    src_db = tmp_path / "source.sqlite"
    siqaco(proxy, "index", root, "--db", str(src_db))
    rel = "2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"
    new = records_reversed((sds / rel).read_bytes())
    moto.put(f"cs/{rel}", new)
    (tmp_path / "final").mkdir()
    cfg = tmp_path / "siqaco.toml"
    cfg.write_text(
        '[archive]\npath = "final"\n[catalogue]\nurl = "cat.sqlite"\n'
        '[streams]\nselect = ["IU.COLA.00.BHZ"]\n[requests]\nretry = { count = 3 }\n'
        f'[[sources]]\nname = "bucket"\nkind = "tsindex"\ntsindex = "{src_db}"\n'
    )
    window = ("--start", "2010-02-27T06:00:00", "--end", "2010-02-27T08:00:00")
    siqaco(proxy, "update", "--config", str(cfg), *window, ok=(3,))
    assert not list((tmp_path / "final").rglob("*.058"))
    listed = json.loads(siqaco(proxy, "stack", "list", "--config", str(cfg), "--attempts", "--format", "json").stdout)
    text = json.dumps(listed)
    assert f"{root}/{rel}" in text and "changed since it was indexed" in text and "re-index" in text
    siqaco(proxy, "index", root, "--db", str(src_db))
    # (the stream starts at 06:50: the hour before stays a gap no source fills, status 3)
    siqaco(proxy, "update", "--config", str(cfg), *window, ok=(0, 3))
    [got] = list((tmp_path / "final").rglob("*.058"))
    shutil.copy(got, tmp_path / "got.mseed")
    (tmp_path / "new.mseed").write_bytes(new)
    want = read(str(tmp_path / "new.mseed")).slice(*(__import__("obspy").UTCDateTime(t) for t in window[1::2]))
    have = read(str(tmp_path / "got.mseed"))
    want.merge()
    have.merge()
    w, h = want[0], have[0]
    assert h.stats.starttime <= w.stats.starttime and h.stats.endtime >= w.stats.endtime
    assert list(h.slice(w.stats.starttime, w.stats.endtime).data) == list(w.data)
