//! certdesk-practice: the built-in practice CA, so a newcomer can try the whole flow offline.
//!
//! [`start`] runs two real HTTPS servers (hyper 1 + tokio-rustls, aws-lc-rs) on 127.0.0.1, on a
//! tokio runtime of their own in a background thread:
//!
//! - an EST endpoint (RFC 7030 + RFC 8951) at `https://127.0.0.1:PORT/.well-known/est/` that
//!   signs requests with a throwaway "certdesk Practice CA" after HTTP Basic with the user
//!   `practice` and a demo enrollment code made at start;
//! - a practice site at `https://127.0.0.1:PORT2/` that requires a client certificate from that
//!   CA during the TLS handshake and greets its holder by name.
//!
//! The CA is created on first start in the data directory (the app and the CLI use
//! `<wallet home>/practice`) and kept: its certificate as `ca.pem`, its key as an encrypted
//! PKCS#8 `ca-key.pem` (mode 0600) under a random secret in the OS keyring or the user's
//! passphrase, exactly as the wallet protects keys. The servers' own TLS key is made at every
//! start and lives only in memory.
//!
//! It does not listen on anything but loopback, keep a list of issued certificates, revoke, or
//! answer 202 (pending): every valid request is signed at once.

// Public only for the fuzz targets (fuzz/): the request decoding they exercise.
#[doc(hidden)]
pub mod ca;
#[doc(hidden)]
pub mod est;
mod site;

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use certdesk_core::secret::SecretString;
use certdesk_core::wallet::KeyAccess;
use certdesk_core::{Error, Result};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rand::Rng;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

pub use ca::{
    fingerprint_sha256, CA_COMMON_NAME, CLIENT_VALIDITY_DAYS, MAX_CLIENT_VALIDITY,
    MIN_CLIENT_VALIDITY,
};
pub use est::{EST_PATH, REALM};

use est::{EstRequest, EstState, Reply};

/// The user name the EST endpoint expects with the demo code.
pub const DEMO_USER: &str = "practice";

/// How long a client may take for the TLS handshake, to send its request headers, or to send
/// its request body.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);

/// Most connections each of the two servers serves at once; a connection beyond that is closed
/// at once, so a client that opens many and sends nothing cannot exhaust the process.
pub const MAX_CONNECTIONS: usize = 64;

/// What [`start`] needs.
#[derive(Debug, Clone)]
pub struct PracticeConfig {
    /// Where the practice CA lives (created 0700 when missing): `<wallet home>/practice`.
    pub data_dir: PathBuf,
    /// Port of the EST endpoint on 127.0.0.1; 0 picks a free one.
    pub est_port: u16,
    /// Port of the practice site on 127.0.0.1; 0 picks a free one.
    pub site_port: u16,
    /// What protects the CA key. A new CA uses the passphrase when one is given, else a
    /// random secret in `vault`; an existing CA needs what it was created with.
    pub key_access: KeyAccess,
    /// Lifetime of the client certificates it issues ([`default_client_validity`], 90 days,
    /// unless a short one is wanted to watch renewal happen): kept within
    /// [`MIN_CLIENT_VALIDITY`]..=[`MAX_CLIENT_VALIDITY`].
    pub client_validity: Duration,
}

/// The usual client certificate lifetime, [`CLIENT_VALIDITY_DAYS`] days.
pub fn default_client_validity() -> Duration {
    Duration::from_secs(CLIENT_VALIDITY_DAYS.unsigned_abs() * 86_400)
}

/// A running practice CA. [`PracticeServer::stop`] (or dropping it) stops both servers and
/// joins their thread.
#[derive(Debug)]
pub struct PracticeServer {
    /// The EST base URL, `https://127.0.0.1:PORT/.well-known/est/`.
    pub est_url: String,
    /// The practice site, `https://127.0.0.1:PORT2/`.
    pub site_url: String,
    /// The EST endpoint's address.
    pub est_addr: SocketAddr,
    /// The practice site's address.
    pub site_addr: SocketAddr,
    /// The user name for HTTP Basic ([`DEMO_USER`]).
    pub demo_user: String,
    /// The enrollment code, new at every start and valid until [`PracticeServer::stop`]. It
    /// is meant to be shown to the user (`expose()`), but it is a [`SecretString`] so that
    /// `Debug` output and logs never carry it.
    pub demo_code: SecretString,
    /// The practice CA certificate (DER).
    pub ca_certificate_der: Vec<u8>,
    /// The practice CA certificate file (`<data_dir>/ca.pem`), for `--ca-file`.
    pub ca_certificate_file: PathBuf,
    /// SHA-256 of the CA certificate as `AB:CD:…`, for `--trust-fingerprint`.
    pub ca_sha256_fingerprint: String,
    /// True when this start created the CA (first start in this data directory).
    pub ca_created: bool,
    /// Lifetime of the client certificates it issues (after clamping).
    pub client_validity: Duration,
    shutdown: Option<watch::Sender<bool>>,
    thread: Option<JoinHandle<()>>,
}

