"""Notebook-style example: scan an SDS archive on a Dask cluster with siqaco.distributed and
print the summary; the result is the single-machine scan's, exactly.

    python examples/python/dask_scan.py [ARCHIVE] [WORKERS]

Without arguments it scans ``tests/data/sds-small`` of the repository on a LocalCluster of 2 worker
processes (one thread each). On a real cluster, replace the LocalCluster cell by the
cluster of your site (docs/scale.md): ``dask_jobqueue.SLURMCluster`` on SLURM, a
``dask_kubernetes`` cluster or the Dask Helm chart's scheduler address on Kubernetes. The
workers must see the archive at the same path. Needs ``pip install siqaco[dask]``. Each cell
can be pasted into a Jupyter notebook.
"""

# %% imports
import sys
from pathlib import Path

from dask.distributed import Client, LocalCluster

import siqaco
import siqaco.distributed

if __name__ == "__main__":  # worker processes import this file too
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "tests" / "data" / "sds-small"
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2

    # %% a cluster on this machine: one process per core, one thread each
    cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1)
    client = Client(cluster)
    print(client)

    # %% scan: files listed once here, station-day partitions read in the workers,
    # traces combined here with the single-machine rules
    report = siqaco.distributed.scan(client, root, partition_files=8, per_day=True)
    print(f"{len(report.streams)} streams, {report.files} files, {report.records} records, "
          f"{len(report.errors)} file errors")
    for s in report.streams:
        gaps = s["gaps"]
        largest = max((g["duration_s"] for g in gaps), default=0.0)
        print(f"{s['nslc']:18} {s['earliest']} .. {s['latest']}  {s['traces']:3} trace(s), "
              f"{len(gaps)} gap(s), largest {largest:.3f} s")

    # %% the same document as one machine's scan
    assert report.to_dict() == siqaco.scan(root, per_day=True).to_dict()
    print("equal to siqaco.scan")

    # %% done
    client.close()
    cluster.close()
