//! Certificate status: expiry (days left, "renew soon") and revocation through the CRL
//! distribution point and the OCSP responder named in the certificate (issue #7).
//!
//! The parsing and verification steps are pure ([`check_crl`], [`build_ocsp_request`],
//! [`check_ocsp_response`]); [`check_status`] fetches through [`crate::transport`], the only
//! HTTP client code. Every source ends in [`SourceStatus::Good`], [`SourceStatus::Revoked`] with
//! the date and reason, or [`SourceStatus::Unknown`] with the reason why not — an unreachable
//! responder or a CRL with a bad signature is data, not an error.
//!
//! Checks made: the CRL is signed by the certificate's issuer (RFC 5280 §6.3.3 (f)/(g)), names
//! the same issuer, and its nextUpdate has not passed; the OCSP answer (RFC 6960) is for this
//! certificate (CertID), signed by the issuer or by a responder certificate the issuer signed
//! for OCSP signing (§4.2.2.2), fresh (nextUpdate), and carries our nonce when the responder
//! echoes one (RFC 8954).

use std::time::Duration;

use der::asn1::{AnyRef, OctetString};
use der::{Decode, Encode, Reader, SliceReader};
use serde::Serialize;
use sha1::{Digest as _, Sha1};
use time::OffsetDateTime;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::cert::CertInfo;
use crate::wallet::Identity;
use crate::{Error, Result};

/// Default: announce renewal this many days before expiry.
pub const DEFAULT_RENEW_WITHIN_DAYS: i64 = 30;

const OID_OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
const OID_OCSP_NONCE: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
const OID_SHA1: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

/// Where the certificate says its status can be checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RevocationSources {
    /// CRL distribution point URLs (`http://` or `https://`).
    pub crl_urls: Vec<String>,
    /// OCSP responder URLs from Authority Information Access.
    pub ocsp_urls: Vec<String>,
}

/// The CRL and OCSP URLs in a certificate (DER).
pub fn revocation_sources(cert_der: &[u8]) -> Result<RevocationSources> {
    let (_, cert) = X509Certificate::from_der(cert_der).map_err(|e| Error::Malformed {
        what: "the certificate".into(),
        source_name: "the identity".into(),
        detail: e.to_string(),
    })?;
    let mut out = RevocationSources::default();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &point.distribution_point
                    {
                        for name in names {
                            if let GeneralName::URI(uri) = name {
                                out.crl_urls.push((*uri).to_string());
                            }
                        }
                    }
                }
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for desc in &aia.accessdescs {
                    if desc.access_method.to_id_string() == "1.3.6.1.5.5.7.48.1" {
                        if let GeneralName::URI(uri) = &desc.access_location {
                            out.ocsp_urls.push((*uri).to_string());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Why a source could not say good or revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownReason {
    /// The certificate names no URL for this source.
    NoUrl,
    /// The identity has no issuer certificate to verify the answer with.
    NoIssuer,
    /// The server could not be reached or did not answer in time.
    Unreachable,
    /// The server answered with an HTTP error or an OCSP error status.
    ServerError,
    /// The answer could not be read.
    Malformed,
    /// The answer's signature does not verify against the issuer (or a delegated responder).
    SignatureInvalid,
    /// The CRL names a different issuer, or the OCSP answer is about another certificate.
    WrongIssuer,
    /// The answer is past its nextUpdate.
    Stale,
    /// The answer's thisUpdate is in the future.
    NotYetValid,
    /// The OCSP answer carries a different nonce than the request.
    NonceMismatch,
    /// The OCSP responder says it does not know the certificate.
    ResponderUnknown,
}

/// The answer of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SourceStatus {
    /// Not revoked, according to a verified, current answer.
    Good,
    /// Revoked.
    Revoked {
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        revoked_at: OffsetDateTime,
        /// RFC 5280 reason (`keyCompromise`, …), when given.
        reason: Option<String>,
    },
    /// Cannot say.
    Unknown {
        /// Why.
        reason: UnknownReason,
        /// The details, in words.
        detail: String,
    },
}

impl SourceStatus {
    fn unknown(reason: UnknownReason, detail: impl Into<String>) -> SourceStatus {
        SourceStatus::Unknown {
            reason,
            detail: detail.into(),
        }
    }
}

/// One source's result with the URL asked and the answer's validity window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCheck {
    /// `crl` or `ocsp`.
    pub source: &'static str,
    /// The URL asked, if any.
    pub url: Option<String>,
    /// The answer.
    pub status: SourceStatus,
    /// The answer's thisUpdate.
    #[serde(with = "time::serde::rfc3339::option")]
    pub this_update: Option<OffsetDateTime>,
    /// The answer's nextUpdate.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_update: Option<OffsetDateTime>,
}

/// Where a certificate stands in its lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryState {
    /// Valid for longer than the renewal window.
    Valid,
    /// Valid, but expires within the renewal window: renew now.
    RenewSoon,
    /// Past notAfter.
    Expired,
    /// Before notBefore.
    NotYetValid,
}

