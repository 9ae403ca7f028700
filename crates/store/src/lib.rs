//! certdesk-store: installs identities into the certificate stores browsers and the OS read,
//! finds where an identity is installed, removes it, and (only when asked) trusts a private
//! server CA for websites.
//!
//! One contract, one file per platform:
//!
//! | store | module | state |
//! |---|---|---|
//! | NSS: Chromium (`~/.pki/nssdb`, `~/.local/share/pki/nssdb`, snap), every Firefox profile (classic, snap, flatpak), any `nss:DIR` | [`nss`] | built and tested on Linux against real `certutil`/`pk12util` and a real headless Chromium |
//! | macOS login Keychain | [`macos`] | written behind `cfg(target_os = "macos")`, NOT compiled or run here (this machine is Linux); find/remove answer [`Error::NotVerified`] |
//! | Windows CurrentUser\My | [`windows`] | behind `cfg(windows)`: built for `x86_64-pc-windows-gnu` and run under Wine 8 by the test command (`scripts/wine-suite.sh`); not run on a real Windows |
//!
//! It does not create keys or certificates: it receives PKCS#12 bytes built by certdesk-core
//! (profile per store: [`StoreTarget::p12_profile`]) and the certificate to look for;
//! [`Handover`] builds those from the wallet, and [`replace_renewed`] follows a renewal into
//! every store that held the old certificate. "Where is
//! this identity installed" is always read live from the stores, matched by the certificate's
//! SHA-256.

mod detect;
mod error;
mod handover;
pub mod macos;
pub mod nss;
pub mod nss_module;
mod runner;
mod scratch;
mod target;
pub mod windows;

use std::fmt::Write as _;
use std::path::Path;

use certdesk_core::secret::SecretString;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use detect::{
    detect_targets, firefox_profiles, parse_profiles_ini, resolve_targets, DetectedStore,
    FirefoxProfile, CHROMIUM_DB_DIRS, FIREFOX_ROOTS,
};
pub use error::{Error, Result};
pub use handover::{replace_renewed, Handover, Replacement};
pub use nss_module::RegisteredModule;
pub use scratch::{sweep_stale, SweepReport};
pub use target::{NssKind, StoreTarget, TargetSpec};

/// What to install: a PKCS#12 made for this store (see [`StoreTarget::p12_profile`]) and the
/// certificate it holds.
#[derive(Debug)]
pub struct InstallItem<'a> {
    /// The PKCS#12 (key, certificate, chain), encrypted under `p12_password`.
    pub p12_der: &'a [u8],
    /// Its one-time password.
    pub p12_password: &'a SecretString,
    /// The name the store shows (the identity's label; the PKCS#12 friendly name).
    pub nickname: &'a str,
    /// The identity's certificate (DER), to find it in the store.
    pub cert_der: &'a [u8],
}

/// The result of an install into one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum InstallOutcome {
    /// The identity was added.
    Installed {
        /// Where.
        store: StoreTarget,
        /// The name the store shows it under.
        nickname: String,
        /// Things the person should know (a running Firefox, a database created).
        warnings: Vec<String>,
    },
    /// The certificate (with its key) was already there; nothing changed.
    AlreadyInstalled {
        /// Where.
        store: StoreTarget,
        /// The name the store shows it under.
        nickname: String,
        /// Things the person should know.
        warnings: Vec<String>,
    },
}

/// The result of removing an identity from one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RemoveOutcome {
    /// Certificate and key were deleted.
    Removed {
        /// Where.
        store: StoreTarget,
        /// The names it had there.
        nicknames: Vec<String>,
        /// CA certificates that came with it, had no trust and no other identity needed.
        removed_ca: Vec<String>,
        /// Things the person should know.
        warnings: Vec<String>,
    },
    /// It was not there.
    NotInstalled {
        /// Where we looked.
        store: StoreTarget,
    },
}

