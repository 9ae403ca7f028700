//! What a person names on the command line (`--to chromium`, `firefox:work`, `nss:DIR`, …) and the
//! concrete stores it resolves to.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// A store as the user names it, before it is looked up on this computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// Every Chromium/Chrome NSS database found (created at `~/.pki/nssdb` when there is none).
    Chromium,
    /// Every Firefox profile, or the one with this name or directory name.
    Firefox {
        /// Profile name (`Name=` in profiles.ini) or directory name; `None` for all.
        profile: Option<String>,
    },
    /// One NSS database directory (it must exist).
    Nss {
        /// The directory holding cert9.db/key4.db.
        dir: PathBuf,
    },
    /// The macOS login Keychain.
    Keychain,
    /// The Windows CurrentUser\My store.
    Windows,
    /// Every store found on this computer.
    All,
}

impl TargetSpec {
    /// Parses `chromium`, `firefox`, `firefox:PROFILE`, `nss:DIR` (also `nss:sql:DIR`),
    /// `keychain`, `windows` or `all` (case-insensitive names).
    pub fn parse(given: &str) -> Result<TargetSpec> {
        let unknown = || Error::UnknownTarget {
            given: given.to_string(),
        };
        let (name, rest) = match given.split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (given, None),
        };
        let spec = match (name.to_ascii_lowercase().as_str(), rest) {
            ("chromium" | "chrome", None) => TargetSpec::Chromium,
            ("firefox", None) => TargetSpec::Firefox { profile: None },
            ("firefox", Some(p)) if !p.trim().is_empty() => TargetSpec::Firefox {
                profile: Some(p.to_string()),
            },
            ("nss", Some(dir)) => {
                let dir = dir.strip_prefix("sql:").unwrap_or(dir);
                if dir.is_empty() {
                    return Err(unknown());
                }
                TargetSpec::Nss {
                    dir: PathBuf::from(dir),
                }
            }
            ("keychain" | "macos", None) => TargetSpec::Keychain,
            ("windows", None) => TargetSpec::Windows,
            ("all", None) => TargetSpec::All,
            _ => return Err(unknown()),
        };
        Ok(spec)
    }
}

/// Which program reads an NSS database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NssKind {
    /// Chromium / Google Chrome (shared per-user database).
    Chromium,
    /// One Firefox profile.
    Firefox,
    /// A database the user named by its directory.
    Other,
}

/// One concrete store on this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoreTarget {
    /// A Chromium/Chrome NSS database.
    Chromium {
        /// The database directory.
        db: PathBuf,
    },
    /// The NSS database of one Firefox profile.
    Firefox {
        /// The profile's name in profiles.ini.
        profile: String,
        /// The profile directory (the database lives there).
        db: PathBuf,
    },
    /// An NSS database named by its directory.
    Nss {
        /// The database directory.
        db: PathBuf,
    },
    /// The macOS login Keychain.
    Keychain,
    /// The Windows CurrentUser\My store.
    Windows,
}

impl StoreTarget {
    /// The NSS database directory, for NSS stores.
    pub fn nss_db(&self) -> Option<&Path> {
        match self {
            StoreTarget::Chromium { db }
            | StoreTarget::Firefox { db, .. }
            | StoreTarget::Nss { db } => Some(db),
            StoreTarget::Keychain | StoreTarget::Windows => None,
        }
    }

    /// Which program reads it, for NSS stores.
    pub fn nss_kind(&self) -> Option<NssKind> {
        match self {
            StoreTarget::Chromium { .. } => Some(NssKind::Chromium),
            StoreTarget::Firefox { .. } => Some(NssKind::Firefox),
            StoreTarget::Nss { .. } => Some(NssKind::Other),
            StoreTarget::Keychain | StoreTarget::Windows => None,
        }
    }

    /// The PKCS#12 profile this store's importer accepts: the macOS Keychain and older
    /// Windows reject AES PKCS#12 with a misleading "wrong password" (FACTS.md), NSS reads both.
    pub fn p12_profile(&self) -> certdesk_core::pkcs12::P12Profile {
        use certdesk_core::pkcs12::P12Profile;
        match self {
            StoreTarget::Keychain | StoreTarget::Windows => P12Profile::Compatible,
            _ => P12Profile::Modern,
        }
    }
}

impl fmt::Display for StoreTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreTarget::Chromium { db } => write!(f, "Chromium ({})", db.display()),
            StoreTarget::Firefox { profile, db } => {
                write!(f, "Firefox profile {profile} ({})", db.display())
            }
            StoreTarget::Nss { db } => write!(f, "NSS database {}", db.display()),
            StoreTarget::Keychain => f.write_str("the macOS login Keychain"),
            StoreTarget::Windows => f.write_str("the Windows user store (CurrentUser\\My)"),
        }
    }
}

#[cfg(test)]
// In tests a panic is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        assert_eq!(TargetSpec::parse("chromium").unwrap(), TargetSpec::Chromium);
        assert_eq!(TargetSpec::parse("Chrome").unwrap(), TargetSpec::Chromium);
        assert_eq!(
            TargetSpec::parse("firefox").unwrap(),
            TargetSpec::Firefox { profile: None }
        );
        assert_eq!(
            TargetSpec::parse("firefox:work stuff").unwrap(),
            TargetSpec::Firefox {
                profile: Some("work stuff".into())
            }
        );
        assert_eq!(
            TargetSpec::parse("nss:/tmp/db").unwrap(),
            TargetSpec::Nss {
                dir: PathBuf::from("/tmp/db")
            }
        );
        assert_eq!(
            TargetSpec::parse("nss:sql:/tmp/db").unwrap(),
            TargetSpec::Nss {
                dir: PathBuf::from("/tmp/db")
            }
        );
        // A directory may itself contain a colon.
        assert_eq!(
            TargetSpec::parse("nss:/tmp/a:b").unwrap(),
            TargetSpec::Nss {
                dir: PathBuf::from("/tmp/a:b")
            }
        );
        assert_eq!(TargetSpec::parse("keychain").unwrap(), TargetSpec::Keychain);
        assert_eq!(TargetSpec::parse("windows").unwrap(), TargetSpec::Windows);
        assert_eq!(TargetSpec::parse("ALL").unwrap(), TargetSpec::All);
    }

    #[test]
    fn rejects_unknown_and_incomplete_forms() {
        for bad in [
            "",
            "edge",
            "nss",
            "nss:",
            "nss:sql:",
            "firefox:",
            "chromium:x",
            "all:x",
        ] {
            let err = TargetSpec::parse(bad).unwrap_err();
            assert!(
                matches!(err, Error::UnknownTarget { ref given } if given == bad),
                "{bad:?}: {err:?}"
            );
            assert!(err.hint().is_some());
        }
    }

    #[test]
    fn keychain_and_windows_get_the_compatible_profile() {
        use certdesk_core::pkcs12::P12Profile;
        assert_eq!(StoreTarget::Keychain.p12_profile(), P12Profile::Compatible);
        assert_eq!(StoreTarget::Windows.p12_profile(), P12Profile::Compatible);
        let nss = StoreTarget::Nss {
            db: PathBuf::from("/x"),
        };
        assert_eq!(nss.p12_profile(), P12Profile::Modern);
        assert_eq!(nss.nss_db(), Some(Path::new("/x")));
        assert_eq!(StoreTarget::Keychain.nss_db(), None);
    }
}
