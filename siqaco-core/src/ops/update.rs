//! The update operations: one run of `siqaco update`, and the request stack's operations
//! (`siqaco stack list|run|retry|cancel`, `siqaco request create`). Every request names the
//! configuration file (docs/configuration.md) whose archive, catalogue and sources it uses.

use super::{require, Control, Progress, Window};
use crate::error::{Error, Result};
use crate::index::Catalogue;
use crate::sid::NslcGlob;
use crate::update::config::Config;
use crate::update::stack::{self, Attempt, Request, RequestState};
use crate::update::{
    create_requests, run_stack_with_progress, run_update_with_progress, StackRunOptions,
    UpdateOptions, UpdateProgress, UpdateSummary,
};
use std::path::{Path, PathBuf};

/// Checks the `config` field (required) and reads the configuration.
fn load(config: &Path) -> Result<Config> {
    check_config(config)?;
    Config::from_path(config)
}

/// The `config` field: required.
fn check_config(config: &Path) -> Result<()> {
    require(!config.as_os_str().is_empty(), "config", || {
        "required: the configuration file".into()
    })
}

/// The progress callback of the lower-level update functions, reporting to `control`.
fn with_progress<T>(
    control: &Control,
    work: impl FnOnce(Option<&(dyn Fn(UpdateProgress) + Sync)>) -> Result<T>,
) -> Result<T> {
    let report = |p| control.report(Progress::Update(p));
    work(control.has_progress().then_some(&report))
}

/// One run of `siqaco update` (`siqaco.update`, `siqaco_update_run`): analyse the window,
/// add requests for the gaps to the stack and execute the pending ones (see
/// [`crate::update`]).
///
/// The result, [`UpdateSummary`], serialises as `siqaco update --format json`.
///
/// ```
/// # fn main() -> siqaco::Result<()> {
/// use siqaco::ops::{Control, UpdateRequest};
/// let mut request = UpdateRequest::new("siqaco.toml");
/// request.start_ns = Some(0);
/// let e = request.validate().unwrap_err();
/// assert_eq!(e.field_name(), Some("end_ns"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct UpdateRequest {
    /// The configuration file (required).
    pub config: PathBuf,
    /// A forced window start, ns, used exactly as given (the both-or-neither rule of
    /// [`Window::both_or_neither`]; neither: the configured window).
    pub start_ns: Option<i64>,
    /// A forced window end (exclusive), ns.
    pub end_ns: Option<i64>,
    /// List what would be sent and change nothing (default false).
    pub dry_run: bool,
    /// "Now" for the window arithmetic, ns (default: the clock).
    pub now_ns: Option<i64>,
}

