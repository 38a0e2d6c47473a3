//! Stream mappings over time: a station renamed, a location code changed. A
//! [`StreamMapping`] says that the records of stream `from` whose first sample lies in
//! `[start, end)` belong to stream `to`; [`Mappings`] is a checked set of them, applied where
//! a record's codes become a stream: scanning ([`crate::scan`]), reading ([`crate::read`]),
//! indexing and serving, fetching (the inverse: [`Mappings::source_pieces`]).
//!
//! Rules (`docs/configuration.md`, `[[streams.mapping]]`):
//!
//! - **Time rule**: a record maps when the time of its first sample is in `[start, end)`
//!   (an open `start` or `end` is unbounded). A record that straddles a boundary goes
//!   whole to the side of its first sample: records are never cut.
//! - **One step**: mappings are applied once; a `to` that is the `from` of a mapping whose
//!   span meets its own (a chain or a cycle) is refused, as are two mappings of the same
//!   `from` whose spans meet, `from` = `to`, an empty span, and codes that are not allowed
//!   ([`crate::sid::validate_code`]).
//! - **The archive keeps the original records**: a mapping is a view. Records are written
//!   under the codes they hold (fetching asks the source for `from` and stores what it
//!   recorded); only what is reported or served carries `to` (served records are copies
//!   with their codes rewritten, [`rewrite_codes`]).

use crate::error::{Error, Result};
use crate::sid::{Nslc, NslcGlob};
use crate::time::format_time;

/// One mapping: the records of `from` whose first sample is in `[start_ns, end_ns)` are
/// records of `to`. Times in ns since 1970-01-01 UTC; `None` is unbounded.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StreamMapping {
    /// The codes the records hold (as the station recorded them).
    pub from: Nslc,
    /// The stream they belong to.
    pub to: Nslc,
    /// First time mapped (inclusive), ns; `None` = since always.
    pub start_ns: Option<i64>,
    /// End of the mapping (exclusive), ns; `None` = for ever.
    pub end_ns: Option<i64>,
}

impl StreamMapping {
    /// Whether a record whose first sample is at `t_ns` maps (the time rule).
    pub fn covers(&self, t_ns: i64) -> bool {
        self.start_ns.is_none_or(|s| t_ns >= s) && self.end_ns.is_none_or(|e| t_ns < e)
    }

    /// The span `[start, end)`, ns, open ends as `i64::MIN` and `i64::MAX`.
    fn span(&self) -> (i64, i64) {
        (
            self.start_ns.unwrap_or(i64::MIN),
            self.end_ns.unwrap_or(i64::MAX),
        )
    }

    /// Whether the spans of `self` and `other` have a time in common.
    fn meets(&self, other: &StreamMapping) -> bool {
        let ((a0, a1), (b0, b1)) = (self.span(), other.span());
        a0.max(b0) < a1.min(b1)
    }

    /// `from -> to [start, end)` for messages and reports.
    fn describe(&self) -> String {
        let t = |v: Option<i64>, open: &str| v.map_or(open.to_string(), format_time);
        format!(
            "{} -> {} [{}, {})",
            self.from,
            self.to,
            t(self.start_ns, "-inf"),
            t(self.end_ns, "+inf")
        )
    }
}

/// A checked set of [`StreamMapping`]s (empty by default: every record keeps its codes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mappings {
    rules: Vec<StreamMapping>,
}

