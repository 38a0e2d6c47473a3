//! Archive layouts, file listing and atomic writes.
//!
//! An [`Archive`] is a root directory and a [`Layout`]: how day files are named.
//!
//! * [`Layout::Sds`], the SeisComP Data Structure (SeisComP documentation, "SDS archive"):
//!   `YEAR/NET/STA/CHAN.TYPE/NET.STA.LOC.CHAN.TYPE.YEAR.DOY`, TYPE being one letter (`D` for
//!   waveform data). Listing accepts any TYPE letter; [`Archive::file_path`] writes `D`.
//! * [`Layout::Bud`], IRIS's Buffer of Uniform Data: `NET/STA/STA.NET.LOC.CHAN.YEAR.DOY`.
//! * [`Layout::Template`], any dataselect 4 archive template ([`Template`]; dataselect's
//!   `-A` option), including the presets of [`PRESETS`] (`-CHAN`, `-VCHAN`, `-QCHAN`,
//!   `-CDAY`, `-SDAY`, `-CSS`). SDS and BUD are the templates
//!   `%Y/%n/%s/%c.D/%n.%s.%l.%c.D.%Y.%j` and `%n/%s/%s.%n.%l.%c.%Y.%j`.
//! * [`Layout::Files`], any files under the root, whatever their names: streams and days are
//!   only known after reading the records.
//!
//! Listing ([`Archive::list_files`]) walks the tree one template component at a time and
//! only descends into directories whose names can match that component given the
//! selection (network, station... codes) and the time window (years, days), so a small
//! selection of a big archive reads few directories. Hidden entries (names starting with
//! `.`, such as the temporary files of [`write_atomic`]) are skipped; names that do not
//! follow the layout are ignored.
//!
//! Writing goes through [`write_atomic`]: temporary file in the same directory, fsync,
//! rename.

mod atomic;
pub mod leftover;
pub mod store;
mod template;

pub(crate) use atomic::read_file_range_aligned;
pub use atomic::write_atomic;
pub(crate) use atomic::{
    read_aligned, read_aligned_reusing, read_range_aligned, will_need, AlignedBytes,
};
pub(crate) use atomic::{sync_dir, sync_file, write_unsynced_from, ReadFrom};
pub use leftover::{tidy_root, ArchiveLock};
pub use template::Template;

use crate::error::{Error, Result};
use crate::sid::{glob_match, selected, Nslc, NslcGlob};
use crate::time::NS_PER_DAY;
use rayon::prelude::*;
use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};
use template::{no_values, time_span, value_for, Flag, Values};

/// The SDS template, with the internal `%t` for the TYPE letter.
const SDS_TEMPLATE: &str = "%Y/%n/%s/%c.%t/%n.%s.%l.%c.%t.%Y.%j";
/// The BUD template (dataselect's `-BUD`).
const BUD_TEMPLATE: &str = "%n/%s/%s.%n.%l.%c.%Y.%j";

/// dataselect 4 preset layouts accepted by [`Layout`]'s `FromStr`, as (name, template).
///
/// From dataselect's manual ("Archive Format"): `-CHAN`, `-VCHAN`, `-QCHAN`, `-CDAY`,
/// `-SDAY`, `-CSS` (`-BUD` and `-SDS` are [`Layout::Bud`] and [`Layout::Sds`]).
pub const PRESETS: &[(&str, &str)] = &[
    ("chan", "%n.%s.%l.%c"),
    ("vchan", "%n.%s.%l.%c.%v"),
    ("qchan", "%n.%s.%l.%c.%q"),
    ("cday", "%n.%s.%l.%c.%Y:%j:#H:#M:#S"),
    ("sday", "%n.%s.%Y:%j"),
    ("css", "%Y/%j/%s.%c.%Y:%j:#H:#M:#S"),
];

