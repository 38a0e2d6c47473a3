//! The request stack, kept in the catalogue (schema version 2): `siqaco_runs`,
//! `siqaco_gaps`, `siqaco_requests` and `siqaco_attempts`; version 3 adds who holds a
//! request (`holder`, `lease_until_ns`, `claims`) and `siqaco_workers`, for many workers
//! sharing a PostgreSQL catalogue ([`super::claims`]).
//!
//! A request asks for one stream (or, for a multiplexed station, every channel of it:
//! location and channel `*`) over `[start_ns, end_ns)`. Its [`RequestState`]:
//!
//! * `new`: created, never attempted;
//! * `in_progress`: a run is working on it (a run killed meanwhile leaves it so; the next
//!   run puts it back to `retry` without counting the attempt; with a PostgreSQL
//!   catalogue, a worker holds it under a lease, and another takes it over once the lease
//!   expired, [`super::claims`]);
//! * `succeeded`: nothing of its window is missing from the archive any more;
//! * `retry`: attempted; sources answered but something is still missing;
//! * `failed`: attempted; a source failed (offline, error, bad data) and something is still
//!   missing. Retried like `retry`;
//! * `on_hold`: the retry policy is exhausted (reason recorded); runs leave it alone until
//!   `siqaco stack retry`;
//! * `cancelled`: by the user; never attempted again, and its window is not re-requested.
//!
//! A **revision request** (`[requests] revisions`, [`super::revisions`]) asks one source
//! (its `sources`) again for a span that source revised after siqaco fetched it; its
//! reason starts with `revision: ` and gives the source's update time in every state.
//!
//! Every change of state is one transaction.

use crate::error::{Error, Result};
use crate::index::backend::{vals, SqlValue};
use crate::index::Catalogue;
use crate::sid::Nslc;
use crate::time::{format_time, now_ns};

/// The state of a request (see the [module](self) documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Created, never attempted.
    New,
    /// An attempt is running.
    InProgress,
    /// Complete.
    Succeeded,
    /// Attempted, data still missing, sources answered.
    Retry,
    /// Attempted, data still missing, a source failed.
    Failed,
    /// Retry policy exhausted.
    OnHold,
    /// Cancelled by the user.
    Cancelled,
}

impl RequestState {
    /// The name stored in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::New => "new",
            RequestState::InProgress => "in_progress",
            RequestState::Succeeded => "succeeded",
            RequestState::Retry => "retry",
            RequestState::Failed => "failed",
            RequestState::OnHold => "on_hold",
            RequestState::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "new" => RequestState::New,
            "in_progress" => RequestState::InProgress,
            "succeeded" => RequestState::Succeeded,
            "retry" => RequestState::Retry,
            "failed" => RequestState::Failed,
            "on_hold" => RequestState::OnHold,
            "cancelled" => RequestState::Cancelled,
            _ => {
                return Err(Error::invalid_argument(format!(
                    "unknown request state {s:?} (new, in_progress, succeeded, retry, failed, on_hold, cancelled)"
                )))
            }
        })
    }

    /// Whether a run attempts requests in this state (`new`, `retry`, `failed`).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            RequestState::New | RequestState::Retry | RequestState::Failed
        )
    }
}

/// A state as a user types it (`--state`, `state=`): [`RequestState::parse`].
impl std::str::FromStr for RequestState {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        RequestState::parse(s)
    }
}

