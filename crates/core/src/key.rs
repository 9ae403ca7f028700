//! Private keys: generation (ECDSA P-256/P-384, RSA 2048/3072/4096) and PKCS#8 encryption.
//!
//! Key bytes live in [`PrivateKey`], which zeroizes on drop and prints as `[redacted]`. Nothing
//! here touches the disk; the wallet decides where encrypted keys go.

use std::fmt;

use pkcs8::der::Decode;
use pkcs8::pkcs5::pbes2;
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use serde::{Deserialize, Serialize};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use zeroize::Zeroizing;

use crate::secret::random_bytes;
use crate::{Error, Result};

/// The key types certdesk creates. All of them work in browsers and OS stores
/// (Ed25519 does not: NSS 3.87 refuses its PKCS#8 v2 keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum KeySpec {
    /// ECDSA on NIST P-256: the default; small, fast, accepted everywhere current.
    #[default]
    #[serde(rename = "ec-p256")]
    EcP256,
    /// ECDSA on NIST P-384.
    #[serde(rename = "ec-p384")]
    EcP384,
    /// RSA with a 2048-bit modulus: for old servers that accept only RSA.
    #[serde(rename = "rsa-2048", alias = "rsa2048")]
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    #[serde(rename = "rsa-3072", alias = "rsa3072")]
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    #[serde(rename = "rsa-4096", alias = "rsa4096")]
    Rsa4096,
}

impl KeySpec {
    /// All key types, in the order offered to users.
    pub const ALL: [KeySpec; 5] = [
        KeySpec::EcP256,
        KeySpec::EcP384,
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
    ];

    /// The CLI spelling: `ec-p256`, `rsa-3072`, …
    pub fn as_str(self) -> &'static str {
        match self {
            KeySpec::EcP256 => "ec-p256",
            KeySpec::EcP384 => "ec-p384",
            KeySpec::Rsa2048 => "rsa-2048",
            KeySpec::Rsa3072 => "rsa-3072",
            KeySpec::Rsa4096 => "rsa-4096",
        }
    }

    /// Plain words: `ECDSA P-256`, `RSA 3072-bit`.
    pub fn describe(self) -> &'static str {
        match self {
            KeySpec::EcP256 => "ECDSA P-256",
            KeySpec::EcP384 => "ECDSA P-384",
            KeySpec::Rsa2048 => "RSA 2048-bit",
            KeySpec::Rsa3072 => "RSA 3072-bit",
            KeySpec::Rsa4096 => "RSA 4096-bit",
        }
    }

    /// Whether it is an RSA key (TLS 1.3 signs with RSA-PSS only).
    pub fn is_rsa(self) -> bool {
        matches!(self, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096)
    }

    /// Parses the CLI spelling.
    pub fn parse(s: &str) -> Result<KeySpec> {
        KeySpec::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::invalid(
                    "key type",
                    format!(
                        "expected one of {}, found \"{s}\"",
                        KeySpec::ALL.map(KeySpec::as_str).join(", ")
                    ),
                )
            })
    }

    pub(crate) fn signature_algorithm(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            KeySpec::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeySpec::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        }
    }

    /// The key type of a SubjectPublicKeyInfo, if it is one certdesk supports.
    pub fn from_spki_der(spki: &[u8]) -> Option<KeySpec> {
        let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).ok()?;
        spec_of_spki(&info)
    }
}

