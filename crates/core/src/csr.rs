//! Certificate signing requests (PKCS#10): subject fields and SANs in, signed request out.
//!
//! The request asks for what a client certificate needs: keyUsage digitalSignature and the
//! clientAuth extended key usage, an rfc822Name SAN for the email address, and optionally a
//! Windows logon UPN and a challengePassword (the enrollment code some CAs want).

use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose,
    KeyUsagePurpose, OtherNameValue, SanType,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_parser::prelude::FromDer;

use crate::key::{pem_encode, KeySpec, PrivateKey};
use crate::secret::SecretString;
use crate::{Error, Result};

/// OID of PKCS#9 emailAddress (1.2.840.113549.1.9.1).
const OID_EMAIL_ADDRESS: [u64; 7] = [1, 2, 840, 113_549, 1, 9, 1];
/// OID of PKCS#9 challengePassword (1.2.840.113549.1.9.7).
const OID_CHALLENGE_PASSWORD: &[u64] = &[1, 2, 840, 113_549, 1, 9, 7];
/// OID of the Microsoft User Principal Name otherName (1.3.6.1.4.1.311.20.2.3).
const OID_UPN: [u64; 10] = [1, 3, 6, 1, 4, 1, 311, 20, 2, 3];

/// The subject of a request, as plain fields. Only `common_name` is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectSpec {
    /// CN: the person's or device's name.
    pub common_name: String,
    /// O: organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// OU: organisational unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizational_unit: Option<String>,
    /// L: locality (city).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// ST: state or province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// C: two-letter country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Email address: goes into the DN (emailAddress) and an rfc822Name SAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Windows logon name (UPN, `user@corp.example`), written as an otherName SAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
}

// RFC 5280 Appendix A upper bounds (ub-common-name 64, ub-organization-name 64,
// ub-organizational-unit-name 64, ub-locality-name 128, ub-state-name 128), and
// PKCS#9 / RFC 5280 ub-emailaddress-length 255.
const LIMITS: [(&str, usize); 6] = [
    ("CN", 64),
    ("O", 64),
    ("OU", 64),
    ("L", 128),
    ("ST", 128),
    ("email", 255),
];

fn limit(field: &str) -> usize {
    LIMITS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, n)| *n)
        .unwrap_or(usize::MAX)
}

impl SubjectSpec {
    /// A subject with just a common name.
    pub fn with_common_name(cn: impl Into<String>) -> SubjectSpec {
        SubjectSpec {
            common_name: cn.into(),
            ..SubjectSpec::default()
        }
    }

