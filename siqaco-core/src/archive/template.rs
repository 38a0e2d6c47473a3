//! dataselect archive templates: parsing, matching file names, building file names.
//!
//! See [`Template`] for the syntax and how names are read back.

use crate::error::{Error, Result};
use crate::sid::Nslc;
use crate::time::{self, NS_PER_DAY, NS_PER_S};
use std::fmt;

/// One flag of a template (dataselect's letters, plus the internal SDS TYPE letter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flag {
    Network = 0,
    Station,
    Location,
    Channel,
    Year,
    Year2,
    DayOfYear,
    Hour,
    Minute,
    Second,
    Fraction,
    Version,
    Quality,
    RecordLength,
    RateInt,
    RateFloat,
    /// SDS TYPE letter (`D` for waveform data): not a dataselect flag, only used by the
    /// built-in SDS layout, so that listing accepts any type letter.
    SdsType,
}

/// Number of [`Flag`] variants.
pub(crate) const N_FLAGS: usize = 17;

/// Values bound by defining flags while matching names, indexed by `Flag as usize`.
pub(crate) type Values = [Option<String>; N_FLAGS];

/// Empty [`Values`].
pub(crate) fn no_values() -> Values {
    Default::default()
}

impl Flag {
    fn from_letter(c: char) -> Option<Flag> {
        Some(match c {
            'n' => Flag::Network,
            's' => Flag::Station,
            'l' => Flag::Location,
            'c' => Flag::Channel,
            'Y' => Flag::Year,
            'y' => Flag::Year2,
            'j' => Flag::DayOfYear,
            'H' => Flag::Hour,
            'M' => Flag::Minute,
            'S' => Flag::Second,
            'F' => Flag::Fraction,
            'v' => Flag::Version,
            'q' => Flag::Quality,
            'L' => Flag::RecordLength,
            'r' => Flag::RateInt,
            'R' => Flag::RateFloat,
            _ => return None,
        })
    }

    fn letter(self) -> char {
        match self {
            Flag::Network => 'n',
            Flag::Station => 's',
            Flag::Location => 'l',
            Flag::Channel => 'c',
            Flag::Year => 'Y',
            Flag::Year2 => 'y',
            Flag::DayOfYear => 'j',
            Flag::Hour => 'H',
            Flag::Minute => 'M',
            Flag::Second => 'S',
            Flag::Fraction => 'F',
            Flag::Version => 'v',
            Flag::Quality => 'q',
            Flag::RecordLength => 'L',
            Flag::RateInt => 'r',
            Flag::RateFloat => 'R',
            Flag::SdsType => 't',
        }
    }

    /// Minimum and maximum length of the value in a name.
    fn width(self) -> (usize, usize) {
        match self {
            Flag::Network | Flag::Station | Flag::Channel => (1, 16),
            Flag::Location => (0, 16),
            Flag::Year => (4, 4),
            Flag::Year2 | Flag::Hour | Flag::Minute | Flag::Second => (2, 2),
            Flag::DayOfYear => (3, 3),
            Flag::Fraction => (4, 4),
            Flag::Version => (1, 3),
            Flag::Quality | Flag::SdsType => (1, 1),
            Flag::RecordLength | Flag::RateInt => (1, 10),
            Flag::RateFloat => (1, 24),
        }
    }

    /// Whether byte `b` may appear in the value.
    fn accepts(self, b: u8) -> bool {
        match self {
            Flag::Network | Flag::Station | Flag::Location | Flag::Channel => {
                b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
            }
            Flag::Quality => b.is_ascii_alphanumeric(),
            Flag::SdsType => b.is_ascii_uppercase(),
            Flag::RateFloat => b.is_ascii_digit() || b == b'.',
            _ => b.is_ascii_digit(),
        }
    }
}

/// A piece of one path component of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Literal(String),
    Field {
        flag: Flag,
        defining: bool,
    },
    /// A defining code of exactly `width` characters, padded on the right with `_`
    /// (internal syntax `%5s`, for the SCEDC layout: `CISDD__HHZ___2016002.ms`).
    Padded {
        flag: Flag,
        width: usize,
    },
}

