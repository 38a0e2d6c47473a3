//! A bucket as the final archive (`[archive] root = "s3://bucket/prefix"`, `siqaco update`
//! with a SQLite catalogue): the merge of [`super::apply`] (the same reading, merge and
//! verification of every sample), with the day objects written as the store allows.
//!
//! * **Staging**: a bucket has no rename, so the new day objects of a merge are held in
//!   memory until every stream is merged and verified; then each is first written to a
//!   **staged copy** in the bucket, `ROOT/.siqaco-staging/<run>/<path of the day object>`
//!   (one PUT, `If-None-Match: *`): a key no layout matches and no listing of the archive
//!   follows (names starting with `.` are skipped), built from the day object's path
//!   under the root (no `..` component: it cannot leave the root).
//! * **Writing**: once every staged copy is written, each day object is written with **one
//!   PUT of the whole object** (atomic by S3's semantics: a reader sees the old or the new
//!   object) from the bytes in memory, asking for the version the merge read (`If-Match:
//!   ETAG`, or `If-None-Match: *` for a new object): an object another writer changed
//!   meanwhile is not overwritten, the run fails naming it (and the next run reads its new
//!   version; its staged copy and journal row are deleted then, the other rows of the run
//!   stay for the roll-forward). S3 has no conditional copy, so no server-side copy is
//!   used. A day that holds no record any more is deleted (S3 has no conditional DELETE).
//!   Then the staged copy is deleted.
//! * **Journal**: before the first staged PUT, one transaction writes a row per object into
//!   the catalogue's `siqaco_object_journal` (run, object URL, the ETag it replaces or NULL,
//!   the new object's size and MD5, state `staging`); once every staged copy is written,
//!   one transaction turns the run's rows to `commit`; each row is deleted once its object
//!   is written and its staged copy deleted.
//! * **Recovery** ([`recover`], at the start of the next run) **rolls forward** what a run
//!   killed between PUTs left, without asking the sources again. A `staging` row: no day
//!   object was touched; the staged copy (if any) is deleted. A `commit` row: one HEAD of
//!   the day object; its ETag is the MD5 of the new content (a single PUT's ETag; an ETag
//!   that is neither this nor the old one, as with server-side encryption by KMS keys, is
//!   settled by one GET and the MD5 of the content), so the object is **new** (written
//!   before the kill: done), or still the **old** one (or absent
//!   for a new day) and the staged copy is read (one GET), checked whole (size and MD5 of
//!   the journal) and written with the same conditional PUT. Anything else (an object
//!   changed by another writer, a staged copy missing or damaged) is an error naming the
//!   object: nothing is overwritten and the row is kept (deleting it gives the roll-forward
//!   of that object up: its requests are then asked of the sources again).
//! * **Lock**: a row of `siqaco_archive_locks` per bucket root held by a run (holder
//!   `HOST PID`), where a directory archive has its lock file; the row of a run that died
//!   on this host is taken over (`kill(pid, 0)`), one of another host is an error naming
//!   it.
//!
//! Costs per day object written: one GET (the merge reads it whole; none for a new day),
//! two PUTs (the staged copy, the object) and one DELETE (the staged copy), and one
//! journal row written, updated and deleted; after a kill, one HEAD per `commit` row of
//! the journal, and one GET and one PUT per object rolled forward.

use super::apply::{ObjectWrite, ObjectWriter};
use crate::archive::store::{head_etag, read_versioned, write_object};
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
    /// The bucket archive's root (`s3://bucket/prefix`): the staged copies are under it.
    pub(crate) root: PathBuf,
}