pub(crate) fn spec_of_spki(info: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Option<KeySpec> {
    match info.parsed().ok()? {
        PublicKey::RSA(rsa) => match rsa.key_size() {
            2048 => Some(KeySpec::Rsa2048),
            3072 => Some(KeySpec::Rsa3072),
            4096 => Some(KeySpec::Rsa4096),
            _ => None,
        },
        PublicKey::EC(_) => {
            let curve = info
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())?;
            match curve.to_id_string().as_str() {
                "1.2.840.10045.3.1.7" => Some(KeySpec::EcP256),
                "1.3.132.0.34" => Some(KeySpec::EcP384),
                _ => None,
            }
        }
        _ => None,
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A private key in memory (PKCS#8 DER). Zeroized on drop; `Debug` prints `[redacted]`.
pub struct PrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    spec: KeySpec,
    public_key_der: Vec<u8>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("spec", &self.spec)
            .field("pkcs8", &"[redacted]")
            .finish()
    }
}

/// PBKDF2 rounds for keys protected by a person's passphrase (OWASP 2023 figure for
/// PBKDF2-HMAC-SHA256).
pub const PASSPHRASE_ITERATIONS: u32 = 600_000;
/// PBKDF2 rounds for keys protected by a random 256-bit keyring secret: the secret has full
/// entropy, so stretching adds nothing but delay.
pub const RANDOM_SECRET_ITERATIONS: u32 = 10_000;

impl PrivateKey {
    /// Generates a new key on this machine with the OS random generator.
    pub fn generate(spec: KeySpec) -> Result<PrivateKey> {
        let pair = match spec {
            KeySpec::EcP256 | KeySpec::EcP384 => {
                rcgen::KeyPair::generate_for(spec.signature_algorithm())
            }
            KeySpec::Rsa2048 => {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            }
            KeySpec::Rsa3072 => {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
            }
            KeySpec::Rsa4096 => {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_4096)
            }
        }
        .map_err(|e| Error::crypto(&format!("generate a {} key", spec.describe()), e))?;
        let pair = Zeroizing::new(pair);
        let pkcs8 = Zeroizing::new(pair.serialize_der());
        PrivateKey::from_pkcs8_der(&pkcs8)
    }

    /// Reads an unencrypted PKCS#8 key (DER). Only key types certdesk supports are accepted.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey> {
        let pair = Zeroizing::new(rcgen::KeyPair::try_from(der).map_err(|e| Error::Malformed {
            what: "the private key".into(),
            source_name: "PKCS#8".into(),
            detail: e.to_string(),
        })?);
        let public_key_der = rcgen::PublicKeyData::subject_public_key_info(&*pair);
        let spec = KeySpec::from_spki_der(&public_key_der).ok_or_else(|| {
            Error::invalid(
                "key type",
                "expected an ECDSA P-256/P-384 or RSA 2048/3072/4096 key, found another kind",
            )
        })?;
        Ok(PrivateKey {
            pkcs8: Zeroizing::new(der.to_vec()),
            spec,
            public_key_der,
        })
    }

    /// Reads a PEM private key file: `PRIVATE KEY` (PKCS#8) or `ENCRYPTED PRIVATE KEY` with
    /// `password`. Older `RSA PRIVATE KEY` / `EC PRIVATE KEY` files are refused with a hint.
    pub fn from_pem(
        text: &[u8],
        password: Option<&crate::secret::SecretString>,
        source_name: &str,
    ) -> Result<PrivateKey> {
        let block = pem::parse(text).map_err(|e| Error::Malformed {
            what: "the private key".into(),
            source_name: source_name.into(),
            detail: e.to_string(),
        })?;
        let tag = block.tag().to_string();
        // The decoded key bytes are wiped when this function returns.
        let contents = Zeroizing::new(block.into_contents());
        match tag.as_str() {
            "PRIVATE KEY" => PrivateKey::from_pkcs8_der(&contents),
            "ENCRYPTED PRIVATE KEY" => {
                let password = password.ok_or_else(|| Error::PassphraseRequired {
                    id: source_name.to_string(),
                })?;
                PrivateKey::decrypt_pkcs8_der(&contents, password.expose().as_bytes(), source_name)
            }
            "RSA PRIVATE KEY" | "EC PRIVATE KEY" => Err(Error::invalid(
                "key file",
                format!("{source_name} is in the old {tag} format; convert it with `openssl pkcs8 -topk8 -in {source_name}`"),
            )),
            other => Err(Error::UnexpectedContent {
                expected: "a PRIVATE KEY".into(),
                found: format!("a {other}"),
                source_name: source_name.into(),
            }),
        }
    }

    /// The key type.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// The public half as a DER SubjectPublicKeyInfo: what a certificate for this key holds.
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    pub(crate) fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The key for rcgen; its copy of the key is wiped when dropped.
    pub(crate) fn key_pair(&self) -> Result<Zeroizing<rcgen::KeyPair>> {
        rcgen::KeyPair::try_from(self.pkcs8.as_slice())
            .map(Zeroizing::new)
            .map_err(|e| Error::crypto("load the private key", e))
    }

    /// Encrypts the key as PKCS#8 `ENCRYPTED PRIVATE KEY` DER: PBES2 with PBKDF2-SHA256 and
    /// AES-256-CBC (readable by OpenSSL 3, NSS and Java; scrypt, the pkcs8 crate's default,
    /// is not).
    pub fn encrypt_pkcs8_der(&self, password: &[u8], iterations: u32) -> Result<Vec<u8>> {
        let salt = random_bytes::<16>();
        let iv = random_bytes::<16>();
        let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(iterations, &salt, &iv)
            .map_err(|e| Error::crypto("set up key encryption", e))?;
        let info = PrivateKeyInfo::from_der(&self.pkcs8)
            .map_err(|e| Error::crypto("re-read the private key", e))?;
        let doc = info
            .encrypt_with_params(params, password)
            .map_err(|e| Error::crypto("encrypt the private key", e))?;
        Ok(doc.as_bytes().to_vec())
    }

    /// Like [`PrivateKey::encrypt_pkcs8_der`], as PEM.
    pub fn encrypt_pkcs8_pem(&self, password: &[u8], iterations: u32) -> Result<String> {
        let der = self.encrypt_pkcs8_der(password, iterations)?;
        Ok(pem_encode("ENCRYPTED PRIVATE KEY", &der))
    }

    /// The unencrypted PKCS#8 PEM, for the explicit `--insecure-unencrypted-key` export only.
    pub fn insecure_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem_encode("PRIVATE KEY", &self.pkcs8))
    }

    /// Decrypts an `ENCRYPTED PRIVATE KEY` (DER). `what` names the key in the error.
    ///
    /// The key-derivation cost comes from the file, so it is checked before any work: more
    /// than [`MAX_PBKDF2_ITERATIONS`] PBKDF2 rounds, or scrypt parameters needing more than
    /// [`MAX_SCRYPT_MEMORY`] bytes or a parallelism over [`MAX_SCRYPT_PARALLELISM`], are
    /// refused with the figure named (a hostile file could otherwise hang certdesk for hours).
    pub fn decrypt_pkcs8_der(der: &[u8], password: &[u8], what: &str) -> Result<PrivateKey> {
        let info = EncryptedPrivateKeyInfo::from_der(der).map_err(|e| Error::Malformed {
            what: "the encrypted private key".into(),
            source_name: what.into(),
            detail: e.to_string(),
        })?;
        check_kdf_cost(&info.encryption_algorithm).map_err(|detail| Error::Malformed {
            what: "the encrypted private key".into(),
            source_name: what.into(),
            detail,
        })?;
        let doc = info.decrypt(password).map_err(|_| Error::WrongPassword {
            what: what.to_string(),
        })?;
        PrivateKey::from_pkcs8_der(doc.as_bytes())
    }
}

