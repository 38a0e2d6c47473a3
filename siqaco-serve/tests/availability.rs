//! siqaco's own FDSN availability client (`siqaco::source::fdsnws::availability`, the one
//! `siqaco fetch` uses against any data centre) reads the availability service of
//! `siqaco serve` in both formats it asks for, and gets exactly the segments a scan of the
//! archive finds (sds-small): first and last sample of each, to the microsecond, as the
//! service writes them.

use siqaco::ops::{Control, IndexRequest, ScanRequest, ServeSettings};
use siqaco::source::fdsnws::availability::{query_availability_format, AvailabilityFormat};
use siqaco::source::fdsnws::FdsnOptions;
use siqaco::testing::{free_port, test_data_dir};
use std::time::{Duration, Instant};

#[test]
fn siqaco_client_reads_the_scan_segments() {
    let Some(data) = test_data_dir() else { return };
    let root = data.join("sds-small");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cat.sqlite");
    let control = Control::new();
    IndexRequest::new(&root, &db).run(&control).unwrap();
    let scan = ScanRequest::new([&root]).run(&control).unwrap();

    let mut settings = ServeSettings::new(db.display().to_string());
    let port = free_port();
    settings.bind = ([127, 0, 0, 1], port).into();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(siqaco_serve::serve(settings, async {
            let _ = stopped.await;
        }))
    });
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let streams: Vec<_> = scan.streams.iter().map(|s| s.nslc.clone()).collect();
    let us = |ns: i64| ns.div_euclid(1000) * 1000;
    let mut expected = Vec::new();
    for s in &scan.streams {
        for g in &s.analysis.segments {
            expected.push((s.nslc.clone(), us(g.start_ns), us(g.last_sample_ns)));
        }
    }
    expected.sort();
    let (start, end) = (
        siqaco::time::parse_time("2000-01-01").unwrap(),
        siqaco::time::parse_time("2030-01-01").unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}");
    for format in [AvailabilityFormat::Text, AvailabilityFormat::Json] {
        let spans =
            query_availability_format(&url, &streams, start, end, &FdsnOptions::default(), format)
                .unwrap();
        let mut got: Vec<_> = spans
            .into_iter()
            .map(|s| (s.nslc, s.start_ns, s.end_ns))
            .collect();
        got.sort();
        assert_eq!(got, expected, "{format:?}");
    }
    stop.send(()).unwrap();
    server.join().unwrap().unwrap();
}
