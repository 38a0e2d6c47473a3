//! The planning of an update divided between the workers of one PostgreSQL catalogue
//! (`docs/scale.md`, "Many workers, one catalogue"): instead of every worker analysing
//! the gaps of every stream, the workers of a **round** claim groups of streams and each
//! group is analysed, and its requests created, by one of them.
//!
//! * **Groups.** The maintained streams (resolved after the index, [`super::plan`]) are
//!   grouped by request key (the requests' stream, `super::request_key`: a key's streams
//!   stay together, so two groups never create requests of one key), [`GROUP_KEYS`] keys
//!   a group, in key order. Each group is a row of [`PLAN_GROUPS`] holding its streams.
//! * **Rounds.** The first worker to plan a window publishes the groups of a new round
//!   (under [`claims::PLAN_KEY`]); a worker that comes to plan the same window while the
//!   round is live (a group waits, or is held under a live lease) joins it. A worker that
//!   comes when the latest round is finished, or only dead workers' groups are left,
//!   starts a new round (a later run plans every stream again, as a single run does); one
//!   that comes with another window while a round is live plans every stream itself, as
//!   before the division (the window changed under the workers: a granularity boundary).
//! * **Claims and leases.** The groups are claimed one at a time with the claim of every
//!   queue of work ([`workers::claim_row`]); the worker's heartbeat renews the leases of
//!   the groups it holds ([`UPDATE_QUEUES`]). A group whose planner died is taken over
//!   once its lease expired: a worker ends its planning only when every group of its round
//!   is planned, waiting for those live workers hold.
//! * **No request created twice.** A group's requests are created under
//!   [`claims::PLAN_KEY`] against the stack listed again under that lock (as before the
//!   division), so a group planned twice (its planner died after creating them, or
//!   stalled beyond its lease) creates nothing the second time.
//! * **Counts.** Each worker's `streams_checked` and `gaps_found` are those of its whole
//!   round (the groups' counts, summed once every group is planned): what one run planning
//!   the window alone finds; its run records the gaps of the groups it planned.

use super::stack::Request;
use super::{analyse_gaps, claims, create_planned, request_key, Config, UpdateSummary};
use crate::error::Result;
use crate::index::backend::vals;
use crate::index::workers::{self, claim_row, finish_row, Queue, Worker, LOCK_POLL};
use crate::index::Catalogue;
use crate::sid::Nslc;
use crate::time::now_ns;
use std::collections::BTreeMap;

/// The planning groups of the rounds of an update ([`super::plan`] with a PostgreSQL
/// catalogue): one row per group of streams (`grp`: the round, 20 digits, `:`, the group's
/// number, 6 digits; `streams`: its `NET.STA.LOC.CHA` codes, one a line); `new` waits,
/// `in_progress` is held, `done` was planned; `planned` and `gaps` count the streams
/// analysed and the gaps found by the worker that planned it. A work table, created on
/// first use: it holds no catalogue data, and a catalogue without it is complete.
pub(crate) const PLAN_GROUPS: Queue = Queue {
    table: "siqaco_plan_groups",
    key: "grp",
    pending: "state='new'",
    ddl: Some(
        "CREATE TABLE IF NOT EXISTS siqaco_plan_groups (grp TEXT PRIMARY KEY, \
         round BIGINT NOT NULL, window_start_ns BIGINT NOT NULL, \
         window_end_ns BIGINT NOT NULL, streams TEXT NOT NULL, state TEXT NOT NULL, \
         holder TEXT, lease_until_ns BIGINT, claims BIGINT, \
         planned BIGINT NOT NULL DEFAULT 0, gaps BIGINT NOT NULL DEFAULT 0, \
         updated_ns BIGINT NOT NULL)",
    ),
};

/// The queues of an update worker: the requests of the stack and the planning groups
/// (the heartbeat renews the leases of the rows it holds in both).
pub(crate) static UPDATE_QUEUES: [Queue; 2] = [claims::REQUESTS, PLAN_GROUPS];

/// Request keys per planning group: small enough that several workers share the streams
/// of a small configuration, large enough that a claim (a millisecond) is small beside
/// the analysis of a group.
pub(crate) const GROUP_KEYS: usize = 8;

/// How long a worker waits between two looks at the groups other live workers hold.
const WAIT: std::time::Duration = LOCK_POLL;

/// Rows of finished rounds are deleted by the next round once they are this many leases
/// old (so that the workers of a round that just finished still read its counts).
const KEEP_LEASES: i64 = 10;

/// `streams` grouped by request key, [`GROUP_KEYS`] keys a group, in key order.
fn groups(config: &Config, streams: &[Nslc]) -> Vec<Vec<Nslc>> {
    let mut by_key: BTreeMap<Nslc, Vec<Nslc>> = BTreeMap::new();
    for n in streams {
        by_key
            .entry(request_key(config, n))
            .or_default()
            .push(n.clone());
    }
    let keys: Vec<Vec<Nslc>> = by_key.into_values().collect();
    keys.chunks(GROUP_KEYS).map(|c| c.concat()).collect()
}

/// The streams of a group's `streams` column.
fn parse_streams(text: &str) -> Vec<Nslc> {
    text.lines()
        .filter_map(|l| {
            let p: Vec<&str> = l.split('.').collect();
            (p.len() == 4).then(|| Nslc::new(p[0], p[1], p[2], p[3]))
        })
        .collect()
}

