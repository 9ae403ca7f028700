//! nginx with `ssl_verify_client`, configured as in the nginx client-certificate tutorials.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::{
    quoted, running_as_root, start_with_retries, write_client_trust, write_private, Launch,
    Prepared, RunningServer, ServerIdentity, ServerKind, TlsVersions,
};

/// The value of nginx's `ssl_verify_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NginxVerify {
    /// `on`: a missing certificate gets the stock `400 No required SSL certificate was sent`
    /// page, one that fails verification (unknown CA, revoked, chain too deep) the stock
    /// `400 The SSL certificate error` page. The handshake itself always completes.
    #[default]
    On,
    /// `optional`: a certificate that fails verification still gets the stock 400 page; a
    /// missing one reaches the location, which answers
    /// `if ($ssl_client_verify != SUCCESS) { return 403; }`.
    Optional,
    /// `optional_no_ca`: any certificate (or none) is let through and the location answers 200;
    /// the verification result is only in the `X-Client-Verify` header (`SUCCESS`,
    /// `FAILED:<reason>` or `NONE`), as an application behind nginx would get it.
    OptionalNoCa,
}

impl NginxVerify {
    fn directive(self) -> &'static str {
        match self {
            NginxVerify::On => "on",
            NginxVerify::Optional => "optional",
            NginxVerify::OptionalNoCa => "optional_no_ca",
        }
    }
}

/// An nginx server that asks for a client certificate.
///
/// `location /` answers `200 "hello $ssl_client_s_dn\n"` (text/plain) and always adds the
/// header `X-Client-Verify: $ssl_client_verify`. Error pages are nginx's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NginxSpec {
    client_ca_pem: Vec<u8>,
    verify: NginxVerify,
    verify_depth: Option<u32>,
    tls: TlsVersions,
    crl_pem: Option<Vec<u8>>,
    server: Option<ServerIdentity>,
    http2: bool,
}

impl NginxSpec {
    /// `ssl_verify_client on` with `ssl_client_certificate` holding `client_ca_pem` (one or
    /// several PEM CA certificates; their names are sent as the acceptable CAs), TLS 1.2 and 1.3.
    pub fn new(client_ca_pem: &[u8]) -> NginxSpec {
        NginxSpec {
            client_ca_pem: client_ca_pem.to_vec(),
            verify: NginxVerify::On,
            verify_depth: None,
            tls: TlsVersions::default(),
            crl_pem: None,
            server: None,
            http2: false,
        }
    }

    /// `listen … ssl http2`: nginx chooses HTTP/2 when the client offers it by ALPN.
    pub fn http2(mut self) -> NginxSpec {
        self.http2 = true;
        self
    }

    /// `ssl_verify_client` mode.
    pub fn verify(mut self, verify: NginxVerify) -> NginxSpec {
        self.verify = verify;
        self
    }

    /// `ssl_verify_depth`. OpenSSL does not count the trust anchor: nginx's default 1 accepts
    /// leaf → issuing CA → trusted root; 0 only a leaf issued by a trusted CA directly.
    pub fn verify_depth(mut self, depth: u32) -> NginxSpec {
        self.verify_depth = Some(depth);
        self
    }

    /// `ssl_protocols`.
    pub fn tls(mut self, tls: TlsVersions) -> NginxSpec {
        self.tls = tls;
        self
    }

    /// `ssl_crl` with these CRLs (PEM). nginx then checks every CA in the chain, so a chain
    /// with an intermediate needs the CRLs of both.
    pub fn crl(mut self, crl_pem: &[u8]) -> NginxSpec {
        self.crl_pem = Some(crl_pem.to_vec());
        self
    }

    /// Serve this certificate instead of [`ServerIdentity::shared`].
    pub fn server_identity(mut self, server: ServerIdentity) -> NginxSpec {
        self.server = Some(server);
        self
    }

    /// Starts nginx; panics with its log and configuration if it does not come up.
    pub fn start(&self) -> RunningServer {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts nginx: `nginx -p DIR -c DIR/nginx.conf -g 'daemon off; master_process on;'`.
    pub fn try_start(&self) -> Result<RunningServer, String> {
        start_with_retries(
            "certdesk-nginx-",
            self.server.as_ref(),
            &|prepared, port| self.launch(prepared, port),
        )
    }

    fn launch(&self, prepared: &Prepared, port: u16) -> Launch {
        let dir = prepared.dir.path();
        let (client_ca, crl) =
            write_client_trust(dir, &self.client_ca_pem, self.crl_pem.as_deref());
        for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            let path = dir.join("tmp").join(sub);
            std::fs::create_dir_all(&path)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        }
        let config = dir.join("nginx.conf");
        let text = self.config_text(dir, prepared, &client_ca, crl.as_deref(), port);
        write_private(&config, text.as_bytes());
        let mut command = Command::new("nginx");
        command
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&config)
            .args(["-g", "daemon off; master_process on;"]);
        Launch {
            kind: ServerKind::Nginx,
            command,
            config,
            logs: vec![dir.join("error.log")],
            ready: (dir.join("error.log"), "start worker process"),
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
        c.push_str("# certdesk-testkit: nginx asking for a client certificate\n");
        if running_as_root() {
            // Workers would otherwise switch to `nobody`; everything here belongs to us.
            c.push_str("user root;\n");
        }
        let _ = writeln!(c, "worker_processes 1;");
        let _ = writeln!(c, "pid {};", q("nginx.pid"));
        let _ = writeln!(c, "error_log {} info;", q("error.log"));
        c.push_str("events { worker_connections 64; }\n");
        c.push_str("http {\n");
        let _ = writeln!(c, "  access_log {};", q("access.log"));
        for sub in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            let folder = if sub == "client_body" { "body" } else { sub };
            let _ = writeln!(c, "  {sub}_temp_path {};", q(&format!("tmp/{folder}")));
        }
        c.push_str("  server {\n");
        let http2 = if self.http2 { " http2" } else { "" };
        let _ = writeln!(c, "    listen 127.0.0.1:{port} ssl{http2};");
        c.push_str("    server_name localhost;\n");
        let _ = writeln!(c, "    ssl_certificate {};", quoted(&prepared.server_cert));
        let _ = writeln!(
            c,
            "    ssl_certificate_key {};",
            quoted(&prepared.server_key)
        );
        let protocols = match self.tls {
            TlsVersions::Tls12AndTls13 => "TLSv1.2 TLSv1.3",
            TlsVersions::Tls12Only => "TLSv1.2",
            TlsVersions::Tls13Only => "TLSv1.3",
        };
        let _ = writeln!(c, "    ssl_protocols {protocols};");
        let _ = writeln!(c, "    ssl_client_certificate {};", quoted(client_ca));
        let _ = writeln!(c, "    ssl_verify_client {};", self.verify.directive());
        if let Some(depth) = self.verify_depth {
            let _ = writeln!(c, "    ssl_verify_depth {depth};");
        }
        if let Some(crl) = crl {
            let _ = writeln!(c, "    ssl_crl {};", quoted(crl));
        }
        c.push_str("    default_type text/plain;\n");
        c.push_str("    location / {\n");
        c.push_str("      add_header X-Client-Verify $ssl_client_verify always;\n");
        if self.verify == NginxVerify::Optional {
            c.push_str("      if ($ssl_client_verify != SUCCESS) { return 403; }\n");
        }
        c.push_str("      return 200 \"hello $ssl_client_s_dn\\n\";\n");
        c.push_str("    }\n  }\n}\n");
        c
    }
}
