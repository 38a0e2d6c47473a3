//! `threads` of a scan or a read bounds every parallel step of it, the joining of traces
//! too: with `threads = 1` each stream's traces are joined on a pool of one thread, even
//! when the caller runs on a larger pool (before, the joining ran on the caller's pool).
//!
//! One test in this binary: `siqaco::testing::joining_threads` notes the pools of every
//! operation running in the process.

use siqaco::ops::{Control, ReadRequest, ScanRequest};
use siqaco::testing::{joining_threads, test_data_dir};

#[test]
fn threads_bound_the_joining_of_traces() {
    let root = test_data_dir().expect("tests/data").join("sds-small");
    let control = Control::new();
    // The caller's pool: three threads, none of them the request's.
    let outer = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();

    let scan = |threads| {
        let mut r = ScanRequest::new([&root]);
        r.threads = threads;
        outer.install(|| joining_threads(|| r.run(&control).unwrap()))
    };
    let json = |r: &siqaco::scan::ScanReport| serde_json::to_value(r).unwrap();
    let (all, seen_all) = scan(None);
    assert!(!all.streams.is_empty());
    // No `threads`: the caller's pool.
    assert_eq!(seen_all, vec![3; all.streams.len()]);
    for n in [1, 2] {
        let (report, seen) = scan(Some(n));
        assert_eq!(json(&report), json(&all), "scan with threads={n}");
        assert_eq!(seen, vec![n; report.streams.len()], "scan with threads={n}");
    }

    let read = |threads| {
        let mut r = ReadRequest::new([&root]);
        r.threads = threads;
        outer.install(|| joining_threads(|| r.run(&control).unwrap()))
    };
    let (all, seen_all) = read(None);
    let streams = |segments: &[siqaco::read::SampleSegment]| {
        let mut s: Vec<_> = segments.iter().map(|s| s.nslc.clone()).collect();
        s.dedup();
        s.len()
    };
    assert_eq!(seen_all, vec![3; streams(&all)]);
    for n in [1, 2] {
        let (segments, seen) = read(Some(n));
        assert_eq!(segments, all, "read with threads={n}");
        assert_eq!(seen, vec![n; streams(&segments)], "read with threads={n}");
    }

    // A read needs at least one thread, the field named.
    let mut r = ReadRequest::new([&root]);
    r.threads = Some(0);
    assert_eq!(r.validate().unwrap_err().field_name(), Some("threads"));
}
