//! A Node.js `https` server that asks for a client certificate and decides in its own code
//! ([`NODE_SERVER_JS`]), as the Node client-certificate tutorials do.

use std::fmt::Write as _;
use std::process::Command;

use super::{
    start_with_retries, write_client_trust, write_private, Launch, Prepared, RunningServer,
    ServerIdentity, ServerKind, TlsVersions,
};
use crate::cmd::write_file;

/// The server script (`requestCert: true, rejectUnauthorized: false`); its header comment
/// lists the environment it reads and the answers it gives.
pub const NODE_SERVER_JS: &str = include_str!("server.js");

/// A Node.js https server: the TLS handshake accepts any client certificate or none, and the
/// request handler answers
/// - `401 {"error":"certificate required"}` without a certificate,
/// - `401 {"error":"certificate not accepted","reason":"<authorizationError>"}` when it does
///   not verify against the client CA (e.g. `SELF_SIGNED_CERT_IN_CHAIN` for a foreign chain sent
///   with its root, `UNABLE_TO_GET_ISSUER_CERT_LOCALLY` without it, `UNABLE_TO_GET_CRL`,
///   `CERT_REVOKED`),
/// - `403 {"error":"organization not allowed","organization":…,"required":…}` when
///   [`NodeSpec::require_org`] is set and the subject's O differs,
/// - otherwise `200 "hello <CN>\n"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    client_ca_pem: Vec<u8>,
    required_org: Option<String>,
    tls: TlsVersions,
    crl_pem: Option<Vec<u8>>,
    server: Option<ServerIdentity>,
}

impl NodeSpec {
    /// `ca` = `client_ca_pem` (one or several PEM CA certificates), TLS 1.2 and 1.3.
    pub fn new(client_ca_pem: &[u8]) -> NodeSpec {
        NodeSpec {
            client_ca_pem: client_ca_pem.to_vec(),
            required_org: None,
            tls: TlsVersions::default(),
            crl_pem: None,
            server: None,
        }
    }

    /// Answer 403 unless the subject's O is `org`.
    pub fn require_org(mut self, org: &str) -> NodeSpec {
        self.required_org = Some(org.to_owned());
        self
    }

    /// `minVersion` / `maxVersion`.
    pub fn tls(mut self, tls: TlsVersions) -> NodeSpec {
        self.tls = tls;
        self
    }

    /// The `crl` option with these CRLs (PEM); Node then checks every CA in the chain.
    pub fn crl(mut self, crl_pem: &[u8]) -> NodeSpec {
        self.crl_pem = Some(crl_pem.to_vec());
        self
    }

    /// Serve this certificate instead of [`ServerIdentity::shared`].
    pub fn server_identity(mut self, server: ServerIdentity) -> NodeSpec {
        self.server = Some(server);
        self
    }

    /// Starts the script; panics with its output if it does not come up.
    pub fn start(&self) -> RunningServer {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts `node server.js` with its settings in the environment; ready once it printed
    /// `listening` and accepts connections.
    pub fn try_start(&self) -> Result<RunningServer, String> {
        start_with_retries("certdesk-node-", self.server.as_ref(), &|prepared, port| {
            self.launch(prepared, port)
        })
    }

    fn launch(&self, prepared: &Prepared, port: u16) -> Launch {
        let dir = prepared.dir.path();
        let script = dir.join("server.js");
        write_file(&script, NODE_SERVER_JS.as_bytes());
        let (client_ca, crl) =
            write_client_trust(dir, &self.client_ca_pem, self.crl_pem.as_deref());
        let mut env: Vec<(&str, String)> = vec![
            ("PORT", port.to_string()),
            ("SERVER_CERT", prepared.server_cert.display().to_string()),
            ("SERVER_KEY", prepared.server_key.display().to_string()),
            ("CLIENT_CA", client_ca.display().to_string()),
        ];
        if let Some(path) = crl {
            env.push(("CLIENT_CRL", path.display().to_string()));
        }
        if let Some(org) = &self.required_org {
            env.push(("REQUIRED_O", org.clone()));
        }
        match self.tls {
            TlsVersions::Tls12AndTls13 => {}
            TlsVersions::Tls12Only => {
                env.push(("TLS_MIN", "TLSv1.2".into()));
                env.push(("TLS_MAX", "TLSv1.2".into()));
            }
            TlsVersions::Tls13Only => {
                env.push(("TLS_MIN", "TLSv1.3".into()));
                env.push(("TLS_MAX", "TLSv1.3".into()));
            }
        }
        // The "configuration" of this server is its environment; keep it for RunningServer::config.
        let config = dir.join("server.env");
        let mut text = String::new();
        for (key, value) in &env {
            let _ = writeln!(text, "{key}={value}");
        }
        write_private(&config, text.as_bytes());
        let mut command = Command::new("node");
        command.arg(&script);
        // NODE_OPTIONS from the caller's environment could change TLS defaults; start clean.
        command.env_remove("NODE_OPTIONS");
        command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        Launch {
            kind: ServerKind::Node,
            command,
            config,
            logs: Vec::new(),
            ready: (prepared.output.clone(), "listening"),
        }
    }
}