/// The layouts of the public object-store archives accepted by [`Layout`]'s `FromStr`, as
/// (name, template relative to the bucket root), one channel-day (EarthScope: one
/// station-day) per object. From the data centres' descriptions of their open-data buckets
/// (issue #20; `docs/object-storage.md` gives the sources):
///
/// * `scedc` (`s3://scedc-pds`): `continuous_waveforms/YYYY/YYYY_DOY/` then network (2
///   characters), station (5), channel (3) and location (2), each padded with `_`, then
///   `_YYYYDOY.ms`, e.g. `CISDD__HHZ___2016002.ms`.
/// * `ncedc` (`s3://ncedc-pds`): `continuous_waveforms/NET/YYYY/YYYY.DOY/STA.NET.CHA.LOC.D.YYYY.DOY`.
/// * `earthscope` (`s3://earthscope-geophysical-data`): `miniseed/NET/YYYY/DOY/STA.NET.YYYY.DOY`
///   (station-day objects: location and channel are only known from the records).
/// * `geonet` (`s3://geonet-open-data`):
///   `waveforms/miniseed/YYYY/YYYY.DOY/STA.NET/YYYY.DOY.STA.LOC-CHA.NET.D`.
///
/// `%2n` (a code padded with `_` to 2 characters) is internal syntax, for SCEDC.
pub const PUBLIC_PRESETS: &[(&str, &str)] = &[
    (
        "scedc",
        "continuous_waveforms/%Y/%Y_%j/%2n%5s%3c%2l_%Y%j.ms",
    ),
    (
        "ncedc",
        "continuous_waveforms/%n/%Y/%Y.%j/%s.%n.%c.%l.D.%Y.%j",
    ),
    ("earthscope", "miniseed/%n/%Y/%j/%s.%n.%Y.%j"),
    (
        "geonet",
        "waveforms/miniseed/%Y/%Y.%j/%s.%n/%Y.%j.%s.%l-%c.%n.D",
    ),
];

/// How the files of an archive are named (default: SDS).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// SeisComP Data Structure: `YEAR/NET/STA/CHAN.TYPE/NET.STA.LOC.CHAN.TYPE.YEAR.DOY`.
    #[default]
    Sds,
    /// Buffer of Uniform Data: `NET/STA/STA.NET.LOC.CHAN.YEAR.DOY`.
    Bud,
    /// A dataselect archive template (relative to the root).
    Template(Template),
    /// Every regular, non-hidden file under the root, recursively (names carry nothing).
    Files,
}

impl Layout {
    /// The template of the layout (`None` for [`Layout::Files`]).
    fn template(&self) -> Option<Template> {
        match self {
            Layout::Sds => Some(Template::parse_with(SDS_TEMPLATE, true).expect("SDS template")),
            Layout::Bud => Some(Template::parse(BUD_TEMPLATE).expect("BUD template")),
            Layout::Template(t) => Some(t.clone()),
            Layout::Files => None,
        }
    }
}

impl std::str::FromStr for Layout {
    type Err = Error;

    /// Parses a layout: `sds`, `bud`, `files`, a preset name of [`PRESETS`] or
    /// [`PUBLIC_PRESETS`] (any case), or a dataselect template containing `%` or `#` flags.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for anything else, or a template that
    /// [`Template::parse`] rejects.
    fn from_str(s: &str) -> Result<Self> {
        let text = s.trim();
        // A public preset's template as `Display` writes it (internal `%2n` syntax).
        if let Some((_, t)) = PUBLIC_PRESETS.iter().find(|(_, t)| *t == text) {
            return Ok(Layout::Template(Template::parse_with(t, true)?));
        }
        if text.contains('%') || text.contains('#') {
            return Ok(Layout::Template(Template::parse(text)?));
        }
        let lower = text.to_ascii_lowercase();
        match lower.as_str() {
            "sds" => return Ok(Layout::Sds),
            "bud" => return Ok(Layout::Bud),
            "files" => return Ok(Layout::Files),
            _ => {}
        }
        if let Some((_, t)) = PRESETS.iter().find(|(name, _)| *name == lower) {
            return Ok(Layout::Template(Template::parse(t)?));
        }
        if let Some((_, t)) = PUBLIC_PRESETS.iter().find(|(name, _)| *name == lower) {
            return Ok(Layout::Template(Template::parse_with(t, true)?));
        }
        let names: Vec<&str> = PRESETS
            .iter()
            .chain(PUBLIC_PRESETS)
            .map(|(n, _)| *n)
            .collect();
        Err(Error::invalid_argument(format!(
            "unknown archive layout {s:?}: expected sds, bud, files, {} or a dataselect \
             template with % flags such as %n/%s/%Y/%n.%s.%l.%c.%Y.%j",
            names.join(", ")
        )))
    }
}

