//! The stored traces of a stream with the quality and load time of the data they come from,
//! read by indexed columns only (the availability service, `ops::fdsnws::availability`).
//!
//! `siqaco_spans` holds each file's traces of a stream (no quality); `tsindex` holds one
//! row per file × section with the section's `quality` and `updated` (when the data was
//! loaded). A trace takes the quality of the section of its file in which it starts (a file
//! nearly always holds one quality per stream) and the file's latest `updated`.
//!
//! Every query goes through an index: `siqaco_spans_nslc` (network, station, location,
//! channel, start_ns), the primary key of `siqaco_files` and tsindex's stream index
//! (`tsindex_nslcse_idx`, PostgreSQL `tsindex_nslcq_idx`); the
//! streams of a selection through `siqaco_file_streams_nslc` with the codes given without
//! wildcards as equality constraints.

use super::backend::{BackendKind, SqlValue};
use super::section::tsindex_time;
use super::{nslc_vals, row_nslc, Catalogue};
use crate::error::Result;
use crate::segment::Piece;
use crate::sid::{Nslc, NslcGlob};
use crate::time::{parse_time, NS_PER_DAY};
use std::collections::{BTreeMap, HashMap};

/// One stored trace of a stream in one file, with its section's quality and load time.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSpan {
    /// The trace: first sample, last sample, end of coverage (ns), rate, samples.
    pub piece: Piece,
    /// The data quality of the section it starts in (`D`, `R`, `Q`, `M`; `D` when the
    /// catalogue's `quality` is NULL, as mseedindex leaves it).
    pub quality: char,
    /// When the file's data were loaded (tsindex `updated`, latest of the file's sections
    /// of this stream), ns since 1970 UTC; `None` when the catalogue has no tsindex row.
    pub updated_ns: Option<i64>,
}

/// `select` (a statement without `WHERE`) constrained by the codes of `g` given without
/// wildcards as equalities (`WHERE network=?1 AND station=?2 ...`, numbered in that
/// order), and their values: an index search of a table indexed by stream codes, whatever
/// the database's collation (a `LIKE` pattern can use a PostgreSQL index only in the `C`
/// collation). With `like`, the codes with wildcards are constrained too, by `LIKE` (`*`
/// and `?` as `%` and `_`); either way [`NslcGlob::matches`] on the rows decides.
pub(super) fn exact_codes(select: &str, g: &NslcGlob, like: bool) -> (String, Vec<SqlValue>) {
    let codes = [&g.network, &g.station, &g.location, &g.channel];
    let names = ["network", "station", "location", "channel"];
    let mut sql = select.to_string();
    let mut params: Vec<SqlValue> = Vec::new();
    for (code, name) in codes.iter().zip(names) {
        let op = if !code.contains(['*', '?']) {
            params.push(code.as_str().into());
            "="
        } else if like {
            params.push(code.replace('*', "%").replace('?', "_").into());
            " LIKE "
        } else {
            continue;
        };
        sql.push_str(if params.len() == 1 {
            " WHERE "
        } else {
            " AND "
        });
        sql.push_str(&format!("{name}{op}?{}", params.len()));
    }
    (sql, params)
}

/// The stored traces of one stream starting before `?5` and ending after `?6`
/// (`siqaco_spans_nslc`).
pub(super) const SPANS_SQL: &str =
    "SELECT file_id,start_ns,last_sample_ns,end_ns,sample_rate_hz,samples \
FROM siqaco_spans WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4 AND start_ns<?5 \
AND end_ns>?6";

/// The file names of those traces' files (`siqaco_spans_nslc`, then the primary key of
/// `siqaco_files`).
pub(super) const FILES_SQL: &str = "SELECT f.id, f.filename FROM siqaco_files f WHERE f.id IN \
(SELECT file_id FROM siqaco_spans \
WHERE network=?1 AND station=?2 AND location=?3 AND channel=?4 AND start_ns<?5 AND end_ns>?6)";

/// The tsindex sections of one stream starting before `?5` and ending at or after `?6`
/// (times as tsindex text; PostgreSQL: with a `Z`): file name, quality, `updated` and start
/// time as text (`tsindex_nslcse_idx`; PostgreSQL `tsindex_nslcq_idx`, its timestamps
/// written as SQLite stores them).
pub(super) fn sections_sql(kind: BackendKind) -> String {
    let (updated, start, lo, hi) = match kind {
        BackendKind::Sqlite => ("t.updated", "t.starttime", "?6", "?5"),
        BackendKind::Postgres => (
            r#"to_char(t.updated AT TIME ZONE 'UTC','YYYY-MM-DD"T"HH24:MI:SS')"#,
            r#"to_char(t.starttime AT TIME ZONE 'UTC','YYYY-MM-DD"T"HH24:MI:SS.US')"#,
            "CAST(?6::text AS timestamptz)",
            "CAST(?5::text AS timestamptz)",
        ),
    };
    format!(
        "SELECT t.filename, t.quality, {updated}, {start} FROM tsindex t \
         WHERE t.network=?1 AND t.station=?2 AND t.location=?3 AND t.channel=?4 \
         AND t.starttime<{hi} AND t.endtime>={lo}"
    )
}

