//! The only HTTP client code of certdesk: enrollment (EST, upload portals) and revocation
//! fetches (CRL, OCSP) go through [`send`].
//!
//! TLS is our own rustls configuration (aws-lc-rs), so that the server's chain is recorded even
//! when it is refused: an unknown CA becomes [`Error::ServerNotTrusted`] with the subject and
//! SHA-256 fingerprint a person can compare and pin (RFC 7030 §4.1.1 "bootstrap distribution").
//! Trust is the OS roots, or a CA file instead (as `curl --cacert`), plus a pinned fingerprint.
//!
//! Safety rules that hold for every caller: redirects to `http://` from `https://` are refused;
//! answers are read up to a limit and then refused; every phase has a timeout. Wording of
//! protocol-specific errors (what a 404 means for EST) belongs to the caller; this module turns
//! network and TLS failures into errors of their own.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::probe::ClientIdentity;
use crate::secret::SecretString;
use crate::tls::{certified_key, provider, root_store};
use crate::weburl::{UrlUse, WebUrl};
use crate::{Error, Result};

/// Default limit for an answer: certificate replies and CRLs of real CAs fit many times over.
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;

/// Default limit for connecting and for each read.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST with [`HttpRequest::body`].
    Post,
}

/// Which server certificates to accept.
#[derive(Debug, Clone, Default)]
pub struct ServerTrust {
    /// CA certificates (PEM or DER) to trust instead of the OS roots.
    pub ca_pem: Option<Vec<u8>>,
    /// SHA-256 of a certificate in the server's chain (its CA, or the server certificate
    /// itself) that the person confirmed. Trusted in addition to the anchors above.
    pub pinned_sha256: Option<[u8; 32]>,
    /// Accept any server certificate. Only behind an explicit `--insecure`.
    pub insecure_skip_verify: bool,
}

/// Credentials sent with the request.
#[derive(Debug, Clone, Default)]
pub enum HttpAuth {
    /// None.
    #[default]
    None,
    /// HTTP Basic (a user name and an enrollment code or password).
    Basic {
        /// User name.
        user: String,
        /// Code or password.
        password: SecretString,
    },
    /// `Authorization: Bearer`.
    Bearer(SecretString),
}

/// One HTTP request.
#[derive(Debug)]
pub struct HttpRequest<'a> {
    /// GET or POST.
    pub method: Method,
    /// `https://…` (or `http://…` for public data such as CRLs).
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Request body (POST).
    pub body: Vec<u8>,
    /// Credentials.
    pub auth: HttpAuth,
    /// Server certificate trust.
    pub trust: ServerTrust,
    /// A client certificate to present (EST re-enrollment).
    pub client_identity: Option<&'a ClientIdentity>,
    /// Limit for connecting and for each read.
    pub timeout: Duration,
    /// Largest answer accepted.
    pub max_body: usize,
}

impl HttpRequest<'_> {
    /// A GET with default limits and the OS roots.
    pub fn get(url: impl Into<String>) -> HttpRequest<'static> {
        HttpRequest {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            auth: HttpAuth::None,
            trust: ServerTrust::default(),
            client_identity: None,
            timeout: DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// A POST of `body` with this content type, default limits and the OS roots.
    pub fn post(url: impl Into<String>, content_type: &str, body: Vec<u8>) -> HttpRequest<'static> {
        HttpRequest {
            method: Method::Post,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body,
            ..HttpRequest::get(url)
        }
    }
}

/// The answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Reason phrase for the status (`Not Found`).
    pub reason: String,
    /// Headers (names lower case).
    pub headers: Vec<(String, String)>,
    /// The body, complete.
    pub body: Vec<u8>,
    /// The address that answered (after redirects).
    pub url: String,
}

impl HttpResponse {
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `404 Not Found`.
    pub fn status_line(&self) -> String {
        format!("{} {}", self.status, self.reason)
            .trim()
            .to_string()
    }

    /// The body as short plain text for an error message: HTML tags dropped, whitespace
    /// collapsed, at most 200 characters.
    pub fn excerpt(&self) -> String {
        excerpt(&self.body)
    }
}

