#!/usr/bin/env python3
"""Prints the summary of `siqaco update --format json` or `siqaco stack run --format json`
(read on stdin) in the "KEY VALUE" line format of examples/c/update_archive.c and
examples/fortran/update_archive.f90 (times in ns since 1970, "-" when unset), so that
scripts/test-c can diff the C and Fortran outputs against the CLI's numbers."""
import calendar
import json
import sys
import time


def ns(text):
    """ISO 8601 as printed by the CLI (YYYY-MM-DDTHH:MM:SS.ffffff[fff]Z) -> ns; "" -> "-"."""
    if not text:
        return "-"
    base, _, frac = text.rstrip("Z").partition(".")
    seconds = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return str(seconds * 1_000_000_000 + int((frac or "0").ljust(9, "0")))


summary = json.load(sys.stdin)
print("window_start_ns", ns(summary["window_start"]))
print("window_end_ns", ns(summary["window_end"]))
for key in (
    "streams_checked",
    "gaps_found",
    "requests_created",
    "requests_sent",
    "requests_succeeded",
    "requests_failed",
    "samples_added",
    "requests_left",
):
    print(key, summary[key])
print("planned_count", len(summary["planned"]))
print("warning_count", len(summary["warnings"]))
print("dry_run", int(summary["dry_run"]))
