//! Pure diagnosis: a [`Transcript`] and the local identity become a verdict and findings with
//! remedies. No I/O here; every mapping from an alert or HTTP outcome to a finding is
//! unit-tested below.

use time::OffsetDateTime;

use certdesk_wording::{Lang, Text as T};

use super::{
    Finding, FindingTexts, Origin, ProbeReport, ServerTrustProblem, Severity, Transcript, Verdict,
};
use crate::cert::{self, CertInfo};

/// What the diagnosis knows about the identity that was presented.
#[derive(Debug, Clone)]
pub struct LocalIdentity {
    /// The leaf certificate.
    pub leaf: CertInfo,
    /// The chain above it, nearest first.
    pub chain: Vec<CertInfo>,
}

impl LocalIdentity {
    /// Facts about a DER chain, leaf first.
    pub fn from_chain(chain: &[Vec<u8>]) -> crate::Result<LocalIdentity> {
        let mut infos = chain
            .iter()
            .map(|d| cert::parse_certificate(d))
            .collect::<crate::Result<Vec<_>>>()?;
        if infos.is_empty() {
            return Err(crate::Error::invalid("identity", "no certificate given"));
        }
        let leaf = infos.remove(0);
        Ok(LocalIdentity { leaf, chain: infos })
    }
}

fn finding(
    code: &'static str,
    origin: Origin,
    severity: Severity,
    summary: T,
    detail: Option<String>,
    remedy: T,
) -> Finding {
    Finding {
        code,
        origin,
        severity,
        summary: summary.render(Lang::En),
        detail,
        remedy: remedy.render(Lang::En),
        texts: FindingTexts { summary, remedy },
    }
}

/// Checks the identity before any connection: expiry, clientAuth EKU, chain completeness.
pub fn local_findings(local: &LocalIdentity, now: OffsetDateTime) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in cert::client_auth_problems(&local.leaf, now) {
        let f = match p.code {
            "expired" => finding(
                "cert_expired",
                Origin::Local,
                Severity::Blocker,
                T::new("finding-cert-expired"),
                Some(p.message),
                T::new("remedy-renew"),
            ),
            "not_yet_valid" => finding(
                "cert_not_yet_valid",
                Origin::Local,
                Severity::Blocker,
                T::new("finding-cert-not-yet-valid"),
                Some(p.message),
                T::new("remedy-check-clock"),
            ),
            "no_client_auth_eku" => finding(
                "missing_client_auth_eku",
                Origin::Local,
                Severity::Blocker,
                T::new("finding-missing-client-auth-eku"),
                Some(p.message),
                T::new("remedy-ask-client-auth-usage"),
            ),
            _ => continue,
        };
        out.push(f);
    }
    let top = local.chain.last().unwrap_or(&local.leaf);
    if !top.self_issued {
        out.push(finding(
            "incomplete_chain",
            Origin::Local,
            Severity::Warning,
            T::new("finding-incomplete-chain"),
            Some(format!(
                "the chain ends at {}, issued by {}",
                top.subject, top.issuer
            )),
            T::new("remedy-import-chain"),
        ));
    }
    out
}

fn issuer_names(local: &LocalIdentity) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in std::iter::once(&local.leaf).chain(local.chain.iter()) {
        if !names.contains(&c.issuer) {
            names.push(c.issuer.clone());
        }
    }
    names
}

use crate::html::body_words;

fn short(name: &str) -> String {
    // "CN=Example Issuing CA, O=Example" → "Example Issuing CA"
    name.split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("CN="))
        .map(str::to_string)
        .unwrap_or_else(|| name.to_string())
}

/// Turns a transcript into a report. `local` is the identity that was presented, if any.
pub fn diagnose(t: Transcript, local: Option<&LocalIdentity>, now: OffsetDateTime) -> ProbeReport {
    let mut findings = local.map(|l| local_findings(l, now)).unwrap_or_default();
    let verdict = judge(&t, local, &mut findings);
    findings.sort_by_key(|f| f.severity);
    ProbeReport {
        sentence: verdict.sentence(&t.host),
        verdict,
        findings,
        client_certificate: local.map(|l| l.leaf.clone()),
        transcript: t,
        tls12_retry: None,
    }
}

