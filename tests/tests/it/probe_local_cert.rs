//! Certificates that are wrong on this computer's side (expired, not yet valid, not made for
//! client authentication), issued by a CA of our own that real nginx and Apache servers trust:
//! the local finding names the cause and the server's answer gives the verdict.

use crate::common::{assert_report, explain, finding, probe};
use certdesk_core::probe::{Origin, ProbeReport, Severity, Verdict};
use certdesk_testkit::servers::fixture::issue_client_with_subject;
use certdesk_testkit::servers::{ApacheSpec, NginxSpec, TlsVersions};
use certdesk_testkit::{IssuedIdentity, OpensslCa, SignOpts};

struct LocalPki {
    ca_pem: Vec<u8>,
    good: IssuedIdentity,
    expired: IssuedIdentity,
    not_yet_valid: IssuedIdentity,
    no_client_auth: IssuedIdentity,
}

fn local_pki() -> LocalPki {
    let ca = OpensslCa::new("Example Local");
    let issue = |cn: &str, opts: SignOpts| {
        issue_client_with_subject(&ca, &format!("/O=Example Corp/CN={cn}"), opts)
    };
    LocalPki {
        good: issue("good", SignOpts::default()),
        expired: issue("expired", SignOpts::expired()),
        not_yet_valid: issue("early", SignOpts::not_yet_valid()),
        no_client_auth: issue("server-only", SignOpts::without_client_auth()),
        ca_pem: ca.root_pem().to_vec(),
    }
}

#[track_caller]
fn assert_local(report: &ProbeReport, code: &str) {
    let f = finding(report, code);
    assert!(
        f.origin == Origin::Local && f.severity == Severity::Blocker,
        "{code} is a local blocker\n{}",
        explain(report, None)
    );
}

#[test]
fn nginx_refuses_expired_early_and_non_client_certificates_and_certdesk_says_why() {
    let pki = local_pki();
    let server = NginxSpec::new(&pki.ca_pem).start();

    let ok = probe(&server, "/", Some(("good", &pki.good)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));

    // nginx's "400 The SSL certificate error" says nothing more; the local finding does.
    for (name, id, code) in [
        ("expired", &pki.expired, "cert_expired"),
        ("early", &pki.not_yet_valid, "cert_not_yet_valid"),
        (
            "server-only",
            &pki.no_client_auth,
            "missing_client_auth_eku",
        ),
    ] {
        let report = probe(&server, "/", Some((name, id)));
        assert_report(&report, Verdict::Rejected, &[code], Some(&server));
        assert_eq!(
            report.transcript.http_status,
            Some(400),
            "{name}: {}",
            explain(&report, None)
        );
        assert!(report.transcript.certificate_sent, "{name}");
        assert_local(&report, code);
    }
}

#[test]
fn apache_alerts_for_expired_early_and_non_client_certificates() {
    let pki = local_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .tls(TlsVersions::Tls12Only)
        .start();

    let ok = probe(&server, "/", Some(("good", &pki.good)));
    assert_report(&ok, Verdict::Accepted, &[], Some(&server));

    // certificate_expired: the server's alert and the local check agree, one finding.
    let expired = probe(&server, "/", Some(("expired", &pki.expired)));
    assert_report(
        &expired,
        Verdict::Rejected,
        &["cert_expired"],
        Some(&server),
    );
    assert_eq!(
        expired
            .transcript
            .alert
            .as_ref()
            .map(|a| a.description.as_str()),
        Some("CertificateExpired"),
        "{}",
        explain(&expired, None)
    );
    assert_local(&expired, "cert_expired");

    // OpenSSL answers a not-yet-valid certificate with bad_certificate and a wrong purpose
    // with unsupported_certificate: the local finding gives the cause, the alert the refusal.
    for (name, id, code, alert) in [
        (
            "early",
            &pki.not_yet_valid,
            "cert_not_yet_valid",
            "BadCertificate",
        ),
        (
            "server-only",
            &pki.no_client_auth,
            "missing_client_auth_eku",
            "UnsupportedCertificate",
        ),
    ] {
        let report = probe(&server, "/", Some((name, id)));
        assert_report(
            &report,
            Verdict::Rejected,
            &[code, "rejected_bad_certificate"],
            Some(&server),
        );
        assert_eq!(
            report
                .transcript
                .alert
                .as_ref()
                .map(|a| a.description.as_str()),
            Some(alert),
            "{name}: {}",
            explain(&report, None)
        );
        assert_local(&report, code);
    }
}
