//! NSS databases (Chromium and Firefox on Linux) through libnss3-tools: `certutil` and
//! `pk12util` on `sql:` databases, as mkcert does (no crate installs client identities into NSS).
//!
//! Rules kept here:
//! - no secret is ever in argv (public in /proc). The one-time PKCS#12's password reaches
//!   `pk12util` through a pipe (`-w /dev/stdin`), never a file; the PKCS#12 itself (useless
//!   without that password) and a database password file (0600) live in a private scratch
//!   folder under `$XDG_RUNTIME_DIR` (see [`crate::scratch`]), the PKCS#12 only until
//!   `pk12util` has read it, the folder until the operation ends, and a folder a crash left is
//!   swept at the next start;
//! - an identity is addressed by its key, never by its nickname alone (issue #12): NSS makes
//!   every certificate of one subject share a nickname on import, so two identities with the
//!   same label or the same name cannot be told apart by nickname. Each certificate is named
//!   with a PKCS#11 URI (RFC 7512) holding its key id (`pkcs11:id=%13%51…;type=cert`, the
//!   CKA_ID `certutil -K` lists: SHA-1 of the RSA modulus or the EC point), checked against its
//!   SHA-256 before anything is deleted. After an import the certificate is renamed to
//!   [`nickname_for`] (`Label (1351e882)`: the label, cleaned, and the first 8 hex of the key
//!   id). Installs made under the bare label by older versions are found by SHA-256 as before
//!   and removed the same way;
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
use crate::runner::{run_tool, run_tool_with_input, ToolRun};
use crate::scratch::{password_line, Scratch};
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

/// `pk12util -i P12 -d sql:DIR -w /dev/stdin -k DBPWFILE`: the PKCS#12 password comes
/// through a pipe on stdin (see [`crate::runner::run_tool_with_input`]). `-W PASSWORD` would put
/// it in argv, readable by every local account in /proc; a file would leave it on disk next to
/// the PKCS#12 until the operation ends (or forever after a crash).
pub fn args_import_p12(dir: &Path, p12: &Path, db_password_file: &Path) -> Vec<OsString> {
    os(&[
        &"-i",
        &p12,
        &"-d",
        &db_spec(dir),
        &"-w",
        &"/dev/stdin",
        &"-k",
        &db_password_file,
    ])
}

