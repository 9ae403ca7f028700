//! The site check against a real Node.js `https` server with `requestCert: true,
//! rejectUnauthorized: false`: the handshake takes any certificate and the application decides
//! with 401/403 JSON answers.

use crate::common::{assert_report, assert_requested, explain, finding, probe};
use certdesk_core::probe::{Origin, Verdict};
use certdesk_testkit::servers::fixture::{client_pki, foreign_pki, ORG};
use certdesk_testkit::servers::NodeSpec;

#[test]
fn node_app_decided_answers_are_explained() {
    let pki = client_pki();
    let server = NodeSpec::new(&pki.ca_pem).require_org(ORG).start();

    let ok = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));
    assert_eq!(ok.transcript.http_status, Some(200));
    assert_eq!(ok.transcript.body_excerpt.as_deref(), Some("hello alice"));

    // Asked during the handshake, nothing sent, the app answers 401.
    let none = probe(&server, "/", None);
    assert_report(
        &none,
        Verdict::Rejected,
        &["rejected_no_certificate"],
        Some(&server),
    );
    assert_requested(&none, false);
    assert_eq!(none.transcript.http_status, Some(401));
    assert_eq!(
        none.transcript.body_excerpt.as_deref(),
        Some(r#"{"error":"certificate required"}"#)
    );

    // The certificate verified, the app refuses the organisation: its words reach the detail.
    let mallory = probe(&server, "/", Some(("mallory", &pki.mallory)));
    assert_report(
        &mallory,
        Verdict::Rejected,
        &["access_denied"],
        Some(&server),
    );
    assert_requested(&mallory, true);
    assert_eq!(mallory.transcript.http_status, Some(403));
    let f = finding(&mallory, "access_denied");
    assert_eq!(f.origin, Origin::Server);
    assert!(
        f.summary.contains("HTTP 403"),
        "{}",
        explain(&mallory, Some(&server))
    );
    assert_eq!(
        f.detail.as_deref(),
        Some(
            r#"{"error":"organization not allowed","organization":"Other Corp","required":"Example Corp"}"#
        ),
        "{}",
        explain(&mallory, Some(&server))
    );
}

/// Node answers 401 `{"error":"certificate not accepted","reason":…}` when the certificate it
/// was sent does not verify: the site did not accept the certificate, so the report must not
/// say it did ("accepted your certificate but refused access" is `access_denied`'s summary).
#[test]
fn node_401_for_a_foreign_certificate_is_not_access_denied() {
    let pki = client_pki();
    let server = NodeSpec::new(&pki.ca_pem).start();

    // A foreign CA: the acceptable CA names already explain it.
    let stranger = probe(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_eq!(stranger.transcript.http_status, Some(401));
    assert_report(
        &stranger,
        Verdict::Rejected,
        &["issuer_not_accepted"],
        Some(&server),
    );
}

/// The revoked certificate gets Node's 401 with `"reason":"CERT_REVOKED"`: a refusal of the
/// certificate, whose reason belongs in the detail.
#[test]
fn node_401_for_a_revoked_certificate_is_a_certificate_refusal_not_access_denied() {
    let pki = client_pki();
    let server = NodeSpec::new(&pki.ca_pem).crl(&pki.crl_pem).start();

    let revoked = probe(&server, "/", Some(("revoked", &pki.revoked)));
    assert_eq!(revoked.transcript.http_status, Some(401));
    assert_report(
        &revoked,
        Verdict::Rejected,
        &["rejected_bad_certificate"],
        Some(&server),
    );
    assert!(
        finding(&revoked, "rejected_bad_certificate")
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("CERT_REVOKED")),
        "{}",
        explain(&revoked, Some(&server))
    );
}
