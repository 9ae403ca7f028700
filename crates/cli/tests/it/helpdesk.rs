//! Help-desk commands as a user runs them (issue #7): `profile check` exit codes and
//! line-precise output, `request new --profile` applying the template and refusing overrides,
//! and `report` after a full flow (profile → request → `openssl ca` certificate → import → a
//! real site check against nginx) without key bytes, passwords or enrollment codes in it.

use crate::common;
use std::path::PathBuf;

use crate::common::{arg, openssl, read, Sandbox};
use base64::Engine as _;
use certdesk_testkit::servers::NginxSpec;
use certdesk_testkit::{OpensslCa, SignOpts};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/profiles")
        .join(name)
}

const PROFILE: &str = r#"format = 1
name = "Example Corp staff"
support = "helpdesk@example.org"
allowed_keys = ["ec-p256", "ec-p384"]

[enroll]
method = "portal"
url = "https://ca.example.org/upload"
field = "csr"

[subject]
organization = "Example Corp"
organizational_unit = "Engineering"
email_san = true
"#;

#[test]
fn every_example_profile_checks_out() {
    let s = Sandbox::new();
    for name in ["est.toml", "portal.toml", "email.toml", "practice.toml"] {
        let path = example(name);
        let run = s.run(&["profile", "check", arg(&path)]).ok();
        assert!(run.stdout.contains("is a valid profile"), "{run}");
        assert!(
            run.stdout
                .contains(&format!("from:        file {}", path.display())),
            "{run}"
        );
        let json = s
            .run(&["--json", "profile", "check", arg(&path)])
            .ok()
            .json();
        assert_eq!(json["valid"], true);
        assert_eq!(json["profile"]["origin"]["kind"], "file");
    }
}

#[test]
fn broken_profiles_exit_1_with_every_problem_and_its_line() {
    let s = Sandbox::new();
    let broken = s.file(
        "broken.toml",
        b"format = 1\nname = \"\"\nallowed_keys = [\"ec-p256\", \"dsa-1024\"]\n\n[enroll]\nmethod = \"est\"\nurl = \"http://est.example.org\"\nca_sha256 = \"12:34\"\n",
    );
    let run = s.run(&["profile", "check", arg(&broken)]).exit(1);
    let path = broken.display().to_string();
    assert!(
        run.stdout.starts_with(&format!("{path} has 4 problems:")),
        "{run}"
    );
    for (line, code) in [
        (2, "name_empty"),
        (3, "bad_key_type"),
        (7, "insecure_url"),
        (8, "bad_fingerprint"),
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(&format!("{path}:{line}:"))
                    && l.ends_with(&format!("({code})"))),
            "no {code} on line {line}:\n{run}"
        );
    }
    let json = s
        .run(&["--json", "profile", "check", arg(&broken)])
        .exit(1)
        .json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["problems"].as_array().map(Vec::len), Some(4));
    assert_eq!(json["problems"][1]["column"], 28);
}

#[test]
fn a_profile_that_disables_verification_is_refused() {
    let s = Sandbox::new();
    let text = PROFILE.replace("field = \"csr\"\n", "field = \"csr\"\nverify = false\n");
    let evil = s.file("evil.toml", text.as_bytes());
    let run = s.run(&["profile", "check", arg(&evil)]).exit(1);
    assert!(
        run.stdout
            .contains(":10:1: `verify` would turn off checking the enrollment server's identity"),
        "{run}"
    );
    assert!(run.stdout.contains("(verification_disabled)"), "{run}");
    // And it cannot be used to make a request either.
    let refused = s.run(&[
        "request",
        "new",
        "--profile",
        arg(&evil),
        "--name",
        "A",
        "--email",
        "a@example.org",
    ]);
    let message = refused.error();
    assert!(message.contains("is not a usable profile"), "{refused}");
    assert!(message.contains("line 10:1"), "{refused}");
    assert!(
        refused.hint().contains("docs/profile-format.md"),
        "{refused}"
    );
    assert!(s.list().is_empty());
}

#[test]
fn unreadable_profile_is_an_error() {
    let s = Sandbox::new();
    let missing = s.path("nope.toml");
    let run = s.run(&["profile", "check", arg(&missing)]);
    assert!(run.error().contains("could not read"), "{run}");
}

