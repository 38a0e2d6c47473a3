//! Layout of the calendar heatmap and of the availability timeline.

use super::font::{text_width, CAP_H};
use super::scene::{Anchor, Color, Item, Scene};
use super::ReportData;
use crate::time::{civil, format_date, format_time, ns_to_s, NS_PER_DAY, NS_PER_S};

const INK: Color = Color(0x22, 0x22, 0x22);
const GRID: Color = Color(0xcc, 0xcc, 0xcc);
const STRIPE: Color = Color(0xf3, 0xf3, 0xf3);
const WHITE: Color = Color(0xff, 0xff, 0xff);
/// Colour of coverage segments in the timeline.
const SEGMENT: Color = Color(0x31, 0xa3, 0x54);
/// Colour of gaps in the timeline.
const GAP: Color = Color(0xd7, 0x30, 0x27);
/// Colour of overlaps in the timeline.
const OVERLAP: Color = Color(0x6a, 0x3d, 0x9a);
const NO_DATA: Color = Color(0xe0, 0xe0, 0xe0);

/// The calendar's colour classes: lower bound of percent availability (`None` = no
/// statistics for that day), colour and legend label, best first.
pub const AVAILABILITY_LEGEND: [(Option<f64>, Color, &str); 7] = [
    (Some(100.0), Color(0x1a, 0x98, 0x50), "100%"),
    (Some(99.0), Color(0x91, 0xcf, 0x60), ">=99%"),
    (Some(90.0), Color(0xd9, 0xef, 0x8b), ">=90%"),
    (Some(50.0), Color(0xfe, 0xe0, 0x8b), ">=50%"),
    (Some(f64::MIN_POSITIVE), Color(0xfc, 0x8d, 0x59), ">0%"),
    (Some(0.0), Color(0xd7, 0x30, 0x27), "0%"),
    (None, NO_DATA, "no data"),
];

/// The legend class of a percent availability: the first whose lower bound it reaches,
/// within a relative 1e-9 (so that 99.99999999999 % computed from durations is still
/// 100 %, while 0 % stays apart from "> 0 %").
fn class_of(pct: Option<f64>) -> usize {
    match pct {
        None => AVAILABILITY_LEGEND.len() - 1,
        Some(p) => AVAILABILITY_LEGEND
            .iter()
            .position(|(lo, _, _)| lo.is_some_and(|lo| p >= lo - 1e-9 * lo))
            .unwrap_or(AVAILABILITY_LEGEND.len() - 2),
    }
}

/// The calendar colour of a day's percent availability (`None`: no statistics).
pub fn availability_color(pct: Option<f64>) -> Color {
    AVAILABILITY_LEGEND[class_of(pct)].1
}

/// A duration for people: `12.5 s`, `3m 20s`, `4h 05m`, `2d 03h`.
pub(crate) fn human_duration(s: f64) -> String {
    let a = s.abs();
    let sign = if s < 0.0 { "-" } else { "" };
    if a < 60.0 {
        return format!("{sign}{} s", trim_num(a, 3));
    }
    let t = a.round() as i64;
    let (d, h, m, sec) = (t / 86_400, t / 3600 % 24, t / 60 % 60, t % 60);
    if d > 0 {
        format!("{sign}{d}d {h:02}h")
    } else if h > 0 {
        format!("{sign}{h}h {m:02}m")
    } else {
        format!("{sign}{m}m {sec:02}s")
    }
}

/// `v` with at most `digits` decimals and no trailing zeros.
pub(crate) fn trim_num(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Least horizontal space between two axis labels, pixels.
const LABEL_GAP: f64 = 7.0;

/// Baseline of a figure's title, pixels from the top.
const TITLE_Y: f64 = 14.0;

/// Row height and label-column width for `n` rows labelled with `labels`.
fn rows_layout<'a>(n: usize, labels: impl Iterator<Item = &'a crate::sid::Nslc>) -> (f64, f64) {
    let rh = match n {
        0..=30 => 16.0,
        31..=120 => 12.0,
        _ => 10.0,
    };
    let widest = labels
        .map(|l| text_width(&l.to_string()))
        .fold(56.0, f64::max);
    (rh, widest + 12.0)
}

