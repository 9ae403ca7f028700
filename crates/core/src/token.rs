//! Keys that cannot be copied: security keys, smart cards and TPMs through PKCS#11 (the
//! `cryptoki` crate). certdesk asks the token to make the key (sensitive, never extractable),
//! reads only its public half, and has the token sign: the private key never exists outside
//! the device.
//!
//! Modules are found where p11-kit registers them (`/usr/share/p11-kit/modules/*.module`,
//! `/etc/pkcs11/modules/*.module`) and at the usual paths of OpenSC, ykcs11, tpm2-pkcs11 and
//! SoftHSM, or given by path.

use std::path::{Path, PathBuf};

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use serde::Serialize;
use sha2::Digest;

use crate::key::KeySpec;
use crate::secret::SecretString;
use crate::{Error, Result};

/// Where PKCS#11 modules of common tokens are installed on Linux (Debian/Ubuntu paths first).
const USUAL_MODULES: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/x86_64-linux-gnu/libykcs11.so",
    "/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so",
    "/usr/lib/x86_64-linux-gnu/libtpm2_pkcs11.so",
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

/// Folders where p11-kit keeps its `*.module` registrations.
const P11_KIT_FOLDERS: &[&str] = &["/usr/share/p11-kit/modules", "/etc/pkcs11/modules"];

/// The PKCS#11 modules on this computer: p11-kit's registrations, then the usual paths; each
/// existing file once.
pub fn known_modules() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut add = |path: PathBuf| {
        let path = path.canonicalize().unwrap_or(path);
        if path.is_file() && !found.contains(&path) {
            found.push(path);
        }
    };
    for folder in P11_KIT_FOLDERS {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "module"))
        {
            if let Some(module) =
                p11_kit_module_path(&std::fs::read_to_string(file).unwrap_or_default())
            {
                add(module);
            }
        }
    }
    for path in USUAL_MODULES {
        add(PathBuf::from(path));
    }
    found
}

/// The `module:` line of a p11-kit `.module` file. A bare file name is relative to p11-kit's
/// module folder.
fn p11_kit_module_path(text: &str) -> Option<PathBuf> {
    let value = text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "module").then(|| value.trim().to_string())
    })?;
    if value.is_empty() {
        return None;
    }
    let path = PathBuf::from(&value);
    Some(if path.is_absolute() {
        path
    } else {
        PathBuf::from("/usr/lib/x86_64-linux-gnu/pkcs11").join(path)
    })
}

/// What a token can do for a client certificate.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenAbilities {
    /// RSA PKCS#1 v1.5 signatures (TLS 1.2 and certificate requests).
    pub rsa_pkcs1: bool,
    /// RSA-PSS signatures: TLS 1.3 allows no other RSA signature, so a token without them
    /// cannot log in with an RSA key to a TLS 1.3 site.
    pub rsa_pss: bool,
    /// ECDSA signatures.
    pub ecdsa: bool,
    /// Makes RSA key pairs.
    pub rsa_keygen: bool,
    /// Makes elliptic-curve key pairs.
    pub ec_keygen: bool,
}

/// The state of the user PIN as the token reports it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PinState {
    /// No wrong tries reported.
    Ok,
    /// A wrong PIN was given since the last right one.
    CountLow,
    /// The next wrong PIN locks the token.
    FinalTry,
    /// Locked: only the PUK or an administrator can unlock it.
    Locked,
    /// The PIN was never set.
    NotInitialized,
}

/// One token (a security key, card or TPM) in a slot of a module.
#[derive(Debug, Clone, Serialize)]
pub struct TokenSummary {
    /// The module's path.
    pub module: PathBuf,
    /// The slot number.
    pub slot: u64,
    /// Whether the token was initialised (SoftHSM and some readers show an empty one).
    pub initialized: bool,
    /// Label.
    pub label: String,
    /// Serial number.
    pub serial: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// The user PIN's state.
    pub pin: PinState,
    /// What it can do.
    pub abilities: TokenAbilities,
}

