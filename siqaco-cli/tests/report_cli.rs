//! `siqaco report` on sds-small indexed into a temporary catalogue: the figures exist and
//! open (SVG parses, PNG decodes), the summary table and the embedded figure data equal
//! `siqaco stats --format json`, and the page loads in headless Chromium without a console
//! message (skipped loudly when `chromium` is not installed; `scripts/bootstrap` installs it).

use serde_json::Value;
use siqaco::archive::{Archive, Layout};
use siqaco::index::{Catalogue, IndexOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

fn siqaco(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_siqaco"))
        .args(args)
        .output()
        .expect("run siqaco");
    assert!(
        out.status.success(),
        "siqaco {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn parse_xml(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut r = quick_xml::Reader::from_str(&text);
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
}

fn decode_png(path: &Path) -> (u32, u32) {
    let (w, h, _) = decode_rgb(path);
    (w, h)
}

/// Width, height and RGB pixels (row by row) of a PNG, decoded by the `png` crate.
fn decode_rgb(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut rd = png::Decoder::new(f).read_info().unwrap();
    let mut buf = vec![0; rd.output_buffer_size().unwrap()];
    let info = rd.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", path.display());
    let channels = info.color_type.samples();
    let px = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|c| [c[0], c[1 % channels], c[2 % channels]])
        .collect();
    (info.width, info.height, px)
}

/// The `width` and `height` attributes of an SVG file's `<svg>` element.
fn svg_size(path: &Path) -> (u32, u32) {
    let text = std::fs::read_to_string(path).unwrap();
    let svg = &text[text.find("<svg ").unwrap()..];
    let svg = &svg[..svg.find('>').unwrap()];
    let attr = |name: &str| -> u32 {
        let i = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[i..i + svg[i..].find('"').unwrap()].parse().unwrap()
    };
    (attr("width"), attr("height"))
}

/// The `data-v` values of each row of the summary table.
fn summary_rows(html: &str) -> Vec<Vec<String>> {
    let start = html.find("id=\"summary-table\"").expect("summary table");
    let body = &html[start..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("data-v=\"")
                .skip(1)
                .map(|c| c[..c.find('"').unwrap()].to_string())
                .collect()
        })
        .collect()
}

fn embedded_data(html: &str) -> Value {
    let tag = "<script type=\"application/json\" id=\"siqaco-report-data\">";
    let a = html.find(tag).unwrap() + tag.len();
    let b = a + html[a..].find("</script>").unwrap();
    serde_json::from_str(&html[a..b].replace("<\\/", "</")).unwrap()
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|f| f.is_file())
        })
    })
}

/// Loads `page` in headless Chromium; returns the console lines of its log.
fn console_messages(chrome: &Path, page: &Path, screenshot: &Path) -> Vec<String> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1400,1800",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("CONSOLE"))
        .map(str::to_string)
        .collect()
}