fn text(x: f64, y: f64, s: impl Into<String>, anchor: Anchor) -> Item {
    Item::Text {
        x,
        y,
        text: s.into(),
        anchor,
        color: INK,
    }
}

fn rect(x: f64, y: f64, w: f64, h: f64, fill: Color, title: Option<String>) -> Item {
    Item::Rect {
        x,
        y,
        w,
        h,
        fill,
        title,
    }
}

/// Places labels `(x, text)` left to right, skipping any that would overlap the previous.
fn place_labels(items: &mut Vec<Item>, cands: Vec<(f64, String)>, y: f64, max_x: f64) {
    let mut last_end = f64::MIN;
    for (x, s) in cands {
        let w = text_width(&s);
        if x >= last_end + LABEL_GAP && x + w <= max_x + LABEL_GAP * 2.0 {
            items.push(Item::Line {
                x1: x,
                y1: y + 2.0,
                x2: x,
                y2: y + 6.0,
                color: INK,
            });
            items.push(text(x, y, s, Anchor::Start));
            last_end = x + w;
        }
    }
}

/// Draws a legend from `x0` on baseline `y`; returns the x where it ends.
fn legend(items: &mut Vec<Item>, x0: f64, y: f64, entries: &[(Color, &str)]) -> f64 {
    let mut x = x0;
    for (c, label) in entries {
        items.push(rect(x, y - 9.0, 12.0, 10.0, *c, None));
        items.push(text(x + 16.0, y, *label, Anchor::Start));
        x += 16.0 + text_width(label) + 14.0;
    }
    x - 14.0
}

/// Rows of month labels over a calendar: a contiguous axis needs two (a month is at least
/// 28 px, a label with its gap under 56 px), an axis with omitted days and 24 px columns
/// three (when every column starts a month).
const MONTH_ROWS: usize = 3;

/// Month labels of a calendar day axis: `(row, x, "YYYY-MM")` at the first column of each
/// month present in `days` (every month start on a contiguous axis), the label starting
/// two pixels right of `x`. A label goes to the first row where it comes no closer than
/// [`LABEL_GAP`] to the previous label; when the [`MONTH_ROWS`] rows are all taken there it
/// is left out (only on an axis with omitted days and narrow columns).
fn month_labels(days: &[i64], left: f64, cw: f64) -> Vec<(usize, f64, String)> {
    let mut ends = [f64::MIN; MONTH_ROWS];
    let mut out = Vec::new();
    let mut prev = None;
    for (i, d) in days.iter().enumerate() {
        let (y, m, ..) = civil(*d);
        if prev == Some((y, m)) {
            continue;
        }
        prev = Some((y, m));
        let x = left + i as f64 * cw;
        let label = format!("{y:04}-{m:02}");
        if let Some(r) = (0..MONTH_ROWS).find(|&r| x >= ends[r] + LABEL_GAP) {
            ends[r] = x + 2.0 + text_width(&label);
            out.push((r, x, label));
        }
    }
    out
}

