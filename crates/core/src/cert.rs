//! X.509 certificates: parsing into plain facts, key matching, chain building, and whether a
//! certificate is fit for TLS client authentication.

use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::csr::colon_hex;
use crate::key::{pem_encode, spec_of_spki, KeySpec};
use crate::{Error, Result};

/// A certificate as plain facts, the way `certdesk inspect` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject DN, one line.
    pub subject: String,
    /// Subject common name, when there is one.
    pub subject_cn: Option<String>,
    /// Issuer DN, one line.
    pub issuer: String,
    /// Issuer common name, when there is one.
    pub issuer_cn: Option<String>,
    /// Serial number, colon hex.
    pub serial: String,
    /// X.509 version as people count it (1, 2 or 3).
    pub version: u32,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Key in plain words: `ECDSA P-256`, `RSA 2048-bit`.
    pub key_description: String,
    /// The key type when certdesk supports it.
    pub key_type: Option<KeySpec>,
    /// Extended key usages in plain words (`client authentication`, …).
    pub extended_key_usages: Vec<String>,
    /// True when the EKU extension allows client authentication (or is absent).
    pub allows_client_auth: bool,
    /// Whether an EKU extension is present at all.
    pub has_eku_extension: bool,
    /// Key usages (`digitalSignature`, …).
    pub key_usages: Vec<String>,
    /// Subject alternative names, each as `email:…`, `DNS:…`, `UPN:…`, `URI:…`, `IP:…`.
    pub subject_alt_names: Vec<String>,
    /// Whether this is a CA certificate (basicConstraints cA).
    pub is_ca: bool,
    /// Whether subject and issuer are the same.
    pub self_issued: bool,
    /// SHA-256 of the DER, colon hex.
    pub sha256: String,
    /// SHA-1 of the DER, colon hex (what Windows shows as "thumbprint").
    pub sha1: String,
}

/// When, relative to now, a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "days")]
pub enum Validity {
    /// Valid now; expires in this many whole days.
    Valid(i64),
    /// Not valid yet; starts in this many whole days.
    NotYetValid(i64),
    /// Expired this many whole days ago.
    Expired(i64),
}

impl CertInfo {
    /// Validity relative to `now`.
    pub fn validity_at(&self, now: OffsetDateTime) -> Validity {
        if now < self.not_before {
            Validity::NotYetValid((self.not_before - now).whole_days())
        } else if now > self.not_after {
            Validity::Expired((now - self.not_after).whole_days())
        } else {
            Validity::Valid((self.not_after - now).whole_days())
        }
    }

    /// Validity in plain words: `expires in 364 days`, `expired 3 days ago`,
    /// `not valid yet: becomes valid in 1 day`.
    pub fn validity_words(&self, now: OffsetDateTime) -> String {
        match self.validity_at(now) {
            Validity::Valid(_) => format!("expires {}", relative(self.not_after - now, "in")),
            Validity::NotYetValid(_) => {
                format!(
                    "not valid yet: becomes valid {}",
                    relative(self.not_before - now, "in")
                )
            }
            Validity::Expired(_) => format!("expired {}", relative(now - self.not_after, "ago")),
        }
    }
}

/// `in 3 days`, `in 1 day`, `in less than a day`, `3 days ago`, `less than a day ago`.
fn relative(span: time::Duration, direction: &str) -> String {
    let days = span.whole_days();
    let amount = match days {
        0 => "less than a day".to_string(),
        1 => "1 day".to_string(),
        d => format!("{d} days"),
    };
    if direction == "ago" {
        format!("{amount} ago")
    } else {
        format!("{direction} {amount}")
    }
}

/// Something that makes a certificate unfit (or questionable) for client authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FitnessProblem {
    /// Stable code: `expired`, `not_yet_valid`, `no_client_auth_eku`, `ca_certificate`,
    /// `x509_v1`, `unsupported_key`.
    pub code: &'static str,
    /// True when servers will refuse the certificate for this; false for a warning.
    pub blocking: bool,
    /// Plain words.
    pub message: String,
}

