//! A client PKI for site-check tests, made once per test process with `openssl`.
//!
//! Only PEM bytes are kept (the CAs' temporary directories are deleted once the fixture is
//! built), so nothing is left behind when the process ends. Each part is built on first use:
//! under nextest every test is its own process and pays only for what it touches.

use std::process::Command;
use std::sync::OnceLock;

use crate::cmd::{read_file, run_tool, temp_dir, write_file};
use crate::{IssuedIdentity, OpensslCa, SignOpts};

/// The organisation servers are told to require ([`crate::servers::ApacheSpec::require_org`],
/// [`crate::servers::NodeSpec::require_org`]).
pub const ORG: &str = "Example Corp";

/// Client certificates from one root CA, `CN=Example Client Root CA, O=certdesk-testkit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPki {
    /// The client CA certificate (PEM): what a server trusts for clients.
    pub ca_pem: Vec<u8>,
    /// `CN=alice, OU=Engineering, O=Example Corp`: accepted everywhere.
    pub alice: IssuedIdentity,
    /// `CN=mallory, O=Other Corp`: trusted CA, wrong organisation.
    pub mallory: IssuedIdentity,
    /// `CN=revoked, O=Example Corp`: revoked (keyCompromise), listed in [`ClientPki::crl_pem`].
    pub revoked: IssuedIdentity,
    /// The client CA's CRL (PEM), listing `revoked`.
    pub crl_pem: Vec<u8>,
}

/// A client identity from a CA that no server here trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignPki {
    /// `CN=Example Other Root CA, O=certdesk-testkit`.
    pub ca_pem: Vec<u8>,
    /// `CN=stranger, O=Example Corp`.
    pub stranger: IssuedIdentity,
}

/// A client identity issued by an intermediate: leaf → `Example Chained Issuing CA` →
/// `Example Chained Root CA`. Its `cert.chain_pem` holds the intermediate and the root, so a
/// client sending the full chain lets a server that trusts only the root build the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedPki {
    /// The root (PEM): what a server trusts.
    pub root_pem: Vec<u8>,
    /// `CN=carol, O=Example Corp`, two CAs deep.
    pub carol: IssuedIdentity,
}

/// The shared [`ClientPki`].
pub fn client_pki() -> &'static ClientPki {
    static PKI: OnceLock<ClientPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca = OpensslCa::new("Example Client");
        let alice = issue_client_with_subject(
            &ca,
            &format!("/O={ORG}/OU=Engineering/CN=alice"),
            SignOpts::default(),
        );
        let mallory =
            issue_client_with_subject(&ca, "/O=Other Corp/CN=mallory", SignOpts::default());
        let revoked =
            issue_client_with_subject(&ca, &format!("/O={ORG}/CN=revoked"), SignOpts::default());
        ca.revoke(&revoked.cert.cert_pem);
        ClientPki {
            ca_pem: ca.root_pem().to_vec(),
            alice,
            mallory,
            revoked,
            crl_pem: ca.gencrl(),
        }
    })
}

/// The shared [`ForeignPki`].
pub fn foreign_pki() -> &'static ForeignPki {
    static PKI: OnceLock<ForeignPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca = OpensslCa::new("Example Other");
        let stranger =
            issue_client_with_subject(&ca, &format!("/O={ORG}/CN=stranger"), SignOpts::default());
        ForeignPki {
            ca_pem: ca.root_pem().to_vec(),
            stranger,
        }
    })
}

/// The shared [`ChainedPki`].
pub fn chained_pki() -> &'static ChainedPki {
    static PKI: OnceLock<ChainedPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca = OpensslCa::with_intermediate("Example Chained");
        let carol =
            issue_client_with_subject(&ca, &format!("/O={ORG}/CN=carol"), SignOpts::default());
        ChainedPki {
            root_pem: ca.root_pem().to_vec(),
            carol,
        }
    })
}

/// An ECDSA P-256 key and a client certificate (clientAuth) for `subject`, given in
/// `openssl -subj` form (`/O=Example Corp/OU=Engineering/CN=alice`; the DN keeps this order,
/// which RFC 2253 prints reversed: `CN=alice,OU=Engineering,O=Example Corp`).
pub fn issue_client_with_subject(ca: &OpensslCa, subject: &str, opts: SignOpts) -> IssuedIdentity {
    let tmp = temp_dir("certdesk-csr-");
    let config = tmp.path().join("req.cnf");
    let key = tmp.path().join("client.key");
    let csr = tmp.path().join("client.csr");
    write_file(
        &config,
        b"[ req ]\ndistinguished_name = req_dn\ndefault_md = sha256\n[ req_dn ]\n",
    );
    run_tool(
        Command::new("openssl")
            .args(["req", "-new", "-newkey", "ec"])
            .args(["-pkeyopt", "ec_paramgen_curve:P-256", "-noenc", "-config"])
            .arg(&config)
            .arg("-subj")
            .arg(subject)
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&csr),
    )
    .unwrap_or_else(|e| panic!("openssl req for {subject} failed: {e}"));
    let cert = ca.sign_csr(&read_file(&csr), opts);
    IssuedIdentity {
        key_pem: read_file(&key),
        cert,
    }
}
