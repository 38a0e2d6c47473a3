"""The common pieces of the benchmark scripts in bench/ (issue #24, item 5): one session per
script (work directory, machine, load average before and after), the alternating runner
(A B A B ..., a `sync` and a pause between runs, warm and, where the machine allows dropping
the page cache, cold), the statistics (median, min-max), the bench archive generator, and
the helpers that check that a peer did the same job as siqaco (samples per stream and day,
gap lists, catalogue rows). A disagreement stops the benchmark: `disagree()` exits non-zero
with a message naming both tools and what differs.

Not a test, not part of the package: the scripts import it as `import _bench` (bench/ is the
script's own directory, first on `sys.path`).

Rules every script follows through this module:

* everything it writes goes under the work directory (`--work DIR`, default a new temporary
  directory removed at the end unless `--keep`), never into the repository;
* the siqaco binary is `--siqaco PATH` (default `target/release/siqaco` of this checkout,
  which must exist: `cargo build --release -p siqaco-cli`); peers come from PATH or the
  virtual environments of the checkout (`.venv`, `.venv-fdsnws`), or their own option;
* the runs of the tools alternate, at least 5 repetitions by default, each run preceded by
  its untimed preparation, a `sync` and a pause; each tool's output is synced inside its
  timed region (or no tool's is);
* the figures are medians with min-max; cold-cache figures come from a second pass with
  `echo 3 > /proc/sys/vm/drop_caches` before every run, when that is allowed (root, a
  writable /proc/sys); otherwise the output says why there are none.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parents[1]
DAY_NS = 86_400_000_000_000
GNU_TIME = "/usr/bin/time"
# make-bench-archive's arguments for the bench archive (with --stations and --days): 512-byte
# Steim2 records, seed 1; STANDARD adds the sample rate, 100 Hz.
GEN_COMMON = ["--record-length", "512", "--encoding", "STEIM2", "--seed", "1", "--jobs", "2"]
STANDARD = ["--sample-rate", "100", *GEN_COMMON]


def disagree(msg: str) -> None:
    """Stops the benchmark: the tools did not do the same job (exit status 1)."""
    sys.exit(f"benchmark stopped: the outputs disagree: {msg}")


def log(msg: str) -> None:
    """Progress on stderr (stdout is the Markdown result)."""
    print(msg, file=sys.stderr, flush=True)


# --- the machine ---------------------------------------------------------------------------

def loadavg() -> str:
    a = os.getloadavg()
    return f"{a[0]:.2f} {a[1]:.2f} {a[2]:.2f}"


def machine() -> str:
    """Cores, CPU model and memory of this machine, one line."""
    cpu = ""
    try:
        cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                    if l.startswith("model name")), "")
    except OSError:
        pass
    mem = ""
    try:
        info = {l.split(":")[0]: int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()}
        mem = f", {info['MemTotal'] // 1024} MiB RAM ({info.get('MemAvailable', 0) // 1024} MiB available)"
    except (OSError, KeyError, ValueError):
        pass
    return f"{os.cpu_count()} cores ({cpu or 'unknown CPU'}){mem}"


def sync() -> None:
    subprocess.run(["sync"], check=False)


def drop_caches() -> str | None:
    """Writes back dirty pages and drops the page cache, dentries and inodes; None when done,
    else why not (not root, /proc/sys read-only in a container, ...)."""
    sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return None
    except OSError as e:
        return f"cannot drop the page cache ({e.strerror or e}); cold-cache figures are not measured"


def warm(paths: Iterable[Path | str]) -> None:
    """Reads files once, so that they are in the page cache."""
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 20):
                pass


def files_of(d: Path) -> list[Path]:
    """The files under `d` (hidden ones left out), sorted."""
    return sorted(p for p in Path(d).rglob("*") if p.is_file() and not p.name.startswith("."))


def size_of(d: Path) -> int:
    return sum(p.stat().st_size for p in files_of(d))


# --- timing ----------------------------------------------------------------------------------

@dataclass
class Run:
    """One timed run: wall seconds, peak resident set size of the process tree in KiB
    (GNU time; None when not measured) and what the command wrote on stdout."""
    seconds: float
    rss_kib: int | None = None
    stdout: str = ""


def timed(cmd: list[str], *, ok: Iterable[int] = (0,), inner: bool = False, cwd=None, env=None) -> Run:
    """Runs a command under GNU time (wall seconds around it, peak RSS from GNU time's
    `%M`). A failing command (status not in `ok`) stops the benchmark. `inner`: the
    command prints its own elapsed seconds as the last line of stdout (a Python snippet
    that times only its work, not the interpreter's start) and that is the run's time."""
    fd, rss_file = tempfile.mkstemp(prefix="bench-time-")
    os.close(fd)
    try:
        pre = [GNU_TIME, "-f", "%M", "-o", rss_file] if os.path.exists(GNU_TIME) else []
        t0 = time.perf_counter()
        p = subprocess.run([*pre, *map(str, cmd)], capture_output=True, cwd=cwd, env=env)
        dt = time.perf_counter() - t0
        if p.returncode not in tuple(ok):
            sys.exit(f"failed ({p.returncode}): {' '.join(map(str, cmd))[:400]}\n"
                     f"{p.stderr.decode(errors='replace')[-3000:]}")
        rss = None
        if pre:
            lines = Path(rss_file).read_text().split()
            rss = int(lines[-1]) if lines and lines[-1].isdigit() else None
    finally:
        os.unlink(rss_file)
    out = p.stdout.decode(errors="replace")
    if inner:
        dt = float(out.strip().splitlines()[-1])
    return Run(dt, rss, out)


def synced(cmd: list[str]) -> list[str]:
    """`cmd` followed by `sync`, as one command: the tool's output written back to the disk
    inside the timed region."""
    return ["sh", "-c", '"$@" && sync', "sh", *map(str, cmd)]


@dataclass
class Job:
    """One tool in the alternation. `run` is the timed part; `before` prepares (untimed:
    fresh copies, empty output directories); `after` checks and cleans up (untimed; it gets
    the run and the repetition's number)."""
    name: str
    run: Callable[[], Run]
    before: Callable[[], None] | None = None
    after: Callable[[Run, int], None] | None = None


@dataclass
class Stat:
    """Median, min and max seconds of a job's runs; peak RSS in MiB (max over the runs)."""
    n: int
    median: float
    min: float
    max: float
    rss_mib: float | None
    seconds: list[float] = field(default_factory=list)

    def cell(self, digits: int = 3) -> str:
        """`median (min–max)` for a Markdown table."""
        return f"{self.median:.{digits}f} ({self.min:.{digits}f}–{self.max:.{digits}f})"

    def as_dict(self) -> dict:
        return {"runs": self.n, "median_s": self.median, "min_s": self.min, "max_s": self.max,
                "peak_rss_MiB": self.rss_mib, "seconds": self.seconds}


def stat(runs: list[Run]) -> Stat:
    s = [r.seconds for r in runs]
    rss = [r.rss_kib for r in runs if r.rss_kib is not None]
    return Stat(len(s), statistics.median(s), min(s), max(s), max(rss) / 1024 if rss else None, s)


# --- the session -----------------------------------------------------------------------------

def add_common(ap: argparse.ArgumentParser, *, reps: int = 5, archive: bool = False) -> None:
    """The options every script takes: --siqaco, --work, --keep, --reps, --pause,
    --warm-only, --json, and with `archive` the bench archive's (--archive, or a generated
    one: --make-bench-archive, --stations, --days, --sample-rate)."""
    g = ap.add_argument_group("common benchmark options (bench/_bench.py)")
    g.add_argument("--siqaco", type=Path, default=ROOT / "target" / "release" / "siqaco",
                   help="the siqaco binary to time (default: target/release/siqaco of this checkout)")
    g.add_argument("--work", type=Path,
                   help="the only directory written (default: a new temporary one, removed at the end)")
    g.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    g.add_argument("--reps", type=int, default=reps, help=f"repetitions of each tool (default {reps})")
    g.add_argument("--pause", type=float, default=1.0, help="seconds of pause after each sync (default 1)")
    g.add_argument("--warm-only", action="store_true", help="no cold-cache pass")
    g.add_argument("--json", type=Path, help="also write the results as JSON here")
    if archive:
        g.add_argument("--archive", type=Path,
                       help="an existing bench archive (read only); default: generate one under the work directory")
        g.add_argument("--make-bench-archive", type=Path, help="the generator (default: tools/make-bench-archive "
                       "of this checkout)")


def add_size(ap: argparse.ArgumentParser, stations: int = 12, days: int = 4) -> None:
    """--stations and --days of a generated bench archive."""
    ap.add_argument("--stations", type=int, default=stations,
                    help=f"stations of the generated archive (default {stations})")
    ap.add_argument("--days", type=int, default=days, help=f"days of the generated archive (default {days})")


def generator(path: Path | None) -> Path:
    """The bench archive generator: `path`, else tools/make-bench-archive in the repository."""
    p = path or ROOT / "tools" / "make-bench-archive"
    if p.is_file():
        return p
    sys.exit(f"make-bench-archive not found ({path or 'tools/make-bench-archive'}): give --make-bench-archive PATH")


class Session:
    """One script's run: parses nothing itself; give it the parsed arguments of
    `add_common`. Prints the machine and the load average when entered, the load average
    again when left, and removes the temporary work directory. Also decides (once) whether
    cold-cache runs are possible."""

    def __init__(self, name: str, args: argparse.Namespace, *, needs_siqaco: bool = True):
        self.name, self.args = name, args
        self.own_work = args.work is None
        self.work = Path(tempfile.mkdtemp(prefix=f"siqaco-bench-{name}-")) if self.own_work else args.work
        self.work = self.work.resolve()
        if self.work == ROOT or ROOT in self.work.parents:
            sys.exit(f"--work {self.work} is inside the repository: give a directory outside it")
        self.work.mkdir(parents=True, exist_ok=True)
        self.siqaco = str(Path(args.siqaco).resolve()) if getattr(args, "siqaco", None) else ""
        if needs_siqaco and not Path(self.siqaco).is_file():
            sys.exit(f"{self.siqaco} not found: cargo build --release -p siqaco-cli, or give --siqaco PATH")
        self.cold_note: str | None = "not asked for (--warm-only)" if getattr(args, "warm_only", False) else None
        self.results: dict = {"benchmark": name, "machine": machine(), "siqaco": self.siqaco}

    def __enter__(self) -> "Session":
        self.results["load_before"] = loadavg()
        print(f"**{self.name}** on {self.results['machine']}; siqaco {self.siqaco or '-'}\n")
        print(f"Load average before: {self.results['load_before']}\n", flush=True)
        return self

    def __exit__(self, *exc) -> None:
        self.results["load_after"] = loadavg()
        print(f"\nLoad average after: {self.results['load_after']}", flush=True)
        if exc[0] is None:
            target = getattr(self.args, "json", None) or (None if self.own_work else self.work / f"{self.name}.json")
            if target:
                Path(target).write_text(json.dumps(self.results, indent=1, default=str))
        if self.own_work and not getattr(self.args, "keep", False):
            shutil.rmtree(self.work, ignore_errors=True)
        elif self.own_work:
            log(f"kept {self.work}")

    # --- inputs ---

    def standard_archive(self, *extra: str) -> Path:
        """`bench_archive` of the standard bench archive: --stations x 3 channels x --days
        of the script's arguments (`add_size`), 100 Hz, 512-byte Steim2, seed 1; `extra`
        arguments for make-bench-archive (e.g. --no-straddle)."""
        return self.bench_archive("archive", "--stations", str(self.args.stations), "--days", str(self.args.days),
                                  *STANDARD, *extra)

    def bench_archive(self, name: str, *gen_args: str, use_given: bool = True) -> Path:
        """The archive given with --archive (when `use_given`), or one generated once under
        the work directory with make-bench-archive and `gen_args` (its expected files
        beside it: NAME.expected.json)."""
        given = getattr(self.args, "archive", None)
        if use_given and given:
            if not Path(given).is_dir():
                sys.exit(f"--archive {given}: not a directory")
            return Path(given).resolve()
        out = self.work / name
        if not out.is_dir():
            gen = generator(getattr(self.args, "make_bench_archive", None))
            log(f"generating {out} with {gen} {' '.join(gen_args)}")
            subprocess.run([sys.executable, str(gen), str(out), *gen_args, "--quiet"], check=True)
        return out

    # --- the runner ---

    def cold_possible(self) -> bool:
        """Whether the page cache can be dropped (tried once, so decided on the first call)."""
        if self.cold_note is None:
            why = drop_caches()
            self.cold_note = why or "yes"
        return self.cold_note == "yes"

    def alternate(self, jobs: list[Job], reps: int | None = None, *, cold: bool = False,
                  first: int = 0) -> dict[str, list[Run]]:
        """Runs the jobs in turn (A B C A B C ...), `reps` times each; before each timed run:
        the job's `before`, a `sync`, the pause and, with `cold`, a drop of the page cache.
        `after` gets the repetition's number counted from `first`. Returns the runs of each
        job, by name."""
        reps = self.args.reps if reps is None else reps
        out: dict[str, list[Run]] = {j.name: [] for j in jobs}
        for rep in range(reps):
            for j in jobs:
                if j.before:
                    j.before()
                sync()
                time.sleep(self.args.pause)
                if cold:
                    why = drop_caches()
                    if why:
                        sys.exit(why)
                r = j.run()
                log(f"  {'cold' if cold else 'warm'} {rep + 1}/{reps} {j.name}: {r.seconds:.3f} s")
                out[j.name].append(r)
                if j.after:
                    j.after(r, first + rep)
        return out

    def warm_and_cold(self, jobs: list[Job], reps: int | None = None,
                      warmup: Callable[[], None] | None = None) -> dict[str, dict[str, list[Run]]]:
        """The warm pass (after `warmup`, e.g. reading the inputs once) and, when possible,
        the cold pass; {"warm": runs, "cold": runs} (no "cold" when not possible). Prints
        whether cold-cache figures were measured and why not."""
        if warmup:
            warmup()
        reps = self.args.reps if reps is None else reps
        res = {"warm": self.alternate(jobs, reps)}
        if self.cold_possible():
            # numbered after the warm runs: the checks of repetition 0 run once
            res["cold"] = self.alternate(jobs, reps, cold=True, first=reps)
        self.results["cold_cache"] = self.cold_note
        return res

    def cold_line(self) -> str:
        n = self.cold_note or "not attempted"
        return ("Cold cache: page cache dropped before each cold run" if n == "yes"
                else f"Cold cache: no figures ({n})")


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# --- same job: samples -------------------------------------------------------------------------

_M1 = 0x9E3779B97F4A7C15
_M2 = 0xBF58476D1CE4E5B9
_M3 = 0x94D049BB133111EB


def _mix(t, v):
    """A 64-bit hash of each (sample slot, value) pair (splitmix64 finaliser), numpy uint64
    (in place on one array: the digest of a day of 100 Hz samples is memory-bound)."""
    import numpy as np

    with np.errstate(over="ignore"):
        x = t.astype(np.uint64)
        x *= np.uint64(_M1)
        y = v.astype(np.int64).view(np.uint64)
        y *= np.uint64(_M3)
        x ^= y
        del y
        x ^= x >> np.uint64(30)
        x *= np.uint64(_M2)
        x ^= x >> np.uint64(27)
        x *= np.uint64(_M3)
        x ^= x >> np.uint64(31)
    return x


def sample_digest(files: Iterable[Path | str], window: tuple[int, int] | None = None) -> dict:
    """What a set of miniSEED files holds, sample by sample, read with libmseed (pymseed):
    {(source id, UTC day number): [samples, digest, first ns, last ns]}, where the digest is
    the wrapping sum of a 64-bit hash of each (sample slot, value): equal for equal
    multisets of samples, whatever the files, record lengths, encodings or order. Sample
    times are each contiguous segment's start plus i sample periods (libmseed's trace list
    of one file: records joined when each starts within half a sample period of the
    segment's next sample time); the slot is the sample time in sample periods since 1970,
    rounded (record start times are stored to the µs, so the same sample in records cut
    elsewhere can be 1 µs off; a record shifted by less than half a period gets the same
    slots either way); float values are compared by their bits. `window` (start ns, end
    ns): only the samples in [start, end). One file's samples in memory at a time; the
    hashing is vectorised over whole segments (one record at a time took minutes for the
    merge benchmark's outputs)."""
    import numpy as np
    import pymseed

    out: dict = {}
    for f in files:
        tl = pymseed.MS3TraceList()
        tl.add_file(str(f), unpack_data=True)
        for tid in tl:
            for seg in tid:
                n, rate = seg.numsamples, seg.samprate
                if n == 0 or rate <= 0:
                    continue
                _digest_segment(out, tid.sourceid, seg.starttime, rate, np.asarray(seg.np_datasamples), window)
        del tl
    return out


def _digest_segment(out: dict, sid: str, start: int, rate: float, v, window: tuple[int, int] | None) -> None:
    """Adds the samples `v` of one contiguous segment (first sample at `start` ns, `rate`
    Hz) to a `sample_digest`, split by UTC day."""
    import numpy as np

    if v.dtype.kind == "f":
        v = v.astype(np.float64).view(np.int64)
    t = start + np.round(np.arange(len(v)) * (1e9 / rate)).astype(np.int64)
    if window:
        keep = (t >= window[0]) & (t < window[1])
        t, v = t[keep], v[keep]
        if len(t) == 0:
            return
    days = t // DAY_NS
    # the times increase within a segment: each day is one slice
    cuts = np.flatnonzero(np.diff(days)) + 1
    for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(t)]):
        tt, vv = t[a:b], v[a:b]
        e = out.setdefault((sid, int(days[a])), [0, 0, int(tt[0]), int(tt[-1])])
        e[0] += len(tt)
        slot = np.round(tt.astype(np.float64) * (rate / 1e9)).astype(np.int64)
        e[1] = (e[1] + int(_mix(slot, vv).sum(dtype=np.uint64))) & 0xFFFFFFFFFFFFFFFF
        e[2], e[3] = min(e[2], int(tt[0])), max(e[3], int(tt[-1]))