/// The result of trusting a server CA in one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustOutcome {
    /// Where.
    pub store: StoreTarget,
    /// The nickname of the CA certificate there.
    pub nickname: String,
    /// The CA's subject.
    pub subject: String,
    /// The CA certificate's SHA-256, colon hex.
    pub sha256: String,
    /// It was already trusted for websites; nothing changed.
    pub already_trusted: bool,
}

/// The result of withdrawing website trust from a server CA in one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UntrustOutcome {
    /// Where.
    pub store: StoreTarget,
    /// The CA's subject.
    pub subject: String,
    /// The CA certificate's SHA-256, colon hex.
    pub sha256: String,
    /// It was trusted for websites there (false: nothing to do).
    pub was_trusted: bool,
    /// The certificate itself was deleted (no trust left and no identity there issued by it).
    pub deleted: bool,
}

/// A certificate with its private key found in a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledCert {
    /// The name the store shows.
    pub nickname: String,
    /// SHA-256 of the certificate, colon hex, upper case.
    pub sha256: String,
}

/// SHA-256 of a DER certificate as upper-case colon hex (what `certutil -L -n` and
/// certdesk-core's `CertInfo::sha256` show).
pub fn sha256_fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let mut out = String::with_capacity(95);
    for (i, b) in digest.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}

fn not_here(target: &StoreTarget) -> Error {
    let (needs, os) = match target {
        StoreTarget::Keychain => ("macOS", "macos"),
        _ => ("Windows", "windows"),
    };
    debug_assert_ne!(std::env::consts::OS, os);
    Error::WrongPlatform {
        target: target.to_string(),
        needs,
        this: std::env::consts::OS,
    }
}

/// Installs an identity into one store. Idempotent: a certificate already there (matched by
/// SHA-256) gives [`InstallOutcome::AlreadyInstalled`]. `nss_password` is the database's
/// primary password, needed only when it has one ([`Error::NssPasswordRequired`] otherwise).
pub fn install(
    target: &StoreTarget,
    item: &InstallItem<'_>,
    nss_password: Option<&SecretString>,
) -> Result<InstallOutcome> {
    match target {
        StoreTarget::Chromium { db }
        | StoreTarget::Firefox { db, .. }
        | StoreTarget::Nss { db } => nss::install(target, db, item, nss_password),
        #[cfg(target_os = "macos")]
        StoreTarget::Keychain => macos::install(item),
        #[cfg(windows)]
        StoreTarget::Windows => windows::install(item),
        _ => Err(not_here(target)),
    }
}

/// Removes the identity whose certificate is `cert_der` from one store: certificate and key,
/// and the CA certificates of `chain_der` that came with it when nothing else needs them.
pub fn uninstall(
    target: &StoreTarget,
    cert_der: &[u8],
    chain_der: &[Vec<u8>],
    nss_password: Option<&SecretString>,
) -> Result<RemoveOutcome> {
    match target {
        StoreTarget::Chromium { db }
        | StoreTarget::Firefox { db, .. }
        | StoreTarget::Nss { db } => nss::uninstall(target, db, cert_der, chain_der, nss_password),
        #[cfg(target_os = "macos")]
        StoreTarget::Keychain => Err(Error::NotVerified {
            what: "removing an identity from the macOS Keychain".into(),
        }),
        #[cfg(windows)]
        StoreTarget::Windows => {
            let _ = chain_der;
            windows::uninstall(cert_der)
        }
        _ => Err(not_here(target)),
    }
}

/// Registers the PKCS#11 module `library` of a token-held identity in an NSS store (as
/// `modutil -add` does); the key and certificate stay on the token. Other stores cannot use a
/// token through certdesk yet.
pub fn register_token_module(target: &StoreTarget, library: &Path) -> Result<InstallOutcome> {
    match target.nss_db() {
        Some(db) => nss_module::register(target, db, library),
        None => Err(Error::NotVerified {
            what: format!("using a key on a security key or smart card through {target}"),
        }),
    }
}

/// Removes the registration of `library` from an NSS store.
pub fn unregister_token_module(target: &StoreTarget, library: &Path) -> Result<RemoveOutcome> {
    match target.nss_db() {
        Some(db) => nss_module::unregister(target, db, library),
        None => Ok(RemoveOutcome::NotInstalled {
            store: target.clone(),
        }),
    }
}

