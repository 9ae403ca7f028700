//! The site check against real Apache 2.4 mod_ssl servers: refusals are TLS alerts (during the
//! handshake in TLS 1.2, on the first read in TLS 1.3), organisation rules answer 403, and
//! `SSLVerifyClient` inside `<Location>` asks only after the handshake.

use crate::common;
use crate::common::{
    assert_report, assert_requested, explain, finding, probe, probe_url_within, severity_of,
};
use certdesk_core::probe::recheck::RecheckMethod;
use certdesk_core::probe::{Severity, Verdict};
use certdesk_testkit::servers::fixture::{chained_pki, client_pki, foreign_pki, ORG};
use certdesk_testkit::servers::{ApacheSpec, ApacheVerify, Curl, TlsVersions, APACHE_SECURE_PATH};

/// The probe's per-phase limit where the server waits for a renegotiation that never comes.
const RENEGOTIATION_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

#[track_caller]
fn assert_alert(report: &certdesk_core::probe::ProbeReport, description: &str, when: &str) {
    let alert = report.transcript.alert.as_ref();
    assert!(
        alert.is_some_and(|a| a.description == description && a.when == when),
        "expected alert {description} ({when})\n{}",
        explain(report, None)
    );
}

#[test]
fn apache_require_tls13_accepts_alice_and_explains_alerts_after_the_handshake() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .tls(TlsVersions::Tls13Only)
        .start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));
    assert_eq!(ok.transcript.tls_version.as_deref(), Some("TLSv1.3"));
    assert_eq!(ok.transcript.http_status, Some(200));

    let none = probe(&server, "/", None);
    assert_report(
        &none,
        Verdict::Rejected,
        &["rejected_no_certificate"],
        Some(&server),
    );
    assert_alert(&none, "CertificateRequired", "after_handshake");

    let stranger = probe(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_report(
        &stranger,
        Verdict::Rejected,
        &["issuer_not_accepted", "rejected_unknown_ca"],
        Some(&server),
    );
    assert_alert(&stranger, "UnknownCA", "after_handshake");
    assert_eq!(
        finding(&stranger, "issuer_not_accepted").summary,
        "The site only accepts certificates from Example Client Root CA; yours is from Example Other Root CA."
    );
}

#[test]
fn apache_optional_with_ssl_require_denies_the_wrong_organisation() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::Optional)
        .ssl_require_org(ORG)
        .start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));

    // The handshake took mallory's certificate; the SSLRequire rule answers 403.
    let mallory = probe(&server, "/", Some(("mallory", &pki.mallory)));
    assert_report(
        &mallory,
        Verdict::Rejected,
        &["access_denied"],
        Some(&server),
    );
    assert_requested(&mallory, true);
    assert_eq!(mallory.transcript.http_status, Some(403));

    // Asked, none sent, 403 from `Require expr %{SSL_CLIENT_VERIFY} == 'SUCCESS'`.
    let none = probe(&server, "/", None);
    assert_report(
        &none,
        Verdict::Rejected,
        &["rejected_no_certificate"],
        Some(&server),
    );
    assert_eq!(none.transcript.http_status, Some(403));
}

#[test]
fn apache_require_expr_on_the_organisation_denies_mallory() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem).require_org(ORG).start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));

    let mallory = probe(&server, "/", Some(("mallory", &pki.mallory)));
    assert_report(
        &mallory,
        Verdict::Rejected,
        &["access_denied"],
        Some(&server),
    );
    assert_eq!(mallory.transcript.http_status, Some(403));
    assert!(
        finding(&mallory, "access_denied")
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("Forbidden")),
        "{}",
        explain(&mallory, Some(&server))
    );
}

