//! Moving in: `siqaco import morumotto` and `siqaco import seiscomp` (docs/import.md).
//!
//! Each importer reads another system's set-up and writes a `siqaco.toml`
//! (docs/configuration.md) that [`Config`](crate::update::config::Config) accepts: every
//! value is written through the `toml` crate (quoted and escaped), every field of the
//! other system that has no siqaco equivalent is listed in a comment of the file with why,
//! and the file is parsed back with the configuration parser before it is written
//! (atomically, never over an existing file unless asked). The operations are
//! [`ImportMorumottoRequest`](crate::ops::ImportMorumottoRequest) and
//! [`ImportSeiscompRequest`](crate::ops::ImportSeiscompRequest).
//!
//! - [`morumotto`]: Morumotto's Django fixtures (`setup.xml`, `sources.xml`), its
//!   `nslc.list`, or a `manage.py dumpdata` JSON of a running instance (whose open requests
//!   and gaps go into the request stack, [`crate::update::stack`]).
//! - [`seiscomp`]: slarchive key files and bindings plus an inventory (FDSN StationXML or
//!   SeisComP XML) → `[streams]` and the `[archive]` slarchive writes.

pub(crate) mod django;
pub mod morumotto;
pub mod seiscomp;
pub(crate) mod xml;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A field of the imported set-up that has no siqaco equivalent: listed in a comment of
/// the written file and in the report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Unmapped {
    /// Where it comes from, in the other system's terms (`archive.configuration.crontime`,
    /// `slarchive binding keep`).
    pub field: String,
    /// Its value as written there.
    pub value: String,
    /// Why siqaco has no equivalent, or what replaces it.
    pub why: String,
}

/// What an import did; serialises to the JSON document of `siqaco import ... --format
/// json` (keys in this order).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ImportReport {
    /// The configuration file written.
    pub written: PathBuf,
    /// The streams the file selects (exact codes or globs as written to
    /// `streams.select`), sorted.
    pub streams: Vec<String>,
    /// Multiplexed stations (`NET.STA`) written to `streams.multiplexed`.
    pub multiplexed: Vec<String>,
    /// The sources written, in priority order (their `name`).
    pub sources: Vec<String>,
    /// Requests put into the request stack of the file's catalogue (Morumotto dumps only).
    pub requests_imported: u64,
    /// The catalogue the requests went to, when any did.
    pub catalogue: Option<String>,
    /// Things the user should check (a source written as a comment, a value adjusted...).
    pub warnings: Vec<String>,
    /// Fields with no siqaco equivalent (also listed in the file).
    pub unmapped: Vec<Unmapped>,
}

/// A comment line's text: control characters (line breaks included) become spaces, so a
/// value quoted in a comment can never end the comment.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A TOML document written key by key with comments; every value goes through
/// `toml::Value`'s writer, keys are the fixed names of docs/configuration.md.
#[derive(Default)]
pub(crate) struct TomlText {
    text: String,
}

impl TomlText {
    /// `# text` (one comment line per line of `text`; control characters made spaces).
    pub fn comment(&mut self, text: &str) {
        for line in text.lines() {
            let line = comment_text(line);
            if line.is_empty() {
                self.text.push_str("#\n");
            } else {
                self.text.push_str("# ");
                self.text.push_str(&line);
                self.text.push('\n');
            }
        }
    }

    /// An empty line.
    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    /// `[name]` (or `[[name]]` when `array`).
    pub fn table(&mut self, name: &str, array: bool) {
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            self.text.push('\n');
        }
        if array {
            self.text.push_str(&format!("[[{name}]]\n"));
        } else {
            self.text.push_str(&format!("[{name}]\n"));
        }
    }

    /// `key = value`, with `# note` after it when given.
    pub fn kv(&mut self, key: &str, value: impl Into<toml::Value>, note: Option<&str>) {
        let v: toml::Value = value.into();
        self.text.push_str(key);
        self.text.push_str(" = ");
        self.text.push_str(&v.to_string());
        if let Some(n) = note {
            self.text.push_str("  # ");
            self.text.push_str(&comment_text(n));
        }
        self.text.push('\n');
    }

    /// `key = value` commented out (a suggestion the user may enable).
    pub fn commented_kv(&mut self, key: &str, value: impl Into<toml::Value>) {
        let v: toml::Value = value.into();
        self.comment(&format!("{key} = {v}"));
    }

    /// A list of strings.
    pub fn list(&mut self, key: &str, items: &[String], note: Option<&str>) {
        let v = toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect());
        self.kv(key, v, note);
    }

    /// The comment block listing `unmapped`.
    pub fn unmapped(&mut self, heading: &str, unmapped: &[Unmapped]) {
        if unmapped.is_empty() {
            return;
        }
        self.blank();
        self.comment(heading);
        for u in unmapped {
            self.comment(&format!("  {} = {}: {}", u.field, u.value, u.why));
        }
    }

    /// The document.
    pub fn into_string(self) -> String {
        self.text
    }
}

/// Checks `text` with the configuration parser (relative paths against `out`'s directory)
/// before anything is written: `out` must not exist unless `force`. Returns the parsed
/// configuration.
///
/// # Errors
/// [`Error::InvalidField`] `out` when the file exists and `force` is not set;
/// [`Error::Config`] when the text is refused (a value of the imported set-up siqaco cannot
/// use: the key is named).
pub(crate) fn check_config(
    text: &str,
    out: &Path,
    force: bool,
) -> Result<crate::update::config::Config> {
    if !force && (out.exists() || out.is_symlink()) {
        return Err(Error::field(
            "out",
            format!(
                "{} exists; it is replaced only with force (--force)",
                out.display()
            ),
        ));
    }
    let base = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    crate::update::config::Config::from_str_in(text, base).map_err(|e| match e {
        Error::Config { message, source } => Error::Config {
            message: format!("the imported configuration is refused: {message}"),
            source,
        },
        e => e,
    })
}

/// Writes the checked `text` to `out` atomically
/// ([`crate::archive::write_atomic`]: a temporary file renamed over it).
///
/// # Errors
/// [`Error::Io`].
pub(crate) fn write_checked(text: &str, out: &Path) -> Result<()> {
    crate::archive::write_atomic(out, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_comments_cannot_break_the_document() {
        let mut t = TomlText::default();
        t.comment("a\nb = 1");
        t.table("archive", false);
        t.kv(
            "path",
            "x\"\n[serve]\nbind = \"0.0.0.0:1\"",
            Some("note\n[x]"),
        );
        t.list("select", &["A\\B".into()], None);
        let text = t.into_string();
        let v: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(
            v["archive"]["path"].as_str(),
            Some("x\"\n[serve]\nbind = \"0.0.0.0:1\"")
        );
        assert_eq!(v["archive"]["select"][0].as_str(), Some("A\\B"));
    }
}
