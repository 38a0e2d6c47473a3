"""Notebook-style example: scan an SDS archive with siqaco and plot per-day availability
with matplotlib, then look at one gap with ObsPy.

    python examples/python/scan_and_plot.py [ARCHIVE] [OUT.png]

Without arguments it scans ``tests/data/sds-small`` of the repository and writes ``availability.png``.
Each cell of the script can be pasted into a Jupyter notebook.
"""

# %% imports
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import siqaco  # noqa: E402

root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "tests" / "data" / "sds-small"
out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("availability.png")

# %% scan: headers only, in parallel, GIL released
report = siqaco.scan(root, per_day=True)
print(f"{len(report.streams)} streams, {report.records} records, {len(report.errors)} file errors")
for nslc, gaps in ((s["nslc"], s["gaps"]) for s in report.streams if s["gaps"]):
    print(f"{nslc}: {len(gaps)} gap(s), largest {max(g['duration_s'] for g in gaps):.3f} s")

# %% a table (pandas is optional)
try:
    print(report.to_pandas("days").head())
except ImportError:
    pass

# %% availability matrix: streams x days
days = sorted({d["date"] for s in report.streams for d in s["days"]})
names = [s["nslc"] for s in report.streams]
matrix = np.full((len(names), len(days)), np.nan)
for i, s in enumerate(report.streams):
    for d in s["days"]:
        matrix[i, days.index(d["date"])] = d["percent_availability"]

fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(days) + 4), max(3, 0.22 * len(names) + 1)))
im = ax.imshow(matrix, aspect="auto", cmap="viridis", vmin=0, vmax=100, interpolation="nearest")
ax.set_yticks(range(len(names)), names, fontsize=6)
ax.set_xticks(range(len(days)), days, rotation=90, fontsize=6)
fig.colorbar(im, ax=ax, label="availability (%)")
ax.set_title(f"siqaco: per-day availability of {root.name}")
fig.tight_layout()
fig.savefig(out, dpi=120)
print(f"wrote {out}")

# %% samples around the first gap, with ObsPy if installed
first = next((s for s in report.streams if s["gaps"]), None)
if first is not None:
    segments = siqaco.read(root, select=first["nslc"])
    print(f"{first['nslc']}: {len(segments)} segment(s), dtype {segments[0].data.dtype}")
    try:
        print(siqaco.to_obspy(segments))
    except ImportError:
        pass
