//! The practice CA as a real server on loopback, checked with `curl` and `openssl`.

mod common;

use std::sync::Arc;

use certdesk_core::vault::{MemoryVault, SecretVault};
use certdesk_core::ErrorKind;
use certdesk_practice::{start, CA_COMMON_NAME, REALM};
use certdesk_testkit::{openssl_verify, openssl_x509_text, run_tool, OpensslCa, SignOpts};
use common::*;

/// RFC 7030 §3.2.2 labels: the practice CA answers under any one label (a help-desk profile
/// may name one), and a path with more segments is still "not found".
#[test]
fn a_ca_label_reaches_the_same_ca_and_deeper_paths_are_not_found() {
    let r = start_memory();
    let plain = curl(
        r.work.path(),
        &r.server.ca_certificate_file,
        &format!("{}cacerts", r.server.est_url),
        &[],
    );
    let labelled = curl(
        r.work.path(),
        &r.server.ca_certificate_file,
        &format!("{}staff/cacerts", r.server.est_url),
        &[],
    );
    assert_eq!(labelled.status, 200, "{labelled:?}");
    assert_eq!(labelled.body, plain.body);
    let csrattrs = curl(
        r.work.path(),
        &r.server.ca_certificate_file,
        &format!("{}staff/csrattrs", r.server.est_url),
        &[],
    );
    assert_eq!(csrattrs.status, 204, "{csrattrs:?}");
    let deeper = curl(
        r.work.path(),
        &r.server.ca_certificate_file,
        &format!("{}a/b/cacerts", r.server.est_url),
        &[],
    );
    assert_eq!(deeper.status, 404, "{deeper:?}");
}

#[test]
fn cacerts_is_a_certs_only_pkcs7_that_openssl_reads() {
    let r = start_memory();
    let out = curl(
        r.work.path(),
        &r.server.ca_certificate_file,
        &format!("{}cacerts", r.server.est_url),
        &[],
    );
    assert_eq!(out.status, 200, "{out:?}");
    let ct = out.header("content-type").expect("content type");
    assert!(
        ct.starts_with("application/pkcs7-mime") && ct.contains("smime-type=certs-only"),
        "{ct}"
    );
    let text = out.body_text();
    assert!(text.ends_with('\n'));
    assert!(text.lines().all(|l| l.len() <= 64), "{text}");
    let pem = est_answer_to_pem(&out.body);
    let text = openssl_x509_text(pem.as_bytes()).expect("x509 text");
    assert!(
        text.contains(&format!(
            "Subject: O = certdesk practice (not a real CA), CN = {CA_COMMON_NAME}"
        )),
        "{text}"
    );
    assert!(text.contains("CA:TRUE"), "{text}");
    // The certificate in cacerts is the one the server says it has, fingerprint and all.
    let fp = run_tool(
        std::process::Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
            .arg(&r.server.ca_certificate_file),
    )
    .expect("fingerprint")
    .stdout_text();
    assert!(
        fp.contains(&r.server.ca_sha256_fingerprint),
        "{fp} vs {}",
        r.server.ca_sha256_fingerprint
    );
}

#[test]
fn csrattrs_answers_no_content() {
    let r = start_memory();
    let out = curl(
        r.work.path(),
        &r.server.ca_certificate_file,
        &format!("{}csrattrs", r.server.est_url),
        &[],
    );
    assert_eq!(out.status, 204, "{out:?}");
    assert!(out.body.is_empty());
}

