//! `siqaco import seiscomp`: the streams a SeisComP `slarchive` archives, and where, as a
//! `siqaco.toml`.
//!
//! slarchive's set-up (SeisComP's `etc/init/slarchive.py`, docs of slarchive):
//!
//! - **Key files** `etc/key/station_NET_STA`: one binding per line, `module` or
//!   `module:PROFILE`, `#` comments; the first line naming the module (`slarchive`, or an
//!   alias) binds the station.
//! - **Bindings** `etc/key/slarchive/profile_PROFILE` (with a profile) or
//!   `etc/key/slarchive/station_NET_STA`: SeisComP configuration lines `name = value`;
//!   `selectors` are SeedLink selectors `[LL]CCC[.T]` separated by spaces (or commas),
//!   `?` a one-character wildcard, a leading `!` excluding; `keep` is how many days
//!   `purge_datafiles` keeps. No binding file, or no `selectors`: every stream of the
//!   station.
//! - **Archive**: `archive` of `etc/slarchive.cfg` (relative to `$SEISCOMP_ROOT`), by
//!   default `$SEISCOMP_ROOT/var/lib/archive`, in SDS; records are written as received.
//!
//! With an inventory (FDSN StationXML, a directory of them, or SeisComP XML), the selection
//! is the exact channels of the bound stations that the selectors select and that have an
//! epoch open at the time of the import (SeedLink delivers only those; the closed ones are
//! listed in a comment). Without one, each selector becomes a glob `NET.STA.LL.CCC`
//! (`*` for an omitted location), and a station without selectors `NET.STA.*.*`; negative
//! selectors cannot be written as globs and are reported.

use super::xml;
use super::{ImportReport, TomlText, Unmapped};
use crate::error::{Error, Result};
use crate::ops::ImportSeiscompRequest;
use crate::sid::Nslc;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One SeedLink selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    /// A leading `!`.
    pub negative: bool,
    /// The location pattern (two characters, `?` wildcards); `None` = any.
    pub location: Option<String>,
    /// The channel pattern (three characters); `None` = any.
    pub channel: Option<String>,
    /// The record type (`D` waveform data, `E`, `C`, `O`, `T`, `L`); `None` = any.
    pub kind: Option<char>,
}

impl Selector {
    /// Parses one selector (`BH?`, `00BHZ.D`, `!LCQ`, `E`, `.D`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for another form.
    pub fn parse(text: &str) -> Result<Selector> {
        let bad = || {
            Error::invalid_argument(format!(
                "selector {text:?}: expected [!][LL]CCC[.T] (SeedLink selector)"
            ))
        };
        let (negative, s) = match text.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (codes, kind) = match s.split_once('.') {
            Some((c, t)) => (c, Some(t)),
            // A lone letter is a type: `E`, `!L`.
            None if s.len() == 1 => ("", Some(s)),
            None => (s, None),
        };
        let kind = match kind {
            None | Some("") => None,
            Some(t) if t.len() == 1 && "DECOTL?".contains(t) => t.chars().next(),
            Some(_) => return Err(bad()),
        };
        let ok = |p: &str| {
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '?' || c == '-' || c == ' ')
        };
        if !ok(codes) {
            return Err(bad());
        }
        let (location, channel) = match codes.len() {
            0 => (None, None),
            3 => (None, Some(codes.to_string())),
            5 => (Some(codes[..2].to_string()), Some(codes[2..].to_string())),
            _ => return Err(bad()),
        };
        Ok(Selector {
            negative,
            location,
            channel,
            kind: kind.filter(|k| *k != '?'),
        })
    }

    /// Whether it selects waveform data records of `location`, `channel`: its codes match
    /// (`?` any one character; the empty location written `  ` or `--`) and its type is
    /// `D` or any.
    pub fn matches(&self, location: &str, channel: &str) -> bool {
        let m = |pat: &Option<String>, code: &str| {
            pat.as_ref().is_none_or(|p| {
                let p = if p.trim().is_empty() || p == "--" {
                    ""
                } else {
                    p.as_str()
                };
                p.len() == code.len()
                    && p.chars().zip(code.chars()).all(|(a, b)| a == '?' || a == b)
            })
        };
        self.kind.is_none_or(|k| k == 'D')
            && m(&self.location, location)
            && m(&self.channel, channel)
    }
}

