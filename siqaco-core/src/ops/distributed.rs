//! Distributed runs (`siqaco.distributed`, issue #19): one operation split into partitions
//! of an archive's files that other processes or machines run, and the partial results
//! combined into exactly the single-machine result.
//!
//! The three steps of every distributed operation, each a method of its request:
//!
//! 1. **List** the files once, where the run is driven (`list_files`; for an index,
//!    [`IndexRequest::files_to_index`]), and split them into partitions of whole
//!    station-days ([`partition`]).
//! 2. **Partial** result of one partition (`run_partial`), in a worker: what the
//!    single-machine operation computes from those files before combining them — traces
//!    and counters for a scan ([`crate::scan::ScanPartial`]), traces with their samples for
//!    a read ([`crate::read::ReadPartial`]), the rows of each file for an index
//!    ([`crate::index::IndexPartial`]). A partial is a pure function of its files: a
//!    partition run twice (a worker lost, the task retried) gives the same partial.
//! 3. **Combine** the partials (`combine`, [`IndexRequest::run_from`]) with the
//!    single-machine code path, which joins traces with the same rule whatever the order
//!    they arrive in ([`crate::segment`], docs/gaps.md), so the result equals the
//!    single-machine one: the same JSON document, the same samples, the same catalogue rows.
//!
//! Partials travel between processes as bytes ([`encode`], [`decode`]: CBOR, in which
//! sample rates and times keep every bit).

use super::{require, Control, ReadRequest, ScanRequest};
use crate::archive::ArchiveFile;
use crate::error::{Error, Result};
use crate::read::{ReadPartial, SampleSegment};
use crate::scan::{ScanInput, ScanPartial, ScanReport};
use std::collections::BTreeMap;

/// Splits listed files into partitions of whole station-days: the files of one network,
/// station and day (all its locations and channels) stay in one partition; station-days
/// are taken in (network, station, day) order and added to a partition until it holds at
/// least `files_per_partition` files. A file whose name gives no stream or no day
/// (SDAY, CSS, files given one by one) is a station-day of its own.
///
/// # Errors
/// [`Error::InvalidField`] `partition_files` when `files_per_partition` is 0.
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// use siqaco::archive::ArchiveFile;
/// let files: Vec<ArchiveFile> = ["a.mseed", "b.mseed", "c.mseed"]
///     .iter()
///     .map(|p| ArchiveFile::given(std::path::Path::new(p)))
///     .collect();
/// let parts = siqaco::ops::partition(files, 2)?;
/// assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
/// # Ok(())
/// # }
/// ```
pub fn partition(
    files: Vec<ArchiveFile>,
    files_per_partition: usize,
) -> Result<Vec<Vec<ArchiveFile>>> {
    require(files_per_partition >= 1, "partition_files", || {
        "must be at least 1".into()
    })?;
    type Key = (Option<(String, String, i64)>, String);
    let mut days: BTreeMap<Key, Vec<ArchiveFile>> = BTreeMap::new();
    for f in files {
        let key = match (&f.nslc, f.day_start_ns) {
            (Some(n), Some(day)) => (
                Some((n.network.clone(), n.station.clone(), day)),
                String::new(),
            ),
            _ => (None, f.rel_path.clone()),
        };
        days.entry(key).or_default().push(f);
    }
    let mut parts: Vec<Vec<ArchiveFile>> = Vec::new();
    let mut current: Vec<ArchiveFile> = Vec::new();
    for (_, group) in days {
        current.extend(group);
        if current.len() >= files_per_partition {
            parts.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    Ok(parts)
}

/// A partial result (or a partition of files) as bytes, to send to another process
/// (CBOR: numbers keep every bit).
///
/// # Panics
/// Never for the types of this module (serialisation into memory cannot fail).
pub fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("serialising into memory");
    out
}

/// The value [`encode`] made.
///
/// # Errors
/// [`Error::InvalidField`] `partial` when the bytes are not such a value (they come from
/// another version of siqaco, or were cut).
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    ciborium::from_reader(bytes).map_err(|e| {
        Error::field(
            "partial",
            format!("not a partial result of this siqaco version: {e}"),
        )
    })
}

impl ScanRequest {
    /// The files this scan reads (an archive's files selected by stream and window from
    /// their names, or the files given), listed once for a distributed scan.
    ///
    /// # Errors
    /// As [`ScanRequest::run`] before reading.
    pub fn list_files(&self) -> Result<Vec<ArchiveFile>> {
        let opts = self.scan_options()?;
        super::scan::check_paths(&self.paths)?;
        ScanInput::new(&self.paths, &self.layout)?
            .list_files(&opts.mappings.widen(&opts.selection), opts.analysis.window)
    }

