//! Every server and scenario against curl (OpenSSL), the reference client: what is accepted,
//! and how each server refuses a missing, foreign, revoked or wrong-organisation certificate.

use super::fixture::{chained_pki, client_pki, foreign_pki, ORG};
use super::*;
use crate::IssuedIdentity;

/// A curl request to `path` on `server`, with `client` (name, identity) written into the
/// server's directory.
fn curl(server: &RunningServer, path: &str, client: Option<(&str, &IssuedIdentity)>) -> Curl {
    let request = Curl::to(server, path);
    match client {
        Some((name, identity)) => request.identity(&identity.write_to(server.dir(), name)),
        None => request,
    }
}

fn get(server: &RunningServer, path: &str, client: Option<(&str, &IssuedIdentity)>) -> CurlOutcome {
    curl(server, path, client).run()
}

/// An HTTP answer with `status` whose body contains `body`.
#[track_caller]
fn assert_http(outcome: &CurlOutcome, status: u16, body: &str, server: &RunningServer) {
    assert!(
        outcome.exit_code == 0 && outcome.http_code == status && outcome.body.contains(body),
        "expected HTTP {status} with {body:?}, got {outcome}\n--- server log ---\n{}",
        server.log()
    );
}

/// No HTTP answer: curl failed with `exit_code` and a message containing `alert`.
#[track_caller]
fn assert_tls_failure(outcome: &CurlOutcome, exit_code: i32, alert: &str, server: &RunningServer) {
    assert!(
        outcome.exit_code == exit_code && outcome.http_code == 0 && outcome.stderr.contains(alert),
        "expected curl exit {exit_code} with {alert:?}, got {outcome}\n--- server log ---\n{}",
        server.log()
    );
}

#[track_caller]
fn assert_header(outcome: &CurlOutcome, name: &str, value: &str) {
    assert_eq!(
        outcome.header(name),
        Some(value),
        "{outcome}\n{}",
        outcome.headers
    );
}

const ALICE_DN: &str = "CN=alice,OU=Engineering,O=Example Corp";
const NGINX_NO_CERT: &str = "400 No required SSL certificate was sent";
const NGINX_BAD_CERT: &str = "400 The SSL certificate error";

// ---------------------------------------------------------------------------------------- nginx

#[test]
fn nginx_verify_on_answers_400_pages_to_missing_and_foreign_certificates() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem).start();

    let ok = get(&server, "/", Some(("alice", &pki.alice)));
    assert_http(&ok, 200, &format!("hello {ALICE_DN}\n"), &server);
    assert_header(&ok, "X-Client-Verify", "SUCCESS");

    // The handshake completes either way; nginx answers with its stock error pages.
    assert_http(&get(&server, "/", None), 400, NGINX_NO_CERT, &server);
    let foreign = get(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_http(&foreign, 400, NGINX_BAD_CERT, &server);
    // nginx itself has no rule on the subject: a trusted certificate of another O passes.
    let other_org = get(&server, "/", Some(("mallory", &pki.mallory)));
    assert_http(&other_org, 200, "hello CN=mallory,O=Other Corp", &server);
}

#[test]
fn nginx_tls12_with_crl_refuses_the_revoked_certificate() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem)
        .tls(TlsVersions::Tls12Only)
        .crl(&pki.crl_pem)
        .start();

    assert_http(
        &get(&server, "/", Some(("alice", &pki.alice))),
        200,
        ALICE_DN,
        &server,
    );
    let revoked = get(&server, "/", Some(("revoked", &pki.revoked)));
    assert_http(&revoked, 400, NGINX_BAD_CERT, &server);
    assert_http(&get(&server, "/", None), 400, NGINX_NO_CERT, &server);
    // TLS 1.2 only: a client that insists on TLS 1.3 cannot connect.
    let tls13 = curl(&server, "/", None).arg("--tlsv1.3").run();
    assert_tls_failure(&tls13, 35, "alert protocol version", &server);
}

