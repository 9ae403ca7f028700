//! TLS building blocks shared by the site check ([`crate::probe`]) and the HTTP client
//! ([`crate::transport`]): one crypto provider, trust anchors, and a client key for rustls.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;

use crate::probe::ClientIdentity;
use crate::{Error, Result};

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
pub(crate) fn certified_key(
    identity: &ClientIdentity,
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