impl Mappings {
    /// Checks `rules` and keeps them.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the entry as `mapping[i].from`, `mapping[i].to`,
    /// `mapping[i].end` (0-based `i`): a code that is not allowed, `from` = `to`, `end` not
    /// after `start`, two mappings of the same `from` whose spans meet, a `to` that another
    /// mapping maps again in the same time (a chain or a cycle).
    pub fn new(rules: Vec<StreamMapping>) -> Result<Self> {
        for (i, m) in rules.iter().enumerate() {
            let field = |f: &str| format!("mapping[{i}].{f}");
            m.from
                .validate()
                .map_err(|e| Error::field(field("from"), e.to_string()))?;
            m.to.validate()
                .map_err(|e| Error::field(field("to"), e.to_string()))?;
            if m.from == m.to {
                return Err(Error::field(
                    field("to"),
                    format!("{} maps to itself", m.from),
                ));
            }
            if let (Some(s), Some(e)) = (m.start_ns, m.end_ns) {
                if e <= s {
                    return Err(Error::field(field("end"), "must be after start"));
                }
            }
            for (j, other) in rules[..i].iter().enumerate() {
                if other.from == m.from && other.meets(m) {
                    return Err(Error::field(
                        field("from"),
                        format!(
                            "{} overlaps mapping[{j}] {} in time",
                            m.describe(),
                            other.describe()
                        ),
                    ));
                }
            }
        }
        for (i, m) in rules.iter().enumerate() {
            if let Some((j, other)) = rules
                .iter()
                .enumerate()
                .find(|(_, o)| o.from == m.to && o.meets(m))
            {
                return Err(Error::field(
                    format!("mapping[{i}].to"),
                    format!(
                        "{} is mapped again by mapping[{j}] {} (mappings apply once: no chain or cycle)",
                        m.describe(),
                        other.describe()
                    ),
                ));
            }
        }
        Ok(Mappings { rules })
    }

    /// Whether there is no mapping.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The mappings, in the order given.
    pub fn rules(&self) -> &[StreamMapping] {
        &self.rules
    }

    /// Whether some mapping has `from` = `nslc` (its records may change stream).
    pub fn maps(&self, nslc: &Nslc) -> bool {
        self.rules.iter().any(|m| &m.from == nslc)
    }

    /// The mapping that applies to a record of `nslc` whose first sample is at `t_ns`.
    pub fn rule_for(&self, nslc: &Nslc, t_ns: i64) -> Option<&StreamMapping> {
        self.rules
            .iter()
            .find(|m| &m.from == nslc && m.covers(t_ns))
    }

    /// The stream of a record of `nslc` whose first sample is at `t_ns`: `to` of the mapping
    /// that applies, else `nslc`.
    pub fn map<'a>(&'a self, nslc: &'a Nslc, t_ns: i64) -> &'a Nslc {
        self.rule_for(nslc, t_ns).map_or(nslc, |m| &m.to)
    }

    /// The selection of the files to read for `selection` (globs over the mapped streams):
    /// `selection` and every `from` whose `to` it selects. An empty selection (all) stays
    /// empty.
    pub fn widen(&self, selection: &[NslcGlob]) -> Vec<NslcGlob> {
        let mut out = selection.to_vec();
        if selection.is_empty() {
            return out;
        }
        for m in &self.rules {
            if crate::sid::selected(selection, &m.to) {
                let g = NslcGlob::exact(&m.from);
                if !out.contains(&g) {
                    out.push(g);
                }
            }
        }
        out
    }

    /// The inverse mapping, for fetching: the window `[start_ns, end_ns)` of stream `to` cut
    /// into pieces `(codes to ask the source for, start, end)`, in time order. A piece in the
    /// span of a mapping to `to` is asked as its `from`; the rest as `to` itself.
    pub fn source_pieces(&self, to: &Nslc, start_ns: i64, end_ns: i64) -> Vec<(Nslc, i64, i64)> {
        let mut rules: Vec<&StreamMapping> = self.rules.iter().filter(|m| &m.to == to).collect();
        rules.sort_by_key(|m| m.start_ns.unwrap_or(i64::MIN));
        let mut out = Vec::new();
        let mut t = start_ns;
        for m in rules {
            let (ms, me) = m.span();
            let (s, e) = (ms.max(t), me.min(end_ns));
            if s >= e {
                continue;
            }
            if t < s {
                out.push((to.clone(), t, s));
            }
            out.push((m.from.clone(), s, e));
            t = e;
        }
        if t < end_ns {
            out.push((to.clone(), t, end_ns));
        }
        out
    }
}