impl UpdateRequest {
    /// A run of the configuration file `config` over its configured window.
    pub fn new(config: impl Into<PathBuf>) -> Self {
        UpdateRequest {
            config: config.into(),
            ..UpdateRequest::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for no `config`, one end of the window without the other,
    /// or an `end_ns` not after `start_ns`.
    pub fn validate(&self) -> Result<()> {
        check_config(&self.config)?;
        Window::both_or_neither(self.start_ns, self.end_ns).map(|_| ())
    }

    /// Runs the update. Progress: [`Progress::Update`] once before the first pending
    /// request is executed and after each one (not in a dry run). Cancellation: no further
    /// request is started; those being executed finish, the others stay pending for the
    /// next run, and the run ends as usual without counting them.
    ///
    /// # Errors
    /// As [`UpdateRequest::validate`]; as [`Config::from_path`]; as
    /// [`crate::update::run_update`].
    pub fn run(&self, control: &Control) -> Result<UpdateSummary> {
        self.validate()?;
        let window = Window::both_or_neither(self.start_ns, self.end_ns)?;
        let config = load(&self.config)?;
        let opts = UpdateOptions {
            window: Window::pair_of(window),
            dry_run: self.dry_run,
            now_ns: self.now_ns,
            cancel: Some(control.cancel_flag().clone()),
        };
        with_progress(control, |p| run_update_with_progress(&config, &opts, p))
    }
}

/// Execute the pending requests of the stack (`new`, `retry`, `failed`) without analysing
/// a window (`siqaco stack run`, `siqaco.stack_run`). The result serialises as
/// `siqaco update --format json`.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct StackRunRequest {
    /// The configuration file (required).
    pub config: PathBuf,
}

impl StackRunRequest {
    /// The pending requests of the configuration file `config`.
    pub fn new(config: impl Into<PathBuf>) -> Self {
        StackRunRequest {
            config: config.into(),
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for no `config`.
    pub fn validate(&self) -> Result<()> {
        check_config(&self.config)
    }

    /// Executes the pending requests. Progress and cancellation as [`UpdateRequest::run`].
    ///
    /// # Errors
    /// As [`StackRunRequest::validate`]; as [`Config::from_path`]; as
    /// [`crate::update::run_stack`].
    pub fn run(&self, control: &Control) -> Result<UpdateSummary> {
        let config = load(&self.config)?;
        let opts = StackRunOptions {
            cancel: Some(control.cancel_flag().clone()),
        };
        with_progress(control, |p| run_stack_with_progress(&config, &opts, p))
    }
}

/// Requests of the stack, each with its attempts when they were asked for: the result of
/// [`StackListRequest`] and [`AddRequestsRequest`].
///
/// Serialises as `siqaco stack list --format json`: an array of [`Request::to_json`]
/// (the request's fields plus `start` and `end` in ISO 8601), each with `attempt_list` (the
/// fields of [`Attempt`], oldest first) when the attempts were asked for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StackListing {
    /// The requests, in id order, each with its attempts (`None` when not asked for).
    pub requests: Vec<(Request, Option<Vec<Attempt>>)>,
}

impl serde::Serialize for StackListing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.requests.len()))?;
        for (r, attempts) in &self.requests {
            let mut j = r.to_json().map_err(S::Error::custom)?;
            if let Some(a) = attempts {
                j["attempt_list"] = serde_json::to_value(a).map_err(S::Error::custom)?;
            }
            seq.serialize_element(&j)?;
        }
        seq.end()
    }
}

/// List the requests of the stack (`siqaco stack list`, `siqaco.stack_list`).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct StackListRequest {
    /// The configuration file (required).
    pub config: PathBuf,
    /// Only requests in these states (empty: all).
    pub states: Vec<RequestState>,
    /// Also list each request's attempts (default false).
    pub attempts: bool,
}

impl StackListRequest {
    /// Every request of the configuration file `config`'s stack.
    pub fn new(config: impl Into<PathBuf>) -> Self {
        StackListRequest {
            config: config.into(),
            ..StackListRequest::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for no `config`.
    pub fn validate(&self) -> Result<()> {
        check_config(&self.config)
    }

    /// Lists. Neither progress nor cancellation (one query).
    ///
    /// # Errors
    /// As [`StackListRequest::validate`]; as [`Config::from_path`]; [`Error::Database`].
    pub fn run(&self, _control: &Control) -> Result<StackListing> {
        let cat = open_stack(&self.config)?;
        let mut requests = Vec::new();
        for r in stack::list(&cat, &self.states, None)? {
            let a = if self.attempts {
                Some(stack::attempts(&cat, r.id)?)
            } else {
                None
            };
            requests.push((r, a));
        }
        Ok(StackListing { requests })
    }
}

/// The catalogue (and request stack) of the configuration file `config`.
fn open_stack(config: &Path) -> Result<Catalogue> {
    Catalogue::open(&load(config)?.catalogue)
}

/// What to do with requests of the stack, by id: [`StackChangeRequest`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StackChange {
    /// Put `on_hold` and `failed` requests (all of them when no id is given) back to
    /// `retry` with a fresh retry policy (`siqaco stack retry`, [`stack::retry`]).
    #[default]
    Retry,
    /// Cancel requests: never attempted again, their window not re-requested
    /// (`siqaco stack cancel`, [`stack::cancel`]).
    Cancel,
}

/// Retry or cancel requests of the stack (`siqaco stack retry|cancel`,
/// `siqaco.stack_retry`, `siqaco.stack_cancel`). The result is the number of requests
/// changed.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct StackChangeRequest {
    /// The configuration file (required).
    pub config: PathBuf,
    /// What to do.
    pub change: StackChange,
    /// The request ids (for [`StackChange::Retry`], empty: every `on_hold` and `failed`
    /// request; for [`StackChange::Cancel`], empty: none).
    pub ids: Vec<i64>,
}

