//! An EST server (RFC 7030) that certdesk did not write: [`EST_SERVER_PY`], Python 3's stdlib
//! `http.server` + `ssl`, whose certificates come from `openssl ca` (an [`OpensslCa`]) and whose
//! certs-only PKCS#7 comes from `openssl crl2pkcs7`, base64 wrapped at 64 columns.
//!
//! One server covers every case: the EST label picks the behaviour
//! (`/.well-known/est/<case>/…`, see [`EstCase`] and the script's docstring). The server
//! certificate has the single subjectAltName `IP:127.0.0.1` (so `https://localhost:PORT` is a
//! name mismatch) and comes from its own "EST Server" CA, which no client trusts by default.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::cmd::{read_file, run_tool, temp_dir, write_file};
use crate::servers::ServerIdentity;
use crate::{ChildGuard, OpensslCa};

/// The server script (written into the server's directory and run with `python3`).
pub const EST_SERVER_PY: &str = include_str!("est_server.py");

/// The behaviours the server's labels select (`/.well-known/est/<label>/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstCase {
    /// A normal server: simpleenroll needs HTTP Basic user + code, else 401 + WWW-Authenticate.
    Ok,
    /// The first simpleenroll of a CSR gets 202 + `Retry-After: 1`, the next the certificate.
    Pending,
    /// simpleenroll: 403 with a text body.
    Forbidden,
    /// 404 for every operation, cacerts included.
    NotFound,
    /// simpleenroll: 500 "database locked".
    Error500,
    /// simpleenroll: 200 with an HTML login page titled "Sign in".
    Html,
    /// simpleenroll: 200 with an empty body.
    Empty,
    /// simpleenroll: 200 with base64 of bytes that are not PKCS#7.
    BadP7,
    /// simpleenroll: 200 with a certificate for a key the server made up.
    OtherKey,
    /// simpleenroll: sleeps 60 s (use a short client timeout).
    Hang,
    /// simpleenroll: 200 at once, then one body byte every 0.5 s for 30 s: no single read
    /// waits long, the whole answer takes long.
    Trickle,
    /// Every operation: 302 to the same path over plain `http://`.
    Redirect,
    /// Every operation: 302 to `https://localhost:PORT/.well-known/est/ok/…`, another host
    /// name of the same server.
    Elsewhere,
    /// simpleenroll: 200 with a 6 MB body.
    Huge,
    /// simpleenroll as [`EstCase::Ok`]; simplereenroll needs a TLS client certificate from the
    /// CA and a CSR with that certificate's subject.
    Reenroll,
    /// simpleenroll as [`EstCase::Ok`]; csrattrs asks for an ECDSA P-384 key
    /// (id-ecPublicKey + secp384r1, ecdsa-with-SHA384).
    WantP384,
    /// simpleenroll as [`EstCase::Ok`]; csrattrs asks for sha384WithRSAEncryption.
    WantRsa384,
    /// simpleenroll as [`EstCase::Ok`]; csrattrs names keyUsage, extKeyUsage and
    /// subjectAltName in an extensionRequest (RFC 7030 §4.5.2's form).
    WantExt,
    /// simpleenroll as [`EstCase::Ok`]; csrattrs in RFC 9908's template form: challengePassword,
    /// an extensionRequest with keyUsage digitalSignature and extKeyUsage clientAuth Extension
    /// templates, and sha512WithRSAEncryption.
    WantTemplate,
}

impl EstCase {
    /// The EST label of this case.
    pub fn label(self) -> &'static str {
        match self {
            EstCase::Ok => "ok",
            EstCase::Pending => "pending",
            EstCase::Forbidden => "forbidden",
            EstCase::NotFound => "notfound",
            EstCase::Error500 => "error500",
            EstCase::Html => "html",
            EstCase::Empty => "empty",
            EstCase::BadP7 => "badp7",
            EstCase::OtherKey => "otherkey",
            EstCase::Hang => "hang",
            EstCase::Trickle => "trickle",
            EstCase::Redirect => "redirect",
            EstCase::Elsewhere => "elsewhere",
            EstCase::Huge => "huge",
            EstCase::Reenroll => "reenroll",
            EstCase::WantP384 => "wantp384",
            EstCase::WantRsa384 => "wantrsa384",
            EstCase::WantExt => "wantext",
            EstCase::WantTemplate => "wanttemplate",
        }
    }
}

/// A running [`EST_SERVER_PY`] on 127.0.0.1; stopped by PID (its process group) on drop.
pub struct EstServer {
    port: u16,
    server: ServerIdentity,
    server_ca_sha256: String,
    log: PathBuf,
    // Field order: the process stops before its directory is deleted.
    guard: ChildGuard,
    dir: TempDir,
}

