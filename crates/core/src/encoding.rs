//! Recognises what a file holds (PEM, DER, bare base64, PKCS#7 certs-only, PKCS#12, a CSR, a
//! private key, an HTML page) and extracts certificates from it.
//!
//! This is where "I downloaded the wrong thing" becomes a precise message instead of a parser
//! error: an HTML login page, a private key, a request instead of its answer, a cut-off file.

use base64::Engine;
use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignedData};
use der::{Decode, Encode};

use x509_parser::prelude::FromDer;

use crate::{Error, Result};

/// How the certificates were packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// One or more PEM `CERTIFICATE` blocks.
    Pem,
    /// A single binary DER certificate (.cer/.crt/.der).
    Der,
    /// Base64 without PEM armour (what some portals and EST servers return).
    Base64,
    /// PKCS#7 / CMS certs-only SignedData (.p7b/.p7c), PEM or DER.
    Pkcs7,
}

/// What a file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Certificates, DER-encoded, in file order.
    Certificates {
        /// The certificates.
        certs: Vec<Vec<u8>>,
        /// How they were packaged.
        container: Container,
        /// True when the file also held a private key, which was ignored.
        had_private_key: bool,
    },
    /// A PKCS#10 certificate request (DER).
    CertificateRequest(Vec<u8>),
    /// A private key (PKCS#8, PKCS#1 or SEC1), encrypted or not. Its bytes are not kept.
    PrivateKey {
        /// True for `ENCRYPTED PRIVATE KEY`.
        encrypted: bool,
    },
    /// A PKCS#12 / PFX file (DER).
    Pkcs12(Vec<u8>),
}

impl Content {
    /// Names the content for messages: `a CERTIFICATE`, `a PRIVATE KEY`.
    pub fn describe(&self) -> &'static str {
        match self {
            Content::Certificates { .. } => "a CERTIFICATE",
            Content::CertificateRequest(_) => "a CERTIFICATE REQUEST",
            Content::PrivateKey { .. } => "a PRIVATE KEY",
            Content::Pkcs12(_) => "a PKCS#12 file (certificate with private key)",
        }
    }
}

const CERT_LABELS: [&str; 3] = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];
const KEY_LABELS: [&str; 4] = [
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
];

