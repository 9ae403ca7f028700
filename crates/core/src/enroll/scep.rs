//! SCEP (RFC 8894): addresses, GetCACaps, GetCACert, and the signed and enveloped messages of
//! PKCSReq, RenewalReq, CertPoll and CertRep. Pure: no sockets here (the exchange is in
//! [`super`] through [`crate::transport`]).
//!
//! A request is the CSR (with the challengePassword attribute, built in memory and never
//! stored) encrypted to the CA or RA certificate (AES-256-CBC where the server offers AES,
//! else 3DES; never single DES), wrapped in a SignedData signed with the request's own RSA
//! key under a short-lived self-signed certificate (for RenewalReq: the current certificate).
//! The answer (CertRep) must be signed by a certificate from GetCACert, carry our
//! transactionID and our nonce back, and be encrypted to our key.
//!
//! Structures are built and read with the `cms`, `der` and `x509-cert` crates; RSA (PKCS#1
//! v1.5 signatures and key transport), AES-CBC and the digests come from aws-lc-rs, 3DES from
//! RustCrypto's `des` + `cbc`.

use aws_lc_rs::cipher::{
    DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey, AES_128, AES_256,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{
    Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, RsaKeyPair, UnparsedPublicKey};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::enveloped_data::{
    EncryptedContentInfo, EnvelopedData, KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo,
    RecipientInfos,
};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, PrintableStringRef, SetOfVec};
use der::{Decode, Encode};
use sha2::Digest as _;
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_parser::prelude::FromDer as _;

use crate::key::{KeySpec, PrivateKey};
use crate::weburl::{UrlUse, WebUrl};
use crate::{Error, Result};

const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_ENVELOPED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_MESSAGE_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.2");
const OID_PKI_STATUS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.3");
const OID_FAIL_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.4");
const OID_SENDER_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.5");
const OID_RECIPIENT_NONCE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.6");
const OID_TRANSACTION_ID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.7");
const OID_FAIL_INFO_TEXT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.24.1");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const OID_AES128_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2");
const OID_AES256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
const OID_DES_EDE3_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.3.7");
const OID_DES_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.7");

/// The path NDES and most SCEP servers use when a person gives only a host.
pub const DEFAULT_PATH: &str = "/cgi-bin/pkiclient.exe";

/// The SCEP address from what a person types. Plain `http://` is allowed (NDES serves
/// `http://host/certsrv/mscep/mscep.dll`): a SCEP request is signed and encrypted to the CA,
/// and the CA certificate itself is only used once it matches a confirmed fingerprint (see
/// [`super`]). A query or fragment is refused (certdesk adds `?operation=…`).
pub fn scep_url(url: &str) -> Result<String> {
    let checked = WebUrl::parse(url, UrlUse::Scep)?;
    if checked.url().query().is_some() || checked.url().fragment().is_some() {
        return Err(Error::invalid(
            "URL",
            format!(
                "a SCEP address is the server's path without ?operation=… (certdesk adds it), found \"{}\"",
                crate::weburl::shown(url)
            ),
        ));
    }
    let origin = checked.url().origin().ascii_serialization();
    let path = checked.url().path();
    let path = if path.is_empty() || path == "/" {
        DEFAULT_PATH
    } else {
        path
    };
    Ok(format!("{origin}{path}"))
}

/// The address of a GET operation (`message` is URL-encoded).
pub fn operation_url(base: &str, operation: &str, message: Option<&str>) -> String {
    let mut out = format!("{base}?operation={operation}");
    if let Some(m) = message {
        out.push_str("&message=");
        out.extend(url::form_urlencoded::byte_serialize(m.as_bytes()));
    }
    out
}

/// What the server says it can do (GetCACaps, RFC 8894 §3.5.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaCaps {
    /// `POSTPKIOperation` (or `SCEPStandard`, which implies it).
    pub post: bool,
    /// `AES`.
    pub aes: bool,
    /// `DES3`.
    pub des3: bool,
    /// `SHA-256` (or `SCEPStandard`).
    pub sha256: bool,
    /// `SHA-512`.
    pub sha512: bool,
    /// `Renewal`.
    pub renewal: bool,
    /// Every keyword as sent.
    pub keywords: Vec<String>,
}

/// Reads a GetCACaps answer: one keyword a line, case-insensitive. An empty answer is an old
/// server (SHA-1, DES3 at best, GET only).
pub fn parse_caps(body: &[u8]) -> CaCaps {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
    let keywords: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.len() < 64)
        .map(str::to_string)
        .collect();
    let has = |k: &str| keywords.iter().any(|w| w.eq_ignore_ascii_case(k));
    let standard = has("SCEPStandard");
    CaCaps {
        post: has("POSTPKIOperation") || standard,
        aes: has("AES") || standard,
        des3: has("DES3"),
        sha256: has("SHA-256") || standard,
        sha512: has("SHA-512"),
        renewal: has("Renewal"),
        keywords,
    }
}

/// Content encryption for the request envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    /// AES-256-CBC.
    Aes256,
    /// Triple DES (DES-EDE3-CBC), for servers that do not offer AES.
    Des3,
}

impl Cipher {
    /// AES-256 where offered, else 3DES (never single DES).
    pub fn for_caps(caps: &CaCaps) -> Cipher {
        if caps.aes {
            Cipher::Aes256
        } else {
            Cipher::Des3
        }
    }

    /// For messages.
    pub fn describe(self) -> &'static str {
        match self {
            Cipher::Aes256 => "AES-256-CBC",
            Cipher::Des3 => "3DES",
        }
    }
}

/// The digest of the signature. certdesk signs with SHA-256 only: aws-lc-rs does not make
/// SHA-1 signatures, and a server without SHA-256 answers badAlg, which gets its own message.
/// Answers signed with SHA-1, SHA-256 or SHA-512 are all read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
}

impl Hash {
    /// SHA-256 (see the type).
    pub fn for_caps(_caps: &CaCaps) -> Hash {
        Hash::Sha256
    }
}

