//! `siqaco merge`: flags mapped to [`MergeRequest`] fields, and the output; the rules are
//! in `siqaco::ops::MergeRequest` and `siqaco::merge`.

use siqaco::merge::{ArchivePolicy, DaySplit};
use siqaco::ops::{parse_field, Control, MergeRequest};
use std::path::PathBuf;

/// Arguments of `siqaco merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Archive root to merge into (created when missing).
    #[arg(long)]
    into: PathBuf,
    /// Archive layout (sds, bud or a dataselect template).
    #[arg(long, default_value_t = siqaco::archive::Layout::default().to_string())]
    layout: String,
    /// Priority of each input, in order (smaller is better; one value applies to all).
    #[arg(long)]
    priority: Vec<i32>,
    /// Priority of the archive's own data (smaller is better).
    #[arg(long, default_value_t = siqaco::merge::MergeOptions::default().archive_priority)]
    archive_priority: i32,
    /// Patch inputs: miniSEED files or directories.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output record length in bytes (256–8192).
    #[arg(long)]
    record_length: Option<usize>,
    /// Output encoding: steim1, steim2, int16, int32, float32, float64 or keep.
    #[arg(long, default_value = "keep")]
    encoding: String,
    /// Output miniSEED version (2 or 3).
    #[arg(long)]
    format_version: Option<u8>,
    /// Output quality label (R, D, Q, M) or publication version (a number).
    #[arg(long)]
    quality: Option<String>,
    /// Cut records at 00:00 UTC so day files end at midnight (the default).
    #[arg(long, conflicts_with = "by_start_time")]
    split_at_midnight: bool,
    /// Keep records whole in the file of their start day (SeisComP convention).
    #[arg(long)]
    by_start_time: bool,
    /// The archive's data is never replaced; patches only fill gaps (= --archive wins).
    #[arg(long, conflicts_with_all = ["archive_loses", "archive"])]
    archive_wins: bool,
    /// Patches always replace the archive's data (= --archive loses).
    #[arg(long, conflicts_with = "archive")]
    archive_loses: bool,
    /// Archive against patches: ranked (the archive competes with --archive-priority; the
    /// default), wins or loses.
    #[arg(long, value_name = "RANKING")]
    archive: Option<String>,
    /// Print what would change, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Catalogue (SQLite path or postgresql:// URL) holding the journal and the lock of a
    /// merge into an archive in a bucket (--into s3://...).
    #[arg(long = "db", value_name = "DB")]
    catalogue: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

impl MergeArgs {
    /// The merge request of these arguments (flags map to fields; the core validates).
    fn request(&self) -> siqaco::Result<MergeRequest> {
        let mut r = MergeRequest::new(&self.into, &self.inputs);
        r.layout = parse_field("layout", &self.layout)?;
        r.priority = self.priority.clone();
        r.archive_priority = self.archive_priority;
        r.archive = match &self.archive {
            Some(ranking) => parse_field("archive", ranking)?,
            None if self.archive_wins => ArchivePolicy::Wins,
            None if self.archive_loses => ArchivePolicy::Loses,
            None => ArchivePolicy::Ranked,
        };
        r.split = if self.by_start_time {
            DaySplit::StartTime
        } else {
            DaySplit::Midnight
        };
        r.record_length = self.record_length;
        r.encoding = parse_field("encoding", &self.encoding)?;
        r.format_version = self.format_version;
        r.quality = self
            .quality
            .as_deref()
            .map(|q| parse_field("quality", q))
            .transpose()?;
        r.dry_run = self.dry_run;
        r.catalogue = self.catalogue.clone();
        Ok(r)
    }
}

/// Runs `siqaco merge`.
pub fn run(args: &MergeArgs) -> siqaco::Result<u8> {
    let report = args.request()?.run(&Control::new())?;
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        )?;
    } else {
        if report.recovered {
            outln!("completed an interrupted earlier merge first")?;
        }
        for d in &report.days {
            outln!(
                "{} {} {}: added {} replaced {} overlaps_removed {} ({})",
                d.stream,
                d.day,
                d.path.display(),
                d.stats.samples_added,
                d.stats.samples_replaced,
                d.stats.overlaps_removed,
                if !d.changed {
                    "unchanged"
                } else if d.created {
                    "new file"
                } else {
                    "rewritten"
                }
            )?;
        }
        for w in &report.warnings {
            errln!("warning: {w}");
        }
        if args.dry_run {
            outln!("dry run: nothing written")?;
        } else {
            outln!("{} file(s) written", report.files_written)?;
        }
    }
    Ok(0)
}
