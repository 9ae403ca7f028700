//! Tauri commands: adapters from IPC to certdesk-core, nothing more.
//!
//! Each command takes typed arguments, runs one core call on the blocking pool, reports progress
//! through a `Channel` when the call can take longer than a moment, and maps errors into
//! [`IpcError`]. Split by area: the wallet ([`identities`]), enrollment and the practice CA ([`enroll`]),
//! browser and system stores ([`stores`]) and site checks ([`site`]).

use std::sync::{Arc, Mutex};

use certdesk_core::vault::os_vault;
use certdesk_core::wallet::{default_home, KeyAccess, Wallet};
use tauri::ipc::Channel;

use crate::error::IpcError;
use crate::view::{Phase, ProgressEvent};

pub mod enroll;
pub mod identities;
pub mod profile;
pub mod site;
pub mod stores;

/// Runs blocking core work off the async runtime and flattens the join error.
async fn blocking<T, F>(work: F) -> Result<T, IpcError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, IpcError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(work).await?
}

/// The wallet at `$CERTDESK_HOME` (or the per-user default).
fn wallet() -> Result<Wallet, IpcError> {
    Ok(Wallet::open(default_home()?)?)
}

/// The app unlocks keys with the OS keyring only; without one the error says what to do.
fn key_access() -> Result<KeyAccess, IpcError> {
    Ok(KeyAccess {
        vault: Some(os_vault()?),
        passphrase: None,
    })
}

/// Tells the window what is happening. A closed window is not an error for the work itself.
fn report(progress: &Channel<ProgressEvent>, phase: Phase) {
    // Ignored on purpose: the only failure is a webview that went away.
    let _ = progress.send(ProgressEvent { phase });
}

/// Files dropped on the window, remembered in Rust so the webview never names a path itself.
#[derive(Debug, Default, Clone)]
pub struct DroppedFiles(pub Arc<Mutex<Vec<std::path::PathBuf>>>);
