//! PKCS#12 files made by Java's keytool, a PKCS#12 implementation we did not write, read by
//! certdesk's import.
//!
//! Issue #12: a file whose keys are protected with PBES2 and the PBKDF2 pseudo-random function
//! HMAC-SHA1 (keytool's `PBEWithHmacSHA1AndAES_256`, common in Java-based CA portals) was
//! refused as if the password were wrong, although it was right.

use certdesk_core::pkcs12::import_pkcs12;
use certdesk_core::secret::SecretString;
use certdesk_core::Error;
use certdesk_testkit::{keytool_make_p12, openssl_pkcs12_info};

fn made_by_keytool(dir: &std::path::Path, key_alg: &str, protection: &str) -> Vec<u8> {
    let path = dir.join(format!("{key_alg}-{protection}.p12"));
    keytool_make_p12(&path, "changeit", "Ada Java", key_alg, protection).expect("keytool");
    // What the file really uses, as OpenSSL reads it (so this test cannot pass on a file
    // keytool made some other way).
    let bytes = std::fs::read(&path).expect("read");
    let info = openssl_pkcs12_info(&bytes, "changeit").expect("openssl reads it");
    let prf = if protection.contains("SHA1") {
        "PRF hmacWithSHA1"
    } else {
        "PRF hmacWithSHA256"
    };
    assert!(info.contains(prf), "{protection}: {info}");
    bytes
}

#[test]
fn keytool_files_with_either_pbkdf2_prf_import_and_a_wrong_password_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    for key_alg in ["EC", "RSA"] {
        for protection in ["PBEWithHmacSHA1AndAES_256", "PBEWithHmacSHA256AndAES_256"] {
            let p12 = made_by_keytool(dir.path(), key_alg, protection);
            let contents = import_pkcs12(&p12, &SecretString::new("changeit"), "ada.p12")
                .unwrap_or_else(|e| panic!("{key_alg} {protection}: {e}"));
            assert_eq!(contents.chain.len(), 1, "{key_alg} {protection}");
            let leaf = certdesk_core::cert::public_key_of(&contents.chain[0]).expect("spki");
            assert_eq!(
                leaf,
                contents.key.public_key_der(),
                "{key_alg} {protection}"
            );

            match import_pkcs12(&p12, &SecretString::new("wrong"), "ada.p12") {
                Err(Error::WrongPassword { what }) => assert_eq!(what, "ada.p12"),
                other => panic!("{key_alg} {protection}: wrong password gave {other:?}"),
            }
        }
    }
}