#[test]
fn simpleenroll_signs_an_openssl_csr_that_openssl_verify_accepts_for_client_auth() {
    let r = start_memory();
    let (_key, cert) = enroll_alice(&r);
    let cert_pem = std::fs::read(&cert).expect("read");
    let ca_pem = std::fs::read(&r.server.ca_certificate_file).expect("read");
    openssl_verify(&ca_pem, None, &cert_pem, Some("sslclient")).expect("openssl verify");
    let text = openssl_x509_text(&cert_pem).expect("x509 text");
    assert!(text.contains("CN = Alice Example"), "{text}");
    assert!(text.contains("O = Example Corp"), "{text}");
    assert!(text.contains("emailAddress = alice@example.org"), "{text}");
    assert!(text.contains("email:alice@example.org"), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    assert!(text.contains("Digital Signature"), "{text}");
    assert!(
        text.contains(&format!(
            "Issuer: O = certdesk practice (not a real CA), CN = {CA_COMMON_NAME}"
        )),
        "{text}"
    );
    // Only the issued certificate is in the answer (RFC 7030 §4.2.3).
    let answer = std::fs::read_to_string(&cert).expect("read");
    assert_eq!(answer.matches("BEGIN CERTIFICATE").count(), 1, "{answer}");
}

#[test]
fn unwrapped_base64_without_transfer_encoding_is_accepted_too() {
    let r = start_memory();
    let work = r.work.path();
    let (_key, csr) = openssl_csr(work, "bob", "/CN=Bob Example", None);
    let b64 = work.join("bob.b64");
    let one_line = openssl_base64(&csr, true);
    assert!(!one_line.contains(&b'\n'), "openssl -A gives one line");
    std::fs::write(&b64, one_line).expect("write");
    let out = curl(
        work,
        &r.server.ca_certificate_file,
        &format!("{}simpleenroll", r.server.est_url),
        &[
            "-u",
            &demo_credentials(&r.server),
            "-H",
            "Content-Type: application/pkcs10",
            "--data-binary",
            &format!("@{}", b64.display()),
        ],
    );
    assert_eq!(out.status, 200, "{out:?}");
    let pem = est_answer_to_pem(&out.body);
    let text = openssl_x509_text(pem.as_bytes()).expect("x509 text");
    assert!(text.contains("Subject: CN = Bob Example"), "{text}");
}

#[test]
fn missing_or_wrong_code_gets_401_with_basic_challenge() {
    let r = start_memory();
    let work = r.work.path();
    let (_key, csr) = openssl_csr(work, "eve", "/CN=Eve", None);
    let b64 = work.join("eve.b64");
    std::fs::write(&b64, openssl_base64(&csr, false)).expect("write");
    let data = format!("@{}", b64.display());
    let url = format!("{}simpleenroll", r.server.est_url);
    let wrong = format!("{}:not-the-code", r.server.demo_user);
    for auth in [None, Some(wrong.as_str()), Some("someone:else")] {
        let mut args = vec!["--data-binary", data.as_str()];
        if let Some(a) = auth {
            args.extend(["-u", a]);
        }
        let out = curl(work, &r.server.ca_certificate_file, &url, &args);
        assert_eq!(out.status, 401, "{auth:?}: {out:?}");
        let challenge = out.header("www-authenticate").expect("WWW-Authenticate");
        assert_eq!(challenge, format!("Basic realm=\"{REALM}\""));
        assert!(
            out.body_text().contains("enrollment code"),
            "{}",
            out.body_text()
        );
    }
}

#[test]
fn garbage_bodies_get_400_with_a_reason() {
    let r = start_memory();
    let work = r.work.path();
    let url = format!("{}simpleenroll", r.server.est_url);
    let creds = demo_credentials(&r.server);
    // Not base64; base64 of something that is not a CSR; empty; a certificate instead of a CSR.
    let not_a_csr = work.join("notcsr.b64");
    std::fs::write(&not_a_csr, "aGVsbG8gd29ybGQK\n").expect("write");
    let cases = [
        ("@/dev/null".to_string(), "empty"),
        ("this is not base64!!".to_string(), "not base64"),
        (format!("@{}", not_a_csr.display()), "not a PKCS#10"),
    ];
    for (data, expected) in cases {
        let out = curl(
            work,
            &r.server.ca_certificate_file,
            &url,
            &["-u", &creds, "--data-binary", &data],
        );
        assert_eq!(out.status, 400, "{data}: {out:?}");
        assert!(
            out.body_text().contains(expected),
            "{data}: {}",
            out.body_text()
        );
        assert!(out
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain"));
    }
}

#[test]
fn a_csr_with_a_broken_signature_is_refused() {
    let r = start_memory();
    let work = r.work.path();
    let (_key, csr) = openssl_csr(work, "mallory", "/CN=Mallory", None);
    let mut der = std::fs::read(&csr).expect("read");
    // The signature is the last bytes of the DER: flip one of them.
    let last = der.len() - 3;
    der[last] ^= 0x55;
    std::fs::write(&csr, &der).expect("write");
    let b64 = work.join("mallory.b64");
    std::fs::write(&b64, openssl_base64(&csr, false)).expect("write");
    let out = curl(
        work,
        &r.server.ca_certificate_file,
        &format!("{}simpleenroll", r.server.est_url),
        &[
            "-u",
            &demo_credentials(&r.server),
            "--data-binary",
            &format!("@{}", b64.display()),
        ],
    );
    assert_eq!(out.status, 400, "{out:?}");
    assert!(
        out.body_text().contains("signature does not verify"),
        "{}",
        out.body_text()
    );
}

#[test]
fn simplereenroll_needs_the_current_certificate_and_keeps_the_subject() {
    let r = start_memory();
    let work = r.work.path();
    let (key, cert) = enroll_alice(&r);
    let url = format!("{}simplereenroll", r.server.est_url);

    // Same subject, new key, authenticated with the current certificate: renewed.
    let (_k2, csr2) = openssl_csr(
        work,
        "alice2",
        "/CN=Alice Example/O=Example Corp/emailAddress=alice@example.org",
        Some("alice@example.org"),
    );
    let b64 = work.join("alice2.b64");
    std::fs::write(&b64, openssl_base64(&csr2, false)).expect("write");
    let data = format!("@{}", b64.display());
    let key_s = key.display().to_string();
    let cert_s = cert.display().to_string();
    let out = curl(
        work,
        &r.server.ca_certificate_file,
        &url,
        &["--cert", &cert_s, "--key", &key_s, "--data-binary", &data],
    );
    assert_eq!(out.status, 200, "{out:?}");
    let renewed = est_answer_to_pem(&out.body);
    let text = openssl_x509_text(renewed.as_bytes()).expect("x509 text");
    assert!(text.contains("CN = Alice Example"), "{text}");
    let old = std::fs::read_to_string(&cert).expect("read");
    assert_ne!(renewed.trim(), old.trim(), "a new certificate was issued");

    // Without a certificate: refused, even with the demo code.
    let out = curl(
        work,
        &r.server.ca_certificate_file,
        &url,
        &["-u", &demo_credentials(&r.server), "--data-binary", &data],
    );
    assert_eq!(out.status, 403, "{out:?}");
    assert!(
        out.body_text().contains("current certificate"),
        "{}",
        out.body_text()
    );

    // Another subject: refused with the reason.
    let (_k3, csr3) = openssl_csr(work, "other", "/CN=Someone Else", None);
    let b64 = work.join("other.b64");
    std::fs::write(&b64, openssl_base64(&csr3, false)).expect("write");
    let out = curl(
        work,
        &r.server.ca_certificate_file,
        &url,
        &[
            "--cert",
            &cert_s,
            "--key",
            &key_s,
            "--data-binary",
            &format!("@{}", b64.display()),
        ],
    );
    assert_eq!(out.status, 400, "{out:?}");
    assert!(
        out.body_text().contains("keeps the subject"),
        "{}",
        out.body_text()
    );
}

#[test]
fn practice_site_greets_the_holder_and_refuses_everyone_else_in_the_handshake() {
    let r = start_memory();
    let work = r.work.path();
    let (key, cert) = enroll_alice(&r);
    let key_s = key.display().to_string();
    let cert_s = cert.display().to_string();
    let site = r.server.site_url.clone();

    let out = curl(
        work,
        &r.server.ca_certificate_file,
        &site,
        &["--cert", &cert_s, "--key", &key_s],
    );
    assert_eq!(out.status, 200, "{out:?}");
    let page = out.body_text();
    assert!(
        page.contains("Hello, Alice Example — your certificate works"),
        "{page}"
    );
    assert!(page.contains(CA_COMMON_NAME), "{page}");
    assert!(page.contains("Expires"), "{page}");

    // No certificate: the handshake fails (no HTTP status at all).
    let out = curl(work, &r.server.ca_certificate_file, &site, &[]);
    assert_eq!(out.status, 0, "{out:?}");
    assert_ne!(out.exit, 0);

    // A certificate from another CA (openssl ca): the handshake fails too.
    let other = OpensslCa::new("Other Test CA");
    let stranger = other
        .issue_client_identity("Stranger", SignOpts::default())
        .write_to(work, "stranger");
    let out = curl(
        work,
        &r.server.ca_certificate_file,
        &site,
        &[
            "--cert",
            &stranger.cert.display().to_string(),
            "--key",
            &stranger.key.display().to_string(),
        ],
    );
    assert_eq!(out.status, 0, "{out:?}");
    assert_ne!(out.exit, 0);
}

#[test]
fn the_ca_persists_across_restarts_and_its_key_file_is_private_and_encrypted() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("practice");
    let vault = Arc::new(MemoryVault::default());
    let first = start(config(&dir, memory_access(&vault))).expect("first start");
    assert!(first.ca_created);
    let fp = first.ca_sha256_fingerprint.clone();
    let code = first.demo_code.expose().to_string();
    first.stop();

    let second = start(config(&dir, memory_access(&vault))).expect("second start");
    assert!(!second.ca_created);
    assert_eq!(second.ca_sha256_fingerprint, fp);
    assert_ne!(
        second.demo_code.expose(),
        code,
        "a new demo code at every start"
    );
    second.stop();

    use std::os::unix::fs::PermissionsExt;
    let key_file = dir.join("ca-key.pem");
    let mode = std::fs::metadata(&key_file)
        .expect("stat")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(&dir).expect("stat").permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let text = std::fs::read_to_string(&key_file).expect("read");
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    // openssl cannot open it without the secret.
    let err = run_tool(
        std::process::Command::new("openssl")
            .args(["pkey", "-passin", "pass:wrong", "-noout", "-in"])
            .arg(&key_file),
    )
    .expect_err("must not open with a wrong password");
    assert!(!err.is_empty());
}

#[test]
fn passphrase_protected_ca_opens_in_openssl_and_no_file_holds_the_plain_key() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("practice");
    let pass = "correct horse battery";
    let server = start(config(&dir, passphrase_access(pass))).expect("start");
    server.stop();
    let key_file = dir.join("ca-key.pem");
    let pw = certdesk_testkit::PasswordFile::new(pass);
    // An implementation we did not write decrypts it (PBES2/PBKDF2/AES) with the passphrase…
    let plain = run_tool(
        std::process::Command::new("openssl")
            .args(["pkey", "-passin"])
            .arg(format!("file:{}", pw.path().display()))
            .arg("-in")
            .arg(&key_file)
            .args(["-outform", "DER"]),
    )
    .expect("openssl pkey decrypts the CA key")
    .stdout;
    // …and it is the key of the CA certificate.
    let pub_of_key = run_tool(
        std::process::Command::new("openssl")
            .args(["pkey", "-pubout", "-passin"])
            .arg(format!("file:{}", pw.path().display()))
            .arg("-in")
            .arg(&key_file),
    )
    .expect("pubout")
    .stdout_text();
    let pub_of_cert = run_tool(
        std::process::Command::new("openssl")
            .args(["x509", "-noout", "-pubkey", "-in"])
            .arg(dir.join("ca.pem")),
    )
    .expect("x509 pubkey")
    .stdout_text();
    assert_eq!(pub_of_key, pub_of_cert);
    // The private scalar (32 bytes at offset 7 of the SEC1 structure inside PKCS#8, found by
    // searching for the OCTET STRING header 04 20) appears in no file of the data dir.
    let pos = plain
        .windows(2)
        .position(|w| w == [0x04, 0x20])
        .expect("octet string of the scalar");
    let scalar = &plain[pos + 2..pos + 34];
    for entry in std::fs::read_dir(&dir).expect("list") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            !bytes.windows(scalar.len()).any(|w| w == scalar),
            "{} holds the plain key",
            path.display()
        );
        let as_text = String::from_utf8_lossy(&bytes);
        assert!(!as_text.contains("BEGIN PRIVATE KEY"), "{}", path.display());
        assert!(
            !as_text.contains("BEGIN EC PRIVATE KEY"),
            "{}",
            path.display()
        );
    }

    // A wrong passphrase is a wrong password; no passphrase names the protection.
    let err = start(config(&dir, passphrase_access("wrong passphrase"))).expect_err("wrong");
    assert_eq!(err.kind(), ErrorKind::WrongPassword, "{err}");
    let vault = Arc::new(MemoryVault::default());
    let err = start(config(&dir, memory_access(&vault))).expect_err("no passphrase");
    assert!(
        err.to_string().contains("protected by a passphrase"),
        "{err}"
    );
    assert!(err.hint().expect("hint").contains("--passphrase-file"));
}

