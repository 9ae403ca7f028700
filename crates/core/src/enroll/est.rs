//! EST (RFC 7030, with RFC 8951's clarifications): addresses, request bodies, and the meaning
//! of answers. Pure: no sockets here (the exchange is in [`super`] through
//! [`crate::transport`]).

use std::time::Duration;

use base64::Engine;
use der::asn1::ObjectIdentifier;
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use time::OffsetDateTime;

use crate::key::KeySpec;
use crate::transport::HttpResponse;
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
    let trimmed = url.trim().trim_end_matches('/');
    let Some(rest) = trimmed.strip_prefix("https://") else {
        return Err(if trimmed.starts_with("http://") {
            Error::invalid(
                "URL",
                format!("EST needs an https:// address (codes and certificates must not travel unencrypted), found \"{trimmed}\""),
            )
        } else {
            Error::invalid(
                "URL",
                format!("expected an https:// address, found \"{trimmed}\""),
            )
        });
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(Error::invalid(
            "URL",
            format!("no host name in \"{trimmed}\""),
        ));
    }
    let mut base = match rest.find("/.well-known/est") {
        Some(_) => trimmed.to_string(),
        None if rest.contains('/') => {
            return Err(Error::invalid(
                "URL",
                format!("an EST address is https://host/.well-known/est (optionally followed by a label), found \"{trimmed}\""),
            ))
        }
        None => format!("{trimmed}/.well-known/est"),
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
    /// The OID, dotted.
    pub oid: String,
    /// What it is, in words.
    pub name: String,
    /// `satisfied`, `not_satisfied` or `not_supported`.
    pub status: AttributeStatus,
    /// Detail for a person.
    pub note: String,
}

/// Whether the request meets a requested attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeStatus {
    /// The request already has it.
    Satisfied,
    /// The request differs (for example another key type); the server may refuse it.
    NotSatisfied,
    /// certdesk cannot add this attribute.
    NotSupported,
}

/// Parses a `/csrattrs` answer (base64 of `CsrAttrs ::= SEQUENCE OF AttrOrOID`, RFC 7030
/// §4.5.2) and compares it with the request's key type and subject. An empty answer or 204
/// means "no wishes".
pub fn read_csr_attrs(
    body: &[u8],
    key: KeySpec,
    has_email: bool,
    source: &str,
) -> Result<Vec<CsrAttribute>> {
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(|e| Error::Malformed {
            what: "the CSR attributes".to_string(),
            source_name: source.to_string(),
            detail: format!("not base64 ({e})"),
        })?;
    let malformed = |e: der::Error| Error::Malformed {
        what: "the CSR attributes".to_string(),
        source_name: source.to_string(),
        detail: format!("not a CsrAttrs structure ({e})"),
    };
    let seq = der::asn1::AnyRef::from_der(&der).map_err(malformed)?;
    if seq.tag() != Tag::Sequence {
        return Err(malformed(der::Error::from(der::ErrorKind::TagUnexpected {
            expected: Some(Tag::Sequence),
            actual: seq.tag(),
        })));
    }
    let mut reader = SliceReader::new(seq.value()).map_err(malformed)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        let any: der::asn1::AnyRef<'_> = reader.decode().map_err(malformed)?;
        match any.tag() {
            Tag::ObjectIdentifier => {
                let oid: ObjectIdentifier = any.decode_as().map_err(malformed)?;
                out.push(judge(oid, &[], key, has_email));
            }
            Tag::Sequence => {
                let mut inner = SliceReader::new(any.value()).map_err(malformed)?;
                let oid: ObjectIdentifier = inner.decode().map_err(malformed)?;
                let values: der::asn1::AnyRef<'_> = inner.decode().map_err(malformed)?;
                let mut value_oids = Vec::new();
                if values.tag() == Tag::Set {
                    let mut set = SliceReader::new(values.value()).map_err(malformed)?;
                    while !set.is_finished() {
                        let v: der::asn1::AnyRef<'_> = set.decode().map_err(malformed)?;
                        if v.tag() == Tag::ObjectIdentifier {
                            if let Ok(o) = v.decode_as::<ObjectIdentifier>() {
                                value_oids.push(o);
                            }
                        }
                    }
                }
                out.push(judge(oid, &value_oids, key, has_email));
            }
            other => {
                return Err(Error::Malformed {
                    what: "the CSR attributes".to_string(),
                    source_name: source.to_string(),
                    detail: format!("unexpected {other}"),
                })
            }
        }
    }
    Ok(out)
}

