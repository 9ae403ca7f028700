//! The wallet: identities on disk under `$CERTDESK_HOME` (default `~/.local/share/certdesk`).
//!
//! ```text
//! identities/<id>/identity.json   metadata, request, certificate and chain (0600)
//! identities/<id>/key.pem         ENCRYPTED PRIVATE KEY, PBES2/PBKDF2-SHA256/AES-256-CBC (0600)
//! ```
//!
//! An identity is *pending* (key + CSR, waiting for a certificate) or *issued*. A new identity
//! is assembled in a hidden `.new-<id>` directory and renamed into place in one step; later
//! updates replace `identity.json` atomically. A crash therefore leaves either the old state
//! or the new one. The key file is written once and never rewritten.
//!
//! Keys are encrypted with a random 256-bit secret kept in the OS keyring ([`SecretVault`]), or
//! with the user's passphrase where no keyring exists. There is no plaintext fallback.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cert::{self, CertInfo};
use crate::csr::{build_csr, Csr, CsrSpec, SubjectSpec};
use crate::encoding::{self, Container};
use crate::fsutil::{create_private_dir, sync_dir, write_atomic, FileMode};
use crate::key::{KeySpec, PrivateKey, PASSPHRASE_ITERATIONS, RANDOM_SECRET_ITERATIONS};
use crate::pkcs12::{self, P12Profile, P12Spec};
use crate::secret::{random_bytes, SecretString};
use crate::token::{TokenKey, TokenKeyRef};
use crate::vault::SecretVault;
use crate::{Error, Result};

const RECORD_FORMAT: u32 = 1;
const RECORD_FILE: &str = "identity.json";
const KEY_FILE: &str = "key.pem";
/// Shortest passphrase accepted for protecting a key without a keyring.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// The wallet directory: `$CERTDESK_HOME`, else the OS data directory + `certdesk`.
pub fn default_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CERTDESK_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    dirs::data_dir().map(|d| d.join("certdesk")).ok_or_else(|| {
        Error::invalid(
            "CERTDESK_HOME",
            "no data directory is known for this user; set CERTDESK_HOME",
        )
    })
}

/// Whether an identity still waits for its certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    /// Key and request exist; no certificate yet.
    Pending,
    /// A certificate for the key has been imported.
    Issued,
}

/// How the private key of an identity is protected at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Protection {
    /// Encrypted with a random secret held in the named OS keyring.
    Keyring {
        /// The keyring's name (`Secret Service`).
        vault: String,
    },
    /// Encrypted with the user's passphrase.
    Passphrase,
    /// Not in the wallet at all: made on a PKCS#11 token (security key, smart card, TPM), which
    /// never lets it out. The record keeps where to find it; there is no key file.
    Token(TokenKeyRef),
}

impl Protection {
    /// The token holding the key, when the key is on one.
    pub fn token(&self) -> Option<&TokenKeyRef> {
        match self {
            Protection::Token(r) => Some(r),
            _ => None,
        }
    }
}

/// Where an identity came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Origin {
    /// Key and request created by certdesk.
    Request {
        /// Which front end created it (`cli`, `app`).
        via: String,
    },
    /// Brought in from a PKCS#12 file.
    Pkcs12Import {
        /// The file name.
        file: String,
    },
}

/// One identity as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    /// Record format version.
    pub format: u32,
    /// Stable id (16 hex digits); commands accept any unique prefix.
    pub id: String,
    /// The name people see (NSS nickname, PKCS#12 friendly name).
    pub label: String,
    /// Pending or issued.
    pub status: IdentityStatus,
    /// The subject as requested (absent for imported identities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_subject: Option<SubjectSpec>,
    /// Key type.
    pub key_type: KeySpec,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
    /// Where it came from.
    pub origin: Origin,
    /// How the key is protected.
    pub protection: Protection,
    /// The public key (DER SubjectPublicKeyInfo, base64): matches replies without unlocking.
    pub public_key: String,
    /// The request (PEM), for pending and requested identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csr_pem: Option<String>,
    /// The certificate (PEM), once issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_pem: Option<String>,
    /// The issuing chain above the certificate, nearest first (PEM).
    #[serde(default)]
    pub chain_pem: Vec<String>,
    /// Certificates this identity held before (renewals, re-issues), newest last (PEM).
    #[serde(default)]
    pub previous_certificates: Vec<String>,
    /// Warnings from the last certificate import.
    #[serde(default)]
    pub import_warnings: Vec<ImportWarning>,
}

/// A warning raised when a certificate was accepted despite a problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportWarning {
    /// Stable code (`no_client_auth_eku`, `expired`, `not_yet_valid`, `x509_v1`,
    /// `incomplete_chain`, `private_key_ignored`).
    pub code: String,
    /// Plain words.
    pub message: String,
}

/// A line in the list of identities.
#[derive(Debug, Clone, Serialize)]
pub struct IdentitySummary {
    /// Id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Pending or issued.
    pub status: IdentityStatus,
    /// Subject DN of the certificate, or of the request while pending.
    pub subject: String,
    /// Issuer DN, once issued.
    pub issuer: Option<String>,
    /// The issuer as people name it (its CN, else the DN), once issued.
    pub issuer_name: Option<String>,
    /// Key type.
    pub key_type: KeySpec,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Certificate expiry, once issued.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    /// The label of the token (security key, smart card, TPM) holding the key; `None` when the
    /// key is in the wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_on_token: Option<String>,
}

impl Identity {
    /// The certificate (DER), once issued.
    pub fn certificate_der(&self) -> Result<Option<Vec<u8>>> {
        self.certificate_pem
            .as_deref()
            .map(|p| pem_to_der(p, &self.record_name()))
            .transpose()
    }

    /// The certificate and its chain, leaf first (DER).
    pub fn chain_der(&self) -> Result<Vec<Vec<u8>>> {
        let Some(leaf) = self.certificate_der()? else {
            return Err(Error::NotIssued {
                id: self.id.clone(),
            });
        };
        let mut out = vec![leaf];
        for p in &self.chain_pem {
            out.push(pem_to_der(p, &self.record_name())?);
        }
        Ok(out)
    }

    /// The certificate as plain facts, once issued.
    pub fn certificate_info(&self) -> Result<Option<CertInfo>> {
        self.certificate_der()?
            .map(|d| cert::parse_certificate(&d))
            .transpose()
    }

