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
pub mod view;

/// Builds and runs the app until its last window closes.
pub fn run() {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::list_identities])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("error: certdesk could not start its window: {error}");
        std::process::exit(2);
    }
}
