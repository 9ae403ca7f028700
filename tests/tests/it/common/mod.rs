//! Shared helpers of the site-check (`probe_*`) tests: build a [`ClientIdentity`] in-process
//! from a testkit [`IssuedIdentity`], run the real probe against a real server, and assert the
//! verdict together with the exact finding codes, printing the whole report and the server's
//! log when they differ.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::time::Duration;

use certdesk_core::encoding::read_certificates;
use certdesk_core::key::PrivateKey;
use certdesk_core::probe::diagnose::LocalIdentity;
use certdesk_core::probe::{
    diagnose, run_probe, ClientIdentity, Finding, ProbeReport, ProbeRequest, Severity, Verdict,
};
use certdesk_testkit::servers::{RunningServer, ServerIdentity};
use certdesk_testkit::time::OffsetDateTime;
use certdesk_testkit::IssuedIdentity;

/// Per-phase limit of every probe; generous for a loaded 2-core machine, never reached when
/// the servers behave.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A server identity from a CA of its own ("Example Elsewhere") for the name other.example only:
/// trusted when that CA is given, but never the right name for 127.0.0.1. Returns the CA too.
pub fn identity_for_another_name() -> (certdesk_testkit::OpensslCa, ServerIdentity) {
    let ca = certdesk_testkit::OpensslCa::new("Example Elsewhere");
    let elsewhere = ca.issue_server_identity(&["other.example"]);
    let identity = ServerIdentity {
        ca_pem: ca.root_pem().to_vec(),
        cert_chain_pem: elsewhere.cert.full_chain_pem(),
        key_pem: elsewhere.key_pem,
    };
    (ca, identity)
}

/// The identity certdesk presents (key and chain, leaf first) and what the diagnosis knows
/// about it, both made from the testkit's PEM files.
pub fn client_identity(who: &IssuedIdentity, name: &str) -> (ClientIdentity, LocalIdentity) {
    let key = PrivateKey::from_pem(&who.key_pem, None, name)
        .unwrap_or_else(|e| panic!("the key of {name} does not load: {e}"));
    let (chain, _, _) = read_certificates(&who.cert.full_chain_pem(), name)
        .unwrap_or_else(|e| panic!("the chain of {name} does not load: {e}"));
    let local = LocalIdentity::from_chain(&chain)
        .unwrap_or_else(|e| panic!("the chain of {name} does not parse: {e}"));
    (
        ClientIdentity {
            key: key.into(),
            chain,
        },
        local,
    )
}

/// Probes `url` as `who` (or without a certificate), trusting `server_ca_pem` for the site.
pub fn probe_url(
    url: &str,
    who: Option<(&str, &IssuedIdentity)>,
    server_ca_pem: Option<&[u8]>,
) -> ProbeReport {
    probe_url_within(url, who, server_ca_pem, TIMEOUT)
}

/// [`probe_url`] with another per-phase limit.
pub fn probe_url_within(
    url: &str,
    who: Option<(&str, &IssuedIdentity)>,
    server_ca_pem: Option<&[u8]>,
    timeout: Duration,
) -> ProbeReport {
    let (identity, local) = match who {
        Some((name, id)) => {
            let (identity, local) = client_identity(id, name);
            (Some(identity), Some(local))
        }
        None => (None, None),
    };
    let request = ProbeRequest {
        url: url.to_string(),
        identity,
        server_ca_pem: server_ca_pem.map(<[u8]>::to_vec),
        timeout,
    };
    let transcript = run_probe(&request).unwrap_or_else(|e| {
        panic!("run_probe({url}) returned an error instead of a transcript: {e}")
    });
    diagnose(transcript, local.as_ref(), OffsetDateTime::now_utc())
}

/// Probes `path` on `server` as `who`, trusting the server's CA.
pub fn probe(
    server: &RunningServer,
    path: &str,
    who: Option<(&str, &IssuedIdentity)>,
) -> ProbeReport {
    probe_url(&server.url_for(path), who, Some(&server.server_ca_pem))
}

/// The finding codes, in report order (blockers first).
pub fn codes(report: &ProbeReport) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.code).collect()
}

/// Everything about a report that helps when an assertion fails.
pub fn explain(report: &ProbeReport, server: Option<&RunningServer>) -> String {
    let mut text = format!(
        "verdict {:?}, codes {:?}\nfindings: {:#?}\ntranscript: {:#?}",
        report.verdict,
        codes(report),
        report.findings,
        report.transcript
    );
    if let Some(server) = server {
        text.push_str(&format!(
            "\n--- {:?} log ---\n{}",
            server.kind,
            server.log()
        ));
    }
    text
}

/// The verdict is `verdict` and the findings are exactly `expected` (in report order); every
/// finding has a remedy.
#[track_caller]
pub fn assert_report(
    report: &ProbeReport,
    verdict: Verdict,
    expected: &[&str],
    server: Option<&RunningServer>,
) {
    assert!(
        report.verdict == verdict && codes(report) == expected,
        "expected {verdict:?} with {expected:?}\n{}",
        explain(report, server)
    );
    for f in &report.findings {
        assert!(
            !f.remedy.trim().is_empty() && !f.summary.trim().is_empty(),
            "finding {} has no summary or remedy\n{}",
            f.code,
            explain(report, server)
        );
    }
}

/// The finding with `code`; panics with the report when it is missing.
#[track_caller]
pub fn finding<'r>(report: &'r ProbeReport, code: &str) -> &'r Finding {
    report
        .findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no finding {code}\n{}", explain(report, None)))
}

/// The site asked for a certificate during the handshake, and `sent` tells whether one went.
#[track_caller]
pub fn assert_requested(report: &ProbeReport, sent: bool) {
    assert!(
        report.transcript.certificate_requested && report.transcript.certificate_sent == sent,
        "expected a CertificateRequest and certificate_sent == {sent}\n{}",
        explain(report, None)
    );
}

/// The severity of the finding `code`.
#[track_caller]
pub fn severity_of(report: &ProbeReport, code: &str) -> Severity {
    finding(report, code).severity
}