def _day(d: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(d * 86400))


def same_samples(a: dict, b: dict, what_a: str, what_b: str) -> int:
    """Stops the benchmark unless two `sample_digest`s hold the same samples for every stream
    and day; returns the number of samples. The message names up to 10 stream-days that
    differ (samples and first/last sample times of each side)."""
    bad = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if x is None or y is None or x[:2] != y[:2]:
            def desc(e):
                return "nothing" if e is None else f"{e[0]} samples {e[2]}..{e[3]} ns"
            bad.append(f"{k[0]} {_day(k[1])}: {what_a} {desc(x)}, {what_b} {desc(y)}")
    if bad:
        disagree(f"{what_a} vs {what_b}: {len(bad)} stream-day(s) with other samples:\n  "
                 + "\n  ".join(bad[:10]))
    return sum(e[0] for e in a.values())


def compare_trees(a: Path | list, b: Path | list, what_a: str, what_b: str,
                  window: tuple[int, int] | None = None) -> int:
    """`same_samples` of two directories (or lists of files); returns the samples."""
    fa = files_of(a) if isinstance(a, Path) else a
    fb = files_of(b) if isinstance(b, Path) else b
    return same_samples(sample_digest(fa, window), sample_digest(fb, window), what_a, what_b)


# --- same job: gaps and rows ---------------------------------------------------------------------