    /// The request, when this identity was created by certdesk.
    pub fn csr(&self) -> Result<Option<Csr>> {
        self.csr_pem
            .as_deref()
            .map(|p| Csr::from_der(pem_to_der(p, &self.record_name())?))
            .transpose()
    }

    fn public_key_der(&self) -> Result<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.public_key)
            .map_err(|e| Error::CorruptWallet {
                path: PathBuf::from(self.record_name()),
                detail: format!("public key: {e}"),
            })
    }

    /// The summary shown in lists.
    pub fn summary(&self) -> Result<IdentitySummary> {
        let info = self.certificate_info()?;
        let subject = match (&info, &self.requested_subject) {
            (Some(i), _) => i.subject.clone(),
            (None, Some(s)) => s.to_dn_string(),
            (None, None) => String::new(),
        };
        Ok(IdentitySummary {
            id: self.id.clone(),
            label: self.label.clone(),
            status: self.status,
            subject,
            issuer: info.as_ref().map(|i| i.issuer.clone()),
            issuer_name: info
                .as_ref()
                .map(|i| i.issuer_cn.clone().unwrap_or_else(|| i.issuer.clone())),
            key_type: self.key_type,
            created: self.created,
            not_after: info.map(|i| i.not_after),
            key_on_token: self.protection.token().map(|t| t.token_label.clone()),
        })
    }

    fn record_name(&self) -> String {
        format!("identity {}", self.id)
    }
}

fn pem_to_der(text: &str, source: &str) -> Result<Vec<u8>> {
    pem::parse(text)
        .map(|p| p.into_contents())
        .map_err(|e| Error::CorruptWallet {
            path: PathBuf::from(source),
            detail: e.to_string(),
        })
}

/// How a new key is to be protected.
#[derive(Debug, Clone)]
pub enum KeyProtection {
    /// A random secret in this keyring.
    Keyring(Arc<dyn SecretVault>),
    /// The user's passphrase (at least [`MIN_PASSPHRASE_CHARS`] characters).
    Passphrase(SecretString),
}

/// What can unlock existing keys: the keyring, a passphrase, or both.
#[derive(Debug, Clone, Default)]
pub struct KeyAccess {
    /// The OS keyring, when reachable.
    pub vault: Option<Arc<dyn SecretVault>>,
    /// A passphrase the user supplied.
    pub passphrase: Option<SecretString>,
    /// The user PIN of a token, for identities whose key is on one (used for one operation,
    /// never stored).
    pub pin: Option<SecretString>,
}

/// A request to create a new pending identity.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    /// Label; defaults to the common name.
    pub label: Option<String>,
    /// Subject and enrollment code.
    pub csr: CsrSpec,
    /// Key type.
    pub key_type: KeySpec,
    /// Which front end asks (`cli`, `app`).
    pub via: String,
}

/// The result of importing a certificate reply.
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    /// The identity the certificate was matched to.
    pub identity: IdentitySummary,
    /// Warnings: the certificate was accepted, but a server may refuse it.
    pub warnings: Vec<ImportWarning>,
    /// How the reply was packaged.
    pub container: Container,
    /// Certificates in the stored chain, including the leaf.
    pub chain_length: usize,
    /// True when the identity already had this exact certificate.
    pub already_imported: bool,
    /// True when an older, different certificate was moved to `previous_certificates`.
    pub replaced_previous: bool,
}

/// How to write the private key in a PEM export.
#[derive(Debug, Clone)]
pub enum KeyExport {
    /// `ENCRYPTED PRIVATE KEY` under this password.
    Encrypted(SecretString),
    /// Plain `PRIVATE KEY`: only behind an explicit `--insecure-unencrypted-key`.
    InsecureUnencrypted,
}

/// The on-disk identity store.
#[derive(Debug, Clone)]
pub struct Wallet {
    home: PathBuf,
}

/// The wallet's lock file, beside `identities/`.
const LOCK_FILE: &str = ".lock";

/// The held wallet lock (see [`Wallet::lock`]); released when dropped.
#[derive(Debug)]
pub struct WalletLock {
    _file: fs::File,
}

/// The label of a new request: given, or the subject's common name; checked (with the
/// subject) before any key is made.
pub fn request_label(request: &NewRequest) -> Result<String> {
    request.csr.subject.validate()?;
    let label = request
        .label
        .clone()
        .unwrap_or_else(|| request.csr.subject.common_name.trim().to_string());
    validate_label(&label)?;
    Ok(label)
}

/// The record of a new waiting request, wherever its key lives.
fn pending_record(
    request: &NewRequest,
    label: String,
    key_type: KeySpec,
    protection: Protection,
    public_key_der: &[u8],
    csr: &crate::csr::Csr,
) -> Identity {
    let now = OffsetDateTime::now_utc();
    Identity {
        format: RECORD_FORMAT,
        id: hex::encode(random_bytes::<8>()),
        label,
        status: IdentityStatus::Pending,
        requested_subject: Some(request.csr.subject.clone()),
        key_type,
        created: now,
        updated: now,
        origin: Origin::Request {
            via: request.via.clone(),
        },
        protection,
        public_key: base64::engine::general_purpose::STANDARD.encode(public_key_der),
        csr_pem: Some(csr.pem()),
        certificate_pem: None,
        chain_pem: Vec::new(),
        previous_certificates: Vec::new(),
        import_warnings: Vec::new(),
    }
}

impl Wallet {
    /// Opens the wallet at `home`. Nothing is created until the first write.
    ///
    /// An existing wallet folder must belong to the user certdesk runs as and must not be
    /// writable by group or others (as ssh's StrictModes asks of `~/.ssh`): whoever can write
    /// there can swap records or keys. Refused otherwise with [`Error::UnsafeWallet`].
    pub fn open(home: impl Into<PathBuf>) -> Result<Wallet> {
        let home = home.into();
        check_wallet_folder(&home)?;
        Ok(Wallet { home })
    }

