//! `certdesk practice serve`: the real binary, started with a temp wallet, read through its
//! `--json` line, talked to with `curl` and `openssl`, and stopped by PID with SIGTERM.

use std::process::Command;

use crate::common::{arg, mode, practice_serve, require_test_keyring, Sandbox};
use certdesk_testkit::{run_tool, run_tool_with_stdin};
use serde_json::Value;

fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

#[test]
fn serve_prints_one_json_line_serves_cacerts_and_stops_cleanly_on_sigterm() {
    let sb = Sandbox::new();
    let (guard, info) = practice_serve(&sb, &[]);
    let est_url = info["est_url"].as_str().expect("est_url");
    let site_url = info["site_url"].as_str().expect("site_url");
    let ca_file = info["ca_file"].as_str().expect("ca_file");
    let code_file = info["enrollment_code_file"]
        .as_str()
        .expect("enrollment_code_file");
    assert!(est_url.starts_with("https://127.0.0.1:") && est_url.ends_with("/.well-known/est/"));
    assert!(site_url.starts_with("https://127.0.0.1:"));
    assert_eq!(info["demo_user"], "practice");
    assert_eq!(info["ca_created"], true);
    assert!(ca_file.starts_with(&sb.wallet().join("practice").display().to_string()));
    let code = info["demo_code"].as_str().expect("demo_code");
    assert_eq!(
        std::fs::read_to_string(code_file)
            .expect("code file")
            .trim(),
        code
    );
    assert_eq!(mode(std::path::Path::new(code_file)), 0o600);
    let next: Vec<&str> = info["next"]
        .as_array()
        .expect("next")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(next[0].contains("request new --name"), "{next:?}");
    assert!(next[1].contains(&format!("enroll est ID --url {est_url} --user practice --password-file {code_file} --trust-fingerprint {}", info["ca_sha256"].as_str().expect("fp"))), "{next:?}");
    assert!(
        next[2].contains(&format!("probe {site_url} --identity ID")),
        "{next:?}"
    );

    // cacerts, with the CA file it printed as the only trust anchor.
    let (status, body) = curl(&["--cacert", ca_file, &format!("{est_url}cacerts")]);
    assert_eq!(status, 200, "{body}");
    let der = run_tool_with_stdin(
        Command::new("openssl").args(["base64", "-d"]),
        body.as_bytes(),
    )
    .expect("base64")
    .stdout;
    let certs = run_tool_with_stdin(
        Command::new("openssl").args(["pkcs7", "-inform", "DER", "-print_certs"]),
        &der,
    )
    .expect("openssl pkcs7")
    .stdout_text();
    assert!(certs.contains("CN = certdesk Practice CA"), "{certs}");
    // The printed fingerprint is that certificate's.
    let fp = run_tool(Command::new("openssl").args([
        "x509",
        "-noout",
        "-fingerprint",
        "-sha256",
        "-in",
        ca_file,
    ]))
    .expect("fingerprint")
    .stdout_text();
    assert!(fp.contains(info["ca_sha256"].as_str().expect("fp")), "{fp}");

    // The code from the file opens simpleenroll.
    let csr = sb.path("x.csr");
    run_tool(
        Command::new("openssl")
            .args([
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
            ])
            .arg(sb.path("x.key"))
            .args(["-subj", "/CN=Cli Person", "-outform", "DER", "-out"])
            .arg(&csr),
    )
    .expect("openssl req");
    let b64 = run_tool(Command::new("openssl").args(["base64", "-in", arg(&csr)]))
        .expect("base64")
        .stdout;
    let b64_file = sb.file("x.b64", &b64);
    let creds = format!("practice:{code}");
    let (status, body) = curl(&[
        "--cacert",
        ca_file,
        "-u",
        &creds,
        "--data-binary",
        &format!("@{}", b64_file.display()),
        &format!("{est_url}simpleenroll"),
    ]);
    assert_eq!(status, 200, "{body}");

    // SIGTERM by PID: exit 0, ports released, the code file removed.
    let status = guard.stop().expect("exit status");
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(!std::path::Path::new(code_file).exists());
    let port = info["est_port"].as_u64().expect("port") as u16;
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("EST port released");
}

#[test]
fn a_restart_keeps_the_ca() {
    let sb = Sandbox::new();
    let (guard, first) = practice_serve(&sb, &[]);
    assert_eq!(guard.stop().and_then(|s| s.code()), Some(0));
    let (guard, second) = practice_serve(&sb, &[]);
    assert_eq!(second["ca_created"], false);
    assert_eq!(second["ca_sha256"], first["ca_sha256"]);
    assert_ne!(second["demo_code"], first["demo_code"]);
    assert_eq!(guard.stop().and_then(|s| s.code()), Some(0));
    let key = sb.wallet().join("practice").join("ca-key.pem");
    assert_eq!(mode(&key), 0o600);
    let text = std::fs::read_to_string(&key).expect("read");
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
}

