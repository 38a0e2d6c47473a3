//! The repair operation: an archive's `fsck` (issue #21; `docs/repair.md`).

use super::{require, Control, Window};
use crate::archive::{Archive, Layout};
use crate::error::{Error, Result};
use crate::merge::repair::{repair_archive, Keep, RepairOptions, RepairReport, Trust};
use crate::merge::{DaySplit, OutputEncoding, OutputOptions};
use crate::segment::Tolerance;
use crate::sid::NslcGlob;
use std::path::{Path, PathBuf};

/// Repair the day files of an archive in place (`siqaco repair`, `siqaco.repair`).
///
/// Per stream and day file (the rules of [`crate::merge::repair`], `docs/repair.md`):
/// duplicate records and duplicated samples are removed, conflicting overlaps resolved by
/// `keep`, records put in time order and in the day file of the `split` convention,
/// miniSEED 2 fragments and records without blockette 1000 re-encoded to `record_length`
/// and `encoding`, records whose codes disagree with their path reported (or fixed by
/// `trust`), and bytes the record gate refuses moved to `quarantine` with a manifest.
/// Every new day file is verified sample by sample against the records read; unless
/// `dry_run`, the changed files are replaced under the merge's journal and the archive
/// lock. A second repair of a repaired archive plans nothing.
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// # let root = dir.path().join("archive");
/// # std::fs::create_dir(&root).unwrap();
/// use siqaco::ops::{Control, RepairRequest};
/// let mut request = RepairRequest::new(&root);
/// request.keep = "quality".parse()?;
/// request.dry_run = true;
/// let report = request.run(&Control::new())?;
/// assert!(report.actions.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RepairRequest {
    /// The archive root (must exist).
    pub root: PathBuf,
    /// The archive layout (default SDS; it must name day files by stream).
    pub layout: Layout,
    /// Streams to repair (empty = all).
    pub select: Vec<NslcGlob>,
    /// Window start, ns (the open-ended rule of [`Window::open_ended`]): the day files
    /// whose day intersects the window are repaired, with the other day files their data
    /// reaches.
    pub start_ns: Option<i64>,
    /// Window end, ns, exclusive.
    pub end_ns: Option<i64>,
    /// Which data a conflicting overlap keeps (default [`Keep::Newest`]).
    pub keep: Keep,
    /// Which codes to believe when a record's disagree with its path (default `None`:
    /// reported, the stream left as it is).
    pub trust: Option<Trust>,
    /// The day file convention (default [`DaySplit::Midnight`], the SDS convention; use
    /// [`DaySplit::StartTime`] for archives that store records whole in the day of their
    /// start, SeisComP's and dataselect 4's).
    pub split: DaySplit,
    /// Record length of repacked miniSEED 2 records, bytes (256–8192, a power of two;
    /// default: the longest record length of the stream's data records).
    pub record_length: Option<usize>,
    /// Encoding of repacked records (default [`OutputEncoding::Keep`]).
    pub encoding: OutputEncoding,
    /// The quarantine directory (default `<root>.quarantine` beside the root). It must lie
    /// under the root's parent and not inside the root.
    pub quarantine: Option<PathBuf>,
    /// Plan and verify, write nothing (default false).
    pub dry_run: bool,
}

