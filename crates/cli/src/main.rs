//! `certdesk`: the command-line face of certdesk-core. Parses arguments, calls the library,
//! lays out its results as text or JSON. No certificate logic lives here.

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
