//! FDSN dataselect source against a real `portable-fdsnws-dataselect` on 127.0.0.1, serving
//! a tsindex catalogue of `sds-small` built by siqaco's index.
//!
//! The server runs from its own virtual environment (it pins `pymseed<1`): `.venv-fdsnws`
//! at the workspace root (made by `scripts/bootstrap`), or the executable named by
//! `SIQACO_FDSNWS_BIN`. Without it the test is skipped with a loud notice.

use siqaco::archive::{Archive, Layout};
use siqaco::codec::{decode_record, Samples};
use siqaco::record::{RecordScanner, ScanItem};
use siqaco::source::fdsnws::{FdsnDataselect, FdsnOptions};
use siqaco::source::local::ArchiveSource;
use siqaco::source::{RequestLine, Source, SourceInfo};
use siqaco::testing::{test_data_dir, FdsnwsServer};
use siqaco::time::{parse_time, sample_time};
use siqaco::{Nslc, NslcGlob};
use std::path::PathBuf;
use std::time::Duration;

/// Every sample of the data records in `files` whose time is in `[s, e)`, as (stream, time
/// ns, value bits), sorted.
fn samples(files: &[PathBuf], s: i64, e: i64) -> Vec<(String, i64, u64)> {
    let mut out = Vec::new();
    for f in files {
        let buf = std::fs::read(f).unwrap();
        for item in RecordScanner::new(&buf) {
            let ScanItem::Record { header, .. } = item else {
                panic!("bad bytes in {}", f.display())
            };
            if !header.is_data() {
                continue;
            }
            let d = decode_record(header.raw).unwrap();
            let vals: Vec<u64> = match &d.samples {
                Samples::Int32(v) => v.iter().map(|&x| x as i64 as u64).collect(),
                Samples::Float32(v) => v.iter().map(|&x| (x as f64).to_bits()).collect(),
                Samples::Float64(v) => v.iter().map(|&x| x.to_bits()).collect(),
                Samples::Text(_) => continue,
            };
            for (i, v) in vals.into_iter().enumerate() {
                let t = sample_time(d.start_ns, i as i64, d.sample_rate_hz);
                if t >= s && t < e {
                    out.push((d.nslc.to_string(), t, v));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fetch_from_portable_fdsnws_dataselect() {
    let Some(bin) = FdsnwsServer::bin() else {
        return;
    };
    let Some(data) = test_data_dir() else { return };
    let sds = data.join("sds-small");
    let dir = tempfile::tempdir().unwrap();
    // 250 kB: one IU.COLA.00.BH? day file is about 195 kB, so a request for the three
    // channels over the whole day is refused (413) and must be split.
    let server = FdsnwsServer::start(&bin, &sds, dir.path(), 250_000);
    let url = format!("http://127.0.0.1:{}", server.port);
    let mut opts = FdsnOptions::default();
    opts.timeout = Duration::from_secs(30);
    opts.min_split_s = 60.0;
    opts.backoff_initial = Duration::from_millis(50);
    let fdsn = FdsnDataselect::new(SourceInfo::new("local-fdsnws"), &url, opts).unwrap();
    assert!(fdsn.is_online());
    let local = ArchiveSource::new(SourceInfo::new("sds"), Archive::new(&sds, Layout::Sds));

    let day = (
        parse_time("2010-02-27").unwrap(),
        parse_time("2010-02-28").unwrap(),
    );
    let cases: Vec<(&str, Vec<RequestLine>, bool)> = vec![
        // Ten minutes of one stream: fits.
        (
            "short window",
            vec![RequestLine::new(
                &Nslc::new("IU", "COLA", "00", "BHZ"),
                parse_time("2010-02-27T07:00:00").unwrap(),
                parse_time("2010-02-27T07:10:00").unwrap(),
            )],
            false,
        ),
        // Three streams, whole day: split by streams.
        (
            "three streams",
            ["BHZ", "BH1", "BH2"]
                .iter()
                .map(|c| RequestLine::new(&Nslc::new("IU", "COLA", "00", c), day.0, day.1))
                .collect(),
            true,
        ),
        // One glob line over the day, three 1 Hz streams: fits.
        (
            "glob line",
            vec![RequestLine {
                stream: NslcGlob::parse("IU.COLA.00.LH?").unwrap(),
                start_ns: day.0,
                end_ns: day.1,
            }],
            false,
        ),
    ];
    for (what, lines, split) in cases {
        let staged = tempfile::tempdir().unwrap();
        let got = fdsn.fetch(&lines, staged.path()).unwrap();
        assert!(!got.is_no_data(), "{what}: no data");
        assert_eq!(
            got.requests_retried > 0,
            split,
            "{what}: split expected {split}: {got:?}"
        );
        let want_dir = tempfile::tempdir().unwrap();
        let want = local.fetch(&lines, want_dir.path()).unwrap();
        for l in &lines {
            let a = samples(&got.files, l.start_ns, l.end_ns)
                .into_iter()
                .filter(|(n, _, _)| l.stream.matches(&Nslc::parse(n).unwrap()))
                .collect::<Vec<_>>();
            let b = samples(&want.files, l.start_ns, l.end_ns)
                .into_iter()
                .filter(|(n, _, _)| l.stream.matches(&Nslc::parse(n).unwrap()))
                .collect::<Vec<_>>();
            assert!(!a.is_empty(), "{what}: no samples for {l}");
            // A split request may bring a record that straddles the cut twice.
            let mut a = a;
            a.dedup();
            let mut b = b;
            b.dedup();
            assert_eq!(a.len(), b.len(), "{what}: sample count for {l}");
            assert!(a == b, "{what}: samples differ for {l}");
        }
    }

    // No data: a stream the archive does not have, and a time it does not cover.
    for line in [
        RequestLine::new(&Nslc::new("XX", "NONE", "", "BHZ"), day.0, day.1),
        RequestLine::new(
            &Nslc::new("IU", "COLA", "00", "BHZ"),
            parse_time("2001-01-01").unwrap(),
            parse_time("2001-01-02").unwrap(),
        ),
    ] {
        let staged = tempfile::tempdir().unwrap();
        let r = fdsn
            .fetch(std::slice::from_ref(&line), staged.path())
            .unwrap();
        assert!(r.is_no_data(), "{line}: {r:?}");
        assert_eq!(std::fs::read_dir(staged.path()).unwrap().count(), 0);
    }

    // portable-fdsnws-dataselect has no availability service: asking it is an error (a
    // 404 to nodata=204), never "no data", which would stop every fetch.
    let with_service = FdsnDataselect::new(SourceInfo::new("local-fdsnws"), &url, {
        let mut o = FdsnOptions::default();
        o.availability = siqaco::source::fdsnws::AvailabilityMode::Service;
        o.max_retries = 0;
        o
    })
    .unwrap();
    let e = with_service
        .availability(&[Nslc::new("IU", "COLA", "00", "BHZ")], day)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("/fdsnws/availability/1/query: HTTP 404: not found"),
        "{e}"
    );
    drop(server);
}