/// Expiry in numbers and one sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiryStatus {
    /// Valid, renew soon, expired, not yet valid.
    pub state: ExpiryState,
    /// Whole days until notAfter (negative once expired).
    pub days_left: i64,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// The renewal window used.
    pub renew_within_days: i64,
    /// Plain words.
    pub sentence: String,
}

/// Expiry of a certificate relative to `now`, with "renew soon" within `renew_within_days`.
pub fn expiry_status(info: &CertInfo, now: OffsetDateTime, renew_within_days: i64) -> ExpiryStatus {
    let days_left = (info.not_after - now).whole_days();
    let state = if now < info.not_before {
        ExpiryState::NotYetValid
    } else if now > info.not_after {
        ExpiryState::Expired
    } else if days_left < renew_within_days {
        ExpiryState::RenewSoon
    } else {
        ExpiryState::Valid
    };
    let words = info.validity_words(now);
    let sentence = match state {
        ExpiryState::RenewSoon => format!("The certificate {words}: renew it now."),
        ExpiryState::Expired => format!("The certificate {words}: get a new one."),
        _ => format!("The certificate {words}."),
    };
    ExpiryStatus {
        state,
        days_left,
        not_after: info.not_after,
        renew_within_days,
        sentence,
    }
}

fn to_offset(t: x509_parser::time::ASN1Time) -> OffsetDateTime {
    t.to_datetime()
}

fn reason_name(code: u8) -> String {
    // RFC 5280 §5.3.1 CRLReason.
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unknown reason",
    }
    .to_string()
}

fn parse_cert<'a>(der: &'a [u8], what: &str) -> std::result::Result<X509Certificate<'a>, String> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| format!("{what} could not be read: {e}"))
}

/// Checks a CRL (PEM or DER) for `cert_der`, verifying it against `issuer_der` at `now`.
pub fn check_crl(
    crl: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    now: OffsetDateTime,
) -> (SourceStatus, Option<OffsetDateTime>, Option<OffsetDateTime>) {
    use UnknownReason as U;
    let der_owned;
    let der: &[u8] = if crl.starts_with(b"-----BEGIN") {
        match pem::parse(crl) {
            Ok(p) => {
                der_owned = p.into_contents();
                &der_owned
            }
            Err(e) => {
                return (
                    SourceStatus::unknown(U::Malformed, format!("the CRL is not PEM: {e}")),
                    None,
                    None,
                )
            }
        }
    } else {
        crl
    };
    let parsed = match x509_parser::parse_x509_crl(der) {
        Ok((_, c)) => c,
        Err(e) => {
            return (
                SourceStatus::unknown(U::Malformed, format!("the CRL could not be read: {e}")),
                None,
                None,
            )
        }
    };
    let this_update = Some(to_offset(parsed.last_update()));
    let next_update = parsed.next_update().map(to_offset);
    let with_times = |s| (s, this_update, next_update);
    let (cert, issuer) = match (
        parse_cert(cert_der, "the certificate"),
        parse_cert(issuer_der, "the issuer certificate"),
    ) {
        (Ok(c), Ok(i)) => (c, i),
        (Err(e), _) | (_, Err(e)) => return with_times(SourceStatus::unknown(U::Malformed, e)),
    };
    if parsed.issuer().as_raw() != cert.issuer().as_raw() {
        return with_times(SourceStatus::unknown(
            U::WrongIssuer,
            format!(
                "the CRL is from {}, the certificate from {}",
                parsed.issuer(),
                cert.issuer()
            ),
        ));
    }
    if let Err(e) = parsed.verify_signature(issuer.public_key()) {
        return with_times(SourceStatus::unknown(
            U::SignatureInvalid,
            format!(
                "the CRL's signature does not verify with the key of {}: {e}",
                issuer.subject()
            ),
        ));
    }
    if this_update.is_some_and(|t| t > now + time::Duration::minutes(5)) {
        return with_times(SourceStatus::unknown(
            U::NotYetValid,
            "the CRL's thisUpdate is in the future (check this computer's clock)",
        ));
    }
    if let Some(next) = next_update {
        if next < now {
            return with_times(SourceStatus::unknown(
                U::Stale,
                format!("the CRL expired at {next} (nextUpdate); the CA has not published a newer one there"),
            ));
        }
    }
    let serial = cert.raw_serial();
    for revoked in parsed.iter_revoked_certificates() {
        if revoked.raw_serial() == serial {
            return with_times(SourceStatus::Revoked {
                revoked_at: to_offset(revoked.revocation_date),
                reason: revoked.reason_code().map(|(_, r)| reason_name(r.0)),
            });
        }
    }
    with_times(SourceStatus::Good)
}

