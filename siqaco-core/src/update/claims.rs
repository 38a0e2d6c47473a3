//! Many workers, one catalogue: `siqaco update` and `siqaco stack run` started on several
//! machines (or processes) against one PostgreSQL catalogue and one shared archive split
//! the requests of the stack between them (`docs/scale.md`, "Many workers").
//!
//! * **Workers.** Each run is a worker named `host:pid:suffix` (the suffix random), with
//!   a row in `siqaco_workers` (schema version 3, `update/claims.sql`) holding its lease
//!   expiry, and a staging directory of its own, `ROOT/.siqaco-staging/<worker>` (`:`
//!   written `_`), which holds what it fetches and its merge journal.
//! * **Claims.** A worker takes one request at a time ([`claim`]): one statement,
//!   `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING …`, sets the
//!   request `in_progress`, its `holder` and `lease_until_ns`, and counts the claim
//!   (`claims`). Claimable: `new`, `retry` and `failed` requests, and `in_progress` ones
//!   whose lease has expired (their worker died). The attempt is ended only while the
//!   worker still holds the request ([`super::stack::finish_attempt`] with a holder), so a
//!   request is executed (its attempt counted) once.
//! * **Leases.** A heartbeat thread with its own connection renews the worker's lease and
//!   those of the requests it holds every third of `requests.lease_s` (default 60 s).
//! * **Day files.** A merge takes the PostgreSQL advisory lock of each stream it writes
//!   (every day file belongs to one stream; key: CRC-32C of `NET.STA.LOC.CHA` under a
//!   siqaco class) before reading its day files and keeps it until the staged files
//!   replaced them: no day file is written by two workers at once.
//! * **Planning.** Bringing the catalogue up to date, the gap analysis and the creation of
//!   requests (and the final re-index) run under one advisory lock ([`PLAN_KEY`]): two
//!   workers never create the same request, and the catalogue's index runs one at a
//!   time; the execution of the requests, which fetches and merges, is what is split.
//! * **Dead workers.** A worker whose lease expired has its claims taken over by the next
//!   [`claim`]; its staging directory is removed by the next worker starting
//!   (`tidy_shared`), after the staged files its journal names were removed (never
//!   renamed: another worker may have written those day files since; each day file is
//!   its old or its new version, and what the old one misses is asked again by the
//!   request taken over).
//! * **Other writers.** The workers hold the archive lock file (`ROOT/.siqaco-update.lock`)
//!   shared: `siqaco merge`, or an update with a SQLite catalogue, which take it
//!   exclusively, cannot write into the archive meanwhile, and the reverse.
//!
//! With a SQLite catalogue nothing of this is used: one run at a time holds the archive
//! lock exclusively, as before.

use crate::archive::leftover::{
    clean_dir, discard_workers, tidy_root, ArchiveLock, Scope, UPDATE_STAGING_NAME,
};
use crate::error::{Error, Result};
use crate::index::backend::{vals, BackendKind};
use crate::index::Catalogue;
use crate::sid::Nslc;
use crate::time::{now_ns, s_to_ns};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::stack::{row_request, Request, REQ_COLS};

/// The class of siqaco's advisory locks (`SIQA`), in the high 32 bits of every key.
const LOCK_CLASS: i64 = 0x5349_5141 << 32;

/// The advisory lock key of the planning phase of a run (index, gap analysis, request
/// creation), held by one worker at a time.
pub const PLAN_KEY: i64 = LOCK_CLASS | 0x7061_6e00;

/// Whether the catalogue is shared by several workers (PostgreSQL).
pub(crate) fn is_shared(cat: &Catalogue) -> bool {
    cat.kind() == BackendKind::Postgres
}

/// The advisory lock key of stream `n`'s day files: `SIQA` (0x53495141) in the high 32
/// bits, the CRC-32C of `NET.STA.LOC.CHA` in the low ones (the same on every machine and
/// build; two streams with the same CRC only wait for each other).
pub fn stream_key(n: &Nslc) -> i64 {
    LOCK_CLASS | i64::from(crc32c::crc32c(n.to_string().as_bytes()))
}

