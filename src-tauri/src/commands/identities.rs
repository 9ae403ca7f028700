//! The wallet: list, details, new request, reply import, PKCS#12 export, delete.

use std::path::{Path, PathBuf};

use certdesk_core::csr::{CsrSpec, SubjectSpec};
use certdesk_core::fsutil::{write_atomic, FileMode};
use certdesk_core::inspect::inspect_certificate;
use certdesk_core::key::KeySpec;
use certdesk_core::pkcs12::P12Profile;
use certdesk_core::secret::generate_password;
use certdesk_core::vault::{os_vault, SecretVault};
use certdesk_core::wallet::{KeyProtection, NewRequest, Wallet};
use serde::Deserialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use time::OffsetDateTime;
use ts_rs::TS;

use super::{blocking, key_access, report, wallet, DroppedFiles};
use crate::error::{IpcError, IpcErrorKind};
use crate::view::{
    rfc3339, ExportedP12, IdentityDetails, IdentityRow, ImportedReply, NewIdentitySpec, Phase,
    ProgressEvent, RequestText, RowStatus,
};
use crate::wording::{self, Lang};

/// Lists the identities in the wallet, each with the stores it is installed in.
#[tauri::command]
pub async fn list_identities() -> Result<Vec<IdentityRow>, IpcError> {
    blocking(|| {
        let wallet = wallet()?;
        let mut rows = list_identity_rows(&wallet, OffsetDateTime::now_utc())?;
        for row in &mut rows {
            fill_installed_in(&wallet, row);
        }
        Ok(rows)
    })
    .await
}

/// Everything about one identity.
#[tauri::command]
pub async fn identity_details(id: String) -> Result<IdentityDetails, IpcError> {
    blocking(move || {
        let wallet = wallet()?;
        let mut details = details_of(&wallet, &id, OffsetDateTime::now_utc())?;
        fill_installed_in(&wallet, &mut details.row);
        Ok(details)
    })
    .await
}

/// The stores under this user's HOME that hold an issued identity, read live.
fn fill_installed_in(wallet: &Wallet, row: &mut IdentityRow) {
    if row.status != RowStatus::Issued {
        return;
    }
    if let Ok(home) = certdesk_flows::home::user_home() {
        row.installed_in = super::stores::installed_in(wallet, &home, &row.id);
    }
}

/// Creates a key (protected by the OS keyring) and a request; returns the pending identity.
#[tauri::command]
pub async fn create_request(
    spec: NewIdentitySpec,
    on_progress: Channel<ProgressEvent>,
) -> Result<IdentityRow, IpcError> {
    blocking(move || {
        let protection = KeyProtection::Keyring(super::os_keyring()?);
        report(&on_progress, Phase::GeneratingKey);
        create_identity(&wallet()?, &spec, &protection)
    })
    .await
}

/// The request (CSR) of an identity, for email and web portals.
#[tauri::command]
pub async fn request_text(id: String) -> Result<RequestText, IpcError> {
    blocking(move || request_of(&wallet()?, &id)).await
}

/// Saves the request as a ready email (`.eml`, request attached, with instructions and its
/// fingerprint for the administrator) where the person chooses; returns the file, or `null`.
#[tauri::command]
pub async fn save_email_request(
    app: AppHandle,
    id: String,
    to: Option<String>,
) -> Result<Option<String>, IpcError> {
    blocking(move || {
        let wallet = wallet()?;
        let label = wallet.get(&id)?.label;
        let Some(path) = app
            .dialog()
            .file()
            .set_file_name(format!("{label} certificate request.eml"))
            .add_filter("Email", &["eml"])
            .blocking_save_file()
            .and_then(|p| p.into_path().ok())
        else {
            return Ok(None);
        };
        write_email_request(&wallet, &id, to.as_deref(), &path).map(Some)
    })
    .await
}

pub(crate) fn write_email_request(
    wallet: &Wallet,
    id: &str,
    to: Option<&str>,
    path: &Path,
) -> Result<String, IpcError> {
    let handoff = certdesk_core::enroll::email_request(wallet, id, to.filter(|t| !t.is_empty()))?;
    write_atomic(path, handoff.eml.as_bytes(), FileMode::Private)?;
    Ok(path.display().to_string())
}

/// Where a reply file comes from: the file picker (opened here, in Rust) or the last drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReplySource {
    Picker,
    Dropped,
}

