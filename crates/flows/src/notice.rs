//! The words of a notice to the person who holds a certificate: one function for the app's
//! expiry notification at start and for `certdesk watch`'s desktop notifications, so both say
//! the same thing the same way.
//!
//! Every notice says what happened, what to do, and whom to ask (the help-desk profile's
//! `support` contact when there is one).

use serde::Serialize;

/// How long until a certificate expires, as the front end knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLeft {
    /// Whole days (negative once expired); the app's list counts in days.
    Days(i64),
    /// Seconds (negative once expired); `certdesk watch` sees short practice certificates too.
    Seconds(i64),
}

impl TimeLeft {
    /// "expires in 3 day(s)", "expires in 2 minute(s)", "expires today", "expired 1 day(s) ago".
    pub fn words(self) -> String {
        let (amount, unit) = match self {
            TimeLeft::Days(0) => return "expires today".into(),
            TimeLeft::Days(d) => (d, "day"),
            TimeLeft::Seconds(s) => {
                let a = s.unsigned_abs();
                let (n, unit) = if a >= 86_400 {
                    (a / 86_400, "day")
                } else if a >= 3600 {
                    (a / 3600, "hour")
                } else if a >= 60 {
                    (a / 60, "minute")
                } else {
                    (a, "second")
                };
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                (if s < 0 { -n } else { n }, unit)
            }
        };
        if amount < 0 {
            format!("expired {} {unit}(s) ago", -amount)
        } else {
            format!("expires in {amount} {unit}(s)")
        }
    }
}

/// What the notice is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeCause {
    /// The certificate expires soon; certdesk will renew it when asked (the app at start).
    ExpiresSoon {
        /// Time left.
        left: TimeLeft,
    },
    /// It expires soon and cannot be renewed without the person: it did not come from an EST
    /// server (portal, email, a file), so a new request with a new code is needed.
    NeedsNewRequest {
        /// Time left.
        left: TimeLeft,
    },
    /// The automatic renewal was tried and did not work.
    RenewalFailed {
        /// Time left.
        left: TimeLeft,
        /// Why, in the words of the error (server answer, unreachable, locked key).
        detail: String,
    },
    /// The server holds the renewal for approval.
    RenewalPending {
        /// Time left on the current certificate.
        left: TimeLeft,
    },
    /// Renewed, but a store could not take the new certificate.
    StoreNotUpdated {
        /// The store ("Chromium", "Firefox (default-release)").
        store: String,
        /// Why.
        detail: String,
    },
    /// Renewed, but a site of the profile did not accept the new certificate.
    SiteRejects {
        /// The site's address.
        site: String,
        /// What the check found.
        detail: String,
    },
    /// The certificate authority revoked the certificate.
    Revoked,
    /// certdesk cannot read the stored certificate (a damaged wallet record).
    Unreadable {
        /// Why.
        detail: String,
    },
}

/// A notice: a short summary (the notification's title) and the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// The title.
    pub summary: String,
    /// What happened, what to do, whom to ask.
    pub body: String,
}