#[cfg(feature = "fdsn")]
impl Mappings {
    /// Request lines as a source must receive them ([`Mappings::source_pieces`]): a line of
    /// one exact stream that is the `to` of mappings is cut at their spans, the pieces in a
    /// span asking for its `from` (the codes the station recorded). Other lines (globs,
    /// streams without mappings) are kept. The records fetched keep the codes they hold.
    pub fn source_lines(
        &self,
        lines: &[crate::source::RequestLine],
    ) -> Vec<crate::source::RequestLine> {
        let mut out = Vec::with_capacity(lines.len());
        for line in lines {
            match line.stream.as_exact() {
                Some(to) if self.rules.iter().any(|m| m.to == to) => {
                    for (codes, s, e) in self.source_pieces(&to, line.start_ns, line.end_ns) {
                        out.push(crate::source::RequestLine::new(&codes, s, e));
                    }
                }
                _ => out.push(line.clone()),
            }
        }
        out
    }

    /// The streams to ask a source's availability for, to know `streams`: each of them and
    /// the `from` of every mapping to one of them.
    pub fn with_sources(&self, streams: &[Nslc]) -> Vec<Nslc> {
        let mut out = streams.to_vec();
        for m in &self.rules {
            if streams.contains(&m.to) && !out.contains(&m.from) {
                out.push(m.from.clone());
            }
        }
        out
    }

    /// A source's availability under the mapped streams: the part of a span of `from` inside
    /// a mapping's span becomes a span of its `to`; the rest is kept as it is.
    pub fn map_spans(
        &self,
        spans: Vec<crate::source::AvailabilitySpan>,
    ) -> Vec<crate::source::AvailabilitySpan> {
        if self.rules.is_empty() {
            return spans;
        }
        let mut out = Vec::with_capacity(spans.len());
        for s in spans {
            let mut rest = vec![(s.start_ns, s.end_ns)];
            for m in self.rules.iter().filter(|m| m.from == s.nslc) {
                let (ms, me) = m.span();
                let mut next = Vec::new();
                for (a, b) in rest {
                    let (cs, ce) = (a.max(ms), b.min(me));
                    if cs < ce {
                        out.push(crate::source::AvailabilitySpan {
                            nslc: m.to.clone(),
                            start_ns: cs,
                            end_ns: ce,
                        });
                        next.extend([(a, cs), (ce, b)].into_iter().filter(|(x, y)| x < y));
                    } else {
                        next.push((a, b));
                    }
                }
                rest = next;
            }
            out.extend(
                rest.into_iter()
                    .map(|(a, b)| crate::source::AvailabilitySpan {
                        nslc: s.nslc.clone(),
                        start_ns: a,
                        end_ns: b,
                    }),
            );
        }
        out
    }
}

/// The records of one original stream that a scan or a read gave to a mapped stream: what
/// reports show (`mapped_from` in the scan JSON, `docs/scan-json.md`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MappedSpan {
    /// The stream the records were given to.
    pub to: Nslc,
    /// The codes the records hold.
    pub from: Nslc,
    /// First sample of the earliest record mapped, ns.
    pub start_ns: i64,
    /// Coverage end (last sample + one period) of the latest record mapped, ns.
    pub end_ns: i64,
    /// Data records mapped.
    pub records: u64,
}

impl MappedSpan {
    /// Adds `other` (same `to` and `from`) to this span.
    pub(crate) fn absorb(&mut self, other: &MappedSpan) {
        self.start_ns = self.start_ns.min(other.start_ns);
        self.end_ns = self.end_ns.max(other.end_ns);
        self.records += other.records;
    }
}

/// Joins spans of the same (`to`, `from`) and sorts them by `to`, `from`.
pub(crate) fn join_spans(spans: impl IntoIterator<Item = MappedSpan>) -> Vec<MappedSpan> {
    let mut map: std::collections::BTreeMap<(Nslc, Nslc), MappedSpan> = Default::default();
    for s in spans {
        match map.entry((s.to.clone(), s.from.clone())) {
            std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().absorb(&s),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(s);
            }
        }
    }
    map.into_values().collect()
}

