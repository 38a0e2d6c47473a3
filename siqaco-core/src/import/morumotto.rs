//! `siqaco import morumotto`: a Morumotto set-up (`IPGP/morumotto` at `976b018`) as a
//! `siqaco.toml`.
//!
//! Input: the Django XML fixtures Morumotto ships as examples (`setup.xml`: the
//! `archive.configuration`, `monitoring.archivemonitoring` and `qualitycontrol.qcconfig`
//! objects; `sources.xml`: `archive.source` objects) with its `nslc.list`
//! (`NET|STA|LOC|CHA` lines), or the `manage.py dumpdata` JSON of a running Morumotto (the
//! same models plus `archive.network`, `station`, `location`, `channel`, `nslc`, `gap` and
//! `request`). The mapping, field by field, is the table of docs/import.md; in short:
//!
//! | Morumotto | siqaco.toml |
//! |---|---|
//! | `archive`, `struct_type` SDS, `blocksize`, `compression_format`, `quality_label`, `data_format` miniSEED | `[archive]` `path`, `layout`, `record_length`, `encoding`, `quality`, `format_version = 2` |
//! | `request_lifespan_type` n / p, `request_lifespan` | `requests.retry = { count = N }` / `{ hours = H }` |
//! | `n_request`, `max_gaps_by_analysis` | `requests.in_flight`, `requests.max_gaps_per_day_file` |
//! | `granularity_type` hourly / daily, `f_analysis`, `w_analysis`, `l_analysis` | `[window]` `granularity` hour / day, `frequency`, `length`, `latency` |
//! | `nslc` (or `nslc.list`), `Station.multiplexing` | `streams.select`, `streams.multiplexed` |
//! | `Source`: `name`, `priority`, `type` FdsnWS / LOCAL_DIR, `parameters`, `limit_rate` (KB/s), `availability`, `nslc` | `[[sources]]` `name`, `priority`, `kind` fdsn / archive, `url` or `path` + `layout`, `bandwidth_bytes_per_s` (×1024), `availability` service / assume, `select` |
//!
//! SSH_SDS sources (never functional in Morumotto) and the placeholder plugins (Q330S,
//! Centaur, PCFox) are written as commented-out tables with why; an unknown plugin type is
//! an error naming the file and field. Known quirks: `setup.xml` names the configuration's
//! `name` field `config_name`; sources' many-to-many `nslc` may name NSLC objects the
//! fixtures do not hold (the source then serves every stream, with a warning); `nslc.list`
//! repeats a stream once per epoch (kept once).
//!
//! From a dump, the open requests and the gaps still open go into the request stack of the
//! catalogue the written file names ([`crate::update::stack`]); states map as
//! [`request_state`] says.

use super::django::{self, Object};
use super::{ImportReport, TomlText, Unmapped};
use crate::error::{Error, Result};
use crate::index::Catalogue;
use crate::ops::ImportMorumottoRequest;
use crate::sid::Nslc;
use crate::update::stack::{self, RequestState};
use std::collections::{BTreeMap, BTreeSet};

/// The siqaco request state of a Morumotto `Request.status` (`archive/stack.py`), with the
/// reason recorded; `None` for a request that is closed (`succeeded`: not imported).
///
/// | Morumotto | siqaco |
/// |---|---|
/// | `new` | `new` |
/// | `in_progress` (a run was working on it when the dump was made) | `retry` |
/// | `retry` | `retry` |
/// | `failed` | `failed` |
/// | `on_hold`, `on_hold, number of retry exceeded`, `on_hold, request lifespan timed out` | `on_hold` |
/// | `cancelled` | `cancelled` (its window is then never re-requested, as in Morumotto) |
/// | `succeeded` | not imported |
///
/// # Errors
/// [`Error::InvalidArgument`] for any other status.
pub fn request_state(status: &str) -> Result<Option<RequestState>> {
    Ok(Some(match status.trim() {
        "new" => RequestState::New,
        "in_progress" | "retry" => RequestState::Retry,
        "failed" => RequestState::Failed,
        "on_hold" | "on_hold, number of retry exceeded" | "on_hold, request lifespan timed out" => {
            RequestState::OnHold
        }
        "cancelled" => RequestState::Cancelled,
        "succeeded" => return Ok(None),
        s => {
            return Err(Error::invalid_argument(format!(
                "unknown request status {s:?} (new, in_progress, succeeded, failed, retry, on_hold..., cancelled)"
            )))
        }
    }))
}

