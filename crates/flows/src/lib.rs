//! certdesk-flows: the application layer between the front ends (the `certdesk` CLI and the
//! Tauri app) and certdesk-core / certdesk-store.
//!
//! It owns what both front ends do the same way: the timeouts and thresholds they share, the
//! defaults they fill in, and the multi-step operations (import a reply and record it, renew and
//! follow up, find where an identity is installed), each with its history events. A front end
//! parses its input, calls one function here and lays out the result.
//!
//! It words nothing for a person except the notices both front ends send ([`notice`]: the
//! app's expiry notification and `certdesk watch`'s), does not talk to a terminal or a window,
//! and depends on neither clap nor Tauri.

pub mod enroll;
mod error;
pub mod expiry;
pub mod home;
pub mod import;
pub mod limits;
pub mod notice;
pub mod profile_new;
pub mod renew;
pub mod request;
pub mod schedule;
pub mod site;
pub mod stores;
#[cfg(test)]
mod testing;
pub mod token;
pub mod watch;

pub use error::{Error, Result};
