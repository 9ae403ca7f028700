//! Site check: a real mTLS request to a site, and a plain-language diagnosis of the answer.
//!
//! [`connect`] does the I/O (DNS, TCP, TLS, one HTTP request) and records a [`Transcript`];
//! [`diagnose`] is pure and turns a transcript plus the local identity into a verdict and
//! findings. A rejection is a successful check with a `rejected` verdict, not an error.

pub mod connect;
pub mod diagnose;
pub mod exchange;
pub mod recheck;

use std::time::Duration;

use serde::Serialize;

use crate::cert::CertInfo;
use crate::key::PrivateKey;

pub use connect::run_probe;
pub use diagnose::diagnose;

/// The whole site check: reads the presented identity's certificates, makes the request
/// ([`run_probe`]) and diagnoses the transcript ([`diagnose`]) at the current time. Every front
/// end calls this; a rejection is a report, not an error.
pub fn check_site(request: &ProbeRequest) -> crate::Result<ProbeReport> {
    let local = request
        .identity
        .as_ref()
        .map(|i| diagnose::LocalIdentity::from_chain(&i.chain))
        .transpose()?;
    let transcript = run_probe(request)?;
    let mut report = diagnose(transcript, local.as_ref(), time::OffsetDateTime::now_utc());
    // Issue #15: a token that cannot sign RSA-PSS was refused under TLS 1.3; show what the same
    // site answers the same token over TLS 1.2, where PKCS#1 v1.5 signatures are allowed.
    let no_pss = report
        .findings
        .iter()
        .any(|f| f.code == "token_cannot_sign_rsa_pss");
    if let (
        true,
        Some(ClientIdentity {
            key: ClientKey::Token(signer),
            chain,
        }),
    ) = (no_pss, &request.identity)
    {
        let retry = ProbeRequest {
            url: request.url.clone(),
            identity: Some(ClientIdentity {
                key: ClientKey::Token(signer.clone()),
                chain: chain.clone(),
            }),
            server_ca_pem: request.server_ca_pem.clone(),
            timeout: request.timeout,
        };
        let tls12 = connect::run_probe_with(&retry, &[&rustls::version::TLS12])?;
        let tls12 = diagnose(tls12, local.as_ref(), time::OffsetDateTime::now_utc());
        report.tls12_retry = Some(Tls12Retry {
            verdict: tls12.verdict,
            sentence: tls12.sentence,
            tls_version: tls12.transcript.tls_version,
            http_status: tls12.transcript.http_status,
        });
    }
    Ok(report)
}

/// The same check again over TLS 1.2 only (see [`check_site`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tls12Retry {
    /// The answer over TLS 1.2.
    pub verdict: Verdict,
    /// That answer in one sentence.
    pub sentence: String,
    /// The version negotiated (`TLSv1.2`, or none when the site does not speak it).
    pub tls_version: Option<String>,
    /// The HTTP status over TLS 1.2.
    pub http_status: Option<u16>,
}

/// The private key of an identity to present.
#[derive(Debug)]
pub enum ClientKey {
    /// In memory (never leaves this process).
    Software(PrivateKey),
    /// On a PKCS#11 token, which signs each handshake (`C_Sign`).
    Token(crate::token::TokenSigner),
}

impl From<PrivateKey> for ClientKey {
    fn from(key: PrivateKey) -> ClientKey {
        ClientKey::Software(key)
    }
}

/// The identity to present: a key and its chain, leaf first (DER).
#[derive(Debug)]
pub struct ClientIdentity {
    /// The private key, in memory or on a token.
    pub key: ClientKey,
    /// Certificate chain, leaf first.
    pub chain: Vec<Vec<u8>>,
}

/// What to check.
#[derive(Debug)]
pub struct ProbeRequest {
    /// `https://host[:port]/path`.
    pub url: String,
    /// The identity to present, or none to see what the site does without one.
    pub identity: Option<ClientIdentity>,
    /// CA certificates (PEM or DER) trusted for the server instead of the OS roots (a private
    /// server CA, as `curl --cacert`).
    pub server_ca_pem: Option<Vec<u8>>,
    /// Limit for each of connect, handshake and response.
    pub timeout: Duration,
}

/// How far the check got and how long each phase took.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PhaseTiming {
    /// `dns`, `tcp`, `tls`, `http`.
    pub phase: String,
    /// Milliseconds.
    pub millis: u64,
}

/// A TLS alert and when it came.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AlertSeen {
    /// The alert description as rustls names it (`UnknownCA`, `CertificateRequired`, …).
    pub description: String,
    /// `handshake` or `after_handshake` (TLS 1.3 rejections arrive on the first read).
    pub when: String,
}

/// Why the server's certificate was not trusted.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ServerTrustProblem {
    /// Issued by a CA we do not trust.
    UnknownIssuer,
    /// Not valid for the host name asked for.
    NameMismatch,
    /// Expired or not yet valid.
    Expired,
    /// Anything else webpki refused.
    Other(String),
}

