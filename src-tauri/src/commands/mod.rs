//! Tauri commands: adapters from IPC to certdesk-core, nothing more.
//!
//! Each command takes typed arguments, runs one core call on the blocking pool, reports progress
//! through a `Channel` when the call can take longer than a moment, and maps errors into
//! [`IpcError`]. Split by area: the wallet ([`identities`]), enrollment and the practice CA ([`enroll`]),
//! browser and system stores ([`stores`]), site checks ([`site`]) and expiry + revocation
//! status ([`status`]).

use std::sync::{Arc, Mutex};

use certdesk_core::vault::{os_vault, SecretVault};
use certdesk_core::wallet::{default_home, KeyAccess, Wallet};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use crate::error::{IpcError, IpcErrorKind};
use crate::view::{Phase, ProgressEvent};

pub mod enroll;
pub mod identities;
pub mod profile;
pub mod site;
pub mod status;
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

/// The OS keyring. The app has no passphrase entry, so core's hint (which names the CLI's
/// `--passphrase-file`) is replaced by what a person can do here.
fn os_keyring() -> Result<Arc<dyn SecretVault>, IpcError> {
    os_vault().map_err(|error| in_app_terms(error.into()))
}

fn in_app_terms(mut error: IpcError) -> IpcError {
    if error.kind == IpcErrorKind::Keyring {
        error.hint = Some(KEYRING_HINT.into());
    }
    error
}

/// What to do when no keyring answers, in the app's words.
const KEYRING_HINT: &str = "start or unlock your desktop keyring (GNOME Keyring, KWallet or KeePassXC: it usually opens when you log in), then try again; certdesk keeps your key encrypted with a secret stored there";

/// The app unlocks keys with the OS keyring only; without one the error says what to do.
fn key_access() -> Result<KeyAccess, IpcError> {
    Ok(KeyAccess {
        vault: Some(os_keyring()?),
        passphrase: None,
        pin: None,
    })
}

/// Tells the window what is happening. A closed window is not an error for the work itself.
fn report(progress: &Channel<ProgressEvent>, phase: Phase) {
    // Ignored on purpose: the only failure is a webview that went away.
    let _ = progress.send(ProgressEvent { phase });
}

/// Asks `question` in a native dialog over the main window and waits for the answer (call it
/// off the main thread, as commands on the blocking pool are). Closing the dialog is "no".
fn ask(app: &AppHandle, question: &crate::wording::Question) -> bool {
    let mut dialog = app
        .dialog()
        .message(question.text.clone())
        .title(question.title)
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(
            question.yes.to_string(),
            question.no.to_string(),
        ));
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.parent(&window);
    }
    dialog.blocking_show()
}

/// Files dropped on the window, remembered in Rust so the webview never names a path itself.
#[derive(Debug, Default, Clone)]
pub struct DroppedFiles(pub Arc<Mutex<Vec<std::path::PathBuf>>>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_keyring_gets_a_hint_the_app_user_can_follow() {
        let error = in_app_terms(IpcError::from(certdesk_core::Error::NoKeyring {
            detail: "org.freedesktop.secrets was not provided by any .service files".into(),
        }));
        assert_eq!(error.kind, IpcErrorKind::Keyring);
        assert!(
            error.message.contains("org.freedesktop.secrets"),
            "{error:?}"
        );
        let hint = error.hint.expect("a hint");
        assert!(!hint.contains("--passphrase-file"), "{hint}");
        assert!(hint.contains("keyring"), "{hint}");
    }

    #[test]
    fn other_errors_keep_core_hints() {
        let original = IpcError::new(IpcErrorKind::Io, "boom", Some("check the disk"));
        assert_eq!(in_app_terms(original.clone()), original);
    }
}