/// Whether `info` can serve as a TLS client certificate at `now`, and why not.
pub fn client_auth_problems(info: &CertInfo, now: OffsetDateTime) -> Vec<FitnessProblem> {
    let mut out = Vec::new();
    match info.validity_at(now) {
        Validity::Expired(_) => out.push(FitnessProblem {
            code: "expired",
            blocking: true,
            message: format!(
                "the certificate {} (valid until {})",
                info.validity_words(now),
                info.not_after.date()
            ),
        }),
        Validity::NotYetValid(_) => out.push(FitnessProblem {
            code: "not_yet_valid",
            blocking: true,
            message: format!(
                "the certificate is {} (from {}); check the computer's clock",
                info.validity_words(now),
                info.not_before.date()
            ),
        }),
        Validity::Valid(_) => {}
    }
    if !info.allows_client_auth {
        out.push(FitnessProblem {
            code: "no_client_auth_eku",
            blocking: true,
            message: format!(
                "the certificate is not made for client authentication (it allows only: {})",
                info.extended_key_usages.join(", ")
            ),
        });
    }
    if info.is_ca {
        out.push(FitnessProblem {
            code: "ca_certificate",
            blocking: true,
            message: "this is a CA certificate, not a personal one".into(),
        });
    }
    if info.version < 3 {
        out.push(FitnessProblem {
            code: "x509_v1",
            blocking: false,
            message: format!(
                "the certificate is X.509 version {} without extensions; some servers refuse such certificates",
                info.version
            ),
        });
    }
    if info.key_type.is_none() {
        out.push(FitnessProblem {
            code: "unsupported_key",
            blocking: false,
            message: format!(
                "the key ({}) is not one certdesk creates",
                info.key_description
            ),
        });
    }
    out
}

pub(crate) fn parse_x509<'a>(der: &'a [u8], source_name: &str) -> Result<X509Certificate<'a>> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(Error::Malformed {
            what: "the certificate".into(),
            source_name: source_name.into(),
            detail: "trailing bytes after the certificate".into(),
        }),
        Err(e) => Err(Error::Malformed {
            what: "the certificate".into(),
            source_name: source_name.into(),
            detail: e.to_string(),
        }),
    }
}

/// Reads a DER certificate into plain facts.
pub fn parse_certificate(der: &[u8]) -> Result<CertInfo> {
    let cert = parse_x509(der, "the certificate")?;
    let mut ekus = Vec::new();
    let mut allows_client_auth = true;
    let mut has_eku_extension = false;
    let mut key_usages = Vec::new();
    let mut sans = Vec::new();
    let mut is_ca = false;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::ExtendedKeyUsage(eku) => {
                has_eku_extension = true;
                allows_client_auth = eku.client_auth || eku.any;
                let named = [
                    (eku.any, "any purpose"),
                    (eku.server_auth, "server authentication"),
                    (eku.client_auth, "client authentication"),
                    (eku.code_signing, "code signing"),
                    (eku.email_protection, "email protection"),
                    (eku.time_stamping, "time stamping"),
                    (eku.ocsp_signing, "OCSP signing"),
                ];
                ekus.extend(
                    named
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, n)| n.to_string()),
                );
                ekus.extend(eku.other.iter().map(|o| o.to_id_string()));
            }
            ParsedExtension::KeyUsage(ku) => {
                key_usages = ku.to_string().split(", ").map(str::to_string).collect();
            }
            ParsedExtension::SubjectAlternativeName(san) => {
                sans.extend(san.general_names.iter().map(describe_general_name));
            }
            ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
            _ => {}
        }
    }
    let spki = cert.public_key();
    let key_type = spec_of_spki(spki);
    let key_description = match (key_type, spki.parsed()) {
        (Some(spec), _) => spec.describe().to_string(),
        (None, Ok(PublicKey::RSA(rsa))) => format!("RSA {}-bit", rsa.key_size()),
        (None, Ok(PublicKey::EC(_))) => "ECDSA on an uncommon curve".into(),
        (None, _) => format!("other ({})", spki.algorithm.algorithm.to_id_string()),
    };
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        subject_cn: first_cn(cert.subject()),
        issuer: cert.issuer().to_string(),
        issuer_cn: first_cn(cert.issuer()),
        serial: colon_hex(cert.raw_serial()),
        // x509-parser accepts any u32 (RFC 5280 has 0 to 2): no overflow on a hostile one.
        version: cert.version().0.saturating_add(1),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        key_description,
        key_type,
        extended_key_usages: ekus,
        allows_client_auth,
        has_eku_extension,
        key_usages,
        subject_alt_names: sans,
        is_ca,
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        sha256: colon_hex(&Sha256::digest(der)),
        sha1: colon_hex(&Sha1::digest(der)),
    })
}

fn first_cn(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

fn describe_general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::URI(u) => format!("URI:{u}"),
        GeneralName::IPAddress(ip) => match ip.len() {
            4 => format!("IP:{}", std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3])),
            16 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(ip);
                format!("IP:{}", std::net::Ipv6Addr::from(b))
            }
            _ => "IP:(malformed)".into(),
        },
        GeneralName::OtherName(oid, value) if oid.to_id_string() == "1.3.6.1.4.1.311.20.2.3" => {
            // [0] EXPLICIT UTF8String: skip the two headers when they are short-form.
            let text = value
                .get(4..)
                .and_then(|v| std::str::from_utf8(v).ok())
                .unwrap_or("(unreadable)");
            format!("UPN:{text}")
        }
        other => format!("{other}"),
    }
}