/// Under [`claims::PLAN_KEY`]: the round `worker` plans `window` in (see the
/// [module](self) documentation), publishing a new one with the groups of `streams` when
/// none is live; `None` when a round of another window is live.
fn join_round(
    config: &Config,
    cat: &Catalogue,
    worker: &Worker,
    window: (i64, i64),
    streams: &[Nslc],
) -> Result<Option<i64>> {
    let now = now_ns();
    let latest = cat.db().query(
        "SELECT round, window_start_ns, window_end_ns, count(*) FILTER (WHERE state='new' \
         OR (state='in_progress' AND lease_until_ns >= ?1)) FROM siqaco_plan_groups \
         GROUP BY round, window_start_ns, window_end_ns ORDER BY round DESC LIMIT 1",
        &vals![now],
    )?;
    if let Some(r) = latest.first() {
        if r[3].as_i64() > 0 {
            let same = (r[1].as_i64(), r[2].as_i64()) == window;
            return Ok(same.then(|| r[0].as_i64()));
        }
    }
    let round = now;
    let groups = groups(config, streams);
    cat.db().transaction(|tx| {
        tx.execute(
            "DELETE FROM siqaco_plan_groups WHERE state<>'done' OR updated_ns < ?1",
            &vals![now - KEEP_LEASES * worker.lease_ns],
        )?;
        for (i, g) in groups.iter().enumerate() {
            let codes: Vec<String> = g.iter().map(Nslc::to_string).collect();
            tx.execute(
                "INSERT INTO siqaco_plan_groups (grp,round,window_start_ns,window_end_ns,\
                 streams,state,claims,updated_ns) VALUES (?1,?2,?3,?4,?5,'new',0,?6)",
                &vals![
                    format!("{round:020}:{i:06}"),
                    round,
                    window.0,
                    window.1,
                    codes.join("\n"),
                    now
                ],
            )?;
        }
        Ok(())
    })?;
    Ok(Some(round))
}

/// The planning of `window` by `worker` with the other workers of its round (see the
/// [module](self) documentation): claims groups of `streams` (all the maintained streams)
/// and, for each, analyses its gaps and creates its requests in the run `run_id`, until
/// every group of the round is planned; then sets `summary`'s `streams_checked` and
/// `gaps_found` to the round's. `existing` is the stack listed before the index (see
/// [`create_planned`]). Returns `false` when a round of another window is live: nothing was
/// planned, the caller plans every stream itself.
///
/// # Errors
/// [`crate::Error::Database`]; as [`create_planned`].
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_shared(
    config: &Config,
    cat: &Catalogue,
    worker: &Worker,
    window: (i64, i64),
    streams: &[Nslc],
    run_id: i64,
    summary: &mut UpdateSummary,
    existing: &mut Vec<Request>,
) -> Result<bool> {
    claims::lock_plan(cat)?;
    let round = join_round(config, cat, worker, window, streams);
    claims::unlock_plan(cat);
    let Some(round) = round? else {
        return Ok(false);
    };
    loop {
        let claimed = claim_row(
            cat,
            &PLAN_GROUPS,
            "grp, streams",
            &worker.id,
            worker.lease_ns,
        )?;
        if let Some(row) = claimed {
            let (grp, group) = (row[0].as_text(), parse_streams(&row[1].as_text()));
            let missing = analyse_gaps(config, cat, &group, window)?;
            workers::group_delay("SIQACO_PLAN_GROUP_DELAY_MS");
            claims::lock_plan(cat)?;
            let planned = create_planned(
                config,
                cat,
                (window, &group),
                run_id,
                existing,
                &missing,
                &mut summary.warnings,
            );
            claims::unlock_plan(cat);
            let (gaps, created) = planned?;
            summary.requests_created += created;
            let counts = [("planned", group.len() as i64), ("gaps", gaps as i64)];
            cat.db().transaction(|tx| {
                finish_row(tx, &PLAN_GROUPS, &grp, &worker.id, true, &counts).map(|_| ())
            })?;
            continue;
        }
        let rows = cat.db().query(
            "SELECT count(*) FILTER (WHERE state<>'done'), CAST(COALESCE(sum(planned),0) AS BIGINT), \
             CAST(COALESCE(sum(gaps),0) AS BIGINT) FROM siqaco_plan_groups WHERE round=?1",
            &vals![round],
        )?;
        let r = &rows[0];
        if r[0].as_i64() == 0 {
            summary.streams_checked = r[1].as_i64() as u64;
            summary.gaps_found = r[2].as_i64() as u64;
            return Ok(true);
        }
        // Groups held by live workers: they finish them, or their lease expires and the
        // next claim takes them over.
        std::thread::sleep(WAIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_request_keys_together_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let Some(config) = super::super::tests::sds_small_site(dir.path()) else {
            return;
        };
        let streams: Vec<Nslc> = (0..20)
            .flat_map(|i| ["HHZ", "HHN"].map(|c| Nslc::new("XX", &format!("S{i:02}"), "00", c)))
            .collect();
        let g = groups(&config, &streams);
        // Without request keys wider than a stream, each stream is its own key.
        assert_eq!(g.len(), 40usize.div_ceil(GROUP_KEYS));
        assert_eq!(g.concat().len(), 40);
        let mut sorted = streams.clone();
        sorted.sort();
        assert_eq!(g.concat(), sorted);
        let text: Vec<String> = g[0].iter().map(Nslc::to_string).collect();
        assert_eq!(parse_streams(&text.join("\n")), g[0]);
        assert_eq!(
            parse_streams("XX.A..BHZ"),
            vec![Nslc::new("XX", "A", "", "BHZ")]
        );
    }
}