def union_gaps(segments: dict[str, list[tuple[int, int, float]]]) -> dict[str, list[tuple[int, int]]]:
    """Gaps of each stream from its segments (first sample ns, last sample ns, sample rate):
    the segments' union sorted by time, a gap where the next segment's first sample comes
    more than 1.5 sample periods after the latest last sample so far; each gap as (last
    sample before it, first sample after it), in ns."""
    out = {}
    for sid, segs in segments.items():
        segs = sorted(segs)
        gaps, end = [], None
        for s, e, rate in segs:
            if end is not None and s - end > 1.5e9 / rate:
                gaps.append((end, s))
            end = e if end is None else max(end, e)
        out[sid] = gaps
    return out


def same_gaps(a: dict[str, list[tuple[int, int]]], b: dict[str, list[tuple[int, int]]],
              what_a: str, what_b: str, tolerance_ns: int = 1000) -> int:
    """Stops the benchmark unless two gap lists (stream -> [(last sample ns, next sample ns)])
    are equal within `tolerance_ns` (1 µs: the precision of the time strings); returns the
    number of gaps. Streams without gaps may be missing on either side."""
    bad = []
    for sid in sorted(set(a) | set(b)):
        x, y = a.get(sid, []), b.get(sid, [])
        if len(x) != len(y) or any(abs(p - q) > tolerance_ns for g, h in zip(x, y) for p, q in zip(g, h)):
            bad.append(f"{sid}: {what_a} {len(x)} gap(s), {what_b} {len(y)} gap(s); first difference: "
                       + next((f"{g} vs {h}" for g, h in zip(x, y) if g != h), "in the count"))
    if bad:
        disagree(f"gap lists of {what_a} and {what_b} differ in {len(bad)} stream(s):\n  " + "\n  ".join(bad[:10]))
    return sum(len(v) for v in a.values())