/// One request of the stack.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Request {
    /// Identifier.
    pub id: i64,
    /// The stream; location and channel are `*` for a multiplexed station.
    #[serde(serialize_with = "ser_nslc", rename = "stream")]
    pub nslc: Nslc,
    /// Window start, ns since 1970 UTC.
    pub start_ns: i64,
    /// Window end (exclusive), ns.
    pub end_ns: i64,
    /// State.
    pub state: RequestState,
    /// Why it is in this state (the last attempt's outcome).
    pub reason: Option<String>,
    /// Only these sources are asked (`request create --source`); `None` = every source
    /// configured for the stream.
    pub sources: Option<Vec<String>>,
    /// Creation time, ns.
    pub created_ns: i64,
    /// Last change, ns.
    pub updated_ns: i64,
    /// Attempts made (completed runs that worked on it).
    pub attempts: u32,
    /// Samples added to the archive by it so far.
    pub samples_added: u64,
    /// The worker executing it now (`host:pid:suffix`, [`super::claims`]); `None` when
    /// no worker holds it (always with a SQLite catalogue).
    pub holder: Option<String>,
    /// Until when the holder's claim lasts unless its heartbeat renews it, ns since 1970
    /// UTC; `None` when no worker holds it.
    pub lease_until_ns: Option<i64>,
    /// How many times workers claimed it (a claim taken over from a dead worker counts
    /// again); 0 with a SQLite catalogue.
    pub claims: u32,
}

impl Attempt {
    /// An attempt of request `request_id` in run `run_id` asking source `source`,
    /// starting now: nothing sent or received yet, no outcome.
    pub fn begin(request_id: i64, run_id: i64, source: &str) -> Attempt {
        let now = now_ns();
        Attempt {
            request_id,
            run_id,
            source: source.to_string(),
            started_ns: now,
            finished_ns: now,
            lines: String::new(),
            bytes: 0,
            samples_added: 0,
            outcome: String::new(),
            message: None,
        }
    }
}

fn ser_nslc<S: serde::Serializer>(n: &Nslc, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&n.to_string())
}

impl Request {
    /// A request for `nslc` over `[start_ns, end_ns)` not in the stack (yet): id 0, state
    /// `new`, no reason, every source, no attempt (a dry run's plan).
    pub fn planned(nslc: Nslc, start_ns: i64, end_ns: i64) -> Request {
        Request {
            id: 0,
            nslc,
            start_ns,
            end_ns,
            state: RequestState::New,
            reason: None,
            sources: None,
            created_ns: 0,
            updated_ns: 0,
            attempts: 0,
            samples_added: 0,
            holder: None,
            lease_until_ns: None,
            claims: 0,
        }
    }

    /// Whether this request is for a whole multiplexed station.
    pub fn is_multiplexed(&self) -> bool {
        self.nslc.location == "*" && self.nslc.channel == "*"
    }
}

/// One source asked for one request in one run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Attempt {
    /// The request.
    pub request_id: i64,
    /// The run.
    pub run_id: i64,
    /// The source's name.
    pub source: String,
    /// Start and end, ns.
    pub started_ns: i64,
    /// End, ns.
    pub finished_ns: i64,
    /// The request lines sent (FDSN POST format, one per line; empty when nothing was
    /// sent).
    pub lines: String,
    /// Bytes received.
    pub bytes: u64,
    /// Samples the merge added to the archive.
    pub samples_added: u64,
    /// `data`, `no_data`, `not_available` (its availability did not cover what was
    /// missing, nothing sent), `offline` or `error`.
    pub outcome: String,
    /// Error or detail.
    pub message: Option<String>,
}

// The request stack's tables (schema version 2: runs, gaps found, requests and attempts)
// are defined next to this module, in `stack.sql`; the catalogue's migration 1 -> 2
// creates them (`crate::index`, which also rewrites them for PostgreSQL).

pub(crate) const REQ_COLS: &str =
    "id,network,station,location,channel,start_ns,end_ns,state,reason,sources,\
created_ns,updated_ns,attempts,samples_added,holder,lease_until_ns,claims";

pub(crate) fn row_request(r: &[SqlValue]) -> Result<Request> {
    Ok(Request {
        id: r[0].as_i64(),
        nslc: Nslc {
            network: r[1].as_text(),
            station: r[2].as_text(),
            location: r[3].as_text(),
            channel: r[4].as_text(),
        },
        start_ns: r[5].as_i64(),
        end_ns: r[6].as_i64(),
        state: RequestState::parse(&r[7].as_text())?,
        reason: r[8].as_opt_text(),
        sources: r[9]
            .as_opt_text()
            .map(|s| s.split(',').map(str::to_string).collect()),
        created_ns: r[10].as_i64(),
        updated_ns: r[11].as_i64(),
        attempts: r[12].as_i64() as u32,
        samples_added: r[13].as_i64() as u64,
        holder: r[14].as_opt_text(),
        lease_until_ns: r[15].as_opt_i64(),
        claims: r[16].as_opt_i64().unwrap_or(0) as u32,
    })
}