#[test]
fn nginx_optional_tls13_answers_403_without_a_certificate() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem)
        .verify(NginxVerify::Optional)
        .tls(TlsVersions::Tls13Only)
        .start();

    assert_http(
        &get(&server, "/", Some(("alice", &pki.alice))),
        200,
        ALICE_DN,
        &server,
    );
    let none = get(&server, "/", None);
    assert_http(&none, 403, "403 Forbidden", &server);
    assert_header(&none, "X-Client-Verify", "NONE");
    // `optional` still refuses a certificate that fails verification, with the stock page.
    let foreign = get(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_http(&foreign, 400, NGINX_BAD_CERT, &server);
    let tls12 = curl(&server, "/", None).arg("--tls-max").arg("1.2").run();
    assert_tls_failure(&tls12, 35, "alert protocol version", &server);
}

#[test]
fn nginx_optional_no_ca_passes_the_verdict_on_in_a_header() {
    let pki = client_pki();
    let server = NginxSpec::new(&pki.ca_pem)
        .verify(NginxVerify::OptionalNoCa)
        .start();

    let ok = get(&server, "/", Some(("alice", &pki.alice)));
    assert_http(&ok, 200, ALICE_DN, &server);
    assert_header(&ok, "X-Client-Verify", "SUCCESS");
    let none = get(&server, "/", None);
    assert_http(&none, 200, "hello \n", &server);
    assert_header(&none, "X-Client-Verify", "NONE");
    let foreign = get(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_http(&foreign, 200, "hello CN=stranger,O=Example Corp", &server);
    let verdict = foreign.header("X-Client-Verify").unwrap_or_default();
    assert!(
        verdict.starts_with("FAILED:"),
        "{foreign}\n{}",
        foreign.headers
    );
}

#[test]
fn nginx_verify_depth_decides_whether_an_intermediate_chain_passes() {
    let chained = chained_pki();
    // OpenSSL's depth does not count the trust anchor: nginx's default 1 allows leaf →
    // issuing CA → root, 0 allows only a leaf issued by the trusted CA itself.
    let shallow = NginxSpec::new(&chained.root_pem).verify_depth(0).start();
    let default = NginxSpec::new(&chained.root_pem).start();

    let refused = get(&shallow, "/", Some(("carol", &chained.carol)));
    assert_http(&refused, 400, NGINX_BAD_CERT, &shallow);
    let accepted = get(&default, "/", Some(("carol", &chained.carol)));
    assert_http(&accepted, 200, "hello CN=carol,O=Example Corp", &default);
}

// --------------------------------------------------------------------------------------- Apache

#[test]
fn apache_require_tls13_alerts_after_the_handshake_and_403s_the_wrong_org() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .tls(TlsVersions::Tls13Only)
        .require_org(ORG)
        .start();

    let ok = get(&server, "/", Some(("alice", &pki.alice)));
    assert_http(&ok, 200, &format!("hello {ALICE_DN}\n"), &server);
    assert_header(&ok, "X-Client-DN", ALICE_DN);
    assert_header(&ok, "X-Client-Verify", "SUCCESS");

    // TLS 1.3: the handshake "succeeds" for the client; the refusal is an alert on the read.
    let none = get(&server, "/", None);
    assert_tls_failure(&none, 56, "alert certificate required", &server);
    let foreign = get(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_tls_failure(&foreign, 56, "alert unknown ca", &server);
    let other_org = get(&server, "/", Some(("mallory", &pki.mallory)));
    assert_http(&other_org, 403, "Forbidden", &server);
    assert_header(&other_org, "X-Client-DN", "CN=mallory,O=Other Corp");
}

#[test]
fn apache_require_tls12_with_crl_fails_the_handshake() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .tls(TlsVersions::Tls12Only)
        .crl(&pki.crl_pem)
        .start();

    assert_http(
        &get(&server, "/", Some(("alice", &pki.alice))),
        200,
        ALICE_DN,
        &server,
    );
    // TLS 1.2: the refusal is an alert during the handshake (curl exit 35).
    let none = get(&server, "/", None);
    assert_tls_failure(&none, 35, "alert handshake failure", &server);
    let revoked = get(&server, "/", Some(("revoked", &pki.revoked)));
    assert_tls_failure(&revoked, 35, "alert certificate revoked", &server);
    let tls13 = curl(&server, "/", None).arg("--tlsv1.3").run();
    assert_tls_failure(&tls13, 35, "alert protocol version", &server);
}

