//! EST (RFC 7030, with RFC 8951's clarifications): addresses, request bodies, and the meaning
//! of answers. Pure: no sockets here (the exchange is in [`super`] through
//! [`crate::transport`]).

use std::time::Duration;

use base64::Engine;
use der::asn1::ObjectIdentifier;
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use time::OffsetDateTime;

use crate::csr::{CsrFacts, CsrSignature};
use crate::key::KeySpec;
use crate::transport::HttpResponse;
use crate::weburl::{UrlUse, WebUrl};
use crate::{Error, Result};

/// The EST operations certdesk uses (RFC 7030 §3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstOperation {
    /// `/cacerts`: the CA certificates (no authentication).
    CaCerts,
    /// `/csrattrs`: attributes the server wants in the request.
    CsrAttrs,
    /// `/simpleenroll`: a first certificate.
    SimpleEnroll,
    /// `/simplereenroll`: renewal, authenticated with the current certificate.
    SimpleReenroll,
}

impl EstOperation {
    /// The path segment.
    pub fn segment(self) -> &'static str {
        match self {
            EstOperation::CaCerts => "cacerts",
            EstOperation::CsrAttrs => "csrattrs",
            EstOperation::SimpleEnroll => "simpleenroll",
            EstOperation::SimpleReenroll => "simplereenroll",
        }
    }
}

/// The EST base (`https://host[:port]/.well-known/est[/label]`) from what a person types:
/// a bare server address gets `/.well-known/est` appended; an address that already holds it
/// (with or without a label) is kept; `label` adds one.
pub fn est_base(url: &str, label: Option<&str>) -> Result<String> {
    // One parser for every address (control characters, spaces, credentials, http:// refused).
    let checked = WebUrl::parse(url, UrlUse::Enrollment)?;
    if checked.url().query().is_some() || checked.url().fragment().is_some() {
        return Err(Error::invalid(
            "URL",
            format!(
                "an EST address is https://host/.well-known/est (optionally followed by a label), without ?… or #…, found \"{}\"",
                crate::weburl::shown(url)
            ),
        ));
    }
    // Origin and path from the parsed address, not by splitting its text.
    let origin = checked.url().origin().ascii_serialization();
    let path = checked.url().path().trim_end_matches('/');
    let mut base = if path.contains("/.well-known/est") {
        format!("{origin}{path}")
    } else if path.is_empty() {
        format!("{origin}/.well-known/est")
    } else {
        return Err(Error::invalid(
            "URL",
            format!("an EST address is https://host/.well-known/est (optionally followed by a label), found \"{origin}{path}\""),
        ));
    };
    // A person may paste a whole operation URL; keep only the base.
    for op in ["cacerts", "csrattrs", "simpleenroll", "simplereenroll"] {
        if let Some(stripped) = base.strip_suffix(&format!("/{op}")) {
            base = stripped.to_string();
        }
    }
    if let Some(label) = label.map(str::trim).filter(|l| !l.is_empty()) {
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(Error::invalid(
                "EST label",
                format!("use letters, digits, - _ . only, found \"{label}\""),
            ));
        }
        base = format!("{base}/{label}");
    }
    Ok(base)
}

/// The full address of one operation.
pub fn operation_url(base: &str, op: EstOperation) -> String {
    format!("{}/{}", base.trim_end_matches('/'), op.segment())
}

/// The request body: base64 of the DER CSR, wrapped at 64 columns and ending in a newline
/// (libest decodes line by line and refuses a last line without one; RFC 8951 allows both).
pub fn csr_body(csr_der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(csr_der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2);
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.into_bytes()
}

/// Headers for an enrollment POST (RFC 7030 §4.2.1, RFC 8951 §3.2).
pub fn enroll_headers() -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/pkcs10".into()),
        ("Content-Transfer-Encoding".into(), "base64".into()),
        (
            "Accept".into(),
            "application/pkcs7-mime, application/pkcs7-mime; smime-type=certs-only".into(),
        ),
    ]
}

/// What an enrollment answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollAnswer {
    /// 200: the body holds the certificate (certs-only PKCS#7, base64 or binary).
    Issued(Vec<u8>),
    /// 202: the request waits for approval; ask again after this long (RFC 7030 §4.2.3).
    Pending(Duration),
}

/// Default wait when a 202 has no usable Retry-After.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Retry-After is delta-seconds or an HTTP-date (RFC 9110 §10.2.3); clamps to 1 s … 1 day
/// so that a broken server neither hammers nor hides.
pub fn parse_retry_after(value: Option<&str>, now: OffsetDateTime) -> Duration {
    let parsed = value.map(str::trim).and_then(|v| {
        v.parse::<u64>().ok().map(Duration::from_secs).or_else(|| {
            let format = time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            );
            time::PrimitiveDateTime::parse(v, &format).ok().map(|t| {
                let when = t.assume_utc();
                let secs = (when - now).whole_seconds().max(0);
                Duration::from_secs(secs.unsigned_abs())
            })
        })
    });
    parsed
        .unwrap_or(DEFAULT_RETRY_AFTER)
        .clamp(Duration::from_secs(1), Duration::from_secs(86_400))
}

/// Maps an HTTP answer of `simpleenroll`/`simplereenroll` (or `cacerts`, which never answers
/// 202) to its meaning. `sent_credentials` words a 401.
pub fn read_enroll_answer(
    response: &HttpResponse,
    requested_url: &str,
    sent_credentials: bool,
    now: OffsetDateTime,
) -> Result<EnrollAnswer> {
    match response.status {
        200 => Ok(EnrollAnswer::Issued(response.body.clone())),
        202 => Ok(EnrollAnswer::Pending(parse_retry_after(
            response.header("retry-after"),
            now,
        ))),
        _ => Err(status_error(
            response,
            requested_url,
            "EST service",
            sent_credentials,
        )),
    }
}

/// The error for a status an enrollment cannot use.
pub fn status_error(
    response: &HttpResponse,
    requested_url: &str,
    service: &str,
    sent_credentials: bool,
) -> Error {
    let url = requested_url.to_string();
    match response.status {
        401 => Error::AuthenticationFailed {
            url,
            sent_credentials,
        },
        403 => Error::EnrollmentForbidden {
            url,
            detail: response.excerpt(),
        },
        404 => Error::NoServiceAtUrl {
            service: service.to_string(),
            url,
        },
        500..=599 => Error::ServerFailed {
            url,
            status: response.status_line(),
            detail: response.excerpt(),
        },
        _ => Error::UnexpectedStatus {
            url,
            status: response.status_line(),
            detail: response.excerpt(),
        },
    }
}

/// One thing `/csrattrs` asks for, and whether this request already satisfies it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CsrAttribute {
    /// The OID, dotted (for an extension named in an extensionRequest: the extension's OID).
    pub oid: String,
    /// What it is, in words.
    pub name: String,
    /// `satisfied`, `applied`, `not_satisfied` or `not_supported`.
    pub status: AttributeStatus,
    /// Detail for a person, worded for every front end.
    pub note: String,
    /// What a new request needs to meet the wish, for a front end to offer in its own terms
    /// (the CLI names its flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<RequestFix>,
}

