"""Run siqaco's operations on a Dask cluster, with exactly the single-machine result.

Each function takes a :class:`dask.distributed.Client` and the arguments of the
single-machine function of the same name (:func:`siqaco.scan`, :func:`siqaco.index`,
:func:`siqaco.qc`, :func:`siqaco.read`, :func:`siqaco.update`). The first four

1. lists the archive's files **once**, in the calling process (the listing of the
   single-machine call; for :func:`index`, the files that are new or changed since the
   catalogue last saw them), and splits them into partitions of whole station-days (all
   channels of one network, station and day stay together; at least ``partition_files``
   files per partition);
2. runs the core's operation on each partition in the workers (one Dask task per
   partition), which returns a small partial result: traces and counters for ``scan``,
   header values for ``qc``, the rows of each file for ``index`` (never samples), the
   traces with their samples for ``read``;
3. combines the partials in the calling process with the single-machine code path of the
   Rust core (traces are joined with the same rule whatever order they arrive in), so the
   result is equal to the single-machine call's: the same JSON document, the same samples,
   the same catalogue rows. :func:`index` writes each partial as it arrives (the batches
   of files it completes, in the order of one run), while the other workers still read.

:func:`update` is different: it is not split by files but by requests. It runs
:func:`siqaco.update` in ``workers`` Dask tasks at once, each one a worker of the request
stack of one PostgreSQL catalogue (``docs/scale.md``, "Many workers, one catalogue"), and
combines their summaries in the core.

Every task is a pure function of its partition: when a worker is lost, Dask runs its tasks
again elsewhere and the result is still exact. The catalogue of :func:`index` is written by
the calling process only (SQLite or PostgreSQL, as :func:`siqaco.index`); the workers only
read files. The workers must see the archive at the same path as the calling process (a
shared file system).

Needs the optional dependency ``dask[distributed]`` (``pip install siqaco[dask]``); this
module does not import Dask itself (the client is passed in). See ``docs/python.md`` and
``docs/scale.md``.
"""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

import siqaco

from . import _siqaco

if TYPE_CHECKING:  # pragma: no cover
    from dask.distributed import Client

#: The most files per partition when ``partition_files`` is not given: enough work per
#: Dask task (tens of day files, tens of milliseconds to seconds) that the scheduler's
#: overhead of about a millisecond per task does not count.
PARTITION_FILES = 64

#: Partitions per Dask worker thread when ``partition_files`` is not given (when the
#: archive has the files): enough that the workers stay busy until the end (a worker
#: that finishes early takes the next partition) with partitions of whole station-days.
TASKS_PER_THREAD = 4

__all__ = ["PARTITION_FILES", "TASKS_PER_THREAD", "index", "qc", "read", "scan", "update"]


