//! The throwaway practice CA: created on first start, kept in the data directory with its key
//! encrypted (PKCS#8 PBES2, like the wallet), and used to sign client certificates from CSRs and
//! the servers' own TLS certificates.

use std::fs;
use std::path::{Path, PathBuf};

use certdesk_core::fsutil::{create_private_dir, write_atomic, FileMode};
use certdesk_core::key::{KeySpec, PrivateKey, PASSPHRASE_ITERATIONS, RANDOM_SECRET_ITERATIONS};
use certdesk_core::wallet::{KeyAccess, MIN_PASSPHRASE_CHARS};
use certdesk_core::{Error, Result};
use pkcs8::der::Decode;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType,
    SerialNumber,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate, X509CertificationRequest, X509Name};
use zeroize::Zeroizing;

/// The CA's common name: unmistakably not a real CA.
pub const CA_COMMON_NAME: &str = "certdesk Practice CA";
/// Lifetime of certificates issued to people, unless [`crate::PracticeConfig::client_validity`]
/// asks for another.
pub const CLIENT_VALIDITY_DAYS: i64 = 90;
/// Shortest client certificate lifetime the practice CA issues (`--validity`): below a minute
/// a certificate would expire while being installed.
pub const MIN_CLIENT_VALIDITY: std::time::Duration = std::time::Duration::from_secs(60);
/// Longest: the CA's own lifetime is five years.
pub const MAX_CLIENT_VALIDITY: std::time::Duration =
    std::time::Duration::from_secs(4 * 365 * 86_400);
const CA_VALIDITY_DAYS: i64 = 5 * 365;
const SERVER_VALIDITY_DAYS: i64 = 30;

const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
const CA_RECORD_FILE: &str = "ca.json";

/// `ca.json`: how the CA key is protected. Written last, so its presence marks a complete CA.
#[derive(Debug, Serialize, Deserialize)]
struct CaRecord {
    format: u32,
    protection: StoredProtection,
    created: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum StoredProtection {
    /// A random 256-bit secret in the OS keyring under `certdesk/<entry>`.
    Keyring { vault: String, entry: String },
    /// The user's passphrase.
    Passphrase,
}

/// The practice CA, unlocked in memory.
pub(crate) struct PracticeCa {
    issuer: Issuer<'static, KeyPair>,
    cert_der: Vec<u8>,
    /// True when this start created the CA.
    pub(crate) created: bool,
}

impl std::fmt::Debug for PracticeCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PracticeCa")
            .field("fingerprint", &fingerprint_sha256(&self.cert_der))
            .field("key", &"[redacted]")
            .finish()
    }
}

/// A certificate just issued, with what the EST answer and logs need.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) der: Vec<u8>,
}

/// A server certificate and its key (kept in memory only, re-made at every start).
pub(crate) struct ServerIdentity {
    pub(crate) cert_der: Vec<u8>,
    pub(crate) key_pkcs8: Zeroizing<Vec<u8>>,
}

/// SHA-256 of DER bytes as colon-separated upper-case hex (`AB:CD:…`), as `openssl x509
/// -fingerprint -sha256` prints it.
pub fn fingerprint_sha256(der: &[u8]) -> String {
    certdesk_core::csr::colon_hex(&Sha256::digest(der))
}

impl PracticeCa {
    /// Opens the CA in `dir`, or creates it there when there is none yet.
    pub(crate) fn open_or_create(dir: &Path, access: &KeyAccess) -> Result<PracticeCa> {
        create_private_dir(dir)?;
        let record_path = dir.join(CA_RECORD_FILE);
        if record_path.exists() {
            PracticeCa::open(dir, access)
        } else {
            PracticeCa::create(dir, access)
        }
    }