/// The siqaco `archive.encoding` of a Morumotto `compression_format`; `None` for INT_24,
/// which siqaco does not write.
fn encoding(format: &str) -> Option<&'static str> {
    Some(match format {
        "STEIM1" => "steim1",
        "STEIM2" => "steim2",
        "INT_16" => "int16",
        "INT_32" => "int32",
        "IEEE_FP_SP" => "float32",
        "IEEE_FP_DP" => "float64",
        _ => return None,
    })
}

/// Why the models a dump holds beside the update configuration are not imported.
const OTHER_MODELS: &[(&str, &str)] = &[
    ("archive.datafile", "siqaco's catalogue indexes the day files itself (siqaco index; incremental by mtime and size)"),
    ("archive.overlap", "siqaco finds overlaps when it scans (siqaco scan, siqaco index)"),
    ("archive.sourceavailability", "siqaco asks each source's availability when it needs it (sources[].availability)"),
    ("archive.sourceavailabilitystat", "statistics of Morumotto's own runs"),
    ("archive.sourceonlinestat", "statistics of Morumotto's own runs"),
    ("archive.postfile", "request files of Morumotto's runs; siqaco records the lines it sends per attempt"),
    ("monitoring.archivemonitoring", "siqaco keeps per-day statistics of the whole archive in its catalogue (siqaco index, siqaco stats, siqaco report)"),
    ("monitoring.stat", "recomputed from the archive by siqaco index"),
    ("monitoring.averagestat", "recomputed by siqaco stats and siqaco report"),
    ("monitoring.averagecompstat", "recomputed by siqaco stats and siqaco report"),
    ("monitoring.component", "display grouping of Morumotto's web pages"),
    ("monitoring.chanpath", "navigation rows of Morumotto's web pages"),
    ("monitoring.comppath", "navigation rows of Morumotto's web pages"),
    ("qualitycontrol.qcconfig", "metadata checks are siqaco qc with a StationXML inventory (streams.stationxml)"),
    ("qualitycontrol.metadata", "siqaco qc reads StationXML directly"),
    ("qualitycontrol.message", "validator messages of Morumotto's runs"),
    ("qualitycontrol.lastupdate", "metadata download history of Morumotto"),
];

/// The fields of `archive.configuration` this import reads or lists with why; any other
/// field of the input is listed as unknown.
const CONFIGURATION_FIELDS: &[&str] = &[
    "name",
    "config_name",
    "archive",
    "data_format",
    "struct_type",
    "blocksize",
    "compression_format",
    "quality_label",
    "request_lifespan_type",
    "request_lifespan",
    "n_request",
    "max_gaps_by_analysis",
    "granularity_type",
    "f_analysis",
    "w_analysis",
    "l_analysis",
    "crontime",
    "debug_mode",
    "initialisation",
    "crontab_status",
    "networks",
    "stations",
    "nslc",
    "sources",
];

/// The fields of `archive.source` this import reads or lists with why.
const SOURCE_FIELDS: &[&str] = &[
    "name",
    "priority",
    "log_level",
    "type",
    "parameters",
    "limit_rate",
    "cpu_limit",
    "is_online",
    "availability",
    "nslc",
];

/// Fields of `o` that are not in `known`, as unmapped entries named `prefix.FIELD`.
fn unknown_fields(o: &Object, known: &[&str], prefix: &str) -> Vec<Unmapped> {
    o.fields
        .iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| Unmapped {
            field: format!("{prefix}.{k}"),
            value: match v {
                django::Value::Null => "NULL".into(),
                django::Value::Text(t) => t.trim().to_string(),
                django::Value::List(l) => format!("[{}]", l.join(", ")),
            },
            why: "not a field of Morumotto's model as siqaco knows it (morumotto.md §2)".into(),
        })
        .collect()
}

/// The models that hold the update configuration and the stack, read below.
const READ_MODELS: &[&str] = &[
    "archive.configuration",
    "archive.source",
    "archive.network",
    "archive.station",
    "archive.location",
    "archive.channel",
    "archive.nslc",
    "archive.gap",
    "archive.request",
];

/// The objects of a set-up, indexed.
struct Setup {
    objects: Vec<Object>,
}