/// A change to the request that would meet a wish certdesk could not meet with this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RequestFix {
    /// A new request with this key type.
    NewKey {
        /// The key type.
        key: KeySpec,
    },
    /// A request with an email address.
    AddEmail,
}

impl CsrAttribute {
    fn with_fix(self, fix: Option<RequestFix>) -> Self {
        CsrAttribute { fix, ..self }
    }
}

/// Whether the request meets a requested attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeStatus {
    /// The request already has it.
    Satisfied,
    /// certdesk signed the request again with the same key to meet it (the note says what
    /// changed).
    Applied,
    /// The request differs (for example another key type); the server may refuse it.
    NotSatisfied,
    /// certdesk cannot add this attribute.
    NotSupported,
}

/// One wish of a `/csrattrs` answer, read but not yet compared with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrWish {
    /// challengePassword: the tls-unique binding of RFC 7030 §3.5.
    ChallengePassword,
    /// PKCS#9 emailAddress.
    EmailAddress,
    /// An elliptic-curve key (id-ecPublicKey), on the named curve (dotted OID) if any.
    EcKey {
        /// The curve's OID.
        curve: Option<String>,
    },
    /// An RSA key (rsaEncryption), of this many bits if the server says (RFC 9908 allows an
    /// INTEGER value).
    RsaKey {
        /// Modulus size.
        bits: Option<u32>,
    },
    /// A signature algorithm (dotted OID).
    Signature {
        /// The algorithm's OID.
        oid: String,
    },
    /// An extension the request should carry: named by its OID inside an extensionRequest
    /// (RFC 7030 §4.5.2's example), or given as an Extension template (RFC 9908), whose
    /// extnValue (DER, possibly empty for "fill this in") is `value`.
    Extension {
        /// The extension's OID.
        oid: String,
        /// The template's extnValue contents.
        value: Option<Vec<u8>>,
    },
    /// Anything else (dotted OID).
    Other {
        /// The OID.
        oid: String,
    },
}

const OID_CHALLENGE_PASSWORD: &str = "1.2.840.113549.1.9.7";
const OID_EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";
const OID_EXTENSION_REQUEST: &str = "1.2.840.113549.1.9.14";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
const OID_RSA_SHA256: &str = "1.2.840.113549.1.1.11";
const OID_RSA_SHA384: &str = "1.2.840.113549.1.1.12";
const OID_RSA_SHA512: &str = "1.2.840.113549.1.1.13";
const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
const OID_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";

fn is_rsa(key: KeySpec) -> bool {
    matches!(key, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096)
}

fn wish_from_oid(oid: String) -> CsrWish {
    match oid.as_str() {
        OID_CHALLENGE_PASSWORD => CsrWish::ChallengePassword,
        OID_EMAIL_ADDRESS => CsrWish::EmailAddress,
        OID_EC_PUBLIC_KEY => CsrWish::EcKey { curve: None },
        OID_RSA_ENCRYPTION => CsrWish::RsaKey { bits: None },
        OID_ECDSA_SHA256 | OID_ECDSA_SHA384 | OID_ECDSA_SHA512 | OID_RSA_SHA256
        | OID_RSA_SHA384 | OID_RSA_SHA512 => CsrWish::Signature { oid },
        // A bare extension OID at the top level is read as "include this extension"
        // (servers that list extensions without an extensionRequest around them).
        OID_KEY_USAGE | OID_EXT_KEY_USAGE | OID_SUBJECT_ALT_NAME => {
            CsrWish::Extension { oid, value: None }
        }
        _ => CsrWish::Other { oid },
    }
}

/// Parses a `/csrattrs` answer: base64 of `CsrAttrs ::= SEQUENCE OF AttrOrOID` (RFC 7030
/// §4.5.2, as clarified by RFC 9908). Understands key types (id-ecPublicKey with a curve,
/// rsaEncryption with a size), signature algorithms, challengePassword, emailAddress, and
/// extensionRequest both as a set of extension OIDs (RFC 7030's example) and as Extension
/// templates (RFC 9908). An empty answer means "no wishes"; anything that is not that
/// structure is [`Error::Malformed`].
pub fn parse_csr_attrs(body: &[u8], source: &str) -> Result<Vec<CsrWish>> {
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let malformed = |detail: String| Error::Malformed {
        what: "the CSR attributes".to_string(),
        source_name: source.to_string(),
        detail,
    };
    let der = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| malformed(format!("not base64 ({e})")))?;
    parse_csr_attrs_der(&der).map_err(|e| malformed(format!("not a CsrAttrs structure ({e})")))
}

fn expect_tag(any: &der::asn1::AnyRef<'_>, tag: Tag) -> der::Result<()> {
    if any.tag() == tag {
        Ok(())
    } else {
        Err(der::Error::from(der::ErrorKind::TagUnexpected {
            expected: Some(tag),
            actual: any.tag(),
        }))
    }
}

/// Reads every element of a SEQUENCE or SET's contents.
fn elements<'a>(any: &der::asn1::AnyRef<'a>) -> der::Result<Vec<der::asn1::AnyRef<'a>>> {
    let mut reader = SliceReader::new(any.value())?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(reader.decode::<der::asn1::AnyRef<'a>>()?);
    }
    Ok(out)
}

fn parse_csr_attrs_der(der: &[u8]) -> der::Result<Vec<CsrWish>> {
    let seq = der::asn1::AnyRef::from_der(der)?;
    expect_tag(&seq, Tag::Sequence)?;
    let mut out = Vec::new();
    let mut reader = SliceReader::new(seq.value())?;
    while !reader.is_finished() {
        let any: der::asn1::AnyRef<'_> = reader.decode()?;
        match any.tag() {
            Tag::ObjectIdentifier => {
                let oid: ObjectIdentifier = any.decode_as()?;
                out.push(wish_from_oid(oid.to_string()));
            }
            Tag::Sequence => out.extend(parse_attribute(&any)?),
            other => {
                return Err(der::Error::from(der::ErrorKind::TagUnexpected {
                    expected: Some(Tag::ObjectIdentifier),
                    actual: other,
                }))
            }
        }
    }
    Ok(out)
}

