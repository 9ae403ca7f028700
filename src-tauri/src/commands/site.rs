//! Site checks: a real mTLS request made by core's probe, laid out as a verdict view.

use certdesk_core::wallet::{KeyAccess, Wallet};
use certdesk_core::weburl::{UrlUse, WebUrl};
use certdesk_flows::limits::SITE_CHECK_TIMEOUT as CHECK_TIMEOUT;
use certdesk_flows::site::{check_site_recorded, SiteCheckRequest, SiteIdentity};
use tauri::ipc::Channel;
use tauri::State;

use super::enroll::Practice;
use super::{blocking, key_access, report, wallet};
use crate::error::IpcError;
use crate::view::{Phase, ProgressEvent, SiteCheck};

/// Checks `url` with the identity `id` (or with no certificate at all).
#[tauri::command]
pub async fn check_site(
    practice: State<'_, Practice>,
    url: String,
    id: Option<String>,
    on_progress: Channel<ProgressEvent>,
) -> Result<SiteCheck, IpcError> {
    // The address comes from the webview: refused here, with its own error, before a key is
    // unlocked or anything connects (issue #12).
    check_address(&url)?;
    // The practice site's certificate comes from the practice CA running in this app.
    let server_ca_pem = practice.ca_for(&url);
    blocking(move || {
        report(&on_progress, Phase::CheckingSite);
        let access = match id {
            Some(_) => Some(key_access()?),
            None => None,
        };
        check_site_with(
            &wallet()?,
            url.trim(),
            id.as_deref(),
            access.as_ref(),
            server_ca_pem,
        )
    })
    .await
}

/// The site address as core reads it ([`WebUrl`] for [`UrlUse::Site`]: `https://`, a host, no
/// credentials, no control characters or spaces); the error is core's `BadUrl`
/// (`invalid_input`, with its own message and hint).
pub(crate) fn check_address(url: &str) -> Result<WebUrl, IpcError> {
    Ok(WebUrl::parse(url.trim(), UrlUse::Site)?)
}

/// One probe plus diagnosis. `server_ca_pem` replaces the OS roots (the practice site's CA).
pub(crate) fn check_site_with(
    wallet: &Wallet,
    url: &str,
    id: Option<&str>,
    access: Option<&KeyAccess>,
    server_ca_pem: Option<Vec<u8>>,
) -> Result<SiteCheck, IpcError> {
    let default_access = KeyAccess::default();
    let identity = match id {
        Some(id) => SiteIdentity::Wallet {
            id,
            access: access.unwrap_or(&default_access),
        },
        None => SiteIdentity::None,
    };
    let checked = check_site_recorded(
        wallet,
        SiteCheckRequest {
            url,
            identity,
            server_ca_pem,
            timeout: CHECK_TIMEOUT,
        },
    )?;
    let mut view = SiteCheck::from_report(&checked.report);
    // Issue #7: "Copy report for the help desk" copies the whole redacted diagnostic report
    // (identity, profile, steps, this check), not only this check.
    if let Some((full_id, _)) = &checked.recorded {
        if let Ok(diagnostic) =
            certdesk_core::report::build_report(wallet, full_id, env!("CARGO_PKG_VERSION"))
        {
            view.report = diagnostic.to_text();
        }
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::IpcErrorKind;

    /// Issue #12: a bad address is refused with core's own error before the identity's key is
    /// looked at or anything connects. Before, the key came first (an unknown identity answered
    /// `not_found`, a known one unlocked its key) and only the probe read the address.
    #[test]
    fn a_bad_site_address_is_refused_before_any_key_or_connection() {
        let home = tempfile::tempdir().expect("temp dir");
        let wallet = Wallet::open(home.path()).expect("open");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();

        for (url, code_words) in [
            (
                format!("https://127.0.0.1:{port}/a\r\nX-Injected: 1"),
                "control character (U+000D)",
            ),
            (format!("http://127.0.0.1:{port}/"), "http://"),
            (
                format!("https://user:pw@127.0.0.1:{port}/"),
                "user:password@",
            ),
            ("127.0.0.1".to_string(), "https://"),
        ] {
            let error = check_site_with(&wallet, &url, Some("0123456789abcdef"), None, None)
                .expect_err("refused");
            assert_eq!(error.kind, IpcErrorKind::InvalidInput, "{url:?}: {error:?}");
            assert!(error.message.contains(code_words), "{url:?}: {error:?}");
            assert!(error.hint.is_some(), "{error:?}");
            assert_eq!(check_address(&url).expect_err("refused"), error);
        }
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "something connected"
        );
        // A good address passes the check (surrounding white space of a paste is trimmed).
        assert!(check_address(" https://intranet.example.org/login \n").is_ok());
    }
}
