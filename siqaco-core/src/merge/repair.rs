//! Repairing an archive in place (`siqaco repair`, issue #21; `docs/repair.md`): the
//! archive's `fsck`, built on the merge.
//!
//! For each stream, its day files (those of the selection and window, and every other day
//! file its data reaches) are read through the record gate ([`RecordScanner`]); their
//! records are ranked by the [`Keep`] rule and merged **with each other** by the merge's
//! engine (the rules of [`crate::merge`]): a sample that collides with a sample of a better-ranked
//! record goes (the rule of [`crate::merge`], "Which sample wins"). So, per day file:
//!
//! - duplicate records and duplicated samples (identical values) are removed;
//! - conflicting overlaps (different values at the same time) are resolved by [`Keep`];
//! - records are put in time order, and in the day file of the [`DaySplit`] convention
//!   (cut at midnight, or whole in the day of their first sample);
//! - day files holding miniSEED 2 records shorter than the target record length (fragments)
//!   or records without blockette 1000 are re-encoded to the target record length and
//!   encoding (the merge's repacking, which keeps every sample's value and time);
//! - records whose codes disagree with the file's path are reported, and their stream is
//!   left as it is, unless [`Trust`] says which to believe;
//! - bytes the gate refuses (not miniSEED, truncated records, trailing garbage) are moved
//!   to the quarantine directory with a manifest line each: nothing is deleted silently.
//!
//! Every new day file is proven sample by sample against every record read
//! ([`crate::merge::verify`]) before anything is written; then the changed day files are replaced
//! under the merge's journal ([`crate::merge::apply`]), under the archive lock. A killed repair leaves
//! every day file old or new; the next run (or any merge) rolls the journal back or forward
//! ([`super::apply::recover`]) and repeats what is left. Sample times are never moved.

use super::apply::Staging;
use super::verify::{values, verify_ranked};
use super::{
    days_touched, merge_ranked, to_recs, ArchiveDay, DaySplit, MergeOptions, OutputEncoding,
    OutputOptions, Rec,
};
use crate::archive::{read_aligned, tidy_root, write_atomic, Archive, ArchiveLock};
use crate::codec::decode_record;
use crate::error::{Error, Result};
use crate::record::{RecordScanner, ScanItem, ENCODING_UNKNOWN};
use crate::segment::Tolerance;
use crate::sid::{Nslc, NslcGlob};
use crate::time::{day_floor, format_date, NS_PER_DAY};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Which data a repair keeps where records of one stream overlap with different values
/// (`--keep`; `docs/repair.md`, "Keep rules"). Records are ranked by the rule, and a
/// sample of a record is dropped when a better-ranked record has a sample at the same time
/// (within the merge's collision window): the kept data is the best-ranked record's, sample
/// by sample. **File order** is the order of the stream's day files by day (then path),
/// and of the records in a file by byte offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// The record that comes **later** in file order wins (`newest`, the default): archives
    /// grow by appending (slarchive, ringserver, `siqaco update`, scart), so the record
    /// written later holds the later submission, the EarthScope rule that the newest
    /// submission replaces overlapping data. The file's bytes are all a repair can
    /// reproduce; modification times are not per record, and record headers hold no
    /// writing time.
    #[default]
    Newest,
    /// The best publication version wins (`quality`): miniSEED 2 quality indicators rank
    /// R < D < Q < M, the publication versions 1–4 libmseed gives them and the order
    /// dataselect prunes by (one rule for the merge, serving and repair:
    /// [`crate::record::quality_publication_version`]); miniSEED 3 records by their
    /// publication version; higher wins; on a tie, the record first in file order.
    Quality,
    /// The record that comes first in file order wins (`first`).
    First,
}

impl std::str::FromStr for Keep {
    type Err = Error;

    /// Parses `newest`, `quality` or `first` (any case).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    fn from_str(s: &str) -> Result<Self> {
        crate::ops::one_of(
            s,
            &[
                ("newest", Keep::Newest),
                ("quality", Keep::Quality),
                ("first", Keep::First),
            ],
        )
    }
}

/// Which to believe when a record's codes disagree with the path of its day file
/// (`--trust`). Without a rule the disagreement is reported and the stream left as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The path: the record's network, station, location and channel are rewritten to the
    /// path's (miniSEED 2: the fixed header fields, no other byte changes; miniSEED 3: the
    /// record is re-encoded with the path's source identifier, samples unchanged).
    Path,
    /// The header: the record moves to the day file of its own stream.
    Header,
}

impl std::str::FromStr for Trust {
    type Err = Error;

    /// Parses `path` or `header` (any case).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else.
    fn from_str(s: &str) -> Result<Self> {
        crate::ops::one_of(s, &[("path", Trust::Path), ("header", Trust::Header)])
    }
}

/// Options of a repair (the lower level of [`crate::ops::RepairRequest`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RepairOptions {
    /// Streams to repair (empty = all).
    pub select: Vec<NslcGlob>,
    /// Day files whose day intersects `[start, end)` ns are repaired (`None`: all).
    pub window: Option<(i64, i64)>,
    /// Which data wins in a conflicting overlap.
    pub keep: Keep,
    /// Which codes to believe when a record disagrees with its path (`None`: report only).
    pub trust: Option<Trust>,
    /// The day file convention the archive follows.
    pub split: DaySplit,
    /// Target record length of repacked miniSEED 2 records, bytes (`None`: the longest
    /// record length among the stream's data records).
    pub record_length: Option<usize>,
    /// Encoding of repacked records ([`OutputEncoding::Keep`]: each record's own, Steim2
    /// for records without blockette 1000); with another encoding, day files holding
    /// records of other encodings are re-encoded too.
    pub encoding: OutputEncoding,
    /// The merge's time and rate tolerances.
    pub tolerance: Tolerance,
}

