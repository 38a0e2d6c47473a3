#!/usr/bin/env python3
"""Write stationxml_obspy.json: what ObsPy's read_inventory sees in every StationXML file
of the test data set (tests/data/stationxml/), for siqaco-core/tests/stationxml.rs.

Usage:  /tmp/venv/bin/python make_stationxml_oracle.py [DATA_DIR] > stationxml_obspy.json
(DATA_DIR defaults to $SIQACO_TEST_DATA or the repository's tests/data.)

Times are given as ObsPy's ISO string and as integer nanoseconds since 1970 UTC written as
a decimal *string* (UTCDateTime.ns), because dates such as 2599-12-31 do not fit in i64.
`sample_rate_hz` is the rule siqaco documents: <SampleRate> when present, else
NumberSamples / NumberSeconds of <SampleRateRatio>, else null.
`schema_version` is the root's schemaVersion attribute (ElementTree; ObsPy does not keep it).
"""
import json
import os
import sys
import warnings
import xml.etree.ElementTree as ET

import obspy
from obspy import read_inventory


def t(x):
    if x is None:
        return None
    return {"iso": str(x), "ns": str(x.ns)}


def opt_float(x):
    return None if x is None else float(x)


def channel(net, sta, c):
    sens = None
    stages = 0
    if c.response is not None:
        stages = len(c.response.response_stages)
        s = c.response.instrument_sensitivity
        if s is not None:
            sens = {
                "value": opt_float(s.value),
                "frequency_hz": opt_float(s.frequency),
                "input_units": s.input_units,
                "output_units": s.output_units,
            }
    rate = c.sample_rate
    if rate is None and c.sample_rate_ratio_number_samples is not None \
            and c.sample_rate_ratio_number_seconds:
        rate = c.sample_rate_ratio_number_samples / c.sample_rate_ratio_number_seconds
    da = None
    if c.data_availability is not None:
        da = [t(c.data_availability.start), t(c.data_availability.end)]
    return {
        "nslc": f"{net.code}.{sta.code}.{c.location_code}.{c.code}",
        "network": net.code, "station": sta.code,
        "location": c.location_code, "channel": c.code,
        "start": t(c.start_date), "end": t(c.end_date),
        "restricted_status": c.restricted_status,
        "sample_rate": opt_float(c.sample_rate),
        "sample_rate_ratio": [c.sample_rate_ratio_number_samples,
                              c.sample_rate_ratio_number_seconds],
        "sample_rate_hz": opt_float(rate),
        "latitude": float(c.latitude), "longitude": float(c.longitude),
        "elevation_m": float(c.elevation), "depth_m": float(c.depth),
        "azimuth_deg": opt_float(c.azimuth), "dip_deg": opt_float(c.dip),
        "sensitivity": sens, "response_stages": stages,
        "types": list(c.types or []),
        "data_availability": da,
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = (sys.argv[1] if len(sys.argv) > 1 else
            os.environ.get("SIQACO_TEST_DATA",
                           os.path.join(here, "..", "..", "..", "tests", "data")))
    sdir = os.path.join(data, "stationxml")
    out = {"generated_with": {"obspy": obspy.__version__},
           "script": "siqaco-core/tests/data/make_stationxml_oracle.py",
           "files": []}
    for name in sorted(os.listdir(sdir)):
        path = os.path.join(sdir, name)
        entry = {"file": "stationxml/" + name}
        entry["schema_version"] = ET.parse(path).getroot().get("schemaVersion")
        try:
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                inv = read_inventory(path, format="STATIONXML")
        except Exception as e:  # noqa: BLE001
            entry["obspy_error"] = f"{type(e).__name__}: {e}"
            out["files"].append(entry)
            continue
        entry["obspy_error"] = None
        entry["obspy_warnings"] = [str(x.message) for x in w]
        entry["source"] = inv.source
        entry["sender"] = inv.sender
        entry["created"] = t(inv.created)
        nets = []
        for net in inv:
            stas = []
            for sta in net:
                stas.append({
                    "code": sta.code, "start": t(sta.start_date), "end": t(sta.end_date),
                    "restricted_status": sta.restricted_status,
                    "latitude": float(sta.latitude), "longitude": float(sta.longitude),
                    "elevation_m": float(sta.elevation),
                    "site_name": sta.site.name if sta.site is not None else None,
                    "channels": [channel(net, sta, c) for c in sta],
                })
            nets.append({
                "code": net.code, "start": t(net.start_date), "end": t(net.end_date),
                "restricted_status": net.restricted_status,
                "description": net.description, "stations": stas,
            })
        entry["networks"] = nets
        entry["n_channels"] = sum(len(s["channels"]) for n in nets for s in n["stations"])
        out["files"].append(entry)
    json.dump(out, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
