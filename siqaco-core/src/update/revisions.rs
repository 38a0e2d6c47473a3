//! Revised data at the source: `[requests] revisions = "newest" | "quality" | "ignore"`
//! (issue #21, item 3; `docs/configuration.md`, `docs/sources.md`).
//!
//! # Which spans are revised
//!
//! With a policy other than `ignore`, the planning of `siqaco update` asks each source
//! that can say when its data changed, for the maintained streams it serves over the
//! window:
//!
//! - an `fdsnws` source whose availability mode is `service`: its fdsnws-availability
//!   `query` with `show=latestupdate` ([`query_latest_updates`]; the `Updated` column, whole
//!   seconds);
//! - a source whose availability is read from a catalogue (`availability = "catalogue"`),
//!   and a `tsindex` source: the catalogue's traces with their tsindex `updated` time
//!   ([`Catalogue::stored_spans`], per file).
//!
//! Other sources (local archives without a catalogue, external programs, sources with
//! `availability = "assume"`) cannot report revisions and are not asked.
//!
//! Each span the source reports with an update time `U` is compared, time by time, with
//! when siqaco last fetched that data **from that source**: the attempts of the request
//! stack with outcome `data` (the start of the attempt, its request lines). Data fetched
//! at `F` holds the revision when `F ≥ U + 1 s` (the source's times have whole seconds: a
//! revision made in the second of the fetch counts as after it, so a revision is never
//! missed; at worst a span is fetched once more). Where siqaco never fetched the data from
//! that source (the archive got it elsewhere: another source, a copy, slarchive), the
//! archive catalogue's own `updated` time of the file holding it (when siqaco indexed that
//! version of the file) stands for `F`; where the archive holds no data and nothing was
//! fetched, the span is a gap, which the gap requests fill, not a revision. Spans already
//! asked by a revision request of that source not yet succeeded are not asked again.
//!
//! Every revised span becomes a **revision request** in the stack: one stream, the span,
//! only that source, and a reason `revision: updated at the source <time>` kept in every
//! state, so `siqaco stack list` shows it ([`is_revision`]). Since the attempt that
//! executes it is recorded with its start time, the next run finds the span current and
//! asks nothing: a revision is fetched once.
//!
//! # Applying a revision
//!
//! A revision request asks its source for exactly its span, cuts what arrives to the span
//! at sample level ([`cut_to_window`]) and merges it into the archive with the merge's
//! verification and journaled replacement ([`crate::merge::apply`]), the archive ranked
//! with [`ArchivePolicy::Loses`] (`newest`: the revised samples win in the span) or
//! [`ArchivePolicy::Quality`] (`quality`: they win where their publication version is at
//! least the archive's). As the patch holds no sample outside the span, nothing outside
//! it changes. A source that then has no data leaves the request `retry`; the retry policy
//! applies as to gap requests.

use super::config::{AvailabilityMode, Config, RetryPolicy, RevisionPolicy, SourceConfig};
use super::stack::{self, Attempt, Request, RequestState};
use super::{union, Exec, ReqOutcome};
use crate::error::{Error, Result};
use crate::index::Catalogue;
use crate::interval::{intersect, subtract};
use crate::merge::{cut_to_window, ArchivePolicy, MergeOptions};
use crate::sid::{Nslc, NslcGlob};
use crate::source::fdsnws::availability::query_latest_updates;
use crate::source::{RequestLine, SourceSpec};
use crate::time::{format_time, NS_PER_S};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

/// How the reason of a revision request starts (in every state).
pub const REVISION_REASON: &str = "revision: ";

/// Whether `req` is a revision request: its reason starts with [`REVISION_REASON`] and it
/// asks exactly one source.
pub fn is_revision(req: &Request) -> bool {
    req.reason
        .as_deref()
        .is_some_and(|r| r.starts_with(REVISION_REASON))
        && req.sources.as_ref().is_some_and(|s| s.len() == 1)
}

/// The reason of a revision request of data the source changed at `updated_ns`.
fn reason_of(updated_ns: i64) -> String {
    format!(
        "{REVISION_REASON}updated at the source {}",
        format_time(updated_ns)
    )
}