    fn create(dir: &Path, access: &KeyAccess) -> Result<PracticeCa> {
        let key = PrivateKey::generate(KeySpec::EcP256)?;
        let (encrypted, protection) = match (&access.passphrase, &access.vault) {
            (Some(p), _) => {
                if p.expose().chars().count() < MIN_PASSPHRASE_CHARS {
                    return Err(Error::InvalidField {
                        field: "passphrase".into(),
                        reason: format!("use at least {MIN_PASSPHRASE_CHARS} characters"),
                    });
                }
                (
                    key.encrypt_pkcs8_pem(p.expose().as_bytes(), PASSPHRASE_ITERATIONS)?,
                    StoredProtection::Passphrase,
                )
            }
            (None, Some(vault)) => {
                let entry = format!("practice-ca-{}", hex::encode(rand::random::<[u8; 8]>()));
                let secret = Zeroizing::new(rand::random::<[u8; 32]>());
                vault.store(&entry, secret.as_slice())?;
                (
                    key.encrypt_pkcs8_pem(secret.as_slice(), RANDOM_SECRET_ITERATIONS)?,
                    StoredProtection::Keyring {
                        vault: vault.name(),
                        entry,
                    },
                )
            }
            (None, None) => {
                return Err(Error::NoKeyring {
                    detail: "the practice CA's key needs the OS keyring or a passphrase".into(),
                })
            }
        };
        let key_pair = unlock_pem(encrypted.as_bytes(), &protection, access, dir)?;
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        params.distinguished_name = practice_dn(CA_COMMON_NAME);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = now - Duration::minutes(5);
        params.not_after = now + Duration::days(CA_VALIDITY_DAYS);
        params.serial_number = Some(random_serial());
        let cert = params
            .self_signed(&key_pair)
            .map_err(|e| crypto("sign the practice CA certificate", e))?;
        let cert_der = cert.der().to_vec();

        let record = CaRecord {
            format: 1,
            protection,
            created: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        };
        let result = (|| {
            write_atomic(
                &dir.join(CA_KEY_FILE),
                encrypted.as_bytes(),
                FileMode::Private,
            )?;
            write_atomic(
                &dir.join(CA_CERT_FILE),
                cert.pem().as_bytes(),
                FileMode::Public,
            )?;
            let json = serde_json::to_vec_pretty(&record)
                .map_err(|e| crypto("encode the practice CA record", e))?;
            write_atomic(&dir.join(CA_RECORD_FILE), &json, FileMode::Private)
        })();
        if let Err(e) = result {
            if let (StoredProtection::Keyring { entry, .. }, Some(vault)) =
                (&record.protection, &access.vault)
            {
                let _ = vault.delete(entry);
            }
            return Err(e);
        }
        Ok(PracticeCa {
            issuer: Issuer::new(params, key_pair),
            cert_der,
            created: true,
        })
    }

    fn open(dir: &Path, access: &KeyAccess) -> Result<PracticeCa> {
        let record_path = dir.join(CA_RECORD_FILE);
        let record: CaRecord = serde_json::from_slice(&read(&record_path)?).map_err(|e| {
            Error::PracticeCaUnusable {
                dir: dir.to_path_buf(),
                detail: format!("{} is damaged: {e}", record_path.display()),
            }
        })?;
        let key_text = Zeroizing::new(read(&dir.join(CA_KEY_FILE))?);
        let key_pair = unlock_pem(&key_text, &record.protection, access, dir)?;
        let cert_path = dir.join(CA_CERT_FILE);
        let cert_pem = read(&cert_path)?;
        let cert_der = pem::parse(&cert_pem)
            .map_err(|e| Error::PracticeCaUnusable {
                dir: dir.to_path_buf(),
                detail: format!("{} is damaged: {e}", cert_path.display()),
            })?
            .into_contents();
        let (_, parsed) =
            X509Certificate::from_der(&cert_der).map_err(|e| Error::PracticeCaUnusable {
                dir: dir.to_path_buf(),
                detail: format!("{} is damaged: {e}", cert_path.display()),
            })?;
        if parsed.public_key().raw != key_pair.subject_public_key_info().as_slice() {
            return Err(Error::PracticeCaUnusable {
                dir: dir.to_path_buf(),
                detail: format!(
                    "{} does not belong to the key in {CA_KEY_FILE}",
                    cert_path.display()
                ),
            });
        }
        let issuer = Issuer::from_ca_cert_der(&cert_der.as_slice().into(), key_pair)
            .map_err(|e| crypto("load the practice CA certificate", e))?;
        Ok(PracticeCa {
            issuer,
            cert_der,
            created: false,
        })
    }

