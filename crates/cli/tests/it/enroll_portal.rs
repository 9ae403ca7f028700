//! `certdesk enroll portal` with the real binary against a classic "paste or upload your CSR"
//! page: Apache 2.4 + mod_ssl + a CGI script running `openssl ca` (certdesk_testkit::portal).

use crate::common;
use std::process::Command;

use crate::common::{arg, openssl, Sandbox};
use certdesk_testkit::portal::{PortalServer, PORTAL_PROTECTED_PATH, PORTAL_SUBMIT_PATH};
use certdesk_testkit::{run_tool, OpensslCa};

const USER: &str = "bob";
const PASSWORD: &str = "portal-Pw-31";
const SUBJECT: &str = "CN=Bob Example,O=Example Corp";

struct World {
    ca: OpensslCa,
    portal: PortalServer,
    sb: Sandbox,
}

fn world() -> World {
    let ca = OpensslCa::new("Portal");
    let portal = PortalServer::start(&ca, USER, PASSWORD);
    World {
        ca,
        portal,
        sb: Sandbox::new(),
    }
}

impl World {
    /// `enroll portal ID --url URL(path) --ca-file SERVER_CA EXTRA…`.
    fn enroll(&self, id: &str, path: &str, extra: &[&str]) -> common::Run {
        let url = self.portal.url_for(path);
        let ca_file = self.portal.server_ca_path();
        let mut args = vec![
            "enroll",
            "portal",
            id,
            "--url",
            &url,
            "--ca-file",
            arg(&ca_file),
        ];
        args.extend_from_slice(extra);
        self.sb.run(&args)
    }

    /// The identity is issued with a certificate the portal's CA signed for it.
    #[track_caller]
    fn assert_issued_by_the_portal(&self, id: &str) {
        let shown = self.sb.run(&["--json", "identity", "show", id]).ok().json();
        assert_eq!(
            shown["summary"]["status"],
            "issued",
            "{shown}\n{}",
            self.portal.log()
        );
        let cert = shown["certificate_pem"].as_str().expect("certificate");
        let file = self.sb.file(&format!("{id}.pem"), cert.as_bytes());
        let verified = openssl(&[
            "verify",
            "-CAfile",
            arg(&self.ca.root_path()),
            "-purpose",
            "sslclient",
            arg(&file),
        ]);
        assert!(verified.contains(": OK"), "{verified}");
        let subject = openssl(&[
            "x509",
            "-noout",
            "-subject",
            "-nameopt",
            "RFC2253",
            "-in",
            arg(&file),
        ]);
        assert!(
            subject.contains("CN=Bob Example,O=Example Corp"),
            "{subject}"
        );
        // The chain the page sent with it.
        assert_eq!(
            shown["chain_pem"].as_array().map(Vec::len),
            Some(1),
            "{shown}"
        );
    }
}

#[test]
fn the_form_page_is_served_and_a_pasted_request_is_issued() {
    let w = world();
    // A real page with the form the CLI imitates (curl with OpenSSL as the reference client).
    let page = run_tool(
        Command::new("curl")
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(w.portal.server_ca_path())
            .arg(w.portal.url_for("/")),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .stdout_text();
    assert!(page.contains("<textarea name=\"csr\""), "{page}");
    assert!(page.contains("action=\"/submit.cgi\""), "{page}");

    let id = w.sb.new_request(SUBJECT, &[]);
    let out = w.enroll(&id, PORTAL_SUBMIT_PATH, &[]).ok();
    assert!(out.stdout.contains(&id), "{out}");
    w.assert_issued_by_the_portal(&id);
    w.sb.export_p12_checked(&id, "modern");
}

#[test]
fn a_multipart_upload_is_issued() {
    let w = world();
    let id = w.sb.new_request(SUBJECT, &[]);
    // Without --field: the upload goes in `file`, as the page's form names it (issue #13).
    w.enroll(&id, PORTAL_SUBMIT_PATH, &["--mode", "multipart"])
        .ok();
    w.assert_issued_by_the_portal(&id);
}

#[test]
fn a_raw_pem_body_and_a_raw_der_body_are_issued() {
    let w = world();
    let pem_id = w.sb.new_request(SUBJECT, &[]);
    w.enroll(&pem_id, PORTAL_SUBMIT_PATH, &["--mode", "pem"])
        .ok();
    w.assert_issued_by_the_portal(&pem_id);
    let der_id = w.sb.new_request(SUBJECT, &[]);
    w.enroll(&der_id, PORTAL_SUBMIT_PATH, &["--mode", "der"])
        .ok();
    w.assert_issued_by_the_portal(&der_id);
}

/// The harness itself: a DER request whose last byte looks like ASCII whitespace must reach
/// `openssl ca` intact (the portal script once trimmed it, and a CI run lost a DER upload to
/// that 6-in-256 chance). openssl makes requests until one ends so; curl posts it raw.
#[test]
fn the_portal_takes_a_der_request_whose_last_byte_looks_like_whitespace() {
    let w = world();
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("key.pem");
    let der = dir.path().join("req.der");
    run_tool(Command::new("openssl").args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        arg(&key),
    ]))
    .expect("openssl genpkey");
    let whitespace = [b' ', b'\t', b'\n', b'\r', 0x0b, 0x0c];
    let mut tries = 0;
    loop {
        tries += 1;
        assert!(
            tries <= 1000,
            "openssl never made a request ending in a whitespace byte"
        );
        run_tool(Command::new("openssl").args([
            "req",
            "-new",
            "-key",
            arg(&key),
            "-subj",
            "/CN=Whitespace Tail",
            "-outform",
            "DER",
            "-out",
            arg(&der),
        ]))
        .expect("openssl req");
        let bytes = std::fs::read(&der).expect("read the request");
        if bytes.last().is_some_and(|b| whitespace.contains(b)) {
            break;
        }
    }
    let out = run_tool(Command::new("curl").args([
        "-sS",
        "--max-time",
        "20",
        "--cacert",
        arg(&w.portal.server_ca_path()),
        "-H",
        "Content-Type: application/pkcs10",
        "--data-binary",
        &format!("@{}", der.display()),
        &w.portal.url_for(PORTAL_SUBMIT_PATH),
    ]))
    .expect("curl");
    let answer = out.stdout_text();
    assert!(
        answer.contains("-----BEGIN CERTIFICATE-----") && !answer.contains("Request rejected"),
        "after {tries} tries: {answer}\n{}",
        w.portal.log()
    );
}

