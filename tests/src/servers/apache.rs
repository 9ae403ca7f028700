//! Apache 2.4 with mod_ssl, configured as in the Apache client-certificate tutorials
//! (`SSLVerifyClient`, `SSLCACertificateFile`, `SSLVerifyDepth`, `SSLRequire` / `Require expr`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::{
    quoted, running_as_root, start_with_retries, write_client_trust, write_private, Launch,
    Prepared, RunningServer, ServerIdentity, ServerKind, TlsVersions,
};
use crate::cmd::write_file;

/// The path that asks for a certificate under [`ApacheVerify::PerLocation`].
pub const APACHE_SECURE_PATH: &str = "/secure";

/// Where Apache's modules are on Debian.
const MODULES: &str = "/usr/lib/apache2/modules";

/// How the virtual host asks for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApacheVerify {
    /// `SSLVerifyClient require` for the whole virtual host: a missing or refused certificate
    /// ends the connection with a TLS alert (in TLS 1.2 during the handshake, in TLS 1.3 on
    /// the client's first read), no HTTP answer.
    #[default]
    Require,
    /// `SSLVerifyClient optional`: a certificate that fails verification still gets an alert;
    /// without one the request reaches `<Location />`, whose
    /// `Require expr %{SSL_CLIENT_VERIFY} == 'SUCCESS'` answers 403.
    Optional,
    /// No `SSLVerifyClient` on the virtual host; `<Location /secure>` has
    /// `SSLVerifyClient require`. The handshake carries no certificate request; for
    /// [`APACHE_SECURE_PATH`] Apache asks afterwards, by TLS 1.3 post-handshake authentication
    /// or by TLS 1.2 renegotiation. Everything else answers 200 without a certificate.
    PerLocation,
}

/// A rule on the subject's organisation, answered with 403.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OrgRule {
    /// `Require expr %{SSL_CLIENT_S_DN_O} == '…'` (Apache 2.4 style).
    RequireExpr(String),
    /// `SSLRequire %{SSL_CLIENT_S_DN_O} eq "…"` (the older mod_ssl style many tutorials use).
    SslRequire(String),
}

/// An Apache 2.4 mod_ssl virtual host that asks for a client certificate.
///
/// Every URL serves one server-side-include page: `200 "hello <SSL_CLIENT_S_DN>\n"`
/// (text/plain; `(none)` without a certificate). Every answer, errors included, carries the
/// headers `X-Client-DN` and `X-Client-Verify` (`SUCCESS`, `NONE`, `FAILED:…`, `(null)` before
/// client authentication). `SSLOptions +StdEnvVars` is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApacheSpec {
    client_ca_pem: Vec<u8>,
    verify: ApacheVerify,
    verify_depth: Option<u32>,
    tls: TlsVersions,
    crl_pem: Option<Vec<u8>>,
    org_rule: Option<OrgRule>,
    server: Option<ServerIdentity>,
    http2: bool,
}

impl ApacheSpec {
    /// `SSLVerifyClient require` with `SSLCACertificateFile` holding `client_ca_pem` (one or
    /// several PEM CA certificates), TLS 1.2 and 1.3.
    pub fn new(client_ca_pem: &[u8]) -> ApacheSpec {
        ApacheSpec {
            client_ca_pem: client_ca_pem.to_vec(),
            verify: ApacheVerify::Require,
            verify_depth: None,
            tls: TlsVersions::default(),
            crl_pem: None,
            org_rule: None,
            server: None,
            http2: false,
        }
    }

    /// `Protocols h2 http/1.1` with mod_http2: the server chooses HTTP/2 when the client
    /// offers it by ALPN, as browsers do.
    pub fn http2(mut self) -> ApacheSpec {
        self.http2 = true;
        self
    }

    /// Where and how `SSLVerifyClient` is set.
    pub fn verify(mut self, verify: ApacheVerify) -> ApacheSpec {
        self.verify = verify;
        self
    }

    /// `SSLVerifyDepth`. Unlike nginx, Apache counts the trusted root: its default 1 refuses
    /// leaf → issuing CA → root (log: "Certificate Chain too long", alert: internal error);
    /// such a chain needs 2.
    pub fn verify_depth(mut self, depth: u32) -> ApacheSpec {
        self.verify_depth = Some(depth);
        self
    }

    /// `SSLProtocol`.
    pub fn tls(mut self, tls: TlsVersions) -> ApacheSpec {
        self.tls = tls;
        self
    }

