//! `certdesk inspect`: what a file is and whether it can serve as a client certificate.

use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::prelude::FromDer;

use crate::cert::{self, CertInfo, FitnessProblem};
use crate::encoding::{self, Container, Content};
use crate::secret::SecretString;
use crate::{Error, Result};

/// What `inspect` found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum InspectReport {
    /// One or more certificates (PEM, DER, PKCS#7).
    Certificates {
        /// How they were packaged.
        container: Container,
        /// Each certificate with its fitness for client authentication.
        certificates: Vec<InspectedCert>,
    },
    /// A certificate request.
    Request(RequestInfo),
    /// A PKCS#12 file opened with its password.
    Pkcs12 {
        /// The key type in plain words.
        key: String,
        /// The key's friendly name.
        friendly_name: Option<String>,
        /// The certificates, leaf first.
        certificates: Vec<InspectedCert>,
    },
    /// A private key: its content is deliberately not shown.
    PrivateKey {
        /// Whether it is encrypted.
        encrypted: bool,
    },
}

/// A certificate and what stands between it and client authentication.
#[derive(Debug, Clone, Serialize)]
pub struct InspectedCert {
    /// The facts.
    #[serde(flatten)]
    pub info: CertInfo,
    /// "expires in N days" and friends.
    pub validity_words: String,
    /// Problems for client authentication; empty when fit.
    pub problems: Vec<FitnessProblem>,
    /// True when no blocking problem exists.
    pub fit_for_client_auth: bool,
}

/// A certificate request's facts.
#[derive(Debug, Clone, Serialize)]
pub struct RequestInfo {
    /// Subject DN.
    pub subject: String,
    /// Key in plain words.
    pub key: String,
    /// SANs requested.
    pub subject_alt_names: Vec<String>,
    /// Whether clientAuth is requested.
    pub requests_client_auth: bool,
    /// Whether an enrollment code (challengePassword) is included; its value is not shown.
    pub has_challenge_password: bool,
    /// Whether the self-signature verifies.
    pub signature_valid: bool,
    /// SHA-256 of the DER.
    pub sha256: String,
}

/// Describes a certificate and its fitness at `now`.
pub fn inspect_certificate(der: &[u8], now: OffsetDateTime) -> Result<InspectedCert> {
    let info = cert::parse_certificate(der)?;
    let problems = cert::client_auth_problems(&info, now);
    Ok(InspectedCert {
        validity_words: info.validity_words(now),
        fit_for_client_auth: !problems.iter().any(|p| p.blocking),
        problems,
        info,
    })
}

/// Inspects any supported file. A PKCS#12 needs `password`.
pub fn inspect_bytes(
    bytes: &[u8],
    source_name: &str,
    password: Option<&SecretString>,
) -> Result<InspectReport> {
    let now = OffsetDateTime::now_utc();
    match encoding::read_content(bytes, source_name)? {
        Content::Certificates {
            certs, container, ..
        } => Ok(InspectReport::Certificates {
            container,
            certificates: certs
                .iter()
                .map(|d| inspect_certificate(d, now))
                .collect::<Result<_>>()?,
        }),
        Content::CertificateRequest(der) => {
            inspect_request(&der, source_name).map(InspectReport::Request)
        }
        Content::PrivateKey { encrypted } => Ok(InspectReport::PrivateKey { encrypted }),
        Content::Pkcs12(der) => {
            let password = password.ok_or_else(|| Error::UnexpectedContent {
                expected: "a certificate, or a PKCS#12 file with --password-file".into(),
                found: "a PKCS#12 file (certificate with private key)".into(),
                source_name: source_name.into(),
            })?;
            let contents = crate::pkcs12::import_pkcs12(&der, password, source_name)?;
            Ok(InspectReport::Pkcs12 {
                key: contents.key.spec().describe().into(),
                friendly_name: contents.friendly_name,
                certificates: contents
                    .chain
                    .iter()
                    .map(|d| inspect_certificate(d, now))
                    .collect::<Result<_>>()?,
            })
        }
    }
}

fn inspect_request(der: &[u8], source_name: &str) -> Result<RequestInfo> {
    use x509_parser::certification_request::X509CertificationRequest;
    use x509_parser::extensions::ParsedExtension;
    let (_, req) = X509CertificationRequest::from_der(der).map_err(|e| Error::Malformed {
        what: "the certificate request".into(),
        source_name: source_name.into(),
        detail: e.to_string(),
    })?;
    let info = &req.certification_request_info;
    let mut sans = Vec::new();
    let mut client_auth = false;
    if let Some(exts) = req.requested_extensions() {
        for ext in exts {
            match ext {
                ParsedExtension::SubjectAlternativeName(san) => {
                    sans.extend(san.general_names.iter().map(|g| g.to_string()));
                }
                ParsedExtension::ExtendedKeyUsage(eku) => client_auth = eku.client_auth,
                _ => {}
            }
        }
    }
    let key = crate::key::spec_of_spki(&info.subject_pki)
        .map(|k| k.describe().to_string())
        .unwrap_or_else(|| "a key type certdesk does not create".into());
    Ok(RequestInfo {
        subject: info.subject.to_string(),
        key,
        subject_alt_names: sans,
        requests_client_auth: client_auth,
        has_challenge_password: info
            .attributes()
            .iter()
            .any(|a| a.oid.to_id_string() == "1.2.840.113549.1.9.7"),
        signature_valid: req.verify_signature().is_ok(),
        sha256: crate::csr::colon_hex(&<sha2::Sha256 as sha2::Digest>::digest(der)),
    })
}
