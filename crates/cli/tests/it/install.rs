//! `certdesk install / uninstall / stores / trust-ca` against real NSS databases made by
//! `certutil` in a temporary HOME (a Chromium-style `~/.pki/nssdb` and a Firefox profile listed
//! in `profiles.ini`), checked with `certutil -L` / `-K`: what a user's Chromium and Firefox read.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{arg, run_command, Run, Sandbox};
use certdesk_testkit::{NssDb, OpensslCa, SignOpts};
use serde_json::Value;

/// An issued identity in the sandbox's wallet: `request new`, signed by an `openssl ca` with an
/// intermediate, the full chain imported. Returns (id, certificate PEM).
fn issued(sb: &Sandbox, cn: &str) -> (String, Vec<u8>) {
    let ca = OpensslCa::with_intermediate("Install");
    let id = sb.new_request(&format!("CN={cn},O=Example Corp"), &[]);
    let signed = ca.sign_csr(&sb.export_csr(&id), SignOpts::default());
    let reply = sb.file(&format!("{id}.pem"), &signed.full_chain_pem());
    sb.run(&["import", arg(&reply)]).ok();
    (id, signed.cert_pem)
}

fn chromium_db(sb: &Sandbox) -> PathBuf {
    sb.user_home().join(".pki/nssdb")
}

/// A Firefox profile `work` (relative path in profiles.ini, Default=1) with a fresh database.
fn firefox_profile(sb: &Sandbox) -> PathBuf {
    let root = sb.user_home().join(".mozilla/firefox");
    std::fs::create_dir_all(&root).expect("create firefox root");
    std::fs::write(
        root.join("profiles.ini"),
        "[Profile0]\nName=work\nIsRelative=1\nPath=ab12cd.work\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n",
    )
    .expect("write profiles.ini");
    let dir = root.join("ab12cd.work");
    NssDb::create(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// The trust flags `certutil -L` shows for `nickname`, if listed.
fn trust_of(listing: &str, nickname: &str) -> Option<String> {
    listing.lines().find_map(|l| {
        let rest = l.strip_prefix(nickname)?;
        let trust = rest.trim();
        (rest.starts_with(' ') && trust.matches(',').count() == 2).then(|| trust.to_string())
    })
}

/// Lines of `certutil -L` below its two header lines (the certificates).
fn cert_lines(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.contains("Trust Attributes") && !l.contains("SSL,S/MIME,JAR/XPI"))
        .map(str::to_string)
        .collect()
}

fn pem_der(pem_text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(pem_text);
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).expect("base64")
}

/// The name certdesk gives the identity in NSS: its label and the first 8 hex of its key id.
fn nss_nickname(label: &str, cert_pem: &[u8]) -> String {
    certdesk_store::nss::nickname_for(label, &pem_der(cert_pem))
}

fn assert_installed(db: &NssDb, label: &str, cert_pem: &[u8]) {
    let list = db.list_certs().unwrap_or_else(|e| panic!("{e}"));
    let nickname = nss_nickname(label, cert_pem);
    assert_eq!(
        trust_of(&list, &nickname).as_deref(),
        Some("u,u,u"),
        "{label} with user trust in:\n{list}"
    );
    // The CA certificates came along WITHOUT trust: trust is only ever given by trust-ca.
    for line in cert_lines(&list) {
        if !line.starts_with(label) {
            assert!(
                line.trim_end().ends_with(",,"),
                "a CA got trust: {line}\n{list}"
            );
        }
    }
    let keys = db.list_keys().unwrap_or_else(|e| panic!("{e}"));
    assert!(keys.contains(label), "key of {label} missing:\n{keys}");
    let stored = db.cert_pem(&nickname).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pem_der(stored.as_bytes()),
        pem_der(cert_pem),
        "NSS holds another certificate"
    );
}

fn assert_nothing_left(db: &NssDb) {
    let list = db.list_certs().unwrap_or_else(|e| panic!("{e}"));
    assert!(cert_lines(&list).is_empty(), "left behind:\n{list}");
    // certutil -K exits non-zero when the database holds no key at all.
    let keys = db.list_keys().unwrap_or_else(|e| e);
    assert!(keys.contains("no keys found"), "keys left behind:\n{keys}");
}

fn installed_in(stores: &Value, id: &str) -> Vec<String> {
    let ids = stores["identities"].as_array().expect("identities array");
    let entry = ids
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {stores}"));
    entry["installed_in"]
        .as_array()
        .expect("installed_in")
        .iter()
        .map(|p| p["store"]["kind"].as_str().expect("kind").to_string())
        .collect()
}

