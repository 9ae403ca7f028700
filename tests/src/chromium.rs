//! A real browser: the system `chromium` package run headless against a local server, reading
//! client identities from `$HOME/.pki/nssdb` of a temporary HOME.
//!
//! Headless Chromium has no fallback when a site asks for a client certificate and no policy
//! picks one: it waits forever. [`HeadlessChromium::dump_dom`] therefore gives it an
//! `AutoSelectCertificateForUrls` managed policy without touching the machine's `/etc/chromium`:
//! a private copy with the policy is bind-mounted over `/etc/chromium` inside a private mount
//! namespace (`unshare -m`, which needs root — the test machines run as root), and the whole run
//! is wrapped in `timeout`, which stops Chromium's process group if it hangs anyway.
//!
//! Running as root needs `--no-sandbox` (Chromium refuses to start its sandbox as root).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::cmd::{temp_dir, write_file};

/// What one headless run printed.
#[derive(Debug, Clone)]
pub struct ChromiumPage {
    /// The DOM after load (`--dump-dom`), empty when Chromium failed.
    pub dom: String,
    /// Chromium's log on stderr (D-Bus noise included).
    pub log: String,
    /// Exit code (124 when `timeout` stopped it).
    pub code: Option<i32>,
    /// Wall-clock time of the whole run (namespace, browser start, TLS, page, exit).
    pub elapsed: Duration,
}

/// Headless Chromium with a temporary HOME (its NSS database is `HOME/.pki/nssdb`) and a
/// managed policy that auto-selects a client certificate for one origin.
#[derive(Debug)]
pub struct HeadlessChromium {
    home: PathBuf,
    etc: TempDir,
    timeout: Duration,
}

/// The `chromium` binary, when installed.
pub fn chromium_binary() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The managed-policy JSON making Chromium pick, without asking, the first client certificate
/// for `origin` (e.g. `https://127.0.0.1:8443`). Any certificate matches the empty filter.
pub fn auto_select_policy(origin: &str) -> String {
    let rule = format!("{{\"pattern\":\"{origin}\",\"filter\":{{}}}}");
    let escaped = rule.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{{\n  \"AutoSelectCertificateForUrls\": [\"{escaped}\"]\n}}\n")
}

impl HeadlessChromium {
    /// A browser using `home` as HOME that auto-selects a client certificate for `origin`.
    pub fn new(home: &Path, origin: &str) -> Result<HeadlessChromium, String> {
        if chromium_binary().is_none() {
            return Err("chromium is not installed (run scripts/install-deps.sh)".into());
        }
        let etc = temp_dir("certdesk-etc-chromium-");
        // A private copy of the real /etc/chromium (master_preferences, …) plus our policy.
        if Path::new("/etc/chromium").is_dir() {
            let status = Command::new("cp")
                .args(["-a", "/etc/chromium/."])
                .arg(etc.path())
                .status()
                .map_err(|e| format!("cp /etc/chromium: {e}"))?;
            if !status.success() {
                return Err(format!("cp -a /etc/chromium/. failed: {status}"));
            }
        }
        let managed = etc.path().join("policies/managed");
        std::fs::create_dir_all(&managed)
            .map_err(|e| format!("create {}: {e}", managed.display()))?;
        write_file(
            &managed.join("certdesk-test.json"),
            auto_select_policy(origin).as_bytes(),
        );
        Ok(HeadlessChromium {
            home: home.to_path_buf(),
            etc,
            timeout: Duration::from_secs(60),
        })
    }

    /// The private `/etc/chromium` (for failure messages).
    pub fn etc_dir(&self) -> &Path {
        self.etc.path()
    }

    /// `chromium --headless=new --no-sandbox --dump-dom URL` inside `unshare -m` with the
    /// private `/etc/chromium` mounted, wrapped in `timeout`.
    pub fn dump_dom(&self, url: &str) -> Result<ChromiumPage, String> {
        let binary = chromium_binary().ok_or("chromium is not installed")?;
        if !Path::new("/etc/chromium").is_dir() {
            return Err("/etc/chromium is missing: the policy cannot be mounted over it".into());
        }
        let profile = self.home.join("chromium-profile");
        let started = Instant::now();
        let out = Command::new("unshare")
            .args([
                "-m",
                "sh",
                "-c",
                "mount --bind \"$1\" /etc/chromium && shift && exec \"$@\"",
                "sh",
            ])
            .arg(self.etc.path())
            .args(["timeout", "-k", "5"])
            .arg(self.timeout.as_secs().to_string())
            .arg(binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-default-browser-check",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(url)
            .env("HOME", &self.home)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("could not start unshare/chromium: {e}"))?;
        Ok(ChromiumPage {
            dom: String::from_utf8_lossy(&out.stdout).into_owned(),
            log: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code(),
            elapsed: started.elapsed(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_is_json_holding_a_json_string_rule() {
        let text = auto_select_policy("https://127.0.0.1:8443");
        assert_eq!(
            text,
            "{\n  \"AutoSelectCertificateForUrls\": [\"{\\\"pattern\\\":\\\"https://127.0.0.1:8443\\\",\\\"filter\\\":{}}\"]\n}\n"
        );
    }
}
