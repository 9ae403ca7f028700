//! The only socket and TLS code of the site check. Records what happened in a [`Transcript`];
//! never words a diagnosis (that is [`super::diagnose`]).
//!
//! rustls tells us whether the server asked for a certificate by calling our
//! [`ResolvesClientCert`]: if it is never called, no CertificateRequest came. Its arguments are
//! the acceptable CA names and the offered signature schemes. A TLS 1.3 server's refusal of our
//! certificate arrives as an alert on the first read, after `connect()` succeeded, so a check
//! always completes one HTTP request/response before it calls anything a success.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use x509_parser::prelude::FromDer;

use super::{AlertSeen, PhaseTiming, ProbeRequest, ServerTrustProblem, Transcript};
use crate::{Error, Result};

/// Largest response part read; the check needs the status line and a short excerpt.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Characters of body kept in the transcript.
const EXCERPT_CHARS: usize = 300;

#[derive(Debug, Default)]
struct Observed {
    requested: bool,
    ca_names: Vec<String>,
    schemes: Vec<String>,
    key_scheme_ok: Option<bool>,
    sent: bool,
    server_chain: Vec<Vec<u8>>,
    trust_problem: Option<ServerTrustProblem>,
}

type Shared = Arc<Mutex<Observed>>;

fn record(shared: &Shared, f: impl FnOnce(&mut Observed)) {
    // A poisoned lock means another thread panicked mid-update; the record is still the best
    // information we have, so keep using it.
    let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut guard);
}

#[derive(Debug)]
struct RecordingResolver {
    identity: Option<Arc<CertifiedKey>>,
    shared: Shared,
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let names = root_hint_subjects
            .iter()
            .map(|der| match x509_parser::x509::X509Name::from_der(der) {
                Ok((_, name)) => name.to_string(),
                Err(_) => format!("(unreadable name, {} bytes)", der.len()),
            })
            .collect();
        let scheme_ok = self
            .identity
            .as_ref()
            .map(|id| id.key.choose_scheme(sigschemes).is_some());
        record(&self.shared, |o| {
            o.requested = true;
            o.ca_names = names;
            o.schemes = sigschemes.iter().map(|s| format!("{s:?}")).collect();
            o.key_scheme_ok = scheme_ok;
            // rustls silently sends an empty Certificate when no scheme fits; record the truth.
            o.sent = scheme_ok == Some(true);
        });
        match scheme_ok {
            Some(true) => self.identity.clone(),
            _ => None,
        }
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    shared: Shared,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let problem = match &result {
            Ok(_) => None,
            Err(rustls::Error::InvalidCertificate(e)) => Some(classify_cert_error(e)),
            Err(other) => Some(ServerTrustProblem::Other(other.to_string())),
        };
        record(&self.shared, |o| {
            o.server_chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect();
            o.trust_problem = problem;
        });
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn classify_cert_error(e: &rustls::CertificateError) -> ServerTrustProblem {
    use rustls::CertificateError as C;
    match e {
        C::UnknownIssuer => ServerTrustProblem::UnknownIssuer,
        C::NotValidForName | C::NotValidForNameContext { .. } => ServerTrustProblem::NameMismatch,
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            ServerTrustProblem::Expired
        }
        other => ServerTrustProblem::Other(format!("{other:?}")),
    }
}

/// Splits `https://host[:port][/path]`.
pub fn parse_url(url: &str) -> Result<(String, u16, String)> {
    let rest = url.strip_prefix("https://").ok_or_else(|| {
        Error::invalid(
            "URL",
            format!("expected an https:// address, found \"{url}\""),
        )
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6
            .find(']')
            .ok_or_else(|| Error::invalid("URL", "an IPv6 address needs a closing ]"))?;
        let port = v6[end + 1..].strip_prefix(':').map(str::to_string);
        (v6[..end].to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.to_string())),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(Error::invalid("URL", format!("no host name in \"{url}\"")));
    }
    let port = match port {
        Some(p) => p.parse::<u16>().map_err(|_| {
            Error::invalid(
                "URL",
                format!("the port \"{p}\" is not a number from 1 to 65535"),
            )
        })?,
        None => 443,
    };
    Ok((host, port, path))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn root_store(extra_pem: Option<&[u8]>) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    // OS roots: a missing or unreadable system bundle only narrows what we trust.
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(bytes) = extra_pem {
        let (certs, _, _) = crate::encoding::read_certificates(bytes, "the server CA file")?;
        for der in certs {
            roots.add(CertificateDer::from(der)).map_err(|e| {
                Error::invalid(
                    "CA file",
                    format!("a certificate in it is not usable as a trust anchor: {e}"),
                )
            })?;
        }
    }
    Ok(roots)
}