/// The quoted hexadecimal MD5 of `bytes`: the ETag S3 gives an object written with one PUT.
fn md5_etag(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    let d = Md5::digest(bytes);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The state of a journal row whose staged copy is being written (no day object touched).
const STAGING: &str = "staging";

/// The staged copy of the day object `url` of the bucket archive `root` written by the run
/// `run`: `ROOT/.siqaco-staging/<run>/<path under the root>` (the run's name with every
/// character but letters, digits, `.`, `_` and `-` as `-`: one key component).
///
/// # Errors
/// [`Error::InvalidArgument`] when `url` is not under `root` or its path under the root
/// has an empty, `.` or `..` component, or the run's name is empty or only dots (the
/// staged copy would leave the archive).
fn staged_url(root: &Path, run: &str, url: &str) -> Result<String> {
    let root = root.to_string_lossy();
    let root = root.trim_end_matches('/');
    let rel = url
        .strip_prefix(root)
        .and_then(|r| r.strip_prefix('/'))
        .filter(|r| r.split('/').all(|c| !c.is_empty() && c != "." && c != ".."))
        .ok_or_else(|| {
            Error::invalid_argument(format!(
                "{url}: not a day object under the archive {root}: no staged copy"
            ))
        })?;
    let run = crate::source::file_name_chars(run, '-');
    if run.bytes().all(|b| b == b'.') {
        return Err(Error::invalid_argument(format!(
            "{run:?}: not a run name for a staged copy"
        )));
    }
    Ok(format!("{root}/{STAGING_DIR}/{run}/{rel}"))
}

/// The directory of the staged copies under a bucket archive's root (skipped by listings:
/// its name starts with `.`).
const STAGING_DIR: &str = ".siqaco-staging";

impl ObjectWriter for BucketWriter<'_> {
    fn write_objects(&self, objects: Vec<ObjectWrite>) -> Result<usize> {
        let n = objects.len();
        let staged: Vec<Option<String>> = objects
            .iter()
            .map(|o| {
                o.bytes
                    .as_ref()
                    .map(|_| staged_url(&self.root, &self.run, &o.target.to_string_lossy()))
                    .transpose()
            })
            .collect::<Result<_>>()?;
        let journal = |sql: &str, target: Option<&Path>| -> Result<()> {
            let cat = self.catalogue.lock().unwrap_or_else(|p| p.into_inner());
            let mut db = cat.db();
            match target {
                Some(t) => db.execute(sql, &vals![&self.run, t.to_string_lossy().as_ref()])?,
                None => db.execute(sql, &vals![&self.run, COMMIT])?,
            };
            Ok(())
        };
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
                            STAGING
                        ],
                    )?;
                }
                Ok(())
            })?;
        }
        for (o, s) in objects.iter().zip(&staged) {
            if let (Some(b), Some(s)) = (&o.bytes, s) {
                write_object(Path::new(s), Some(b.clone()), None)?;
            }
        }
        journal(
            "UPDATE siqaco_object_journal SET state=?2 WHERE run=?1",
            None,
        )?;
        // test hook (`SIQACO_MERGE_STEP_DELAY_MS`): a kill here leaves every staged copy
        // and no day object written
        super::apply::step_delay();
        for (o, s) in objects.into_iter().zip(staged) {
            let put = write_object(&o.target, o.bytes, o.read_etag.as_deref());
            // Another writer changed the object since the merge read it (412): this merge's
            // version of it is stale and must never be rolled forward; its staged copy and
            // row go, the rows of the objects not yet written stay for the roll-forward.
            let stale = matches!(
                &put,
                Err(Error::Http {
                    status: Some(412),
                    ..
                })
            );
            if put.is_ok() {
                // test hook: a kill here leaves the row of an object written
                super::apply::step_delay();
            }
            if put.is_ok() || stale {
                if let Some(s) = &s {
                    write_object(Path::new(s), None, None)?;
                }
                journal(
                    "DELETE FROM siqaco_object_journal WHERE run=?1 AND url=?2",
                    Some(&o.target),
                )?;
            }
            put?;
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

/// Rolls forward the journal a killed run left for the objects under the bucket root
/// `root` (see the module documentation); returns whether there was one. The rows of the
/// objects finished are deleted.
///
/// # Errors
/// [`Error::InvalidData`] naming the object (and its staged copy) when an object cannot be
/// rolled forward: changed by another writer, or its staged copy missing or not whole
/// (nothing is overwritten, its row is kept); the store's answer to a request;
/// [`Error::Database`].
pub(crate) fn recover(cat: &Catalogue, root: &Path) -> Result<bool> {
    let rows = cat.db().query(
        "SELECT run, url, old_etag, new_size, new_md5, state FROM siqaco_object_journal \
         WHERE url LIKE ?1 ESCAPE '\\' ORDER BY run, url",
        &vals![under(root)],
    )?;
    if rows.is_empty() {
        return Ok(false);
    }
    let (mut written, mut rolled, mut untouched) = (0, 0, 0);
    let mut failed = Vec::new();
    for r in &rows {
        let (run, url) = (r[0].as_text(), r[1].as_text());
        let (old, size, new) = (r[2].as_opt_text(), r[3].as_i64(), r[4].as_text());
        let staged = (size >= 0)
            .then(|| staged_url(root, &run, &url))
            .transpose()?;
        let done = if r[5].as_text() != COMMIT {
            // killed while staging: no day object touched, its requests still open
            untouched += 1;
            Ok(())
        } else {
            match roll_forward(&url, old.as_deref(), size, &new, staged.as_deref())? {
                Ok(true) => {
                    rolled += 1;
                    Ok(())
                }
                Ok(false) => {
                    written += 1;
                    Ok(())
                }
                Err(e) => Err(e),
            }
        };
        match done {
            Ok(()) => {
                if let Some(s) = &staged {
                    write_object(Path::new(s), None, None)?;
                }
                cat.db().execute(
                    "DELETE FROM siqaco_object_journal WHERE run=?1 AND url=?2",
                    &vals![run.as_str(), url.as_str()],
                )?;
            }
            Err(why) => failed.push(format!(
                "{url}: {why}; nothing was overwritten and its journal row is kept (to give \
                 its roll-forward up, so that its requests are asked of the sources again: \
                 DELETE FROM siqaco_object_journal WHERE url = '{url}')"
            )),
        }
    }
    tracing::info!(
        written,
        rolled,
        untouched,
        "{}: journal of a killed run: {written} objects written before the kill, {rolled} \
         rolled forward from their staged copies, {untouched} untouched",
        root.display()
    );
    if let Some(first) = failed.first() {
        return Err(Error::invalid_data(
            root,
            0,
            format!(
                "the journal of a killed run cannot be rolled forward for {} object(s): {first}",
                failed.len()
            ),
        ));
    }
    Ok(true)
}

/// Rolls the day object `url` of a `commit` row forward: `Ok(Ok(false))` when it is the new
/// version already (ETag `new`, or else its content of `size` bytes has the MD5 `new`: one
/// GET; absent for a removal, `size` < 0), `Ok(Ok(true))` when
/// it was the old one (ETag `old`, `None`: absent) and was written now from the staged copy
/// `staged` (checked whole: `size` bytes, MD5 `new`) with the conditional PUT, or removed;
/// `Ok(Err(why))` when neither (nothing written).
///
/// # Errors
/// The store's answer to a request.
fn roll_forward(
    url: &str,
    old: Option<&str>,
    size: i64,
    new: &str,
    staged: Option<&str>,
) -> Result<std::result::Result<bool, String>> {
    let now = head_etag(Path::new(url))?;
    match (&now, staged) {
        (Some(e), Some(_)) if e == new => return Ok(Ok(false)),
        (None, None) => return Ok(Ok(false)),
        _ => {}
    }
    if now.is_some() && now.as_deref() != old && staged.is_some() {
        // an ETag that is not the MD5 of the content (server-side encryption with KMS keys,
        // some S3-compatible stores): the object's content says whether it is the new one
        if let Some((b, _)) = read_versioned(Path::new(url))? {
            if b.len() as i64 == size && md5_etag(&b) == new {
                return Ok(Ok(false));
            }
        }
    }
    if now.as_deref() != old {
        return Ok(Err(format!(
            "changed by another writer while a killed run wrote it (ETag {}, neither the \
             old {} nor the new {new})",
            now.as_deref().unwrap_or("none: removed"),
            old.unwrap_or("none: absent")
        )));
    }
    let Some(staged) = staged else {
        write_object(Path::new(url), None, None)?;
        return Ok(Ok(true));
    };
    let bytes = match read_versioned(Path::new(staged))? {
        None => return Ok(Err(format!("its staged copy {staged} is missing"))),
        Some((b, _)) if b.len() as i64 != size || md5_etag(&b) != new => {
            return Ok(Err(format!(
                "its staged copy {staged} is not whole ({} bytes, MD5 {}; the journal \
                 says {size} bytes, MD5 {new})",
                b.len(),
                md5_etag(&b)
            )))
        }
        Some((b, _)) => b,
    };
    write_object(Path::new(url), Some(bytes), old)?;
    Ok(Ok(true))
}

/// The start of every run that writes into the bucket archive `root` (`siqaco update`,
/// `siqaco merge`): takes its lock in the catalogue `target` ([`BucketLock`]) and rolls
/// forward the journal a killed run left ([`recover`]). Returns the lock, the catalogue
/// and whether there was a journal.
///
/// # Errors
/// As [`BucketLock::acquire`], [`Catalogue::open`] and [`recover`].
pub(crate) fn begin(target: &str, root: &Path) -> Result<(BucketLock, Catalogue, bool)> {
    let lock = BucketLock::acquire(target, root)?;
    let catalogue = Catalogue::open(target)?;
    let recovered = recover(&catalogue, root)?;
    Ok((lock, catalogue, recovered))
}

/// [`super::apply::merge_into`] (not a dry run) into the bucket archive of `archive`, its
/// journal and lock in the catalogue `target` ([`begin`]): the same merge and verification
/// of every sample as into a directory, the day objects read by GET (their ETags noted)
/// and written by [`BucketWriter`]. `report.recovered` says whether a killed run's
/// journal was rolled forward first.
///
/// # Errors
/// As [`super::apply::merge_into`]; as [`begin`]; the store's answers naming the object.
pub(crate) fn merge_into_bucket(
    archive: &crate::archive::Archive,
    inputs: &[super::apply::MergeInput],
    opts: &super::MergeOptions,
    target: &str,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<super::apply::MergeReport> {
    let root = archive.root();
    let (_lock, catalogue, recovered) = begin(target, root)?;
    let catalogue = Mutex::new(catalogue);
    let writer = BucketWriter {
        catalogue: &catalogue,
        run: run_name(),
        root: root.to_path_buf(),
    };
    let mut report = super::apply::merge_into_objects(archive, inputs, opts, &writer, cancel)?;
    report.recovered = recovered;
    Ok(report)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_copies_stay_under_the_archive_root_in_a_hidden_prefix() {
        let root = Path::new("s3://bucket/arch");
        assert_eq!(
            staged_url(
                root,
                "host.example 12 345",
                "s3://bucket/arch/2024/XX/A/LHZ.D/XX.A..LHZ.D.2024.001"
            )
            .unwrap(),
            "s3://bucket/arch/.siqaco-staging/host.example-12-345/2024/XX/A/LHZ.D/XX.A..LHZ.D.2024.001"
        );
        // a run name cannot add components
        assert_eq!(
            staged_url(root, "../../x y/z", "s3://bucket/arch/a").unwrap(),
            "s3://bucket/arch/.siqaco-staging/..-..-x-y-z/a"
        );
        assert!(staged_url(root, "..", "s3://bucket/arch/a").is_err());
        assert!(staged_url(root, "", "s3://bucket/arch/a").is_err());
        for bad in [
            "s3://bucket/archive/a",
            "s3://bucket/arch",
            "s3://bucket/arch/",
            "s3://bucket/arch/../other/a",
            "s3://bucket/arch/a//b",
            "s3://bucket/arch/./a",
            "s3://other/arch/a",
        ] {
            assert!(staged_url(root, "r", bad).is_err(), "{bad}");
        }
    }
}
