//! `certdesk watch`: renew what is due without the person, tell them (desktop notification)
//! what needs them. The pass itself is certdesk-flows' `watch_once`; this file parses the
//! flags, sends the notices and lays out the report.

use std::time::Duration;

use certdesk_core::duration::{format_duration, parse_duration};
use certdesk_flows::notice::{Notice, TimeLeft};
use certdesk_flows::watch::{watch_once, IdentityWatch, WatchOptions, WatchOutcome};
use clap::Args;
use serde_json::json;
use time::OffsetDateTime;

use super::Ctx;
use crate::{render, Outcome};

/// Longest sleep between two passes of a running `certdesk watch` (without `--once`).
const MAX_SLEEP: Duration = Duration::from_secs(3600);
/// Shortest: a certificate due again at once (its renewal failed) is not hammered.
const MIN_SLEEP: Duration = Duration::from_secs(30);

#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// One pass, then exit (0: nothing needs you; 1: something does). Without it, certdesk
    /// keeps watching and wakes when the next certificate becomes due (at least hourly).
    #[arg(long)]
    once: bool,
    /// Renew when less than this is left (30d, 12h, 5m), instead of the usual rule: the
    /// smaller of 30 days and a third of the certificate's lifetime.
    #[arg(long, value_name = "DURATION", value_parser = parse_renew_within)]
    renew_within: Option<Duration>,
    /// Do not ask CRL/OCSP servers whether the certificates were revoked.
    #[arg(long)]
    no_revocation_check: bool,
    /// Write and enable a daily schedule that runs `certdesk watch --once` (systemd user timer
    /// on Linux, LaunchAgent on macOS, Task Scheduler task on Windows).
    #[arg(long, conflicts_with_all = ["once", "renew_within", "remove_schedule"])]
    install_schedule: bool,
    /// Disable and remove that schedule.
    #[arg(long, conflicts_with_all = ["once", "renew_within"])]
    remove_schedule: bool,
}

fn parse_renew_within(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

pub(crate) fn run(ctx: &Ctx, args: WatchArgs) -> anyhow::Result<Outcome> {
    if args.install_schedule || args.remove_schedule {
        return super::schedule::run(ctx, args.install_schedule);
    }
    let options = WatchOptions {
        renew_within: args.renew_within,
        check_revocation: !args.no_revocation_check,
        home: certdesk_flows::home::user_home().ok(),
        lang: certdesk_wording::Lang::from_env(),
        ..WatchOptions::default()
    };
    let access = ctx.access();
    // A running watch tells the person each thing once: the same notice again (a renewal that
    // keeps failing hourly) is not shown again.
    let mut last_notice: std::collections::HashMap<String, String> = Default::default();
    loop {
        let report = watch_once(&ctx.wallet, &access, &options, &mut |w| {
            if !ctx.json {
                show(w);
            }
        })?;
        let mut notified = Vec::new();
        for w in &report.identities {
            if let Some(n) = &w.notice {
                if last_notice.get(&w.id) == Some(&n.body) {
                    continue;
                }
                last_notice.insert(w.id.clone(), n.body.clone());
                match send(n) {
                    Ok(()) => notified.push(json!({ "id": w.id, "shown": true })),
                    Err(e) => {
                        // The notice is in the output either way; say why the desktop did not
                        // show it.
                        eprintln!("certdesk: could not show a desktop notification: {e}");
                        notified.push(json!({ "id": w.id, "shown": false, "error": e }));
                    }
                }
            }
        }
        if ctx.json {
            render::json(&json!({
                "checked_at": report
                    .checked_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                "needs_person": report.needs_person(),
                "identities": report.identities,
                "notifications": notified,
            }))?;
        } else if report.identities.is_empty() {
            outln!("No certificates to watch.");
        }
        if args.once {
            return Ok(if report.needs_person() {
                Outcome::CheckFailed
            } else {
                Outcome::Success
            });
        }
        std::thread::sleep(sleep_until(report.next_due(), OffsetDateTime::now_utc()));
    }
}

/// How long a running watch sleeps before its next pass.
fn sleep_until(next_due: Option<OffsetDateTime>, now: OffsetDateTime) -> Duration {
    match next_due {
        // Already due (its renewal comes at the next pass): the shortest pause.
        Some(t) => Duration::try_from(t - now).unwrap_or(MIN_SLEEP),
        None => MAX_SLEEP,
    }
    .clamp(MIN_SLEEP, MAX_SLEEP)
}

/// A freedesktop notification (D-Bus `org.freedesktop.Notifications`) on Linux; the OS's own
/// notification on macOS and Windows.
fn send(n: &Notice) -> Result<(), String> {
    notify_rust::Notification::new()
        .appname("certdesk")
        .summary(&n.summary)
        .body(&n.body)
        .show()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn show(w: &IdentityWatch) {
    let name = format!("{} ({})", w.label, w.id);
    match &w.outcome {
        WatchOutcome::NotIssued => outln!("{name}: waiting for its certificate, nothing to renew"),
        WatchOutcome::NotDue => outln!(
            "{name}: {}; renews with {} left",
            w.secs_left
                .map_or_else(String::new, |s| TimeLeft::Seconds(s)
                    .words(certdesk_wording::Lang::from_env())),
            w.threshold_secs
                .map_or_else(String::new, |s| format_duration(Duration::from_secs(s)))
        ),
        WatchOutcome::Renewed {
            new_not_after,
            stores,
            sites,
        } => {
            outln!(
                "{name}: renewed{}",
                new_not_after.map_or_else(String::new, |t| format!(
                    ", the new certificate is valid until {}",
                    t.format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                ))
            );
            for s in stores {
                match &s.error {
                    None => outln!("  replaced the old certificate in {}", s.store),
                    Some(e) => outln!("  could not update {}: {e}", s.store),
                }
            }
            for s in sites {
                outln!("  {} with the new certificate: {}", s.url, s.detail);
            }
        }
        WatchOutcome::NeedsPerson { .. } => outln!("{name}: needs you"),
    }
    if let Some(n) = &w.notice {
        outln!("  {}", n.body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_watch_sleeps_until_the_next_due_time_within_bounds() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            sleep_until(Some(now + time::Duration::minutes(5)), now),
            Duration::from_secs(300)
        );
        assert_eq!(sleep_until(None, now), MAX_SLEEP);
        assert_eq!(
            sleep_until(Some(now - time::Duration::minutes(5)), now),
            MIN_SLEEP
        );
        assert_eq!(
            sleep_until(Some(now + time::Duration::days(5)), now),
            MAX_SLEEP
        );
    }
}