impl Catalogue {
    /// The streams of the catalogue matched by `selection` (empty = every stream), sorted
    /// and without duplicates ([`Catalogue::streams`]). For each glob, the codes given
    /// without wildcards constrain the search of `siqaco_file_streams_nslc` (a glob without
    /// wildcards is one index lookup); only `*` for every code reads the whole list.
    pub(super) fn streams_by_index(&self, selection: &[NslcGlob]) -> Result<Vec<Nslc>> {
        let all = [NslcGlob::all()];
        let selection = if selection.is_empty() {
            &all[..]
        } else {
            selection
        };
        let mut out = Vec::new();
        let mut db = self.db.borrow_mut();
        for g in selection {
            let (mut sql, params) = exact_codes(
                "SELECT DISTINCT network,station,location,channel FROM siqaco_file_streams",
                g,
                false,
            );
            if params.len() == 4 {
                sql.push_str(" LIMIT 1");
            }
            out.extend(
                db.query(&sql, &params)?
                    .iter()
                    .map(|r| row_nslc(r))
                    .filter(|n| g.matches(n)),
            );
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The stored traces of `nslc` that intersect `window` (`[start, end)` ns; `None` =
    /// all), each with its quality and load time, in (start, end) order.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    pub fn stored_spans(&self, nslc: &Nslc, window: Option<(i64, i64)>) -> Result<Vec<StoredSpan>> {
        let (ws, we) = window.unwrap_or((i64::MIN, i64::MAX));
        let mut db = self.db.borrow_mut();
        let mut keys = nslc_vals(nslc);
        keys.extend([SqlValue::Int(we), SqlValue::Int(ws)]);
        let rows = db.query(SPANS_SQL, &keys)?;
        let files = db.query(FILES_SQL, &keys)?;
        // the sections of this stream by file name, in the window widened by a day (tsindex
        // times are the first and last sample's, rounded to the microsecond)
        let kind = db.kind();
        let bound = |ns: i64, open: &str| {
            let text = if window.is_none() {
                open.to_string()
            } else {
                tsindex_time(ns)
            };
            match kind {
                BackendKind::Sqlite => SqlValue::from(text),
                BackendKind::Postgres => SqlValue::from(format!("{text}Z")),
            }
        };
        let mut params = nslc_vals(nslc);
        params.push(bound(we.saturating_add(NS_PER_DAY), "9999-12-31T23:59:59"));
        params.push(bound(ws.saturating_sub(NS_PER_DAY), "0001-01-01T00:00:00"));
        let sections = db.query(&sections_sql(kind), &params)?;
        let mut by_name: HashMap<String, Vec<(i64, char, Option<i64>)>> = HashMap::new();
        for r in &sections {
            let quality = r[1]
                .as_opt_text()
                .and_then(|q| q.chars().next())
                .unwrap_or('D');
            let updated = r[2].as_opt_text().and_then(|t| parse_time(&t).ok());
            let start = r[3]
                .as_opt_text()
                .and_then(|t| parse_time(&t).ok())
                .unwrap_or(i64::MIN);
            by_name
                .entry(r[0].as_text())
                .or_default()
                .push((start, quality, updated));
        }
        let mut by_file: BTreeMap<i64, Vec<(i64, char, Option<i64>)>> = files
            .iter()
            .filter_map(|r| {
                by_name
                    .get(&r[1].as_text())
                    .map(|v| (r[0].as_i64(), v.clone()))
            })
            .collect();
        for v in by_file.values_mut() {
            v.sort_by_key(|s| s.0);
        }
        let mut out: Vec<StoredSpan> = rows
            .iter()
            .map(|r| {
                let piece = Piece {
                    start_ns: r[1].as_i64(),
                    last_sample_ns: r[2].as_i64(),
                    end_ns: r[3].as_i64(),
                    sample_rate_hz: r[4].as_f64(),
                    samples: r[5].as_i64(),
                };
                let secs = by_file
                    .get(&r[0].as_i64())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                // the section the trace starts in: the last one starting at or before it
                // (tsindex times are rounded to the microsecond: allow one)
                let quality = secs
                    .iter()
                    .rev()
                    .find(|s| s.0 <= piece.start_ns + 1_000)
                    .or(secs.first())
                    .map(|s| s.1)
                    .unwrap_or('D');
                let updated_ns = secs.iter().filter_map(|s| s.2).max();
                StoredSpan {
                    piece,
                    quality,
                    updated_ns,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.piece.start_ns, a.piece.end_ns).cmp(&(b.piece.start_ns, b.piece.end_ns))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key statement (`index::plans`: the statistics of selected streams, the
    /// availability and dataselect services) searches an index: SQLite's plan has no full
    /// scan of a table, so a request costs the selected streams' rows, not the catalogue's
    /// size.
    #[test]
    fn queries_search_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let cat = Catalogue::open(dir.path().join("c.sqlite")).unwrap();
        let n = Nslc::new("N", "S", "", "C");
        let plans = cat.key_statement_plans(&n, 2019, 2020, false).unwrap();
        assert_eq!(plans.len(), 10);
        for p in plans {
            // `SCAN t` reads a whole table, `SCAN t USING ... INDEX` a whole index
            assert!(
                p.plan.iter().any(|s| s.starts_with("SEARCH"))
                    && p.plan.iter().all(|s| !s.starts_with("SCAN")),
                "{}: {}: {:?}",
                p.name,
                p.sql,
                p.plan
            );
        }
    }
}