#[test]
fn apache_tls12_with_a_crl_reports_the_revocation_alert() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .tls(TlsVersions::Tls12Only)
        .crl(&pki.crl_pem)
        .start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));
    assert_eq!(ok.transcript.tls_version.as_deref(), Some("TLSv1.2"));

    let revoked = probe(&server, "/", Some(("revoked", &pki.revoked)));
    assert_report(
        &revoked,
        Verdict::Rejected,
        &["cert_revoked"],
        Some(&server),
    );
    assert_alert(&revoked, "CertificateRevoked", "handshake");

    // TLS 1.2 without a certificate: a handshake_failure alert while we sent none.
    let none = probe(&server, "/", None);
    assert_report(
        &none,
        Verdict::Rejected,
        &["rejected_no_certificate"],
        Some(&server),
    );
    assert_alert(&none, "HandshakeFailure", "handshake");
}

#[test]
fn apache_verify_depth_1_refuses_a_two_level_chain_with_a_remedy() {
    let chained = chained_pki();
    let shallow = ApacheSpec::new(&chained.root_pem).verify_depth(1).start();
    let deep = ApacheSpec::new(&chained.root_pem).verify_depth(2).start();

    // Apache's log says "Certificate Chain too long"; on the wire there is only an
    // internal_error alert, so certdesk can only say the certificate was refused.
    let refused = probe(&shallow, "/", Some(("carol", &chained.carol)));
    assert_report(
        &refused,
        Verdict::Rejected,
        &["rejected_bad_certificate"],
        Some(&shallow),
    );
    assert_alert(&refused, "InternalError", "after_handshake");
    assert!(!finding(&refused, "rejected_bad_certificate")
        .remedy
        .is_empty());
    assert!(
        shallow.log().contains("Chain too long"),
        "{}",
        shallow.log()
    );

    let accepted = probe(&deep, "/", Some(("carol", &chained.carol)));
    assert_report(&accepted, Verdict::Accepted, &[], Some(&deep));
}

#[test]
fn apache_per_location_tls13_is_accepted_through_post_handshake_auth() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls13Only)
        .require_org(ORG)
        .start();

    // Outside the protected path nobody is asked.
    let open = probe(&server, "/", None);
    assert_report(
        &open,
        Verdict::NotRequested,
        &["cert_not_requested"],
        Some(&server),
    );
    assert_eq!(open.transcript.http_status, Some(200));

    // rustls cannot answer the post-handshake request; the openssl re-check can, and alice
    // gets through, so the certificate works but Chromium-based browsers will fail.
    let ok = probe(&server, APACHE_SECURE_PATH, Some(("alice", &pki.alice)));
    assert_report(
        &ok,
        Verdict::Accepted,
        &["needs_post_handshake_auth"],
        Some(&server),
    );
    assert_eq!(
        severity_of(&ok, "needs_post_handshake_auth"),
        Severity::Warning
    );
    assert!(!ok.transcript.certificate_requested);
    let pha = ok
        .transcript
        .per_path_rechecks
        .iter()
        .find(|r| r.method == RecheckMethod::Tls13PostHandshake)
        .unwrap_or_else(|| panic!("no post-handshake re-check\n{}", explain(&ok, None)));
    assert_eq!(
        pha.http_status,
        Some(200),
        "{}",
        explain(&ok, Some(&server))
    );
}

/// RFC 8740: over HTTP/2 a page cannot ask for a certificate after the handshake. The check
/// offers `h2` as browsers do; Apache's mod_http2 resets such a request with
/// HTTP_1_1_REQUIRED, and the report says so beside the per-page re-checks over HTTP/1.1.
#[test]
fn apache_per_location_over_http2_is_reset_and_explained() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls12Only)
        .http2()
        .start();

    let open = probe(&server, "/", None);
    assert_eq!(
        open.transcript.http_version.as_deref(),
        Some("HTTP/2"),
        "{}",
        explain(&open, Some(&server))
    );
    assert_eq!(open.transcript.http_status, Some(200));

    let ok = probe(
        &server,
        &format!("{APACHE_SECURE_PATH}/page"),
        Some(("alice", &pki.alice)),
    );
    assert_eq!(
        ok.transcript.http2_reset.as_deref(),
        Some("HTTP_1_1_REQUIRED"),
        "{}",
        explain(&ok, Some(&server))
    );
    assert_report(
        &ok,
        Verdict::Accepted,
        &["http2_per_page_certificate", "needs_post_handshake_auth"],
        Some(&server),
    );
    assert_eq!(
        severity_of(&ok, "http2_per_page_certificate"),
        Severity::Warning
    );
}