/// Whether data fetched (or indexed) at `fetched_ns` holds a change the source made at
/// `updated_ns` (whole seconds): the fetch started in a later second.
fn is_current(fetched_ns: i64, updated_ns: i64) -> bool {
    fetched_ns >= updated_ns.saturating_add(NS_PER_S)
}

/// A span of one stream at the source with when its data last changed there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Changed {
    pub(crate) nslc: Nslc,
    /// `[start, end)`, ns since 1970 UTC.
    pub(crate) span: (i64, i64),
    /// ns since 1970 UTC; `None`: unknown (never a revision).
    pub(crate) updated_ns: Option<i64>,
}

/// Per stream, the spans `[start, end)` (ns) the archive holds with the catalogue's
/// `updated` time of their file (ns; `None` when unknown).
pub(crate) type HeldSpans = BTreeMap<Nslc, Vec<(i64, i64, Option<i64>)>>;

/// One earlier fetch from a source: the streams and span of one request line, and when
/// the attempt started (ns).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fetch {
    pub(crate) stream: NslcGlob,
    pub(crate) span: (i64, i64),
    pub(crate) at_ns: i64,
}

/// The revised spans of one source (see the [module](self) documentation): the parts of
/// the spans of `changed` whose data was fetched (`fetches`) or, where never fetched from
/// this source, indexed in the archive (`archive`: per stream, spans with their
/// catalogue `updated`) before the change, minus what `asked` (revision requests of the
/// source not yet succeeded, per stream) covers. Per stream, sorted, widened to whole
/// microseconds (the resolution of request lines), joined; each with the latest update
/// time of the changes in it.
pub(crate) fn revised_spans(
    changed: &[Changed],
    fetches: &[Fetch],
    archive: &HeldSpans,
    asked: &BTreeMap<Nslc, Vec<(i64, i64)>>,
) -> Vec<(Nslc, i64, i64, i64)> {
    let mut by_stream: BTreeMap<&Nslc, Vec<(i64, i64, i64)>> = BTreeMap::new();
    for c in changed {
        let Some(u) = c.updated_ns else { continue };
        let n = &c.nslc;
        let fetched: Vec<&Fetch> = fetches.iter().filter(|f| f.stream.matches(n)).collect();
        let any_fetch = union(fetched.iter().map(|f| f.span).collect());
        let current_fetch = union(
            fetched
                .iter()
                .filter(|f| is_current(f.at_ns, u))
                .map(|f| f.span)
                .collect(),
        );
        let held = archive.get(n).map_or(&[][..], |v| v);
        let any_held = union(held.iter().map(|h| (h.0, h.1)).collect());
        let current_held = union(
            held.iter()
                .filter(|h| h.2.is_some_and(|a| is_current(a, u)))
                .map(|h| (h.0, h.1))
                .collect(),
        );
        let known = union([any_fetch.clone(), any_held].concat());
        let current = union([current_fetch, subtract(&current_held, &any_fetch)].concat());
        let stale = subtract(&intersect(&[c.span], &known), &current);
        let stale = subtract(&stale, &union(asked.get(n).cloned().unwrap_or_default()));
        by_stream
            .entry(n)
            .or_default()
            .extend(stale.into_iter().map(|(s, e)| (s, e, u)));
    }
    // Widened to whole microseconds, as request lines write times: the lines of the
    // attempt that fetches a span then cover it exactly.
    let us = |t: i64, up: bool| {
        let f = t.div_euclid(1000) * 1000;
        if up && f < t {
            f + 1000
        } else {
            f
        }
    };
    let mut out = Vec::new();
    for (n, pieces) in by_stream {
        let widened = pieces
            .iter()
            .map(|p| (us(p.0, false), us(p.1, true)))
            .collect();
        for (s, e) in union(widened) {
            let u = pieces
                .iter()
                .filter(|p| p.0 < e && p.1 > s)
                .map(|p| p.2)
                .max()
                .unwrap_or(i64::MIN);
            out.push((n.clone(), s, e, u));
        }
    }
    out
}

