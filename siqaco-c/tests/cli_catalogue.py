#!/usr/bin/env python3
"""Prints `siqaco stats --db DB --format json` (read on stdin) in the line format of
examples/fortran/index_stats.f90 (extents, gaps, per-day statistics), so that
scripts/test-c can diff the catalogue queries of the C ABI against the CLI's numbers."""
import json
import sys

report = json.load(sys.stdin)
streams = report["streams"]
for s in streams:
    print("extent", s["nslc"], s["earliest"], s["latest"])
for s in streams:
    for g in s["gaps"]:
        print(
            "gap",
            s["nslc"],
            g["start"],
            g["end"],
            f"{g['duration_s']:.6f}",
            g["missing_samples"],
            g["last_sample"] or "-",
            g["next_sample"] or "-",
            g["edge"] or "-",
        )
for s in streams:
    for d in s["days"]:
        print(
            "day",
            s["nslc"],
            d["start"],
            d["num_gaps"],
            f"{d['sum_gaps']:.6f}",
            f"{d['max_gap']:.6f}",
            d["num_overlaps"],
            f"{d['sum_overlaps']:.6f}",
            f"{d['max_overlap']:.6f}",
            f"{d['percent_availability']:.6f}",
        )