    /// Parses `CN=Alice Example,O=Example Corp,OU=Staff,C=DE`. Commas inside a value are
    /// written `\,`. Accepted attributes: CN, O, OU, L, ST, C, E / emailAddress.
    pub fn parse_dn(dn: &str) -> Result<SubjectSpec> {
        let mut spec = SubjectSpec::default();
        let mut seen_cn = false;
        for part in split_unescaped(dn) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (name, value) = part.split_once('=').ok_or_else(|| {
                Error::invalid(
                    "subject",
                    format!("expected NAME=value, found \"{part}\" (example: CN=Alice,O=Example)"),
                )
            })?;
            let value = value.trim().to_string();
            let slot = match name.trim().to_ascii_uppercase().as_str() {
                "CN" => {
                    seen_cn = true;
                    spec.common_name = value;
                    continue;
                }
                "O" => &mut spec.organization,
                "OU" => &mut spec.organizational_unit,
                "L" => &mut spec.locality,
                "ST" | "S" => &mut spec.state,
                "C" => &mut spec.country,
                "E" | "EMAIL" | "EMAILADDRESS" => &mut spec.email,
                other => {
                    return Err(Error::invalid(
                        "subject",
                        format!(
                        "unknown attribute \"{other}\" (use CN, O, OU, L, ST, C or emailAddress)"
                    ),
                    ))
                }
            };
            if slot.is_some() {
                return Err(Error::invalid(
                    name.trim(),
                    "given twice; certdesk requests one value per attribute",
                ));
            }
            *slot = Some(value);
        }
        if !seen_cn {
            return Err(Error::invalid(
                "CN",
                "the subject needs a common name (CN=…)",
            ));
        }
        Ok(spec)
    }

    /// Checks every field against RFC 5280 limits and alphabets, naming the field and the value.
    pub fn validate(&self) -> Result<()> {
        let cn = self.common_name.trim();
        if cn.is_empty() {
            return Err(Error::invalid("CN", "must not be empty: give your name"));
        }
        let fields = [
            ("CN", Some(self.common_name.as_str())),
            ("O", self.organization.as_deref()),
            ("OU", self.organizational_unit.as_deref()),
            ("L", self.locality.as_deref()),
            ("ST", self.state.as_deref()),
        ];
        for (field, value) in fields {
            let Some(value) = value else { continue };
            let chars = value.chars().count();
            if field != "CN" && value.trim().is_empty() {
                return Err(Error::invalid(field, "is empty; leave it out instead"));
            }
            if chars > limit(field) {
                return Err(Error::invalid(
                    field,
                    format!(
                        "at most {} characters (RFC 5280), found {chars}",
                        limit(field)
                    ),
                ));
            }
            if value.chars().any(char::is_control) {
                return Err(Error::invalid(field, "contains a control character"));
            }
        }
        if let Some(c) = &self.country {
            if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
                return Err(Error::invalid(
                    "C",
                    format!("must be two letters (ISO 3166), found \"{c}\""),
                ));
            }
        }
        if let Some(email) = &self.email {
            validate_email("email", email)?;
        }
        if let Some(upn) = &self.upn {
            validate_email("UPN", upn)?;
        }
        Ok(())
    }

    /// The subject as a one-line DN string (`CN=…, O=…`), most significant last as people write it.
    pub fn to_dn_string(&self) -> String {
        let mut parts = vec![format!("CN={}", escape(&self.common_name))];
        let optional = [
            ("OU", &self.organizational_unit),
            ("O", &self.organization),
            ("L", &self.locality),
            ("ST", &self.state),
            ("C", &self.country),
            ("emailAddress", &self.email),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                parts.push(format!("{name}={}", escape(v)));
            }
        }
        parts.join(", ")
    }

    fn distinguished_name(&self) -> Result<DistinguishedName> {
        let mut dn = DistinguishedName::new();
        if let Some(c) = &self.country {
            let printable = rcgen::string::PrintableString::try_from(c.to_ascii_uppercase())
                .map_err(|_| Error::invalid("C", "must be two letters"))?;
            dn.push(DnType::CountryName, DnValue::PrintableString(printable));
        }
        if let Some(st) = &self.state {
            dn.push(DnType::StateOrProvinceName, st.trim());
        }
        if let Some(l) = &self.locality {
            dn.push(DnType::LocalityName, l.trim());
        }
        if let Some(o) = &self.organization {
            dn.push(DnType::OrganizationName, o.trim());
        }
        if let Some(ou) = &self.organizational_unit {
            dn.push(DnType::OrganizationalUnitName, ou.trim());
        }
        dn.push(DnType::CommonName, self.common_name.trim());
        if let Some(email) = &self.email {
            // PKCS#9 defines emailAddress as IA5String; a UTF8String here is rejected by some CAs.
            let ia5 = rcgen::string::Ia5String::try_from(email.as_str())
                .map_err(|_| Error::invalid("email", "must be plain ASCII"))?;
            dn.push(
                DnType::CustomDnType(OID_EMAIL_ADDRESS.to_vec()),
                DnValue::Ia5String(ia5),
            );
        }
        Ok(dn)
    }
}

fn validate_email(field: &str, value: &str) -> Result<()> {
    let ok = value.len() <= limit("email")
        && value.is_ascii()
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(value.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
               && !domain.ends_with('.') && !domain.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            format!("expected an address like name@example.org, found \"{value}\""),
        ))
    }
}

fn split_unescaped(dn: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = dn.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    cur.push(next);
                }
            }
            ',' => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace(',', "\\,")
}