/// The spans of `streams` over `window` that `cfg` reports with their update times;
/// `None` for a source that cannot report revisions (see the [module](self)
/// documentation).
///
/// # Errors
/// [`Error::Http`] from the availability service; [`Error::Database`] from a catalogue.
fn source_changes(
    cfg: &SourceConfig,
    streams: &[Nslc],
    window: (i64, i64),
) -> Result<Option<Vec<Changed>>> {
    let catalogue = match (&cfg.availability, &cfg.kind) {
        (AvailabilityMode::Catalogue(url), _) => url,
        (AvailabilityMode::Service, SourceSpec::Tsindex { catalogue, .. }) => catalogue,
        (AvailabilityMode::Service, SourceSpec::Fdsn { url }) => {
            let opts = crate::source::fdsnws::FdsnOptions {
                timeout: Duration::from_secs_f64(cfg.timeout_s),
                ..Default::default()
            };
            return Ok(Some(
                query_latest_updates(url, streams, window, &opts)?
                    .into_iter()
                    .map(|u| Changed {
                        nslc: u.span.nslc,
                        span: (u.span.start_ns, u.span.end_ns),
                        updated_ns: u.updated_ns,
                    })
                    .collect(),
            ));
        }
        _ => return Ok(None),
    };
    let cat = Catalogue::open_read_only(catalogue)?;
    Ok(Some(
        held_spans(&cat, streams, window)?
            .into_iter()
            .flat_map(|(n, v)| {
                v.into_iter().map(move |(s, e, u)| Changed {
                    nslc: n.clone(),
                    span: (s, e),
                    updated_ns: u,
                })
            })
            .collect(),
    ))
}

/// The stored traces of `streams` in `cat` cut to `window`, each with its tsindex
/// `updated` time.
fn held_spans(cat: &Catalogue, streams: &[Nslc], window: (i64, i64)) -> Result<HeldSpans> {
    let mut out = BTreeMap::new();
    for n in streams {
        let v: Vec<(i64, i64, Option<i64>)> = cat
            .stored_spans(n, Some(window))?
            .into_iter()
            .map(|s| {
                (
                    s.piece.start_ns.max(window.0),
                    s.piece.end_ns.min(window.1),
                    s.updated_ns,
                )
            })
            .filter(|s| s.1 > s.0)
            .collect();
        out.insert(n.clone(), v);
    }
    Ok(out)
}

/// The data fetches from source `name` recorded in the stack ([`stack::data_fetches`]),
/// one per request line.
fn fetches_of(cat: &Catalogue, name: &str) -> Result<Vec<Fetch>> {
    let mut out = Vec::new();
    for (at_ns, lines) in stack::data_fetches(cat, name)? {
        for l in lines.lines().filter(|l| !l.trim().is_empty()) {
            if let Ok(l) = RequestLine::parse(l) {
                out.push(Fetch {
                    stream: l.stream,
                    span: (l.start_ns, l.end_ns),
                    at_ns,
                });
            }
        }
    }
    Ok(out)
}

/// A revision to ask: stream, span start and end (ns), the request's reason.
pub(crate) type RevisionItem = (Nslc, i64, i64, String);

/// The revisions to ask (see the [module](self) documentation), read only: per source
/// that can report revisions, in the configuration's order, its revised spans of
/// `streams` over `window` as `(stream, start, end, reason)` items of
/// [`stack::create_revision_requests`]. A source that cannot be asked adds a warning.
/// Nothing with `revisions = "ignore"`.
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn find_revisions(
    config: &Config,
    catalogue: &Catalogue,
    streams: &[Nslc],
    window: (i64, i64),
    warnings: &mut Vec<String>,
) -> Result<Vec<(String, Vec<RevisionItem>)>> {
    if config.requests.revisions == RevisionPolicy::Ignore || streams.is_empty() {
        return Ok(Vec::new());
    }
    let open: Vec<Request> = stack::list(catalogue, &[], None)?
        .into_iter()
        .filter(|r| is_revision(r) && r.state != RequestState::Succeeded)
        .collect();
    let archive = held_spans(catalogue, streams, window)?;
    let mut out = Vec::new();
    for cfg in &config.sources {
        let served: Vec<Nslc> = streams
            .iter()
            .filter(|n| cfg.select.is_empty() || crate::sid::selected(&cfg.select, n))
            .cloned()
            .collect();
        if served.is_empty() {
            continue;
        }
        let changed = match source_changes(cfg, &served, window) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                warnings.push(format!(
                    "source {}: revisions unknown ({e}); none fetched from it",
                    cfg.name
                ));
                continue;
            }
        };
        let mut asked: BTreeMap<Nslc, Vec<(i64, i64)>> = BTreeMap::new();
        for r in open
            .iter()
            .filter(|r| r.sources.as_deref() == Some(std::slice::from_ref(&cfg.name)))
        {
            asked
                .entry(r.nslc.clone())
                .or_default()
                .push((r.start_ns, r.end_ns));
        }
        let fetches = fetches_of(catalogue, &cfg.name)?;
        let items: Vec<RevisionItem> = revised_spans(&changed, &fetches, &archive, &asked)
            .into_iter()
            .map(|(n, s, e, u)| (n, s, e, reason_of(u)))
            .collect();
        out.push((cfg.name.clone(), items));
    }
    Ok(out)
}