/// The CA and RA certificates of a GetCACert answer, and which of them certdesk uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCerts {
    /// Every certificate sent (DER).
    pub all: Vec<Vec<u8>>,
    /// The CA certificate (the one the fingerprint is compared with).
    pub ca: Vec<u8>,
    /// The certificate requests are encrypted to (an RA's keyEncipherment certificate, or the CA).
    pub recipient: Vec<u8>,
    /// The certificate that signs the answers (an RA's digitalSignature certificate, or the CA).
    pub signer: Vec<u8>,
    /// Which certificates were picked, in words.
    pub note: String,
}

/// SHA-256 of a DER certificate, colon hex.
pub fn fingerprint(der: &[u8]) -> String {
    crate::csr::colon_hex(&sha2::Sha256::digest(der))
}

fn malformed(what: &str, source: &str, detail: impl std::fmt::Display) -> Error {
    Error::Malformed {
        what: what.to_string(),
        source_name: source.to_string(),
        detail: detail.to_string(),
    }
}

struct CertFacts {
    subject: String,
    is_ca: bool,
    self_signed: bool,
    key_encipherment: Option<bool>,
    digital_signature: Option<bool>,
    rsa: bool,
}

fn cert_facts(der: &[u8], source: &str) -> Result<CertFacts> {
    let cert = crate::cert::parse_x509(der, source)?;
    let mut facts = CertFacts {
        subject: cert.subject().to_string(),
        is_ca: false,
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        key_encipherment: None,
        digital_signature: None,
        rsa: cert.public_key().algorithm.algorithm.to_id_string() == OID_RSA.to_string(),
    };
    if let Ok(Some(bc)) = cert.basic_constraints() {
        facts.is_ca = bc.value.ca;
    }
    if let Ok(Some(ku)) = cert.key_usage() {
        facts.key_encipherment = Some(ku.value.key_encipherment());
        facts.digital_signature = Some(ku.value.digital_signature());
    }
    Ok(facts)
}

/// Reads a GetCACert answer: a single DER certificate (`application/x-x509-ca-cert`) or a
/// certs-only PKCS#7 with the CA and RA certificates (`application/x-x509-ca-ra-cert`). With
/// RA certificates (NDES sends two), requests are encrypted to the RA certificate with
/// keyEncipherment and answers are expected from the one with digitalSignature.
pub fn parse_ca_certs(body: &[u8], source: &str) -> Result<CaCerts> {
    let (all, _, _) = crate::encoding::read_certificates(body, source)?;
    if all.is_empty() {
        return Err(Error::EmptyInput {
            source_name: source.to_string(),
        });
    }
    let facts: Vec<CertFacts> = all
        .iter()
        .map(|c| cert_facts(c, source))
        .collect::<Result<_>>()?;
    if all.len() == 1 {
        let f = &facts[0];
        if !f.rsa {
            return Err(Error::ScepReply {
                url: source.to_string(),
                problem: ScepProblem::UnsupportedAlgorithm,
                detail: format!("the CA certificate {} has no RSA key, and SCEP encrypts requests to an RSA key", f.subject),
            });
        }
        return Ok(CaCerts {
            ca: all[0].clone(),
            recipient: all[0].clone(),
            signer: all[0].clone(),
            note: format!("the CA {} (no RA certificates)", f.subject),
            all,
        });
    }
    // The CA: a CA certificate (self-signed first); the others are RA certificates.
    let ca_index = (0..all.len())
        .find(|&i| facts[i].is_ca && facts[i].self_signed)
        .or_else(|| (0..all.len()).find(|&i| facts[i].is_ca))
        .unwrap_or(0);
    let ras: Vec<usize> = (0..all.len())
        .filter(|&i| i != ca_index && !facts[i].is_ca && facts[i].rsa)
        .collect();
    let pick = |want: fn(&CertFacts) -> Option<bool>| {
        ras.iter()
            .copied()
            .find(|&i| want(&facts[i]) == Some(true))
            .or_else(|| ras.iter().copied().find(|&i| want(&facts[i]).is_none()))
            .or_else(|| ras.first().copied())
    };
    let recipient = pick(|f| f.key_encipherment).unwrap_or(ca_index);
    let signer = pick(|f| f.digital_signature).unwrap_or(ca_index);
    if !facts[recipient].rsa {
        return Err(Error::ScepReply {
            url: source.to_string(),
            problem: ScepProblem::UnsupportedAlgorithm,
            detail: format!(
                "the certificate to encrypt to ({}) has no RSA key",
                facts[recipient].subject
            ),
        });
    }
    let note = if ras.is_empty() {
        format!("the CA {}", facts[ca_index].subject)
    } else {
        format!(
            "CA {}; requests encrypted to the RA certificate {}; answers signed by {}",
            facts[ca_index].subject, facts[recipient].subject, facts[signer].subject
        )
    };
    Ok(CaCerts {
        ca: all[ca_index].clone(),
        recipient: all[recipient].clone(),
        signer: all[signer].clone(),
        note,
        all,
    })
}

/// SCEP message types (RFC 8894 §3.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// CertRep (3).
    CertRep,
    /// RenewalReq (17).
    RenewalReq,
    /// PKCSReq (19).
    PkcsReq,
    /// CertPoll / GetCertInitial (20).
    CertPoll,
}

impl MessageType {
    /// The number, as sent in the PrintableString.
    pub fn code(self) -> &'static str {
        match self {
            MessageType::CertRep => "3",
            MessageType::RenewalReq => "17",
            MessageType::PkcsReq => "19",
            MessageType::CertPoll => "20",
        }
    }
}

/// The key and certificate that sign a request (and receive the encrypted answer).
#[derive(Debug)]
pub struct Signer<'a> {
    /// The request's key (RSA).
    pub key: &'a PrivateKey,
    /// A self-signed certificate for it, or the current certificate for RenewalReq.
    pub cert_der: Vec<u8>,
}

/// Refuses a key SCEP cannot use: the answer is encrypted to the request's key by RSA key
/// transport.
pub fn require_rsa(key: KeySpec) -> Result<()> {
    match key {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => Ok(()),
        other => Err(Error::ScepNeedsRsa {
            key: other.describe().to_string(),
        }),
    }
}