impl PracticeServer {
    /// Stops both servers (open connections are dropped) and waits for their thread.
    pub fn stop(mut self) {
        self.shutdown_and_join();
    }

    fn shutdown_and_join(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for PracticeServer {
    fn drop(&mut self) {
        self.shutdown_and_join();
    }
}

/// Opens (or creates) the practice CA in `config.data_dir`, binds both ports on 127.0.0.1 and
/// returns once both are listening.
///
/// Errors: [`Error::Listen`] when a port is taken, [`Error::Io`] when the data directory cannot
/// be written, [`Error::NoKeyring`] / [`Error::Keyring`] when the keyring is unavailable,
/// [`Error::WrongPassword`] and [`Error::PracticeCaUnusable`] when the existing CA cannot be
/// opened with what was given.
pub fn start(config: PracticeConfig) -> Result<PracticeServer> {
    let est_listener = bind(config.est_port)?;
    let site_listener = bind(config.site_port)?;
    let est_addr = local_addr(&est_listener)?;
    let site_addr = local_addr(&site_listener)?;

    let ca = ca::PracticeCa::open_or_create(&config.data_dir, &config.key_access)?;
    let ca_der = ca.cert_der().to_vec();
    let server_identity = ca.issue_server_identity()?;
    let est_tls = tls_config(&ca_der, &server_identity, false)?;
    let site_tls = tls_config(&ca_der, &server_identity, true)?;
    drop(server_identity);

    let demo_code = generate_demo_code();
    let state = Arc::new(EstState {
        ca,
        user: DEMO_USER.to_string(),
        code: demo_code.clone(),
        validity: config.client_validity,
    });
    let ca_created = state.ca.created;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            op: "start the server runtime for",
            path: config.data_dir.clone(),
            source,
        })?;
    let (est_listener, site_listener) = {
        let _guard = runtime.enter();
        (
            TcpListener::from_std(est_listener).map_err(listen_error(est_addr))?,
            TcpListener::from_std(site_listener).map_err(listen_error(site_addr))?,
        )
    };
    let (tx, rx) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("certdesk-practice".into())
        .spawn(move || {
            runtime.block_on(async move {
                let est = tokio::spawn(accept_loop(
                    est_listener,
                    TlsAcceptor::from(est_tls),
                    Service::Est(state),
                    rx.clone(),
                ));
                let site = tokio::spawn(accept_loop(
                    site_listener,
                    TlsAcceptor::from(site_tls),
                    Service::Site,
                    rx,
                ));
                let _ = est.await;
                let _ = site.await;
            });
        })
        .map_err(|source| Error::Io {
            op: "start the server thread for",
            path: config.data_dir.clone(),
            source,
        })?;

    Ok(PracticeServer {
        est_url: format!("https://{est_addr}{EST_PATH}"),
        site_url: format!("https://{site_addr}/"),
        est_addr,
        site_addr,
        demo_user: DEMO_USER.to_string(),
        demo_code,
        ca_sha256_fingerprint: fingerprint_sha256(&ca_der),
        ca_certificate_der: ca_der,
        ca_certificate_file: config.data_dir.join("ca.pem"),
        ca_created,
        client_validity: config
            .client_validity
            .clamp(MIN_CLIENT_VALIDITY, MAX_CLIENT_VALIDITY),
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

fn bind(port: u16) -> Result<StdListener> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = StdListener::bind(addr).map_err(listen_error(addr))?;
    listener.set_nonblocking(true).map_err(listen_error(addr))?;
    Ok(listener)
}

fn local_addr(listener: &StdListener) -> Result<SocketAddr> {
    listener.local_addr().map_err(|source| Error::Listen {
        address: "127.0.0.1".into(),
        source,
    })
}

fn listen_error(addr: SocketAddr) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Listen {
        address: addr.to_string(),
        source,
    }
}

/// Twelve characters from an alphabet without look-alikes (0/O, 1/l/I), in groups of four:
/// about 68 bits, plenty for a code that only opens a loopback practice CA.
fn generate_demo_code() -> SecretString {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let mut code = String::with_capacity(14);
    for group in 0..3 {
        if group > 0 {
            code.push('-');
        }
        for _ in 0..4 {
            code.push(char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]));
        }
    }
    SecretString::new(code)
}

