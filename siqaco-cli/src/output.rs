//! Text and CSV formatting of scan reports (JSON comes from `siqaco::report`), and the
//! checked writes to standard output and standard error that every command's printing
//! goes through ([`outln!`], [`errln!`], [`to_stdout`]).
//!
//! The rule (docs/cli.md, "Exit status"): a write to standard output that fails (a full
//! device, an I/O error) is an error of the command: it is said on standard error when
//! that still works and the exit status is 1 (the work the command did, a merge's commit
//! for instance, is kept; only its report is lost). A closed pipe (`siqaco scan ... |
//! head`) is not a failure, as with the common command-line tools: printing stops quietly
//! and the exit status is the command's own. A write to standard error that fails (a
//! warning, an error message) makes an exit status of 0 a 1. Nothing panics.

use crate::Format;
use siqaco::gaps::stream_availability;
use siqaco::report::scan_json;
use siqaco::scan::ScanReport;
use siqaco::time::{format_date, format_time};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output turned out to be a closed pipe: nothing more is written.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set when a write to standard error failed.
static STDERR_FAILED: AtomicBool = AtomicBool::new(false);

/// The outcome of a write to standard output as the command's result: a closed pipe is
/// no error (and stops further output), any other failure is [`siqaco::Error::Io`] naming
/// standard output.
pub fn stdout_result(r: std::io::Result<()>) -> siqaco::Result<()> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(siqaco::Error::io(
            "<standard output>",
            std::io::Error::new(e.kind(), format!("writing the report failed: {e}")),
        )),
    }
}

/// Runs `write` on a buffered, locked standard output and flushes it; the outcome as
/// [`stdout_result`] gives it.
pub fn to_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> siqaco::Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    stdout_result(write(&mut out).and_then(|()| out.flush()))
}

/// Writes formatted text to standard output ([`to_stdout`]); used by [`outln!`].
pub fn write_stdout(args: std::fmt::Arguments<'_>) -> siqaco::Result<()> {
    to_stdout(|out| out.write_fmt(args))
}

/// Writes formatted text to standard error; a failure is remembered for the exit status
/// ([`stderr_failed`]), never a panic. Used by [`errln!`].
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    if err.write_fmt(args).and_then(|()| err.flush()).is_err() {
        STDERR_FAILED.store(true, Ordering::Relaxed);
    }
}

/// The writer of log lines (`SIQACO_LOG`): standard error, a failure remembered as
/// [`write_stderr`] remembers it (tracing-subscriber's own report of a failed write would
/// itself go to standard error with `eprintln!`, which panics; it is turned off).
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = std::io::stderr().write(buf);
        if r.is_err() {
            STDERR_FAILED.store(true, Ordering::Relaxed);
        }
        r
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Whether a write to standard error failed during the run.
pub fn stderr_failed() -> bool {
    STDERR_FAILED.load(Ordering::Relaxed)
}

fn opt_time(ns: Option<i64>) -> String {
    ns.map(format_time).unwrap_or_default()
}

fn opt_num(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// Writes `report` to stdout in `format`.
pub fn print_report(report: &ScanReport, format: Format, per_day: bool) -> siqaco::Result<()> {
    to_stdout(|mut out| match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &scan_json(report))?;
            writeln!(out)
        }
        Format::Csv => write_csv(out, report, per_day),
        Format::Text => write_text(out, report, per_day),
    })
}

fn write_csv(out: &mut dyn Write, r: &ScanReport, per_day: bool) -> std::io::Result<()> {
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

fn write_text(out: &mut dyn Write, r: &ScanReport, per_day: bool) -> std::io::Result<()> {
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
    if !r.mapped.is_empty() {
        writeln!(out)?;
        writeln!(out, "Mapped records (--mapping):")?;
        for m in &r.mapped {
            writeln!(
                out,
                "  {} <- {}: {} record(s) {} .. {}",
                m.to,
                m.from,
                m.records,
                format_time(m.start_ns),
                format_time(m.end_ns)
            )?;
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
