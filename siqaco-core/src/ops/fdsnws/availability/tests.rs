use super::*;
use crate::ops::{Control, IndexRequest, ScanRequest};
use crate::scan::ScanReport;
use crate::sid::NslcGlob;

fn request(method: Method, pairs: &[(&str, &str)]) -> Result<AvailabilityRequest> {
    AvailabilityRequest::from_query(method, FdsnQuery::from_pairs(pairs, SPEC)?)
}

/// A request's method and parameters, and the parameter its refusal names.
type Case<'a> = (Method, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn refusals_name_the_parameter() {
    let cases: &[Case] = &[
        (Method::Query, &[("merge", "quality,foo")], "merge"),
        (Method::Query, &[("mergegaps", "-1")], "mergegaps"),
        (Method::Query, &[("mergegaps", "soon")], "mergegaps"),
        (Method::Query, &[("show", "everything")], "show"),
        (Method::Query, &[("orderby", "timespancount")], "orderby"),
        (Method::Extent, &[("orderby", "nslc")], "orderby"),
        (Method::Extent, &[("limit", "0")], "limit"),
        (Method::Extent, &[("limit", "-3")], "limit"),
        (Method::Extent, &[("format", "xml")], "format"),
        (
            Method::Extent,
            &[("includerestricted", "yes")],
            "includerestricted",
        ),
        (Method::Extent, &[("quality", "X")], "quality"),
        (Method::Extent, &[("nodata", "500")], "nodata"),
        (Method::Extent, &[("minimumlength", "1")], "minimumlength"),
    ];
    for (method, pairs, field) in cases {
        let e = request(*method, pairs).unwrap_err();
        assert_eq!(e.field_name(), Some(*field), "{pairs:?}: {e}");
    }
    let r = request(
        Method::Extent,
        &[
            ("merge", "samplerate,Quality"),
            ("orderby", "timespancount_desc"),
            ("limit", "3"),
            ("format", "geocsv"),
            ("quality", "B"),
            ("nodata", "404"),
        ],
    )
    .unwrap();
    assert!(r.merge_quality && r.merge_samplerate && !r.merge_overlap);
    assert_eq!(
        (r.orderby, r.limit, r.format, r.quality, r.nodata),
        (
            OrderBy::TimespanCountDesc,
            Some(3),
            Format::Geocsv,
            None,
            404
        )
    );
}

/// sds-small indexed into a fresh catalogue, and a fresh scan of the same archive.
fn sds_small() -> Option<(tempfile::TempDir, Catalogue, ScanReport)> {
    let root = crate::testing::test_data_dir()?.join("sds-small");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cat.sqlite");
    let control = Control::new();
    IndexRequest::new(&root, &db).run(&control).unwrap();
    let scan = ScanRequest::new([&root]).run(&control).unwrap();
    let cat = Catalogue::open_read_only(&db.display().to_string()).unwrap();
    Some((dir, cat, scan))
}

fn spans_of(a: &Availability, nslc: &Nslc) -> Vec<(i64, i64)> {
    a.datasources
        .iter()
        .filter(|d| &d.nslc == nslc)
        .flat_map(|d| d.spans.iter().map(|s| (s.start_ns, s.end_ns)))
        .collect()
}

