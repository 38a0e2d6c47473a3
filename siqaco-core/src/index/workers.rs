//! Many workers, one PostgreSQL catalogue: the pieces `siqaco index` and `siqaco update`
//! share when several processes (on one or several machines) split their work through the
//! catalogue (`docs/scale.md`, "Many workers" and "Index split between workers").
//!
//! * **Workers.** Each run is a worker named `host:pid:suffix` (the suffix random), with
//!   a row in `siqaco_workers` (schema version 3, `update/claims.sql`) holding its lease
//!   expiry, renewed by a heartbeat thread on a connection of its own every third of the
//!   lease ([`Worker`]).
//! * **Queues.** Work to split is a table of rows, each claimed by one worker at a time
//!   ([`Queue`]): the requests of the stack (`siqaco_requests`, `siqaco update`, `crate::update::claims`), the
//!   planning groups of an update (`siqaco_plan_groups`, `crate::update`'s `plan_groups`)
//!   and the file groups of an index run ([`INDEX_GROUPS`], `siqaco index`); a worker
//!   marks a row it finished with [`finish_row`]. One statement claims a row
//!   ([`claim_row`]): `UPDATE … WHERE key = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)
//!   RETURNING …` sets it `in_progress`, its `holder` and `lease_until_ns`, and counts the
//!   claim (`claims`). A row whose holder's lease expired (the worker died) is claimable
//!   again. The heartbeat renews the leases of the rows the worker holds in its queues.
//! * **Advisory locks.** [`PLAN_KEY`] serialises what only one worker at a time may do
//!   (an update's creation of requests and its rounds of planning, the end of an index run: the
//!   per-stream summary and day statistics); `crate::update::claims` adds one lock per
//!   stream for the day files a merge writes.
//!
//! With a SQLite catalogue nothing of this is used: one writer at a time.

use super::backend::{vals, BackendKind, Db, SqlValue};
use super::Catalogue;
use crate::error::{Error, Result};
use crate::time::{now_ns, s_to_ns};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The class of siqaco's advisory locks (`SIQA`), in the high 32 bits of every key.
pub(crate) const LOCK_CLASS: i64 = 0x5349_5141 << 32;

/// The advisory lock key of the phases of a run that one worker at a time runs: an
/// update's creation of requests and its rounds of planning, the end of an index run (summary and day
/// statistics).
pub const PLAN_KEY: i64 = LOCK_CLASS | 0x7061_6e00;

/// The advisory lock key of the creation of a PostgreSQL catalogue's schema and of the
/// tables made on first use ([`Queue::ddl`]): two workers creating the same table at once
/// would collide in PostgreSQL's own catalogue.
pub(crate) const SCHEMA_KEY: i64 = LOCK_CLASS | 0x7363_6800;

/// Whether the catalogue is shared by several workers (PostgreSQL).
pub(crate) fn is_shared(cat: &Catalogue) -> bool {
    cat.kind() == BackendKind::Postgres
}

/// The name of this machine (`gethostname`; `HOSTNAME`, then `localhost`, elsewhere).
pub(crate) fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; the name is NUL-terminated when it
        // fits (the last byte stays 0).
        let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
        if r == 0 {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
            if let Ok(s) = std::str::from_utf8(&buf[..end]) {
                if !s.is_empty() {
                    return s.to_string();
                }
            }
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into())
}

/// A new worker identity, `host:pid:suffix` with 8 random hexadecimal digits.
pub fn new_worker_id() -> String {
    use std::hash::BuildHasher;
    let r = std::collections::hash_map::RandomState::new().hash_one((now_ns(), std::process::id()));
    format!("{}:{}:{:08x}", host_name(), std::process::id(), r as u32)
}

/// A table of work split between workers: each row is claimed by one worker at a time,
/// under a lease ([`claim_row`]). The table has the columns `state` (`in_progress` while
/// held), `holder`, `lease_until_ns` (ns since 1970), `claims` (how often it was claimed)
/// and `updated_ns`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Queue {
    /// The table.
    pub table: &'static str,
    /// The key column: rows are claimed in its order.
    pub key: &'static str,
    /// The condition of a row waiting for a worker.
    pub pending: &'static str,
    /// The table's DDL when it is created on first use (PostgreSQL), else `None` (part of
    /// the schema).
    pub ddl: Option<&'static str>,
}

