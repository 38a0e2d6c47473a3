//! `siqaco merge`: argument parsing and output only; the rules are in `siqaco::merge`.

use siqaco::archive::Archive;
use siqaco::merge::apply::{merge_into, MergeInput};
use siqaco::merge::{ArchivePolicy, DaySplit, MergeOptions, OutputOptions};
use siqaco::Error;
use std::path::PathBuf;

/// Arguments of `siqaco merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Archive root to merge into (created when missing).
    #[arg(long)]
    into: PathBuf,
    /// Archive layout (sds, bud or a dataselect template).
    #[arg(long, default_value = "sds")]
    layout: String,
    /// Priority of each input, in order (smaller is better; one value applies to all).
    #[arg(long)]
    priority: Vec<i32>,
    /// Priority of the archive's own data (smaller is better).
    #[arg(long, default_value_t = 1)]
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
    /// The archive's data is never replaced; patches only fill gaps.
    #[arg(long, conflicts_with = "archive_loses")]
    archive_wins: bool,
    /// Patches always replace the archive's data.
    #[arg(long)]
    archive_loses: bool,
    /// Print what would change, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn encoding_code(name: &str) -> siqaco::Result<Option<u8>> {
    siqaco::merge::encoding_code(name).ok_or_else(|| {
        Error::invalid_argument(format!(
            "--encoding {}: expected steim1, steim2, int16, int32, float32, float64 or keep",
            name.to_ascii_lowercase()
        ))
    })
}

fn pub_version(q: &str) -> siqaco::Result<u8> {
    siqaco::merge::parse_quality(q)
        .ok_or_else(|| Error::invalid_argument(format!("--quality {q}: R, D, Q, M or 1–255")))
}

/// Runs `siqaco merge`.
pub fn run(args: &MergeArgs) -> siqaco::Result<u8> {
    let inputs = MergeInput::with_priorities(&args.inputs, &args.priority)?;
    let opts = MergeOptions {
        policy: if args.archive_wins {
            ArchivePolicy::Wins
        } else if args.archive_loses {
            ArchivePolicy::Loses
        } else {
            ArchivePolicy::Ranked
        },
        archive_priority: args.archive_priority,
        split: if args.by_start_time {
            DaySplit::StartTime
        } else {
            DaySplit::Midnight
        },
        output: OutputOptions {
            record_length: args.record_length,
            encoding: encoding_code(&args.encoding)?,
            format_version: args.format_version,
            pub_version: args.quality.as_deref().map(pub_version).transpose()?,
        },
        ..MergeOptions::default()
    };
    let archive = Archive::new(&args.into, args.layout.parse()?);
    let report = merge_into(&archive, &inputs, &opts, args.dry_run)?;
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
