//! The merge operation: patch files into an archive, sample by sample, by priority.

use super::{require, Control};
use crate::archive::{Archive, Layout};
use crate::error::{Error, Result};
use crate::merge::apply::{merge_into, MergeInput, MergeReport};
use crate::merge::{
    ArchivePolicy, DaySplit, MergeOptions, OutputEncoding, OutputOptions, PublicationVersion,
};
use crate::segment::Tolerance;
use std::path::PathBuf;

/// Merge patch files into an archive (`siqaco merge`, `siqaco.merge`, `siqaco_merge_into`).
///
/// Every sample of the patches and of the archive is placed by rank (the rules of
/// [`crate::merge`], `docs/merge.md`), every new day file is verified sample by sample and,
/// unless `dry_run`, the changed day files are replaced atomically under a journal
/// ([`crate::merge::apply`]). The result, [`MergeReport`], serialises as the document of
/// `siqaco merge --json`.
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// # let dir = tempfile::tempdir().unwrap();
/// # let patch = dir.path().join("patch.mseed");
/// # std::fs::write(&patch, b"").unwrap();
/// use siqaco::ops::{Control, MergeRequest};
/// let mut request = MergeRequest::new(dir.path().join("archive"), [&patch]);
/// request.archive = "wins".parse()?;
/// request.encoding = "steim2".parse()?;
/// request.dry_run = true;
/// let report = request.run(&Control::new())?;
/// assert_eq!(report.files_written, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MergeRequest {
    /// The archive root to merge into (created when missing).
    pub into: PathBuf,
    /// The archive layout (default SDS; it must name day files: not `files`).
    pub layout: Layout,
    /// The patches: miniSEED files, or directories whose non-hidden files are all read
    /// (at least one; each must exist).
    pub inputs: Vec<PathBuf>,
    /// The priority of each input, in order (smaller is better): empty = 1 for every
    /// input, one value for every input, or one value per input.
    pub priority: Vec<i32>,
    /// The priority of the archive's own data when `archive` is
    /// [`ArchivePolicy::Ranked`] (default 1).
    pub archive_priority: i32,
    /// The archive-vs-patch ranking: `ranked` (default), `wins` (archive samples are never
    /// replaced) or `loses` (patch samples always replace them).
    pub archive: ArchivePolicy,
    /// Which day file a record goes to (default [`DaySplit::Midnight`]).
    pub split: DaySplit,
    /// Record length of rewritten records, bytes (256–8192, a power of two for miniSEED
    /// 2; `None` keeps each record's own).
    pub record_length: Option<usize>,
    /// Encoding of rewritten records (default [`OutputEncoding::Keep`]).
    pub encoding: OutputEncoding,
    /// miniSEED version of rewritten records, 2 or 3 (`None` keeps each record's own).
    pub format_version: Option<u8>,
    /// Publication version (miniSEED 2 quality) of rewritten records (`None` keeps each
    /// record's own).
    pub quality: Option<PublicationVersion>,
    /// Time tolerance, seconds (default half a sample period; exclusive with
    /// `tolerance_periods`).
    pub tolerance_s: Option<f64>,
    /// Time tolerance, sample periods (default 0.5).
    pub tolerance_periods: Option<f64>,
    /// Relative sample-rate tolerance (default 1e-4).
    pub rate_tolerance: Option<f64>,
    /// Compute and verify everything, write nothing (default false).
    pub dry_run: bool,
    /// The catalogue (SQLite path or PostgreSQL URL) that holds the journal and the lock of
    /// a merge into an archive in a bucket (`into` an `s3://` URL, docs/object-storage.md);
    /// required then (unless `dry_run`), unused for a directory archive (default none).
    pub catalogue: Option<String>,
}

