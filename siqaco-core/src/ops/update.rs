//! The update operations (`docs/configuration.md`): one run of `siqaco update`
//! ([`UpdateRequest`]) and the request stack — `siqaco stack list|run|retry|cancel`
//! ([`StackListRequest`], [`StackRunRequest`], [`StackRetryRequest`],
//! [`StackCancelRequest`]) and `siqaco request create` ([`RequestCreateRequest`]).
//!
//! Each stack operation is a request of its own (rather than one request with an action):
//! their fields and results differ (a listing, a summary, a count), so each front end maps
//! one command, function or setter onto one type. Every request names its configuration
//! ([`UpdateConfig`]): a `siqaco.toml` read when the request runs, or a [`Config`] already
//! read.

use super::{Control, Window};
use crate::error::Result;
use crate::index::Catalogue;
use crate::sid::NslcGlob;
use crate::update::config::Config;
use crate::update::stack::{self, Attempt, Request, RequestState};
use crate::update::{self as pipeline, UpdateOptions, UpdateSummary};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The configuration of an update operation (field `config`; `--config`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum UpdateConfig {
    /// A configuration file (`siqaco.toml`), read by `run` ([`Config::from_path`]).
    File(PathBuf),
    /// A configuration already read or built.
    Parsed(Arc<Config>),
}

impl UpdateConfig {
    /// The configuration: the file read, or the one given.
    ///
    /// # Errors
    /// For a file: [`crate::Error::Io`] when it cannot be read (not found...);
    /// [`crate::Error::Config`] naming the file and the key for an invalid configuration.
    pub fn load(&self) -> Result<Cow<'_, Config>> {
        match self {
            UpdateConfig::File(path) => Config::from_path(path).map(Cow::Owned),
            UpdateConfig::Parsed(config) => Ok(Cow::Borrowed(config)),
        }
    }

    /// The catalogue (and request stack) of the configuration, created when missing.
    fn catalogue(&self) -> Result<Catalogue> {
        Catalogue::open(&self.load()?.catalogue)
    }
}

impl From<PathBuf> for UpdateConfig {
    fn from(path: PathBuf) -> Self {
        UpdateConfig::File(path)
    }
}

impl From<&Path> for UpdateConfig {
    fn from(path: &Path) -> Self {
        UpdateConfig::File(path.to_path_buf())
    }
}

impl From<&PathBuf> for UpdateConfig {
    fn from(path: &PathBuf) -> Self {
        UpdateConfig::File(path.clone())
    }
}

impl From<&str> for UpdateConfig {
    fn from(path: &str) -> Self {
        UpdateConfig::File(path.into())
    }
}

impl From<Config> for UpdateConfig {
    fn from(config: Config) -> Self {
        UpdateConfig::Parsed(Arc::new(config))
    }
}

impl From<Arc<Config>> for UpdateConfig {
    fn from(config: Arc<Config>) -> Self {
        UpdateConfig::Parsed(config)
    }
}

/// One run of `siqaco update` (`siqaco.update`, `siqaco_update_run`): keeps the archive of
/// the configuration complete over a window (see [`crate::update`] for the steps).
///
/// The window is the configuration's `[window]` at `now_ns`, or `start_ns`/`end_ns` used
/// exactly as given: the both-or-neither rule of [`Window::both_or_neither`]. The result
/// serialises as the JSON document of `siqaco update --format json`.
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// use siqaco::ops::{Control, UpdateRequest};
/// let dir = tempfile::tempdir().unwrap();
/// let config = siqaco::update::config::Config::from_str_in(
///     "[archive]\npath = \"archive\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
///      [streams]\nselect = [\"IU.ANMO.00.BHZ\"]\n",
///     dir.path(),
/// )?;
/// let mut request = UpdateRequest::new(config);
/// request.start_ns = Some(siqaco::time::parse_time("2024-01-01")?);
/// request.end_ns = Some(siqaco::time::parse_time("2024-01-02")?);
/// request.dry_run = true;
/// let summary = request.run(&Control::new())?;
/// assert_eq!((summary.streams_checked, summary.gaps_found), (1, 1));
/// assert!(serde_json::to_string(&summary).unwrap()
///     .starts_with(r#"{"window_start":"2024-01-01T00:00:00.000000Z","#));
///
/// request.end_ns = None; // one end alone is refused, naming the missing field
/// assert_eq!(request.validate().unwrap_err().field_name(), Some("end_ns"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UpdateRequest {
    /// The configuration.
    pub config: UpdateConfig,
    /// Window start, ns, used exactly as given (not aligned); with `end_ns` or not at all.
    pub start_ns: Option<i64>,
    /// Window end, ns, exclusive; with `start_ns` or not at all.
    pub end_ns: Option<i64>,
    /// Work out the requests each source would be sent, and change nothing: no file, no
    /// catalogue, no request (default false).
    pub dry_run: bool,
    /// The time at which the configuration's window is computed, ns (default: the clock
    /// when the request runs); unused when a window is given.
    pub now_ns: Option<i64>,
}