impl Setup {
    fn of<'a>(&'a self, model: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects.iter().filter(move |o| o.model == model)
    }

    fn get(&self, model: &str, pk: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.model == model && o.pk == pk)
    }

    /// The `name` of the object `pk` of `model` that field `field` of `from` refers to.
    fn name_of(&self, from: &Object, field: &str, model: &str) -> Result<String> {
        let pk = from.text(field)?;
        let o = self
            .get(model, &pk)
            .ok_or_else(|| from.bad(field, format!("no {model} object with pk {pk}")))?;
        o.text("name")
    }

    /// The stream of an `archive.nslc` object: its `code` (`N.S.L.C`, recomputed by
    /// Morumotto on save) or, without it, the names of its network, station, location and
    /// channel; a location `--` is the empty one.
    fn nslc(&self, o: &Object) -> Result<Nslc> {
        let (n, s, l, c) = match o.opt_text("code")? {
            Some(code) => {
                let f: Vec<&str> = code.split('.').collect();
                if f.len() != 4 {
                    return Err(o.bad("code", format!("{code:?} is not N.S.L.C")));
                }
                (f[0].into(), f[1].into(), f[2].into(), f[3].into())
            }
            None => (
                self.name_of(o, "net", "archive.network")?,
                self.name_of(o, "sta", "archive.station")?,
                self.name_of(o, "loc", "archive.location")?,
                self.name_of(o, "chan", "archive.channel")?,
            ),
        };
        let loc = if l == "--" { String::new() } else { l };
        let nslc = Nslc::new(&n, &s, &loc, &c);
        nslc.validate().map_err(|e| o.bad("code", e))?;
        Ok(nslc)
    }

    /// The streams of the `archive.nslc` primary keys `pks`; those not in the set-up are
    /// returned apart.
    fn nslcs(&self, pks: &[String]) -> Result<(Vec<Nslc>, Vec<String>)> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for pk in pks {
            match self.get("archive.nslc", pk) {
                Some(o) => found.push(self.nslc(o)?),
                None => missing.push(pk.clone()),
            }
        }
        Ok((found, missing))
    }

    /// `NET.STA` of the stations flagged `multiplexing`, sorted.
    fn multiplexed(&self) -> Result<Vec<String>> {
        let mut out = BTreeSet::new();
        for st in self.of("archive.station") {
            if st.opt_bool("multiplexing")? == Some(true) {
                let net = self.name_of(st, "network", "archive.network")?;
                out.insert(format!("{net}.{}", st.text("name")?));
            }
        }
        Ok(out.into_iter().collect())
    }
}

/// A source as written: its table lines, or a comment saying why it is not.
struct SourceOut {
    name: String,
    priority: i64,
    pk: String,
    table: Option<Vec<(String, toml::Value, Option<String>)>>,
    why_not: Option<String>,
    unmapped: Vec<Unmapped>,
}

/// A source name siqaco accepts: Morumotto's (which already has `_` for spaces) with
/// whitespace and commas made `_`; `source-PK` when empty.
fn source_name(o: &Object) -> Result<String> {
    let raw = o.opt_text("name")?.unwrap_or_default();
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == ',' {
                '_'
            } else {
                c
            }
        })
        .collect();
    Ok(if name.is_empty() {
        format!("source-{}", o.pk)
    } else {
        name
    })
}