    /// The partial result of scanning `files` (one partition of
    /// [`ScanRequest::list_files`]) with this request's options; the `paths` field is not
    /// used. Cancellation: the files not yet started are skipped.
    ///
    /// # Errors
    /// As [`ScanRequest::validate`] (but for `paths`).
    pub fn run_partial(&self, files: &[ArchiveFile], control: &Control) -> Result<ScanPartial> {
        let mut opts = self.scan_options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        Ok(crate::scan::scan_partial(files, &opts))
    }

    /// The report of the whole scan from the partials of all its partitions: equal to
    /// [`ScanRequest::run`]'s (module documentation).
    ///
    /// # Errors
    /// As [`ScanRequest::validate`] (but for `paths`).
    pub fn combine(&self, partials: impl IntoIterator<Item = ScanPartial>) -> Result<ScanReport> {
        Ok(crate::scan::combine(partials, &self.scan_options()?))
    }
}

impl ReadRequest {
    /// The files this read decodes, listed once for a distributed read.
    ///
    /// # Errors
    /// As [`ReadRequest::run`] before reading.
    pub fn list_files(&self) -> Result<Vec<ArchiveFile>> {
        let opts = self.options()?;
        ScanInput::new(&self.paths, &self.layout)?
            .list_files(&opts.mappings.widen(&opts.selection), opts.window)
    }

    /// The partial result of reading `files` (one partition of
    /// [`ReadRequest::list_files`]): their traces with samples. The `paths` field is not
    /// used. Cancellation: the files not yet started are skipped.
    ///
    /// # Errors
    /// As [`ReadRequest::run`].
    pub fn run_partial(&self, files: &[ArchiveFile], control: &Control) -> Result<ReadPartial> {
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        crate::read::read_partial(files, &opts)
    }

    /// The segments of the whole read from the partials of all its partitions: equal to
    /// [`ReadRequest::run`]'s.
    ///
    /// # Errors
    /// As [`ReadRequest::validate`].
    pub fn combine(
        &self,
        partials: impl IntoIterator<Item = ReadPartial>,
    ) -> Result<Vec<SampleSegment>> {
        let opts = self.options()?;
        // The pieces are gathered here, the traces joined on the read's threads.
        let partials: Vec<ReadPartial> = partials.into_iter().collect();
        Ok(crate::scan::in_pool(opts.threads, || {
            crate::read::combine(partials, &opts.tolerance)
        }))
    }
}

#[cfg(feature = "sqlite")]
use super::IndexRequest;
#[cfg(feature = "sqlite")]
use crate::index::{index_partial, Catalogue, IndexPartial, IndexReport};

