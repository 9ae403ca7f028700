//! `certdesk`: the command-line face of certdesk-core. Parses arguments, calls the library,
//! lays out its results as text or JSON. No certificate logic lives here.

/// `println!` that stops quietly when the reader went away (`certdesk … | head`): a closed
/// pipe is not an error of ours, and panicking on it would print a backtrace.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod commands;
mod helpdesk;
mod install;
mod profile_new;
mod render;
mod tokens;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use commands::Cli;

/// A command's result: what to print and how to exit.
pub(crate) enum Outcome {
    /// Everything worked (exit 0).
    Success,
    /// The command ran but a check it performs failed (exit 1).
    CheckFailed,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let json = cli.json;
    // Keys, requests and TLS need aws-lc's generator, whose first seeding takes 30–90 ms:
    // start it now, beside the work before the first use (only for commands that need it).
    if cli.draws_randomness() {
        certdesk_core::warm_random();
    }
    // A certdesk killed during a store install left its one-time PKCS#12 in the runtime folder:
    // remove it (issue #12). Cheap (one directory listing) and best effort.
    let _ = certdesk_store::sweep_stale();
    match commands::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(err) => {
            if !install::render_store_error(&err, json) {
                render::error(&err, json);
            }
            ExitCode::from(2)
        }
    }
}

/// clap's own output for help and version; usage mistakes as `error:` text, or as the JSON error
/// shape when `--json` was asked for, with exit code 2.
fn usage_error(e: clap::Error) -> ExitCode {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    if std::env::args().any(|a| a == "--json") {
        let message = e
            .kind()
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| "invalid arguments".into());
        let detail = e.to_string();
        let first = detail
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string();
        render::usage_error_json(if first.is_empty() { &message } else { &first });
        ExitCode::from(2)
    } else {
        let _ = e.print();
        ExitCode::from(2)
    }
}
