//! Expiry and revocation status of a certificate: core's CRL and OCSP checks, as
//! `certdesk status` runs them.

use certdesk_core::revocation::{self, StatusOptions};
use tauri::ipc::Channel;

use super::{blocking, report, wallet};
use crate::error::IpcError;
use crate::view::{CertificateStatus, Phase, ProgressEvent};

/// Asks the CRL distribution point and the OCSP responder the certificate of `id` names.
#[tauri::command]
pub async fn certificate_status(
    id: String,
    on_progress: Channel<ProgressEvent>,
) -> Result<CertificateStatus, IpcError> {
    blocking(move || {
        report(&on_progress, Phase::CheckingRevocation);
        let identity = wallet()?.get(&id)?;
        let status = revocation::check_status(&identity, &StatusOptions::default())?;
        Ok(CertificateStatus::from_report(&status))
    })
    .await
}