def _arguments(function: Callable[..., Any], args: tuple, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The arguments of ``function(*args, **kwargs)`` by name, defaults filled in (a
    ``TypeError`` for an unknown keyword, as the single-machine call raises)."""
    bound = inspect.signature(function).bind(*args, **kwargs)
    bound.apply_defaults()
    if bound.arguments.get("progress") is not None:
        raise TypeError("progress is not supported by siqaco.distributed (see Dask's dashboard)")
    return dict(bound.arguments)


def _job(op: str, native: Dict[str, Any]) -> Any:
    """The native job of operation ``op`` (``scan``, ``read``, ``index``, ``qc``)."""
    return getattr(_siqaco, op)(**native)


def _partial(op: str, native: Dict[str, Any], partition: bytes) -> bytes:
    """One Dask task: the partial result of one partition (bytes)."""
    return _job(op, native).partial(partition)


def _gather(client: "Client", futures: List[Any]) -> List[bytes]:
    """The partials of every task, in partition order (tasks of a lost worker are run
    again by Dask)."""
    return client.gather(futures)


def _submit(client: "Client", op: str, native: Dict[str, Any], partition_files: Optional[int]) -> Any:
    """Plans in this process and submits one task per partition: ``(job, listing,
    futures)``."""
    job = _job(op, native)
    if partition_files is None:
        # At most PARTITION_FILES files a partition, and TASKS_PER_THREAD partitions per
        # thread of the cluster when the archive has the files.
        threads = sum(client.nthreads().values()) or 1
        listing, partitions = job.plan(PARTITION_FILES, TASKS_PER_THREAD * threads)
    else:
        listing, partitions = job.plan(partition_files)
    # One core per task: Dask runs as many tasks at once as a worker has threads.
    worker_native = dict(native)
    if "threads" in worker_native and worker_native["threads"] is None:
        worker_native["threads"] = 1
    n = len(partitions)
    # Not `pure`: a partial depends on the files' bytes, which a key made of the partition
    # (names, sizes, times) would not cover, so Dask must not reuse the result of an
    # earlier call still in memory.
    futures = client.map(_partial, [op] * n, [worker_native] * n, partitions, pure=False)
    return job, listing, futures


def _run(client: "Client", op: str, native: Dict[str, Any], partition_files: Optional[int]) -> Any:
    """Plan in this process, partials in the workers, combine in this process."""
    job, listing, futures = _submit(client, op, native, partition_files)
    return job.combine(listing, _gather(client, futures))


def _index(client: "Client", native: Dict[str, Any], partition_files: Optional[int]) -> Any:
    """An index: the catalogue is opened (created when missing) and compared with the
    archive here while the workers read, and each partial is written as it arrives (the
    batches of files it completes, in the order of one run), so that little is left to
    write once the last task ends."""
    from dask.distributed import as_completed

    job, _, futures = _submit(client, "index", native, partition_files)
    siqaco._close_unreferenced_sqlite()  # the writer opens the catalogue here
    writer = job.writer()
    for future in as_completed(futures):
        writer.add(future.result())
    return writer.finish()


def scan(
    client: "Client", root: Any, partition_files: Optional[int] = None, **kwargs: Any
) -> "siqaco.ScanReport":
    """:func:`siqaco.scan` on a Dask cluster: the same :class:`siqaco.ScanReport` (its
    ``to_dict()`` equal to the single-machine one).

    Parameters
    ----------
    client : dask.distributed.Client
        The cluster's client.
    root : path or list of paths
        As :func:`siqaco.scan`.
    partition_files : int, optional
        At least this many files per Dask task (whole station-days). Default: at most
        :data:`PARTITION_FILES` files a task and :data:`TASKS_PER_THREAD` tasks per thread
        of the cluster (``client.nthreads()``) when the archive has that many files.
    **kwargs
        The keyword arguments of :func:`siqaco.scan` but ``progress``; ``threads`` is the
        threads of each task (default 1).

    Raises
    ------
    As :func:`siqaco.scan`; :class:`siqaco.InvalidArgumentError` for ``partition_files``
    < 1; ``TypeError`` for an unknown keyword or ``progress``.
    """
    native = siqaco._scan_native(_arguments(siqaco.scan, (root,), kwargs))
    return siqaco.ScanReport(_run(client, "scan", native, partition_files))


def read(
    client: "Client", root: Any, partition_files: Optional[int] = None, **kwargs: Any
) -> List["siqaco.Segment"]:
    """:func:`siqaco.read` on a Dask cluster: the same segments (equal samples, same
    order). The samples of every partition travel to the calling process.

    Parameters are those of :func:`scan` with the keyword arguments of :func:`siqaco.read`.
    """
    native = siqaco._read_native(_arguments(siqaco.read, (root,), kwargs))
    return [siqaco.Segment(*t) for t in _run(client, "read", native, partition_files)]


def index(
    client: "Client", root: Any, db: Any, partition_files: Optional[int] = None, **kwargs: Any
) -> Any:
    """:func:`siqaco.index` on a Dask cluster: the workers read the new and changed files,
    the calling process writes the catalogue (SQLite file or ``postgresql://`` URL), whose
    rows equal those :func:`siqaco.index` writes; returns the same ``IndexReport``.

    The calling process lists the files to read (comparing them with the catalogue when it
    exists), then, while the workers read, opens the catalogue (creating it when missing)
    and writes each partial as it arrives: the batches of files it completes, in the order
    :func:`siqaco.index` writes them. A file that changes between the listing and the
    writing is read again there.
    Parameters are those of :func:`scan` with the keyword arguments of :func:`siqaco.index`.
    """
    native = siqaco._index_native(_arguments(siqaco.index, (root, db), kwargs))
    return _index(client, native, partition_files)


def qc(
    client: "Client",
    archive: Any,
    metadata: Any,
    partition_files: Optional[int] = None,
    **kwargs: Any,
) -> "siqaco.QcReport":
    """:func:`siqaco.qc` on a Dask cluster: the workers read record headers, the calling
    process reads the metadata (once) and checks; the same :class:`siqaco.QcReport`.

    Parameters are those of :func:`scan` with the keyword arguments of :func:`siqaco.qc`.
    """
    native = siqaco._qc_native(_arguments(siqaco.qc, (archive, metadata), kwargs))
    if native["now_ns"] is None:
        # One clock for the listing, the partials and the check.
        native["now_ns"] = time.time_ns()
    return siqaco.QcReport(_run(client, "qc", native, partition_files))


def _update_task(native: Dict[str, Any]) -> Any:
    """One Dask task of :func:`update`: one single-machine update, a worker of the stack
    (its native summary, which pickles)."""
    return _siqaco.update(**native)


def update(
    client: "Client", config: Any, workers: Optional[int] = None, **kwargs: Any
) -> "siqaco.UpdateSummary":
    """:func:`siqaco.update` on a Dask cluster: ``workers`` Dask tasks each run the
    single-machine update of ``config`` in a worker process, sharing its PostgreSQL
    catalogue as the workers of ``docs/scale.md`` ("Many workers, one catalogue") do: they
    index the archive together (each directory read by one of them), divide the gap
    analysis and the creation of requests by groups of streams, claim the requests of the
    stack one by one (each executed by one of them), and merge under per-stream locks.
    Returns one :class:`siqaco.UpdateSummary` combined by the core
    (``siqaco::ops::UpdateRequest::combine``): ``streams_checked`` and ``gaps_found`` of
    the task with the first run (each task reports its round's, what a single run sees),
    the sums of the other counts, ``requests_left`` counted in the catalogue at the end,
    the warnings in planning order.

    Before the tasks start, the calling process checks the configuration, creates or
    migrates the catalogue's schema once, and fixes ``now`` (when no window is given), so
    that every task updates the same window. The workers must see the archive, the
    configuration and the archive sources at the same paths, and reach the catalogue.

    Parameters
    ----------
    client : dask.distributed.Client
        The cluster's client.
    config : path
        As :func:`siqaco.update`; its ``[catalogue] url`` must be ``postgresql://...``.
    workers : int, optional
        How many update tasks run at once (default: the number of Dask workers; each task
        is sent to a different worker when there are enough). Each one asks the sources
        up to ``requests.in_flight`` requests at once.
    **kwargs
        The keyword arguments of :func:`siqaco.update` but ``progress``. With
        ``dry_run=True`` one task runs (a dry run changes nothing), on any catalogue.

    Raises
    ------
    As :func:`siqaco.update`; :class:`siqaco.ConfigError` naming ``catalogue.url`` for a
    SQLite catalogue (it has one writer: use :func:`siqaco.update`);
    :class:`siqaco.InvalidArgumentError` for ``workers`` < 1; ``TypeError`` for an unknown
    keyword or ``progress``.
    """
    native = siqaco._update_native(_arguments(siqaco.update, (config,), kwargs))
    if native["dry_run"]:
        return siqaco.UpdateSummary(client.submit(_update_task, native, pure=False).result())
    if workers is not None and workers < 1:
        raise siqaco.InvalidArgumentError(f"workers: {workers}: at least 1")
    if native["now_ns"] is None:
        # One clock for every task: the same configured window.
        native["now_ns"] = time.time_ns()
    _siqaco.update_prepare_workers(**native)
    addresses = sorted(client.nthreads())
    n = workers if workers is not None else max(1, len(addresses))
    futures = [
        client.submit(
            _update_task,
            native,
            pure=False,
            workers=[addresses[i % len(addresses)]] if addresses else None,
            allow_other_workers=True,
        )
        for i in range(n)
    ]
    summaries = client.gather(futures)
    return siqaco.UpdateSummary(_siqaco.update_combine(summaries, **native))
