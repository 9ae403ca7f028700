//! Text and JSON layout. Wording of findings and errors comes from certdesk-core.

use certdesk_core::cert::CertInfo;
use certdesk_core::inspect::{InspectReport, InspectedCert, RequestInfo};
use certdesk_core::wallet::{Identity, IdentityStatus, IdentitySummary, ImportOutcome};
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
    let hint = core.and_then(certdesk_core::Error::hint);
    if as_json {
        let kind = core.map_or("usage", |e| e.kind().as_str());
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
        _ => None,
    }
}

/// `probe`: the verdict first, then findings with remedies, then what happened on the wire.
pub(crate) fn probe_report(r: &certdesk_core::probe::ProbeReport) {
    use certdesk_core::probe::Severity;
    outln!("{}", r.sentence);
    for f in &r.findings {
        let tag = match f.severity {
            Severity::Blocker => "problem",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        outln!();
        outln!("{tag}: {}", f.summary);
        if let Some(d) = &f.detail {
            outln!("  details: {d}");
        }
        outln!("  what to do: {}", f.remedy);
        if let Some(how) = cli_way(f.code) {
            outln!("  on the command line: {how}");
        }
        outln!("  (code: {})", f.code);
    }
    if let Some(retry) = &r.tls12_retry {
        outln!();
        outln!(
            "Over TLS 1.2, with the same key on the token: {}",
            retry.sentence
        );
        if let Some(status) = retry.http_status {
            outln!("  HTTP status over TLS 1.2: {status}");
        }
    }
    let t = &r.transcript;
    outln!();
    outln!(
        "Checked {} ({}:{})",
        t.url,
        t.addresses.first().map(String::as_str).unwrap_or(&t.host),
        t.port
    );
    if let Some(v) = &t.tls_version {
        outln!(
            "  TLS:                 {v}, {}",
            t.cipher_suite.as_deref().unwrap_or("?")
        );
    }
    outln!(
        "  certificate asked:   {}",
        if t.certificate_requested { "yes" } else { "no" }
    );
    if let Some(k) = &t.client_token {
        outln!(
            "  key on token:        \"{}\" ({}), signs with {}",
            k.label,
            k.key_type.describe(),
            if k.mechanisms.is_empty() {
                "no signing mechanism".to_string()
            } else {
                k.mechanisms.join(", ")
            }
        );
    }
    if !t.acceptable_ca_names.is_empty() {
        outln!(
            "  accepted issuers:    {}",
            t.acceptable_ca_names.join(" | ")
        );
    }
    if let Some(c) = &r.client_certificate {
        outln!(
            "  presented:           {} (issued by {})",
            c.subject,
            c.issuer
        );
    }
    outln!(
        "  certificate sent:    {}",
        if t.certificate_sent { "yes" } else { "no" }
    );
    if let Some(a) = &t.alert {
        outln!("  TLS alert:           {} ({})", a.description, a.when);
    }
    if let Some(v) = &t.http_version {
        match &t.http2_reset {
            Some(code) => outln!("  HTTP:                {v}, request reset with {code}"),
            None => outln!("  HTTP:                {v}"),
        }
    }
    if let Some(s) = t.http_status {
        outln!("  HTTP status:         {s}");
    }
    if let Some(e) = &t.error_detail {
        // Labels are padded to 21 columns so the values line up.
        let label = format!("stopped at {}:", t.failed_phase.as_deref().unwrap_or("?"));
        outln!("  {label:<21}{e}");
    }
    let timings: Vec<String> = t
        .timings
        .iter()
        .map(|p| format!("{} {} ms", p.phase, p.millis))
        .collect();
    if !timings.is_empty() {
        outln!("  timings:             {}", timings.join(", "));
    }
}
