//! `certdesk tokens` against a real SoftHSM2 token (issue #15).

use std::process::Command;

use certdesk_testkit::servers::NginxSpec;
use certdesk_testkit::softhsm::{SoftHsm, SOFTHSM_MODULE, USER_PIN};
use certdesk_testkit::{openssl_req_verify, OpensslCa, PasswordFile, SignOpts};

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

/// `certdesk` with a wallet in `home`, the test token's configuration and C wording.
fn certdesk(home: &std::path::Path, hsm: &SoftHsm, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_certdesk"))
        .arg("--home")
        .arg(home.join("wallet"))
        .args(args)
        .env("HOME", home)
        .env("SOFTHSM2_CONF", hsm.conf())
        .env("LC_ALL", "C")
        .output()
        .expect("certdesk runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn request_new_on_a_token_is_issued_onto_it_checked_through_it_and_never_exported() {
    let hsm = SoftHsm::new("Ada's key");
    let home = tempfile::tempdir().expect("a HOME");
    let pin = PasswordFile::new(USER_PIN);
    let pin_file = pin.path().to_str().expect("utf-8 path");

    // The PIN is asked for before the token is touched.
    let out = certdesk(
        home.path(),
        &hsm,
        &[
            "request",
            "new",
            "--name",
            "Ada Lovelace",
            "--token",
            "Ada's key",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("--pin-file"), "{out:?}");

    let out = certdesk(
        home.path(),
        &hsm,
        &[
            "--json",
            "request",
            "new",
            "--name",
            "Ada Lovelace",
            "--token",
            "Ada's key",
            "--module",
            SOFTHSM_MODULE,
            "--pin-file",
            pin_file,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let id = made["id"].as_str().expect("id").to_string();
    let key_id = made["token"]["key_id"]
        .as_str()
        .expect("key id")
        .to_string();
    assert_eq!(made["token"]["token_label"], "Ada's key");
    let csr = made["csr_pem"].as_str().expect("csr");
    openssl_req_verify(csr.as_bytes()).expect("openssl verifies the request the token signed");

    let out = certdesk(home.path(), &hsm, &["identity", "show", &id]);
    assert!(out.status.success(), "{out:?}");
    let shown = text(&out.stdout);
    assert!(
        shown.contains("  protected:  key on token \"Ada's key\" (serial "),
        "{shown}"
    );

    // Issued by openssl ca; `certdesk import` writes the certificate beside the key.
    let ca = OpensslCa::new("Token CLI CA");
    let signed = ca.sign_csr(csr.as_bytes(), SignOpts::default());
    let reply = home.path().join("reply.pem");
    std::fs::write(&reply, signed.full_chain_pem()).expect("reply");
    let out = certdesk(
        home.path(),
        &hsm,
        &["import", reply.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{out:?}");
    let objects = hsm.pkcs11_tool_objects();
    let cert = objects
        .split("\n\n")
        .find(|o| o.contains("Certificate Object"))
        .unwrap_or_else(|| panic!("no certificate on the token:\n{objects}"));
    assert!(cert.contains(&format!("ID:         {key_id}")), "{cert}");
    assert!(cert.contains("Ada Lovelace"), "{cert}");

    // Exports are refused with the reason, and a hint.
    let p12 = home.path().join("ada.p12");
    let out = certdesk(
        home.path(),
        &hsm,
        &["export", "p12", &id, "--out", p12.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains("lives on the token \"Ada's key\" and cannot leave it, so it cannot be exported to a PKCS#12 file"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert!(!p12.exists());
    let key_out = home.path().join("key.pem");
    let out = certdesk(
        home.path(),
        &hsm,
        &[
            "export",
            "pem",
            &id,
            "--cert-out",
            home.path().join("cert.pem").to_str().expect("utf-8"),
            "--key-out",
            key_out.to_str().expect("utf-8"),
            "--insecure-unencrypted-key",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        text(&out.stderr).contains("cannot be exported to a PEM file"),
        "{out:?}"
    );
    assert!(!key_out.exists());

    // The site check signs on the token; real nginx accepts.
    let server = NginxSpec::new(ca.root_pem()).start();
    let ca_file = server.server_ca_path();
    let url = server.url_for("/");
    let args = [
        "probe",
        url.as_str(),
        "--identity",
        id.as_str(),
        "--ca-file",
        ca_file.to_str().expect("utf-8"),
    ];
    let out = certdesk(home.path(), &hsm, &args);
    assert_eq!(out.status.code(), Some(2), "no PIN: {out:?}");
    assert!(text(&out.stderr).contains("which needs its PIN"), "{out:?}");
    let mut with_pin = args.to_vec();
    with_pin.extend(["--pin-file", pin_file]);
    let out = certdesk(home.path(), &hsm, &with_pin);
    let report = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}\n{out:?}");
    assert!(
        report.contains("  key on token:        \"Ada's key\" (ECDSA P-256), signs with CKM_ECDSA"),
        "{report}"
    );
}

/// An issued identity whose key is on `hsm`'s token, made with the CLI; its id.
fn issued_token_identity(home: &std::path::Path, hsm: &SoftHsm, pin_file: &str) -> String {
    let out = certdesk(
        home,
        hsm,
        &[
            "--json",
            "request",
            "new",
            "--name",
            "Ada Lovelace",
            "--token",
            &hsm.label,
            "--pin-file",
            pin_file,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let ca = OpensslCa::new("Token CLI CA");
    let signed = ca.sign_csr(
        made["csr_pem"].as_str().expect("csr").as_bytes(),
        SignOpts::default(),
    );
    let reply = home.join("reply.pem");
    std::fs::write(&reply, signed.full_chain_pem()).expect("reply");
    let out = certdesk(home, hsm, &["import", reply.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{out:?}");
    made["id"].as_str().expect("id").to_string()
}

fn nss_tool(hsm: &SoftHsm, tool: &str, args: &[&str]) -> String {
    hsm.tool(Command::new(tool).args(args))
        .unwrap_or_else(|e| panic!("{tool} {args:?}: {e}"))
        .stdout_text()
}

#[test]
fn install_registers_the_token_module_in_nss_and_uninstall_removes_it() {
    let hsm = SoftHsm::new("Ada's key");
    let home = tempfile::tempdir().expect("a HOME");
    let pin = PasswordFile::new(USER_PIN);
    // Without --module: the token is found among the modules on this computer.
    let id = issued_token_identity(home.path(), &hsm, pin.path().to_str().expect("utf-8"));

    let out = certdesk(home.path(), &hsm, &["install", &id, "--to", "chromium"]);
    assert!(out.status.success(), "{out:?}");
    let db = home.path().join(".pki/nssdb");
    let spec = format!("sql:{}", db.display());
    // Found by searching, the module is named by its real path (Debian's is a symlink).
    let library = std::fs::canonicalize(SOFTHSM_MODULE).expect("SoftHSM2 module");
    let modules = nss_tool(&hsm, "modutil", &["-list", "-dbdir", &spec]);
    assert!(
        modules.contains("certdesk: libsofthsm2.so")
            && modules.contains(&format!("library name: {}", library.display())),
        "{modules}"
    );
    // NSS itself finds the certificate on the token through the registered module, and no
    // key was copied into its own database.
    let certs = nss_tool(&hsm, "certutil", &["-L", "-h", "all", "-d", &spec]);
    assert!(certs.contains("Ada's key:Ada Lovelace"), "{certs}");
    let internal = nss_tool(&hsm, "certutil", &["-L", "-d", &spec]);
    assert!(!internal.contains("Ada Lovelace"), "{internal}");

    // Installing again changes nothing.
    let out = certdesk(
        home.path(),
        &hsm,
        &["--json", "install", &id, "--to", "chromium"],
    );
    assert!(out.status.success(), "{out:?}");
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        again["results"][0]["status"], "already_installed",
        "{again:#}"
    );

    let out = certdesk(home.path(), &hsm, &["stores"]);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        shown.contains(&format!(
            "token module \"certdesk: libsofthsm2.so\" ({})",
            library.display()
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("Ada Lovelace ({id}): installed in Chromium")),
        "{shown}"
    );

    let out = certdesk(home.path(), &hsm, &["uninstall", &id, "--from", "chromium"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text(&out.stdout).contains("the key and certificate stay on the token"),
        "{out:?}"
    );
    let modules = nss_tool(&hsm, "modutil", &["-list", "-dbdir", &spec]);
    assert!(!modules.contains("libsofthsm2"), "{modules}");
    // The token still has both.
    let objects = hsm.pkcs11_tool_objects();
    assert!(
        objects.contains("Certificate Object") && objects.contains("Private Key Object"),
        "{objects}"
    );
}