fn map_source(
    setup: &Setup,
    o: &Object,
    streams: &BTreeSet<Nslc>,
    warnings: &mut Vec<String>,
) -> Result<SourceOut> {
    let name = source_name(o)?;
    let priority = o.int("priority")?;
    if priority < 1 {
        return Err(o.bad("priority", format!("{priority}: must be ≥ 1 (1 = highest)")));
    }
    let plugin = o.text("type")?;
    let parameters = o.opt_text("parameters")?.unwrap_or_default();
    let mut unmapped = Vec::new();
    for (field, why) in [
        (
            "log_level",
            "siqaco logs through SIQACO_LOG for the whole run, not per source",
        ),
        (
            "cpu_limit",
            "siqaco runs no external tool per source, so there is nothing to cpulimit",
        ),
        (
            "is_online",
            "set by Morumotto's last online check; siqaco checks each source at every run",
        ),
    ] {
        if let Some(v) = o.opt_text(field)? {
            unmapped.push(Unmapped {
                field: format!("archive.source[{name}].{field}"),
                value: v,
                why: why.into(),
            });
        }
    }
    unmapped.extend(unknown_fields(
        o,
        SOURCE_FIELDS,
        &format!("archive.source[{name}]"),
    ));
    let mut out = SourceOut {
        name: name.clone(),
        priority,
        pk: o.pk.clone(),
        table: None,
        why_not: None,
        unmapped,
    };
    let mut t: Vec<(String, toml::Value, Option<String>)> =
        vec![("name".into(), name.clone().into(), None)];
    match plugin.as_str() {
        "FdsnWS" => {
            let host = parameters.trim().trim_end_matches('/');
            if host.is_empty() {
                return Err(o.bad(
                    "parameters",
                    "empty: FdsnWS needs the service host (ws.ipgp.fr)",
                ));
            }
            let url = if host.starts_with("http://") || host.starts_with("https://") {
                host.to_string()
            } else {
                format!("http://{host}")
            };
            t.push(("kind".into(), "fdsn".into(), Some(format!("Morumotto plugin FdsnWS, parameters {parameters:?} (Morumotto spoke http only; prefer https if the server offers it)"))));
            t.push(("url".into(), url.into(), None));
        }
        "LOCAL_DIR" => {
            let (path, structure) = match parameters.split_once('&') {
                Some((p, s)) => (p.trim(), s.trim()),
                None => (parameters.trim(), "SDS"),
            };
            if path.is_empty() {
                return Err(o.bad(
                    "parameters",
                    format!("{parameters:?}: LOCAL_DIR needs path&STRUCT (/final_archive&SDS)"),
                ));
            }
            let layout = structure.to_ascii_lowercase();
            layout
                .parse::<crate::archive::Layout>()
                .map_err(|e| o.bad("parameters", format!("structure {structure:?}: {e}")))?;
            t.push((
                "kind".into(),
                "archive".into(),
                Some(format!(
                    "Morumotto plugin LOCAL_DIR, parameters {parameters:?}"
                )),
            ));
            t.push(("path".into(), path.into(), None));
            t.push(("layout".into(), layout.into(), None));
        }
        "SSH_SDS" => {
            out.why_not = Some(format!(
                "Morumotto plugin SSH_SDS, parameters {parameters:?}: siqaco has no SSH transport. Mount the remote SDS archive (sshfs {parameters} /mnt/{name}) and use kind = \"archive\", or wrap scp in a program source (docs/sources.md). Morumotto's SSH_SDS never worked (it expected --online, had no availability script and copied only the start day)."
            ));
        }
        "Q330S" | "Centaur" | "PCFox" => {
            out.why_not = Some(format!(
                "Morumotto plugin {plugin} is a placeholder that was never implemented there; a digitiser can be reached through a program source (kind = \"program\", Morumotto's script contract, docs/sources.md)"
            ));
        }
        other => {
            return Err(o.bad(
                "type",
                format!(
                "unknown plugin {other:?} (FdsnWS, LOCAL_DIR, SSH_SDS, Q330S, Centaur or PCFox)"
            ),
            ))
        }
    }
    if let Some(why) = &out.why_not {
        warnings.push(format!("source {name}: written as a comment: {why}"));
        return Ok(out);
    }
    t.push((
        "priority".into(),
        priority.into(),
        Some("1 is asked first, as in Morumotto".into()),
    ));
    // The streams the source serves.
    let (served, missing) = setup.nslcs(&o.list("nslc")?)?;
    if !missing.is_empty() {
        warnings.push(format!(
            "source {name}: {} names archive.nslc objects that are not in the input (pk {}); the source is written for every stream",
            o.file,
            missing.join(", ")
        ));
    } else if !served.is_empty() {
        let served: BTreeSet<Nslc> = served.into_iter().collect();
        if !streams.is_subset(&served) {
            let list: Vec<toml::Value> = served.iter().map(|n| n.to_string().into()).collect();
            t.push((
                "select".into(),
                toml::Value::Array(list),
                Some("Source.nslc".into()),
            ));
        }
    }
    let availability = o.opt_bool("availability")?.unwrap_or(true);
    let (mode, note) = if availability {
        ("service", match plugin.as_str() {
            "FdsnWS" => "Source.availability True: the server's own fdsnws/availability (Morumotto asked IRIS's irisws service whatever the host)",
            _ => "Source.availability True: the archive's availability is read from its files",
        })
    } else {
        (
            "assume",
            "Source.availability False: assume the source has everything",
        )
    };
    t.push(("availability".into(), mode.into(), Some(note.into())));
    let rate = o.opt_int("limit_rate")?.unwrap_or(0);
    if rate < 0 {
        return Err(o.bad("limit_rate", format!("{rate}: must be ≥ 0 (0 = unlimited)")));
    }
    t.push((
        "bandwidth_bytes_per_s".into(),
        (rate.saturating_mul(1024)).into(),
        Some(format!(
            "limit_rate {rate} KB/s (wget's k = 1024 bytes); 0 = unlimited"
        )),
    ));
    out.table = Some(t);
    Ok(out)
}

/// The configuration object: the first `archive.configuration` (Morumotto uses the first).
fn configuration<'a>(
    setup: &'a Setup,
    input: &str,
    warnings: &mut Vec<String>,
) -> Result<&'a Object> {
    let mut all = setup.of("archive.configuration");
    let c = all.next().ok_or_else(|| {
        Error::config(format!(
            "{input}: no archive.configuration object (Morumotto's setup.xml holds one)"
        ))
    })?;
    if all.next().is_some() {
        warnings.push(format!(
            "{}: several archive.configuration objects; the first (pk {}) is imported, as Morumotto uses it",
            c.file, c.pk
        ));
    }
    Ok(c)
}

