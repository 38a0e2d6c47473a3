//! A small, defensive XML tree for the configuration files `siqaco import` reads (Django XML
//! fixtures, SeisComP XML inventories): well-formedness checked by quick-xml, no DOCTYPE
//! (so no entity can be declared, let alone expanded: "billion laughs" and external
//! entities are refused outright), bounded depth and size, errors naming the file, line and
//! column.

use crate::error::{Error, Result};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::path::Path;

/// Deepest nesting accepted (fixtures need 4 levels, SeisComP inventories about 10).
const MAX_DEPTH: usize = 64;
/// Largest file read (1 GiB): far above any configuration or inventory.
pub(crate) const MAX_BYTES: u64 = 1 << 30;

/// One element: its local name (namespace prefix dropped), attributes, children and the
/// text directly inside it (entity and character references resolved).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
    /// 1-based line of the start tag in its file.
    pub line: usize,
}

impl Element {
    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The children named `name`.
    pub fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a Element> + use<'a, 'n> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child named `name`.
    pub fn first(&self, name: &str) -> Option<&Element> {
        self.all(name).next()
    }
}

/// Reads `path` (at most [`MAX_BYTES`]).
///
/// # Errors
/// [`Error::Io`]; [`Error::Config`] naming the file for a file too large.
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_BYTES {
        return Err(Error::config(format!(
            "{}: {} bytes, more than the {MAX_BYTES} bytes accepted",
            path.display(),
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// 1-based line of byte `offset` of `bytes`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Parses the XML document `bytes` (UTF-8) read from `path` into its root element.
///
/// # Errors
/// [`Error::Config`] naming `path` and the line: malformed XML, a DOCTYPE, an undefined
/// entity, nesting deeper than 64 levels, text that is not UTF-8, no root element.
pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<Element> {
    let fail = |offset: usize, message: String| {
        Error::config(format!(
            "{}: line {}: {message}",
            path.display(),
            line_of(bytes, offset)
        ))
    };
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            fail(
                reader.error_position() as usize,
                format!("malformed XML: {e}"),
            )
        })?;
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(fail(pos, "malformed XML: a second root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(fail(
                        pos,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let name = {
                    let n = e.local_name();
                    let n: &str = n.as_ref();
                    n.to_string()
                };
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| fail(pos, format!("malformed attribute: {e}")))?;
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| fail(pos, format!("attribute value: {e}")))?;
                    attrs.push((
                        {
                            let n = a.key.local_name();
                            let n: &str = n.as_ref();
                            n.to_string()
                        },
                        value.into_owned(),
                    ));
                }
                stack.push(Element {
                    name,
                    attrs,
                    line: line_of(bytes, pos),
                    ..Element::default()
                });
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| fail(pos, "malformed XML: unexpected end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Empty(_) => unreachable!("expand_empty_elements is set"),
            Event::Text(t) => {
                let text = t.xml10_content();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(fail(pos, "text outside the root element".into())),
                }
            }
            Event::CData(t) => {
                let text = t.xml10_content();
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let resolved =
                    crate::stationxml::resolve_reference(&r).map_err(|m| fail(pos, m))?;
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&resolved);
                }
            }
            Event::DocType(_) => {
                return Err(fail(
                    pos,
                    "a DOCTYPE is not accepted (entities are never declared nor expanded)".into(),
                ))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => {
                if let Some(open) = stack.last() {
                    return Err(fail(
                        bytes.len(),
                        format!("unexpected end of file inside <{}>", open.name),
                    ));
                }
                return root.ok_or_else(|| fail(0, "no root element: empty or not XML".into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Element> {
        parse(s.as_bytes(), Path::new("t.xml"))
    }

    #[test]
    fn tree_and_refusals() {
        let e = p("<?xml version=\"1.0\"?>\n<a x=\"1&amp;2\"><b>t&lt;u</b><b/><![CDATA[c]]></a>")
            .unwrap();
        assert_eq!(e.attr("x"), Some("1&2"));
        assert_eq!(e.all("b").count(), 2);
        assert_eq!(e.first("b").unwrap().text, "t<u");
        assert_eq!(e.text, "c");
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n<a>&lol2;</a>";
        let err = p(laughs).unwrap_err().to_string();
        assert!(err.contains("t.xml: line 2: a DOCTYPE"), "{err}");
        assert!(p("<a>&xxe;</a>")
            .unwrap_err()
            .to_string()
            .contains("undefined entity"));
        assert!(p("<a><b></a>")
            .unwrap_err()
            .to_string()
            .contains("malformed XML"));
        assert!(p("<a>")
            .unwrap_err()
            .to_string()
            .contains("end of file inside <a>"));
        assert!(p("").unwrap_err().to_string().contains("no root element"));
        assert!(p("<a/><b/>")
            .unwrap_err()
            .to_string()
            .contains("second root"));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(p(&deep).unwrap_err().to_string().contains("deeper than 64"));
    }
}
