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
mod render;

use std::process::ExitCode;

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
    let cli = Cli::parse();
    let json = cli.json;
    match commands::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(err) => {
            render::error(&err, json);
            ExitCode::from(2)
        }
    }
}