impl Default for RepairOptions {
    fn default() -> Self {
        RepairOptions {
            select: Vec::new(),
            window: None,
            keep: Keep::Newest,
            trust: None,
            split: DaySplit::Midnight,
            record_length: None,
            encoding: OutputEncoding::Keep,
            tolerance: Tolerance::default(),
        }
    }
}

/// What a repair does (or, reported only, finds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Bytes the record gate refuses, moved to the quarantine directory.
    Quarantine,
    /// Records whose codes disagree with the path, reported (no `trust` rule).
    CodesMismatch,
    /// Records whose codes were rewritten to the path's (`trust = path`).
    CodesFixed,
    /// Records moved to the files of the stream their header names (`trust = header`).
    CodesMoved,
    /// Whole records identical to a kept record, removed.
    DuplicateRecords,
    /// Samples overlapping kept samples with the same values, removed.
    DuplicateSamples,
    /// Samples overlapping kept samples with other values, removed by the keep rule.
    Conflict,
    /// Samples moved to the day file of their day.
    Move,
    /// Records put in time order.
    Reorder,
    /// A day file re-encoded to the target record length and encoding.
    Repack,
}

/// One action of a repair, on one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RepairAction {
    /// Stream, `NET.STA.LOC.CHA` (of the file's path).
    pub stream: String,
    /// The file acted on, relative to the archive root.
    pub file: String,
    /// What.
    pub action: ActionKind,
    /// Why, in words.
    pub why: String,
    /// Samples affected (removed, moved or re-encoded; 0 for quarantined bytes).
    pub samples: u64,
    /// Records affected.
    pub records: u64,
    /// Quarantine only: byte offset of the bytes in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Quarantine only: number of bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

/// A file a repair writes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileChange {
    /// Path relative to the archive root.
    pub file: String,
    /// `replaced`, `created` or `removed`.
    pub change: &'static str,
}

/// The outcome of a repair ([`crate::ops::RepairRequest::run`]; `siqaco repair --format
/// json` is its serialisation, `docs/repair.md`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RepairReport {
    /// Every action, by stream, file and kind. Empty when the archive needs nothing.
    pub actions: Vec<RepairAction>,
    /// The files replaced, created or removed (also in a dry run: the plan).
    pub files: Vec<FileChange>,
    /// Day files read.
    pub files_examined: usize,
    /// Files written (0 in a dry run).
    pub files_written: usize,
    /// Bytes moved to the quarantine directory (planned, in a dry run).
    pub bytes_quarantined: u64,
    /// The quarantine directory.
    pub quarantine: PathBuf,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Whether an interrupted earlier run (repair or merge) was completed or rolled back.
    pub recovered: bool,
    /// Problems that did not stop the repair (streams left as they are...).
    pub warnings: Vec<String>,
    /// Whether the run was cancelled: then nothing was written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

/// The name of the quarantine manifest in the quarantine directory: one JSON object per
/// line, `{"file", "offset", "length", "reason", "saved"}` (`docs/repair.md`).
pub const MANIFEST_NAME: &str = "manifest.jsonl";

/// Bytes to put in quarantine.
struct Quarantined {
    file: String,
    offset: u64,
    bytes: Vec<u8>,
    reason: String,
}

/// One record read for a stream, with where it was found.
struct Item<'a> {
    raw: Cow<'a, [u8]>,
    /// Index of its file in the stream's file list (incoming records: `usize::MAX`).
    file: usize,
    /// Ordering key: (day of its file, its file's path, byte offset).
    order: (i64, String, u64),
}

/// A day file of a stream.
struct DayFile {
    path: PathBuf,
    rel: String,
    day: i64,
    bytes: crate::archive::AlignedBytes,
}

/// A record whose codes name another stream than its path, taken out of its file
/// (`trust = header`).
struct Incoming {
    order: (i64, String, u64),
    raw: Vec<u8>,
}

/// What one stream's repair gives: its actions, quarantine and file changes.
#[derive(Default)]
struct StreamOutcome {
    actions: Vec<RepairAction>,
    quarantine: Vec<Quarantined>,
    files: Vec<FileChange>,
    examined: usize,
    warnings: Vec<String>,
}

