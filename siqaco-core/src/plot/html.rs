//! The self-contained HTML report.

use super::figures::{human_duration, trim_num};
use super::scene::{xml_escape, Scene};
use super::ReportData;
use crate::time::{format_date, format_time};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The style sheet of the HTML report (and of the status page of `siqaco serve`): inline,
/// nothing fetched.
pub const REPORT_CSS: &str = "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.5em 0 .4em;border-bottom:1px solid #ccc}\
.meta{color:#555}table{border-collapse:collapse;font-size:13px}\
th,td{border:1px solid #ddd;padding:2px 6px;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}\
th{background:#f0f0f0;position:sticky;top:0;cursor:pointer;user-select:none}\
th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}\
tr:nth-child(even) td{background:#fafafa}.bad{color:#b2182b;font-weight:600}.warn{color:#b35806}\
.fig{overflow:auto;max-height:80vh;border:1px solid #ddd}.sev-error{color:#b2182b;font-weight:600}\
.sev-warning{color:#b35806}.sev-info{color:#555}";

/// Sorts a table of class `sortable` when a header cell is clicked: by the cells' `data-v`
/// (numbers when the header has `data-type="num"`), toggling ascending and descending.
/// Run once after the tables are in the page (the HTML report and the status page of
/// `siqaco serve` inline it).
pub const SORT_SCRIPT: &str = r#"(function(){
document.querySelectorAll('table.sortable').forEach(function(t){
  var ths=t.tHead.rows[0].cells;
  Array.prototype.forEach.call(ths,function(th,i){
    th.addEventListener('click',function(){
      var num=th.getAttribute('data-type')==='num';
      var asc=th.getAttribute('aria-sort')!=='ascending';
      Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var body=t.tBodies[0];
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){
        var x=a.cells[i].getAttribute('data-v'),y=b.cells[i].getAttribute('data-v');
        var c;
        if(num){x=x===''?-Infinity:parseFloat(x);y=y===''?-Infinity:parseFloat(y);c=x<y?-1:x>y?1:0;}
        else{c=x.localeCompare(y);}
        return asc?c:-c;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
})();"#;

fn jnum(v: f64) -> String {
    // the same digits as the JSON documents (serde_json's shortest round-trip form)
    Value::from(v).to_string()
}

fn opt_time(ns: Option<i64>) -> String {
    ns.map(format_time).unwrap_or_default()
}

/// The figures' data as JSON: the window, the calendar's days, and per stream its summary,
/// its per-day availability (aligned with `days`, `null` where no statistics) and its
/// segments, gaps and overlaps as `[start, end]` ISO 8601 pairs. The HTML report embeds it
/// (`<script type="application/json" id="siqaco-report-data">`).
pub fn report_data_json(data: &ReportData) -> Value {
    let pairs = |v: Vec<(i64, i64)>| -> Vec<Value> {
        v.into_iter()
            .map(|(a, b)| json!([format_time(a), format_time(b)]))
            .collect()
    };
    let mut v = json!({
        "window": {"start": format_time(data.window.0), "end": format_time(data.window.1),
                   "given": data.window_given},
        "now": format_time(data.now_ns),
        "days": data.days.iter().map(|d| format_date(*d)).collect::<Vec<_>>(),
        "days_contiguous": data.days_contiguous,
        "streams": data.streams.iter().map(|s| json!({
            "nslc": s.nslc.to_string(),
            "sample_rate_hz": s.sample_rate_hz,
            "records": s.records,
            "earliest": s.earliest_ns.map(format_time),
            "latest": s.latest_ns.map(format_time),
            "last_sample": s.last_sample_ns.map(format_time),
            "latency_s": s.latency_s,
            "percent_availability": s.percent_availability,
            "num_gaps": s.num_gaps,
            "sum_gaps": s.sum_gaps,
            "max_gap": s.max_gap,
            "num_overlaps": s.num_overlaps,
            "sum_overlaps": s.sum_overlaps,
            "max_overlap": s.max_overlap,
            "day_availability": s.day_availability,
            "segments": pairs(s.segments.iter().map(|x| (x.start_ns, x.end_ns)).collect()),
            "gaps": pairs(s.gaps.iter().map(|x| (x.start_ns, x.end_ns)).collect()),
            "overlaps": pairs(s.overlaps.iter().map(|x| (x.start_ns, x.end_ns)).collect()),
        })).collect::<Vec<_>>(),
    });
    if !data.mappings.is_empty() {
        v["mappings"] = data
            .mappings
            .iter()
            .map(|m| {
                json!({"from": m.from.to_string(), "to": m.to.to_string(),
                       "start": m.start_ns.map(format_time), "end": m.end_ns.map(format_time)})
            })
            .collect();
    }
    v
}

fn th(s: &mut String, label: &str, num: bool, tip: &str) {
    let _ = write!(
        s,
        "<th{} title=\"{}\">{}</th>",
        if num { " data-type=\"num\"" } else { "" },
        xml_escape(tip),
        xml_escape(label)
    );
}

fn td_num(s: &mut String, v: Option<f64>, shown: &str, class: &str) {
    let _ = write!(
        s,
        "<td class=\"n{}\" data-v=\"{}\">{}</td>",
        if class.is_empty() {
            String::new()
        } else {
            format!(" {class}")
        },
        v.map(jnum).unwrap_or_default(),
        xml_escape(shown)
    );
}

fn td_str(s: &mut String, v: &str) {
    let e = xml_escape(v);
    let _ = write!(s, "<td data-v=\"{e}\">{e}</td>");
}

/// One self-contained HTML page: the summary table (sortable; latency = now − latest
/// sample, availability, gaps, overlaps per stream; each number cell holds the exact
/// value in `data-v`), the calendar and the timeline (inline SVG), the findings of a QC
/// JSON document (`docs/qc.md`) when given, the files that could not be read, and the
/// figures' data as JSON ([`report_data_json`]). No resource is fetched.
pub fn html_report(
    data: &ReportData,
    calendar: &Scene,
    timeline: &Scene,
    qc: Option<&Value>,
) -> String {
    let mut s = String::with_capacity(4096 + 200 * data.streams.len());
    let window = format!(
        "{} to {}{}",
        format_time(data.window.0),
        format_time(data.window.1),
        if data.window_given {
            ""
        } else {
            " (extent of the data)"
        }
    );
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n<title>siqaco report</title>\n<style>{REPORT_CSS}</style>\n\
         </head>\n<body>\n<h1>siqaco report</h1>\n<p class=\"meta\">Window: {}. \
         {} stream(s). Generated {} (latency = generation time − latest sample). \
         Definitions: gap, overlap and availability as in siqaco's docs/gaps.md.</p>\n",
        xml_escape(&window),
        data.streams.len(),
        format_time(data.now_ns)
    );
    s.push_str("<nav><a href=\"#summary\">Summary</a> · <a href=\"#calendar\">Calendar</a> · <a href=\"#timeline\">Timeline</a>");
    if qc.is_some() {
        s.push_str(" · <a href=\"#qc\">QC findings</a>");
    }
    if !data.errors.is_empty() {
        s.push_str(" · <a href=\"#errors\">Unreadable files</a>");
    }
    if !data.mappings.is_empty() {
        s.push_str(" · <a href=\"#mappings\">Stream mappings</a>");
    }
    s.push_str("</nav>\n<h2 id=\"summary\">Summary</h2>\n");
    s.push_str(&summary_table_html(data));
    let _ = write!(
        s,
        "<h2 id=\"calendar\">Calendar</h2>\n<p class=\"meta\">Percent availability per stream \
         per UTC day; hover a cell for the figure.</p>\n<div class=\"fig\">{}</div>\n\
         <h2 id=\"timeline\">Timeline</h2>\n<p class=\"meta\">Data, gaps and overlaps per \
         stream; every gap and overlap is drawn at least one pixel wide; hover for times.</p>\n\
         <div class=\"fig\">{}</div>\n",
        calendar.svg_element(),
        timeline.svg_element()
    );
    if let Some(qc) = qc {
        qc_section(&mut s, qc);
    }
    if !data.mappings.is_empty() {
        mappings_section(&mut s, &data.mappings);
    }
    if !data.errors.is_empty() {
        s.push_str(
            "<h2 id=\"errors\">Unreadable files</h2>\n<table class=\"sortable\"><thead><tr>",
        );
        th(&mut s, "File", false, "path");
        th(&mut s, "Offset", true, "byte offset");
        th(&mut s, "Problem", false, "");
        s.push_str("</tr></thead>\n<tbody>\n");
        for e in &data.errors {
            s.push_str("<tr>");
            td_str(&mut s, &e.path);
            td_num(
                &mut s,
                e.offset.map(|o| o as f64),
                &e.offset.map(|o| o.to_string()).unwrap_or_default(),
                "",
            );
            td_str(&mut s, &e.message);
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody></table>\n");
    }
    // `</` cannot occur inside the JSON script element
    let json = report_data_json(data).to_string().replace("</", "<\\/");
    let _ = write!(
        s,
        "<script type=\"application/json\" id=\"siqaco-report-data\">{json}</script>\n\
         <script>{SORT_SCRIPT}</script>\n</body>\n</html>\n"
    );
    s
}

/// The summary table of the HTML report (`<table class="sortable" id="summary-table">`):
/// per stream its rate, earliest and latest sample, latency, availability, gaps and
/// overlaps; each number cell holds the exact value in `data-v` ([`SORT_SCRIPT`] sorts
/// it).
pub fn summary_table_html(data: &ReportData) -> String {
    let mut out = String::with_capacity(1024 + 200 * data.streams.len());
    let s = &mut out;
    s.push_str("<table class=\"sortable\" id=\"summary-table\">\n<thead><tr>");
    th(s, "Stream", false, "NET.STA.LOC.CHA");
    th(s, "Rate (Hz)", true, "nominal sample rate");
    th(s, "Earliest", false, "first sample");
    th(s, "Latest", false, "latest sample");
    th(s, "Latency", true, "generation time - latest sample");
    th(
        s,
        "Availability %",
        true,
        "covered time / window (or the stream's extent without a window)",
    );
    th(s, "Gaps", true, "number of gaps, head and tail included");
    th(s, "Gap total (s)", true, "sum of gap durations");
    th(s, "Max gap (s)", true, "largest gap");
    th(s, "Overlaps", true, "number of overlaps");
    th(s, "Overlap total (s)", true, "sum of overlap durations");
    s.push_str("</tr></thead>\n<tbody>\n");
    for st in &data.streams {
        s.push_str("<tr>");
        td_str(s, &st.nslc.to_string());
        td_num(
            s,
            Some(st.sample_rate_hz),
            &trim_num(st.sample_rate_hz, 6),
            "",
        );
        td_str(s, &opt_time(st.earliest_ns));
        td_str(s, &opt_time(st.last_sample_ns));
        td_num(
            s,
            st.latency_s,
            &st.latency_s.map(human_duration).unwrap_or_default(),
            "",
        );
        let avail_class = if st.percent_availability < 90.0 {
            "bad"
        } else if st.percent_availability < 99.0 {
            "warn"
        } else {
            ""
        };
        td_num(
            s,
            Some(st.percent_availability),
            &format!("{:.3}", st.percent_availability),
            avail_class,
        );
        td_num(
            s,
            Some(st.num_gaps as f64),
            &st.num_gaps.to_string(),
            if st.num_gaps > 0 { "warn" } else { "" },
        );
        td_num(s, Some(st.sum_gaps), &trim_num(st.sum_gaps, 3), "");
        td_num(s, Some(st.max_gap), &trim_num(st.max_gap, 3), "");
        td_num(
            s,
            Some(st.num_overlaps as f64),
            &st.num_overlaps.to_string(),
            "",
        );
        td_num(s, Some(st.sum_overlaps), &trim_num(st.sum_overlaps, 3), "");
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
    out
}

/// The stream mappings section of the HTML report (`<h2 id="mappings">`): per mapping the
/// codes the records hold, the stream they are reported as, and the span of first-sample
/// times mapped (`docs/configuration.md`, `[[streams.mapping]]`).
fn mappings_section(s: &mut String, mappings: &[crate::mapping::StreamMapping]) {
    let _ = write!(
        s,
        "<h2 id=\"mappings\">Stream mappings</h2>\n<p class=\"meta\">{} mapping(s): records \
         of the codes they hold, with a first sample in [start, end), are reported as the \
         stream they map to.</p>\n<table class=\"sortable\" id=\"mappings-table\"><thead><tr>",
        mappings.len()
    );
    th(s, "Codes recorded", false, "N.S.L.C in the records");
    th(s, "Reported as", false, "N.S.L.C");
    th(s, "Start", false, "inclusive; empty: since always");
    th(s, "End", false, "exclusive; empty: for ever");
    s.push_str("</tr></thead>\n<tbody>\n");
    for m in mappings {
        s.push_str("<tr>");
        td_str(s, &m.from.to_string());
        td_str(s, &m.to.to_string());
        td_str(s, &m.start_ns.map(format_time).unwrap_or_default());
        td_str(s, &m.end_ns.map(format_time).unwrap_or_default());
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
}

/// The QC findings section of the HTML report (`<h2 id="qc">`, a count, the worst
/// severity and a sortable table) of a QC JSON document (`docs/qc.md`,
/// [`super::read_qc_json`]).
pub fn qc_findings_html(qc: &Value) -> String {
    let mut s = String::new();
    qc_section(&mut s, qc);
    s
}

fn qc_section(s: &mut String, qc: &Value) {
    let findings = qc
        .get("findings")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let _ = write!(
        s,
        "<h2 id=\"qc\">QC findings</h2>\n<p class=\"meta\">{} finding(s); worst severity: {}.</p>\n",
        findings.len(),
        xml_escape(
            qc.get("worst_severity")
                .and_then(Value::as_str)
                .unwrap_or("none")
        )
    );
    if findings.is_empty() {
        return;
    }
    s.push_str("<table class=\"sortable\" id=\"qc-table\"><thead><tr>");
    for (h, num) in [
        ("Severity", false),
        ("Check", false),
        ("Stream", false),
        ("Start", false),
        ("End", false),
        ("Count", true),
        ("Message", false),
        ("File", false),
    ] {
        th(s, h, num, "");
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    let field = |f: &Value, k: &str| -> String {
        match f.get(k) {
            Some(Value::String(x)) => x.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    };
    for f in &findings {
        let sev = field(f, "severity");
        let e = xml_escape(&sev);
        let _ = write!(s, "<tr><td class=\"sev-{e}\" data-v=\"{e}\">{e}</td>");
        td_str(s, &field(f, "code"));
        td_str(s, &field(f, "nslc"));
        td_str(s, &field(f, "start"));
        td_str(s, &field(f, "end"));
        let count = f.get("count").and_then(Value::as_f64);
        td_num(s, count, &field(f, "count"), "");
        td_str(s, &field(f, "message"));
        td_str(s, &field(f, "path"));
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
}