/// A parsed dataselect archive template, e.g. `%n/%s/%s.%n.%l.%c.%Y.%j` (BUD), relative to
/// the archive root.
///
/// The syntax is the `-A format` of dataselect 4 (EarthScope; `doc/dataselect.md`, section
/// "Archive Format"), also used by slarchive: `%X` is a *defining* flag, `#X` a
/// *non-defining* one, `%%` and `##` are a literal `%` and `#`, and `/` separates path
/// components. Flags:
///
/// | flag | value | as read from a name |
/// |---|---|---|
/// | `n` `s` `l` `c` | network, station, location, channel code | letters, digits, `-`, `_`; 1–16 characters (location: 0–16) |
/// | `Y` | year, 4 digits | 4 digits |
/// | `y` | year, 2 digits | 2 digits; 69–99 mean 1969–1999, 00–68 mean 2000–2068 (POSIX `strptime`) |
/// | `j` | day of year, 3 digits | 3 digits |
/// | `H` `M` `S` | hour, minute, second, 2 digits | 2 digits |
/// | `F` | fractional seconds, 4 digits (units of 100 µs) | 4 digits |
/// | `v` | publication version 1–255 | 1–3 digits |
/// | `q` | data quality (`D`, `R`, `Q`, `M`) | one letter or digit |
/// | `L` | record length in bytes | digits |
/// | `r` | sample rate in Hz, rounded integer | digits |
/// | `R` | sample rate in Hz, 6 decimals | digits and `.` |
///
/// All records with the same defining values go to one file; non-defining values come from
/// the first record written to the file. When reading names, only defining flags give
/// values (non-defining ones are checked for their syntax only), and a defining flag that
/// appears several times (BUD's `%n` and `%s`) must have the same value everywhere. When a
/// name can be read in several ways (variable-width fields without a literal between them,
/// or codes containing the separator), the reading with the longest earlier fields wins.
/// Names that are not UTF-8 never match.
///
/// The time span of a file comes from its defining time flags: `%Y` (or `%y`) alone gives a
/// year file, with `%j` a day file, then `%H`, `%M`, `%S`, `%F` give hour, minute, second
/// and 100 µs files; a template without a defining year gives no time (all its files are
/// listed whatever the window).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    text: String,
    components: Vec<Vec<Item>>,
}

impl Template {
    /// Parses a dataselect template (relative to the archive root).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unknown flag letter, a `%` or `#` at the end, no
    /// flag at all, an absolute path, an empty component (`a//b`, leading or trailing `/`),
    /// a component `.` or `..`, a hidden component (starting with `.`, which listing would
    /// skip) or a backslash or NUL character.
    pub fn parse(text: &str) -> Result<Template> {
        Self::parse_with(text, false)
    }

    /// Parses a template; `internal` allows `%t` (the SDS TYPE letter).
    pub(crate) fn parse_with(text: &str, internal: bool) -> Result<Template> {
        let bad = |why: &str| Error::invalid_argument(format!("archive template {text:?}: {why}"));
        if text.is_empty() {
            return Err(bad("empty"));
        }
        if text.starts_with('/') {
            return Err(bad("must be relative to the archive root (no leading '/')"));
        }
        if text.contains('\\') || text.contains('\0') {
            return Err(bad("backslash and NUL are not allowed"));
        }
        let mut components = Vec::new();
        let mut n_flags = 0usize;
        for comp in text.split('/') {
            if comp.is_empty() {
                return Err(bad("empty path component"));
            }
            if comp == "." || comp == ".." {
                return Err(bad("'.' and '..' components are not allowed"));
            }
            if comp.starts_with('.') {
                return Err(bad(
                    "a component starting with '.' would be a hidden name, which listing skips",
                ));
            }
            let mut items: Vec<Item> = Vec::new();
            let mut lit = String::new();
            let mut chars = comp.chars();
            while let Some(c) = chars.next() {
                if c != '%' && c != '#' {
                    lit.push(c);
                    continue;
                }
                let Some(mut f) = chars.next() else {
                    return Err(bad(&format!("{c:?} at the end of a component")));
                };
                // Internal: `%5s`, a code padded with `_` to 5 characters.
                let width = match f.to_digit(10) {
                    Some(w @ 1..=9) if internal && c == '%' => {
                        f = chars
                            .next()
                            .ok_or_else(|| bad("a width without a flag at the end"))?;
                        w as usize
                    }
                    _ => 0,
                };
                if width > 0 {
                    let flag = Flag::from_letter(f)
                        .filter(|f| {
                            matches!(
                                f,
                                Flag::Network | Flag::Station | Flag::Location | Flag::Channel
                            )
                        })
                        .ok_or_else(|| bad(&format!("%{width}{f}: only codes can be padded")))?;
                    if !lit.is_empty() {
                        items.push(Item::Literal(std::mem::take(&mut lit)));
                    }
                    items.push(Item::Padded { flag, width });
                    n_flags += 1;
                    continue;
                }
                if f == c {
                    lit.push(c);
                    continue;
                }
                let flag = match Flag::from_letter(f) {
                    Some(flag) => flag,
                    None if internal && f == 't' => Flag::SdsType,
                    None => {
                        return Err(bad(&format!(
                        "unknown flag {c}{f} (dataselect flags: n s l c Y y j H M S F v q L r R)"
                    )))
                    }
                };
                if !lit.is_empty() {
                    items.push(Item::Literal(std::mem::take(&mut lit)));
                }
                items.push(Item::Field {
                    flag,
                    defining: c == '%',
                });
                n_flags += 1;
            }
            if !lit.is_empty() {
                items.push(Item::Literal(lit));
            }
            components.push(items);
        }
        if n_flags == 0 {
            return Err(bad("no % or # flag"));
        }
        Ok(Template {
            text: text.to_string(),
            components,
        })
    }