/// Starts a run: a `siqaco_runs` row; returns its id.
///
/// # Errors
/// [`Error::Database`].
pub fn begin_run(cat: &Catalogue, window: (i64, i64)) -> Result<i64> {
    let mut db = cat.db();
    Ok(db
        .query_one(
            "INSERT INTO siqaco_runs (started_ns,window_start_ns,window_end_ns) VALUES (?1,?2,?3) RETURNING id",
            &vals![now_ns(), window.0, window.1],
        )?
        .as_i64())
}

/// Ends a run, storing its summary (JSON).
///
/// # Errors
/// [`Error::Database`].
pub fn end_run(cat: &Catalogue, run_id: i64, summary_json: &str) -> Result<()> {
    cat.db().execute(
        "UPDATE siqaco_runs SET finished_ns=?1, summary=?2 WHERE id=?3",
        &vals![now_ns(), summary_json, run_id],
    )?;
    Ok(())
}

/// One run of `siqaco update` or `siqaco stack run` as the catalogue records it
/// (`siqaco_runs`).
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Identifier (ascending with time).
    pub id: i64,
    /// When the run started, ns since 1970 UTC.
    pub started_ns: i64,
    /// When it finished, ns; `None` while it runs (or when it was killed).
    pub finished_ns: Option<i64>,
    /// Its window `[start, end)`, ns.
    pub window_start_ns: i64,
    /// End of its window (exclusive), ns.
    pub window_end_ns: i64,
    /// Its summary (the document of `siqaco update --format json`), once finished.
    pub summary: Option<serde_json::Value>,
}

/// The last `limit` runs, newest first.
///
/// # Errors
/// [`Error::Database`]; [`Error::InvalidArgument`] for a stored summary that is not JSON.
pub fn runs(cat: &Catalogue, limit: usize) -> Result<Vec<Run>> {
    let rows = cat.db().query(
        "SELECT id,started_ns,finished_ns,window_start_ns,window_end_ns,summary FROM siqaco_runs \
         ORDER BY id DESC LIMIT ?1",
        &vals![i64::try_from(limit).unwrap_or(i64::MAX)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Run {
                id: r[0].as_i64(),
                started_ns: r[1].as_i64(),
                finished_ns: r[2].as_opt_i64(),
                window_start_ns: r[3].as_i64(),
                window_end_ns: r[4].as_i64(),
                summary: r[5]
                    .as_opt_text()
                    .map(|t| serde_json::from_str(&t))
                    .transpose()
                    .map_err(|e| Error::invalid_argument(format!("run summary: {e}")))?,
            })
        })
        .collect()
}

/// Records the gaps a run found (one transaction).
///
/// # Errors
/// [`Error::Database`].
pub fn record_gaps(cat: &Catalogue, run_id: i64, gaps: &[(Nslc, i64, i64)]) -> Result<()> {
    cat.db().transaction(|tx| {
        for (n, s, e) in gaps {
            tx.execute(
                "INSERT INTO siqaco_gaps (run_id,network,station,location,channel,start_ns,end_ns) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                &vals![run_id, &n.network, &n.station, &n.location, &n.channel, *s, *e],
            )?;
        }
        Ok(())
    })
}

/// Creates requests in state `new` (one transaction); returns their ids.
///
/// # Errors
/// [`Error::Database`].
pub fn create_requests(
    cat: &Catalogue,
    items: &[(Nslc, i64, i64)],
    sources: Option<&[String]>,
) -> Result<Vec<i64>> {
    insert_requests(cat, items, sources, |_| None)
}

