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
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use serde::{Deserialize, Serialize};
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

/// The token whose label or serial number is `wanted`: in `module` when given, else in the
/// first of [`known_modules`] that has it.
pub fn find_token(wanted: &str, module: Option<&Path>) -> Result<(Module, TokenSummary)> {
    if let Some(path) = module {
        let module = Module::open(path)?;
        let token = module.find(wanted)?;
        return Ok((module, token));
    }
    let mut present = Vec::new();
    for path in known_modules() {
        // A module that does not load is not where this token is; `certdesk tokens` names it.
        let Ok(module) = Module::open(&path) else {
            continue;
        };
        match module.find(wanted) {
            Ok(token) => return Ok((module, token)),
            Err(Error::TokenNotFound { present: p, .. }) if p != "none" => present.push(p),
            Err(_) => {}
        }
    }
    Err(Error::TokenNotFound {
        wanted: wanted.to_string(),
        present: if present.is_empty() {
            "none".into()
        } else {
            present.join(", ")
        },
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

    fn slot_of(&self, token: &TokenSummary) -> Result<Slot> {
        self.context
            .get_slots_with_token()
            .map_err(|e| module_error(&self.path, e))?
            .into_iter()
            .find(|s| s.id() == token.slot)
            .ok_or_else(|| Error::TokenNotFound {
                wanted: token.label.clone(),
                present: "none (it was removed)".into(),
            })
    }

    /// The signing mechanisms `token` offers, by their PKCS#11 names, as the probe reports them.
    pub fn signing_mechanisms(&self, token: &TokenSummary) -> Result<Vec<String>> {
        let slot = self.slot_of(token)?;
        let mechanisms = self
            .context
            .get_mechanism_list(slot)
            .map_err(|e| token_failed(token, "list its mechanisms", e))?;
        Ok(SIGNING_MECHANISMS
            .iter()
            .filter(|m| mechanisms.contains(m))
            .map(|m| m.to_string())
            .collect())
    }

    /// Opens a session on `token` and logs the user in with `pin`.
    pub fn login(&self, token: &TokenSummary, pin: &SecretString) -> Result<Session> {
        let slot = self.slot_of(token)?;
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

/// The signature mechanisms that matter for a client certificate, in the order reported.
const SIGNING_MECHANISMS: &[MechanismType] = &[
    MechanismType::ECDSA,
    MechanismType::RSA_PKCS,
    MechanismType::SHA256_RSA_PKCS,
    MechanismType::SHA384_RSA_PKCS,
    MechanismType::SHA512_RSA_PKCS,
    MechanismType::RSA_PKCS_PSS,
    MechanismType::SHA256_RSA_PKCS_PSS,
    MechanismType::SHA384_RSA_PKCS_PSS,
    MechanismType::SHA512_RSA_PKCS_PSS,
];

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

/// A key on a token: what is needed to find it again (the wallet keeps this instead of a key
/// file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
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
    /// The token it lives on.
    token: TokenSummary,
    /// The token's signing mechanisms (PKCS#11 names).
    mechanisms: Vec<String>,
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
            token: token.clone(),
            mechanisms: module.signing_mechanisms(token).unwrap_or_default(),
            reference: TokenKeyRef {
                module: module.path.clone(),
                token_serial: token.serial.clone(),
                token_label: token.label.clone(),
                key_id: hex::encode(id),
                spec,
            },
        })
    }

    /// Finds the key `reference` names again: opens its module, finds its token by serial
    /// number, logs in with `pin` and looks up the key pair by `CKA_ID`.
    pub fn open(reference: &TokenKeyRef, pin: &SecretString) -> Result<TokenKey> {
        let module = Module::open(&reference.module)?;
        let token = module.find_reference(reference)?;
        let session = module.login(&token, pin)?;
        let id = hex::decode(&reference.key_id).map_err(|e| {
            Error::invalid(
                "token key id",
                format!("{} is not hex: {e}", reference.key_id),
            )
        })?;
        let find = |class: ObjectClass| {
            session
                .find_objects(&[Attribute::Class(class), Attribute::Id(id.clone())])
                .map_err(|e| token_failed(&token, "look for the key", e))
        };
        let missing = |what: &str| {
            token_failed(
                &token,
                "find the key",
                format!(
                    "it holds no {what} with id {} (deleted from the token?)",
                    reference.key_id
                ),
            )
        };
        let private = *find(ObjectClass::PRIVATE_KEY)?
            .first()
            .ok_or_else(|| missing("private key"))?;
        let public = *find(ObjectClass::PUBLIC_KEY)?
            .first()
            .ok_or_else(|| missing("public key"))?;
        let public_raw = read_public(&session, public, reference.spec)
            .map_err(|e| token_failed(&token, "read the public key", e))?;
        Ok(TokenKey {
            session,
            private,
            spec: reference.spec,
            public_raw,
            mechanisms: module.signing_mechanisms(&token).unwrap_or_default(),
            token,
            reference: reference.clone(),
        })
    }

    /// The key type.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// The token the key lives on.
    pub fn token(&self) -> &TokenSummary {
        &self.token
    }

    /// The public half as a DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        rcgen::PublicKeyData::subject_public_key_info(self)
    }

    /// A signer for rustls (client authentication in the site check and in EST renewals). It
    /// offers only the signature schemes the token has mechanisms for.
    pub fn into_tls_signer(self) -> TokenSigner {
        let a = &self.token.abilities;
        use rustls::SignatureScheme as S;
        let schemes = match self.spec {
            KeySpec::EcP256 if a.ecdsa => vec![S::ECDSA_NISTP256_SHA256],
            KeySpec::EcP384 if a.ecdsa => vec![S::ECDSA_NISTP384_SHA384],
            KeySpec::EcP256 | KeySpec::EcP384 => Vec::new(),
            _ => {
                let mut schemes = Vec::new();
                // Offered only when the token has the mechanism: TLS 1.3 allows no other RSA
                // signature (RFC 8446 §4.2.3).
                if a.rsa_pss {
                    schemes.extend([S::RSA_PSS_SHA256, S::RSA_PSS_SHA384, S::RSA_PSS_SHA512]);
                }
                if a.rsa_pkcs1 {
                    schemes.extend([
                        S::RSA_PKCS1_SHA256,
                        S::RSA_PKCS1_SHA384,
                        S::RSA_PKCS1_SHA512,
                    ]);
                }
                schemes
            }
        };
        TokenSigner {
            inner: std::sync::Arc::new(SignerInner {
                session: std::sync::Mutex::new(self.session),
                private: self.private,
                label: self.token.label.clone(),
            }),
            spec: self.spec,
            schemes,
            rsa_pss: a.rsa_pss,
            mechanisms: self.mechanisms,
        }
    }
}

