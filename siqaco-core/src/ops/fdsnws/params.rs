//! The parameters of an FDSN web service request, GET or POST, parsed once for every service
//! (dataselect, availability, station).
//!
//! Rules (FDSN Web Service Specifications 1.2, "Service parameters" and "POST requests"):
//!
//! - Parameter names are matched case-insensitively; each service lists the names it
//!   accepts (a [`ParamSpec`] table with the long name first and its aliases, e.g.
//!   `starttime`/`start`); any other name is refused with a 400, naming it.
//! - A parameter given twice (under either of its names) is refused.
//! - `network`, `station`, `location`, `channel` take comma lists of codes with `*` and `?`;
//!   `--` (or an empty value) is the blank location. A GET request's selection is the cross
//!   product of the four lists, bounded by [`MAX_SELECTION_STREAMS`].
//! - A POST body is `key=value` lines, then one `NET STA LOC CHA START END` line per
//!   selection; blank lines and lines starting with `#` are skipped. The selection
//!   parameters are not allowed as `key=value` lines. `*` as a time (station service) is
//!   an open end.
//! - Times are UTC (`YYYY-MM-DDTHH:MM:SS[.ffffff]`, a date alone, with or without `Z`):
//!   [`crate::time::parse_time`].
//!
//! Every refusal is [`Error::InvalidField`] whose field is the parameter's long name (for a
//! POST selection line: `line N`), so the HTTP server answers 400 naming it.

use crate::error::{Error, Result};
use crate::sid::NslcGlob;
use std::collections::BTreeMap;

/// Most streams one GET selection may expand to (the product of the four code lists).
pub const MAX_SELECTION_STREAMS: usize = 10_000;

/// Longest code list item, characters (a channel glob such as `B??` is 3; codes are at most
/// 8 in the FDSN source identifier).
const MAX_CODE_LEN: usize = 16;

/// A parameter a service accepts: its long name (the one errors use) and its aliases, all
/// lower case.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// The long name (`starttime`).
    pub name: &'static str,
    /// Other names for it (`start`).
    pub aliases: &'static [&'static str],
}

impl ParamSpec {
    /// A parameter without aliases.
    pub const fn new(name: &'static str) -> Self {
        ParamSpec { name, aliases: &[] }
    }

    /// A parameter with aliases.
    pub const fn with_aliases(name: &'static str, aliases: &'static [&'static str]) -> Self {
        ParamSpec { name, aliases }
    }

    fn answers_to(&self, lower: &str) -> bool {
        self.name == lower || self.aliases.contains(&lower)
    }
}

/// The selection parameters every service shares.
pub const SELECTION_PARAMS: &[ParamSpec] = &[
    ParamSpec::with_aliases("starttime", &["start"]),
    ParamSpec::with_aliases("endtime", &["end"]),
    ParamSpec::with_aliases("network", &["net"]),
    ParamSpec::with_aliases("station", &["sta"]),
    ParamSpec::with_aliases("location", &["loc"]),
    ParamSpec::with_aliases("channel", &["cha"]),
];

/// One selection: the streams (globs) and an optional window `[start_ns, end_ns)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectionLine {
    /// The selected streams, each a glob (never empty).
    pub streams: Vec<NslcGlob>,
    /// Start of the window, ns since 1970 UTC; `None` = open.
    pub start_ns: Option<i64>,
    /// End of the window, ns; `None` = open.
    pub end_ns: Option<i64>,
}

/// A parsed request: the service's own parameters by long name, and the selection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdsnQuery {
    /// Parameters other than the selection, by long name, as given (not yet typed: each
    /// service's request reads them with [`FdsnQuery::take`] and its typed readers).
    pub params: BTreeMap<&'static str, String>,
    /// The selection lines: one for a GET request, one per line of a POST body. A request
    /// without any selection parameter has one line selecting every stream, unbounded.
    pub lines: Vec<SelectionLine>,
}

fn find(spec: &[ParamSpec], lower: &str) -> Option<&'static str> {
    SELECTION_PARAMS
        .iter()
        .chain(spec)
        .find(|p| p.answers_to(lower))
        .map(|p| p.name)
}

fn is_selection(name: &str) -> bool {
    SELECTION_PARAMS.iter().any(|p| p.name == name)
}