/// The OCSP CertID of `cert_der` under `issuer_der` (SHA-1, as every responder supports).
fn cert_id(cert_der: &[u8], issuer_der: &[u8]) -> Result<x509_ocsp::CertId> {
    let bad = |what: &str, e: &dyn std::fmt::Display| Error::Malformed {
        what: what.into(),
        source_name: "the identity".into(),
        detail: e.to_string(),
    };
    let cert =
        x509_cert::Certificate::from_der(cert_der).map_err(|e| bad("the certificate", &e))?;
    let issuer = x509_cert::Certificate::from_der(issuer_der)
        .map_err(|e| bad("the issuer certificate", &e))?;
    let name_der = issuer
        .tbs_certificate
        .subject
        .to_der()
        .map_err(|e| bad("the issuer name", &e))?;
    let key_bits = issuer
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    let octets = |b: &[u8]| OctetString::new(b.to_vec()).map_err(|e| bad("a hash", &e));
    Ok(x509_ocsp::CertId {
        hash_algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
            oid: OID_SHA1,
            parameters: Some(der::asn1::Null.into()),
        },
        issuer_name_hash: octets(&Sha1::digest(&name_der))?,
        issuer_key_hash: octets(&Sha1::digest(key_bits))?,
        serial_number: cert.tbs_certificate.serial_number.clone(),
    })
}

/// An OCSPRequest (DER) for `cert_der`, with a nonce extension when `nonce` is given.
pub fn build_ocsp_request(
    cert_der: &[u8],
    issuer_der: &[u8],
    nonce: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let enc = |e: der::Error| Error::crypto("encode the OCSP request", e);
    let request_extensions = match nonce {
        Some(n) => {
            let inner = OctetString::new(n.to_vec())
                .map_err(enc)?
                .to_der()
                .map_err(enc)?;
            Some(vec![x509_cert::ext::Extension {
                extn_id: OID_OCSP_NONCE,
                critical: false,
                extn_value: OctetString::new(inner).map_err(enc)?,
            }])
        }
        None => None,
    };
    let request = x509_ocsp::OcspRequest {
        tbs_request: x509_ocsp::TbsRequest {
            version: x509_ocsp::Version::V1,
            requestor_name: None,
            request_list: vec![x509_ocsp::Request {
                req_cert: cert_id(cert_der, issuer_der)?,
                single_request_extensions: None,
            }],
            request_extensions,
        },
        optional_signature: None,
    };
    request.to_der().map_err(enc)
}

fn generalized(t: &x509_ocsp::OcspGeneralizedTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.0.to_unix_duration().as_secs() as i64)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The raw DER of the first element of a SEQUENCE (the signed part of a BasicOCSPResponse).
fn first_element_der(seq_der: &[u8]) -> std::result::Result<Vec<u8>, der::Error> {
    let outer = AnyRef::from_der(seq_der)?;
    let mut reader = SliceReader::new(outer.value())?;
    let first: AnyRef<'_> = reader.decode()?;
    first.to_der()
}

