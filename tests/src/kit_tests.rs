//! The kit proves itself with openssl, NSS and keytool alone: every fixture it builds is
//! accepted (or, for the broken fixtures, rejected for the right reason) by those tools.

use std::path::Path;
use std::process::Command;

use crate::*;

/// A CSR made by `openssl req` (not by certdesk), with an email SAN.
fn openssl_csr(dir: &Path, cn: &str) -> (Vec<u8>, Vec<u8>) {
    let key = dir.join(format!("{cn}.key"));
    let csr = dir.join(format!("{cn}.csr"));
    run_tool(
        Command::new("openssl")
            .args([
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-noenc", "-subj"])
            .arg(format!("/C=DE/O=Example/OU=Lab/OU=Staff/CN={cn}"))
            .arg("-addext")
            .arg(format!("subjectAltName=email:{cn}@example.test"))
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&csr),
    )
    .expect("openssl makes a CSR");
    (
        std::fs::read(&key).expect("key written"),
        std::fs::read(&csr).expect("csr written"),
    )
}

fn count_certs(pem: &[u8]) -> usize {
    String::from_utf8_lossy(pem)
        .matches("-----BEGIN CERTIFICATE-----")
        .count()
}

#[test]
fn root_ca_signs_a_client_certificate_openssl_verifies() {
    let tmp = temp_home();
    let ca = OpensslCa::new("Kit");
    let (_key, csr) = openssl_csr(tmp.path(), "alice");

    let req = openssl_req_verify(&csr).expect("openssl accepts its own CSR");
    assert!(req.contains("verify OK"), "{req}");

    let signed = ca.sign_csr(&csr, SignOpts::default());
    assert_eq!(count_certs(&signed.chain_pem), 1, "root only");
    assert_eq!(signed.chain_pem, ca.root_pem());
    assert_eq!(
        signed.serial_hex, "1001",
        "root's own certificate took 1000"
    );

    let ok = openssl_verify(ca.root_pem(), None, &signed.cert_pem, Some("sslclient"))
        .expect("client certificate verifies against the root");
    assert!(ok.contains("OK"), "{ok}");

    let text = openssl_x509_text(&signed.cert_der).expect("DER parses");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    assert!(text.contains("Digital Signature"), "{text}");
    assert!(
        text.contains("email:alice@example.test"),
        "SAN copied: {text}"
    );
    assert!(text.contains("CA:FALSE"), "{text}");
    // `preserve = yes` keeps the requested DN as is, both OUs included.
    assert!(
        text.contains("Subject: C = DE, O = Example, OU = Lab, OU = Staff, CN = alice"),
        "{text}"
    );
    assert!(
        text.contains("Issuer: O = certdesk-testkit, CN = Kit Root CA"),
        "{text}"
    );
    assert_eq!(
        openssl_x509_text(&signed.cert_pem).expect("PEM parses"),
        text,
        "PEM and DER are the same certificate"
    );
}

#[test]
fn intermediate_ca_issues_with_a_two_certificate_chain() {
    let tmp = temp_home();
    let ca = OpensslCa::with_intermediate("Kit");
    let (_key, csr) = openssl_csr(tmp.path(), "bob");
    let signed = ca.sign_csr(&csr, SignOpts::default());

    assert_eq!(count_certs(&signed.chain_pem), 2);
    let inter = ca.intermediate_pem().expect("has an intermediate");
    assert!(signed.chain_pem.starts_with(inter), "intermediate first");
    assert!(signed.chain_pem.ends_with(ca.root_pem()), "root last");
    assert_eq!(ca.issuer_pem(), inter);
    assert_eq!(signed.serial_hex, "2000");

    openssl_verify(
        ca.root_pem(),
        Some(inter),
        &signed.cert_pem,
        Some("sslclient"),
    )
    .expect("verifies through the intermediate");
    let err = openssl_verify(ca.root_pem(), None, &signed.cert_pem, None)
        .expect_err("without the intermediate there is no path");
    assert!(
        err.contains("unable to get local issuer certificate"),
        "{err}"
    );

    let text = openssl_x509_text(&signed.cert_pem).expect("parses");
    assert!(text.contains("CN = Kit Issuing CA"), "{text}");
}

#[test]
fn broken_fixtures_fail_for_the_right_reason() {
    let tmp = temp_home();
    let ca = OpensslCa::new("Kit");
    let (_key, csr) = openssl_csr(tmp.path(), "carol");

    let expired = ca.sign_csr(&csr, SignOpts::expired());
    let err = openssl_verify(ca.root_pem(), None, &expired.cert_pem, Some("sslclient"))
        .expect_err("expired");
    assert!(err.contains("certificate has expired"), "{err}");

    let early = ca.sign_csr(&csr, SignOpts::not_yet_valid());
    let err = openssl_verify(ca.root_pem(), None, &early.cert_pem, Some("sslclient"))
        .expect_err("not yet valid");
    assert!(err.contains("certificate is not yet valid"), "{err}");

    let server_only = ca.sign_csr(&csr, SignOpts::without_client_auth());
    openssl_verify(ca.root_pem(), None, &server_only.cert_pem, None)
        .expect("a valid certificate in itself");
    let err = openssl_verify(
        ca.root_pem(),
        None,
        &server_only.cert_pem,
        Some("sslclient"),
    )
    .expect_err("unsuitable for client auth");
    assert!(err.contains("unsuitable certificate purpose"), "{err}");
    let text = openssl_x509_text(&server_only.cert_pem).expect("parses");
    assert!(!text.contains("TLS Web Client Authentication"), "{text}");

    let err = ca
        .try_sign_csr(
            b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            SignOpts::default(),
        )
        .expect_err("garbage is refused");
    assert!(err.contains("openssl ca"), "error names the command: {err}");
}

#[test]
fn der_csr_is_accepted_too() {
    let tmp = temp_home();
    let ca = OpensslCa::new("Kit");
    let (_key, csr) = openssl_csr(tmp.path(), "dave");
    let der = run_tool_with_stdin(
        Command::new("openssl").args(["req", "-outform", "DER"]),
        &csr,
    )
    .expect("convert to DER")
    .stdout;
    openssl_req_verify(&der).expect("DER CSR verifies");
    let signed = ca.sign_csr(&der, SignOpts::default());
    openssl_verify(ca.root_pem(), None, &signed.cert_pem, Some("sslclient")).expect("valid");
}

#[test]
fn p7b_holds_leaf_and_chain_in_both_encodings() {
    let tmp = temp_home();
    let ca = OpensslCa::with_intermediate("Kit");
    let (_key, csr) = openssl_csr(tmp.path(), "erin");
    let signed = ca.sign_csr(&csr, SignOpts::default());

    let der = ca.p7b(&[&signed.cert_pem, &signed.chain_pem], P7Form::Der);
    assert_eq!(der.first(), Some(&0x30), "DER SEQUENCE");
    let listed = openssl_pkcs7_certs(&der).expect("openssl reads the DER PKCS#7");
    assert_eq!(count_certs(listed.as_bytes()), 3, "{listed}");
    assert!(listed.contains("CN = erin"), "{listed}");

    let pem = ca.p7b(&[&signed.cert_pem], P7Form::Pem);
    assert!(pem.starts_with(b"-----BEGIN PKCS7-----"));
    let listed = openssl_pkcs7_certs(&pem).expect("openssl reads the PEM PKCS#7");
    assert_eq!(count_certs(listed.as_bytes()), 1, "{listed}");
}

#[test]
fn revoked_certificate_appears_on_the_crl() {
    let tmp = temp_home();
    let ca = OpensslCa::new("Kit");
    let (_key, csr) = openssl_csr(tmp.path(), "frank");
    let good = ca.sign_csr(&csr, SignOpts::default());
    let bad = ca.sign_csr(&csr, SignOpts::default());
    ca.revoke(&bad.cert_pem);
    let crl = ca.gencrl();

    let crl_text = run_tool_with_stdin(
        Command::new("openssl").args(["crl", "-noout", "-text"]),
        &crl,
    )
    .expect("openssl reads the CRL")
    .stdout_text();
    assert!(
        crl_text.contains(&format!("Serial Number: {}", bad.serial_hex)),
        "{crl_text}"
    );
    assert!(!crl_text.contains(&format!("Serial Number: {}", good.serial_hex)));

    let crl_path = tmp.path().join("ca.crl");
    std::fs::write(&crl_path, &crl).expect("write CRL");
    let check = |cert: &[u8]| {
        let cert_path = tmp.path().join("leaf.pem");
        std::fs::write(&cert_path, cert).expect("write leaf");
        run_tool(
            Command::new("openssl")
                .args(["verify", "-crl_check", "-CAfile"])
                .arg(ca.root_path())
                .arg("-CRLfile")
                .arg(&crl_path)
                .arg(&cert_path),
        )
    };
    check(&good.cert_pem).expect("unrevoked passes the CRL check");
    let err = check(&bad.cert_pem).expect_err("revoked fails");
    assert!(err.contains("certificate revoked"), "{err}");
}

#[test]
fn modern_p12_is_read_by_openssl_nss_and_keytool() {
    let tmp = temp_home();
    let ca = OpensslCa::with_intermediate("Kit");
    let id = ca.issue_client_identity("grace", SignOpts::default());
    let p12 = openssl_pkcs12_export(
        &id.key_pem,
        &id.cert.cert_pem,
        Some(&id.cert.chain_pem),
        Some("grace-id"),
        "correct horse",
        OpensslP12Profile::Modern,
    )
    .expect("openssl exports");
    let p12_path = tmp.path().join("grace.p12");
    std::fs::write(&p12_path, &p12).expect("write p12");

    let info = openssl_pkcs12_info(&p12, "correct horse").expect("openssl opens it");
    assert!(info.contains("MAC: sha256"), "{info}");
    assert!(info.contains("AES-256-CBC"), "{info}");
    assert!(info.contains("friendlyName: grace-id"), "{info}");
    let err = openssl_pkcs12_info(&p12, "wrong").expect_err("wrong password");
    assert!(err.contains("invalid password"), "{err}");

    let db = NssDb::create(tmp.path().join("nssdb")).expect("certutil -N");
    let listed = db
        .list_p12(&p12_path, "correct horse")
        .expect("pk12util -l");
    assert!(listed.contains("grace"), "{listed}");
    db.import_p12(&p12_path, "correct horse")
        .expect("pk12util -i");
    let certs = db.list_certs().expect("certutil -L");
    assert!(certs.contains("grace-id"), "{certs}");
    let keys = db.list_keys().expect("certutil -K");
    assert!(keys.contains("grace-id"), "{keys}");
    let pem = db.cert_pem("grace-id").expect("certutil -L -n -a");
    openssl_verify(
        ca.root_pem(),
        ca.intermediate_pem(),
        pem.as_bytes(),
        Some("sslclient"),
    )
    .expect("NSS hands back the same valid certificate");
    let err = db
        .import_p12(&p12_path, "wrong")
        .expect_err("wrong password");
    assert!(err.contains("pk12util"), "{err}");

    let java = keytool_list_p12(&p12_path, "correct horse").expect("keytool -list");
    assert!(java.contains("PrivateKeyEntry"), "{java}");
    assert!(java.contains("Certificate chain length: 3"), "{java}");
    let err = keytool_list_p12(&p12_path, "wrong").expect_err("wrong password");
    assert!(err.contains("keytool error"), "{err}");
}

#[test]
fn compatible_p12_imports_into_a_password_protected_nss_db() {
    let tmp = temp_home();
    let ca = OpensslCa::new("Kit");
    let id = ca.issue_client_identity("heidi", SignOpts::default());
    let p12 = openssl_pkcs12_export(
        &id.key_pem,
        &id.cert.cert_pem,
        Some(&id.cert.chain_pem),
        Some("heidi-id"),
        "p12 pass",
        OpensslP12Profile::Compatible3Des,
    )
    .expect("openssl exports 3DES");
    let p12_path = tmp.path().join("heidi.p12");
    std::fs::write(&p12_path, &p12).expect("write p12");

    let info = openssl_pkcs12_info(&p12, "p12 pass").expect("openssl opens it without -legacy");
    assert!(info.contains("MAC: sha1"), "{info}");
    assert!(info.contains("pbeWithSHA1And3-KeyTripleDES-CBC"), "{info}");

    let db =
        NssDb::create_with_password(tmp.path().join("nssdb"), "db pass").expect("certutil -N -f");
    db.import_p12(&p12_path, "p12 pass")
        .expect("pk12util -i -k");
    let keys = db.list_keys().expect("certutil -K -f");
    assert!(keys.contains("heidi-id"), "{keys}");
    let java = keytool_list_p12(&p12_path, "p12 pass").expect("keytool reads 3DES");
    assert!(java.contains("PrivateKeyEntry"), "{java}");
}

#[test]
fn legacy_rc2_p12_needs_openssl_legacy() {
    let ca = OpensslCa::new("Kit");
    let id = ca.issue_client_identity("ivan", SignOpts::default());
    let p12 = openssl_pkcs12_export(
        &id.key_pem,
        &id.cert.cert_pem,
        None,
        None,
        "old",
        OpensslP12Profile::LegacyRc2,
    )
    .expect("openssl -legacy exports RC2-40");
    let err = openssl_pkcs12_info(&p12, "old").expect_err("OpenSSL 3 without -legacy refuses RC2");
    assert!(err.contains("unsupported") || err.contains("RC2"), "{err}");
}

#[test]
fn server_identity_has_loopback_names() {
    let tmp = temp_home();
    let ca = OpensslCa::with_intermediate("Kit");
    let id = ca.issue_server_identity(&["localhost", "127.0.0.1"]);
    let text = openssl_x509_text(&id.cert.cert_pem).expect("parses");
    assert!(text.contains("DNS:localhost"), "{text}");
    assert!(text.contains("IP Address:127.0.0.1"), "{text}");
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    openssl_verify(
        ca.root_pem(),
        ca.intermediate_pem(),
        &id.cert.cert_pem,
        Some("sslserver"),
    )
    .expect("valid server certificate");

    let files = id.write_to(tmp.path(), "server");
    let key_check = run_tool(
        Command::new("openssl")
            .arg("pkey")
            .arg("-noout")
            .arg("-in")
            .arg(&files.key),
    );
    key_check.expect("key file readable by openssl");
    assert_eq!(
        count_certs(&std::fs::read(&files.full_chain).expect("fullchain")),
        3
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&files.key)
        .expect("key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn one_ca_signs_from_many_threads() {
    let tmp = temp_home();
    let ca = OpensslCa::new("Kit");
    let (_key, csr) = openssl_csr(tmp.path(), "judy");
    let serials: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| ca.sign_csr(&csr, SignOpts::default()).serial_hex))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("signing thread"))
            .collect()
    });
    let mut unique = serials.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "{serials:?}");
}

