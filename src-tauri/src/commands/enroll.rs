//! Enrollment: the built-in practice CA (started in this process) and EST servers.

use std::sync::{Arc, Mutex};

use certdesk_core::cert::to_pem;
use certdesk_core::enroll::{
    self, est::est_base, AuthSettings, EnrollMethod, EnrollOutcome, EnrollTarget, TrustSettings,
};
use certdesk_core::secret::SecretString;
use certdesk_core::vault::os_vault;
use certdesk_core::wallet::Wallet;
use certdesk_practice::{PracticeConfig, PracticeServer};
use tauri::ipc::Channel;
use tauri::State;
use time::OffsetDateTime;

use super::{blocking, key_access, report, wallet};
use crate::error::{IpcError, IpcErrorKind};
use crate::view::{EnrollResult, IdentityRow, Phase, PracticeInfo, ProgressEvent};

/// How long one enrollment exchange may wait for the server.
const ENROLL_TIMEOUT_SECS: u64 = 30;

/// The practice CA while the app runs (stopped when the app exits and the state drops).
#[derive(Debug, Default)]
pub struct Practice(pub Arc<Mutex<Option<PracticeServer>>>);

/// What a running practice CA lets the app do without holding the lock.
#[derive(Debug, Clone)]
pub(crate) struct PracticeHandle {
    pub est_url: String,
    pub site_url: String,
    pub demo_user: String,
    pub demo_code: SecretString,
    pub ca_pem: String,
}

impl Practice {
    fn handle(&self) -> Option<PracticeHandle> {
        let guard = self.0.lock().ok()?;
        guard.as_ref().map(|server| PracticeHandle {
            est_url: server.est_url.clone(),
            site_url: server.site_url.clone(),
            demo_user: server.demo_user.clone(),
            demo_code: server.demo_code.clone(),
            ca_pem: to_pem(&server.ca_certificate_der),
        })
    }

    /// The practice CA's certificate when `url` is the practice site, so a check trusts it.
    pub(crate) fn ca_for(&self, url: &str) -> Option<Vec<u8>> {
        self.handle()
            .filter(|p| url.trim().starts_with(p.site_url.trim_end_matches('/')))
            .map(|p| p.ca_pem.into_bytes())
    }
}

/// Starts the practice CA and site on 127.0.0.1 (once; later calls return the running one).
#[tauri::command]
pub async fn start_practice(
    practice: State<'_, Practice>,
    on_progress: Channel<ProgressEvent>,
) -> Result<PracticeInfo, IpcError> {
    let slot = Arc::clone(&practice.0);
    blocking(move || {
        let mut guard = slot.lock().map_err(|_| {
            IpcError::new(
                IpcErrorKind::Internal,
                "the practice CA state is poisoned",
                None,
            )
        })?;
        let server = match guard.take() {
            Some(server) => server,
            None => {
                report(&on_progress, Phase::StartingPractice);
                certdesk_practice::start(PracticeConfig {
                    data_dir: wallet()?.home().join("practice"),
                    est_port: 0,
                    site_port: 0,
                    key_access: key_access()?,
                })?
            }
        };
        Ok(PracticeInfo::from_server(guard.insert(server)))
    })
    .await
}

/// Sends the pending request `id` to the running practice CA, which signs it at once.
#[tauri::command]
pub async fn enroll_practice(
    practice: State<'_, Practice>,
    id: String,
    on_progress: Channel<ProgressEvent>,
) -> Result<EnrollResult, IpcError> {
    let handle = practice.handle().ok_or_else(|| {
        IpcError::new(
            IpcErrorKind::InvalidInput,
            "the practice CA is not running",
            Some("choose \"Try it now\" again to start it"),
        )
    })?;
    blocking(move || {
        report(&on_progress, Phase::SendingRequest);
        let target = EnrollTarget {
            method: EnrollMethod::Est {
                base: handle.est_url.clone(),
            },
            // The practice CA runs inside this app: its certificate comes from the server
            // object itself, not from the network, so there is nothing to ask the person.
            trust: TrustSettings {
                ca_pem: Some(handle.ca_pem.clone()),
                ..TrustSettings::default()
            },
            auth: AuthSettings::Basic {
                user: handle.demo_user.clone(),
            },
            timeout_secs: ENROLL_TIMEOUT_SECS,
        };
        enroll_with(&wallet()?, &id, target, Some(handle.demo_code))
    })
    .await
}

/// Sends the pending request `id` to an EST server. `trust_sha256` is a CA fingerprint the
/// person confirmed after an `untrusted_server` error.
#[tauri::command]
pub async fn enroll_est(
    id: String,
    url: String,
    label: Option<String>,
    user: Option<String>,
    code: Option<String>,
    trust_sha256: Option<String>,
    on_progress: Channel<ProgressEvent>,
) -> Result<EnrollResult, IpcError> {
    blocking(move || {
        report(&on_progress, Phase::SendingRequest);
        let auth = match user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(user) => AuthSettings::Basic { user: user.into() },
            None => AuthSettings::None,
        };
        let target = EnrollTarget {
            method: EnrollMethod::Est {
                base: est_base(url.trim(), label.as_deref().filter(|l| !l.is_empty()))?,
            },
            trust: TrustSettings {
                pinned_sha256: trust_sha256,
                ..TrustSettings::default()
            },
            auth,
            timeout_secs: ENROLL_TIMEOUT_SECS,
        };
        enroll_with(&wallet()?, &id, target, code.map(SecretString::new))
    })
    .await
}

/// Asks again for a pending enrollment (the server said "later"), with what was recorded.
#[tauri::command]
pub async fn resume_enrollment(
    id: String,
    on_progress: Channel<ProgressEvent>,
) -> Result<EnrollResult, IpcError> {
    blocking(move || {
        report(&on_progress, Phase::SendingRequest);
        let vault = os_vault().ok();
        let outcome = enroll::resume(&wallet()?, &id, None, vault.as_deref(), None)?;
        Ok(EnrollResult::from_outcome(
            &outcome,
            OffsetDateTime::now_utc(),
        ))
    })
    .await
}

fn enroll_with(
    wallet: &Wallet,
    id: &str,
    target: EnrollTarget,
    secret: Option<SecretString>,
) -> Result<EnrollResult, IpcError> {
    let vault = os_vault().ok();
    let outcome = enroll::enroll(wallet, id, target, secret, vault.as_deref())?;
    Ok(EnrollResult::from_outcome(
        &outcome,
        OffsetDateTime::now_utc(),
    ))
}

impl EnrollResult {
    fn from_outcome(outcome: &EnrollOutcome, now: OffsetDateTime) -> Self {
        match outcome {
            EnrollOutcome::Issued { import, .. } => Self {
                identity: IdentityRow::from_summary(&import.identity, now),
                retry_after_secs: None,
                warnings: import.warnings.iter().map(|w| w.message.clone()).collect(),
            },
            EnrollOutcome::Pending {
                identity,
                retry_after_secs,
                ..
            } => Self {
                identity: IdentityRow::from_summary(identity, now),
                retry_after_secs: Some(*retry_after_secs),
                warnings: Vec::new(),
            },
            EnrollOutcome::AlreadyIssued { identity } => Self {
                identity: IdentityRow::from_summary(identity, now),
                retry_after_secs: None,
                warnings: Vec::new(),
            },
        }
    }
}
