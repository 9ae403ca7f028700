//! PKCS#12 (.p12/.pfx) export with named compatibility profiles, and import.
//!
//! Export is written here rather than through p12-keystore because the friendly name of the
//! certificate bag is what NSS and Windows show as the certificate's name, and p12-keystore
//! always sets it to the subject DN; certdesk uses the identity's label. Import uses
//! p12-keystore, which also reads the legacy encodings older tools write.
//!
//! RC2-40 is never written: OpenSSL 3 reads it only with `-legacy`.

use cbc::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use der::asn1::ObjectIdentifier;
use der::Encode;
use hmac::{Hmac, Mac};
use pkcs8::pkcs5::{self, pbes2};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::asn1::{bmp_string, explicit0, integer, null, octet_string, oid, seq, set_of, tlv};
use crate::key::PrivateKey;
use crate::secret::{random_bytes, SecretString};
use crate::{Error, Result};

const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const OID_SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const OID_CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const OID_X509_CERT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
const OID_FRIENDLY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");
const OID_LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");
const OID_PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// Which importers a PKCS#12 file is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum P12Profile {
    /// AES-256-CBC with PBKDF2-SHA256 and an HMAC-SHA256 MAC: OpenSSL 3, NSS (Firefox,
    /// Chromium on Linux), Java 11+, Windows 10 1709+ / Server 2019+, current macOS `security`.
    #[default]
    Modern,
    /// 3DES with a SHA-1 MAC: for the macOS Keychain import dialog and Windows Server 2016 and
    /// older, which refuse AES files with a misleading "wrong password".
    Compatible,
}

impl P12Profile {
    /// The CLI spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            P12Profile::Modern => "modern",
            P12Profile::Compatible => "compatible",
        }
    }

    /// Parses the CLI spelling.
    pub fn parse(s: &str) -> Result<P12Profile> {
        match s.to_ascii_lowercase().as_str() {
            "modern" => Ok(P12Profile::Modern),
            "compatible" | "legacy" => Ok(P12Profile::Compatible),
            _ => Err(Error::invalid(
                "PKCS#12 profile",
                format!("expected modern or compatible, found \"{s}\""),
            )),
        }
    }

    /// The algorithms in plain words.
    pub fn describe(self) -> &'static str {
        match self {
            P12Profile::Modern => "AES-256-CBC, PBKDF2-SHA256, HMAC-SHA256 MAC",
            P12Profile::Compatible => "3DES (pbeWithSHAAnd3-KeyTripleDES-CBC), HMAC-SHA1 MAC",
        }
    }

    /// Key-derivation rounds for encryption and for the MAC. The MAC and the encryption use
    /// the same password, so an attacker picks the cheaper one: both get the same cost.
    /// Compatible uses the counts Java's legacy keystores used for years (50,000 / 100,000),
    /// which the old importers accept.
    pub fn iterations(self) -> (u32, u32) {
        match self {
            P12Profile::Modern => (600_000, 600_000),
            P12Profile::Compatible => (50_000, 100_000),
        }
    }
}

/// What goes into a PKCS#12 file.
#[derive(Debug)]
pub struct P12Spec<'a> {
    /// The private key.
    pub key: &'a PrivateKey,
    /// The certificate chain, leaf first (DER).
    pub chain: &'a [Vec<u8>],
    /// The name importers show (NSS nickname, Windows friendly name): the identity label.
    pub friendly_name: &'a str,
    /// The file password.
    pub password: &'a SecretString,
    /// Algorithms and counts.
    pub profile: P12Profile,
}

/// Writes a PKCS#12 file.
pub fn export_pkcs12(spec: &P12Spec<'_>) -> Result<Vec<u8>> {
    export_with_iterations(spec, spec.profile.iterations())
}