/// A short-lived (one day) self-signed certificate for `key`, to sign a PKCSReq or CertPoll
/// with (RFC 8894 §2.3); `cn` is the requested common name.
pub fn self_signed_signer(key: &PrivateKey, cn: &str) -> Result<Vec<u8>> {
    require_rsa(key.spec())?;
    let pair = key.key_pair()?;
    let mut params = rcgen::CertificateParams::default();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(
        rcgen::DnType::CommonName,
        if cn.is_empty() { "certdesk" } else { cn },
    );
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(1);
    let serial: [u8; 16] = rand::random();
    let mut serial = serial.to_vec();
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = params
        .self_signed(&*pair)
        .map_err(|e| Error::crypto("make the SCEP signer certificate", e))?;
    Ok(cert.der().to_vec())
}

/// A transactionID: hex SHA-256 of the request's public key (RFC 8894 §3.2.1.1), so that a
/// server sees a resent request as the same transaction; `fresh` adds randomness (renewal
/// keeps the key but is a new transaction).
pub fn transaction_id(public_key_der: &[u8], fresh: bool) -> String {
    let mut h = sha2::Sha256::new();
    h.update(public_key_der);
    if fresh {
        h.update(rand::random::<[u8; 16]>());
    }
    hex::encode_upper(h.finalize())
}

/// One message to send.
#[derive(Debug)]
pub struct Outgoing<'a> {
    /// PKCSReq, RenewalReq or CertPoll.
    pub message_type: MessageType,
    /// The transaction.
    pub transaction_id: &'a str,
    /// 16 fresh random bytes.
    pub sender_nonce: [u8; 16],
    /// What goes into the envelope: the CSR (DER) or, for CertPoll, IssuerAndSubject.
    pub content: &'a [u8],
    /// The CA or RA certificate to encrypt to.
    pub recipient_der: &'a [u8],
    /// Encryption.
    pub cipher: Cipher,
    /// Signature digest.
    pub hash: Hash,
    /// Who signs.
    pub signer: &'a Signer<'a>,
}

fn der_err(op: &str) -> impl Fn(der::Error) -> Error + '_ {
    move |e| Error::crypto(op, e)
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(der_err("build an attribute"))?,
    })
}

fn printable(s: &str) -> Result<Any> {
    Any::encode_from(&PrintableStringRef::new(s).map_err(der_err("encode a string"))?)
        .map_err(der_err("encode a string"))
}

fn octets(bytes: &[u8]) -> Result<Any> {
    Any::encode_from(&OctetString::new(bytes).map_err(der_err("encode octets"))?)
        .map_err(der_err("encode octets"))
}

fn alg(oid: ObjectIdentifier, null: bool) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: null.then(Any::null),
    }
}

fn issuer_and_serial(cert: &Certificate) -> IssuerAndSerialNumber {
    IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    }
}

fn parse_cert(der: &[u8], what: &str) -> Result<Certificate> {
    Certificate::from_der(der).map_err(|e| malformed(what, "SCEP", e))
}

/// Encrypts `content` to `recipient_der` as a ContentInfo(EnvelopedData).
pub fn envelope(content: &[u8], recipient_der: &[u8], cipher: Cipher) -> Result<Vec<u8>> {
    let recipient = parse_cert(recipient_der, "the CA certificate")?;
    let spki = recipient
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(der_err("read the CA key"))?;
    let public =
        Pkcs1PublicEncryptingKey::new(PublicEncryptingKey::from_der(&spki).map_err(|e| {
            Error::ScepReply {
                url: "GetCACert".into(),
                problem: ScepProblem::UnsupportedAlgorithm,
                detail: format!("the CA certificate's key cannot take an RSA key transport ({e})"),
            }
        })?)
        .map_err(|e| Error::crypto("load the CA key", e))?;
    let (oid, cek, iv, body) = match cipher {
        Cipher::Aes256 => {
            let cek: [u8; 32] = rand::random();
            let key = PaddedBlockEncryptingKey::cbc_pkcs7(
                UnboundCipherKey::new(&AES_256, &cek).map_err(|e| Error::crypto("AES key", e))?,
            )
            .map_err(|e| Error::crypto("AES key", e))?;
            let mut buf = content.to_vec();
            let iv: [u8; 16] = rand::random();
            key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(iv)))
                .map_err(|e| Error::crypto("encrypt the request", e))?;
            (OID_AES256_CBC, cek.to_vec(), iv.to_vec(), buf)
        }
        Cipher::Des3 => {
            use cbc::cipher::{BlockEncryptMut, KeyIvInit};
            let cek: [u8; 24] = rand::random();
            let iv: [u8; 8] = rand::random();
            let enc = cbc::Encryptor::<des::TdesEde3>::new_from_slices(&cek, &iv)
                .map_err(|e| Error::crypto("3DES key", e))?;
            let buf = enc.encrypt_padded_vec_mut::<cbc::cipher::block_padding::Pkcs7>(content);
            (OID_DES_EDE3_CBC, cek.to_vec(), iv.to_vec(), buf)
        }
    };
    let mut enc_key = vec![0u8; public.ciphertext_size()];
    let enc_key = public
        .encrypt(&cek, &mut enc_key)
        .map_err(|e| Error::crypto("encrypt the content key", e))?
        .to_vec();
    let ktri = KeyTransRecipientInfo {
        version: CmsVersion::V0,
        rid: RecipientIdentifier::IssuerAndSerialNumber(issuer_and_serial(&recipient)),
        key_enc_alg: alg(OID_RSA, true),
        enc_key: OctetString::new(enc_key).map_err(der_err("encode the key"))?,
    };
    let env = EnvelopedData {
        version: CmsVersion::V0,
        originator_info: None,
        recip_infos: RecipientInfos(
            SetOfVec::try_from(vec![RecipientInfo::Ktri(ktri)])
                .map_err(der_err("build the envelope"))?,
        ),
        encrypted_content: EncryptedContentInfo {
            content_type: OID_DATA,
            content_enc_alg: AlgorithmIdentifierOwned {
                oid,
                parameters: Some(octets(&iv)?),
            },
            encrypted_content: Some(OctetString::new(body).map_err(der_err("encode"))?),
        },
        unprotected_attrs: None,
    };
    ContentInfo {
        content_type: OID_ENVELOPED_DATA,
        content: Any::encode_from(&env).map_err(der_err("build the envelope"))?,
    }
    .to_der()
    .map_err(der_err("build the envelope"))
}

