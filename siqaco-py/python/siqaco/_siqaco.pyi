"""Private native module of siqaco (Rust, pyo3). Use the ``siqaco`` package instead."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, final


__all__ = [
    "__version__",
    "Job",
    "IndexWriter",
    "ScanReport",
    "UpdateSummary",
    "IndexReport",
    "MergeReport",
    "QcReport",
    "scan",
    "streams",
    "read",
    "parse_time",
    "SiqacoError",
    "InvalidDataError",
    "InvalidArgumentError",
    "InvalidCodeError",
    "CodecError",
    "ConfigError",
    "NotFoundError",
    "MetadataError",
    "DatabaseError",
    "NetworkError",
    "SourceError",
    "index",
    "stats",
    "db_check",
    "db_migrate",
    "db_backup",
    "report_data",
    "fetch",
    "FetchReport",
    "merge",
    "repair",
    "update",
    "update_prepare_workers",
    "update_combine",
    "qc",
    "stack_list",
    "stack_run",
    "stack_retry",
    "stack_cancel",
    "request_create",
]

__version__: str

class SiqacoError(Exception):
    """Base class of the errors raised by siqaco."""

class InvalidDataError(SiqacoError):
    """Bytes that are not miniSEED, or a corrupt or truncated record."""

class InvalidArgumentError(SiqacoError):
    """A bad argument: a malformed time, selection, layout or tolerance."""

class InvalidCodeError(SiqacoError):
    """A network, station, location or channel code that is not allowed."""

class CodecError(SiqacoError):
    """libmseed could not decode or encode samples."""

class ConfigError(SiqacoError):
    """An invalid configuration."""

class NotFoundError(SiqacoError):
    """Nothing matched (no data for a selection)."""

class MetadataError(SiqacoError):
    """A metadata document (FDSN StationXML) that cannot be read."""

class DatabaseError(SiqacoError):
    """The catalogue database failed: cannot open, corrupt, locked, or a newer schema."""

class NetworkError(SiqacoError):
    """A network request failed: connection refused, timeout, an HTTP error status, or a
    response that is not what was asked for (the message names the URL and the HTTP status)."""

class SourceError(SiqacoError):
    """A data source failed: an external fetch program that does not exist, fails or times
    out (the message names the source)."""

@final
class ScanReport:
    """The result of :func:`scan`."""

    def to_dict(self) -> Any:
        """The stable JSON document of ``siqaco scan --format json`` as Python objects."""
    def gaps(
        self,
    ) -> List[
        Tuple[str, str, str, str, Optional[int], Optional[int], float, int, Optional[str]]
    ]:
        """Every gap: ``(net, sta, loc, cha, last_sample_ns, next_sample_ns, duration_s,
        missing_samples, edge)``."""
    @property
    def files(self) -> int:
        """Files scanned."""
    @property
    def records(self) -> int:
        """Records read (data and non-data)."""
    @property
    def bytes(self) -> int:
        """Bytes read."""

def scan(
    paths: Sequence[str],
    layout: str = "sds",
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    per_day: bool = True,
    tolerance_s: Optional[float] = None,
    min_gap_s: Optional[float] = None,
    max_gap_s: Optional[float] = None,
    threads: Optional[int] = None,
    mapping: Optional[str] = None,
) -> Job:
    """The scan of an archive directory (or miniSEED files); ``run()`` gives a
    :class:`ScanReport`."""

def read(
    paths: Sequence[str],
    layout: str = "sds",
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    tolerance_s: Optional[float] = None,
    mapping: Optional[str] = None,
    threads: Optional[int] = None,
) -> Job:
    """The read of samples into segments; ``run()`` gives tuples ``(net, sta, loc, cha,
    start_ns, rate_hz, data)``; Ctrl-C stops it between files."""

def report_data(
    catalogue: str,
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    now_ns: Optional[int] = None,
) -> Dict[str, Any]:
    """The figures' data of ``siqaco report`` from an existing catalogue (docs/report.md)."""

def streams(
    root: str, layout: str = "sds", select: Optional[Sequence[str]] = None
) -> List[str]:
    """The streams of an archive from its file names, ``"NET.STA.LOC.CHA"`` sorted."""

def parse_time(text: str, field: Optional[str] = None) -> int:
    """Parses a time as the CLI does into ns since 1970-01-01 UTC (a refusal names
    ``field`` when given)."""

