//! Keys on a PKCS#11 token (issue #15), against a real SoftHSM2 token: the key is made on the
//! token, OpenSC's `pkcs11-tool` lists it as private, sensitive and never extractable, and
//! `openssl req -verify` accepts the request the token signed.

use certdesk_core::csr::{build_csr_on_token, CsrSpec, SubjectSpec};
use certdesk_core::key::KeySpec;
use certdesk_core::secret::SecretString;
use certdesk_core::token::{Module, PinState, TokenKey};
use certdesk_testkit::openssl_req_verify;
use certdesk_testkit::softhsm::{SoftHsm, USER_PIN};

fn pin() -> SecretString {
    SecretString::new(USER_PIN)
}

#[test]
fn softhsm_is_listed_with_what_it_can_sign() {
    let hsm = SoftHsm::new("certdesk test token");
    let module = Module::open(hsm.module()).expect("SoftHSM2 loads");
    let token = module.find("certdesk test token").expect("the token");
    assert_eq!(token.pin, PinState::Ok);
    let a = &token.abilities;
    assert!(
        a.ec_keygen && a.rsa_keygen && a.ecdsa && a.rsa_pkcs1 && a.rsa_pss,
        "{token:?}"
    );
    // Found by serial number too.
    assert_eq!(
        module.find(&token.serial).expect("by serial").label,
        token.label
    );
}

fn made_on_the_token(spec: KeySpec, key_line: &str) {
    let hsm = SoftHsm::new("keys");
    let module = Module::open(hsm.module()).expect("SoftHSM2 loads");
    let token = module.find("keys").expect("the token");
    let key = TokenKey::generate(&module, &token, &pin(), spec, "Ada Lovelace").expect("key");
    assert_eq!(key.reference.key_id.len(), 32, "a 16-byte CKA_ID");

    let csr = build_csr_on_token(
        &key,
        &CsrSpec {
            subject: SubjectSpec::with_common_name("Ada Lovelace"),
            challenge_password: None,
        },
    )
    .expect("a request signed on the token");
    let text = openssl_req_verify(csr.pem().as_bytes())
        .unwrap_or_else(|e| panic!("openssl does not verify the token's signature: {e}"));
    assert!(
        text.contains("CN = Ada Lovelace") || text.contains("CN=Ada Lovelace"),
        "{text}"
    );
    assert_eq!(
        csr.facts().expect("facts").public_key_der,
        key.public_key_der(),
        "the request carries the token's public key"
    );

    // OpenSC's view of the token: one private key with our id and label, which the token
    // will never hand out.
    let objects = hsm.pkcs11_tool_objects();
    let private = objects
        .split("\n\n")
        .find(|o| o.contains(key_line))
        .unwrap_or_else(|| panic!("no {key_line} in:\n{objects}"));
    assert!(private.contains("label:      Ada Lovelace"), "{private}");
    assert!(
        private.contains(&format!("ID:         {}", key.reference.key_id)),
        "{private}"
    );
    assert!(
        private.contains("Access:     sensitive, always sensitive, never extractable"),
        "{private}"
    );
}

#[test]
fn an_ec_key_made_on_the_token_signs_a_request_and_never_leaves_it() {
    made_on_the_token(KeySpec::EcP256, "Private Key Object; EC");
}

#[test]
fn an_rsa_key_made_on_the_token_signs_a_request_and_never_leaves_it() {
    made_on_the_token(KeySpec::Rsa2048, "Private Key Object; RSA");
}

#[test]
fn a_wrong_pin_and_a_missing_token_each_say_what_happened() {
    let hsm = SoftHsm::new("pins");
    let module = Module::open(hsm.module()).expect("SoftHSM2 loads");
    let token = module.find("pins").expect("the token");
    let err = TokenKey::generate(
        &module,
        &token,
        &SecretString::new("000000"),
        KeySpec::EcP256,
        "x",
    )
    .expect_err("wrong PIN");
    assert!(
        err.to_string()
            .starts_with("the token \"pins\" refused the PIN"),
        "{err}"
    );
    assert!(
        err.hint().is_some_and(|h| h.contains("user PIN")),
        "{err:?}"
    );

    let err = module.find("YubiKey").expect_err("no such token");
    assert_eq!(
        err.to_string(),
        format!(
            "no token called \"YubiKey\" is present (present: pins ({}))",
            token.serial
        )
    );
}
