//! Criterion benchmark of `siqaco report`'s rendering on a synthetic catalogue report of
//! 500 streams × 365 days (1 Hz, a gap every few days, an overlap a month): figure data,
//! calendar and timeline layout, SVG, PNG and the HTML page. Figures in
//! `docs/benchmarks.md`.

use criterion::{criterion_group, criterion_main, Criterion};
use siqaco::gaps::{analyze, piece_of, AnalysisOptions};
use siqaco::plot::{calendar, html_report, timeline, ReportData};
use siqaco::scan::{ScanReport, StreamReport};
use siqaco::time::{parse_time, NS_PER_DAY, NS_PER_S};
use siqaco::Nslc;

fn synthetic(n: usize, days: i64) -> ScanReport {
    let t0 = parse_time("2024-01-01").unwrap();
    let end = t0 + days * NS_PER_DAY;
    let mut opts = AnalysisOptions::default();
    opts.window = Some((t0, end));
    opts.per_day = true;
    let mut seed = 12345u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let streams = (0..n)
        .map(|i| {
            let mut pieces = Vec::new();
            let mut t = t0 + (rnd() % 600) as i64 * NS_PER_S;
            while t < end {
                let len_s = 86_400 + (rnd() % (5 * 86_400)) as i64;
                let len_s = len_s.min((end - t) / NS_PER_S).max(1);
                pieces.push(piece_of(t, len_s, 1.0));
                if rnd() % 10 == 0 {
                    pieces.push(piece_of(t + 1000 * NS_PER_S, 300, 1.0)); // overlap
                }
                t += (len_s + (rnd() % 7200) as i64 + 1) * NS_PER_S;
            }
            StreamReport {
                nslc: Nslc::new(
                    "XX",
                    &format!("S{:03}", i / 3),
                    "00",
                    ["HHZ", "HHN", "HHE"][i % 3],
                ),
                records: pieces.len() as u64,
                analysis: analyze(&pieces, &opts),
            }
        })
        .collect();
    ScanReport {
        streams,
        window: Some((t0, end)),
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let report = synthetic(500, 365);
    let now = report.window.unwrap().1;
    let data = ReportData::from_scan(&report, now);
    let (cal, tl) = (calendar(&data), timeline(&data));
    let html = html_report(&data, &cal, &tl, None);
    eprintln!(
        "500 streams x 365 days: calendar {} items {}x{} px, SVG {} kB, PNG {} kB; timeline {} items, SVG {} kB, PNG {} kB; HTML {} kB",
        cal.items.len(),
        cal.width,
        cal.height,
        cal.to_svg().len() / 1000,
        cal.to_png().len() / 1000,
        tl.items.len(),
        tl.to_svg().len() / 1000,
        tl.to_png().len() / 1000,
        html.len() / 1000
    );
    let mut g = c.benchmark_group("report_500x365");
    g.sample_size(10);
    g.bench_function("data", |b| b.iter(|| ReportData::from_scan(&report, now)));
    g.bench_function("layout", |b| b.iter(|| (calendar(&data), timeline(&data))));
    g.bench_function("svg", |b| b.iter(|| (cal.to_svg(), tl.to_svg())));
    g.bench_function("png", |b| b.iter(|| (cal.to_png(), tl.to_png())));
    g.bench_function("html", |b| b.iter(|| html_report(&data, &cal, &tl, None)));
    g.bench_function("all", |b| {
        b.iter(|| {
            let d = ReportData::from_scan(&report, now);
            let (c, t) = (calendar(&d), timeline(&d));
            (
                c.to_svg(),
                c.to_png(),
                t.to_svg(),
                t.to_png(),
                html_report(&d, &c, &t, None),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
