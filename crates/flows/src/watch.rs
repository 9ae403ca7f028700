//! `certdesk watch`: one pass over every identity (issue #16). For each issued certificate it
//! decides whether it is due for renewal (see [`crate::expiry::renewal_threshold`]), asks its
//! revocation sources, renews the due ones that can be renewed without the person (EST
//! re-enrollment authenticated with the current certificate, through
//! [`crate::renew::renew_and_follow_up`]: new certificate into every store that held the old
//! one, the profile's sites checked again, history kept), and says for each one that needs the
//! person what to tell them ([`crate::notice`]).
//!
//! A pass holds the wallet's watch lock (`<wallet>/.watch.lock`, an advisory exclusive lock)
//! from before it reads the identities until it is done: a second `watch` started meanwhile
//! (the timer and a person at a terminal) waits, then reads the renewed certificates and finds
//! nothing due, so no identity is renewed twice.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use certdesk_core::enroll::{self, EnrollMethod, EnrollOutcome};
use certdesk_core::fsutil::create_private_dir;
use certdesk_core::revocation::{self, Overall, StatusOptions};
use certdesk_core::wallet::{Identity, IdentityStatus, KeyAccess, Wallet};
use serde::Serialize;
use time::OffsetDateTime;

use crate::expiry::{default_renew_before, renewal_threshold};
use crate::notice::{notice, Notice, NoticeCause, TimeLeft};
use crate::renew::renew_and_follow_up;
use crate::Result;

/// The lock file of a watch pass, beside the wallet's own `.lock`.
pub const WATCH_LOCK_FILE: &str = ".watch.lock";

/// How one pass behaves.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Renew when less than this is left, instead of the usual rule (`--renew-within`; see
    /// [`renew_before`]).
    pub renew_within: Option<Duration>,
    /// Ask the revocation sources (CRL, OCSP) the certificates name; false skips the network.
    pub check_revocation: bool,
    /// Limit of each revocation fetch.
    pub revocation_timeout: Duration,
    /// The user's home, under which the stores that held a renewed certificate are found.
    pub home: Option<PathBuf>,
    /// The language of the notices.
    pub lang: certdesk_wording::Lang,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            renew_within: None,
            check_revocation: true,
            revocation_timeout: Duration::from_secs(10),
            home: None,
            lang: certdesk_wording::Lang::En,
        }
    }
}

/// Why a person is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedReason {
    /// Due, but not from an EST server: a new request (and code) is needed.
    NoAutomaticRenewal,
    /// The renewal was tried and failed (refused, unreachable, key locked).
    RenewalFailed,
    /// The server holds the renewal for approval.
    RenewalPending,
    /// Renewed, but a store kept the old certificate.
    StoreNotUpdated,
    /// Renewed, but a profile site did not accept the new certificate.
    SiteRejects,
    /// Revoked by its CA.
    Revoked,
    /// The stored certificate cannot be read (a damaged wallet record).
    Unreadable,
}

/// A store that held the old certificate, after a renewal.
#[derive(Debug, Clone, Serialize)]
pub struct StoreUpdate {
    /// The store, as people name it.
    pub store: String,
    /// Why it could not be updated, or `None` when it now holds the new certificate.
    pub error: Option<String>,
}

/// A profile site checked with the renewed certificate.
#[derive(Debug, Clone, Serialize)]
pub struct SiteUpdate {
    /// Its address.
    pub url: String,
    /// Whether it accepted the new certificate.
    pub accepted: bool,
    /// What the check found (the probe's sentence, or why no check could be made).
    pub detail: String,
}

/// What the pass did with one identity.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WatchOutcome {
    /// A request still waiting for its certificate: nothing to renew.
    NotIssued,
    /// Not due yet.
    NotDue,
    /// Renewed without the person.
    Renewed {
        /// The new certificate's end.
        #[serde(with = "time::serde::rfc3339::option")]
        new_not_after: Option<OffsetDateTime>,
        /// The stores that held the old certificate.
        stores: Vec<StoreUpdate>,
        /// The profile's sites, checked with the new certificate.
        sites: Vec<SiteUpdate>,
    },
    /// The person must act; `notice` says how.
    NeedsPerson {
        /// Why.
        reason: NeedReason,
    },
}