/// `Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET OF ANY }`.
fn parse_attribute(attr: &der::asn1::AnyRef<'_>) -> der::Result<Vec<CsrWish>> {
    let mut inner = SliceReader::new(attr.value())?;
    let oid: ObjectIdentifier = inner.decode()?;
    let values: der::asn1::AnyRef<'_> = inner.decode()?;
    expect_tag(&values, Tag::Set)?;
    if !inner.is_finished() {
        return Err(der::Error::from(der::ErrorKind::TrailingData {
            decoded: inner.position(),
            remaining: inner.remaining_len(),
        }));
    }
    let values = elements(&values)?;
    let dotted = oid.to_string();
    Ok(match dotted.as_str() {
        OID_EXTENSION_REQUEST => {
            let mut out = Vec::new();
            for v in &values {
                match v.tag() {
                    // RFC 7030 §4.5.2's example: the extensions are named by OID.
                    Tag::ObjectIdentifier => out.push(CsrWish::Extension {
                        oid: v.decode_as::<ObjectIdentifier>()?.to_string(),
                        value: None,
                    }),
                    // RFC 9908: the value is Extensions (SEQUENCE OF Extension); a lone
                    // Extension (a SEQUENCE that starts with its OID) is read the same way.
                    Tag::Sequence => {
                        let parts = elements(v)?;
                        if parts.first().map(|p| p.tag()) == Some(Tag::ObjectIdentifier) {
                            out.push(parse_extension(v)?);
                        } else {
                            for ext in &parts {
                                out.push(parse_extension(ext)?);
                            }
                        }
                    }
                    other => {
                        return Err(der::Error::from(der::ErrorKind::TagUnexpected {
                            expected: Some(Tag::Sequence),
                            actual: other,
                        }))
                    }
                }
            }
            if out.is_empty() {
                out.push(CsrWish::Other { oid: dotted });
            }
            out
        }
        OID_EC_PUBLIC_KEY => {
            let mut curve = None;
            for v in &values {
                if v.tag() == Tag::ObjectIdentifier {
                    curve = Some(v.decode_as::<ObjectIdentifier>()?.to_string());
                }
            }
            vec![CsrWish::EcKey { curve }]
        }
        OID_RSA_ENCRYPTION => {
            let mut bits = None;
            for v in &values {
                if v.tag() == Tag::Integer {
                    bits = Some(v.decode_as::<u32>()?);
                }
            }
            vec![CsrWish::RsaKey { bits }]
        }
        _ => vec![wish_from_oid(dotted)],
    })
}

/// `Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`.
fn parse_extension(ext: &der::asn1::AnyRef<'_>) -> der::Result<CsrWish> {
    expect_tag(ext, Tag::Sequence)?;
    let mut reader = SliceReader::new(ext.value())?;
    let oid: ObjectIdentifier = reader.decode()?;
    let mut next: der::asn1::AnyRef<'_> = reader.decode()?;
    if next.tag() == Tag::Boolean {
        next = reader.decode()?;
    }
    let value = der::asn1::OctetStringRef::try_from(next)?;
    if !reader.is_finished() {
        return Err(der::Error::from(der::ErrorKind::TrailingData {
            decoded: reader.position(),
            remaining: reader.remaining_len(),
        }));
    }
    Ok(CsrWish::Extension {
        oid: oid.to_string(),
        value: Some(value.as_bytes().to_vec()),
    })
}

/// What a request carries, for comparing it with the server's wishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    /// The key type.
    pub key: KeySpec,
    /// The identity has an email address.
    pub has_email: bool,
    /// How the request is signed (`None`: a way certdesk cannot sign again).
    pub signature: Option<CsrSignature>,
    /// keyUsage digitalSignature is requested.
    pub key_usage: bool,
    /// extKeyUsage clientAuth is requested.
    pub client_auth: bool,
    /// An rfc822Name subjectAltName is requested.
    pub email_san: bool,
    /// Why the request cannot be signed again with its key, if it cannot.
    pub resign_blocked: Option<String>,
}

impl RequestFacts {
    /// The facts of a request certdesk built for `key` (see [`crate::csr::build_csr`]),
    /// when only comparing: nothing is signed again.
    pub fn assumed(key: KeySpec, has_email: bool) -> RequestFacts {
        RequestFacts {
            key,
            has_email,
            signature: Some(CsrSignature::KeyDefault),
            key_usage: true,
            client_auth: true,
            email_san: has_email,
            resign_blocked: Some("this check only compares".into()),
        }
    }

    /// The facts of a stored request. `subject_recorded`: the wallet knows its subject (it
    /// was made by certdesk), which signing it again needs.
    pub fn from_csr(
        csr: &CsrFacts,
        key: KeySpec,
        has_email: bool,
        subject_recorded: bool,
    ) -> RequestFacts {
        RequestFacts {
            key,
            has_email,
            signature: CsrSignature::from_oid(&csr.signature_oid),
            key_usage: csr.key_usage_digital_signature,
            client_auth: csr.client_auth,
            email_san: csr.email_san,
            resign_blocked: if csr.challenge_password {
                Some("the request holds an enrollment code (challengePassword) that certdesk does not keep, so it cannot be signed again".into())
            } else if !subject_recorded {
                Some("certdesk did not make this request, so it cannot sign it again".into())
            } else {
                None
            },
        }
    }
}

/// The server's wishes judged against a request, and what signing it again with the same
/// key would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrPlan {
    /// Each wish and its status (`applied` for those the re-signed request meets).
    pub attributes: Vec<CsrAttribute>,
    /// Sign the request again with this signature (same key, same subject, certdesk's usual
    /// extensions); `None`: send it as it is.
    pub resign: Option<CsrSignature>,
}

impl CsrPlan {
    /// The re-signing could not be done (`reason`): what was marked `applied` becomes
    /// `not_satisfied`, with the reason.
    pub fn not_applied(&mut self, reason: &str) {
        self.resign = None;
        for a in &mut self.attributes {
            if a.status == AttributeStatus::Applied {
                a.status = AttributeStatus::NotSatisfied;
                a.note = format!(
                    "certdesk could meet this by signing the request again with its key, but {reason}"
                );
            }
        }
    }
}

/// Judges `wishes` against a request and plans what its own key can change: an RSA request
/// is signed again with SHA-384/-512 when the server asks for that, and keyUsage
/// digitalSignature, extKeyUsage clientAuth and the email subjectAltName are added when the
/// server asks for them and the request lacks them. What needs another key stays
/// `not_satisfied` (with the `--key` to use); what certdesk cannot do is `not_supported`.
pub fn plan_csr_changes(wishes: &[CsrWish], facts: &RequestFacts) -> CsrPlan {
    let rsa = is_rsa(facts.key);
    let wanted_rsa_sig = if rsa {
        wishes.iter().find_map(|w| match w {
            CsrWish::Signature { oid } if oid.starts_with("1.2.840.113549.1.1.") => {
                CsrSignature::from_oid(oid)
            }
            _ => None,
        })
    } else {
        None
    };
    let target_sig = wanted_rsa_sig.or(facts.signature);
    let sig_change = wanted_rsa_sig.is_some() && wanted_rsa_sig != facts.signature;
    let ext_missing = wishes.iter().any(|w| match w {
        CsrWish::Extension { oid, value } => match oid.as_str() {
            OID_KEY_USAGE => !facts.key_usage && key_usage_template_ok(value.as_deref()).is_ok(),
            OID_EXT_KEY_USAGE => !facts.client_auth && eku_template_ok(value.as_deref()).is_ok(),
            OID_SUBJECT_ALT_NAME => !facts.email_san && facts.has_email,
            _ => false,
        },
        _ => false,
    });
    let resign = (sig_change || ext_missing).then(|| target_sig.unwrap_or_default());
    let mut plan = CsrPlan {
        attributes: wishes
            .iter()
            .map(|w| judge_wish(w, facts, target_sig))
            .collect(),
        resign,
    };
    if let (Some(_), Some(reason)) = (plan.resign, &facts.resign_blocked) {
        plan.not_applied(reason);
    }
    plan
}