#[test]
fn install_reinstall_list_and_remove_in_chromium_and_firefox() {
    let sb = Sandbox::new();
    let (id, cert_pem) = issued(&sb, "Inst Alice");
    let chromium = NssDb::create(chromium_db(&sb)).unwrap_or_else(|e| panic!("{e}"));
    let profile_dir = firefox_profile(&sb);
    let firefox = NssDb::open(&profile_dir, None);

    let before = sb.run(&["--json", "stores"]).ok().json();
    assert_eq!(
        before["stores"].as_array().map(Vec::len),
        Some(2),
        "{before}"
    );
    assert!(installed_in(&before, &id).is_empty(), "{before}");

    let run = sb
        .run(&["install", &id, "--to", "chromium", "--to", "firefox:work"])
        .ok();
    let nickname = nss_nickname("Inst Alice", &cert_pem);
    assert!(
        run.stdout.contains(&format!(
            "Installed Inst Alice in Chromium ({}) as \"{nickname}\".",
            chromium.dir().display()
        )),
        "{run}"
    );
    assert!(
        run.stdout.contains(&format!(
            "Installed Inst Alice in Firefox profile work ({}) as \"{nickname}\".",
            profile_dir.display()
        )),
        "{run}"
    );
    assert_installed(&chromium, "Inst Alice", &cert_pem);
    assert_installed(&firefox, "Inst Alice", &cert_pem);

    // Idempotent: nothing is imported twice.
    let json = sb
        .run(&["--json", "install", &id, "--to", "chromium"])
        .ok()
        .json();
    assert_eq!(json["id"], id.as_str(), "{json}");
    assert_eq!(json["results"][0]["status"], "already_installed", "{json}");
    assert_eq!(json["results"][0]["nickname"], nickname.as_str(), "{json}");
    assert_eq!(json["results"][0]["store"]["kind"], "chromium", "{json}");
    assert_eq!(
        json["sha256"].as_str().map(|s| s.replace(':', "")),
        Some(
            common::openssl(&[
                "x509",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-in",
                arg(&sb.file("leaf.pem", &cert_pem))
            ])
            .trim()
            .rsplit('=')
            .next()
            .expect("fingerprint")
            .replace(':', "")
        ),
        "{json}"
    );
    let again = sb.run(&["install", &id, "--to", "all"]).ok();
    assert_eq!(
        again.stdout.matches("is already installed in").count(),
        2,
        "{again}"
    );
    assert_eq!(
        cert_lines(&chromium.list_certs().unwrap_or_else(|e| panic!("{e}")))
            .iter()
            .filter(|l| l.starts_with("Inst Alice"))
            .count(),
        1
    );

    let stores = sb.run(&["--json", "stores"]).ok().json();
    assert_eq!(
        installed_in(&stores, &id),
        ["chromium", "firefox"],
        "{stores}"
    );
    let text = sb.run(&["stores"]).ok();
    assert!(
        text.stdout
            .contains(&format!("Inst Alice ({id}): installed in Chromium")),
        "{text}"
    );

    let removed = sb
        .run(&["--json", "uninstall", &id, "--from", "all"])
        .ok()
        .json();
    let statuses: Vec<&str> = removed["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["removed", "removed"], "{removed}");
    assert_nothing_left(&chromium);
    assert_nothing_left(&firefox);
    let after = sb.run(&["--json", "stores"]).ok().json();
    assert!(installed_in(&after, &id).is_empty(), "{after}");
    let none = sb.run(&["uninstall", &id, "--from", "chromium"]).ok();
    assert!(
        none.stdout.contains("is not installed in Chromium"),
        "{none}"
    );
}

#[test]
fn chromium_database_is_created_when_missing_and_running_firefox_is_named() {
    let sb = Sandbox::new();
    let (id, cert_pem) = issued(&sb, "Inst Carol");
    let profile_dir = firefox_profile(&sb);
    // Firefox's lock link names a live process (issue #17): this test process stands in for it.
    std::os::unix::fs::symlink(
        format!("127.0.0.1:+{}", std::process::id()),
        profile_dir.join("lock"),
    )
    .expect("lock link");
    assert!(!chromium_db(&sb).exists());
    let run = sb.run(&["install", &id, "--to", "all"]).ok();
    assert!(
        run.stdout.contains("note: created a new NSS database in"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("note: Firefox is running with this profile: restart Firefox"),
        "{run}"
    );
    assert_installed(
        &NssDb::open(chromium_db(&sb), None),
        "Inst Carol",
        &cert_pem,
    );
    assert_installed(&NssDb::open(&profile_dir, None), "Inst Carol", &cert_pem);
}

#[test]
fn primary_password_database_needs_the_password_and_names_a_wrong_one() {
    let sb = Sandbox::new();
    let (id, cert_pem) = issued(&sb, "Inst Bob");
    let dir = sb.user_home().join("locked-db");
    let db = NssDb::create_with_password(&dir, "primary-Pw-1").unwrap_or_else(|e| panic!("{e}"));
    let target = format!("nss:{}", dir.display());

    let started = std::time::Instant::now();
    let missing = sb.run(&["install", &id, "--to", &target]);
    assert_eq!(
        missing.error(),
        format!(
            "the NSS database in {} is protected by a primary password",
            dir.display()
        )
    );
    assert!(missing.hint().contains("--nss-password-file"), "{missing}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "it waited for a prompt"
    );
    let json = sb.run(&["--json", "install", &id, "--to", &target]).json();
    assert_eq!(json["error"]["kind"], "store_password_required", "{json}");

    let wrong_file = sb.secret_file("wrong-nss-pw", "not-the-password");
    let wrong = sb.run(&[
        "install",
        &id,
        "--to",
        &target,
        "--nss-password-file",
        arg(&wrong_file),
    ]);
    assert_eq!(
        wrong.error(),
        format!(
            "wrong primary password for the NSS database in {}",
            dir.display()
        )
    );
    assert!(wrong.hint().contains("--nss-password-file"), "{wrong}");

    let right_file = sb.secret_file("nss-pw", "primary-Pw-1");
    sb.run(&[
        "install",
        &id,
        "--to",
        &target,
        "--nss-password-file",
        arg(&right_file),
    ])
    .ok();
    assert_installed(&db, "Inst Bob", &cert_pem);
    // Removal also needs the password, and then leaves nothing.
    let no_pw = sb.run(&["uninstall", &id, "--from", &target]);
    assert!(no_pw.error().contains("primary password"), "{no_pw}");
    sb.run(&[
        "uninstall",
        &id,
        "--from",
        &target,
        "--nss-password-file",
        arg(&right_file),
    ])
    .ok();
    assert_nothing_left(&db);
}

#[test]
fn missing_database_for_nss_dir_has_its_own_message() {
    let sb = Sandbox::new();
    let (id, _) = issued(&sb, "Inst Dave");
    let dir = sb.user_home().join("no-db-here");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let run = sb.run(&["install", &id, "--to", &format!("nss:{}", dir.display())]);
    assert_eq!(
        run.error(),
        format!("there is no NSS database in {}", dir.display())
    );
    assert!(run.hint().contains("certutil -N -d sql:"), "{run}");
    // Nothing was created behind the user's back.
    assert!(!dir.join("cert9.db").exists());

    let unknown = sb.run(&["install", &id, "--to", "edge"]);
    assert_eq!(unknown.code, Some(2), "{unknown}");
    assert!(
        unknown.stderr.contains("unknown store \"edge\""),
        "{unknown}"
    );

    let pending = sb.new_request("CN=Inst Pending", &[]);
    let run = sb.run(&["install", &pending, "--to", "chromium"]);
    assert!(run.error().contains("has no certificate yet"), "{run}");
}

/// Runs certdesk with the database directory read-only: a read-only bind mount in a private
/// mount namespace when running as root (root ignores permission bits), else `chmod a-w`.
fn run_with_read_only(sb: &Sandbox, dir: &Path, args: &[&str]) -> Run {
    let inner = sb.command(args);
    let as_root = run_command({
        let mut c = Command::new("id");
        c.arg("-u");
        c
    })
    .stdout
    .trim()
        == "0";
    if !as_root {
        for f in ["", "cert9.db", "key4.db", "pkcs11.txt"] {
            let p = dir.join(f);
            let mut perm = std::fs::metadata(&p).expect("stat").permissions();
            perm.set_readonly(true);
            std::fs::set_permissions(&p, perm).expect("chmod");
        }
        return run_command(inner);
    }
    let mut outer = Command::new("unshare");
    outer
        .args([
            "-m",
            "sh",
            "-c",
            "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && shift && exec \"$@\"",
            "sh",
        ])
        .arg(dir)
        .arg(inner.get_program())
        .args(inner.get_args())
        .stdin(std::process::Stdio::null());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => outer.env(k, v),
            None => outer.env_remove(k),
        };
    }
    if let Some(d) = inner.get_current_dir() {
        outer.current_dir(d);
    }
    run_command(outer)
}