    /// `SSLCARevocationFile` with these CRLs (PEM) and `SSLCARevocationCheck chain`: every CA
    /// in the client's chain needs its CRL here.
    pub fn crl(mut self, crl_pem: &[u8]) -> ApacheSpec {
        self.crl_pem = Some(crl_pem.to_vec());
        self
    }

    /// Only clients whose subject O is `org` get through; others get 403, from
    /// `Require expr %{SSL_CLIENT_S_DN_O} == 'org'` in the protected `<Location>`.
    pub fn require_org(mut self, org: &str) -> ApacheSpec {
        self.org_rule = Some(OrgRule::RequireExpr(checked_org(org)));
        self
    }

    /// Like [`ApacheSpec::require_org`] with the legacy `SSLRequire %{SSL_CLIENT_S_DN_O} eq "org"`.
    pub fn ssl_require_org(mut self, org: &str) -> ApacheSpec {
        self.org_rule = Some(OrgRule::SslRequire(checked_org(org)));
        self
    }

    /// Serve this certificate instead of [`ServerIdentity::shared`].
    pub fn server_identity(mut self, server: ServerIdentity) -> ApacheSpec {
        self.server = Some(server);
        self
    }

    /// Starts Apache; panics with its log and configuration if it does not come up.
    pub fn start(&self) -> RunningServer {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts Apache: `apache2 -f DIR/httpd.conf -DFOREGROUND` (mpm_event, one child).
    pub fn try_start(&self) -> Result<RunningServer, String> {
        start_with_retries(
            "certdesk-apache-",
            self.server.as_ref(),
            &|prepared, port| self.launch(prepared, port),
        )
    }

    fn launch(&self, prepared: &Prepared, port: u16) -> Launch {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = prepared.dir.path();
        let (client_ca, crl) =
            write_client_trust(dir, &self.client_ca_pem, self.crl_pem.as_deref());
        for sub in ["run", "htdocs"] {
            let path = dir.join(sub);
            std::fs::create_dir_all(&path)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
        }
        let page = dir.join("htdocs").join("hello.shtml");
        write_file(
            &page,
            b"hello <!--#echo encoding=\"none\" var=\"SSL_CLIENT_S_DN\" -->\n",
        );
        std::fs::set_permissions(&page, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", page.display()));
        let config = dir.join("httpd.conf");
        let text = self.config_text(dir, prepared, &client_ca, crl.as_deref(), port);
        write_private(&config, text.as_bytes());
        let mut command = Command::new("apache2");
        command.arg("-f").arg(&config).arg("-DFOREGROUND");
        Launch {
            kind: ServerKind::Apache,
            command,
            config,
            logs: vec![dir.join("error.log")],
            ready: (dir.join("error.log"), "resuming normal operations"),
        }
    }

    fn config_text(
        &self,
        dir: &Path,
        prepared: &Prepared,
        client_ca: &Path,
        crl: Option<&Path>,
        port: u16,
    ) -> String {
        let q = |name: &str| quoted(&dir.join(name));
        let mut c = String::new();
        c.push_str("# certdesk-testkit: Apache mod_ssl asking for a client certificate\n");
        let _ = writeln!(c, "ServerRoot {}", quoted(dir));
        c.push_str("ServerName localhost\n");
        let _ = writeln!(c, "Listen 127.0.0.1:{port}");
        let _ = writeln!(c, "PidFile {}", q("httpd.pid"));
        let _ = writeln!(c, "DefaultRuntimeDir {}", q("run"));
        let _ = writeln!(c, "Mutex file:{} default", dir.join("run").display());
        let _ = writeln!(c, "ErrorLog {}", q("error.log"));
        c.push_str("LogLevel info\n");
        for module in [
            "mpm_event",
            "authz_core",
            "alias",
            "headers",
            "include",
            "socache_shmcb",
            "ssl",
        ] {
            let _ = writeln!(c, "LoadModule {module}_module {MODULES}/mod_{module}.so");
        }
        if self.http2 {
            let _ = writeln!(c, "LoadModule http2_module {MODULES}/mod_http2.so");
        }
        if running_as_root() {
            // Apache refuses to serve as root; workers drop to nobody, which is why the
            // directory and the page are world-readable (keys stay 0600, read before the drop).
            c.push_str("User nobody\nGroup nogroup\n");
        }
        c.push_str(
            "StartServers 1\nServerLimit 1\nThreadLimit 8\nThreadsPerChild 8\n\
             MinSpareThreads 1\nMaxSpareThreads 8\nMaxRequestWorkers 8\n",
        );
        let _ = writeln!(
            c,
            "SSLSessionCache \"shmcb:{}(512000)\"",
            dir.join("run").join("ssl_scache").display()
        );
        c.push_str("<Directory />\n  AllowOverride None\n  Require all denied\n</Directory>\n");
        let _ = writeln!(c, "<VirtualHost 127.0.0.1:{port}>");
        let _ = writeln!(c, "  DocumentRoot {}", q("htdocs"));
        c.push_str("  SSLEngine on\n");
        if self.http2 {
            c.push_str("  Protocols h2 http/1.1\n");
        }
        let _ = writeln!(c, "  SSLCertificateFile {}", quoted(&prepared.server_cert));
        let _ = writeln!(
            c,
            "  SSLCertificateKeyFile {}",
            quoted(&prepared.server_key)
        );
        let mut protocols = String::from("-all");
        if self.tls.allows_tls12() {
            protocols.push_str(" +TLSv1.2");
        }
        if self.tls.allows_tls13() {
            protocols.push_str(" +TLSv1.3");
        }
        let _ = writeln!(c, "  SSLProtocol {protocols}");
        let _ = writeln!(c, "  SSLCACertificateFile {}", quoted(client_ca));
        if let Some(crl) = crl {
            let _ = writeln!(c, "  SSLCARevocationFile {}", quoted(crl));
            c.push_str("  SSLCARevocationCheck chain\n");
        }
        let verify_lines = |indent: &str, mode: &str| {
            let mut lines = format!("{indent}SSLVerifyClient {mode}\n");
            if let Some(depth) = self.verify_depth {
                let _ = writeln!(lines, "{indent}SSLVerifyDepth {depth}");
            }
            lines
        };
        match self.verify {
            ApacheVerify::Require => c.push_str(&verify_lines("  ", "require")),
            ApacheVerify::Optional => c.push_str(&verify_lines("  ", "optional")),
            ApacheVerify::PerLocation => {}
        }
        c.push_str("  SSLOptions +StdEnvVars\n");
        c.push_str("  Header always set X-Client-DN \"%{SSL_CLIENT_S_DN}s\"\n");
        c.push_str("  Header always set X-Client-Verify \"%{SSL_CLIENT_VERIFY}s\"\n");
        let _ = writeln!(
            c,
            "  AliasMatch \"^/.*$\" {}",
            quoted(&dir.join("htdocs").join("hello.shtml"))
        );
        let _ = writeln!(c, "  <Directory {}>", q("htdocs"));
        c.push_str(
            "    Options +IncludesNoExec\n    ForceType text/plain\n    \
             SetOutputFilter INCLUDES\n    Require all granted\n  </Directory>\n",
        );
        // The protected location: where the certificate is asked for (per-location) and where
        // the authorisation rules live, which replace the directory's `Require all granted`.
        let protected = match self.verify {
            ApacheVerify::PerLocation => APACHE_SECURE_PATH,
            ApacheVerify::Require | ApacheVerify::Optional => "/",
        };
        let mut inner = String::new();
        if self.verify == ApacheVerify::PerLocation {
            inner.push_str(&verify_lines("    ", "require"));
        }
        let mut requires = Vec::new();
        if self.verify == ApacheVerify::Optional {
            requires.push("Require expr %{SSL_CLIENT_VERIFY} == 'SUCCESS'".to_owned());
        }
        match &self.org_rule {
            Some(OrgRule::RequireExpr(org)) => {
                requires.push(format!("Require expr %{{SSL_CLIENT_S_DN_O}} == '{org}'"));
            }
            Some(OrgRule::SslRequire(org)) => {
                let _ = writeln!(inner, "    SSLRequire %{{SSL_CLIENT_S_DN_O}} eq \"{org}\"");
            }
            None => {}
        }
        match requires.len() {
            0 => {}
            1 => {
                let _ = writeln!(inner, "    {}", requires[0]);
            }
            _ => {
                inner.push_str("    <RequireAll>\n");
                for line in &requires {
                    let _ = writeln!(inner, "      {line}");
                }
                inner.push_str("    </RequireAll>\n");
            }
        }
        if !inner.is_empty() {
            let _ = writeln!(c, "  <Location {protected}>");
            c.push_str(&inner);
            c.push_str("  </Location>\n");
        }
        c.push_str("</VirtualHost>\n");
        c
    }
}

/// An organisation name that can sit between quotes in an Apache expression.
fn checked_org(org: &str) -> String {
    assert!(
        !org.contains(['\'', '"', '\\', '\n']),
        "organisation for an Apache rule must not contain quotes or backslashes: {org:?}"
    );
    org.to_owned()
}
