//! A bucket as the final archive (`[archive] root = "s3://bucket/prefix"`, `siqaco update`
//! with a SQLite catalogue): the merge of [`super::apply`] (the same reading, merge and
//! verification of every sample), with the day objects written as the store allows.
//!
//! * **Writing**: a bucket has no rename, so the new day objects of a merge are held in
//!   memory until every stream is merged and verified, then each is written with **one
//!   PUT of the whole object** (atomic by S3's semantics: a reader sees the old or the new
//!   object). The PUT asks for the version the merge read (`If-Match: ETAG`, or
//!   `If-None-Match: *` for a new object): an object another writer changed meanwhile is
//!   not overwritten, the run fails naming it (and the next run reads its new version). A
//!   day that holds no record any more is deleted (S3 has no conditional DELETE).
//! * **Journal**: before the first PUT, one transaction writes a row per object into the
//!   catalogue's `siqaco_object_journal` (run, object URL, the ETag it replaces or NULL,
//!   the new object's size and MD5, state `commit`); each row is deleted once its PUT is
//!   answered.
//! * **Recovery** ([`recover`], at the start of the next run): for each row left by a run
//!   killed between PUTs, one HEAD of the object: its ETag is the MD5 of the new content
//!   (a single PUT's ETag), so the object is either **new** (written before the kill) or
//!   still the **old** one (the merge's data for it was not written: the requests of the
//!   killed run are still open in the stack and the next run asks for them again, the
//!   merge never duplicating a sample it finds). Either way every object is whole; the
//!   rows are then deleted. An object in neither state was changed by another writer: a
//!   warning names it.
//! * **Lock**: a row of `siqaco_archive_locks` per bucket root held by a run (holder
//!   `HOST PID`), where a directory archive has its lock file; the row of a run that died
//!   on this host is taken over (`kill(pid, 0)`), one of another host is an error naming
//!   it.
//!
//! Costs per day object written: one GET (the merge reads it whole; none for a new day),
//! one PUT, and one journal row written and deleted; after a kill, one HEAD per object of
//! the journal.

use super::apply::{ObjectWrite, ObjectWriter};
use crate::archive::store::{head_etag, write_object};
use crate::error::{Error, Result};
use crate::index::backend::vals;
use crate::index::Catalogue;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The state of a journal row: its object is being written.
const COMMIT: &str = "commit";

/// The journal and the writes of the day objects of one run into a bucket archive.
pub(crate) struct BucketWriter<'c> {
    /// The catalogue holding the journal and the lock.
    pub(crate) catalogue: &'c Mutex<Catalogue>,
    /// The run's name in the journal (unique per run: host, pid, start time).
    pub(crate) run: String,
}

/// The quoted hexadecimal MD5 of `bytes`: the ETag S3 gives an object written with one PUT.
fn md5_etag(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    let d = Md5::digest(bytes);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

impl ObjectWriter for BucketWriter<'_> {
    fn write_objects(&self, objects: Vec<ObjectWrite>) -> Result<usize> {
        let n = objects.len();
        {
            let cat = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
            let mut db = cat.db();
            db.transaction(|tx| {
                for o in &objects {
                    let (size, md5) = match &o.bytes {
                        Some(b) => (b.len() as i64, md5_etag(b)),
                        None => (-1, String::new()),
                    };
                    tx.execute(
                        "INSERT INTO siqaco_object_journal (run, url, old_etag, new_size, new_md5, state) \
                         VALUES (?1,?2,?3,?4,?5,?6)",
                        &vals![
                            &self.run,
                            o.target.to_string_lossy().as_ref(),
                            o.read_etag.clone(),
                            size,
                            md5,
                            COMMIT
                        ],
                    )?;
                }
                Ok(())
            })?;
        }
        for o in objects {
            write_object(&o.target, o.bytes, o.read_etag.as_deref())?;
            // test hook (`SIQACO_MERGE_STEP_DELAY_MS`): a kill here leaves the row
            super::apply::step_delay();
            let cat = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
            cat.db().execute(
                "DELETE FROM siqaco_object_journal WHERE run=?1 AND url=?2",
                &vals![&self.run, o.target.to_string_lossy().as_ref()],
            )?;
        }
        Ok(n)
    }
}

/// The `LIKE` pattern of the object URLs under the bucket root `root`.
fn under(root: &Path) -> String {
    let r = root.to_string_lossy();
    let esc = r
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{}/%", esc.trim_end_matches('/'))
}

