//! Following an archive that is being written (`siqaco watch`): a file that grew is indexed
//! from where the last read stopped, with the state the catalogue kept
//! (`siqaco_file_resume`), so that only its new bytes are read and its rows end as a fresh
//! [`Catalogue::index_archive`] writes them (the same per-file code,
//! [`SectionIndexer`], and the same [`write_file`]). See `docs/watch.md`.
//!
//! Growth or replacement: a file is taken to have grown, and is continued, when the
//! catalogue kept its state, it is the same file (inode), it is at least as large as
//! indexed, larger than the end of its last complete record, and the first bytes of that
//! record are unchanged (CRC-32C of [`super::section::TAIL_CHECK_BYTES`] bytes). Anything
//! else (smaller, rewritten, replaced by a rename, touched without growing, hashed
//! sections) is read whole.

use super::backend::{vals, BackendKind, Db};
use super::section::{FileIndex, SectionIndexer, SectionOptions};
use super::{write_file, BatchRows, Catalogue, IndexOptions, IndexPlan};
use crate::archive::{Archive, ArchiveFile};
use crate::error::{Error, Result};
use crate::scan::FileError;
use rayon::prelude::*;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// What one pass of [`Catalogue::follow`] did. Serialises as an object with these counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FollowReport {
    /// Files read from their first byte (new, replaced, truncated, or without a kept state).
    pub files_indexed_whole: u64,
    /// Files that grew, read from the end of their last complete record.
    pub files_extended: u64,
    /// Files looked at whose size and modification time had not changed (not read).
    pub files_unchanged: u64,
    /// Files removed from the catalogue (gone from the archive).
    pub files_removed: u64,
    /// Bytes read from the archive's files (whole files, new bytes, and the bytes that
    /// tell growth from replacement).
    pub bytes_read: u64,
    /// tsindex rows written (all the rows of each file read: a grown file's rows are
    /// written again, a few per file).
    pub rows_written: u64,
    /// Files read with unreadable bytes (see `siqaco_files.errors`; a record still being
    /// written at the end of a file counts until it is complete).
    pub files_with_errors: u64,
}

impl FollowReport {
    /// Adds the counts of another pass.
    pub fn add(&mut self, o: &FollowReport) {
        self.files_indexed_whole += o.files_indexed_whole;
        self.files_extended += o.files_extended;
        self.files_unchanged += o.files_unchanged;
        self.files_removed += o.files_removed;
        self.bytes_read += o.bytes_read;
        self.rows_written += o.rows_written;
        self.files_with_errors += o.files_with_errors;
    }

    /// Whether the pass changed the catalogue.
    pub fn changed(&self) -> bool {
        self.files_indexed_whole + self.files_extended + self.files_removed > 0
    }
}

/// The kept state of a file: its inode and its [`SectionIndexer`].
#[derive(serde::Serialize, serde::Deserialize)]
struct Resume {
    ino: u64,
    indexer: SectionIndexer,
}

/// States larger than this (a file of very many sections) are not kept: the file is read
/// whole when it grows.
const MAX_STATE_BYTES: usize = 1 << 20;