/// Splits a comma list of codes for `field`, each checked (`[A-Za-z0-9_*?-]`, at most
/// 16 characters); for `location`, `--` and an empty item are the blank location.
fn code_list(field: &str, text: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        let code = if field == "location" && (item == "--" || item.is_empty()) {
            String::new()
        } else {
            if item.is_empty() {
                return Err(Error::field(field, "empty code in the list"));
            }
            if item.len() > MAX_CODE_LEN {
                return Err(Error::field(
                    field,
                    format!("code {item:?} is longer than {MAX_CODE_LEN} characters"),
                ));
            }
            if let Some(c) = item
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '?')))
            {
                return Err(Error::field(
                    field,
                    format!("code {item:?}: character {c:?} is not allowed"),
                ));
            }
            item.to_string()
        };
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// Parses the time `text` of parameter `field`; `*` is `None` (open) when `star_is_open`.
pub(crate) fn time(field: &str, text: &str, star_is_open: bool) -> Result<Option<i64>> {
    let text = text.trim();
    if star_is_open && text == "*" {
        return Ok(None);
    }
    crate::time::parse_time(text).map(Some).map_err(|_| {
        Error::field(
            field,
            format!("{text:?} is not a UTC time (YYYY-MM-DDTHH:MM:SS[.ffffff])"),
        )
    })
}

fn check_window(start: Option<i64>, end: Option<i64>) -> Result<()> {
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(Error::field(
                "endtime",
                "the end time is not after the start time",
            ));
        }
    }
    Ok(())
}

