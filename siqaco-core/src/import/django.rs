//! Django serialisations of a Morumotto database: XML fixtures (`setup.xml`,
//! `sources.xml`: `<django-objects version="1.0"><object model="app.model" pk="N"><field
//! name="..." type="...">value</field>`, foreign keys as `rel="ManyToOneRel"` with the
//! primary key as text, many-to-many as `rel="ManyToManyRel"` with `<object pk="N"/>`
//! children, `<None/>` for NULL) and `manage.py dumpdata` JSON (`[{"model": "app.model",
//! "pk": N, "fields": {...}}]`, foreign keys as primary keys, many-to-many as lists).
//! Both become the same [`Object`]s; every accessor error names the file, the object and
//! the field.

use super::xml;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// One field value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// NULL (`<None/>`, `null`).
    Null,
    /// A scalar as text (numbers and booleans as written: `4096`, `True`, `true`).
    Text(String),
    /// A many-to-many list of primary keys (as text).
    List(Vec<String>),
}

/// One serialised model instance.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Object {
    /// The file it was read from (for errors).
    pub file: String,
    /// `app.model`, lower case (`archive.configuration`).
    pub model: String,
    /// The primary key as text.
    pub pk: String,
    /// Fields by name.
    pub fields: BTreeMap<String, Value>,
}

impl Object {
    /// The error of field `name` of this object: `FILE: MODEL pk=PK: field NAME: MESSAGE`.
    pub fn bad(&self, name: &str, message: impl std::fmt::Display) -> Error {
        Error::config(format!(
            "{}: {} pk={}: field {name}: {message}",
            self.file, self.model, self.pk
        ))
    }

    /// Whether field `name` is present (NULL included).
    pub fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The text of field `name`; `None` when absent or NULL.
    ///
    /// # Errors
    /// [`Error::Config`] for a list.
    pub fn opt_text(&self, name: &str) -> Result<Option<String>> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Text(t)) => Ok(Some(t.trim().to_string())),
            Some(Value::List(_)) => Err(self.bad(name, "a list where a value was expected")),
        }
    }

    /// The text of a required field.
    ///
    /// # Errors
    /// [`Error::Config`] when absent, NULL or a list.
    pub fn text(&self, name: &str) -> Result<String> {
        self.opt_text(name)?
            .ok_or_else(|| self.bad(name, "missing (required)"))
    }

    /// An integer field; `None` when absent or NULL.
    ///
    /// # Errors
    /// [`Error::Config`] when it is not an integer.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>> {
        self.opt_text(name)?
            .map(|t| {
                t.parse::<i64>()
                    .map_err(|_| self.bad(name, format!("{t:?} is not an integer")))
            })
            .transpose()
    }

    /// A required integer field.
    ///
    /// # Errors
    /// [`Error::Config`] when absent or not an integer.
    pub fn int(&self, name: &str) -> Result<i64> {
        self.opt_int(name)?
            .ok_or_else(|| self.bad(name, "missing (required)"))
    }

    /// A boolean field (`True`/`False` as Django's XML writes them, `true`/`false` in JSON,
    /// `1`/`0`); `None` when absent or NULL.
    ///
    /// # Errors
    /// [`Error::Config`] for another value.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>> {
        self.opt_text(name)?
            .map(|t| match t.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(self.bad(name, format!("{t:?} is not a boolean (True or False)"))),
            })
            .transpose()
    }

    /// A date-time field, ns: ISO 8601 in UTC (`Z`, `+00:00` or no offset, as Django writes
    /// with `USE_TZ`), or with another offset (RFC 3339, converted to UTC); `None` when
    /// absent or NULL.
    ///
    /// # Errors
    /// [`Error::Config`] when it is not a time.
    pub fn opt_time(&self, name: &str) -> Result<Option<i64>> {
        self.opt_text(name)?
            .map(|t| {
                crate::time::parse_time(&t).or_else(|e| {
                    chrono::DateTime::parse_from_rfc3339(&t)
                        .ok()
                        .and_then(|d| d.timestamp_nanos_opt())
                        .ok_or_else(|| self.bad(name, e))
                })
            })
            .transpose()
    }

    /// A many-to-many field: the primary keys (empty when absent or NULL).
    ///
    /// # Errors
    /// [`Error::Config`] for a scalar.
    pub fn list(&self, name: &str) -> Result<Vec<String>> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::List(v)) => Ok(v.clone()),
            Some(Value::Text(_)) => Err(self.bad(name, "a value where a list was expected")),
        }
    }
}

