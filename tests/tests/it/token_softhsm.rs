//! Keys on a PKCS#11 token (issue #15), against a real SoftHSM2 token: the key is made on the
//! token, OpenSC's `pkcs11-tool` lists it as private, sensitive and never extractable, and
//! `openssl req -verify` accepts the request the token signed.

use std::process::Command;
use std::time::Duration;

use certdesk_core::csr::{build_csr_on_token, CsrSpec, SubjectSpec};
use certdesk_core::key::KeySpec;
use certdesk_core::pkcs12::P12Profile;
use certdesk_core::probe::{check_site, ProbeReport, ProbeRequest, Verdict};
use certdesk_core::secret::SecretString;
use certdesk_core::token::{Module, PinState, TokenKey};
use certdesk_core::wallet::{Identity, KeyAccess, NewRequest, Wallet};
use certdesk_testkit::servers::{NginxSpec, RunningServer, TlsVersions};
use certdesk_testkit::softhsm::{SoftHsm, SOFTHSM_MODULE, USER_PIN};
use certdesk_testkit::{openssl_req_verify, OpensslCa, SignOpts, SignedCert};

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
    // SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after a wrong PIN (it never locks one), and
    // the message passes that on.
    assert_eq!(
        err.to_string(),
        "the token \"pins\" refused the PIN; it counts the wrong tries"
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

/// A pending wallet identity whose key was made on `hsm`'s token, its request signed there.
/// The module is dropped before returning: cryptoki finalizes the library when its context
/// goes, and every later step opens it again, as a later `certdesk` run would.
fn token_identity(hsm: &SoftHsm, spec: KeySpec, wallet: &Wallet) -> Identity {
    let module = Module::open(hsm.module()).expect("SoftHSM2 loads");
    let token = module.find(&hsm.label).expect("the token");
    let key = TokenKey::generate(&module, &token, &pin(), spec, "Ada Lovelace").expect("key");
    wallet
        .create_token_request(
            &NewRequest {
                label: None,
                csr: CsrSpec {
                    subject: SubjectSpec::with_common_name("Ada Lovelace"),
                    challenge_password: None,
                },
                key_type: spec,
                via: "test".into(),
            },
            &key,
        )
        .expect("a pending identity with its key on the token")
}

/// Issues the identity's request with a real `openssl ca` and imports the reply.
fn issue(wallet: &Wallet, identity: &Identity, ca: &OpensslCa) -> SignedCert {
    let csr = identity.csr_pem.as_deref().expect("a request");
    openssl_req_verify(csr.as_bytes()).expect("openssl verifies the token's signature");
    let signed = ca.sign_csr(csr.as_bytes(), SignOpts::default());
    let outcome = wallet
        .import_certificate(&signed.full_chain_pem(), "reply.pem", None)
        .expect("the reply matches the token key");
    assert_eq!(outcome.identity.id, identity.id);
    assert!(
        outcome
            .warnings
            .iter()
            .all(|w| w.code != "certificate_not_on_token"),
        "{:?}",
        outcome.warnings
    );
    signed
}

fn access_with_pin(pin: &str) -> KeyAccess {
    KeyAccess {
        vault: None,
        passphrase: None,
        pin: Some(SecretString::new(pin)),
    }
}

fn check(wallet: &Wallet, id: &str, server: &RunningServer, pin: &str) -> ProbeReport {
    let identity = wallet
        .client_identity(id, &access_with_pin(pin))
        .expect("the token key opens");
    check_site(&ProbeRequest {
        url: server.url_for("/"),
        identity: Some(identity),
        server_ca_pem: Some(server.server_ca_pem.clone()),
        timeout: Duration::from_secs(20),
    })
    .expect("a report")
}

/// The `ID:` lines of the objects OpenSC lists whose header contains `kind`.
fn ids_of(objects: &str, kind: &str) -> Vec<String> {
    objects
        .split("\n\n")
        .filter(|o| o.contains(kind))
        .filter_map(|o| {
            o.lines()
                .find_map(|l| l.trim().strip_prefix("ID:").map(|v| v.trim().to_string()))
        })
        .collect()
}

#[test]
fn a_token_identity_is_issued_onto_the_token_and_accepted_by_nginx_without_the_key_leaving() {
    let hsm = SoftHsm::new("Ada's key");
    let home = tempfile::tempdir().expect("a home");
    let wallet = Wallet::open(home.path().join("wallet")).expect("wallet");
    let identity = token_identity(&hsm, KeySpec::EcP256, &wallet);
    let reference = identity
        .protection
        .token()
        .expect("key on the token")
        .clone();
    assert_eq!(reference.token_label, "Ada's key");
    // No key file: the wallet holds only where the key lives.
    let files: Vec<String> = std::fs::read_dir(wallet.identity_dir(&identity.id))
        .expect("identity dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!files.iter().any(|f| f.contains("key")), "{files:?}");

    let ca = OpensslCa::new("Token Test CA");
    let signed = issue(&wallet, &identity, &ca);

    // OpenSC sees the certificate beside the key, under the key's CKA_ID, and it is the one
    // the CA issued.
    let objects = hsm.pkcs11_tool_objects();
    assert_eq!(
        ids_of(&objects, "Certificate Object"),
        vec![reference.key_id.clone()],
        "{objects}"
    );
    assert_eq!(
        ids_of(&objects, "Private Key Object"),
        vec![reference.key_id.clone()],
        "{objects}"
    );
    let on_token = hsm
        .tool(Command::new("pkcs11-tool").args([
            "--module",
            SOFTHSM_MODULE,
            "--token-label",
            &hsm.label,
            "--read-object",
            "--type",
            "cert",
            "--id",
            &reference.key_id,
        ]))
        .expect("pkcs11-tool --read-object");
    assert_eq!(
        on_token.stdout, signed.cert_der,
        "the certificate on the token"
    );

    // The key cannot be exported, and says why.
    let err = wallet
        .export_pkcs12(
            &identity.id,
            &access_with_pin(USER_PIN),
            &SecretString::new("export-password"),
            P12Profile::Modern,
        )
        .expect_err("a token key is not exported");
    assert!(
        err.to_string()
            .contains("lives on the token \"Ada's key\" and cannot leave it"),
        "{err}"
    );

    // nginx (TLS 1.3) accepts the certificate; the handshake was signed on the token.
    let server = NginxSpec::new(ca.root_pem()).start();
    let report = check(&wallet, &identity.id, &server, USER_PIN);
    assert_eq!(report.verdict, Verdict::Accepted, "{report:#?}");
    assert_eq!(report.transcript.tls_version.as_deref(), Some("TLSv1.3"));
    let token = report
        .transcript
        .client_token
        .as_ref()
        .expect("token facts");
    assert_eq!(token.label, "Ada's key");
    assert!(
        token.mechanisms.contains(&"CKM_ECDSA".to_string()),
        "{token:?}"
    );
    assert!(
        report
            .transcript
            .body_excerpt
            .as_deref()
            .is_some_and(|b| b.contains("CN=Ada Lovelace") || b.contains("CN = Ada Lovelace")),
        "{report:#?}"
    );

    // A wrong PIN and no PIN each say what happened, before any connection.
    let err = wallet
        .client_identity(&identity.id, &access_with_pin("000000"))
        .expect_err("wrong PIN");
    assert!(err.to_string().contains("refused the PIN"), "{err}");
    let err = wallet
        .client_identity(&identity.id, &KeyAccess::default())
        .expect_err("no PIN");
    assert_eq!(
        err.to_string(),
        format!(
            "the key of identity {} is on the token \"Ada's key\", which needs its PIN",
            identity.id
        )
    );

    // Pulled out (its folder gone): the token is not found, by name.
    std::fs::remove_dir_all(hsm.token_dir()).expect("remove the token");
    std::fs::create_dir(hsm.token_dir()).expect("an empty token folder");
    let err = wallet
        .client_identity(&identity.id, &access_with_pin(USER_PIN))
        .expect_err("token gone");
    assert!(
        err.to_string()
            .starts_with("no token called \"Ada's key\" (serial "),
        "{err}"
    );
}

#[test]
fn an_rsa_token_key_signs_tls13_with_rsa_pss_through_the_token() {
    let hsm = SoftHsm::new("rsa key");
    let home = tempfile::tempdir().expect("a home");
    let wallet = Wallet::open(home.path().join("wallet")).expect("wallet");
    let identity = token_identity(&hsm, KeySpec::Rsa2048, &wallet);
    let ca = OpensslCa::new("Token Test CA");
    issue(&wallet, &identity, &ca);
    let server = NginxSpec::new(ca.root_pem())
        .tls(TlsVersions::Tls13Only)
        .start();
    let report = check(&wallet, &identity.id, &server, USER_PIN);
    assert_eq!(report.verdict, Verdict::Accepted, "{report:#?}");
    let token = report
        .transcript
        .client_token
        .as_ref()
        .expect("token facts");
    assert!(token.rsa_pss, "{token:?}");
    assert!(
        token.schemes.iter().any(|s| s.starts_with("RSA_PSS")),
        "{token:?}"
    );
}

#[test]
fn a_token_without_rsa_pss_gets_the_pss_finding_on_tls13_and_works_on_tls12() {
    // A real module without RSA-PSS: SoftHSM2 told so in its configuration.
    let hsm = SoftHsm::without_rsa_pss("no pss");
    let module = Module::open(hsm.module()).expect("SoftHSM2 loads");
    let abilities = module.find("no pss").expect("token").abilities;
    assert!(!abilities.rsa_pss && abilities.rsa_pkcs1, "{abilities:?}");
    drop(module);
    let home = tempfile::tempdir().expect("a home");
    let wallet = Wallet::open(home.path().join("wallet")).expect("wallet");
    let identity = token_identity(&hsm, KeySpec::Rsa2048, &wallet);
    let ca = OpensslCa::new("Token Test CA");
    issue(&wallet, &identity, &ca);

    let tls13 = NginxSpec::new(ca.root_pem())
        .tls(TlsVersions::Tls13Only)
        .start();
    let report = check(&wallet, &identity.id, &tls13, USER_PIN);
    assert_eq!(report.verdict, Verdict::Rejected, "{report:#?}");
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"token_cannot_sign_rsa_pss"), "{codes:?}");
    assert!(!codes.contains(&"key_type_not_accepted"), "{codes:?}");
    let f = report
        .findings
        .iter()
        .find(|f| f.code == "token_cannot_sign_rsa_pss")
        .expect("the finding");
    assert!(
        f.summary
            .contains("\"no pss\" cannot make the RSA-PSS signatures"),
        "{f:?}"
    );
    assert!(
        f.remedy.contains("ECDSA") && f.remedy.contains("TLS 1.2"),
        "{f:?}"
    );
    let token = report
        .transcript
        .client_token
        .as_ref()
        .expect("token facts");
    assert!(
        !token.mechanisms.iter().any(|m| m.contains("PSS")),
        "{token:?}"
    );
    // The check tried the same token over TLS 1.2 too: this site speaks only TLS 1.3.
    let retry = report.tls12_retry.as_ref().expect("a TLS 1.2 retry");
    assert_eq!(retry.tls_version, None, "{retry:?}");
    assert_ne!(retry.verdict, Verdict::Accepted, "{retry:?}");

    // A site with both versions: refused under TLS 1.3, and the retry shows TLS 1.2 works.
    let both = NginxSpec::new(ca.root_pem()).start();
    let report = check(&wallet, &identity.id, &both, USER_PIN);
    assert_eq!(report.verdict, Verdict::Rejected, "{report:#?}");
    let retry = report.tls12_retry.as_ref().expect("a TLS 1.2 retry");
    assert_eq!(retry.verdict, Verdict::Accepted, "{retry:?}");
    assert_eq!(retry.tls_version.as_deref(), Some("TLSv1.2"), "{retry:?}");
    assert_eq!(retry.http_status, Some(200), "{retry:?}");

    // The same key through TLS 1.2: PKCS#1 v1.5 on the token, accepted.
    let tls12 = NginxSpec::new(ca.root_pem())
        .tls(TlsVersions::Tls12Only)
        .start();
    let report = check(&wallet, &identity.id, &tls12, USER_PIN);
    assert_eq!(report.verdict, Verdict::Accepted, "{report:#?}");
    assert_eq!(report.transcript.tls_version.as_deref(), Some("TLSv1.2"));
    assert!(
        report.tls12_retry.is_none(),
        "no retry when nothing was refused"
    );
}