impl UpdateRequest {
    /// A run of the configuration `config` with the defaults: its window now, changes made.
    pub fn new(config: impl Into<UpdateConfig>) -> Self {
        UpdateRequest {
            config: config.into(),
            start_ns: None,
            end_ns: None,
            dry_run: false,
            now_ns: None,
        }
    }

    /// Checks every field (the configuration is read by `run`).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] for one end of the window without the other
    /// (`start_ns` or `end_ns`, the one missing) or an `end_ns` not after `start_ns`.
    pub fn validate(&self) -> Result<()> {
        self.options().map(|_| ())
    }

    fn options(&self) -> Result<UpdateOptions> {
        Ok(UpdateOptions {
            window: Window::pair_of(Window::both_or_neither(self.start_ns, self.end_ns)?),
            dry_run: self.dry_run,
            now_ns: self.now_ns,
        })
    }

    /// Runs the update. Progress: [`super::Progress::Update`] once before the first pending
    /// request is executed and after each one (not in a dry run). Cancellation: no further
    /// request is started; those being executed finish and are merged, the others stay
    /// pending in the stack for the next run, and the run ends as usual (re-index,
    /// summary) without counting them.
    ///
    /// # Errors
    /// As [`UpdateRequest::validate`], then as [`UpdateConfig::load`]; then
    /// [`crate::Error::Config`] for a bad stream list, [`crate::Error::Source`] for a source
    /// that cannot be opened, [`crate::Error::Io`] when the archive's lock is held or the
    /// archive cannot be read or written, [`crate::Error::Database`]. Source failures are
    /// not errors: they are recorded in the stack and counted in the summary.
    pub fn run(&self, control: &Control) -> Result<UpdateSummary> {
        let opts = self.options()?;
        pipeline::run_update(&*self.config.load()?, &opts, control)
    }

    /// Prepares a run of this request by several workers at once (`siqaco.distributed.update`:
    /// each worker runs [`UpdateRequest::run`], docs/scale.md "Many workers"): checks the
    /// fields, and that the configuration's catalogue can be shared, then opens it once so
    /// that its schema is created or migrated before the workers start (concurrent creation
    /// of a fresh schema is not supported). Give every worker the same `now_ns` (or window),
    /// so that they all compute the same window.
    ///
    /// # Errors
    /// As [`UpdateRequest::validate`] and [`UpdateConfig::load`]; [`crate::Error::Config`]
    /// naming `catalogue.url` and the file when the catalogue is SQLite, which has one
    /// writer (its runs hold the archive lock exclusively); [`crate::Error::Database`].
    pub fn prepare_workers(&self) -> Result<()> {
        self.validate()?;
        let config = self.config.load()?;
        if !crate::index::is_postgres_url(&config.catalogue) {
            return Err(crate::Error::config(format!(
                "catalogue.url: {}: a SQLite catalogue has one writer; an update by several \
                 workers needs a PostgreSQL catalogue (postgresql://USER@HOST:PORT/DBNAME, \
                 docs/scale.md)",
                config.catalogue
            )));
        }
        Catalogue::open(&config.catalogue).map(drop)
    }

