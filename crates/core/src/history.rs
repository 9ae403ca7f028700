//! The per-identity event log: `history.jsonl` in the identity's directory, one JSON object per
//! line, appended and never rewritten (issue #7). It records the steps a person went through
//! (requested, enrollment attempts, issued, installed, site checks, renewals) so that a
//! diagnostic report can show a help desk what happened.
//!
//! Payloads are small and redacted by construction: [`HistoryEvent`] holds only a verdict,
//! finding codes, an error kind and message, a URL or a store name — never key material,
//! passwords or enrollment codes. A crash in the middle of an append leaves at most a torn last
//! line, which [`read`] skips.

use std::fs::OpenOptions;
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::wallet::Wallet;
use crate::{Error, Result};

const HISTORY_FILE: &str = "history.jsonl";
/// Longest message kept in one event; longer ones are cut (a server's whole error page does
/// not belong in a log).
pub const MAX_MESSAGE_CHARS: usize = 500;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A key and a request were created.
    Requested,
    /// An enrollment was started (EST, portal, email hand-off).
    EnrollAttempt,
    /// A certificate arrived and was stored.
    Issued,
    /// The CA accepted the request and will answer later.
    Pending,
    /// An enrollment attempt failed.
    EnrollFailed,
    /// The identity was installed into a store.
    Installed,
    /// The identity was removed from a store.
    Uninstalled,
    /// A site was checked with this identity.
    SiteCheck,
    /// The certificate was renewed.
    Renewed,
}

impl EventKind {
    /// The stable name, as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Requested => "requested",
            EventKind::EnrollAttempt => "enroll_attempt",
            EventKind::Issued => "issued",
            EventKind::Pending => "pending",
            EventKind::EnrollFailed => "enroll_failed",
            EventKind::Installed => "installed",
            EventKind::Uninstalled => "uninstalled",
            EventKind::SiteCheck => "site_check",
            EventKind::Renewed => "renewed",
        }
    }
}

/// One line of the log. Every field but `time` and `kind` is optional; set what applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// When (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// What happened.
    pub kind: EventKind,
    /// The method or tool (`est`, `portal`, `email`, `practice`, `nss`, `probe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The server, site or store concerned (a URL without credentials, a store name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A site check's verdict (`accepted`, `rejected`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Finding codes of a site check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// For failures: the error kind (`network`, `authentication`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// A one-line message in plain words (cut at [`MAX_MESSAGE_CHARS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A certificate's SHA-256 fingerprint (issued, renewed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_sha256: Option<String>,
}

impl HistoryEvent {
    /// An event of `kind` happening now, with nothing else set.
    pub fn now(kind: EventKind) -> HistoryEvent {
        HistoryEvent {
            time: OffsetDateTime::now_utc(),
            kind,
            via: None,
            target: None,
            verdict: None,
            codes: Vec::new(),
            error_kind: None,
            message: None,
            certificate_sha256: None,
        }
    }

    /// Sets `via`.
    pub fn via(mut self, via: impl Into<String>) -> Self {
        self.via = Some(via.into());
        self
    }

    /// Sets `target`; user names and passwords in a URL (`https://u:p@host`) are removed.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(strip_userinfo(&target.into()));
        self
    }

    /// Sets `message` (first line only, cut at [`MAX_MESSAGE_CHARS`]).
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(clip(&message.into()));
        self
    }

    /// A failed enrollment from a core error: its kind and message.
    pub fn enroll_failed(error: &Error) -> HistoryEvent {
        let mut e = HistoryEvent::now(EventKind::EnrollFailed).message(error.to_string());
        e.error_kind = Some(error.kind().as_str().to_string());
        e
    }

    /// A site check from its report: verdict, finding codes, the URL and the one-sentence result.
    pub fn site_check(report: &crate::probe::ProbeReport) -> HistoryEvent {
        let mut e = HistoryEvent::now(EventKind::SiteCheck)
            .via("probe")
            .target(report.transcript.url.clone())
            .message(report.sentence.clone());
        e.verdict = serde_json::to_value(report.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        e.codes = report.findings.iter().map(|f| f.code.to_string()).collect();
        e
    }
}

fn clip(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= MAX_MESSAGE_CHARS {
        return line.to_string();
    }
    let mut out: String = line.chars().take(MAX_MESSAGE_CHARS).collect();
    out.push('…');
    out
}

fn strip_userinfo(target: &str) -> String {
    let Some((scheme, rest)) = target.split_once("://") else {
        return target.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{host}{path}"),
        None => target.to_string(),
    }
}