#[cfg(feature = "sqlite")]
impl IndexRequest {
    /// The files [`IndexRequest::run`] would read now (new or changed since the catalogue
    /// last saw them), listed once for a distributed index; the catalogue is opened
    /// (created when missing, as by `run`) and only read. A SQLite catalogue that does not
    /// exist yet is not created here (every file listed is read; [`IndexRequest::writer`]
    /// creates it while the workers read).
    ///
    /// # Errors
    /// As [`IndexRequest::run`] before reading.
    pub fn files_to_index(&self) -> Result<Vec<ArchiveFile>> {
        self.validate()?;
        std::fs::metadata(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let archive = crate::archive::Archive::new(&self.root, self.layout.clone());
        if !crate::index::is_postgres_url(&self.catalogue.to_string_lossy()) {
            crate::index::check_sqlite_target(&self.catalogue)?;
            if !self.catalogue.exists() {
                return archive.list_files(&[], None);
            }
        }
        Catalogue::open(&self.catalogue)?.files_to_index(&archive, &self.options()?)
    }

    /// The writing side of a distributed index that writes while its workers read: the
    /// catalogue opened (created when missing), the archive listed and compared with it
    /// (as [`IndexRequest::run_from`]); give it each partial as it arrives
    /// ([`IndexWriter::add`]), then [`IndexWriter::finish`]. The catalogue written and the
    /// report equal those of [`IndexRequest::run_from`] with all the partials.
    ///
    /// # Errors
    /// As [`IndexRequest::run`] before reading.
    pub fn writer(&self, control: &Control) -> Result<IndexWriter> {
        self.validate()?;
        std::fs::metadata(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        let archive = crate::archive::Archive::new(&self.root, self.layout.clone());
        let mut catalogue = Catalogue::open(&self.catalogue)?;
        let from = catalogue.index_from(&archive, &opts)?;
        Ok(IndexWriter { catalogue, from })
    }

    /// What a worker reads for the catalogue from `files` (one partition of
    /// [`IndexRequest::files_to_index`]): no catalogue is opened. Cancellation: the files
    /// not yet started are skipped (and read again by [`IndexRequest::run_from`]).
    ///
    /// # Errors
    /// As [`IndexRequest::validate`].
    pub fn run_partial(&self, files: &[ArchiveFile], control: &Control) -> Result<IndexPartial> {
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        Ok(index_partial(files, &opts))
    }

    /// [`IndexRequest::run`] with the files already read by the workers (the partials of
    /// every partition, joined with [`IndexPartial::extend`]): the catalogue written and
    /// the counts returned are those of [`IndexRequest::run`] (the same code path; a file
    /// missing from the partials, or changed since it was read, is read here).
    ///
    /// # Errors
    /// As [`IndexRequest::run`].
    pub fn run_from(&self, partial: IndexPartial, control: &Control) -> Result<IndexReport> {
        self.validate()?;
        std::fs::metadata(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        let archive = crate::archive::Archive::new(&self.root, self.layout.clone());
        Catalogue::open(&self.catalogue)?.index_archive_from(&archive, &opts, partial)
    }
}

/// The catalogue of a distributed index written while its workers read
/// ([`IndexRequest::writer`]): each batch of files is written, in the order of one
/// [`IndexRequest::run`], as soon as the partials hold all its files.
#[cfg(feature = "sqlite")]
#[derive(Debug)]
pub struct IndexWriter {
    catalogue: Catalogue,
    from: crate::index::IndexFrom,
}

#[cfg(feature = "sqlite")]
impl IndexWriter {
    /// Takes one partial ([`IndexRequest::run_partial`] of one partition) and writes the
    /// batches it completes. Cancellation (`control`): no further file is read.
    ///
    /// # Errors
    /// [`crate::Error::Database`].
    pub fn add(&mut self, partial: IndexPartial, control: &Control) -> Result<()> {
        self.from.set_cancel(Some(control.cancel_flag().clone()));
        self.from.add(&mut self.catalogue, partial)
    }

    /// Writes what is left (reading the files no partial held), brings `tsindex_summary`
    /// and the day statistics up to date and returns the run's counts.
    ///
    /// # Errors
    /// As [`IndexRequest::run`].
    pub fn finish(mut self, control: &Control) -> Result<IndexReport> {
        self.from.set_cancel(Some(control.cancel_flag().clone()));
        self.from.finish(&mut self.catalogue)
    }
}

#[cfg(feature = "fdsn")]
use super::QcRequest;
#[cfg(feature = "fdsn")]
use crate::qc::{QcPartial, QcReport};

#[cfg(feature = "fdsn")]
impl QcRequest {
    /// The files this check reads (the archive's files selected by stream and window from
    /// their names), listed once for a distributed check; [`QcRequest::combine`] needs
    /// this list, in this order.
    ///
    /// # Errors
    /// As [`QcRequest::run`] before reading; the metadata is not read.
    pub fn list_files(&self) -> Result<Vec<ArchiveFile>> {
        let opts = self.options()?;
        self.archive()?.list_files(&opts.selection, opts.window)
    }

    /// The partial result of checking `files` (one partition of [`QcRequest::list_files`]):
    /// header values gathered per stream; the metadata is not read. Cancellation: the files
    /// not yet started are skipped.
    ///
    /// # Errors
    /// As [`QcRequest::validate`].
    pub fn run_partial(&self, files: &[ArchiveFile], control: &Control) -> Result<QcPartial> {
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        Ok(crate::qc::qc_partial(files, &opts))
    }

    /// The report of the whole check from `files` (as [`QcRequest::list_files`] gave them)
    /// and the partials of all its partitions: the metadata is read here, once, and the
    /// report equals [`QcRequest::run`]'s. Cancellation: the streams not yet checked are
    /// skipped.
    ///
    /// # Errors
    /// As [`QcRequest::run`]; [`Error::InvalidField`] `partial` for a partial of files not
    /// in `files`.
    pub fn combine(
        &self,
        files: &[ArchiveFile],
        partials: impl IntoIterator<Item = QcPartial>,
        control: &Control,
    ) -> Result<QcReport> {
        let mut opts = self.options()?;
        opts.cancel = Some(control.cancel_flag().clone());
        let inventory = self.inventory(&opts)?;
        crate::qc::combine(files, partials, &inventory, &opts)
    }
}