/// The file groups of an index run split between workers ([`Catalogue::index_archive`]
/// with a PostgreSQL catalogue): one row per directory of the archive with files to read
/// (`grp`, its absolute path); `new` waits, `in_progress` is held, `done` was written;
/// `files` counts the files whose rows its holders wrote (each file once per change). A work table, created on first use:
/// it holds no catalogue data, and a catalogue without it is complete.
pub(crate) const INDEX_GROUPS: Queue = Queue {
    table: "siqaco_index_groups",
    key: "grp",
    pending: "state='new'",
    ddl: Some(
        "CREATE TABLE IF NOT EXISTS siqaco_index_groups (grp TEXT PRIMARY KEY, \
         state TEXT NOT NULL, holder TEXT, lease_until_ns BIGINT, claims BIGINT, \
         files BIGINT NOT NULL DEFAULT 0, updated_ns BIGINT NOT NULL)",
    ),
};

/// Creates the table of `queue` when it has a [`Queue::ddl`] and does not exist yet
/// (under [`SCHEMA_KEY`]).
///
/// # Errors
/// [`Error::Database`].
fn ensure_queue(cat: &Catalogue, queue: &Queue) -> Result<()> {
    let Some(ddl) = queue.ddl else { return Ok(()) };
    lock_key(cat, SCHEMA_KEY)?;
    let made = cat.db().batch(ddl);
    unlock(cat, SCHEMA_KEY);
    made
}

/// A registered worker and its heartbeat; [`Worker::stop`] (or dropping it) ends the
/// heartbeat and removes its row.
pub(crate) struct Worker {
    /// `host:pid:suffix`.
    pub(crate) id: String,
    /// The lease length, ns.
    pub(crate) lease_ns: i64,
    stop: Arc<(Mutex<bool>, Condvar)>,
    heartbeat: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Registers a new worker in `cat` (a row of `siqaco_workers` with its lease), creates
    /// the tables of `queues` made on first use, and starts its heartbeat on a connection
    /// of its own to `target` (the catalogue URL), renewing every `lease_s / 3` s the
    /// worker's lease and those of the rows of `queues` it holds.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub(crate) fn start(
        cat: &Catalogue,
        target: &Path,
        lease_s: f64,
        queues: &'static [Queue],
    ) -> Result<Worker> {
        for q in queues {
            ensure_queue(cat, q)?;
        }
        let id = new_worker_id();
        let lease_ns = s_to_ns(lease_s);
        let now = now_ns();
        cat.db().execute(
            "INSERT INTO siqaco_workers (worker,host,pid,started_ns,lease_until_ns) VALUES (?1,?2,?3,?4,?5)",
            &vals![&id, host_name(), i64::from(std::process::id()), now, now + lease_ns],
        )?;
        let hb_cat = Catalogue::open_existing_raw(target)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (stop2, id2) = (stop.clone(), id.clone());
        let period = Duration::from_secs_f64(lease_s / 3.0);
        let heartbeat = std::thread::Builder::new()
            .name("siqaco-heartbeat".into())
            .spawn(move || {
                let (m, cv) = &*stop2;
                let mut stopped = m.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    let (s, _) = cv
                        .wait_timeout(stopped, period)
                        .unwrap_or_else(|p| p.into_inner());
                    stopped = s;
                    if *stopped {
                        break;
                    }
                    if let Err(e) = renew(&hb_cat, &id2, now_ns() + lease_ns, queues) {
                        tracing::warn!("worker {id2}: lease not renewed: {e}");
                    }
                }
                drop(stopped);
                // This worker, and those whose lease expired (they died).
                if let Err(e) = hb_cat.db().execute(
                    "DELETE FROM siqaco_workers WHERE worker=?1 OR lease_until_ns < ?2",
                    &vals![&id2, now_ns()],
                ) {
                    tracing::warn!("worker {id2}: not deregistered: {e}");
                }
            })
            .map_err(|e| Error::invalid_argument(format!("heartbeat thread: {e}")))?;
        Ok(Worker {
            id,
            lease_ns,
            stop,
            heartbeat: Some(heartbeat),
        })
    }

    /// Ends the heartbeat and removes the worker's row, and those of the workers whose
    /// lease expired (they died; the rows they held are taken over by the claims). Its
    /// own leases then expire as they are; the rows it still holds are taken over when
    /// they do.
    pub(crate) fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let (m, cv) = &*self.stop;
        *m.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Renews the lease of worker `id` and of every row of `queues` it holds until