#[test]
fn apache_optional_with_ssl_require_answers_403() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::Optional)
        .ssl_require_org(ORG)
        .start();

    assert_http(
        &get(&server, "/", Some(("alice", &pki.alice))),
        200,
        ALICE_DN,
        &server,
    );
    let none = get(&server, "/", None);
    assert_http(&none, 403, "Forbidden", &server);
    assert_header(&none, "X-Client-Verify", "NONE");
    let other_org = get(&server, "/", Some(("mallory", &pki.mallory)));
    assert_http(&other_org, 403, "Forbidden", &server);
    // `optional` still verifies a certificate that is sent (default TLS 1.3: alert on read).
    let foreign = get(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_tls_failure(&foreign, 56, "alert unknown ca", &server);
}

#[test]
fn apache_per_location_tls13_asks_after_the_handshake() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls13Only)
        .require_org(ORG)
        .start();

    // Outside the protected path nobody is asked for a certificate.
    let open = get(&server, "/", None);
    assert_http(&open, 200, "hello (none)", &server);
    assert_header(&open, "X-Client-Verify", "NONE");
    // curl answers the post-handshake CertificateRequest.
    let ok = get(&server, APACHE_SECURE_PATH, Some(("alice", &pki.alice)));
    assert_http(&ok, 200, ALICE_DN, &server);
    let none = get(&server, APACHE_SECURE_PATH, None);
    assert_tls_failure(&none, 56, "alert certificate required", &server);
    let foreign = get(
        &server,
        APACHE_SECURE_PATH,
        Some(("stranger", &foreign_pki().stranger)),
    );
    assert_tls_failure(&foreign, 56, "alert unknown ca", &server);
    let other_org = get(&server, APACHE_SECURE_PATH, Some(("mallory", &pki.mallory)));
    assert_http(&other_org, 403, "Forbidden", &server);
}

#[test]
fn apache_per_location_tls12_renegotiates() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .tls(TlsVersions::Tls12Only)
        .start();

    assert_http(&get(&server, "/", None), 200, "hello (none)", &server);
    let ok = get(
        &server,
        &format!("{APACHE_SECURE_PATH}/page"),
        Some(("alice", &pki.alice)),
    );
    assert_http(&ok, 200, ALICE_DN, &server);
    // The refusal comes during the renegotiation, after the request was sent.
    let none = get(&server, APACHE_SECURE_PATH, None);
    assert_tls_failure(&none, 56, "alert handshake failure", &server);
}

#[test]
fn apache_verify_depth_decides_whether_an_intermediate_chain_passes() {
    let chained = chained_pki();
    // Apache counts the root too: its default SSLVerifyDepth 1 is one short for leaf → issuing
    // CA → root, and it refuses the chain with an "internal error" alert (its log says
    // "Certificate Chain too long").
    let shallow = ApacheSpec::new(&chained.root_pem).start();
    let deep = ApacheSpec::new(&chained.root_pem).verify_depth(2).start();

    let refused = get(&shallow, "/", Some(("carol", &chained.carol)));
    assert_tls_failure(&refused, 56, "alert internal error", &shallow);
    let accepted = get(&deep, "/", Some(("carol", &chained.carol)));
    assert_http(&accepted, 200, "hello CN=carol,O=Example Corp", &deep);
}

// ----------------------------------------------------------------------------------------- Node

#[test]
fn node_decides_in_application_code() {
    let pki = client_pki();
    let server = NodeSpec::new(&pki.ca_pem).require_org(ORG).start();

    assert_http(
        &get(&server, "/", Some(("alice", &pki.alice))),
        200,
        "hello alice\n",
        &server,
    );
    assert_http(
        &get(&server, "/", None),
        401,
        r#"{"error":"certificate required"}"#,
        &server,
    );
    // curl sends the stranger's whole chain, its own root included.
    let foreign = get(&server, "/", Some(("stranger", &foreign_pki().stranger)));
    assert_http(
        &foreign,
        401,
        r#"{"error":"certificate not accepted","reason":"SELF_SIGNED_CERT_IN_CHAIN"}"#,
        &server,
    );
    let other_org = get(&server, "/", Some(("mallory", &pki.mallory)));
    assert_http(
        &other_org,
        403,
        r#"{"error":"organization not allowed","organization":"Other Corp","required":"Example Corp"}"#,
        &server,
    );
}

