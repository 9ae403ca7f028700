//! Make a request whose key is made on a security key, smart card or TPM (issue #15).

use std::path::Path;

use certdesk_core::history::{self, EventKind, HistoryEvent};
use certdesk_core::secret::SecretString;
use certdesk_core::token::{find_token, TokenKey};
use certdesk_core::wallet::{Identity, NewRequest, Wallet};

use crate::Result;

/// Which token to use.
#[derive(Debug, Clone, Copy)]
pub struct TokenChoice<'a> {
    /// Its label or serial number.
    pub wanted: &'a str,
    /// Its PKCS#11 module; without one, the modules found on this computer are searched.
    pub module: Option<&'a Path>,
}

/// Makes the key pair on the token (sensitive, never extractable), has the token sign the
/// request, stores the pending identity with where its key lives (no key file) and records a
/// "Requested" event naming the token.
pub fn request_on_token(
    wallet: &Wallet,
    request: &NewRequest,
    choice: TokenChoice<'_>,
    pin: &SecretString,
) -> Result<Identity> {
    // The subject and label are checked before the token makes a key that would then be left
    // unused on it.
    let label = certdesk_core::wallet::request_label(request)?;
    let (module, token) = find_token(choice.wanted, choice.module)?;
    let key = TokenKey::generate(&module, &token, pin, request.key_type, &label)?;
    let identity = wallet.create_token_request(request, &key)?;
    let event = HistoryEvent::now(EventKind::Requested)
        .via(&request.via)
        .message(format!(
            "key made on the token \"{}\" (serial {})",
            token.label, token.serial
        ));
    // The request exists either way; only its history line would be missing.
    let _ = history::record(wallet, &identity.id, &event);
    Ok(identity)
}

/// Whether another identity in the wallet than `id` has its key on a token of the PKCS#11
/// module `library`: `uninstall` keeps the module's registration in a browser while one does.
pub fn module_needed_by_another(wallet: &Wallet, id: &str, library: &Path) -> Result<bool> {
    Ok(wallet.identities()?.iter().any(|i| {
        i.id != id
            && i.protection
                .token()
                .is_some_and(|t| t.module.as_path() == library)
    }))
}
