//! Expiry watch: at start, a desktop notification for each certificate that expires soon.
//!
//! The notification is sent from Rust (tauri-plugin-notification); the webview has no
//! permission for it. Which certificates qualify is a pure function, tested below; whether the
//! desktop shows the notification depends on a notification service (none runs under Xvfb in
//! the tests, so that part is not verified here).

use crate::view::{IdentityRow, RowStatus};

/// Days before expiry from which the app warns (the one renew-soon rule of certdesk-flows);
/// `CERTDESK_EXPIRY_NOTICE_DAYS` overrides it.
pub const DEFAULT_NOTICE_DAYS: i64 = certdesk_flows::expiry::RENEW_SOON_DAYS;

/// The notice period from the environment, else [`DEFAULT_NOTICE_DAYS`].
pub fn notice_days() -> i64 {
    std::env::var("CERTDESK_EXPIRY_NOTICE_DAYS")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|d| *d >= 0)
        .unwrap_or(DEFAULT_NOTICE_DAYS)
}

/// The issued certificates with fewer than `days` whole days left (or expired), soonest first:
/// the comparison of core's "renew soon" status, so a notice and the help-desk report agree.
pub fn expiring_within(rows: &[IdentityRow], days: i64) -> Vec<&IdentityRow> {
    let mut out: Vec<&IdentityRow> = rows
        .iter()
        .filter(|r| r.status == RowStatus::Issued)
        .filter(|r| r.expires_in_days.is_some_and(|left| left < days))
        .collect();
    out.sort_by_key(|r| r.expires_in_days);
    out
}

/// The notification for one certificate, in the words `certdesk watch` uses too
/// (certdesk-flows' [`certdesk_flows::notice`]); `contact` is the profile's support contact.
pub fn notice_for(
    row: &IdentityRow,
    contact: Option<&str>,
    lang: crate::wording::Lang,
) -> certdesk_flows::notice::Notice {
    use certdesk_flows::notice::{no_expiry_notice, notice, NoticeCause, TimeLeft};
    match row.expires_in_days {
        Some(left) => notice(
            &row.label,
            &NoticeCause::ExpiresSoon {
                left: TimeLeft::Days(left),
            },
            contact,
            lang,
        ),
        None => no_expiry_notice(&row.label, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, status: RowStatus, days: Option<i64>) -> IdentityRow {
        IdentityRow {
            id: label.into(),
            label: label.into(),
            status,
            subject: format!("CN={label}"),
            issuer: None,
            key_type: "ec-p256".into(),
            key_description: "ECDSA P-256".into(),
            expires_in_days: days,
            expiry: None,
            installed_in: Vec::new(),
            key_on_token: None,
        }
    }

    #[test]
    fn only_issued_certificates_inside_the_notice_period_soonest_first() {
        let rows = vec![
            row("later", RowStatus::Issued, Some(31)),
            row("edge", RowStatus::Issued, Some(30)),
            row("inside", RowStatus::Issued, Some(29)),
            row("expired", RowStatus::Issued, Some(-2)),
            row("waiting", RowStatus::Pending, None),
            row("soon", RowStatus::Issued, Some(3)),
        ];
        let labels: Vec<&str> = expiring_within(&rows, DEFAULT_NOTICE_DAYS)
            .iter()
            .map(|r| r.label.as_str())
            .collect();
        // Issue #13: 30 days left is no longer noticed (it was `<=`): core's status calls it
        // "good" too, so the notice and the help-desk report turn on the same day.
        assert_eq!(labels, ["expired", "soon", "inside"]);
        assert!(expiring_within(&rows, -3).is_empty());
    }

    #[test]
    fn the_text_says_when_in_words_and_whom_to_ask() {
        use crate::wording::Lang;
        let n = notice_for(
            &row("VPN", RowStatus::Issued, Some(3)),
            Some("it@example.org"),
            Lang::En,
        );
        assert_eq!(
            n.body,
            "Your certificate \"VPN\" expires in 3 days. Open certdesk to renew it. If you need help, ask it@example.org."
        );
        assert_eq!(n.summary, "Certificate \"VPN\" expires in 3 days");
        assert!(
            notice_for(&row("VPN", RowStatus::Issued, Some(-1)), None, Lang::En)
                .body
                .contains("expired 1 day ago")
        );
        assert!(
            notice_for(&row("VPN", RowStatus::Issued, Some(0)), None, Lang::En)
                .body
                .contains("expires today")
        );
        // Issue #13: the German app's notification is German.
        let de = notice_for(
            &row("VPN", RowStatus::Issued, Some(3)),
            Some("it@example.org"),
            Lang::De,
        );
        assert_eq!(
            de.body,
            "Ihr Zertifikat „VPN“ läuft in 3 Tagen ab. Öffnen Sie certdesk, um es zu erneuern. Wenn Sie Hilfe brauchen, fragen Sie it@example.org."
        );
    }
}
