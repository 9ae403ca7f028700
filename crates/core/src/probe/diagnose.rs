//! Pure diagnosis: a [`Transcript`] and the local identity become a verdict and findings with
//! remedies. No I/O here; every mapping from an alert or HTTP outcome to a finding is
//! unit-tested below.

use time::OffsetDateTime;

use super::{Finding, Origin, ProbeReport, ServerTrustProblem, Severity, Transcript, Verdict};
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
    summary: String,
    detail: Option<String>,
    remedy: &str,
) -> Finding {
    Finding {
        code,
        origin,
        severity,
        summary,
        detail,
        remedy: remedy.to_string(),
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
                "Your certificate has expired.".into(),
                Some(p.message),
                "Renew the certificate or request a new one from your issuer.",
            ),
            "not_yet_valid" => finding(
                "cert_not_yet_valid",
                Origin::Local,
                Severity::Blocker,
                "Your certificate is not valid yet.".into(),
                Some(p.message),
                "Check that this computer's date and time are correct, or wait until the certificate becomes valid.",
            ),
            "no_client_auth_eku" => finding(
                "missing_client_auth_eku",
                Origin::Local,
                Severity::Blocker,
                "Your certificate is not made for logging in to websites.".into(),
                Some(p.message),
                "Ask your issuer for a certificate with the \"client authentication\" usage (TLS Web Client Authentication).",
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
            "The certificate's issuing chain is incomplete on this computer.".into(),
            Some(format!(
                "the chain ends at {}, issued by {}",
                top.subject, top.issuer
            )),
            "Import the issuer's CA certificate as well (ask your issuer for the full chain).",
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

/// A response body in one line: an HTML page's title, or the text itself.
fn body_words(body: &str) -> String {
    let lower = body.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        if start + 7 <= end {
            return body[start + 7..end].trim().to_string();
        }
    }
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

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
            format!("Could not reach {}:{}.", t.host, t.port),
            t.error_detail.clone(),
            "Check the address, your network connection and any VPN or proxy you need for this site.",
        ));
        return Verdict::Failed;
    }
    // The server's own certificate.
    if let Some(problem) = &t.server_trust_problem {
        let (code, summary, remedy) = match problem {
            ServerTrustProblem::NameMismatch => (
                "server_name_mismatch",
                format!("The site's certificate is not valid for the name {}.", t.host),
                "Check that you typed the site's address exactly as your help desk gave it.",
            ),
            _ => (
                "server_untrusted",
                "This computer does not trust the site's certificate.".to_string(),
                "If the site uses a private CA, get that CA's certificate from your help desk and check again trusting it; otherwise do not continue.",
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
            "The site and certdesk share no TLS version.".into(),
            t.error_detail.clone(),
            "Ask the site's administrator to enable TLS 1.2 or 1.3.",
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
                    format!(
                        "The site only accepts certificates from {}; yours is from {}.",
                        t.acceptable_ca_names.iter().map(|n| short(n)).collect::<Vec<_>>().join(", "),
                        short(&l.leaf.issuer)
                    ),
                    Some(format!("acceptable CA names: {}; your chain's issuers: {}", t.acceptable_ca_names.join(" | "), ours.join(" | "))),
                    "Get a certificate from one of the CAs the site accepts (ask the site's help desk which one).",
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
                format!(
                    "Your security key \"{}\" cannot make the RSA-PSS signatures this site needs: it uses TLS 1.3, which accepts RSA keys only with RSA-PSS.",
                    token.label
                ),
                Some(format!(
                    "the token offers: {}; the site offered: {}",
                    if token.mechanisms.is_empty() { "no signing mechanisms".into() } else { token.mechanisms.join(", ") },
                    t.offered_signature_schemes.join(", ")
                )),
                "Make a new ECDSA key on the security key (certdesk request new --token … --key ec-p256) and get a certificate for it, or ask the site's administrators to allow TLS 1.2 for certificate logins.",
            ));
        } else if t.key_scheme_accepted == Some(false) {
            f.push(finding(
                "key_type_not_accepted",
                Origin::Server,
                Severity::Blocker,
                format!("The site does not accept your key type ({}).", l.leaf.key_description),
                Some(format!("the site offered: {}", t.offered_signature_schemes.join(", "))),
                "Request a new certificate with a key type the site accepts (for older sites: RSA 2048).",
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
            format!("The connection to {} broke off.", t.host),
            t.error_detail.clone(),
            "Try again; if it keeps happening, send this report to the site's help desk.",
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
            "The site did not ask for a certificate.".into(),
            Some(format!("HTTP {status}")),
            "Nothing to do if the site works; if it should ask for one, check the address with your help desk.",
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
                "The site refused your certificate.".into(),
                Some(format!("HTTP 400: {body}")),
                "Ask the site's help desk which CA it accepts and whether your certificate is revoked.",
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
            "The site refused your certificate (HTTP 401).".into(),
            (!body.is_empty()).then(|| body.clone()),
            "Show this report to the site's help desk: the site did not accept this certificate for logging in.",
        ));
        return Verdict::Rejected;
    }
    if status == 403 {
        // 403 means "authenticated, but not allowed": an application rule about the holder.
        f.push(finding(
            "access_denied",
            Origin::Server,
            Severity::Blocker,
            format!("The site accepted your certificate but refused access (HTTP {status})."),
            (!body.is_empty()).then(|| body.clone()),
            "Ask the site's help desk whether your certificate's organisation or unit is allowed; the site checks more than the certificate itself.",
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
        let (code, summary, remedy): (&'static str, &str, &str) = match description {
            "UnknownCA" => (
                "rejected_unknown_ca",
                "The site does not trust the CA that issued your certificate.",
                "Ask the site's help desk which CA it accepts, and get a certificate from it.",
            ),
            "CertificateExpired" => (
                "cert_expired",
                "The site says your certificate has expired.",
                "Renew the certificate or request a new one from your issuer.",
            ),
            "CertificateRevoked" => (
                "cert_revoked",
                "The site says your certificate has been revoked.",
                "Request a new certificate; a revoked one can never be used again.",
            ),
            "AccessDenied" => (
                "access_denied",
                "The site accepted the certificate technically but denies its holder access.",
                "Ask the site's help desk to grant your certificate access.",
            ),
            "ProtocolVersion" => (
                "tls_version_mismatch",
                "The site and certdesk share no TLS version.",
                "Ask the site's administrator to enable TLS 1.2 or 1.3.",
            ),
            _ => (
                "rejected_bad_certificate",
                "The site refused your certificate.",
                "Show this report to the site's help desk: the site refused the certificate without saying why.",
            ),
        };
        finding(
            code,
            Origin::Server,
            Severity::Blocker,
            summary.into(),
            detail,
            remedy,
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
        "The site requires a certificate and none was sent.".into(),
        detail,
        "Choose one of your certificates for this site and check again; if you did, see the other findings for why it was not sent.",
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
            let found = match (r.http_status, r.error.as_deref().and_then(alert_from_openssl)) {
                (Some(403), _) => Some(finding(
                    "access_denied",
                    Origin::Server,
                    Severity::Blocker,
                    "The site accepted your certificate but refused access (HTTP 403).".into(),
                    detail,
                    "Ask the site's help desk whether your certificate's organisation or unit is allowed; the site checks more than the certificate itself.",
                )),
                (Some(401), _) => Some(finding(
                    "rejected_bad_certificate",
                    Origin::Server,
                    Severity::Blocker,
                    "The site refused your certificate (HTTP 401).".into(),
                    detail,
                    "Show this report to the site's help desk: the site did not accept this certificate for logging in.",
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
            "The site uses HTTP/2 and asks for a certificate only on some pages: HTTP/2 cannot ask for one once the connection is set up (RFC 8740).".into(),
            Some(match &t.http2_reset {
                Some(code) => format!("HTTP/2, the request was reset with {code}"),
                None => format!(
                    "HTTP/2, then {}",
                    t.http_status
                        .map(|s| format!("HTTP {s}"))
                        .unwrap_or_else(|| t.error_detail.clone().unwrap_or_default())
                ),
            }),
            "A browser has to start over with HTTP/1.1 for such a page, and only does so when the site answers HTTP_1_1_REQUIRED. Ask the site's administrator to require the certificate for the whole site, or to turn HTTP/2 off for it (Apache: Protocols http/1.1).",
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
            "The site accepts your certificate, but asks for it only on some pages, after the connection is set up: Chrome and Edge will fail there.".into()
        } else {
            "The site asks for a certificate only on some pages, after the connection is set up.".into()
        },
        Some(lines.join("; ")),
        "Ask the site's administrator to require the certificate for the whole site (Apache: SSLVerifyClient at the virtual-host level): Chrome and Edge cannot answer a per-page request over TLS 1.3.",
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
