//! The catalogue's key statements — those whose cost must not grow with the catalogue:
//! the statistics of selected streams (`siqaco stats -s`, [`Catalogue::report`]), their
//! extents and day statistics, the segments and sections of a stream in a window (the
//! availability and dataselect services) — with example parameters, and their query plans
//! ([`Catalogue::key_statement_plans`]): each must search an index, never read a whole
//! table (`docs/scale.md`, "EXPLAIN").

use super::backend::{vals, BackendKind, SqlValue};
use super::spans::{exact_codes, sections_sql, FILES_SQL, SPANS_SQL};
use super::{
    files_by_id_sql, nslc_vals, Catalogue, DAY_STATS_SQL, EXTENT_SQL, FILES_BY_ID_CHUNK,
    REPORT_FILES_SQL, STREAM_FILES_SQL, STREAM_FILES_WINDOW_SQL, TSINDEX_COLUMNS,
    TSINDEX_COLUMNS_PG,
};
use crate::error::Result;
use crate::sid::{Nslc, NslcGlob};

/// One key statement: a name, its SQL (SQLite's dialect) and parameters.
pub(super) struct KeyStatement {
    pub name: &'static str,
    pub sql: String,
    pub params: Vec<SqlValue>,
}

/// The key statements of `kind` for stream `nslc` and window `[ws, we)` (ns), with the
/// parameters siqaco binds.
pub(super) fn key_statements(
    kind: BackendKind,
    nslc: &Nslc,
    ws: i64,
    we: i64,
) -> Vec<KeyStatement> {
    let keys = nslc_vals(nslc);
    let mut windowed = keys.clone();
    windowed.extend(vals![we, ws]);
    let glob = NslcGlob::exact(nslc);
    let (streams, streams_p) = exact_codes(
        "SELECT DISTINCT network,station,location,channel FROM siqaco_file_streams",
        &glob,
        false,
    );
    let (days, days_p) = exact_codes(DAY_STATS_SQL, &glob, false);
    let cols = match kind {
        BackendKind::Sqlite => TSINDEX_COLUMNS,
        BackendKind::Postgres => TSINDEX_COLUMNS_PG,
    };
    let (sections, sections_p) = exact_codes(&format!("SELECT {cols} FROM tsindex"), &glob, true);
    let mut by_id: Vec<SqlValue> = (1..=FILES_BY_ID_CHUNK as i64).map(SqlValue::Int).collect();
    by_id[FILES_BY_ID_CHUNK - 1] = SqlValue::Null;
    let text_bound = |ns: i64| {
        let t = super::section::tsindex_time(ns);
        match kind {
            BackendKind::Sqlite => SqlValue::from(t),
            BackendKind::Postgres => SqlValue::from(format!("{t}Z")),
        }
    };
    let mut section_window = keys.clone();
    section_window.extend([text_bound(we), text_bound(ws)]);
    let st = |name, sql: String, params: Vec<SqlValue>| KeyStatement { name, sql, params };
    vec![
        st("stream lookup", format!("{streams} LIMIT 1"), streams_p),
        st(
            "stream traces in window",
            SPANS_SQL.into(),
            windowed.clone(),
        ),
        st(
            "stream files in window",
            STREAM_FILES_WINDOW_SQL.into(),
            windowed.clone(),
        ),
        st("stream files", STREAM_FILES_SQL.into(), keys.clone()),
        st(
            "report files by id",
            files_by_id_sql(REPORT_FILES_SQL),
            by_id,
        ),
        st("stream extent", EXTENT_SQL.into(), keys.clone()),
        st("stream day statistics", days, days_p),
        st("availability files", FILES_SQL.into(), windowed),
        st("availability sections", sections_sql(kind), section_window),
        st("dataselect sections", sections, sections_p),
    ]
}

/// The query plan of one key statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPlan {
    /// What the statement is for (e.g. `stream traces in window`).
    pub name: String,
    /// The statement (SQLite's dialect, `?N` parameters).
    pub sql: String,
    /// The plan, one line per step: SQLite's `EXPLAIN QUERY PLAN` details (`SEARCH ...`,
    /// `SCAN ...`), PostgreSQL's `EXPLAIN` lines (`Index Scan using ...`, `Seq Scan on
    /// ...`).
    pub plan: Vec<String>,
}

impl Catalogue {
    /// The query plans of the catalogue's key statements (see the module documentation of
    /// `index::plans`) for the stream `nslc` over `[start_ns, end_ns)`, as the database
    /// would run them now with the parameters siqaco binds. A plan that reads a whole table
    /// shows `SCAN <table>` (SQLite, without `USING INDEX`) or `Seq Scan` (PostgreSQL;
    /// which the planner also picks for small tables: set `enable_seqscan = off` on the
    /// connection to see whether an index can serve the statement). With `analyze`,
    /// PostgreSQL runs each statement (`EXPLAIN (ANALYZE, BUFFERS)`: times and pages read
    /// in the plan); SQLite's plan is the same either way.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    pub fn key_statement_plans(
        &self,
        nslc: &Nslc,
        start_ns: i64,
        end_ns: i64,
        analyze: bool,
    ) -> Result<Vec<KeyPlan>> {
        let mut db = self.db.borrow_mut();
        let kind = db.kind();
        let mut out = Vec::new();
        for k in key_statements(kind, nslc, start_ns, end_ns) {
            let (explain, col) = match (kind, analyze) {
                (BackendKind::Sqlite, _) => ("EXPLAIN QUERY PLAN", 3),
                (BackendKind::Postgres, false) => ("EXPLAIN", 0),
                (BackendKind::Postgres, true) => ("EXPLAIN (ANALYZE, BUFFERS)", 0),
            };
            let plan = db
                .query(&format!("{explain} {}", k.sql), &k.params)?
                .iter()
                .map(|r| r[col].as_text())
                .collect();
            out.push(KeyPlan {
                name: k.name.to_string(),
                sql: k.sql,
                plan,
            });
        }
        Ok(out)
    }
}
