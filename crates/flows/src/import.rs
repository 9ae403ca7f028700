//! Import a certificate reply into the wallet and record where it came from.

use certdesk_core::history::{self, EventKind, HistoryEvent};
use certdesk_core::wallet::{ImportOutcome, Wallet};

use crate::Result;

/// Imports the reply `bytes` (named `source_name`, e.g. its file name) for identity `target`
/// (or the pending request its key matches), and records an "Issued" event for the help
/// desk's report when the certificate is new.
///
/// Issue #13: only the CLI recorded the event, so a reply imported in the app left the
/// identity's history without its certificate's arrival. A failed history write does not undo
/// an import that succeeded.
pub fn import_reply(
    wallet: &Wallet,
    bytes: &[u8],
    source_name: &str,
    target: Option<&str>,
) -> Result<ImportOutcome> {
    let outcome = wallet.import_certificate(bytes, source_name, target)?;
    if !outcome.already_imported {
        let event = HistoryEvent::now(EventKind::Issued)
            .via("import")
            .message(format!("imported from {source_name}"));
        let _ = history::record(wallet, &outcome.identity.id, &event);
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{pending, sign_reply};

    #[test]
    fn an_imported_reply_records_one_issued_event_and_a_second_import_none() {
        let (home, wallet, ca, id) = pending("Ada Lovelace");
        let reply = sign_reply(&wallet, &ca, &id);
        let outcome = import_reply(&wallet, &reply, "reply.pem", Some(&id)).expect("import");
        assert!(!outcome.already_imported);
        let again = import_reply(&wallet, &reply, "reply.pem", Some(&id)).expect("again");
        assert!(again.already_imported);
        let issued: Vec<HistoryEvent> = history::read(&wallet, &id)
            .expect("history")
            .into_iter()
            .filter(|e| e.kind == EventKind::Issued)
            .collect();
        assert_eq!(issued.len(), 1, "{issued:?}");
        assert_eq!(issued[0].via.as_deref(), Some("import"));
        assert_eq!(
            issued[0].message.as_deref(),
            Some("imported from reply.pem")
        );
        drop(home);
    }
}