/// Creates revision requests in state `new` asking only `source` (one transaction), each
/// item `(stream, start, end, reason)` with its reason (starting with `revision: `,
/// [`super::revisions`]); returns their ids.
///
/// # Errors
/// [`Error::Database`].
pub fn create_revision_requests(
    cat: &Catalogue,
    source: &str,
    items: &[(Nslc, i64, i64, String)],
) -> Result<Vec<i64>> {
    let spans: Vec<(Nslc, i64, i64)> = items
        .iter()
        .map(|(n, s, e, _)| (n.clone(), *s, *e))
        .collect();
    insert_requests(cat, &spans, Some(&[source.to_string()]), |i| {
        Some(items[i].3.clone())
    })
}

/// The insertion of [`create_requests`]: the reason of item `i` is `reason(i)`.
fn insert_requests(
    cat: &Catalogue,
    items: &[(Nslc, i64, i64)],
    sources: Option<&[String]>,
    reason: impl Fn(usize) -> Option<String>,
) -> Result<Vec<i64>> {
    let now = now_ns();
    let src = sources.map(|s| s.join(","));
    cat.db().transaction(|tx| {
        let mut ids = Vec::new();
        for (i, (n, s, e)) in items.iter().enumerate() {
            ids.push(
                tx.query_one(
                    "INSERT INTO siqaco_requests (network,station,location,channel,start_ns,end_ns,state,reason,sources,created_ns,updated_ns,attempts,samples_added) \
                     VALUES (?1,?2,?3,?4,?5,?6,'new',?9,?7,?8,?8,0,0) RETURNING id",
                    &vals![&n.network, &n.station, &n.location, &n.channel, *s, *e, src.clone(), now, reason(i)],
                )?
                .as_i64(),
            );
        }
        Ok(ids)
    })
}

/// The attempts that brought data from source `source` (outcome `data`), oldest first:
/// when each started (ns since 1970 UTC) and its request lines (FDSN POST format, one
/// per line). The fetch history [`super::revisions`] compares with the source's update
/// times.
///
/// # Errors
/// [`Error::Database`].
pub fn data_fetches(cat: &Catalogue, source: &str) -> Result<Vec<(i64, String)>> {
    Ok(cat
        .db()
        .query(
            "SELECT started_ns,lines FROM siqaco_attempts WHERE source=?1 AND outcome='data' ORDER BY id",
            &vals![source],
        )?
        .iter()
        .map(|r| (r[0].as_i64(), r[1].as_text()))
        .collect())
}

/// Requests, optionally only those in `states` and those whose stream key equals `nslc`
/// (exact codes, `*` included), sorted by id.
///
/// # Errors
/// [`Error::Database`].
pub fn list(cat: &Catalogue, states: &[RequestState], nslc: Option<&Nslc>) -> Result<Vec<Request>> {
    let mut sql = format!("SELECT {REQ_COLS} FROM siqaco_requests");
    let mut params: Vec<SqlValue> = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    if !states.is_empty() {
        let names: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
        conds.push(format!("state IN ({})", names.join(",")));
    }
    if let Some(n) = nslc {
        conds.push("network=?1 AND station=?2 AND location=?3 AND channel=?4".into());
        params.extend(vals![&n.network, &n.station, &n.location, &n.channel]);
    }
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    sql.push_str(" ORDER BY id");
    cat.db()
        .query(&sql, &params)?
        .iter()
        .map(|r| row_request(r))
        .collect()
}

/// One request by id.
///
/// # Errors
/// [`Error::NotFound`] when there is none; [`Error::Database`].
pub fn get(cat: &Catalogue, id: i64) -> Result<Request> {
    let rows = cat.db().query(
        &format!("SELECT {REQ_COLS} FROM siqaco_requests WHERE id=?1"),
        &vals![id],
    )?;
    rows.first()
        .map(|r| row_request(r))
        .transpose()?
        .ok_or_else(|| Error::NotFound(format!("no request {id} in the stack")))
}

