//! The Windows CurrentUser\My ("Personal") store, through schannel's `PfxImportOptions` and
//! `CertStore`.
//!
//! Run under Wine 8 by `scripts/wine-suite.sh` (issue #17): install (PFXImportCertStore, the
//! certificate added to "My" with its friendly name, the private key reachable through
//! CryptAcquireCertificatePrivateKey), list and remove. Not run on a real Windows; where Wine's
//! crypt32 differs from Windows (ECDSA keys in PKCS#12, deferred registry writes) the README's
//! platform table says so. Known gap: removing the certificate leaves the private key container
//! that `PFXImportCertStore` persisted (schannel offers no CRYPT_DELETEKEYSET); removal says so
//! in its outcome. What can be tested on Linux (the PKCS#12 profile, matching store entries by
//! SHA-256) is plain code with unit tests.

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
        detail: describe_os_error(&e),
    }
}

/// The CryptoAPI error with its symbolic name and hex code: `FormatMessageW` has no text for
/// many CRYPT_E codes (Wine has none at all), which left only "OS Error -2146885628".
#[cfg(windows)]
fn describe_os_error(e: &std::io::Error) -> String {
    let Some(code) = e.raw_os_error() else {
        return e.to_string();
    };
    // The HRESULT's bits, as Windows documentation and certutil print them.
    let hresult = u32::from_ne_bytes(code.to_ne_bytes());
    match crypt_error_name(hresult) {
        Some(name) => format!("{name} (0x{hresult:08X})"),
        None => format!("{e} (0x{hresult:08X})"),
    }
}

/// Names of the CryptoAPI errors PFXImportCertStore and the store calls return (winerror.h).
pub fn crypt_error_name(hresult: u32) -> Option<&'static str> {
    Some(match hresult {
        0x8009_2004 => "CRYPT_E_NOT_FOUND: the object or property was not found",
        0x8009_2005 => "CRYPT_E_EXISTS: the object or property already exists",
        0x8009_0005 => "NTE_BAD_DATA: bad data",
        0x8009_0008 => "NTE_BAD_ALGID: the key algorithm is not supported",
        0x8009_0016 => "NTE_BAD_KEYSET: the key container does not exist",
        0x8007_0056 => "ERROR_INVALID_PASSWORD: the PKCS#12 password is wrong",
        0x8009_3002 => "CRYPT_E_ASN1_BADTAG: the PKCS#12 is malformed",
        _ => return None,
    })
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
            let in_store = my
                .add_cert(&cert, CertAdd::ReplaceExisting)
                .map_err(store_error("add the certificate"))?;
            // PFXImportCertStore takes no name from us: without this the certificate shows as
            // nameless in certmgr.msc and in the browser's certificate picker.
            in_store
                .set_friendly_name(item.nickname)
                .map_err(store_error("name the certificate"))?;
            // A certificate whose key did not come along is useless for client authentication;
            // say so now rather than when a site asks for it.
            in_store
                .private_key()
                .silent(true)
                .acquire()
                .map_err(store_error(
                    "reach the private key of the imported certificate",
                ))?;
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
        warnings: Vec::new(),
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
    // Every other handle on the store is closed before deleting: Wine writes a registry
    // store's changes only when its last reference goes.
    drop(my);
    let mut nicknames = Vec::new();
    for cert in matching {
        nicknames.push(cert.friendly_name().unwrap_or_default());
        cert.delete()
            .map_err(store_error("delete the certificate"))?;
    }
    // Read the store again: "deleted" is what a fresh look at CurrentUser\My says, not what
    // the delete call returned.
    if installed_certificates()?
        .iter()
        .any(|c| c.sha256.eq_ignore_ascii_case(&sha256))
    {
        return Err(Error::WindowsStore {
            op: "delete the certificate",
            detail: "Windows reported it deleted, but CurrentUser\\My still lists it".into(),
        });
    }
    Ok(RemoveOutcome::Removed {
        store: StoreTarget::Windows,
        nicknames,
        removed_ca: Vec::new(),
        warnings: vec![
            "the private key container Windows created on import was not removed".into(),
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

    #[test]
    fn crypto_api_errors_have_names() {
        // -2146885628, what Wine's PFXImportCertStore returns for an ECDSA key.
        let wine_ecdsa = u32::from_ne_bytes((-2_146_885_628_i32).to_ne_bytes());
        assert_eq!(
            crypt_error_name(wine_ecdsa),
            Some("CRYPT_E_NOT_FOUND: the object or property was not found")
        );
        assert_eq!(
            crypt_error_name(0x8009_0016).map(|n| &n[..14]),
            Some("NTE_BAD_KEYSET")
        );
        assert_eq!(crypt_error_name(0), None);
    }
}