impl RepairRequest {
    /// A request to repair the archive at `root` with the defaults.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let defaults = RepairOptions::default();
        RepairRequest {
            root: root.into(),
            layout: Layout::Sds,
            select: Vec::new(),
            start_ns: None,
            end_ns: None,
            keep: defaults.keep,
            trust: defaults.trust,
            split: defaults.split,
            record_length: defaults.record_length,
            encoding: defaults.encoding,
            quarantine: None,
            dry_run: false,
        }
    }

    /// The quarantine directory: the one given, or `<root>.quarantine` beside the root.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for `quarantine` inside the root or outside the root's
    /// parent, or `root` without a parent.
    pub fn quarantine_dir(&self) -> Result<PathBuf> {
        let root = std::path::absolute(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let root = normalise(&root);
        let (Some(parent), Some(name)) = (root.parent(), root.file_name()) else {
            return Err(Error::field(
                "root",
                "the archive root needs a parent directory",
            ));
        };
        let q = match &self.quarantine {
            None => parent.join(format!("{}.quarantine", name.to_string_lossy())),
            Some(q) => {
                let q = normalise(&std::path::absolute(q).map_err(|e| Error::io(q, e))?);
                require(!q.starts_with(&root), "quarantine", || {
                    format!("{} is inside the archive", q.display())
                })?;
                require(q.starts_with(parent) && q != parent, "quarantine", || {
                    format!(
                        "{} is not beside the archive (under {})",
                        q.display(),
                        parent.display()
                    )
                })?;
                q
            }
        };
        Ok(q)
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first bad field: `end_ns` not after `start_ns`,
    /// `record_length` out of range, a bad `quarantine`.
    pub fn validate(&self) -> Result<()> {
        self.options().map(|_| ())
    }

    fn options(&self) -> Result<(RepairOptions, PathBuf)> {
        let window = Window::pair_of(Window::open_ended(self.start_ns, self.end_ns)?);
        let output = OutputOptions {
            record_length: self.record_length,
            ..OutputOptions::default()
        };
        if let Some((field, message)) = output.fault() {
            return Err(Error::field(field, message));
        }
        let opts = RepairOptions {
            select: self.select.clone(),
            window,
            keep: self.keep,
            trust: self.trust,
            split: self.split,
            record_length: self.record_length,
            encoding: self.encoding,
            tolerance: Tolerance::default(),
        };
        Ok((opts, self.quarantine_dir()?))
    }

    /// Repairs (or plans, with `dry_run`). Cancellation: streams not started are skipped,
    /// what was staged is removed, nothing is written and the report says `cancelled`.
    ///
    /// # Errors
    /// As [`RepairRequest::validate`]; [`Error::Io`] (not found) for a missing root;
    /// [`Error::Io`] and [`Error::InvalidData`] naming a file that cannot be read or a
    /// record that cannot be decoded; [`Error::InvalidData`] when verification fails
    /// (nothing is written then); [`Error::InvalidArgument`] for a layout without day
    /// files named by stream; [`Error::Io`] (`WouldBlock`) naming
    /// `ROOT/.siqaco-update.lock` when another run writes into the archive;
    /// [`Error::InvalidArgument`] for an archive in a bucket (`s3://`: no quarantine
    /// directory beside it).
    pub fn run(&self, control: &Control) -> Result<RepairReport> {
        let (opts, quarantine) = self.options()?;
        if crate::archive::store::is_object_url(&self.root) {
            return Err(Error::invalid_argument(format!(
                "{}: siqaco repair works on a directory archive only: it moves the bytes it \
                 refuses into a quarantine directory beside the archive before any day file \
                 loses them, and an archive in a bucket has no such place (not supported \
                 yet)",
                self.root.display()
            )));
        }
        if !self.root.is_dir() {
            return Err(Error::io(
                &self.root,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        let archive = Archive::new(&self.root, self.layout.clone());
        repair_archive(
            &archive,
            &opts,
            &quarantine,
            self.dry_run,
            Some(control.cancel_flag()),
        )
    }
}

/// `p` without `.` and `..` components (lexically).
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarantine_lies_beside_the_archive() {
        let r = RepairRequest::new("/data/archive");
        assert_eq!(
            r.quarantine_dir().unwrap(),
            Path::new("/data/archive.quarantine")
        );
        let mut r = RepairRequest::new("/data/archive/");
        r.quarantine = Some("/data/archive/q".into());
        assert_eq!(r.validate().unwrap_err().field_name(), Some("quarantine"));
        r.quarantine = Some("/elsewhere/q".into());
        assert_eq!(r.validate().unwrap_err().field_name(), Some("quarantine"));
        r.quarantine = Some("/data/archive/../bad".into());
        assert_eq!(r.quarantine_dir().unwrap(), Path::new("/data/bad"));
        r.record_length = Some(100);
        assert_eq!(
            r.validate().unwrap_err().field_name(),
            Some("record_length")
        );
    }
}