@final
class IndexReport:
    """What an indexing run did (:func:`index`)."""

    def to_dict(self) -> Dict[str, int]:
        """The six counts as a dict."""
    def __getitem__(self, key: str, /) -> int:
        """One count by name."""
    @property
    def files_listed(self) -> int:
        """Files listed under the root."""
    @property
    def files_indexed(self) -> int:
        """Files read (new or changed)."""
    @property
    def files_unchanged(self) -> int:
        """Files unchanged, not read."""
    @property
    def files_removed(self) -> int:
        """Files removed from the catalogue."""
    @property
    def rows_written(self) -> int:
        """``tsindex`` rows written."""
    @property
    def files_with_errors(self) -> int:
        """Files with unreadable bytes."""
    @property
    def files_adopted(self) -> int:
        """Files whose ``tsindex`` rows of another tool were kept (adopted catalogue)."""
    @property
    def rows_kept(self) -> int:
        """``tsindex`` rows kept of the adopted files."""

def index(
    root: str,
    catalogue: str,
    layout: str = "sds",
    relative_paths: bool = False,
    hash: bool = False,
    subindex_s: Optional[int] = None,
    batch_files: Optional[int] = None,
    threads: Optional[int] = None,
    lease_s: Optional[float] = None,
) -> Job:
    """The indexing of an archive into a tsindex catalogue, incrementally; ``run()`` gives
    an :class:`IndexReport`; Ctrl-C stops it between files (what was read is written, file
    by file)."""

def stats(
    catalogue: str,
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    per_day: bool = True,
) -> ScanReport:
    """The scan report of an existing catalogue, without reading waveforms."""

def db_check(catalogue: str) -> Dict[str, Any]:
    """Checks an existing catalogue (``siqaco db check``): ``catalogue``, ``problems``,
    ``files``, ``rows``."""

def db_migrate(catalogue: str, dry_run: bool = False) -> Dict[str, Any]:
    """Migrates an existing catalogue (``siqaco db migrate [--dry-run]``): ``catalogue``,
    ``from_version``, ``to_version``, ``backup``, ``dry_run``, ``statements``."""

def db_backup(catalogue: str, output: Optional[str] = None) -> Dict[str, Any]:
    """Copies an existing catalogue (``siqaco db backup``; PostgreSQL: pg_dump's custom
    format): ``catalogue``, ``output``."""

def fetch(
    source: str,
    select: Sequence[str],
    start_ns: int,
    end_ns: int,
    out: str,
    layout: str = "sds",
    source_layout: str = "sds",
    in_flight: Optional[int] = None,
    timeout_s: Optional[float] = None,
    retries: Optional[int] = None,
    quality: Optional[str] = None,
    limit_rate: Optional[int] = None,
    availability: str = "assume",
    user: Optional[str] = None,
    password: Optional[str] = None,
    token: Optional[str] = None,
    progress: Optional[Callable[[int, int, int, int], Any]] = None,
) -> FetchReport:
    """Fetches data into an archive (``siqaco fetch``); returns the counts."""

@final
class FetchReport:
    """The result of :func:`fetch` (``siqaco::ops::ArchiveFetch``)."""

    def to_dict(self) -> Dict[str, Any]:
        """The fetch document: ``bytes``, ``chunks``, ``errors``, ``files_written``,
        ``nothing_available``, ``records_added``, ``records_duplicate``,
        ``requests_done``, ``requests_retried``."""

@final
class MergeReport:
    """The result of :func:`merge`."""

    def to_dict(self) -> Any:
        """The JSON document of ``siqaco merge --json`` as Python objects."""

def repair(
    root: str,
    layout: str = "sds",
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    keep: str = "newest",
    trust: Optional[str] = None,
    split: str = "midnight",
    record_length: Optional[int] = None,
    encoding: str = "keep",
    quarantine: Optional[str] = None,
    dry_run: bool = False,
) -> Dict[str, Any]:
    """Repairs an archive in place (``siqaco repair``); returns the ``--format json``
    report as a dict."""

def merge(
    into: str,
    inputs: Sequence[str],
    layout: str = "sds",
    priority: Sequence[int] = ...,
    archive_priority: Optional[int] = None,
    record_length: Optional[int] = None,
    encoding: str = "keep",
    format_version: Optional[int] = None,
    quality: Optional[str] = None,
    split: str = "midnight",
    archive: str = "ranked",
    dry_run: bool = False,
    catalogue: Optional[str] = None,
) -> MergeReport:
    """Merges patches into an archive (``siqaco merge``); the report's ``to_dict()`` is
    the ``--json`` report."""