/// Most PBKDF2 rounds certdesk runs for a key file: 16× its own passphrase cost
/// ([`PASSPHRASE_ITERATIONS`]); a few seconds of work at most.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Most memory a file's scrypt parameters may ask for (128 · r · N · p bytes).
pub const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
/// Largest scrypt parallelism accepted.
pub const MAX_SCRYPT_PARALLELISM: u16 = 16;

/// `Err(why)` when a file's key-derivation parameters ask for more work than certdesk does.
fn check_kdf_cost(scheme: &pkcs8::pkcs5::EncryptionScheme<'_>) -> std::result::Result<(), String> {
    let pkcs8::pkcs5::EncryptionScheme::Pbes2(params) = scheme else {
        return Ok(());
    };
    match &params.kdf {
        pbes2::Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => Err(format!(
            "the file asks for {} PBKDF2 rounds to derive its key; certdesk refuses more than {MAX_PBKDF2_ITERATIONS}",
            p.iteration_count
        )),
        pbes2::Kdf::Scrypt(p) => {
            let memory = 128u64
                .saturating_mul(u64::from(p.block_size))
                .saturating_mul(p.cost_parameter)
                .saturating_mul(u64::from(p.parallelization));
            if p.parallelization > MAX_SCRYPT_PARALLELISM || memory > MAX_SCRYPT_MEMORY {
                Err(format!(
                    "the file asks scrypt for N={}, r={}, p={} (about {} MiB); certdesk refuses more than {} MiB or p > {MAX_SCRYPT_PARALLELISM}",
                    p.cost_parameter,
                    p.block_size,
                    p.parallelization,
                    memory / (1024 * 1024),
                    MAX_SCRYPT_MEMORY / (1024 * 1024)
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// PEM with 64-column lines and LF endings.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(label, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_type_generates_and_reports_its_type() {
        for spec in [KeySpec::EcP256, KeySpec::EcP384, KeySpec::Rsa2048] {
            let key = PrivateKey::generate(spec).expect("generate");
            assert_eq!(key.spec(), spec);
            assert_eq!(KeySpec::from_spki_der(key.public_key_der()), Some(spec));
        }
    }

    #[test]
    fn encrypted_key_round_trips_and_rejects_a_wrong_password() {
        let key = PrivateKey::generate(KeySpec::EcP256).expect("generate");
        let enc = key.encrypt_pkcs8_der(b"right", 1000).expect("encrypt");
        let back = PrivateKey::decrypt_pkcs8_der(&enc, b"right", "test").expect("decrypt");
        assert_eq!(back.public_key_der(), key.public_key_der());
        let err = PrivateKey::decrypt_pkcs8_der(&enc, b"wrong", "test").expect_err("must fail");
        assert!(matches!(err, Error::WrongPassword { .. }), "{err}");
    }

    /// A key file names its own derivation cost; one asking for 2^31 - 1 PBKDF2 rounds or
    /// 4 GiB of scrypt memory is refused before any work, with the figure named (before, the
    /// first would have run PBKDF2 for hours and the second allocated 4 GiB).
    #[test]
    fn hostile_key_derivation_costs_are_refused_before_any_work() {
        use pkcs8::der::Encode;
        let salt = [7u8; 16];
        let iv = [9u8; 16];
        let encrypted = [0u8; 64];
        // Built field by field: pkcs5's constructor itself refuses counts over 10^8, its DER
        // decoder does not.
        let pbkdf2 = pbes2::Parameters {
            kdf: pbes2::Kdf::Pbkdf2(pbes2::Pbkdf2Params {
                salt: &salt,
                iteration_count: i32::MAX as u32,
                key_length: None,
                prf: pbes2::Pbkdf2Prf::HmacWithSha256,
            }),
            encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &iv },
        };
        let scrypt = pbes2::Parameters {
            kdf: pbes2::Kdf::Scrypt(pbes2::ScryptParams {
                salt: &salt,
                cost_parameter: 1 << 22,
                block_size: 8,
                parallelization: 1,
                key_length: None,
            }),
            encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &iv },
        };
        for (params, names) in [
            (pbkdf2, "2147483647 PBKDF2 rounds"),
            (scrypt, "N=4194304, r=8, p=1 (about 4096 MiB)"),
        ] {
            let der = EncryptedPrivateKeyInfo {
                encryption_algorithm: params.into(),
                encrypted_data: &encrypted,
            }
            .to_der()
            .expect("der");
            let err =
                PrivateKey::decrypt_pkcs8_der(&der, b"pw", "hostile.key").expect_err("refused");
            assert!(err.to_string().contains(names), "{err}");
        }
    }

    #[test]
    fn debug_output_hides_key_bytes() {
        let key = PrivateKey::generate(KeySpec::EcP256).expect("generate");
        let shown = format!("{key:?}");
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains(&format!("{:?}", &key.pkcs8_der()[..8])));
    }

    #[test]
    fn json_spelling_is_the_cli_spelling() {
        for spec in KeySpec::ALL {
            let json = serde_json::to_string(&spec).expect("json");
            assert_eq!(json, format!("\"{}\"", spec.as_str()));
            assert_eq!(serde_json::from_str::<KeySpec>(&json).expect("back"), spec);
        }
        assert_eq!(
            serde_json::from_str::<KeySpec>("\"rsa3072\"").expect("old spelling"),
            KeySpec::Rsa3072
        );
    }

    #[test]
    fn key_spec_parses_cli_spelling() {
        assert_eq!(KeySpec::parse("rsa-3072").expect("parse"), KeySpec::Rsa3072);
        let err = KeySpec::parse("ed25519").expect_err("unsupported");
        assert!(err.to_string().contains("ec-p256"), "{err}");
    }
}