def iso_ns(t: str) -> int:
    """ns since 1970 of an ISO time `YYYY-MM-DDTHH:MM:SS[.ffffff][Z]` (UTC)."""
    from datetime import datetime, timezone

    t = t.rstrip("Z")
    whole, _, frac = t.partition(".")
    dt = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 10**9 + int((frac or "0").ljust(9, "0")[:9])


def siqaco_gaps(scan_doc: dict) -> dict[str, list[tuple[int, int]]]:
    """The gaps of a `siqaco scan --format json` document: stream -> [(last sample ns, next
    sample ns)] (field names from docs/gaps.md)."""
    return {s["nslc"]: [(iso_ns(g["last_sample"]), iso_ns(g["next_sample"])) for g in s["gaps"]]
            for s in scan_doc["streams"]}


def same_rows(a: list[tuple], b: list[tuple], what_a: str, what_b: str) -> int:
    """Stops the benchmark unless two sorted lists of catalogue rows are equal; returns the
    number of rows. The message shows the first row that differs."""
    if a != b:
        first = next(((x, y) for x, y in zip(a, b) if x != y), (a[len(b):][:1], b[len(a):][:1]))
        disagree(f"catalogue rows of {what_a} ({len(a)}) and {what_b} ({len(b)}) differ; first: "
                 f"{first[0]} vs {first[1]}")
    return len(a)