fn alert_is(t: &Transcript, names: &[&str]) -> bool {
    t.alert
        .as_ref()
        .is_some_and(|a| names.contains(&a.description.as_str()))
}

fn judge(t: &Transcript, local: Option<&LocalIdentity>, f: &mut Vec<Finding>) -> Verdict {
    // Network: never reached TLS.
    if matches!(t.failed_phase.as_deref(), Some("dns" | "tcp")) {
        f.push(finding(
            "unreachable",
            Origin::Network,
            Severity::Blocker,
            T::new("finding-unreachable")
                .arg("host", &t.host)
                .arg("port", t.port.to_string()),
            t.error_detail.clone(),
            T::new("remedy-check-network"),
        ));
        return Verdict::Failed;
    }
    // The server's own certificate.
    if let Some(problem) = &t.server_trust_problem {
        let (code, summary, remedy) = match problem {
            ServerTrustProblem::NameMismatch => (
                "server_name_mismatch",
                T::new("finding-server-name-mismatch").arg("host", &t.host),
                T::new("remedy-check-address"),
            ),
            _ => (
                "server_untrusted",
                T::new("finding-server-untrusted"),
                T::new("remedy-private-ca"),
            ),
        };
        let issuer = t
            .server_chain
            .first()
            .map(|c| c.issuer.clone())
            .unwrap_or_default();
        f.push(finding(
            code,
            Origin::Server,
            Severity::Blocker,
            summary,
            Some(format!(
                "{problem:?}; server certificate issued by {issuer}"
            )),
            remedy,
        ));
        return Verdict::Failed;
    }
    if alert_is(t, &["ProtocolVersion"])
        || t.error_detail
            .as_deref()
            .is_some_and(|d| d.contains("peer is incompatible") || d.contains("PeerIncompatible"))
    {
        f.push(finding(
            "tls_version_mismatch",
            Origin::Server,
            Severity::Blocker,
            T::new("finding-tls-version-mismatch"),
            t.error_detail.clone(),
            T::new("remedy-enable-tls"),
        ));
        return Verdict::Failed;
    }

    // Did the server name our issuer among the acceptable CAs?
    if let (true, Some(l)) = (t.certificate_requested, local) {
        if !t.acceptable_ca_names.is_empty() {
            let ours = issuer_names(l);
            let accepted = t.acceptable_ca_names.iter().any(|n| ours.contains(n));
            if !accepted {
                f.push(finding(
                    "issuer_not_accepted",
                    Origin::Server,
                    Severity::Blocker,
                    T::new("finding-issuer-not-accepted")
                        .arg(
                            "accepted",
                            t.acceptable_ca_names
                                .iter()
                                .map(|n| short(n))
                                .collect::<Vec<_>>()
                                .join(", "),
                        )
                        .arg("issuer", short(&l.leaf.issuer)),
                    Some(format!(
                        "acceptable CA names: {}; your chain's issuers: {}",
                        t.acceptable_ca_names.join(" | "),
                        ours.join(" | ")
                    )),
                    T::new("remedy-get-accepted-ca"),
                ));
            }
        }
        let token_without_pss = t.client_token.as_ref().filter(|k| {
            !k.rsa_pss && k.key_type.is_rsa() && t.tls_version.as_deref() == Some("TLSv1.3")
        });
        if let (Some(false), Some(token)) = (t.key_scheme_accepted, token_without_pss) {
            // Issue #15: browsers say ERR_SSL_CLIENT_AUTH_SIGNATURE_FAILED here.
            f.push(finding(
                "token_cannot_sign_rsa_pss",
                Origin::Local,
                Severity::Blocker,
                T::new("finding-token-cannot-sign-rsa-pss").arg("token", &token.label),
                Some(format!(
                    "the token offers: {}; the site offered: {}",
                    if token.mechanisms.is_empty() {
                        "no signing mechanisms".into()
                    } else {
                        token.mechanisms.join(", ")
                    },
                    t.offered_signature_schemes.join(", ")
                )),
                T::new("remedy-token-ecdsa-or-tls12"),
            ));
        } else if t.key_scheme_accepted == Some(false) {
            f.push(finding(
                "key_type_not_accepted",
                Origin::Server,
                Severity::Blocker,
                T::new("finding-key-type-not-accepted").arg("key", &l.leaf.key_description),
                Some(format!(
                    "the site offered: {}",
                    t.offered_signature_schemes.join(", ")
                )),
                T::new("remedy-other-key-type"),
            ));
        }
    }

    // TLS alerts: the server refused during or right after the handshake.
    if let Some(alert) = &t.alert {
        let detail = Some(format!("TLS alert {} ({})", alert.description, alert.when));
        let found = alert_finding(&alert.description, detail, t);
        if !f.iter().any(|x| x.code == found.code) {
            f.push(found);
        }
        return Verdict::Rejected;
    }
    if t.failed_phase.is_some() {
        // The handshake or response failed without an alert.
        if !t.certificate_requested && t.failed_phase.as_deref() == Some("http") {
            return per_path(t, f);
        }
        f.push(finding(
            "unreachable",
            Origin::Network,
            Severity::Blocker,
            T::new("finding-connection-broke-off").arg("host", &t.host),
            t.error_detail.clone(),
            T::new("remedy-try-again"),
        ));
        return Verdict::Failed;
    }

    let status = t.http_status.unwrap_or(0);
    let body = body_words(t.body_excerpt.as_deref().unwrap_or_default());
    if !t.certificate_requested {
        if matches!(status, 401 | 403) {
            return per_path(t, f);
        }
        f.push(finding(
            "cert_not_requested",
            Origin::Server,
            Severity::Info,
            T::new("finding-cert-not-requested"),
            Some(format!("HTTP {status}")),
            T::new("remedy-nothing-to-do"),
        ));
        return Verdict::NotRequested;
    }
    // nginx finishes the handshake and answers 400 with its own wording.
    if status == 400 && body.contains("No required SSL certificate was sent") {
        if !f.iter().any(|x| x.severity == Severity::Blocker) {
            f.push(no_certificate_finding(
                Origin::Server,
                Some(format!("HTTP 400: {body}")),
            ));
        }
        return Verdict::Rejected;
    }
    if status == 400 && body.contains("SSL certificate error") {
        if !f.iter().any(|x| x.severity == Severity::Blocker) {
            f.push(finding(
                "rejected_bad_certificate",
                Origin::Server,
                Severity::Blocker,
                T::new("finding-rejected-bad-certificate"),
                Some(format!("HTTP 400: {body}")),
                T::new("remedy-ask-ca-or-revoked"),
            ));
        }
        return Verdict::Rejected;
    }
    if !t.certificate_sent {
        f.push(no_certificate_finding(
            Origin::Local,
            Some(format!("HTTP {status}: {body}")),
        ));
        return Verdict::Rejected;
    }
    if matches!(status, 401 | 403) && f.iter().any(|x| x.severity == Severity::Blocker) {
        // Already explained (e.g. issuer_not_accepted): a generic refusal would contradict it.
        return Verdict::Rejected;
    }
    if status == 401 {
        // 401 means "authentication failed": the certificate itself was not accepted.
        f.push(finding(
            "rejected_bad_certificate",
            Origin::Server,
            Severity::Blocker,
            T::new("finding-rejected-http-401"),
            (!body.is_empty()).then(|| body.clone()),
            T::new("remedy-show-report-login"),
        ));
        return Verdict::Rejected;
    }
    if status == 403 {
        // 403 means "authenticated, but not allowed": an application rule about the holder.
        f.push(finding(
            "access_denied",
            Origin::Server,
            Severity::Blocker,
            T::new("finding-access-denied-http").arg("status", status.to_string()),
            (!body.is_empty()).then(|| body.clone()),
            T::new("remedy-ask-org-unit"),
        ));
        return Verdict::Rejected;
    }
    Verdict::Accepted
}

