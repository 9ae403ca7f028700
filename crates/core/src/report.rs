//! The diagnostic report a user sends to their help desk when something fails (issue #7):
//! app version, OS, the identity in facts (subject, issuer, serial, validity, fingerprints,
//! key type, where it came from, the profile and its origin), the steps done (history), the
//! last enrollment result and the last site check (transcript and findings).
//!
//! Redacted by construction: the report is assembled only from types that have no field for
//! key material, passwords or enrollment codes. The last site check is read back from
//! `last-probe.json` into [`SiteCheckRecord`], which keeps the verdict, findings and transcript
//! facts and drops everything else (the response body excerpt included).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::fsutil::{write_atomic, FileMode};
use crate::history::{self, EventKind, HistoryEvent};
use crate::probe::ProbeReport;
use crate::wallet::{Origin, Protection, Wallet};
use crate::Result;

const LAST_PROBE_FILE: &str = "last-probe.json";

/// The computer the report was made on.
#[derive(Debug, Clone, Serialize)]
pub struct OsInfo {
    /// `linux`, `macos`, `windows`.
    pub os: String,
    /// `x86_64`, `aarch64`.
    pub arch: String,
    /// The distribution's name (`Debian GNU/Linux 12 (bookworm)`), from `/etc/os-release`.
    pub pretty_name: Option<String>,
}

impl OsInfo {
    /// This computer.
    pub fn current() -> OsInfo {
        let pretty_name = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME=").map(str::to_string))
            })
            .map(|v| v.trim().trim_matches('"').to_string());
        OsInfo {
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            pretty_name,
        }
    }
}

/// The identity in facts.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityFacts {
    /// Id.
    pub id: String,
    /// Label.
    pub label: String,
    /// `pending` or `issued`.
    pub status: String,
    /// Key type (`ec-p256`).
    pub key_type: String,
    /// How the key is protected (`keyring` or `passphrase`), not the secret.
    pub key_protection: String,
    /// Where the identity came from (`request via cli`, `pkcs12 import of FILE`).
    pub origin: String,
    /// Subject (of the certificate, else of the request).
    pub subject: String,
    /// Issuer DN, once issued.
    pub issuer: Option<String>,
    /// Serial, colon hex.
    pub serial: Option<String>,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_before: Option<OffsetDateTime>,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    /// Validity in words at report time.
    pub validity: Option<String>,
    /// SHA-256 of the certificate.
    pub sha256: Option<String>,
    /// SHA-1 of the certificate (Windows' thumbprint).
    pub sha1: Option<String>,
    /// Subjects of the chain above the certificate.
    pub chain: Vec<String>,
    /// Codes of warnings raised when the certificate was imported.
    pub import_warnings: Vec<String>,
}

/// The profile the identity was made from.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileFacts {
    /// Its name.
    pub name: String,
    /// Where it came from.
    pub origin: String,
    /// SHA-256 of its text.
    pub sha256: String,
    /// Enrollment method.
    pub method: String,
    /// Enrollment URL or recipient.
    pub target: Option<String>,
    /// The help desk's contact.
    pub support: Option<String>,
}

/// One finding of the last site check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingRecord {
    /// Stable code.
    pub code: String,
    /// `blocker`, `warning`, `info`.
    pub severity: String,
    /// One line.
    pub summary: String,
    /// The values.
    #[serde(default)]
    pub detail: Option<String>,
    /// What to do.
    pub remedy: String,
}

/// A TLS alert seen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Its name.
    pub description: String,
    /// `handshake` or `after_handshake`.
    pub when: String,
}

/// A phase timing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimingRecord {
    /// `dns`, `tcp`, `tls`, `http`.
    pub phase: String,
    /// Milliseconds.
    pub millis: u64,
}

/// The transcript facts kept in a report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TranscriptRecord {
    /// URL checked.
    pub url: String,
    /// Where it stopped, if it did.
    #[serde(default)]
    pub failed_phase: Option<String>,
    /// The low-level error.
    #[serde(default)]
    pub error_detail: Option<String>,
    /// TLS version.
    #[serde(default)]
    pub tls_version: Option<String>,
    /// Cipher suite.
    #[serde(default)]
    pub cipher_suite: Option<String>,
    /// Whether the server asked for a certificate.
    #[serde(default)]
    pub certificate_requested: bool,
    /// The CA names it accepts.
    #[serde(default)]
    pub acceptable_ca_names: Vec<String>,
    /// Whether a certificate was sent.
    #[serde(default)]
    pub certificate_sent: bool,
    /// The alert, if any.
    #[serde(default)]
    pub alert: Option<AlertRecord>,
    /// HTTP status.
    #[serde(default)]
    pub http_status: Option<u16>,
    /// Timings.
    #[serde(default)]
    pub timings: Vec<TimingRecord>,
}

