//! Real TLS servers that ask for client certificates: nginx, Apache 2.4 mod_ssl and a Node.js
//! `https` script, from the system packages, configured the way the tutorials our users follow
//! configure them.
//!
//! Each `…Spec` ([`NginxSpec`], [`ApacheSpec`], [`NodeSpec`]) describes one scenario (how the
//! client certificate is requested and verified, TLS versions, CRL, a rule on the subject's O);
//! `start()` writes the configuration into a fresh temporary directory, starts the server as the
//! current user on an ephemeral 127.0.0.1 port in the foreground, waits until it accepts
//! connections and returns a [`RunningServer`]. Dropping it (or [`RunningServer::stop`]) stops
//! the server's whole process group by PID and deletes the directory.
//!
//! Every server answers a request it accepted with `200` and a body `hello <client subject>`
//! (nginx and Apache print the RFC 2253 DN, e.g. `hello CN=alice,OU=Engineering,O=Example Corp`;
//! the Node script prints the CN, `hello alice`). How each refuses is the server's own stock
//! behaviour, which is what certdesk's site check has to explain; see each spec's documentation.
//!
//! The server certificate comes from a throwaway "Example Server" CA ([`ServerIdentity`]) with
//! subjectAltNames `IP:127.0.0.1` and `DNS:localhost`; trust it with
//! [`RunningServer::server_ca_pem`] / [`RunningServer::server_ca_path`].
//!
//! [`fixture`] has a ready-made client PKI (accepted, wrong-O, revoked, foreign and chained
//! identities) and [`Curl`] runs the reference client, `curl` with OpenSSL, which unlike rustls
//! and Chromium also does TLS 1.3 post-handshake authentication.

mod apache;
mod curl;
pub mod fixture;
mod nginx;
mod node;

#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::cmd::{temp_dir, write_file};
use crate::{free_port, ChildGuard, OpensslCa};

pub use apache::{ApacheSpec, ApacheVerify, APACHE_SECURE_PATH};
pub use curl::{Curl, CurlOutcome};
pub use nginx::{NginxSpec, NginxVerify};
pub use node::{NodeSpec, NODE_SERVER_JS};

/// How long a server may take to accept connections before `start()` gives up.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Which TLS versions a server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    /// TLS 1.2 and TLS 1.3 (what the servers ship with).
    #[default]
    Tls12AndTls13,
    /// TLS 1.2 only: a refused client certificate fails the handshake itself.
    Tls12Only,
    /// TLS 1.3 only: the client's certificate is judged after its Finished, so a refusal
    /// arrives on the first read.
    Tls13Only,
}

impl TlsVersions {
    fn allows_tls12(self) -> bool {
        self != TlsVersions::Tls13Only
    }

    fn allows_tls13(self) -> bool {
        self != TlsVersions::Tls12Only
    }
}

/// The server's certificate and key, and the CA that issued them, as PEM bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerIdentity {
    /// Root certificate of the issuing CA (`CN=Example Server Root CA`): what a client trusts.
    pub ca_pem: Vec<u8>,
    /// Server certificate followed by its chain.
    pub cert_chain_pem: Vec<u8>,
    /// Unencrypted PKCS#8 private key.
    pub key_pem: Vec<u8>,
}

impl ServerIdentity {
    /// A new "Example Server" CA and a certificate for `127.0.0.1` and `localhost` from it.
    pub fn generate() -> ServerIdentity {
        let ca = OpensslCa::new("Example Server");
        let id = ca.issue_server_identity(&["127.0.0.1", "localhost"]);
        ServerIdentity {
            ca_pem: ca.root_pem().to_vec(),
            cert_chain_pem: id.cert.full_chain_pem(),
            key_pem: id.key_pem,
        }
    }

    /// One [`ServerIdentity::generate`] shared by the whole test process (specs use it unless
    /// given another).
    pub fn shared() -> &'static ServerIdentity {
        static SHARED: OnceLock<ServerIdentity> = OnceLock::new();
        SHARED.get_or_init(ServerIdentity::generate)
    }
}