#[test]
fn request_new_with_a_profile_applies_the_template_and_refuses_overrides() {
    let s = Sandbox::new();
    let profile = s.file("staff.toml", PROFILE.as_bytes());
    let out = s
        .run(&[
            "--json",
            "request",
            "new",
            "--profile",
            arg(&profile),
            "--name",
            "Alice Example",
            "--email",
            "alice@example.org",
            "--device",
            "laptop",
        ])
        .ok()
        .json();
    let id = out["id"].as_str().expect("id").to_string();
    assert_eq!(out["label"], "Alice Example (laptop)");
    assert_eq!(out["key_type"], "ec-p256");
    assert_eq!(out["profile"]["name"], "Example Corp staff");
    assert_eq!(
        out["profile"]["origin"]["location"],
        profile.display().to_string()
    );
    // The request openssl reads carries the profile's fixed O/OU and the email SAN.
    let csr = s.export_csr(&id);
    let csr_path = s.file("alice.csr", &csr);
    let text = openssl(&["req", "-in", arg(&csr_path), "-noout", "-text"]);
    assert!(
        text.contains("O = Example Corp, OU = Engineering, CN = Alice Example"),
        "{text}"
    );
    assert!(text.contains("email:alice@example.org"), "{text}");
    // The profile is kept with the identity, byte for byte, with its origin.
    let dir = s.wallet().join("identities").join(&id);
    assert_eq!(read(&dir.join("profile.toml")), PROFILE.as_bytes());
    assert!(
        String::from_utf8_lossy(&read(&dir.join("profile-origin.json"))).contains("staff.toml")
    );
    let history = String::from_utf8_lossy(&read(&dir.join("history.jsonl"))).into_owned();
    assert!(history.contains("\"kind\":\"requested\""), "{history}");

    let before = s.list().len();
    let locked = s.run(&[
        "request",
        "new",
        "--profile",
        arg(&profile),
        "--subject",
        "CN=Alice,O=Evil Corp",
        "--email",
        "alice@example.org",
    ]);
    assert!(
        locked.error().contains("fixes O to \"Example Corp\""),
        "{locked}"
    );
    assert!(locked.hint().contains("profile sets it"), "{locked}");
    let key = s.run(&[
        "request",
        "new",
        "--profile",
        arg(&profile),
        "--name",
        "Alice",
        "--email",
        "alice@example.org",
        "--key",
        "rsa-2048",
    ]);
    assert!(
        key.error()
            .contains("rsa-2048 is not allowed; this profile allows ec-p256, ec-p384"),
        "{key}"
    );
    let no_email = s.run(&[
        "request",
        "new",
        "--profile",
        arg(&profile),
        "--name",
        "Alice",
    ]);
    assert!(
        no_email.error().contains("needs your email address"),
        "{no_email}"
    );
    assert_eq!(
        s.list().len(),
        before,
        "a refused request must create nothing"
    );
}

/// Hex of `bytes`, lower case, and upper-case colon form.
fn hex_forms(bytes: &[u8]) -> Vec<String> {
    let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let colon: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    vec![lower.clone(), lower.to_uppercase(), colon.join(":")]
}

fn ec_private_scalar(pkcs8_der: &[u8]) -> Vec<u8> {
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let at = pkcs8_der
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("an EC private key in the PKCS#8");
    pkcs8_der[at + marker.len()..at + marker.len() + 32].to_vec()
}

