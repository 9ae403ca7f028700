//! Site checks: a real mTLS request made by core's probe, laid out as a verdict view.

use std::time::Duration;

use certdesk_core::probe::{self, ProbeRequest};
use certdesk_core::wallet::{KeyAccess, Wallet};
use tauri::ipc::Channel;
use tauri::State;

use super::enroll::Practice;
use super::{blocking, key_access, report, wallet};
use crate::error::IpcError;
use crate::view::{Phase, ProgressEvent, SiteCheck};

/// How long a check may wait for the site before it says so.
const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

/// Checks `url` with the identity `id` (or with no certificate at all).
#[tauri::command]
pub async fn check_site(
    practice: State<'_, Practice>,
    url: String,
    id: Option<String>,
    on_progress: Channel<ProgressEvent>,
) -> Result<SiteCheck, IpcError> {
    // The practice site's certificate comes from the practice CA running in this app.
    let server_ca_pem = practice.ca_for(&url);
    blocking(move || {
        report(&on_progress, Phase::CheckingSite);
        let access = match id {
            Some(_) => Some(key_access()?),
            None => None,
        };
        check_site_with(
            &wallet()?,
            url.trim(),
            id.as_deref(),
            access.as_ref(),
            server_ca_pem,
        )
    })
    .await
}

/// One probe plus diagnosis. `server_ca_pem` replaces the OS roots (the practice site's CA).
pub(crate) fn check_site_with(
    wallet: &Wallet,
    url: &str,
    id: Option<&str>,
    access: Option<&KeyAccess>,
    server_ca_pem: Option<Vec<u8>>,
) -> Result<SiteCheck, IpcError> {
    let identity = match (id, access) {
        (Some(id), Some(access)) => Some(wallet.client_identity(id, access)?),
        (Some(id), None) => Some(wallet.client_identity(id, &KeyAccess::default())?),
        (None, _) => None,
    };
    let report = probe::check_site(&ProbeRequest {
        url: url.to_string(),
        identity,
        server_ca_pem,
        timeout: CHECK_TIMEOUT,
    })?;
    let mut view = SiteCheck::from_report(&report);
    if let Some(id) = id {
        // Issue #7: the check goes into the identity's history, and "Copy report for the help
        // desk" copies the whole redacted diagnostic report (identity, profile, steps, this
        // check), not only this check. Recording is best effort: the check itself succeeded.
        let full_id = wallet.get(id)?.id;
        let _ = certdesk_core::report::record_site_check(wallet, &full_id, &report);
        if let Ok(diagnostic) =
            certdesk_core::report::build_report(wallet, &full_id, env!("CARGO_PKG_VERSION"))
        {
            view.report = diagnostic.to_text();
        }
    }
    Ok(view)
}
