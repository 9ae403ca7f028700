//! The per-path re-check: sites that ask for a certificate only under some paths (Apache
//! `SSLVerifyClient` inside `<Location>`) do it after the handshake, through TLS 1.3
//! post-handshake authentication or TLS 1.2 renegotiation. rustls supports neither, and the
//! `openssl` crate has no safe switch for client-side post-handshake auth, so this check runs
//! OpenSSL's own client (`openssl s_client`), once with `-enable_pha` (what curl and Firefox
//! do) and once pinned to TLS 1.2 (renegotiation; what Chromium can still answer).
//!
//! The key reaches the child only as an `ENCRYPTED PRIVATE KEY` file (0600, in a private
//! temporary directory removed afterwards) whose random passphrase travels in the child's
//! environment, never on its command line.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::ClientIdentity;
use crate::fsutil::{write_atomic, FileMode};
use crate::key::RANDOM_SECRET_ITERATIONS;
use crate::secret::random_bytes;
use crate::weburl::WebUrl;

/// How the re-check asked the server to accept a certificate after the handshake.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecheckMethod {
    /// TLS 1.3 post-handshake authentication (curl, Firefox).
    Tls13PostHandshake,
    /// TLS 1.2 with renegotiation (Chromium on a TLS 1.2 connection).
    Tls12Renegotiation,
}

impl RecheckMethod {
    /// Plain words.
    pub fn describe(self) -> &'static str {
        match self {
            RecheckMethod::Tls13PostHandshake => {
                "TLS 1.3 post-handshake authentication (as curl and Firefox do)"
            }
            RecheckMethod::Tls12Renegotiation => "TLS 1.2 renegotiation",
        }
    }
}

/// The result of one re-check.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Recheck {
    /// How the certificate was offered.
    pub method: RecheckMethod,
    /// HTTP status, when an answer came.
    pub http_status: Option<u16>,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// Runs both re-checks. Returns an empty list when the `openssl` program is not available.
pub fn recheck_per_path(
    target: &WebUrl,
    identity: &ClientIdentity,
    server_ca_pem: Option<&[u8]>,
    timeout: Duration,
) -> Vec<Recheck> {
    let Some(openssl) = crate::systool::system_tool("openssl") else {
        return Vec::new();
    };
    [
        RecheckMethod::Tls13PostHandshake,
        RecheckMethod::Tls12Renegotiation,
    ]
    .into_iter()
    .map(
        |method| match run_one(&openssl, method, target, identity, server_ca_pem, timeout) {
            Ok(status) => Recheck {
                method,
                http_status: status,
                error: status
                    .is_none()
                    .then(|| "the server closed the connection without answering".into()),
            },
            Err(e) => Recheck {
                method,
                http_status: None,
                error: Some(e),
            },
        },
    )
    .collect()
}

