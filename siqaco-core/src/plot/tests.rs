use super::*;
use crate::gaps::{analyze, piece_of, AnalysisOptions};
use crate::scan::StreamReport;
use crate::time::{format_date, parse_time, NS_PER_S};

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

/// The left and right ends of a text item as laid out (the font's advances).
fn text_extent(it: &Item) -> Option<(f64, f64, f64)> {
    let Item::Text {
        x, y, text, anchor, ..
    } = it
    else {
        return None;
    };
    let w = super::font::text_width(text);
    let x0 = match anchor {
        Anchor::Start => *x,
        Anchor::Middle => x - w / 2.0,
        Anchor::End => x - w,
    };
    Some((*y, x0, x0 + w))
}

/// No two texts on the same baseline overlap, and every text is inside the figure.
fn assert_texts_apart(scene: &Scene) {
    let mut texts: Vec<(f64, f64, f64)> = scene.items.iter().filter_map(text_extent).collect();
    texts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    for t in &texts {
        assert!(
            t.1 >= 0.0 && t.2 <= scene.width as f64,
            "{t:?} outside {}",
            scene.width
        );
    }
    for w in texts.windows(2) {
        if w[0].0 == w[1].0 {
            assert!(w[1].1 >= w[0].2, "texts overlap: {w:?}");
        }
    }
}