/// The time spans of `query` are the scan's segments: with `merge=overlap` for every
/// stream, and by default (traces) for every stream the scan finds no overlap in.
#[test]
fn query_time_spans_are_the_scan_segments() {
    let Some((_dir, cat, scan)) = sds_small() else {
        return;
    };
    let open = Access::default();
    let merged = request(Method::Query, &[("merge", "overlap")])
        .unwrap()
        .run(&cat, &open)
        .unwrap();
    let traces = request(Method::Query, &[])
        .unwrap()
        .run(&cat, &open)
        .unwrap();
    assert_eq!(scan.streams.len(), 35);
    for s in &scan.streams {
        let segments: Vec<(i64, i64)> = s
            .analysis
            .segments
            .iter()
            .map(|g| (g.start_ns, g.end_ns))
            .collect();
        assert_eq!(spans_of(&merged, &s.nslc), segments, "{}", s.nslc);
        let last: Vec<i64> = merged
            .datasources
            .iter()
            .filter(|d| d.nslc == s.nslc)
            .flat_map(|d| d.spans.iter().map(|t| t.last_sample_ns))
            .collect();
        let expected: Vec<i64> = s
            .analysis
            .segments
            .iter()
            .map(|g| g.last_sample_ns)
            .collect();
        assert_eq!(last, expected, "{}", s.nslc);
        if s.analysis.overlaps.is_empty() {
            assert_eq!(spans_of(&traces, &s.nslc), segments, "{}", s.nslc);
        } else {
            // overlapping traces are listed each: more spans, the same union
            assert!(
                spans_of(&traces, &s.nslc).len() > segments.len(),
                "{}",
                s.nslc
            );
        }
    }
    // extent: first and last time and the number of segments of each stream
    let extent = request(Method::Extent, &[("merge", "overlap")])
        .unwrap()
        .run(&cat, &open)
        .unwrap();
    assert_eq!(extent.datasources.len(), scan.streams.len());
    for (d, s) in extent.datasources.iter().zip(&scan.streams) {
        let seg = &s.analysis.segments;
        assert_eq!(d.nslc, s.nslc);
        let last = &seg[seg.len() - 1];
        assert_eq!(
            (d.earliest_ns, d.latest_ns, d.end_ns, d.spans.len()),
            (seg[0].start_ns, last.last_sample_ns, last.end_ns, seg.len())
        );
        assert_eq!(d.sample_rate_hz, Some(s.analysis.sample_rate_hz));
    }
}

/// Windows clip the time spans; `mergegaps` joins gaps up to its length, not longer.
#[test]
fn window_and_mergegaps() {
    let Some((_dir, cat, scan)) = sds_small() else {
        return;
    };
    let open = Access::default();
    let find = |code: &str| {
        scan.streams
            .iter()
            .find(|s| s.nslc.to_string() == code)
            .unwrap()
    };
    // IU.COLA.00.BHZ covers 06:50–08:00 without a gap: a window inside is one span, itself
    let cola = find("IU.COLA.00.BHZ");
    assert_eq!(cola.analysis.segments.len(), 1);
    let (ws, we) = (
        cola.analysis.segments[0].start_ns + 600_000_000_000,
        cola.analysis.segments[0].end_ns - 600_000_000_000,
    );
    let line = SelectionLine {
        streams: vec![NslcGlob::exact(&cola.nslc)],
        start_ns: Some(ws),
        end_ns: Some(we),
    };
    let mut r = request(Method::Query, &[]).unwrap();
    r.lines = vec![line.clone()];
    assert_eq!(
        spans_of(&r.run(&cat, &open).unwrap(), &cola.nslc),
        [(ws, we)]
    );
    // a window in no data: no row
    let mut r2 = r.clone();
    r2.lines[0].start_ns = Some(cola.analysis.segments[0].end_ns + 1);
    r2.lines[0].end_ns = Some(cola.analysis.segments[0].end_ns + 1_000_000_000);
    assert!(r2.run(&cat, &open).unwrap().is_empty());

    // two selection lines on one stream: one extent row holding both windows
    let mut two = request(Method::Extent, &[]).unwrap();
    let minute = 60_000_000_000;
    two.lines = vec![line.clone(), line.clone()];
    two.lines[0].end_ns = Some(ws + minute);
    two.lines[1].start_ns = Some(ws + 2 * minute);
    let out = two.run(&cat, &open).unwrap();
    assert_eq!(out.datasources.len(), 1);
    let d = &out.datasources[0];
    assert_eq!((d.earliest_ns, d.end_ns, d.spans.len()), (ws, we, 2));
    // the last sample before the window end: one period (0.05 s) before it
    assert_eq!(d.latest_ns, we - 50_000_000);

    // BW.FFB1..BH1: two segments, a gap between them
    let ffb = find("BW.FFB1..BH1");
    let seg = &ffb.analysis.segments;
    assert_eq!(seg.len(), 2);
    let gap_ns = seg[1].start_ns - seg[0].end_ns;
    assert!(gap_ns > 0);
    let sel = [("net", "BW"), ("sta", "FFB1"), ("cha", "BH1")];
    let with_gaps = |g: f64| {
        let text = format!("{}", g / 1e9);
        let mut pairs = sel.to_vec();
        pairs.push(("mergegaps", &text));
        let r = request(Method::Query, &pairs).unwrap();
        spans_of(&r.run(&cat, &open).unwrap(), &ffb.nslc)
    };
    assert_eq!(
        with_gaps((gap_ns - 1_000) as f64),
        [
            (seg[0].start_ns, seg[0].end_ns),
            (seg[1].start_ns, seg[1].end_ns)
        ]
    );
    assert_eq!(with_gaps(gap_ns as f64), [(seg[0].start_ns, seg[1].end_ns)]);
}

