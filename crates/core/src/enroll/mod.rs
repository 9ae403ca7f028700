//! Enrollment: a pending request from the wallet becomes a certificate through an EST server
//! (RFC 7030), a SCEP server (RFC 8894), a "paste or upload your CSR" portal, or an email to an
//! administrator.
//!
//! The protocol logic is pure ([`est`], [`scep`], [`portal`], [`email`]); this module runs the exchange
//! through [`crate::transport`] and keeps `enrollment.json` beside the identity, written before
//! every attempt and after every answer, so that a pending request survives a crash or a closed
//! app: [`resume`] carries on from what is recorded. The request's key never leaves the wallet;
//! only the CSR travels (and, for renewal, the key signs the TLS handshake in this process).
//!
//! An enrollment code or password is never written to disk. When an OS keyring is available it
//! is kept there until the certificate arrives (so polling can resume after a restart), else
//! the person gives it again.

pub mod email;
pub mod est;
pub mod portal;
pub mod scep;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use time::OffsetDateTime;

use crate::fsutil::{write_atomic, FileMode};
use crate::history::{self, EventKind, HistoryEvent};
use crate::key::KeySpec;
use crate::secret::SecretString;
use crate::transport::{self, HttpAuth, HttpRequest, ServerTrust};
use crate::vault::SecretVault;
use crate::wallet::{IdentityStatus, IdentitySummary, ImportOutcome, KeyAccess, Wallet};
use crate::{Error, Result};

use est::{CsrAttribute, EnrollAnswer, EstOperation};
use portal::PortalMode;

const STATE_FILE: &str = "enrollment.json";

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum EnrollMethod {
    /// An EST server; `base` is `https://host/.well-known/est[/label]` (see [`est::est_base`]).
    Est {
        /// The EST base address.
        base: String,
    },
    /// A web page that takes the CSR in a POST and answers with the certificate.
    Portal {
        /// The address the form posts to.
        url: String,
        /// How the CSR is packed.
        mode: PortalMode,
    },
    /// A SCEP server (RFC 8894); `url` is the operation address without `?operation=…`
    /// (see [`scep::scep_url`]).
    Scep {
        /// The SCEP address (`http://` allowed, see [`scep`]).
        url: String,
        /// The SCEP CA certificate's confirmed SHA-256 fingerprint (colon hex): over plain
        /// http:// the CA is used only when it matches.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ca_sha256: Option<String>,
        /// The CA identifier sent with GetCACert (`message=`), for servers hosting several CAs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ca_ident: Option<String>,
    },
}

impl EnrollMethod {
    /// The address shown to people.
    pub fn url(&self) -> &str {
        match self {
            EnrollMethod::Est { base } => base,
            EnrollMethod::Portal { url, .. } => url,
            EnrollMethod::Scep { url, .. } => url,
        }
    }
}

/// How the server's certificate is checked, as recorded (no secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustSettings {
    /// CA certificates (PEM) trusted instead of the OS roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
    /// A confirmed SHA-256 fingerprint (colon hex) of the server's CA or certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_sha256: Option<String>,
    /// No verification at all: only from an explicit `--insecure`.
    #[serde(default)]
    pub insecure: bool,
}

impl TrustSettings {
    fn to_transport(&self) -> Result<ServerTrust> {
        Ok(ServerTrust {
            ca_pem: self.ca_pem.as_ref().map(|p| p.as_bytes().to_vec()),
            pinned_sha256: self
                .pinned_sha256
                .as_deref()
                .map(transport::parse_fingerprint)
                .transpose()?,
            insecure_skip_verify: self.insecure,
        })
    }
}

/// Which credentials the server takes (the secret itself is passed separately).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AuthSettings {
    /// None.
    #[default]
    None,
    /// HTTP Basic: this user name and an enrollment code or password.
    Basic {
        /// User name.
        user: String,
    },
    /// A bearer token.
    Bearer,
}

/// Everything needed to send a request somewhere, except the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollTarget {
    /// EST or portal, with its address.
    #[serde(flatten)]
    pub method: EnrollMethod,
    /// Server certificate trust.
    #[serde(default)]
    pub trust: TrustSettings,
    /// Credentials kind.
    #[serde(default)]
    pub auth: AuthSettings,
    /// Limit for connecting and each read, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_timeout_secs() -> u64 {
    transport::DEFAULT_TIMEOUT.as_secs()
}

/// Which operation the recorded state is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollOperation {
    /// First certificate (EST simpleenroll or a portal upload).
    Enroll,
    /// Renewal with the current certificate (EST simplereenroll).
    Renew,
}

/// Where an enrollment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollStatus {
    /// A request is being sent (if this survives a restart, the answer was lost: resume).
    Sending,
    /// The server accepted the request for manual approval; ask again later.
    Pending,
    /// The certificate arrived and is in the wallet.
    Issued,
    /// The last attempt failed; the request is kept and can be sent again.
    Failed,
}

/// An error as recorded for later display (message and hint, no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedError {
    /// [`crate::ErrorKind::as_str`].
    pub kind: String,
    /// The message.
    pub message: String,
    /// The hint, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl From<&Error> for RecordedError {
    fn from(e: &Error) -> Self {
        RecordedError {
            kind: e.kind().as_str().to_string(),
            message: e.to_string(),
            hint: e.hint(),
        }
    }
}