/// Which server a [`RunningServer`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `nginx` (Debian package nginx).
    Nginx,
    /// `apache2` with mod_ssl (Debian package apache2).
    Apache,
    /// `node` running [`NODE_SERVER_JS`].
    Node,
}

/// A server started by a spec's `start()`; stopped by PID and its directory deleted on drop.
pub struct RunningServer {
    /// Which server this is.
    pub kind: ServerKind,
    /// The 127.0.0.1 port it listens on.
    pub port: u16,
    /// `https://127.0.0.1:{port}/`.
    pub url: String,
    /// The CA certificate (PEM) that issued the server certificate.
    pub server_ca_pem: Vec<u8>,
    // Field order matters: the process is stopped before its directory is deleted.
    guard: ChildGuard,
    logs: Vec<PathBuf>,
    config: PathBuf,
    dir: TempDir,
}

impl RunningServer {
    /// `https://127.0.0.1:{port}{path}`; `path` should start with `/`.
    pub fn url_for(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// The server CA certificate as a file (`curl --cacert`).
    pub fn server_ca_path(&self) -> PathBuf {
        self.dir.path().join("server-ca.pem")
    }

    /// The server's own directory (configuration, certificates, logs); tests may write client
    /// files here too, e.g. `identity.write_to(server.dir(), "alice")`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// PID of the server's main process (the leader of its process group).
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// Everything the server logged so far (error log, then anything on stdout/stderr), for
    /// failing tests.
    pub fn log(&self) -> String {
        read_logs(&self.logs)
    }

    /// The request lines of nginx's access log (`GET /path HTTP/1.1`), in order. nginx logs a
    /// request after its answer went out, so this waits (up to 5 s) until at least `at_least`
    /// lines are there, and then 300 ms more, so that a line too many is seen too.
    pub fn logged_requests(&self, at_least: usize) -> Vec<String> {
        let read = || {
            std::fs::read_to_string(self.dir().join("access.log"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.split('"').nth(1).map(str::to_string))
                .collect::<Vec<_>>()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while read().len() < at_least && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        read()
    }

    /// The configuration file the server runs with (nginx.conf, httpd.conf, or the Node
    /// script's environment).
    pub fn config(&self) -> String {
        std::fs::read_to_string(&self.config).unwrap_or_default()
    }

    /// Stops the server now (SIGTERM to its process group, SIGKILL after five seconds).
    pub fn stop(self) -> Option<ExitStatus> {
        let RunningServer { guard, dir, .. } = self;
        let status = guard.stop();
        drop(dir);
        status
    }
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("pid", &self.guard.pid())
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

/// What a spec hands to [`launch_and_wait`]: the command to run and where it logs.
struct Launch {
    kind: ServerKind,
    command: Command,
    config: PathBuf,
    /// The server's own log files; [`RunningServer::log`] shows them, then [`Prepared::output`].
    logs: Vec<PathBuf>,
    /// A log file and the text the server writes there once it is ready. Accepting TCP
    /// connections is not enough: Apache binds its port before mod_ssl reads the certificates
    /// (and may still exit), and the kernel completes connections on a listening socket.
    ready: (PathBuf, &'static str),
}

/// Files every server needs, written into a fresh directory.
struct Prepared {
    dir: TempDir,
    server_ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    /// Receives the process's stdout and stderr (early start-up errors, Node's output).
    output: PathBuf,
}

fn prepare(prefix: &str, server: &ServerIdentity) -> Prepared {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp_dir(prefix);
    // Apache started as root serves files as `nobody`, which must be able to enter the
    // directory; the key files themselves stay 0600 (read by the root parent at start).
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", dir.path().display()));
    let prepared = Prepared {
        server_ca: dir.path().join("server-ca.pem"),
        server_cert: dir.path().join("server-fullchain.pem"),
        server_key: dir.path().join("server.key"),
        output: dir.path().join("output.log"),
        dir,
    };
    write_file(&prepared.server_ca, &server.ca_pem);
    write_file(&prepared.server_cert, &server.cert_chain_pem);
    write_private(&prepared.server_key, &server.key_pem);
    prepared
}

/// Writes the client CA a server trusts, and its CRL when there is one, into the server's
/// directory; returns their paths.
fn write_client_trust(
    dir: &Path,
    ca_pem: &[u8],
    crl_pem: Option<&[u8]>,
) -> (PathBuf, Option<PathBuf>) {
    let ca = dir.join("client-ca.pem");
    write_file(&ca, ca_pem);
    let crl = crl_pem.map(|pem| {
        let path = dir.join("client-crl.pem");
        write_file(&path, pem);
        path
    });
    (ca, crl)
}

fn write_private(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt as _;
    write_file(path, bytes);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
}

/// Starts a server on a fresh port, retrying with another port when the one picked was taken
/// in the meantime (`free_port` releases its port before the server binds it).
///
/// `build` writes the configuration for `(dir, port)` and returns the command. The returned
/// error carries the server's log and configuration.
fn start_with_retries(
    prefix: &str,
    server: Option<&ServerIdentity>,
    build: &dyn Fn(&Prepared, u16) -> Launch,
) -> Result<RunningServer, String> {
    let server_id = server.unwrap_or_else(|| ServerIdentity::shared());
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let prepared = prepare(prefix, server_id);
        let port = free_port();
        let launch = build(&prepared, port);
        match launch_and_wait(prepared, port, launch, &server_id.ca_pem) {
            Ok(running) => return Ok(running),
            Err((error, port_taken)) => {
                last_error = error;
                if !port_taken {
                    break;
                }
            }
        }
    }
    Err(last_error)
}

/// Spawns the server and waits for it; `Err((message, port_was_taken))`.
fn launch_and_wait(
    prepared: Prepared,
    port: u16,
    launch: Launch,
    server_ca_pem: &[u8],
) -> Result<RunningServer, (String, bool)> {
    let Launch {
        kind,
        mut command,
        config,
        mut logs,
        ready: (ready_log, ready_text),
    } = launch;
    logs.push(prepared.output.clone());
    let out = std::fs::File::create(&prepared.output)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", prepared.output.display()));
    let err = out
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot duplicate a file handle: {e}"));
    command
        .current_dir(prepared.dir.path())
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    let mut guard = ChildGuard::spawn(&mut command).map_err(|e| {
        (
            format!("{e} (is it installed? run scripts/install-deps.sh)"),
            false,
        )
    })?;
    let deadline = Instant::now() + START_TIMEOUT;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let failure = |what: String, guard: ChildGuard| {
        drop(guard);
        let log = read_logs(&logs);
        let taken = log.contains("in use") || log.contains("EADDRINUSE");
        let config_text = std::fs::read_to_string(&config).unwrap_or_default();
        (
            format!(
                "{kind:?} on 127.0.0.1:{port} {what}\n--- log ---\n{}\n--- {} ---\n{}",
                log.trim_end(),
                config.display(),
                config_text.trim_end()
            ),
            taken,
        )
    };
    loop {
        if let Some(status) = guard.try_wait() {
            return Err(failure(format!("exited during start-up ({status})"), guard));
        }
        let ready_printed =
            std::fs::read_to_string(&ready_log).is_ok_and(|text| text.contains(ready_text));
        if ready_printed && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        if Instant::now() >= deadline {
            return Err(failure(
                format!("did not accept connections within {START_TIMEOUT:?}"),
                guard,
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Ok(RunningServer {
        kind,
        port,
        url: format!("https://127.0.0.1:{port}/"),
        server_ca_pem: server_ca_pem.to_vec(),
        guard,
        logs,
        config,
        dir: prepared.dir,
    })
}

fn read_logs(logs: &[PathBuf]) -> String {
    let mut text = String::new();
    for path in logs {
        let Ok(content) = std::fs::read_to_string(path) else {
            continue;
        };
        if content.trim().is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push_str(&format!("--- {} ---\n", path.display()));
        }
        text.push_str(&content);
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    text
}

/// Whether this process runs as root (effective uid 0), read from `/proc/self/status`.
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// A path for a configuration file, quoted; the temporary directories have no quotes in them.
fn quoted(path: &Path) -> String {
    let text = path.display().to_string();
    assert!(
        !text.contains('"'),
        "unexpected quote in a temporary path: {text}"
    );
    format!("\"{text}\"")
}