    /// The summary of one update run by several workers on one PostgreSQL catalogue, from
    /// the summaries of their [`UpdateRequest::run`]s (in any order): what one run on one
    /// machine would have counted. One summary is returned as it is. Of several:
    ///
    /// * the window is theirs (it must be the same in every summary);
    /// * `streams_checked` and `gaps_found` are those of the worker with the smallest
    ///   [`UpdateSummary::run_id`]: the workers divide the planning by groups of streams
    ///   (`docs/scale.md`, "How the work is split") after an index that ends only once the
    ///   whole archive is indexed, none executes a request before every group of its round
    ///   is planned, and each reports its round's counts, those a single run finds (a
    ///   worker that came after the round ended planned a later round alone: its run id
    ///   is larger);
    /// * `requests_created`, `requests_sent`, `requests_succeeded`, `requests_failed` and
    ///   `samples_added` are the sums: a worker creates only the requests the stack does
    ///   not cover yet, and executes only the requests it claimed (a request another worker
    ///   left incomplete may be attempted again, and is then counted by both);
    /// * `requests_left` is counted again in the catalogue once every worker has ended
    ///   (each worker counted it at its own end, while others were still working);
    /// * `warnings` are concatenated in the order the workers planned;
    /// * `run_id` is the first planner's.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] `summaries` for none, `window` for summaries of
    /// different windows, `dry_run` for several dry runs (a dry run changes nothing and is
    /// run by one worker); as [`UpdateConfig::load`]; [`crate::Error::Database`].
    pub fn combine(&self, mut summaries: Vec<UpdateSummary>) -> Result<UpdateSummary> {
        if summaries.len() <= 1 {
            return summaries
                .pop()
                .ok_or_else(|| crate::Error::field("summaries", "no summary to combine"));
        }
        // The order of planning; a summary without a run (none planned) last.
        summaries.sort_by_key(|s| s.run_id.unwrap_or(i64::MAX));
        let first = &summaries[0];
        let window = (first.window_start_ns, first.window_end_ns);
        let (Some(start), Some(end)) = window else {
            return Err(crate::Error::field("window", "a summary without a window"));
        };
        if let Some(s) = summaries
            .iter()
            .find(|s| (s.window_start_ns, s.window_end_ns) != window)
        {
            return Err(crate::Error::field(
                "window",
                format!(
                    "summaries of different windows: {:?} and {:?} (give every worker the \
                     same now_ns or window)",
                    window,
                    (s.window_start_ns, s.window_end_ns)
                ),
            ));
        }
        if summaries.iter().any(|s| s.dry_run) {
            return Err(crate::Error::field(
                "dry_run",
                "a dry run is run by one worker: its summary is not combined",
            ));
        }
        let mut out = UpdateSummary {
            window_start_ns: Some(start),
            window_end_ns: Some(end),
            streams_checked: first.streams_checked,
            gaps_found: first.gaps_found,
            run_id: first.run_id,
            ..UpdateSummary::default()
        };
        for s in summaries {
            out.requests_created += s.requests_created;
            out.requests_sent += s.requests_sent;
            out.requests_succeeded += s.requests_succeeded;
            out.requests_failed += s.requests_failed;
            out.samples_added += s.samples_added;
            out.warnings.extend(s.warnings);
        }
        out.requests_left = pipeline::left_in_window(&self.config.catalogue()?, (start, end))?;
        Ok(out)
    }
}

/// Execute the pending requests of the stack (`new`, `retry`, `failed`) without analysing
/// a window (`siqaco stack run`, `siqaco.stack_run`, `siqaco_stack_run`): the requests of
/// [`RequestCreateRequest`] or left for retry by earlier runs.
///
/// Example: the stack operations together, under [`RequestCreateRequest`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StackRunRequest {
    /// The configuration.
    pub config: UpdateConfig,
}

impl StackRunRequest {
    /// A run of the stack of `config`.
    pub fn new(config: impl Into<UpdateConfig>) -> Self {
        StackRunRequest {
            config: config.into(),
        }
    }