/// What to put into a request besides the key.
#[derive(Debug, Clone, Default)]
pub struct CsrSpec {
    /// Subject fields and SAN sources.
    pub subject: SubjectSpec,
    /// Enrollment code for CAs that read the PKCS#9 challengePassword attribute.
    pub challenge_password: Option<SecretString>,
}

/// A signed PKCS#10 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csr {
    der: Vec<u8>,
}

impl Csr {
    /// Wraps DER bytes after checking that they parse as a PKCS#10 request with a valid
    /// self-signature.
    pub fn from_der(der: Vec<u8>) -> Result<Csr> {
        let (_, req) = x509_parser::certification_request::X509CertificationRequest::from_der(&der)
            .map_err(|e| Error::Malformed {
                what: "the certificate request".into(),
                source_name: "the wallet".into(),
                detail: e.to_string(),
            })?;
        req.verify_signature().map_err(|e| Error::Malformed {
            what: "the certificate request's signature".into(),
            source_name: "the wallet".into(),
            detail: e.to_string(),
        })?;
        Ok(Csr { der })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM (`CERTIFICATE REQUEST`).
    pub fn pem(&self) -> String {
        pem_encode("CERTIFICATE REQUEST", &self.der)
    }

    /// SHA-256 of the DER, as colon-separated upper-case hex: what an administrator compares.
    pub fn fingerprint_sha256(&self) -> String {
        colon_hex(&Sha256::digest(&self.der))
    }
}

/// Upper-case hex with colons, as certificate tools print fingerprints.
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Which hash signs a request. An ECDSA key always signs with its curve's hash (P-256 with
/// SHA-256, P-384 with SHA-384); an RSA key can sign PKCS#1 v1.5 with SHA-256, -384 or -512
/// (what an EST server may ask for in `/csrattrs`, RFC 7030 §4.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CsrSignature {
    /// The key's usual algorithm: ECDSA with its curve's hash, RSA with SHA-256.
    #[default]
    KeyDefault,
    /// sha384WithRSAEncryption (1.2.840.113549.1.1.12); RSA keys only.
    RsaSha384,
    /// sha512WithRSAEncryption (1.2.840.113549.1.1.13); RSA keys only.
    RsaSha512,
}

impl CsrSignature {
    /// The signature a request signed with algorithm `oid` (dotted) was made with, when
    /// certdesk can sign that way again.
    pub fn from_oid(oid: &str) -> Option<CsrSignature> {
        match oid {
            "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" | "1.2.840.10045.4.3.3" => {
                Some(CsrSignature::KeyDefault)
            }
            "1.2.840.113549.1.1.12" => Some(CsrSignature::RsaSha384),
            "1.2.840.113549.1.1.13" => Some(CsrSignature::RsaSha512),
            _ => None,
        }
    }

    /// Plain words for `key`: `RSA with SHA-384`.
    pub fn describe(self, key: KeySpec) -> &'static str {
        match (self, key) {
            (CsrSignature::RsaSha384, _) => "RSA with SHA-384",
            (CsrSignature::RsaSha512, _) => "RSA with SHA-512",
            (CsrSignature::KeyDefault, KeySpec::EcP256) => "ECDSA with SHA-256",
            (CsrSignature::KeyDefault, KeySpec::EcP384) => "ECDSA with SHA-384",
            (CsrSignature::KeyDefault, _) => "RSA with SHA-256",
        }
    }

    fn algorithm(self, key: KeySpec) -> Result<&'static rcgen::SignatureAlgorithm> {
        let rsa = matches!(key, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096);
        match self {
            CsrSignature::KeyDefault => Ok(key.signature_algorithm()),
            CsrSignature::RsaSha384 if rsa => Ok(&rcgen::PKCS_RSA_SHA384),
            CsrSignature::RsaSha512 if rsa => Ok(&rcgen::PKCS_RSA_SHA512),
            other => Err(Error::invalid(
                "signature",
                format!(
                    "a request with {} cannot be signed with {}",
                    key.describe(),
                    other.describe(key)
                ),
            )),
        }
    }
}