fn tls_config(
    ca_der: &[u8],
    server: &ca::ServerIdentity,
    require_client_cert: bool,
) -> Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca_der.to_vec()))
        .map_err(|e| tls_error("trust the practice CA", e))?;
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    let verifier = if require_client_cert {
        builder.build()
    } else {
        builder.allow_unauthenticated().build()
    }
    .map_err(|e| tls_error("set up client certificate checks", e))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key_pkcs8.to_vec()));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("choose TLS versions", e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![
                CertificateDer::from(server.cert_der.clone()),
                CertificateDer::from(ca_der.to_vec()),
            ],
            key,
        )
        .map_err(|e| tls_error("load the server certificate", e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn tls_error(op: &str, e: impl std::fmt::Display) -> Error {
    Error::Crypto {
        op: op.into(),
        detail: e.to_string(),
    }
}

#[derive(Debug, Clone)]
enum Service {
    Est(Arc<EstState>),
    Site,
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    service: Service,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                // Over the cap: closed at once (dropping the stream).
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let (acceptor, service) = (acceptor.clone(), service.clone());
                tokio::spawn(async move {
                    serve_connection(tcp, acceptor, service).await;
                    drop(slot);
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn serve_connection(tcp: tokio::net::TcpStream, acceptor: TlsAcceptor, service: Service) {
    // A refused handshake (no certificate, another CA) ends here: rustls has sent the alert.
    let Ok(Ok(tls)) = tokio::time::timeout(CLIENT_TIMEOUT, acceptor.accept(tcp)).await else {
        return;
    };
    let peer: Option<Arc<Vec<u8>>> = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| Arc::new(c.to_vec()));
    let svc = service_fn(move |req: Request<Incoming>| {
        let service = service.clone();
        let peer = peer.clone();
        async move { Ok::<_, Infallible>(respond(req, &service, peer.as_deref()).await) }
    });
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(CLIENT_TIMEOUT)
        .serve_connection(TokioIo::new(tls), svc)
        .await;
}

async fn respond(req: Request<Incoming>, service: &Service, peer: Option<&Vec<u8>>) -> Reply {
    match service {
        Service::Site => site::page(peer.map(Vec::as_slice)),
        Service::Est(state) => {
            let (parts, body) = req.into_parts();
            let collected =
                tokio::time::timeout(CLIENT_TIMEOUT, Limited::new(body, est::MAX_BODY).collect())
                    .await;
            let Ok(collected) = collected else {
                return est::text(
                    StatusCode::REQUEST_TIMEOUT,
                    &format!(
                        "the request body did not arrive within {} s\n",
                        CLIENT_TIMEOUT.as_secs()
                    ),
                );
            };
            let body = match collected {
                Ok(collected) => collected.to_bytes(),
                Err(e)
                    if e.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some() =>
                {
                    return est::text(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!(
                            "the body is larger than {} KiB; a certificate request is a few KiB\n",
                            est::MAX_BODY / 1024
                        ),
                    )
                }
                Err(_) => Bytes::new(),
            };
            est::handle(
                state,
                &EstRequest {
                    method: &parts.method,
                    path: parts.uri.path(),
                    authorization: parts.headers.get(hyper::header::AUTHORIZATION),
                    body: &body,
                    peer_cert: peer.map(Vec::as_slice),
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_codes_have_the_documented_shape_and_differ() {
        let a = generate_demo_code();
        let b = generate_demo_code();
        assert_ne!(a.expose(), b.expose());
        let groups: Vec<&str> = a.expose().split('-').collect();
        assert_eq!(groups.len(), 3);
        assert!(groups.iter().all(|g| g.len() == 4), "{}", a.expose());
        assert_eq!(format!("{a:?}"), "[redacted]");
    }
}