fn certified_key(
    identity: &super::ClientIdentity,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>> {
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key.pkcs8_der().to_vec()));
    let signing = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| Error::crypto("load the key for TLS", e))?;
    let chain = identity
        .chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

/// Finds the rustls error inside an I/O error from tokio-rustls (its `source()` skips it).
fn rustls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// Runs one check. Returns the transcript; configuration mistakes (a bad URL or CA file) are
/// errors, while anything the site or network does is recorded.
pub fn run_probe(request: &ProbeRequest) -> Result<Transcript> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::crypto("start the network runtime", e))?;
    let mut t = runtime.block_on(probe_async(request))?;
    let refused_after_handshake = !t.certificate_requested
        && (matches!(t.http_status, Some(401 | 403)) || t.failed_phase.as_deref() == Some("http"));
    if let (true, Some(identity)) = (refused_after_handshake, &request.identity) {
        let (host, port, path) = parse_url(&request.url)?;
        t.per_path_rechecks = super::recheck::recheck_per_path(
            &host,
            port,
            &path,
            identity,
            request.server_ca_pem.as_deref(),
            request.timeout,
        );
    }
    Ok(t)
}

async fn probe_async(request: &ProbeRequest) -> Result<Transcript> {
    let (host, port, path) = parse_url(&request.url)?;
    let mut t = Transcript {
        url: request.url.clone(),
        host: host.clone(),
        port,
        ..Transcript::default()
    };
    let provider = provider();
    let shared: Shared = Arc::default();
    let roots = Arc::new(root_store(request.server_ca_pem.as_deref())?);
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| Error::invalid("CA file", e.to_string()))?;
    let identity = request
        .identity
        .as_ref()
        .map(|id| certified_key(id, &provider))
        .transpose()?;
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| Error::crypto("configure TLS", e))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(RecordingVerifier {
            inner: webpki,
            shared: shared.clone(),
        }))
        .with_client_cert_resolver(Arc::new(RecordingResolver {
            identity,
            shared: shared.clone(),
        }));
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    // DNS
    let started = Instant::now();
    let lookup = tokio::time::timeout(
        request.timeout,
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await;
    let addrs: Vec<std::net::SocketAddr> = match lookup {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => return Ok(failed(t, "dns", e.to_string())),
        Err(_) => {
            return Ok(failed(
                t,
                "dns",
                format!("no answer within {} s", request.timeout.as_secs()),
            ))
        }
    };
    t.addresses = addrs.iter().map(|a| a.ip().to_string()).collect();
    push_timing(&mut t, "dns", started);

    // TCP
    let started = Instant::now();
    let Some(addr) = addrs.first().copied() else {
        return Ok(failed(t, "dns", "the name has no addresses".into()));
    };
    let tcp = match tokio::time::timeout(request.timeout, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Ok(failed(t, "tcp", e.to_string())),
        Err(_) => {
            return Ok(failed(
                t,
                "tcp",
                format!("no connection within {} s", request.timeout.as_secs()),
            ))
        }
    };
    push_timing(&mut t, "tcp", started);

    // TLS
    let started = Instant::now();
    let server_name = ServerName::try_from(host.clone())
        .map_err(|_| Error::invalid("URL", format!("\"{host}\" is not a valid host name")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake =
        tokio::time::timeout(request.timeout, connector.connect(server_name, tcp)).await;
    let mut tls = match handshake {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            copy_observed(&mut t, &shared);
            if let Some(rustls::Error::AlertReceived(alert)) = rustls_error(&e) {
                t.alert = Some(AlertSeen {
                    description: format!("{alert:?}"),
                    when: "handshake".into(),
                });
            }
            return Ok(failed(t, "tls", e.to_string()));
        }
        Err(_) => {
            copy_observed(&mut t, &shared);
            return Ok(failed(
                t,
                "tls",
                format!(
                    "the handshake did not finish within {} s",
                    request.timeout.as_secs()
                ),
            ));
        }
    };
    push_timing(&mut t, "tls", started);
    {
        let (_, conn) = tls.get_ref();
        t.tls_version = conn.protocol_version().map(|v| version_name(v).to_string());
        t.cipher_suite = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()));
    }
    copy_observed(&mut t, &shared);

    // HTTP
    let started = Instant::now();
    let host_header = if port == 443 {
        host.clone()
    } else {
        format!("{host}:{port}")
    };
    let host_header = if host_header.contains(':') && host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        host_header
    };
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: certdesk/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let exchange = async {
        tls.write_all(head.as_bytes()).await?;
        tls.flush().await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match tls.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() >= MAX_RESPONSE_BYTES {
                        break;
                    }
                }
                // Servers often close without close_notify after `Connection: close`.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !buf.is_empty() => break,
                Err(e) => return Err(e),
            }
        }
        Ok::<_, io::Error>(buf)
    };
    match tokio::time::timeout(request.timeout, exchange).await {
        Ok(Ok(bytes)) if !bytes.is_empty() => {
            push_timing(&mut t, "http", started);
            parse_response(&mut t, &bytes);
        }
        Ok(Ok(_)) => {
            return Ok(failed(
                t,
                "http",
                "the server closed the connection without answering".into(),
            ))
        }
        Ok(Err(e)) => {
            if let Some(rustls::Error::AlertReceived(alert)) = rustls_error(&e) {
                t.alert = Some(AlertSeen {
                    description: format!("{alert:?}"),
                    when: "after_handshake".into(),
                });
            }
            return Ok(failed(t, "http", e.to_string()));
        }
        Err(_) => {
            return Ok(failed(
                t,
                "http",
                format!("no answer within {} s", request.timeout.as_secs()),
            ));
        }
    }
    Ok(t)
}