fn verify_signed(
    signer_der: &[u8],
    tbs: &[u8],
    alg: &x509_cert::spki::AlgorithmIdentifierOwned,
    signature: &der::asn1::BitString,
) -> std::result::Result<(), String> {
    let signer = parse_cert(signer_der, "the signer certificate")?;
    let alg_der = alg.to_der().map_err(|e| e.to_string())?;
    let (_, alg) =
        x509_parser::x509::AlgorithmIdentifier::from_der(&alg_der).map_err(|e| e.to_string())?;
    let bits = x509_parser::der_parser::asn1_rs::BitString::new(
        signature.unused_bits(),
        signature.raw_bytes(),
    );
    x509_parser::verify::verify_signature(signer.public_key(), &alg, &bits, tbs)
        .map_err(|e| e.to_string())
}

/// Checks an OCSPResponse (DER) for `cert_der`: status, CertID, signer, signature, freshness
/// and (when `nonce` was sent and the responder echoes one) the nonce.
pub fn check_ocsp_response(
    response: &[u8],
    cert_der: &[u8],
    issuer_der: &[u8],
    nonce: Option<&[u8]>,
    now: OffsetDateTime,
) -> (SourceStatus, Option<OffsetDateTime>, Option<OffsetDateTime>) {
    use UnknownReason as U;
    let outer = match x509_ocsp::OcspResponse::from_der(response) {
        Ok(r) => r,
        Err(e) => {
            return (
                SourceStatus::unknown(
                    U::Malformed,
                    format!("the OCSP answer could not be read: {e}"),
                ),
                None,
                None,
            )
        }
    };
    if outer.response_status != x509_ocsp::OcspResponseStatus::Successful {
        return (
            SourceStatus::unknown(
                U::ServerError,
                format!("the OCSP responder answered {:?}", outer.response_status),
            ),
            None,
            None,
        );
    }
    let Some(bytes) = outer.response_bytes else {
        return (
            SourceStatus::unknown(U::Malformed, "the OCSP answer is empty"),
            None,
            None,
        );
    };
    if bytes.response_type.to_string() != OID_OCSP_BASIC {
        return (
            SourceStatus::unknown(
                U::Malformed,
                format!("unsupported OCSP answer type {}", bytes.response_type),
            ),
            None,
            None,
        );
    }
    let basic_der = bytes.response.as_bytes();
    let basic = match x509_ocsp::BasicOcspResponse::from_der(basic_der) {
        Ok(b) => b,
        Err(e) => {
            return (
                SourceStatus::unknown(
                    U::Malformed,
                    format!("the OCSP answer could not be read: {e}"),
                ),
                None,
                None,
            )
        }
    };
    let Ok(wanted) = cert_id(cert_der, issuer_der) else {
        return (
            SourceStatus::unknown(U::Malformed, "the certificate could not be read"),
            None,
            None,
        );
    };
    let Some(single) = basic.tbs_response_data.responses.iter().find(|r| {
        r.cert_id.serial_number == wanted.serial_number
            && r.cert_id.issuer_name_hash == wanted.issuer_name_hash
            && r.cert_id.issuer_key_hash == wanted.issuer_key_hash
    }) else {
        return (
            SourceStatus::unknown(
                U::WrongIssuer,
                "the OCSP answer is not about this certificate",
            ),
            None,
            None,
        );
    };
    let this_update = Some(generalized(&single.this_update));
    let next_update = single.next_update.as_ref().map(generalized);
    let with_times = |s| (s, this_update, next_update);
    // Who signed: the issuer itself, or a certificate in the answer that the issuer signed for
    // OCSP signing (RFC 6960 §4.2.2.2).
    let tbs = match first_element_der(basic_der) {
        Ok(t) => t,
        Err(e) => return with_times(SourceStatus::unknown(U::Malformed, e.to_string())),
    };
    let mut verified = verify_signed(
        issuer_der,
        &tbs,
        &basic.signature_algorithm,
        &basic.signature,
    )
    .is_ok();
    if !verified {
        for c in basic.certs.iter().flatten() {
            let Ok(c_der) = c.to_der() else { continue };
            let Ok(parsed) = parse_cert(&c_der, "the responder certificate") else {
                continue;
            };
            let Ok(issuer) = parse_cert(issuer_der, "the issuer") else {
                continue;
            };
            let for_ocsp = parsed
                .extended_key_usage()
                .ok()
                .flatten()
                .is_some_and(|eku| {
                    eku.value
                        .other
                        .iter()
                        .any(|o| o.to_id_string() == OID_KP_OCSP_SIGNING)
                        || eku.value.ocsp_signing
                });
            let issued_by_issuer = parsed.issuer().as_raw() == issuer.subject().as_raw()
                && parsed.verify_signature(Some(issuer.public_key())).is_ok();
            if for_ocsp
                && issued_by_issuer
                && verify_signed(&c_der, &tbs, &basic.signature_algorithm, &basic.signature).is_ok()
            {
                verified = true;
                break;
            }
        }
    }
    if !verified {
        return with_times(SourceStatus::unknown(
            U::SignatureInvalid,
            "the OCSP answer is not signed by the issuer or by a responder the issuer authorised",
        ));
    }
    if let Some(sent) = nonce {
        let echoed = basic
            .tbs_response_data
            .response_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == OID_OCSP_NONCE);
        if let Some(ext) = echoed {
            let matches = OctetString::from_der(ext.extn_value.as_bytes())
                .map(|o| o.as_bytes() == sent)
                .unwrap_or(false);
            if !matches {
                return with_times(SourceStatus::unknown(
                    U::NonceMismatch,
                    "the OCSP answer carries another request's nonce (a replayed answer?)",
                ));
            }
        }
    }
    if this_update.is_some_and(|t| t > now + time::Duration::minutes(5)) {
        return with_times(SourceStatus::unknown(
            U::NotYetValid,
            "the OCSP answer's thisUpdate is in the future (check this computer's clock)",
        ));
    }
    if let Some(next) = next_update {
        if next < now {
            return with_times(SourceStatus::unknown(
                U::Stale,
                format!("the OCSP answer expired at {next} (nextUpdate)"),
            ));
        }
    }
    with_times(match &single.cert_status {
        x509_ocsp::CertStatus::Good(_) => SourceStatus::Good,
        x509_ocsp::CertStatus::Revoked(info) => SourceStatus::Revoked {
            revoked_at: generalized(&info.revocation_time),
            reason: info.revocation_reason.map(|r| reason_name(r as u8)),
        },
        x509_ocsp::CertStatus::Unknown(_) => SourceStatus::unknown(
            U::ResponderUnknown,
            "the OCSP responder does not know this certificate",
        ),
    })
}

