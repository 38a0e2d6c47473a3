"""`siqaco import seiscomp` against ObsPy (issue #22, item 2).

slarchive's bindings select channels with SeedLink selectors ([LL]CCC, `?` one character,
`!` excluding). ObsPy is the oracle of which channels of the inventory each binding names:
`Inventory.select(network, station, location, channel)` with the same patterns, open
epochs only (`endtime` after now, as SeedLink delivers). The written siqaco.toml selects
exactly those streams, and `siqaco update --dry-run` accepts it and checks that many.
"""

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

from obspy import UTCDateTime, read_inventory

from conftest import siqaco_bin

# Station bindings: (station, key-file lines, binding file or None, ObsPy select calls that
# give what the selectors select, channels removed by a negative selector).
BINDINGS = [
    ("FFB1", "slarchive:hh\n", ("profile_hh", "selectors = HH?\nkeep = 30\n"), [{"channel": "HH?"}], set()),
    ("FFB2", "seedlink\nslarchive\n", ("station_BW_FFB2", 'selectors = "BH? !BH1"\n'), [{"channel": "BH?"}], {"BH1"}),
    ("FFB3", "seedlink\n", None, [], set()),
    ("RJOB", "slarchive\n", None, [{}], set()),
]


def test_selection_is_what_obspy_selects(data, tmp_path):
    keys = tmp_path / "etc" / "key"
    (keys / "slarchive").mkdir(parents=True)
    for sta, lines, binding, _, _ in BINDINGS:
        (keys / f"station_BW_{sta}").write_text(lines)
        if binding:
            (keys / "slarchive" / binding[0]).write_text(binding[1])
    inv_dir = tmp_path / "inventory"
    inv_dir.mkdir()
    for f in ["obspy-core__ffbx.stationxml", "obspy-core__BW_RJOB.xml"]:
        shutil.copy(data / "stationxml" / f, inv_dir / f)

    inv = read_inventory(str(inv_dir / "obspy-core__ffbx.stationxml")) + read_inventory(
        str(inv_dir / "obspy-core__BW_RJOB.xml")
    )
    now = UTCDateTime()
    want = set()
    for sta, _, _, selects, excluded in BINDINGS:
        for kw in selects:
            for net in inv.select(network="BW", station=sta, **kw):
                for st in net:
                    for ch in st:
                        if ch.code in excluded or (ch.end_date is not None and ch.end_date <= now):
                            continue
                        want.add(f"{net.code}.{st.code}.{ch.location_code}.{ch.code}")
    assert len(want) == 8

    out = tmp_path / "siqaco.toml"
    r = subprocess.run(
        [siqaco_bin(), "import", "seiscomp", "--keys", str(keys), "--inventory", str(inv_dir),
         "--out", str(out), "--format", "json"],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    config = tomllib.loads(out.read_text())
    assert set(config["streams"]["select"]) == want
    assert set(report["streams"]) == want
    assert config["archive"]["path"] == str(tmp_path / "var" / "lib" / "archive")
    assert config["archive"]["layout"] == "sds"

    r = subprocess.run(
        [siqaco_bin(), "update", "--config", str(out), "--dry-run", "--format", "json"],
        capture_output=True, text=True,
    )
    assert r.returncode in (0, 3), r.stderr
    assert json.loads(r.stdout)["streams_checked"] == len(want)
