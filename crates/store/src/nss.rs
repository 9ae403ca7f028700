//! NSS databases (Chromium and Firefox on Linux) through libnss3-tools: `certutil` and
//! `pk12util` on `sql:` databases, as mkcert does (no crate installs client identities into NSS).
//!
//! Rules kept here:
//! - every secret reaches a tool as a 0600 file in a private temporary directory, never in argv;
//!   the one-time PKCS#12 (encrypted under a random one-time password) is written there too, and
//!   the directory is deleted when the operation ends;
//! - stdin is closed and every run has a time limit, so a tool can never sit on a prompt;
//! - before touching the key store we find out whether the database has a primary password
//!   (`certutil -K` with a random probe password: a database without one ignores it, one with a
//!   password answers `SEC_ERROR_BAD_PASSWORD`), and then whether the given password opens it;
//! - "where is it installed" is read live from the database (certificates with user trust `u`,
//!   matched by SHA-256), never from a record that could go stale;
//! - the CA certificates inside the PKCS#12 are imported with empty trust (pk12util does that);
//!   website trust for a server CA is only ever set by [`trust_server_ca`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use certdesk_core::secret::{generate_password, SecretString};

use crate::error::{Error, Result};
use crate::runner::{run_tool, ToolRun};
use crate::target::{NssKind, StoreTarget};
use crate::{
    sha256_fingerprint, InstallItem, InstallOutcome, InstalledCert, RemoveOutcome, TrustOutcome,
    UntrustOutcome,
};

/// `sql:DIR`, the form every NSS tool takes after `-d`.
pub fn db_spec(dir: &Path) -> OsString {
    let mut s = OsString::from("sql:");
    s.push(dir.as_os_str());
    s
}

fn os(items: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    items.iter().map(|i| i.as_ref().to_os_string()).collect()
}

/// `certutil -N -d sql:DIR --empty-password`: a new database without a primary password.
pub fn args_create_db(dir: &Path) -> Vec<OsString> {
    os(&[&"-N", &"-d", &db_spec(dir), &"--empty-password"])
}

/// `certutil -L -d sql:DIR`: nicknames and trust flags.
pub fn args_list_certs(dir: &Path) -> Vec<OsString> {
    os(&[&"-L", &"-d", &db_spec(dir)])
}

/// `certutil -L -d sql:DIR -n NICK -a`: every certificate with this nickname, as PEM.
pub fn args_cert_pem(dir: &Path, nickname: &str) -> Vec<OsString> {
    os(&[&"-L", &"-d", &db_spec(dir), &"-n", &nickname, &"-a"])
}

/// `certutil -K -d sql:DIR -f PWFILE`: the private keys, after logging in with PWFILE.
pub fn args_list_keys(dir: &Path, password_file: &Path) -> Vec<OsString> {
    os(&[&"-K", &"-d", &db_spec(dir), &"-f", &password_file])
}

/// `pk12util -i P12 -d sql:DIR -w P12PWFILE -k DBPWFILE`.
pub fn args_import_p12(
    dir: &Path,
    p12: &Path,
    p12_password_file: &Path,
    db_password_file: &Path,
) -> Vec<OsString> {
    os(&[
        &"-i",
        &p12,
        &"-d",
        &db_spec(dir),
        &"-w",
        &p12_password_file,
        &"-k",
        &db_password_file,
    ])
}

/// `certutil -F -d sql:DIR -n NICK -f PWFILE`: deletes the key and its certificate.
pub fn args_delete_key(dir: &Path, nickname: &str, password_file: &Path) -> Vec<OsString> {
    os(&[
        &"-F",
        &"-d",
        &db_spec(dir),
        &"-n",
        &nickname,
        &"-f",
        &password_file,
    ])
}

/// `certutil -D -d sql:DIR -n NICK -f PWFILE`: deletes a certificate.
pub fn args_delete_cert(dir: &Path, nickname: &str, password_file: &Path) -> Vec<OsString> {
    os(&[
        &"-D",
        &"-d",
        &db_spec(dir),
        &"-n",
        &nickname,
        &"-f",
        &password_file,
    ])
}