#[test]
fn an_html_error_page_is_quoted_by_title_and_the_request_is_kept() {
    let w = world();
    let id = w.sb.new_request(SUBJECT, &[]);
    // The page has no field `certreq`: it answers 200 with its "Request rejected" page.
    let run = w.enroll(&id, PORTAL_SUBMIT_PATH, &["--field", "certreq"]);
    let message = run.error();
    assert!(
        message.contains("found an HTML page titled \"Request rejected\""),
        "{run}\n{}",
        w.portal.log()
    );
    assert!(message.contains(PORTAL_SUBMIT_PATH), "{run}");
    assert!(run.hint().contains("web page"), "{run}");
    assert_eq!(w.sb.status(&id), "pending");
    certdesk_testkit::openssl_req_verify(&w.sb.export_csr(&id)).unwrap_or_else(|e| panic!("{e}"));
    // A retry with the right field works.
    w.enroll(&id, PORTAL_SUBMIT_PATH, &[]).ok();
    w.assert_issued_by_the_portal(&id);
}

#[test]
fn basic_auth_wrong_or_missing_is_a_401_and_the_right_password_is_issued() {
    let w = world();
    let id = w.sb.new_request(SUBJECT, &[]);

    let missing = w.enroll(&id, PORTAL_PROTECTED_PATH, &[]);
    assert!(
        missing
            .error()
            .contains("asks for a user name and an enrollment code or password (401)"),
        "{missing}"
    );
    assert!(missing.hint().contains("--password-file"), "{missing}");

    let wrong = w.sb.secret_file("wrong", "not-the-password");
    let refused = w.enroll(
        &id,
        PORTAL_PROTECTED_PATH,
        &["--user", USER, "--password-file", arg(&wrong)],
    );
    assert!(
        refused
            .error()
            .contains("did not accept the user name and code or password (401)"),
        "{refused}"
    );
    assert!(refused.hint().contains("check the user name"), "{refused}");
    assert_eq!(w.sb.status(&id), "pending");

    let right = w.sb.secret_file("right", PASSWORD);
    w.enroll(
        &id,
        PORTAL_PROTECTED_PATH,
        &["--user", USER, "--password-file", arg(&right)],
    )
    .ok();
    w.assert_issued_by_the_portal(&id);
    // Apache logged the user for the accepted request only after the refusals.
    let log = w.portal.log();
    assert!(
        log.contains(&format!("{USER} \"POST {PORTAL_PROTECTED_PATH}")),
        "{log}"
    );
    assert!(!log.contains(PASSWORD));
}

#[test]
fn a_plain_http_portal_address_is_refused() {
    let w = world();
    let id = w.sb.new_request(SUBJECT, &[]);
    let url = format!("http://127.0.0.1:{}{PORTAL_SUBMIT_PATH}", w.portal.port());
    let run = w.sb.run(&["enroll", "portal", &id, "--url", &url]);
    assert!(run.error().contains("plain http://"), "{run}");
    assert!(!w.portal.log().contains("POST"), "{}", w.portal.log());
    assert_eq!(w.sb.status(&id), "pending");
}
