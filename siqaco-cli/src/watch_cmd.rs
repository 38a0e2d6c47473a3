//! `siqaco watch`: flags mapped to [`WatchRequest`] fields (the indexing flags are those of
//! `siqaco index`), SIGINT and SIGTERM mapped to the request's cancellation, and the
//! counts printed at the end; the rules are in `siqaco::ops::WatchRequest` and
//! `siqaco::index` (docs/watch.md).

use crate::db::IndexArgs;
use crate::update_cmd::Format;
use crate::{EXIT_FAILURE, EXIT_OK};
use siqaco::ops::{Control, WatchRequest};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Arguments of `siqaco watch`.
#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    /// The archive, the catalogue and how files are indexed (as for `siqaco index`).
    #[command(flatten)]
    index: IndexArgs,
    /// One catch-up pass (a rescan of the archive), then exit: for cron.
    #[arg(long)]
    once: bool,
    /// Seconds between rescans of the whole archive (the fallback for network file
    /// systems, which send no events); 0: only at start and when events were lost.
    #[arg(long, value_name = "SECONDS")]
    rescan: Option<f64>,
    /// Seconds between a file's first change and its indexing (a file written every
    /// 100 ms is indexed once per interval).
    #[arg(long, value_name = "SECONDS")]
    debounce: Option<f64>,
    /// Output format of the counts printed at the end.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

impl WatchArgs {
    /// The watch request of these arguments (flags map to fields; the core validates).
    fn request(&self) -> siqaco::Result<WatchRequest> {
        let index = self.index.request()?;
        let mut r = WatchRequest::new(&index.root, &index.catalogue);
        r.index = index;
        r.once = self.once;
        if let Some(s) = self.rescan {
            r.rescan_s = s;
        }
        if let Some(s) = self.debounce {
            r.debounce_s = s;
        }
        Ok(r)
    }
}

/// Runs `siqaco watch` until SIGINT or SIGTERM (or one pass with `--once`).
pub fn run(args: &WatchArgs) -> siqaco::Result<u8> {
    let request = args.request()?;
    let cancel = Arc::new(AtomicBool::new(false));
    // the first signal cancels; a second one, while a long pass is still running, exits
    // at once with status 1 (the catalogue's transactions keep it consistent)
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let registered =
            signal_hook::flag::register_conditional_shutdown(signal, 1, cancel.clone())
                .and_then(|_| signal_hook::flag::register(signal, cancel.clone()));
        if let Err(e) = registered {
            errln!("siqaco: error: cannot handle signal {signal}: {e}");
            return Ok(EXIT_FAILURE);
        }
    }
    let r = request.run(&Control::new().with_cancel_flag(cancel))?;
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&r).expect("report serialises")
        )?,
        Format::Text => {
            let t = &r.totals;
            outln!(
                "siqaco watch: {} rescan(s), {} event pass(es); {} file(s) read whole, {} extended, \
                 {} unchanged, {} removed; {} byte(s) read, {} row(s) written, {} file(s) with errors",
                r.rescans,
                r.passes,
                t.files_indexed_whole,
                t.files_extended,
                t.files_unchanged,
                t.files_removed,
                t.bytes_read,
                t.rows_written,
                t.files_with_errors
            )?;
        }
    }
    Ok(EXIT_OK)
}
