//! `certdesk watch` (issue #16) with the real binary: short-lived certificates from
//! `certdesk practice serve --validity`, a real NSS database (certutil), the practice site,
//! an EST server we did not write (certdesk_testkit::est) that refuses renewal, and desktop
//! notifications captured on a private D-Bus with `dbus-monitor`.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use certdesk_testkit::est::{EstCase, EstServer};
use certdesk_testkit::{ChildGuard, OpensslCa};
use serde_json::Value;

use crate::common::{self, arg, openssl, practice_serve, Run, Sandbox};
use crate::renew_followup::nss_fingerprints;

const CONTACT: &str = "Practice desk, helpdesk@example.org";

/// A profile for the practice CA (or any EST server) with a support contact and one site.
fn profile(
    sb: &Sandbox,
    est_url: &str,
    fp: &str,
    site_url: Option<&str>,
    label: Option<&str>,
) -> String {
    let mut text = format!(
        "format = 1\nname = \"Watch desk\"\nsupport = \"{CONTACT}\"\nallowed_keys = [\"ec-p256\"]\ndefault_key = \"ec-p256\"\n\
         [enroll]\nmethod = \"est\"\nurl = \"{}\"\nca_sha256 = \"{fp}\"\nauth = \"one-time-code\"\nusername = \"{}\"\n",
        est_url.trim_end_matches('/'),
        if label.is_some() { "alice" } else { "practice" },
    );
    if let Some(l) = label {
        text.push_str(&format!("label = \"{l}\"\n"));
    }
    if let Some(site) = site_url {
        text.push_str(&format!(
            "[[sites]]\nname = \"Practice site\"\nurl = \"{site}\"\n"
        ));
    }
    arg(&sb.file("watch-profile.toml", text.as_bytes())).to_string()
}

/// `request new --profile` then `enroll est` with the code file and the CA file; the id.
fn enrolled(sb: &Sandbox, profile: &str, code_file: &str, ca_file: &str) -> String {
    let created = sb
        .run(&[
            "--json",
            "request",
            "new",
            "--profile",
            profile,
            "--name",
            "Wanda Watch",
            "--device",
            "test",
        ])
        .ok()
        .json();
    let id = created["id"].as_str().expect("id").to_string();
    sb.run(&[
        "enroll",
        "est",
        &id,
        "--password-file",
        code_file,
        "--ca-file",
        ca_file,
    ])
    .ok();
    id
}

/// A fresh NSS database in the sandbox's ~/.pki/nssdb (Chromium's), made by certutil.
fn nss_db(sb: &Sandbox) -> std::path::PathBuf {
    let db = sb.user_home().join(".pki/nssdb");
    std::fs::create_dir_all(&db).expect("mkdir nssdb");
    let made = Command::new("certutil")
        .args(["-N", "--empty-password", "-d"])
        .arg(format!("sql:{}", db.display()))
        .status()
        .expect("certutil -N");
    assert!(made.success());
    db
}

/// SHA-256 of the identity's current certificate, from `openssl x509` (not from certdesk).
fn cert_sha256(sb: &Sandbox, id: &str) -> String {
    let pem = cert_pem(sb, id);
    let path = sb.file(&format!("current-{}.pem", common::unique()), pem.as_bytes());
    let out = openssl(&[
        "x509",
        "-noout",
        "-fingerprint",
        "-sha256",
        "-in",
        arg(&path),
    ]);
    out.trim()
        .split_once('=')
        .expect("fingerprint")
        .1
        .to_string()
}

fn cert_pem(sb: &Sandbox, id: &str) -> String {
    let shown = sb.run(&["--json", "identity", "show", id]).ok().json();
    shown["certificate_pem"]
        .as_str()
        .expect("certificate_pem")
        .to_string()
}

