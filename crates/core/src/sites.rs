//! The sites an identity is for, checked again with its current certificate (issue #7: after a
//! renewal, the profile's sites are re-tested). Each check is a real [`crate::probe`] request
//! and is kept in the identity's history like any other site check.

use std::time::Duration;

use crate::probe::{self, ProbeReport, ProbeRequest};
use crate::wallet::{KeyAccess, Wallet};
use crate::Result;

/// One site of the identity's profile and what checking it gave.
#[derive(Debug)]
pub struct SiteRecheck {
    /// The site, as the profile lists it.
    pub url: String,
    /// The report, or why no check could be made (unreachable sites are reports, not errors).
    pub result: Result<ProbeReport>,
}

impl SiteRecheck {
    /// Whether the site accepted the certificate.
    pub fn accepted(&self) -> bool {
        self.result
            .as_ref()
            .is_ok_and(|r| r.verdict == probe::Verdict::Accepted)
    }
}

/// Checks every site in the profile identity `id` was made with, presenting its current
/// certificate, and records each check in its history. No profile, or a profile without sites,
/// gives an empty list. The server's certificate is verified against `server_ca_pem` when
/// given, else against the CA file the enrollment was told to trust (typically the
/// organisation's CA, which also vouches for its sites), else against the OS roots.
pub fn recheck_profile_sites(
    wallet: &Wallet,
    id: &str,
    access: &KeyAccess,
    server_ca_pem: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<Vec<SiteRecheck>> {
    let identity = wallet.get(id)?;
    let Some(profile) = crate::profile::profile_of(wallet, &identity.id)? else {
        return Ok(Vec::new());
    };
    let server_ca_pem = match server_ca_pem {
        Some(pem) => Some(pem),
        None => crate::enroll::enrollment_state(wallet, &identity.id)?
            .and_then(|s| s.target.trust.ca_pem)
            .map(String::into_bytes),
    };
    let mut out = Vec::new();
    for site in &profile.profile.sites {
        let result = wallet
            .client_identity(&identity.id, access)
            .and_then(|client| {
                probe::check_site(&ProbeRequest {
                    url: site.url.clone(),
                    identity: Some(client),
                    server_ca_pem: server_ca_pem.clone(),
                    timeout,
                })
            });
        if let Ok(report) = &result {
            // Best effort: the check itself succeeded whether or not it could be kept.
            let _ = crate::report::record_site_check(wallet, &identity.id, report);
        }
        out.push(SiteRecheck {
            url: site.url.clone(),
            result,
        });
    }
    Ok(out)
}
