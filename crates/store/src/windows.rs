//! The Windows CurrentUser\My ("Personal") store, through schannel's `PfxImportOptions` and
//! `CertStore`.
//!
//! NEVER RUN: certdesk is developed on Linux. The test command compiles and lints this module
//! for `x86_64-pc-windows-gnu` (`cargo clippy --target x86_64-pc-windows-gnu -D warnings`), so
//! the calls type-check against schannel; whether Windows accepts them is unverified. Known gap: removing the certificate
//! leaves the private key container that `PFXImportCertStore` persisted; until that is written
//! and tested on Windows, removal says so in its outcome. What can be tested on Linux (the
//! PKCS#12 profile, matching store entries by SHA-256) is plain code with unit tests.

use certdesk_core::pkcs12::P12Profile;

#[cfg(windows)]
use crate::error::Error;
#[cfg(windows)]
use crate::target::StoreTarget;
#[cfg(windows)]
use crate::{sha256_fingerprint, InstallItem, InstallOutcome, InstalledCert, RemoveOutcome};

/// Windows Server 2016 and older reject AES PKCS#12 with a misleading "wrong password"
/// (FACTS.md); the 3DES + HMAC-SHA1 profile imports on every Windows version.
pub const WINDOWS_P12_PROFILE: P12Profile = P12Profile::Compatible;

/// The system store certdesk installs into: the user's "Personal" store, which Edge, Chrome
/// and other schannel/CryptoAPI clients offer client certificates from.
pub const WINDOWS_STORE_NAME: &str = "My";

/// Whether a certificate from the imported PKCS#12 or from the store is the identity's own
/// (by SHA-256, any case): only the leaf goes into "My", not the CA certificates.
pub fn is_identity_certificate(der: &[u8], leaf_sha256: &str) -> bool {
    crate::sha256_fingerprint(der).eq_ignore_ascii_case(leaf_sha256)
}

#[cfg(windows)]
fn store_error(op: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::WindowsStore {
        op,
        detail: e.to_string(),
    }
}

#[cfg(windows)]
pub(crate) fn installed_certificates() -> crate::Result<Vec<InstalledCert>> {
    use schannel::cert_store::CertStore;
    let my = CertStore::open_current_user(WINDOWS_STORE_NAME)
        .map_err(store_error("open CurrentUser\\My"))?;
    Ok(my
        .certs()
        .map(|c| InstalledCert {
            nickname: c.friendly_name().unwrap_or_default(),
            sha256: sha256_fingerprint(c.to_der()),
        })
        .collect())
}

#[cfg(windows)]
pub(crate) fn install(item: &InstallItem<'_>) -> crate::Result<InstallOutcome> {
    use schannel::cert_store::{CertAdd, CertStore, PfxImportOptions};
    let sha256 = sha256_fingerprint(item.cert_der);
    let store = StoreTarget::Windows;
    if let Some(found) = installed_certificates()?
        .into_iter()
        .find(|c| c.sha256.eq_ignore_ascii_case(&sha256))
    {
        return Ok(InstallOutcome::AlreadyInstalled {
            store,
            nickname: found.nickname,
            warnings: Vec::new(),
        });
    }
    let imported = PfxImportOptions::new()
        .password(item.p12_password.expose())
        .import(item.p12_der)
        .map_err(store_error("read the PKCS#12"))?;
    let mut my = CertStore::open_current_user(WINDOWS_STORE_NAME)
        .map_err(store_error("open CurrentUser\\My"))?;
    let mut added = 0;
    for cert in imported.certs() {
        if is_identity_certificate(cert.to_der(), &sha256) {
            my.add_cert(&cert, CertAdd::ReplaceExisting)
                .map_err(store_error("add the certificate"))?;
            added += 1;
        }
    }
    if added == 0 {
        return Err(Error::WindowsStore {
            op: "find the certificate in the PKCS#12",
            detail: format!("no certificate with SHA-256 {sha256}"),
        });
    }
    Ok(InstallOutcome::Installed {
        store,
        nickname: item.nickname.to_string(),
        warnings: vec![
            "not verified on Windows by certdesk's tests: check certmgr.msc → Personal → Certificates".into(),
        ],
    })
}

#[cfg(windows)]
pub(crate) fn uninstall(cert_der: &[u8]) -> crate::Result<RemoveOutcome> {
    use schannel::cert_store::CertStore;
    let sha256 = sha256_fingerprint(cert_der);
    let my = CertStore::open_current_user(WINDOWS_STORE_NAME)
        .map_err(store_error("open CurrentUser\\My"))?;
    let matching: Vec<_> = my
        .certs()
        .filter(|c| is_identity_certificate(c.to_der(), &sha256))
        .collect();
    if matching.is_empty() {
        return Ok(RemoveOutcome::NotInstalled {
            store: StoreTarget::Windows,
        });
    }
    let mut nicknames = Vec::new();
    for cert in matching {
        nicknames.push(cert.friendly_name().unwrap_or_default());
        cert.delete()
            .map_err(store_error("delete the certificate"))?;
    }
    Ok(RemoveOutcome::Removed {
        store: StoreTarget::Windows,
        nicknames,
        removed_ca: Vec::new(),
        warnings: vec![
            "not verified on Windows: the private key container Windows created on import was not removed".into(),
        ],
    })
}

#[cfg(test)]
// In tests a panic is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn windows_gets_the_compatible_profile_and_only_the_leaf() {
        assert_eq!(WINDOWS_P12_PROFILE, P12Profile::Compatible);
        assert_eq!(WINDOWS_STORE_NAME, "My");
        let leaf = b"leaf certificate".to_vec();
        let ca = b"ca certificate".to_vec();
        let wanted = crate::sha256_fingerprint(&leaf).to_lowercase();
        assert!(is_identity_certificate(&leaf, &wanted));
        assert!(!is_identity_certificate(&ca, &wanted));
        assert!(!is_identity_certificate(&leaf, "00:11"));
    }
}
