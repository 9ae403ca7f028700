//! Renew an issued identity, then follow up: the new certificate replaces the old one in every
//! store that held it, and the help-desk profile's sites are checked with it (issue #7).

use std::path::Path;

use certdesk_core::enroll::{self, EnrollOutcome, EnrollTarget};
use certdesk_core::secret::SecretString;
use certdesk_core::sites::SiteRecheck;
use certdesk_core::wallet::{KeyAccess, Wallet};
use certdesk_store::Replacement;

use crate::limits::SITE_CHECK_TIMEOUT;
use crate::{Error, Result};

/// What a renewal and its follow-up did.
#[derive(Debug)]
pub struct RenewalReport {
    /// The renewal itself.
    pub outcome: EnrollOutcome,
    /// The follow-up, when the renewal replaced the certificate (see [`needs_follow_up`]).
    pub follow_up: Option<FollowUp>,
}

/// The follow-up after a certificate was replaced.
#[derive(Debug)]
pub struct FollowUp {
    /// The stores that held the old certificate, each updated or not; an error when the stores
    /// could not be searched (the renewal itself still succeeded, so it is a line of the
    /// report, not the flow's error).
    pub stores: std::result::Result<Vec<Replacement>, Error>,
    /// The profile's sites, checked with the new certificate (each also in the history).
    pub site_checks: Vec<SiteRecheck>,
}

impl FollowUp {
    /// Whether every re-checked site accepted the new certificate (true when there were none).
    pub fn all_accepted(&self) -> bool {
        self.site_checks.iter().all(SiteRecheck::accepted)
    }
}

/// A step of the follow-up, for a front end's progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpStep {
    /// Replacing the old certificate in the stores.
    UpdatingStores,
    /// Checking the profile's sites with the new certificate.
    CheckingSites,
}

/// Whether a renewal's outcome calls for the follow-up: a new certificate replaced the
/// previous one.
///
/// Issue #13: the CLI followed up on `replaced_previous`, the app whenever the outcome was not
/// "pending" (`retry_after_secs.is_none()`), which also re-installed and re-checked after an
/// "already issued" answer that changed nothing. Kept: the CLI's rule, the only one that says
/// what the follow-up is for.
pub fn needs_follow_up(outcome: &EnrollOutcome) -> bool {
    matches!(outcome, EnrollOutcome::Issued { import, .. } if import.replaced_previous)
}

/// Renews identity `id` (see [`certdesk_core::enroll::renew`] for `target` and `secret`), then
/// follows up when a new certificate replaced the old one: stores under `home` (none is
/// searched without one), then the profile's sites, trusting `site_ca_pem` when given.
pub fn renew_and_follow_up(
    wallet: &Wallet,
    id: &str,
    access: &KeyAccess,
    target: Option<EnrollTarget>,
    secret: Option<SecretString>,
    home: Option<&Path>,
    on_step: &mut dyn FnMut(FollowUpStep),
) -> Result<RenewalReport> {
    let identity = wallet.get(id)?;
    let old_chain = identity.chain_der()?;
    let outcome = enroll::renew(wallet, &identity.id, access, target, secret)?;
    if !needs_follow_up(&outcome) {
        return Ok(RenewalReport {
            outcome,
            follow_up: None,
        });
    }
    on_step(FollowUpStep::UpdatingStores);
    let stores = match home {
        Some(home) => {
            certdesk_store::replace_renewed(wallet, access, &identity.id, &old_chain, home)
                .map_err(Error::from)
        }
        None => Err(Error::NoHome),
    };
    on_step(FollowUpStep::CheckingSites);
    let site_checks = certdesk_core::sites::recheck_profile_sites(
        wallet,
        &identity.id,
        access,
        None,
        SITE_CHECK_TIMEOUT,
    )?;
    Ok(RenewalReport {
        outcome,
        follow_up: Some(FollowUp {
            stores,
            site_checks,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use certdesk_core::wallet::{IdentityStatus, IdentitySummary, ImportOutcome};

    fn summary() -> IdentitySummary {
        let now = time::OffsetDateTime::now_utc();
        IdentitySummary {
            id: "01-ada".into(),
            label: "Ada".into(),
            status: IdentityStatus::Issued,
            subject: "CN=Ada".into(),
            issuer: Some("CN=Example CA".into()),
            issuer_name: Some("Example CA".into()),
            key_type: certdesk_core::key::KeySpec::EcP256,
            created: now,
            not_after: Some(now + time::Duration::days(90)),
            key_on_token: None,
        }
    }

    fn issued(replaced_previous: bool) -> EnrollOutcome {
        EnrollOutcome::Issued {
            import: ImportOutcome {
                identity: summary(),
                warnings: Vec::new(),
                container: certdesk_core::encoding::Container::Pkcs7,
                chain_length: 1,
                already_imported: false,
                replaced_previous,
            },
            csr_attributes: Vec::new(),
        }
    }

    /// Issue #13: the app also followed up after "already issued" (no retry time); only a
    /// certificate that replaced the previous one is followed up now, in both front ends.
    #[test]
    fn only_a_certificate_that_replaced_the_previous_one_is_followed_up() {
        assert!(needs_follow_up(&issued(true)));
        assert!(!needs_follow_up(&issued(false)));
        assert!(!needs_follow_up(&EnrollOutcome::AlreadyIssued {
            identity: summary()
        }));
        assert!(!needs_follow_up(&EnrollOutcome::Pending {
            identity: summary(),
            next_attempt: time::OffsetDateTime::now_utc(),
            retry_after_secs: 30,
        }));
    }
}