/// One identity after the pass.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityWatch {
    /// Id.
    pub id: String,
    /// Label.
    pub label: String,
    /// The certificate's end when the pass started.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    /// Seconds left when the pass started (negative once expired).
    pub secs_left: Option<i64>,
    /// Renewal is due with fewer seconds than this left.
    pub threshold_secs: Option<u64>,
    /// Whether it was due.
    pub due: bool,
    /// The revocation summary, when asked.
    pub revocation: Option<Overall>,
    /// What was done.
    pub outcome: WatchOutcome,
    /// Whom to ask (the profile's `support`).
    pub contact: Option<String>,
    /// What to tell the person, when the outcome needs them (also after a renewal with a
    /// problem).
    pub notice: Option<Notice>,
    /// When the current certificate (the renewed one after a renewal) becomes due.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_due: Option<OffsetDateTime>,
}

impl IdentityWatch {
    /// Whether the person must do something about this identity.
    pub fn needs_person(&self) -> bool {
        self.notice.is_some()
    }
}

/// The whole pass.
#[derive(Debug, Clone, Serialize)]
pub struct WatchReport {
    /// When the pass started.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
    /// Every identity of the wallet, in the wallet's order.
    pub identities: Vec<IdentityWatch>,
}

impl WatchReport {
    /// Whether any identity needs the person.
    pub fn needs_person(&self) -> bool {
        self.identities.iter().any(IdentityWatch::needs_person)
    }

    /// The earliest time an identity becomes due, for the next pass of a running watch. Those
    /// that need the person are left out: retrying them at once would fail the same way.
    pub fn next_due(&self) -> Option<OffsetDateTime> {
        self.identities
            .iter()
            .filter(|i| !i.needs_person())
            .filter_map(|i| i.next_due)
            .min()
    }
}

/// The held watch lock; released when dropped.
#[derive(Debug)]
pub struct WatchLock {
    _file: fs::File,
}

/// Takes the watch lock of `wallet`, waiting while another pass holds it.
pub fn lock(wallet: &Wallet) -> Result<WatchLock> {
    create_private_dir(wallet.home())?;
    let path = wallet.home().join(WATCH_LOCK_FILE);
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let io = |op: &'static str| {
        let path = path.clone();
        move |source| certdesk_core::Error::Io { op, path, source }
    };
    let file = options.open(&path).map_err(io("open"))?;
    file.lock().map_err(io("lock"))?;
    Ok(WatchLock { _file: file })
}

/// How a certificate's due time is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewBefore {
    /// `--renew-within`: this long before the end, whatever the lifetime.
    Exactly(Duration),
    /// The usual rule ([`renewal_threshold`]) with this many days (the profile's
    /// `renew_before_days`, else 30).
    Rule(Duration),
}

/// The rule for an identity made from `profile`, unless `renew_within` overrides it.
pub fn renew_before(
    profile: Option<&certdesk_core::profile::Profile>,
    renew_within: Option<Duration>,
) -> RenewBefore {
    match (renew_within, profile.and_then(|p| p.renew_before_days)) {
        (Some(d), _) => RenewBefore::Exactly(d),
        (None, Some(days)) => RenewBefore::Rule(Duration::from_secs(u64::from(days) * 86_400)),
        (None, None) => RenewBefore::Rule(default_renew_before()),
    }
}

/// When a certificate from `not_before` to `not_after` is due, and the time left from which it
/// is.
pub fn due_at(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    rule: RenewBefore,
) -> (OffsetDateTime, Duration) {
    let lifetime = Duration::try_from(not_after - not_before).unwrap_or_default();
    let threshold = match rule {
        RenewBefore::Exactly(d) => d,
        RenewBefore::Rule(before) => renewal_threshold(lifetime, before),
    };
    let threshold_dur = time::Duration::try_from(threshold).unwrap_or(time::Duration::MAX);
    (
        not_after.checked_sub(threshold_dur).unwrap_or(not_before),
        threshold,
    )
}

/// One pass over every identity of `wallet` (see the module documentation). `on_identity` is
/// called as each identity is done, for a front end's progress.
pub fn watch_once(
    wallet: &Wallet,
    access: &KeyAccess,
    options: &WatchOptions,
    on_identity: &mut dyn FnMut(&IdentityWatch),
) -> Result<WatchReport> {
    let _lock = lock(wallet)?;
    let checked_at = OffsetDateTime::now_utc();
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for identity in wallet.identities()? {
        // Each identity once per pass, whatever the wallet lists: nothing is renewed twice.
        if !seen.insert(identity.id.clone()) {
            continue;
        }
        let watched = watch_identity(wallet, &identity, access, options, checked_at);
        on_identity(&watched);
        out.push(watched);
    }
    Ok(WatchReport {
        checked_at,
        identities: out,
    })
}