#[test]
fn apache_per_location_tls12_is_accepted_through_renegotiation() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls12Only)
        .start();

    let open = probe(&server, "/", None);
    assert_report(
        &open,
        Verdict::NotRequested,
        &["cert_not_requested"],
        Some(&server),
    );

    // Apache sends a HelloRequest and waits for the renegotiation, which rustls declines
    // silently. The probe sees a small record and then silence, stops waiting (instead of
    // waiting out its 10 s limit) and runs the re-checks.
    let ok = probe(
        &server,
        &format!("{APACHE_SECURE_PATH}/page"),
        Some(("alice", &pki.alice)),
    );
    assert!(
        ok.transcript
            .error_detail
            .as_deref()
            .is_some_and(|d| d.contains("asked to renegotiate")),
        "the first request should end on the renegotiation request, not the time limit\n{}",
        explain(&ok, Some(&server))
    );
    assert_report(
        &ok,
        Verdict::Accepted,
        &["needs_post_handshake_auth"],
        Some(&server),
    );
    assert_eq!(
        severity_of(&ok, "needs_post_handshake_auth"),
        Severity::Warning
    );
    assert_eq!(ok.transcript.tls_version.as_deref(), Some("TLSv1.2"));
    let reneg = ok
        .transcript
        .per_path_rechecks
        .iter()
        .find(|r| r.method == RecheckMethod::Tls12Renegotiation)
        .unwrap_or_else(|| panic!("no renegotiation re-check\n{}", explain(&ok, None)));
    assert_eq!(
        reneg.http_status,
        Some(200),
        "{}",
        explain(&ok, Some(&server))
    );
}

/// A per-location site that refuses the holder after taking the certificate (post-handshake):
/// the re-check saw the certificate taken and a 403 from the organisation rule, so the cause
/// is access, not the per-page request; "ask the administrator to require the certificate for
/// the whole site" would not let mallory in.
#[test]
fn apache_per_location_refusal_of_the_holder_is_access_denied() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls13Only)
        .require_org(ORG)
        .start();

    let mallory = probe(&server, APACHE_SECURE_PATH, Some(("mallory", &pki.mallory)));
    assert!(
        mallory
            .transcript
            .per_path_rechecks
            .iter()
            .any(|r| r.method == RecheckMethod::Tls13PostHandshake && r.http_status == Some(403)),
        "the post-handshake re-check reached the O rule\n{}",
        explain(&mallory, Some(&server))
    );
    assert_eq!(
        mallory.verdict,
        Verdict::Rejected,
        "{}",
        explain(&mallory, Some(&server))
    );
    assert!(common::codes(&mallory).contains(&"needs_post_handshake_auth"));
    assert!(
        common::codes(&mallory).contains(&"access_denied"),
        "403 after the certificate was taken is an access refusal\n{}",
        explain(&mallory, Some(&server))
    );
}

/// Same site, a certificate from a CA it does not trust: the re-check ends with OpenSSL's
/// "alert unknown ca", which is the reason to report.
#[test]
fn apache_per_location_refusal_of_a_foreign_ca_is_unknown_ca() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls13Only)
        .start();

    let stranger = probe(
        &server,
        APACHE_SECURE_PATH,
        Some(("stranger", &foreign_pki().stranger)),
    );
    assert_eq!(
        stranger.verdict,
        Verdict::Rejected,
        "{}",
        explain(&stranger, Some(&server))
    );
    assert!(common::codes(&stranger).contains(&"needs_post_handshake_auth"));
    assert!(
        common::codes(&stranger).contains(&"rejected_unknown_ca"),
        "the re-check's alert names the cause\n{}",
        explain(&stranger, Some(&server))
    );
}

