//! Stream identifiers: network, station, location and channel codes (N.S.L.C), FDSN source
//! identifiers, glob selections and the validation of codes used in paths.
//!
//! Rules follow the SEED 2.4 manual (fixed header fields 3–6: codes of up to 5, 2, 2 and 3
//! characters) and the FDSN Source Identifiers specification 1.0
//! (`FDSN:NET_STA_LOC_BAND_SOURCE_SUBSOURCE`), as libmseed's `ms_nslc2sid`/`ms_sid2nslc`
//! implement it.

use crate::error::{Error, Result};
use std::fmt;

/// Network, station, location and channel codes of one stream.
///
/// The location code may be empty (SEED blank location; written `--` by FDSN services).
/// `Display` writes `NET.STA.LOC.CHA` (an empty location gives `NET.STA..CHA`).
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Nslc {
    /// Network code (SEED: 1–2 characters, FDSN: up to 8).
    pub network: String,
    /// Station code (SEED: 1–5 characters, FDSN: up to 8).
    pub station: String,
    /// Location code, possibly empty.
    pub location: String,
    /// Channel code (SEED: 3 characters band, instrument, orientation).
    pub channel: String,
}

impl Nslc {
    /// Builds an `Nslc` from its four codes without validation (codes come from records;
    /// see [`Nslc::validate`] before using codes in a path).
    pub fn new(network: &str, station: &str, location: &str, channel: &str) -> Self {
        Nslc {
            network: network.to_string(),
            station: station.to_string(),
            location: location.to_string(),
            channel: channel.to_string(),
        }
    }

    /// Parses `NET.STA.LOC.CHA` (exactly four dot-separated codes; `--` as location means
    /// empty) and validates each code with [`validate_code`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a wrong number of parts, [`Error::InvalidCode`] for a
    /// code that is not allowed.
    pub fn parse(text: &str) -> Result<Self> {
        let parts: Vec<&str> = text.split('.').collect();
        if parts.len() != 4 {
            return Err(Error::invalid_argument(format!(
                "{text:?} is not NET.STA.LOC.CHA (four dot-separated codes)"
            )));
        }
        let loc = if parts[2] == "--" { "" } else { parts[2] };
        let n = Nslc::new(parts[0], parts[1], loc, parts[3]);
        n.validate()?;
        Ok(n)
    }

    /// Checks every code with [`validate_code`] (the location may be empty).
    ///
    /// # Errors
    /// [`Error::InvalidCode`] naming the first bad code.
    pub fn validate(&self) -> Result<()> {
        validate_code(&self.network, false)?;
        validate_code(&self.station, false)?;
        validate_code(&self.location, true)?;
        validate_code(&self.channel, false)?;
        Ok(())
    }

    /// The FDSN source identifier, e.g. `FDSN:IU_COLA_00_B_H_Z`.
    ///
    /// A channel of exactly three characters is split into band, source and subsource; any
    /// other channel is used as it is (libmseed's `ms_nslc2sid`).
    pub fn source_id(&self) -> String {
        let cha: String = if self.channel.chars().count() == 3 {
            let c: Vec<char> = self.channel.chars().collect();
            format!("{}_{}_{}", c[0], c[1], c[2])
        } else {
            self.channel.clone()
        };
        format!(
            "FDSN:{}_{}_{}_{}",
            self.network, self.station, self.location, cha
        )
    }

    /// Parses an FDSN source identifier `FDSN:NET_STA_LOC_B_S_SS` (libmseed's
    /// `ms_sid2nslc`: band, source and subsource of one character each are joined into a
    /// SEED channel; otherwise the channel part is kept as it is).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the identifier does not have the FDSN form.
    pub fn from_source_id(sid: &str) -> Result<Self> {
        let body = sid.strip_prefix("FDSN:").ok_or_else(|| {
            Error::invalid_argument(format!("{sid:?} is not an FDSN source identifier"))
        })?;
        let mut it = body.splitn(4, '_');
        let (Some(n), Some(s), Some(l), Some(c)) = (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(Error::invalid_argument(format!(
                "{sid:?} is not an FDSN source identifier (FDSN:NET_STA_LOC_B_S_SS)"
            )));
        };
        let parts: Vec<&str> = c.split('_').collect();
        let channel = if parts.len() == 3 && parts.iter().all(|p| p.chars().count() == 1) {
            parts.concat()
        } else {
            c.to_string()
        };
        Ok(Nslc::new(n, s, l, &channel))
    }
}

impl fmt::Display for Nslc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.network, self.station, self.location, self.channel
        )
    }
}

/// Checks that a code is safe and sensible: ASCII letters, digits, `-` and `_` only, at
/// most 16 characters, not empty unless `allow_empty`. This rejects everything that could
/// change a path built from codes (`..`, `/`, `\`, NUL, spaces, control characters).
///
/// # Errors
/// [`Error::InvalidCode`] with the reason.
pub fn validate_code(code: &str, allow_empty: bool) -> Result<()> {
    let reject = |reason: &str| Error::InvalidCode {
        code: code.to_string(),
        reason: reason.to_string(),
    };
    if code.is_empty() {
        return if allow_empty {
            Ok(())
        } else {
            Err(reject("empty code"))
        };
    }
    if code.len() > 16 {
        return Err(reject("longer than 16 characters"));
    }
    if let Some(bad) = code
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(reject(&format!(
            "character {bad:?} is not allowed (letters, digits, '-' and '_' only)"
        )));
    }
    Ok(())
}

