//! The one error shape that crosses IPC: `{ kind, message, hint }`.
//!
//! The UI branches on `kind` (a closed set) and shows `message` and `hint` as they are; it never
//! parses `message`. Wording comes from certdesk-core.

use serde::Serialize;
use ts_rs::TS;

/// What went wrong, as far as the UI needs to know to choose what to show or offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorKind {
    /// The user's input cannot be used as it is (a bad name, an unsupported choice).
    InvalidInput,
    /// A password or passphrase did not open what it was meant to open.
    WrongPassword,
    /// The identity, file or entry asked for does not exist.
    NotFound,
    /// The OS keyring refused, is locked or is missing.
    Keyring,
    /// Reading or writing a file failed.
    Io,
    /// A file is not what it claims to be, or is damaged.
    BadFile,
    /// Two things that must belong together do not (a certificate and its key).
    Mismatch,
    /// A bug or an unexpected state; the message says what.
    Internal,
}

/// An error as the webview receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub kind: IpcErrorKind,
    /// One line from core, shown as it is.
    pub message: String,
    /// A concrete next step, when core knows one.
    pub hint: Option<String>,
}

impl From<certdesk_core::ErrorKind> for IpcErrorKind {
    fn from(kind: certdesk_core::ErrorKind) -> Self {
        use certdesk_core::ErrorKind as K;
        match kind {
            K::InvalidInput => Self::InvalidInput,
            K::WrongPassword => Self::WrongPassword,
            K::NotFound => Self::NotFound,
            K::Keyring => Self::Keyring,
            K::Io => Self::Io,
            K::BadFile => Self::BadFile,
            K::Mismatch => Self::Mismatch,
            K::Internal => Self::Internal,
            // ErrorKind is #[non_exhaustive]: a kind added in core shows as internal until the UI
            // learns it; the message still says what happened.
            _ => Self::Internal,
        }
    }
}

impl From<certdesk_core::Error> for IpcError {
    fn from(error: certdesk_core::Error) -> Self {
        Self {
            kind: error.kind().into(),
            message: error.to_string(),
            hint: error.hint(),
        }
    }
}

impl From<tauri::Error> for IpcError {
    /// Only the blocking pool fails this way (a panicked or cancelled task).
    fn from(error: tauri::Error) -> Self {
        Self {
            kind: IpcErrorKind::Internal,
            message: format!("the background task failed: {error}"),
            hint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_pinned() {
        let error = IpcError {
            kind: IpcErrorKind::WrongPassword,
            message: "wrong password for ./alice.p12".into(),
            hint: Some("check Caps Lock and try again".into()),
        };
        assert_eq!(
            serde_json::to_string(&error).expect("serialise"),
            r#"{"kind":"wrong_password","message":"wrong password for ./alice.p12","hint":"check Caps Lock and try again"}"#
        );
    }

    #[test]
    fn missing_hint_is_null() {
        let error = IpcError {
            kind: IpcErrorKind::Internal,
            message: "boom".into(),
            hint: None,
        };
        assert_eq!(
            serde_json::to_string(&error).expect("serialise"),
            r#"{"kind":"internal","message":"boom","hint":null}"#
        );
    }

    #[test]
    fn every_core_kind_maps_to_its_own_kind() {
        use certdesk_core::ErrorKind as K;
        let pairs = [
            (K::InvalidInput, "invalid_input"),
            (K::WrongPassword, "wrong_password"),
            (K::NotFound, "not_found"),
            (K::Keyring, "keyring"),
            (K::Io, "io"),
            (K::BadFile, "bad_file"),
            (K::Mismatch, "mismatch"),
            (K::Internal, "internal"),
        ];
        for (core, wire) in pairs {
            let kind = IpcErrorKind::from(core);
            assert_eq!(
                serde_json::to_value(kind).expect("serialise"),
                serde_json::Value::String(wire.into()),
                "{core:?}"
            );
        }
    }
}
