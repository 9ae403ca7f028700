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
    /// The network or the TLS connection failed (unreachable, timeout, handshake).
    Network,
    /// The enrollment server's CA is not trusted yet: `server_ca` carries what to ask.
    UntrustedServer,
    /// The server wants credentials or did not accept them (a wrong enrollment code).
    Authentication,
    /// The server answered but refused or could not serve the request.
    ServerRefused,
    /// A browser or system certificate store is missing, locked, read-only or failed.
    Store,
    /// Not possible on this computer (a macOS or Windows store on Linux).
    Unsupported,
}

/// The trust-bootstrap question: the enrollment server's CA, to confirm by its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ServerCa {
    pub host: String,
    pub subject: String,
    /// SHA-256, colon hex: what the person compares with what their help desk gave them.
    pub sha256: String,
}

/// An error as the webview receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub kind: IpcErrorKind,
    /// One line from core, shown as it is.
    pub message: String,
    /// A concrete next step, when core knows one.
    pub hint: Option<String>,
    /// Only for `untrusted_server`: the CA to ask about (boxed: errors stay small).
    pub server_ca: Option<Box<ServerCa>>,
}

impl IpcError {
    /// An error worded here (rare: app-level states core does not know).
    pub fn new(kind: IpcErrorKind, message: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            kind,
            message: message.into(),
            hint: hint.map(str::to_string),
            server_ca: None,
        }
    }
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
            K::Network => Self::Network,
            K::UntrustedServer => Self::UntrustedServer,
            K::Authentication => Self::Authentication,
            K::ServerRefused => Self::ServerRefused,
            // ErrorKind is #[non_exhaustive]: a kind added in core shows as internal until the UI
            // learns it; the message still says what happened.
            _ => Self::Internal,
        }
    }
}

impl From<certdesk_core::Error> for IpcError {
    fn from(error: certdesk_core::Error) -> Self {
        let server_ca = match &error {
            certdesk_core::Error::ServerNotTrusted {
                host,
                ca_subject,
                ca_sha256,
            } => Some(Box::new(ServerCa {
                host: host.clone(),
                subject: ca_subject.clone(),
                sha256: ca_sha256.clone(),
            })),
            _ => None,
        };
        Self {
            kind: error.kind().into(),
            message: error.to_string(),
            hint: error.hint(),
            server_ca,
        }
    }
}

impl From<certdesk_store::Error> for IpcError {
    fn from(error: certdesk_store::Error) -> Self {
        use certdesk_store::Error as E;
        let kind = match &error {
            E::Core(core) => core.kind().into(),
            E::UnknownTarget { .. } | E::NotACertificateAuthority { .. } => {
                IpcErrorKind::InvalidInput
            }
            E::WrongPlatform { .. } | E::NotVerified { .. } => IpcErrorKind::Unsupported,
            E::WrongNssPassword { .. } => IpcErrorKind::WrongPassword,
            E::FirefoxProfileNotFound { .. } => IpcErrorKind::NotFound,
            E::BadProfilesIni { .. } => IpcErrorKind::BadFile,
            E::Io { .. } => IpcErrorKind::Io,
            E::NssDbMissing { .. }
            | E::NssDbReadOnly { .. }
            | E::NssPasswordRequired { .. }
            | E::NssToolsMissing { .. }
            | E::NssTool { .. }
            | E::Keychain { .. }
            | E::WindowsStore { .. }
            | E::Timeout { .. } => IpcErrorKind::Store,
            // Error is #[non_exhaustive]: a new store error shows as a store problem.
            _ => IpcErrorKind::Store,
        };
        Self {
            kind,
            message: error.to_string(),
            hint: error.hint(),
            server_ca: None,
        }
    }
}

impl From<certdesk_flows::Error> for IpcError {
    fn from(error: certdesk_flows::Error) -> Self {
        use certdesk_flows::Error as E;
        match error {
            E::Core(core) => core.into(),
            E::Store(store) => store.into(),
            E::NoHome => Self::new(IpcErrorKind::NotFound, E::NoHome.to_string(), None),
            E::Enroll(problem) => {
                let hint = crate::wording::enroll_problem_hint(&problem);
                Self::new(
                    IpcErrorKind::InvalidInput,
                    problem.to_string(),
                    hint.as_deref(),
                )
            }
            // Error is #[non_exhaustive]: a new flow error keeps its words.
            other => Self::new(IpcErrorKind::Internal, other.to_string(), None),
        }
    }
}

impl From<tauri::Error> for IpcError {
    /// Only the blocking pool fails this way (a panicked or cancelled task).
    fn from(error: tauri::Error) -> Self {
        Self::new(
            IpcErrorKind::Internal,
            format!("the background task failed: {error}"),
            None,
        )
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
            server_ca: None,
        };
        assert_eq!(
            serde_json::to_string(&error).expect("serialise"),
            r#"{"kind":"wrong_password","message":"wrong password for ./alice.p12","hint":"check Caps Lock and try again","server_ca":null}"#
        );
    }

    #[test]
    fn missing_hint_is_null() {
        let error = IpcError {
            kind: IpcErrorKind::Internal,
            message: "boom".into(),
            hint: None,
            server_ca: None,
        };
        assert_eq!(
            serde_json::to_string(&error).expect("serialise"),
            r#"{"kind":"internal","message":"boom","hint":null,"server_ca":null}"#
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
            (K::Network, "network"),
            (K::UntrustedServer, "untrusted_server"),
            (K::Authentication, "authentication"),
            (K::ServerRefused, "server_refused"),
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

    #[test]
    fn an_untrusted_server_carries_the_question_to_ask() {
        let error = IpcError::from(certdesk_core::Error::ServerNotTrusted {
            host: "est.example.org".into(),
            ca_subject: "CN=Example EST CA".into(),
            ca_sha256: "AB:CD".into(),
        });
        let json = serde_json::to_value(&error).expect("serialise");
        assert_eq!(json["kind"], "untrusted_server");
        assert_eq!(
            json["server_ca"],
            serde_json::json!({"host": "est.example.org", "subject": "CN=Example EST CA", "sha256": "AB:CD"})
        );
        assert!(error.message.contains("AB:CD"), "{error:?}");
        assert!(error.hint.is_some());
    }

    #[test]
    fn store_errors_map_to_their_kinds() {
        use std::path::PathBuf;
        let missing = IpcError::from(certdesk_store::Error::NssDbMissing {
            dir: PathBuf::from("/nowhere/nssdb"),
        });
        assert_eq!(missing.kind, IpcErrorKind::Store, "{missing:?}");
        assert!(missing.message.contains("/nowhere/nssdb"), "{missing:?}");
        assert_eq!(
            serde_json::to_value(IpcErrorKind::Unsupported).expect("serialise"),
            "unsupported"
        );
        assert_eq!(
            serde_json::to_value(IpcErrorKind::Store).expect("serialise"),
            "store"
        );
    }
}