#[test]
fn node_tls12_with_crl_reports_the_revocation() {
    let pki = client_pki();
    let server = NodeSpec::new(&pki.ca_pem)
        .tls(TlsVersions::Tls12Only)
        .crl(&pki.crl_pem)
        .start();

    assert_http(
        &get(&server, "/", Some(("alice", &pki.alice))),
        200,
        "hello alice\n",
        &server,
    );
    let revoked = get(&server, "/", Some(("revoked", &pki.revoked)));
    assert_http(&revoked, 401, r#""reason":"CERT_REVOKED""#, &server);
    let tls13 = curl(&server, "/", None).arg("--tlsv1.3").run();
    assert_tls_failure(&tls13, 35, "alert protocol version", &server);
}

// -------------------------------------------------------------------------------------- harness

/// Process ids whose process group is `pgid` (from `/proc/*/stat`).
fn group_members(pgid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return members;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // After "(comm) ": state ppid pgrp …; zombies awaiting their reaper do not count.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.get(2) == Some(&pgid.to_string().as_str()) && fields.first() != Some(&"Z") {
            members.push(pid);
        }
    }
    members
}

#[test]
fn stop_ends_every_process_of_the_server_and_frees_the_port() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem).start();
    let (pid, port) = (server.pid(), server.port);
    let dir = server.dir().to_path_buf();
    assert!(
        group_members(pid).len() >= 2,
        "Apache runs a parent and a child: {:?}",
        group_members(pid)
    );
    assert!(server.config().contains("SSLVerifyClient require"));
    assert!(
        server.log().contains("resuming normal operations"),
        "{}",
        server.log()
    );
    server.stop();
    assert_eq!(
        group_members(pid),
        Vec::<u32>::new(),
        "processes left behind"
    );
    assert!(crate::wait_for_port(port, std::time::Duration::from_millis(100)).is_err());
    assert!(!dir.exists(), "directory {} left behind", dir.display());
}

#[test]
fn drop_stops_nginx_and_its_worker() {
    let server = NginxSpec::new(&client_pki().ca_pem).start();
    let pid = server.pid();
    assert!(group_members(pid).len() >= 2, "nginx master and worker");
    drop(server);
    assert_eq!(
        group_members(pid),
        Vec::<u32>::new(),
        "processes left behind"
    );
}

#[test]
fn a_server_that_cannot_start_explains_why() {
    let error = NginxSpec::new(b"this is not a certificate")
        .try_start()
        .expect_err("nginx refuses a client CA file without certificates");
    assert!(error.contains("exited during start-up"), "{error}");
    assert!(error.contains("ssl_client_certificate"), "{error}");
    assert!(error.contains("nginx.conf"), "{error}");

    let error = ApacheSpec::new(&client_pki().ca_pem)
        .crl(b"this is not a CRL")
        .try_start()
        .expect_err("Apache refuses a revocation file without CRLs");
    assert!(error.contains("exited during start-up"), "{error}");
    assert!(error.contains("SSLCARevocationFile"), "{error}");
}

#[test]
fn apache_config_mirrors_the_tutorials() {
    let pki = client_pki();
    let server = ApacheSpec::new(&pki.ca_pem)
        .verify(ApacheVerify::PerLocation)
        .verify_depth(2)
        .crl(&pki.crl_pem)
        .ssl_require_org(ORG)
        .start();
    let config = server.config();
    let vhost = config.split("<VirtualHost").nth(1).expect("a virtual host");
    let (outside, location) = vhost
        .split_once("<Location /secure>")
        .expect("a protected location");
    assert!(!outside.contains("SSLVerifyClient"), "{config}");
    for line in [
        "SSLVerifyClient require",
        "SSLVerifyDepth 2",
        "SSLRequire %{SSL_CLIENT_S_DN_O} eq \"Example Corp\"",
    ] {
        assert!(location.contains(line), "{line} missing:\n{config}");
    }
    for line in [
        "SSLCARevocationCheck chain",
        "SSLCACertificateFile",
        "SSLOptions +StdEnvVars",
    ] {
        assert!(outside.contains(line), "{line} missing:\n{config}");
    }
}
