//! Where the wallet keeps the random secrets that wrap private keys: the OS keyring
//! (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) through
//! keyring-core with an explicitly chosen store, or an in-memory vault for tests.
//!
//! A vault holds one 32-byte secret per identity (Windows caps secrets at 2560 bytes, so the
//! key itself never goes there).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::{Error, Result};

/// The keyring service name under which certdesk stores wrapping secrets.
pub const SERVICE: &str = "certdesk";

/// Stores per-identity wrapping secrets.
pub trait SecretVault: Send + Sync + fmt::Debug {
    /// Stores the secret for `id`, replacing any previous one.
    fn store(&self, id: &str, secret: &[u8]) -> Result<()>;
    /// Loads the secret for `id`.
    fn load(&self, id: &str) -> Result<Zeroizing<Vec<u8>>>;
    /// Deletes the secret for `id`; deleting a missing secret is not an error.
    fn delete(&self, id: &str) -> Result<()>;
    /// A name for messages and metadata (`Secret Service`, `memory`).
    fn name(&self) -> String;
}

/// A vault in the OS keyring.
pub struct KeyringVault {
    store: Arc<keyring_core::CredentialStore>,
    name: String,
}

impl fmt::Debug for KeyringVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringVault")
            .field("name", &self.name)
            .finish()
    }
}

impl KeyringVault {
    /// Wraps an explicit keyring-core store (never the process-global default, which other
    /// crates may replace).
    pub fn new(store: Arc<keyring_core::CredentialStore>, name: impl Into<String>) -> KeyringVault {
        KeyringVault {
            store,
            name: name.into(),
        }
    }

    fn entry(&self, id: &str) -> Result<keyring_core::Entry> {
        self.store
            .build(SERVICE, id, None)
            .map_err(|e| keyring_error("open an entry", e))
    }
}

fn keyring_error(op: &str, e: keyring_core::Error) -> Error {
    match e {
        keyring_core::Error::NoStorageAccess(inner) => Error::NoKeyring {
            detail: inner.to_string(),
        },
        keyring_core::Error::PlatformFailure(inner) => Error::NoKeyring {
            detail: inner.to_string(),
        },
        other => Error::Keyring {
            op: op.into(),
            detail: other.to_string(),
        },
    }
}

impl SecretVault for KeyringVault {
    fn store(&self, id: &str, secret: &[u8]) -> Result<()> {
        self.entry(id)?
            .set_secret(secret)
            .map_err(|e| keyring_error("store a secret", e))
    }

    fn load(&self, id: &str) -> Result<Zeroizing<Vec<u8>>> {
        match self.entry(id)?.get_secret() {
            Ok(s) => Ok(Zeroizing::new(s)),
            Err(keyring_core::Error::NoEntry) => Err(Error::KeyringSecretMissing {
                id: id.into(),
                detail: format!("{} has no entry {SERVICE}/{id}", self.name),
            }),
            Err(e) => Err(keyring_error("read a secret", e)),
        }
    }

    fn delete(&self, id: &str) -> Result<()> {
        match self.entry(id)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error("delete a secret", e)),
        }
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// The OS keyring of this platform. On Linux, the Secret Service over D-Bus (GNOME Keyring,
/// KWallet, KeePassXC); on Windows, the Credential Manager (generic credentials of the user,
/// run under Wine 8 by the test command's Wine suite). Fails with [`Error::NoKeyring`]
/// when there is none.
pub fn os_vault() -> Result<Arc<dyn SecretVault>> {
    #[cfg(target_os = "linux")]
    {
        let store =
            zbus_secret_service_keyring_store::Store::new().map_err(|e| Error::NoKeyring {
                detail: e.to_string(),
            })?;
        Ok(Arc::new(KeyringVault::new(store, "Secret Service")))
    }
    #[cfg(windows)]
    {
        let store = windows_native_keyring_store::Store::new().map_err(|e| Error::NoKeyring {
            detail: e.to_string(),
        })?;
        Ok(Arc::new(KeyringVault::new(
            store,
            "Windows Credential Manager",
        )))
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        Err(Error::NoKeyring {
            detail: "this build has no keyring store for this platform yet".into(),
        })
    }
}

/// A vault in process memory: for tests, and never for real keys.
#[derive(Debug, Default)]
pub struct MemoryVault {
    secrets: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl SecretVault for MemoryVault {
    fn store(&self, id: &str, secret: &[u8]) -> Result<()> {
        self.secrets
            .lock()
            .map_err(|_| Error::crypto("lock the memory vault", "poisoned"))?
            .insert(id.into(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn load(&self, id: &str) -> Result<Zeroizing<Vec<u8>>> {
        self.secrets
            .lock()
            .map_err(|_| Error::crypto("lock the memory vault", "poisoned"))?
            .get(id)
            .cloned()
            .ok_or_else(|| Error::KeyringSecretMissing {
                id: id.into(),
                detail: "memory vault has no such entry".into(),
            })
    }

    fn delete(&self, id: &str) -> Result<()> {
        self.secrets
            .lock()
            .map_err(|_| Error::crypto("lock the memory vault", "poisoned"))?
            .remove(id);
        Ok(())
    }

    fn name(&self) -> String {
        "memory".into()
    }
}