fn export_with_iterations(spec: &P12Spec<'_>, (enc_iter, mac_iter): (u32, u32)) -> Result<Vec<u8>> {
    let leaf = spec
        .chain
        .first()
        .ok_or_else(|| Error::crypto("write a PKCS#12 file", "no certificate given"))?;
    let leaf_key = crate::cert::public_key_of(leaf)?;
    if leaf_key != spec.key.public_key_der() {
        return Err(Error::CertDoesNotMatchKey {
            subject: crate::cert::parse_certificate(leaf)?.subject,
            id: spec.friendly_name.to_string(),
        });
    }
    if spec.password.is_empty() {
        return Err(Error::invalid(
            "password",
            "a PKCS#12 file needs a password",
        ));
    }
    // OpenSSL and Windows set localKeyID to the SHA-1 of the certificate; importers use it
    // to pair the key with its certificate.
    let local_key_id = Sha1::digest(leaf).to_vec();
    let leaf_attrs = bag_attributes(spec.friendly_name, &local_key_id);

    let mut cert_bags = Vec::with_capacity(spec.chain.len());
    for (i, der) in spec.chain.iter().enumerate() {
        let value = explicit0(&seq(&[
            &oid(&OID_X509_CERT),
            &explicit0(&octet_string(der)),
        ]));
        let bag = if i == 0 {
            seq(&[&oid(&OID_CERT_BAG), &value, &leaf_attrs])
        } else {
            seq(&[&oid(&OID_CERT_BAG), &value])
        };
        cert_bags.push(bag);
    }
    let cert_refs: Vec<&[u8]> = cert_bags.iter().map(Vec::as_slice).collect();
    let cert_safe_contents = seq(&cert_refs);

    let password = spec.password.expose();
    let (cert_alg, cert_cipher, shrouded_key) = match spec.profile {
        P12Profile::Modern => {
            let (alg, ct) = pbes2_encrypt(password.as_bytes(), &cert_safe_contents, enc_iter)?;
            let key = spec.key.encrypt_pkcs8_der(password.as_bytes(), enc_iter)?;
            (alg, ct, key)
        }
        P12Profile::Compatible => {
            let bmp = bmp_password(password);
            let (alg, ct) = pbe_3des_encrypt(&bmp, &cert_safe_contents, enc_iter)?;
            let (key_alg, key_ct) = pbe_3des_encrypt(&bmp, spec.key.pkcs8_der(), enc_iter)?;
            (alg, ct, seq(&[&key_alg, &octet_string(&key_ct)]))
        }
    };

    let encrypted_certs = seq(&[
        &oid(&OID_ENCRYPTED_DATA),
        &explicit0(&seq(&[
            &integer(0),
            &seq(&[&oid(&OID_DATA), &cert_alg, &tlv(0x80, &cert_cipher)]),
        ])),
    ]);
    let key_bag = seq(&[
        &oid(&OID_SHROUDED_KEY_BAG),
        &explicit0(&shrouded_key),
        &leaf_attrs,
    ]);
    let key_data = seq(&[
        &oid(&OID_DATA),
        &explicit0(&octet_string(&seq(&[&key_bag]))),
    ]);
    let auth_safe = seq(&[&encrypted_certs, &key_data]);

    let mac_salt = random_bytes::<16>();
    let bmp = bmp_password(password);
    let (digest_oid, mac) = match spec.profile {
        P12Profile::Modern => {
            let key = Zeroizing::new(pkcs12_kdf::<Sha256>(&bmp, &mac_salt, 3, mac_iter, 32));
            let mut m = Hmac::<Sha256>::new_from_slice(&key)
                .map_err(|e| Error::crypto("compute the PKCS#12 MAC", e))?;
            m.update(&auth_safe);
            (OID_SHA256, m.finalize().into_bytes().to_vec())
        }
        P12Profile::Compatible => {
            let key = Zeroizing::new(pkcs12_kdf::<Sha1>(&bmp, &mac_salt, 3, mac_iter, 20));
            let mut m = Hmac::<Sha1>::new_from_slice(&key)
                .map_err(|e| Error::crypto("compute the PKCS#12 MAC", e))?;
            m.update(&auth_safe);
            (OID_SHA1, m.finalize().into_bytes().to_vec())
        }
    };
    let mac_data = seq(&[
        &seq(&[&seq(&[&oid(&digest_oid), &null()]), &octet_string(&mac)]),
        &octet_string(&mac_salt),
        &integer(u64::from(mac_iter)),
    ]);
    Ok(seq(&[
        &integer(3),
        &seq(&[&oid(&OID_DATA), &explicit0(&octet_string(&auth_safe))]),
        &mac_data,
    ]))
}

fn bag_attributes(friendly_name: &str, local_key_id: &[u8]) -> Vec<u8> {
    let name = seq(&[
        &oid(&OID_FRIENDLY_NAME),
        &set_of(&[&bmp_string(friendly_name)]),
    ]);
    let id = seq(&[
        &oid(&OID_LOCAL_KEY_ID),
        &set_of(&[&octet_string(local_key_id)]),
    ]);
    set_of(&[&name, &id])
}

