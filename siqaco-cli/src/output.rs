//! Text and CSV formatting of scan reports (JSON comes from `siqaco::report`).

use crate::Format;
use siqaco::gaps::stream_availability;
use siqaco::report::scan_json;
use siqaco::scan::ScanReport;
use siqaco::time::{format_date, format_time};
use std::io::Write;

fn opt_time(ns: Option<i64>) -> String {
    ns.map(format_time).unwrap_or_default()
}

fn opt_num(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// Writes `report` to stdout in `format`.
pub fn print_report(report: &ScanReport, format: Format, per_day: bool) -> siqaco::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let io = |e: std::io::Error| siqaco::Error::io("<stdout>", e);
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &scan_json(report))
                .map_err(|e| io(std::io::Error::other(e)))?;
            writeln!(out).map_err(io)?;
        }
        Format::Csv => write_csv(&mut out, report, per_day).map_err(io)?,
        Format::Text => write_text(&mut out, report, per_day).map_err(io)?,
    }
    out.flush().map_err(io)
}

fn write_csv(out: &mut impl Write, r: &ScanReport, per_day: bool) -> std::io::Result<()> {
    if per_day {
        writeln!(out, "nslc,date,percent_availability,num_gaps,sum_gaps,max_gap,num_overlaps,sum_overlaps,max_overlap,start_gap,end_gap")?;
        for s in &r.streams {
            for d in &s.analysis.days {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{},{}",
                    s.nslc,
                    format_date(d.day_start_ns),
                    d.percent_availability,
                    d.num_gaps,
                    d.sum_gaps,
                    d.max_gap,
                    d.num_overlaps,
                    d.sum_overlaps,
                    d.max_overlap,
                    opt_num(d.start_gap),
                    opt_num(d.end_gap)
                )?;
            }
        }
        return Ok(());
    }
    writeln!(
        out,
        "nslc,kind,start,end,duration_s,samples,last_sample,next_sample,edge"
    )?;
    for s in &r.streams {
        for g in &s.analysis.gaps {
            writeln!(
                out,
                "{},gap,{},{},{},{},{},{},{}",
                s.nslc,
                format_time(g.start_ns),
                format_time(g.end_ns),
                g.duration_s(),
                g.missing_samples,
                opt_time(g.last_sample_ns),
                opt_time(g.next_sample_ns),
                g.edge.map(|e| e.as_str()).unwrap_or("")
            )?;
        }
        for o in &s.analysis.overlaps {
            writeln!(
                out,
                "{},overlap,{},{},{},{},,,",
                s.nslc,
                format_time(o.start_ns),
                format_time(o.end_ns),
                o.duration_s(),
                o.samples
            )?;
        }
    }
    Ok(())
}

fn write_text(out: &mut impl Write, r: &ScanReport, per_day: bool) -> std::io::Result<()> {
    let (mut ngaps, mut novl) = (0usize, 0usize);
    writeln!(
        out,
        "{:<18} {:<28} {:<28} {:>12} {:>9}  Edge",
        "Stream", "Last Sample", "Next Sample", "Gap (s)", "Samples"
    )?;
    for s in &r.streams {
        for g in &s.analysis.gaps {
            ngaps += 1;
            writeln!(
                out,
                "{:<18} {:<28} {:<28} {:>12} {:>9}  {}",
                s.nslc.to_string(),
                g.last_sample_ns
                    .map(format_time)
                    .unwrap_or_else(|| format!("({})", format_time(g.start_ns))),
                g.next_sample_ns
                    .map(format_time)
                    .unwrap_or_else(|| format!("({})", format_time(g.end_ns))),
                format!("{:.6}", g.duration_s()),
                g.missing_samples,
                g.edge.map(|e| e.as_str()).unwrap_or("")
            )?;
        }
        for o in &s.analysis.overlaps {
            novl += 1;
            writeln!(
                out,
                "{:<18} {:<28} {:<28} {:>12} {:>9}  overlap",
                s.nslc.to_string(),
                format_time(o.start_ns),
                format_time(o.end_ns),
                format!("{:.6}", -o.duration_s()),
                o.samples
            )?;
        }
    }
    writeln!(
        out,
        "Total: {ngaps} gap(s), {novl} overlap(s) in {} stream(s); gap = next segment start - previous segment end (ObsPy convention; msi's last-to-next figure is one sample period longer)",
        r.streams.len()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<18} {:>9} {:>8} {:<28} {:<28} {:>5} {:>12} {:>5} {:>12} {:>8}",
        "Stream",
        "Rate(Hz)",
        "Records",
        "Earliest",
        "Latest",
        "Gaps",
        "Gap(s)",
        "Ovl",
        "Overlap(s)",
        "Avail%"
    )?;
    for s in &r.streams {
        let a = &s.analysis;
        let (first, last) = match (a.segments.first(), a.segments.last()) {
            (Some(f), Some(l)) => (f.start_ns, l.end_ns),
            _ => (0, 0),
        };
        let avail = stream_availability(a, r.window);
        writeln!(
            out,
            "{:<18} {:>9} {:>8} {:<28} {:<28} {:>5} {:>12.6} {:>5} {:>12.6} {:>8.4}",
            s.nslc.to_string(),
            format!("{}", a.sample_rate_hz),
            s.records,
            format_time(first),
            format_time(last),
            a.gaps.len(),
            a.gaps
                .iter()
                .map(|g| g.duration_s())
                .fold(0.0, |a, b| a + b),
            a.overlaps.len(),
            a.overlaps
                .iter()
                .map(|o| o.duration_s())
                .fold(0.0, |a, b| a + b),
            avail
        )?;
    }
    if per_day {
        writeln!(out)?;
        writeln!(
            out,
            "{:<18} {:<10} {:>10} {:>5} {:>12} {:>12} {:>5} {:>12} {:>12}",
            "Stream", "Date", "Avail%", "Gaps", "sum_gaps", "max_gap", "Ovl", "sum_ovl", "max_ovl"
        )?;
        for s in &r.streams {
            for d in &s.analysis.days {
                writeln!(
                    out,
                    "{:<18} {:<10} {:>10.6} {:>5} {:>12.6} {:>12.6} {:>5} {:>12.6} {:>12.6}",
                    s.nslc.to_string(),
                    format_date(d.day_start_ns),
                    d.percent_availability,
                    d.num_gaps,
                    d.sum_gaps,
                    d.max_gap,
                    d.num_overlaps,
                    d.sum_overlaps,
                    d.max_overlap
                )?;
            }
        }
    }
    if !r.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "{} file error(s):", r.errors.len())?;
        for e in &r.errors {
            match e.offset {
                Some(o) => writeln!(out, "  {}: byte offset {}: {}", e.path, o, e.message)?,
                None => writeln!(out, "  {}: {}", e.path, e.message)?,
            }
        }
    }
    writeln!(
        out,
        "Scanned {} file(s), {} record(s), {} byte(s)",
        r.files, r.records, r.bytes
    )?;
    Ok(())
}