    /// Checks every field (nothing can be wrong with typed values today).
    ///
    /// # Errors
    /// None yet; kept so every request validates the same way.
    pub fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Executes the pending requests. The summary's window spans them (`None` with every
    /// counter 0 when nothing is pending); `streams_checked`, `gaps_found` and
    /// `requests_created` are 0. Progress and cancellation as [`UpdateRequest::run`].
    ///
    /// # Errors
    /// As [`UpdateRequest::run`].
    pub fn run(&self, control: &Control) -> Result<UpdateSummary> {
        self.validate()?;
        pipeline::run_stack(&*self.config.load()?, control)
    }
}

/// List the requests of the stack (`siqaco stack list`, `siqaco.stack_list`).
///
/// Example: the stack operations together, under [`RequestCreateRequest`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StackListRequest {
    /// The configuration.
    pub config: UpdateConfig,
    /// Only requests in these states (empty = all; `--state`, repeatable).
    pub state: Vec<RequestState>,
    /// Also give each request's attempts (default false).
    pub attempts: bool,
}

/// A request of the stack as [`StackListRequest`] lists it; serialises as an element of
/// `siqaco stack list --format json` ([`Request::to_json`], plus `attempt_list` when the
/// attempts were asked for).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ListedRequest {
    /// The request.
    pub request: Request,
    /// Its attempts, oldest first, when asked for (`attempt_list`).
    pub attempt_list: Option<Vec<Attempt>>,
}

impl serde::Serialize for ListedRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut j = self.request.to_json().map_err(serde::ser::Error::custom)?;
        if let Some(a) = &self.attempt_list {
            j["attempt_list"] = serde_json::to_value(a).map_err(serde::ser::Error::custom)?;
        }
        j.serialize(s)
    }
}

impl StackListRequest {
    /// A listing of every request of the stack of `config`, without attempts.
    pub fn new(config: impl Into<UpdateConfig>) -> Self {
        StackListRequest {
            config: config.into(),
            state: Vec::new(),
            attempts: false,
        }
    }

    /// Checks every field (nothing can be wrong with typed values today; a state typed by
    /// a user is parsed with [`super::parse_field`]`::<RequestState>("state", ..)`).
    ///
    /// # Errors
    /// None yet; kept so every request validates the same way.
    pub fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// The requests, by id. The control is not used (listing is quick).
    ///
    /// # Errors
    /// As [`UpdateConfig::load`]; [`crate::Error::Database`] when the catalogue fails.
    pub fn run(&self, _control: &Control) -> Result<Vec<ListedRequest>> {
        self.validate()?;
        let cat = self.config.catalogue()?;
        stack::list(&cat, &self.state, None)?
            .into_iter()
            .map(|request| {
                let attempt_list = if self.attempts {
                    Some(stack::attempts(&cat, request.id)?)
                } else {
                    None
                };
                Ok(ListedRequest {
                    request,
                    attempt_list,
                })
            })
            .collect()
    }
}

/// Put `on_hold` and `failed` requests back to `retry` with a fresh retry policy (attempt
/// count 0, lifespan from now) (`siqaco stack retry`, `siqaco.stack_retry`).
///
/// Example: the stack operations together, under [`RequestCreateRequest`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StackRetryRequest {
    /// The configuration.
    pub config: UpdateConfig,
    /// Request ids (`on_hold`, `failed` or `retry` requests); empty = every `on_hold` and
    /// `failed` request.
    pub ids: Vec<i64>,
}

impl StackRetryRequest {
    /// Retry every `on_hold` and `failed` request of the stack of `config`.
    pub fn new(config: impl Into<UpdateConfig>) -> Self {
        StackRetryRequest {
            config: config.into(),
            ids: Vec::new(),
        }
    }

    /// Checks every field (nothing can be wrong with typed values today).
    ///
    /// # Errors
    /// None yet; kept so every request validates the same way.
    pub fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// How many requests were put back to retry. The control is not used (one
    /// transaction).
    ///
    /// # Errors
    /// As [`UpdateConfig::load`]; [`crate::Error::NotFound`] for an id not in the stack,
    /// [`crate::Error::InvalidArgument`] for a request in another state (nothing is then
    /// changed); [`crate::Error::Database`].
    pub fn run(&self, _control: &Control) -> Result<u64> {
        self.validate()?;
        stack::retry(&self.config.catalogue()?, &self.ids)
    }
}