/// `certutil --rename -d sql:DIR -n NAME --new-n NEW -f PWFILE`: renames one certificate.
pub fn args_rename(dir: &Path, name: &str, new: &str, password_file: &Path) -> Vec<OsString> {
    os(&[
        &"--rename",
        &"-d",
        &db_spec(dir),
        &"-n",
        &name,
        &"--new-n",
        &new,
        &"-f",
        &password_file,
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

pub(crate) fn has_db(dir: &Path) -> bool {
    dir.join("cert9.db").is_file()
}

fn certutil(args: Vec<OsString>, dir: &Path) -> Result<ToolRun> {
    run_tool("certutil", &args, dir)
}

pub(crate) fn failure(tool: &'static str, dir: &Path, run: &ToolRun) -> Error {
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
pub(crate) fn ensure_db(target: &StoreTarget, dir: &Path) -> Result<bool> {
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

/// NSS's id of the key pair of this certificate (CKA_ID, the hex `certutil -K` lists): SHA-1
/// of the RSA modulus (without leading zero bytes) or of the EC public point, which is how NSS
/// names a key it imports (`PK11_MakeIDFromPubKey`). `None` for other key types.
pub fn key_id(cert_der: &[u8]) -> Option<[u8; 20]> {
    use sha1::{Digest, Sha1};
    use x509_parser::public_key::PublicKey;
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let parsed = cert.public_key().parsed().ok()?;
    let value: &[u8] = match &parsed {
        PublicKey::RSA(rsa) => {
            let first = rsa.modulus.iter().position(|b| *b != 0)?;
            &rsa.modulus[first..]
        }
        PublicKey::EC(point) => point.data(),
        _ => return None,
    };
    Some(Sha1::digest(value).into())
}

/// Every byte as `%xx`: safe inside a PKCS#11 URI attribute whatever it holds.
fn percent_all(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02x}")).collect()
}

/// The PKCS#11 URI (RFC 7512) of the certificate object whose key id is `id`. NSS tools take
/// it wherever they take a nickname (`-n`).
pub fn key_uri(id: &[u8; 20]) -> String {
    format!("pkcs11:id={};type=cert", percent_all(id))
}

/// The URI of the certificate with key id `id` whose nickname is `nickname`: found only when
/// that certificate has that nickname.
fn labelled_key_uri(nickname: &str, id: &[u8; 20]) -> String {
    // `certutil -L` shows a nickname holding a colon with the token's name in front.
    let label = nickname
        .strip_prefix("NSS Certificate DB:")
        .unwrap_or(nickname);
    format!(
        "pkcs11:object={};id={};type=cert",
        percent_all(label.as_bytes()),
        percent_all(id)
    )
}

/// Longest label kept in a nickname (in characters).
const MAX_LABEL_CHARS: usize = 64;

/// The nickname certdesk gives an identity in NSS: its label, cleaned, and the first 8 hex
/// digits of its key id ([`key_id`]; of the certificate's SHA-256 for other key types), e.g.
/// `Ada Lovelace (laptop) (1351e882)`. Two identities with the same label get different
/// nicknames, and the one `certutil -K` lists the key under is found by its id.
///
/// Cleaning: every run of white space or control characters becomes one space and the ends are
/// trimmed (`certutil -L` pads nicknames with spaces, so `"Ada "` and `"Ada"` would list
/// alike), a colon becomes `-` (NSS reads `a:b` as token `a`, nickname `b`), and the label is
/// cut at 64 characters. An empty label becomes `certdesk`.
pub fn nickname_for(label: &str, cert_der: &[u8]) -> String {
    let cleaned: String = label
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .replace(':', "-")
        .chars()
        .take(MAX_LABEL_CHARS)
        .collect();
    let cleaned = cleaned.trim_end();
    let cleaned = if cleaned.is_empty() {
        "certdesk"
    } else {
        cleaned
    };
    let short = match key_id(cert_der) {
        Some(id) => id[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        None => sha256_fingerprint(cert_der)
            .replace(':', "")
            .to_ascii_lowercase()
            .chars()
            .take(8)
            .collect(),
    };
    format!("{cleaned} ({short})")
}

/// `certutil -L -n NAME -a`: the certificates NSS finds for a nickname or URI, with every other
/// certificate of the same subject (certutil lists the whole subject). Empty when NSS finds
/// none.
fn certs_named(dir: &Path, name: &str) -> Result<Vec<Vec<u8>>> {
    let run = certutil(args_cert_pem(dir, name), dir)?;
    if !run.success {
        if run.all().contains("Could not find cert") {
            return Ok(Vec::new());
        }
        return Err(failure("certutil", dir, &run));
    }
    Ok(pem::parse_many(run.stdout.as_bytes())
        .unwrap_or_default()
        .into_iter()
        .map(pem::Pem::into_contents)
        .collect())
}

/// Every certificate in the database as (nickname, trust, DER). `only_user` keeps certificates
/// with user trust (`u`: NSS holds their private key).
///
/// `certutil -L -n NICK -a` answers with every certificate of NICK's subject, whatever their
/// nicknames, so when a subject has several certificates (two identities of one person) each
/// is matched to its nickname by a URI holding both (`object=NICK;id=KEYID`).
fn certificates(dir: &Path, only_user: bool) -> Result<Vec<(String, String, Vec<u8>)>> {
    let run = certutil(args_list_certs(dir), dir)?;
    if !run.success {
        return Err(failure("certutil", dir, &run));
    }
    let rows = parse_cert_list(&run.stdout);
    // Nicknames in listing order, with the trust of their rows (a nickname shared by several
    // certificates, as older installs made them, has several rows).
    let mut nicknames: Vec<(String, Vec<String>)> = Vec::new();
    for (nick, trust) in rows {
        match nicknames.iter_mut().find(|(n, _)| *n == nick) {
            Some((_, trusts)) => trusts.push(trust),
            None => nicknames.push((nick, vec![trust])),
        }
    }
    let mut out: Vec<(String, String, Vec<u8>)> = Vec::new();
    for (nick, trusts) in &nicknames {
        let trust = trusts
            .iter()
            .find(|t| t.contains('u'))
            .unwrap_or(&trusts[0])
            .clone();
        if only_user && !trust.contains('u') {
            continue;
        }
        // A nickname NSS cannot look up again (a label ending in spaces, listed trimmed) is
        // skipped: certdesk finds its own certificates by key id as well.
        let ders = certs_named(dir, nick)?;
        let single = ders.len() == 1 && trusts.len() == 1;
        for der in ders {
            let belongs = single
                || match key_id(&der) {
                    Some(id) => !certs_named(dir, &labelled_key_uri(nick, &id))?.is_empty(),
                    None => true,
                };
            let fp = sha256_fingerprint(&der);
            let known = out
                .iter()
                .any(|(n, _, d)| n == nick && sha256_fingerprint(d) == fp);
            if belongs && !known {
                out.push((nick.clone(), trust.clone(), der));
            }
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

/// How the certificate `cert_der` can be named to NSS without naming another one: by its key
/// id (the URI finds exactly one certificate with that key id, and it is this one), else by a
/// nickname only it has. `None` when neither holds.
fn exact_name(
    dir: &Path,
    cert_der: &[u8],
    user_certs: &[(String, String, Vec<u8>)],
) -> Result<Option<String>> {
    let sha256 = sha256_fingerprint(cert_der);
    if let Some(id) = key_id(cert_der) {
        let uri = key_uri(&id);
        let same_key: Vec<String> = certs_named(dir, &uri)?
            .iter()
            .filter(|der| key_id(der) == Some(id))
            .map(|der| sha256_fingerprint(der))
            .collect();
        if same_key == [sha256.clone()] {
            return Ok(Some(uri));
        }
    }
    // Not under its key id (a key id NSS did not derive itself): its nickname, when no other
    // certificate has it.
    let mut named = user_certs
        .iter()
        .filter(|(_, _, der)| sha256_fingerprint(der) == sha256)
        .map(|(nick, _, _)| nick);
    let Some(nick) = named.next() else {
        return Ok(None);
    };
    let others = certs_named(dir, nick)?
        .iter()
        .any(|der| sha256_fingerprint(der) != sha256);
    Ok((!others).then(|| nick.clone()))
}

/// Other certificates in the database that use the key of `cert_der` (an older certificate of
/// the same identity, renewed on the same key): deleting the key would break them.
fn key_shared_with(cert_der: &[u8], user_certs: &[(String, String, Vec<u8>)]) -> Option<String> {
    let id = key_id(cert_der)?;
    let sha256 = sha256_fingerprint(cert_der);
    user_certs
        .iter()
        .find(|(_, _, der)| key_id(der) == Some(id) && sha256_fingerprint(der) != sha256)
        .map(|(nick, _, _)| nick.clone())
}

fn warnings_for(target: &StoreTarget, dir: &Path) -> Vec<String> {
    let mut warnings = Vec::new();
    if target.nss_kind() == Some(NssKind::Firefox) && crate::detect::firefox_running(dir) {
        warnings.push(
            "Firefox is running with this profile: restart Firefox if it does not offer the certificate"
                .to_string(),
        );
    }
    warnings
}

/// Test-only pause with the one-time PKCS#12 on disk, so that a test can kill the process
/// there (`CERTDESK_STORE_TEST_PAUSE=FILE`: FILE gets the scratch folder's path, then the
/// install waits). Compiled into the unit tests of this crate only (`cfg(test)`), so no build
/// of certdesk can be paused this way.
#[cfg(test)]
fn test_pause(scratch: &Path) {
    if let Some(marker) = std::env::var_os("CERTDESK_STORE_TEST_PAUSE") {
        let _ = std::fs::write(marker, scratch.as_os_str().as_encoded_bytes());
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
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
    #[cfg(test)]
    test_pause(scratch.path());
    let run = run_tool_with_input(
        "pk12util",
        &args_import_p12(dir, &p12, &db_password),
        dir,
        &password_line(item.p12_password),
    );
    // pk12util has read it (or failed): it is not needed any longer.
    let _ = std::fs::remove_file(&p12);
    let run = run?;
    if !run.success {
        return Err(failure("pk12util", dir, &run));
    }
    // NSS named it after the PKCS#12's friendly name, or after the nickname another
    // certificate of the same subject already has: give it its own.
    let wanted = nickname_for(item.nickname, item.cert_der);
    let user_certs = certificates(dir, true)?;
    let current: Vec<&String> = user_certs
        .iter()
        .filter(|(_, _, der)| sha256_fingerprint(der) == sha256)
        .map(|(nick, _, _)| nick)
        .collect();
    if !current.iter().any(|nick| **nick == wanted) {
        if let Some(name) = exact_name(dir, item.cert_der, &user_certs)? {
            let run = certutil(args_rename(dir, &name, &wanted, &db_password), dir)?;
            if !run.success {
                warnings.push(format!(
                    "it is listed under the name NSS gave it, not as \"{wanted}\" ({})",
                    run.detail()
                ));
            }
        }
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
    let before = certificates(dir, true)?;
    let mut nicknames: Vec<String> = before
        .iter()
        .filter(|(_, _, der)| sha256_fingerprint(der) == sha256)
        .map(|(nick, _, _)| nick.clone())
        .collect();
    nicknames.dedup();
    if nicknames.is_empty() {
        return Ok(RemoveOutcome::NotInstalled {
            store: target.clone(),
        });
    }
    let Some(name) = exact_name(dir, cert_der, &before)? else {
        return Err(Error::NssTool {
            tool: "certutil",
            dir: dir.to_path_buf(),
            detail: format!(
                "the certificate with SHA-256 {sha256} cannot be told apart from the other certificates named {:?}; nothing was removed",
                nicknames[0]
            ),
        });
    };
    ensure_writable(dir)?;
    let scratch = Scratch::new()?;
    let pw = login(dir, &scratch, nss_password)?;
    if key_shared_with(cert_der, &before).is_some() {
        // The key stays for the certificate that shares it; only this certificate goes.
        let run = certutil(args_delete_cert(dir, &name, &pw), dir)?;
        if !run.success {
            return Err(failure("certutil", dir, &run));
        }
    } else {
        let run = certutil(args_delete_key(dir, &name, &pw), dir)?;
        if !run.success && find(dir, &sha256)?.is_some() {
            // -F needs the key; a certificate whose key is gone is removed with -D.
            let run = certutil(args_delete_cert(dir, &name, &pw), dir)?;
            if !run.success {
                return Err(failure("certutil", dir, &run));
            }
        }
    }
    let after = certificates(dir, true)?;
    if after
        .iter()
        .any(|(_, _, der)| sha256_fingerprint(der) == sha256)
    {
        return Err(Error::NssTool {
            tool: "certutil",
            dir: dir.to_path_buf(),
            detail: format!(
                "the certificate with SHA-256 {sha256} is still there after deleting it"
            ),
        });
    }
    let lost: Vec<&String> = before
        .iter()
        .filter(|(_, _, der)| {
            let fp = sha256_fingerprint(der);
            fp != sha256 && !after.iter().any(|(_, _, d)| sha256_fingerprint(d) == fp)
        })
        .map(|(nick, _, _)| nick)
        .collect();
    if !lost.is_empty() {
        return Err(Error::NssTool {
            tool: "certutil",
            dir: dir.to_path_buf(),
            detail: format!("deleting {sha256} also took {lost:?} with it"),
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
                Path::new("/t/db")
            )),
            [
                "-i",
                "/t/id.p12",
                "-d",
                "sql:/h/.pki/nssdb",
                "-w",
                "/dev/stdin",
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

    #[test]
    fn nicknames_hold_the_label_and_the_key_id_and_never_end_in_spaces() {
        let (_dir, _p12, cert) = openssl_identity("Ada Lovelace");
        let id = key_id(&cert).unwrap();
        let short: String = id[..4].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(nickname_for("Ada", &cert), format!("Ada ({short})"));
        // Trailing and repeated white space, line breaks and control characters collapse: NSS
        // lists nicknames padded with spaces, so "Ada " and "Ada" would look alike.
        assert_eq!(nickname_for("Ada  ", &cert), format!("Ada ({short})"));
        assert_eq!(
            nickname_for(" Ada\t\u{7}Lovelace\n", &cert),
            format!("Ada Lovelace ({short})")
        );
        // NSS reads "a:b" as token a, nickname b.
        assert_eq!(
            nickname_for("Work: Ada", &cert),
            format!("Work- Ada ({short})")
        );
        assert_eq!(nickname_for(" ", &cert), format!("certdesk ({short})"));
        assert_eq!(
            nickname_for(&"x".repeat(100), &cert),
            format!("{} ({short})", "x".repeat(64))
        );
        // A nickname survives certutil's listing as it is.
        let nick = nickname_for("Ada  ", &cert);
        let listing = format!("{nick:<60} u,u,u\n");
        assert_eq!(parse_cert_list(&listing), vec![(nick, "u,u,u".to_string())]);
    }

    #[test]
    fn key_ids_are_what_nss_lists() {
        let (dir, p12, cert) = openssl_identity("Key Id");
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        assert!(certutil(args_create_db(&db), &db).unwrap().success);
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "one-time-pw\n").unwrap();
        let run = run_tool(
            "pk12util",
            &os(&[&"-i", &p12, &"-d", &db_spec(&db), &"-w", &pw, &"-k", &pw]),
            &db,
        )
        .unwrap();
        assert!(run.success, "{}", run.detail());
        let keys = certutil(args_list_keys(&db, &pw), &db).unwrap().stdout;
        let hex: String = key_id(&cert)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(keys.contains(&hex), "{hex} not in {keys}");
        let uri = key_uri(&key_id(&cert).unwrap());
        assert_eq!(certs_named(&db, &uri).unwrap(), vec![cert]);
    }

    /// (folder, PKCS#12 path, certificate DER) of a self-signed client identity made by
    /// openssl, its PKCS#12 encrypted under "one-time-pw" with friendly name `cn`.
    fn openssl_identity(cn: &str) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let subject = format!("/CN={cn}");
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-days",
            "5",
            "-subj",
            &subject,
        ]);
        openssl(&[
            "pkcs12",
            "-export",
            "-in",
            "c.pem",
            "-inkey",
            "k.pem",
            "-name",
            cn,
            "-out",
            "id.p12",
            "-passout",
            "pass:one-time-pw",
        ]);
        openssl(&["x509", "-in", "c.pem", "-outform", "DER", "-out", "c.der"]);
        let cert = std::fs::read(dir.path().join("c.der")).unwrap();
        let p12 = dir.path().join("id.p12");
        (dir, p12, cert)
    }

    /// The process [`an_install_killed_midway_leaves_no_key_material_outside_the_runtime_dir`]
    /// starts and kills: it installs into `CHILD_DB` and pauses with the PKCS#12 on disk
    /// ([`test_pause`]). Without its variables it does nothing.
    #[cfg(unix)]
    #[test]
    fn child_install_that_pauses() {
        let (Some(db), Some(p12), Some(cert)) = (
            std::env::var_os("CERTDESK_STORE_CHILD_DB"),
            std::env::var_os("CERTDESK_STORE_CHILD_P12"),
            std::env::var_os("CERTDESK_STORE_CHILD_CERT"),
        ) else {
            return;
        };
        let db = PathBuf::from(db);
        let p12 = std::fs::read(p12).unwrap();
        let cert = std::fs::read(cert).unwrap();
        let password = SecretString::new("one-time-pw");
        let item = InstallItem {
            p12_der: &p12,
            p12_password: &password,
            nickname: "Killed",
            cert_der: &cert,
        };
        let _ = install(&StoreTarget::Nss { db: db.clone() }, &db, &item, None);
    }

    /// Issue #12: a crash during an install used to leave the one-time PKCS#12 and its
    /// password file side by side in /tmp. Now a process killed with the PKCS#12 on disk
    /// leaves nothing in the temporary directory; what it leaves in its runtime folder cannot
    /// be opened (the password never was in a file) and the next start's sweep removes it.
    #[cfg(unix)]
    #[test]
    fn an_install_killed_midway_leaves_no_key_material_outside_the_runtime_dir() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, p12, cert) = openssl_identity("Killed");
        std::fs::write(dir.path().join("c.der"), &cert).unwrap();
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        assert!(certutil(args_create_db(&db), &db).unwrap().success);
        let runtime = tempfile::tempdir().unwrap();
        std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let marker = dir.path().join("paused");

        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "nss::tests::child_install_that_pauses",
                "--nocapture",
            ])
            .env("CERTDESK_STORE_CHILD_DB", &db)
            .env("CERTDESK_STORE_CHILD_P12", &p12)
            .env("CERTDESK_STORE_CHILD_CERT", dir.path().join("c.der"))
            .env("CERTDESK_STORE_TEST_PAUSE", &marker)
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("TMPDIR", tmp.path())
            .env("HOME", home.path())
            .env_remove("XDG_CACHE_HOME")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while !marker.exists() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "the child never reached the pause"
            );
            assert!(child.try_wait().unwrap().is_none(), "the child ended early");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.kill().unwrap(); // SIGKILL: no destructor runs.
        child.wait().unwrap();

        let scratch = PathBuf::from(std::fs::read_to_string(&marker).unwrap());
        assert!(scratch.starts_with(runtime.path()), "{}", scratch.display());
        assert!(
            scratch.join("identity.p12").is_file(),
            "killed with the PKCS#12 on disk"
        );
        // Nothing in the temporary directory, nothing in the home (cache) folder.
        let in_tmp: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
        assert!(in_tmp.is_empty(), "left in TMPDIR: {in_tmp:?}");
        let in_home: Vec<_> = std::fs::read_dir(home.path()).unwrap().flatten().collect();
        assert!(in_home.is_empty(), "left in HOME: {in_home:?}");
        // The password that opens the PKCS#12 is in no file that remains.
        for entry in std::fs::read_dir(&scratch).unwrap().flatten() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes.windows(11).any(|w| w == b"one-time-pw"),
                "{} holds the PKCS#12 password",
                entry.path().display()
            );
        }

        // The next start sweeps it: its process is gone.
        let removed = crate::scratch::sweep_in(runtime.path(), crate::scratch::PREFIX);
        assert_eq!(removed, vec![scratch.clone()]);
        assert!(!scratch.exists());
        assert_eq!(std::fs::read_dir(runtime.path()).unwrap().count(), 0);
    }
}