    /// The CA certificate (DER).
    pub(crate) fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// A fresh server certificate for 127.0.0.1 and localhost, with a key that lives only in
    /// memory.
    pub(crate) fn issue_server_identity(&self) -> Result<ServerIdentity> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| crypto("generate the practice server's key", e))?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()])
            .map_err(|e| crypto("set up the practice server certificate", e))?;
        params
            .subject_alt_names
            .push(SanType::IpAddress(std::net::IpAddr::V4(
                std::net::Ipv4Addr::LOCALHOST,
            )));
        params.distinguished_name = practice_dn("127.0.0.1");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::minutes(5);
        params.not_after = now + Duration::days(SERVER_VALIDITY_DAYS);
        params.serial_number = Some(random_serial());
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| crypto("sign the practice server certificate", e))?;
        Ok(ServerIdentity {
            cert_der: cert.der().to_vec(),
            key_pkcs8: Zeroizing::new(key.serialize_der()),
        })
    }

    /// Checks a PKCS#10 request (DER) and issues a client certificate for it: the request's
    /// subject, its email SANs, clientAuth, digitalSignature, `validity` long, and a random
    /// serial. Errors are plain sentences for a 400 answer.
    ///
    /// notBefore is set back by a tenth of the validity, at most five minutes, for clocks that
    /// lag a little: a 90-day certificate starts five minutes ago, a 3-minute one 18 s ago, so
    /// that a short certificate's lifetime (and the renewal threshold derived from it) stays
    /// close to what was asked for.
    pub(crate) fn issue_client(
        &self,
        csr: &CheckedCsr,
        validity: std::time::Duration,
    ) -> std::result::Result<Issued, String> {
        let mut params = CertificateParams::default();
        params.distinguished_name = csr.subject.clone();
        for email in &csr.emails {
            let ia5 = email
                .as_str()
                .try_into()
                .map_err(|_| format!("the email address \"{email}\" is not plain ASCII"))?;
            params.subject_alt_names.push(SanType::Rfc822Name(ia5));
        }
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        let now = OffsetDateTime::now_utc();
        let validity = validity.clamp(MIN_CLIENT_VALIDITY, MAX_CLIENT_VALIDITY);
        let backdate = (validity / 10).min(std::time::Duration::from_secs(300));
        params.not_before = now - backdate;
        params.not_after = now + validity;
        params.serial_number = Some(random_serial());
        let cert = params
            .signed_by(&csr.public_key, &self.issuer)
            .map_err(|e| format!("the practice CA could not sign this request: {e}"))?;
        Ok(Issued {
            der: cert.der().to_vec(),
        })
    }
}

/// A PKCS#10 request whose signature verified, reduced to what the practice CA copies.
#[derive(Debug)]
pub struct CheckedCsr {
    pub(crate) subject: DistinguishedName,
    /// (OID, value) pairs of the subject, for the renewal "same subject" check.
    pub(crate) subject_attrs: Vec<(String, String)>,
    pub(crate) subject_text: String,
    pub(crate) emails: Vec<String>,
    public_key: CsrPublicKey,
}

#[derive(Debug)]
struct CsrPublicKey {
    raw: Vec<u8>,
    alg: &'static rcgen::SignatureAlgorithm,
}

impl PublicKeyData for CsrPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.alg
    }
}