/// Cancel requests: never attempted again, their window not requested again by later
/// updates (`siqaco stack cancel`, `siqaco.stack_cancel`).
///
/// Example: the stack operations together, under [`RequestCreateRequest`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StackCancelRequest {
    /// The configuration.
    pub config: UpdateConfig,
    /// Request ids.
    pub ids: Vec<i64>,
}

impl StackCancelRequest {
    /// Cancel the requests `ids` of the stack of `config`.
    pub fn new(config: impl Into<UpdateConfig>, ids: Vec<i64>) -> Self {
        StackCancelRequest {
            config: config.into(),
            ids,
        }
    }

    /// Checks every field (nothing can be wrong with typed values today).
    ///
    /// # Errors
    /// None yet; kept so every request validates the same way.
    pub fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// How many requests were cancelled. The control is not used (one transaction).
    ///
    /// # Errors
    /// As [`UpdateConfig::load`]; [`crate::Error::NotFound`] for an id not in the stack,
    /// [`crate::Error::InvalidArgument`] for a `succeeded` or `in_progress` request
    /// (nothing is then changed); [`crate::Error::Database`].
    pub fn run(&self, _control: &Control) -> Result<u64> {
        self.validate()?;
        stack::cancel(&self.config.catalogue()?, &self.ids)
    }
}

/// Add requests to the stack for a window, without gap analysis (`siqaco request create`,
/// `siqaco.request_create`); the next update or run of the stack executes them.
///
/// The stack operations together: a request created, executed by a run of the stack (the
/// only source has nothing, so it is left for retry), put back to retry by hand, listed
/// and cancelled.
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// use siqaco::ops::{
///     Control, RequestCreateRequest, StackCancelRequest, StackListRequest, StackRetryRequest,
///     StackRunRequest,
/// };
/// use siqaco::update::stack::RequestState;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("empty")).unwrap();
/// let config = std::sync::Arc::new(siqaco::update::config::Config::from_str_in(
///     "[archive]\npath = \"archive\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
///      [streams]\nselect = [\"IU.ANMO.00.BHZ\"]\n\
///      [[sources]]\nname = \"empty\"\nkind = \"archive\"\npath = \"empty\"\n",
///     dir.path(),
/// )?);
/// let control = Control::new();
/// let day = siqaco::time::parse_time("2024-01-01")?;
/// let select = vec!["IU.ANMO.00.BHZ".parse()?];
/// let create = RequestCreateRequest::new(config.clone(), select, day, day + 86_400_000_000_000);
/// let created = create.run(&control)?;
/// assert_eq!((created.len(), created[0].state), (1, RequestState::New));
///
/// let summary = StackRunRequest::new(config.clone()).run(&control)?;
/// // Not sent (the source's files show it has nothing), attempted, left for retry.
/// assert_eq!((summary.requests_sent, summary.requests_failed), (0, 1));
/// assert_eq!(summary.requests_left, 1);
///
/// let mut retry = StackRetryRequest::new(config.clone());
/// retry.ids = vec![created[0].id];
/// assert_eq!(retry.run(&control)?, 1);
///
/// let mut list = StackListRequest::new(config.clone());
/// list.state = vec![siqaco::ops::parse_field("state", "retry")?];
/// list.attempts = true;
/// let listed = list.run(&control)?;
/// let attempts = listed[0].attempt_list.as_ref().unwrap();
/// assert_eq!(attempts[0].outcome, "not_available");
///
/// assert_eq!(StackCancelRequest::new(config, vec![created[0].id]).run(&control)?, 1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestCreateRequest {
    /// The configuration.
    pub config: UpdateConfig,
    /// Streams: exact codes as given (a stream with no data yet included), globs expanded
    /// against the maintained streams, the archive and the catalogue. One request per
    /// stream (per station for a multiplexed station).
    pub select: Vec<NslcGlob>,
    /// Window start, ns.
    pub start_ns: i64,
    /// Window end, ns, exclusive; after the start.
    pub end_ns: i64,
    /// Ask only these sources (names from the configuration); empty = every source
    /// configured for the stream.
    pub sources: Vec<String>,
}

