//! Help-desk enrollment profiles: open one (Rust-side picker, or the file / `certdesk://` link
//! the app was started with), and make a request from it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use certdesk_core::key::KeySpec;
use certdesk_core::profile::{
    fetch_profile_link, load_profile, parse_profile_link, EnrollMethod, LoadedProfile, LINK_SCHEME,
};
use certdesk_core::transport::ServerTrust;
use certdesk_core::wallet::{KeyProtection, Wallet};
use certdesk_core::weburl::{UrlUse, WebUrl};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use time::OffsetDateTime;

use super::{blocking, report, wallet};
use crate::error::{IpcError, IpcErrorKind};
use crate::view::{IdentityRow, NewIdentitySpec, Phase, ProfileView, ProgressEvent};
use crate::wording::{self, Lang};

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
            .add_filter("certdesk profile", &["certdesk", "toml"])
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

/// What the app was started with (a file association or a `certdesk://` link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchSource {
    /// A profile file (`.certdesk` or `.toml`).
    File(PathBuf),
    /// A `certdesk://profile?url=…` link, as given.
    Link(String),
}

/// The launch argument, handed to the webview once ([`launch_profile`]).
#[derive(Debug, Default)]
pub struct LaunchProfile(Mutex<Option<LaunchSource>>);

impl LaunchProfile {
    /// Picks the profile argument out of the process arguments (the first is the program).
    pub fn from_args(args: impl IntoIterator<Item = OsString>) -> Self {
        Self(Mutex::new(launch_argument(args)))
    }

    /// Replaces the launch source: a second start of the app (a link or a file opened while it
    /// runs) hands its profile to this instance.
    pub fn set(&self, source: LaunchSource) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(source);
        }
    }

    /// The launch source, the first time only.
    pub fn take(&self) -> Option<LaunchSource> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// The first argument after the program that is a `certdesk:` link or a path ending in
/// `.certdesk` or `.toml` (case-insensitive); anything else (toolkit options) is ignored.
pub fn launch_argument(args: impl IntoIterator<Item = OsString>) -> Option<LaunchSource> {
    launch_argument_in(args, None)
}

/// [`launch_argument`] for another process's arguments: a relative file path is resolved
/// against that process's working directory `cwd`.
pub fn launch_argument_in(
    args: impl IntoIterator<Item = OsString>,
    cwd: Option<&std::path::Path>,
) -> Option<LaunchSource> {
    match launch_argument_here(args)? {
        LaunchSource::File(path) if path.is_relative() => Some(LaunchSource::File(
            cwd.map_or(path.clone(), |dir| dir.join(&path)),
        )),
        other => Some(other),
    }
}

fn launch_argument_here(args: impl IntoIterator<Item = OsString>) -> Option<LaunchSource> {
    args.into_iter().skip(1).find_map(|arg| {
        let text = arg.to_string_lossy();
        let lower = text.trim().to_ascii_lowercase();
        if lower.starts_with(&format!("{LINK_SCHEME}:")) {
            return Some(LaunchSource::Link(text.trim().to_string()));
        }
        if lower.starts_with('-') {
            return None;
        }
        // A file manager may hand over a file:// URI instead of a path.
        let path = match text.strip_prefix("file://") {
            Some(rest) => PathBuf::from(rest),
            None => PathBuf::from(arg),
        };
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        matches!(ext.as_deref(), Some("certdesk" | "toml")).then_some(LaunchSource::File(path))
    })
}

/// The host (with its port when it is not 443) a `certdesk://` link would download its profile
/// from, as the `url` crate reads the link's address: what the person is asked about before
/// anything is fetched. A link that is not one, or whose address certdesk would refuse, is an
/// error (and nothing is asked).
pub(crate) fn link_host(link: &str) -> Result<String, IpcError> {
    let parsed = parse_profile_link(link)?;
    Ok(WebUrl::parse(&parsed.url, UrlUse::Profile)?.host_header())
}

/// Loads what the app was started with (reading the file, or downloading the link with this
/// computer's roots once `confirm(host)` said yes) and makes it the open profile. `None`: the
/// person said no, and nothing was fetched.
///
/// Only a link asks: any web page can open a `certdesk://` link, and the download tells its
/// host that certdesk runs here (issue #12). A `.certdesk` file is read from this computer,
/// where the person opened it; nothing goes to the network for it.
pub(crate) fn load_launch(
    source: &LaunchSource,
    slot: &Mutex<Option<LoadedProfile>>,
    confirm: impl FnOnce(&str) -> bool,
) -> Result<Option<ProfileView>, IpcError> {
    let loaded = match source {
        LaunchSource::File(path) => load_profile(path)?,
        LaunchSource::Link(link) => {
            let host = link_host(link)?;
            if !confirm(&host) {
                return Ok(None);
            }
            fetch_profile_link(&parse_profile_link(link)?, ServerTrust::default())?
        }
    };
    let view = ProfileView::from_loaded(&loaded);
    if let Ok(mut current) = slot.lock() {
        *current = Some(loaded);
    }
    Ok(Some(view))
}