/// Parses a PKCS#10 request (DER), verifies its self-signature and extracts the subject, the
/// email SANs and the public key. Errors are plain sentences for a 400 answer.
pub fn check_csr(der: &[u8]) -> std::result::Result<CheckedCsr, String> {
    let (rest, csr) = X509CertificationRequest::from_der(der)
        .map_err(|e| format!("the body is not a PKCS#10 certificate request ({e})"))?;
    if !rest.is_empty() {
        return Err(format!(
            "the certificate request is followed by {} unexpected bytes",
            rest.len()
        ));
    }
    csr.verify_signature().map_err(|e| {
        format!("the certificate request's signature does not verify ({e}): it was altered or not signed by its key")
    })?;
    let info = &csr.certification_request_info;
    let (subject, subject_attrs) = copy_subject(&info.subject)?;
    if subject_attrs.is_empty() {
        return Err(
            "the certificate request has an empty subject: put your name in it (CN=…)".into(),
        );
    }
    let mut emails = Vec::new();
    if let Some(exts) = csr.requested_extensions() {
        for ext in exts {
            if let x509_parser::extensions::ParsedExtension::SubjectAlternativeName(san) = ext {
                for name in &san.general_names {
                    if let x509_parser::extensions::GeneralName::RFC822Name(e) = name {
                        emails.push((*e).to_string());
                    }
                }
            }
        }
    }
    let spki = &info.subject_pki;
    let alg = spki_algorithm(spki).ok_or_else(|| {
        "the request's key type is not supported by the practice CA (use ECDSA P-256/P-384, RSA or Ed25519)".to_string()
    })?;
    Ok(CheckedCsr {
        subject,
        subject_text: info.subject.to_string(),
        subject_attrs,
        emails,
        public_key: CsrPublicKey {
            raw: spki.subject_public_key.data.to_vec(),
            alg,
        },
    })
}

/// The (OID, value) pairs of a certificate's subject, comparable with
/// [`CheckedCsr::subject_attrs`].
pub(crate) fn subject_attrs_of_cert(
    der: &[u8],
) -> std::result::Result<Vec<(String, String)>, String> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("unreadable certificate: {e}"))?;
    Ok(copy_subject(cert.subject())?.1)
}

fn copy_subject(
    name: &X509Name<'_>,
) -> std::result::Result<(DistinguishedName, Vec<(String, String)>), String> {
    let mut dn = DistinguishedName::new();
    let mut attrs = Vec::new();
    for rdn in name.iter() {
        if rdn.iter().count() != 1 {
            return Err("the request's subject has a multi-valued name part, which the practice CA does not copy".into());
        }
        for attr in rdn.iter() {
            let oid = attr.attr_type().to_id_string();
            let value = attr
                .as_str()
                .map_err(|_| format!("the subject attribute {oid} is not a readable string"))?
                .to_string();
            let ty = match oid.as_str() {
                "2.5.4.3" => DnType::CommonName,
                "2.5.4.10" => DnType::OrganizationName,
                "2.5.4.11" => DnType::OrganizationalUnitName,
                "2.5.4.6" => DnType::CountryName,
                "2.5.4.7" => DnType::LocalityName,
                "2.5.4.8" => DnType::StateOrProvinceName,
                _ => {
                    let arcs: Option<Vec<u64>> = attr.attr_type().iter().map(|i| i.collect());
                    DnType::CustomDnType(arcs.ok_or_else(|| {
                        format!("the subject attribute {oid} has an unsupported type")
                    })?)
                }
            };
            if attrs.iter().any(|(o, _)| *o == oid) {
                return Err(format!(
                    "the request's subject names {oid} twice, which the practice CA cannot copy"
                ));
            }
            let tag = attr.attr_value().header.tag();
            let dn_value = if tag == x509_parser::der_parser::asn1_rs::Tag::PrintableString {
                DnValue::PrintableString(
                    value
                        .as_str()
                        .try_into()
                        .map_err(|_| format!("the subject attribute {oid} is not printable"))?,
                )
            } else if tag == x509_parser::der_parser::asn1_rs::Tag::Ia5String {
                DnValue::Ia5String(
                    value
                        .as_str()
                        .try_into()
                        .map_err(|_| format!("the subject attribute {oid} is not ASCII"))?,
                )
            } else {
                DnValue::Utf8String(value.clone())
            };
            dn.push(ty, dn_value);
            attrs.push((oid, value));
        }
    }
    Ok((dn, attrs))
}