/// The last site check as kept in a report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteCheckRecord {
    /// `accepted`, `rejected`, `not_requested`, `failed`.
    pub verdict: String,
    /// The verdict in one sentence.
    pub sentence: String,
    /// Findings.
    #[serde(default)]
    pub findings: Vec<FindingRecord>,
    /// Transcript facts.
    pub transcript: TranscriptRecord,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticReport {
    /// `certdesk-diagnostic-report/1`.
    pub format: &'static str,
    /// When made.
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    /// The certdesk version that made it.
    pub app_version: String,
    /// The computer.
    pub os: OsInfo,
    /// The identity.
    pub identity: IdentityFacts,
    /// Its profile, when made from one.
    pub profile: Option<ProfileFacts>,
    /// The steps done, oldest first.
    pub history: Vec<HistoryEvent>,
    /// The last enrollment event (attempt, pending, issued, failed, renewed).
    pub last_enrollment: Option<HistoryEvent>,
    /// The last site check.
    pub last_site_check: Option<SiteCheckRecord>,
}

/// Keeps a site check with an identity: the full report as `last-probe.json` and a
/// `site_check` event in the history.
pub fn record_site_check(wallet: &Wallet, id: &str, report: &ProbeReport) -> Result<()> {
    let json = serde_json::to_vec_pretty(report)
        .map_err(|e| crate::Error::crypto("encode the site check", e))?;
    write_atomic(
        &wallet.identity_dir(id).join(LAST_PROBE_FILE),
        &json,
        FileMode::Private,
    )?;
    history::record(wallet, id, &HistoryEvent::site_check(report))
}

