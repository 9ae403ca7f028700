//! TLS building blocks shared by the site check ([`crate::probe`]) and the HTTP client
//! ([`crate::transport`]): one crypto provider, trust anchors, and a client key for rustls.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;

use crate::probe::{ClientIdentity, ClientKey};
use crate::{Error, Result};

/// Seeds aws-lc's random generator on a thread of its own, once per process, and returns at
/// once.
///
/// aws-lc seeds its generator from CPU timing jitter on first use: 30–90 ms of computation
/// here, paid once per process (its tree DRBG seeds per-thread generators from one global
/// one). Paid when the first TLS handshake or key needs a random number, it adds to the
/// check's time; started here at process start, it runs while arguments, files and keys are
/// read and the name is resolved and connected. The entropy source stays the same.
pub fn warm_random() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = std::thread::Builder::new()
            .name("certdesk-rng-seed".into())
            .spawn(|| {
                let mut byte = [0u8; 1];
                // A failure here shows again, with its context, where randomness is needed.
                let _ = provider().secure_random.fill(&mut byte);
            });
    });
}

/// aws-lc-rs, the one provider of the workspace (rcgen uses it too).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The trust anchors for a server's certificate: the given CA file when there is one (as
/// `curl --cacert` does: a private server CA is the reason to give it, and reading the OS
/// bundle costs ~100 ms), else the OS roots.
pub(crate) fn root_store(extra_pem: Option<&[u8]>) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    if extra_pem.is_none() {
        // A missing or unreadable system bundle only narrows what we trust.
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
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

/// The identity as rustls needs it. The key is handed over in memory only.
pub(crate) fn certified_key(identity: &ClientIdentity) -> Result<Arc<CertifiedKey>> {
    let signing: Arc<dyn rustls::sign::SigningKey> = match &identity.key {
        ClientKey::Software(key) => {
            // Borrowed, not copied: aws-lc keeps its own parsed key (wiped when freed) and no
            // plaintext copy of the PKCS#8 bytes is left behind. aws-lc-rs, as in `provider`.
            let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.pkcs8_der()));
            rustls::crypto::aws_lc_rs::sign::any_supported_type(&key_der)
                .map_err(|e| Error::crypto("load the key for TLS", e))?
        }
        // Every signature is made on the token.
        ClientKey::Token(signer) => Arc::new(signer.clone()),
    };
    let chain = identity
        .chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}