/// The finding for a TLS alert the server sent (rustls's name for it: `UnknownCA`, …).
fn alert_finding(description: &str, detail: Option<String>, t: &Transcript) -> Finding {
    let no_certificate = description == "CertificateRequired"
        || (description == "HandshakeFailure" && !t.certificate_sent && t.certificate_requested);
    if no_certificate {
        no_certificate_finding(Origin::Server, detail)
    } else {
        let (code, summary, remedy): (&'static str, &'static str, &'static str) = match description
        {
            "UnknownCA" => (
                "rejected_unknown_ca",
                "finding-rejected-unknown-ca",
                "remedy-ask-which-ca",
            ),
            "CertificateExpired" => ("cert_expired", "finding-site-says-expired", "remedy-renew"),
            "CertificateRevoked" => (
                "cert_revoked",
                "finding-site-says-revoked",
                "remedy-new-certificate-revoked",
            ),
            "AccessDenied" => (
                "access_denied",
                "finding-access-denied-alert",
                "remedy-grant-access",
            ),
            "ProtocolVersion" => (
                "tls_version_mismatch",
                "finding-tls-version-mismatch",
                "remedy-enable-tls",
            ),
            _ => (
                "rejected_bad_certificate",
                "finding-rejected-bad-certificate",
                "remedy-show-report-no-reason",
            ),
        };
        finding(
            code,
            Origin::Server,
            Severity::Blocker,
            T::new(summary),
            detail,
            T::new(remedy),
        )
    }
}

/// OpenSSL's wording of a received alert (`tlsv1 alert unknown ca`, `sslv3 alert certificate
/// revoked`) in rustls's names, for the re-check's error text.
fn alert_from_openssl(error: &str) -> Option<&'static str> {
    let e = error.to_ascii_lowercase();
    let table = [
        ("alert unknown ca", "UnknownCA"),
        ("alert certificate required", "CertificateRequired"),
        ("alert certificate revoked", "CertificateRevoked"),
        ("alert certificate expired", "CertificateExpired"),
        ("alert bad certificate", "BadCertificate"),
        ("alert unsupported certificate", "UnsupportedCertificate"),
        ("alert access denied", "AccessDenied"),
        ("alert handshake failure", "HandshakeFailure"),
        ("alert internal error", "InternalError"),
        ("alert decrypt error", "DecryptError"),
    ];
    table
        .iter()
        .find(|(needle, _)| e.contains(needle))
        .map(|(_, name)| *name)
}