fn sign_rsa(key: &PrivateKey, hash: Hash, message: &[u8]) -> Result<Vec<u8>> {
    let pair = RsaKeyPair::from_pkcs8(key.pkcs8_der())
        .map_err(|e| Error::crypto("load the request's key", e))?;
    let mut sig = vec![0u8; pair.public_modulus_len()];
    let padding: &dyn signature::RsaEncoding = match hash {
        Hash::Sha256 => &signature::RSA_PKCS1_SHA256,
    };
    pair.sign(
        padding,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut sig,
    )
    .map_err(|e| Error::crypto("sign the SCEP message", e))?;
    Ok(sig)
}

fn digest(hash: Hash, data: &[u8]) -> Vec<u8> {
    match hash {
        Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
    }
}

/// Builds a pkiMessage (DER ContentInfo(SignedData)) ready to send.
pub fn build_message(out: &Outgoing<'_>) -> Result<Vec<u8>> {
    require_rsa(out.signer.key.spec())?;
    let envelope = envelope(out.content, out.recipient_der, out.cipher)?;
    let signer_cert = parse_cert(&out.signer.cert_der, "the signer certificate")?;
    let (digest_oid, hash) = match out.hash {
        Hash::Sha256 => (OID_SHA256, Hash::Sha256),
    };
    let attrs = vec![
        attribute(
            OID_CONTENT_TYPE,
            Any::encode_from(&OID_DATA).map_err(der_err("encode"))?,
        )?,
        attribute(OID_MESSAGE_DIGEST, octets(&digest(hash, &envelope))?)?,
        attribute(OID_MESSAGE_TYPE, printable(out.message_type.code())?)?,
        attribute(OID_TRANSACTION_ID, printable(out.transaction_id)?)?,
        attribute(OID_SENDER_NONCE, octets(&out.sender_nonce)?)?,
    ];
    let signed_attrs = SetOfVec::try_from(attrs).map_err(der_err("sort the attributes"))?;
    let to_sign = signed_attrs
        .to_der()
        .map_err(der_err("encode the attributes"))?;
    let signature = sign_rsa(out.signer.key, hash, &to_sign)?;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(issuer_and_serial(&signer_cert)),
        digest_alg: alg(digest_oid, false),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: alg(OID_RSA, true),
        signature: OctetString::new(signature).map_err(der_err("encode"))?,
        unsigned_attrs: None,
    };
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg(digest_oid, false)])
            .map_err(der_err("encode"))?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: OID_DATA,
            econtent: Some(octets(&envelope)?),
        },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(vec![CertificateChoices::Certificate(signer_cert)])
                .map_err(der_err("encode"))?,
        )),
        crls: None,
        signer_infos: SignerInfos(
            SetOfVec::try_from(vec![signer_info]).map_err(der_err("encode"))?,
        ),
    };
    ContentInfo {
        content_type: OID_SIGNED_DATA,
        content: Any::encode_from(&signed).map_err(der_err("encode"))?,
    }
    .to_der()
    .map_err(der_err("encode the SCEP message"))
}

/// CertPoll's content: `IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }`, the
/// issuer being the CA's subject and the subject that of the request (DER of each Name).
pub fn issuer_and_subject(ca_der: &[u8], csr_der: &[u8]) -> Result<Vec<u8>> {
    let ca = parse_cert(ca_der, "the CA certificate")?;
    let issuer = ca
        .tbs_certificate
        .subject
        .to_der()
        .map_err(der_err("encode"))?;
    let (_, req) = x509_parser::certification_request::X509CertificationRequest::from_der(csr_der)
        .map_err(|e| malformed("the certificate request", "the wallet", e))?;
    let subject = req.certification_request_info.subject.as_raw().to_vec();
    Ok(crate::asn1::seq(&[&issuer, &subject]))
}

/// Why a CertRep was refused (each has its own message, see [`Error::ScepReply`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScepProblem {
    /// Not a SignedData pkiMessage.
    NotPkiMessage,
    /// Signed by a certificate that is not the CA's or RA's from GetCACert.
    ForeignSigner,
    /// The signature does not verify.
    BadSignature,
    /// Another transaction's answer.
    TransactionMismatch,
    /// recipientNonce is not the nonce we sent (a replayed or crossed answer).
    NonceMismatch,
    /// The envelope is encrypted to another key.
    NotForUs,
    /// An algorithm certdesk does not use (single DES, RC2, an unknown digest…).
    UnsupportedAlgorithm,
    /// The envelope does not hold a certificate.
    NoCertificate,
}

impl ScepProblem {
    /// A stable code.
    pub fn code(self) -> &'static str {
        match self {
            ScepProblem::NotPkiMessage => "not_pki_message",
            ScepProblem::ForeignSigner => "foreign_signer",
            ScepProblem::BadSignature => "bad_signature",
            ScepProblem::TransactionMismatch => "transaction_mismatch",
            ScepProblem::NonceMismatch => "nonce_mismatch",
            ScepProblem::NotForUs => "not_for_us",
            ScepProblem::UnsupportedAlgorithm => "unsupported_algorithm",
            ScepProblem::NoCertificate => "no_certificate",
        }
    }
}

/// failInfo values (RFC 8894 §3.2.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailInfo {
    /// 0: unrecognised or unsupported algorithm.
    BadAlg,
    /// 1: integrity check (signature) failed.
    BadMessageCheck,
    /// 2: transaction not permitted or supported (also a wrong challenge).
    BadRequest,
    /// 3: the message time was not close enough to the system time.
    BadTime,
    /// 4: no certificate could be identified matching the criteria.
    BadCertId,
    /// Absent or unknown.
    Unknown,
}

impl FailInfo {
    fn from_code(code: &str) -> FailInfo {
        match code.trim() {
            "0" => FailInfo::BadAlg,
            "1" => FailInfo::BadMessageCheck,
            "2" => FailInfo::BadRequest,
            "3" => FailInfo::BadTime,
            "4" => FailInfo::BadCertId,
            _ => FailInfo::Unknown,
        }
    }