/// Whether `selectors` select the data of `location`, `channel` (SeedLink's rule: any
/// positive selector matches, or there is none, and no negative one does).
pub fn selected(selectors: &[Selector], location: &str, channel: &str) -> bool {
    let positive: Vec<&Selector> = selectors.iter().filter(|s| !s.negative).collect();
    (positive.is_empty() || positive.iter().any(|s| s.matches(location, channel)))
        && !selectors.iter().filter(|s| s.negative).any(|s| {
            (s.location.is_some() || s.channel.is_some() || s.kind == Some('D'))
                && s.matches(location, channel)
        })
}

/// SeisComP configuration lines (`name = value`, `#` comments, `\` continuing a line,
/// double quotes around a value removed).
fn read_cfg(path: &Path) -> Result<BTreeMap<String, (String, usize)>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = BTreeMap::new();
    let mut pending = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if pending.is_empty() {
            start = i + 1;
        }
        let line = raw.trim();
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let whole = std::mem::take(&mut pending);
        let whole = whole.trim();
        if whole.is_empty() || whole.starts_with('#') {
            continue;
        }
        let (k, v) = whole.split_once('=').ok_or_else(|| {
            Error::config(format!(
                "{}: line {start}: expected name = value, got {whole:?}",
                path.display()
            ))
        })?;
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .unwrap_or(v);
        out.insert(k.trim().to_string(), (v.to_string(), start));
    }
    Ok(out)
}

/// One bound station.
#[derive(Debug)]
struct Bound {
    network: String,
    station: String,
    /// The binding file read (None: there is none).
    binding: Option<PathBuf>,
    selectors: Vec<Selector>,
}

/// The stations of `keys` bound to `module`, sorted.
fn bindings(
    keys: &Path,
    module: &str,
    warnings: &mut Vec<String>,
    unmapped: &mut Vec<Unmapped>,
) -> Result<Vec<Bound>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(keys)
        .map_err(|e| Error::io(keys, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("station_"))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Some((net, sta)) = name["station_".len()..].split_once('_') else {
            warnings.push(format!("{}: not station_NET_STA: skipped", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
        let mut profile = None;
        let mut bound = false;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (m, p) = match line.split_once(':') {
                Some((m, p)) => (m, Some(p)),
                None => (line, None),
            };
            let valid = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            };
            if !valid(m) || p.is_some_and(|p| !valid(p) || p.contains('.')) {
                return Err(Error::config(format!(
                    "{}: line {}: invalid binding {line:?} (module or module:profile)",
                    f.display(),
                    i + 1
                )));
            }
            if m == module {
                bound = true;
                profile = p.map(str::to_string);
                break;
            }
        }
        if !bound {
            continue;
        }
        let code = |c: &str, what: &str| {
            crate::sid::validate_code(c, false)
                .map_err(|e| Error::config(format!("{}: {what} code {c:?}: {e}", f.display())))
        };
        code(net, "network")?;
        code(sta, "station")?;
        let binding = keys.join(module).join(match &profile {
            Some(p) => format!("profile_{p}"),
            None => format!("station_{net}_{sta}"),
        });
        let mut selectors = Vec::new();
        let binding = if binding.is_file() {
            let cfg = read_cfg(&binding)?;
            if let Some((v, line)) = cfg.get("selectors") {
                for s in v
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|s| !s.is_empty())
                {
                    selectors.push(Selector::parse(s).map_err(|e| {
                        Error::config(format!(
                            "{}: line {line}: selectors: {e}",
                            binding.display()
                        ))
                    })?);
                }
            }
            for (k, (v, _)) in &cfg {
                if k != "selectors" {
                    unmapped.push(Unmapped {
                        field: format!("{} {k}", binding.display()),
                        value: v.clone(),
                        why: if k == "keep" {
                            "days purge_datafiles keeps; siqaco never deletes data".into()
                        } else {
                            "not an archive or stream setting siqaco has".into()
                        },
                    });
                }
            }
            Some(binding)
        } else {
            warnings.push(format!("{net}.{sta}: no binding file {}: every stream of the station (slarchive's default)", binding.display()));
            None
        };
        out.push(Bound {
            network: net.to_string(),
            station: sta.to_string(),
            binding,
            selectors,
        });
    }
    Ok(out)
}

