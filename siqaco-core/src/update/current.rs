//! The catalogue as the source of an update's coverage (`siqaco update --dry-run`, run
//! from cron): which maintained streams the catalogue describes as the archive holds them
//! now, found with `stat` calls only — no day file is opened, no directory is read.
//!
//! # The rule
//!
//! A stream's coverage over the window is taken from the catalogue when every file that
//! matters for it is as the catalogue saw it:
//!
//! - each file of the catalogue holding a trace of the stream that meets the window
//!   (`siqaco_spans` by `siqaco_spans_nslc`) still exists with the size and modification
//!   time of its `siqaco_files` row (the test of the incremental index,
//!   [`Catalogue::index_archive`]);
//! - each day file the layout names for the stream on the days of the window and the day
//!   before (a record may start there and run into the window) with quality `D` (the name
//!   siqaco writes) exists exactly when the catalogue has a row for it, with the same size
//!   and modification time.
//!
//! Any other stream is stale: its day files are scanned as without a catalogue. The rule
//! applies to the SDS and BUD layouts (one file per stream and day, named by the layout)
//! without stream mappings; otherwise every stream is scanned. Streams matching the
//! `[streams] select` globs come from the catalogue when it exists (the archive's
//! directories are not walked): a stream whose only files were added since the last index
//! is found by the next `siqaco index` or real update. `docs/configuration.md`,
//! "Dry runs from the catalogue".

use crate::archive::{Archive, Layout};
use crate::error::Result;
use crate::index::backend::vals;
use crate::index::Catalogue;
use crate::sid::Nslc;
use crate::time::NS_PER_DAY;
use crate::update::config::Config;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The catalogue's files holding traces of one stream that meet `[?6, ?5)`, with the size
/// and modification time it saw (`siqaco_spans_nslc`, then the primary key of
/// `siqaco_files`).
const WINDOW_FILES_SQL: &str = "SELECT f.path, f.size_bytes, f.mtime_ns FROM siqaco_files f \
WHERE f.id IN (SELECT file_id FROM siqaco_spans WHERE network=?1 AND station=?2 \
AND location=?3 AND channel=?4 AND start_ns<?5 AND end_ns>?6)";

/// The catalogue's row of one file, by its absolute path (the unique index of `path`).
const FILE_SQL: &str = "SELECT size_bytes, mtime_ns FROM siqaco_files WHERE path=?1";

/// Whether the rule applies to the run of `config` on `archive`: an SDS or BUD layout, no
/// stream mappings, an existing root.
pub(crate) fn applies(config: &Config, archive: &Archive) -> bool {
    config.streams.mapping.is_empty()
        && matches!(archive.layout(), Layout::Sds | Layout::Bud)
        && archive.root().is_dir()
}

/// The streams of `streams` whose coverage over `window` the catalogue does not give as
/// the archive holds it now (see the module's rule), or `None` when the root cannot be
/// resolved (then every stream is scanned). Call only when [`applies`].
///
/// Only file metadata is read (one `stat` per file the rule names).
///
/// # Errors
/// [`Error::Database`] when the catalogue cannot be queried.
pub(crate) fn stale_streams(
    catalogue: &Catalogue,
    archive: &Archive,
    streams: &[Nslc],
    window: (i64, i64),
) -> Result<Option<BTreeSet<Nslc>>> {
    let Ok(root_abs) = std::fs::canonicalize(archive.root()) else {
        return Ok(None);
    };
    let first_day = window.0.div_euclid(NS_PER_DAY) - 1;
    let last_day = (window.1 - 1).div_euclid(NS_PER_DAY);
    let mut stale = BTreeSet::new();
    let mut db = catalogue.db();
    for nslc in streams {
        // What the catalogue saw: absolute path -> (size, mtime).
        let mut seen: BTreeMap<PathBuf, Option<(u64, i64)>> = BTreeMap::new();
        for r in db.query(
            WINDOW_FILES_SQL,
            &vals![
                &nslc.network,
                &nslc.station,
                &nslc.location,
                &nslc.channel,
                window.1,
                window.0
            ],
        )? {
            seen.insert(
                PathBuf::from(r[0].as_text()),
                Some((r[1].as_i64() as u64, r[2].as_i64())),
            );
        }
        // The day files the layout names for the stream.
        let mut named = Vec::new();
        for day in first_day..=last_day {
            match archive.file_path(nslc, day * NS_PER_DAY, 'D') {
                Ok(p) => named.push(p),
                // Codes the layout cannot name: the stream is scanned.
                Err(_) => {
                    stale.insert(nslc.clone());
                    break;
                }
            }
        }
        for p in named {
            let Ok(rel) = p.strip_prefix(archive.root()) else {
                stale.insert(nslc.clone());
                continue;
            };
            let abs = root_abs.join(rel);
            if let std::collections::btree_map::Entry::Vacant(e) = seen.entry(abs) {
                let path = e.key().to_string_lossy().into_owned();
                let row = db.query(FILE_SQL, &vals![path])?;
                e.insert(row.first().map(|r| (r[0].as_i64() as u64, r[1].as_i64())));
            }
        }
        let changed = seen.iter().any(|(abs, row)| {
            let now = abs
                .strip_prefix(&root_abs)
                .ok()
                .and_then(|rel| archive.file_at(&archive.root().join(rel)))
                .map(|f| (f.size_bytes, f.mtime_ns));
            now != *row
        });
        if changed {
            stale.insert(nslc.clone());
        }
    }
    Ok(Some(stale))
}