/// The notice about certificate `label` for `cause`; `contact` is whom to ask (the profile's
/// `support`), else the person is told to ask whoever gave them the certificate.
pub fn notice(label: &str, cause: &NoticeCause, contact: Option<&str>) -> Notice {
    let ask = match contact.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => format!("If you need help, ask {c}."),
        None => "If you need help, ask whoever gave you this certificate.".into(),
    };
    let detail = |d: &str| d.trim().trim_end_matches('.').to_string();
    let (summary, happened, todo) = match cause {
        NoticeCause::ExpiresSoon { left } => (
            format!("Certificate \"{label}\" {}", left.words()),
            format!("Your certificate \"{label}\" {}.", left.words()),
            "Open certdesk to renew it.".to_string(),
        ),
        NoticeCause::NeedsNewRequest { left } => (
            format!("Certificate \"{label}\" {}", left.words()),
            format!(
                "Your certificate \"{label}\" {}, and certdesk cannot renew it by itself: it did not come from a server that renews certificates automatically.",
                left.words()
            ),
            "Ask for a new certificate (a new enrollment code), then open certdesk and request it.".to_string(),
        ),
        NoticeCause::RenewalFailed { left, detail: d } => (
            format!("Certificate \"{label}\" was not renewed"),
            format!(
                "Your certificate \"{label}\" {} and certdesk could not renew it: {}.",
                left.words(),
                detail(d)
            ),
            "Open certdesk and try \"Renew\"; if it fails again, send the help desk the report (\"Copy report for the help desk\").".to_string(),
        ),
        NoticeCause::RenewalPending { left } => (
            format!("Renewal of \"{label}\" awaits approval"),
            format!(
                "The server holds the renewal of your certificate \"{label}\" for approval; the current one {}.",
                left.words()
            ),
            "Nothing to do unless it expires first; certdesk asks again on its next check.".to_string(),
        ),
        NoticeCause::StoreNotUpdated { store, detail: d } => (
            format!("\"{label}\" renewed, but not in {store}"),
            format!(
                "Your certificate \"{label}\" was renewed, but {store} still has the old one: {}.",
                detail(d)
            ),
            format!("Open certdesk and install \"{label}\" into {store} again."),
        ),
        NoticeCause::SiteRejects { site, detail: d } => (
            format!("{site} did not accept the renewed \"{label}\""),
            format!(
                "Your certificate \"{label}\" was renewed, but {site} did not accept the new one: {}.",
                detail(d)
            ),
            "Tell the help desk, with the report from certdesk (\"Copy report for the help desk\").".to_string(),
        ),
        NoticeCause::Unreadable { detail: d } => (
            format!("Certificate \"{label}\" cannot be read"),
            format!(
                "certdesk cannot read your certificate \"{label}\", so it cannot tell when it expires or renew it: {}.",
                detail(d)
            ),
            "Send the help desk the report from certdesk (\"Copy report for the help desk\"); you may need a new certificate.".to_string(),
        ),
        NoticeCause::Revoked => (
            format!("Certificate \"{label}\" was revoked"),
            format!("The certificate authority revoked your certificate \"{label}\": sites will refuse it."),
            "Ask for a new certificate; do not keep using this one.".to_string(),
        ),
    };
    Notice {
        summary,
        body: format!("{happened} {todo} {ask}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_in_the_largest_whole_unit() {
        assert_eq!(TimeLeft::Days(3).words(), "expires in 3 day(s)");
        assert_eq!(TimeLeft::Days(0).words(), "expires today");
        assert_eq!(TimeLeft::Days(-1).words(), "expired 1 day(s) ago");
        assert_eq!(TimeLeft::Seconds(61).words(), "expires in 1 minute(s)");
        assert_eq!(TimeLeft::Seconds(59).words(), "expires in 59 second(s)");
        assert_eq!(TimeLeft::Seconds(7300).words(), "expires in 2 hour(s)");
        assert_eq!(TimeLeft::Seconds(-90_000).words(), "expired 1 day(s) ago");
    }

    #[test]
    fn every_notice_says_what_happened_what_to_do_and_whom_to_ask() {
        let causes = [
            NoticeCause::ExpiresSoon {
                left: TimeLeft::Days(3),
            },
            NoticeCause::NeedsNewRequest {
                left: TimeLeft::Days(3),
            },
            NoticeCause::RenewalFailed {
                left: TimeLeft::Seconds(50),
                detail: "the server answered 403 Forbidden.".into(),
            },
            NoticeCause::RenewalPending {
                left: TimeLeft::Days(3),
            },
            NoticeCause::StoreNotUpdated {
                store: "Firefox".into(),
                detail: "the database is locked".into(),
            },
            NoticeCause::SiteRejects {
                site: "https://vpn.example.org/".into(),
                detail: "it asked for a certificate from another CA".into(),
            },
            NoticeCause::Revoked,
            NoticeCause::Unreadable {
                detail: "the certificate is not valid PEM".into(),
            },
        ];
        for cause in &causes {
            let n = notice("VPN", cause, Some("helpdesk@example.org, +1 555 0100"));
            assert!(n.summary.contains("VPN"), "{n:?}");
            assert!(n.body.contains("\"VPN\""), "{n:?}");
            assert!(
                n.body
                    .ends_with("If you need help, ask helpdesk@example.org, +1 555 0100."),
                "{n:?}"
            );
            assert!(!n.body.contains(".."), "{n:?}");
            let anonymous = notice("VPN", cause, Some("  "));
            assert!(
                anonymous
                    .body
                    .ends_with("ask whoever gave you this certificate."),
                "{anonymous:?}"
            );
        }
        assert_eq!(
            notice(
                "VPN",
                &NoticeCause::ExpiresSoon {
                    left: TimeLeft::Days(3)
                },
                None
            )
            .body,
            "Your certificate \"VPN\" expires in 3 day(s). Open certdesk to renew it. If you need help, ask whoever gave you this certificate."
        );
        let refused = notice(
            "VPN",
            &NoticeCause::RenewalFailed {
                left: TimeLeft::Seconds(50),
                detail: "the server answered 403 Forbidden.".into(),
            },
            None,
        );
        assert!(
            refused
                .body
                .contains("expires in 50 second(s) and certdesk could not renew it: the server answered 403 Forbidden. Open certdesk"),
            "{refused:?}"
        );
    }
}
