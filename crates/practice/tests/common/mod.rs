//! Shared helpers: start a practice server in a temp dir, talk to it with `curl`, make CSRs
//! and read answers with `openssl` (implementations we did not write).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use certdesk_core::secret::SecretString;
use certdesk_core::vault::{MemoryVault, SecretVault};
use certdesk_core::wallet::KeyAccess;
use certdesk_practice::{start, PracticeConfig, PracticeServer};
use certdesk_testkit::{run_tool, run_tool_with_stdin};
use tempfile::TempDir;

/// A practice server with its data dir and the vault that protects its CA key.
pub struct Running {
    pub server: PracticeServer,
    pub data: TempDir,
    pub vault: Arc<MemoryVault>,
    pub work: TempDir,
}

pub fn memory_access(vault: &Arc<MemoryVault>) -> KeyAccess {
    KeyAccess {
        vault: Some(vault.clone() as Arc<dyn SecretVault>),
        passphrase: None,
        pin: None,
    }
}

pub fn passphrase_access(pass: &str) -> KeyAccess {
    KeyAccess {
        vault: None,
        passphrase: Some(SecretString::new(pass)),
        pin: None,
    }
}

pub fn config(dir: &Path, access: KeyAccess) -> PracticeConfig {
    PracticeConfig {
        data_dir: dir.to_path_buf(),
        est_port: 0,
        site_port: 0,
        key_access: access,
        client_validity: certdesk_practice::default_client_validity(),
    }
}

pub fn start_memory() -> Running {
    let data = tempfile::tempdir().expect("tempdir");
    let vault = Arc::new(MemoryVault::default());
    let server = start(config(&data.path().join("practice"), memory_access(&vault)))
        .expect("start the practice CA");
    Running {
        server,
        data,
        vault,
        work: tempfile::tempdir().expect("tempdir"),
    }
}

/// What curl got: HTTP status (0 when the connection or handshake failed), headers, body,
/// curl's exit code and stderr.
#[derive(Debug)]
pub struct CurlOut {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
    pub exit: i32,
    pub stderr: String,
}

impl CurlOut {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// `curl --cacert <practice CA> URL` plus `args`, in `work`.
pub fn curl(work: &Path, ca_file: &Path, url: &str, args: &[&str]) -> CurlOut {
    let body = work.join(format!("body-{}", rand_suffix()));
    let headers = work.join(format!("headers-{}", rand_suffix()));
    let out = Command::new("curl")
        .env("LC_ALL", "C")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(ca_file)
        .arg("-o")
        .arg(&body)
        .arg("-D")
        .arg(&headers)
        .args(["-w", "%{http_code}"])
        .args(args)
        .arg(url)
        .output()
        .expect("run curl (install it with scripts/install-deps.sh)");
    let status = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    CurlOut {
        status,
        headers: std::fs::read_to_string(&headers).unwrap_or_default(),
        body: std::fs::read(&body).unwrap_or_default(),
        exit: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A key and CSR made by `openssl req -new`: returns (key.pem path, csr.der path).
pub fn openssl_csr(work: &Path, stem: &str, subj: &str, email: Option<&str>) -> (PathBuf, PathBuf) {
    let key = work.join(format!("{stem}.key.pem"));
    let csr = work.join(format!("{stem}.csr.der"));
    let mut cmd = Command::new("openssl");
    cmd.args([
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
    ])
    .arg(&key)
    .args(["-subj", subj, "-outform", "DER", "-out"])
    .arg(&csr);
    if let Some(e) = email {
        cmd.args(["-addext", &format!("subjectAltName=email:{e}")]);
    }
    run_tool(&mut cmd).expect("openssl req -new");
    (key, csr)
}

/// `openssl base64` of a file: wrapped at 64 columns, or one line with `-A`.
pub fn openssl_base64(path: &Path, one_line: bool) -> Vec<u8> {
    let mut cmd = Command::new("openssl");
    cmd.args(["base64", "-in"]).arg(path);
    if one_line {
        cmd.arg("-A");
    }
    run_tool(&mut cmd).expect("openssl base64").stdout
}

/// An EST answer (base64 certs-only PKCS#7) → the certificates as PEM, via `openssl base64 -d`
/// and `openssl pkcs7 -print_certs`.
pub fn est_answer_to_pem(body: &[u8]) -> String {
    let der = run_tool_with_stdin(Command::new("openssl").args(["base64", "-d"]), body)
        .expect("openssl base64 -d")
        .stdout;
    assert!(
        !der.is_empty(),
        "the answer did not decode as base64: {body:?}"
    );
    let text = run_tool_with_stdin(
        Command::new("openssl").args(["pkcs7", "-inform", "DER", "-print_certs"]),
        &der,
    )
    .expect("openssl pkcs7 -print_certs")
    .stdout_text();
    let start = text
        .find("-----BEGIN CERTIFICATE")
        .unwrap_or_else(|| panic!("no certificate in {text}"));
    // Only the PEM blocks (print_certs puts subject=/issuer= lines before each).
    text[start..]
        .lines()
        .filter(|l| !l.starts_with("subject=") && !l.starts_with("issuer=") && !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Basic credentials as curl's `-u` argument.
pub fn demo_credentials(server: &PracticeServer) -> String {
    format!("{}:{}", server.demo_user, server.demo_code.expose())
}

/// Enrolls an openssl-made CSR and writes the issued certificate; returns (key, cert) paths.
pub fn enroll_alice(r: &Running) -> (PathBuf, PathBuf) {
    let work = r.work.path();
    let (key, csr) = openssl_csr(
        work,
        "alice",
        "/CN=Alice Example/O=Example Corp/emailAddress=alice@example.org",
        Some("alice@example.org"),
    );
    let b64 = work.join("alice.csr.b64");
    std::fs::write(&b64, openssl_base64(&csr, false)).expect("write");
    let out = curl(
        work,
        &r.server.ca_certificate_file,
        &format!("{}simpleenroll", r.server.est_url),
        &[
            "-u",
            &demo_credentials(&r.server),
            "-H",
            "Content-Type: application/pkcs10",
            "-H",
            "Content-Transfer-Encoding: base64",
            "--data-binary",
            &format!("@{}", b64.display()),
        ],
    );
    assert_eq!(out.status, 200, "{out:?}");
    let cert = work.join("alice.cert.pem");
    std::fs::write(&cert, est_answer_to_pem(&out.body)).expect("write");
    (key, cert)
}