/// A loaded PKCS#11 module.
pub struct Module {
    path: PathBuf,
    context: Pkcs11,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("path", &self.path).finish()
    }
}

fn module_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::TokenModule {
        module: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// Largest module file read to look at its exports (real modules are a few MB).
const MAX_MODULE_BYTES: u64 = 256 * 1024 * 1024;

/// Whether the shared library at `path` exports `C_GetFunctionList` (ELF, Mach-O or PE, read
/// with the `object` crate).
fn exports_pkcs11_entry(path: &Path) -> Result<bool> {
    use object::read::Object;
    let size = std::fs::metadata(path)
        .map_err(|e| module_error(path, e))?
        .len();
    if size > MAX_MODULE_BYTES {
        return Err(module_error(
            path,
            format!("it is {size} bytes, more than any PKCS#11 library"),
        ));
    }
    let data = std::fs::read(path).map_err(|e| module_error(path, e))?;
    let file = object::read::File::parse(&*data)
        .map_err(|e| module_error(path, format!("it is not a shared library ({e})")))?;
    let exports = file.exports().map_err(|e| module_error(path, e))?;
    Ok(exports.iter().any(|e| e.name() == b"C_GetFunctionList"))
}

impl Module {
    /// Loads and initialises the module at `path`.
    pub fn open(path: &Path) -> Result<Module> {
        if !path.is_file() {
            return Err(module_error(path, "there is no such file"));
        }
        // cryptoki panics on a library without the PKCS#11 entry point: look for it first,
        // in the library's export table.
        if !exports_pkcs11_entry(path)? {
            return Err(module_error(
                path,
                "it is not a PKCS#11 library (it has no C_GetFunctionList)",
            ));
        }
        let context = Pkcs11::new(path)
            .map_err(|e| module_error(path, format!("it is not a PKCS#11 library ({e})")))?;
        match context.initialize(CInitializeArgs::OsThreads) {
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(module_error(path, e)),
        }
        Ok(Module {
            path: path.to_path_buf(),
            context,
        })
    }

    /// The module's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tokens present, with what each can do.
    pub fn tokens(&self) -> Result<Vec<TokenSummary>> {
        let slots = self
            .context
            .get_slots_with_token()
            .map_err(|e| module_error(&self.path, e))?;
        slots.into_iter().map(|slot| self.summary(slot)).collect()
    }

    fn summary(&self, slot: Slot) -> Result<TokenSummary> {
        let info = self
            .context
            .get_token_info(slot)
            .map_err(|e| module_error(&self.path, e))?;
        let mechanisms = self.context.get_mechanism_list(slot).unwrap_or_default();
        let has = |m: MechanismType| mechanisms.contains(&m);
        let pin = if info.user_pin_locked() {
            PinState::Locked
        } else if !info.user_pin_initialized() {
            PinState::NotInitialized
        } else if info.user_pin_final_try() {
            PinState::FinalTry
        } else if info.user_pin_count_low() {
            PinState::CountLow
        } else {
            PinState::Ok
        };
        Ok(TokenSummary {
            module: self.path.clone(),
            slot: slot.id(),
            initialized: info.token_initialized(),
            label: info.label().trim().to_string(),
            serial: info.serial_number().trim().to_string(),
            manufacturer: info.manufacturer_id().trim().to_string(),
            model: info.model().trim().to_string(),
            pin,
            abilities: TokenAbilities {
                rsa_pkcs1: has(MechanismType::RSA_PKCS) || has(MechanismType::SHA256_RSA_PKCS),
                rsa_pss: has(MechanismType::RSA_PKCS_PSS)
                    || has(MechanismType::SHA256_RSA_PKCS_PSS),
                ecdsa: has(MechanismType::ECDSA),
                rsa_keygen: has(MechanismType::RSA_PKCS_KEY_PAIR_GEN),
                ec_keygen: has(MechanismType::ECC_KEY_PAIR_GEN),
            },
        })
    }

    /// The token whose label or serial number is `wanted`.
    pub fn find(&self, wanted: &str) -> Result<TokenSummary> {
        let tokens: Vec<TokenSummary> = self
            .tokens()?
            .into_iter()
            .filter(|t| t.initialized)
            .collect();
        let wanted_trimmed = wanted.trim();
        if let Some(found) = tokens
            .iter()
            .find(|t| t.label == wanted_trimmed || t.serial == wanted_trimmed)
        {
            return Ok(found.clone());
        }
        let present = if tokens.is_empty() {
            "none".to_string()
        } else {
            tokens
                .iter()
                .map(|t| format!("{} ({})", t.label, t.serial))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(Error::TokenNotFound {
            wanted: wanted.to_string(),
            present,
        })
    }

    /// Opens a session on `token` and logs the user in with `pin`.
    pub fn login(&self, token: &TokenSummary, pin: &SecretString) -> Result<Session> {
        let slot = self
            .context
            .get_slots_with_token()
            .map_err(|e| module_error(&self.path, e))?
            .into_iter()
            .find(|s| s.id() == token.slot)
            .ok_or_else(|| Error::TokenNotFound {
                wanted: token.label.clone(),
                present: "none (it was removed)".into(),
            })?;
        let session = self
            .context
            .open_rw_session(slot)
            .map_err(|e| token_failed(token, "open a session", e))?;
        let pin = AuthPin::new(pin.expose().to_string());
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
                Ok(session)
            }
            Err(cryptoki::error::Error::Pkcs11(RvError::PinIncorrect, _)) => {
                // The token's own count of wrong tries, read after this one.
                let state = self.summary(slot).map(|t| t.pin).unwrap_or(PinState::Ok);
                if state == PinState::Locked {
                    return Err(Error::TokenLocked {
                        token: token.label.clone(),
                    });
                }
                Err(Error::TokenPinRefused {
                    token: token.label.clone(),
                    tries: match state {
                        PinState::FinalTry => "; one more wrong PIN locks it".to_string(),
                        PinState::CountLow => "; it counts the wrong tries".to_string(),
                        _ => String::new(),
                    },
                })
            }
            Err(cryptoki::error::Error::Pkcs11(RvError::PinLocked, _)) => Err(Error::TokenLocked {
                token: token.label.clone(),
            }),
            Err(e) => Err(token_failed(token, "log in", e)),
        }
    }
}

