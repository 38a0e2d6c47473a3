#!/usr/bin/env python3
"""Prints the gaps of `siqaco scan --format json` (read on stdin) in the line format of
examples/c/scan_gaps.c and examples/fortran/scan_gaps.f90, so that scripts/test-c can diff
the C and Fortran outputs against the CLI's numbers."""
import json
import sys

report = json.load(sys.stdin)
for stream in report["streams"]:
    for gap in stream["gaps"]:
        print(
            stream["nslc"],
            gap["start"],
            gap["end"],
            f"{gap['duration_s']:.6f}",
            gap["missing_samples"],
            gap["last_sample"] or "-",
            gap["next_sample"] or "-",
            gap["edge"] or "-",
        )