/// Assembles the report for identity `wanted` (id, prefix or label).
pub fn build_report(wallet: &Wallet, wanted: &str, app_version: &str) -> Result<DiagnosticReport> {
    let identity = wallet.get(wanted)?;
    let now = OffsetDateTime::now_utc();
    let summary = identity.summary()?;
    let info = identity.certificate_info()?;
    let chain = identity
        .chain_der()
        .map(|c| {
            c.iter()
                .skip(1)
                .filter_map(|d| crate::cert::parse_certificate(d).ok())
                .map(|i| i.subject)
                .collect()
        })
        .unwrap_or_default();
    let facts = IdentityFacts {
        id: identity.id.clone(),
        label: identity.label.clone(),
        status: serde_json::to_value(identity.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        key_type: identity.key_type.as_str().to_string(),
        key_protection: match &identity.protection {
            Protection::Keyring { vault } => format!("keyring ({vault})"),
            Protection::Passphrase => "passphrase".into(),
            Protection::Token(t) => format!(
                "on the token \"{}\" (serial {}, module {}), never extractable",
                t.token_label,
                t.token_serial,
                t.module.display()
            ),
        },
        origin: match &identity.origin {
            Origin::Request { via } => format!("key and request made by certdesk ({via})"),
            Origin::Pkcs12Import { file } => format!("imported from {file}"),
        },
        subject: summary.subject,
        issuer: info.as_ref().map(|i| i.issuer.clone()),
        serial: info.as_ref().map(|i| i.serial.clone()),
        not_before: info.as_ref().map(|i| i.not_before),
        not_after: info.as_ref().map(|i| i.not_after),
        validity: info.as_ref().map(|i| i.validity_words(now)),
        sha256: info.as_ref().map(|i| i.sha256.clone()),
        sha1: info.as_ref().map(|i| i.sha1.clone()),
        chain,
        import_warnings: identity
            .import_warnings
            .iter()
            .map(|w| w.code.clone())
            .collect(),
    };
    let profile = crate::profile::profile_of(wallet, &identity.id)
        .ok()
        .flatten()
        .map(|p| {
            use crate::profile::EnrollMethod;
            ProfileFacts {
                name: p.profile.name.clone(),
                origin: p.origin.to_string(),
                sha256: p.sha256.clone(),
                method: p.profile.enroll.method.name().to_string(),
                target: match &p.profile.enroll.method {
                    EnrollMethod::Est { url, .. }
                    | EnrollMethod::Portal { url, .. }
                    | EnrollMethod::Scep { url, .. } => Some(url.clone()),
                    EnrollMethod::Email { to } => Some(to.clone()),
                },
                support: p.profile.support.clone(),
            }
        });
    let history = history::read(wallet, &identity.id)?;
    let last_enrollment = history
        .iter()
        .rev()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::EnrollAttempt
                    | EventKind::Pending
                    | EventKind::Issued
                    | EventKind::EnrollFailed
                    | EventKind::Renewed
            )
        })
        .cloned();
    let last_site_check = std::fs::read(wallet.identity_dir(&identity.id).join(LAST_PROBE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<SiteCheckRecord>(&b).ok());
    Ok(DiagnosticReport {
        format: "certdesk-diagnostic-report/1",
        generated_at: now,
        app_version: app_version.to_string(),
        os: OsInfo::current(),
        identity: facts,
        profile,
        history,
        last_enrollment,
        last_site_check,
    })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn event_line(e: &HistoryEvent) -> String {
    let mut line = format!("{}  {}", rfc3339(e.time), e.kind.as_str());
    for part in [&e.via, &e.target, &e.verdict, &e.error_kind]
        .into_iter()
        .flatten()
    {
        line.push_str("  ");
        line.push_str(part);
    }
    if !e.codes.is_empty() {
        line.push_str(&format!("  [{}]", e.codes.join(", ")));
    }
    if let Some(m) = &e.message {
        line.push_str(&format!("  \"{m}\""));
    }
    line
}

impl DiagnosticReport {
    /// The report as plain text for a person at a help desk.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        let id = &self.identity;
        line(format!("certdesk diagnostic report ({})", self.format));
        line(format!("generated:   {}", rfc3339(self.generated_at)));
        line(format!("certdesk:    {}", self.app_version));
        line(format!(
            "system:      {} ({} {})",
            self.os.pretty_name.as_deref().unwrap_or("unknown"),
            self.os.os,
            self.os.arch
        ));
        line(String::new());
        line("Identity".into());
        line(format!("  label:      {} ({})", id.label, id.id));
        line(format!("  status:     {}", id.status));
        line(format!("  subject:    {}", id.subject));
        if let Some(i) = &id.issuer {
            line(format!("  issuer:     {i}"));
        }
        for c in &id.chain {
            line(format!("  chain:      {c}"));
        }
        if let Some(s) = &id.serial {
            line(format!("  serial:     {s}"));
        }
        if let (Some(b), Some(a)) = (id.not_before, id.not_after) {
            line(format!(
                "  valid:      {} to {} ({})",
                rfc3339(b),
                rfc3339(a),
                id.validity.as_deref().unwrap_or("")
            ));
        }
        if let Some(s) = &id.sha256 {
            line(format!("  SHA-256:    {s}"));
        }
        if let Some(s) = &id.sha1 {
            line(format!("  SHA-1:      {s}"));
        }
        line(format!(
            "  key:        {} ({})",
            id.key_type, id.key_protection
        ));
        line(format!("  origin:     {}", id.origin));
        if !id.import_warnings.is_empty() {
            line(format!("  warnings:   {}", id.import_warnings.join(", ")));
        }
        line(String::new());
        match &self.profile {
            Some(p) => {
                line(format!("Profile: {} (from {})", p.name, p.origin));
                line(format!(
                    "  method:     {} {}",
                    p.method,
                    p.target.as_deref().unwrap_or("")
                ));
                line(format!("  SHA-256:    {}", p.sha256));
                if let Some(s) = &p.support {
                    line(format!("  support:    {s}"));
                }
            }
            None => line("Profile: none (made without a help-desk profile)".into()),
        }
        line(String::new());
        line("Last enrollment".into());
        match &self.last_enrollment {
            Some(e) => line(format!("  {}", event_line(e))),
            None => line("  none recorded".into()),
        }
        line(String::new());
        line("Last site check".into());
        match &self.last_site_check {
            None => line("  none recorded".into()),
            Some(s) => {
                let t = &s.transcript;
                line(format!("  {} ({})", s.sentence, s.verdict));
                line(format!("  url:        {}", t.url));
                if let Some(v) = &t.tls_version {
                    line(format!(
                        "  tls:        {v} {}",
                        t.cipher_suite.as_deref().unwrap_or("")
                    ));
                }
                line(format!(
                    "  asked for a certificate: {}; sent one: {}",
                    if t.certificate_requested { "yes" } else { "no" },
                    if t.certificate_sent { "yes" } else { "no" }
                ));
                if !t.acceptable_ca_names.is_empty() {
                    line(format!(
                        "  accepted CAs: {}",
                        t.acceptable_ca_names.join("; ")
                    ));
                }
                if let Some(a) = &t.alert {
                    line(format!("  alert:      {} ({})", a.description, a.when));
                }
                if let Some(h) = t.http_status {
                    line(format!("  http:       {h}"));
                }
                if let Some(p) = &t.failed_phase {
                    line(format!(
                        "  stopped at: {p}: {}",
                        t.error_detail.as_deref().unwrap_or("")
                    ));
                }
                let timings: Vec<String> = t
                    .timings
                    .iter()
                    .map(|x| format!("{} {} ms", x.phase, x.millis))
                    .collect();
                if !timings.is_empty() {
                    line(format!("  timings:    {}", timings.join(", ")));
                }
                for f in &s.findings {
                    line(format!("  {}: {} ({})", f.severity, f.summary, f.code));
                    if let Some(d) = &f.detail {
                        line(format!("    details: {d}"));
                    }
                    line(format!("    what to do: {}", f.remedy));
                }
            }
        }
        line(String::new());
        line(format!("Steps ({})", self.history.len()));
        for e in &self.history {
            line(format!("  {}", event_line(e)));
        }
        out
    }
}
