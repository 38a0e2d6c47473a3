"""The same bad input through the three front ends — the ``siqaco`` command, this Python
package and the C ABI (``libsiqaco``, called with ctypes) — gives the same error kind and
the same message, in the request's field terms (docs/architecture.md). The inputs are the
rows of ``tests/bad-inputs.tsv``; the CLI shows its flag where the message names the field.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any, Optional

import pytest

import siqaco

REPO = Path(__file__).resolve().parents[2]
TABLE = REPO / "tests" / "bad-inputs.tsv"

# The Python exception class of each error kind (siqaco-py/src/errors.rs).
PY_CLASS = {
    "io": OSError,
    "invalid_data": siqaco.InvalidDataError,
    "invalid_argument": siqaco.InvalidArgumentError,
    "invalid_code": siqaco.InvalidCodeError,
    "codec": siqaco.CodecError,
    "config": siqaco.ConfigError,
    "not_found": siqaco.NotFoundError,
    "metadata": siqaco.MetadataError,
    "database": siqaco.DatabaseError,
    "network": siqaco.NetworkError,
    "source": siqaco.SourceError,
}


def rows() -> list[dict[str, str]]:
    lines = [l for l in TABLE.read_text().splitlines() if l and not l.startswith("#")]
    header = lines[0].split("\t")
    out = []
    for l in lines[1:]:
        cells = l.split("\t")
        assert len(cells) == len(header), f"{TABLE}: wrong number of columns: {l!r}"
        out.append(dict(zip(header, cells)))
    return out


def row_id(r: dict[str, str]) -> str:
    return f"{r['operation']}-{r['field']}-{r['kind']}"


ROWS = rows()


def c_statuses() -> dict[str, int]:
    """The C status numbers, read from the header itself (``SIQACO_STATUS_X = N``)."""
    text = (REPO / "include" / "siqaco.h").read_text()
    return {m[0].lower(): int(m[1]) for m in re.findall(r"SIQACO_STATUS_([A-Z_]+) = (\d+)", text)}


def c_library() -> ctypes.CDLL:
    path = os.environ.get("SIQACO_C_LIB", str(REPO / "target" / "debug" / "libsiqaco_c.so"))
    if not Path(path).exists():
        pytest.fail(f"{path} is missing: build it with `cargo build -p siqaco-c` first")
    lib = ctypes.CDLL(path)
    lib.siqaco_last_error_message.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
    return lib


def c_last_error(lib: ctypes.CDLL) -> str:
    n = ctypes.c_size_t(0)
    lib.siqaco_last_error_message(None, 0, ctypes.byref(n))
    buf = ctypes.create_string_buffer(n.value + 1)
    assert lib.siqaco_last_error_message(buf, n.value + 1, ctypes.byref(n)) == 0
    return buf.value.decode()


def c_namespace(lib: ctypes.CDLL, sds: Path, tmp: Path) -> dict[str, Any]:
    """What a row's ``c_call`` may use: the library, conversions and two shortcuts."""

    def h() -> ctypes.c_void_p:
        return ctypes.c_void_p()

    def s(text: Any) -> bytes:
        return os.fspath(text).encode()

    def scan_options() -> ctypes.c_void_p:
        o = h()
        assert lib.siqaco_scan_options_new(ctypes.byref(o)) == 0
        return o

    def archive(root: Path) -> ctypes.c_void_p:
        a = h()
        assert lib.siqaco_archive_open(s(root), None, ctypes.byref(a)) == 0
        return a

    def scan_with(options: ctypes.c_void_p) -> int:
        return lib.siqaco_archive_scan_with_options(archive(sds), options, ctypes.byref(h()))

    return {
        "lib": lib,
        "h": h,
        "s": s,
        "ref": ctypes.byref,
        "i64": ctypes.c_int64,
        "f64": ctypes.c_double,
        "NAN": math.nan,
        "scan_options": scan_options,
        "archive": archive,
        "scan_with": scan_with,
        "sds": sds,
        "tmp": tmp,
        "NS_2010_02_27": siqaco._siqaco.parse_time("2010-02-27"),
        "NS_2010_02_28": siqaco._siqaco.parse_time("2010-02-28"),
    }


def cli_message(message: str, field: str, flag: str) -> str:
    """The core's message as the CLI shows it: the field named by its flag."""
    return message.replace(f": {field}: ", f": {flag}: ", 1)


def python_error(r: dict[str, str], sds: Path, data: Path, tmp: Path) -> Optional[BaseException]:
    if r["python_call"] == "-":
        return None
    with pytest.raises(Exception) as info:
        eval(r["python_call"], {"siqaco": siqaco, "sds": sds, "data": data, "tmp": tmp})
    return info.value


def test_table_is_wide_enough() -> None:
    """The issue asks for at least 15 bad inputs, each through at least two front ends."""
    assert len(ROWS) >= 15
    for r in ROWS:
        assert [r["cli_args"], r["python_call"], r["c_call"]].count("-") <= 1, row_id(r)


@pytest.mark.parametrize("r", ROWS, ids=row_id)
def test_same_error_everywhere(r: dict[str, str], data_dir: Path, tmp_path: Path) -> None:
    sds = data_dir / "sds-small"
    messages: dict[str, str] = {}

    exc = python_error(r, sds, data_dir, tmp_path)
    if exc is not None:
        assert isinstance(exc, PY_CLASS[r["kind"]]), f"{type(exc).__name__}: {exc}"
        text = str(exc)
        if isinstance(exc, OSError) and exc.strerror:
            text = exc.strerror
        messages["python"] = text

    if r["cli_args"] != "-":
        args = shlex.split(r["cli_args"].format(sds=sds, data=data_dir, tmp=tmp_path))
        p = subprocess.run([os.environ.get("SIQACO_BIN", str(REPO / "target" / "debug" / "siqaco")), *args],
                           capture_output=True, text=True, cwd=tmp_path, check=False)
        assert p.returncode == 2, f"exit {p.returncode}: {p.stderr}"
        lines = [l for l in p.stderr.splitlines() if l.startswith("siqaco: error: ")]
        assert len(lines) == 1, p.stderr
        shown = lines[0].removeprefix("siqaco: error: ")
        if r["cli_flag"] != "-":
            # Back to field terms: the CLI's one table maps this field to this flag.
            assert f": {r['cli_flag']}: " in shown or r["kind"] != "invalid_argument", shown
            shown = shown.replace(f": {r['cli_flag']}: ", f": {r['field']}: ", 1)
        messages["cli"] = shown

    if r["c_call"] != "-":
        lib = c_library()
        ns = c_namespace(lib, sds, tmp_path)
        exec(r["c_call"], ns)
        status = ns["status"]
        assert status == c_statuses()[r["kind"]], f"status {status}: {c_last_error(lib)}"
        messages["c"] = c_last_error(lib)

    assert len(messages) >= 2, f"{row_id(r)}: fewer than two front ends"
    expected = r["message"] if r["message"] != "-" else next(iter(messages.values()))
    for front_end, text in messages.items():
        assert text == expected, f"{front_end}: {text!r} != {expected!r}"
    if r["kind"] == "invalid_argument":
        assert expected.startswith(f"invalid argument: {r['field']}: "), expected
