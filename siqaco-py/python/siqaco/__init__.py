"""siqaco: keep seismic waveform (miniSEED) archives complete and correct.

Scan an archive for gaps, overlaps and availability, read its samples into numpy arrays,
index it, check it against metadata (:func:`qc`), fetch missing data (:func:`fetch`), merge
patches into it (:func:`merge`), keep it complete (:func:`update`) and manage the request
stack of the updates (:func:`stack_list`, :func:`stack_run`, :func:`stack_retry`,
:func:`stack_cancel`, :func:`request_create`). The work is done by the Rust library
``siqaco-core`` (module ``siqaco._siqaco``) with the GIL released; this module converts
arguments and results.

Log messages of the library go to Python's :mod:`logging`, under the ``siqaco`` logger
(``siqaco.source.fdsn``, ``siqaco.stationxml``, ...): ``logging.getLogger("siqaco")
.setLevel(logging.DEBUG)`` shows the requests sent to FDSN servers. The logging
configuration is read at the start of each call.

Examples
--------
>>> import siqaco
>>> report = siqaco.scan("/data/sds", select=["IU.*.00.BH?"], start="2010-02-27")
>>> report.get_gaps()            # ObsPy's Stream.get_gaps() format
>>> segments = siqaco.read("/data/sds", select=["IU.COLA.00.BHZ"])
>>> stream = siqaco.to_obspy(segments)
>>> siqaco.fetch("http://service.iris.edu", "IU.ANMO.00.BH?", "2024-01-01", "2024-01-02", "/data/sds")
>>> siqaco.update("siqaco.toml")  # one run of `siqaco update`
>>> siqaco.stack_list("siqaco.toml", state="on_hold")
"""

from __future__ import annotations