/// Matches `text` against a glob `pattern` where `*` matches any run of characters
/// (possibly empty) and `?` exactly one character, as msi's and dataselect's `-m` do.
/// Matching is case-sensitive.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A selection of streams: four glob patterns for network, station, location, channel.
///
/// Parsed from `NET.STA.LOC.CHA` where each part may use `*` and `?`; missing trailing parts
/// mean `*` (`IU.ANMO` = `IU.ANMO.*.*`); a location of `--` selects the empty location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NslcGlob {
    /// Pattern for the network code.
    pub network: String,
    /// Pattern for the station code.
    pub station: String,
    /// Pattern for the location code.
    pub location: String,
    /// Pattern for the channel code.
    pub channel: String,
}

impl NslcGlob {
    /// The selection of exactly `nslc` (its codes, no wildcard).
    pub fn exact(nslc: &Nslc) -> Self {
        NslcGlob {
            network: nslc.network.clone(),
            station: nslc.station.clone(),
            location: nslc.location.clone(),
            channel: nslc.channel.clone(),
        }
    }

    /// The one stream this selection names when no field holds `*` or `?`; `None` for a
    /// glob.
    pub fn as_exact(&self) -> Option<Nslc> {
        let fields = [&self.network, &self.station, &self.location, &self.channel];
        if fields.iter().any(|f| f.contains(['*', '?'])) {
            return None;
        }
        Some(Nslc::new(
            &self.network,
            &self.station,
            &self.location,
            &self.channel,
        ))
    }

    /// The selection that matches every stream.
    pub fn all() -> Self {
        NslcGlob {
            network: "*".into(),
            station: "*".into(),
            location: "*".into(),
            channel: "*".into(),
        }
    }

    /// Parses `NET[.STA[.LOC[.CHA]]]` with globs.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for more than four parts or a character that is neither a
    /// code character nor `*`/`?`.
    pub fn parse(text: &str) -> Result<Self> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        if parts.len() > 4 || text.trim().is_empty() {
            return Err(Error::invalid_argument(format!(
                "selection {text:?} is not NET.STA.LOC.CHA (globs * and ? allowed)"
            )));
        }
        for p in &parts {
            if let Some(c) = p
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '?')))
            {
                return Err(Error::invalid_argument(format!(
                    "selection {text:?}: character {c:?} is not allowed"
                )));
            }
        }
        let get = |i: usize| parts.get(i).map(|s| s.to_string()).unwrap_or("*".into());
        let mut location = get(2);
        if location == "--" {
            location.clear();
        }
        Ok(NslcGlob {
            network: get(0),
            station: get(1),
            location,
            channel: get(3),
        })
    }

    /// Whether `nslc` is selected.
    pub fn matches(&self, nslc: &Nslc) -> bool {
        self.matches_codes(&nslc.network, &nslc.station, &nslc.location, &nslc.channel)
    }

    /// Whether the four codes are selected.
    pub fn matches_codes(&self, net: &str, sta: &str, loc: &str, cha: &str) -> bool {
        glob_match(&self.network, net)
            && glob_match(&self.station, sta)
            && glob_match(&self.location, loc)
            && glob_match(&self.channel, cha)
    }
}

impl fmt::Display for NslcGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = if self.location.is_empty() {
            "--"
        } else {
            &self.location
        };
        write!(
            f,
            "{}.{}.{}.{}",
            self.network, self.station, loc, self.channel
        )
    }
}

/// Whether `nslc` is selected by any of `selection` (an empty selection selects everything).
pub fn selected(selection: &[NslcGlob], nslc: &Nslc) -> bool {
    selection.is_empty() || selection.iter().any(|g| g.matches(nslc))
}

impl std::str::FromStr for NslcGlob {
    type Err = Error;

    /// As [`NslcGlob::parse`].
    fn from_str(s: &str) -> Result<Self> {
        NslcGlob::parse(s)
    }
}

impl std::str::FromStr for Nslc {
    type Err = Error;

    /// As [`Nslc::parse`].
    fn from_str(s: &str) -> Result<Self> {
        Nslc::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("B?Z", "BHZ"));
        assert!(!glob_match("B?Z", "BHN"));
        assert!(glob_match("*H*", "BHZ"));
        assert!(!glob_match("H*", "BHZ"));
        let g = NslcGlob::parse("IU.COLA").unwrap();
        assert!(g.matches(&Nslc::new("IU", "COLA", "00", "BHZ")));
        let g = NslcGlob::parse("*.*.--.LH?").unwrap();
        assert!(g.matches(&Nslc::new("CH", "BALST", "", "LHE")));
        assert!(!g.matches(&Nslc::new("CH", "BALST", "00", "LHE")));
        assert!(NslcGlob::parse("a/b").is_err());
        assert!(NslcGlob::parse("A.B.C.D.E").is_err());
    }

    #[test]
    fn source_ids() {
        let n = Nslc::new("IU", "COLA", "00", "BHZ");
        assert_eq!(n.source_id(), "FDSN:IU_COLA_00_B_H_Z");
        assert_eq!(Nslc::from_source_id("FDSN:IU_COLA_00_B_H_Z").unwrap(), n);
        assert_eq!(
            Nslc::from_source_id("FDSN:XX_TEST__LONG").unwrap(),
            Nslc::new("XX", "TEST", "", "LONG")
        );
        assert!(Nslc::from_source_id("XFDSN:A").is_err());
    }

    #[test]
    fn path_tricks_rejected() {
        assert!(Nslc::parse("IU.COLA.00.BHZ").is_ok());
        assert!(Nslc::parse("IU.COLA.--.BHZ").unwrap().location.is_empty());
        for bad in ["..", "a/b", "a\\b", "a b", "x\0", ""] {
            assert!(validate_code(bad, false).is_err(), "{bad:?}");
        }
        assert!(Nslc::new("IU", "..", "", "BHZ").validate().is_err());
    }
}