impl EstServer {
    /// Starts the server; `ca` signs the requests (`openssl ca`, its `client_cert` section) and
    /// is the CA whose certificates `simplereenroll` accepts; `user` and `code` open
    /// simpleenroll. Panics with the server's log when it does not come up.
    pub fn start(ca: &OpensslCa, user: &str, code: &str) -> EstServer {
        let server_ca = OpensslCa::new("EST Server");
        let id = server_ca.issue_server_identity(&["127.0.0.1"]);
        let server = ServerIdentity {
            ca_pem: server_ca.root_pem().to_vec(),
            cert_chain_pem: id.cert.full_chain_pem(),
            key_pem: id.key_pem,
        };
        EstServer::start_with(ca, user, code, server)
    }

    /// Like [`EstServer::start`] with a given server certificate.
    pub fn start_with(ca: &OpensslCa, user: &str, code: &str, server: ServerIdentity) -> EstServer {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = temp_dir("certdesk-est-");
        let path = |name: &str| dir.path().join(name);
        let work = path("work");
        std::fs::create_dir_all(&work)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", work.display()));
        write_file(&path("est_server.py"), EST_SERVER_PY.as_bytes());
        write_file(&path("server-ca.pem"), &server.ca_pem);
        write_file(&path("server.pem"), &server.cert_chain_pem);
        for (name, bytes) in [
            ("server.key", &server.key_pem[..]),
            ("code", code.as_bytes()),
        ] {
            write_file(&path(name), bytes);
            std::fs::set_permissions(path(name), std::fs::Permissions::from_mode(0o600))
                .unwrap_or_else(|e| panic!("cannot chmod {name}: {e}"));
        }
        write_file(&path("client-ca.pem"), &ca.chain_pem());
        write_file(&path("ca-chain.pem"), &ca.chain_pem());
        // The issuing level's `openssl ca` configuration sits beside its certificate.
        let ca_config = ca.issuer_cert_path().with_file_name("ca.cnf");
        let log = path("server.log");
        let log_file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let mut cmd = Command::new("python3");
        cmd.arg(path("est_server.py"))
            .arg("--cert")
            .arg(path("server.pem"))
            .arg("--key")
            .arg(path("server.key"))
            .arg("--client-ca")
            .arg(path("client-ca.pem"))
            .arg("--ca-config")
            .arg(&ca_config)
            .arg("--ca-chain")
            .arg(path("ca-chain.pem"))
            .arg("--work")
            .arg(&work)
            .arg("--user")
            .arg(user)
            .arg("--code-file")
            .arg(path("code"))
            .current_dir(dir.path())
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        let mut guard = ChildGuard::spawn(&mut cmd).unwrap_or_else(|e| panic!("{e}"));
        let stdout = guard.child_mut().stdout.take().expect("stdout is piped");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("LISTENING ")
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or_else(|| {
                let status = guard.try_wait();
                panic!(
                    "the EST server did not start ({status:?}); it printed {line:?}\n--- log ---\n{}",
                    String::from_utf8_lossy(&read_file(&log))
                )
            });
        let fp = run_tool(
            Command::new("openssl")
                .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
                .arg(path("server-ca.pem")),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .stdout_text();
        let server_ca_sha256 = fp
            .trim()
            .split_once('=')
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| panic!("unexpected openssl fingerprint output {fp:?}"));
        EstServer {
            port,
            server,
            server_ca_sha256,
            log,
            guard,
            dir,
        }
    }

    /// The 127.0.0.1 port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://127.0.0.1:PORT/.well-known/est/<case>` (the EST base of one behaviour).
    pub fn url_for(&self, case: EstCase) -> String {
        format!(
            "https://127.0.0.1:{}/.well-known/est/{}",
            self.port,
            case.label()
        )
    }

    /// The CA certificate (PEM) that issued the server's certificate.
    pub fn server_ca_pem(&self) -> &[u8] {
        &self.server.ca_pem
    }

    /// That CA certificate as a file (`--ca-file`, `curl --cacert`).
    pub fn server_ca_path(&self) -> PathBuf {
        self.dir.path().join("server-ca.pem")
    }

    /// SHA-256 fingerprint of the server's CA as `openssl x509 -fingerprint -sha256` prints it
    /// (upper-case colon hex).
    pub fn server_ca_sha256(&self) -> &str {
        &self.server_ca_sha256
    }

    /// PID of the Python process.
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// The CSRs (PEM files) that simpleenroll/simplereenroll of `case` received and
    /// `openssl req -verify` accepted, in the order they arrived.
    pub fn received_csrs(&self, case: EstCase) -> Vec<PathBuf> {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(self.dir.path().join("work"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        let n = name
                            .strip_prefix(&format!("received-{}-", case.label()))?
                            .strip_suffix(".csr")?
                            .parse()
                            .ok()?;
                        Some((n, e.path()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found.into_iter().map(|(_, p)| p).collect()
    }

    /// The request log (request lines and errors, no headers), for failing tests.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&read_file(&self.log)).into_owned()
    }
}

impl std::fmt::Debug for EstServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EstServer")
            .field("port", &self.port)
            .field("pid", &self.guard.pid())
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}