/// The PKCS#12 password encoding: BMPString (UTF-16BE) with a terminating NUL pair.
fn bmp_password(password: &str) -> Zeroizing<Vec<u8>> {
    let mut out: Vec<u8> = password.encode_utf16().flat_map(u16::to_be_bytes).collect();
    out.extend_from_slice(&[0, 0]);
    Zeroizing::new(out)
}

fn pbes2_encrypt(password: &[u8], data: &[u8], iterations: u32) -> Result<(Vec<u8>, Vec<u8>)> {
    let salt = random_bytes::<16>();
    let iv = random_bytes::<16>();
    let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(iterations, &salt, &iv)
        .map_err(|e| Error::crypto("set up PKCS#12 encryption", e))?;
    let scheme = pkcs5::EncryptionScheme::Pbes2(params);
    let ciphertext = scheme
        .encrypt(password, data)
        .map_err(|e| Error::crypto("encrypt the PKCS#12 contents", e))?;
    let alg = scheme
        .to_der()
        .map_err(|e| Error::crypto("encode the PKCS#12 algorithm", e))?;
    Ok((alg, ciphertext))
}

/// pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 Appendix C): key and IV from the PKCS#12 KDF.
fn pbe_3des_encrypt(
    bmp_password: &[u8],
    data: &[u8],
    iterations: u32,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let salt = random_bytes::<8>();
    let key = Zeroizing::new(pkcs12_kdf::<Sha1>(bmp_password, &salt, 1, iterations, 24));
    let iv = pkcs12_kdf::<Sha1>(bmp_password, &salt, 2, iterations, 8);
    let cipher = cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
        .map_err(|e| Error::crypto("set up 3DES", e))?;
    let ciphertext = cipher.encrypt_padded_vec_mut::<Pkcs7>(data);
    let alg = seq(&[
        &oid(&OID_PBE_SHA1_3DES),
        &seq(&[&octet_string(&salt), &integer(u64::from(iterations))]),
    ]);
    Ok((alg, ciphertext))
}

/// The PKCS#12 key derivation function (RFC 7292 Appendix B.2). `id` 1 = key, 2 = IV, 3 = MAC.
fn pkcs12_kdf<D: Digest>(
    password: &[u8],
    salt: &[u8],
    id: u8,
    iterations: u32,
    len: usize,
) -> Vec<u8> {
    const V: usize = 64; // block size of SHA-1 and SHA-256
    let u = <D as Digest>::output_size();
    let fill = |src: &[u8]| -> Vec<u8> {
        if src.is_empty() {
            return Vec::new();
        }
        let n = V * src.len().div_ceil(V);
        (0..n).map(|k| src[k % src.len()]).collect()
    };
    let mut i_block = Zeroizing::new([fill(salt), fill(password)].concat());
    let d = [id; V];
    let mut out = Vec::with_capacity(len + u);
    while out.len() < len {
        let mut hasher = D::new();
        hasher.update(d);
        hasher.update(&*i_block);
        let mut a = hasher.finalize();
        for _ in 1..iterations {
            a = D::digest(&a);
        }
        out.extend_from_slice(&a);
        let b: Vec<u8> = (0..V).map(|k| a[k % u]).collect();
        for chunk in i_block.chunks_mut(V) {
            let mut carry = 1u16;
            for k in (0..V).rev() {
                let sum = u16::from(chunk[k]) + u16::from(b[k]) + carry;
                chunk[k] = sum as u8;
                carry = sum >> 8;
            }
        }
    }
    out.truncate(len);
    out
}

/// What a PKCS#12 file held.
#[derive(Debug)]
pub struct P12Contents {
    /// The private key.
    pub key: PrivateKey,
    /// The certificate chain, leaf first (DER), rebuilt by issuer/subject.
    pub chain: Vec<Vec<u8>>,
    /// The key's friendly name, when it had one.
    pub friendly_name: Option<String>,
}