@final
class UpdateSummary:
    """The summary of an update or of a run of the stack."""

    def to_dict(self) -> Dict[str, Any]:
        """The document of ``siqaco update --format json``."""
    @property
    def window_start_ns(self) -> Optional[int]:
        """Window start, ns (None: a run of the stack with nothing pending)."""
    @property
    def window_end_ns(self) -> Optional[int]:
        """Window end (exclusive), ns."""
    @property
    def run_id(self) -> Optional[int]:
        """The run's id in ``siqaco_runs`` (the workers' planning order)."""
    def __reduce__(self) -> Any:
        """Pickling: every field as a tuple."""
    @staticmethod
    def _from_state(state: Any) -> "UpdateSummary":
        """The summary of a state of ``__reduce__``."""

def update(
    config: str,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    dry_run: bool = False,
    now_ns: Optional[int] = None,
    progress: Optional[Callable[[int, int, int], Any]] = None,
) -> UpdateSummary:
    """One run of ``siqaco update`` (``siqaco::ops::UpdateRequest``)."""

def update_prepare_workers(
    config: str,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    dry_run: bool = False,
    now_ns: Optional[int] = None,
) -> None:
    """Checks that several workers can share the catalogue (PostgreSQL) and creates its
    schema (``siqaco::ops::UpdateRequest::prepare_workers``)."""

def update_combine(
    summaries: List[UpdateSummary],
    config: str,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    dry_run: bool = False,
    now_ns: Optional[int] = None,
) -> UpdateSummary:
    """The summary of an update by several workers (``siqaco::ops::UpdateRequest::combine``)."""

@final
class QcReport:
    """The result of :func:`qc`."""

    def to_dict(self) -> Any:
        """The JSON document of ``siqaco qc --format json`` as Python objects."""
    @property
    def worst_severity(self) -> Optional[str]:
        """``"error"``, ``"warning"``, ``"info"`` or None."""
    @property
    def window(self) -> Optional[Tuple[int, int]]:
        """The window checked, ``(start_ns, end_ns)``, or None."""

def qc(
    archive: str,
    metadata: str,
    layout: str = "sds",
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    record_length: Optional[int] = None,
    encoding: Optional[int] = None,
    byte_order: Optional[str] = None,
    min_timing_quality: Optional[int] = None,
    rate_tolerance: Optional[float] = None,
    threads: Optional[int] = None,
    now_ns: Optional[int] = None,
) -> Job:
    """The check of an archive against StationXML and its rules; ``run()`` gives a
    :class:`QcReport` (``to_dict()``: ``siqaco qc --format json``); Ctrl-C stops it between
    files and streams."""

def stack_list(
    config: str,
    state: Optional[Sequence[str]] = None,
    attempts: bool = False,
) -> List[Dict[str, Any]]:
    """The requests of the stack (``siqaco stack list --format json``)."""

def stack_run(
    config: str,
    progress: Optional[Callable[[int, int, int], Any]] = None,
) -> UpdateSummary:
    """Executes the pending requests (``siqaco stack run``); returns the summary."""

def stack_retry(config: str, ids: Optional[Sequence[int]] = None) -> int:
    """Puts on_hold and failed requests back to retry (``siqaco stack retry``)."""

def stack_cancel(config: str, ids: Sequence[int]) -> int:
    """Cancels requests (``siqaco stack cancel``)."""

def request_create(
    config: str,
    select: Sequence[str],
    start_ns: int,
    end_ns: int,
    sources: Optional[Sequence[str]] = None,
) -> List[Dict[str, Any]]:
    """Adds requests for a window (``siqaco request create``); returns them."""

@final
class Job:
    """One operation (:func:`scan`, :func:`read`, :func:`index`, :func:`qc`): run here, or
    planned, run by partition and combined by ``siqaco.distributed``."""

    def run(self, progress: Optional[Callable[[int, int, int, int], Any]] = None) -> Any:
        """Runs the operation here with the GIL released (``progress``: scan only)."""
    def plan(self, partition_files: int, tasks: int = 0) -> Tuple[bytes, List[bytes]]:
        """Lists the files once: ``(listing, [partition, ...])`` of whole station-days, at
        least ``partition_files`` files each (with ``tasks`` > 0: at most the files divided
        by ``tasks``)."""
    def partial(self, partition: Sequence[int]) -> bytes:
        """The partial result of one partition (in a worker)."""
    def combine(self, listing: Sequence[int], partials: Sequence[Sequence[int]]) -> Any:
        """The single-machine result from the listing and every partition's partial."""
    def writer(self) -> "IndexWriter":
        """An index only: the catalogue opened (created when missing) and compared with the
        archive, ready to take the partials one at a time."""

@final
class IndexWriter:
    """The catalogue of a distributed index, written while the workers read."""

    def add(self, partial: bytes) -> None:
        """Takes one partial and writes the batches of files it completes."""
    def finish(self) -> IndexReport:
        """Writes what is left; the run's ``IndexReport``."""
