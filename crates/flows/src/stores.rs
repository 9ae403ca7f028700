//! Where an identity is installed: the stores under a home, read once, and the lookup of a
//! certificate in them.
//!
//! Issue #13: the CLI and the app each re-implemented `certdesk_store::find_installed`, the
//! CLI comparing fingerprints exactly, the app ignoring letter case. Kept: letter case is
//! ignored, as `find_installed` does, since a colon-hex fingerprint names the same
//! certificate in either case (core writes upper case, some stores and tools lower case).

use std::path::Path;

use certdesk_core::wallet::Wallet;
use certdesk_store::{DetectedStore, InstalledCert, StoreTarget};

use crate::Result;

/// One store found under the home, with what it holds.
#[derive(Debug)]
pub struct StoreContents {
    /// The store, as detected.
    pub store: DetectedStore,
    /// Its certificates with keys; empty when its database does not exist yet, an error when it
    /// could not be read (which hides nothing else).
    pub certificates: std::result::Result<Vec<InstalledCert>, certdesk_store::Error>,
}

impl StoreContents {
    /// The nickname under which the certificate with SHA-256 `cert_sha256` (colon hex, any
    /// letter case) is installed here, if it is.
    pub fn holds(&self, cert_sha256: &str) -> Option<&str> {
        self.certificates
            .as_ref()
            .ok()?
            .iter()
            .find(|c| c.sha256.eq_ignore_ascii_case(cert_sha256))
            .map(|c| c.nickname.as_str())
    }
}

/// A store that holds a certificate, and the name it holds it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledLocation {
    /// The store.
    pub store: StoreTarget,
    /// The nickname the store shows for it.
    pub nickname: String,
}

/// The stores under `home`, each read once.
pub fn read_stores(home: &Path) -> Result<Vec<StoreContents>> {
    Ok(certdesk_store::detect_targets(home)?
        .into_iter()
        .map(|store| {
            let certificates = if store.exists {
                certdesk_store::installed_certificates(&store.target)
            } else {
                Ok(Vec::new())
            };
            StoreContents {
                store,
                certificates,
            }
        })
        .collect())
}

/// The stores among `stores` that hold the certificate with SHA-256 `cert_sha256`.
pub fn locations_of(stores: &[StoreContents], cert_sha256: &str) -> Vec<InstalledLocation> {
    stores
        .iter()
        .filter_map(|s| {
            s.holds(cert_sha256).map(|nickname| InstalledLocation {
                store: s.store.target.clone(),
                nickname: nickname.to_string(),
            })
        })
        .collect()
}

/// Where identity `id` (id, prefix or label) is installed among the stores under `home`;
/// empty while it has no certificate.
pub fn installed_locations(
    wallet: &Wallet,
    home: &Path,
    id: &str,
) -> Result<Vec<InstalledLocation>> {
    let Some(der) = wallet.get(id)?.certificate_der()? else {
        return Ok(Vec::new());
    };
    let sha256 = certdesk_store::sha256_fingerprint(&der);
    Ok(locations_of(&read_stores(home)?, &sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(sha256: &str) -> StoreContents {
        StoreContents {
            store: DetectedStore {
                target: StoreTarget::Nss {
                    db: "/nonexistent/nssdb".into(),
                },
                exists: true,
                is_default: false,
                in_use: false,
            },
            certificates: Ok(vec![InstalledCert {
                nickname: "Ada Lovelace".into(),
                sha256: sha256.into(),
            }]),
        }
    }

    #[test]
    fn a_fingerprint_is_found_in_either_letter_case_like_find_installed() {
        let stores = [contents("AB:CD:EF")];
        for wanted in ["AB:CD:EF", "ab:cd:ef", "Ab:cD:eF"] {
            assert_eq!(
                locations_of(&stores, wanted),
                vec![InstalledLocation {
                    store: stores[0].store.target.clone(),
                    nickname: "Ada Lovelace".into()
                }],
                "{wanted}"
            );
        }
        assert!(locations_of(&stores, "AB:CD:00").is_empty());
    }
}