/// Reads a Django XML fixture or a `dumpdata` JSON file (chosen by its first
/// non-blank character: `<` or `[`).
///
/// # Errors
/// [`Error::Io`]; [`Error::Config`] naming the file (and line, or object) when it is not a
/// fixture.
pub(crate) fn read(path: &Path) -> Result<Vec<Object>> {
    let bytes = xml::read_limited(path)?;
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => from_xml(&bytes, path),
        Some(b'[') => from_json(&bytes, path),
        _ => Err(Error::config(format!(
            "{}: neither a Django XML fixture (<django-objects>) nor a dumpdata JSON list",
            path.display()
        ))),
    }
}

fn from_xml(bytes: &[u8], path: &Path) -> Result<Vec<Object>> {
    let root = xml::parse(bytes, path)?;
    let file = path.display().to_string();
    let at = |line: usize, m: String| Error::config(format!("{file}: line {line}: {m}"));
    if root.name != "django-objects" {
        return Err(at(
            root.line,
            format!(
                "root element <{}>, not <django-objects>: not a Django XML fixture",
                root.name
            ),
        ));
    }
    // The element `el` must be a <name> with the attribute `attr`: its value.
    let expect = |el: &xml::Element, name: &str, attr: &str| -> Result<String> {
        if el.name != name {
            return Err(at(
                el.line,
                format!("<{}> where <{name}> was expected", el.name),
            ));
        }
        el.attr(attr)
            .map(str::to_string)
            .ok_or_else(|| at(el.line, format!("<{name}> without a {attr} attribute")))
    };
    let mut out = Vec::new();
    for o in &root.children {
        let model = expect(o, "object", "model")?.to_ascii_lowercase();
        let pk = o.attr("pk").unwrap_or_default().to_string();
        let mut fields = BTreeMap::new();
        for f in &o.children {
            let name = expect(f, "field", "name")?;
            let value = if f.first("None").is_some() {
                Value::Null
            } else if f.attr("rel") == Some("ManyToManyRel") {
                Value::List(
                    f.all("object")
                        .map(|x| {
                            x.attr("pk").map(str::to_string).ok_or_else(|| {
                                at(x.line, format!("field {name}: <object> without pk"))
                            })
                        })
                        .collect::<Result<_>>()?,
                )
            } else if let Some(c) = f.children.first() {
                return Err(at(
                    c.line,
                    format!(
                        "field {name}: element <{}> inside (natural keys are not supported: dump with primary keys)",
                        c.name
                    ),
                ));
            } else {
                Value::Text(f.text.clone())
            };
            if fields.insert(name.clone(), value).is_some() {
                return Err(at(f.line, format!("field {name} given twice")));
            }
        }
        out.push(Object {
            file: file.clone(),
            model,
            pk,
            fields,
        });
    }
    Ok(out)
}

