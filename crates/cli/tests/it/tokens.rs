//! `certdesk tokens` against a real SoftHSM2 token (issue #15).

use std::process::Command;

use certdesk_testkit::softhsm::{SoftHsm, SOFTHSM_MODULE};

fn certdesk_tokens(hsm: &SoftHsm, args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().expect("a HOME");
    Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .arg("--home")
        .arg(home.path().join("wallet"))
        .args(args)
        .env("HOME", home.path())
        .env("SOFTHSM2_CONF", hsm.conf())
        .env("LC_ALL", "C")
        .output()
        .expect("certdesk runs")
}

#[test]
fn tokens_lists_the_token_and_what_it_can_sign() {
    let hsm = SoftHsm::new("Ada's key");
    let out = certdesk_tokens(&hsm, &["--json", "tokens", "--module", SOFTHSM_MODULE]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let tokens = v["modules"][0]["tokens"].as_array().expect("tokens");
    let ada = tokens
        .iter()
        .find(|t| t["label"] == "Ada's key")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(ada["initialized"], true);
    assert_eq!(ada["pin"], "ok");
    assert_eq!(ada["abilities"]["rsa_pss"], true);
    assert_eq!(ada["abilities"]["ec_keygen"], true);

    let out = certdesk_tokens(&hsm, &["tokens", "--module", SOFTHSM_MODULE]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(text.contains("  Ada's key (serial "), "{text}");
    assert!(
        text.contains("    signs:               ECDSA yes, RSA PKCS#1 yes, RSA-PSS yes"),
        "{text}"
    );
    assert!(text.contains("an empty token, not set up yet"), "{text}");
}

#[test]
fn tokens_refuses_a_library_that_is_not_pkcs11_with_a_hint() {
    let hsm = SoftHsm::new("t");
    let libc = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).is_file())
    .expect("libc");
    let out = certdesk_tokens(&hsm, &["tokens", "--module", libc]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not a PKCS#11 library (it has no C_GetFunctionList)"),
        "{err}"
    );
    assert!(
        err.contains("hint:") && err.contains("certdesk tokens"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
