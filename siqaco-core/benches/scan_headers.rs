//! Header-scan throughput of `siqaco::record::RecordScanner` on real files repeated in
//! memory (records per second, single thread, hot cache).
//!
//! `cargo bench -p siqaco-core --bench scan_headers`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use siqaco::record::{RecordScanner, ScanItem};
use std::hint::black_box;

/// Concatenates copies of a real file up to about `target` bytes.
fn repeated(name: &str, target: usize) -> Option<Vec<u8>> {
    let dir = siqaco::testing::test_data_dir()?;
    let one = std::fs::read(dir.join("mseed").join(name)).ok()?;
    let mut buf = Vec::with_capacity(target + one.len());
    while buf.len() < target {
        buf.extend_from_slice(&one);
    }
    Some(buf)
}

fn scan(buf: &[u8]) -> (u64, i64, i64) {
    let (mut n, mut samples, mut t) = (0u64, 0i64, 0i64);
    for item in RecordScanner::new(buf) {
        if let ScanItem::Record { header, .. } = item {
            n += 1;
            samples += header.sample_count;
            t = t.wrapping_add(header.start_ns ^ header.sample_rate_hz.to_bits() as i64);
            t = t.wrapping_add(header.stream_key().len() as i64);
        }
    }
    (n, samples, t)
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "v2_512_steim2",
            "obspy-io-mseed__CH.BALST..LH_two_channels.mseed",
        ),
        (
            "v2_4096_steim2",
            "pymseed-tests__testdata-COLA-signal.v2.mseed",
        ),
        ("v3_steim2", "pymseed-tests__testdata-COLA-signal.v3.mseed"),
    ];
    let mut group = c.benchmark_group("scan_headers");
    for (label, file) in cases {
        let Some(buf) = repeated(
            file,
            std::env::var("SCAN_BENCH_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(32 << 20),
        ) else {
            eprintln!("SKIPPED {label}: test data not found");
            continue;
        };
        let (records, _, _) = scan(&buf);
        group.throughput(Throughput::Elements(records));
        group.bench_function(label, |b| b.iter(|| scan(black_box(&buf))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