/// What a request carries, as far as an EST server's wishes go (see
/// [`crate::enroll::est::RequestFacts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrFacts {
    /// The signature algorithm, dotted OID.
    pub signature_oid: String,
    /// keyUsage with digitalSignature is requested.
    pub key_usage_digital_signature: bool,
    /// extKeyUsage with clientAuth is requested.
    pub client_auth: bool,
    /// A subjectAltName with an rfc822Name (email) is requested.
    pub email_san: bool,
    /// The request holds a challengePassword (an enrollment code certdesk does not keep, so
    /// the request cannot be signed again without it).
    pub challenge_password: bool,
    /// The subject, DER (to check that a re-signed request keeps it).
    pub subject_der: Vec<u8>,
    /// The public key, DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
}

impl Csr {
    /// What this request carries (signature algorithm, requested extensions, subject, key).
    pub fn facts(&self) -> Result<CsrFacts> {
        use x509_parser::extensions::{GeneralName, ParsedExtension};
        let (_, req) =
            x509_parser::certification_request::X509CertificationRequest::from_der(&self.der)
                .map_err(|e| Error::Malformed {
                    what: "the certificate request".into(),
                    source_name: "the wallet".into(),
                    detail: e.to_string(),
                })?;
        let info = &req.certification_request_info;
        let mut facts = CsrFacts {
            signature_oid: req.signature_algorithm.algorithm.to_id_string(),
            key_usage_digital_signature: false,
            client_auth: false,
            email_san: false,
            challenge_password: info
                .attributes()
                .iter()
                .any(|a| a.oid.to_id_string() == "1.2.840.113549.1.9.7"),
            subject_der: info.subject.as_raw().to_vec(),
            public_key_der: info.subject_pki.raw.to_vec(),
        };
        for ext in req.requested_extensions().into_iter().flatten() {
            match ext {
                ParsedExtension::KeyUsage(ku) => {
                    facts.key_usage_digital_signature = ku.digital_signature()
                }
                ParsedExtension::ExtendedKeyUsage(eku) => facts.client_auth = eku.client_auth,
                ParsedExtension::SubjectAlternativeName(san) => {
                    facts.email_san = san
                        .general_names
                        .iter()
                        .any(|n| matches!(n, GeneralName::RFC822Name(_)))
                }
                _ => {}
            }
        }
        Ok(facts)
    }
}

/// Builds and signs a PKCS#10 request for `key`.
pub fn build_csr(key: &PrivateKey, spec: &CsrSpec) -> Result<Csr> {
    build_csr_signed(key, spec, CsrSignature::KeyDefault)
}

/// Builds a request like [`build_csr`], signed with `signature` (an RSA key can sign with
/// SHA-384 or SHA-512 when a server asks for it).
pub fn build_csr_signed(key: &PrivateKey, spec: &CsrSpec, signature: CsrSignature) -> Result<Csr> {
    let (params, attributes) = request_params(spec)?;
    let pair = match signature {
        CsrSignature::KeyDefault => key.key_pair()?,
        other => zeroize::Zeroizing::new(
            rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
                &rustls::pki_types::PrivatePkcs8KeyDer::from(key.pkcs8_der()),
                other.algorithm(key.spec())?,
            )
            .map_err(|e| Error::crypto("load the private key", e))?,
        ),
    };
    sign_request(params, attributes, &*pair)
}

/// Builds a request like [`build_csr`] for a key on a token, which signs it there.
pub fn build_csr_on_token(key: &crate::token::TokenKey, spec: &CsrSpec) -> Result<Csr> {
    let (params, attributes) = request_params(spec)?;
    sign_request(params, attributes, key)
}

fn sign_request(
    params: CertificateParams,
    attributes: Vec<rcgen::Attribute>,
    signer: &impl rcgen::SigningKey,
) -> Result<Csr> {
    let csr = params
        .serialize_request_with_attributes(signer, attributes)
        .map_err(|e| Error::crypto("sign the certificate request", e))?;
    Ok(Csr {
        der: csr.der().to_vec(),
    })
}