#[test]
fn temp_home_is_fresh_and_private_to_the_test() {
    let a = temp_home();
    let b = temp_home();
    assert_ne!(a.path(), b.path());
    let home = std::env::var_os("HOME");
    assert!(home.is_none_or(|h| Path::new(&h) != a.path()));
    assert_eq!(std::fs::read_dir(a.path()).expect("readable").count(), 0);
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

/// The SCEP harness proves itself with micromdm's own `scepclient`: the right challenge gets
/// a certificate that `openssl verify` accepts against the server's CA, a wrong one and a
/// subject the verifier script refuses get none; afterwards nothing the harness started runs.
#[test]
fn scep_server_enrolls_scepclient_and_stops_everything() {
    let server = crate::scep::ScepServer::start("kit-challenge");
    let work = server.scratch();
    let enroll = |cn: &str, challenge: &str| {
        // scepclient reuses ./csr.pem (with its old CN and challenge): a fresh directory each.
        let dir = work.join(cn.replace(' ', "_"));
        std::fs::create_dir_all(&dir).expect("dir");
        let out = Command::new("scepclient")
            .arg("-server-url")
            .arg(server.url())
            .args(["-challenge", challenge, "-cn", cn])
            .arg("-ca-fingerprint")
            .arg(server.ca_sha256().replace(':', "").to_ascii_lowercase())
            .args(["-private-key", "k.pem", "-certificate", "c.pem"])
            .current_dir(&dir)
            .output()
            .expect("scepclient runs");
        (dir.join("c.pem"), out)
    };
    let (cert, out) = enroll("kit alice", "kit-challenge");
    assert!(
        cert.exists(),
        "scepclient got no certificate: {}\n--- server ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    openssl_verify(
        &crate::cmd::read_file(&server.ca_path()),
        None,
        &crate::cmd::read_file(&cert),
        Some("sslclient"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (cert, _) = enroll("kit mallory", "wrong");
    assert!(!cert.exists(), "a wrong challenge got a certificate");
    assert!(
        server.log().contains("invalid challenge"),
        "{}",
        server.log()
    );
    let (cert, _) = enroll("please refuse me", "kit-challenge");
    assert!(!cert.exists(), "the verifier's refusal got a certificate");
    assert!(
        server.log().contains("CSR verify failed"),
        "{}",
        server.log()
    );
    let (server_pid, (ns_pid, bridge_pid)) = (server.server_pid(), server.guard_pids());
    assert!(alive(server_pid) && alive(ns_pid) && alive(bridge_pid));
    let port = server.port();
    drop(server);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while alive(server_pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for pid in [server_pid, ns_pid, bridge_pid] {
        assert!(!alive(pid), "pid {pid} survived the harness");
    }
    assert!(
        wait_for_port(port, std::time::Duration::from_millis(200)).is_err(),
        "something still listens on {port}"
    );
}