/// The key type the wishes ask for: an explicit key type first (a curve, an RSA size), else
/// the one a signature algorithm implies (ecdsa-with-SHA256 → P-256, ecdsa-with-SHA384 →
/// P-384, sha*WithRSAEncryption → RSA 3072-bit). `None` when they name none certdesk makes.
pub fn key_type_from_wishes(wishes: &[CsrWish]) -> Option<KeySpec> {
    let from_sig = wishes.iter().find_map(|w| match w {
        CsrWish::Signature { oid } => match oid.as_str() {
            OID_ECDSA_SHA256 => Some(KeySpec::EcP256),
            OID_ECDSA_SHA384 => Some(KeySpec::EcP384),
            OID_RSA_SHA256 | OID_RSA_SHA384 | OID_RSA_SHA512 => Some(KeySpec::Rsa3072),
            _ => None,
        },
        _ => None,
    });
    let explicit = wishes.iter().find_map(|w| match w {
        CsrWish::EcKey { curve: Some(c) } => Some(match c.as_str() {
            OID_P256 => Some(KeySpec::EcP256),
            OID_P384 => Some(KeySpec::EcP384),
            _ => None,
        }),
        CsrWish::EcKey { curve: None } => {
            Some(from_sig.filter(|k| !is_rsa(*k)).or(Some(KeySpec::EcP256)))
        }
        CsrWish::RsaKey { bits } => Some(match bits {
            None => Some(from_sig.filter(|k| is_rsa(*k)).unwrap_or(KeySpec::Rsa3072)),
            Some(2048) => Some(KeySpec::Rsa2048),
            Some(3072) => Some(KeySpec::Rsa3072),
            Some(4096) => Some(KeySpec::Rsa4096),
            Some(_) => None,
        }),
        _ => None,
    });
    match explicit {
        Some(k) => k,
        None => from_sig,
    }
}

/// Parses a `/csrattrs` answer (see [`parse_csr_attrs`]) and compares it with a request
/// certdesk built for `key` (nothing is changed). An empty answer or 204 means "no wishes".
pub fn read_csr_attrs(
    body: &[u8],
    key: KeySpec,
    has_email: bool,
    source: &str,
) -> Result<Vec<CsrAttribute>> {
    let wishes = parse_csr_attrs(body, source)?;
    Ok(plan_csr_changes(&wishes, &RequestFacts::assumed(key, has_email)).attributes)
}

const KEY_USAGE_BITS: [&str; 9] = [
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

/// A keyUsage template certdesk can meet: none, empty, or digitalSignature alone. Else the
/// other usages' names.
fn key_usage_template_ok(value: Option<&[u8]>) -> std::result::Result<(), String> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let bits = der::asn1::BitStringRef::from_der(value)
        .map_err(|e| format!("an unreadable keyUsage template ({e})"))?;
    let others: Vec<&str> = bits
        .raw_bytes()
        .iter()
        .enumerate()
        .flat_map(|(i, byte)| (0..8).map(move |b| (i * 8 + b, byte & (0x80 >> b) != 0)))
        .filter(|(n, set)| *set && *n != 0)
        .map(|(n, _)| KEY_USAGE_BITS.get(n).copied().unwrap_or("an unknown usage"))
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(others.join(", "))
    }
}

/// An extKeyUsage template certdesk can meet: none, empty, or clientAuth alone. Else the
/// other purposes.
fn eku_template_ok(value: Option<&[u8]>) -> std::result::Result<(), String> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let seq = der::asn1::AnyRef::from_der(value)
        .map_err(|e| format!("an unreadable extKeyUsage template ({e})"))?;
    let purposes = elements(&seq)
        .and_then(|es| {
            es.iter()
                .map(|e| e.decode_as::<ObjectIdentifier>().map(|o| o.to_string()))
                .collect::<der::Result<Vec<String>>>()
        })
        .map_err(|e| format!("an unreadable extKeyUsage template ({e})"))?;
    let others: Vec<String> = purposes
        .into_iter()
        .filter(|p| p != OID_CLIENT_AUTH)
        .map(|p| match p.as_str() {
            "1.3.6.1.5.5.7.3.1" => "serverAuth".to_string(),
            "1.3.6.1.5.5.7.3.3" => "codeSigning".to_string(),
            "1.3.6.1.5.5.7.3.4" => "emailProtection".to_string(),
            _ => p,
        })
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(others.join(", "))
    }
}

