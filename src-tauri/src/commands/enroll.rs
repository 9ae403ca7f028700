//! Enrollment: the built-in practice CA (started in this process), EST servers and web portals.

use std::sync::{Arc, Mutex};

use certdesk_core::cert::to_pem;
use certdesk_core::enroll::{
    self, est::AttributeStatus, portal::PortalUpload, AuthSettings, EnrollMethod, EnrollOutcome,
    EnrollTarget, TrustSettings,
};
use certdesk_core::secret::SecretString;
use certdesk_core::vault::os_vault;
use certdesk_core::wallet::Wallet;
use certdesk_flows::enroll::{
    Credentials, Destination, EnrollRequest, MethodKind, Prepared, TrustChoice,
};
use certdesk_practice::{PracticeConfig, PracticeServer};
use tauri::ipc::Channel;
use tauri::State;
use time::OffsetDateTime;

use super::stores::store_name;
use super::{blocking, key_access, report, wallet};
use crate::error::{IpcError, IpcErrorKind};
use crate::view::{
    EnrollResult, IdentityRow, Phase, PracticeInfo, ProgressEvent, RenewResult, SiteCheck,
    SiteRecheckView, StoreUpdate,
};

use certdesk_flows::limits::ENROLL_TIMEOUT_SECS;
use certdesk_flows::renew::FollowUpStep;

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

    /// The practice CA's certificate when `url` is on the practice site (same scheme, host and
    /// port, compared as parsed addresses, never as a text prefix), so a check trusts it.
    pub(crate) fn ca_for(&self, url: &str) -> Option<Vec<u8>> {
        use certdesk_core::weburl::{UrlUse, WebUrl};
        let wanted = WebUrl::check(url, UrlUse::Site).ok()?;
        self.handle()
            .filter(|p| {
                WebUrl::check(&p.site_url, UrlUse::Site).is_ok_and(|site| site.same_origin(&wanted))
            })
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
                    client_validity: certdesk_practice::default_client_validity(),
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
        let vault = os_vault().ok();
        enroll_with(&wallet()?, &id, handle.prepared(), vault.as_deref())
    })
    .await
}

/// Renews an issued identity over EST with its current certificate (simplereenroll): at the
/// practice CA when it issued it and runs now, else where it was enrolled. Then, as the CLI's
/// `certdesk renew` does, the new certificate replaces the old one in every store that held
/// it, and the help-desk profile's sites are checked with it.
#[tauri::command]
pub async fn renew_identity(
    practice: State<'_, Practice>,
    id: String,
    on_progress: Channel<ProgressEvent>,
) -> Result<RenewResult, IpcError> {
    let handle = practice.handle();
    blocking(move || {
        report(&on_progress, Phase::SendingRequest);
        let home = certdesk_flows::home::user_home().ok();
        renew_at(
            &wallet()?,
            &id,
            &key_access()?,
            handle.as_ref(),
            home.as_deref(),
            &mut |step| {
                report(
                    &on_progress,
                    match step {
                        FollowUpStep::UpdatingStores => Phase::UpdatingStores,
                        FollowUpStep::CheckingSites => Phase::CheckingSite,
                    },
                )
            },
        )
    })
    .await
}

/// The body of [`renew_identity`] without Tauri state: one flow, then the view.
pub(crate) fn renew_at(
    wallet: &Wallet,
    id: &str,
    access: &certdesk_core::wallet::KeyAccess,
    practice: Option<&PracticeHandle>,
    home: Option<&std::path::Path>,
    on_step: &mut dyn FnMut(FollowUpStep),
) -> Result<RenewResult, IpcError> {
    let target = practice_target(wallet, id, practice)?;
    let renewal = certdesk_flows::renew::renew_and_follow_up(
        wallet, id, access, target, None, home, on_step,
    )?;
    let now = OffsetDateTime::now_utc();
    let Some(follow_up) = renewal.follow_up else {
        return Ok(RenewResult {
            enrollment: EnrollResult::from_outcome(&renewal.outcome, now),
            stores: Vec::new(),
            site_checks: Vec::new(),
        });
    };
    Ok(RenewResult {
        enrollment: EnrollResult::from_outcome(&renewal.outcome, now),
        stores: store_updates(follow_up.stores),
        site_checks: follow_up
            .site_checks
            .into_iter()
            .map(recheck_view)
            .collect(),
    })
}