fn watch_identity(
    wallet: &Wallet,
    identity: &Identity,
    access: &KeyAccess,
    options: &WatchOptions,
    now: OffsetDateTime,
) -> IdentityWatch {
    let profile = certdesk_core::profile::profile_of(wallet, &identity.id)
        .ok()
        .flatten()
        .map(|p| p.profile);
    let contact = profile.as_ref().and_then(|p| p.support.clone());
    let rule = renew_before(profile.as_ref(), options.renew_within);
    let mut watched = IdentityWatch {
        id: identity.id.clone(),
        label: identity.label.clone(),
        not_after: None,
        secs_left: None,
        threshold_secs: None,
        due: false,
        revocation: None,
        outcome: WatchOutcome::NotIssued,
        contact,
        notice: None,
        next_due: None,
    };
    if identity.status != IdentityStatus::Issued {
        return watched;
    }
    let info = match identity.certificate_info() {
        Ok(Some(info)) => info,
        Ok(None) => return watched,
        Err(e) => {
            return needs(
                options.lang,
                watched,
                NeedReason::Unreadable,
                NoticeCause::Unreadable {
                    detail: e.to_string(),
                },
            )
        }
    };
    let (due_time, threshold) = due_at(info.not_before, info.not_after, rule);
    let left = (info.not_after - now).whole_seconds();
    watched.not_after = Some(info.not_after);
    watched.secs_left = Some(left);
    watched.threshold_secs = Some(threshold.as_secs());
    watched.due = now >= due_time;
    watched.next_due = Some(due_time);
    watched.outcome = WatchOutcome::NotDue;

    if options.check_revocation {
        let status = revocation::check_status(
            identity,
            &StatusOptions {
                timeout: options.revocation_timeout,
                ..StatusOptions::default()
            },
        );
        if let Ok(report) = status {
            watched.revocation = Some(report.overall);
            if report.overall == Overall::Revoked {
                return needs(
                    options.lang,
                    watched,
                    NeedReason::Revoked,
                    NoticeCause::Revoked,
                );
            }
        }
    }
    if !watched.due {
        return watched;
    }
    let left = TimeLeft::Seconds(left);
    let from_est = matches!(
        enroll::enrollment_state(wallet, &identity.id),
        Ok(Some(state)) if matches!(state.target.method, EnrollMethod::Est { .. })
    );
    if !from_est {
        return needs(
            options.lang,
            watched,
            NeedReason::NoAutomaticRenewal,
            NoticeCause::NeedsNewRequest { left },
        );
    }
    let renewal = renew_and_follow_up(
        wallet,
        &identity.id,
        access,
        None,
        None,
        options.home.as_deref(),
        &mut |_| {},
    );
    let report = match renewal {
        Ok(r) => r,
        Err(e) => {
            return needs(
                options.lang,
                watched,
                NeedReason::RenewalFailed,
                NoticeCause::RenewalFailed {
                    left,
                    detail: e.to_string(),
                },
            )
        }
    };
    match &report.outcome {
        EnrollOutcome::Pending { .. } => {
            return needs(
                options.lang,
                watched,
                NeedReason::RenewalPending,
                NoticeCause::RenewalPending { left },
            )
        }
        EnrollOutcome::AlreadyIssued { .. } => {
            return needs(
                options.lang,
                watched,
                NeedReason::RenewalFailed,
                NoticeCause::RenewalFailed {
                    left,
                    detail: "the server answered with the certificate it had already issued".into(),
                },
            )
        }
        EnrollOutcome::Issued { .. } => {}
    }
    // The certificate as it is now, for its end and its next due time.
    let renewed_info = wallet
        .get(&identity.id)
        .ok()
        .and_then(|i| i.certificate_info().ok().flatten());
    watched.next_due = renewed_info
        .as_ref()
        .map(|i| due_at(i.not_before, i.not_after, rule).0);
    let mut stores = Vec::new();
    let mut sites = Vec::new();
    let mut problem = None;
    if let Some(follow_up) = &report.follow_up {
        match &follow_up.stores {
            Ok(replaced) => {
                for r in replaced {
                    let error = r.result.as_ref().err().map(ToString::to_string);
                    if let (Some(e), None) = (&error, &problem) {
                        problem = Some((
                            NeedReason::StoreNotUpdated,
                            NoticeCause::StoreNotUpdated {
                                store: r.store.to_string(),
                                detail: e.clone(),
                            },
                        ));
                    }
                    stores.push(StoreUpdate {
                        store: r.store.to_string(),
                        error,
                    });
                }
            }
            // No home: no store to look in.
            Err(crate::Error::NoHome) => {}
            Err(e) => {
                problem = Some((
                    NeedReason::StoreNotUpdated,
                    NoticeCause::StoreNotUpdated {
                        store: "this computer's certificate stores".into(),
                        detail: e.to_string(),
                    },
                ));
            }
        }
        for check in &follow_up.site_checks {
            let (accepted, detail) = match &check.result {
                Ok(r) => (
                    check.accepted(),
                    r.verdict.text(&r.transcript.host).render(options.lang),
                ),
                Err(e) => (false, e.to_string()),
            };
            if !accepted && problem.is_none() {
                problem = Some((
                    NeedReason::SiteRejects,
                    NoticeCause::SiteRejects {
                        site: check.url.clone(),
                        detail: detail.clone(),
                    },
                ));
            }
            sites.push(SiteUpdate {
                url: check.url.clone(),
                accepted,
                detail,
            });
        }
    }
    watched.outcome = WatchOutcome::Renewed {
        new_not_after: renewed_info.map(|i| i.not_after),
        stores,
        sites,
    };
    if let Some((_, cause)) = problem {
        watched.notice = Some(notice(
            &watched.label,
            &cause,
            watched.contact.as_deref(),
            options.lang,
        ));
    }
    watched
}