/// `until_ns`.
fn renew(cat: &Catalogue, id: &str, until_ns: i64, queues: &[Queue]) -> Result<()> {
    cat.db().transaction(|tx| {
        tx.execute(
            "UPDATE siqaco_workers SET lease_until_ns=?1 WHERE worker=?2",
            &vals![until_ns, id],
        )?;
        for q in queues {
            tx.execute(
                &format!(
                    "UPDATE {} SET lease_until_ns=?1 WHERE holder=?2 AND state='in_progress'",
                    q.table
                ),
                &vals![until_ns, id],
            )?;
        }
        Ok(())
    })
}

/// The condition of a row in progress whose lease expired at `now` (a parameter, ns):
/// its worker died.
fn expired_at(now: &str) -> String {
    format!("(state='in_progress' AND (lease_until_ns IS NULL OR lease_until_ns < {now}))")
}

/// Claims the claimable row of `queue` with the smallest key for `worker` until now +
/// `lease_ns`, returning its columns `cols`: it becomes `in_progress`, held by `worker`,
/// its `claims` counted. Pending rows ([`Queue::pending`]) come first, then those whose
/// worker's lease expired. `None` when nothing is left to claim. Rows other workers are
/// claiming are skipped (`SKIP LOCKED`), so claims never wait for each other; the
/// condition is checked again on the locked row, so the same row is never returned
/// twice; when every claimable row was taken meanwhile, it tries again.
///
/// # Errors
/// [`Error::Database`] (also for a SQLite catalogue, which has no row locks).
pub(crate) fn claim_row(
    cat: &Catalogue,
    queue: &Queue,
    cols: &str,
    worker: &str,
    lease_ns: i64,
) -> Result<Option<Vec<SqlValue>>> {
    let Queue {
        table,
        key,
        pending,
        ..
    } = queue;
    let claim_where = |cond: &str| {
        format!(
            "UPDATE {table} SET state='in_progress', holder=?1, lease_until_ns=?2, \
             claims=COALESCE(claims,0)+1, updated_ns=?3 \
             WHERE {key} = (SELECT {key} FROM {table} WHERE {cond} \
             ORDER BY {key} LIMIT 1 FOR UPDATE SKIP LOCKED) AND {cond} RETURNING {cols}"
        )
    };
    let (pending, expired) = (claim_where(pending), claim_where(&expired_at("?3")));
    loop {
        let now = now_ns();
        let params = vals![worker, now + lease_ns, now];
        for sql in [&pending, &expired] {
            if let Some(r) = cat.db().query(sql, &params)?.into_iter().next() {
                return Ok(Some(r));
            }
        }
        // Nothing returned: either nothing is claimable, or the rows found were claimed
        // by other workers between the snapshot and the lock (re-checked, then skipped).
        if claimable(cat, queue)? == 0 {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Rows of `queue` that are claimable now ([`claim_row`]).
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn claimable(cat: &Catalogue, queue: &Queue) -> Result<u64> {
    Ok(cat
        .db()
        .query_one(
            &format!(
                "SELECT count(*) FROM {} WHERE {} OR {}",
                queue.table,
                queue.pending,
                expired_at("?1")
            ),
            &vals![now_ns()],
        )?
        .as_i64() as u64)
}

/// Rows of `queue` that wait or are held (by a live worker or not): the work not done.
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn unfinished(cat: &Catalogue, queue: &Queue) -> Result<u64> {
    Ok(cat
        .db()
        .query_one(
            &format!(
                "SELECT count(*) FROM {} WHERE {} OR state='in_progress'",
                queue.table, queue.pending
            ),
            &[],
        )?
        .as_i64() as u64)
}

/// Puts the index groups `groups` (absolute directory paths) in the queue
/// ([`INDEX_GROUPS`]): a new one as `new`, a `done` one back to `new`; one held or
/// waiting is left as it is.
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn publish_groups<'a>(
    cat: &Catalogue,
    groups: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let now = now_ns();
    cat.db().transaction(|tx| {
        for g in groups {
            tx.execute(
                "INSERT INTO siqaco_index_groups (grp,state,claims,files,updated_ns) \
                 VALUES (?1,'new',0,0,?2) ON CONFLICT (grp) DO UPDATE SET state='new', \
                 updated_ns=?2 WHERE siqaco_index_groups.state='done'",
                &vals![g, now],
            )?;
        }
        Ok(())
    })
}

/// In the transaction `tx` that writes what a worker did with row `key` of `queue` (an
/// index group's rows, a planning group's requests): locks the row (until the end of the
/// transaction, so that no other worker takes it over meanwhile) and returns whether
/// `worker` still holds it; when it does, sets it `done` (or, when not `done`, the run
/// was cancelled meanwhile, back to `new`), releases it and adds each `(column, value)`
/// of `counts` to its column (what the worker did: files read, streams planned...), which
/// the commit makes visible with the rest of the transaction.
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn finish_row(
    tx: &mut Db,
    queue: &Queue,
    key: &str,
    worker: &str,
    done: bool,
    counts: &[(&str, i64)],
) -> Result<bool> {
    let Queue {
        table, key: col, ..
    } = queue;
    let held = !tx
        .query(
            &format!(
                "SELECT 1 FROM {table} WHERE {col}=?1 AND holder=?2 \
                 AND state='in_progress' FOR UPDATE"
            ),
            &vals![key, worker],
        )?
        .is_empty();
    if held {
        let mut set = String::new();
        let mut params = vals![if done { "done" } else { "new" }, now_ns(), key];
        for (c, v) in counts {
            params.push(SqlValue::from(*v));
            set.push_str(&format!(", {c}={c}+?{}", params.len()));
        }
        tx.execute(
            &format!(
                "UPDATE {table} SET state=?1, holder=NULL, lease_until_ns=NULL, \
                 updated_ns=?2{set} WHERE {col}=?3"
            ),
            &params,
        )?;
    }
    Ok(held)
}

/// [`finish_row`] of index group `grp` ([`INDEX_GROUPS`]), adding `files` (the files
/// read) to its count.
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn finish_group(
    tx: &mut Db,
    grp: &str,
    worker: &str,
    files: u64,
    done: bool,
) -> Result<bool> {
    finish_row(
        tx,
        &INDEX_GROUPS,
        grp,
        worker,
        done,
        &[("files", files as i64)],
    )
}

/// Tries to take the advisory lock `key` on `cat`'s connection (session level; released
/// by [`unlock`] or when the connection ends); returns whether it was taken.
pub(crate) fn try_lock(cat: &Catalogue, key: i64) -> Result<bool> {
    let v = cat
        .db()
        .query_one("SELECT pg_try_advisory_lock(?1)", &vals![key])?;
    Ok(v.as_i64() != 0)
}

/// Releases the advisory lock `key` (a failure is only logged: the lock goes with the
/// connection anyway).
pub(crate) fn unlock(cat: &Catalogue, key: i64) {
    if let Err(e) = cat
        .db()
        .query_one("SELECT pg_advisory_unlock(?1)", &vals![key])
    {
        tracing::warn!("advisory lock {key:#x} not released: {e}");
    }
}

/// Test hook: the environment variable `var` (`SIQACO_INDEX_GROUP_DELAY_MS`,
/// `SIQACO_PLAN_GROUP_DELAY_MS`), milliseconds, pauses a worker while it holds a group of
/// a split run (between reading or analysing it and writing what it found), so that tests
/// can kill it while it holds the group.
pub(crate) fn group_delay(var: &str) {
    if let Some(ms) =
        std::env::var_os(var).and_then(|v| v.to_str().and_then(|s| s.parse::<u64>().ok()))
    {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// How long a worker waits between two tries of an advisory lock held by another.
pub(crate) const LOCK_POLL: Duration = Duration::from_millis(20);

/// Takes the advisory lock `key` on `cat`'s connection, waiting for it (polling, so that
/// the connection stays usable by the worker's other threads between tries). Release it
/// with [`unlock`].
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn lock_key(cat: &Catalogue, key: i64) -> Result<()> {
    while !try_lock(cat, key)? {
        std::thread::sleep(LOCK_POLL);
    }
    Ok(())
}

/// Takes the planning lock ([`PLAN_KEY`]) of a shared catalogue, waiting for it; nothing
/// with SQLite. Release it with [`unlock_plan`].
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn lock_plan(cat: &Catalogue) -> Result<()> {
    if is_shared(cat) {
        lock_key(cat, PLAN_KEY)?;
    }
    Ok(())
}

/// Releases the planning lock taken by [`lock_plan`].
pub(crate) fn unlock_plan(cat: &Catalogue) {
    if is_shared(cat) {
        unlock(cat, PLAN_KEY);
    }
}
