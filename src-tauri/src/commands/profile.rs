//! Help-desk enrollment profiles: open one (Rust-side picker), and make a request from it.

use std::sync::{Arc, Mutex};

use certdesk_core::csr::CsrSpec;
use certdesk_core::key::KeySpec;
use certdesk_core::profile::{
    apply_template, load_profile, store_with_identity, EnrollMethod, LoadedProfile, PortalUpload,
    TemplateInput,
};
use certdesk_core::wallet::{KeyProtection, NewRequest, Wallet};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use time::OffsetDateTime;

use super::{blocking, report, wallet};
use crate::error::{IpcError, IpcErrorKind};
use crate::view::{IdentityRow, NewIdentitySpec, Phase, ProfileView, ProgressEvent};

/// The profile opened in this run of the app (the webview only sees its [`ProfileView`]).
#[derive(Debug, Default)]
pub struct OpenedProfile(pub Arc<Mutex<Option<LoadedProfile>>>);

/// Opens a profile file chosen in a picker; `null` when the picker was closed.
#[tauri::command]
pub async fn open_profile(
    app: AppHandle,
    opened: State<'_, OpenedProfile>,
) -> Result<Option<ProfileView>, IpcError> {
    let slot = Arc::clone(&opened.0);
    blocking(move || {
        let Some(path) = app
            .dialog()
            .file()
            .add_filter("certdesk profile", &["toml"])
            .blocking_pick_file()
            .and_then(|p| p.into_path().ok())
        else {
            return Ok(None);
        };
        let loaded = load_profile(&path)?;
        let view = ProfileView::from_loaded(&loaded);
        if let Ok(mut current) = slot.lock() {
            *current = Some(loaded);
        }
        Ok(Some(view))
    })
    .await
}

/// Makes the key and request from the open profile's template and what the person typed.
#[tauri::command]
pub async fn create_request_from_profile(
    opened: State<'_, OpenedProfile>,
    spec: NewIdentitySpec,
    on_progress: Channel<ProgressEvent>,
) -> Result<IdentityRow, IpcError> {
    let loaded = opened
        .0
        .lock()
        .ok()
        .and_then(|p| p.clone())
        .ok_or_else(|| {
            IpcError::new(
                IpcErrorKind::InvalidInput,
                "no help-desk profile is open",
                Some("open the profile file again"),
            )
        })?;
    blocking(move || {
        let protection = KeyProtection::Keyring(super::os_keyring()?);
        report(&on_progress, Phase::GeneratingKey);
        create_from_profile(&wallet()?, &loaded, &spec, &protection)
    })
    .await
}

pub(crate) fn create_from_profile(
    wallet: &Wallet,
    loaded: &LoadedProfile,
    spec: &NewIdentitySpec,
    protection: &KeyProtection,
) -> Result<IdentityRow, IpcError> {
    let key = spec
        .key_type
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(KeySpec::parse)
        .transpose()?;
    let (subject, key_type) = apply_template(
        &loaded.profile,
        &TemplateInput {
            name: Some(spec.name.trim().to_string()).filter(|n| !n.is_empty()),
            email: spec
                .email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_string),
            subject: None,
            key,
        },
    )?;
    let identity = wallet.create_request(
        &NewRequest {
            label: None,
            csr: CsrSpec {
                subject,
                challenge_password: None,
            },
            key_type,
            via: "app".into(),
        },
        protection,
    )?;
    store_with_identity(wallet, &identity.id, loaded)?;
    Ok(IdentityRow::from_summary(
        &identity.summary()?,
        OffsetDateTime::now_utc(),
    ))
}

