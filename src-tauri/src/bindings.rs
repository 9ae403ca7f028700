//! Keeps `ui/src/lib/api/generated/` in step with the Rust types that cross IPC.
//!
//! `cargo test -p certdesk-app` rewrites a stale file and then fails, so a change to a view
//! type can never land without its TypeScript twin: run the tests again and commit the result.

use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

use crate::commands::identities::ReplySource;
use crate::error::{IpcError, IpcErrorKind, ServerCa};
use crate::view::{
    CertificateStatus, EnrollResult, ExpiryLevel, ExportedP12, FindingSeverity, FindingView,
    IdentityDetails, IdentityRow, ImportedReply, InstallResult, NewIdentitySpec, OverallStatus,
    Phase, PracticeInfo, ProfileView, ProgressEvent, RenewResult, RequestText, RevocationSource,
    RevocationState, RowStatus, SiteCheck, SiteRecheckView, SiteVerdict, StoreUpdate, StoreView,
};

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/api/generated")
}

/// Writes `T`'s binding if it differs; returns the file name when it did.
fn sync<T: TS + 'static>(cfg: &Config) -> Option<String> {
    let name = format!("{}.ts", T::name(cfg));
    let path = generated_dir().join(&name);
    let wanted = T::export_to_string(cfg).expect("ts-rs renders the binding");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == wanted {
        return None;
    }
    std::fs::create_dir_all(generated_dir()).expect("create ui/src/lib/api/generated");
    std::fs::write(&path, wanted).expect("write the binding");
    Some(name)
}

#[test]
fn typescript_bindings_are_up_to_date() {
    let cfg = Config::new();
    let stale: Vec<String> = [
        sync::<IdentityRow>(&cfg),
        sync::<ExpiryLevel>(&cfg),
        sync::<RowStatus>(&cfg),
        sync::<IpcError>(&cfg),
        sync::<IpcErrorKind>(&cfg),
        sync::<Phase>(&cfg),
        sync::<ProgressEvent>(&cfg),
        sync::<NewIdentitySpec>(&cfg),
        sync::<IdentityDetails>(&cfg),
        sync::<RequestText>(&cfg),
        sync::<ImportedReply>(&cfg),
        sync::<ExportedP12>(&cfg),
        sync::<SiteVerdict>(&cfg),
        sync::<FindingSeverity>(&cfg),
        sync::<FindingView>(&cfg),
        sync::<SiteCheck>(&cfg),
        sync::<ReplySource>(&cfg),
        sync::<ServerCa>(&cfg),
        sync::<PracticeInfo>(&cfg),
        sync::<EnrollResult>(&cfg),
        sync::<StoreView>(&cfg),
        sync::<InstallResult>(&cfg),
        sync::<RenewResult>(&cfg),
        sync::<StoreUpdate>(&cfg),
        sync::<SiteRecheckView>(&cfg),
        sync::<CertificateStatus>(&cfg),
        sync::<OverallStatus>(&cfg),
        sync::<RevocationSource>(&cfg),
        sync::<RevocationState>(&cfg),
        sync::<ProfileView>(&cfg),
        sync::<certdesk_core::enroll::portal::PortalUpload>(&cfg),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        stale.is_empty(),
        "regenerated {stale:?} in ui/src/lib/api/generated/: review and commit them"
    );
}