fn run_one(
    openssl: &std::path::Path,
    method: RecheckMethod,
    target: &WebUrl,
    identity: &ClientIdentity,
    server_ca_pem: Option<&[u8]>,
    timeout: Duration,
) -> Result<Option<u16>, String> {
    let dir = tempfile::Builder::new()
        .prefix("certdesk-recheck-")
        .tempdir()
        .map_err(|e| format!("could not create a private temporary directory: {e}"))?;
    let (host, port) = (target.host(), target.port());
    let host = host.as_str();
    let passphrase = zeroize::Zeroizing::new(hex::encode(random_bytes::<24>()));
    let super::ClientKey::Software(key) = &identity.key else {
        // openssl s_client would need the token's module as a provider; not offered.
        return Err("the key is on a token, which openssl s_client cannot use here".into());
    };
    let key_pem = key
        .encrypt_pkcs8_pem(passphrase.as_bytes(), RANDOM_SECRET_ITERATIONS)
        .map_err(|e| e.to_string())?;
    let key_path = dir.path().join("key.pem");
    write_atomic(&key_path, key_pem.as_bytes(), FileMode::Private).map_err(|e| e.to_string())?;
    let leaf_path = dir.path().join("cert.pem");
    let chain_path = dir.path().join("chain.pem");
    let leaf = identity.chain.first().ok_or("no certificate")?;
    write_atomic(
        &leaf_path,
        crate::cert::to_pem(leaf).as_bytes(),
        FileMode::Public,
    )
    .map_err(|e| e.to_string())?;
    let chain: String = identity.chain[1..]
        .iter()
        .map(|c| crate::cert::to_pem(c))
        .collect();
    write_atomic(&chain_path, chain.as_bytes(), FileMode::Public).map_err(|e| e.to_string())?;

    let mut cmd = Command::new(openssl);
    cmd.arg("s_client")
        .arg("-connect")
        .arg(if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        })
        .args(["-quiet", "-verify_return_error", "-cert"])
        .arg(&leaf_path)
        .arg("-key")
        .arg(&key_path)
        .args(["-pass", "env:CERTDESK_RECHECK_PASS"])
        .env("CERTDESK_RECHECK_PASS", passphrase.as_str());
    if !chain.is_empty() {
        cmd.arg("-cert_chain").arg(&chain_path);
    }
    // The server's name is checked as in the first request (rustls does it there): without
    // -verify_hostname / -verify_ip, s_client accepts any name on a trusted chain.
    if host.parse::<std::net::IpAddr>().is_ok() {
        cmd.args(["-verify_ip", host]);
    } else {
        cmd.args(["-servername", host, "-verify_hostname", host]);
    }
    if let Some(ca) = server_ca_pem {
        let ca_path = dir.path().join("server-ca.pem");
        write_atomic(&ca_path, ca, FileMode::Public).map_err(|e| e.to_string())?;
        cmd.arg("-CAfile").arg(&ca_path);
    }
    match method {
        RecheckMethod::Tls13PostHandshake => cmd.args(["-tls1_3", "-enable_pha"]),
        RecheckMethod::Tls12Renegotiation => cmd.arg("-tls1_2"),
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start openssl: {e}"))?;
    let (path, host_header) = (target.path_and_query(), target.host_header());
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: certdesk-recheck\r\nConnection: close\r\n\r\n");
    // stdin stays open until the child ends (dropped after the loop): closing it early would
    // end the session before a renegotiation or post-handshake request could be answered.
    let mut stdin = child.stdin.take();
    if let Some(pipe) = stdin.as_mut() {
        let _ = pipe.write_all(request.as_bytes());
        let _ = pipe.flush();
    }
    // Drain both pipes while the child runs: a page larger than the pipe buffer would
    // otherwise block it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(1 << 20).read_to_end(&mut out);
            }
            out
        })
    };
    let stdout_reader = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr_reader = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let timed_out = loop {
        match child.try_wait() {
            Ok(Some(_)) => break false,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break true;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    };
    drop(stdin);
    let out = stdout_reader.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&stderr_reader.join().unwrap_or_default()).into_owned();
    if timed_out && out.is_empty() {
        return Err(format!("no answer within {} s", timeout.as_secs()));
    }
    let status = response_status(&out);
    if status.is_none() {
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string();
        if !last.is_empty() {
            return Err(last);
        }
    }
    Ok(status)
}

/// The status code of the HTTP/1.x response that `openssl s_client` printed (`httparse`; a
/// response head cut short still has its status line).
fn response_status(out: &[u8]) -> Option<u16> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(out) {
        Ok(_) | Err(httparse::Error::TooManyHeaders) => response.code,
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::response_status;

    #[test]
    fn the_status_comes_from_the_status_line_only() {
        assert_eq!(
            response_status(b"HTTP/1.1 403 Forbidden\r\nServer: Apache\r\n\r\nno"),
            Some(403)
        );
        // Cut off inside the headers: the status line is complete.
        assert_eq!(response_status(b"HTTP/1.0 200 OK\r\nContent-Ty"), Some(200));
        // Not a response, or a status line that is not one.
        assert_eq!(response_status(b"verify error:num=20\r\n"), None);
        assert_eq!(response_status(b"HTTP/1.1 4033 Nope\r\n\r\n"), None);
        assert_eq!(response_status(b""), None);
    }
}