/// Reads a PKCS#12 file. A wrong password is [`Error::WrongPassword`]; a file without a key
/// or without the key's certificate is refused with its own message.
pub fn import_pkcs12(
    data: &[u8],
    password: &SecretString,
    source_name: &str,
) -> Result<P12Contents> {
    use p12_keystore::error::Error as P12Error;
    let archive =
        p12_keystore::Pkcs12Archive::from_pkcs12(data, password.expose()).map_err(|e| match e {
            P12Error::MacError(_) | P12Error::UnpadError => Error::WrongPassword {
                what: source_name.to_string(),
            },
            other => Error::Malformed {
                what: "the PKCS#12 file".into(),
                source_name: source_name.into(),
                detail: other.to_string(),
            },
        })?;
    let key_bag = archive
        .keys
        .first()
        .ok_or_else(|| Error::UnexpectedContent {
            expected: "a private key with its certificate".into(),
            found: "only certificates".into(),
            source_name: source_name.into(),
        })?;
    let key = PrivateKey::from_pkcs8_der(key_bag.key.as_der())?;
    let pool: Vec<Vec<u8>> = archive
        .certs
        .iter()
        .map(|c| c.cert.as_der().to_vec())
        .collect();
    let leaf = pool
        .iter()
        .find(|der| crate::cert::public_key_of(der).is_ok_and(|spki| spki == key.public_key_der()))
        .ok_or_else(|| Error::UnexpectedContent {
            expected: "the certificate of the private key".into(),
            found: format!("{} certificate(s), none for that key", pool.len()),
            source_name: source_name.into(),
        })?;
    let chain = crate::cert::build_chain(leaf, &pool)?;
    Ok(P12Contents {
        key,
        chain,
        friendly_name: key_bag.friendly_name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_identity() -> (PrivateKey, Vec<Vec<u8>>) {
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "P12 Test CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("ca");
        let issuer = rcgen::Issuer::new(ca_params, &ca_key);
        let key = PrivateKey::generate(crate::key::KeySpec::EcP256).expect("key");
        let pair = key.key_pair().expect("pair");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Pat");
        let leaf = params.signed_by(&*pair, &issuer).expect("leaf");
        (key, vec![leaf.der().to_vec(), ca.der().to_vec()])
    }

    #[test]
    fn kdf_matches_the_rfc_7292_style_vector_from_openssl() {
        // OpenSSL test vector (test/pkcs12_format_test / PKCS12_key_gen_uni): password "smeg",
        // salt 0A58CF64530D823F, id 1, 1 iteration, 24 bytes with SHA-1.
        let salt = hex::decode("0A58CF64530D823F").expect("hex");
        let key = pkcs12_kdf::<Sha1>(&bmp_password("smeg"), &salt, 1, 1, 24);
        assert_eq!(
            hex::encode_upper(key),
            "8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3"
        );
        let iv = pkcs12_kdf::<Sha1>(&bmp_password("smeg"), &salt, 2, 1, 8);
        assert_eq!(hex::encode_upper(iv), "79993DFE048D3B76");
    }

    #[test]
    fn both_profiles_round_trip_through_an_independent_reader() {
        let (key, chain) = sample_identity();
        let password = SecretString::new("correct horse");
        for profile in [P12Profile::Modern, P12Profile::Compatible] {
            let spec = P12Spec {
                key: &key,
                chain: &chain,
                friendly_name: "Pat's laptop",
                password: &password,
                profile,
            };
            let p12 = export_with_iterations(&spec, (1000, 1000)).expect("export");
            let back = import_pkcs12(&p12, &password, "t.p12").expect("import");
            assert_eq!(
                back.key.public_key_der(),
                key.public_key_der(),
                "{profile:?}"
            );
            assert_eq!(back.chain, chain, "{profile:?}");
            assert_eq!(back.friendly_name.as_deref(), Some("Pat's laptop"));
            let err = import_pkcs12(&p12, &SecretString::new("nope"), "t.p12").expect_err("wrong");
            assert!(
                matches!(err, Error::WrongPassword { .. }),
                "{profile:?}: {err}"
            );
        }
    }

    #[test]
    fn export_refuses_a_certificate_for_another_key() {
        let (_, chain) = sample_identity();
        let other = PrivateKey::generate(crate::key::KeySpec::EcP256).expect("key");
        let password = SecretString::new("pw");
        let spec = P12Spec {
            key: &other,
            chain: &chain,
            friendly_name: "x",
            password: &password,
            profile: P12Profile::Modern,
        };
        assert!(matches!(
            export_pkcs12(&spec),
            Err(Error::CertDoesNotMatchKey { .. })
        ));
    }
}