impl Module {
    /// The token a [`TokenKeyRef`] names: by serial number, the label only as a tie-breaker.
    fn find_reference(&self, reference: &TokenKeyRef) -> Result<TokenSummary> {
        let tokens: Vec<TokenSummary> = self
            .tokens()?
            .into_iter()
            .filter(|t| t.initialized && t.serial == reference.token_serial)
            .collect();
        tokens
            .iter()
            .find(|t| t.label == reference.token_label)
            .or(tokens.first())
            .cloned()
            .ok_or_else(|| Error::TokenNotFound {
                wanted: format!(
                    "{}\" (serial {}",
                    reference.token_label, reference.token_serial
                ) + ")\"",
                present: self
                    .tokens()
                    .map(|all| {
                        let names: Vec<String> = all
                            .iter()
                            .filter(|t| t.initialized)
                            .map(|t| format!("{} ({})", t.label, t.serial))
                            .collect();
                        if names.is_empty() {
                            "none".into()
                        } else {
                            names.join(", ")
                        }
                    })
                    .unwrap_or_else(|_| "none".into()),
            })
    }
}

/// Writes the issued certificate `der` onto the token beside the key `reference` names (same
/// `CKA_ID`, `CKO_CERTIFICATE`, labelled `label`), replacing a certificate that was there
/// under that id. A certificate is a public object: no PIN is needed (PKCS#11 §5.4, a
/// read/write public session may create public token objects).
pub fn write_certificate(reference: &TokenKeyRef, der: &[u8], label: &str) -> Result<()> {
    use x509_parser::prelude::FromDer;
    let module = Module::open(&reference.module)?;
    let token = module.find_reference(reference)?;
    let slot = module.slot_of(&token)?;
    let session = module
        .context
        .open_rw_session(slot)
        .map_err(|e| token_failed(&token, "open a session", e))?;
    let id = hex::decode(&reference.key_id).map_err(|e| {
        Error::invalid(
            "token key id",
            format!("{} is not hex: {e}", reference.key_id),
        )
    })?;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
        .map_err(|e| Error::crypto("read the certificate for the token", e))?;
    let existing = session
        .find_objects(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::Id(id.clone()),
        ])
        .map_err(|e| token_failed(&token, "look for an older certificate", e))?;
    for old in existing {
        session
            .destroy_object(old)
            .map_err(|e| token_failed(&token, "remove the older certificate", e))?;
    }
    session
        .create_object(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Id(id),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Subject(cert.tbs_certificate.subject.as_raw().to_vec()),
            Attribute::Issuer(cert.tbs_certificate.issuer.as_raw().to_vec()),
            Attribute::SerialNumber(crate::asn1::tlv(0x02, cert.tbs_certificate.raw_serial())),
            Attribute::Value(der.to_vec()),
        ])
        .map_err(|e| token_failed(&token, "store the certificate", e))?;
    Ok(())
}

