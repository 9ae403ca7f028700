//! Whether Firefox runs with a profile, against a real `firefox-esr --headless` (issue #17).
//!
//! Firefox ESR 153 links `lock` → `IP:+PID` in the profile while it runs, and a `--screenshot`
//! run leaves that link behind when it exits. certdesk said "Firefox is running with this
//! profile: restart Firefox" from the link's mere existence; it now checks the PID, as Firefox's
//! own profile lock does.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use certdesk_store::{detect_targets, StoreTarget};

fn firefox(home: &Path, profile: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("firefox-esr");
    cmd.env("HOME", home)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["--headless", "--no-remote", "--profile"])
        .arg(profile)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// The `in_use` flag `detect_targets` reports for the only Firefox profile under `home`.
fn firefox_in_use(home: &Path) -> bool {
    let found = detect_targets(home).unwrap();
    let firefox: Vec<_> = found
        .iter()
        .filter(|d| matches!(d.target, StoreTarget::Firefox { .. }))
        .collect();
    assert_eq!(firefox.len(), 1, "{found:?}");
    firefox[0].in_use
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops a still running Firefox when the test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs firefox-esr (scripts/install-deps.sh); run by the test command with --run-ignored all"]
fn a_running_firefox_is_seen_and_the_link_it_leaves_after_exit_is_not() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join(".mozilla/firefox");
    let profile = root.join("p.test");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::write(
        root.join("profiles.ini"),
        "[Profile0]\nName=test\nIsRelative=1\nPath=p.test\nDefault=1\n",
    )
    .unwrap();
    let lock = profile.join("lock");
    assert!(!firefox_in_use(home.path()), "never started");

    // A Firefox that keeps running: seen as running.
    let mut running = Running(
        firefox(home.path(), &profile, &["about:blank"])
            .spawn()
            .expect("firefox-esr is installed (scripts/install-deps.sh)"),
    );
    wait_for(
        "Firefox links its profile lock",
        Duration::from_secs(60),
        || std::fs::read_link(&lock).is_ok(),
    );
    let target = std::fs::read_link(&lock).unwrap();
    assert!(
        target
            .to_string_lossy()
            .ends_with(&format!(":+{}", running.0.id())),
        "the link names Firefox's PID: {target:?}"
    );
    assert!(firefox_in_use(home.path()), "Firefox is running");
    // SIGTERM: Firefox shuts down cleanly (and removes its link).
    Command::new("kill")
        .args(["-TERM", &running.0.id().to_string()])
        .status()
        .unwrap();
    wait_for("Firefox exits on SIGTERM", Duration::from_secs(30), || {
        running.0.try_wait().unwrap().is_some()
    });
    assert!(!firefox_in_use(home.path()), "Firefox has exited");

    // A headless screenshot run exits by itself and leaves its link behind: not running.
    let status = firefox(
        home.path(),
        &profile,
        &[
            "--screenshot",
            &home.path().join("shot.png").to_string_lossy(),
            "about:blank",
        ],
    )
    .status()
    .unwrap();
    assert!(status.success(), "firefox-esr --screenshot: {status}");
    assert!(
        std::fs::read_link(&lock).is_ok(),
        "Firefox ESR left its lock link behind (the case of issue #17)"
    );
    assert!(
        !firefox_in_use(home.path()),
        "a lock link whose process has ended is stale"
    );
}
