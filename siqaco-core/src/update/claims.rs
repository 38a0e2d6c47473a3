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
//! * **Planning.** Bringing the catalogue up to date (and the final re-index) is split
//!   between the workers as `siqaco index` splits it (`crate::index`, module `workers`:
//!   the directories claimed one at a time); the gap analysis and the creation of the
//!   requests are divided by groups of streams claimed the same way (module
//!   `plan_groups`); each group's requests are created under one advisory lock
//!   ([`PLAN_KEY`]), so two workers never create the same request; the execution of the
//!   requests, which fetches and merges, is split.
//!   The workers, their leases and the claims are those module's, one piece for all.
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
use crate::index::backend::vals;
use crate::index::workers::{self, try_lock, unlock, Queue, LOCK_CLASS, LOCK_POLL};
use crate::index::Catalogue;
use crate::sid::Nslc;
use crate::time::now_ns;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

pub(crate) use crate::index::workers::{lock_plan, unlock_plan, Worker};
pub use crate::index::workers::{new_worker_id, PLAN_KEY};

use super::stack::{row_request, Request, REQ_COLS};

/// The name of worker `id`'s staging directory (and the tag of its staged files): the
/// identity with `:` and `/` written `_`.
pub fn worker_dir_name(id: &str) -> String {
    id.replace([':', '/', '\\'], "_")
}

/// The requests of the stack (`siqaco update`, `crate::update::claims`): `new`, `retry`
/// and `failed` ones wait (`siqaco_requests_pending`, a partial index in id order, serves
/// the claim).
pub(crate) const REQUESTS: Queue = Queue {
    table: "siqaco_requests",
    key: "id",
    pending: "state IN ('new','retry','failed')",
    ddl: None,
};

impl Worker {
    /// The worker's staging directory under the archive `root`.
    pub(crate) fn staging_dir(&self, root: &Path) -> PathBuf {
        root.join(UPDATE_STAGING_NAME)
            .join(worker_dir_name(&self.id))
    }
}

/// The advisory lock key of stream `n`'s day files: `SIQA` (0x53495141) in the high 32
/// bits, the CRC-32C of `NET.STA.LOC.CHA` in the low ones (the same on every machine and
/// build; two streams with the same CRC only wait for each other).
pub fn stream_key(n: &Nslc) -> i64 {
    LOCK_CLASS | i64::from(crc32c::crc32c(n.to_string().as_bytes()))
}

/// Claims the claimable request with the smallest id for `worker` until now +
/// `lease_ns`: it becomes `in_progress`, held by `worker`, its `claims` counted. Pending
/// requests (`new`, `retry`, `failed`) come first, then those whose worker's lease
/// expired. `None` when nothing is left to claim. The claim of every queue of work
/// (`siqaco::index`'s `workers::claim_row` on `siqaco_requests`): rows other workers are claiming are
/// skipped (`SKIP LOCKED`), so claims never wait for each other, and the same request is
/// never returned twice.
///
/// # Errors
/// [`Error::Database`] (also for a SQLite catalogue, which has no row locks).
pub fn claim(cat: &Catalogue, worker: &str, lease_ns: i64) -> Result<Option<Request>> {
    workers::claim_row(cat, &REQUESTS, REQ_COLS, worker, lease_ns)?
        .map(|r| row_request(&r))
        .transpose()
}

/// Requests that are claimable now ([`claim`]).
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn claimable(cat: &Catalogue) -> Result<u64> {
    workers::claimable(cat, &REQUESTS)
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
/// ([`clean_dir`]). (The workers whose lease expired are deleted from `siqaco_workers`
/// when the next worker ends, [`Worker::stop`].)
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
    ArchiveLock::acquire_shared(root, SHARED_LOCK_WAIT)
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