def tool(name: str, given: str | Path | None = None) -> str | None:
    """A peer's executable: `given`, else on PATH, else in the checkout's virtual
    environments (.venv, .venv-fdsnws); None when absent."""
    if given:
        p = shutil.which(str(given))
        return str(Path(p).resolve()) if p else None
    for c in [shutil.which(name), ROOT / ".venv" / "bin" / name, ROOT / ".venv-fdsnws" / "bin" / name]:
        if c and Path(c).is_file():
            return str(c)
    return None


def dataselect(given: str | Path | None) -> tuple[str | None, str]:
    """EarthScope dataselect (--dataselect PATH or on PATH) and its version; (None, why)
    when absent (the benchmark then says it skips that peer)."""
    exe = tool("dataselect", given)
    if not exe:
        return None, (f"{given} not found" if given else "not on PATH (give --dataselect PATH)")
    v = subprocess.run([exe, "-V"], capture_output=True, text=True)
    return exe, (v.stdout + v.stderr).strip().split()[-1]


# --- a throw-away PostgreSQL server ----------------------------------------------------------------

def pg_bin() -> Path | None:
    """The directory of PostgreSQL's initdb and pg_ctl: $SIQACO_PG_BIN, else the newest
    /usr/lib/postgresql/N/bin, else `pg_config --bindir` (as siqaco-core/tests/pg_server
    looks for them)."""
    if os.environ.get("SIQACO_PG_BIN"):
        return Path(os.environ["SIQACO_PG_BIN"])
    found = sorted((int(p.name), p / "bin") for p in Path("/usr/lib/postgresql").glob("*")
                   if p.name.isdigit() and (p / "bin" / "initdb").is_file())
    if found:
        return found[-1][1]
    if shutil.which("pg_config"):
        b = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
        if (b / "initdb").is_file():
            return b
    return None


