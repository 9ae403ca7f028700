//! When a certificate is due for renewal: one rule for the CLI's status, the app's list, its
//! notifications and the help-desk report.
//!
//! Issue #13 found four rules: the UI coloured under 14 days critical and under 45 days a
//! warning, the app notified at 30 days or fewer, and core's status said "renew soon" under
//! 30 days. Kept: core's rule, strictly under [`RENEW_SOON_DAYS`] (30) days, because it is what
//! the help-desk report and `certdesk status` already tell the person and the help desk; a list
//! that says "warning" at 44 days while the report says "good" (or a notification at exactly
//! 30 days that the report does not share) is the incoherence the issue is about. The UI's
//! "critical" tier is kept inside that window, at [`RENEW_URGENT_DAYS`].

use std::time::Duration;

use serde::Serialize;

/// "Renew soon" starts when fewer than this many whole days are left.
pub const RENEW_SOON_DAYS: i64 = certdesk_core::revocation::DEFAULT_RENEW_WITHIN_DAYS;

/// Fewer than this many whole days left (or expired) is urgent.
pub const RENEW_URGENT_DAYS: i64 = 14;

/// How urgent an expiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryLevel {
    /// Expired, or fewer than [`RENEW_URGENT_DAYS`] days left.
    Critical,
    /// Fewer than [`RENEW_SOON_DAYS`] days left: renew soon.
    Warning,
    /// Nothing to do yet.
    Ok,
}

/// The level for `days_left` whole days until expiry (negative once expired).
pub fn expiry_level(days_left: i64) -> ExpiryLevel {
    if days_left < RENEW_URGENT_DAYS {
        ExpiryLevel::Critical
    } else if days_left < RENEW_SOON_DAYS {
        ExpiryLevel::Warning
    } else {
        ExpiryLevel::Ok
    }
}

/// Whether a certificate with `days_left` days left is due for renewal (and worth a notice).
pub fn renew_soon(days_left: i64) -> bool {
    expiry_level(days_left) != ExpiryLevel::Ok
}

/// Fraction of a certificate's lifetime left at which `certdesk watch` renews it at the latest:
/// a third (a 3-minute certificate renews with 1 minute left).
pub const RENEW_AT_LIFETIME_FRACTION: u32 = 3;

/// How long before its end a certificate of `lifetime` is due for renewal by `certdesk watch`:
/// the smaller of `renew_before` (the profile's `renew_before_days`, else [`RENEW_SOON_DAYS`])
/// and a third of the lifetime, so a 90-day certificate renews 30 days before its end and a
/// 3-minute one 1 minute before. `--renew-within` replaces this rule (see
/// [`crate::watch::WatchOptions`]).
pub fn renewal_threshold(lifetime: Duration, renew_before: Duration) -> Duration {
    renew_before.min(lifetime / RENEW_AT_LIFETIME_FRACTION)
}

/// [`RENEW_SOON_DAYS`] as a duration.
pub fn default_renew_before() -> Duration {
    Duration::from_secs(RENEW_SOON_DAYS.unsigned_abs() * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_the_smaller_of_renew_before_and_a_third_of_the_lifetime() {
        let day = Duration::from_secs(86_400);
        // The two examples.
        assert_eq!(
            renewal_threshold(day * 90, default_renew_before()),
            day * 30
        );
        assert_eq!(
            renewal_threshold(Duration::from_secs(180), default_renew_before()),
            Duration::from_secs(60)
        );
        // A year-long certificate: the 30 days win; a profile asking for 60 days gets them.
        assert_eq!(
            renewal_threshold(day * 365, default_renew_before()),
            day * 30
        );
        assert_eq!(renewal_threshold(day * 365, day * 60), day * 60);
        // A profile asking for more than a third of a short lifetime gets the third.
        assert_eq!(renewal_threshold(day * 30, day * 60), day * 10);
    }

    #[test]
    fn the_levels_agree_with_cores_renew_soon_status_at_every_boundary() {
        for (days, level) in [
            (-3, ExpiryLevel::Critical),
            (0, ExpiryLevel::Critical),
            (13, ExpiryLevel::Critical),
            (14, ExpiryLevel::Warning),
            (29, ExpiryLevel::Warning),
            (30, ExpiryLevel::Ok),
            (44, ExpiryLevel::Ok),
        ] {
            assert_eq!(expiry_level(days), level, "{days} days");
        }
        // Core's status says "renew soon" when `days_left < renew_within_days`, with the
        // same 30: the list, the notification and the help-desk report turn together.
        assert_eq!(
            RENEW_SOON_DAYS,
            certdesk_core::revocation::DEFAULT_RENEW_WITHIN_DAYS
        );
        assert!(renew_soon(RENEW_SOON_DAYS - 1));
        assert!(!renew_soon(RENEW_SOON_DAYS));
    }
}
