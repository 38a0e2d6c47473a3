//! The import operations: another system's set-up as a `siqaco.toml` (docs/import.md).

use super::{require, Control};
use crate::error::Result;
use crate::import::ImportReport;
use std::path::PathBuf;

/// The catalogue an imported configuration names when the request does not say:
/// `siqaco.sqlite` beside the written file.
pub const DEFAULT_CATALOGUE: &str = "siqaco.sqlite";

/// Import a Morumotto set-up (`siqaco import morumotto`): its Django XML fixtures
/// (`setup` and `sources`, Morumotto's `setup.xml` and `sources.xml`) with its `nslc`
/// list, or a `manage.py dumpdata` JSON file (`dump`) of a running Morumotto, become the
/// `siqaco.toml` at `out`; from a dump, the open requests and gaps go into the request
/// stack of the catalogue the file names. The rules and the field-by-field mapping:
/// [`crate::import::morumotto`], docs/import.md.
///
/// ```no_run
/// # fn main() -> siqaco::Result<()> {
/// use siqaco::ops::{Control, ImportMorumottoRequest};
/// let mut request = ImportMorumottoRequest::new("siqaco.toml");
/// request.setup = Some("setup.xml".into());
/// request.sources = Some("sources.xml".into());
/// request.nslc = Some("nslc.list".into());
/// let report = request.run(&Control::new())?;
/// println!("{} streams, sources {:?}", report.streams.len(), report.sources);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ImportMorumottoRequest {
    /// Morumotto's `setup.xml` (a Django XML fixture holding `archive.configuration`);
    /// exclusive with `dump`.
    pub setup: Option<PathBuf>,
    /// Morumotto's `sources.xml` (`archive.source` objects); with `setup` only.
    pub sources: Option<PathBuf>,
    /// Morumotto's `nslc.list` (`NET|STA|LOC|CHA` lines): the streams; with a dump it
    /// replaces the configuration's NSLC list.
    pub nslc: Option<PathBuf>,
    /// A `manage.py dumpdata` JSON file (XML is accepted too); exclusive with `setup`.
    pub dump: Option<PathBuf>,
    /// The configuration file to write.
    pub out: PathBuf,
    /// Replace `out` when it exists (default false: an existing file is an error).
    pub force: bool,
    /// `catalogue.url` of the written file (default [`DEFAULT_CATALOGUE`], relative to
    /// `out`; a `postgresql://` URL is written as it is).
    pub catalogue: String,
}

impl ImportMorumottoRequest {
    /// A request writing `out`, every other field default (give `setup` or `dump`).
    pub fn new(out: impl Into<PathBuf>) -> Self {
        ImportMorumottoRequest {
            setup: None,
            sources: None,
            nslc: None,
            dump: None,
            out: out.into(),
            force: false,
            catalogue: DEFAULT_CATALOGUE.into(),
        }
    }

    /// Checks the fields.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`]: `setup` and `dump` both or neither given, `sources`
    /// without `setup`, an empty `out` or `catalogue`.
    pub fn validate(&self) -> Result<()> {
        require(self.setup.is_some() != self.dump.is_some(), "setup", || {
            "give setup (Morumotto's setup.xml, with sources and nslc) or dump (a dumpdata JSON file), one of them".into()
        })?;
        require(
            self.sources.is_none() || self.setup.is_some(),
            "sources",
            || "sources (sources.xml) goes with setup; a dump holds its sources".into(),
        )?;
        require(!self.out.as_os_str().is_empty(), "out", || {
            "must not be empty".into()
        })?;
        require(!self.catalogue.trim().is_empty(), "catalogue", || {
            "must not be empty".into()
        })
    }

    /// Runs the import.
    ///
    /// # Errors
    /// As [`ImportMorumottoRequest::validate`]; [`crate::Error::InvalidField`] `out` when
    /// it exists and `force` is not set; [`crate::Error::Config`] naming the input file,
    /// the object and the field for bad input (malformed or hostile XML, a missing field,
    /// an unknown plugin), or the key of the written file siqaco refuses; [`crate::Error::Io`];
    /// [`crate::Error::Database`] from the request stack.
    pub fn run(&self, _control: &Control) -> Result<ImportReport> {
        self.validate()?;
        crate::import::morumotto::import(self)
    }
}

/// Import a SeisComP slarchive set-up (`siqaco import seiscomp`): the key files of `keys`
/// (`etc/key`: `station_NET_STA` files binding `slarchive` or `slarchive:PROFILE`, the
/// bindings in `etc/key/slarchive/`) and an `inventory` (FDSN StationXML or SeisComP XML)
/// become the `[streams]` selection and the `[archive]` (the SDS root slarchive writes) of
/// the `siqaco.toml` at `out`. The rules: [`crate::import::seiscomp`], docs/import.md.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ImportSeiscompRequest {
    /// The key directory (`$SEISCOMP_ROOT/etc/key`).
    pub keys: PathBuf,
    /// An inventory: FDSN StationXML or SeisComP XML (`scxmldump`); without it the
    /// bindings' selectors are written as globs.
    pub inventory: Option<PathBuf>,
    /// The archive root; default: `archive` of `etc/slarchive.cfg` beside the key
    /// directory, else slarchive's default `$SEISCOMP_ROOT/var/lib/archive`.
    pub archive: Option<PathBuf>,
    /// The module whose bindings are read (default `slarchive`; an alias such as
    /// `slarchive2` has its own bindings).
    pub module: String,
    /// The configuration file to write.
    pub out: PathBuf,
    /// Replace `out` when it exists (default false).
    pub force: bool,
    /// `catalogue.url` of the written file (default [`DEFAULT_CATALOGUE`]).
    pub catalogue: String,
}

impl ImportSeiscompRequest {
    /// A request reading the key directory `keys` and writing `out`.
    pub fn new(keys: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        ImportSeiscompRequest {
            keys: keys.into(),
            inventory: None,
            archive: None,
            module: "slarchive".into(),
            out: out.into(),
            force: false,
            catalogue: DEFAULT_CATALOGUE.into(),
        }
    }

    /// Checks the fields.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`]: `keys` not a directory, an empty `out`, `module` or
    /// `catalogue`.
    pub fn validate(&self) -> Result<()> {
        require(self.keys.is_dir(), "keys", || {
            format!(
                "{} is not a directory (SeisComP's etc/key)",
                self.keys.display()
            )
        })?;
        require(!self.out.as_os_str().is_empty(), "out", || {
            "must not be empty".into()
        })?;
        require(
            !self.module.is_empty()
                && self
                    .module
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
            "module",
            || format!("{:?}: a SeisComP module name (slarchive)", self.module),
        )?;
        require(!self.catalogue.trim().is_empty(), "catalogue", || {
            "must not be empty".into()
        })
    }

    /// Runs the import.
    ///
    /// # Errors
    /// As [`ImportSeiscompRequest::validate`]; [`crate::Error::InvalidField`] `out` when it
    /// exists and `force` is not set; [`crate::Error::Config`] naming the file (and line)
    /// of a bad key file, binding or inventory; [`crate::Error::Io`].
    pub fn run(&self, _control: &Control) -> Result<ImportReport> {
        self.validate()?;
        crate::import::seiscomp::import(self)
    }
}