    /// The RFC's name.
    pub fn name(self) -> &'static str {
        match self {
            FailInfo::BadAlg => "badAlg",
            FailInfo::BadMessageCheck => "badMessageCheck",
            FailInfo::BadRequest => "badRequest",
            FailInfo::BadTime => "badTime",
            FailInfo::BadCertId => "badCertId",
            FailInfo::Unknown => "no reason given",
        }
    }
}

/// What a CertRep says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertRep {
    /// The certificates of the degenerate PKCS#7 in the envelope (the issued one and maybe
    /// its chain).
    Success(Vec<Vec<u8>>),
    /// Held for approval: poll with CertPoll.
    Pending,
    /// Refused.
    Failure {
        /// Why.
        info: FailInfo,
        /// failInfoText, if the server sent one.
        text: Option<String>,
    },
}

/// What a CertRep must match.
#[derive(Debug)]
pub struct Expect<'a> {
    /// Our transactionID.
    pub transaction_id: &'a str,
    /// The nonce we sent.
    pub sender_nonce: &'a [u8; 16],
    /// Certificates allowed to sign the answer (from GetCACert).
    pub trusted_signers: &'a [Vec<u8>],
    /// Our signer certificate (the answer is encrypted to it).
    pub our_cert_der: &'a [u8],
    /// Our key.
    pub our_key: &'a PrivateKey,
}

type DigestFn = fn(&[u8]) -> Vec<u8>;

fn reply_err(url: &str, problem: ScepProblem, detail: impl Into<String>) -> Error {
    Error::ScepReply {
        url: url.to_string(),
        problem,
        detail: detail.into(),
    }
}

fn attr_value(attrs: &[Attribute], oid: ObjectIdentifier) -> Option<&Any> {
    attrs
        .iter()
        .find(|a| a.oid == oid)
        .and_then(|a| a.values.iter().next())
}

fn attr_string(attrs: &[Attribute], oid: ObjectIdentifier) -> Option<String> {
    attr_value(attrs, oid).map(|v| String::from_utf8_lossy(v.value()).into_owned())
}

fn attr_octets(attrs: &[Attribute], oid: ObjectIdentifier) -> Option<Vec<u8>> {
    attr_value(attrs, oid).and_then(|v| {
        v.decode_as::<OctetString>()
            .ok()
            .map(|o| o.as_bytes().to_vec())
    })
}

/// Checks and opens a CertRep (RFC 8894 §3.3.2): signed by one of `expect.trusted_signers`
/// (signature and messageDigest verified), our transactionID and nonce, then for SUCCESS
/// the envelope decrypted with our key and its certificates read.
pub fn read_cert_rep(body: &[u8], url: &str, expect: &Expect<'_>) -> Result<CertRep> {
    let body = ber_to_der(body).map_err(|e| reply_err(url, ScepProblem::NotPkiMessage, e))?;
    let info = ContentInfo::from_der(&body)
        .map_err(|e| reply_err(url, ScepProblem::NotPkiMessage, e.to_string()))?;
    if info.content_type != OID_SIGNED_DATA {
        return Err(reply_err(
            url,
            ScepProblem::NotPkiMessage,
            format!("content type {}", info.content_type),
        ));
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| reply_err(url, ScepProblem::NotPkiMessage, e.to_string()))?;
    let si = signed
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| reply_err(url, ScepProblem::NotPkiMessage, "no signer"))?;
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &si.sid else {
        return Err(reply_err(
            url,
            ScepProblem::ForeignSigner,
            "the signer is named by key identifier, not by a certificate from GetCACert",
        ));
    };
    let signer = expect
        .trusted_signers
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .find(|c| {
            c.tbs_certificate.issuer == sid.issuer
                && c.tbs_certificate.serial_number == sid.serial_number
        })
        .ok_or_else(|| {
            reply_err(
                url,
                ScepProblem::ForeignSigner,
                format!(
                    "it names the signer {} serial {}",
                    sid.issuer,
                    hex::encode_upper(sid.serial_number.as_bytes())
                ),
            )
        })?;
    let attrs: Vec<Attribute> = si
        .signed_attrs
        .as_ref()
        .map(|a| a.iter().cloned().collect())
        .ok_or_else(|| reply_err(url, ScepProblem::NotPkiMessage, "no signed attributes"))?;
    // The signature over the DER SET of the signed attributes.
    let to_verify = si
        .signed_attrs
        .as_ref()
        .map(|a| a.to_der())
        .transpose()
        .map_err(|e| reply_err(url, ScepProblem::NotPkiMessage, e.to_string()))?
        .unwrap_or_default();
    let digest_oid = si.digest_alg.oid;
    let (verify_alg, hash_fn): (&dyn signature::VerificationAlgorithm, DigestFn) = match digest_oid
    {
        OID_SHA256 => (&signature::RSA_PKCS1_2048_8192_SHA256, |d| {
            sha2::Sha256::digest(d).to_vec()
        }),
        OID_SHA512 => (&signature::RSA_PKCS1_2048_8192_SHA512, |d| {
            sha2::Sha512::digest(d).to_vec()
        }),
        OID_SHA1 => (
            &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            |d| sha1::Sha1::digest(d).to_vec(),
        ),
        other => {
            return Err(reply_err(
                url,
                ScepProblem::UnsupportedAlgorithm,
                format!("the answer is signed with the digest {other}"),
            ))
        }
    };
    if ![OID_RSA, OID_RSA_SHA1, OID_RSA_SHA256, OID_RSA_SHA512]
        .contains(&si.signature_algorithm.oid)
    {
        return Err(reply_err(
            url,
            ScepProblem::UnsupportedAlgorithm,
            format!(
                "the answer is signed with the algorithm {}",
                si.signature_algorithm.oid
            ),
        ));
    }
    let public = signer
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    UnparsedPublicKey::new(verify_alg, public)
        .verify(&to_verify, si.signature.as_bytes())
        .map_err(|_| {
            reply_err(
                url,
                ScepProblem::BadSignature,
                format!(
                    "the signature does not verify with {}",
                    signer.tbs_certificate.subject
                ),
            )
        })?;
    let econtent = signed
        .encap_content_info
        .econtent
        .as_ref()
        .map(|a| a.decode_as::<OctetString>())
        .transpose()
        .map_err(|e| reply_err(url, ScepProblem::NotPkiMessage, e.to_string()))?
        .map(|o| o.as_bytes().to_vec())
        .unwrap_or_default();
    let wanted_digest = attr_octets(&attrs, OID_MESSAGE_DIGEST).unwrap_or_default();
    if hash_fn(&econtent) != wanted_digest {
        return Err(reply_err(
            url,
            ScepProblem::BadSignature,
            "the signed digest does not match the content",
        ));
    }
    if attr_string(&attrs, OID_MESSAGE_TYPE).as_deref() != Some(MessageType::CertRep.code()) {
        return Err(reply_err(
            url,
            ScepProblem::NotPkiMessage,
            format!(
                "messageType {}",
                attr_string(&attrs, OID_MESSAGE_TYPE).unwrap_or_else(|| "missing".into())
            ),
        ));
    }
    let tid = attr_string(&attrs, OID_TRANSACTION_ID).unwrap_or_default();
    if tid != expect.transaction_id {
        return Err(reply_err(
            url,
            ScepProblem::TransactionMismatch,
            format!(
                "it answers transaction {}, certdesk sent {}",
                crate::weburl::shown(&tid),
                expect.transaction_id
            ),
        ));
    }
    let nonce = attr_octets(&attrs, OID_RECIPIENT_NONCE).unwrap_or_default();
    if nonce != expect.sender_nonce {
        return Err(reply_err(
            url,
            ScepProblem::NonceMismatch,
            "its recipientNonce is not the nonce certdesk sent with this request",
        ));
    }
    match attr_string(&attrs, OID_PKI_STATUS)
        .as_deref()
        .map(str::trim)
    {
        Some("0") => {}
        Some("3") => return Ok(CertRep::Pending),
        Some("2") => {
            return Ok(CertRep::Failure {
                info: attr_string(&attrs, OID_FAIL_INFO)
                    .map(|c| FailInfo::from_code(&c))
                    .unwrap_or(FailInfo::Unknown),
                text: attr_string(&attrs, OID_FAIL_INFO_TEXT)
                    .map(|t| crate::transport::excerpt(t.as_bytes())),
            })
        }
        other => {
            return Err(reply_err(
                url,
                ScepProblem::NotPkiMessage,
                format!("pkiStatus {}", other.unwrap_or("missing")),
            ))
        }
    }
    let inner = open_envelope(&econtent, url, expect)?;
    let certs = read_degenerate(&inner, url)?;
    Ok(CertRep::Success(certs))
}