/// The logged-in session a [`TokenSigner`] signs in. PKCS#11 sessions are not to be used
/// from two threads at once: a mutex orders the signatures.
struct SignerInner {
    session: std::sync::Mutex<Session>,
    private: ObjectHandle,
    label: String,
}

impl std::fmt::Debug for SignerInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerInner")
            .field("token", &self.label)
            .finish_non_exhaustive()
    }
}

/// A token key as rustls signs with it: every signature is a `C_Sign` on the token.
#[derive(Debug, Clone)]
pub struct TokenSigner {
    inner: std::sync::Arc<SignerInner>,
    spec: KeySpec,
    schemes: Vec<rustls::SignatureScheme>,
    rsa_pss: bool,
    mechanisms: Vec<String>,
}

impl TokenSigner {
    /// What a site check reports about the token.
    pub fn facts(&self) -> crate::probe::TokenFacts {
        crate::probe::TokenFacts {
            label: self.inner.label.clone(),
            key_type: self.spec,
            mechanisms: self.mechanisms.clone(),
            schemes: self.schemes.iter().map(|s| format!("{s:?}")).collect(),
            rsa_pss: self.rsa_pss,
        }
    }

    /// The TLS signature schemes it can make (from the token's mechanisms).
    pub fn schemes(&self) -> &[rustls::SignatureScheme] {
        &self.schemes
    }

    /// The key type.
    pub fn spec(&self) -> KeySpec {
        self.spec
    }
}

impl rustls::sign::SigningKey for TokenSigner {
    fn choose_scheme(
        &self,
        offered: &[rustls::SignatureScheme],
    ) -> Option<Box<dyn rustls::sign::Signer>> {
        let scheme = self.schemes.iter().find(|s| offered.contains(s))?;
        Some(Box::new(SchemeSigner {
            inner: self.inner.clone(),
            scheme: *scheme,
        }))
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        match self.spec {
            KeySpec::EcP256 | KeySpec::EcP384 => rustls::SignatureAlgorithm::ECDSA,
            _ => rustls::SignatureAlgorithm::RSA,
        }
    }
}

#[derive(Debug)]
struct SchemeSigner {
    inner: std::sync::Arc<SignerInner>,
    scheme: rustls::SignatureScheme,
}

