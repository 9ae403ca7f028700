//! Reading our artefacts back with the `openssl` binary (OpenSSL 3), an implementation we did
//! not write.

use std::path::Path;
use std::process::Command;

use crate::cmd::{read_file, run_tool, run_tool_with_stdin, temp_dir, write_file, PasswordFile};

/// `openssl req -verify -noout -text`: checks the CSR's self-signature.
///
/// Returns the request as text followed by OpenSSL's verdict (`…verify OK`); the error carries
/// OpenSSL's stderr.
pub fn openssl_req_verify(csr_pem: &[u8]) -> Result<String, String> {
    let form = inform(csr_pem);
    run_tool_with_stdin(
        Command::new("openssl").args(["req", "-verify", "-noout", "-text", "-inform", form]),
        csr_pem,
    )
    .map(|out| out.text())
}

/// `openssl x509 -noout -text` for one certificate, PEM or DER (sniffed).
pub fn openssl_x509_text(cert: &[u8]) -> Result<String, String> {
    let form = inform(cert);
    run_tool_with_stdin(
        Command::new("openssl").args(["x509", "-noout", "-text", "-inform", form]),
        cert,
    )
    .map(|out| out.stdout_text())
}

/// `openssl pkcs12 -info -nokeys`: opens the PKCS#12 with `password` (passed by file) and returns
/// what OpenSSL reports: MAC algorithm and iterations, bag encryption (PBES2/AES or 3DES), the
/// certificates with their bag attributes.
///
/// No `-legacy`: a file that needs the legacy provider (RC2-40, RC4) fails here, as it would for
/// most OpenSSL 3 users. An empty password is passed as `pass:` since OpenSSL cannot read an
/// empty password file and an empty password is no secret.
pub fn openssl_pkcs12_info(p12: &[u8], password: &str) -> Result<String, String> {
    let dir = temp_dir("certdesk-p12info-");
    let path = dir.path().join("in.p12");
    write_file(&path, p12);
    let pw = PasswordFile::new(password);
    let passin = passin_arg(password, &pw);
    run_tool(
        Command::new("openssl")
            .args(["pkcs12", "-info", "-nokeys", "-in"])
            .arg(&path)
            .arg("-passin")
            .arg(passin),
    )
    .map(|out| out.text())
}

/// `openssl verify -CAfile ca [-untrusted chain] [-purpose purpose] cert`.
///
/// `purpose` is an OpenSSL purpose name such as `sslclient` or `sslserver`. Returns OpenSSL's
/// output (`…: OK`); the error carries the reason (`certificate has expired`, …).
pub fn openssl_verify(
    ca_pem: &[u8],
    untrusted_pem: Option<&[u8]>,
    cert_pem: &[u8],
    purpose: Option<&str>,
) -> Result<String, String> {
    let dir = temp_dir("certdesk-verify-");
    let ca = dir.path().join("ca.pem");
    let cert = dir.path().join("cert.pem");
    write_file(&ca, ca_pem);
    write_file(&cert, cert_pem);
    let mut cmd = Command::new("openssl");
    cmd.arg("verify").arg("-CAfile").arg(&ca);
    if let Some(chain) = untrusted_pem {
        let untrusted = dir.path().join("untrusted.pem");
        write_file(&untrusted, chain);
        cmd.arg("-untrusted").arg(untrusted);
    }
    if let Some(purpose) = purpose {
        cmd.args(["-purpose", purpose]);
    }
    cmd.arg(&cert);
    run_tool(&mut cmd).map(|out| out.text())
}

/// `openssl pkcs7 -print_certs`: the certificates inside a certs-only PKCS#7 (PEM or DER).
pub fn openssl_pkcs7_certs(p7: &[u8]) -> Result<String, String> {
    let form = inform(p7);
    run_tool_with_stdin(
        Command::new("openssl").args(["pkcs7", "-print_certs", "-inform", form]),
        p7,
    )
    .map(|out| out.stdout_text())
}

/// How [`openssl_pkcs12_export`] protects a PKCS#12, named after who can read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpensslP12Profile {
    /// OpenSSL 3 default: PBES2 AES-256-CBC with PBKDF2-SHA256, HMAC-SHA256 MAC.
    Modern,
    /// `PBE-SHA1-3DES` for key and certificates, SHA-1 MAC (what old Windows and macOS read).
    Compatible3Des,
    /// RC2-40 certificates, 3DES key, SHA-1 MAC via `-legacy`: what old Windows exports look like.
    LegacyRc2,
}

/// `openssl pkcs12 -export`: builds a PKCS#12 from PEM key, certificate and optional chain with
/// `password` (by file). Used to give certdesk a PKCS#12 it did not write.
pub fn openssl_pkcs12_export(
    key_pem: &[u8],
    cert_pem: &[u8],
    chain_pem: Option<&[u8]>,
    friendly_name: Option<&str>,
    password: &str,
    profile: OpensslP12Profile,
) -> Result<Vec<u8>, String> {
    let dir = temp_dir("certdesk-p12export-");
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let out = dir.path().join("out.p12");
    write_file(&key, key_pem);
    write_file(&cert, cert_pem);
    let pw = PasswordFile::new(password);
    let mut cmd = Command::new("openssl");
    cmd.args(["pkcs12", "-export", "-inkey"])
        .arg(&key)
        .arg("-in")
        .arg(&cert)
        .arg("-out")
        .arg(&out)
        .arg("-passout")
        .arg(passout_arg(password, &pw));
    if let Some(chain) = chain_pem {
        let chain_path = dir.path().join("chain.pem");
        write_file(&chain_path, chain);
        cmd.arg("-certfile").arg(chain_path);
    }
    if let Some(name) = friendly_name {
        cmd.args(["-name", name]);
    }
    match profile {
        OpensslP12Profile::Modern => {}
        OpensslP12Profile::Compatible3Des => {
            cmd.args([
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ]);
        }
        OpensslP12Profile::LegacyRc2 => {
            cmd.args([
                "-legacy",
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-RC2-40",
                "-macalg",
                "sha1",
            ]);
        }
    }
    run_tool(&mut cmd)?;
    Ok(read_file(&out))
}

/// `-inform` for bytes that are either PEM or DER.
pub(crate) fn inform(bytes: &[u8]) -> &'static str {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    if bytes[start..].starts_with(b"-----BEGIN") {
        "PEM"
    } else {
        "DER"
    }
}

pub(crate) fn passin_arg(password: &str, file: &PasswordFile) -> String {
    if password.is_empty() {
        "pass:".to_owned()
    } else {
        file_arg(file.path())
    }
}

pub(crate) fn passout_arg(password: &str, file: &PasswordFile) -> String {
    passin_arg(password, file)
}

fn file_arg(path: &Path) -> String {
    format!("file:{}", path.display())
}