fn token_failed(token: &TokenSummary, action: &str, e: impl std::fmt::Display) -> Error {
    Error::TokenFailed {
        token: token.label.clone(),
        action: action.into(),
        detail: e.to_string(),
    }
}

/// DER of the named curve's OID, as `CKA_EC_PARAMS` wants it.
fn ec_params(spec: KeySpec) -> Option<Vec<u8>> {
    match spec {
        // 1.2.840.10045.3.1.7 (prime256v1)
        KeySpec::EcP256 => Some(vec![
            0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
        ]),
        // 1.3.132.0.34 (secp384r1)
        KeySpec::EcP384 => Some(vec![0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]),
        _ => None,
    }
}

fn rsa_bits(spec: KeySpec) -> Option<usize> {
    match spec {
        KeySpec::Rsa2048 => Some(2048),
        KeySpec::Rsa3072 => Some(3072),
        KeySpec::Rsa4096 => Some(4096),
        _ => None,
    }
}

/// A key on a token: what is needed to find it again, and its public half.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenKeyRef {
    /// The module's path.
    pub module: PathBuf,
    /// The token's serial number.
    pub token_serial: String,
    /// The token's label.
    pub token_label: String,
    /// `CKA_ID` of the key pair (and of the certificate written beside it), hex.
    pub key_id: String,
    /// The key type.
    pub spec: KeySpec,
}