/// A copy of the miniSEED record `raw` with its codes set to `to`: for miniSEED 2 the fixed
/// header fields (station bytes 8–12, location 13–14, channel 15–17, network 18–19, left
/// aligned and space padded: SEED 2.4 manual, fixed section of data header); for miniSEED 3
/// the source identifier (`to`'s FDSN source identifier, [`Nslc::source_id`]), its length
/// field (byte 33) and the CRC-32C (bytes 28–31) of the changed record (FDSN miniSEED 3
/// specification). Everything else is kept byte for byte.
///
/// # Errors
/// [`Error::InvalidArgument`] when `raw` is not a miniSEED 2 or 3 record header, or when a
/// code of `to` is longer than its miniSEED 2 field.
pub fn rewrite_codes(raw: &[u8], to: &Nslc) -> Result<Vec<u8>> {
    if raw.len() >= 40 && raw.starts_with(b"MS") && raw[2] == 3 {
        let sid = to.source_id();
        let old = raw[33] as usize;
        if 40 + old > raw.len() || sid.len() > 255 {
            return Err(Error::invalid_argument(
                "miniSEED 3 record too short for its identifier",
            ));
        }
        let mut out = Vec::with_capacity(raw.len() + sid.len());
        out.extend_from_slice(&raw[..33]);
        out.push(sid.len() as u8);
        out.extend_from_slice(&raw[34..40]);
        out.extend_from_slice(sid.as_bytes());
        out.extend_from_slice(&raw[40 + old..]);
        out[28..32].fill(0);
        let crc = crc32c::crc32c(&out);
        out[28..32].copy_from_slice(&crc.to_le_bytes());
        return Ok(out);
    }
    if raw.len() < 48 {
        return Err(Error::invalid_argument("not a miniSEED record"));
    }
    let mut out = raw.to_vec();
    for (code, at, width) in [
        (&to.station, 8, 5),
        (&to.location, 13, 2),
        (&to.channel, 15, 3),
        (&to.network, 18, 2),
    ] {
        if code.len() > width {
            return Err(Error::invalid_argument(format!(
                "{code:?} does not fit the {width} characters of its miniSEED 2 field"
            )));
        }
        let field = &mut out[at..at + width];
        field.fill(b' ');
        field[..code.len()].copy_from_slice(code.as_bytes());
    }
    Ok(out)
}

/// One `[[mapping]]` (or `[[streams.mapping]]`) entry of a TOML file: `from`, `to`
/// (`NET.STA.LOC.CHA`, `--` or empty for an empty location, or FDSN source identifiers),
/// `start`, `end` (ISO 8601 strings or TOML date-times, optional).
#[cfg(feature = "update")]
#[derive(serde::Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMapping {
    from: String,
    to: String,
    start: Option<RawTime>,
    end: Option<RawTime>,
}

/// A time in a TOML file: a string or a TOML date-time.
#[cfg(feature = "update")]
#[derive(serde::Deserialize, Debug, Clone)]
#[serde(untagged)]
enum RawTime {
    Text(String),
    Toml(toml::value::Datetime),
}

/// `NET.STA.LOC.CHA` or an FDSN source identifier.
#[cfg(feature = "update")]
fn parse_codes(text: &str) -> Result<Nslc> {
    if text.starts_with("FDSN:") {
        let n = Nslc::from_source_id(text)?;
        n.validate()?;
        Ok(n)
    } else {
        Nslc::parse(text)
    }
}