/// The requests a dump's open requests and gaps become: (stream key, start, end, state,
/// reason), sorted, without duplicates.
type StackItem = (Nslc, i64, i64, RequestState, String);

fn stack_items(setup: &Setup, multiplexed: &[String]) -> Result<Vec<StackItem>> {
    let key = |n: Nslc| -> Nslc {
        if multiplexed.contains(&format!("{}.{}", n.network, n.station)) {
            Nslc::new(&n.network, &n.station, "*", "*")
        } else {
            n
        }
    };
    let gap_nslc = |gap: &Object| -> Result<Nslc> {
        let pk = gap.text("nslc")?;
        let o = setup
            .get("archive.nslc", &pk)
            .ok_or_else(|| gap.bad("nslc", format!("no archive.nslc object with pk {pk}")))?;
        setup.nslc(o)
    };
    let mut items: BTreeMap<(Nslc, i64, i64), (RequestState, String)> = BTreeMap::new();
    let mut requested_gaps = BTreeSet::new();
    for r in setup.of("archive.request") {
        let status = r.text("status")?;
        let state = request_state(&status).map_err(|e| r.bad("status", e))?;
        let gap_pk = r.text("gap")?;
        requested_gaps.insert(gap_pk.clone());
        let Some(state) = state else { continue };
        let gap = setup
            .get("archive.gap", &gap_pk)
            .ok_or_else(|| r.bad("gap", format!("no archive.gap object with pk {gap_pk}")))?;
        let start = match r.opt_time("starttime")? {
            Some(t) => t,
            None => gap
                .opt_time("starttime")?
                .ok_or_else(|| gap.bad("starttime", "missing"))?,
        };
        let end = match r.opt_time("endtime")? {
            Some(t) => t,
            None => gap
                .opt_time("endtime")?
                .ok_or_else(|| gap.bad("endtime", "missing"))?,
        };
        if end <= start {
            return Err(r.bad("endtime", "not after starttime"));
        }
        items.entry((key(gap_nslc(gap)?), start, end)).or_insert((
            state,
            format!("imported from Morumotto: request {} was {status:?}", r.pk),
        ));
    }
    for g in setup.of("archive.gap") {
        let status = g.opt_text("status")?.unwrap_or_else(|| "new".into());
        if requested_gaps.contains(&g.pk) || !matches!(status.as_str(), "new" | "in_process") {
            continue;
        }
        let start = g
            .opt_time("starttime")?
            .ok_or_else(|| g.bad("starttime", "missing"))?;
        let end = g
            .opt_time("endtime")?
            .ok_or_else(|| g.bad("endtime", "missing"))?;
        if end <= start {
            return Err(g.bad("endtime", "not after starttime"));
        }
        items.entry((key(gap_nslc(g)?), start, end)).or_insert((
            RequestState::New,
            format!(
                "imported from Morumotto: gap {} was {status:?} with no request",
                g.pk
            ),
        ));
    }
    Ok(items
        .into_iter()
        .map(|((n, s, e), (st, why))| (n, s, e, st, why))
        .collect())
}

/// Puts `items` into the request stack of `catalogue` (created when missing), skipping
/// those already there (same stream and window: importing twice adds nothing); returns how
/// many were added.
fn import_stack(catalogue: &str, items: &[StackItem]) -> Result<u64> {
    let cat = Catalogue::open(catalogue)?;
    let existing: BTreeSet<(Nslc, i64, i64)> = stack::list(&cat, &[], None)?
        .into_iter()
        .map(|r| (r.nslc, r.start_ns, r.end_ns))
        .collect();
    let fresh: Vec<&StackItem> = items
        .iter()
        .filter(|(n, s, e, _, _)| !existing.contains(&(n.clone(), *s, *e)))
        .collect();
    let keys: Vec<(Nslc, i64, i64)> = fresh
        .iter()
        .map(|(n, s, e, _, _)| (n.clone(), *s, *e))
        .collect();
    let ids = stack::create_requests(&cat, &keys, None)?;
    for (id, (_, _, _, state, why)) in ids.iter().zip(&fresh) {
        stack::set_state(&cat, *id, *state, Some(why))?;
    }
    Ok(ids.len() as u64)
}