/// The DER SubjectPublicKeyInfo of a certificate.
pub fn public_key_of(der: &[u8]) -> Result<Vec<u8>> {
    Ok(parse_x509(der, "the certificate")?
        .public_key()
        .raw
        .to_vec())
}

/// PEM (`CERTIFICATE`) of a DER certificate.
pub fn to_pem(der: &[u8]) -> String {
    pem_encode("CERTIFICATE", der)
}

/// Most certificates [`build_chain`] takes as its pool.
pub const MAX_CHAIN_POOL: usize = 32;
/// Longest chain [`build_chain`] builds, leaf and root included.
pub const MAX_CHAIN_DEPTH: usize = 10;

/// Orders a chain: starting at `leaf`, repeatedly finds the certificate whose subject is the
/// current issuer (byte-equal names, and a signature that verifies when it can be checked),
/// until a self-issued certificate or a missing link. Returns the chain leaf first; pool
/// certificates that are not in the chain are left out. PKCS#7 bundles arrive in arbitrary
/// order (RFC 7030 servers sort by encoding), so this never trusts the input order.
///
/// Bounded for hostile input: a pool of more than [`MAX_CHAIN_POOL`] certificates is refused
/// (each step may check a signature against every candidate with the right name), and so is a
/// chain longer than [`MAX_CHAIN_DEPTH`].
pub fn build_chain(leaf: &[u8], pool: &[Vec<u8>]) -> Result<Vec<Vec<u8>>> {
    let refuse = |detail: String| Error::Malformed {
        what: "the certificate chain".into(),
        source_name: "the reply".into(),
        detail,
    };
    if pool.len() > MAX_CHAIN_POOL {
        return Err(refuse(format!(
            "it holds {} certificates; a certificate reply holds a few, and certdesk reads at most {MAX_CHAIN_POOL}",
            pool.len()
        )));
    }
    let mut chain = vec![leaf.to_vec()];
    loop {
        if chain.len() > MAX_CHAIN_DEPTH {
            return Err(refuse(format!(
                "the chain is longer than {MAX_CHAIN_DEPTH} certificates; real ones have two to four"
            )));
        }
        let current_der = chain.last().map(Vec::as_slice).unwrap_or(leaf);
        let current = parse_x509(current_der, "the certificate")?;
        if current.subject().as_raw() == current.issuer().as_raw() {
            break;
        }
        let next = pool.iter().find(|candidate| {
            if chain.iter().any(|c| c == *candidate) {
                return false;
            }
            let Ok(issuer) = parse_x509(candidate, "the chain") else {
                return false;
            };
            issuer.subject().as_raw() == current.issuer().as_raw()
                && current.verify_signature(Some(issuer.public_key())).is_ok()
        });
        match next {
            Some(n) => chain.push(n.clone()),
            None => break,
        }
    }
    Ok(chain)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    pub(crate) struct TestCa {
        pub root_der: Vec<u8>,
        pub inter_der: Vec<u8>,
        pub leaf_der: Vec<u8>,
    }

    pub(crate) fn test_chain() -> TestCa {
        let root_key = KeyPair::generate().expect("key");
        let mut root_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        root_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test Root");
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let root = root_params.self_signed(&root_key).expect("root");
        let root_issuer = rcgen::Issuer::new(root_params, &root_key);
        let inter_key = KeyPair::generate().expect("key");
        let mut inter_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        inter_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test Issuing CA");
        inter_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let inter = inter_params
            .signed_by(&inter_key, &root_issuer)
            .expect("inter");
        let inter_issuer = rcgen::Issuer::new(inter_params, &inter_key);
        let leaf_key = KeyPair::generate().expect("key");
        let mut leaf_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Leaf");
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params
            .signed_by(&leaf_key, &inter_issuer)
            .expect("leaf");
        TestCa {
            root_der: root.der().to_vec(),
            inter_der: inter.der().to_vec(),
            leaf_der: leaf.der().to_vec(),
        }
    }

    /// Issue #12: the pool and the depth were unbounded, so a hostile bundle could make the
    /// import check signatures quadratically in its size. A 33-certificate pool and a
    /// 12-certificate chain are refused now, with the figures named; 10 levels still build.
    #[test]
    fn chain_building_is_bounded() {
        let ca = test_chain();
        let pool = vec![ca.root_der.clone(); MAX_CHAIN_POOL + 1];
        let err = build_chain(&ca.leaf_der, &pool).expect_err("pool too large");
        assert!(err.to_string().contains("holds 33 certificates"), "{err}");

        // root → 10 intermediates → leaf: 12 certificates.
        let mut key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Level 0");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let mut ders = vec![params.self_signed(&key).expect("root").der().to_vec()];
        for level in 1..12 {
            let issuer = rcgen::Issuer::new(params, &key);
            let next_key = KeyPair::generate().expect("key");
            let mut next = CertificateParams::new(Vec::<String>::new()).expect("params");
            next.distinguished_name
                .push(rcgen::DnType::CommonName, format!("Level {level}"));
            next.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            ders.push(
                next.signed_by(&next_key, &issuer)
                    .expect("cert")
                    .der()
                    .to_vec(),
            );
            (params, key) = (next, next_key);
        }
        let leaf = ders.last().expect("leaf").clone();
        let err = build_chain(&leaf, &ders).expect_err("too deep");
        assert!(err.to_string().contains("longer than 10"), "{err}");
        let ten = &ders[2..];
        assert_eq!(
            build_chain(&ten[ten.len() - 1], ten)
                .expect("ten levels")
                .len(),
            10
        );
    }

    /// Found with the inspect_bytes fuzz target: x509-parser accepts any u32 as the version,
    /// and `version + 1` overflowed on 0xFFFFFFFF (a panic in debug builds, version 0 in
    /// release builds).
    #[test]
    fn a_certificate_with_an_out_of_range_version_is_read() {
        // (header length, element length) of the DER element at the start of `der`.
        fn element(der: &[u8]) -> (usize, usize) {
            let (header, len) = match der[1] {
                n if n < 0x80 => (2, usize::from(n)),
                n => {
                    let bytes = usize::from(n & 0x7f);
                    let len = der[2..2 + bytes]
                        .iter()
                        .fold(0, |acc, b| (acc << 8) | usize::from(*b));
                    (2 + bytes, len)
                }
            };
            (header, header + len)
        }
        let der = test_chain().leaf_der;
        let body = &der[element(&der).0..];
        let (tbs_header, tbs_end) = element(body);
        let version = crate::asn1::explicit0(&crate::asn1::integer(2));
        let tbs_rest = body[tbs_header..tbs_end]
            .strip_prefix(version.as_slice())
            .expect("a v3 certificate");
        let tbs = crate::asn1::seq(&[
            &crate::asn1::explicit0(&crate::asn1::integer(u64::from(u32::MAX))),
            tbs_rest,
        ]);
        let bad = crate::asn1::seq(&[&tbs, &body[tbs_end..]]);
        let info = parse_certificate(&bad).expect("read");
        assert_eq!(info.version, u32::MAX);
        assert_eq!(info.subject_cn.as_deref(), Some("Leaf"));
    }

    #[test]
    fn chain_is_rebuilt_from_an_unordered_pool() {
        let ca = test_chain();
        let pool = vec![
            ca.root_der.clone(),
            ca.leaf_der.clone(),
            ca.inter_der.clone(),
        ];
        let chain = build_chain(&ca.leaf_der, &pool).expect("chain");
        assert_eq!(chain, vec![ca.leaf_der, ca.inter_der, ca.root_der]);
    }

    #[test]
    fn chain_stops_at_a_missing_link() {
        let ca = test_chain();
        let chain = build_chain(&ca.leaf_der, std::slice::from_ref(&ca.root_der)).expect("chain");
        assert_eq!(chain.len(), 1);
    }

    #[test]
    fn facts_and_fitness_of_a_server_only_certificate() {
        let ca = test_chain();
        let info = parse_certificate(&ca.leaf_der).expect("parse");
        assert_eq!(info.subject_cn.as_deref(), Some("Leaf"));
        assert_eq!(info.issuer_cn.as_deref(), Some("Test Issuing CA"));
        assert_eq!(info.version, 3);
        assert_eq!(info.key_type, Some(KeySpec::EcP256));
        assert!(!info.allows_client_auth);
        let problems = client_auth_problems(&info, OffsetDateTime::now_utc());
        let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, vec!["no_client_auth_eku"]);
        assert!(problems[0].message.contains("server authentication"));
    }

    #[test]
    fn validity_words_count_days() {
        let ca = test_chain();
        let info = parse_certificate(&ca.root_der).expect("parse");
        let later = info.not_after + time::Duration::days(3);
        assert_eq!(info.validity_words(later), "expired 3 days ago");
        assert_eq!(
            info.validity_words(info.not_after + time::Duration::hours(30)),
            "expired 1 day ago"
        );
        assert_eq!(
            info.validity_words(info.not_before - time::Duration::hours(20)),
            "not valid yet: becomes valid in less than a day"
        );
        assert_eq!(
            info.validity_words(info.not_after - time::Duration::days(2)),
            "expires in 2 days"
        );
        let before = info.not_before - time::Duration::days(2) - time::Duration::hours(1);
        assert_eq!(info.validity_at(before), Validity::NotYetValid(2));
        assert!(client_auth_problems(&info, later)
            .iter()
            .any(|p| p.code == "expired"));
    }
}