/// Turns a body into a short one-line quote for an error message (see [`crate::html::excerpt`]).
pub fn excerpt(body: &[u8]) -> String {
    crate::html::excerpt(body, 200)
}

/// Parses `AB:CD:…` or `abcd…` (64 hex digits, optional `SHA256:` prefix and colons/spaces).
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32]> {
    let trimmed = text.trim();
    let body = trimmed
        .strip_prefix("SHA256:")
        .or_else(|| trimmed.strip_prefix("sha256:"))
        .unwrap_or(trimmed);
    let hex_digits: String = body
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    let bytes = hex::decode(&hex_digits).map_err(|_| {
        Error::invalid(
            "fingerprint",
            format!("expected 64 hexadecimal digits (colons allowed), found \"{trimmed}\""),
        )
    })?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        Error::invalid(
            "fingerprint",
            format!(
                "expected a SHA-256 fingerprint (32 bytes, 64 hex digits), found {} bytes",
                b.len()
            ),
        )
    })
}

/// What the verifier saw during the handshake.
#[derive(Debug, Default)]
struct Seen {
    chain: Vec<Vec<u8>>,
    /// The host whose certificate that was (after a redirect, not the one asked first).
    host: Option<String>,
}

/// A server name as text, as [`WebUrl::host`] writes it (IPv6 without brackets).
fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => d.as_ref().to_ascii_lowercase(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

#[derive(Debug)]
struct PinningVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pin: Option<[u8; 32]>,
    /// The host the pin was confirmed for: the request's own host. A redirect elsewhere does
    /// not carry the pin along.
    pin_host: String,
    insecure: bool,
    provider: Arc<CryptoProvider>,
    seen: Arc<Mutex<Seen>>,
}

impl PinningVerifier {
    /// Accepts the chain when the pinned certificate is the server certificate itself, or a
    /// CA certificate in the chain that verifies it (name and dates still checked).
    fn verify_pinned(
        &self,
        pin: &[u8; 32],
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if Sha256::digest(end_entity.as_ref()).as_slice() == pin {
            // The pin replaces the CA, not the other checks: the certificate must still be
            // made out for this name. (Its dates were checked already: webpki refuses an
            // expired or not yet valid certificate before it looks for the issuer.)
            let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_name(&parsed, server_name)?;
            return Ok(ServerCertVerified::assertion());
        }
        let Some(anchor) = intermediates
            .iter()
            .find(|c| Sha256::digest(c.as_ref()).as_slice() == pin)
        else {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ));
        };
        let mut roots = RootCertStore::empty();
        roots
            .add(anchor.clone().into_owned())
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let pinned =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| rustls::Error::General(e.to_string()))?;
        pinned.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect();
            seen.host = Some(server_name_text(server_name));
        }
        if self.insecure {
            return Ok(ServerCertVerified::assertion());
        }
        let result = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match (&result, &self.pin) {
            (
                Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
                Some(pin),
            ) if server_name_text(server_name) == self.pin_host => self.verify_pinned(
                pin,
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            _ => result,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A redirect we refuse; carried through reqwest's error chain.
#[derive(Debug)]
struct RefusedRedirect {
    to: String,
    /// To another server (host or port), not to plain http.
    elsewhere: bool,
}

impl std::fmt::Display for RefusedRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect to {} refused", self.to)
    }
}

impl std::error::Error for RefusedRedirect {}

/// Sends one request and reads the whole answer (up to [`HttpRequest::max_body`]).
///
/// Any status is a successful exchange; callers decide what a status means for them.
pub fn send(request: &HttpRequest<'_>) -> Result<HttpResponse> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::crypto("start the network runtime", e))?;
    runtime.block_on(send_async(request))
}

fn host_of(url: &str) -> String {
    WebUrl::check(url, UrlUse::Revocation)
        .map(|u| u.host())
        .unwrap_or_else(|_| crate::weburl::shown(url))
}

/// The whole exchange (connecting, sending, the complete answer) may take this many per-phase
/// limits ([`HttpRequest::timeout`]) in all: the per-read limit alone let a server that sends
/// one byte at a time keep certdesk waiting for as long as it liked.
pub const DEADLINE_FACTOR: u32 = 3;