/// Sets a request's state and reason; no worker holds it afterwards.
///
/// # Errors
/// [`Error::Database`].
pub fn set_state(
    cat: &Catalogue,
    id: i64,
    state: RequestState,
    reason: Option<&str>,
) -> Result<()> {
    cat.db().execute(
        "UPDATE siqaco_requests SET state=?1, reason=?2, updated_ns=?3, holder=NULL, lease_until_ns=NULL WHERE id=?4",
        &vals![state.as_str(), reason, now_ns(), id],
    )?;
    Ok(())
}

/// Ends an attempt of a request: writes the attempts of each source and the request's new
/// state in one transaction (a run killed before leaves the request `in_progress`, and
/// the next run retries it without counting); no worker holds it afterwards.
///
/// # Errors
/// [`Error::Database`].
pub fn finish_attempt(
    cat: &Catalogue,
    id: i64,
    attempts: &[Attempt],
    state: RequestState,
    reason: Option<&str>,
    counted: bool,
) -> Result<()> {
    finish_claimed_attempt(cat, id, attempts, state, reason, counted, None).map(|_| ())
}

/// [`finish_attempt`] by a worker of a shared catalogue (`holder`, [`super::claims`]):
/// only while that worker still holds the request (its row locked until the commit);
/// returns `false`, writing nothing, when its claim was taken over meanwhile. `None`:
/// whoever holds it (always `true`).
///
/// # Errors
/// [`Error::Database`]; with a holder, also for a SQLite catalogue (no `FOR UPDATE`).
pub fn finish_claimed_attempt(
    cat: &Catalogue,
    id: i64,
    attempts: &[Attempt],
    state: RequestState,
    reason: Option<&str>,
    counted: bool,
    holder: Option<&str>,
) -> Result<bool> {
    let added: u64 = attempts.iter().map(|a| a.samples_added).sum();
    cat.db().transaction(|tx| {
        if let Some(h) = holder {
            // The row stays locked until the commit: nobody takes the claim over meanwhile.
            let held = tx.query(
                "SELECT id FROM siqaco_requests WHERE id=?1 AND holder=?2 FOR UPDATE",
                &vals![id, h],
            )?;
            if held.is_empty() {
                return Ok(false);
            }
        }
        for a in attempts {
            tx.execute(
                "INSERT INTO siqaco_attempts (request_id,run_id,source,started_ns,finished_ns,lines,bytes,samples_added,outcome,message) \
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                &vals![
                    a.request_id,
                    a.run_id,
                    &a.source,
                    a.started_ns,
                    a.finished_ns,
                    &a.lines,
                    a.bytes as i64,
                    a.samples_added as i64,
                    &a.outcome,
                    a.message.clone()
                ],
            )?;
        }
        tx.execute(
            "UPDATE siqaco_requests SET state=?1, reason=?2, updated_ns=?3, attempts=attempts+?4, samples_added=samples_added+?5, \
             holder=NULL, lease_until_ns=NULL WHERE id=?6",
            &vals![
                state.as_str(),
                reason,
                now_ns(),
                i64::from(counted),
                added as i64,
                id
            ],
        )?;
        Ok(true)
    })
}

/// The attempts of a request, oldest first.
///
/// # Errors
/// [`Error::Database`].
pub fn attempts(cat: &Catalogue, request_id: i64) -> Result<Vec<Attempt>> {
    let rows = cat.db().query(
        "SELECT request_id,run_id,source,started_ns,finished_ns,lines,bytes,samples_added,outcome,message \
         FROM siqaco_attempts WHERE request_id=?1 ORDER BY id",
        &vals![request_id],
    )?;
    Ok(rows
        .iter()
        .map(|r| Attempt {
            request_id: r[0].as_i64(),
            run_id: r[1].as_i64(),
            source: r[2].as_text(),
            started_ns: r[3].as_i64(),
            finished_ns: r[4].as_i64(),
            lines: r[5].as_text(),
            bytes: r[6].as_i64() as u64,
            samples_added: r[7].as_i64() as u64,
            outcome: r[8].as_text(),
            message: r[9].as_opt_text(),
        })
        .collect())
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::invalid_argument(e.to_string()))
}