/// Finishes the journal a killed run left for the objects under the bucket root `root`
/// (see the module documentation); returns whether there was one. Warnings (objects
/// changed by another writer) go to `warnings`.
///
/// # Errors
/// The store's answer to a HEAD; [`Error::Database`]. The rows are kept then.
pub(crate) fn recover(cat: &Catalogue, root: &Path, warnings: &mut Vec<String>) -> Result<bool> {
    let rows = cat.db().query(
        "SELECT run, url, old_etag, new_size, new_md5 FROM siqaco_object_journal \
         WHERE url LIKE ?1 ESCAPE '\\'",
        &vals![under(root)],
    )?;
    if rows.is_empty() {
        return Ok(false);
    }
    let (mut written, mut old) = (0, 0);
    for r in &rows {
        let url = r[1].as_text();
        let (was, size, new) = (r[2].as_opt_text(), r[3].as_i64(), r[4].as_text());
        let now = head_etag(Path::new(&url))?;
        match now {
            Some(e) if size >= 0 && e == new => written += 1,
            None if size < 0 => written += 1,
            e if e == was => old += 1,
            e => warnings.push(format!(
                "{url}: changed by another writer while a killed run wrote it (ETag {}): \
                 kept as it is",
                e.unwrap_or_else(|| "none: removed".into())
            )),
        }
    }
    cat.db().execute(
        "DELETE FROM siqaco_object_journal WHERE url LIKE ?1 ESCAPE '\\'",
        &vals![under(root)],
    )?;
    tracing::info!(
        written,
        old,
        "{}: journal of a killed run: {written} objects written, {old} kept old",
        root.display()
    );
    Ok(true)
}

/// This process as a lock holder: `HOST PID`.
fn me() -> String {
    format!(
        "{} {}",
        crate::index::workers::host_name(),
        std::process::id()
    )
}

/// The lock of a bucket archive held by this run: its row in the catalogue's
/// `siqaco_archive_locks` (holder `HOST PID`), held through a connection of its own and
/// deleted on drop. A run killed leaves its row; the next run on this host takes it over.
pub(crate) struct BucketLock {
    cat: Catalogue,
    root: PathBuf,
}

impl BucketLock {
    /// Takes the lock of the bucket archive `root` in the catalogue `target`. A row of a
    /// process of this host that is gone is taken over.
    ///
    /// # Errors
    /// [`Error::Io`] (`WouldBlock`) naming the root and the holder when another run holds
    /// it; [`Error::Database`].
    pub(crate) fn acquire(target: &str, root: &Path) -> Result<BucketLock> {
        let cat = Catalogue::open(target)?;
        let key = root.to_string_lossy().into_owned();
        let me = me();
        let holder = |db: &mut crate::index::backend::Db| -> Result<String> {
            Ok(db
                .query_one(
                    "SELECT holder FROM siqaco_archive_locks WHERE root=?1",
                    &vals![key.as_str()],
                )?
                .as_text())
        };
        let held = {
            let mut db = cat.db();
            db.execute(
                "INSERT INTO siqaco_archive_locks (root, holder, since_ns) VALUES (?1,?2,?3) \
                 ON CONFLICT (root) DO NOTHING",
                &vals![key.as_str(), me.as_str(), crate::time::now_ns()],
            )?;
            let h = holder(&mut db)?;
            let dead = h
                .rsplit_once(' ')
                .filter(|(host, _)| *host == crate::index::workers::host_name())
                .and_then(|(_, pid)| pid.parse::<u32>().ok())
                .is_some_and(|pid| !crate::archive::leftover::pid_alive(pid));
            if dead {
                db.execute(
                    "UPDATE siqaco_archive_locks SET holder=?1, since_ns=?2 \
                     WHERE root=?3 AND holder=?4",
                    &vals![me.as_str(), crate::time::now_ns(), key.as_str(), h.as_str()],
                )?;
                holder(&mut db)?
            } else {
                h
            }
        };
        if held != me {
            return Err(Error::io(
                root,
                std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    format!(
                        "another siqaco update is writing to this archive (lock held by {held})"
                    ),
                ),
            ));
        }
        Ok(BucketLock {
            cat,
            root: root.to_path_buf(),
        })
    }
}

impl Drop for BucketLock {
    fn drop(&mut self) {
        let r = self.cat.db().execute(
            "DELETE FROM siqaco_archive_locks WHERE root=?1 AND holder=?2",
            &vals![self.root.to_string_lossy().as_ref(), me().as_str()],
        );
        if let Err(e) = r {
            tracing::warn!(
                "{}: the archive lock was not released: {e}",
                self.root.display()
            );
        }
    }
}

/// A run name for the journal: `HOST PID START_NS`.
pub(crate) fn run_name() -> String {
    format!("{} {}", me(), crate::time::now_ns())
}