/// The store part of the follow-up. A failed search is one entry, not the command's error:
/// the renewal itself succeeded (as in the CLI).
fn store_updates(
    stores: Result<Vec<certdesk_store::Replacement>, certdesk_flows::Error>,
) -> Vec<StoreUpdate> {
    match stores {
        Ok(replaced) => replaced
            .into_iter()
            .map(|r| StoreUpdate {
                store: store_name(&r.store),
                error: r.result.err().map(IpcError::from),
            })
            .collect(),
        Err(certdesk_flows::Error::NoHome) => Vec::new(),
        Err(error) => vec![StoreUpdate {
            store: "this computer's certificate stores".into(),
            error: Some(error.into()),
        }],
    }
}

fn recheck_view(c: certdesk_core::sites::SiteRecheck) -> SiteRecheckView {
    match c.result {
        Ok(report) => SiteRecheckView {
            url: c.url,
            check: Some(SiteCheck::from_report(&report)),
            error: None,
        },
        Err(error) => SiteRecheckView {
            url: c.url,
            check: None,
            error: Some(error.into()),
        },
    }
}

impl PracticeHandle {
    /// The practice CA's target with its demo code.
    fn prepared(&self) -> Prepared {
        Prepared {
            target: self.target(),
            secret: Some(self.demo_code.clone()),
            profile: None,
        }
    }

    fn target(&self) -> EnrollTarget {
        EnrollTarget {
            method: EnrollMethod::Est {
                base: self.est_url.clone(),
            },
            // The practice CA runs inside this app: its certificate comes from the server
            // object itself, not from the network, so there is nothing to ask the person.
            trust: TrustSettings {
                ca_pem: Some(self.ca_pem.clone()),
                ..TrustSettings::default()
            },
            auth: AuthSettings::Basic {
                user: self.demo_user.clone(),
            },
            timeout_secs: ENROLL_TIMEOUT_SECS,
        }
    }
}

/// The practice CA's address changes at every start: an identity it issued renews against the
/// running one; anything else where it was enrolled (`None`).
fn practice_target(
    wallet: &Wallet,
    id: &str,
    practice: Option<&PracticeHandle>,
) -> Result<Option<EnrollTarget>, IpcError> {
    let issuer = wallet
        .get(id)?
        .certificate_info()?
        .and_then(|info| info.issuer_cn);
    Ok(practice
        .filter(|_| issuer.as_deref() == Some(certdesk_practice::CA_COMMON_NAME))
        .map(PracticeHandle::target))
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
    let request = EnrollRequest {
        destination: Some(Destination::Est { url, label }),
        credentials: Credentials {
            user,
            code: code.map(SecretString::new),
            token: None,
        },
        trust: confirmed(trust_sha256),
        timeout_secs: None,
        ca_ident: None,
    };
    blocking(move || {
        report(&on_progress, Phase::SendingRequest);
        enroll_request(&wallet()?, &id, MethodKind::Est, request)
    })
    .await
}