fn needs(
    lang: certdesk_wording::Lang,
    mut watched: IdentityWatch,
    reason: NeedReason,
    cause: NoticeCause,
) -> IdentityWatch {
    watched.notice = Some(notice(
        &watched.label,
        &cause,
        watched.contact.as_deref(),
        lang,
    ));
    watched.outcome = WatchOutcome::NeedsPerson { reason };
    watched
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn due_times_follow_the_threshold_rule_or_the_override() {
        let start = datetime!(2026-01-01 0:00 UTC);
        let usual = renew_before(None, None);
        // A 3-minute certificate is due with 1 minute left.
        let (at, threshold) = due_at(start, start + time::Duration::minutes(3), usual);
        assert_eq!(threshold, Duration::from_secs(60));
        assert_eq!(at, start + time::Duration::minutes(2));
        // A 90-day one 30 days before its end.
        let (at, _) = due_at(start, start + time::Duration::days(90), usual);
        assert_eq!(at, start + time::Duration::days(60));
        // --renew-within replaces the rule, even beyond the lifetime.
        let (at, threshold) = due_at(
            start,
            start + time::Duration::minutes(3),
            renew_before(None, Some(Duration::from_secs(600))),
        );
        assert_eq!(threshold, Duration::from_secs(600));
        assert_eq!(
            at,
            start + time::Duration::minutes(3) - time::Duration::minutes(10)
        );
    }

    #[test]
    fn a_profiles_renew_before_days_replaces_the_30_days_within_the_third() {
        let start = datetime!(2026-01-01 0:00 UTC);
        let text = "format = 1\nname = \"Desk\"\nrenew_before_days = 60\n[enroll]\nmethod = \"est\"\nurl = \"https://est.example.org\"\nauth = \"one-time-code\"\n";
        let profile = certdesk_core::profile::parse_profile(
            text,
            certdesk_core::profile::ProfileOrigin::Url("test:".into()),
        )
        .expect("valid profile")
        .profile;
        let rule = renew_before(Some(&profile), None);
        assert_eq!(rule, RenewBefore::Rule(Duration::from_secs(60 * 86_400)));
        // A year-long certificate: 60 days before; a 90-day one: its third, 30 days.
        let (at, _) = due_at(start, start + time::Duration::days(365), rule);
        assert_eq!(at, start + time::Duration::days(305));
        let (at, _) = due_at(start, start + time::Duration::days(90), rule);
        assert_eq!(at, start + time::Duration::days(60));
        // --renew-within still wins.
        assert_eq!(
            renew_before(Some(&profile), Some(Duration::from_secs(5))),
            RenewBefore::Exactly(Duration::from_secs(5))
        );
    }
}