/// The PKCS#11 modules registered in a store (NSS only; none elsewhere).
pub fn token_modules(target: &StoreTarget) -> Result<Vec<RegisteredModule>> {
    match target.nss_db() {
        Some(db) => nss_module::registered_modules(db),
        None => Ok(Vec::new()),
    }
}

/// The identities (certificates with a private key) in one store, read live.
pub fn installed_certificates(target: &StoreTarget) -> Result<Vec<InstalledCert>> {
    match target {
        StoreTarget::Chromium { db }
        | StoreTarget::Firefox { db, .. }
        | StoreTarget::Nss { db } => nss::installed_certificates(db),
        #[cfg(target_os = "macos")]
        StoreTarget::Keychain => Err(Error::NotVerified {
            what: "listing identities in the macOS Keychain".into(),
        }),
        #[cfg(windows)]
        StoreTarget::Windows => windows::installed_certificates(),
        _ => Err(not_here(target)),
    }
}

/// The nickname under which the certificate with this SHA-256 (colon hex, any case) is
/// installed in `target`, if it is.
pub fn find_installed(target: &StoreTarget, cert_sha256: &str) -> Result<Option<String>> {
    Ok(installed_certificates(target)?
        .into_iter()
        .find(|c| c.sha256.eq_ignore_ascii_case(cert_sha256))
        .map(|c| c.nickname))
}

/// Trusts `ca_der` as an issuer of website certificates (`certutil -t "C,,"`) in one NSS
/// store. Only ever called on the user's explicit request; the caller shows the CA's name and
/// fingerprint from the outcome. Refuses certificates that are neither CAs nor self-signed.
pub fn trust_server_ca(
    target: &StoreTarget,
    ca_der: &[u8],
    nss_password: Option<&SecretString>,
) -> Result<TrustOutcome> {
    match target {
        StoreTarget::Chromium { db }
        | StoreTarget::Firefox { db, .. }
        | StoreTarget::Nss { db } => nss::trust_server_ca(target, db, ca_der, nss_password),
        StoreTarget::Keychain | StoreTarget::Windows => Err(Error::NotVerified {
            what: format!("trusting a server CA in {target}"),
        }),
    }
}

/// Withdraws the website trust [`trust_server_ca`] gave (the `C` flag), in one NSS store; the
/// certificate is deleted when nothing else keeps it.
pub fn untrust_server_ca(
    target: &StoreTarget,
    ca_der: &[u8],
    nss_password: Option<&SecretString>,
) -> Result<UntrustOutcome> {
    match target {
        StoreTarget::Chromium { db }
        | StoreTarget::Firefox { db, .. }
        | StoreTarget::Nss { db } => nss::untrust_server_ca(target, db, ca_der, nss_password),
        StoreTarget::Keychain | StoreTarget::Windows => Err(Error::NotVerified {
            what: format!("withdrawing trust from a server CA in {target}"),
        }),
    }
}

#[cfg(test)]
// In tests a panic is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_upper_colon_hex() {
        let fp = sha256_fingerprint(b"abc");
        assert_eq!(
            fp,
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn platform_stores_are_refused_on_linux_with_their_own_error() {
        let pw = SecretString::new("x");
        let item = InstallItem {
            p12_der: b"",
            p12_password: &pw,
            nickname: "n",
            cert_der: b"",
        };
        for t in [StoreTarget::Keychain, StoreTarget::Windows] {
            assert!(matches!(
                install(&t, &item, None),
                Err(Error::WrongPlatform { .. })
            ));
            assert!(matches!(
                uninstall(&t, b"", &[], None),
                Err(Error::WrongPlatform { .. })
            ));
            assert!(matches!(
                installed_certificates(&t),
                Err(Error::WrongPlatform { .. })
            ));
            assert!(matches!(
                trust_server_ca(&t, b"", None),
                Err(Error::NotVerified { .. })
            ));
        }
    }
}
