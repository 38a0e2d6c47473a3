//! [`SourceSpec`]: where a source is, and the one factory that opens it.
//!
//! A source is named the same way wherever it comes from: `siqaco fetch --source TEXT` (and
//! the Python/C `source` argument) is parsed by [`SourceSpec`]'s `FromStr`, and an update's
//! `[[sources]]` table (`kind = "fdsn" | "archive" | "tsindex" | "program"`, see
//! `docs/configuration.md`) is read into the same type by
//! [`Config`](crate::update::config::Config). Both then open it with [`SourceSpec::open`],
//! which holds the checks every source kind needs before it is used (a program must exist).
//!
//! The serde form is the configuration's table: the tag `kind`, then the table's keys
//! (`url`; `path` and `layout`; `tsindex` and `path`; `command` and `connect_infos`).

use super::external::ExternalSource;
use super::fdsnws::{FdsnDataselect, FdsnOptions};
use super::local::{ArchiveSource, TsindexSource};
use super::{Source, SourceInfo};
use crate::archive::{Archive, Layout};
use crate::error::{Error, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a source is: the kinds of [`Source`] siqaco can fetch from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceSpec {
    /// An FDSN dataselect web service ([`FdsnDataselect`]): a server's base URL
    /// (`http://host:port`, the service path `/fdsnws/dataselect/1` is appended), the
    /// service URL, or a query URL (`.../query`, `.../queryauth`).
    Fdsn {
        /// The `http://` or `https://` URL.
        url: String,
    },
    /// Another archive on disk ([`ArchiveSource`]).
    Archive {
        /// The archive's root directory.
        path: PathBuf,
        /// Its layout (serde: the text [`Layout`]'s `FromStr` reads, e.g. `"sds"`).
        #[serde(with = "layout_text", default = "sds")]
        layout: Layout,
    },
    /// The files listed by a `tsindex` catalogue ([`TsindexSource`]).
    Tsindex {
        /// A SQLite file or a `postgresql://` URL (serde key `tsindex`).
        #[serde(rename = "tsindex")]
        catalogue: String,
        /// The root relative file names are resolved against (serde key `path`); `None`:
        /// the SQLite file's directory.
        #[serde(rename = "path", default)]
        root: Option<PathBuf>,
    },
    /// An external program with Morumotto's contract ([`ExternalSource`]).
    Program {
        /// The program.
        command: PathBuf,
        /// Passed to it as `--connect-infos=` (may be empty).
        #[serde(default)]
        connect_infos: String,
    },
}

fn sds() -> Layout {
    Layout::Sds
}

/// Serde of a [`Layout`] as its text (`Display` / `FromStr`).
mod layout_text {
    use crate::archive::Layout;

    pub(super) fn serialize<S: serde::Serializer>(
        l: &Layout,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(l)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Layout, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for SourceSpec {
    type Err = Error;

    /// Reads a command-line source (`siqaco fetch --source`), by these rules in this order:
    ///
    /// * `http://…` or `https://…`: [`SourceSpec::Fdsn`];
    /// * `program:PATH[?CONNECT-INFOS]`: [`SourceSpec::Program`] (connect-infos after the
    ///   first `?`, empty when there is none);
    /// * a `postgresql://` (or `postgres://`) URL, or the path of an existing file:
    ///   [`SourceSpec::Tsindex`] (relative file names resolved against the file's
    ///   directory);
    /// * the path of an existing directory: [`SourceSpec::Archive`] in
    ///   [`Layout::Sds`] (see [`SourceSpec::with_layout`]).
    ///
    /// The file system is looked at for the last two rules.
    ///
    /// # Errors
    /// [`Error::Io`] (not found) when the text is none of these: not an http(s) URL and
    /// neither a directory nor a file.
    fn from_str(spec: &str) -> Result<Self> {
        if spec.starts_with("http://") || spec.starts_with("https://") {
            return Ok(SourceSpec::Fdsn {
                url: spec.to_string(),
            });
        }
        if let Some(rest) = spec.strip_prefix("program:") {
            let (prog, infos) = rest.split_once('?').unwrap_or((rest, ""));
            return Ok(SourceSpec::Program {
                command: PathBuf::from(prog),
                connect_infos: infos.to_string(),
            });
        }
        let root = Path::new(spec);
        if crate::index::is_postgres_url(spec) || root.is_file() {
            return Ok(SourceSpec::Tsindex {
                catalogue: spec.to_string(),
                root: None,
            });
        }
        if !root.is_dir() {
            return Err(Error::io(
                root,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "neither an archive root (directory) nor a tsindex catalogue (file), and not an http(s) URL",
                ),
            ));
        }
        Ok(SourceSpec::Archive {
            path: root.to_path_buf(),
            layout: Layout::Sds,
        })
    }
}

impl fmt::Display for SourceSpec {
    /// The command-line text of the source (what `FromStr` reads back, but for an
    /// archive's layout and a tsindex catalogue's root, which the text cannot carry).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Fdsn { url } => f.write_str(url),
            SourceSpec::Archive { path, .. } => write!(f, "{}", path.display()),
            SourceSpec::Tsindex { catalogue, .. } => f.write_str(catalogue),
            SourceSpec::Program {
                command,
                connect_infos,
            } if connect_infos.is_empty() => write!(f, "program:{}", command.display()),
            SourceSpec::Program {
                command,
                connect_infos,
            } => write!(f, "program:{}?{connect_infos}", command.display()),
        }
    }
}