#[test]
fn read_only_database_has_its_own_message() {
    let sb = Sandbox::new();
    let (id, _) = issued(&sb, "Inst Erin");
    let dir = sb.user_home().join("ro-db");
    let db = NssDb::create(&dir).unwrap_or_else(|e| panic!("{e}"));
    let run = run_with_read_only(
        &sb,
        &dir,
        &["install", &id, "--to", &format!("nss:{}", dir.display())],
    );
    assert_eq!(
        run.error(),
        format!("the NSS database in {} is read-only", dir.display())
    );
    assert!(run.hint().contains("read-only"), "{run}");
    assert!(cert_lines(&db.list_certs().unwrap_or_else(|e| panic!("{e}"))).is_empty());
}

#[test]
fn trust_ca_is_explicit_shows_name_and_fingerprint_and_refuses_a_site_certificate() {
    let sb = Sandbox::new();
    let dir = sb.user_home().join("trust-db");
    let db = NssDb::create(&dir).unwrap_or_else(|e| panic!("{e}"));
    let server_ca = OpensslCa::new("Intranet Server");
    let ca_file = sb.file("server-ca.pem", server_ca.root_pem());
    let target = format!("nss:{}", dir.display());
    let fingerprint = common::openssl(&[
        "x509",
        "-noout",
        "-fingerprint",
        "-sha256",
        "-in",
        arg(&ca_file),
    ]);
    let fingerprint = fingerprint
        .trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .to_string();

    let run = sb.run(&["trust-ca", arg(&ca_file), "--to", &target]).ok();
    assert!(
        run.stdout
            .contains("Trusted \"CN=Intranet Server Root CA, O=certdesk-testkit\"")
            || run
                .stdout
                .contains("Trusted \"O=certdesk-testkit, CN=Intranet Server Root CA\""),
        "{run}"
    );
    assert!(
        run.stdout.contains(&format!("SHA-256: {fingerprint}")),
        "{run}"
    );
    let list = db.list_certs().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        trust_of(&list, "Intranet Server Root CA").as_deref(),
        Some("C,,"),
        "{list}"
    );
    let again = sb.run(&["trust-ca", arg(&ca_file), "--to", &target]).ok();
    assert!(again.stdout.contains("was already trusted"), "{again}");

    // Withdrawn on request: nothing of it is left, and withdrawing again is a no-op.
    let removed = sb
        .run(&["trust-ca", arg(&ca_file), "--to", &target, "--remove"])
        .ok();
    assert!(
        removed
            .stdout
            .contains("is no longer trusted to identify websites in NSS database")
            && removed.stdout.contains("(its certificate was removed)"),
        "{removed}"
    );
    let list = db.list_certs().unwrap_or_else(|e| panic!("{e}"));
    assert!(cert_lines(&list).is_empty(), "{list}");
    let none = sb
        .run(&["trust-ca", arg(&ca_file), "--to", &target, "--remove"])
        .ok();
    assert!(
        none.stdout.contains("was not trusted for websites"),
        "{none}"
    );
    sb.run(&["trust-ca", arg(&ca_file), "--to", &target]).ok();

    let site = server_ca.issue_server_identity(&["intranet.example"]);
    let site_file = sb.file("site.pem", &site.cert.cert_pem);
    let refused = sb.run(&["trust-ca", arg(&site_file), "--to", &target]);
    assert!(
        refused.error().contains("is a site certificate issued by"),
        "{refused}"
    );
    assert!(refused.hint().contains("CA that issued"), "{refused}");
}

