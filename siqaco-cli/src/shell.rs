//! `siqaco completions SHELL` and `siqaco man`: shell completion scripts and the manual
//! page, generated at run time from the clap definition of the command line (as `rg
//! --generate` does), so they always match the binary; and the text of `--version`.

use crate::output::to_stdout;
use clap::CommandFactory;
use std::sync::OnceLock;

/// Arguments of `siqaco completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// The text of `siqaco --version` after the name: siqaco's version and the release of the
/// libmseed linked into it (read from the library), e.g. `0.1.0 (libmseed 3.5.4)`.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (libmseed {})",
            env!("CARGO_PKG_VERSION"),
            siqaco::codec::libmseed_version()
        )
    })
}

/// The clap command of `siqaco`, with its version ([`version`]).
pub fn command() -> clap::Command {
    crate::Cli::command().version(version())
}

/// Writes the completion script for `args.shell` to standard output.
///
/// # Errors
/// [`siqaco::Error::Io`] when standard output cannot be written (a closed pipe is no error).
pub fn run_completions(args: &CompletionsArgs) -> siqaco::Result<u8> {
    let mut script = Vec::new();
    // clap_complete panics on a failed write, so it writes into memory first.
    clap_complete::generate(args.shell, &mut command(), "siqaco", &mut script);
    to_stdout(|out| out.write_all(&script))?;
    Ok(crate::EXIT_OK)
}

/// Arguments of `siqaco man`.
#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write every page into this directory (created if missing) instead: siqaco.1 and one page a subcommand
    /// (siqaco-scan.1, siqaco-db-migrate.1, ...), for installing under share/man/man1.
    #[arg(long, value_name = "DIR")]
    dir: Option<std::path::PathBuf>,
}

/// Writes the manual page `siqaco(1)` (roff) to standard output: the synopsis, the options
/// and the list of subcommands with their descriptions (`siqaco man | man -l -`); with
/// `--dir`, writes it and the page of every subcommand (`siqaco-scan(1)`, ...) there.
///
/// # Errors
/// [`siqaco::Error::Io`] when standard output or a page cannot be written (a closed pipe is
/// no error).
pub fn run_man(args: &ManArgs) -> siqaco::Result<u8> {
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(command(), dir))
            .map_err(|e| siqaco::Error::io(dir, e))?;
        return Ok(crate::EXIT_OK);
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command())
        .render(&mut page)
        .map_err(|e| siqaco::Error::io("<manual page>", e))?;
    to_stdout(|out| out.write_all(&page))?;
    Ok(crate::EXIT_OK)
}