impl RequestCreateRequest {
    /// Requests for `select` over `[start_ns, end_ns)` in the stack of `config`.
    pub fn new(
        config: impl Into<UpdateConfig>,
        select: Vec<NslcGlob>,
        start_ns: i64,
        end_ns: i64,
    ) -> Self {
        RequestCreateRequest {
            config: config.into(),
            select,
            start_ns,
            end_ns,
            sources: Vec::new(),
        }
    }

    /// Checks every field (source names are checked against the configuration by `run`).
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] for an `end_ns` not after `start_ns`.
    pub fn validate(&self) -> Result<()> {
        self.window().map(|_| ())
    }

    fn window(&self) -> Result<Window> {
        Window::new(self.start_ns, self.end_ns)
    }

    /// The requests created (state `new`), by id. The control is not used.
    ///
    /// # Errors
    /// As [`RequestCreateRequest::validate`], then as [`UpdateConfig::load`];
    /// [`crate::Error::InvalidField`] for an unknown source name (`sources`) or a selection
    /// that matches no stream (`select`); [`crate::Error::Database`].
    pub fn run(&self, _control: &Control) -> Result<Vec<Request>> {
        let window = self.window()?;
        pipeline::create_requests(
            &*self.config.load()?,
            &self.select,
            window.pair(),
            &self.sources,
        )
    }
}

impl UpdateSummary {
    /// The summary as bytes for another process (a distributed update's worker sends it to
    /// the client): [`super::encode`] of the summary, window bounds in ns, and its
    /// [`UpdateSummary::run_id`], which the JSON document leaves out.
    pub fn to_partial(&self) -> Vec<u8> {
        super::encode(&(self, self.run_id))
    }

