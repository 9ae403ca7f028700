//! certdesk-app: the Tauri v2 desktop shell of certdesk.
//!
//! Every command is a thin adapter: it calls one `certdesk-core` function (blocking work on the
//! blocking pool), converts the answer into a view type owned by this crate ([`view`]) and maps
//! errors into [`error::IpcError`]. The TypeScript types the webview sees are generated from
//! these Rust types (see `ui/src/lib/api/generated/`).
//!
//! It does not parse certificates, touch key material, talk to the network or word messages:
//! that is core's job, and the UI lays out what core says.

#[cfg(test)]
mod bindings;
mod commands;
pub mod error;
pub mod expiry;
pub mod view;
pub mod wording;

use tauri::{DragDropEvent, Emitter, Manager, WindowEvent};
use tauri_plugin_notification::NotificationExt;

/// At start, off the main thread: a desktop notification per certificate expiring soon.
fn announce_expiry(app: tauri::AppHandle) {
    std::thread::spawn(move || {
        let Ok(home) = certdesk_core::wallet::default_home() else {
            return;
        };
        let Ok(wallet) = certdesk_core::wallet::Wallet::open(home) else {
            return;
        };
        let Ok(summaries) = wallet.list() else {
            return;
        };
        let now = time::OffsetDateTime::now_utc();
        let rows: Vec<view::IdentityRow> = summaries
            .iter()
            .map(|s| view::IdentityRow::from_summary(s, now))
            .collect();
        for row in expiry::expiring_within(&rows, expiry::notice_days()) {
            let contact = certdesk_core::profile::profile_of(&wallet, &row.id)
                .ok()
                .flatten()
                .and_then(|p| p.profile.support);
            let notice = expiry::notice_for(row, contact.as_deref(), wording::Lang::from_env());
            // Best effort: without a notification service the home screen still shows it.
            let _ = app
                .notification()
                .builder()
                .title(notice.summary)
                .body(notice.body)
                .show();
        }
    });
}

/// Builds and runs the app until its last window closes.
pub fn run() {
    let result = tauri::Builder::default()
        // First, so that a second start ends at once: a certdesk:// link or a .certdesk file
        // opened while certdesk runs is handed to this instance (over D-Bus on Linux), which
        // opens the profile in its window instead of a second window appearing.
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            let args = argv.into_iter().map(std::ffi::OsString::from);
            let cwd = std::path::PathBuf::from(cwd);
            if let Some(source) = commands::profile::launch_argument_in(args, Some(&cwd)) {
                app.state::<commands::profile::LaunchProfile>().set(source);
                let _ = app.emit_to("main", "certdesk://profile-launched", ());
            }
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        // The dialog plugin is used from Rust only (pickers return a path that Rust reads); the
        // webview has no permission for its commands.
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            // Seed aws-lc's generator (30–90 ms once) before the first key or site check.
            certdesk_core::warm_random();
            announce_expiry(app.handle().clone());
            Ok(())
        })
        .manage(commands::DroppedFiles::default())
        .manage(commands::enroll::Practice::default())
        .manage(commands::profile::OpenedProfile::default())
        // A profile file (file association) or a certdesk:// link the app was started with.
        .manage(commands::profile::LaunchProfile::from_args(
            std::env::args_os(),
        ))
        .on_window_event(|window, event| {
            // A dropped file is kept here; the webview only learns its name and asks Rust to
            // import "the dropped file", so it never hands a path to a command.
            if let WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) = event {
                let names: Vec<String> = paths
                    .iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .collect();
                window.state::<commands::DroppedFiles>().set(paths.clone());
                let _ = window.emit("certdesk://file-dropped", names);
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::identities::list_identities,
            commands::identities::identity_details,
            commands::identities::create_request,
            commands::identities::request_text,
            commands::identities::save_email_request,
            commands::identities::import_reply,
            commands::identities::export_p12,
            commands::identities::delete_identity,
            commands::site::check_site,
            commands::enroll::start_practice,
            commands::enroll::enroll_practice,
            commands::enroll::enroll_est,
            commands::enroll::enroll_portal,
            commands::enroll::resume_enrollment,
            commands::enroll::renew_identity,
            commands::stores::list_stores,
            commands::stores::install_identity,
            commands::profile::open_profile,
            commands::profile::create_request_from_profile,
            commands::profile::launch_profile,
            commands::status::certificate_status,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("error: certdesk could not start its window: {error}");
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    /// Every command build.rs declares is granted to the main window, and nothing else of ours.
    #[test]
    fn every_command_has_its_permission_in_the_main_capability() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let build = std::fs::read_to_string(root.join("build.rs")).expect("read build.rs");
        let list = build
            .split_once("const COMMANDS: &[&str] = &[")
            .and_then(|(_, rest)| rest.split_once("];"))
            .map(|(list, _)| list)
            .expect("build.rs lists COMMANDS");
        let commands: Vec<String> = list
            .split(',')
            .map(|c| c.trim().trim_matches('"').to_string())
            .filter(|c| !c.is_empty())
            .collect();
        let capability: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("capabilities/main.json")).expect("read"),
        )
        .expect("capabilities/main.json is JSON");
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        let granted: Vec<&str> = capability["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| p.starts_with("allow-"))
            .collect();
        let wanted: Vec<String> = commands
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        let mut granted_sorted: Vec<String> = granted.iter().map(|s| s.to_string()).collect();
        granted_sorted.sort();
        let mut wanted_sorted = wanted.clone();
        wanted_sorted.sort();
        assert_eq!(granted_sorted, wanted_sorted);
    }
}