/// A source's answer with its thisUpdate and nextUpdate.
type Checked = (SourceStatus, Option<OffsetDateTime>, Option<OffsetDateTime>);

/// How to check.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// "Renew soon" within this many days.
    pub renew_within_days: i64,
    /// Limit for each fetch.
    pub timeout: Duration,
    /// Skip the network (expiry only; revocation sources say why they are unknown).
    pub offline: bool,
}

impl Default for StatusOptions {
    fn default() -> Self {
        StatusOptions {
            renew_within_days: DEFAULT_RENEW_WITHIN_DAYS,
            timeout: Duration::from_secs(10),
            offline: false,
        }
    }
}

/// Overall answer of [`check_status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    /// Valid and not revoked according to at least one verified source.
    Good,
    /// Valid, not revoked, but due for renewal.
    RenewSoon,
    /// Revoked according to a verified source.
    Revoked,
    /// Past its end of validity (or not valid yet).
    Expired,
    /// Valid, but no source could confirm it is not revoked.
    Unknown,
}

/// Expiry and revocation of one identity.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// Identity id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Certificate subject.
    pub subject: String,
    /// Expiry.
    pub expiry: ExpiryStatus,
    /// One result per source (CRL first, then OCSP).
    pub revocation: Vec<SourceCheck>,
    /// The summary.
    pub overall: Overall,
    /// When checked.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: OffsetDateTime,
}