/// The planning step of revisions (`[requests] revisions` not `ignore`): creates a
/// revision request for each span of [`find_revisions`]. Returns how many.
///
/// # Errors
/// [`Error::Database`].
pub(crate) fn plan_revisions(
    config: &Config,
    catalogue: &Catalogue,
    streams: &[Nslc],
    window: (i64, i64),
    warnings: &mut Vec<String>,
) -> Result<u64> {
    let mut created = 0;
    for (source, items) in find_revisions(config, catalogue, streams, window, warnings)? {
        created += stack::create_revision_requests(catalogue, &source, &items)?.len() as u64;
    }
    Ok(created)
}

impl Exec<'_> {
    /// One attempt of revision request `req` (see the [module](self) documentation): its
    /// source is asked for its span, what arrives is cut to the span and merged with the
    /// replace mode of the policy. With `revisions = "ignore"` now, the request is
    /// cancelled unexecuted.
    pub(super) fn execute_revision(&self, req: &Request) -> Result<ReqOutcome> {
        let mut out = ReqOutcome::default();
        // The kind and the source's time, without what earlier attempts added.
        let reason = req
            .reason
            .as_deref()
            .and_then(|r| r.split("; ").next())
            .unwrap_or_default()
            .to_string();
        let name = req.sources.as_ref().and_then(|s| s.first()).cloned();
        let k = name
            .as_ref()
            .and_then(|n| self.config.sources.iter().position(|s| &s.name == n));
        let policy = match self.config.requests.revisions {
            RevisionPolicy::Newest => ArchivePolicy::Loses,
            RevisionPolicy::Quality => ArchivePolicy::Quality,
            RevisionPolicy::Ignore => {
                let why = format!("{reason}; cancelled: revisions = \"ignore\"");
                self.cat(|c| stack::set_state(c, req.id, RequestState::Cancelled, Some(&why)))?;
                return Ok(out);
            }
        };
        let Some(k) = k else {
            let why = format!("{reason}; on hold: its source is no longer configured");
            self.cat(|c| stack::set_state(c, req.id, RequestState::OnHold, Some(&why)))?;
            return Ok(out);
        };
        if self.worker.is_none() {
            self.cat(|c| stack::set_state(c, req.id, RequestState::InProgress, Some(&reason)))?;
        }
        let cfg = &self.config.sources[k];
        let window = (req.start_ns, req.end_ns);
        let mut attempt = Attempt::begin(req.id, self.run_id, &cfg.name);
        let (state, why) = if !self.online[k] {
            attempt.outcome = "offline".into();
            attempt.message = Some("the source cannot be reached".into());
            (RequestState::Failed, Some(format!("{}: offline", cfg.name)))
        } else {
            let lines: Vec<RequestLine> = super::request_streams(req, self.streams)
                .iter()
                .map(|n| RequestLine::new(n, window.0, window.1))
                .collect();
            attempt.lines = lines.iter().map(|l| format!("{l}\n")).collect();
            out.sent = true;
            let opts = MergeOptions {
                policy,
                ..self.merge_opts
            };
            let cut =
                |files: &[std::path::PathBuf]| files.iter().try_for_each(|f| cut_file(f, window));
            match self.fetch_merge(req, k, &lines, &opts, &mut attempt, cut)? {
                Ok(None) => {
                    attempt.outcome = "no_data".into();
                    (
                        RequestState::Retry,
                        Some(format!("{}: no data for the revised span", cfg.name)),
                    )
                }
                Ok(Some(report)) => {
                    let added: u64 = report.days.iter().map(|d| d.stats.samples_added).sum();
                    let replaced: u64 = report.days.iter().map(|d| d.stats.samples_replaced).sum();
                    attempt.samples_added = added;
                    attempt.outcome = "data".into();
                    attempt.message = Some(format!("{replaced} archive samples replaced"));
                    out.samples += added;
                    for w in report.warnings {
                        self.warn(w);
                    }
                    (RequestState::Succeeded, None)
                }
                Err(e) => {
                    attempt.outcome = "error".into();
                    attempt.message = Some(e.to_string());
                    (RequestState::Failed, Some(format!("{}: {e}", cfg.name)))
                }
            }
        };
        let mut state = state;
        let mut full = match &why {
            Some(w) => format!("{reason}; {w}"),
            None => reason.clone(),
        };
        if state != RequestState::Succeeded {
            if let RetryPolicy::Count(n) = self.config.requests.retry {
                if req.attempts + 1 >= n {
                    full = format!("{full}; on hold: {n} attempt(s) made");
                    state = RequestState::OnHold;
                }
            }
        }
        out.succeeded = state == RequestState::Succeeded;
        let holder = self.worker.as_ref().map(|w| w.id.as_str());
        self.cat(|c| {
            stack::finish_claimed_attempt(c, req.id, &[attempt], state, Some(&full), true, holder)
        })?;
        Ok(out)
    }
}