/// Sends the pending request `id` to a "paste or upload your request" web page of the
/// person's organisation. `upload` is `form`, `multipart`, `pem` or `der`; `field` names the
/// form field (form and multipart); `user` + `code` are HTTP Basic, `token` a bearer token;
/// `trust_sha256` is a CA fingerprint the person confirmed after an `untrusted_server` error.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // the IPC arguments, one per field of the form
pub async fn enroll_portal(
    id: String,
    url: String,
    upload: PortalUpload,
    field: Option<String>,
    user: Option<String>,
    code: Option<String>,
    token: Option<String>,
    trust_sha256: Option<String>,
    on_progress: Channel<ProgressEvent>,
) -> Result<EnrollResult, IpcError> {
    let request = EnrollRequest {
        destination: Some(Destination::Portal { url, upload, field }),
        credentials: Credentials {
            user,
            code: code.map(SecretString::new),
            token: token.map(SecretString::new),
        },
        trust: confirmed(trust_sha256),
        timeout_secs: None,
        ca_ident: None,
    };
    blocking(move || {
        report(&on_progress, Phase::SendingRequest);
        enroll_request(&wallet()?, &id, MethodKind::Portal, request)
    })
    .await
}

/// A fingerprint the person confirmed in the trust question.
fn confirmed(trust_sha256: Option<String>) -> TrustChoice {
    TrustChoice {
        fingerprint: trust_sha256,
        ..TrustChoice::default()
    }
}