#[test]
fn a_ca_whose_keyring_secret_is_gone_is_explained() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("practice");
    let vault = Arc::new(MemoryVault::default());
    start(config(&dir, memory_access(&vault)))
        .expect("start")
        .stop();
    let fresh = Arc::new(MemoryVault::default());
    let err = start(config(&dir, memory_access(&fresh))).expect_err("secret gone");
    assert!(
        err.to_string().contains("no longer holds its secret"),
        "{err}"
    );
    assert!(err
        .hint()
        .expect("hint")
        .contains(&dir.display().to_string()));
    // Nothing was overwritten: the original vault still opens it.
    let back = start(config(&dir, memory_access(&vault))).expect("original vault");
    assert!(!back.ca_created);
    let _ = vault.name();
}

#[test]
fn a_taken_port_is_a_listen_error_with_a_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let data = tempfile::tempdir().expect("tempdir");
    let vault = Arc::new(MemoryVault::default());
    let mut cfg = config(&data.path().join("practice"), memory_access(&vault));
    cfg.est_port = port;
    let err = start(cfg).expect_err("port taken");
    assert_eq!(
        err.to_string(),
        format!("could not listen on 127.0.0.1:{port}")
    );
    assert!(err
        .hint()
        .expect("hint")
        .contains("another program already uses this port"));
    // Nothing was created before the ports were bound.
    assert!(!data.path().join("practice").exists());
}

