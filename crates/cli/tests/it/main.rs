//! All integration tests of this crate in one binary: each file used to be its own test
//! binary, linking the whole dependency tree again (issue #11).

mod bad_input;
mod cli_output;
mod common;
mod cross_verify;
mod enroll_email;
mod enroll_est;
mod enroll_portal;
mod enroll_scep;
mod helpdesk;
mod install;
mod keyring;
mod practice_cli;
mod probe_cli;
mod profile_new;
mod renew_followup;
mod tokens;
mod wallet_safety;
mod watch;
