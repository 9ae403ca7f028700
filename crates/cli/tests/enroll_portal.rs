//! `certdesk enroll portal` with the real binary against a classic "paste or upload your CSR"
//! page: Apache 2.4 + mod_ssl + a CGI script running `openssl ca` (certdesk_testkit::portal).

mod common;

use std::process::Command;

use certdesk_testkit::portal::{PortalServer, PORTAL_PROTECTED_PATH, PORTAL_SUBMIT_PATH};
use certdesk_testkit::{run_tool, OpensslCa};
use common::{arg, openssl, Sandbox};

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
    w.enroll(
        &id,
        PORTAL_SUBMIT_PATH,
        &["--mode", "multipart", "--field", "file"],
    )
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
    assert!(
        run.error().contains("expected an https:// address"),
        "{run}"
    );
    assert!(!w.portal.log().contains("POST"), "{}", w.portal.log());
    assert_eq!(w.sb.status(&id), "pending");
}