/// The request's subject, extensions and attributes (everything but the key).
fn request_params(spec: &CsrSpec) -> Result<(CertificateParams, Vec<rcgen::Attribute>)> {
    spec.subject.validate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = spec.subject.distinguished_name()?;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    if let Some(email) = &spec.subject.email {
        let ia5 = rcgen::string::Ia5String::try_from(email.as_str())
            .map_err(|_| Error::invalid("email", "must be plain ASCII"))?;
        params.subject_alt_names.push(SanType::Rfc822Name(ia5));
    }
    if let Some(upn) = &spec.subject.upn {
        params.subject_alt_names.push(SanType::OtherName((
            OID_UPN.to_vec(),
            OtherNameValue::Utf8String(upn.clone()),
        )));
    }
    let mut attributes = Vec::new();
    if let Some(code) = &spec.challenge_password {
        if code.expose().chars().count() > 255 {
            return Err(Error::invalid("enrollment code", "at most 255 characters"));
        }
        attributes.push(rcgen::Attribute {
            oid: OID_CHALLENGE_PASSWORD,
            values: der_set_of_utf8(code.expose()),
        });
    }
    Ok((params, attributes))
}

/// DER of `SET { UTF8String value }` (RFC 2985 DirectoryString for challengePassword).
fn der_set_of_utf8(value: &str) -> Vec<u8> {
    crate::asn1::set_of(&[&crate::asn1::utf8_string(value)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeySpec;
    use x509_parser::certification_request::X509CertificationRequest;
    use x509_parser::extensions::{GeneralName, ParsedExtension};

    fn alice() -> SubjectSpec {
        SubjectSpec {
            email: Some("alice@example.org".into()),
            organization: Some("Example Corp".into()),
            country: Some("DE".into()),
            ..SubjectSpec::with_common_name("Alice Example")
        }
    }

    #[test]
    fn dn_parsing_handles_spaces_escapes_and_email() {
        let s = SubjectSpec::parse_dn(
            "CN=Doe\\, Jane , O=Example Corp,OU=Staff,C=de,E=jane@example.org",
        )
        .expect("parse");
        assert_eq!(s.common_name, "Doe, Jane");
        assert_eq!(s.organizational_unit.as_deref(), Some("Staff"));
        assert_eq!(s.email.as_deref(), Some("jane@example.org"));
        assert_eq!(s.country.as_deref(), Some("de"));
    }

    #[test]
    fn dn_parsing_rejects_unknown_repeated_and_missing_cn() {
        let unknown = SubjectSpec::parse_dn("CN=a,DC=example").expect_err("unknown");
        assert!(
            unknown.to_string().contains("unknown attribute \"DC\""),
            "{unknown}"
        );
        let twice = SubjectSpec::parse_dn("CN=a,OU=x,OU=y").expect_err("twice");
        assert!(
            twice.to_string().contains("invalid OU: given twice"),
            "{twice}"
        );
        let no_cn = SubjectSpec::parse_dn("O=Example").expect_err("no cn");
        assert!(no_cn.to_string().contains("common name"), "{no_cn}");
    }

    #[test]
    fn validation_names_the_field_and_the_rule() {
        let mut s = alice();
        s.country = Some("Germany".into());
        assert_eq!(
            s.validate().expect_err("C").to_string(),
            "invalid C: must be two letters (ISO 3166), found \"Germany\""
        );
        let mut s = alice();
        s.common_name = "  ".into();
        assert!(s
            .validate()
            .expect_err("CN")
            .to_string()
            .starts_with("invalid CN: must not be empty"));
        let mut s = alice();
        s.common_name = "x".repeat(65);
        assert_eq!(
            s.validate().expect_err("long").to_string(),
            "invalid CN: at most 64 characters (RFC 5280), found 65"
        );
        let mut s = alice();
        s.email = Some("alice.example.org".into());
        assert!(s
            .validate()
            .expect_err("email")
            .to_string()
            .starts_with("invalid email"));
        let mut s = alice();
        s.locality = Some("L".repeat(128));
        s.validate().expect("128 characters are allowed for L");
    }

    #[test]
    fn an_rsa_request_can_be_signed_with_sha384_or_sha512_and_facts_read_it_back() {
        let key = PrivateKey::generate(KeySpec::Rsa2048).expect("key");
        let spec = CsrSpec {
            subject: alice(),
            challenge_password: None,
        };
        let plain = build_csr(&key, &spec).expect("csr").facts().expect("facts");
        assert_eq!(plain.signature_oid, "1.2.840.113549.1.1.11");
        assert!(plain.key_usage_digital_signature && plain.client_auth && plain.email_san);
        assert!(!plain.challenge_password);
        for (sig, oid) in [
            (CsrSignature::RsaSha384, "1.2.840.113549.1.1.12"),
            (CsrSignature::RsaSha512, "1.2.840.113549.1.1.13"),
        ] {
            let csr = build_csr_signed(&key, &spec, sig).expect("signed");
            // from_der checks the self-signature.
            let again = Csr::from_der(csr.der().to_vec()).expect("verifies");
            let facts = again.facts().expect("facts");
            assert_eq!(facts.signature_oid, oid);
            assert_eq!(CsrSignature::from_oid(oid), Some(sig));
            assert_eq!(facts.public_key_der, plain.public_key_der);
            assert_eq!(facts.subject_der, plain.subject_der);
            assert_eq!(facts.public_key_der, key.public_key_der());
        }
        let ec = PrivateKey::generate(KeySpec::EcP256).expect("key");
        let err = build_csr_signed(&ec, &spec, CsrSignature::RsaSha384).expect_err("ec");
        assert_eq!(
            err.to_string(),
            "invalid signature: a request with ECDSA P-256 cannot be signed with RSA with SHA-384"
        );
        let coded = CsrSpec {
            subject: alice(),
            challenge_password: Some(SecretString::new("ABCD-1234")),
        };
        assert!(
            build_csr(&ec, &coded)
                .expect("csr")
                .facts()
                .expect("facts")
                .challenge_password
        );
    }

    #[test]
    fn csr_carries_subject_sans_usages_and_challenge() {
        let key = PrivateKey::generate(KeySpec::EcP256).expect("key");
        let mut subject = alice();
        subject.upn = Some("alice@corp.example".into());
        let spec = CsrSpec {
            subject,
            challenge_password: Some(SecretString::new("ABCD-1234")),
        };
        let csr = build_csr(&key, &spec).expect("csr");
        let (_, req) = X509CertificationRequest::from_der(csr.der()).expect("parse");
        req.verify_signature().expect("self-signature");
        let subject = req.certification_request_info.subject.to_string();
        assert!(subject.contains("CN=Alice Example"), "{subject}");
        assert!(subject.contains("C=DE"), "{subject}");
        let exts: Vec<_> = req
            .requested_extensions()
            .expect("extension request")
            .collect();
        let mut saw_email = false;
        let mut saw_upn = false;
        let mut saw_eku = false;
        let mut saw_ku = false;
        for ext in exts {
            match ext {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        match name {
                            GeneralName::RFC822Name(e) => saw_email = *e == "alice@example.org",
                            GeneralName::OtherName(oid, _) => {
                                saw_upn = oid.to_id_string() == "1.3.6.1.4.1.311.20.2.3"
                            }
                            _ => {}
                        }
                    }
                }
                ParsedExtension::ExtendedKeyUsage(eku) => saw_eku = eku.client_auth,
                ParsedExtension::KeyUsage(ku) => saw_ku = ku.digital_signature(),
                _ => {}
            }
        }
        assert!(saw_email && saw_upn && saw_eku && saw_ku);
        let has_challenge = req
            .certification_request_info
            .attributes()
            .iter()
            .any(|a| a.oid.to_id_string() == "1.2.840.113549.1.9.7");
        assert!(has_challenge);
        assert!(csr
            .pem()
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
        assert_eq!(csr.fingerprint_sha256().len(), 32 * 3 - 1);
    }
}