fn spki_algorithm(
    spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>,
) -> Option<&'static rcgen::SignatureAlgorithm> {
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.1" => Some(&rcgen::PKCS_RSA_SHA256),
        "1.3.101.112" => Some(&rcgen::PKCS_ED25519),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())?;
            match curve.to_id_string().as_str() {
                "1.2.840.10045.3.1.7" => Some(&rcgen::PKCS_ECDSA_P256_SHA256),
                "1.3.132.0.34" => Some(&rcgen::PKCS_ECDSA_P384_SHA384),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Decrypts the CA key PEM with the stored protection's secret and loads it for signing.
fn unlock_pem(
    pem_text: &[u8],
    protection: &StoredProtection,
    access: &KeyAccess,
    dir: &Path,
) -> Result<KeyPair> {
    let unusable = |detail: String| Error::PracticeCaUnusable {
        dir: dir.to_path_buf(),
        detail,
    };
    let block =
        pem::parse(pem_text).map_err(|e| unusable(format!("{CA_KEY_FILE} is damaged: {e}")))?;
    if block.tag() != "ENCRYPTED PRIVATE KEY" {
        return Err(unusable(format!(
            "{CA_KEY_FILE} holds a {} instead of an encrypted key",
            block.tag()
        )));
    }
    let what = format!("the practice CA key in {}", dir.display());
    let password: Zeroizing<Vec<u8>> = match protection {
        StoredProtection::Passphrase => match &access.passphrase {
            Some(p) => Zeroizing::new(p.expose().as_bytes().to_vec()),
            None => {
                return Err(unusable(
                    "its key is protected by a passphrase and none was given".into(),
                ))
            }
        },
        StoredProtection::Keyring { vault, entry } => {
            let store = access.vault.as_ref().ok_or_else(|| {
                unusable(format!(
                    "its key is protected by {vault}, which is not reachable now"
                ))
            })?;
            match store.load(entry) {
                Ok(secret) => secret,
                Err(Error::KeyringSecretMissing { detail, .. }) => {
                    return Err(unusable(format!(
                        "the keyring no longer holds its secret ({detail})"
                    )))
                }
                Err(e) => return Err(e),
            }
        }
    };
    let info = pkcs8::EncryptedPrivateKeyInfo::from_der(block.contents())
        .map_err(|e| unusable(format!("{CA_KEY_FILE} is damaged: {e}")))?;
    let doc = info
        .decrypt(password.as_slice())
        .map_err(|_| Error::WrongPassword { what })?;
    let der = Zeroizing::new(doc.as_bytes().to_vec());
    KeyPair::try_from(der.as_slice())
        .map_err(|e| unusable(format!("{CA_KEY_FILE} holds an unusable key: {e}")))
}

fn practice_dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::OrganizationName,
        "certdesk practice (not a real CA)",
    );
    dn.push(DnType::CommonName, cn);
    dn
}

/// A positive 16-byte serial (RFC 5280 allows up to 20 octets).
fn random_serial() -> SerialNumber {
    let mut bytes = rand::random::<[u8; 16]>();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| Error::Io {
        op: "read",
        path: PathBuf::from(path),
        source,
    })
}

fn crypto(op: &str, e: impl std::fmt::Display) -> Error {
    Error::Crypto {
        op: op.into(),
        detail: e.to_string(),
    }
}