/// The site wanted a certificate and got none: from a TLS alert, nginx's 400 page, or an
/// application's 401.
fn no_certificate_finding(origin: Origin, detail: Option<String>) -> Finding {
    finding(
        "rejected_no_certificate",
        origin,
        Severity::Blocker,
        T::new("finding-rejected-no-certificate"),
        detail,
        T::new("remedy-choose-certificate"),
    )
}

/// The site finished the handshake without asking and then refused: it asks per path. The
/// re-checks (post-handshake auth, renegotiation) decide whether the certificate itself works.
fn per_path(t: &Transcript, f: &mut Vec<Finding>) -> Verdict {
    let first = format!(
        "no certificate request during the handshake ({}), then {}",
        t.tls_version.as_deref().unwrap_or("TLS"),
        t.http_status
            .map(|s| format!("HTTP {s}"))
            .unwrap_or_else(|| t.error_detail.clone().unwrap_or_default())
    );
    let mut lines = vec![first];
    for r in &t.per_path_rechecks {
        let result = match (r.http_status, &r.error) {
            (Some(s), _) if (200..400).contains(&s) => format!("HTTP {s}: accepted"),
            (Some(s), _) => format!("HTTP {s}: refused"),
            (None, Some(e)) => format!("failed: {e}"),
            (None, None) => "no answer".into(),
        };
        lines.push(format!("with {}: {result}", r.method.describe()));
    }
    let accepted_somehow = t
        .per_path_rechecks
        .iter()
        .any(|r| r.http_status.is_some_and(|s| (200..400).contains(&s)));
    if !accepted_somehow {
        // Say why the certificate-bearing re-checks were refused, as for a direct refusal.
        for r in &t.per_path_rechecks {
            let detail = Some(format!("with {}", r.method.describe()));
            let found = match (
                r.http_status,
                r.error.as_deref().and_then(alert_from_openssl),
            ) {
                (Some(403), _) => Some(finding(
                    "access_denied",
                    Origin::Server,
                    Severity::Blocker,
                    T::new("finding-access-denied-http").arg("status", "403"),
                    detail,
                    T::new("remedy-ask-org-unit"),
                )),
                (Some(401), _) => Some(finding(
                    "rejected_bad_certificate",
                    Origin::Server,
                    Severity::Blocker,
                    T::new("finding-rejected-http-401"),
                    detail,
                    T::new("remedy-show-report-login"),
                )),
                (None, Some(alert)) => Some(alert_finding(alert, detail, t)),
                _ => None,
            };
            if let Some(found) = found {
                if !f.iter().any(|x| x.code == found.code) {
                    f.push(found);
                }
            }
        }
    }
    if t.http_version.as_deref() == Some("HTTP/2") {
        f.push(finding(
            "http2_per_page_certificate",
            Origin::Server,
            Severity::Warning,
            T::new("finding-http2-per-page-certificate"),
            Some(match &t.http2_reset {
                Some(code) => format!("HTTP/2, the request was reset with {code}"),
                None => format!(
                    "HTTP/2, then {}",
                    t.http_status
                        .map(|s| format!("HTTP {s}"))
                        .unwrap_or_else(|| t.error_detail.clone().unwrap_or_default())
                ),
            }),
            T::new("remedy-http2-per-page"),
        ));
    }
    let checked = !t.per_path_rechecks.is_empty();
    let severity = if accepted_somehow {
        Severity::Warning
    } else {
        Severity::Blocker
    };
    f.push(finding(
        "needs_post_handshake_auth",
        Origin::Server,
        severity,
        if accepted_somehow {
            T::new("finding-post-handshake-accepted")
        } else {
            T::new("finding-post-handshake")
        },
        Some(lines.join("; ")),
        T::new("remedy-whole-site"),
    ));
    match (checked, accepted_somehow) {
        (_, true) => Verdict::Accepted,
        (true, false) => Verdict::Rejected,
        (false, false) => Verdict::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::AlertSeen;

    fn base() -> Transcript {
        Transcript {
            url: "https://site.example/".into(),
            host: "site.example".into(),
            port: 443,
            tls_version: Some("TLSv1.3".into()),
            ..Transcript::default()
        }
    }

    fn requested(mut t: Transcript) -> Transcript {
        t.certificate_requested = true;
        t.certificate_sent = true;
        t.key_scheme_accepted = Some(true);
        t
    }

    fn codes(r: &ProbeReport) -> Vec<&'static str> {
        r.findings.iter().map(|f| f.code).collect()
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn accepted_when_requested_sent_and_200() {
        let mut t = requested(base());
        t.http_status = Some(200);
        let r = diagnose(t, None, now());
        assert_eq!(r.verdict, Verdict::Accepted);
        assert_eq!(r.sentence, "site.example accepted your certificate.");
    }

    #[test]
    fn not_requested_on_plain_200() {
        let mut t = base();
        t.http_status = Some(200);
        let r = diagnose(t, None, now());
        assert_eq!(
            (r.verdict, codes(&r)),
            (Verdict::NotRequested, vec!["cert_not_requested"])
        );
    }

    #[test]
    fn every_alert_maps_to_its_finding() {
        let cases = [
            ("UnknownCA", "rejected_unknown_ca"),
            ("CertificateRequired", "rejected_no_certificate"),
            ("BadCertificate", "rejected_bad_certificate"),
            ("UnsupportedCertificate", "rejected_bad_certificate"),
            ("DecryptError", "rejected_bad_certificate"),
            ("CertificateExpired", "cert_expired"),
            ("CertificateRevoked", "cert_revoked"),
            ("AccessDenied", "access_denied"),
        ];
        for (alert, code) in cases {
            for when in ["handshake", "after_handshake"] {
                let mut t = requested(base());
                t.failed_phase = Some(if when == "handshake" { "tls" } else { "http" }.into());
                t.alert = Some(AlertSeen {
                    description: alert.into(),
                    when: when.into(),
                });
                let r = diagnose(t, None, now());
                assert_eq!(r.verdict, Verdict::Rejected, "{alert} {when}");
                assert_eq!(codes(&r), vec![code], "{alert} {when}");
                assert!(!r.findings[0].remedy.is_empty());
            }
        }
        let mut t = requested(base());
        t.certificate_sent = false;
        t.failed_phase = Some("tls".into());
        t.alert = Some(AlertSeen {
            description: "HandshakeFailure".into(),
            when: "handshake".into(),
        });
        assert_eq!(
            codes(&diagnose(t, None, now())),
            vec!["rejected_no_certificate"]
        );
    }

    #[test]
    fn protocol_version_alert_is_a_version_mismatch() {
        let mut t = base();
        t.failed_phase = Some("tls".into());
        t.alert = Some(AlertSeen {
            description: "ProtocolVersion".into(),
            when: "handshake".into(),
        });
        let r = diagnose(t, None, now());
        assert_eq!(
            (r.verdict, codes(&r)),
            (Verdict::Failed, vec!["tls_version_mismatch"])
        );
    }

    #[test]
    fn http_outcomes_map_to_findings() {
        let cases: [(u16, &str, bool, bool, Verdict, &str); 5] = [
            (
                400,
                "<title>400 No required SSL certificate was sent</title>",
                true,
                false,
                Verdict::Rejected,
                "rejected_no_certificate",
            ),
            (
                400,
                "<title>400 The SSL certificate error</title>",
                true,
                true,
                Verdict::Rejected,
                "rejected_bad_certificate",
            ),
            (
                403,
                "Forbidden",
                true,
                true,
                Verdict::Rejected,
                "access_denied",
            ),
            (
                401,
                "{\"error\":\"certificate required\"}",
                true,
                false,
                Verdict::Rejected,
                "rejected_no_certificate",
            ),
            (
                403,
                "Forbidden",
                false,
                false,
                Verdict::Failed,
                "needs_post_handshake_auth",
            ),
        ];
        for (status, body, req, sent, verdict, code) in cases {
            let mut t = base();
            t.certificate_requested = req;
            t.certificate_sent = sent;
            t.http_status = Some(status);
            t.body_excerpt = Some(body.into());
            let r = diagnose(t, None, now());
            assert_eq!(
                (r.verdict, codes(&r)),
                (verdict, vec![code]),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn a_per_page_request_over_http2_is_named_with_its_reset() {
        use crate::probe::recheck::{Recheck, RecheckMethod};
        let mut t = base();
        t.http_version = Some("HTTP/2".into());
        t.http2_reset = Some("HTTP_1_1_REQUIRED".into());
        t.failed_phase = Some("http".into());
        t.error_detail = Some("stream error received: HTTP_1_1_REQUIRED".into());
        t.per_path_rechecks = vec![Recheck {
            method: RecheckMethod::Tls12Renegotiation,
            http_status: Some(200),
            error: None,
        }];
        let r = diagnose(t.clone(), None, now());
        assert_eq!(r.verdict, Verdict::Accepted);
        let http2 = r
            .findings
            .iter()
            .find(|f| f.code == "http2_per_page_certificate")
            .expect("the HTTP/2 finding");
        assert_eq!(http2.severity, Severity::Warning);
        assert!(http2.summary.contains("RFC 8740"));
        assert_eq!(
            http2.detail.as_deref(),
            Some("HTTP/2, the request was reset with HTTP_1_1_REQUIRED")
        );
        // Over HTTP/1.1 the same refusal has no HTTP/2 finding.
        t.http_version = Some("HTTP/1.1".into());
        t.http2_reset = None;
        let r = diagnose(t, None, now());
        assert!(!codes(&r).contains(&"http2_per_page_certificate"));
    }

    #[test]
    fn per_path_sites_are_judged_by_the_rechecks() {
        use crate::probe::recheck::{Recheck, RecheckMethod};
        let mut t = base();
        t.http_status = Some(403);
        t.per_path_rechecks = vec![
            Recheck {
                method: RecheckMethod::Tls13PostHandshake,
                http_status: Some(200),
                error: None,
            },
            Recheck {
                method: RecheckMethod::Tls12Renegotiation,
                http_status: Some(200),
                error: None,
            },
        ];
        let r = diagnose(t.clone(), None, now());
        assert_eq!(
            (r.verdict, codes(&r)),
            (Verdict::Accepted, vec!["needs_post_handshake_auth"])
        );
        assert_eq!(r.findings[0].severity, Severity::Warning);
        assert!(r.findings[0].detail.as_deref().is_some_and(|d| d.contains(
            "post-handshake authentication (as curl and Firefox do): HTTP 200: accepted"
        )));
        t.per_path_rechecks[0].http_status = Some(403);
        t.per_path_rechecks[1] = Recheck {
            method: RecheckMethod::Tls12Renegotiation,
            http_status: None,
            error: Some("alert".into()),
        };
        let r = diagnose(t, None, now());
        assert_eq!(
            (r.verdict, r.findings[0].severity),
            (Verdict::Rejected, Severity::Blocker)
        );
    }

    #[test]
    fn openssl_alert_wording_maps_to_alert_names() {
        assert_eq!(alert_from_openssl("40F7:error:0A000418:SSL routines::tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1586:SSL alert number 48"), Some("UnknownCA"));
        assert_eq!(
            alert_from_openssl("sslv3 alert certificate revoked"),
            Some("CertificateRevoked")
        );
        assert_eq!(alert_from_openssl("connection reset by peer"), None);
    }

    #[test]
    fn a_401_after_a_sent_certificate_is_a_certificate_refusal() {
        let mut t = requested(base());
        t.http_status = Some(401);
        t.body_excerpt =
            Some("{\"error\":\"certificate not accepted\",\"reason\":\"CERT_REVOKED\"}".into());
        let r = diagnose(t, None, now());
        assert_eq!(
            (r.verdict, codes(&r)),
            (Verdict::Rejected, vec!["rejected_bad_certificate"])
        );
        assert!(r.findings[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("CERT_REVOKED")));
    }

    #[test]
    fn html_bodies_are_shown_by_their_title() {
        assert_eq!(body_words("<html><head><title>400 No required SSL certificate was sent</title></head>\n<body>x</body>"), "400 No required SSL certificate was sent");
        assert_eq!(
            body_words("  {\"error\":\n \"nope\"} "),
            "{\"error\": \"nope\"}"
        );
    }

    #[test]
    fn network_and_server_trust_failures() {
        let mut t = base();
        t.failed_phase = Some("tcp".into());
        t.error_detail = Some("Connection refused".into());
        assert_eq!(codes(&diagnose(t, None, now())), vec!["unreachable"]);
        let mut t = base();
        t.failed_phase = Some("tls".into());
        t.server_trust_problem = Some(ServerTrustProblem::UnknownIssuer);
        assert_eq!(codes(&diagnose(t, None, now())), vec!["server_untrusted"]);
        let mut t = base();
        t.failed_phase = Some("tls".into());
        t.server_trust_problem = Some(ServerTrustProblem::NameMismatch);
        assert_eq!(
            codes(&diagnose(t, None, now())),
            vec!["server_name_mismatch"]
        );
        let mut t = base();
        t.failed_phase = Some("http".into());
        t.error_detail = Some("connection reset".into());
        assert_eq!(
            codes(&diagnose(t, None, now())),
            vec!["needs_post_handshake_auth"]
        );
    }

    fn local(issuer: &str) -> LocalIdentity {
        let ca = crate::cert::tests::test_chain();
        let mut leaf = cert::parse_certificate(&ca.leaf_der).expect("leaf");
        leaf.issuer = issuer.into();
        leaf.allows_client_auth = true;
        let root = cert::parse_certificate(&ca.root_der).expect("root");
        LocalIdentity {
            leaf,
            chain: vec![root],
        }
    }

    #[test]
    fn issuer_not_in_acceptable_names_names_both_sides() {
        let mut t = requested(base());
        t.acceptable_ca_names = vec!["CN=Example Issuing CA, O=Example".into()];
        t.failed_phase = Some("tls".into());
        t.alert = Some(AlertSeen {
            description: "UnknownCA".into(),
            when: "handshake".into(),
        });
        let l = local("CN=Other CA");
        let r = diagnose(t, Some(&l), now());
        assert_eq!(r.verdict, Verdict::Rejected);
        let f = r
            .findings
            .iter()
            .find(|f| f.code == "issuer_not_accepted")
            .expect("finding");
        assert_eq!(
            f.summary,
            "The site only accepts certificates from Example Issuing CA; yours is from Other CA."
        );
        assert!(codes(&r).contains(&"rejected_unknown_ca"));
    }

    #[test]
    fn key_type_refusal_and_local_expiry_are_reported() {
        let mut t = requested(base());
        t.key_scheme_accepted = Some(false);
        t.certificate_sent = false;
        t.http_status = Some(400);
        t.body_excerpt = Some("No required SSL certificate was sent".into());
        let l = local("CN=Test Issuing CA");
        let r = diagnose(t, Some(&l), l.leaf.not_after + time::Duration::days(2));
        let c = codes(&r);
        assert!(c.contains(&"key_type_not_accepted"), "{c:?}");
        assert!(c.contains(&"cert_expired"), "{c:?}");
        assert_eq!(r.verdict, Verdict::Rejected);
    }

    #[test]
    fn an_rsa_token_without_pss_under_tls13_gets_its_own_finding_and_tls12_does_not() {
        let token = crate::probe::TokenFacts {
            label: "PIV card".into(),
            key_type: crate::key::KeySpec::Rsa2048,
            mechanisms: vec!["CKM_RSA_PKCS".into()],
            schemes: vec!["RSA_PKCS1_SHA256".into()],
            rsa_pss: false,
        };
        let refused = |version: &str, token: crate::probe::TokenFacts| {
            let mut t = requested(base());
            t.tls_version = Some(version.into());
            t.key_scheme_accepted = Some(false);
            t.certificate_sent = false;
            t.http_status = Some(400);
            t.client_token = Some(token);
            let l = local("CN=Test Issuing CA");
            codes(&diagnose(t, Some(&l), now()))
        };
        let c = refused("TLSv1.3", token.clone());
        assert!(c.contains(&"token_cannot_sign_rsa_pss"), "{c:?}");
        assert!(!c.contains(&"key_type_not_accepted"), "{c:?}");
        // TLS 1.2 allows PKCS#1 v1.5: whatever was refused, it was not for want of PSS.
        let c = refused("TLSv1.2", token.clone());
        assert!(!c.contains(&"token_cannot_sign_rsa_pss"), "{c:?}");
        assert!(c.contains(&"key_type_not_accepted"), "{c:?}");
        // A token that has PSS is not blamed for it.
        let c = refused(
            "TLSv1.3",
            crate::probe::TokenFacts {
                rsa_pss: true,
                ..token
            },
        );
        assert!(!c.contains(&"token_cannot_sign_rsa_pss"), "{c:?}");
    }
}