    /// The template text as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Path components, each a sequence of literals and fields.
    pub(crate) fn components(&self) -> &[Vec<Item>] {
        &self.components
    }

    fn fields(&self) -> impl Iterator<Item = (Flag, bool)> + '_ {
        self.components.iter().flatten().filter_map(|i| match i {
            Item::Field { flag, defining } => Some((*flag, *defining)),
            Item::Padded { flag, .. } => Some((*flag, true)),
            Item::Literal(_) => None,
        })
    }

    /// Whether `flag` is a defining flag of the template.
    pub(crate) fn defines(&self, flag: Flag) -> bool {
        self.fields().any(|(f, d)| d && f == flag)
    }

    /// Whether the template has any non-defining flag.
    pub(crate) fn has_non_defining(&self) -> bool {
        self.fields().any(|(_, d)| !d)
    }

    /// Whether the four codes are defining flags, so that a file name gives its stream.
    pub(crate) fn names_streams(&self) -> bool {
        [Flag::Network, Flag::Station, Flag::Location, Flag::Channel]
            .iter()
            .all(|f| self.defines(*f))
    }

    /// Matches path component `index` against `name`, binding defining values in `vals`
    /// (values already bound must be equal). On failure `vals` is left as it was.
    pub(crate) fn match_component(&self, index: usize, name: &str, vals: &mut Values) -> bool {
        match_items(&self.components[index], name.as_bytes(), 0, vals)
    }

    /// Builds component `index`, taking each field's text from `value(flag, defining)`.
    pub(crate) fn format_component(
        &self,
        index: usize,
        value: &dyn Fn(Flag, bool) -> Result<String>,
    ) -> Result<String> {
        let mut s = String::new();
        for item in &self.components[index] {
            match item {
                Item::Literal(l) => s.push_str(l),
                Item::Field { flag, defining } => s.push_str(&value(*flag, *defining)?),
                Item::Padded { flag, width } => {
                    let v = value(*flag, true)?;
                    if v.len() > *width {
                        return Err(Error::InvalidCode {
                            code: v,
                            reason: format!(
                                "archive template {}: longer than the {width} characters of \
                                 %{width}{}",
                                self.text,
                                flag.letter()
                            ),
                        });
                    }
                    s.push_str(&format!("{v:_<width$}"));
                }
            }
        }
        Ok(s)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Template {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Template::parse(s)
    }
}

fn match_items(items: &[Item], name: &[u8], pos: usize, vals: &mut Values) -> bool {
    let Some((first, rest)) = items.split_first() else {
        return pos == name.len();
    };
    let tail = &name[pos..];
    match first {
        Item::Padded { flag, width } => {
            let Some(field) = tail.get(..*width) else {
                return false;
            };
            if !field.iter().all(|b| flag.accepts(*b)) {
                return false;
            }
            let value = String::from_utf8_lossy(field)
                .trim_end_matches('_')
                .to_string();
            if value.is_empty() && *flag != Flag::Location {
                return false;
            }
            let i = *flag as usize;
            let before = vals[i].clone();
            if before.as_ref().is_some_and(|v| *v != value) {
                return false;
            }
            vals[i] = Some(value);
            if match_items(rest, name, pos + width, vals) {
                return true;
            }
            vals[i] = before;
            false
        }
        Item::Literal(l) => {
            tail.starts_with(l.as_bytes()) && match_items(rest, name, pos + l.len(), vals)
        }
        Item::Field { flag, defining } => {
            let i = *flag as usize;
            if *defining {
                if let Some(v) = &vals[i] {
                    let len = v.len();
                    return tail.starts_with(v.as_bytes())
                        && match_items(rest, name, pos + len, vals);
                }
            }
            let (min, max) = flag.width();
            let run = tail
                .iter()
                .take(max)
                .take_while(|b| flag.accepts(**b))
                .count();
            if run < min {
                return false;
            }
            for len in (min..=run).rev() {
                if *defining {
                    // Accepted bytes are ASCII, so this is valid UTF-8.
                    vals[i] = Some(String::from_utf8_lossy(&tail[..len]).into_owned());
                }
                if match_items(rest, name, pos + len, vals) {
                    return true;
                }
            }
            if *defining {
                vals[i] = None;
            }
            false
        }
    }
}