/// The calendar heatmap: one row per stream, one column per day of
/// [`ReportData::days`] (every day of the window, days without data included),
/// coloured by percent availability ([`AVAILABILITY_LEGEND`]); each cell (or run of
/// equal-class cells when cells are narrower than 4 px) has a tooltip with the date and
/// the exact figure. The day axis names the month and year (`2025-03`) at the first column
/// of each month, with a tick at its left edge (on up to three rows when months are
/// narrower than their labels), and the day of the month over each column when cells are wide enough
/// (else over the 1st, 8th, 15th and 22nd when a week is wide enough). Days left out of a
/// non-contiguous axis are marked by a vertical line.
pub fn calendar(data: &ReportData) -> Scene {
    let n = data.streams.len().max(1);
    let ndays = data.days.len().max(1);
    let (rh, left) = rows_layout(n, data.streams.iter().map(|s| &s.nslc));
    let cw = (1100 / ndays).clamp(1, 24) as f64;
    let plot_w = cw * ndays as f64;
    let mut items = Vec::new();
    let title = format!(
        "Percent availability per UTC day: {} stream(s), {} day(s) {} to {}{}",
        data.streams.len(),
        data.days.len(),
        data.days
            .first()
            .map(|d| format_date(*d))
            .unwrap_or_default(),
        data.days
            .last()
            .map(|d| format_date(*d))
            .unwrap_or_default(),
        if data.days_contiguous {
            ""
        } else {
            " (days without data omitted)"
        }
    );
    items.push(text(left, TITLE_Y, title.clone(), Anchor::Start));
    // day axis: month rows, then the days of the month when they fit
    let months = month_labels(&data.days, left, cw);
    let month_y = |r: usize| TITLE_Y + 16.0 + 12.0 * r as f64;
    let mut last_y = month_y(months.iter().map(|m| m.0).max().unwrap_or(0));
    let mut right = left + plot_w;
    for (r, x, label) in &months {
        let y = month_y(*r);
        items.push(Item::Line {
            x1: *x,
            y1: y - CAP_H,
            x2: *x,
            y2: y + 2.0,
            color: INK,
        });
        right = right.max(x + 2.0 + text_width(label));
        items.push(text(x + 2.0, y, label.clone(), Anchor::Start));
    }
    let day_w = text_width("28") + 3.0;
    let day_step = if cw >= day_w {
        Some(1)
    } else if 7.0 * cw >= day_w {
        Some(7)
    } else {
        None
    };
    if let Some(step) = day_step {
        last_y += 12.0;
        for (i, d) in data.days.iter().enumerate() {
            let day = civil(*d).2;
            if step == 1 || (day % 7 == 1 && day < 29) {
                let x = left + (i as f64 + 0.5) * cw;
                items.push(text(x, last_y, day.to_string(), Anchor::Middle));
            }
        }
    }
    let top = last_y + 8.0;
    let height = top + rh * n as f64 + 40.0;
    let mut prev = None;
    for (i, d) in data.days.iter().enumerate() {
        let (y, m, ..) = civil(*d);
        if prev.is_some() && prev != Some((y, m)) {
            let x = left + i as f64 * cw;
            items.push(Item::Line {
                x1: x,
                y1: top - 4.0,
                x2: x,
                y2: top - 1.0,
                color: INK,
            });
        }
        prev = Some((y, m));
    }
    let gap_px = if cw >= 4.0 { 1.0 } else { 0.0 };
    for (r, s) in data.streams.iter().enumerate() {
        let y = top + r as f64 * rh;
        let label = s.nslc.to_string();
        items.push(text(left - 6.0, y + rh - 3.0, label.clone(), Anchor::End));
        let mut i = 0;
        while i < s.day_availability.len() {
            let class = class_of(s.day_availability[i]);
            let mut j = i + 1;
            if gap_px == 0.0 {
                while j < s.day_availability.len() && class_of(s.day_availability[j]) == class {
                    j += 1;
                }
            }
            let vals: Vec<f64> = s.day_availability[i..j].iter().flatten().copied().collect();
            let fig = match (vals.is_empty(), j - i) {
                (true, _) => "no data".to_string(),
                (false, 1) => format!("{}%", trim_num(vals[0], 4)),
                (false, _) => {
                    let lo = vals.iter().copied().fold(f64::MAX, f64::min);
                    let hi = vals.iter().copied().fold(f64::MIN, f64::max);
                    format!("{}% to {}%", trim_num(lo, 4), trim_num(hi, 4))
                }
            };
            let when = if j - i == 1 {
                format_date(data.days[i])
            } else {
                format!(
                    "{} to {} ({} days)",
                    format_date(data.days[i]),
                    format_date(data.days[j - 1]),
                    j - i
                )
            };
            items.push(rect(
                left + i as f64 * cw,
                y,
                (j - i) as f64 * cw - gap_px,
                rh - 1.0,
                AVAILABILITY_LEGEND[class].1,
                Some(format!("{label} {when}: {fig}")),
            ));
            i = j;
        }
    }
    if !data.days_contiguous {
        for (i, w) in data.days.windows(2).enumerate() {
            if w[1] - w[0] != NS_PER_DAY {
                let x = left + (i + 1) as f64 * cw;
                items.push(Item::Line {
                    x1: x,
                    y1: top - 4.0,
                    x2: x,
                    y2: top + rh * n as f64,
                    color: INK,
                });
            }
        }
    }
    let entries: Vec<(Color, &str)> = AVAILABILITY_LEGEND
        .iter()
        .map(|(_, c, l)| (*c, *l))
        .collect();
    let legend_end = legend(&mut items, left, height - 14.0, &entries);
    let width = (right + 20.0)
        .max(left + text_width(&title) + 20.0)
        .max(legend_end + 20.0);
    Scene {
        width: width.ceil() as u32,
        height: height.ceil() as u32,
        background: WHITE,
        title,
        items,
    }
}