/// A key on a logged-in token that signs there; usable wherever rcgen signs (requests).
pub struct TokenKey {
    session: Session,
    private: ObjectHandle,
    spec: KeySpec,
    /// The public key as a certificate holds it inside its BIT STRING.
    public_raw: Vec<u8>,
    /// Where it lives.
    pub reference: TokenKeyRef,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    /// Makes a new key pair on the token: private, sensitive and never extractable, with a
    /// fresh random `CKA_ID` and `label`.
    pub fn generate(
        module: &Module,
        token: &TokenSummary,
        pin: &SecretString,
        spec: KeySpec,
        label: &str,
    ) -> Result<TokenKey> {
        let session = module.login(token, pin)?;
        let id = crate::secret::random_bytes::<16>().to_vec();
        let common = [
            Attribute::Token(true),
            Attribute::Id(id.clone()),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let mut public = common.to_vec();
        public.extend([Attribute::Private(false), Attribute::Verify(true)]);
        let mut private = common.to_vec();
        private.extend([
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
        ]);
        let mechanism = if let Some(params) = ec_params(spec) {
            public.push(Attribute::EcParams(params));
            Mechanism::EccKeyPairGen
        } else if let Some(bits) = rsa_bits(spec) {
            // CK_ULONG is 32 bits on Windows, 64 on Linux; 4096 fits both.
            let bits = cryptoki::types::Ulong::try_from(bits)
                .map_err(|e| token_failed(token, "set the key size", e))?;
            public.push(Attribute::ModulusBits(bits));
            public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
            Mechanism::RsaPkcsKeyPairGen
        } else {
            return Err(Error::invalid(
                "key type",
                "this key type cannot be made on a token",
            ));
        };
        let (public_handle, private_handle) = session
            .generate_key_pair(&mechanism, &public, &private)
            .map_err(|e| token_failed(token, &format!("make a {} key", spec.describe()), e))?;
        let public_raw = read_public(&session, public_handle, spec)
            .map_err(|e| token_failed(token, "read the new public key", e))?;
        Ok(TokenKey {
            session,
            private: private_handle,
            spec,
            public_raw,
            reference: TokenKeyRef {
                module: module.path.clone(),
                token_serial: token.serial.clone(),
                token_label: token.label.clone(),
                key_id: hex::encode(id),
                spec,
            },
        })
    }

    /// The key type.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// The public half as a DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        rcgen::PublicKeyData::subject_public_key_info(self)
    }
}

/// The public key in the form a SubjectPublicKeyInfo's BIT STRING holds: the uncompressed EC
/// point, or the RSAPublicKey DER.
fn read_public(
    session: &Session,
    handle: ObjectHandle,
    spec: KeySpec,
) -> std::result::Result<Vec<u8>, String> {
    if ec_params(spec).is_some() {
        let attrs = session
            .get_attributes(handle, &[AttributeType::EcPoint])
            .map_err(|e| e.to_string())?;
        let Some(Attribute::EcPoint(point)) = attrs.into_iter().next() else {
            return Err("the token gave no EC point".into());
        };
        ec_point(&point, spec)
    } else {
        let attrs = session
            .get_attributes(
                handle,
                &[AttributeType::Modulus, AttributeType::PublicExponent],
            )
            .map_err(|e| e.to_string())?;
        let (mut modulus, mut exponent) = (None, None);
        for attr in attrs {
            match attr {
                Attribute::Modulus(m) => modulus = Some(m),
                Attribute::PublicExponent(e) => exponent = Some(e),
                _ => {}
            }
        }
        let (Some(n), Some(e)) = (modulus, exponent) else {
            return Err("the token gave no RSA modulus or exponent".into());
        };
        Ok(crate::asn1::seq(&[
            &crate::asn1::unsigned_integer(&n),
            &crate::asn1::unsigned_integer(&e),
        ]))
    }
}

