//! Checks that stop before the client certificate matters: the site's own certificate is not
//! trusted or not valid for the name, nothing listens, or the site speaks only a TLS version
//! rustls does not (TLS 1.1, from `openssl s_server`).

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{self, assert_report, explain, finding, probe, probe_url};
use certdesk_core::probe::{Origin, ServerTrustProblem, Verdict};
use certdesk_testkit::servers::fixture::client_pki;
use certdesk_testkit::servers::{NginxSpec, ServerIdentity};
use certdesk_testkit::{free_port, wait_for_port, ChildGuard};

#[test]
fn an_untrusted_server_certificate_stops_the_check() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem).start();

    // No --ca-file: the private "Example Server Root CA" is in no trust store.
    let report = probe_url(&server.url, Some(("alice", &pki.alice)), None);
    assert_report(
        &report,
        Verdict::Failed,
        &["server_untrusted"],
        Some(&server),
    );
    assert_eq!(
        report.transcript.server_trust_problem,
        Some(ServerTrustProblem::UnknownIssuer)
    );
    assert_eq!(report.transcript.failed_phase.as_deref(), Some("tls"));
    let f = finding(&report, "server_untrusted");
    assert_eq!(f.origin, Origin::Server);
    assert!(
        f.detail
            .as_deref()
            .is_some_and(|d| d.contains("Example Server Root CA")),
        "{}",
        explain(&report, None)
    );
}

#[test]
fn a_server_certificate_for_another_name_is_a_name_mismatch() {
    let pki = client_pki();
    let (_ca, elsewhere) = common::identity_for_another_name();
    let server = NginxSpec::new(&pki.ca_pem)
        .server_identity(elsewhere)
        .start();

    // Trusted CA, but the certificate names only other.example, not 127.0.0.1.
    let report = probe(&server, "/", Some(("alice", &pki.alice)));
    assert_report(
        &report,
        Verdict::Failed,
        &["server_name_mismatch"],
        Some(&server),
    );
    assert_eq!(
        report.transcript.server_trust_problem,
        Some(ServerTrustProblem::NameMismatch)
    );
    assert!(
        finding(&report, "server_name_mismatch")
            .summary
            .contains("127.0.0.1"),
        "{}",
        explain(&report, None)
    );
}

#[test]
fn a_host_name_in_the_certificate_is_checked_by_name() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem).start();

    // The shared server certificate has DNS:localhost; the name goes through DNS and SNI.
    let url = format!("https://localhost:{}/", server.port);
    let report = probe_url(
        &url,
        Some(("alice", &pki.alice)),
        Some(&server.server_ca_pem),
    );
    assert_report(&report, Verdict::Accepted, &[], Some(&server));
    assert_eq!(report.transcript.host, "localhost");
    assert!(
        report.transcript.addresses.iter().any(|a| a == "127.0.0.1"),
        "{}",
        explain(&report, None)
    );
}

#[test]
fn a_closed_port_is_unreachable() {
    let pki = client_pki();
    let port = free_port();
    let url = format!("https://127.0.0.1:{port}/");

    let report = probe_url(&url, Some(("alice", &pki.alice)), None);
    assert_report(&report, Verdict::Failed, &["unreachable"], None);
    assert_eq!(report.transcript.failed_phase.as_deref(), Some("tcp"));
    let f = finding(&report, "unreachable");
    assert_eq!(f.origin, Origin::Network);
    assert!(
        f.summary.contains(&format!("127.0.0.1:{port}")),
        "{}",
        explain(&report, None)
    );
}

#[test]
fn a_tls11_only_site_is_a_version_mismatch() {
    let pki = client_pki();
    let server_id = ServerIdentity::shared();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server.key");
    std::fs::write(&cert, &server_id.cert_chain_pem).expect("write the server certificate");
    std::fs::write(&key, &server_id.key_pem).expect("write the server key");
    let port = free_port();
    // OpenSSL 3 allows TLS 1.1 only at security level 0.
    let server = ChildGuard::spawn(
        Command::new("openssl")
            .args(["s_server", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .args(["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-www"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("openssl s_server starts");
    wait_for_port(port, Duration::from_secs(10)).expect("openssl s_server listens");

    let url = format!("https://127.0.0.1:{port}/");
    let report = probe_url(&url, Some(("alice", &pki.alice)), Some(&server_id.ca_pem));
    assert_report(&report, Verdict::Failed, &["tls_version_mismatch"], None);
    assert_eq!(report.transcript.failed_phase.as_deref(), Some("tls"));
    assert!(
        !report.transcript.certificate_requested,
        "{}",
        explain(&report, None)
    );
    server.stop();
}
