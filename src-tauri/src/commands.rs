//! Tauri commands: adapters from IPC to certdesk-core, nothing more.

use std::path::PathBuf;

use certdesk_core::wallet::{default_home, Wallet};
use time::OffsetDateTime;

use crate::error::IpcError;
use crate::view::IdentityRow;

/// Lists the identities in the wallet at `$CERTDESK_HOME` (or the per-user default).
#[tauri::command]
pub async fn list_identities() -> Result<Vec<IdentityRow>, IpcError> {
    tauri::async_runtime::spawn_blocking(|| {
        list_identity_rows(default_home()?, OffsetDateTime::now_utc())
    })
    .await?
}

fn list_identity_rows(home: PathBuf, now: OffsetDateTime) -> Result<Vec<IdentityRow>, IpcError> {
    let summaries = Wallet::open(home)?.list()?;
    Ok(summaries
        .iter()
        .map(|summary| IdentityRow::from_summary(summary, now))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IpcErrorKind;

    #[test]
    fn an_empty_home_lists_nothing() {
        let home = tempfile::tempdir().expect("temp dir");
        let rows = list_identity_rows(home.path().to_path_buf(), OffsetDateTime::now_utc())
            .expect("an empty wallet is not an error");
        assert!(rows.is_empty());
    }

    #[test]
    fn an_unreadable_wallet_arrives_as_a_typed_ipc_error() {
        let home = tempfile::tempdir().expect("temp dir");
        // `identities` must be a directory; a file there makes listing fail with an I/O error.
        std::fs::write(home.path().join("identities"), b"").expect("write");

        let error = list_identity_rows(home.path().to_path_buf(), OffsetDateTime::now_utc())
            .expect_err("listing must fail");

        assert_eq!(error.kind, IpcErrorKind::Io, "{error:?}");
        assert!(error.message.contains("identities"), "{error:?}");
        assert!(
            error.hint.is_some(),
            "core gives a next step for I/O errors: {error:?}"
        );
    }
}
