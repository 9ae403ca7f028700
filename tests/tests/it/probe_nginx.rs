//! The site check against real nginx servers (`ssl_verify_client`): nginx always finishes the
//! handshake and answers a missing or refused certificate with its stock 400 pages, or with
//! the 403 of a `$ssl_client_verify` rule.

use crate::common::{assert_report, assert_requested, explain, finding, probe};
use certdesk_core::probe::{Origin, Verdict};
use certdesk_testkit::servers::fixture::{client_pki, foreign_pki};
use certdesk_testkit::servers::{NginxSpec, NginxVerify, TlsVersions};

#[test]
fn nginx_verify_on_accepts_alice_and_explains_missing_and_foreign_certificates() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem).start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));
    assert_requested(&ok, true);
    assert_eq!(
        ok.transcript.http_status,
        Some(200),
        "{}",
        explain(&ok, None)
    );
    assert!(
        ok.transcript
            .acceptable_ca_names
            .iter()
            .any(|n| n.contains("Example Client Root CA")),
        "nginx lists its client CA\n{}",
        explain(&ok, None)
    );

    // No certificate: the handshake completes and nginx answers its 400 page.
    let none = probe(&server, "/", None);
    assert_report(
        &none,
        Verdict::Rejected,
        &["rejected_no_certificate"],
        Some(&server),
    );
    assert_requested(&none, false);
    assert_eq!(none.transcript.http_status, Some(400));

    // A certificate from a CA nginx does not list: the acceptable CA names say why.
    let stranger = probe(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_report(
        &stranger,
        Verdict::Rejected,
        &["issuer_not_accepted"],
        Some(&server),
    );
    assert_eq!(stranger.transcript.http_status, Some(400));
    let f = finding(&stranger, "issuer_not_accepted");
    assert_eq!(f.origin, Origin::Server);
    assert_eq!(
        f.summary,
        "The site only accepts certificates from Example Client Root CA; yours is from Example Other Root CA."
    );
}

#[test]
fn nginx_optional_accepts_alice_and_403_without_a_certificate_is_no_certificate() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem)
        .verify(NginxVerify::Optional)
        .start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));

    // Certificate requested, none sent, then `if ($ssl_client_verify != SUCCESS) { return 403; }`.
    let none = probe(&server, "/", None);
    assert_report(
        &none,
        Verdict::Rejected,
        &["rejected_no_certificate"],
        Some(&server),
    );
    assert_requested(&none, false);
    assert_eq!(none.transcript.http_status, Some(403));
}

#[test]
fn nginx_trusting_another_ca_does_not_accept_alice_issuer() {
    let pki = client_pki();
    let server = NginxSpec::new(&foreign_pki().ca_pem).start();

    let report = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(
        &report,
        Verdict::Rejected,
        &["issuer_not_accepted"],
        Some(&server),
    );
    assert_eq!(
        finding(&report, "issuer_not_accepted").summary,
        "The site only accepts certificates from Example Other Root CA; yours is from Example Client Root CA."
    );
}

#[test]
fn nginx_tls12_only_accepts_alice_over_tls12() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem)
        .tls(TlsVersions::Tls12Only)
        .start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));
    assert_eq!(
        ok.transcript.tls_version.as_deref(),
        Some("TLSv1.2"),
        "{}",
        explain(&ok, None)
    );
    assert_eq!(ok.transcript.http_status, Some(200));
}

#[test]
fn nginx_with_a_crl_refuses_the_revoked_certificate_with_its_400_page() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem).crl(&pki.crl_pem).start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));

    // nginx says only "400 The SSL certificate error" (the reason is in its log): certdesk
    // cannot tell revocation from any other verification failure, so the generic code is
    // the honest one; `cert_revoked` would be a guess.
    let revoked = probe(&server, "/", Some(("revoked", &pki.revoked)));
    assert_report(
        &revoked,
        Verdict::Rejected,
        &["rejected_bad_certificate"],
        Some(&server),
    );
    assert_requested(&revoked, true);
    assert_eq!(revoked.transcript.http_status, Some(400));
    assert!(
        server.log().contains("revoked"),
        "nginx logged the revocation\n{}",
        server.log()
    );
}

/// The check offers `h2, http/1.1` by ALPN as a browser does, records what the server chose,
/// and each check is exactly one request with the normalised, percent-encoded path, whichever
/// HTTP version carries it.
#[test]
fn nginx_over_http2_and_http11_gets_exactly_one_request_per_check() {
    let pki = client_pki();
    for (spec, version, logged) in [
        (
            NginxSpec::new(&pki.ca_pem).http2(),
            "HTTP/2",
            "GET /caf%C3%A9/a%22b?q=1 HTTP/2.0",
        ),
        (
            NginxSpec::new(&pki.ca_pem),
            "HTTP/1.1",
            "GET /caf%C3%A9/a%22b?q=1 HTTP/1.1",
        ),
    ] {
        let server = spec.start();
        let ok = probe(&server, "/café/a\"b?q=1#frag", Some(("alice", &pki.alice)));
        assert_report(&ok, Verdict::Accepted, &[], Some(&server));
        assert_eq!(
            ok.transcript.http_version.as_deref(),
            Some(version),
            "{}",
            explain(&ok, Some(&server))
        );
        assert_eq!(ok.transcript.http_status, Some(200));
        assert!(
            ok.transcript
                .body_excerpt
                .as_deref()
                .is_some_and(|b| b.starts_with("hello ") && b.contains("alice")),
            "{}",
            explain(&ok, Some(&server))
        );
        assert_eq!(server.logged_requests(1), vec![logged.to_string()]);
    }
}