import dataclasses as _dataclasses
import gc as _gc
import stat as _stat
import datetime as _dt
import os
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _siqaco
from ._siqaco import (
    CodecError,
    IndexReport,
    ConfigError,
    DatabaseError,
    MetadataError,
    InvalidArgumentError,
    InvalidCodeError,
    InvalidDataError,
    NetworkError,
    NotFoundError,
    SiqacoError,
    SourceError,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__version__: str = _siqaco.__version__

__all__ = [
    "CodecError",
    "ConfigError",
    "DatabaseError",
    "FetchReport",
    "MetadataError",
    "InvalidArgumentError",
    "InvalidCodeError",
    "InvalidDataError",
    "MergeReport",
    "NetworkError",
    "NotFoundError",
    "BackupReport",
    "CheckReport",
    "IndexReport",
    "MigrateReport",
    "ReportData",
    "QcReport",
    "ScanReport",
    "Segment",
    "StackRequest",
    "UpdateSummary",
    "SiqacoError",
    "SourceError",
    "db_backup",
    "db_check",
    "db_migrate",
    "fetch",
    "index",
    "merge",
    "qc",
    "read",
    "repair",
    "request_create",
    "scan",
    "stack_cancel",
    "stack_list",
    "stack_retry",
    "stack_run",
    "stats",
    "streams",
    "report_data",
    "to_obspy",
    "update",
    "__version__",
]

#: A time: ISO 8601 text (``"2024-01-02T03:04:05Z"``, a date, SEED ``"2024,002"``), a
#: ``datetime`` (naive means UTC), a ``numpy.datetime64`` or an ``obspy.UTCDateTime``.
TimeLike = Any
PathLike = Union[str, "os.PathLike[str]"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _to_ns(t: TimeLike, field: Optional[str] = None) -> Optional[int]:
    """Converts a time to integer nanoseconds since 1970-01-01 UTC; a refusal names the
    request field ``field`` (``start_ns``...) when given, as the core's requests do."""
    if t is None:
        return None
    if isinstance(t, str):
        return _siqaco.parse_time(t, field)
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        d = t - _EPOCH
        return (d.days * 86_400 + d.seconds) * 1_000_000_000 + d.microseconds * 1_000
    if isinstance(t, _dt.date):
        return _to_ns(_dt.datetime(t.year, t.month, t.day))
    ns = getattr(t, "ns", None)  # obspy.UTCDateTime
    if isinstance(ns, int):
        return ns
    if type(t).__name__ == "datetime64":
        import numpy as np

        return int(np.datetime64(t, "ns").astype("int64"))
    message = f"cannot use {t!r} as a time (expected str, datetime, numpy.datetime64 or obspy.UTCDateTime)"
    raise InvalidArgumentError(
        f"invalid argument: {field}: {message}" if field else f"invalid argument: {message}"
    )


def _utc(ns: int) -> _dt.datetime:
    """A timezone-aware UTC datetime (microsecond precision) from ns since 1970."""
    return _EPOCH + _dt.timedelta(microseconds=ns // 1_000)


def _time_obj(ns: int) -> Any:
    """obspy.UTCDateTime when ObsPy is importable, else a tz-aware datetime."""
    try:
        from obspy import UTCDateTime
    except ImportError:
        return _utc(ns)
    return UTCDateTime(ns=ns)


def _paths(root: Union[PathLike, Sequence[PathLike]]) -> List[str]:
    if isinstance(root, (str, os.PathLike)):
        return [os.fspath(root)]
    return [os.fspath(p) for p in root]


def _select(select: Union[str, Iterable[str], None]) -> Optional[List[str]]:
    if select is None:
        return None
    if isinstance(select, str):
        return [select]
    return list(select)


class _Report:
    """A typed result of the native module whose :meth:`to_dict` is a stable JSON
    document."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self._dict: Optional[dict] = None

    def to_dict(self) -> dict:
        """The JSON document as Python dicts and lists (computed once)."""
        if self._dict is None:
            self._dict = self._native.to_dict()
        return self._dict


class _ArchiveReport(_Report):
    """A report on the files of an archive: its streams, unreadable files and counts."""

    @property
    def streams(self) -> List[dict]:
        return self.to_dict()["streams"]

    @property
    def errors(self) -> List[dict]:
        return self.to_dict()["errors"]

    @property
    def files(self) -> int:
        """Files read."""
        return self._native.files

    @property
    def records(self) -> int:
        """Records read (data and non-data)."""
        return self._native.records


class _DictReads(_Report):
    """For the code written when a function returned its document as a dict:
    ``report["key"]``, ``"key" in report``, :meth:`keys`, :meth:`get` and
    ``report == a_dict`` read :meth:`to_dict`."""

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.to_dict()

    def keys(self) -> Any:
        """The keys of the document."""
        return self.to_dict().keys()

    def get(self, key: str, default: Any = None) -> Any:
        """``to_dict().get(key, default)``."""
        return self.to_dict().get(key, default)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _DictReads):
            return self.to_dict() == other.to_dict()
        if isinstance(other, dict):
            return self.to_dict() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class ScanReport(_ArchiveReport):
    """The result of :func:`scan` (and :func:`stats`): :meth:`to_dict` is the stable JSON
    document of ``siqaco scan --format json``.

    Attributes
    ----------
    streams : list of dict
        One dict per stream (N.S.L.C), sorted: ``nslc``, ``source_id``, ``sample_rate_hz``,
        ``records``, ``samples``, ``traces``, ``earliest``, ``latest``, ``segments``,
        ``gaps``, ``overlaps``, ``days`` (the ``streams`` of :meth:`to_dict`).
    errors : list of dict
        Files that could not be read completely: ``path``, ``offset``, ``message``.
    """

    @property
    def bytes(self) -> int:
        """Bytes read."""
        return self._native.bytes

    def get_gaps(self) -> List[list]:
        """Gaps in ObsPy's ``Stream.get_gaps()`` format.

        Returns
        -------
        list of list
            ``[network, station, location, channel, last_sample, next_sample, delta,
            nsamples]``: ``last_sample`` and ``next_sample`` are ``obspy.UTCDateTime``
            when ObsPy is importable, else timezone-aware ``datetime``; ``delta`` is the
            gap in seconds (next sample − last sample − one period) and ``nsamples`` the
            number of missing samples. Head and tail gaps of a window (which have no
            sample on one side) and overlaps are not included.
        """
        out = []
        for net, sta, loc, cha, last, nxt, delta, missing, edge in self._native.gaps():
            if edge is not None or last is None or nxt is None:
                continue
            out.append([net, sta, loc, cha, _time_obj(last), _time_obj(nxt), delta, missing])
        return out

    def to_pandas(self, kind: str = "gaps") -> "pd.DataFrame":
        """A pandas DataFrame (pandas must be installed).

        Parameters
        ----------
        kind : {"gaps", "overlaps", "streams", "days"}
            One row per gap, per overlap, per stream (without the nested lists) or per
            stream and UTC day (needs ``scan(per_day=True)``).
        """
        import pandas as pd

        rows: List[dict] = []
        for s in self.streams:
            if kind == "streams":
                rows.append(
                    {k: v for k, v in s.items() if k not in ("segments", "gaps", "overlaps", "days")}
                )
            elif kind in ("gaps", "overlaps", "days"):
                rows.extend({"nslc": s["nslc"], **x} for x in s[kind])
            else:
                raise InvalidArgumentError(f"unknown kind {kind!r} (gaps, overlaps, streams, days)")
        frame = pd.DataFrame(rows)
        for col in ("start", "end", "last_sample", "next_sample", "earliest", "latest"):
            if col in frame:
                frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
        return frame

    def __repr__(self) -> str:
        return (
            f"<siqaco.ScanReport: {len(self.streams)} streams, {self.files} files, "
            f"{len(self.errors)} errors>"
        )



def _close_unreferenced_sqlite() -> None:
    """Closes the connections of Python's ``sqlite3`` module that nothing references any
    more, before a call that writes a catalogue.

    siqaco embeds its own SQLite library. With two SQLite libraries in one process, closing
    a connection of one releases the POSIX locks the other holds on the same file, and the
    closing library may then take itself for the last user and remove the file's write-ahead
    log (https://sqlite.org/howtocorrupt.html, sections 2.2.1 and 2.2.2). CPython's
    ``sqlite3`` connections sit in a reference cycle and are closed only when the cyclic
    garbage collector runs (``with sqlite3.connect(db)`` does not close either): that could
    be in the middle of siqaco's write. Collecting here closes them first; connections still
    referenced are the caller's to close (docs/python.md, "Catalogues and Python's sqlite3").

    A full collection takes tens of milliseconds in a process with many objects (30–85 ms
    in a Dask client), so it runs only when :func:`_holds_sqlite_file` finds a
    descriptor that could be such a connection's.
    """
    if _holds_sqlite_file():
        _gc.collect()


def _holds_sqlite_file() -> bool:
    """Whether this process has a descriptor open for reading on a regular file that is an
    SQLite database (its first 16 bytes are ``SQLite format 3\\0``, the file format's
    header string, https://sqlite.org/fileformat.html section 1.3) or is empty (a
    connection opened on a new file, which siqaco may then make a catalogue). SQLite opens
    database files for reading or for reading and writing, never for writing only; a file
    no longer linked in any directory (a temporary file) cannot be the one siqaco opens by
    its path, and POSIX locks belong to the file, so those are skipped. Read
    from ``/proc/self/fd`` (Linux); True where that cannot be listed, so that the caller
    collects."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return True
    import fcntl  # POSIX, like /proc/self/fd

    for name in names:
        try:
            fd = int(name)
            if os.O_WRONLY == fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE:
                continue
            st = os.fstat(fd)
            if _stat.S_ISREG(st.st_mode) and st.st_nlink > 0 and (
                st.st_size == 0 or os.pread(fd, 16, 0) == b"SQLite format 3\x00"
            ):
                return True
        except (OSError, ValueError):
            continue  # closed since the listing (the listing's own descriptor), or not a file
    return False

def _item(key: str) -> Any:
    """A read-only attribute of a :class:`_Report` that reads ``to_dict()[key]``."""
    return property(lambda self: self.to_dict()[key], doc=f"``to_dict()[{key!r}]``.")


class FetchReport(_DictReads):
    """The result of :func:`fetch` (the core's ``siqaco::ops::ArchiveFetch``):
    :meth:`to_dict` is the fetch document (docs/sources.md), whose keys are also
    attributes; ``report["key"]`` reads it as well.

    Attributes
    ----------
    nothing_available : bool
        The source's availability had nothing in the window: nothing was asked.
    chunks : int
        Pieces the request was split into (UTC days, or day and stream).
    bytes : int
        Bytes received.
    requests_done, requests_retried : int
        Requests sent; requests retried or split.
    files_written : int
        Day files written.
    records_added, records_duplicate : int
        Records appended; records skipped because the archive already held them byte for
        byte.
    errors : list of str
        Messages of the pieces that failed, in time order (empty unless the report is the
        ``summary`` of the raised error).
    """

    nothing_available: bool = _item("nothing_available")
    chunks: int = _item("chunks")
    bytes: int = _item("bytes")
    requests_done: int = _item("requests_done")
    requests_retried: int = _item("requests_retried")
    files_written: int = _item("files_written")
    records_added: int = _item("records_added")
    records_duplicate: int = _item("records_duplicate")
    errors: List[str] = _item("errors")

    def __repr__(self) -> str:
        return (
            f"<siqaco.FetchReport: {self.chunks} pieces, {self.bytes} bytes, "
            f"{self.records_added} records added to {self.files_written} files, "
            f"{len(self.errors)} errors>"
        )


class MergeReport(_DictReads):
    """The result of :func:`merge`: :meth:`to_dict` is the report of ``siqaco merge
    --json`` (docs/merge.md).

    Attributes
    ----------
    days : list of dict
        Per stream and day file: ``stream``, ``day`` ``YYYY-MM-DD``, ``path``, ``changed``,
        ``created``, ``stats`` with sample counts ``samples_added``, ``samples_replaced``,
        ``overlaps_removed``, ``records_copied``, ``records_encoded``.
    """

    @property
    def days(self) -> List[dict]:
        return self.to_dict()["days"]

    @property
    def warnings(self) -> List[str]:
        """Problems that did not stop the merge."""
        return self.to_dict()["warnings"]

    @property
    def files_written(self) -> int:
        """Files written (0 in a dry run)."""
        return self.to_dict()["files_written"]

    @property
    def recovered(self) -> bool:
        """Whether an interrupted earlier merge was completed or rolled back first."""
        return self.to_dict()["recovered"]

    @property
    def cancelled(self) -> bool:
        """Whether the merge was cancelled (then nothing was written)."""
        return self.to_dict().get("cancelled", False)

    def __repr__(self) -> str:
        changed = sum(1 for d in self.days if d["changed"])
        return (
            f"<siqaco.MergeReport: {len(self.days)} day files, {changed} changed, "
            f"{self.files_written} written>"
        )


class QcReport(_ArchiveReport, _DictReads):
    """The result of :func:`qc`: :meth:`to_dict` is the report of ``siqaco qc --format
    json`` (docs/qc.md).

    Attributes
    ----------
    findings : list of dict
        ``code``, ``severity``, ``nslc``, ``start``, ``end`` (ISO 8601 or None), ``path``,
        ``count``, ``message``, ``examples`` (at most 5 lines).
    streams : list of dict
        Per stream its per-day summaries.
    errors : list of dict
        Unreadable file parts: ``path``, ``offset``, ``message``.
    """

    @property
    def findings(self) -> List[dict]:
        return self.to_dict()["findings"]

    @property
    def files(self) -> int:
        """Files read."""
        return self.to_dict()["files"]

    @property
    def records(self) -> int:
        """Records read (data and non-data)."""
        return self.to_dict()["records"]

    @property
    def worst_severity(self) -> Optional[str]:
        """``"error"``, ``"warning"``, ``"info"`` or None (no finding)."""
        return self._native.worst_severity

    @property
    def window_ns(self) -> Optional[Tuple[int, int]]:
        """The window checked, ``(start_ns, end_ns)``, or None."""
        return self._native.window

    def __repr__(self) -> str:
        return (
            f"<siqaco.QcReport: {len(self.findings)} findings, worst {self.worst_severity}, "
            f"{self.files} files>"
        )


class Segment:
    """Contiguous samples of one stream (returned by :func:`read`).

    Attributes
    ----------
    network, station, location, channel : str
        Stream codes.
    start_ns : int
        Time of the first sample, nanoseconds since 1970-01-01 UTC.
    sample_rate_hz : float
        Sample rate in Hz.
    data : numpy.ndarray
        The samples, one-dimensional, dtype int32, float32 or float64 as encoded.
    """

    __slots__ = ("network", "station", "location", "channel", "start_ns", "sample_rate_hz", "data")

    def __init__(
        self,
        network: str,
        station: str,
        location: str,
        channel: str,
        start_ns: int,
        sample_rate_hz: float,
        data: "np.ndarray",
    ) -> None:
        self.network = network
        self.station = station
        self.location = location
        self.channel = channel
        self.start_ns = start_ns
        self.sample_rate_hz = sample_rate_hz
        self.data = data

    @property
    def nslc(self) -> str:
        """``"NET.STA.LOC.CHA"``."""
        return f"{self.network}.{self.station}.{self.location}.{self.channel}"

    @property
    def start(self) -> _dt.datetime:
        """Time of the first sample as a timezone-aware UTC datetime (microseconds)."""
        return _utc(self.start_ns)

    def to_obspy(self) -> Any:
        """This segment as an ``obspy.Trace`` (shares the numpy array)."""
        from obspy import Trace, UTCDateTime

        return Trace(
            data=self.data,
            header={
                "network": self.network,
                "station": self.station,
                "location": self.location,
                "channel": self.channel,
                "starttime": UTCDateTime(ns=self.start_ns),
                "sampling_rate": self.sample_rate_hz,
            },
        )

    def __repr__(self) -> str:
        return (
            f"<siqaco.Segment {self.nslc} {self.start.isoformat()} "
            f"{self.sample_rate_hz} Hz {len(self.data)} samples {self.data.dtype}>"
        )


def scan(
    root: Union[PathLike, Sequence[PathLike]],
    layout: str = "sds",
    select: Union[str, Iterable[str], None] = None,
    start: TimeLike = None,
    end: TimeLike = None,
    per_day: bool = True,
    tolerance: Optional[float] = None,
    min_gap: Optional[float] = None,
    max_gap: Optional[float] = None,
    progress: Optional[Callable[[int, int, int, int], Any]] = None,
    threads: Optional[int] = None,
    mapping: Optional[PathLike] = None,
) -> ScanReport:
    """Scans an archive (or miniSEED files) for gaps, overlaps and availability.

    Reads record headers only, in parallel, with the GIL released.

    Parameters
    ----------
    root : path or list of paths
        An archive directory (in ``layout``), or miniSEED files.
    layout : str
        ``"sds"``, ``"bud"``, ``"files"``, a dataselect preset or template.
    select : str or list of str, optional
        ``NET.STA.LOC.CHA`` patterns with ``*`` and ``?``.
    start, end : time, optional
        The analysis window ``[start, end)``.
    per_day : bool
        Compute per-UTC-day statistics (``days`` of each stream; default True, so that
        ``to_dict()`` is the document of ``siqaco scan --format json``).
    tolerance : float, optional
        Time tolerance in seconds (default half a sample period).
    min_gap, max_gap : float, optional
        Report only gaps at least / at most this many seconds long.
    progress : callable, optional
        Called as ``progress(files_done, files_total, bytes_done, bytes_total)`` in the
        calling thread with the GIL held; raising from it aborts the scan.
    threads : int, optional
        Worker threads (default: all cores).
    mapping : path, optional
        Stream mappings over time: a TOML file of ``[[mapping]]`` entries (``from``, ``to``,
        ``start``, ``end``) or a ``siqaco.toml`` with ``[[streams.mapping]]``; records are
        reported in the stream they map to, ``select`` selects mapped streams, and
        ``to_dict()`` streams list ``mapped_from`` (docs/configuration.md).

    Raises
    ------
    FileNotFoundError, PermissionError
        When the root cannot be listed. Unreadable files are reported in ``errors``.
    InvalidArgumentError
        For a bad time, selection, layout or tolerance.
    KeyboardInterrupt
        On Ctrl-C (the scan stops).
    """
    return ScanReport(_siqaco.scan(**_scan_native(locals())).run(progress))


def _scan_native(a: Dict[str, Any]) -> Dict[str, Any]:
    """The native keyword arguments of :func:`scan`'s arguments ``a`` (by name; ``progress``
    left out): one mapping for :func:`scan` and :func:`siqaco.distributed.scan`."""
    return dict(
        **_files_native(a),
        per_day=a["per_day"],
        tolerance_s=a["tolerance"],
        min_gap_s=a["min_gap"],
        max_gap_s=a["max_gap"],
        threads=a["threads"],
    )


class ReportData:
    """The figures' data of ``siqaco report`` (returned by :func:`report_data`).

    Attributes
    ----------
    window : dict
        ``start``, ``end`` (ISO 8601) and ``given`` (False: the data's extent, whole UTC
        days).
    now : str
        The time latencies are measured from (ISO 8601).
    days : list of str
        The calendar's ``YYYY-MM-DD`` columns.
    days_contiguous : bool
        Whether ``days`` is every day from the first to the last.
    streams : list of dict
        Per stream ``nslc``, ``sample_rate_hz``, ``records``, ``earliest``, ``latest``,
        ``last_sample``, ``latency_s``, ``percent_availability``, ``num_gaps``,
        ``sum_gaps``, ``max_gap``, ``num_overlaps``, ``sum_overlaps``, ``max_overlap``,
        ``day_availability`` (one percent per day of ``days``, ``None`` without
        statistics) and ``segments``, ``gaps``, ``overlaps`` as ``[start, end]`` ISO 8601
        pairs (see docs/report.md).

    ``data["streams"]`` (item access) works as on the dict :func:`report_data` returned
    before; :meth:`to_dict` gives that dict.
    """

    def __init__(self, doc: dict) -> None:
        self._doc = doc

    def to_dict(self) -> dict:
        """The data as the JSON object the HTML report embeds, in Python objects."""
        return self._doc

    def __getitem__(self, key: str) -> Any:
        return self._doc[key]

    @property
    def window(self) -> dict:
        return self._doc["window"]

    @property
    def now(self) -> str:
        return self._doc["now"]

    @property
    def days(self) -> List[str]:
        return self._doc["days"]

    @property
    def days_contiguous(self) -> bool:
        return self._doc["days_contiguous"]

    @property
    def streams(self) -> List[dict]:
        return self._doc["streams"]

    def __repr__(self) -> str:
        return f"<siqaco.ReportData: {len(self.streams)} streams, {len(self.days)} days>"


def report_data(
    db: PathLike,
    select: Union[str, Iterable[str], None] = None,
    start: TimeLike = None,
    end: TimeLike = None,
    now: TimeLike = None,
) -> ReportData:
    """The figures' data of ``siqaco report`` from a catalogue, for matplotlib users.

    Reads the catalogue only (``siqaco index``), with the GIL released; nothing is written.

    Parameters
    ----------
    db : path or str
        The catalogue: a SQLite file or a ``postgresql://`` URL. It must exist.
    select : str or list of str, optional
        ``NET.STA.LOC.CHA`` patterns with ``*`` and ``?``.
    start, end : time, optional
        The window ``[start, end)`` (default: the data's extent, whole UTC days).
    now : time, optional
        The time latencies are measured from (default: now).

    Returns
    -------
    ReportData
        ``window``, ``now``, ``days``, ``days_contiguous`` and ``streams``; ``to_dict()``
        gives them as one dict.

    Raises
    ------
    FileNotFoundError
        When the catalogue does not exist (nothing is created).
    DatabaseError
        When the catalogue cannot be read.
    InvalidArgumentError
        For a bad time or selection, or ``end`` not after ``start``.
    """
    return ReportData(
        _siqaco.report_data(
            os.fspath(db),
            _select(select),
            _to_ns(start, "start_ns"),
            _to_ns(end, "end_ns"),
            _to_ns(now, "now_ns"),
        )
    )


def streams(
    root: PathLike,
    layout: str = "sds",
    select: Union[str, Iterable[str], None] = None,
) -> List[str]:
    """The streams an archive holds, from its file names (no file is read).

    Parameters
    ----------
    root : path
        The archive directory.
    layout : str
        ``"sds"``, ``"bud"``, ``"files"``, a dataselect preset or template.
    select : str or list of str, optional
        ``NET.STA.LOC.CHA`` patterns with ``*`` and ``?``.

    Returns
    -------
    list of str
        ``"NET.STA.LOC.CHA"``, sorted (the output of ``siqaco streams``).

    Raises
    ------
    FileNotFoundError
        When the root cannot be listed.
    InvalidArgumentError
        For a bad layout or selection.
    """
    return _siqaco.streams(os.fspath(root), layout, _select(select))


def read(
    root: Union[PathLike, Sequence[PathLike]],
    select: Union[str, Iterable[str], None] = None,
    start: TimeLike = None,
    end: TimeLike = None,
    layout: str = "sds",
    tolerance: Optional[float] = None,
    mapping: Optional[PathLike] = None,
    threads: Optional[int] = None,
) -> List[Segment]:
    """Reads samples into contiguous segments (like ``obspy.read`` without merging).

    Records are joined with the trace rule of :func:`scan` (time tolerance, rate
    tolerance); overlapping data stays in separate segments. Samples are cut to
    ``[start, end)``. The arrays are moved from Rust into numpy without copying.
    ``mapping`` (as for :func:`scan`): the samples of a record belong to the stream its
    codes map to. ``threads``: the threads of the read (headers, decoding and joining of
    traces; default: all cores, or ``RAYON_NUM_THREADS``; at least 1).

    Returns
    -------
    list of Segment
        Sorted by N.S.L.C, then start time.

    Raises
    ------
    FileNotFoundError, PermissionError
        When the root or a file cannot be read.
    InvalidDataError
        When a file holds bytes that are not miniSEED (the message names file and offset).
    CodecError
        When libmseed cannot decode a record.
    InvalidArgumentError
        For ``threads`` < 1 (and a bad ``select``, window or ``tolerance``).
    KeyboardInterrupt
        On Ctrl-C: no further file is read, nothing is returned.
    """
    return [Segment(*t) for t in _siqaco.read(**_read_native(locals())).run()]


def _read_native(a: Dict[str, Any]) -> Dict[str, Any]:
    """The native keyword arguments of :func:`read`'s arguments ``a`` (by name)."""
    return dict(**_files_native(a), tolerance_s=a["tolerance"], threads=a["threads"])


def _files_native(a: Dict[str, Any]) -> Dict[str, Any]:
    """The native keyword arguments naming what :func:`scan` and :func:`read` read: their
    ``root``, ``layout``, ``select``, ``start`` and ``end``."""
    return dict(
        paths=_paths(a["root"]),
        layout=a["layout"],
        select=_select(a["select"]),
        start_ns=_to_ns(a["start"], "start_ns"),
        end_ns=_to_ns(a["end"], "end_ns"),
        mapping=None if a.get("mapping") is None else os.fspath(a["mapping"]),
    )


def to_obspy(segments: Iterable[Segment]) -> Any:
    """The segments as an ``obspy.Stream`` of traces (arrays shared, not copied)."""
    from obspy import Stream

    return Stream(traces=[s.to_obspy() for s in segments])


def index(
    root: PathLike,
    db: PathLike,
    layout: str = "sds",
    relative_paths: bool = False,
    hash: bool = False,
    threads: Optional[int] = None,
    subindex_s: Optional[int] = None,
    batch_files: Optional[int] = None,
    lease_s: Optional[float] = None,
) -> IndexReport:
    """Indexes an archive into a tsindex catalogue, incrementally.

    The catalogue is the one ``siqaco index`` writes (see ``docs/index.md``): mseedindex's
    ``tsindex`` and ``tsindex_summary`` tables, which ObsPy's tsindex client and
    portable-fdsnws-dataselect read, plus siqaco's per-day statistics. Only new or changed
    files are read; rows of deleted files are removed. Runs with the GIL released.

    Parameters
    ----------
    root : path
        The archive root directory (in ``layout``).
    db : path or str
        The catalogue: a SQLite file (created when missing, migrated when older) or a
        ``postgresql://USER@HOST:PORT/DBNAME`` URL.
    relative_paths : bool
        Store file names relative to ``root`` (ObsPy ``Indexer(relative_paths=True)``).
    hash : bool
        Compute the MD5 ``hash`` of each section (as mseedindex does).
    threads : int, optional
        Worker threads (default: all cores; at least 1).
    subindex_s : int, optional
        Time-index interval in seconds (mseedindex ``-si``; default 3600; at least 1).
    batch_files : int, optional
        Files written per transaction (default 256; at least 1).
    lease_s : float, optional
        With a PostgreSQL catalogue, the lease of this run's claims in seconds (default 60;
        at least 0.3; the CLI's ``--lease-s``): several runs on one catalogue split the
        archive's directories between them, and the directory of a run that died is taken
        over this long after its last heartbeat (docs/scale.md). Unused with SQLite.

    Returns
    -------
    IndexReport
        The counts ``files_listed``, ``files_indexed``, ``files_unchanged``,
        ``files_removed``, ``rows_written``, ``files_with_errors`` as attributes, by item
        (``report["files_indexed"]``) and as a dict (``to_dict()``); on a catalogue of
        mseedindex or an earlier siqaco also ``files_adopted`` and ``rows_kept`` (in the
        dict only when not 0; docs/index.md, "Adopting a catalogue").

    Raises
    ------
    FileNotFoundError
        When the archive root does not exist (no catalogue is created).
    InvalidArgumentError
        For a bad layout, ``threads``, ``subindex_s``, ``batch_files`` or ``lease_s``.
    DatabaseError
        When the catalogue cannot be opened or written.
    KeyboardInterrupt
        On Ctrl-C: no further file is read; the files already read are written, each whole
        (every batch of files is one transaction), ``tsindex_summary`` is rebuilt, and the
        next call indexes the files left and recomputes the day statistics of the streams
        that changed. The catalogue stays consistent whenever the call is interrupted.
    """
    _close_unreferenced_sqlite()
    return _siqaco.index(**_index_native(locals())).run()


def _index_native(a: Dict[str, Any]) -> Dict[str, Any]:
    """The native keyword arguments of :func:`index`'s arguments ``a`` (by name)."""
    return dict(
        root=os.fspath(a["root"]),
        catalogue=os.fspath(a["db"]),
        layout=a["layout"],
        relative_paths=a["relative_paths"],
        hash=a["hash"],
        subindex_s=a["subindex_s"],
        batch_files=a["batch_files"],
        threads=a["threads"],
        lease_s=a["lease_s"],
    )


def stats(
    db: PathLike,
    select: Union[str, Iterable[str], None] = None,
    start: TimeLike = None,
    end: TimeLike = None,
    per_day: bool = True,
) -> ScanReport:
    """Gaps, overlaps, availability and per-day statistics from a catalogue made by
    :func:`index` (no waveform is read): the same report :func:`scan` gives for the
    indexed files (``to_dict()`` is the document of ``siqaco stats --format json``).

    Parameters
    ----------
    db : path or str
        The catalogue: a SQLite file or a ``postgresql://`` URL. It must exist.
    per_day : bool
        Compute per-UTC-day statistics (default True, as :func:`scan` and
        ``siqaco stats``).

    Raises
    ------
    FileNotFoundError
        When the catalogue does not exist (nothing is created).
    DatabaseError
        When the catalogue cannot be opened.
    InvalidArgumentError
        For a bad time or selection, or ``end`` not after ``start``.
    """
    native = _siqaco.stats(
        os.fspath(db),
        select=_select(select),
        start_ns=_to_ns(start, "start_ns"),
        end_ns=_to_ns(end, "end_ns"),
        per_day=per_day,
    )
    return ScanReport(native)


@_dataclasses.dataclass(frozen=True)
class CheckReport:
    """The result of :func:`db_check`.

    Attributes
    ----------
    catalogue : str
        The catalogue checked (its file name, or its URL without the password).
    problems : list of str
        The problems found; empty when the catalogue is consistent.
    files : int
        Files in ``siqaco_files``.
    rows : int
        Rows in ``tsindex``.
    """

    catalogue: str
    problems: List[str]
    files: int
    rows: int

    def to_dict(self) -> dict:
        """The fields as a dict."""
        return _dataclasses.asdict(self)


@_dataclasses.dataclass(frozen=True)
class MigrateReport:
    """The result of :func:`db_migrate`: the catalogue, the schema version found and the
    version now, the backup copy written before migrating (SQLite only, else None; None in
    a dry run), whether it was a dry run, and the SQL statements run (or, in a dry run, that
    would run), in order, empty when the schema was current."""

    catalogue: str
    from_version: int
    to_version: int
    backup: Optional[str]
    dry_run: bool
    statements: List[str]

    def to_dict(self) -> dict:
        """The fields as a dict."""
        return _dataclasses.asdict(self)


@_dataclasses.dataclass(frozen=True)
class BackupReport:
    """The result of :func:`db_backup`: the catalogue and the copy written."""

    catalogue: str
    output: str

    def to_dict(self) -> dict:
        """The fields as a dict."""
        return _dataclasses.asdict(self)


def db_check(db: PathLike) -> CheckReport:
    """Checks an existing catalogue, as ``siqaco db check`` does: SQLite integrity, the
    schema version, files missing or changed since indexing, files without rows, rows of
    files siqaco did not index, and ``tsindex_summary``. Problems are in the result.

    Raises
    ------
    FileNotFoundError
        When the catalogue does not exist (nothing is created).
    DatabaseError
        When the checks cannot run.
    """
    return CheckReport(**_siqaco.db_check(os.fspath(db)))


def db_migrate(db: PathLike, dry_run: bool = False) -> MigrateReport:
    """Migrates an existing catalogue to this version's schema, as ``siqaco db migrate``
    does (SQLite: after writing ``FILE.vN.bak``; PostgreSQL: back up with :func:`db_backup`
    first; new indexes are built concurrently, no table is rewritten). With ``dry_run``
    nothing is changed: ``statements`` lists the SQL that would run.

    Raises
    ------
    FileNotFoundError
        When the catalogue does not exist (nothing is created).
    DatabaseError
        When the migration fails (the schema is then unchanged).
    """
    _close_unreferenced_sqlite()
    return MigrateReport(**_siqaco.db_migrate(os.fspath(db), dry_run))


def db_backup(db: PathLike, output: Optional[PathLike] = None) -> BackupReport:
    """Writes a consistent copy of an existing catalogue, as ``siqaco db backup`` does, to
    ``output`` (which must not exist; default ``DB.backup-<unix seconds>`` for SQLite,
    required for PostgreSQL). SQLite: a copy of the file; PostgreSQL: ``pg_dump`` in its
    custom format (``$SIQACO_PG_DUMP`` or ``pg_dump`` on the PATH), restored with
    ``pg_restore``.

    Raises
    ------
    FileNotFoundError
        When the catalogue does not exist.
    InvalidArgumentError
        When ``output`` is not given for a PostgreSQL catalogue.
    DatabaseError
        When the copy exists or cannot be written, or pg_dump cannot be run or fails.
    """
    out = None if output is None else os.fspath(output)
    return BackupReport(**_siqaco.db_backup(os.fspath(db), out))


def _required_ns(t: TimeLike, name: str) -> int:
    ns = _to_ns(t)
    if ns is None:
        raise InvalidArgumentError(f"{name} is required")
    return ns


def fetch(
    source: Union[str, "os.PathLike[str]"],
    select: Union[str, Iterable[str]],
    start: TimeLike,
    end: TimeLike,
    out: PathLike,
    layout: str = "sds",
    source_layout: str = "sds",
    in_flight: Optional[int] = None,
    timeout: Optional[float] = None,
    retries: Optional[int] = None,
    quality: Optional[str] = None,
    limit_rate: Optional[int] = None,
    availability: str = "assume",
    user: Optional[str] = None,
    password: Optional[str] = None,
    token: Optional[PathLike] = None,
    progress: Optional[Callable[[int, int, int, int], Any]] = None,
) -> FetchReport:
    """Fetches data into an archive, as ``siqaco fetch`` does (docs/sources.md).

    The request is cut to the source's availability (unless ``availability="assume"``),
    split by UTC day (and by stream when there are fewer days than ``in_flight``), the
    pieces are fetched ``in_flight`` at once into a staging directory inside ``out``, every
    response is validated (complete miniSEED records of what was asked) and the records are
    appended to the day files of ``out`` (by record start; records already there byte for
    byte are skipped; files replaced atomically). Runs with the GIL released.

    Parameters
    ----------
    source : str or path
        An FDSN server's base URL (``http://host:port``; ``/fdsnws/dataselect/1/query`` is
        appended), a dataselect service or query URL, an archive directory (in
        ``source_layout``), or ``program:PATH[?CONNECT-INFOS]`` (an external program with
        Morumotto's contract).
    select : str or list of str
        ``NET.STA.LOC.CHA`` patterns with ``*`` and ``?`` (``NET.STA..CHA`` or ``--`` for an
        empty location).
    start, end : time
        The window ``[start, end)``.
    out : path
        The output archive root (created when missing), in ``layout``.
    in_flight : int, optional
        Requests in flight at once (≥ 1; default 4, the core's ``FetchRequest``).
    timeout : float, optional
        Timeout of one request (or program run), seconds (default 120).
    retries : int, optional
        Retries of a failed request, with exponential backoff (default 4).
    quality : str, optional
        FDSN ``quality`` parameter to send.
    limit_rate : int, optional
        Bandwidth limit in bytes per second, shared by all requests.
    availability : str
        ``"assume"`` (the whole window is asked), ``"service"`` (the server's
        fdsnws-availability, or the files of an archive source) or an availability URL.
    user, password : str, optional
        HTTP Digest credentials for ``/queryauth``; without ``password`` the environment
        variable ``SIQACO_FDSN_PASSWORD`` is used.
    token : path, optional
        An EIDA token file (exchanged for credentials at the server's ``/auth``).
    progress : callable, optional
        Called as ``progress(chunks_done, chunks_total, chunks_failed, bytes)`` in the
        calling thread with the GIL held; raising from it stops the fetch as Ctrl-C does.

    Returns
    -------
    FetchReport
        Attributes (and ``to_dict()`` keys, also readable as ``report["key"]``):
        ``nothing_available`` (bool: the availability had nothing, nothing was asked),
        ``chunks`` (pieces), ``bytes`` (bytes received), ``requests_done``,
        ``requests_retried``, ``files_written`` (day files), ``records_added``,
        ``records_duplicate`` (records already in the archive), ``errors`` (empty).
        No data is not an error: every count is then 0.

    Raises
    ------
    NetworkError
        When a request fails (connection refused, timeout, HTTP error, a response that is
        not the miniSEED asked for; the message names the URL). When only some pieces
        failed, the others are written and the error has a ``summary`` attribute: the
        :class:`FetchReport` above with the messages of every failed piece in ``errors``.
    SourceError
        When an external program is missing or fails.
    FileNotFoundError
        When an archive source does not exist.
    InvalidArgumentError
        For a bad time, selection, layout, timeout, ``in_flight`` or credentials.
    KeyboardInterrupt
        On Ctrl-C: no further piece is started, the pieces in flight end and nothing is
        written (unless every piece had already arrived: then the write goes through).
    """
    try:
        native = _siqaco.fetch(
            os.fspath(source),
            _select(select) or [],
            _required_ns(start, "start"),
            _required_ns(end, "end"),
            os.fspath(out),
            layout=layout,
            source_layout=source_layout,
            in_flight=in_flight,
            timeout_s=timeout,
            retries=retries,
            quality=quality,
            limit_rate=limit_rate,
            availability=availability,
            user=user,
            password=password,
            token=None if token is None else os.fspath(token),
            progress=progress,
        )
    except Exception as e:
        summary = getattr(e, "summary", None)
        if isinstance(summary, _siqaco.FetchReport):
            e.summary = FetchReport(summary)  # type: ignore[attr-defined]
        raise
    return FetchReport(native)


def merge(
    into: PathLike,
    inputs: Union[PathLike, Sequence[PathLike]],
    layout: str = "sds",
    priority: Union[int, Sequence[int], None] = None,
    archive_priority: Optional[int] = None,
    record_length: Optional[int] = None,
    encoding: str = "keep",
    format_version: Optional[int] = None,
    quality: Union[str, int, None] = None,
    split: str = "midnight",
    archive: str = "ranked",
    dry_run: bool = False,
    catalogue: Optional[PathLike] = None,
) -> MergeReport:
    """Merges patch files into an archive at sample level, as ``siqaco merge`` does
    (docs/merge.md).

    Every sample of the patches and the archive is placed by priority (smaller wins),
    without losing or duplicating one; every new day file is verified sample by sample and
    the changed files are replaced atomically under a journal. Runs with the GIL released.

    Parameters
    ----------
    into : path
        The archive root (created when missing), in ``layout``.
    inputs : path or list of paths
        Patch miniSEED files or directories (every non-hidden file below them).
    priority : int or list of int, optional
        Priority of each input, in order (smaller is better); one value applies to all;
        default 1.
    archive_priority : int, optional
        Priority of the archive's own data (with ``archive="ranked"``; default 1, the
        core's ``MergeRequest``).
    record_length : int, optional
        Output record length in bytes (256–8192; a power of two for miniSEED 2).
    encoding : str
        ``"steim1"``, ``"steim2"``, ``"int16"``, ``"int32"``, ``"float32"``,
        ``"float64"`` or ``"keep"``.
    format_version : int, optional
        Output miniSEED version, 2 or 3.
    quality : str or int, optional
        Output quality label ``R``, ``D``, ``Q``, ``M`` or publication version 1–255.
    split : str
        ``"midnight"``: day files end at 00:00 UTC, records are cut there;
        ``"start_time"``: records stay whole in the file of their start day.
    archive : str
        ``"ranked"`` (the archive competes with ``archive_priority``), ``"wins"`` (archive
        samples are never replaced; patches only fill gaps) or ``"loses"``.
    dry_run : bool
        Compute the report, write nothing.
    catalogue : path or str, optional
        The catalogue (SQLite path or ``postgresql://`` URL) that holds the journal and
        the lock of a merge into an archive in a bucket (``into`` an ``s3://`` URL;
        required then, docs/object-storage.md).

    Returns
    -------
    MergeReport
        Its ``to_dict()`` is the report of ``siqaco merge --json``: ``days`` (per stream
        and day: ``stream``, ``day`` ``YYYY-MM-DD``, ``path``, ``changed``, ``created``,
        ``stats`` with sample counts ``samples_added``, ``samples_replaced``,
        ``overlaps_removed``, ``records_copied``, ``records_encoded``), ``warnings``,
        ``files_written`` (0 in a dry run) and ``recovered`` (an interrupted earlier merge
        was completed first); the same names are attributes.

    Raises
    ------
    FileNotFoundError, PermissionError
        When an input or a day file cannot be read or written.
    InvalidDataError
        When an input is not miniSEED (file and byte offset named), or a verification
        fails (nothing is written then).
    InvalidArgumentError
        For bad options or priorities.
    CodecError
        When samples cannot be re-encoded.
    KeyboardInterrupt
        On Ctrl-C: no further stream is merged, what was staged is removed and no file is
        replaced.
    """
    if priority is None:
        priorities: List[int] = []
    elif isinstance(priority, int):
        priorities = [priority]
    else:
        priorities = list(priority)
    _close_unreferenced_sqlite()
    native = _siqaco.merge(
        os.fspath(into),
        _paths(inputs),
        layout=layout,
        priority=priorities,
        archive_priority=archive_priority,
        record_length=record_length,
        encoding=encoding,
        format_version=format_version,
        quality=None if quality is None else str(quality),
        split=split,
        archive=archive,
        dry_run=dry_run,
        catalogue=None if catalogue is None else os.fspath(catalogue),
    )
    return MergeReport(native)


def repair(
    root: PathLike,
    layout: str = "sds",
    select: Union[str, Iterable[str], None] = None,
    start: TimeLike = None,
    end: TimeLike = None,
    keep: str = "newest",
    trust: Optional[str] = None,
    split: str = "midnight",
    record_length: Optional[int] = None,
    encoding: str = "keep",
    quarantine: Optional[PathLike] = None,
    dry_run: bool = False,
) -> Dict[str, Any]:
    """Repairs an archive in place, as ``siqaco repair`` does (docs/repair.md).

    Per day file: duplicate records and duplicated samples are removed, conflicting
    overlaps resolved by ``keep``, records put in time order and in the day file of their
    day, miniSEED 2 fragments and records without blockette 1000 re-encoded, records whose
    codes disagree with the path reported (or fixed with ``trust``), and bytes that are not
    records moved to the quarantine directory with a manifest. Every new day file is
    verified sample by sample, then replaced under a journal. Runs with the GIL released.

    Parameters
    ----------
    root : path
        The archive root, in ``layout`` (day files named by stream: SDS, BUD...).
    select : str or list of str, optional
        ``NET.STA.LOC.CHA`` patterns with ``*`` and ``?``.
    start, end : time, optional
        The day files of ``[start, end)`` are repaired (with the day files their data
        reaches).
    keep : str
        ``"newest"`` (the record later in file order), ``"quality"`` (R < D < Q < M, or
        the miniSEED 3 publication version) or ``"first"``.
    trust : str, optional
        ``"path"`` or ``"header"``: which codes to believe when a record disagrees with its
        file's path (default: report it, change nothing in that stream).
    split : str
        ``"midnight"`` (records cut at 00:00 UTC) or ``"start_time"`` (records whole in
        the day of their start).
    record_length : int, optional
        Record length of repacked miniSEED 2 records (default: the stream's longest).
    encoding : str
        Encoding of repacked records (``"keep"``, ``"steim2"``...).
    quarantine : path, optional
        The quarantine directory (default ``ROOT.quarantine`` beside the archive).
    dry_run : bool
        Plan and verify, write nothing.

    Returns
    -------
    dict
        The report of ``siqaco repair --format json``: ``actions`` (``stream``, ``file``,
        ``action``, ``why``, ``samples``, ``records``; ``offset`` and ``bytes`` for
        quarantined bytes), ``files`` (``file``, ``change``), ``files_examined``,
        ``files_written``, ``bytes_quarantined``, ``quarantine``, ``dry_run``,
        ``recovered``, ``warnings``.

    Raises
    ------
    FileNotFoundError
        When the archive root does not exist.
    InvalidArgumentError
        For a bad argument (its field named) or a layout without day files.
    KeyboardInterrupt
        On Ctrl-C: nothing is written.
    """
    return _siqaco.repair(
        os.fspath(root),
        layout=layout,
        select=_select(select),
        start_ns=_to_ns(start, "start_ns"),
        end_ns=_to_ns(end, "end_ns"),
        keep=keep,
        trust=trust,
        split=split,
        record_length=record_length,
        encoding=encoding,
        quarantine=None if quarantine is None else os.fspath(quarantine),
        dry_run=dry_run,
    )


class UpdateSummary(dict):
    """The result of :func:`update` and :func:`stack_run`: a dict holding the document of
    ``siqaco update --format json`` (``summary["gaps_found"]``), whose keys are also
    attributes (``summary.gaps_found``), plus the window in ns.

    Attributes
    ----------
    window_start, window_end : str
        The window, ISO 8601 (end exclusive); empty strings for a run of the stack that
        found nothing pending.
    window_start_ns, window_end_ns : int or None
        The window, ns since 1970-01-01 UTC (None when there is none).
    streams_checked, gaps_found, requests_created, requests_sent, requests_succeeded,
    requests_failed, samples_added, requests_left : int
        The counters (docs/configuration.md); ``requests_left`` not 0 is the CLI's exit
        status 3.
    dry_run : bool
        Whether this was a dry run.
    planned : list of dict
        Dry run: per source in priority order, ``source``, ``request_id`` (None for a
        request a real run would create) and ``lines`` (the request lines).
    warnings : list of str
        Problems that did not stop the run.
    """

    def __init__(self, native: _siqaco.UpdateSummary) -> None:
        super().__init__(native.to_dict())
        self._native = native

    def to_dict(self) -> dict:
        """The document of ``siqaco update --format json`` as a plain dict."""
        return dict(self)

    @property
    def window_start_ns(self) -> Optional[int]:
        return self._native.window_start_ns

    @property
    def window_end_ns(self) -> Optional[int]:
        return self._native.window_end_ns

    @property
    def window_start(self) -> str:
        return self["window_start"]

    @property
    def window_end(self) -> str:
        return self["window_end"]

    @property
    def streams_checked(self) -> int:
        return self["streams_checked"]

    @property
    def gaps_found(self) -> int:
        return self["gaps_found"]

    @property
    def requests_created(self) -> int:
        return self["requests_created"]

    @property
    def requests_sent(self) -> int:
        return self["requests_sent"]

    @property
    def requests_succeeded(self) -> int:
        return self["requests_succeeded"]

    @property
    def requests_failed(self) -> int:
        return self["requests_failed"]

    @property
    def samples_added(self) -> int:
        return self["samples_added"]

    @property
    def requests_left(self) -> int:
        return self["requests_left"]

    @property
    def dry_run(self) -> bool:
        return self["dry_run"]

    @property
    def planned(self) -> List[dict]:
        return self["planned"]

    @property
    def warnings(self) -> List[str]:
        return self["warnings"]

    def __repr__(self) -> str:
        return f"siqaco.UpdateSummary({dict.__repr__(self)})"


class StackRequest(dict):
    """A request of the request stack, as :func:`stack_list` and :func:`request_create`
    give it: a dict holding an element of ``siqaco stack list --format json``, whose keys
    are also attributes (``r.state``).

    Attributes
    ----------
    id : int
        The request id.
    stream : str
        ``NET.STA.LOC.CHA`` (location and channel ``*`` for a multiplexed station).
    start, end : str
        The window, ISO 8601 (end exclusive).
    start_ns, end_ns : int
        The window, ns since 1970-01-01 UTC.
    state : str
        ``"new"``, ``"in_progress"``, ``"succeeded"``, ``"retry"``, ``"failed"``,
        ``"on_hold"`` or ``"cancelled"``.
    reason : str or None
        Why it is in its state.
    sources : list of str or None
        The only sources asked, or None for every source configured for the stream.
    created_ns, updated_ns : int
        When it was created (or last retried by the user) and last changed, ns.
    attempts : int
        Completed attempts counted by the retry policy.
    samples_added : int
        Samples added to the archive for it.
    holder : str or None
        The worker executing it now (``host:pid:suffix``), with a PostgreSQL catalogue
        shared by several workers (docs/scale.md, "Many workers"); None otherwise.
    lease_until_ns : int or None
        Until when the holder's claim lasts unless renewed, ns; None when not held.
    claims : int
        How many times workers claimed it (0 with a SQLite catalogue).
    attempt_list : list of dict or None
        With ``stack_list(attempts=True)``: its attempts, oldest first.
    """

    def to_dict(self) -> dict:
        """The element of ``siqaco stack list --format json`` as a plain dict."""
        return dict(self)

    @property
    def id(self) -> int:
        return self["id"]

    @property
    def stream(self) -> str:
        return self["stream"]

    @property
    def start(self) -> str:
        return self["start"]

    @property
    def end(self) -> str:
        return self["end"]

    @property
    def start_ns(self) -> int:
        return self["start_ns"]

    @property
    def end_ns(self) -> int:
        return self["end_ns"]

    @property
    def state(self) -> str:
        return self["state"]

    @property
    def reason(self) -> Optional[str]:
        return self["reason"]

    @property
    def sources(self) -> Optional[List[str]]:
        return self["sources"]

    @property
    def created_ns(self) -> int:
        return self["created_ns"]

    @property
    def updated_ns(self) -> int:
        return self["updated_ns"]

    @property
    def attempts(self) -> int:
        return self["attempts"]

    @property
    def samples_added(self) -> int:
        return self["samples_added"]

    @property
    def holder(self) -> Optional[str]:
        return self["holder"]

    @property
    def lease_until_ns(self) -> Optional[int]:
        return self["lease_until_ns"]

    @property
    def claims(self) -> int:
        return self["claims"]

    @property
    def attempt_list(self) -> Optional[List[dict]]:
        return self.get("attempt_list")

    def __repr__(self) -> str:
        return f"siqaco.StackRequest({dict.__repr__(self)})"


def update(
    config: PathLike,
    start: TimeLike = None,
    end: TimeLike = None,
    dry_run: bool = False,
    progress: Optional[Callable[[int, int, int], Any]] = None,
    now: TimeLike = None,
) -> UpdateSummary:
    """One run of ``siqaco update`` (docs/configuration.md): keeps the archive of a
    configuration complete over its window.

    Takes the archive's lock, brings the catalogue up to date, finds the gaps of the
    maintained streams in the window, adds requests for them to the request stack, asks the
    sources in priority order for what is missing (and what their availability covers),
    merges what arrives at sample level (archive samples are never replaced) and re-indexes
    the touched files. Runs with the GIL released.

    Parameters
    ----------
    config : path
        The configuration file (``siqaco.toml``).
    start, end : time, optional
        A window used exactly as given (both or neither; default: the configured window
        at the current time).
    dry_run : bool
        List the request lines each source would be asked (``planned``) and change nothing,
        not even the catalogue.
    progress : callable, optional
        Called as ``progress(requests_done, requests_total, samples_added)`` in the calling
        thread with the GIL held, while the pending requests are executed.
    now : time, optional
        The time at which the configured window is computed (default: the clock); unused
        when ``start`` and ``end`` are given.

    Returns
    -------
    UpdateSummary
        The summary of ``siqaco update --format json`` (a dict; its keys are also
        attributes): ``window_start``, ``window_end`` (ISO 8601; ``window_start_ns``,
        ``window_end_ns`` as attributes), ``streams_checked``, ``gaps_found``,
        ``requests_created``, ``requests_sent``, ``requests_succeeded``,
        ``requests_failed`` (attempted in this run and still incomplete),
        ``samples_added``, ``requests_left`` (requests of the window still pending or on
        hold: the CLI's exit status 3 when not 0), ``dry_run``, ``planned`` (dry run: list
        of ``{"source", "request_id", "lines"}``) and ``warnings``.

    Raises
    ------
    ConfigError
        For an invalid configuration (the key is named).
    OSError
        When another update holds the archive's lock, or the archive cannot be read or
        written (``FileNotFoundError`` for a missing configuration file).
    DatabaseError
        When the catalogue fails.
    InvalidArgumentError
        For a bad or empty window, or one end without the other (the message names the
        request field, ``start_ns`` or ``end_ns``).
    KeyboardInterrupt
        On Ctrl-C (or when ``progress`` raises, that exception): the requests being executed
        finish and are merged, the others stay pending in the stack for the next run.

    Source failures are not errors: they are recorded in the request stack and counted in
    the summary.
    """
    _close_unreferenced_sqlite()
    return UpdateSummary(_siqaco.update(**_update_native(locals()), progress=progress))


def _update_native(a: Dict[str, Any]) -> Dict[str, Any]:
    """The native keyword arguments of :func:`update` (all but ``progress``)."""
    return dict(
        config=os.fspath(a["config"]),
        start_ns=_to_ns(a["start"], "start_ns"),
        end_ns=_to_ns(a["end"], "end_ns"),
        dry_run=a["dry_run"],
        now_ns=_to_ns(a["now"], "now_ns"),
    )


def qc(
    archive: PathLike,
    metadata: PathLike,
    layout: str = "sds",
    select: Union[str, Iterable[str], None] = None,
    start: TimeLike = None,
    end: TimeLike = None,
    record_length: Optional[int] = None,
    encoding: Optional[int] = None,
    byte_order: Optional[str] = None,
    min_timing_quality: Optional[int] = None,
    rate_tolerance: Optional[float] = None,
    threads: Optional[int] = None,
    now: TimeLike = None,
) -> QcReport:
    """Checks an archive against StationXML metadata and its own rules, as ``siqaco qc``
    does (docs/qc.md). Runs with the GIL released.

    Parameters
    ----------
    archive : path
        The archive root, in ``layout``.
    metadata : path or str
        A StationXML file, a directory of StationXML files (``*.xml``,
        ``*.stationxml``), or an FDSN station web service URL (``http(s)://host[:port]``
        or the full ``.../fdsnws/station/1/query`` URL), asked at ``level=response`` for
        ``select`` over the window.
    select : str or list of str, optional
        ``NET.STA.LOC.CHA`` patterns with ``*`` and ``?``.
    start, end : time, optional
        The window ``[start, end)`` (``end`` needs ``start``; default end: now).
    record_length : int, optional
        Expected miniSEED 2 record length, bytes.
    encoding : int, optional
        Expected encoding code (10 Steim1, 11 Steim2, 3 int32, 4 float32...).
    byte_order : {"big", "little"}, optional
        Expected miniSEED 2 header byte order.
    min_timing_quality : int, optional
        Lowest acceptable blockette 1001 timing quality, percent.
    rate_tolerance : float, optional
        Relative tolerance between data and metadata sample rates (default 0.01 = 1 %,
        the core's ``QcRequest``).
    threads : int, optional
        Worker threads (default: all cores).

    now : time, optional
        The end of a window given only its ``start`` (default: the clock).

    Returns
    -------
    QcReport
        Its ``to_dict()`` is the report of ``siqaco qc --format json``: ``version``, ``window``, ``files``,
        ``records``, ``worst_severity`` (``"error"``, ``"warning"``, ``"info"`` or None),
        ``findings`` (``code``, ``severity``, ``nslc``, ``start``, ``end`` ISO 8601 or
        None, ``path``, ``count``, ``message``, ``examples``: at most 5 lines; one finding
        per stream and check, ``count`` instances), ``streams`` (per stream its per-day summaries) and
        ``errors`` (unreadable file parts: ``path``, ``offset``, ``message``).

    Raises
    ------
    FileNotFoundError
        When the archive root or the metadata does not exist.
    MetadataError
        When the StationXML cannot be read (file, line and column named).
    InvalidArgumentError
        For a bad time, selection, layout or rule.
    KeyboardInterrupt
        On Ctrl-C: no further file is read and no further stream checked.
    """
    return QcReport(_siqaco.qc(**_qc_native(locals())).run())


def _qc_native(a: Dict[str, Any]) -> Dict[str, Any]:
    """The native keyword arguments of :func:`qc`'s arguments ``a`` (by name)."""
    return dict(
        archive=os.fspath(a["archive"]),
        metadata=os.fspath(a["metadata"]),
        layout=a["layout"],
        select=_select(a["select"]),
        start_ns=_to_ns(a["start"]),
        end_ns=_to_ns(a["end"]),
        record_length=a["record_length"],
        encoding=a["encoding"],
        byte_order=a["byte_order"],
        min_timing_quality=a["min_timing_quality"],
        rate_tolerance=a["rate_tolerance"],
        threads=a["threads"],
        now_ns=_to_ns(a["now"]),
    )


def _ids(ids: Union[int, Iterable[int], None]) -> Optional[List[int]]:
    if ids is None:
        return None
    if isinstance(ids, int):
        return [ids]
    return [int(i) for i in ids]


def stack_list(
    config: PathLike,
    state: Union[str, Iterable[str], None] = None,
    attempts: bool = False,
) -> List[StackRequest]:
    """The requests of the request stack of :func:`update`, as ``siqaco stack list
    --format json`` lists them (docs/configuration.md).

    Parameters
    ----------
    config : path
        The configuration file (``siqaco.toml``); the stack is in its catalogue.
    state : str or list of str, optional
        Only requests in these states: ``"new"``, ``"in_progress"``, ``"succeeded"``,
        ``"retry"``, ``"failed"``, ``"on_hold"``, ``"cancelled"`` (default: all).
    attempts : bool
        Also give each request's attempts (``attempt_list``).

    Returns
    -------
    list of StackRequest
        One per request (a dict; its keys are also attributes), sorted by ``id``: ``id``, ``stream`` (``NET.STA.LOC.CHA``;
        location and channel ``*`` for a multiplexed station), ``start``, ``end`` (ISO 8601,
        end exclusive), ``start_ns``, ``end_ns`` (ns since 1970-01-01 UTC), ``state``,
        ``reason`` (str or None), ``sources`` (names of the only sources asked, or None),
        ``created_ns``, ``updated_ns``, ``attempts`` (completed attempts counted by the
        retry policy), ``samples_added``; with ``attempts=True`` also ``attempt_list``: per
        source asked in a run, oldest first, ``request_id``, ``run_id``, ``source``,
        ``started_ns``, ``finished_ns``, ``lines`` (the request lines sent), ``bytes``,
        ``samples_added``, ``outcome`` (``"data"``, ``"no_data"``, ``"not_available"``,
        ``"offline"`` or ``"error"``) and ``message``.

    Raises
    ------
    ConfigError
        For an invalid configuration.
    FileNotFoundError
        When the configuration file does not exist.
    DatabaseError
        When the catalogue cannot be opened.
    InvalidArgumentError
        For an unknown state.
    """
    listed = _siqaco.stack_list(os.fspath(config), state=_select(state), attempts=attempts)
    return [StackRequest(r) for r in listed]


def stack_run(
    config: PathLike,
    progress: Optional[Callable[[int, int, int], Any]] = None,
) -> UpdateSummary:
    """Executes the pending requests of the stack (``new``, ``retry``, ``failed``) without
    analysing a window, as ``siqaco stack run`` does: the execution step of :func:`update`
    (archive lock, sources in priority order, merge, re-index). Runs with the GIL released.

    Parameters
    ----------
    config : path
        The configuration file (``siqaco.toml``).
    progress : callable, optional
        Called as ``progress(requests_done, requests_total, samples_added)`` in the calling
        thread with the GIL held.

    Returns
    -------
    UpdateSummary
        The summary of ``siqaco stack run --format json``, with the keys of :func:`update`'s:
        the window is the pending requests' extent (empty strings and zero counts when
        nothing is pending); ``streams_checked``, ``gaps_found`` and ``requests_created`` are
        0; ``requests_left`` counts the requests of that window still incomplete (the CLI's
        exit status 3 when not 0).

    Raises
    ------
    ConfigError, OSError, DatabaseError
        As :func:`update` (``OSError`` when another update holds the archive's lock).
    KeyboardInterrupt
        On Ctrl-C (or when ``progress`` raises, that exception): as :func:`update`, the
        requests being executed finish and are merged, the others stay pending.
    """
    _close_unreferenced_sqlite()
    return UpdateSummary(_siqaco.stack_run(os.fspath(config), progress=progress))


def stack_retry(config: PathLike, ids: Union[int, Iterable[int], None] = None) -> int:
    """Puts ``on_hold`` and ``failed`` requests back to ``retry`` with a fresh retry policy
    (attempt count 0, lifespan from now), as ``siqaco stack retry`` does.

    Parameters
    ----------
    config : path
        The configuration file (``siqaco.toml``).
    ids : int or list of int, optional
        Request ids (``on_hold``, ``failed`` or ``retry`` requests); default: every
        ``on_hold`` and ``failed`` request.

    Returns
    -------
    int
        The number of requests put back to retry.

    Raises
    ------
    NotFoundError
        For an id that is not in the stack.
    InvalidArgumentError
        For a request in another state (nothing is changed).
    ConfigError, FileNotFoundError, DatabaseError
        As :func:`stack_list`.
    """
    _close_unreferenced_sqlite()
    return _siqaco.stack_retry(os.fspath(config), ids=_ids(ids))


def stack_cancel(config: PathLike, ids: Union[int, Iterable[int]]) -> int:
    """Cancels requests, as ``siqaco stack cancel`` does: they are never attempted again and
    their window is not requested again by later updates.

    Parameters
    ----------
    config : path
        The configuration file (``siqaco.toml``).
    ids : int or list of int
        Request ids.

    Returns
    -------
    int
        The number of requests cancelled.

    Raises
    ------
    NotFoundError
        For an id that is not in the stack.
    InvalidArgumentError
        For a ``succeeded`` or ``in_progress`` request (nothing is changed).
    ConfigError, FileNotFoundError, DatabaseError
        As :func:`stack_list`.
    """
    _close_unreferenced_sqlite()
    return _siqaco.stack_cancel(os.fspath(config), _ids(ids) or [])


def request_create(
    config: PathLike,
    select: Union[str, Iterable[str]],
    start: TimeLike,
    end: TimeLike,
    sources: Union[str, Iterable[str], None] = None,
) -> List[StackRequest]:
    """Adds requests to the stack for a window, without gap analysis, as ``siqaco request
    create`` does; the next :func:`update` or :func:`stack_run` executes them.

    Parameters
    ----------
    config : path
        The configuration file (``siqaco.toml``).
    select : str or list of str
        Streams ``NET.STA.LOC.CHA``: exact codes as given (a stream with no data yet
        included), patterns with ``*`` and ``?`` expanded against the maintained streams,
        the archive and the catalogue. One request per stream (per station for a
        multiplexed station).
    start, end : time
        The window ``[start, end)``.
    sources : str or list of str, optional
        Ask only these sources (names from the configuration); default: every source
        configured for the stream.

    Returns
    -------
    list of StackRequest
        The requests created, as :func:`stack_list` gives them (state ``"new"``).

    Raises
    ------
    InvalidArgumentError
        For an empty window, a selection that matches no stream or an unknown source name.
    ConfigError, FileNotFoundError, DatabaseError
        As :func:`stack_list`.
    """
    _close_unreferenced_sqlite()
    created = _siqaco.request_create(
        os.fspath(config),
        _select(select) or [],
        _required_ns(start, "start"),
        _required_ns(end, "end"),
        sources=_select(sources),
    )
    return [StackRequest(r) for r in created]