impl fmt::Display for Layout {
    /// `sds`, `bud`, `files`, or the template text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layout::Sds => f.write_str("sds"),
            Layout::Bud => f.write_str("bud"),
            Layout::Template(t) => f.write_str(t.as_str()),
            Layout::Files => f.write_str("files"),
        }
    }
}

/// One file of an archive, as found by [`Archive::list_files`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArchiveFile {
    /// Full path: the archive root joined with `rel_path`.
    pub path: PathBuf,
    /// Path relative to the root, `/`-separated, as found (for [`Layout::Files`], names that
    /// are not UTF-8 are converted lossily here; `path` stays exact).
    pub rel_path: String,
    /// The stream named by the file name, when the layout names network, station,
    /// location and channel with defining flags (SDS, BUD, CHAN...); `None` otherwise
    /// (SDAY, CSS, [`Layout::Files`]).
    pub nslc: Option<Nslc>,
    /// Start of the file's time span in ns since 1970 UTC: 00:00 of its day for day files
    /// (SDS, BUD, CDAY...). For templates with a defining `%H` (hour files) it is the
    /// start of the hour, and so on for `%M`, `%S`, `%F`; for a year file (`%Y` without
    /// `%j`) the start of the year. `None` when the name gives no year.
    pub day_start_ns: Option<i64>,
    /// Length of the file's time span in ns (86 400 s for day files), `None` with
    /// `day_start_ns`.
    pub span_ns: Option<i64>,
    /// File size in bytes.
    pub size_bytes: u64,
    /// Last modification time in ns since 1970 UTC (0 when the platform does not give it).
    pub mtime_ns: i64,
    /// The ETag of an object of a bucket, as its LIST gave it (quotes included, as S3
    /// sends it); `None` for a local file. Re-indexing tells a changed object by ETag and
    /// size rather than by the modification time, and reads of its catalogue rows send it
    /// as `If-Match` (`docs/object-storage.md`).
    pub etag: Option<String>,
}

impl ArchiveFile {
    /// A file given by its path rather than found in an archive (scanning or reading
    /// explicit files): shown by its path as given, no stream or time span from its name,
    /// its current size (0 when it cannot be read).
    pub fn given(path: &Path) -> ArchiveFile {
        ArchiveFile {
            path: path.to_path_buf(),
            rel_path: path.to_string_lossy().into_owned(),
            nslc: None,
            day_start_ns: None,
            span_ns: None,
            size_bytes: fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            mtime_ns: 0,
            etag: None,
        }
    }
}

/// A file found by a walk, handed to the walk's `emit` function.
struct Found<'a> {
    path: PathBuf,
    rel_path: String,
    vals: &'a Values,
    meta: Option<fs::Metadata>,
    /// Size, modification time and ETag when known without metadata (objects of a
    /// bucket, from the LIST).
    sized: Option<(u64, i64, Option<String>)>,
}

/// What a walk does with each file it finds (`None`: drop it).
type Emit<'e, T> = dyn Fn(Found<'_>) -> Option<T> + Sync + 'e;

/// An archive: a root directory and a layout.
#[derive(Clone, Debug)]
pub struct Archive {
    root: PathBuf,
    layout: Layout,
    template: Option<Template>,
}