fn open_envelope(der: &[u8], url: &str, expect: &Expect<'_>) -> Result<Vec<u8>> {
    let bad = |d: String| reply_err(url, ScepProblem::NotPkiMessage, d);
    let der = ber_to_der(der).map_err(&bad)?;
    let env = parse_envelope(&der).map_err(&bad)?;
    let ours = parse_cert(expect.our_cert_der, "our signer certificate")?;
    let ours = issuer_and_serial(&ours);
    let ktri = env
        .recipients
        .0
        .iter()
        .find_map(|r| match r {
            RecipientInfo::Ktri(k) => match &k.rid {
                RecipientIdentifier::IssuerAndSerialNumber(ias) if *ias == ours => Some(k),
                _ => None,
            },
            _ => None,
        })
        .ok_or_else(|| {
            reply_err(
                url,
                ScepProblem::NotForUs,
                "no recipient in the envelope is the certificate certdesk signed the request with",
            )
        })?;
    let decrypting = Pkcs1PrivateDecryptingKey::new(
        PrivateDecryptingKey::from_pkcs8(expect.our_key.pkcs8_der())
            .map_err(|e| Error::crypto("load the request's key", e))?,
    )
    .map_err(|e| Error::crypto("load the request's key", e))?;
    let mut cek = vec![0u8; decrypting.min_output_size()];
    let cek = decrypting
        .decrypt(ktri.enc_key.as_bytes(), &mut cek)
        .map_err(|_| {
            reply_err(
                url,
                ScepProblem::NotForUs,
                "the content key does not open with this request's key",
            )
        })?
        .to_vec();
    let iv = env
        .alg
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<OctetString>().ok())
        .map(|o| o.as_bytes().to_vec())
        .unwrap_or_default();
    let data = env.data;
    let fail = |_| reply_err(url, ScepProblem::NotForUs, "the content does not decrypt");
    match env.alg.oid {
        oid @ (OID_AES128_CBC | OID_AES256_CBC) => {
            let algorithm = if oid == OID_AES128_CBC {
                &AES_128
            } else {
                &AES_256
            };
            let iv: [u8; 16] = iv.as_slice().try_into().map_err(|_| {
                reply_err(
                    url,
                    ScepProblem::NotPkiMessage,
                    "an AES IV that is not 16 bytes",
                )
            })?;
            let key = PaddedBlockDecryptingKey::cbc_pkcs7(
                UnboundCipherKey::new(algorithm, &cek).map_err(fail)?,
            )
            .map_err(fail)?;
            let mut buf = data;
            let out = key
                .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
                .map_err(fail)?
                .to_vec();
            Ok(out)
        }
        OID_DES_EDE3_CBC => {
            use cbc::cipher::{BlockDecryptMut, KeyIvInit};
            let dec =
                cbc::Decryptor::<des::TdesEde3>::new_from_slices(&cek, &iv).map_err(|_| {
                    reply_err(url, ScepProblem::NotForUs, "a 3DES key of the wrong size")
                })?;
            dec.decrypt_padded_vec_mut::<cbc::cipher::block_padding::Pkcs7>(&data)
                .map_err(|_| reply_err(url, ScepProblem::NotForUs, "the content does not decrypt"))
        }
        // micromdm's scepserver (Go pkcs7's default) encrypts its answer with single DES.
        // Accepted for reading an answer only: it holds the public certificate, whose
        // integrity comes from the CA's verified signature over the envelope's digest.
        // certdesk never encrypts anything with DES.
        OID_DES_CBC => {
            use cbc::cipher::{BlockDecryptMut, KeyIvInit};
            let dec = cbc::Decryptor::<des::Des>::new_from_slices(&cek, &iv).map_err(|_| {
                reply_err(url, ScepProblem::NotForUs, "a DES key of the wrong size")
            })?;
            dec.decrypt_padded_vec_mut::<cbc::cipher::block_padding::Pkcs7>(&data)
                .map_err(|_| reply_err(url, ScepProblem::NotForUs, "the content does not decrypt"))
        }
        other => Err(reply_err(
            url,
            ScepProblem::UnsupportedAlgorithm,
            format!("the answer is encrypted with {other}"),
        )),
    }
}