/// The texts of a scene.
fn texts(scene: &Scene) -> Vec<&str> {
    scene
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// A one-stream report at 1 Hz over the window `[start, end)` with data only in the given
/// `[from, to)` spans.
fn report_with_spans(start: &str, end: &str, spans: &[(&str, &str)]) -> ScanReport {
    let w = (parse_time(start).unwrap(), parse_time(end).unwrap());
    let opts = AnalysisOptions {
        window: Some(w),
        per_day: true,
        ..Default::default()
    };
    let pieces: Vec<_> = spans
        .iter()
        .map(|(a, b)| {
            let (a, b) = (parse_time(a).unwrap(), parse_time(b).unwrap());
            piece_of(a, (b - a) / NS_PER_S, 1.0)
        })
        .collect();
    ScanReport {
        streams: vec![StreamReport {
            nslc: Nslc::new("XX", "STA", "00", "HHZ"),
            records: 1,
            analysis: analyze(&pieces, &opts),
        }],
        window: Some(w),
        ..Default::default()
    }
}

#[test]
fn calendar_window_has_every_day() {
    // 31 days, data on two of them only: every day is a column, the empty ones at 0 %
    let r = report_with_spans(
        "2024-01-20",
        "2024-02-20",
        &[
            ("2024-01-22", "2024-01-23"),
            ("2024-02-05T00:00:00", "2024-02-05T12:00:00"),
        ],
    );
    let d = ReportData::from_scan(&r, 0);
    let t0 = parse_time("2024-01-20").unwrap();
    assert_eq!(
        d.days,
        (0..31).map(|i| t0 + i * NS_PER_DAY).collect::<Vec<_>>()
    );
    let cal = calendar(&d);
    let cells: Vec<(f64, Color, &str)> = cal
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Rect {
                x,
                fill,
                title: Some(t),
                ..
            } if t.starts_with("XX.STA.00.HHZ ") => Some((*x, *fill, t.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(cells.len(), 31, "one cell per day of the window");
    let red = AVAILABILITY_LEGEND
        .iter()
        .find(|e| e.2 == "0%")
        .map(|e| e.1)
        .unwrap();
    for (i, (x, fill, tip)) in cells.iter().enumerate() {
        let day = format_date(t0 + i as i64 * NS_PER_DAY);
        let want = match day.as_str() {
            "2024-01-22" => ("100%", availability_color(Some(100.0))),
            "2024-02-05" => ("50%", availability_color(Some(50.0))),
            _ => ("0%", red),
        };
        assert_eq!(*tip, format!("XX.STA.00.HHZ {day}: {}", want.0));
        assert_eq!(*fill, want.1, "{day}");
        if i > 0 {
            assert_eq!(x - cells[i - 1].0, cells[1].0 - cells[0].0, "equal columns");
        }
    }
    assert_ne!(red, availability_color(Some(1e-6)), "0 % is not > 0 %");
    // month and year at the first column of each month, the day of the month over each
    let labels = texts(&cal);
    assert!(labels.contains(&"2024-01") && labels.contains(&"2024-02"));
    let col_w = cells[1].0 - cells[0].0;
    let feb = cal.items.iter().find_map(|i| match i {
        Item::Text { x, text, .. } if text == "2024-02" => Some(*x),
        _ => None,
    });
    assert_eq!(
        feb,
        Some(cells[12].0 + 2.0),
        "2024-02-01 is the 13th column"
    );
    for day in ["20", "31", "1", "19"] {
        assert!(labels.contains(&day), "day {day}");
    }
    assert!(col_w >= 4.0);
    assert_texts_apart(&cal);
}

#[test]
fn calendar_long_window_names_every_month() {
    // 800 days (longer than MAX_CONTIGUOUS_DAYS: a given window is never thinned), 1 px
    // columns: every month from 2024-01 to 2026-03 is labelled, on two rows
    let r = synthetic(2, 800, true);
    let d = ReportData::from_scan(&r, 0);
    assert_eq!(d.days.len(), 800);
    assert!(d.days_contiguous);
    let cal = calendar(&d);
    let labels = texts(&cal);
    let months: Vec<String> = (2024..=2026)
        .flat_map(|y| (1..=12).map(move |m| format!("{y:04}-{m:02}")))
        .take(27)
        .collect();
    for m in &months {
        assert_eq!(
            labels.iter().filter(|l| **l == m.as_str()).count(),
            1,
            "{m}"
        );
    }
    assert!(!labels.contains(&"2026-04"));
    assert_texts_apart(&cal);
    // the cells of each stream cover the 800 columns exactly (runs of one class merged)
    let row: Vec<(f64, f64)> = cal
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Rect {
                x,
                w,
                title: Some(t),
                ..
            } if t.starts_with("XX.S001.00.HHZ ") => Some((*x, *w)),
            _ => None,
        })
        .collect();
    assert!(row.windows(2).all(|p| p[0].0 + p[0].1 == p[1].0));
    let (first, last) = (row[0], row[row.len() - 1]);
    assert_eq!(last.0 + last.1 - first.0, 800.0);
}

#[test]
fn png_is_rendered_with_the_typeface() {
    let ink = Color(0x22, 0x22, 0x22);
    let scene = |s: &str| Scene {
        width: 300,
        height: 40,
        background: Color(255, 255, 255),
        title: "text".into(),
        items: vec![Item::Text {
            x: 10.0,
            y: 20.0,
            text: s.into(),
            anchor: Anchor::Start,
            color: ink,
        }],
    };
    // (pixels, columns with ink, whether some pixel is between ink and background)
    let render = |s: &str| {
        let png = scene(s).to_png();
        let p = decode_pixels(&png);
        assert_eq!((p.width(), p.height()), (300, 40));
        let px: Vec<[u8; 3]> = p
            .pixels()
            .iter()
            .map(|c| [c.red(), c.green(), c.blue()])
            .collect();
        let cols: Vec<usize> = (0..300)
            .filter(|x| (0..40).any(|y| px[y * 300 + x] != [255; 3]))
            .collect();
        let grey = px.iter().any(|c| c[0] > 0x22 && c[0] < 0xff);
        (px, cols, grey)
    };
    let (blank, none, _) = render("");
    assert!(none.is_empty() && blank.iter().all(|c| *c == [255; 3]));
    let (a, cols, antialiased) = render("Availability 2025-03");
    let (b, _, _) = render("Timeline 2025-03");
    assert_ne!(a, b, "different texts, different pixels");
    assert!(antialiased, "an outline font is drawn anti-aliased");
    // the ink spans the width the layout measures (side bearings aside)
    let w = super::font::text_width("Availability 2025-03");
    let (x0, x1) = (cols[0] as f64, *cols.last().unwrap() as f64 + 1.0);
    assert!((10.0..=12.0).contains(&x0), "{x0}");
    assert!(
        x1 <= 10.0 + w + 1.0 && x1 >= 10.0 + w - 3.0,
        "{x1} vs {}",
        10.0 + w
    );
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
    // both months named, apart
    let labels = texts(&cal);
    assert!(labels.contains(&"2010-02") && labels.contains(&"2025-06"));
    assert_texts_apart(&cal);
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
            assert_texts_apart(&scene);
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