fn judge(
    oid: ObjectIdentifier,
    values: &[ObjectIdentifier],
    key: KeySpec,
    has_email: bool,
) -> CsrAttribute {
    let dotted = oid.to_string();
    let (name, status, note) = match dotted.as_str() {
        // challengePassword: the tls-unique binding of RFC 7030 §3.5.
        "1.2.840.113549.1.9.7" => (
            "challenge password (proof-of-possession binding)",
            AttributeStatus::NotSupported,
            "certdesk does not bind the request to the TLS session; most servers accept that"
                .to_string(),
        ),
        "1.2.840.113549.1.9.1" => (
            "email address",
            if has_email {
                AttributeStatus::Satisfied
            } else {
                AttributeStatus::NotSatisfied
            },
            if has_email {
                "the request has an email address".to_string()
            } else {
                "create the request with --email".to_string()
            },
        ),
        "1.2.840.10045.2.1" => {
            let wanted_curve =
                values
                    .iter()
                    .map(ToString::to_string)
                    .find_map(|v| match v.as_str() {
                        "1.2.840.10045.3.1.7" => Some(KeySpec::EcP256),
                        "1.3.132.0.34" => Some(KeySpec::EcP384),
                        _ => None,
                    });
            let ok = match wanted_curve {
                Some(curve) => key == curve,
                None => matches!(key, KeySpec::EcP256 | KeySpec::EcP384),
            };
            (
                "an elliptic-curve (ECDSA) key",
                if ok { AttributeStatus::Satisfied } else { AttributeStatus::NotSatisfied },
                match wanted_curve {
                    Some(c) if !ok => format!("the server asks for {}; this request has {}: create a new request with --key {}", c.describe(), key.describe(), c.as_str()),
                    _ if !ok => format!("the server asks for an ECDSA key; this request has {}", key.describe()),
                    _ => format!("the request has {}", key.describe()),
                },
            )
        }
        "1.2.840.113549.1.1.1" => {
            let ok = matches!(key, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096);
            (
                "an RSA key",
                if ok {
                    AttributeStatus::Satisfied
                } else {
                    AttributeStatus::NotSatisfied
                },
                if ok {
                    format!("the request has {}", key.describe())
                } else {
                    format!("the server asks for an RSA key; this request has {}: create a new request with --key rsa-3072", key.describe())
                },
            )
        }
        "1.2.840.10045.4.3.2" => sig("ECDSA with SHA-256", matches!(key, KeySpec::EcP256), key),
        "1.2.840.10045.4.3.3" => sig("ECDSA with SHA-384", matches!(key, KeySpec::EcP384), key),
        "1.2.840.113549.1.1.11" => sig(
            "RSA with SHA-256",
            matches!(key, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096),
            key,
        ),
        _ => (
            "an attribute certdesk does not know",
            AttributeStatus::NotSupported,
            "the server may fill it in itself or refuse the request".to_string(),
        ),
    };
    CsrAttribute {
        oid: dotted,
        name: name.to_string(),
        status,
        note,
    }
}

fn sig(name: &'static str, ok: bool, key: KeySpec) -> (&'static str, AttributeStatus, String) {
    (
        name,
        if ok {
            AttributeStatus::Satisfied
        } else {
            AttributeStatus::NotSatisfied
        },
        if ok {
            "the request is signed that way".to_string()
        } else {
            format!(
                "a request with {} cannot be signed that way",
                key.describe()
            )
        },
    )
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
        assert!(attrs[1].note.contains("--key ec-p384"), "{}", attrs[1].note);
        let fine =
            read_csr_attrs(b64.as_bytes(), KeySpec::EcP384, true, "csrattrs").expect("parse");
        assert_eq!(fine[1].status, AttributeStatus::Satisfied);
        assert!(read_csr_attrs(b"", KeySpec::EcP256, false, "x")
            .expect("empty")
            .is_empty());
        assert!(read_csr_attrs(b"!!!", KeySpec::EcP256, false, "x").is_err());
    }
}