/// The announcement is the signal that the server is up, so a SIGTERM may follow it at once: the
/// handlers must already exist then (a CI run lost that race), or the process dies by the signal
/// and leaves the enrollment code file behind.
#[test]
fn a_sigterm_right_after_the_announcement_stops_cleanly() {
    let sb = Sandbox::new();
    for round in 0..8 {
        let (guard, info) = practice_serve(&sb, &[]);
        let code_file = info["enrollment_code_file"]
            .as_str()
            .expect("enrollment_code_file")
            .to_string();
        let status = guard.stop();
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "round {round}: {status:?}"
        );
        assert!(
            !std::path::Path::new(&code_file).exists(),
            "round {round}: {code_file} left behind"
        );
    }
}

#[test]
fn a_taken_port_is_explained() {
    let sb = Sandbox::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let run = sb.run(&["practice", "serve", "--port", &port, "--site-port", "0"]);
    assert_eq!(
        run.error(),
        format!("could not listen on 127.0.0.1:{port}: Address already in use (os error 98)")
    );
    assert!(
        run.hint()
            .contains("another program already uses this port"),
        "{run}"
    );
    let run = sb.run(&[
        "--json",
        "practice",
        "serve",
        "--port",
        &port,
        "--site-port",
        "0",
    ]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.json()["error"]["kind"], "io", "{run}");
}

#[test]
fn no_keyring_and_no_passphrase_is_refused_without_writing_a_key() {
    let sb = Sandbox::without_keyring_or_passphrase();
    let run = sb.run(&["practice", "serve", "--port", "0", "--site-port", "0"]);
    assert!(
        run.error().starts_with("no OS keyring is reachable"),
        "{run}"
    );
    assert!(run.hint().contains("--passphrase-file"), "{run}");
    assert!(!sb.wallet().join("practice").join("ca-key.pem").exists());
}

/// The newcomer's whole flow, offline, with the commands `practice serve` printed:
/// request new → enroll est → probe the practice site → renew → export p12.
#[test]
fn the_printed_commands_take_a_newcomer_through_the_whole_flow() {
    let sb = Sandbox::new();
    let (guard, info) = practice_serve(&sb, &[]);
    let next: Vec<String> = info["next"]
        .as_array()
        .expect("next")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    // The printed commands, minus the `certdesk --home … --passphrase-file …` prefix that the
    // sandbox adds itself.
    let tail = |line: &str, verb: &str| -> Vec<String> {
        let at = line
            .find(verb)
            .unwrap_or_else(|| panic!("{verb} in {line}"));
        line[at..].split_whitespace().map(str::to_string).collect()
    };
    let id = sb.new_request("CN=Alice Example", &["--email", "alice@example.org"]);
    let enroll: Vec<String> = tail(&next[1], "enroll est")
        .into_iter()
        .map(|w| if w == "ID" { id.clone() } else { w })
        .collect();
    let enroll: Vec<&str> = enroll.iter().map(String::as_str).collect();
    sb.run(&enroll).ok();
    assert_eq!(sb.status(&id), "issued");

    let probe: Vec<String> = tail(&next[2], "probe")
        .into_iter()
        .map(|w| if w == "ID" { id.clone() } else { w })
        .collect();
    let probe: Vec<&str> = probe.iter().map(String::as_str).collect();
    let run = sb.run(&probe).ok();
    assert!(run.stdout.contains("accepted your certificate"), "{run}");

    let renewed = sb.run(&["renew", &id]).ok();
    assert!(renewed.stdout.contains("Alice Example"), "{renewed}");
    sb.export_p12_checked(&id, "modern");
    assert_eq!(guard.stop().and_then(|s| s.code()), Some(0));
}

#[test]
#[ignore = "needs a Secret Service session: run under scripts/with-keyring.sh (scripts/test-all.sh does)"]
fn keyring_protects_the_practice_ca_key() {
    require_test_keyring();
    let sb = Sandbox::with_keyring();
    let (guard, first) = practice_serve(&sb, &[]);
    assert_eq!(guard.stop().and_then(|s| s.code()), Some(0));
    let record: Value = serde_json::from_slice(
        &std::fs::read(sb.wallet().join("practice").join("ca.json")).expect("ca.json"),
    )
    .expect("json");
    assert_eq!(record["protection"]["kind"], "keyring", "{record}");
    let entry = record["protection"]["entry"].as_str().expect("entry");
    let secret = Command::new("secret-tool")
        .args(["lookup", "service", "certdesk", "username", entry])
        .output()
        .expect("secret-tool");
    assert!(secret.status.success(), "no keyring entry {entry}");
    assert_eq!(secret.stdout.len(), 32);
    // The second start opens the same CA through the keyring.
    let (guard, second) = practice_serve(&sb, &[]);
    assert_eq!(second["ca_sha256"], first["ca_sha256"]);
    assert_eq!(second["ca_created"], false);
    assert_eq!(guard.stop().and_then(|s| s.code()), Some(0));
    let _ = Command::new("secret-tool")
        .args(["clear", "service", "certdesk", "username", entry])
        .status();
}
