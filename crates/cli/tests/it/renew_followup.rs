//! Issue #7: after `certdesk renew`, the new certificate replaces the old one in every store
//! that held it, and the profile's sites are checked again with it. Against the practice CA
//! (`certdesk practice serve`), a real NSS database (certutil) and the practice site.

use crate::common;
use std::process::{Command, Stdio};

use crate::common::{practice_serve, Sandbox};

/// SHA-256 fingerprints (colon hex, as certdesk prints them) of the certificates in an NSS db.
pub(crate) fn nss_fingerprints(db: &std::path::Path) -> Vec<String> {
    let list = Command::new("certutil")
        .args(["-L", "-d"])
        .arg(format!("sql:{}", db.display()))
        .output()
        .expect("certutil -L");
    let text = String::from_utf8_lossy(&list.stdout).to_string();
    let mut out = Vec::new();
    for line in text.lines().skip(4) {
        let Some((nick, _trust)) = line.trim_end().rsplit_once(char::is_whitespace) else {
            continue;
        };
        let nick = nick.trim();
        if nick.is_empty() {
            continue;
        }
        let pem = Command::new("certutil")
            .args(["-L", "-a", "-n", nick, "-d"])
            .arg(format!("sql:{}", db.display()))
            .output()
            .expect("certutil -L -a");
        // `-a -n` prints every certificate with that nickname.
        let mut child = Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("openssl");
        use std::io::Write as _;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&pem.stdout)
            .expect("write pem");
        let fp = child.wait_with_output().expect("openssl output");
        let fp = String::from_utf8_lossy(&fp.stdout).to_string();
        if let Some(v) = fp.trim().split('=').nth(1) {
            out.push(v.to_string());
        }
        // Count every certificate under a shared nickname, not only the first.
        let count = String::from_utf8_lossy(&pem.stdout)
            .matches("BEGIN CERTIFICATE")
            .count();
        for _ in 1..count {
            out.push(format!("another certificate named {nick}"));
        }
    }
    out
}

#[test]
fn renewal_replaces_the_installed_certificate_and_rechecks_the_profile_sites() {
    let server_sb = Sandbox::new();
    let (guard, info) = practice_serve(&server_sb, &[]);
    let est_url = info["est_url"].as_str().expect("est_url");
    let site_url = info["site_url"].as_str().expect("site_url");
    let code_file = info["enrollment_code_file"].as_str().expect("code file");
    let ca_file = info["ca_file"].as_str().expect("ca_file");
    let fp = info["ca_sha256"].as_str().expect("ca_sha256");

    let sb = Sandbox::new();
    let profile = sb.file(
        "practice-profile.toml",
        format!(
            "format = 1\nname = \"Practice desk\"\nallowed_keys = [\"ec-p256\"]\ndefault_key = \"ec-p256\"\n\
             [enroll]\nmethod = \"est\"\nurl = \"{}\"\nca_sha256 = \"{fp}\"\nauth = \"one-time-code\"\nusername = \"practice\"\n\
             [[sites]]\nname = \"Practice site\"\nurl = \"{site_url}\"\n",
            est_url.trim_end_matches('/')
        )
        .as_bytes(),
    );
    let created = sb
        .run(&[
            "--json",
            "request",
            "new",
            "--profile",
            common::arg(&profile),
            "--name",
            "Renee Renew",
            "--device",
            "test",
        ])
        .ok()
        .json();
    let id = created["id"].as_str().expect("id").to_string();
    // The CA file (not only the pin) so that the site re-check trusts the practice site too.
    sb.run(&[
        "enroll",
        "est",
        &id,
        "--password-file",
        code_file,
        "--ca-file",
        ca_file,
    ])
    .ok();
    let db = sb.user_home().join(".pki/nssdb");
    std::fs::create_dir_all(&db).expect("mkdir nssdb");
    let made = Command::new("certutil")
        .args(["-N", "--empty-password", "-d"])
        .arg(format!("sql:{}", db.display()))
        .status()
        .expect("certutil -N");
    assert!(made.success());
    sb.run(&["install", &id, "--to", "chromium"]).ok();
    let shown = sb.run(&["--json", "identity", "show", &id]).ok().json();
    let old_sha = shown["certificate"]["sha256"]
        .as_str()
        .or_else(|| shown["summary"]["sha256"].as_str())
        .map(str::to_string)
        .unwrap_or_default();
    let before = nss_fingerprints(&db);
    assert!(
        before.iter().any(|f| f.eq_ignore_ascii_case(&old_sha)),
        "installed: {before:?}, old {old_sha}"
    );

    let renewed = sb.run(&["renew", &id]).ok();
    let out = renewed.stdout.clone();
    assert!(
        out.contains("Replaced the old certificate with the new one in"),
        "{renewed}"
    );
    assert!(
        out.contains(&format!("Checked {site_url} with the new certificate")),
        "{renewed}"
    );
    assert!(out.contains("accepted your certificate"), "{renewed}");

    let shown = sb.run(&["--json", "identity", "show", &id]).ok().json();
    let new_sha = shown["certificate"]["sha256"]
        .as_str()
        .or_else(|| shown["summary"]["sha256"].as_str())
        .map(str::to_string)
        .unwrap_or_default();
    assert_ne!(new_sha, old_sha, "{shown}");
    let after = nss_fingerprints(&db);
    assert!(
        after.iter().any(|f| f.eq_ignore_ascii_case(&new_sha)),
        "after: {after:?} new {new_sha}"
    );
    assert!(
        !after.iter().any(|f| f.eq_ignore_ascii_case(&old_sha)),
        "the old certificate is still in the db: {after:?}"
    );
    drop(guard);
}