fn from_json(bytes: &[u8], path: &Path) -> Result<Vec<Object>> {
    let file = path.display().to_string();
    let bad = |m: String| Error::config(format!("{file}: {m}"));
    let doc: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let list = doc
        .as_array()
        .ok_or_else(|| bad("not a dumpdata list".into()))?;
    let scalar = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let model = item
            .get("model")
            .and_then(|m| m.as_str())
            .ok_or_else(|| bad(format!("object [{i}]: no \"model\"")))?
            .to_ascii_lowercase();
        let pk = item.get("pk").and_then(scalar).unwrap_or_default();
        let mut fields = BTreeMap::new();
        let raw = item
            .get("fields")
            .and_then(|f| f.as_object())
            .ok_or_else(|| {
                bad(format!(
                    "object [{i}] ({model} pk={pk}): no \"fields\" object"
                ))
            })?;
        for (name, v) in raw {
            let value = match v {
                serde_json::Value::Null => Value::Null,
                serde_json::Value::Array(a) => Value::List(
                    a.iter()
                        .map(|x| {
                            scalar(x).ok_or_else(|| {
                                bad(format!(
                                    "{model} pk={pk}: field {name}: natural keys are not supported (dump with primary keys)"
                                ))
                            })
                        })
                        .collect::<Result<_>>()?,
                ),
                v => Value::Text(scalar(v).ok_or_else(|| {
                    bad(format!("{model} pk={pk}: field {name}: an object where a value was expected"))
                })?),
            };
            fields.insert(name.clone(), value);
        }
        out.push(Object {
            file: file.clone(),
            model,
            pk,
            fields,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn xml_and_json_give_the_same_objects() {
        let d = tempfile::tempdir().unwrap();
        let x = write(
            d.path(),
            "s.xml",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<django-objects version=\"1.0\">\n\
             <object model=\"archive.Source\" pk=\"3\">\n\
             <field name=\"name\" type=\"CharField\">A &amp; B</field>\n\
             <field name=\"priority\" type=\"PositiveIntegerField\">2</field>\n\
             <field name=\"availability\" type=\"BooleanField\">False</field>\n\
             <field name=\"parameters\" type=\"CharField\"><None></None></field>\n\
             <field name=\"nslc\" rel=\"ManyToManyRel\" to=\"archive.nslc\"><object pk=\"1\"></object><object pk=\"7\"/></field>\n\
             </object></django-objects>\n",
        );
        let j = write(
            d.path(),
            "s.json",
            r#"[{"model": "archive.source", "pk": 3, "fields": {"name": "A & B", "priority": 2, "availability": false, "parameters": null, "nslc": [1, 7]}}]"#,
        );
        let a = read(&x).unwrap();
        let b = read(&j).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(
            a[0].fields,
            b[0].fields
                .iter()
                .map(|(k, v)| (
                    k.clone(),
                    match (k.as_str(), v) {
                        ("availability", _) => Value::Text("False".into()),
                        _ => v.clone(),
                    }
                ))
                .collect::<BTreeMap<_, _>>()
        );
        for o in [&a[0], &b[0]] {
            assert_eq!(o.model, "archive.source");
            assert_eq!(o.pk, "3");
            assert_eq!(o.text("name").unwrap(), "A & B");
            assert_eq!(o.int("priority").unwrap(), 2);
            assert_eq!(o.opt_bool("availability").unwrap(), Some(false));
            assert_eq!(o.opt_text("parameters").unwrap(), None);
            assert_eq!(o.list("nslc").unwrap(), ["1", "7"]);
            assert_eq!(o.opt_time("missing").unwrap(), None);
            let e = o.int("parameters").unwrap_err().to_string();
            assert!(
                e.contains("archive.source pk=3: field parameters: missing"),
                "{e}"
            );
            let e = o.opt_int("name").unwrap_err().to_string();
            assert!(
                e.contains("s.") && e.contains("field name: \"A & B\" is not an integer"),
                "{e}"
            );
        }
    }

    #[test]
    fn times_in_utc_or_with_an_offset() {
        let mut fields = BTreeMap::new();
        for (k, v) in [
            ("z", "2019-12-30T10:00:00.5Z"),
            ("naive", "2019-12-30T10:00:00.5"),
            ("plus1", "2019-12-30T11:00:00.5+01:00"),
            ("bad", "yesterday"),
        ] {
            fields.insert(k.to_string(), Value::Text(v.into()));
        }
        let o = Object {
            file: "db.json".into(),
            model: "archive.gap".into(),
            pk: "1".into(),
            fields,
        };
        let want = crate::time::parse_time("2019-12-30T10:00:00.5Z").unwrap();
        for k in ["z", "naive", "plus1"] {
            assert_eq!(o.opt_time(k).unwrap(), Some(want), "{k}");
        }
        let e = o.opt_time("bad").unwrap_err().to_string();
        assert!(e.contains("db.json: archive.gap pk=1: field bad"), "{e}");
    }

    #[test]
    fn hostile_or_wrong_files_are_refused_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        for (text, what) in [
            ("<!DOCTYPE x [<!ENTITY a SYSTEM \"file:///etc/passwd\">]><django-objects>&a;</django-objects>", "DOCTYPE"),
            ("<FDSNStationXML/>", "not a Django XML fixture"),
            ("<django-objects><object pk=\"1\"/></django-objects>", "without a model"),
            ("<django-objects><object model=\"a.b\"><field name=\"x\"><natural>k</natural></field></object></django-objects>", "natural keys"),
            ("[{\"model\": \"a.b\"}]", "no \"fields\""),
            ("[{\"model\": \"a.b\", \"fields\": {\"x\": [[\"k\"]]}}]", "natural keys"),
            ("{\"model\": 1}", "neither"),
            ("[1", "not JSON"),
        ] {
            let p = write(d.path(), "f", text);
            let e = read(&p).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Config);
            let e = e.to_string();
            assert!(e.contains(&p.display().to_string()) && e.contains(what), "{text}: {e}");
        }
    }
}