impl StackChangeRequest {
    /// `change` on the requests `ids` of the configuration file `config`'s stack.
    pub fn new(config: impl Into<PathBuf>, change: StackChange, ids: Vec<i64>) -> Self {
        StackChangeRequest {
            config: config.into(),
            change,
            ids,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for no `config`.
    pub fn validate(&self) -> Result<()> {
        check_config(&self.config)
    }

    /// Changes the requests; returns how many changed. Neither progress nor cancellation.
    ///
    /// # Errors
    /// As [`StackChangeRequest::validate`]; as [`Config::from_path`]; [`Error::Database`].
    pub fn run(&self, _control: &Control) -> Result<u64> {
        let cat = open_stack(&self.config)?;
        match self.change {
            StackChange::Retry => stack::retry(&cat, &self.ids),
            StackChange::Cancel => stack::cancel(&cat, &self.ids),
        }
    }
}

/// Add requests to the stack for a window, without gap analysis; they are executed by the
/// next update or stack run (`siqaco request create`, `siqaco.request_create`). The result
/// lists the requests created (without attempts).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct AddRequestsRequest {
    /// The configuration file (required).
    pub config: PathBuf,
    /// The streams (exact codes as given, globs expanded against the maintained streams,
    /// the archive and the catalogue); at least one.
    pub select: Vec<NslcGlob>,
    /// Window start, ns (required).
    pub start_ns: Option<i64>,
    /// Window end (exclusive), ns (required, after `start_ns`).
    pub end_ns: Option<i64>,
    /// Ask only these sources (names from the configuration; empty: every source).
    pub sources: Vec<String>,
}

impl AddRequestsRequest {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for no `config`, no `select`, a missing end of the window or
    /// an `end_ns` not after `start_ns`.
    pub fn validate(&self) -> Result<()> {
        self.window().map(|_| ())
    }

    fn window(&self) -> Result<Window> {
        check_config(&self.config)?;
        require(!self.select.is_empty(), "select", || {
            "no stream selected".into()
        })?;
        Window::both_or_neither(self.start_ns, self.end_ns)?
            .ok_or_else(|| Error::field("start_ns", "required (with end_ns)"))
    }