/// A "nice" tick step (ns) for a span, aiming at about `target` ticks.
fn tick_step(span_ns: i64, target: i64) -> i64 {
    const STEPS_S: [i64; 24] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
        86_400, 172_800, 604_800, 1_209_600, 2_592_000, 7_776_000, 31_536_000,
    ];
    let want = span_ns / target.max(1);
    for s in STEPS_S {
        if s * NS_PER_S >= want {
            return s * NS_PER_S;
        }
    }
    let years = (want / (31_536_000 * NS_PER_S)).max(1) + 1;
    years * 31_536_000 * NS_PER_S
}

/// Merges intervals whose pixel extents touch (closer than one pixel) into items of at
/// least one pixel; returns `(x0, x1, first index, last index)` per merged run.
fn pixel_runs(
    intervals: impl Iterator<Item = (i64, i64)>,
    x_of: impl Fn(i64) -> f64,
) -> Vec<(f64, f64, usize, usize)> {
    let mut out: Vec<(f64, f64, usize, usize)> = Vec::new();
    for (i, (a, b)) in intervals.enumerate() {
        let (x0, x1) = (x_of(a), x_of(b).max(x_of(a) + 1.0));
        match out.last_mut() {
            Some(last) if x0 <= last.1 + 1.0 => {
                last.1 = last.1.max(x1);
                last.3 = i;
            }
            _ => out.push((x0, x1, i, i)),
        }
    }
    out
}