fn history_path(wallet: &Wallet, id: &str) -> PathBuf {
    wallet.identity_dir(id).join(HISTORY_FILE)
}

/// Appends one event to the identity's log. `id` is the full id of an existing identity.
/// The line is written with one `write` call on an `O_APPEND` file and flushed to disk.
pub fn record(wallet: &Wallet, id: &str, event: &HistoryEvent) -> Result<()> {
    let dir = wallet.identity_dir(id);
    if !dir.is_dir() {
        return Err(Error::IdentityNotFound {
            id: id.to_string(),
            home: wallet.home().to_path_buf(),
        });
    }
    let path = history_path(wallet, id);
    let mut line = serde_json::to_vec(event).map_err(|e| Error::crypto("encode an event", e))?;
    line.push(b'\n');
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&path).map_err(Error::io("open", &path))?;
    // A torn line left by an earlier crash must not swallow this one: start on a fresh line.
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > 0 && !ends_with_newline(&path) {
        line.insert(0, b'\n');
    }
    file.write_all(&line)
        .map_err(Error::io("append to", &path))?;
    file.sync_data().map_err(Error::io("flush", &path))
}

fn ends_with_newline(path: &std::path::Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return true;
    };
    let mut last = [0u8; 1];
    f.seek(SeekFrom::End(-1)).is_ok() && f.read_exact(&mut last).is_ok() && last[0] == b'\n'
}

/// The identity's events, oldest first. Lines that do not parse (a torn last line after a
/// crash, an event kind from a newer certdesk) are skipped; a missing log is empty.
pub fn read(wallet: &Wallet, id: &str) -> Result<Vec<HistoryEvent>> {
    let path = history_path(wallet, id);
    let text = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("read", &path)(e)),
    };
    Ok(text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(|l| serde_json::from_slice::<HistoryEvent>(l).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wallet_with(id: &str) -> (tempfile::TempDir, Wallet) {
        let dir = tempfile::tempdir().expect("tempdir");
        let wallet = Wallet::open(dir.path()).expect("open");
        std::fs::create_dir_all(wallet.identity_dir(id)).expect("mkdir");
        (dir, wallet)
    }

    #[test]
    fn events_round_trip_in_order() {
        let (_d, w) = wallet_with("abcd");
        record(
            &w,
            "abcd",
            &HistoryEvent::now(EventKind::Requested).via("cli"),
        )
        .expect("rec");
        let failed = HistoryEvent::enroll_failed(&Error::invalid("CN", "empty"));
        record(&w, "abcd", &failed).expect("rec");
        let events = read(&w, "abcd").expect("read");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].kind, EventKind::Requested);
        assert_eq!(events[1].error_kind.as_deref(), Some("invalid_input"));
        let text = std::fs::read_to_string(history_path(&w, "abcd")).expect("read");
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("\"kind\":\"enroll_failed\""), "{text}");
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_append_starts_fresh() {
        let (_d, w) = wallet_with("abcd");
        record(&w, "abcd", &HistoryEvent::now(EventKind::Requested)).expect("rec");
        let path = history_path(&w, "abcd");
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(br#"{"time":"2026-01-01T00:00:00Z","kind":"iss"#)
            .expect("write");
        drop(f);
        assert_eq!(read(&w, "abcd").expect("read").len(), 1);
        record(&w, "abcd", &HistoryEvent::now(EventKind::Issued)).expect("rec");
        let events = read(&w, "abcd").expect("read");
        assert_eq!(
            events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            vec![EventKind::Requested, EventKind::Issued]
        );
    }

    #[test]
    fn urls_lose_credentials_and_messages_are_clipped() {
        let e = HistoryEvent::now(EventKind::EnrollAttempt)
            .target("https://alice:s3cret@est.example.org/.well-known/est")
            .message(format!("{}\nsecond line", "x".repeat(900)));
        assert_eq!(
            e.target.as_deref(),
            Some("https://est.example.org/.well-known/est")
        );
        let m = e.message.expect("message");
        assert_eq!(m.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(!m.contains("second"));
    }

    #[test]
    fn unknown_identity_is_refused_and_missing_log_is_empty() {
        let (_d, w) = wallet_with("abcd");
        assert!(read(&w, "abcd").expect("read").is_empty());
        let err = record(&w, "nope", &HistoryEvent::now(EventKind::Issued)).expect_err("none");
        assert!(matches!(err, Error::IdentityNotFound { .. }));
    }
}
