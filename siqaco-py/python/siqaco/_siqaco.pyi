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
    "index",
    "stats",
    "report_data",
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
    per_day: bool = False,
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
    """Reads samples into segments ``(net, sta, loc, cha, start_ns, rate_hz, data)``."""

def report_data(
    db: str,
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    now_ns: Optional[int] = None,
) -> dict:
    """The figures' data of ``siqaco report`` from a catalogue (docs/report.md)."""
    ...

def parse_time(text: str) -> int:
    """Parses a time as the CLI does into ns since 1970-01-01 UTC."""

def index(
    root: str,
    db: str,
    layout: str = "sds",
    relative_paths: bool = False,
    hash: bool = False,
    threads: Optional[int] = None,
) -> Dict[str, int]:
    """Indexes an archive into a tsindex catalogue, incrementally."""

def stats(
    db: str,
    select: Optional[Sequence[str]] = None,
    start_ns: Optional[int] = None,
    end_ns: Optional[int] = None,
    per_day: bool = False,
) -> ScanReport:
    """The scan report of a catalogue, without reading waveforms."""
