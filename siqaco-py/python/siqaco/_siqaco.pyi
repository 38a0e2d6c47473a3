"""Private native module of siqaco (Rust, pyo3). Use the ``siqaco`` package instead."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, final

import numpy as np

__all__ = [
    "__version__",
    "ScanReport",
    "scan",
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
    "report_data",
    "fetch",
    "merge",
    "update",
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
    progress: Optional[Callable[[int, int, int, int], Any]] = None,
    threads: Optional[int] = None,
) -> ScanReport:
    """Scans an archive directory (or miniSEED files) with the GIL released."""

def read(
    paths: Sequence[str],
    layout: str = "sds",
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    tolerance_s: Optional[float] = None,
) -> List[Tuple[str, str, str, str, int, float, np.ndarray]]:
    """Reads samples into segments ``(net, sta, loc, cha, start_ns, rate_hz, data)``;
    Ctrl-C stops it between files."""

def report_data(
    db: str,
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    now_ns: Optional[int] = None,
) -> dict:
    """The figures' data of ``siqaco report`` from a catalogue (docs/report.md)."""
    ...

def streams(
    root: str, layout: str = "sds", select: Optional[Sequence[str]] = None
) -> List[str]:
    """The streams of an archive from its file names, ``"NET.STA.LOC.CHA"`` sorted."""

def parse_time(text: str, field: Optional[str] = None) -> int:
    """Parses a time as the CLI does into ns since 1970-01-01 UTC (a refusal names
    ``field`` when given)."""

def index(
    root: str,
    db: str,
    layout: str = "sds",
    relative_paths: bool = False,
    hash: bool = False,
    threads: Optional[int] = None,
) -> Dict[str, int]:
    """Indexes an archive into a tsindex catalogue, incrementally; Ctrl-C stops it between
    files (what was read is written, file by file)."""

def stats(
    db: str,
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    per_day: bool = False,
) -> ScanReport:
    """The scan report of a catalogue, without reading waveforms."""

def fetch(
    source: str,
    select: Sequence[str],
    start_ns: int,
    end_ns: int,
    out: str,
    layout: str = "sds",
    source_layout: str = "sds",
    in_flight: int = 4,
    timeout_s: float = 120.0,
    retries: int = 4,
    quality: Optional[str] = None,
    limit_rate: Optional[int] = None,
    availability: str = "assume",
    user: Optional[str] = None,
    password: Optional[str] = None,
    token: Optional[str] = None,
    progress: Optional[Callable[[int, int, int, int], Any]] = None,
) -> Dict[str, Any]:
    """Fetches data into an archive (``siqaco fetch``); returns the counts."""

def merge(
    into: str,
    inputs: Sequence[str],
    layout: str = "sds",
    priority: Sequence[int] = ...,
    archive_priority: int = 1,
    record_length: Optional[int] = None,
    encoding: str = "keep",
    format_version: Optional[int] = None,
    quality: Optional[str] = None,
    split: str = "midnight",
    archive: str = "ranked",
    dry_run: bool = False,
) -> Dict[str, Any]:
    """Merges patches into an archive (``siqaco merge``); returns the ``--json`` report."""

def update(
    config: str,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    dry_run: bool = False,
    progress: Optional[Callable[[int, int, int], Any]] = None,
) -> Dict[str, Any]:
    """One run of ``siqaco update``; returns the ``--format json`` summary."""

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
    rate_tolerance: float = 0.01,
    threads: Optional[int] = None,
) -> Dict[str, Any]:
    """Checks an archive against StationXML and its rules (``siqaco qc --format json``);
    Ctrl-C stops it between files and streams."""

def stack_list(
    config: str,
    states: Optional[Sequence[str]] = None,
    attempts: bool = False,
) -> List[Dict[str, Any]]:
    """The requests of the stack (``siqaco stack list --format json``)."""

def stack_run(
    config: str,
    progress: Optional[Callable[[int, int, int], Any]] = None,
) -> Dict[str, Any]:
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
