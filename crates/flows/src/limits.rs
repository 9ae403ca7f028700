//! The timeouts both front ends use, one constant each (issue #13: the CLI waited 20 s for an
//! enrollment server, the app 30 s).

use std::time::Duration;

/// How long one enrollment exchange (connect, and each answer) may wait for the server.
///
/// 30 s, the app's value: EST servers that sign with an HSM and campus portals behind a
/// single-sign-on proxy answer in tens of seconds under load, and a timeout there is a failure
/// the person cannot fix; the CLI's 20 s had no recorded reason. `--timeout` still overrides it.
pub const ENROLL_TIMEOUT_SECS: u64 = 30;

/// How long a site check may wait for each of connect, handshake and answer (the CLI's
/// `probe --timeout` default, the app's site check, and the re-check after a renewal).
pub const SITE_CHECK_TIMEOUT_SECS: u64 = 15;

/// [`SITE_CHECK_TIMEOUT_SECS`] as a duration.
pub const SITE_CHECK_TIMEOUT: Duration = Duration::from_secs(SITE_CHECK_TIMEOUT_SECS);
