//! `certdesk watch --install-schedule | --remove-schedule`: writes (or removes) the daily
//! schedule of `certdesk watch --once` made by certdesk-flows' `schedule` and asks the OS to
//! load it: systemd's user manager on Linux, launchd on macOS, the Task Scheduler on Windows.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context as _;
use certdesk_core::fsutil::{write_atomic, FileMode};
use certdesk_flows::schedule;
use serde_json::json;

use super::Ctx;
use crate::{render, Outcome};

/// What the OS said when asked to load or unload the schedule.
struct Loaded {
    /// The command run.
    command: String,
    /// `None` when it worked, else why not.
    error: Option<String>,
}

fn run_tool(program: &str, args: &[&str]) -> Loaded {
    let command = format!("{program} {}", args.join(" "));
    let error = match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stderr).trim().to_string();
            Some(if text.is_empty() {
                format!("it exited with {}", out.status)
            } else {
                text
            })
        }
        Err(e) => Some(e.to_string()),
    };
    Loaded { command, error }
}

/// Where the schedule's files go on this OS, with their text.
fn files(
    exe: &std::path::Path,
    wallet: &std::path::Path,
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let home = certdesk_flows::home::user_home()?;
    if cfg!(target_os = "macos") {
        let dir = home.join("Library/LaunchAgents");
        Ok(vec![(
            dir.join(format!("{}.plist", schedule::LAUNCH_AGENT_LABEL)),
            schedule::launch_agent_plist(exe, wallet),
        )])
    } else if cfg!(windows) {
        let dir = std::env::var_os("LOCALAPPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join("AppData/Local"))
            .join("certdesk");
        Ok(vec![(
            dir.join(format!("{}.xml", schedule::UNIT_NAME)),
            schedule::task_scheduler_xml(exe, wallet),
        )])
    } else {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".config"));
        let dir = config.join("systemd/user");
        let (service, timer) = schedule::systemd_units(exe, wallet);
        Ok(vec![
            (
                dir.join(format!("{}.service", schedule::UNIT_NAME)),
                service,
            ),
            (dir.join(format!("{}.timer", schedule::UNIT_NAME)), timer),
        ])
    }
}

pub(crate) fn run(ctx: &Ctx, install: bool) -> anyhow::Result<Outcome> {
    let exe = std::env::current_exe().context("cannot tell where the certdesk program is")?;
    let wallet =
        std::path::absolute(ctx.wallet.home()).unwrap_or_else(|_| ctx.wallet.home().to_path_buf());
    let files = files(&exe, &wallet)?;
    let timer = format!("{}.timer", schedule::UNIT_NAME);
    let mut loaded = Vec::new();
    if install {
        for (path, text) in &files {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            if cfg!(windows) {
                // schtasks reads the task definition as UTF-16 (its declaration says so).
                let mut bytes = vec![0xFF, 0xFE];
                bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
                write_atomic(path, &bytes, FileMode::Public)?;
            } else {
                write_atomic(path, text.as_bytes(), FileMode::Public)?;
            }
        }
        let first = files[0].0.display().to_string();
        if cfg!(target_os = "macos") {
            loaded.push(run_tool("launchctl", &["load", "-w", &first]));
        } else if cfg!(windows) {
            loaded.push(run_tool(
                "schtasks",
                &["/Create", "/TN", schedule::UNIT_NAME, "/XML", &first, "/F"],
            ));
        } else {
            // `enable` only links the timer into timers.target.wants (it works without a
            // running user manager, e.g. over ssh); `start` needs the manager.
            loaded.push(run_tool("systemctl", &["--user", "enable", &timer]));
            loaded.push(run_tool("systemctl", &["--user", "daemon-reload"]));
            loaded.push(run_tool("systemctl", &["--user", "start", &timer]));
        }
    } else {
        let first = files[0].0.display().to_string();
        if cfg!(target_os = "macos") {
            loaded.push(run_tool("launchctl", &["unload", "-w", &first]));
        } else if cfg!(windows) {
            loaded.push(run_tool(
                "schtasks",
                &["/Delete", "/TN", schedule::UNIT_NAME, "/F"],
            ));
        } else {
            // `disable` first: it unlinks the timer even without a running user manager.
            loaded.push(run_tool("systemctl", &["--user", "disable", &timer]));
            loaded.push(run_tool("systemctl", &["--user", "stop", &timer]));
        }
        for (path, _) in &files {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot remove {}", path.display()))
                }
            }
        }
        if !cfg!(any(target_os = "macos", windows)) {
            loaded.push(run_tool("systemctl", &["--user", "daemon-reload"]));
        }
    }
    let active = loaded.iter().all(|l| l.error.is_none());
    // The first step (systemd: enable / disable) decides whether the timer runs at next login.
    let enabled = install && loaded.first().is_some_and(|l| l.error.is_none());
    if ctx.json {
        render::json(&json!({
            "installed": install,
            "files": files.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "os_scheduler": loaded.iter().map(|l| json!({ "command": l.command, "error": l.error })).collect::<Vec<_>>(),
            "active": active,
            "enabled": enabled,
        }))?;
    } else {
        let verb = if install { "Wrote" } else { "Removed" };
        for (path, _) in &files {
            outln!("{verb} {}", path.display());
        }
        if active {
            outln!(
                "{}",
                if install {
                    "The schedule is on: certdesk checks your certificates daily and renews what is due."
                } else {
                    "The schedule is off."
                }
            );
        } else {
            for l in loaded.iter().filter(|l| l.error.is_some()) {
                outln!(
                    "`{}` did not work: {}",
                    l.command,
                    l.error.as_deref().unwrap_or_default()
                );
            }
            if enabled && !cfg!(any(target_os = "macos", windows)) {
                outln!(
                    "The timer is enabled and starts with your next login session (systemd's user manager is not running now)."
                );
            } else if install {
                outln!(
                    "The files are in place; the schedule starts once the system's scheduler loads them (on Linux: `systemctl --user enable --now {timer}` in your desktop session)."
                );
            }
        }
    }
    Ok(Outcome::Success)
}