/// Runs the import `req` (validated by the caller).
pub(crate) fn import(req: &ImportMorumottoRequest) -> Result<ImportReport> {
    let mut objects = Vec::new();
    let mut inputs = Vec::new();
    for p in [&req.dump, &req.setup, &req.sources].into_iter().flatten() {
        objects.extend(django::read(p)?);
        inputs.push(p.display().to_string());
    }
    let setup = Setup { objects };
    let input = inputs.join(", ");
    let mut report = ImportReport {
        written: req.out.clone(),
        ..ImportReport::default()
    };
    let mut warnings = Vec::new();
    let mut unmapped = Vec::new();
    let c = configuration(&setup, &input, &mut warnings)?;
    let field = |f: &str| format!("archive.configuration.{f}");

    // Streams: nslc.list, else the configuration's nslc, else every archive.nslc object.
    let streams: BTreeSet<Nslc> = if let Some(list) = &req.nslc {
        crate::update::config::read_nslc_list(list)?
            .into_iter()
            .collect()
    } else {
        let pks = c.list("nslc")?;
        let (found, missing) = if pks.is_empty() {
            let all: Vec<String> = setup.of("archive.nslc").map(|o| o.pk.clone()).collect();
            setup.nslcs(&all)?
        } else {
            setup.nslcs(&pks)?
        };
        if !missing.is_empty() {
            return Err(c.bad(
                "nslc",
                format!(
                    "names archive.nslc objects that are not in the input (pk {})",
                    missing.join(", ")
                ),
            ));
        }
        found.into_iter().collect()
    };
    if streams.is_empty() {
        return Err(Error::field(
            "nslc",
            format!("{input}: no streams: give Morumotto's nslc.list (the fixtures hold no archive.nslc object)"),
        ));
    }
    let multiplexed = setup.multiplexed()?;

    // Configuration fields without an equivalent.
    let name_field = if c.has("config_name") {
        "config_name"
    } else {
        "name"
    };
    for (f, why) in [
        (name_field, "a label of Morumotto's singleton configuration (setup.xml calls the model's name field config_name)"),
        ("crontime", "siqaco does not edit the crontab: the cron line is in the header of this file"),
        ("debug_mode", "Morumotto kept temporary files and request rows when set; siqaco removes its staging files and keeps every request in the stack"),
        ("initialisation", "state of Morumotto's first-run web wizard"),
        ("crontab_status", "whether Morumotto's cron job was enabled"),
    ] {
        if let Some(v) = c.opt_text(f)? {
            unmapped.push(Unmapped { field: field(f), value: v, why: why.into() });
        }
    }
    for f in ["networks", "stations"] {
        let v = c.list(f)?;
        if !v.is_empty() {
            unmapped.push(Unmapped {
                field: field(f),
                value: format!("{} objects", v.len()),
                why: "Morumotto derived its nslc list from them; the streams are in [streams]"
                    .into(),
            });
        }
    }
    unmapped.extend(unknown_fields(
        c,
        CONFIGURATION_FIELDS,
        "archive.configuration",
    ));
    // Other models of the input.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &setup.objects {
        if !READ_MODELS.contains(&o.model.as_str()) {
            *counts.entry(o.model.as_str()).or_default() += 1;
        }
    }
    for (model, n) in counts {
        let why = OTHER_MODELS
            .iter()
            .find(|(m, _)| *m == model)
            .map_or("not part of Morumotto's update configuration", |(_, w)| w);
        unmapped.push(Unmapped {
            field: model.to_string(),
            value: format!("{n} object{}", if n == 1 { "" } else { "s" }),
            why: why.into(),
        });
    }

    // [archive]
    let archive = c.text("archive")?;
    let structure = c.opt_text("struct_type")?.unwrap_or_else(|| "SDS".into());
    if structure != "SDS" {
        return Err(c.bad(
            "struct_type",
            format!("{structure:?}: Morumotto's only final-archive structure is SDS"),
        ));
    }
    let data_format = c
        .opt_text("data_format")?
        .unwrap_or_else(|| "miniSEED".into());
    if data_format != "miniSEED" {
        return Err(c.bad(
            "data_format",
            format!("{data_format:?}: Morumotto's only data format is miniSEED"),
        ));
    }
    let blocksize = c.opt_int("blocksize")?.unwrap_or(4096);
    let compression = c
        .opt_text("compression_format")?
        .unwrap_or_else(|| "STEIM2".into());
    let enc = match encoding(&compression) {
        Some(e) => Some(e),
        None if compression == "INT_24" => {
            unmapped.push(Unmapped {
                field: field("compression_format"),
                value: compression.clone(),
                why: "siqaco (libmseed) writes no 24-bit integers; the rewritten day files keep the encoding of their data".into(),
            });
            None
        }
        None => {
            return Err(c.bad("compression_format", format!("{compression:?}: expected STEIM1, STEIM2, INT_16, INT_32, INT_24, IEEE_FP_SP or IEEE_FP_DP")))
        }
    };
    let quality = c.opt_text("quality_label")?.unwrap_or_else(|| "M".into());
    // [window]
    let granularity = match c
        .opt_text("granularity_type")?
        .as_deref()
        .unwrap_or("hourly")
    {
        "hourly" => "hour",
        "daily" => "day",
        g => {
            return Err(c.bad(
                "granularity_type",
                format!("{g:?}: expected hourly or daily"),
            ))
        }
    };
    let f = c.opt_int("f_analysis")?.unwrap_or(1);
    let w = c.opt_int("w_analysis")?.unwrap_or(2);
    let l = c.opt_int("l_analysis")?.unwrap_or(1);
    for (name, v, min) in [
        ("f_analysis", f, 1),
        ("w_analysis", w, 1),
        ("l_analysis", l, 0),
    ] {
        if v < min {
            return Err(c.bad(name, format!("{v}: must be ≥ {min}")));
        }
    }
    // [requests]
    let lifespan_type = c
        .opt_text("request_lifespan_type")?
        .unwrap_or_else(|| "n".into());
    let lifespan = c.opt_int("request_lifespan")?.unwrap_or(5);
    if lifespan < 1 {
        return Err(c.bad("request_lifespan", format!("{lifespan}: must be ≥ 1")));
    }
    let mut retry = toml::Table::new();
    match lifespan_type.as_str() {
        "n" => retry.insert("count".into(), lifespan.into()),
        "p" => retry.insert("hours".into(), (lifespan as f64).into()),
        t => {
            return Err(c.bad(
                "request_lifespan_type",
                format!("{t:?}: expected n (number of retries) or p (period in hours)"),
            ))
        }
    };
    let n_request = c.opt_int("n_request")?.unwrap_or(10);
    let max_gaps = c.opt_int("max_gaps_by_analysis")?.unwrap_or(10);
    if max_gaps < 1 {
        return Err(c.bad("max_gaps_by_analysis", format!("{max_gaps}: must be ≥ 1")));
    }
    let in_flight = n_request.clamp(1, i64::from(crate::update::config::limits::IN_FLIGHT));
    if in_flight != n_request {
        warnings.push(format!(
            "n_request {n_request} is outside 1..={}: requests.in_flight = {in_flight}",
            crate::update::config::limits::IN_FLIGHT
        ));
    }

    // [[sources]]: the configuration's (a dump), else every source object.
    let pks = c.list("sources")?;
    let mut source_objs: Vec<&Object> = if pks.is_empty() {
        setup.of("archive.source").collect()
    } else {
        pks.iter()
            .map(|pk| {
                setup.get("archive.source", pk).ok_or_else(|| {
                    c.bad("sources", format!("no archive.source object with pk {pk}"))
                })
            })
            .collect::<Result<_>>()?
    };
    source_objs.sort_by_key(|o| {
        (
            o.int("priority").unwrap_or(i64::MAX),
            o.pk.parse::<i64>().unwrap_or(i64::MAX),
        )
    });
    let mut sources = Vec::new();
    let mut names = BTreeSet::new();
    for o in source_objs {
        let mut s = map_source(&setup, o, &streams, &mut warnings)?;
        if !names.insert(s.name.clone()) {
            let renamed = format!("{}-{}", s.name, s.pk);
            warnings.push(format!(
                "source name {} is used twice: pk {} is written as {renamed}",
                s.name, s.pk
            ));
            s.name = renamed.clone();
            if let Some(t) = &mut s.table {
                t[0].1 = renamed.into();
            }
        }
        unmapped.extend(std::mem::take(&mut s.unmapped));
        sources.push(s);
    }

    // The text.
    let mut t = TomlText::default();
    t.comment(&format!(
        "siqaco update configuration imported from Morumotto by `siqaco import morumotto` (docs/import.md).\n\
         Input: {input}{}.\n\
         Run it from cron as Morumotto did (f_analysis, crontime):\n  {}  siqaco update --config {}\n\
         Relative paths are relative to this file.",
        req.nslc.as_ref().map(|p| format!(", {}", p.display())).unwrap_or_default(),
        match granularity {
            "hour" => format!("0 */{f} * * *"),
            _ => format!("0 {} */{f} * *", c.opt_int("crontime")?.unwrap_or(0)),
        },
        req.out.display()
    ));
    t.table("archive", false);
    t.kv("path", archive, Some("Configuration.archive"));
    t.kv("layout", "sds", Some("struct_type SDS"));
    t.kv("record_length", blocksize, Some("blocksize"));
    if let Some(e) = enc {
        t.kv(
            "encoding",
            e,
            Some(&format!("compression_format {compression}")),
        );
    }
    t.kv(
        "format_version",
        2,
        Some("data_format miniSEED (Morumotto wrote miniSEED 2)"),
    );
    t.kv("quality", quality, Some("quality_label"));
    t.table("catalogue", false);
    t.kv(
        "url",
        req.catalogue.as_str(),
        Some("gaps, requests and per-day statistics (Morumotto kept them in its Django database)"),
    );
    t.table("streams", false);
    let select: Vec<String> = streams.iter().map(ToString::to_string).collect();
    t.list(
        "select",
        &select,
        Some(if req.nslc.is_some() {
            "nslc.list (one line per stream; Morumotto repeated a stream per epoch)"
        } else {
            "Configuration.nslc"
        }),
    );
    if !multiplexed.is_empty() {
        t.list("multiplexed", &multiplexed, Some("Station.multiplexing"));
    }
    t.table("window", false);
    t.kv("granularity", granularity, Some("granularity_type"));
    t.kv("frequency", f, Some("f_analysis"));
    t.kv("length", w, Some("w_analysis"));
    t.kv("latency", l, Some("l_analysis"));
    t.table("requests", false);
    t.kv(
        "retry",
        retry,
        Some(&format!(
            "request_lifespan_type {lifespan_type}, request_lifespan {lifespan}"
        )),
    );
    t.kv(
        "in_flight",
        in_flight,
        Some("n_request (Morumotto ran its requests one after another)"),
    );
    t.kv(
        "widen_s",
        1.0,
        Some("Morumotto widened each request line by 1 s on both sides"),
    );
    t.kv(
        "max_gaps_per_day_file",
        max_gaps,
        Some("max_gaps_by_analysis"),
    );
    for s in &sources {
        match &s.table {
            Some(lines) => {
                t.table("sources", true);
                for (k, v, note) in lines {
                    t.kv(k, v.clone(), note.as_deref());
                }
            }
            None => {
                t.blank();
                t.comment(&format!(
                    "Source {} (priority {}) is not imported:",
                    s.name, s.priority
                ));
                t.comment(s.why_not.as_deref().unwrap_or_default());
                t.comment("[[sources]]");
                t.commented_kv("name", s.name.clone());
                t.commented_kv("priority", s.priority);
            }
        }
    }
    t.unmapped(
        "Morumotto fields with no siqaco equivalent (field = value: why):",
        &unmapped,
    );
    let text = t.into_string();

    let config = super::check_config(&text, &req.out, req.force)?;
    let items = if req.dump.is_some() {
        stack_items(&setup, &multiplexed)?
    } else {
        Vec::new()
    };
    if !items.is_empty() {
        if let Some(dir) = req.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        report.requests_imported = import_stack(&config.catalogue, &items)?;
        report.catalogue = Some(config.catalogue.clone());
    }
    super::write_checked(&text, &req.out)?;
    report.streams = select;
    report.multiplexed = multiplexed;
    report.sources = config.sources.iter().map(|s| s.name.clone()).collect();
    report.warnings = warnings;
    report.unmapped = unmapped;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_morumotto_status_has_a_state() {
        for (s, want) in [
            ("new", Some(RequestState::New)),
            ("in_progress", Some(RequestState::Retry)),
            ("retry", Some(RequestState::Retry)),
            ("failed", Some(RequestState::Failed)),
            ("on_hold", Some(RequestState::OnHold)),
            (
                "on_hold, number of retry exceeded",
                Some(RequestState::OnHold),
            ),
            (
                "on_hold, request lifespan timed out",
                Some(RequestState::OnHold),
            ),
            ("cancelled", Some(RequestState::Cancelled)),
            ("succeeded", None),
        ] {
            assert_eq!(request_state(s).unwrap(), want, "{s}");
        }
        assert!(request_state("done").is_err());
    }

    #[test]
    fn encodings_are_siqaco_names() {
        for f in [
            "STEIM1",
            "STEIM2",
            "INT_16",
            "INT_32",
            "IEEE_FP_SP",
            "IEEE_FP_DP",
        ] {
            let e = encoding(f).unwrap();
            assert!(crate::update::config::encoding_code(e).is_some(), "{f}");
        }
        assert_eq!(encoding("INT_24"), None);
    }

    #[test]
    fn fields_of_no_known_model_field_are_listed() {
        let mut fields = std::collections::BTreeMap::new();
        fields.insert("archive".to_string(), django::Value::Text("/a".into()));
        fields.insert("qc_hook".to_string(), django::Value::List(vec!["1".into()]));
        let o = Object {
            file: "db.json".into(),
            model: "archive.configuration".into(),
            pk: "1".into(),
            fields,
        };
        let u = unknown_fields(&o, CONFIGURATION_FIELDS, "archive.configuration");
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].field, "archive.configuration.qc_hook");
        assert_eq!(u[0].value, "[1]");
    }
}