/// `certutil -A -d sql:DIR -n NICK -t TRUST -i CERT.der -f PWFILE`: adds a certificate with trust.
pub fn args_add_cert(
    dir: &Path,
    nickname: &str,
    trust: &str,
    cert_file: &Path,
    password_file: &Path,
) -> Vec<OsString> {
    os(&[
        &"-A",
        &"-d",
        &db_spec(dir),
        &"-n",
        &nickname,
        &"-t",
        &trust,
        &"-i",
        &cert_file,
        &"-f",
        &password_file,
    ])
}

/// `certutil -M -d sql:DIR -n NICK -t TRUST -f PWFILE`: changes the trust of a certificate.
pub fn args_modify_trust(
    dir: &Path,
    nickname: &str,
    trust: &str,
    password_file: &Path,
) -> Vec<OsString> {
    os(&[
        &"-M",
        &"-d",
        &db_spec(dir),
        &"-n",
        &nickname,
        &"-t",
        &trust,
        &"-f",
        &password_file,
    ])
}

/// Parses `certutil -L` into (nickname, trust) pairs. The trust column is the last word
/// (`u,u,u`, `C,,`, `,,`); nicknames may contain spaces.
pub fn parse_cert_list(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_end();
            let (nick, trust) = line.rsplit_once(char::is_whitespace)?;
            let nick = nick.trim_end();
            let is_trust = trust.matches(',').count() == 2
                && trust.chars().all(|c| c == ',' || c.is_ascii_alphabetic());
            (is_trust && !nick.is_empty()).then(|| (nick.to_string(), trust.to_string()))
        })
        .collect()
}

/// The trust string with `C` (trusted CA for TLS servers) added to its SSL field, other
/// fields kept.
pub fn with_server_trust(trust: &str) -> String {
    let mut fields: Vec<String> = trust.split(',').map(str::to_string).collect();
    fields.resize(3, String::new());
    if !fields[0].contains('C') {
        fields[0].push('C');
    }
    fields.join(",")
}

fn has_server_trust(trust: &str) -> bool {
    trust.split(',').next().is_some_and(|f| f.contains('C'))
}

/// The trust string without `C` in its SSL field, other flags kept.
pub fn without_server_trust(trust: &str) -> String {
    let mut fields: Vec<String> = trust.split(',').map(str::to_string).collect();
    fields.resize(3, String::new());
    fields[0] = fields[0].replace('C', "");
    fields.join(",")
}

/// A private scratch directory (0700) for password files and the one-time PKCS#12; deleted on
/// drop.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        let dir = tempfile::Builder::new()
            .prefix("certdesk-store-")
            .tempdir()
            .map_err(Error::io(
                "create a private directory in",
                std::env::temp_dir(),
            ))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(Error::io("protect", dir.path()))?;
        }
        Ok(Scratch { dir })
    }

    /// Writes `bytes` to a new 0600 file.
    fn file(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        use std::io::Write;
        let path = self.dir.path().join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&path).map_err(Error::io("create", &path))?;
        f.write_all(bytes).map_err(Error::io("write", &path))?;
        Ok(path)
    }

    /// A password file: the password and a newline (NSS reads the first line).
    fn password(&self, name: &str, password: &SecretString) -> Result<PathBuf> {
        let mut text = zeroize::Zeroizing::new(password.expose().as_bytes().to_vec());
        text.push(b'\n');
        self.file(name, &text)
    }
}

fn has_db(dir: &Path) -> bool {
    dir.join("cert9.db").is_file()
}

fn certutil(args: Vec<OsString>, dir: &Path) -> Result<ToolRun> {
    run_tool("certutil", &args, dir)
}

fn failure(tool: &'static str, dir: &Path, run: &ToolRun) -> Error {
    let all = run.all();
    if all.contains("SEC_ERROR_READ_ONLY") || all.contains("read-only") {
        Error::NssDbReadOnly {
            dir: dir.to_path_buf(),
        }
    } else if all.contains("SEC_ERROR_BAD_PASSWORD") {
        Error::WrongNssPassword {
            dir: dir.to_path_buf(),
        }
    } else {
        Error::NssTool {
            tool,
            dir: dir.to_path_buf(),
            detail: run.detail(),
        }
    }
}