/// The mappings of TOML entries; errors name `KEY[i].field` (`key` is `mapping` or
/// `streams.mapping`) as [`Error::Config`].
#[cfg(feature = "update")]
pub(crate) fn from_raw(key: &str, raw: &[RawMapping]) -> Result<Mappings> {
    let bad = |i: usize, f: &str, e: &dyn std::fmt::Display| {
        Error::config(format!("{key}[{i}].{f}: {e}"))
    };
    let mut rules = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let time = |f: &str, t: &Option<RawTime>| -> Result<Option<i64>> {
            t.as_ref()
                .map(|t| {
                    let text = match t {
                        RawTime::Text(s) => s.clone(),
                        RawTime::Toml(d) => d.to_string(),
                    };
                    crate::time::parse_time(&text).map_err(|e| bad(i, f, &e))
                })
                .transpose()
        };
        rules.push(StreamMapping {
            from: parse_codes(&r.from).map_err(|e| bad(i, "from", &e))?,
            to: parse_codes(&r.to).map_err(|e| bad(i, "to", &e))?,
            start_ns: time("start", &r.start)?,
            end_ns: time("end", &r.end)?,
        });
    }
    Mappings::new(rules).map_err(|e| match e {
        Error::InvalidField { field, message } => Error::config(format!(
            "{key}{}: {message}",
            field.trim_start_matches("mapping")
        )),
        e => e,
    })
}

/// Reads the mappings of a TOML file: its `[[mapping]]` entries, or the
/// `[[streams.mapping]]` entries of a `siqaco.toml` (the CLI's `--mapping FILE`). A file
/// with neither gives no mapping.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Config`] naming the entry
/// (`mapping[1].to: ...`) for TOML that is not valid or a mapping [`Mappings::new`] refuses.
#[cfg(feature = "update")]
pub fn read_mapping_file(path: &std::path::Path) -> Result<Mappings> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_mapping_toml(&text)
}