fn judge_wish(
    wish: &CsrWish,
    facts: &RequestFacts,
    target_sig: Option<CsrSignature>,
) -> CsrAttribute {
    use AttributeStatus::{NotSatisfied, NotSupported, Satisfied};
    let key = facts.key;
    let attr = |oid: &str, name: &str, status: AttributeStatus, note: String| CsrAttribute {
        oid: oid.to_string(),
        name: name.to_string(),
        status,
        note,
        fix: None,
    };
    // A wish only another key can meet.
    let needs_key = |oid: &str, name: &str, wanted: KeySpec, what: &str| {
        CsrAttribute {
        fix: Some(RequestFix::NewKey { key: wanted }),
        ..attr(
            oid,
            name,
            NotSatisfied,
            format!(
                "the server asks for {what}; this request has {}: create a new request with an {} key",
                key.describe(),
                wanted.describe()
            ),
        )
    }
    };
    match wish {
        CsrWish::ChallengePassword => attr(
            OID_CHALLENGE_PASSWORD,
            "challenge password (proof-of-possession binding)",
            NotSupported,
            "certdesk does not bind the request to the TLS session; most servers accept that"
                .to_string(),
        ),
        CsrWish::EmailAddress => attr(
            OID_EMAIL_ADDRESS,
            "email address",
            if facts.has_email {
                Satisfied
            } else {
                NotSatisfied
            },
            if facts.has_email {
                "the request has an email address".to_string()
            } else {
                "create the request with an email address".to_string()
            },
        )
        .with_fix((!facts.has_email).then_some(RequestFix::AddEmail)),
        CsrWish::EcKey { curve } => {
            let name = "an elliptic-curve (ECDSA) key";
            match curve.as_deref() {
                Some(OID_P256) | Some(OID_P384) => {
                    let wanted = if curve.as_deref() == Some(OID_P256) {
                        KeySpec::EcP256
                    } else {
                        KeySpec::EcP384
                    };
                    if key == wanted {
                        attr(OID_EC_PUBLIC_KEY, name, Satisfied, format!("the request has {}", key.describe()))
                    } else {
                        needs_key(OID_EC_PUBLIC_KEY, name, wanted, wanted.describe())
                    }
                }
                Some(other) => attr(
                    OID_EC_PUBLIC_KEY,
                    name,
                    NotSupported,
                    format!("the server asks for a key on the curve {other}; certdesk makes ECDSA keys on P-256 and P-384 only"),
                ),
                None if matches!(key, KeySpec::EcP256 | KeySpec::EcP384) => attr(
                    OID_EC_PUBLIC_KEY,
                    name,
                    Satisfied,
                    format!("the request has {}", key.describe()),
                ),
                None => needs_key(OID_EC_PUBLIC_KEY, name, KeySpec::EcP256, "an ECDSA key"),
            }
        }
        CsrWish::RsaKey { bits } => {
            let name = "an RSA key";
            let wanted = match bits {
                None => None,
                Some(2048) => Some(KeySpec::Rsa2048),
                Some(3072) => Some(KeySpec::Rsa3072),
                Some(4096) => Some(KeySpec::Rsa4096),
                Some(n) => {
                    return attr(
                        OID_RSA_ENCRYPTION,
                        name,
                        NotSupported,
                        format!("the server asks for an RSA key of {n} bits; certdesk makes RSA keys of 2048, 3072 or 4096 bits"),
                    )
                }
            };
            match wanted {
                Some(w) if w == key => attr(
                    OID_RSA_ENCRYPTION,
                    name,
                    Satisfied,
                    format!("the request has {}", key.describe()),
                ),
                Some(w) => needs_key(OID_RSA_ENCRYPTION, name, w, w.describe()),
                None if is_rsa(key) => attr(
                    OID_RSA_ENCRYPTION,
                    name,
                    Satisfied,
                    format!("the request has {}", key.describe()),
                ),
                None => needs_key(OID_RSA_ENCRYPTION, name, KeySpec::Rsa3072, "an RSA key"),
            }
        }
        CsrWish::Signature { oid } => judge_signature(oid, facts, target_sig),
        CsrWish::Extension { oid, value } => judge_extension(oid, value.as_deref(), facts),
        CsrWish::Other { oid } => attr(
            oid,
            "an attribute certdesk does not know",
            NotSupported,
            "the server may fill it in itself or refuse the request".to_string(),
        ),
    }
}

fn judge_signature(
    oid: &str,
    facts: &RequestFacts,
    target_sig: Option<CsrSignature>,
) -> CsrAttribute {
    use AttributeStatus::{Applied, NotSatisfied, NotSupported, Satisfied};
    let key = facts.key;
    let (name, needs): (&str, Option<KeySpec>) = match oid {
        OID_ECDSA_SHA256 => ("ECDSA with SHA-256", Some(KeySpec::EcP256)),
        OID_ECDSA_SHA384 => ("ECDSA with SHA-384", Some(KeySpec::EcP384)),
        OID_ECDSA_SHA512 => ("ECDSA with SHA-512", None),
        OID_RSA_SHA256 => ("RSA with SHA-256", None),
        OID_RSA_SHA384 => ("RSA with SHA-384", None),
        _ => ("RSA with SHA-512", None),
    };
    let out = |status, note: String| CsrAttribute {
        oid: oid.to_string(),
        name: name.to_string(),
        status,
        note,
        fix: None,
    };
    if oid == OID_ECDSA_SHA512 {
        return out(
            NotSupported,
            "ECDSA with SHA-512 needs a P-521 key, which certdesk does not make".into(),
        );
    }
    if let Some(curve_key) = needs {
        return if key == curve_key {
            out(Satisfied, "the request is signed that way".into())
        } else {
            out(
                NotSatisfied,
                format!(
                    "a request with {} cannot be signed that way: create a new request with an {} key",
                    key.describe(),
                    curve_key.describe()
                ),
            )
            .with_fix(Some(RequestFix::NewKey { key: curve_key }))
        };
    }
    // An RSA signature.
    if !is_rsa(key) {
        return out(
            NotSatisfied,
            format!(
                "a request with {} cannot be signed that way: create a new request with an {} key",
                key.describe(),
                KeySpec::Rsa3072.describe()
            ),
        )
        .with_fix(Some(RequestFix::NewKey {
            key: KeySpec::Rsa3072,
        }));
    }
    let wanted = CsrSignature::from_oid(oid);
    if wanted == facts.signature {
        out(Satisfied, "the request is signed that way".into())
    } else if wanted == target_sig {
        out(
            Applied,
            format!(
                "signed the request again with {} (same key, same subject; it was {})",
                name,
                facts
                    .signature
                    .map(|s| s.describe(key))
                    .unwrap_or("signed another way")
            ),
        )
    } else {
        out(
            NotSatisfied,
            format!(
                "a request is signed one way only, and the server asked for {} first",
                target_sig.map(|s| s.describe(key)).unwrap_or("another")
            ),
        )
    }
}

