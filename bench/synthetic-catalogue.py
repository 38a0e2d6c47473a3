#!/usr/bin/env python3
"""Builds a large synthetic siqaco catalogue (SQLite, or PostgreSQL with --pg) for the
`siqaco serve` availability benchmark: STREAMS streams x DAYS day files, one tsindex row per
day file (10 000 x 1 000 = 10 million rows by default), every siqaco table filled as
`siqaco index` fills it. Not a test.

Usage:
  .venv/bin/python bench/synthetic-catalogue.py --out CAT.sqlite [--streams 10000] [--days 1000]
  .venv/bin/python bench/synthetic-catalogue.py --pg postgresql://USER@127.0.0.1:PORT/DB ...

How: one real day file (from --archive, default the make-bench-archive archive of the other
benchmarks, or tests/data/sds-small) is indexed by `siqaco index` into a template
catalogue; its rows are then copied STREAMS x DAYS times in SQL, with the codes
(network SY, station S0000.., location 00, channels HHE/HHN/HHZ), the file names and every
time shifted by whole days from 2020-01-01. Every tenth day of a stream starts an hour late,
so a stream-year has about 37 gaps. `timeindex` is left NULL (no service of siqaco serve
reads it), `timespans` is rebuilt from the shifted span.
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAY_NS = 86_400_000_000_000
START_DAY = "2020-01-01"
START_NS = 1_577_836_800_000_000_000


def template_files(archive: Path) -> list[Path]:
    files = sorted(p for p in archive.rglob("*") if p.is_file() and ".D." in p.name)
    if not files:
        sys.exit(f"no SDS day file under {archive}")
    # full days first
    return sorted(files[:500], key=lambda p: -p.stat().st_size)


def index_template(siqaco: str, day_files: list[Path], work: Path, target: str) -> None:
    """Indexes the first of `day_files` that holds one continuous span of one stream (one
    tsindex row, one span), so that each synthetic day file is one row."""
    for n, day_file in enumerate(day_files):
        rel = day_file.name.split(".")
        net, sta, cha, year = rel[0], rel[1], rel[3], rel[5]
        root = work / f"tpl{n}"
        d = root / year / net / sta / f"{cha}.D"
        d.mkdir(parents=True)
        shutil.copy(day_file, d / day_file.name)
        single = work / f"tpl{n}.sqlite"
        subprocess.run([siqaco, "index", str(root), "--db", str(single)], check=True,
                       capture_output=True)
        c = sqlite3.connect(single)
        rows = c.execute("SELECT count(*) FROM tsindex").fetchone()[0]
        spans = c.execute("SELECT count(*) FROM siqaco_spans").fetchone()[0]
        c.close()
        if rows == 1 and spans == 1:
            subprocess.run([siqaco, "index", str(root), "--db", target], check=True,
                           capture_output=True)
            return
    sys.exit("no day file with one continuous span found")


SQLITE_FILL = """
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i+1 < :streams),
d(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM d WHERE j+1 < :days)
SELECT i, j FROM s, d ORDER BY i, j
"""


def fill_sqlite(out: Path, siqaco: str, day_file: list[Path], streams: int, days: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="synth-"))
    try:
        if out.exists():
            out.unlink()
        index_template(siqaco, day_file, work, str(out))
        c = sqlite3.connect(out)
        c.execute("PRAGMA journal_mode=OFF")
        c.execute("PRAGMA synchronous=OFF")
        c.execute("PRAGMA cache_size=-1000000")
        tpl_day = c.execute("SELECT min(start_ns) FROM siqaco_spans").fetchone()[0] // DAY_NS
        shift0 = START_NS // DAY_NS - tpl_day  # days from the template's day to 2020-01-01
        for t in ["tsindex", "siqaco_files", "siqaco_file_streams", "siqaco_spans",
                  "siqaco_day_stats"]:
            c.execute(f"CREATE TEMP TABLE tpl_{t} AS SELECT * FROM {t}")
            c.execute(f"DELETE FROM {t}")
        c.execute("DELETE FROM siqaco_dirty")
        c.execute(f"CREATE TEMP TABLE grid AS {SQLITE_FILL}", {"streams": streams, "days": days})
        # codes and names of each (stream, day)
        c.execute(f"""CREATE TEMP TABLE cell AS SELECT i, j,
            i * {days} + j + 1 AS file_id,
            'S' || printf('%04d', i / 3) AS sta,
            CASE i % 3 WHEN 0 THEN 'HHE' WHEN 1 THEN 'HHN' ELSE 'HHZ' END AS cha,
            {shift0} + j AS shift,
            CASE WHEN j % 10 = 3 THEN 3600000000000 ELSE 0 END AS late_ns,
            strftime('%Y', date('{START_DAY}', '+' || j || ' days')) AS year,
            strftime('%j', date('{START_DAY}', '+' || j || ' days')) AS doy
            FROM grid""")
        t0 = time.perf_counter()
        c.execute("""INSERT INTO siqaco_files (id, path, filename, rel_path, size_bytes, mtime_ns,
            scanned, records, errors)
            SELECT file_id, '/synthetic/' || rel, '/synthetic/' || rel, rel, f.size_bytes,
                   f.mtime_ns, f.scanned, f.records, NULL
            FROM (SELECT *, year || '/SY/' || sta || '/' || cha || '.D/SY.' || sta || '.00.' ||
                  cha || '.D.' || year || '.' || doy AS rel FROM cell), tpl_siqaco_files f""")
        c.execute("""INSERT INTO siqaco_file_streams SELECT cell.file_id, 'SY', sta, '00', cha, fs.records
            FROM cell, tpl_siqaco_file_streams fs""")
        c.execute("""INSERT INTO siqaco_spans SELECT cell.file_id, 'SY', sta, '00', cha,
            sp.start_ns + shift * 86400000000000 + late_ns,
            sp.last_sample_ns + shift * 86400000000000, sp.end_ns + shift * 86400000000000,
            sp.sample_rate_hz, sp.samples - CAST(late_ns / 1e9 * sp.sample_rate_hz AS INTEGER)
            FROM cell, tpl_siqaco_spans sp""")
        c.execute("""INSERT INTO siqaco_day_stats SELECT 'SY', sta, '00', cha,
            date(ds.day, printf('%+d days', shift)), ds.num_gaps, ds.sum_gaps, ds.max_gap,
            ds.num_overlaps, ds.sum_overlaps, ds.max_overlap, ds.percent_availability
            FROM cell, tpl_siqaco_day_stats ds WHERE true
            ON CONFLICT DO NOTHING""")
        c.execute("""INSERT INTO tsindex (network,station,location,channel,quality,version,
            starttime,endtime,samplerate,filename,byteoffset,bytes,hash,timeindex,timespans,
            timerates,format,filemodtime,updated,scanned)
            SELECT 'SY', sta, '00', cha, t.quality, t.version,
              strftime('%Y-%m-%dT%H:%M:%S', t.starttime, printf('%+d days', shift),
                       '+' || (late_ns / 1000000000) || ' seconds') || substr(t.starttime, 20),
              strftime('%Y-%m-%dT%H:%M:%S', t.endtime, printf('%+d days', shift)) ||
                substr(t.endtime, 20),
              t.samplerate, '/synthetic/' || year || '/SY/' || sta || '/' || cha || '.D/SY.' ||
                sta || '.00.' || cha || '.D.' || year || '.' || doy,
              t.byteoffset, t.bytes, t.hash, NULL,
              '[' || printf('%.6f', (sp.start_ns + shift * 86400000000000 + late_ns) / 1e9) ||
                ':' || printf('%.6f', (sp.last_sample_ns + shift * 86400000000000) / 1e9) || ']',
              t.timerates, t.format, t.filemodtime, t.updated, t.scanned
            FROM cell, tpl_tsindex t, tpl_siqaco_spans sp""")
        c.execute("DROP TABLE IF EXISTS tsindex_summary")
        c.execute("""CREATE TABLE tsindex_summary AS SELECT network,station,location,channel,
            min(starttime) AS earliest, max(endtime) AS latest, datetime('now') AS updt
            FROM tsindex GROUP BY 1,2,3,4""")
        c.commit()
        c.execute("ANALYZE")
        c.commit()
        rows = c.execute("SELECT count(*) FROM tsindex").fetchone()[0]
        print(f"{out}: {rows} tsindex rows in {time.perf_counter() - t0:.0f} s, "
              f"{out.stat().st_size / 1e9:.2f} GB", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True)


def fill_pg(url: str, siqaco: str, day_file: list[Path], streams: int, days: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="synth-"))
    try:
        for t in ["tsindex", "siqaco_files", "siqaco_file_streams", "siqaco_spans",
                  "siqaco_day_stats", "siqaco_dirty", "tsindex_summary"]:
            subprocess.run(["psql", "-q", url, "-c", f"DROP TABLE IF EXISTS {t} CASCADE"],
                           capture_output=True)
        subprocess.run(["psql", "-q", url, "-c", "DROP TABLE IF EXISTS siqaco_schema CASCADE"],
                       capture_output=True)
        index_template(siqaco, day_file, work, url)
        t0 = time.perf_counter()
        psql(url, f"""
        CREATE TEMP TABLE cell AS SELECT i, j, i::bigint * {days} + j + 1 AS file_id,
          'S' || lpad((i / 3)::text, 4, '0') AS sta,
          (ARRAY['HHE','HHN','HHZ'])[i % 3 + 1] AS cha,
          j AS dj,
          CASE WHEN j % 10 = 3 THEN 3600000000000 ELSE 0 END AS late_ns,
          to_char(date '{START_DAY}' + j, 'YYYY') AS year,
          to_char(date '{START_DAY}' + j, 'DDD') AS doy
        FROM generate_series(0, {streams - 1}) i, generate_series(0, {days - 1}) j;
        CREATE TEMP TABLE shift AS SELECT ({START_NS} / 86400000000000
          - min(start_ns) / 86400000000000) AS d0 FROM siqaco_spans;
        CREATE TEMP TABLE t_files AS SELECT * FROM siqaco_files;
        CREATE TEMP TABLE t_fs AS SELECT * FROM siqaco_file_streams;
        CREATE TEMP TABLE t_sp AS SELECT * FROM siqaco_spans;
        CREATE TEMP TABLE t_ds AS SELECT * FROM siqaco_day_stats;
        CREATE TEMP TABLE t_ts AS SELECT * FROM tsindex;
        TRUNCATE siqaco_files, siqaco_file_streams, siqaco_spans, siqaco_day_stats, tsindex,
          siqaco_dirty;
        INSERT INTO siqaco_files (id, path, filename, rel_path, size_bytes, mtime_ns, scanned,
          records, errors)
          SELECT file_id, '/synthetic/' || rel, '/synthetic/' || rel, rel, f.size_bytes,
            f.mtime_ns, f.scanned, f.records, NULL
          FROM (SELECT *, year || '/SY/' || sta || '/' || cha || '.D/SY.' || sta || '.00.' ||
                cha || '.D.' || year || '.' || doy AS rel FROM cell) c, t_files f;
        INSERT INTO siqaco_file_streams SELECT cell.file_id, 'SY', sta, '00', cha, fs.records
          FROM cell, t_fs fs;
        INSERT INTO siqaco_spans SELECT cell.file_id, 'SY', sta, '00', cha,
          sp.start_ns + (d0 + dj) * 86400000000000 + late_ns,
          sp.last_sample_ns + (d0 + dj) * 86400000000000,
          sp.end_ns + (d0 + dj) * 86400000000000, sp.sample_rate_hz,
          sp.samples - (late_ns / 1000000000 * sp.sample_rate_hz)::bigint
          FROM cell, shift, t_sp sp;
        INSERT INTO siqaco_day_stats SELECT 'SY', sta, '00', cha,
          to_char(ds.day::date + (d0 + dj)::int, 'YYYY-MM-DD'), ds.num_gaps, ds.sum_gaps,
          ds.max_gap, ds.num_overlaps, ds.sum_overlaps, ds.max_overlap, ds.percent_availability
          FROM cell, shift, t_ds ds ON CONFLICT DO NOTHING;
        INSERT INTO tsindex (network,station,location,channel,quality,version,starttime,endtime,
          samplerate,filename,byteoffset,bytes,hash,timeindex,timespans,timerates,format,
          filemodtime,updated,scanned)
          SELECT 'SY', sta, '00', cha, t.quality, t.version,
            t.starttime + make_interval(days => (d0 + dj)::int, secs => late_ns / 1e9),
            t.endtime + make_interval(days => (d0 + dj)::int),
            t.samplerate, '/synthetic/' || year || '/SY/' || sta || '/' || cha || '.D/SY.' ||
              sta || '.00.' || cha || '.D.' || year || '.' || doy,
            t.byteoffset, t.bytes, t.hash, NULL, t.timespans, t.timerates, t.format,
            t.filemodtime, t.updated, t.scanned
          FROM cell, shift, t_ts t;
        DROP TABLE IF EXISTS tsindex_summary;
        CREATE TABLE tsindex_summary AS SELECT network,station,location,channel,
          min(starttime) AS earliest, max(endtime) AS latest, now() AS updt
          FROM tsindex GROUP BY 1,2,3,4;
        ANALYZE;
        """)
        print(f"{url}: {streams * days} tsindex rows in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, help="SQLite catalogue to write (replaced)")
    ap.add_argument("--pg", help="PostgreSQL URL to fill instead (its siqaco tables are replaced)")
    ap.add_argument("--streams", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=1_000)
    ap.add_argument("--archive", type=Path,
                    default=Path(os.environ.get("SIQACO_BENCH_ARCHIVE", "/work/bench/arch")))
    ap.add_argument("--siqaco", default=str(ROOT / "target" / "release" / "siqaco"))
    a = ap.parse_args()
    archive = a.archive if a.archive.is_dir() else ROOT / "tests" / "data" / "sds-small"
    day_file = template_files(archive)
    if a.pg:
        fill_pg(a.pg, a.siqaco, day_file, a.streams, a.days)
    elif a.out:
        fill_sqlite(a.out, a.siqaco, day_file, a.streams, a.days)
    else:
        ap.error("give --out or --pg")


if __name__ == "__main__":
    main()