/// Restricted streams: hidden unless `includerestricted=true` and the request is
/// authenticated; then marked `RESTRICTED`.
#[test]
fn restricted_streams() {
    let Some((_dir, cat, scan)) = sds_small() else {
        return;
    };
    let bw = scan
        .streams
        .iter()
        .filter(|s| s.nslc.network == "BW")
        .count();
    let mut access = Access {
        restricted: vec![NslcGlob::parse("BW").unwrap()],
        authenticated: false,
    };
    let count = |r: &AvailabilityRequest, a: &Access| {
        let out = r.run(&cat, a).unwrap();
        let restricted = out.datasources.iter().filter(|d| d.restricted).count();
        (out.datasources.len(), restricted)
    };
    let plain = request(Method::Extent, &[]).unwrap();
    let include = request(Method::Extent, &[("includerestricted", "true")]).unwrap();
    let all = scan.streams.len();
    assert_eq!(count(&plain, &access), (all - bw, 0));
    assert_eq!(count(&include, &access), (all - bw, 0));
    access.authenticated = true;
    assert_eq!(count(&plain, &access), (all - bw, 0));
    assert_eq!(count(&include, &access), (all, bw));
}

/// A quality and its time spans `(start, end)`.
type QualitySpans = (Option<char>, Vec<(i64, i64)>);

/// A file whose stream changes quality: each time span has the quality of the records it is
/// made of (the tsindex section it starts in), `quality=` selects by it, and
/// `merge=quality` puts both in one row.
#[test]
fn quality_of_each_section() {
    let Some(data) = crate::testing::test_data_dir() else {
        return;
    };
    // BW.FFB1..BH1: two 512-byte records (quality D), one segment each; the second
    // record's quality indicator (byte 6) becomes Q
    let rel = "2016/BW/FFB1/BH1.D/BW.FFB1..BH1.D.2016.071";
    let mut bytes = std::fs::read(data.join("sds-small").join(rel)).unwrap();
    assert_eq!((bytes.len(), bytes[6], bytes[512 + 6]), (1024, b'D', b'D'));
    bytes[512 + 6] = b'Q';
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sds");
    std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
    std::fs::write(root.join(rel), &bytes).unwrap();
    let db = dir.path().join("cat.sqlite");
    let control = Control::new();
    IndexRequest::new(&root, &db).run(&control).unwrap();
    let scan = ScanRequest::new([data.join("sds-small").join(rel)])
        .run(&control)
        .unwrap();
    let seg: Vec<(i64, i64)> = scan.streams[0]
        .analysis
        .segments
        .iter()
        .map(|g| (g.start_ns, g.end_ns))
        .collect();
    assert_eq!(seg.len(), 2);
    let cat = Catalogue::open_read_only(&db.display().to_string()).unwrap();
    let nslc = &scan.streams[0].nslc;
    let open = Access::default();
    let run = |pairs: &[(&str, &str)]| {
        request(Method::Query, pairs)
            .unwrap()
            .run(&cat, &open)
            .unwrap()
    };
    let all = run(&[]);
    let by_quality: Vec<QualitySpans> = all
        .datasources
        .iter()
        .map(|d| {
            (
                d.quality,
                d.spans.iter().map(|s| (s.start_ns, s.end_ns)).collect(),
            )
        })
        .collect();
    assert_eq!(
        by_quality,
        [(Some('D'), vec![seg[0]]), (Some('Q'), vec![seg[1]])]
    );
    assert_eq!(spans_of(&run(&[("quality", "Q")]), nslc), [seg[1]]);
    assert_eq!(spans_of(&run(&[("quality", "D")]), nslc), [seg[0]]);
    assert!(run(&[("quality", "M")]).is_empty());
    let merged = run(&[("merge", "quality")]);
    assert_eq!(merged.datasources.len(), 1);
    assert_eq!(spans_of(&merged, nslc), seg);
}
