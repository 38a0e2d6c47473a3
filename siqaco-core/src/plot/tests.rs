use super::*;
use crate::gaps::{analyze, piece_of, AnalysisOptions};
use crate::scan::StreamReport;
use crate::time::{parse_time, NS_PER_S};

/// A report of `n` streams at 1 Hz over `days` days from 2024-01-01 with one gap per
/// stream and one overlap on the first.
pub(super) fn synthetic(n: usize, days: i64, window: bool) -> ScanReport {
    let t0 = parse_time("2024-01-01").unwrap();
    let end = t0 + days * NS_PER_DAY;
    let w = window.then_some((t0, end));
    let opts = AnalysisOptions {
        window: w,
        per_day: true,
        ..Default::default()
    };
    let streams = (0..n)
        .map(|i| {
            let gap_at = t0 + ((i as i64 * 7919) % (days * 86_400)) * NS_PER_S;
            let total = days * 86_400;
            let first = (gap_at - t0) / NS_PER_S;
            let mut pieces = vec![piece_of(t0 + NS_PER_S, first.max(1), 1.0)];
            let resume = gap_at + 3600 * NS_PER_S;
            if resume < end {
                pieces.push(piece_of(resume, (end - resume) / NS_PER_S, 1.0));
            }
            if i == 0 {
                pieces.push(piece_of(resume + 100 * NS_PER_S, 50, 1.0));
            }
            let _ = total;
            StreamReport {
                nslc: Nslc::new("XX", &format!("S{i:03}"), "00", "HHZ"),
                records: 10,
                analysis: analyze(&pieces, &opts),
            }
        })
        .collect();
    ScanReport {
        streams,
        window: w,
        ..Default::default()
    }
}

fn parse_xml(s: &str) {
    let mut r = quick_xml::Reader::from_str(s);
    let mut depth = 0i64;
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => panic!("SVG does not parse: {e}"),
        }
    }
    assert_eq!(depth, 0);
}

/// Decodes a PNG (the `png` crate's decoder, through tiny-skia): its width and height.
fn decode_png(bytes: &[u8]) -> (u32, u32) {
    let p = decode_pixels(bytes);
    (p.width(), p.height())
}

fn decode_pixels(bytes: &[u8]) -> resvg::tiny_skia::Pixmap {
    resvg::tiny_skia::Pixmap::decode_png(bytes).expect("PNG decodes")
}

#[test]
fn data_from_scan() {
    let r = synthetic(3, 5, true);
    let d = ReportData::from_scan(&r, r.window.unwrap().1 + 60 * NS_PER_S);
    assert_eq!(d.days.len(), 5);
    assert!(d.days_contiguous);
    assert_eq!(d.streams.len(), 3);
    for s in &d.streams {
        assert_eq!(s.day_availability.len(), 5);
        assert!(s.day_availability.iter().all(|v| v.is_some()));
        assert!(s.num_gaps >= 2, "head gap and one hour");
        assert!((s.latency_s.unwrap() - 61.0).abs() < 1e-9);
        let covered: i64 = s.segments.iter().map(|x| x.end_ns - x.start_ns).sum();
        let want = covered as f64 / (5 * NS_PER_DAY) as f64 * 100.0;
        assert!((s.percent_availability - want).abs() < 1e-9);
    }
    assert_eq!(d.streams[0].num_overlaps, 1);
}