/// Prepares and sends a request the wizard described (the flows' rules, as the CLI's); the
/// address and credentials are checked before the wallet is touched.
pub(crate) fn enroll_request(
    wallet: &Wallet,
    id: &str,
    expected: MethodKind,
    request: EnrollRequest,
) -> Result<EnrollResult, IpcError> {
    let prepared = certdesk_flows::enroll::prepare(wallet, id, expected, request)?;
    let vault = os_vault().ok();
    enroll_with(wallet, id, prepared, vault.as_deref())
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

pub(crate) fn enroll_with(
    wallet: &Wallet,
    id: &str,
    prepared: Prepared,
    vault: Option<&dyn certdesk_core::vault::SecretVault>,
) -> Result<EnrollResult, IpcError> {
    let outcome = certdesk_flows::enroll::enroll(wallet, id, prepared, vault, None)?;
    Ok(EnrollResult::from_outcome(
        &outcome,
        OffsetDateTime::now_utc(),
    ))
}

impl EnrollResult {
    fn from_outcome(outcome: &EnrollOutcome, now: OffsetDateTime) -> Self {
        match outcome {
            EnrollOutcome::Issued {
                import,
                csr_attributes,
            } => Self {
                identity: IdentityRow::from_summary(&import.identity, now),
                retry_after_secs: None,
                // What the EST server asked for in /csrattrs and the request did not already
                // have: applied (signed again with the same key) or not met, in core's words.
                warnings: import
                    .warnings
                    .iter()
                    .map(|w| w.message.clone())
                    .chain(
                        csr_attributes
                            .iter()
                            .filter(|a| a.status != AttributeStatus::Satisfied)
                            .map(|a| format!("The server asked for {}: {}.", a.name, a.note)),
                    )
                    .collect(),
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

#[cfg(test)]
mod tests {
    //! The practice CA for real: started in-process on loopback, as the app does it.
    use super::*;
    use crate::commands::identities::create_identity;
    use crate::commands::site::check_site_with;
    use crate::view::{NewIdentitySpec, RowStatus, SiteVerdict};
    use certdesk_core::enroll::portal::PortalMode;
    use certdesk_core::vault::{MemoryVault, SecretVault};
    use certdesk_core::wallet::{KeyAccess, KeyProtection};
    use certdesk_flows::limits::SITE_CHECK_TIMEOUT as SITE_CHECK_TIMEOUT_FOR_TEST;

    #[test]
    fn csrattrs_wishes_not_already_met_reach_the_person_as_warnings() {
        use certdesk_core::enroll::est::{CsrAttribute, RequestFix};
        use certdesk_core::wallet::{
            IdentityStatus, IdentitySummary, ImportOutcome, ImportWarning,
        };
        let now = OffsetDateTime::now_utc();
        let wish = |name: &str, status, note: &str| CsrAttribute {
            oid: "1.2.3".into(),
            name: name.into(),
            status,
            note: note.into(),
            fix: None,
        };
        let outcome = EnrollOutcome::Issued {
            import: ImportOutcome {
                identity: IdentitySummary {
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
                },
                warnings: vec![ImportWarning {
                    code: "incomplete_chain".into(),
                    message: "the issuer's certificate was not included".into(),
                }],
                container: certdesk_core::encoding::Container::Pkcs7,
                chain_length: 1,
                already_imported: false,
                replaced_previous: false,
            },
            csr_attributes: vec![
                wish(
                    "an elliptic-curve (ECDSA) key",
                    AttributeStatus::Satisfied,
                    "the request has ECDSA P-256",
                ),
                wish(
                    "key usage extension",
                    AttributeStatus::Applied,
                    "added keyUsage digitalSignature",
                ),
                CsrAttribute {
                    fix: Some(RequestFix::NewKey {
                        key: certdesk_core::key::KeySpec::EcP384,
                    }),
                    ..wish(
                        "ECDSA with SHA-384",
                        AttributeStatus::NotSatisfied,
                        "create a new request with an ECDSA P-384 key",
                    )
                },
            ],
        };
        let result = EnrollResult::from_outcome(&outcome, now);
        assert_eq!(
            result.warnings,
            vec![
                "the issuer's certificate was not included".to_string(),
                "The server asked for key usage extension: added keyUsage digitalSignature.".to_string(),
                "The server asked for ECDSA with SHA-384: create a new request with an ECDSA P-384 key.".to_string(),
            ]
        );
    }

    #[test]
    fn practice_enroll_check_and_renew_with_the_real_practice_ca() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let vault: Arc<dyn SecretVault> = Arc::new(MemoryVault::default());
        let access = KeyAccess {
            vault: Some(Arc::clone(&vault)),
            passphrase: None,
            pin: None,
        };
        let server = certdesk_practice::start(PracticeConfig {
            data_dir: home.path().join("practice"),
            est_port: 0,
            site_port: 0,
            key_access: access.clone(),
            client_validity: certdesk_practice::default_client_validity(),
        })
        .expect("start the practice CA");
        let practice = Practice::default();
        let info = PracticeInfo::from_server(&server);
        *practice.0.lock().expect("lock") = Some(server);
        let handle = practice.handle().expect("running");

        let row = create_identity(
            &wallet,
            &NewIdentitySpec {
                name: "Ada Lovelace".into(),
                email: None,
                organization: None,
                organizational_unit: None,
                key_type: None,
            },
            &KeyProtection::Keyring(Arc::clone(&vault)),
        )
        .expect("create");
        let issued = enroll_with(&wallet, &row.id, handle.prepared(), None).expect("enroll");
        assert_eq!(issued.identity.status, RowStatus::Issued);
        assert_eq!(
            issued.identity.issuer.as_deref(),
            Some(certdesk_practice::CA_COMMON_NAME)
        );

        // The site check trusts the practice CA only for the practice site's address.
        let ca = practice.ca_for(&info.site_url).expect("the practice site");
        assert!(practice.ca_for("https://example.org/").is_none());
        // Issue #12: matched as an origin, not a text prefix (both of these matched before).
        let base = info.site_url.trim_end_matches('/');
        assert!(practice.ca_for(&format!("{base}@evil.example/")).is_none());
        assert!(practice.ca_for(&format!("{base}0/")).is_none());
        assert!(practice.ca_for(&format!("{base}/some/page?x=1")).is_some());
        let accepted = check_site_with(
            &wallet,
            &info.site_url,
            Some(&row.id),
            Some(&access),
            Some(ca.clone()),
        )
        .expect("check");
        assert_eq!(accepted.verdict, SiteVerdict::Accepted, "{accepted:?}");
        assert!(
            accepted
                .page_excerpt
                .as_deref()
                .is_some_and(|p| p.contains("Ada Lovelace")),
            "{accepted:?}"
        );
        // "Copy report for the help desk" carries the whole diagnostic report, with this
        // check in the identity's history, and no key material.
        assert!(
            accepted.report.contains("certdesk diagnostic report")
                && accepted.report.contains("site_check")
                && accepted.report.contains("accepted your certificate"),
            "{}",
            accepted.report
        );
        assert!(!accepted.report.contains("PRIVATE KEY"));
        // Issue #13: the CLI's `certdesk probe --identity` (certdesk_flows::site, which the
        // app's check also calls) keeps the same history event as the app's check.
        let cli = certdesk_flows::site::check_site_recorded(
            &wallet,
            certdesk_flows::site::SiteCheckRequest {
                url: &info.site_url,
                identity: certdesk_flows::site::SiteIdentity::Wallet {
                    id: &row.id,
                    access: &access,
                },
                server_ca_pem: Some(ca.clone()),
                timeout: SITE_CHECK_TIMEOUT_FOR_TEST,
            },
        )
        .expect("the CLI's check");
        assert!(matches!(&cli.recorded, Some((id, Ok(()))) if *id == row.id));
        let checks: Vec<_> = certdesk_core::history::read(&wallet, &row.id)
            .expect("history")
            .into_iter()
            .filter(|e| e.kind == certdesk_core::history::EventKind::SiteCheck)
            .map(|e| (e.via, e.target, e.verdict, e.codes))
            .collect();
        assert_eq!(checks.len(), 2, "{checks:?}");
        assert_eq!(checks[0], checks[1]);
        let refused = check_site_with(&wallet, &info.site_url, None, None, Some(ca))
            .expect("check without a certificate");
        assert_eq!(refused.verdict, SiteVerdict::Rejected, "{refused:?}");
        assert!(refused.findings.iter().all(|f| !f.remedy.is_empty()));

        // Installed in a real Chromium NSS database (created by certutil) before renewing.
        let user_home = home.path().join("user");
        let nssdb = user_home.join(".pki/nssdb");
        std::fs::create_dir_all(&nssdb).expect("mkdir nssdb");
        let created = std::process::Command::new("certutil")
            .args(["-N", "--empty-password", "-d"])
            .arg(format!("sql:{}", nssdb.display()))
            .status()
            .expect("run certutil");
        assert!(created.success(), "certutil -N");
        let chromium = certdesk_store::StoreTarget::Chromium { db: nssdb.clone() };
        let identity = wallet.get(&row.id).expect("get");
        certdesk_store::Handover::new(&wallet, &access)
            .install(&identity, &chromium, None)
            .expect("install into the NSS db");

        let before = wallet.get(&row.id).expect("get");
        let old_chain = before.chain_der().expect("chain");
        let mut steps = Vec::new();
        let renewed = renew_at(
            &wallet,
            &row.id,
            &access,
            Some(&handle),
            Some(&user_home),
            &mut |step| steps.push(step),
        )
        .expect("renew");
        assert_eq!(renewed.enrollment.identity.status, RowStatus::Issued);
        assert_eq!(
            steps,
            [FollowUpStep::UpdatingStores, FollowUpStep::CheckingSites]
        );
        let after = wallet.get(&row.id).expect("get");
        assert_ne!(
            after.certificate_pem, before.certificate_pem,
            "a new certificate replaced the old one"
        );
        assert_eq!(after.previous_certificates.len(), 1, "the old one is kept");

        // The renewal follow-up: the NSS db now holds the new certificate and not the old one.
        assert_eq!(
            renewed.stores,
            vec![StoreUpdate {
                store: "Chromium / Google Chrome".into(),
                error: None
            }]
        );
        let new_sha = certdesk_store::sha256_fingerprint(&after.chain_der().expect("chain")[0]);
        let old_sha = certdesk_store::sha256_fingerprint(&old_chain[0]);
        assert!(certdesk_store::find_installed(&chromium, &new_sha)
            .expect("list")
            .is_some());
        assert!(certdesk_store::find_installed(&chromium, &old_sha)
            .expect("list")
            .is_none());
        // Without a help-desk profile there are no sites to check again.
        assert!(renewed.site_checks.is_empty());
        // Issue #13: the CLI's `certdesk renew` (the same flow, with the recorded target)
        // leaves the same history as the app's renewal: events of one renewal, compared
        // without their time and certificate fingerprint.
        let renewal_events = |wallet: &Wallet, id: &str| -> Vec<_> {
            certdesk_core::history::read(wallet, id)
                .expect("history")
                .into_iter()
                .map(|e| (e.kind, e.via, e.target, e.verdict, e.codes, e.error_kind))
                .collect()
        };
        let after_app = renewal_events(&wallet, &row.id);
        let cli = certdesk_flows::renew::renew_and_follow_up(
            &wallet,
            &row.id,
            &access,
            None,
            None,
            Some(&user_home),
            &mut |_| {},
        )
        .expect("the CLI's renewal");
        assert!(cli.follow_up.is_some());
        let after_cli = renewal_events(&wallet, &row.id);
        let app_part = &after_app[after_app.len() - (after_cli.len() - after_app.len())..];
        assert_eq!(&after_cli[after_app.len()..], app_part);
        assert!(
            app_part
                .iter()
                .any(|e| e.0 == certdesk_core::history::EventKind::Renewed
                    || e.0 == certdesk_core::history::EventKind::Issued),
            "{app_part:?}"
        );

        // The app lists the identity where the flows' one lookup finds it.
        assert_eq!(
            crate::commands::stores::installed_in(&wallet, &user_home, &row.id),
            ["Chromium / Google Chrome"]
        );
    }

    /// What `enroll_portal` prepares from the wizard's fields (before the wallet is touched).
    fn portal_with(
        url: &str,
        upload: PortalUpload,
        field: Option<&str>,
        credentials: Credentials,
        trust_sha256: Option<&str>,
    ) -> Result<Prepared, IpcError> {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let request = EnrollRequest {
            destination: Some(Destination::Portal {
                url: url.into(),
                upload,
                field: field.map(str::to_string),
            }),
            credentials,
            trust: confirmed(trust_sha256.map(str::to_string)),
            timeout_secs: None,
            ca_ident: None,
        };
        Ok(certdesk_flows::enroll::prepare(
            &wallet,
            "01-ada",
            MethodKind::Portal,
            request,
        )?)
    }

    fn portal(url: &str, upload: PortalUpload, field: Option<&str>) -> Result<Prepared, IpcError> {
        portal_with(url, upload, field, Credentials::default(), None)
    }

    #[test]
    fn a_portal_address_that_is_not_https_is_refused_with_a_hint() {
        for url in [
            "http://ca.example.edu/submit",
            "ca.example.edu/submit",
            "ftp://ca.example.edu/",
            "https://",
            "",
        ] {
            let error = portal(url, PortalUpload::Form, Some("csr")).expect_err(url);
            assert_eq!(error.kind, IpcErrorKind::InvalidInput, "{url}: {error:?}");
            assert!(error.hint.is_some(), "{url}: {error:?}");
        }
        let http = portal("http://ca.example.edu/submit", PortalUpload::Form, None)
            .expect_err("plain http");
        assert!(http.message.contains("https://"), "{http:?}");
        let prepared = portal(" https://ca.example.edu/submit ", PortalUpload::Form, None)
            .expect("https is fine");
        assert_eq!(
            prepared.target.method,
            EnrollMethod::Portal {
                url: "https://ca.example.edu/submit".into(),
                mode: PortalMode::Form {
                    field: "csr".into()
                },
            }
        );
        assert_eq!(prepared.target.auth, AuthSettings::None);
        assert!(prepared.secret.is_none());
        assert_eq!(
            prepared.target.timeout_secs,
            certdesk_flows::limits::ENROLL_TIMEOUT_SECS
        );
    }

    #[test]
    fn upload_ways_map_to_portal_modes_and_bad_ones_are_invalid_input() {
        let mode = |upload, field: Option<&str>| {
            portal("https://ca.example.edu/submit", upload, field).map(|p| match p.target.method {
                EnrollMethod::Portal { mode, .. } => mode,
                other => panic!("not a portal: {other:?}"),
            })
        };
        assert_eq!(
            mode(PortalUpload::Multipart, None).expect("multipart"),
            PortalMode::Multipart {
                field: "file".into()
            }
        );
        assert_eq!(
            mode(PortalUpload::Form, Some(" CertRequest ")).expect("form"),
            PortalMode::Form {
                field: "CertRequest".into()
            }
        );
        assert_eq!(
            mode(PortalUpload::Pem, None).expect("pem"),
            PortalMode::RawPem
        );
        assert_eq!(
            mode(PortalUpload::Der, Some("ignored")).expect("der"),
            PortalMode::RawDer
        );
        // An unknown way cannot cross IPC at all: the argument is the shared enum.
        assert!(serde_json::from_str::<PortalUpload>("\"fax\"").is_err());
        assert_eq!(
            serde_json::from_str::<PortalUpload>("\"multipart\"").expect("the UI's spelling"),
            PortalUpload::Multipart
        );
        let bad_field =
            mode(PortalUpload::Form, Some("my field")).expect_err("a space in a field name");
        assert_eq!(bad_field.kind, IpcErrorKind::InvalidInput, "{bad_field:?}");
        assert!(bad_field.message.contains("my field"), "{bad_field:?}");
    }

    #[test]
    fn portal_credentials_are_basic_or_bearer_never_both() {
        let fingerprint = "ab".repeat(32);
        let target = |user: Option<&str>, code: Option<&str>, token: Option<&str>| {
            portal_with(
                "https://ca.example.edu/submit",
                PortalUpload::Form,
                Some("csr"),
                Credentials {
                    user: user.map(str::to_string),
                    code: code.map(SecretString::new),
                    token: token.map(SecretString::new),
                },
                Some(&fingerprint),
            )
        };
        let basic = target(Some(" ada "), Some("pw"), None).expect("basic");
        assert_eq!(
            basic.target.auth,
            AuthSettings::Basic { user: "ada".into() }
        );
        assert_eq!(
            basic.secret.map(|s| s.expose().to_string()).as_deref(),
            Some("pw")
        );
        // The confirmed fingerprint is recorded normalised, as the CLI records it.
        assert_eq!(
            basic.target.trust.pinned_sha256.as_deref(),
            Some(["AB"; 32].join(":").as_str())
        );
        let bearer = target(None, None, Some("tok")).expect("bearer");
        assert_eq!(bearer.target.auth, AuthSettings::Bearer);
        assert_eq!(
            bearer.secret.map(|s| s.expose().to_string()).as_deref(),
            Some("tok")
        );
        // Issue #13: a code without a user name now goes with an empty one, as in the CLI
        // (the app used to send no credentials at all then).
        let code_only = target(None, Some("c0de"), None).expect("code alone");
        assert_eq!(
            code_only.target.auth,
            AuthSettings::Basic {
                user: String::new()
            }
        );
        for (user, code, token) in [
            (Some("ada"), Some("pw"), Some("tok")),
            (Some("ada"), None, None),
        ] {
            let error = target(user, code, token).expect_err("ambiguous or incomplete");
            assert_eq!(error.kind, IpcErrorKind::InvalidInput, "{error:?}");
            assert!(error.hint.is_some(), "{error:?}");
        }
    }

    #[test]
    fn enrolling_without_a_running_practice_ca_is_an_error_with_a_hint() {
        let practice = Practice::default();
        assert!(practice.handle().is_none());
        assert!(practice.ca_for("https://127.0.0.1:1/").is_none());
    }
}