#[test]
fn report_after_a_full_flow_has_the_facts_and_no_secrets() {
    const CODE: &str = "ENROLL-7731-QXZ";
    const EXPORT_PW: &str = "p12-Secret-4471";
    let s = Sandbox::new();
    let ca = OpensslCa::new("Helpdesk Test");
    let profile = s.file("staff.toml", PROFILE.as_bytes());
    let code = s.secret_file("code", CODE);
    let id = s
        .run(&[
            "--json",
            "request",
            "new",
            "--profile",
            arg(&profile),
            "--name",
            "Alice Example",
            "--email",
            "alice@example.org",
            "--device",
            "laptop",
            "--challenge-password-file",
            arg(&code),
        ])
        .ok()
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let signed = ca.sign_csr(&s.export_csr(&id), SignOpts::default());
    let mut reply = signed.cert_pem.clone();
    reply.extend_from_slice(&signed.chain_pem);
    let reply = s.file("reply.pem", &reply);
    s.run(&["import", arg(&reply)]).ok();

    // A real site check against nginx that trusts the CA: recorded with the identity.
    let server = NginxSpec::new(ca.root_pem()).start();
    let probe = s
        .run(&[
            "probe",
            &server.url,
            "--identity",
            &id,
            "--ca-file",
            arg(&server.server_ca_path()),
        ])
        .ok();
    assert!(
        probe.stdout.contains("accepted your certificate"),
        "{probe}"
    );

    // Secrets to look for: the key (via the explicit insecure export), the p12 password, the
    // wallet passphrase and the enrollment code.
    let key_out = s.path("key.pem");
    let cert_out = s.path("cert.pem");
    s.run(&[
        "export",
        "pem",
        &id,
        "--cert-out",
        arg(&cert_out),
        "--key-out",
        arg(&key_out),
        "--insecure-unencrypted-key",
    ])
    .ok();
    let key_pem = read(&key_out);
    let key_body: String = String::from_utf8_lossy(&key_pem)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let key_der = base64::engine::general_purpose::STANDARD
        .decode(key_body.trim())
        .expect("key PEM body");
    let scalar = ec_private_scalar(&key_der);
    let pw = s.secret_file("export-pw", EXPORT_PW);
    s.run(&[
        "export",
        "p12",
        &id,
        "--out",
        arg(&s.path("a.p12")),
        "--password-file",
        arg(&pw),
    ])
    .ok();

    let text = s.run(&["report", &id]).ok().stdout;
    let json_run = s.run(&["--json", "report", &id]).ok();
    let json = json_run.json();
    let out_file = s.path("report.txt");
    s.run(&["report", &id, "--out", arg(&out_file)]).ok();
    let without_time = |t: &str| -> String {
        t.lines()
            .filter(|l| !l.starts_with("generated:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        without_time(&String::from_utf8_lossy(&read(&out_file))),
        without_time(&text)
    );

    // The facts a help desk needs.
    let sha256 = openssl(&[
        "x509",
        "-in",
        arg(&cert_out),
        "-noout",
        "-fingerprint",
        "-sha256",
    ]);
    let sha256 = sha256
        .trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .to_string();
    assert!(text.contains(&sha256), "{text}");
    assert_eq!(json["identity"]["sha256"], sha256.as_str());
    assert_eq!(json["identity"]["label"], "Alice Example (laptop)");
    assert_eq!(json["profile"]["name"], "Example Corp staff");
    assert!(json["profile"]["origin"]
        .as_str()
        .unwrap_or("")
        .contains("staff.toml"));
    assert_eq!(json["last_site_check"]["verdict"], "accepted");
    assert_eq!(
        json["last_site_check"]["transcript"]["certificate_requested"],
        true
    );
    let kinds: Vec<&str> = json["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    // The manual import is the enrollment step here; it shows as the last enrollment.
    assert_eq!(kinds, vec!["requested", "issued", "site_check"], "{json}");
    assert_eq!(json["last_enrollment"]["via"], "import", "{json}");
    assert!(
        text.contains("Profile: Example Corp staff (from file "),
        "{text}"
    );
    assert!(
        text.contains("issuer:     O=certdesk-testkit, CN=Helpdesk Test Root CA"),
        "{text}"
    );
    assert!(text.contains("accepted"), "{text}");
    assert!(json["os"]["os"].as_str() == Some(std::env::consts::OS));

    // No secrets, in any encoding.
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut forbidden: Vec<String> = vec![
        CODE.into(),
        EXPORT_PW.into(),
        common::PASSPHRASE.into(),
        b64.encode(&key_der),
        b64.encode(&scalar),
        "PRIVATE KEY".into(),
    ];
    forbidden.extend(hex_forms(&scalar));
    forbidden.extend(hex_forms(&key_der));
    forbidden.extend(
        String::from_utf8_lossy(&key_pem)
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 16)
            .map(str::to_string),
    );
    for (name, body) in [("text", &text), ("json", &json_run.stdout)] {
        for secret in &forbidden {
            assert!(
                !body.contains(secret.as_str()),
                "the {name} report contains {secret:?}"
            );
        }
        let raw = body.as_bytes();
        assert!(
            !raw.windows(scalar.len()).any(|w| w == scalar.as_slice()),
            "raw key bytes in the {name} report"
        );
    }
}

#[test]
fn status_offline_reports_expiry_and_says_why_revocation_is_unknown() {
    let s = Sandbox::new();
    let ca = OpensslCa::new("Status Test");
    let now = certdesk_testkit::time::OffsetDateTime::now_utc();
    let id = s.new_request("CN=Soon", &[]);
    let signed = ca.sign_csr(
        &s.export_csr(&id),
        SignOpts {
            not_after: Some(now + certdesk_testkit::time::Duration::days(10)),
            ..SignOpts::default()
        },
    );
    let mut reply = signed.cert_pem.clone();
    reply.extend_from_slice(&signed.chain_pem);
    s.run(&["import", arg(&s.file("soon.pem", &reply))]).ok();
    let run = s.run(&["--json", "status", &id]).ok();
    let json = run.json();
    assert_eq!(json["expiry"]["state"], "renew_soon", "{run}");
    assert_eq!(json["expiry"]["days_left"], 9);
    assert_eq!(json["overall"], "unknown");
    assert_eq!(json["revocation"][0]["status"]["reason"], "no_url");
    let wide = s
        .run(&["--json", "status", &id, "--renew-within", "5"])
        .ok()
        .json();
    assert_eq!(wide["expiry"]["state"], "valid");
    let text = s.run(&["status", &id]).ok().stdout;
    assert!(text.contains("renew it now"), "{text}");
    assert!(
        text.contains("the certificate names no CRL address"),
        "{text}"
    );
}

/// A Python `http.server` behind `ssl` (OpenSSL) serving `files` from a temp dir on 127.0.0.1,
/// with a server certificate made by `openssl ca`; stopped by PID when the guard drops.
fn https_file_server(
    files: &[(&str, &[u8])],
) -> (
    certdesk_testkit::ChildGuard,
    u16,
    PathBuf,
    tempfile::TempDir,
) {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let www = dir.path().join("www");
    std::fs::create_dir(&www).expect("www");
    for (name, bytes) in files {
        std::fs::write(www.join(name), bytes).expect("write");
    }
    let ca = OpensslCa::new("Profile Server CA");
    let server = ca
        .issue_server_identity(&["127.0.0.1"])
        .write_to(dir.path(), "srv");
    let ca_path = dir.path().join("server-ca.pem");
    std::fs::write(&ca_path, ca.root_pem()).expect("ca");
    let script = r#"
import http.server, ssl, sys, os
os.chdir(sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&www)
        .arg(&server.full_chain)
        .arg(&server.key)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3");
    let stdout = child.stdout.take().expect("stdout");
    let guard = certdesk_testkit::ChildGuard::new(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("port");
    let port = line.trim().parse().expect("the server prints its port");
    (guard, port, ca_path, dir)
}

#[test]
fn profiles_open_from_https_urls_and_certdesk_links_and_show_where_they_came_from() {
    let (_server, port, ca, _dir) = https_file_server(&[
        ("staff.certdesk", PROFILE.as_bytes()),
        (
            "login.html",
            b"<html><head><title>Please sign in</title></head></html>",
        ),
    ]);
    let url = format!("https://127.0.0.1:{port}/staff.certdesk");
    let s = Sandbox::new();

    let run = s
        .run(&["profile", "check", &url, "--ca-file", arg(&ca)])
        .ok();
    assert!(
        run.stdout.contains(&format!(
            "link {url} is a valid profile: \"Example Corp staff\""
        )),
        "{run}"
    );
    assert!(
        run.stdout.contains(&format!("from:        link {url}")),
        "{run}"
    );
    let json = s
        .run(&["--json", "profile", "check", &url, "--ca-file", arg(&ca)])
        .ok()
        .json();
    assert_eq!(json["profile"]["origin"]["kind"], "url");
    assert_eq!(json["profile"]["origin"]["location"], url.as_str());

    // A certdesk:// link with the file's SHA-256: checked after download.
    let local = s.file("staff.certdesk", PROFILE.as_bytes());
    let sha = openssl(&["dgst", "-sha256", "-r", arg(&local)]);
    let sha = sha.split_whitespace().next().expect("digest").to_string();
    let encoded = url.replace(':', "%3A").replace('/', "%2F");
    let link = format!("certdesk://profile?url={encoded}&sha256={sha}");
    let run = s
        .run(&["profile", "check", &link, "--ca-file", arg(&ca)])
        .ok();
    assert!(
        run.stdout.contains(&format!("from:        link {url}")),
        "{run}"
    );
    let tampered = format!(
        "certdesk://profile?url={encoded}&sha256={}",
        "00".repeat(32)
    );
    let run = s.run(&["profile", "check", &tampered, "--ca-file", arg(&ca)]);
    assert!(run.error().contains("but the link says 00:00"), "{run}");
    assert!(run.hint().contains("do not use it"), "{run}");

    // Without the server's CA the download is refused, not trusted.
    let run = s.run(&["profile", "check", &url]);
    assert!(run.error().contains("does not trust"), "{run}");

    // A web page instead of a profile; plain http; a broken link.
    let page = format!("https://127.0.0.1:{port}/login.html");
    let run = s.run(&["profile", "check", &page, "--ca-file", arg(&ca)]);
    assert!(
        run.error()
            .contains("found a web page titled \"Please sign in\""),
        "{run}"
    );
    let run = s.run(&["profile", "check", &url.replace("https:", "http:")]);
    assert!(run.error().contains("uses plain http://"), "{run}");
    let run = s.run(&[
        "profile",
        "check",
        "certdesk://profile?url=https%3A%2F%2Fa%zz",
    ]);
    assert!(run.error().contains("broken percent-encoding"), "{run}");
    assert!(run.hint().contains("certdesk://profile?url="), "{run}");

    // request new --profile LINK: this computer's roots (here SSL_CERT_FILE) decide trust.
    let mut cmd = s.command(&[
        "request",
        "new",
        "--profile",
        &link,
        "--name",
        "Alice Example",
        "--email",
        "alice@example.org",
    ]);
    cmd.env("SSL_CERT_FILE", &ca);
    let run = common::run_command(cmd).ok();
    assert!(
        run.stderr
            .contains(&format!("Profile: Example Corp staff (from link {url})")),
        "{run}"
    );
    let id = run.stdout.trim().to_string();
    let list = s.list();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], id.as_str());
    assert!(
        list[0].to_string().contains("Example Corp"),
        "the profile's organisation is in the request: {list:?}"
    );
}

/// Issue #12 (high): a help-desk profile could make certdesk send extra header lines and extra
/// requests, because a site URL's path went raw onto the request line. A site or enrollment
/// address with a line break, a tab, a space or credentials is now refused when the profile
/// is read, with the reason, and the message never prints the raw control characters.
#[test]
fn a_profile_whose_addresses_smuggle_lines_spaces_or_credentials_is_refused() {
    let s = Sandbox::new();
    for (site, code_word) in [
        (
            r"https://127.0.0.1:1/a\r\nX-Injected: 1",
            "control character (U+000D)",
        ),
        (
            r"https://127.0.0.1:1/a\nGET /admin HTTP/1.1",
            "control character (U+000A)",
        ),
        (r"https://127.0.0.1:1/a\tb", "control character (U+0009)"),
        ("https://127.0.0.1:1/a b", "space at position"),
        ("https://alice:S3cret@127.0.0.1:1/", "user name or password"),
    ] {
        let text = format!("{PROFILE}\n[[sites]]\nurl = \"{site}\"\n");
        let file = s.file("sites.toml", text.as_bytes());
        let run = s.run(&["profile", "check", arg(&file)]).exit(1);
        assert!(run.stdout.contains("(bad_site_url)"), "{site}: {run}");
        assert!(run.stdout.contains(code_word), "{site}: {run}");
        assert!(
            !run.stdout.contains('\r') && !run.stdout.contains("\nX-Injected"),
            "{run:?}"
        );
        assert!(!run.stdout.contains("S3cret"), "{run}");
        // Nor can it be used to make a request.
        let refused = s.run(&[
            "request",
            "new",
            "--profile",
            arg(&file),
            "--name",
            "A",
            "--email",
            "a@example.org",
        ]);
        assert!(
            refused.error().contains("is not a usable profile"),
            "{refused}"
        );
    }
    let text = PROFILE.replace(
        "https://ca.example.org/upload",
        r"https://ca.example.org/upload\r\nAuthorization: x",
    );
    let file = s.file("enroll.toml", text.as_bytes());
    let run = s.run(&["profile", "check", arg(&file)]).exit(1);
    assert!(run.stdout.contains("(bad_url)"), "{run}");
    assert!(run.stdout.contains("control character"), "{run}");
    assert!(s.list().is_empty());
}
