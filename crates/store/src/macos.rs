//! The macOS login Keychain, through security-framework's `Pkcs12ImportOptions`.
//!
//! NOT BUILT OR RUN ON THIS MACHINE: certdesk is developed on Linux, which cannot compile
//! security-framework. The import below follows the crate's API (signatures checked against
//! the security-framework 3.7.0 sources, never compiled); finding and
//! removing an identity are not written yet and answer [`Error::NotVerified`] rather than
//! pretending. What can be tested on Linux (the PKCS#12 profile the Keychain needs, the
//! mapping of its "duplicate item" status) is a plain function with unit tests.

use certdesk_core::pkcs12::P12Profile;

#[cfg(target_os = "macos")]
use crate::error::Error;
#[cfg(target_os = "macos")]
use crate::target::StoreTarget;
#[cfg(target_os = "macos")]
use crate::{InstallItem, InstallOutcome};

/// The Keychain rejects AES/PBKDF2 PKCS#12 with a misleading "wrong password" (FACTS.md): it
/// gets the 3DES + HMAC-SHA1 profile.
pub const KEYCHAIN_P12_PROFILE: P12Profile = P12Profile::Compatible;

/// `errSecDuplicateItem`: the identity is already in the keychain.
pub const ERR_SEC_DUPLICATE_ITEM: i32 = -25299;
/// `errSecAuthFailed`: the PKCS#12 password was refused (or the file used AES).
pub const ERR_SEC_AUTH_FAILED: i32 = -25293;

/// What a Security framework status from `SecPKCS12Import` means for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeychainStatus {
    /// Imported.
    Imported,
    /// Already in the keychain.
    AlreadyThere,
    /// The importer refused the file's password or algorithms.
    Refused,
    /// Anything else.
    Failed,
}

/// Maps a `SecPKCS12Import` status code.
pub fn classify_status(code: i32) -> KeychainStatus {
    match code {
        0 => KeychainStatus::Imported,
        ERR_SEC_DUPLICATE_ITEM => KeychainStatus::AlreadyThere,
        ERR_SEC_AUTH_FAILED => KeychainStatus::Refused,
        _ => KeychainStatus::Failed,
    }
}

#[cfg(target_os = "macos")]
pub(crate) fn install(item: &InstallItem<'_>) -> crate::Result<InstallOutcome> {
    use security_framework::import_export::Pkcs12ImportOptions;
    use security_framework::os::macos::keychain::SecKeychain;

    let keychain = SecKeychain::default().map_err(|e| Error::Keychain {
        op: "open the login keychain",
        detail: e.to_string(),
    })?;
    let mut options = Pkcs12ImportOptions::new();
    options.passphrase(item.p12_password.expose());
    options.keychain(keychain);
    let code = match options.import(item.p12_der) {
        Ok(_) => 0,
        Err(e) => e.code(),
    };
    let store = StoreTarget::Keychain;
    match classify_status(code) {
        KeychainStatus::Imported => Ok(InstallOutcome::Installed {
            store,
            nickname: item.nickname.to_string(),
            warnings: vec![
                "not verified on macOS by certdesk's tests: check Keychain Access → login → My Certificates".into(),
            ],
        }),
        KeychainStatus::AlreadyThere => Ok(InstallOutcome::AlreadyInstalled {
            store,
            nickname: item.nickname.to_string(),
            warnings: Vec::new(),
        }),
        KeychainStatus::Refused | KeychainStatus::Failed => Err(Error::Keychain {
            op: "import the identity",
            detail: format!("status {code}"),
        }),
    }
}

#[cfg(test)]
// In tests a panic is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keychain_gets_the_compatible_profile_and_status_codes_map() {
        assert_eq!(KEYCHAIN_P12_PROFILE, P12Profile::Compatible);
        assert_eq!(classify_status(0), KeychainStatus::Imported);
        assert_eq!(classify_status(-25299), KeychainStatus::AlreadyThere);
        assert_eq!(classify_status(-25293), KeychainStatus::Refused);
        assert_eq!(classify_status(-50), KeychainStatus::Failed);
    }
}