fn version_name(v: rustls::ProtocolVersion) -> &'static str {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
        _ => "other",
    }
}

fn push_timing(t: &mut Transcript, phase: &str, started: Instant) {
    t.timings.push(PhaseTiming {
        phase: phase.into(),
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
}

fn failed(mut t: Transcript, phase: &str, detail: String) -> Transcript {
    t.failed_phase = Some(phase.into());
    t.error_detail = Some(detail);
    t
}

fn copy_observed(t: &mut Transcript, shared: &Shared) {
    let o = shared.lock().unwrap_or_else(|p| p.into_inner());
    t.certificate_requested = o.requested;
    t.acceptable_ca_names = o.ca_names.clone();
    t.offered_signature_schemes = o.schemes.clone();
    t.key_scheme_accepted = o.key_scheme_ok;
    t.certificate_sent = o.sent;
    t.server_trust_problem = o.trust_problem.clone();
    t.server_chain = o
        .server_chain
        .iter()
        .filter_map(|d| crate::cert::parse_certificate(d).ok())
        .collect();
}

/// Reads the status code and a text excerpt of the body from raw HTTP/1.1 bytes.
pub(crate) fn parse_response(t: &mut Transcript, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split("\r\n");
    if let Some(status_line) = lines.next() {
        t.http_status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok());
    }
    if let Some(idx) = text.find("\r\n\r\n") {
        let body = &text[idx + 4..];
        let excerpt: String = body.chars().take(EXCERPT_CHARS).collect();
        let excerpt = excerpt.trim().to_string();
        if !excerpt.is_empty() {
            t.body_excerpt = Some(excerpt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_with_defaults_and_clear_errors() {
        assert_eq!(
            parse_url("https://example.org").expect("url"),
            ("example.org".into(), 443, "/".into())
        );
        assert_eq!(
            parse_url("https://127.0.0.1:8443/secure/x?y=1").expect("url"),
            ("127.0.0.1".into(), 8443, "/secure/x?y=1".into())
        );
        assert_eq!(
            parse_url("https://[::1]:9000/").expect("url"),
            ("::1".into(), 9000, "/".into())
        );
        assert!(parse_url("http://example.org")
            .expect_err("http")
            .to_string()
            .contains("https://"));
        assert!(parse_url("https://h:99999/")
            .expect_err("port")
            .to_string()
            .contains("99999"));
    }

    #[test]
    fn responses_yield_status_and_excerpt() {
        let mut t = Transcript::default();
        parse_response(&mut t, b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n<html><head><title>400 No required SSL certificate was sent</title></head></html>");
        assert_eq!(t.http_status, Some(400));
        assert!(t
            .body_excerpt
            .as_deref()
            .is_some_and(|b| b.contains("No required SSL certificate was sent")));
    }
}
