//! Criterion benchmark of the whole scan pipeline (listing, header scan, traces, analysis)
//! on the `sds-small` archive of the test data, one thread and all threads. For the 2 GB comparison
//! with cat, libmseed and ObsPy see `bench/scan-vs-peers.py`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use siqaco::archive::{Archive, Layout};
use siqaco::scan::{scan_archive, ScanOptions};

fn bench(c: &mut Criterion) {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let archive = Archive::new(data.join("sds-small"), Layout::Sds);
    let bytes: u64 = archive
        .list_files(&[], None)
        .expect("list")
        .iter()
        .map(|f| f.size_bytes)
        .sum();
    let mut g = c.benchmark_group("scan_archive_sds_small");
    g.throughput(Throughput::Bytes(bytes));
    for threads in [1usize, 0] {
        let mut opts = ScanOptions::default();
        opts.analysis.per_day = true;
        opts.threads = (threads > 0).then_some(threads);
        let name = if threads == 1 {
            "1 thread"
        } else {
            "all threads"
        };
        g.bench_function(name, |b| {
            b.iter(|| scan_archive(&archive, &opts, None).expect("scan"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