    /// Adds the requests. Neither progress nor cancellation.
    ///
    /// # Errors
    /// As [`AddRequestsRequest::validate`]; as [`Config::from_path`]; as
    /// [`crate::update::create_requests`] (a selection that matches no stream, an unknown
    /// source name).
    pub fn run(&self, _control: &Control) -> Result<StackListing> {
        let window = self.window()?;
        let config = load(&self.config)?;
        let created = create_requests(&config, &self.select, window.pair(), &self.sources)?;
        Ok(StackListing {
            requests: created.into_iter().map(|r| (r, None)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_time;

    /// A configuration file in `dir` maintaining IU.COLA.00.BHZ from sds-small.
    fn config_file(dir: &Path, sds_small: &Path) -> PathBuf {
        let path = dir.join("siqaco.toml");
        std::fs::write(
            &path,
            format!(
                "[archive]\npath = \"final\"\n[catalogue]\nurl = \"cat.sqlite\"\n\
                 [streams]\nselect = [\"IU.COLA.00.BHZ\"]\n[[sources]]\nname = \"sds\"\n\
                 kind = \"archive\"\npath = \"{}\"\n",
                sds_small.display()
            ),
        )
        .unwrap();
        path
    }

    #[test]
    fn bad_requests_name_their_field() {
        let field = |e: Error| e.field_name().map(str::to_string);
        let mut u = UpdateRequest::default();
        assert_eq!(field(u.validate().unwrap_err()).as_deref(), Some("config"));
        u.config = "siqaco.toml".into();
        u.start_ns = Some(10);
        assert_eq!(field(u.validate().unwrap_err()).as_deref(), Some("end_ns"));
        u.end_ns = Some(10);
        assert_eq!(field(u.validate().unwrap_err()).as_deref(), Some("end_ns"));
        u.start_ns = None;
        assert_eq!(
            field(u.validate().unwrap_err()).as_deref(),
            Some("start_ns")
        );
        u.end_ns = None;
        assert!(u.validate().is_ok());
        let mut a = AddRequestsRequest {
            config: "siqaco.toml".into(),
            start_ns: Some(0),
            end_ns: Some(10),
            ..AddRequestsRequest::default()
        };
        assert_eq!(field(a.validate().unwrap_err()).as_deref(), Some("select"));
        a.select = vec!["IU.*".parse().unwrap()];
        a.start_ns = None;
        assert_eq!(
            field(a.validate().unwrap_err()).as_deref(),
            Some("start_ns")
        );
        let e = StackListRequest::default()
            .run(&Control::new())
            .unwrap_err();
        assert_eq!(field(e).as_deref(), Some("config"));
    }

    /// A request added to the stack, executed by a stack run (with progress), then listed
    /// with its attempt: the listing serialises as `siqaco stack list --format json` built
    /// field by field, and a retry puts it back only when it is on hold or failed.
    #[test]
    fn add_run_list_and_retry() {
        let Some(d) = crate::testing::test_data_dir() else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let config = config_file(tmp.path(), &d.join("sds-small"));
        let add = AddRequestsRequest {
            config: config.clone(),
            select: vec!["IU.COLA.00.BHZ".parse().unwrap()],
            start_ns: Some(parse_time("2010-02-27").unwrap()),
            end_ns: Some(parse_time("2010-02-28").unwrap()),
            sources: Vec::new(),
        };
        let created = add.run(&Control::new()).unwrap();
        assert_eq!(created.requests.len(), 1);
        let seen = std::sync::Mutex::new(Vec::new());
        let cb = |p: Progress| {
            if let Progress::Update(p) = p {
                seen.lock().unwrap().push(p)
            }
        };
        let summary = StackRunRequest::new(&config)
            .run(&Control::new().with_progress(&cb))
            .unwrap();
        assert_eq!(summary.requests_sent, 1, "{summary:?}");
        assert!(summary.samples_added > 0, "{summary:?}");
        let last = *seen.lock().unwrap().last().unwrap();
        assert_eq!(
            (last.requests_done, last.samples_added),
            (1, summary.samples_added)
        );
        let mut list = StackListRequest::new(&config);
        list.attempts = true;
        let listing = list.run(&Control::new()).unwrap();
        let (r, attempts) = &listing.requests[0];
        assert_eq!(r.id, created.requests[0].0.id);
        assert_eq!(r.attempts, 1);
        let attempts = attempts.as_ref().unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].samples_added, summary.samples_added);
        let mut before = r.to_json().unwrap();
        before["attempt_list"] = serde_json::to_value(attempts).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&listing).unwrap(),
            serde_json::to_string_pretty(&serde_json::Value::Array(vec![before])).unwrap()
        );
        let retried = StackChangeRequest::new(&config, StackChange::Retry, Vec::new())
            .run(&Control::new())
            .unwrap();
        // Only on_hold and failed requests are put back.
        let back = matches!(r.state, RequestState::OnHold | RequestState::Failed);
        assert_eq!(retried, u64::from(back));
    }
}