impl Request {
    /// The request as `siqaco stack list --format json` prints it: its fields (`id`,
    /// `stream`, `start_ns`, `end_ns`, `state`, `reason`, `sources`, `created_ns`,
    /// `updated_ns`, `attempts`, `samples_added`, `holder`, `lease_until_ns`, `claims`)
    /// plus `start` and `end` in ISO 8601.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if it cannot be serialised (never in practice).
    pub fn to_json(&self) -> Result<serde_json::Value> {
        let mut j = to_json(self)?;
        j["start"] = format_time(self.start_ns).into();
        j["end"] = format_time(self.end_ns).into();
        Ok(j)
    }
}

/// Puts requests left `in_progress` by a killed run back to `retry` (the interrupted
/// attempt is not counted; a revision request keeps its reason); returns how many.
///
/// # Errors
/// [`Error::Database`].
pub fn reset_interrupted(cat: &Catalogue) -> Result<u64> {
    cat.db().execute(
        "UPDATE siqaco_requests SET state='retry', \
         reason=CASE WHEN reason LIKE 'revision: %' THEN reason ELSE 'interrupted run' END, \
         updated_ns=?1 WHERE state='in_progress'",
        &vals![now_ns()],
    )
}

/// `siqaco stack retry`: puts `on_hold` and `failed` requests (all, or those in `ids`)
/// back to `retry` with a fresh policy (attempt count 0, lifespan from now; a revision
/// request keeps its reason, `; retried by the user` added); returns how many changed.
///
/// # Errors
/// [`Error::NotFound`] for an unknown id; [`Error::InvalidArgument`] for a request in
/// another state; [`Error::Database`].
pub fn retry(cat: &Catalogue, ids: &[i64]) -> Result<u64> {
    let now = now_ns();
    if ids.is_empty() {
        return cat.db().execute(
            "UPDATE siqaco_requests SET state='retry', reason=CASE WHEN reason LIKE 'revision: %' THEN reason || '; retried by the user' ELSE 'retried by the user' END, attempts=0, created_ns=?1, updated_ns=?1 \
             WHERE state IN ('on_hold','failed')",
            &vals![now],
        );
    }
    for id in ids {
        let r = get(cat, *id)?;
        if !matches!(
            r.state,
            RequestState::OnHold | RequestState::Failed | RequestState::Retry
        ) {
            return Err(Error::invalid_argument(format!(
                "request {id} is {}: only on_hold, failed or retry requests can be retried",
                r.state.as_str()
            )));
        }
    }
    cat.db().transaction(|tx| {
        for id in ids {
            tx.execute(
                "UPDATE siqaco_requests SET state='retry', reason=CASE WHEN reason LIKE 'revision: %' THEN reason || '; retried by the user' ELSE 'retried by the user' END, attempts=0, created_ns=?1, updated_ns=?1 WHERE id=?2",
                &vals![now, *id],
            )?;
        }
        Ok(ids.len() as u64)
    })
}

/// `siqaco stack cancel`: cancels requests that are not finished (a revision request
/// keeps its reason, `; cancelled by the user` added, so that its span is not asked
/// again); returns how many.
///
/// # Errors
/// [`Error::NotFound`] for an unknown id; [`Error::InvalidArgument`] for a succeeded or
/// in-progress request; [`Error::Database`].
pub fn cancel(cat: &Catalogue, ids: &[i64]) -> Result<u64> {
    for id in ids {
        let r = get(cat, *id)?;
        if matches!(r.state, RequestState::Succeeded | RequestState::InProgress) {
            return Err(Error::invalid_argument(format!(
                "request {id} is {}: it cannot be cancelled",
                r.state.as_str()
            )));
        }
    }
    let now = now_ns();
    cat.db().transaction(|tx| {
        for id in ids {
            tx.execute(
                "UPDATE siqaco_requests SET state='cancelled', reason=CASE WHEN reason LIKE 'revision: %' THEN reason || '; cancelled by the user' ELSE 'cancelled by the user' END, updated_ns=?1 WHERE id=?2",
                &vals![now, *id],
            )?;
        }
        Ok(ids.len() as u64)
    })
}