/// Cuts the staged file `path` to the samples in `window` ([`cut_to_window`]); a file
/// left without records is removed.
fn cut_file(path: &Path, window: (i64, i64)) -> Result<()> {
    let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
    let cut = cut_to_window(&bytes, window)?;
    if cut.is_empty() {
        fs::remove_file(path).map_err(|e| Error::io(path, e))
    } else if cut != bytes {
        fs::write(path, cut).map_err(|e| Error::io(path, e))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = NS_PER_S;

    fn n() -> Nslc {
        Nslc::new("XX", "STA", "00", "HHZ")
    }

    fn fetch(s: i64, e: i64, at: i64) -> Fetch {
        Fetch {
            stream: NslcGlob::exact(&n()),
            span: (s, e),
            at_ns: at,
        }
    }

    fn changed(s: i64, e: i64, u: Option<i64>) -> Changed {
        Changed {
            nslc: n(),
            span: (s, e),
            updated_ns: u,
        }
    }

    #[test]
    fn revised_after_the_fetch_only() {
        // Fetched at 1000 s; the source changed [100, 200) at 2000 s and [300, 400) at
        // 500 s: only the first is revised.
        let f = [fetch(0, 1000 * S, 1000 * S)];
        let c = [
            changed(100 * S, 200 * S, Some(2000 * S)),
            changed(300 * S, 400 * S, Some(500 * S)),
        ];
        assert_eq!(
            revised_spans(&c, &f, &BTreeMap::new(), &BTreeMap::new()),
            vec![(n(), 100 * S, 200 * S, 2000 * S)]
        );
        // A change in the second of the fetch counts as after it; one a second before not.
        let c = [changed(100 * S, 200 * S, Some(1000 * S))];
        assert_eq!(
            revised_spans(&c, &f, &BTreeMap::new(), &BTreeMap::new()).len(),
            1
        );
        let c = [changed(100 * S, 200 * S, Some(999 * S))];
        assert!(revised_spans(&c, &f, &BTreeMap::new(), &BTreeMap::new()).is_empty());
        // A later fetch of part of the span (the revision fetched) leaves the rest.
        let f2 = [
            fetch(0, 1000 * S, 1000 * S),
            fetch(100 * S, 150 * S, 3000 * S),
        ];
        let c = [changed(100 * S, 200 * S, Some(2000 * S))];
        assert_eq!(
            revised_spans(&c, &f2, &BTreeMap::new(), &BTreeMap::new()),
            vec![(n(), 150 * S, 200 * S, 2000 * S)]
        );
        // Unknown update times are never revisions; a glob line covers the stream.
        assert!(revised_spans(
            &[changed(0, S, None)],
            &f,
            &BTreeMap::new(),
            &BTreeMap::new()
        )
        .is_empty());
        let glob = [Fetch {
            stream: NslcGlob::parse("XX.STA.*.*").unwrap(),
            span: (0, 1000 * S),
            at_ns: 1000 * S,
        }];
        assert_eq!(
            revised_spans(
                &[changed(100 * S, 200 * S, Some(2000 * S))],
                &glob,
                &BTreeMap::new(),
                &BTreeMap::new()
            )
            .len(),
            1
        );
    }

    #[test]
    fn archive_times_where_never_fetched_and_asked_spans() {
        // Never fetched from this source: the archive's indexing time decides, and only
        // where the archive holds data.
        let archive: HeldSpans = [(
            n(),
            vec![
                (0, 100 * S, Some(5000 * S)),
                (100 * S, 200 * S, Some(50 * S)),
            ],
        )]
        .into_iter()
        .collect();
        let c = [changed(0, 300 * S, Some(1000 * S))];
        assert_eq!(
            revised_spans(&c, &[], &archive, &BTreeMap::new()),
            vec![(n(), 100 * S, 200 * S, 1000 * S)]
        );
        // A fetch overrides the archive's time where it covers.
        let f = [fetch(0, 100 * S, 10 * S)];
        assert_eq!(
            revised_spans(&c, &f, &archive, &BTreeMap::new()),
            vec![(n(), 0, 200 * S, 1000 * S)]
        );
        // Spans a pending revision request asks are not asked again.
        let asked: BTreeMap<Nslc, Vec<(i64, i64)>> =
            [(n(), vec![(0, 150 * S)])].into_iter().collect();
        assert_eq!(
            revised_spans(&c, &f, &archive, &asked),
            vec![(n(), 150 * S, 200 * S, 1000 * S)]
        );
        // Two changes joined, with the later time.
        let c = [
            changed(0, 100 * S, Some(1000 * S)),
            changed(100 * S, 200 * S, Some(2000 * S)),
        ];
        assert_eq!(
            revised_spans(&c, &f, &archive, &BTreeMap::new()),
            vec![(n(), 0, 200 * S, 2000 * S)]
        );
    }

    #[test]
    fn revision_requests_keep_their_kind_in_the_stack() {
        let tmp = tempfile::tempdir().unwrap();
        let cat = Catalogue::open(tmp.path().join("cat.sqlite")).unwrap();
        let item = (n(), 0, 10 * S, reason_of(2000 * S));
        let ids = stack::create_revision_requests(&cat, "dc", &[item.clone(), item]).unwrap();
        stack::set_state(
            &cat,
            ids[0],
            RequestState::InProgress,
            Some(&reason_of(2000 * S)),
        )
        .unwrap();
        assert_eq!(stack::reset_interrupted(&cat).unwrap(), 1);
        stack::cancel(&cat, &[ids[1]]).unwrap();
        let rs = stack::list(&cat, &[], None).unwrap();
        assert!(rs.iter().all(is_revision), "{rs:?}");
        assert_eq!(rs[0].state, RequestState::Retry);
        assert_eq!(rs[0].reason.as_deref(), Some(&*reason_of(2000 * S)));
        assert_eq!(rs[1].state, RequestState::Cancelled);
        assert!(rs[1]
            .reason
            .as_deref()
            .unwrap()
            .ends_with("; cancelled by the user"));
        // A gap request is reset as before.
        let gap = stack::create_requests(&cat, &[(n(), 0, S)], None).unwrap()[0];
        stack::set_state(&cat, gap, RequestState::InProgress, None).unwrap();
        stack::reset_interrupted(&cat).unwrap();
        let g = stack::get(&cat, gap).unwrap();
        assert_eq!(g.reason.as_deref(), Some("interrupted run"));
        assert!(!is_revision(&g));
    }

    #[test]
    fn revision_reason_marks_the_kind() {
        let mut r = Request::planned(n(), 0, 1);
        r.reason = Some(reason_of(1_700_000_000 * S));
        r.sources = Some(vec!["dc".into()]);
        assert!(is_revision(&r));
        assert_eq!(
            r.reason.as_deref(),
            Some("revision: updated at the source 2023-11-14T22:13:20.000000Z")
        );
        r.sources = None;
        assert!(!is_revision(&r));
    }
}