impl SourceSpec {
    /// The same source with `layout` when it is an archive (`siqaco fetch --source-layout`);
    /// other kinds are returned unchanged.
    pub fn with_layout(self, layout: Layout) -> Self {
        match self {
            SourceSpec::Archive { path, .. } => SourceSpec::Archive { path, layout },
            other => other,
        }
    }

    /// Opens the source, named and limited by `info`. An FDSN service gets `fdsn`; a
    /// program is killed after `fdsn.timeout` (the deadline of one run); archives and
    /// catalogues use neither.
    ///
    /// # Errors
    /// [`Error::Source`] naming `info.name` when a program does not exist (no regular file
    /// at `command`); as [`FdsnDataselect::new`] ([`Error::InvalidArgument`] for a bad URL)
    /// and [`TsindexSource::new`] ([`Error::Database`] when a file is not a `tsindex`
    /// catalogue).
    pub fn open(&self, info: SourceInfo, fdsn: FdsnOptions) -> Result<Box<dyn Source>> {
        Ok(match self {
            SourceSpec::Fdsn { url } => Box::new(FdsnDataselect::new(info, url, fdsn)?),
            SourceSpec::Archive { path, layout } => {
                Box::new(ArchiveSource::new(info, Archive::new(path, layout.clone())))
            }
            SourceSpec::Tsindex { catalogue, root } => {
                Box::new(TsindexSource::new(info, catalogue, root.clone())?)
            }
            SourceSpec::Program {
                command,
                connect_infos,
            } => {
                if !command.is_file() {
                    return Err(Error::Source {
                        source_name: info.name,
                        message: format!("program {} does not exist", command.display()),
                    });
                }
                Box::new(ExternalSource::new(
                    info,
                    command,
                    connect_infos.clone(),
                    fdsn.timeout,
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_sniffing() {
        let p = |s: &str| s.parse::<SourceSpec>();
        assert_eq!(
            p("https://h/fdsnws/dataselect/1/query").unwrap(),
            SourceSpec::Fdsn {
                url: "https://h/fdsnws/dataselect/1/query".into()
            }
        );
        assert_eq!(
            p("program:/bin/x?a=b?c").unwrap(),
            SourceSpec::Program {
                command: "/bin/x".into(),
                connect_infos: "a=b?c".into()
            }
        );
        assert_eq!(
            p("postgresql://u@h/db").unwrap(),
            SourceSpec::Tsindex {
                catalogue: "postgresql://u@h/db".into(),
                root: None
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(
            p(d).unwrap().with_layout(Layout::Bud),
            SourceSpec::Archive {
                path: dir.path().into(),
                layout: Layout::Bud
            }
        );
        let file = dir.path().join("cat.sqlite");
        std::fs::write(&file, b"").unwrap();
        let f = file.to_str().unwrap();
        assert_eq!(
            p(f).unwrap(),
            SourceSpec::Tsindex {
                catalogue: f.into(),
                root: None
            }
        );
        let missing = dir.path().join("missing");
        let e = p(missing.to_str().unwrap()).unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
        for text in ["https://h:8", "program:/bin/x", "program:/bin/x?k=v", d, f] {
            assert_eq!(p(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn serde_form_is_the_configuration_table() {
        let s: SourceSpec =
            serde_json::from_str(r#"{"kind":"archive","path":"/a","layout":"bud"}"#).unwrap();
        assert_eq!(
            s,
            SourceSpec::Archive {
                path: "/a".into(),
                layout: Layout::Bud
            }
        );
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"kind":"archive","path":"/a","layout":"bud"}"#
        );
        let t: SourceSpec =
            serde_json::from_str(r#"{"kind":"tsindex","tsindex":"c.sqlite"}"#).unwrap();
        assert_eq!(
            t,
            SourceSpec::Tsindex {
                catalogue: "c.sqlite".into(),
                root: None
            }
        );
        assert!(serde_json::from_str::<SourceSpec>(r#"{"kind":"ftp","url":"x"}"#).is_err());
        assert!(serde_json::from_str::<SourceSpec>(
            r#"{"kind":"archive","path":"/a","layout":"nope"}"#
        )
        .is_err());
    }

    #[test]
    fn a_missing_program_is_refused_when_opened() {
        let spec: SourceSpec = "program:/nonexistent/siqaco-program".parse().unwrap();
        let e = spec
            .open(SourceInfo::new("p"), FdsnOptions::default())
            .err()
            .unwrap();
        match e {
            Error::Source {
                source_name,
                message,
            } => assert_eq!(
                (source_name.as_str(), message.as_str()),
                ("p", "program /nonexistent/siqaco-program does not exist")
            ),
            e => panic!("{e}"),
        }
    }
}
