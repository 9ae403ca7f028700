//! The whole journey for every key type, checked by implementations we did not write:
//! `request new` → `request export` (read by `openssl req -verify`) → signed by an `openssl ca`
//! with an intermediate → the reply imported in a different packaging per key type →
//! `export p12` in both profiles (read by OpenSSL 3 without -legacy, NSS `pk12util`/`certutil`
//! and Java `keytool`) → `export pem` (key opened by `openssl pkey`) → `inspect`.

use crate::common::{
    arg, count, mode, openssl, read, warning_codes, Sandbox, EXPORT_PASSWORD, KEY_PASSWORD,
};
use base64::Engine as _;
use certdesk_testkit::{
    keytool_list_p12, openssl_pkcs12_info, openssl_req_verify, NssDb, OpensslCa, P7Form, SignOpts,
};

/// How the issuer's reply is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    /// Leaf, intermediate and root as PEM.
    PemFullChain,
    /// The leaf alone, binary DER (.cer).
    DerLeaf,
    /// Certs-only PKCS#7, DER (.p7b), chain before the leaf.
    Pkcs7Der,
    /// Certs-only PKCS#7, PEM.
    Pkcs7Pem,
    /// The leaf's DER as base64 without PEM armour.
    Base64Leaf,
}

impl Reply {
    fn container(self) -> &'static str {
        match self {
            Reply::PemFullChain => "pem",
            Reply::DerLeaf => "der",
            Reply::Pkcs7Der | Reply::Pkcs7Pem => "pkcs7",
            Reply::Base64Leaf => "base64",
        }
    }

    fn has_chain(self) -> bool {
        !matches!(self, Reply::DerLeaf | Reply::Base64Leaf)
    }
}

/// What `openssl req -text` prints about each key type.
fn openssl_key_marker(key: &str) -> String {
    match key {
        "ec-p256" => "NIST CURVE: P-256".into(),
        "ec-p384" => "NIST CURVE: P-384".into(),
        rsa => format!(
            "Public-Key: ({} bit)",
            rsa.strip_prefix("rsa-").expect("an RSA key type")
        ),
    }
}