impl MergeRequest {
    /// A request to merge `inputs` into the archive at `into` with the defaults.
    pub fn new<P: Into<PathBuf>>(
        into: impl Into<PathBuf>,
        inputs: impl IntoIterator<Item = P>,
    ) -> Self {
        let defaults = MergeOptions::default();
        MergeRequest {
            into: into.into(),
            layout: Layout::Sds,
            inputs: inputs.into_iter().map(Into::into).collect(),
            priority: Vec::new(),
            archive_priority: defaults.archive_priority,
            archive: defaults.policy,
            split: defaults.split,
            record_length: None,
            encoding: OutputEncoding::Keep,
            format_version: None,
            quality: None,
            tolerance_s: None,
            tolerance_periods: None,
            rate_tolerance: None,
            dry_run: false,
            catalogue: None,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first bad field: no `inputs`, a `priority` list
    /// that is neither empty, one value nor one per input, a `record_length` outside
    /// 256–8192 (or not a power of two for miniSEED 2), a `format_version` other than 2 or
    /// 3, bad or conflicting tolerances, no `catalogue` for a merge into a bucket.
    pub fn validate(&self) -> Result<()> {
        if !self.dry_run
            && self.catalogue.is_none()
            && crate::archive::store::is_object_url(&self.into)
        {
            return Err(crate::merge::apply::bucket_needs_catalogue(&self.into));
        }
        self.options().map(|_| ())
    }

    /// The output conversions of the request ([`OutputOptions`]).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field out of range ([`OutputOptions::fault`]).
    pub fn output(&self) -> Result<OutputOptions> {
        let output = OutputOptions {
            record_length: self.record_length,
            encoding: self.encoding.code(),
            format_version: self.format_version,
            pub_version: self.quality.map(PublicationVersion::get),
        };
        match output.fault() {
            Some((field, message)) => Err(Error::field(
                if field == "pub_version" {
                    "quality"
                } else {
                    field
                },
                message,
            )),
            None => Ok(output),
        }
    }

    /// The inputs with their priorities and the lower-level options of this request. The
    /// inputs are checked last, so that a front end that sets them at the end (the C ABI's
    /// options) can check every other field first.
    fn options(&self) -> Result<(Vec<MergeInput>, MergeOptions)> {
        let opts = MergeOptions {
            tolerance: Tolerance::from_options(
                self.tolerance_s,
                self.tolerance_periods,
                self.rate_tolerance,
            )?,
            policy: self.archive,
            archive_priority: self.archive_priority,
            split: self.split,
            output: self.output()?,
        };
        require(!self.inputs.is_empty(), "inputs", || {
            "at least one patch file or directory is needed".into()
        })?;
        let inputs = MergeInput::with_priorities(&self.inputs, &self.priority)?;
        Ok((inputs, opts))
    }

    /// Merges. Cancellation: the streams not yet started are skipped, what was staged is
    /// removed, no file is replaced and the report says `cancelled`. No progress is
    /// reported.
    ///
    /// # Errors
    /// As [`MergeRequest::validate`]; [`Error::Io`] (not found) for a missing input;
    /// [`Error::Io`] and [`Error::InvalidData`] naming the file (and byte offset) that
    /// cannot be read; [`Error::InvalidData`] when verification fails (nothing is written
    /// then); [`Error::InvalidArgument`] for a layout without a file naming rule;
    /// [`Error::Codec`] when samples cannot be re-encoded; [`Error::Io`] (`WouldBlock`)
    /// naming `ROOT/.siqaco-update.lock` when another run is writing into the archive.
    pub fn run(&self, control: &Control) -> Result<MergeReport> {
        self.validate()?;
        let (inputs, opts) = self.options()?;
        let archive = Archive::new(&self.into, self.layout.clone());
        merge_into(
            &archive,
            &inputs,
            &opts,
            self.dry_run,
            Some(control.cancel_flag()),
            self.catalogue.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(f: impl FnOnce(&mut MergeRequest)) -> Option<String> {
        let mut r = MergeRequest::new("/nowhere", ["patch.mseed"]);
        f(&mut r);
        r.validate().err().map(|e| {
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{e}");
            e.field_name().unwrap_or("").to_string()
        })
    }

    #[test]
    fn every_refusal_names_its_field() {
        assert_eq!(field_of(|_| {}), None);
        assert_eq!(field_of(|r| r.inputs.clear()).as_deref(), Some("inputs"));
        assert_eq!(
            field_of(|r| r.priority = vec![1, 2]).as_deref(),
            Some("priority")
        );
        assert_eq!(field_of(|r| r.priority = vec![3]), None);
        for l in [100, 1000, 16384] {
            assert_eq!(
                field_of(|r| r.record_length = Some(l)).as_deref(),
                Some("record_length"),
                "{l}"
            );
        }
        // miniSEED 3 records need no power of two
        assert_eq!(
            field_of(|r| {
                r.record_length = Some(1000);
                r.format_version = Some(3)
            }),
            None
        );
        assert_eq!(
            field_of(|r| r.format_version = Some(4)).as_deref(),
            Some("format_version")
        );
        assert_eq!(
            field_of(|r| {
                r.tolerance_s = Some(1.0);
                r.tolerance_periods = Some(1.0)
            })
            .as_deref(),
            Some("tolerance_periods")
        );
        let e = super::super::parse_field::<OutputEncoding>("encoding", "steim3").unwrap_err();
        assert_eq!(e.field_name(), Some("encoding"));
        assert_eq!(
            super::super::parse_field::<PublicationVersion>("quality", "M")
                .unwrap()
                .get(),
            4
        );
    }
}
