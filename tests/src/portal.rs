//! A classic "paste or upload your CSR" web portal: Apache 2.4 (mod_ssl + mod_cgid) serving a
//! form page at `/` and a CGI script ([`PORTAL_SUBMIT_CGI`], python3) at `/submit.cgi` that signs
//! the request with `openssl ca` (an [`OpensslCa`]) and answers the certificate and its chain as
//! PEM (`application/x-pem-file`). Input it cannot use gets 200 with an HTML page titled
//! "Request rejected", as real portals do. `/protected/submit.cgi` is the same script behind
//! HTTP Basic (`AuthType Basic`, an htpasswd file made with `openssl passwd -apr1`).
//!
//! The script takes a urlencoded field `csr`, a multipart file field `file` (or `csr`), or the
//! request as the whole body (PEM or DER). The server certificate is
//! [`ServerIdentity::shared`] (`IP:127.0.0.1`, `DNS:localhost`).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::cmd::{read_file, run_tool, run_tool_with_stdin, temp_dir, write_file};
use crate::servers::ServerIdentity;
use crate::{free_port, ChildGuard, OpensslCa};

/// The portal's submit script (written into the server's directory, mode 0755).
pub const PORTAL_SUBMIT_CGI: &str = include_str!("portal_submit.py");

/// Where the form posts (no authentication).
pub const PORTAL_SUBMIT_PATH: &str = "/submit.cgi";

/// The same script behind HTTP Basic.
pub const PORTAL_PROTECTED_PATH: &str = "/protected/submit.cgi";

const MODULES: &str = "/usr/lib/apache2/modules";

const FORM_PAGE: &str = r#"<!DOCTYPE html>
<html><head><title>Request a client certificate</title></head>
<body>
<h1>Request a client certificate</h1>
<form method="post" action="/submit.cgi">
<p>Paste your certificate request (PEM):</p>
<textarea name="csr" rows="20" cols="66"></textarea>
<p><input type="submit" value="Submit request"></p>
</form>
<form method="post" action="/submit.cgi" enctype="multipart/form-data">
<p>Or upload the request file: <input type="file" name="file"> <input type="submit" value="Upload"></p>
</form>
</body></html>
"#;

/// A running portal; Apache's process group is stopped by PID on drop.
pub struct PortalServer {
    port: u16,
    server_ca_pem: Vec<u8>,
    // Field order: the process stops before its directory is deleted.
    guard: ChildGuard,
    dir: TempDir,
}