/// The whole user path with the real binary and a real browser: `certdesk install ID --to
/// nss:$HOME/.pki/nssdb` and `certdesk trust-ca` (the server's CA, explicitly), then headless
/// Chromium with that HOME loads a page from nginx requiring a client certificate and sees our
/// subject echoed; after `certdesk uninstall` the same page is nginx's "no certificate" 400.
#[test]
fn certdesk_install_makes_headless_chromium_present_the_identity() {
    use certdesk_testkit::chromium::HeadlessChromium;
    use certdesk_testkit::servers::NginxSpec;

    let sb = Sandbox::new();
    let ca = OpensslCa::new("Cli Browser");
    let id = sb.new_request("CN=Cli Browser Bob,O=Example Corp", &[]);
    let signed = ca.sign_csr(&sb.export_csr(&id), SignOpts::default());
    let reply = sb.file("reply.pem", &signed.full_chain_pem());
    sb.run(&["import", arg(&reply)]).ok();

    let server = NginxSpec::new(ca.root_pem()).start();
    let url = server.url_for("/");
    let db_dir = chromium_db(&sb);
    NssDb::create(&db_dir).unwrap_or_else(|e| panic!("{e}"));
    let target = format!("nss:{}", db_dir.display());
    sb.run(&["install", &id, "--to", &target]).ok();
    let server_ca = sb.file("server-ca.pem", &server.server_ca_pem);
    sb.run(&["trust-ca", arg(&server_ca), "--to", &target]).ok();

    let browser = HeadlessChromium::new(&sb.user_home(), url.trim_end_matches('/'))
        .unwrap_or_else(|e| panic!("{e}"));
    let page = browser.dump_dom(&url).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "headless chromium page load (whole process): {:?}",
        page.elapsed
    );
    assert!(
        page.dom.contains("hello CN=Cli Browser Bob,O=Example Corp"),
        "exit {:?}\n{}\n{}",
        page.code,
        page.dom,
        page.log
    );

    sb.run(&["uninstall", &id, "--from", &target]).ok();
    let after = browser.dump_dom(&url).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !after.dom.contains("Cli Browser Bob")
            && after
                .dom
                .contains("400 No required SSL certificate was sent"),
        "exit {:?}\n{}\n{}",
        after.code,
        after.dom,
        after.log
    );
}

