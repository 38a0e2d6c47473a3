"""`siqaco.index` on a catalogue written by mseedindex adopts it (the same core request as
`siqaco index`, docs/index.md "Adopting a catalogue"): the report counts the files adopted
and the rows kept, which stay the rows mseedindex wrote (same rowids)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import siqaco
import helpers


def test_index_adopts_a_mseedindex_catalogue(sds_small: Path, tmp_path: Path) -> None:
    exe = shutil.which("mseedindex") or str(Path(sys.executable).parent / "mseedindex")
    if not Path(exe).exists():
        pytest.skip("mseedindex not installed (pip install mseedindex)")
    root = tmp_path / "sds"
    shutil.copytree(sds_small, root)
    db = tmp_path / "mseedindex.sqlite"
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for f in files:  # one file per call (mseedindex 3.0.8's multi-file bug)
        subprocess.run([exe, "-sqlite", str(db), str(f.resolve())], capture_output=True, check=True)
    q = "SELECT rowid, filename, byteoffset, hash, filemodtime, updated, scanned FROM tsindex ORDER BY rowid"
    before = helpers.query(db, q)
    r = siqaco.index(root, db, hash=True)
    assert (r.files_indexed, r.files_adopted, r.rows_kept, r.rows_written) == (len(files), len(files), len(before), 0)
    assert r.to_dict()["files_adopted"] == len(files)
    assert helpers.query(db, q) == before
    again = siqaco.index(root, db, hash=True)
    assert (again.files_unchanged, again.files_adopted) == (len(files), 0)
    assert "files_adopted" not in again.to_dict()