/// The recorded enrollment of one identity (`enrollment.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentState {
    /// Record format version.
    pub format: u32,
    /// Where the request goes.
    pub target: EnrollTarget,
    /// First certificate or renewal.
    pub operation: EnrollOperation,
    /// Where it stands.
    pub status: EnrollStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// Last attempt.
    #[serde(with = "time::serde::rfc3339")]
    pub last_attempt: OffsetDateTime,
    /// When to ask again (pending only).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_attempt: Option<OffsetDateTime>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<RecordedError>,
    /// True while the code or password waits in the OS keyring for a resumed attempt.
    #[serde(default)]
    pub credential_in_keyring: bool,
    /// What the EST server asked for in `/csrattrs`, compared with the request (`applied`:
    /// the request was signed again with its key to meet it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub csr_attributes: Vec<CsrAttribute>,
    /// A SCEP transaction in flight: what a CertPoll needs (never the challenge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scep: Option<ScepTransaction>,
}

/// What a SCEP poll needs, recorded before the request is sent (no secrets: the challenge is
/// only inside the encrypted envelope, never here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScepTransaction {
    /// The transactionID.
    pub transaction_id: String,
    /// The GetCACert certificates (PEM), CA first as picked.
    pub ca_pem: String,
    /// SHA-256 of the CA certificate used.
    pub ca_sha256: String,
    /// Which CA/RA certificates were used, in words.
    pub note: String,
    /// The server offers POSTPKIOperation.
    pub post: bool,
    /// The server offers AES.
    pub aes: bool,
    /// The server offers SHA-256.
    pub sha256: bool,
    /// RenewalReq (not PKCSReq) was sent.
    pub renewal: bool,
    /// The server answered PENDING: the next attempt is a CertPoll.
    #[serde(default)]
    pub pending: bool,
}

/// The result of an enrollment attempt that did not fail.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum EnrollOutcome {
    /// The certificate arrived and is stored.
    Issued {
        /// The import result (identity, warnings, chain length).
        import: ImportOutcome,
        /// What the server asked for in `/csrattrs` and whether the request met it.
        csr_attributes: Vec<CsrAttribute>,
    },
    /// The server holds the request for approval.
    Pending {
        /// The identity (still waiting).
        identity: IdentitySummary,
        /// When certdesk will ask again.
        #[serde(with = "time::serde::rfc3339")]
        next_attempt: OffsetDateTime,
        /// The server's Retry-After, in seconds.
        retry_after_secs: u64,
    },
    /// Nothing to do: the identity already has its certificate (e.g. imported by hand).
    AlreadyIssued {
        /// The identity.
        identity: IdentitySummary,
    },
}

/// The enrollment target a help-desk profile describes (EST or portal; an email profile has
/// none). The profile's CA pin becomes the trust pin; its fixed user name, if any, the user.
pub fn target_from_profile(profile: &crate::profile::Profile) -> Result<Option<EnrollTarget>> {
    use crate::profile::{AuthKind, EnrollMethod as P};
    let method = match &profile.enroll.method {
        P::Est { url, label } => EnrollMethod::Est {
            base: est::est_base(url, label.as_deref())?,
        },
        P::Portal { url, field, upload } => EnrollMethod::Portal {
            url: url.clone(),
            mode: PortalMode::new(*upload, field.as_deref())?,
        },
        P::Scep { url, ca_ident } => {
            // The profile's pin is the SCEP CA's fingerprint here, not a TLS pin.
            return Ok(Some(EnrollTarget {
                method: EnrollMethod::Scep {
                    url: scep::scep_url(url)?,
                    ca_sha256: profile.enroll.ca_sha256.clone(),
                    ca_ident: ca_ident.clone(),
                },
                trust: TrustSettings::default(),
                auth: AuthSettings::None,
                timeout_secs: default_timeout_secs(),
            }));
        }
        P::Email { .. } => return Ok(None),
    };
    let auth = match profile.enroll.auth {
        AuthKind::None => AuthSettings::None,
        AuthKind::Token => AuthSettings::Bearer,
        AuthKind::OneTimeCode | AuthKind::Password => AuthSettings::Basic {
            user: profile.enroll.username.clone().unwrap_or_default(),
        },
    };
    Ok(Some(EnrollTarget {
        method,
        trust: TrustSettings {
            ca_pem: None,
            pinned_sha256: profile.enroll.ca_sha256.clone(),
            // A profile can never turn verification off (see crate::profile).
            insecure: false,
        },
        auth,
        timeout_secs: default_timeout_secs(),
    }))
}

/// The recorded enrollment of an identity, if any.
pub fn enrollment_state(wallet: &Wallet, id: &str) -> Result<Option<EnrollmentState>> {
    let identity = wallet.get(id)?;
    let path = wallet.identity_dir(&identity.id).join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::CorruptWallet {
                path,
                detail: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path)(e)),
    }
}

fn save_state(wallet: &Wallet, id: &str, state: &EnrollmentState) -> Result<()> {
    let json = serde_json::to_vec_pretty(state)
        .map_err(|e| Error::crypto("serialise the enrollment state", e))?;
    write_atomic(
        &wallet.identity_dir(id).join(STATE_FILE),
        &json,
        FileMode::Private,
    )
}