/// `CKA_EC_POINT` is a DER OCTET STRING holding the point (PKCS#11 §2.3.3); some modules give
/// the bare point. Either way, the uncompressed point of the curve's size comes out.
fn ec_point(value: &[u8], spec: KeySpec) -> std::result::Result<Vec<u8>, String> {
    let size = match spec {
        KeySpec::EcP256 => 65,
        _ => 97,
    };
    if value.len() == size && value[0] == 0x04 {
        return Ok(value.to_vec());
    }
    use der::Decode;
    let octets = der::asn1::OctetString::from_der(value).map_err(|e| e.to_string())?;
    let point = octets.as_bytes();
    if point.len() == size && point[0] == 0x04 {
        Ok(point.to_vec())
    } else {
        Err(format!(
            "the token's EC point has {} bytes, not the {size} of an uncompressed point",
            point.len()
        ))
    }
}

impl rcgen::PublicKeyData for TokenKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public_raw
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.spec.signature_algorithm()
    }
}

impl rcgen::SigningKey for TokenKey {
    fn sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
        let signature = match self.spec {
            KeySpec::EcP256 | KeySpec::EcP384 => {
                // CKM_ECDSA signs a digest and answers r ‖ s; X.509 wants SEQUENCE { r, s }.
                let digest = match self.spec {
                    KeySpec::EcP256 => sha2::Sha256::digest(message).to_vec(),
                    _ => sha2::Sha384::digest(message).to_vec(),
                };
                let raw = self
                    .session
                    .sign(&Mechanism::Ecdsa, self.private, &digest)
                    .map_err(|_| rcgen::Error::RemoteKeyError)?;
                if raw.len() % 2 != 0 || raw.is_empty() {
                    return Err(rcgen::Error::RemoteKeyError);
                }
                let (r, s) = raw.split_at(raw.len() / 2);
                crate::asn1::seq(&[
                    &crate::asn1::unsigned_integer(r),
                    &crate::asn1::unsigned_integer(s),
                ])
            }
            _ => self
                .session
                .sign(&Mechanism::Sha256RsaPkcs, self.private, message)
                .map_err(|_| rcgen::Error::RemoteKeyError)?,
        };
        Ok(signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p11_kit_registrations_name_their_module() {
        assert_eq!(
            p11_kit_module_path("# OpenSC\nmodule: opensc-pkcs11.so\ncritical: no\n"),
            Some(PathBuf::from(
                "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so"
            ))
        );
        assert_eq!(
            p11_kit_module_path("module:/usr/lib/softhsm/libsofthsm2.so\n"),
            Some(PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"))
        );
        assert_eq!(p11_kit_module_path("disable-in: x\n"), None);
        assert_eq!(p11_kit_module_path("module:\n"), None);
    }

    #[test]
    fn ec_points_come_bare_or_wrapped() {
        let mut point = vec![0x04];
        point.extend([7u8; 64]);
        assert_eq!(ec_point(&point, KeySpec::EcP256).expect("bare"), point);
        let wrapped = crate::asn1::octet_string(&point);
        assert_eq!(ec_point(&wrapped, KeySpec::EcP256).expect("wrapped"), point);
        assert!(ec_point(&[0x04, 1, 2], KeySpec::EcP256).is_err());
        assert!(ec_point(&point, KeySpec::EcP384).is_err());
    }

    #[test]
    fn a_library_that_is_not_pkcs11_is_named() {
        let err = Module::open(Path::new("/nonexistent/module.so")).expect_err("missing");
        assert!(err.to_string().contains("no such file"), "{err}");
        // A real shared library without the PKCS#11 entry point.
        let libc = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
        ]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .expect("libc on this Debian machine");
        let err = Module::open(libc).expect_err("not PKCS#11");
        assert!(
            err.to_string().contains("is not a PKCS#11 library"),
            "{err}"
        );
        assert!(err.hint().is_some_and(|h| h.contains("certdesk tokens")));
    }
}
