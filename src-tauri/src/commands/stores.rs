//! Browser and system certificate stores: which exist here, and installing an identity there.

use std::path::PathBuf;

use certdesk_core::wallet::Wallet;
use certdesk_flows::stores::StoreContents;
use certdesk_store::{Handover, InstallOutcome, StoreTarget};
use tauri::ipc::Channel;

use super::{blocking, key_access, report, wallet};
use crate::error::{IpcError, IpcErrorKind};
use crate::view::{InstallResult, Phase, ProgressEvent, StoreView};

/// The stores found on this computer, with whether identity `id` is installed in each.
#[tauri::command]
pub async fn list_stores(id: Option<String>) -> Result<Vec<StoreView>, IpcError> {
    blocking(move || stores_for(&wallet()?, &user_home()?, id.as_deref())).await
}

/// Installs identity `id` into the chosen stores (named by [`StoreView::key`]).
#[tauri::command]
pub async fn install_identity(
    id: String,
    stores: Vec<String>,
    on_progress: Channel<ProgressEvent>,
) -> Result<Vec<InstallResult>, IpcError> {
    blocking(move || {
        report(&on_progress, Phase::Installing);
        install_into(&wallet()?, &user_home()?, &id, &stores)
    })
    .await
}

pub(crate) fn user_home() -> Result<PathBuf, IpcError> {
    Ok(certdesk_flows::home::user_home()?)
}

/// The name people know a store by.
pub(crate) fn store_name(target: &StoreTarget) -> String {
    match target {
        StoreTarget::Chromium { .. } => "Chromium / Google Chrome".into(),
        StoreTarget::Firefox { profile, .. } => format!("Firefox ({profile})"),
        StoreTarget::Nss { db } => format!("NSS database {}", db.display()),
        StoreTarget::Keychain => "macOS Keychain".into(),
        StoreTarget::Windows => "Windows certificate store".into(),
    }
}

fn certificate_sha256(wallet: &Wallet, id: &str) -> Result<Option<String>, IpcError> {
    Ok(wallet
        .get(id)?
        .certificate_info()?
        .map(|info| info.sha256.to_ascii_uppercase()))
}

pub(crate) fn stores_for(
    wallet: &Wallet,
    home: &std::path::Path,
    id: Option<&str>,
) -> Result<Vec<StoreView>, IpcError> {
    let sha256 = match id {
        Some(id) => certificate_sha256(wallet, id)?,
        None => None,
    };
    let stores = certdesk_flows::stores::read_stores(home)?;
    Ok(stores
        .iter()
        .map(|contents| view_of(contents, sha256.as_deref()))
        .collect())
}

fn view_of(contents: &StoreContents, sha256: Option<&str>) -> StoreView {
    let installed = sha256.is_some_and(|sha| contents.holds(sha).is_some());
    let store = &contents.store;
    StoreView {
        key: store.target.to_string(),
        name: store_name(&store.target),
        location: store.target.nss_db().map(|db| db.display().to_string()),
        in_use: store.in_use,
        installed,
    }
}

/// Where each issued identity is installed (store names), read live from the stores.
pub(crate) fn installed_in(wallet: &Wallet, home: &std::path::Path, id: &str) -> Vec<String> {
    certdesk_flows::stores::installed_locations(wallet, home, id)
        .map(|found| found.iter().map(|l| store_name(&l.store)).collect())
        .unwrap_or_default()
}

fn install_into(
    wallet: &Wallet,
    home: &std::path::Path,
    id: &str,
    keys: &[String],
) -> Result<Vec<InstallResult>, IpcError> {
    let identity = wallet.get(id)?;
    let access = key_access()?;
    let detected = certdesk_store::detect_targets(home)?;
    let mut handover = Handover::new(wallet, &access);
    let mut results = Vec::new();
    for key in keys {
        let target = detected
            .iter()
            .map(|d| &d.target)
            .find(|t| t.to_string() == *key)
            .ok_or_else(|| {
                IpcError::new(
                    IpcErrorKind::NotFound,
                    format!("the store {key} is no longer on this computer"),
                    Some("go back one step so the list is read again"),
                )
            })?;
        let (already_installed, warnings) = match handover.install(&identity, target, None)? {
            InstallOutcome::Installed { warnings, .. } => (false, warnings),
            InstallOutcome::AlreadyInstalled { warnings, .. } => (true, warnings),
        };
        results.push(InstallResult {
            store: store_name(target),
            already_installed,
            warnings,
        });
    }
    Ok(results)
}