impl Archive {
    /// An archive at `root` with `layout`. Nothing is read until a listing. `root` is a
    /// directory (a `file://` URL is taken as its path) or, with the `objectstore`
    /// feature, a bucket prefix `s3://bucket/prefix` ([`store`]).
    pub fn new(root: impl Into<PathBuf>, layout: Layout) -> Self {
        let template = layout.template();
        let root: PathBuf = root.into();
        let root = match root.to_str().and_then(|s| s.strip_prefix("file://")) {
            Some(path) => PathBuf::from(path),
            None => root,
        };
        Archive {
            root,
            layout,
            template,
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the archive can be read: its root is an existing directory or a bucket
    /// prefix (`s3://`; a prefix without objects is an empty archive).
    #[cfg(feature = "update")]
    pub(crate) fn readable(&self) -> bool {
        self.root.is_dir() || store::is_object_url(&self.root)
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The files of the archive for a selection (empty = all streams) and an optional time
    /// window `[start_ns, end_ns)` (ns since 1970 UTC), sorted by path.
    ///
    /// With a window, the files whose time span intersects `[start_ns - 1 day, end_ns)` are
    /// listed: archives put a record in the file of its start time, so records of the
    /// previous day's file can spill over midnight into the window. Records that start more
    /// than one day before the window (very long records) are therefore not found unless
    /// the window is widened. Files whose names give no time (CHAN...) are always listed.
    ///
    /// A file is listed when its name is compatible with one of the selection's globs: the
    /// codes its name gives must match (codes it does not give, such as location and
    /// channel in SDAY, match anything). [`Layout::Files`] lists every regular, non-hidden
    /// file under the root, whatever the selection and window (its streams and times are
    /// only known after reading the records); it follows symbolic links to directories but
    /// never visits a directory twice, so link loops end.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `end_ns <= start_ns`; [`Error::Io`] naming the root
    /// when it is missing or unreadable, or naming the subdirectory or file that cannot be
    /// read (the listing stops there).
    pub fn list_files(
        &self,
        selection: &[NslcGlob],
        window: Option<(i64, i64)>,
    ) -> Result<Vec<ArchiveFile>> {
        if let Some((s, e)) = window {
            if e <= s {
                return Err(Error::invalid_argument(format!(
                    "time window end ({e} ns) must be after its start ({s} ns)"
                )));
            }
        }
        // Walks visit directory entries in name order, so the result is sorted by path.
        self.find(selection, window, true, &|f| Some(self.archive_file(f)))
    }

    /// The file at `path` as [`Archive::list_files`] (all streams, no window) would list it,
    /// or `None` when it would not be listed: not under the root, a name the layout does not
    /// give (or hidden), not a regular file, or gone. One file's name and metadata are
    /// read, nothing else (`siqaco watch` looks up each path the file system reports).
    pub fn file_at(&self, path: &Path) -> Option<ArchiveFile> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let names: Vec<&str> = rel
            .components()
            .map(|c| match c {
                Component::Normal(n) => n.to_str().filter(|n| !n.starts_with('.')),
                _ => None,
            })
            .collect::<Option<_>>()?;
        let mut vals = no_values();
        if let Some(t) = &self.template {
            if names.len() != t.components().len()
                || !names
                    .iter()
                    .enumerate()
                    .all(|(i, n)| t.match_component(i, n, &mut vals))
                || time_span(&vals).is_err()
            {
                return None;
            }
        }
        let meta = fs::metadata(path).ok().filter(|m| m.is_file())?;
        Some(self.archive_file(Found {
            path: path.to_path_buf(),
            rel_path: names.join("/"),
            vals: &vals,
            meta: Some(meta),
            sized: None,
        }))
    }

    /// The streams named by the archive's file names for a selection (empty = all), sorted
    /// and deduplicated. Only names are read, not records.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for [`Layout::Files`] and for templates that do not name
    /// all four codes with defining flags (SDAY, CSS...): their streams are only known
    /// after reading the records. [`Error::Io`] as for [`Archive::list_files`].
    pub fn discover_streams(&self, selection: &[NslcGlob]) -> Result<Vec<Nslc>> {
        match &self.template {
            Some(t) if t.names_streams() => {}
            _ => {
                return Err(Error::invalid_argument(format!(
                    "archive layout {} does not name network, station, location and channel \
                     in its file names: streams are only known after reading the records",
                    self.layout
                )))
            }
        }
        let mut streams: Vec<Nslc> = self.find(selection, None, false, &|f| {
            nslc_of(f.vals).filter(|n| selected(selection, n))
        })?;
        streams.sort();
        streams.dedup();
        Ok(streams)
    }

    /// Where the file of stream `nslc` for the time span starting at `day_start_ns` (ns
    /// since 1970 UTC; 00:00 of the day for day layouts) goes, as `root/...`.
    ///
    /// `quality` (`D`, `R`, `Q` or `M`) fills the `%q` flag and, translated to publication
    /// versions 1–4 as dataselect's `-Q` does, `%v`; SDS always writes TYPE `D`. Any time
    /// flag takes its value from `day_start_ns`, so a caller may pass the start time of the
    /// first record instead of the day start for templates with non-defining `#H:#M:#S`
    /// (CDAY, CSS), as dataselect names them. For such templates an existing file with the
    /// same defining values is returned if there is one, so that data of one day keeps
    /// going to one file.
    ///
    /// Only the lexical path is checked: symbolic links inside the root are trusted
    /// (operators use them to spread years over disks).
    ///
    /// # Errors
    /// [`Error::InvalidCode`] when a code is not allowed ([`Nslc::validate`]: `..`, `/`,
    /// spaces...), or when the name would have an empty or hidden component (for example a
    /// template starting with `%l` and an empty location); [`Error::InvalidArgument`] for
    /// [`Layout::Files`] (no naming rule), a bad `quality`, or a template flag that needs
    /// record values (`%L`, `%r`, `%R`); [`Error::Io`] if looking for an existing file
    /// fails.
    pub fn file_path(&self, nslc: &Nslc, day_start_ns: i64, quality: char) -> Result<PathBuf> {
        nslc.validate()?;
        if !matches!(quality, 'D' | 'R' | 'Q' | 'M') {
            return Err(Error::invalid_argument(format!(
                "data quality {quality:?} is not one of D, R, Q, M"
            )));
        }
        let Some(t) = &self.template else {
            return Err(Error::invalid_argument(
                "the 'files' archive layout has no file naming rule; choose sds, bud or a template",
            ));
        };
        let value = |flag: Flag, _defining: bool| value_for(flag, nslc, day_start_ns, quality);
        if t.has_non_defining() && self.root.is_dir() {
            let mut vals = no_values();
            for comp in t.components() {
                for item in comp {
                    if let template::Item::Field {
                        flag,
                        defining: true,
                    } = item
                    {
                        vals[*flag as usize] = Some(value(*flag, true)?);
                    }
                }
            }
            let walker = Walker {
                t,
                selection: &[],
                window: None,
                stat: false,
            };
            let found = walker.walk(&self.root, "", 0, &vals, &|f| Some(f.path))?;
            if let Some(first) = found.into_iter().next() {
                return Ok(first);
            }
        }
        let mut rel = PathBuf::new();
        for i in 0..t.components().len() {
            let c = t.format_component(i, &value)?;
            if c.is_empty() || c.starts_with('.') || c.contains(['/', '\\', '\0']) {
                return Err(Error::InvalidCode {
                    code: nslc.to_string(),
                    reason: format!(
                        "archive layout {} gives the path component {c:?} (empty, hidden or \
                         with a separator)",
                        self.layout
                    ),
                });
            }
            rel.push(c);
        }
        let path = self.root.join(&rel);
        if !rel.components().all(|c| matches!(c, Component::Normal(_)))
            || !path.starts_with(&self.root)
        {
            return Err(Error::InvalidCode {
                code: nslc.to_string(),
                reason: format!("{} would leave the archive root", rel.display()),
            });
        }
        Ok(path)
    }

    /// Walks the archive (entries of each directory in name order).
    fn find<T: Send>(
        &self,
        selection: &[NslcGlob],
        window: Option<(i64, i64)>,
        stat: bool,
        emit: &Emit<'_, T>,
    ) -> Result<Vec<T>> {
        if store::is_object_url(&self.root) {
            #[cfg(feature = "objectstore")]
            return store::find(self, selection, window, emit);
            #[cfg(not(feature = "objectstore"))]
            return store::normalize_root(&self.root).map(|_| Vec::new());
        }
        match &self.template {
            Some(t) => Walker {
                t,
                selection,
                window,
                stat,
            }
            .walk(&self.root, "", 0, &no_values(), emit),
            None => {
                let mut out = Vec::new();
                let mut visited = std::collections::HashSet::new();
                let id = fs::metadata(&self.root)
                    .and_then(|m| dir_id(&self.root, &m))
                    .map_err(|e| Error::io(&self.root, e))?;
                visited.insert(id);
                walk_files(&self.root, "", stat, &mut visited, &mut out, emit)?;
                Ok(out)
            }
        }
    }

    fn archive_file(&self, f: Found<'_>) -> ArchiveFile {
        let (nslc, span) = match &self.template {
            Some(t) => (
                if t.names_streams() {
                    nslc_of(f.vals)
                } else {
                    None
                },
                time_span(f.vals).ok().flatten(),
            ),
            None => (None, None),
        };
        let (size_bytes, mtime_ns, etag) = f
            .meta
            .as_ref()
            .map(|m| (m.len(), mtime_ns(m), None))
            .or(f.sized)
            .unwrap_or((0, 0, None));
        ArchiveFile {
            path: f.path,
            rel_path: f.rel_path,
            nslc,
            day_start_ns: span.map(|s| s.0),
            span_ns: span.map(|s| s.1 - s.0),
            size_bytes,
            mtime_ns,
            etag,
        }
    }
}

/// Checks that an archive root can be used before anything is created for it: a local
/// root (a path or `file://` URL) must exist; an `s3://` root must be a valid URL and
/// siqaco built with the `objectstore` feature (the bucket is only reached by listing).
///
/// # Errors
/// [`Error::Io`] naming a local root that cannot be read; as
/// [`store::ArchiveRoot::parse`] for a bad URL.
#[cfg(feature = "sqlite")]
pub(crate) fn check_root(root: &Path) -> Result<()> {
    let root = store::normalize_root(root)?;
    if !store::is_object_url(&root) {
        fs::metadata(&root).map_err(|e| Error::io(&root, e))?;
    }
    Ok(())
}

/// The absolute form of an archive root, as catalogue rows name its files: the canonical
/// path of a directory, or the `s3://` URL of a bucket prefix as it is.
///
/// # Errors
/// [`Error::Io`] naming the root when a local root cannot be resolved (missing...).
#[cfg(feature = "sqlite")]
pub(crate) fn absolute_root(root: &Path) -> Result<PathBuf> {
    if store::is_object_url(root) {
        return Ok(root.to_path_buf());
    }
    fs::canonicalize(root).map_err(|err| Error::io(root, err))
}

fn nslc_of(vals: &Values) -> Option<Nslc> {
    let get = |f: Flag| vals[f as usize].as_deref();
    Some(Nslc::new(
        get(Flag::Network)?,
        get(Flag::Station)?,
        get(Flag::Location)?,
        get(Flag::Channel)?,
    ))
}

fn mtime_ns(m: &fs::Metadata) -> i64 {
    match m.modified() {
        Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
        },
        Err(_) => 0,
    }
}

fn join_rel(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

/// Metadata of a directory entry, following symbolic links; `Ok(None)` when the target does
/// not exist (dangling link, or removed meanwhile). Entries that are not links are looked
/// up relative to their directory (`fstatat` on Linux), which is cheaper than a full path.
fn follow(entry: &fs::DirEntry, ft: fs::FileType, path: &Path) -> Result<Option<fs::Metadata>> {
    let m = if ft.is_symlink() {
        fs::metadata(path)
    } else {
        entry.metadata()
    };
    match m {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// A walk of a template layout with pruning.
struct Walker<'a> {
    t: &'a Template,
    selection: &'a [NslcGlob],
    window: Option<(i64, i64)>,
    stat: bool,
}

impl Walker<'_> {
    /// Whether names with the values bound so far can still lead to a listed file.
    fn keep(&self, vals: &Values) -> bool {
        if !self.selection.is_empty() {
            let ok = |pattern: &str, flag: Flag| {
                vals[flag as usize]
                    .as_deref()
                    .is_none_or(|v| glob_match(pattern, v))
            };
            if !self.selection.iter().any(|g| {
                ok(&g.network, Flag::Network)
                    && ok(&g.station, Flag::Station)
                    && ok(&g.location, Flag::Location)
                    && ok(&g.channel, Flag::Channel)
            }) {
                return false;
            }
        }
        match time_span(vals) {
            Err(()) => false,
            Ok(None) => true,
            Ok(Some((s, e))) => match self.window {
                None => true,
                Some((ws, we)) => s < we && e > ws.saturating_sub(NS_PER_DAY),
            },
        }
    }

    fn walk<T: Send>(
        &self,
        dir: &Path,
        rel: &str,
        depth: usize,
        vals: &Values,
        emit: &Emit<'_, T>,
    ) -> Result<Vec<T>> {
        let last = depth + 1 == self.t.components().len();
        let mut matched = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let os_name = entry.file_name();
            let Some(name) = os_name.to_str() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let mut v = vals.clone();
            if self.t.match_component(depth, name, &mut v) && self.keep(&v) {
                matched.push((name.to_string(), entry, v));
            }
        }
        matched.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::new();
        let mut subdirs = Vec::new();
        for (name, entry, v) in matched {
            let path = entry.path();
            let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
            let rel_path = join_rel(rel, &name);
            if last {
                let meta = if self.stat || ft.is_symlink() {
                    match follow(&entry, ft, &path)? {
                        Some(m) if m.is_file() => Some(m),
                        _ => continue,
                    }
                } else if ft.is_file() {
                    None
                } else {
                    continue;
                };
                let found = Found {
                    path,
                    rel_path,
                    vals: &v,
                    meta: if self.stat { meta } else { None },
                    sized: None,
                };
                out.extend(emit(found));
            } else {
                let is_dir = if ft.is_symlink() {
                    follow(&entry, ft, &path)?.is_some_and(|m| m.is_dir())
                } else {
                    ft.is_dir()
                };
                if is_dir {
                    subdirs.push((path, rel_path, v));
                }
            }
        }
        if !subdirs.is_empty() {
            let nested: Vec<Vec<T>> = subdirs
                .par_iter()
                .map(|(p, r, v)| self.walk(p, r, depth + 1, v, emit))
                .collect::<Result<_>>()?;
            out.extend(nested.into_iter().flatten());
        }
        Ok(out)
    }
}

#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

/// Identity of a directory (after following links), given its metadata: device and inode
/// on Unix, the canonical path elsewhere.
fn dir_id(path: &Path, meta: &fs::Metadata) -> std::io::Result<DirId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        Ok((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        path.canonicalize()
    }
}

/// Recursive walk of [`Layout::Files`], entries in name order.
fn walk_files<T>(
    dir: &Path,
    rel: &str,
    stat: bool,
    visited: &mut std::collections::HashSet<DirId>,
    out: &mut Vec<T>,
    emit: &Emit<'_, T>,
) -> Result<()> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        if !name.as_encoded_bytes().starts_with(b".") {
            entries.push((name, entry));
        }
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let no_vals = no_values();
    for (name, entry) in entries {
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        // Plain files need no stat unless their size is wanted.
        let meta = if ft.is_file() && !stat {
            None
        } else {
            match follow(&entry, ft, &path)? {
                Some(m) => Some(m),
                None => continue,
            }
        };
        let rel_path = join_rel(rel, &name.to_string_lossy());
        match meta {
            Some(m) if m.is_dir() => {
                let id = dir_id(&path, &m).map_err(|e| Error::io(&path, e))?;
                if visited.insert(id) {
                    walk_files(&path, &rel_path, stat, visited, out, emit)?;
                }
            }
            Some(m) if m.is_file() => out.extend(emit(Found {
                path,
                rel_path,
                vals: &no_vals,
                meta: Some(m),
                sized: None,
            })),
            Some(_) => {}
            None => out.extend(emit(Found {
                path,
                rel_path,
                vals: &no_vals,
                meta: None,
                sized: None,
            })),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