/// Works out what `bytes` hold. `source_name` (a file name or URL) appears in errors.
pub fn read_content(bytes: &[u8], source_name: &str) -> Result<Content> {
    // Binary DER may end in bytes that look like whitespace (0x0A, 0x20, …): never trim its end.
    let leading = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = leading
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(leading.len());
    if leading.get(start) == Some(&0x30) {
        return read_der(&leading[start..], source_name, Container::Der);
    }
    let trimmed = trim_ascii(bytes);
    if trimmed.is_empty() {
        return Err(Error::EmptyInput {
            source_name: source_name.into(),
        });
    }
    if let Some(html) = looks_like_html(trimmed) {
        return Err(Error::HtmlInsteadOfCertificate {
            title: html,
            source_name: source_name.into(),
        });
    }
    if trimmed.first() == Some(&0x30) {
        return read_der(trimmed, source_name, Container::Der);
    }
    let text = std::str::from_utf8(trimmed).map_err(|_| Error::Unrecognised {
        source_name: source_name.into(),
        detail: "binary data that is not DER".into(),
    })?;
    if text.contains("-----BEGIN ") {
        return read_pem(text, source_name);
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.is_empty()
        && compact
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_'))
    {
        let engine = if compact.contains(['-', '_']) {
            &base64::engine::general_purpose::URL_SAFE
        } else {
            &base64::engine::general_purpose::STANDARD
        };
        let padded = pad_base64(&compact);
        let der = engine
            .decode(padded.as_bytes())
            .map_err(|e| Error::Truncated {
                source_name: source_name.into(),
                detail: format!("the base64 text does not decode ({e})"),
            })?;
        if der.first() != Some(&0x30) {
            return Err(Error::Unrecognised {
                source_name: source_name.into(),
                detail: "base64 text that does not hold a certificate".into(),
            });
        }
        return read_der(&der, source_name, Container::Base64);
    }
    let preview: String = text.chars().take(40).collect();
    Err(Error::Unrecognised {
        source_name: source_name.into(),
        detail: format!("it starts with \"{}\"", preview.replace('\n', " ")),
    })
}

/// Reads certificates, refusing anything else with a message naming what was found.
pub fn read_certificates(
    bytes: &[u8],
    source_name: &str,
) -> Result<(Vec<Vec<u8>>, Container, bool)> {
    match read_content(bytes, source_name)? {
        Content::Certificates {
            certs,
            container,
            had_private_key,
        } => Ok((certs, container, had_private_key)),
        other => Err(Error::UnexpectedContent {
            expected: "a CERTIFICATE".into(),
            found: other.describe().into(),
            source_name: source_name.into(),
        }),
    }
}

fn pad_base64(s: &str) -> String {
    let trimmed = s.trim_end_matches('=');
    let mut out = trimmed.to_string();
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

pub(crate) use crate::html::page_title as looks_like_html;

fn read_pem(text: &str, source_name: &str) -> Result<Content> {
    let begins = text.matches("-----BEGIN ").count();
    let ends = text.matches("-----END ").count();
    if ends < begins {
        return Err(Error::Truncated {
            source_name: source_name.into(),
            detail: "a PEM block has a BEGIN line but no END line".into(),
        });
    }
    let blocks = pem::parse_many(text).map_err(|e| Error::Truncated {
        source_name: source_name.into(),
        detail: format!("a PEM block is damaged ({e})"),
    })?;
    let mut certs = Vec::new();
    let mut had_key = None;
    let mut first_other = None;
    let mut container = Container::Pem;
    for block in blocks {
        let tag = block.tag().to_string();
        if CERT_LABELS.contains(&tag.as_str()) {
            check_der_complete(block.contents(), source_name)?;
            certs.push(block.contents().to_vec());
        } else if tag == "PKCS7" || tag == "CMS" {
            container = Container::Pkcs7;
            certs.extend(certs_from_pkcs7(block.contents(), source_name)?);
        } else if KEY_LABELS.contains(&tag.as_str()) {
            had_key = Some(tag == "ENCRYPTED PRIVATE KEY");
        } else if tag == "CERTIFICATE REQUEST" || tag == "NEW CERTIFICATE REQUEST" {
            first_other.get_or_insert(Content::CertificateRequest(block.contents().to_vec()));
        } else if tag == "PKCS12" {
            first_other.get_or_insert(Content::Pkcs12(block.contents().to_vec()));
        }
    }
    if !certs.is_empty() {
        for der in &certs {
            crate::cert::parse_x509(der, source_name)?;
        }
        return Ok(Content::Certificates {
            certs,
            container,
            had_private_key: had_key.is_some(),
        });
    }
    if let Some(other) = first_other {
        return Ok(other);
    }
    if let Some(encrypted) = had_key {
        return Ok(Content::PrivateKey { encrypted });
    }
    Err(Error::Unrecognised {
        source_name: source_name.into(),
        detail: "its PEM blocks hold no certificate".into(),
    })
}

/// Fails with `Truncated` when a DER SEQUENCE announces more bytes than there are.
fn check_der_complete(der: &[u8], source_name: &str) -> Result<()> {
    use der::Reader;
    let parsed = der::SliceReader::new(der).and_then(|mut reader| {
        let header = der::Header::decode(&mut reader)?;
        Ok((header, reader.position()))
    });
    match parsed {
        Ok((header, header_len)) => {
            let declared = usize::try_from(u32::from(header.length)).unwrap_or(usize::MAX);
            let header_len = usize::try_from(u32::from(header_len)).unwrap_or(0);
            if header_len.saturating_add(declared) > der.len() {
                return Err(Error::Truncated {
                    source_name: source_name.into(),
                    detail: format!(
                        "it announces {} bytes but holds {}",
                        header_len.saturating_add(declared),
                        der.len()
                    ),
                });
            }
            Ok(())
        }
        Err(_) if der.len() < 4 => Err(Error::Truncated {
            source_name: source_name.into(),
            detail: format!("only {} bytes", der.len()),
        }),
        Err(e) => Err(Error::Unrecognised {
            source_name: source_name.into(),
            detail: format!("not DER ({e})"),
        }),
    }
}

fn read_der(der: &[u8], source_name: &str, container: Container) -> Result<Content> {
    check_der_complete(der, source_name)?;
    if let Ok((rest, _)) = x509_parser::certificate::X509Certificate::from_der(der) {
        if rest.is_empty() {
            return Ok(Content::Certificates {
                certs: vec![der.to_vec()],
                container,
                had_private_key: false,
            });
        }
    }
    if let Ok(info) = ContentInfo::from_der(der) {
        if info.content_type == const_oid::db::rfc5911::ID_SIGNED_DATA {
            return Ok(Content::Certificates {
                certs: certs_from_pkcs7(der, source_name)?,
                container: Container::Pkcs7,
                had_private_key: false,
            });
        }
    }
    if looks_like_pfx(der) {
        return Ok(Content::Pkcs12(der.to_vec()));
    }
    if x509_parser::certification_request::X509CertificationRequest::from_der(der).is_ok() {
        return Ok(Content::CertificateRequest(der.to_vec()));
    }
    if pkcs8::PrivateKeyInfo::from_der(der).is_ok() {
        return Ok(Content::PrivateKey { encrypted: false });
    }
    if pkcs8::EncryptedPrivateKeyInfo::from_der(der).is_ok() {
        return Ok(Content::PrivateKey { encrypted: true });
    }
    if looks_like_legacy_private_key(der) {
        return Ok(Content::PrivateKey { encrypted: false });
    }
    Err(Error::Unrecognised {
        source_name: source_name.into(),
        detail: "DER data that is not a certificate, PKCS#7, PKCS#12, request or key".into(),
    })
}

/// SEC1 `ECPrivateKey` (SEQUENCE { INTEGER 1, OCTET STRING, … }) or PKCS#1 `RSAPrivateKey`
/// (SEQUENCE { INTEGER 0, INTEGER modulus, … }): what `openssl … -outform DER` writes for
/// keys outside PKCS#8.
fn looks_like_legacy_private_key(der: &[u8]) -> bool {
    let Ok(seq) = der::asn1::Any::from_der(der) else {
        return false;
    };
    let body = seq.value();
    body.starts_with(&[0x02, 0x01, 0x01, 0x04]) || body.starts_with(&[0x02, 0x01, 0x00, 0x02])
}

/// PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, … }
fn looks_like_pfx(der: &[u8]) -> bool {
    let Ok(seq) = der::asn1::Any::from_der(der) else {
        return false;
    };
    let body = seq.value();
    // INTEGER 3 is encoded 02 01 03, followed by the authSafe SEQUENCE.
    body.len() > 4 && body[..3] == [0x02, 0x01, 0x03] && body[3] == 0x30
}

/// Extracts the certificates of a certs-only PKCS#7 SignedData (DER). Their order is whatever
/// the encoder chose; callers rebuild the chain.
pub fn certs_from_pkcs7(der: &[u8], source_name: &str) -> Result<Vec<Vec<u8>>> {
    let malformed = |detail: String| Error::Malformed {
        what: "the PKCS#7 bundle".into(),
        source_name: source_name.into(),
        detail,
    };
    let info = ContentInfo::from_der(der).map_err(|e| malformed(e.to_string()))?;
    if info.content_type != const_oid::db::rfc5911::ID_SIGNED_DATA {
        return Err(malformed(format!(
            "expected SignedData, found content type {}",
            info.content_type
        )));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| malformed(e.to_string()))?;
    let set: CertificateSet = signed
        .certificates
        .ok_or_else(|| malformed("it holds no certificates".into()))?;
    let mut out = Vec::new();
    for choice in set.0.iter() {
        if let cms::cert::CertificateChoices::Certificate(cert) = choice {
            out.push(cert.to_der().map_err(|e| malformed(e.to_string()))?);
        }
    }
    if out.is_empty() {
        return Err(malformed("it holds no X.509 certificates".into()));
    }
    Ok(out)
}

/// Builds a certs-only PKCS#7 SignedData (DER) holding `certs`: the `.p7b` format.
pub fn build_pkcs7(certs: &[Vec<u8>]) -> Result<Vec<u8>> {
    use cms::cert::x509::Certificate as X509;
    let mut set = der::asn1::SetOfVec::new();
    for der_cert in certs {
        let cert =
            X509::from_der(der_cert).map_err(|e| Error::crypto("re-read a certificate", e))?;
        set.insert(cms::cert::CertificateChoices::Certificate(cert))
            .map_err(|e| Error::crypto("build a PKCS#7 bundle", e))?;
    }
    let signed = SignedData {
        version: cms::content_info::CmsVersion::V1,
        digest_algorithms: der::asn1::SetOfVec::new(),
        encap_content_info: cms::signed_data::EncapsulatedContentInfo {
            econtent_type: const_oid::db::rfc5911::ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(set)),
        crls: None,
        signer_infos: cms::signed_data::SignerInfos(der::asn1::SetOfVec::new()),
    };
    let info = ContentInfo {
        content_type: const_oid::db::rfc5911::ID_SIGNED_DATA,
        content: der::asn1::Any::encode_from(&signed)
            .map_err(|e| Error::crypto("build a PKCS#7 bundle", e))?,
    };
    info.to_der()
        .map_err(|e| Error::crypto("build a PKCS#7 bundle", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::to_pem;

    fn sample() -> crate::cert::tests::TestCa {
        crate::cert::tests::test_chain()
    }

    fn certs_of(bytes: &[u8]) -> (Vec<Vec<u8>>, Container) {
        let (c, k, _) = read_certificates(bytes, "t").expect("certificates");
        (c, k)
    }

    #[test]
    fn reads_pem_der_base64_and_pkcs7() {
        let ca = sample();
        let bundle = format!("{}{}", to_pem(&ca.leaf_der), to_pem(&ca.inter_der));
        assert_eq!(
            certs_of(bundle.as_bytes()),
            (
                vec![ca.leaf_der.clone(), ca.inter_der.clone()],
                Container::Pem
            )
        );
        assert_eq!(
            certs_of(&ca.leaf_der),
            (vec![ca.leaf_der.clone()], Container::Der)
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(&ca.leaf_der);
        let wrapped: String = b64
            .as_bytes()
            .chunks(64)
            .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
            .collect();
        assert_eq!(
            certs_of(wrapped.as_bytes()),
            (vec![ca.leaf_der.clone()], Container::Base64)
        );
        let p7 = build_pkcs7(&[ca.root_der.clone(), ca.leaf_der.clone()]).expect("p7");
        let (got, container) = certs_of(&p7);
        assert_eq!(container, Container::Pkcs7);
        assert_eq!(got.len(), 2);
        assert!(got.contains(&ca.leaf_der) && got.contains(&ca.root_der));
        let p7_b64 = base64::engine::general_purpose::STANDARD.encode(&p7);
        assert_eq!(certs_of(p7_b64.as_bytes()).1, Container::Pkcs7);
        let p7_pem = crate::key::pem_encode("PKCS7", &p7);
        assert_eq!(certs_of(p7_pem.as_bytes()).0.len(), 2);
    }

    #[test]
    fn der_ending_in_a_whitespace_byte_is_read_whole() {
        // ECDSA signatures are random: generate until a certificate ends in 0x0A/0x20/0x09/0x0D.
        let der = (0..2000)
            .map(|_| sample().leaf_der)
            .find(|d| d.last().is_some_and(|b| b.is_ascii_whitespace()))
            .expect("a certificate ending in a whitespace byte within 2000 tries");
        assert_eq!(certs_of(&der), (vec![der.clone()], Container::Der));
    }

    #[test]
    fn html_pages_are_named_with_their_title() {
        let page = b"<!DOCTYPE html>\n<html><head><title>\n  Sign in - Example Portal </title></head></html>";
        let err = read_content(page, "reply.cer").expect_err("html");
        assert_eq!(
            err.to_string(),
            "expected a certificate, found an HTML page titled \"Sign in - Example Portal\" in reply.cer"
        );
        let untitled = read_content(b"<html><body>oops</body></html>", "r").expect_err("html");
        assert_eq!(
            untitled.to_string(),
            "expected a certificate, found an HTML page in r"
        );
    }

    #[test]
    fn keys_requests_empty_and_truncated_inputs_have_their_own_errors() {
        let key = crate::key::PrivateKey::generate(crate::key::KeySpec::EcP256).expect("key");
        let key_pem = key.insecure_pkcs8_pem();
        let err = read_certificates(key_pem.as_bytes(), "key.pem").expect_err("key");
        assert_eq!(
            err.to_string(),
            "expected a CERTIFICATE, found a PRIVATE KEY in key.pem"
        );
        let enc = key.encrypt_pkcs8_pem(b"pw", 1000).expect("enc");
        assert!(matches!(
            read_content(enc.as_bytes(), "k").expect("content"),
            Content::PrivateKey { encrypted: true }
        ));
        let csr = crate::csr::build_csr(
            &key,
            &crate::csr::CsrSpec {
                subject: crate::csr::SubjectSpec::with_common_name("x"),
                challenge_password: None,
            },
        )
        .expect("csr");
        let err = read_certificates(csr.pem().as_bytes(), "req.pem").expect_err("csr");
        assert_eq!(
            err.to_string(),
            "expected a CERTIFICATE, found a CERTIFICATE REQUEST in req.pem"
        );
        let err = read_certificates(csr.der(), "req.der").expect_err("csr der");
        assert!(err.to_string().contains("found a CERTIFICATE REQUEST"));
        assert!(matches!(
            read_content(b"  \n", "e").expect_err("empty"),
            Error::EmptyInput { .. }
        ));
        let ca = sample();
        let cut = &ca.leaf_der[..ca.leaf_der.len() / 2];
        assert!(matches!(
            read_content(cut, "c").expect_err("cut"),
            Error::Truncated { .. }
        ));
        let pem = to_pem(&ca.leaf_der);
        let cut_pem = &pem[..pem.len() / 2];
        let err = read_content(cut_pem.as_bytes(), "c.pem").expect_err("cut pem");
        assert!(err.to_string().contains("BEGIN line but no END"), "{err}");
        let err = read_content(b"hello, this is a letter", "l").expect_err("text");
        assert!(matches!(err, Error::Unrecognised { .. }), "{err}");
    }

    #[test]
    fn a_bundle_with_a_key_keeps_the_certificates_and_says_so() {
        let ca = sample();
        let key = crate::key::PrivateKey::generate(crate::key::KeySpec::EcP256).expect("key");
        let both = format!(
            "{}{}",
            key.insecure_pkcs8_pem().as_str(),
            to_pem(&ca.leaf_der)
        );
        let (certs, _, had_key) = read_certificates(both.as_bytes(), "b").expect("certs");
        assert_eq!(certs.len(), 1);
        assert!(had_key);
    }
}