/// Imports a reply file, matched to its waiting key. `null` when the picker was closed.
#[tauri::command]
pub async fn import_reply(
    app: AppHandle,
    dropped: State<'_, DroppedFiles>,
    source: ReplySource,
    id: Option<String>,
) -> Result<Option<ImportedReply>, IpcError> {
    let dropped = dropped.inner().clone();
    blocking(move || {
        let path = match source {
            ReplySource::Picker => pick_file(&app),
            ReplySource::Dropped => dropped.take_first(),
        };
        path.map(|p| import_reply_file(&wallet()?, &p, id.as_deref()))
            .transpose()
    })
    .await
}

/// Writes a `.p12` where the user chooses, with a generated password returned once.
/// `null` when the save dialog was closed.
#[tauri::command]
pub async fn export_p12(
    app: AppHandle,
    id: String,
    compatible: bool,
) -> Result<Option<ExportedP12>, IpcError> {
    blocking(move || {
        let wallet = wallet()?;
        let label = wallet.get(&id)?.label;
        let Some(path) = app
            .dialog()
            .file()
            .set_file_name(format!("{label}.p12"))
            .add_filter("PKCS#12", &["p12", "pfx"])
            .blocking_save_file()
            .and_then(|p| p.into_path().ok())
        else {
            return Ok(None);
        };
        let profile = if compatible {
            P12Profile::Compatible
        } else {
            P12Profile::Modern
        };
        export_p12_file(&wallet, &id, &path, profile).map(Some)
    })
    .await
}

/// Deletes an identity and its keyring secret after the person said yes in a native dialog
/// that names it (issue #12): the webview alone cannot delete anything. Answers whether it was
/// deleted (`false`: the person kept it).
///
/// No end-to-end scenario deletes an identity (tests/e2e), so there is no way to answer this
/// dialog other than a person clicking; the decision itself is unit-tested through
/// [`delete_confirmed`] with the question replaced.
#[tauri::command]
pub async fn delete_identity(app: AppHandle, id: String) -> Result<bool, IpcError> {
    blocking(move || {
        let vault = os_vault().ok();
        delete_confirmed(&wallet()?, &id, vault.as_deref(), |label| {
            super::ask(&app, &wording::delete_question(Lang::from_env(), label))
        })
    })
    .await
}

/// Deletes `id` when `confirm`, asked with the identity's label as the wallet has it, says yes.
pub(crate) fn delete_confirmed(
    wallet: &Wallet,
    id: &str,
    vault: Option<&dyn SecretVault>,
    confirm: impl FnOnce(&str) -> bool,
) -> Result<bool, IpcError> {
    let identity = wallet.get(id)?;
    if !confirm(&identity.label) {
        return Ok(false);
    }
    wallet.delete(&identity.id, vault)?;
    Ok(true)
}

impl DroppedFiles {
    /// Remembers the files of a drop (the window's drag-drop event).
    pub fn set(&self, paths: Vec<PathBuf>) {
        if let Ok(mut files) = self.0.lock() {
            *files = paths;
        }
    }

    fn take_first(&self) -> Option<PathBuf> {
        self.0
            .lock()
            .ok()
            .and_then(|mut files| std::mem::take(&mut *files).into_iter().next())
    }
}

fn pick_file(app: &AppHandle) -> Option<PathBuf> {
    app.dialog()
        .file()
        .add_filter(
            "Certificate",
            &["pem", "crt", "cer", "der", "p7b", "p7c", "txt"],
        )
        .blocking_pick_file()
        .and_then(|p| p.into_path().ok())
}

fn list_identity_rows(wallet: &Wallet, now: OffsetDateTime) -> Result<Vec<IdentityRow>, IpcError> {
    let summaries = wallet.list()?;
    Ok(summaries
        .iter()
        .map(|summary| IdentityRow::from_summary(summary, now))
        .collect())
}