    /// The wallet directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    fn identities_dir(&self) -> PathBuf {
        self.home.join("identities")
    }

    /// Takes the wallet's lock (an advisory exclusive lock on `<wallet>/.lock`, `flock` on
    /// Unix, `LockFileEx` on Windows), waiting for another process or thread that holds it.
    ///
    /// Held around every read-modify-write of an identity record, so two processes (the CLI
    /// and the app, two CLIs, a renewal and an import) can never both read the same record and
    /// drop each other's change. Reads need no lock: records are replaced atomically. Not
    /// re-entrant: a method holding it never calls another that takes it.
    pub fn lock(&self) -> Result<WalletLock> {
        create_private_dir(&self.home)?;
        let path = self.home.join(LOCK_FILE);
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(Error::io("open", &path))?;
        file.lock().map_err(Error::io("lock", &path))?;
        Ok(WalletLock { _file: file })
    }

    /// The directory holding one identity's files (`identity.json`, `key.pem`). Other modules
    /// (history, enrollment state) keep their own files beside them; deleting the identity
    /// removes the whole directory.
    pub fn identity_dir(&self, id: &str) -> PathBuf {
        self.identities_dir().join(id)
    }

    /// All identities, oldest first. Half-created entries (hidden `.new-*` directories from an
    /// interrupted creation) are skipped.
    pub fn identities(&self) -> Result<Vec<Identity>> {
        let dir = self.identities_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("read", &dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(Error::io("read", &dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            out.push(self.read_record(&name)?);
        }
        out.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Summaries of all identities, oldest first.
    pub fn list(&self) -> Result<Vec<IdentitySummary>> {
        self.identities()?.iter().map(Identity::summary).collect()
    }

    fn read_record(&self, id: &str) -> Result<Identity> {
        let path = self.identity_dir(id).join(RECORD_FILE);
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        let record: Identity =
            serde_json::from_slice(&bytes).map_err(|e| Error::CorruptWallet {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        if record.id != id {
            return Err(Error::CorruptWallet {
                path,
                detail: format!(
                    "the record names identity {} but lies in the folder of {id} (copied or moved by hand?)",
                    record.id
                ),
            });
        }
        if record.format > RECORD_FORMAT {
            return Err(Error::CorruptWallet {
                path,
                detail: format!(
                    "written by a newer certdesk (format {}, this one reads {RECORD_FORMAT})",
                    record.format
                ),
            });
        }
        Ok(record)
    }

    fn write_record(&self, record: &Identity) -> Result<()> {
        let path = self.identity_dir(&record.id).join(RECORD_FILE);
        let json = serde_json::to_vec_pretty(record)
            .map_err(|e| Error::crypto("encode the wallet record", e))?;
        write_atomic(&path, &json, FileMode::Private)
    }

    /// Finds an identity by id, unique id prefix (at least 4 characters) or exact label.
    pub fn get(&self, wanted: &str) -> Result<Identity> {
        let all = self.identities()?;
        if let Some(exact) = all.iter().find(|i| i.id == wanted) {
            return Ok(exact.clone());
        }
        let mut matches: Vec<&Identity> = if wanted.len() >= 4 {
            all.iter().filter(|i| i.id.starts_with(wanted)).collect()
        } else {
            Vec::new()
        };
        if matches.is_empty() {
            matches = all.iter().filter(|i| i.label == wanted).collect();
        }
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::IdentityNotFound {
                id: wanted.into(),
                home: self.home.clone(),
            }),
            many => Err(Error::AmbiguousIdentity {
                id: wanted.into(),
                matches: many
                    .iter()
                    .map(|i| i.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Creates a key and a request, and stores them as a pending identity.
    pub fn create_request(
        &self,
        request: &NewRequest,
        protection: &KeyProtection,
    ) -> Result<Identity> {
        let label = request_label(request)?;
        let key = PrivateKey::generate(request.key_type)?;
        let csr = build_csr(&key, &request.csr)?;
        let record = pending_record(
            request,
            label,
            request.key_type,
            protection_record(protection),
            key.public_key_der(),
            &csr,
        );
        self.store_new(&record, &key, protection)?;
        Ok(record)
    }

    /// Stores a pending identity whose key `key` was made on a token: the request is signed
    /// there, and the record keeps where the key lives instead of a key file (issue #15).
    pub fn create_token_request(&self, request: &NewRequest, key: &TokenKey) -> Result<Identity> {
        let label = request_label(request)?;
        let csr = crate::csr::build_csr_on_token(key, &request.csr)?;
        let record = pending_record(
            request,
            label,
            key.spec(),
            Protection::Token(key.reference.clone()),
            &key.public_key_der(),
            &csr,
        );
        self.store_record_dir(&record, None)?;
        Ok(record)
    }

    /// Writes a new identity: keyring secret first, then the key and record in a hidden
    /// directory, then one rename makes it visible.
    fn store_new(
        &self,
        record: &Identity,
        key: &PrivateKey,
        protection: &KeyProtection,
    ) -> Result<()> {
        let encrypted = match protection {
            KeyProtection::Keyring(vault) => {
                let secret = zeroize::Zeroizing::new(random_bytes::<32>());
                vault.store(&record.id, secret.as_slice())?;
                key.encrypt_pkcs8_pem(secret.as_slice(), RANDOM_SECRET_ITERATIONS)?
            }
            KeyProtection::Passphrase(p) => {
                if p.expose().chars().count() < MIN_PASSPHRASE_CHARS {
                    return Err(Error::invalid(
                        "passphrase",
                        format!("use at least {MIN_PASSPHRASE_CHARS} characters"),
                    ));
                }
                key.encrypt_pkcs8_pem(p.expose().as_bytes(), PASSPHRASE_ITERATIONS)?
            }
        };
        let result = self.store_record_dir(record, Some(encrypted.as_bytes()));
        if result.is_err() {
            if let KeyProtection::Keyring(vault) = protection {
                let _ = vault.delete(&record.id);
            }
        }
        result
    }

    /// The record (and the encrypted key file, when the key is in the wallet) in a hidden
    /// directory, then one rename makes the identity visible.
    fn store_record_dir(&self, record: &Identity, encrypted_key: Option<&[u8]>) -> Result<()> {
        let parent = self.identities_dir();
        create_private_dir(&self.home)?;
        create_private_dir(&parent)?;
        let staging = parent.join(format!(".new-{}", record.id));
        create_private_dir(&staging)?;
        let result = (|| {
            if let Some(encrypted) = encrypted_key {
                write_atomic(&staging.join(KEY_FILE), encrypted, FileMode::Private)?;
            }
            let json = serde_json::to_vec_pretty(record)
                .map_err(|e| Error::crypto("encode the wallet record", e))?;
            write_atomic(&staging.join(RECORD_FILE), &json, FileMode::Private)?;
            let final_dir = self.identity_dir(&record.id);
            fs::rename(&staging, &final_dir).map_err(Error::io("move into place", &final_dir))?;
            sync_dir(&parent)
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&staging);
        }
        result
    }

    /// Signs the pending request of `wanted` again with the same key and the same subject, with
    /// `signature` (for an EST server that asks for, say, SHA-384 in `/csrattrs`), and stores
    /// it in place of the old one. `identity.json` is replaced in one atomic rename, so a crash
    /// leaves the old request or the new one, both for the same key. Refused for an issued
    /// identity, one without a recorded subject, and a request holding a challengePassword
    /// (certdesk does not keep the code, so it could not be put back).
    pub fn resign_request(
        &self,
        wanted: &str,
        access: &KeyAccess,
        signature: crate::csr::CsrSignature,
    ) -> Result<Identity> {
        self.resign_request_with(
            wanted,
            access.vault.as_deref(),
            access.passphrase.as_ref(),
            signature,
        )
    }

    /// [`Wallet::resign_request`] with borrowed key access.
    pub(crate) fn resign_request_with(
        &self,
        wanted: &str,
        vault: Option<&dyn SecretVault>,
        passphrase: Option<&SecretString>,
        signature: crate::csr::CsrSignature,
    ) -> Result<Identity> {
        let _lock = self.lock()?;
        let mut identity = self.get(wanted)?;
        if identity.status != IdentityStatus::Pending {
            return Err(Error::invalid(
                "identity",
                format!(
                    "{} already has its certificate; its request is not signed again",
                    identity.id
                ),
            ));
        }
        let (Some(subject), Some(old)) = (identity.requested_subject.clone(), identity.csr()?)
        else {
            return Err(Error::invalid(
                "identity",
                format!(
                    "{} has no request made by certdesk to sign again",
                    identity.id
                ),
            ));
        };
        let old_facts = old.facts()?;
        if old_facts.challenge_password {
            return Err(Error::invalid(
                "request",
                "it holds an enrollment code (challengePassword) that certdesk does not keep, so it cannot be signed again; create a new request",
            ));
        }
        let key = self.unlock_with(&identity, vault, passphrase)?;
        let csr = crate::csr::build_csr_signed(
            &key,
            &CsrSpec {
                subject,
                challenge_password: None,
            },
            signature,
        )?;
        let new_facts = csr.facts()?;
        if new_facts.public_key_der != old_facts.public_key_der
            || new_facts.public_key_der != identity.public_key_der()?
            || new_facts.subject_der != old_facts.subject_der
        {
            return Err(Error::CorruptWallet {
                path: self.identity_dir(&identity.id).join(RECORD_FILE),
                detail: "the request signed again does not have the recorded key and subject"
                    .into(),
            });
        }
        identity.csr_pem = Some(csr.pem());
        identity.updated = OffsetDateTime::now_utc();
        self.write_record(&identity)?;
        Ok(identity)
    }

    /// The private key of identity `wanted`, for protocols that must sign or decrypt with it
    /// in this process (SCEP). It stays inside certdesk-core.
    pub(crate) fn unlock_key(
        &self,
        wanted: &str,
        vault: Option<&dyn SecretVault>,
        passphrase: Option<&SecretString>,
    ) -> Result<PrivateKey> {
        let identity = self.get(wanted)?;
        self.unlock_with(&identity, vault, passphrase)
    }

    /// Decrypts the private key of `identity`.
    fn unlock(&self, identity: &Identity, access: &KeyAccess) -> Result<PrivateKey> {
        self.unlock_with(
            identity,
            access.vault.as_deref(),
            access.passphrase.as_ref(),
        )
    }

    /// [`Wallet::unlock`] with borrowed parts (enrollment holds the keyring as a reference).
    fn unlock_with(
        &self,
        identity: &Identity,
        store: Option<&dyn SecretVault>,
        passphrase: Option<&SecretString>,
    ) -> Result<PrivateKey> {
        if let Protection::Token(r) = &identity.protection {
            return Err(key_on_token(identity, r, "read as a file"));
        }
        let path = self.identity_dir(&identity.id).join(KEY_FILE);
        let text =
            zeroize::Zeroizing::new(fs::read_to_string(&path).map_err(Error::io("read", &path))?);
        let der = pem_to_der(&text, &path.display().to_string())?;
        let key = match &identity.protection {
            Protection::Keyring { vault } => {
                let store = store.ok_or_else(|| Error::NoKeyring {
                    detail: format!(
                        "the key of identity {} is protected by {vault}",
                        identity.id
                    ),
                })?;
                let secret = store.load(&identity.id)?;
                PrivateKey::decrypt_pkcs8_der(
                    &der,
                    &secret,
                    &format!("the key of identity {}", identity.id),
                )?
            }
            Protection::Token(r) => return Err(key_on_token(identity, r, "read as a file")),
            Protection::Passphrase => {
                let pass = passphrase.ok_or_else(|| Error::PassphraseRequired {
                    id: identity.id.clone(),
                })?;
                PrivateKey::decrypt_pkcs8_der(
                    &der,
                    pass.expose().as_bytes(),
                    &format!("the key of identity {} (passphrase)", identity.id),
                )?
            }
        };
        if key.public_key_der() != identity.public_key_der()?.as_slice() {
            return Err(Error::CorruptWallet {
                path,
                detail: "the key file does not hold the key recorded for this identity".into(),
            });
        }
        Ok(key)
    }

    /// Checks that the key of an identity can be unlocked (used after a crash or before export).
    pub fn verify_key(&self, wanted: &str, access: &KeyAccess) -> Result<KeySpec> {
        let identity = self.get(wanted)?;
        Ok(self.unlock(&identity, access)?.spec())
    }

    /// Imports a certificate reply (PEM, DER, base64 or PKCS#7, single or bundled), matches it
    /// to the identity holding its key (`target`, or any identity in the wallet when `None`,
    /// pending ones first), rebuilds the chain and stores it.
    pub fn import_certificate(
        &self,
        bytes: &[u8],
        source_name: &str,
        target: Option<&str>,
    ) -> Result<ImportOutcome> {
        let (certs, container, had_key) = encoding::read_certificates(bytes, source_name)?;
        let _lock = self.lock()?;
        let candidates: Vec<Identity> = match target {
            Some(t) => vec![self.get(t)?],
            None => {
                let mut all = self.identities()?;
                all.sort_by_key(|i| i.status != IdentityStatus::Pending);
                all
            }
        };
        let mut found = None;
        'outer: for identity in &candidates {
            let public_key = identity.public_key_der()?;
            for der in &certs {
                if cert::public_key_of(der)? == public_key {
                    found = Some((identity.clone(), der.clone()));
                    break 'outer;
                }
            }
        }
        let Some((mut identity, leaf)) = found else {
            let shown = certs
                .iter()
                .filter_map(|d| cert::parse_certificate(d).ok())
                .find(|i| !i.is_ca)
                .or_else(|| certs.first().and_then(|d| cert::parse_certificate(d).ok()))
                .map(|i| i.subject)
                .unwrap_or_else(|| "the certificate".into());
            return Err(match target {
                Some(t) => Error::CertDoesNotMatchKey {
                    subject: shown,
                    id: self.get(t)?.id,
                },
                None => Error::NoMatchingRequest {
                    subject: shown,
                    source_name: source_name.into(),
                },
            });
        };
        let chain = cert::build_chain(&leaf, &certs)?;
        let info = cert::parse_certificate(&leaf)?;
        let mut warnings: Vec<ImportWarning> =
            cert::client_auth_problems(&info, OffsetDateTime::now_utc())
                .into_iter()
                .filter(|p| p.code != "unsupported_key")
                .map(|p| ImportWarning {
                    code: p.code.into(),
                    message: p.message,
                })
                .collect();
        // A leaf with its intermediate(s) is the normal delivery (servers hold the roots); only
        // a lone certificate from a CA that is not itself leaves servers guessing.
        if chain.len() == 1 && !info.self_issued {
            warnings.push(ImportWarning {
                code: "incomplete_chain".into(),
                message: format!(
                    "the file holds only your certificate, not the certificate of its issuer {}; if a site refuses it, ask the issuer for the full chain and import that too",
                    info.issuer
                ),
            });
        }
        if had_key {
            warnings.push(ImportWarning {
                code: "private_key_ignored".into(),
                message: "the file also held a private key; certdesk ignored it (the key stays the one made on this computer)".into(),
            });
        }
        let leaf_pem = cert::to_pem(&leaf);
        let already_imported = identity.certificate_pem.as_deref() == Some(leaf_pem.as_str());
        let mut replaced_previous = false;
        if let Some(old) = identity.certificate_pem.take() {
            if old != leaf_pem {
                identity.previous_certificates.push(old);
                replaced_previous = true;
            }
        }
        identity.certificate_pem = Some(leaf_pem);
        identity.chain_pem = chain[1..].iter().map(|d| cert::to_pem(d)).collect();
        identity.status = IdentityStatus::Issued;
        identity.updated = OffsetDateTime::now_utc();
        if let Protection::Token(r) = &identity.protection {
            // Beside its key on the token, where browsers (NSS) and other PKCS#11 users look
            // for it. The wallet's copy is the record of truth: a token that is not plugged in
            // now gets a warning, not a failed import.
            if let Err(e) = crate::token::write_certificate(r, &leaf, &identity.label) {
                warnings.push(ImportWarning {
                    code: "certificate_not_on_token".into(),
                    message: format!(
                        "the certificate is in the wallet but could not be written onto the token beside its key ({e}); import the reply again with the token plugged in"
                    ),
                });
            }
        }
        identity.import_warnings = warnings.clone();
        self.write_record(&identity)?;
        Ok(ImportOutcome {
            identity: identity.summary()?,
            warnings,
            container,
            chain_length: chain.len(),
            already_imported,
            replaced_previous,
        })
    }

    /// Brings a PKCS#12 file into the wallet as an issued identity. The key is re-encrypted
    /// under `protection`; the file's password is not kept.
    pub fn import_pkcs12(
        &self,
        bytes: &[u8],
        password: &SecretString,
        source_name: &str,
        label: Option<String>,
        protection: &KeyProtection,
    ) -> Result<Identity> {
        let contents = pkcs12::import_pkcs12(bytes, password, source_name)?;
        let public_key = contents.key.public_key_der().to_vec();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&public_key);
        if let Some(existing) = self
            .identities()?
            .into_iter()
            .find(|i| i.public_key == encoded)
        {
            return Err(Error::AlreadyInWallet {
                id: existing.id,
                label: existing.label,
            });
        }
        let info = cert::parse_certificate(&contents.chain[0])?;
        let label = label
            .or(contents.friendly_name.clone())
            .or(info.subject_cn.clone())
            .unwrap_or_else(|| "Imported certificate".into());
        validate_label(&label)?;
        let now = OffsetDateTime::now_utc();
        let record = Identity {
            format: RECORD_FORMAT,
            id: hex::encode(random_bytes::<8>()),
            label,
            status: IdentityStatus::Issued,
            requested_subject: None,
            key_type: contents.key.spec(),
            created: now,
            updated: now,
            origin: Origin::Pkcs12Import {
                file: source_name.into(),
            },
            protection: protection_record(protection),
            public_key: encoded,
            csr_pem: None,
            certificate_pem: Some(cert::to_pem(&contents.chain[0])),
            chain_pem: contents.chain[1..]
                .iter()
                .map(|d| cert::to_pem(d))
                .collect(),
            previous_certificates: Vec::new(),
            import_warnings: Vec::new(),
        };
        self.store_new(&record, &contents.key, protection)?;
        Ok(record)
    }

    /// Writes a PKCS#12 file of an issued identity, friendly name = its label.
    pub fn export_pkcs12(
        &self,
        wanted: &str,
        access: &KeyAccess,
        password: &SecretString,
        profile: P12Profile,
    ) -> Result<Vec<u8>> {
        let identity = self.get(wanted)?;
        if let Protection::Token(r) = &identity.protection {
            return Err(key_on_token(&identity, r, "exported to a PKCS#12 file"));
        }
        let chain = identity.chain_der()?;
        let key = self.unlock(&identity, access)?;
        pkcs12::export_pkcs12(&P12Spec {
            key: &key,
            chain: &chain,
            friendly_name: &identity.label,
            password,
            profile,
        })
    }

    /// The key and chain of an issued identity, for a site check. The key stays inside
    /// certdesk-core (the probe hands it to rustls in this process).
    pub fn client_identity(
        &self,
        wanted: &str,
        access: &KeyAccess,
    ) -> Result<crate::probe::ClientIdentity> {
        let identity = self.get(wanted)?;
        let chain = identity.chain_der()?;
        if let Protection::Token(r) = &identity.protection {
            // Checked before the token is touched: a missing PIN is not a wrong try.
            let pin = access.pin.as_ref().ok_or_else(|| Error::TokenPinRequired {
                id: identity.id.clone(),
                token: r.token_label.clone(),
            })?;
            let key = TokenKey::open(r, pin)?;
            if key.public_key_der() != identity.public_key_der()? {
                return Err(Error::CorruptWallet {
                    path: self.identity_dir(&identity.id).join(RECORD_FILE),
                    detail: format!(
                        "the key with id {} on the token \"{}\" is not the key recorded for this identity",
                        r.key_id, r.token_label
                    ),
                });
            }
            return Ok(crate::probe::ClientIdentity {
                key: crate::probe::ClientKey::Token(key.into_tls_signer()),
                chain,
            });
        }
        let key = self.unlock(&identity, access)?;
        Ok(crate::probe::ClientIdentity {
            key: key.into(),
            chain,
        })
    }

    /// The certificate and chain of an issued identity as PEM, leaf first.
    pub fn chain_pem(&self, wanted: &str) -> Result<String> {
        let identity = self.get(wanted)?;
        Ok(identity
            .chain_der()?
            .iter()
            .map(|d| cert::to_pem(d))
            .collect())
    }

    /// The private key as PEM, encrypted unless the caller explicitly chose otherwise.
    pub fn export_key_pem(
        &self,
        wanted: &str,
        access: &KeyAccess,
        how: &KeyExport,
    ) -> Result<zeroize::Zeroizing<String>> {
        let identity = self.get(wanted)?;
        if let Protection::Token(r) = &identity.protection {
            return Err(key_on_token(&identity, r, "exported to a PEM file"));
        }
        let key = self.unlock(&identity, access)?;
        match how {
            KeyExport::Encrypted(password) => {
                if password.expose().chars().count() < MIN_PASSPHRASE_CHARS {
                    return Err(Error::invalid(
                        "password",
                        format!(
                            "use at least {MIN_PASSPHRASE_CHARS} characters for an exported key"
                        ),
                    ));
                }
                Ok(zeroize::Zeroizing::new(key.encrypt_pkcs8_pem(
                    password.expose().as_bytes(),
                    PASSPHRASE_ITERATIONS,
                )?))
            }
            KeyExport::InsecureUnencrypted => Ok(key.insecure_pkcs8_pem()),
        }
    }

    /// Deletes an identity: its directory, and its keyring secret when a vault is given.
    pub fn delete(&self, wanted: &str, vault: Option<&dyn SecretVault>) -> Result<Identity> {
        let _lock = self.lock()?;
        let identity = self.get(wanted)?;
        let dir = self.identity_dir(&identity.id);
        // Hide it first (one rename), then remove: a crash in between leaves a hidden
        // directory that listings skip, never a half-deleted visible identity.
        let doomed = self.identities_dir().join(format!(".del-{}", identity.id));
        fs::rename(&dir, &doomed).map_err(Error::io("remove", &dir))?;
        fs::remove_dir_all(&doomed).map_err(Error::io("remove", &doomed))?;
        if let Some(v) = vault {
            // A pending enrollment's code, if one waits in the keyring (absent is fine).
            let _ = v.delete(&crate::enroll::vault_entry(&identity.id));
        }
        if let (Protection::Keyring { .. }, Some(v)) = (&identity.protection, vault) {
            v.delete(&identity.id)?;
        }
        Ok(identity)
    }
}

/// See [`Wallet::open`].
#[cfg(unix)]
fn check_wallet_folder(home: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = match fs::metadata(home) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("read", home)(e)),
    };
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(Error::UnsafeWallet {
            path: home.to_path_buf(),
            detail: format!(
                "it belongs to user id {}, and certdesk runs as user id {me}",
                meta.uid()
            ),
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(Error::UnsafeWallet {
            path: home.to_path_buf(),
            detail: format!(
                "other users may write to it (mode {:04o})",
                meta.mode() & 0o7777
            ),
        });
    }
    Ok(())
}

/// Elsewhere (Windows) the wallet lives in the per-user profile, protected by its ACL.
#[cfg(not(unix))]
fn check_wallet_folder(_home: &Path) -> Result<()> {
    Ok(())
}

fn key_on_token(identity: &Identity, token: &TokenKeyRef, action: &str) -> Error {
    Error::KeyOnToken {
        id: identity.id.clone(),
        token: token.token_label.clone(),
        action: action.into(),
    }
}

fn protection_record(protection: &KeyProtection) -> Protection {
    match protection {
        KeyProtection::Keyring(v) => Protection::Keyring { vault: v.name() },
        KeyProtection::Passphrase(_) => Protection::Passphrase,
    }
}

fn validate_label(label: &str) -> Result<()> {
    if label.trim().is_empty() {
        return Err(Error::invalid("label", "must not be empty"));
    }
    if label.chars().count() > 64 {
        return Err(Error::invalid("label", "at most 64 characters"));
    }
    if label.chars().any(char::is_control) {
        return Err(Error::invalid("label", "contains a control character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::MemoryVault;

    fn request(cn: &str) -> NewRequest {
        NewRequest {
            label: None,
            csr: CsrSpec {
                subject: SubjectSpec::with_common_name(cn),
                challenge_password: None,
            },
            key_type: KeySpec::EcP256,
            via: "test".into(),
        }
    }

    /// Signs the pending identity's request with a throwaway rcgen CA; returns (leaf, ca) DER.
    fn sign(identity: &Identity) -> (Vec<u8>, Vec<u8>) {
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Wallet Test CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let issuer = rcgen::Issuer::new(ca_params, &ca_key);
        let csr_pem = identity.csr_pem.clone().expect("csr");
        let csr = rcgen::CertificateSigningRequestParams::from_pem(&csr_pem).expect("parse csr");
        let leaf = csr.signed_by(&issuer).expect("sign");
        (leaf.der().to_vec(), ca.der().to_vec())
    }

    /// Issue #12: a wallet folder others may write to, or that belongs to another user, is
    /// refused at open (before, it was used as it was); a record whose id is not its folder's
    /// name is refused as damaged (before, a copied folder gave two identities with one id).
    #[cfg(unix)]
    #[test]
    fn records_without_a_token_read_as_before_and_token_records_round_trip() {
        // A record as certdesk wrote it before keys could live on tokens.
        let old = r#"{"format":1,"id":"0123456789abcdef","label":"Ada","status":"pending",
            "key_type":"ec-p256","created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z",
            "origin":{"kind":"request","via":"cli"},"protection":{"kind":"keyring","vault":"Secret Service"},
            "public_key":"AAAA"}"#;
        let record: Identity = serde_json::from_str(old).expect("an old record reads");
        assert_eq!(
            record.protection,
            Protection::Keyring {
                vault: "Secret Service".into()
            }
        );
        assert!(record.protection.token().is_none());

        let mut on_token = record.clone();
        on_token.protection = Protection::Token(TokenKeyRef {
            module: PathBuf::from("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"),
            token_serial: "12345678".into(),
            token_label: "PIV_II".into(),
            key_id: "01".into(),
            spec: KeySpec::EcP256,
        });
        let json = serde_json::to_string(&on_token).expect("json");
        assert!(
            json.contains(r#""protection":{"kind":"token","module":"#),
            "{json}"
        );
        let back: Identity = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back.protection, on_token.protection);
    }

    #[test]
    fn unsafe_wallet_folders_and_misplaced_records_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, wallet, vault) = setup();
        let protection = KeyProtection::Keyring(vault.clone());
        let identity = wallet
            .create_request(&request("Wanda"), &protection)
            .expect("create");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).expect("chmod");
        let err = Wallet::open(dir.path()).expect_err("world-writable");
        assert!(matches!(err, Error::UnsafeWallet { .. }), "{err}");
        assert!(err.to_string().contains("mode 0777"), "{err}");
        assert!(
            err.hint().unwrap_or_default().contains("chmod 700"),
            "{err:?}"
        );
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        Wallet::open(dir.path()).expect("0755 is not writable by others");
        if rustix::process::geteuid().is_root() {
            // Only root can hand a folder to another user; CI runs as root.
            std::os::unix::fs::chown(dir.path(), Some(65534), None).expect("chown");
            let err = Wallet::open(dir.path()).expect_err("foreign owner");
            assert!(err.to_string().contains("user id 65534"), "{err}");
            std::os::unix::fs::chown(dir.path(), Some(0), None).expect("chown back");
        }

        let copy = wallet.identity_dir("0123456789abcdef");
        fs::create_dir(&copy).expect("mkdir");
        fs::copy(
            wallet.identity_dir(&identity.id).join(RECORD_FILE),
            copy.join(RECORD_FILE),
        )
        .expect("copy");
        let err = wallet
            .get("0123456789abcdef")
            .expect_err("misplaced record");
        assert!(
            err.to_string().contains(&format!(
                "names identity {} but lies in the folder of 0123456789abcdef",
                identity.id
            )),
            "{err}"
        );
    }

    fn setup() -> (tempfile::TempDir, Wallet, Arc<MemoryVault>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let wallet = Wallet::open(dir.path()).expect("open");
        (dir, wallet, Arc::new(MemoryVault::default()))
    }

    #[test]
    fn a_request_signed_again_keeps_key_and_subject_and_is_refused_when_it_cannot() {
        let (_dir, wallet, vault) = setup();
        let protection = KeyProtection::Keyring(vault.clone());
        let mut rsa = request("Robin");
        rsa.key_type = KeySpec::Rsa2048;
        rsa.csr.subject.email = Some("robin@example.org".into());
        let identity = wallet.create_request(&rsa, &protection).expect("create");
        let before = identity
            .csr()
            .expect("csr")
            .expect("some")
            .facts()
            .expect("facts");
        assert_eq!(before.signature_oid, "1.2.840.113549.1.1.11");
        let access = KeyAccess {
            vault: Some(vault.clone()),
            passphrase: None,
            pin: None,
        };
        let updated = wallet
            .resign_request(&identity.id, &access, crate::csr::CsrSignature::RsaSha384)
            .expect("resign");
        // What is on disk now, read back from scratch.
        let stored = wallet.get(&identity.id).expect("get");
        assert_eq!(stored.csr_pem, updated.csr_pem);
        let after = stored
            .csr()
            .expect("csr")
            .expect("some")
            .facts()
            .expect("facts");
        assert_eq!(after.signature_oid, "1.2.840.113549.1.1.12");
        assert_eq!(after.public_key_der, before.public_key_der);
        assert_eq!(after.subject_der, before.subject_der);
        assert!(after.email_san && after.client_auth && after.key_usage_digital_signature);
        // Without the keyring secret nothing changes.
        let none = KeyAccess::default();
        assert!(wallet
            .resign_request(&identity.id, &none, crate::csr::CsrSignature::RsaSha512)
            .is_err());
        assert_eq!(
            wallet.get(&identity.id).expect("get").csr_pem,
            stored.csr_pem
        );
        // An ECDSA key cannot sign with RSA.
        let ec = wallet
            .create_request(&request("Eve"), &protection)
            .expect("create");
        let err = wallet
            .resign_request(&ec.id, &access, crate::csr::CsrSignature::RsaSha384)
            .expect_err("ec");
        assert!(
            err.to_string()
                .contains("cannot be signed with RSA with SHA-384"),
            "{err}"
        );
        assert_eq!(wallet.get(&ec.id).expect("get").csr_pem, ec.csr_pem);
        // A request with an enrollment code (not kept) is not signed again.
        let mut coded = request("Cody");
        coded.csr.challenge_password = Some(SecretString::new("ABCD-1234"));
        let coded = wallet.create_request(&coded, &protection).expect("create");
        let err = wallet
            .resign_request(&coded.id, &access, crate::csr::CsrSignature::KeyDefault)
            .expect_err("challenge");
        assert!(err.to_string().contains("challengePassword"), "{err}");
        assert_eq!(wallet.get(&coded.id).expect("get").csr_pem, coded.csr_pem);
    }

    #[test]
    fn a_request_goes_from_pending_to_issued_and_exports() {
        let (_dir, wallet, vault) = setup();
        let protection = KeyProtection::Keyring(vault.clone());
        let identity = wallet
            .create_request(&request("Pat"), &protection)
            .expect("create");
        assert_eq!(
            wallet.list().expect("list")[0].status,
            IdentityStatus::Pending
        );
        assert!(
            matches!(identity.protection, Protection::Keyring { ref vault } if vault == "memory")
        );
        let (leaf, ca) = sign(&identity);
        let bundle = format!("{}{}", cert::to_pem(&ca), cert::to_pem(&leaf));
        let outcome = wallet
            .import_certificate(bundle.as_bytes(), "reply.pem", None)
            .expect("import");
        assert_eq!(outcome.identity.id, identity.id);
        assert_eq!(outcome.chain_length, 2);
        assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
        let access = KeyAccess {
            vault: Some(vault.clone()),
            passphrase: None,
            pin: None,
        };
        let p12 = wallet
            .export_pkcs12(
                &identity.id,
                &access,
                &SecretString::new("pw"),
                P12Profile::Compatible,
            )
            .expect("export");
        let back = pkcs12::import_pkcs12(&p12, &SecretString::new("pw"), "t").expect("read back");
        assert_eq!(back.chain, vec![leaf, ca]);
        assert_eq!(back.friendly_name.as_deref(), Some("Pat"));
        let again = wallet
            .import_certificate(bundle.as_bytes(), "reply.pem", None)
            .expect("again");
        assert!(again.already_imported && !again.replaced_previous);
    }

    #[test]
    fn the_key_needs_its_keyring_secret_or_passphrase() {
        let (_dir, wallet, vault) = setup();
        let id = wallet
            .create_request(&request("Kim"), &KeyProtection::Keyring(vault.clone()))
            .expect("create")
            .id;
        let none = KeyAccess::default();
        assert!(matches!(
            wallet.verify_key(&id, &none),
            Err(Error::NoKeyring { .. })
        ));
        vault.delete(&id).expect("delete secret");
        let access = KeyAccess {
            vault: Some(vault.clone()),
            passphrase: None,
            pin: None,
        };
        assert!(matches!(
            wallet.verify_key(&id, &access),
            Err(Error::KeyringSecretMissing { .. })
        ));

        let pass = SecretString::new("correct horse battery");
        let id = wallet
            .create_request(&request("Lee"), &KeyProtection::Passphrase(pass.clone()))
            .expect("create")
            .id;
        assert!(matches!(
            wallet.verify_key(&id, &none),
            Err(Error::PassphraseRequired { .. })
        ));
        let wrong = KeyAccess {
            vault: None,
            passphrase: Some(SecretString::new("wrong passphrase")),
            pin: None,
        };
        assert!(matches!(
            wallet.verify_key(&id, &wrong),
            Err(Error::WrongPassword { .. })
        ));
        let right = KeyAccess {
            vault: None,
            passphrase: Some(pass),
            pin: None,
        };
        assert_eq!(
            wallet.verify_key(&id, &right).expect("unlock"),
            KeySpec::EcP256
        );
        let short = KeyProtection::Passphrase(SecretString::new("short"));
        assert!(matches!(
            wallet.create_request(&request("Max"), &short),
            Err(Error::InvalidField { .. })
        ));
    }

    #[test]
    fn a_failed_keyring_leaves_nothing_behind() {
        #[derive(Debug)]
        struct Broken;
        impl SecretVault for Broken {
            fn store(&self, _: &str, _: &[u8]) -> Result<()> {
                Err(Error::NoKeyring {
                    detail: "locked".into(),
                })
            }
            fn load(&self, _: &str) -> Result<zeroize::Zeroizing<Vec<u8>>> {
                Err(Error::NoKeyring {
                    detail: "locked".into(),
                })
            }
            fn delete(&self, _: &str) -> Result<()> {
                Ok(())
            }
            fn name(&self) -> String {
                "broken".into()
            }
        }
        let (dir, wallet, _) = setup();
        let err = wallet
            .create_request(&request("Ola"), &KeyProtection::Keyring(Arc::new(Broken)))
            .expect_err("no keyring");
        assert!(matches!(err, Error::NoKeyring { .. }));
        assert!(wallet.list().expect("list").is_empty());
        assert!(
            !dir.path().join("identities").exists()
                || fs::read_dir(dir.path().join("identities"))
                    .expect("ls")
                    .next()
                    .is_none()
        );
    }

    #[test]
    fn ids_resolve_by_prefix_or_label_and_deletion_removes_the_secret() {
        let (_dir, wallet, vault) = setup();
        let protection = KeyProtection::Keyring(vault.clone());
        let a = wallet
            .create_request(&request("Ana"), &protection)
            .expect("a");
        let b = wallet
            .create_request(&request("Ben"), &protection)
            .expect("b");
        assert_eq!(wallet.get(&a.id[..6]).expect("prefix").id, a.id);
        assert_eq!(wallet.get("Ben").expect("label").id, b.id);
        assert!(matches!(
            wallet.get("nobody"),
            Err(Error::IdentityNotFound { .. })
        ));
        wallet.delete(&a.id, Some(vault.as_ref())).expect("delete");
        assert!(matches!(
            vault.load(&a.id),
            Err(Error::KeyringSecretMissing { .. })
        ));
        assert_eq!(wallet.list().expect("list").len(), 1);
    }

    #[test]
    fn a_certificate_for_another_key_is_refused_and_the_request_stays() {
        let (_dir, wallet, vault) = setup();
        let protection = KeyProtection::Keyring(vault.clone());
        let mine = wallet
            .create_request(&request("Mia"), &protection)
            .expect("mine");
        let other_wallet_dir = tempfile::tempdir().expect("tempdir");
        let other = Wallet::open(other_wallet_dir.path())
            .expect("open")
            .create_request(
                &request("Eve"),
                &KeyProtection::Keyring(Arc::new(MemoryVault::default())),
            )
            .expect("other");
        let (leaf, _) = sign(&other);
        let err = wallet
            .import_certificate(&leaf, "eve.cer", None)
            .expect_err("not ours");
        assert!(matches!(err, Error::NoMatchingRequest { .. }), "{err}");
        let err = wallet
            .import_certificate(&leaf, "eve.cer", Some(&mine.id))
            .expect_err("not ours");
        assert!(matches!(err, Error::CertDoesNotMatchKey { .. }), "{err}");
        assert_eq!(
            wallet.get(&mine.id).expect("still there").status,
            IdentityStatus::Pending
        );
    }
}