/// Requests and codes travel encrypted only: an upload page must be `https://` (EST bases are
/// checked when they are built, see [`est::est_base`]).
fn check_target(target: &EnrollTarget) -> Result<()> {
    match &target.method {
        EnrollMethod::Portal { url, .. } => {
            crate::weburl::WebUrl::parse(url, crate::weburl::UrlUse::Enrollment).map(|_| ())
        }
        EnrollMethod::Scep { url, ca_sha256, .. } => {
            scep::scep_url(url)?;
            if let Some(pin) = ca_sha256 {
                transport::parse_fingerprint(pin)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The history is a help for people reading a report later; failing to write it must not
/// fail an enrollment whose certificate is already stored.
fn note(wallet: &Wallet, id: &str, event: HistoryEvent) {
    let _ = history::record(wallet, id, &event);
}

/// The keyring entry that holds a pending enrollment's code or password.
pub(crate) fn vault_entry(id: &str) -> String {
    format!("enroll-{id}")
}

fn auth_for(settings: &AuthSettings, secret: Option<&SecretString>) -> Result<HttpAuth> {
    Ok(match (settings, secret) {
        (AuthSettings::None, _) => HttpAuth::None,
        (AuthSettings::Basic { user }, Some(s)) => HttpAuth::Basic {
            user: user.clone(),
            password: s.clone(),
        },
        (AuthSettings::Bearer, Some(s)) => HttpAuth::Bearer(s.clone()),
        (AuthSettings::Basic { .. }, None) => {
            return Err(Error::invalid(
                "enrollment code",
                "this server needs the enrollment code or password; give it with --password-file",
            ))
        }
        (AuthSettings::Bearer, None) => {
            return Err(Error::invalid(
                "token",
                "this server needs the access token; give it with --token-file",
            ))
        }
    })
}

/// What can unlock the request's key during an enrollment, borrowed.
#[derive(Clone, Copy, Default)]
struct Unlock<'a> {
    vault: Option<&'a dyn SecretVault>,
    passphrase: Option<&'a SecretString>,
}

impl<'a> Unlock<'a> {
    fn new(access: Option<&'a KeyAccess>, vault: Option<&'a dyn SecretVault>) -> Unlock<'a> {
        Unlock {
            vault: access.and_then(|a| a.vault.as_deref()).or(vault),
            passphrase: access.and_then(|a| a.passphrase.as_ref()),
        }
    }
}

/// Sends the pending request of identity `id` to `target`.
///
/// `secret` is the enrollment code, password or token (by `target.auth`). With `vault`, it is
/// kept in the OS keyring until the certificate arrives so that [`resume`] can poll after a
/// restart. On failure the request stays pending and the failure is recorded.
///
/// `vault` also unlocks a keyring-protected key when the EST server's `/csrattrs` wishes can be
/// met by signing the request again (see [`enroll_with_access`], which takes a passphrase too).
pub fn enroll(
    wallet: &Wallet,
    id: &str,
    target: EnrollTarget,
    secret: Option<SecretString>,
    vault: Option<&dyn SecretVault>,
) -> Result<EnrollOutcome> {
    enroll_with_access(wallet, id, target, secret, vault, None)
}

/// [`enroll`], with `access` to unlock the request's key (keyring or passphrase). When an EST
/// server asks in `/csrattrs` for something the request's own key can give (an RSA request
/// signed with SHA-384/-512, keyUsage digitalSignature, extKeyUsage clientAuth, the email
/// subjectAltName), the request is signed again with the same key and subject and stored in
/// the wallet (atomically: the old request or the new one, never neither) before it is sent;
/// those wishes are reported `applied`. Without a way to unlock the key they stay
/// `not_satisfied`, with the reason.
pub fn enroll_with_access(
    wallet: &Wallet,
    id: &str,
    target: EnrollTarget,
    secret: Option<SecretString>,
    vault: Option<&dyn SecretVault>,
    access: Option<&KeyAccess>,
) -> Result<EnrollOutcome> {
    let identity = wallet.get(id)?;
    if identity.status == IdentityStatus::Issued {
        return Ok(EnrollOutcome::AlreadyIssued {
            identity: identity.summary()?,
        });
    }
    check_target(&target)?;
    let auth = auth_for(&target.auth, secret.as_ref())?;
    let mut credential_in_keyring = false;
    if let (Some(secret), Some(vault)) = (&secret, vault) {
        // Best effort: without it, a resumed poll asks for the code again.
        credential_in_keyring = vault
            .store(&vault_entry(&identity.id), secret.expose().as_bytes())
            .is_ok();
    }
    let previous = enrollment_state(wallet, &identity.id)?;
    let state = EnrollmentState {
        format: 1,
        target,
        operation: EnrollOperation::Enroll,
        status: EnrollStatus::Sending,
        attempts: previous.map(|p| p.attempts).unwrap_or(0),
        last_attempt: OffsetDateTime::now_utc(),
        next_attempt: None,
        last_error: None,
        credential_in_keyring,
        csr_attributes: Vec::new(),
        scep: None,
    };
    attempt(
        wallet,
        &identity.id,
        state,
        auth,
        None,
        vault,
        Unlock::new(access, vault),
        secret.as_ref(),
    )
}

/// Asks again for a pending (or failed, or interrupted) enrollment, with the recorded target.
/// `secret` overrides the code kept in the keyring; `access` unlocks the key for a renewal.
pub fn resume(
    wallet: &Wallet,
    id: &str,
    secret: Option<SecretString>,
    vault: Option<&dyn SecretVault>,
    access: Option<&KeyAccess>,
) -> Result<EnrollOutcome> {
    let identity = wallet.get(id)?;
    let Some(state) = enrollment_state(wallet, &identity.id)? else {
        return Err(Error::invalid(
            "identity",
            format!(
                "{} was never sent to an enrollment server; use `certdesk enroll est`, `certdesk enroll scep` or `certdesk enroll portal` first",
                identity.id
            ),
        ));
    };
    if state.operation == EnrollOperation::Enroll && identity.status == IdentityStatus::Issued {
        let mut done = state;
        done.status = EnrollStatus::Issued;
        save_state(wallet, &identity.id, &done)?;
        return Ok(EnrollOutcome::AlreadyIssued {
            identity: identity.summary()?,
        });
    }
    let secret = match (secret, vault, state.credential_in_keyring) {
        (Some(s), _, _) => Some(s),
        (None, Some(v), true) => match v.load(&vault_entry(&identity.id)) {
            Ok(bytes) => Some(SecretString::new(
                String::from_utf8_lossy(&bytes).into_owned(),
            )),
            Err(_) => None,
        },
        _ => None,
    };
    let auth = match state.operation {
        // Re-enrollment authenticates with the certificate; Basic is optional there.
        EnrollOperation::Renew => auth_for(&state.target.auth, secret.as_ref()).unwrap_or_default(),
        EnrollOperation::Enroll => auth_for(&state.target.auth, secret.as_ref())?,
    };
    let client = match state.operation {
        EnrollOperation::Renew => {
            let access = access.ok_or_else(|| Error::PassphraseRequired {
                id: identity.id.clone(),
            })?;
            Some(wallet.client_identity(&identity.id, access)?)
        }
        EnrollOperation::Enroll => None,
    };
    attempt(
        wallet,
        &identity.id,
        state,
        auth,
        client.as_ref(),
        vault,
        Unlock::new(access, vault),
        secret.as_ref(),
    )
}

/// Renews an issued identity through EST `simplereenroll`, authenticated over TLS with its
/// current certificate (RFC 7030 §4.2.2), with the same key and subject. The new certificate
/// replaces the old one only once it is stored; the old one moves to the identity's previous
/// certificates. `target` overrides the recorded EST server.
pub fn renew(
    wallet: &Wallet,
    id: &str,
    access: &KeyAccess,
    target: Option<EnrollTarget>,
    secret: Option<SecretString>,
) -> Result<EnrollOutcome> {
    let identity = wallet.get(id)?;
    if identity.status != IdentityStatus::Issued {
        return Err(Error::NotIssued { id: identity.id });
    }
    let recorded = enrollment_state(wallet, &identity.id)?;
    let target = match (target, recorded.as_ref()) {
        (Some(t), _) => t,
        (None, Some(r)) => r.target.clone(),
        (None, None) => {
            return Err(Error::invalid(
                "identity",
                format!(
                    "{} did not come from an EST server, so certdesk does not know where to renew it; give --url, or create a new request",
                    identity.id
                ),
            ))
        }
    };
    if !matches!(
        target.method,
        EnrollMethod::Est { .. } | EnrollMethod::Scep { .. }
    ) {
        return Err(Error::invalid(
            "identity",
            "renewal needs an EST or SCEP server; for a portal or email, create a new request (`certdesk request new`)",
        ));
    }
    let scep = matches!(target.method, EnrollMethod::Scep { .. });
    let auth = auth_for(&target.auth, secret.as_ref()).unwrap_or_default();
    // SCEP signs the RenewalReq with the key in this process; EST proves it in the TLS
    // handshake.
    let client = if scep {
        None
    } else {
        Some(wallet.client_identity(&identity.id, access)?)
    };
    let state = EnrollmentState {
        format: 1,
        target,
        operation: EnrollOperation::Renew,
        status: EnrollStatus::Sending,
        attempts: 0,
        last_attempt: OffsetDateTime::now_utc(),
        next_attempt: None,
        last_error: None,
        credential_in_keyring: false,
        csr_attributes: Vec::new(),
        scep: None,
    };
    attempt(
        wallet,
        &identity.id,
        state,
        auth,
        client.as_ref(),
        None,
        Unlock::new(Some(access), None),
        secret.as_ref(),
    )
}

/// Identities whose enrollment waits for a poll, with the time it is due.
pub fn pending_enrollments(wallet: &Wallet) -> Result<Vec<(String, OffsetDateTime)>> {
    let mut out = Vec::new();
    for identity in wallet.identities()? {
        if let Some(state) = enrollment_state(wallet, &identity.id)? {
            if state.status == EnrollStatus::Pending {
                out.push((
                    identity.id.clone(),
                    state.next_attempt.unwrap_or(state.last_attempt),
                ));
            }
        }
    }
    Ok(out)
}

/// The email hand-off for a pending identity (see [`email`]).
pub fn email_request(wallet: &Wallet, id: &str, to: Option<&str>) -> Result<email::EmailHandoff> {
    let identity = wallet.get(id)?;
    let csr = identity.csr()?.ok_or_else(|| {
        Error::invalid(
            "identity",
            format!(
                "{} has no request (it was imported with its certificate)",
                identity.id
            ),
        )
    })?;
    let requester = identity
        .requested_subject
        .as_ref()
        .map(|s| s.common_name.clone())
        .unwrap_or_else(|| identity.label.clone());
    let subject_dn = identity
        .requested_subject
        .as_ref()
        .map(|s| s.to_dn_string())
        .unwrap_or_else(|| identity.label.clone());
    email::email_handoff(
        &email::EmailSpec {
            to,
            requester: &requester,
            label: &identity.label,
            key_description: identity.key_type.describe(),
            csr: &csr,
            subject_dn: &subject_dn,
        },
        OffsetDateTime::now_utc(),
        &rand::random(),
    )
}

// The SCEP challenge travels apart from `auth`: it goes inside the encrypted envelope, never
// into an HTTP header.
#[allow(clippy::too_many_arguments)]
fn attempt(
    wallet: &Wallet,
    id: &str,
    mut state: EnrollmentState,
    auth: HttpAuth,
    client: Option<&crate::probe::ClientIdentity>,
    vault: Option<&dyn SecretVault>,
    unlock: Unlock<'_>,
    challenge: Option<&SecretString>,
) -> Result<EnrollOutcome> {
    state.status = EnrollStatus::Sending;
    state.attempts += 1;
    state.last_attempt = OffsetDateTime::now_utc();
    save_state(wallet, id, &state)?;
    let via = match state.target.method {
        EnrollMethod::Est { .. } => "est",
        EnrollMethod::Portal { .. } => "portal",
        EnrollMethod::Scep { .. } => "scep",
    };
    let url = state.target.method.url().to_string();
    note(
        wallet,
        id,
        HistoryEvent::now(EventKind::EnrollAttempt)
            .via(via)
            .target(&url),
    );
    let result = exchange(wallet, id, &mut state, &auth, client, unlock, challenge);
    note(
        wallet,
        id,
        match &result {
            Ok(EnrollOutcome::Issued { import, .. }) => {
                let kind = match state.operation {
                    EnrollOperation::Enroll => EventKind::Issued,
                    EnrollOperation::Renew => EventKind::Renewed,
                };
                let mut e = HistoryEvent::now(kind).via(via).target(&url);
                e.certificate_sha256 = wallet
                    .get(&import.identity.id)
                    .ok()
                    .and_then(|i| i.certificate_info().ok().flatten())
                    .map(|c| c.sha256);
                e
            }
            Ok(EnrollOutcome::Pending {
                retry_after_secs, ..
            }) => HistoryEvent::now(EventKind::Pending)
                .via(via)
                .target(&url)
                .message(format!(
                "the server holds the request for approval; asking again in {retry_after_secs} s"
            )),
            Ok(EnrollOutcome::AlreadyIssued { .. }) => {
                HistoryEvent::now(EventKind::Issued).via(via).target(&url)
            }
            Err(e) => HistoryEvent::enroll_failed(e).via(via).target(&url),
        },
    );
    match &result {
        Ok(EnrollOutcome::Pending { next_attempt, .. }) => {
            state.status = EnrollStatus::Pending;
            state.next_attempt = Some(*next_attempt);
            state.last_error = None;
        }
        Ok(_) => {
            state.status = EnrollStatus::Issued;
            state.next_attempt = None;
            state.last_error = None;
            if state.credential_in_keyring {
                if let Some(v) = vault {
                    let _ = v.delete(&vault_entry(id));
                }
                state.credential_in_keyring = false;
            }
        }
        Err(e) => {
            state.status = EnrollStatus::Failed;
            state.last_error = Some(RecordedError::from(e));
            // A code the server refused will never work again: do not keep it (issue #12).
            let refused = matches!(
                e,
                Error::AuthenticationFailed {
                    sent_credentials: true,
                    ..
                } | Error::EnrollmentForbidden { .. }
                    | Error::ScepFailure {
                        info: scep::FailInfo::BadRequest,
                        ..
                    }
            );
            if refused && state.credential_in_keyring {
                if let Some(v) = vault {
                    let _ = v.delete(&vault_entry(id));
                }
                state.credential_in_keyring = false;
            }
        }
    }
    // The outcome matters more than its record: report a failed write only when the exchange
    // itself succeeded.
    let saved = save_state(wallet, id, &state);
    let outcome = result?;
    saved?;
    Ok(outcome)
}

/// Meets what the request's own key can meet of `wishes` (see [`enroll_with_access`]):
/// signs the request again and stores it before it is sent, records the judged wishes in
/// `state`, and returns the request to send.
fn apply_csr_wishes(
    wallet: &Wallet,
    identity: &crate::wallet::Identity,
    csr: crate::csr::Csr,
    wishes: &[est::CsrWish],
    state: &mut EnrollmentState,
    unlock: Unlock<'_>,
) -> Result<crate::csr::Csr> {
    let has_email = identity
        .requested_subject
        .as_ref()
        .is_some_and(|s| s.email.is_some());
    let facts = est::RequestFacts::from_csr(
        &csr.facts()?,
        identity.key_type,
        has_email,
        identity.requested_subject.is_some(),
    );
    let mut plan = est::plan_csr_changes(wishes, &facts);
    let mut out = csr;
    if let Some(signature) = plan.resign {
        match wallet.resign_request_with(&identity.id, unlock.vault, unlock.passphrase, signature) {
            Ok(updated) => {
                if let Some(new) = updated.csr()? {
                    out = new;
                }
            }
            Err(e @ (Error::PassphraseRequired { .. } | Error::NoKeyring { .. })) => {
                plan.not_applied(&format!("the key could not be unlocked here ({e})"))
            }
            Err(e) => plan.not_applied(&format!("signing it again failed ({e})")),
        }
    }
    state.csr_attributes = plan.attributes;
    // Recorded before the request goes out, so that a report after a crash shows it.
    save_state(wallet, &identity.id, state)?;
    Ok(out)
}

/// The key type an EST server asks for in `/csrattrs` (see [`est::key_type_from_wishes`]),
/// asked before a request exists so that its key can be made to fit. Uses the target's trust
/// settings with a short timeout (at most 10 s). A portal target, a failed connection, an
/// answer other than 200, an unreadable answer, or wishes naming no key type certdesk makes
/// all give `None`: the request is then made as usual. An error only for trust settings that
/// cannot be used at all (a malformed fingerprint).
pub fn key_type_wanted(target: &EnrollTarget) -> Result<Option<KeySpec>> {
    let EnrollMethod::Est { base } = &target.method else {
        return Ok(None);
    };
    let url = est::operation_url(base, EstOperation::CsrAttrs);
    let request = HttpRequest {
        trust: target.trust.to_transport()?,
        timeout: Duration::from_secs(target.timeout_secs.clamp(1, 10)),
        ..HttpRequest::get(url.clone())
    };
    Ok(match transport::send(&request) {
        Ok(r) if r.status == 200 => est::parse_csr_attrs(&r.body, &url)
            .ok()
            .and_then(|w| est::key_type_from_wishes(&w)),
        _ => None,
    })
}

/// The key type a profile's EST server asks for in `/csrattrs`, and whether the profile allows
/// it ([`key_type_wanted`] through the profile's own address and pin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKeyWish {
    /// What the server asks for.
    pub key: KeySpec,
    /// Whether the profile's allowed key types include it (if not, the profile's default is
    /// used and the server may refuse the request).
    pub allowed: bool,
    /// The `/csrattrs` address asked.
    pub url: String,
}

/// Asks the EST server of `profile` which key type it wants, before a request is made from
/// the profile. `None` for a portal or email profile, or when the server names no key type
/// (or cannot be asked: see [`key_type_wanted`]).
pub fn profile_key_wish(profile: &crate::profile::Profile) -> Option<ServerKeyWish> {
    let target = target_from_profile(profile).ok()??;
    let key = key_type_wanted(&target).ok()??;
    let EnrollMethod::Est { base } = &target.method else {
        return None;
    };
    Some(ServerKeyWish {
        key,
        allowed: profile.allowed_keys.contains(&key),
        url: est::operation_url(base, EstOperation::CsrAttrs),
    })
}

#[allow(clippy::too_many_arguments)]
fn exchange(
    wallet: &Wallet,
    id: &str,
    state: &mut EnrollmentState,
    auth: &HttpAuth,
    client: Option<&crate::probe::ClientIdentity>,
    unlock: Unlock<'_>,
    challenge: Option<&SecretString>,
) -> Result<EnrollOutcome> {
    let identity = wallet.get(id)?;
    let mut csr = identity.csr()?.ok_or_else(|| {
        Error::invalid(
            "identity",
            format!(
                "{} has no request to send (it was imported with its certificate)",
                identity.id
            ),
        )
    })?;
    let trust = state.target.trust.to_transport()?;
    let timeout = Duration::from_secs(state.target.timeout_secs.max(1));
    let sent_credentials = !matches!(auth, HttpAuth::None);
    let now = OffsetDateTime::now_utc();
    let request = |method_url: String| HttpRequest {
        trust: trust.clone(),
        timeout,
        client_identity: client,
        ..HttpRequest::get(method_url)
    };
    let method = state.target.method.clone();
    let (answer, extra_certs, url) = match &method {
        EnrollMethod::Est { base } => {
            // cacerts first: it proves the address and the server's trust before the one-time
            // code is spent, and supplies the issuing chain (simpleenroll answers with the leaf).
            let cacerts_url = est::operation_url(base, EstOperation::CaCerts);
            let cacerts = transport::send(&request(cacerts_url.clone()))?;
            let ca_certs = match cacerts.status {
                200 => crate::encoding::read_certificates(&cacerts.body, &cacerts_url)
                    .map(|(c, _, _)| c)
                    .unwrap_or_default(),
                404 => {
                    return Err(Error::NoServiceAtUrl {
                        service: "EST service".into(),
                        url: base.clone(),
                    })
                }
                // Some servers protect cacerts; the chain is then completed from the reply only.
                _ => Vec::new(),
            };
            if state.operation == EnrollOperation::Enroll && state.csr_attributes.is_empty() {
                let attrs_url = est::operation_url(base, EstOperation::CsrAttrs);
                if let Ok(r) = transport::send(&request(attrs_url.clone())) {
                    if r.status == 200 {
                        if let Ok(wishes) = est::parse_csr_attrs(&r.body, &attrs_url) {
                            csr = apply_csr_wishes(wallet, &identity, csr, &wishes, state, unlock)?;
                        }
                    }
                }
            }
            let op = match state.operation {
                EnrollOperation::Enroll => EstOperation::SimpleEnroll,
                EnrollOperation::Renew => EstOperation::SimpleReenroll,
            };
            let url = est::operation_url(base, op);
            let mut post = request(url.clone());
            post.method = transport::Method::Post;
            post.headers = est::enroll_headers();
            post.body = est::csr_body(csr.der());
            post.auth = auth.clone();
            let response = transport::send(&post)?;
            (
                est::read_enroll_answer(&response, &url, sent_credentials, now)?,
                ca_certs,
                url,
            )
        }
        EnrollMethod::Portal { url, mode } => {
            let (content_type, body) = portal::portal_body(mode, &csr, &rand::random());
            let mut post = request(url.clone());
            post.method = transport::Method::Post;
            post.headers = vec![
                ("Content-Type".into(), content_type),
                (
                    "Accept".into(),
                    "application/pkcs7-mime, application/x-pem-file, application/pkix-cert, */*;q=0.5".into(),
                ),
            ];
            post.body = body;
            post.auth = auth.clone();
            let response = transport::send(&post)?;
            (
                EnrollAnswer::Issued(portal::read_portal_answer(
                    &response,
                    url,
                    sent_credentials,
                )?),
                Vec::new(),
                url.clone(),
            )
        }
        EnrollMethod::Scep { .. } => {
            return scep_exchange(wallet, id, state, unlock, challenge);
        }
    };
    match answer {
        EnrollAnswer::Pending(wait) => {
            let next = now + wait;
            Ok(EnrollOutcome::Pending {
                identity: identity.summary()?,
                next_attempt: next,
                retry_after_secs: wait.as_secs(),
            })
        }
        EnrollAnswer::Issued(body) => {
            let (mut certs, _, _) = crate::encoding::read_certificates(&body, &url)?;
            certs.extend(extra_certs);
            let bundle = crate::encoding::build_pkcs7(&certs)?;
            let import = wallet
                .import_certificate(&bundle, &url, Some(&identity.id))
                .map_err(|e| match e {
                    Error::CertDoesNotMatchKey { subject, .. } => {
                        Error::WrongCertificateFromServer {
                            url: url.clone(),
                            subject,
                        }
                    }
                    other => other,
                })?;
            Ok(EnrollOutcome::Issued {
                import,
                csr_attributes: state.csr_attributes.clone(),
            })
        }
    }
}

/// The SCEP exchange (RFC 8894) for one attempt: GetCACaps, GetCACert (checked against the
/// confirmed fingerprint), then PKCSReq / RenewalReq, or CertPoll for a pending transaction;
/// the CertRep is verified and the certificate stored through the usual reply import.
fn scep_exchange(
    wallet: &Wallet,
    id: &str,
    state: &mut EnrollmentState,
    unlock: Unlock<'_>,
    challenge: Option<&SecretString>,
) -> Result<EnrollOutcome> {
    let EnrollMethod::Scep {
        url,
        ca_sha256,
        ca_ident,
    } = state.target.method.clone()
    else {
        return Err(Error::invalid("method", "not a SCEP target"));
    };
    let base = scep::scep_url(&url)?;
    let identity = wallet.get(id)?;
    scep::require_rsa(identity.key_type)?;
    let trust = state.target.trust.to_transport()?;
    let timeout = Duration::from_secs(state.target.timeout_secs.max(1));
    let get = |u: String| HttpRequest {
        trust: trust.clone(),
        timeout,
        ..HttpRequest::get(u)
    };
    let now = OffsetDateTime::now_utc();
    let poll = state.scep.as_ref().is_some_and(|t| t.pending);
    let (caps, ca_certs) = match (&state.scep, poll) {
        (Some(t), true) => {
            let (all, _, _) =
                crate::encoding::read_certificates(t.ca_pem.as_bytes(), "the recorded SCEP CA")?;
            let picked = scep::parse_ca_certs(&crate::encoding::build_pkcs7(&all)?, &base)?;
            let caps = scep::CaCaps {
                post: t.post,
                aes: t.aes,
                sha256: t.sha256,
                ..Default::default()
            };
            (caps, picked)
        }
        _ => {
            let caps_url = scep::operation_url(&base, "GetCACaps", ca_ident.as_deref());
            let caps = match transport::send(&get(caps_url.clone()))? {
                r if r.status == 200 => scep::parse_caps(&r.body),
                r if r.status == 404 => {
                    return Err(Error::NoServiceAtUrl {
                        service: "SCEP service".into(),
                        url: base.clone(),
                    })
                }
                r if r.status >= 500 => {
                    return Err(est::status_error(&r, &caps_url, "SCEP service", false))
                }
                // An old server without GetCACaps: the RFC's defaults.
                _ => scep::CaCaps::default(),
            };
            let cacert_url = scep::operation_url(&base, "GetCACert", ca_ident.as_deref());
            let r = transport::send(&get(cacert_url.clone()))?;
            if r.status != 200 {
                return Err(est::status_error(&r, &cacert_url, "SCEP service", false));
            }
            let picked = scep::parse_ca_certs(&r.body, &base)?;
            (caps, picked)
        }
    };
    // The CA certificate is the protection over plain http: use it only when confirmed.
    let found = scep::fingerprint(&ca_certs.ca);
    let ca_subject = crate::cert::parse_certificate(&ca_certs.ca)
        .map(|c| c.subject)
        .unwrap_or_default();
    match ca_sha256.as_deref() {
        Some(pin) => {
            let want = transport::parse_fingerprint(pin)?;
            let matches = ca_certs
                .all
                .iter()
                .any(|c| <[u8; 32]>::from(sha2::Sha256::digest(c)) == want);
            if !matches {
                return Err(Error::ScepCaMismatch {
                    url: base.clone(),
                    subject: ca_subject,
                    found,
                    expected: crate::csr::colon_hex(&want),
                });
            }
        }
        None if !base.to_ascii_lowercase().starts_with("https://") => {
            return Err(Error::ScepCaNotConfirmed {
                url: base.clone(),
                subject: ca_subject,
                ca_sha256: found,
            })
        }
        None => {}
    }
    let key = wallet.unlock_key(&identity.id, unlock.vault, unlock.passphrase)?;
    let renewal = state.operation == EnrollOperation::Renew;
    let cn = identity
        .requested_subject
        .as_ref()
        .map(|s| s.common_name.clone())
        .unwrap_or_else(|| identity.label.clone());
    // The request to send: for PKCSReq with the challenge, built in memory only (the stored
    // request never holds it).
    let stored_csr = identity.csr()?;
    let csr_der = match (&identity.requested_subject, challenge) {
        (Some(subject), Some(code)) => crate::csr::build_csr(
            &key,
            &crate::csr::CsrSpec {
                subject: subject.clone(),
                challenge_password: Some(code.clone()),
            },
        )?
        .der()
        .to_vec(),
        _ => match &stored_csr {
            Some(c) => c.der().to_vec(),
            None => match &identity.requested_subject {
                Some(subject) => crate::csr::build_csr(
                    &key,
                    &crate::csr::CsrSpec {
                        subject: subject.clone(),
                        challenge_password: None,
                    },
                )?
                .der()
                .to_vec(),
                None => {
                    return Err(Error::invalid(
                        "identity",
                        format!("{} has no request to send", identity.id),
                    ))
                }
            },
        },
    };
    let use_renewal = renewal && caps.renewal && !poll;
    let (message_type, content, signer_cert) = if poll {
        (
            scep::MessageType::CertPoll,
            scep::issuer_and_subject(&ca_certs.ca, &csr_der)?,
            scep::self_signed_signer(&key, &cn)?,
        )
    } else if use_renewal {
        let current = identity
            .certificate_der()?
            .ok_or_else(|| Error::NotIssued {
                id: identity.id.clone(),
            })?;
        (scep::MessageType::RenewalReq, csr_der.clone(), current)
    } else {
        (
            scep::MessageType::PkcsReq,
            csr_der.clone(),
            scep::self_signed_signer(&key, &cn)?,
        )
    };
    let transaction_id = match (&state.scep, poll) {
        (Some(t), true) => t.transaction_id.clone(),
        _ => scep::transaction_id(key.public_key_der(), renewal),
    };
    // Recorded before anything is sent: a crash leaves what a poll needs.
    let ca_pem: String = std::iter::once(&ca_certs.ca)
        .chain(ca_certs.all.iter().filter(|c| **c != ca_certs.ca))
        .map(|c| crate::cert::to_pem(c))
        .collect();
    state.scep = Some(ScepTransaction {
        transaction_id: transaction_id.clone(),
        ca_pem,
        ca_sha256: found,
        note: ca_certs.note.clone(),
        post: caps.post,
        aes: caps.aes,
        sha256: caps.sha256,
        renewal: use_renewal || state.scep.as_ref().is_some_and(|t| poll && t.renewal),
        pending: false,
    });
    save_state(wallet, id, state)?;
    let signer = scep::Signer {
        key: &key,
        cert_der: signer_cert,
    };
    let sender_nonce: [u8; 16] = rand::random();
    let message = scep::build_message(&scep::Outgoing {
        message_type,
        transaction_id: &transaction_id,
        sender_nonce,
        content: &content,
        recipient_der: &ca_certs.recipient,
        cipher: scep::Cipher::for_caps(&caps),
        hash: scep::Hash::for_caps(&caps),
        signer: &signer,
    })?;
    let op_url = scep::operation_url(&base, "PKIOperation", None);
    let request = if caps.post {
        HttpRequest {
            method: transport::Method::Post,
            headers: vec![("Content-Type".into(), "application/x-pki-message".into())],
            body: message,
            ..get(op_url.clone())
        }
    } else {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&message);
        get(scep::operation_url(&base, "PKIOperation", Some(&b64)))
    };
    let response = transport::send(&request)?;
    if response.status != 200 {
        return Err(est::status_error(&response, &op_url, "SCEP service", false));
    }
    let trimmed = response.body.trim_ascii();
    if trimmed.is_empty() {
        return Err(Error::EmptyInput {
            source_name: op_url.clone(),
        });
    }
    if let Some(title) = crate::encoding::looks_like_html(trimmed) {
        return Err(Error::HtmlInsteadOfCertificate {
            title,
            source_name: op_url.clone(),
        });
    }
    let trusted = [ca_certs.signer.clone(), ca_certs.ca.clone()];
    let answer = scep::read_cert_rep(
        &response.body,
        &op_url,
        &scep::Expect {
            transaction_id: &transaction_id,
            sender_nonce: &sender_nonce,
            trusted_signers: &trusted,
            our_cert_der: &signer.cert_der,
            our_key: &key,
        },
    )?;
    match answer {
        scep::CertRep::Pending => {
            if let Some(t) = state.scep.as_mut() {
                t.pending = true;
            }
            let wait = est::DEFAULT_RETRY_AFTER;
            Ok(EnrollOutcome::Pending {
                identity: identity.summary()?,
                next_attempt: now + wait,
                retry_after_secs: wait.as_secs(),
            })
        }
        scep::CertRep::Failure { info, text } => Err(Error::ScepFailure {
            url: op_url,
            info,
            text,
        }),
        scep::CertRep::Success(mut certs) => {
            certs.extend(ca_certs.all.iter().cloned());
            let bundle = crate::encoding::build_pkcs7(&certs)?;
            let import = wallet
                .import_certificate(&bundle, &op_url, Some(&identity.id))
                .map_err(|e| match e {
                    Error::CertDoesNotMatchKey { subject, .. } => {
                        Error::WrongCertificateFromServer {
                            url: op_url.clone(),
                            subject,
                        }
                    }
                    other => other,
                })?;
            Ok(EnrollOutcome::Issued {
                import,
                csr_attributes: Vec::new(),
            })
        }
    }
}