/// One store refusing (a Firefox profile with a primary password) does not keep the identity
/// out of the others; the refusal is the command's error. Given the password, the run
/// completes and what was done before is "already installed".
#[test]
fn a_locked_firefox_profile_does_not_stop_chromium_and_is_named() {
    let sb = Sandbox::new();
    let (id, cert_pem) = issued(&sb, "Inst Frank");
    let chromium = NssDb::create(chromium_db(&sb)).unwrap_or_else(|e| panic!("{e}"));
    let root = sb.user_home().join(".mozilla/firefox");
    std::fs::create_dir_all(&root).expect("create firefox root");
    std::fs::write(
        root.join("profiles.ini"),
        "[Profile0]\nName=locked\nIsRelative=1\nPath=zz.locked\n",
    )
    .expect("write profiles.ini");
    let profile_dir = root.join("zz.locked");
    let firefox =
        NssDb::create_with_password(&profile_dir, "ff-primary-9").unwrap_or_else(|e| panic!("{e}"));

    let first = sb.run(&["install", &id, "--to", "all"]).exit(2);
    assert!(
        first.stdout.contains("Installed Inst Frank in Chromium"),
        "{first}"
    );
    assert!(
        first.stderr.starts_with(&format!(
            "error: the NSS database in {} is protected by a primary password\nhint: ",
            profile_dir.display()
        )),
        "{first}"
    );
    assert_installed(&chromium, "Inst Frank", &cert_pem);

    let pw = sb.secret_file("ff-pw", "ff-primary-9");
    let second = sb
        .run(&[
            "install",
            &id,
            "--to",
            "all",
            "--nss-password-file",
            arg(&pw),
        ])
        .ok();
    assert!(
        second
            .stdout
            .contains("Inst Frank is already installed in Chromium"),
        "{second}"
    );
    assert!(
        second
            .stdout
            .contains("Installed Inst Frank in Firefox profile locked"),
        "{second}"
    );
    assert_installed(&firefox, "Inst Frank", &cert_pem);
}

/// Issue #12: certutil and pk12util were run by name, so a directory first in PATH could slip
/// in programs that receive the one-time PKCS#12 and its password. Now the system's copies are
/// used (core::systool); planted ones in PATH are never started.
#[test]
fn nss_tools_planted_first_in_path_are_never_run() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let (id, cert_pem) = issued(&sb, "Inst Pathy");
    let planted = sb.path("planted-bin");
    std::fs::create_dir(&planted).expect("mkdir");
    let marker = sb.path("planted-ran");
    for tool in ["certutil", "pk12util", "openssl"] {
        let script = planted.join(tool);
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"{tool} $*\" >> '{}'\nexit 1\n",
                marker.display()
            ),
        )
        .expect("write");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let path = format!(
        "{}:{}",
        planted.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = sb.command(&["install", &id, "--to", "chromium"]);
    cmd.env("PATH", &path);
    run_command(cmd).ok();
    assert!(
        !marker.exists(),
        "a planted tool ran: {}",
        String::from_utf8_lossy(&common::read(&marker))
    );
    assert_installed(
        &NssDb::open(chromium_db(&sb), None),
        "Inst Pathy",
        &cert_pem,
    );
}