/// notBefore and notAfter of the identity's certificate as openssl reads them (seconds since
/// the epoch, through `openssl x509 -dates` and `date`).
fn openssl_dates(sb: &Sandbox, id: &str) -> (i64, i64) {
    let pem = cert_pem(sb, id);
    let path = sb.file(&format!("dates-{}.pem", common::unique()), pem.as_bytes());
    let out = openssl(&["x509", "-noout", "-dates", "-in", arg(&path)]);
    let field = |name: &str| {
        let text = out
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in {out}"));
        let secs = Command::new("date")
            .args(["-u", "-d", text, "+%s"])
            .output()
            .expect("date");
        String::from_utf8_lossy(&secs.stdout)
            .trim()
            .parse::<i64>()
            .expect("epoch seconds")
    };
    (field("notBefore="), field("notAfter="))
}

fn watch_json(run: &Run) -> Value {
    let v = run.json();
    assert!(v["identities"].is_array(), "{run}");
    v
}

fn only_identity(v: &Value) -> &Value {
    let list = v["identities"].as_array().expect("identities");
    assert_eq!(list.len(), 1, "{v}");
    &list[0]
}

#[test]
fn short_lived_practice_certificates_renew_at_a_third_of_their_lifetime_once_even_with_two_watches()
{
    let server_sb = Sandbox::new();
    // The shortest the practice CA issues: 1 minute (6 s of it before issue, for clocks).
    let (guard, info) = practice_serve(&server_sb, &["--validity", "1m"]);
    assert_eq!(info["validity"], "1m", "{info}");
    let site_url = info["site_url"].as_str().expect("site_url");
    let sb = Sandbox::new();
    let profile = profile(
        &sb,
        info["est_url"].as_str().expect("est_url"),
        info["ca_sha256"].as_str().expect("ca_sha256"),
        Some(site_url),
        None,
    );
    let id = enrolled(
        &sb,
        &profile,
        info["enrollment_code_file"].as_str().expect("code"),
        info["ca_file"].as_str().expect("ca_file"),
    );
    // The practice CA issued what was asked: openssl reads a 66 s lifetime (60 s + 6 s before).
    let (not_before, not_after) = openssl_dates(&sb, &id);
    assert_eq!(
        not_after - not_before,
        66,
        "notBefore {not_before} notAfter {not_after}"
    );
    let db = nss_db(&sb);
    sb.run(&["install", &id, "--to", "chromium"]).ok();
    let old_sha = cert_sha256(&sb, &id);
    assert!(nss_fingerprints(&db)
        .iter()
        .any(|f| f.eq_ignore_ascii_case(&old_sha)));

    // Fresh: not due; the threshold is a third of the lifetime (22 s), not 30 days.
    let first = sb
        .run(&["--json", "watch", "--once", "--no-revocation-check"])
        .ok();
    let v = watch_json(&first);
    let w = only_identity(&v);
    assert_eq!(w["outcome"]["kind"], "not_due", "{first}");
    assert_eq!(w["threshold_secs"], 22, "{first}");
    assert_eq!(v["needs_person"], false);
    assert_eq!(cert_sha256(&sb, &id), old_sha, "renewed before it was due");

    // Wait until it is due (notAfter - 22 s by openssl's reading), then two watches at once.
    let due = not_after - 22;
    let now = || {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs(),
        )
        .expect("seconds")
    };
    let wait = (due - now() + 1).max(0);
    std::thread::sleep(Duration::from_secs(wait.unsigned_abs()));
    let spawn = || {
        let mut cmd = sb.command(&["--json", "watch", "--once", "--no-revocation-check"]);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.spawn().expect("start certdesk watch")
    };
    let (a, b) = (spawn(), spawn());
    let outputs: Vec<(Value, i32, String)> = [a, b]
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().expect("watch output");
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let v: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{e}: {text} {}", String::from_utf8_lossy(&out.stderr)));
            (v, out.status.code().unwrap_or(-1), text)
        })
        .collect();
    let kinds: Vec<String> = outputs
        .iter()
        .map(|(v, _, _)| {
            only_identity(v)["outcome"]["kind"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(sorted, ["not_due", "renewed"], "{outputs:?}");
    let (renewal, code, text) = outputs
        .iter()
        .find(|(v, _, _)| only_identity(v)["outcome"]["kind"] == "renewed")
        .expect("one renewal");
    assert_eq!(*code, 0, "{text}");
    let w = only_identity(renewal);
    // Renewed inside the threshold, before the end.
    let left = w["secs_left"].as_i64().expect("secs_left");
    assert!(left > 0 && left <= 22, "renewed with {left} s left: {text}");
    // The new certificate replaced the old one in the real NSS db and the site accepted it.
    let stores = w["outcome"]["stores"].as_array().expect("stores");
    assert_eq!(stores.len(), 1, "{text}");
    assert!(stores[0]["error"].is_null(), "{text}");
    let sites = w["outcome"]["sites"].as_array().expect("sites");
    assert_eq!(sites.len(), 1, "{text}");
    assert_eq!(sites[0]["url"], site_url, "{text}");
    assert_eq!(sites[0]["accepted"], true, "{text}");
    let new_sha = cert_sha256(&sb, &id);
    assert_ne!(new_sha, old_sha);
    let after = nss_fingerprints(&db);
    assert!(
        after.iter().any(|f| f.eq_ignore_ascii_case(&new_sha)),
        "{after:?}"
    );
    assert!(
        !after.iter().any(|f| f.eq_ignore_ascii_case(&old_sha)),
        "{after:?}"
    );
    // One renewal in the history, and a third pass has nothing to do.
    let report = sb.run(&["--json", "report", &id]).ok().json();
    let renewals = report["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "renewed")
        .count();
    assert_eq!(renewals, 1, "{report}");
    let third = sb
        .run(&["--json", "watch", "--once", "--no-revocation-check"])
        .ok();
    assert_eq!(
        only_identity(&watch_json(&third))["outcome"]["kind"],
        "not_due"
    );
    drop(guard);
}

/// A private session bus (`dbus-daemon --session`) and a `dbus-monitor` on it that records
/// every call to the freedesktop notification service.
struct NotificationBus {
    address: String,
    monitor_out: std::path::PathBuf,
    _daemon: ChildGuard,
    monitor: Option<ChildGuard>,
}

impl NotificationBus {
    fn start(dir: &Path) -> NotificationBus {
        let mut daemon = ChildGuard::spawn(
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .expect("start dbus-daemon");
        let mut address = String::new();
        BufReader::new(daemon.child_mut().stdout.take().expect("stdout"))
            .read_line(&mut address)
            .expect("bus address");
        let address = address.trim().to_string();
        assert!(address.starts_with("unix:"), "{address:?}");
        let monitor_out = dir.join("dbus-monitor.txt");
        let monitor = ChildGuard::spawn(
            Command::new("dbus-monitor")
                .args([
                    "--address",
                    &address,
                    "interface='org.freedesktop.Notifications'",
                ])
                .stdout(std::fs::File::create(&monitor_out).expect("monitor output"))
                .stderr(Stdio::null()),
        )
        .expect("start dbus-monitor");
        // It is listening once it has given up its own name (it became a monitor).
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_to_string(&monitor_out)
            .unwrap_or_default()
            .contains("NameLost")
        {
            assert!(Instant::now() < deadline, "dbus-monitor did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        NotificationBus {
            address,
            monitor_out,
            _daemon: daemon,
            monitor: Some(monitor),
        }
    }

    /// Stops the monitor and returns what it saw.
    fn captured(mut self) -> String {
        std::thread::sleep(Duration::from_millis(300));
        if let Some(m) = self.monitor.take() {
            m.stop();
        }
        std::fs::read_to_string(&self.monitor_out).expect("monitor output")
    }
}

#[test]
fn a_server_that_refuses_renewal_leads_to_a_notification_naming_the_contact() {
    // The "ok" label of the test EST server answers 404 to simplereenroll: no renewal there.
    let ca = OpensslCa::new("Watch");
    let est = EstServer::start(&ca, "alice", "one-time-7Qx2");
    let sb = Sandbox::new();
    let code = arg(&sb.secret_file("code", "one-time-7Qx2")).to_string();
    let base = est.url_for(EstCase::Ok);
    let base = base.trim_end_matches("/ok");
    let profile = profile(&sb, base, est.server_ca_sha256(), None, Some("ok"));
    let ca_path = est.server_ca_path();
    let id = enrolled(&sb, &profile, &code, arg(&ca_path));

    let bus = NotificationBus::start(&sb.path(""));
    let mut cmd = sb.command(&[
        "--json",
        "watch",
        "--once",
        "--no-revocation-check",
        "--renew-within",
        "3650d",
    ]);
    cmd.env("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let run = common::run_command(cmd).exit(1);
    let captured = bus.captured();
    let v = watch_json(&run);
    assert!(
        v["checked_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "an RFC 3339 time: {run}"
    );
    assert_eq!(v["needs_person"], true, "{run}");
    let w = only_identity(&v);
    assert_eq!(w["outcome"]["kind"], "needs_person", "{run}");
    assert_eq!(w["outcome"]["reason"], "renewal_failed", "{run}");
    assert_eq!(w["contact"], CONTACT, "{run}");
    let body = w["notice"]["body"].as_str().expect("notice body");
    assert!(body.contains("could not renew it"), "{body}");
    assert!(body.contains("404"), "the server's answer: {body}");
    assert!(
        body.ends_with(&format!("If you need help, ask {CONTACT}.")),
        "{body}"
    );
    // The desktop was asked to show exactly that notice (no notification daemon runs on the
    // private bus, so the call is refused there, and certdesk says so on stderr).
    assert!(captured.contains("member=Notify"), "{captured}");
    assert!(captured.contains("string \"certdesk\""), "{captured}");
    let summary = w["notice"]["summary"].as_str().expect("summary");
    assert!(
        captured.contains(&format!("string \"{summary}\"")),
        "{captured}"
    );
    assert!(captured.contains(CONTACT), "{captured}");
    assert!(
        run.stderr.contains("could not show a desktop notification"),
        "{run}"
    );
    // Nothing was lost: the identity keeps its certificate.
    assert_eq!(sb.status(&id), "issued");
}

#[test]
fn a_certificate_far_from_its_end_is_left_alone_and_needs_nobody() {
    let server_sb = Sandbox::new();
    let (guard, info) = practice_serve(&server_sb, &[]);
    assert_eq!(info["validity"], "90d", "{info}");
    let sb = Sandbox::new();
    let profile = profile(
        &sb,
        info["est_url"].as_str().expect("est_url"),
        info["ca_sha256"].as_str().expect("ca_sha256"),
        None,
        None,
    );
    let id = enrolled(
        &sb,
        &profile,
        info["enrollment_code_file"].as_str().expect("code"),
        info["ca_file"].as_str().expect("ca_file"),
    );
    let before = cert_sha256(&sb, &id);
    let run = sb.run(&["watch", "--once"]).ok();
    // 90 days + 5 minutes before issue: due 30 days before the end.
    assert!(run.stdout.contains("Wanda Watch"), "{run}");
    assert!(run.stdout.contains("renews with 30d left"), "{run}");
    assert_eq!(cert_sha256(&sb, &id), before);
    drop(guard);
}

#[test]
fn durations_that_are_not_durations_are_usage_errors() {
    let sb = Sandbox::new();
    let run = sb
        .run(&["watch", "--once", "--renew-within", "soon"])
        .exit(2);
    assert!(run.stderr.contains("e.g. 90s, 10m, 12h or 30d"), "{run}");
    let run = sb.run(&["practice", "serve", "--validity", "20s"]).exit(2);
    assert!(run.stderr.contains("1m to"), "{run}");
}

#[test]
fn the_schedule_is_a_valid_daily_systemd_timer_and_is_removed_again() {
    let sb = Sandbox::new();
    let config = sb.path("config");
    let runtime = sb.path("runtime");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    let with_env = |args: &[&str]| {
        let mut cmd = sb.command(args);
        // No user manager is reachable from the test: systemctl --user fails and says so.
        cmd.env("XDG_CONFIG_HOME", &config)
            .env("XDG_RUNTIME_DIR", &runtime);
        common::run_command(cmd)
    };
    let run = with_env(&["--json", "watch", "--install-schedule"]).ok();
    let v = run.json();
    let dir = config.join("systemd/user");
    let service = dir.join("certdesk-watch.service");
    let timer = dir.join("certdesk-watch.timer");
    assert!(service.is_file() && timer.is_file(), "{run}");
    assert_eq!(v["files"].as_array().map(Vec::len), Some(2), "{run}");
    let text = std::fs::read_to_string(&timer).expect("timer");
    for line in ["OnCalendar=daily", "Persistent=true", "RandomizedDelaySec="] {
        assert!(text.contains(line), "{text}");
    }
    let service_text = std::fs::read_to_string(&service).expect("service");
    assert!(
        service_text.contains(&format!("\"{}\"", sb.wallet().display())),
        "{service_text}"
    );
    // systemd's own checker: parses both units, resolves the ExecStart program and the
    // timer's service. `--user` needs no running user manager for `verify`.
    let verify = Command::new("systemd-analyze")
        .args(["--user", "verify"])
        .arg(&timer)
        .arg(&service)
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .expect("systemd-analyze");
    let verify_err = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success(), "systemd-analyze: {verify_err}");
    assert!(
        verify_err.trim().is_empty(),
        "systemd-analyze warned: {verify_err}"
    );

    // systemctl enabled it without a user manager: the timer is wanted by timers.target.
    let wanted = dir.join("timers.target.wants/certdesk-watch.timer");
    assert!(wanted.symlink_metadata().is_ok(), "{run}");
    assert_eq!(v["enabled"], true, "{run}");
    assert_eq!(v["active"], false, "no user manager runs here: {run}");

    with_env(&["watch", "--remove-schedule"]).ok();
    assert!(!service.exists() && !timer.exists());
    assert!(
        wanted.symlink_metadata().is_err(),
        "the timer is still wanted"
    );
}

#[test]
fn a_certificate_that_cannot_be_read_needs_a_person_and_says_so() {
    let server_sb = Sandbox::new();
    let (guard, info) = practice_serve(&server_sb, &[]);
    let sb = Sandbox::new();
    let profile = profile(
        &sb,
        info["est_url"].as_str().expect("est_url"),
        info["ca_sha256"].as_str().expect("ca_sha256"),
        None,
        None,
    );
    let id = enrolled(
        &sb,
        &profile,
        info["enrollment_code_file"].as_str().expect("code"),
        info["ca_file"].as_str().expect("ca_file"),
    );
    drop(guard);
    // Damage the stored certificate: PEM armour around bytes that are not a certificate.
    let path = sb
        .wallet()
        .join("identities")
        .join(&id)
        .join("identity.json");
    let mut record: Value = serde_json::from_slice(&common::read(&path)).expect("record");
    record["certificate_pem"] =
        "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n".into();
    std::fs::write(&path, serde_json::to_vec(&record).expect("json")).expect("write record");
    let run = sb
        .run(&["--json", "watch", "--once", "--no-revocation-check"])
        .exit(1);
    let w = only_identity(&watch_json(&run)).clone();
    assert_eq!(w["outcome"]["reason"], "unreadable", "{run}");
    let body = w["notice"]["body"].as_str().expect("body");
    assert!(body.contains("cannot read your certificate"), "{body}");
    assert!(
        body.ends_with(&format!("If you need help, ask {CONTACT}.")),
        "{body}"
    );
}
