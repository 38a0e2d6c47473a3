//! Claims under contention: `WORKERS` threads, each with its own connection to one
//! PostgreSQL catalogue, claim the requests of its stack ([`siqaco::update::claims::claim`],
//! the claim `siqaco update` workers make, each followed by the end of the attempt,
//! [`siqaco::update::stack::finish_claimed_attempt`]) until none is left; prints one JSON document:
//! requests, workers, seconds, claims per second and the ids claimed more than once
//! (none expected).
//!
//! `cargo run --release --features postgres --example claims_contention -- URL REQUESTS WORKERS`
//! on an empty database (`bench/claims-contention.py` creates and drops one).

use siqaco::index::Catalogue;
use siqaco::update::{claims, stack};
use siqaco::Nslc;
use std::collections::BTreeMap;
use std::path::Path;

fn main() -> siqaco::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(n), Some(w)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: claims_contention URL REQUESTS WORKERS");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("REQUESTS: a number");
    let w: usize = w.parse().expect("WORKERS: a number");
    let cat = Catalogue::open(Path::new(url))?;
    // One request per stream-day: 100 stations x 4 channels, as many days as needed.
    let day = 86_400_000_000_000i64;
    let items: Vec<(Nslc, i64, i64)> = (0..n)
        .map(|i| {
            let s = i % 400;
            let d = (i / 400) as i64;
            let nslc = Nslc::new(
                "XX",
                &format!("S{:03}", s / 4),
                "00",
                ["HHZ", "HHN", "HHE", "HH1"][s % 4],
            );
            (
                nslc,
                1_700_000_000_000_000_000 + d * day,
                1_700_000_000_000_000_000 + (d + 1) * day,
            )
        })
        .collect();
    stack::create_requests(&cat, &items, None)?;
    // Longer than the run: nothing is taken over.
    let lease_ns = 86_400_000_000_000;
    let start = std::time::Instant::now();
    let claimed: Vec<Vec<i64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..w)
            .map(|k| {
                scope.spawn(move || -> siqaco::Result<Vec<i64>> {
                    let cat = Catalogue::open_existing_raw(Path::new(url))?;
                    let me = format!("bench:{k}:{}", claims::new_worker_id());
                    let mut ids = Vec::new();
                    // As a worker does: claim, then end the attempt while holding it.
                    while let Some(r) = claims::claim(&cat, &me, lease_ns)? {
                        let held = stack::finish_claimed_attempt(
                            &cat,
                            r.id,
                            &[],
                            stack::RequestState::Succeeded,
                            None,
                            true,
                            Some(&me),
                        )?;
                        assert!(held, "request {} taken over", r.id);
                        ids.push(r.id);
                    }
                    Ok(ids)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker thread").expect("claims"))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let mut seen: BTreeMap<i64, u32> = BTreeMap::new();
    for id in claimed.iter().flatten() {
        *seen.entry(*id).or_default() += 1;
    }
    let twice: Vec<i64> = seen
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(id, _)| *id)
        .collect();
    let total: usize = claimed.iter().map(Vec::len).sum();
    println!(
        "{}",
        serde_json::json!({
            "requests": n,
            "workers": w,
            "claims": total,
            "distinct": seen.len(),
            "seconds": secs,
            "claims_per_s": total as f64 / secs,
            "per_worker_min": claimed.iter().map(Vec::len).min(),
            "per_worker_max": claimed.iter().map(Vec::len).max(),
            "claimed_twice": twice,
        })
    );
    Ok(())
}