/// The profile the app was started with (file association or `certdesk://` link), loaded and
/// made the open profile; `null` when there is none, it was already handed out, or the person
/// declined to download a link's profile ("Open the profile from HOST?", a native dialog).
#[tauri::command]
pub async fn launch_profile(
    app: AppHandle,
    launch: State<'_, LaunchProfile>,
    opened: State<'_, OpenedProfile>,
) -> Result<Option<ProfileView>, IpcError> {
    let Some(source) = launch.take() else {
        return Ok(None);
    };
    let slot = Arc::clone(&opened.0);
    blocking(move || {
        load_launch(&source, &slot, |host| {
            super::ask(&app, &wording::open_link_question(Lang::from_env(), host))
        })
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
    let trimmed = |v: Option<&str>| {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let identity = certdesk_flows::request::request_from_profile(
        wallet,
        loaded,
        certdesk_flows::request::ProfileRequest {
            name: trimmed(Some(&spec.name)),
            email: trimmed(spec.email.as_deref()),
            key,
            via: "app".into(),
            ..Default::default()
        },
        protection,
    )?
    .identity;
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
            // The wizard has no SCEP step yet (issue #14): it shows the method and address.
            EnrollMethod::Scep { url, .. } => ("scep", Some(url.clone()), None, None),
            EnrollMethod::Email { to } => ("email", None, None, Some(to.clone())),
        };
        // The same defaults as certdesk_core::enroll::target_from_profile (one function).
        let (upload, field) = match &p.enroll.method {
            EnrollMethod::Portal { field, upload, .. } => (
                Some(*upload),
                field
                    .clone()
                    .or(upload.default_field().map(str::to_string))
                    .filter(|_| upload.has_field()),
            ),
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
            upload,
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
    use certdesk_core::profile::PortalUpload;
    use certdesk_core::profile::{parse_profile, this_device_name, ProfileOrigin};
    use certdesk_core::vault::MemoryVault;
    use certdesk_flows::enroll::Destination;

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

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_launch_argument_is_a_profile_file_or_a_certdesk_link() {
        assert_eq!(launch_argument(args(&["certdesk-app"])), None);
        assert_eq!(
            launch_argument(args(&["certdesk-app", "/home/ada/staff.certdesk"])),
            Some(LaunchSource::File("/home/ada/staff.certdesk".into()))
        );
        assert_eq!(
            launch_argument(args(&["certdesk-app", "--sync", "file:///tmp/Staff.TOML"])),
            Some(LaunchSource::File("/tmp/Staff.TOML".into()))
        );
        let link = "certdesk://profile?url=https%3A%2F%2Fhelp.example.org%2Fstaff.certdesk";
        assert_eq!(
            launch_argument(args(&["certdesk-app", "notes.txt", link])),
            Some(LaunchSource::Link(link.into()))
        );
        assert_eq!(
            launch_argument(args(&["certdesk-app", "report.pdf", "-v"])),
            None
        );
    }

    #[test]
    fn a_second_start_hands_over_its_profile_with_paths_from_its_own_directory() {
        let cwd = std::path::Path::new("/home/ada/Downloads");
        // A file manager starts certdesk in the file's directory with a relative name.
        assert_eq!(
            launch_argument_in(args(&["certdesk-app", "staff.certdesk"]), Some(cwd)),
            Some(LaunchSource::File(
                "/home/ada/Downloads/staff.certdesk".into()
            ))
        );
        assert_eq!(
            launch_argument_in(args(&["certdesk-app", "/tmp/it.certdesk"]), Some(cwd)),
            Some(LaunchSource::File("/tmp/it.certdesk".into()))
        );
        let link = "certdesk://profile?url=https%3A%2F%2Fhelp.example.org%2Fstaff.certdesk";
        assert_eq!(
            launch_argument_in(args(&["certdesk-app", link]), Some(cwd)),
            Some(LaunchSource::Link(link.into()))
        );
        // A plain second start (no profile) hands over nothing; the window is only raised.
        assert_eq!(launch_argument_in(args(&["certdesk-app"]), Some(cwd)), None);

        // The running instance's slot takes it, once.
        let launch = LaunchProfile::from_args(args(&["certdesk-app"]));
        assert_eq!(launch.take(), None);
        launch.set(LaunchSource::Link(link.into()));
        assert_eq!(launch.take(), Some(LaunchSource::Link(link.into())));
        assert_eq!(launch.take(), None);
    }

    #[test]
    fn a_launch_file_is_loaded_once_shows_its_origin_and_becomes_the_open_profile() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("staff.certdesk");
        std::fs::copy(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/profiles/est.toml"),
            &path,
        )
        .expect("copy the example");
        let launch =
            LaunchProfile::from_args(args(&["certdesk-app", path.to_str().expect("utf-8")]));
        let opened = OpenedProfile::default();

        let source = launch.take().expect("a launch source");
        assert_eq!(launch.take(), None, "handed out once");
        let view = load_launch(&source, &opened.0, |_| panic!("a file asks nothing"))
            .expect("loads")
            .expect("a profile");

        assert_eq!(view.name, "Example Corp staff certificate");
        assert_eq!(view.origin, format!("file {}", path.display()));
        let kept = opened
            .0
            .lock()
            .expect("lock")
            .clone()
            .expect("open profile");
        assert_eq!(kept.origin, ProfileOrigin::File(path.clone()));

        // A broken file and a bad link come back as errors with a hint, and open nothing.
        std::fs::write(&path, "format = 1\nname = \"x\"\nverify = false\n").expect("write");
        let empty = OpenedProfile::default();
        let error = load_launch(&LaunchSource::File(path.clone()), &empty.0, |_| true)
            .expect_err("invalid");
        assert_eq!(error.kind, IpcErrorKind::BadFile, "{error:?}");
        assert!(error.hint.is_some(), "{error:?}");
        let error = load_launch(
            &LaunchSource::Link("certdesk://profile?url=http%3A%2F%2Fa.example%2Fp".into()),
            &empty.0,
            |_| panic!("a refused link asks nothing"),
        )
        .expect_err("http");
        assert!(error.message.contains("uses plain http://"), "{error:?}");
        assert!(error.hint.is_some(), "{error:?}");
        assert!(empty.0.lock().expect("lock").is_none());
    }

    #[test]
    fn the_question_names_the_host_the_link_would_download_from() {
        let host = |url: &str| {
            link_host(&format!(
                "certdesk://profile?url={}",
                url.replace(':', "%3A")
                    .replace('/', "%2F")
                    .replace('@', "%40")
            ))
        };
        assert_eq!(
            host("https://help.example.org/staff.certdesk").expect("host"),
            "help.example.org"
        );
        assert_eq!(
            host("https://help.example.org:8443/p").expect("host"),
            "help.example.org:8443"
        );
        assert_eq!(
            host("https://HELP.Example.org:443/p").expect("host"),
            "help.example.org"
        );
        // The host is what the address really names, not a look-alike in front of it.
        assert_eq!(
            host("https://evil.example/help.example.org").expect("host"),
            "evil.example"
        );
        assert_eq!(host("https://[::1]:9/p").expect("host"), "[::1]:9");
        // Refused before anything is asked: credentials in front of the host, plain http, and
        // what is no certdesk link at all.
        for bad in [
            "https://help.example.org@evil.example/p",
            "http://help.example.org/p",
        ] {
            let error = host(bad).expect_err(bad);
            assert_eq!(error.kind, IpcErrorKind::InvalidInput, "{bad}: {error:?}");
        }
        assert!(link_host("https://help.example.org/p").is_err());
        assert!(link_host("certdesk://profile").is_err());
    }

    /// Issue #12: a `certdesk://` link asks before anything is fetched, and on "no" nothing
    /// is. Before, the app connected to whatever host a link named as soon as it started.
    #[test]
    fn a_declined_link_fetches_nothing_and_opens_nothing() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let link =
            format!("certdesk://profile?url=https%3A%2F%2F127.0.0.1%3A{port}%2Fstaff.certdesk");
        let opened = OpenedProfile::default();
        let mut asked = Vec::new();

        let answer = load_launch(&LaunchSource::Link(link), &opened.0, |host| {
            asked.push(host.to_string());
            false
        })
        .expect("declining is no error");

        assert!(answer.is_none());
        assert_eq!(asked, [format!("127.0.0.1:{port}")]);
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the link's host was contacted"
        );
        assert!(opened.0.lock().expect("lock").is_none());
    }

    /// The package registers `.certdesk` files and `certdesk:` links for this app: the bundle
    /// config names them, the desktop entry passes the file or link on (`%u`), and
    /// shared-mime-info's own `update-mime-database` reads our MIME package into a glob.
    #[test]
    fn the_bundle_registers_the_file_type_and_the_link_scheme() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let conf: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("tauri.conf.json")).expect("read tauri.conf.json"),
        )
        .expect("tauri.conf.json is JSON");
        let assoc = &conf["bundle"]["fileAssociations"][0];
        assert_eq!(assoc["ext"], serde_json::json!(["certdesk"]));
        assert_eq!(assoc["mimeType"], "application/x-certdesk-profile");
        let deb = &conf["bundle"]["linux"]["deb"];
        let template = std::fs::read_to_string(
            root.join(
                deb["desktopTemplate"]
                    .as_str()
                    .expect("deb desktop template"),
            ),
        )
        .expect("read the desktop template");
        assert!(template.contains("Exec={{exec}} %u\n"), "{template}");
        assert!(
            template
                .contains("MimeType=application/x-certdesk-profile;x-scheme-handler/certdesk;\n"),
            "{template}"
        );
        let xml = deb["files"]["/usr/share/mime/packages/certdesk.xml"]
            .as_str()
            .expect("the MIME package is installed");

        let data = tempfile::tempdir().expect("temp dir");
        let packages = data.path().join("mime/packages");
        std::fs::create_dir_all(&packages).expect("mkdir");
        std::fs::copy(root.join(xml), packages.join("certdesk.xml")).expect("copy");
        let out = std::process::Command::new("update-mime-database")
            .arg(data.path().join("mime"))
            .output()
            .expect("update-mime-database (shared-mime-info) runs");
        assert!(
            out.status.success(),
            "update-mime-database: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let globs = std::fs::read_to_string(data.path().join("mime/globs2")).expect("globs2");
        assert!(
            globs.contains(":application/x-certdesk-profile:*.certdesk"),
            "{globs}"
        );
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
        assert_eq!(view.upload, Some(PortalUpload::Form));
        assert_eq!(view.field.as_deref(), Some("csr"));
        assert_eq!(view.auth, "password");
        // What the view says is what the core would send.
        let target = certdesk_core::enroll::target_from_profile(&loaded.profile)
            .expect("target")
            .expect("a portal has a target");
        let from_view = certdesk_flows::enroll::method(&Destination::Portal {
            url: view.url.clone().unwrap_or_default(),
            upload: view.upload.expect("a portal's upload way"),
            field: view.field.clone(),
        })
        .expect("the view's settings are valid");
        assert_eq!(from_view, target.method);

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
        // One certificate per device: the label names this computer, as the CLI's does.
        let host = this_device_name().expect("this computer has a host name");
        assert_eq!(row.label, format!("Ada Lovelace ({host})"));
        let kept = certdesk_core::profile::profile_of(&wallet, &row.id)
            .expect("read")
            .expect("the profile is kept with the identity");
        assert_eq!(kept.sha256, loaded.sha256);

        // Issue #13: the "Requested" event the CLI's `request new --profile` records (it calls
        // the same flow), naming the profile; only `via` says which front end asked.
        let cli_home = tempfile::tempdir().expect("temp dir");
        let cli_wallet = Wallet::open(cli_home.path()).expect("open");
        let cli = certdesk_flows::request::request_from_profile(
            &cli_wallet,
            &loaded,
            certdesk_flows::request::ProfileRequest {
                name: Some("Ada Lovelace".into()),
                email: Some("ada@example.org".into()),
                via: "cli".into(),
                ..Default::default()
            },
            &protection,
        )
        .expect("the CLI's request");
        let shape = |wallet: &Wallet, id: &str| -> Vec<_> {
            certdesk_core::history::read(wallet, id)
                .expect("history")
                .into_iter()
                .map(|e| (e.kind, e.target, e.message))
                .collect()
        };
        let app_events = shape(&wallet, &row.id);
        assert_eq!(app_events, shape(&cli_wallet, &cli.identity.id));
        assert!(
            app_events.iter().any(|(kind, _, message)| {
                *kind == certdesk_core::history::EventKind::Requested
                    && message
                        .as_deref()
                        .is_some_and(|m| m.contains(&loaded.profile.name))
            }),
            "{app_events:?}"
        );
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