    /// The summary [`UpdateSummary::to_partial`] made, field for field.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] `partial` when the bytes are not such a summary.
    pub fn from_partial(bytes: &[u8]) -> Result<UpdateSummary> {
        let (mut summary, run_id): (UpdateSummary, Option<i64>) = super::decode(bytes)?;
        summary.run_id = run_id;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{format_time, parse_time};

    /// The summary document as it was built before the window was kept in ns: the old
    /// struct (the same keys in the same order, the window as ISO 8601 text, empty when
    /// there is none), serialising an [`UpdateSummary`] through serde's remote derive.
    #[derive(serde::Serialize)]
    #[serde(remote = "UpdateSummary")]
    struct Before {
        #[serde(getter = "start_iso")]
        window_start: String,
        #[serde(getter = "end_iso")]
        window_end: String,
        streams_checked: u64,
        gaps_found: u64,
        requests_created: u64,
        requests_sent: u64,
        requests_succeeded: u64,
        requests_failed: u64,
        samples_added: u64,
        requests_left: u64,
        dry_run: bool,
        planned: Vec<crate::update::PlannedRequest>,
        warnings: Vec<String>,
    }

    fn start_iso(s: &UpdateSummary) -> String {
        s.window_start_ns.map(format_time).unwrap_or_default()
    }

    fn end_iso(s: &UpdateSummary) -> String {
        s.window_end_ns.map(format_time).unwrap_or_default()
    }

    fn before(s: &UpdateSummary) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::pretty(&mut out);
        Before::serialize(s, &mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// A dry run, a run and runs of the stack on sds-small (an empty archive maintaining
    /// IU.COLA.00.BHZ, sds-small as its source): each summary serialises byte for byte as
    /// the document built before, and holds the window given, in ns.
    #[test]
    fn summaries_serialise_as_before() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(config) = crate::update::tests::sds_small_site(tmp.path()) else {
            return;
        };
        // ns precision, which ISO 8601 text (µs) would lose.
        let (start, end) = (
            parse_time("2010-02-27T06:50:00").unwrap() + 1,
            parse_time("2010-02-27T08:00:00").unwrap() - 1,
        );
        let mut request = UpdateRequest::new(config.clone());
        (request.start_ns, request.end_ns) = (Some(start), Some(end));
        request.dry_run = true;
        let dry = request.run(&Control::new()).unwrap();
        request.dry_run = false;
        let run = request.run(&Control::new()).unwrap();
        let control = Control::new();
        let empty_stack = StackRunRequest::new(config.clone()).run(&control).unwrap();
        let created = RequestCreateRequest::new(
            config.clone(),
            vec!["IU.COLA.00.BH1".parse().unwrap()],
            parse_time("2010-02-26").unwrap(),
            parse_time("2010-02-26T01:00:00").unwrap(),
        )
        .run(&control)
        .unwrap();
        assert_eq!(created.len(), 1);
        let stack = StackRunRequest::new(config).run(&control).unwrap();

        assert!(dry.dry_run && dry.planned.len() == 1, "{dry:?}");
        assert_eq!(
            (run.requests_succeeded, run.requests_left),
            (1, 0),
            "{run:?}"
        );
        assert!(run.samples_added > 0, "{run:?}");
        assert_eq!(
            (stack.requests_sent, stack.requests_failed),
            (0, 1),
            "{stack:?}"
        );
        for s in [&dry, &run] {
            assert_eq!(
                (s.window_start_ns, s.window_end_ns),
                (Some(start), Some(end))
            );
        }
        assert_eq!(
            (empty_stack.window_start_ns, empty_stack.window_end_ns),
            (None, None)
        );
        assert_eq!(
            (stack.window_start_ns, stack.window_end_ns),
            (Some(created[0].start_ns), Some(created[0].end_ns))
        );
        for s in [&dry, &run, &empty_stack, &stack] {
            assert_eq!(serde_json::to_string_pretty(s).unwrap(), before(s));
        }
        assert!(before(&empty_stack)
            .starts_with("{\n  \"window_start\": \"\",\n  \"window_end\": \"\","));
    }

    /// The summaries of the workers of one update combine by the rules of
    /// [`UpdateRequest::combine`]: the first planner's planning counts (whatever the order
    /// given), the sums of the execution counts, the warnings in planning order, the
    /// requests left counted in the catalogue (here one request of the window still `new`);
    /// different windows, dry runs, nothing, and a SQLite catalogue for the workers are
    /// refused.
    #[test]
    fn worker_summaries_combine() {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config::from_str_in(
            "[archive]\npath = \"archive\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
             [streams]\nselect = [\"IU.ANMO.00.BHZ\"]\n",
            tmp.path(),
        )
        .unwrap();
        let (start, end) = (
            parse_time("2024-01-01").unwrap(),
            parse_time("2024-01-03").unwrap(),
        );
        let control = Control::new();
        let pending = RequestCreateRequest::new(
            config.clone(),
            vec!["IU.ANMO.00.BHZ".parse().unwrap()],
            start + 3_600_000_000_000,
            start + 7_200_000_000_000,
        )
        .run(&control)
        .unwrap();
        assert_eq!(pending.len(), 1);
        let request = UpdateRequest::new(config);
        let summary = |run_id: Option<i64>, counts: [u64; 7], warnings: &[&str]| {
            let mut s = UpdateSummary {
                window_start_ns: Some(start),
                window_end_ns: Some(end),
                run_id,
                ..UpdateSummary::default()
            };
            [
                s.streams_checked,
                s.gaps_found,
                s.requests_created,
                s.requests_sent,
                s.requests_succeeded,
                s.requests_failed,
                s.samples_added,
            ] = counts;
            s.requests_left = 9;
            s.warnings = warnings.iter().map(|w| w.to_string()).collect();
            s
        };
        // Run 5 planned first (it created the requests); run 6 found some gaps filled.
        let late = summary(Some(6), [20, 4, 0, 3, 2, 1, 70], &["late"]);
        let early = summary(
            Some(5),
            [20, 30, 30, 28, 27, 1, 900],
            &["early 1", "early 2"],
        );
        let idle = summary(Some(7), [20, 0, 0, 0, 0, 0, 0], &[]);
        let combined = request
            .combine(vec![late.clone(), idle.clone(), early.clone()])
            .unwrap();
        let want = UpdateSummary {
            window_start_ns: Some(start),
            window_end_ns: Some(end),
            streams_checked: 20,
            gaps_found: 30,
            requests_created: 30,
            requests_sent: 31,
            requests_succeeded: 29,
            requests_failed: 2,
            samples_added: 970,
            requests_left: 1,
            dry_run: false,
            planned: vec![],
            warnings: vec!["early 1".into(), "early 2".into(), "late".into()],
            run_id: Some(5),
        };
        assert_eq!(combined, want);
        // The order given does not matter; one summary is returned as it is.
        assert_eq!(
            request
                .combine(vec![early.clone(), idle, late.clone()])
                .unwrap(),
            want
        );
        assert_eq!(request.combine(vec![late.clone()]).unwrap(), late);

        let mut other = early.clone();
        other.window_end_ns = Some(end + 1);
        let e = request.combine(vec![late.clone(), other]).unwrap_err();
        assert_eq!(e.field_name(), Some("window"), "{e}");
        let mut dry = early.clone();
        dry.dry_run = true;
        let e = request.combine(vec![late, dry]).unwrap_err();
        assert_eq!(e.field_name(), Some("dry_run"), "{e}");
        let e = request.combine(vec![]).unwrap_err();
        assert_eq!(e.field_name(), Some("summaries"), "{e}");
        let e = request.prepare_workers().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(
            e.to_string().contains("catalogue.url: ") && e.to_string().contains("cat.sqlite"),
            "{e}"
        );
    }

    #[test]
    fn windows_follow_the_both_or_neither_rule() {
        let mut r = UpdateRequest::new("siqaco.toml");
        r.validate().unwrap();
        r.start_ns = Some(10);
        let e = r.validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid argument: end_ns: missing: give both ends of the window or neither"
        );
        r.end_ns = Some(10);
        assert_eq!(r.validate().unwrap_err().field_name(), Some("end_ns"));
        r.start_ns = None;
        assert_eq!(r.validate().unwrap_err().field_name(), Some("start_ns"));
        // The configuration is read after the fields are checked: a missing file is then
        // the error.
        r.start_ns = Some(0);
        let e = r.run(&Control::new()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Io, "{e}");
        let c = RequestCreateRequest::new("siqaco.toml", Vec::new(), 5, 5);
        assert_eq!(c.validate().unwrap_err().field_name(), Some("end_ns"));
    }

    #[test]
    fn summary_partial_keeps_every_field() {
        let mut s = UpdateSummary {
            window_start_ns: Some(1_600_000_000_123_456_789),
            window_end_ns: Some(1_600_086_400_000_000_001),
            streams_checked: 3,
            gaps_found: 4,
            requests_created: 5,
            requests_sent: 6,
            requests_succeeded: 7,
            requests_failed: 8,
            samples_added: 9,
            requests_left: 10,
            dry_run: true,
            warnings: vec!["w".into()],
            run_id: Some(42),
            ..Default::default()
        };
        s.planned.push(crate::update::PlannedRequest {
            source: "src".into(),
            request_id: Some(2),
            lines: vec!["XX A 00 HHZ 2020-01-01T00:00:00 2020-01-02T00:00:00".into()],
        });
        assert_eq!(UpdateSummary::from_partial(&s.to_partial()).unwrap(), s);
        let none = UpdateSummary::default();
        assert_eq!(
            UpdateSummary::from_partial(&none.to_partial()).unwrap(),
            none
        );
        let e = UpdateSummary::from_partial(b"\x01").unwrap_err();
        assert_eq!(e.field_name(), Some("partial"));
        // the JSON document is unchanged: ISO 8601 bounds, no run_id
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["window_start"], "2020-09-13T12:26:40.123456789Z");
        assert!(json.get("run_id").is_none());
    }
}