fn judge_extension(oid: &str, value: Option<&[u8]>, facts: &RequestFacts) -> CsrAttribute {
    use AttributeStatus::{Applied, NotSatisfied, NotSupported, Satisfied};
    let out = |name: &str, status, note: String| CsrAttribute {
        oid: oid.to_string(),
        name: name.to_string(),
        status,
        note,
        fix: None,
    };
    match oid {
        OID_KEY_USAGE => {
            let name = "key usage extension";
            match key_usage_template_ok(value) {
                Err(others) => out(
                    name,
                    NotSupported,
                    format!("the server asks for the key usages {others}; certdesk requests digitalSignature only (what a client certificate needs), the server may add the others itself"),
                ),
                Ok(()) if facts.key_usage => out(name, Satisfied, "the request asks for digitalSignature".into()),
                Ok(()) => out(name, Applied, "added keyUsage digitalSignature and signed the request again (same key, same subject)".into()),
            }
        }
        OID_EXT_KEY_USAGE => {
            let name = "extended key usage extension";
            match eku_template_ok(value) {
                Err(others) => out(
                    name,
                    NotSupported,
                    format!("the server asks for the purposes {others}; certdesk requests clientAuth only, the server may add the others itself"),
                ),
                Ok(()) if facts.client_auth => out(name, Satisfied, "the request asks for clientAuth".into()),
                Ok(()) => out(name, Applied, "added extKeyUsage clientAuth and signed the request again (same key, same subject)".into()),
            }
        }
        OID_SUBJECT_ALT_NAME => {
            let name = "subject alternative name extension";
            if facts.email_san {
                out(name, Satisfied, "the request has the email address as subjectAltName".into())
            } else if facts.has_email {
                out(name, Applied, "added the email address as subjectAltName and signed the request again (same key, same subject)".into())
            } else {
                out(name, NotSatisfied, "certdesk puts the email address there: create the request with an email address".into())
                    .with_fix(Some(RequestFix::AddEmail))
            }
        }
        _ => out(
            "an extension certdesk does not add",
            NotSupported,
            format!("certdesk cannot put the extension {oid} into the request; the server may add it itself or refuse the request"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn response(status: u16, body: &str, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status,
            reason: String::new(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            url: "https://est.example/.well-known/est/simpleenroll".into(),
        }
    }

    #[test]
    fn bases_accept_what_people_paste() {
        let b = |u: &str, l: Option<&str>| est_base(u, l).expect(u);
        assert_eq!(
            b("https://ca.example", None),
            "https://ca.example/.well-known/est"
        );
        assert_eq!(
            b("https://ca.example:8443/", None),
            "https://ca.example:8443/.well-known/est"
        );
        assert_eq!(
            b("https://ca.example/.well-known/est/simpleenroll", None),
            "https://ca.example/.well-known/est"
        );
        assert_eq!(
            b("https://ca.example/.well-known/est/arbitrary", None),
            "https://ca.example/.well-known/est/arbitrary"
        );
        assert_eq!(
            b("https://ca.example", Some("vpn")),
            "https://ca.example/.well-known/est/vpn"
        );
        let http = est_base("http://ca.example", None).expect_err("http");
        assert!(
            http.to_string().contains("must not travel unencrypted"),
            "{http}"
        );
        let path = est_base("https://ca.example/enroll", None).expect_err("path");
        assert!(path.to_string().contains("/.well-known/est"), "{path}");
        assert!(est_base("https://ca.example", Some("a b")).is_err());
        assert_eq!(
            operation_url("https://h/.well-known/est", EstOperation::SimpleReenroll),
            "https://h/.well-known/est/simplereenroll"
        );
    }

    #[test]
    fn the_body_is_wrapped_at_64_columns_and_ends_in_a_newline() {
        let body = String::from_utf8(csr_body(&[7u8; 100])).expect("ascii");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[0].len(), 64);
        assert!(lines.iter().all(|l| l.len() <= 64));
        assert!(body.ends_with('\n'));
        let joined: String = lines.concat();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("base64"),
            vec![7u8; 100]
        );
        assert!(enroll_headers()
            .iter()
            .any(|(k, v)| k == "Content-Transfer-Encoding" && v == "base64"));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_clamps() {
        let now = datetime!(2026-11-22 10:00:00 UTC);
        assert_eq!(
            parse_retry_after(Some("120"), now),
            Duration::from_secs(120)
        );
        assert_eq!(parse_retry_after(Some("1"), now), Duration::from_secs(1));
        assert_eq!(parse_retry_after(Some("0"), now), Duration::from_secs(1));
        assert_eq!(
            parse_retry_after(Some("999999"), now),
            Duration::from_secs(86_400)
        );
        assert_eq!(parse_retry_after(None, now), DEFAULT_RETRY_AFTER);
        assert_eq!(parse_retry_after(Some("soon"), now), DEFAULT_RETRY_AFTER);
        assert_eq!(
            parse_retry_after(Some("Sun, 22 Nov 2026 10:05:00 GMT"), now),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn every_status_has_its_own_meaning() {
        let now = datetime!(2026-11-22 10:00:00 UTC);
        let url = "https://est.example/.well-known/est/simpleenroll";
        assert_eq!(
            read_enroll_answer(&response(200, "MII", &[]), url, true, now).expect("200"),
            EnrollAnswer::Issued(b"MII".to_vec())
        );
        assert_eq!(
            read_enroll_answer(&response(202, "", &[("Retry-After", "30")]), url, true, now)
                .expect("202"),
            EnrollAnswer::Pending(Duration::from_secs(30))
        );
        let kinds: Vec<&str> = [
            (401, true),
            (401, false),
            (403, true),
            (404, true),
            (503, true),
            (400, true),
        ]
        .iter()
        .map(|(s, c)| {
            let e = read_enroll_answer(&response(*s, "<h1>nope</h1>", &[]), url, *c, now)
                .expect_err("error");
            e.kind().as_str()
        })
        .collect();
        assert_eq!(
            kinds,
            [
                "authentication",
                "authentication",
                "server_refused",
                "server_refused",
                "server_refused",
                "server_refused"
            ]
        );
        let sent = read_enroll_answer(&response(401, "", &[]), url, true, now).expect_err("401");
        assert!(sent.to_string().contains("did not accept"), "{sent}");
        let unsent = read_enroll_answer(&response(401, "", &[]), url, false, now).expect_err("401");
        assert!(unsent.to_string().contains("asks for"), "{unsent}");
        let missing = read_enroll_answer(&response(404, "", &[]), url, true, now).expect_err("404");
        assert!(
            missing.to_string().contains("there is no EST service"),
            "{missing}"
        );
        let failed = read_enroll_answer(
            &response(503, "<p>down for maintenance</p>", &[]),
            url,
            true,
            now,
        )
        .expect_err("503");
        assert!(
            failed.to_string().contains("down for maintenance"),
            "{failed}"
        );
    }

    #[test]
    fn csr_attributes_are_compared_with_the_request() {
        // SEQUENCE { challengePassword OID, SEQUENCE { id-ecPublicKey, SET { secp384r1 } },
        //            ecdsa-with-SHA384 OID, unknown OID 1.2.3.4 }
        let der = hex::decode(concat!(
            "302e",
            "06092a864886f70d010907",
            "3012",
            "06072a8648ce3d0201",
            "3107",
            "06052b81040022",
            "06082a8648ce3d040303",
            "06032a0304"
        ))
        .expect("hex");
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let attrs =
            read_csr_attrs(b64.as_bytes(), KeySpec::EcP256, true, "csrattrs").expect("parse");
        let statuses: Vec<AttributeStatus> = attrs.iter().map(|a| a.status).collect();
        assert_eq!(
            statuses,
            [
                AttributeStatus::NotSupported,
                AttributeStatus::NotSatisfied,
                AttributeStatus::NotSatisfied,
                AttributeStatus::NotSupported
            ]
        );
        assert_eq!(
            attrs[1].fix,
            Some(RequestFix::NewKey {
                key: KeySpec::EcP384
            }),
            "{}",
            attrs[1].note
        );
        assert!(
            attrs[1]
                .note
                .contains("create a new request with an ECDSA P-384 key"),
            "{}",
            attrs[1].note
        );
        let fine =
            read_csr_attrs(b64.as_bytes(), KeySpec::EcP384, true, "csrattrs").expect("parse");
        assert_eq!(fine[1].status, AttributeStatus::Satisfied);
        assert!(read_csr_attrs(b"", KeySpec::EcP256, false, "x")
            .expect("empty")
            .is_empty());
        assert!(read_csr_attrs(b"!!!", KeySpec::EcP256, false, "x").is_err());
    }

    fn b64_of(der: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(der)
    }

    fn oid(dotted: &str) -> Vec<u8> {
        crate::asn1::oid(&ObjectIdentifier::new_unwrap(dotted))
    }

    fn attribute(kind: &str, values: &[&[u8]]) -> Vec<u8> {
        crate::asn1::seq(&[&oid(kind), &crate::asn1::set_of(values)])
    }

    fn extension(kind: &str, critical: bool, value: &[u8]) -> Vec<u8> {
        let flag = crate::asn1::tlv(0x01, &[0xff]);
        let octets = crate::asn1::octet_string(value);
        if critical {
            crate::asn1::seq(&[&oid(kind), &flag, &octets])
        } else {
            crate::asn1::seq(&[&oid(kind), &octets])
        }
    }

    fn lacking_everything(key: KeySpec) -> RequestFacts {
        RequestFacts {
            key,
            has_email: true,
            signature: Some(CsrSignature::KeyDefault),
            key_usage: false,
            client_auth: false,
            email_san: false,
            resign_blocked: None,
        }
    }

    fn statuses(attrs: &[CsrAttribute]) -> Vec<AttributeStatus> {
        attrs.iter().map(|a| a.status).collect()
    }

    #[test]
    fn the_rfc_7030_example_reads_as_four_wishes() {
        // RFC 7030 §4.5.2's example answer, verbatim.
        let body = "MEEGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiMBYGCSqGSIb3DQEJDjEJ\nBgcrBgEBAQEWBggqhkjOPQQDAw==\n";
        let wishes = parse_csr_attrs(body.as_bytes(), "csrattrs").expect("parse");
        assert_eq!(
            wishes,
            [
                CsrWish::ChallengePassword,
                CsrWish::EcKey {
                    curve: Some("1.3.132.0.34".into())
                },
                CsrWish::Extension {
                    oid: "1.3.6.1.1.1.1.22".into(),
                    value: None
                },
                CsrWish::Signature {
                    oid: "1.2.840.10045.4.3.3".into()
                },
            ]
        );
        assert_eq!(key_type_from_wishes(&wishes), Some(KeySpec::EcP384));
        let plan = plan_csr_changes(&wishes, &lacking_everything(KeySpec::EcP256));
        assert_eq!(
            statuses(&plan.attributes),
            [
                AttributeStatus::NotSupported,
                AttributeStatus::NotSatisfied,
                AttributeStatus::NotSupported,
                AttributeStatus::NotSatisfied
            ]
        );
        assert_eq!(
            plan.attributes[1].fix,
            Some(RequestFix::NewKey {
                key: KeySpec::EcP384
            })
        );
        assert_eq!(
            plan.attributes[3].fix,
            Some(RequestFix::NewKey {
                key: KeySpec::EcP384
            })
        );
        assert!(plan.attributes[2].note.contains("1.3.6.1.1.1.1.22"));
        assert_eq!(plan.resign, None, "nothing the P-256 key can do");
    }

    #[test]
    fn an_extension_request_naming_oids_is_met_by_signing_again() {
        let der = crate::asn1::seq(&[&attribute(
            OID_EXTENSION_REQUEST,
            &[
                &oid(OID_KEY_USAGE),
                &oid(OID_EXT_KEY_USAGE),
                &oid(OID_SUBJECT_ALT_NAME),
            ],
        )]);
        let wishes = parse_csr_attrs(b64_of(&der).as_bytes(), "x").expect("parse");
        assert_eq!(wishes.len(), 3);
        // A request certdesk built already has all three.
        let built = plan_csr_changes(&wishes, &RequestFacts::assumed(KeySpec::EcP256, true));
        assert_eq!(statuses(&built.attributes), [AttributeStatus::Satisfied; 3]);
        assert_eq!(built.resign, None);
        // One that lacks them is signed again with the same key and signature.
        let lacking = plan_csr_changes(&wishes, &lacking_everything(KeySpec::EcP256));
        assert_eq!(statuses(&lacking.attributes), [AttributeStatus::Applied; 3]);
        assert_eq!(lacking.resign, Some(CsrSignature::KeyDefault));
        assert!(lacking.attributes[0].note.contains("digitalSignature"));
        // Without an email address the SAN cannot be made up.
        let mut no_email = lacking_everything(KeySpec::EcP256);
        no_email.has_email = false;
        let plan = plan_csr_changes(&wishes, &no_email);
        // (A DER SET is sorted: the SAN comes second.)
        let san = plan
            .attributes
            .iter()
            .find(|a| a.oid == OID_SUBJECT_ALT_NAME)
            .expect("san");
        assert_eq!(san.status, AttributeStatus::NotSatisfied);
        assert_eq!(san.fix, Some(RequestFix::AddEmail));
        assert!(san.note.contains("with an email address"), "{}", san.note);
        // A request that cannot be signed again says why.
        let mut blocked = lacking_everything(KeySpec::EcP256);
        blocked.resign_blocked = Some("the request holds an enrollment code".into());
        let plan = plan_csr_changes(&wishes, &blocked);
        assert_eq!(plan.resign, None);
        assert_eq!(plan.attributes[0].status, AttributeStatus::NotSatisfied);
        assert!(
            plan.attributes[0].note.contains("enrollment code"),
            "{}",
            plan.attributes[0].note
        );
    }

    #[test]
    fn rfc_9908_templates_are_read_with_their_values() {
        // keyUsage BIT STRING digitalSignature (critical); extKeyUsage clientAuth + serverAuth;
        // subjectAltName left empty for the client to fill in.
        let ku = crate::asn1::tlv(0x03, &[0x07, 0x80]);
        let eku = crate::asn1::seq(&[&oid(OID_CLIENT_AUTH), &oid("1.3.6.1.5.5.7.3.1")]);
        let extensions = crate::asn1::seq(&[
            &extension(OID_KEY_USAGE, true, &ku),
            &extension(OID_EXT_KEY_USAGE, false, &eku),
            &extension(OID_SUBJECT_ALT_NAME, false, &[]),
        ]);
        let der = crate::asn1::seq(&[&attribute(OID_EXTENSION_REQUEST, &[&extensions])]);
        let wishes = parse_csr_attrs(b64_of(&der).as_bytes(), "x").expect("parse");
        assert_eq!(
            wishes[0],
            CsrWish::Extension {
                oid: OID_KEY_USAGE.into(),
                value: Some(ku.clone())
            }
        );
        let plan = plan_csr_changes(&wishes, &lacking_everything(KeySpec::Rsa2048));
        assert_eq!(
            statuses(&plan.attributes),
            [
                AttributeStatus::Applied,
                AttributeStatus::NotSupported,
                AttributeStatus::Applied
            ]
        );
        assert!(
            plan.attributes[1].note.contains("serverAuth"),
            "{}",
            plan.attributes[1].note
        );
        // keyEncipherment as well as digitalSignature: named, not met.
        let ku2 = crate::asn1::tlv(0x03, &[0x05, 0xa0]);
        let single = crate::asn1::seq(&[&attribute(
            OID_EXTENSION_REQUEST,
            &[&extension(OID_KEY_USAGE, false, &ku2)],
        )]);
        let wishes = parse_csr_attrs(b64_of(&single).as_bytes(), "x").expect("a lone Extension");
        let plan = plan_csr_changes(&wishes, &RequestFacts::assumed(KeySpec::Rsa2048, false));
        assert_eq!(plan.attributes[0].status, AttributeStatus::NotSupported);
        assert!(
            plan.attributes[0].note.contains("keyEncipherment"),
            "{}",
            plan.attributes[0].note
        );
    }

    #[test]
    fn rsa_requests_are_signed_again_with_the_hash_asked_for_and_other_keys_are_told_which_key() {
        let der = crate::asn1::seq(&[&oid(OID_RSA_SHA384)]);
        let wishes = parse_csr_attrs(b64_of(&der).as_bytes(), "x").expect("parse");
        let rsa = plan_csr_changes(&wishes, &RequestFacts::assumed(KeySpec::Rsa3072, false));
        // Comparing only: nothing is signed again, and the note says why.
        assert_eq!(rsa.resign, None);
        assert_eq!(rsa.attributes[0].status, AttributeStatus::NotSatisfied);
        let mut facts = RequestFacts::assumed(KeySpec::Rsa3072, false);
        facts.resign_blocked = None;
        let plan = plan_csr_changes(&wishes, &facts);
        assert_eq!(plan.resign, Some(CsrSignature::RsaSha384));
        assert_eq!(plan.attributes[0].status, AttributeStatus::Applied);
        assert!(
            plan.attributes[0].note.contains("RSA with SHA-384")
                && plan.attributes[0].note.contains("it was RSA with SHA-256"),
            "{}",
            plan.attributes[0].note
        );
        // Already signed that way: satisfied, nothing to do.
        facts.signature = Some(CsrSignature::RsaSha384);
        let done = plan_csr_changes(&wishes, &facts);
        assert_eq!(
            (done.resign, done.attributes[0].status),
            (None, AttributeStatus::Satisfied)
        );
        // An EC key cannot sign with RSA: a new request is needed.
        let mut ec = RequestFacts::assumed(KeySpec::EcP256, false);
        ec.resign_blocked = None;
        let plan = plan_csr_changes(&wishes, &ec);
        assert_eq!(
            (plan.resign, plan.attributes[0].status),
            (None, AttributeStatus::NotSatisfied)
        );
        assert_eq!(
            plan.attributes[0].fix,
            Some(RequestFix::NewKey {
                key: KeySpec::Rsa3072
            })
        );
        // Two RSA hashes: the first is used, the second is reported.
        let both = crate::asn1::seq(&[&oid(OID_RSA_SHA512), &oid(OID_RSA_SHA384)]);
        let wishes = parse_csr_attrs(b64_of(&both).as_bytes(), "x").expect("parse");
        facts.signature = Some(CsrSignature::KeyDefault);
        let plan = plan_csr_changes(&wishes, &facts);
        assert_eq!(plan.resign, Some(CsrSignature::RsaSha512));
        assert_eq!(
            statuses(&plan.attributes),
            [AttributeStatus::Applied, AttributeStatus::NotSatisfied]
        );
        // The applied wish turns back when signing fails.
        let mut failed = plan.clone();
        failed.not_applied("the key could not be unlocked here");
        assert_eq!(failed.resign, None);
        assert_eq!(failed.attributes[0].status, AttributeStatus::NotSatisfied);
        assert!(failed.attributes[0].note.contains("could not be unlocked"));
    }

    #[test]
    fn the_key_type_asked_for_comes_from_key_attributes_then_signatures() {
        let key_of = |parts: &[&[u8]]| {
            let der = crate::asn1::seq(parts);
            key_type_from_wishes(&parse_csr_attrs(b64_of(&der).as_bytes(), "x").expect("parse"))
        };
        assert_eq!(
            key_of(&[&attribute(
                OID_RSA_ENCRYPTION,
                &[&crate::asn1::integer(4096)]
            )]),
            Some(KeySpec::Rsa4096)
        );
        assert_eq!(
            key_of(&[&attribute(
                OID_RSA_ENCRYPTION,
                &[&crate::asn1::integer(1024)]
            )]),
            None
        );
        assert_eq!(
            key_of(&[
                &oid(OID_RSA_SHA256),
                &attribute(OID_EC_PUBLIC_KEY, &[&oid(OID_P256)])
            ]),
            Some(KeySpec::EcP256)
        );
        assert_eq!(key_of(&[&oid(OID_RSA_SHA512)]), Some(KeySpec::Rsa3072));
        assert_eq!(key_of(&[&oid(OID_ECDSA_SHA384)]), Some(KeySpec::EcP384));
        assert_eq!(
            key_of(&[&oid(OID_ECDSA_SHA384), &oid(OID_EC_PUBLIC_KEY)]),
            Some(KeySpec::EcP384)
        );
        assert_eq!(key_of(&[&oid(OID_CHALLENGE_PASSWORD)]), None);
        assert_eq!(
            key_of(&[&attribute(OID_EC_PUBLIC_KEY, &[&oid("1.3.132.0.35")])]),
            None,
            "P-521 is not a key certdesk makes"
        );
    }

    #[test]
    fn malformed_csr_attributes_are_malformed_errors() {
        let ku = crate::asn1::tlv(0x03, &[0x07, 0x80]);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "truncated",
                crate::asn1::seq(&[&oid(OID_RSA_SHA384)])[..5].to_vec(),
            ),
            ("not a sequence", oid(OID_RSA_SHA384)),
            (
                "an INTEGER element",
                crate::asn1::seq(&[&crate::asn1::integer(5)]),
            ),
            (
                "attribute without values",
                crate::asn1::seq(&[&crate::asn1::seq(&[&oid(OID_EC_PUBLIC_KEY)])]),
            ),
            (
                "extensionRequest holding an INTEGER",
                crate::asn1::seq(&[&attribute(
                    OID_EXTENSION_REQUEST,
                    &[&crate::asn1::integer(1)],
                )]),
            ),
            (
                "extension without extnValue",
                crate::asn1::seq(&[&attribute(
                    OID_EXTENSION_REQUEST,
                    &[&crate::asn1::seq(&[&crate::asn1::seq(&[
                        &oid(OID_KEY_USAGE),
                        &ku,
                    ])])],
                )]),
            ),
            (
                "RSA size that is not an INTEGER",
                crate::asn1::seq(&[&attribute(
                    OID_RSA_ENCRYPTION,
                    &[&crate::asn1::tlv(
                        0x02,
                        &[0x01, 0x00, 0x00, 0x00, 0x00, 0x00],
                    )],
                )]),
            ),
        ];
        for (what, der) in cases {
            let err = parse_csr_attrs(b64_of(&der).as_bytes(), "https://est.example/csrattrs")
                .expect_err(what);
            assert!(
                matches!(&err, Error::Malformed { what, .. } if what == "the CSR attributes"),
                "{what}: {err:?}"
            );
        }
        let err = parse_csr_attrs(b"%%%", "x").expect_err("not base64");
        assert!(err.to_string().contains("not base64"), "{err}");
    }
}