#[test]
fn sparse_days_are_compressed() {
    let opts = AnalysisOptions {
        per_day: true,
        ..Default::default()
    };
    let a = parse_time("2010-02-27").unwrap();
    let b = parse_time("2025-06-01").unwrap();
    let mk = |t: i64, sta: &str| StreamReport {
        nslc: Nslc::new("XX", sta, "", "LHZ"),
        records: 1,
        analysis: analyze(&[piece_of(t, 86_400, 1.0)], &opts),
    };
    let r = ScanReport {
        streams: vec![mk(a, "B"), mk(b, "A")],
        ..Default::default()
    };
    let d = ReportData::from_scan(&r, b);
    assert!(!d.days_contiguous);
    assert_eq!(d.days, vec![a, b]);
    assert_eq!(d.streams[0].nslc.station, "A", "sorted");
    assert_eq!(d.streams[0].day_availability, vec![None, Some(100.0)]);
    let cal = calendar(&d);
    parse_xml(&cal.to_svg());
    assert!(cal
        .items
        .iter()
        .any(|i| matches!(i, Item::Line { x1, x2, .. } if x1 == x2)));
}

#[test]
fn figures_render_and_parse() {
    for n in [1usize, 40, 150] {
        let r = synthetic(n, 30, true);
        let d = ReportData::from_scan(&r, r.window.unwrap().1);
        for scene in [calendar(&d), timeline(&d)] {
            let svg = scene.to_svg();
            parse_xml(&svg);
            let (w, h) = decode_png(&scene.to_png());
            assert_eq!((w, h), (scene.width, scene.height));
            // every stream is labelled
            for s in &d.streams {
                let label = s.nslc.to_string();
                assert!(scene
                    .items
                    .iter()
                    .any(|i| matches!(i, Item::Text { text, .. } if *text == label)));
            }
        }
        let html = html_report(&d, &calendar(&d), &timeline(&d), None);
        assert!(html.contains("id=\"summary-table\""));
        // self-contained: nothing to fetch
        assert!(!html.contains(" src="));
        for (i, _) in html.match_indices("href=\"") {
            let rest = &html[i + 6..];
            assert!(
                rest.starts_with('#') || rest.starts_with("data:"),
                "{}",
                &rest[..40]
            );
        }
    }
}

#[test]
fn short_gap_visible_on_long_window() {
    let r = synthetic(1, 365, true);
    let d = ReportData::from_scan(&r, 0);
    let tl = timeline(&d);
    let gaps: Vec<_> = tl
        .items
        .iter()
        .filter(|i| matches!(i, Item::Rect { fill, .. } if *fill == Color(0xd7, 0x30, 0x27)))
        .collect();
    // head gap (1 s) and the one-hour gap, each at least a pixel
    assert_eq!(gaps.len(), 2);
    for g in gaps {
        if let Item::Rect { w, .. } = g {
            assert!(*w >= 1.0);
        }
    }
}

#[test]
fn text_is_escaped() {
    let s = Scene {
        width: 10,
        height: 10,
        background: Color(255, 255, 255),
        title: "a<b & \"c\"".into(),
        items: vec![Item::Text {
            x: 1.0,
            y: 9.0,
            text: "</svg><x>&".into(),
            anchor: Anchor::Start,
            color: Color(0, 0, 0),
        }],
    };
    parse_xml(&s.to_svg());
    decode_png(&s.to_png());
}

#[test]
fn write_report_files() {
    let dir = tempfile::tempdir().unwrap();
    let r = synthetic(4, 10, true);
    let d = ReportData::from_scan(&r, 0);
    let qc = serde_json::json!({"worst_severity": "warning", "findings": [
        {"code": "rate_mismatch", "severity": "warning", "nslc": "XX.S000.00.HHZ",
         "start": null, "end": null, "path": "<x>", "count": 2, "message": "a & b"}]});
    let f = write_report(dir.path(), &d, Some(&qc)).unwrap();
    for p in [&f.calendar_svg, &f.timeline_svg] {
        parse_xml(&std::fs::read_to_string(p).unwrap());
    }
    for p in [&f.calendar_png, &f.timeline_png] {
        decode_png(&std::fs::read(p).unwrap());
    }
    let html = std::fs::read_to_string(&f.html).unwrap();
    assert!(html.contains("rate_mismatch"));
    assert!(html.contains("a &amp; b"));
    assert!(html.contains("&lt;x&gt;"));
}