/// DigestInfo prefixes of PKCS#1 v1.5 (RFC 8017 §9.2 note 1), for CKM_RSA_PKCS over a digest.
const DIGEST_INFO_SHA256: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
const DIGEST_INFO_SHA384: &[u8] = &[
    0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
    0x00, 0x04, 0x30,
];
const DIGEST_INFO_SHA512: &[u8] = &[
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
    0x00, 0x04, 0x40,
];

impl rustls::sign::Signer for SchemeSigner {
    fn sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, rustls::Error> {
        use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
        use rustls::SignatureScheme as S;
        // The digest is made here and the token signs it: the base mechanisms (CKM_ECDSA,
        // CKM_RSA_PKCS, CKM_RSA_PKCS_PSS) are the ones tokens have most widely.
        let (digest, hash, mgf, info): (Vec<u8>, MechanismType, PkcsMgfType, &[u8]) =
            match self.scheme {
                S::ECDSA_NISTP256_SHA256 | S::RSA_PSS_SHA256 | S::RSA_PKCS1_SHA256 => (
                    sha2::Sha256::digest(message).to_vec(),
                    MechanismType::SHA256,
                    PkcsMgfType::MGF1_SHA256,
                    DIGEST_INFO_SHA256,
                ),
                S::ECDSA_NISTP384_SHA384 | S::RSA_PSS_SHA384 | S::RSA_PKCS1_SHA384 => (
                    sha2::Sha384::digest(message).to_vec(),
                    MechanismType::SHA384,
                    PkcsMgfType::MGF1_SHA384,
                    DIGEST_INFO_SHA384,
                ),
                _ => (
                    sha2::Sha512::digest(message).to_vec(),
                    MechanismType::SHA512,
                    PkcsMgfType::MGF1_SHA512,
                    DIGEST_INFO_SHA512,
                ),
            };
        let session = self
            .inner
            .session
            .lock()
            .map_err(|_| rustls::Error::General("the token session is unusable".into()))?;
        let failed = |e: cryptoki::error::Error| {
            rustls::Error::General(format!(
                "the token \"{}\" could not sign: {e}",
                self.inner.label
            ))
        };
        match self.scheme {
            S::ECDSA_NISTP256_SHA256 | S::ECDSA_NISTP384_SHA384 => {
                let raw = session
                    .sign(&Mechanism::Ecdsa, self.inner.private, &digest)
                    .map_err(failed)?;
                if raw.is_empty() || raw.len() % 2 != 0 {
                    return Err(rustls::Error::General(
                        "the token's ECDSA signature has an odd length".into(),
                    ));
                }
                // CKM_ECDSA answers r ‖ s; TLS wants SEQUENCE { r, s } (RFC 8446 §4.2.3).
                let (r, s) = raw.split_at(raw.len() / 2);
                Ok(crate::asn1::seq(&[
                    &crate::asn1::unsigned_integer(r),
                    &crate::asn1::unsigned_integer(s),
                ]))
            }
            S::RSA_PSS_SHA256 | S::RSA_PSS_SHA384 | S::RSA_PSS_SHA512 => {
                let params = PkcsPssParams {
                    hash_alg: hash,
                    mgf,
                    // Salt as long as the hash (RFC 8446 §4.2.3).
                    s_len: cryptoki::types::Ulong::try_from(digest.len()).map_err(|_| {
                        rustls::Error::General("the digest length does not fit CK_ULONG".into())
                    })?,
                };
                session
                    .sign(&Mechanism::RsaPkcsPss(params), self.inner.private, &digest)
                    .map_err(failed)
            }
            _ => {
                let mut input = info.to_vec();
                input.extend_from_slice(&digest);
                session
                    .sign(&Mechanism::RsaPkcs, self.inner.private, &input)
                    .map_err(failed)
            }
        }
    }

    fn scheme(&self) -> rustls::SignatureScheme {
        self.scheme
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