impl ProfileView {
    /// What the wizard shows and pre-fills from a profile.
    pub fn from_loaded(loaded: &LoadedProfile) -> Self {
        let p = &loaded.profile;
        let (method, url, label, email_to) = match &p.enroll.method {
            EnrollMethod::Est { url, label } => ("est", Some(url.clone()), label.clone(), None),
            EnrollMethod::Portal { url, .. } => ("portal", Some(url.clone()), None, None),
            EnrollMethod::Email { to } => ("email", None, None, Some(to.clone())),
        };
        // The same defaults as certdesk_core::enroll::target_from_profile.
        let (upload, field) = match &p.enroll.method {
            EnrollMethod::Portal { field, upload, .. } => match upload {
                PortalUpload::Form => (
                    Some("form"),
                    Some(field.clone().unwrap_or_else(|| "csr".into())),
                ),
                PortalUpload::Multipart => (
                    Some("multipart"),
                    Some(field.clone().unwrap_or_else(|| "file".into())),
                ),
                PortalUpload::Raw => (Some("pem"), None),
            },
            _ => (None, None),
        };
        let spec_name = |k: KeySpec| match serde_json::to_value(k) {
            Ok(serde_json::Value::String(name)) => name,
            _ => format!("{k:?}"),
        };
        Self {
            name: p.name.clone(),
            support: p.support.clone(),
            origin: loaded.origin.to_string(),
            method: method.into(),
            url,
            label,
            upload: upload.map(str::to_string),
            field,
            email_to,
            ca_sha256: p.enroll.ca_sha256.clone(),
            auth: p.enroll.auth.as_str().into(),
            username: p.enroll.username.clone(),
            preset_name: p.subject.name.clone(),
            name_locked: p.subject.lock_name,
            preset_email: p.subject.email.clone(),
            email_locked: p.subject.lock_email,
            organization: p.subject.organization.clone(),
            organizational_unit: p.subject.organizational_unit.clone(),
            allowed_keys: p.allowed_keys.iter().map(|k| spec_name(*k)).collect(),
            default_key: spec_name(p.default_key),
            sites: p.sites.iter().map(|s| s.url.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certdesk_core::profile::{parse_profile, ProfileOrigin};
    use certdesk_core::vault::MemoryVault;

    fn est_profile() -> LoadedProfile {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/profiles/est.toml"),
        )
        .expect("read examples/profiles/est.toml");
        parse_profile(
            &text,
            ProfileOrigin::File("/home/ada/Downloads/est.toml".into()),
        )
        .expect("the example profile is valid")
    }

    fn spec(name: &str, key: Option<&str>) -> NewIdentitySpec {
        NewIdentitySpec {
            name: name.into(),
            email: Some("ada@example.org".into()),
            organization: Some("Somewhere Else".into()),
            organizational_unit: None,
            key_type: key.map(str::to_string),
        }
    }

    #[test]
    fn the_view_shows_method_pin_origin_and_sites() {
        let view = ProfileView::from_loaded(&est_profile());
        assert_eq!(view.name, "Example Corp staff certificate");
        assert_eq!(view.method, "est");
        assert_eq!(view.url.as_deref(), Some("https://est.example.org"));
        assert_eq!(view.label.as_deref(), Some("staff"));
        assert!(view
            .ca_sha256
            .as_deref()
            .is_some_and(|p| p.starts_with("3F:9A")));
        assert_eq!(view.origin, "file /home/ada/Downloads/est.toml");
        assert_eq!(view.auth, "one-time-code");
        assert_eq!(view.allowed_keys, ["ec-p256", "ec-p384", "rsa-3072"]);
        assert_eq!(view.sites[0], "https://intranet.example.org/");
    }

    #[test]
    fn a_portal_profile_says_how_the_page_takes_the_request() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../examples/profiles/portal.toml"),
        )
        .expect("read examples/profiles/portal.toml");
        let loaded = parse_profile(&text, ProfileOrigin::File("/tmp/portal.toml".into()))
            .expect("the example profile is valid");
        let view = ProfileView::from_loaded(&loaded);
        assert_eq!(view.method, "portal");
        assert_eq!(
            view.url.as_deref(),
            Some("https://ca.example.edu/certsrv/submit")
        );
        assert_eq!(view.upload.as_deref(), Some("form"));
        assert_eq!(view.field.as_deref(), Some("csr"));
        assert_eq!(view.auth, "password");
        // What the view says is what the core would send.
        let target = certdesk_core::enroll::target_from_profile(&loaded.profile)
            .expect("target")
            .expect("a portal has a target");
        let (from_view, _) = crate::commands::enroll::portal_target(
            view.url.as_deref().unwrap_or_default(),
            view.upload.as_deref().unwrap_or_default(),
            view.field.as_deref(),
            Some("ada"),
            Some("secret".into()),
            None,
            None,
        )
        .expect("the view's settings are valid");
        assert_eq!(from_view.method, target.method);

        let est = ProfileView::from_loaded(&est_profile());
        assert_eq!((est.upload, est.field), (None, None));
    }

    #[test]
    fn a_request_follows_the_template_and_keeps_the_profile() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let protection = KeyProtection::Keyring(Arc::new(MemoryVault::default()));
        let loaded = est_profile();

        let row = create_from_profile(&wallet, &loaded, &spec("Ada Lovelace", None), &protection)
            .expect("create");

        // The profile's fixed O/OU win over what the form sent.
        assert!(row.subject.contains("O=Example Corp"), "{row:?}");
        assert!(row.subject.contains("OU=Staff"), "{row:?}");
        assert!(!row.subject.contains("Somewhere Else"), "{row:?}");
        let kept = certdesk_core::profile::profile_of(&wallet, &row.id)
            .expect("read")
            .expect("the profile is kept with the identity");
        assert_eq!(kept.sha256, loaded.sha256);
    }

    #[test]
    fn a_key_type_the_profile_does_not_allow_is_refused_and_nothing_is_stored() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let protection = KeyProtection::Keyring(Arc::new(MemoryVault::default()));

        let error = create_from_profile(
            &wallet,
            &est_profile(),
            &spec("Ada Lovelace", Some("rsa-2048")),
            &protection,
        )
        .expect_err("rsa-2048 is not allowed");

        assert_eq!(error.kind, IpcErrorKind::InvalidInput, "{error:?}");
        assert!(wallet.list().expect("list").is_empty());
    }
}
