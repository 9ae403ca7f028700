//! The words of a notice to the person who holds a certificate: one function for the app's
//! expiry notification at start and for `certdesk watch`'s desktop notifications, so both say
//! the same thing the same way.
//!
//! Every notice says what happened, what to do, and whom to ask (the help-desk profile's
//! `support` contact when there is one).

use certdesk_wording::{Lang, Text};
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
    /// "expires in 3 days", "expires in 1 minute", "expires today", "expired 1 day ago" (in
    /// `lang`): the largest whole unit.
    pub fn words(self, lang: Lang) -> String {
        let (amount, unit) = match self {
            TimeLeft::Days(0) => return Text::new("left-today").render(lang),
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
        let id = match (amount < 0, unit) {
            (false, "day") => "left-in-day",
            (false, "hour") => "left-in-hour",
            (false, "minute") => "left-in-minute",
            (false, _) => "left-in-second",
            (true, "day") => "left-ago-day",
            (true, "hour") => "left-ago-hour",
            (true, "minute") => "left-ago-minute",
            (true, _) => "left-ago-second",
        };
        Text::new(id).num("n", amount.saturating_abs()).render(lang)
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

/// The notice about certificate `label` for `cause`, in `lang`; `contact` is whom to ask (the
/// profile's `support`), else the person is told to ask whoever gave them the certificate.
/// The sentences are certdesk-wording's `notice-*` messages.
pub fn notice(label: &str, cause: &NoticeCause, contact: Option<&str>, lang: Lang) -> Notice {
    let ask = match contact.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Text::new("notice-ask-contact").arg("contact", c),
        None => Text::new("notice-ask-anyone"),
    };
    let detail = |d: &str| d.trim().trim_end_matches('.').to_string();
    let said = |id: &'static str| Text::new(id).arg("label", label);
    let (title, happened, todo) = match cause {
        NoticeCause::ExpiresSoon { left } => (
            said("notice-title-expires").arg("left", left.words(lang)),
            said("notice-expires-soon").arg("left", left.words(lang)),
            Text::new("notice-todo-open-to-renew"),
        ),
        NoticeCause::NeedsNewRequest { left } => (
            said("notice-title-expires").arg("left", left.words(lang)),
            said("notice-needs-new-request").arg("left", left.words(lang)),
            Text::new("notice-todo-new-request"),
        ),
        NoticeCause::RenewalFailed { left, detail: d } => (
            said("notice-title-renewal-failed"),
            said("notice-renewal-failed")
                .arg("left", left.words(lang))
                .arg("detail", detail(d)),
            Text::new("notice-todo-renew-again"),
        ),
        NoticeCause::RenewalPending { left } => (
            said("notice-title-renewal-pending"),
            said("notice-renewal-pending").arg("left", left.words(lang)),
            Text::new("notice-todo-wait"),
        ),
        NoticeCause::StoreNotUpdated { store, detail: d } => (
            said("notice-title-store-not-updated").arg("store", store),
            said("notice-store-not-updated")
                .arg("store", store)
                .arg("detail", detail(d)),
            said("notice-todo-install-again").arg("store", store),
        ),
        NoticeCause::SiteRejects { site, detail: d } => (
            said("notice-title-site-rejects").arg("site", site),
            said("notice-site-rejects")
                .arg("site", site)
                .arg("detail", detail(d)),
            Text::new("notice-todo-tell-help-desk"),
        ),
        NoticeCause::Unreadable { detail: d } => (
            said("notice-title-unreadable"),
            said("notice-unreadable").arg("detail", detail(d)),
            Text::new("notice-todo-send-report"),
        ),
        NoticeCause::Revoked => (
            said("notice-title-revoked"),
            said("notice-revoked"),
            Text::new("notice-todo-new-certificate"),
        ),
    };
    Notice {
        summary: title.render(lang),
        body: format!(
            "{} {} {}",
            happened.render(lang),
            todo.render(lang),
            ask.render(lang)
        ),
    }
}

/// The notice for a certificate without an expiry date (nothing to renew; said for
/// completeness where a list of certificates is announced).
pub fn no_expiry_notice(label: &str, lang: Lang) -> Notice {
    Notice {
        summary: Text::new("notice-title-no-expiry")
            .arg("label", label)
            .render(lang),
        body: Text::new("notice-no-expiry")
            .arg("label", label)
            .render(lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_in_the_largest_whole_unit() {
        let en = |t: TimeLeft| t.words(Lang::En);
        assert_eq!(en(TimeLeft::Days(3)), "expires in 3 days");
        assert_eq!(en(TimeLeft::Days(1)), "expires in 1 day");
        assert_eq!(en(TimeLeft::Days(0)), "expires today");
        assert_eq!(en(TimeLeft::Days(-1)), "expired 1 day ago");
        assert_eq!(en(TimeLeft::Seconds(61)), "expires in 1 minute");
        assert_eq!(en(TimeLeft::Seconds(59)), "expires in 59 seconds");
        assert_eq!(en(TimeLeft::Seconds(7300)), "expires in 2 hours");
        assert_eq!(en(TimeLeft::Seconds(-90_000)), "expired 1 day ago");
        let de = |t: TimeLeft| t.words(Lang::De);
        assert_eq!(de(TimeLeft::Days(3)), "läuft in 3 Tagen ab");
        assert_eq!(de(TimeLeft::Days(1)), "läuft in 1 Tag ab");
        assert_eq!(de(TimeLeft::Days(0)), "läuft heute ab");
        assert_eq!(de(TimeLeft::Seconds(-7300)), "ist vor 2 Stunden abgelaufen");
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
            let n = notice(
                "VPN",
                cause,
                Some("helpdesk@example.org, +1 555 0100"),
                Lang::En,
            );
            assert!(n.summary.contains("VPN"), "{n:?}");
            assert!(n.body.contains("\"VPN\""), "{n:?}");
            assert!(
                n.body
                    .ends_with("If you need help, ask helpdesk@example.org, +1 555 0100."),
                "{n:?}"
            );
            assert!(!n.body.contains(".."), "{n:?}");
            let anonymous = notice("VPN", cause, Some("  "), Lang::En);
            let german = notice("VPN", cause, Some("helpdesk@example.org"), Lang::De);
            assert!(german.summary.contains("„VPN“"), "{german:?}");
            assert!(
                german
                    .body
                    .ends_with("Wenn Sie Hilfe brauchen, fragen Sie helpdesk@example.org."),
                "{german:?}"
            );
            assert!(!german.body.contains("If you need help"), "{german:?}");
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
                None,
                Lang::En
            )
            .body,
            "Your certificate \"VPN\" expires in 3 days. Open certdesk to renew it. If you need help, ask whoever gave you this certificate."
        );
        let refused = notice(
            "VPN",
            &NoticeCause::RenewalFailed {
                left: TimeLeft::Seconds(50),
                detail: "the server answered 403 Forbidden.".into(),
            },
            None,
            Lang::En,
        );
        assert!(
            refused
                .body
                .contains("expires in 50 seconds and certdesk could not renew it: the server answered 403 Forbidden. Open certdesk"),
            "{refused:?}"
        );
    }
}
