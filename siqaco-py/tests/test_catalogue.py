"""The catalogue functions (index, stats, report_data) map onto the core's catalogue
requests: a missing catalogue is refused as the CLI refuses it and is not created; bad
values are refused in the requests' field terms; the typed results give today's dicts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import siqaco


def _cli_error(siqaco_bin: Path, *args: str) -> tuple[int, str]:
    p = subprocess.run([str(siqaco_bin), *args], capture_output=True, text=True, check=False)
    return p.returncode, p.stderr


def test_a_missing_catalogue_is_refused_as_by_the_cli_and_not_created(
    tmp_path: Path, siqaco_bin: Path
) -> None:
    db = tmp_path / "typo.sqlite"
    for call in (lambda: siqaco.stats(db), lambda: siqaco.report_data(db)):
        with pytest.raises(FileNotFoundError) as e:
            call()
        assert e.value.filename == str(db)
        assert str(e.value.args[1]) == f"{db}: no such catalogue"
    code, err = _cli_error(siqaco_bin, "stats", "--db", str(db))
    assert (code, err) == (2, f"siqaco: error: {db}: no such catalogue\n")
    assert list(tmp_path.iterdir()) == []


def test_bad_values_are_named_by_field(tmp_path: Path) -> None:
    db = tmp_path / "cat.sqlite"
    cases = [
        (lambda: siqaco.index(tmp_path, db, subindex_s=0), "subindex_s: must be at least 1 (seconds)"),
        (lambda: siqaco.index(tmp_path, db, batch_files=0), "batch_files: must be at least 1"),
        (lambda: siqaco.index(tmp_path, db, threads=0), "threads: must be at least 1"),
        (
            lambda: siqaco.stats(db, start="2024-01-02", end="2024-01-01"),
            "end_ns: must be after the start",
        ),
        (
            lambda: siqaco.report_data(db, start="2024-01-02", end="2024-01-02"),
            "end_ns: must be after the start",
        ),
    ]
    for call, message in cases:
        with pytest.raises(siqaco.InvalidArgumentError) as e:
            call()
        assert str(e.value) == f"invalid argument: {message}"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError):
        siqaco.index(tmp_path / "missing", db)
    assert list(tmp_path.iterdir()) == []


def test_typed_results_give_the_dicts(sds_small: Path, tmp_path: Path, siqaco_bin: Path) -> None:
    db = tmp_path / "cat.sqlite"
    r = siqaco.index(sds_small, db, subindex_s=600, batch_files=7)
    assert isinstance(r, siqaco.IndexReport)
    want = {
        "files_listed": 37,
        "files_indexed": 37,
        "files_unchanged": 0,
        "files_removed": 0,
        "rows_written": 37,
        "files_with_errors": 0,
    }
    assert r.to_dict() == want
    assert {k: getattr(r, k) for k in want} == want == {k: r[k] for k in want}
    with pytest.raises(KeyError):
        r["nonsense"]
    # the CLI's summary line says the same counts
    code, err = _cli_error(siqaco_bin, "index", str(sds_small), "--db", str(tmp_path / "cli.sqlite"))
    assert code == 0
    assert err == (
        "siqaco index: 37 file(s) listed, 37 read, 0 unchanged, 0 removed, "
        "37 row(s) written, 0 file(s) with errors\n"
    )
    data = siqaco.report_data(db, now="2026-01-01")
    assert isinstance(data, siqaco.ReportData)
    assert data.streams == data["streams"] == data.to_dict()["streams"]
    assert data.now == "2026-01-01T00:00:00.000000Z"
    assert data.days == data.to_dict()["days"] and data.window["given"] is False


def test_db_functions_give_what_the_cli_prints(sds_small: Path, tmp_path: Path, siqaco_bin: Path) -> None:
    db = tmp_path / "cat.sqlite"
    siqaco.index(sds_small, db)
    check = siqaco.db_check(db)
    assert check == siqaco.CheckReport(catalogue=str(db), problems=[], files=37, rows=37)
    p = subprocess.run([str(siqaco_bin), "db", "check", "--db", str(db)], capture_output=True, text=True)
    assert p.stdout == f"{check.catalogue}: {check.files} file(s), {check.rows} tsindex row(s), 0 problem(s)\n"
    m = siqaco.db_migrate(db)
    assert m.to_dict() == {"catalogue": str(db), "from_version": 5, "to_version": 5, "backup": None,
                           "dry_run": False, "statements": []}
    dry = siqaco.db_migrate(db, dry_run=True)
    assert (dry.dry_run, dry.statements, dry.from_version) == (True, [], 5)
    copy = tmp_path / "copy.sqlite"
    assert siqaco.db_backup(db, copy) == siqaco.BackupReport(catalogue=str(db), output=str(copy))
    assert siqaco.db_check(copy).files == 37
    with pytest.raises(siqaco.DatabaseError, match="backup destination exists"):
        siqaco.db_backup(db, copy)
    missing = tmp_path / "typo.sqlite"
    for call in (siqaco.db_check, siqaco.db_migrate, siqaco.db_backup):
        with pytest.raises(FileNotFoundError, match="no such catalogue"):
            call(missing)
    assert not missing.exists()