fn fetch(
    request: &crate::transport::HttpRequest<'_>,
) -> std::result::Result<Vec<u8>, SourceStatus> {
    match crate::transport::send(request) {
        Ok(r) if (200..300).contains(&r.status) => Ok(r.body),
        Ok(r) => Err(SourceStatus::unknown(
            UnknownReason::ServerError,
            format!("{} answered {}", request.url, r.status_line()),
        )),
        Err(e) => Err(SourceStatus::unknown(
            UnknownReason::Unreachable,
            e.to_string(),
        )),
    }
}

/// Checks expiry and asks every CRL distribution point and OCSP responder the certificate
/// names (the first URL of each kind), verifying each answer against the issuer in the
/// identity's chain.
pub fn check_status(identity: &Identity, options: &StatusOptions) -> Result<StatusReport> {
    let chain = identity.chain_der()?;
    let leaf = &chain[0];
    let info = crate::cert::parse_certificate(leaf)?;
    let now = OffsetDateTime::now_utc();
    let expiry = expiry_status(&info, now, options.renew_within_days);
    let sources = revocation_sources(leaf)?;
    let issuer = chain.get(1).cloned();
    let mut revocation = Vec::new();
    let check = |source: &'static str,
                 urls: &[String],
                 run: &dyn Fn(&str, &[u8]) -> Checked|
     -> SourceCheck {
        let url = urls.first().cloned();
        let (status, this_update, next_update) = match (&url, &issuer) {
            (None, _) => (
                SourceStatus::unknown(
                    UnknownReason::NoUrl,
                    format!(
                        "the certificate names no {} address",
                        if source == "crl" { "CRL" } else { "OCSP" }
                    ),
                ),
                None,
                None,
            ),
            (Some(_), None) => (
                SourceStatus::unknown(
                    UnknownReason::NoIssuer,
                    "the identity holds no issuer certificate to verify the answer with",
                ),
                None,
                None,
            ),
            (Some(_), Some(_)) if options.offline => (
                SourceStatus::unknown(UnknownReason::Unreachable, "not checked: offline"),
                None,
                None,
            ),
            (Some(u), Some(i)) => run(u, i),
        };
        SourceCheck {
            source,
            url,
            status,
            this_update,
            next_update,
        }
    };
    revocation.push(check("crl", &sources.crl_urls, &|url, issuer| {
        let mut request = crate::transport::HttpRequest::get(url);
        request.timeout = options.timeout;
        match fetch(&request) {
            Ok(body) => check_crl(&body, leaf, issuer, OffsetDateTime::now_utc()),
            Err(s) => (s, None, None),
        }
    }));
    revocation.push(check("ocsp", &sources.ocsp_urls, &|url, issuer| {
        let nonce = crate::secret::random_bytes::<16>();
        let body = match build_ocsp_request(leaf, issuer, Some(&nonce)) {
            Ok(b) => b,
            Err(e) => {
                return (
                    SourceStatus::unknown(UnknownReason::Malformed, e.to_string()),
                    None,
                    None,
                )
            }
        };
        let mut request =
            crate::transport::HttpRequest::post(url, "application/ocsp-request", body);
        request.timeout = options.timeout;
        match fetch(&request) {
            Ok(answer) => check_ocsp_response(
                &answer,
                leaf,
                issuer,
                Some(&nonce),
                OffsetDateTime::now_utc(),
            ),
            Err(s) => (s, None, None),
        }
    }));
    let revoked = revocation
        .iter()
        .any(|c| matches!(c.status, SourceStatus::Revoked { .. }));
    let confirmed_good = revocation.iter().any(|c| c.status == SourceStatus::Good);
    let overall = match (expiry.state, revoked, confirmed_good) {
        (_, true, _) => Overall::Revoked,
        (ExpiryState::Expired | ExpiryState::NotYetValid, _, _) => Overall::Expired,
        (_, false, false) => Overall::Unknown,
        (ExpiryState::RenewSoon, false, true) => Overall::RenewSoon,
        (ExpiryState::Valid, false, true) => Overall::Good,
    };
    Ok(StatusReport {
        id: identity.id.clone(),
        label: identity.label.clone(),
        subject: info.subject,
        expiry,
        revocation,
        overall,
        checked_at: now,
    })
}