/// [`read_mapping_file`] of the text of a TOML file.
///
/// # Errors
/// As [`read_mapping_file`].
#[cfg(feature = "update")]
pub fn parse_mapping_toml(text: &str) -> Result<Mappings> {
    let value: toml::Table =
        toml::from_str(text).map_err(|e| Error::config_from(format!("mapping file: {e}"), e))?;
    let (key, entries) = match (
        value.get("mapping"),
        value.get("streams").and_then(|s| s.get("mapping")),
    ) {
        (Some(m), _) => ("mapping", m.clone()),
        (None, Some(m)) => ("streams.mapping", m.clone()),
        (None, None) => return Ok(Mappings::default()),
    };
    let raw: Vec<RawMapping> = entries
        .try_into()
        .map_err(|e: toml::de::Error| Error::config_from(format!("{key}: {e}"), e))?;
    from_raw(key, &raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_time;

    fn m(from: &str, to: &str, s: Option<&str>, e: Option<&str>) -> StreamMapping {
        StreamMapping {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            start_ns: s.map(|t| parse_time(t).unwrap()),
            end_ns: e.map(|t| parse_time(t).unwrap()),
        }
    }

    /// The time rule: a record maps when its first sample is in [start, end).
    #[test]
    fn time_rule_is_first_sample_in_half_open_span() {
        let ms = Mappings::new(vec![m(
            "XX.OLD..HHZ",
            "XX.NEW.00.HHZ",
            Some("2024-01-01"),
            Some("2024-07-01"),
        )])
        .unwrap();
        let old: Nslc = "XX.OLD..HHZ".parse().unwrap();
        let new: Nslc = "XX.NEW.00.HHZ".parse().unwrap();
        assert_eq!(ms.map(&old, t("2024-01-01")), &new);
        assert_eq!(ms.map(&old, t("2024-07-01") - 1), &new);
        assert_eq!(ms.map(&old, t("2024-07-01")), &old);
        assert_eq!(ms.map(&old, t("2024-01-01") - 1), &old);
        assert_eq!(ms.map(&new, t("2024-03-01")), &new);
        // Open ends are unbounded.
        let open = Mappings::new(vec![m("XX.OLD..HHZ", "XX.NEW.00.HHZ", None, None)]).unwrap();
        assert_eq!(open.map(&old, i64::MIN), &new);
        assert_eq!(open.map(&old, i64::MAX), &new);
    }

    /// Overlapping spans of one `from`, chains, cycles, self-maps, empty spans and bad codes
    /// are refused, naming the entry and field.
    #[test]
    fn validation_names_the_entry() {
        let field = |rules| {
            Mappings::new(rules)
                .unwrap_err()
                .field_name()
                .map(String::from)
        };
        let a = m(
            "XX.A..HHZ",
            "XX.B..HHZ",
            Some("2024-01-01"),
            Some("2024-06-01"),
        );
        // Same from, spans meet.
        let b = m("XX.A..HHZ", "XX.C..HHZ", Some("2024-05-01"), None);
        assert_eq!(
            field(vec![a.clone(), b]).as_deref(),
            Some("mapping[1].from")
        );
        // Same from, adjacent spans: allowed ([start, end) half open).
        let c = m("XX.A..HHZ", "XX.C..HHZ", Some("2024-06-01"), None);
        assert!(Mappings::new(vec![a.clone(), c]).is_ok());
        // A cycle B -> A in the same time.
        let back = m("XX.B..HHZ", "XX.A..HHZ", None, None);
        assert_eq!(
            field(vec![a.clone(), back]).as_deref(),
            Some("mapping[0].to")
        );
        // A chain A -> B -> D at the same time.
        let chain = m(
            "XX.B..HHZ",
            "XX.D..HHZ",
            Some("2024-03-01"),
            Some("2024-04-01"),
        );
        assert_eq!(
            field(vec![a.clone(), chain]).as_deref(),
            Some("mapping[0].to")
        );
        // B -> A after A -> B ended is no chain.
        let later = m("XX.B..HHZ", "XX.A..HHZ", Some("2024-06-01"), None);
        assert!(Mappings::new(vec![a.clone(), later]).is_ok());
        assert_eq!(
            field(vec![m("XX.A..HHZ", "XX.A..HHZ", None, None)]).as_deref(),
            Some("mapping[0].to")
        );
        assert_eq!(
            field(vec![m(
                "XX.A..HHZ",
                "XX.B..HHZ",
                Some("2024-02-01"),
                Some("2024-02-01")
            )])
            .as_deref(),
            Some("mapping[0].end")
        );
        let mut bad = a.clone();
        bad.to.station = "a/b".into();
        assert_eq!(field(vec![bad]).as_deref(), Some("mapping[0].to"));
    }

    fn t(s: &str) -> i64 {
        parse_time(s).unwrap()
    }

    /// XX.OLD..HHZ is XX.NEW.00.HHZ until 2024-07-01: (mappings, new, old).
    fn renamed_until_july() -> (Mappings, Nslc, Nslc) {
        let ms = Mappings::new(vec![m(
            "XX.OLD..HHZ",
            "XX.NEW.00.HHZ",
            None,
            Some("2024-07-01"),
        )])
        .unwrap();
        (
            ms,
            "XX.NEW.00.HHZ".parse().unwrap(),
            "XX.OLD..HHZ".parse().unwrap(),
        )
    }

    /// The inverse mapping cuts a window at the mapping's boundaries.
    #[test]
    fn source_pieces_follow_the_spans() {
        let (ms, new, old) = renamed_until_july();
        assert_eq!(
            ms.source_pieces(&new, t("2024-06-30"), t("2024-07-02")),
            vec![
                (old.clone(), t("2024-06-30"), t("2024-07-01")),
                (new.clone(), t("2024-07-01"), t("2024-07-02"))
            ]
        );
        assert_eq!(
            ms.source_pieces(&new, t("2024-07-05"), t("2024-07-06")),
            vec![(new.clone(), t("2024-07-05"), t("2024-07-06"))]
        );
        assert_eq!(
            ms.source_pieces(&new, t("2024-01-05"), t("2024-01-06")),
            vec![(old, t("2024-01-05"), t("2024-01-06"))]
        );
    }

    /// Availability of the old codes inside the mapping's span goes to the mapped stream;
    /// the rest stays with the old codes.
    #[cfg(feature = "fdsn")]
    #[test]
    fn availability_spans_are_mapped() {
        use crate::source::AvailabilitySpan;
        let (ms, new, old) = renamed_until_july();
        assert_eq!(
            ms.with_sources(std::slice::from_ref(&new)),
            vec![new.clone(), old.clone()]
        );
        let span = |n: &Nslc, a: &str, b: &str| AvailabilitySpan {
            nslc: n.clone(),
            start_ns: t(a),
            end_ns: t(b),
        };
        assert_eq!(
            ms.map_spans(vec![span(&old, "2024-06-01", "2024-08-01")]),
            vec![
                span(&new, "2024-06-01", "2024-07-01"),
                span(&old, "2024-07-01", "2024-08-01")
            ]
        );
        // A line of the mapped stream is asked under the codes of its time.
        let line = crate::source::RequestLine::new(&new, t("2024-06-30"), t("2024-07-02"));
        let lines = ms.source_lines(&[line]);
        assert_eq!(
            lines,
            vec![
                crate::source::RequestLine::new(&old, t("2024-06-30"), t("2024-07-01")),
                crate::source::RequestLine::new(&new, t("2024-07-01"), t("2024-07-02")),
            ]
        );
    }

    /// Both file forms parse, times as strings or TOML date-times; errors name the entry.
    #[test]
    fn toml_forms() {
        let a = parse_mapping_toml(
            "[[mapping]]\nfrom = \"XX.OLD.--.HHZ\"\nto = \"FDSN:XX_NEW_00_H_H_Z\"\nend = 2024-07-01T00:00:00Z\n",
        )
        .unwrap();
        let b = parse_mapping_toml(
            "[archive]\npath = \"x\"\n[[streams.mapping]]\nfrom = \"XX.OLD..HHZ\"\nto = \"XX.NEW.00.HHZ\"\nend = \"2024-07-01\"\n",
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.rules()[0].end_ns, Some(parse_time("2024-07-01").unwrap()));
        let e = parse_mapping_toml("[[mapping]]\nfrom = \"XX.OLD..HHZ\"\nto = \"XX.a/b..HHZ\"\n")
            .unwrap_err();
        assert!(e.to_string().contains("mapping[0].to"), "{e}");
        let e = parse_mapping_toml(
            "[[mapping]]\nfrom = \"XX.A..HHZ\"\nto = \"XX.B..HHZ\"\n[[mapping]]\nfrom = \"XX.A..HHZ\"\nto = \"XX.C..HHZ\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("mapping[1].from"), "{e}");
        assert!(parse_mapping_toml("[archive]\n").unwrap().is_empty());
    }

    /// Rewritten records decode (libmseed) with the new codes and the same samples; v3
    /// records keep a valid CRC.
    #[test]
    fn rewritten_records_decode_with_new_codes() {
        let to: Nslc = "XX.NEW.00.HHZ".parse().unwrap();
        for version in [2u8, 3] {
            let from = Nslc::new("XX", "OLD", "", "HHZ");
            let samples = crate::codec::Samples::Int32((0..200).collect());
            let opts = crate::codec::PackOptions::default()
                .with_format_version(version)
                .with_record_length(512);
            let bytes =
                crate::codec::encode(&from, 1_700_000_000_000_000_000, 100.0, &samples, &opts)
                    .unwrap();
            let first = &bytes[..crate::record::parse_record(&bytes).unwrap().record_length];
            let before = crate::codec::decode_record(first).unwrap();
            let out = rewrite_codes(first, &to).unwrap();
            let after = crate::codec::decode_record(&out).unwrap();
            assert_eq!(after.nslc, to, "v{version}");
            assert_eq!(after.samples, before.samples, "v{version}");
            assert_eq!(after.start_ns, before.start_ns, "v{version}");
            let h = crate::record::parse_record(&out).unwrap();
            assert_eq!(h.nslc(), to);
            assert_ne!(h.crc_ok(), Some(false));
            if version == 2 {
                let long = Nslc::new("XX", "LONGNAME", "", "HHZ");
                assert!(rewrite_codes(first, &long).is_err());
            }
        }
    }
}
