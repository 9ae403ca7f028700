//! Text and JSON layout. Wording of findings and errors comes from certdesk-core.

use certdesk_core::cert::CertInfo;
use certdesk_core::inspect::{InspectReport, InspectedCert, RequestInfo};
use certdesk_core::wallet::{Identity, IdentityStatus, IdentitySummary, ImportOutcome};
use certdesk_wording::{Lang, Text};
use serde::Serialize;
use time::OffsetDateTime;

/// Prints a value as pretty JSON on stdout.
pub(crate) fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    outln!("{text}");
    Ok(())
}

/// Prints an error once, with its hint, as text on stderr or JSON on stdout.
pub(crate) fn error(err: &anyhow::Error, as_json: bool) {
    let core = err.downcast_ref::<certdesk_core::Error>().or_else(|| {
        match err.downcast_ref::<certdesk_flows::Error>() {
            Some(certdesk_flows::Error::Core(core)) => Some(core),
            _ => None,
        }
    });
    let problem = match err.downcast_ref::<certdesk_flows::Error>() {
        Some(certdesk_flows::Error::Enroll(problem)) => Some(problem),
        _ => None,
    };
    let hint = core
        .and_then(certdesk_core::Error::hint)
        .or_else(|| problem.map(crate::commands::enroll::problem_hint));
    if as_json {
        let kind = match (core, problem) {
            (Some(e), _) => e.kind().as_str(),
            (None, Some(_)) => "invalid_input",
            (None, None) => "usage",
        };
        let body = serde_json::json!({
            "error": { "kind": kind, "message": format!("{err:#}"), "hint": hint }
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
    } else {
        eprintln!("error: {err:#}");
        if let Some(h) = hint {
            eprintln!("hint: {h}");
        }
    }
}

/// A command-line usage mistake in the JSON error shape.
pub(crate) fn usage_error_json(message: &str) {
    let body = serde_json::json!({
        "error": { "kind": "usage", "message": message, "hint": "run `certdesk --help` or `certdesk COMMAND --help`" }
    });
    outln!(
        "{}",
        serde_json::to_string_pretty(&body).unwrap_or_default()
    );
}

fn status_words(s: &IdentitySummary, now: OffsetDateTime) -> String {
    match (s.status, s.not_after) {
        (IdentityStatus::Pending, _) => "waiting for certificate".into(),
        (IdentityStatus::Issued, Some(na)) if na < now => {
            format!("EXPIRED {} days ago", (now - na).whole_days())
        }
        (IdentityStatus::Issued, Some(na)) => {
            format!("ready, expires in {} days", (na - now).whole_days())
        }
        (IdentityStatus::Issued, None) => "ready".into(),
    }
}

/// `identity list` as a table.
pub(crate) fn identity_list(list: &[IdentitySummary]) {
    if list.is_empty() {
        outln!(
            "No identities yet. Create one with: certdesk request new --subject \"CN=Your Name\""
        );
        return;
    }
    let now = OffsetDateTime::now_utc();
    outln!("{:<16}  {:<24}  {:<10}  {}", "ID", "LABEL", "KEY", "STATUS");
    for s in list {
        outln!(
            "{:<16}  {:<24}  {:<10}  {}",
            s.id,
            truncate(&s.label, 24),
            s.key_type.as_str(),
            status_words(s, now)
        );
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// `identity show` in plain words.
pub(crate) fn identity_show(identity: &Identity, summary: &IdentitySummary) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    outln!("{}  ({})", identity.label, identity.id);
    outln!("  status:     {}", status_words(summary, now));
    outln!("  key:        {}", identity.key_type.describe());
    outln!(
        "  protected:  {}",
        match &identity.protection {
            certdesk_core::wallet::Protection::Keyring { vault } =>
                format!("by a secret in {vault}"),
            certdesk_core::wallet::Protection::Passphrase => "by your passphrase".into(),
            certdesk_core::wallet::Protection::Token(t) => format!(
                "key on token \"{}\" (serial {}), never extractable; module {}",
                t.token_label,
                t.token_serial,
                t.module.display()
            ),
        }
    );
    outln!("  created:    {}", identity.created.date());
    match &identity.origin {
        certdesk_core::wallet::Origin::Request { via } => {
            outln!("  origin:     request created here (via {via})")
        }
        certdesk_core::wallet::Origin::Pkcs12Import { file } => {
            outln!("  origin:     imported from {file}")
        }
    }
    if let Some(csr) = identity.csr()? {
        outln!("  request:    SHA-256 {}", csr.fingerprint_sha256());
    }
    if let Some(info) = identity.certificate_info()? {
        outln!("  certificate:");
        cert_lines(&info, now, "    ");
        for w in &identity.import_warnings {
            outln!("  warning:    {}", w.message);
        }
    } else {
        outln!("  subject:    {}", summary.subject);
    }
    Ok(())
}

fn cert_lines(info: &CertInfo, now: OffsetDateTime, indent: &str) {
    outln!("{indent}subject:   {}", info.subject);
    outln!("{indent}issued by: {}", info.issuer);
    outln!(
        "{indent}valid:     {} to {} ({})",
        info.not_before.date(),
        info.not_after.date(),
        info.validity_words(now)
    );
    outln!("{indent}key:       {}", info.key_description);
    if !info.extended_key_usages.is_empty() {
        outln!("{indent}usage:     {}", info.extended_key_usages.join(", "));
    }
    if !info.subject_alt_names.is_empty() {
        outln!("{indent}names:     {}", info.subject_alt_names.join(", "));
    }
    outln!("{indent}serial:    {}", info.serial);
    outln!("{indent}SHA-256:   {}", info.sha256);
    outln!("{indent}SHA-1:     {}", info.sha1);
}

fn inspected(c: &InspectedCert, n: usize, total: usize) {
    let now = OffsetDateTime::now_utc();
    let title = if c.info.is_ca {
        "CA certificate"
    } else {
        "Certificate"
    };
    if total > 1 {
        outln!("{title} {n} of {total}");
    } else {
        outln!("{title}");
    }
    cert_lines(&c.info, now, "  ");
    if !c.info.is_ca {
        if c.fit_for_client_auth && c.problems.is_empty() {
            outln!("  client authentication: fit");
        } else if c.fit_for_client_auth {
            outln!("  client authentication: fit, with warnings");
        } else {
            outln!("  client authentication: NOT fit");
        }
        for p in &c.problems {
            outln!("    - {}", p.message);
        }
    }
}

/// `inspect` in plain words.
pub(crate) fn inspect(report: &InspectReport) {
    match report {
        InspectReport::Certificates {
            container,
            certificates,
        } => {
            outln!("File type: {}", container_words(*container));
            let total = certificates.len();
            for (i, c) in certificates.iter().enumerate() {
                outln!();
                inspected(c, i + 1, total);
            }
        }
        InspectReport::Request(r) => request(r),
        InspectReport::Pkcs12 {
            key,
            friendly_name,
            certificates,
        } => {
            outln!("File type: PKCS#12 (certificate with its private key)");
            outln!("  key:  {key}");
            if let Some(n) = friendly_name {
                outln!("  name: {n}");
            }
            let total = certificates.len();
            for (i, c) in certificates.iter().enumerate() {
                outln!();
                inspected(c, i + 1, total);
            }
        }
        InspectReport::PrivateKey { encrypted } => {
            outln!(
                "File type: {} private key. Its contents are not shown; keep it secret and never send it to anyone.",
                if *encrypted { "an encrypted" } else { "an UNENCRYPTED" }
            );
        }
    }
}

fn container_words(c: certdesk_core::encoding::Container) -> &'static str {
    use certdesk_core::encoding::Container;
    match c {
        Container::Pem => "PEM certificate(s)",
        Container::Der => "binary (DER) certificate",
        Container::Base64 => "base64 certificate without PEM headers",
        Container::Pkcs7 => "PKCS#7 bundle (.p7b)",
    }
}

fn request(r: &RequestInfo) {
    outln!("File type: certificate request (CSR)");
    outln!("  subject:   {}", r.subject);
    outln!("  key:       {}", r.key);
    if !r.subject_alt_names.is_empty() {
        outln!("  names:     {}", r.subject_alt_names.join(", "));
    }
    outln!(
        "  asks for:  {}",
        if r.requests_client_auth {
            "client authentication"
        } else {
            "no specific usage"
        }
    );
    if r.has_challenge_password {
        outln!("  includes an enrollment code (not shown)");
    }
    outln!(
        "  signature: {}",
        if r.signature_valid {
            "valid"
        } else {
            "INVALID"
        }
    );
    outln!("  SHA-256:   {}", r.sha256);
}

/// `import` result.
pub(crate) fn import_outcome(o: &ImportOutcome) {
    let s = &o.identity;
    if o.already_imported {
        outln!(
            "Already imported: {} ({}) has this certificate.",
            s.label,
            s.id
        );
    } else {
        outln!("Imported the certificate for {} ({}).", s.label, s.id);
    }
    outln!("  subject:   {}", s.subject);
    if let Some(i) = &s.issuer {
        outln!("  issued by: {i}");
    }
    outln!("  chain:     {} certificate(s)", o.chain_length);
    if o.replaced_previous {
        outln!("  the previous certificate is kept in the identity's history");
    }
    for w in &o.warnings {
        outln!("warning: {}", w.message);
    }
}

/// How to act on a finding's remedy with this CLI, for the findings whose remedy is "check
/// again with …" (core words remedies for every front end; the flags are ours).
fn cli_way(code: &str) -> Option<&'static str> {
    match code {
        "rejected_no_certificate" => Some("certdesk probe URL --identity ID"),
        "server_untrusted" => Some("certdesk probe URL --ca-file THE-CA.pem"),
        "token_cannot_sign_rsa_pss" => Some("certdesk request new … --token LABEL --key ec-p256"),
        _ => None,
    }
}

/// `probe`: the verdict first, then findings with remedies, then what happened on the wire,
/// in the language of the locale (the report arrives already localized).
pub(crate) fn probe_report(r: &certdesk_core::probe::ProbeReport, lang: Lang) {
    use certdesk_core::probe::Severity;
    let say = |id: &'static str| Text::new(id).render(lang);
    outln!("{}", r.sentence);
    for f in &r.findings {
        let tag = match f.severity {
            Severity::Blocker => say("label-problem"),
            Severity::Warning => say("label-warning"),
            Severity::Info => say("label-note"),
        };
        outln!();
        outln!("{tag}: {}", f.summary);
        if let Some(d) = &f.detail {
            outln!("  {}: {d}", say("label-details"));
        }
        outln!("  {}: {}", say("label-what-to-do"), f.remedy);
        if let Some(how) = cli_way(f.code) {
            outln!("  {}: {how}", say("label-on-command-line"));
        }
        outln!("  ({}: {})", say("label-code"), f.code);
    }
    if let Some(retry) = &r.tls12_retry {
        outln!();
        outln!(
            "{}",
            Text::new("label-tls12-retry")
                .arg("sentence", &retry.sentence)
                .render(lang)
        );
        if let Some(status) = retry.http_status {
            outln!("  {}: {status}", say("label-tls12-status"));
        }
    }
    let t = &r.transcript;
    let yes_no = |b: bool| say(if b { "label-yes" } else { "label-no" });
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(v) = &t.tls_version {
        rows.push((
            say("label-tls"),
            format!("{v}, {}", t.cipher_suite.as_deref().unwrap_or("?")),
        ));
    }
    rows.push((
        say("label-certificate-asked"),
        yes_no(t.certificate_requested),
    ));
    if let Some(k) = &t.client_token {
        let mechanisms = if k.mechanisms.is_empty() {
            say("label-no-signing-mechanism")
        } else {
            k.mechanisms.join(", ")
        };
        rows.push((
            say("label-key-on-token"),
            Text::new("label-key-on-token-value")
                .arg("label", &k.label)
                .arg("key", k.key_type.describe())
                .arg("mechanisms", mechanisms)
                .render(lang),
        ));
    }
    if !t.acceptable_ca_names.is_empty() {
        rows.push((
            say("label-accepted-issuers"),
            t.acceptable_ca_names.join(" | "),
        ));
    }
    if let Some(c) = &r.client_certificate {
        rows.push((
            say("label-presented"),
            Text::new("label-presented-value")
                .arg("subject", &c.subject)
                .arg("issuer", &c.issuer)
                .render(lang),
        ));
    }
    rows.push((say("label-certificate-sent"), yes_no(t.certificate_sent)));
    if let Some(a) = &t.alert {
        rows.push((
            say("label-tls-alert"),
            format!("{} ({})", a.description, a.when),
        ));
    }
    if let Some(v) = &t.http_version {
        rows.push((
            say("label-http"),
            match &t.http2_reset {
                Some(code) => Text::new("label-http-reset")
                    .arg("version", v)
                    .arg("code", code)
                    .render(lang),
                None => v.clone(),
            },
        ));
    }
    if let Some(status) = t.http_status {
        rows.push((say("label-http-status"), status.to_string()));
    }
    if let Some(e) = &t.error_detail {
        rows.push((
            Text::new("label-stopped-at")
                .arg("phase", t.failed_phase.as_deref().unwrap_or("?"))
                .render(lang),
            e.clone(),
        ));
    }
    let timings: Vec<String> = t
        .timings
        .iter()
        .map(|p| format!("{} {} ms", p.phase, p.millis))
        .collect();
    if !timings.is_empty() {
        rows.push((say("label-timings"), timings.join(", ")));
    }
    outln!();
    outln!(
        "{}",
        Text::new("label-checked")
            .arg("url", &t.url)
            .arg(
                "address",
                t.addresses.first().map(String::as_str).unwrap_or(&t.host),
            )
            .arg("port", t.port.to_string())
            .render(lang)
    );
    // Values line up after the longest label of this language (21 columns at least, as before).
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count() + 2)
        .max()
        .unwrap_or(0)
        .max(21);
    for (label, value) in rows {
        let label = format!("{label}:");
        outln!("  {label:<width$}{value}");
    }
}