#[test]
fn an_unwritable_data_dir_is_an_io_error() {
    let data = tempfile::tempdir().expect("tempdir");
    let file = data.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let vault = Arc::new(MemoryVault::default());
    let err = start(config(&file.join("practice"), memory_access(&vault))).expect_err("not a dir");
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.to_string().contains("a-file"), "{err}");
}

#[test]
fn stop_releases_the_ports() {
    let r = start_memory();
    let est = r.server.est_addr;
    let site = r.server.site_addr;
    r.server.stop();
    std::net::TcpListener::bind(est).expect("EST port free again");
    std::net::TcpListener::bind(site).expect("site port free again");
}

/// The EST port of a running practice server.
fn est_port(r: &Running) -> u16 {
    certdesk_core::weburl::WebUrl::parse(&r.server.est_url, certdesk_core::weburl::UrlUse::Site)
        .expect("the EST address")
        .port()
}

/// Issue #12: every accepted connection got a task of its own, without a limit. Beyond
/// MAX_CONNECTIONS at once, a connection is now closed straight away; the ones within the cap
/// stay open (waiting for their handshake), and once they go the server serves again.
#[test]
fn connections_over_the_cap_are_closed_at_once_and_the_server_still_serves() {
    use std::io::Read;
    let r = start_memory();
    let port = est_port(&r);
    let extra = 8;
    let mut conns: Vec<std::net::TcpStream> = (0..certdesk_practice::MAX_CONNECTIONS + extra)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    // Let the server accept them all before looking.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut closed = 0;
    for c in &mut conns {
        c.set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .expect("read timeout");
        let mut byte = [0u8; 1];
        match c.read(&mut byte) {
            Ok(0) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            _ => {}
        }
    }
    assert_eq!(closed, extra, "connections closed by the server at once");
    drop(conns);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = curl(
        r.work.path(),
        &r.server.ca_certificate_file,
        &format!("{}cacerts", r.server.est_url),
        &[],
    );
    assert_eq!(out.status, 200, "{out:?}");
}

/// Issue #12: the header had a time limit, the body none: a client that announced a body and
/// sent a few bytes held its connection and task for ever. It gets 408 after the client limit
/// (15 s) now.
#[test]
fn a_request_body_that_never_arrives_gets_408() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let r = start_memory();
    let mut client = certdesk_testkit::ChildGuard::new(
        Command::new("openssl")
            .args(["s_client", "-quiet", "-connect"])
            .arg(format!("127.0.0.1:{}", est_port(&r)))
            .arg("-CAfile")
            .arg(&r.server.ca_certificate_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_client"),
    );
    let mut stdin = client.child_mut().stdin.take().expect("stdin");
    stdin
        .write_all(
            b"POST /.well-known/est/simpleenroll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pkcs10\r\nContent-Length: 1000\r\n\r\nMIIB",
        )
        .expect("write");
    stdin.flush().expect("flush");
    let mut stdout = client.child_mut().stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    // The server ends the exchange; s_client then exits. Stop it ourselves if not (30 s).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while client.try_wait().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    client.stop();
    drop(stdin);
    let answer = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("did not arrive within 15 s"), "{answer}");
}
