//! The only socket and TLS code of the site check. Records what happened in a [`Transcript`];
//! never words a diagnosis (that is [`super::diagnose`]).
//!
//! rustls tells us whether the server asked for a certificate by calling our
//! [`ResolvesClientCert`]: if it is never called, no CertificateRequest came. Its arguments are
//! the acceptable CA names and the offered signature schemes. A TLS 1.3 server's refusal of our
//! certificate arrives as an alert on the first read, after `connect()` succeeded, so a check
//! always completes one HTTP request/response before it calls anything a success.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use x509_parser::prelude::FromDer;

use super::exchange::{exchange, Ask, HttpVersion, RenegotiationWatch};
use super::{AlertSeen, PhaseTiming, ProbeRequest, ServerTrustProblem, Transcript};
use crate::tls::{certified_key, provider, root_store};
use crate::transport::find_in_chain;
use crate::weburl::{UrlUse, WebUrl};
use crate::{Error, Result};

/// The TCP stream, counting the bytes it reads: after the request, a TLS 1.2 server that sends
/// a small record and then no page has asked to renegotiate (Apache's per-directory
/// `SSLVerifyClient`), which rustls declines without telling us. Without this the check would
/// wait for the server until the time limit.
struct Counted<S> {
    inner: S,
    read: Arc<AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let n = buf.filled().len().saturating_sub(before);
            this.read
                .fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    // Vectored writes keep a TLS 1.2 client flight (Certificate … Finished) in one segment, as
    // the bare socket sends it: written record by record, a server that refuses the
    // certificate after the first record closes the socket under the rest, and the check
    // reports a broken pipe instead of the server's alert.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

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

/// Splits a site address into host, port and the normalised, percent-encoded path and query
/// that goes on the request line (see [`crate::weburl`]: control characters, spaces and
/// credentials are refused, never repaired).
pub fn parse_url(url: &str) -> Result<(String, u16, String)> {
    let url = WebUrl::parse(url, UrlUse::Site)?;
    Ok((url.host(), url.port(), url.path_and_query()))
}

/// Runs one check. Returns the transcript; configuration mistakes (a bad URL or CA file) are
/// errors, while anything the site or network does is recorded.
pub fn run_probe(request: &ProbeRequest) -> Result<Transcript> {
    run_probe_with(request, rustls::ALL_VERSIONS)
}

/// [`run_probe`] offering only the TLS `versions` given (the TLS 1.2 retry of a token that
/// cannot sign RSA-PSS, issue #15).
pub(crate) fn run_probe_with(
    request: &ProbeRequest,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Transcript> {
    crate::tls::warm_random();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::crypto("start the network runtime", e))?;
    let mut t = runtime.block_on(probe_async(request, versions))?;
    let refused_after_handshake = !t.certificate_requested
        && (matches!(t.http_status, Some(401 | 403)) || t.failed_phase.as_deref() == Some("http"));
    if let (true, Some(identity)) = (refused_after_handshake, &request.identity) {
        let target = WebUrl::parse(&request.url, UrlUse::Site)?;
        t.per_path_rechecks = super::recheck::recheck_per_path(
            &target,
            identity,
            request.server_ca_pem.as_deref(),
            request.timeout,
        );
    }
    Ok(t)
}

async fn probe_async(
    request: &ProbeRequest,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Transcript> {
    let target = WebUrl::parse(&request.url, UrlUse::Site)?;
    let (host, port, path) = (target.host(), target.port(), target.path_and_query());
    let mut t = Transcript {
        url: request.url.clone(),
        host: host.clone(),
        port,
        client_token: request.identity.as_ref().and_then(|i| match &i.key {
            super::ClientKey::Token(signer) => Some(signer.facts()),
            super::ClientKey::Software(_) => None,
        }),
        ..Transcript::default()
    };
    let provider = provider();
    let shared: Shared = Arc::default();
    let roots = Arc::new(root_store(request.server_ca_pem.as_deref())?);
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| Error::invalid("CA file", e.to_string()))?;
    let identity = request.identity.as_ref().map(certified_key).transpose()?;
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
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
    // As a browser does: HTTP/2 when the server wants it, which changes how a per-page
    // certificate request can work (RFC 8740); the transcript records the choice.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

    // The proxy named in the environment, if any, resolves and connects for us.
    let proxy = proxy_for(&host, &ProxyEnv::from_process());

    // DNS
    let started = Instant::now();
    let lookup = tokio::time::timeout(
        request.timeout,
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await;
    let addrs: Vec<std::net::SocketAddr> = match lookup {
        Ok(Ok(a)) => a.collect(),
        // Behind a proxy, the proxy resolves the name; a local failure is expected then.
        Ok(Err(_)) if proxy.is_some() => Vec::new(),
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

    // TCP, directly or through the proxy named in the environment.
    let started = Instant::now();
    let connected = match &proxy {
        Some(p) => {
            t.proxy = Some(format!("{}:{}", p.0, p.1));
            tokio::time::timeout(request.timeout, connect_via_proxy(p, &host, port)).await
        }
        None => {
            if addrs.is_empty() {
                return Ok(failed(t, "dns", "the name has no addresses".into()));
            }
            tokio::time::timeout(request.timeout, connect_any(&addrs)).await
        }
    };
    let tcp = match connected {
        Ok(Ok(s)) => {
            // The handshake is several small writes; with Nagle's algorithm each waits for the
            // peer's delayed ACK (~40 ms on Linux). Browsers and curl disable it too.
            let _ = s.set_nodelay(true);
            s
        }
        Ok(Err(e)) => return Ok(failed(t, "tcp", e.to_string())),
        Err(_) => {
            let detail = format!("no connection within {} s", request.timeout.as_secs());
            return Ok(failed(t, "tcp", detail));
        }
    };
    push_timing(&mut t, "tcp", started);

    // TLS
    let started = Instant::now();
    let server_name = ServerName::try_from(host.clone())
        .map_err(|_| Error::invalid("URL", format!("\"{host}\" is not a valid host name")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let read_counter = Arc::new(AtomicU64::new(0));
    let tcp = Counted {
        inner: tcp,
        read: read_counter.clone(),
    };
    let handshake =
        tokio::time::timeout(request.timeout, connector.connect(server_name, tcp)).await;
    let tls = match handshake {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            copy_observed(&mut t, &shared);
            if let Some(rustls::Error::AlertReceived(alert)) = find_in_chain::<rustls::Error>(&e) {
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
    let version = HttpVersion::from_alpn(tls.get_ref().1.alpn_protocol());
    t.http_version = Some(version.name().into());
    // Only a TLS 1.2 server that did not ask for a certificate in the handshake can ask for
    // one by renegotiating, and not on an HTTP/2 connection (RFC 9113 §9.2.1).
    let may_renegotiate = t.tls_version.as_deref() == Some("TLSv1.2")
        && !t.certificate_requested
        && version == HttpVersion::Http11;
    let ask = Ask {
        authority: target.host_header(),
        path_and_query: path,
    };
    let watch = may_renegotiate.then(|| RenegotiationWatch {
        read: read_counter.clone(),
    });
    match tokio::time::timeout(request.timeout, exchange(tls, version, &ask, watch)).await {
        Ok(Ok(answer)) => {
            push_timing(&mut t, "http", started);
            t.http_status = Some(answer.status);
            t.body_excerpt = answer.excerpt;
        }
        Ok(Err(failure)) => {
            if let Some(alert) = failure.alert {
                t.alert = Some(AlertSeen {
                    description: format!("{alert:?}"),
                    when: "after_handshake".into(),
                });
            }
            t.http2_reset = failure.http2_reset;
            return Ok(failed(t, "http", failure.detail));
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

/// The proxy settings of the environment (`https_proxy`/`HTTPS_PROXY`, `no_proxy`/`NO_PROXY`),
/// as curl reads them.
#[derive(Debug, Clone, Default)]
pub struct ProxyEnv {
    /// The proxy URL.
    pub https_proxy: Option<String>,
    /// Comma-separated hosts or domain suffixes that bypass the proxy; `*` bypasses all.
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// Reads the process environment.
    pub fn from_process() -> ProxyEnv {
        let get = |a: &str, b: &str| {
            std::env::var(a)
                .or_else(|_| std::env::var(b))
                .ok()
                .filter(|v| !v.is_empty())
        };
        ProxyEnv {
            https_proxy: get("https_proxy", "HTTPS_PROXY"),
            no_proxy: get("no_proxy", "NO_PROXY"),
        }
    }
}

/// The proxy (host, port) to use for `host`, if any.
pub fn proxy_for(host: &str, env: &ProxyEnv) -> Option<(String, u16)> {
    let url = env.https_proxy.as_deref()?;
    if let Some(list) = &env.no_proxy {
        let host = host.to_ascii_lowercase();
        for entry in list.split(',').map(|e| e.trim().to_ascii_lowercase()) {
            let entry = entry.trim_start_matches('.');
            if entry == "*"
                || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
            {
                return None;
            }
        }
    }
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.trim_matches(['[', ']']).to_string(), p.parse().ok()?)),
        None => Some((authority.to_string(), 8080)),
    }
}

/// Connects to the first address that answers, in resolver order (IPv6 `::1` before
/// 127.0.0.1 for `localhost` on some systems), as browsers and curl do.
async fn connect_any(addrs: &[std::net::SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address to connect to");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = io::Error::new(e.kind(), format!("{addr}: {e}")),
        }
    }
    Err(last)
}

/// Opens a tunnel through an HTTP proxy with CONNECT (RFC 9110 §9.3.6).
async fn connect_via_proxy(proxy: &(String, u16), host: &str, port: u16) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect((proxy.0.as_str(), proxy.1)).await?;
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let request =
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: certdesk\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // Read the proxy's answer byte by byte up to the blank line, so no TLS byte is consumed.
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 || head.len() > 16 * 1024 {
            return Err(io::Error::other(
                "the proxy closed the connection during CONNECT",
            ));
        }
        head.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or_default();
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(io::Error::other(format!(
            "the proxy {}:{} refused the tunnel: {status_line}",
            proxy.0, proxy.1
        )));
    }
    Ok(stream)
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
    fn proxy_settings_follow_curl_conventions() {
        let env = ProxyEnv {
            https_proxy: Some("http://user:pw@proxy.corp:3128/".into()),
            no_proxy: Some("localhost, .internal.example,10.0.0.1".into()),
        };
        assert_eq!(
            proxy_for("site.example", &env),
            Some(("proxy.corp".into(), 3128))
        );
        assert_eq!(proxy_for("app.internal.example", &env), None);
        assert_eq!(proxy_for("internal.example", &env), None);
        assert_eq!(proxy_for("LOCALHOST", &env), None);
        assert_eq!(proxy_for("x", &ProxyEnv::default()), None);
        let all = ProxyEnv {
            https_proxy: Some("proxy:8000".into()),
            no_proxy: Some("*".into()),
        };
        assert_eq!(proxy_for("x", &all), None);
    }

    #[test]
    fn a_check_goes_through_a_connect_proxy() {
        use std::io::{BufRead, BufReader, Write as _};
        // A minimal CONNECT proxy and a plain TCP "site" that answers garbage: the point is that
        // the TCP phase is reached through the tunnel and recorded.
        let site = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let site_port = site.local_addr().expect("addr").port();
        let proxy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let proxy_port = proxy.local_addr().expect("addr").port();
        let seen = std::sync::Arc::new(Mutex::new(String::new()));
        let seen2 = seen.clone();
        let handle = std::thread::spawn(move || {
            let (client, _) = proxy.accept().expect("accept");
            let mut reader = BufReader::new(client.try_clone().expect("clone"));
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
            *seen2.lock().expect("lock") = line.trim().to_string();
            loop {
                let mut l = String::new();
                reader.read_line(&mut l).expect("read");
                if l == "\r\n" || l.is_empty() {
                    break;
                }
            }
            let mut client = client;
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .expect("write");
            let (mut upstream, _) = (
                std::net::TcpStream::connect(("127.0.0.1", site_port)).expect("connect"),
                (),
            );
            upstream.write_all(b"").expect("noop");
            drop(upstream);
            drop(client);
        });
        let accept_site = std::thread::spawn(move || {
            let _ = site.accept();
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        let stream = runtime
            .block_on(connect_via_proxy(
                &("127.0.0.1".into(), proxy_port),
                "site.example",
                443,
            ))
            .expect("tunnel");
        drop(stream);
        handle.join().expect("proxy thread");
        accept_site.join().expect("site thread");
        assert_eq!(
            *seen.lock().expect("lock"),
            "CONNECT site.example:443 HTTP/1.1"
        );
    }
}