fn rel_of(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The record with its codes rewritten to `nslc` (`trust = path`).
fn with_codes(raw: &[u8], format_version: u8, nslc: &Nslc) -> Result<Vec<u8>> {
    if format_version == 2 {
        let mut out = raw.to_vec();
        let mut put = |at: usize, len: usize, code: &str| -> Result<()> {
            if code.len() > len || !code.is_ascii() {
                return Err(Error::invalid_argument(format!(
                    "code {code:?} does not fit a miniSEED 2 header ({len} characters)"
                )));
            }
            let mut f = code.as_bytes().to_vec();
            f.resize(len, b' ');
            out[at..at + len].copy_from_slice(&f);
            Ok(())
        };
        put(8, 5, &nslc.station)?;
        put(13, 2, &nslc.location)?;
        put(15, 3, &nslc.channel)?;
        put(18, 2, &nslc.network)?;
        return Ok(out);
    }
    let d = decode_record(raw)?;
    crate::codec::encode(
        nslc,
        d.start_ns,
        d.sample_rate_hz,
        &d.samples,
        &crate::codec::PackOptions {
            record_length: d.record_length.max(256),
            encoding: d.encoding,
            format_version: 3,
            pub_version: d.pub_version.max(1),
        },
    )
}

/// What reading a stream's day file found.
struct FileRead<'a> {
    items: Vec<Item<'a>>,
    /// Records of other streams: (their stream, byte offset, the record).
    foreign: Vec<(Nslc, u64, &'a [u8])>,
    quarantine: Vec<Quarantined>,
    /// Data records out of time order.
    disordered: bool,
}

/// Reads the records of `file` (number `k`) of stream `nslc` through the gate.
fn read_file<'a>(nslc: &Nslc, k: usize, file: &'a DayFile) -> FileRead<'a> {
    let mut out = FileRead {
        items: Vec::new(),
        foreign: Vec::new(),
        quarantine: Vec::new(),
        disordered: false,
    };
    let mut known = None;
    let mut last_start = i64::MIN;
    for item in RecordScanner::new(&file.bytes) {
        match item {
            ScanItem::Record { offset, header } => {
                if known != Some(header.codes) {
                    if header.nslc() != *nslc {
                        out.foreign.push((header.nslc(), offset, header.raw));
                        continue;
                    }
                    known = Some(header.codes);
                }
                if header.is_data() {
                    out.disordered |= header.start_ns < last_start;
                    last_start = header.start_ns;
                }
                out.items.push(Item {
                    raw: Cow::Borrowed(header.raw),
                    file: k,
                    order: (file.day, file.rel.clone(), offset),
                });
            }
            ScanItem::Invalid {
                offset,
                length,
                message,
            } => out.quarantine.push(Quarantined {
                file: file.rel.clone(),
                offset,
                bytes: file.bytes[offset as usize..(offset + length) as usize].to_vec(),
                reason: message,
            }),
        }
    }
    out
}

/// The rank key of a record under `keep` (smaller is better); `pos` is its place in file
/// order.
fn keep_key(r: &Rec<'_>, keep: Keep) -> (i32, i64) {
    let pos = r.pos as i64;
    match keep {
        Keep::First => (0, pos),
        Keep::Newest => (0, -pos),
        // R < D < Q < M: the publication version (record::quality_publication_version)
        Keep::Quality => (-i32::from(r.pub_version), pos),
    }
}