fn journey(key: &str, reply: Reply, profiles: &[&str]) {
    let sb = Sandbox::new();
    let ca = OpensslCa::with_intermediate("Cross");
    let cn = format!("Cross {key}");
    let email = format!("{key}@example.org");
    let subject = format!("CN={cn},O=Example Corp,OU=Staff,C=DE");

    // 1. Key and request.
    let id = sb.new_request(&subject, &["--email", &email, "--key", key]);
    let listed = sb.list();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["status"], "pending");
    assert_eq!(listed[0]["label"], cn.as_str());

    let csr = sb.export_csr(&id);
    assert!(
        csr.starts_with(b"-----BEGIN CERTIFICATE REQUEST-----\n"),
        "{}",
        String::from_utf8_lossy(&csr)
    );
    let text = openssl_req_verify(&csr).unwrap_or_else(|e| panic!("{e}"));
    for needle in [
        format!("Subject: C = DE, O = Example Corp, OU = Staff, CN = {cn}, emailAddress = {email}"),
        format!("email:{email}"),
        "TLS Web Client Authentication".into(),
        "Digital Signature".into(),
        openssl_key_marker(key),
        "verify OK".into(),
    ] {
        assert!(text.contains(&needle), "`{needle}` missing from:\n{text}");
    }
    // The DER form of the same request is the same request.
    let der_path = sb.path("req.der");
    sb.run(&[
        "request",
        "export",
        &id,
        "--out",
        arg(&der_path),
        "--format",
        "der",
    ])
    .ok();
    let der = read(&der_path);
    assert_eq!(der.first(), Some(&0x30), "DER starts with a SEQUENCE");
    let der_text = openssl_req_verify(&der).unwrap_or_else(|e| panic!("{e}"));
    assert!(der_text.contains(&format!("CN = {cn}")), "{der_text}");

    // 2. The CA signs it; the reply comes back in this test's packaging.
    let signed = ca.sign_csr(&csr, SignOpts::default());
    let (name, bytes) = match reply {
        Reply::PemFullChain => ("reply.pem", signed.full_chain_pem()),
        Reply::DerLeaf => ("reply.cer", signed.cert_der.clone()),
        Reply::Pkcs7Der => (
            "reply.p7b",
            ca.p7b(&[&signed.chain_pem, &signed.cert_pem], P7Form::Der),
        ),
        Reply::Pkcs7Pem => (
            "reply-p7.pem",
            ca.p7b(&[&signed.cert_pem, &signed.chain_pem], P7Form::Pem),
        ),
        Reply::Base64Leaf => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&signed.cert_der);
            let wrapped: Vec<&str> = b64
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
                .collect();
            ("reply.txt", (wrapped.join("\r\n") + "\r\n").into_bytes())
        }
    };
    let reply_path = sb.file(name, &bytes);

    // 3. Import without naming the identity: certdesk finds it by its key.
    let outcome = sb.run(&["--json", "import", arg(&reply_path)]).ok().json();
    assert_eq!(outcome["identity"]["id"], id.as_str(), "{outcome}");
    assert_eq!(outcome["identity"]["status"], "issued", "{outcome}");
    assert_eq!(outcome["container"], reply.container(), "{outcome}");
    assert_eq!(outcome["already_imported"], false, "{outcome}");
    assert_eq!(outcome["replaced_previous"], false, "{outcome}");
    if reply.has_chain() {
        assert_eq!(outcome["chain_length"], 3, "{outcome}");
        assert!(warning_codes(&outcome).is_empty(), "{outcome}");
    } else {
        // The leaf alone cannot carry its issuers: accepted with a warning. The issuer sends the
        // full chain again; importing it completes the identity without replacing anything.
        assert_eq!(outcome["chain_length"], 1, "{outcome}");
        assert_eq!(warning_codes(&outcome), ["incomplete_chain"], "{outcome}");
        let full = sb.file("fullchain.pem", &signed.full_chain_pem());
        let again = sb.run(&["--json", "import", arg(&full)]).ok().json();
        assert_eq!(again["identity"]["id"], id.as_str(), "{again}");
        assert_eq!(again["already_imported"], true, "{again}");
        assert_eq!(again["replaced_previous"], false, "{again}");
        assert_eq!(again["chain_length"], 3, "{again}");
        assert!(warning_codes(&again).is_empty(), "{again}");
    }
    assert_eq!(sb.status(&id), "issued");

    // 4. PKCS#12 in each profile, read by OpenSSL, NSS and keytool.
    for profile in profiles {
        check_p12(&sb, &id, &cn, profile);
    }

    // 5. PEM export: the chain, and the key encrypted under a password of our choosing.
    let chain_out = sb.path("chain.pem");
    let key_out = sb.path("key.pem");
    let key_pw = sb.secret_file("key-pw", KEY_PASSWORD);
    let pem_run = sb
        .run(&[
            "export",
            "pem",
            &id,
            "--cert-out",
            arg(&chain_out),
            "--key-out",
            arg(&key_out),
            "--password-file",
            arg(&key_pw),
        ])
        .ok();
    assert!(
        pem_run
            .stdout
            .contains("Wrote the encrypted private key to"),
        "{pem_run}"
    );
    assert_eq!(mode(&key_out), 0o600, "the exported key file is private");
    let key_text = String::from_utf8(read(&key_out)).expect("PEM is text");
    assert!(
        key_text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
        "{key_text}"
    );
    let chain_text = String::from_utf8(read(&chain_out)).expect("PEM is text");
    assert_eq!(
        count(&chain_text, "-----BEGIN CERTIFICATE-----"),
        3,
        "{chain_text}"
    );
    let leaf_der = certdesk_testkit::run_tool(
        std::process::Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&chain_out),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .stdout;
    assert_eq!(
        leaf_der, signed.cert_der,
        "the chain file starts with the leaf"
    );
    let passin = format!("file:{}", arg(&key_pw));
    let key_pub = openssl(&["pkey", "-in", arg(&key_out), "-passin", &passin, "-pubout"]);
    let cert_pub = openssl(&["x509", "-in", arg(&chain_out), "-pubkey", "-noout"]);
    assert!(key_pub.contains("-----BEGIN PUBLIC KEY-----"), "{key_pub}");
    assert_eq!(
        key_pub, cert_pub,
        "the exported key is the certificate's key"
    );
    let wrong = sb.secret_file("wrong-key-pw", "not-the-password");
    let refused = certdesk_testkit::run_tool(std::process::Command::new("openssl").args([
        "pkey",
        "-in",
        arg(&key_out),
        "-passin",
        &format!("file:{}", arg(&wrong)),
        "-noout",
    ]));
    assert!(refused.is_err(), "a wrong password opened the exported key");

    // 6. A generated password, shown once.
    check_generated_password(&sb, &id);

    // 7. inspect: the .p12, a .p7b, the request and the leaf.
    let p12_pw = sb.secret_file("inspect-pw", EXPORT_PASSWORD);
    let p12 = sb.path("inspect.p12");
    sb.run(&[
        "export",
        "p12",
        &id,
        "--out",
        arg(&p12),
        "--password-file",
        arg(&p12_pw),
    ])
    .ok();
    let seen = sb
        .run(&["inspect", arg(&p12), "--password-file", arg(&p12_pw)])
        .ok();
    for needle in [
        "File type: PKCS#12 (certificate with its private key)".to_string(),
        format!("  name: {cn}"),
        "Certificate 1 of 3".into(),
        "client authentication: fit\n".into(),
    ] {
        assert!(seen.stdout.contains(&needle), "`{needle}` missing:\n{seen}");
    }
    let p7b = sb.file(
        "bundle.p7b",
        &ca.p7b(&[&signed.full_chain_pem()], P7Form::Der),
    );
    let seen = sb.run(&["inspect", arg(&p7b)]).ok();
    assert!(
        seen.stdout.starts_with("File type: PKCS#7 bundle (.p7b)\n"),
        "{seen}"
    );
    assert_eq!(count(&seen.stdout, "CA certificate "), 2, "{seen}");
    assert!(
        seen.stdout.contains("client authentication: fit\n"),
        "{seen}"
    );
    let csr_path = sb.file("inspect.csr", &csr);
    let seen = sb.run(&["inspect", arg(&csr_path)]).ok();
    for needle in [
        "File type: certificate request (CSR)",
        "asks for:  client authentication",
        "signature: valid",
        email.as_str(),
    ] {
        assert!(seen.stdout.contains(needle), "`{needle}` missing:\n{seen}");
    }
    let leaf = sb.file("leaf.crt", &signed.cert_pem);
    let seen = sb.run(&["inspect", arg(&leaf)]).ok();
    assert!(
        seen.stdout.contains("client authentication: fit\n"),
        "{seen}"
    );
    assert!(
        seen.stdout.contains("usage:     client authentication"),
        "{seen}"
    );
}