/// Fails with [`Error::NssDbReadOnly`] when the database files cannot be opened for writing
/// (a read-only mount, or permissions). Opening for write changes nothing.
fn ensure_writable(dir: &Path) -> Result<()> {
    for name in ["cert9.db", "key4.db"] {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        if let Err(e) = std::fs::OpenOptions::new().write(true).open(&path) {
            let read_only = e.kind() == std::io::ErrorKind::PermissionDenied
                || e.kind() == std::io::ErrorKind::ReadOnlyFilesystem;
            return Err(if read_only {
                Error::NssDbReadOnly {
                    dir: dir.to_path_buf(),
                }
            } else {
                Error::io("open", &path)(e)
            });
        }
    }
    Ok(())
}

/// Creates the database of a browser that never ran certdesk (Chromium's `~/.pki/nssdb`, a
/// Firefox profile never started); a database named with `nss:DIR` must exist.
fn ensure_db(target: &StoreTarget, dir: &Path) -> Result<bool> {
    if has_db(dir) {
        return Ok(false);
    }
    // A Firefox profile listed in profiles.ini whose directory is gone is stale: creating it
    // would help no browser.
    let stale_profile = target.nss_kind() == Some(NssKind::Firefox) && !dir.is_dir();
    if target.nss_kind() == Some(NssKind::Other) || stale_profile {
        return Err(Error::NssDbMissing {
            dir: dir.to_path_buf(),
        });
    }
    certdesk_core::fsutil::create_private_dir(dir)?;
    let run = certutil(args_create_db(dir), dir)?;
    if !run.success || !has_db(dir) {
        return Err(failure("certutil", dir, &run));
    }
    Ok(true)
}

/// Finds out whether the database has a primary password and returns the password file to
/// hand to every tool: the user's (checked) when it has one, a random probe otherwise (a
/// database without a password ignores it).
fn login(dir: &Path, scratch: &Scratch, user: Option<&SecretString>) -> Result<PathBuf> {
    let probe = scratch.password("probe", &generate_password())?;
    let run = certutil(args_list_keys(dir, &probe), dir)?;
    let all = run.all();
    let locked = all.contains("SEC_ERROR_BAD_PASSWORD") || all.contains("could not authenticate");
    if !locked {
        if run.success || all.contains("no keys found") {
            return Ok(probe);
        }
        return Err(failure("certutil", dir, &run));
    }
    let Some(user) = user else {
        return Err(Error::NssPasswordRequired {
            dir: dir.to_path_buf(),
        });
    };
    let file = scratch.password("db-password", user)?;
    let run = certutil(args_list_keys(dir, &file), dir)?;
    let all = run.all();
    if all.contains("SEC_ERROR_BAD_PASSWORD") || all.contains("could not authenticate") {
        return Err(Error::WrongNssPassword {
            dir: dir.to_path_buf(),
        });
    }
    Ok(file)
}