/// Repairs one stream: reads its files (those listed, and the other day files its data
/// reaches), merges its records with each other, repacks, verifies and stages.
#[allow(clippy::too_many_arguments)]
fn repair_stream(
    archive: &Archive,
    nslc: &Nslc,
    listed: &[(PathBuf, i64)],
    incoming: &[Incoming],
    opts: &RepairOptions,
    staging: Option<&Staging>,
    cancel: Option<&AtomicBool>,
) -> Result<StreamOutcome> {
    let root = archive.root();
    let mut out = StreamOutcome::default();
    let stream = nslc.to_string();
    let mut files: Vec<DayFile> = Vec::new();
    for (p, day) in listed {
        files.push(load(root, p, *day)?);
    }
    // The other day files the data reaches, until none is missing.
    let mut inc_days: Vec<(i64, i64)> = incoming
        .iter()
        .filter_map(|i| days_touched(&[&i.raw[..]]))
        .collect();
    loop {
        let mut wanted: BTreeSet<i64> = BTreeSet::new();
        for f in &files {
            let recs: Vec<&[u8]> = RecordScanner::new(&f.bytes)
                .filter_map(|i| match i {
                    ScanItem::Record { header, .. } => Some(header.raw),
                    ScanItem::Invalid { .. } => None,
                })
                .collect();
            inc_days.extend(days_touched(&recs));
        }
        for &(a, b) in &inc_days {
            let mut d = a;
            while d <= b {
                wanted.insert(d);
                d += NS_PER_DAY;
            }
        }
        let have: BTreeSet<i64> = files.iter().map(|f| f.day).collect();
        let mut added = false;
        for d in wanted.difference(&have) {
            let p = archive.file_path(nslc, *d, 'D')?;
            if p.is_file() {
                files.push(load(root, &p, *d)?);
                added = true;
            }
        }
        if !added {
            break;
        }
    }
    files.sort_by(|a, b| (a.day, &a.rel).cmp(&(b.day, &b.rel)));
    if let Some(w) = files.windows(2).find(|w| w[0].day == w[1].day) {
        out.warnings.push(format!(
            "{stream}: {} and {} are both files of {}; stream left as it is",
            w[0].rel,
            w[1].rel,
            format_date(w[0].day)
        ));
        return Ok(out);
    }
    out.examined = files.len();
    if crate::is_cancelled(cancel) {
        return Ok(out);
    }
    // Read through the gate.
    let mut items: Vec<Item<'_>> = Vec::new();
    let mut disordered: BTreeSet<usize> = BTreeSet::new();
    let mut mismatch = false;
    for (k, f) in files.iter().enumerate() {
        let read = read_file(nslc, k, f);
        if read.disordered {
            disordered.insert(k);
        }
        items.extend(read.items);
        out.quarantine.extend(read.quarantine);
        let mut by_stream: BTreeMap<String, u64> = BTreeMap::new();
        for (other, _, _) in &read.foreign {
            *by_stream.entry(other.to_string()).or_default() += 1;
        }
        for (other, n) in by_stream {
            let (action, why) = match opts.trust {
                None => {
                    mismatch = true;
                    (
                        ActionKind::CodesMismatch,
                        format!(
                            "records of {other} in a file of {stream}: stream left as it is \
                             (choose --trust path or --trust header)"
                        ),
                    )
                }
                Some(Trust::Path) => (
                    ActionKind::CodesFixed,
                    format!("records of {other} rewritten to {stream}, as the path says"),
                ),
                Some(Trust::Header) => (
                    ActionKind::CodesMoved,
                    format!("records of {other} moved to the files of {other}"),
                ),
            };
            out.actions.push(RepairAction {
                stream: stream.clone(),
                file: f.rel.clone(),
                action,
                why,
                samples: 0,
                records: n,
                offset: None,
                bytes: None,
            });
        }
        for (_, offset, raw) in read.foreign {
            match opts.trust {
                Some(Trust::Path) => {
                    let h = crate::record::parse_record(raw)
                        .map_err(|e| Error::invalid_data(&f.path, offset, e.message))?;
                    items.push(Item {
                        raw: Cow::Owned(with_codes(raw, h.format_version, nslc)?),
                        file: k,
                        order: (f.day, f.rel.clone(), offset),
                    });
                }
                Some(Trust::Header) if !listed.iter().any(|l| l.0 == f.path) => {
                    return Err(Error::invalid_argument(format!(
                        "{}: records of another stream in a day file outside the window; \
                         widen the window to repair it",
                        f.rel
                    )));
                }
                _ => {}
            }
        }
    }
    if mismatch {
        out.quarantine.clear();
        out.actions
            .retain(|a| a.action == ActionKind::CodesMismatch);
        return Ok(out);
    }
    for i in incoming {
        items.push(Item {
            raw: Cow::Borrowed(&i.raw),
            file: usize::MAX,
            order: i.order.clone(),
        });
    }
    items.sort_by(|a, b| a.order.cmp(&b.order));
    let mut recs: Vec<Rec<'_>> = Vec::new();
    to_recs(
        nslc,
        items.iter().map(|i| (&i.raw[..], None)),
        0,
        1,
        &mut recs,
    )?;
    let file_of: Vec<usize> = items.iter().map(|i| i.file).collect();
    // the file each record comes from (incoming records: their file in another stream)
    let src_of: Vec<&str> = items.iter().map(|i| i.order.1.as_str()).collect();
    recs.sort_by_key(|r| keep_key(r, opts.keep));
    let days: Vec<ArchiveDay<'_>> = files
        .iter()
        .map(|f| ArchiveDay {
            day_start_ns: f.day,
            bytes: &f.bytes,
        })
        .collect();
    let span = files
        .iter()
        .map(|f| (f.day, f.day))
        .chain(inc_days.iter().copied())
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
    let Some(span) = span else {
        return Ok(out);
    };
    let mopts = MergeOptions {
        tolerance: opts.tolerance,
        split: opts.split,
        ..MergeOptions::default()
    };
    let m = merge_ranked(nslc, &recs, &days, span, &mopts)?;
    out.warnings.extend(m.warnings);
    if crate::is_cancelled(cancel) {
        return Ok(StreamOutcome::default());
    }
    // What was removed: whole duplicate records, duplicated samples, conflicts.
    let mut removed: BTreeMap<(&str, ActionKind), (u64, u64)> = BTreeMap::new();
    let mut kept_values: Option<Vec<(i64, f64)>> = None;
    let mut first_of: HashMap<&[u8], usize> = HashMap::new();
    for (rank, r) in recs.iter().enumerate() {
        first_of.entry(r.raw).or_insert(rank);
    }
    for (rank, lost) in &m.superseded {
        let r = &recs[*rank];
        let k = src_of[r.pos];
        let n: i64 = lost.iter().map(|(a, b)| b - a).sum();
        if n == r.n && first_of.get(r.raw).is_some_and(|&best| best < *rank) {
            let e = removed
                .entry((k, ActionKind::DuplicateRecords))
                .or_default();
            e.0 += n as u64;
            e.1 += 1;
            continue;
        }
        let kept = kept_values.get_or_insert_with(|| kept_samples(&m.days));
        let v = values(&decode_record(r.raw)?.samples);
        let (mut same, mut differ) = (0u64, 0u64);
        for &(a, b) in lost {
            for i in a..b {
                let t = r.time(i);
                let at = kept.partition_point(|s| s.0 < t);
                let near = [at.wrapping_sub(1), at]
                    .into_iter()
                    .filter_map(|j| kept.get(j))
                    .min_by_key(|s| (s.0 - t).abs());
                match (near, v.get(i as usize)) {
                    (Some(s), Some(x)) if s.1 == *x || (s.1.is_nan() && x.is_nan()) => same += 1,
                    _ => differ += 1,
                }
            }
        }
        for (kind, n) in [
            (ActionKind::DuplicateSamples, same),
            (ActionKind::Conflict, differ),
        ] {
            if n > 0 {
                let e = removed.entry((k, kind)).or_default();
                e.0 += n;
                e.1 += 1;
            }
        }
    }
    // Samples that leave the day file they were in.
    let mut moved: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    let lost_of: HashMap<usize, &Vec<(i64, i64)>> =
        m.superseded.iter().map(|(r, l)| (*r, l)).collect();
    for (rank, r) in recs.iter().enumerate() {
        let k = file_of[r.pos];
        let Some(f) = files.get(k) else { continue };
        if !r.is_data {
            if day_floor(r.start_ns) != f.day {
                moved.entry(k).or_default().1 += 1;
            }
            continue;
        }
        let kept =
            crate::interval::subtract(&[(0, r.n)], lost_of.get(&rank).map_or(&[][..], |l| &l[..]));
        let mut n = 0u64;
        for (i0, i1) in kept {
            // where the merge below puts them (its options set no output conversion, so
            // a record kept whole is copied)
            for (a, b, d) in r.placed(i0, i1, opts.split, i0 == 0 && i1 == r.n) {
                if d != f.day {
                    n += (b - a) as u64;
                }
            }
        }
        if n > 0 {
            let e = moved.entry(k).or_default();
            e.0 += n;
            e.1 += 1;
        }
    }
    // Repacking: days holding miniSEED 2 fragments, records without blockette 1000, or
    // records of another encoding than the one asked for.
    let target = opts.record_length.unwrap_or_else(|| {
        recs.iter()
            .filter(|r| r.is_data && r.format_version == 2)
            .map(|r| r.record_length)
            .max()
            .unwrap_or(0)
    });
    let mut finals: Vec<(i64, Vec<u8>, bool, bool)> = Vec::new();
    for d in &m.days {
        let bytes: Vec<u8> = d.parts.concat();
        // (fragments, records without blockette 1000, records of another encoding)
        let mut why = [0u64; 3];
        for i in RecordScanner::new(&bytes) {
            if let ScanItem::Record { header: h, .. } = i {
                if h.is_data() {
                    why[0] += u64::from(
                        h.format_version == 2 && target >= 256 && h.record_length < target,
                    );
                    why[1] += u64::from(h.encoding == ENCODING_UNKNOWN);
                    why[2] += u64::from(opts.encoding.code().is_some_and(|c| c != h.encoding));
                }
            }
        }
        let needs = why.iter().any(|&n| n > 0);
        if !needs {
            finals.push((d.day_start_ns, bytes, d.changed, d.had_file));
            continue;
        }
        let records = super::split_records(&bytes)?;
        let mut day_recs = Vec::new();
        to_recs(
            nslc,
            records.iter().map(|r| (*r, None)),
            0,
            1,
            &mut day_recs,
        )?;
        let before = day_recs.iter().filter(|r| r.is_data).count() as u64;
        let samples: i64 = day_recs.iter().filter(|r| r.is_data).map(|r| r.n).sum();
        let popts = MergeOptions {
            output: OutputOptions {
                record_length: (target >= 256).then_some(target),
                encoding: opts.encoding.code(),
                ..OutputOptions::default()
            },
            ..mopts
        };
        let old = ArchiveDay {
            day_start_ns: d.day_start_ns,
            bytes: &bytes,
        };
        let p = merge_ranked(
            nslc,
            &day_recs,
            &[old],
            (d.day_start_ns, d.day_start_ns),
            &popts,
        )?;
        let new: Vec<u8> = p
            .days
            .iter()
            .filter(|x| x.day_start_ns == d.day_start_ns)
            .flat_map(|x| x.parts.concat())
            .collect();
        let path = day_path(archive, nslc, &files, d.day_start_ns)?;
        out.actions.push(RepairAction {
            stream: stream.clone(),
            file: rel_of(root, &path),
            action: ActionKind::Repack,
            why: format!(
                "{before} records re-encoded as {} records of up to {} bytes{} ({})",
                RecordScanner::new(&new).count(),
                target.max(256),
                opts.encoding
                    .code()
                    .map_or(String::new(), |c| format!(", encoding {c}")),
                [
                    "records shorter than the record length",
                    "records without blockette 1000",
                    "records of another encoding",
                ]
                .iter()
                .zip(why)
                .filter(|(_, n)| *n > 0)
                .map(|(w, n)| format!("{n} {w}"))
                .collect::<Vec<_>>()
                .join(", ")
            ),
            samples: samples as u64,
            records: before,
            offset: None,
            bytes: None,
        });
        let changed = d.changed || new != bytes;
        finals.push((d.day_start_ns, new, changed, d.had_file));
    }
    if crate::is_cancelled(cancel) {
        return Ok(StreamOutcome::default());
    }
    let outs: Vec<(i64, Vec<super::verify::OutPart<'_>>)> = finals
        .iter()
        .map(|(d, b, _, _)| (*d, vec![(&b[..], None)]))
        .collect();
    if verify_ranked(nslc, &recs, &outs, &mopts, cancel)?.is_none() {
        return Ok(StreamOutcome::default());
    }
    // Actions per source file.
    let act = |file: &str, action, why: String, samples, records| RepairAction {
        stream: stream.clone(),
        file: file.to_string(),
        action,
        why,
        samples,
        records,
        offset: None,
        bytes: None,
    };
    for ((k, kind), (samples, records)) in removed {
        let why = match kind {
            ActionKind::DuplicateRecords => "identical to a record kept".to_string(),
            ActionKind::DuplicateSamples => {
                "same times and values as samples kept (duplicated samples)".to_string()
            }
            _ => format!(
                "overlap with other values: the {} data kept",
                match opts.keep {
                    Keep::Newest => "newest (later in file order)",
                    Keep::Quality => "best quality (R < D < Q < M)",
                    Keep::First => "first (in file order)",
                }
            ),
        };
        out.actions.push(act(k, kind, why, samples, records));
    }
    let changed_days: BTreeSet<i64> = finals.iter().filter(|f| f.2).map(|f| f.0).collect();
    for (k, (samples, records)) in moved {
        out.actions.push(act(
            &files[k].rel,
            ActionKind::Move,
            format!(
                "samples outside {} go to the day file of their day ({})",
                format_date(files[k].day),
                match opts.split {
                    DaySplit::Midnight => "split at midnight",
                    DaySplit::StartTime => {
                        "records stay whole in the day of their start, re-encoded samples \
                         are cut at midnight"
                    }
                }
            ),
            samples,
            records,
        ));
    }
    for k in disordered {
        if changed_days.contains(&files[k].day) {
            out.actions.push(act(
                &files[k].rel,
                ActionKind::Reorder,
                "records out of time order".into(),
                0,
                0,
            ));
        }
    }
    for q in &out.quarantine {
        out.actions.push(RepairAction {
            stream: stream.clone(),
            file: q.file.clone(),
            action: ActionKind::Quarantine,
            why: q.reason.clone(),
            samples: 0,
            records: 0,
            offset: Some(q.offset),
            bytes: Some(q.bytes.len() as u64),
        });
    }
    // A day rewritten for no reason named above (records of equal start times in another
    // order...) is reported as a reorder.
    let named: BTreeSet<&str> = out.actions.iter().map(|a| a.file.as_str()).collect();
    let moves = out.actions.iter().any(|a| a.action == ActionKind::Move);
    let mut writes: Vec<(PathBuf, Option<Vec<&[u8]>>)> = Vec::new();
    let mut unnamed = Vec::new();
    for (day, bytes, changed, had_file) in &finals {
        if !changed || (bytes.is_empty() && !had_file) {
            continue;
        }
        let path = day_path(archive, nslc, &files, *day)?;
        let rel = rel_of(root, &path);
        // (files that receive samples from elsewhere are named by the action on the file
        // the samples come from)
        if *had_file && !named.contains(rel.as_str()) && incoming.is_empty() && !moves {
            unnamed.push(rel.clone());
        }
        out.files.push(FileChange {
            file: rel,
            change: match (bytes.is_empty(), had_file) {
                (true, _) => "removed",
                (false, true) => "replaced",
                (false, false) => "created",
            },
        });
        writes.push((path, (!bytes.is_empty()).then(|| vec![&bytes[..]])));
    }
    for rel in unnamed {
        out.actions.push(RepairAction {
            stream: stream.clone(),
            file: rel,
            action: ActionKind::Reorder,
            why: "records rewritten in time order".into(),
            samples: 0,
            records: 0,
            offset: None,
            bytes: None,
        });
    }
    if let Some(staging) = staging {
        staging.stage(&writes)?;
    }
    Ok(out)
}

/// The path of the stream's day file of `day`: the one read, else the layout's.
fn day_path(archive: &Archive, nslc: &Nslc, files: &[DayFile], day: i64) -> Result<PathBuf> {
    match files.iter().find(|f| f.day == day) {
        Some(f) => Ok(f.path.clone()),
        None => archive.file_path(nslc, day, 'D'),
    }
}

/// Reads the day file `path` of `day` (00:00 UTC, ns).
fn load(root: &Path, path: &Path, day: i64) -> Result<DayFile> {
    let bytes = read_aligned(path).map_err(|e| Error::io(path, e))?;
    Ok(DayFile {
        path: path.to_path_buf(),
        rel: rel_of(root, path),
        day,
        bytes,
    })
}

/// The kept samples of a merge's output days, `(time, value)` sorted by time.
fn kept_samples(days: &[super::DayParts<'_>]) -> Vec<(i64, f64)> {
    let mut v = Vec::new();
    for d in days {
        for p in &d.parts {
            for item in RecordScanner::new(p) {
                let ScanItem::Record { header, .. } = item else {
                    continue;
                };
                if !header.is_data() {
                    continue;
                }
                if let Ok(dec) = decode_record(header.raw) {
                    for (i, x) in values(&dec.samples).into_iter().enumerate() {
                        v.push((
                            crate::time::sample_time(
                                header.start_ns,
                                i as i64,
                                header.sample_rate_raw,
                            ),
                            x,
                        ));
                    }
                }
            }
        }
    }
    v.sort_by_key(|s| s.0);
    v
}

/// Where quarantined bytes are saved: `QUARANTINE/<file>@<offset>.bad`.
fn saved_name(q: &Quarantined) -> String {
    format!("{}@{}.bad", q.file, q.offset)
}

/// Saves quarantined bytes and appends their manifest lines; bytes already saved (the same
/// file, offset and bytes, by a run killed before its commit) are not recorded twice.
fn write_quarantine(dir: &Path, items: &[Quarantined]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let manifest = dir.join(MANIFEST_NAME);
    let mut lines = String::new();
    for q in items {
        let saved = saved_name(q);
        let path = dir.join(&saved);
        if fs::read(&path).is_ok_and(|b| b == q.bytes) {
            continue;
        }
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
        }
        write_atomic(&path, &q.bytes)?;
        let line = serde_json::json!({
            "file": q.file,
            "offset": q.offset,
            "length": q.bytes.len(),
            "reason": q.reason,
            "saved": saved,
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&manifest)
        .map_err(|e| Error::io(&manifest, e))?;
    f.write_all(lines.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&manifest, e))?;
    crate::archive::sync_dir(dir)
}

/// Repairs the day files of `archive` (see the [module](self) rules): plans every stream
/// (in parallel), verifies every new day file, and unless `dry_run` writes the quarantine,
/// then replaces the changed day files in one journaled transaction under the archive
/// lock. `quarantine` is the quarantine directory (checked by the caller).
///
/// # Errors
/// [`Error::Io`] naming a file that cannot be read or written; [`Error::InvalidArgument`]
/// for a layout without day files; [`Error::InvalidData`] when a record cannot be decoded
/// or the verification fails (nothing is written then); [`Error::Io`] (`WouldBlock`) when
/// another run writes into the archive.
pub(crate) fn repair_archive(
    archive: &Archive,
    opts: &RepairOptions,
    quarantine: &Path,
    dry_run: bool,
    cancel: Option<&AtomicBool>,
) -> Result<RepairReport> {
    let root = archive.root();
    let mut report = RepairReport {
        quarantine: quarantine.to_path_buf(),
        dry_run,
        ..RepairReport::default()
    };
    let lock = if dry_run {
        None
    } else {
        let lock = ArchiveLock::acquire(root)?;
        report.recovered = tidy_root(root, Some(&lock))?.recovered;
        Some(lock)
    };
    let listed = archive.list_files(&opts.select, opts.window)?;
    let mut by_stream: BTreeMap<Nslc, Vec<(PathBuf, i64)>> = BTreeMap::new();
    for f in listed {
        let (Some(nslc), Some(day), Some(NS_PER_DAY)) = (f.nslc.clone(), f.day_start_ns, f.span_ns)
        else {
            return Err(Error::invalid_argument(format!(
                "{}: repair needs day files named by stream and day (layout {})",
                f.rel_path,
                archive.layout()
            )));
        };
        if let Some((s, e)) = opts.window {
            if day + NS_PER_DAY <= s || day >= e {
                continue;
            }
        }
        by_stream.entry(nslc).or_default().push((f.path, day));
    }
    // Records that move to another stream (`trust = header`) are found first.
    let mut incoming: BTreeMap<Nslc, Vec<Incoming>> = BTreeMap::new();
    if opts.trust == Some(Trust::Header) {
        for (nslc, paths) in &by_stream {
            for (p, day) in paths {
                let day = *day;
                let file = load(root, p, day)?;
                for (other, offset, raw) in read_file(nslc, 0, &file).foreign {
                    incoming.entry(other).or_default().push(Incoming {
                        order: (day, file.rel.clone(), offset),
                        raw: raw.to_vec(),
                    });
                }
            }
        }
        for other in incoming.keys() {
            by_stream.entry(other.clone()).or_default();
        }
    }
    let staging = lock.as_ref().map(|l| Staging::new(root, l));
    let outcomes: Vec<Result<StreamOutcome>> = by_stream
        .par_iter()
        .map(|(nslc, paths)| {
            if crate::is_cancelled(cancel) {
                return Ok(StreamOutcome::default());
            }
            let inc = incoming.get(nslc).map_or(&[][..], |v| &v[..]);
            repair_stream(archive, nslc, paths, inc, opts, staging.as_ref(), cancel)
        })
        .collect();
    let mut failure = None;
    let mut quarantined = Vec::new();
    for o in outcomes {
        match o {
            Ok(o) => {
                report.actions.extend(o.actions);
                report.files.extend(o.files);
                report.files_examined += o.examined;
                report.warnings.extend(o.warnings);
                quarantined.extend(o.quarantine);
            }
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    report.bytes_quarantined = quarantined.iter().map(|q| q.bytes.len() as u64).sum();
    let cancelled = crate::is_cancelled(cancel);
    match (staging, failure) {
        (Some(s), Some(e)) => {
            if let Err(a) = s.abort() {
                tracing::warn!("after {e}: {a}");
            }
            Err(e)
        }
        (None, Some(e)) => Err(e),
        (Some(s), None) if cancelled => {
            report.cancelled = true;
            s.abort().map(|()| report)
        }
        (Some(s), None) => {
            // The quarantine holds the bytes before any file loses them.
            if let Err(e) = write_quarantine(quarantine, &quarantined) {
                let _ = s.abort();
                return Err(e);
            }
            report.files_written = s.commit()?;
            Ok(report)
        }
        (None, None) => {
            report.cancelled = cancelled;
            Ok(report)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{encode, PackOptions, Samples};
    use crate::time::NS_PER_S;

    const T0: i64 = 19_000 * NS_PER_DAY;

    fn nslc() -> Nslc {
        Nslc::new("XX", "REP", "", "HHZ")
    }

    /// 100 samples at 1 Hz from `t0`, values `base + i`, quality `pub_version`.
    fn rec(t0: i64, base: i32, pub_version: u8) -> Vec<u8> {
        let v: Vec<i32> = (0..100).map(|i| base + i).collect();
        let o = PackOptions::default()
            .with_record_length(512)
            .with_pub_version(pub_version);
        encode(&nslc(), t0, 1.0, &Samples::Int32(v), &o).unwrap()
    }

    /// Every sample of the archive's day files: (time, value), sorted.
    fn samples(root: &Path) -> Vec<(i64, f64)> {
        let mut v = Vec::new();
        for p in crate::testing::files_below(root) {
            let rel = p.strip_prefix(root).unwrap();
            if rel
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            {
                continue;
            }
            let b = fs::read(&p).unwrap();
            for item in RecordScanner::new(&b) {
                let ScanItem::Record { header, .. } = item else {
                    panic!("unreadable bytes left in {}", p.display())
                };
                let d = decode_record(header.raw).unwrap();
                for (i, x) in values(&d.samples).into_iter().enumerate() {
                    v.push((d.start_ns + i as i64 * NS_PER_S, x));
                }
            }
        }
        v.sort_by_key(|s| s.0);
        v
    }

    fn run(root: &Path, keep: Keep) -> RepairReport {
        let archive = Archive::new(root, crate::archive::Layout::Sds);
        let opts = RepairOptions {
            keep,
            ..RepairOptions::default()
        };
        let q = root.with_extension("quarantine");
        repair_archive(&archive, &opts, &q, false, None).unwrap()
    }

    /// A day file: a record (quality D, values from 0), a duplicate of it, a record
    /// overlapping its second half with other values (quality M, values from 1000), and a
    /// record 23:59:30 that runs past midnight, all out of time order. Each keep rule
    /// keeps the data its definition names; every sample time appears once; duplicates go;
    /// the record past midnight is cut into the next day's file; a second run does nothing.
    #[test]
    fn keep_rules_choose_the_documented_data() {
        let late = T0 + NS_PER_DAY - 30 * NS_PER_S;
        let a = rec(T0, 0, 2);
        let b = rec(T0 + 50 * NS_PER_S, 1000, 4);
        let c = rec(late, 5000, 2);
        for (keep, second_half_from) in [
            (Keep::First, 50.0),
            (Keep::Newest, 1000.0),
            (Keep::Quality, 1000.0),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("archive");
            let day = Archive::new(&root, crate::archive::Layout::Sds)
                .file_path(&nslc(), T0, 'D')
                .unwrap();
            fs::create_dir_all(day.parent().unwrap()).unwrap();
            fs::write(&day, [&c[..], &a, &a, &b].concat()).unwrap();
            let report = run(&root, keep);
            let kinds: BTreeSet<ActionKind> = report.actions.iter().map(|a| a.action).collect();
            for k in [
                ActionKind::DuplicateRecords,
                ActionKind::Conflict,
                ActionKind::Move,
                ActionKind::Reorder,
            ] {
                assert!(
                    kinds.contains(&k),
                    "{keep:?}: {k:?} in {:?}",
                    report.actions
                );
            }
            let s = samples(&root);
            let times: BTreeSet<i64> = s.iter().map(|x| x.0).collect();
            assert_eq!(times.len(), s.len(), "{keep:?}: a sample time twice");
            assert_eq!(s.len(), 150 + 100, "{keep:?}");
            let at = |t: i64| s.iter().find(|x| x.0 == t).unwrap().1;
            assert_eq!(at(T0), 0.0);
            assert_eq!(at(T0 + 50 * NS_PER_S), second_half_from, "{keep:?}");
            assert_eq!(at(T0 + 149 * NS_PER_S), 1099.0);
            assert_eq!(at(late + 99 * NS_PER_S), 5099.0);
            let next = Archive::new(&root, crate::archive::Layout::Sds)
                .file_path(&nslc(), T0 + NS_PER_DAY, 'D')
                .unwrap();
            assert!(next.is_file());
            let again = run(&root, keep);
            assert!(
                again.actions.is_empty() && again.files_written == 0,
                "{again:?}"
            );
        }
    }

    /// `--keep quality` between a raw (R) record and an overlapping D record keeps the D
    /// samples whichever comes first in the file: R < D, the publication versions the
    /// record gate reads from the quality byte (one order with the merge and serving).
    #[test]
    fn keep_quality_ranks_d_above_r_in_either_file_order() {
        let r = rec(T0, 0, 1);
        let d = rec(T0 + 50 * NS_PER_S, 1000, 2);
        assert_eq!(r[6], b'R');
        assert_eq!(d[6], b'D');
        for order in [[&r, &d], [&d, &r]] {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("archive");
            let day = Archive::new(&root, crate::archive::Layout::Sds)
                .file_path(&nslc(), T0, 'D')
                .unwrap();
            fs::create_dir_all(day.parent().unwrap()).unwrap();
            fs::write(&day, [&order[0][..], &order[1][..]].concat()).unwrap();
            run(&root, Keep::Quality);
            let s = samples(&root);
            let at = |t: i64| s.iter().find(|x| x.0 == t).unwrap().1;
            assert_eq!(at(T0 + 49 * NS_PER_S), 49.0);
            assert_eq!(at(T0 + 50 * NS_PER_S), 1000.0);
            assert_eq!(at(T0 + 99 * NS_PER_S), 1049.0);
            assert_eq!(s.len(), 150);
        }
    }

    /// By start time, a record crossing midnight that loses its first samples to a
    /// better one is re-encoded, and re-encoded samples are cut at midnight: the plan
    /// counts as moved exactly the samples the repair puts in the next day's file.
    #[test]
    fn by_start_time_a_cut_record_moves_its_samples_after_midnight() {
        let midnight = T0 + NS_PER_DAY;
        let better = rec(midnight - 120 * NS_PER_S, 0, 4); // M, 23:58:00 to 23:59:39
        let crossing = rec(midnight - 30 * NS_PER_S, 5000, 2); // D, 23:59:30 to 00:01:09
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        let sds = Archive::new(&root, crate::archive::Layout::Sds);
        let day = sds.file_path(&nslc(), T0, 'D').unwrap();
        fs::create_dir_all(day.parent().unwrap()).unwrap();
        fs::write(&day, [&better[..], &crossing].concat()).unwrap();
        let opts = RepairOptions {
            keep: Keep::Quality,
            split: DaySplit::StartTime,
            ..RepairOptions::default()
        };
        let report = repair_archive(&sds, &opts, &root.with_extension("q"), false, None).unwrap();
        // 10 samples of the crossing record are superseded; of the 90 left (re-encoded),
        // the 70 after midnight move to the next day's file
        let moved: Vec<&RepairAction> = report
            .actions
            .iter()
            .filter(|a| a.action == ActionKind::Move)
            .collect();
        assert_eq!(moved.len(), 1, "{:?}", report.actions);
        assert_eq!(moved[0].samples, 70);
        let s = samples(&root);
        assert_eq!(s.len(), 190);
        let next = fs::read(sds.file_path(&nslc(), midnight, 'D').unwrap()).unwrap();
        let mut in_next = 0;
        for item in RecordScanner::new(&next) {
            let ScanItem::Record { header, .. } = item else {
                panic!("unreadable bytes in the next day's file")
            };
            assert_eq!(header.start_ns, midnight);
            in_next += header.sample_count;
        }
        assert_eq!(in_next, 70);
        assert_eq!(s.iter().find(|x| x.0 == midnight).unwrap().1, 5030.0);
    }

    #[test]
    fn keep_and_trust_parse_as_documented() {
        assert_eq!("NEWEST".parse::<Keep>().unwrap(), Keep::Newest);
        assert!("latest".parse::<Keep>().is_err());
        assert_eq!("header".parse::<Trust>().unwrap(), Trust::Header);
    }
}