/// The facts gathered by [`connect::run_probe`].
#[derive(Debug, Clone, Serialize, Default)]
pub struct Transcript {
    /// The URL checked.
    pub url: String,
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Addresses the name resolved to.
    pub addresses: Vec<String>,
    /// The proxy used (`host:port`), from the environment.
    pub proxy: Option<String>,
    /// Phase timings.
    pub timings: Vec<PhaseTiming>,
    /// Where the check stopped without an answer: `dns`, `tcp`, `tls`, `http`.
    pub failed_phase: Option<String>,
    /// The low-level error, in the library's words.
    pub error_detail: Option<String>,
    /// Negotiated TLS version (`TLSv1.3`).
    pub tls_version: Option<String>,
    /// Negotiated cipher suite.
    pub cipher_suite: Option<String>,
    /// The server's certificate chain as presented, leaf first.
    pub server_chain: Vec<CertInfo>,
    /// Why the server was not trusted, when it was not.
    pub server_trust_problem: Option<ServerTrustProblem>,
    /// Whether the server sent a CertificateRequest.
    pub certificate_requested: bool,
    /// The acceptable CA names it listed (empty: any).
    pub acceptable_ca_names: Vec<String>,
    /// The signature schemes it offered for our certificate.
    pub offered_signature_schemes: Vec<String>,
    /// Whether our key could sign with one of the offered schemes.
    pub key_scheme_accepted: Option<bool>,
    /// Whether we sent a (non-empty) certificate.
    pub certificate_sent: bool,
    /// The TLS alert the server sent, if any.
    pub alert: Option<AlertSeen>,
    /// The HTTP version the server chose by ALPN (`HTTP/2`, `HTTP/1.1`).
    pub http_version: Option<String>,
    /// The HTTP/2 error code when the server reset the request (`HTTP_1_1_REQUIRED`: the page
    /// needs a certificate that HTTP/2 cannot ask for after the handshake, RFC 8740).
    pub http2_reset: Option<String>,
    /// HTTP status code.
    pub http_status: Option<u16>,
    /// The first part of the response body, as text.
    pub body_excerpt: Option<String>,
    /// When the presented key is on a token: the token and the signing mechanisms it offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<TokenFacts>,
    /// Re-checks through post-handshake authentication and renegotiation, run when the site
    /// finished the handshake without asking for a certificate and then refused.
    pub per_path_rechecks: Vec<recheck::Recheck>,
}

/// The token a presented key lives on, as the check saw it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenFacts {
    /// The token's label.
    pub label: String,
    /// The key type.
    pub key_type: crate::key::KeySpec,
    /// The signing mechanisms it offers (PKCS#11 names, `CKM_ECDSA`, `CKM_RSA_PKCS_PSS`, …).
    pub mechanisms: Vec<String>,
    /// The TLS signature schemes certdesk can make with it.
    pub schemes: Vec<String>,
    /// Whether it can sign RSA-PSS, the only RSA signature TLS 1.3 allows.
    pub rsa_pss: bool,
}

/// The answer of a check.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The site took the certificate and did not answer with an authentication refusal.
    Accepted,
    /// The site refused the certificate (or its holder).
    Rejected,
    /// The site never asked for a certificate.
    NotRequested,
    /// The check could not get far enough to know.
    Failed,
}

impl Verdict {
    /// One sentence for people.
    pub fn sentence(self, host: &str) -> String {
        self.text(host).render(certdesk_wording::Lang::En)
    }

    /// The verdict's sentence as a catalog message.
    pub fn text(self, host: &str) -> certdesk_wording::Text {
        certdesk_wording::Text::new(match self {
            Verdict::Accepted => "verdict-accepted",
            Verdict::Rejected => "verdict-rejected",
            Verdict::NotRequested => "verdict-not-requested",
            Verdict::Failed => "verdict-failed",
        })
        .arg("host", host)
    }
}

/// Where a finding's cause lies.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// On this computer (the certificate, the key).
    Local,
    /// At the site.
    Server,
    /// Between the two.
    Network,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Stops the certificate from working.
    Blocker,
    /// Works now but may cause trouble.
    Warning,
    /// Worth knowing.
    Info,
}

/// One observation with its remedy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// Stable code, e.g. `issuer_not_accepted`.
    pub code: &'static str,
    /// Local, server or network.
    pub origin: Origin,
    /// Blocker, warning or info.
    pub severity: Severity,
    /// One line.
    pub summary: String,
    /// The actual values.
    pub detail: Option<String>,
    /// One imperative sentence a person or a help desk can act on.
    pub remedy: String,
    /// `summary` and `remedy` as catalog messages, for showing them in another language.
    #[serde(skip)]
    pub texts: FindingTexts,
}

/// A finding's sentences as catalog messages (see certdesk-wording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingTexts {
    /// The summary.
    pub summary: certdesk_wording::Text,
    /// The remedy.
    pub remedy: certdesk_wording::Text,
}

/// The full result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    /// The answer.
    pub verdict: Verdict,
    /// The verdict in one sentence.
    pub sentence: String,
    /// Findings, blockers first.
    pub findings: Vec<Finding>,
    /// What happened on the wire.
    pub transcript: Transcript,
    /// The certificate presented, if any.
    pub client_certificate: Option<CertInfo>,
    /// When a token could not sign RSA-PSS under TLS 1.3: the same check over TLS 1.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls12_retry: Option<Tls12Retry>,
}

impl ProbeReport {
    /// The report with its verdict sentence, findings and remedies in `lang` (they are made in
    /// English, the reference). Codes, values and the transcript stay as they are.
    pub fn localized(mut self, lang: certdesk_wording::Lang) -> ProbeReport {
        self.sentence = self.verdict.text(&self.transcript.host).render(lang);
        if let Some(retry) = &mut self.tls12_retry {
            retry.sentence = retry.verdict.text(&self.transcript.host).render(lang);
        }
        for f in &mut self.findings {
            f.summary = f.texts.summary.render(lang);
            f.remedy = f.texts.remedy.render(lang);
        }
        self
    }
}