/// Every certificate in the database as (nickname, trust, DER), fetched nickname by nickname.
/// `only_user` keeps certificates with user trust (`u`: NSS holds their private key).
fn certificates(dir: &Path, only_user: bool) -> Result<Vec<(String, String, Vec<u8>)>> {
    let run = certutil(args_list_certs(dir), dir)?;
    if !run.success {
        return Err(failure("certutil", dir, &run));
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (nick, trust) in parse_cert_list(&run.stdout) {
        if (only_user && !trust.contains('u')) || !seen.insert(nick.clone()) {
            continue;
        }
        let run = certutil(args_cert_pem(dir, &nick), dir)?;
        if !run.success {
            return Err(failure("certutil", dir, &run));
        }
        for block in pem::parse_many(run.stdout.as_bytes()).unwrap_or_default() {
            out.push((nick.clone(), trust.clone(), block.into_contents()));
        }
    }
    Ok(out)
}

/// The identities (certificates with their key) in the database at `dir`.
pub(crate) fn installed_certificates(dir: &Path) -> Result<Vec<InstalledCert>> {
    if !has_db(dir) {
        return Ok(Vec::new());
    }
    Ok(certificates(dir, true)?
        .into_iter()
        .map(|(nickname, _, der)| InstalledCert {
            nickname,
            sha256: sha256_fingerprint(&der),
        })
        .collect())
}

fn find(dir: &Path, sha256: &str) -> Result<Option<String>> {
    Ok(installed_certificates(dir)?
        .into_iter()
        .find(|c| c.sha256.eq_ignore_ascii_case(sha256))
        .map(|c| c.nickname))
}

fn warnings_for(target: &StoreTarget, dir: &Path) -> Vec<String> {
    let mut warnings = Vec::new();
    if target.nss_kind() == Some(NssKind::Firefox)
        && std::fs::symlink_metadata(dir.join("lock")).is_ok()
    {
        warnings.push(
            "Firefox is running with this profile: restart Firefox if it does not offer the certificate"
                .to_string(),
        );
    }
    warnings
}

pub(crate) fn install(
    target: &StoreTarget,
    dir: &Path,
    item: &InstallItem<'_>,
    nss_password: Option<&SecretString>,
) -> Result<InstallOutcome> {
    let created = ensure_db(target, dir)?;
    let sha256 = sha256_fingerprint(item.cert_der);
    let mut warnings = warnings_for(target, dir);
    if let Some(nickname) = find(dir, &sha256)? {
        return Ok(InstallOutcome::AlreadyInstalled {
            store: target.clone(),
            nickname,
            warnings,
        });
    }
    ensure_writable(dir)?;
    let scratch = Scratch::new()?;
    let db_password = login(dir, &scratch, nss_password)?;
    let p12 = scratch.file("identity.p12", item.p12_der)?;
    let p12_password = scratch.password("p12-password", item.p12_password)?;
    let run = run_tool(
        "pk12util",
        &args_import_p12(dir, &p12, &p12_password, &db_password),
        dir,
    )?;
    if !run.success {
        return Err(failure("pk12util", dir, &run));
    }
    let Some(nickname) = find(dir, &sha256)? else {
        return Err(Error::NssTool {
            tool: "pk12util",
            dir: dir.to_path_buf(),
            detail: format!(
                "reported success, but no certificate with SHA-256 {sha256} and its key is in the database"
            ),
        });
    };
    if created {
        warnings.push(format!("created a new NSS database in {}", dir.display()));
    }
    Ok(InstallOutcome::Installed {
        store: target.clone(),
        nickname,
        warnings,
    })
}

pub(crate) fn uninstall(
    target: &StoreTarget,
    dir: &Path,
    cert_der: &[u8],
    chain_der: &[Vec<u8>],
    nss_password: Option<&SecretString>,
) -> Result<RemoveOutcome> {
    if !has_db(dir) {
        if target.nss_kind() == Some(NssKind::Other) {
            return Err(Error::NssDbMissing {
                dir: dir.to_path_buf(),
            });
        }
        return Ok(RemoveOutcome::NotInstalled {
            store: target.clone(),
        });
    }
    let sha256 = sha256_fingerprint(cert_der);
    let mut nicknames: Vec<String> = installed_certificates(dir)?
        .into_iter()
        .filter(|c| c.sha256.eq_ignore_ascii_case(&sha256))
        .map(|c| c.nickname)
        .collect();
    nicknames.dedup();
    if nicknames.is_empty() {
        return Ok(RemoveOutcome::NotInstalled {
            store: target.clone(),
        });
    }
    ensure_writable(dir)?;
    let scratch = Scratch::new()?;
    let pw = login(dir, &scratch, nss_password)?;
    for nick in &nicknames {
        let run = certutil(args_delete_key(dir, nick, &pw), dir)?;
        if !run.success && find(dir, &sha256)?.is_some() {
            // -F needs the key; a certificate whose key is gone is removed with -D.
            let run = certutil(args_delete_cert(dir, nick, &pw), dir)?;
            if !run.success {
                return Err(failure("certutil", dir, &run));
            }
        }
    }
    if find(dir, &sha256)?.is_some() {
        return Err(Error::NssTool {
            tool: "certutil",
            dir: dir.to_path_buf(),
            detail: format!(
                "the certificate with SHA-256 {sha256} is still there after deleting it"
            ),
        });
    }
    let removed_ca = remove_orphaned_chain(dir, chain_der, &pw)?;
    Ok(RemoveOutcome::Removed {
        store: target.clone(),
        nicknames,
        removed_ca,
        warnings: warnings_for(target, dir),
    })
}

/// Deletes the identity's CA certificates that pk12util brought in, when they carry no trust
/// (a CA the user trusts for websites stays) and no remaining identity in the database was
/// issued by them.
fn remove_orphaned_chain(dir: &Path, chain_der: &[Vec<u8>], pw: &Path) -> Result<Vec<String>> {
    if chain_der.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<String> = chain_der.iter().map(|d| sha256_fingerprint(d)).collect();
    let all = certificates(dir, false)?;
    let remaining_issuers: Vec<String> = all
        .iter()
        .filter(|(_, trust, _)| trust.contains('u'))
        .filter_map(|(_, _, der)| certdesk_core::cert::parse_certificate(der).ok())
        .map(|info| info.issuer)
        .collect();
    let mut removed = Vec::new();
    for (nick, trust, der) in &all {
        let fp = sha256_fingerprint(der);
        let untrusted = trust.chars().all(|c| c == ',');
        if !wanted.contains(&fp) || !untrusted {
            continue;
        }
        let subject = certdesk_core::cert::parse_certificate(der)
            .map(|i| i.subject)
            .unwrap_or_default();
        if remaining_issuers.contains(&subject) {
            continue;
        }
        let run = certutil(args_delete_cert(dir, nick, pw), dir)?;
        if !run.success {
            return Err(failure("certutil", dir, &run));
        }
        removed.push(nick.clone());
    }
    Ok(removed)
}

pub(crate) fn trust_server_ca(
    target: &StoreTarget,
    dir: &Path,
    ca_der: &[u8],
    nss_password: Option<&SecretString>,
) -> Result<TrustOutcome> {
    let info = certdesk_core::cert::parse_certificate(ca_der)?;
    if !info.is_ca && !info.self_issued {
        return Err(Error::NotACertificateAuthority {
            subject: info.subject,
            issuer: info.issuer,
        });
    }
    ensure_db(target, dir)?;
    ensure_writable(dir)?;
    let scratch = Scratch::new()?;
    let pw = login(dir, &scratch, nss_password)?;
    let sha256 = sha256_fingerprint(ca_der);
    let existing = certificates(dir, false)?
        .into_iter()
        .find(|(_, _, der)| sha256_fingerprint(der) == sha256);
    let (nickname, already) = match existing {
        Some((nick, trust, _)) if has_server_trust(&trust) => (nick, true),
        Some((nick, trust, _)) => {
            let run = certutil(
                args_modify_trust(dir, &nick, &with_server_trust(&trust), &pw),
                dir,
            )?;
            if !run.success {
                return Err(failure("certutil", dir, &run));
            }
            (nick, false)
        }
        None => {
            let nick = info
                .subject_cn
                .clone()
                .unwrap_or_else(|| info.subject.clone());
            let file = scratch.file("ca.der", ca_der)?;
            let run = certutil(args_add_cert(dir, &nick, "C,,", &file, &pw), dir)?;
            if !run.success {
                return Err(failure("certutil", dir, &run));
            }
            (nick, false)
        }
    };
    Ok(TrustOutcome {
        store: target.clone(),
        nickname,
        subject: info.subject,
        sha256,
        already_trusted: already,
    })
}

pub(crate) fn untrust_server_ca(
    target: &StoreTarget,
    dir: &Path,
    ca_der: &[u8],
    nss_password: Option<&SecretString>,
) -> Result<UntrustOutcome> {
    let info = certdesk_core::cert::parse_certificate(ca_der)?;
    let sha256 = sha256_fingerprint(ca_der);
    let mut outcome = UntrustOutcome {
        store: target.clone(),
        subject: info.subject,
        sha256: sha256.clone(),
        was_trusted: false,
        deleted: false,
    };
    if !has_db(dir) {
        if target.nss_kind() == Some(NssKind::Other) {
            return Err(Error::NssDbMissing {
                dir: dir.to_path_buf(),
            });
        }
        return Ok(outcome);
    }
    let all = certificates(dir, false)?;
    let Some((nick, trust, _)) = all
        .iter()
        .find(|(_, trust, der)| sha256_fingerprint(der) == sha256 && has_server_trust(trust))
    else {
        return Ok(outcome);
    };
    ensure_writable(dir)?;
    let scratch = Scratch::new()?;
    let pw = login(dir, &scratch, nss_password)?;
    let remaining = without_server_trust(trust);
    // A CA certificate left without any trust that no identity here was issued by is only
    // clutter: remove it, as `trust-ca` brought it.
    let issues_an_identity = all
        .iter()
        .filter(|(_, t, _)| t.contains('u'))
        .filter_map(|(_, _, der)| certdesk_core::cert::parse_certificate(der).ok())
        .any(|leaf| leaf.issuer == outcome.subject);
    let run = if remaining.chars().all(|c| c == ',') && !issues_an_identity {
        outcome.deleted = true;
        certutil(args_delete_cert(dir, nick, &pw), dir)?
    } else {
        certutil(args_modify_trust(dir, nick, &remaining, &pw), dir)?
    };
    if !run.success {
        return Err(failure("certutil", dir, &run));
    }
    outcome.was_trusted = true;
    Ok(outcome)
}

#[cfg(test)]
// In tests a panic is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn strs(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn arguments_use_sql_databases_and_password_files() {
        let dir = Path::new("/h/.pki/nssdb");
        assert_eq!(
            strs(&args_create_db(dir)),
            ["-N", "-d", "sql:/h/.pki/nssdb", "--empty-password"]
        );
        assert_eq!(
            strs(&args_import_p12(
                dir,
                Path::new("/t/id.p12"),
                Path::new("/t/pw"),
                Path::new("/t/db")
            )),
            [
                "-i",
                "/t/id.p12",
                "-d",
                "sql:/h/.pki/nssdb",
                "-w",
                "/t/pw",
                "-k",
                "/t/db"
            ]
        );
        assert_eq!(
            strs(&args_delete_key(dir, "Alice Example", Path::new("/t/db"))),
            [
                "-F",
                "-d",
                "sql:/h/.pki/nssdb",
                "-n",
                "Alice Example",
                "-f",
                "/t/db"
            ]
        );
        assert_eq!(
            strs(&args_add_cert(
                dir,
                "Example Root",
                "C,,",
                Path::new("/t/ca.der"),
                Path::new("/t/db")
            )),
            [
                "-A",
                "-d",
                "sql:/h/.pki/nssdb",
                "-n",
                "Example Root",
                "-t",
                "C,,",
                "-i",
                "/t/ca.der",
                "-f",
                "/t/db"
            ]
        );
        assert_eq!(
            strs(&args_cert_pem(dir, "x")),
            ["-L", "-d", "sql:/h/.pki/nssdb", "-n", "x", "-a"]
        );
        // No secret is ever an argument: only file paths follow -f/-w/-k.
        for args in [
            args_list_keys(dir, Path::new("/t/db")),
            args_modify_trust(dir, "n", "C,,", Path::new("/t/db")),
            args_delete_cert(dir, "n", Path::new("/t/db")),
        ] {
            let s = strs(&args);
            assert!(s.iter().any(|a| a == "/t/db"), "{s:?}");
        }
    }

    #[test]
    fn parses_certutil_listing() {
        let text = "\nCertificate Nickname                                         Trust Attributes\n                                                             SSL,S/MIME,JAR/XPI\n\nAlice Example                                                u,u,u\nCross Root CA                                                ,,   \nsrv ca                                                       CT,C,C\n";
        assert_eq!(
            parse_cert_list(text),
            vec![
                ("Alice Example".to_string(), "u,u,u".to_string()),
                ("Cross Root CA".to_string(), ",,".to_string()),
                ("srv ca".to_string(), "CT,C,C".to_string()),
            ]
        );
        assert!(parse_cert_list("").is_empty());
    }

    #[test]
    fn server_trust_is_removed_from_the_ssl_field_only() {
        assert_eq!(without_server_trust("C,,"), ",,");
        assert_eq!(without_server_trust("CT,C,C"), "T,C,C");
        assert_eq!(without_server_trust(",C,"), ",C,");
    }

    #[test]
    fn server_trust_is_added_to_the_ssl_field_only() {
        assert_eq!(with_server_trust(",,"), "C,,");
        assert_eq!(with_server_trust("u,u,u"), "uC,u,u");
        assert_eq!(with_server_trust("CT,C,"), "CT,C,");
        assert_eq!(with_server_trust(""), "C,,");
        assert!(has_server_trust("CT,,"));
        assert!(!has_server_trust(",C,"));
    }
}