class PgServer:
    """A throw-away PostgreSQL server on 127.0.0.1 with its data under `work` (made here),
    for run-all's `--pg auto` and the PostgreSQL tests (tests/peers/update_scenario.py's
    `pg` fixture): `initdb -U siqaco --auth=trust`, `pg_ctl start` on a free port, fsync
    off; as root, initdb and the server run as the `postgres` user (they refuse to run as
    root, as in siqaco-core/tests/pg_server), so `work` and its parents must be reachable by
    it. `url(db)` is the server's URL (user siqaco, a superuser); `stop()` stops it (the
    data stay until `work` is removed). Raises RuntimeError when there are no PostgreSQL
    binaries (`pg_bin`) or the server cannot be set up or started."""

    def __init__(self, work: Path):
        import socket

        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl: apt-get install postgresql, "
                               "or SIQACO_PG_BIN=DIR)")
        self.dir = work
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        if self.run_as:
            subprocess.run(["chown", "-R", "postgres", str(work)], check=True)
            # the postgres user must be able to reach it: through the directory above too
            # (a temporary work directory is made with mode 700)
            os.chmod(work.parent, work.parent.stat().st_mode | 0o011)
        self._run("initdb", "-D", str(work / "data"), "-U", "siqaco", "--auth=trust",
                  "--no-locale", "-E", "UTF8", "--no-sync")
        for _ in range(5):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            opts = f"-k {work} -p {self.port} -F -c listen_addresses=127.0.0.1 -c max_connections=200"
            p = self._run("pg_ctl", "-D", str(work / "data"), "-o", opts, "-l", str(work / "log"),
                          "-w", "start", check=False)
            if p.returncode == 0:
                break
        else:
            raise RuntimeError("could not start PostgreSQL: " + (work / "log").read_text()[-2000:])
        v = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True)
        # "postgres (PostgreSQL) 15.18 (Debian ...)"
        self.version = (v.stdout.split() + ["?"] * 3)[2] if v.returncode == 0 else "?"
        log(f"PostgreSQL {self.version} on 127.0.0.1:{self.port} (data in {work / 'data'})")

    def _run(self, prog: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        p = subprocess.run([*self.run_as, str(self.bin / prog), *args], cwd=self.dir, capture_output=True)
        if check and p.returncode != 0:
            raise RuntimeError(f"{prog} failed: {p.stderr.decode(errors='replace')[-2000:]}")
        return p

    def url(self, db: str = "") -> str:
        """The URL of database `db` on this server (of the server alone when empty)."""
        return f"postgresql://siqaco@127.0.0.1:{self.port}" + (f"/{db}" if db else "")

    def sql(self, db: str, statement: str) -> str:
        """The output of `statement` run by psql on database `db` (unaligned, tuples only)."""
        p = subprocess.run([str(self.bin / "psql"), "-At", "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "siqaco", "-d", db, "-c", statement],
                           capture_output=True, text=True, check=True)
        return p.stdout.strip()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop", check=False)