/// The name of this machine (`gethostname`; `HOSTNAME`, then `localhost`, elsewhere).
fn host_name() -> String {
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

/// The name of worker `id`'s staging directory (and the tag of its staged files): the
/// identity with `:` and `/` written `_`.
pub fn worker_dir_name(id: &str) -> String {
    id.replace([':', '/', '\\'], "_")
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
    /// Registers a new worker in `cat` (a row of `siqaco_workers` with its lease) and
    /// starts its heartbeat on a connection of its own to `target` (the catalogue URL),
    /// renewing the worker's lease and those of its requests every `lease_s / 3` s.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub(crate) fn start(cat: &Catalogue, target: &Path, lease_s: f64) -> Result<Worker> {
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
                    if let Err(e) = renew(&hb_cat, &id2, now_ns() + lease_ns) {
                        tracing::warn!("worker {id2}: lease not renewed: {e}");
                    }
                }
                drop(stopped);
                if let Err(e) = hb_cat
                    .db()
                    .execute("DELETE FROM siqaco_workers WHERE worker=?1", &vals![&id2])
                {
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

    /// The worker's staging directory under the archive `root`.
    pub(crate) fn staging_dir(&self, root: &Path) -> PathBuf {
        root.join(UPDATE_STAGING_NAME)
            .join(worker_dir_name(&self.id))
    }

    /// Ends the heartbeat and removes the worker's row (its leases then expire as they
    /// are; the requests it still holds are taken over when they do).
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

/// Renews the lease of worker `id` and of every request it holds until `until_ns`.
fn renew(cat: &Catalogue, id: &str, until_ns: i64) -> Result<()> {
    cat.db().transaction(|tx| {
        tx.execute(
            "UPDATE siqaco_workers SET lease_until_ns=?1 WHERE worker=?2",
            &vals![until_ns, id],
        )?;
        tx.execute(
            "UPDATE siqaco_requests SET lease_until_ns=?1 WHERE holder=?2 AND state='in_progress'",
            &vals![until_ns, id],
        )?;
        Ok(())
    })
}

/// The condition of a pending request (`siqaco_requests_pending`, a partial index in id
/// order, serves it).
const PENDING: &str = "state IN ('new','retry','failed')";

/// The condition of a request in progress whose lease expired at `now` (a parameter,
/// ns): its worker died.
fn expired_at(now: &str) -> String {
    format!("(state='in_progress' AND (lease_until_ns IS NULL OR lease_until_ns < {now}))")
}

/// Claims the claimable request with the smallest id for `worker` until now +
/// `lease_ns`: it becomes `in_progress`, held by `worker`, its `claims` counted. Pending
/// requests (`new`, `retry`, `failed`) come first, then those whose worker's lease
/// expired. `None` when nothing is left to claim. Rows other workers are claiming are
/// skipped (`SKIP LOCKED`), so claims never wait for each other; the condition is
/// checked again on the locked row, so the same request is never returned twice; when
/// every claimable row was taken meanwhile, it tries again.
///
/// # Errors
/// [`Error::Database`] (also for a SQLite catalogue, which has no row locks).
pub fn claim(cat: &Catalogue, worker: &str, lease_ns: i64) -> Result<Option<Request>> {
    let claim_where = |cond: &str| {
        format!(
            "UPDATE siqaco_requests SET state='in_progress', holder=?1, lease_until_ns=?2, \
             claims=COALESCE(claims,0)+1, updated_ns=?3 \
             WHERE id = (SELECT id FROM siqaco_requests WHERE {cond} \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) AND {cond} RETURNING {REQ_COLS}"
        )
    };
    let (pending, expired) = (claim_where(PENDING), claim_where(&expired_at("?3")));
    loop {
        let now = now_ns();
        let params = vals![worker, now + lease_ns, now];
        for sql in [&pending, &expired] {
            if let Some(r) = cat.db().query(sql, &params)?.first() {
                return row_request(r).map(Some);
            }
        }
        // Nothing returned: either nothing is claimable, or the rows found were claimed
        // by other workers between the snapshot and the lock (re-checked, then skipped).
        if claimable(cat)? == 0 {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Requests that are claimable now ([`claim`]).
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn claimable(cat: &Catalogue) -> Result<u64> {
    let now = now_ns();
    Ok(cat
        .db()
        .query_one(
            &format!(
                "SELECT count(*) FROM siqaco_requests WHERE {PENDING} OR {}",
                expired_at("?1")
            ),
            &vals![now],
        )?
        .as_i64() as u64)
}

/// Tries to take the advisory lock `key` on `cat`'s connection (session level; released
/// by [`unlock`] or when the connection ends); returns whether it was taken.
fn try_lock(cat: &Catalogue, key: i64) -> Result<bool> {
    let v = cat
        .db()
        .query_one("SELECT pg_try_advisory_lock(?1)", &vals![key])?;
    Ok(v.as_i64() != 0)
}

/// Releases the advisory lock `key` (a failure is only logged: the lock goes with the
/// connection anyway).
fn unlock(cat: &Catalogue, key: i64) {
    if let Err(e) = cat
        .db()
        .query_one("SELECT pg_advisory_unlock(?1)", &vals![key])
    {
        tracing::warn!("advisory lock {key:#x} not released: {e}");
    }
}

/// How long a worker waits between two tries of an advisory lock held by another.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// Takes the planning lock ([`PLAN_KEY`]) of a shared catalogue, waiting for it; nothing
/// with SQLite. Release it with [`unlock_plan`].
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn lock_plan(cat: &Catalogue) -> Result<()> {
    while is_shared(cat) && !try_lock(cat, PLAN_KEY)? {
        std::thread::sleep(LOCK_POLL);
    }
    Ok(())
}

/// Releases the planning lock taken by [`lock_plan`].
pub(crate) fn unlock_plan(cat: &Catalogue) {
    if is_shared(cat) {
        unlock(cat, PLAN_KEY);
    }
}

/// The advisory locks of streams held on a worker's connection, released when dropped.
pub(crate) struct StreamLocks<'a> {
    cat: &'a Mutex<Catalogue>,
    keys: Vec<i64>,
}

impl Drop for StreamLocks<'_> {
    fn drop(&mut self) {
        let c = self.cat.lock().unwrap_or_else(|p| p.into_inner());
        for k in self.keys.iter().rev() {
            unlock(&c, *k);
        }
    }
}

/// Takes the locks of the day files of `streams` (one per stream, [`stream_key`]) on the
/// connection of `cat`, in key order, so that two workers never wait for each other in a
/// circle; while waiting, `cat` is free for the worker's other threads.
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn lock_streams<'a>(
    cat: &'a Mutex<Catalogue>,
    streams: &[Nslc],
) -> Result<StreamLocks<'a>> {
    let keys: BTreeSet<i64> = streams.iter().map(stream_key).collect();
    let mut held = StreamLocks {
        cat,
        keys: Vec::new(),
    };
    for k in keys {
        while !try_lock(&cat.lock().unwrap_or_else(|p| p.into_inner()), k)? {
            std::thread::sleep(LOCK_POLL);
        }
        held.keys.push(k);
    }
    Ok(held)
}

/// How long a worker waits for the archive lock held exclusively: long enough for
/// another worker's tidying of the root, short enough to fail soon beside a `siqaco
/// merge`.
const SHARED_LOCK_WAIT: Duration = Duration::from_secs(10);

/// The start of a worker in the archive `root` shared with others: removes what dead
/// workers left and returns the archive lock held shared.
///
/// When no other siqaco run writes into the archive (its lock is free), the whole root
/// is tidied as by a single run ([`tidy_root`], which also discards the journals of dead
/// workers). Otherwise, the staging directories of workers without a live lease in
/// `siqaco_workers` are removed after discarding their journals
/// ([`discard_workers`]), and the names of dead processes of this host in the root
/// ([`clean_dir`]). Then the workers whose lease expired are deleted from
/// `siqaco_workers`.
///
/// # Errors
/// [`Error::Io`] (`WouldBlock` naming the lock file) when a `siqaco merge` or an update
/// with a SQLite catalogue is writing into the archive (after [`SHARED_LOCK_WAIT`]); [`Error::Io`],
/// [`Error::Database`].
pub(crate) fn tidy_shared(root: &Path, cat: &Catalogue, me: &Worker) -> Result<ArchiveLock> {
    fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    if let Some(exclusive) = ArchiveLock::try_acquire(root)? {
        let tidied = tidy_root(root, Some(&exclusive));
        drop(exclusive);
        tidied?;
    } else {
        let now = now_ns();
        let live: BTreeSet<String> = cat
            .db()
            .query(
                "SELECT worker FROM siqaco_workers WHERE lease_until_ns >= ?1",
                &vals![now],
            )?
            .iter()
            .map(|r| worker_dir_name(&r[0].as_text()))
            .collect();
        let mine = worker_dir_name(&me.id);
        discard_workers(root, |name| name == mine || live.contains(name))?;
        clean_dir(root, false, Scope::Root)?;
    }
    let shared = ArchiveLock::acquire_shared(root, SHARED_LOCK_WAIT)?;
    cat.db().execute(
        "DELETE FROM siqaco_workers WHERE lease_until_ns < ?1",
        &vals![now_ns()],
    )?;
    Ok(shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_names() {
        let id = new_worker_id();
        let parts: Vec<&str> = id.rsplitn(3, ':').collect();
        assert_eq!(parts[1], std::process::id().to_string(), "{id}");
        assert_eq!(parts[0].len(), 8, "{id}");
        assert!(!worker_dir_name(&id).contains(':'));
        assert_ne!(new_worker_id(), id);
        let n = Nslc::new("IU", "ANMO", "00", "BHZ");
        assert_eq!(stream_key(&n) >> 32, LOCK_CLASS >> 32);
        assert_eq!(
            stream_key(&n) & 0xffff_ffff,
            i64::from(crc32c::crc32c(b"IU.ANMO.00.BHZ"))
        );
    }
}