/// A channel epoch of an inventory: stream and `[start, end)` (ns, `None` open).
type Epoch = (Nslc, Option<i64>, Option<i64>);

/// The channel epochs of a SeisComP XML inventory (`<seiscomp><Inventory><network
/// code><station code><sensorLocation code><stream code><start><end>`).
fn scml_epochs(root: &xml::Element, path: &Path) -> Result<Vec<Epoch>> {
    let time = |el: &xml::Element, name: &str| -> Result<Option<i64>> {
        el.first(name)
            .map(|t| t.text.trim())
            .filter(|t| !t.is_empty())
            .map(|t| {
                crate::stationxml::parse_xml_datetime(t).map_err(|e| {
                    Error::config(format!(
                        "{}: line {}: <{name}>: {e}",
                        path.display(),
                        el.line
                    ))
                })
            })
            .transpose()
    };
    let code = |el: &xml::Element| el.attr("code").unwrap_or_default().trim().to_string();
    let mut out = Vec::new();
    for inv in root.all("Inventory") {
        for n in inv.all("network") {
            for s in n.all("station") {
                for l in s.all("sensorLocation") {
                    for c in l.all("stream") {
                        out.push((
                            Nslc::new(&code(n), &code(s), &code(l), &code(c)),
                            time(c, "start")?,
                            time(c, "end")?,
                        ));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The channel epochs of `path`: a directory of StationXML files, a StationXML file or a
/// SeisComP XML file (by its root element).
fn inventory_epochs(path: &Path) -> Result<Vec<Epoch>> {
    let from_stationxml = |inv: crate::stationxml::Inventory| -> Vec<Epoch> {
        inv.channels()
            .map(|c| (c.nslc.clone(), c.start_ns, c.end_ns))
            .collect()
    };
    if path.is_dir() {
        return Ok(from_stationxml(crate::stationxml::read_stationxml_dir(
            path,
        )?));
    }
    let bytes = xml::read_limited(path)?;
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
    if head.contains("<seiscomp") {
        let root = xml::parse(&bytes, path)?;
        if root.name != "seiscomp" {
            return Err(Error::config(format!(
                "{}: root element <{}>: neither FDSN StationXML nor SeisComP XML",
                path.display(),
                root.name
            )));
        }
        scml_epochs(&root, path)
    } else {
        Ok(from_stationxml(crate::stationxml::parse_stationxml(
            &bytes,
            &path.display().to_string(),
        )?))
    }
}

/// A path as written to the file: absolute (the configuration resolves relative paths
/// against its own directory, not the current one).
fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| Error::io(p, e))
}

/// Runs the import `req` (validated by the caller).
pub(crate) fn import(req: &ImportSeiscompRequest) -> Result<ImportReport> {
    let mut warnings = Vec::new();
    let mut unmapped = Vec::new();
    let keys = absolute(&req.keys)?;
    let bound = bindings(&keys, &req.module, &mut warnings, &mut unmapped)?;
    if bound.is_empty() {
        return Err(Error::field(
            "keys",
            format!(
                "{}: no station_NET_STA key file binds {}",
                keys.display(),
                req.module
            ),
        ));
    }
    // The archive slarchive writes.
    let etc = keys.parent().unwrap_or(&keys).to_path_buf();
    let root = etc.parent().unwrap_or(&etc).to_path_buf();
    let (archive, archive_note) = match &req.archive {
        Some(a) => (absolute(a)?, "given to siqaco import".to_string()),
        None => {
            // etc/defaults/MODULE.cfg, then etc/MODULE.cfg (the later wins, as SeisComP
            // reads them); @ROOTDIR@ and ${SEISCOMP_ROOT} are the installation's root.
            let mut from_cfg = None;
            let mut cfg_file = etc.join(format!("{}.cfg", req.module));
            let defaults = etc.join("defaults").join(format!("{}.cfg", req.module));
            for f in [defaults, cfg_file.clone()] {
                if f.is_file() {
                    if let Some((v, _)) = read_cfg(&f)?.get("archive") {
                        let r = root.display().to_string();
                        from_cfg = Some(v.replace("@ROOTDIR@", &r).replace("${SEISCOMP_ROOT}", &r));
                        cfg_file = f;
                    }
                }
            }
            match from_cfg {
                Some(a) if Path::new(&a).is_absolute() => (
                    PathBuf::from(&a),
                    format!("archive of {}", cfg_file.display()),
                ),
                Some(a) => (
                    root.join(&a),
                    format!(
                        "archive of {} (relative to $SEISCOMP_ROOT {})",
                        cfg_file.display(),
                        root.display()
                    ),
                ),
                None => (
                    root.join("var/lib/archive"),
                    format!(
                        "slarchive's default $SEISCOMP_ROOT/var/lib/archive ({} sets no archive)",
                        cfg_file.display()
                    ),
                ),
            }
        }
    };
    // The selection.
    let now = crate::time::now_ns();
    let mut select: BTreeSet<String> = BTreeSet::new();
    let mut closed: BTreeSet<String> = BTreeSet::new();
    if let Some(inv) = &req.inventory {
        let epochs = inventory_epochs(inv)?;
        for b in &bound {
            let mut any = false;
            let mut open: BTreeSet<Nslc> = BTreeSet::new();
            let mut seen: BTreeSet<Nslc> = BTreeSet::new();
            for (n, _, end) in &epochs {
                if n.network == b.network
                    && n.station == b.station
                    && selected(&b.selectors, &n.location, &n.channel)
                {
                    any = true;
                    seen.insert(n.clone());
                    if end.is_none_or(|e| e > now) {
                        open.insert(n.clone());
                    }
                }
            }
            if !any {
                warnings.push(format!(
                    "{}.{}: bound, but no channel of {} is selected by its bindings",
                    b.network,
                    b.station,
                    inv.display()
                ));
            }
            for n in &seen {
                if !open.contains(n) {
                    closed.insert(n.to_string());
                }
            }
            select.extend(open.iter().map(ToString::to_string));
        }
    } else {
        for b in &bound {
            let positive: Vec<&Selector> = b
                .selectors
                .iter()
                .filter(|s| !s.negative && s.kind.is_none_or(|k| k == 'D'))
                .collect();
            if b.selectors.iter().any(|s| s.negative) {
                warnings.push(format!(
                    "{}.{}: negative selectors cannot be written as globs: give an inventory (--inventory) to apply them",
                    b.network, b.station
                ));
            }
            if positive.is_empty()
                || positive
                    .iter()
                    .all(|s| s.channel.is_none() && s.location.is_none())
            {
                select.insert(format!("{}.{}.*.*", b.network, b.station));
            }
            for s in positive {
                if s.channel.is_none() && s.location.is_none() {
                    continue;
                }
                let loc = match &s.location {
                    None => "*".to_string(),
                    Some(l) if l.trim().is_empty() || l == "--" => String::new(),
                    Some(l) => l.clone(),
                };
                select.insert(format!(
                    "{}.{}.{loc}.{}",
                    b.network,
                    b.station,
                    s.channel.as_deref().unwrap_or("*")
                ));
            }
        }
    }
    if select.is_empty() {
        return Err(Error::field(
            "inventory",
            "no stream selected: the bound stations have no open channel in the inventory that their selectors select",
        ));
    }
    let select: Vec<String> = select.into_iter().collect();

    let mut t = TomlText::default();
    t.comment(&format!(
        "siqaco update configuration imported from SeisComP by `siqaco import seiscomp` (docs/import.md).\n\
         Key files: {}{}; module {}.\n\
         Relative paths are relative to this file.",
        keys.display(),
        req.inventory.as_ref().map(|i| format!("; inventory {}", i.display())).unwrap_or_default(),
        req.module
    ));
    t.table("archive", false);
    t.kv("path", archive.display().to_string(), Some(&archive_note));
    t.kv(
        "layout",
        "sds",
        Some("slarchive writes SDS; records are kept as received"),
    );
    t.table("catalogue", false);
    t.kv("url", req.catalogue.as_str(), None);
    t.table("streams", false);
    t.list(
        "select",
        &select,
        Some(if req.inventory.is_some() {
            "the open channels of the bound stations that their selectors select"
        } else {
            "the bound stations' selectors as globs"
        }),
    );
    if !closed.is_empty() {
        t.comment("Channels the bindings select whose every epoch in the inventory has ended (not maintained):");
        for c in &closed {
            t.comment(&format!("  {c}"));
        }
    }
    t.blank();
    t.comment("slarchive receives its data from SeedLink in real time; give the sources that can fill its gaps, e.g.\n[[sources]]\nname = \"datacentre\"\nkind = \"fdsn\"\nurl = \"https://host\"");
    let stations: Vec<String> = bound
        .iter()
        .map(|b| {
            format!(
                "{}.{} ({})",
                b.network,
                b.station,
                b.binding
                    .as_ref()
                    .map_or("no binding file".to_string(), |p| p.display().to_string())
            )
        })
        .collect();
    t.blank();
    t.comment(&format!("Bound stations: {}", stations.join(", ")));
    t.unmapped(
        "SeisComP settings with no siqaco equivalent (setting = value: why):",
        &unmapped,
    );
    let text = t.into_string();
    let config = super::check_config(&text, &req.out, req.force)?;
    super::write_checked(&text, &req.out)?;
    Ok(ImportReport {
        written: req.out.clone(),
        streams: select,
        sources: config.sources.iter().map(|s| s.name.clone()).collect(),
        warnings,
        unmapped,
        ..ImportReport::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seedlink_selectors() {
        let s = |t: &str| Selector::parse(t).unwrap();
        assert_eq!(
            s("BH?"),
            Selector {
                negative: false,
                location: None,
                channel: Some("BH?".into()),
                kind: None
            }
        );
        assert_eq!(s("00BHZ.D").location.as_deref(), Some("00"));
        assert_eq!(s("!E").kind, Some('E'));
        assert!(s("!E").negative);
        let sel: Vec<Selector> = ["BH?", "!BH1"].iter().map(|t| s(t)).collect();
        assert!(selected(&sel, "", "BHZ"));
        assert!(!selected(&sel, "", "BH1"));
        assert!(!selected(&sel, "", "HHZ"));
        // A type selector: detection records only select no data; excluding them keeps data.
        assert!(!selected(&[s("E")], "", "BHZ"));
        assert!(selected(&[s("BH?"), s("!E")], "00", "BHZ"));
        assert!(selected(&[s("00BH?.D")], "00", "BHN"));
        assert!(!selected(&[s("00BH?.D")], "10", "BHN"));
        assert!(selected(&[s("  BH?")], "", "BHN"));
        assert!(selected(&[], "", "LHZ"));
        for bad in ["BHZZ", "BH", "BHZ.X", "BH*", "00BHZ.D.D"] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seiscomp_config_lines() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("profile_x");
        std::fs::write(&p, "# comment\nselectors = \"BH? \\\n HH?\"\nkeep = 30\n").unwrap();
        let c = read_cfg(&p).unwrap();
        assert_eq!(c["selectors"].0, "BH?  HH?");
        assert_eq!(c["keep"], ("30".into(), 4));
        std::fs::write(&p, "selectors BH?\n").unwrap();
        assert!(read_cfg(&p)
            .unwrap_err()
            .to_string()
            .contains("profile_x: line 1"));
    }

    /// A SeisComP XML inventory (scxmldump) gives the channel epochs of its streams, and
    /// an import over it selects the bound station's open, selected channels.
    #[test]
    fn seiscomp_xml_inventory() {
        let d = tempfile::tempdir().unwrap();
        let scml = d.path().join("inv.scml");
        std::fs::write(
            &scml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <seiscomp xmlns=\"http://geofon.gfz-potsdam.de/ns/seiscomp3-schema/0.12\" version=\"0.12\">\n\
             <Inventory><network publicID=\"N/GE\" code=\"GE\"><start>2000-01-01T00:00:00.0000Z</start>\n\
             <station publicID=\"S/GE.WLF\" code=\"WLF\"><start>2000-01-01T00:00:00Z</start>\n\
             <sensorLocation publicID=\"L/1\" code=\"\"><start>2000-01-01T00:00:00Z</start>\n\
             <stream code=\"BHZ\"><start>2000-01-01T00:00:00Z</start></stream>\n\
             <stream code=\"BHN\"><start>2000-01-01T00:00:00Z</start><end>2010-01-01T00:00:00Z</end></stream>\n\
             <stream code=\"HHZ\"><start>2010-01-01T00:00:00Z</start></stream>\n\
             </sensorLocation></station></network></Inventory></seiscomp>\n",
        )
        .unwrap();
        let epochs = inventory_epochs(&scml).unwrap();
        assert_eq!(epochs.len(), 3);
        assert_eq!(epochs[1].0, Nslc::new("GE", "WLF", "", "BHN"));
        assert_eq!(
            epochs[1].2,
            Some(crate::time::parse_time("2010-01-01").unwrap())
        );
        let keys = d.path().join("etc/key");
        std::fs::create_dir_all(keys.join("slarchive")).unwrap();
        std::fs::write(keys.join("station_GE_WLF"), "slarchive:bh\n").unwrap();
        std::fs::write(keys.join("slarchive/profile_bh"), "selectors = BH?.D\n").unwrap();
        let mut req = ImportSeiscompRequest::new(&keys, d.path().join("siqaco.toml"));
        req.inventory = Some(scml);
        let report = req.run(&crate::ops::Control::new()).unwrap();
        // BHN's only epoch ended: listed in a comment, not selected.
        assert_eq!(report.streams, ["GE.WLF..BHZ"]);
        let text = std::fs::read_to_string(d.path().join("siqaco.toml")).unwrap();
        assert!(text.contains("#   GE.WLF..BHN"), "{text}");
        assert!(text.contains(&format!(
            "path = {:?}",
            d.path().join("var/lib/archive").display().to_string()
        )));
        // etc/defaults/slarchive.cfg is read too, @ROOTDIR@ being the installation.
        std::fs::create_dir_all(d.path().join("etc/defaults")).unwrap();
        std::fs::write(
            d.path().join("etc/defaults/slarchive.cfg"),
            "archive = @ROOTDIR@/sds2\n",
        )
        .unwrap();
        req.force = true;
        req.run(&crate::ops::Control::new()).unwrap();
        let text = std::fs::read_to_string(d.path().join("siqaco.toml")).unwrap();
        assert!(text.contains(&format!(
            "path = {:?}",
            d.path().join("sds2").display().to_string()
        )));
    }
}