/// The availability timeline: one row per stream over [`ReportData::window`], with
/// coverage segments, gaps and overlaps in distinct colours. Items closer than one pixel
/// are merged (their tooltip gives the count and total) and every gap and overlap is at
/// least one pixel wide, so that a short gap stays visible on a long window.
pub fn timeline(data: &ReportData) -> Scene {
    let n = data.streams.len().max(1);
    let (rh, left) = rows_layout(n, data.streams.iter().map(|s| &s.nslc));
    let plot_w = 1000.0;
    let top = 44.0;
    let width = left + plot_w + 40.0;
    let height = top + rh * n as f64 + 40.0;
    let (ws, we) = data.window;
    let span = (we - ws).max(1);
    let x_of = |t: i64| left + ((t.clamp(ws, we) - ws) as f64 / span as f64) * plot_w;
    let mut items = Vec::new();
    let title = format!(
        "Availability timeline: {} stream(s), {} to {}{}",
        data.streams.len(),
        format_time(ws),
        format_time(we),
        if data.window_given {
            ""
        } else {
            " (data extent)"
        }
    );
    items.push(text(left, TITLE_Y, title.clone(), Anchor::Start));
    // stripes
    for r in (1..n).step_by(2) {
        items.push(rect(left, top + r as f64 * rh, plot_w, rh, STRIPE, None));
    }
    // time axis
    let step = tick_step(span, 8);
    let mut t = ws.div_euclid(step) * step;
    if t < ws {
        t += step;
    }
    let mut cands = Vec::new();
    while t <= we {
        let x = x_of(t);
        items.push(Item::Line {
            x1: x,
            y1: top,
            x2: x,
            y2: top + rh * n as f64,
            color: GRID,
        });
        let label = if step % NS_PER_DAY == 0 {
            format_date(t)
        } else {
            let (y, m, d, hh, mm, ss) = civil(t);
            if step % (60 * NS_PER_S) == 0 {
                format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}")
            } else {
                format!("{hh:02}:{mm:02}:{ss:02}")
            }
        };
        cands.push((x, label));
        t += step;
    }
    place_labels(&mut items, cands, top - 10.0, left + plot_w);
    for (r, s) in data.streams.iter().enumerate() {
        let y = top + r as f64 * rh;
        let label = s.nslc.to_string();
        items.push(text(left - 6.0, y + rh - 3.0, label.clone(), Anchor::End));
        for (x0, x1, i, j) in pixel_runs(s.segments.iter().map(|g| (g.start_ns, g.end_ns)), x_of) {
            let tip = if i == j {
                format!(
                    "{label} data {} to {} ({})",
                    format_time(s.segments[i].start_ns),
                    format_time(s.segments[i].end_ns),
                    human_duration(ns_to_s(s.segments[i].end_ns - s.segments[i].start_ns))
                )
            } else {
                format!(
                    "{label} {} segments {} to {}",
                    j - i + 1,
                    format_time(s.segments[i].start_ns),
                    format_time(s.segments[j].end_ns)
                )
            };
            items.push(rect(x0, y + 2.0, x1 - x0, rh - 4.0, SEGMENT, Some(tip)));
        }
        for (x0, x1, i, j) in pixel_runs(s.gaps.iter().map(|g| (g.start_ns, g.end_ns)), x_of) {
            let g = &s.gaps[i];
            let tip = if i == j {
                format!(
                    "{label} gap {} to {} ({}{})",
                    format_time(g.start_ns),
                    format_time(g.end_ns),
                    human_duration(g.duration_s()),
                    g.edge
                        .map(|e| format!(", {} gap", e.as_str()))
                        .unwrap_or_default()
                )
            } else {
                let total: f64 = s.gaps[i..=j].iter().map(|g| g.duration_s()).sum();
                format!(
                    "{label} {} gaps {} to {} (total {})",
                    j - i + 1,
                    format_time(g.start_ns),
                    format_time(s.gaps[j].end_ns),
                    human_duration(total)
                )
            };
            items.push(rect(x0, y + 1.0, x1 - x0, rh - 2.0, GAP, Some(tip)));
        }
        for (x0, x1, i, j) in pixel_runs(s.overlaps.iter().map(|o| (o.start_ns, o.end_ns)), x_of) {
            let o = &s.overlaps[i];
            let tip = if i == j {
                format!(
                    "{label} overlap {} to {} ({}, {} samples)",
                    format_time(o.start_ns),
                    format_time(o.end_ns),
                    human_duration(o.duration_s()),
                    o.samples
                )
            } else {
                let total: f64 = s.overlaps[i..=j].iter().map(|o| o.duration_s()).sum();
                format!(
                    "{label} {} overlaps {} to {} (total {})",
                    j - i + 1,
                    format_time(o.start_ns),
                    format_time(s.overlaps[j].end_ns),
                    human_duration(total)
                )
            };
            items.push(rect(
                x0,
                y + 1.0,
                x1 - x0,
                ((rh - 2.0) * 0.45).max(3.0),
                OVERLAP,
                Some(tip),
            ));
        }
    }
    items.push(Item::Line {
        x1: left,
        y1: top,
        x2: left + plot_w,
        y2: top,
        color: INK,
    });
    legend(
        &mut items,
        left,
        height - 14.0,
        &[(SEGMENT, "data"), (GAP, "gap"), (OVERLAP, "overlap")],
    );
    Scene {
        width: width.ceil() as u32,
        height: height.ceil() as u32,
        background: WHITE,
        title,
        items,
    }
}