impl PortalServer {
    /// Starts Apache on a free 127.0.0.1 port. `ca` signs the requests; its directory is
    /// handed to the user the CGI runs as (`nobody` when the tests run as root). `user` and
    /// `password` open [`PORTAL_PROTECTED_PATH`]. Panics with Apache's log when it does not
    /// come up.
    pub fn start(ca: &OpensslCa, user: &str, password: &str) -> PortalServer {
        let server = ServerIdentity::shared();
        let as_root = running_as_root();
        if as_root {
            // `openssl ca` in the CGI writes the CA's database as the worker user.
            run_tool(
                Command::new("chown")
                    .args(["-R", "nobody:nogroup"])
                    .arg(ca.dir()),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut last_error = String::new();
        for _attempt in 0..3 {
            match try_start(ca, user, password, server, as_root) {
                Ok(portal) => return portal,
                Err((error, port_taken)) => {
                    last_error = error;
                    if !port_taken {
                        break;
                    }
                }
            }
        }
        panic!("{last_error}")
    }

    /// The 127.0.0.1 port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://127.0.0.1:PORT{path}`.
    pub fn url_for(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// The CA certificate (PEM) of the server's certificate.
    pub fn server_ca_pem(&self) -> &[u8] {
        &self.server_ca_pem
    }

    /// That CA certificate as a file.
    pub fn server_ca_path(&self) -> PathBuf {
        self.dir.path().join("server-ca.pem")
    }

    /// PID of Apache's main process.
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// Apache's error log (CGI errors included) and its access log, for failing tests.
    pub fn log(&self) -> String {
        let mut text = String::new();
        for name in ["error.log", "access.log", "output.log"] {
            if let Ok(content) = std::fs::read_to_string(self.dir.path().join(name)) {
                let _ = writeln!(text, "--- {name} ---\n{}", content.trim_end());
            }
        }
        text
    }
}

impl std::fmt::Debug for PortalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalServer")
            .field("port", &self.port)
            .field("pid", &self.guard.pid())
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
}

/// `Err((message with log and configuration, port_was_taken))`.
fn try_start(
    ca: &OpensslCa,
    user: &str,
    password: &str,
    server: &ServerIdentity,
    as_root: bool,
) -> Result<PortalServer, (String, bool)> {
    let dir = temp_dir("certdesk-portal-");
    let d = dir.path();
    set_mode(d, 0o755);
    for sub in ["run", "htdocs", "cgi-bin"] {
        std::fs::create_dir_all(d.join(sub)).unwrap_or_else(|e| panic!("cannot create {sub}: {e}"));
        set_mode(&d.join(sub), 0o755);
    }
    if as_root {
        // mod_cgid's socket lives here and is created by the worker user.
        run_tool(
            Command::new("chown")
                .arg("nobody:nogroup")
                .arg(d.join("run")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    write_file(&d.join("server-ca.pem"), &server.ca_pem);
    write_file(&d.join("server-fullchain.pem"), &server.cert_chain_pem);
    write_file(&d.join("server.key"), &server.key_pem);
    set_mode(&d.join("server.key"), 0o600);
    write_file(&d.join("mime.types"), b"");
    write_file(&d.join("htdocs").join("index.html"), FORM_PAGE.as_bytes());
    set_mode(&d.join("htdocs").join("index.html"), 0o644);
    let script = d.join("cgi-bin").join("submit.cgi");
    write_file(&script, PORTAL_SUBMIT_CGI.as_bytes());
    set_mode(&script, 0o755);
    let chain = d.join("ca-chain.pem");
    write_file(&chain, &ca.chain_pem());
    set_mode(&chain, 0o644);
    // htpasswd with an APR1-MD5 hash; the password reaches openssl on stdin, not argv.
    let hash = run_tool_with_stdin(
        Command::new("openssl").args(["passwd", "-apr1", "-stdin"]),
        format!("{password}\n").as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .stdout_text();
    let htpasswd = d.join("htpasswd");
    write_file(&htpasswd, format!("{user}:{}\n", hash.trim()).as_bytes());
    set_mode(&htpasswd, 0o644);

    let port = free_port();
    let config = d.join("httpd.conf");
    let ca_config = ca.issuer_cert_path().with_file_name("ca.cnf");
    write_file(
        &config,
        config_text(d, port, &script, &ca_config, &chain, as_root).as_bytes(),
    );
    set_mode(&config, 0o600);
    let output = d.join("output.log");
    let out = std::fs::File::create(&output)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", output.display()));
    let err = out
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot duplicate a file handle: {e}"));
    let mut guard = ChildGuard::spawn(
        Command::new("apache2")
            .arg("-f")
            .arg(&config)
            .arg("-DFOREGROUND")
            .current_dir(d)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err),
    )
    .map_err(|e| {
        (
            format!("{e} (is apache2 installed? run scripts/install-deps.sh)"),
            false,
        )
    })?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    loop {
        let failed = if guard.try_wait().is_some() {
            Some("exited during start-up")
        } else if Instant::now() >= deadline {
            Some("did not accept connections within 10 s")
        } else {
            None
        };
        if let Some(what) = failed {
            drop(guard);
            let mut log = String::new();
            for name in ["error.log", "output.log"] {
                log.push_str(&String::from_utf8_lossy(
                    &std::fs::read(d.join(name)).unwrap_or_default(),
                ));
            }
            let taken = log.contains("in use");
            return Err((
                format!(
                    "portal Apache on 127.0.0.1:{port} {what}\n--- log ---\n{}\n--- httpd.conf ---\n{}",
                    log.trim_end(),
                    String::from_utf8_lossy(&read_file(&config))
                ),
                taken,
            ));
        }
        let ready = std::fs::read_to_string(d.join("error.log"))
            .is_ok_and(|t| t.contains("resuming normal operations"));
        if ready && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Ok(PortalServer {
        port,
        server_ca_pem: server.ca_pem.clone(),
        guard,
        dir,
    })
}

fn config_text(
    dir: &Path,
    port: u16,
    script: &Path,
    ca_config: &Path,
    chain: &Path,
    as_root: bool,
) -> String {
    let q = |p: &Path| {
        let text = p.display().to_string();
        assert!(!text.contains('"'), "unexpected quote in {text}");
        format!("\"{text}\"")
    };
    let mut c = String::new();
    c.push_str("# certdesk-testkit: a classic CSR upload portal (Apache + CGI + openssl ca)\n");
    let _ = writeln!(c, "ServerRoot {}", q(dir));
    c.push_str("ServerName localhost\n");
    let _ = writeln!(c, "Listen 127.0.0.1:{port}");
    let _ = writeln!(c, "PidFile {}", q(&dir.join("httpd.pid")));
    let _ = writeln!(c, "DefaultRuntimeDir {}", q(&dir.join("run")));
    let _ = writeln!(c, "Mutex file:{} default", dir.join("run").display());
    let _ = writeln!(c, "ErrorLog {}", q(&dir.join("error.log")));
    c.push_str("LogLevel info\n");
    for module in [
        "mpm_event",
        "authz_core",
        "authn_core",
        "authn_file",
        "auth_basic",
        "authz_user",
        "alias",
        "mime",
        "dir",
        "env",
        "cgid",
        "socache_shmcb",
        "ssl",
    ] {
        let _ = writeln!(c, "LoadModule {module}_module {MODULES}/mod_{module}.so");
    }
    if as_root {
        c.push_str("User nobody\nGroup nogroup\n");
    }
    c.push_str(
        "StartServers 1\nServerLimit 1\nThreadLimit 8\nThreadsPerChild 8\n\
         MinSpareThreads 1\nMaxSpareThreads 8\nMaxRequestWorkers 8\n",
    );
    let _ = writeln!(c, "ScriptSock {}", q(&dir.join("run").join("cgid.sock")));
    let _ = writeln!(c, "TypesConfig {}", q(&dir.join("mime.types")));
    c.push_str("AddType text/html .html\n");
    let _ = writeln!(
        c,
        "CustomLog {} \"%h %u \\\"%r\\\" %>s %b\"",
        q(&dir.join("access.log"))
    );
    let _ = writeln!(
        c,
        "SSLSessionCache \"shmcb:{}(512000)\"",
        dir.join("run").join("ssl_scache").display()
    );
    c.push_str("<Directory />\n  AllowOverride None\n  Require all denied\n</Directory>\n");
    let _ = writeln!(c, "<VirtualHost 127.0.0.1:{port}>");
    let _ = writeln!(c, "  DocumentRoot {}", q(&dir.join("htdocs")));
    c.push_str("  DirectoryIndex index.html\n  SSLEngine on\n");
    let _ = writeln!(
        c,
        "  SSLCertificateFile {}",
        q(&dir.join("server-fullchain.pem"))
    );
    let _ = writeln!(c, "  SSLCertificateKeyFile {}", q(&dir.join("server.key")));
    c.push_str("  SSLProtocol -all +TLSv1.2 +TLSv1.3\n");
    let _ = writeln!(c, "  SetEnv CA_CONFIG {}", q(ca_config));
    let _ = writeln!(c, "  SetEnv CA_CHAIN {}", q(chain));
    let _ = writeln!(c, "  ScriptAlias {PORTAL_PROTECTED_PATH} {}", q(script));
    let _ = writeln!(c, "  ScriptAlias {PORTAL_SUBMIT_PATH} {}", q(script));
    let _ = writeln!(c, "  <Directory {}>", q(&dir.join("htdocs")));
    c.push_str("    Require all granted\n  </Directory>\n");
    let _ = writeln!(c, "  <Directory {}>", q(&dir.join("cgi-bin")));
    c.push_str("    Options +ExecCGI\n    Require all granted\n  </Directory>\n");
    c.push_str(
        "  <Location /protected>\n    AuthType Basic\n    AuthName \"Certificate portal\"\n",
    );
    let _ = writeln!(c, "    AuthUserFile {}", q(&dir.join("htpasswd")));
    c.push_str("    Require valid-user\n  </Location>\n");
    c.push_str("</VirtualHost>\n");
    c
}

/// Whether this process runs as root (effective uid 0).
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