async fn send_async(request: &HttpRequest<'_>) -> Result<HttpResponse> {
    let deadline = request.timeout * DEADLINE_FACTOR;
    match tokio::time::timeout(deadline, exchange(request)).await {
        Ok(result) => result,
        Err(_) => Err(Error::TooSlow {
            url: crate::weburl::shown(&request.url),
            seconds: deadline.as_secs(),
        }),
    }
}

async fn exchange(request: &HttpRequest<'_>) -> Result<HttpResponse> {
    // Every address through the one parser (see `weburl`): plain http:// only reaches here for
    // public signed data (CRLs, OCSP) and SCEP, whose messages are signed and encrypted to a CA
    // certificate matched against a confirmed fingerprint (`enroll::scep`); the callers that
    // send codes or requests in the clear refuse it first.
    let usage = if request
        .url
        .trim()
        .to_ascii_lowercase()
        .starts_with("http://")
    {
        UrlUse::Revocation
    } else {
        UrlUse::Enrollment
    };
    let url = WebUrl::parse(&request.url, usage)?.url().clone();
    let provider = provider();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let roots = Arc::new(root_store(request.trust.ca_pem.as_deref())?);
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| Error::invalid("CA file", e.to_string()))?;
    let verifier = Arc::new(PinningVerifier {
        webpki,
        pin: request.trust.pinned_sha256,
        pin_host: url
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_ascii_lowercase(),
        insecure: request.trust.insecure_skip_verify,
        provider: provider.clone(),
        seen: seen.clone(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| Error::crypto("configure TLS", e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match request.client_identity {
        Some(identity) => builder.with_client_cert_resolver(Arc::new(
            rustls::sign::SingleCertAndKey::from(certified_key(identity)?),
        )),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    let from = request.url.clone();
    let origin = (
        url.host_str().map(str::to_ascii_lowercase),
        url.port_or_known_default(),
    );
    // Codes, requests and client certificates go only to the server that was named: an
    // enrollment server may move a path, not send us to another server.
    let same_server_only = usage == UrlUse::Enrollment;
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        let to = attempt.url().clone();
        let came_from_https = attempt
            .previous()
            .last()
            .map(|u| u.scheme() == "https")
            .unwrap_or(true);
        let elsewhere = (
            to.host_str().map(str::to_ascii_lowercase),
            to.port_or_known_default(),
        ) != origin;
        if came_from_https && to.scheme() != "https" {
            attempt.error(RefusedRedirect {
                to: to.to_string(),
                elsewhere: false,
            })
        } else if same_server_only && elsewhere {
            attempt.error(RefusedRedirect {
                to: to.to_string(),
                elsewhere: true,
            })
        } else if attempt.previous().len() > 5 {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .redirect(redirects)
        .connect_timeout(request.timeout)
        .read_timeout(request.timeout)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| Error::crypto("set up the HTTP client", e))?;

    let mut builder = match request.method {
        Method::Get => client.get(url.clone()),
        Method::Post => client.post(url.clone()).body(request.body.clone()),
    };
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder = match &request.auth {
        HttpAuth::None => builder,
        HttpAuth::Basic { user, password } => builder.basic_auth(user, Some(password.expose())),
        HttpAuth::Bearer(token) => builder.bearer_auth(token.expose()),
    };
    let mut response = match builder.send().await {
        Ok(r) => r,
        Err(e) => return Err(classify(&e, &from, request, &seen)),
    };
    if let Some(len) = response.content_length() {
        if len > request.max_body as u64 {
            return Err(Error::ResponseTooLarge {
                url: from,
                limit: request.max_body,
            });
        }
    }
    let status = response.status();
    let final_url = response.url().to_string();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > request.max_body {
                    return Err(Error::ResponseTooLarge {
                        url: from,
                        limit: request.max_body,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Err(classify(&e, &from, request, &seen)),
        }
    }
    Ok(HttpResponse {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or_default().to_string(),
        headers,
        body,
        url: final_url,
    })
}

/// Walks an error's sources for a value of type `T`, looking inside I/O errors too (their
/// `source()` skips the wrapped error; see FACTS.md).
pub(crate) fn find_in_chain<'e, T: std::error::Error + 'static>(
    err: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        // hyper wraps an I/O error around an I/O error around the rustls error; unwrap them all.
        let mut io = e.downcast_ref::<io::Error>();
        while let Some(inner) = io.and_then(|i| i.get_ref()) {
            if let Some(found) = inner.downcast_ref::<T>() {
                return Some(found);
            }
            io = inner.downcast_ref::<io::Error>();
        }
        current = e.source();
    }
    None
}

fn classify(
    e: &reqwest::Error,
    url: &str,
    request: &HttpRequest<'_>,
    seen: &Arc<Mutex<Seen>>,
) -> Error {
    if let Some(refused) = find_in_chain::<RefusedRedirect>(e) {
        let (from, to) = (url.to_string(), crate::weburl::shown(&refused.to));
        return if refused.elsewhere {
            Error::RedirectElsewhere { from, to }
        } else {
            Error::InsecureRedirect { from, to }
        };
    }
    if e.is_timeout()
        || find_in_chain::<io::Error>(e).is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
    {
        return Error::Timeout {
            url: url.to_string(),
            seconds: request.timeout.as_secs().max(1),
        };
    }
    let host = host_of(url);
    if let Some(tls) = find_in_chain::<rustls::Error>(e) {
        let seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        // The host whose certificate failed, which after a redirect is not the first one.
        let host = seen.host.clone().unwrap_or(host);
        return tls_error(tls, &host, &seen.chain);
    }
    let detail = find_in_chain::<io::Error>(e)
        .map(|io| match io.kind() {
            io::ErrorKind::ConnectionRefused => {
                "nothing is listening there (connection refused)".to_string()
            }
            io::ErrorKind::ConnectionReset => "the server closed the connection".to_string(),
            _ => io.to_string(),
        })
        .unwrap_or_else(|| innermost(e));
    Error::Unreachable {
        url: url.to_string(),
        detail,
    }
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut current = e.source();
    while let Some(s) = current {
        last = s.to_string();
        current = s.source();
    }
    last
}

/// Words a rustls failure; an unknown CA becomes the trust-bootstrap error with the topmost
/// certificate of the chain the server sent.
fn tls_error(e: &rustls::Error, host: &str, chain: &[Vec<u8>]) -> Error {
    use rustls::AlertDescription as A;
    let detail = match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            if let Some(top) = chain.last() {
                let subject = crate::cert::parse_certificate(top)
                    .map(|i| i.subject)
                    .unwrap_or_else(|_| "an unreadable certificate".to_string());
                return Error::ServerNotTrusted {
                    host: host.to_string(),
                    ca_subject: subject,
                    ca_sha256: crate::csr::colon_hex(&Sha256::digest(top)),
                };
            }
            "the server's certificate comes from an unknown CA".to_string()
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!("the server's certificate is not made out for {host}"),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's certificate has expired".to_string(),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => "the server's certificate is not valid yet (check this computer's clock)".to_string(),
        rustls::Error::InvalidCertificate(other) => {
            format!("the server's certificate was refused ({other:?})")
        }
        rustls::Error::AlertReceived(A::ProtocolVersion) => {
            "the server only speaks TLS versions older than 1.2, which are no longer safe"
                .to_string()
        }
        rustls::Error::AlertReceived(A::CertificateRequired) => {
            "the server requires a client certificate for this request".to_string()
        }
        rustls::Error::AlertReceived(alert) => {
            format!("the server ended the handshake ({alert:?})")
        }
        // Plain HTTP (or another protocol) answered the TLS greeting.
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "the server did not answer with TLS (is this a plain http:// server, or the wrong port?)"
                .to_string()
        }
        other => other.to_string(),
    };
    Error::TlsFailed {
        host: host.to_string(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed server certificate for `name`, valid from `from` to `to` (Unix seconds).
    fn server_cert(name: &str, from: i64, to: i64) -> CertificateDer<'static> {
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} {from}"));
        params.not_before = time::OffsetDateTime::from_unix_timestamp(from).expect("from");
        params.not_after = time::OffsetDateTime::from_unix_timestamp(to).expect("to");
        let key = rcgen::KeyPair::generate().expect("key");
        params.self_signed(&key).expect("cert").der().clone()
    }

    fn pinning(pin_of: &CertificateDer<'_>, pin_host: &str) -> PinningVerifier {
        let provider = provider();
        let mut roots = RootCertStore::empty();
        // Some unrelated anchor: the pinned certificate is not trusted any other way.
        roots
            .add(server_cert("unrelated.example", 0, 4_000_000_000))
            .expect("root");
        PinningVerifier {
            webpki: WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .expect("verifier"),
            pin: Some(Sha256::digest(pin_of.as_ref()).into()),
            pin_host: pin_host.to_string(),
            insecure: false,
            provider,
            seen: Arc::default(),
        }
    }

    fn verify(
        v: &PinningVerifier,
        cert: &CertificateDer<'_>,
        host: &str,
    ) -> std::result::Result<(), rustls::Error> {
        let name = ServerName::try_from(host.to_string()).expect("name");
        let now = UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000));
        v.verify_server_cert(cert, &[], &name, &[], now).map(|_| ())
    }

    #[test]
    fn a_pinned_server_certificate_still_has_its_name_and_dates_checked() {
        let (from, to) = (1_700_000_000, 1_900_000_000);
        let good = server_cert("est.example", from, to);
        assert!(verify(&pinning(&good, "est.example"), &good, "est.example").is_ok());

        // Before: a pinned leaf was accepted for any name and at any date.
        let other_name = server_cert("elsewhere.example", from, to);
        let refused = verify(
            &pinning(&other_name, "est.example"),
            &other_name,
            "est.example",
        );
        assert!(
            matches!(
                refused,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                ))
            ),
            "{refused:?}"
        );
        // Dates: webpki refuses them before the pin is looked at (this held before too).
        let expired = server_cert("est.example", 1_600_000_000, 1_700_000_000);
        let refused = verify(&pinning(&expired, "est.example"), &expired, "est.example");
        assert!(
            matches!(
                refused,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::Expired | CertificateError::ExpiredContext { .. }
                ))
            ),
            "{refused:?}"
        );
        let early = server_cert("est.example", 1_850_000_000, 1_900_000_000);
        let refused = verify(&pinning(&early, "est.example"), &early, "est.example");
        assert!(
            matches!(
                refused,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
                ))
            ),
            "{refused:?}"
        );
    }

    #[test]
    fn a_pin_applies_only_to_the_host_it_was_confirmed_for() {
        let cert = server_cert("other.example", 1_700_000_000, 1_900_000_000);
        let v = pinning(&cert, "est.example");
        // The same certificate, presented by another host (after a redirect): not pinned.
        assert_eq!(
            verify(&v, &cert, "other.example"),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        );
        // And the trust question names the host that presented it.
        assert_eq!(
            v.seen.lock().expect("seen").host.as_deref(),
            Some("other.example")
        );
    }

    #[test]
    fn fingerprints_parse_in_the_common_spellings() {
        let hex64 = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(parse_fingerprint(&hex64).expect("plain")[0], 0xab);
        assert_eq!(parse_fingerprint(&colons).expect("colons")[31], 0xab);
        assert_eq!(
            parse_fingerprint(&format!("SHA256:{colons}")).expect("prefixed")[5],
            0xab
        );
        let short = parse_fingerprint("AB:CD").expect_err("short");
        assert!(short.to_string().contains("found 2 bytes"), "{short}");
        let junk = parse_fingerprint("not hex").expect_err("junk");
        assert!(junk.to_string().contains("64 hexadecimal digits"), "{junk}");
    }

    #[test]
    fn excerpts_drop_markup_and_stay_short() {
        assert_eq!(
            excerpt(b"<html><title>Denied</title><p>No\n  code</p></html>"),
            "Denied No code"
        );
        let long = excerpt("x ".repeat(300).as_bytes());
        assert!(long.ends_with('…') && long.chars().count() == 201);
    }
}