fn num(vals: &Values, flag: Flag) -> Option<u32> {
    vals[flag as usize].as_deref().and_then(|v| v.parse().ok())
}

/// The year of bound values (`%Y`, or `%y` with the POSIX pivot), `Err(())` when `%Y` and
/// `%y` disagree.
fn year(vals: &Values) -> std::result::Result<Option<i32>, ()> {
    let y4 = num(vals, Flag::Year).map(|y| y as i32);
    let y2 = num(vals, Flag::Year2).map(|y| if y >= 69 { 1900 + y } else { 2000 + y } as i32);
    match (y4, y2) {
        (Some(a), Some(b)) if a % 100 != b % 100 => Err(()),
        (Some(a), _) => Ok(Some(a)),
        (None, b) => Ok(b),
    }
}

/// The time interval `[start_ns, end_ns)` named by the bound time values: the year, then
/// the day, hour, minute, second and 100 µs unit as far as they are bound in that order.
/// `Ok(None)` when no year is bound; `Err(())` when the values name no real time (day 366
/// of a common year, hour 24...).
pub(crate) fn time_span(vals: &Values) -> std::result::Result<Option<(i64, i64)>, ()> {
    let ranges = [
        (Flag::DayOfYear, 1, 366),
        (Flag::Hour, 0, 23),
        (Flag::Minute, 0, 59),
        // Second 60 appears in names written during a leap second.
        (Flag::Second, 0, 60),
    ];
    for (flag, min, max) in ranges {
        if num(vals, flag).is_some_and(|v| v < min || v > max) {
            return Err(());
        }
    }
    let Some(year) = year(vals)? else {
        return Ok(None);
    };
    let Some(doy) = num(vals, Flag::DayOfYear) else {
        let start = time::from_year_doy(year, 1).map_err(|_| ())?;
        let end = time::from_year_doy(year + 1, 1).map_err(|_| ())?;
        return Ok(Some((start, end)));
    };
    let mut start = time::from_year_doy(year, doy).map_err(|_| ())?;
    let mut span = NS_PER_DAY;
    let steps = [
        (Flag::Hour, 3600 * NS_PER_S),
        (Flag::Minute, 60 * NS_PER_S),
        (Flag::Second, NS_PER_S),
        (Flag::Fraction, 100_000),
    ];
    for (flag, unit) in steps {
        let Some(v) = num(vals, flag) else { break };
        start += i64::from(v) * unit;
        span = unit;
    }
    Ok(Some((start, start + span)))
}

/// Publication version of a SEED data quality letter, as dataselect's `-Q` translates it
/// ([`crate::record::quality_publication_version`]).
fn pub_version(quality: char) -> Option<u8> {
    u8::try_from(quality)
        .ok()
        .and_then(crate::record::quality_publication_version)
}