fn encode_state(r: &Resume) -> Option<String> {
    let mut bytes = Vec::new();
    ciborium::into_writer(r, &mut bytes).ok()?;
    (bytes.len() <= MAX_STATE_BYTES).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn decode_state(text: &str) -> Option<Resume> {
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    ciborium::from_reader(&bytes[..]).ok()
}

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    m.ino()
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// What the catalogue knows of one file.
struct Known {
    size: u64,
    mtime_ns: i64,
    filename: String,
    resume: Option<Resume>,
}

fn known(db: &mut Db, abs: &str) -> Result<Option<Known>> {
    Ok(db
        .query(
            "SELECT f.size_bytes, f.mtime_ns, f.filename, r.state FROM siqaco_files f \
             LEFT JOIN siqaco_file_resume r ON r.file_id = f.id WHERE f.path=?1",
            &vals![abs],
        )?
        .first()
        .map(|r| Known {
            size: r[0].as_i64() as u64,
            mtime_ns: r[1].as_i64(),
            filename: r[2].as_text(),
            resume: r[3].as_opt_text().as_deref().and_then(decode_state),
        }))
}

/// One file read: what a fresh index gives, its errors, the state to keep, the bytes read
/// and whether it was continued.
struct Read1 {
    idx: FileIndex,
    errors: Vec<FileError>,
    state: Option<Resume>,
    bytes: u64,
    extended: bool,
}

/// `len` bytes of `file` from `offset` (fewer when the file is shorter).
fn read_at(file: &mut std::fs::File, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(len as usize);
    file.take(len).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads `f` (up to its listed size): continued from `resume` when it grew (see the module
/// documentation), else whole; records named by the streams `mappings` gives them.
fn read_file(
    f: &ArchiveFile,
    old: Option<&Known>,
    resume: Option<Resume>,
    opts: &SectionOptions,
    mappings: &crate::mapping::Mappings,
) -> Read1 {
    let fail = |message: String, offset: Option<u64>, bytes: u64| Read1 {
        idx: FileIndex::default(),
        errors: vec![FileError {
            path: f.rel_path.clone(),
            offset,
            message,
        }],
        state: None,
        bytes,
        extended: false,
    };
    let mut file = match std::fs::File::open(&f.path) {
        Ok(x) => x,
        Err(err) => return fail(format!("cannot read file: {err}"), None, 0),
    };
    let ino = file.metadata().map(|m| inode(&m)).unwrap_or(0);
    let mut bytes = 0;
    // continue: same file, grown, its last record unchanged
    let continued = resume.filter(|r| {
        r.ino == ino
            && r.indexer.resumable(opts)
            && old.is_some_and(|k| f.size_bytes >= k.size)
            && f.size_bytes > r.indexer.consumed()
    });
    let (mut indexer, base) = match continued {
        Some(r) => match r.indexer.tail_check() {
            None => (SectionIndexer::new(), 0),
            Some((o, len, crc)) => {
                let same = read_at(&mut file, o, len).is_ok_and(|b| {
                    bytes += b.len() as u64;
                    b.len() as u64 == len && crc32c::crc32c(&b) == crc
                });
                if same {
                    let base = r.indexer.consumed();
                    (r.indexer, base)
                } else {
                    (SectionIndexer::new(), 0)
                }
            }
        },
        None => (SectionIndexer::new(), 0),
    };
    let buf = match read_at(&mut file, base, f.size_bytes.saturating_sub(base)) {
        Ok(b) => b,
        Err(err) => return fail(format!("cannot read file: {err}"), None, bytes),
    };
    bytes += buf.len() as u64;
    if base == 0 && buf.is_empty() {
        return fail("empty file: no miniSEED record".into(), Some(0), bytes);
    }
    indexer.feed(&buf, base, opts, mappings);
    let mut idx = indexer.index(opts);
    let errors = std::mem::take(&mut idx.errors)
        .into_iter()
        .map(|mut x| {
            x.path = f.rel_path.clone();
            x
        })
        .collect();
    let state = indexer.resumable(opts).then_some(Resume { ino, indexer });
    Read1 {
        idx,
        errors,
        state,
        bytes,
        extended: base > 0,
    }
}

impl Catalogue {
    /// One pass of following the archive (`siqaco watch`): the files at `paths` (the paths
    /// the file system reported; those the layout does not list are ignored, those gone
    /// have their rows removed), or with `None` every file of the archive (a rescan: new
    /// and changed files read, rows of the files gone removed, as
    /// [`Catalogue::index_archive`] plans it). A file whose size or modification time
    /// changed is continued from where it was last read when it grew, else read whole
    /// (see `docs/watch.md`); its rows are then exactly those a fresh
    /// [`Catalogue::index_archive`] writes (`updated`, `scanned` aside), and the state to
    /// continue it next time is kept in `siqaco_file_resume`. `tsindex_summary` and the day
    /// statistics are brought up to date when something changed. Each batch of
    /// `opts.batch_files` files is written in one transaction; `opts.cancel` stops between
    /// batches.
    ///
    /// # Errors
    /// [`Error::Io`] when the archive root cannot be listed (rescan) or resolved;
    /// [`Error::Database`]. Unreadable files and bytes are recorded, not errors.
    pub fn follow(
        &mut self,
        archive: &Archive,
        opts: &IndexOptions,
        paths: Option<&[PathBuf]>,
    ) -> Result<FollowReport> {
        let mut report = FollowReport::default();
        // a rescan also takes over the rows another tool wrote (as `siqaco index` does:
        // kept when equal to siqaco's, the rows of files gone removed)
        let (todo, removed, foreign, vanished) = match paths {
            None => {
                let IndexPlan {
                    report: r,
                    todo,
                    removed,
                    foreign,
                    vanished,
                    ..
                } = self.plan(archive, opts)?;
                report.files_unchanged = r.files_unchanged;
                (todo, removed, foreign, vanished)
            }
            Some(paths) => {
                let (todo, removed) = self.plan_paths(archive, opts, paths, &mut report)?;
                (todo, removed, Default::default(), Vec::new())
            }
        };
        let db = self.db.get_mut();
        report.files_removed = super::remove_files(db, &removed, &vanished)?;
        let sopts = opts.section_options();
        let cancel = opts.cancel.as_deref();
        for batch in todo.chunks(opts.batch_files.max(1)) {
            if crate::is_cancelled(cancel) {
                break;
            }
            let mut olds = Vec::with_capacity(batch.len());
            for (_, abs, _) in batch {
                olds.push(known(db, abs)?);
            }
            let reads: Vec<Read1> = batch
                .par_iter()
                .zip(olds.par_iter_mut())
                .map(|((f, _, filename), old)| {
                    let mut old = old.as_mut().filter(|k| k.filename == *filename);
                    let resume = old.as_mut().and_then(|k| k.resume.take());
                    read_file(f, old.as_deref(), resume, &sopts, &opts.mappings)
                })
                .collect();
            let scanned_ns = crate::time::now_ns();
            db.transaction(|tx| {
                let mut rows = BatchRows::default();
                let mut states = Vec::new();
                for ((f, abs, filename), r) in batch.iter().zip(&reads) {
                    if !r.errors.is_empty() {
                        report.files_with_errors += 1;
                    }
                    let adopt = foreign.contains_key(filename);
                    report.rows_written += write_file(
                        tx, &mut rows, f, abs, filename, &r.idx, &r.errors, scanned_ns, opts.hash,
                        adopt,
                    )?
                    .written;
                    report.bytes_read += r.bytes;
                    if r.extended {
                        report.files_extended += 1;
                    } else {
                        report.files_indexed_whole += 1;
                    }
                    if let Some(state) = r.state.as_ref().and_then(encode_state) {
                        states.push((abs.clone(), state));
                    }
                }
                rows.write(tx)?;
                for (abs, state) in states {
                    tx.execute(
                        "INSERT INTO siqaco_file_resume (file_id, state) \
                         SELECT id, ?2 FROM siqaco_files WHERE path=?1",
                        &vals![abs, state],
                    )?;
                }
                Ok(())
            })?;
        }
        if report.changed() {
            self.finish_follow(opts)?;
        }
        Ok(report)
    }

    /// The end of a pass that changed the catalogue: the `tsindex_summary` rows of the
    /// streams that changed (those `siqaco_dirty` lists) computed again, the other rows
    /// kept (a pass every half second must not rebuild the summary of a whole data
    /// centre's catalogue), then the day statistics as [`Catalogue::index_archive`] does.
    /// Without a summary table yet, the whole run's end ([`Catalogue::finish_run`]).
    fn finish_follow(&mut self, opts: &IndexOptions) -> Result<()> {
        let db = self.db.get_mut();
        if !super::table_exists(db, "tsindex_summary")? {
            return self.finish_run(opts);
        }
        let now = match db.kind() {
            BackendKind::Sqlite => "datetime('now')",
            BackendKind::Postgres => "now()",
        };
        let keys = "network=?1 AND station=?2 AND location=?3 AND channel=?4";
        let delete = format!("DELETE FROM tsindex_summary WHERE {keys}");
        let insert = format!(
            "INSERT INTO tsindex_summary SELECT network,station,location,channel,\
             min(starttime),max(endtime),{now} FROM tsindex WHERE {keys} GROUP BY 1,2,3,4"
        );
        let dirty = db.query(
            "SELECT network,station,location,channel FROM siqaco_dirty",
            &[],
        )?;
        db.transaction(|tx| {
            for r in &dirty {
                let n = super::nslc_vals(&super::row_nslc(r));
                tx.execute(&delete, &n)?;
                tx.execute(&insert, &n)?;
            }
            Ok(())
        })?;
        if !crate::is_cancelled(opts.cancel.as_deref()) {
            self.refresh_day_stats(&opts.tolerance)?;
        }
        Ok(())
    }

    /// The files at `paths` to read (changed, by size, modification time or stored name)
    /// and those gone, as [`Catalogue::plan`] gives them for a whole archive; unchanged
    /// files are counted in `report`.
    #[allow(clippy::type_complexity)]
    fn plan_paths(
        &mut self,
        archive: &Archive,
        opts: &IndexOptions,
        paths: &[PathBuf],
        report: &mut FollowReport,
    ) -> Result<(Vec<(ArchiveFile, String, String)>, Vec<(i64, String)>)> {
        let root_abs =
            std::fs::canonicalize(archive.root()).map_err(|err| Error::io(archive.root(), err))?;
        let db = self.db.get_mut();
        let mut todo = Vec::new();
        let mut removed = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for p in paths {
            if !seen.insert(p) {
                continue;
            }
            let abs_of = |p: &Path| {
                std::fs::canonicalize(p)
                    .ok()
                    .or_else(|| {
                        let rel = p.strip_prefix(archive.root()).ok()?;
                        Some(root_abs.join(rel))
                    })
                    .map(|a| a.to_string_lossy().into_owned())
            };
            match archive.file_at(p) {
                Some(f) => {
                    let Some(abs) = abs_of(&f.path) else { continue };
                    let filename = if opts.relative_paths {
                        f.rel_path.clone()
                    } else {
                        abs.clone()
                    };
                    match known(db, &abs)? {
                        Some(k)
                            if k.size == f.size_bytes
                                && k.mtime_ns == f.mtime_ns
                                && k.filename == filename =>
                        {
                            report.files_unchanged += 1;
                        }
                        _ => todo.push((f, abs, filename)),
                    }
                }
                None => {
                    if p.exists() {
                        continue; // not a file of the layout
                    }
                    let Some(abs) = abs_of(p) else { continue };
                    let gone = db
                        .query(
                            "SELECT id, filename FROM siqaco_files WHERE path=?1",
                            &vals![abs],
                        )?
                        .first()
                        .map(|r| (r[0].as_i64(), r[1].as_text()));
                    removed.extend(gone);
                }
            }
        }
        Ok((todo, removed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Layout;
    use std::io::Write;

    /// Everything a fresh index writes about the files, `scanned` aside: tsindex rows,
    /// the streams and traces of each file (by file name), the day statistics.
    fn contents(cat: &Catalogue) -> (Vec<super::super::TsindexRow>, Vec<Vec<String>>) {
        let mut rows = cat.tsindex_rows().unwrap();
        for r in &mut rows {
            r.scanned.clear();
        }
        let text = |sql: &str| -> Vec<Vec<String>> {
            let mut v: Vec<Vec<String>> = cat
                .query_sql(sql)
                .unwrap()
                .iter()
                .map(|r| r.iter().map(|x| format!("{x:?}")).collect())
                .collect();
            v.sort();
            v
        };
        let mut other = text(
            "SELECT f.filename, s.network, s.station, s.location, s.channel, s.start_ns, \
             s.last_sample_ns, s.end_ns, s.sample_rate_hz, s.samples \
             FROM siqaco_spans s JOIN siqaco_files f ON f.id = s.file_id",
        );
        other.extend(text(
            "SELECT f.filename, s.network, s.station, s.location, s.channel, s.records, \
             f.size_bytes, f.records, f.errors \
             FROM siqaco_file_streams s JOIN siqaco_files f ON f.id = s.file_id",
        ));
        other.extend(text("SELECT * FROM siqaco_day_stats"));
        other.extend(text(
            "SELECT network, station, location, channel, earliest, latest FROM tsindex_summary",
        ));
        (rows, other)
    }

    /// A fresh index of `root` (a new catalogue).
    fn fresh(root: &Path, db: &Path) -> (Vec<super::super::TsindexRow>, Vec<Vec<String>>) {
        let _ = std::fs::remove_file(db);
        let mut cat = Catalogue::open(db).unwrap();
        cat.index_archive(&Archive::new(root, Layout::Files), &IndexOptions::default())
            .unwrap();
        contents(&cat)
    }

    /// A temporary archive (layout `files`) with the path of its one file, and a new
    /// catalogue that follows it.
    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, Archive, Catalogue) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        std::fs::create_dir(&root).unwrap();
        let path = root.join("day.mseed");
        let archive = Archive::new(&root, Layout::Files);
        let cat = Catalogue::open(dir.path().join("watch.sqlite")).unwrap();
        (dir, root, path, archive, cat)
    }

    fn data(name: &str) -> Option<Vec<u8>> {
        let dir = crate::testing::test_data_dir()?;
        Some(std::fs::read(dir.join(name)).unwrap())
    }

    /// A file written in pieces (cut anywhere, records half-written between two reads)
    /// is followed with only its new bytes read, and after every piece the catalogue is
    /// what a fresh index of the same bytes writes.
    #[test]
    fn growth_read_from_the_last_record_equals_a_fresh_index() {
        for (name, piece) in [
            (
                "sds-small/2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058",
                7000,
            ),
            ("mseed/pymseed-tests__testdata-COLA-signal.v3.mseed", 50_000),
            ("mseed/obspy-core__ffbx_unrotated_gaps.mseed", 3000),
            (
                "mseed/libmseed__testdata-oneseries-mixedlengths-mixedorder.v2.mseed",
                1000,
            ),
            ("mseed/obspy-io-mseed__gaps.mseed", 4096),
        ] {
            let Some(bytes) = data(name) else { return };
            let (dir, root, path, archive, mut cat) = setup();
            let opts = IndexOptions::default();
            let mut f = std::fs::File::create(&path).unwrap();
            let mut total = FollowReport::default();
            for chunk in bytes.chunks(piece) {
                f.write_all(chunk).unwrap();
                f.flush().unwrap();
                let r = cat
                    .follow(&archive, &opts, Some(std::slice::from_ref(&path)))
                    .unwrap();
                total.add(&r);
                assert_eq!(
                    contents(&cat),
                    fresh(&root, &dir.path().join("fresh.sqlite")),
                    "{name} at {} bytes",
                    f.metadata().unwrap().len()
                );
            }
            let pieces = bytes.len().div_ceil(piece) as u64;
            assert_eq!(
                total.files_indexed_whole + total.files_extended,
                pieces,
                "{name}"
            );
            assert!(total.files_extended >= pieces - 2, "{name}: {total:?}");
            // new bytes, the record left half-written by the last read, and the check of
            // the last record: never the file again
            let max_record = 8192 + TAIL_CHECK;
            assert!(
                total.bytes_read <= bytes.len() as u64 + pieces * max_record,
                "{name}: {total:?}"
            );
            assert!(total.bytes_read >= bytes.len() as u64, "{name}: {total:?}");
        }
    }

    const TAIL_CHECK: u64 = super::super::section::TAIL_CHECK_BYTES;

    /// A file replaced by a shorter one, or rewritten in place with other records, is read
    /// whole; a file gone has its rows removed.
    #[test]
    fn replaced_truncated_and_removed_files() {
        let (Some(a), Some(b)) = (
            data("sds-small/2010/IU/COLA/BHZ.D/IU.COLA.00.BHZ.D.2010.058"),
            data("sds-small/2010/IU/COLA/BH1.D/IU.COLA.00.BH1.D.2010.058"),
        ) else {
            return;
        };
        let (dir, root, path, archive, mut cat) = setup();
        let opts = IndexOptions::default();
        let fresh_db = dir.path().join("fresh.sqlite");
        let paths = [path.clone()];
        let mut follow = |bytes: &[u8]| {
            // rewritten in place: same inode
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .unwrap()
                .write_all(bytes)
                .unwrap();
            let r = cat.follow(&archive, &opts, Some(&paths)).unwrap();
            assert_eq!(contents(&cat), fresh(&root, &fresh_db));
            r
        };
        assert_eq!(follow(&a[..100 * 512]).files_indexed_whole, 1);
        // truncated to fewer records
        let r = follow(&a[..40 * 512]);
        assert_eq!((r.files_indexed_whole, r.files_extended), (1, 0));
        // other records, longer: the last record read differs
        let r = follow(&b[..120 * 512]);
        assert_eq!((r.files_indexed_whole, r.files_extended), (1, 0));
        assert_eq!(r.bytes_read, 120 * 512 + TAIL_CHECK);
        // grown: extended, only the new bytes and the check read
        let r = follow(&b[..150 * 512]);
        assert_eq!((r.files_indexed_whole, r.files_extended), (0, 1));
        assert_eq!(r.bytes_read, 30 * 512 + TAIL_CHECK);
        // unchanged
        let r = cat.follow(&archive, &opts, Some(&paths)).unwrap();
        assert_eq!((r.files_unchanged, r.bytes_read), (1, 0));
        // replaced by a rename (another inode), longer: whole
        let tmp = root.join(".day.tmp");
        std::fs::write(&tmp, &b[..160 * 512]).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let r = cat.follow(&archive, &opts, None).unwrap();
        assert_eq!((r.files_indexed_whole, r.files_extended), (1, 0));
        assert_eq!(contents(&cat), fresh(&root, &fresh_db));
        // removed
        std::fs::remove_file(&path).unwrap();
        let r = cat.follow(&archive, &opts, Some(&paths)).unwrap();
        assert_eq!(r.files_removed, 1);
        assert!(cat.tsindex_rows().unwrap().is_empty());
        assert_eq!(contents(&cat), fresh(&root, &fresh_db)); // the summary's row gone too
        let left = cat
            .query_sql("SELECT count(*) FROM siqaco_file_resume")
            .unwrap();
        assert_eq!(left[0][0].as_i64(), 0);
    }
}