fn optional(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

pub(crate) fn create_identity(
    wallet: &Wallet,
    spec: &NewIdentitySpec,
    protection: &KeyProtection,
) -> Result<IdentityRow, IpcError> {
    let key_type = match optional(&spec.key_type) {
        Some(name) => KeySpec::parse(&name)?,
        None => KeySpec::default(),
    };
    let request = NewRequest {
        label: None,
        csr: CsrSpec {
            subject: SubjectSpec {
                common_name: spec.name.trim().to_string(),
                organization: optional(&spec.organization),
                organizational_unit: optional(&spec.organizational_unit),
                email: optional(&spec.email),
                ..SubjectSpec::default()
            },
            challenge_password: None,
        },
        key_type,
        via: "app".into(),
    };
    let identity = wallet.create_request(&request, protection)?;
    Ok(IdentityRow::from_summary(
        &identity.summary()?,
        OffsetDateTime::now_utc(),
    ))
}

fn details_of(wallet: &Wallet, id: &str, now: OffsetDateTime) -> Result<IdentityDetails, IpcError> {
    let identity = wallet.get(id)?;
    let row = IdentityRow::from_summary(&identity.summary()?, now);
    let chain = identity
        .chain_der()
        .unwrap_or_default()
        .iter()
        .skip(1)
        .filter_map(|der| certdesk_core::cert::parse_certificate(der).ok())
        .map(|info| info.subject)
        .collect();
    let request_sha256 = identity.csr()?.map(|csr| csr.fingerprint_sha256());
    let created = rfc3339(identity.created);
    let Some(der) = identity.certificate_der()? else {
        return Ok(IdentityDetails {
            row,
            validity_words: None,
            issuer_dn: None,
            serial: None,
            not_before: None,
            not_after: None,
            uses: Vec::new(),
            alt_names: Vec::new(),
            sha256: None,
            sha1: None,
            problems: Vec::new(),
            fit_for_client_auth: None,
            chain,
            request_sha256,
            created,
        });
    };
    let cert = inspect_certificate(&der, now)?;
    Ok(IdentityDetails {
        row,
        validity_words: Some(cert.validity_words),
        issuer_dn: Some(cert.info.issuer),
        serial: Some(cert.info.serial),
        not_before: Some(rfc3339(cert.info.not_before)),
        not_after: Some(rfc3339(cert.info.not_after)),
        uses: cert.info.extended_key_usages,
        alt_names: cert.info.subject_alt_names,
        sha256: Some(cert.info.sha256),
        sha1: Some(cert.info.sha1),
        problems: cert.problems.into_iter().map(|p| p.message).collect(),
        fit_for_client_auth: Some(cert.fit_for_client_auth),
        chain,
        request_sha256,
        created,
    })
}

fn request_of(wallet: &Wallet, id: &str) -> Result<RequestText, IpcError> {
    let identity = wallet.get(id)?;
    let csr = identity.csr()?.ok_or_else(|| {
        IpcError::new(
            IpcErrorKind::NotFound,
            format!(
                "{} was imported, not requested: it has no request",
                identity.label
            ),
            None,
        )
    })?;
    Ok(RequestText {
        pem: csr.pem(),
        sha256: csr.fingerprint_sha256(),
    })
}

pub(crate) fn import_reply_file(
    wallet: &Wallet,
    path: &Path,
    id: Option<&str>,
) -> Result<ImportedReply, IpcError> {
    let bytes = std::fs::read(path).map_err(|source| certdesk_core::Error::Io {
        op: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let outcome = certdesk_flows::import::import_reply(wallet, &bytes, &name, id)?;
    Ok(ImportedReply {
        identity: IdentityRow::from_summary(&outcome.identity, OffsetDateTime::now_utc()),
        warnings: outcome.warnings.into_iter().map(|w| w.message).collect(),
        already_imported: outcome.already_imported,
    })
}

fn export_p12_file(
    wallet: &Wallet,
    id: &str,
    path: &Path,
    profile: P12Profile,
) -> Result<ExportedP12, IpcError> {
    let password = generate_password();
    let bytes = wallet.export_pkcs12(id, &key_access()?, &password, profile)?;
    write_atomic(path, &bytes, FileMode::Private)?;
    Ok(ExportedP12 {
        file: path.display().to_string(),
        password: password.expose().to_string(),
        profile: profile.as_str().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use certdesk_core::vault::MemoryVault;

    fn keyring() -> KeyProtection {
        KeyProtection::Keyring(Arc::new(MemoryVault::default()))
    }

    fn alice() -> NewIdentitySpec {
        NewIdentitySpec {
            name: " Alice Example ".into(),
            email: Some("alice@example.org".into()),
            organization: Some(String::new()),
            organizational_unit: None,
            key_type: None,
        }
    }

    /// Issue #13: a reply imported in the app records the "Issued" event the CLI's `certdesk
    /// import` records (the CLI calls certdesk_flows::import::import_reply with the file's name).
    #[test]
    fn an_imported_reply_has_the_issued_event_the_cli_records() {
        use certdesk_core::history::{self, EventKind};
        let ca = certdesk_testkit::OpensslCa::new("App import");
        let mut histories = Vec::new();
        for through_the_app in [true, false] {
            let home = tempfile::tempdir().expect("temp dir");
            let wallet = Wallet::open(home.path()).expect("open");
            let row = create_identity(&wallet, &alice(), &keyring()).expect("create");
            let csr = wallet
                .get(&row.id)
                .expect("get")
                .csr()
                .expect("csr")
                .expect("pending");
            let signed = ca.sign_csr(csr.pem().as_bytes(), certdesk_testkit::SignOpts::default());
            let reply = [signed.cert_pem, signed.chain_pem].concat();
            let file = home.path().join("reply.pem");
            std::fs::write(&file, &reply).expect("write the reply");
            if through_the_app {
                let imported = import_reply_file(&wallet, &file, None).expect("app import");
                assert_eq!(imported.identity.status, RowStatus::Issued);
            } else {
                certdesk_flows::import::import_reply(&wallet, &reply, "reply.pem", None)
                    .expect("the CLI's import");
            }
            let events: Vec<_> = history::read(&wallet, &row.id)
                .expect("history")
                .into_iter()
                .map(|e| (e.kind, e.via, e.target, e.message))
                .collect();
            histories.push(events);
        }
        assert_eq!(histories[0], histories[1]);
        assert!(
            histories[0]
                .iter()
                .any(|(kind, via, _, message)| *kind == EventKind::Issued
                    && via.as_deref() == Some("import")
                    && message.as_deref() == Some("imported from reply.pem")),
            "{:?}",
            histories[0]
        );
    }

    #[test]
    fn an_empty_home_lists_nothing() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let rows = list_identity_rows(&wallet, OffsetDateTime::now_utc())
            .expect("an empty wallet is not an error");
        assert!(rows.is_empty());
    }

    #[test]
    fn an_unreadable_wallet_arrives_as_a_typed_ipc_error() {
        let home = tempfile::tempdir().expect("temp dir");
        // `identities` must be a directory; a file there makes listing fail with an I/O error.
        std::fs::write(home.path().join("identities"), b"").expect("write");
        let wallet = Wallet::open(home.path()).expect("open");

        let error =
            list_identity_rows(&wallet, OffsetDateTime::now_utc()).expect_err("listing must fail");

        assert_eq!(error.kind, IpcErrorKind::Io, "{error:?}");
        assert!(error.message.contains("identities"), "{error:?}");
        assert!(
            error.hint.is_some(),
            "core gives a next step for I/O errors: {error:?}"
        );
    }

    /// Issue #12: the webview's `delete_identity` deletes only after the person said yes to a
    /// question naming the identity as the wallet has it. Before, the call deleted at once.
    #[test]
    fn deleting_asks_with_the_wallets_label_and_keeps_the_identity_on_no() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let row = create_identity(&wallet, &alice(), &keyring()).expect("create");
        let mut asked = Vec::new();

        let deleted = delete_confirmed(&wallet, &row.id, None, |label| {
            asked.push(label.to_string());
            false
        })
        .expect("declining is no error");
        assert!(!deleted);
        assert_eq!(asked, ["Alice Example"]);
        assert!(wallet.get(&row.id).is_ok(), "kept on no");

        assert!(delete_confirmed(&wallet, &row.id, None, |_| true).expect("delete"));
        assert!(wallet.get(&row.id).is_err(), "deleted on yes");
        // Nothing to ask about: an unknown identity is an error before any question.
        let error =
            delete_confirmed(&wallet, &row.id, None, |_| panic!("asked")).expect_err("gone");
        assert_eq!(error.kind, IpcErrorKind::NotFound, "{error:?}");
    }

    #[test]
    fn a_new_request_is_pending_with_trimmed_fields_and_its_csr_is_readable() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");

        let row = create_identity(&wallet, &alice(), &keyring()).expect("create");

        assert_eq!(row.label, "Alice Example");
        assert_eq!(row.status, RowStatus::Pending);
        assert_eq!(row.key_type, "ec-p256");
        assert!(row.subject.contains("CN=Alice Example"), "{row:?}");
        assert!(
            !row.subject.contains("O="),
            "an empty organisation is left out: {row:?}"
        );

        let text = request_of(&wallet, &row.id).expect("request");
        assert!(text.pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        assert!(!text.pem.contains("PRIVATE KEY"));
        let details = details_of(&wallet, &row.id, OffsetDateTime::now_utc()).expect("details");
        assert_eq!(
            details.request_sha256.as_deref(),
            Some(text.sha256.as_str())
        );
        assert_eq!(details.fit_for_client_auth, None);
    }

    #[test]
    fn an_empty_name_or_unknown_key_type_is_invalid_input() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let mut spec = alice();
        spec.name = "   ".into();
        let error = create_identity(&wallet, &spec, &keyring()).expect_err("empty name");
        assert_eq!(error.kind, IpcErrorKind::InvalidInput, "{error:?}");

        let mut spec = alice();
        spec.key_type = Some("dsa-1024".into());
        let error = create_identity(&wallet, &spec, &keyring()).expect_err("bad key");
        assert_eq!(error.kind, IpcErrorKind::InvalidInput, "{error:?}");
        assert!(
            wallet.list().expect("list").is_empty(),
            "nothing was stored"
        );
    }

    #[test]
    fn an_html_reply_is_a_bad_file_and_the_request_stays_pending() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let row = create_identity(&wallet, &alice(), &keyring()).expect("create");
        let page = home.path().join("login.html");
        std::fs::write(&page, "<html><title>Sign in</title></html>").expect("write");

        let error = import_reply_file(&wallet, &page, None).expect_err("html");

        assert_eq!(error.kind, IpcErrorKind::BadFile, "{error:?}");
        assert!(error.message.contains("Sign in"), "{error:?}");
        assert!(error.hint.is_some());
        let rows = list_identity_rows(&wallet, OffsetDateTime::now_utc()).expect("list");
        assert_eq!(rows[0].id, row.id);
        assert_eq!(rows[0].status, RowStatus::Pending);
    }

    #[test]
    fn a_missing_reply_file_is_an_io_error_naming_it() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let missing = home.path().join("nowhere.pem");
        let error = import_reply_file(&wallet, &missing, None).expect_err("missing");
        assert_eq!(error.kind, IpcErrorKind::Io, "{error:?}");
        assert!(error.message.contains("nowhere.pem"), "{error:?}");
    }

    #[test]
    fn the_email_request_carries_the_csr_and_no_key() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let row = create_identity(&wallet, &alice(), &keyring()).expect("create");
        let out = home.path().join("request.eml");

        let written = write_email_request(&wallet, &row.id, Some("pki@example.org"), &out)
            .expect("write the email");

        assert_eq!(written, out.display().to_string());
        let eml = std::fs::read_to_string(&out).expect("read");
        assert!(eml.contains("pki@example.org"), "{eml}");
        let fingerprint = request_of(&wallet, &row.id).expect("request").sha256;
        // The text part is base64: decode it as a mail program would.
        let text_part: String = eml
            .split("Content-Transfer-Encoding: base64")
            .nth(1)
            .and_then(|part| part.split("--certdesk-").next())
            .expect("a base64 text part")
            .split_whitespace()
            .collect();
        use base64::Engine;
        let body = base64::engine::general_purpose::STANDARD
            .decode(text_part)
            .expect("valid base64");
        let body = String::from_utf8(body).expect("utf-8");
        assert!(
            body.contains(&fingerprint),
            "the fingerprint is in the message:\n{body}"
        );
        assert!(eml.contains("filename=\"request.csr\""), "{eml}");
        assert!(!eml.contains("PRIVATE KEY"), "{eml}");
    }

    #[test]
    fn dropped_files_are_taken_once() {
        let dropped = DroppedFiles::default();
        dropped.set(vec![
            PathBuf::from("/tmp/a.pem"),
            PathBuf::from("/tmp/b.pem"),
        ]);
        assert_eq!(dropped.take_first(), Some(PathBuf::from("/tmp/a.pem")));
        assert_eq!(dropped.take_first(), None);
    }
}