/// The re-check must read what `openssl s_client` prints while it runs: a protected page
/// larger than a pipe buffer (64 KiB) must not stall it until the time limit and turn an
/// accepted certificate into a refusal.
#[test]
fn apache_per_location_with_a_large_page_is_still_accepted() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls13Only)
        .start();
    // Every URL serves this server-side-include page; make it about 200 KB.
    let page = server.dir().join("htdocs").join("hello.shtml");
    let mut body = b"hello <!--#echo encoding=\"none\" var=\"SSL_CLIENT_S_DN\" -->\n".to_vec();
    body.extend(std::iter::repeat_n(b'x', 200_000));
    body.push(b'\n');
    std::fs::write(&page, body).expect("rewrite the page");
    // The reference client gets the whole page through post-handshake auth.
    let curl = Curl::to(&server, APACHE_SECURE_PATH)
        .identity(&pki.alice.write_to(server.dir(), "alice"))
        .run();
    assert!(
        curl.http_code == 200 && curl.body.len() > 200_000,
        "curl: {curl}\n{}",
        server.log()
    );

    let started = std::time::Instant::now();
    let ok = probe_url_within(
        &server.url_for(APACHE_SECURE_PATH),
        Some(("alice", &pki.alice)),
        Some(&server.server_ca_pem),
        RENEGOTIATION_WAIT,
    );
    let pha = ok
        .transcript
        .per_path_rechecks
        .iter()
        .find(|r| r.method == RecheckMethod::Tls13PostHandshake)
        .unwrap_or_else(|| panic!("no post-handshake re-check\n{}", explain(&ok, None)));
    assert_eq!(
        (pha.http_status, pha.error.as_deref()),
        (Some(200), None),
        "after {:?}\n{}",
        started.elapsed(),
        explain(&ok, Some(&server))
    );
    assert_report(
        &ok,
        Verdict::Accepted,
        &["needs_post_handshake_auth"],
        Some(&server),
    );
}

/// The openssl re-check verifies the server's name, as the first request does. Before, it
/// passed `-verify_return_error` without `-verify_hostname`/`-verify_ip`, so a server with a
/// trusted certificate for another name got the client certificate and the page (status 200)
/// on the re-check path (this test failed then).
#[test]
fn the_per_path_recheck_refuses_a_server_certificate_for_another_name() {
    use certdesk_core::probe::recheck::recheck_per_path;

    let pki = client_pki();
    let (ca, elsewhere) = common::identity_for_another_name();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls13Only)
        .server_identity(elsewhere)
        .start();
    let (alice, _) = common::client_identity(&pki.alice, "alice");

    let target = certdesk_core::weburl::WebUrl::parse(
        &server.url_for(APACHE_SECURE_PATH),
        certdesk_core::weburl::UrlUse::Site,
    )
    .expect("the site address");
    let rechecks = recheck_per_path(&target, &alice, Some(ca.root_pem()), common::TIMEOUT);
    assert!(!rechecks.is_empty(), "no re-check ran");
    for r in &rechecks {
        assert_eq!(
            r.http_status,
            None,
            "{:?} reached the page of a server named other.example: {r:?}\n{}",
            r.method,
            server.log()
        );
    }
    // Over TLS 1.3 (the server's only version) the refusal is the name check's.
    let pha = rechecks
        .iter()
        .find(|r| r.method == RecheckMethod::Tls13PostHandshake)
        .expect("a post-handshake re-check");
    let error = pha.error.as_deref().unwrap_or_default();
    assert!(error.contains("certificate verify failed"), "{error}");
    // The access log shows no request reached the protected page.
    assert!(
        !server.log().contains(&format!("GET {APACHE_SECURE_PATH}")),
        "{}",
        server.log()
    );
}