/// The cross product of the four code lists as globs.
fn globs(lists: [&[String]; 4]) -> Result<Vec<NslcGlob>> {
    let count = lists.iter().map(|l| l.len()).product::<usize>();
    if count > MAX_SELECTION_STREAMS {
        return Err(Error::field(
            "network",
            format!(
                "the code lists select {count} combinations, more than {MAX_SELECTION_STREAMS}"
            ),
        ));
    }
    let mut out = Vec::with_capacity(count);
    for n in lists[0] {
        for s in lists[1] {
            for l in lists[2] {
                for c in lists[3] {
                    out.push(NslcGlob {
                        network: n.clone(),
                        station: s.clone(),
                        location: l.clone(),
                        channel: c.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// How [`FdsnQuery::from_post`]'s refusal of a body over its selection line limit begins.
const OVER_LINE_LIMIT: &str = "more than";

/// Whether `e` is [`FdsnQuery::from_post`]'s refusal of a body with more selection lines
/// than allowed (the server answers it with 413, "request too large", not 400).
pub fn is_over_line_limit(e: &Error) -> bool {
    matches!(e, Error::InvalidField { field, message }
        if field.starts_with("line ") && message.starts_with(OVER_LINE_LIMIT)
            && message.ends_with(" selection lines"))
}

impl FdsnQuery {
    /// Parses the `key=value` pairs of a GET request (already percent-decoded) against the
    /// service's parameters `spec` (its own; [`SELECTION_PARAMS`] are always accepted).
    ///
    /// # Errors
    /// [`Error::InvalidField`]: an unknown or repeated parameter, a bad code or time, an
    /// end not after the start, a selection over [`MAX_SELECTION_STREAMS`].
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: &[(K, V)],
        spec: &[ParamSpec],
    ) -> Result<FdsnQuery> {
        let mut all: BTreeMap<&'static str, String> = BTreeMap::new();
        for (k, v) in pairs {
            let (k, v) = (k.as_ref(), v.as_ref());
            let lower = k.trim().to_ascii_lowercase();
            let Some(name) = find(spec, &lower) else {
                return Err(Error::field(lower, "unknown parameter"));
            };
            if all.insert(name, v.trim().to_string()).is_some() {
                return Err(Error::field(name, "given more than once"));
            }
        }
        let start = all
            .get("starttime")
            .map(|t| time("starttime", t, false))
            .transpose()?
            .flatten();
        let end = all
            .get("endtime")
            .map(|t| time("endtime", t, false))
            .transpose()?
            .flatten();
        check_window(start, end)?;
        let list = |name: &str| -> Result<Vec<String>> {
            match all.get(name) {
                Some(v) => code_list(name, v),
                None => Ok(vec!["*".to_string()]),
            }
        };
        let (n, s, l, c) = (
            list("network")?,
            list("station")?,
            list("location")?,
            list("channel")?,
        );
        let streams = globs([&n, &s, &l, &c])?;
        let params = all.into_iter().filter(|(k, _)| !is_selection(k)).collect();
        Ok(FdsnQuery {
            params,
            lines: vec![SelectionLine {
                streams,
                start_ns: start,
                end_ns: end,
            }],
        })
    }

    /// Parses a POST body: `key=value` lines (service parameters only, not the selection
    /// ones), then `NET STA LOC CHA START END` lines, at most `max_lines` of them. `*` as a
    /// time is accepted (an open end) when `open_times` (fdsnws-station); dataselect and
    /// availability need both times.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the parameter or `line N` (1-based line of the body):
    /// an unknown or repeated parameter, a `key=value` line after a selection line, a line
    /// without six fields, a bad code or time, an end not after the start, more than
    /// `max_lines` selection lines, or no selection line at all.
    pub fn from_post(
        body: &str,
        spec: &[ParamSpec],
        max_lines: usize,
        open_times: bool,
    ) -> Result<FdsnQuery> {
        let mut q = FdsnQuery::default();
        for (i, raw) in body.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let field = format!("line {}", i + 1);
            if let Some((k, v)) = line.split_once('=') {
                if !q.lines.is_empty() {
                    return Err(Error::field(
                        field,
                        "a key=value line after the selection lines",
                    ));
                }
                let lower = k.trim().to_ascii_lowercase();
                let Some(name) = find(spec, &lower) else {
                    return Err(Error::field(lower, "unknown parameter"));
                };
                if is_selection(name) {
                    return Err(Error::field(
                        name,
                        "not allowed as a key=value line of a POST body (give it in the selection lines)",
                    ));
                }
                if q.params.insert(name, v.trim().to_string()).is_some() {
                    return Err(Error::field(name, "given more than once"));
                }
                continue;
            }
            if q.lines.len() >= max_lines {
                return Err(Error::field(
                    field,
                    format!("{OVER_LINE_LIMIT} {max_lines} selection lines"),
                ));
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() != 6 {
                return Err(Error::field(
                    field,
                    "expected NET STA LOC CHA STARTTIME ENDTIME",
                ));
            }
            let in_line = |e: Error| match e {
                Error::InvalidField { field: f, message } => {
                    Error::field(field.clone(), format!("{f}: {message}"))
                }
                e => e,
            };
            let n = code_list("network", parts[0]).map_err(in_line)?;
            let s = code_list("station", parts[1]).map_err(in_line)?;
            let l = code_list("location", parts[2]).map_err(in_line)?;
            let c = code_list("channel", parts[3]).map_err(in_line)?;
            let start = time("starttime", parts[4], open_times).map_err(in_line)?;
            let end = time("endtime", parts[5], open_times).map_err(in_line)?;
            check_window(start, end).map_err(in_line)?;
            q.lines.push(SelectionLine {
                streams: globs([&n, &s, &l, &c]).map_err(in_line)?,
                start_ns: start,
                end_ns: end,
            });
        }
        if q.lines.is_empty() {
            return Err(Error::field(
                "body",
                "no selection line (NET STA LOC CHA START END)",
            ));
        }
        Ok(q)
    }

    /// Removes and returns the text of parameter `name` (its long name).
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.params.remove(name)
    }

    /// Removes parameter `name` and reads it as a boolean (`true`/`false`, case-insensitive,
    /// as the FDSN specifications write them).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for another value.
    pub fn take_bool(&mut self, name: &str) -> Result<Option<bool>> {
        self.take(name)
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Error::field(name, format!("{v:?} is not true or false"))),
            })
            .transpose()
    }

    /// Removes parameter `name` and parses it with `T`'s `FromStr`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] when it does not parse; the message says what was given.
    pub fn take_parsed<T: std::str::FromStr>(
        &mut self,
        name: &str,
        what: &str,
    ) -> Result<Option<T>> {
        self.take(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| Error::field(name, format!("{v:?} is not {what}")))
            })
            .transpose()
    }

    /// Removes parameter `name` and checks it is one of `allowed` (compared in lower case);
    /// returns the allowed spelling.
    ///
    /// # Errors
    /// [`Error::InvalidField`] listing the allowed values.
    pub fn take_one_of(
        &mut self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>> {
        let names: Vec<(&str, &'static str)> = allowed.iter().map(|a| (*a, *a)).collect();
        self.take(name)
            .map(|v| crate::ops::one_of(&v, &names).map_err(|e| e.in_field(name)))
            .transpose()
    }

    /// Removes `nodata` and returns the HTTP status for "no data": 204 (the default) or 404.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for another value.
    pub fn take_nodata(&mut self) -> Result<u16> {
        Ok(match self.take_one_of("nodata", &["204", "404"])? {
            Some("404") => 404,
            _ => 204,
        })
    }

    /// Removes `quality` and returns the quality codes it selects: `D`, `R`, `Q`, `M`, or
    /// `B` (best: the service keeps the best quality per time span); `None` = any.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for another value.
    pub fn take_quality(&mut self) -> Result<Option<char>> {
        self.take("quality")
            .map(|v| match v.to_ascii_uppercase().as_str() {
                q @ ("D" | "R" | "Q" | "M" | "B") => Ok(q.chars().next().unwrap_or('B')),
                _ => Err(Error::field(
                    "quality",
                    format!("{v:?} is not D, R, Q, M or B"),
                )),
            })
            .transpose()
    }

    /// Refuses any parameter left untaken: the service accepted its name but the request
    /// type did not read it (a parameter of the specification this server does not
    /// implement).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first one.
    pub fn finish(self) -> Result<()> {
        match self.params.into_iter().next() {
            Some((name, _)) => Err(Error::field(name, "not supported by this service")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &[ParamSpec] = &[ParamSpec::new("quality"), ParamSpec::new("nodata")];

    #[test]
    fn get_aliases_lists_and_blank_location() {
        let q = FdsnQuery::from_pairs(
            &[
                ("NET", "IU,GE"),
                ("sta", "ANMO"),
                ("loc", "--,00"),
                ("cha", "BH?"),
                ("start", "2020-01-01"),
                ("endtime", "2020-01-02T00:00:00.5"),
                ("quality", "D"),
            ],
            SPEC,
        )
        .unwrap();
        assert_eq!(q.params.get("quality").map(String::as_str), Some("D"));
        let line = &q.lines[0];
        assert_eq!(line.streams.len(), 4);
        assert_eq!(line.streams[0].to_string(), "IU.ANMO.--.BH?");
        assert_eq!(line.streams[1].location, "00");
        assert_eq!(line.start_ns, Some(1_577_836_800_000_000_000));
        assert_eq!(line.end_ns, Some(1_577_923_200_500_000_000));
    }

    #[test]
    fn get_refusals_name_the_parameter() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("foo", "1")], "foo"),
            (&[("net", "IU"), ("network", "GE")], "network"),
            (&[("start", "yesterday")], "starttime"),
            (&[("start", "2020-01-02"), ("end", "2020-01-01")], "endtime"),
            (&[("sta", "AN.MO")], "station"),
            (&[("cha", "")], "channel"),
        ];
        for (pairs, field) in cases {
            let e = FdsnQuery::from_pairs(pairs, SPEC).unwrap_err();
            assert_eq!(e.field_name(), Some(*field), "{pairs:?}: {e}");
        }
        let many: String = (0..200)
            .map(|i| format!("S{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let e = FdsnQuery::from_pairs(&[("sta", many.as_str()), ("net", &many)], SPEC).unwrap_err();
        assert_eq!(e.field_name(), Some("network"));
    }

    #[test]
    fn post_body() {
        let body = "quality=D\nnodata=404\n\n# comment\nIU ANMO -- BHZ 2020-01-01T00:00:00 2020-01-01T01:00:00\nGE * 00,10 HH? 2020-01-01 2020-01-02\n";
        let mut q = FdsnQuery::from_post(body, SPEC, 10, false).unwrap();
        assert_eq!(q.take_nodata().unwrap(), 404);
        assert_eq!(q.take_quality().unwrap(), Some('D'));
        q.clone().finish().unwrap();
        assert_eq!(q.lines.len(), 2);
        assert_eq!(q.lines[0].streams[0].location, "");
        assert_eq!(q.lines[1].streams.len(), 2);
        let e = FdsnQuery::from_post("IU ANMO -- BHZ 2020-01-01\n", SPEC, 10, false).unwrap_err();
        assert_eq!(e.field_name(), Some("line 1"));
        let e = FdsnQuery::from_post("IU ANMO -- BHZ 2020-01-01 *\n", SPEC, 10, false).unwrap_err();
        assert_eq!(e.field_name(), Some("line 1"));
        let q = FdsnQuery::from_post("IU ANMO -- BHZ 2020-01-01 *\n", SPEC, 10, true).unwrap();
        assert_eq!(q.lines[0].end_ns, None);
        let e = FdsnQuery::from_post(
            "net=IU\nIU ANMO -- BHZ 2020-01-01 2020-01-02\n",
            SPEC,
            10,
            false,
        )
        .unwrap_err();
        assert_eq!(e.field_name(), Some("network"));
        let e = FdsnQuery::from_post("quality=D\n", SPEC, 10, false).unwrap_err();
        assert_eq!(e.field_name(), Some("body"));
        let lines = "IU ANMO -- BHZ 2020-01-01 2020-01-02\n".repeat(11);
        let e = FdsnQuery::from_post(&lines, SPEC, 10, false).unwrap_err();
        assert_eq!(e.field_name(), Some("line 11"));
        assert!(is_over_line_limit(&e));
        let e = FdsnQuery::from_post("IU ANMO -- BHZ 2020-01-01\n", SPEC, 10, false).unwrap_err();
        assert!(!is_over_line_limit(&e), "{e}");
    }

    #[test]
    fn typed_readers() {
        let mut q = FdsnQuery::from_pairs(&[("quality", "x"), ("nodata", "500")], SPEC).unwrap();
        assert_eq!(q.take_quality().unwrap_err().field_name(), Some("quality"));
        assert_eq!(q.take_nodata().unwrap_err().field_name(), Some("nodata"));
        let mut q = FdsnQuery::from_pairs(&[("quality", "b")], SPEC).unwrap();
        assert_eq!(q.take_quality().unwrap(), Some('B'));
        let q = FdsnQuery::from_pairs(&[("nodata", "404")], SPEC).unwrap();
        assert_eq!(q.finish().unwrap_err().field_name(), Some("nodata"));
    }
}
