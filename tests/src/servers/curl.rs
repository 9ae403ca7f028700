//! `curl` (with OpenSSL) as the reference client: what a site answers to a client that does
//! everything TLS allows, including TLS 1.3 post-handshake authentication and renegotiation.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::RunningServer;
use crate::cmd::temp_dir;
use crate::IdentityFiles;

/// A `curl` GET request (HTTP/1.1, no proxy, no `.curlrc`, 15 s limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Curl {
    url: String,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    extra: Vec<String>,
}

impl Curl {
    /// A request to `url` with the system's trust store.
    pub fn new(url: &str) -> Curl {
        Curl {
            url: url.to_owned(),
            cacert: None,
            cert: None,
            key: None,
            extra: Vec::new(),
        }
    }

    /// A request to `path` on `server`, trusting its server CA.
    pub fn to(server: &RunningServer, path: &str) -> Curl {
        Curl::new(&server.url_for(path)).cacert(&server.server_ca_path())
    }

    /// `--cacert`.
    pub fn cacert(mut self, path: &Path) -> Curl {
        self.cacert = Some(path.to_path_buf());
        self
    }

    /// `--cert {full_chain} --key {key}`: the leaf and its chain are sent.
    pub fn identity(mut self, files: &IdentityFiles) -> Curl {
        self.cert = Some(files.full_chain.clone());
        self.key = Some(files.key.clone());
        self
    }

    /// Any further curl argument, e.g. `--tls-max 1.2` as two calls.
    pub fn arg(mut self, arg: &str) -> Curl {
        self.extra.push(arg.to_owned());
        self
    }

    /// Runs curl; a transport failure is an outcome (`exit_code` != 0), not a panic.
    pub fn run(&self) -> CurlOutcome {
        let tmp = temp_dir("certdesk-curl-");
        let body_path = tmp.path().join("body");
        let headers_path = tmp.path().join("headers");
        let mut cmd = Command::new("curl");
        // -q must come first: it disables ~/.curlrc.
        cmd.args([
            "-q",
            "-sS",
            "--http1.1",
            "--noproxy",
            "*",
            "--max-time",
            "15",
        ])
        .arg("-o")
        .arg(&body_path)
        .arg("-D")
        .arg(&headers_path)
        .args(["-w", "%{http_code}"]);
        if let Some(cacert) = &self.cacert {
            cmd.arg("--cacert").arg(cacert);
        }
        if let Some(cert) = &self.cert {
            cmd.arg("--cert").arg(cert);
        }
        if let Some(key) = &self.key {
            cmd.arg("--key").arg(key);
        }
        cmd.args(&self.extra).arg(&self.url);
        let output = cmd
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("could not start curl: {e} (is it installed? run scripts/install-deps.sh)")
            });
        let read = |p: &Path| {
            std::fs::read(p)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        CurlOutcome {
            exit_code: output.status.code().unwrap_or(-1),
            http_code: String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .unwrap_or(0),
            headers: read(&headers_path),
            body: read(&body_path),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }
    }
}

/// What curl saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurlOutcome {
    /// curl's exit code: 0, or e.g. 35 (handshake failed), 56 (receive failed: a TLS alert
    /// after the handshake), 60 (server certificate not trusted).
    pub exit_code: i32,
    /// HTTP status, 0 when no answer arrived.
    pub http_code: u16,
    /// Response headers as received (status line included).
    pub headers: String,
    /// Response body.
    pub body: String,
    /// curl's error message (`curl: (56) OpenSSL SSL_read: … alert certificate required …`).
    pub stderr: String,
}

impl CurlOutcome {
    /// The value of the first response header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

impl std::fmt::Display for CurlOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "curl exit {} HTTP {} body {:?} stderr {:?}",
            self.exit_code, self.http_code, self.body, self.stderr
        )
    }
}