#[test]
fn report_of_sds_small() {
    let Some(data) = siqaco::testing::test_data_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("cat.sqlite");
    let mut cat = Catalogue::open(&db).unwrap();
    cat.index_archive(
        &Archive::new(data.join("sds-small"), Layout::Sds),
        &IndexOptions::default(),
    )
    .unwrap();
    drop(cat);
    let out = tmp.path().join("out");
    let db_s = db.to_str().unwrap();
    siqaco(&["report", "--db", db_s, "--out", out.to_str().unwrap()]);
    for f in ["calendar.svg", "timeline.svg"] {
        parse_xml(&out.join(f));
    }
    // each PNG is its SVG rendered: the same size, the title drawn in the top band (the
    // two titles differ, so do their pixels)
    let mut title_bands = Vec::new();
    for f in ["calendar", "timeline"] {
        let png = out.join(format!("{f}.png"));
        let (w, h, px) = decode_rgb(&png);
        assert!(w >= 400 && h >= 100, "{f}: {w}x{h}");
        assert_eq!((w, h), svg_size(&out.join(format!("{f}.svg"))), "{f}");
        let band: Vec<[u8; 3]> = px[..18 * w as usize].to_vec();
        let ink = band.iter().filter(|c| **c != [255; 3]).count();
        assert!(ink > 200, "{f}: the title band has {ink} drawn pixels");
        title_bands.push(band);
    }
    let n = title_bands[0].len().min(title_bands[1].len());
    assert_ne!(title_bands[0][..n], title_bands[1][..n]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let stats: Value =
        serde_json::from_slice(&siqaco(&["stats", "--db", db_s, "--format", "json"]).stdout)
            .unwrap();
    let streams = stats["streams"].as_array().unwrap();
    let rows = summary_rows(&html);
    let figs = embedded_data(&html);
    assert_eq!(rows.len(), streams.len());
    assert!(rows.len() > 30);
    let num = |s: &str| s.parse::<f64>().unwrap();
    let sum = |v: &Value| -> f64 {
        v.as_array()
            .unwrap()
            .iter()
            .map(|g| g["duration_s"].as_f64().unwrap())
            .fold(0.0, |a, b| a + b)
    };
    for ((row, s), f) in rows
        .iter()
        .zip(streams)
        .zip(figs["streams"].as_array().unwrap())
    {
        // Stream, Rate, Earliest, Latest, Latency, Availability, Gaps, Gap total, Max gap,
        // Overlaps, Overlap total
        assert_eq!(row[0], s["nslc"].as_str().unwrap());
        assert_eq!(num(&row[1]), s["sample_rate_hz"].as_f64().unwrap());
        assert_eq!(row[2], s["earliest"].as_str().unwrap());
        assert_eq!(num(&row[6]) as usize, s["gaps"].as_array().unwrap().len());
        assert_eq!(num(&row[7]), sum(&s["gaps"]));
        assert_eq!(
            num(&row[9]) as usize,
            s["overlaps"].as_array().unwrap().len()
        );
        assert_eq!(num(&row[10]), sum(&s["overlaps"]));
        // availability over the stream's extent (no window), as `stats` text prints it
        let (e, l) = (
            siqaco::time::parse_time(s["earliest"].as_str().unwrap()).unwrap(),
            siqaco::time::parse_time(s["latest"].as_str().unwrap()).unwrap(),
        );
        let covered: i64 = s["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                siqaco::time::parse_time(x["end"].as_str().unwrap()).unwrap()
                    - siqaco::time::parse_time(x["start"].as_str().unwrap()).unwrap()
            })
            .sum();
        assert!((num(&row[5]) - covered as f64 / (l - e) as f64 * 100.0).abs() < 1e-9);
        // per-day availability of the calendar = the days of `stats`
        let days = figs["days"].as_array().unwrap();
        for d in s["days"].as_array().unwrap() {
            let i = days
                .iter()
                .position(|x| *x == d["date"])
                .expect("day column");
            assert_eq!(f["day_availability"][i], d["percent_availability"]);
        }
        let with_data = f["day_availability"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| !v.is_null())
            .count();
        assert_eq!(with_data, s["days"].as_array().unwrap().len());
    }
    match chromium() {
        None => eprintln!("SKIPPED: chromium not found; the page was not loaded in a browser"),
        Some(chrome) => {
            let shot = tmp.path().join("shot.png");
            let msgs = console_messages(&chrome, &out.join("report.html"), &shot);
            assert!(msgs.is_empty(), "console messages: {msgs:?}");
            decode_png(&shot);
            // the check sees console errors: a page with a script error is caught
            let bad = tmp.path().join("bad.html");
            std::fs::write(&bad, "<!DOCTYPE html><script>undefinedFunction();</script>").unwrap();
            assert!(!console_messages(&chrome, &bad, &tmp.path().join("bad.png")).is_empty());
        }
    }
}