/// The parts of an EnvelopedData certdesk reads.
struct Envelope {
    recipients: RecipientInfos,
    alg: AlgorithmIdentifierOwned,
    data: Vec<u8>,
}

/// Reads ContentInfo(EnvelopedData) by hand around `encryptedContent [0] IMPLICIT OCTET
/// STRING`, which Go's pkcs7 and CryptoAPI send in BER's constructed form (a [0] holding
/// OCTET STRING segments) and which cannot be told from an EXPLICIT [0] without the schema.
fn parse_envelope(der: &[u8]) -> std::result::Result<Envelope, String> {
    use der::asn1::AnyRef;
    use der::{Reader as _, SliceReader, Tagged as _};
    let go = |e: der::Error| e.to_string();
    let info = AnyRef::from_der(der).map_err(go)?;
    let mut r = SliceReader::new(info.value()).map_err(go)?;
    let oid: ObjectIdentifier = r.decode().map_err(go)?;
    if oid != OID_ENVELOPED_DATA {
        return Err(format!("an envelope of type {oid}"));
    }
    let explicit: AnyRef<'_> = r.decode().map_err(go)?;
    let env = AnyRef::from_der(explicit.value()).map_err(go)?;
    let mut r = SliceReader::new(env.value()).map_err(go)?;
    let _version: AnyRef<'_> = r.decode().map_err(go)?;
    let mut next: AnyRef<'_> = r.decode().map_err(go)?;
    if next.tag().is_context_specific() {
        // originatorInfo: not used.
        next = r.decode().map_err(go)?;
    }
    let recipients = RecipientInfos::from_der(&next.to_der().map_err(go)?).map_err(go)?;
    let eci: AnyRef<'_> = r.decode().map_err(go)?;
    let mut e = SliceReader::new(eci.value()).map_err(go)?;
    let _content_type: ObjectIdentifier = e.decode().map_err(go)?;
    let alg: AlgorithmIdentifierOwned = e.decode().map_err(go)?;
    let content: AnyRef<'_> = e.decode().map_err(go)?;
    let data = if content.tag().is_constructed() {
        let mut joined = Vec::new();
        for seg in split_elements(content.value()) {
            let seg = der::asn1::OctetStringRef::from_der(seg).map_err(go)?;
            joined.extend_from_slice(seg.as_bytes());
        }
        joined
    } else {
        content.value().to_vec()
    };
    Ok(Envelope {
        recipients,
        alg,
        data,
    })
}

fn read_degenerate(der: &[u8], url: &str) -> Result<Vec<Vec<u8>>> {
    let der = ber_to_der(der).map_err(|e| reply_err(url, ScepProblem::NoCertificate, e))?;
    let certs = crate::encoding::certs_from_pkcs7(&der, url)
        .map_err(|e| reply_err(url, ScepProblem::NoCertificate, e.to_string()))?;
    if certs.is_empty() {
        return Err(reply_err(
            url,
            ScepProblem::NoCertificate,
            "the envelope holds no certificate",
        ));
    }
    Ok(certs)
}

/// Nesting deeper than this is not a SCEP message (bounded work on hostile input).
const MAX_DEPTH: usize = 32;

/// Re-encodes BER as DER: indefinite and non-minimal lengths become definite minimal ones,
/// constructed OCTET STRINGs become primitive. Servers built on Go's pkcs7 (micromdm's
/// scepserver) and on Windows CryptoAPI (NDES) send CertRep this way; the `der` crate reads
/// DER only. SET OF order is kept as sent (signatures cover the bytes as they were).
pub fn ber_to_der(input: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(input.len());
    let used = ber_element(input, &mut out, 0)?;
    if used != input.len() {
        return Err(format!("{} bytes after the message", input.len() - used));
    }
    Ok(out)
}

/// The elements of DER content (as written by [`ber_element`]); stops at anything malformed
/// rather than panicking.
fn split_elements(der: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(&l0) = der.get(at + 1) {
        let (len, hdr) = if l0 < 0x80 {
            (l0 as usize, 2)
        } else {
            let n = (l0 & 0x7f) as usize;
            let Some(bytes) = der.get(at + 2..at + 2 + n).filter(|_| n <= 4) else {
                break;
            };
            (
                bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize),
                2 + n,
            )
        };
        let Some(element) = der.get(at..at + hdr + len) else {
            break;
        };
        out.push(element);
        at += hdr + len;
    }
    out
}

fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Reads one element at the start of `input`, appends its DER to `out`, returns the bytes
/// read.
fn ber_element(
    input: &[u8],
    out: &mut Vec<u8>,
    depth: usize,
) -> std::result::Result<usize, String> {
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    let tag = *input.first().ok_or("truncated (no tag)")?;
    if tag & 0x1f == 0x1f {
        return Err("a multi-byte tag".into());
    }
    let first = *input.get(1).ok_or("truncated (no length)")?;
    let mut pos = 2;
    let len: Option<usize> = if first < 0x80 {
        Some(first as usize)
    } else if first == 0x80 {
        None
    } else {
        let n = (first & 0x7f) as usize;
        if n > 4 {
            return Err("a length of more than 4 bytes".into());
        }
        let bytes = input.get(pos..pos + n).ok_or("truncated length")?;
        pos += n;
        Some(bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize))
    };
    let constructed = tag & 0x20 != 0;
    if !constructed {
        let len = len.ok_or("an indefinite length on a primitive element")?;
        let body = input.get(pos..pos + len).ok_or("truncated content")?;
        out.push(tag);
        der_len(len, out);
        out.extend_from_slice(body);
        return Ok(pos + len);
    }
    // Constructed: convert the children, then emit with a definite length.
    let mut children = Vec::new();
    let mut consumed = pos;
    match len {
        Some(len) => {
            let end = pos
                .checked_add(len)
                .filter(|e| *e <= input.len())
                .ok_or("truncated content")?;
            while consumed < end {
                consumed += ber_element(&input[consumed..end], &mut children, depth + 1)?;
            }
        }
        None => loop {
            let rest = input.get(consumed..).ok_or("truncated")?;
            if rest.starts_with(&[0, 0]) {
                consumed += 2;
                break;
            }
            if rest.is_empty() {
                return Err("an indefinite length without its end".into());
            }
            consumed += ber_element(rest, &mut children, depth + 1)?;
        },
    }
    if tag == 0x24 {
        // A constructed OCTET STRING: its segments' contents, as one primitive string.
        let mut joined = Vec::new();
        for seg in split_elements(&children) {
            let hdr = match seg.get(1) {
                Some(l) if *l >= 0x80 => 2 + (l & 0x7f) as usize,
                _ => 2,
            };
            joined.extend_from_slice(seg.get(hdr..).unwrap_or_default());
        }
        out.push(0x04);
        der_len(joined.len(), out);
        out.extend_from_slice(&joined);
    } else if tag == 0xa0 {
        // `[0] IMPLICIT SET OF` (SignedData's certificates, SignerInfo's signed attributes):
        // DER sorts the elements; Go's pkcs7 sends the certificates in its own order. The
        // SEQUENCE elements are sorted as DER wants; a single element (an EXPLICIT [0]) is
        // left as it is.
        let mut elements = split_elements(&children);
        if elements.len() > 1 && elements.iter().all(|e| e.first() == Some(&0x30)) {
            elements.sort();
        }
        out.push(tag);
        der_len(children.len(), out);
        for e in elements {
            out.extend_from_slice(e);
        }
    } else {
        out.push(tag);
        der_len(children.len(), out);
        out.extend_from_slice(&children);
    }
    Ok(consumed)
}

/// What a pkiMessage's signed attributes say (for test responders and diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFacts {
    /// messageType (`19`, `17`, `20`, `3`).
    pub message_type: String,
    /// transactionID.
    pub transaction_id: String,
    /// senderNonce (empty when absent).
    pub sender_nonce: Vec<u8>,
}

/// The signed attributes of a pkiMessage, read without checking the signature.
pub fn message_facts(body: &[u8]) -> Result<MessageFacts> {
    let body = ber_to_der(body).map_err(|e| malformed("a SCEP message", "SCEP", e))?;
    let info = ContentInfo::from_der(&body).map_err(|e| malformed("a SCEP message", "SCEP", e))?;
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| malformed("a SCEP message", "SCEP", e))?;
    let attrs: Vec<Attribute> = signed
        .signer_infos
        .0
        .iter()
        .next()
        .and_then(|s| s.signed_attrs.as_ref())
        .map(|a| a.iter().cloned().collect())
        .unwrap_or_default();
    Ok(MessageFacts {
        message_type: attr_string(&attrs, OID_MESSAGE_TYPE).unwrap_or_default(),
        transaction_id: attr_string(&attrs, OID_TRANSACTION_ID).unwrap_or_default(),
        sender_nonce: attr_octets(&attrs, OID_SENDER_NONCE).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_take_http_and_add_the_usual_path() {
        assert_eq!(
            scep_url("http://ndes.example/certsrv/mscep/mscep.dll").expect("ndes"),
            "http://ndes.example/certsrv/mscep/mscep.dll"
        );
        assert_eq!(
            scep_url("https://ca.example").expect("bare"),
            "https://ca.example/cgi-bin/pkiclient.exe"
        );
        assert!(scep_url("http://ca.example/scep?operation=GetCACert").is_err());
        assert!(scep_url("ftp://ca.example/scep").is_err());
        assert_eq!(
            operation_url("http://h/scep", "GetCACert", Some("a b/c")),
            "http://h/scep?operation=GetCACert&message=a+b%2Fc"
        );
    }

    #[test]
    fn caps_are_read_case_insensitively() {
        let caps = parse_caps(b"Renewal\r\nsha-256\nAES\nPOSTPKIOperation\n");
        assert!(caps.renewal && caps.sha256 && caps.aes && caps.post && !caps.des3);
        assert_eq!(Cipher::for_caps(&caps), Cipher::Aes256);
        let old = parse_caps(b"");
        assert_eq!(
            (Cipher::for_caps(&old), Hash::for_caps(&old), old.post),
            (Cipher::Des3, Hash::Sha256, false)
        );
        let std = parse_caps(b"SCEPStandard\n");
        assert!(std.aes && std.sha256 && std.post);
    }

    #[test]
    fn an_ecdsa_key_is_refused_with_the_fix() {
        let err = require_rsa(KeySpec::EcP256).expect_err("ec");
        assert!(err.to_string().contains("RSA"), "{err}");
        assert!(
            err.hint().expect("hint").contains("--key rsa"),
            "{:?}",
            err.hint()
        );
        require_rsa(KeySpec::Rsa3072).expect("rsa");
    }

    #[test]
    fn ber_becomes_der() {
        // SEQUENCE (indefinite) { OCTET STRING constructed (indefinite) { "ab", "c" }, INTEGER 5 }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x02,
            0x81, 0x01, 0x05, 0x00, 0x00,
        ];
        assert_eq!(
            ber_to_der(&ber).expect("ber"),
            [0x30, 0x08, 0x04, 0x03, b'a', b'b', b'c', 0x02, 0x01, 0x05]
        );
        // DER stays as it is.
        let der = crate::asn1::seq(&[
            &crate::asn1::integer(7),
            &crate::asn1::octet_string(&[1; 200]),
        ]);
        assert_eq!(ber_to_der(&der).expect("der"), der);
        // Hostile input ends with an error, quickly.
        assert!(ber_to_der(&[0x30, 0x80, 0x02, 0x01]).is_err());
        assert!(ber_to_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 100).flatten().collect();
        assert!(ber_to_der(&deep).is_err());
    }

    #[test]
    fn fail_info_codes_map_to_names() {
        assert_eq!(FailInfo::from_code("2"), FailInfo::BadRequest);
        assert_eq!(FailInfo::from_code(" 4 "), FailInfo::BadCertId);
        assert_eq!(FailInfo::from_code("9").name(), "no reason given");
    }
}