fn check_p12(sb: &Sandbox, id: &str, cn: &str, profile: &str) {
    let bytes = sb.export_p12_checked(id, profile);
    let path = sb.file(&format!("check-{profile}.p12"), &bytes);

    let info = openssl_pkcs12_info(&bytes, EXPORT_PASSWORD).unwrap_or_else(|e| panic!("{e}"));
    let expected: &[&str] = match profile {
        "modern" => &["MAC: sha256", "PBES2, PBKDF2, AES-256-CBC"],
        "compatible" => &["MAC: sha1", "pbeWithSHA1And3-KeyTripleDES-CBC"],
        other => panic!("unknown profile {other}"),
    };
    for needle in expected {
        assert!(
            info.contains(needle),
            "{profile}: `{needle}` missing:\n{info}"
        );
    }
    assert!(info.contains(&format!("friendlyName: {cn}")), "{info}");
    assert_eq!(count(&info, "-----BEGIN CERTIFICATE-----"), 3, "{info}");
    assert!(
        openssl_pkcs12_info(&bytes, "a wrong password").is_err(),
        "{profile}: openssl opened the .p12 with a wrong password"
    );

    let nss_dir = tempfile::tempdir().expect("tempdir");
    let db = NssDb::create(nss_dir.path().join("db")).unwrap_or_else(|e| panic!("{e}"));
    db.import_p12(&path, EXPORT_PASSWORD)
        .unwrap_or_else(|e| panic!("{profile}: pk12util refused the .p12: {e}"));
    let certs = db.list_certs().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        certs.lines().any(|l| {
            let l = l.trim_end();
            l.starts_with(cn) && l.ends_with("u,u,u")
        }),
        "{profile}: no `{cn} … u,u,u` line in certutil -L:\n{certs}"
    );
    let keys = db.list_keys().unwrap_or_else(|e| panic!("{e}"));
    assert!(keys.contains(cn), "{profile}: no key for {cn}:\n{keys}");

    let listing = keytool_list_p12(&path, EXPORT_PASSWORD)
        .unwrap_or_else(|e| panic!("{profile}: keytool refused the .p12: {e}"));
    for needle in ["Entry type: PrivateKeyEntry", "Certificate chain length: 3"] {
        assert!(
            listing.contains(needle),
            "{profile}: `{needle}` missing:\n{listing}"
        );
    }
}

