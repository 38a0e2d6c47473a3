//! The `application.wadl` of every service (FDSN Web Service Specifications 1.2: each
//! service describes the parameters it accepts in WADL, and clients such as ObsPy's read it
//! to learn them): one builder, each service giving its resources and parameters.

/// A query parameter: its name, XSD type, default, allowed values and description.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// The parameter's (long) name.
    pub name: &'static str,
    /// Its XSD type (`xsd:dateTime`, `xsd:string`, `xsd:float`...).
    pub kind: &'static str,
    /// Its default, when it has one.
    pub default: Option<&'static str>,
    /// The values allowed, when they are a list.
    pub options: &'static [&'static str],
    /// What it does (empty: no `<doc>`).
    pub doc: &'static str,
}

impl Param {
    /// A parameter of type `kind` without default, options or description.
    pub const fn new(name: &'static str, kind: &'static str) -> Self {
        Param {
            name,
            kind,
            default: None,
            options: &[],
            doc: "",
        }
    }

    /// The same with a default.
    pub const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }

    /// The same with its allowed values.
    pub const fn options(mut self, values: &'static [&'static str]) -> Self {
        self.options = values;
        self
    }

    /// The same with a description.
    pub const fn doc(mut self, text: &'static str) -> Self {
        self.doc = text;
        self
    }
}

/// The selection parameters every service takes.
pub const SELECTION: &[Param] = &[
    Param::new("starttime", "xsd:dateTime").doc("Start of the window (UTC); alias start."),
    Param::new("endtime", "xsd:dateTime").doc("End of the window (UTC); alias end."),
    Param::new("network", "xsd:string").doc("Network codes, comma list with * and ?; alias net."),
    Param::new("station", "xsd:string").doc("Station codes; alias sta."),
    Param::new("location", "xsd:string").doc("Location codes, -- for the blank one; alias loc."),
    Param::new("channel", "xsd:string").doc("Channel codes; alias cha."),
];

/// `nodata`, which every service takes.
pub const NODATA: Param = Param::new("nodata", "xsd:int")
    .default("204")
    .options(&["204", "404"]);

/// A resource answering GET with `params` and POST with a text body: its path, a
/// description, its parameters and the media types of a 200 answer.
#[derive(Clone, Debug)]
pub struct Resource<'a> {
    /// The path under the service's base (`query`, `queryauth`, `extent`).
    pub path: &'a str,
    /// What it does (empty: no `<doc>`).
    pub doc: &'a str,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// The media types of a 200 answer.
    pub media: &'a [&'a str],
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn param(p: &Param) -> String {
    let default = p
        .default
        .map(|d| format!(" default=\"{}\"", escape(d)))
        .unwrap_or_default();
    let mut inner: String = p
        .options
        .iter()
        .map(|o| format!("<option value=\"{}\"/>", escape(o)))
        .collect();
    if !p.doc.is_empty() {
        inner = format!("<doc>{}</doc>{inner}", escape(p.doc));
    }
    let head = format!(
        "          <param name=\"{}\" style=\"query\" type=\"{}\"{default}",
        p.name, p.kind
    );
    if inner.is_empty() {
        format!("{head}/>\n")
    } else {
        format!("{head}>{inner}</param>\n")
    }
}

/// The WADL document of the service at `base` (`/fdsnws/dataselect/1/`) titled `title`:
/// its `resources`, then `version` and `application.wadl`. Errors are answered as
/// `text/plain` FDSN documents with the statuses the server uses.
pub fn document(title: &str, base: &str, resources: &[Resource<'_>]) -> String {
    let errors = "        <response status=\"204 400 401 404 413 500 503\">\
<representation mediaType=\"text/plain\"/></response>\n";
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<application xmlns=\"http://wadl.dev.java.net/2009/02\" \
xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n  <doc title=\"{}\"/>\n  \
<resources base=\"{}\">\n",
        escape(title),
        escape(base)
    );
    for r in resources {
        let ok: String = r
            .media
            .iter()
            .map(|m| format!("<representation mediaType=\"{m}\"/>"))
            .collect();
        let doc = if r.doc.is_empty() {
            String::new()
        } else {
            format!("<doc>{}</doc>", escape(r.doc))
        };
        let params: String = r.params.iter().map(param).collect();
        out.push_str(&format!(
            "    <resource path=\"{path}\">\n      <method name=\"GET\" id=\"{path}\">{doc}\n        \
<request>\n{params}        </request>\n        <response status=\"200\">{ok}</response>\n{errors}      \
</method>\n      <method name=\"POST\" id=\"{path}Post\">{doc}\n        <request>\
<representation mediaType=\"text/plain\"/></request>\n        <response status=\"200\">{ok}\
</response>\n{errors}      </method>\n    </resource>\n",
            path = escape(r.path),
        ));
    }
    out.push_str(
        "    <resource path=\"version\">\n      <method name=\"GET\"><response>\
<representation mediaType=\"text/plain\"/></response></method>\n    </resource>\n    \
<resource path=\"application.wadl\">\n      <method name=\"GET\"><response>\
<representation mediaType=\"application/xml\"/></response></method>\n    </resource>\n  \
</resources>\n</application>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_with_its_parameters() {
        let mut params = SELECTION.to_vec();
        params.push(
            Param::new("level", "xsd:string")
                .default("station")
                .options(&["a&b", "c"]),
        );
        params.push(NODATA);
        let doc = document(
            "t",
            "/fdsnws/x/1/",
            &[Resource {
                path: "query",
                doc: "",
                params,
                media: &["application/xml", "text/plain"],
            }],
        );
        assert!(doc.contains(
            "<param name=\"level\" style=\"query\" type=\"xsd:string\" default=\"station\">\
<option value=\"a&amp;b\"/><option value=\"c\"/></param>"
        ));
        assert!(doc.contains("<resources base=\"/fdsnws/x/1/\">"));
        assert_eq!(doc.matches("<param name=").count(), 8);
        assert_eq!(doc.matches("<method name=\"POST\"").count(), 1);
        assert!(doc.contains("<resource path=\"application.wadl\">"));
    }
}
