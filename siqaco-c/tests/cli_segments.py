#!/usr/bin/env python3
"""Prints the segments of `siqaco scan --format json` (read on stdin) as
`NSLC START COUNT` (COUNT = the segment's length times the stream's rate, rounded), for
the streams without overlaps: the segments that examples/c/read_samples.c and
examples/fortran/read_samples.f90 must decode (columns 1, 2 and 4 of their lines)."""
import json
import sys
from datetime import datetime, timezone


def ns(text):
    """ISO 8601 with 6 or 9 decimals and a Z, as the CLI prints times, to ns."""
    whole, frac = text.rstrip("Z").split(".")
    t = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(t.timestamp()) * 10**9 + int(frac.ljust(9, "0"))


report = json.load(sys.stdin)
for s in report["streams"]:
    if s["overlaps"]:
        continue
    for seg in s["segments"]:
        count = round((ns(seg["end"]) - ns(seg["start"])) * s["sample_rate_hz"] / 1e9)
        print(s["nslc"], seg["start"], count)