fn check_generated_password(sb: &Sandbox, id: &str) {
    // Text: printed once on stdout, never on stderr.
    let out = sb.path("generated.p12");
    let run = sb.run(&["export", "p12", id, "--out", arg(&out)]).ok();
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Password: "))
        .collect();
    assert_eq!(lines.len(), 1, "one Password: line expected:\n{run}");
    let password = lines[0];
    assert_password_shape(password);
    assert_eq!(count(&run.stdout, password), 1, "{run}");
    assert!(!run.stderr.contains(password), "{run}");
    assert!(run.stdout.contains("Write it down now"), "{run}");
    openssl_pkcs12_info(&read(&out), password)
        .unwrap_or_else(|e| panic!("the generated password does not open the file: {e}"));

    // JSON: `generated_password`.
    let out2 = sb.path("generated-json.p12");
    let json = sb
        .run(&["--json", "export", "p12", id, "--out", arg(&out2)])
        .ok()
        .json();
    let password2 = json["generated_password"]
        .as_str()
        .unwrap_or_else(|| panic!("no generated_password in {json}"));
    assert_password_shape(password2);
    assert_ne!(password, password2, "each export gets a fresh password");
    assert_eq!(json["profile"], "modern", "{json}");
    openssl_pkcs12_info(&read(&out2), password2)
        .unwrap_or_else(|e| panic!("the generated password does not open the file: {e}"));
}

/// Five groups of five characters separated by dashes.
fn assert_password_shape(password: &str) {
    let groups: Vec<&str> = password.split('-').collect();
    assert_eq!(groups.len(), 5, "{password:?}");
    assert!(
        groups
            .iter()
            .all(|g| g.len() == 5 && g.chars().all(|c| c.is_ascii_alphanumeric())),
        "{password:?}"
    );
}

#[test]
fn ec_p256_pem_full_chain() {
    journey("ec-p256", Reply::PemFullChain, &["modern", "compatible"]);
}

#[test]
fn ec_p384_der_leaf() {
    journey("ec-p384", Reply::DerLeaf, &["modern", "compatible"]);
}

#[test]
fn rsa_2048_pkcs7_der() {
    journey("rsa-2048", Reply::Pkcs7Der, &["modern", "compatible"]);
}

#[test]
fn rsa_3072_pkcs7_pem() {
    journey("rsa-3072", Reply::Pkcs7Pem, &["modern", "compatible"]);
}

#[test]
fn rsa_4096_bare_base64() {
    journey("rsa-4096", Reply::Base64Leaf, &["modern"]);
}