/// The text of `flag` for a file of `nslc` at instant `t_ns` with data quality `quality`.
///
/// # Errors
/// [`Error::InvalidArgument`] for `%L`, `%r`, `%R` (they need record values) and for `%v`
/// with a quality that is not `R`, `D`, `Q` or `M`.
pub(crate) fn value_for(flag: Flag, nslc: &Nslc, t_ns: i64, quality: char) -> Result<String> {
    let (y, _, _, hh, mm, ss) = time::civil(t_ns);
    let (_, doy) = time::year_doy(t_ns);
    Ok(match flag {
        Flag::Network => nslc.network.clone(),
        Flag::Station => nslc.station.clone(),
        Flag::Location => nslc.location.clone(),
        Flag::Channel => nslc.channel.clone(),
        Flag::Year => format!("{y:04}"),
        Flag::Year2 => format!("{:02}", y.rem_euclid(100)),
        Flag::DayOfYear => format!("{doy:03}"),
        Flag::Hour => format!("{hh:02}"),
        Flag::Minute => format!("{mm:02}"),
        Flag::Second => format!("{ss:02}"),
        Flag::Fraction => format!("{:04}", t_ns.rem_euclid(NS_PER_S) / 100_000),
        Flag::Quality => quality.to_string(),
        Flag::Version => pub_version(quality)
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "%v needs a quality R, D, Q or M to give a publication version, got {quality:?}"
                ))
            })?
            .to_string(),
        Flag::SdsType => "D".to_string(),
        Flag::RecordLength | Flag::RateInt | Flag::RateFloat => {
            return Err(Error::invalid_argument(format!(
                "template flag %{} needs record values (record length or sample rate); \
                 a file path cannot be built from a stream, a time and a quality",
                flag.letter()
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors() {
        for bad in [
            "", "/abs/%n", "a//%n", "%n/", "../%n", "./%n", ".hid/%n", "%x", "%n%", "plain",
            "a\\%n", "%t",
        ] {
            let e = Template::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{bad:?}");
        }
        let t = Template::parse("%%%n##.#H").unwrap();
        assert_eq!(
            t.components()[0],
            vec![
                Item::Literal("%".into()),
                Item::Field {
                    flag: Flag::Network,
                    defining: true
                },
                Item::Literal("#.".into()),
                Item::Field {
                    flag: Flag::Hour,
                    defining: false
                },
            ]
        );
        assert!(t.has_non_defining());
        assert!(!t.names_streams());
    }

    #[test]
    fn matching_binds_and_backtracks() {
        let t = Template::parse("%n/%s/%s.%n.%l.%c.%Y.%j").unwrap();
        let mut v = no_values();
        assert!(t.match_component(0, "NL", &mut v));
        assert!(t.match_component(1, "HGN", &mut v));
        assert!(t.match_component(2, "HGN.NL..BHE.2003.055", &mut v));
        assert_eq!(v[Flag::Location as usize].as_deref(), Some(""));
        assert_eq!(v[Flag::Channel as usize].as_deref(), Some("BHE"));
        assert_eq!(
            time_span(&v).unwrap(),
            Some((
                time::from_year_doy(2003, 55).unwrap(),
                time::from_year_doy(2003, 56).unwrap()
            ))
        );
        // Station in the file name must equal the directory's.
        let mut v = no_values();
        assert!(t.match_component(0, "NL", &mut v));
        assert!(t.match_component(1, "HGN", &mut v));
        let before = v.clone();
        assert!(!t.match_component(2, "XXX.NL..BHE.2003.055", &mut v));
        assert_eq!(v, before);
        assert!(!t.match_component(2, "HGN.NL..BHE.2003.55", &mut v));
        assert!(!t.match_component(2, "HGN.NL..BHE.2003.055.x", &mut v));

        // Variable-width fields next to each other need backtracking.
        let t = Template::parse("%n%s_%Y").unwrap();
        let mut v = no_values();
        assert!(t.match_component(0, "ABCD_2020", &mut v));
        assert_eq!(v[Flag::Network as usize].as_deref(), Some("ABC"));
    }

    #[test]
    fn spans() {
        let t = Template::parse("%y%j%H").unwrap();
        let mut v = no_values();
        assert!(t.match_component(0, "0800113", &mut v));
        let start = time::from_year_doy(2008, 1).unwrap() + 13 * 3600 * NS_PER_S;
        assert_eq!(
            time_span(&v).unwrap(),
            Some((start, start + 3600 * NS_PER_S))
        );
        let mut v = no_values();
        assert!(t.match_component(0, "7036524", &mut v));
        assert!(time_span(&v).is_err(), "day 365 ok, hour 24 is not");
        let mut v = no_values();
        assert!(t.match_component(0, "6936600", &mut v));
        assert!(time_span(&v).is_err(), "1969 has no day 366");
        // Without a year, ranges are still checked, and there is no time.
        let t = Template::parse("%j.%H").unwrap();
        let mut v = no_values();
        assert!(t.match_component(0, "366.23", &mut v));
        assert_eq!(time_span(&v), Ok(None));
        for bad in ["000.00", "367.00", "001.24"] {
            let mut v = no_values();
            assert!(t.match_component(0, bad, &mut v));
            assert!(time_span(&v).is_err(), "{bad}");
        }
    }
}
