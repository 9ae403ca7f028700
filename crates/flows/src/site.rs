//! Check a site with a certificate and, when it is one of the wallet's, keep the check in the
//! identity's history and as its last check (issue #7).

use std::time::Duration;

use certdesk_core::probe::{self, ClientIdentity, ProbeReport, ProbeRequest};
use certdesk_core::wallet::{KeyAccess, Wallet};
use certdesk_core::weburl::{UrlUse, WebUrl};

use crate::Result;

/// Which certificate a site check presents.
#[derive(Debug)]
pub enum SiteIdentity<'a> {
    /// None: how does the site answer without one?
    None,
    /// A wallet identity (id, prefix or label); the check is recorded with it.
    Wallet {
        /// The identity.
        id: &'a str,
        /// How to unlock its key.
        access: &'a KeyAccess,
    },
    /// A key and chain from elsewhere (files the person gave); nothing is recorded.
    Given(ClientIdentity),
}

/// A site check to run.
#[derive(Debug)]
pub struct SiteCheckRequest<'a> {
    /// The site (`https://…`).
    pub url: &'a str,
    /// The certificate to present.
    pub identity: SiteIdentity<'a>,
    /// CA certificates (PEM or DER) trusted for the site instead of this computer's roots.
    pub server_ca_pem: Option<Vec<u8>>,
    /// The wait for each of connect, handshake and answer.
    pub timeout: Duration,
}

/// A site check and where it was kept.
#[derive(Debug)]
pub struct SiteCheckReport {
    /// The check (a rejection is a report, not an error).
    pub report: ProbeReport,
    /// With a wallet identity: its full id, and whether the check could be kept in its history
    /// (best effort: the check itself succeeded either way).
    pub recorded: Option<(String, Result<()>)>,
}

/// Checks the site, then records the check with the wallet identity that was presented.
///
/// The address is read before a key is unlocked or anything connects (issue #12): a bad one
/// is core's `BadUrl`, whichever front end sent it.
pub fn check_site_recorded(
    wallet: &Wallet,
    request: SiteCheckRequest<'_>,
) -> Result<SiteCheckReport> {
    let url = request.url.trim();
    WebUrl::parse(url, UrlUse::Site)?;
    let (identity, record_in) = match request.identity {
        SiteIdentity::None => (None, None),
        SiteIdentity::Given(identity) => (Some(identity), None),
        SiteIdentity::Wallet { id, access } => {
            let full_id = wallet.get(id)?.id;
            let identity = wallet.client_identity(&full_id, access)?;
            (Some(identity), Some(full_id))
        }
    };
    let report = probe::check_site(&ProbeRequest {
        url: url.to_string(),
        identity,
        server_ca_pem: request.server_ca_pem,
        timeout: request.timeout,
    })?;
    let recorded = record_in.map(|id| {
        let kept = certdesk_core::report::record_site_check(wallet, &id, &report)
            .map_err(crate::Error::from);
        (id, kept)
    });
    Ok(SiteCheckReport { report, recorded })
}
